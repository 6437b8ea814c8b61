"""Nothing in the input ever raises; junk is counted and skipped; numbers stay true."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.framing import Framer
from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats

GOOD = "Feb 23 11:57:42 mx postfix/smtpd[1]: connect from unknown[192.0.2.{}]"
HEADERS = [
    "Feb 23 11:57:42 postfix/smtpd[1]: ",
    "Feb  3 11:57:42 mx postfix/smtpd[1]: ",
    "2026-02-23T11:57:42+01:00 mx dovecot: ",
    "2026-02-23 11:57:42 imap-login: ",
    "Feb 23 11:57:42 auth(",
]
CLIENT_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=string.printable.replace("\n", "").replace("\r", ""), max_size=12),
        st.sampled_from(HEADERS),
        st.just(" "),
    ),
    max_size=8,
).map("".join)


def test_junk_lines_are_counted_and_skipped() -> None:
    data = b"\n".join(
        [
            GOOD.format(1).encode(),
            b"",
            b"   \t",
            b"\x00\x01\x02binary\x00",
            (bytes(range(1, 10)) + bytes(range(11, 32))) * 3,
            b"x" * (MAX_LINE + 1),
            b"Feb 23 11:57:42 mx dovecot: imap-login: user=<\xff\xfe>",
            GOOD.format(8).encode(),
        ]
    )
    stats = ReadStats()
    records = list(Framer(year=2026, stats=stats).frame_chunk(Chunk("x", data, 1, 0)))
    assert [r.line for r in records] == [1, 7, 8]
    assert records[1].message == "imap-login: user=<\ufffd\ufffd>"
    assert (stats.lines, stats.empty, stats.binary, stats.too_long, stats.replaced) == (
        8,
        2,
        2,
        1,
        1,
    )


@settings(max_examples=300)
@given(st.binary(max_size=600), st.integers(min_value=1, max_value=10**6))
def test_arbitrary_bytes_never_raise_and_keep_line_numbers(data: bytes, first: int) -> None:
    stats = ReadStats()
    records = list(Framer(stats=stats).frame_chunk(Chunk("x", data, first, 0)))
    physical = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert stats.lines == physical
    lines = [r.line for r in records]
    assert lines == sorted(lines)
    assert all(first <= n < first + max(physical, 1) for n in lines)
    for record in records:  # each offset is where its physical line starts
        assert record.offset == 0 or data[record.offset - 1] == ord("\n")
        assert data[: record.offset].count(b"\n") == record.line - first


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    for record in Framer(year=2026).frame_line(text, "x", 3, 9):
        assert record.line == 3 and record.offset == 9
        assert record.message == record.message.rstrip()


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from([GOOD.format(n) for n in range(5)] + ["", "junk", "\x00"]), max_size=30
    )
)
def test_good_lines_keep_their_numbers_among_junk(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    records = list(Framer(year=2026).frame_chunk(Chunk("x", data, 1, 0)))
    expected = [n for n, line in enumerate(lines, 1) if line.startswith("Feb")]
    assert [r.line for r in records if r.program] == expected


@given(CLIENT_TEXT.filter(lambda s: len(s) <= 100))
def test_no_sasl_username_ever_splits(user: str) -> None:
    line = (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL LOGIN "
        f"authentication failed: (reason unavailable), sasl_username={user}"
    )
    assert len(Framer(year=2026).frame_line(line, "x", 1, 0)) == 1


@given(CLIENT_TEXT.filter(lambda s: len(s) <= 80))
def test_no_dovecot_user_ever_splits(user: str) -> None:
    line = (
        "Feb 23 11:57:41 mx dovecot: imap-login: Login aborted: Connection closed (auth failed, "
        f"1 attempts in 2 secs) (auth_failed): user=<{user}>, method=PLAIN, rip=192.0.2.9, "
        "lip=198.51.100.1, TLS, session=<AbCdEfGhIjKl>"
    )
    assert len(Framer(year=2026).frame_line(line, "x", 1, 0)) == 1


@given(CLIENT_TEXT, st.integers(min_value=0, max_value=60))
def test_no_plaintext_dump_ever_splits(text: str, extra: int) -> None:
    shown = text[:40]
    line = f"Feb 23 11:57:41 postfix/smtpd[9]: Read {len(shown) + extra} chars: {shown}"
    records = Framer(year=2026).frame_line(line, "x", 1, 0)
    assert len(records) == 1


HEADER_LINES = st.builds(
    lambda stamp, fraction, host, tag, pid, message: (
        f"{stamp}{fraction} {host}{tag}{pid}: {message}"
    ),
    st.sampled_from(
        [
            "Feb  3 11:57:42",
            "Feb 03 11:57:42",
            "Dec 31 23:59:59",
            "2026-02-23T11:57:42",
            "Jan 1 00:00:00",
        ]
    ),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["", "mx ", "192.0.2.1 ", "mail-1.example.org "]),
    st.sampled_from(["postfix/smtpd", "dovecot", "postfix-out/submission/smtpd", "imap-login"]),
    st.sampled_from(["", "[1]", "[32451]"]),
    st.text(alphabet=string.ascii_letters + string.digits + " []:=<>,.", max_size=60),
)


@given(st.lists(HEADER_LINES, min_size=1, max_size=10))
def test_the_fast_path_and_the_general_path_agree(lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    fast = list(Framer(year=2026).frame_chunk(Chunk("x", data, 1, 0)))
    general = Framer(year=2026)
    slow = []
    offset = 0
    for number, line in enumerate(lines, 1):
        slow.extend(general.frame_line(line, "x", number, offset))
        offset += len(line) + 1
    assert fast == slow


SASL_FAILURE = (
    "Feb 23 11:57:42 mx postfix/submission/smtpd[7]: warning: unknown[203.0.113.9]: "
    "SASL LOGIN authentication failed: authentication failure, sasl_username=root"
)


def test_an_entry_after_nul_padding_on_its_line_is_kept() -> None:
    # A log truncated under its writer (copytruncate) or cut by a crash: NUL bytes, then
    # the next entry on the same physical line. The entry counts; a line of NULs alone
    # is binary junk.
    lines = [GOOD.format(1), "\x00" * 4096 + SASL_FAILURE, "\x00" * 64]
    data = ("\n".join(lines) + "\n").encode()
    stats = ReadStats()
    records = list(Framer(year=2026, stats=stats).frame_chunk(Chunk("x", data, 1, 0)))
    assert [r.message for r in records][1] == SASL_FAILURE.split(": ", 1)[1]
    assert records[1].line == 2 and records[1].offset == len(GOOD.format(1)) + 1
    assert stats.binary == 1 and len(records) == 2


def test_the_entry_after_a_half_written_one_and_its_nuls_is_kept() -> None:
    # A crash: the entry being written is cut short, NULs fill the rest of its block,
    # and the next entry follows on the same physical line. Postfix and Dovecot never
    # write a NUL, so the NUL run is a boundary between writes: the entry right after it
    # counts; the half-written one is binary junk.
    half = SASL_FAILURE.replace("203.0.113.9", "203.0.113.8")[:60]
    lines = [GOOD.format(1), half + "\x00" * 4000 + SASL_FAILURE, GOOD.format(3)]
    data = ("\n".join(lines) + "\n").encode()
    stats = ReadStats()
    records = list(Framer(year=2026, stats=stats).frame_chunk(Chunk("x", data, 1, 0)))
    assert [r.line for r in records] == [1, 2, 3]
    assert records[1].message == SASL_FAILURE.split(": ", 1)[1]
    assert records[1].text == SASL_FAILURE
    assert records[1].offset == len(GOOD.format(1)) + 1
    assert (stats.lines, stats.binary) == (3, 1)
    # The same line read alone (the daemon, explain): the same entry.
    assert Framer(year=2026).frame_line(lines[1], "x", 2, 0)[0].text == SASL_FAILURE


@pytest.mark.parametrize(
    "line",
    [
        # text between the NULs and the header: client text can hold a header
        "half-written\x00\x00\x00 user=<x " + SASL_FAILURE + ">",
        "half-written\x00\x00\x00x" + SASL_FAILURE,
        # NULs after the header's start, or none after the last run
        SASL_FAILURE[:30] + "\x00" + SASL_FAILURE[30:],
        SASL_FAILURE + "\x00\x00",
        # a header after the NULs that is mostly binary junk itself
        "\x00\x00"
        + SASL_FAILURE[:40]
        + "\x01" * 200
        + "\x00\x00Feb 23 11:57:42 mx postfix/smtpd[1]: "
        + "\x01" * 300,
    ],
)
def test_a_line_with_nuls_and_no_header_right_after_them_stays_binary(line: str) -> None:
    stats = ReadStats()
    assert Framer(year=2026, stats=stats).frame_line(line, "x", 1, 0) == []
    assert stats.binary == 1


def test_an_entry_after_a_byte_order_mark_is_kept() -> None:
    data = ("\ufeff" + SASL_FAILURE + "\n").encode()
    [record] = Framer(year=2026).frame_chunk(Chunk("x", data, 1, 0))
    assert record.program == "postfix/submission/smtpd" and record.pid == 7


@pytest.mark.parametrize(
    "line",
    [
        '{"__REALTIME_TIMESTAMP":"\u00b2\u00b3","MESSAGE":"x"}',  # digits, but not ASCII
        '{"_PID":"\u00b2","SYSLOG_IDENTIFIER":"dovecot","MESSAGE":"x"}',
        '{"__REALTIME_TIMESTAMP":"' + "9" * 5000 + '","MESSAGE":"x"}',
        "[" * 20000 + "]" * 20000,
        '{"MESSAGE":' + "[" * 20000 + "]" * 20000 + "}",
        '{"SYSLOG_IDENTIFIER":"dovecot","MESSAGE":"imap-login: \\ud800 x"}',
        '{"MESSAGE":[["auth"]]}',
    ],
)
def test_a_malformed_journal_line_is_framed_or_skipped_never_raised(line: str) -> None:
    stats = ReadStats()
    data = "\n".join([GOOD.format(1), line, GOOD.format(2)]).encode("utf-8", "surrogatepass")
    records = list(Framer(year=2026, stats=stats).frame_chunk(Chunk("x", data, 1, 0)))
    assert [r.line for r in records if r.program == "postfix/smtpd"] == [1, 3]
    for record in records:  # every text can be written out
        record.text.encode("utf-8")
        record.message.encode("utf-8")


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize(
    "line",
    [
        "0001-01-01 00:00:00 mx dovecot: auth: x",  # no zone: the local offset of year 1
        "0001-01-01T00:00:00.5 mx dovecot: auth: x",
        "<38>1 0001-01-01T00:00:00 mx postfix/smtpd 99 - - x",  # RFC 5424: the sender's time
        "9999-12-31 23:59:59 mx dovecot: auth: x",
        "@4000000000000000000000 dovecot: x",
        "99999999999 mx dovecot: x",
    ],
)
def test_a_time_at_the_edge_of_the_calendar_is_no_error(line: str, native: bool) -> None:
    # A C library that cannot tell the local offset of 0001-01-01 raised out of
    # framing and ended the read; the daemon dropped the chunk's other lines with it.
    data = f"Feb 23 11:57:42 mx dovecot: before\n{line}\nFeb 23 11:57:43 mx dovecot: after\n"
    stats = ReadStats()
    framer = Framer(year=2026, stats=stats, native=native)
    records = list(framer.frame_chunk(Chunk("t", data.encode(), 1, 0)))
    assert records[0].message == "before"
    assert records[-1].message == "after"
    assert len(records) == 3 and stats.lines == 3
