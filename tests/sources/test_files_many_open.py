"""Reading many files at once (``analyze`` merging a directory of logs by time): at most
a quarter of ``ulimit -n`` of them stay open, the others are opened again where they
were; a file replaced meanwhile, and a limit reached all the same, are said as such."""

from __future__ import annotations

import errno
import os
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailwarden.sources.files import read_chunks
from mailwarden.sources.interface import ReadStats

LINE = b"Mar 11 10:00:00 mx postfix/smtpd[7]: connect from unknown[192.0.2.9]\n"


@pytest.fixture
def low_limit() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_files_read_in_turn_are_not_all_kept_open(tmp_path: Path, low_limit: None) -> None:
    paths = []
    for n in range(100):
        path = tmp_path / f"host{n}.log"
        path.write_bytes(LINE * 3)
        paths.append(path)
    before = open_files()
    readers = [read_chunks(str(path), ReadStats(), chunk_size=len(LINE)) for path in paths]
    first = [next(reader).data for reader in readers]
    assert first == [LINE] * 100
    assert open_files() - before <= 16  # a quarter of 64
    rest = [b"".join(chunk.data for chunk in reader) for reader in readers]
    assert rest == [LINE * 2] * 100
    assert open_files() <= before


def test_a_file_replaced_while_closed_is_not_read_on(tmp_path: Path, low_limit: None) -> None:
    """A file closed between reads and renamed meanwhile (a rotation) is not read on
    from the new file of that name: its reading stops where it was, said as a problem."""
    paths = []
    for n in range(40):
        path = tmp_path / f"host{n}.log"
        path.write_bytes(LINE * 3)
        paths.append(path)
    stats = [ReadStats() for _ in paths]
    readers = [
        read_chunks(str(path), st, chunk_size=len(LINE))
        for path, st in zip(paths, stats, strict=True)
    ]
    for reader in readers:
        next(reader)
    os.rename(paths[0], tmp_path / "host0.log.1")
    paths[0].write_bytes(b"Mar 11 11:00:00 mx forged: other text\n" * 3)
    assert b"".join(chunk.data for chunk in readers[0]) == b""
    assert len(stats[0].problems) == 1
    assert "replaced while it was read" in stats[0].problems[0]


def test_the_limit_of_open_files_is_named() -> None:
    from mailwarden.sources.files import open_error

    message = str(open_error("logs/host926.log", OSError(errno.EMFILE, "Too many open files")))
    assert "too many files are open at once" in message
    assert "ulimit -n" in message
