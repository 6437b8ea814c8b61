# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""From log text through the real framing and parsers to the detector's verdicts.

Our own lines, in the shapes of the peers' samples (CrowdSec hub tests): a fast SASL brute
force, single tries from many addresses of one network, slow and time-based guessing,
auth-worker lines beside login lines; and the traps: typos, a stale password, one lost
connection to the auth server, addresses inside usernames.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mailwarden.detect import Accounts, Verdict, analyze
from mailwarden.detect.analysis import Analysis
from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse


def events_from(text: str) -> list[Event]:
    framer = Framer(year=2026)
    events: list[Event] = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        for record in framer.frame_line(line.strip(), "test.log", number, 0):
            events.extend(parse(record))
    return events


def attackers(text: str, accounts: Accounts | None = None) -> dict[str, str]:
    return {a.ip: str(a.verdict) for a in analysis_of(text, accounts).attackers}


def analysis_of(text: str, accounts: Accounts | None = None) -> Analysis:
    return analyze(events_from(text), accounts=accounts)


def test_fast_sasl_brute_force() -> None:
    log = """
    Mar  2 04:02:33 mx postfix/smtpd[26001]: warning: unknown[203.0.113.42]: SASL LOGIN authentication failed: authentication failure
    Mar  2 04:02:34 mx postfix/smtpd[26001]: warning: unknown[203.0.113.42]: SASL LOGIN authentication failed: authentication failure
    Mar  2 04:02:35 mx postfix/smtpd[26001]: warning: unknown[203.0.113.42]: SASL LOGIN authentication failed: authentication failure
    """
    assert attackers(log) == {"203.0.113.42": "bruteforce"}


def test_one_try_each_from_many_addresses_of_one_network() -> None:
    names = ["postmaster", "admin", "test", "support", "billing", "backup"]
    log = "\n".join(
        f"Mar  6 09:{n * 5 + 10:02d}:41 mail postfix/submissions/smtpd[{17000 + n}]: warning: "
        f"unknown[198.51.100.{(n + 1) * 10}]: SASL LOGIN authentication failed: "
        f"(reason unavailable), sasl_username={name}@example.org"
        for n, name in enumerate(names)
    )
    analysis = analysis_of(log)
    assert len(analysis.attackers) == 6
    assert {a.network for a in analysis.attackers} == {"198.51.100.0/24"}
    assert {a.recommendation for a in analysis.attackers} == {"ban"}


def test_slow_guessing_under_fail2bans_window() -> None:
    log = "\n".join(
        f"Jan 15 08:{n * 10:02d}:00 mx dovecot: imap-login: Disconnected: Connection closed "
        f"(auth failed, 1 attempts in 2 secs): user=<admin@example.com>, method=PLAIN, "
        f"rip=192.0.2.1, lip=192.0.2.254, TLS, session=<sess{n}>"
        for n in range(4)
    )
    assert attackers(log) == {"192.0.2.1": "slow_bruteforce"}


def test_time_based_guessing_of_several_accounts_with_dovecot_24_lines() -> None:
    users = ["admin", "info", "webmaster", "test"]
    log = "\n".join(
        f"Jan 15 {8 + n // 2:02d}:{(n % 2) * 30:02d}:00 mx dovecot: pop3-login: Login aborted: "
        f"Connection closed (auth failed, 1 attempts in 3 secs) (auth_failed): "
        f"user=<{user}@example.com>, method=PLAIN, rip=198.51.100.1, lip=192.0.2.254, TLS, "
        f"session=<def{n}>"
        for n, user in enumerate(users)
    )
    analysis = analysis_of(log)
    (attacker,) = analysis.attackers
    assert attacker.ip == "198.51.100.1"
    assert set(attacker.verdicts) >= {Verdict.ENUMERATION, Verdict.SLOW_BRUTEFORCE}


