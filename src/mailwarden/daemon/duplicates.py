"""One log entry read from two inputs is acted on once.

On Debian, rsyslog writes every mail line to /var/log/mail.log and to /var/log/syslog
(and, by level, to mail.info, mail.warn, mail.err); with rsyslog running, the journal
holds the same entries too. A daemon told to follow two of them would count every failed
login twice, so that one user's typo weighs as two guesses. `CrossInputDuplicates`
drops the second input's copy, as ``analyze`` does when it merges its inputs.

An entry is another input's copy when it has the same program and message, a time at
most `TOLERANCE` seconds apart, and the same pid when both copies have one: the text of
the whole line is not compared, because the journal's entry and rsyslog's line of it
differ in their header (the journal's time has microseconds, the file's the second
rsyslog received it), and two files may use two timestamp formats. A pid that one copy
lacks is not compared: Dovecot logs to syslog without one (``dovecot: imap-login: …``),
and journald, which forwards the datagram to rsyslog as it came, gives its own copy the
sender's ``_PID``; every failed login of Dovecot counted twice with mail.log and the
journal followed. Where both copies have a pid, two processes that log the same text
(two smtpd processes, one failure each) are two entries. Each input keeps as many copies
as it holds: a line that one input has twice (two identical failures in one second, from
one process) counts twice, however many inputs hold it; a copy is never compared with a
line of its own input (a rotated file is the same input as its successor).

A copy is looked for until every other input has given it, or has gone past it: its
last entry is more than `PASSED` seconds of log time later (each input gives its
entries in the order they were logged, give or take its own small disorder). The other
input may come late by any length of reading time: rsyslog with imjournal restarted
replays the journal from its state file, and a followed file that could not be read for
a while is read on where it stopped; with a rule of reading time (30 s, before) the
replayed entries counted a second time, and a user was banned for typos. A copy is kept
at least `HOLD` seconds of reading however the logs' times go (a clock set back), and
at most `LIMIT` copies are kept: the oldest goes first (two inputs that hold different
entries, mail.log and auth.log, keep each other's until the other writes on). The
daemon feeds the warm-up tail through the same filter, so a line read before a restart
from one file is not counted again when its copy in the other file is read after it.
Entries without a time are always kept (there is nothing to match them by).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailwarden.model import Record

TOLERANCE = 5.0
"""Seconds between the times two inputs give one entry (rsyslog's lag behind journald,
a file's whole-second time against the journal's microseconds)."""
HOLD = 30.0
"""Seconds of reading during which a copy is always looked for."""
PASSED = 30.0
"""Seconds of log time an input's last entry is past a copy's time when it will not
give that copy any more."""
LIMIT = 20_000
"""Copies remembered at most (the oldest read is forgotten first)."""

Key = tuple[str | None, str]
_GONE: Key = (None, "")


@dataclass(slots=True)
class _Copy:
    key: Key
    at: float
    """The entry's time (POSIX seconds)."""
    pid: int | None
    source: str
    read: float
    """When it was read (the filter's clock)."""
    matched: frozenset[str] = frozenset()
    """The other inputs whose copy of this entry was dropped."""
    live: bool = True
    """Still looked for (not yet given by every other input, nor forgotten)."""


class CrossInputDuplicates:
    """Decides, entry by entry, whether another input already gave it (see the module
    doc). Only worth running with two inputs or more: ``inputs`` are their sources
    (the paths as configured, ``journal``); an input not named is known from its first
    entry on."""

    def __init__(
        self,
        inputs: Iterable[str] = (),
        *,
        hold: float = HOLD,
        passed: float = PASSED,
        limit: int = LIMIT,
        tolerance: float = TOLERANCE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.hold = hold
        self.passed = passed
        self.limit = limit
        self.tolerance = tolerance
        self.clock = clock or time.monotonic
        """Reading time (`HOLD`): time.monotonic as it is when the filter is made."""
        self.pairs: set[tuple[str, str]] = set()
        """(kept input, dropped input) of every copy dropped: what the log says once."""
        self._last: dict[str, float | None] = dict.fromkeys(inputs)
        """Input -> the time of its last timed entry (None: none yet)."""
        self._copies: dict[Key, list[_Copy]] = {}
        self._order: deque[_Copy] = deque()
        self._live = 0

    def first(self, record: Record) -> bool:
        """True when `record` is to be acted on; False when it is another input's copy
        of an entry already acted on (its pair of inputs noted in `pairs`)."""
        if record.time is None:
            return True
        at = record.time.timestamp()
        source = record.source
        self._last[source] = at
        now = self.clock()
        self._forget(now)
        key = (record.program, record.message)
        copies = self._copies.get(key)
        if copies is None:
            copies = self._copies[key] = []
        else:
            pid = record.pid
            found: _Copy | None = None
            for copy in copies:
                if (
                    copy.source != source
                    and source not in copy.matched
                    and abs(copy.at - at) <= self.tolerance
                ):
                    if copy.pid == pid:
                        found = copy
                        break
                    if found is None and (copy.pid is None or pid is None):
                        found = copy  # unless a copy with this very pid is there
            if found is not None:
                found.matched |= {source}
                self.pairs.add((found.source, source))
                if not self._pending(found):
                    self._drop(found, copies)
                return False
        copy = _Copy(key, at, record.pid, source, now)
        copies.append(copy)
        self._order.append(copy)
        self._live += 1
        return True

    def __len__(self) -> int:
        """Copies remembered now."""
        return self._live

    def _pending(self, copy: _Copy) -> list[str]:
        """The inputs that may still give ``copy``."""
        return [name for name in self._last if name != copy.source and name not in copy.matched]

    def _drop(self, copy: _Copy, copies: list[_Copy] | None = None) -> None:
        if not copy.live:
            return
        copy.live = False
        self._live -= 1
        if copies is None:
            copies = self._copies[copy.key]
        for n, each in enumerate(copies):
            if each is copy:
                del copies[n]
                break
        if not copies:
            del self._copies[copy.key]
        copy.key = _GONE  # its message is not kept alive by the queue

    def _forget(self, now: float) -> None:
        order = self._order
        while order:
            copy = order[0]
            if copy.live and len(order) < self.limit:
                if now - copy.read < self.hold:
                    return
                limit = copy.at + self.passed
                for name in self._pending(copy):
                    last = self._last[name]
                    if last is None or last <= limit:
                        return
            order.popleft()
            self._drop(copy)
