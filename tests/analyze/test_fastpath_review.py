# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""More comparisons of the C fast path (mailwarden/_fastpath.c) with the Python it
replaces, on what tests/analyze/test_fastpath.py does not reach: the order in which lines
are dated (the year of a classic line depends on the lines before it when the framer has
a year), the edges of MAX_LINE and of the _HINT check, header forms near the _BSD pattern's
possessive runs, the reuse of the last stamp's time; and two review findings, fixed: a data
buffer that could change under the C framer while it calls back into Python (it takes
bytes only), and a zoneless RFC 3339 stamp in year 1 (an exception on both paths)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden import framing, scan
from mailwarden.model import Record
from mailwarden.sources.interface import MAX_LINE

if scan.native_select is None or framing.native_frame is None:
    pytest.skip("mailwarden._fastpath is not built (pure Python)", allow_module_level=True)

from test_fastpath import C_BOTH, PYTHON, assert_same, batch


def months(records: list[Record]) -> list[tuple[int, int]]:
    """(year, month) of each record (every one has a time)."""
    times = [record.time for record in records]
    assert all(time is not None for time in times)
    return [(time.year, time.month) for time in times if time is not None]


def lines(*texts: str, final: bool = True) -> bytes:
    data = "\n".join(texts).encode("ascii")
    return data + b"\n" if final else data


# -- the order lines are dated in -------------------------------------------------------
# Framer(year=...) (analyze/events/explain --year) infers each classic line's year from the
# months seen before it. C must date its lines in the chunk's order even when it leaves a
# line to Python (a trailing blank, pasted text, no tag, too long) in between.


def test_a_december_line_left_to_python_dates_the_january_line_after_it() -> None:
    data = lines(
        # Postfix's empty SASL reason leaves a trailing blank: Python frames this line.
        "Dec 31 23:59:58 mx postfix/smtpd[1]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: ",
        "Jan  1 00:00:01 mx postfix/smtpd[1]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    )
    records = assert_same(data)
    assert months(records) == [(2026, 12), (2027, 1)]


def test_a_line_left_to_python_between_two_months_far_apart() -> None:
    data = lines(
        "Jan  1 00:00:00 mx dovecot: auth a",
        "Jun  1 00:00:00 mx dovecot: auth b ",  # trailing blank: Python's
        "Aug  1 00:00:00 mx dovecot: auth c",
    )
    records = assert_same(data)
    assert months(records) == [(2026, 1), (2026, 6), (2026, 8)]


@pytest.mark.parametrize(
    "other",
    [
        "Jun  1 00:00:00 mx dovecot: auth b\r",  # CR before the LF
        "Jun  1 00:00:00 mx dovecot auth b",  # no tag: _BSD_ONLY, in Python
        "Jun  1 00:00:00 mx dovecot: auth Jun  1 00:00:01 mx dovecot: auth",  # pasted (split)
        "Jun  1 00:00:00 mx dovecot: " + "x" * MAX_LINE,  # too long: not framed at all
    ],
)
def test_every_kind_of_line_left_to_python_is_dated_in_order(other: str) -> None:
    data = lines("Jan  1 00:00:00 mx dovecot: auth a", other, "Aug  1 00:00:00 mx dovecot: auth c")
    for split in (False, True):
        assert_same(data, split)


def test_the_same_stamp_again_after_the_year_moved_on() -> None:
    # The cache is cleared when the year moves on; the last stamp's time is reused by C
    # only while nothing in between could have changed it.
    data = lines(
        "Dec 31 23:59:59 mx dovecot: auth a",
        "Dec 31 23:59:59 mx dovecot: auth b",
        "Jan  1 00:00:00 mx dovecot: auth c",
        "Dec 31 23:59:59 mx dovecot: auth d",  # a straggler from last year
        "Dec 31 23:59:59.5 mx dovecot: auth e",
        "Dec 31 23:59:59 mx dovecot: auth f",
        "Dec 31 23:59:59 mx dovecot: auth g ",  # Python's
        "Dec 31 23:59:59 mx dovecot: auth h",
    )
    records = assert_same(data)
    assert [year for year, _month in months(records)] == [2026, 2026, 2027] + [2026] * 5


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(MONTHS),
            st.sampled_from(["", " ", "\r", ".5"]),  # Python's, Python's, C's with a fraction
            st.sampled_from(["28", " 1", "29", "31"]),
        ),
        min_size=2,
        max_size=10,
    ),
    st.booleans(),
)
def test_months_in_any_order_with_lines_left_to_python(
    entries: list[tuple[str, str, str]], split: bool
) -> None:
    texts = []
    for number, (month, tail, day) in enumerate(entries):
        fraction, end = (tail, "") if tail.startswith(".") else ("", tail)
        texts.append(f"{month} {day} 10:00:{number:02d}{fraction} mx dovecot: auth{end}")
    assert_same(lines(*texts), split)


