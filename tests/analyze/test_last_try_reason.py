# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot's login line words a connection by its LAST try: the tries before it count.

``client_get_extra_disconnect_reason`` picks the line's text by the connection's last
failure code and counts every try: three wrong passwords and then ``AUTHENTICATE XFOO``
read ``Disconnected (tried to use unsupported auth mechanism, 4 attempts in 10 secs)``.
Taken as one weak failure, a bot that ended each connection so guessed unseen.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner

IP = "203.0.113.9"


def closing(n: int, reason: str, attempts: int, method: str = "XFOO") -> str:
    return (
        f"Nov 28 10:{n:02d}:41 mx dovecot: imap-login: Disconnected ({reason}, {attempts} attempts in 10 secs): "
        f"user=<bob@example.org>, method={method}, rip={IP}, lip=192.0.2.1, TLS, session=<Sess{n:02d}abcdefghij>"
    )


def attacker(run: Runner, path: str) -> dict[str, object] | None:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    found = [a for a in json.loads(out)["attackers"] if a["ip"] == IP]
    return found[0] if found else None


@pytest.mark.parametrize(
    "reason",
    ["tried to use unsupported auth mechanism", "user disabled", "password expired"],
)
def test_tries_before_a_weak_last_try_are_failed_logins(
    run: Runner, log_file: Callable[[str], str], reason: str
) -> None:
    log = log_file("\n".join(closing(n, reason, 4) for n in range(3)) + "\n")
    found = attacker(run, log)
    assert found is not None  # old code: no attack found at all
    assert found["failures"] == 9
    assert found["recommendation"] == "ban"


def test_one_weak_try_alone_is_still_no_guess(run: Runner, log_file: Callable[[str], str]) -> None:
    log = log_file(
        "\n".join(closing(n, "tried to use unsupported auth mechanism", 1) for n in range(5)) + "\n"
    )
    assert attacker(run, log) is None


def test_explain_says_the_reason_is_the_last_try_s(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    log = log_file(closing(1, "tried to use unsupported auth mechanism", 4) + "\n")
    code, out, err = run("explain", "--year", "2026", log)
    assert code == 0, err
    text = " ".join(out.split())
    assert "with the reason of its last try (tried to use unsupported auth mechanism)" in text
    assert "the 3 tries before it failed too" in text
    code, out, err = run("explain", "--lang", "zh_CN", "--year", "2026", log)
    assert code == 0, err
    assert "在它之前还有 3 次尝试，同样失败了" in "".join(out.split("\n"))
