# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A possible break-in (analyze's Maybe: a login right after others guessed the account)
is said by explain as analyze says it, whatever the order of the lines: an input that
goes back in time (a login first, the failures it came after later: ``cat mail.log
mail.log.1``, two hosts' logs joined) is read again in time order by explain too, as
analyze reads it, and explain's verdict is that reading's, in English and Chinese. It
says no less than analyze (no "nobody got in" beside analyze's Maybe), and no more (no
"Yes" where analyze asks the owner)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]
LOGIN_IP = "198.51.100.7"  # logs in as bob
GUESSER = "203.0.113.9"  # a fast burst on bob


def login(time: str = "10:02:00") -> str:
    return f"Nov 29 {time} mx dovecot: imap-login: Login: user=<bob@example.org>, method=PLAIN, rip={LOGIN_IP}, lip=192.0.2.1, mpid=4000, TLS, session=<L1>\n"


def fail(time: str, user: str, ip: str, session: str) -> str:
    return f"Nov 29 {time} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<{session}>\n"


def burst(minute: int, user: str = "bob@example.org", ip: str = GUESSER, hour: int = 10) -> str:
    """Ten failures three seconds apart from ``hour``:``minute``."""
    return "".join(
        fail(f"{hour:02d}:{minute:02d}:{3 * n:02d}", user, ip, f"{ip[-2:]}{minute}{n}")
        for n in range(10)
    )


# The owner of bob logged in from elsewhere early in the morning.
OWNER = "Nov 29 06:30:00 mx dovecot: imap-login: Login: user=<bob@example.org>, method=PLAIN, rip=192.0.2.50, lip=192.0.2.1, mpid=3000, TLS, session=<L0>\n"
# A phone set up with the misspelt name bbo@example.org, failing every 20 minutes.
MISSPELT = "".join(
    fail(f"{6 + 20 * n // 60:02d}:{20 * n % 60:02d}:00", "bbo@example.org", LOGIN_IP, f"x{n}")
    for n in range(5)
)
# Someone else's guessing early in the morning, at another account.
EARLY = burst(0, "carol@example.org", "203.0.113.77", hour=6)

CASES = {
    # The login first in the excerpt, the failures it followed after it.
    "login_first": login() + OWNER + burst(0),
    # The misspelt name's slow failures mixed with the burst on the account.
    "misspelt_and_burst": login() + MISSPELT + burst(0),
    # Others' burst given after the login, and another burst after it in time too.
    "burst_after_login": login() + EARLY + burst(0) + burst(5),
}


def flat(text: str) -> str:
    return " ".join(text.split())


