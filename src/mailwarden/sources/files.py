"""Log files: plain or compressed (gzip, bzip2, xz), rotated sets, standard input.

`expand_inputs` turns what a person typed into an ordered list of paths; `read_chunks`
reads one of them.

Decisions:
- A directory stands for its regular, non-hidden files, not recursively: pointing at
  /var/log should not wander into /var/log/journal. Its other entries but directories (a
  FIFO, a dangling symbolic link) are not read, but said as skipped
  (`readable_inputs`), as those a pattern finds.
- A rotated set (``mail.log``, ``mail.log.1``, ``mail.log.2.gz``, ``mail.log.10.gz``,
  ``mail.log-20260201.gz``, Postfix's ``postfix.log.20260201-123456.gz``) is read oldest
  first, so entries come in time order: dated files by date, numbered ones from the
  highest number down, then the live file. A set that holds both dated and numbered
  files (logrotate's ``dateext`` turned on later) has its two runs merged by the files'
  modification times (`names_order`).
- The same file named twice is read once; of a file and a symbolic link to it, as the
  file (a link `current -> mail.log` leaves mail.log in its rotated set).
- Compression is recognised by its magic bytes, not by the name. zstd is recognised and
  reported as a problem (the standard library cannot read it before Python 3.14): an
  input that gave not a line (``ReadStats.failed``).
- A damaged archive is a problem recorded in the stats: every whole line before the
  damage is read, the unfinished line at the damage is dropped, nothing is raised.
  "Before the damage" is all that the decompressor produced before it noticed it,
  even in the call that failed (`_salvage` reads the file again for that); deflate
  can decode some garbage before zlib notices, and that is read too. From a pipe,
  which cannot be read again, the failed call's output (up to 64 KiB) is lost.
- Standard input can be read again while :func:`keeping_stdin` is in effect
  (``analyze`` reads an input that goes back in time a second time, in time order):
  from where it was when reading began when it is a regular file, from a copy made as
  it is read (in TMPDIR, at most `STDIN_COPY_LIMIT` and half its free space) when it
  is a pipe. Where TMPDIR is a tmpfs (/tmp on Debian 13), that copy is in memory.
"""

from __future__ import annotations

import bz2
import errno
import glob
import ipaddress
import lzma
import os
import re
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import BinaryIO, ClassVar, Protocol, cast

from mailwarden.errors import InputError
from mailwarden.locale import _, ngettext
from mailwarden.locale.system import os_reason
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.interface import Chunk, ReadStats

STDIN = "-"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_MAGIC_OF = {name: magic for magic, name in _MAGIC}
_SNIFF = max(len(magic) for magic, _ in _MAGIC)
"""Bytes read before the compression is decided (the longest magic number)."""
_DECOMPRESS_READ = 1 << 16
"""Most decompressed bytes one decompression call gives (memory stays bounded)."""
_COMPRESSED_READ = 1 << 14
"""Compressed bytes read and given to a decompressor at a time."""

_COMPRESSED_SUFFIX = r"(?:\.(?:gz|bz2|xz|zst|lz4|Z))?"
_NUMBERED = re.compile(r"^(?P<base>.+?)\.(?P<n>\d{1,4})" + _COMPRESSED_SUFFIX + r"$")
_DATED = re.compile(
    r"^(?P<base>.+?)[-._](?P<date>\d{8}(?:[-_]?\d{2,6})?|\d{4}-\d\d-\d\d)"
    + _COMPRESSED_SUFFIX
    + r"$"
)
_PLAIN_COMPRESSED = re.compile(r"^(?P<base>.+?)\.(?:gz|bz2|xz|zst|lz4|Z)$")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


# -- expanding what a person typed --------------------------------------------------


def expand_inputs(args: Sequence[str]) -> list[str]:
    """Files, directories, globs and ``-`` -> the paths to read, rotated sets oldest first.

    Raises InputError for a path or pattern that names nothing.
    """
    found: list[str] = []
    for arg in args:
        if arg == STDIN:
            found.append(STDIN)
        elif os.path.isdir(arg):
            files = _directory_files(arg)
            if not files:  # as a pattern that matches nothing: not "no attack found"
                raise InputError(_("{path}: no file in this directory").format(path=arg))
            found.extend(files)
        elif _there(arg):
            found.append(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg))
            if not matches:
                raise InputError(_("{path}: no file matches this pattern").format(path=arg))
            for match in matches:
                found.extend(_directory_files(match) if os.path.isdir(match) else [match])
        else:
            raise InputError(_("{path}: no such file or directory").format(path=arg))
    return _in_time_order(_unique(found))


