# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What an address does while its reject-trailer login waits for the session's end
waits DEFER_SECONDS at most; the daemon counted that wait in the log's time only, which
only a later line moves on. A client that forged a trailer, guessed a few times and
then paused (or a quiet server at night: no other line comes) held its ban off for as
long as the log stayed silent. Now the daemon counts the silence on its own clock, from
when it read the latest line: the ban comes at the first housekeeping (every minute)
after DEFER_SECONDS of silence. A backlog of hours ago, read at a start, is not silence:
its lines are judged by their own times, and a confirmed login in its next piece still
makes the failures before it an owner's old password.

The daemon's clock is the test's (``Daemon.clock``, moved by hand); the housekeeping is
made due by hand, as the minutes it waits for would have."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import ATTACKER, Warden, append, banned, drain, run_cli, sasl_failure, stamp

from mailwarden.daemon.loop import Daemon

DEFER_SECONDS = 300.0  # mailwarden.detect.rules.DEFER_SECONDS: Postfix's smtpd_timeout
HOUSEKEEPING_EVERY = 60.0  # mailwarden.daemon.loop.HOUSEKEEPING_EVERY
TAG = "mx postfix/smtpd[2000]:"
OWNER = "alice@example.com"
OWNER_PHONE = "198.51.100.44"


