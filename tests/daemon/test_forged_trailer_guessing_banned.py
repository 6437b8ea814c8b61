# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A client that forges a reject line's SASL trailer (a login as alice, tentative until
its session's statistics) and keeps that session open, guessing from the same address
meanwhile: the daemon bans it, as without the trailer, within a few guesses
(``policy.fast_failures`` kept at most) or, when it guesses slower, within
``DEFER_SECONDS`` of its first guess (at the next housekeeping); the session never ends,
and its trailer never makes the guessing an owner's old password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wardenlab import ATTACKER, Warden, append, banned, drain, sasl_failure, stamp

DEFER_SECONDS = 300.0  # mailwarden.detect.rules.DEFER_SECONDS: Postfix's smtpd_timeout
TAG = "mx postfix/smtpd[2000]:"
NAMES = ["admin", "info", "sales", "test", "root", "user", "web", "oracle", "guest", "support"]


def _trailer(when: datetime) -> list[str]:
    return [
        f"{stamp(when)} {TAG} connect from unknown[{ATTACKER}]",
        f"{stamp(when)} {TAG} NOQUEUE: reject: RCPT from unknown[{ATTACKER}]: 554 5.7.1 <spam@other.example>: Relay access denied; from=<alice@example.com> to=<spam@other.example> proto=ESMTP helo=<pc> sasl_method=PLAIN sasl_username=alice@example.com",
    ]


def _slow_guesses(began: datetime) -> list[str]:
    """The forged trailer at ``began``, and three guesses (no more than its wait keeps) a
    second later."""
    return _trailer(began) + [
        sasl_failure(ATTACKER, u, pid=1201 + n, when=began + timedelta(seconds=1))
        for n, u in enumerate(NAMES[:3])
    ]


def _a_line_later(began: datetime) -> str:
    """Another client's line, DEFER_SECONDS and a minute after ``began``: it tells the
    time."""
    return (
        f"{stamp(began + timedelta(seconds=DEFER_SECONDS + 60))} mx postfix/smtpd[4300]: "
        "connect from unknown[198.51.100.20]"
    )


def test_guessing_behind_a_forged_trailer_is_banned_while_the_session_is_open(
    warden: Warden,
) -> None:
    """The reviewer's case: 30 guesses, no disconnect line (fe39b5f banned at the 5th;
    with the guesses waiting for the session's end, none was banned)."""
    daemon = warden.start()
    now = datetime.now(UTC)
    append(warden.log, _trailer(now))
    drain(daemon)
    guesses = [sasl_failure(ATTACKER, u, pid=1201 + n, when=now) for n, u in enumerate(NAMES * 3)]
    # the guesses kept while the trailer waits, and one more: judged, banned
    fast = warden.sections["policy"]["fast_failures"]
    append(warden.log, guesses[: fast + 1])
    drain(daemon)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    append(warden.log, guesses[fast + 1 :])
    drain(daemon)
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_slow_guessing_behind_a_forged_trailer_is_banned_after_the_wait(
    warden: Warden,
) -> None:
    """Three guesses (no more than the trailer's wait keeps) and no more: judged once the
    first is DEFER_SECONDS old, at the daemon's housekeeping, though the session stays
    open (a line of another client tells the time)."""
    daemon = warden.start()
    began = datetime.now(UTC) - timedelta(seconds=DEFER_SECONDS + 120)
    append(warden.log, _slow_guesses(began))
    drain(daemon)
    assert banned(daemon) == set()
    append(warden.log, _a_line_later(began))
    drain(daemon)
    daemon._due["housekeeping"] = 0
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
