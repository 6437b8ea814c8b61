"""The first start's look-back: the owners' logins of the last ``stale_window`` recalled
from the rotated logs, once (see `owners`).

A daemon that has never recorded an owner's login knows only those of its warm-up tail
(a day): a phone failing on Monday morning at an office whose people last logged in on
Friday would be taken for a guesser, although the logs of the last 30 days show the
owners logging in from there. So at its first start the daemon reads back its sources:

- Files: each followed file and its rotated siblings (``mail.log.1``, ``mail.log.2.gz``,
  ``mail.log-20261128.bz2``: `reading.ROTATED_SUFFIX`), plain or compressed (gzip,
  bzip2, xz: `mailwarden.sources.files`), regular files only, each once (a link or a
  second name is read once), the daemon's other followed paths never as a rotated file.
  A file last written before ``stale_window`` is not opened, nor one that cannot be read
  (zstd, no permission). They are chosen newest first, until `RECALL_BYTES` of log text
  (decompressed: a compressed file's size is had by decompressing it without parsing)
  would be passed; the older ones are left out, and the log says how many. A followed
  (live) file bigger than its share (`live_share`: half of `RECALL_BYTES`, shared by the
  followed files, when rotated files of the window wait) is read for its last share
  only, so that however big the live log, the rotated files of the window are read
  too; a plain rotated file that does not fit whole is read for its last bytes that
  fit (a compressed one is left out). In all, at most `RECALL_BYTES` of text are read
  (and as much decompressed to learn the compressed files' sizes). The chosen ones are
  read oldest first, each rotated set in order and the sets merged by time
  (`mailwarden.scan`, without a worker process), the entries older than
  ``stale_window`` skipped. A file that went away between the choice and the reading (a
  rotation at boot) makes it choose and read again (at most `ATTEMPTS` times).
- The journal: its mail system's entries (`journal.JournalTrust`: what any local user
  could have written is left out) of the ``stale_window`` before the point where the
  follower starts, at most the newest `RECALL_ENTRIES` (`journal.warmup`).

Everything read goes through the parsers and a detector of its own (never the live one,
and nothing it concludes is acted on): only the logins it judges an owner's count
(`Detector.on_owner`), so an intruder's login after guessing makes its address no
owner, as in ``analyze --since``'s look-back. A line is never split at a header-like text
in it (the daemon's framing). No shell and no program other than journalctl (with an
argument list) is run. A stop request is honoured between two pieces of at most a MiB
(and between two files while their sizes are found).
"""

from __future__ import annotations

import logging
import os
import stat
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mailwarden.daemon.journal import JournalTrust
from mailwarden.daemon.journal import warmup as journal_warmup
from mailwarden.daemon.reading import ROTATED_SUFFIX
from mailwarden.detect import Detector
from mailwarden.errors import MailwardenError
from mailwarden.framing import Framer
from mailwarden.model import IPNetwork
from mailwarden.parsers import parse
from mailwarden.pipeline import Counts, ReadOptions
from mailwarden.sources.files import compression, rotation_key, unpacked
from mailwarden.sources.follow import open_regular, sibling_suffix, siblings
from mailwarden.sources.interface import ReadStats

LOG = logging.getLogger("mailwarden.daemon")

RECALL_BYTES = 128 << 20
"""The most log text (decompressed) the first start reads back for the owners' logins,
all files together: about 10 s on 2 cores for a log under heavy guessing, less for an
ordinary one. A server that writes more than this in ``stale_window`` has its most
recent files read."""
RECALL_ENTRIES = 250_000
"""The most journal entries the first start reads back (the newest of the window)."""


ATTEMPTS = 3
"""How often the files are chosen and read again when one of them went away meanwhile (a
rotation during the look-back: the oldest deleted, the others renamed)."""


class Stopped(Exception):
    """A stop request came during the look-back."""


@dataclass
class Recalled:
    """What the look-back found."""

    logins: OrderedDict[tuple[IPNetwork, str], float] = field(default_factory=OrderedDict)
    """(owners' network, account) -> its latest login (seconds since the epoch), the
    least recent first."""
    files: list[str] = field(default_factory=list)
    """The files read, oldest first."""
    left_out: int = 0
    """Files of the window not read: more than `RECALL_BYTES` in all."""
    journal: bool = False
    """The journal gave entries of the window."""
    stopped: bool = False
    """A stop request ended the look-back (what it found is not to be used)."""
    limit: int = RECALL_BYTES
    """The most text the files could give."""
    partly: dict[str, int] = field(default_factory=dict)
    """The files read from an offset to their end only (`choose`)."""
    problems: list[str] = field(default_factory=list)
    """What could not be read (a damaged archive, a file gone meanwhile)."""