def test_auth_worker_lines_beside_login_lines() -> None:
    log = """
    Oct 12 15:44:43 mx dovecot: auth-worker(24544): pam(paul,192.0.2.77): unknown user
    Oct 12 15:44:44 mx dovecot: auth-worker(24058): pam(paul,192.0.2.77): pam_authenticate() failed: Authentication failure (password mismatch?)
    Oct 12 15:44:45 mx dovecot[7508]: imap-login: Disconnected (auth failed, 1 attempts in 6 secs): user=<paul@example.net>, method=PLAIN, rip=192.0.2.77, lip=192.0.2.254, TLS, session=<aaaaaaaaaaaaaaaa>
    Oct 12 15:44:46 mx dovecot[7508]: imap-login: Disconnected (auth failed, 1 attempts in 6 secs): user=<paul@example.net>, method=PLAIN, rip=192.0.2.77, lip=192.0.2.254, TLS, session=<bbbbbbbbbbbbbbbb>
    Apr 29 15:54:18 mx dovecot: auth-worker(14877): pam(anna@example.net,203.0.113.2): pam_authenticate() failed: Authentication failure (Password mismatch?)
    Apr 29 15:54:19 mx dovecot: auth-worker(14864): pam(anne@example.net,203.0.113.2): pam_authenticate() failed: Authentication failure (Password mismatch?)
    Apr 29 15:54:20 mx dovecot: auth-worker(14877): pam(annie,203.0.113.2): pam_authenticate() failed: Authentication failure (Password mismatch?)
    """
    analysis = analysis_of(log)
    # Two attempts, each logged by the auth worker and by the login process: two, not four.
    paul = analysis.attacker("192.0.2.77")
    assert paul is not None and paul.failures == 2 and paul.verdict is Verdict.PROBE
    anna = analysis.attacker("203.0.113.2")
    assert anna is not None and anna.verdict is Verdict.BRUTEFORCE and anna.failures == 3


def test_typos_stale_password_and_one_auth_outage_are_not_banned() -> None:
    log = """
    Feb 23 09:00:00 mx postfix/submission/smtpd[5001]: warning: unknown[198.51.100.20]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice@example.com
    Feb 23 09:00:40 mx postfix/submission/smtpd[5001]: warning: unknown[198.51.100.20]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice@example.com
    Feb 23 09:01:30 mx postfix/submission/smtpd[5001]: 4XyZ1: client=unknown[198.51.100.20], sasl_method=PLAIN, sasl_username=alice@example.com
    Feb 23 09:10:00 mx dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.254, mpid=4242, TLS, session=<L1>
    Feb 23 10:10:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.254, TLS, session=<F1>
    Feb 23 10:15:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.254, TLS, session=<F2>
    Feb 23 10:20:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.254, TLS, session=<F3>
    Feb 23 10:25:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.254, TLS, session=<F4>
    Feb 23 11:00:00 mx postfix/submission/smtpd[5002]: warning: unknown[198.51.100.40]: SASL PLAIN authentication failed: Connection lost to authentication server
    """
    analysis = analysis_of(log)
    assert all(a.recommendation != "ban" for a in analysis.attackers)
    assert analysis.compromised == ()
    assert [f.subject for f in analysis.findings_of("stale_password")] == ["198.51.100.30"]
    assert analysis.findings_of("auth_unavailable")


def test_addresses_inside_usernames_never_become_attackers() -> None:
    log = """
    Feb 23 09:00:00 mx postfix/smtpd[6001]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=x, sasl_username=unknown[192.0.2.98]
    Feb 23 09:00:01 mx postfix/smtpd[6001]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=unknown[192.0.2.98]
    Feb 23 09:00:02 mx postfix/smtpd[6001]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=]: 192.0.2.98
    Feb 23 09:00:03 mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 9 secs): user=<a>, rip=192.0.2.99, lip=192.0.2.254>, method=PLAIN, rip=198.51.100.67, lip=192.0.2.254, TLS, session=<zzz>
    """
    found = attackers(log)
    assert set(found) == {"203.0.113.66", "198.51.100.67"}


