"""Following live files: rotation, copytruncate, late files, restarts, partial lines,
read errors, backlogs read in pieces."""

from __future__ import annotations

import bz2
import errno
import gzip
import itertools
import json
import lzma
import os
import queue
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mailwarden.sources.follow import FileFollower, Position
from mailwarden.sources.interface import MAX_LINE, ReadStats


def append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def stopped_after(log: Path, text: str = "") -> dict[str, Position]:
    """A daemon's stop: ``log`` made empty and followed, ``text`` appended and read, then
    the follower's positions at close (what a restart is given)."""
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    if text:
        append(log, text)
        follower.poll()
    positions = follower.positions()
    follower.close()
    return positions


def read(follower: FileFollower) -> list[tuple[int, str]]:
    """(line number, text) of what one poll returns."""
    out = []
    for chunk in follower.poll():
        for n, line in enumerate(chunk.data.decode().splitlines()):
            out.append((chunk.first_line + n, line))
    return out


def test_appended_lines_come_once_and_in_order(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("old 1\nold 2\n")
    follower = FileFollower([str(log)])
    assert read(follower) == []  # an existing file is followed from its end
    append(log, "a\nb\n")
    assert read(follower) == [(3, "a"), (4, "b")]
    assert read(follower) == []


def test_from_start_reads_what_is_there(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("old 1\nold 2\n")
    follower = FileFollower([str(log)], from_start=True)
    assert read(follower) == [(1, "old 1"), (2, "old 2")]


def test_partial_line_is_held_until_complete(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "Feb 23 11:57:42 mx postfix/smtpd[1]: conn")
    assert read(follower) == []
    assert follower.positions()[str(log)].offset == 0  # a restart re-reads the partial line
    append(log, "ect from unknown[192.0.2.1]\n")
    assert read(follower) == [
        (1, "Feb 23 11:57:42 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]")
    ]


def test_rotation_by_rename_reads_old_to_its_end_then_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0.0)
    read(follower)
    append(log, "1\n2\n")
    assert read(follower) == [(1, "1"), (2, "2")]
    append(log, "3\n")  # written just before rotation, not yet read
    log.rename(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    assert read(follower) == [(3, "3"), (1, "new 1")]
    append(log, "new 2\n")
    assert read(follower) == [(2, "new 2")]


def test_late_writes_to_the_rotated_file_are_not_lost(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=60.0)
    read(follower)
    with log.open("a") as writer:  # the daemon writing keeps its descriptor
        writer.write("1\n")
        writer.flush()
        log.rename(tmp_path / "mail.log.1")
        log.write_text("")
        assert read(follower) == [(1, "1")]
        writer.write("2 after rename, before reopen\n")
        writer.flush()
    assert read(follower) == [(2, "2 after rename, before reopen")]


def test_copytruncate_restarts_from_the_beginning(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "a long first line of the old content\nsecond\n")
    assert len(read(follower)) == 2
    log.write_text("")  # copytruncate
    append(log, "x\n")
    assert read(follower) == [(1, "x")]


def test_copytruncate_caught_even_when_the_file_regrew(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "aaa\n")
    read(follower)
    log.write_text("bbbbbbbbbb\ncccccccccc\n")  # truncated and refilled past our offset
    assert read(follower) == [(1, "bbbbbbbbbb"), (2, "cccccccccc")]


def test_copytruncate_caught_when_the_file_regrew_to_the_size_seen_last(
    tmp_path: Path,
) -> None:
    # logrotate's copytruncate, and the new file filled up to exactly the size the
    # follower saw at its last look: its lines are new, not the old ones
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "aaaa\nbbbb\n")
    assert read(follower) == [(1, "aaaa"), (2, "bbbb")]
    log.write_text("cccc\ndddd\n")  # truncated and refilled to the same 10 bytes
    assert read(follower) == [(1, "cccc"), (2, "dddd")]


def test_file_that_appears_later_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    follower = FileFollower([str(log)])
    assert read(follower) == []
    log.write_text("first\n")
    assert read(follower) == [(1, "first")]


def test_restart_from_stored_positions_loses_and_repeats_nothing(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "1\n2\n")
    read(follower)
    stored = json.loads(json.dumps({p: pos.to_json() for p, pos in follower.positions().items()}))
    follower.close()
    append(log, "3\n")  # written while the daemon was down
    positions = {p: Position.from_json(pos) for p, pos in stored.items()}
    again = FileFollower([str(log)], positions)
    assert read(again) == [(3, "3")]


def test_restart_after_rotation_finishes_the_rotated_file_first(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "1\n")
    append(log, "2 unread when rotated\n")
    log.rename(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    again = FileFollower([str(log)], positions, rotate_grace=0.0)
    assert read(again) == [(2, "2 unread when rotated"), (1, "new 1")]


def test_replaced_file_with_same_inode_is_read_from_start(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "original content line\n")
    log.write_text("other content, longer than before, in place\n")  # same inode
    assert os.stat(log).st_ino == positions[str(log)].inode
    again = FileFollower([str(log)], positions)
    assert read(again) == [(1, "other content, longer than before, in place")]


def test_over_long_line_is_skipped_while_following(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    stats = ReadStats()
    follower = FileFollower([str(log)], stats=stats)
    read(follower)
    append(log, "x" * (MAX_LINE + 10))
    assert read(follower) == []
    append(log, "x" * 10 + "\nnext\n")
    assert read(follower) == [(2, "next")]
    assert stats.too_long == 1


def test_position_survives_json_and_rejects_nonsense() -> None:
    position = Position(2049, 1234, 500, 7, "ab" * 32, 256)
    assert Position.from_json(json.loads(json.dumps(position.to_json()))) == position
    bad = dict(position.to_json(), offset=-1)
    try:
        Position.from_json(bad)
    except ValueError as exc:
        assert "offset" in str(exc)
    else:
        raise AssertionError("a negative offset was accepted")


def test_a_new_line_arrives_well_within_the_daemons_budget(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], poll_interval=0.05)
    follower.poll()  # started: from here on every appended line is new
    stop = threading.Event()
    seen: queue.Queue[float] = queue.Queue()

    def consume() -> None:
        for _chunk in follower.watch(stop):
            seen.put(time.monotonic())

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    delays = []
    try:
        for n in range(10):
            time.sleep(0.013 * n % 0.05)  # land at varied points of the poll cycle
            written = time.monotonic()
            append(log, f"line {n}\n")
            delays.append(seen.get(timeout=5) - written)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert statistics.median(delays) < 0.2


# -- read errors ---------------------------------------------------------------------


class Clock:
    """The follower's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines_of(follower: FileFollower) -> list[tuple[str, int, str]]:
    """(file name, line number, text) of what one poll returns."""
    return [
        (Path(chunk.source).name, chunk.first_line + n, line)
        for chunk in follower.poll()
        for n, line in enumerate(chunk.data.decode().splitlines())
    ]


def said(follower: FileFollower) -> list[str]:
    """What the follower has to say in the log since the last call."""
    notes = [note.text for note in follower.notes]
    follower.notes.clear()
    return notes


def break_file(
    monkeypatch: pytest.MonkeyPatch, path: Path, error: int, *calls: str
) -> Callable[[], None]:
    """Make ``os.<call>`` fail with ``error`` on descriptors open on ``path`` (by name, as
    /proc shows it), as a disk (EIO) or an NFS server (ESTALE) does; returns the cure."""
    broken = {"now": True}
    for name in calls or ("pread",):
        real = getattr(os, name)

        def failing(fd: int, *args: object, _real: Callable[..., object] = real) -> object:
            if broken["now"] and os.readlink(f"/proc/self/fd/{fd}") == str(path):
                raise OSError(error, os.strerror(error))
            return _real(fd, *args)

        monkeypatch.setattr(os, name, failing)
    return lambda: broken.update(now=False)


def test_an_io_error_stops_that_file_only_and_reading_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, other = tmp_path / "mail.log", tmp_path / "other.log"
    log.write_text("")
    other.write_text("")
    clock = Clock()
    follower = FileFollower([str(log), str(other)], clock=clock)
    lines_of(follower)
    append(log, "1\n2\n")
    assert lines_of(follower) == [("mail.log", 1, "1"), ("mail.log", 2, "2")]

    cure = break_file(monkeypatch, log, errno.EIO)
    append(log, "3\n")
    append(other, "x\n")
    assert lines_of(follower) == [("other.log", 1, "x")]  # no exception, the other goes on
    (line,) = said(follower)
    assert line.startswith(f"{log}: cannot follow: Input/output error (EIO); ")
    assert "reading resumes at line 3 when it can" in line
    (failure,) = follower.failures()
    assert failure.startswith(f"{log}: cannot follow since ") and "(EIO)" in failure
    assert follower.positions()[str(log)].line == 3  # a stop now resumes at line 3

    append(log, "4\n")
    for _ in range(5):
        clock.now += 0.15
        assert lines_of(follower) == []  # broken, then healed but not tried again yet
        if clock.now >= 1000.5:
            cure()
    assert said(follower) == []  # the same error is said once
    clock.now = 1001.0
    assert lines_of(follower) == [("mail.log", 3, "3"), ("mail.log", 4, "4")]
    (line,) = said(follower)
    assert line.startswith(f"{log}: reading again after 1 s (it could not be read since ")
    assert follower.failures() == []
    append(log, "5\n")
    assert lines_of(follower) == [("mail.log", 5, "5")]


def test_a_file_that_keeps_failing_is_tried_again_ever_less_often_up_to_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("1\n")
    clock = Clock()
    follower = FileFollower([str(log)], clock=clock)
    follower.poll()
    break_file(monkeypatch, log, errno.EIO)
    append(log, "2\n")
    tries: list[float] = []
    real_open = os.open

    def counting_open(path: str, *args: object) -> int:
        if path == str(log):
            tries.append(clock.now)
        return real_open(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", counting_open)
    start = clock.now
    while clock.now < start + 300:
        follower.poll()
        clock.now += 0.25
    assert tries[0] == start + 1  # one second after the error
    gaps = [round(b - a) for a, b in itertools.pairwise(tries)]
    assert gaps == [2, 4, 8, 16, 32, 60, 60, 60], gaps
    assert len(said(follower)) == 1


def test_a_stale_nfs_handle_reopens_the_file_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], clock=clock)
    follower.poll()
    append(log, "1\n")
    assert lines_of(follower) == [("mail.log", 1, "1")]
    cure = break_file(monkeypatch, log, errno.ESTALE, "fstat", "pread")
    append(log, "2\n")
    assert lines_of(follower) == []
    assert "Stale file handle (ESTALE)" in said(follower)[0]
    cure()
    clock.now += 1
    assert lines_of(follower) == [("mail.log", 2, "2")]


def test_a_directory_in_place_of_the_file_is_said_once_and_a_file_there_is_read_again(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], clock=clock, rotate_grace=0)
    follower.poll()
    append(log, "1\n")
    log.rename(tmp_path / "mail.log.1")
    log.mkdir()
    assert lines_of(follower) == [("mail.log", 1, "1")]  # the old file's rest
    for _ in range(400):
        clock.now += 0.25
        assert lines_of(follower) == []
    (line,) = said(follower)
    assert line.startswith(f"{log}: cannot follow: is a directory, not a log file; ")
    assert "is a directory" in follower.failures()[0]

    log.rmdir()
    log.write_text("new 1\n")
    clock.now += 60
    assert lines_of(follower) == [("mail.log", 1, "new 1")]
    assert "reading again" in said(follower)[0]


def test_a_fifo_in_place_of_the_file_never_blocks(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    log.unlink()
    os.mkfifo(log)  # opening it for reading would wait for a writer forever
    done: queue.Queue[list[tuple[str, int, str]]] = queue.Queue()
    worker = threading.Thread(target=lambda: done.put(lines_of(follower)), daemon=True)
    worker.start()
    assert done.get(timeout=5) == []
    assert "is a FIFO (named pipe), not a log file" in said(follower)[0]


def test_a_fifo_among_the_siblings_never_blocks_a_restart(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("1\n")
    follower = FileFollower([str(log)], from_start=True)
    follower.poll()
    positions = follower.positions()
    follower.close()
    log.rename(tmp_path / "mail.log.old")
    os.mkfifo(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    again = FileFollower([str(log)], positions)
    done: queue.Queue[list[tuple[str, int, str]]] = queue.Queue()
    worker = threading.Thread(target=lambda: done.put(lines_of(again)), daemon=True)
    worker.start()
    assert done.get(timeout=5) == [("mail.log", 1, "new 1")]


def test_a_rotated_file_that_fails_is_said_and_the_new_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=60)
    follower.poll()
    append(log, "1\n")
    assert lines_of(follower) == [("mail.log", 1, "1")]
    log.rename(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    assert lines_of(follower) == [("mail.log", 1, "new 1")]
    break_file(monkeypatch, tmp_path / "mail.log.1", errno.EIO)
    append(tmp_path / "mail.log.1", "late\n")
    append(log, "new 2\n")
    assert lines_of(follower) == [("mail.log", 2, "new 2")]
    (line,) = said(follower)
    assert "cannot read the rest of the rotated file (from line 2 on): Input/output" in line


def test_a_restart_reads_the_rotated_rest_even_when_the_new_file_cannot_be_read(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "1\n")
    append(log, "2 unread when rotated\n")
    log.rename(tmp_path / "mail.log.1")
    log.mkdir()  # what stands in for the new file cannot be read

    clock = Clock()
    again = FileFollower([str(log)], positions, rotate_grace=0, clock=clock)
    assert lines_of(again) == [("mail.log", 2, "2 unread when rotated")]
    (line,) = said(again)
    assert "cannot follow: is a directory, not a log file; it is read from its start" in line
    log.rmdir()
    log.write_text("new 1\n")
    clock.now += 1
    assert lines_of(again) == [("mail.log", 1, "new 1")]


# -- backlogs in pieces ----------------------------------------------------------------


def numbered(count: int, width: int = 100) -> str:
    return "".join(f"line {n:06d} ".ljust(width - 1, "x") + "\n" for n in range(1, count + 1))


def texts(chunks: list[tuple[str, int, str]]) -> list[str]:
    return [text for _, _, text in chunks]


def test_a_backlog_is_read_in_pieces_and_a_stop_between_two_resumes_exactly(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log)
    append(log, numbered(3000))  # 300 kB written while stopped

    first = FileFollower([str(log)], positions, read_budget=64 << 10)
    pieces = [first.poll() for _ in range(2)]
    assert all(sum(len(c.data) for c in piece) <= 64 << 10 for piece in pieces)
    got = [line for piece in pieces for c in piece for line in c.data.decode().splitlines()]
    assert 1000 < len(got) < 3000
    stopped_at = first.positions()
    first.close()

    second = FileFollower([str(log)], stopped_at, read_budget=64 << 10)
    while True:
        more = texts(lines_of(second))
        if not more:
            break
        got += more
    assert got == numbered(3000).splitlines()  # nothing lost, nothing twice


def test_the_rest_of_a_rotated_file_comes_first_even_when_it_takes_many_polls(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log)
    append(log, numbered(2000))
    log.rename(tmp_path / "mail.log.1")  # rotated while stopped
    log.write_text("new 1\nnew 2\n")

    first = FileFollower([str(log)], positions, read_budget=32 << 10, rotate_grace=0)
    got = texts(lines_of(first)) + texts(lines_of(first))
    assert 0 < len(got) < 2000 and "new 1" not in got
    stopped_at = first.positions()  # in the rotated file, not at the new file's start
    assert stopped_at[str(log)].inode == (tmp_path / "mail.log.1").stat().st_ino
    first.close()

    second = FileFollower([str(log)], stopped_at, read_budget=32 << 10, rotate_grace=0)
    while more := texts(lines_of(second)):
        got += more
    assert got == [*numbered(2000).splitlines(), "new 1", "new 2"]


@pytest.mark.parametrize("stop", [False, True], ids=["running", "stopped-then"])
def test_a_file_skipped_while_rotated_twice_is_read_whole_afterwards(
    tmp_path: Path, stop: bool
) -> None:
    # The daemon skips a file (its lines read ahead of another input's backlog wait)
    # for many polls; a size-based logrotate renamed it twice meanwhile. The file it
    # was the first time was not noticed: read to its end, then the path, which named
    # the third file by then; the second one's lines were lost.
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    read(follower)
    append(log, "1\n2\n")
    assert read(follower) == [(1, "1"), (2, "2")]
    skip = {str(log)}
    append(log, "3\n")  # not read yet
    log.rename(tmp_path / "mail.log.1")
    log.write_text("second 1\n")
    assert follower.poll(skip) == []
    (tmp_path / "mail.log.1").rename(tmp_path / "mail.log.2")
    log.rename(tmp_path / "mail.log.1")
    log.write_text("third 1\n")
    assert follower.poll(skip) == []
    if stop:
        positions = follower.positions()
        follower.close()
        follower = FileFollower([str(log)], positions, rotate_grace=0)
    got = []
    while more := texts(lines_of(follower)):
        got += more
    assert got == ["3", "second 1", "third 1"]


# -- copytruncate ------------------------------------------------------------------------


def test_after_copytruncate_while_stopped_the_rest_is_read_from_the_copy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "2026-11-28T10:00:00 mx postfix/smtpd[1]: first\nsecond\n")
    append(log, "3 unread\n4 unread\n")  # written while stopped
    shutil.copyfile(log, tmp_path / "mail.log.1")  # copytruncate
    log.write_text("")
    append(log, "new 1\n")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert lines_of(again) == [
        ("mail.log", 3, "3 unread"),
        ("mail.log", 4, "4 unread"),
        ("mail.log", 1, "new 1"),
    ]
    (line,) = said(again)
    assert line == (
        f"{log}: was copied and truncated (copytruncate): reading the rest of the old "
        f"content from {tmp_path / 'mail.log.1'} first, from line 3"
    )


COMPRESSORS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}
FIRST = "2026-11-28T10:00:00 mx postfix/smtpd[1]: first\nsecond\n"


def compress_away(plain: Path, suffix: str = "gz") -> Path:
    """What logrotate's ``compress`` does to a rotated file: ``plain.<suffix>`` in its
    place."""
    packed = plain.with_name(f"{plain.name}.{suffix}")
    packed.write_bytes(COMPRESSORS[suffix](plain.read_bytes()))
    plain.unlink()
    return packed


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_after_a_rotation_and_compression_while_stopped_the_rest_is_read_from_the_archive(
    tmp_path: Path, suffix: str
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, FIRST)
    append(log, "3 unread\n4 unread\n")  # written while stopped
    log.rename(tmp_path / "mail.log.1")  # logrotate: create, compress, no delaycompress
    packed = compress_away(tmp_path / "mail.log.1", suffix)
    log.write_text("new 1\n")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert lines_of(again) == [
        ("mail.log", 3, "3 unread"),
        ("mail.log", 4, "4 unread"),
        ("mail.log", 1, "new 1"),
    ]
    assert said(again) == [
        f"{log}: was compressed away ({packed}): reading the rest of the old content "
        "from it first, from line 3"
    ]
    append(log, "new 2\n")
    assert lines_of(again) == [("mail.log", 2, "new 2")]


def test_after_copytruncate_and_compression_while_stopped_the_rest_is_read_from_the_archive(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, FIRST)
    append(log, "3 unread\n")
    shutil.copyfile(log, tmp_path / "mail.log.1")  # copytruncate, compress
    log.write_text("")
    compress_away(tmp_path / "mail.log.1")
    append(log, "new 1\n")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert lines_of(again) == [("mail.log", 3, "3 unread"), ("mail.log", 1, "new 1")]


def test_an_archive_of_another_file_or_shorter_than_what_was_read_is_not_the_rest(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, FIRST + "third\n")
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress(b"another day\n" * 10))
    (tmp_path / "mail.log.2.gz").write_bytes(gzip.compress(FIRST.encode()))  # too short
    (tmp_path / "mail.log.3").write_bytes(gzip.compress(b"no"))  # by content, not name
    log.unlink()
    log.write_text("new 1\n")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert lines_of(again) == [("mail.log", 1, "new 1")]
    assert said(again) == [
        f"{log}: the file read before the restart (up to line 4) was not found beside {log} "
        "(deleted, moved to another folder as by logrotate's olddir, or truncated with no "
        "readable copy beside it): lines written to it after that, if any, are not read; "
        "failures counted from it before the stop are forgotten; "
        f"reading {log} from its start (when it was rewritten in place with its "
        "first lines, they are counted again)"
    ]


def test_a_stop_while_reading_an_archive_resumes_in_it(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, FIRST)
    append(log, numbered(2000))
    log.rename(tmp_path / "mail.log.1")
    compress_away(tmp_path / "mail.log.1", "xz")
    log.write_text("new 1\n")

    first = FileFollower([str(log)], positions, read_budget=32 << 10, rotate_grace=0)
    got = texts(lines_of(first)) + texts(lines_of(first))
    assert 0 < len(got) < 2000 and "new 1" not in got
    stopped_at = first.positions()
    first.close()

    second = FileFollower([str(log)], stopped_at, read_budget=32 << 10, rotate_grace=0)
    while more := texts(lines_of(second)):
        got += more
    assert got == [*numbered(2000).splitlines(), "new 1"]  # nothing lost, nothing twice


def test_damage_in_the_archive_keeps_the_lines_before_it_and_says_so(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, FIRST)
    append(log, numbered(3000))
    rotated = tmp_path / "mail.log.1"
    log.rename(rotated)
    packed = compress_away(rotated)
    whole = packed.read_bytes()
    packed.write_bytes(whole[: len(whole) * 2 // 3])  # cut short: a full disk, a crash
    log.write_text("new 1\n")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    got = []
    while more := texts(lines_of(again)):
        got += more
    assert got[-1] == "new 1"
    kept = got[:-1]
    assert 1000 < len(kept) < 3000 and kept == numbered(len(kept)).splitlines()
    notes = said(again)
    assert notes[0].startswith(f"{log}: was compressed away ({packed})")
    assert notes[1] == (
        f"{log}: cannot read the rest of the rotated file (from line {len(kept) + 3} on): "
        "truncated gzip archive (EIO); its later lines are skipped"
    )


def test_copytruncate_while_running_with_the_copy_compressed_at_once(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, FIRST)
    assert len(lines_of(follower)) == 2
    append(log, "3 not read yet\n")
    shutil.copyfile(log, tmp_path / "mail.log.1")
    log.write_text("")
    compress_away(tmp_path / "mail.log.1")
    append(log, "new 1\n")
    assert lines_of(follower) == [("mail.log", 3, "3 not read yet"), ("mail.log", 1, "new 1")]


def test_a_sibling_with_other_first_bytes_is_no_copy(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "2026-11-28T10:00:00 mx postfix/smtpd[1]: first\n")
    (tmp_path / "mail.log.1").write_text("2026-11-27T10:00:00 mx postfix/smtpd[1]: first\nx\n")
    log.write_text("new 1\n")  # same inode, truncated and written again

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert lines_of(again) == [("mail.log", 1, "new 1")]


def test_copytruncate_while_running_reads_the_unread_rest_from_the_copy(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "2026-11-28T10:00:00 mx postfix/smtpd[1]: first\n")
    assert len(lines_of(follower)) == 1
    append(log, "2 not read yet\n")
    shutil.copyfile(log, tmp_path / "mail.log.1")
    log.write_text("")
    append(log, "new 1\n")
    assert lines_of(follower) == [("mail.log", 2, "2 not read yet"), ("mail.log", 1, "new 1")]
    append(log, "new 2\n")
    assert lines_of(follower) == [("mail.log", 2, "new 2")]


# -- rewrites in place seen at two polls, late writers over many rotations -------------------


def rewrite(log: Path, kept: bytes) -> None:
    """Truncate ``log`` in place (same inode) and write ``kept`` into it."""
    with log.open("r+b") as out:
        out.truncate(0)
        out.write(kept)


def test_a_rewrite_seen_empty_at_one_poll_and_written_at_the_next_is_not_counted_twice(
    tmp_path: Path,
) -> None:
    # : > mail.log; sleep 0.3; cat x >> mail.log: the daemon polls in between.
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    append(log, "one\ntwo\nthree\nfour\n")
    assert len(lines_of(follower)) == 4
    rewrite(log, b"")
    assert lines_of(follower) == []
    append(log, "one\ntwo\n")
    assert lines_of(follower) == []
    append(log, "five\n")
    assert lines_of(follower) == [("mail.log", 3, "five")]
    assert said(follower) == [
        f"{log}: was rewritten in place with its first 2 line(s) only (4 line(s) were read "
        "before): they are not counted again; reading on from line 3"
    ]


def test_a_rewrite_keeping_part_of_a_line_reads_the_next_line_alone(tmp_path: Path) -> None:
    # head -c N mail.log > x; cat x > mail.log with N inside the third line: the writer's
    # next line comes after that fragment, which was read before.
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    append(log, "one\ntwo\nthree\nfour\n")
    assert len(lines_of(follower)) == 4
    rewrite(log, b"one\ntwo\nth")
    assert lines_of(follower) == []
    append(log, "five\n")
    assert lines_of(follower) == [("mail.log", 3, "five")]
    assert said(follower) == [
        f"{log}: was rewritten in place with its first 2 line(s) and a part of line 3 only "
        "(4 line(s) were read before): they are not counted again; what is written next is "
        "read as a new line"
    ]


def test_a_rewrite_written_in_pieces_is_not_counted_twice(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    append(log, "one\ntwo\nthree\n")
    assert len(lines_of(follower)) == 3
    rewrite(log, b"one\n")
    assert lines_of(follower) == []
    append(log, "two\n")  # the rest of the rewrite, seen at the next poll
    assert lines_of(follower) == []
    append(log, "four\n")
    assert lines_of(follower) == [("mail.log", 3, "four")]


def test_a_writer_on_the_first_rotated_file_is_read_through_many_rotations(
    tmp_path: Path,
) -> None:
    # One writer never reopens its log (it writes to the file renamed at the first
    # rotation), the other does; four rotations, each after the grace: the file still
    # written to is never let go, those that stopped growing are.
    log = tmp_path / "mail.log"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], rotate_grace=5.0, clock=clock)
    follower.poll()
    seen: list[str] = []

    def second(text: str) -> None:  # a line, then a poll every 0.25 s
        stale.write(text)
        stale.flush()
        for _ in range(4):
            seen.extend(text for _, _, text in lines_of(follower))
            clock.now += 0.25

    with log.open("a") as stale:
        for rotation in range(1, 5):
            for n in range(8):
                second(f"stale {rotation}.{n}\n")
            for k in range(rotation - 1, 0, -1):
                (tmp_path / f"mail.log.{k}").rename(tmp_path / f"mail.log.{k + 1}")
            log.rename(tmp_path / "mail.log.1")
            append(log, f"fresh {rotation}\n")
        for n in range(8):
            second(f"stale 5.{n}\n")
    assert sorted(seen) == sorted(
        [f"stale {r}.{s}" for r in range(1, 6) for s in range(8)]
        + [f"fresh {r}" for r in range(1, 5)]
    )
    follower.close()


def test_a_sibling_there_both_plain_and_compressed_is_read_once(tmp_path: Path) -> None:
    # Stopped; then three rotations, the compression of mail.log.2 interrupted (or under
    # way): mail.log.2 and mail.log.2.gz are both there. Its lines come once.
    log = tmp_path / "mail.log"
    positions = stopped_after(log, "old 1\n")
    append(log, "old 2\n")
    log.rename(tmp_path / "mail.log.3")
    log.write_text("between 1\n")
    log.rename(tmp_path / "mail.log.2")
    (tmp_path / "mail.log.2.gz").write_bytes(gzip.compress(b"between 1\n"))
    log.write_text("between 2\n")
    log.rename(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    again = FileFollower([str(log)], positions, rotate_grace=0)
    seen = []
    for _ in range(6):
        seen += [text for _, _, text in lines_of(again)]
    assert seen == ["old 2", "between 1", "between 2", "new 1"]
    assert (
        f"{log}: was rotated more than once meanwhile: after the rest of {tmp_path}/mail.log.3, "
        f"reading {tmp_path}/mail.log.2, {tmp_path}/mail.log.1 whole, then {log}"
    ) in said(again)
    again.close()


def test_past_the_bound_of_rotated_files_still_written_to_one_is_closed_and_said(
    tmp_path: Path,
) -> None:
    # Seventeen rotations, each file renamed away kept open and written to by a writer
    # that never reopens its log: the follower keeps at most 16 of them open per path,
    # closes the one written to least recently and says so.
    log = tmp_path / "mail.log"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], rotate_grace=5.0, clock=clock)
    follower.poll()
    writers = []
    try:
        for rotation in range(1, 18):
            writers.append(log.open("a"))
            log.rename(tmp_path / f"mail.log.{rotation}")
            log.write_text("")
            for _ in range(3):  # the grace passes while every writer writes
                for n, writer in enumerate(writers, 1):
                    writer.write(f"{n}\n")
                    writer.flush()
                lines_of(follower)
                clock.now += 2
        notes = said(follower)
        assert [note for note in notes if "rotated files are still written to" in note] == [
            f"{log}: more than 16 rotated files are still written to: {tmp_path}/mail.log.1, "
            "written to least recently, is closed; lines written to it from now on are not read"
        ]
        for n, writer in enumerate(writers, 1):
            writer.write(f"last {n}\n")
            writer.flush()
        seen = [text for _ in range(3) for _, _, text in lines_of(follower)]
        assert sorted(seen) == sorted(f"last {n}" for n in range(2, 18))
    finally:
        for writer in writers:
            writer.close()
        follower.close()


# -- a log replaced by an edited copy of itself while followed --------------------------


def replaced_by(log: Path, text: str) -> None:
    """What ``sed -i``, ``grep -v x mail.log > y && mv y mail.log`` or an editor's save
    do: a new file (another inode) with ``text`` takes the log's name."""
    new = log.with_name(log.name + ".edit")
    new.write_text(text)
    new.replace(log)


LOGGED = [f"2026-11-29T10:00:0{n}.000000+00:00 mx postfix/smtpd[{n}]: line {n}" for n in range(6)]


def test_a_line_deleted_by_sed_i_does_not_make_the_log_read_again(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED))
    assert len(lines_of(follower)) == 6
    # sed -i '/line 2/d' mail.log, and the writer's next line
    replaced_by(log, "".join(line + "\n" for line in LOGGED if "line 2" not in line))
    append(log, "new\n")
    assert lines_of(follower) == [("mail.log", 6, "new")]
    assert said(follower) == [
        f"{log}: was replaced by an edited copy of itself (sed -i, grep -v and mv, an "
        "editor's save?): the last line read from the old one (of 6) is its line 5; lines "
        "up to there are not counted again; reading on from line 6"
    ]
    append(log, "newer\n")
    assert lines_of(follower) == [("mail.log", 7, "newer")]
    assert said(follower) == []


def test_an_edited_copy_that_lost_the_last_lines_read_goes_on_after_the_line_before(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED))
    assert len(lines_of(follower)) == 6
    # The last two lines deleted, one line edited before them, then two new lines.
    kept = [*LOGGED[:2], LOGGED[2].replace("line 2", "line x"), LOGGED[3]]
    replaced_by(log, "".join(line + "\n" for line in kept) + "new 1\nnew 2\n")
    assert lines_of(follower) == [("mail.log", 5, "new 1"), ("mail.log", 6, "new 2")]
    assert "the last line read from the old one (of 6) is its line 4;" in said(follower)[0]


