"""The analyzer's two-process pipeline: a worker reads, the main process detects.

    scan_parallel(streams, options, feed, counts, progress)   same contract as scan.scan

Detection is sequential (one detector, events in input order); everything before it is
not tied to it. On a machine with two cores or more, a forked worker process reads the
input (decompression, decoding, the analysis prefilter, framing, the relevance filter
on records: :meth:`mailwarden.scan.Relevance.record`), parses the records it keeps when
the main process is busy, and sends them through a pipe; the main process turns them
back into :class:`~mailwarden.model.Record` and :class:`~mailwarden.model.Event` values,
parses the records the worker left unparsed, keeps the events that matter
(:meth:`~mailwarden.scan.Relevance.event`) and feeds the detector. Both run at once.

Decisions:
- Where the parsing happens balances the two processes (measured: with the whole of
  the reading and parsing in the worker, the main process waited half the time; with
  none, it was the slower one): parsing is pure, so it can happen on either side of
  the pipe. The worker leaves a batch's parsing to the main process when that has
  little left to read (`SHORT_OF_WORK`), and does it itself otherwise. The relevance
  filter on records is sequential (it remembers smtpd processes) and stays in the
  worker, which sees every record in order; the filter on events (it remembers the
  server's own addresses) is sequential too and runs in the main process, after the
  parsing, on every event in order.
- The wire format is compact and cheap: one :mod:`marshal` blob (version 2: no
  references, half the cost) per batch of records, each record one flat tuple of
  primitives with its events, or None when it is not parsed (:meth:`_Encoder.record`).
  The enums travel as a small code, the (host, program) pair and the source as indexes
  into tables sent once, a time as (POSIX seconds, zone index) (a wall-clock key for a
  ZoneInfo zone, whose folds a timestamp would lose), the zones pickled once. Pickling
  Events and Records costs several times more (their reduce runs in Python); the main
  process rebuilds them with ``tuple.__new__``, sharing one datetime per distinct time
  as framing does.
- The worker never waits on a full pipe while it could work (:class:`_Outbox`), and
  while it parses a batch it writes what waits as the pipe empties (`PUSH_RECORDS`): when
  the main process is the slower side, the next message is there as it takes the last.
- Events reach the detector in exactly the order :func:`mailwarden.scan.scan` feeds them,
  and the same ones: the same filters run on the same sequence, and whichever process
  parses a record gets the same events.
- The worker is forked, not spawned: it starts in milliseconds with the modules already
  imported. It exits with ``os._exit`` and never touches the parent's output streams.
- Used only where it pays (:func:`worth_a_worker`): two usable cores, regular files,
  and at least `MIN_BYTES` to read. Several streams are merged by time in the worker,
  as :func:`mailwarden.scan.scan` merges them (:class:`~mailwarden.scan.Relevance`
  then sees the merged sequence there too). Otherwise :func:`scan` runs in the
  process, as before. An input is looked at with ``stat`` before it is opened: a FIFO
  or standard input is read once, in the process (:func:`regular_bytes`).
- A failure in the worker (an input that cannot be opened, a bug) is sent back and
  raised in the main process; a worker that dies without a word is an error too.
"""

from __future__ import annotations

import array
import contextlib
import marshal
import os
import pickle
import select
import signal
import stat
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime, timezone, tzinfo
from typing import Any, BinaryIO

from mailwarden import scan as _scan
from mailwarden.errors import InputError, MailwardenError
from mailwarden.locale import gettext
from mailwarden.model import Category, Event, EventType, Record, Strength
from mailwarden.pipeline import Counts, ReadOptions
from mailwarden.posixtime import posix_seconds
from mailwarden.scan import Progress, Relevance, Stream, _analysis_batches
from mailwarden.sources.files import STDIN