# -- edges ----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [-2, -1, 0, 1, 2])
def test_lines_at_max_line(extra: int) -> None:
    head = "Nov 28 10:00:01 mx postfix/smtpd[1]: auth "
    line = head + "x" * (MAX_LINE - len(head) + extra)
    data = lines("Nov 28 10:00:00 mx dovecot: auth", line, "Nov 28 10:00:02 mx dovecot: auth")
    records = assert_same(data)
    assert (len(line) in [len(record.text) for record in records]) == (len(line) <= MAX_LINE)
    assert_same(data.rstrip(b"\n"))


@pytest.mark.parametrize(
    "message",
    [
        "auth :10:00",  # the hint needs a character after the seconds
        "auth :10:00 ",
        "auth :10:00x",
        "auth :10:00.5",
        "auth :10:00Z",
        "auth :10:00z",
        "auth :10:00+",
        "auth :10:00-",
        "auth :10:00\t",
        "auth :1:00 ",
        ":10:00 auth",
        "auth 10:00:00 x",
        "auth :10::00 x",
    ],
)
def test_the_pasted_text_hint_at_the_end_of_a_message(message: str) -> None:
    data = lines(
        f"Nov 28 10:00:01 mx dovecot: {message}", f"Nov 28 10:00:01 mx dovecot: {message}x"
    )
    for split in (False, True):
        assert_same(data, split)
        assert_same(data.rstrip(b"\n"), split)


