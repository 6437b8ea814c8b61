"""A mail program whose password is wrong may try it again by each mechanism it knows
(CRAM-MD5, then PLAIN, then LOGIN) in one connection: one wrong password, three failed
AUTH commands. Counted as three guesses, that is fast brute force at once (3 within a
minute) and a ban of the user's own address; it is one. A bot is counted as before."""

from __future__ import annotations

from detect_factory import MINUTE, Log

from mailwarden.detect import Detector, analyze

USER = "frank@example.com"
PHONE = "198.51.100.81"
BOT = "203.0.113.66"


def fallback(log: Log, t: float, ip: str, user: str | None = USER) -> None:
    pid = log.next_pid()
    log.connect(t, ip, pid)
    for n, mechanism in enumerate(("CRAM-MD5", "PLAIN", "LOGIN")):
        log.sasl_failure(
            t + 1 + n, ip, user, pid, mechanism=mechanism, reason="authentication failure"
        )
    log.disconnect(t + 5, ip, pid, failed=3)


def bans(log: Log) -> set[str]:
    detector = Detector(keep_history=False)
    return {d.ip for e in log.events for d in detector.feed(e) if d.recommendation == "ban"}


def test_one_wrong_password_tried_by_three_mechanisms_is_one_failure() -> None:
    log = Log()
    fallback(log, 0, PHONE)
    log.queued_login(2 * MINUTE, PHONE, USER)  # the password corrected
    assert bans(log) == set()
    analysis = analyze(log.events)
    assert analysis.attackers == () or all(a.ip != PHONE for a in analysis.attackers)
    assert not analysis.compromised


def test_three_wrong_passwords_by_three_mechanisms_each_are_three() -> None:
    # The user types a wrong password three times within the minute: three guesses,
    # whatever the mechanisms (fast brute force, as for anyone).
    log = Log()
    for n in range(3):
        fallback(log, n * 15, PHONE)
    assert bans(log) == {PHONE}


def test_a_bot_alternating_mechanisms_is_counted_from_its_second_round() -> None:
    log = Log()
    pid = log.next_pid()
    log.connect(0, BOT, pid)
    for n in range(6):  # PLAIN, LOGIN, PLAIN, LOGIN, …: 5 of 6 counted
        log.sasl_failure(
            1 + n,
            BOT,
            USER,
            pid,
            mechanism=("PLAIN", "LOGIN")[n % 2],
            reason="authentication failure",
        )
    log.disconnect(8, BOT, pid, failed=6)
    assert bans(log) == {BOT}
    (attacker,) = analyze(log.events).attackers
    assert attacker.failures == 5


def test_a_bot_trying_name_after_name_by_two_mechanisms_gains_two_tries_at_most() -> None:
    log = Log()
    pid = log.next_pid()
    log.connect(0, BOT, pid)
    for n in range(10):  # user0 by PLAIN, then by LOGIN, user1 by PLAIN, …
        log.sasl_failure(
            1 + n,
            BOT,
            f"user{n // 2}@example.com",
            pid,
            mechanism=("PLAIN", "LOGIN")[n % 2],
            reason="authentication failure",
        )
    log.disconnect(12, BOT, pid, failed=10)
    (attacker,) = analyze(log.events).attackers
    assert attacker.failures == 8


def test_without_the_name_in_the_log_each_mechanism_is_a_guess() -> None:
    # Postfix before 3.9 logs no sasl_username: the three may be three accounts.
    log = Log()
    fallback(log, 0, BOT, user=None)
    assert bans(log) == {BOT}
