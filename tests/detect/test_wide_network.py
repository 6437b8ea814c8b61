"""A wide network: one guess from each of many /64s of one IPv6 /48, as an attacker
walking through its allocation does. No per-client rule and no /64 rule sees it; the
analysis reports the /48 (``wide_ipv6_prefix``, ``wide_networks``)."""

from __future__ import annotations

import io
import ipaddress
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from detect_factory import Log

from mailwarden.config import ConfigError, PolicyConfig, load_config
from mailwarden.detect import analyze
from mailwarden.model import Finding

WIDE = "2001:db8:77"


def walk(log: Log, count: int, every: float = 30.0, prefix: str = WIDE) -> None:
    """One failed login from the first address of each of ``count`` /64s."""
    for n in range(count):
        log.sasl_failure(n * every, f"{prefix}:{n + 1:x}::1", f"user{n}@example.com")


def wide_findings(log: Log, policy: PolicyConfig | None = None) -> list[Finding]:
    return list(analyze(log.events, policy).findings_of("wide_network"))


def test_one_guess_from_each_of_many_64s_is_the_48() -> None:
    log = Log()
    walk(log, 12)
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("wide_network")
    assert finding.subject == "2001:db8:77::/48"
    data = finding.data
    assert data["networks"] == 12 and data["member_count"] == 12 and data["failures"] == 12
    assert data["usernames"] == 12 and data["networks_of"] == "/64"
    assert data["recommendation"] == "ban"
    assert data["members"][0].startswith(WIDE)
    # No client is judged on its own: one guess each is below every rule.
    assert not [a for a in analysis.attackers if a.recommendation == "ban"]


def test_fewer_64s_than_wide_networks_is_no_finding() -> None:
    log = Log()
    walk(log, 7)
    assert wide_findings(log) == []


def test_a_login_from_the_48_makes_it_people_not_an_attacker() -> None:
    # A company or a university: its people mistype; one of them logged in.
    log = Log()
    walk(log, 12)
    log.queued_login(400, f"{WIDE}:99::5", "alice@example.com")
    assert wide_findings(log) == []


def test_many_addresses_of_one_64_are_the_64_rule_not_a_wide_network() -> None:
    log = Log()
    for n in range(12):
        log.sasl_failure(n * 30, f"{WIDE}:1::{n + 1:x}", f"user{n}@example.com")
    analysis = analyze(log.events)
    assert list(analysis.findings_of("wide_network")) == []
    assert [f.subject for f in analysis.findings_of("network")] == ["2001:db8:77:1::/64"]


def test_guesses_spread_over_more_than_the_spray_window_are_no_finding() -> None:
    log = Log()
    walk(log, 12, every=6 * 3600.0)  # 66 hours: never 8 /64s within one day
    assert wide_findings(log) == []
    within_a_day = Log()
    walk(within_a_day, 12, every=2 * 3600.0)  # 8 of them within 14 hours
    assert len(wide_findings(within_a_day)) == 1


def test_an_allowed_48_is_never_recommended_for_a_ban() -> None:
    log = Log()
    walk(log, 12)
    policy = replace(PolicyConfig(), allow=(ipaddress.ip_network(f"{WIDE}::/48"),))
    assert all(f.data["recommendation"] != "ban" for f in wide_findings(log, policy))


def test_ipv4_and_other_48s_do_not_count_together() -> None:
    log = Log()
    for n in range(4):
        log.sasl_failure(n, f"2001:db8:1:{n + 1:x}::1", "a@example.com")
        log.sasl_failure(n + 10, f"2001:db8:2:{n + 1:x}::1", "b@example.com")
        log.sasl_failure(n + 20, f"192.0.2.{n + 1}", "c@example.com")
    assert wide_findings(log) == []


