"""A reload that adds to the allow list goes to the daemon's running detector
(`Detector.set_allow`): a client it already counts failures for, and the network around
it, are judged by the new list from then on, as a new detector would judge them."""

from __future__ import annotations

import ipaddress

from detect_factory import Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector

ALLOWED = "203.0.113.7"
OTHER = "198.51.100.20"


def decisions(detector: Detector, log: Log, start: int) -> list[str]:
    found: list[str] = []
    for event in log.events[start:]:
        for detection in detector.feed(event):
            decision = detection.decision()
            if decision is not None:
                found.append(str(decision.target))
    return found


def test_a_client_put_on_the_allow_list_is_not_banned_for_its_next_failure() -> None:
    log = Log()
    for n, user in enumerate(("admin", "info")):
        log.sasl_failure(n, ALLOWED, user)
        log.sasl_failure(n, OTHER, user)
    detector = Detector(PolicyConfig(fast_failures=3), keep_history=False)
    assert decisions(detector, log, 0) == []
    fed = len(log.events)

    detector.set_allow([ipaddress.ip_network(f"{ALLOWED}/32")])
    log.sasl_failure(2, ALLOWED, "sales")
    log.sasl_failure(2, OTHER, "sales")
    assert decisions(detector, log, fed) == [f"{OTHER}/32"]  # counted before, banned now
    assert detector.policy.allow == (ipaddress.ip_network(f"{ALLOWED}/32"),)