class _Logins:
    """The owners' logins a recall detector tells of, at most ``cap`` (the most recent)."""

    def __init__(self, found: Recalled, network: Callable[[str], IPNetwork | None], cap: int):
        self.found = found
        self.network = network
        self.cap = max(1, cap)

    def __call__(self, ip: str, account: str, when: float, previous: float | None) -> None:
        if when <= 0:
            return  # no time in the log
        network = self.network(ip)
        if network is None:
            return
        logins = self.found.logins
        key = (network, account)
        last = logins.pop(key, None)
        logins[key] = max(when, last) if last is not None else when
        if len(logins) > self.cap:
            logins.popitem(last=False)


class _Full(Exception):
    """The files read back came to twice their limit (they grew meanwhile)."""


class _Budget:
    """The scan's progress: raises `Stopped` on a stop request (checked at every piece
    of at most a MiB), and `_Full` past twice the limit (the files were chosen to fit
    it: only files that grew a lot meanwhile reach that)."""

    def __init__(self, stop: Callable[[], bool], limit: int) -> None:
        self.stop = stop
        self.left = 2 * limit

    def start(self, source: str) -> None:
        if self.stop():
            raise Stopped

    def advance(self, source: str, size: int, lines: int) -> None:
        self.left -= size
        if self.stop():
            raise Stopped
        if self.left < 0:
            raise _Full

    def finish(self, source: str) -> None:
        pass


def recall(
    paths: Sequence[str],
    window: timedelta,
    detector: Callable[[], Detector],
    stop: Callable[[], bool],
    *,
    journal: tuple[str, JournalTrust, Sequence[str], str] | None = None,
    cap: int = 200_000,
    limit: int | None = None,
    entries: int = RECALL_ENTRIES,
    now: datetime | None = None,
) -> Recalled:
    """The owners' logins of the last ``window`` in the followed ``paths`` and their
    rotated files (at most ``limit`` bytes of text, default `RECALL_BYTES`) and, with
    ``journal`` (the cursor where the follower starts, the trust, the matches, the
    journalctl), the journal.
    ``detector()`` builds a fresh detector (one per kind of source: the files, the
    journal); ``stop()`` says whether to stop (then ``stopped``). At most ``cap``
    logins are kept, the most recent."""
    now = now or datetime.now(UTC)
    limit = RECALL_BYTES if limit is None else limit
    found = Recalled(limit=limit)
    since = now - window  # at most 100 years (config.MAX_DURATION)
    try:
        for attempt in range(ATTEMPTS):
            chosen, found.left_out, starts = choose(paths, since.timestamp(), limit, stop)
            if not chosen:
                break
            found.logins.clear()
            found.partly = starts
            reader = detector()
            reader.on_owner = _Logins(found, reader.owner_network, cap)
            last = attempt == ATTEMPTS - 1
            if _scan(chosen, since, reader, stop, limit, found, starts=starts, last=last):
                break
        if journal is not None:
            reader = detector()
            reader.on_owner = _Logins(found, reader.owner_network, cap)
            _journal(journal, window, reader, stop, entries, found)
    except Stopped:
        found.stopped = True
    return found


def choose(
    paths: Sequence[str], oldest: float, limit: int, stop: Callable[[], bool]
) -> tuple[list[str], int, dict[str, int]]:
    """The files to read back: the followed ``paths`` and their rotated siblings last
    written at ``oldest`` (seconds since the epoch) or later, the newest first while
    they come to at most ``limit`` bytes of text; each rotated set oldest first. And
    how many of the window were left out for the limit, and where the files read in
    part start (`Stream.starts`).

    A followed file bigger than its share (`live_share`: half of ``limit`` over the
    followed files when rotated files of the window wait, all of it else) is read for
    its last share only, so that the rotated files of the window are read whatever the
    live file's size; a plain rotated file that does not fit whole is read for its last
    bytes that fit, and the older ones are left out (a compressed one that does not fit
    is left out with them)."""
    followed = {os.path.abspath(path) for path in paths}
    candidates: list[tuple[float, str]] = []
    seen: set[tuple[int, int]] = set()
    for path in dict.fromkeys(paths):
        for name in _set_of(path, followed):
            try:
                st = os.stat(name)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_mtime < oldest:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            candidates.append((st.st_mtime, name))
    share = live_share(limit, len(followed), any(n not in followed for _, n in candidates))
    chosen: list[str] = []
    starts: dict[str, int] = {}
    left = limit
    candidates.sort(reverse=True)
    for index, (_changed, name) in enumerate(candidates):
        if stop():
            raise Stopped
        size = _text_size(name, left)
        if size is None:
            continue  # cannot be read (the follower or the warm-up says so for a followed one)
        live = name in followed
        if ((live and size > min(share, left)) or size > left) and _plain(name):
            keep = min(share, left) if live else left
            if keep > 0:
                starts[name] = size - keep
                chosen.append(name)
                left -= keep
            if not live:
                return _in_order(chosen), len(candidates) - index - 1, starts
            continue
        if size > left:
            return _in_order(chosen), len(candidates) - index, starts
        left -= size
        chosen.append(name)
    return _in_order(chosen), 0, starts