def test_the_wide_size_can_be_set_and_turned_off(tmp_path: Path) -> None:
    log = Log()
    walk(log, 12)
    off = replace(PolicyConfig(), wide_ipv6_prefix=64)
    assert wide_findings(log, off) == []
    fewer = replace(PolicyConfig(), wide_networks=4)
    few = Log()
    walk(few, 5)
    assert len(wide_findings(few, fewer)) == 1
    config = tmp_path / "mailwarden.toml"
    config.write_text("[policy]\nwide_networks = 1\n")
    with pytest.raises(ConfigError, match="wide_networks"):
        load_config(config)
    config.write_text('[policy]\nwide_ipv6_prefix = 40\nwide_networks = 10\nspray_window = "2h"\n')
    policy = load_config(config).policy
    assert policy.wide_ipv6_prefix == 40 and policy.spray_window == timedelta(hours=2)


def test_a_break_in_from_the_48_keeps_it_an_attacker() -> None:
    # A login after guessing is an intruder's, not a person's: the /48 stays reported.
    log = Log()
    walk(log, 12)
    for n in range(6):
        log.sasl_failure(400 + n, f"{WIDE}:99::5", "bob@example.com")
    log.queued_login(420, f"{WIDE}:99::5", "bob@example.com")
    analysis = analyze(log.events)
    assert [c.user for c in analysis.compromised] == ["bob@example.com"]
    (finding,) = analysis.findings_of("wide_network")
    assert finding.data["networks"] == 13


def test_the_attackers_own_login_after_one_guess_is_named_not_people() -> None:
    # Found by review: a fresh /64 of the /48 logs in as an account another of its
    # addresses guessed (one failure before: no compromise by the per-account rule).
    log = Log()
    walk(log, 12)
    log.queued_login(400, f"{WIDE}:ff::7", "user11@example.com")
    (finding,) = wide_findings(log)
    assert finding.data["logged_in_as"] == ["user11@example.com"]


def test_members_already_banned_are_not_counted_again() -> None:
    # 3 /64s x 4 addresses: each /64 is banned by the network rule; the /48 adds none.
    log = Log()
    for n in range(12):
        log.sasl_failure(n * 10, f"{WIDE}:{n // 4 + 1:x}::{n + 1:x}", f"user{n}@example.com")
    for n in range(9):  # and one guess from each of 9 more /64s
        log.sasl_failure(200 + n * 10, f"{WIDE}:{0xAB00 + n:x}::1", f"other{n}@example.com")
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("wide_network")
    banned = {a.ip for a in analysis.attackers if a.recommendation == "ban"}
    assert finding.data["member_count"] == 21 and finding.data["networks"] == 12
    assert len(banned) >= 12  # the three /64s' addresses
    assert finding.data["unjudged_members"] == 21 - len(banned)
    assert finding.data["unjudged_failures"] == finding.data["unjudged_members"]


def test_a_member_judged_on_its_own_is_not_counted_again_as_another_address() -> None:
    # Ten /64s, one of them trying a name bots try (a probe, listed among the attackers
    # with its own failure): the report's "failed logins from other addresses of the /48"
    # are the nine others', not ten.
    from rich.console import Console

    from mailwarden.detect import Verdict
    from mailwarden.report import ReadSummary
    from mailwarden.report.text import write_text

    log = Log()
    for n in range(10):
        user = "admin" if n == 1 else f"staff{n}@example.com"
        log.sasl_failure(n * 600, f"{WIDE}:{n + 1:x}::5", user)
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("wide_network")
    (probe,) = analysis.attackers
    assert probe.verdict is Verdict.PROBE and probe.ip == f"{WIDE}:2::5"
    assert finding.data["unlisted_failures"] == 9
    out = io.StringIO()
    console = Console(width=200, file=out)
    write_text(analysis, ReadSummary(inputs=("mail.log",), files=1, lines=10), console)
    said = " ".join(out.getvalue().split())
    assert (
        f"10 failed logins (1 from 1 hostile client; 9 from other addresses of {WIDE}::/48)."
        in said
    )
