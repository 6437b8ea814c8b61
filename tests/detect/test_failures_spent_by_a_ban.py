"""The failures that made a ban are spent on it (as fail2ban forgets them): once the ban
has run out (``ban_time``, 1h), one more failure does not ban the address again, as a
slow brute force of "4 within 2h" counting the old ones did; new failures up to a
threshold do. The analysis, which reports attackers rather than bans, counts them all."""

from __future__ import annotations

from detect_factory import HOUR, Log

from mailwarden.detect import Detector, Verdict, analyze

OFFICE = "198.51.100.20"


def _bans(log: Log) -> list[tuple[int, Verdict]]:
    detector = Detector(keep_history=False)
    return [
        (log.events.index(event), found.verdict)
        for event in log.events
        for found in detector.feed(event)
        if found.recommendation == "ban"
    ]


def test_one_typo_after_a_ban_ran_out_bans_no_more() -> None:
    log = Log()
    for n in range(3):
        log.sasl_failure(n * 5, OFFICE, "alice@example.com")
    log.sasl_failure(HOUR + 60, OFFICE, "alice@example.com")
    assert _bans(log) == [(2, Verdict.BRUTEFORCE)]
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and attacker.failures == 4
    assert Verdict.SLOW_BRUTEFORCE not in attacker.verdicts  # as before: fast first


def test_new_failures_past_a_threshold_after_it_ban_again() -> None:
    log = Log()
    for n in range(3):
        log.sasl_failure(n * 5, OFFICE, "alice@example.com")
    for n in range(3):
        log.sasl_failure(HOUR + 60 + n * 5, OFFICE, "alice@example.com")
    assert _bans(log) == [(2, Verdict.BRUTEFORCE), (5, Verdict.BRUTEFORCE)]


def test_a_slow_ban_needs_as_many_new_failures_after_it() -> None:
    # one guess each half hour: banned at the 4th (4 within 2h); once that ran out, the
    # 5th is no ban (three of the four within 2h before it were spent), the 8th is.
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 1800 + (1800 if n >= 4 else 0), OFFICE, "bob@example.com")
    assert _bans(log) == [(3, Verdict.SLOW_BRUTEFORCE), (7, Verdict.SLOW_BRUTEFORCE)]
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and attacker.failures == 8


def test_a_fourth_name_after_a_ban_ran_out_is_no_enumeration_alone() -> None:
    log = Log()
    for n, user in enumerate(["admin", "info", "root"]):
        log.sasl_failure(n, OFFICE, user)
    log.sasl_failure(2 * HOUR, OFFICE, "sales")
    assert _bans(log) == [(2, Verdict.BRUTEFORCE)]
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and Verdict.ENUMERATION in attacker.verdicts
