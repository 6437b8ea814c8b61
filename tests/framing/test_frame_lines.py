# ruff: noqa: E501  (log lines are data)
"""Framer.frame_lines (lines already cut and filtered) frames exactly as frame_chunk."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.framing import Framer
from mailwarden.scan import _decoded_lines
from mailwarden.sources.interface import Chunk

_SHAPES = [
    "Feb  3 11:57:42 mx postfix/smtpd[32451]: warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "2026-02-23T11:57:42.123456+01:00 mx postfix/submission/smtpd[2201]: disconnect from unknown[192.0.2.5] ehlo=1 auth=0/1 commands=1/2",
    "Feb 23 11:57:42 mx dovecot: imap-login: Login: user=<jörg@example.com>, method=PLAIN, rip=198.51.100.20, lip=192.0.2.1, session=<abc>",
    "Feb 23 11:57:42 mx postfix/smtpd[1]: connect from unknown[192.0.2.5] Feb 23 11:57:43 mx postfix/smtpd[1]: lost connection after AUTH from unknown[192.0.2.5]",
    '{"MESSAGE":"warning: unknown[192.0.2.9]: SASL PLAIN authentication failed:","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"7","__REALTIME_TIMESTAMP":"1771840662000000"}',
    "<22>1 2026-02-23T11:57:42Z mx postfix/smtpd 77 - - lost connection after EHLO from unknown[192.0.2.8]",
    "   Feb 23 11:57:42 mx postfix/smtpd[1]: trailing blanks   ",
    "",
    "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, rip=192.0.2.1",
]
_PIECES = st.one_of(
    st.sampled_from(_SHAPES),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
    st.text(max_size=60).map(lambda t: t.replace("\n", " ")),
)


def _bytes(lines: list[str], raw: list[bool]) -> bytes:
    """The lines as a chunk: latin-1 text as raw bytes (often invalid UTF-8) when asked."""
    out = []
    for line, as_bytes in zip(lines, raw, strict=True):
        latin = all(ord(c) < 256 for c in line)
        out.append(line.encode("latin-1") if as_bytes and latin else line.encode("utf-8"))
    return b"\n".join(out) + b"\n"


@settings(max_examples=300)
@given(
    st.lists(_PIECES, min_size=1, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_frame_lines_is_frame_chunk_line_by_line(
    pieces: list[str], raw: list[bool], keep: list[bool]
) -> None:
    data = _bytes(pieces, raw[: len(pieces)])
    chunk = Chunk("mail.log", data, 40, 1000)
    expected_framer = Framer(year=2026)
    expected = list(expected_framer.frame_chunk(chunk))
    lines, ends, plain = _decoded_lines(data)
    kept = [index for index in range(len(lines)) if keep[index % 12]]
    offsets = [1000 + ends[index - 1] + index if index else 1000 for index in kept]
    framer = Framer(year=2026)
    got = framer.frame_lines(
        [lines[index] for index in kept],
        [40 + index for index in kept],
        offsets,
        "mail.log",
        plain=plain,
    )
    wanted = {40 + index for index in kept}
    assert got == [record for record in expected if record.line in wanted]
    if len(kept) == len(lines):
        assert framer.stats == expected_framer.stats
