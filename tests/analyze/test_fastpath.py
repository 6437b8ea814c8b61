# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The analyzer's fast path in C (mailwarden/_fastpath.c) gives exactly what the Python it
replaces gives: the prefilter keeps the same lines, framing makes the same records (the
same times, hosts, programs, pids, messages, line numbers, byte offsets and text), the
same lines are left for Relevance to decide on, the counters are the same.

Compared chunk by chunk (:func:`mailwarden.scan._analysis_batch`: in Python; with the C
prefilter and Python framing; with both in C) on the parser corpus, the real logs, a
generated log, and chunks built by hypothesis from log fragments, the needles, headers
good and nearly good, control characters, invalid UTF-8, CR, NUL and a missing last
newline. The C module reads text written by attackers: its argument checks are tested too
(a wrong call is an exception, never a crash)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import load_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden import framing, scan
from mailwarden.framing import Framer
from mailwarden.model import Record
from mailwarden.native import compiled_modules
from mailwarden.sources.interface import Chunk, ReadStats

ROOT = Path(__file__).resolve().parents[2]
REAL = sorted((ROOT / "tests" / "data" / "real").glob("*.log"))


CORPUS = load_module("prefilter_corpus", ROOT / "tests" / "parsers" / "corpus.py")
GENERATE = load_module("prefilter_generate", ROOT / "benchmarks" / "generate.py")

if scan.native_select is None:
    if not os.environ.get("MAILWARDEN_PURE") and compiled_modules()["mailwarden.scan"]:
        raise AssertionError("the compiled modules are built but not mailwarden._fastpath")
    pytest.skip("mailwarden._fastpath is not built (pure Python)", allow_module_level=True)

from mailwarden import _fastpath as NATIVE  # noqa: E402

PYTHON, C_SELECT, C_BOTH = "python", "C prefilter", "C prefilter and framing"


def batch(
    data: bytes, mode: str, split: bool = False
) -> tuple[list[Record], set[int], dict[str, int]]:
    """The records, the line numbers left to Relevance, and the framing counters of one
    chunk (line 7, byte 1000 of its source), with the C parts ``mode`` names."""
    stats = ReadStats()
    framer = Framer(year=2026, stats=stats, split_pasted=split, native=True)
    chunk = Chunk("t.log", data, 7, 1000)
    calls: list[str] = []

    def select(data: bytes, groups: tuple[tuple[bytes, ...], ...]) -> Any:
        calls.append("select")
        return NATIVE.select(data, groups)

    def frame(*args: Any) -> Any:
        calls.append("frame")
        return NATIVE.frame(*args)

    saved = scan.native_select, framing.native_frame
    scan.native_select = None if mode == PYTHON else select
    framing.native_frame = frame if mode == C_BOTH else None
    try:
        records, check = scan._analysis_batch(chunk, framer)
    finally:
        scan.native_select, framing.native_frame = saved
    if mode != PYTHON and data:  # the path asked for ran
        assert calls[0] == "select"
    if "frame" in calls:
        assert mode == C_BOTH
    return records, set(check), vars(stats)


def chunk_records(data: bytes, native: bool, split: bool) -> tuple[list[Record], dict[str, int]]:
    """Framer.frame_chunk (every line, as ``events`` frames them), in C or in Python."""
    stats = ReadStats()
    framer = Framer(year=2026, stats=stats, split_pasted=split, native=native)
    calls: list[int] = []

    def frame(*args: Any) -> Any:
        calls.append(1)
        return NATIVE.frame(*args)

    saved = framing.native_frame
    framing.native_frame = frame
    try:
        records = list(framer.frame_chunk(Chunk("t.log", data, 7, 1000)))
    finally:
        framing.native_frame = saved
    plain = data.isascii() and not data.translate(None, framing.PLAIN_ASCII)
    assert bool(calls) == (native and plain and bool(data))  # C frames a plain chunk, if native
    return records, vars(stats)


def assert_same(data: bytes, split: bool = False) -> list[Record]:
    python = batch(data, PYTHON, split)
    assert batch(data, C_SELECT, split) == python
    assert batch(data, C_BOTH, split) == python
    assert chunk_records(data, True, split) == chunk_records(data, False, split)
    return python[0]


def chunks(lines: list[str], size: int = 64 << 10) -> Iterator[bytes]:
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    while data:
        cut = data.find(b"\n", size)
        cut = len(data) if cut < 0 else cut + 1
        yield data[:cut]
        data = data[cut:]


