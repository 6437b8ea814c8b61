"""A network with more guessing addresses than the detector remembers of it (its most
recent 256): its finding and the daemon's reason say "256 or more", never just 256 as
if that were all of them; a smaller network's count stays exact."""

from __future__ import annotations

import ipaddress

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Detector, analyze
from mailwarden.detect.rules import Detection

BIG = "2001:db8:1:2::"
SMALL = "2001:db8:7:1::"


def test_a_network_of_more_addresses_than_remembered_counts_at_least_them() -> None:
    log = Log()
    for n in range(300):  # twice each, 3 s apart: 30 minutes
        for k in range(2):
            log.sasl_failure(n * 6 + k * 3, f"{BIG}{n + 1:x}", f"user{(n + k) % 3}@example.com")
    for n in range(40):
        log.sasl_failure(n * 30, f"{SMALL}{n + 1:x}", f"sales{n % 3}@example.com")
    networks = {f.subject: f.data for f in analyze(log.events).findings_of("network")}
    big, small = networks[f"{BIG}/64"], networks[f"{SMALL}/64"]
    assert big["member_count"] == 256 and big["member_count_capped"] is True
    assert big["failures"] == 600  # every failure, the forgotten addresses' too
    assert small["member_count"] == 40 and small["member_count_capped"] is False
    assert small["failures"] == 40


def _reasons(detections: list[Detection], network: str) -> list[str]:
    target = ipaddress.ip_network(network)
    return [d.reason for d in detections if d.target == target]


def test_the_daemon_says_or_more_when_the_network_had_more_addresses_in_its_window() -> None:
    # One new address every 10 s: banned at the fourth; when the ban (an hour) has run
    # out, the hour before holds more addresses than the network remembers.
    log = Log()
    for n in range(400):
        log.sasl_failure(n * 10, f"{BIG}{n + 1:x}", f"n{n}@example.com")
    detector = Detector(keep_history=False)
    reasons = _reasons([d for e in log.events for d in detector.feed(e)], f"{BIG}/64")
    assert reasons[0].startswith(f"4 addresses of {BIG}/64 failed to log in within ")
    assert reasons[1].startswith(f"256 or more addresses of {BIG}/64 failed to log in within ")


def test_forgotten_addresses_outside_the_window_leave_the_count_exact() -> None:
    # 300 addresses in five minutes, then, long after the ban ran out, four new ones:
    # the four are all of the last hour's.
    log = Log()
    for n in range(300):
        log.sasl_failure(n, f"{BIG}{n + 1:x}", f"n{n}@example.com")
    for n in range(4):
        log.sasl_failure(3 * HOUR + n * MINUTE, f"{BIG}a:{n + 1:x}", f"m{n}@example.com")
    detector = Detector(keep_history=False)
    reasons = _reasons([d for e in log.events for d in detector.feed(e)], f"{BIG}/64")
    assert reasons[-1].startswith(f"4 addresses of {BIG}/64 failed to log in within ")
