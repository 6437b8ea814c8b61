"""A login that only a reject line's SASL trailer shows (shared reference §1.3): explain
tells it, and its verdict agrees with `mailwarden analyze` on the same lines."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]
IP = "192.0.2.122"
USER = "erin@example.com"


def _log() -> str:
    lines = []
    for n in range(6):
        tag = f"mx postfix/submission/smtpd[{20067 + n}]:"
        lines += [
            f"Mar 10 10:{n:02d}:00 {tag} connect from unknown[{IP}]",
            f"Mar 10 10:{n:02d}:02 {tag} warning: unknown[{IP}]: SASL PLAIN authentication "
            f"failed: (reason unavailable), sasl_username={USER}",
            f"Mar 10 10:{n:02d}:06 {tag} disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 "
            "commands=2/3",
        ]
    tag = "mx postfix/submission/smtpd[20100]:"
    lines += [
        f"Mar 10 10:30:00 {tag} connect from unknown[{IP}]",
        f"Mar 10 10:30:01 {tag} NOQUEUE: reject: RCPT from unknown[{IP}]: 553 5.7.1 <{USER}>: "
        f"Sender address rejected: not owned by user {USER}; from=<{USER}> "
        f"to=<spam@target.example> proto=ESMTP helo=<x> sasl_method=PLAIN sasl_username={USER}",
        f"Mar 10 10:30:03 {tag} disconnect from unknown[{IP}]",
    ]
    return "\n".join(lines) + "\n"


def test_explain_and_analyze_both_find_the_login_of_the_reject_line(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(_log())
    code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert f"YES: it got in as “{USER}”" in said
    assert f"The client had logged in as “{USER}” (method PLAIN)" in said
    code, out, err = run("analyze", "--format", "json", "--year", "2026", "--timezone", "UTC", path)
    assert code in (0, 1, 2, 3), err
    report = json.loads(out)
    assert [(c["ip"], c["user"]) for c in report["compromised"]] == [(IP, USER)]
