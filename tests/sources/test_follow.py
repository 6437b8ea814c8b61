"""Following live files: rotation, copytruncate, late files, restarts, partial lines."""

from __future__ import annotations

import json
import os
import queue
import statistics
import threading
import time
from pathlib import Path

from mailwarden.sources.follow import FileFollower, Position
from mailwarden.sources.interface import MAX_LINE, ReadStats


def append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


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
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "1\n")
    read(follower)
    positions = follower.positions()
    follower.close()
    append(log, "2 unread when rotated\n")
    log.rename(tmp_path / "mail.log.1")
    log.write_text("new 1\n")
    again = FileFollower([str(log)], positions, rotate_grace=0.0)
    assert read(again) == [(2, "2 unread when rotated"), (1, "new 1")]


def test_replaced_file_with_same_inode_is_read_from_start(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    read(follower)
    append(log, "original content line\n")
    read(follower)
    positions = follower.positions()
    follower.close()
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


def test_a_path_that_cannot_be_read_is_reported_once(tmp_path: Path) -> None:
    stats = ReadStats()
    follower = FileFollower([str(tmp_path)], stats=stats)  # a directory
    for _ in range(3):
        assert follower.poll() == []
    assert len(stats.problems) == 1 and "cannot follow" in stats.problems[0]


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