MIN_BYTES = 8 << 20
"""Inputs smaller than this are read in the process: a worker costs tens of
milliseconds to start and the pipe a little per event."""
BATCH_RECORDS = 1024
"""Records per message on the pipe: some 350 KB at most in the benchmark's logs, a third
of the pipe (`PIPE_BYTES`). A message the pipe cannot hold whole keeps the main process
waiting in the middle of it for the worker to write the rest (measured with 4,096, on
the million lines of the passwords shape, 1.4 MB messages, two cores shared with other
work: 2.6 and 2.8 s of waits on an empty pipe; with 1,024, 0.06 and 0.22 s)."""
PUSH_RECORDS = 512
"""While the worker parses a batch, it writes what waits for the pipe every this many
records (a few milliseconds of its work): the main process, when it is the slower side,
finds the next message there soon after it has taken the last. (Measured on the
benchmark's million lines of the passwords shape, two cores shared with other work: the
main process waited on an empty pipe 4.4 and 6.0 s with the pipe filled only as each
batch was sent, 2.6 and 2.8 s with this; the pipe holds some 25 ms of its work there, a
batch takes the worker about 40 ms. Most waits left are inside messages larger than the
pipe, for the worker to be scheduled.)"""
SHORT_OF_WORK = 256 << 10
"""When the main process has less than this to read, the worker leaves the parsing of
the next batch to it (measured on two cores: both then stay busy)."""
BACKLOG_BYTES = 32 << 20
"""Most bytes the worker keeps waiting for the pipe before it waits too."""
PIPE_BYTES = 1 << 20
"""Pipe buffer asked for (Linux's default maximum): more than a batch."""

_HEADER = struct.Struct("<I")
_new = tuple.__new__
_BATCH, _PROGRESS, _END, _ERROR = 1, 2, 3, 4
_START, _ADVANCE, _FINISH = 1, 2, 3


def worth_a_worker(streams: Sequence[Stream], min_bytes: int = MIN_BYTES) -> bool:
    """Whether :func:`scan_parallel` pays here: two cores or more that this process may
    use, regular files only (standard input, FIFOs and the journal are read in the
    process, once), and enough bytes on disk (compressed files count ten times). Several
    streams (``mail.log*`` and ``dovecot.log*``) are merged by time in the worker."""
    if not two_cores() or not streams:
        return False
    total = 0
    for stream in streams:
        if stream.journal is not None or STDIN in stream.paths:
            return False
        size = regular_bytes(stream.paths)
        if size < 0:
            return False
        total += size
    return total >= min_bytes


