"""The analyzer's fast path: every line of a log archive into one detector, cheaply.

    scan(streams, options, feed, counts, progress)    lines -> records -> events -> feed

Most lines of a mail log say nothing about password guessing (deliveries, qmgr, cleanup,
lmtp). The parsers publish the literals that every line that can matter contains
(:data:`mailwarden.parsers.NEEDLES`, tested as :func:`~mailwarden.parsers.may_matter`),
so each chunk is decoded once, cut into lines, and only the lines that pass the
prefilter are framed, parsed and fed to the detector. The rest are counted.

Decisions:
- The kept lines of a chunk are framed together, as one chunk of their own, through
  :meth:`Framer.frame_chunk` (its inlined fast path costs a third less than framing
  line by line), and each record then gets its real line number and byte offset back.
- A TLS plaintext dump line (``Read N chars: AUTH PLAIN …``, smtpd_tls_loglevel 4)
  names no client: its session learns the address from the ``connect from`` line,
  which the needles leave out. A chunk that holds dump lines keeps its connect lines
  too, so decoded credentials keep their client address.
- Several inputs that are not one rotated set (``mail.log*`` and ``dovecot.log*``, a file
  and the journal) are merged by time, so a login in one file and the guesses before it
  in another reach the detector in the order they happened.
- ``--since``/``--until`` filter records by time; records without a time are kept.
"""

from __future__ import annotations

import gc
import heapq
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Protocol

from mailwarden.framing import Framer
from mailwarden.model import Event, Record
from mailwarden.parsers import may_matter, parse
from mailwarden.pipeline import Counts, ReadOptions, reference_time
from mailwarden.sources.files import STDIN, read_chunks, rotation_key
from mailwarden.sources.interface import Chunk, ReadStats

CHUNK_SIZE = 1 << 20
"""Bytes read (and decoded) at once from a plain file."""

_DUMP_MARK = b" chars: "
CONNECT_LOOKBACK = 2000
"""How far back (in lines of one chunk) the connect line of a TLS dump is looked for."""
_new = tuple.__new__
"""Record(...) through its generated __new__ costs a Python call; this does not."""


class Progress(Protocol):
    """Where the scan reports how far it got (a progress bar, or nothing)."""

    def start(self, source: str) -> None:
        """Reading of ``source`` begins."""

    def advance(self, source: str, size: int, lines: int) -> None:
        """``size`` more bytes (decompressed) and ``lines`` more lines of ``source``."""

    def finish(self, source: str) -> None:
        """``source`` has been read to its end (or to its damage)."""


class _NoProgress:
    def start(self, source: str) -> None:
        pass

    def advance(self, source: str, size: int, lines: int) -> None:
        pass

    def finish(self, source: str) -> None:
        pass


@dataclass(frozen=True)
class Stream:
    """One ordered input: the files of a rotated set (oldest first), standard input, or
    the journal. ``open`` yields its chunks; ``reference`` helps date lines without a
    year."""

    name: str
    paths: tuple[str, ...]
    journal: JournalQuery | None = None


@dataclass(frozen=True)
class JournalQuery:
    """What to ask journalctl for (``--journal``)."""

    since: datetime | None = None
    until: datetime | None = None
    matches: tuple[str, ...] = ()
    journalctl: str = "journalctl"


def streams_of(paths: Sequence[str], journal: JournalQuery | None = None) -> list[Stream]:
    """Group expanded input paths (``expand_inputs`` order) into streams: a rotated set
    is one stream, read oldest first; standard input and the journal are one each."""
    streams: list[Stream] = []
    current: list[str] = []
    current_set: str | None = None
    for path in paths:
        group = f"\0stdin{len(streams)}" if path == STDIN else rotation_key(path)[0]
        if current and group != current_set:
            streams.append(Stream(current_set or "", tuple(current)))
            current = []
        current.append(path)
        current_set = group
    if current:
        streams.append(Stream(current_set or "", tuple(current)))
    if journal is not None:
        streams.append(Stream("journal", (), journal))
    return streams


# -- one chunk ---------------------------------------------------------------------------


def _decoded_lines(data: bytes) -> tuple[list[str], list[int]]:
    """The lines of a chunk as text, and where each ends: ``ends[i]`` is the number of
    bytes of lines 0..i, newlines not counted.

    Invalid UTF-8 is kept as surrogate escapes, so the kept lines can be given back to
    framing byte for byte (framing decides on replacement characters and counts them)."""
    if data.isascii():
        lines = data.decode("ascii").split("\n")
        ends = list(accumulate(map(len, lines)))
    else:
        lines = data.decode("utf-8", "surrogateescape").split("\n")
        ends = list(accumulate(map(len, data.split(b"\n"))))
    if not lines[-1]:
        lines.pop()
    return lines, ends


def _with_connects(lines: list[str], kept: list[int]) -> list[int]:
    """``kept`` plus the ``connect from`` line of each smtpd process whose TLS dump lines
    are kept: a dump line names no client, its session takes the address from there.

    The connect line is looked for backwards from the first dump line of each process,
    and again from a later one only over the lines not searched yet (a new session of
    the same process), at most `CONNECT_LOOKBACK` lines. The tag must stand in the
    header (``postfix/smtpd[123]: connect from``), not in client text further on."""
    searched: dict[str, int] = {}
    extra: list[int] = []
    for index in kept:
        line = lines[index]
        mark = line.find(" chars: ")
        head = line.find(": ")
        if mark < 0 or head < 0 or head > mark:
            continue
        tag = line[line.rfind(" ", 0, head) + 1 : head]
        stop = searched.get(tag, index - CONNECT_LOOKBACK)
        searched[tag] = index
        needle = tag + ": connect from "
        for before in range(index - 1, max(stop, -1), -1):
            text = lines[before]
            at = text.find(needle)
            if at >= 0 and text.find(": ") == at + len(tag):
                extra.append(before)
                break
    if not extra:
        return kept
    return sorted(set(kept).union(extra))


