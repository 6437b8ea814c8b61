"""POSIX seconds of a log time (mailwarden.scan.posix_seconds), which the reading orders
and the worker of `mailwarden analyze` sends times by: the floats timestamp() gives."""

from __future__ import annotations


def test_posix_seconds_is_timestamp_for_every_zone() -> None:
    """The cheaper POSIX seconds the reading orders and sends times by are the very
    floats ``timestamp()`` gives, in every kind of zone the reader makes."""
    import random
    from datetime import UTC, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from mailwarden.scan import posix_seconds

    zones = [
        UTC,
        timezone(timedelta(0), "UTC"),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=9, minutes=45, seconds=17)),
        ZoneInfo("Europe/Berlin"),
    ]
    pick = random.Random(7)
    for _ in range(20_000):
        zone = pick.choice(zones)
        moment = datetime(1900, 1, 2, tzinfo=zone) + timedelta(
            seconds=pick.randrange(0, 300 * 366 * 86400), microseconds=pick.randrange(10**6)
        )
        moment = moment.replace(fold=pick.randrange(2))
        assert posix_seconds(moment) == moment.timestamp(), moment