@pytest.mark.parametrize(
    "header",
    [
        "Nov 28 10:00:01 a:b: c: auth",  # a host never ends in ':', and "a:" has no blank
        "Nov 28 10:00:01 mx:: dovecot: auth",
        "Nov 28 10:00:01 :: dovecot: auth",
        "Nov 28 10:00:01 ::1 dovecot: auth",
        "Nov 28 10:00:01 mx: auth",  # a tag with no host
        "Nov 28 10:00:01 mx:",
        "Nov 28 10:00:01 mx dovecot[9999999999]: auth",  # ten digits, over 32 bits
        "Nov 28 10:00:01 mx dovecot[0000000001]: auth",
        "Nov 28 10:00:01 mx dovecot[1]x: auth",
        "Nov 28 10:00:01 mx dovecot[1]:auth",
        "Nov 28 10:00:01 mx dovecot[1]:",
        "Nov 28 10:00:01 mx dovecot[1][2]: auth",
        "Nov 28 10:00:01 mx a/b/c.d-e_f: auth",
        "Nov 28 10:00:01 mx/x dovecot: auth",  # '/' is no host character
        "Nov 28 10:00:01 m.x-_9 dovecot: auth",
        "Nov 28 10:00:01 mx\tdovecot: auth",
        "Nov 28 10:00:01 mx  dovecot: auth",
        "Nov 28 10:00:01  mx dovecot: auth",
        "Nov 28 10:00:01\tmx dovecot: auth",
        "Nov 28 10:00:01.000000000 mx dovecot: auth",
        "Nov 28 10:00:01.12345678 mx dovecot: auth",
        "Nov 28 10:00:01. mx dovecot: auth",
        "Nov 28 10:00:01.5.5 mx dovecot: auth",
        "Nov 28 10:00:01.5mx dovecot: auth",
        "Nov 0 10:00:01 mx dovecot: auth",
        "Nov 00 10:00:01 mx dovecot: auth",
        "Nov 39 10:00:01 mx dovecot: auth",
        "Nov 40 10:00:01 mx dovecot: auth",
        "Nov 4 10:00:01 mx dovecot: auth",
        "Nov  4 10:00:01 mx dovecot: auth",
        "Nov 4  10:00:01 mx dovecot: auth",
        "Nov   4 10:00:01 mx dovecot: auth",
        "Nov 123 10:00:01 mx dovecot: auth",
        "Nov 28 1:00:01 mx dovecot: auth",
        "Nov 28 10:00:01:02 mx dovecot: auth",
        "Sept 28 10:00:01 mx dovecot: auth",
        "NOV 28 10:00:01 mx dovecot: auth",
        "Nov 28 24:60:60 mx dovecot: auth",
        "Feb 29 10:00:01 mx dovecot: auth",  # 2026 is no leap year: an earlier one
        "Nov 28 10:00:01 a: auth\tx\ry",  # tab and CR inside the message
    ],
)
def test_headers_near_the_classic_pattern(header: str) -> None:
    for split in (False, True):
        assert_same(lines(header), split)
        assert_same(lines(header, final=False), split)
        assert_same(lines(header, header.replace("auth", "sasl_method=PLAIN")), split)


# -- the data must not change under the C framer -----------------------------------------


def test_the_c_framer_takes_only_bytes_which_nothing_can_change() -> None:
    """The C framer calls back into Python (``_bsd_time``) between reading a line's
    header and copying its text into ASCII str objects: a bytearray changed meanwhile
    would give str objects that break CPython's invariants. It takes bytes only."""
    text = lines("Nov 28 10:00:01 mx dovecot: auth", "Nov 28 10:00:02 mx dovecot: auth")
    starts = scan.native_select(text, framing.NO_NEEDLES)[0]  # type: ignore[misc]
    frame = framing.native_frame
    assert frame is not None
    rest: list[Any] = [
        [0, 1],
        0,
        1,
        0,
        "t.log",
        Record,
        {},
        lambda *_: None,
        lambda *_: None,
        False,
    ]
    assert len(frame(text, starts, *rest)[0]) == 2  # type: ignore[arg-type]
    for data, offsets in [
        (bytearray(text), starts),
        (memoryview(text), starts),
        (text, bytearray(starts)),
        (text, memoryview(b"\0" + starts)[1:]),  # misaligned
    ]:
        with pytest.raises(TypeError):
            frame(data, offsets, *rest)  # type: ignore[arg-type]


def test_records_made_in_c_are_records() -> None:
    data = lines("Nov 28 10:00:01 mx dovecot: auth", "2026-11-28T10:00:01Z mx dovecot: auth")
    for record in batch(data, C_BOTH)[0]:
        assert type(record) is Record
        assert all(type(text) is str for text in (record.message, record.text, record.program))
    assert batch(data, C_BOTH) == batch(data, PYTHON)


def test_a_zoneless_rfc_3339_line_in_year_one_is_no_error() -> None:
    # Review finding: Framer._aware asked the C library for the local offset of
    # 0001-01-01, which raised "year 0 is out of range" and ended the whole read (the
    # daemon dropped the chunk). Such a time is taken in UTC now.
    data = lines("Nov 28 10:00:01 mx dovecot: auth", "0001-01-01 00:00:00 mx dovecot: auth")
    for mode in (PYTHON, C_BOTH):
        records = batch(data, mode)[0]
        assert len(records) == 2
        assert records[1].time is not None and records[1].time.year == 1
