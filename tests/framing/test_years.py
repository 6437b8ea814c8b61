"""Dates without a year, zones, and the timestamp cache."""

from __future__ import annotations

import calendar
import gzip
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailwarden.framing import Framer, last_classic_stamp
from mailwarden.pipeline import last_stamp
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


def test_a_file_copied_without_its_mtime_runs_forward_to_a_day_past_it() -> None:
    # last year's Nov 28-30 copied on Nov 28 (scp, no -p): its last stamp, a day and
    # more past the mtime, makes the whole file last year's. Each entry was dated on its
    # own before: Nov 28 this year, then Nov 30 last year.
    mtime = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    stamps = ("Nov 28 06:00:00", "Nov 29 12:00:00", "Nov 30 10:00:00")
    for native in (False, True):
        framer = Framer(reference=mtime, last="Nov 30 10:00:00", tz=UTC, native=native)
        got = times(framer, *stamps)
        assert [t and t.date().isoformat() for t in got] == [
            "2025-11-28",
            "2025-11-29",
            "2025-11-30",
        ]


def test_without_its_last_stamp_a_file_runs_forward_to_a_day_past_its_reference() -> None:
    # a compressed file, standard input: the first entry is dated as each entry was (no
    # more than a day after the reference), the rest go on from it, but never to more
    # than a day after the reference: those go back a year, as each entry did. (They
    # went on to 2026-11-30, 35 hours after the mtime.)
    mtime = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    stamps = ("Nov 28 06:00:00", "Nov 29 12:00:00", "Nov 30 10:00:00")
    for native in (False, True):
        got = times(Framer(reference=mtime, tz=UTC, native=native), *stamps)
        assert [t and t.date().isoformat() for t in got] == [
            "2026-11-28",
            "2026-11-29",
            "2025-11-30",
        ]


JOURNAL = ("Nov 20 10:00:00", "Dec 20 10:00:00", "Jan 20 10:00:00", "Jun 20 10:00:00")
"""A year of a journal dump (journalctl -o short, zcat of a yearly archive): Nov 20 to
Nov 28 the year after."""


def test_an_input_spanning_a_year_is_never_dated_a_day_past_its_reference() -> None:
    # Standard input read on Nov 29 2026, or a compressed file: no last stamp. It went
    # on from its first entry's year to 2026-12-20 ... 2027-11-28, a year ahead: at
    # December it goes back a year, as each entry did, and runs forward from there.
    now = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    for native in (False, True):
        got = times(Framer(reference=now, tz=UTC, native=native), *JOURNAL, "Nov 28 10:00:00")
        assert [t and t.date().isoformat() for t in got] == [
            "2026-11-20",  # as before 477fa2a: nothing says it is last year's
            "2025-12-20",
            "2026-01-20",
            "2026-06-20",
            "2026-11-28",
        ]
        # a plain file, its last stamp later in the year than its first: the same
        framer = Framer(reference=now, last="Nov 28 10:00:00", tz=UTC, native=native)
        later = times(framer, *JOURNAL, "Nov 28 10:00:00")
        assert later == got


def test_a_yearly_log_ending_a_little_earlier_in_the_year_than_it_began() -> None:
    # logrotate's yearly mail.log.1: rotated on Jan 1 2025 at 06:25:02 and on Jan 1 2026
    # at 06:25:02 (its mtime). Its end, earlier in the year than its start, is in the
    # next year: the first entry, dated in the mtime's year, would be after the mtime.
    # It said 2026-01-01, 2026-03-20 (a year ahead), then went back to 2025-12-31. A
    # sparse input (grep) goes on from March to December in the same year: December
    # is no straggler from the year before when it can be in this one.
    mtime = datetime(2026, 1, 1, 6, 25, 2, tzinfo=UTC)
    stamps = ("Jan  1 06:25:03", "Mar 20 10:00:00", "Dec 31 23:59:00", "Jan  1 06:25:01")
    for native in (False, True):
        framer = Framer(reference=mtime, last="Jan  1 06:25:01", tz=UTC, native=native)
        got = times(framer, *stamps)
        assert [t and t.isoformat(" ", "seconds") for t in got] == [
            "2025-01-01 06:25:03+00:00",
            "2025-03-20 10:00:00+00:00",
            "2025-12-31 23:59:00+00:00",
            "2026-01-01 06:25:01+00:00",
        ]
        # compressed (no last stamp): the first entry is the mtime's year, the rest
        # no more than a day after it
        got = times(Framer(reference=mtime, tz=UTC, native=native), *stamps)
        assert [t and t.date().isoformat() for t in got] == [
            "2026-01-01",
            "2025-03-20",
            "2025-12-31",
            "2026-01-01",
        ]


