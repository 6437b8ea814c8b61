"""The detector's verdicts, as a mail administrator would see them in the analysis."""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
from datetime import timedelta

from detect_factory import DAY, HOUR, MINUTE, Log

from mailwarden.config import PolicyConfig
from mailwarden.detect import Accounts, Detector, Verdict, analyze
from mailwarden.detect.analysis import Analysis
from mailwarden.model import Action


def run(log: Log, policy: PolicyConfig | None = None, accounts: Accounts | None = None) -> Analysis:
    return analyze(log.events, policy, accounts)


def ips(analysis: Analysis) -> set[str]:
    return {a.ip for a in analysis.attackers}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# -- brute force -------------------------------------------------------------------------


def test_three_sasl_failures_in_three_seconds_is_a_brute_force_to_ban() -> None:
    log = Log()
    for t in range(3):
        log.sasl_failure(
            t, "203.0.113.42", pid=26897, mechanism="LOGIN", reason="authentication failure"
        )
    attacker = run(log).attacker("203.0.113.42")
    assert attacker is not None
    assert attacker.verdict is Verdict.BRUTEFORCE
    assert attacker.failures == 3
    assert attacker.recommendation == "ban"
    assert attacker.reasons[0].startswith("3 or more failed logins within 1m")


def test_four_failures_ten_minutes_apart_is_a_slow_brute_force() -> None:
    log = Log()
    for n in range(4):
        log.dovecot_failure(n * 10 * MINUTE, "192.0.2.1", "admin@example.com")
    attacker = run(log).attacker("192.0.2.1")
    assert attacker is not None
    assert attacker.verdict is Verdict.SLOW_BRUTEFORCE
    assert attacker.recommendation == "ban"


def test_four_failures_thirty_minutes_apart_with_different_users_is_enumeration_too() -> None:
    log = Log()
    for n, user in enumerate(["admin", "info", "webmaster", "test"]):
        log.dovecot_failure(n * 30 * MINUTE, "198.51.100.1", f"{user}@example.com")
    attacker = run(log).attacker("198.51.100.1")
    assert attacker is not None
    assert set(attacker.verdicts) >= {Verdict.ENUMERATION, Verdict.SLOW_BRUTEFORCE}
    assert attacker.users == (
        "admin@example.com",
        "info@example.com",
        "test@example.com",
        "webmaster@example.com",
    )


def test_one_guess_every_two_and_a_half_hours_is_caught_over_the_day() -> None:
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 2.5 * HOUR, "198.51.100.77", "alice@example.com")
    attacker = run(log).attacker("198.51.100.77")
    assert attacker is not None
    assert attacker.verdict is Verdict.SLOW_BRUTEFORCE
    assert "1d" in attacker.reasons[0]


def test_the_daemon_hears_of_a_brute_force_the_moment_it_crosses_and_once() -> None:
    log = Log()
    for t in range(6):
        log.sasl_failure(t, "203.0.113.42", "alice@example.com", pid=900)
    log.sasl_failure(2 * HOUR, "203.0.113.42", "alice@example.com", pid=901)
    log.sasl_failure(2 * HOUR + 1, "203.0.113.42", "alice@example.com", pid=901)
    detector = Detector(keep_history=False)
    seen = [[d.verdict for d in detector.feed(e)] for e in log.events]
    assert seen[:6] == [[], [], [Verdict.BRUTEFORCE], [], [], []]
    # The ban (1h) ran out and it is still guessing: the daemon hears again, once.
    assert seen[6:] == [[Verdict.SLOW_BRUTEFORCE], []]


def test_a_detection_becomes_a_ban_of_the_address() -> None:
    log = Log()
    for t in range(3):
        log.sasl_failure(t, "2001:db8:5::9", "alice@example.com")
    detector = Detector()
    (detection,) = [d for e in log.events for d in detector.feed(e)]
    decision = detection.decision(timedelta(hours=1))
    assert decision is not None
    assert decision.action is Action.BAN
    assert decision.target == ipaddress.ip_network("2001:db8:5::9/128")
    assert decision.finding is not None and decision.finding.evidence


# -- not attacks --------------------------------------------------------------------------


def test_a_real_users_one_or_two_typos_are_not_an_attack() -> None:
    log = Log()
    log.sasl_failure(0, "198.51.100.20", "alice@example.com")
    log.sasl_failure(40, "198.51.100.20", "alice@example.com")
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.compromised == ()


def test_typos_then_a_successful_login_is_the_owner_not_a_compromise() -> None:
    log = Log()
    log.sasl_failure(0, "198.51.100.20", "alice@example.com")
    log.sasl_failure(40, "198.51.100.20", "alice@example.com")
    log.queued_login(90, "198.51.100.20", "alice@example.com")
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.compromised == ()


def test_a_phone_with_a_stale_password_is_reported_and_never_banned() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.30", "bob@example.com")
    for n in range(12):  # polls every 5 minutes with the old password
        log.dovecot_failure(HOUR + n * 5 * MINUTE, "198.51.100.30", "bob@example.com")
    analysis = run(log)
    attacker = analysis.attacker("198.51.100.30")
    assert attacker is not None
    assert attacker.verdict is Verdict.STALE_PASSWORD
    assert attacker.recommendation == "none (stale password of a real user)"
    assert attacker.failures == 0 and attacker.stale_failures == 12
    (finding,) = analysis.findings_of("stale_password")
    assert finding.data["users"] == ["bob@example.com"]
    assert analysis.compromised == ()


def test_the_daemon_never_bans_a_stale_password() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.30", "bob@example.com")
    for n in range(12):
        log.dovecot_failure(HOUR + n * 5, "198.51.100.30", "bob@example.com")
    detector = Detector(keep_history=False)
    assert [d for e in log.events for d in detector.feed(e)] == []


def test_a_known_users_single_typo_is_reported_as_nothing() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.73", "laura@example.com")
    log.dovecot_failure(9 * HOUR, "198.51.100.73", "laura@example.com")  # one typo
    log.dovecot_login(9 * HOUR + 20, "198.51.100.73", "laura@example.com")
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.findings_of("stale_password") == []  # not "a device with an old password"
    assert analysis.compromised == ()


def test_three_failures_on_the_account_it_logged_in_as_are_a_stale_device() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.30", "bob@example.com")
    for n in range(3):
        log.dovecot_failure(HOUR + n * 5 * MINUTE, "198.51.100.30", "bob@example.com")
    analysis = run(log)
    (finding,) = analysis.findings_of("stale_password")
    assert finding.subject == "198.51.100.30" and finding.data["failures"] == 3
    attacker = analysis.attacker("198.51.100.30")
    assert attacker is not None and attacker.verdict is Verdict.STALE_PASSWORD
    assert attacker.recommendation == "none (stale password of a real user)"