def test_the_corpus_lines_one_by_one_and_together() -> None:
    lines = [case.line for case in CORPUS.ALL]
    kept = 0
    for line in lines:
        kept += len(assert_same(line.encode("utf-8", "surrogateescape") + b"\n"))
    assert kept > len(lines) / 2  # the corpus is mostly lines that matter
    for data in chunks(lines):
        assert_same(data)


@pytest.mark.parametrize("path", REAL, ids=lambda path: path.name)
def test_real_logs(path: Path) -> None:
    data = path.read_bytes()
    assert assert_same(data)
    assert assert_same(data.rstrip(b"\n"))  # no newline after the last line


def test_a_generated_log_with_tls_dumps_and_every_kind_of_session() -> None:
    lines = list(GENERATE.generate(30_000, seed=7, clients=500))
    kept = 0
    for data in chunks(lines):
        kept += len(assert_same(data))
    assert 0 < kept < len(lines)


FRAGMENTS = [
    "Nov 28 10:00:01 mx postfix/smtpd[4242]: ",
    "Nov  3 10:00:01 mx postfix/smtpd[4242]: ",
    "Nov 3 10:00:01.25 postfix/smtpd[1]: ",
    "Feb 29 23:59:60 mx dovecot: ",
    "Feb 30 10:00:01 mx dovecot: ",
    "Dec 31 23:59:59.1234567890 mx dovecot: ",
    "Jan 01 00:00:00 mx: host: x[12345678901]: ",
    "Jan 01 00:00:00 mx:: dovecot[]: ",
    "Jan 01 00:00:00 mx postfix/smtpd[7]:",
    "Jan 01 00:00:00 ",
    "Nov 28 10:00:0",
    "nov 28 10:00:01 mx dovecot: ",
    ":10:00 ",
    ":10:00Z",
    "Nov 28 10:00:01 mx postfix/submission/smtpd[17]: ",
    "2026-11-28T10:00:01.123456+01:00 mx dovecot: ",
    "2026-11-28T10:00:01+0100 mx postfix/smtpd[9]: ",
    "2026-11-28 10:00:01 ",
    "2026-11-28T10:00:01Z",
    "+01:00 ",
    "<38>1 2026-11-28T10:00:01Z mx postfix/smtpd 99 - - ",
    '{"MESSAGE":[104,105],"_PID":"1"}',
    '{"MESSAGE":"warning: x","SYSLOG_IDENTIFIER":"postfix/smtpd"}',
    "connect from unknown[192.0.2.7]",
    "disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 commands=1/2",
    "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "lost connection after AUTH from unknown[192.0.2.7]",
    "Anonymous TLS connection established from unknown[192.0.2.7]: TLSv1 with cipher RC4-SHA (128/128 bits)",
    "TLS connection established to x: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384",
    "Read 30 chars: AUTH PLAIN AGFkbWluAGh1bnRlcjI=",
    "< unknown[192.0.2.7]: AUTH LOGIN",
    "> unknown[192.0.2.7]: 535 5.7.8 Error",
    "<x> Saved",
    "imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<a>, rip=198.51.100.2, lip=192.0.2.1",
    "postscreen[800]: PASS OLD [203.0.113.9]:4242",
    "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 Relay access denied",
    "auth",
    "-login",
    " chars: ",
    "]: < ",
    " > ",
    " after ",
    "TLS ",
    "SSLv3",
    "DES-CBC-",
    "sasl_method=PLAIN",
    "ALL:!LOW",
    "ün\u3164icode é",
    "\t",
    "\r",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\udcff\udcc3",  # invalid UTF-8 (surrogate escapes), a truncated sequence
    "\ufeff",
    " ",
    "a",
    "<",
    ">",
    "]:",
]


@st.composite
def hostile_chunks(draw: st.DrawFn) -> bytes:
    lines = draw(
        st.lists(
            st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join), min_size=1, max_size=12
        )
    )
    text = "\n".join(lines)
    if draw(st.booleans()):
        text += "\n"
    return text.encode("utf-8", "surrogateescape")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_chunks(), st.booleans())
def test_hostile_chunks_built_from_fragments(data: bytes, split: bool) -> None:
    assert_same(data, split)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    assert_same(data)


