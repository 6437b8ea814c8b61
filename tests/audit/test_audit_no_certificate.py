"""TLS on without a certificate: smtpd logs "No server certs available. TLS won't be
enabled" and runs without TLS; Dovecot 2.3 starts (doveconf accepts it) and fails every
TLS handshake. Both used to audit clean, also after the audit's own fix that turns TLS
on. Configurations built in tmp dirs, read with the real postconf and doveconf."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from audit_helpers import audit, build_postfix, requires_doveconf, requires_postconf, write

SASL = """
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_mandatory_exclude_ciphers = aNULL, eNULL, RC4
"""

SUBMISSION = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
"""


def postfix(run_cli, directory: Path, *extra: str) -> tuple[int, dict]:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    return result.status, json.loads(result.out)


def found(document: dict) -> list[tuple[str, str, str | None]]:
    return [(f["severity"], f["id"], f["subject"]) for f in document["findings"]]


@requires_postconf
def test_submission_that_requires_tls_without_a_certificate_is_high(run_cli, tmp_path: Path):
    """The reviewer's configuration: encrypt and auth_only on 587, both certificate
    files empty in main.cf. Nobody can log in there."""
    main = SASL + "smtpd_tls_cert_file =\nsmtpd_tls_key_file =\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION)

    status, document = postfix(run_cli, directory)

    assert status == 3
    assert found(document) == [("high", "postfix.no_certificate", "submission/inet")]
    (finding,) = document["findings"]
    assert finding["title"] == (
        "TLS is required, but smtpd has no certificate: no client gets through"
    )
    assert "No server certs available" in finding["explanation"]
    assert finding["fix"]["commands"] == []
    command = f"postconf -c {directory} -e 'smtpd_tls_chain_files=/etc/ssl/private/mail.pem'"
    assert command in finding["fix"]["note"]
    evidence = {e["parameter"]: e for e in finding["evidence"]}
    assert evidence["smtpd_tls_cert_file"]["line"] is not None  # written empty in main.cf
    assert evidence["smtpd_tls_security_level"]["service"] == "submission/inet"

    _, chinese = postfix(run_cli, directory, "--lang", "zh_CN")
    assert chinese["findings"][0]["title"] == "强制 TLS，但 smtpd 没有证书：任何客户端都无法通过"
    assert command in chinese["findings"][0]["fix"]["note"]


@requires_postconf
def test_the_certificate_files_of_an_old_postfix_are_named(run_cli, tmp_path: Path):
    """smtpd_tls_chain_files came in 3.4: an older Postfix ignores it, so it neither
    counts as a certificate there nor is it what the finding asks for."""
    main = SASL + "smtpd_tls_chain_files = /etc/ssl/private/mail.pem\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION)

    _, new = postfix(run_cli, directory, "--postfix-version", "3.7.11")
    _, old = postfix(run_cli, directory, "--postfix-version", "3.3.2")

    assert "postfix.no_certificate" not in {f["id"] for f in new["findings"]}
    (finding,) = [f for f in old["findings"] if f["id"] == "postfix.no_certificate"]
    assert "'smtpd_tls_cert_file=/etc/ssl/certs/mail.pem'" in finding["fix"]["note"]
    assert "'smtpd_tls_key_file=/etc/ssl/private/mail.key'" in finding["fix"]["note"]
    assert "smtpd_tls_chain_files=" not in finding["fix"]["note"]


@requires_postconf
@pytest.mark.parametrize(
    ("main", "option"),
    [
        ("smtpd_tls_chain_files = /etc/ssl/private/mail.pem\n", ""),
        ("smtpd_tls_eccert_file = /etc/ssl/certs/ec.pem\n", ""),
        ("smtpd_tls_dcert_file = /etc/ssl/certs/dsa.pem\n", ""),
        ("", "  -o smtpd_tls_cert_file=/etc/ssl/certs/mail.pem\n"),
        ("", "  -o smtpd_tls_chain_files=/etc/ssl/private/mail.pem\n"),
    ],
    ids=["chain_files", "eccert", "dcert", "cert_file-in-o", "chain_files-in-o"],
)
def test_any_certificate_parameter_counts(run_cli, tmp_path: Path, main: str, option: str):
    directory = build_postfix(tmp_path / "pf", SASL + main, SUBMISSION + option)

    status, document = postfix(run_cli, directory)

    assert (status, document["findings"]) == (0, [])


