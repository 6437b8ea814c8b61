# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A login between failed logins of its address, which goes on failing as that account
for an hour after it, is a phone with an old password as much as a guess that worked: a
bot that guessed a password does not keep failing with it. It stays reported, marked
doubtful: explain says "Maybe"/"MAYBE" and why, asks the owner first (update the device,
or change the password), advises no ban of the address; analyze marks its compromised
entry (``doubt: "failures_after_login"``) and its text says the doubt. A bot's tries in
flight on parallel connections, failing seconds after its success, and a program going
on guessing fast after it, leave the login a sure break-in.

And explain does not say "nobody got in" when a targeted account logged in, in the same
excerpt, from an address that made no guess (outside ``compromise_window``, no break-in
for the detector): it names that login for the owner to confirm."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]
PHONE = "198.51.100.20"
BOT = "203.0.113.50"
START = datetime(2026, 11, 29, 8, 0, 0)

SHAPES = {
    "2.2": "imap-login: Disconnected (auth failed, 1 attempts in 0 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<{sid}>",
    "2.3": "imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<{sid}>",
}


def _line(moment: datetime, text: str) -> tuple[datetime, str]:
    return moment, f"{moment:%b %d %H:%M:%S} mx dovecot: {text}\n"


def fail(
    moment: datetime, user: str, ip: str, sid: str, shape: str = "2.2"
) -> tuple[datetime, str]:
    return _line(moment, SHAPES[shape].format(user=user, ip=ip, sid=sid))


def login(moment: datetime, user: str, ip: str) -> tuple[datetime, str]:
    return _line(
        moment,
        f"imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid=4000, TLS, session=<L{moment:%H%M%S}>",
    )


def log(lines: list[tuple[datetime, str]]) -> str:
    return "".join(text for _, text in sorted(lines))


def phone(shape: str = "2.2") -> str:
    """24 failures as grace, one every 5 minutes from 08:00; a login at 08:52, with 11
    failures before it and 13 after it (the last at 09:55: 63 minutes later)."""
    lines = [
        fail(START + timedelta(minutes=5 * n), "grace@example.com", PHONE, f"S{n}", shape)
        for n in range(24)
    ]
    lines.append(login(datetime(2026, 11, 29, 8, 52), "grace@example.com", PHONE))
    return log(lines)


def in_flight() -> str:
    """A bot's 20 fast guesses, its login, and 5 tries in flight failing seconds after."""
    at = datetime(2026, 11, 29, 10, 0, 0)
    lines = [
        fail(at + timedelta(seconds=2 * n), "ivy@example.com", BOT, f"B{n}") for n in range(20)
    ]
    lines.append(login(at + timedelta(seconds=41), "ivy@example.com", BOT))
    lines += [
        fail(at + timedelta(seconds=42 + n), "ivy@example.com", BOT, f"C{n}") for n in range(5)
    ]
    return log(lines)


def guessing_on() -> str:
    """A bot's 20 fast guesses, its login, and 300 more fast guesses over 10 minutes as
    the same account: a program's list going on, not a device's polling."""
    at = datetime(2026, 11, 29, 10, 0, 0)
    lines = [
        fail(at + timedelta(seconds=2 * n), "ivy@example.com", BOT, f"B{n}") for n in range(20)
    ]
    lines.append(login(at + timedelta(seconds=41), "ivy@example.com", BOT))
    lines += [
        fail(at + timedelta(seconds=42 + 2 * n), "ivy@example.com", BOT, f"C{n}")
        for n in range(300)
    ]
    return log(lines)


def flat(text: str) -> str:
    return " ".join(text.split())


def explain(run: Runner, path: str, *args: str) -> str:
    code, out, err = run("explain", "--year", "2026", *args, path)
    assert code == 0, err
    return flat(out)


def analyze_json(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2, 3), err
    return json.loads(out)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_phone_failing_after_its_login_is_a_maybe(
    run: Runner, log_file: LogFile, shape: str
) -> None:
    out = explain(run, log_file(phone(shape)))
    verdict = out.split("Verdict ======= ", 1)[1]
    assert verdict.startswith("Is someone trying to break into your mail accounts? Maybe. "), (
        verdict[:300]
    )
    assert "YES: it got in" not in out
    assert "it guessed the password" not in out
    assert (
        "MAYBE: it logged in as “grace@example.com”. That was after 11 failed attempts. But "
        "this address kept failing as “grace@example.com” for 13 more tries over 63 minutes "
        "after logging in, as a phone or mail program with an old password does" in out
    )
    assert "whether a device of theirs (a phone, a mail program) logs in from 198.51.100.20" in out
    assert (
        "If it is theirs: update the password saved on it. If it is not: change the password now"
        in out
    )
    assert f"mailwarden ban {PHONE}" not in out


