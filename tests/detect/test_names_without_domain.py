"""A login name without its domain is the same account as the full address (``alice``
and alice@example.com, as :mod:`mailwarden.detect.accounts` compares names) for the
owner, typo and stale-password rules; two domains stay two accounts. A person behind a
shared address who mistypes their own name and logs in a moment later is no
enumeration, but an address that also guesses other names is still caught. A device's
stale-password finding counts that device's failures only."""

from __future__ import annotations

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Verdict, analyze
from mailwarden.detect.accounts import Accounts

PHONE = "198.51.100.88"
OFFICE = "198.51.100.10"
PEOPLE = ["mia", "noah", "liam", "emma", "olivia", "lucas", "sofia", "ella", "jack", "zoe"]


def test_failures_without_the_domain_of_an_account_logged_in_as_are_a_stale_device() -> None:
    log = Log()
    log.dovecot_login(0, PHONE, "alice@example.com")
    for n in range(6):
        log.sasl_failure(2 * HOUR + n * 10 * MINUTE, PHONE, "alice")
    analysis = analyze(log.events)
    attacker = analysis.attacker(PHONE)
    assert attacker is not None
    assert attacker.verdict is Verdict.STALE_PASSWORD and attacker.recommendation != "ban"
    [finding] = analysis.findings_of("stale_password")
    assert finding.data["users"] == ["alice@example.com"] and finding.data["failures"] == 6


def test_failures_with_the_domain_of_a_login_without_it_are_a_stale_device() -> None:
    log = Log()
    log.dovecot_login(0, PHONE, "alice")
    for n in range(6):
        log.sasl_failure(2 * HOUR + n * 10 * MINUTE, PHONE, "alice@example.com")
    attacker = analyze(log.events).attacker(PHONE)
    assert attacker is not None
    assert attacker.verdict is Verdict.STALE_PASSWORD and attacker.recommendation != "ban"

    # The same name at another domain is another account: guessing.
    log = Log()
    log.dovecot_login(0, PHONE, "alice@a.example")
    for n in range(6):
        log.sasl_failure(2 * HOUR + n * 10 * MINUTE, PHONE, "alice@b.example")
    analysis = analyze(log.events)
    attacker = analysis.attacker(PHONE)
    assert attacker is not None
    assert attacker.verdict is Verdict.SLOW_BRUTEFORCE and attacker.recommendation == "ban"
    assert analysis.findings_of("stale_password") == []


def office(log: Log, first_logins: bool = True) -> None:
    """Ten people log in through the office's address in the morning."""
    if first_logins:
        for n, name in enumerate(PEOPLE):
            log.dovecot_login(n * 2 * MINUTE, OFFICE, f"{name}@example.com")


def test_people_who_forget_the_domain_then_log_in_are_no_enumeration() -> None:
    for first_logins in (True, False):
        log = Log()
        office(log, first_logins)
        for n, name in enumerate(PEOPLE[:5]):
            t = 2 * HOUR + n * 40 * MINUTE
            log.dovecot_failure(t, OFFICE, name)
            log.dovecot_login(t + 20, OFFICE, f"{name}@example.com")
        analysis = analyze(log.events)
        assert analysis.attacker(OFFICE) is None, first_logins


def test_people_who_misspell_their_names_then_log_in_are_no_enumeration() -> None:
    log = Log()
    office(log)
    typos = [("mai@example.com", "mia"), ("naoh@example.com", "noah")]
    typos += [("lima@example.com", "liam"), ("emma@exmaple.com", "emma"), ("olvia", "olivia")]
    for n, (typo, name) in enumerate(typos):
        t = 2 * HOUR + n * 40 * MINUTE
        log.dovecot_failure(t, OFFICE, typo)
        log.dovecot_login(t + 20, OFFICE, f"{name}@example.com")
    assert analyze(log.events).attacker(OFFICE) is None

    # A bot guessing mai@example.com: a name near a person's own, tried often, is no typo.
    for n in range(8):
        log.dovecot_failure(8 * HOUR + n * 60, OFFICE, "mai@example.com")
    log.dovecot_login(8 * HOUR + 9 * 60, OFFICE, "mia@example.com")
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and attacker.recommendation == "ban"
    assert attacker.failures == 8