@requires_postconf
def test_a_service_that_empties_the_certificate_with_o_has_none(run_cli, tmp_path: Path):
    main = SASL + "smtpd_tls_cert_file = /etc/ssl/certs/mail.pem\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION + "  -o smtpd_tls_cert_file=\n")

    _, document = postfix(run_cli, directory)

    assert found(document) == [("high", "postfix.no_certificate", "submission/inet")]


@requires_postconf
def test_optional_tls_on_port_25(run_cli, tmp_path: Path):
    """Port 25 with `may` and no certificate: smtpd just offers no STARTTLS, nothing
    to report without AUTH; with AUTH there, medium (auth_on_port_25 is the high one)."""
    plain = build_postfix(tmp_path / "plain", "smtpd_tls_security_level = may\n")
    _, document = postfix(run_cli, plain)
    assert document["findings"] == []

    main = SASL + "smtpd_tls_security_level = may\nsmtpd_sasl_auth_enable = yes\n"
    with_auth = build_postfix(tmp_path / "auth", main, SUBMISSION)
    _, document = postfix(run_cli, with_auth)
    certificate = [f for f in document["findings"] if f["id"] == "postfix.no_certificate"]
    assert sorted((f["severity"], f["subject"]) for f in certificate) == [
        ("high", "submission/inet"),
        ("medium", "smtp/inet"),
    ]


@requires_postconf
def test_a_fix_that_turns_tls_on_reports_the_missing_certificate_up_front(run_cli, tmp_path: Path):
    """No TLS, AUTH on a public service other than 587: the fix offers TLS
    (`may`) and keeps AUTH for after it. Without a certificate that would leave nobody
    able to log in: the report says so now, named with the fix, and the re-audit
    after the fix keeps saying so (it said "No problems found")."""
    master = "2525 inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
    directory = build_postfix(tmp_path / "pf", SASL, SUBMISSION + master)

    _, before = postfix(run_cli, directory)

    (cleartext,) = [f for f in before["findings"] if f["id"] == "postfix.cleartext_auth"]
    certificate = {
        f["subject"]: f for f in before["findings"] if f["id"] == "postfix.no_certificate"
    }
    assert "No TLS certificate is configured" in cleartext["fix"]["note"]
    assert sorted(certificate) == ["2525/inet", "submission/inet"]
    note = certificate["2525/inet"]["fix"]["note"]
    assert "This applies to 2525/inet once the fix of postfix.cleartext_auth is in." in note
    for command in cleartext["fix"]["commands"]:
        subprocess.run(command, shell=True, check=True, capture_output=True)

    _, after = postfix(run_cli, directory)
    assert sorted((f["id"], f["subject"]) for f in after["findings"]) == [
        ("postfix.no_certificate", "2525/inet"),
        ("postfix.no_certificate", "submission/inet"),
    ]


# --- Dovecot --------------------------------------------------------------------------

DOVECOT = "protocols = imap\npassdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n"


