# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Several accounts tried in one connection are one mail program's guesses, never the
colleagues behind one office address (a NAT) mistyping each their own, who each have a
connection of their own: a review's smtpd session tried three accounts 7 s apart
(Postfix 3.9 names them), and was "no attack" where the same tries on one account, or
unnamed, were a brute force to ban. The colleagues' case stays: three accounts, each in
its own connection, at a person's pace, ban nobody; so do lines the log cannot tell
apart as one connection's (only the warnings kept, a disconnect line missing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner, analyze_json

IP = "203.0.113.50"
NAMES = ("a@example.com", "b@example.com", "c@example.com")
SMTPD = "mx postfix/submission/smtpd"


def connect(second: int, pid: int) -> str:
    return f"Nov 28 10:00:{second:02d} {SMTPD}[{pid}]: connect from unknown[{IP}]"


def failure(second: int, pid: int, user: str | None) -> str:
    tail = f", sasl_username={user}" if user is not None else ""
    return f"Nov 28 10:00:{second:02d} {SMTPD}[{pid}]: warning: unknown[{IP}]: SASL LOGIN authentication failed: (reason unavailable){tail}"


def disconnect(second: int, pid: int, failed: int) -> str:
    return f"Nov 28 10:00:{second:02d} {SMTPD}[{pid}]: disconnect from unknown[{IP}] ehlo=1 auth=0/{failed} quit=1 commands=2/{failed + 2}"


def one_connection(users: tuple[str | None, ...]) -> list[str]:
    """The review's session: smtpd 1300, a failure every 7 s, then its end."""
    tries = [failure(2 + 7 * n, 1300, user) for n, user in enumerate(users)]
    return [connect(0, 1300), *tries, disconnect(18, 1300, len(users))]


def own_connections(pid: int = 1300, ends: bool = True) -> list[str]:
    """The three accounts 7 s apart, each in a connection of its own of one smtpd
    process (Postfix reuses an idle one); ``ends``: each with its disconnect line."""
    lines: list[str] = []
    for n, user in enumerate(NAMES):
        start = 7 * n
        lines += [connect(start, pid), failure(start + 2, pid, user)]
        if ends or n == len(NAMES) - 1:
            lines.append(disconnect(start + 3, pid, 1))
    return lines


def dovecot_imap(sessions: int, pam: bool = False) -> list[str]:
    """An IMAP client trying the three accounts 7 s apart (Dovecot 2.3's auth lines name
    each with the session id), in one login session or in one each; ``pam``: Dovecot
    checks the passwords through PAM, whose own line of each try comes first (and counts
    it: Dovecot's line of it then counts nothing)."""
    lines: list[str] = []
    for n, user in enumerate(NAMES):
        session = f"S{n % sessions:04d}"
        second = 2 + 7 * n
        if pam:
            lines += [
                f"Nov 28 10:00:{second:02d} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP}  user={user}",
                f"Nov 28 10:00:{second:02d} mx dovecot: auth-worker(1234): pam({user},{IP},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
            ]
        else:
            lines.append(
                f"Nov 28 10:00:{second:02d} mx dovecot: auth: passwd-file({user},{IP},<{session}>): Password mismatch"
            )
        if sessions > 1:
            lines.append(
                f"Nov 28 10:00:{second + 1:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<{session}>"
            )
    if sessions == 1:
        lines.append(
            f"Nov 28 10:00:18 mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 16 secs): user=<{NAMES[-1]}>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<S0000>"
        )
    return lines


def attacker(
    run: Runner, log_file: Callable[[str], str], lines: list[str]
) -> dict[str, Any] | None:
    report = analyze_json(run, log_file, lines)
    assert report["stats"]["failures_counted"] == 3
    found = [a for a in report["attackers"] if a["ip"] == IP]
    return found[0] if found else None


@pytest.mark.parametrize(
    "users",
    [NAMES, (NAMES[0],) * 3, (None,) * 3],
    ids=["three-accounts", "one-account", "unnamed"],
)
def test_three_tries_in_one_connection_are_a_brute_force_to_ban(
    run: Runner, log_file: Callable[[str], str], users: tuple[str | None, ...]
) -> None:
    found = attacker(run, log_file, one_connection(users))
    assert found is not None
    assert found["verdict"] == "bruteforce"
    assert found["recommendation"] == "ban"
    assert found["failures"] == 3


@pytest.mark.parametrize("pam", [False, True], ids=["passwd-file", "pam"])
def test_three_accounts_in_one_dovecot_login_session_are_a_brute_force(
    run: Runner, log_file: Callable[[str], str], pam: bool
) -> None:
    found = attacker(run, log_file, dovecot_imap(sessions=1, pam=pam))
    assert found is not None
    assert (found["verdict"], found["recommendation"]) == ("bruteforce", "ban")
    assert found["users"] == list(NAMES)


@pytest.mark.parametrize(
    "lines",
    [
        own_connections(),
        own_connections(ends=False),
        [line for line in own_connections() if "connect from" not in line],
        [failure(2 + 7 * n, 1400 + n, user) for n, user in enumerate(NAMES)],
        dovecot_imap(sessions=3),
        dovecot_imap(sessions=3, pam=True),
    ],
    ids=[
        "own-connections",
        "disconnect-lines-missing",
        "warnings-only",
        "three-processes",
        "three-dovecot-sessions",
        "three-dovecot-sessions-pam",
    ],
)
def test_three_accounts_each_in_its_own_connection_are_no_attack(
    run: Runner, log_file: Callable[[str], str], lines: list[str]
) -> None:
    # Colleagues behind one address, each mistyping once at a person's pace (10 s or
    # more in all); or lines that may be of several connections of one smtpd process.
    assert attacker(run, log_file, lines) is None
