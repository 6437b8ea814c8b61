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
    for n in range(2):  # two more on a shared family account, who log in later in the day
        ip = f"192.0.2.{n + 10}"
        log.dovecot_failure(HOUR + (10 + n) * MINUTE, ip, "family.smith@example.com")
        log.dovecot_login(5 * HOUR + n * MINUTE, ip, "family.smith@example.com")
    analysis = analyze(sorted(log.events, key=lambda e: e.record.time))
    (finding,) = analysis.findings_of("spray")
    assert finding.data["member_count"] == 240
    assert not any(a.ip.startswith(("198.51.100.", "192.0.2.")) for a in analysis.attackers)


def sparse_botnet(log: Log, start: float) -> list[str]:
    """315 bots on a list of 100 names within an hour, one guess each: 95 names tried by
    three bots, five by four to seven (those of five or more make a campaign on their
    own)."""
    names = [f"staff{n:03d}@example.com" for n in range(100)]
    guesses = [names[n // 6] for n in range(28)] + [names[5 + n // 3] for n in range(285)]
    rnd = random.Random(7)
    rnd.shuffle(guesses)
    # the campaign's time is its first guess to its last: here, guesses of the five names
    guesses.insert(0, names[0])
    guesses.append(names[1])
    bots = [bot(n) for n in range(len(guesses))]
    times = sorted(rnd.uniform(0, HOUR) for _ in guesses)
    for t, ip, user in zip(times, bots, guesses, strict=True):
        log.sasl_failure(start + t, ip, user)
    return bots


def test_a_botnet_spread_thin_over_a_long_list_is_one_campaign_with_all_its_bots() -> None:
    log = Log()
    bots = sparse_botnet(log, 0)
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("spray")
    assert finding.data["member_count"] == len(bots)  # not only the 30 of the five names
    assert finding.data["target_count"] == 100
    assert {a.ip for a in analysis.attackers} == set(bots)


def test_clients_meeting_on_an_account_outside_a_campaigns_time_are_not_of_it() -> None:
    log = Log()
    sparse_botnet(log, 0)
    for n in range(2):  # hours later: two addresses fail once each on one account
        log.sasl_failure(5 * HOUR + n * MINUTE, f"198.51.100.{n + 60}", "carol@example.com")
    analysis = analyze(log.events)
    assert analysis.attacker("198.51.100.60") is None
    assert analysis.attacker("198.51.100.61") is None


def test_people_sharing_an_account_without_a_campaign_are_nothing() -> None:
    log = Log()
    for n in range(40):  # pairs of addresses failing once each on one account, no login
        user = f"shared{n // 2}@example.com"
        log.sasl_failure(n * MINUTE, f"2001:db8:{n + 1:x}::1", user)
    analysis = analyze(log.events)
    assert analysis.attackers == () and analysis.findings_of("spray") == []
