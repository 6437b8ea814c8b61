"""Guessing that comes through a webmail on the server itself (loopback): never banned,
and the report says why honestly: this machine, not an allow list the user never gave."""

from __future__ import annotations

import json
from pathlib import Path

from analyze_logs import SERVER, Log, run_analyze, stamp


def webmail_guessing(log: Log, ip: str) -> None:
    for n in range(6):
        log.lines.append(
            f"{stamp(n * 5)} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 "
            f"secs): user=<admin>, method=PLAIN, rip={ip}, lip={SERVER}, TLS, "
            f"session=<{chr(97 + n)}bcdEFGH1234ijkl>"
        )


def test_webmail_guessing_on_loopback_is_this_machine_not_allow_listed(tmp_path: Path) -> None:
    log = Log()
    webmail_guessing(log, "127.0.0.1")
    path = log.write(tmp_path / "mail.log")
    data = json.loads(run_analyze("--year", "2026", "--format", "json", path).stdout)
    (attacker,) = data["attackers"]
    assert attacker["ip"] == "127.0.0.1" and attacker["recommendation"] == "none (this machine)"
    text = run_analyze("--year", "2026", path).stdout
    flat = " ".join(text.split())
    assert "never ban" in text and "allow" not in text
    assert "127.0.0.1 (" in flat and "is never banned: loopback" in flat


def test_the_servers_own_address_is_this_machine(tmp_path: Path) -> None:
    log = Log()
    webmail_guessing(log, SERVER)
    path = log.write(tmp_path / "mail.log")
    data = json.loads(run_analyze("--year", "2026", "--format", "json", path).stdout)
    (attacker,) = data["attackers"]
    assert attacker["recommendation"] == "none (this machine)"


def test_an_allow_listed_address_is_still_allow_listed(tmp_path: Path) -> None:
    log = Log()
    webmail_guessing(log, "203.0.113.80")
    path = log.write(tmp_path / "mail.log")
    args = ("--year", "2026", "--format", "json", "--allow", "203.0.113.0/24", path)
    (attacker,) = json.loads(run_analyze(*args).stdout)["attackers"]
    assert attacker["recommendation"] == "none (allow-listed)"
