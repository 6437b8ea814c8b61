"""What the log reveals about the server itself."""

from __future__ import annotations

import base64

from detect_factory import Log

from mailwarden.detect import analyze
from mailwarden.detect.server import weak_cipher_list


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
    log.reject(1, "203.0.113.9", code="454", enhanced="4.7.1")
    (finding,) = analyze(log.events).findings_of("soft_bounce")
    assert finding.data["replies"] == 2


def test_normal_replies_and_temporary_auth_failures_are_not_soft_bounce() -> None:
    log = Log()
    log.reply(0, 100, "535", "5.7.8", "Error: authentication failed:")
    log.reply(1, 100, "454", "4.7.0", "Temporary authentication failure")
    log.reject(2, "203.0.113.9")
    assert "soft_bounce" not in kinds(log)


def test_auth_on_port_25_is_reported_and_submission_is_not() -> None:
    log = Log()
    log.sasl_failure(0, "203.0.113.10", "admin", service="smtp")
    log.sasl_failure(1, "198.51.100.10", "alice@example.com", service="submission")
    (finding,) = analyze(log.events).findings_of("auth_on_port_25")
    assert finding.data["clients"] == ["203.0.113.10"]


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