def two_cores() -> bool:
    """Whether this process may use two cores or more, and fork."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores >= 2 and hasattr(os, "fork")


def regular_bytes(paths: Sequence[str]) -> int:
    """Bytes to read from ``paths`` (compressed files count ten times), or -1 when one of
    them is not a regular file (standard input, a FIFO, a device: read once, in the
    process) or cannot be looked at.

    Each path is looked at with ``stat`` first and opened only when it is a regular file:
    opening a FIFO to sniff it would consume its writer, and the real read would wait
    for ever. (Should the path become a FIFO between the two, ``O_NONBLOCK`` keeps the
    open from waiting, and the type is checked again on the open descriptor.)"""
    total = 0
    for path in paths:
        if path == STDIN:
            return -1
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return -1
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return -1
                packed = os.pread(fd, 2, 0) in (b"\x1f\x8b", b"BZ", b"\xfd7")
            finally:
                os.close(fd)
        except OSError:
            return -1
        total += info.st_size * (10 if packed else 1)
    return total


# -- encoding (worker side) --------------------------------------------------------------


class _Encoder:
    """Events -> flat tuples of primitives, with the tables they refer to: the codes of
    (type, category, hostile, strength), the zones, the (host, program) pairs and the
    sources met so far (the main process keeps the same tables)."""

    def __init__(self) -> None:
        self.codes: dict[tuple[Any, ...], int] = {}
        self.zones: dict[int, tuple[tzinfo, int]] = {}
        self.heads: dict[tuple[str | None, str | None], int] = {}
        self.sources: dict[str, int] = {}
        self.new: tuple[list[Any], list[bytes], list[Any], list[str]] = ([], [], [], [])
        self._times: dict[int, tuple[datetime, tuple[float | int, int]]] = {}

    def time(self, moment: datetime | None) -> tuple[float | int, int] | None:
        """``(POSIX seconds, zone)`` for a fixed-offset zone (the usual case: it gives the
        same wall clock back), else ``(wall-clock key, zone)`` (a ZoneInfo: the wall clock
        and fold as framing made them, which a timestamp may not give back)."""
        if moment is None:
            return None
        times = self._times
        hit = times.get(id(moment))
        if hit is not None and hit[0] is moment:
            return hit[1]
        zone = moment.tzinfo
        zone_index = 0
        if zone is not None:
            known = self.zones.get(id(zone))
            if known is None or known[0] is not zone:
                known = (zone, len(self.zones) + 1)
                self.zones[id(zone)] = known
                self.new[1].append(pickle.dumps(zone))
            zone_index = known[1]
        key: tuple[float | int, int]
        if zone.__class__ is timezone:
            key = (posix_seconds(moment), zone_index)  # = moment.timestamp()
        else:
            wall = (
                ((((moment.year * 13 + moment.month) * 32 + moment.day) * 24 + moment.hour) * 60)
                + moment.minute
            ) * 60 + moment.second
            key = ((wall * 1_000_000 + moment.microsecond) * 2 + moment.fold, zone_index)
        if len(times) > 65536:
            times.clear()
        times[id(moment)] = (moment, key)
        return key

    def code(self, head: tuple[Any, ...]) -> int:
        """The code of an event's (type, category, hostile, strength)."""
        code = self.codes.get(head)
        if code is None:
            code = self.codes[head] = len(self.codes)
            etype, category, hostile, strength = head
            self.new[0].append(
                (etype.value, category.value, hostile, None if strength is None else strength.value)
            )
        return code

    def head(self, host: str | None, program: str | None) -> int:
        pair = (host, program)
        index = self.heads.get(pair)
        if index is None:
            index = self.heads[pair] = len(self.heads)
            self.new[2].append(pair)
        return index

    def source(self, source: str) -> int:
        index = self.sources.get(source)
        if index is None:
            index = self.sources[source] = len(self.sources)
            self.new[3].append(source)
        return index

    def record(self, record: Record, events: list[Event] | None) -> tuple[Any, ...]:
        """``(time, message start, host and program, pid, source, line, offset, text)``
        followed by the one event's ``code, ip, port, user, mechanism, reason, attempts,
        session, service, server_ip, payload, detail`` (20 items: the usual case), or by
        a list of such 12-tuples when the record gave none or several (9 items), or by
        None for a record :class:`~mailwarden.scan.Relevance` has yet to decide on (not
        parsed). Slices of the NamedTuples, in their field order: no attribute lookups."""
        time, host, program, pid, message, source, line, offset, text = record
        start: int | str = len(text) - len(message) if text.endswith(message) else message
        head = self.heads.get((host, program))
        if head is None:
            head = self.head(host, program)
        where = self.sources.get(source)
        if where is None:
            where = self.source(source)
        when = None
        if time is not None:
            hit = self._times.get(id(time))
            when = hit[1] if hit is not None and hit[0] is time else self.time(time)
        if events is None:
            return (when, start, head, pid, where, line, offset, text, None)
        codes = self.codes
        if len(events) == 1:
            event = events[0]
            kind = event[:4]
            code = codes.get(kind)
            if code is None:
                code = self.code(kind)
            return (
                when,
                start,
                head,
                pid,
                where,
                line,
                offset,
                text,
                code,
                *event[4:9],
                *event[10:],
            )
        encoded = []
        for event in events:
            kind = event[:4]
            code = codes.get(kind)
            if code is None:
                code = self.code(kind)
            encoded.append((code, *event[4:9], *event[10:]))
        return (when, start, head, pid, where, line, offset, text, encoded)

    def tables(self) -> tuple[list[Any], list[bytes], list[Any], list[str]]:
        """The codes, zones, (host, program) pairs and sources met since the last call."""
        new, self.new = self.new, ([], [], [], [])
        return new


