"""`mailwarden events` with its worker process (mailwarden.eventpool): the same text as
in one process, in input order, whatever the input; standard input and FIFOs read once."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailwarden.errors import InputError
from mailwarden.eventpool import MIN_BYTES, Render, print_events, worth_a_worker
from mailwarden.framing import Framer
from mailwarden.model import Event, Record
from mailwarden.pipeline import Counts, ReadOptions
from mailwarden.report.events import event_json, event_text
from mailwarden.scanpool import regular_bytes, two_cores
from mailwarden.sources.interface import Chunk

needs_two_cores = pytest.mark.skipif(not two_cores(), reason="the worker needs two cores")


def _lines(count: int, seed: int = 0) -> list[str]:
    """A mixed log: SASL failures, sessions, Dovecot logins, noise; times go forward."""
    out = []
    for n in range(count):
        i = (n * 7 + seed) % 250 + 1
        clock = f"{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}"
        head = f"Feb 23 {clock} mx"
        kind = n % 5
        if kind == 0:
            out.append(
                f"{head} postfix/smtpd[{1000 + i}]: warning: unknown[198.51.100.{i}]: SASL PLAIN "
                f"authentication failed: UGFzc3dvcmQ6, sasl_username=user{n}"
            )
        elif kind == 1:
            out.append(f"{head} postfix/smtpd[{1000 + i}]: connect from unknown[203.0.113.{i}]")
        elif kind == 2:
            out.append(
                f"{head} postfix/smtpd[{1000 + i}]: disconnect from unknown[203.0.113.{i}] "
                "ehlo=1 auth=0/1 quit=1 commands=2/3"
            )
        elif kind == 3:
            out.append(
                f"{head} dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
                f"user=<u{n}>, method=PLAIN, rip=192.0.2.{i}, lip=192.0.2.1, session=<s{n}>"
            )
        else:
            out.append(f"{head} postfix/qmgr[900]: 4Zq{n:09X}: removed")
    return out


def _big_log(path: Path, size: int = MIN_BYTES + (1 << 20), seed: int = 0) -> Path:
    """A log of more than `MIN_BYTES` (several chunks): the worker is used for it."""
    lines = _lines(size // 100, seed)
    data = "\n".join(lines) + "\n"
    while len(data) < size:
        data += data
    path.write_text(data[: data.rfind("\n", 0, size) + 1], encoding="utf-8")
    return path


def _render(fmt: str = "jsonl", hostile: bool = False) -> Render:
    one = event_json if fmt == "jsonl" else event_text

    def render(_record: Record, found: list[Event]) -> str:
        return "".join(one(event) + "\n" for event in found if not hostile or event.hostile)

    return render


def _printed(
    paths: list[str],
    parallel: bool,
    fmt: str = "jsonl",
    hostile: bool = False,
    options: ReadOptions | None = None,
) -> tuple[str, Counts]:
    out: list[str] = []
    counts = Counts()
    render = _render(fmt, hostile)
    print_events(paths, options or ReadOptions(), counts, render, out.append, parallel=parallel)
    return "".join(out), counts


def _printed_alike(
    paths: list[str],
    fmt: str = "jsonl",
    hostile: bool = False,
    options: ReadOptions | None = None,
) -> tuple[str, Counts]:
    """What the worker prints and counts, checked to be what one process prints and
    counts."""
    alone, alone_counts = _printed(paths, False, fmt, hostile, options)
    shared, shared_counts = _printed(paths, True, fmt, hostile, options)
    assert shared == alone
    assert (shared_counts.records, shared_counts.recognised, shared_counts.events) == (
        alone_counts.records,
        alone_counts.recognised,
        alone_counts.events,
    )
    assert shared_counts.read == alone_counts.read
    return shared, shared_counts


@needs_two_cores
@pytest.mark.parametrize(("fmt", "hostile"), [("jsonl", False), ("text", False), ("jsonl", True)])
def test_the_worker_prints_what_one_process_prints_in_input_order(
    tmp_path: Path, fmt: str, hostile: bool
) -> None:
    first = _big_log(tmp_path / "mail.log.1", seed=1)
    second = _big_log(tmp_path / "mail.log", size=3 << 20, seed=2)
    paths = [str(first), str(second)]
    shared, shared_counts = _printed_alike(paths, fmt=fmt, hostile=hostile)
    assert shared_counts.read.lines > 100_000
    if fmt == "jsonl":
        where = [(e["source"], e["line"]) for e in map(json.loads, shared.splitlines())]
        assert where == sorted(where, key=lambda item: (paths.index(item[0]), item[1]))


@needs_two_cores
def test_with_a_year_the_worker_frames_every_chunk_in_sequence(tmp_path: Path) -> None:
    """--year makes a chunk's dates depend on the months before it (December, then
    January: a new year); forced onto the worker, no chunk is shared."""
    lines = _lines(150_000)
    december = [line.replace("Feb 23", "Dec 31") for line in lines[:5_000]]
    january = [line.replace("Feb 23", "Jan  1") for line in lines[5_000:]]
    log = tmp_path / "mail.log"
    log.write_text("\n".join(december + january) + "\n", encoding="utf-8")
    options = ReadOptions(year=2025)
    shared, _counts = _printed_alike([str(log)], options=options)
    assert '"time": "2026-01-01T' in shared and '"time": "2025-12-31T' in shared


@needs_two_cores
@pytest.mark.parametrize(
    ("first", "then", "mtime", "years"),
    [
        # last year's archive copied (no -p) on Nov 28: all of it last year's, by its end
        ("Nov 28", "Nov 30", 1795906800, {"2025-11-28", "2025-11-30"}),  # 2026-11-28 23:00
        # across New Year, written on New Year's Day at noon
        ("Dec 31", "Jan  1", 1798804800, {"2026-12-31", "2027-01-01"}),  # 2027-01-01 12:00
    ],
)
def test_a_file_dated_by_its_mtime_is_dated_alike_by_the_worker(
    tmp_path: Path, first: str, then: str, mtime: int, years: set[str]
) -> None:
    """Without --year a file's dates go on from its first entry's (as with --year): the
    main process dates the chunks it is given as the worker would have (several chunks
    of each day: most are shared)."""
    lines = _lines(150_000)
    log = tmp_path / "mail.log"
    dated = [line.replace("Feb 23", first) for line in lines[:75_000]]
    dated += [line.replace("Feb 23", then) for line in lines[75_000:]]
    log.write_text("\n".join(dated) + "\n", encoding="utf-8")
    os.utime(log, (mtime, mtime))
    options = ReadOptions(tz=UTC)
    shared, _counts = _printed_alike([str(log)], options=options)
    assert {json.loads(line)["time"][:10] for line in shared.splitlines()} == years


@needs_two_cores
def test_dates_going_back_a_year_past_the_mtime_are_dated_alike_by_the_worker(
    tmp_path: Path,
) -> None:
    """A compressed file (no last stamp) written on Nov 29 2026 at noon: its Nov 30
    entries, from 20:50 (more than a day after the mtime) and on past midnight, go back
    a year, the ones after too. A chunk of the mtime's month from the day of the limit
    on is the worker's to date (the main process, given the dating before it, would put
    Nov 30 00:00-12:00 in 2026: it no longer knows the dates went back)."""
    lines = _lines(150_000)
    dated = [line.replace("Feb 23", "Nov 29") for line in lines[:75_000]]
    dated += [line.replace("Feb 23", "Nov 30") for line in lines[75_000:]]
    log = tmp_path / "mail.log.1.gz"
    log.write_bytes(gzip.compress(("\n".join(dated) + "\n").encode(), 1))
    mtime = 1795953600  # 2026-11-29 12:00 UTC
    os.utime(log, (mtime, mtime))
    options = ReadOptions(tz=UTC)
    shared, _counts = _printed_alike([str(log)], options=options)
    days = {json.loads(line)["time"][:10] for line in shared.splitlines()}
    assert days == {"2026-11-29", "2025-11-30"}


def test_a_chunk_that_may_go_back_a_year_is_not_shared() -> None:
    """Which chunks the worker may give the main process with where the dating stands:
    not one of the mtime's month from the day a day after the mtime on (whichever process
    dates it first goes back a year, and the other would not know)."""
    mtime = datetime(2026, 11, 29, 12, tzinfo=UTC)  # the limit: Nov 30 12:00
    framer = Framer(reference=mtime, tz=UTC)
    line = " mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
    framer.frame_chunk(Chunk("x", f"Nov 29 10:00:00{line}".encode(), 1, 0))
    assert framer.dating() == (2026, 11)
    assert framer.dates_alike(f"Nov 29 11:00:00{line}Nov 29 23:00:00{line}".encode())
    assert not framer.dates_alike(f"Nov 29 23:00:00{line}Nov 30 08:00:00{line}".encode())
    # last year's November is all before the limit
    framer.go_on_at((2025, 11))
    assert framer.dates_alike(f"Nov 30 13:00:00{line}".encode())


def test_a_chunk_of_january_is_not_shared() -> None:
    """Nor one while the dating is in January: the latest day dated decides whether a
    December entry after it goes back a year, and the worker would not see the days of
    a chunk the main process dates."""
    mtime = datetime(2027, 3, 1, tzinfo=UTC)
    framer = Framer(reference=mtime, tz=UTC)
    line = " mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
    framer.frame_chunk(Chunk("x", f"Dec 31 23:00:00{line}Jan  1 00:00:10{line}".encode(), 1, 0))
    assert framer.dating() == (2027, 1)
    assert not framer.dates_alike(f"Jan  1 00:10:00{line}".encode())
    assert not framer.dates_alike(f"Jan  5 00:10:00{line}".encode())
    framer.frame_chunk(Chunk("x", f"Jan  4 10:00:00{line}".encode(), 3, 0))
    assert not framer.dates_alike(f"Jan  5 00:10:00{line}".encode())
    framer.frame_chunk(Chunk("x", f"Feb  1 10:00:00{line}".encode(), 4, 0))
    assert framer.dates_alike(f"Feb  2 00:10:00{line}".encode())  # December is far now


def test_the_worker_is_used_for_large_regular_files_only(tmp_path: Path) -> None:
    big = _big_log(tmp_path / "big.log")
    small = tmp_path / "small.log"
    small.write_text("\n".join(_lines(100)) + "\n", encoding="utf-8")
    assert worth_a_worker([str(big)], ReadOptions()) is two_cores()
    assert not worth_a_worker([str(small)], ReadOptions())
    assert not worth_a_worker(["-"], ReadOptions())
    # With --year, a chunk's dates depend on the chunks before it: one process.
    assert not worth_a_worker([str(big)], ReadOptions(year=2026))


def test_a_fifo_is_never_opened_to_be_sized(tmp_path: Path) -> None:
    """Opening a FIFO without a writer blocks, and with one consumes its data: it is
    looked at with stat only, and read once, in the process."""
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert regular_bytes([str(fifo)]) == -1
    assert not worth_a_worker([str(fifo)], ReadOptions(), min_bytes=0)
    assert time.monotonic() - started < 5


def _events_command(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )


@needs_two_cores
def test_the_command_prints_in_order_with_its_counts(tmp_path: Path) -> None:
    log = _big_log(tmp_path / "mail.log")
    done = _events_command("--format", "jsonl", str(log))
    assert done.returncode == 0, done.stderr
    alone, counts = _printed([str(log)], parallel=False)
    assert done.stdout.decode() == alone
    stats = counts.read
    assert done.stderr.decode() == (
        f"mailwarden: {stats.lines} lines, {counts.records} entries, "
        f"{counts.recognised} recognised, {counts.events} events\n"
    )


def test_standard_input_is_read_in_the_process(tmp_path: Path) -> None:
    log = _big_log(tmp_path / "mail.log")
    done = _events_command("--format", "jsonl", "-", stdin=log.read_bytes())
    assert done.returncode == 0, done.stderr
    alone, _counts = _printed([str(log)], parallel=False)
    events = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [e["line"] for e in events] == [json.loads(x)["line"] for x in alone.splitlines()]
    assert {e["source"] for e in events} == {"-"}


def test_a_large_fifo_is_read_once(tmp_path: Path) -> None:
    data = _big_log(tmp_path / "mail.log").read_bytes()
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("wb") as out:
            out.write(data)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    done = _events_command("--format", "jsonl", str(fifo))
    thread.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(b"\n") == len(
        _printed([str(tmp_path / "mail.log")], False)[0].splitlines()
    )


@needs_two_cores
def test_a_corrupt_archive_is_reported_and_the_rest_is_printed(tmp_path: Path) -> None:
    """The lines before the damage and the next input are printed, in order; the damage
    is a warning (a counted problem), not an error."""
    whole = gzip.compress(_big_log(tmp_path / "plain.log", size=12 << 20, seed=3).read_bytes())
    damaged = tmp_path / "mail.log.2.gz"
    damaged.write_bytes(whole[: len(whole) // 2])
    after = _big_log(tmp_path / "mail.log.1", seed=4)
    paths = [str(damaged), str(after)]
    assert worth_a_worker(paths, ReadOptions())
    shared, shared_counts = _printed_alike(paths)
    (problem,) = shared_counts.read.problems
    assert "truncated" in problem and "mail.log.2.gz" in problem
    sources = [json.loads(line)["source"] for line in shared.splitlines()]
    assert sources[0] == str(damaged) and sources[-1] == str(after)

    done = _events_command("--format", "jsonl", *paths)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == shared
    assert b"mailwarden: warning: " in done.stderr and b"truncated" in done.stderr


@needs_two_cores
def test_an_input_that_cannot_be_read_after_others_is_one_error_line(tmp_path: Path) -> None:
    """A directory among the inputs: the text of the inputs before it, then the error."""
    log = _big_log(tmp_path / "mail.log")
    folder = tmp_path / "folder.log"
    folder.mkdir()
    out: list[str] = []
    with pytest.raises(InputError, match=r"folder\.log"):
        print_events(
            [str(log), str(folder)], ReadOptions(), Counts(), _render(), out.append, parallel=True
        )
    assert "".join(out) == _printed([str(log)], parallel=False)[0]
