# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What an address does while its reject-trailer login waits for the session's end is
judged after that login; the daemon's view, line by line: a client that wrote a trailer
(forged: its statistics will show no AUTH) and holds its session open does not keep its
guessing from being banned, past the few guesses kept (``policy.fast_failures``, and
MAX_DEFERRED lines) or the time they may wait (DEFER_SECONDS); and the lines kept are
judged when the session ends, not lost."""

from __future__ import annotations

from mailwarden.detect import Detector
from mailwarden.detect.rules import DEFER_SECONDS, EXPIRE_EVERY, MAX_DEFERRED
from sasllines import events_from, stamp

IP = "203.0.113.5"
TAG = "mx postfix/smtpd[2000]:"
OPEN = [
    f"{stamp(0)} {TAG} connect from unknown[{IP}]",
    f"{stamp(1)} {TAG} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <spam@other.example>: Relay access denied; from=<alice@example.com> to=<spam@other.example> proto=ESMTP helo=<pc> sasl_method=PLAIN sasl_username=alice@example.com",
]
DENIED = (
    f"{stamp(3000)} {TAG} disconnect from unknown[{IP}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"
)


def _guesses(count: int) -> list[str]:
    return [
        f"{stamp(10 + n)} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 1 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=198.51.100.25, session=<g{n}>"
        for n in range(count)
    ]


def _bans(detector: Detector, lines: list[str]) -> list[str]:
    return [
        d.reason
        for e in events_from(lines)
        for d in detector.feed(e)
        if d.recommendation == "ban" and d.ip == IP
    ]


def test_guessing_past_the_bound_is_banned_while_the_session_is_open() -> None:
    detector = Detector(keep_history=False)
    assert _bans(detector, [*OPEN, *_guesses(MAX_DEFERRED + 1)])


def test_guessing_kept_for_the_sessions_end_is_banned_at_its_end() -> None:
    detector = Detector(keep_history=False)
    assert not _bans(detector, [*OPEN, *_guesses(3)])
    assert _bans(detector, [DENIED])


def test_guessing_past_the_guesses_kept_is_banned_while_the_session_is_open() -> None:
    detector = Detector(keep_history=False)
    assert not _bans(detector, [*OPEN, *_guesses(detector.policy.fast_failures)])
    assert _bans(detector, _guesses(detector.policy.fast_failures + 1)[-1:])


def test_guessing_kept_past_its_wait_is_banned_at_the_periodic_expiry() -> None:
    """Three guesses kept, then the address stays silent and its session open: the
    detector's periodic expiry (every EXPIRE_EVERY lines, by the log's time) judges them
    once the first is DEFER_SECONDS old, and the line it ran at returns the ban."""
    detector = Detector(keep_history=False)
    assert not _bans(detector, [*OPEN, *_guesses(3)])
    others = [
        f"{stamp(int(20 + DEFER_SECONDS) + n // 50)} mx dovecot: imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=198.18.{n // 200 % 250}.{1 + n % 200}, lip=198.51.100.25, TLS, session=<o{n}>"
        for n in range(EXPIRE_EVERY)
    ]
    assert _bans(detector, others)
