"""Apply the printed fixes with the real postconf, audit again: nothing high is left.

The commands are taken from the JSON output exactly as printed, split with shlex and run
as argument lists (never through a shell); the reload lines are not run. For a Postfix
before 2.11 (no `postconf -M/-P`) the master.cf entries of the JSON `master_cf` are put
into master.cf by hand, as its administrator would.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import requires_postconf, settle

from mailwarden.audit import Target, run_audit
from mailwarden.audit.interface import MainSet, ServiceSet, check_consistent
from mailwarden.audit.postfix import check_postfix
from mailwarden.audit.render import CommandWriter

pytestmark = requires_postconf


def apply_commands(commands: list[str], directory: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[0] == "postfix":
            assert argv == ["postfix", "-c", str(directory), "reload"]
            continue
        assert argv[:3] == ["postconf", "-c", str(directory)], command
        assert argv[3] in ("-e", "-M", "-P"), command
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        assert "fatal" not in done.stderr and "unmatched" not in done.stderr, done.stderr
    settle(directory)


def apply_master_cf(entries: str | None, directory: Path) -> None:
    """Make each printed entry of master.cf read as printed: replace the entry (its line
    and the indented lines that continue it), or add it at the end."""
    if entries is None:
        return
    path = directory / "master.cf"
    lines = path.read_text().splitlines()
    for stanza in re.split(r"\n(?=\S)", entries.strip("\n")):
        key = stanza.split()[:2]
        start = next(
            (n for n, line in enumerate(lines) if line[:1].strip() and line.split()[:2] == key),
            None,
        )
        if start is None:
            lines += stanza.splitlines()
            continue
        end = start + 1
        while end < len(lines) and lines[end][:1].isspace() and lines[end].strip():
            end += 1
        lines[start:end] = stanza.splitlines()
    path.write_text("\n".join(lines) + "\n")
    settle(directory)


def audit(run_cli, directory: Path, *extra: str) -> dict:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    document = json.loads(result.out)
    document["status"] = result.status
    return document


@pytest.mark.parametrize(
    "extra",
    [(), ("--postfix-version", "2.6.6"), ("--read-files",)],
    ids=["postconf", "postfix-2.6.6", "file-parser"],
)
def test_applying_the_fixes_leaves_nothing_high(run_cli, user_server: Path, extra):
    before = audit(run_cli, user_server, *extra)
    assert before["status"] == 3

    if "2.6.6" in extra:  # postconf -M/-P came in 2.11: master.cf is edited by hand
        assert not [c for c in before["commands"] if re.search(r" -[MP] ", c)]
        assert before["master_cf"].startswith("submission  inet  ")
    else:
        assert before["master_cf"] is None
    apply_commands(before["commands"], user_server)
    apply_master_cf(before["master_cf"], user_server)
    after = audit(run_cli, user_server, *extra)

    # Postfix before 2.8 stays high until it is upgraded: nobody patches it any more.
    unpatched = ["postfix.eol_version"] if "2.6.6" in extra else []
    assert after["status"] == (3 if unpatched else 0)
    assert [f["id"] for f in after["findings"] if f["severity"] == "high"] == unpatched
    # Fixing never creates a problem that was not reported before.
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}
    # What is left has nothing to paste (the end-of-life and the missing rate-limit
    # parameter of Postfix 2.6 need an upgrade).
    assert after["commands"] == [] and after["master_cf"] is None


def test_each_findings_own_fix_on_postfix_2_6_applied_in_turn_leaves_nothing_high(
    run_cli, user_server: Path
):
    """An administrator of Postfix 2.6 who follows each finding's fix as printed (its
    commands, its master.cf entries by hand) gets what the combined list gives."""
    before = audit(run_cli, user_server, "--postfix-version", "2.6.6")
    for finding in before["findings"]:
        fix = finding["fix"]
        assert not [c for c in fix["commands"] if re.search(r" -[MP] ", c)], finding["id"]
        apply_commands(fix["commands"], user_server)
        apply_master_cf(fix["master_cf"], user_server)
    after = audit(run_cli, user_server, "--postfix-version", "2.6.6")
    high = [f["id"] for f in after["findings"] if f["severity"] == "high"]
    assert high == ["postfix.eol_version"]  # only an upgrade fixes that
    assert after["commands"] == [] and after["master_cf"] is None


def test_after_the_fixes_auth_is_on_submission_only(run_cli, user_server: Path):
    apply_commands(audit(run_cli, user_server)["commands"], user_server)

    def postconf(*args: str) -> str:
        argv = ["postconf", "-c", str(user_server), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()

    assert postconf("-h", "smtpd_sasl_auth_enable") == "no"
    assert postconf("-h", "soft_bounce") == "no"
    assert postconf("-h", "smtpd_tls_loglevel") == "1"
    assert postconf("-P", "submission/inet/smtpd_sasl_auth_enable") == (
        "submission/inet/smtpd_sasl_auth_enable = yes"
    )
    assert postconf("-P", "submission/inet/smtpd_tls_security_level").endswith("= encrypt")
    assert postconf("-M", "submission/inet").split()[:8] == [
        "submission",
        "inet",
        "n",
        "-",
        "y",
        "-",
        "-",
        "smtpd",
    ]


def test_the_in_memory_model_predicts_the_real_result(user_server: Path):
    """PostfixConfig.apply() is what the planner uses to check a new service: it must
    agree with what postconf writes."""
    report = run_audit(Target(user_server, True), None, postfix_version=(2, 6, 6))
    assert report.postfix is not None
    predicted = report.postfix.apply(report.changes())
    predicted_ids = {f.id for f in check_postfix(predicted)}

    writer = CommandWriter(report)
    apply_commands(writer.commands(report.changes()), user_server)
    real = run_audit(Target(user_server, True), None, postfix_version=(2, 6, 6))

    assert predicted_ids == {f.id for f in real.findings}


def test_fixes_of_all_findings_agree(user_server: Path):
    report = run_audit(Target(user_server, True), None, postfix_version=(2, 6, 6))
    check_consistent(change for f in report.findings for change in f.fix)
    with pytest.raises(ValueError, match="contradicting"):
        check_consistent([MainSet("soft_bounce", "no"), MainSet("soft_bounce", "yes")])
    with pytest.raises(ValueError):
        check_consistent(
            [
                ServiceSet("submission/inet", "smtpd_tls_auth_only", "yes"),
                ServiceSet("submission/inet", "smtpd_tls_auth_only", "no"),
            ]
        )