def test_a_typo_now_and_then_over_days_is_no_stale_device() -> None:
    log = Log()
    for day in range(1, 4):  # one typo a day, each followed by the right password
        log.dovecot_login(day * DAY - HOUR, "198.51.100.73", "laura@example.com")
        log.dovecot_failure(day * DAY + day * HOUR, "198.51.100.73", "laura@example.com")
        log.dovecot_login(day * DAY + day * HOUR + 20, "198.51.100.73", "laura@example.com")
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.findings_of("stale_password") == []


def test_typos_of_several_people_behind_one_office_address_are_no_stale_device() -> None:
    log = Log()
    office = "198.51.100.10"
    for n, name in enumerate(["alice", "bob", "carol"]):
        log.dovecot_login(n * MINUTE, office, f"{name}@example.com")
    for n, name in enumerate(["alice", "bob", "alice", "carol"]):
        log.dovecot_failure(HOUR + n * 10 * MINUTE, office, f"{name}@example.com")
        log.dovecot_login(HOUR + n * 10 * MINUTE + 15, office, f"{name}@example.com")
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.findings_of("stale_password") == []


def test_a_stale_password_on_another_ipv6_address_of_the_same_64_is_still_stale() -> None:
    log = Log()
    log.dovecot_login(0, "2001:db8:77:1::a", "bob@example.com")
    for n in range(6):
        log.dovecot_failure(HOUR + n * MINUTE, f"2001:db8:77:1::{n + 1:x}b", "bob@example.com")
    analysis = run(log)
    assert all(a.recommendation != "ban" for a in analysis.attackers)


def test_a_single_lost_connection_to_the_auth_server_is_an_outage() -> None:
    log = Log()
    log.unavailable(0, "198.51.100.40")
    analysis = run(log)
    assert analysis.attackers == ()
    (finding,) = analysis.findings_of("auth_unavailable")
    assert finding.data["failures"] == 1


def test_lost_connection_to_the_auth_server_during_a_burst_counts_as_a_guess() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.50", "root")
    log.sasl_failure(4, "203.0.113.50", "root")
    log.unavailable(16, "203.0.113.50")
    log.unavailable(28, "203.0.113.50")
    analysis = run(log)
    attacker = analysis.attacker("203.0.113.50")
    assert attacker is not None
    assert attacker.failures == 4
    assert attacker.verdict is Verdict.BRUTEFORCE
    assert analysis.findings_of("auth_unavailable") == []


def test_lost_connection_between_two_guesses_counts_as_a_guess() -> None:
    log = Log()
    log.sasl_failure(3, "203.0.113.91", "vera@example.com")
    log.unavailable(25, "203.0.113.91")
    log.sasl_failure(43, "203.0.113.91", "vera@example.com")
    analysis = run(log)
    attacker = analysis.attacker("203.0.113.91")
    assert attacker is not None and attacker.failures == 3
    assert attacker.verdict is Verdict.BRUTEFORCE
    assert analysis.findings_of("auth_unavailable") == []


def test_lost_connection_before_a_burst_counts_as_a_guess() -> None:
    log = Log()
    log.unavailable(0, "203.0.113.92")
    log.sasl_failure(20, "203.0.113.92", "vera@example.com")
    log.sasl_failure(40, "203.0.113.92", "vera@example.com")
    attacker = run(log).attacker("203.0.113.92")
    assert attacker is not None and attacker.failures == 3


def test_lost_connection_with_guessing_only_long_after_it_stays_an_outage() -> None:
    log = Log()
    log.unavailable(0, "198.51.100.41")
    log.sasl_failure(HOUR, "198.51.100.41", "vera@example.com")
    log.sasl_failure(HOUR + 20, "198.51.100.41", "vera@example.com")
    analysis = run(log)
    (finding,) = analysis.findings_of("auth_unavailable")
    assert finding.data["failures"] == 1
    attacker = analysis.attacker("198.51.100.41")
    assert attacker is None or attacker.failures == 2


def test_lost_connection_after_auth_is_not_a_second_attempt() -> None:
    log = Log()
    for n in range(2):
        pid = 7000 + n
        log.connect(n * 30, "198.51.100.60", pid)
        log.sasl_failure(n * 30 + 1, "198.51.100.60", "carol@example.com", pid=pid)
        log.lost_after_auth(n * 30 + 2, "198.51.100.60", pid)
        log.disconnect(n * 30 + 2, "198.51.100.60", pid, failed=1)
    analysis = run(log)
    assert analysis.attackers == ()  # two typos, not four guesses


def test_allow_listed_and_loopback_clients_are_never_recommended_for_a_ban() -> None:
    log = Log()
    for t in range(5):
        log.sasl_failure(t, "198.51.100.70", f"user{t}@example.com")
        log.sasl_failure(t, "127.0.0.1", f"user{t}@example.com")
        log.sasl_failure(t, "::1", f"user{t}@example.com")
    policy = PolicyConfig(allow=(ipaddress.ip_network("198.51.100.64/26"),))
    analysis = run(log, policy)
    assert ips(analysis) == {"198.51.100.70", "127.0.0.1", "::1"}
    recommendations = {a.ip: a.recommendation for a in analysis.attackers}
    assert recommendations == {
        "198.51.100.70": "none (allow-listed)",
        "127.0.0.1": "none (this machine)",  # whatever the allow list says
        "::1": "none (this machine)",
    }
    detector = Detector(policy)
    detections = [d for e in log.events for d in detector.feed(e)]
    assert detections and all(d.decision() is None for d in detections)


def test_the_servers_own_address_is_never_recommended_for_a_ban() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.5", "x@example.com")  # teaches lip=192.0.2.254
    for t in range(5):
        log.sasl_failure(10 + t, "192.0.2.254", f"user{t}@example.com")
    attacker = run(log).attacker("192.0.2.254")
    assert attacker is not None and attacker.recommendation == "none (this machine)"


def test_an_address_inside_a_username_never_becomes_an_attacker() -> None:
    log = Log()
    for t in range(6):
        log.sasl_failure(t, "203.0.113.66", "unknown[192.0.2.98]")
        log.dovecot_failure(t, "203.0.113.67", "x, rip=192.0.2.99")
        log.sasl_failure(t, "203.0.113.68", "a, sasl_username=198.51.100.9")
    analysis = run(log)
    assert ips(analysis) == {"203.0.113.66", "203.0.113.67", "203.0.113.68"}
    for finding in analysis.findings:
        assert "192.0.2.98" not in finding.subject and "192.0.2.99" not in finding.subject


# -- networks and campaigns ---------------------------------------------------------------


def test_many_addresses_of_one_network_with_one_failure_each_are_one_attacker() -> None:
    log = Log()
    names = ["postmaster", "admin", "test", "support", "teste", "billing", "monitor", "nobody1"]
    for n, name in enumerate(names):
        log.sasl_failure(n * 5 * MINUTE, f"203.0.113.{(n + 1) * 10}", f"{name}@example.org")
    analysis = run(log)
    assert ips(analysis) == {f"203.0.113.{(n + 1) * 10}" for n in range(8)}
    assert {a.network for a in analysis.attackers} == {"203.0.113.0/24"}
    assert {a.recommendation for a in analysis.attackers} == {"ban"}
    (finding,) = analysis.findings_of("network")
    assert finding.subject == "203.0.113.0/24" and finding.data["member_count"] == 8


