"""``--help`` laid out for Chinese: click's layout, its lines measured in terminal cells.

Click wraps help text with :mod:`textwrap`, which counts characters and breaks only at
spaces and hyphens: a Chinese help, whose characters take two cells each and has no
spaces, ran to twice the terminal's width. :class:`CellHelpFormatter` keeps click's
layout (the same indents, the same two columns for the options, ``\\b`` blocks kept as
written) and wraps with :func:`mailwarden.explain.wrap.wrap`, which measures cells and
breaks where Chinese may break. The commands use it only in a language other than
English (:class:`mailwarden.cli.language.TranslatedCommand`): the English help stays
click's own, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from rich.cells import cell_len

from mailwarden.explain.wrap import wrap
from mailwarden.locale import gettext


def _paragraphs(text: str) -> list[tuple[int, bool, list[str]]]:
    """(indent, kept as written, lines) of each paragraph, as click's ``wrap_text``
    reads them: blank lines part paragraphs, one that starts with a ``\\b`` line is kept
    as written, the others are rewrapped at the indent of their first line."""
    found: list[tuple[int, bool, list[str]]] = []
    lines: list[str] = []
    indent = 0
    for line in [*text.splitlines(), ""]:
        if line:
            if not lines:
                indent = len(line) - len(line.lstrip())
            lines.append(line)
            continue
        if lines:
            if lines[0].strip() == "\b":
                found.append((indent, True, lines[1:]))
            else:
                found.append((indent, False, [" ".join(part.strip() for part in lines)]))
            lines = []
    return found


def _wrapped(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` as click's ``wrap_text(..., preserve_paragraphs=True)`` gives it, in
    lines of at most ``width`` cells (``indent`` included)."""
    blocks: list[str] = []
    for extra, kept, lines in _paragraphs(text):
        prefix = indent + " " * extra
        if not kept:
            lines = wrap(lines[0], width - cell_len(prefix))
        blocks.append("\n".join(prefix + line if line else line for line in lines))
    return "\n\n".join(blocks).splitlines()


class CellHelpFormatter(click.HelpFormatter):
    """Click's help formatter with widths in terminal cells (see the module). Its
    headings and its usage line end in a full-width colon, as Chinese writes one
    (``用法：``, ``选项：``, like ``错误：``), where click writes ``Options:``."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            # the translation of click's "Usage:" ends in "：": no space after it
            usage = gettext("Usage:")
            prefix = usage if usage.endswith("：") else usage + " "
        super().write_usage(prog, args, prefix)

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write("\n".join(_wrapped(text, self.width, indent)))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        widest = max((cell_len(first) for first, _second in rows), default=0)
        first_col = min(widest, col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n")
                self.write(" " * (first_col + self.current_indent))
            lines = _wrapped(second, max(self.width - first_col - 2, 10))
            if not lines:
                self.write("\n")
                continue
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")


__all__ = ["CellHelpFormatter"]
