"""Where people's phones on a network end and an attack begins.

Found by review of the phones' exception to the network rules: two real accounts each
tried from three addresses of one /24 (or /64) within the hour, a few times from each,
and no login from any of them, went unreported ("No attack found") as two people's
phones; a phone moves once or so in an hour. And in a household's /64, alice's phone
failing once before its address changed, then logging in, was reported as a break-in
to ban ("Someone got in"), because bob's phone (with an old password, before bob's
first login in the log) failed from other addresses of it, which read as the network
trying a list of accounts."""

from __future__ import annotations

import pytest
from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Detector, Verdict, analyze
from mailwarden.detect.analysis import Analysis

POOL4 = "203.0.113."  # a mobile carrier's pool
POOL6 = "2001:db8:5:6::"  # a household's /64
POOLS = {POOL4: f"{POOL4}0/24", POOL6: f"{POOL6}/64"}
OTHER4 = "198.51.101."  # another carrier's pool
OTHER6 = "2001:db8:7:8::"


def account(name: str) -> str:
    return f"{name}@example.com"


def network_rows(analysis: Analysis) -> dict[str, str]:
    """The networks the report lists as attacking, and what it says to do with each."""
    return {f.subject: str(f.data["recommendation"]) for f in analysis.findings_of("network")}


def daemon_bans(log: Log) -> set[str]:
    detector = Detector(keep_history=False)
    return {str(d.target) for e in log.events for d in detector.feed(e) if d.decision() is not None}


def three_addresses_each(log: Log, pool: str, tries: int) -> None:
    """alice and bob, each tried ``tries`` times from each of three addresses of
    ``pool``, in turn, within 50 minutes."""
    hosts = ((20, "alice"), (30, "bob"), (21, "alice"), (31, "bob"), (22, "alice"), (32, "bob"))
    for n, (host, name) in enumerate(hosts):
        for k in range(tries):
            log.sasl_failure(HOUR + n * 8 * MINUTE + k * MINUTE, f"{pool}{host}", account(name))


@pytest.mark.parametrize(("pool", "other"), [(POOL4, OTHER4), (POOL6, OTHER6)])
@pytest.mark.parametrize("tries", [2, 3])
def test_two_accounts_from_three_addresses_each_within_the_hour_are_the_network(
    pool: str, other: str, tries: int
) -> None:
    log = Log()
    for n, name in enumerate(("alice", "bob", "carol", "dave")):
        log.dovecot_login(n, f"198.51.100.{10 + n}", account(name))  # real accounts
    three_addresses_each(log, pool, tries)
    # Beside it, carol's and dave's phones on another pool getting an address for each
    # connection: three each within the hour, one failure from each: no attack.
    hosts = ((20, "carol"), (30, "dave"), (21, "carol"), (31, "dave"), (22, "carol"), (32, "dave"))
    for n, (host, name) in enumerate(hosts):
        log.sasl_failure(HOUR + n * 8 * MINUTE + 30, f"{other}{host}", account(name))
    log.events.sort(key=lambda e: e.record.time)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {POOLS[pool]: "ban"}
    for host in (20, 21, 22, 30, 31, 32):
        attacker = analysis.attacker(f"{pool}{host}")
        assert attacker is not None and attacker.verdict is Verdict.NETWORK_MEMBER
        assert attacker.recommendation == "ban"
    assert not [a for a in analysis.attackers if a.ip.startswith(other)]
    bans = daemon_bans(log)
    assert POOLS[pool] in bans
    assert not [t for t in bans if t.startswith(other)]


def test_a_login_from_the_pool_afterwards_makes_it_people_again() -> None:
    # The same six addresses, then alice logs in from an address of the pool: its
    # people's (the daemon, which could not know, banned it); the report bans nothing.
    log = Log()
    for n, name in enumerate(("alice", "bob")):
        log.dovecot_login(n, f"198.51.100.{10 + n}", account(name))
    three_addresses_each(log, POOL4, 2)
    log.dovecot_login(3 * HOUR, f"{POOL4}23", account("alice"))
    analysis = analyze(log.events)
    assert POOLS[POOL4] in daemon_bans(log)
    assert network_rows(analysis) == {}
    assert not [a for a in analysis.attackers if a.recommendation == "ban"]


def household(log: Log, net: str, alice_failures: int) -> None:
    """bob's phone (an old password, bob never logged in yet) fails three times from each
    of three addresses of ``net``; alice's phone fails from one address, its address
    changes, and she logs in from the new one."""
    for n, host in enumerate((30, 31, 32)):
        for k in range(3):
            log.sasl_failure(HOUR + n * 10 * MINUTE + k * MINUTE, f"{net}{host}", account("bob"))
    for k in range(alice_failures):
        log.sasl_failure(HOUR + 35 * MINUTE + k * MINUTE, f"{net}21", account("alice"))
    log.dovecot_login(HOUR + 42 * MINUTE, f"{net}20", account("alice"))


@pytest.mark.parametrize("alice_failures", [1, 2])
def test_a_household_members_login_beside_anothers_old_password_is_no_break_in(
    alice_failures: int,
) -> None:
    log = Log()
    household(log, POOL6, alice_failures)
    analysis = analyze(log.events)
    assert analysis.compromised == ()
    attacker = analysis.attacker(f"{POOL6}20")
    assert attacker is None or attacker.verdict is not Verdict.COMPROMISED
    # someone logged in from the /64: watched, not banned
    assert network_rows(analysis) == {}
    assert not [a for a in analysis.attackers if a.recommendation == "ban"]
    # the daemon (which bans the /64: bob's account is no real one yet) bans no login
    assert f"{POOL6}20/128" not in daemon_bans(log)


def test_a_login_after_a_rotation_or_a_list_is_still_a_break_in() -> None:
    log = Log()
    # the household beside them (failing as above, and logging in): no break-in
    household(log, POOL6, 1)
    # an attacker rotating through a /64, one account from each address, then in as alice
    for n, name in enumerate(("alice", "bob", "carol", "dave")):
        for k in range(2):
            log.sasl_failure(
                HOUR + n * 10 * MINUTE + k * MINUTE, f"{OTHER6}{40 + n}", account(name)
            )
    log.dovecot_login(HOUR + 45 * MINUTE, f"{OTHER6}50", account("alice"))
    # another /64 trying bob and carol from its addresses, alice once, then in as alice
    third = "2001:db8:9:1::"
    for n, (host, name) in enumerate(((30, "bob"), (31, "carol"), (32, "bob"), (21, "alice"))):
        for k in range(2 if name != "alice" else 1):
            log.sasl_failure(HOUR + n * 10 * MINUTE + k * MINUTE, f"{third}{host}", account(name))
    log.dovecot_login(HOUR + 42 * MINUTE, f"{third}20", account("alice"))
    log.events.sort(key=lambda e: e.record.time)
    analysis = analyze(log.events)
    broken = {c.ip: c.by_others for c in analysis.compromised}
    assert broken == {f"{OTHER6}50": False, f"{third}20": False}
    for ip in broken:
        attacker = analysis.attacker(ip)
        assert attacker is not None and attacker.recommendation == "ban"
    assert network_rows(analysis) == {f"{OTHER6}/64": "ban", f"{third}/64": "ban"}
    bans = daemon_bans(log)
    assert {f"{OTHER6}50/128", f"{third}20/128"} <= bans
    assert f"{POOL6}20/128" not in bans
