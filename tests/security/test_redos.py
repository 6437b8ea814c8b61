# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""No regular expression of the reading stages backtracks badly: the worst lines we could
build for each pattern family, at the 64 KiB line limit, are framed (with and without
pasted-text splitting), parsed, explained and redacted in well under a second each.
Times measured when written: at most a few milliseconds a line."""

from __future__ import annotations

import time

import pytest

from mailwarden.explain.excerpt import _LOGGED_SECRETS
from mailwarden.framing import Framer
from mailwarden.parsers import parse
from mailwarden.redact import redact_line
from mailwarden.report.events import event_text
from mailwarden.sources.interface import MAX_LINE

N = MAX_LINE - 300
P = "Feb 23 11:57:42 mx postfix/smtpd[1]: "
D = "Feb 23 11:57:42 mx dovecot: "
LIMIT = 1.0
"""Seconds for one line, all stages: generous for a slow machine."""


def fill(token: str) -> str:
    return (token * (N // len(token) + 1))[:N]


LINES = {
    "sasl username": P
    + "warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: x, sasl_username="
    + fill(", sasl_username=x]"),
    "sasl reason": P
    + "warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: "
    + fill("a, "),
    "client repeated": P + fill("warning: unknown[1.2.3.4]: "),
    "reject tail": P
    + "NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 554 5.7.1 "
    + fill("; from=<a> to=<b"),
    "reject helo": P
    + "NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 554 5.7.1 "
    + fill("; helo=<"),
    "anvil": "Feb 23 11:57:42 mx postfix/anvil[1]: statistics: max "
    + fill("a (b for (x:1.2.3.4) at "),
    "anvil for": "Feb 23 11:57:42 mx postfix/anvil[1]: statistics: max " + fill(" for (x:1.2.3.4"),
    "postscreen after": "Feb 23 11:57:42 mx postfix/postscreen[1]: COMMAND PIPELINING from [1.2.3.4]:5 after "
    + fill(" after x"),
    "disconnect stats": P + "disconnect from unknown[1.2.3.4] " + fill("ehlo=1 "),
    "tls established": P
    + "Anonymous TLS connection established from unknown[1.2.3.4]: "
    + fill("TLSv1.2 with cipher "),
    "chat AUTH": P + "< unknown[1.2.3.4]: AUTH PLAIN " + fill("A"),
    "dump AUTH": P + "Read 45 chars: AUTH PLAIN " + fill("AGFk"),
    "dump pipelined": P + "Read 45 chars: " + fill("YWRtaW4=??"),
    "hex row": P + "0000 " + fill("16 "),
    "bio": P + "read from 7FD [7FD] (" + fill("1"),
    "lost after": P + "lost connection after AUTH " + fill("from unknown[1.2.3.4] "),
    "dovecot user": D
    + "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<"
    + fill(">, method=PLAIN, rip=1.2.3.4, lip=1.2.3.4, "),
    "dovecot rip": D
    + "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<"
    + fill(", rip="),
    "dovecot reasons": D
    + "imap-login: Disconnected "
    + fill("(auth failed, 1 attempts in 2 secs): user=<a"),
    "dovecot parens": D + "imap-login: Login aborted: " + fill("(a) (b)"),
    "auth 2.4 prefix": D + "auth(" + fill("a,1.2.3.4,"),
    "auth 2.4 parens": D + "auth(" + fill("(,)"),
    "passdb prefix": D + "auth: passwd-file(" + fill("x,1.2.3.4,<s>,"),
    "passdb names": D + "auth: " + fill("passwd-file("),
    "worker": D + "auth-worker(1): " + fill("pam(a,"),
    "given password": D
    + "auth: passwd-file(a,1.2.3.4): Password mismatch (given password: "
    + fill(")"),
    "pam rhost": D
    + "auth: pam_unix(dovecot:auth): authentication failure; "
    + fill("rhost=1.2.3.4 "),
    "pasted headers": P + "warning: x " + fill("Feb 23 11:57:42 mx a[1]: "),
    "pasted markers": P + fill("Feb 23 11:57:42 mx postfix/smtpd[1]: user=<"),
    "pasted TAI64N": P + fill("@4000000000000000000000 x "),
    "pasted RFC 3339": P + fill(" 2026-02-23T11:57:42.1+01:00 h x: "),
    "RFC 5424 data": "<13>1 2026-02-23T11:57:42Z h app 1 - " + fill('[a b="\\"'),
    "RFC 5424 params": "<13>1 2026-02-23T11:57:42Z h app 1 - [" + fill('a="x" '),
    "host run": "Feb 23 11:57:42 " + fill("a:"),
    "tag run": "Feb 23 11:57:42 " + fill("a/"),
    "decoded response": P
    + "xsasl_cyrus_server_next: decoded response: "
    + fill("decoded response: "),
    "resp=": D + "auth: Debug: client in: AUTH\t1\tPLAIN\t" + fill("resp=resp="),
    "chat AUTH spaces": P + "< unknown[1.2.3.4]: AUTH PLAIN x" + fill(" ") + "y",
    "pipelined pieces": P
    + "improper command pipelining after AUTH from unknown[1.2.3.4]: "
    + fill("a \\r\\n"),
    "chat markers": P + fill("< unknown[1.2.3.4]"),
    "postscreen after run": "Feb 23 11:57:42 mx postfix/postscreen[1]: "
    + fill("COMMAND PIPELINING from [1.2.3.4]:5 after x "),
    "CONT": D + "auth: Debug: client in: " + fill("CONT\t1\t"),
    "init_response": P + fill("init_response "),
}


@pytest.mark.parametrize("name", list(LINES))
def test_the_worst_lines_are_read_quickly(name: str) -> None:
    line = LINES[name]
    assert len(line) <= MAX_LINE
    started = time.perf_counter()
    for split in (True, False):
        records = Framer(split_pasted=split, year=2026).frame_line(line, "x", 1, 0)
        for record in records:
            for event in parse(record):
                event_text(event)
    for pattern in _LOGGED_SECRETS:
        pattern.sub("x", line)
    redact_line(line)
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT, f"{name}: {elapsed:.2f} s"