def test_the_entry_after_a_crash_and_its_nuls_in_every_path() -> None:
    """A crash leaves a half-written entry, NULs, then the next entry on one line: that
    entry counts (framing's _after_nuls). A NUL is no plain byte, so C's select calls
    the chunk not plain and leaves its framing to Python in every path."""
    fail = "Mar 11 10:00:0{0} mx postfix/smtpd[10{0}]: warning: unknown[192.0.2.{0}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=u{0}"
    data = (
        (fail.format(1) + "\n" + fail.format(2)[:50]).encode()
        + b"\x00" * 4000
        + (fail.format(3) + "\n" + fail.format(4) + "\n").encode()
    )
    assert NATIVE.select(data, framing.NO_NEEDLES)[1] is False
    for split in (False, True):
        records = assert_same(data, split)
        assert [r.text for r in records] == [fail.format(n) for n in (1, 3, 4)]
        assert [r.line for r in records] == [7, 8, 9]


def test_starts_and_counts_of_lines() -> None:
    groups = scan._PLAIN_GROUPS
    raw, plain, kept, check, chat = NATIVE.select(b"a\n\nb auth\nc", groups)
    assert memoryview(raw).cast("q").tolist() == [0, 2, 3, 10, 12]  # last: no LF after c
    assert (plain, kept, check, chat) == (True, [2], [], [])
    raw, plain, kept, _check, _chat = NATIVE.select(b"x\xff auth\n", groups)
    assert memoryview(raw).cast("q").tolist() == [0, 8]
    assert (plain, kept) == (False, [0])
    raw, *_rest = NATIVE.select(b"", groups)
    assert memoryview(raw).cast("q").tolist() == [0]


def test_a_needle_at_the_very_end_of_a_line_and_of_the_data() -> None:
    groups = scan._PLAIN_GROUPS
    assert NATIVE.select(b"x auth", groups)[2] == [0]
    assert NATIVE.select(b"x aut\nh", groups)[2] == []
    assert NATIVE.select(b"x TLS \nSSLv3", groups)[2] == []  # TLS and weak on one line only


