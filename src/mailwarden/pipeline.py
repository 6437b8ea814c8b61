"""Wiring of the first stages for the one-shot commands: inputs -> chunks -> records -> events.

`explain`, `events` and `analyze` all read through here, so a log is framed and parsed
one way only. The daemon wires the same stages to a follower instead of `read_chunks`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from mailwarden.framing import Framer, last_classic_stamp, split_if_pasted
from mailwarden.model import Event, Record
from mailwarden.parsers import may_matter, parse
from mailwarden.sources.files import expand_inputs, plain_tail, read_chunks
from mailwarden.sources.interface import ReadStats

UNTIL_SLACK = timedelta(days=1)
"""How far past --until a rotated file must end for its newer files not to be opened
(`ReadOptions.read_until`)."""


@dataclass(frozen=True)
class ReadOptions:
    """How to turn a person's inputs into records."""

    year: int | None = None
    tz: tzinfo | None = None
    split_pasted: bool = True
    """Split pasted text (several entries on one line) when the input looks pasted."""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def windowed(self) -> bool:
        """Is there a --since or --until?"""
        return self.since is not None or self.until is not None

    @property
    def read_until(self) -> datetime | None:
        """A rotated set's files newer than one that ends later than this are not
        opened: --until and a day (`UNTIL_SLACK`: a syslog that writes late, a clock
        set back). None without --until, or when that is past the last date there is
        (--until 9999-12-31: every file is opened)."""
        if self.until is None:
            return None
        try:
            return self.until + UNTIL_SLACK
        except OverflowError:
            return None

    def outside(self, time: datetime | None) -> bool:
        """Is an entry of this time outside --since/--until? (One without a time never
        is.)"""
        since, until = self.since, self.until
        return time is not None and (
            (since is not None and time < since) or (until is not None and time > until)
        )

    def framer(
        self,
        reference: datetime | None,
        pasted: bool,
        stats: ReadStats,
        previous: Framer | None = None,
        last: str | None = None,
    ) -> Framer:
        """The framer for one input: ``reference`` dates its year-less entries (its
        mtime, `reference_time`) without --year, with ``last``, its last classic stamp
        when it could be read (`last_stamp`): its entries run forward from a year that
        ends them no more than a day after the reference (:class:`Framer`). ``pasted``:
        whether it is pasted text (``split_if_pasted``). ``previous``: the framer of the
        file read before it in the same run (a rotated set's older file): with --year,
        this one's entries go on from the year that one's reached (``--year`` is the
        year of the first entry, not of every file's)."""
        framer = Framer(
            year=self.year,
            reference=reference,
            last=last if self.year is None else None,
            tz=self.tz,
            split_pasted=self.split_pasted and pasted,
            stats=stats,
            native=True,
        )
        if previous is not None and self.year is not None:
            framer.go_on_from(previous)
        return framer


@dataclass
class Counts:
    """What one read saw: the framing/source counters plus what parsing recognised."""

    read: ReadStats = field(default_factory=ReadStats)
    records: int = 0
    recognised: int = 0
    """Physical lines with at least one entry that gave events (a pasted line holding
    several entries counts once, as it counts once in ``read.lines``)."""
    events: int = 0
    recognised_in: set[str] = field(default_factory=set)
    """The inputs (a record's source) with at least one recognised line (``analyze``:
    :func:`mailwarden.scan.analysis_events`; ``explain``: :func:`read_events`)."""


def reference_time(path: str) -> datetime | None:
    """The reference for dates written without a year: the file's modification time,
    the current time for standard input (its entries were written before it is read);
    None when the file cannot be looked at, or when its mtime is no date (before year 1
    or after 9999: ``touch -d``, a broken clock, a crafted archive)."""
    import os
    from datetime import UTC

    if path == "-":
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
    except (OSError, ValueError, OverflowError):
        return None


def last_stamp(path: str) -> str | None:
    """The last classic syslog stamp of a plain regular file, from its last few KB; None
    for a compressed file, standard input, or a file whose end holds none (its entries
    are then dated from the first: :meth:`ReadOptions.framer`)."""
    tail = plain_tail(path)
    return last_classic_stamp(tail) if tail else None


def records_of(
    path: str, options: ReadOptions, counts: Counts, framers: list[Framer] | None = None
) -> Iterator[Record]:
    """Every record of one input, in order, within --since/--until when given.
    ``framers``: the framer of the input read before it (its last item), to date this
    one's entries on from it (:meth:`ReadOptions.framer`); this one's is appended."""
    from mailwarden.scan import sniffed

    # An input whose first lines are no log entries (UTF-16, gzipped twice) is named in
    # ``counts.read.not_logs``, as analyze names it.
    read = sniffed(read_chunks(path, counts.read), options, counts.read)
    pasted, chunks = split_if_pasted(read, counts.read)
    previous = framers[-1] if framers else None
    framer = options.framer(reference_time(path), pasted, counts.read, previous, last_stamp(path))
    if framers is not None:
        framers[:] = [framer]
    outside = options.outside
    for chunk in chunks:
        for record in framer.frame_chunk(chunk):
            if outside(record.time):
                continue
            counts.records += 1
            yield record


def read_events(
    inputs: Sequence[str], options: ReadOptions, counts: Counts
) -> Generator[tuple[Record, list[Event]], None, None]:
    """Each record of every input with its events: a rotated set in time order (its
    older file first), several logs (mail.log and auth.log, or mail.log and syslog)
    merged by time as ``analyze`` merges them (:func:`mailwarden.scan.merged_records`),
    so that the lines of one attempt meet in the order they were written, and a line
    two of them hold is read once."""
    last: tuple[str, int] | None = None
    for record in _records_of_inputs(expand_inputs(inputs), options, counts):
        events = parse(record)
        if events:
            if last is None or record.line != last[1] or record.source != last[0]:
                counts.recognised += 1
                counts.recognised_in.add(record.source)
                last = (record.source, record.line)
            counts.events += len(events)
        yield record, list(events)


def _records_of_inputs(paths: list[str], options: ReadOptions, counts: Counts) -> Iterator[Record]:
    """The records of the expanded ``paths``: one rotated set (or one file) as it is,
    several merged by time."""
    from mailwarden.scan import merged_records, ordered_records, streams_of

    streams = streams_of(paths)
    if len(streams) <= 1:
        return ordered_records(_records_of_set(paths, options, counts), counts.read)
    sets = [_records_of_set(stream.paths, options, counts) for stream in streams]
    return merged_records(sets, counts.read)


def _records_of_set(paths: Sequence[str], options: ReadOptions, counts: Counts) -> Iterator[Record]:
    """The records of the files of one rotated set (oldest first), each dated on from the
    one before it (:meth:`ReadOptions.framer`)."""
    framers: list[Framer] = []
    for path in paths:
        yield from records_of(path, options, counts, framers)


__all__ = [
    "Counts",
    "ReadOptions",
    "may_matter",
    "read_events",
    "records_of",
]
