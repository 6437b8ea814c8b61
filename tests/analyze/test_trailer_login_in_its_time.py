"""A reject-trailer login confirmed late is judged as at its own time, when the
statistics confirm it in time.

A login taken from a reject line's SASL trailer waits for its session's end (the
statistics' ``auth=1`` confirm it, their absence of a successful AUTH shows the trailer
forged; a new connect of the process, an older Postfix's disconnect without statistics
or the end of input count it). What the same address does meanwhile (the owner's phone
failing with an old password over IMAP) is judged after it when the statistics confirm
it: as if the login had counted at its own time, not as guessing that a login then
followed (a break-in), and as guessing when the trailer was forged. Only the statistics
make the failures an owner's old password: an end without them judges the failures
first, as guessing (a forged trailer's session may end so), then counts the login. And
the failures wait ``DEFER_SECONDS`` (300 s, Postfix's ``smtpd_timeout``) and a brute
force's count (``fast_failures``) at most: past that they are judged as guessing, the
statistics too late to make them an old password.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
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


def _phone_failures(count: int = 12, every: int = 60) -> list[str]:
    """The owner's phone, at the same address, failing over IMAP every ``every`` seconds
    from 09:01:30, after the login (an old password): a slow brute force, were there no
    login before."""
    first = datetime(2026, 3, 11, 9, 1, 30)
    return [
        f"{(first + timedelta(seconds=n * every)).strftime('%b %d %H:%M:%S')} mx dovecot: "
        f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        f"user=<alice@example.com>, method=PLAIN, rip={IP}, lip=198.51.100.25, "
        f"session=<p{n}>"
        for n in range(count)
    ]


def _attacker(report: dict[str, Any]) -> dict[str, Any]:
    found = [a for a in report["attackers"] if a["ip"] == IP]
    assert found, report["attackers"]
    return found[0]


STATISTICS = (
    f"Mar 11 09:20:00 {TAG} disconnect from unknown[{IP}] ehlo=1 auth=1 mail=1 "
    "rcpt=0/1 quit=1 commands=4/5"
)

ENDS = {
    # the log ends with the session open (a rotated file)
    "end of input": [],
    # the disconnect line was lost: the process's next connection ends the session
    "new connect": [f"Mar 11 09:20:00 {TAG} connect from unknown[198.51.100.77]"],
    # Postfix before 3.0 writes no statistics
    "disconnect without statistics": [f"Mar 11 09:20:00 {TAG} disconnect from unknown[{IP}]"],
}


def test_failures_before_the_statistics_confirm_the_login_are_a_stale_password(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The phone fails three times within the few minutes the session lasts (the first
    at 09:01:30), then the statistics confirm the login (09:05:00)."""
    stats = STATISTICS.replace("09:20:00", "09:05:00")
    report = analyze_json(run, log_file, [CONNECT, REJECT, *_phone_failures(3), stats])
    attacker = _attacker(report)
    assert report["compromised"] == [], report["compromised"]
    assert attacker["verdict"] == "stale_password", attacker
    assert attacker["recommendation"].startswith("none"), attacker
    assert report["stats"]["logins"] == 1


@pytest.mark.parametrize("end", list(ENDS))
def test_failures_after_a_trailer_login_no_statistics_confirm_stay_guesses(
    run: Runner, log_file: Callable[[str], str], end: str
) -> None:
    """The session ends without statistics: the login counts (Postfix < 3.0 writes no
    statistics, the log may have lost them), but only after the failures that came while
    it waited, which are judged as guessing: a forged trailer's client guessing on the
    account it named is banned, not reported as the owner's phone."""
    lines = [CONNECT, REJECT, *_phone_failures(), *ENDS[end]]
    report = analyze_json(run, log_file, lines)
    attacker = _attacker(report)
    assert attacker["verdict"] != "stale_password", attacker
    assert attacker["recommendation"].startswith("ban"), attacker
    assert attacker["failures"] == 12, attacker
    assert report["stats"]["logins"] == 1


@pytest.mark.parametrize("end", list(ENDS))
def test_a_trailer_login_no_statistics_confirm_is_no_break_in_by_the_failures_after_it(
    run: Runner, log_file: Callable[[str], str], end: str
) -> None:
    """Failures that waited for the statistics (three within a minute, after the login)
    and a session ending without them: judged as guessing, and the login that came
    before them is not reported as a guess that worked "after 3 failed logins"."""
    lines = [CONNECT, REJECT, *_phone_failures(3, every=20), *ENDS[end]]
    report = analyze_json(run, log_file, lines)
    attacker = _attacker(report)
    assert report["compromised"] == [], report["compromised"]
    assert attacker["verdict"] != "compromised", attacker
    assert attacker["recommendation"].startswith("ban"), attacker


@pytest.mark.parametrize(
    "failures, stats",
    [
        # the phone's first failure at 09:01:30, the statistics 18 minutes later
        (_phone_failures(), STATISTICS),
        # four failures within 30 seconds, the statistics in time (09:02:10)
        (_phone_failures(4, every=10), STATISTICS.replace("09:20:00", "09:02:10")),
    ],
    ids=["statistics too late", "too many failures"],
)
def test_failures_that_waited_too_long_for_the_statistics_are_guesses(
    run: Runner, log_file: Callable[[str], str], failures: list[str], stats: str
) -> None:
    """What waits for the statistics waits DEFER_SECONDS and fast_failures failures at
    most (so that a client holding a forged trailer's session open is banned as soon as
    without it): past that the failures are judged as guessing, before the login."""
    report = analyze_json(run, log_file, [CONNECT, REJECT, *failures, stats])
    attacker = _attacker(report)
    assert attacker["verdict"] != "stale_password", attacker
    assert attacker["recommendation"].startswith("ban"), attacker
    assert report["stats"]["logins"] == 1


def test_the_same_lines_with_the_login_counted_at_once_agree(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """The reference: the statistics right after the reject, before the failures."""
    stats = STATISTICS.replace("09:20:00", "09:00:02")
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