def test_the_daemon_bans_the_network() -> None:
    log = Log()
    for n in range(4):
        log.sasl_failure(n * MINUTE, f"2001:db8:1:2::{n + 1}", f"user{n}@example.org")
    detector = Detector(keep_history=False)
    targets = {str(d.target) for e in log.events for d in detector.feed(e)}
    assert "2001:db8:1:2::/64" in targets


def test_three_addresses_of_a_network_or_people_who_then_log_in_are_no_network_attack() -> None:
    log = Log()
    people = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    for n, name in enumerate(people[:3]):
        log.sasl_failure(n * MINUTE, f"198.51.100.{n + 1}", f"{name}@example.com")
    for n, name in enumerate(people[3:], 3):  # customers of one provider: typo, then login
        log.sasl_failure(n * MINUTE, f"198.51.100.{n + 1}", f"{name}@example.com")
        log.queued_login(n * MINUTE + 30, f"198.51.100.{n + 1}", f"{name}@example.com")
    assert run(log).attackers == ()


def test_a_network_a_real_user_logs_in_from_is_never_banned_as_a_whole() -> None:
    # alice reads her mail from 198.51.100.10; five other addresses of that /24 fail
    # once each. Banning the /24 would lock her out: its addresses are judged one by one.
    log = Log()
    log.dovecot_login(0, "198.51.100.10", "alice@example.com")
    for n in range(5):
        log.sasl_failure(MINUTE + n * MINUTE, f"198.51.100.{20 + n}", f"user{n}@example.com")
    analysis = run(log)
    assert analysis.findings_of("network") == []
    assert all(a.network is None for a in analysis.attackers)
    detector = Detector(keep_history=False)
    targets = {str(d.target) for e in log.events for d in detector.feed(e)}
    assert "198.51.100.0/24" not in targets


def test_password_spraying_across_networks_is_one_campaign() -> None:
    log = Log()
    clients = [
        f"{net}.{host}" for net, host in [("192.0.2", 7), ("198.51.100", 8), ("203.0.113", 9)]
    ] + ["2001:db8:a::1", "2001:db8:b::1", "2001:db8:c::1"]
    for n, ip in enumerate(clients):
        log.sasl_failure(n * 20 * MINUTE, ip, "alice@example.com")
        log.sasl_failure(n * 20 * MINUTE + 5 * MINUTE, ip, "bob@example.com")
    analysis = run(log)
    assert ips(analysis) == set(clients)
    assert {a.verdict for a in analysis.attackers} == {Verdict.SPRAY_MEMBER}
    assert all(a.failures == 2 for a in analysis.attackers)  # each below the thresholds
    (finding,) = analysis.findings_of("spray")
    assert sorted(finding.data["members"]) == sorted(clients)
    assert sorted(finding.data["targets"]) == ["alice@example.com", "bob@example.com"]


def test_clients_sharing_an_account_list_form_one_campaign() -> None:
    log = Log()
    accounts = ["a", "b", "c", "d", "e"]
    clients = ["192.0.2.1", "198.51.100.2", "203.0.113.3", "2001:db8:d::4", "2001:db8:e::5"]
    for n, ip in enumerate(clients):
        for user in (accounts[n], accounts[(n + 1) % 5]):
            log.sasl_failure(n * HOUR, ip, f"{user}@example.com")
    analysis = run(log)
    (finding,) = analysis.findings_of("spray")
    assert finding.data["member_count"] == 5
    assert finding.data["target_count"] == 5


def test_spraying_a_few_accounts_is_no_enumeration() -> None:
    log = Log()
    clients = ["192.0.2.7", "198.51.100.8", "203.0.113.9", "2001:db8:a::1", "2001:db8:b::1"]
    for n, ip in enumerate(clients):
        log.sasl_failure(n * 20 * MINUTE, ip, "alice@example.com")
        log.sasl_failure(n * 20 * MINUTE + 5 * MINUTE, ip, "bob@example.com")
    analysis = run(log)
    (finding,) = analysis.findings_of("spray")
    assert finding.data["usernames"] == 2 and finding.data["enumeration"] is False
    assert analysis.findings_of("enumeration") == []


def test_a_campaign_trying_a_long_list_a_few_names_each_is_enumeration() -> None:
    log = Log()
    names = [f"user{n}@example.com" for n in range(8)]
    clients = ["192.0.2.21", "198.51.100.22", "203.0.113.23", "2001:db8:d::24", "2001:db8:e::25"]
    clients += ["192.0.2.26", "198.51.100.27", "203.0.113.28"]
    for n, ip in enumerate(clients):  # each tries two names of the list, next to its neighbour's
        log.sasl_failure(n * HOUR, ip, names[n])
        log.sasl_failure(n * HOUR + MINUTE, ip, names[(n + 1) % 8])
    analysis = run(log)
    assert not any(Verdict.ENUMERATION in a.verdicts for a in analysis.attackers)
    (spray,) = analysis.findings_of("spray")
    assert spray.data["usernames"] == 8 and spray.data["enumeration"] is True
    (finding,) = analysis.findings_of("enumeration")
    assert finding.data["campaigns"] == [spray.data["campaign"]]
    assert finding.data["client_count"] == 0 and finding.data["usernames_tried"] == 8


def test_a_campaign_list_spread_over_more_than_the_enumeration_window_is_not_counted_at_once() -> (
    None
):
    log = Log()
    names = [f"user{n}@example.com" for n in range(6)]
    clients = ["192.0.2.31", "198.51.100.32", "203.0.113.33", "2001:db8:f::34", "192.0.2.35"]
    clients.append("198.51.100.36")
    for n, ip in enumerate(clients):  # 20 hours apart: the neighbours still join (spray_window)
        log.sasl_failure(n * 20 * HOUR, ip, names[n])
        log.sasl_failure(n * 20 * HOUR + MINUTE, ip, names[(n + 1) % 6])
    analysis = run(log)
    (spray,) = analysis.findings_of("spray")
    # within any one day, at most three names of the list were tried: no enumeration,
    # though the count of names says every account it targeted
    assert spray.data["enumeration"] is False
    assert spray.data["usernames"] == spray.data["target_count"] >= 4
    assert analysis.findings_of("enumeration") == []


# -- probes, honeypots, enumeration --------------------------------------------------------


def test_one_failure_on_a_name_bots_try_is_a_probe_to_watch() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.80", "postmaster@example.org")
    attacker = run(log).attacker("203.0.113.80")
    assert attacker is not None
    assert attacker.verdict is Verdict.PROBE
    assert attacker.recommendation == "watch"


def test_a_generic_name_that_is_a_real_account_is_a_typo() -> None:
    log = Log()
    log.sasl_failure(0, "198.51.100.81", "info@example.org")
    assert run(log, accounts=Accounts(["info@example.org"])).attackers == ()


