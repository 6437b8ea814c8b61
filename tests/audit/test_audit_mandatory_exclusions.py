"""Weak or anonymous suites where TLS is required (587 with `encrypt`, 465) are fixed
with smtpd_tls_mandatory_exclude_ciphers, which only mandatory TLS reads: port 25's
opportunistic TLS keeps them, since any TLS between mail servers is better than none.
Port 25's own weak suites are still fixed with smtpd_tls_exclude_ciphers."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from audit_helpers import build_postfix, requires_postconf, settle

EXCLUDED = "aNULL,eNULL,EXPORT,LOW,RC4,MD5,DES,3DES"

# Debian 12's main.cf with Dovecot SASL, and the stock submission and submissions.
DEBIAN_MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
"""
STOCK_SUBMISSION = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
submissions     inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
"""
# Port 25 asking for export suites by name: its own finding, its own parameter.
EXPORT_ON_25 = """
smtpd_tls_ciphers = export
tls_export_cipherlist = ALL:+RC4:@STRENGTH
"""


def report(run_cli, directory: Path, *extra: str) -> dict:
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    return json.loads(run_cli(*args).out)


def postconf(directory: Path, *args: str) -> str:
    command = ["postconf", "-c", str(directory), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@requires_postconf
def test_weak_suites_of_submission_are_excluded_from_mandatory_tls_only(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "debian", DEBIAN_MAIN, STOCK_SUBMISSION)

    document = report(run_cli, directory)
    ciphers = [f for f in document["findings"] if f["id"].endswith("_ciphers")]
    # Postfix 3.7 needs OpenSSL 1.1.1, which has no RC4: anonymous suites only
    assert {f["id"] for f in ciphers} == {"postfix.anonymous_ciphers"}
    assert {f["subject"] for f in ciphers} == {"submission/inet, submissions/inet"}
    (anonymous,) = [f for f in ciphers if f["id"] == "postfix.anonymous_ciphers"]
    mandatory = f"postconf -c {directory} -e 'smtpd_tls_mandatory_exclude_ciphers={EXCLUDED}'"
    assert anonymous["fix"]["commands"] == [mandatory]
    assert not [c for c in document["commands"] if "smtpd_tls_exclude_ciphers" in c]

    for command in document["commands"]:  # as printed, with the real postconf
        if command.startswith("postconf "):
            subprocess.run(shlex.split(command), check=True)
    settle(directory)
    assert postconf(directory, "-h", "smtpd_tls_exclude_ciphers").strip() == ""  # port 25
    assert report(run_cli, directory)["findings"] == []


@requires_postconf
def test_export_suites_on_port_25_are_still_excluded_there(run_cli, tmp_path: Path):
    """Port 25 asks for export suites: its fix raises its grade and excludes them with
    the parameter that opportunistic TLS reads; submission gets the mandatory one."""
    directory = build_postfix(tmp_path / "mx", DEBIAN_MAIN + EXPORT_ON_25, STOCK_SUBMISSION)

    document = report(run_cli, directory, "--openssl-version", "1.0.2k")  # export suites
    weak = {f["subject"]: f for f in document["findings"] if f["id"] == "postfix.weak_ciphers"}
    prefix = f"postconf -c {directory} -e"
    assert weak["smtp/inet"]["severity"] == "medium"
    assert weak["smtp/inet"]["fix"]["commands"] == [
        f"{prefix} 'smtpd_tls_ciphers=medium'",
        f"{prefix} 'smtpd_tls_exclude_ciphers={EXCLUDED}'",
    ]
    anonymous = [f for f in document["findings"] if f["id"] == "postfix.anonymous_ciphers"]
    assert [f["subject"] for f in anonymous] == ["submission/inet, submissions/inet"]
    assert anonymous[0]["fix"]["commands"] == [
        f"{prefix} 'smtpd_tls_mandatory_exclude_ciphers={EXCLUDED}'"
    ]
