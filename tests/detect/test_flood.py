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
