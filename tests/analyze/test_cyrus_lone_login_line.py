"""AUTH LOGIN with Cyrus SASL at ``smtpd -v``: the one client line the log kept after
Cyrus's username prompt, then a failure, is no account.

Cyrus fails an AUTH LOGIN only after the client's second line (the password). When the
log (a remote syslog over UDP) lost the username line, its decoded copy and both
password prompts, the line left answers the username prompt as far as the log shows,
yet it is the password: the failure proves a second line came. It must never be shown
as an account (in clear), by analyze or by explain. Lines follow tests/sasllines.py
(CYRUS_LOGIN).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from clirunner import Runner
from sasllines import CYRUS_LOGIN, verbose_login

IP = "203.0.113.45"
USER = "info@example.com"
PASSWORD = "Summer2024!"
LOST_USERNAME = (
    "aW5mb0BleGFtcGxlLmNvbQ==",
    "decoded response: info",
    "uncoded server challenge: Password:",
    "334 UGFzc3dvcmQ6",
)
"""The username line, its decoded copy and the password prompts."""


def _log(log_file: Callable[[str], str], lost: tuple[str, ...], count: int = 6) -> str:
    lines = []
    for n in range(count):
        for line in verbose_login(CYRUS_LOGIN, lost=lost):
            lines.append(
                line.replace("[5297]", f"[{5300 + n}]").replace("09:14:0", f"09:{14 + n}:0")
            )
    return log_file("\n".join(lines) + "\n")


def _analyze(run: Runner, path: str, form: str) -> str:
    code, out, err = run("analyze", "--year", "2026", "--timezone", "UTC", "--format", form, path)
    assert code == 0, err
    return out


def test_the_lone_line_after_the_username_prompt_is_no_account(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = _log(log_file, LOST_USERNAME)
    out = _analyze(run, path, "json")
    report: dict[str, Any] = json.loads(out)
    (attacker,) = report["attackers"]
    assert (attacker["ip"], attacker["users"], attacker["failures"]) == (IP, [], 6)
    assert attacker["recommendation"] == "ban"
    assert [c["user"] for c in report["credentials"]] == [None] * 6
    text = _analyze(run, path, "text")
    code, explained, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    for shown in (out, text, explained):
        assert PASSWORD.lower() not in shown.lower()


def test_a_username_line_the_password_prompt_confirms_is_the_account(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The password line and its copy lost: Cyrus's password prompt after the username
    line shows it was the username."""
    path = _log(log_file, ("U3VtbWVyMjAyNCE=", "decoded response: Summer"))
    report: dict[str, Any] = json.loads(_analyze(run, path, "json"))
    (attacker,) = report["attackers"]
    assert (attacker["ip"], attacker["users"], attacker["failures"]) == (IP, [USER], 6)
    assert USER in _analyze(run, path, "text")
