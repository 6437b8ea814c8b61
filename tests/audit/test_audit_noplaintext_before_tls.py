"""Postfix's documented "plaintext only after TLS" setup: `smtpd_sasl_security_options =
noanonymous, noplaintext` (what smtpd offers before STARTTLS) with
`smtpd_sasl_tls_security_options = noanonymous` (after it). Before TLS smtpd then offers
no mechanism that sends the password in cleartext (with Dovecot's default
`auth_mechanisms = plain`, no AUTH at all), so TLS being optional is no cleartext
password: the audit called it a high `cleartext_auth` all the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import Result, build_postfix, requires_postconf

pytestmark = requires_postconf

TLS_MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
"""

NOPLAINTEXT = """
smtpd_sasl_security_options = noanonymous, noplaintext
smtpd_sasl_tls_security_options = noanonymous
"""

SUBMISSION_MAY = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
"""


def findings(result: Result) -> dict[str, dict]:
    return {f["id"]: f for f in json.loads(result.out)["findings"]}


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)


@pytest.mark.parametrize("reader", [[], ["--read-files"]])
def test_noplaintext_before_tls_is_no_cleartext_finding(run_cli, tmp_path: Path, reader):
    directory = build_postfix(tmp_path / "pf", TLS_MAIN + NOPLAINTEXT, SUBMISSION_MAY)

    result = audit(run_cli, directory, *reader)

    found = findings(result)
    assert "postfix.cleartext_auth" not in found
    assert result.status == 0
    # TLS is still optional on 587: the low finding says why passwords are safe anyway
    low = found["postfix.submission_tls_not_required"]
    assert low["severity"] == "low"
    assert "noplaintext" in low["explanation"]
    evidence = {e["parameter"]: e["value"] for e in low["evidence"]}
    assert evidence["smtpd_sasl_security_options"] == "noanonymous, noplaintext"


def test_a_service_that_overrides_noplaintext_away_keeps_its_finding(run_cli, tmp_path: Path):
    master = SUBMISSION_MAY + "  -o smtpd_sasl_security_options=noanonymous\n"
    directory = build_postfix(tmp_path / "pf", TLS_MAIN + NOPLAINTEXT, master)

    result = audit(run_cli, directory)

    assert result.status == 3
    assert "postfix.cleartext_auth" in findings(result)


def test_noplaintext_given_to_one_service_with_o_is_respected(run_cli, tmp_path: Path):
    master = SUBMISSION_MAY + "  -o smtpd_sasl_security_options=noanonymous,noplaintext\n"
    directory = build_postfix(tmp_path / "pf", TLS_MAIN, master)

    result = audit(run_cli, directory, "--check", "cleartext_auth")

    assert result.status == 0
    assert "postfix.cleartext_auth" not in findings(result)


def test_auth_on_port_25_with_noplaintext_does_not_say_cleartext(run_cli, tmp_path: Path):
    main = TLS_MAIN + NOPLAINTEXT + "smtpd_sasl_auth_enable = yes\n"
    directory = build_postfix(tmp_path / "pf", main)

    assert findings(audit(run_cli, directory, "--check", "cleartext_auth")) == {}
    found = findings(audit(run_cli, directory, "--check", "auth_on_port_25"))
    assert "cleartext" not in found["postfix.auth_on_port_25"]["explanation"]
    chinese = findings(audit(run_cli, directory, "--check", "auth_on_port_25", "--lang", "zh"))
    assert "明文" not in chinese["postfix.auth_on_port_25"]["explanation"]


def test_the_low_finding_is_in_chinese_too(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", TLS_MAIN + NOPLAINTEXT, SUBMISSION_MAY)

    found = findings(audit(run_cli, directory, "--lang", "zh"))

    explanation = found["postfix.submission_tls_not_required"]["explanation"]
    assert "noplaintext" in explanation
    assert "以明文发送密码的认证机制" in explanation


def test_old_tls_versions_are_reported_where_passwords_wait_for_tls(run_cli, tmp_path: Path):
    """With noplaintext the passwords on 587 cross the opportunistic TLS, whose versions
    smtpd_tls_protocols sets: TLSv1 allowed there is reported, as with
    smtpd_tls_auth_only = yes."""
    main = TLS_MAIN.replace("smtpd_tls_protocols = >=TLSv1.2", "smtpd_tls_protocols = >=TLSv1")
    directory = build_postfix(tmp_path / "pf", main + NOPLAINTEXT, SUBMISSION_MAY)

    found = findings(audit(run_cli, directory, "--check", "postfix.submission_old_tls"))

    old_tls = found["postfix.submission_old_tls"]
    assert old_tls["evidence"][0]["parameter"] == "smtpd_tls_protocols"
    assert "TLSv1, TLSv1.1" in old_tls["title"]