def test_a_pasted_excerpt_with_a_tls_dump() -> None:
    payload = base64.b64encode(b"\x00admin@example.org\x00wilma").decode()[:29]
    log = (
        "Feb 23 11:57:42 postfix/smtpd[32451]: connect from unknown[203.0.113.30] "
        'Feb 23 11:57:42 postfix/smtpd[32451]: unknown[203.0.113.30]: TLS cipher list "ALL:+RC4:@STRENGTH" '
        "Feb 23 11:57:42 postfix/smtpd[32451]: Anonymous TLS connection established from "
        "unknown[203.0.113.30]: TLSv1.2 with cipher RC4-SHA (128/128 bits) "
        f"Feb 23 11:57:43 postfix/smtpd[32451]: Read 45 chars: AUTH PLAIN {payload} "
        "Feb 23 11:57:45 postfix/smtpd[32451]: warning: unknown[203.0.113.30]: SASL PLAIN "
        "authentication failed: "
        "Feb 23 11:57:45 postfix/smtpd[32451]: Write 42 chars: 435 4.7.8 Error: authentication failed: "
    )
    analysis = analysis_of(log)
    (attacker,) = analysis.attackers
    assert (attacker.ip, attacker.verdict, attacker.users) == (
        "203.0.113.30",
        Verdict.PROBE,
        ("admin@example.org",),
    )
    (credential,) = analysis.credentials
    assert credential.credential.user == "admin@example.org"
    kinds = {f.kind for f in analysis.findings}
    assert kinds >= {"credential_exposed", "auth_on_port_25", "weak_tls", "soft_bounce"}


def test_brute_force_then_login_is_a_compromise() -> None:
    lines = [
        f"Feb 23 09:00:0{n} mx postfix/submission/smtpd[7001]: warning: unknown[203.0.113.99]: "
        f"SASL PLAIN authentication failed: (reason unavailable), sasl_username=carol@example.com"
        for n in range(5)
    ]
    lines.append(
        "Feb 23 09:00:09 mx postfix/submission/smtpd[7001]: 4XyZ9: client=unknown[203.0.113.99], "
        "sasl_method=PLAIN, sasl_username=carol@example.com"
    )
    analysis = analysis_of("\n".join(lines))
    (compromise,) = analysis.compromised
    assert (compromise.user, compromise.ip, compromise.failures_before) == (
        "carol@example.com",
        "203.0.113.99",
        5,
    )
    assert analysis.attackers[0].verdict is Verdict.COMPROMISED


REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def real_analysis(name: str) -> Analysis:
    return analyze(events_from((REAL / name).read_text()))


@pytest.mark.skipif(not REAL.exists(), reason="real logs not captured in this checkout")
def test_real_postfix_log_from_the_lab() -> None:
    analysis = real_analysis("postfix-3.7-submission.log")
    found = {a.ip: a for a in analysis.attackers}
    assert "192.0.2.10" not in found  # the legitimate client
    assert "203.0.113.5" not in found  # only ever inside usernames
    assert found["192.0.2.66"].recommendation == "ban"
    assert found["203.0.113.54"].verdict is Verdict.BRUTEFORCE  # hit the AUTH rate limit
    assert "203.0.113.60" not in found  # two typos, then her right password
    assert analysis.compromised == ()


@pytest.mark.skipif(not REAL.exists(), reason="real logs not captured in this checkout")
def test_real_dovecot_and_tls_dump_logs_from_the_lab() -> None:
    dovecot = real_analysis("dovecot-2.3-imap.log")
    found = {a.ip for a in dovecot.attackers}
    assert "198.51.100.23" in found and "192.0.2.10" not in found
    assert "203.0.113.5" not in found and dovecot.compromised == ()
    tls = real_analysis("postfix-3.7-tls-loglevel4.log")
    (exposed,) = tls.findings_of("credential_exposed")
    assert exposed.data["users_who_logged_in"] == ["alice@lab.example"]
    assert all(c.ip is not None for c in tls.credentials)
