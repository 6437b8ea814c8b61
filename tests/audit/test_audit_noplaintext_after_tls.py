"""`noplaintext` in smtpd_sasl_security_options holds after STARTTLS too unless
smtpd_sasl_tls_security_options is set (its default is `$smtpd_sasl_security_options`).
With Dovecot's default mechanisms (plain) no AUTH is then offered to anyone: nobody can
log in. The audit said nothing, and clean once its other fixes were pasted. Without TLS
on the service (`-o smtpd_tls_security_level=none`) `noplaintext` means the same, and
the audit spoke of TLS being optional and passwords waiting for STARTTLS."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import Result, build_postfix, requires_postconf, settle

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]

TLS_MAIN = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_client_auth_rate_limit = 10
"""

ONLY_BEFORE_TLS_LIST = "smtpd_sasl_security_options = noanonymous, noplaintext\n"

SUBMISSION = """
submission inet n - y - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level={level}
"""

NO_LOGIN = "postfix.submission_no_login"


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)


def report(result: Result) -> dict:
    return json.loads(result.out)


def findings(result: Result) -> dict[str, dict]:
    return {f["id"]: f for f in report(result)["findings"]}


def paste(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[0] == "postconf":
            subprocess.run(argv, capture_output=True, text=True, check=True)
    settle(directory)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("level", ["may", "encrypt"])
def test_noplaintext_only_in_the_before_tls_list_means_nobody_can_log_in(
    run_cli, tmp_path: Path, reader: list[str], level: str
):
    master = SUBMISSION.format(level=level)
    directory = build_postfix(tmp_path / "pf", TLS_MAIN + ONLY_BEFORE_TLS_LIST, master)

    result = audit(run_cli, directory, *reader)

    found = findings(result)[NO_LOGIN]
    assert found["subject"] == "submission/inet"
    commands = report(result)["commands"]
    assert f"postconf -c {directory} -e 'smtpd_sasl_tls_security_options=noanonymous'" in commands

    paste(commands, directory)
    again = audit(run_cli, directory, *reader)
    assert NO_LOGIN not in findings(again)
    assert report(again)["commands"] == []
    assert again.status == 0


def test_the_text_says_nobody_can_log_in_in_english_and_chinese(run_cli, tmp_path: Path):
    master = SUBMISSION.format(level="may")
    directory = build_postfix(tmp_path / "pf", TLS_MAIN + ONLY_BEFORE_TLS_LIST, master)

    english = run_cli("audit", "--postfix-dir", str(directory), "--lang", "en").out
    chinese = run_cli("audit", "--postfix-dir", str(directory), "--lang", "zh_CN").out

    assert "even after STARTTLS" in " ".join(english.split())
    assert "cannot log in" in " ".join(english.split())
    assert "用户无法在这里登录" in chinese


def test_the_documented_setup_with_a_list_after_tls_is_no_finding(run_cli, tmp_path: Path):
    main = TLS_MAIN + ONLY_BEFORE_TLS_LIST + "smtpd_sasl_tls_security_options = noanonymous\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION.format(level="may"))

    assert NO_LOGIN not in findings(audit(run_cli, directory))


@pytest.mark.parametrize("reader", READERS)
def test_noplaintext_given_to_the_service_with_o_is_fixed_on_the_service(
    run_cli, tmp_path: Path, reader: list[str]
):
    master = SUBMISSION.format(level="encrypt") + (
        "  -o smtpd_sasl_security_options=noanonymous,NoPlainText\n"
    )
    directory = build_postfix(tmp_path / "pf", TLS_MAIN, master)

    result = audit(run_cli, directory, *reader)

    assert NO_LOGIN in findings(result)
    wanted = "-P 'submission/inet/smtpd_sasl_tls_security_options=noanonymous'"
    assert [c for c in report(result)["commands"] if wanted in c]
    # a service that sets the after-TLS list itself can log in
    fine = build_postfix(
        tmp_path / "fine",
        TLS_MAIN + ONLY_BEFORE_TLS_LIST,
        SUBMISSION.format(level="encrypt") + "  -o smtpd_sasl_tls_security_options=noanonymous\n",
    )
    assert NO_LOGIN not in findings(audit(run_cli, fine, *reader))


@pytest.mark.parametrize("reader", READERS)
def test_without_tls_noplaintext_is_no_login_not_optional_tls(
    run_cli, tmp_path: Path, reader: list[str]
):
    main = TLS_MAIN + ONLY_BEFORE_TLS_LIST + "smtpd_sasl_tls_security_options = noanonymous\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION.format(level="none"))

    result = audit(run_cli, directory, *reader)
    text = " ".join(run_cli("audit", "--postfix-dir", str(directory), *reader).out.split())

    found = findings(result)
    assert found[NO_LOGIN]["title"].endswith("no TLS, and noplaintext")
    assert "postfix.submission_tls_not_required" not in found
    assert "TLS is optional" not in text
    assert "TLS is off (smtpd_tls_security_level = none)" in text
    assert "cannot log in on this service" in text

    paste(report(result)["commands"], directory)
    again = audit(run_cli, directory, *reader)
    assert NO_LOGIN not in findings(again)
    assert again.status == 0


@pytest.mark.parametrize("reader", READERS)
def test_security_options_in_any_case_are_read(run_cli, tmp_path: Path, reader: list[str]):
    """Postfix takes `NoAnonymous,NOPLAINTEXT` as `noanonymous,noplaintext`: the audit
    reported anonymous logins allowed (medium) all the same."""
    main = TLS_MAIN + "smtpd_sasl_security_options = NoAnonymous,NOPLAINTEXT\n"
    directory = build_postfix(tmp_path / "pf", main, SUBMISSION.format(level="encrypt"))

    found = findings(audit(run_cli, directory, *reader))

    assert "postfix.anonymous_sasl" not in found
    # NOPLAINTEXT holds after TLS too, whatever its case
    assert NO_LOGIN in found