def test_an_end_a_little_earlier_than_the_start_before_the_reference_is_disorder() -> None:
    # lines seconds out of order at the ends of a short file, written before its mtime:
    # not a year's log (its first entry is before the mtime), all this year's
    mtime = datetime(2026, 11, 28, 10, 1, tzinfo=UTC)
    framer = Framer(reference=mtime, last="Nov 28 10:00:03", tz=UTC)
    got = times(framer, "Nov 28 10:00:05", "Nov 28 10:00:04", "Nov 28 10:00:03")
    assert {t and t.year for t in got} == {2026}


def test_a_file_across_new_year_is_in_both_years() -> None:
    mtime = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    stamps = ("Dec 31 23:59:00", "Jan  1 00:00:30", "Dec 31 23:59:59", "Jan  1 00:01:00")
    for last in (None, "Jan  1 00:01:00"):
        for native in (False, True):
            framer = Framer(reference=mtime, last=last, tz=UTC, native=native)
            got = times(framer, *stamps)  # a straggler from December stays in its year
            assert [t and t.year for t in got] == [2026, 2027, 2026, 2027]


def test_a_last_stamp_before_the_first_is_a_year_on_only_after_new_year() -> None:
    mtime = datetime(2026, 3, 10, tzinfo=UTC)
    # the newest week first (cat mail.log mail.log.1): the end is not in the next year
    [first] = times(Framer(reference=mtime, last="Feb 23 10:00:00", tz=UTC), "Mar  2 10:00:00")
    assert first == datetime(2026, 3, 2, 10, tzinfo=UTC)
    # November to February: the end is in the next year, the start in the one before
    [first] = times(Framer(reference=mtime, last="Feb 23 10:00:00", tz=UTC), "Nov  2 10:00:00")
    assert first == datetime(2025, 11, 2, 10, tzinfo=UTC)


def test_a_file_dated_by_its_mtime_forgets_its_cached_stamps_at_new_year() -> None:
    # two Junes, a year apart, framed in C (which looks cached stamps up itself): the
    # second is a year after the first, as with --year. (A year's log rotated on Jun 1
    # at 09:59:30: its end, earlier in the year than its start, is in the next year.)
    mtime = datetime(2026, 6, 1, 9, 59, 30, tzinfo=UTC)
    stamps = ("Jun  1 10:00:00", "Dec 31 10:00:00", "Jan  1 10:00:00", "Jun  1 10:00:00")
    for native in (False, True):
        framer = Framer(reference=mtime, last="Jun  1 09:59:00", tz=UTC, native=native)
        got = times(framer, *stamps)
        assert [t and t.year for t in got] == [2025, 2025, 2026, 2026]


def test_going_back_a_year_forgets_the_cached_stamps() -> None:
    # past the limit (a day after the reference) the dates go back a year, and a stamp
    # seen before is dated afresh from there, as the events worker's other process,
    # told where the dating stands, does
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    stamps = ("Nov 30 10:00:00", "Nov 30 13:00:00", "Nov 30 10:00:00")
    for native in (False, True):
        got = times(Framer(reference=now, tz=UTC, native=native), *stamps)
        assert [t and t.year for t in got] == [2026, 2025, 2025]