def test_phone_maybe_in_chinese(run: Runner, log_file: LogFile) -> None:
    out = "".join(explain(run, log_file(phone()), "--lang", "zh_CN").split())  # wrapped anywhere
    assert "可能：它以“grace@example.com”的身份登录了。" in out
    assert "63分钟内又13次尝试" in out
    assert "是的：它以" not in out
    assert f"mailwarden ban {PHONE}" not in out


def test_phone_analyze_marks_the_doubt(run: Runner, log_file: LogFile) -> None:
    path = log_file(phone())
    report = analyze_json(run, path)
    [compromise] = report["compromised"]
    assert compromise["user"] == "grace@example.com" and compromise["ip"] == PHONE
    assert compromise["failures_before"] == 11  # still reported, as before
    assert compromise["doubt"] == "failures_after_login"
    assert compromise["failures_after"] == 13
    assert compromise["last_failure_after"].startswith("2026-11-29T09:55:00")
    assert not any("Ban the address" in step for step in compromise["advice"])
    [attacker] = report["attackers"]
    assert attacker["verdict"] == "compromised" and attacker["unsure"] is True
    assert attacker["recommendation"] == "watch"
    _code, out, _err = run("analyze", "--year", "2026", path)
    text = flat(out)
    assert text.startswith("Maybe someone got in: grace@example.com"), text[:200]
    assert (
        "Maybe not a break-in: this address kept failing as the account after the login "
        "(13 more failed logins over 63 minutes)" in text
    )


@pytest.mark.parametrize("case", ["in_flight", "guessing_on"])
def test_a_bots_failures_after_its_success_leave_it_sure(
    run: Runner, log_file: LogFile, case: str
) -> None:
    path = log_file(in_flight() if case == "in_flight" else guessing_on())
    out = explain(run, path)
    assert "Yes, and at least one attacker got in." in out
    assert (
        "YES: it got in as “ivy@example.com”. That was after 20 failed attempts: it guessed the password."
        in out
    )
    assert f"mailwarden ban {BOT}" in out
    assert "MAYBE" not in out
    report = analyze_json(run, path)
    [compromise] = report["compromised"]
    assert compromise["doubt"] is None and compromise["by_others"] is False
    assert report["attackers"][0]["recommendation"] == "ban"


def hank() -> str:
    """Ten addresses fail 3 times each as hank at 01:00-01:09; hank logs in at 09:15
    from an address that made no guess (beyond compromise_window: no break-in)."""
    lines = [
        fail(
            datetime(2026, 11, 29, 1, a, 10 + 5 * k),
            "hank@example.com",
            f"203.0.113.{10 + a}",
            f"H{a}{k}",
        )
        for a in range(10)
        for k in range(3)
    ]
    lines.append(login(datetime(2026, 11, 29, 9, 15), "hank@example.com", "198.51.100.200"))
    return log(lines)


def test_a_targeted_accounts_later_login_is_named(run: Runner, log_file: LogFile) -> None:
    path = log_file(hank())
    assert analyze_json(run, path)["compromised"] == []  # the detector's judgement stands
    out = explain(run, path)
    verdict = out.split("Verdict ======= ", 1)[1]
    assert "nobody got in" not in verdict
    assert (
        "“hank@example.com” logged in at Nov 29 09:15:00 from 198.51.100.200, which made no "
        "guess: confirm with the owner that this was them." in verdict
    )
    zh = "".join(explain(run, path, "--lang", "zh_CN").split())
    assert "“hank@example.com”于11月29日09:15:00从198.51.100.200登录，该地址没有任何猜测" in zh


# -- a guessing program that fails a little after its success is no phone ---------------

IVY = "ivy@example.com"
TEN = datetime(2026, 11, 29, 10, 0, 0)


def aborted(moment: datetime, user: str, ip: str, attempts: int, secs: int) -> tuple[datetime, str]:
    """One connection's line that reports several attempts (Dovecot 2.3)."""
    return _line(
        moment,
        f"imap-login: Login aborted: Logged out (auth failed, {attempts} attempts in {secs} secs) (auth_failed): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<A{moment:%H%M%S}>",
    )


