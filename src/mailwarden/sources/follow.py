"""Following log files live, for the daemon.

`FileFollower.poll` returns what was appended since the last call, never blocks, and
survives what happens to log files in production:

- rotation by rename (logrotate's default, Postfix's ``postfix logrotate``): the old
  file is read to its end, then kept open for `rotate_grace` seconds for the writer's
  last lines before it is closed; the new file is read from its start, after the old
  one's rest. A writer that still writes to the old file after that (not told to
  reopen its log) is said once, and the old file read on as long as it grows (until
  `LATE_WATCH` seconds without a write, or its deletion);
- copytruncate: the file shrinks, or its first bytes change, so it is read again
  from the start; when a sibling (``mail.log.1``) holds a copy of the old content
  (its first bytes and at least the length read so far), the rest of the old content
  is read from the copy first; without a copy, a note says so, and when what the
  file holds now is only its own first lines (``head -n 2 mail.log > x; cat x >
  mail.log``, checked against its first `HEAD_KEEP` bytes as read, even when the
  truncation and the writing are seen at two polls; a part of a line kept is passed
  over too), they are not read again while the daemon runs (a rewrite while it is
  stopped is read again from the start, and the note says so: only a fingerprint of
  the first bytes is stored);
- a file that does not exist yet is picked up when it appears, from its start;
- the log replaced by an edited copy of itself while followed (``sed -i '/x/d'
  mail.log``, ``grep -v x mail.log > y && mv y mail.log``, an editor's save: another
  file, one of whose first lines is one read from the old file): the lines read from
  the old file are not read again; reading goes on after the last of them found in the
  new file (`rewritten_copy`), and a warning says so. A rotation's new file is not such
  a copy: it starts empty, its lines are new;
- a restart: `positions` gives, per path, a `Position` (device, inode, offset, line
  number and a fingerprint of the first bytes) to store; given back to the
  constructor it resumes exactly there. When the file was replaced meanwhile (other
  inode, or same inode with other first bytes) the stored file is looked for among
  its siblings in the same folder (and, for a symbolic link, in the folder of the file
  it leads to, where a rotation of that file puts it; not in logrotate's ``olddir``),
  renamed (same inode), copied (same first bytes, at
  least as long) or compressed (gzip, bzip2, xz: the same first bytes and length once
  decompressed, which takes decompressing it up to the stored offset), and its rest is
  read first, then, when it was rotated more than once meanwhile, the files rotated
  after it, whole and oldest first by their names (``mail.log.1`` after
  ``mail.log.2``, ``mail.log-20261129`` after ``mail.log-20261128``; compressed ones
  decompressed; `rotated_after`); when it is nowhere, a note says that its later lines
  are lost. A file empty when last read (its fingerprint, of no bytes, matches any file)
  is told by when that was (`Position.checked`): the siblings with a rotation's name
  changed since then hold what was written to it while the daemon was stopped (a
  copytruncate's copy, the file renamed, compressed, rotated more than once): they are
  read whole, oldest first by their last change, then the path from its start
  (`changed_since`; a position stored by an older version, without that time, resumes
  as before). (That
  decompression is done in one go, not in `read_budget` pieces: a stop waits for it.
  Measured: about 1.5 s per GB of log with gzip, logrotate's default; bzip2 and xz are
  ten to twenty times slower. The warm-up decompresses it once more.)
- a file that cannot be read (EIO, a permission lost to logrotate's ``create`` mode,
  a directory or a FIFO in its place, ESTALE on NFS): its reading stops where it was,
  one line in `notes` says why (again when the reason changes), `failures` lists it
  for ``status``, the other files go on, and it is tried again after 1, 2, 4, ...
  seconds, at most `RETRY_MAX` apart, and at once when what is at the path changes
  (another file, a chmod or chown: one stat per poll, as for a file being read); when
  it can be read again, a note says so and reading resumes where it stopped.
  Nothing is ever opened that could block (a FIFO) or never end (a device).

One poll reads at most `read_budget` bytes of each file, so a backlog (everything
written while the daemon was stopped) is read in bounded pieces, one per poll, and a
stop between two polls leaves a position that resumes exactly after the last piece.
A path that a poll is told to skip (the daemon holds lines of it back) is not read,
but still looked at (one stat): a rotation meanwhile is noticed as when it is read,
the renamed file kept open with its rest unread, so that two rotations before it is
read again lose nothing. A rotated file that goes on for `SKIP_MAX` bytes without a
line break (NUL bytes: damage, or a decompression bomb) is said and let go of, its rest
unread: the files after it, the live one last, do not wait for it.

A line is emitted once it has its newline: an unfinished last line is held back
(a position never points into it), so no line is lost or read twice.

Polling rather than inotify: a stat and a read per file every `poll_interval`
(0.1 s by default) costs nothing measurable and keeps the median delay near 50 ms,
with no dependency and the same code on every filesystem (inotify misses changes on
network filesystems and needs care with rotation anyway).

Files that exist when following starts, without a stored position, are read from their
end unless ``from_start`` is given: a daemon acts on what happens from now on.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.files import compression, unpacked
from mailwarden.sources.interface import Chunk, ReadStats

FINGERPRINT_SIZE = 256
HEAD_KEEP = 64 << 10
"""Bytes of the start of a followed file kept as read: when the file is rewritten in
place with a part of its start (``head -n 2 mail.log > x; cat x > mail.log``), those
lines are known as read and not counted again (while the daemon runs)."""
_READ = 1 << 20
READ_BUDGET = 1 << 20
"""Bytes of one file that one poll reads at most: the daemon processes a backlog in
pieces of this size, and notices a stop request between two of them."""
LATE_WATCH = 600.0
"""A file renamed by a rotation whose writer still writes to it after `rotate_grace` (it
was not told to reopen its log) is read on as long as it grows, until it has had no
write for this many seconds (or is deleted)."""
LATE_FILES = 2
"""Such files watched per followed path beyond their grace: past that, those that have
not grown for the longest are let go, never one that grew within its grace (still
written to), up to `LATE_FILES_MAX`."""
LATE_FILES_MAX = 16
"""Open files watched per followed path at the most, growing or not: past that, the one
that has not grown for the longest is let go, and a warning says its later lines are not
read."""
SKIP_MAX = 64 << 20
"""A rotated file (renamed away, or compressed) that goes on this many bytes without a
line break (NUL bytes: a crash's damage, a damaged or forged archive; a gzip bomb of 18
MB gives 4 GiB of them) is not read further: the line is skipped and counted as
over-long (as any line over `MAX_LINE`), the rest of the file said and skipped, and the
next file read. Read on, such a file kept the live one waiting for as long as its
decompression took (minutes to hours). A crash's NUL bytes run for a few seconds' worth
of writes, far less than this."""
RETRY_FIRST = 1.0
RETRY_MAX = 60.0
"""A file that cannot be read is tried again after 1, 2, 4, ... seconds, then every
minute."""


class Position(NamedTuple):
    """Where reading of one file stopped. Plain ints and a str: JSON and pickle it."""

    device: int
    inode: int
    offset: int
    """Byte offset of the first line not yet read."""
    line: int
    """Number of that line."""
    fingerprint: str
    """Hex SHA-256 of the file's first `fingerprint_size` bytes."""
    fingerprint_size: int
    checked: int = 0
    """For a file empty when last read (offset 0, no fingerprint): when that was (ns since
    the epoch; 0: not known, a position stored by an older version). The rotated files
    changed after it hold lines written after it (`empty_at`)."""

    def to_json(self) -> dict[str, int | str]:
        return dict(self._asdict())

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Position:
        def number(key: str) -> int:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"position: {key} must be a non-negative integer")
            return value

        fingerprint = data["fingerprint"]
        if not isinstance(fingerprint, str):
            raise ValueError("position: fingerprint must be a string")
        return cls(
            number("device"),
            number("inode"),
            number("offset"),
            max(1, number("line")),
            fingerprint,
            number("fingerprint_size"),
            number("checked") if "checked" in data else 0,
        )


def empty_at(stored: Position) -> int:
    """When the file ``stored`` was taken from was last read and found empty (ns since
    the epoch); 0 when it was not empty, or that is not known. Its fingerprint (of no
    bytes) matches every file, so it does not tell where its lines went: the rotated
    files changed after that hold them (`changed_since`). (A file's mtime comes from a
    clock that lags by up to a timer tick, a few ms: a file whose last write came within
    a tick after that time, and never again, is taken as unchanged. A margin the other
    way would read again, whole, a rotated file last written just before.)"""
    if stored.offset or stored.fingerprint_size:
        return 0
    return stored.checked


