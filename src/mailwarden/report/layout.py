"""Tables for the text report whose addresses are never split across lines.

rich folds text that is wider than its cell: ``2001:db8:a11:1::17`` in a 17-column cell
becomes ``2001:db8:a11:1::1`` over ``7``, and that first line is itself a valid address,
another one, which an administrator could copy into a firewall. An
:class:`AddressTable` therefore lays its columns out itself, at the width it is drawn at:

- the address column is wide enough for the rows whose addresses fit beside the other
  columns at their narrowest without cutting a word (a no-wrap column never narrower
  than its content), or for nine in ten of them (``INLINE_SHARE``) when the last few
  are longer: one long (IPv6) address goes above its row rather than narrowing every
  other column. An address of up to ``SHORT_ADDRESS`` cells, any IPv4 one, always
  stays in its column (a folding column gives up cells for it if need be): at 80
  columns no IPv4 address goes above its row. The other columns share what is left, a
  folding one (user names, passwords) down to ``FOLD_MIN`` cells if it must;
- a row whose address (or network) is longer gets its addresses on lines of their own,
  whole, just above the row (just under it when theirs is not the first column: above,
  it would read as the previous row's): under the column when they fit there, else
  from the left margin (so does the column's title when the column is narrower than it). Only when
  the whole width is narrower than an address is its line wider than the width
  (printed whole: :func:`mailwarden.report.text.write_text` does not crop); a table
  that cannot fit at all is drawn wider rather than losing a column.

Running text (:class:`Paragraph`, :class:`Bullets`) wraps at spaces, which addresses do
not contain; a word longer than the line (an address on a very narrow terminal) is kept
whole on a line of its own, where rich would fold it. Chinese, which has no spaces, may
also break between two of its characters (:func:`break_offsets`: not before closing
punctuation such as ，。）, nor after opening punctuation such as （“), never inside a
run of Latin letters, digits and dots: an address stays whole in Chinese too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from mailwarden.locale import active_language

FOLD_MIN = 10
SHORT_ADDRESS = 15
"""The widest IPv4 address: room for it is made by folding user names if need be (a
longer address goes above its row instead)."""
"""A folding column (user names, passwords) may be narrower than its longest word, down
to this many cells: its words are cut, which is why addresses never live in one."""

INLINE_SHARE = 0.9
"""Of the rows whose addresses could stay in their column, the share that does."""

_HANG = "\ue000"
"""Marks, in the rendered table, the row whose addresses go on lines of their own above
it. A private-use character: ``text.shown`` escapes it in client text (it is not
printable), so only this module writes it."""


def table(*columns: tuple[str, dict[str, Any]]) -> Table:
    """The report's table style: a rule under the header, no borders."""
    grid = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        expand=False,
        collapse_padding=True,
    )
    for title, options in columns:
        grid.add_column(title, **options)
    return grid


@dataclass(frozen=True)
class _Row:
    addresses: tuple[Text, ...]
    extra: Text | None
    cells: tuple[RenderableType, ...]


