"""An office's NAT and a phone with an old password: the daemon remembers who logged in
from where across restarts and days (its store), so the phone's failures in the morning,
before anyone from the office has logged in that day, ban nobody; a bot at the same
address guessing other accounts is banned all the same, and so is one that guesses the
owner's account more often than any device retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import Warden, append, banned, drain, sasl_failure, sasl_success, stamp

OFFICE = "203.0.113.7"
"""The office's NAT: one address for everybody there."""
ALICE = "alice@example.org"


def noise(count: int, when: datetime) -> list[str]:
    """Ordinary lines of other clients (a busy server's day)."""
    at = stamp(when)
    return [
        f"{at} mx postfix/smtpd[{3000 + n % 5000}]: connect from unknown[192.0.2.50]"
        for n in range(count)
    ]


def phone(start: datetime, count: int = 6, every: timedelta = timedelta(minutes=5)) -> list[str]:
    """Alice's phone, still with her old password, trying every five minutes: six tries
    make a slow brute force (4 within 2h) for an address nobody logs in from."""
    return [sasl_failure(OFFICE, ALICE, pid=1400 + n, when=start + n * every) for n in range(count)]


def bot(when: datetime) -> list[str]:
    """A bot behind the same NAT guessing other accounts."""
    users = ("bob@example.org", "carol@example.org", "dave@example.org", "erin@example.org")
    return [sasl_failure(OFFICE, user, pid=1500 + n, when=when) for n, user in enumerate(users)]


def alice_logs_in(when: datetime) -> str:
    return sasl_success(OFFICE, ALICE, when=when)


def test_a_login_before_a_restart_counts_past_the_warm_up_tail(warden: Warden) -> None:
    # Alice logged in from the office yesterday evening; a busy night followed (more
    # than the warm-up tail reads back: its 32 MB, here 64 kB), then a restart.
    now = datetime.now(UTC)
    first = warden.start()
    append(warden.log, alice_logs_in(now - timedelta(hours=14)))
    append(warden.log, noise(5000, now - timedelta(hours=3)))
    drain(first)
    first.close()

    second = warden.start(warmup_bytes=64 << 10)
    assert 0 < second.counters.warmup_lines < 5000
    append(warden.log, phone(now - timedelta(minutes=40)))
    drain(second)
    assert banned(second) == set()
    assert second.counters.bans == 0

    append(warden.log, bot(now))
    drain(second)
    assert banned(second) == {f"{OFFICE}/32"}


def test_a_login_days_ago_counts_after_a_restart(warden: Warden) -> None:
    # Friday's login; the daemon restarted on Sunday; Monday morning the phone fails
    # before anyone from the office has logged in: three days back, past the warm-up's
    # one day.
    now = datetime.now(UTC)
    first = warden.start()
    append(warden.log, alice_logs_in(now - timedelta(days=3)))
    append(warden.log, noise(50, now - timedelta(days=1)))
    drain(first)
    first.close()

    second = warden.start()
    append(warden.log, noise(50, now - timedelta(hours=10)))
    append(warden.log, phone(now - timedelta(minutes=40)))
    drain(second)
    assert banned(second) == set()

    append(warden.log, bot(now))
    drain(second)
    assert banned(second) == {f"{OFFICE}/32"}


def test_a_reload_keeps_the_owners(warden: Warden) -> None:
    now = datetime.now(UTC)
    daemon = warden.start(warmup_bytes=64 << 10)
    append(warden.log, alice_logs_in(now - timedelta(hours=14)))
    append(warden.log, noise(5000, now - timedelta(hours=3)))
    drain(daemon)
    warden.sections["policy"]["ban_time"] = "2h"  # a new detector
    warden.write()
    daemon.reload()
    append(warden.log, phone(now - timedelta(minutes=40)))
    drain(daemon)
    assert banned(daemon) == set()


def test_a_login_older_than_stale_window_is_forgotten(warden: Warden) -> None:
    warden.sections["policy"]["stale_window"] = "2d"
    warden.write()
    now = datetime.now(UTC)
    first = warden.start()
    append(warden.log, alice_logs_in(now - timedelta(days=3)))
    append(warden.log, noise(50, now - timedelta(days=1)))
    drain(first)
    first.close()

    second = warden.start()
    assert second.store.owners(now - timedelta(days=30), 100) == []
    append(warden.log, phone(now - timedelta(minutes=40)))
    drain(second)
    assert banned(second) == {f"{OFFICE}/32"}


def test_an_intruders_login_is_not_remembered_as_an_owners(warden: Warden) -> None:
    now = datetime.now(UTC)
    daemon = warden.start()
    append(
        warden.log,
        [sasl_failure(OFFICE, "bob@example.org", pid=1600 + n, when=now) for n in range(5)],
    )
    append(warden.log, sasl_success(OFFICE, "bob@example.org", when=now))
    append(warden.log, sasl_success("198.51.100.20", ALICE, when=now))
    drain(daemon)
    owners = daemon.store.owners(now - timedelta(days=1), 100)
    assert [(str(row.network), row.account) for row in owners] == [("198.51.100.20/32", ALICE)]


@pytest.mark.parametrize("restart", [False, True])
def test_an_owners_address_is_no_free_pass_for_guessing_that_account(
    warden: Warden, restart: bool
) -> None:
    # 200 failures a day on her account (stale_max_failures) are still her phone's;
    # the 201st is guessing, whoever logged in from there, and bans the address.
    now = datetime.now(UTC)
    warden.sections["policy"]["stale_max_failures"] = 200  # the default's 1000: quicker
    warden.write()
    daemon = warden.start()
    append(warden.log, alice_logs_in(now - timedelta(hours=3)))
    drain(daemon)
    if restart:
        daemon.close()
        append(warden.log, noise(5000, now - timedelta(hours=2, minutes=30)))
        daemon = warden.start(warmup_bytes=64 << 10)
    start = now - timedelta(minutes=200)
    append(warden.log, phone(start, count=200, every=timedelta(seconds=30)))
    drain(daemon)
    assert banned(daemon) == set()

    append(warden.log, sasl_failure(OFFICE, ALICE, pid=1999, when=now))
    drain(daemon)
    assert banned(daemon) == {f"{OFFICE}/32"}
    [row] = daemon.store.active_bans()
    assert "201 failed logins with alice@example.org within 1d" in row.reason
    assert "stale_max_failures" in row.reason
