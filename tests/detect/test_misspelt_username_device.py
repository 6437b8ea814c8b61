# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A device set up with a misspelt user name (bbo@example.com, or bbo, for
bob@example.com) fails slowly on a timer, then its owner fixes the name and logs in as
bob@example.com from the same address: analyze reports no attack and no ban, a finding
under "Not attacks" says to fix the user name on that device, and explain tells the
same (not "someone else logged in"). An address that tries several names, or a name
that is no misspelling of the account (or bob itself: the account guessed), or a real
account's name, or a name other addresses try too, is still guessing.

And the burst before a login is the account's under both its names: ten fast failures
as ``bob`` from one address, then a login as bob@example.com from another, is a Maybe,
as the same failures as bob@example.com are; unless the bare name may be another
domain's bob (one logs in too)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]
DEVICE = "198.51.100.88"
OTHER = "203.0.113.9"
GUESSER = "203.0.113.5"
ELSEWHERE = "198.51.100.20"
OPTIONS = ("--year", "2026", "--timezone", "UTC")


def slow_failures(names: list[str], ip: str = DEVICE, n: int = 10) -> list[str]:
    """``n`` failed logins from ``ip``, 25 minutes apart from 08:00, as ``names`` in turn."""
    lines = []
    for i in range(n):
        hour, minute = divmod(i * 25, 60)
        name = names[i % len(names)]
        lines.append(
            f"Mar 10 {8 + hour:02d}:{minute:02d}:{2 + len(ip) % 7:02d} mx postfix/submission/smtpd[{2000 + i + len(ip) * 50}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}"
        )
    return lines


def login(ip: str, user: str = "bob@example.com", at: str = "12:05:00", n: int = 1) -> str:
    return f"Mar 10 {at} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid={100 + n}, TLS, session=<a{n}>"


def analyzed(run: Runner, path: str, *extra: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *OPTIONS, *extra, path)
    assert code in (0, 1, 2, 3), err
    report: dict[str, Any] = json.loads(out)
    return report


def text_report(run: Runner, path: str, *extra: str) -> str:
    code, out, err = run("analyze", *OPTIONS, *extra, path)
    assert code in (0, 1, 2, 3), err
    return " ".join(out.split())


def verdict_of(run: Runner, path: str) -> str:
    code, out, err = run("explain", *OPTIONS, path)
    assert code == 0, err
    return " ".join(out.split()).split("Verdict ======= ", 1)[1]


def findings(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == kind]


@pytest.mark.parametrize("name", ["bbo@example.com", "bbo"])
@pytest.mark.parametrize("given_first", [False, True], ids=["in-order", "login-given-first"])
def test_a_device_with_a_misspelt_user_name_is_no_attack(
    run: Runner, log_file: LogFile, name: str, given_first: bool
) -> None:
    lines = slow_failures([name])
    lines = [login(DEVICE), *lines] if given_first else [*lines, login(DEVICE)]
    path = log_file("\n".join(lines) + "\n")
    report = analyzed(run, path)
    assert report["attackers"] == [] and report["compromised"] == []
    [finding] = findings(report, "misspelt_username")
    assert finding["subject"] == DEVICE
    assert finding["data"]["users"] == [name]
    assert finding["data"]["account"] == "bob@example.com"
    assert finding["data"]["failures"] == 10
    assert finding["data"]["recommendation"].startswith("none")
    assert "fix the user name" in finding["data"]["advice"]

    text = text_report(run, path)
    assert text.startswith("No attack found"), text
    assert (
        f"{DEVICE} failed to log in as {name} 10 times, a misspelling of bob@example.com, "
        "which then logged in from there: a phone or mail client set up with a misspelt "
        "user name. Fix the user name on that device."
    ) in text
    assert "ban it" not in text

    verdict = verdict_of(run, path)
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Most likely not."
    ), verdict
    assert (
        f"Every failure was as “{name}”, a misspelling of “bob@example.com”: most likely "
        "the owner's phone or mail program set up with a misspelt user name"
    ) in verdict
    assert f"Fix the user name on the device at {DEVICE} that logs in as “{name}”" in verdict
    for wrong in ("Someone else logged in", "someone else behind", f"Block {DEVICE}", "got in"):
        assert wrong not in verdict, wrong


