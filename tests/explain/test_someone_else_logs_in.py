# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`explain` and `analyze` tell the same story of a slow brute force on another account
name (tom@example.com, or tom without the domain), then a login as bob@example.com from
the same address: analyze reports nobody got in and bans the guesser (a login as an
account nobody was guessing is someone else behind the address:
``Detector._shared_address``); explain no longer says it got in. A guesser that tried
the account itself (``bob``, then bob@example.com) still got in, in both. (A misspelt
name, bbo for bob, is the owner's device: tests/detect/test_misspelt_username_device.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]
IP = "198.51.100.88"
OPTIONS = ("--year", "2026", "--timezone", "UTC")
GOT_IN = ("got in", "YES", "guessed the password", "Change the password")


def failures(name: str, n: int = 10) -> list[str]:
    """``n`` failed logins as ``name``, 25 minutes apart from 08:00: a slow brute force."""
    lines = []
    for i in range(n):
        hour, minute = divmod(i * 25, 60)
        lines.append(
            f"Mar 10 {8 + hour:02d}:{minute:02d}:02 mx postfix/submission/smtpd[{2000 + i}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}"
        )
    return lines


# Twenty minutes after the last failure (11:45:02).
LOGIN = f"Mar 10 12:05:00 mx dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=100, TLS, session=<a1>"


def flat(text: str) -> str:
    return " ".join(text.split())


def analyzed(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *OPTIONS, path)
    assert code in (0, 1, 2, 3), err
    report: dict[str, Any] = json.loads(out)
    return report


def verdict_of(run: Runner, path: str) -> str:
    code, out, err = run("explain", *OPTIONS, path)
    assert code == 0, err
    return flat(out).split("Verdict ======= ", 1)[1]


def guesser(report: dict[str, Any]) -> dict[str, Any]:
    attackers = {a["ip"]: a for a in report["attackers"]}
    assert list(attackers) == [IP], attackers
    return attackers[IP]


@pytest.mark.parametrize("name", ["tom@example.com", "tom"])
@pytest.mark.parametrize("given_first", [False, True], ids=["in-order", "login-given-first"])
def test_a_login_as_an_account_another_name_missed_is_no_break_in(
    run: Runner, log_file: LogFile, name: str, given_first: bool
) -> None:
    """``given_first``: the login's line comes first (``cat mail.log mail.log.1``), its
    time stamp after the failures: analyze reads it in time order, and explain judges
    it by the time stamps, as in time order."""
    lines = [LOGIN, *failures(name)] if given_first else [*failures(name), LOGIN]
    path = log_file("\n".join(lines) + "\n")
    report = analyzed(run, path)
    attacker = guesser(report)
    assert report["compromised"] == []
    assert attacker["recommendation"] == "ban"
    assert attacker["failures"] == 10

    verdict = verdict_of(run, path)
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes. Someone is trying to "
        "guess passwords; no guess worked, as far as these lines show."
    ), verdict
    assert (
        f"• {IP} tried to log in as “{name}”: {attacker['failures']} failed attempts. "
        "Someone else logged in from its address, as another account."
    ) in verdict
    assert (
        "A login as “bob@example.com” came from its address (Mar 10 12:05:00) after its "
        "failed logins, but as an account it did not try: mailwarden's detector takes it "
        "for someone else behind the same address"
    ) in verdict
    for wrong in GOT_IN:
        assert wrong not in verdict, wrong
    assert f"Block {IP} in the firewall" in verdict  # analyze bans it


def test_the_chinese_verdict_says_the_same(run: Runner, log_file: LogFile) -> None:
    path = log_file("\n".join([*failures("tom@example.com"), LOGIN]) + "\n")
    code, out, err = run("explain", "--lang", "zh_CN", *OPTIONS, path)
    assert code == 0, err
    dense = "".join(out.split())
    assert "从这些日志看，没有猜中" in dense
    assert "另有他人从它的地址以另一个账户登录。" in dense
    assert "它已登录成功" not in dense


def test_a_guesser_of_the_account_itself_still_got_in(run: Runner, log_file: LogFile) -> None:
    """The contrast: ``bob`` is bob@example.com (the same account without its domain):
    analyze reports the login as the break-in, explain says it got in. And beside it
    the other name's login, told as someone else's, by the same two commands."""
    path = log_file("\n".join([*failures("bob"), LOGIN]) + "\n")
    report = analyzed(run, path)
    assert [(c["user"], c["ip"]) for c in report["compromised"]] == [("bob@example.com", IP)]
    verdict = verdict_of(run, path)
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes, and at least one attacker got in."
    ), verdict
    assert "YES: it got in as “bob@example.com”. That was after 10 failed attempts" in verdict

    path = log_file("\n".join([*failures("tom@example.com"), LOGIN]) + "\n")
    assert analyzed(run, path)["compromised"] == []
    assert "YES: it got in" not in verdict_of(run, path)