def test_a_month_seen_again_a_year_on_is_dated_afresh() -> None:
    # the first Jan 1 06:25 is cached (by its minute): seen again after December, with
    # no new minute of January before it, it is a year on (it was dated from the cache,
    # a year back). The cache is forgotten at each new month.
    stamps = ("Jan  1 06:25:03", "Jun  1 10:00:00", "Dec  1 10:00:00", "Jan  1 06:25:04")
    for native in (False, True):
        got = times(Framer(year=2025, tz=UTC, native=native), *stamps)
        assert [t and t.year for t in got] == [2025, 2025, 2025, 2026]


def test_the_last_classic_stamp_of_a_files_end(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    line = "Nov 28 06:00:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
    log.write_text(line * 1000 + line.replace("28 06", "30 10") + "a line with no stamp\n")
    assert last_stamp(str(log)) == "Nov 30 10:00:00"
    packed = tmp_path / "mail.log.1.gz"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    assert last_stamp(str(packed)) is None  # not decompressed to its end
    assert last_stamp("-") is None
    iso = tmp_path / "iso.log"
    iso.write_text("2026-11-30T10:00:00Z mx postfix/smtpd[1]: connect\n")
    assert last_stamp(str(iso)) is None
    # a line cut by the start of the tail is not taken for one that starts there
    assert last_classic_stamp(b"Nov 30 10:00:00 mx a: b\n") == "Nov 30 10:00:00"
    assert last_classic_stamp(b"x Nov 30 10:00:00 mx a: b\n") is None


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


def test_given_year_an_entry_months_ahead_is_later_in_the_same_year() -> None:
    # a sparse input (grep IP mail.log): it was a straggler from the year before
    stamps = ("Mar  1 10:00:00", "Oct 21 10:00:00", "Oct 22 10:00:00", "Jan  2 10:00:00")
    for native in (False, True):
        got = times(Framer(year=2026, tz=UTC, native=native), *stamps)
        assert [t and t.date().isoformat() for t in got] == [
            "2026-03-01",
            "2026-10-21",
            "2026-10-22",
            "2027-01-02",
        ]


def test_an_entry_goes_back_a_year_a_month_at_most_before_the_latest_day_dated() -> None:
    # Dec 29 before Jan 1 (a straggler), Dec 20 after Jan 2 and Dec 26 after Jan 6 (cat
    # mail.log mail.log.1): in the year before, and January after them back in its own
    # year; December after the end of January, or after February, is of the same year
    # (a sparse input)
    cases = {
        ("Jan  1 00:00:01", "Dec 29 23:00:00"): [2026, 2025],
        ("Jan  3 00:00:01", "Dec 31 23:59:59"): [2026, 2025],
        ("Jan  4 00:00:01", "Dec 31 23:59:59"): [2026, 2025],
        ("Jan  2 10:00:00", "Dec 20 10:00:00"): [2026, 2025],
        ("Jan  1 10:00:00", "Jan  5 10:00:00", "Dec 31 10:00:00"): [2026, 2026, 2025],
        (
            "Jan  2 10:00:00",
            "Jan  6 10:00:00",
            "Dec 26 10:00:00",
            "Dec 30 10:00:00",
            "Jan  6 11:00:00",
        ): [2026, 2026, 2025, 2025, 2026],
        ("Jan 31 10:00:00", "Dec 31 10:00:00"): [2026, 2025],
        ("Jan 31 10:00:00", "Dec 30 10:00:00"): [2026, 2026],
        ("Feb 15 10:00:00", "Dec 20 10:00:00"): [2026, 2026],
    }
    for stamps, years in cases.items():
        for native in (False, True):
            got = times(Framer(year=2026, tz=UTC, native=native), *stamps)
            assert [t and t.year for t in got] == years, stamps