def _there(path: str) -> bool:
    """Whether ``path`` names something (a dangling link too). A directory on the way
    that the user may not search (``/var/log/mail/``, 0750 root:adm) raises InputError:
    the file may well be there, and "no such file" would be wrong."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except PermissionError:
        raise InputError(_("{path}: permission denied").format(path=path)) from None
    except (OSError, ValueError):
        return False
    return True


def readable_inputs(
    args: Sequence[str], paths: Sequence[str]
) -> tuple[list[str], list[tuple[str, OSError]]]:
    """``paths`` (expanded from ``args``: `expand_inputs`) that can be opened, in
    order, and (path, error) for each file found in a directory or by a pattern that
    cannot: ``analyze /var/log/`` as an admin outside the root group meets btmp
    (0660 root:utmp), which is no reason to read nothing (`skipped_note` says what was
    left out). A file named in ``args`` that cannot be opened raises InputError, and
    so does the first one that cannot when none of them can.

    Only regular files are opened: opening a FIFO here would block until a writer comes
    and then throw away what it writes, and the real read would wait for a second one
    (``mailwarden analyze my.fifo`` hung); the reader reports other kinds itself. A
    FIFO, socket or device found by a pattern is left out, as a directory leaves it out
    (``analyze 'spool/*'`` waited for ever on a FIFO among the logs): only one named is
    read."""
    named = named_paths(args)
    readable: list[str] = []
    skipped: list[tuple[str, OSError]] = []
    for path in paths:
        error = None if path == STDIN else _open_error(path)
        if error is None and path != STDIN and os.path.abspath(path) not in named:
            error = _not_regular(path)
        if error is None:
            readable.append(path)
        elif os.path.abspath(path) in named:
            raise unreadable(path, error)
        else:
            skipped.append((path, error))
    if skipped and not readable:
        raise unreadable(*skipped[0])
    return readable, skipped


def named_paths(args: Sequence[str]) -> frozenset[str]:
    """The files ``args`` name, as absolute paths: ``os.path.abspath(path) in
    named_paths(args)`` tells a path of `expand_inputs` that was named (written another
    way, ``./mail.log``, too) from one found in a directory or by a pattern."""
    return frozenset(os.path.abspath(arg) for arg in args if arg != STDIN)


def failed_named(args: Sequence[str], failed: Sequence[str]) -> bool:
    """Whether an input named in ``args`` (``-`` too) gave not a line because of damage
    or a read error (``ReadStats.failed``): the command then exits 1, as for a file
    named that cannot be opened. One found in a directory or by a pattern is skipped,
    as one that cannot be opened is: its problem is said, the status stays 0."""
    named = named_paths(args)
    return any(
        (path == STDIN and STDIN in args) or os.path.abspath(path) in named for path in failed
    )


def regular_file(path: str) -> bool:
    """Whether ``path`` is a regular file (after symbolic links), which can be read
    twice: not standard input, a pipe (``<(cat …)``, /dev/stdin), a FIFO or a device."""
    if path == STDIN:
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _open_error(path: str) -> OSError | None:
    """Why the regular file ``path`` cannot be opened, or None (it can, or it is no
    regular file)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb"):
            pass
    except OSError as exc:
        return exc
    return None


class NotRegularFile(OSError):
    """A FIFO, socket or device found by a pattern: not read (`readable_inputs`)."""


def _not_regular(path: str) -> OSError | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # its error comes when it is read
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return NotRegularFile(errno.EINVAL, "not a regular file")


def _reason(error: OSError) -> str:
    """Why an input was not read, in the active language."""
    if isinstance(error, NotRegularFile):
        return _("not a regular file: a FIFO or a device is read only when named")
    return os_reason(error) or str(error)


def unreadable(path: str, error: OSError) -> InputError:
    """The error for an input that cannot be opened."""
    if isinstance(error, PermissionError):
        return InputError(_("{path}: permission denied").format(path=path))
    if error.errno in (errno.EMFILE, errno.ENFILE):
        return open_error(path, error)
    reason = _reason(error)
    return InputError(_("{path}: cannot read: {reason}").format(path=path, reason=reason))


def skipped_note(skipped: Sequence[tuple[str, OSError]]) -> str:
    """One line for the files `readable_inputs` left out, each with its reason (in the
    active language)."""
    files = ", ".join(f"{path} ({_reason(error)})" for path, error in skipped)
    return ngettext(
        "{n} file found in a directory or by a pattern cannot be read and was skipped: {files}",
        "{n} files found in a directory or by a pattern cannot be read and were skipped: {files}",
        len(skipped),
    ).format(n=f"{len(skipped):,}", files=files)


def _directory_files(directory: str) -> list[str]:
    files = []
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        raise InputError(
            _("{path}: cannot list directory: {reason}").format(
                path=directory, reason=os_reason(exc)
            )
        ) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if not entry.is_dir():  # a FIFO or a dangling link too: said as skipped
                files.append(os.path.join(directory, entry.name))
        except OSError:
            files.append(os.path.join(directory, entry.name))
    return sorted(files)