class Clock:
    """The daemon's clock (monotonic seconds), moved by hand; it starts at the real one
    so that it goes on from what the daemon read of that at its start."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


def _trailer(ip: str, when: datetime) -> list[str]:
    """A session whose refused request names a login in its SASL trailer (forgeable:
    it counts once the session's statistics show ``auth=1``)."""
    return [
        f"{stamp(when)} {TAG} connect from unknown[{ip}]",
        f"{stamp(when)} {TAG} NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <spam@other.example>: Relay access denied; from=<{OWNER}> to=<spam@other.example> proto=ESMTP helo=<pc> sasl_method=PLAIN sasl_username={OWNER}",
    ]


def _guesses(when: datetime) -> list[str]:
    """Three guesses: no more than the trailer's wait keeps (``fast_failures`` 3)."""
    return [
        sasl_failure(ATTACKER, user, pid=1201 + n, when=when)
        for n, user in enumerate(("admin", "info", "sales"))
    ]


def _started_on_guessing(
    warden: Warden,
    client: str = ATTACKER,
    tries: Callable[[datetime], list[str]] = _guesses,
) -> tuple[Daemon, Clock, datetime]:
    """The daemon started on a test clock, with ``client``'s forged trailer and
    ``tries`` (three guesses) written and read; and the time they were written at."""
    daemon = warden.start()
    clock = Clock()
    daemon.clock = clock
    now = datetime.now(UTC)
    append(warden.log, [*_trailer(client, now), *tries(now)])
    drain(daemon)
    return daemon, clock, now


def _housekeeping(daemon: Daemon, clock: Clock, seconds: float) -> None:
    """``seconds`` later on the daemon's clock, with nothing new in the log: one step,
    the housekeeping due."""
    clock.now += seconds
    daemon._due["housekeeping"] = 0
    daemon.step()


def test_guessing_behind_a_forged_trailer_is_banned_when_the_log_goes_silent(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The trailer, three guesses (no more than the wait keeps), then not one line more:
    banned within DEFER_SECONDS and a housekeeping of the last line read; the old code
    never banned it, whatever the wait."""
    daemon, clock, _ = _started_on_guessing(warden)
    assert banned(daemon) == set()  # kept: the trailer's session may still confirm it
    waited = 0.0
    while waited + HOUSEKEEPING_EVERY < DEFER_SECONDS:  # the wait is not over: kept
        _housekeeping(daemon, clock, HOUSEKEEPING_EVERY)
        waited += HOUSEKEEPING_EVERY
        assert banned(daemon) == set(), f"{waited:.0f} s of silence"
    _housekeeping(daemon, clock, 2 * HOUSEKEEPING_EVERY)  # past DEFER_SECONDS
    assert banned(daemon) == {f"{ATTACKER}/32"}
    # as a ban at a line would be: said, recorded with its attack's evidence, counted
    (row,) = daemon.store.history(network=ipaddress.ip_network(f"{ATTACKER}/32"))
    assert (row.state.value, row.source.value) == ("active", "auto")
    assert "admin" in row.evidence
    assert any(
        f"ban {ATTACKER}" in " ".join(record.getMessage().split()) for record in caplog.records
    )
    daemon.close()
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert code == 0, err
    text = " ".join(out.split())
    assert "this run: 5 lines, 6 events, 1 ban," in text
    assert "active bans: 1 (1 automatic, 0 manual)" in text
    assert ATTACKER in text


def test_a_line_read_later_starts_the_silence_again(warden: Warden) -> None:
    """A line read 4 minutes into the silence (another client, a second later in the
    log) is no silence: the wait goes on by the log's time, then by the clock from that
    line; the guesses are banned once both together make DEFER_SECONDS."""
    daemon, clock, now = _started_on_guessing(warden)
    for _ in range(4):
        _housekeeping(daemon, clock, HOUSEKEEPING_EVERY)
    append(
        warden.log,
        f"{stamp(now + timedelta(seconds=1))} mx postfix/smtpd[4300]: connect from unknown[192.0.2.50]",
    )
    drain(daemon)
    for _ in range(4):  # 240 s since that line: 241 s of the wait
        _housekeeping(daemon, clock, HOUSEKEEPING_EVERY)
        assert banned(daemon) == set()
    _housekeeping(daemon, clock, 2 * HOUSEKEEPING_EVERY)
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_backlog_of_hours_ago_is_not_silence(warden: Warden) -> None:
    """A restart reads a backlog of 20 minutes ago in pieces: the owner's refused
    request (trailer), her phone failing three times with an old password, and, a piece
    later, her session's statistics (``auth=1``) a minute after. The housekeeping
    between the pieces (an hour of the clock each: a slow disk), the clock far past the
    log's time, does not judge the failures as guessing: they waited a minute of the
    log's time, and the backlog was never silent. Counted as the clock minus the log's
    time, they were judged at the first housekeeping and the owner banned (a ban:
    the attack is younger than a ban lasts)."""
    daemon = warden.start()
    drain(daemon)
    daemon.close()
    then = datetime.now(UTC) - timedelta(minutes=20)
    phone = [
        f"{stamp(then + timedelta(seconds=2 + n))} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 1 secs): user=<{OWNER}>, method=PLAIN, rip={OWNER_PHONE}, lip=192.0.2.1, session=<p{n}>"
        for n in range(3)
    ]
    # others' sessions for more than two pieces (READ_BUDGET, 1 MiB each), 60 s of log
    others = [
        f"{stamp(then + timedelta(seconds=5 + n * 50 // 24_000))} mx postfix/smtpd[{3000 + n % 50}]: connect from unknown[192.0.2.{50 + n % 50}]"
        for n in range(24_000)
    ]
    statistics = f"{stamp(then + timedelta(seconds=60))} {TAG} disconnect from unknown[{OWNER_PHONE}] ehlo=1 auth=1 mail=1 rcpt=0/1 quit=1 commands=4/5"
    append(warden.log, [*_trailer(OWNER_PHONE, then), *phone, *others, statistics])
    assert warden.log.stat().st_size > 2 << 20
    daemon = warden.start()
    clock = Clock()
    daemon.clock = clock
    pieces = 1
    while True:  # a piece a step, an hour of the clock and a housekeeping each
        clock.now += 3600
        daemon._due["housekeeping"] = 0
        if not daemon.step():
            break
        pieces += 1
    assert pieces >= 3
    assert daemon.reader.behind() == set()
    assert banned(daemon) == set()
