"""A username the log cut off (Postfix's TLS dump keeps the first 40 bytes of the AUTH
line) is not an account: it is marked ``…``, and when a line of the same session names
the whole account (``sasl_username=`` on Postfix 3.9's failure line) it is one name, not
two. Otherwise every long name tried counted twice towards enumeration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# "\0postmaster-department@example.com\0secret", base64, cut after 40 bytes of the line
CUT_PAYLOAD = "AHBvc3RtYXN0ZXItZGVwYXJ0bWVud"
SESSION = """\
Feb 23 17:0{n}:00 mx postfix/smtpd[800{n}]: connect from unknown[203.0.113.50]
Feb 23 17:0{n}:01 mx postfix/smtpd[800{n}]: Read 85 chars: AUTH PLAIN {payload}
Feb 23 17:0{n}:03 mx postfix/smtpd[800{n}]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: authentication failure{named}
Feb 23 17:0{n}:04 mx postfix/smtpd[800{n}]: disconnect from unknown[203.0.113.50] ehlo=1 auth=0/1 commands=1/2
"""  # noqa: E501


def analyze(tmp_path: Path, whole: str | None) -> dict:
    log = tmp_path / "mail.log"
    # Six guesses, one a minute: a brute force. ``whole``: the failure lines name the
    # account (Postfix 3.9); otherwise only the cut payload shows it (older Postfix).
    named = f", sasl_username={whole}" if whole else ""
    log.write_text("".join(SESSION.format(n=n, payload=CUT_PAYLOAD, named=named) for n in range(6)))
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "analyze", "--format", "json", str(log)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_cut_name_and_the_whole_name_of_one_attempt_are_one_account(tmp_path: Path) -> None:
    report = analyze(tmp_path, "postmaster-department@example.com")
    (attacker,) = report["attackers"]
    assert attacker["users"] == ["postmaster-department@example.com"]
    (credential,) = {c["user"]: c for c in report["credentials"]}.values()
    assert credential["user"].startswith("postmaster-departmen")
    assert credential["user_complete"] is False


def test_a_cut_name_alone_is_marked_as_cut(tmp_path: Path) -> None:
    report = analyze(tmp_path, None)
    (attacker,) = report["attackers"]
    # No line names the account: the cut name is all the log shows of it, marked.
    assert attacker["users"] == ["postmaster-departmen…"]
