"""Postfix `$parameter` expansion (postconf(5), "mac_expand"), for the values we check.

Supported: `$name`, `${name}`, `$(name)`, `$$` (a literal `$`), `${name?text}`,
`${name:text}`, the Postfix 3.0 forms `${name?{text}:{text}}` and `${name:{text}}`,
and the relational form `${{text} == {text} ? {text} : {text}}` (also `!=`, `<`, `<=`,
`>`, `>=`; without `?` or `:` it is `true` or empty). As in Postfix 3.0, blanks may
stand around the name, the operators `?`, `:` and `==`, and the `{...}` operands
(`${a ? {yes}}` is `${a?{yes}}`); text that is not in braces keeps its blanks. The two
operands of a comparison are expanded and compared as numbers when both are all
digits (`{05} == {5}`), else as text, byte by byte (`{10} < {9 }`). An unknown
parameter expands to the empty string, as in Postfix. `${name?text}` and
`${name:text}` test the value of `name` as written, unexpanded, as Postfix does.

Postfix refuses a value with a syntax error ("macro processing error"): anything but
blanks, `?` or `:` after a name (`${a==5?{1}:{0}}`, `${a b}`), text after a closing
brace (`${a?{1}x}`), an operator or operand missing or unknown (`${{$a} = {5}}`), a
`$` with no name (`cost $`), a reference never closed, or a number too large to
compare. Here the reference is left as written and the expansion says so
(`Expanded.problem` is `SYNTAX`).

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

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[A-Za-z0-9_]+")
_NAME_OR_NONE = re.compile(r"[A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]+")
_BLANKS = " \t\r\n"
MAX_NESTING = 100  # Postfix: mac_expand.c, `if (mc->level++ > 100)` is an error
NESTING = "nesting"  # Postfix refuses the value: references nest too deep, or loop
SYNTAX = "syntax"  # Postfix refuses the value: a reference it cannot parse
CUT_SHORT = "cut_short"  # the audit's own bounds left part of the value unexpanded
REFUSED = (NESTING, SYNTAX)  # the problems for which Postfix refuses the value
_MAX_LOOKUPS = 1000
_MAX_LENGTH = 1_000_000
_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_LONG_MAX = 2**63 - 1  # a larger number is a fatal "bad conversion" in Postfix


class Expanded(NamedTuple):
    text: str
    problem: str | None  # None, NESTING, SYNTAX or CUT_SHORT


class _Refused(Exception):
    """A reference Postfix refuses to parse ("macro processing error")."""


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
        if self.problem not in REFUSED:  # what Postfix refuses outweighs our own bounds
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
            if char != "$":
                out.append(char)
                length += 1
                i += 1
                continue
            nxt = text[i + 1 : i + 2]
            if nxt == "$":
                piece = "$"
                i += 2
            elif nxt and nxt in "{(":
                close = _matching(text, i + 1)
                if close < 0:  # Postfix: "truncated macro reference"
                    self.fail(SYNTAX)
                    out.append(text[i:])
                    break
                try:
                    piece = self.braced(text[i + 2 : close], depth)
                except _Refused:
                    self.fail(SYNTAX)
                    piece = text[i : close + 1]
                i = close + 1
            else:
                match = _NAME.match(text, i + 1)
                if match is None:  # Postfix: "empty macro name"
                    self.fail(SYNTAX)
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
        """The expansion of `${body}`; raises _Refused where Postfix would. The whole
        reference is parsed before anything in it is expanded."""
        if not body:
            raise _Refused  # "empty macro name"
        at = _skip(body, 0)
        if body.startswith("{", at):
            left, at = _operand(body, at)
            at = _skip(body, at)
            end = at
            while end < len(body) and body[end] in "=!<>":
                end += 1
            op = body[at:end]
            if op not in _OPERATORS:
                raise _Refused
            at = _skip(body, end)
            if not body.startswith("{", at):
                raise _Refused  # '"{expression}" expected'
            right, at = _operand(body, at)
            branches = _branches(body, _skip(body, at))
            present = _compare(self.text(left, depth + 1), op, self.text(right, depth + 1))
            if branches is None:
                return "true" if present else ""
        else:
            match = _NAME_OR_NONE.match(body, at)
            name_end = match.end() if match else at
            name = body[at:name_end]
            branches = _branches(body, _skip(body, name_end))
            if branches is None:
                return self.value(name, depth) if name else ""
            if self.spent():
                return "${" + body + "}"
            present = bool(self.lookup(name)) if name else False  # the value as written
        when_true, when_false = branches
        return self.text(when_true if present else when_false, depth + 1)


def _matching(text: str, start: int) -> int:
    """Index of the bracket that closes the one at `start`, or -1. As in Postfix,
    only brackets of the same kind count: `${a?(}` is `a?(`."""
    opening = text[start]
    closing = "}" if opening == "{" else ")"
    level = 0
    for j in range(start, len(text)):
        if text[j] == opening:
            level += 1
        elif text[j] == closing:
            level -= 1
            if level == 0:
                return j
    return -1


def _skip(text: str, at: int) -> int:
    """`at` moved past blanks."""
    while at < len(text) and text[at] in _BLANKS:
        at += 1
    return at


def _operand(body: str, at: int) -> tuple[str, int]:
    """The text inside the braces that open at `at`, and the index after them."""
    close = _matching(body, at)
    if close < 0:
        raise _Refused  # "unbalanced {} in attribute expression"
    return body[at + 1 : close], close + 1


def _branches(body: str, at: int) -> tuple[str, str] | None:
    """The texts for true and for false of `?...` or `:...` at `at`; None at the end
    of `body`. Text in braces is taken as it is inside them; other text, to the end,
    with its blanks."""
    if at == len(body):
        return None
    operator = body[at]
    if operator not in "?:":
        raise _Refused  # "attribute name syntax error", '"?" or ":" expected'
    after = at + 1
    at = _skip(body, after)
    if not body.startswith("{", at):
        rest = body[after:]
        return (rest, "") if operator == "?" else ("", rest)
    first, at = _operand(body, at)
    at = _skip(body, at)
    if operator == ":":
        when_true, when_false = "", first
    elif at < len(body) and body[at] == ":":
        after = at + 1
        at = _skip(body, after)
        if not body.startswith("{", at):
            return first, body[after:]
        when_true, (when_false, at) = first, _operand(body, at)
        at = _skip(body, at)
    elif at < len(body):
        raise _Refused  # '":" expected'
    else:
        when_true, when_false = first, ""
    if at < len(body):
        raise _Refused  # "unexpected input"
    return when_true, when_false


def _compare(left: str, op: str, right: str) -> bool:
    """Postfix compares two numbers (all digits) as numbers, anything else as text."""
    if _DIGITS.fullmatch(left) and _DIGITS.fullmatch(right):
        a, b = int(left), int(right)
        if max(a, b) > _LONG_MAX:
            raise _Refused  # "bad conversion"
        order = (a > b) - (a < b)
    else:
        order = (left > right) - (left < right)
    return {
        "==": order == 0,
        "!=": order != 0,
        "<": order < 0,
        "<=": order <= 0,
        ">": order > 0,
        ">=": order >= 0,
    }[op]
