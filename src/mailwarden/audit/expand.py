"""Postfix `$parameter` expansion (postconf(5), "mac_expand"), for the values we check.

Supported: `$name`, `${name}`, `$(name)`, `$$` (a literal `$`), `${name?text}`,
`${name:text}`, and the Postfix 3.0 forms `${name?{text}:{text}}` and
`${name==value?{text}:{text}}` (also `!=`, `<`, `<=`, `>`, `>=` on numbers).
An unknown parameter expands to the empty string, as in Postfix. `${name?text}` and
`${name:text}` test the value of `name` as written, unexpanded, as Postfix does.

Postfix stops with "unreasonable macro call nesting" (mac_expand.c: `level++ > 100`)
when anything is to be expanded inside more than `MAX_NESTING` nested references (a
chain `a = $b`, `b = $c`, ... of 101 names), and so when a parameter refers to itself,
directly or through others (`a = $b`, `b = $a`). Postconf and every daemon then refuse
the value; here the text is left unexpanded where the nesting goes too deep or the
name recurs (as `${name}`), and the expansion says so (`Expanded.problem` is
`NESTING`).

One expansion looks up at most `_MAX_LOOKUPS` names and stops growing past
`_MAX_LENGTH` characters, leaving the rest unexpanded (`Expanded.problem` is
`CUT_SHORT`): without these bounds a main.cf of a few lines (`x = $y $y`,
`y = $z $z`, ... twenty deep) made the audit expand a million references for every
value it read. Depth costs nothing beyond the look-ups: a chain of 100 names is 100.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from mailwarden.audit.numbers import config_int

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[A-Za-z0-9_]+")
MAX_NESTING = 100  # Postfix: mac_expand.c, `if (mc->level++ > 100)` is an error
NESTING = "nesting"  # Postfix refuses the value: references nest too deep, or loop
CUT_SHORT = "cut_short"  # the audit's own bounds left part of the value unexpanded
_MAX_LOOKUPS = 1000
_MAX_LENGTH = 1_000_000
_COMPARE = re.compile(r"^([A-Za-z0-9_]+)(==|!=|<=|>=|<|>)(.*)$", re.DOTALL)


class Expanded(NamedTuple):
    text: str
    problem: str | None  # None, NESTING or CUT_SHORT


def expand(text: str, lookup: Lookup) -> str:
    """Expand every `$` reference in `text`, looking names up with `lookup`."""
    return expansion(text, lookup).text


def expansion(text: str, lookup: Lookup) -> Expanded:
    """`text` expanded, and whether the expansion is not Postfix's (see the module)."""
    if "$" not in text:
        return Expanded(text, None)
    run = _Expansion(lookup)
    return Expanded(run.text(text, 0), run.problem)


class _Expansion:
    """One expansion: the names being expanded (a name met again inside its own
    expansion is a loop) and what it has cost so far."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.active: list[str] = []
        self.lookups = 0
        self.problem: str | None = None

    def fail(self, problem: str) -> None:
        if self.problem != NESTING:  # what Postfix refuses outweighs our own bounds
            self.problem = problem

    def text(self, text: str, depth: int) -> str:
        if depth > MAX_NESTING:
            if text:  # Postfix fails on anything to expand here, even plain text
                self.fail(NESTING)
            return text
        if "$" not in text:
            return text
        out: list[str] = []
        length = 0
        i = 0
        while i < len(text):
            if length > _MAX_LENGTH:
                self.fail(CUT_SHORT)
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
        if name in self.active:
            self.fail(NESTING)
            return "${" + name + "}"
        if self.spent():
            return "${" + name + "}"
        raw = self.lookup(name)
        if raw is None:
            return ""
        if raw and depth >= MAX_NESTING:  # its text would be one level too deep
            self.fail(NESTING)
            return "${" + name + "}"
        self.active.append(name)
        try:
            return self.text(raw, depth + 1)
        finally:
            self.active.pop()

    def spent(self) -> bool:
        """Counts a look-up; True (and no look-up) past the bound."""
        if self.lookups >= _MAX_LOOKUPS:
            self.fail(CUT_SHORT)
            return True
        self.lookups += 1
        return False

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
        if self.spent():
            return "${" + body + "}"
        present = bool(self.lookup(name))  # Postfix tests the value as written
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
