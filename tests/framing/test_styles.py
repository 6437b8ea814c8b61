"""Every header style a mail log comes in gives the same Record fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailwarden.framing import Framer
from mailwarden.model import Record
from mailwarden.sources.interface import Chunk, ReadStats

PLUS1 = timezone(timedelta(hours=1))


def one(line: str, **kw: object) -> Record:
    framer = Framer(year=2026, tz=PLUS1, **kw)  # type: ignore[arg-type]
    records = framer.frame_line(line, "mail.log", 7, 700)
    assert len(records) == 1, records
    return records[0]


# line, time (None: no time), host, program, pid, message
STYLES = [
    (
        "Feb  3 11:57:42 mx postfix/smtpd[32451]: connect from unknown[192.0.2.1]",
        datetime(2026, 2, 3, 11, 57, 42, tzinfo=PLUS1),
        "mx",
        "postfix/smtpd",
        32451,
        "connect from unknown[192.0.2.1]",
    ),
    (
        "Feb 03 11:57:42 mx postfix/submission/smtpd[7]: warning: x",
        datetime(2026, 2, 3, 11, 57, 42, tzinfo=PLUS1),
        "mx",
        "postfix/submission/smtpd",
        7,
        "warning: x",
    ),
    (
        "Mar 7 02:09:33 postfix/postscreen[9]: CONNECT from [192.0.2.7]:4321 to [198.51.100.1]:25",
        datetime(2026, 3, 7, 2, 9, 33, tzinfo=PLUS1),
        None,
        "postfix/postscreen",
        9,
        "CONNECT from [192.0.2.7]:4321 to [198.51.100.1]:25",
    ),
    (
        "Feb 23 11:57:42.250 mail-1.example.org dovecot: imap-login: Login aborted: x",
        datetime(2026, 2, 23, 11, 57, 42, 250000, tzinfo=PLUS1),
        "mail-1.example.org",
        "dovecot",
        None,
        "imap-login: Login aborted: x",
    ),
    (
        "Feb 23 11:57:42 dovecot: imap-login: Disconnected",
        datetime(2026, 2, 23, 11, 57, 42, tzinfo=PLUS1),
        None,
        "dovecot",
        None,
        "imap-login: Disconnected",
    ),
    (
        "Feb 23 11:57:42 imap-login: Info: Login: user=<alice>, rip=192.0.2.1",
        datetime(2026, 2, 23, 11, 57, 42, tzinfo=PLUS1),
        None,
        "imap-login",
        None,
        "Info: Login: user=<alice>, rip=192.0.2.1",
    ),
    (
        "Feb 23 11:57:42 192.0.2.200 postfix/smtpd[1]: connect",
        datetime(2026, 2, 23, 11, 57, 42, tzinfo=PLUS1),
        "192.0.2.200",
        "postfix/smtpd",
        1,
        "connect",
    ),
    (
        "2026-02-23T11:57:42.123456+01:00 mx postfix/smtpd[32451]: connect",
        datetime(2026, 2, 23, 11, 57, 42, 123456, tzinfo=PLUS1),
        "mx",
        "postfix/smtpd",
        32451,
        "connect",
    ),
    (
        "2026-02-23T10:57:42Z mx postfix/smtpd[32451]: connect",
        datetime(2026, 2, 23, 10, 57, 42, tzinfo=UTC),
        "mx",
        "postfix/smtpd",
        32451,
        "connect",
    ),
    (
        "2026-02-23 11:57:42 imap-login: Info: Disconnected",
        datetime(2026, 2, 23, 11, 57, 42, tzinfo=PLUS1),
        None,
        "imap-login",
        None,
        "Info: Disconnected",
    ),
    (
        "<22>1 2026-02-23T11:57:42.003+01:00 mx postfix/smtpd 32451 - - "
        "connect from unknown[192.0.2.1]",
        datetime(2026, 2, 23, 11, 57, 42, 3000, tzinfo=PLUS1),
        "mx",
        "postfix/smtpd",
        32451,
        "connect from unknown[192.0.2.1]",
    ),
    (
        '<22>1 - - dovecot - - [meta a="x\\"]y"][b@1] \ufeffimap-login: Disconnected',
        None,
        None,
        "dovecot",
        None,
        "imap-login: Disconnected",
    ),
    (
        "@400000004c91b044077a9e94 postfix/smtpd[1]: connect from unknown[192.0.2.1]",
        datetime(2010, 9, 16, 5, 50, 50, 125476, tzinfo=UTC),
        None,
        "postfix/smtpd",
        1,
        "connect from unknown[192.0.2.1]",
    ),
    (
        "1771844262.5 mx postfix/smtpd[1]: connect",
        datetime(2026, 2, 23, 10, 57, 42, 500000, tzinfo=UTC),
        "mx",
        "postfix/smtpd",
        1,
        "connect",
    ),
    # bare messages: no header at all
    (
        "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, rip=192.0.2.1",
        None,
        None,
        None,
        None,
        "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, rip=192.0.2.1",
    ),
    (
        "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        None,
        None,
        None,
        None,
        "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    ),
    (
        "postfix/smtpd[12]: connect from unknown[192.0.2.1]",
        None,
        None,
        "postfix/smtpd",
        12,
        "connect from unknown[192.0.2.1]",
    ),
    (
        "dovecot: imap-login: Login: user=<a>",
        None,
        None,
        "dovecot",
        None,
        "imap-login: Login: user=<a>",
    ),
]


@pytest.mark.parametrize("line,time,host,program,pid,message", STYLES)
def test_style(
    line: str,
    time: datetime | None,
    host: str | None,
    program: str | None,
    pid: int | None,
    message: str,
) -> None:
    record = one(line)
    assert (record.time, record.host, record.program, record.pid, record.message) == (
        time,
        host,
        program,
        pid,
        message,
    )
    assert (record.source, record.line, record.offset, record.text) == ("mail.log", 7, 700, line)
    if record.time is not None:
        assert record.time.tzinfo is not None


@pytest.mark.parametrize(
    "line",
    [
        "Feb 23 11:57:42 auth(alice@example.com,192.0.2.1,sasl:plain)<Cd5N>: Info: "
        "passwd-file: Password mismatch",
        "2026-02-23 11:57:42 auth(alice,192.0.2.1,sasl:plain)<Cd5N>: Debug: passwd-file: lookup",
        "Feb 23 11:57:42 auth-worker(304): Info: pam(alice,192.0.2.1): unknown user",
    ],
)
def test_dovecot_auth_prefixes_are_not_tags(line: str) -> None:
    record = one(line)
    assert record.program is None and record.pid is None
    expected = line.split(" ", 3)[3] if line[0] == "F" else line.split(" ", 2)[2]
    assert record.message == expected
    assert record.time is not None


def test_message_never_ends_in_whitespace() -> None:
    record = one(
        "Feb 23 11:57:45 postfix/smtpd[1]: warning: unknown[192.0.2.1]: "
        "SASL PLAIN authentication failed: "
    )
    assert record.message == "warning: unknown[192.0.2.1]: SASL PLAIN authentication failed:"


def test_crlf_and_indentation_are_ignored() -> None:
    framer = Framer(year=2026)
    records = list(
        framer.frame_chunk(Chunk("x", b"  Feb 23 11:57:42 postfix/smtpd[1]: connect\r\n", 1, 0))
    )
    assert [(r.program, r.message) for r in records] == [("postfix/smtpd", "connect")]


def test_journal_json_prefers_the_trusted_pid() -> None:
    line = (
        '{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1771844262123456","_HOSTNAME":"mx",'
        '"SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"1","_PID":"32451",'
        '"MESSAGE":"connect from unknown[192.0.2.1]"}'
    )
    record = one(line)
    assert record.pid == 32451
    assert (record.host, record.program, record.message) == (
        "mx",
        "postfix/smtpd",
        "connect from unknown[192.0.2.1]",
    )
    assert record.time == datetime(2026, 2, 23, 10, 57, 42, 123456, tzinfo=UTC)
    assert record.text.endswith("mx postfix/smtpd[32451]: connect from unknown[192.0.2.1]")


def test_journal_message_given_as_bytes_is_decoded_with_replacement() -> None:
    stats = ReadStats()
    framer = Framer(stats=stats)
    line = '{"SYSLOG_IDENTIFIER":"dovecot","MESSAGE":[105,109,97,112,58,32,255]}'
    [record] = framer.frame_line(line, "journal", 1, 0)
    assert record.message == "imap: \ufffd" and record.program == "dovecot"
    assert stats.replaced == 1


def test_broken_json_is_kept_as_a_bare_message() -> None:
    record = one('{"MESSAGE": "unterminated')
    assert record.program is None and record.message == '{"MESSAGE": "unterminated'


def test_offsets_are_bytes_of_the_physical_line_even_after_utf8() -> None:
    data = (
        "Feb 23 11:57:42 mx dovecot: imap-login: user=<zoë>\nFeb 23 11:57:43 mx dovecot: x\n"
    ).encode()
    records = list(Framer(year=2026).frame_chunk(Chunk("x", data, 10, 1000)))
    assert [(r.line, r.offset) for r in records] == [(10, 1000), (11, 1000 + data.index(b"\n") + 1)]
    assert records[0].message.endswith("zoë>")