def test_a_copy_of_the_log_with_more_lines_reads_only_those(tmp_path: Path) -> None:
    # cp mail.log x; echo more >> x; mv x mail.log (or an editor's save with nothing
    # changed, the writer's lines after it).
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED[:3]))
    assert len(lines_of(follower)) == 3
    replaced_by(log, "".join(line + "\n" for line in LOGGED))
    assert lines_of(follower) == [("mail.log", n + 1, LOGGED[n]) for n in range(3, 6)]
    assert "the last line read from the old one (of 3) is its line 3;" in said(follower)[0]


def test_an_edit_with_every_line_after_the_edit_point_changed_reads_on_from_there(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED))
    assert len(lines_of(follower)) == 6
    # sed -i 's/postfix/POSTFIX/' from the fifth line on
    edited = [*LOGGED[:4], *(line.replace("postfix", "POSTFIX") for line in LOGGED[4:])]
    replaced_by(log, "".join(line + "\n" for line in edited))
    assert [line for _, line, _ in lines_of(follower)] == [5, 6]
    assert said(follower) == [
        f"{log}: was replaced by an edited copy of itself (sed -i, grep -v and mv, an "
        "editor's save?): its first 4 line(s) were read from the old one, but none of the "
        "last lines read from it (of 6) comes after them; the lines after them are read as "
        "new (edited ones counted again); reading on from line 5"
    ]


