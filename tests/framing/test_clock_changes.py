"""Wall times the clocks went through twice (summer time ends) or skipped (it begins):
``Oct 25 02:30`` in Berlin is 00:30Z the first time and 01:30Z the second."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailwarden.framing import Framer, native_frame
from mailwarden.sources.interface import Chunk

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Europe/Berlin"), reason="no tzdata"
)

BERLIN = ZoneInfo("Europe/Berlin")
NATIVE = [False, True] if native_frame is not None else [False]


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone (the daemon's, and analyze's without --tz): Berlin."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def classic(*stamps: str) -> bytes:
    return "".join(f"{stamp} mx postfix/smtpd[1]: connect\n" for stamp in stamps).encode()


def utc(framer: Framer, data: bytes) -> list[str | None]:
    records = framer.frame_chunk(Chunk("x", data, 1, 0))
    return [r.time and r.time.astimezone(UTC).strftime("%H:%M:%S") for r in records]


# The night summer time ends in 2026, as a busy log has it: the hour from 02:00 twice.
FALL_BACK = (
    "Oct 25 01:59:59",
    "Oct 25 02:00:00",
    "Oct 25 02:30:00",
    "Oct 25 02:59:59",
    "Oct 25 02:00:00",
    "Oct 25 02:30:00",
    "Oct 25 02:30:00",
    "Oct 25 02:59:59",
    "Oct 25 03:00:00",
)
FALL_BACK_UTC = [
    "23:59:59",
    "00:00:00",
    "00:30:00",
    "00:59:59",
    "01:00:00",
    "01:30:00",
    "01:30:00",
    "01:59:59",
    "02:00:00",
]


@pytest.mark.usefixtures("local_zone")
@pytest.mark.parametrize("native", NATIVE)
def test_an_archive_reads_the_repeated_hour_the_second_time_once_it_went_back(
    native: bool,
) -> None:
    # The same stamp (02:30:00) both times: no cache gives the first reading twice.
    assert utc(Framer(year=2026, native=native), classic(*FALL_BACK)) == FALL_BACK_UTC
    reference = datetime(2026, 10, 26, tzinfo=UTC)  # a file's mtime
    got = utc(Framer(reference=reference, native=native), classic(*FALL_BACK))
    assert got == FALL_BACK_UTC


@pytest.mark.parametrize("native", NATIVE)
def test_a_zone_given_reads_the_repeated_hour_the_same_way(native: bool) -> None:
    framer = Framer(year=2026, tz=BERLIN, native=native)
    assert utc(framer, classic(*FALL_BACK)) == FALL_BACK_UTC


@pytest.mark.usefixtures("local_zone")
def test_a_time_a_little_out_of_order_in_the_first_hour_stays_in_it() -> None:
    stamps = ("Oct 25 02:40:00", "Oct 25 02:38:00", "Oct 25 02:45:00")
    assert utc(Framer(year=2026), classic(*stamps)) == ["00:40:00", "00:38:00", "00:45:00"]


@pytest.mark.usefixtures("local_zone")
def test_dovecot_times_without_a_zone_too() -> None:
    stamps = [f"2026-10-25 {clock}" for clock in ("02:50:00", "02:10:00", "03:05:00")]
    data = "".join(f"{stamp} imap-login: Disconnected\n" for stamp in stamps).encode()
    assert utc(Framer(year=2026), data) == ["00:50:00", "01:10:00", "02:05:00"]


@pytest.mark.usefixtures("local_zone")
@pytest.mark.parametrize(
    ("now", "read"),
    [
        # the first 02:31 (00:31Z): the second reading of 02:30 is still to come
        (datetime(2026, 10, 25, 0, 31, tzinfo=UTC), "00:30:02"),
        # the second 02:31: a line stamped 02:30 was written a minute ago
        (datetime(2026, 10, 25, 1, 31, tzinfo=UTC), "01:30:02"),
        # an hour later, and a clock a minute ahead of ours
        (datetime(2026, 10, 25, 2, 31, tzinfo=UTC), "01:30:02"),
        (datetime(2026, 10, 25, 1, 29, 30, tzinfo=UTC), "01:30:02"),
    ],
)
def test_the_daemon_reads_the_repeated_hour_as_late_as_now_allows(now: datetime, read: str) -> None:
    framer = Framer(split_pasted=False, clock=lambda: now)
    assert utc(framer, classic("Oct 25 02:30:02")) == [read]


@pytest.mark.usefixtures("local_zone")
@pytest.mark.parametrize("native", NATIVE)
def test_a_time_the_clocks_skipped_is_read_with_the_offset_before(native: bool) -> None:
    # 02:00-02:59 on 29 March does not exist: only a clock not put forward writes it.
    stamps = ("Mar 29 01:59:59", "Mar 29 02:30:00", "Mar 29 02:30:00", "Mar 29 02:59:59")
    framer = Framer(year=2026, native=native)
    records = list(framer.frame_chunk(Chunk("x", classic(*stamps), 1, 0)))
    times = [r.time for r in records]
    assert all(t is not None and t.utcoffset() == timedelta(hours=1) for t in times)
    assert [t and t.astimezone(UTC).strftime("%H:%M:%S") for t in times] == [
        "00:59:59",
        "01:30:00",
        "01:30:00",
        "01:59:59",
    ]
    live = Framer(clock=lambda: datetime(2026, 3, 29, 1, 31, tzinfo=UTC))
    assert utc(live, classic("Mar 29 02:30:00")) == ["01:30:00"]


@pytest.mark.parametrize("native", NATIVE)
@pytest.mark.parametrize("given", [False, True])
def test_an_offset_changing_on_the_half_hour_is_exact_within_the_hour(
    native: bool, given: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lord Howe Island: 02:00 -> 02:30 (+10:30 -> +11) on 4 October 2026. The local
    # offset of the first time seen in that hour was the whole hour's.
    monkeypatch.setenv("TZ", "Australia/Lord_Howe")
    time.tzset()
    try:
        zone = ZoneInfo("Australia/Lord_Howe") if given else None
        framer = Framer(year=2026, tz=zone, native=native)
        data = classic("Oct  4 02:15:00", "Oct  4 02:45:00")
        records = framer.frame_chunk(Chunk("x", data, 1, 0))
        offsets = [r.time and r.time.utcoffset() for r in records]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert offsets == [timedelta(hours=10, minutes=30), timedelta(hours=11)]


@pytest.mark.usefixtures("local_zone")
def test_a_chunk_of_the_repeated_hour_is_not_shared_with_another_framer() -> None:
    # events' worker dates such a chunk itself: its readings depend on the entries before
    framer = Framer(reference=datetime(2026, 10, 31, tzinfo=UTC))
    list(framer.frame_chunk(Chunk("x", classic("Oct 24 10:00:00"), 1, 0)))
    assert framer.dates_alike(classic("Oct 24 11:00:00", "Oct 24 12:00:00"))
    assert not framer.dates_alike(classic("Oct 25 01:59:00", "Oct 25 02:00:00"))
    assert framer.dates_alike(classic("Oct 25 03:00:00", "Oct 26 02:00:00"))