class NotALogFile(OSError):
    """A followed path holds a directory, a FIFO, a device or a socket."""


_KINDS = (
    (stat.S_ISDIR, "a directory", errno.EISDIR),
    (stat.S_ISFIFO, "a FIFO (named pipe)", errno.EINVAL),
    (stat.S_ISCHR, "a character device", errno.EINVAL),
    (stat.S_ISBLK, "a block device", errno.EINVAL),
    (stat.S_ISSOCK, "a socket", errno.EINVAL),
)


def open_regular(path: str) -> int:
    """A descriptor open for reading on the regular file at ``path``; the caller closes
    it. Never blocks (a FIFO is opened without waiting for a writer, then refused).

    Raises FileNotFoundError when nothing is there, `NotALogFile` when something other
    than a regular file is, and OSError for the rest (EACCES, EIO, ESTALE, ...)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what, code = next(
                ((what, code) for test, what, code in _KINDS if test(mode)),
                ("not a regular file", errno.EINVAL),
            )
            raise NotALogFile(code, f"is {what}, not a log file", path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def reason(exc: OSError) -> str:
    """One line saying why a file cannot be read: the system's words and the error's
    name (``Input/output error (EIO)``)."""
    text = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno) if exc.errno and not isinstance(exc, NotALogFile) else ""
    if name:
        text = f"{text} ({name})"
    if exc.errno == errno.EACCES:
        text += f" for user id {os.geteuid()} (logrotate's create mode or owner?)"
    return " ".join(text.split())


def _head(fd: int) -> bytes:
    """The file's first `FINGERPRINT_SIZE` bytes (none when it cannot be read)."""
    try:
        return os.pread(fd, FINGERPRINT_SIZE, 0)
    except OSError:
        return b""


def _fingerprint(fd: int, size: int) -> tuple[str, int]:
    head = os.pread(fd, size, 0)
    return hashlib.sha256(head).hexdigest(), len(head)


class _Reading:
    """What `_Open` and `_Unpacked` share: the lines read so far, emitted as chunks."""

    splitter: LineSplitter

    def _take(self, data: bytes, stats: ReadStats, out: list[Chunk]) -> None:
        stats.bytes += len(data)
        chunk = self.splitter.feed(data)
        if chunk is not None:
            out.append(chunk)

    def close(self, out: list[Chunk]) -> None:
        tail = self.splitter.finish()
        if tail is not None:
            out.append(tail)
        self.discard()

    def discard(self) -> None:
        """Close without emitting the held-back unfinished line."""
        raise NotImplementedError


class _Open(_Reading):
    """One open file being read: its identity, where reading is, its fingerprint."""

    def __init__(self, source: str, fd: int, stats: ReadStats) -> None:
        st = os.fstat(fd)
        self.fd = fd
        self.device, self.inode = st.st_dev, st.st_ino
        self.size = -1
        self.splitter = LineSplitter(source, stats)
        self.fingerprint, self.fingerprint_size = _fingerprint(fd, FINGERPRINT_SIZE)
        self.deadline = 0.0
        self.caught_up = False
        """Read to its end at least once (a rotated file's rest is all read)."""
        self.head = b""
        """Its first bytes up to where it was read, `HEAD_KEEP` at the most."""
        self.kept = b""
        """After a truncation (no copy): the first bytes read before it, while the file
        is empty or holds a start of them (a rewrite in place being written, maybe in
        pieces): what comes is checked against them (`_rewriting`)."""
        self.kept_before: Position | None = None
        """Where reading was before that truncation."""
        self.watch_until = 0.0
        """Renamed by a rotation: read on after its grace while it grows, until then."""
        self.late = False
        """Lines came after its grace (said once)."""
        self.grew_at = 0.0
        """Renamed by a rotation: when it last grew (or was renamed)."""
        self.dropped = False
        """Let go at `LATE_FILES_MAX` while still written to: closed, even if it grows."""
        self.checked = 0
        """When it was last read to its end while empty (`Position.checked`)."""
        self.prior: tuple[int, _Open] | None = None
        """New at the path: the file it replaced (a descriptor of its own on it, and it),
        until it is known whether this is an edited copy of it (`rewritten_copy`)."""
        stats.files += 1

    def resume_at(self, stored: Position, stats: ReadStats) -> None:
        self.splitter = LineSplitter(
            self.splitter.source, stats, line=stored.line, offset=stored.offset
        )
        self.head = os.pread(self.fd, min(stored.offset, HEAD_KEEP), 0)
        self.checked = stored.checked

    def read_prefix(self, head: bytes, read_to: int, size: int, stats: ReadStats) -> int:
        """After `restart`: when the file now holds (``size`` bytes) only a start of what
        was read before (``head``, up to ``read_to``), a whole line at least, go on at its
        end, even inside a line (its start was read: what the writer adds next is a new
        line); how many whole lines it holds (0: not such a start, read again from the
        start). More of that start written later is passed over too (`skip_kept`)."""
        if size > read_to or size > len(head):
            return 0
        data = os.pread(self.fd, size, 0)
        if len(data) != size or b"\n" not in data or data != head[:size]:
            return 0
        self.splitter = LineSplitter(
            self.splitter.source, stats, line=data.count(b"\n") + 1, offset=size
        )
        self.head = data
        self.kept = head
        return data.count(b"\n")

    def skip_kept(self, size: int, stats: ReadStats) -> bool:
        """The file grew to ``size`` after `read_prefix`: when what came is more of the start
        read before (the rewrite is written in pieces), go on at its end and True; else
        forget that start (what came is new) and False."""
        at = self.splitter.read_to
        if size > len(self.kept) or self.splitter.offset != at:
            self.kept = b""
            return False
        data = os.pread(self.fd, size - at, at)
        if len(data) != size - at or data != self.kept[at:size]:
            self.kept = b""
            return False
        self.splitter = LineSplitter(
            self.splitter.source, stats, line=self.splitter.line + data.count(b"\n"), offset=size
        )
        self.head += data
        return True

    def position(self) -> Position:
        return Position(
            self.device,
            self.inode,
            self.splitter.offset,
            self.splitter.line,
            self.fingerprint,
            self.fingerprint_size,
            self.checked,
        )

    def replaced(self, size: int) -> bool:
        """Was the file truncated or rewritten in place (copytruncate)?"""
        if size < self.splitter.read_to:
            return True
        # The first bytes are compared even when the size did not change: a file copied,
        # truncated and written again up to the very size seen last (or to where we
        # read) is another file, and its lines were never read.
        self.size = size
        if self.fingerprint_size < FINGERPRINT_SIZE or size >= FINGERPRINT_SIZE:
            head = os.pread(self.fd, FINGERPRINT_SIZE, 0)
            if hashlib.sha256(head[: self.fingerprint_size]).hexdigest() != self.fingerprint:
                return True
            if len(head) > self.fingerprint_size:
                self.fingerprint = hashlib.sha256(head).hexdigest()
                self.fingerprint_size = len(head)
        return False

    def restart(self, stats: ReadStats) -> None:
        self.fingerprint, self.fingerprint_size = _fingerprint(self.fd, FINGERPRINT_SIZE)
        self.splitter = LineSplitter(self.splitter.source, stats)
        self.size = -1
        self.head = b""
        self.kept = b""
        self.kept_before = None

    def drain(self, stats: ReadStats, out: list[Chunk], budget: int) -> bool:
        """Read on, at most ``budget`` bytes; True when the end was reached."""
        empty = time.time_ns() if self.splitter.read_to == 0 else 0
        while budget > 0:
            at = self.splitter.read_to
            data = os.pread(self.fd, min(_READ, budget), at)
            if not data:
                self.caught_up = True
                if empty:
                    self.checked = empty  # nothing was there: what comes later is new
                return True
            if at < HEAD_KEEP and len(self.head) == at:
                self.head += data[: HEAD_KEEP - at]
            budget -= len(data)
            self._take(data, stats, out)
        return False

    def discard(self) -> None:
        """Close without emitting the held-back unfinished line."""
        self.forget_prior()
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def forget_prior(self) -> None:
        if self.prior is not None:
            with contextlib.suppress(OSError):
                os.close(self.prior[0])
            self.prior = None


def file_matches(fd: int, stored: Position) -> bool:
    """Is the file open as ``fd`` the one ``stored`` was taken from: the same device and
    inode, at least as long as the stored offset, the same first bytes?"""
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (stored.device, stored.inode):
        return False
    return _same_start(fd, st.st_size, stored)


