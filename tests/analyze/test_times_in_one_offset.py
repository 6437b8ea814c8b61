"""An attack across the end of summer time (entries stamped +02:00, then +01:00): the
report shows every time in one offset, UTC when they differ, so first and last never
read backwards; a log in one offset keeps it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from clirunner import Runner

STAMPS = [
    "2026-10-25T02:50:00+02:00",
    "2026-10-25T02:55:00+02:00",
    "2026-10-25T02:59:00+02:00",
    "2026-10-25T02:02:00+01:00",
    "2026-10-25T02:05:00+01:00",
    "2026-10-25T02:08:00+01:00",
    "2026-10-25T02:11:00+01:00",
]


def _lines(stamps: list[str]) -> str:
    return "".join(
        f"{stamp} mx dovecot[99]: imap-login: Disconnected (auth failed, 1 attempts in 2 "
        f"secs): user=<info@example.com>, method=PLAIN, rip=192.0.2.33, lip=192.0.2.1, TLS, "
        f"session=<d{n}>\n"
        for n, stamp in enumerate(stamps)
    )


def test_mixed_offsets_are_shown_in_utc(run: Runner, log_file: Callable[[str], str]) -> None:
    path = log_file(_lines(STAMPS))
    code, out, _ = run("analyze", "--format", "json", path)
    assert code == 0
    attacker = json.loads(out)["attackers"][0]
    first, last = attacker["first_seen"], attacker["last_seen"]
    assert first.endswith("+00:00") and last.endswith("+00:00")
    assert first < last and datetime.fromisoformat(first) < datetime.fromisoformat(last)
    code, out, _ = run("analyze", path, env={"COLUMNS": "80"})
    assert "10-25 00:50" in out and "10-25 01:11" in out
    assert "Times are in UTC" in out


def test_one_offset_is_kept(run: Runner, log_file: Callable[[str], str]) -> None:
    _, out, _ = run("analyze", "--format", "json", log_file(_lines(STAMPS[:3])))
    attacker = json.loads(out)["attackers"][0]
    assert attacker["first_seen"] == "2026-10-25T02:50:00+02:00"
