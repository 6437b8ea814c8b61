# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A login proxy's (director's) "internal failure, 1 successful auths" is no break-in.

Dovecot's login process counts a successful auth for every OK passdb reply, a proxy
passdb's (``proxy=y``, often ``nopassword=y``: no password checked) included. When the
backend cannot be reached the connection ends with ``Disconnected (internal failure, 1
successful auths)`` though no password may have been verified. A ``proxy(…)`` line of the
same session before it marks it: no login, no compromise, no failure (found by review).
Without such a line the password accepted stays a break-in
(tests/analyze/test_dovecot_accepted_then_failed.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

IP = "203.0.113.8"
ELEMENTS = "user=<alice@example.org>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<{sid}>"
GUESSES = [
    f"Nov 30 09:59:0{n} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
    f"user=<u{n}@example.org>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<BAAAAAAAAAAAAAA{n}>"
    for n in range(1, 9)
]
SID = "BAAAAAAAAAAAAAAZ"


def _proxy(sid: str = SID, ip: str = IP) -> str:
    return (
        "Nov 30 10:00:00 mx dovecot: imap-login: Error: proxy(alice@example.org): "
        "connect(192.0.2.20, 143) failed: Connection refused (after 0 secs, local=192.0.2.1:40000): "
        + ELEMENTS.format(ip=ip, sid=sid)
    )


V23 = (
    "Nov 30 10:00:05 mx dovecot: imap-login: Disconnected (internal failure, 1 successful auths): "
    + ELEMENTS.format(ip=IP, sid=SID)
)
V24 = (
    "Nov 30 10:00:05 mx dovecot: imap-login: Login aborted: Connection closed (internal failure, "
    "1/3 successful auths in 5 secs) (internal_failure): " + ELEMENTS.format(ip=IP, sid=SID)
)


def _log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _json(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2), err
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.parametrize("accepted", [V23, V24], ids=["2.3", "2.4"])
def test_accepted_on_a_proxy_after_guessing_is_no_compromise(
    run: Runner, log_file: LogFile, accepted: str
) -> None:
    report = _json(run, log_file(_log(*GUESSES, _proxy(), accepted)))
    assert report["compromised"] == []
    (attacker,) = report["attackers"]
    assert attacker["ip"] == IP and attacker["succeeded_as"] == []
    # The guesses count; 2.4's 2 failed tries of the proxied connection too.
    assert attacker["failures"] == (8 if accepted is V23 else 10)
    assert report["stats"]["logins"] == 0


@pytest.mark.parametrize(
    "proxy",
    [_proxy(sid="BAAAAAAAAAAAAAAY"), _proxy(ip="198.51.100.7")],
    ids=["other-session", "other-client"],
)
def test_a_proxy_line_of_another_connection_changes_nothing(
    run: Runner, log_file: LogFile, proxy: str
) -> None:
    (compromise,) = _json(run, log_file(_log(*GUESSES, proxy, V23)))["compromised"]
    assert compromise["user"] == "alice@example.org" and compromise["ip"] == IP
    assert compromise["session_started"] is False


def test_explain_does_not_say_it_has_the_password(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log(*GUESSES, _proxy(), V23)))
    assert code == 0, err
    text = " ".join(out.split())
    assert "it has the password" not in text.lower()
    assert "whoever sent it knows the password" not in text
    assert "The login failed on the login proxy (internal failure, 1 successful auths)" in text
    assert "this line does not show that the password was right" in text
    assert "its proxy passdb accepted the login, which need not mean a password was checked" in text


def test_explain_says_it_in_chinese(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log(*GUESSES, _proxy(), V23)), "--lang", "zh_CN")
    assert code == 0, err
    text = "".join(out.split())
    assert "登录在登录代理上失败" in text and "这一行并不表明密码是对的" in text
    assert "它已掌握" not in text