class _Outbox:
    """Length-prefixed marshal messages on a non-blocking pipe, with a backlog: the
    worker never waits on a full pipe while it could work (what the pipe does not take
    is kept, in order, up to `BACKLOG_BYTES`, and written between and during chunks)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.queue: deque[memoryview] = deque()
        self.queued = 0
        self.recent: deque[tuple[int, bool]] = deque(maxlen=4096)
        """(size, whether it is a chunk for the main process) of the last messages."""
        self.alternate: bool | None = None  # set when the pipe cannot be measured

    def send(self, message: Any, work: bool = False) -> None:
        data = marshal.dumps(message, 2)  # no references: half the cost of 4
        block = memoryview(_HEADER.pack(len(data)) + data)
        self.queue.append(block)
        self.queued += len(block)
        self.recent.append((len(block), work))
        self.flush(BACKLOG_BYTES)

    def push(self) -> None:
        """Write what the pipe takes now, without waiting."""
        if self.queue:
            self.flush(BACKLOG_BYTES)

    def flush(self, keep: int) -> None:
        """Write what the pipe takes now; wait while more than ``keep`` bytes are left."""
        queue = self.queue
        while queue:
            view = queue[0]
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                if self.queued <= keep:
                    return
                select.select([], [self.fd], [])
                continue
            self.queued -= written
            if written == len(view):
                queue.popleft()
            else:
                queue[0] = view[written:]

    def short_of_work(self) -> bool:
        """Whether the main process has little left to read (`SHORT_OF_WORK` bytes at
        most): it will be idle soon."""
        if self.alternate is not None:
            self.alternate = not self.alternate
            return self.alternate
        return self.queued + self._in_pipe() <= SHORT_OF_WORK

    def other_side_idle(self) -> bool:
        """Whether every chunk (``work``) sent to the main process has been taken off
        the pipe (it works on one at most): then it may take the next."""
        if self.alternate is not None:
            self.alternate = not self.alternate
            return self.alternate
        unread = self.queued + self._in_pipe()
        for size, work in reversed(self.recent):
            if unread <= 0:
                return True
            if work:
                return False
            unread -= size
        return True

    def _in_pipe(self) -> int:
        try:
            import fcntl
            import termios

            count = array.array("i", [0])
            fcntl.ioctl(self.fd, termios.FIONREAD, count)
            return count[0]
        except (ImportError, OSError, AttributeError):
            self.alternate = False
            return 0


class _PipeProgress:
    """Progress reported over the pipe (the main process draws the bar)."""

    def __init__(self, outbox: _Outbox) -> None:
        self.outbox = outbox

    def start(self, source: str) -> None:
        self.outbox.send((_PROGRESS, _START, source, 0, 0))

    def advance(self, source: str, size: int, lines: int) -> None:
        self.outbox.send((_PROGRESS, _ADVANCE, source, size, lines))

    def finish(self, source: str) -> None:
        self.outbox.send((_PROGRESS, _FINISH, source, 0, 0))


def _work(fd: int, streams: Sequence[Stream], options: ReadOptions) -> None:
    """The worker: read, prefilter, frame, keep the records :class:`Relevance` wants,
    parse them when the main process is busy, send them; then the counts."""
    outbox = _Outbox(fd)
    counts = Counts()
    encoder = _Encoder()
    record = encoder.record
    wanted = Relevance().record
    parse = _scan.parser()

    def send(part: list[Record]) -> None:
        if outbox.short_of_work():  # the main process parses these
            encoded = [record(item, None) for item in part]
        else:
            # What waits for the pipe goes into it as it empties, while this batch is
            # parsed (every PUSH_RECORDS records), not only when the batch is sent.
            encoded = []
            for start in range(0, len(part), PUSH_RECORDS):
                encoded += [
                    record(item, parse(item)) for item in part[start : start + PUSH_RECORDS]
                ]
                outbox.push()
        outbox.send((_BATCH, encoder.tables(), encoded))

    # What a chunk of one stream kept is sent as it comes (BATCH_RECORDS at most per
    # message): the parsing is shared out batch by batch, and larger, rarer messages
    # upset that balance (measured: 1 s more on a million lines). Several streams merged
    # by time come one record at a time: those are gathered up to BATCH_RECORDS.
    kept: list[Record] = []
    try:
        for batch, maybe in _analysis_batches(streams, options, counts, _PipeProgress(outbox)):
            kept += [item for item in batch if wanted(item, item.line in maybe)]
            if len(batch) > 1 or len(kept) >= BATCH_RECORDS:
                for start in range(0, len(kept), BATCH_RECORDS):
                    send(kept[start : start + BATCH_RECORDS])
                kept = []
        if kept:
            send(kept)
        outbox.send((_END, read_stats(counts)))
    except BaseException as exc:  # sent to the parent, which raises it
        outbox.send((_ERROR, *failure(exc)))
    outbox.flush(0)


# -- the two processes (shared with mailwarden.eventpool) ---------------------------------


def in_worker(work: Callable[[int], None], receive: Callable[[BinaryIO], None]) -> None:
    """Fork a worker that runs ``work(fd)``, writing its messages into a pipe, and run
    ``receive(pipe)`` here on the other end. The worker never returns (``os._exit``);
    when ``receive`` stops early (an error, Ctrl-C) the pipe is closed first, so a worker
    still writing gets EPIPE and ends (no deadlock), and it is reaped either way."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError, AttributeError, ImportError):
        import fcntl  # Linux: a batch fits in the pipe, the worker goes on at once

        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its work is checked through the parent
        status = 0
        try:
            os.close(read_fd)
            import gc

            gc.disable()
            work(write_fd)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    pipe = os.fdopen(read_fd, "rb")
    finished = False
    try:
        receive(pipe)
        finished = True
    finally:
        pipe.close()
        if not finished:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


