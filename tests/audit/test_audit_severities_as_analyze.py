"""`mailwarden analyze` and `mailwarden audit` give one problem one severity: the log
shows soft_bounce (4xx where Postfix means 5xx) and a Postfix older than 2.8 (its
built-in export-grade cipher list); the audit of such a server says the same."""

from __future__ import annotations

import json
from pathlib import Path

from audit_helpers import USER_MAIN, build_postfix, requires_postconf

LOG = """\
Nov 30 05:00:00 mx postfix/smtpd[100]: connect from unknown[203.0.113.33]
Nov 30 05:00:00 mx postfix/smtpd[100]: unknown[203.0.113.33]: TLS cipher list "ALL:+RC4:@STRENGTH"
Nov 30 05:00:01 mx postfix/smtpd[100]: disconnect from unknown[203.0.113.33] ehlo=1 commands=1
Nov 30 05:00:02 mx postfix/smtpd[101]: connect from unknown[203.0.113.34]
Nov 30 05:00:03 mx postfix/smtpd[101]: NOQUEUE: reject: RCPT from unknown[203.0.113.34]: \
450 4.1.1 <victim@example.org>: Recipient address rejected: User unknown in local recipient \
table; from=<spam@example.biz> to=<victim@example.org> proto=ESMTP helo=<bot>
Nov 30 05:00:04 mx postfix/smtpd[101]: disconnect from unknown[203.0.113.34] ehlo=1 mail=1 \
rcpt=0/1 quit=1 commands=3/4
"""


@requires_postconf
def test_soft_bounce_and_an_outdated_postfix_are_as_severe_in_both(run_cli, tmp_path: Path):
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    analysis = json.loads(run_cli("analyze", "--format", "json", str(log)).out)
    analyzed = {f["kind"]: f["severity"] for f in analysis["findings"]}
    assert {"soft_bounce", "outdated_server"} <= analyzed.keys()

    directory = build_postfix(tmp_path / "old", USER_MAIN)  # soft_bounce = yes
    args = ("audit", "--postfix-dir", str(directory), "--format", "json")
    old = json.loads(run_cli(*args, "--postfix-version", "2.7.0").out)
    audited = {f["id"]: f["severity"] for f in old["findings"]}

    assert audited["postfix.soft_bounce"] == analyzed["soft_bounce"]
    assert audited["postfix.eol_version"] == analyzed["outdated_server"]
    # From 2.8 on, distributions may still backport fixes: a lesser finding, which the
    # analysis (it sees only the cipher list of a Postfix before 2.8) never reports.
    newer = json.loads(run_cli(*args, "--postfix-version", "3.5.25").out)
    eol = {f["id"]: f for f in newer["findings"]}["postfix.eol_version"]
    assert eol["severity"] == "medium"
    assert "backports security fixes" in " ".join(eol["explanation"].split())