def _unique(paths: list[str]) -> list[str]:
    """``paths`` without a file named again (the same file, or a link to it). Of a file
    and a symbolic link to it, the file is kept, in the place of the first of them: a
    link ``current -> mail.log`` that sorts before mail.log would take mail.log out of
    its rotated set, read after mail.log.1 as a log of its own name."""
    seen: dict[object, int] = {}
    out: list[str] = []
    for path in paths:
        key: object = path
        if path != STDIN:
            try:
                st = os.stat(path)
                key = (st.st_dev, st.st_ino)
            except OSError:
                key = os.path.realpath(path)
        at = seen.get(key)
        if at is None:
            seen[key] = len(out)
            out.append(path)
        elif path != STDIN and _a_link(out[at]) and not _a_link(path):
            out[at] = path
    return out


def _a_link(path: str) -> bool:
    return path != STDIN and os.path.islink(path)


def rotation_key(path: str) -> tuple[str, tuple[int, str, int]]:
    """(set, age rank): files of one rotated set share the set; a smaller rank is older."""
    head, name = os.path.split(path)
    dated = _DATED.match(name)
    if dated:
        digits = re.sub(r"\D", "", dated["date"]).ljust(14, "0")
        return os.path.join(head, dated["base"]), (0, digits, 0)
    numbered = _NUMBERED.match(name)
    if numbered and not _an_address(name):
        return os.path.join(head, numbered["base"]), (1, "", -int(numbered["n"]))
    return os.path.join(head, _uncompressed(name)), (2, "", 0)


def _uncompressed(name: str) -> str:
    """A file's name without its compression suffix (``.gz``, ``.bz2``, …)."""
    compressed = _PLAIN_COMPRESSED.match(name)
    return compressed["base"] if compressed else name


def _an_address(name: str) -> bool:
    """Whether a file's name (without a compression suffix) is an IPv4 address: a log
    host's file per sender (rsyslog's ``%FROMHOST-IP%``), not ``192.0.2`` rotated
    ``.9`` and ``.10`` times."""
    try:
        ipaddress.IPv4Address(_uncompressed(name))
    except ValueError:
        return False
    return True


def _in_time_order(paths: list[str]) -> list[str]:
    """Group rotated sets (in order of first appearance) and sort each oldest first."""
    groups: dict[str, list[tuple[tuple[int, str, int], int, str]]] = {}
    for index, path in enumerate(paths):
        if path == STDIN:
            groups.setdefault(f"\0stdin{index}", []).append(((2, "", 0), index, path))
            continue
        group, rank = rotation_key(path)
        groups.setdefault(group, []).append((rank, index, path))
    ordered: list[str] = []
    for members in groups.values():
        members.sort()
        dated = [path for rank, _index, path in members if rank[0] == 0]
        numbered = [path for rank, _index, path in members if rank[0] == 1]
        if dated and numbered:
            ordered.extend(_merged_by_mtime(numbered, dated))
        else:
            ordered.extend(dated + numbered)
        ordered.extend(path for rank, _index, path in members if rank[0] == 2)
    return ordered


def names_order(paths: Sequence[str]) -> bool:
    """Whether the names of a rotated set's files (`expand_inputs` order) tell their
    order: not when numbered names (``mail.log.1``, ``mail.log.2.gz``) stand beside
    dated ones (``mail.log-20260308.gz``), as logrotate leaves them when ``dateext`` is
    turned on (or off): those are put in order by their modification times, which a
    copy can change, so nothing may be concluded from that order (--until opens them
    all)."""
    kinds = {rotation_key(path)[1][0] for path in paths if path != STDIN}
    return not {0, 1} <= kinds


def _merged_by_mtime(first: list[str], second: list[str]) -> list[str]:
    """Two lists of one rotated set's files, each oldest first by its names (numbered,
    dated), merged by the files' modification times; where these do not decide, the
    ``first`` (the numbered ones, which logrotate left when ``dateext`` was turned on)
    come first."""

    def mtime(path: str) -> float:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return float("-inf")

    merged: list[str] = []
    i = j = 0
    while i < len(first) and j < len(second):
        if mtime(second[j]) < mtime(first[i]):
            merged.append(second[j])
            j += 1
        else:
            merged.append(first[i])
            i += 1
    return merged + first[i:] + second[j:]


SINCE_SLACK = timedelta(days=1)
"""A file last written more than this before --since is not opened (`written_since`):
a log's entries are stamped when they are written, so they are no later than its
modification time, but a clock set wrong, a syslog that writes late or a time zone
taken for another can put a few hours between them."""


def written_since(paths: Sequence[str], since: datetime) -> tuple[list[str], list[str]]:
    """The paths to read for ``--since`` (in order), and the regular files last modified
    more than `SINCE_SLACK` before it, which hold nothing as recent (a year of rotated
    archives is not decompressed for a week's analysis). Standard input, and a path
    that cannot be looked at (its error comes when it is read), are read."""
    try:
        oldest = (since - SINCE_SLACK).timestamp()
    except (OverflowError, ValueError):  # --since in the first day there is
        return list(paths), []
    read: list[str] = []
    older: list[str] = []
    for path in paths:
        try:
            st = None if path == STDIN else os.stat(path)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_mtime < oldest:
            older.append(path)
        else:
            read.append(path)
    return read, older


