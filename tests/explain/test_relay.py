# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Postfix's own client (smtp, lmtp) relaying mail outward: what explain says of its
lines, with their syslog header and pasted without it. They are this server's own
deliveries, its AUTH to a smarthost included: never a server's reply to a client, never
a client of ours. What the client reads from the relay (its replies) is shown; what it
writes of its own credentials is not."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from clirunner import Runner
from mailwarden.explain import explain
from mailwarden.explain.document import Entry, Heading
from mailwarden.pipeline import Counts, ReadOptions, read_events

LogFile = Callable[[str], str]

RELAY = "relay.example.net[192.0.2.25]:587"
RELAY_PASSWORD = "RelaySecret99"
PLAIN = base64.b64encode(f"\0relayuser\0{RELAY_PASSWORD}".encode()).decode()
LOGIN_USER = base64.b64encode(b"relayuser").decode()
LOGIN_PASSWORD = base64.b64encode(RELAY_PASSWORD.encode()).decode()
SECRETS = [RELAY_PASSWORD, PLAIN[:12], LOGIN_PASSWORD[:12]]

MESSAGES = [
    f"> {RELAY}: EHLO mx.example.com",
    f"< {RELAY}: 250-relay.example.net",
    f"< {RELAY}: 250 AUTH PLAIN LOGIN",
    f"> {RELAY}: AUTH PLAIN {PLAIN}",
    f"< {RELAY}: 535 5.7.8 Error: authentication failed",
    f"> {RELAY}: AUTH LOGIN",
    f"< {RELAY}: 334 VXNlcm5hbWU6",
    f"> {RELAY}: {LOGIN_USER}",
    f"< {RELAY}: 334 UGFzc3dvcmQ6",
    f"> {RELAY}: {LOGIN_PASSWORD}",
    f"< {RELAY}: 235 2.7.0 Authentication successful",
    f"> {RELAY}: MAIL FROM:<alice@example.com>",
    f"< {RELAY}: 250 2.1.0 Ok",
    f"Write 45 chars: AUTH PLAIN {PLAIN[:29]}",
    "Read 37 chars: 235 2.7.0 Authentication successful??",
    "4BC2A1: to=<bob@example.org>, relay=relay.example.net[192.0.2.25]:587, delay=1.2, delays=0.1/0/0.6/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F3E21)",
    "5CD3B2: SASL authentication failed; server relay.example.net[192.0.2.25] said: 535 5.7.8 Error: authentication failed",
]
"""``smtp -v`` and ``smtp_tls_loglevel = 4`` lines of a relay session (the smarthost
refuses the PLAIN login, takes the LOGIN one), a delivery and a failed relay login."""


def _log(header: bool) -> str:
    prefix = "Feb 23 11:57:14 mx postfix/smtp[2001]: " if header else ""
    return "".join(f"{prefix}{message}\n" for message in MESSAGES)


def _entries(path: str) -> list[tuple[str, str]]:
    blocks = explain(read_events([path], ReadOptions(year=2026), Counts()))
    return [(b.line, b.note) for b in blocks if isinstance(b, Entry)]


def _headings(path: str) -> list[str]:
    blocks = explain(read_events([path], ReadOptions(year=2026), Counts()))
    return [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]


@pytest.mark.parametrize("header", [True, False], ids=["with header", "bare"])
def test_postfixs_own_client_is_our_outgoing_relay_not_a_reply_to_a_client(
    log_file: LogFile, header: bool
) -> None:
    path = log_file(_log(header))
    entries = _entries(path)
    assert len(entries) == len(MESSAGES)
    notes = [note for _line, note in entries]
    chat = notes[:15]
    assert "Postfix as a client, talking to another server" in chat[0]
    assert all("Postfix as a client" in note for note in chat), chat
    for note in notes:
        assert "The server answers" not in note and "The client sent" not in note
        assert "The client asks to log in" not in note
        assert "The client sends its credentials" not in note
    assert "delivering a message" in notes[15]
    assert "could not log in to another server" in notes[16]
    # The relay is no client of ours: no heading names it, and nobody attacked.
    assert _headings(path)[0] == "Entries outside any client session"
    assert not [heading for heading in _headings(path) if "192.0.2.25" in heading]


def test_a_bare_relay_line_says_why_it_is_postfixs_own_client(log_file: LogFile) -> None:
    entries = _entries(log_file(_log(header=False)))
    first = entries[0][1]
    assert "without its syslog header" in first and "reads a server's reply" in first
    assert all("without its syslog header" not in note for _line, note in entries[1:])


@pytest.mark.parametrize("header", [True, False], ids=["with header", "bare"])
def test_the_relays_replies_are_shown_and_our_credentials_are_not(
    log_file: LogFile, header: bool
) -> None:
    lines = [line for line, _note in _entries(log_file(_log(header)))]
    assert f"< {RELAY}: 235 2.7.0 Authentication successful" in lines
    assert f"< {RELAY}: 535 5.7.8 Error: authentication failed" in lines
    assert f"< {RELAY}: 250 2.1.0 Ok" in lines
    assert f"< {RELAY}: 334 UGFzc3dvcmQ6" in lines
    assert "Read 37 chars: 235 2.7.0 Authentication successful??" in lines
    assert f"> {RELAY}: AUTH PLAIN ‹…›" in lines
    assert "Write 45 chars: AUTH PLAIN ‹…›" in lines
    assert f"> {RELAY}: ‹…›" in lines  # both LOGIN steps
    assert f"> {RELAY}: MAIL FROM:<alice@example.com>" in lines
    for line in lines:
        assert not [secret for secret in SECRETS if secret in line], line


def test_verbose_relay_lines_in_the_verdict_are_no_attack(run: Runner, log_file: LogFile) -> None:
    _code, out, _err = run("explain", log_file(_log(header=False)))
    out = " ".join(out.split())
    assert "These lines contain no client connection at all." in out
    assert "192.0.2.25" not in out.split("Verdict", 1)[1]