def live_share(limit: int, followed: int, rotated: bool) -> int:
    """The most of each followed file's text the look-back reads (its end): half of
    ``limit`` shared by the ``followed`` files when ``rotated`` files of the window are
    to be read too, all of it else."""
    return max(1, (limit // 2 if rotated else limit) // max(1, followed))


def _plain(name: str) -> bool:
    """Is ``name`` a regular file that is not compressed (one whose end can be read
    alone)?"""
    try:
        fd = open_regular(name)
    except OSError:
        return False
    try:
        return compression(fd) is None
    except OSError:
        return False
    finally:
        os.close(fd)


def _set_of(path: str, followed: Collection[str]) -> list[str]:
    """``path`` and its rotated siblings (not another followed path)."""
    out = [os.path.abspath(path)]
    for sibling in siblings(path):
        suffix = sibling_suffix(path, sibling)
        if sibling not in followed and ROTATED_SUFFIX.fullmatch(suffix):
            out.append(sibling)
    return out


def _text_size(name: str, limit: int) -> int | None:
    """How many bytes of text the file holds (decompressed; past ``limit``, any number
    above it), or None when it cannot be read (not a regular file, no permission, zstd)."""
    try:
        fd = open_regular(name)
    except OSError:
        return None
    try:
        kind = compression(fd)
        if kind == "zstd":
            return None  # not read (`mailwarden.sources.files`)
        pieces = unpacked(fd)
        if pieces is None:
            return os.fstat(fd).st_size
        total = 0
        try:
            for piece in pieces:
                total += len(piece)
                if total > limit:
                    break
        except OSError:
            pass  # damaged: what comes before the damage is read
        return total
    except OSError:
        return None
    finally:
        os.close(fd)


def _in_order(names: Iterable[str]) -> list[str]:
    """Each rotated set together, oldest first (`rotation_key`), the sets by name."""
    return sorted(names, key=rotation_key)


def _scan(
    names: list[str],
    since: datetime,
    reader: Detector,
    stop: Callable[[], bool],
    limit: int,
    found: Recalled,
    *,
    starts: dict[str, int] | None = None,
    last: bool = True,
) -> bool:
    """Feed ``names`` to ``reader``; False when one of them went away meanwhile (a
    rotation) and this is not the ``last`` attempt: the caller chooses and reads again
    (what was found is not whole). Problems are noted in ``found``."""
    from mailwarden.scan import Stream, scan, streams_of

    # A real log has one entry per line: never split a line at a header-like text.
    options = ReadOptions(split_pasted=False, since=since)
    counts = Counts()
    found.files = names
    problems: list[str] = []
    try:
        streams = streams_of(names)
        if starts:
            streams = [
                Stream(
                    s.name, s.paths, starts=tuple((p, starts[p]) for p in s.paths if p in starts)
                )
                for s in streams
            ]
        scan(streams, options, reader.feed, counts, _Budget(stop, limit), parallel=False)
        reader.close()  # the sessions still open end
    except _Full:
        problems.append(f"the files grew past {2 * limit >> 20} MiB while read: cut short")
    except MailwardenError as exc:  # a file that went away meanwhile
        if not last and not all(os.path.exists(name) for name in names):
            return False  # rotated while read: choose again
        problems.append(str(exc))
    except Stopped:
        raise
    except Exception as exc:  # a bug must not stop the start: the logins so far stay
        LOG.debug("look-back error", exc_info=exc)
        problems.append(f"{type(exc).__name__}: {exc}")
    found.problems.extend(counts.read.problems + problems)
    return True


def _journal(
    journal: tuple[str, JournalTrust, Sequence[str], str],
    window: timedelta,
    reader: Detector,
    stop: Callable[[], bool],
    entries: int,
    found: Recalled,
) -> None:
    cursor, trust, matches, journalctl = journal
    framer = Framer(split_pasted=False, stats=ReadStats())
    chunks = journal_warmup(
        cursor, window, trust, matches=matches, journalctl=journalctl, limit=entries
    )
    for chunk in chunks:  # journalctl is stopped when a stop request leaves the loop
        if stop():
            raise Stopped
        found.journal = True
        try:
            for record in framer.frame_chunk(chunk):
                for event in parse(record):
                    reader.feed(event)
        except Exception as exc:  # a bug must not stop the start: the next chunk goes on
            LOG.debug("look-back error", exc_info=exc)
            found.problems.append(f"journal: {type(exc).__name__}: {exc}")
    reader.close()
