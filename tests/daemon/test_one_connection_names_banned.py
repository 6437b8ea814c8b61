"""The daemon bans an address whose one smtpd connection tried three accounts at a
person's pace (7 s apart), as it bans three tries of one account: one connection is one
mail program's, never the colleagues behind an office's address, who each have their own
(and three accounts so, each in its own connection, still ban nobody)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wardenlab import Warden, append, banned, drain, sasl_failure, stamp

IP = "203.0.113.50"
NAMES = ("a@example.com", "b@example.com", "c@example.com")


def connect(when: datetime, pid: int) -> str:
    return f"{stamp(when)} mx postfix/submission/smtpd[{pid}]: connect from unknown[{IP}]"


def disconnect(when: datetime, pid: int, failed: int) -> str:
    return (
        f"{stamp(when)} mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{IP}] "
        f"ehlo=1 auth=0/{failed} quit=1 commands=2/{failed + 2}"
    )


def one_connection(start: datetime, users: tuple[str, ...]) -> list[str]:
    tries = [
        sasl_failure(IP, user, pid=1300, when=start + timedelta(seconds=2 + 7 * n))
        for n, user in enumerate(users)
    ]
    return [connect(start, 1300), *tries, disconnect(start + timedelta(seconds=18), 1300, 3)]


def test_three_accounts_in_one_connection_are_banned(warden: Warden) -> None:
    daemon = warden.start()
    append(warden.log, one_connection(datetime.now(UTC) - timedelta(seconds=30), NAMES))
    drain(daemon)
    assert banned(daemon) == {f"{IP}/32"}


def test_three_tries_of_one_account_in_one_connection_are_banned(warden: Warden) -> None:
    daemon = warden.start()
    append(warden.log, one_connection(datetime.now(UTC) - timedelta(seconds=30), NAMES[:1] * 3))
    drain(daemon)
    assert banned(daemon) == {f"{IP}/32"}


def test_three_accounts_each_in_its_own_connection_ban_nobody(warden: Warden) -> None:
    # Colleagues behind the office's NAT, each mistyping once, 7 s apart; one smtpd
    # process served them one after another.
    daemon = warden.start()
    start = datetime.now(UTC) - timedelta(seconds=30)
    lines: list[str] = []
    for n, user in enumerate(NAMES):
        at = start + timedelta(seconds=7 * n)
        lines += [
            connect(at, 1300),
            sasl_failure(IP, user, pid=1300, when=at + timedelta(seconds=2)),
            disconnect(at + timedelta(seconds=3), 1300, 1),
        ]
    append(warden.log, lines)
    drain(daemon)
    assert banned(daemon) == set()
    assert daemon.counters.bans == 0
