"""An attacker's first and last seen are its hostile acts: its guesses (and a break-in),
not an owner's login from the same address (an office's NAT, a shared host)."""

from __future__ import annotations

from detect_factory import HOUR, T0, Log

from mailwarden.detect import Verdict, analyze


def test_a_colleagues_login_after_the_guessing_moves_no_last_seen() -> None:
    log = Log()
    for n in range(5):  # a quick brute force on admin@, then nothing more from it
        log.sasl_failure(n, "203.0.113.60", "admin@example.com")
    log.dovecot_login(5 * HOUR, "203.0.113.60", "alice@example.com")  # someone else there
    analysis = analyze(log.events)
    assert analysis.compromised == ()
    attacker = analysis.attacker("203.0.113.60")
    assert attacker is not None and attacker.verdict is Verdict.BRUTEFORCE
    assert attacker.succeeded_as == ("alice@example.com",)
    assert attacker.first_seen == T0
    assert attacker.last_seen == log.events[4].record.time  # the last guess, not 5 h later
    assert attacker.to_json()["last_seen"] == log.events[4].record.time.isoformat()


def test_an_owners_login_before_the_guessing_moves_no_first_seen() -> None:
    log = Log()
    log.dovecot_login(0, "203.0.113.61", "alice@example.com")
    for n in range(5):
        log.sasl_failure(HOUR + n, "203.0.113.61", "admin@example.com")
    attacker = analyze(log.events).attacker("203.0.113.61")
    assert attacker is not None
    assert attacker.first_seen == log.events[1].record.time


def test_a_break_in_and_the_intruders_later_logins_are_its_last_seen() -> None:
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 7, "203.0.113.62", "sales@example.com")
    log.queued_login(60, "203.0.113.62", "sales@example.com")  # in: a compromise
    analysis = analyze(log.events)
    attacker = analysis.attacker("203.0.113.62")
    assert attacker is not None and attacker.verdict is Verdict.COMPROMISED
    assert attacker.last_seen == log.events[-1].record.time
    log.queued_login(3 * HOUR, "203.0.113.62", "sales@example.com")  # still using it
    attacker = analyze(log.events).attacker("203.0.113.62")
    assert attacker is not None and attacker.last_seen == log.events[-1].record.time
