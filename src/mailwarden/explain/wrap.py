"""Wrap text to a width in terminal cells, for English and Chinese alike.

English breaks at spaces. Chinese has no spaces: a line may break between any two
Chinese characters, except before closing punctuation (，。）” …) and after opening
punctuation (（“ …), the usual line-breaking rules. Widths are display cells: a Chinese
character takes two. A token wider than the line (a long hex string, a base64 blob) is
cut at the width, but never inside an IP address or network: cutting
``2001:db8:a11:1::17`` after ``::1`` leaves another valid address, which a reader could
paste into a firewall. The address moves to the next line whole (alone on its line, and
wider than it, only when the line is narrower than the address).
"""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len

_NO_LINE_START = frozenset("，。、；：！？）」』】〉》”’…—·")
NO_LINE_END = frozenset("(（「『【〈《“‘")
_GLUE = 12
"""A short Latin word written right against a Chinese character (``2月``, ``RC4、``)
moves to the next line with it rather than being split from it."""
_TOKEN = re.compile(r"\s+|[^\s]")
_ADDRESS = re.compile(
    r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:\.[0-9]{1,3}){0,3}(?:/[0-9]{1,3})?"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,2})?"
)
"""Something shaped like an IPv6 or IPv4 address or network (or a time such as
``10:02:33``, which is best kept whole too): never cut. Every part is bounded (four hex
digits a group, eight groups), so a long run of hex digits or colons in attacker text
costs linear time, not quadratic."""
_PAIRS = (
    (re.compile(r"RFC"), re.compile(r"[0-9]{1,5}[,.;:)]*")),
    (re.compile(r"[2-5][0-9][0-9]"), re.compile(r"[2-5]\.[0-9]{1,3}\.[0-9]{1,3}[,.;:)]*")),
)
"""Two words a line never breaks between: ``RFC 4954``, a reply code and its enhanced
status code (``402 4.5.2``)."""
_ADDRESS_MAX = 49
"""The longest address text (``ffff:…:255.255.255.255/128``); a longer run of hex
digits and colons (a hex dump) is not one, and may be cut."""


_ASCII_CLOSING = frozenset(".,;:!?)]")


def _ascii_closing(token: str) -> bool:
    """``.`` or ``),`` written right after a closing quote (``“mismatch”.``): it never
    starts a line alone either. (After a word it is part of the word's token.)"""
    return bool(token) and all(char in _ASCII_CLOSING for char in token)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in {"W", "F"} or char in _NO_LINE_START


def tokens(text: str) -> list[str]:
    """Words, single wide characters and whitespace runs, in order."""
    out: list[str] = []
    word: list[str] = []
    for piece in _TOKEN.findall(text):
        if piece.isspace():
            if word:
                out.append("".join(word))
                word = []
            out.append(" ")
        elif _wide(piece) or (piece in NO_LINE_END and not (piece == "(" and word)):
            # an ASCII "(" inside a word (``pam_authenticate()``) is part of it: no break
            if word:
                out.append("".join(word))
                word = []
            out.append(piece)
        else:
            word.append(piece)
    if word:
        out.append("".join(word))
    return _joined(out)


def _joined(out: list[str]) -> list[str]:
    """``RFC``, `` ``, ``4954`` as one token (see :data:`_PAIRS`)."""
    joined: list[str] = []
    index = 0
    while index < len(out):
        if index + 2 < len(out) and out[index + 1] == " ":
            first, second = out[index], out[index + 2]
            if any(a.fullmatch(first) and b.fullmatch(second) for a, b in _PAIRS):
                joined.append(f"{first} {second}")
                index += 3
                continue
        joined.append(out[index])
        index += 1
    return joined


def _atoms(token: str) -> list[str]:
    """``token`` as the pieces a fold may not cut: whole addresses, else characters."""
    atoms: list[str] = []
    start = 0
    for match in _ADDRESS.finditer(token):
        if len(match.group()) > _ADDRESS_MAX:
            continue
        atoms += token[start : match.start()]
        atoms.append(match.group())
        start = match.end()
    atoms += token[start:]
    return atoms


def _fold(token: str, width: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    cells = 0  # of current: measured atom by atom, never the whole again
    for atom in _atoms(token):
        size = cell_len(atom)
        if current and cells + size > width:
            parts.append("".join(current))
            current = []
            cells = 0
        current.append(atom)
        cells += size
    if current:
        parts.append("".join(current))
    return parts


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells (explicit newlines are kept); only an
    address wider than ``width`` makes a line wider, alone on it."""
    width = max(width, 8)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(paragraph, width)
    return lines


def _wrap_paragraph(text: str, width: int) -> list[str]:
    lines: list[list[str]] = [[]]
    used = 0
    space = False
    for token in tokens(text):
        if token == " ":
            space = bool(lines[-1])
            continue
        line = lines[-1]
        need = cell_len(token) + (1 if space and line else 0)
        if not line or used + need <= width:
            if space and line:
                line.append(" ")
            line.append(token)
            used += need
            space = False
            if used > width:  # a single token wider than the line
                pieces = _fold("".join(line), width)
                lines[-1] = [pieces[0]]
                for piece in pieces[1:]:
                    lines.append([piece])
                used = cell_len(pieces[-1])
            continue
        carried: list[str] = []
        closing = token in _NO_LINE_START or (not space and _ascii_closing(token))
        if closing and line and line[-1] != " " and len(line) > 1:
            # keep the punctuation with the word before it: all of a run like "”）。"
            while len(line) > 1 and line[-1] in _NO_LINE_START:
                carried.insert(0, line.pop())
            if len(line) > 1 and line[-1] != " ":
                carried.insert(0, line.pop())
        elif (
            not space
            and len(line) > 1
            and line[-1] != " "
            and not _wide(line[-1][-1])
            and cell_len(line[-1]) <= _GLUE
        ):
            carried.append(line.pop())  # "2" stays with "月", "RC4" with "、"
        while line and line[-1] in NO_LINE_END:
            carried.insert(0, line.pop())
        while line and line[-1] == " ":
            line.pop()
        lines.append([*carried, token])
        used = cell_len("".join(lines[-1]))
        space = False
        if used > width:
            pieces = _fold("".join(lines[-1]), width)
            lines[-1] = [pieces[0]]
            for piece in pieces[1:]:
                lines.append([piece])
            used = cell_len(pieces[-1])
    return ["".join(line).rstrip() for line in lines]


__all__ = ["tokens", "wrap"]
