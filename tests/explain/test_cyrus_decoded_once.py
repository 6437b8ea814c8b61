"""Postfix with Cyrus SASL at ``smtpd -v`` writes each login line of the client twice:
the chat's ``< client: …`` line, then Cyrus's ``decoded response:`` (or ``decoded
initial response``) copy of it, in clear text (shared reference §2). One credential in
the log, counted once: by analyze's “Passwords in the log” and its credentials, and told
as a copy by explain."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from clirunner import Runner
from sasllines import CYRUS_LOGIN, verbose_login

LogFile = Callable[[str], str]

_BLOB = base64.b64encode(b"\0carol@example.com\0Winter2025!").decode()
CYRUS_PLAIN = [
    "1|connect from unknown[203.0.113.46]",
    "1|< unknown[203.0.113.46]: EHLO ylmf-pc",
    f"1|< unknown[203.0.113.46]: AUTH PLAIN {_BLOB}",
    f"1|xsasl_cyrus_server_first: sasl_method PLAIN, init_response {_BLOB}",
    "1|xsasl_cyrus_server_first: decoded initial response carol@example.com",
    "3|warning: SASL authentication failure: Password verification failed",
    "3|warning: unknown[203.0.113.46]: SASL PLAIN authentication failed: authentication failure",
    "3|> unknown[203.0.113.46]: 535 5.7.8 Error: authentication failed: authentication failure",
    "3|disconnect from unknown[203.0.113.46] ehlo=1 auth=0/1 commands=1/2",
]


def _exposed(out: str) -> dict[str, object]:
    report = json.loads(out)
    found = [f for f in report["findings"] if f["kind"] == "credential_exposed"]
    assert len(found) == 1, found
    data: dict[str, object] = found[0]["data"]
    return data


def test_a_cyrus_login_step_and_its_decoded_copy_are_one_payload(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(verbose_login(CYRUS_LOGIN)) + "\n")
    code, out, err = run("analyze", "--year", "2026", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert "1 AUTH payload with the credentials of 1 user (1 with a password)" in said
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    data = _exposed(out)
    assert (data["payloads"], data["users"], data["users_with_password"]) == (1, 1, 1)
    assert len(json.loads(out)["credentials"]) == 1


def test_a_cyrus_initial_response_and_its_decoded_copy_are_one_payload(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(verbose_login(CYRUS_PLAIN)) + "\n")
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    data = _exposed(out)
    assert (data["payloads"], data["users"], data["users_with_password"]) == (1, 1, 1)
    creds = json.loads(out)["credentials"]
    assert len(creds) == 1
    assert "Winter2025!" not in out


def test_explain_tells_the_decoded_line_as_a_copy_and_keeps_it_hidden(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(verbose_login(CYRUS_LOGIN)) + "\n")
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert said.count("decoded response: ‹…›") == 2
    assert "Cyrus SASL writes the client's login line above once more, decoded" in said
    assert "Cyrus SASL's decoded copy of the client's login line above (not shown)." in said
    assert "*** (11 characters)" in said
    assert "Summer2024!" not in out
    code, out, err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert code == 0, err
    assert "CyrusSASL把上面客户端的登录行解码后又写了一遍" in "".join(out.split())
    assert "Summer2024!" not in out
