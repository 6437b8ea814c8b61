"""The warm-up's window (`reading.tail_before(..., window=)`, `_recent_start`):
the binary search on the lines' times with classic and RFC 3339 stamps, CRLF, lines
without a time, a window longer than the file or the limit, a tail in one line, lines
out of order, a huge line, and the limit's edge."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from mailwarden.daemon import reading
from mailwarden.daemon.reading import tail_before
from mailwarden.sources.follow import FileFollower, Position
from mailwarden.sources.interface import Chunk

DAY = timedelta(days=1)


def rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def classic(when: datetime) -> str:
    """Classic syslog, without a year (read in the local zone: UTC here)."""
    return when.strftime("%b %e %H:%M:%S")


def minutes(
    start: datetime, count: int, stamp: Callable[[datetime], str] = rfc3339, end: str = "\n"
) -> list[str]:
    """A line a minute from ``start`` on."""
    return [
        f"{stamp(start + timedelta(minutes=n))} mx postfix/smtpd[{n}]: "
        f"connect from unknown[192.0.2.5]{end}"
        for n in range(count)
    ]


def read_to_end(log: Path) -> Position:
    """Where a daemon that read all of ``log`` stopped."""
    follower = FileFollower([str(log)], from_start=True, read_budget=1 << 30)
    follower.poll()
    position = follower.positions()[str(log)]
    follower.close()
    assert position.offset == log.stat().st_size
    return position


def tail(
    log: Path, window: timedelta | None, limit: int = 32 << 20, piece: int = 64 << 10
) -> list[tuple[int, str]]:
    """(line number, text) of the warm-up tail of ``log`` read to its end."""
    chunks = list(tail_before(str(log), read_to_end(log), limit, piece, window))
    out: list[tuple[int, str]] = []
    for chunk in chunks:
        lines = chunk.data.decode("utf-8", "replace").split("\n")[:-1]
        out.extend((chunk.first_line + n, line) for n, line in enumerate(lines))
    return out


def numbered(lines: list[str]) -> list[tuple[int, str]]:
    return [(n, line.rstrip("\n")) for n, line in enumerate(lines, 1)]


def clock_at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """The warm-up's framers read the time as ``now``: year-less stamps are dated as of
    it (the year is the one that puts a stamp no more than a day after ``now``), not as
    of the day the test runs."""
    monkeypatch.setattr(reading, "Framer", functools.partial(reading.Framer, clock=lambda: now))


# -- stamps ----------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("stamp", [classic, rfc3339])
def test_the_tail_starts_a_window_before_the_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: Callable[[datetime], str], end: str
) -> None:
    # Three days that end a minute before "now", fixed: dated by the day the test ran,
    # year-less stamps went wrong near New Year (a zone behind UTC dated the last
    # line a year back) and around a change of summer time (a window an hour off).
    start = datetime(2026, 11, 25, tzinfo=UTC)
    clock_at(monkeypatch, start + 3 * DAY)
    log = tmp_path / "mail.log"
    lines = minutes(start, 3 * 24 * 60, stamp, end)
    log.write_bytes("".join(lines).encode())
    for window, first in ((timedelta(hours=1), 3 * 24 * 60 - 60), (DAY, 2 * 24 * 60)):
        assert tail(log, window) == numbered(lines)[first - 1 :]  # the line a window back too


def test_classic_stamps_over_new_year_are_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Year-less stamps are dated by "now": pinned to the log's end, or on a New Year's
    # morning the lines of 2 January would be a year old.
    end = datetime(2026, 1, 2, 12, tzinfo=UTC)
    clock_at(monkeypatch, end)
    log = tmp_path / "mail.log"
    lines = minutes(datetime(2025, 12, 30, 12, tzinfo=UTC), 3 * 24 * 60, classic)
    log.write_text("".join(lines))
    assert tail(log, DAY)[0] == numbered(lines)[2 * 24 * 60 - 1]


def test_stamps_in_several_zones_are_compared_as_instants(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    lines = [
        line.replace("+00:00", "+05:00", 1) if n % 2 else line
        for n, line in enumerate(minutes(datetime(2026, 11, 25, tzinfo=UTC), 3 * 24 * 60))
    ]
    # every other line is five hours earlier than it says without its zone
    log.write_text("".join(sorted(lines, key=lambda line: datetime.fromisoformat(line[:32]))))
    got = tail(log, DAY)
    last = datetime.fromisoformat(got[-1][1][:32])
    assert all(last - datetime.fromisoformat(line[:32]) <= DAY for _, line in got)
    assert last - datetime.fromisoformat(got[0][1][:32]) > DAY - timedelta(minutes=2)


# -- edges -------------------------------------------------------------------------------


def test_a_window_longer_than_the_file_or_the_limit(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    lines = minutes(datetime(2026, 11, 25, tzinfo=UTC), 3 * 24 * 60)
    log.write_text("".join(lines))
    assert tail(log, 10 * DAY) == numbered(lines)
    size = len(lines[-1])  # the last 100 are all as long
    assert tail(log, 10 * DAY, limit=100 * size + 1) == numbered(lines)[-100:]


def test_a_tail_in_one_line(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    line = f"{rfc3339(datetime(2026, 11, 28, tzinfo=UTC))} mx postfix/smtpd[1]: {'x' * 5000}\n"
    log.write_text(line)
    assert tail(log, DAY) == [(1, line.rstrip("\n"))]
    assert tail(log, DAY, limit=4000) == []  # no whole line within the limit
    log.write_text("a line with no time\n" + line)
    assert tail(log, DAY, limit=5100) == [(2, line.rstrip("\n"))]


def test_without_a_time_on_the_last_line_the_limit_bounds_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    lines = [*minutes(datetime(2026, 11, 25, tzinfo=UTC), 3 * 24 * 60), "no time here\n"]
    log.write_text("".join(lines))
    assert tail(log, timedelta(hours=1)) == numbered(lines)


def test_lines_without_a_time_before_the_window_do_not_stop_the_search(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    lines = minutes(datetime(2026, 11, 25, tzinfo=UTC), 3 * 24 * 60)
    for at in range(100, 3 * 24 * 60, 500):  # runs of 40 lines with no time
        lines[at:at] = [f"continued {n}\n" for n in range(40)]
    log.write_text("".join(lines))
    got = tail(log, DAY)
    assert got[-1] == numbered(lines)[-1]
    assert len(got) < len(lines) / 2  # about a third of the file, not all of it


def test_a_line_exactly_as_long_as_the_limit_is_in_the_tail(tmp_path: Path) -> None:
    # "The whole lines before the position (at most `limit` bytes)"
    log = tmp_path / "mail.log"
    lines = minutes(datetime(2026, 11, 25, tzinfo=UTC), 10)
    log.write_text("".join(lines))
    size = len(lines[0])
    assert tail(log, None, limit=size) == numbered(lines)[-1:]
    assert tail(log, DAY, limit=3 * size) == numbered(lines)[-3:]


def test_the_descriptor_is_closed_when_the_warm_up_stops_between_two_pieces(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("".join(minutes(datetime(2026, 11, 25, tzinfo=UTC), 3 * 24 * 60)))
    position = read_to_end(log)
    before = len(os.listdir("/proc/self/fd"))
    pieces = cast(
        Generator[Chunk, None, None], tail_before(str(log), position, 32 << 20, 4096, DAY)
    )
    next(pieces)
    pieces.close()
    assert len(os.listdir("/proc/self/fd")) == before


# -- out of order, huge lines ---------------------------------------------------------------


def test_one_line_with_a_stale_time_does_not_cut_the_window_short(tmp_path: Path) -> None:
    # rsyslog's imjournal replaying an old entry after a journal rotation, a program
    # with its own clock: one line out of order, where the search happens to look first
    log = tmp_path / "mail.log"
    lines = minutes(datetime(2026, 11, 24, tzinfo=UTC), 4 * 24 * 60)
    half, at = len("".join(lines)) // 2, 0
    while sum(map(len, lines[:at])) <= half:
        at += 1
    log.write_text("".join(lines))
    assert tail(log, 3 * DAY)[0] == numbered(lines)[24 * 60 - 1]  # three days back
    lines[at] = lines[at].replace("2026-11-2", "2026-10-2", 1)  # a month late
    log.write_text("".join(lines))
    assert tail(log, 3 * DAY)[0] == numbered(lines)[24 * 60 - 1]  # not a day less


def test_a_long_run_without_newlines_keeps_the_search_a_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a crash, a log can hold megabytes of NUL bytes (no newline): one line longer
    # than half of what is searched. The search then reads the older lines one by one,
    # twice 64 kB each (seconds for a 32 MB tail).
    log = tmp_path / "mail.log"
    now = datetime(2026, 11, 28, tzinfo=UTC)
    old = [f"{rfc3339(now - 3 * DAY + timedelta(seconds=n))} x\n" for n in range(30_000)]
    recent = minutes(now - timedelta(hours=1), 60)
    with log.open("wb") as out:
        out.write("".join(old).encode())
        out.write(b"\0" * (2 << 20) + b"\n")
        out.write("".join(recent).encode())
    position = read_to_end(log)
    reads = 0
    pread = os.pread

    def counted(fd: int, size: int, offset: int) -> bytes:
        nonlocal reads
        reads += 1
        return pread(fd, size, offset)

    fd = os.open(log, os.O_RDONLY)
    try:
        monkeypatch.setattr(os, "pread", counted)
        start = reading._recent_start(fd, 0, position.offset, DAY)
    finally:
        os.close(fd)
    assert start == len("".join(old).encode())  # the NUL line, then the recent ones
    # a search: tens of reads, then the last 64 kB line by line; not two per old line
    assert reads < 10_000
