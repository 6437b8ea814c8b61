# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Logins analyze missed (found by review): a login proxy's (director's) successful
logins, and logins of a site that reorders login_log_format_elements; auth_debug lines
analyze took for failed logins."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner

ATTACKER = "203.0.113.90"
PHONE = "203.0.113.20"


def attackers(run: Runner, path: str) -> list[dict[str, object]]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    result: list[dict[str, object]] = json.loads(out)["attackers"]
    return result


@pytest.mark.parametrize(
    "success",
    [
        # 2.3
        f"Nov 28 09:00:30 mx dovecot: imap-login: proxy(alice): started proxying to 192.0.2.200:143: user=<alice>, method=PLAIN, rip={ATTACKER}, lip=198.51.100.1, TLS, session=<bbbbbbbbbbbbbbbb>",
        # 2.4
        f"Nov 28 09:00:30 mx dovecot: imap-login: proxy(alice): Started proxying to <192.0.2.200>: user=<alice>, method=PLAIN, rip={ATTACKER}, lip=198.51.100.1, TLS, session=<bbbbbbbbbbbbbbbb>",
        # a site's order: login_log_format_elements = rip=%r lip=%l mpid=%e %c session=<%{session}> method=%m user=<%u>
        f"Nov 28 09:00:30 mx dovecot: imap-login: Info: Login: rip={ATTACKER}, lip=198.51.100.1, mpid=7647, secured, session=<bbbbbbbbbbbbbbbb>, method=PLAIN, user=<alice>",
    ],
)
def test_a_guessed_password_is_a_break_in(
    run: Runner, log_file: Callable[[str], str], success: str
) -> None:
    path = log_file(
        f"Nov 28 09:00:01 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 5 attempts in 20 secs): user=<alice>, method=PLAIN, rip={ATTACKER}, lip=198.51.100.1, TLS, session=<aaaaaaaaaaaaaaaa>\n"
        + success
        + "\n"
    )
    code, out, err = run("analyze", "--year", "2026", path)
    assert code == 0, err
    assert out.startswith(f"Someone got in: alice was logged into from {ATTACKER}"), out
    (attacker,) = attackers(run, path)
    assert attacker["verdict"] == "compromised" and attacker["succeeded_as"] == ["alice"]


@pytest.mark.parametrize(
    ("login", "failure"),
    [
        (
            f"Nov 28 08:00:00 mx dovecot: imap-login: proxy(bob): started proxying to 192.0.2.200:143: user=<bob>, method=PLAIN, rip={PHONE}, lip=198.51.100.1, TLS, session=<aaaaaaaaaaaaaaaa>",
            f"Nov 28 08:{{m:02d}}:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip={PHONE}, lip=198.51.100.1, TLS, session=<s0000000000000{{m:02d}}>",
        ),
        (
            f"Nov 28 08:00:00 mx dovecot: imap-login: Login: rip={PHONE}, lip=198.51.100.1, user=<bob>, method=PLAIN, mpid=100, TLS, session=<aaaaaaaaaaaaaaaa>",
            f"Nov 28 08:{{m:02d}}:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): rip={PHONE}, lip=198.51.100.1, user=<bob>, method=PLAIN, TLS, session=<s0000000000000{{m:02d}}>",
        ),
    ],
)
def test_a_phone_with_an_old_password_is_not_an_attacker(
    run: Runner, log_file: Callable[[str], str], login: str, failure: str
) -> None:
    lines = [login] + [failure.format(m=m) for m in range(5, 60, 5)]
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("analyze", "--year", "2026", path)
    assert code == 0, err
    assert out.startswith("No attack found"), out
    assert f"{PHONE} failed to log in as bob 11 times, an account it had logged in as" in " ".join(
        out.split()
    )
    (client,) = attackers(run, path)
    assert client["verdict"] == "stale_password" and client["recommendation"] != "ban"


# Real Dovecot 2.3.19 with auth_debug = yes: one attempt with a name that repeats "): ".
DEBUG_LINES = """\
2026-11-30 08:50:28.841213 auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,203.0.113.5,<FPIogHphLul/AAAB>): Performing passdb lookup
2026-11-30 08:50:28.841282 auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,203.0.113.5,<FPIogHphLul/AAAB>): lookup: user=x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch file=/tmp/rev-dovecot/dc/users
2026-11-30 08:50:28.841301 auth: Info: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,203.0.113.5,<FPIogHphLul/AAAB>): unknown user
2026-11-30 08:50:28.841313 auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,203.0.113.5,<FPIogHphLul/AAAB>): Finished passdb lookup
2026-11-30 08:50:28.841323 auth: Debug: auth(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,203.0.113.5,<FPIogHphLul/AAAB>): Auth request finished
"""


def test_debug_lines_are_no_failed_logins(run: Runner, log_file: Callable[[str], str]) -> None:
    path = log_file(DEBUG_LINES)
    code, out, err = run("analyze", "--format", "json", path)
    assert code == 0, err
    result = json.loads(out)
    # The Info line only: one attempt (its address cannot be told from the line).
    assert result["stats"]["unattributed_failures"] == 1
    assert result["notes"] == ["1 failed logins named no client address"]
