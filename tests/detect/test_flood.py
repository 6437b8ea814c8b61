"""A flood of addresses cannot exhaust memory: state is capped, and the analysis says so."""

from __future__ import annotations

import random

from detect_factory import Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector, Verdict

CAP = 1000
FLOOD = 12_000


def flood(log: Log, count: int, addresses: list[str]) -> None:
    for n, ip in enumerate(addresses[:count]):
        log.sasl_failure(n * 0.01, ip, f"admin{n % 7}@example.com")


def test_random_addresses_of_one_64_are_one_network_and_state_stays_bounded() -> None:
    rng = random.Random(1)
    addresses = [
        f"2001:db8:66:1:{a >> 48:x}:{(a >> 32) & 0xFFFF:x}:{(a >> 16) & 0xFFFF:x}:{a & 0xFFFF:x}"
        for a in (rng.getrandbits(64) for _ in range(FLOOD))
    ]
    log = Log()
    flood(log, FLOOD, addresses)
    detector = Detector(PolicyConfig(max_clients=CAP), keep_history=False)
    network_bans = [
        d
        for e in log.events
        for d in detector.feed(e)
        if d.verdict is Verdict.NETWORK_MEMBER and d.target.prefixlen == 64
    ]
    assert [str(d.target) for d in network_bans] == ["2001:db8:66:1::/64"]
    assert len(detector._clients) <= CAP
    analysis = detector.result()
    assert any("policy.max_clients" in note for note in analysis.notes)


def test_scattered_random_addresses_keep_every_table_under_the_cap() -> None:
    rng = random.Random(2)
    addresses = [
        "2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6)) for _ in range(FLOOD)
    ]
    log = Log()
    flood(log, FLOOD, addresses)
    detector = Detector(PolicyConfig(max_clients=CAP))
    detector.feed_all(log.events)
    for table in (detector._clients, detector._accounts, detector._networks, detector._lone):
        assert len(table) <= CAP
    assert len(detector._archive) <= CAP
    analysis = detector.result()
    assert analysis.stats["clients_evicted"] > 0
    assert len(analysis.attackers) <= 2 * CAP
    assert analysis.notes


def test_past_the_cap_a_login_from_a_recent_attacking_network_is_still_named() -> None:
    """More attacking networks logged in from than ``max_clients``: the notes of the
    oldest are forgotten (a tenth at a time), those of the newest stay in the report."""
    networks = 3 * CAP
    log = Log()
    for n in range(networks):
        prefix = f"2001:db8:{n:x}:1::"  # a /48 each: no wide network
        user = f"user{n}@example.com"
        for member in range(1, 5):  # network_clients: four addresses flag the /64
            log.sasl_failure(n * 10 + member, f"{prefix}{member}", user)
        log.dovecot_login(n * 10 + 5, f"{prefix}99", user)
    detector = Detector(PolicyConfig(max_clients=CAP))
    detector.feed_all(log.events)
    analysis = detector.result()
    members = [a for a in analysis.attackers if a.verdict is Verdict.NETWORK_MEMBER]
    named = {a.ip for a in members if any(" logged in from it as " in r for r in a.reasons)}
    # At least the newest nine tenths of max_clients networks are remembered.
    recent = {a.ip for a in members if int(a.ip.split(":")[2], 16) >= networks - CAP * 9 // 10}
    assert f"2001:db8:{networks - 1:x}:1::4" in recent
    assert recent <= named
    assert all(a.recommendation == "watch" for a in members if a.ip in named)


def test_past_the_cap_of_waiting_lost_connections_a_recent_ones_guesses_still_count() -> None:
    """More clients lose the connection to the authentication server within the window
    than can wait to be judged: the oldest are outages, and a recent client whose failures
    follow still has its lost connection counted as a guess."""
    from mailwarden.detect.rules import MAX_PENDING_UNAVAILABLE

    clients = MAX_PENDING_UNAVAILABLE + 2000
    addresses = [f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1" for n in range(clients)]
    log = Log()
    for n, ip in enumerate(addresses):  # two minutes: all within unavailable_window
        log.unavailable(n * 0.01, ip)
    bot = addresses[-1000]
    log.sasl_failure(clients * 0.01 + 1, bot, "admin@example.com")
    log.sasl_failure(clients * 0.01 + 2, bot, "admin@example.com")
    detector = Detector()
    detector.feed_all(log.events)
    detector.close()
    analysis = detector.result()
    attacker = analysis.attacker(bot)
    assert attacker is not None and attacker.failures == 3
    (outage,) = analysis.findings_of("auth_unavailable")
    assert outage.data["failures"] == clients - 1
