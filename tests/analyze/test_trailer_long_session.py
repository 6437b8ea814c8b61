"""A reject-trailer login whose session stays open for more than an hour.

The detector forgets state idle for an hour (``SESSION_TIMEOUT``, at its periodic sweep,
every few thousand lines). A login taken from a reject line's SASL trailer is no such
state: it waits for the session's statistics however long the session lasts, so that a
long legitimate session is one login (no second one from its ``auth=1``, no break-in
after guessing that came after it), and a forged trailer is no login however long the
client holds its session open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from clirunner import Runner, analyze_json

IP = "203.0.113.5"
TAG = "mx postfix/smtpd[2000]:"
TRAILER = " sasl_method=PLAIN sasl_username=alice@example.com"


def _long_session(stats: str, failing: str | None) -> list[str]:
    """A session with a reject line carrying the trailer at 09:00, its disconnect at
    10:40 with ``stats``; between, more than the detector's sweep interval of other
    clients' lines (connections without AUTH) take the log past 10:05, and then, when
    ``failing`` names an account, the session's address fails on it 12 times."""
    lines = [
        f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]",
        f"Mar 11 09:00:01 {TAG} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 "
        "<spam@other.example>: Relay access denied; from=<alice@example.com> "
        "to=<spam@other.example> proto=ESMTP helo=<pc>" + TRAILER,
    ]
    start = datetime(2026, 3, 11, 9, 0, 2)
    for n in range(8300):
        at = (start + timedelta(seconds=n * 0.47)).strftime("%b %d %H:%M:%S")
        lines.append(
            f"{at} mx dovecot: imap-login: Disconnected (no auth attempts in 0 secs): "
            f"user=<>, rip=198.18.{n // 200}.{1 + n % 200}, lip=198.51.100.25, TLS, "
            f"session=<f{n}>"
        )
    if failing is not None:
        lines += [
            f"Mar 11 10:{10 + 2 * n:02d}:00 mx dovecot: imap-login: Disconnected (auth "
            f"failed, 1 attempts in 2 secs): user=<{failing}>, method=PLAIN, rip={IP}, "
            f"lip=198.51.100.25, session=<p{n}>"
            for n in range(12)
        ]
    lines.append(
        f"Mar 11 10:40:00 {TAG} disconnect from unknown[{IP}] ehlo=1{stats} mail=1 "
        "rcpt=0/1 quit=1 commands=4/5"
    )
    return lines


def _attacker(report: dict[str, Any]) -> dict[str, Any]:
    found = [a for a in report["attackers"] if a["ip"] == IP]
    assert found, report["attackers"]
    return found[0]


def test_a_long_legitimate_session_is_one_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    report = analyze_json(run, log_file, _long_session(" auth=1", None))
    assert report["stats"]["logins"] == 1
    assert report["compromised"] == [], report["compromised"]
    assert [a for a in report["attackers"] if a["ip"] == IP] == [], report["attackers"]


def test_guessing_after_a_long_sessions_login_is_no_break_in(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """Its address then fails 12 times on another account: guessing (banned), but the
    session's one login came before it: no break-in."""
    report = analyze_json(run, log_file, _long_session(" auth=1", "bob@example.com"))
    assert report["compromised"] == [], report["compromised"]
    attacker = _attacker(report)
    assert attacker["verdict"] == "slow_bruteforce", attacker
    assert attacker["recommendation"].startswith("ban"), attacker
    assert report["stats"]["logins"] == 1


def test_a_forged_trailer_held_open_for_an_hour_is_no_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The statistics show no successful AUTH: the trailer was the client's own text,
    and its guessing on the account it named is no owner's old password."""
    report = analyze_json(run, log_file, _long_session("", "alice@example.com"))
    attacker = _attacker(report)
    assert attacker["verdict"] == "slow_bruteforce", attacker
    assert attacker["succeeded_as"] == [], attacker
    assert attacker["recommendation"].startswith("ban"), attacker
    assert report["compromised"] == [], report["compromised"]
    assert report["stats"]["logins"] == 0
