"""Clients never judged (the allow list, loopback, this host's own addresses: a webmail
on the server) are no members of a spraying campaign: their typos must not make an
outsider's single failure on the same account one of ``spray_clients`` (5) and get it
banned."""

from __future__ import annotations

import ipaddress

from detect_factory import MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector, analyze
from mailwarden.detect.analysis import Analysis

OUTSIDER = "192.0.2.50"
OFFICE = [f"203.0.113.{n}" for n in (5, 6, 7, 8)]
ALLOW = PolicyConfig(allow=(ipaddress.ip_network("203.0.113.0/24"),))
HOST = ["198.51.100.25", "2001:db8:25::25"]


def typos_then_outsider(protected: list[str]) -> Log:
    log = Log()
    for n, ip in enumerate(protected):
        log.sasl_failure(n * 2 * MINUTE, ip, "carol@example.com")
    log.sasl_failure(10 * MINUTE, OUTSIDER, "carol@example.com")
    return log


def daemon_banned(detector: Detector, log: Log) -> list[str]:
    found = [d for e in log.events for d in detector.feed(e)]
    return [d.ip or str(d.target) for d in found if d.decision() is not None]


def campaign_members(analysis: Analysis) -> set[str]:
    return {ip for f in analysis.findings_of("spray") for ip in f.data["members"]}


def test_allow_listed_typos_do_not_make_an_outsiders_failure_spraying() -> None:
    log = typos_then_outsider(OFFICE)
    assert daemon_banned(Detector(ALLOW, keep_history=False), log) == []
    analysis = analyze(log.events, ALLOW)
    assert analysis.findings_of("spray") == []
    assert analysis.attacker(OUTSIDER) is None


def test_webmail_and_the_hosts_own_typos_do_not_make_an_outsiders_failure_spraying() -> None:
    log = typos_then_outsider(["127.0.0.1", "::1", *HOST])
    detector = Detector(keep_history=False)
    detector.set_own_addresses(HOST)  # as the daemon reads them at start
    assert daemon_banned(detector, log) == []


def test_outsiders_among_protected_typos_are_still_one_campaign() -> None:
    # Five outsiders fail on carol, with the office's typos in between: a campaign of
    # the five, without the office's addresses.
    outsiders = [f"192.0.2.{n}" for n in (50, 51, 52, 53, 54)]
    log = Log()
    for n, ip in enumerate(outsiders):
        log.sasl_failure(n * 2 * MINUTE, ip, "carol@example.com")
        if n < len(OFFICE):
            log.sasl_failure(n * 2 * MINUTE + 30, OFFICE[n], "carol@example.com")
    analysis = analyze(log.events, ALLOW)
    assert campaign_members(analysis) == set(outsiders)
    banned = daemon_banned(Detector(ALLOW, keep_history=False), log)
    assert set(banned) == set(outsiders)
