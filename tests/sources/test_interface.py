"""ReadStats crosses process boundaries; the line splitter keeps numbers true."""

from __future__ import annotations

import pickle
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.interface import ReadStats


def test_stats_pickle_and_merge_add_every_counter() -> None:
    a = ReadStats(files=1, bytes=10, lines=3, empty=1, binary=1, too_long=1, replaced=2, split=4)
    a.problem("a.log.gz: truncated gzip archive after 3 lines; earlier lines were read")
    b = pickle.loads(pickle.dumps(a))
    assert b == a
    b.held_together = 5
    a.merge(b)
    assert (a.files, a.bytes, a.lines, a.split, a.held_together) == (2, 20, 6, 8, 5)
    assert len(a.problems) == 2
    assert a.skipped_total == 6


def test_problem_is_one_line() -> None:
    stats = ReadStats()
    stats.problem("journal: journalctl:\n  Hint: you are not in group\tsystemd-journal")
    assert stats.problems == ["journal: journalctl: Hint: you are not in group systemd-journal"]


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
)
def test_any_cutting_of_the_stream_gives_the_same_numbered_lines(
    lines: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    splitter = LineSplitter("s", ReadStats(), max_line=30)
    chunks = [splitter.feed(data[a:b]) for a, b in pairwise(points)]
    got = []
    for chunk in chunks:
        if chunk is not None:
            assert chunk.data.endswith(b"\n")
            for n, line in enumerate(chunk.data.split(b"\n")[:-1]):
                got.append((chunk.first_line + n, line))
    # Short lines always come, with their numbers; a long line is either dropped while
    # streaming (and counted) or passed whole (framing skips it): never cut, never lost.
    numbered = list(enumerate(lines, 1))
    assert set(got) <= set(numbered)
    assert {(n, line) for n, line in numbered if len(line) <= 30} <= set(got)
    assert splitter.stats.too_long == len(numbered) - len(got)
    assert splitter.offset == len(data) and splitter.line == len(lines) + 1