def test_a_probe_that_logs_in_as_that_account_was_its_owner() -> None:
    log = Log()
    log.sasl_failure(0, "198.51.100.82", "info@example.org")
    log.queued_login(30, "198.51.100.82", "info@example.org")
    analysis = run(log)
    assert analysis.attackers == () and analysis.compromised == ()


def test_honeypot_account_is_a_ban_on_the_first_try() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.83", "nonexistent_user@example.org")
    policy = PolicyConfig(honeypot_users=("nonexistent_user@example.org",))
    attacker = run(log, policy).attacker("203.0.113.83")
    assert attacker is not None
    assert attacker.verdict is Verdict.HONEYPOT and attacker.recommendation == "ban"


def test_enumeration_says_which_targeted_accounts_exist() -> None:
    log = Log()
    for n, user in enumerate(["carol", "dave", "admin", "xyz", "eve"]):
        log.dovecot_failure(n * 10 * MINUTE, "198.51.100.90", f"{user}@example.com")
    accounts = Accounts(["carol@example.com", "eve@example.com", "frank@example.com"])
    analysis = run(log, accounts=accounts)
    attacker = analysis.attacker("198.51.100.90")
    assert attacker is not None and Verdict.ENUMERATION in attacker.verdicts
    assert attacker.existing_users == ("carol@example.com", "eve@example.com")
    (finding,) = analysis.findings_of("enumeration")
    assert finding.data["existing"] == ["carol@example.com", "eve@example.com"]
    assert finding.data["not_existing_count"] == 3


def test_enumeration_counts_only_the_names_attackers_tried() -> None:
    log = Log()
    for n, user in enumerate(["admin", "test", "info", "sales"]):
        log.dovecot_failure(n * 10 * MINUTE, "192.0.2.150", f"{user}@example.com")
    # People who mistyped their own password, then logged in: their names are no target.
    log.dovecot_failure(HOUR, "198.51.100.31", "erin@example.com")
    log.dovecot_login(HOUR + 20, "198.51.100.31", "erin@example.com")
    log.sasl_failure(2 * HOUR, "2001:db8:100:3c::5", "mike@example.com")
    log.queued_login(2 * HOUR + 30, "2001:db8:100:3c::5", "mike@example.com")
    # A name the attacker tried and its owner mistyped is still a name the attacker tried.
    log.dovecot_failure(3 * HOUR, "198.51.100.32", "sales@example.com")
    log.dovecot_login(3 * HOUR + 20, "198.51.100.32", "sales@example.com")
    accounts = Accounts(["erin@example.com", "mike@example.com", "sales@example.com"])
    analysis = run(log, accounts=accounts)
    assert ips(analysis) == {"192.0.2.150"}
    (finding,) = analysis.findings_of("enumeration")
    assert finding.data["usernames_tried"] == 4
    assert finding.subject == "4 usernames"
    assert finding.data["existing"] == ["sales@example.com"]
    assert finding.data["existing_count"] == 1
    tried = {entry["user"] for entry in finding.data["most_tried"]}
    assert tried == {
        "admin@example.com",
        "test@example.com",
        "info@example.com",
        "sales@example.com",
    }


def test_enumeration_still_counts_a_name_an_intruder_guessed_and_got_in_as() -> None:
    log = Log()
    for n, user in enumerate(["admin", "test", "info", "sales"]):
        log.dovecot_failure(n * 10 * MINUTE, "192.0.2.150", f"{user}@example.com")
    for t in range(5):
        log.sasl_failure(HOUR + t, "192.0.2.187", "carol@example.com")
    log.queued_login(HOUR + 60, "192.0.2.187", "carol@example.com")
    analysis = run(log)
    assert [c.user for c in analysis.compromised] == ["carol@example.com"]
    (finding,) = analysis.findings_of("enumeration")
    assert finding.data["usernames_tried"] == 5
    assert "carol@example.com" in {entry["user"] for entry in finding.data["most_tried"]}


def test_scanner_without_login_attempts_is_watched() -> None:
    log = Log()
    for t in range(3):
        log.reject(t, "203.0.113.84")
    attacker = run(log).attacker("203.0.113.84")
    assert attacker is not None
    assert attacker.verdict is Verdict.SCANNER and attacker.recommendation == "watch"


def test_exceeding_the_auth_rate_limit_is_a_brute_force() -> None:
    log = Log()
    log.rate_limited(0, "203.0.113.85", 4400)
    attacker = run(log).attacker("203.0.113.85")
    assert attacker is not None and attacker.verdict is Verdict.BRUTEFORCE


def test_username_from_the_tls_dump_names_the_probe_on_old_postfix() -> None:
    log = Log()
    log.connect(0, "203.0.113.86", 32451, service="smtp")
    payload = b64("\x00admin@example.org\x00wilma")[:29]
    log.auth_command(1, 32451, "PLAIN", payload, declared=45)
    log.sasl_failure(3, "203.0.113.86", pid=32451, service="smtp", reason="")
    log.reply(3, 32451, "435", "4.7.8", "Error: authentication failed:")
    analysis = run(log)
    attacker = analysis.attacker("203.0.113.86")
    assert attacker is not None
    assert attacker.verdict is Verdict.PROBE and attacker.users == ("admin@example.org",)
    (cred,) = analysis.credentials
    assert cred.ip == "203.0.113.86" and cred.credential.user == "admin@example.org"


# -- compromise -----------------------------------------------------------------------------


def test_a_login_after_guessing_is_a_compromise_at_the_top() -> None:
    log = Log()
    log.sasl_failure(0, "198.51.100.99", "x@example.com")  # someone else, less bad
    log.sasl_failure(1, "198.51.100.99", "y@example.com")
    log.sasl_failure(2, "198.51.100.99", "z@example.com")
    for t in range(10):
        log.dovecot_failure(100 + t, "203.0.113.90", "alice@example.com")
    log.dovecot_login(120, "203.0.113.90", "alice@example.com")
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert (compromise.user, compromise.ip, compromise.failures_before) == (
        "alice@example.com",
        "203.0.113.90",
        10,
    )
    assert any("password" in a for a in compromise.advice)
    assert any("queue" in a for a in compromise.advice)
    top = analysis.attackers[0]
    assert (top.ip, top.verdict, top.recommendation) == ("203.0.113.90", Verdict.COMPROMISED, "ban")
    assert top.succeeded_as == ("alice@example.com",)


def test_the_daemon_hears_of_a_compromise_immediately() -> None:
    log = Log()
    for t in range(4):
        log.sasl_failure(t, "203.0.113.91", f"u{t}@example.com")
    log.queued_login(10, "203.0.113.91", "u3@example.com")
    detector = Detector(keep_history=False)
    for event in log.events[:-1]:
        detector.feed(event)
    (detection,) = detector.feed(log.events[-1])
    assert detection.verdict is Verdict.COMPROMISED
    assert detection.recommendation == "ban"
    assert detection.data["user"] == "u3@example.com"


