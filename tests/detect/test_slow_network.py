"""A slow brute force spread over the addresses of one network: the network judged as one
client by the slow brute-force rules (``slow_failures`` within ``slow_window``,
``daily_failures`` within ``daily_window``), as a single address doing the same is.

Found by review: 24 addresses of one IPv6 /64, one failed login as alice an hour (or two
an hour), went unreported ("No attack found"), as did a /24 whose addresses cycled
through five accounts; only ``network_clients`` addresses within ``network_window`` made
a network an attacker."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from detect_factory import HOUR, MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector, Verdict, analyze
from mailwarden.detect.analysis import Analysis
from mailwarden.detect.rules import Detection

NET6 = "2001:db8:5:6::"
NET4 = "203.0.113."
ACCOUNTS = ["alice", "bob", "carol", "dave", "erin"]


def rotating_64(log: Log, every: float, count: int = 24) -> list[str]:
    """An attacker with a /64 guessing alice's password from a new address each time."""
    addresses = [f"{NET6}{i + 1:x}" for i in range(count)]
    for i, ip in enumerate(addresses):
        log.sasl_failure(i * every, ip, "alice@example.com")
    return addresses


def network_rows(analysis: Analysis) -> dict[str, str]:
    """The networks the report lists as attacking, and what it says to do with each."""
    return {f.subject: str(f.data["recommendation"]) for f in analysis.findings_of("network")}


@pytest.mark.parametrize("every", [HOUR, 30 * MINUTE])
def test_a_slow_attack_rotating_the_addresses_of_a_64_is_the_network_guessing(
    every: float,
) -> None:
    log = Log()
    addresses = rotating_64(log, every)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {f"{NET6}/64": "ban"}
    for ip in addresses:
        attacker = analysis.attacker(ip)
        assert attacker is not None, ip
        assert attacker.verdict is Verdict.NETWORK_MEMBER
        assert attacker.network == f"{NET6}/64" and attacker.recommendation == "ban"
        # as slow as it was: one an hour is the daily rule's, two an hour the slow rule's
        assert ("within 1d" if every == HOUR else "within 2h") in attacker.reasons[0]


def test_the_daemon_bans_the_64_once_it_has_guessed_as_often_as_one_client_may() -> None:
    detector = Detector(PolicyConfig(ban_time=timedelta(hours=3)), keep_history=False)
    log = Log()
    addresses = rotating_64(log, HOUR, count=12)
    found: list[tuple[int, Detection]] = []
    for n, event in enumerate(log.events):
        found += [(n, d) for d in detector.feed(event) if d.decision() is not None]
    network = ipaddress.ip_network(f"{NET6}/64")
    bans = [(n, d) for n, d in found if d.target == network]
    # At its 8th failure within a day (daily_failures), from the address that made it;
    # not again while the ban lasts.
    assert [n for n, _ in bans] == [7, 10]
    first = bans[0][1]
    assert first.ip == addresses[7] and first.verdict is Verdict.NETWORK_MEMBER
    assert "8 or more failed logins within 1d" in first.reason


def test_a_24_cycling_through_accounts_one_address_an_hour_is_reported() -> None:
    log = Log()
    for i in range(24):
        log.sasl_failure(i * HOUR, f"{NET4}{i + 1}", f"{ACCOUNTS[i % 5]}@example.com")
    analysis = analyze(log.events)
    assert network_rows(analysis) == {f"{NET4}0/24": "ban"}
    # The four addresses that tried erin (a name the spraying campaign's other members
    # never tried) are the network's too.
    for i in (5, 10, 15, 20):
        attacker = analysis.attacker(f"{NET4}{i}")
        assert attacker is not None
        assert attacker.users == ("erin@example.com",)
        assert Verdict.NETWORK_MEMBER in attacker.verdicts and attacker.recommendation == "ban"


