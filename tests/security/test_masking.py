# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Passwords are masked everywhere unless ``--show-passwords``: explain (en, zh_CN),
events (text, jsonl), analyze (text, JSON), the daemon's log, ``status`` (text, JSON),
the alert (JSON on stdin, argv) and the evidence column of the store.

Inputs: the seed excerpt, the real Postfix 3.7 captures with ``smtpd_tls_loglevel = 4``
and with ``debug_peer_list`` (tests/data/real/README.md lists their passwords), and our
own lines for what a server writes when told to log secrets: Dovecot's
``auth_verbose_passwords`` and ``auth_debug_passwords``, Cyrus with ``smtpd -v``, and an
AUTH LOGIN whose user name and password a bot pipelined into one TLS record.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from seclab import REAL, SEED, daemon_outputs, mailwarden, write_log

from mailwarden.daemon.status import status_document, status_text

SECRET = "S3cretPass!"
B64_PLAIN = base64.b64encode(f"\0admin\0{SECRET}".encode()).decode()
B64_PASSWORD = base64.b64encode(SECRET.encode()).decode()
SHA1 = "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"

OWN_LINES = [
    f"Feb 23 11:57:10 mx dovecot: auth: passwd-file(admin,198.51.100.7,<sess1>): Password mismatch (given password: {SECRET})",
    f"Feb 23 11:57:11 mx dovecot: auth(admin,198.51.100.7,sasl:plain)<sess2>: passwd-file: Password mismatch (given password: {SECRET})",
    f"Feb 23 11:57:12 mx dovecot: auth: Info: passwd-file(admin,198.51.100.7,<sess3>): Password mismatch (SHA1 of given password: {SHA1})",
    f"Feb 23 11:57:13 mx dovecot: auth-worker(12): pam(admin,198.51.100.7,<sess4>): pam_authenticate() failed: Authentication failure (Password mismatch?) (given password: {SECRET})",
    "Feb 23 11:57:14 mx postfix/smtpd[77]: connect from unknown[198.51.100.7]",
    "Feb 23 11:57:14 mx postfix/smtpd[77]: < unknown[198.51.100.7]: AUTH LOGIN",
    "Feb 23 11:57:14 mx postfix/smtpd[77]: < unknown[198.51.100.7]: YWRtaW4=",
    f"Feb 23 11:57:14 mx postfix/smtpd[77]: < unknown[198.51.100.7]: {B64_PASSWORD}",
    f"Feb 23 11:57:14 mx postfix/smtpd[77]: xsasl_cyrus_server_next: decoded response: {SECRET}",
    f"Feb 23 11:57:14 mx postfix/smtpd[77]: warning: SASL authentication pass: {SECRET}",
    "Feb 23 11:57:14 mx postfix/smtpd[77]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: authentication failure",
    f"Feb 23 11:57:15 mx postfix/smtpd[78]: < unknown[198.51.100.7]: AUTH PLAIN {B64_PLAIN}",
    f"Feb 23 11:57:15 mx postfix/smtpd[78]: xsasl_dovecot_server_first: sasl_method PLAIN, init_response {B64_PLAIN}",
    "Feb 23 11:57:15 mx postfix/smtpd[78]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin",
    f"Feb 23 11:57:16 mx dovecot: auth: Debug: client in: AUTH\t1\tPLAIN\tservice=imap\tresp={B64_PLAIN}",
    "Feb 23 11:57:17 mx postfix/smtpd[79]: connect from unknown[198.51.100.8]",
    "Feb 23 11:57:17 mx postfix/smtpd[79]: Anonymous TLS connection established from unknown[198.51.100.8]: TLSv1.2 with cipher RC4-SHA (128/128 bits)",
    "Feb 23 11:57:17 mx postfix/smtpd[79]: Read 12 chars: AUTH LOGIN??",
    f"Feb 23 11:57:17 mx postfix/smtpd[79]: Read 28 chars: YWRtaW4=??{B64_PASSWORD}??",
    "Feb 23 11:57:19 mx postfix/smtpd[79]: warning: unknown[198.51.100.8]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin",
    f"Feb 23 11:57:20 mx postfix/smtpd[80]: Read 18 chars: {B64_PASSWORD}??",
]

SECRETS = {
    "seed": ["AGFkbWluQGZpcGljay5jb20Ad2lsb"],
    "tls": [
        "AGFsaWNlQGxhYi5leGFtcGxlAGFsa",
        "AGFkbWluQGxhYi5leGFtcGxlAFN1b",
        "aHVudGVyMg==",
        "aHVudGVyMg",
        "hunter2",
        "Summer2024",
        "lab-pw",
    ],
    "verbose": [
        "AGFkbWluQGxhYi5leGFtcGxlAGFkbWluMTIz",
        "GFkbWluMTIz",
        "admin123",
        "Y2hhbmdlbWU=",
        "Y2hhbmdlbWU",
        "changeme",
        "lab-pw",
    ],
    "own": [SECRET, B64_PLAIN, B64_PASSWORD, B64_PASSWORD.rstrip("="), SHA1],
}
_SEED_GUESS = re.compile(r"\bwil(?!l)|\bw\*\*\*")
"""The seed's visible password starts ``wil``: no character of it may show."""


