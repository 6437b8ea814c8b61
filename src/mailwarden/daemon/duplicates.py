"""One log entry read from two inputs is acted on once.

On Debian, rsyslog writes every mail line to /var/log/mail.log and to /var/log/syslog
(and, by level, to mail.info, mail.warn, mail.err); with rsyslog running, the journal
holds the same entries too. A daemon told to follow two of them would count every failed
login twice, so that one user's typo weighs as two guesses. `CrossInputDuplicates`
drops the second input's copy, as ``analyze`` does when it merges its inputs.

An entry is another input's copy when it has the same program, pid and message and a
time at most `TOLERANCE` seconds apart: the text of the whole line is not compared,
because the journal's entry and rsyslog's line of it differ in their header (the
journal's time has microseconds, the file's the second rsyslog received it), and two
files may use two timestamp formats. Each input keeps as many copies as it holds: a
line that one input has twice (two identical failures in one second, from one process)
counts twice, however many inputs hold it; a copy is never compared with a line of its
own input (a rotated file is the same input as its successor).

Copies are remembered for `HOLD` seconds after they were read, long enough for
rsyslog to write the other file or the daemon to read it at its next poll; the
daemon feeds the warm-up tail through the same filter, so a line read before a restart
from one file is not counted again when its copy in the other file is read after it.
Entries without a time are always kept (there is nothing to match them by).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from mailwarden.model import Record

TOLERANCE = 5.0
"""Seconds between the times two inputs give one entry (rsyslog's lag behind journald,
a file's whole-second time against the journal's microseconds)."""
HOLD = 30.0
"""Seconds of reading during which a copy is looked for."""

Key = tuple[str | None, int | None, str]


@dataclass
class _Copy:
    at: float
    """The entry's time (POSIX seconds)."""
    source: str
    matched: set[str] = field(default_factory=set)
    """The other inputs whose copy of this entry was dropped."""


class CrossInputDuplicates:
    """Decides, entry by entry, whether another input already gave it (see the module
    doc). Only worth running with two inputs or more."""

    def __init__(
        self,
        *,
        hold: float = HOLD,
        tolerance: float = TOLERANCE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hold = hold
        self.tolerance = tolerance
        self.clock = clock
        self.pairs: set[tuple[str, str]] = set()
        """(kept input, dropped input) of every copy dropped: what the log says once."""
        self._copies: dict[Key, list[_Copy]] = {}
        self._order: deque[tuple[float, Key]] = deque()

    def first(self, record: Record) -> bool:
        """True when `record` is to be acted on; False when it is another input's copy
        of an entry already acted on (its pair of inputs noted in `pairs`)."""
        if record.time is None:
            return True
        now = self.clock()
        self._forget(now)
        key = (record.program, record.pid, record.message)
        at = record.time.timestamp()
        source = record.source
        copies = self._copies.get(key)
        if copies is None:
            copies = self._copies[key] = []
        else:
            for copy in copies:
                if (
                    copy.source != source
                    and source not in copy.matched
                    and abs(copy.at - at) <= self.tolerance
                ):
                    copy.matched.add(source)
                    self.pairs.add((copy.source, source))
                    return False
        copies.append(_Copy(at, source))
        self._order.append((now, key))
        return True

    def __len__(self) -> int:
        """Copies remembered now."""
        return len(self._order)

    def _forget(self, now: float) -> None:
        order = self._order
        limit = now - self.hold
        while order and order[0][0] < limit:
            _, key = order.popleft()
            copies = self._copies[key]
            copies.pop(0)  # the oldest copy of this key is the one queued first
            if not copies:
                del self._copies[key]
