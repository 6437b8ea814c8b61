"""The evidence that names master.cf's smtpd services gives the line of the service entry
(README: "the evidence, with file and line"); and AUTH on port 25 is as severe in the
audit as in `analyze`'s finding from the log."""

from __future__ import annotations

import json
from pathlib import Path

from audit_helpers import requires_postconf

SAMPLE = Path(__file__).parents[2] / "samples" / "postfix-user-server"

LOG = """\
Mar 10 09:00:00 mx postfix/smtpd[100]: connect from unknown[203.0.113.5]
Mar 10 09:00:01 mx postfix/smtpd[100]: warning: unknown[203.0.113.5]: SASL LOGIN \
authentication failed: UGFzc3dvcmQ6, sasl_username=admin
Mar 10 09:00:02 mx postfix/smtpd[100]: disconnect from unknown[203.0.113.5] ehlo=1 \
auth=0/1 commands=1/2
"""


def _smtp_line() -> int:
    for number, line in enumerate((SAMPLE / "master.cf").read_text().splitlines(), 1):
        if line.split()[:2] == ["smtp", "inet"]:
            return number
    raise AssertionError("no smtp/inet entry in the sample")


@requires_postconf
def test_services_evidence_has_the_entry_line(run_cli) -> None:
    args = ("audit", "--postfix-dir", str(SAMPLE), "--postfix-version", "2.6.6")
    report = json.loads(run_cli(*args, "--format", "json").out)
    cited = [
        e
        for f in report["findings"]
        if f["id"] in ("postfix.auth_on_port_25", "postfix.submission_missing")
        for e in f["evidence"]
        if e["parameter"] == "smtpd services"
    ]
    assert cited
    assert all(e["line"] == _smtp_line() for e in cited)
    assert f"master.cf:{_smtp_line()}" in run_cli(*args).out


@requires_postconf
def test_auth_on_port_25_as_severe_as_analyze(run_cli, tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    analysis = json.loads(run_cli("analyze", "--year", "2026", "--format", "json", str(log)).out)
    analyzed = {f["kind"]: f["severity"] for f in analysis["findings"]}
    args = ("audit", "--postfix-dir", str(SAMPLE), "--postfix-version", "3.7.0")
    audited = {
        f["id"]: f["severity"]
        for f in json.loads(run_cli(*args, "--format", "json").out)["findings"]
    }
    assert audited["postfix.auth_on_port_25"] == analyzed["auth_on_port_25"]
