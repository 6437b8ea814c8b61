"""AUTH LOGIN with Cyrus SASL at ``smtpd -v`` when the log lost the client's username line.

Postfix decodes each line of the exchange and logs the decoded copy
(``xsasl_cyrus_server.c: xsasl_cyrus_server_next()``: ``decoded response: …``) right
after the client's line; Cyrus then asks for the password (``uncoded server challenge:
Password:``). A remote syslog over UDP loses single lines under load: without the
client's username line, its decoded copy names the account. The copy of a password is
never taken for one. Lines follow tests/sasllines.py (CYRUS_LOGIN).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from clirunner import Runner
from sasllines import CYRUS_LOGIN, verbose_login

IP = "203.0.113.45"
USER = "info@example.com"
PASSWORD = "Summer2024!"
USERNAME_LINE = "aW5mb0BleGFtcGxlLmNvbQ=="
"""The client's base64 username line (``< client: …``)."""


def _sessions(count: int, lost: tuple[str, ...]) -> str:
    """``count`` connections of the guesser, one refused AUTH LOGIN each, a minute
    apart, without the lines holding one of ``lost``."""
    lines = []
    for n in range(count):
        for line in verbose_login(CYRUS_LOGIN, lost=lost):
            lines.append(
                line.replace("[5297]", f"[{5300 + n}]").replace("09:14:0", f"09:{14 + n}:0")
            )
    return "\n".join(lines) + "\n"


def _report(run: Runner, log_file: Callable[[str], str], text: str) -> tuple[dict[str, Any], str]:
    path = log_file(text)
    code, out, err = run("analyze", "--year", "2026", "--timezone", "UTC", "--format", "json", path)
    assert code == 0, err
    return json.loads(out), out


def test_the_decoded_copy_names_the_account_when_the_username_line_is_lost(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lone_password = (
        USERNAME_LINE,
        "decoded response: info",
        "334 UGFzc3dvcmQ6",
        "uncoded server challenge: Password:",
        "U3VtbWVyMjAyNCE=",
    )
    for lost, users in (
        ((USERNAME_LINE,), [USER]),
        # and the password prompts too: the client's next line still answers Password:
        ((USERNAME_LINE, "334 UGFzc3dvcmQ6", "uncoded server challenge: Password:"), [USER]),
        # Lost: the username line and its copy, the password prompts and the client's
        # password line. The one decoded line left is the password's: no account.
        (lone_password, []),
    ):
        report, out = _report(run, log_file, _sessions(6, lost))
        (attacker,) = report["attackers"]
        assert (attacker["ip"], attacker["users"], attacker["failures"]) == (IP, users, 6)
        assert [c["user"] for c in report["credentials"]] == [users[0] if users else None] * 6
        assert PASSWORD not in out