def _input(name: str, tmp_path: Path) -> Path:
    if name == "seed":
        return SEED
    if name == "tls":
        return REAL / "postfix-3.7-tls-loglevel4.log"
    if name == "verbose":
        return REAL / "postfix-3.7-verbose.log"
    return write_log(tmp_path / "own.log", OWN_LINES)


def _leaks(name: str, text: str) -> list[str]:
    found = [secret for secret in SECRETS[name] if secret in text]
    if name == "seed" and _SEED_GUESS.search(text):
        found.append("wil…")
    return found


COMMANDS = [
    ("explain",),
    ("explain", "--lang", "zh_CN"),
    ("events",),
    ("events", "--format", "jsonl"),
    ("analyze",),
    ("analyze", "--format", "json"),
]


@pytest.mark.parametrize("name", list(SECRETS))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_command_prints_a_password_by_default(
    tmp_path: Path, name: str, command: tuple[str, ...]
) -> None:
    done = mailwarden(*command, _input(name, tmp_path))
    assert done.returncode == 0, done.stderr
    assert _leaks(name, done.stdout + done.stderr) == []


def test_show_passwords_is_what_shows_them() -> None:
    """The control: the same inputs do hold the passwords the tests above look for."""
    done = mailwarden("explain", "--show-passwords", REAL / "postfix-3.7-verbose.log")
    assert "admin123" in done.stdout and "changeme" in done.stdout
    data = json.loads(
        mailwarden(
            "analyze",
            "--format",
            "json",
            "--show-passwords",
            REAL / "postfix-3.7-tls-loglevel4.log",
        ).stdout
    )
    assert "hunter2" in {c["password"] for c in data["credentials"]}


@pytest.mark.parametrize("name", list(SECRETS))
def test_the_daemon_never_writes_a_password(tmp_path: Path, name: str) -> None:
    """Every ban's log line, store evidence, status and alert (argv and stdin)."""
    source = _input(name, tmp_path)
    text = source.read_text(encoding="utf-8")
    if name == "seed":  # a pasted excerpt: the daemon reads real logs, one entry a line
        lines = ["Feb 23 " + part.strip() for part in text.split("Feb 23 ") if part.strip()]
    else:
        lines = text.splitlines()
    written, _rows = daemon_outputs(tmp_path, lines)
    assert written["alerts"], "a ban sends an alert"
    for where, blob in written.items():
        assert _leaks(name, blob) == [], where


def test_status_never_shows_the_postgres_password(tmp_path: Path) -> None:
    import dataclasses

    from mailwarden.config import StoreConfig, load_config
    from mailwarden.store import open_store

    config = load_config(None)
    config = dataclasses.replace(
        config, store=StoreConfig(path="postgresql://mw:Pg-s3cret@db.example:5432/mw")
    )
    with open_store(str(tmp_path / "m.db")) as store:
        document = status_document(store, config)
    shown = json.dumps(document) + status_text(document)
    assert "Pg-s3cret" not in shown
    assert document["store"] == "postgresql://mw:***@db.example:5432/mw"


def test_a_failing_webhook_is_logged_without_its_secrets(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from mailwarden.config import AlertsConfig
    from mailwarden.daemon.alerts import Alerter

    caplog.set_level(logging.WARNING, logger="mailwarden")
    alerter = Alerter(
        AlertsConfig(url="http://hook:Url-s3cret@127.0.0.1:9/alert?token=Tok-s3cret#x")
    )
    alerter.send({"kind": "ban", "ip": "198.51.100.7"})
    alerter.close(timeout=20)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST to http://127.0.0.1:9/alert failed" in logged
    assert "s3cret" not in logged


EVIDENCE_GAPS = {
    "pipelined AUTH LOGIN dump": f"Feb 23 11:57:17 mx postfix/smtpd[79]: Read 28 chars: YWRtaW4=??{B64_PASSWORD}??",
    "pipelined AUTH LOGIN chat": f"Feb 23 11:57:17 mx postfix/smtpd[79]: < unknown[198.51.100.8]: YWRtaW4=??{B64_PASSWORD}",
    "Cyrus decoded response": f"Feb 23 11:57:14 mx postfix/smtpd[77]: xsasl_cyrus_server_next: decoded response: {SECRET}",
    "Cyrus authentication pass": f"Feb 23 11:57:14 mx postfix/smtpd[77]: warning: SASL authentication pass: {SECRET}",
}


@pytest.mark.parametrize("name", list(EVIDENCE_GAPS))
def test_evidence_text_never_keeps_a_logged_secret(name: str) -> None:
    from mailwarden.detect.analysis import redacted_text
    from mailwarden.framing import Framer
    from mailwarden.parsers import parse

    (record,) = Framer(split_pasted=False, year=2026).frame_line(EVIDENCE_GAPS[name], "x", 1, 0)
    events = parse(record)
    assert events, "the line gives an event"
    for event in events:
        assert _leaks("own", redacted_text(event)) == []