@pytest.mark.parametrize(
    "groups",
    [
        (),
        ((b"auth",),) * 5,
        ((b"auth",), (), (), (), (), (), ()),
        (("auth",), (), (), (), (), ()),
        ((b"a",), (), (), (), (), ()),
        ((b"x" * 65,), (), (), (), (), ()),
        (tuple(b"n%02d" % i for i in range(65)), (), (), (), (), ()),
        ([b"auth"], (), (), (), (), ()),
    ],
)
def test_a_wrong_call_is_an_exception(groups: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        NATIVE.select(b"auth\n", groups)


def test_data_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        NATIVE.select("auth\n", scan._PLAIN_GROUPS)  # type: ignore[arg-type]


HEADERS = [
    "Nov 28 10:00:01 mx postfix/smtpd[4242]: disconnect from x[192.0.2.7] auth=0/1",
    "Nov  3 10:00:01 mx postfix/smtpd[4242]: auth",
    "Nov 3 10:00:01.25 postfix/smtpd[1]: auth",
    "Nov 03 10:00:01.123456789 mx dovecot: auth",
    "Nov 28 10:00:01.1234567890 mx dovecot: auth",  # ten digits: no classic header
    "Nov 28 10:00:01 mx: dovecot: auth",  # a host never ends in ':'
    "Nov 28 10:00:01 mx dovecot[12345678901]: auth",  # eleven digits: not a pid
    "Nov 28 10:00:01 mx dovecot[]: auth",
    "Nov 28 10:00:01 mx dovecot:auth",
    "Nov 28 10:00:01 mx dovecot:",
    "Nov 28 10:00:01 dovecot: auth",
    "Nov 28 10:00:01 mx dovecot: auth Nov 28 10:00:02 mx dovecot: auth",  # pasted
    "Feb 30 10:00:01 mx dovecot: auth",  # no such day: no time
    "Nov 28 10:00:61 mx dovecot: auth",
    "2026-11-28T10:00:01Z mx dovecot: auth",  # RFC 3339: Python's
    "Jun 31 10:00:01 mx postfix/smtpd[1]: auth",
    "Nov 28 10:00:01 mx postfix/smtpd[1]: auth ",  # trailing blank: Python's checks
    "2026-11-28T10:00:01.123456+01:00 mx postfix/smtpd[1]: auth",  # rsyslog, Debian 12
    "2026-11-28T10:00:01+0100 mx dovecot: auth",
    "2026-11-28T10:00:01Z dovecot: auth",
    "2026-11-28T10:00:01z mx dovecot[7]: auth",
    "2026-11-28 10:00:01 imap-login: auth",  # Dovecot's log_timestamp, no zone
    "2026-11-28T10:00:01.1234567890+01:00 mx dovecot: auth",  # ten digits
    "2026-11-28T10:00:01+01:0 mx dovecot: auth",
    "2026-11-28T10:00:01+01:000 mx dovecot: auth",
    "2026-11-28T10:00:01+1 mx dovecot: auth",
    "2026-11-28T10:00:01- mx dovecot: auth",
    "2026-13-45T25:61:61+99:99 mx dovecot: auth",  # no such time: Python says so
    "2026-11-28X10:00:01 mx dovecot: auth",
    "2026-11-28T10:00:01.5 mx: dovecot: auth",
    "1732788001 mx dovecot: auth",  # journalctl -o short-unix: Python's
]


@pytest.mark.parametrize("split", [False, True])
def test_classic_headers_and_nearly_classic_ones(split: bool) -> None:
    data = "".join(line + "\n" for line in HEADERS).encode("ascii")
    records = assert_same(data, split)
    assert [record.line for record in records][:4] == [7, 8, 9, 10]


def no_iso(clock: str, fraction: str | None, zone: str | None) -> Any:
    raise AssertionError(f"no RFC 3339 line here: {clock}")


def test_the_c_framer_alone() -> None:
    data = b"x\nNov 28 10:00:01 mx postfix/smtpd[42]: auth\nJan  1 00:00:00 dovecot: y\n"
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]
    times: list[tuple[str, str | None]] = []

    def time_of(stamp: str, fraction: str | None) -> Any:
        times.append((stamp, fraction))
        return None if stamp.startswith("Jan") else "a time"

    cache: dict[str, Any] = {}
    args: list[Any] = [data, starts, [0, 1, 2], 0, 5, 100, "f", Record, cache, time_of, no_iso]
    assert NATIVE.frame(*args, False) == ([], 1)  # line 0: no classic header, Python's
    args[3] = 1  # from the second kept line on
    (first, second), unframed = NATIVE.frame(*args, False)
    assert unframed == 0
    assert first == Record(
        "a time", "mx", "postfix/smtpd", 42, "auth", "f", 6, 102, data[2:44].decode()
    )
    assert type(first) is Record
    assert second == Record(None, None, "dovecot", None, "y", "f", 7, 145, data[45:-1].decode())
    assert times == [("Nov 28 10:00:01", None), ("Jan  1 00:00:00", None)]
    cache["Nov 28 10:00:01"] = "cached"
    assert NATIVE.frame(*args, False)[0][0].time == "cached"
    args[3] = 3
    assert NATIVE.frame(*args, False) == ([], 0)


def test_the_c_framer_stops_at_a_run_of_lines_it_leaves_to_python() -> None:
    texts = ["Nov 28 10:00:01 mx dovecot: a", "x", "y ", "Nov 28 10:00:02 mx dovecot: b", "z"]
    data = "".join(text + "\n" for text in texts).encode()
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]
    rest: list[Any] = [1, 0, "f", Record, {}, lambda *_: None, no_iso, False]
    records, unframed = NATIVE.frame(data, starts, [0, 1, 2, 3, 4], 0, *rest)
    assert [record.message for record in records] == ["a"]
    assert unframed == 2  # "x" and "y ": Python frames both, then C goes on
    records, unframed = NATIVE.frame(data, starts, [0, 1, 2, 3, 4], 3, *rest)
    assert ([record.message for record in records], unframed) == (["b"], 1)


def test_the_c_framer_checks_its_arguments() -> None:
    data = b"Nov 28 10:00:01 mx dovecot: auth\n"
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]
    args: list[Any] = [data, starts, [0], 0, 1, 0, "f", Record, {}, lambda *_: None, no_iso, False]
    assert NATIVE.frame(*args)[0][0] is not None
    for index, wrong in [
        (0, bytearray(data)),  # bytes only: nothing can change them under the framer
        (1, b"\x00" * 8),  # starts of another chunk
        (1, b"\x00" * 7),
        (1, memoryview(starts)),
        (2, [1]),  # no such line
        (2, [-1]),
        (2, ["0"]),
        (3, -1),  # no such position in kept
        (3, 2),
        (4, 2**62 + 1),  # a line number whose sums could overflow
        (5, -1),
        (7, int),  # not a tuple type
        (8, []),
    ]:
        bad = list(args)
        bad[index] = wrong
        with pytest.raises((TypeError, ValueError, IndexError)):
            NATIVE.frame(*bad)


