# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""explain compares account names as the detect stage does: the raw name, trimmed and
case-folded (``account_key``), escaped only where it is shown. Before, it keyed some
sets on the escaped name and others on the raw one, so that

- a password sent for an account someone logged in as, when the name held a blank, a
  backslash or a bidi control, read as an attacker's guess (``password *** (11
  characters)``) instead of ``password hidden (a real user may have typed it; …)``;
- ``admin``, ``admin\\n``, ``admin\\r`` and ``admin\\t`` (AUTH payloads) were four accounts
  in explain where analyze and the daemon count one."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from clirunner import Runner


def _flat(text: str) -> str:
    return " ".join(text.split())


def _plain(name: str, password: str) -> str:
    return base64.b64encode(f"\0{name}\0{password}".encode()).decode()


@pytest.mark.parametrize("name", ["ad\u00a0min", "ad\\min", "ad\u202emin", "ad min"])
def test_a_real_users_password_is_hidden(
    run: Runner, log_file: Callable[[str], str], name: str
) -> None:
    ip = "198.51.100.44"
    path = log_file(
        "\n".join(
            [
                f"Nov 28 10:00:00 mx postfix/smtpd[400]: connect from unknown[{ip}]",
                f"Nov 28 10:00:00 mx postfix/smtpd[400]: < unknown[{ip}]: AUTH PLAIN {_plain(name, 'Secret-Pw1x')}",
                f"Nov 28 10:00:01 mx postfix/smtpd[400]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}",
                f"Nov 28 10:00:02 mx postfix/smtpd[400]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
                f"Nov 28 10:01:00 mx postfix/smtpd[401]: connect from unknown[{ip}]",
                f"Nov 28 10:01:01 mx postfix/smtpd[401]: 4ABCD1234: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={name}",
                f"Nov 28 10:01:02 mx postfix/smtpd[401]: disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
            ]
        )
        + "\n"
    )
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    flat = _flat(out)
    assert "password hidden (a real user may have typed it; --show-passwords shows it)" in flat
    assert "password *** (11 characters)" not in flat  # was: an attacker's guess


NAMES = ["admin", "admin\n", "admin\r", "admin\t"]
"""One account as analyze and the daemon count it (white space at the ends trimmed)."""


def _four_tries() -> str:
    ip = "198.51.100.45"
    lines = []
    for k, name in enumerate(NAMES):
        pid = 500 + k
        lines += [
            f"Nov 28 10:0{k}:00 mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f"Nov 28 10:0{k}:00 mx postfix/smtpd[{pid}]: < unknown[{ip}]: AUTH PLAIN {_plain(name, f'guess{k}')}",
            f"Nov 28 10:0{k}:01 mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable)",
            f"Nov 28 10:0{k}:02 mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        ]
    return "\n".join(lines) + "\n"


def test_one_name_with_white_space_at_its_end_is_one_account(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(_four_tries())
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    assert [a["users"] for a in json.loads(out)["attackers"]] == [["admin"]]
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    flat = _flat(out)
    assert "198.51.100.45 tried to log in as “admin”: 4 failed attempts." in flat
    assert "It is trying to guess the password of “admin”." in flat
    assert "“admin\\x0a”, “admin\\x0d”" not in flat  # was listed as four accounts
    # each try still shows the name as it was sent
    assert "It tried AUTH PLAIN with account “admin\\x09”" in flat
