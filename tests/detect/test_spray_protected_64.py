"""Attackers in an IPv6 /64 that holds an allow-listed address or one of the server's own
are judged each on its own (the network rule never judges such a /64), so they join a
spraying campaign as any others do.

Found by review: 24 addresses, four in each of six /64s, failing as alice and bob within
twenty minutes were a campaign, but not those of the /64 holding the allow-listed
address nor those of the server's own /64: a /64's addresses were never linked, left to
a network rule that does not judge it."""

from __future__ import annotations

import ipaddress

from detect_factory import MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector
from mailwarden.detect.analysis import Analysis

NETS = ["2001:db8:1:2::", "2001:db8:3:4::", "2001:db8:5:6::", "2001:db8:7:8::"]
NETS += ["2001:db8:9:a::", "2001:db8:b:c::"]
POLICY = PolicyConfig(allow=(ipaddress.ip_network("2001:db8:5:6::77"),))
OWN = ["2001:db8:7:8::5"]


def spraying() -> tuple[Log, list[str]]:
    log = Log()
    addresses = [f"{net}a{k}" for net in NETS for k in range(1, 5)]
    for n, ip in enumerate(addresses):
        user = "alice@example.com" if n % 2 == 0 else "bob@example.com"
        log.sasl_failure(n * MINUTE * 20 / len(addresses), ip, user)
    return log, addresses


def report(log: Log) -> Analysis:
    detector = Detector(POLICY, detections=False)
    detector.set_own_addresses(OWN)  # as the daemon and analyze read them
    detector.feed_all(log.events)
    detector.close()
    detector.finished()
    return detector.result()


def test_attackers_beside_an_allowed_or_own_address_join_the_campaign() -> None:
    log, addresses = spraying()
    analysis = report(log)
    members = {ip for f in analysis.findings_of("spray") for ip in f.data["members"]}
    assert {ip for ip in addresses if ip.startswith(("2001:db8:5:6:", "2001:db8:7:8:"))} <= members
    for ip in addresses:  # the others as their /64's addresses guessing together
        attacker = analysis.attacker(ip)
        assert attacker is not None and attacker.recommendation == "ban", ip


def test_the_daemon_bans_them_too() -> None:
    log, addresses = spraying()
    detector = Detector(POLICY, keep_history=False)
    detector.set_own_addresses(OWN)
    found = [d for e in log.events for d in detector.feed(e)]
    bans = [d.target for d in found if d.decision() is not None]
    for ip in addresses:  # banned itself, or its /64
        assert any(ipaddress.ip_address(ip) in target for target in bans), ip
