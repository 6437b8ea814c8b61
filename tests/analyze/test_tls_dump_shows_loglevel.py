"""analyze reads ``Read N chars`` / ``Write N chars`` lines (smtpd_tls_loglevel 4 or
more) as the credential-leaking level they show, whether or not an AUTH payload came:
a ``credential_exposed`` finding of source ``tls_loglevel`` with no payload and no user
(users count only from decoded payloads), and the number of dump lines. A ``334``
prompt on the smtp service shows AUTH taken on port 25."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clirunner import Runner, analyze_json

LogFile = Callable[[str], str]

P = "Feb 23 11:57:{s:02d} mail postfix/smtpd[4243]: "
CANCELLED = [
    "connect from unknown[203.0.113.61]",
    "Read 12 chars: AUTH LOGIN??",
    "Write 18 chars: 334 VXNlcm5hbWU6??",
    "Read 3 chars: *??",
    "Write 33 chars: 501 5.7.0 Authentication aborted??",
    "disconnect from unknown[203.0.113.61] ehlo=1 auth=0/1 quit=1 commands=2/3",
]
DECODED = [
    "connect from unknown[203.0.113.62]",
    "Read 16 chars: EHLO localhost??",
    "Read 29 chars: AUTH PLAIN AGJvYgBwdw==??",
    "disconnect from unknown[203.0.113.62] ehlo=1 auth=0/1 commands=1/2",
]


def _lines(lines: list[str]) -> list[str]:
    return [P.format(s=40 + n) + line for n, line in enumerate(lines)]


def _findings(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["kind"] == kind]


def test_dump_lines_without_a_payload_are_the_loglevel_finding(
    run: Runner, log_file: LogFile
) -> None:
    document = analyze_json(run, log_file, _lines(CANCELLED))
    (exposed,) = _findings(document, "credential_exposed")
    assert exposed["subject"] == "tls_loglevel"
    assert exposed["severity"] == "high"
    data = exposed["data"]
    assert data["payloads"] == 0 and data["users"] == 0 and data["users_with_password"] == 0
    assert data["users_who_logged_in_count"] == 0
    assert data["dump_lines"] == 4
    (port_25,) = _findings(document, "auth_on_port_25")
    assert port_25["data"]["prompts"] == 1
    assert port_25["data"]["attempts"] == 0


def test_the_text_report_names_the_level_and_port_25(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("analyze", "--year", "2026", log_file("\n".join(_lines(CANCELLED))))
    assert code == 0, err
    text = " ".join(out.split())
    assert "Logins written into the log (high): smtpd_tls_loglevel 4" in text
    assert "no AUTH payload in this log, but 4 “Read/Write N chars” lines show the level" in text
    assert "AUTH taken on the MX port (smtp, 25)" in text
    assert "1 reply asked a client for its login data (334)" in text


def test_users_still_count_from_decoded_payloads_only(run: Runner, log_file: LogFile) -> None:
    document = analyze_json(run, log_file, _lines(DECODED))
    (exposed,) = _findings(document, "credential_exposed")
    data = exposed["data"]
    assert (data["payloads"], data["users"], data["users_with_password"]) == (1, 1, 1)
    assert data["dump_lines"] == 2
