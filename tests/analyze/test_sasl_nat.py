"""Postfix's SASL through Dovecot 2.4 (``auth_verbose = yes``) behind one NAT address.

Dovecot's auth line of each try names the account and the mechanism but no session
(Postfix sends none); Postfix's line of the try, after the failure delay, names its smtpd
session. Two mail programs of one office with a stale password, on overlapping
connections, each trying it by PLAIN and then by LOGIN, are two guesses, as Postfix's
lines alone tell; a bot's parallel connections trying a name on one and another
mechanism of it on the other get no try for free.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner
from sasllines import smtpd_tries

IP = "203.0.113.7"


def connection(
    pid: int, start: int, tries: list[tuple[int, str, str]], end: int, names: bool
) -> list[tuple[int, str]]:
    """One submission connection from :data:`IP` (:func:`sasllines.smtpd_tries`)."""
    return smtpd_tries(IP, start, pid, tries, end, names)


def log_of(*connections: list[tuple[int, str]]) -> str:
    timed = sorted((line for lines in connections for line in lines), key=lambda line: line[0])
    return "".join(f"Nov 28 10:00:{second:02d} {text}\n" for second, text in timed)


def analyze(run: Runner, path: str) -> tuple[int, dict[str, object] | None]:
    """Failed logins counted, and the address's entry among the attackers (or None)."""
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    report = json.loads(out)
    found = [a for a in report["attackers"] if a["ip"] == IP]
    return report["stats"]["failures_counted"], found[0] if found else None


@pytest.mark.parametrize("names", [True, False], ids=["postfix-3.9", "postfix-3.8"])
@pytest.mark.parametrize("joins", [1, 3], ids=["second-connects-first", "second-connects-later"])
def test_two_mail_programs_behind_one_nat_address_are_two_guesses_and_no_ban(
    run: Runner, log_file: Callable[[str], str], names: bool, joins: int
) -> None:
    # One account, a stale password on both. Both connections' auth lines were one run of
    # the address: the second one's LOGIN try was by then no new mechanism for the name,
    # and counted (3 failed logins within a minute, a ban for the office's address).
    log = log_of(
        connection(701, 0, [(2, "PLAIN", "bob"), (8, "LOGIN", "bob")], 11, names),
        connection(702, joins, [(5, "PLAIN", "bob"), (12, "LOGIN", "bob")], 15, names),
    )
    failures, found = analyze(run, log_file(log))
    assert failures == 2
    assert found is None or found["recommendation"] != "ban"


def test_a_bot_s_parallel_connections_are_counted_each_try_and_banned(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Each connection tries a name by PLAIN, then the other connection's name by LOGIN:
    # the address's run of auth lines took both LOGIN tries for fallbacks (2 for 4).
    log = log_of(
        connection(801, 0, [(2, "PLAIN", "bob"), (9, "LOGIN", "alice")], 13, True),
        connection(802, 1, [(5, "PLAIN", "alice"), (12, "LOGIN", "bob")], 16, True),
    )
    failures, found = analyze(run, log_file(log))
    assert failures == 4
    assert found is not None
    assert found["failures"] == 4
    assert found["recommendation"] == "ban"


def test_one_connection_s_fallback_is_still_one_guess(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    log = log_of(connection(901, 0, [(2, "PLAIN", "bob"), (6, "LOGIN", "bob")], 9, False))
    assert analyze(run, log_file(log)) == (1, None)


@pytest.mark.parametrize(
    "second_tries",
    [
        [(3, "PLAIN", "bob"), (9, "LOGIN", "bob")],
        [(9, "PLAIN", "alice"), (15, "LOGIN", "alice")],
    ],
    ids=["one-account-at-once", "plain-beside-login"],
)
def test_two_mail_programs_trying_at_once_behind_one_nat_address_are_two_guesses(
    run: Runner, log_file: Callable[[str], str], second_tries: list[tuple[int, str, str]]
) -> None:
    # Postfix before 3.9: the second program's try is under way while the first's is,
    # by the same account, or by PLAIN beside the first's LOGIN. Whose auth line was
    # whose was not known, and every try counted: 4 failed logins in a minute, and the
    # office's address banned. Every line the try may be of names the same account.
    log = log_of(
        connection(701, 0, [(2, "PLAIN", "bob"), (8, "LOGIN", "bob")], 11, False),
        connection(702, 1, second_tries, second_tries[-1][0] + 3, False),
    )
    failures, found = analyze(run, log_file(log))
    assert failures == 2
    assert found is None or found["recommendation"] != "ban"
