"""Flatten nested bans into disjoint address ranges, each with the latest expiry over it.

An nftables interval set refuses overlapping elements ("interval overlaps with an
existing one"), but bans nest: 192.0.2.7 banned for a week inside 192.0.2.0/24 banned
for an hour. Every point must stay banned until the latest ban covering it ends, so the
set holds disjoint pieces: [192.0.2.0-192.0.2.6] 1 h, [192.0.2.7] 1 week,
[192.0.2.8-192.0.2.255] 1 h. The kernel then expires each piece on its own.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
from collections.abc import Iterable
from typing import NamedTuple


class Piece(NamedTuple):
    """An inclusive range of addresses of one IP version, as integers."""

    version: int
    first: int
    last: int

    def value(self) -> object:
        """The nft JSON value: an address, a prefix, or a range."""
        first = _address(self.version, self.first)
        if self.first == self.last:
            return str(first)
        last = _address(self.version, self.last)
        size = self.last - self.first + 1
        if size & (size - 1) == 0 and self.first % size == 0:  # exactly one CIDR block
            bits = 32 if self.version == 4 else 128
            return {"prefix": {"addr": str(first), "len": bits - size.bit_length() + 1}}
        return {"range": [str(first), str(last)]}


def _address(version: int, value: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def flatten(spans: Iterable[tuple[int, int, int]], version: int) -> dict[Piece, int]:
    """(first, last, expiry) spans of one IP version -> disjoint pieces -> expiry.

    Adjacent pieces with the same expiry merge into one."""
    items = sorted(spans)
    if not items:
        return {}
    if all(items[n][0] > items[n - 1][1] for n in range(1, len(items))):
        return _disjoint(items, version)
    return _nested(items, version)


def _disjoint(items: list[tuple[int, int, int]], version: int) -> dict[Piece, int]:
    """`flatten` of sorted spans that do not overlap (no ban inside another: the usual
    case, 100,000 single addresses): each span is a piece, adjacent ones with the same
    expiry merged. A third of the time of the general walk."""
    out: dict[Piece, int] = {}
    run_first, run_last, run_expiry = items[0]
    for first, last, expiry in items[1:]:
        if first == run_last + 1 and expiry == run_expiry:
            run_last = last
            continue
        out[Piece(version, run_first, run_last)] = run_expiry
        run_first, run_last, run_expiry = first, last, expiry
    out[Piece(version, run_first, run_last)] = run_expiry
    return out


def _nested(items: list[tuple[int, int, int]], version: int) -> dict[Piece, int]:
    """`flatten` of sorted spans, some inside others."""
    bounds = sorted({first for first, _, _ in items} | {last + 1 for _, last, _ in items})
    out: dict[Piece, int] = {}
    heap: list[tuple[int, int]] = []  # (-expiry, last) of spans covering the cursor
    index = 0
    run: tuple[int, int, int] | None = None  # first, last, expiry of the piece being built
    for start, stop in itertools.pairwise(bounds):
        while index < len(items) and items[index][0] <= start:
            _, last, expiry = items[index]
            heapq.heappush(heap, (-expiry, last))
            index += 1
        while heap and heap[0][1] < start:
            heapq.heappop(heap)
        if not heap:
            continue
        expiry = -heap[0][0]
        if run is not None and run[1] == start - 1 and run[2] == expiry:
            run = (run[0], stop - 1, expiry)
            continue
        if run is not None:
            out[Piece(version, run[0], run[1])] = run[2]
        run = (start, stop - 1, expiry)
    if run is not None:
        out[Piece(version, run[0], run[1])] = run[2]
    return out
