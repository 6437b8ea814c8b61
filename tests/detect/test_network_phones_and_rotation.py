"""Two sides of one network rule: people's phones on a carrier's pool, and an attacker
rotating its addresses one account each.

Found by review: two people's phones on one IPv4 carrier /24 (or in one household's
/64), each failing a few times with its own old password for its own account while
moving to another address within the hour, made ``network_clients`` addresses within
``network_window``: the /24 (or /64) was reported and banned as attacking together,
though each owner logs in as that account (before the failures, or after). And an
attacker rotating through a /24 or a /64, each address trying a different real
account a time or two, went unreported ("No attack found"): each address had names of
its own, which passed for people's typos."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from detect_factory import HOUR, MINUTE, Log

from clirunner import Runner
from mailwarden.detect import Detector, Verdict, analyze
from mailwarden.detect.analysis import Analysis

POOL4 = "203.0.113."  # a mobile carrier's pool
POOL6 = "2001:db8:5:6::"  # a household's /64
POOLS = {POOL4: f"{POOL4}0/24", POOL6: f"{POOL6}/64"}
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")


def account(name: str) -> str:
    return f"{name}@example.com"


def logins(log: Log, names: tuple[str, ...], at: float) -> None:
    """Each owner logs in from an address of their own, outside the pools (home)."""
    for n, name in enumerate(names):
        log.dovecot_login(at + n, f"198.51.100.{10 + n}", account(name))


def two_phones(log: Log, pool: str, tries: int = 3) -> None:
    """alice's and bob's phones, each failing ``tries`` times on its own account from
    one address, then from another: four addresses within 40 minutes."""
    for n, (host, name) in enumerate(((20, "alice"), (30, "bob"), (21, "alice"), (31, "bob"))):
        for k in range(tries):
            log.sasl_failure(HOUR + n * 10 * MINUTE + k * MINUTE, f"{pool}{host}", account(name))


def rotation(
    log: Log, pool: str, every: float, count: int = 6, start: float = HOUR, first: int = 0
) -> None:
    """An attacker moving to a new address of ``pool`` every ``every`` seconds, each
    address trying a different real account twice (from ``NAMES[first]`` on)."""
    for n in range(count):
        for k in range(2):
            at = start + n * every + k * 2 * MINUTE
            log.sasl_failure(at, f"{pool}{40 + n}", account(NAMES[first + n]))


def network_rows(analysis: Analysis) -> dict[str, str]:
    """The networks the report lists as attacking, and what it says to do with each."""
    return {f.subject: str(f.data["recommendation"]) for f in analysis.findings_of("network")}


def banned(analysis: Analysis) -> set[str]:
    """The addresses the report says to ban."""
    return {a.ip for a in analysis.attackers if a.recommendation == "ban"}


def daemon_bans(log: Log) -> set[str]:
    detector = Detector(keep_history=False)
    return {str(d.target) for e in log.events for d in detector.feed(e) if d.decision() is not None}


def sorted_log(build: Callable[[Log], None]) -> Log:
    log = Log()
    build(log)
    log.events.sort(key=lambda e: e.record.time)
    return log


@pytest.mark.parametrize("pool", [POOL4, POOL6])
@pytest.mark.parametrize("tries", [2, 3])
def test_two_phones_moving_within_the_hour_are_no_network_attack(pool: str, tries: int) -> None:
    def build(log: Log) -> None:
        logins(log, ("alice", "bob"), 0)
        two_phones(log, pool, tries)

    log = sorted_log(build)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {}
    assert not [a for a in analysis.attackers if a.ip.startswith(pool)]
    assert daemon_bans(log) == set()


@pytest.mark.parametrize("pool", [POOL4, POOL6])
def test_the_owners_logging_in_after_their_phones_failed_take_the_report_back(pool: str) -> None:
    # (The daemon, which heard of no such account when the phones failed, has banned;
    # the report, which knows the whole log, recommends nothing.)
    def build(log: Log) -> None:
        two_phones(log, pool)
        logins(log, ("alice", "bob"), 4 * HOUR)

    analysis = analyze(sorted_log(build).events)
    assert network_rows(analysis) == {}
    assert not [a for a in analysis.attackers if a.ip.startswith(pool)]


def test_attacks_beside_the_phones_are_still_banned() -> None:
    def build(log: Log) -> None:
        logins(log, NAMES, 0)
        two_phones(log, POOL4)
        two_phones(log, POOL6)
        # four real accounts (not the phones') from four addresses of a /24 within the
        # hour, and one real account from five addresses of a /64
        rotation(log, "198.51.102.", 10 * MINUTE, count=4, first=2)
        for n in range(5):
            log.sasl_failure(HOUR + n * 5 * MINUTE, f"2001:db8:9:9::{n + 1}", account("grace"))

    log = sorted_log(build)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {"198.51.102.0/24": "ban", "2001:db8:9:9::/64": "ban"}
    assert not [a for a in analysis.attackers if a.ip.startswith((POOL4, POOL6))]
    assert daemon_bans(log) >= {"198.51.102.0/24", "2001:db8:9:9::/64"}
    assert not [t for t in daemon_bans(log) if t.startswith(("203.0.113.", "2001:db8:5:6:"))]


@pytest.mark.parametrize("pool", [POOL4, POOL6])
@pytest.mark.parametrize("every", [30 * MINUTE, 25 * MINUTE])
def test_a_slow_rotation_one_real_account_per_address_is_the_network(
    pool: str, every: float
) -> None:
    def build(log: Log) -> None:
        logins(log, NAMES, 0)
        rotation(log, pool, every)

    log = sorted_log(build)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {POOLS[pool]: "ban"}
    for n in range(6):
        attacker = analysis.attacker(f"{pool}{40 + n}")
        assert attacker is not None
        assert attacker.verdict is Verdict.NETWORK_MEMBER
        assert attacker.network == POOLS[pool] and attacker.recommendation == "ban"
        assert attacker.users == (account(NAMES[n]),)
    assert POOLS[pool] in daemon_bans(log)


def test_the_rotation_is_banned_and_phones_and_typos_beside_it_are_not() -> None:
    def build(log: Log) -> None:
        logins(log, NAMES, 0)
        rotation(log, POOL4, 30 * MINUTE, start=10 * HOUR)
        # alice's and bob's phones on the pool of another carrier, in the same hours
        for n, (host, name) in enumerate(((20, "alice"), (30, "bob"), (21, "alice"))):
            for k in range(3):
                at = 10 * HOUR + n * 40 * MINUTE + k * MINUTE
                log.sasl_failure(at, f"198.51.101.{host}", account(name))
        # an ISP's /24: a customer a couple of hours, each mistyping their own password
        for n in range(8):
            log.sasl_failure(n * 2 * HOUR + 5 * MINUTE, f"198.51.103.{10 + n}", account(NAMES[n]))

    log = sorted_log(build)
    analysis = analyze(log.events)
    assert network_rows(analysis) == {f"{POOL4}0/24": "ban"}
    assert {ip for ip in banned(analysis) if not ip.startswith(POOL4)} == set()
    bans = daemon_bans(log)
    assert f"{POOL4}0/24" in bans
    assert not [t for t in bans if not t.startswith(POOL4)]


def test_analyze_reports_the_rotation_and_not_the_phones(run: Runner, tmp_path: Path) -> None:
    log = Log()
    logins(log, NAMES, 0)
    two_phones(log, "198.51.101.")
    rotation(log, POOL4, 30 * MINUTE)
    log.events.sort(key=lambda e: e.record.time)
    path = tmp_path / "mail.log"
    path.write_text("".join(e.record.text + "\n" for e in log.events), encoding="utf-8")
    args = ("analyze", str(path), "--year", "2026", "--timezone", "UTC")
    code, out, _ = run(*args, "--format", "json")
    assert code == 0
    report = json.loads(out)
    networks = [f for f in report["findings"] if f["kind"] == "network"]
    assert [(f["subject"], f["data"]["recommendation"]) for f in networks] == [
        (f"{POOL4}0/24", "ban")
    ]
    assert networks[0]["data"]["member_count"] == 6
    assert not [a for a in report["attackers"] if a["ip"].startswith("198.51.101.")]
    code, out, _ = run(*args)
    assert code == 0
    assert f"{POOL4}0/24" in out and "198.51.101." not in out
