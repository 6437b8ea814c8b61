"""A yes/no parameter of main.cf that Postfix refuses (`smtpd_tls_auth_only = true`)
got its note, but the printed fix only set the parameter on one service (`postconf -P
'submission/inet/smtpd_tls_auth_only=yes'`): main.cf still held `true`, port 25's smtpd
still stopped at start, and the audit after pasting was still incomplete (exit 1). Now
the fix writes `no` in main.cf, the value the audit read it as."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import Result, build_postfix, requires_postconf, settle

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]

MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
smtpd_tls_auth_only = true
"""

MASTER = """
submission inet n - y - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=may
"""


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)


def paste(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[0] == "postconf":
            subprocess.run(argv, capture_output=True, text=True, check=True)
    settle(directory)


def postconf(directory: Path, parameter: str) -> str:
    argv = ["postconf", "-c", str(directory), "-h", parameter]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("reader", READERS)
def test_pasting_the_fixes_ends_a_refused_boolean_of_main_cf(
    run_cli, tmp_path: Path, reader: list[str]
):
    directory = build_postfix(tmp_path / "pf", MAIN, MASTER)

    before = audit(run_cli, directory, *reader)
    assert before.status == 3  # cleartext AUTH on 587, as the audit read `true` (no)
    commands = json.loads(before.out)["commands"]
    assert f"postconf -c {directory} -e 'smtpd_tls_auth_only=no'" in commands

    paste(commands, directory)
    after = audit(run_cli, directory, *reader)

    assert postconf(directory, "smtpd_tls_auth_only") == "no"
    assert json.loads(after.out)["complete"] is True
    assert after.status == 0


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_finding_names_the_parameter(run_cli, tmp_path: Path, lang: str):
    directory = build_postfix(tmp_path / "pf", MAIN, MASTER)

    text = run_cli("audit", "--postfix-dir", str(directory), "--lang", lang).out

    assert "postfix.refused_boolean" in text
    assert "smtpd_tls_auth_only=no" in text


@pytest.mark.parametrize("reader", READERS)
def test_the_note_points_to_the_finding(run_cli, tmp_path: Path, reader: list[str]):
    """The note ended "Write yes or no" beside the finding that gives the command."""
    directory = build_postfix(tmp_path / "pf", MAIN, MASTER)

    report = json.loads(audit(run_cli, directory, *reader).out)

    assert "postfix.refused_boolean" in {f["id"] for f in report["findings"]}
    (note,) = [n for n in report["notes"] if "bad boolean configuration" in n]
    assert note.endswith(
        "The finding postfix.refused_boolean below gives the command that ends it."
    )
    assert "Write yes or no" not in note
