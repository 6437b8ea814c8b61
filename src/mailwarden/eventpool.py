"""`mailwarden events` on two cores: the chunks of the input shared between a worker
process and this one, printed in input order.

    print_events(paths, options, counts, render, write, parallel=None)

``events`` frames, parses and prints every line, and little in that depends on the
lines before (unlike detection): framing a chunk gives the same records wherever it is
done, given its file's date reference, whether the file is pasted text and where the
dating of its year-less lines stands (the year it reached, and the month of the last
entry dated: :meth:`mailwarden.framing.Framer.dating`), and parsing is pure. So the
work is shared out chunk by chunk: a forked worker reads the input
(decompression, cutting into chunks of whole lines, as :func:`mailwarden.pipeline.read_events`
does) and either handles a chunk itself, sending back the printed text, or sends the
chunk to this process, which frames, parses and renders it. This process writes
everything, in input order: a chunk's text follows the text of the chunk before it
whoever made it.

Decisions:
- Who takes a chunk is decided as they come, so that both processes stay busy: the
  worker sends the next chunk whenever every chunk it sent before has been taken off
  the pipe (this process works on one at most), also while it works on a chunk of its
  own (every `TICK_RECORDS` records): this process then works ahead, and keeps its text
  until the worker's chunks before it are written. Chunks are numbered in input order.
  The printed text does not depend on who made it.
- The worker sends its text in pieces as it goes (every `TICK_RECORDS` records): a
  chunk's text is larger than the pipe, and this process writes it while the worker
  makes the rest.
- The worker never waits on a full pipe while it could work (``scanpool._Outbox``).
- Only when it pays and is exact (:func:`worth_a_worker`): two usable cores, regular
  files only, `MIN_BYTES` at least, and no ``--year`` (the whole input is framed in one
  sequence, in the process). Without it a file is dated from its mtime, running
  forward from its first entry (a new year after December) too, so the worker shares
  only a chunk that cannot move the dating on (:meth:`Framer.dates_alike
  <mailwarden.framing.Framer.dates_alike>`: no month in it but the last entry's, which
  is the usual chunk, and no day of the mtime's month from the day after the mtime on,
  where the dates go back a year, nor in January, where the latest day dated says
  whether a December entry goes back a year), sent with where the dating
  stands; it frames a chunk that holds another month (or such a day) itself, and the
  first one that holds any. A file whose date reference
  cannot be read is handled whole by the worker.
- Standard input, FIFOs and other non-regular inputs are read once, in the process
  (:func:`mailwarden.scanpool.regular_bytes` does not open them).
- Errors: an input that cannot be opened is raised here after the text of the inputs
  before it, as in one process; a worker that fails or dies is an error too.
- The wire: length-prefixed :mod:`marshal` messages, as :mod:`mailwarden.scanpool`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import BinaryIO

from mailwarden.errors import MailwardenError
from mailwarden.framing import Framer, journal_marker, split_if_pasted
from mailwarden.model import Event, Record
from mailwarden.parsers import parse
from mailwarden.pipeline import Counts, ReadOptions, last_stamp, reference_time
from mailwarden.scanpool import (
    _messages,
    _Outbox,
    add_read_stats,
    failed,
    failure,
    in_worker,
    read_stats,
    regular_bytes,
    two_cores,
)
from mailwarden.sources.files import read_chunks
from mailwarden.sources.interface import Chunk

Render = Callable[[Record, list[Event]], str]
"""The text printed for one record's events (each line ending in a newline; "" for
none). It runs in the worker too: it must not write anything itself."""

MIN_BYTES = 8 << 20
"""Inputs smaller than this are read in the process: a worker costs tens of
milliseconds to start."""

TICK_RECORDS = 256
"""How often (in records) the worker hands what the pipe has room for to it while it
works on a chunk: the main process does not wait for a whole chunk's work."""


_FILE, _CHUNK, _TEXT, _END, _ERROR = 1, 2, 3, 4, 5


