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
_NO_LINE_END = frozenset("（「『【〈《“‘")
_GLUE = 12
"""A short Latin word written right against a Chinese character (``2月``, ``RC4、``)
moves to the next line with it rather than being split from it."""
_TOKEN = re.compile(r"\s+|[^\s]")
_ADDRESS = re.compile(
    r"[0-9A-Fa-f]*(?::[0-9A-Fa-f]*){2,}(?:\.[0-9]+){0,3}(?:/[0-9]{1,3})?"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,2})?"
)
"""Something shaped like an IPv6 or IPv4 address or network (or a time such as
``10:02:33``, which is best kept whole too): never cut."""
_ADDRESS_MAX = 49
"""The longest address text (``ffff:…:255.255.255.255/128``); a longer run of hex
digits and colons (a hex dump) is not one, and may be cut."""


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
        elif _wide(piece) or piece in _NO_LINE_END:
            if word:
                out.append("".join(word))
                word = []
            out.append(piece)
        else:
            word.append(piece)
    if word:
        out.append("".join(word))
    return out


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
    current = ""
    for atom in _atoms(token):
        if current and cell_len(current + atom) > width:
            parts.append(current)
            current = ""
        current += atom
    if current:
        parts.append(current)
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
        if token in _NO_LINE_START and line and line[-1] != " " and len(line) > 1:
            carried.append(line.pop())  # keep the punctuation with the word before it
        elif (
            not space
            and len(line) > 1
            and line[-1] != " "
            and not _wide(line[-1][-1])
            and cell_len(line[-1]) <= _GLUE
        ):
            carried.append(line.pop())  # "2" stays with "月", "RC4" with "、"
        while line and line[-1] in _NO_LINE_END:
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