def burst_then_login() -> Log:
    """Six clients fail on carol's account, then another one logs in as carol."""
    log = Log()
    for n in range(6):
        log.sasl_failure(n * MINUTE, f"2001:db8:{n + 1}::7", "carol@example.com")
    log.queued_login(10 * MINUTE, "198.51.100.123", "carol@example.com")
    return log


def test_a_login_right_after_a_burst_on_that_account_from_others_is_a_compromise() -> None:
    (compromise,) = run(burst_then_login()).compromised
    assert compromise.ip == "198.51.100.123" and compromise.failures_before == 6


def test_a_burst_from_others_is_said_to_come_from_other_clients() -> None:
    (compromise,) = run(burst_then_login()).compromised
    assert "after 6 failed logins on this account from other clients within 1h" in (
        compromise.reason
    )
    assert any(step.startswith("Ban the address") for step in compromise.advice)


def test_a_login_after_a_burst_from_others_names_them_and_asks_the_owner_first() -> None:
    (compromise,) = run(burst_then_login()).compromised
    assert "(from 2001:db8:6::7, 2001:db8:5::7, 2001:db8:4::7 and 3 more)" in compromise.reason
    assert compromise.advice[0].startswith("Ask the account's owner first")


def test_a_compromise_by_the_guessing_client_itself_asks_no_owner() -> None:
    log = Log()
    for t in range(5):
        log.sasl_failure(t, "203.0.113.42", "carol@example.com")
    log.queued_login(60, "203.0.113.42", "carol@example.com")
    (compromise,) = run(log).compromised
    assert compromise.advice[0].startswith("Reset the account's password")


