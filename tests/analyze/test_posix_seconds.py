"""POSIX seconds of a log time (mailwarden.posixtime.posix_seconds), which the reading
orders and the worker of `mailwarden analyze` sends times by, and the detector's sessions
count in (SessionTracker.seconds): the floats timestamp() gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from mailwarden.detect.sessions import SessionTracker
from mailwarden.model import Category, Event, EventType, Record
from mailwarden.posixtime import posix_seconds

BERLIN = ZoneInfo("Europe/Berlin")
ZONES: list[tzinfo] = [
    UTC,
    timezone(timedelta(0), "UTC"),  # the reader's local UTC: not the shared timezone.utc
    timezone(timedelta(hours=8)),
    timezone(-timedelta(hours=3, minutes=30)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(-timedelta(hours=9, minutes=45, seconds=17)),
    BERLIN,
]


def moments() -> list[datetime]:
    """Times in every zone: random ones over three centuries, Berlin's hours around both
    summer-time changes of 2024 (the gap and the repeated hour, both folds), the same
    wall times in the fixed offsets, and naive ones (the machine's local time)."""
    pick = random.Random(7)
    found = []
    for _ in range(20_000):
        moment = datetime(1900, 1, 2, tzinfo=pick.choice(ZONES)) + timedelta(
            seconds=pick.randrange(0, 300 * 366 * 86400), microseconds=pick.randrange(10**6)
        )
        found.append(moment.replace(fold=pick.randrange(2)))
    for change in (datetime(2024, 3, 31, 1, 30), datetime(2024, 10, 27, 1, 30)):
        for minutes in range(0, 150, 15):
            wall = change + timedelta(minutes=minutes, microseconds=123_457)
            for fold in (0, 1):
                found += [wall.replace(tzinfo=zone, fold=fold) for zone in ZONES]
                found.append(wall.replace(fold=fold))  # naive
    return found


def test_posix_seconds_is_timestamp_for_every_zone() -> None:
    """The cheaper POSIX seconds the reading orders and sends times by are the very
    floats ``timestamp()`` gives, in every kind of zone the reader makes."""
    for moment in moments():
        assert posix_seconds(moment) == moment.timestamp(), moment


def test_the_sessions_count_in_the_same_seconds() -> None:
    """The detector's sessions take an event's time as the same float, whichever zone
    the events before it had (the tracker keeps the last time it saw)."""
    tracker = SessionTracker()
    for moment in moments()[::7]:
        record = Record(moment, None, "postfix/smtpd", 1, "", "mail.log", 1, 0, "")
        event = Event(
            EventType.CONNECT, Category.SESSION, False, None, "192.0.2.1", None, None, None,
            None, record,
        )  # fmt: skip
        assert tracker.seconds(event) == moment.timestamp(), moment
        assert tracker.seconds(event) == moment.timestamp(), moment
