"""Flattening nested bans: every address stays banned until the latest ban over it ends."""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import given
from hypothesis import strategies as st

from mailwarden.enforce._ranges import Piece, _nested, flatten


def span(network: str, expiry: int) -> tuple[int, int, int]:
    net = ipaddress.ip_network(network)
    return int(net.network_address), int(net.broadcast_address), expiry


def test_inner_ban_that_outlives_the_outer_splits_it() -> None:
    pieces = flatten([span("192.0.2.0/24", 100), span("192.0.2.7/32", 900)], 4)
    assert {p.value().__repr__(): e for p, e in pieces.items()} == {
        repr({"range": ["192.0.2.0", "192.0.2.6"]}): 100,
        repr("192.0.2.7"): 900,
        repr({"range": ["192.0.2.8", "192.0.2.255"]}): 100,
    }


def test_inner_ban_that_ends_first_disappears_into_the_outer() -> None:
    pieces = flatten([span("192.0.2.0/24", 900), span("192.0.2.7/32", 100)], 4)
    assert [(p.value(), e) for p, e in pieces.items()] == [
        ({"prefix": {"addr": "192.0.2.0", "len": 24}}, 900)
    ]


def test_adjacent_blocks_with_one_expiry_merge() -> None:
    pieces = flatten([span("2001:db8::/33", 5), span("2001:db8:8000::/33", 5)], 6)
    assert [p.value() for p in pieces] == [{"prefix": {"addr": "2001:db8::", "len": 32}}]


def test_nothing_gives_nothing() -> None:
    assert flatten([], 4) == {}


blocks = st.tuples(
    st.integers(min_value=0, max_value=255),  # an address in 198.51.100.0/24
    st.integers(min_value=24, max_value=32),
    st.integers(min_value=1, max_value=5),
)


@given(st.lists(blocks, max_size=8))
def test_every_address_gets_the_latest_covering_expiry(raw: list[tuple[int, int, int]]) -> None:
    spans = []
    for offset, length, expiry in raw:
        net = ipaddress.ip_network(f"198.51.100.{offset}/{length}", strict=False)
        spans.append((int(net.network_address), int(net.broadcast_address), expiry))
    pieces = flatten(spans, 4)
    ordered = sorted(pieces)
    for left, right in itertools.pairwise(ordered):
        assert left.last < right.first, "pieces are disjoint"
    base = int(ipaddress.ip_address("198.51.100.0"))
    for address in range(base, base + 256):
        want = max((e for f, last, e in spans if f <= address <= last), default=None)
        got = [e for p, e in pieces.items() if p.first <= address <= p.last]
        assert got == ([] if want is None else [want])


def test_piece_value_shapes() -> None:
    assert Piece(4, 1, 1).value() == "0.0.0.1"
    assert Piece(4, 0, 3).value() == {"prefix": {"addr": "0.0.0.0", "len": 30}}
    assert Piece(4, 1, 3).value() == {"range": ["0.0.0.1", "0.0.0.3"]}


disjoint = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # gap before the span
        st.integers(min_value=0, max_value=3),  # its size - 1
        st.integers(min_value=1, max_value=2),  # expiry: few values, so runs merge
    ),
    max_size=12,
)


@given(disjoint)
def test_spans_that_do_not_overlap_flatten_as_the_general_walk_does(
    raw: list[tuple[int, int, int]],
) -> None:
    """The quick path for bans that do not nest (100,000 single addresses) gives what
    the general walk gives, adjacent pieces with one expiry merged."""
    spans, cursor = [], 0
    for gap, size, expiry in raw:
        first = cursor + gap
        spans.append((first, first + size, expiry))
        cursor = first + size + 1
    assert flatten(spans, 4) == (_nested(sorted(spans), 4) if spans else {})
    assert list(flatten(spans, 4).items()) == list(
        _nested(sorted(spans), 4).items() if spans else []
    )
