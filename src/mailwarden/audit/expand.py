"""Postfix `$parameter` expansion (postconf(5), "mac_expand"), for the values we check.

Supported: `$name`, `${name}`, `$(name)`, `$$` (a literal `$`), `${name?text}`,
`${name:text}`, and the Postfix 3.0 forms `${name?{text}:{text}}` and
`${name==value?{text}:{text}}` (also `!=`, `<`, `<=`, `>`, `>=` on numbers).
An unknown parameter expands to the empty string, as in Postfix; a loop stops at a
fixed depth and leaves the text unexpanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mailwarden.audit.numbers import config_int

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[A-Za-z0-9_]+")
_MAX_DEPTH = 20
_COMPARE = re.compile(r"^([A-Za-z0-9_]+)(==|!=|<=|>=|<|>)(.*)$", re.DOTALL)


def expand(text: str, lookup: Lookup, depth: int = 0) -> str:
    """Expand every `$` reference in `text`, looking names up with `lookup`."""
    if depth > _MAX_DEPTH or "$" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt in "{(":
            close = _matching(text, i + 1)
            if close < 0:
                out.append(text[i:])
                break
            out.append(_expand_braced(text[i + 2 : close], lookup, depth))
            i = close + 1
        else:
            match = _NAME.match(text, i + 1)
            if match is None:
                out.append(char)
                i += 1
                continue
            out.append(_value(match.group(0), lookup, depth))
            i = match.end()
    return "".join(out)


def _value(name: str, lookup: Lookup, depth: int) -> str:
    raw = lookup(name)
    return "" if raw is None else expand(raw, lookup, depth + 1)


def _matching(text: str, start: int) -> int:
    """Index of the bracket that closes the one at `start`, or -1."""
    pairs = {"{": "}", "(": ")"}
    stack = [pairs[text[start]]]
    for j in range(start + 1, len(text)):
        if text[j] in pairs:
            stack.append(pairs[text[j]])
        elif text[j] == stack[-1]:
            stack.pop()
            if not stack:
                return j
    return -1


def _expand_braced(body: str, lookup: Lookup, depth: int) -> str:
    match = _NAME.match(body)
    if match is None:
        return ""
    name, rest = match.group(0), body[match.end() :]
    if not rest:
        return _value(name, lookup, depth)
    compare = _COMPARE.match(body)
    if compare is not None and rest[:1] in "=!<>":
        return _expand_compare(compare, lookup, depth)
    present = _value(name, lookup, depth) != ""
    if rest[0] == "?":
        when_true, when_false = _branches(rest[1:])
        chosen = when_true if present else when_false
    elif rest[0] == ":":
        chosen = "" if present else _strip_braces(rest[1:])
    else:
        return ""
    return expand(chosen, lookup, depth + 1)


def _expand_compare(match: re.Match[str], lookup: Lookup, depth: int) -> str:
    name, op, rest = match.group(1), match.group(2), match.group(3)
    question = _top_level_index(rest, "?")
    if question < 0:
        return ""
    right = expand(_strip_braces(rest[:question]), lookup, depth + 1)
    left = _value(name, lookup, depth)
    when_true, when_false = _branches(rest[question + 1 :])
    chosen = when_true if _compare(left, op, right) else when_false
    return expand(chosen, lookup, depth + 1)


def _compare(left: str, op: str, right: str) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    a, b = config_int(left.strip()), config_int(right.strip())
    if a is None or b is None:  # not numbers Postfix can compare
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _branches(text: str) -> tuple[str, str]:
    """`{a}:{b}` -> (a, b); `{a}` or `a` -> (a, "")."""
    text = text.strip()
    if text.startswith("{"):
        close = _matching(text, 0)
        if close > 0:
            first = text[1:close].strip()
            tail = text[close + 1 :].strip()
            if tail.startswith(":"):
                return first, _strip_braces(tail[1:])
            return first, ""
    return text, ""


def _strip_braces(text: str) -> str:
    text = text.strip()
    if text.startswith("{") and _matching(text, 0) == len(text) - 1:
        return text[1:-1].strip()
    return text


def _top_level_index(text: str, char: str) -> int:
    level = 0
    for j, c in enumerate(text):
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
        elif c == char and level == 0:
            return j
    return -1
