"""parse() is pure and never raises, whatever a record holds."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

import mailwarden.parsers
from mailwarden.model import Event, Record
from mailwarden.parsers import parse

from .corpus import ALL
from .helpers import rec

PROGRAMS = [
    None,
    "postfix/smtpd",
    "postfix/submission/smtpd",
    "postfix/postscreen",
    "postfix/anvil",
    "postfix/tlsproxy",
    "dovecot",
    "imap-login",
    "auth",
    "auth-worker",
    "auth-worker(22401)",
    "dovecot-auth",
    "sshd",
    "",
    "/",
]

FRAGMENTS = [
    "warning: ",
    "unknown[",
    "203.0.113.7",
    "2001:db8::7",
    "]",
    "[",
    ":",
    ": ",
    ", ",
    " ",
    "SASL ",
    "LOGIN",
    " authentication failed: ",
    " authentication aborted",
    ", sasl_username=",
    "disconnect from ",
    "connect from ",
    " auth=0/3 ",
    "auth=x/",
    "lost connection after ",
    "NOQUEUE: ",
    "reject: RCPT from ",
    "; from=<",
    "> to=<",
    "helo=<",
    "554 5.7.1 ",
    "client=",
    "sasl_method=",
    "imap-login: ",
    "Info: ",
    "(auth failed, 3 attempts in 2 secs)",
    " (auth_failed)",
    "user=<",
    ">",
    "rip=",
    "lip=",
    "session=<",
    "auth: ",
    "auth-worker(3): ",
    "auth(",
    "passwd-file(",
    "): ",
    ")<",
    "<",
    "pam_unix(dovecot:auth): authentication failure; ",
    " ruser=",
    " rhost=",
    "  user=",
    "(given password: ",
    "Read 45 chars: ",
    "Write 3 chars: ",
    "< ",
    "> ",
    "PREGREET 1 after 0 from ",
    "DNSBL rank ",
    "statistics: max ",
    " limit exceeded: ",
    " for service ",
    "TLS connection established from ",
    "SSL_accept",
    "hostname ",
    " does not resolve to address ",
    "xsasl_dovecot_server_first: sasl_method ",
    "conn unix:x (",
    "\x00",
    "\ud7ff",
    "é",
    "\n",
]


def _strict_parse(record: Record) -> list[Event]:
    """parse() without its safety net, so that a bug shows up here as an exception."""
    mailwarden.parsers._STRICT = True
    try:
        return parse(record)
    finally:
        mailwarden.parsers._STRICT = False


texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map(
    "".join
)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(PROGRAMS), texts)
def test_internal_parse_never_raises(program: str | None, message: str) -> None:
    events = _strict_parse(Record(None, None, program, None, message, "t", 1, 0, message))
    for event in events:
        assert event.hostile is (event.strength is not None)
        if event.ip is not None:
            assert str(ipaddress.ip_address(event.ip)) == event.ip


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([c.line for c in ALL]), st.integers(0, 400), st.text(max_size=30))
def test_mutated_lines_never_raise(line: str, at: int, insert: str) -> None:
    mutated = line[:at] + insert + line[at:]
    _strict_parse(rec(mutated))
    truncated = line[: at % (len(line) + 1)]
    _strict_parse(rec(truncated))


def test_huge_and_binary_lines() -> None:
    for message in (
        "x" * 10_000_000,
        "warning: unknown[" + "1" * 100_000,
        "imap-login: " + "(" * 100_000 + "rip=" * 10_000,
        "auth: passwd-file(" + "): " * 100_000,
        "pam_unix(dovecot:auth): authentication failure; ruser=" + " rhost=" * 20_000,
        "\x00\xff\ufffd" * 1000,
    ):
        for program in PROGRAMS:
            _strict_parse(Record(None, None, program, None, message, "t", 1, 0, message[:100]))


def test_parse_is_pure() -> None:
    for case in ALL[:50]:
        record = rec(case.line)
        assert parse(record) == parse(record)