def before(paced: bool) -> tuple[list[tuple[datetime, str]], datetime]:
    """The failures before the login and the login's time: 200 guesses one every 2 s
    (a program's list), or 11 one every 5 minutes as the phone's (a device's pace)."""
    if paced:
        lines = [fail(TEN + timedelta(minutes=5 * n), IVY, BOT, f"B{n}") for n in range(11)]
        return lines, TEN + timedelta(minutes=52)
    lines = [fail(TEN + timedelta(seconds=2 * n), IVY, BOT, f"B{n}") for n in range(200)]
    return lines, TEN + timedelta(seconds=401)


def sure_case(case: str) -> str:
    paced = case.endswith("_paced")
    lines, at = before(paced)
    lines.append(login(at, IVY, BOT))
    shape = case.removesuffix("_paced")
    if shape == "evade":  # two failures at +3 and +6 minutes
        lines += [fail(at + timedelta(minutes=m, seconds=1), IVY, BOT, f"E{m}") for m in (3, 6)]
    elif shape == "one_line":  # one connection's line counting 2 attempts, +6 minutes
        lines.append(aborted(at + timedelta(minutes=6, seconds=1), IVY, BOT, 2, 360))
    elif shape == "flight":  # 5 tries in flight seconds after the login, one at +6 minutes
        lines += [fail(at + timedelta(seconds=1 + n), IVY, BOT, f"C{n}") for n in range(5)]
        lines.append(fail(at + timedelta(minutes=6, seconds=1), IVY, BOT, "D"))
    else:  # poll: logs in every 5 minutes for 30, the password reset, fails every 5
        lines += [login(at + timedelta(minutes=5 * n), IVY, BOT) for n in range(1, 7)]
        lines += [fail(at + timedelta(minutes=35 + 5 * n), IVY, BOT, f"P{n}") for n in range(12)]
    return log(lines)


@pytest.mark.parametrize(
    "case",
    ["evade", "one_line", "flight", "poll", "one_line_paced", "flight_paced", "poll_paced"],
)
def test_a_login_after_guessing_stays_sure_whatever_fails_after(
    run: Runner, log_file: LogFile, case: str
) -> None:
    """A program's fast guessing before its login makes it no device, whatever fails
    after (evade, one_line, flight, poll); and after a device's pace of failures, one
    line's attempts count once (one_line_paced), tries in flight not at all
    (flight_paced), and logins again before the failures are an intruder's program
    polling until the password was changed (poll_paced)."""
    path = log_file(sure_case(case))
    report = analyze_json(run, path)
    [compromise] = report["compromised"]
    assert compromise["user"] == IVY and compromise["doubt"] is None
    assert compromise["failures_after"] == 0
    [attacker] = report["attackers"]
    assert attacker["recommendation"] == "ban" and attacker["unsure"] is False
    out = explain(run, path)
    assert "YES: it got in as “ivy@example.com”." in out
    assert "MAYBE" not in out and "Maybe." not in out
    assert f"mailwarden ban {BOT}" in out


def test_own_guessing_bans_beside_anothers_brute_force(run: Runner, log_file: LogFile) -> None:
    """mix.log: another address's brute force on 30 names beside the cheap evasion: the
    break-in's address is banned for its own guessing, not watched."""
    lines, at = before(False)
    lines.append(login(at, IVY, BOT))
    lines += [fail(at + timedelta(minutes=m, seconds=1), IVY, BOT, f"E{m}") for m in (3, 6)]
    lines += [
        fail(
            datetime(2026, 11, 29, 9, 0, 0) + timedelta(seconds=k),
            f"u{k % 30}@example.com",
            "198.51.100.7",
            f"X{k}",
        )
        for k in range(300)
    ]
    path = log_file(log(lines))
    report = analyze_json(run, path)
    recommendations = {a["ip"]: a["recommendation"] for a in report["attackers"]}
    assert recommendations == {BOT: "ban", "198.51.100.7": "ban"}
    assert report["compromised"][0]["doubt"] is None
    _code, out, _err = run("analyze", "--year", "2026", path)
    assert not flat(out).startswith("Maybe"), flat(out)[:200]


# -- explain's "confirm with the owner": not an office's logins, not a name tried twice --

OFFICE = "198.51.100.10"


