"""Sliding windows keep a bounded amount and answer "how many within W" exactly."""

from __future__ import annotations

from mailwarden.detect.windows import (
    RecentKeys,
    StateTable,
    count_since,
    drop_oldest,
    push_times,
    span_of_last,
)


def test_last_times_answer_at_least_n_within_a_window() -> None:
    times: list[float] = []
    for t in (0, 10, 20, 30, 1000):
        push_times(times, t, 1, capacity=3)
    assert times == [20, 30, 1000]
    assert count_since(times, 1000 - 60) == 1
    assert count_since(times, 1000 - 3600) == 3
    assert span_of_last(times, 3) == 980


def test_several_attempts_at_once_and_times_out_of_order() -> None:
    times: list[float] = []
    push_times(times, 100, 5, capacity=4)
    push_times(times, 50, 1, capacity=4)
    assert times == [100, 100, 100, 100]
    push_times(times, 200, 1, capacity=8)
    push_times(times, 150, 1, capacity=8)
    assert times == [100, 100, 100, 100, 150, 200]


def test_recent_keys_forget_the_oldest_when_full() -> None:
    keys: RecentKeys[str] = RecentKeys(3)
    for n, key in enumerate("abcd"):
        assert keys.add(key, n)
    assert list(keys) == ["b", "c", "d"] and keys.dropped == 1
    assert not keys.add("b", 10)  # seen again: moves to the young end
    assert list(keys) == ["c", "d", "b"]
    assert keys.count_since(3) == 2 and keys.keys_since(3) == ["d", "b"]
    keys.discard("d")
    assert "d" not in keys


class _State:
    def __init__(self, last: float) -> None:
        self.last = last


def test_state_table_expires_idle_states_and_evicts_beyond_its_cap() -> None:
    table: StateTable[int, _State] = StateTable(20, lambda s: s.last)
    for n in range(20):
        assert table.add(n, _State(n)) == []
    table.touch(0)
    table.get(0).last = 100  # type: ignore[union-attr]
    evicted = table.add(20, _State(20))
    assert [s.last for s in evicted] == [1, 2]  # a tenth, least recently touched first
    assert len(table) == 19 and 0 in table
    expired = table.expire(before=10)
    assert [s.last for s in expired] == [3, 4, 5, 6, 7, 8, 9]
    assert table.evicted == 2


def test_drop_oldest_takes_the_oldest_tenth_and_keeps_the_newest() -> None:
    table = {n: str(n) for n in range(50)}
    table[3] = table.pop(3)  # touched: the youngest now
    assert drop_oldest(table) == ["0", "1", "2", "4", "5"]
    assert list(table)[:2] == [6, 7] and list(table)[-1] == 3 and len(table) == 45
    small = {"a": 1}
    assert drop_oldest(small) == [1] and small == {}