def test_an_edited_copy_without_its_first_lines_is_known_too(tmp_path: Path) -> None:
    # sed -i '1,2d' mail.log
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED[:5]))
    assert len(lines_of(follower)) == 5
    replaced_by(log, "".join(line + "\n" for line in LOGGED[2:]))
    assert lines_of(follower) == [("mail.log", 4, LOGGED[5])]
    assert "the last line read from the old one (of 5) is its line 3;" in said(follower)[0]


def test_an_edited_copy_with_its_first_line_edited_is_known_too(tmp_path: Path) -> None:
    # sed -i 's/line 0/line X/' mail.log: the first line is no line read before.
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED[:5]))
    assert len(lines_of(follower)) == 5
    edited = [LOGGED[0].replace("line 0", "line X"), *LOGGED[1:]]
    replaced_by(log, "".join(line + "\n" for line in edited))
    assert lines_of(follower) == [("mail.log", 6, LOGGED[5])]
    assert "the last line read from the old one (of 5) is its line 5;" in said(follower)[0]


def test_a_rotation_is_not_taken_for_an_edited_copy(tmp_path: Path) -> None:
    # logrotate's create: the new file is empty, then its writer writes a new first line
    # (even one that starts as the old first line did, up to the time).
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED[:3]))
    assert len(lines_of(follower)) == 3
    log.rename(tmp_path / "mail.log.1")
    log.write_text("")
    assert lines_of(follower) == []
    append(log, LOGGED[0][:20])
    assert lines_of(follower) == []
    append(log, "9 new first line\n" + LOGGED[5] + "\n")
    assert lines_of(follower) == [
        ("mail.log", 1, LOGGED[0][:20] + "9 new first line"),
        ("mail.log", 2, LOGGED[5]),
    ]
    assert said(follower) == []