def test_an_office_address_that_also_guesses_other_names_is_caught() -> None:
    log = Log()
    office(log)
    for n, name in enumerate(PEOPLE[:4]):
        t = 2 * HOUR + n * 40 * MINUTE
        log.dovecot_failure(t, OFFICE, name)
        log.dovecot_login(t + 20, OFFICE, f"{name}@example.com")
        # a bot behind the same address, between the people's logins
        log.dovecot_failure(t + 10, OFFICE, ["admin", "info", "sales", "office"][n])
    attacker = analyze(log.events).attacker(OFFICE)
    assert attacker is not None and Verdict.ENUMERATION in attacker.verdicts
    assert attacker.recommendation == "ban"
    assert attacker.failures == 4  # the bot's guesses; the people's typos are no guesses
    assert {"admin", "info", "sales", "office"} <= set(attacker.users)


def test_a_stale_device_finding_counts_only_that_devices_failures() -> None:
    # A family's address: bob and carol each mistype once and log in; alice's old
    # phone fails five times.
    home = "198.51.100.120"
    log = Log()
    for n, name in enumerate(["alice", "bob", "carol"]):
        log.dovecot_login(n * MINUTE, home, f"{name}@example.com")
    for n, name in enumerate(["carol", "bob"]):
        log.dovecot_failure(HOUR + n * 10 * MINUTE, home, f"{name}@example.com")
        log.dovecot_login(HOUR + n * 10 * MINUTE + 30, home, f"{name}@example.com")
    for n in range(5):
        log.dovecot_failure(3 * HOUR + n * 10 * MINUTE, home, "alice@example.com")
    analysis = analyze(log.events)
    [finding] = analysis.findings_of("stale_password")
    assert finding.data["users"] == ["alice@example.com"]
    assert finding.data["failures"] == 5
    attacker = analysis.attacker(home)
    assert attacker is not None and attacker.reasons[0].startswith("5 failed logins with")


def test_unnamed_failures_where_one_owner_logs_in_by_both_names_are_a_device() -> None:
    # An old Postfix names no account in its failures; alice's IMAP logs in with her
    # full address, her phone's SMTP without the domain: one owner, one device.
    home = "203.0.113.45"
    log = Log()
    log.dovecot_login(0, home, "alice@example.com")
    log.queued_login(MINUTE, home, "alice")
    for n in range(24):
        log.sasl_failure(HOUR + n * 5 * MINUTE, home, None, mechanism="LOGIN")
    analysis = analyze(log.events)
    attacker = analysis.attacker(home)
    assert attacker is not None and attacker.verdict is Verdict.STALE_PASSWORD
    [finding] = analysis.findings_of("stale_password")
    assert finding.data["users"] == ["alice@example.com"] and finding.data["unnamed"] is True
    # alice at two domains is two people: whose device, the log cannot tell.
    log = Log()
    log.dovecot_login(0, home, "alice@a.example")
    log.queued_login(MINUTE, home, "alice@b.example")
    for n in range(24):
        log.sasl_failure(HOUR + n * 5 * MINUTE, home, None, mechanism="LOGIN")
    attacker = analyze(log.events).attacker(home)
    assert attacker is not None and attacker.recommendation == "ban"


def test_a_login_with_the_domain_after_one_without_it_is_the_same_owner() -> None:
    # alice's phone logs in without the domain; at her laptop she mistypes her password
    # three times within a minute, with the domain, then gets it right: no break-in.
    home = "203.0.113.46"
    log = Log()
    log.queued_login(0, home, "alice")
    for n in range(3):
        log.dovecot_failure(HOUR + n * 15, home, "alice@example.com")
    log.dovecot_login(HOUR + MINUTE, home, "alice@example.com")
    analysis = analyze(log.events)
    assert analysis.compromised == ()
    attacker = analysis.attacker(home)
    assert attacker is None or attacker.recommendation != "ban"
    # A bot behind her address guessing other names, then her login with the domain: no
    # break-in either, as with the same name twice; the bot's guessing still counts.
    for later in ("alice", "alice@example.com"):
        log = Log()
        log.queued_login(0, home, "alice")
        for n, name in enumerate(["admin", "info", "test", "sales", "office"]):
            log.dovecot_failure(HOUR + n * MINUTE, home, name)
        log.dovecot_login(2 * HOUR, home, later)
        analysis = analyze(log.events)
        assert analysis.compromised == (), later
        attacker = analysis.attacker(home)
        assert attacker is not None and Verdict.ENUMERATION in attacker.verdicts


