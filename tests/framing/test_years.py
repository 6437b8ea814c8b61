"""Dates without a year, zones, and the timestamp cache."""

from __future__ import annotations

import calendar
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailwarden.framing import Framer
from mailwarden.sources.interface import Chunk

PLUS1 = timezone(timedelta(hours=1))


def times(framer: Framer, *stamps: str) -> list[datetime | None]:
    data = "".join(f"{stamp} mx postfix/smtpd[1]: connect\n" for stamp in stamps).encode()
    return [r.time for r in framer.frame_chunk(Chunk("x", data, 1, 0))]


def test_given_year_moves_on_at_new_year() -> None:
    got = times(Framer(year=2025, tz=UTC), "Dec 31 23:59:59", "Jan  1 00:00:01", "Feb  1 00:00:00")
    assert [t.year for t in got if t] == [2025, 2026, 2026]


def test_given_year_keeps_a_late_straggler_in_the_old_year() -> None:
    got = times(Framer(year=2025, tz=UTC), "Dec 31 23:59:58", "Jan  1 00:00:01", "Dec 31 23:59:59")
    assert [t.year for t in got if t] == [2025, 2026, 2025]


def test_reference_puts_future_dates_in_the_previous_year() -> None:
    mtime = datetime(2026, 1, 2, 8, 0, tzinfo=UTC)  # a file rotated early in January
    got = times(
        Framer(reference=mtime, tz=UTC), "Dec 30 10:00:00", "Jan  2 07:59:00", "Jan  3 07:00:00"
    )
    assert [(t.year, t.month) for t in got if t] == [(2025, 12), (2026, 1), (2026, 1)]


def test_without_year_or_reference_the_current_date_decides() -> None:
    now = datetime.now(UTC)
    ahead = now + timedelta(days=3)
    [past, future] = times(
        Framer(tz=UTC), now.strftime("%b %d %H:%M:%S"), ahead.strftime("%b %d %H:%M:%S")
    )
    assert past is not None and abs(past - now) < timedelta(seconds=2)
    # last year's (Feb 29, three days ahead in a leap year: the leap year before)
    year = ahead.year - 1
    while (ahead.month, ahead.day) == (2, 29) and not calendar.isleap(year):
        year -= 1
    assert future is not None and future.year == year


def test_february_29_finds_a_leap_year() -> None:
    [t] = times(Framer(reference=datetime(2027, 3, 1, tzinfo=UTC), tz=UTC), "Feb 29 12:00:00")
    assert t == datetime(2024, 2, 29, 12, tzinfo=UTC)


def test_impossible_date_gives_no_time_but_keeps_the_entry() -> None:
    framer = Framer(year=2026)
    [record] = framer.frame_line("Feb 31 12:00:00 mx postfix/smtpd[1]: connect", "x", 1, 0)
    assert record.time is None and record.program == "postfix/smtpd" and record.message == "connect"


@pytest.mark.parametrize("fraction", ["", ".123456"])
def test_impossible_zone_gives_no_time_rather_than_another_zone(fraction: str) -> None:
    stamps = [f"2026-02-23T11:57:42{fraction}{zone}" for zone in ("+99:99", "+01:99", "-0160")]
    assert times(Framer(tz=PLUS1), *stamps) == [None, None, None]
    good = times(Framer(tz=PLUS1), f"2026-02-23T11:57:42{fraction}Z", "2026-02-23T11:57:42-0130")
    assert [t and t.utcoffset() for t in good] == [timedelta(0), -timedelta(hours=1, minutes=30)]


def test_naive_times_are_taken_in_the_given_zone() -> None:
    [t] = times(Framer(year=2026, tz=PLUS1), "Feb 23 11:57:42")
    assert t is not None and t.utcoffset() == timedelta(hours=1)
    assert t.astimezone(UTC).hour == 10


@pytest.mark.skipif(not os.path.exists("/usr/share/zoneinfo/Europe/Berlin"), reason="no tzdata")
def test_local_zone_follows_dst_for_each_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        winter, summer = times(Framer(year=2026), "Feb 23 11:57:42", "Jul 23 11:57:42")
        assert winter is not None and winter.utcoffset() == timedelta(hours=1)
        assert summer is not None and summer.utcoffset() == timedelta(hours=2)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.skipif(not os.path.exists("/usr/share/zoneinfo/Europe/Berlin"), reason="no tzdata")
def test_local_times_around_dst_changes_match_the_c_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        for day in (datetime(2026, 3, 29), datetime(2026, 10, 25)):
            stamps = [day + timedelta(minutes=7 * n) for n in range(40)]
            # 02:00-02:59 on the spring day does not exist: no log line carries it.
            stamps = [t for t in stamps if not (t.month == 3 and t.hour == 2)]
            got = times(Framer(year=2026), *(t.strftime("%b %d %H:%M:%S") for t in stamps))
            assert got == [t.astimezone() for t in stamps]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_repeated_and_fractional_stamps() -> None:
    framer = Framer(year=2026, tz=UTC)
    a, b, c = times(framer, "Feb 23 11:57:42", "Feb 23 11:57:42", "Feb 23 11:57:42.5")
    assert a == b and c is not None and a is not None
    assert c - a == timedelta(milliseconds=500)


def test_padding_styles_mean_the_same_day() -> None:
    framer = Framer(year=2026, tz=UTC)
    assert len(set(times(framer, "Feb  3 01:02:03", "Feb 03 01:02:03", "Feb 3 01:02:03"))) == 1
