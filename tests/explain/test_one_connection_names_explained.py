# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""explain on a review's smtpd session that tried three accounts 7 s apart (Postfix 3.9
names them): one connection is one mail program's, so it is a brute force to block, as
the same tries on one account are; not "a person mistyped or a bot's first guesses"
(the colleagues behind one office address each have a connection of their own, and
stay so: tests/analyze/test_names_in_one_connection.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner

IP = "203.0.113.50"
SMTPD = "mx postfix/submission/smtpd[1300]"


def session(users: list[str], own_connections: bool = False) -> str:
    lines: list[str] = []
    for n, user in enumerate(users):
        at = 7 * n
        if n == 0 or own_connections:
            lines.append(f"Nov 28 10:00:{at:02d} {SMTPD}: connect from unknown[{IP}]")
        lines.append(
            f"Nov 28 10:00:{at + 2:02d} {SMTPD}: warning: unknown[{IP}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username={user}"
        )
        if own_connections:
            lines.append(
                f"Nov 28 10:00:{at + 3:02d} {SMTPD}: disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 commands=2/3"
            )
    if not own_connections:
        n = len(users)
        lines.append(
            f"Nov 28 10:00:18 {SMTPD}: disconnect from unknown[{IP}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}"
        )
    return "\n".join(lines) + "\n"


def explained(run: Runner, log_file: Callable[[str], str], text: str) -> str:
    code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", log_file(text))
    assert code == 0, err
    return " ".join(out.split())


@pytest.mark.parametrize(
    "users",
    [["a@example.com", "b@example.com", "c@example.com"], ["a@example.com"] * 3],
    ids=["three-accounts", "one-account"],
)
def test_three_tries_in_one_connection_are_a_brute_force_to_block(
    run: Runner, log_file: Callable[[str], str], users: list[str]
) -> None:
    out = explained(run, log_file, session(users))
    assert "Is someone trying to break into your mail accounts? Yes." in out
    assert "a brute-force attack" in out
    assert f"Block {IP} in the firewall" in out
    assert "Not clearly" not in out
    assert f"No need to block {IP}" not in out


def test_three_accounts_each_in_its_own_connection_are_not_clearly_an_attack(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    users = ["a@example.com", "b@example.com", "c@example.com"]
    out = explained(run, log_file, session(users, own_connections=True))
    assert "Is someone trying to break into your mail accounts? Not clearly." in out
    assert f"No need to block {IP}" in out
    assert "a brute-force attack" not in out