def test_the_c_framer_on_rfc_3339_lines() -> None:
    data = b"2026-11-28T10:00:01.25+01:00 mx postfix/smtpd[42]: auth\n2026-11-28 10:00:02 d: y\n"
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]
    asked: list[tuple[str, str | None, str | None]] = []

    def iso_time(clock: str, fraction: str | None, zone: str | None) -> Any:
        asked.append((clock, fraction, zone))
        return len(asked)

    def time_of(stamp: str, fraction: str | None) -> Any:
        raise AssertionError("no classic line here")

    out, unframed = NATIVE.frame(
        data, starts, [0, 1], 0, 1, 0, "f", Record, {}, time_of, iso_time, False
    )
    assert unframed == 0
    assert asked == [
        ("2026-11-28T10:00:01", ".25", "+01:00"),
        ("2026-11-28 10:00:02", None, None),
    ]
    first, second = data.decode().splitlines()
    assert out[0] == Record(1, "mx", "postfix/smtpd", 42, "auth", "f", 1, 0, first)
    assert out[1] == Record(2, None, "d", None, "y", "f", 2, len(first) + 1, second)


def test_an_error_in_time_of_is_raised() -> None:
    data = b"Nov 28 10:00:01 mx dovecot: auth\n"
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]

    def time_of(stamp: str, fraction: str | None) -> Any:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        NATIVE.frame(data, starts, [0], 0, 1, 0, "f", Record, {}, time_of, no_iso, False)
    iso = b"2026-11-28T10:00:01Z mx dovecot: auth\n"
    iso_starts = NATIVE.select(iso, scan._PLAIN_GROUPS)[0]

    def iso_time(clock: str, fraction: str | None, zone: str | None) -> Any:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        NATIVE.frame(iso, iso_starts, [0], 0, 1, 0, "f", Record, {}, time_of, iso_time, False)


def test_every_dump_line_is_kept_so_the_c_path_may_look_for_them_all() -> None:
    # _native_batch finds the TLS dump lines in the whole chunk, the Python path among
    # the kept lines: the same lines while the dump mark is an ALWAYS needle.
    assert scan._DUMP_MARK.decode() in scan.ALWAYS_NEEDLES


def test_time_of_cannot_make_the_c_framer_read_past_kept() -> None:
    lines = [f"Nov 28 10:00:{second:02d} mx dovecot: auth" for second in range(50)]
    data = "".join(line + "\n" for line in lines).encode("ascii")
    starts = NATIVE.select(data, scan._PLAIN_GROUPS)[0]
    kept = list(range(50))
    rest: list[Any] = [0, 1, 0, "f", Record, {}]

    def shrinking(stamp: str, fraction: str | None) -> Any:
        del kept[10:]  # hostile to a C loop that would keep the length it started with
        return stamp

    out, _unframed = NATIVE.frame(data, starts, kept, *rest, shrinking, no_iso, False)
    assert [record.time for record in out] == [line[:15] for line in lines[:10]]

    kept = list(range(50))

    def growing(stamp: str, fraction: str | None) -> Any:
        kept.append(0)  # nor one that would run for as long as the list grows
        return stamp

    out, _unframed = NATIVE.frame(data, starts, kept, *rest, growing, no_iso, False)
    assert len(out) == 50


def test_lines_are_dated_in_their_order_around_a_line_python_frames() -> None:
    # The year of a classic line follows the lines before it (December, then January: a
    # new year). The December line ends in a blank, so Python frames it; the January
    # line after it must still be dated after it.
    data = (
        b"Dec 31 23:59:59 mx postfix/smtpd[1]: warning: x: SASL LOGIN authentication failed: \n"
        b"Jan  1 00:00:01 mx postfix/smtpd[1]: warning: x: SASL LOGIN authentication failed\n"
    )
    records = assert_same(data)
    assert [record.time.year for record in records if record.time] == [2026, 2027]
