"""Owners' addresses: a device with an old password is never banned, but an owner's
address is no free pass for guessing that account (``stale_max_failures``); the logins
the daemon keeps in its store seed a new detector, and the detector tells of each
owner's login (never an intruder's)."""

from __future__ import annotations

from detect_factory import DAY, HOUR, MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector, Verdict, analyze

OFFICE = "198.51.100.10"


def phone(log: Log, start: float, count: int, user: str = "alice@example.com") -> None:
    for n in range(count):
        log.dovecot_failure(start + n * 30, OFFICE, user)


CAP = PolicyConfig(stale_max_failures=200)
"""A lower cap than the default (1000), for a quicker test."""


def test_the_default_cap_allows_a_phone_polling_two_protocols_every_five_minutes() -> None:
    # IMAP and the outbox, every 5 minutes, a day long: 576 failures, a phone's.
    log = Log()
    log.dovecot_login(0, OFFICE, "alice@example.com")
    for n in range(288):
        log.dovecot_failure(HOUR + n * 300, OFFICE, "alice@example.com")
        log.sasl_failure(HOUR + n * 300 + 60, OFFICE, "alice@example.com")
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and attacker.recommendation != "ban"
    assert attacker.verdict is Verdict.STALE_PASSWORD


def test_more_failures_than_a_device_makes_on_the_owners_account_are_guessing() -> None:
    log = Log()
    log.dovecot_login(0, OFFICE, "alice@example.com")
    phone(log, HOUR, 200)
    analysis = analyze(log.events, CAP)
    attacker = analysis.attacker(OFFICE)
    assert attacker is not None and attacker.recommendation != "ban"
    assert attacker.verdict is Verdict.STALE_PASSWORD

    phone(log, 3 * HOUR, 1)
    analysis = analyze(log.events, CAP)
    attacker = analysis.attacker(OFFICE)
    assert attacker is not None
    assert attacker.verdict is Verdict.SLOW_BRUTEFORCE and attacker.recommendation == "ban"
    assert attacker.reasons[0] == (
        "201 failed logins with alice@example.com within 1d, an account logged in as from "
        "this address: more than the 200 a device with an old password is allowed "
        "(stale_max_failures)"
    )
    assert analysis.findings_of("stale_password") == []  # no longer "update the phone"


def test_the_daemons_detector_bans_at_the_cap_it_is_given() -> None:
    log = Log()
    log.dovecot_login(0, OFFICE, "alice@example.com")
    phone(log, HOUR, 6)
    detector = Detector(PolicyConfig(stale_max_failures=5), keep_history=False)
    found = [(e, d) for e in log.events for d in detector.feed(e)]
    assert [(log.events.index(e), d.verdict, d.recommendation) for e, d in found] == [
        (6, Verdict.SLOW_BRUTEFORCE, "ban")
    ]


def test_a_device_under_the_cap_every_day_is_never_banned() -> None:
    # 150 a day for three days, on two people's accounts behind one office address.
    log = Log()
    log.dovecot_login(0, OFFICE, "alice@example.com")
    log.dovecot_login(MINUTE, OFFICE, "bob@example.com")
    for day in range(3):
        phone(log, day * DAY + HOUR, 150)
        phone(log, day * DAY + 5 * HOUR, 150, "bob@example.com")
    analysis = analyze(log.events)
    assert all(a.recommendation != "ban" for a in analysis.attackers)


def test_a_login_recalled_from_the_store_makes_failures_a_stale_device() -> None:
    # The daemon stores an IPv6 owner's /64 and seeds a new detector with its first
    # address: another address of the /64 is the owner, and so is one of another /64
    # of the same /48 (a carrier's new /64 for a phone that re-attached).
    log = Log()
    for n, ip in enumerate(["2001:db8:77:1::5b", "2001:db8:77:9::1"]):
        for k in range(6):
            log.dovecot_failure(HOUR + n * HOUR + k * MINUTE, ip, "bob@example.com")
    detector = Detector(keep_history=True)
    yesterday = log.start.timestamp() - DAY
    detector.remember_success("2001:db8:77:1::", "Bob@example.com", yesterday)
    detector.feed_all(log.events)
    analysis = detector.result()
    assert all(a.recommendation != "ban" for a in analysis.attackers)
    assert {f.subject for f in analysis.findings_of("stale_password")} == {
        "2001:db8:77:1::5b",
        "2001:db8:77:9::1",
    }


def test_the_detector_tells_of_owners_logins_and_not_of_an_intruders() -> None:
    log = Log()
    log.dovecot_login(0, OFFICE, "alice@example.com")
    log.dovecot_login(10 * MINUTE, OFFICE, "alice@example.com")
    for n in range(5):
        log.dovecot_failure(HOUR + n, "203.0.113.9", "bob@example.com")
    log.dovecot_login(HOUR + 10, "203.0.113.9", "bob@example.com")  # a break-in
    detector = Detector(keep_history=False)
    told: list[tuple[str, str, float, float | None]] = []
    detector.on_owner = lambda *login: told.append(login)
    detector.feed_all(log.events)
    start = log.start.timestamp()
    assert told == [
        (OFFICE, "alice@example.com", start, None),
        (OFFICE, "alice@example.com", start + 10 * MINUTE, start),
    ]
    assert str(detector.owner_network(OFFICE)) == f"{OFFICE}/32"
    assert str(detector.owner_network("2001:db8:77:1::5b")) == "2001:db8:77:1::/64"
