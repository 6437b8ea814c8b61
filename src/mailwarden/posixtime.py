"""POSIX seconds of a log's times: the float ``datetime.timestamp()`` gives, cheaper.

The reading orders a log's times by it and the worker of ``mailwarden analyze`` sends
them as it (:mod:`mailwarden.scan`, :mod:`mailwarden.scanpool`); the detector's sessions
count in it (:meth:`mailwarden.detect.sessions.SessionTracker.seconds`). One place for
all of them, so they cannot come to differ.

Decisions:
- A fixed-offset zone (``datetime.timezone``: what the reader gives a log's times) takes
  the difference from the epoch in that very zone object. Two times of one tzinfo object
  subtract without calling ``utcoffset``, and the timedelta is the one ``timestamp``
  computes (the same timedelta: the same float); ``timestamp`` calls ``utcoffset``
  twice, a few times slower than the subtraction. The reader's local zone is
  ``timezone(timedelta(0), 'UTC')``, not the shared ``timezone.utc`` that ``timestamp``
  subtracts without them. Any other tzinfo (zoneinfo, with its folds and gaps), or
  none, goes through ``timestamp()`` itself.
- A :class:`PosixClock` keeps the last time's zone and its epoch: a run of times in one
  zone costs one identity check and a subtraction each. A change of zone (inputs merged
  by time alternate) finds the zone's epoch in a module-wide table by the zone's id.
- Compiled with the hot path (mailwarden.native.COMPILED): the callers are compiled
  modules, and a call into a pure-Python module would cost them more than it saves.
  It imports nothing of mailwarden's, so anything may import it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone, tzinfo
from typing import Final

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_epochs: dict[int, tuple[tzinfo, datetime]] = {}
"""The epoch in each fixed-offset zone met, by the zone's id (with the zone itself, which
keeps the id from being reused while it is here)."""
MAX_ZONES: Final = 256
"""More zones than this (a log holds one or two) empty :data:`_epochs`."""


def posix_epoch(zone: tzinfo | None) -> datetime | None:
    """The POSIX epoch in ``zone`` when it is a fixed offset (a ``datetime.timezone``),
    its own object as the tzinfo; None for any other zone, or none."""
    if zone.__class__ is not timezone:
        return None
    known = _epochs.get(id(zone))
    if known is None or known[0] is not zone:
        if len(_epochs) > MAX_ZONES:
            _epochs.clear()
        assert zone is not None
        known = _epochs[id(zone)] = (zone, _EPOCH.astimezone(zone))
    return known[1]


class PosixClock:
    """``time.timestamp()`` for one reader of times: the same float, a few times cheaper
    for a fixed-offset zone. It keeps the last time's zone and that zone's epoch, so that
    a run of times in one zone costs a subtraction each (the detector's sessions keep
    one; the reading shares :data:`_CLOCK`)."""

    def __init__(self) -> None:
        self._last: tuple[tzinfo | None, datetime | None] = (None, None)
        """The last time's zone and :func:`posix_epoch` of it: one value, so a second
        thread never sees the zone of one and the epoch of another."""

    def seconds(self, time: datetime) -> float:
        """``time.timestamp()``."""
        zone = time.tzinfo
        last = self._last
        if last[0] is not zone:
            last = self._last = (zone, posix_epoch(zone))
        epoch = last[1]
        if epoch is None:
            return time.timestamp()
        return (time - epoch).total_seconds()


_CLOCK: Final = PosixClock()


def posix_seconds(time: datetime) -> float:
    """``time.timestamp()``: the same float, a few times cheaper for a fixed-offset
    zone."""
    return _CLOCK.seconds(time)