@pytest.mark.parametrize("after", [1, 3])
def test_a_rotation_in_a_flood_of_one_line_is_not_taken_for_an_edited_copy(
    tmp_path: Path, after: int
) -> None:
    # PAM's line has no pid: a guesser's lines in one second are alike, before and
    # after a (size-based) rotation. The new file holds only lines read before, but it
    # is no copy: its lines are new.
    pam = (
        "Nov 29 10:00:00 mx auth: pam_unix(dovecot:auth): authentication failure; "
        "logname= uid=0 euid=0 tty=dovecot ruser=bob rhost=203.0.113.7  user=bob"
    )
    log = tmp_path / "auth.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, f"{pam}\n{pam}\n")
    assert len(lines_of(follower)) == 2
    log.rename(tmp_path / "auth.log.1")
    log.write_text(f"{pam}\n" * after)
    assert lines_of(follower) == [("auth.log", n, pam) for n in range(1, after + 1)]
    assert said(follower) == []


def test_an_edited_copy_is_known_while_the_path_is_not_read(tmp_path: Path) -> None:
    # The daemon holds the path's lines back (another input's backlog): the edit is
    # noticed by a stat; the old file's rest, then only the new file's new lines, come
    # when the path is read again.
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, "".join(line + "\n" for line in LOGGED[:4]))
    assert len(lines_of(follower)) == 4
    append(log, LOGGED[4] + "\n")  # not read yet
    follower.poll(skip={str(log)})
    replaced_by(log, "".join(line + "\n" for line in LOGGED if "line 1" not in line))
    follower.poll(skip={str(log)})
    append(log, "new\n")
    assert lines_of(follower) == [
        ("mail.log", 5, LOGGED[4]),  # the old file's rest
        ("mail.log", 5, LOGGED[5]),  # in the copy only: new
        ("mail.log", 6, "new"),
    ]


