"""Postfix `$parameter` expansion (postconf(5), "mac_expand"), for the values we check.

Supported: `$name`, `${name}`, `$(name)`, `$$` (a literal `$`), `${name?text}`,
`${name:text}`, and the Postfix 3.0 forms `${name?{text}:{text}}` and
`${name==value?{text}:{text}}` (also `!=`, `<`, `<=`, `>`, `>=` on numbers).
An unknown parameter expands to the empty string, as in Postfix. A parameter that
refers to itself, directly or through others (`a = $b`, `b = $a`: Postfix stops with
"unreasonable macro call nesting"), is left unexpanded where it recurs, as `${name}`.
One expansion looks up at most `_MAX_LOOKUPS` names and stops growing past
`_MAX_LENGTH` characters, leaving the rest unexpanded: without these bounds a
main.cf of a few lines (`x = $y $y`, `y = $z $z`, ... twenty deep) made the audit
expand a million references for every value it read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mailwarden.audit.numbers import config_int

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[A-Za-z0-9_]+")
_MAX_DEPTH = 20
_MAX_LOOKUPS = 1000
_MAX_LENGTH = 1_000_000
_COMPARE = re.compile(r"^([A-Za-z0-9_]+)(==|!=|<=|>=|<|>)(.*)$", re.DOTALL)


def expand(text: str, lookup: Lookup, depth: int = 0) -> str:
    """Expand every `$` reference in `text`, looking names up with `lookup`."""
    if "$" not in text:
        return text
    return _Expansion(lookup).text(text, depth)


class _Expansion:
    """One expansion: the names being expanded (a name met again inside its own
    expansion is a loop) and what it has cost so far."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.active: list[str] = []
        self.lookups = 0

    def text(self, text: str, depth: int) -> str:
        if depth > _MAX_DEPTH or "$" not in text:
            return text
        out: list[str] = []
        length = 0
        i = 0
        while i < len(text):
            if length > _MAX_LENGTH:
                out.append(text[i:])
                break
            char = text[i]
            if char != "$" or i + 1 >= len(text):
                out.append(char)
                length += 1
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                piece = "$"
                i += 2
            elif nxt in "{(":
                close = _matching(text, i + 1)
                if close < 0:
                    out.append(text[i:])
                    break
                piece = self.braced(text[i + 2 : close], depth)
                i = close + 1
            else:
                match = _NAME.match(text, i + 1)
                if match is None:
                    out.append(char)
                    length += 1
                    i += 1
                    continue
                piece = self.value(match.group(0), depth)
                i = match.end()
            out.append(piece)
            length += len(piece)
        return "".join(out)

    def value(self, name: str, depth: int) -> str:
        if name in self.active or self.lookups >= _MAX_LOOKUPS:
            return "${" + name + "}"
        self.lookups += 1
        raw = self.lookup(name)
        if raw is None:
            return ""
        self.active.append(name)
        try:
            return self.text(raw, depth + 1)
        finally:
            self.active.pop()

    def braced(self, body: str, depth: int) -> str:
        match = _NAME.match(body)
        if match is None:
            return ""
        name, rest = match.group(0), body[match.end() :]
        if not rest:
            return self.value(name, depth)
        compare = _COMPARE.match(body)
        if compare is not None and rest[:1] in "=!<>":
            return self.compare(compare, depth)
        present = self.value(name, depth) != ""
        if rest[0] == "?":
            when_true, when_false = _branches(rest[1:])
            chosen = when_true if present else when_false
        elif rest[0] == ":":
            chosen = "" if present else _strip_braces(rest[1:])
        else:
            return ""
        return self.text(chosen, depth + 1)

    def compare(self, match: re.Match[str], depth: int) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        question = _top_level_index(rest, "?")
        if question < 0:
            return ""
        right = self.text(_strip_braces(rest[:question]), depth + 1)
        left = self.value(name, depth)
        when_true, when_false = _branches(rest[question + 1 :])
        chosen = when_true if _compare(left, op, right) else when_false
        return self.text(chosen, depth + 1)


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