NAT = "203.0.113.10"


def polling_owner_and_guesses(log: Log, names: list[str]) -> None:
    """bob's phone logs in through a NAT every 5 minutes for three hours; between its
    logins, something behind the same address tries each of ``names`` once."""
    for n in range(36):
        t = 9 * HOUR + n * 5 * MINUTE
        log.dovecot_login(t, NAT, "bob@example.com")
        for i, name in enumerate(names):
            log.dovecot_failure(t + 11 + i * 80, NAT, name)


def test_names_near_an_owners_are_still_guessing_when_tried_between_its_logins() -> None:
    names = ["tom@example.com", "rob@example.com", "bobby@example.com"]
    for accounts in (None, Accounts(["bob@example.com", *names])):
        log = Log()
        polling_owner_and_guesses(log, names)
        analysis = analyze(log.events, accounts=accounts)
        attacker = analysis.attacker(NAT)
        assert attacker is not None and attacker.recommendation == "ban", accounts
        assert Verdict.SLOW_BRUTEFORCE in attacker.verdicts
        assert set(names) <= set(attacker.users)
        assert attacker.failures >= 100  # rob@ (bob's name a letter off) may be a typo once

    # One name only, a letter off bob's: a typo is not excused at every login.
    for name in ("tom@example.com", "rob@example.com"):
        log = Log()
        polling_owner_and_guesses(log, [name])
        attacker = analyze(log.events).attacker(NAT)
        assert attacker is not None and attacker.recommendation == "ban", name
        assert attacker.users == (name,)


def test_a_login_as_a_name_guessed_behind_an_owners_address_is_a_break_in() -> None:
    log = Log()
    polling_owner_and_guesses(log, ["tom@example.com", "rob@example.com", "bobby@example.com"])
    log.dovecot_login(11 * HOUR + 59 * MINUTE + 50, "198.51.100.200", "tom@example.com")
    analysis = analyze(log.events)
    [compromise] = analysis.compromised
    assert compromise.user == "tom@example.com" and compromise.ip == "198.51.100.200"
    assert compromise.failures_before >= 10


def test_the_same_name_at_another_domain_guessed_between_logins_is_guessing() -> None:
    log = Log()
    for n in range(36):
        t = 9 * HOUR + n * 5 * MINUTE
        log.dovecot_login(t, NAT, "alice@a.example")
        log.dovecot_failure(t + 3 * MINUTE, NAT, "alice@b.example")
    attacker = analyze(log.events).attacker(NAT)
    assert attacker is not None and attacker.recommendation == "ban"
    assert attacker.users == ("alice@b.example",) and attacker.failures == 36


def test_a_login_without_the_domain_is_not_every_domains_owner() -> None:
    # alice@a.example is the alice that logs in; alice@b.example is someone else's.
    for known in ("login", "users"):
        log = Log()
        accounts = None
        if known == "login":
            log.dovecot_login(8 * HOUR, "198.51.100.7", "alice@a.example")
        else:
            accounts = Accounts(["alice@a.example", "alice@b.example", "bob@a.example"])
        log.dovecot_login(9 * HOUR, NAT, "alice")
        for n in range(60):
            log.dovecot_failure(9 * HOUR + MINUTE + n * 2 * MINUTE, NAT, "alice@b.example")
        analysis = analyze(log.events, accounts=accounts)
        attacker = analysis.attacker(NAT)
        assert attacker is not None and attacker.recommendation == "ban", known
        assert attacker.verdict is Verdict.SLOW_BRUTEFORCE and attacker.failures == 60
        assert analysis.findings_of("stale_password") == []


def test_a_burst_judged_before_a_login_as_a_near_name_keeps_its_tries() -> None:
    log = Log()
    for n in range(3):
        log.dovecot_failure(9 * HOUR + 1 + n * 20, "192.0.2.88", "carlo@example.com")
    log.dovecot_login(9 * HOUR + 5 * MINUTE, "192.0.2.88", "carol@example.com")
    attacker = analyze(log.events).attacker("192.0.2.88")
    assert attacker is not None and attacker.recommendation == "ban"
    assert attacker.failures == 3 and attacker.users == ("carlo@example.com",)