def test_with_a_list_of_accounts_that_lacks_the_misspelt_name(
    run: Runner, log_file: LogFile, tmp_path: Any
) -> None:
    """``--users`` lists bob@example.com only: bbo is no account (a probe's name), and
    still the owner's device once bob logs in."""
    users = tmp_path / "users.txt"
    users.write_text("bob@example.com\n", encoding="utf-8")
    path = log_file("\n".join([*slow_failures(["bbo@example.com"]), login(DEVICE)]) + "\n")
    report = analyzed(run, path, "--users", str(users))
    assert report["attackers"] == []
    assert [f["subject"] for f in findings(report, "misspelt_username")] == [DEVICE]

    # bbo@example.com a real account of the list: a guess on it, then bob's login.
    users.write_text("bob@example.com\nbbo@example.com\n", encoding="utf-8")
    report = analyzed(run, path, "--users", str(users))
    assert [(a["ip"], a["recommendation"]) for a in report["attackers"]] == [(DEVICE, "ban")]
    assert findings(report, "misspelt_username") == []


@pytest.mark.parametrize(
    "case",
    ["several names", "not a misspelling", "the account itself", "tried elsewhere too"],
)
def test_guessing_is_still_guessing(run: Runner, log_file: LogFile, case: str) -> None:
    """The device's case first (the contrast, which was a ban), then the attack beside
    it: each is judged as before."""
    path = log_file("\n".join([*slow_failures(["bbo@example.com"]), login(DEVICE)]) + "\n")
    assert analyzed(run, path)["attackers"] == []

    lines = {
        "several names": slow_failures(["bbo@example.com", "alice@example.com", "carol"]),
        "not a misspelling": slow_failures(["tom@example.com"]),
        "the account itself": slow_failures(["bob"]),
        "tried elsewhere too": slow_failures(["bbo@example.com"])
        + slow_failures(["bbo@example.com"], ip=OTHER),
    }[case]
    path = log_file("\n".join([*lines, login(DEVICE)]) + "\n")
    report = analyzed(run, path)
    assert findings(report, "misspelt_username") == []
    attackers = {a["ip"]: a for a in report["attackers"]}
    assert attackers[DEVICE]["recommendation"] == "ban"
    verdict = verdict_of(run, path)
    assert "misspelling" not in verdict
    assert verdict.startswith("Is someone trying to break into your mail accounts? Yes"), verdict
    if case == "the account itself":  # bob is bob@example.com: the guess worked
        assert [(c["user"], c["ip"]) for c in report["compromised"]] == [
            ("bob@example.com", DEVICE)
        ]
        assert "YES: it got in as “bob@example.com”" in verdict


def fast_failures(name: str) -> list[str]:
    """Ten failed logins as ``name`` from GUESSER within half a minute: a brute force."""
    return [
        f"Mar 10 08:00:{i * 3:02d} mx postfix/submission/smtpd[{3000 + i}]: warning: unknown[{GUESSER}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}"
        for i in range(10)
    ]


def test_a_burst_on_the_bare_name_before_a_login_elsewhere_is_a_maybe(
    run: Runner, log_file: LogFile
) -> None:
    """As the same burst on bob@example.com is (each name, the bare one first)."""
    for name in ("bob", "bob@example.com"):
        lines = [*fast_failures(name), login(ELSEWHERE, at="08:01:30")]
        path = log_file("\n".join(lines) + "\n")
        report = analyzed(run, path)
        [compromise] = report["compromised"]
        assert (compromise["user"], compromise["ip"]) == ("bob@example.com", ELSEWHERE)
        assert compromise["by_others"] is True and compromise["failures_before"] == 10
        assert (
            f"10 failed logins on this account from other clients within 1h (from {GUESSER})"
            in compromise["reason"]
        )
        text = text_report(run, path)
        assert text.startswith(
            f"Maybe someone got in: bob@example.com was logged into from {ELSEWHERE}"
        ), text

        verdict = verdict_of(run, path)
        assert verdict.startswith(
            "Is someone trying to break into your mail accounts? Maybe. An account was "
            "logged into from one address right after another address's failed logins"
        ), verdict
        assert (
            f"• {ELSEWHERE} made no failed login itself: it logged in as “bob@example.com” "
            f"after 10 failed logins on that account from {GUESSER}." in verdict
        )
        assert "YES: it got in" not in verdict

        # Another domain's bob logs in too: the bare name may be his, no burst on this one.
        lines = [login("192.0.2.50", "bob@other.example", "07:00:00", 2), *lines]
        path = log_file("\n".join(lines) + "\n")
        report = analyzed(run, path)
        expected = [("bob@example.com", ELSEWHERE)] if "@" in name else []
        assert [(c["user"], c["ip"]) for c in report["compromised"]] == expected, name
