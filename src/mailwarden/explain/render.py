"""Lay the explanation out for a person: wrapped to the terminal (at most 100 columns;
80 when writing to a pipe or a file), Chinese wrapped by display width, plain text when
not a terminal. On a terminal, rich adds a little colour; every line is a ``Text``
object printed as is, so nothing from a log line is ever read as markup. Every block's
text goes through :func:`~mailwarden.parsers.sasl.escape_unsafe` before it is laid out
(the builders escape client text where they quote it, once, backslashes too; this is
the net under them, which leaves their escapes as they are): no control, formatting or
invisible character reaches the terminal. A shell command of the advice
(:class:`~mailwarden.explain.document.Command`) is never wrapped: it stands on a line of
its own, indented under its step, to be pasted whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from mailwarden.explain.document import Block, Command, Entry, Heading, Item, Paragraph
from mailwarden.explain.wrap import wrap
from mailwarden.locale import tidy
from mailwarden.parsers.sasl import escape_unsafe

MAX_WIDTH = 100
PIPE_WIDTH = 80
_TIME_COLUMN = 8


def console_for(file: TextIO, width: int | None = None) -> Console:
    """A console for ``file``: its terminal width (at most 100), else 80 columns."""
    console = Console(file=file, width=width, highlight=False, markup=False, emoji=False)
    if width is None:
        console.width = min(console.width, MAX_WIDTH) if console.is_terminal else PIPE_WIDTH
    return console


def _shown(text: str) -> str:
    """Block text fit for a terminal: the active language's spacing, nothing unsafe."""
    return escape_unsafe(tidy(text))


def _indented(text: str, width: int, first: str, rest: str) -> Iterator[str]:
    for n, line in enumerate(wrap(text, width - len(first))):
        yield (first if n == 0 else rest) + line


def lines(blocks: Sequence[Block], width: int) -> Iterator[tuple[str, str]]:
    """Every output line with its style name (``heading``, ``log``, ``command``,
    ``""``). A command is never wrapped: it may be wider than ``width``."""
    started = False
    for block in blocks:
        if isinstance(block, Heading):
            if started:
                yield "", ""
            for line in wrap(_shown(block.text), width):
                yield line, "heading"
            if block.level == 1:
                yield "=" * min(width, cell_len(_shown(block.text))), ""
        elif isinstance(block, Paragraph):
            pad = " " * block.indent
            for line in _indented(_shown(block.text), width, pad, pad):
                yield line, ""
            yield from _more(block.more, width, pad)
        elif isinstance(block, Item):
            first = " " * block.indent + block.marker + " "
            rest = " " * len(first)
            for line in _indented(_shown(block.text), width, first, rest):
                yield line, ""
            yield from _more(block.more, width, rest)
        else:
            yield from _entry(block, width)
        started = True


def _more(pieces: Sequence[str | Command], width: int, pad: str) -> Iterator[tuple[str, str]]:
    """What continues a paragraph or an item, under its text at ``pad``."""
    for piece in pieces:
        if isinstance(piece, Command):
            # pasted into a shell: never wrapped, nor respaced for the language
            yield pad + "  " + escape_unsafe(piece.text), "command"
        else:
            for line in _indented(_shown(piece), width, pad, pad):
                yield line, ""


def _entry(block: Entry, width: int) -> Iterator[tuple[str, str]]:
    pad = " " * (_TIME_COLUMN + 1)
    time = (block.time or "").ljust(_TIME_COLUMN) + " "
    for n, line in enumerate(wrap(escape_unsafe(block.line), width - len(pad))):
        yield (time if n == 0 else pad) + line, "log"
    if block.note:
        for line in _indented(_shown(block.note), width, pad, pad):
            yield line, ""


_STYLES = {"heading": "bold", "log": "cyan", "command": "bold"}


def write(blocks: Sequence[Block], file: TextIO, width: int | None = None) -> None:
    """Render ``blocks`` to ``file``: plain text, or with colour on a terminal."""
    console = console_for(file, width)
    if not console.is_terminal:
        for line, _style in lines(blocks, console.width):
            file.write(line + "\n")
        return
    for line, style in lines(blocks, console.width):
        console.print(Text(line, style=_STYLES.get(style, "")), soft_wrap=True)


__all__ = ["MAX_WIDTH", "PIPE_WIDTH", "console_for", "lines", "write"]
