"""The analysis works out what becomes of each shared tuple of verdicts once (most
attackers of a kind share theirs), and a log time's seconds without ``timestamp()``
for a fixed-offset zone: neither may change what a report says of any one client."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from detect_factory import MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import SessionTracker, Verdict, analyze

GUESSERS = [f"2001:db8:{n}::1" for n in range(10, 16)]  # a network of its own each
ALLOWED = "203.0.113.10"  # guesses as they do, from the allow list
NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
ALLOW = PolicyConfig(allow=(ipaddress.ip_network("203.0.113.0/24"),))


def test_an_allowed_clients_not_banned_reason_stays_its_own() -> None:
    log = Log()
    for n, ip in enumerate([*GUESSERS[:3], ALLOWED, *GUESSERS[3:]]):
        for k in range(10):
            log.sasl_failure(n * 10 * MINUTE + k, ip, f"{NAMES[n]}@example.com")
    analysis = analyze(log.events, ALLOW)
    allowed = analysis.attacker(ALLOWED)
    assert allowed is not None
    assert allowed.verdict is Verdict.BRUTEFORCE
    assert allowed.recommendation != "ban"
    assert allowed.reasons[-1] == "not banned: in the allow list (203.0.113.0/24)"
    for ip in GUESSERS:
        attacker = analysis.attacker(ip)
        assert attacker is not None
        assert attacker.recommendation == "ban"
        assert attacker.verdicts == allowed.verdicts
        assert attacker.reasons == allowed.reasons[:-1]
        assert not any(r.startswith("not banned") for r in attacker.reasons)


@pytest.mark.parametrize(
    "zone",
    [
        UTC,
        timezone(timedelta(0), "UTC"),  # what the reader gives a log written in UTC
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=3, minutes=30)),
        timezone(timedelta(seconds=3601, microseconds=7)),
        ZoneInfo("Europe/Berlin"),
        None,  # naive: the local zone's
    ],
)
def test_a_log_times_seconds_are_its_timestamp(zone: timezone | ZoneInfo | None) -> None:
    tracker = SessionTracker()
    log = Log(start=datetime(2026, 3, 29, 0, 30, 0, tzinfo=zone))  # Berlin's DST change
    for k, t in enumerate((0.0, 1.5, 3600.0, 5400.25, 86400.0, 0.000001)):
        event = log.sasl_failure(t, GUESSERS[0], "carol@example.com", pid=3000 + k)
        time = event.record.time
        assert time is not None
        assert tracker.seconds(event) == time.timestamp()
