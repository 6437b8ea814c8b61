"""Colleagues behind one office address (a NAT): each mistyping once is no attack, before
or after their logins; a program trying names or repeating one still is."""

from __future__ import annotations

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Detector, Verdict, analyze

OFFICE = "198.51.100.20"
PEOPLE = [f"{name}@example.com" for name in ("alice", "bob", "carol", "dave", "erin")]


def daemon_verdicts(log: Log) -> list[tuple[int, Verdict]]:
    detector = Detector(keep_history=False)
    return [
        (log.events.index(event), found.verdict)
        for event in log.events
        for found in detector.feed(event)
    ]


def test_three_colleagues_mistyping_within_a_minute_are_not_banned_nor_broken_into() -> None:
    log = Log()
    for n, user in enumerate(PEOPLE[:3]):
        log.sasl_failure(n * 20, OFFICE, user)
    assert daemon_verdicts(log) == []  # the address is not banned before the logins
    for n, user in enumerate(PEOPLE[:3]):
        log.dovecot_login(MINUTE + n * 10, OFFICE, user)
    analysis = analyze(log.events)
    assert not analysis.compromised and not analysis.attackers


def test_colleagues_mistyping_through_the_day_make_no_enumeration() -> None:
    # Five people, each a typo then their login, two hours apart: no "5 distinct
    # usernames", no "logged in after 4 failed logins from this client".
    log = Log()
    for n, user in enumerate(PEOPLE):
        log.sasl_failure(n * 2 * HOUR, OFFICE, user)
        log.dovecot_login(n * 2 * HOUR + 30, OFFICE, user)
    assert daemon_verdicts(log) == []
    analysis = analyze(log.events)
    assert not analysis.compromised and not analysis.attackers


def test_the_names_a_program_tries_after_the_owners_typos_are_counted_alone() -> None:
    log = Log()
    for n, user in enumerate(PEOPLE[:3]):
        log.sasl_failure(n * HOUR, OFFICE, user)
        log.dovecot_login(n * HOUR + 30, OFFICE, user)
    for n, user in enumerate(["admin", "info", "test", "sales"]):
        log.sasl_failure(5 * HOUR + n * 5 * MINUTE, OFFICE, user)
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and attacker.verdict is Verdict.ENUMERATION
    assert attacker.failures == 4
    assert set(attacker.users) == {"admin", "info", "test", "sales"}
    assert "4 distinct usernames within 1d" in attacker.reasons


def test_names_tried_faster_than_people_type_are_a_program() -> None:
    log = Log()
    for n, user in enumerate(PEOPLE[:3]):
        log.sasl_failure(n * 2, OFFICE, user)
    assert daemon_verdicts(log) == [(2, Verdict.BRUTEFORCE)]


def test_a_fourth_name_within_the_minute_is_banned_at_once() -> None:
    log = Log()
    for n, user in enumerate(PEOPLE[:4]):
        log.sasl_failure(n * 15, OFFICE, user)
    assert daemon_verdicts(log) == [(3, Verdict.BRUTEFORCE)]
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and Verdict.ENUMERATION in attacker.verdicts


def test_a_name_tried_twice_within_the_minute_is_brute_force() -> None:
    log = Log()
    log.sasl_failure(0, OFFICE, PEOPLE[0])
    log.sasl_failure(20, OFFICE, PEOPLE[0])
    log.sasl_failure(40, OFFICE, PEOPLE[1])
    assert daemon_verdicts(log) == [(2, Verdict.BRUTEFORCE)]


def test_logins_after_three_tries_in_all_are_asked_of_the_owners_not_certain() -> None:
    # alice mistypes twice, bob once, within a minute (banned: three within 1m); their
    # logins after it are the least certain compromises: "Maybe", ask the owner.
    log = Log()
    log.sasl_failure(0, OFFICE, PEOPLE[0])
    log.sasl_failure(20, OFFICE, PEOPLE[0])
    log.sasl_failure(40, OFFICE, PEOPLE[1])
    log.dovecot_login(50, OFFICE, PEOPLE[0])
    log.dovecot_login(55, OFFICE, PEOPLE[1])
    analysis = analyze(log.events)
    assert [(c.user, c.by_others) for c in analysis.compromised] == [
        (PEOPLE[0], True),
        (PEOPLE[1], True),
    ]
    assert "Ask the account's owner first" in analysis.compromised[0].advice[0]


def test_a_login_after_four_guesses_on_several_names_stays_certain() -> None:
    log = Log()
    for n, user in enumerate(["admin", "info", PEOPLE[0], PEOPLE[0]]):
        log.sasl_failure(n * 15, OFFICE, user)
    log.dovecot_login(70, OFFICE, PEOPLE[0])
    analysis = analyze(log.events)
    assert [(c.user, c.by_others) for c in analysis.compromised] == [(PEOPLE[0], False)]


def test_names_one_connection_tried_are_a_program_at_its_end() -> None:
    # One smtpd connection, three names 7 s apart: no colleagues share a connection. Its
    # lines are known to be one connection's when its statistics count them all (a
    # connect line may not be in the log), so the ban comes with its disconnect line.
    log = Log()
    log.connect(0, OFFICE, 1300)
    for n, user in enumerate(PEOPLE[:3]):
        log.sasl_failure(2 + 7 * n, OFFICE, user, pid=1300)
    log.disconnect(18, OFFICE, 1300, failed=3)
    assert daemon_verdicts(log) == [(4, Verdict.BRUTEFORCE)]


def test_a_program_that_tried_two_names_in_one_connection_is_no_colleagues_in_the_next() -> None:
    # Two names in one connection, the third in the next one: the next is the same
    # program's (three names within the minute).
    log = Log()
    log.connect(0, OFFICE, 1300)
    log.sasl_failure(2, OFFICE, PEOPLE[0], pid=1300)
    log.sasl_failure(9, OFFICE, PEOPLE[1], pid=1300)
    log.disconnect(10, OFFICE, 1300, failed=2)
    log.sasl_failure(16, OFFICE, PEOPLE[2])
    assert daemon_verdicts(log) == [(4, Verdict.BRUTEFORCE)]


def test_names_of_lines_the_statistics_do_not_all_count_may_be_colleagues() -> None:
    # One smtpd process served the colleagues one after another; the disconnect lines
    # of the first two are not in the log: its last one counts one AUTH command, not
    # the three the session's lines showed.
    log = Log()
    for n, user in enumerate(PEOPLE[:3]):
        log.sasl_failure(2 + 7 * n, OFFICE, user, pid=1300)
    log.disconnect(18, OFFICE, 1300, failed=1)
    assert daemon_verdicts(log) == []
