"""A yes/no parameter that Postfix refuses in one service's `-o` (`-o
smtpd_tls_auth_only=1`: "fatal: bad boolean configuration", that service does not run)
had only its note: "Write yes or no", no command to paste, and the audit stayed
incomplete (exit 1) until it was edited by hand. main.cf's case has had
`postfix.refused_boolean`, whose fix writes no. Now the `-o` case has that finding too,
with `postconf -P 'service/type/parameter=no'` (the value the audit read), unless
another finding's fix writes that `-o` itself."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import (
    HARDENED_MAIN,
    HARDENED_MASTER,
    Result,
    build_postfix,
    requires_postconf,
    settle,
)

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]

REFUSED = "postfix.refused_boolean"


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2", *extra)


def paste(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[0] == "postconf":  # not `postfix reload`
            subprocess.run(argv, capture_output=True, text=True, check=True)
    settle(directory)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("value", ["1", "true", "On"])
def test_a_refused_o_boolean_gets_a_fix_that_postconf_applies(
    run_cli, tmp_path: Path, reader: list[str], value: str
):
    # the hardened submissions service (465), with a value smtpd refuses
    master = HARDENED_MASTER + f"  -o smtpd_tls_auth_only={value}\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    before = audit(run_cli, directory, "--format", "json", *reader)

    assert before.status == 1
    report = json.loads(before.out)
    found = [f for f in report["findings"] if f["id"] == REFUSED]
    assert len(found) == 1
    assert found[0]["subject"] == "submissions/inet"
    assert found[0]["severity"] == "medium"
    wanted = f"postconf -c {directory} -P 'submissions/inet/smtpd_tls_auth_only=no'"
    assert [c for c in report["commands"] if c.startswith("postconf")] == [wanted]

    paste(report["commands"], directory)
    after = audit(run_cli, directory, "--format", "json", *reader)

    assert "  -o smtpd_tls_auth_only=no" in (directory / "master.cf").read_text()
    assert json.loads(after.out)["complete"] is True
    assert json.loads(after.out)["findings"] == []
    assert after.status == 0


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_finding_names_the_service_and_the_parameter(run_cli, tmp_path: Path, lang: str):
    master = HARDENED_MASTER + "  -o smtpd_tls_auth_only=1\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    text = audit(run_cli, directory, "--lang", lang).out

    assert REFUSED in text
    assert "submissions/inet" in text
    assert "smtpd_tls_auth_only" in text
    assert "'submissions/inet/smtpd_tls_auth_only=no'" in text
    assert "main.cf" not in text.split(REFUSED, 1)[1].split("\n\n", 1)[0]


def test_another_fix_that_writes_the_o_ends_it_alone(run_cli, tmp_path: Path):
    """Optional TLS on 587 with `-o smtpd_tls_auth_only=1` (read as no): cleartext
    AUTH, whose fix writes yes there; no second fix writes no to the same `-o`."""
    master = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=1
"""
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    before = audit(run_cli, directory, "--format", "json")

    report = json.loads(before.out)
    assert REFUSED not in {f["id"] for f in report["findings"]}
    assert not [c for c in report["commands"] if "smtpd_tls_auth_only=no" in c]
    paste(report["commands"], directory)
    after = audit(run_cli, directory, "--format", "json")
    assert json.loads(after.out)["complete"] is True
    assert after.status == 0
