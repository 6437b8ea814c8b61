"""A yes/no parameter that Postfix refuses in one service's `-o` (`-o
smtpd_tls_auth_only=1`: "fatal: bad boolean configuration", that service does not run)
had only its note: "Write yes or no", no command to paste, and the audit stayed
incomplete (exit 1) until it was edited by hand. main.cf's case has had
`postfix.refused_boolean`, whose fix writes no. Now the `-o` case has that finding too,
with `postconf -P 'service/type/parameter=no'` (the value the audit read), or the
value of another finding's fix that writes that `-o` itself: it was dropped for that
finding (often low), so the report had no medium for a service that does not run. The
note now points to the finding instead of "Write yes or no" where the finding is in
the report."""

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


def test_another_fix_that_writes_the_o_gives_it_its_value(run_cli, tmp_path: Path):
    """Optional TLS on 587 with `-o smtpd_tls_auth_only=1` (read as no): cleartext
    AUTH, whose fix writes yes there; no second fix writes no to the same `-o`: the
    refused value's finding takes that yes."""
    master = """
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=1
"""
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    before = audit(run_cli, directory, "--format", "json")

    report = json.loads(before.out)
    (found,) = [f for f in report["findings"] if f["id"] == REFUSED]
    assert "'submission/inet/smtpd_tls_auth_only=yes'" in " ".join(found["fix"]["commands"])
    assert not [c for c in report["commands"] if "smtpd_tls_auth_only=no" in c]
    paste(report["commands"], directory)
    after = audit(run_cli, directory, "--format", "json")
    assert json.loads(after.out)["complete"] is True
    assert after.status == 0


DEBIAN_SUBMISSION = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable={auth}
  -o smtpd_tls_auth_only={only}
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("auth", "only", "parameter"),
    [("yes", "1", "smtpd_tls_auth_only"), ("true", "yes", "smtpd_sasl_auth_enable")],
)
def test_a_service_that_does_not_run_stays_medium_with_the_fix_that_ends_both(
    run_cli, tmp_path: Path, reader: list[str], auth: str, only: str, parameter: str
):
    """Debian's submission with `-o smtpd_tls_auth_only=1` (read as no: a low
    submission_tls_auth_only writes yes there) or `-o smtpd_sasl_auth_enable=true`
    (read as no: a low submission_auth_disabled writes yes there). The medium
    refused_boolean was dropped for the low finding: the report had no medium for a
    service that does not run. It stays, with the other finding's yes as its fix."""
    master = DEBIAN_SUBMISSION.format(auth=auth, only=only)
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    before = audit(run_cli, directory, "--format", "json", *reader)

    report = json.loads(before.out)
    (found,) = [f for f in report["findings"] if f["id"] == REFUSED]
    assert (found["severity"], found["subject"]) == ("medium", "submission/inet")
    wanted = f"postconf -c {directory} -P 'submission/inet/{parameter}=yes'"
    assert wanted in found["fix"]["commands"]
    assert not [c for c in report["commands"] if f"{parameter}=no" in c]
    assert "writes yes in that -o" in found["explanation"]
    chinese = json.loads(audit(run_cli, directory, "--format", "json", "--lang", "zh_CN").out)
    (zh,) = [f for f in chinese["findings"] if f["id"] == REFUSED]
    assert "在该 -o 中写入 yes" in zh["explanation"]

    paste(found["fix"]["commands"], directory)  # this finding's fix alone ends it
    after = json.loads(audit(run_cli, directory, "--format", "json", *reader).out)
    assert after["complete"] is True
    assert REFUSED not in {f["id"] for f in after["findings"]}
    assert not [f for f in after["findings"] if f["subject"] == "submission/inet"]


@pytest.mark.parametrize("reader", READERS)
def test_the_note_points_to_the_finding_instead_of_write_yes_or_no(
    run_cli, tmp_path: Path, reader: list[str]
):
    master = HARDENED_MASTER + "  -o smtpd_tls_auth_only=1\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master)

    report = json.loads(audit(run_cli, directory, "--format", "json", *reader).out)
    chinese = json.loads(
        audit(run_cli, directory, "--format", "json", "--lang", "zh_CN", *reader).out
    )
    (note,) = [n for n in report["notes"] if "bad boolean configuration" in n]
    (zh_note,) = [n for n in chinese["notes"] if "bad boolean configuration" in n]

    assert "Write yes or no" not in note
    assert "postfix.refused_boolean below gives the command that ends it" in note
    assert "请写成 yes 或 no" not in zh_note
    assert "下面的 postfix.refused_boolean 给出了解决它的命令" in zh_note
    assert report["complete"] is False  # the service still does not run: exit 1
    # a selection without the finding keeps the note's own advice
    selected = json.loads(
        audit(run_cli, directory, "--format", "json", "--check", "weak_tls", *reader).out
    )
    (kept,) = [n for n in selected["notes"] if "bad boolean configuration" in n]
    assert kept.endswith("Write yes or no.")
