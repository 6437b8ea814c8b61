"""``--year`` is the year of the first entry: the newer files of a rotated set that
crosses New Year go on into the next year (it was given to every file: a break-in on
1 January was dated a year early and missed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

GUESS = (
    "Dec 31 23:59:5{n} mx postfix/smtpd[10{n}]: warning: unknown[192.0.2.9]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6, sasl_username=sales@example.com"
)
WRITTEN = 1798765230  # 2027-01-01 01:00:30 UTC
LOGIN = (
    "Jan  1 00:00:30 mx postfix/smtpd[300]: 4F1A2B3C4D: client=unknown[192.0.2.9], "
    "sasl_method=LOGIN, sasl_username=sales@example.com"
)


def rotated_set(folder: Path) -> list[str]:
    older = folder / "mail.log.1"
    older.write_text("".join(GUESS.format(n=n) + "\n" for n in range(9)))
    newer = folder / "mail.log"
    newer.write_text(LOGIN + "\n")
    # written then, as rotation leaves them (--since does not open older files)
    os.utime(older, (WRITTEN - 3600, WRITTEN - 3600))
    os.utime(newer, (WRITTEN, WRITTEN))
    return [str(older), str(newer)]


def mailwarden(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args], capture_output=True, text=True, check=False
    )


def test_the_break_in_on_new_years_day_is_dated_in_the_next_year(tmp_path: Path) -> None:
    files = rotated_set(tmp_path)
    done = mailwarden("analyze", "--format", "json", "--year", "2026", "--timezone", "UTC", *files)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    data = json.loads(done.stdout)
    assert [(c["user"], c["time"][:19]) for c in data["compromised"]] == [
        ("sales@example.com", "2027-01-01T00:00:30")
    ]
    assert not data["notes"]  # no "goes back in time"


def test_a_range_on_new_years_eve_keeps_the_guesses_and_not_the_login(tmp_path: Path) -> None:
    files = rotated_set(tmp_path)
    window = ("--since", "2026-12-31", "--until", "2026-12-31 23:59:59")
    done = mailwarden(
        "analyze", "--format", "json", "--year", "2026", "--timezone", "UTC", *window, *files
    )
    data = json.loads(done.stdout)
    assert data["compromised"] == []
    assert [a["ip"] for a in data["attackers"]] == ["192.0.2.9"]


def test_events_date_the_newer_file_in_the_next_year(tmp_path: Path) -> None:
    files = rotated_set(tmp_path)
    done = mailwarden("events", "--format", "jsonl", "--year", "2026", "--timezone", "UTC", *files)
    assert done.returncode == 0, done.stderr
    times = [json.loads(line)["time"][:10] for line in done.stdout.splitlines()]
    assert times[0] == "2026-12-31" and times[-1] == "2027-01-01"
