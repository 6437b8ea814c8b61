"""Real users' phones with an old password moving through a mobile carrier's pool of
IPv4 addresses (one /24): each address tries its owner's account alone, once or twice.

Found by review: alice's phone failing from six addresses of one /24 over three hours
was banned, every address, as a "spraying campaign" (addresses of one /24 linked on
alice); alice's and bob's phones failing together from one /24 got the /24 banned as a
slow brute force. An attacker rotating through a /24 with a list of accounts, or with
accounts nobody has, is still caught."""

from __future__ import annotations

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import analyze
from mailwarden.detect.analysis import Analysis

POOL = "203.0.113."


def banned(analysis: Analysis) -> set[str]:
    """What the report says to ban: clients and networks."""
    clients = {a.ip for a in analysis.attackers if a.recommendation == "ban"}
    networks = {
        f.subject for f in analysis.findings_of("network") if f.data["recommendation"] == "ban"
    }
    return clients | networks


def phone(log: Log, account: str, first: float = HOUR) -> None:
    """Seven failures as ``account`` from six addresses of the pool over three hours."""
    for n, (host, at) in enumerate(
        ((20, 0), (21, 30), (22, 60), (23, 90), (24, 120), (25, 150), (25, 165))
    ):
        log.sasl_failure(first + at * MINUTE, f"{POOL}{host}", account, pid=100 + n)


def test_a_users_phone_on_a_carriers_pool_is_no_spraying_campaign() -> None:
    for home in ("198.51.100.99", f"{POOL}19"):  # her login from elsewhere, or the pool
        log = Log()
        log.dovecot_login(0, home, "alice@example.com")
        phone(log, "alice@example.com")
        analysis = analyze(log.events)
        assert analysis.findings_of("spray") == [], home
        assert banned(analysis) == set(), home


def test_a_rotating_attacker_on_a_name_nobody_has_is_still_a_campaign() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.99", "alice@example.com")
    phone(log, "admin@example.com")
    analysis = analyze(log.events)
    members = {ip for f in analysis.findings_of("spray") for ip in f.data["members"]}
    assert members == {f"{POOL}{host}" for host in range(20, 26)}
    assert {f"{POOL}{host}" for host in range(20, 26)} <= banned(analysis)


def test_a_rotating_attacker_with_a_list_of_real_accounts_is_still_a_campaign() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.99", "alice@example.com")
    log.dovecot_login(1, "198.51.100.98", "bob@example.com")
    for n, host in enumerate(range(20, 26)):
        at = HOUR + n * 30 * MINUTE
        log.sasl_failure(at, f"{POOL}{host}", "alice@example.com")
        log.sasl_failure(at + MINUTE, f"{POOL}{host}", "bob@example.com")
    analysis = analyze(log.events)
    members = {ip for f in analysis.findings_of("spray") for ip in f.data["members"]}
    assert members == {f"{POOL}{host}" for host in range(20, 26)}


def two_phones(log: Log, accounts: tuple[str, str]) -> None:
    """Two phones failing every 45 minutes for nine hours, each moving to another
    address of the pool every three hours (the second half-way through the first's)."""
    for m in range(60, 600, 45):
        log.sasl_failure(m * MINUTE, f"{POOL}{20 + m // 180}", accounts[0])
        log.sasl_failure((m + 7) * MINUTE, f"{POOL}{30 + (m + 90) // 180}", accounts[1])


def test_two_users_phones_on_one_pool_do_not_get_the_24_banned() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.99", "alice@example.com")
    log.dovecot_login(1, "198.51.100.98", "bob@example.com")
    two_phones(log, ("alice@example.com", "bob@example.com"))
    assert banned(analyze(log.events)) == set()


def test_the_same_rotation_on_names_nobody_has_is_the_24_guessing() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.99", "alice@example.com")
    log.dovecot_login(1, "198.51.100.98", "bob@example.com")
    two_phones(log, ("admin@example.com", "info@example.com"))
    assert f"{POOL}0/24" in banned(analyze(log.events))