class AddressTable:
    """A :func:`table` with one column of addresses and networks, each kept whole.

    ``key`` is the index of that column among ``columns`` (title, ``add_column``
    options); its options are replaced (fixed width, no wrapping). Each row gives the
    addresses for it (one a line) and, optionally, a note shown below them in that
    column (``+8 more``), which may wrap.
    """

    def __init__(self, key: int, *columns: tuple[str, dict[str, Any]]) -> None:
        self.key = key
        self.columns = columns
        self.rows: list[_Row] = []

    def add_row(
        self,
        addresses: Sequence[str | Text],
        *cells: RenderableType,
        extra: str | Text | None = None,
    ) -> None:
        """A row: its addresses, then the other columns' cells in order."""
        if len(cells) != len(self.columns) - 1:
            raise ValueError(f"{len(cells)} cells for {len(self.columns) - 1} columns")
        texts = tuple(a if isinstance(a, Text) else Text(a) for a in addresses)
        note = Text(extra) if isinstance(extra, str) else extra
        self.rows.append(_Row(texts, note, cells))

    # -- layout ---------------------------------------------------------------------------

    def _span(self, console: Console, options: ConsoleOptions, index: int) -> tuple[int, int, int]:
        """(narrowest, narrowest without cutting a word, widest) the column ``index`` can
        be drawn, in cells."""
        title, settings = self.columns[index]
        cells: list[RenderableType] = [title, *(row.cells[self._cell(index)] for row in self.rows)]
        low, high = 1, 1
        for cell in cells:
            measured = Measurement.get(console, options, cell)
            least = measured.minimum
            if isinstance(cell, Text) and cell.no_wrap and cell.overflow in ("ellipsis", "crop"):
                least = 1  # cut with an ellipsis, never folded
            low, high = max(low, least), max(high, measured.maximum)
        least_width, most_width = settings.get("min_width"), settings.get("max_width")
        if least_width is not None:
            low, high = max(low, least_width), max(high, least_width)
        if most_width is not None:
            low, high = min(low, most_width), min(high, most_width)
        if settings.get("no_wrap"):
            low = high
        hard = low
        if settings.get("overflow") == "fold" and not settings.get("no_wrap"):
            hard = min(low, max(FOLD_MIN, least_width or 1))
        return hard, low, high

    def _cell(self, index: int) -> int:
        """The position among a row's cells of column ``index`` (not the key)."""
        return index if index < self.key else index - 1

    def _padding(self, console: Console, options: ConsoleOptions) -> int:
        """Cells taken by the gaps between the columns (padding and dividers)."""
        probe = table(*((title, {"width": 1}) for title, _ in self.columns))
        return Measurement.get(console, options, probe).minimum - len(self.columns)

    def _widths(self, console: Console, options: ConsoleOptions) -> tuple[list[int], int, int]:
        """Every column's width (the key's included), the key column's width, and the
        width the table needs (more than the width only when it cannot fit at all)."""
        width = options.max_width
        others = [i for i in range(len(self.columns)) if i != self.key]
        spans = {i: self._span(console, options, i) for i in others}
        gaps = self._padding(console, options)
        room = max(
            width - gaps - sum(low for _, low, _ in spans.values()),
            min(width - gaps - sum(hard for hard, _, _ in spans.values()), SHORT_ADDRESS),
        )
        title = cell_len(self.columns[self.key][0])
        longest = [max((a.cell_len for a in row.addresses), default=0) for row in self.rows]
        notes = [
            Measurement.get(console, options, row.extra).minimum
            for row in self.rows
            if row.extra is not None
        ]
        fitting = sorted(n for n in longest if n <= room)
        # An IPv4 address that fits always stays in its column (a row of its own above
        # for 192.168.144.226 alone reads as a wrapped table): only longer ones, IPv6,
        # may go above their rows so that the other columns keep their width.
        short = [n for n in fitting if n <= SHORT_ADDRESS]
        fitting = [*short, *fitting[: math.ceil(len(fitting) * INLINE_SHARE)]]
        key_width = max([min(title, max(room, 1)), *fitting, *(n for n in notes if n <= room)])
        widths = {i: high for i, (_, _, high) in spans.items()}
        budget = width - gaps - key_width
        while sum(widths.values()) > budget:
            shrinkable = [i for i in others if widths[i] > spans[i][0]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1
        widths[self.key] = key_width
        return (
            [widths[i] for i in range(len(self.columns))],
            key_width,
            gaps + sum(widths.values()),
        )

    # -- drawing --------------------------------------------------------------------------

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths, key_width, needed = self._widths(console, options)
        # What goes on lines of its own, each with the row it belongs to (None: the title).
        hung: list[tuple[tuple[Text, ...], list[RenderableType] | None]] = []
        title_hangs = False
        columns = []
        for index, ((title, settings), width) in enumerate(zip(self.columns, widths, strict=True)):
            kept = {k: v for k, v in settings.items() if k not in ("min_width", "max_width")}
            if index == self.key:
                kept.update(no_wrap=True, overflow="crop")
                if cell_len(title) > width:  # the title goes above the table
                    hung.append(((Text(title, style="table.header"),), None))
                    title, title_hangs = _HANG, True
            columns.append((title, {**kept, "width": width}))
        grid = table(*columns)
        for row in self.rows:
            notes = [row.extra] if row.extra is not None else []
            cells = list(row.cells)
            if all(a.cell_len <= key_width for a in row.addresses):
                lines = [*row.addresses, *notes]
            else:
                lines = [Text(_HANG), *notes]
                hung.append((row.addresses, [*cells]))
            cells.insert(self.key, Text("\n").join(lines))
            grid.add_row(*cells)
        drawn = options.update_width(max(options.max_width, needed))
        rendered = console.render_lines(grid, drawn, pad=False)
        marks = [(n, at) for n, ln in enumerate(rendered) if (at := _hang_offset(ln)) is not None]
        above: dict[int, list[tuple[int, tuple[Text, ...]]]] = {}
        below: dict[int, list[tuple[int, tuple[Text, ...]]]] = {}
        for number, ((n, at), (texts, owner)) in enumerate(zip(marks, hung, strict=False)):
            if title_hangs and number == 0:
                # A header may be several lines high: the title goes above all of them.
                above.setdefault(0, []).append((at, texts))
            elif self.key == 0 or owner is None:
                above.setdefault(n, []).append((at, texts))
            else:
                # Not the first column: a line above the row would sit right under the
                # previous row and read as its address; it goes under its own row.
                last = n + self._height(console, drawn, columns, owner) - 1
                below.setdefault(last, []).append((at, texts))
        for n, line in enumerate(rendered):
            yield from self._hung(console, options, above.get(n, ()))
            yield from (Segment(s.text.replace(_HANG, " "), s.style, s.control) for s in line)
            yield Segment.line()
            yield from self._hung(console, options, below.get(n, ()), under=True)

    def _height(
        self,
        console: Console,
        options: ConsoleOptions,
        columns: list[tuple[str, dict[str, Any]]],
        cells: list[RenderableType],
    ) -> int:
        """How many lines the row of ``cells`` (the key's left out) takes when drawn."""
        alone = table(*columns)
        alone.show_header = False
        alone.add_row(*cells[: self.key], Text(_HANG), *cells[self.key :])
        return max(len(console.render_lines(alone, options, pad=False)), 1)

    @staticmethod
    def _hung(
        console: Console,
        options: ConsoleOptions,
        entries: Sequence[tuple[int, tuple[Text, ...]]],
        under: bool = False,
    ) -> RenderResult:
        """Lines of their own at ``at`` when they fit there, else from the left margin;
        ``under`` a row, indented by one cell at least (from the margin they would read
        as the next row)."""
        for at, texts in entries:
            longest = max((t.cell_len for t in texts), default=0)
            indent = at if at + longest <= options.max_width else 0
            if under:
                indent = max(1, min(at, options.max_width - longest))
            for text in texts:
                yield Segment(" " * indent)
                yield from text.render(console)
                yield Segment.line()


class Paragraph:
    """``text`` wrapped at spaces only, each line after ``first`` (then ``rest``): a word
    longer than the line stays whole on a line of its own."""

    def __init__(self, text: Text, first: str = "", rest: str | None = None) -> None:
        self.text = text
        self.first = first
        self.rest = " " * cell_len(first) if rest is None else rest

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from _wrapped(console, self.text, options.max_width, self.first, self.rest)


class Bullets:
    """Items with a hanging indent (``•`` or ``1.``, ``2.``, …): wrapped lines stay
    under their text, and no word is folded."""

    def __init__(self, items: Sequence[Text], mark: str = "•") -> None:
        self.items = items
        self.mark = mark

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        marks = [f"{n}." if self.mark == "1." else self.mark for n in range(1, len(self.items) + 1)]
        room = max((cell_len(m) for m in marks), default=0) + 1
        for mark, item in zip(marks, self.items, strict=True):
            first = mark + " " * (room - cell_len(mark))
            yield from _wrapped(console, item, options.max_width, first, " " * room)


def _wrapped(console: Console, text: Text, width: int, first: str, rest: str) -> Iterator[Segment]:
    room = max(width - cell_len(first), 1)
    if active_language() == "en":
        whole = text.copy()
        whole.overflow = "ignore"  # Text.wrap: break at spaces, never fold, never cut
        lines: list[Text] = list(whole.wrap(console, room))
    else:
        lines = _wrapped_wide(text, room)
    for n, line in enumerate(lines):
        yield Segment(first if n == 0 else rest)
        yield from line.render(console)
        yield Segment.line()


_NO_LINE_START = frozenset("，。、；：！？）」』】〉》”’…—·,.;:!?)]")
_NO_LINE_END = frozenset("（「『【〈《“‘([")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


_COUNT = re.compile(r"\d[\d,]*(?:\.\d+)?")
"""A number as the report writes one: ``5,766``, ``0.2``."""

SHORT_RUN = 20
"""A run of Latin text inside Chinese of at most this many cells (``postsuper -d``,
``doveadm kick``, ``3 or more``) is not broken at its spaces: a command or a phrase
stays whole. A longer one (an English sentence the catalog does not translate) is."""


def _latin_runs(plain: str) -> list[int]:
    """For each position, the cells of the run of non-wide characters it is in (its
    spaces at either end left out); 0 for a wide character."""
    sizes = [0] * len(plain)
    i = 0
    while i < len(plain):
        if _wide(plain[i]):
            i += 1
            continue
        j = i
        while j < len(plain) and not _wide(plain[j]):
            j += 1
        size = cell_len(plain[i:j].strip())
        for k in range(i, j):
            sizes[k] = size
        i = j
    return sizes


def _kept_together(plain: str, i: int, runs: list[int]) -> bool:
    """Whether the spaces just before ``plain[i]`` must not break in Chinese: a number
    and its counter (``18 个``), or a short run of Latin text (:data:`SHORT_RUN`)."""
    j = i - 1
    while j >= 0 and plain[j].isspace():
        j -= 1
    if j < 0:
        return False
    before, char = plain[j], plain[i]
    if before.isdigit() and _wide(char):
        start = j
        while start > 0 and not plain[start - 1].isspace() and not _wide(plain[start - 1]):
            start -= 1
        if _COUNT.fullmatch(plain[start : j + 1]):
            return True  # 18 个, 5,766 行, 0.2 秒 (not an address: 192.0.2.5 以)
    return not _wide(before) and not _wide(char) and before not in ",;" and runs[i] <= SHORT_RUN


def break_offsets(plain: str, width: int) -> list[int]:
    """Where ``plain`` (one line, no newline) breaks to fit ``width`` cells: after a run
    of spaces, or between two characters one of which is wide (Chinese), but not before
    closing punctuation nor after opening punctuation. In text with wide characters, not
    between a number and its counter (``18 个``) nor inside a short run of Latin text
    (``postsuper -d``). A piece wider than the line is kept whole, on a line of its
    own."""
    starts = [0]
    chinese = any(_wide(c) for c in plain)
    runs = _latin_runs(plain) if chinese else []
    for i in range(1, len(plain)):
        before, char = plain[i - 1], plain[i]
        if char.isspace():
            continue
        if before.isspace():
            if not (chinese and _kept_together(plain, i, runs)):
                starts.append(i)
        elif (
            (_wide(before) or _wide(char))
            and char not in _NO_LINE_START
            and before not in _NO_LINE_END
        ):
            starts.append(i)
    offsets: list[int] = []
    used = 0
    for start, end in zip(starts, [*starts[1:], len(plain)], strict=True):
        piece = plain[start:end]
        if used and used + cell_len(piece.rstrip()) > width:
            offsets.append(start)
            used = 0
        used += cell_len(piece)
    return offsets


def _wrapped_wide(text: Text, width: int) -> list[Text]:
    """``text`` in lines of ``width`` cells by :func:`break_offsets`, its styles kept."""
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        for line in paragraph.divide(break_offsets(paragraph.plain, width)):
            line.rstrip()
            lines.append(line)
    return lines


def _hang_offset(line: list[Segment]) -> int | None:
    """The cell where the hang mark sits in a rendered line, if it is there."""
    offset = 0
    for segment in line:
        found = segment.text.find(_HANG)
        if found >= 0:
            return offset + cell_len(segment.text[:found])
        offset += cell_len(segment.text)
    return None


__all__ = [
    "FOLD_MIN",
    "INLINE_SHARE",
    "SHORT_ADDRESS",
    "AddressTable",
    "Bullets",
    "Paragraph",
    "table",
]
