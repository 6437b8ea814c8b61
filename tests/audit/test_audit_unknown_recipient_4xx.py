"""`450 4.1.1 ... User unknown in virtual alias table` in the log: `mailwarden analyze`
says soft_bounce, or unknown_virtual_alias_reject_code set to 450, and points to
`mailwarden audit --check soft_bounce`. That check read soft_bounce alone: with the
reject code at 450 it found "No problems", exit 0. It now reports any of the four
unknown-recipient reject codes (550 by default) set to a 4xx, as severe as soft_bounce,
with the `postconf -e`/`-P` fix that sets 550; the 450 defaults of the unknown
client/hostname/address codes are left alone."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import build_postfix, requires_postconf

CODES = (
    "unknown_local_recipient_reject_code",
    "unknown_virtual_alias_reject_code",
    "unknown_virtual_mailbox_reject_code",
    "unknown_relay_recipient_reject_code",
)
# 450 by default, on purpose (a DNS lookup may fail for a while): not reported
KEPT = "unknown_client_reject_code = 450\nunknown_address_reject_code = 450\n"


def write_postfix(directory: Path, main: str, master: str = "") -> Path:
    directory.mkdir(parents=True)
    (directory / "main.cf").write_text(f"mail_version = 3.7.2\n{main}")
    (directory / "master.cf").write_text(
        "smtp inet n - y - - smtpd\n"
        "submission inet n - y - - smtpd\n"
        "  -o syslog_name=postfix/submission\n" + master
    )
    return directory


def audit(run_cli, directory: Path, *extra: str):
    args = ("audit", "--read-files", "--postfix-dir", str(directory), "--check", "soft_bounce")
    return run_cli(*args, *extra)


def soft_bounce_severity(run_cli, tmp_path: Path) -> str:
    directory = write_postfix(tmp_path / "soft", "soft_bounce = yes\n")
    [finding] = json.loads(audit(run_cli, directory, "--format", "json").out)["findings"]
    return finding["severity"]


@pytest.mark.parametrize("parameter", CODES)
def test_a_4xx_unknown_recipient_code_is_reported_with_its_fix(
    run_cli, tmp_path: Path, parameter: str
):
    directory = write_postfix(tmp_path / "pf", f"{parameter} = 450\n{KEPT}")

    result = audit(run_cli, directory)
    document = json.loads(audit(run_cli, directory, "--format", "json").out)

    [finding] = document["findings"]
    assert finding["id"] == "postfix.soft_bounce"
    assert finding["severity"] == soft_bounce_severity(run_cli, tmp_path) == "medium"
    assert finding["title"] == (
        f"{parameter} = 450 turns every unknown recipient into 'try again later'"
    )
    assert [(e["parameter"], e["value"]) for e in finding["evidence"]] == [(parameter, "450")]
    explanation = " ".join(finding["explanation"].split())
    assert "with 450, 'try again later', instead of 550" in explanation
    assert f"    postconf -c {directory} -e '{parameter}=550'" in result.out.splitlines()
    assert "No problems found" not in result.out
    assert result.status == 0  # medium, as soft_bounce


def test_only_the_4xx_codes_are_reported_and_the_number_is_read_as_postfix_does(
    run_cli, tmp_path: Path
):
    main = (
        "unknown_local_recipient_reject_code = 550\n"
        "unknown_virtual_alias_reject_code = 0450\n"
        "unknown_virtual_mailbox_reject_code = 554\n"
        "soft_bounce = yes\n" + KEPT
    )
    directory = write_postfix(tmp_path / "pf", main)

    document = json.loads(audit(run_cli, directory, "--format", "json").out)

    fixes = sorted(c for f in document["findings"] for c in f["fix"]["commands"])
    assert fixes == [
        f"postconf -c {directory} -e 'soft_bounce=no'",
        f"postconf -c {directory} -e 'unknown_virtual_alias_reject_code=550'",
    ]
    [code] = [f for f in document["findings"] if "reject_code" in f["title"]]
    assert code["title"].startswith("unknown_virtual_alias_reject_code = 0450 turns")
    assert "with 450, 'try again later'" in " ".join(code["explanation"].split())


def test_a_master_cf_override_is_fixed_in_master_cf(run_cli, tmp_path: Path):
    directory = write_postfix(tmp_path / "pf", "", "  -o unknown_relay_recipient_reject_code=421\n")

    result = audit(run_cli, directory)

    command = (
        f"    postconf -c {directory} -P 'submission/inet/unknown_relay_recipient_reject_code=550'"
    )
    assert command in result.out.splitlines()
    assert "service submission/inet" in result.out


def test_in_chinese(run_cli, tmp_path: Path):
    directory = write_postfix(tmp_path / "pf", "unknown_local_recipient_reject_code = 450\n")

    document = json.loads(audit(run_cli, directory, "--format", "json", "--lang", "zh_CN").out)

    [finding] = document["findings"]
    assert finding["title"] == (
        "unknown_local_recipient_reject_code = 450 把每个未知收件人都变成了“稍后再试”"
    )
    assert "回复 450，即“稍后再试”，而不是 550" in finding["explanation"]


@pytest.mark.parametrize(
    "table", ["local recipient", "virtual alias", "virtual mailbox", "relay recipient"]
)
def test_analyzes_pointer_finds_the_code_it_names(run_cli, tmp_path: Path, table: str):
    """The parameter analyze names for the table in the log, the audit it points to
    reports and fixes."""
    lines = [
        f"Mar 10 10:00:0{n} mx postfix/smtpd[400{n}]: NOQUEUE: reject: RCPT from "
        f"unknown[192.0.2.9]: 450 4.1.1 <u{n}@example.com>: Recipient address rejected: "
        f"User unknown in {table} table; from=<a@example.org> to=<u{n}@example.com> "
        "proto=ESMTP helo=<x>"
        for n in range(6)
    ]
    log = tmp_path / "mail.log"
    log.write_text("\n".join(lines) + "\n")
    analysis = json.loads(run_cli("analyze", "--format", "json", str(log)).out)
    [found] = [f for f in analysis["findings"] if f["kind"] == "soft_bounce"]
    [parameter] = found["data"]["or"]
    directory = write_postfix(tmp_path / "pf", f"{parameter} = 450\n")

    pointer = shlex.split(found["audit"])
    assert pointer[:2] == ["mailwarden", "audit"]
    args = [*pointer[1:], "--read-files", "--postfix-dir", str(directory), "--format", "json"]
    result = run_cli(*args)
    assert result.status == 0, result.err
    document = json.loads(result.out)

    [finding] = document["findings"]
    assert finding["severity"] == found["severity"]
    edits = finding["fix"]["commands"]
    assert edits == [f"postconf -c {directory} -e '{parameter}=550'"]


@requires_postconf
def test_the_printed_fixes_work_with_the_real_postconf(run_cli, tmp_path: Path):
    main = (
        "unknown_virtual_alias_reject_code = 450\n"
        "unknown_local_recipient_reject_code = 451\n" + KEPT
    )
    master = (
        "submission inet n - y - - smtpd\n"
        "  -o syslog_name=postfix/submission\n"
        "  -o unknown_virtual_mailbox_reject_code=450\n"
    )
    directory = build_postfix(tmp_path / "live", main, master)
    args = ("audit", "--postfix-dir", str(directory), "--check", "soft_bounce")

    first = run_cli(*args)
    commands = [
        line.strip()
        for line in first.out.split("All fixes in order")[1].splitlines()
        if line.startswith("    postconf ")
    ]
    assert len(commands) == 3
    for command in commands:
        subprocess.run(shlex.split(command), check=True, capture_output=True)

    def postconf(*options: str) -> str:
        done = subprocess.run(
            ["postconf", "-c", str(directory), *options],
            check=True,
            capture_output=True,
            text=True,
        )
        assert done.stderr == ""
        return done.stdout

    assert postconf("-h", "unknown_virtual_alias_reject_code").strip() == "550"
    assert postconf("-h", "unknown_local_recipient_reject_code").strip() == "550"
    assert "submission/inet/unknown_virtual_mailbox_reject_code = 550" in postconf("-P")
    assert postconf("-h", "unknown_client_reject_code").strip() == "450"  # left alone
    again = run_cli(*args)
    assert again.status == 0
    assert "No problems found in what was audited" in again.out
