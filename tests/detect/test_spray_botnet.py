"""A botnet sprays passwords: hundreds of addresses, each a guess or two on one list of
accounts. The administrator expects one campaign naming its members and targets, not
one per account; people who mistype stay out of it."""

from __future__ import annotations

import random

from detect_factory import DAY, HOUR, MINUTE, Log

from mailwarden.detect import Detector, Verdict, analyze

ACCOUNTS = [f"{name}@example.com" for name in ("alice", "bob", "carol", "dave", "erin", "frank")]
ACCOUNTS += [f"{name}@example.com" for name in ("grace", "heidi", "ivan", "judy", "mallory")]
ACCOUNTS += [f"{name}@example.com" for name in ("niaj", "olivia", "peggy", "rupert", "sybil")]
ACCOUNTS += [f"{name}@example.com" for name in ("trent", "victor", "walter")]


def bot(n: int) -> str:
    """Bot ``n``: an address of its own /48 (nothing in common but the campaign)."""
    return f"2001:db8:{n + 1:x}::{(n * 37) % 9000 + 1:x}"


def botnet(log: Log, bots: int, span: float, tries: tuple[int, ...], start: float = 0) -> None:
    rnd = random.Random(bots * 1000 + int(span))
    guesses = []
    for n in range(bots):
        t = start + rnd.uniform(0, span)
        for k, user in enumerate(rnd.sample(ACCOUNTS, rnd.choice(tries))):
            guesses.append((t + k * 90, bot(n), user))
    for t, ip, user in sorted(guesses):
        log.sasl_failure(t, ip, user)


def test_bots_trying_one_name_each_within_an_hour_are_one_campaign() -> None:
    log = Log()
    botnet(log, 240, HOUR, (1,))
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("spray")  # not one campaign per account
    assert finding.data["member_count"] == 240
    assert sorted(finding.data["targets"]) == sorted(ACCOUNTS)
    assert len(analysis.attackers) == 240
    assert {a.verdict for a in analysis.attackers} == {Verdict.SPRAY_MEMBER}
    number = finding.data["campaign"]
    assert all(f"spraying campaign {number} " in a.reasons[0] for a in analysis.attackers)


def test_bots_trying_one_or_two_names_each_over_a_day_are_one_campaign() -> None:
    log = Log()
    botnet(log, 300, DAY, (1, 2))
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("spray")
    assert finding.data["member_count"] == 300 and finding.data["target_count"] == len(ACCOUNTS)
    number = finding.data["campaign"]
    assert all(f"spraying campaign {number} " in a.reasons[0] for a in analysis.attackers)


def test_the_daemon_hears_of_one_campaign_too() -> None:
    log = Log()
    botnet(log, 240, HOUR, (1,))
    detector = Detector(keep_history=False)
    numbers = {
        d.data["campaign"]
        for e in log.events
        for d in detector.feed(e)
        if d.verdict is Verdict.SPRAY_MEMBER
    }
    assert numbers == {1}


def test_campaigns_a_week_apart_stay_two() -> None:
    log = Log()
    for n in range(6):
        log.sasl_failure(n * MINUTE, bot(n), "alice@example.com")
    for n in range(6, 12):
        log.sasl_failure(7 * DAY + n * MINUTE, bot(n), "bob@example.com")
    analysis = analyze(log.events)
    first, second = analysis.findings_of("spray")
    assert first.data["targets"] == ["alice@example.com"]
    assert second.data["targets"] == ["bob@example.com"]


def test_people_mistyping_once_during_a_campaign_do_not_join_it() -> None:
    log = Log()
    botnet(log, 240, HOUR, (1,), start=HOUR)
    for n in range(30):  # 30 people, each their own account, a typo each, then in
        ip, user = f"198.51.100.{n + 10}", f"person{n}@example.com"
        log.dovecot_failure(HOUR + n * MINUTE, ip, user)
        log.dovecot_login(HOUR + n * MINUTE + 20, ip, user)
    for n in range(2):  # two more on a shared family account, who do not log in (yet)
        ip = f"192.0.2.{n + 10}"
        log.dovecot_failure(HOUR + (10 + n) * MINUTE, ip, "family.smith@example.com")
    analysis = analyze(sorted(log.events, key=lambda e: e.record.time))
    (finding,) = analysis.findings_of("spray")
    assert finding.data["member_count"] == 240
    assert not any(a.ip.startswith(("198.51.100.", "192.0.2.")) for a in analysis.attackers)