def copy_matches(fd: int, stored: Position) -> bool:
    """Is the file open as ``fd`` a copy of the one ``stored`` was taken from (what
    copytruncate leaves in ``mail.log.1``): at least as long as the stored offset, with
    the same first bytes? Only when the stored fingerprint covers everything read (up
    to `FINGERPRINT_SIZE` bytes): a shorter start could be another file's too."""
    if not _fingerprint_covers(stored):
        return False
    return _same_start(fd, os.fstat(fd).st_size, stored)


def _fingerprint_covers(stored: Position) -> bool:
    """Whether the stored fingerprint covers everything read (up to `FINGERPRINT_SIZE`
    bytes), so that a copy can be told by it. A position at the very start of a file
    whose first bytes were taken (nothing of it read yet: the daemon holds its first
    lines back for another input's backlog, or a rotated file read whole had not
    given a line yet) is told by them too; not one of an empty file, whose fingerprint
    every file matches."""
    return stored.fingerprint_size >= min(FINGERPRINT_SIZE, max(1, stored.offset))


def _same_start(fd: int, size: int, stored: Position) -> bool:
    if size < stored.offset:
        return False
    head = os.pread(fd, stored.fingerprint_size, 0)
    return (
        len(head) == stored.fingerprint_size
        and hashlib.sha256(head).hexdigest() == stored.fingerprint
    )


def _places(path: str) -> list[tuple[str, str]]:
    """(folder, name) of ``path``, then, when it is a symbolic link (or in a linked
    folder), of the file it leads to: a rotation renames that file beside it."""
    places = [os.path.split(os.path.abspath(path))]
    real = os.path.split(os.path.realpath(path))
    if real != places[0]:
        places.append(real)
    return places


def siblings(path: str) -> list[str]:
    """The rotated siblings of ``path`` (``mail.log.1``, ``mail.log-20261128``), by name:
    in its folder, and when it is a symbolic link, beside the file it leads to too."""
    places = _places(path)
    own = {os.path.join(folder, name) for folder, name in places}
    entries: set[str] = set()
    for folder, name in places:
        try:
            entries.update(
                entry.path for entry in os.scandir(folder) if entry.name.startswith(name)
            )
        except OSError:
            continue
    return sorted(entry for entry in entries if entry not in own)


def sibling_suffix(path: str, sibling: str) -> str:
    """What a sibling's name adds to the name of ``path`` (or of the file it leads to,
    beside which that sibling is): ``.1``, ``-20261128.gz``."""
    folder, name = os.path.split(sibling)
    for place, base in _places(path):
        if place == folder and name.startswith(base):
            return name[len(base) :]
    return name[len(os.path.basename(path)) :]


def beside(path: str) -> str:
    """Beside what `siblings` looks: ``/var/log/mail.log`` (and ``/srv/log/mail.log``,
    where a link leads)."""
    return " and ".join(os.path.join(folder, name) for folder, name in _places(path))


class Found(NamedTuple):
    """The file a stored position points at, found again."""

    fd: int
    """Open on it; the caller closes it."""
    name: str
    copy: bool
    """A copy of it (copytruncate), not the file itself."""


def find_stored(
    path: str, stored: Position, *, include_path: bool = True, copies: bool = True
) -> Found | None:
    """Open the file that ``stored`` was taken from: ``path`` itself when it still is that
    file, else the sibling with its inode (renamed by a rotation), else (with
    ``copies``) the longest sibling that holds a copy of it (copytruncate). None when it
    is gone (compressed, deleted, truncated without a copy). Files that cannot be opened
    are passed over."""
    names = [path, *siblings(path)] if include_path else siblings(path)
    candidates: list[tuple[int, str, int]] = []
    found: Found | None = None
    for name in names:
        try:
            fd = open_regular(name)
        except OSError:
            continue
        try:
            if file_matches(fd, stored):
                found = Found(fd, name, False)
                break
            if copies and name != path and copy_matches(fd, stored):
                candidates.append((os.fstat(fd).st_size, name, fd))
                continue
        except OSError:
            pass
        os.close(fd)
    if found is None and candidates:
        _, name, fd = max(candidates, key=lambda copy: copy[0])
        found = Found(fd, name, True)
    for _, _, fd in candidates:
        if found is None or fd != found.fd:
            os.close(fd)
    return found


ROTATED_SUFFIX = re.compile(r"(?P<stamp>(?:[.-][0-9]+)+)(?P<packed>\.(?:gz|bz2|xz|zst))?")
"""What logrotate (or ``postfix logrotate``) appends to a rotated log's name: ``.1``,
``.2.gz``, ``-20261128`` (``dateext``), ``-2026-11-28``, ``.20261129-192009.gz``."""


