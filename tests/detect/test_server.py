"""What the log reveals about the server itself."""

from __future__ import annotations

import base64

from detect_factory import Log

from mailwarden.detect import analyze
from mailwarden.detect.server import MAX_PENDING, weak_cipher_list


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def kinds(log: Log) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in analyze(log.events).findings:
        found.setdefault(finding.kind, []).append(finding.subject)
    return found


def test_rc4_export_and_null_ciphers_and_sslv3_are_weak_tls() -> None:
    log = Log()
    for n, (protocol, cipher) in enumerate(
        [
            ("TLSv1.2", "RC4-SHA"),
            ("TLSv1", "EXP-RC4-MD5"),
            ("TLSv1.2", "NULL-SHA256"),
            ("SSLv3", "AES128-SHA"),
            ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
        ]
    ):
        log.tls(n, f"198.51.100.{n + 1}", 100 + n, protocol, cipher)
    (finding,) = analyze(log.events).findings_of("weak_tls")
    assert finding.data["sessions"] == 4
    assert "TLSv1.3 TLS_AES_256_GCM_SHA384" not in finding.data["ciphers"]


def test_a_cipher_list_that_admits_export_suites_is_reported() -> None:
    assert weak_cipher_list("ALL:+RC4:@STRENGTH")
    assert weak_cipher_list("aNULL:-aNULL:ALL:+RC4:@STRENGTH")
    assert not weak_cipher_list("aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH")
    log = Log()
    log.cipher_list(0, "203.0.113.5", 100, "ALL:+RC4:@STRENGTH")
    found = kinds(log)
    assert found["weak_tls"] == ["cipher_list"]
    assert found["outdated_server"] == ["Postfix older than 2.8"]


def test_soft_bounce_shows_as_4xx_where_postfix_means_5xx() -> None:
    log = Log()
    log.reply(0, 100, "435", "4.7.8", "Error: authentication failed:")
    log.reply(1, 101, "402", "4.5.2", "Error: command not recognized")
    unknown = "<x@example.org>: Recipient address rejected: User unknown in local recipient table"
    log.reject(2, "203.0.113.9", code="450", enhanced="4.1.1", reason=unknown)
    (finding,) = analyze(log.events).findings_of("soft_bounce")
    assert finding.data["replies"] == 3


def test_unknown_recipients_refused_with_450_name_the_reject_code_too() -> None:
    """450 "User unknown" is soft_bounce, or unknown_local_recipient_reject_code = 450
    (Postfix's documentation suggests it while testing): the finding names both, and
    its fix sets both (it said only "soft_bounce is on")."""
    log = Log()
    unknown = "<x@example.org>: Recipient address rejected: User unknown in local recipient table"
    log.reject(0, "203.0.113.9", code="450", enhanced="4.1.1", reason=unknown)
    (finding,) = analyze(log.events).findings_of("soft_bounce")
    assert finding.data["or"] == ["unknown_local_recipient_reject_code"]
    assert "unknown_local_recipient_reject_code=550" in finding.data["fix"]
    virtual = Log()
    mailbox = unknown.replace("local recipient", "virtual mailbox")
    virtual.reject(0, "203.0.113.9", code="450", enhanced="4.1.1", reason=mailbox)
    (finding,) = analyze(virtual.events).findings_of("soft_bounce")
    assert finding.data["or"] == ["unknown_virtual_mailbox_reject_code"]
    assert "unknown_virtual_mailbox_reject_code=550" in finding.data["fix"]
    log.reply(1, 100, "435", "4.7.8", "Error: authentication failed:")  # soft_bounce alone
    (finding,) = analyze(log.events).findings_of("soft_bounce")
    assert "or" not in finding.data


def test_normal_replies_and_temporary_auth_failures_are_not_soft_bounce() -> None:
    log = Log()
    log.reply(0, 100, "535", "5.7.8", "Error: authentication failed:")
    log.reply(1, 100, "454", "4.7.0", "Temporary authentication failure")
    log.reject(2, "203.0.113.9")
    # Postfix's own 4xx replies, soft_bounce or not: defer_unauth_destination (the
    # default smtpd_relay_restrictions since 2.10), too many recipients, an unknown
    # client name; they were taken for soft_bounce on servers that had it off
    log.reject(3, "203.0.113.10", code="454", enhanced="4.7.1")
    log.reply(4, 102, "454", "4.7.1", "<x@example.org>: Relay access denied")
    log.reply(5, 103, "452", "4.5.3", "Error: too many recipients")
    log.reply(6, 104, "450", "4.7.1", "Client host rejected: cannot find your hostname")
    assert "soft_bounce" not in kinds(log)