@requires_doveconf
@pytest.mark.parametrize("extra", [(), ("--read-files",)])
def test_dovecot_tls_on_without_a_certificate_is_high(run_cli, tmp_path: Path, extra):
    """`ssl = yes` with ssl_cert and ssl_key commented out: doveconf accepts it."""
    text = DOVECOT + "ssl = yes\n#ssl_cert = </etc/dovecot/private/dovecot.pem\n"
    path = write(tmp_path, "dovecot.conf", text)
    doveconf = subprocess.run(["doveconf", "-c", str(path), "-n"], capture_output=True)
    assert doveconf.returncode == 0

    status, document = audit(run_cli, path, *extra)

    assert status == 3
    (finding,) = document["findings"]
    assert (finding["id"], finding["severity"]) == ("dovecot.ssl_no_certificate", "high")
    assert "nothing sets ssl_cert, ssl_key" in finding["explanation"]
    assert finding["fix"]["commands"] == []
    assert f"In {path}, set ssl_cert = </etc/ssl/certs/mail.pem" in finding["fix"]["note"]
    _, chinese = audit(run_cli, path, "--lang", "zh_CN", *extra)
    assert "没有任何地方设置 ssl_cert、ssl_key" in chinese["findings"][0]["explanation"]


@requires_doveconf
@pytest.mark.parametrize("extra", [(), ("--read-files",)])
@pytest.mark.parametrize(
    "serving",
    [
        "protocols =\n",  # only Postfix's SASL (service auth): no login listener
        "protocols = lmtp\n",  # local delivery only
        "protocols = imap\nlisten = 127.0.0.1, ::1\n",  # a webmail on this host
    ],
)
def test_no_login_from_elsewhere_needs_no_certificate(run_cli, tmp_path: Path, extra, serving):
    """A Dovecot that serves no login over the network has no TLS connection to fail."""
    text = serving + "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\nssl = yes\n"
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, *extra)

    assert "dovecot.ssl_no_certificate" not in [f["id"] for f in document["findings"]]


@requires_doveconf
@pytest.mark.parametrize("extra", [(), ("--read-files",)])
def test_a_certificate_and_key_are_enough(run_cli, tmp_path: Path, extra):
    """doveconf -n hides the value of ssl_key (`# hidden, use -P to show it`): printed,
    it is set."""
    text = DOVECOT + "ssl = required\nssl_cert = </etc/c.pem\nssl_key = </etc/k.pem\n"
    path = write(tmp_path, "dovecot.conf", text)

    status, document = audit(run_cli, path, *extra)

    assert (status, document["findings"]) == (0, [])


@requires_doveconf
def test_a_key_without_its_certificate_is_named(run_cli, tmp_path: Path):
    path = write(tmp_path, "dovecot.conf", DOVECOT + "ssl_cert = </etc/c.pem\n")

    _, document = audit(run_cli, path)

    (finding,) = document["findings"]
    assert "nothing sets ssl_key." in finding["explanation"]


@requires_doveconf
def test_dovecot_after_its_own_ssl_fix_is_not_clean(run_cli, tmp_path: Path):
    """The reviewer's sequence: `ssl = no`, the audit's fix writes `ssl = yes`, and the
    re-audit said "No problems found" with no ssl_cert."""
    path = write(tmp_path, "dovecot.conf", DOVECOT + "ssl = no\n")

    _, before = audit(run_cli, path)
    by_id = {f["id"]: f for f in before["findings"]}
    assert by_id["dovecot.ssl_no_certificate"]["severity"] == "high"
    note = by_id["dovecot.ssl_no_certificate"]["fix"]["note"]
    assert "once the fix of dovecot.ssl_disabled turns TLS on" in note
    for command in by_id["dovecot.ssl_disabled"]["fix"]["commands"]:
        subprocess.run(command, shell=True, check=True)

    status, after = audit(run_cli, path)
    assert "ssl = yes\n" in path.read_text()
    assert (status, [f["id"] for f in after["findings"]]) == (3, ["dovecot.ssl_no_certificate"])


def test_dovecot_24_names_its_own_settings(run_cli, tmp_path: Path):
    text = "dovecot_config_version = 2.4.1\nprotocols = imap\nssl = yes\n"
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, "--read-files")

    (finding,) = document["findings"]
    assert "nothing sets ssl_server_cert_file, ssl_server_key_file" in finding["explanation"]
    assert "ssl_server_cert_file = /etc/ssl/certs/mail.pem" in finding["fix"]["note"]
