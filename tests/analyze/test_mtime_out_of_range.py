"""A log whose modification time is no date (after 9999 or before year 1: ``touch -d``,
a broken clock, an archive's header) is read as one whose mtime cannot be looked at:
its entries without a year are dated from ``--year``, else from the current time. It
was a traceback in events, analyze and explain, ``--year`` or not (year 10000 is out of
range); an mtime in the last day of 9999 was one without ``--year`` (a day after it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "mail.log"
SHM = Path("/dev/shm")  # tmpfs keeps any mtime; a disk's file system may not

MTIMES = {
    "10000-01-01": 253402300800,
    "9999-12-31 23:46:40": 253402300000,
    "year 0": -62135596801,
    "long before": -(10**14),
}


@pytest.fixture
def folder() -> Iterator[Path]:
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        pytest.skip("no writable /dev/shm")
    made = Path(tempfile.mkdtemp(prefix="mailwarden-mtime-", dir=SHM))
    try:
        yield made
    finally:
        shutil.rmtree(made)


def mailwarden(*args: str, zone: str = "UTC") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "TZ": zone},
    )


def copies(folder: Path, mtime: int) -> tuple[str, str]:
    """The sample log with that mtime, and with an ordinary one (2026-11-29)."""
    odd, plain = folder / "mail.log", folder / "plain" / "mail.log"
    plain.parent.mkdir()
    shutil.copyfile(SAMPLE, odd)
    shutil.copyfile(SAMPLE, plain)
    os.utime(odd, (mtime, mtime))
    os.utime(plain, (1795953600, 1795953600))
    assert odd.stat().st_mtime == mtime  # tmpfs kept it
    return str(odd), str(plain)


def report(text: str) -> dict[str, object]:
    """analyze's JSON, but for how fast it read."""
    data = json.loads(text)
    data["stats"] = {k: v for k, v in data["stats"].items() if "second" not in k}
    return data


@pytest.mark.parametrize("mtime", MTIMES.values(), ids=MTIMES.keys())
def test_a_file_with_an_mtime_that_is_no_date_is_read_with_the_year_given(
    folder: Path, mtime: int
) -> None:
    odd, plain = copies(folder, mtime)
    year = ("--year", "2026", "--timezone", "UTC")
    events = mailwarden("events", "--format", "jsonl", *year, odd)
    assert events.returncode == 0 and "Traceback" not in events.stderr, events.stderr
    days = {json.loads(line)["time"][:10] for line in events.stdout.splitlines()}
    assert days == {"2026-03-11"}
    analyzed = mailwarden("analyze", "--format", "json", *year, odd)
    assert analyzed.returncode == 0, analyzed.stderr
    expected = mailwarden("analyze", "--format", "json", *year, plain)
    assert report(analyzed.stdout.replace(odd, plain)) == report(expected.stdout)
    explained = mailwarden("explain", *year, odd)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout == mailwarden("explain", *year, plain).stdout
    assert "192.0.2.187" in explained.stdout  # the client that got in


@pytest.mark.parametrize("mtime", MTIMES.values(), ids=MTIMES.keys())
def test_a_file_with_an_mtime_that_is_no_date_is_read_without_a_year(
    folder: Path, mtime: int
) -> None:
    odd, plain = copies(folder, mtime)
    events = mailwarden("events", "--format", "jsonl", "--timezone", "UTC", odd)
    assert events.returncode == 0 and "Traceback" not in events.stderr, events.stderr
    assert events.stderr == mailwarden("events", "--timezone", "UTC", plain).stderr
    assert all(json.loads(line)["time"] for line in events.stdout.splitlines())
    for command in ("analyze", "explain"):
        done = mailwarden(command, "--timezone", "UTC", odd)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (command, done.stderr)
        assert "192.0.2.187" in done.stdout, command


def test_an_mtime_past_9999_in_the_local_zone_is_no_date_either(folder: Path) -> None:
    # 9999-12-31 23:46:40 UTC is in the year 10000 nine hours east (it was a traceback:
    # OverflowError); the entries are dated from the current time, as the zone's
    odd, _plain = copies(folder, MTIMES["9999-12-31 23:46:40"])
    events = mailwarden("events", "--format", "jsonl", odd, zone="JST-9")
    assert events.returncode == 0 and "Traceback" not in events.stderr, events.stderr
    times = [
        datetime.fromisoformat(json.loads(line)["time"]) for line in events.stdout.splitlines()
    ]
    this_year = datetime.now(UTC).year
    assert {(t.year in (this_year - 1, this_year), t.isoformat()[-6:]) for t in times} == {
        (True, "+09:00")
    }
    west = mailwarden("events", "--format", "jsonl", odd, zone="EST5")
    assert west.returncode == 0, west.stderr  # still 9999 there: its entries are of 9999
    assert {json.loads(line)["time"][:4] for line in west.stdout.splitlines()} == {"9999"}
