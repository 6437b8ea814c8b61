# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Two names tried in one connection make a mail program's guessing only when they are
two people's, and only for the guessing they were part of. A review found an office
NAT's owner mistyping her own name in one connection (``alcie``, then ``alice``: the
typo rule forgives both when she logs in) turn the README's "Maybe someone got in"
(carol and bob each failing, then logging in) hours or a week later into a certain
break-in; and one person trying two forms of her name in one connection (a renamed
domain, a typo, her long form) banned the office with a colleague's typo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner, analyze_json

IP = "198.51.100.20"
SMTPD = "mx postfix/submission/smtpd"


def smtpd_failure(at: str, pid: int, user: str) -> str:
    return f"Nov {at} {SMTPD}[{pid}]: warning: unknown[{IP}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username={user}"


def login(at: str, user: str, n: int) -> str:
    return f"Nov {at} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid={4200 + n}, TLS, session=<AAAAAAAAAAAAAA{n:02d}>"


def one_connection(day: int, hour: str, first: str, second: str) -> list[str]:
    """smtpd 1300 fails on ``first`` then ``second`` and disconnects (auth=0/2)."""
    at = f"{day} {hour}"
    return [
        f"Nov {at}:00 {SMTPD}[1300]: connect from unknown[{IP}]",
        smtpd_failure(f"{at}:02", 1300, first),
        smtpd_failure(f"{at}:09", 1300, second),
        f"Nov {at}:10 {SMTPD}[1300]: disconnect from unknown[{IP}] ehlo=1 auth=0/2 quit=1 commands=2/4",
    ]


def typos_then_colleagues(day: int, second: str = "alice@example.com") -> list[str]:
    """Alice mistypes her name in one connection on Nov ``day`` at 09:00 and logs in;
    on Nov 28 at 14:00 carol fails twice and bob once, each in a connection of their
    own, and both log in (the README's "Maybe" example)."""
    return [
        *one_connection(day, "09:00", "alcie@example.com", second),
        login(f"{day} 09:00:30", "alice@example.com", 1),
        smtpd_failure("28 14:00:00", 1400, "carol@example.com"),
        smtpd_failure("28 14:00:20", 1401, "carol@example.com"),
        smtpd_failure("28 14:00:40", 1402, "bob@example.com"),
        login("28 14:00:50", "carol@example.com", 5),
        login("28 14:00:55", "bob@example.com", 6),
    ]


def compromised(report: dict[str, Any]) -> dict[str, bool]:
    """The logins reported, each with whether it is only a "Maybe" (by_others)."""
    return {c["user"]: c["by_others"] for c in report["compromised"]}


@pytest.mark.parametrize(
    ("day", "second"),
    [
        (28, "alice@example.com"),
        (21, "alice@example.com"),
        (28, "alicee@example.com"),
    ],
    ids=["five-hours-later", "a-week-later", "two-typos-five-hours-later"],
)
def test_a_forgiven_typo_in_one_connection_leaves_later_logins_a_maybe(
    run: Runner, log_file: Callable[[str], str], day: int, second: str
) -> None:
    report = analyze_json(run, log_file, typos_then_colleagues(day, second))
    # Ask the owners; not "Someone got in" for certain.
    assert compromised(report) == {"carol@example.com": True, "bob@example.com": True}


def test_colleagues_just_after_a_forgiven_typo_in_one_connection_are_no_attack(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # alcie and alicee are each a typo of alice, not of each other: two names in one
    # connection, both forgiven when alice logs in. Colleagues then each mistype once
    # in a connection of their own within the minute: no brute force, no break-in.
    lines = [
        *one_connection(28, "14:00", "alcie@example.com", "alicee@example.com"),
        login("28 14:00:12", "alice@example.com", 1),
        smtpd_failure("28 14:00:20", 1400, "carol@example.com"),
        smtpd_failure("28 14:00:40", 1402, "bob@example.com"),
        smtpd_failure("28 14:00:55", 1403, "dave@example.com"),
        login("28 14:01:00", "carol@example.com", 5),
        login("28 14:01:05", "bob@example.com", 6),
        login("28 14:01:09", "dave@example.com", 7),
    ]
    report = analyze_json(run, log_file, lines)
    assert report["attackers"] == []
    assert report["compromised"] == []


ONE_PERSON = [
    ("alice@example.org", "alice@example.com"),
    ("alcie@example.com", "alice@example.com"),
    ("alice@example.com", "alice.smith@example.com"),
]
ONE_PERSON_IDS = ["renamed-domain", "typo", "long-form"]


def one_person_and_a_colleague(first: str, second: str) -> list[str]:
    """One person tries two forms of her name in one connection; bob fails once in his
    own connection 20 s later."""
    return [
        *one_connection(28, "10:00", first, second),
        f"Nov 28 10:00:30 {SMTPD}[1301]: connect from unknown[{IP}]",
        smtpd_failure("28 10:00:31", 1301, "bob@example.com"),
        f"Nov 28 10:00:32 {SMTPD}[1301]: disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]


@pytest.mark.parametrize(("first", "second"), ONE_PERSON, ids=ONE_PERSON_IDS)
def test_two_forms_of_one_name_in_one_connection_ban_no_office(
    run: Runner, log_file: Callable[[str], str], first: str, second: str
) -> None:
    report = analyze_json(run, log_file, one_person_and_a_colleague(first, second))
    assert report["stats"]["failures_counted"] == 3
    assert report["attackers"] == []


@pytest.mark.parametrize(("first", "second"), ONE_PERSON, ids=ONE_PERSON_IDS)
def test_logins_after_two_forms_of_one_name_are_no_break_in(
    run: Runner, log_file: Callable[[str], str], first: str, second: str
) -> None:
    lines = [
        *one_person_and_a_colleague(first, second),
        login("28 10:00:45", second, 5),
        login("28 10:00:50", "bob@example.com", 6),
    ]
    report = analyze_json(run, log_file, lines)
    assert report["attackers"] == []
    assert report["compromised"] == []


def test_one_name_at_two_domains_in_one_dovecot_session_bans_no_office(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [
        f"Nov 28 10:00:02 mx dovecot: auth: passwd-file(alice@example.org,{IP},<AAAAAAAAAAAAAAA1>): Password mismatch",
        f"Nov 28 10:00:09 mx dovecot: auth: passwd-file(alice@example.com,{IP},<AAAAAAAAAAAAAAA1>): Password mismatch",
        f"Nov 28 10:00:10 mx dovecot: imap-login: Disconnected (auth failed, 2 attempts in 9 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<AAAAAAAAAAAAAAA1>",
        f"Nov 28 10:00:31 mx dovecot: auth: passwd-file(bob@example.com,{IP},<AAAAAAAAAAAAAAA2>): Password mismatch",
        f"Nov 28 10:00:32 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<AAAAAAAAAAAAAAA2>",
    ]
    report = analyze_json(run, log_file, lines)
    assert report["stats"]["failures_counted"] == 3
    assert report["attackers"] == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("alice@example.com", "bob@example.com"),
        ("alice@example.com", "alicia@example.com"),
        ("admin@example.com", "administrator@example.com"),
    ],
    ids=["two-people", "two-names-alike", "a-longer-word"],
)
def test_two_people_s_names_in_one_connection_are_still_a_program_s(
    run: Runner, log_file: Callable[[str], str], first: str, second: str
) -> None:
    report = analyze_json(run, log_file, one_person_and_a_colleague(first, second))
    [found] = report["attackers"]
    assert (found["ip"], found["verdict"], found["recommendation"]) == (
        IP,
        "bruteforce",
        "ban",
    )
