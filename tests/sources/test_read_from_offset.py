"""`read_chunks` from an offset: the end of a big plain log without reading the rest
(the daemon's first-start look-back), whole lines only; a compressed file is read whole."""

from __future__ import annotations

import gzip
from pathlib import Path

from mailwarden.sources.files import read_chunks
from mailwarden.sources.interface import ReadStats

LINES = [f"2026-11-30T05:00:{n:02d}+00:00 mx postfix/smtpd[{n}]: line {n}\n" for n in range(40)]


def test_a_plain_file_is_read_from_the_first_whole_line_at_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    data = "".join(LINES).encode()
    log.write_bytes(data)
    at = data.index(b"line 30")  # inside line 30: it starts before the offset
    chunks = list(read_chunks(str(log), ReadStats(), start=at))
    text = b"".join(c.data for c in chunks).decode()
    assert text == "".join(LINES[31:])
    assert chunks[0].offset == data.index(LINES[31].encode())
    start_of_line = data.index(LINES[20].encode())
    text = b"".join(
        c.data for c in read_chunks(str(log), ReadStats(), start=start_of_line)
    ).decode()
    assert text == "".join(LINES[20:])


def test_a_compressed_file_is_read_whole_whatever_the_offset(tmp_path: Path) -> None:
    packed = tmp_path / "mail.log.2.gz"
    packed.write_bytes(gzip.compress("".join(LINES).encode()))
    text = b"".join(c.data for c in read_chunks(str(packed), ReadStats(), start=100))
    assert text.decode() == "".join(LINES)
