"""Two judgments of whose failures are an account owner's.

An attacker walking the addresses of an IPv6 /64, a new one every half hour or so and a
guess or two from each on one account, then logging in as it from the same /64: that is
no household's devices with an old password (those log in before they fail, and are a
few), but the guessing that got in: a Maybe break-in, not "Nobody got in". The owner's
own phone on changing privacy addresses after the owner's login stays one device with
an old password.

After a login as ``alice`` (no domain), failures as alice@a.example from the same
address (Dovecot's auth process writes the name with its default realm) are that
account's device while no other domain's alice is known, even on a server whose logins
name b.example too: the address that logs in as alice before and after is alice's.
"""

from __future__ import annotations

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Verdict, analyze
from mailwarden.report import ReadSummary
from mailwarden.report.text import headline

CAROL = "carol@example.org"
WALKED = "2001:db8:77:1::"
"""The attacker's /64."""
HOME = "2001:db8:5:7::"
"""carol's home /64 (the trap): her laptop and her phone."""
SUMMARY = ReadSummary(inputs=("mail.log",), files=1, lines=100, seconds=0.1, events=100)


def walk(log: Log, prefix: str, addresses: int = 8, start: float = HOUR) -> float:
    """A new address of ``prefix`` every 20 to 40 minutes, two guesses on carol's account
    from each, five minutes apart; returns when the last address stopped."""
    t = start
    for n in range(addresses):
        ip = f"{prefix}{0xA0 + n:x}"
        log.dovecot_failure(t, ip, CAROL)
        log.dovecot_failure(t + 5 * MINUTE, ip, CAROL)
        last = t + 5 * MINUTE
        t += (20 + 10 * (n % 3)) * MINUTE
    return last


def test_a_login_from_a_64_that_walked_its_addresses_guessing_the_account_got_in() -> None:
    log = Log()
    last = walk(log, WALKED)
    log.dovecot_login(last + 30 * MINUTE, f"{WALKED}beef", CAROL)  # an address of its own
    analysis = analyze(log.events)
    (compromise,) = analysis.compromised
    assert compromise.user == CAROL and compromise.ip == f"{WALKED}beef"
    assert compromise.by_others  # a Maybe: ask the owner
    assert compromise.failures_before == 16
    assert "from this client's network 2001:db8:77:1::/64" in compromise.reason
    assert f"{WALKED}a7" in compromise.reason  # the latest guessing address is named
    # The evidence shows a guess of the /64 besides the login.
    texts = [event.record.text for event in compromise.evidence]
    assert any("auth failed" in text and f"rip={WALKED}a" in text for text in texts)
    assert any("Login:" in text and f"rip={WALKED}beef" in text for text in texts)
    top, _ = headline(analysis, SUMMARY)
    assert top.startswith(f"Maybe someone got in: {CAROL} was logged into from {WALKED}beef")
    # The network's guessing stays banned; the login is watched.
    members = [a for a in analysis.attackers if a.verdict is Verdict.NETWORK_MEMBER]
    assert len(members) == 8 and all(a.recommendation == "ban" for a in members)
    login = analysis.attacker(f"{WALKED}beef")
    assert login is not None and login.verdict is Verdict.COMPROMISED


def test_a_login_from_the_latest_guessing_address_itself_got_in_too() -> None:
    log = Log()
    last = walk(log, WALKED)
    log.dovecot_failure(last + 30 * MINUTE, f"{WALKED}c1", CAROL)  # the next address
    log.dovecot_login(last + 31 * MINUTE, f"{WALKED}c1", CAROL)  # and the guess that worked
    (compromise,) = analyze(log.events).compromised
    assert compromise.ip == f"{WALKED}c1" and compromise.failures_before == 17


def test_the_owners_own_64_stays_a_stale_device_beside_a_walked_64() -> None:
    """The trap, in the same log as the attacker: carol's laptop logs in from her /64,
    then her phone with the old password fails from eight of its addresses, one after
    another, and her laptop logs in again from a new address: one device with an old
    password, never a break-in. A household's four devices failing once each before a
    login from one of them is no break-in either."""
    log = Log()
    log.dovecot_login(0, f"{HOME}1e", CAROL)  # the laptop, this morning
    last = walk(log, WALKED)
    walk(log, HOME)  # the phone's failures, address after address
    log.dovecot_login(last + 30 * MINUTE, f"{WALKED}beef", CAROL)
    log.dovecot_login(last + 40 * MINUTE, f"{HOME}2f", CAROL)  # the laptop again
    household = "2001:db8:1:2::"
    for n, device in enumerate(("a1", "b2", "c3", "d4")):
        log.dovecot_failure(n * 5 * MINUTE, f"{household}{device}", "dave@example.org")
    log.dovecot_login(20 * MINUTE, f"{household}a1", "dave@example.org")
    analysis = analyze(log.events)
    assert [(c.ip, c.user) for c in analysis.compromised] == [(f"{WALKED}beef", CAROL)]
    (device,) = analysis.findings_of("stale_password")
    assert device.subject == "2001:db8:5:7::/64" and device.data["users"] == [CAROL]
    assert device.data["member_count"] == 8 and device.data["failures"] == 16
    for attacker in analysis.attackers:
        if attacker.ip.startswith(HOME) or attacker.ip.startswith(household):
            assert attacker.recommendation != "ban", attacker


def test_a_bare_name_logins_failures_with_the_default_realm_stay_its_device() -> None:
    # Logins name two domains (carol@b.example, dave@a.example); alice logs in as
    # "alice" and her phone then fails as alice@a.example from the same address every
    # five minutes, and she logs in again. No other alice is known: her device, no ban
    # (a review found this banned, and explain saying an attacker got in).
    log = Log()
    log.dovecot_login(HOUR, "198.51.100.40", "carol@b.example")
    log.dovecot_login(HOUR + 5 * MINUTE, "198.51.100.41", "dave@a.example")
    log.dovecot_login(2 * HOUR, "198.51.100.7", "alice")
    for n in range(8):
        log.dovecot_failure(2 * HOUR + (10 + 5 * n) * MINUTE, "198.51.100.7", "alice@a.example")
    log.dovecot_login(3 * HOUR, "198.51.100.7", "alice")
    analysis = analyze(log.events)
    assert not analysis.compromised
    (device,) = [a for a in analysis.attackers if a.ip == "198.51.100.7"]
    assert device.verdict is Verdict.STALE_PASSWORD
    assert device.stale_failures == 8 and device.failures == 0
    assert not device.recommendation.startswith("ban")
