"""The C fast path (mailwarden/_fastpath.c) on seeded random hostile chunks, against a
plain reading of what it promises rather than against the Python path alone:

- ``select``: the starts of the lines (str.split("\\n") without the empty piece after a
  final LF; one past the end when the last line has no LF), ``plain``, and which lines
  are kept, to check or chat candidates, decided by ``in`` on each line's bytes; the
  same for a bytearray or a memoryview slice of the chunk (the argument is a buffer);
- ``frame``: any sorted subset of a plain chunk's lines (not only those the prefilter
  keeps), framed by the C framer as the Python framer frames them, around lines of
  exactly MAX_LINE bytes and one more or one less.

Deterministic (a fixed seed) and quick; tests/analyze/test_fastpath_sanitized.py runs it
under AddressSanitizer too, where a read past a line or a chunk fails it."""

from __future__ import annotations

import random

import pytest

from mailwarden import framing, scan
from mailwarden.framing import NO_NEEDLES, PLAIN_ASCII, EncodedLines, Framer
from mailwarden.model import Record
from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats

if scan.native_select is None or framing.native_frame is None:
    pytest.skip("mailwarden._fastpath is not built (pure Python)", allow_module_level=True)

from mailwarden import _fastpath as NATIVE

PIECES = [
    b"Nov 28 10:00:01 mx postfix/smtpd[4242]: ",
    b"Nov  3 10:00:01.25 postfix/smtpd[1]: ",
    b"Dec 31 23:59:59.1234567890 mx dovecot: ",
    b"Jan 01 00:00:00 mx:: dovecot[]: ",
    b"Jan 01 00:00:00 mx dovecot[12345678901]: ",
    b"Nov 28 10:00:0",
    b"2026-11-28T10:00:01.123456+01:00 mx dovecot: ",
    b"2026-11-28T10:00:01.0000000001Z mx dovecot: ",
    b"2026-11-28T10:00:01+01:0 mx dovecot: ",
    b"2026-11-28T10:00:01-",
    b"2026-11-28 10:00:01 imap-login: ",
    b"9999-99-99T99:99:99.999999999-99:99 h t[9999999999]: ",
    b"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    b"Anonymous TLS connection established from unknown[192.0.2.7]: TLSv1 with cipher RC4-SHA",
    b"Read 30 chars: AUTH PLAIN AGFkbWluAGh1bnRlcjI=",
    b"< unknown[192.0.2.7]: AUTH LOGIN",
    b"lost connection after AUTH from unknown[192.0.2.7]",
    b"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): rip=198.51.100.2",
    b" :10:00 ",
    b":10:00Z",
    b"auth Nov 28 10:00:02 mx dovecot: pasted",
    b"x 2026-11-28T10:00:03 mx postfix/smtpd[2]: pasted",
    b"auth",
    b"TLS ",
    b"SSLv3",
    b"-login",
    b"]: ",
    b"\t",
    b"\r",
    b"\x00",
    b"\x7f",
    b"\xff\xc3",
    "\u00fcn\u3164".encode(),
    b" ",
    b"x",
    b"<",
    b">",
]
NEEDLES = [NO_NEEDLES, scan._PLAIN_GROUPS, scan._LOOSE_GROUPS]


def hostile_line(rng: random.Random, long: bool) -> bytes:
    if long:  # a line of MAX_LINE bytes, one more or one less, ending in text or a blank
        size = MAX_LINE + rng.choice([-1, 0, 1])
        head = rng.choice(PIECES[:12])
        line = (head + b"auth " * (size // 5 + 1))[:size]
        return line[:-1] + rng.choice([b"x", b" "])
    if rng.random() < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(40))).replace(b"\n", b"")
    line = b"".join(rng.choice(PIECES) for _ in range(rng.randrange(5)))
    return line[: rng.randrange(len(line) + 1)] if rng.random() < 0.2 else line


def hostile_chunk(rng: random.Random, long: bool = False, plain: bool = False) -> bytes:
    lines = [hostile_line(rng, long and rng.random() < 0.3) for _ in range(rng.randrange(1, 12))]
    data = b"\n".join(lines) + rng.choice([b"", b"\n"])
    return data.translate(None, bytes(range(256)).translate(None, PLAIN_ASCII)) if plain else data


def promised(data: bytes, groups: tuple[tuple[bytes, ...], ...]) -> tuple[object, ...]:
    """What select promises, read plainly off the bytes."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    starts.append(at)
    always, maybe, tls, weak, later, chat = groups
    kept, check, chats = [], [], []
    for index, line in enumerate(lines):
        if any(needle in line for needle in always):
            kept.append(index)
        elif any(needle in line for needle in maybe):
            if any(n in line for n in tls) and any(n in line for n in weak):
                kept.append(index)
            elif any(needle in line for needle in later):
                check.append(index)
            elif any(needle in line for needle in chat):
                chats.append(index)
    return starts, not data.translate(None, PLAIN_ASCII), kept, check, chats


def test_select_keeps_its_promise_on_hostile_chunks_in_any_buffer() -> None:
    rng = random.Random(20261130)
    for _ in range(600):
        data = hostile_chunk(rng)
        for groups in NEEDLES:
            raw, plain, kept, check, chat = NATIVE.select(data, groups)
            got = (memoryview(raw).cast("q").tolist(), plain, kept, check, chat)
            assert got == promised(data, groups), data
            for buffer in (bytearray(data), memoryview(b"\n\xff" + data + b"\xff\n")[2:-2]):
                assert NATIVE.select(buffer, groups) == (raw, plain, kept, check, chat)


def framed(
    data: bytes, kept: list[int], split: bool, native: bool
) -> tuple[list[Record], dict[str, int]]:
    stats = ReadStats()
    framer = Framer(year=2026, stats=stats, split_pasted=split, native=native)
    starts = NATIVE.select(data, NO_NEEDLES)[0]
    text = EncodedLines(data, memoryview(starts).cast("q")).text
    records = framer.frame_plain_lines(data, starts, kept, Chunk("t.log", data, 7, 1000), text)
    return records, vars(stats)


@pytest.mark.parametrize("split", [False, True])
def test_the_c_framer_on_any_lines_of_hostile_plain_chunks(split: bool) -> None:
    rng = random.Random(split)
    records = 0
    for number in range(120):
        data = hostile_chunk(rng, long=number % 4 == 0, plain=True)
        count = len(NATIVE.select(data, NO_NEEDLES)[0]) // 8 - 1
        kept = sorted(rng.sample(range(count), rng.randrange(count + 1)))
        in_c = framed(data, kept, split, native=True)
        assert in_c == framed(data, kept, split, native=False), (data[:200], kept)
        records += len(in_c[0])
    assert records > 100  # the comparison saw records
