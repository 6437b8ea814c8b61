"""A login from a client banned for tries on several names faster than people type, or
in one connection, is a compromise, in the daemon and the analysis alike: the detector
judged those tries a program's when it banned the client, and the login is the guess
that worked. A few tries on the account alone, colleagues' typos at a person's pace
(each in a connection of their own), two names within seconds (a phone's old password
and a colleague's typo behind one NAT), or tries that earned no ban (a probe's name)
stay a "Maybe" to ask the owner about."""

from __future__ import annotations

from detect_factory import Log

from mailwarden.detect import Detector, Verdict, analyze

BOT = "2001:db8:a1::1"


def _judged(log: Log) -> tuple[list[bool], list[bool]]:
    """(``by_others`` of the daemon's compromise detections, of the analysis's)."""
    detector = Detector(keep_history=False)
    found = [f for event in log.events for f in detector.feed(event)]
    daemon = [bool(f.data["by_others"]) for f in found if f.verdict is Verdict.COMPROMISED]
    return daemon, [c.by_others for c in analyze(log.events).compromised]


def _banned(log: Log) -> bool:
    detector = Detector(keep_history=False)
    return any(
        f.verdict is Verdict.BRUTEFORCE for event in log.events for f in detector.feed(event)
    )


def test_three_names_within_a_second_then_a_login_is_a_compromise() -> None:
    log = Log()
    for n, user in enumerate(["info", "admin", "root"]):
        log.sasl_failure(n * 0.3, BOT, user)
    assert _banned(log)
    log.dovecot_login(1, BOT, "info")
    assert _judged(log) == ([False], [False])
    (found,) = analyze(log.events).compromised
    assert not any("Ask the account's owner" in line for line in found.advice)


def test_a_name_retried_beside_another_within_seconds_is_still_a_maybe() -> None:
    # Two names within seconds are what a phone with an old password (IMAP and SMTP
    # failing together) and a colleague's typo behind one NAT make too: only three names
    # or more that fast are a program's.
    log = Log()
    for n, user in enumerate(["info", "info", "sales"]):
        log.sasl_failure(n, BOT, user)
    log.dovecot_login(3, BOT, "info")
    assert _judged(log) == ([True], [True])


def test_a_phone_and_a_colleague_behind_one_nat_then_a_login_is_a_maybe() -> None:
    nat = "198.51.100.20"
    log = Log()
    log.sasl_failure(0, nat, "alice@example.com")  # the phone's IMAP, old password
    log.sasl_failure(0.4, nat, "alice@example.com")  # and its SMTP
    log.sasl_failure(6, nat, "bob@example.com")  # bob mistypes
    log.dovecot_login(30, nat, "bob@example.com")
    assert _judged(log) == ([True], [True])
    (found,) = analyze(log.events).compromised
    assert any("Ask the account's owner" in line for line in found.advice)


def test_three_names_with_one_retried_within_seconds_is_a_compromise() -> None:
    log = Log()
    for n, user in enumerate(["info", "info", "sales", "admin"]):
        log.sasl_failure(n, BOT, user)
    log.dovecot_login(4, BOT, "info")
    assert _judged(log) == ([False], [False])


def test_the_account_alone_failing_three_times_then_its_login_is_still_a_maybe() -> None:
    log = Log()
    for n in range(3):
        log.sasl_failure(n * 0.3, BOT, "info")
    assert _banned(log)
    log.dovecot_login(1, BOT, "info")
    assert _judged(log) == ([True], [True])


def test_colleagues_typos_at_a_persons_pace_are_still_a_maybe() -> None:
    # alice twice, bob once, 20 s apart: banned (a name retried within the minute), but
    # at a person's pace: their logins are to be checked with the owners.
    log = Log()
    for t, user in [(0, "alice@example.com"), (20, "alice@example.com"), (40, "bob@example.com")]:
        log.sasl_failure(t, "198.51.100.20", user)
    assert _banned(log)
    log.dovecot_login(50, "198.51.100.20", "alice@example.com")
    assert _judged(log) == ([True], [True])


def test_a_probe_name_and_the_account_with_no_ban_are_still_a_maybe() -> None:
    log = Log()
    log.sasl_failure(0, BOT, "admin")
    log.sasl_failure(0.5, BOT, "info")
    assert not _banned(log)
    log.dovecot_login(1, BOT, "info")
    assert _judged(log) == ([True], [True])


def test_three_names_in_one_connection_at_a_persons_pace_then_a_login_is_a_compromise() -> None:
    # 7 s apart, as people type, but in one smtpd connection: no colleagues share one,
    # it is a program's guessing, and the login the guess that worked.
    log = Log()
    log.connect(0, BOT, 1300)
    for n, user in enumerate(["info", "admin", "sales"]):
        log.sasl_failure(2 + 7 * n, BOT, user, pid=1300)
    log.disconnect(18, BOT, 1300, failed=3)
    assert _banned(log)
    log.dovecot_login(30, BOT, "sales")
    assert _judged(log) == ([False], [False])


def test_the_same_names_each_in_its_own_connection_then_a_login_are_a_maybe() -> None:
    # Colleagues behind one NAT, each mistyping once in a connection of their own
    # (spread over a minute and more: no ban), then one of them logs in.
    log = Log()
    for n, user in enumerate(["info", "admin", "sales"]):
        log.connect(7 * n, BOT, 1300)
        log.sasl_failure(2 + 7 * n, BOT, user, pid=1300)
        log.disconnect(3 + 7 * n, BOT, 1300, failed=1)
    assert not _banned(log)
    log.dovecot_login(30, BOT, "sales")
    assert _judged(log) == ([True], [True])
