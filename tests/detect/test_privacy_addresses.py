"""A phone on IPv6 privacy addresses (RFC 8981) with an old password: its address within
its /64 changes every few hours, so each address fails a time or two, fewer than make a
device at one address. Where its owner logs in from that /64 (or from another /64 of its
/48), the failures are one device with an old password, "Not attacks"; an attacker
walking the addresses of a /64 nobody logs in from is still a network to ban."""

from __future__ import annotations

from detect_factory import DAY, HOUR, MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector, Verdict, analyze
from mailwarden.detect.analysis import Analysis

BOB = "bob@example.org"
HOME = "2001:db8:5:7::"
"""bob's home /64: his laptop and his phone."""
STALE = "none (stale password of a real user)"


def phone(
    log: Log, prefix: str, start: float = HOUR, count: int = 12, every: float = 2 * HOUR
) -> int:
    """The phone with the old password: a new privacy address every ``every``, one or two
    failures from each (IMAP, and its SMTP now and then). Returns the failures."""
    failures = 0
    for n in range(count):
        ip = f"{prefix}{0xA1 + n * 0x11:x}"
        t = start + n * every
        if n % 3 == 2:
            log.sasl_failure(t, ip, BOB, reason="(reason unavailable)")
            failures += 1
        else:
            tries = 1 + n % 2
            log.dovecot_failure(t, ip, BOB, attempts=tries)
            failures += tries
    return failures


def not_attacked(analysis: Analysis) -> None:
    assert analysis.compromised == ()
    assert {(a.verdict, a.recommendation) for a in analysis.attackers} <= {
        (Verdict.STALE_PASSWORD, STALE)
    }
    for kind in ("network", "spray", "wide_network", "enumeration"):
        assert analysis.findings_of(kind) == [], kind
    assert analysis.stats["failures_counted"] == 0


def test_a_phone_on_privacy_addresses_of_its_owners_64_is_one_stale_device() -> None:
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", BOB)  # the laptop, this morning
    log.queued_login(5 * MINUTE, f"{HOME}1e", BOB)
    failures = phone(log, HOME)
    log.dovecot_login(12 * HOUR, f"{HOME}2f", BOB)  # the laptop again, a new address too
    log.dovecot_login(23 * HOUR, f"{HOME}3a", BOB)
    analysis = analyze(log.events)
    not_attacked(analysis)
    (device,) = analysis.findings_of("stale_password")  # one phone, not twelve addresses
    assert device.subject == "2001:db8:5:7::/64"
    assert device.data["users"] == [BOB] and device.data["failures"] == failures == 16
    assert device.data["member_count"] == 12 and len(device.data["members"]) == 12
    assert device.data["members"][0] == f"{HOME}a1"  # in address order
    assert device.data["logged_in_from"] == "2001:db8:5:7::/64"
    assert device.data["recommendation"] == STALE and device.evidence
    assert len(analysis.attackers) == 12  # each address, never recommended for a ban
    attacker = analysis.attacker(f"{HOME}a1")
    assert attacker is not None and attacker.stale_failures == 1 and attacker.failures == 0
    assert attacker.reasons == (
        "1 failed login with an account logged in as from 2001:db8:5:7::/64 "
        "(a device with an old password)",
    )


def test_the_owners_login_from_another_64_of_the_48_makes_it_a_device_too() -> None:
    log = Log()
    log.dovecot_login(0, "2001:db8:5:1::1e", BOB)  # the laptop, in another /64 of the /48
    phone(log, HOME)
    log.dovecot_login(12 * HOUR, "2001:db8:5:1::2f", BOB)
    analysis = analyze(log.events)
    not_attacked(analysis)
    (device,) = analysis.findings_of("stale_password")
    assert device.subject == "2001:db8:5:7::/64" and device.data["member_count"] == 12
    assert device.data["logged_in_from"] == "2001:db8:5::/48"


def test_the_daemon_bans_nothing_even_when_the_address_changes_often() -> None:
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", BOB)
    # A new address every ten minutes: six addresses of the /64 fail within the hour,
    # more than the network rule (four within 1h) takes from a /64 nobody logs in from.
    phone(log, HOME, start=HOUR, count=6, every=10 * MINUTE)
    detector = Detector(keep_history=False)
    assert [d for e in log.events for d in detector.feed(e)] == []
    (device,) = detector.result().findings_of("stale_password")
    assert device.data["member_count"] == 6