def test_owners_typos_on_a_shared_mailbox_add_up_to_no_compromise() -> None:
    """Six people share a mailbox; after a password change each device fails once and
    then logs in: each failure was its owner's typo, none a burst before the others."""
    log = Log()
    for n in range(7):
        ip = f"198.51.100.{10 + n}"
        log.dovecot_failure(n * 5 * MINUTE, ip, "shared@example.com")
        log.dovecot_login(n * 5 * MINUTE + MINUTE, ip, "shared@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    assert all(a.recommendation != "ban" for a in analysis.attackers)


def test_an_allow_listed_clients_own_failures_are_not_said_to_come_from_others() -> None:
    log = Log()
    for n in range(9):
        log.dovecot_failure(n * MINUTE, "192.0.2.187", "sales@example.com")
    log.dovecot_login(10 * MINUTE, "192.0.2.187", "sales@example.com")
    policy = PolicyConfig(allow=(ipaddress.ip_network("192.0.2.0/24"),))
    analysis = run(log, policy)
    (compromise,) = analysis.compromised
    assert compromise.failures_before == 9
    assert "9 failed logins on this account from this client within 1h" in compromise.reason
    assert "other clients" not in compromise.reason
    # Never banned: no advice to ban it, but to find out who logged in from there.
    assert not any("Ban the address" in step for step in compromise.advice)
    assert any("192.0.2.187, in the allow list (192.0.2.0/24)" in s for s in compromise.advice)
    assert any("password" in step for step in compromise.advice)
    attacker = analysis.attacker("192.0.2.187")
    assert attacker is not None and attacker.recommendation == "none (allow-listed)"


def test_a_loopback_login_after_a_burst_counts_both_sides_and_advises_no_ban() -> None:
    log = Log()
    for n in range(3):
        log.dovecot_failure(n * MINUTE, "127.0.0.1", "sales@example.com")
    for n in range(4):
        log.sasl_failure(5 * MINUTE + n, f"203.0.113.{n + 1}", "sales@example.com")
    log.dovecot_login(10 * MINUTE, "127.0.0.1", "sales@example.com")
    (compromise,) = run(log).compromised
    assert compromise.failures_before == 7
    assert "7 failed logins on this account (3 from this client, 4 from other clients)" in (
        compromise.reason
    )
    assert not any("Ban the address" in step for step in compromise.advice)
    assert any("127.0.0.1, loopback: it is never banned" in s for s in compromise.advice)


def test_a_login_whose_account_the_log_does_not_show_is_still_a_compromise() -> None:
    log = Log()
    for t in range(5):
        log.sasl_failure(t, "203.0.113.92", f"u{t}@example.com", pid=8000)
    log.disconnect(6, "203.0.113.92", 8000, failed=5, ok=1)
    (compromise,) = run(log).compromised
    assert compromise.user is None and compromise.ip == "203.0.113.92"


def test_attackers_are_sorted_worst_first() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.1", "postmaster@example.org")  # probe
    for t in range(5):
        log.sasl_failure(t, "203.0.113.2", "a@example.org")  # brute force
    for n in range(4):
        log.sasl_failure(n * 20 * MINUTE, "198.51.100.3", "b@example.org")  # slow
    order = [a.ip for a in run(log).attackers]
    assert order == ["203.0.113.2", "198.51.100.3", "203.0.113.1"]


def test_thresholds_come_from_the_policy() -> None:
    log = Log()
    for t in range(3):
        log.sasl_failure(t, "203.0.113.42", "alice@example.com")
    policy = dataclasses.replace(PolicyConfig(), fast_failures=5, slow_failures=5)
    assert run(log, policy).attackers == ()


def test_time_without_a_date_is_fine() -> None:
    log = Log()
    events = [
        log.sasl_failure(t, "203.0.113.42", "alice@example.com")._replace(
            record=log.record(t, None, None, "x")._replace(time=None)
        )
        for t in range(3)
    ]
    analysis = analyze(events)
    assert ips(analysis) == {"203.0.113.42"}
    assert analysis.attackers[0].first_seen is None


def test_expire_forgets_old_state_but_keeps_attackers_for_the_report() -> None:
    log = Log()
    for t in range(3):
        log.sasl_failure(t, "203.0.113.42", "alice@example.com")
    log.sasl_failure(0.5, "198.51.100.1", "bob@example.com")
    log.sasl_failure(3 * DAY, "192.0.2.200", "carol@example.com")
    detector = Detector()
    detector.feed_all(log.events)
    detector.expire()
    assert ips(detector.result()) == {"203.0.113.42"}
    assert detector.result().stats["clients_tracked"] == 2


def test_a_client_that_leaves_in_the_middle_of_auth_made_no_guess() -> None:
    log = Log()
    log.connect(0, "203.0.113.52", 9100)
    log.aborted(1, "203.0.113.52", 9100)  # `*` at the 334 prompt
    log.lost_after_auth(2, "203.0.113.52", 9100)  # AUTH LOGIN, then hang-up
    log.disconnect(2, "203.0.113.52", 9100, failed=2)
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.stats["failures_counted"] == 0


def test_an_owner_whose_typos_joined_a_campaign_is_not_compromised() -> None:
    log = Log()
    bots = ["192.0.2.66", "198.51.100.23", "203.0.113.51", "2001:db8:f::1", "2001:db8:e::1"]
    for n, ip in enumerate(bots):
        log.sasl_failure(n, ip, "admin@example.com")
        log.sasl_failure(n + 0.5, ip, "alice@example.com")
    # Two hours later (no burst on her account within policy.compromise_window) alice
    # mistypes once, which joins her to the campaign through her own account, then gets in.
    log.sasl_failure(2 * HOUR, "198.51.100.200", "alice@example.com")
    log.queued_login(2 * HOUR + 30, "198.51.100.200", "alice@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    assert analysis.attacker("198.51.100.200") is None
    (finding,) = analysis.findings_of("spray")
    assert "198.51.100.200" not in finding.data["members"]


def people_who_mistype(log: Log, people: int, every: float) -> None:
    """``people`` addresses share info@: each one typo, then in 20 s later."""
    for n in range(people):
        ip = f"198.51.100.{40 + n}"
        log.dovecot_failure(n * every, ip, "info@example.com")
        log.dovecot_login(n * every + 20, ip, "info@example.com")


def test_people_who_mistype_a_shared_accounts_password_are_no_campaign() -> None:
    # Five people share info@, each from home, an hour apart: one typo, then in. By the
    # time the fifth joins, the first four had logged in: none is a sprayer.
    log = Log()
    people_who_mistype(log, 5, HOUR)
    analysis = run(log)
    assert analysis.attackers == ()
    assert analysis.findings_of("spray") == []
    assert analysis.findings_of("enumeration") == []
    assert analysis.compromised == ()


def test_a_campaign_of_bots_still_stands_beside_people_who_mistyped() -> None:
    log = Log()
    bots = ["192.0.2.66", "198.51.100.23", "203.0.113.51", "2001:db8:f::1", "2001:db8:e::1"]
    people_who_mistype(log, 3, MINUTE)  # people first
    for n, ip in enumerate(bots):
        log.sasl_failure(HOUR + n, ip, "info@example.com")
    analysis = run(log)
    (finding,) = analysis.findings_of("spray")
    assert sorted(finding.data["members"]) == sorted(bots)
    assert ips(analysis) == set(bots)


def test_too_few_bots_left_beside_people_make_no_campaign() -> None:
    # Three people and two bots on one account: five clients, but two sprayers are no
    # campaign (policy.spray_clients is 5), and one failure each is no other verdict.
    log = Log()
    people_who_mistype(log, 3, MINUTE)
    for n, ip in enumerate(["192.0.2.66", "203.0.113.51"]):
        log.sasl_failure(HOUR + n, ip, "info@example.com")
    analysis = run(log)
    assert analysis.findings_of("spray") == []
    assert analysis.attackers == ()


def test_an_intruders_later_failures_are_guesses_not_a_stale_password() -> None:
    log = Log()
    for t in range(8):
        log.sasl_failure(t * 7, "203.0.113.45", "sales@example.com")
    log.queued_login(60, "203.0.113.45", "sales@example.com")
    for t in range(5):  # the next day, the password changed: guessing again
        log.sasl_failure(DAY + t * 60, "203.0.113.45", "sales@example.com")
    log.queued_login(DAY + HOUR, "203.0.113.45", "sales@example.com")  # in again
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert compromise.ip == "203.0.113.45"
    attacker = analysis.attacker("203.0.113.45")
    assert attacker is not None
    assert attacker.verdict is Verdict.COMPROMISED and attacker.recommendation == "ban"
    assert attacker.failures == 13 and attacker.stale_failures == 0
    assert analysis.findings_of("stale_password") == []


def test_a_campaign_member_that_logs_in_after_trying_other_accounts_is_a_compromise() -> None:
    log = Log()
    bots = ["192.0.2.66", "198.51.100.23", "203.0.113.51", "2001:db8:f::1", "2001:db8:e::1"]
    for n, ip in enumerate(bots):
        log.sasl_failure(n, ip, "admin@example.com")
        log.sasl_failure(n + 0.5, ip, "alice@example.com")
    log.queued_login(60, "2001:db8:e::1", "carol@example.com")
    (compromise,) = run(log).compromised
    assert compromise.ip == "2001:db8:e::1" and compromise.user == "carol@example.com"


def test_a_device_with_an_old_password_names_its_account_in_the_analysis() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.160", "quinn@example.com")
    for n in range(6):
        log.dovecot_failure(HOUR + n * 10 * MINUTE, "198.51.100.160", "quinn@example.com")
    (phone,) = run(log).attackers
    assert phone.verdict is Verdict.STALE_PASSWORD and phone.recommendation != "ban"
    assert phone.users == ("quinn@example.com",)
    assert phone.succeeded_as == ("quinn@example.com",)


def test_a_client_trying_more_names_than_kept_says_its_list_is_incomplete() -> None:
    from mailwarden.detect.state import MAX_USERS_PER_CLIENT

    log = Log()
    for n in range(MAX_USERS_PER_CLIENT + 4):
        log.sasl_failure(n, "203.0.113.150", f"name{n}@example.com")
    attacker = run(log).attacker("203.0.113.150")
    assert attacker is not None and attacker.failures == MAX_USERS_PER_CLIENT + 4
    assert len(attacker.users) == MAX_USERS_PER_CLIENT and attacker.users_complete is False
    assert attacker.to_json()["users_complete"] is False
    log = Log()
    for n in range(3):
        log.sasl_failure(n, "203.0.113.151", f"name{n}@example.com")
    attacker = run(log).attacker("203.0.113.151")
    assert attacker is not None and attacker.users_complete is True


def test_an_owners_old_typos_do_not_hide_others_fresh_guesses() -> None:
    """The owner's phone failed twice yesterday and logs in today, a minute before an
    intruder does after five bots guessed the account: the bots' guesses still count."""
    log = Log()
    owner = "198.51.100.20"
    log.dovecot_failure(0, owner, "carol@example.com")
    log.dovecot_failure(HOUR, owner, "carol@example.com")
    for n in range(5):
        log.dovecot_failure(30 * HOUR + n * MINUTE, f"203.0.113.{30 + n}", "carol@example.com")
    log.dovecot_login(30 * HOUR + 6 * MINUTE, owner, "carol@example.com")
    log.dovecot_login(30 * HOUR + 7 * MINUTE, "192.0.2.99", "carol@example.com")
    (compromise,) = run(log).compromised
    assert compromise.ip == "192.0.2.99" and compromise.failures_before == 5


def test_lost_connections_waiting_for_guesses_stay_bounded() -> None:
    from mailwarden.detect.rules import MAX_WAITING

    log = Log()
    for n in range(2000):  # one every 10 s for five and a half hours, never a guess
        log.unavailable(n * 10, "203.0.113.5")
        if n % 7 == 0:
            log.unavailable(n * 10 + 1, f"198.51.100.{n % 200}")
    detector = Detector()
    for event in log.events:
        detector.feed(event)
    pending = detector._pending_unavailable
    assert all(len(waiting) <= MAX_WAITING for waiting in pending.values())
    assert sum(count for waiting in pending.values() for _, _, count in waiting) < 100
    assert len(pending) <= 1 + 31  # the recent ones: the window is 5 minutes
    detector.close()
    (finding,) = detector.result().findings_of("auth_unavailable")
    assert finding.data["failures"] == 2000 + len(range(0, 2000, 7))


def _network_attack(log: Log, prefix: str) -> None:
    for n in range(10):
        log.sasl_failure(n * 2 * MINUTE, f"{prefix}{0x10 + n:x}", f"staff{n}@example.com")


def test_a_login_from_an_attacking_network_as_an_account_it_tried_is_its_break_in() -> None:
    """Ten addresses of a /64 each guessed another account (a list: no household's
    devices), then staff3, which one of them tried, logs in from it: the attacker got in
    at another of its addresses, and the network stays banned."""
    log = Log()
    _network_attack(log, "2001:db8:99:3::")
    log.dovecot_login(25 * MINUTE, "2001:db8:99:3::99", "staff3@example.com")
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert compromise.ip == "2001:db8:99:3::99" and not compromise.by_others
    assert "from this client's network 2001:db8:99:3::/64 within 1h" in compromise.reason
    members = [a for a in analysis.attackers if a.verdict is Verdict.NETWORK_MEMBER]
    assert len(members) == 10 and all(a.recommendation == "ban" for a in members)


def test_a_households_stale_password_on_several_devices_is_no_compromise() -> None:
    log = Log()
    for n, device in enumerate(("a1", "b2", "c3", "d4")):
        log.dovecot_failure(n * 5 * MINUTE, f"2001:db8:1:2::{device}", "alice@example.com")
    log.dovecot_login(20 * MINUTE, "2001:db8:1:2::a1", "alice@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    assert all(a.recommendation != "ban" for a in analysis.attackers)


def test_a_login_from_an_attacking_network_as_another_account_leaves_it_watched() -> None:
    log = Log()
    _network_attack(log, "203.0.113.")
    log.dovecot_login(25 * MINUTE, "203.0.113.200", "boss@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    members = [a for a in analysis.attackers if a.verdict is Verdict.NETWORK_MEMBER]
    assert len(members) == 10  # the attack is still in the report
    assert all(a.recommendation == "watch" for a in members)
    assert "not banned: someone logged in from this network" in members[0].reasons


def test_a_bots_many_lost_connections_before_its_guesses_all_count() -> None:
    """Dovecot's penalty delay makes Postfix give up again and again during a fast
    attack: thirty lost connections, then two plain failures, are 32 guesses."""
    log = Log()
    for n in range(30):
        log.unavailable(n * 2, "198.51.100.9")
    log.sasl_failure(61, "198.51.100.9", "admin@example.com")
    log.sasl_failure(62, "198.51.100.9", "admin@example.com")
    analysis = run(log)
    attacker = analysis.attacker("198.51.100.9")
    assert attacker is not None and attacker.failures == 32
    assert analysis.findings_of("auth_unavailable") == []


# -- shared addresses and unconfirmed logins (a review's false alarms) ---------------------


def test_an_office_behind_one_address_keeps_every_owner_and_is_no_attacker() -> None:
    log = Log()
    nat = "198.51.100.10"
    users = [f"user{n}@example.com" for n in range(30)]
    log.dovecot_login(0, nat, "paul@example.com")
    for n, user in enumerate(users):  # 30 more people log in after paul
        log.dovecot_login(60 + n * 60, nat, user)
    for n in range(12):  # paul's phone with an old password, every 10 minutes
        log.dovecot_failure(HOUR + n * 10 * MINUTE, nat, "paul@example.com")
    log.dovecot_failure(3 * HOUR, nat, "user7@example.com")  # a typo
    log.dovecot_login(3 * HOUR + 20, nat, "user7@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    assert all(a.recommendation != "ban" for a in analysis.attackers)
    (device,) = analysis.findings_of("stale_password")
    assert device.data["users"] == ["paul@example.com"]  # user7's typo is no device


def test_people_who_log_in_behind_a_device_guessing_one_account_are_not_break_ins() -> None:
    log = Log()
    nat = "198.51.100.11"
    for n in range(6):  # a phone with an old password, before anyone logged in today
        log.dovecot_failure(n * 10 * MINUTE, nat, "paul@example.com")
    for n in range(10):  # then the office arrives
        log.dovecot_login(HOUR + n * MINUTE, nat, f"user{n}@example.com")
    assert run(log).compromised == ()
    # paul's laptop logs in too: his phone's failures, or a guess that worked? Ask him.
    log.dovecot_login(2 * HOUR, nat, "paul@example.com")
    (compromise,) = run(log).compromised
    assert compromise.user == "paul@example.com" and compromise.by_others


def test_a_bot_that_tried_several_accounts_and_logs_in_as_another_still_got_in() -> None:
    log = Log()
    for n, user in enumerate(["admin", "info", "sales", "test", "office"]):
        log.sasl_failure(n * 10, "203.0.113.90", f"{user}@example.com")
    log.queued_login(120, "203.0.113.90", "carol@example.com")  # a password it knew
    (compromise,) = run(log).compromised
    assert compromise.user == "carol@example.com" and not compromise.by_others


def test_a_fast_brute_force_on_one_account_then_a_login_as_another_is_a_maybe() -> None:
    """Six tries on admin within seconds, then a login as bob from that address: a bot
    with stolen passwords, or bob behind the bot's NAT. analyze said "Nobody got in"
    (someone else behind the address) while explain said it got in; now both ask bob."""
    log = Log()
    for n in range(6):
        log.sasl_failure(n, "192.0.2.91", "admin@example.com")
    log.queued_login(60, "192.0.2.91", "bob@example.com")
    (compromise,) = run(log).compromised
    assert compromise.user == "bob@example.com" and compromise.by_others
    # others logging in from the address too: an office's NAT, as before
    for n in range(3):
        log.dovecot_login(120 + n, "192.0.2.91", f"user{n}@example.com")
    log.queued_login(200, "192.0.2.91", "carol@example.com")
    assert [c.user for c in run(log).compromised] == ["bob@example.com"]


def test_a_username_without_its_domain_then_the_login_is_its_owner() -> None:
    log = Log()
    log.dovecot_auth(0, "198.51.100.44", "carol", "S1", reason="unknown user")  # a probe
    log.dovecot_failure(2, "198.51.100.44", "carol", session="S1")
    log.dovecot_login(40, "198.51.100.44", "carol@example.com")
    analysis = run(log)
    assert analysis.compromised == ()
    assert all(a.recommendation != "ban" for a in analysis.attackers)


def test_a_login_after_only_others_guessed_is_watched_and_asked_not_banned() -> None:
    log = Log()
    for n in range(20):
        log.sasl_failure(n * MINUTE, "192.0.2.66", "dave@example.com")
    log.dovecot_login(30 * MINUTE, "192.0.2.67", "dave@example.com")
    log.dovecot_login(40 * MINUTE, "192.0.2.67", "erin@example.com")  # nobody guessed erin
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert compromise.by_others and compromise.to_json()["by_others"] is True
    attacker = analysis.attacker("192.0.2.67")
    assert attacker is not None and attacker.recommendation == "watch"
    detector = Detector(keep_history=False)
    found = [d for e in log.events for d in detector.feed(e) if d.ip == "192.0.2.67"]
    assert found and all(d.decision() is None for d in found)  # the daemon alerts, no ban


def test_clients_that_join_a_flagged_campaign_are_all_members() -> None:
    log = Log()
    bots = [f"192.0.2.{n}" for n in range(10, 16)] + ["198.51.100.70", "198.51.100.71"]
    accounts = [f"user{n}@example.com" for n in range(7)]
    for n, ip in enumerate(bots[:6]):  # a chain over the list: one campaign
        log.sasl_failure(n * MINUTE, ip, accounts[n])
        log.sasl_failure(n * MINUTE + 30, ip, accounts[n + 1])
    # two clients that met on an account of their own, then one of them joins the campaign:
    # the first of the two never fails again, and is a member all the same
    log.sasl_failure(HOUR, bots[6], "jobs@example.com")
    log.sasl_failure(HOUR + 60, bots[7], "jobs@example.com")
    log.sasl_failure(HOUR + 120, bots[7], accounts[0])
    analysis = run(log)
    (spray,) = analysis.findings_of("spray")
    assert set(spray.data["members"]) == set(bots)


def test_a_login_after_a_try_on_an_account_a_campaign_is_guessing_is_asked() -> None:
    log = Log()
    bots = [f"2001:db8:1a{n:02x}::9" for n in range(10, 18)]
    for n, ip in enumerate(bots):  # a slow campaign on carol and frank: never a burst
        log.sasl_failure(n * HOUR, ip, "carol@example.com")
        log.sasl_failure(n * HOUR + MINUTE, ip, "frank@example.com")
    new = "2001:db8:1a3c::9"  # a fresh address tries carol once, and gets in
    log.sasl_failure(7 * HOUR + 20 * MINUTE, new, "carol@example.com")
    log.queued_login(7 * HOUR + 21 * MINUTE, new, "carol@example.com")
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert compromise.ip == new and compromise.by_others
    assert "while spraying campaign 1 was guessing this account" in compromise.reason
    attacker = analysis.attacker(new)
    assert attacker is not None and attacker.recommendation == "watch"


def test_a_phone_failing_from_its_carriers_pool_is_no_campaign_break_in() -> None:
    log = Log()
    pool = [f"203.0.113.{n}" for n in (101, 102, 103, 104, 105, 106)]
    for n, ip in enumerate(pool):  # one customer's phone, an old password, a new address each time
        log.dovecot_failure(n * 20 * MINUTE, ip, "c07@example.com")
    log.dovecot_failure(2 * HOUR + 30, "203.0.113.107", "c07@example.com")  # a typo, then in
    log.dovecot_login(2 * HOUR + 60, "203.0.113.107", "c07@example.com")
    assert run(log).compromised == ()


def test_three_quick_tries_on_one_account_then_in_is_asked_not_stated() -> None:
    log = Log()  # a new phone at a hotel: its mail app retried the mistyped password
    log.dovecot_failure(0, "203.0.113.150", "bob@example.com", attempts=3)
    log.dovecot_login(60, "203.0.113.150", "bob@example.com")
    analysis = run(log)
    (compromise,) = analysis.compromised
    assert compromise.by_others and "Ask the account's owner first" in compromise.advice[0]
    log = Log()  # more tries than that, or several accounts: a break-in, as before
    log.dovecot_failure(0, "203.0.113.151", "bob@example.com", attempts=4)
    log.dovecot_login(60, "203.0.113.151", "bob@example.com")
    (compromise,) = run(log).compromised
    assert not compromise.by_others


def test_a_phone_on_a_new_64_of_its_carrier_with_an_old_password_is_no_attacker() -> None:
    log = Log()
    log.dovecot_login(0, "2001:db8:4a1:7c00::1", "alice@example.com")  # yesterday's /64
    for n in range(14):  # a new /64 of the same /48, a new privacy address each time
        log.dovecot_failure(
            DAY + n * 15 * MINUTE, f"2001:db8:4a1:9e10::{n + 1:x}", "alice@example.com"
        )
    log.dovecot_login(DAY + 4 * HOUR, "2001:db8:4a1:9e10::99", "alice@example.com")  # updated
    analysis = run(log)
    assert analysis.compromised == ()
    assert {(a.verdict, a.recommendation) for a in analysis.attackers} == {
        (Verdict.STALE_PASSWORD, "none (stale password of a real user)")
    }
    (device,) = analysis.findings_of("stale_password")  # one phone, not 14
    assert device.subject == "2001:db8:4a1:9e10::/64" and device.data["member_count"] == 14
    assert device.data["logged_in_from"] == "2001:db8:4a1::/48"
    # Elsewhere than the owner's /48, the same failures are a network guessing her account.
    log = Log()
    log.dovecot_login(0, "2001:db8:4a1:7c00::1", "alice@example.com")
    for n in range(14):
        log.dovecot_failure(
            DAY + n * 15 * MINUTE, f"2001:db8:77:9e10::{n + 1:x}", "alice@example.com"
        )
    assert {a.verdict for a in run(log).attackers} == {Verdict.NETWORK_MEMBER}


def test_unnamed_failures_where_one_owner_logs_in_are_a_device_not_guessing() -> None:
    log = Log()  # an old Postfix names no account; alice's IMAP works from her home
    home = "203.0.113.45"
    for n in range(30):
        log.dovecot_login(n * 10 * MINUTE, home, "alice@example.com")
    for n in range(24):  # her Outlook's SMTP password is old
        log.sasl_failure(HOUR + n * 5 * MINUTE, home, None, mechanism="LOGIN")
    analysis = run(log)
    assert [a.verdict for a in analysis.attackers] == [Verdict.STALE_PASSWORD]  # never banned
    (stale,) = analysis.findings_of("stale_password")
    assert stale.data["unnamed"] is True and stale.data["users"] == ["alice@example.com"]
    # Where two people log in, the log cannot tell whose device it is: guesses, as before.
    log = Log()
    log.dovecot_login(0, home, "alice@example.com")
    log.dovecot_login(60, home, "bob@example.com")
    for n in range(24):
        log.sasl_failure(HOUR + n * 5 * MINUTE, home, None, mechanism="LOGIN")
    assert ips(run(log)) == {home}


def test_a_bot_whose_failures_name_no_account_then_logs_in_got_in() -> None:
    log = Log()  # an old Postfix: the failures name no account, the login does
    for n in range(6):
        log.sasl_failure(n * 5, "192.0.2.50", None, mechanism="LOGIN")
    log.queued_login(60, "192.0.2.50", "bob@example.com")
    (compromise,) = run(log).compromised
    assert compromise.user == "bob@example.com" and not compromise.by_others
