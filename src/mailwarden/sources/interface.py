"""The values that leave a source: `Chunk` (bytes of whole lines) and `ReadStats`.

A source never interprets text: it cuts its bytes at newlines, so that framing can
number lines and decode them, and it counts what it had to skip (a line over
`MAX_LINE`, a damaged archive) instead of raising. Only a source that cannot be read
at all (a missing file, a permission problem, no ``journalctl``) raises `InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

from mailwarden.locale import ngettext

MAX_LINE = 64 * 1024
"""Longest line, in bytes without its newline, that is read; longer ones are skipped
and counted in `ReadStats.too_long` (Postfix itself caps a record at 2000 bytes)."""


class Chunk(NamedTuple):
    """Whole lines of one source, as bytes."""

    source: str
    """Display name: the path as given, ``-`` for standard input, ``journal``."""
    data: bytes
    """One or more whole lines, each ending in ``\\n``, except possibly the last line
    of a source (a file that does not end in a newline)."""
    first_line: int
    """1-based number of the first line of `data` in the source."""
    offset: int
    """Byte offset of `data` in the (decompressed) source."""
    cursor: str | None = None
    """The journald cursor of the last entry in `data` (journal only)."""


@dataclass
class ReadStats:
    """Counters shared by the sources and framing of one read.

    `lines` counts every physical line met, including the skipped ones. A worker
    process keeps its own and the parent `merge`s them; it pickles.
    """

    files: int = 0
    """Sources opened (files, standard input, journalctl runs)."""
    bytes: int = 0
    """Bytes read, after decompression."""
    lines: int = 0
    empty: int = 0
    """Empty or blank lines (skipped)."""
    binary: int = 0
    """Lines with NUL bytes or mostly unprintable (skipped; for a line whose last NUL run
    is followed by an entry, a crash's debris before it, the part skipped)."""
    too_long: int = 0
    """Lines over `MAX_LINE` (skipped; the following lines keep their numbers)."""
    replaced: int = 0
    """Lines with invalid UTF-8, decoded with U+FFFD (kept)."""
    split: int = 0
    """Extra entries recovered from pasted run-together lines."""
    held_together: int = 0
    """Header-like text inside a client-controlled field (a username, a HELO name, a
    plaintext dump) that was deliberately not split off a pasted line."""
    duplicates: int = 0
    """Lines dropped because another input had already given the same line (rsyslog
    writes mail lines to both mail.log and syslog): see ``scan``'s merge."""
    outside_window: int = 0
    """Entries left out by --since/--until (``analyze``)."""
    after_until: list[str] = field(default_factory=list)
    """Files of a rotated set not opened, oldest first: an older one of the set ends
    more than a day past --until (``analyze``: ``ReadOptions.read_until``)."""
    unread: list[str] = field(default_factory=list)
    """Inputs opened but not read: zstd-compressed (a problem says so); ``analyze``
    leaves them out of the inputs it lists as read."""
    failed: list[str] = field(default_factory=list)
    """Inputs that gave not a line because of damage, a read error or a compression
    mailwarden cannot read (a gzip file cut short in its header, /proc/self/mem, zstd):
    a problem says so (:meth:`fail`), and one named as an argument makes the command
    exit 1 (`files.failed_named`)."""
    failed_why: list[str] = field(default_factory=list)
    """For each of ``failed``, at the same index: its problem's line (``analyze``'s
    headline says it when nothing else was read)."""
    damaged: list[str] = field(default_factory=list)
    """Archives read up to damage found after some of their lines (a problem says so;
    ``analyze`` counts them under its headline)."""
    corrupt: list[str] = field(default_factory=list)
    """Of ``damaged``, those found corrupt by a failed check (not cut short): the lines
    read before it may be garbage, which may go back in time (``scan.order_note`` does
    not then take the input for joined logs)."""
    not_logs: list[str] = field(default_factory=list)
    """Inputs (files, ``-``) whose first lines hold no log entry: no line with a time or
    a program (``analyze``: ``scan.sniffed``; it warns of those that gave nothing
    recognised, ``Counts.recognised_in``)."""
    mail_seen: bool = False
    """The first lines of some input held an entry of a mail server (one ``events``
    recognises), or any of it a mail server's program tag (``scan.MAIL_MARKS``):
    ``analyze`` tells a mail log with nothing to report from a file that is no mail log
    (``scan.sniffed``)."""
    problems: list[str] = field(default_factory=list)
    """One line each: a damaged archive, a source that stopped early, ..."""
    disorder: list[str] = field(default_factory=list)
    """One line per input whose entries go back in time (``analyze``: ``scan._Order``):
    read whole, but the detector counts in the order given."""
    turns: list[tuple[str, int, str, str]] = field(default_factory=list)
    """For each line of ``disorder``, at the same index: the input, the line that goes
    back, its time and the time it goes back from (``analyze`` says it again when it
    has read the input again in time order)."""
    mtime_turns: list[tuple[str, str]] = field(default_factory=list)
    """(file, the file read before it) for each ``turns`` entry where a file of a rotated
    set with numbered and dated names goes back from the file of the other kind read
    before it: their order was their modification times' (``files._merged_by_mtime``),
    which the contents disagree with (``scan.order_note`` says so)."""
    runs: list[tuple[str, int]] = field(default_factory=list)
    """Where each input that goes back in time does so: (input, line) of the first
    entry of each of its time-ordered runs but the first (``scan._Order``), at most
    ``scan.MAX_RUNS`` + 1 of them in all: ``analyze`` reads such an input again as its
    runs merged by time."""
    backs: list[tuple[str, float]] = field(default_factory=list)
    """How far back in time (seconds, rounded up) an entry of an input went within a
    run, each time it went further (``scan._Order``): the second reading puts each run
    in time order holding that many seconds of it (``scan._in_time_order``)."""
    short_turns: list[tuple[str, int, str, str]] = field(default_factory=list)
    """Where an input goes back more than ``scan.SHORT_BACKWARD`` but less than
    ``scan.BACKWARD`` (as in ``turns``), at most ``scan.MAX_RUNS`` + 1 of them in all:
    when few, a run starts there too (``short_cut``)."""
    short_backs: list[tuple[str, float]] = field(default_factory=list)
    """As ``backs``, of the entries that go back at most ``scan.SHORT_BACKWARD``: how
    far each run goes back when it is cut at ``short_turns`` too."""
    skew_turns: list[tuple[str, int, str, str]] = field(default_factory=list)
    """Where an input first goes back more than ``scan.JITTER`` but at most
    ``scan.SHORT_BACKWARD`` (as in ``turns``), one per input: ``analyze`` reads it
    again in time order (``cli.analyze._read_again``) when nothing else does."""
    short_cut: int = 0
    """Whether the second reading cuts the inputs at ``short_turns`` too (they were
    few: ``cli.analyze._read_again``)."""
    crowded: list[str] = field(default_factory=list)
    """Inputs whose runs the second reading could not wholly put in time order: more
    than ``scan.HOLD_MAX`` records to hold."""

    def held_together_note(self) -> str | None:
        """What the analysis and the explanation say of `held_together`, if any."""
        if not self.held_together:
            return None
        n = self.held_together
        return ngettext(
            "{n} entry header inside client text (a HELO name, a sender, a recipient, a "
            "username) kept in the entry before it, since a client can forge one: the entry "
            "it starts is not read on their own; if this is pasted text, give it one entry "
            "per line",
            "{n} entry headers inside client text (a HELO name, a sender, a recipient, a "
            "username) kept in the entry before it, since a client can forge one: the entries "
            "they start are not read on their own; if this is pasted text, give it one entry "
            "per line",
            n,
        ).format(n=f"{n:,}")

    @property
    def skipped_total(self) -> int:
        """Lines that gave no entry: empty, binary or too long."""
        return self.empty + self.binary + self.too_long

    def problem(self, message: str) -> None:
        """Record one problem (a single line of text)."""
        self.problems.append(" ".join(message.split()))

    def fail(self, source: str, message: str) -> None:
        """Record that ``source`` gave not a line, and why (a problem)."""
        self.problem(message)
        self.failed.append(source)
        self.failed_why.append(self.problems[-1])

    def merge(self, other: ReadStats) -> None:
        """Add another read's counters and problems to these."""
        for f in fields(self):
            if f.name == "problems":
                self.problems.extend(other.problems)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