def office_day(tries: int, shared: bool) -> str:
    """203.0.113.66 fails ``tries`` times on each of 30 accounts at 09:00; from 11:00
    each logs in once, all from the office's one address (``shared``) or each from an
    address of its own."""
    lines = [
        fail(
            datetime(2026, 11, 29, 9, n, 2 * k), f"user{n}@example.com", "203.0.113.66", f"G{n}{k}"
        )
        for n in range(30)
        for k in range(tries)
    ]
    lines += [
        login(
            datetime(2026, 11, 29, 11, n, 0),
            f"user{n}@example.com",
            OFFICE if shared else f"198.51.100.{100 + n}",
        )
        for n in range(30)
    ]
    return log(lines)


@pytest.mark.parametrize(
    ("tries", "shared"), [(3, True), (5, True), (2, False)], ids=["day2", "office", "few"]
)
def test_no_confirm_sentence_for_an_office_or_a_name_tried_twice(
    run: Runner, log_file: LogFile, tries: int, shared: bool
) -> None:
    out = explain(run, log_file(office_day(tries, shared)))
    verdict = out.split("Verdict ======= ", 1)[1]
    assert "which made no guess" not in verdict
    assert "confirm with their owners" not in verdict
    assert "and 27 more" not in verdict


def smtp_fail(moment: datetime, user: str, ip: str) -> tuple[datetime, str]:
    return (
        moment,
        f"{moment:%b %d %H:%M:%S} mx postfix/submission/smtpd[5001]: warning: unknown[{ip}]: "
        f"SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}\n",
    )


def slow_guessing() -> str:
    """200 guesses as ivy, one every 61 seconds (no brute-force verdict a device does
    not earn), a login, and 2 failures at +3 and +6 minutes: too many failures before
    the login for a device's old password (DOUBT_BEFORE_MAX)."""
    at = datetime(2026, 11, 29, 0, 0, 0)
    lines = [
        fail(at + timedelta(seconds=61 * n), "ivy@example.com", BOT, f"B{n}") for n in range(200)
    ]
    done = at + timedelta(seconds=61 * 200)
    lines.append(login(done, "ivy@example.com", BOT))
    lines += [fail(done + timedelta(minutes=m), "ivy@example.com", BOT, f"E{m}") for m in (3, 6)]
    return log(lines)


def two_forms(smtp_after_only: bool) -> str:
    """A phone failing every 5 minutes over IMAP as grace@example.com and over SMTP
    as grace (one account); its IMAP is fixed at 08:52:30 and both go on failing. Or
    its IMAP alone failed before, and after that login only its SMTP (set up apart)
    fails, as grace."""
    lines = []
    for k in range(24):
        if k < 11 or not smtp_after_only:
            lines.append(
                fail(START + timedelta(minutes=5 * k), "grace@example.com", PHONE, f"S{k}")
            )
        if k >= 11 or not smtp_after_only:
            lines.append(smtp_fail(START + timedelta(minutes=5 * k + 2), "grace", PHONE))
    lines.append(login(datetime(2026, 11, 29, 8, 52, 30), "grace@example.com", PHONE))
    return log(lines)


def test_slow_guessing_then_failures_after_is_a_sure_break_in(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(slow_guessing())
    report = analyze_json(run, path)
    [compromise] = report["compromised"]
    assert compromise["user"] == "ivy@example.com" and compromise["doubt"] is None
    assert report["attackers"][0]["recommendation"] == "ban"
    out = explain(run, path)
    assert "MAYBE" not in out
    assert f"mailwarden ban {BOT}" in out


@pytest.mark.parametrize("smtp_after_only", [False, True])
def test_a_device_failing_under_two_forms_of_the_account_is_a_maybe(
    run: Runner, log_file: LogFile, smtp_after_only: bool
) -> None:
    path = log_file(two_forms(smtp_after_only))
    report = analyze_json(run, path)
    [compromise] = report["compromised"]
    assert compromise["user"] == "grace@example.com" and compromise["ip"] == PHONE
    assert compromise["doubt"] == "failures_after_login"
    assert compromise["failures_after"] == (13 if smtp_after_only else 26)
    [attacker] = report["attackers"]
    assert attacker["unsure"] is True and attacker["recommendation"] == "watch"
    out = explain(run, path)
    assert "YES: it got in" not in out
    assert "MAYBE: it logged in as “grace@example.com”." in out
    assert f"mailwarden ban {PHONE}" not in out