def test_auth_on_port_25_is_reported_and_submission_is_not() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.10", "admin", service="smtp")
    log.sasl_failure(1, "198.51.100.10", "alice@example.com", service="submission")
    (finding,) = analyze(log.events).findings_of("auth_on_port_25")
    assert finding.data["clients"] == ["203.0.113.10"] and not finding.data["more_clients"]


def test_auth_on_port_25_from_more_clients_than_named_says_more() -> None:
    from mailwarden.detect.server import MAX_SAMPLE
    from mailwarden.report.text import _server_detail

    log = Log()
    for n in range(MAX_SAMPLE + 30):
        log.sasl_failure(n, f"2001:db8::{n + 1:x}", "admin", service="smtp")
    (finding,) = analyze(log.events).findings_of("auth_on_port_25")
    assert len(finding.data["clients"]) == MAX_SAMPLE and finding.data["more_clients"]
    assert f"from more than {MAX_SAMPLE} clients" in _server_detail(finding)


def test_auth_offered_in_the_ehlo_reply_on_port_25_is_reported_though_nobody_used_it() -> None:
    log = Log()
    log.connect(0, "192.0.2.220", 300, service="smtp")
    log.reply(0, 300, "250-AUTH", "", "PLAIN LOGIN")
    log.connect(1, "198.51.100.10", 301, service="submission")
    log.reply(1, 301, "250-AUTH", "", "PLAIN LOGIN", service="submission")  # as it should
    (finding,) = analyze(log.events).findings_of("auth_on_port_25")
    assert finding.data["offered"] == 1 and finding.data["attempts"] == 0
    quiet = Log()
    quiet.connect(0, "192.0.2.220", 300, service="smtp")
    quiet.reply(0, 300, "250-PIPELINING", "", "")
    assert analyze(quiet.events).findings_of("auth_on_port_25") == []


def test_credentials_in_the_log_count_users_and_real_users_who_logged_in() -> None:
    log = Log()
    log.connect(0, "198.51.100.20", 200, service="smtp")
    log.auth_command(1, 200, "PLAIN", b64("\x00alice@example.com\x00s3cret-pass"))
    log.reply(1, 200, "235", "2.7.0", "Authentication successful")
    log.connect(2, "203.0.113.20", 201, service="smtp")
    log.auth_command(3, 201, "PLAIN", b64("\x00admin@example.com\x00123456"))
    log.sasl_failure(4, "203.0.113.20", pid=201, service="smtp", reason="")
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("credential_exposed")
    assert finding.subject == "tls_loglevel"
    assert finding.data["users"] == 2 and finding.data["users_with_password"] == 2
    assert finding.data["users_who_logged_in"] == ["alice@example.com"]
    assert finding.severity == "critical"
    assert {c.credential.user for c in analysis.credentials} == {
        "alice@example.com",
        "admin@example.com",
    }


def test_an_attackers_failed_guess_in_the_log_is_no_real_users_password() -> None:
    log = Log()
    log.dovecot_login(0, "198.51.100.10", "jobs@example.com")  # the mailbox's readers
    log.connect(10, "203.0.113.61", 300, service="submission")
    log.auth_command(
        11, 300, "PLAIN", b64("\x00jobs@example.com\x00Spring2026!"), service="submission"
    )
    log.sasl_failure(13, "203.0.113.61", "jobs@example.com", pid=300, service="submission")
    log.reply(13, 300, "535", "5.7.8", "Error: authentication failed:", service="submission")
    log.disconnect(14, "203.0.113.61", 300, failed=1)
    log.dovecot_login(600, "198.51.100.10", "jobs@example.com")
    analysis = analyze(log.events)
    (finding,) = analysis.findings_of("credential_exposed")
    assert finding.data["payloads"] == 1 and finding.data["users_with_password"] == 1
    assert finding.data["users_who_logged_in"] == []  # no real password in the log
    assert finding.data["users_who_logged_in_count"] == 0
    assert finding.severity == "high"  # still the fix to make, not a password to change
    (seen,) = analysis.credentials
    assert (seen.ip, seen.credential.user) == ("203.0.113.61", "jobs@example.com")


