"""An attacker's first and last seen are its hostile acts: its guesses (and a break-in),
not an owner's login from the same address (an office's NAT, a shared host)."""

from __future__ import annotations

from datetime import timedelta

from detect_factory import HOUR, T0, Log

from mailwarden.detect import Detector, Verdict, analyze


def test_a_colleagues_login_after_the_guessing_moves_no_last_seen() -> None:
    log = Log()
    for n in range(5):  # a quick brute force on admin@, then nothing more from it
        log.sasl_failure(n, "203.0.113.60", "admin@example.com")
    log.dovecot_login(5 * HOUR, "203.0.113.60", "alice@example.com")  # someone else there
    analysis = analyze(log.events)
    assert analysis.compromised == ()
    attacker = analysis.attacker("203.0.113.60")
    assert attacker is not None and attacker.verdict is Verdict.BRUTEFORCE
    assert attacker.succeeded_as == ("alice@example.com",)
    assert attacker.first_seen == T0
    assert attacker.last_seen == log.events[4].record.time  # the last guess, not 5 h later
    assert attacker.to_json()["last_seen"] == log.events[4].record.time.isoformat()


def test_an_owners_login_before_the_guessing_moves_no_first_seen() -> None:
    log = Log()
    log.dovecot_login(0, "203.0.113.61", "alice@example.com")
    for n in range(5):
        log.sasl_failure(HOUR + n, "203.0.113.61", "admin@example.com")
    attacker = analyze(log.events).attacker("203.0.113.61")
    assert attacker is not None
    assert attacker.first_seen == log.events[1].record.time


def test_a_break_in_and_the_intruders_later_logins_are_its_last_seen() -> None:
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 7, "203.0.113.62", "sales@example.com")
    log.queued_login(60, "203.0.113.62", "sales@example.com")  # in: a compromise
    analysis = analyze(log.events)
    attacker = analysis.attacker("203.0.113.62")
    assert attacker is not None and attacker.verdict is Verdict.COMPROMISED
    assert attacker.last_seen == log.events[-1].record.time
    log.queued_login(3 * HOUR, "203.0.113.62", "sales@example.com")  # still using it
    attacker = analyze(log.events).attacker("203.0.113.62")
    assert attacker is not None and attacker.last_seen == log.events[-1].record.time


def skewed(log: Log, ip: str, user: str, late: float, early: float, n: int = 6) -> None:
    """``n`` failures of ``ip`` a second apart from ``late``, then ``n`` from ``early``
    (before them): a log that goes back in time, as the daemon reads it (or a syslog
    whose writer got one process's lines late)."""
    for start in (late, early):
        for k in range(n):
            log.sasl_failure(start + k, ip, user)


def test_lines_out_of_time_order_give_the_earliest_first_seen_and_latest_last_seen() -> None:
    log = Log()
    skewed(log, "203.0.113.70", "admin@example.com", late=300, early=60)
    earliest, latest = T0 + timedelta(seconds=60), T0 + timedelta(seconds=305)
    # analyze, and the daemon's detector fed each line as the log gives it.
    daemon = Detector(keep_history=False)
    for event in log.events:
        daemon.feed(event)
    for analysis in (analyze(log.events), daemon.result()):
        attacker = analysis.attacker("203.0.113.70")
        assert attacker is not None
        assert (attacker.first_seen, attacker.last_seen) == (earliest, latest)
        assert attacker.to_json()["first_seen"] <= attacker.to_json()["last_seen"]


def test_a_network_seen_out_of_time_order_spans_its_earliest_to_latest_failure() -> None:
    # Eight addresses of a /24 fail once each, the last four logged first (their lines
    # came late from another host): the network's Seen spans 10:00 to 10:03:30.
    log = Log()
    for n in (4, 5, 6, 7, 0, 1, 2, 3):
        log.sasl_failure(n * 30, f"198.51.100.{n + 1}", "frank@example.com")
    daemon = Detector(keep_history=False)
    for event in log.events:
        daemon.feed(event)
    for analysis in (analyze(log.events), daemon.result()):
        (network,) = analysis.findings_of("network")
        assert network.subject == "198.51.100.0/24"
        assert network.data["first_seen"] == T0.isoformat()
        assert network.data["last_seen"] == (T0 + timedelta(seconds=210)).isoformat()


def test_an_intruders_logins_out_of_time_order_keep_the_latest_last_seen() -> None:
    # After the break-in, its later logins (ClientState.see) come in another order.
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 7, "203.0.113.63", "sales@example.com")
    log.queued_login(60, "203.0.113.63", "sales@example.com")  # in: a compromise
    log.queued_login(3 * HOUR, "203.0.113.63", "sales@example.com")
    log.queued_login(2 * HOUR, "203.0.113.63", "sales@example.com")  # logged late
    attacker = analyze(log.events).attacker("203.0.113.63")
    assert attacker is not None and attacker.verdict is Verdict.COMPROMISED
    assert attacker.last_seen == T0 + timedelta(seconds=3 * HOUR)