# -- reading one input -----------------------------------------------------------------


def read_chunks(
    path: str, stats: ReadStats, chunk_size: int = 1 << 20, start: int = 0
) -> Iterator[Chunk]:
    """The lines of one file (or ``-``), decompressed, as Chunks in order. With
    ``start``, a plain regular file's lines from the first whole one at or after that
    offset only, numbered from 1 there (a compressed file, or anything but a regular
    file, is read whole).

    Raises InputError only when the input cannot be opened; damage inside it is a
    problem recorded in `stats`.
    """
    stream, close = _open(path)
    try:
        at = _seek_line(stream, start) if start > 0 else None
        if at is not None:
            yield from _read(path, stream, stats, chunk_size, None, offset=at)
            return
        yield from _read(path, stream, stats, chunk_size, _rereadable(stream))
    finally:
        if close:
            stream.close()


STDIN_COPY_LIMIT = 4 << 30
"""Most bytes of standard input (a pipe) copied so that it can be read again
(:class:`StdinCopy`), and at most half the free space of TMPDIR; past them, the copy
is given up."""


def _bytes_said(count: int) -> str:
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GiB"
    if count >= 1 << 20:
        return f"{count / (1 << 20):.1f} MiB"
    return f"{count / 1024:.1f} KiB"


class StdinCopy:
    """Standard input, kept so that it can be read again (:func:`keeping_stdin`): a
    regular file (``< mail.log``) is read again from where reading began; a pipe
    (``cat mail.log mail.log.1 |``) is copied as it is read, into an unnamed temporary
    file in TMPDIR, as sort(1) keeps what it sorts: on disk, or in memory where TMPDIR
    is a tmpfs (/tmp on Debian 13). At most `STDIN_COPY_LIMIT` bytes are copied, and at
    most half the free space of TMPDIR when the copy starts. Past them, or when the
    copy cannot be written (a full disk), there is no copy, standard input can be read
    once only, and `why` says why."""

    def __init__(self, limit: int = STDIN_COPY_LIMIT) -> None:
        self.limit = limit
        self.why = ""
        """Why a pipe was not kept to be read again (empty when it was, or needed
        not be)."""
        self._where = ""  # TMPDIR
        self._fd: int | None = None  # where to read it again from (os.pread)
        self._start = 0
        self._copy: BinaryIO | None = None  # the copy of a pipe
        self._size = 0
        self._whole = False  # read to its end (and, from a pipe, copied whole)
        self._opened = False

    @property
    def again(self) -> bool:
        """Whether standard input was read to its end and can be read again."""
        return self._whole and self._fd is not None

    def open(self, stream: BinaryIO) -> BinaryIO:
        """``stream`` (standard input) to read: as it is the first time, copied if it
        is a pipe; a reading of the copy (or of the file) after it was read whole."""
        if self._opened:
            if not self.again:
                raise InputError(_("-: standard input cannot be read again"))
            assert self._fd is not None
            return cast(BinaryIO, _Again(self._fd, self._start))
        self._opened = True
        try:
            fd = stream.fileno()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                self._fd, self._start = fd, stream.tell()
                return cast(BinaryIO, _Copied(stream, self))
        except (OSError, ValueError):  # no descriptor (a test's BytesIO): copied
            pass
        self._where = where = tempfile.gettempdir()
        try:
            disk = os.statvfs(where)
            self.limit = min(self.limit, disk.f_bavail * disk.f_frsize // 2)
        except (OSError, AttributeError):  # no statvfs: the limit alone
            pass
        try:
            self._copy = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            self._fd = self._copy.fileno()
        except OSError as exc:
            self.give_up(self._unwritten(exc))
        return cast(BinaryIO, _Copied(stream, self))

    def _unwritten(self, exc: OSError) -> str:
        return _("its copy could not be written in {where}: {reason}").format(
            where=self._where, reason=os_reason(exc)
        )

    def keep(self, data: bytes) -> None:
        """More of standard input, as read (the end when empty)."""
        copy = self._copy
        if not data:
            if copy is not None:
                try:
                    copy.flush()  # read again with os.pread: what is buffered too
                except OSError as exc:
                    self.give_up(self._unwritten(exc))
            self._whole = True
            return
        if copy is None:
            return
        self._size += len(data)
        if self._size > self.limit:
            self.give_up(
                _(
                    "its copy would pass {limit} (at most 4 GiB, and half the free space"
                    " of TMPDIR: {where})"
                ).format(limit=_bytes_said(self.limit), where=self._where)
            )
            return
        try:
            copy.write(data)
        except OSError as exc:
            self.give_up(self._unwritten(exc))

    def give_up(self, why: str = "") -> None:
        """No copy: standard input is read once (``why``: the reason to say)."""
        if why and not self.why:
            self.why = why
        self._fd = None
        if self._copy is not None:
            self._copy.close()
            self._copy = None

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None
        self._fd = None


class _Copied:
    """Standard input read the first time: what is read is given to the copy."""

    def __init__(self, stream: BinaryIO, copy: StdinCopy) -> None:
        self._stream = stream
        self._copy = copy

    def read(self, size: int = -1, /) -> bytes:
        data = _read_some(self._stream, size)
        self._copy.keep(data)
        return data

    def fileno(self) -> int:
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell()


class _Again:
    """Standard input read again: from a descriptor, at an offset of its own."""

    def __init__(self, fd: int, start: int) -> None:
        self._fd = fd
        self._at = start

    def read(self, size: int = -1, /) -> bytes:
        data = os.pread(self._fd, size if size >= 0 else 1 << 20, self._at)
        self._at += len(data)
        return data

    def fileno(self) -> int:
        return self._fd

    def tell(self) -> int:
        return self._at


_stdin_copy: StdinCopy | None = None


@contextmanager
def keeping_stdin(keep: bool = True) -> Iterator[StdinCopy | None]:
    """While in effect (with ``keep``), standard input can be read again once it was
    read whole (:class:`StdinCopy`, given)."""
    global _stdin_copy
    if not keep:
        yield None
        return
    copy = _stdin_copy = StdinCopy(STDIN_COPY_LIMIT)
    try:
        yield copy
    finally:
        _stdin_copy = None
        copy.close()


def _open(path: str) -> tuple[BinaryIO, bool]:
    if path == STDIN:
        if sys.stdin is None:  # started with standard input closed (<&-)
            raise InputError(_("-: standard input is closed"))
        if _stdin_copy is not None:
            return _stdin_copy.open(sys.stdin.buffer), False
        return sys.stdin.buffer, False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(_("{path}: no such file or directory").format(path=path)) from None
    except OSError as exc:
        raise InputError(
            _("{path}: cannot read: {reason}").format(path=path, reason=os_reason(exc))
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(_("{path}: is a directory, not a log file").format(path=path))
    try:
        file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by read_chunks)
    except PermissionError:
        raise InputError(_("{path}: permission denied").format(path=path)) from None
    except OSError as exc:
        raise open_error(path, exc) from None
    if not stat.S_ISREG(st.st_mode):
        return file, True
    try:
        return cast(BinaryIO, _Reopening(path, file)), True
    except OSError as exc:
        file.close()
        raise open_error(path, exc) from None


def open_error(path: str, error: OSError) -> InputError:
    """The error for an input that cannot be opened: when the process has as many files
    open as it may (``ulimit -n``), that limit, not the file, is named."""
    if error.errno in (errno.EMFILE, errno.ENFILE):
        return InputError(
            _(
                "{path}: cannot open: too many files are open at once ({reason}; the limit "
                "of open files is {limit}, see ulimit -n)"
            ).format(path=path, reason=os_reason(error), limit=_open_files_limit())
        )
    return InputError(_("{path}: cannot read: {reason}").format(path=path, reason=os_reason(error)))


def _open_files_limit() -> str:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return "?"
    return "unlimited" if soft == getattr(resource, "RLIM_INFINITY", -1) else f"{soft:,}"


def _open_budget() -> int:
    """How many regular files may be open at once to be read (`_Reopening`): a quarter
    of the process's limit (``ulimit -n``, 1,024 by default on Debian), at most 256."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 64
    if soft < 0:
        return 256
    return max(4, min(256, soft // 4))


class _Reopening:
    """A regular file being read, which may be closed between two reads when too many
    are open (`_open_budget`): ``analyze`` merges every log of a directory by time, and
    reads a little of each in turn (a host's log each, a thousand of them, beside a limit
    of 1,024 open files). It is opened again where it was, and only when it is the same
    file (a file renamed meanwhile, by a rotation, is an error: a read error where the
    reading stopped). A file that stays open is read as a plain file."""

    _open: ClassVar[dict[_Reopening, None]] = {}
    """The files open, least recently read first."""

    def __init__(self, path: str, file: BinaryIO) -> None:
        self._path = path
        self._file: BinaryIO | None = file
        st = os.fstat(file.fileno())
        self._identity = (st.st_dev, st.st_ino)
        self._at = 0
        self._opened()

    def _opened(self) -> None:
        self._open[self] = None
        budget = _open_budget()
        while len(self._open) > budget:
            oldest = next(iter(self._open))
            if oldest is self:
                break
            oldest._park()

    def _park(self) -> None:
        self._open.pop(self, None)
        if self._file is not None:
            file, self._file = self._file, None
            file.close()

    def _ready(self) -> BinaryIO:
        file = self._file
        if file is not None:
            open_ = self._open
            open_.pop(self, None)
            open_[self] = None  # the most recently read
            return file
        file = cast(BinaryIO, open(self._path, "rb", buffering=0))  # noqa: SIM115
        try:
            st = os.fstat(file.fileno())
            if (st.st_dev, st.st_ino) != self._identity:
                raise OSError(
                    errno.ESTALE, _("the file was replaced while it was read (log rotation?)")
                )
            file.seek(self._at)
        except BaseException:
            file.close()
            raise
        self._file = file
        self._opened()
        return file

    def read(self, size: int = -1, /) -> bytes:
        data = self._ready().read(size)
        self._at += len(data)
        return data

    def fileno(self) -> int:
        return self._ready().fileno()

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if whence != 0:
            raise ValueError("only absolute positions")
        self._at = offset
        if self._file is not None:
            self._file.seek(offset)
        return offset

    def close(self) -> None:
        self._park()


def _seek_line(stream: BinaryIO, start: int) -> int | None:
    """Move a plain regular file's ``stream`` to the first line that starts at or after
    ``start`` (its end when none does), and say where that is; None, and ``stream``
    left as it is, for a compressed file or anything but a regular file."""
    try:
        fd = stream.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode) or compression(fd) is not None:
            return None
        at = start - 1  # the line before may end just there
        while True:
            data = os.pread(fd, 64 << 10, at)
            if not data:
                break
            cut = data.find(b"\n")
            if cut >= 0:
                at += cut + 1
                break
            at += len(data)
        stream.seek(at)
    except (OSError, ValueError):
        return None
    return at


def _rereadable(stream: BinaryIO) -> tuple[Callable[[], int], int] | None:
    """(what gives the descriptor, offset) from which `os.pread` can read `stream`
    again: a regular file's (standard input too, when redirected from one), not a
    pipe's. The descriptor is asked for when needed: a `_Reopening` file may have been
    closed and opened again meanwhile."""
    try:
        fd = stream.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return stream.fileno, stream.tell()
    except (OSError, ValueError):
        return None


def _read_some(stream: _Readable, size: int) -> bytes:
    read1 = getattr(stream, "read1", None)
    data = read1(size) if read1 is not None else stream.read(size)
    return bytes(data or b"")


def _read(
    path: str,
    stream: BinaryIO,
    stats: ReadStats,
    chunk_size: int,
    reread: tuple[Callable[[], int], int] | None = None,
    offset: int = 0,
) -> Iterator[Chunk]:
    """`reread`: where the same input can be read again (`_rereadable`), to recover
    what a decompression call that met damage had produced. `offset`: where in the
    file `stream` stands (`read_chunks`'s ``start``)."""
    splitter = LineSplitter(path, stats, bare_cr=True, offset=offset)
    try:
        first = _read_some(stream, chunk_size)
        while 0 < len(first) < _SNIFF:  # a pipe may give less at first: sniff enough
            more = _read_some(stream, chunk_size)
            if not more:
                break
            first += more
    except OSError as exc:
        stats.fail(
            path, _("{path}: read error: {reason}").format(path=path, reason=os_reason(exc) or exc)
        )
        return
    stats.files += 1
    kind = _compression_of(first)
    if kind == "zstd":
        if sys.version_info < (3, 14):  # compression.zstd came with 3.14
            message = _(
                "{path}: zstd-compressed, which mailwarden cannot read (Python {version} has "
                "no zstd module): not a line was read from it; decompress it first (zstd -dc)"
            )
        else:
            message = _(
                "{path}: zstd-compressed, which mailwarden cannot read (it does not use "
                "Python's zstd module yet): not a line was read from it; decompress it first "
                "(zstd -dc)"
            )
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        stats.fail(path, message.format(path=path, version=version))
        stats.unread.append(path)
        return
    blocks: Iterator[bytes]
    if kind is None:
        blocks = _blocks(first, stream, chunk_size)
    else:
        blocks = _decompress(kind, _blocks(first, stream, _COMPRESSED_READ), reread)
    damage = None
    unchecked = False
    try:
        for block in blocks:
            stats.bytes += len(block)
            chunk = splitter.feed(block)
            if chunk is not None:
                yield chunk
    except _Damaged as exc:
        damage, unchecked = str(exc), exc.unchecked
    except OSError as exc:
        damage = _("read error ({reason})").format(reason=os_reason(exc) or exc)
    if damage is not None:
        unfinished = splitter.read_to > splitter.offset
        splitter.drop_pending()
        lines = splitter.line - 1
        if not lines:
            message = _("{path}: {damage}; not a line could be read from it").format(
                path=path, damage=damage
            )
            if unfinished:
                message += _("; the unfinished line at the damage was dropped")
            stats.fail(path, message)
            return
        elif unchecked and kind == "gzip":
            message = _(
                "{path}: {damage}, found after {lines} lines; those lines were read, but "
                "they may be damaged too: damage inside an archive often comes to light "
                "only later (a gzip file is checked only at its end)"
            ).format(path=path, damage=damage, lines=lines)
        elif unchecked and kind == "bzip2":
            message = _(
                "{path}: {damage}, found after {lines} lines; those lines were read, but "
                "they may be damaged too: damage inside an archive often comes to light "
                "only later (a bzip2 file is checked block by block, each block of up to "
                "900 KB only at its end)"
            ).format(path=path, damage=damage, lines=lines)
        elif unchecked:
            message = _(
                "{path}: {damage}, found after {lines} lines; those lines were read, but "
                "they may be damaged too: damage inside an archive often comes to light "
                "only later (an xz file is checked block by block, each block only at its "
                "end)"
            ).format(path=path, damage=damage, lines=lines)
        else:
            message = _("{path}: {damage} after {lines} lines; earlier lines were read").format(
                path=path, damage=damage, lines=lines
            )
        if unfinished:
            message += _("; the unfinished line at the damage was dropped")
        stats.problem(message)
        stats.damaged.append(path)
        if unchecked:  # the lines before it may be garbage (`_Damaged`)
            stats.corrupt.append(path)
        return
    tail = splitter.finish()
    if tail is not None:
        yield tail


def _blocks(first: bytes, stream: _Readable, size: int) -> Iterator[bytes]:
    """`first` (already read to sniff the compression), then the rest of `stream`, in
    pieces of at most `size` bytes."""
    for start in range(0, len(first), size):
        yield first[start : start + size]
    while True:
        data = _read_some(stream, size)
        if not data:
            return
        yield data


def unpacked(fd: int) -> Iterator[bytes] | None:
    """The decompressed content of the file open as ``fd``, from its start, as it comes,
    when its first bytes say gzip, bzip2 or xz; None otherwise (plain, zstd, empty).
    Damage raises OSError (EIO, the message saying what) once everything before it was
    given (the follower reads a log rotated and compressed while it was stopped)."""
    kind = compression(fd)
    if kind is None or kind == "zstd":
        return None
    return _unpacked(kind, fd)


def compression(fd: int) -> str | None:
    """The compression the first bytes of the file open as ``fd`` say: ``gzip``,
    ``bzip2``, ``xz``, ``zstd`` (which is not read); None: none."""
    return _compression_of(os.pread(fd, _SNIFF, 0))


TAIL_BYTES = 16 << 10
"""How much of a plain file's end `plain_tail` reads: many entries' worth."""


def plain_tail(path: str, size: int = TAIL_BYTES) -> bytes | None:
    """The last ``size`` bytes of a regular file that is not compressed, from the start
    of the first whole line in them (the whole file when it is smaller); None for
    standard input, anything but a regular file (a FIFO is not opened: that would take
    its writer's text), a compressed file, or one that cannot be read. Cheap: a stat,
    an open and two reads, wherever the file ends."""
    if path == STDIN:
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            if compression(fd) is not None:
                return None
            start = max(info.st_size - size, 0)
            tail = os.pread(fd, info.st_size - start, start)
        finally:
            os.close(fd)
    except OSError:
        return None
    if start:
        cut = tail.find(b"\n")
        tail = tail[cut + 1 :] if cut >= 0 else b""
    return tail


def _compression_of(head: bytes) -> str | None:
    """The compression a file's first bytes say (`_MAGIC`); None: none."""
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _unpacked(kind: str, fd: int) -> Iterator[bytes]:
    def pieces() -> Iterator[bytes]:
        offset = 0
        while data := os.pread(fd, _COMPRESSED_READ, offset):
            offset += len(data)
            yield data

    try:
        yield from _decompress(kind, pieces(), (lambda: fd, 0))
    except _Damaged as exc:
        raise OSError(errno.EIO, str(exc)) from None


# -- decompressing -----------------------------------------------------------------------


class _Damaged(Exception):
    """A compressed input ends early or is corrupt (the message says which).

    `unchecked`: the decompressor found the data corrupt. It notices damage where a
    check fails, which may be well after the damage itself: a gzip member's CRC comes
    only at its end (a flipped byte turns the rest of the member into garbage that
    decodes without an error), a bzip2 or xz block's check at the block's end. The
    lines given before it may then be damaged too. An archive cut short, a read error or
    a gzip member followed by something else leave the lines before them intact."""

    def __init__(self, message: str, *, unchecked: bool = False) -> None:
        super().__init__(message)
        self.unchecked = unchecked


class _Decompressor(Protocol):
    """What bz2.BZ2Decompressor and lzma.LZMADecompressor offer (and `_Gunzip`)."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int) -> bytes: ...


class _Gunzip:
    """One gzip member (zlib checks its header and trailer) with the interface of
    bz2.BZ2Decompressor: the input that an output limit left over is held here."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._held = b""
        self._full = False  # the last call gave all it was allowed: zlib may have more

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def needs_input(self) -> bool:
        return not self._held and not self._full

    @property
    def unused_data(self) -> bytes:
        return self._zlib.unused_data

    def decompress(self, data: bytes, max_length: int) -> bytes:
        out = self._zlib.decompress(data or self._held, max_length)
        self._held = self._zlib.unconsumed_tail
        self._full = len(out) == max_length
        return out


def _decompressor(kind: str) -> _Decompressor:
    if kind == "gzip":
        return _Gunzip()
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


_CORRUPT = (OSError, EOFError, zlib.error, lzma.LZMAError)
"""What a decompressor raises on bad data (bz2 raises OSError)."""


def _decompress(
    kind: str, pieces: Iterator[bytes], reread: tuple[Callable[[], int], int] | None
) -> Iterator[bytes]:
    """The decompressed bytes of `pieces` (compressed input from offset 0), each
    decompression call's output as it comes, every stream (gzip member) in turn.

    Damage raises `_Damaged`, after everything decompressed before it was given, even
    what the call that met the damage had produced when the input can be read again
    (`reread`: what gives the descriptor, and the offset of the first piece;
    `_salvage`). From a pipe, that call's output (at most `_DECOMPRESS_READ` bytes) is lost.
    Between and after streams, zeros are skipped (gzip and xz padding); anything else
    that does not start like a stream is an error for gzip and ignored after a bzip2 or
    xz stream, as gzip.GzipFile, bz2.BZ2File and lzma.LZMAFile do.
    """
    magic = _MAGIC_OF[kind]
    decompressor = _decompressor(kind)
    read = 0  # compressed bytes taken from `pieces`: the offset of the next one
    start = 0  # offset of the current stream
    given = 0  # bytes the current stream has decompressed to so far
    settled = (0, 0)  # (read, given) when the decompressor last had used all its input
    while True:
        if decompressor.eof:
            data = decompressor.unused_data
            while True:
                if kind != "bzip2":
                    data = data.lstrip(b"\0")
                if data:
                    break
                data = next(pieces, b"")
                if not data:
                    return
                read += len(data)
            if data[: len(magic)] != magic[: len(data)]:
                if kind == "gzip":
                    raise _Damaged(
                        _("corrupt gzip data (Not a gzipped file ({head}))").format(
                            head=repr(data[:2])
                        )
                    )
                return  # trailing garbage
            decompressor = _decompressor(kind)
            start, given = read - len(data), 0
            settled = (start, 0)
        elif decompressor.needs_input:
            data = next(pieces, b"")
            if not data:
                raise _Damaged(_("truncated {kind} archive").format(kind=kind))
            read += len(data)
        else:
            data = b""
        try:
            out = decompressor.decompress(data, _DECOMPRESS_READ)
        except _CORRUPT as exc:
            if reread is not None:
                descriptor, base = reread
                fd = descriptor()
                settled = (base + settled[0], settled[1])
                lost = _salvage(kind, fd, base + start, given, settled, base + read)
                if lost:
                    yield lost
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise _Damaged(
                _("corrupt {kind} data ({reason})").format(kind=kind, reason=reason),
                unchecked=True,
            ) from None
        given += len(out)
        if decompressor.needs_input:
            settled = (read, given)
        if out:
            yield out


def _salvage(
    kind: str, fd: int, start: int, given: int, settled: tuple[int, int], end: int
) -> bytes:
    """What the decompression call that met the damage had produced, which Python's
    decompressors throw away when they raise.

    The stream at offset `start` of `fd` is decompressed again: at full speed up to
    offset `settled[0]`, where the decompressor had used all its input (and given
    `settled[1]` bytes); then one byte of input per call, skipping the output up to the
    `given` bytes already given, then with at most one byte of output per call, up to
    the damage or to offset `end` (where reading stopped). So a failing check (a
    gzip trailer's CRC, an xz index) costs no output. At most one call's output.
    """
    decompressor = _decompressor(kind)
    offset, skip = start, given
    out = bytearray()
    try:
        while True:
            data = b""
            if decompressor.needs_input:
                if offset >= settled[0]:
                    break
                data = os.pread(fd, min(_COMPRESSED_READ, settled[0] - offset), offset)
                if not data:
                    return b""
                offset += len(data)
            skip -= len(decompressor.decompress(data, _DECOMPRESS_READ))
        if skip != given - settled[1]:
            return b""  # not what was read before: salvage nothing
        held, at = b"", 0
        while not decompressor.eof and len(out) < _DECOMPRESS_READ:
            data = b""
            if decompressor.needs_input:
                if at == len(held):
                    held, at = os.pread(fd, min(_COMPRESSED_READ, end - offset), offset), 0
                    if not held:
                        break
                    offset += len(held)
                data = held[at : at + 1]
                at += 1
            if skip > 0:
                skip -= len(decompressor.decompress(data, skip))
            else:
                out += decompressor.decompress(data, 1)
    except _CORRUPT:
        pass
    return bytes(out)