def test_an_owners_typo_or_two_from_changing_addresses_is_no_device() -> None:
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", BOB)
    log.dovecot_failure(HOUR, f"{HOME}a1", BOB)  # two typos today, from two addresses
    log.dovecot_login(HOUR + 30, f"{HOME}a1", BOB)
    log.dovecot_failure(5 * HOUR, f"{HOME}b2", BOB)
    log.dovecot_login(5 * HOUR + 30, f"{HOME}b2", BOB)
    for day in (1, 2, 3):  # then one typo a day, each from the day's address
        log.dovecot_failure(day * DAY + 9 * HOUR, f"{HOME}{day:x}c", BOB)
        log.dovecot_login(day * DAY + 9 * HOUR + 30, f"{HOME}{day:x}c", BOB)
    analysis = analyze(log.events)
    assert analysis.attackers == () and analysis.findings == ()


def test_typos_of_a_household_on_changing_addresses_are_no_device() -> None:
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", BOB)
    log.dovecot_login(60, f"{HOME}2f", "alice@example.org")
    for n, user in enumerate([BOB, "alice@example.org", BOB, "alice@example.org"]):
        log.dovecot_failure(HOUR + n * HOUR, f"{HOME}{0xA1 + n:x}", user)
    analysis = analyze(log.events)
    assert analysis.attackers == () and analysis.findings == ()


def test_an_attacker_walking_a_64_nobody_logs_in_from_is_still_a_network() -> None:
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", BOB)  # bob's home: not the attacker's /64
    log.dovecot_login(60, "198.51.100.30", BOB)
    for n in range(12):  # bob's password, one guess from each address
        log.sasl_failure(HOUR + n * 4 * MINUTE, f"2001:db8:66:7::{0xA1 + n:x}", BOB)
    for n in range(12):  # and many accounts
        log.sasl_failure(
            2 * HOUR + n * 4 * MINUTE, f"2001:db8:66:7::{0xB1 + n:x}", f"user{n}@example.org"
        )
    analysis = analyze(log.events)
    assert analysis.findings_of("stale_password") == []
    (network,) = analysis.findings_of("network")
    assert network.subject == "2001:db8:66:7::/64" and network.data["recommendation"] == "ban"
    assert {a.recommendation for a in analysis.attackers} == {"ban"}
    detector = Detector(keep_history=False)
    bans = [d for e in log.events for d in detector.feed(e) if d.decision() is not None]
    assert "2001:db8:66:7::/64" in {str(d.target) for d in bans}


def test_an_attacker_in_the_owners_48_guessing_other_accounts_is_still_a_network() -> None:
    log = Log()
    log.dovecot_login(0, "2001:db8:5:1::1e", BOB)  # bob logs in from 2001:db8:5::/48
    for n in range(12):  # another /64 of that /48, guessing other accounts
        log.sasl_failure(HOUR + n * 4 * MINUTE, f"2001:db8:5:9::{0xA1 + n:x}", f"u{n}@example.org")
    analysis = analyze(log.events)
    assert analysis.findings_of("stale_password") == []
    (network,) = analysis.findings_of("network")
    assert network.subject == "2001:db8:5:9::/64" and network.data["recommendation"] == "ban"


def test_the_networks_counted_together_are_bounded_and_forgotten_when_idle() -> None:
    cap = 1000
    log = Log()
    for n in range(3 * cap // 2):  # many homes, each an owner and a typo
        home = f"2001:db8:{n >> 8:x}:{n & 0xFF:x}::"
        log.dovecot_login(n, f"{home}1", f"user{n}@example.org")
        log.dovecot_failure(n + 0.5, f"{home}2", f"user{n}@example.org")
    detector = Detector(PolicyConfig(max_clients=cap), keep_history=False)
    detector.feed_all(log.events)
    assert 0 < len(detector._stale_nets) <= cap
    last = log.events[-1].record.time
    assert last is not None
    detector.expire(last.timestamp() + 2 * DAY)  # two days later, nothing since
    assert len(detector._stale_nets) == 0 and detector._archived_stale == {}
