"""A reject-trailer login confirmed late is judged as at its own time.

A login taken from a reject line's SASL trailer waits for its session's end (the
statistics' ``auth=1`` confirm it, their absence of a successful AUTH shows the trailer
forged; a new connect of the process or the end of input count it). What the same
address does meanwhile (the owner's phone failing with an old password over IMAP) is
judged after it: as if the login had counted at its own time, not as guessing that a
login then followed (a break-in), and as guessing when the trailer was forged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner, analyze_json

IP = "203.0.113.5"
TAG = "mx postfix/smtpd[2000]:"
TRAILER = " sasl_method=PLAIN sasl_username=alice@example.com"
CONNECT = f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]"
REJECT = (
    f"Mar 11 09:00:01 {TAG} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 "
    "<spam@other.example>: Relay access denied; from=<alice@example.com> "
    "to=<spam@other.example> proto=ESMTP helo=<pc>" + TRAILER
)


def _phone_failures(count: int = 12) -> list[str]:
    """The owner's phone, at the same address, failing over IMAP once a minute after
    the login (an old password): a slow brute force, were there no login before."""
    return [
        f"Mar 11 09:{n + 1:02d}:30 mx dovecot: imap-login: Disconnected (auth failed, "
        f"1 attempts in 2 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, "
        f"lip=198.51.100.25, session=<p{n}>"
        for n in range(count)
    ]


def _attacker(report: dict[str, Any]) -> dict[str, Any]:
    found = [a for a in report["attackers"] if a["ip"] == IP]
    assert found, report["attackers"]
    return found[0]


ENDS = {
    # the log ends with the session open (a rotated file)
    "end of input": [],
    # the disconnect line was lost: the process's next connection ends the session
    "new connect": [f"Mar 11 09:20:00 {TAG} connect from unknown[198.51.100.77]"],
    # the statistics come after the phone's failures
    "statistics": [
        f"Mar 11 09:20:00 {TAG} disconnect from unknown[{IP}] ehlo=1 auth=1 mail=1 "
        "rcpt=0/1 quit=1 commands=4/5"
    ],
}


@pytest.mark.parametrize("end", list(ENDS))
def test_failures_after_a_late_confirmed_trailer_login_are_a_stale_password(
    run: Runner, log_file: Callable[[str], str], end: str
) -> None:
    lines = [CONNECT, REJECT, *_phone_failures(), *ENDS[end]]
    report = analyze_json(run, log_file, lines)
    attacker = _attacker(report)
    assert report["compromised"] == [], report["compromised"]
    assert attacker["verdict"] == "stale_password", attacker
    assert attacker["recommendation"].startswith("none"), attacker
    assert report["stats"]["logins"] == 1


def test_the_same_lines_with_the_login_counted_at_once_agree(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The reference: the statistics right after the reject, before the failures."""
    stats = ENDS["statistics"][0].replace("09:20:00", "09:00:02")
    report = analyze_json(run, log_file, [CONNECT, REJECT, stats, *_phone_failures()])
    attacker = _attacker(report)
    assert report["compromised"] == [], report["compromised"]
    assert attacker["verdict"] == "stale_password", attacker


def test_failures_after_a_forged_trailer_stay_guesses(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    denied = (
        f"Mar 11 09:20:00 {TAG} disconnect from unknown[{IP}] ehlo=1 mail=1 rcpt=0/1 "
        "quit=1 commands=3/4"
    )
    report = analyze_json(run, log_file, [CONNECT, REJECT, *_phone_failures(), denied])
    attacker = _attacker(report)
    assert attacker["verdict"] in ("brute_force", "slow_bruteforce"), attacker
    assert attacker["succeeded_as"] == [], attacker
    assert attacker["recommendation"].startswith("ban"), attacker
    assert report["compromised"] == [], report["compromised"]
    assert report["stats"]["logins"] == 0


def test_guessing_while_a_trailer_waits_is_still_banned(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """A client that wrote a trailer and never ends its session (the log ends with it
    open) guesses fast from the same address: past the few lines kept for the session's
    end, they are judged at once, without the login (a forged trailer's session may stay
    open for hours): banned."""
    fast = [
        f"Mar 11 09:01:{n:02d} mx dovecot: imap-login: Disconnected (auth failed, "
        f"1 attempts in 1 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, "
        f"lip=198.51.100.25, session=<f{n}>"
        for n in range(50)
    ]
    report = analyze_json(run, log_file, [CONNECT, REJECT, *fast])
    attacker = _attacker(report)
    assert attacker["recommendation"].startswith("ban"), attacker
    assert attacker["failures"] >= 33, attacker
