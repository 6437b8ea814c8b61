"""Log files: plain or compressed (gzip, bzip2, xz), rotated sets, standard input.

`expand_inputs` turns what a person typed into an ordered list of paths; `read_chunks`
reads one of them.

Decisions:
- A directory stands for its regular, non-hidden files, not recursively: pointing at
  /var/log should not wander into /var/log/journal.
- A rotated set (``mail.log``, ``mail.log.1``, ``mail.log.2.gz``, ``mail.log.10.gz``,
  ``mail.log-20260201.gz``, Postfix's ``postfix.log.20260201-123456.gz``) is read oldest
  first, so entries come in time order: dated files by date, then numbered ones from the
  highest number down, then the live file.
- The same file named twice is read once.
- Compression is recognised by its magic bytes, not by the name. zstd is recognised and
  reported as a problem (the standard library cannot read it).
- A damaged archive is a problem recorded in the stats: every whole line before the
  damage is read, the unfinished line at the damage is dropped, nothing is raised.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, Protocol

from mailwarden.errors import InputError
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.interface import Chunk, ReadStats

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

STDIN = "-"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_DECOMPRESS_READ = 1 << 16
"""Decompressed bytes asked for per read: a corrupt block loses at most this much."""

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
            found.extend(_directory_files(arg))
        elif os.path.lexists(arg):
            found.append(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg))
            if not matches:
                raise InputError(f"{arg}: no file matches this pattern")
            for match in matches:
                found.extend(_directory_files(match) if os.path.isdir(match) else [match])
        else:
            raise InputError(f"{arg}: no such file or directory")
    return _in_time_order(_unique(found))


def _directory_files(directory: str) -> list[str]:
    files = []
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        raise InputError(f"{directory}: cannot list directory: {exc.strerror}") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file():
                files.append(os.path.join(directory, entry.name))
        except OSError:
            continue
    return sorted(files)


def _unique(paths: list[str]) -> list[str]:
    seen: set[object] = set()
    out = []
    for path in paths:
        key: object = path
        if path != STDIN:
            try:
                st = os.stat(path)
                key = (st.st_dev, st.st_ino)
            except OSError:
                key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def rotation_key(path: str) -> tuple[str, tuple[int, str, int]]:
    """(set, age rank): files of one rotated set share the set; a smaller rank is older."""
    head, name = os.path.split(path)
    dated = _DATED.match(name)
    if dated:
        digits = re.sub(r"\D", "", dated["date"]).ljust(14, "0")
        return os.path.join(head, dated["base"]), (0, digits, 0)
    numbered = _NUMBERED.match(name)
    if numbered:
        return os.path.join(head, numbered["base"]), (1, "", -int(numbered["n"]))
    compressed = _PLAIN_COMPRESSED.match(name)
    base = compressed["base"] if compressed else name
    return os.path.join(head, base), (2, "", 0)


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
        ordered.extend(path for _rank, _index, path in sorted(members))
    return ordered


# -- reading one input -----------------------------------------------------------------


def read_chunks(path: str, stats: ReadStats, chunk_size: int = 1 << 20) -> Iterator[Chunk]:
    """The lines of one file (or ``-``), decompressed, as Chunks in order.

    Raises InputError only when the input cannot be opened; damage inside it is a
    problem recorded in `stats`.
    """
    stream, close = _open(path)
    try:
        yield from _read(path, stream, stats, chunk_size)
    finally:
        if close:
            stream.close()


def _open(path: str) -> tuple[BinaryIO, bool]:
    if path == STDIN:
        return sys.stdin.buffer, False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, not a log file")
    try:
        return open(path, "rb", buffering=0), True  # closed by read_chunks
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _read_some(stream: _Readable, size: int) -> bytes:
    read1 = getattr(stream, "read1", None)
    data = read1(size) if read1 is not None else stream.read(size)
    return bytes(data or b"")


def _read(path: str, stream: BinaryIO, stats: ReadStats, chunk_size: int) -> Iterator[Chunk]:
    splitter = LineSplitter(path, stats)
    try:
        first = _read_some(stream, chunk_size)
    except OSError as exc:
        stats.problem(f"{path}: read error: {exc.strerror or exc}")
        return
    stats.files += 1
    kind = next((name for magic, name in _MAGIC if first.startswith(magic)), None)
    if kind == "zstd":
        stats.problem(f"{path}: zstd-compressed, which mailwarden cannot read; skipped")
        return
    raw = io.BufferedReader(_Prefixed(first, stream), buffer_size=1 << 16)
    blocks: Iterator[bytes]
    if kind is None:
        blocks = _blocks(raw, chunk_size)
    else:
        blocks = _blocks(_decompressor(kind, raw), _DECOMPRESS_READ)
    damage = None
    try:
        for block in blocks:
            stats.bytes += len(block)
            chunk = splitter.feed(block)
            if chunk is not None:
                yield chunk
    except EOFError:
        damage = f"truncated {kind} archive"
    except (OSError, zlib.error, lzma.LZMAError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        damage = f"corrupt {kind} data ({reason})" if kind else f"read error ({reason})"
    if damage is not None:
        splitter.drop_pending()
        lines = splitter.line - 1
        stats.problem(f"{path}: {damage} after {lines} lines; earlier lines were read")
        return
    tail = splitter.finish()
    if tail is not None:
        yield tail


def _blocks(stream: _Readable, size: int) -> Iterator[bytes]:
    while True:
        data = _read_some(stream, size)
        if not data:
            return
        yield data


def _decompressor(kind: str, raw: BinaryIO) -> _Readable:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bzip2":
        return bz2.BZ2File(raw, mode="rb")
    return lzma.LZMAFile(raw, mode="rb")


class _Prefixed(io.RawIOBase):
    """Some bytes already read, then the rest of another stream, as one raw stream.

    Lets standard input (which cannot seek) be sniffed for its compression."""

    def __init__(self, prefix: bytes, stream: _Readable) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        out = memoryview(buffer).cast("B")
        if self._prefix:
            size = min(len(out), len(self._prefix))
            out[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = _read_some(self._stream, len(out))
        out[: len(data)] = data
        return len(data)