def rotation_age(path: str, sibling: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """How old the rotated ``sibling`` of ``path`` is by its name, comparable only with
    the ages of the siblings named the same way (the first item, its naming, equal): a
    greater second item is older. A number (``mail.log.1``, ``mail.log.2.gz``) grows
    with age, a date (``mail.log-20261128``, ``mail.log.20261129-192009.gz``) shrinks.
    None for another name."""
    suffix = sibling_suffix(path, sibling)
    match = ROTATED_SUFFIX.fullmatch(suffix)
    if match is None:
        return None
    digits = re.findall(r"[0-9]+", match["stamp"])
    shape = tuple(len(group) for group in digits)
    numbers = tuple(int(group) for group in digits)
    if len(digits) == 1 and len(digits[0]) < 6:
        return (0,), numbers
    return shape, tuple(-number for number in numbers)


def rotated_after(
    path: str, name: str, skip: Sequence[str] = (), heads: Sequence[bytes] = ()
) -> list[str]:
    """The siblings of ``path`` rotated after ``name`` (a rotated sibling itself), by their
    names (`rotation_age`: ``mail.log.1`` after ``mail.log.2``), oldest first; none when
    ``name`` is not named as a rotation. ``skip``: names never given; a sibling that
    starts with one of ``heads`` (a copy of a file read anyway) or cannot be opened is
    passed over, and so is one with the first bytes of another given (``mail.log.2``
    and ``mail.log.2.gz``, a compression under way or cut short: the uncompressed one is
    read)."""
    age = rotation_age(path, name)
    if age is None:
        return []
    later: list[tuple[bool, str, tuple[int, ...], bytes]] = []
    passed = {os.path.abspath(other) for other in (path, name, *skip)}
    for sibling in siblings(path):
        other = rotation_age(path, sibling)
        if sibling in passed or other is None or other[0] != age[0] or other[1] >= age[1]:
            continue
        try:
            fd = open_regular(sibling)
        except OSError:
            continue
        try:
            packed = compression(fd) is not None
            head = _first_bytes(fd)
        except OSError:
            continue
        finally:
            os.close(fd)
        if any(same_prefix(head, known) for known in heads):
            continue
        later.append((packed, sibling, other[1], head))
    chosen: list[tuple[tuple[int, ...], str]] = []
    read: list[bytes] = []
    for _, sibling, order, head in sorted(later):  # the uncompressed ones first
        if not any(same_prefix(head, known) for known in read):
            read.append(head)
            chosen.append((order, sibling))
    return [sibling for _, sibling in sorted(chosen, reverse=True)]


def changed_since(
    path: str,
    since: int,
    skip: Sequence[str] = (),
    heads: Sequence[bytes] = (),
    stored: Position | None = None,
) -> list[str]:
    """The siblings of ``path`` with a rotation's name (`rotation_age`) changed after
    ``since`` (ns since the epoch, their mtime), or that are the file ``stored`` was
    taken from (its inode: renamed, whatever its mtime), oldest first by their mtime; as in
    `rotated_after`, ``skip``: names never given; one that is empty, starts with one of
    ``heads``, or cannot be opened is passed over, and of two with the same first bytes
    (``mail.log.2`` and ``mail.log.2.gz``) the uncompressed one is given. logrotate gives
    a file it compresses the mtime of the file compressed, so an old file compressed
    later is not given."""
    passed = {os.path.abspath(other) for other in (path, *skip)}
    later: list[tuple[bool, int, str, bytes]] = []
    for sibling in siblings(path):
        if sibling in passed or rotation_age(path, sibling) is None:
            continue
        try:
            fd = open_regular(sibling)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            changed = st.st_mtime_ns
            same = stored is not None and (st.st_dev, st.st_ino) == stored[:2]
            if changed <= since and not same:
                continue
            packed = compression(fd) is not None
            head = _first_bytes(fd)
        except OSError:
            continue
        finally:
            os.close(fd)
        if head and not any(same_prefix(head, known) for known in heads):
            later.append((packed, changed, sibling, head))
    chosen: list[tuple[int, str]] = []
    read: list[bytes] = []
    for _, changed, sibling, head in sorted(later):  # the uncompressed ones first
        if not any(same_prefix(head, known) for known in read):
            read.append(head)
            chosen.append((changed, sibling))
    return [sibling for _, sibling in sorted(chosen)]


def _first_bytes(fd: int) -> bytes:
    """The first `FINGERPRINT_SIZE` bytes of a file, decompressed when it is compressed.
    Raises OSError."""
    blocks = unpacked(fd)
    if blocks is None:
        return os.pread(fd, FINGERPRINT_SIZE, 0)
    head = b""
    try:
        for block in blocks:
            head += block[: FINGERPRINT_SIZE - len(head)]
            if len(head) >= FINGERPRINT_SIZE:
                break
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    return head


def same_prefix(head: bytes, other: bytes) -> bool:
    """Does one of two files' first bytes start with the other's, a whole line at least
    (a copy, a link)?"""
    size = min(len(head), len(other))
    return b"\n" in head[:size] and head[:size] == other[:size]


REWRITE_ANCHORS = 64
"""A log replaced by an edited copy of itself (`rewritten_copy`): how many of the last
lines read from the old file are looked for in the new one, last first."""


class Rewrite(NamedTuple):
    """Where to read on in a file that replaced the followed one with an edited copy of
    it (`rewritten_copy`)."""

    offset: int
    """The start of the first line not read before."""
    line: int
    """Its number."""
    kept: int
    """Its first lines that are lines read from the old file, unchanged and in a row."""
    anchored: bool
    """The last line read from the old file (or one of the `REWRITE_ANCHORS` before it)
    was found in the new one: what comes before it was read (edited maybe), what comes
    after it was not. False: none was, reading on after the `kept` lines."""


REWRITE_FIRST_MIN = 16
"""An edited copy is told by one of its first lines found among the lines read from the
old file: one this short (or blank) could be anywhere, and tells nothing."""
REWRITE_FIRST_LINES = 16
"""How many of a new file's first lines are looked for among the old file's first
`_READ` bytes (edited or removed first lines: ``sed -i 's/x/y/'`` on the first)."""


def rewritten_copy(old_fd: int, read: int, new_fd: int) -> Rewrite | None:
    """Is the file open as ``new_fd``, new at a followed path, an edited copy of the one
    open as ``old_fd`` (``sed -i '/secret/d' mail.log``, ``grep -v x mail.log > y && mv y
    mail.log``, an editor's save), whose first ``read`` bytes (whole lines) were read?
    Told by one of its first `REWRITE_FIRST_LINES` lines: a line read from the old file,
    among its first `_READ` bytes (its first line, or a later one when the first were
    removed or edited). A file that logrotate (or a writer) makes starts empty, and the
    lines written to it then are new, with a later time.

    Where to read on: an edit changes or removes lines somewhere in the old content; what
    comes after the old content in the new file is new. From the line found on, the new
    file is compared with the old byte by byte up to the first difference (the edit
    point); then the last line read from the old file is looked for in the new one, from
    the start of the line where they differ on, its first occurrence (a deleted last line:
    the one before it, and so on, up to `REWRITE_ANCHORS` lines back): lines up to there
    are taken as read (an edited line in between is not counted again either), reading
    goes on after it. Log lines carry their time, so a line found is that line (but for
    a run of lines alike, as PAM's in one second: some of them may be read again). When none
    is found (every line read after the edit point was removed or changed), reading goes
    on at the edit point: edited lines there are read again (`Rewrite.anchored` False).
    When every one of the first lines was edited (``sed -i 's/x/y/'`` on every line),
    nothing tells a copy: None, as for another file. Raises OSError."""
    if read <= 0:
        return None
    old_head = os.pread(old_fd, min(read, _READ), 0)
    new_head = os.pread(new_fd, HEAD_KEEP, 0)
    at = 0  # where ``line`` starts in the new file
    for line in new_head.split(b"\n")[:REWRITE_FIRST_LINES]:
        if at + len(line) >= len(new_head):
            return None  # not a whole line
        whole = line + b"\n"
        if len(line.strip()) >= REWRITE_FIRST_MIN:
            if old_head.startswith(whole):
                return _realign(old_fd, read, 0, new_fd, at)
            found = old_head.find(b"\n" + whole)
            if found >= 0:
                return _realign(old_fd, read, found + 1, new_fd, at)
        at += len(whole)
    return None


def _realign(old_fd: int, read: int, old_at: int, new_fd: int, new_at: int) -> Rewrite | None:
    """`rewritten_copy` from the line at ``old_at`` in the old file and ``new_at`` in the
    new one on (the same line). None when what the two have alike (the lines before the
    edit point, and the last line read found) is fewer than two different lines: a flood
    of one line (PAM's, without a pid, many in a second) goes on in the file a rotation
    made, with no edit."""
    length = read - old_at  # of the old content from there on
    same, start = 0, 0  # bytes alike, the start of the line where they differ (from there)
    while same < length:
        want = min(_READ, length - same)
        old = os.pread(old_fd, want, old_at + same)
        new = os.pread(new_fd, want, new_at + same)
        alike = _common(old, new)
        newline = old.rfind(b"\n", 0, alike)
        if newline >= 0:
            start = same + newline + 1
        same += alike
        if alike < want:
            break
    if same >= length:
        start = length
    alike_lines = set(os.pread(new_fd, min(start, HEAD_KEEP), new_at).split(b"\n")[:-1])
    kept = _lines(new_fd, new_at + start)
    if start == length:
        return Rewrite(new_at + length, kept + 1, kept, True) if len(alike_lines) > 1 else None
    tail_from = max(old_at + start, read - HEAD_KEEP)
    tail = os.pread(old_fd, read - tail_from, tail_from)
    lines = tail.split(b"\n")[:-1]  # whole lines: ``read`` ends after a line break
    if tail_from > old_at + start:
        lines = lines[1:]  # maybe a part of a line
    for line in reversed(lines[-REWRITE_ANCHORS:]):
        if not line.strip():
            continue  # a blank line tells nothing
        found = _find(new_fd, b"\n" + line + b"\n", new_at + start - 1)
        if found >= 0:
            if len(alike_lines | {line}) < 2:
                return None
            offset = found + len(line) + 2
            return Rewrite(offset, _lines(new_fd, offset) + 1, kept, True)
    if len(alike_lines) < 2:
        return None
    return Rewrite(new_at + start, kept + 1, kept, False)


def _common(a: bytes, b: bytes) -> int:
    """How many first bytes two blocks have alike."""
    low, high = 0, min(len(a), len(b))
    if a[:high] == b[:high]:
        return high
    while high - low > 1:  # a[:low] alike, a[:high] not
        middle = (low + high) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle
    return low


def _lines(fd: int, end: int) -> int:
    """Line breaks in the file's first ``end`` bytes."""
    count, at = 0, 0
    while at < end:
        data = os.pread(fd, min(_READ, end - at), at)
        if not data:
            break
        count += data.count(b"\n")
        at += len(data)
    return count


def _find(fd: int, needle: bytes, start: int) -> int:
    """Where ``needle`` first is in the file from ``start`` on; -1 when nowhere."""
    at, carry = start, b""
    while True:
        data = os.pread(fd, _READ, at)
        if not data:
            return -1
        block = carry + data
        found = block.find(needle)
        if found >= 0:
            return at - len(carry) + found
        carry = block[-(len(needle) - 1) :] if len(needle) > 1 else b""
        at += len(data)


class _Unpacked(_Reading):
    """The rest of a followed file that was compressed while the daemon was stopped
    (``mail.log.1.gz``: rotated and compressed at once, or copied by copytruncate and
    compressed): decompressed from its start (a compressed file cannot be read from the
    middle), then read from the stored position to its end, once. What `_read_retired`
    needs of an `_Open`; its `position` keeps the identity and fingerprint of the file
    it is a copy of, so that a restart while it is read finds it again
    (`find_packed`)."""

    def __init__(
        self, source: str, fd: int, blocks: Iterator[bytes], stored: Position, stats: ReadStats
    ) -> None:
        self.fd = fd
        self._blocks = blocks
        self._stored = stored
        self._held = b""
        self.splitter = LineSplitter(source, stats, line=stored.line, offset=stored.offset)
        self.deadline = 0.0
        self.caught_up = False
        self.before = b""
        self.head = b""
        """Its first `FINGERPRINT_SIZE` bytes, decompressed (once `reach` found them)."""

    def reach(self, longer: bool, keep: int = 0) -> bool:
        """Decompress up to the stored offset; whether this is a copy of the stored
        file: its first bytes, at least as long (``longer``: longer). Raises OSError
        when damage comes first. The fingerprint grows to `FINGERPRINT_SIZE` bytes (as
        an `_Open`'s does), so that a later position finds it again. The last ``keep``
        bytes before the offset are kept in `before` (the daemon's warm-up)."""
        stored = self._stored
        offset = stored.offset
        head = b""
        seen = 0
        rest: list[bytes] = []
        before: deque[bytes] = deque()
        kept = 0
        want = stored.fingerprint_size
        for block in self._blocks:
            if len(head) < FINGERPRINT_SIZE:
                short = len(head) < want
                head += block[: FINGERPRINT_SIZE - len(head)]
                if short and len(head) >= want and not self._same_start(head):
                    return False  # another file: not decompressed any further
            if seen + len(block) > offset:
                rest.append(block[max(0, offset - seen) :])
            if keep and seen < offset:
                before.append(block[: offset - seen])
                kept += len(before[-1])
                while kept - len(before[0]) >= keep:
                    kept -= len(before.popleft())
            seen += len(block)
            if len(head) == FINGERPRINT_SIZE and (seen > offset or (seen == offset and not longer)):
                break
        if len(head) < want or not self._same_start(head):
            return False
        if seen < offset or (seen == offset and longer):
            return False
        self._held = b"".join(rest)
        self.head = head
        self.before = b"".join(before)[-keep:] if keep else b""
        self._stored = stored._replace(
            fingerprint=hashlib.sha256(head).hexdigest(), fingerprint_size=len(head)
        )
        return True

    def hold(self, data: bytes) -> None:
        """Give back the first decompressed bytes, taken to know its start."""
        self._held = data

    def _same_start(self, head: bytes) -> bool:
        stored = self._stored
        return hashlib.sha256(head[: stored.fingerprint_size]).hexdigest() == stored.fingerprint

    def position(self) -> Position:
        stored, splitter = self._stored, self.splitter
        return stored._replace(offset=splitter.offset, line=splitter.line)

    def drain(self, stats: ReadStats, out: list[Chunk], budget: int) -> bool:
        """Read on, at most ``budget`` bytes; True when the end was reached."""
        while budget > 0:
            data, self._held = self._held or next(self._blocks, b""), b""
            if not data:
                self.caught_up = True
                return True
            if len(data) > budget:
                data, self._held = data[:budget], data[budget:]
            budget -= len(data)
            self._take(data, stats, out)
        return False

    def discard(self) -> None:
        """Close without emitting the held-back unfinished line."""
        if self.fd >= 0:
            close = getattr(self._blocks, "close", None)
            if close is not None:
                close()
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


class Packed(NamedTuple):
    """A compressed copy of the file a stored position points at."""

    name: str
    rest: _Unpacked
    """Positioned at the stored offset; the caller reads or discards it."""


def find_packed(
    path: str, stored: Position, stats: ReadStats, *, longer: bool = False, keep: int = 0
) -> Packed | None:
    """The first sibling of ``path`` (by name: ``mail.log.1.gz`` before
    ``mail.log.2.gz``) compressed with gzip, bzip2 or xz whose content is a copy of the
    file ``stored`` was taken from (its first bytes, at least as long; ``longer``:
    longer), decompressed up to the stored offset (with the ``keep`` bytes before it:
    `_Unpacked.reach`). As `copy_matches`, only when the stored fingerprint covers
    everything read. Siblings that cannot be read or are damaged before that offset
    are passed over."""
    if not _fingerprint_covers(stored):
        return None
    for name in siblings(path):
        try:
            fd = open_regular(name)
        except OSError:
            continue
        try:
            blocks = unpacked(fd)
            if blocks is not None:
                rest = _Unpacked(path, fd, blocks, stored, stats)
                try:
                    if rest.reach(longer, keep):
                        return Packed(name, rest)
                except OSError:
                    pass
                rest.discard()
                continue
        except OSError:
            pass
        os.close(fd)
    return None


class Note(NamedTuple):
    """One line for the log, at a `logging` level."""

    level: int
    text: str


@dataclass
class _Failure:
    """A path that cannot be read now."""

    reason: str
    since: datetime
    began: float
    """When it started (the follower's clock)."""
    delay: float = 0.0
    retry_at: float = 0.0
    looks: tuple[int, ...] | None = None
    """What was at the path then (`_looks`): when that changes, it is tried at once."""


class _Followed:
    """The state of one followed path."""

    def __init__(self, path: str, stored: Position | None) -> None:
        self.path = path
        self.stored = stored
        """Where to resume when the path is (re)opened: the position given at start, or
        where the file was when it could not be read any more. None once resumed."""
        self.origin: Position | None = None
        """Where reading started (the stored position, or the end of the file)."""
        self.current: _Open | None = None
        self.retired: list[_Open | _Unpacked] = []
        """Rotated files (and copies) whose rest is read before the current file."""
        self.started = False
        self.failure: _Failure | None = None


def _path_head(path: str) -> list[bytes]:
    """The first bytes of the file now at `path` (`_head`), in a list; empty when there
    is none or it cannot be read."""
    with contextlib.suppress(OSError):
        fd = open_regular(path)
        try:
            return [_head(fd)]
        finally:
            os.close(fd)
    return []


class FileFollower:
    """Follow files through rotation, truncation, restarts and read errors; see the
    module doc."""

    def __init__(
        self,
        paths: Sequence[str],
        positions: Mapping[str, Position] | None = None,
        stats: ReadStats | None = None,
        poll_interval: float = 0.1,
        *,
        from_start: bool = False,
        rotate_grace: float = 5.0,
        late_watch: float = LATE_WATCH,
        read_budget: int = READ_BUDGET,
        skip_max: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``skip_max``: `SKIP_MAX` unless given."""
        positions = positions or {}
        self.stats = stats if stats is not None else ReadStats()
        self.poll_interval = poll_interval
        self.rotate_grace = rotate_grace
        self.late_watch = late_watch
        self.read_budget = max(1, read_budget)
        self.skip_max = SKIP_MAX if skip_max is None else skip_max
        self.clock = clock
        self._from_start = from_start
        self._files = [_Followed(path, positions.get(path)) for path in dict.fromkeys(paths)]
        self.notes: list[Note] = []
        """What to say in the log (a file that cannot be read, that can be again, a
        copy read first), oldest first; the reader takes them out."""
        self.behind: set[str] = set()
        """The paths whose last poll stopped at `read_budget` with more to read now (a
        backlog); not those at their end, nor one that cannot be read."""
        self.opened: set[str] = set()
        """The paths whose last poll opened the file at them, or read one first (a new
        path, a new file after a rotation, a file moved into place, a volume mounted):
        what it read of them was not all written since the poll before (a file moved
        into place holds old lines): a backlog, whatever the other inputs'."""
        self._opened_unread: set[str] = set()
        """The paths whose file `_track` opened at a poll that skipped them."""

    # -- public ---------------------------------------------------------------------

    def poll(self, skip: Collection[str] = ()) -> list[Chunk]:
        """Whole lines appended since the last call, oldest first, per file; at most
        `read_budget` bytes of each file. The paths in ``skip`` are not read at this
        poll (their place in `behind` stays as it was), but a rotation of theirs is
        noticed all the same (`_track`)."""
        out: list[Chunk] = []
        now = self.clock()
        behind = self.behind
        opened, unread = set(), self._opened_unread
        for followed in self._files:
            before = followed.current
            if skip and followed.path in skip:
                self._track(followed, now)
                if followed.current is not None and followed.current is not before:
                    unread.add(followed.path)  # opened, not read: see `opened`
                continue
            if self._poll_one(followed, now, out):
                behind.add(followed.path)
            else:
                behind.discard(followed.path)
            if followed.current is not before or followed.path in unread:
                unread.discard(followed.path)
                if followed.current is not None:
                    opened.add(followed.path)
            if followed.current is not None and followed.current.prior is not None:
                unread.add(followed.path)  # not read until known whether it is a copy
        self.opened = opened
        return out

    def positions(self) -> dict[str, Position]:
        """Where each path's reading stands, to store and give back after a restart."""
        result = {}
        for followed in self._files:
            position = self._position(followed)
            if position is not None:
                result[followed.path] = position
        return result

    def origins(self) -> dict[str, Position]:
        """Where each path's reading started: the stored position given, or the end of
        a file read for the first time (known after the first `poll`)."""
        return {f.path: f.origin for f in self._files if f.origin is not None}

    def failing(self) -> set[str]:
        """The paths that cannot be read now (an I/O error, a permission lost, a
        directory in its place: `failures` says why). A path that does not exist is
        not failing: what is written to it makes it, and is read at once."""
        return {f.path for f in self._files if f.failure is not None}

    def failures(self) -> list[str]:
        """One line for each path that cannot be read now."""
        return [
            f"{f.path}: cannot follow since {_iso(f.failure.since)}: {f.failure.reason} "
            f"(tried again at most every {RETRY_MAX:g} s; the other inputs go on)"
            for f in self._files
            if f.failure is not None
        ]

    def watch(self, stop: threading.Event | None = None) -> Iterator[Chunk]:
        """Poll forever (or until ``stop`` is set), sleeping when nothing is new."""
        stop = stop or threading.Event()
        while not stop.is_set():
            chunks = self.poll()
            yield from chunks
            if not chunks:
                stop.wait(self.poll_interval)

    def close(self) -> None:
        """Close every file (held-back unfinished lines are not emitted)."""
        for followed in self._files:
            for opened in [*followed.retired, followed.current]:
                if opened is not None:
                    opened.discard()
            followed.retired.clear()
            followed.current = None

    def __enter__(self) -> FileFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one path -----------------------------------------------------------------------

    @staticmethod
    def _position(followed: _Followed) -> Position | None:
        for old in followed.retired:
            if not old.caught_up:
                return old.position()  # the current file is not read before its end
        if followed.current is not None:
            return followed.current.position()
        if followed.stored is not None:
            return followed.stored
        if followed.retired:
            return followed.retired[-1].position()
        return None

    def _poll_one(self, followed: _Followed, now: float, out: list[Chunk]) -> bool:
        """Read on in one path; True when it stopped at the budget, with more to read."""
        failure = followed.failure
        due = (
            failure is None
            or now >= failure.retry_at
            or _looks(followed.path) != failure.looks  # replaced, chmod, chown: try now
        )
        try:
            if due and followed.current is None:
                self._open_current(followed, now)
        except OSError as exc:
            self._failed(followed, exc, now)
            due = False  # a rotated file's rest is read all the same
        behind = False
        try:
            if not self._read_retired(followed, now, out):
                behind = True
            elif due and followed.current is not None:
                behind = not self._read_current(followed, now, out)
        except OSError as exc:
            self._failed(followed, exc, now)
            return False
        if failure is not None and due:
            self._recovered(followed, failure, now)
        return behind

    def _open_current(self, followed: _Followed, now: float) -> None:
        """Open the path: the first time (resuming at the stored position, or at its
        end), after a read error (resuming where it stopped), or a new file (from its
        start). Raises OSError, with nothing changed, when it cannot be read."""
        if followed.stored is not None:
            self._resume(followed, followed.stored, now)
        elif followed.started:
            followed.current = self._open(followed.path)
        else:
            current = self._open(followed.path)
            if current is not None and not self._from_start:
                try:
                    self._skip_to_end(current)
                except OSError:
                    current.discard()
                    raise
            followed.current = current
            followed.origin = current.position() if current is not None else None
        followed.started = True

    def _resume(self, followed: _Followed, stored: Position, now: float) -> None:
        """Open the path to resume at ``stored``; when the stored file was rotated or
        copied away meanwhile, its rest is read first (a retired file), then the path
        from its start. When the path cannot be read but is another file than the
        stored one, the stored file's rest is read all the same (renamed beside it)."""
        since = empty_at(stored)
        try:
            current = self._open(followed.path)
        except OSError:
            if since:
                self._read_changed(followed, stored, since, now)
                self._resumed(followed, stored, None)
            elif _other_file(followed.path, stored) and self._read_first(
                followed, stored, now, copies=False
            ):
                self._resumed(followed, stored, None)
            raise
        try:
            if since:
                self._read_changed(followed, stored, since, now)
            elif current is not None and file_matches(current.fd, stored):
                current.resume_at(stored, self.stats)
            elif not self._read_first(followed, stored, now):
                lost = (
                    ""
                    if followed.started
                    else "; failures counted from it before the stop are forgotten"
                )
                self._note(
                    logging.WARNING,
                    f"{followed.path}: the file read before the "
                    f"{'read error' if followed.started else 'restart'} (up to line "
                    f"{stored.line}) was not found beside {beside(followed.path)} (deleted, "
                    "moved to another folder as by logrotate's olddir, or truncated with no "
                    "readable copy beside it): lines written to it after that, if any, are "
                    f"not read{lost}; reading {followed.path} from its start (when it was "
                    "rewritten in place with its first lines, they are counted again)",
                )
        except OSError:
            if current is not None:
                current.discard()
            raise
        self._resumed(followed, stored, current)

    def _read_changed(self, followed: _Followed, stored: Position, since: int, now: float) -> None:
        """The file read before was empty (`empty_at`): the rotated files changed since
        (`changed_since`) hold what was written to it, and after it, while the daemon was
        stopped (a copytruncate, a rotation or more, compressed or not): read them whole,
        oldest first, then the path from its start."""
        skip = [other.path for other in self._files]
        heads = _path_head(followed.path)
        names = changed_since(followed.path, since, skip, heads, stored)
        read = self._read_whole_files(followed, names, "changed while stopped", now)
        if read:
            what = "read error" if followed.started else "restart"
            self._note(
                logging.INFO,
                f"{followed.path}: was empty when read before the {what}, and rotated "
                f"meanwhile: reading {', '.join(read)} whole (changed since), then "
                f"{followed.path} from its start",
            )

    @staticmethod
    def _resumed(followed: _Followed, stored: Position, current: _Open | None) -> None:
        followed.current = current
        if not followed.started:
            followed.origin = stored
        followed.stored = None
        followed.started = True  # the path's next file is read from its start

    def _read_first(
        self,
        followed: _Followed,
        stored: Position,
        now: float,
        *,
        truncated: bool = False,
        copies: bool = True,
    ) -> bool:
        """When the file that ``stored`` was taken from is a sibling now (renamed by a
        rotation, or copied by copytruncate), read its rest first: put it with the
        rotated files, at ``stored``. ``truncated``: the path's own file was just seen
        truncated (only a copy holding more than was read counts); ``copies``: whether
        a copy counts at all. True when found."""
        found = find_stored(followed.path, stored, include_path=False, copies=copies)
        if found is None:
            return copies and self._read_packed(followed, stored, now, truncated)
        try:
            if truncated and (not found.copy or os.fstat(found.fd).st_size <= stored.offset):
                os.close(found.fd)
                return False
            old = _Open(followed.path, found.fd, self.stats)
        except OSError as exc:
            os.close(found.fd)
            self._note(
                logging.ERROR,
                f"{followed.path}: cannot read the rest of {found.name} (from line "
                f"{stored.line} on): {reason(exc)}; its later lines are skipped",
            )
            return False
        old.resume_at(stored, self.stats)
        old.deadline = now if found.copy else now + self.rotate_grace
        followed.retired.append(old)
        if not found.copy:
            self._watch(followed, old, now)
        if found.copy:
            self._note(
                logging.INFO,
                f"{followed.path}: was copied and truncated (copytruncate): reading the "
                f"rest of the old content from {found.name} first, from line {stored.line}",
            )
        if not truncated:
            self._read_newer(followed, found.name, now, _head(old.fd))
        return True

    def _read_newer(self, followed: _Followed, name: str, now: float, head: bytes = b"") -> None:
        """After the rest of ``name`` (the stored file, rotated while the daemon was
        stopped), the files rotated after it (`rotated_after`: rotated more than once
        meanwhile), whole and oldest first, compressed ones too, then the path."""
        skip = [other.path for other in self._files]
        heads = [head, *_path_head(followed.path)]
        later = rotated_after(followed.path, name, skip, heads)
        read = self._read_whole_files(followed, later, f"rotated after {name} while stopped", now)
        if read:
            self._note(
                logging.INFO,
                f"{followed.path}: was rotated more than once meanwhile: after the rest of "
                f"{name}, reading {', '.join(read)} whole, then {followed.path}",
            )

    def _read_whole_files(
        self, followed: _Followed, names: Iterable[str], when: str, now: float
    ) -> list[str]:
        """Queue `names` (rotated files, oldest first) to be read whole before the path;
        the names queued. One that cannot be opened is said (`when` it changed) and
        skipped. The newest, when not compressed, may still be written to (its writer
        not told to reopen its log yet): it is read on as one renamed while running,
        for `rotate_grace`, then while it grows, said when it grows after the grace
        (`_watch`, `_late`)."""
        read: list[str] = []
        for name in names:
            try:
                opened = self._whole(followed.path, name)
            except OSError as exc:
                self._note(
                    logging.ERROR,
                    f"{followed.path}: cannot read {name}, {when}: {reason(exc)}; "
                    "its lines are skipped",
                )
                continue
            opened.deadline = now
            followed.retired.append(opened)
            read.append(name)
        newest = followed.retired[-1] if read else None
        if isinstance(newest, _Open):
            newest.deadline = now + self.rotate_grace
            self._watch(followed, newest, now)
        return read

    def _whole(self, path: str, name: str) -> _Open | _Unpacked:
        """A rotated file to read whole, from its start (decompressed when it is
        compressed). Raises OSError when it cannot be read."""
        fd = open_regular(name)
        try:
            kind = compression(fd)
            if kind == "zstd":
                raise OSError(errno.EINVAL, "compressed with zstd, which is not read", name)
            blocks = unpacked(fd) if kind is not None else None
            if blocks is None:
                return _Open(path, fd, self.stats)
            head = b""
            first: list[bytes] = []
            for block in blocks:
                first.append(block)
                head += block[: FINGERPRINT_SIZE - len(head)]
                if len(head) >= FINGERPRINT_SIZE:
                    break
            st = os.fstat(fd)
            stored = Position(
                st.st_dev, st.st_ino, 0, 1, hashlib.sha256(head).hexdigest(), len(head)
            )
            whole = _Unpacked(path, fd, blocks, stored, self.stats)
            whole.hold(b"".join(first))
            self.stats.files += 1
            return whole
        except BaseException:
            os.close(fd)
            raise

    def _read_packed(
        self, followed: _Followed, stored: Position, now: float, truncated: bool
    ) -> bool:
        """`_read_first` from a compressed copy (`find_packed`): the file was rotated
        and compressed, or copied, truncated and the copy compressed."""
        packed = find_packed(followed.path, stored, self.stats, longer=truncated)
        if packed is None:
            return False
        self.stats.files += 1
        packed.rest.deadline = now
        followed.retired.append(packed.rest)
        self._note(
            logging.INFO,
            f"{followed.path}: was compressed away ({packed.name}): reading the rest of "
            f"the old content from it first, from line {stored.line}",
        )
        if not truncated:
            self._read_newer(followed, packed.name, now, packed.rest.head)
        return True

    def _read_retired(self, followed: _Followed, now: float, out: list[Chunk]) -> bool:
        """Read on in the rotated files, oldest first; True when all are at their end
        (the current file may be read)."""
        for old in list(followed.retired):
            was, caught = old.splitter.read_to, old.caught_up
            try:
                at_end = old.drain(self.stats, out, self.read_budget)
                if isinstance(old, _Open) and old.watch_until and old.splitter.read_to > was:
                    old.grew_at = now
                if now >= old.deadline and isinstance(old, _Open) and old.watch_until:
                    if caught and old.splitter.read_to > was and not old.dropped:
                        self._late(followed, old, now)
                    if at_end and now < old.watch_until and os.fstat(old.fd).st_nlink:
                        if now - old.grew_at >= self.rotate_grace and _moved_on(followed):
                            # No write for the grace after its rename, and its writer
                            # writes to the new file: its last line, without a newline,
                            # is not held for the whole late watch. (A writer that has
                            # not moved on may still finish it: held until it does.)
                            tail = old.splitter.finish()
                            if tail is not None:
                                out.append(tail)
                        continue  # its writer may still write to it
            except OSError as exc:
                self._note(
                    logging.ERROR,
                    f"{followed.path}: cannot read the rest of the rotated file (from line "
                    f"{old.splitter.line} on): {reason(exc)}; its later lines are skipped",
                )
                old.discard()
                followed.retired.remove(old)
                continue
            if not at_end and old.splitter.skipping > self.skip_max:
                self._skip_rest(followed, old)
                continue
            if not at_end:
                return False
            if now >= old.deadline:
                old.close(out)
                followed.retired.remove(old)
        return True

    def _watch(self, followed: _Followed, old: _Open, now: float) -> None:
        """Read a file renamed by a rotation on after its grace while it grows
        (`LATE_WATCH`). Past `LATE_FILES` such per path, those that have not grown for
        the longest are let go, not one that grew within the grace; past
        `LATE_FILES_MAX`, growing or not, and said."""
        old.watch_until = old.deadline + self.late_watch
        old.grew_at = now
        watched = sorted(
            (
                other
                for other in followed.retired
                if isinstance(other, _Open)
                and other is not old
                and other.watch_until > other.deadline
            ),
            key=lambda other: other.grew_at,
        )
        excess = len(watched) + 1 - LATE_FILES
        for other in watched:
            if excess <= 0:
                break
            if other.grew_at > now - self.rotate_grace and excess + LATE_FILES <= LATE_FILES_MAX:
                continue  # still written to
            excess -= 1
            other.watch_until = other.deadline  # closed at its end once its grace is over
            if other.grew_at > now - self.rotate_grace:
                other.dropped = True
                self._note(
                    logging.WARNING,
                    f"{followed.path}: more than {LATE_FILES_MAX} rotated files are still "
                    f"written to: {self._name(followed, other)}, written to least recently, "
                    "is closed; lines written to it from now on are not read",
                )

    def _late(self, followed: _Followed, old: _Open, now: float) -> None:
        """Lines were written to a rotated file after its grace: read it on while it
        grows, and say once that its writer was not told to reopen its log."""
        old.watch_until = now + self.late_watch
        if old.late:
            return
        old.late = True
        name = self._name(followed, old)
        self._note(
            logging.WARNING,
            f"{followed.path}: lines are still written to {name} more than "
            f"{self.rotate_grace:g} s after it was rotated away: its writer was not told "
            "to reopen its log (logrotate's postrotate, e.g. `postfix reload` or "
            "`systemctl kill -s HUP rsyslog`)? They are read as long as it grows, until "
            f"{self.late_watch:g} s without a write (after a restart too)",
        )

    @staticmethod
    def _name(followed: _Followed, old: _Open) -> str:
        """The name of a rotated file now, by its inode."""
        return next(
            (
                sibling
                for sibling in siblings(followed.path)
                if (_looks(sibling) or (0, 0))[:2] == (old.device, old.inode)
            ),
            "the rotated file",
        )

    def _read_current(self, followed: _Followed, now: float, out: list[Chunk]) -> bool:
        """Read on in the current file (a new one after a rotation); True at its end."""
        at_end = self._drain_current(followed, now, out)
        current = followed.current
        if current is None or not at_end or self._same_file(followed.path, current):
            return at_end
        # Renamed away or deleted: its rest was just read; keep it open for late writes.
        current.deadline = now + self.rotate_grace
        followed.retired.append(current)
        self._watch(followed, current, now)
        followed.current = None
        followed.current = self._open(followed.path)  # a new file, read from its start
        if followed.current is not None:
            self._after(followed.current, current)
            return self._drain_current(followed, now, out)
        return True

    @staticmethod
    def _after(new: _Open, old: _Open) -> None:
        """``new`` replaced ``old`` at the path: keep ``old`` open until it is known
        whether ``new`` is an edited copy of it (`_copied`)."""
        with contextlib.suppress(OSError):
            new.prior = (os.dup(old.fd), old)

    def _track(self, followed: _Followed, now: float) -> None:
        """A path not read at this poll (``skip``: the daemon holds records of it while
        another input's backlog is read, maybe for many polls): one stat, to notice a
        rotation as `_read_current` does when it reads. The file renamed away (or
        deleted) joins the rotated files with its rest unread, and the new file at the
        path is opened, not read: the next poll that reads the path reads the one's rest,
        then the other, and a second rotation before that is noticed too. (Unnoticed,
        the file renamed away at the first rotation was never read: its lines were
        lost.)"""
        if followed.failure is not None or followed.stored is not None or not followed.started:
            return  # the next poll that reads it opens or resumes it
        current = followed.current
        if current is not None:
            if self._same_file(followed.path, current):
                return
            current.deadline = now + self.rotate_grace
            current.caught_up = False  # its rest is read first (`_position` points at it)
            followed.retired.append(current)
            self._watch(followed, current, now)
            followed.current = None
        try:
            followed.current = self._open(followed.path)
        except OSError as exc:
            self._failed(followed, exc, now)
            return
        if current is not None and followed.current is not None:
            self._after(followed.current, current)

    def _drain_current(self, followed: _Followed, now: float, out: list[Chunk]) -> bool:
        """Read on in the current file (again from its start when it was truncated);
        True at its end. On a read error, its position is kept to resume from and the
        error raised."""
        current = followed.current
        assert current is not None
        try:
            size = os.fstat(current.fd).st_size
            if current.prior is not None and not self._copied(followed, current, size):
                return True  # not known yet: nothing read
            if current.replaced(size):
                before, head, read_to = current.position(), current.head, current.splitter.read_to
                current.restart(self.stats)
                copied = self._read_first(followed, before, now, truncated=True)
                if copied and not self._read_retired(followed, now, out):
                    return False  # the copy's rest first
                if not copied:
                    self._rewritten(followed, current, before, head, read_to, size)
            elif current.kept and size > current.splitter.read_to:
                self._rewriting(followed, current, size)
            return current.drain(self.stats, out, self.read_budget)
        except OSError:
            followed.stored = current.position()
            followed.current = None
            current.discard()
            raise

    def _copied(self, followed: _Followed, current: _Open, size: int) -> bool:
        """A new file at the path, not read yet: when it is an edited copy of the file it
        replaced (`rewritten_copy`), go on after the lines read from that one, and say so.
        False while that is not known yet: it does not hold a whole line yet, or (empty)
        the file it replaced is still open and read."""
        assert current.prior is not None
        fd, old = current.prior
        if current.splitter.read_to > 0 or (size == 0 and old.fd < 0):
            current.forget_prior()
            return True
        if size == 0:
            current.checked = time.time_ns()  # as `_Open.drain` at its end
            return False
        if size < HEAD_KEEP and b"\n" not in os.pread(current.fd, size, 0):
            return False
        try:
            found = rewritten_copy(fd, old.splitter.offset, current.fd)
        finally:
            current.forget_prior()
        if found is None:
            return True
        current.splitter = LineSplitter(
            current.splitter.source, self.stats, line=found.line, offset=found.offset
        )
        current.head = os.pread(current.fd, min(found.offset, HEAD_KEEP), 0)
        read = old.splitter.line - 1
        if found.anchored:
            how = (
                f"the last line read from the old one (of {read}) is its line "
                f"{found.line - 1}; lines up to there are not counted again"
            )
        else:
            how = (
                f"its first {found.kept} line(s) were read from the old one, but none of "
                f"the last lines read from it (of {read}) comes after them; the lines after "
                "them are read as new (edited ones counted again)"
            )
        self._note(
            logging.WARNING,
            f"{followed.path}: was replaced by an edited copy of itself (sed -i, grep -v "
            f"and mv, an editor's save?): {how}; reading on from line {found.line}",
        )
        return True

    def _rewritten(
        self,
        followed: _Followed,
        current: _Open,
        before: Position,
        head: bytes,
        read_to: int,
        size: int,
    ) -> None:
        """After a truncation with no copy holding more than was read: when what the file
        holds now is a start of what was read (its first lines: rewritten in place), go
        on after them, they are not counted again; when it starts with the same first line
        but is not known to be such a start, read it again from its start and say so. (New content,
        a copytruncate's, is read from its start without a word.) When it is empty now,
        what was read is kept (`HEAD_KEEP` bytes at the most) until something comes
        (``: > mail.log; cat x >> mail.log``: the two seen at two polls)."""
        if size == 0:
            current.kept, current.kept_before = head, before
            return
        kept = current.read_prefix(head, read_to, size, self.stats)
        if kept:
            whole = head[:size].endswith(b"\n")
            self._note(
                logging.WARNING,
                f"{followed.path}: was rewritten in place with its first {kept} line(s)"
                f"{'' if whole else f' and a part of line {kept + 1}'} only "
                f"({before.line - 1} line(s) were read before): they are not counted again; "
                + (
                    f"reading on from line {kept + 1}"
                    if whole
                    else "what is written next is read as a new line"
                ),
            )
            return
        known = head.find(b"\n") + 1  # its first line as read before
        if 0 < known <= size and os.pread(current.fd, known, 0) == head[:known]:
            self._note(
                logging.WARNING,
                f"{followed.path}: was truncated or rewritten in place ({before.line - 1} "
                "line(s) were read; no copy of the old content beside it) and starts with "
                "the same line: reading it again from its start, lines it kept are counted "
                "again",
            )

    def _rewriting(self, followed: _Followed, current: _Open, size: int) -> None:
        """The file grew after a truncation seen when it was empty (`_rewritten` now, with
        what was read before it), or after a rewrite in place with a start of what was
        read (more of that start is passed over: `_Open.skip_kept`)."""
        before = current.kept_before
        if before is None:
            current.skip_kept(size, self.stats)
            return
        head = current.kept
        current.kept, current.kept_before = b"", None
        if current.splitter.read_to == 0:
            self._rewritten(followed, current, before, head, len(head), size)

    def _open(self, path: str) -> _Open | None:
        """Open a path to follow from its start; None when it is not there (yet).
        Raises OSError when it is there but cannot be read."""
        try:
            fd = open_regular(path)
        except FileNotFoundError:
            return None
        try:
            return _Open(path, fd, self.stats)
        except OSError:
            os.close(fd)
            raise

    def _failed(self, followed: _Followed, exc: OSError, now: float) -> None:
        """Stop reading the path, say why once (again when the reason changes), and try
        again after a pause that doubles up to `RETRY_MAX`."""
        why = reason(exc)
        failure = followed.failure
        said = failure is not None and failure.reason == why
        if failure is None:
            failure = followed.failure = _Failure(why, datetime.now(UTC), now)
        failure.reason = why
        failure.delay = min(max(RETRY_FIRST, 2 * failure.delay), RETRY_MAX)
        failure.retry_at = now + failure.delay
        failure.looks = _looks(followed.path)
        if said:
            return
        if followed.stored is not None:
            where = f"reading resumes at line {followed.stored.line} when it can"
        elif followed.started:
            where = "it is read from its start when it can"
        else:
            where = "it is read from its end when it can (a first start)"
        self._note(
            logging.ERROR,
            f"{followed.path}: cannot follow: {why}; {where}; the other inputs go on; "
            f"tried again after {failure.delay:g} s, then at most every {RETRY_MAX:g} s "
            "(see mailwarden status)",
        )

    def _recovered(self, followed: _Followed, failure: _Failure, now: float) -> None:
        followed.failure = None
        if followed.current is None and not followed.retired:
            self._note(
                logging.INFO,
                f"{followed.path}: is gone (it could not be read since "
                f"{_iso(failure.since)}: {failure.reason}); it is read from its start when "
                "it appears",
            )
            return
        self._note(
            logging.INFO,
            f"{followed.path}: reading again after {now - failure.began:.0f} s (it could "
            f"not be read since {_iso(failure.since)}: {failure.reason})",
        )

    def _skip_rest(self, followed: _Followed, old: _Open | _Unpacked) -> None:
        """A rotated file goes on more than `skip_max` bytes without a line break: say
        so, and let go of it (its rest is not read; the next file is)."""
        name = "a rotated file"
        with contextlib.suppress(OSError):
            st = os.fstat(old.fd)
            name = next(
                (
                    sibling
                    for sibling in siblings(followed.path)
                    if (_looks(sibling) or (0, 0))[:2] == (st.st_dev, st.st_ino)
                ),
                name,
            )
        self._note(
            logging.WARNING,
            f"{followed.path}: {name} goes on for more than {_mib(self.skip_max)} without "
            f"a line break from line {old.splitter.line} on (NUL bytes? damaged, or a "
            "decompression bomb): that line is skipped as over-long, and the rest of the "
            "file with it; reading on in the next file",
        )
        old.splitter.abandon()
        old.discard()
        followed.retired.remove(old)

    def _note(self, level: int, text: str) -> None:
        self.notes.append(Note(level, " ".join(text.split())))

    @staticmethod
    def _same_file(path: str, opened: _Open) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == (opened.device, opened.inode)

    def _skip_to_end(self, opened: _Open) -> None:
        """Start after the file's last whole line, counting lines for their numbers."""
        lines, last_newline, offset = 0, -1, 0
        while True:
            data = os.pread(opened.fd, _READ, offset)
            if not data:
                break
            lines += data.count(b"\n")
            found = data.rfind(b"\n")
            if found >= 0:
                last_newline = offset + found
            offset += len(data)
        opened.splitter = LineSplitter(
            opened.splitter.source, self.stats, line=lines + 1, offset=last_newline + 1
        )
        opened.head = os.pread(opened.fd, min(last_newline + 1, HEAD_KEEP), 0)


def _other_file(path: str, stored: Position) -> bool:
    """Is something at ``path`` that is not the file ``stored`` was taken from (by its
    device and inode)? False when that cannot be seen."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) != (stored.device, stored.inode)


def _moved_on(followed: _Followed) -> bool:
    """The writer of a file renamed by a rotation writes to the new file at the path
    (not empty: made after the rename, it was written to since)."""
    current = followed.current
    if current is None:
        return False
    try:
        return os.fstat(current.fd).st_size > 0
    except OSError:
        return False


def _looks(path: str) -> tuple[int, ...] | None:
    """What is at ``path``: which file, of what kind, with what owner and mode (not its
    size or times, which a writer changes all along); None when it cannot be seen."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