# -- a file empty at the stop, rotated while stopped -----------------------------------


def test_a_copytruncate_of_a_file_empty_at_the_stop_reads_the_copy_first(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log)  # nothing written before the stop
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    append(log, "while stopped 1\nwhile stopped 2\n")
    shutil.copyfile(log, tmp_path / "mail.log.1")  # copytruncate
    log.write_text("")
    append(log, "after it\n")
    follower = FileFollower([str(log)], positions)
    assert lines_of(follower) == [
        ("mail.log", 1, "while stopped 1"),
        ("mail.log", 2, "while stopped 2"),
        ("mail.log", 1, "after it"),
    ]
    assert said(follower) == [
        f"{log}: was empty when read before the restart, and rotated meanwhile: reading "
        f"{tmp_path / 'mail.log.1'} whole (changed since), then {log} from its start"
    ]


@pytest.mark.parametrize("reused", [False, True])
def test_two_rotations_of_a_file_empty_at_the_stop_read_both_rotated_files(
    tmp_path: Path, reused: bool
) -> None:
    # logrotate with compress and delaycompress, twice while stopped; the older files,
    # read before the stop, are not read again (gzip keeps their mtime). ``reused``: the
    # new mail.log got the inode the stopped file had (freed by the compression).
    log = tmp_path / "mail.log"
    old = tmp_path / "mail.log.1"
    old.write_text("read before 1\n")
    packed_before = tmp_path / "mail.log.2.gz"
    packed_before.write_bytes(gzip.compress(b"read before 2\n"))
    for done in (old, packed_before):
        os.utime(done, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))
    positions = stopped_after(log)
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    # first rotation
    packed_before.rename(tmp_path / "mail.log.3.gz")
    first = tmp_path / "mail.log.2.gz"
    append(log, "X1\nX2\n")
    first.write_bytes(gzip.compress(old.read_bytes()))
    os.utime(first, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns))
    old.unlink()
    log.rename(old)
    log.write_text("")
    # second rotation: the file with X is compressed, the one with Y renamed
    first.rename(tmp_path / "mail.log.3.gz")
    append(log, "Y1\n")
    time.sleep(0.01)
    second = tmp_path / "mail.log.2.gz"
    second.write_bytes(gzip.compress(old.read_bytes()))
    os.utime(second, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns))
    old.unlink()
    log.rename(old)
    append(log, "Z1\n")
    if reused:
        stored = positions[str(log)]
        positions = {str(log): stored._replace(inode=log.stat().st_ino)}
    follower = FileFollower([str(log)], positions)
    assert [line for _, _, line in lines_of(follower)] == ["X1", "X2", "Y1", "Z1"]
    assert said(follower) == [
        f"{log}: was empty when read before the restart, and rotated meanwhile: reading "
        f"{second}, {old} whole (changed since), then {log} from its start"
    ]


