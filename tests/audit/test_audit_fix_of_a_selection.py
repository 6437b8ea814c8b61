"""`--check` runs some checks: the fixes it prints are those of what it reports.

A `postconf -M` rewrite (the only way to drop `smtpd -v`) carries the `-o` edits of the
other findings of its service, so that pasting the report in any order undoes none of
them; under `--check`, the findings left out are not in the report, and their edits must
not be written in the name of another one. The reverse holds too: an edit that a fix
needs is kept in it unless the report shows it under another finding.
"""

from __future__ import annotations

import json
from pathlib import Path

from audit_helpers import USER_MAIN, build_postfix, requires_postconf

MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
"""

# The stock submission service, run with -v. Postfix 3.7 still allows TLSv1 and
# TLSv1.1 with mandatory TLS: postfix.submission_old_tls, a -o edit of this service.
VERBOSE_SUBMISSION = """
submission inet n       -       y       -       -       smtpd -v
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
"""

PROTOCOLS = "smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"
FOLDED = "carries the other fixes of this service in this report"


def rewrite_of(out: str) -> str:
    """The `postconf -M` line of submission: under its finding, and in the paste list."""
    lines = {line.strip() for line in out.splitlines() if " -M 'submission/inet=" in line}
    (line,) = lines
    return line


@requires_postconf
def test_a_rewrite_carries_no_fix_of_a_check_that_did_not_run(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "p", MAIN, VERBOSE_SUBMISSION)
    args = ("audit", "--postfix-dir", str(directory))

    selected = run_cli(*args, "--check", "credential_exposed").out
    prose = " ".join(selected.split())
    assert "HIGH postfix.smtpd_verbose" in prose
    assert "postfix.submission_old_tls" not in selected
    rewrite = rewrite_of(selected)
    assert " smtpd -o syslog_name=postfix/submission" in rewrite  # -v dropped
    assert "-o smtpd_tls_auth_only=yes'" in rewrite  # the options as they are
    assert PROTOCOLS not in selected  # no fix of a check that did not run
    assert FOLDED not in prose

    # The full audit reports both: there the rewrite keeps the -o edit of the other.
    full = run_cli(*args).out
    assert "postfix.submission_old_tls" in full
    assert PROTOCOLS in rewrite_of(full)
    assert FOLDED in " ".join(full.split())


@requires_postconf
def test_a_selected_fix_keeps_the_edits_that_no_reported_finding_shows(run_cli, tmp_path: Path):
    """AUTH in main.cf with smtpd_tls_loglevel = 4: the fix of postfix.auth_on_port_25
    adds a submission service, which would log passwords at that level. In a full audit
    the edit to level 1 is shown under postfix.tls_loglevel_credentials; when only
    auth_on_port_25 runs, it is in that fix, or the new service logs passwords."""
    directory = build_postfix(tmp_path / "p", USER_MAIN)
    args = ("audit", "--postfix-dir", str(directory), "--format", "json")
    loglevel = f"postconf -c {directory} -e 'smtpd_tls_loglevel=1'"

    full = json.loads(run_cli(*args).out)
    fixes = {f["id"]: f["fix"]["commands"] for f in full["findings"]}
    assert loglevel not in fixes["postfix.auth_on_port_25"]
    assert loglevel in fixes["postfix.tls_loglevel_credentials"]

    only = json.loads(run_cli(*args, "--check", "postfix.auth_on_port_25").out)
    (auth,) = only["findings"]
    assert auth["id"] == "postfix.auth_on_port_25"
    assert loglevel in auth["fix"]["commands"]
    assert loglevel in only["commands"]