def read_stats(counts: Counts) -> dict[str, Any]:
    """The worker's :class:`ReadStats`, as a message can carry them."""
    return {f.name: getattr(counts.read, f.name) for f in fields(counts.read)}


def add_read_stats(counts: Counts, read: dict[str, Any]) -> None:
    """Add the worker's :func:`read_stats` to this process's."""
    problems = read.pop("problems")
    for name, value in read.items():
        setattr(counts.read, name, getattr(counts.read, name) + value)
    counts.read.problems.extend(problems)


def failure(exc: BaseException) -> tuple[str, str]:
    """What the worker sends of the exception that stopped it (see :func:`failed`)."""
    return ("input" if isinstance(exc, InputError) else type(exc).__name__, str(exc))


def failed(kind: str, text: str) -> MailwardenError:
    """The error to raise here for the worker's :func:`failure`."""
    if kind == "input":
        return InputError(text)
    return MailwardenError(
        gettext("the reading process failed: {kind}: {text}").format(kind=kind, text=text)
    )


# -- decoding (main side) ----------------------------------------------------------------


def _messages(pipe: BinaryIO) -> Iterator[tuple[Any, ...]]:
    read = pipe.read
    while True:
        head = read(4)
        if len(head) < 4:
            return
        (length,) = _HEADER.unpack(head)
        data = read(length)
        if len(data) < length:
            return
        yield marshal.loads(data)  # noqa: S302 - written by our own child


def _time(key: tuple[float | int, int], zones: list[tzinfo | None]) -> datetime:
    """The datetime :meth:`_Encoder.time` encoded."""
    value, zone_index = key
    zone = zones[zone_index]
    if value.__class__ is float:
        return datetime.fromtimestamp(value, zone)
    key_value, fold = divmod(int(value), 2)
    wall, micro = divmod(key_value, 1_000_000)
    wall, second = divmod(wall, 60)
    wall, minute = divmod(wall, 60)
    wall, hour = divmod(wall, 24)
    wall, day = divmod(wall, 32)
    year, month = divmod(wall, 13)
    return datetime(year, month, day, hour, minute, second, micro, zone, fold=fold)


def scan_parallel(
    streams: Sequence[Stream],
    options: ReadOptions,
    feed: Callable[[Event], object],
    counts: Counts,
    progress: Progress,
) -> None:
    """:func:`mailwarden.scan.scan` with the reading in a worker process (see the module
    doc); the same events reach ``feed`` in the same order, and the same counts."""
    in_worker(
        lambda fd: _work(fd, streams, options),
        lambda pipe: _receive(pipe, feed, counts, progress),
    )