def worth_a_worker(paths: Sequence[str], options: ReadOptions, min_bytes: int = MIN_BYTES) -> bool:
    """Whether :func:`print_events` shares the work with a worker here (module doc)."""
    if options.year is not None or not paths or not two_cores():
        return False
    return regular_bytes(paths) >= min_bytes


def print_events(
    paths: Sequence[str],
    options: ReadOptions,
    counts: Counts,
    render: Render,
    write: Callable[[str], object],
    *,
    parallel: bool | None = None,
) -> None:
    """``write`` the rendered events of every input (expanded paths, in order), as
    :func:`mailwarden.pipeline.read_events` reads them; counts go to ``counts``.

    ``parallel``: share the work with a worker process (module doc); None decides by
    the machine, the inputs and the options."""
    if parallel is None:
        parallel = worth_a_worker(paths, options)
    if parallel:
        _in_two_processes(paths, options, counts, render, write)
        return
    framer = None
    for path in paths:
        pasted, chunks, reference, last = _open(path, counts)
        framer = options.framer(reference, pasted, counts.read, framer, last)
        for chunk in chunks:
            text = _chunk_text(chunk, framer, options, counts, render)
            if text:
                write(text)


def _open(path: str, counts: Counts) -> tuple[bool, Iterator[Chunk], datetime | None, str | None]:
    """Whether the input is pasted text, its chunks, its date reference and its last
    classic stamp, found as :func:`mailwarden.pipeline.records_of` finds them."""
    pasted, chunks = split_if_pasted(read_chunks(path, counts.read), counts.read)
    return pasted, chunks, reference_time(path), last_stamp(path)


def _chunk_text(
    chunk: Chunk,
    framer: Framer,
    options: ReadOptions,
    counts: Counts,
    render: Render,
    tick: Callable[[str], object] | None = None,
) -> str:
    """Frame, filter (--since/--until), parse and render one chunk; count as
    :func:`mailwarden.pipeline.read_events` counts. With ``tick``, the text is given to
    it every `TICK_RECORDS` records (the worker sends it on at once) and the rest is
    returned."""
    windowed, outside = options.windowed, options.outside
    out: list[str] = []
    keep = out.append
    records = recognised = events = 0
    last_line = 0  # the last recognised physical line: a pasted one holds several entries
    framed = list(framer.frame_chunk(chunk))
    step = TICK_RECORDS if tick is not None else max(len(framed), 1)
    for start in range(0, len(framed), step):
        if start and tick is not None:
            tick("".join(out))
            out.clear()
        for record in framed[start : start + step]:
            if windowed and outside(record.time):
                continue
            found = parse(record)
            if (
                not found
                and record.program is None
                and record.time is None
                and journal_marker(record.message) is not None
            ):
                continue  # journalctl's own line (-- Boot … --): no entry, as explain says
            records += 1
            if found:
                if record.line != last_line:
                    recognised += 1
                    last_line = record.line
                events += len(found)
                text = render(record, found)
                if text:
                    keep(text)
    counts.records += records
    counts.recognised += recognised
    counts.events += events
    return "".join(out)


# -- the worker --------------------------------------------------------------------------