def _compromised(run: Runner, path: str) -> list[tuple[str, bool]]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2, 3), err
    report = json.loads(out)
    return [(c["ip"], c["by_others"]) for c in report["compromised"]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_analyzes_maybe_is_explains_maybe(run: Runner, log_file: LogFile, case: str) -> None:
    path = log_file(CASES[case])
    assert _compromised(run, path) == [(LOGIN_IP, True)]  # analyze's Maybe
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert verdict.startswith("Is someone trying to break into your mail accounts? Maybe. "), (
        verdict[:400]
    )
    assert "Ask the owner" in verdict or "ask the owner" in verdict
    assert f"• {LOGIN_IP}" in verdict
    assert "It logged in then." in verdict or "made no failed login itself" in verdict
    for wrong in ("nobody got in", "Most likely not", "YES: it got in", "Yes, and"):
        assert wrong not in verdict, wrong
    assert "goes back in time" in err and "read again as its 2 time-ordered parts" in err, err
    code, zh, _err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert code == 0
    zh = "".join(zh.split()).split("结论", 1)[1]
    assert zh.startswith("====是否有人在试图破解你的邮箱账户？可能。"), zh[:200]
    assert "没有人成功登录" not in zh and "很可能没有" not in zh


def test_the_misspelt_name_is_told_with_the_maybe(run: Runner, log_file: LogFile) -> None:
    """analyze reports the misspelt user name besides the Maybe; so does explain."""
    path = log_file(CASES["misspelt_and_burst"])
    _code, out, _err = run("analyze", "--year", "2026", "--format", "json", path)
    kinds = [f["kind"] for f in json.loads(out)["findings"]]
    assert "misspelt_username" in kinds
    code, out, _err = run("explain", "--year", "2026", path)
    assert code == 0
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert "bbo@example.org" in verdict and "Maybe." in verdict


# Entries that go back a minute at most (a log's own jitter): analyze counts them in the
# order given, unsaid; so does explain, whose verdict is analyze's. Minutes back (two
# logs joined): both read them again in time order, and say so.
OWNER_IP = "198.51.100.20"


def own_failures(minute: int) -> str:
    """Six failed logins as alice, a minute apart from 10:``minute``."""
    return "".join(
        fail(f"10:{minute + n:02d}:00", "alice@example.org", OWNER_IP, f"f{n}") for n in range(6)
    )


def jittered_failures(minute: int) -> str:
    """Six failed logins as alice, ten seconds apart from 10:``minute``:05."""
    return "".join(
        fail(f"10:{minute:02d}:{5 + 10 * n:02d}", "alice@example.org", OWNER_IP, f"f{n}")
        for n in range(6)
    )


ALICE = f"Nov 29 10:02:00 mx dovecot: imap-login: Login: user=<alice@example.org>, method=PLAIN, rip={OWNER_IP}, lip=192.0.2.1, mpid=5000, TLS, session=<A1>\n"
EARLIER_FAILURES = "".join(
    fail(f"09:{54 + n}:00", "alice@example.org", OWNER_IP, f"f{n}") for n in range(6)
)
NO = "Is someone trying to break into your mail accounts? Most likely not."
YES = "Is someone trying to break into your mail accounts? Yes, and at least one attacker got in."


@pytest.mark.parametrize(
    ("text", "got_in", "said"),
    [
        # The login given first, its address's failures up to 55 s earlier after it:
        # read as given, a phone with an old password (no break-in).
        (ALICE + jittered_failures(1), False, False),
        # The failures given first, the login up to 55 s before them after: read as
        # given, a break-in.
        (jittered_failures(2) + ALICE, True, False),
        # The same minutes apart: read again in time order, the other way round.
        (ALICE + EARLIER_FAILURES, True, True),
        (own_failures(5) + ALICE, False, True),
    ],
)
def test_a_login_and_failures_a_little_apart_in_either_order(
    run: Runner, log_file: LogFile, text: str, got_in: bool, said: bool
) -> None:
    """analyze's verdict is explain's, both reading the lines as given (jitter) or in
    time order (minutes back, said)."""
    path = log_file(text)
    assert _compromised(run, path) == ([(OWNER_IP, False)] if got_in else [])
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0
    assert ("read again and put in time order" in err) is said, err
    if not said:
        assert err == ""
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert verdict.startswith(YES if got_in else NO), verdict[:300]
    if got_in:
        assert "Change the password of “alice@example.org” now" in verdict
        code, zh, _err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
        assert "是的，而且至少有一个攻击者已经登录进去了。" in "".join(zh.split())
    else:
        assert "Maybe" not in verdict and "Ask the owner" not in verdict


def test_a_login_given_before_failures_an_hour_earlier_is_a_break_in(
    run: Runner, log_file: LogFile
) -> None:
    """``cat mail.log mail.log.1`` when mail.log is under 3 hours old: a login at 10:00,
    then six failures of its address as that account at 09:00-09:05. analyze and explain
    read it again in time order, say so, and find the break-in they find in time order."""
    login = ALICE.replace("10:02:00", "10:00:00")
    failures = "".join(
        fail(f"09:0{n}:00", "alice@example.org", OWNER_IP, f"f{n}") for n in range(6)
    )
    for text in (failures + login, login + failures):
        path = log_file(text)
        assert _compromised(run, path) == [(OWNER_IP, False)], text
        code, out, err = run("explain", "--year", "2026", path)
        assert code == 0
        verdict = flat(out).split("Verdict ======= ", 1)[1]
        assert verdict.startswith(
            "Is someone trying to break into your mail accounts? Yes, and at least one"
            " attacker got in."
        ), verdict[:300]
        said = "line 2 goes back in time" in err
        assert said == (text.startswith(login)), err
        if said:
            assert "read again as its 2 time-ordered parts merged by time" in flat(out)