def records_of_chunk(chunk: Chunk, framer: Framer) -> Iterator[Record]:
    """The records of the chunk's lines that pass the prefilter, with their real line
    numbers and offsets; every line is counted in ``framer.stats``."""
    data = chunk.data
    lines, ends = _decoded_lines(data)
    matter = may_matter
    kept = [index for index, line in enumerate(lines) if matter(line)]
    if _DUMP_MARK in data:
        kept = _with_connects(lines, kept)
    framer.stats.lines += len(lines) - len(kept)  # framing counts the kept ones
    if not kept:
        return
    encoding = "ascii" if data.isascii() else "utf-8"
    text = "\n".join([lines[index] for index in kept])
    source, first, base = chunk.source, chunk.first_line, chunk.offset
    for r in framer.frame_chunk(Chunk(source, text.encode(encoding, "surrogateescape"), 1, 0)):
        index = kept[r[6] - 1]
        # Line i starts after the i lines before it and their newlines.
        offset = base + ends[index - 1] + index if index else base
        yield _new(Record, (r[0], r[1], r[2], r[3], r[4], source, first + index, offset, r[8]))


# -- whole inputs --------------------------------------------------------------------------


def _chunks_of(stream: Stream, stats: ReadStats, progress: Progress) -> Iterator[Chunk]:
    if stream.journal is not None:
        from mailwarden.sources.journal import read_journal

        query = stream.journal
        progress.start("journal")
        for chunk in read_journal(
            stats,
            since=query.since,
            until=query.until,
            matches=query.matches,
            journalctl=query.journalctl,
        ):
            yield chunk
            progress.advance("journal", len(chunk.data), chunk.data.count(b"\n"))
        progress.finish("journal")
        return
    for path in stream.paths:
        progress.start(path)
        for chunk in read_chunks(path, stats, CHUNK_SIZE):
            yield chunk
            progress.advance(path, len(chunk.data), chunk.data.count(b"\n"))
        progress.finish(path)


def records_of_stream(
    stream: Stream, options: ReadOptions, counts: Counts, progress: Progress
) -> Iterator[Record]:
    """Every prefiltered record of one stream, in order, within --since/--until."""
    since, until = options.since, options.until
    for path_chunks, reference in _framed_parts(stream, counts.read, progress):
        framer = Framer(
            year=options.year,
            reference=reference,
            tz=options.tz,
            split_pasted=options.split_pasted,
            stats=counts.read,
        )
        for chunk in path_chunks:
            for record in records_of_chunk(chunk, framer):
                time = record.time
                if time is not None and (
                    (since is not None and time < since) or (until is not None and time > until)
                ):
                    continue
                counts.records += 1
                yield record


def _framed_parts(
    stream: Stream, stats: ReadStats, progress: Progress
) -> Iterator[tuple[Iterator[Chunk], datetime | None]]:
    """Per file of the stream (or the journal): its chunks and its date reference. Each
    file gets its own framer: the year of a line without one comes from its file."""
    if stream.journal is not None:
        yield _chunks_of(stream, stats, progress), None
        return
    for path in stream.paths:
        yield _chunks_of(Stream(stream.name, (path,)), stats, progress), reference_time(path)


def _timed(records: Iterator[Record], order: int) -> Iterator[tuple[float, int, int, Record]]:
    """(time, stream, sequence, record) for the merge; a record without a time sorts
    with the record before it."""
    last = float("-inf")
    for sequence, record in enumerate(records):
        time = record.time
        if time is not None:
            last = time.timestamp()
        yield last, order, sequence, record


def records_of_streams(
    streams: Sequence[Stream], options: ReadOptions, counts: Counts, progress: Progress
) -> Iterator[Record]:
    """The records of every stream; several streams are merged by time."""
    if len(streams) == 1:
        yield from records_of_stream(streams[0], options, counts, progress)
        return
    merged = heapq.merge(
        *(
            _timed(records_of_stream(stream, options, counts, progress), order)
            for order, stream in enumerate(streams)
        )
    )
    for _time, _order, _sequence, record in merged:
        yield record


def scan(
    streams: Sequence[Stream],
    options: ReadOptions,
    feed: Callable[[Event], object],
    counts: Counts,
    progress: Progress | None = None,
) -> None:
    """Read every stream and feed each event to ``feed`` (the detector), in time order
    across streams and line order within one. Counts go to ``counts``."""
    progress = progress or _NoProgress()
    recognised = events = 0
    try:
        for record in records_of_streams(streams, options, counts, progress):
            found = parse(record)
            if found:
                recognised += 1
                events += len(found)
                for event in found:
                    feed(event)
    finally:
        counts.recognised += recognised
        counts.events += events


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the scan with the cyclic garbage collector mostly idle.

    The scan makes millions of short-lived tuples and keeps a large, long-lived detector
    state; with the default thresholds the collector walks that state again and again
    (up to a quarter of the run time at a million lines, measured). Nothing on this path
    makes reference cycles per line, so collections are made rare, not impossible, and
    the old settings come back after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def input_size(paths: Sequence[str]) -> int:
    """Bytes on disk of the input files (0 for standard input)."""
    total = 0
    for path in paths:
        if path == STDIN:
            continue
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
    return total


__all__ = [
    "CHUNK_SIZE",
    "JournalQuery",
    "Progress",
    "Stream",
    "fewer_collections",
    "input_size",
    "records_of_chunk",
    "records_of_stream",
    "records_of_streams",
    "scan",
    "streams_of",
]