def test_a_position_of_an_empty_file_stored_by_an_older_version_resumes_as_before(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    stored = stopped_after(log)[str(log)]
    assert stored.checked > 0
    old = Position.from_json({k: v for k, v in stored.to_json().items() if k != "checked"})
    assert old.checked == 0
    append(log, "a\n")
    follower = FileFollower([str(log)], {str(log): old})
    assert lines_of(follower) == [("mail.log", 1, "a")]


def test_a_symlinked_log_rotated_while_stopped_is_found_beside_the_real_file(
    tmp_path: Path,
) -> None:
    # mail.log -> real/mail.log; logrotate (told the real path) renames real/mail.log.
    real = tmp_path / "real"
    real.mkdir()
    (real / "mail.log").write_text("")
    log = tmp_path / "mail.log"
    log.symlink_to(real / "mail.log")
    positions = stopped_after(log, "one\ntwo\n")
    append(real / "mail.log", "three\n")
    (real / "mail.log").rename(real / "mail.log.1")
    (real / "mail.log").write_text("new\n")
    follower = FileFollower([str(log)], positions)
    assert lines_of(follower) == [("mail.log", 3, "three"), ("mail.log", 1, "new")]
    assert said(follower) == []


def test_a_stored_file_not_found_is_said_with_where_it_was_looked_for(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "mail.log").write_text("")
    log = tmp_path / "mail.log"
    log.symlink_to(real / "mail.log")
    positions = stopped_after(log, "one\ntwo\n")
    (real / "old").mkdir()
    (real / "mail.log").rename(real / "old" / "mail.log.1")  # logrotate's olddir
    (real / "mail.log").write_text("new\n")
    follower = FileFollower([str(log)], positions)
    assert lines_of(follower) == [("mail.log", 1, "new")]
    assert said(follower) == [
        f"{log}: the file read before the restart (up to line 3) was not found beside {log} "
        f"and {real / 'mail.log'} (deleted, moved to another folder as by logrotate's olddir, "
        "or truncated with no readable copy beside it): lines written to it after that, if "
        "any, are not read; failures counted from it before the stop are forgotten; "
        f"reading {log} from its start (when it was rewritten in place with its "
        "first lines, they are counted again)"
    ]


def test_the_last_line_of_a_rotated_file_without_a_newline_comes_after_the_grace(
    tmp_path: Path,
) -> None:
    # A writer that left its last line without a newline, then a rotation, and the
    # writer writes to the new file: the line is passed on once the renamed file had no
    # write for the grace, not after the whole late watch (10 minutes: a ban that late).
    log = tmp_path / "mail.log"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], clock=clock, rotate_grace=5)
    follower.poll()
    append(log, "1\n2 unfinished")
    assert lines_of(follower) == [("mail.log", 1, "1")]
    log.rename(tmp_path / "mail.log.1")
    log.write_text("")
    assert lines_of(follower) == []
    append(log, "new 1\n")  # the writer has moved on to the new file
    assert lines_of(follower) == [("mail.log", 1, "new 1")]
    clock.now += 4
    assert lines_of(follower) == []
    clock.now += 2
    assert lines_of(follower) == [("mail.log", 2, "2 unfinished")]
    clock.now += 60
    assert lines_of(follower) == []  # once