def _work(fd: int, paths: Sequence[str], options: ReadOptions, render: Render) -> None:
    """The worker: read every input, share its chunks (module doc), then the counts.

    Chunks are numbered in input order. Between chunks, and every `TICK_RECORDS`
    records of one, the chunks after the one in hand are sent to the main process while
    it has none waiting: it works ahead, and its text waits there for the worker's."""
    outbox = _Outbox(fd)
    counts = Counts()
    number = 0
    held: list[Chunk] = []  # the next chunk, when its dates are the worker's to find

    def share_ahead(chunks: Iterator[Chunk] | None, framer: Framer) -> None:
        nonlocal number
        outbox.push()
        while chunks is not None and not held and outbox.other_side_idle():
            chunk = next(chunks, None)
            if chunk is None:
                return
            if not framer.dates_alike(chunk.data):  # a new month: see the module doc
                held.append(chunk)
                return
            message = (
                _CHUNK,
                number,
                chunk.source,
                chunk.data,
                chunk.first_line,
                chunk.offset,
                framer.dating(),
            )
            outbox.send(message, True)
            number += 1

    try:
        framer = None
        for path in paths:
            pasted, chunks, reference, last = _open(path, counts)
            framer = options.framer(reference, pasted, counts.read, framer, last)
            shared = None  # the worker does the whole file
            if reference is not None and options.year is None:  # see the module doc
                outbox.send((_FILE, pickle.dumps(reference), pasted))
                shared = chunks
            while True:
                share_ahead(shared, framer)
                chunk = held.pop() if held else next(chunks, None)
                if chunk is None:
                    break
                mine, number = number, number + 1

                def tick(
                    text: str,
                    mine: int = mine,
                    shared: Iterator[Chunk] | None = shared,
                    framer: Framer = framer,
                ) -> None:
                    if text:
                        outbox.send((_TEXT, mine, text, False))
                    share_ahead(shared, framer)

                text = _chunk_text(chunk, framer, options, counts, render, tick)
                outbox.send((_TEXT, mine, text, True))
        outbox.send((_END, read_stats(counts), counts.records, counts.recognised, counts.events))
    except BaseException as exc:  # sent to the parent, which raises it
        outbox.send((_ERROR, *failure(exc)))
    outbox.flush(0)


# -- this process ------------------------------------------------------------------------


def _in_two_processes(
    paths: Sequence[str],
    options: ReadOptions,
    counts: Counts,
    render: Render,
    write: Callable[[str], object],
) -> None:
    in_worker(
        lambda fd: _work(fd, paths, options, render),
        lambda pipe: _receive(pipe, options, counts, render, write),
    )


def _receive(
    pipe: BinaryIO,
    options: ReadOptions,
    counts: Counts,
    render: Render,
    write: Callable[[str], object],
) -> None:
    framer: Framer | None = None
    done: dict[int, str] = {}
    """The texts of chunks this process made ahead of the one to write next."""
    next_number = 0
    for message in _messages(pipe):
        kind = message[0]
        if kind in (_TEXT, _CHUNK):
            if kind == _TEXT:
                # The worker's: every chunk before it is written (the worker sends a
                # chunk's text after the chunks before it, this process makes a chunk's
                # text when it comes), so it is written at once, piece by piece.
                _, number, text, last = message
                if number != next_number:
                    raise MailwardenError("the reading process sent a text out of order")
            else:
                if framer is None:
                    raise MailwardenError("the reading process sent a chunk before its file")
                _, number, source, data, first_line, offset, dating = message
                if dating is not None:
                    framer.go_on_at(dating)
                chunk = Chunk(source, data, first_line, offset)
                text = _chunk_text(chunk, framer, options, counts, render)
                last = True
                if number != next_number:
                    done[number] = text
                    continue
            if text:
                write(text)
            if last:
                next_number += 1
                while next_number in done:
                    text = done.pop(next_number)
                    if text:
                        write(text)
                    next_number += 1
        elif kind == _FILE:
            _, reference, pasted = message
            framer = options.framer(
                pickle.loads(reference),  # noqa: S301 - written by our own child
                pasted,
                counts.read,
            )
        elif kind == _END:
            if done:
                raise MailwardenError("the reading process left a gap in the input")
            _, read, records, recognised, events = message
            add_read_stats(counts, read)
            counts.records += records
            counts.recognised += recognised
            counts.events += events
            return
        elif kind == _ERROR:
            raise failed(*message[1:])
    raise MailwardenError("the reading process ended before the end of the input")


__all__ = ["MIN_BYTES", "Render", "print_events", "worth_a_worker"]
