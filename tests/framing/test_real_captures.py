"""Framing of the real captures (tests/data/real/): Postfix's ``maillog_file`` and
Dovecot's ``log_path`` formats as the servers really write them.

Each physical line is one entry; its time is the one written at its start; the header
fields are the ones the server wrote. Dovecot's mail-process prefix
``imap(user)<pid><session>:`` is, by design, not a tag (framing.py: like ``auth(…)``, it
stays in the message for the Dovecot parser).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailwarden.framing import Framer
from mailwarden.model import Record
from mailwarden.sources.interface import Chunk, ReadStats

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
POSTFIX = sorted(p.name for p in REAL.glob("postfix-*.log"))
DOVECOT = sorted(p.name for p in REAL.glob("dovecot-*.log"))

_STAMP = re.compile(r"([A-Z][a-z]{2}) ([ 0-3]\d) (\d\d):(\d\d):(\d\d) ")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def frame(name: str) -> tuple[list[Record], ReadStats, list[str]]:
    data = (REAL / name).read_bytes()
    stats = ReadStats()
    framer = Framer(year=2026, tz=UTC, stats=stats)
    records = list(framer.frame_chunk(Chunk(name, data, 1, 0)))
    return records, stats, data.decode("utf-8").splitlines()


def written_time(line: str) -> datetime:
    m = _STAMP.match(line)
    assert m is not None, line
    month = _MONTHS.index(m.group(1)) + 1
    day, hour, minute, second = (int(g) for g in m.groups()[1:])
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def test_the_captures_are_there() -> None:
    assert len(POSTFIX) == 3 and len(DOVECOT) == 2


@pytest.mark.parametrize("name", POSTFIX + DOVECOT)
def test_one_entry_per_line_at_the_time_written(name: str) -> None:
    records, stats, lines = frame(name)
    assert stats.skipped_total == 0 and stats.split == 0 and stats.held_together == 0
    assert [r.line for r in records] == list(range(1, len(lines) + 1))
    for record in records:
        line = lines[record.line - 1]
        assert record.time == written_time(line), line
        assert record.text == line.rstrip()
        assert record.message and record.message == record.message.rstrip()
        assert _STAMP.match(record.message) is None, "a header left inside the message"
    assert [r.time for r in records] == sorted(r.time for r in records if r.time)


@pytest.mark.parametrize("name", POSTFIX)
def test_postfix_maillog_file_headers(name: str) -> None:
    records, _, lines = frame(name)
    for record in records:
        m = re.match(
            r"\S+ +\d+ \S+ (\S+) (postfix/[a-z/-]+)\[(\d+)\]: (.*)$", lines[record.line - 1]
        )
        assert m is not None
        assert (record.host, record.program, record.pid) == (
            m.group(1),
            m.group(2),
            int(m.group(3)),
        )
        assert record.message == m.group(4).rstrip()


@pytest.mark.parametrize("name", DOVECOT)
def test_dovecot_log_path_headers(name: str) -> None:
    records, _, lines = frame(name)
    for record in records:
        rest = lines[record.line - 1][16:]  # after "Nov 28 02:20:39 "
        assert record.host is None and record.pid is None
        if rest.startswith("imap("):
            # imap(user)<pid><session>: the mail process's prefix, kept in the message.
            assert record.program is None and record.message == rest
        else:
            program, _, message = rest.partition(": ")
            assert program in ("master", "auth", "imap-login")
            assert (record.program, record.message) == (program, message)
