"""Values that postconf takes but Postfix's programs refuse at start. A yes/no parameter
takes only yes or no, in any case (`-o smtpd_tls_auth_only=1`: "fatal: bad boolean
configuration: smtpd_tls_auth_only = 1"); a `-o` must be name=value (`-o
smtpd_sasl_auth_enable`: "fatal: invalid "-o smtpd_sasl_auth_enable" option value:
missing '=' after attribute name"). The audit read `1`, `true` and `on` as yes and
dropped a bad `-o` without a word: "No problems found", exit 0, on a service that does
not run. Now a note names each with its file and line, the audit is incomplete (exit
1), and such a boolean is read as no."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import (
    HARDENED_MAIN,
    HARDENED_MASTER,
    Result,
    build_postfix,
    requires_postconf,
)

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2", *extra)


def document(result: Result) -> dict:
    return json.loads(result.out)


def last_line(directory: Path) -> int:
    return len((directory / "master.cf").read_text().splitlines())


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("value", ["1", "true", "on", "Yes1", ""])
def test_a_boolean_postfix_refuses_is_noted_and_the_audit_incomplete(
    run_cli, tmp_path: Path, value: str, reader: list[str]
):
    # the hardened submissions service, with a value smtpd refuses
    master = HARDENED_MASTER + f"  -o smtpd_tls_auth_only={value}\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    result = audit(run_cli, directory, "--format", "json", *reader)

    assert result.status == 1
    report = document(result)
    assert report["complete"] is False
    said = [n for n in report["notes"] if "bad boolean configuration" in n]
    assert len(said) == 1
    assert f"master.cf, line {last_line(directory)}:" in said[0]
    assert f'"fatal: bad boolean configuration: smtpd_tls_auth_only = {value}"' in said[0]
    assert "submissions/inet does not run" in said[0]


@pytest.mark.parametrize("value", ["YES", "no", "No"])
def test_yes_and_no_in_any_case_are_taken(run_cli, tmp_path: Path, value: str):
    master = HARDENED_MASTER + f"  -o smtpd_tls_auth_only={value}\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    result = audit(run_cli, directory, "--format", "json")

    assert result.status == 0
    assert document(result)["complete"] is True


def test_a_refused_boolean_is_read_as_no_and_its_fix_writes_yes(run_cli, tmp_path: Path):
    """`-o smtpd_tls_auth_only=1` with optional TLS: not AUTH after TLS, as the audit
    read it, but a cleartext finding whose fix writes `yes`, which Postfix takes."""
    master = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=1
"""
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    result = audit(run_cli, directory)

    assert result.status == 3
    assert "postfix.cleartext_auth" in result.out
    assert f"postconf -c {directory} -P 'submission/inet/smtpd_tls_auth_only=yes'" in result.out
    assert "Not audited in full: Postfix refuses values" in result.out


@pytest.mark.parametrize("reader", READERS)
def test_a_refused_boolean_in_main_cf_is_noted(run_cli, tmp_path: Path, reader: list[str]):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN + "soft_bounce = true\n", HARDENED_MASTER
    )
    line = len((directory / "main.cf").read_text().splitlines())

    result = audit(run_cli, directory, *reader)

    assert result.status == 1
    assert "No problems found" not in result.out
    text = " ".join(result.out.split())
    assert f"main.cf, line {line}: soft_bounce = true:" in text
    assert '"fatal: bad boolean configuration: soft_bounce = true"' in text


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("option", "error"),
    [
        (
            "-o smtpd_sasl_auth_enable",
            "invalid \"-o smtpd_sasl_auth_enable\" option value: missing '=' after attribute name",
        ),
        ("-o =yes", 'invalid "-o =yes" option value: missing attribute name'),
        ("-o", "invalid option: o"),
    ],
)
def test_a_bad_o_option_is_noted_with_its_line(
    run_cli, tmp_path: Path, option: str, error: str, reader: list[str]
):
    master = HARDENED_MASTER + f"  {option}\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    result = audit(run_cli, directory, "--format", "json", *reader)

    assert result.status == 1
    report = document(result)
    assert report["complete"] is False
    said = [n for n in report["notes"] if error in n]
    assert len(said) == 1
    assert f"master.cf, line {last_line(directory)}:" in said[0]
    assert "submissions/inet does not run" in said[0]


def test_the_notes_and_the_summary_are_in_chinese(run_cli, tmp_path: Path):
    master = HARDENED_MASTER + "  -o smtpd_tls_auth_only=1\n  -o smtpd_sasl_auth_enable\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    result = audit(run_cli, directory, "--lang", "zh")

    assert result.status == 1
    text = "".join(result.out.split())
    assert "这里Postfix只接受yes或no" in text
    assert "不是name=value形式" in text
    assert "审计不完整：Postfix会拒绝此配置中的某些值" in text