def test_a_password_from_a_client_that_logs_in_as_that_user_is_real() -> None:
    log = Log()
    # bob's mail client: its session is dumped and cut short, then it logs in again
    log.connect(0, "198.51.100.42", 400, service="submission")
    log.auth_command(
        1, 400, "PLAIN", b64("\x00bob@example.com\x00b0b-Garden!"), service="submission"
    )
    log.lost_after_auth(2, "198.51.100.42", 400)
    log.queued_login(60, "198.51.100.42", "bob@example.com")
    # carol logged in over IMAP from home before her session was dumped
    log.dovecot_login(100, "198.51.100.55", "carol@example.com")
    log.connect(200, "198.51.100.55", 401, service="submission")
    log.auth_command(
        201, 401, "PLAIN", b64("\x00carol@example.com\x00c4rol!"), service="submission"
    )
    log.sasl_failure(203, "198.51.100.55", "carol@example.com", pid=401, service="submission")
    # a sprayer tries dave, who reads his mail from elsewhere
    log.connect(300, "203.0.113.118", 402, service="submission")
    log.auth_command(
        301, 402, "PLAIN", b64("\x00dave@example.com\x00Winter1!"), service="submission"
    )
    log.sasl_failure(303, "203.0.113.118", "dave@example.com", pid=402, service="submission")
    log.dovecot_login(400, "198.51.100.60", "dave@example.com")
    (finding,) = analyze(log.events).findings_of("credential_exposed")
    assert finding.data["users"] == 3
    assert finding.data["users_who_logged_in"] == ["bob@example.com", "carol@example.com"]
    assert finding.severity == "critical"


def test_a_flood_of_attackers_passwords_does_not_hide_a_real_users() -> None:
    """The passwords waiting for their client to log in are bounded (MAX_PENDING): an
    attacker who fills the table with guesses pushes out the oldest, and a real user's
    password sent after the flood still counts when the user logs in."""
    log = Log()
    mismatch = "Password mismatch (given password: {})"
    for n in range(MAX_PENDING):
        ip = f"203.0.113.{n % 200 + 1}"
        log.dovecot_auth(n / 100, ip, f"user{n // 200}@example.com", reason=mismatch.format("x"))
    log.connect(200, "198.51.100.42", 400, service="submission")
    log.auth_command(
        201, 400, "PLAIN", b64("\x00bob@example.com\x00b0b-Garden!"), service="submission"
    )
    log.lost_after_auth(202, "198.51.100.42", 400)
    log.queued_login(260, "198.51.100.42", "bob@example.com")
    found = analyze(log.events).findings_of("credential_exposed")
    (dump,) = [finding for finding in found if finding.subject == "tls_loglevel"]
    assert dump.data["users_who_logged_in"] == ["bob@example.com"]
    assert dump.severity == "critical"


def test_a_dumped_login_before_the_client_address_shows_is_still_real() -> None:
    log = Log()  # the log begins mid-session: no connect line names the client
    log.auth_command(0, 500, "PLAIN", b64("\x00alice@example.com\x00Tulpen-im-Maerz"))
    log.reply(0, 500, "235", "2.7.0", "Authentication successful")
    (finding,) = analyze(log.events).findings_of("credential_exposed")
    assert finding.data["users_who_logged_in"] == ["alice@example.com"]


def test_dovecot_given_passwords_are_real_only_for_the_users_own_client() -> None:
    log = Log()
    mismatch = "Password mismatch (given password: {})"
    log.dovecot_auth(0, "203.0.113.9", "carol@example.com", reason=mismatch.format("123456"))
    log.dovecot_login(60, "198.51.100.55", "carol@example.com")  # carol, from home
    log.dovecot_auth(100, "198.51.100.56", "dave@example.com", reason=mismatch.format("d4ve-typ0"))
    log.dovecot_login(110, "198.51.100.56", "dave@example.com")  # his typo, then his password
    (finding,) = analyze(log.events).findings_of("credential_exposed")
    assert finding.subject == "dovecot"
    assert finding.data["users"] == 2
    assert finding.data["users_who_logged_in"] == ["dave@example.com"]
