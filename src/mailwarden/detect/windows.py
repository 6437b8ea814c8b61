"""Sliding windows with bounded memory: "how many in the last W seconds", per key.

Detection asks the same questions again and again: did this client fail three times
within a minute? How many addresses of this network failed within the hour? These
answers need only the most recent times, never the whole history, so everything here
keeps a fixed number of entries and forgets the rest:

- :func:`push_times` / :func:`count_since` keep the last *capacity* times of one key in a
  plain sorted list (oldest first); :func:`drop_latest` takes some out again. "At least
  N within W" is exact as long as N is at most the capacity: the N-th most recent time is
  either inside the window or not.
- :class:`RecentKeys` remembers which keys (addresses, accounts) were seen last and when,
  up to a cap: "how many distinct clients tried this account within the hour".
- :class:`StateTable` holds one state object per key (a client, an account, a network)
  in least-recently-touched order with a cap; :meth:`StateTable.expire` drops the states
  idle for longer than the longest window, from the oldest end, in time proportional to
  what it drops.
- :func:`drop_oldest` empties the old end of a plain dict kept in insertion order, a share
  at a time, for the tables that only need a cap.

Times are float seconds (POSIX time); they usually arrive in order, and a time that goes
backwards (merged files) is filed in its place.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def push_times(times: list[float], when: float, count: int, capacity: int) -> None:
    """Record ``count`` events at ``when`` in ``times``, keeping only the last ``capacity``."""
    if count == 1 and (not times or when >= times[-1]):  # the common case: one, in order
        times.append(when)
        if len(times) > capacity:
            del times[0]
        return
    count = min(count, capacity)
    if not times or when >= times[-1]:
        times.extend([when] * count)
    else:
        for _ in range(count):
            insort(times, when)
    excess = len(times) - capacity
    if excess > 0:
        del times[:excess]


def count_since(times: list[float], since: float) -> int:
    """How many of the remembered ``times`` are at or after ``since`` (at most their number)."""
    n = 0
    for when in reversed(times):
        if when < since:
            break
        n += 1
    return n


def drop_latest(times: list[float], count: int, since: float, until: float) -> None:
    """Take out of ``times`` the latest ``count`` of those from ``since`` to ``until``
    (fewer when fewer are there): the times of failures found to be no guesses."""
    index = len(times)
    while index and times[index - 1] > until:  # later lines of an input out of order
        index -= 1
    while count and index and times[index - 1] >= since:
        index -= 1
        count -= 1
        del times[index]


def most_within(times: Sequence[float], window: float) -> int:
    """The most of the sorted ``times`` that fit in one ``window`` (seconds): a
    sliding window over them."""
    best = start = 0
    for end, when in enumerate(times):
        while times[start] < when - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def span_of_last(times: list[float], count: int) -> float | None:
    """Seconds between the ``count``-th most recent time and the most recent one."""
    if count <= 0 or len(times) < count:
        return None
    return times[-1] - times[-count]


def drop_oldest(table: dict[K, V], share: int = 10) -> list[V]:
    """Take the oldest ``1/share`` of ``table`` (at least one entry) out, in insertion
    order, and return their values: for a dict with a cap, called when it is full.

    Evicting one entry per insertion with ``del table[next(iter(table))]`` costs time in
    proportion to the table: CPython's dict keeps the freed slots at its front until it
    is next resized, and ``next(iter(...))`` walks past all of them (150 µs an insertion
    for 200,000 entries). A share at a time walks them once."""
    old = list(islice(table, max(1, len(table) // share)))
    pop = table.pop
    return [pop(key) for key in old]


class RecentKeys(Generic[K]):
    """Distinct keys with the last time each was seen, the most recent ``capacity`` only.

    Used for "which clients tried this account" and "which addresses of this network
    failed": when full, the key seen longest ago is forgotten first.
    """

    __slots__ = ("_capacity", "_last", "dropped")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._last: dict[K, float] = {}
        self.dropped = 0
        """How many keys were forgotten because the set was full."""

    def add(self, key: K, when: float) -> bool:
        """Note ``key`` at ``when``; True when the key was not remembered before."""
        last = self._last
        previous = last.pop(key, None)
        last[key] = when if previous is None else max(previous, when)
        if previous is None and len(last) > self._capacity:
            del last[next(iter(last))]
            self.dropped += 1
        return previous is None

    def discard(self, key: K) -> None:
        self._last.pop(key, None)

    def count_since(self, since: float) -> int:
        return sum(1 for when in self._last.values() if when >= since)

    def keys_since(self, since: float) -> list[K]:
        return [key for key, when in self._last.items() if when >= since]

    def last_seen(self, key: K) -> float | None:
        return self._last.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def __len__(self) -> int:
        return len(self._last)

    def __iter__(self) -> Iterator[K]:
        return iter(self._last)


class StateTable(dict[K, V]):
    """One state per key, least recently touched first, with a cap.

    A dict (lookups stay at C speed on the hot path) kept in touch order: ``last_of(state)``
    gives the time a state was last active; :meth:`expire` drops states idle since before
    a time, oldest first. :meth:`add` evicts the least recently touched states when the
    table is over its cap and returns them, so the caller can keep what it must (a
    hostile client's summary) and count the rest.
    """

    def __init__(self, capacity: int, last_of: Callable[[V], float]) -> None:
        super().__init__()
        self.capacity = capacity
        self.last_of = last_of
        self.evicted = 0

    def touch(self, key: K) -> None:
        """Mark ``key`` as the most recently active (it moves to the young end)."""
        self[key] = self.pop(key)

    def add(self, key: K, state: V) -> list[V]:
        """Insert a new state; returns the states evicted to stay within the cap."""
        self[key] = state
        if len(self) <= self.capacity:
            return []
        # Evict a tenth at once, so a flood pays for eviction once per many insertions.
        drop = max(1, self.capacity // 10)
        evicted: list[V] = []
        for old in list(self)[:drop]:
            if old != key:
                evicted.append(self.pop(old))
        self.evicted += len(evicted)
        return evicted

    def expire(self, before: float) -> list[V]:
        """Drop and return the states last active before ``before``, oldest first. Stops at
        the first state still active, so a state touched out of time order may outlive
        its window a little; the cap still bounds the table."""
        last_of = self.last_of
        stale: list[K] = []
        # One pass from the old end: popping and calling next(iter(self)) again would
        # walk the freed slots at the front of the dict each time (quadratic).
        for key, state in self.items():
            if last_of(state) >= before:
                break
            stale.append(key)
        pop = self.pop
        return [pop(key) for key in stale]