def test_a_rotated_file_still_written_to_after_a_restart_is_read_on_and_said(
    tmp_path: Path,
) -> None:
    # A restart after a rotation whose writer was not told to reopen its log: mail.log.1,
    # written to while stopped and read whole, is read on after the start as while
    # running, and said when it goes on past the grace.
    log = tmp_path / "mail.log"
    rotated = tmp_path / "mail.log.1"
    log.write_text("")
    clock = Clock()
    first = FileFollower([str(log)], clock=clock, rotate_grace=5)
    first.poll()
    log.rename(rotated)
    log.write_text("")
    first.poll()
    positions = first.positions()
    first.close()
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    append(rotated, "1\n")
    again = FileFollower([str(log)], positions, clock=clock, rotate_grace=5)
    assert lines_of(again) == [("mail.log", 1, "1")]
    said(again)
    append(rotated, "2\n")
    assert lines_of(again) == [("mail.log", 2, "2")]
    clock.now += 10
    append(rotated, "3\n")
    assert lines_of(again) == [("mail.log", 3, "3")]
    (line,) = said(again)
    assert line.startswith(f"{log}: lines are still written to {rotated} more than 5 s after")


def test_the_unfinished_last_line_of_a_rotated_file_waits_for_its_writer_to_finish_it(
    tmp_path: Path,
) -> None:
    # A block-buffered writer not yet told to reopen its log: its last line, cut short,
    # is in the renamed file, and the new file at the path stays empty. The line is not
    # passed on in two pieces: the rest, written 8 s later, completes it.
    log = tmp_path / "mail.log"
    rotated = tmp_path / "mail.log.1"
    log.write_text("")
    clock = Clock()
    follower = FileFollower([str(log)], clock=clock, rotate_grace=5)
    follower.poll()
    append(log, "1\n2 unfin")
    assert lines_of(follower) == [("mail.log", 1, "1")]
    log.rename(rotated)
    log.write_text("")
    assert lines_of(follower) == []
    clock.now += 6
    assert lines_of(follower) == []
    clock.now += 2
    append(rotated, "ished\n")
    assert lines_of(follower) == [("mail.log", 2, "2 unfinished")]
    said(follower)
