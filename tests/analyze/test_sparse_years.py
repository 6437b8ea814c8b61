"""``--year`` on a sparse input (``grep IP mail.log``): entries months after the ones
before them are later in the same year. An entry more than six months ahead of the one
before was taken for a straggler from the year before (a line written a little late at
New Year): March then October with ``--year 2026`` dated October in 2025, and analyze
found nothing in October and said the log went back in time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FAILURE = (
    "{stamp} mx postfix/smtpd[{pid}]: warning: unknown[192.0.2.5]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6, sasl_username=admin"
)
STAMPS = (
    "Mar  1 10:00:01",
    "Mar  2 10:00:02",
    "Mar  3 10:00:03",
    "Oct 21 10:00:01",
    "Oct 22 10:00:02",
    "Oct 23 10:00:03",
    "Oct 24 10:00:04",
    "Oct 25 10:00:05",
)
SPARSE = "".join(FAILURE.format(stamp=s, pid=1 + (s[0] == "O")) + "\n" for s in STAMPS)


def mailwarden(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_events_of_a_sparse_input_go_on_in_the_year_given(tmp_path: Path) -> None:
    log = tmp_path / "grepped.log"
    log.write_text(SPARSE)
    done = mailwarden(
        "events", "--format", "jsonl", "--year", "2026", "--timezone", "UTC", str(log)
    )
    assert done.returncode == 0, done.stderr
    times = [json.loads(line)["time"] for line in done.stdout.splitlines()]
    assert [t[:10] for t in times] == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
        "2026-10-21",
        "2026-10-22",
        "2026-10-23",
        "2026-10-24",
        "2026-10-25",
    ]


def test_analyze_finds_the_october_guesses_in_the_year_given(tmp_path: Path) -> None:
    log = tmp_path / "grepped.log"
    log.write_text(SPARSE)
    done = mailwarden(
        "analyze",
        "--format",
        "json",
        "--year",
        "2026",
        "--timezone",
        "UTC",
        "--since",
        "2026-10-01",
        str(log),
    )
    assert done.returncode == 0 and "goes back in time" not in done.stderr, done.stderr
    data = json.loads(done.stdout)
    assert [
        (a["ip"], a["failures"], a["first_seen"], a["last_seen"]) for a in data["attackers"]
    ] == [("192.0.2.5", 5, "2026-10-21T10:00:01+00:00", "2026-10-25T10:00:05+00:00")]
    assert data["notes"] == []


def test_explain_of_grepped_lines_runs_from_march_to_october() -> None:
    # grep IP mail.log | mailwarden explain --year Y -: the client's first and last
    # (it said "Oct 21 10:00:01 - Mar 3 10:00:03", and "guessing passwords fast")
    done = mailwarden("explain", "--year", "2026", "--timezone", "UTC", "-", stdin=SPARSE)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "2 connections to the smtp service (port 25, unless submission on 587 " in text
    assert "without its own syslog_name), Mar 1 10:00:01 – Oct 25 10:00:05." in text
    assert "brute-force" not in text


def test_a_straggler_at_new_year_still_stays_in_the_old_year(tmp_path: Path) -> None:
    # a line written a second late, after the first of January's, stays in December;
    # a December entry weeks after them (a sparse input) is December of the new year
    stamps = ("Dec 31 23:59:58", "Jan  1 00:00:01", "Dec 31 23:59:59", "Feb  9 10:00:00")
    late = ("Dec 31 10:00:00",)
    log = tmp_path / "mail.log"
    log.write_text("".join(FAILURE.format(stamp=s, pid=1) + "\n" for s in stamps + late))
    done = mailwarden(
        "events", "--format", "jsonl", "--year", "2025", "--timezone", "UTC", str(log)
    )
    assert done.returncode == 0, done.stderr
    times = [json.loads(line)["time"][:19] for line in done.stdout.splitlines()]
    assert times == [
        "2025-12-31T23:59:58",
        "2026-01-01T00:00:01",
        "2025-12-31T23:59:59",
        "2026-02-09T10:00:00",
        "2026-12-31T10:00:00",
    ]


def test_an_older_file_after_a_newer_one_goes_back_a_year_and_is_said(tmp_path: Path) -> None:
    # cat mail.log mail.log.1 across New Year: the older file's December, days before
    # the newer one's January, is December of the year before (a window of three days
    # put it a year ahead, and the January after it another), and analyze says the
    # lines went back in time.
    stamps = ("Jan  2 10:00:00", "Jan  6 10:00:00", "Dec 26 10:00:00", "Dec 30 10:00:00")
    log = tmp_path / "cat.log"
    log.write_text(
        "".join(FAILURE.format(stamp=s, pid=n) + "\n" for n, s in enumerate(stamps))
        + FAILURE.format(stamp="Jan  6 11:00:00", pid=9)
        + "\n"
    )
    done = mailwarden(
        "events", "--format", "jsonl", "--year", "2027", "--timezone", "UTC", str(log)
    )
    assert done.returncode == 0, done.stderr
    times = [json.loads(line)["time"][:10] for line in done.stdout.splitlines()]
    assert times == ["2027-01-02", "2027-01-06", "2026-12-26", "2026-12-30", "2027-01-06"]
    done = mailwarden("analyze", "--year", "2027", "--timezone", "UTC", "-q", str(log))
    assert "goes back in time" in " ".join(done.stderr.split()), done.stderr