def test_networks_of_people_with_typos_are_not_banned_beside_a_slow_attack() -> None:
    log = Log()
    # An ISP's /24: twelve customers a day, each mistyping their own password once or
    # twice from their own address (no login from the /24 in the log: they gave up).
    for i in range(12):
        ip = f"198.51.100.{10 + i}"
        log.sasl_failure(i * 2 * HOUR, ip, f"user{i}@example.com")
        if i % 3 == 0:
            log.sasl_failure(i * 2 * HOUR + 20, ip, f"user{i}@example.com")
    # A campus NAT pool: phones with an old password fail on their owner's account from
    # one address, then the owner logs in from another address of the pool.
    for i in range(6):
        phone, laptop = f"198.51.101.{20 + i}", f"198.51.101.{120 + i}"
        for k in range(3):
            log.sasl_failure(i * 3 * HOUR + k * 10 * MINUTE, phone, f"staff{i}@example.com")
        log.queued_login(i * 3 * HOUR + 40 * MINUTE, laptop, f"staff{i}@example.com")
    # A campus's three NAT addresses: many people behind each, three of them a day
    # mistyping once (no login from them in the log, which begins at this day).
    for i in range(9):
        nat = f"198.51.103.{1 + i % 3}"
        log.sasl_failure(i * 2.5 * HOUR + 5 * MINUTE, nat, f"student{i}@example.com")
    # A client guessing frank's password slowly on its own, and frank's one typo from
    # another address of that /24: the client's verdict, not the network's.
    for k in range(10):
        log.sasl_failure(k * HOUR, "198.51.102.7", "frank@example.com")
    log.sasl_failure(5 * HOUR + 30, "198.51.102.200", "frank@example.com")
    # The attack among them.
    rotating_64(log, HOUR)
    log.events.sort(key=lambda e: e.record.time)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {f"{NET6}/64": "ban"}
    for attacker in analysis.attackers:
        if attacker.ip.startswith(("198.51.100.", "198.51.101.", "198.51.103.")):
            assert attacker.recommendation != "ban", attacker
    guesser = analysis.attacker("198.51.102.7")
    assert guesser is not None and guesser.verdicts == (Verdict.SLOW_BRUTEFORCE,)
    assert guesser.network is None
    assert analysis.attacker("198.51.102.200") is None
    # and the daemon bans none of them, only the /64
    detector = Detector(keep_history=False)
    bans = {str(d.target) for e in log.events for d in detector.feed(e) if d.decision() is not None}
    assert bans == {f"{NET6}/64", "198.51.102.7/32"}


def test_one_real_accounts_phone_on_a_carriers_pool_does_not_get_the_24_banned() -> None:
    """alice logs in from home; her phone, with an old password, fails twice from one
    address of a mobile carrier's pool and, 40 minutes later, twice from another: the
    slow rule banned the whole /24 (thousands of customers behind a carrier's pool).
    One real account alone from a /24 is its owner's device; a rotating attacker on an
    account nobody logged in as is still the network guessing."""
    log = Log()
    log.dovecot_login(0, "192.0.2.5", "alice@example.com")
    for at, ip in ((HOUR, "10"), (HOUR + MINUTE, "10"), (HOUR + 40 * MINUTE, "77")):
        log.sasl_failure(at, f"{NET4}{ip}", "alice@example.com")
    log.sasl_failure(HOUR + 41 * MINUTE, f"{NET4}77", "alice@example.com")
    analysis = analyze(log.events)
    assert network_rows(analysis) == {}
    for ip in ("10", "77"):
        phone = analysis.attacker(f"{NET4}{ip}")
        assert phone is None or phone.recommendation != "ban", phone
    # the same failures on an account that nobody logged in as: the /24 guessing
    other = Log()
    for at, ip in ((HOUR, "10"), (HOUR + MINUTE, "10"), (HOUR + 40 * MINUTE, "77")):
        other.sasl_failure(at, f"{NET4}{ip}", "alice@example.com")
    other.sasl_failure(HOUR + 41 * MINUTE, f"{NET4}77", "alice@example.com")
    assert network_rows(analyze(other.events)) == {f"{NET4}0/24": "ban"}
