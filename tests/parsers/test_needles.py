"""The prefilter's guarantee: a raw line that contains none of NEEDLES gives no event other
than CONNECT, QUEUED (without SASL), TLS_SETUP, TLS_DUMP or DEBUG."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailwarden.model import EventType, Record
from mailwarden.parsers import NEEDLES, dovecot, may_matter, parse, postfix

from .corpus import ALL
from .helpers import rec

EXEMPT = {
    EventType.CONNECT,
    EventType.QUEUED,
    EventType.TLS_SETUP,
    EventType.TLS_DUMP,
    EventType.DEBUG,
    # A weak hint outside any session: the detector reads nothing in it (explain tells
    # it); analyze may skip the line.
    EventType.LONG_REQUEST,
}


def _mattering_lines() -> list[str]:
    """Every test line (as written, and its message alone as a bare line) whose events
    include one outside EXEMPT."""
    lines = []
    for case in ALL:
        record = rec(case.line)
        bare = Record(None, None, None, None, record.message, "t", 1, 0, record.message)
        for text, rec_ in ((case.line, record), (record.message, bare)):
            if any(e.type not in EXEMPT for e in parse(rec_)):
                lines.append(text)
    return lines


MATTERING = _mattering_lines()


def test_every_line_that_matters_contains_a_needle() -> None:
    assert len(MATTERING) > 300
    missed = [line for line in MATTERING if not may_matter(line)]
    assert missed == []


def test_every_needle_is_needed() -> None:
    """Keeps the list short: each needle is the only one some test line has."""
    for needle in NEEDLES:
        others = [n for n in NEEDLES if n != needle]
        assert any(not any(n in line for n in others) for line in MATTERING if needle in line), (
            f"{needle!r} is never the only needle of a line that matters"
        )


def test_needles_are_few() -> None:
    assert len(NEEDLES) <= 16
    assert len(set(NEEDLES)) == len(NEEDLES)


def test_needles_are_the_rules_needles() -> None:
    assert set(NEEDLES) == set(postfix.NEEDLES) | set(dovecot.NEEDLES)


def test_exempt_lines_may_be_skipped() -> None:
    skipped = [
        "Feb  3 11:57:42 mx postfix/smtpd[1]: connect from unknown[203.0.113.7]",
        "Feb  3 11:57:42 mx postfix/smtpd[1]: 4Xk1Zp2Lm9z3q: client=mx.example.net[198.51.100.20]",
        "Feb  3 11:57:42 mx postfix/qmgr[2]: 4Xk1Zp2Lm9z3q: removed",
        "Feb  3 11:57:42 mx postfix/smtpd[1]: 0000 16 03 03 01 06                 .....",
    ]
    for line in skipped:
        assert not may_matter(line), line


@given(st.text(max_size=300))
def test_may_matter_is_the_needle_test(line: str) -> None:
    assert may_matter(line) == any(n in line for n in NEEDLES)


@given(st.sampled_from(MATTERING), st.integers(0, 300), st.text(max_size=20))
def test_guarantee_survives_edits(line: str, at: int, insert: str) -> None:
    """Mutated lines: if they still give an event that matters, they still hit a needle."""
    mutated = line[:at] + insert + line[at:]
    record = rec(mutated)
    if any(e.type not in EXEMPT for e in parse(record)):
        assert may_matter(mutated), mutated
