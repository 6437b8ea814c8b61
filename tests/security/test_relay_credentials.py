# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Postfix's own login to a relay (smtp -v chat, smtp_tls_loglevel 4 dumps), with and
without the syslog header, in a log with an attack on us: the relay's replies stay
readable in explain, the relay password shows in no output, and the relay is no client
(no event names it, nobody calls it an attacker)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from seclab import CLIENT, mailwarden, write_log

RELAY_IP = "192.0.2.25"
RELAY = f"relay.example.net[{RELAY_IP}]:587"
RELAY_PASSWORD = "RelaySecret99"
PLAIN = base64.b64encode(f"\0relayuser\0{RELAY_PASSWORD}".encode()).decode()
LOGIN_PASSWORD = base64.b64encode(RELAY_PASSWORD.encode()).decode()
SECRETS = [RELAY_PASSWORD, PLAIN[:12], LOGIN_PASSWORD[:12]]

RELAY_MESSAGES = [
    f"> {RELAY}: AUTH PLAIN {PLAIN}",
    f"< {RELAY}: 535 5.7.8 Error: authentication failed",
    f"> {RELAY}: AUTH LOGIN",
    f"< {RELAY}: 334 VXNlcm5hbWU6",
    f"> {RELAY}: {base64.b64encode(b'relayuser').decode()}",
    f"< {RELAY}: 334 UGFzc3dvcmQ6",
    f"> {RELAY}: {LOGIN_PASSWORD}",
    f"< {RELAY}: 235 2.7.0 Authentication successful",
    f"Write 45 chars: AUTH PLAIN {PLAIN[:29]}",
    "Read 37 chars: 235 2.7.0 Authentication successful??",
    f"< {RELAY}: 250 2.0.0 Ok: queued as 9F3E21",
]


def _lines() -> list[str]:
    attack = [
        f"Feb 23 11:57:1{n} mx postfix/smtpd[77]: warning: unknown[{CLIENT}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin"
        for n in range(10)
    ]
    with_header = [f"Feb 23 11:58:00 mx postfix/smtp[2001]: {m}" for m in RELAY_MESSAGES]
    return [*attack, *with_header, *RELAY_MESSAGES]


@pytest.mark.parametrize(
    "command",
    [
        ("explain",),
        ("explain", "--lang", "zh_CN"),
        ("events", "--format", "jsonl"),
        ("analyze", "--format", "json"),
    ],
    ids=" ".join,
)
def test_the_relay_password_shows_in_no_output(tmp_path: Path, command: tuple[str, ...]) -> None:
    log = write_log(tmp_path / "mail.log", _lines())
    done = mailwarden(*command, log)
    assert done.returncode == 0, done.stderr
    assert CLIENT in done.stdout  # the attack is there
    assert not [secret for secret in SECRETS if secret in done.stdout + done.stderr]


def test_explain_shows_the_relays_replies(tmp_path: Path) -> None:
    log = write_log(tmp_path / "mail.log", _lines())
    out = " ".join(mailwarden("explain", log).stdout.split())
    for reply in (
        "535 5.7.8 Error: authentication failed",
        "235 2.7.0 Authentication successful",
        "334 UGFzc3dvcmQ6",
        "250 2.0.0 Ok: queued as 9F3E21",
        "Read 37 chars: 235 2.7.0 Authentication successful??",
    ):
        assert out.count(reply) >= 2, reply  # with its header and without
    assert out.count("AUTH PLAIN ‹…›") == 4


def test_the_relay_is_no_client(tmp_path: Path) -> None:
    log = write_log(tmp_path / "mail.log", _lines())
    events = mailwarden("events", "--format", "jsonl", log).stdout.splitlines()
    assert events and all(json.loads(line)["ip"] != RELAY_IP for line in events)
    analysis = json.loads(mailwarden("analyze", "--format", "json", log).stdout)
    assert [attacker["ip"] for attacker in analysis["attackers"]] == [CLIENT]