def _receive(
    pipe: BinaryIO,
    feed: Callable[[Event], object],
    counts: Counts,
    progress: Progress,
) -> None:
    """Turn the worker's messages back into records and events, in order; parse the
    records it did not; feed the events :meth:`~mailwarden.scan.Relevance.event` wants,
    as :func:`mailwarden.scan.analysis_events` does."""
    decode: list[tuple[EventType, Category, bool, Strength | None]] = []
    zones: list[tzinfo | None] = [None]
    heads: list[tuple[str | None, str | None]] = []
    sources: list[str] = []
    times: dict[tuple[float | int, int], datetime] = {}
    new = _new
    ended = False
    matters = Relevance().event
    parse = _scan.parser()
    records = recognised = events_count = 0
    last_line, last_where = 0, -1  # the last recognised physical line (pasted text)
    recognised_in: set[int] = set()  # the sources of recognised lines
    try:
        for message in _messages(pipe):
            kind = message[0]
            if kind == _BATCH:
                _, (codes, new_zones, new_heads, new_sources), batch = message
                for etype, category, hostile, strength in codes:
                    decode.append(
                        (
                            EventType(etype),
                            Category(category),
                            hostile,
                            None if strength is None else Strength(strength),
                        )
                    )
                zones.extend(pickle.loads(zone) for zone in new_zones)  # noqa: S301 - our child
                heads.extend(tuple(pair) for pair in new_heads)
                sources.extend(new_sources)
                # What analysis_events does with each record it wants, in the same order.
                item: tuple[Any, ...]  # a flat tuple: indexed as one (no generic lookups)
                for item in batch:
                    # Indexed, not unpacked from a slice: no tuple made per record.
                    key = item[0]
                    start = item[1]
                    head = item[2]
                    pid = item[3]
                    where = item[4]
                    line = item[5]
                    offset = item[6]
                    text = item[7]
                    if key is None:
                        time = None
                    else:
                        time = times.get(key)
                        if time is None:
                            if len(times) > 65536:
                                times.clear()
                            time = times[key] = _time(key, zones)
                    host, program = heads[head]
                    record = new(
                        Record,
                        (
                            time,
                            host,
                            program,
                            pid,
                            text[start:] if start.__class__ is int else start,
                            sources[where],
                            line,
                            offset,
                            text,
                        ),
                    )
                    records += 1
                    if len(item) == 20:  # one event, the usual case
                        # One tuple built, not six (the slices and concatenations).
                        code = decode[item[8]]
                        event = new(
                            Event,
                            (
                                code[0],
                                code[1],
                                code[2],
                                code[3],
                                item[9],
                                item[10],
                                item[11],
                                item[12],
                                item[13],
                                record,
                                item[14],
                                item[15],
                                item[16],
                                item[17],
                                item[18],
                                item[19],
                            ),
                        )
                        if line != last_line or where != last_where:
                            recognised += 1
                            if where != last_where:
                                recognised_in.add(where)
                            last_line, last_where = line, where
                        events_count += 1
                        if matters(event):
                            feed(event)
                        continue
                    encoded = item[8]
                    if encoded is None:  # not parsed by the worker
                        found = parse(record)
                    else:
                        wrapped = (record,)
                        found = [
                            new(Event, decode[event[0]] + event[1:6] + wrapped + event[6:])
                            for event in encoded
                        ]
                    if found:
                        if line != last_line or where != last_where:
                            recognised += 1
                            if where != last_where:
                                recognised_in.add(where)
                            last_line, last_where = line, where
                        events_count += len(found)
                        for event in [event for event in found if matters(event)]:
                            feed(event)
            elif kind == _PROGRESS:
                _, step, source, size, lines = message
                if step == _ADVANCE:
                    progress.advance(source, size, lines)
                elif step == _START:
                    progress.start(source)
                else:
                    progress.finish(source)
            elif kind == _END:
                add_read_stats(counts, message[1])
                ended = True
            elif kind == _ERROR:
                raise failed(*message[1:])
    finally:
        counts.records += records
        counts.recognised += recognised
        counts.events += events_count
        counts.recognised_in.update(sources[where] for where in recognised_in)
    if not ended:
        raise MailwardenError(gettext("the reading process ended before the end of the input"))


__all__ = ["MIN_BYTES", "regular_bytes", "scan_parallel", "two_cores", "worth_a_worker"]
