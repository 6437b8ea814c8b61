"""`analyze --since` looks back `stale_window` for the owners' logins: a phone whose
owner logged in before --since and that fails with an old password after it is a stale
device, as analysing the whole log says, not a guesser to ban; an intruder's login
before --since (after guessing) makes its address no owner."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from analyze_logs import Log, run_analyze

DAY = 86_400
PHONE = "198.51.100.7"
INTRUDER = "203.0.113.9"
SINCE = "2026-02-28"  # T0 is 2026-02-23 09:00 UTC


def analysed(*args: str | Path, stdin: str | None = None) -> dict[str, Any]:
    result = run_analyze(
        "--timezone", "UTC", "--year", "2026", "--format", "json", *args, stdin=stdin
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def attacker(data: dict[str, Any], ip: str) -> dict[str, Any]:
    found = [a for a in data["attackers"] if a["ip"] == ip]
    assert len(found) == 1, [a["ip"] for a in data["attackers"]]
    return found[0]


def phone_log() -> Log:
    """alice logs in from her phone on Feb 23; from Feb 28 on, the phone keeps failing
    with her old password, a few times an hour for a day."""
    log = Log()
    log.submission_login(0, PHONE, "alice@example.com")
    for hour in range(24):
        log.sasl_failures(5 * DAY + hour * 3600, PHONE, "alice@example.com", 3)
    return log


def test_a_phone_whose_owner_logged_in_before_since_is_stale_not_banned(tmp_path: Path) -> None:
    log = phone_log().write(tmp_path / "mail.log")
    whole = attacker(analysed(log), PHONE)
    window = attacker(analysed("--since", SINCE, log), PHONE)
    assert whole["recommendation"].startswith("none (stale password")
    assert window["recommendation"] == whole["recommendation"]
    assert window["verdict"] == "stale_password"


def test_the_look_back_reads_a_rotated_file_older_than_since(tmp_path: Path) -> None:
    # The login is in mail.log.1, last written before --since: the window alone would
    # not open it.
    log = phone_log()
    older, newer = log.lines[:7], log.lines[7:]
    old = tmp_path / "mail.log.1"
    old.write_text("\n".join(older) + "\n")
    os.utime(old, (1771837200 + 60, 1771837200 + 60))  # 2026-02-23 09:01 UTC
    live = tmp_path / "mail.log"
    live.write_text("\n".join(newer) + "\n")
    data = analysed("--since", SINCE, old, live)
    assert attacker(data, PHONE)["verdict"] == "stale_password"
    assert data["stats"]["events"] < len(log.lines)  # the look-back is not counted


def test_an_intruders_login_before_since_makes_it_no_owner(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, INTRUDER, "bob@example.com", 30)
    log.submission_login(200, INTRUDER, "bob@example.com")  # a break-in, before --since
    for hour in range(24):
        log.sasl_failures(5 * DAY + hour * 3600, INTRUDER, "bob@example.com", 3)
    path = log.write(tmp_path / "mail.log")
    found = attacker(analysed("--since", SINCE, path), INTRUDER)
    assert found["recommendation"] == "ban"
    assert found["verdict"] != "stale_password"


def test_standard_input_is_not_looked_back_into(tmp_path: Path) -> None:
    # It cannot be read twice: the window's own lines decide, as before.
    data = analysed("--since", SINCE, "-", stdin=phone_log().text())
    assert attacker(data, PHONE)["recommendation"] == "ban"


def test_the_look_back_is_stale_window_long(tmp_path: Path) -> None:
    # A login five days before the failures is older than a two-day stale_window: not
    # the owner's phone for the whole log, nor for --since.
    log = phone_log().write(tmp_path / "mail.log")
    whole = attacker(analysed("--set", "stale_window=2d", log), PHONE)
    window = attacker(analysed("--since", SINCE, "--set", "stale_window=2d", log), PHONE)
    assert whole["recommendation"] == window["recommendation"] == "ban"


def test_a_pipe_named_as_a_file_is_read_for_the_window_not_used_up(tmp_path: Path) -> None:
    # /dev/stdin on a pipe cannot be read twice: the look-back used it up, and the
    # window read nothing ("no attack found", 0 lines).
    text = phone_log().text()
    piped = analysed("--since", SINCE, "-", stdin=text)
    named = analysed("--since", SINCE, "/dev/stdin", stdin=text)
    assert named["stats"]["lines_read"] == piped["stats"]["lines_read"] > 0
    assert attacker(named, PHONE)["recommendation"] == "ban"
    assert any("Not looked back before --since" in note for note in named["notes"])
    assert any("/dev/stdin" in note for note in named["notes"])


def test_a_fifo_with_since_is_read_once_not_waited_on(tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    fifo = tmp_path / "mail.pipe"
    os.mkfifo(fifo)
    text = phone_log().text()

    def writer() -> None:
        with open(fifo, "w") as out:
            out.write(text)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mailwarden",
            "analyze",
            "--timezone",
            "UTC",
            "--year",
            "2026",
            "--format",
            "json",
            "--since",
            SINCE,
            str(fifo),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stats"]["lines_read"] == len(text.splitlines())
    assert "Not looked back before --since" in result.stderr
