"""The daemon's sources: followed files and the journal, with positions kept in the store.

Positions (store keys ``file:<path>`` and ``journal``) are written by `Reader.commit`
after the lines up to them were processed and their bans recorded, so a ``kill -9``
re-reads at most the lines of one poll; their bans are already in the store and are not
recorded again (see `loop`), so no line is lost and no offence counted twice.

A PostgreSQL store is shared by a fleet: its bans are everyone's, but a position (and the
daemon's heartbeat) belongs to one host, so there the keys carry the host's name
(`StateKeys`: ``mx1/file:/var/log/mail.log``, ``mx1/journal``, ``mx1/daemon``; the name is
``store.host_name``, by default the host name). An SQLite store serves one host and keeps
the bare keys. A PostgreSQL store written before positions were per host is resumed from
the bare keys only when they are provably this host's: a file position whose device,
inode and first bytes match the file here, a journal cursor of this boot.

At start, a file renamed by a rotation, copied by copytruncate to a sibling
(``mail.log.1``: the same first bytes, at least as long), or compressed meanwhile
(``mail.log.1.gz``, rotated and compressed at once without ``delaycompress``) has its
rest read first; a stored position whose file is gone (deleted, or truncated without a
copy beside it) is said in the log: the lines written to that file after the position
are not read (see `mailwarden.sources.follow`). A followed file that
does not exist (yet) is said too, which on Debian without rsyslog means the logs are in
the journal.

The backlog (what was written while the daemon was stopped) is read in pieces of at
most `READ_BUDGET` bytes per file and poll (`Reader.start` returns the first ones, each
`Reader.poll` the next), so that memory stays bounded, a stop request is honoured
between two pieces, and the position committed after each piece resumes exactly there.
While a backlog is read, the daemon keeps the files level in log time and holds back
a file's records read ahead of the others (`Reader.hold`): its position is then
committed at the first of them, and the file is not read while it holds some (for
`loop.HOLD_MAX` seconds at the most; a rotation meanwhile is noticed all the same, and
the files it renamed are read in turn afterwards).

What the detector knew does not survive a restart, but is rebuilt: `Reader.warmup` gives
the lines of each file before the point where reading resumes (the stored position, or
the end of a file read for the first time) that lie within the detector's longest window
(a day by default) of the last of them, found by a binary search on their times (a log
is in time order), and at most `WARMUP_BYTES`; when the window reaches back to the
file's first line (or, for a file with more than `WARMUP_BYTES` of the window, before
its first line's time: then with `WARMUP_BYTES` more for them, its own last
`WARMUP_BYTES` after them), the window's lines of the files rotated before it come first
(``mail.log.1`` left by a rename or a copytruncate while the daemon ran, then
``mail.log.2``: siblings with a rotation's name, newest first; the lines before the
window's start in such a file are counted for their numbers by one sequential read; a
compressed one, ``mail.log.1.gz``, is decompressed as a stream for its tail, up to
`PACKED_TAIL_MAX` bytes), within the same `WARMUP_BYTES`; in pieces of at
most `WARMUP_PIECE` bytes, which the daemon feeds to a fresh detector (a stop request is
honoured between two pieces). An attacker with two guesses before a restart is banned at
the third after it, one with six in the day before it at the eighth; what the tail
itself concludes is acted on only when no ban of that network was recorded since (see
`loop.Daemon._warm_up`). On a server that writes more than `WARMUP_BYTES` a day, the
longest windows restart counting (reading the tail costs about 1 s per 16 MB at start on
this 2-core VM).
A compressed copy's tail is `WARMUP_BYTES` long, whatever its times. The journal's
warm-up is its entries of the window before the stored cursor (journalctl ``--since``,
``--until``, at most its last `journal.WARMUP_ENTRIES`), the mail system's only; at the
first start, before the newest entry, from which the follower then goes on (as a file
read for the first time is warmed up from its end).

The owners' logins (kept in the store for ``stale_window``, 30 days) are read back
further, from the rotated files, compressed ones too, and the journal, once: at the
first start (`mailwarden.daemon.recall`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from mailwarden.config import SourcesConfig, StoreConfig
from mailwarden.daemon.journal import JournalFollower, JournalTrust
from mailwarden.daemon.journal import warmup as journal_warmup
from mailwarden.framing import Framer
from mailwarden.model import Record
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.files import compression, unpacked
from mailwarden.sources.follow import (
    FINGERPRINT_SIZE,
    READ_BUDGET,
    FileFollower,
    Found,
    Position,
    empty_at,
    file_matches,
    find_packed,
    find_stored,
    open_regular,
    rotation_age,
    same_prefix,
    sibling_suffix,
    siblings,
)
from mailwarden.sources.interface import Chunk, ReadStats
from mailwarden.sources.journal import SOURCE as JOURNAL_SOURCE
from mailwarden.sources.journal import cursor_fields
from mailwarden.store import JSONValue, Store

LOG = logging.getLogger("mailwarden.sources")

FILE_PREFIX = "file:"
JOURNAL_KEY = "journal"
DAEMON_KEY = "daemon"
"""Store key of the daemon's heartbeat (kept beside the sources' positions)."""
OWNERS_KEY = "owners"
"""Store key of the mark that the owners' logins were recalled from this host's logs
(the first start's look-back: see `mailwarden.daemon.owners`)."""
PLACE_KEY = "enforce"
"""Store key of the place this host's bans go (see `mailwarden.daemon.places`)."""
HOST_SEPARATOR = "/"
"""Between a host's name and a key in a shared store (never in a host name)."""
WARMUP_BYTES = 32 << 20
"""The most of each file the warm-up reads back (the detector's longest window bounds
it too: `Reader.warmup`)."""
WARMUP_PIECE = 1 << 20
"""The warm-up tail is read and fed in pieces of this size: a stop request is honoured
between two."""


def file_key(path: str) -> str:
    return FILE_PREFIX + path


class StateKeys(NamedTuple):
    """The store keys of one host's positions and heartbeat."""

    host: str | None = None
    """The host's name in a shared (PostgreSQL) store; None when the store is this
    host's alone (SQLite): the bare keys."""

    @classmethod
    def for_store(cls, store: StoreConfig) -> StateKeys:
        """Per host for a PostgreSQL store (``store.host_name``, else the host name),
        bare for SQLite."""
        if not shared_store(store.path):
            return cls(None)
        name = store.host_name or socket.gethostname()
        return cls(name.replace(HOST_SEPARATOR, "_") or "localhost")

    @property
    def prefix(self) -> str:
        return "" if self.host is None else self.host + HOST_SEPARATOR

    def file(self, path: str) -> str:
        return self.prefix + file_key(path)

    @property
    def journal(self) -> str:
        return self.prefix + JOURNAL_KEY

    @property
    def daemon(self) -> str:
        return self.prefix + DAEMON_KEY

    @property
    def owners(self) -> str:
        return self.prefix + OWNERS_KEY

    @property
    def place(self) -> str:
        """Where this host's bans go (`mailwarden.daemon.places`)."""
        return self.prefix + PLACE_KEY

    def own(self, positions: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
        """This host's entries of `Store.positions`, under their bare keys."""
        if self.host is None:
            return dict(positions)
        prefix = self.prefix
        return {
            key[len(prefix) :]: value for key, value in positions.items() if key.startswith(prefix)
        }

    def others(self, positions: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
        """The heartbeats of the other hosts of a shared store: host name -> heartbeat."""
        if self.host is None:
            return {}
        out: dict[str, JSONValue] = {}
        for key, value in positions.items():
            host, sep, rest = key.partition(HOST_SEPARATOR)
            if sep and rest == DAEMON_KEY and host != self.host and ":" not in host:
                out[host] = value
        return out


ONE_HOST = StateKeys(None)
"""The bare keys of a store that serves one host (SQLite)."""


def shared_store(path: str) -> bool:
    """Is the store at `path` one a fleet shares (PostgreSQL)?"""
    return path.startswith(("postgresql://", "postgres://"))


class Reader:
    """Every source of one daemon; `poll` never blocks."""

    def __init__(
        self,
        sources: SourcesConfig,
        store: Store,
        stats: ReadStats,
        poll_interval: float = 0.05,
        trust: JournalTrust | None = None,
        keys: StateKeys = ONE_HOST,
    ) -> None:
        """`trust`: which journal entries to act on (default: root and
        ``sources.journal_users``); see `mailwarden.daemon.journal`. `keys`: where this
        host's positions are in the store (default: the bare keys of a one-host store)."""
        self.paths = list(dict.fromkeys(sources.files))
        self.stats = stats
        self.keys = keys
        self._stored: dict[str, Position] = {}
        for path in self.paths:
            raw = store.get_position(keys.file(path))
            if raw is None and keys.host is not None:
                raw = _earlier_position(store, path)
            if raw is None:
                continue
            try:
                if not isinstance(raw, dict):
                    raise ValueError("not an object")
                self._stored[path] = Position.from_json(raw)
            except (ValueError, KeyError, TypeError) as exc:
                LOG.warning("%s: stored position unusable (%s); reading from the end", path, exc)
        self.files = FileFollower(self.paths, self._stored, stats, poll_interval)
        self.journal: JournalFollower | None = None
        if sources.journal:
            cursor = store.get_position(keys.journal)
            if cursor is None and keys.host is not None:
                cursor = _earlier_cursor(store)
            cursor = cursor.get("cursor") if isinstance(cursor, dict) else None
            if trust is None:
                trust = JournalTrust.for_users(sources.journal_users)
            self.journal = JournalFollower(
                cursor if isinstance(cursor, str) else None, stats, trust=trust
            )
        self._journal_origin = self.journal.cursor if self.journal is not None else None
        """Where the journal's warm-up ends: the stored cursor, or at the first start
        the newest entry's (`start`)."""
        self._written: dict[str, JSONValue] = {}
        self._before: dict[str, Position] = {}
        """Each file's position before the last poll."""
        self._polled: list[Chunk] = []
        """The files' chunks of the last poll."""
        self._held: dict[str, tuple[Position, Position]] = {}
        """Path -> (where its reading stands, where its first held-back record starts):
        the position committed for it while the daemon holds its records (`hold`)."""
        self._warm_from: dict[str, Position] | None = None
        """Where the files' warm-up ends after `warm_up_from_here` (None: where their
        reading started)."""

    def start(self) -> list[Chunk]:
        """Open every source; return the first piece of what is already there to read
        (the backlog since the stored positions; each `poll` gives the next piece). Call
        `warmup` after this and before acting on the backlog."""
        for path, position in self._stored.items():
            self._say_resume(path, position)
        for path in self.paths:
            if not os.path.exists(path):
                LOG.warning(
                    "%s does not exist (yet): it is read from its start when it appears%s",
                    path,
                    ""
                    if self.journal is not None
                    else " (no rsyslog? Postfix and Dovecot then log to the journal: "
                    "set [sources] files = [] and journal = true)",
                )
        if self.journal is not None:
            if self.journal.cursor is None:  # the first start: from the newest entry on
                self.journal.cursor = self._journal_origin = self.journal.newest()
            self.journal.start()
            LOG.info(
                "journal: acting on entries written by %s",
                ", ".join(self.journal.trust.names),
            )
        return self._poll_files(())

    @staticmethod
    def _say_resume(path: str, position: Position) -> None:
        """Say in the log that the file read before the restart has another name now
        (renamed by a rotation while the daemon was stopped, or before: its rest is read
        first; a copy by copytruncate, a compressed copy, a stored position whose file
        is gone are said by the follower), and how much is left to read of a big
        backlog, naming the file the position is in."""
        found = find_stored(path, position)
        if found is None:
            return
        if empty_at(position) and found.name != path:
            os.close(found.fd)
            return  # the follower says which rotated files it reads
        try:
            rest = max(0, os.fstat(found.fd).st_size - position.offset)
        except OSError:
            rest = 0
        finally:
            os.close(found.fd)
        then = 0
        if found.name != path:
            with contextlib.suppress(OSError):
                then = os.stat(path).st_size
            if not found.copy:
                LOG.info(
                    "%s: the file read before the restart is %s now (a rotation): reading "
                    "its rest first, from line %d, then %s from its start",
                    path,
                    found.name,
                    position.line,
                    path,
                )
        behind = rest + then
        if behind < 2 * READ_BUDGET:
            return
        if found.name == path:
            where = f"from line {position.line} on"
        else:
            where = f"{_mib(rest)} of {found.name} from line {position.line} on, then "
            where += f"{_mib(then)} of {path}" if then >= 100 << 10 else path
        LOG.info(
            "%s: %s not read yet (%s): read in pieces of %s, a stop is honoured between two",
            path,
            _mib(behind),
            where,
            _mib(READ_BUDGET),
        )

    def warmup(
        self,
        limit: int = WARMUP_BYTES,
        piece: int = WARMUP_PIECE,
        window: timedelta | None = None,
    ) -> list[Iterator[Chunk]]:
        """Per input (each file, then the journal), the lines before the point where
        the file's reading started (at most `limit` bytes each, and with ``window`` only
        those within it of the last: see `tail_before`), in pieces of at most `piece`
        bytes, then with ``window`` the journal's entries of the window before the stored
        cursor (`journal.warmup`), for the detector to remember, not to act on; each is
        read when it is first asked for (the daemon merges them by time)."""
        inputs: list[Iterator[Chunk]] = []
        started = self.files.origins() if self._warm_from is None else self._warm_from
        for path in self.paths:
            position = started.get(path)
            if position is not None:
                inputs.append(
                    tail_before(path, position, limit, piece, window, followed=self.paths)
                )
        journal, origin = self.journal, self._journal_origin
        if journal is not None and origin is not None and window is not None:
            inputs.append(
                journal_warmup(
                    origin,
                    window,
                    journal.trust,
                    matches=journal.matches,
                    journalctl=journal.journalctl,
                )
            )
        return inputs

    def warm_up_from_here(self) -> None:
        """A reload that keeps the sources (a new policy, a new detector): the next
        `warmup` gives the lines before where each input's reading stands now, not
        before where it started. The files stay open as they are: one renamed by a
        rotation is still read for the writer's last lines. A file whose records the
        daemon holds back (`hold`) is warmed up to the first of them: they come after
        the warm-up's lines, once (the running detector judges them when they are fed,
        the new one reads them after its earlier lines: `loop.Daemon._end_warm_up`)."""
        held = self._held
        self._warm_from = {
            path: held[path][1] if path in held else position
            for path, position in self.files.positions().items()
        }
        if self.journal is not None and self.journal.cursor is not None:
            self._journal_origin = self.journal.cursor

    @property
    def journal_origin(self) -> str | None:
        """The journal's cursor where the follower starts (after `start`): the stored
        one, or at the first start the newest entry's; None without the journal."""
        return self._journal_origin

    def poll(self, skip: Collection[str] = ()) -> list[Chunk]:
        """What every source appended since the last poll (a piece of a backlog); the
        files in ``skip`` are not read this time (the daemon holds records of theirs)."""
        chunks = self._poll_files(skip)
        if self.journal is not None:
            chunks.extend(self.journal.poll())
        return chunks

    def _poll_files(self, skip: Collection[str]) -> list[Chunk]:
        self._before = self.files.positions()
        chunks = self.files.poll(skip)
        self._polled = chunks
        return list(chunks)

    def unreadable(self) -> set[str]:
        """The sources (paths, ``journal``) that cannot be read now: a followed file
        failing (`FileFollower.failing`), or journalctl not running (`JournalFollower.
        down`). Lines may be written meanwhile that the daemon reads only later."""
        failing = self.files.failing()
        if self.journal is not None and self.journal.down:
            failing.add(JOURNAL_SOURCE)
        return failing

    def behind(self) -> set[str]:
        """The sources (paths, ``journal``) whose last poll stopped with more to read
        now: a backlog, read a piece at a time."""
        behind = set(self.files.behind)
        if self.journal is not None and self.journal.behind:
            behind.add(JOURNAL_SOURCE)
        return behind

    def hold(self, firsts: Mapping[str, Record]) -> set[str]:
        """The daemon holds back records of some files for a later poll, from each one's
        record in ``firsts`` on: the files whose position can resume at that record
        (`positions` then says it, so that a restart reads the held records again, and
        neither loses nor repeats one). That is a file whose held records all come from
        the file its reading is in, read since the last poll that gave them: the
        position read up to, with the record's offset and line. A poll that went over a
        rotation, a truncation or a skipped line, and the journal (its cursor is a
        piece's last entry), cannot say such a position: their records are not held."""
        now = self.files.positions()
        held: dict[str, tuple[Position, Position]] = {}
        for path, record in firsts.items():
            after = now.get(path)
            if after is None:
                continue
            earlier = self._held.get(path)
            if earlier is not None and earlier[0] == after and earlier[1].offset <= record.offset:
                pass  # not read since it held them
            elif not self._read_whole(path, after, record):
                continue
            held[path] = (after, after._replace(offset=record.offset, line=record.line))
        self._held = held
        return set(held)

    def _read_whole(self, path: str, after: Position, record: Record) -> bool:
        """Did the last poll read ``path`` in one file, line after line, from its
        position before up to ``after``, with ``record`` in between?"""
        before = self._before.get(path)
        if before is None or (before.device, before.inode) != (after.device, after.inode):
            return False
        offset, line = before.offset, before.line
        for chunk in self._polled:
            if chunk.source != path:
                continue
            if chunk.offset != offset or chunk.first_line != line:
                return False
            offset += len(chunk.data)
            line += chunk.data.count(b"\n")
        return (offset, line) == (after.offset, after.line) and before.offset <= record.offset

    def positions(self) -> dict[str, JSONValue]:
        """Store key -> position, as `commit` writes them: a file whose records the
        daemon holds back, at the first of them (`hold`)."""
        out: dict[str, JSONValue] = {}
        held = self._held
        for path, position in self.files.positions().items():
            if path in held:
                position = held[path][1]
            out[self.keys.file(path)] = dict(position.to_json())
        if self.journal is not None and self.journal.cursor is not None:
            out[self.keys.journal] = {"cursor": self.journal.cursor}
        return out

    def commit(self, store: Store) -> None:
        """Write the positions that moved since the last commit."""
        for key, value in self.positions().items():
            if self._written.get(key) != value:
                store.set_position(key, value)
                self._written[key] = value

    def close(self) -> None:
        self.files.close()
        if self.journal is not None:
            self.journal.close()


def _mib(size: int) -> str:
    """``11 MiB``, ``0.4 MiB`` (one decimal under 10 MiB)."""
    if size >= 10 << 20:
        return f"{size >> 20} MiB"
    return f"{size / (1 << 20):.1f}".removesuffix(".0") + " MiB"


def _earlier_position(store: Store, path: str) -> JSONValue:
    """The position a shared store kept under the bare key (before positions were per
    host), when it is this host's: the file here has its device, inode, length and first
    bytes. Another host's would make the file be read again from its start."""
    raw = store.get_position(file_key(path))
    if not isinstance(raw, dict):
        return None
    try:
        position = Position.from_json(raw)
        fd = open_regular(path)
        try:
            if not file_matches(fd, position):
                return None
        finally:
            os.close(fd)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    LOG.info("%s: resuming at line %d, stored before positions were per host", path, position.line)
    return raw


def _earlier_cursor(store: Store) -> JSONValue:
    """The journal cursor a shared store kept under the bare key, when it is this
    host's: written during this boot (the cursor's ``b=`` is this boot's id)."""
    raw = store.get_position(JOURNAL_KEY)
    cursor = raw.get("cursor") if isinstance(raw, dict) else None
    if not isinstance(cursor, str):
        return None
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as file:
            boot = file.read().strip().replace("-", "")
    except OSError:
        return None
    if not boot or cursor_fields(cursor).get("b") != boot:
        return None
    LOG.info("journal: resuming at the cursor stored before positions were per host")
    return raw


def tail_before(
    path: str,
    position: Position,
    limit: int,
    piece: int = WARMUP_PIECE,
    window: timedelta | None = None,
    *,
    followed: Collection[str] = (),
) -> Iterator[Chunk]:
    """The whole lines before `position` (at most `limit` bytes) in the file it points
    at (`path` itself, a rotated sibling with its inode, or a copy: see `find_stored`;
    a compressed copy: `find_packed`), in chunks of at most `piece` bytes (and one
    line). With ``window``, only those within it of the last one (`_recent_start`; not
    in a compressed copy), and when that reaches back to the file's first line, first
    the window's lines of the files rotated before it (`_earlier_tails`: a rotation
    while the daemon ran, then a restart, keeps the counts), within the same `limit`;
    when the file holds more than `limit` of the window and the window reaches back
    before its first line's time, its last `limit` bytes and, first, the rotated
    files' lines of the window within another `limit` (at most twice `limit` in all).
    ``followed``: the daemon's other followed paths, never read as a rotated file.

    A position of an empty file (`empty_at`) tells the file no more: the rotated files
    changed after it are read as the backlog (`follow.changed_since`); the window's lines
    of those changed before it come back."""
    empty = empty_at(position)
    if empty:
        if window is not None:
            yield from _tails_before(path, position, window, limit, max(1, piece), followed)
        return
    found = find_stored(path, position)
    if found is None:
        yield from _packed_tail(path, position, limit, max(1, piece))
        return
    fd, end, piece = found.fd, position.offset, max(1, piece)
    try:
        start = max(0, end - limit)
        if start > 0:  # from the first whole line on
            begin = _after_newline(fd, start - 1, end, piece)
            if begin is None:
                return
            start = begin
        cut = start
        since: datetime | None = None
        if window is not None and start < end:
            last = _line_time(fd, _last_line_start(fd, start, end), end)
            if last is not None:
                since = last - window
                start = _window_start(fd, start, end, since)
        if window is not None and start == 0:
            yield from _earlier_tails(path, found, since, window, limit - end, piece, followed)
        elif window is not None and since is not None and 0 < start == cut:
            # More than `limit` of the window in this file: its end only. When the
            # window reaches back before its first line (a big live log that began
            # within it), the rotated files' lines of the window come first all the
            # same, within a `limit` of their own.
            first = _timed_line(fd, 0, end)[1]
            if first is not None and first >= since:
                yield from _earlier_tails(path, found, since, window, limit, piece, followed)
        if start >= end:
            return
        said: list[bool] = []
        yield from _lines_up_to(
            path, position, start, lambda: _unshrunk_pieces(path, fd, start, end, piece, said)
        )
    except OSError:
        return  # the follower says what cannot be read
    finally:
        os.close(fd)


def _tails_before(
    path: str,
    position: Position,
    window: timedelta,
    limit: int,
    piece: int,
    followed: Collection[str],
) -> Iterator[Chunk]:
    """`tail_before` for a position of a file empty when read (`empty_at`): the window's
    lines of the rotated files not changed since, nor that file itself renamed (what the
    follower reads whole: `follow.changed_since`), with the path's file standing for the
    one read (`_earlier_tails`)."""
    try:
        fd = open_regular(path)
    except OSError:
        return
    try:
        found = Found(fd, path, False)
        yield from _earlier_tails(path, found, None, window, limit, piece, followed, position)
    except OSError:
        return
    finally:
        os.close(fd)


ROTATED_SUFFIX = re.compile(r"(?:[.-][0-9]+)+(?P<packed>\.(?:gz|bz2|xz|zst))?")
"""What logrotate appends to a rotated log's name: ``.1``, ``.2``, ``-20261128``
(``dateext``), ``-2026-11-28``, and a compressed one (``.1.gz``), whose tail the warm-up
decompresses (`PACKED_TAIL_MAX`)."""
ROTATION_SLACK = 60.0
"""A file rotated before another was written to at most this many seconds after the
other's last change (the writer's late lines into ``mail.log.1``)."""


def _earlier_tails(
    path: str,
    found: Found,
    since: datetime | None,
    window: timedelta,
    budget: int,
    piece: int,
    followed: Collection[str],
    unchanged_since: Position | None = None,
) -> Iterator[Chunk]:
    """The lines within the window (from ``since``; None: the window before the newest
    one's last line) of the files rotated before ``found``, oldest first, at most
    ``budget`` bytes in all. They are its plain siblings with a rotation's name
    (`ROTATED_SUFFIX`), newest first by their last change: ``mail.log.1``, which a
    rotation by rename or copytruncate leaves, then ``mail.log.2`` when the window
    reaches back to its first line too; a compressed one (``mail.log.1.gz``, logrotate's
    ``compress`` without ``delaycompress``) is decompressed as a stream, its last
    ``budget`` bytes kept (`_unpacked_tail`: at most `PACKED_TAIL_MAX` bytes, else the
    search ends, said in the log). Their lines were all read before those of ``found``
    (the follower reads a rotated file's rest first), so none is counted twice. A sibling
    that is ``found`` itself or a copy of it (its inode, or its first bytes), or one
    rotated after ``found`` (the follower reads it: `rotated_after`), is passed over, and
    with ``unchanged_since`` (the position of a file empty when read) one changed after
    that, or that file (the follower reads them whole: `follow.changed_since`)."""
    parts: list[tuple[str, int, int, int, int]] = []  # name, descriptor, start, end, line
    try:
        for name in _rotated_before(path, found, followed, unchanged_since):
            if budget <= 0:
                break
            try:
                fd = open_regular(name)
            except OSError:
                continue
            parts.append((name, fd, 0, 0, 1))
            lines = 1
            if _packed(name, fd):
                tail = _unpacked_tail(name, fd, budget, os.pread(found.fd, FINGERPRINT_SIZE, 0))
                if tail is None:
                    break  # damaged, too big, or zstd: said, and the search ends
                if tail.copy:
                    continue  # a copy of the file read above: its lines are there
                os.close(fd)
                fd, lines = tail.fd, tail.line
                parts[-1] = (name, fd, 0, 0, lines)
            elif _same_head(fd, found.fd):
                continue  # a copy of the file read above: its lines are there
            size = os.fstat(fd).st_size
            start = max(0, size - budget)
            if start > 0:
                begin = _after_newline(fd, start - 1, size, piece)
                start = size if begin is None else begin
            if start < size:
                if since is None:
                    last = _line_time(fd, _last_line_start(fd, start, size), size)
                    since = last - window if last is not None else None
                if since is not None:
                    start = _window_start(fd, start, size, since)
            parts[-1] = (name, fd, start, size, lines)
            budget -= size - start
            if start > 0 or lines > 1:
                break  # the window begins in this file
        for name, fd, start, end, line in reversed(parts):
            if start < end:
                yield from _whole_file_tail(name, fd, start, end, piece, line)
    finally:
        for _, fd, _, _, _ in parts:
            with contextlib.suppress(OSError):
                os.close(fd)


PACKED_TAIL_MAX = {"gzip": 1 << 30, "bzip2": 32 << 20, "xz": 256 << 20}
"""The most the warm-up decompresses of a compressed rotated file (``mail.log.1.gz``) to
read its tail, by compression: about 1.5 to 2 s each (measured on a 2-core VM with
log text: gzip 680 MB/s, xz 130 MB/s, bzip2 20 MB/s); a
bigger one (or a damaged one) ends the search, said in the log."""


def _size(count: int) -> str:
    return f"{count / (1 << 20):.1f} MiB" if count >= 1 << 20 else f"{count / 1024:.1f} KiB"


class _Tail(NamedTuple):
    """The end of a compressed file, decompressed into a file of its own."""

    fd: int
    """An anonymous file holding the last bytes; the caller closes it."""
    line: int
    """The number of the line its first byte is in, in the whole file."""
    copy: bool
    """It starts as the file read back before it (a copy of it): nothing kept."""


def _unpacked_tail(name: str, fd: int, keep: int, head: bytes) -> _Tail | None:
    """The last ``keep`` bytes (and less than a block more) of the compressed file open
    as ``fd``, decompressed as it comes (memory: about ``keep`` bytes), when it holds at
    most `PACKED_TAIL_MAX` bytes; None when it is bigger, damaged, or not decompressed
    here (zstd), which is said in the log."""
    kind = compression(fd)
    blocks = unpacked(fd)
    if blocks is None or kind is None:
        LOG.info("warm-up: %s is not read back (zstd, or not a compressed log)", name)
        return None
    most = PACKED_TAIL_MAX.get(kind, PACKED_TAIL_MAX["xz"])
    kept: deque[bytes] = deque()
    held = seen = newlines = 0
    first = b""
    try:
        for block in blocks:
            if len(first) < FINGERPRINT_SIZE:
                first += block[: FINGERPRINT_SIZE - len(first)]
                if len(first) == FINGERPRINT_SIZE and same_prefix(first, head):
                    return _Tail(-1, 1, True)
            seen += len(block)
            if seen > most:
                LOG.warning(
                    "warm-up: %s holds more than %s once decompressed: not read back "
                    "(its lines and those of older files are not counted again)",
                    name,
                    _size(most),
                )
                return None
            kept.append(block)
            held += len(block)
            while held - len(kept[0]) >= keep:
                newlines += kept[0].count(b"\n")
                held -= len(kept.popleft())
    except OSError as exc:
        LOG.warning(
            "warm-up: %s cannot be read back: %s (its lines and those of older files are "
            "not counted again)",
            name,
            exc,
        )
        return None
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    if len(first) < FINGERPRINT_SIZE and same_prefix(first, head):
        return _Tail(-1, 1, True)
    out = os.memfd_create("mailwarden-tail", os.MFD_CLOEXEC)
    try:
        while kept:  # what is written is let go: about ``keep`` bytes in memory at most
            view = memoryview(kept.popleft())
            while view:
                view = view[os.write(out, view) :]
    except OSError:
        os.close(out)
        raise
    LOG.info(
        "warm-up: decompressed %s (%s) to read back its last %s",
        name,
        _size(seen),
        _size(min(held, keep)),
    )
    return _Tail(out, newlines + 1, False)


def _rotated_before(
    path: str, found: Found, followed: Collection[str], unchanged_since: Position | None = None
) -> list[str]:
    """The plain names of the files rotated before the one ``found`` is open on, newest
    first (by their last change, `ROTATION_SLACK` after it at the most; with
    ``unchanged_since``, not after it)."""
    newest = os.fstat(found.fd).st_mtime + ROTATION_SLACK
    skip = {os.path.abspath(other) for other in (path, found.name, *followed)}
    age = rotation_age(path, found.name) if found.name != path else None
    candidates: list[tuple[float, str]] = []
    for sibling in siblings(path):
        suffix = sibling_suffix(path, sibling)
        if sibling in skip or not ROTATED_SUFFIX.fullmatch(suffix):
            continue
        other = rotation_age(path, sibling)
        if age is not None and other is not None and other[0] == age[0] and other[1] < age[1]:
            continue  # rotated after it: the follower reads it whole (`rotated_after`)
        try:
            st = os.stat(sibling)
        except OSError:
            continue
        changed = st.st_mtime
        if unchanged_since is not None and (
            st.st_mtime_ns > unchanged_since.checked
            or (st.st_dev, st.st_ino) == unchanged_since[:2]
        ):
            continue  # changed after the position: read whole as the backlog
        if changed <= newest:
            candidates.append((changed, sibling))
    return [sibling for _, sibling in sorted(candidates, reverse=True)]


def _packed(name: str, fd: int) -> bool:
    """Is the file compressed (by its name, or its first bytes)?"""
    match = ROTATED_SUFFIX.search(os.path.basename(name))
    return bool(match and match["packed"]) or unpacked(fd) is not None


def _same_head(fd: int, other: int) -> bool:
    """Do two files start with the same `FINGERPRINT_SIZE` bytes (a copy, a link)?"""
    head = os.pread(fd, FINGERPRINT_SIZE, 0)
    return bool(head) and head == os.pread(other, FINGERPRINT_SIZE, 0)


def _whole_file_tail(
    name: str, fd: int, start: int, end: int, piece: int, first: int = 1
) -> Iterator[Chunk]:
    """The lines of a rotated file from offset ``start`` (a line's start) to ``end``,
    numbered from its first line, numbered ``first`` (the lines before ``start`` are
    counted: a sequential read of that part of the file)."""
    line = first + sum(data.count(b"\n") for data in _pieces(fd, 0, start, piece))
    splitter = LineSplitter(name, ReadStats(), line=line, offset=start)
    yield from _split(splitter, _pieces(fd, start, end, piece))


def _split(splitter: LineSplitter, pieces: Iterable[bytes]) -> Iterator[Chunk]:
    """The chunks of whole lines ``splitter`` makes of ``pieces``, the last one too."""
    for data in pieces:
        chunk = splitter.feed(data)
        if chunk is not None:
            yield chunk
    chunk = splitter.finish()
    if chunk is not None:
        yield chunk


def _packed_tail(path: str, position: Position, limit: int, piece: int) -> Iterator[Chunk]:
    """`tail_before` from a compressed copy (`find_packed`), decompressed again from
    its start (the follower read its rest the same way)."""
    packed = find_packed(path, position, ReadStats(), keep=limit + 1)
    if packed is None:
        return
    data = packed.rest.before
    packed.rest.discard()
    start = position.offset - len(data)
    if len(data) > limit:  # from the first whole line on
        cut = data.find(b"\n") + 1
        if cut == 0:
            return
        data, start = data[cut:], start + cut
    yield from _lines_up_to(
        path, position, start, lambda: (data[at : at + piece] for at in range(0, len(data), piece))
    )


def _lines_up_to(
    path: str, position: Position, start: int, pieces: Callable[[], Iterable[bytes]]
) -> Iterator[Chunk]:
    """The lines from offset ``start`` up to `position`, as chunks numbered back from
    its line: ``pieces()`` gives their bytes, once to count the lines, once to read."""
    lines = sum(data.count(b"\n") for data in pieces())
    splitter = LineSplitter(path, ReadStats(), line=max(1, position.line - lines), offset=start)
    yield from _split(splitter, pieces())


SEARCH_SPAN = 64 << 10
"""`_recent_start` halves the range down to this many bytes, then reads it line by line."""
_HEAD = 4096
"""Bytes of a line read to find its time (its header is at its start)."""


def _recent_start(fd: int, start: int, end: int, window: timedelta) -> int:
    """The offset of the first line from ``start`` (a line's start) on whose entry is
    within ``window`` of the last line's before ``end``: a binary search over the file,
    which a log is in time order. Lines without a time go with the line after them, a
    probe whose time is old but whose next line's is not counts as recent (one entry
    out of order, as a journal replay writes, does not cut the window short), a line
    longer than the range is stepped back over; when the last line has no time,
    ``start``."""
    last = _line_time(fd, _last_line_start(fd, start, end), end)
    if last is None:
        return start
    return _window_start(fd, start, end, last - window)


def _window_start(fd: int, start: int, end: int, since: datetime) -> int:
    """`_recent_start` from a given time on: the first line from ``start`` on whose
    entry is not older than ``since``."""
    low, high = start, end  # the answer is a line starting in [low, high]
    while high - low > SEARCH_SPAN:
        half = (low + high) // 2
        middle = _after_newline(fd, half, high, SEARCH_SPAN)
        if middle is None or middle >= high:  # a line spans from before half to high
            middle = _last_line_start(fd, low, half + 1)
            if middle <= low:
                break
        at, time = _timed_line(fd, middle, high)
        if time is not None and time < since:  # unless the next line says otherwise
            after = _after_newline(fd, at, high, SEARCH_SPAN)
            if after is not None and after < high:
                next_time = _timed_line(fd, after, high)[1]
                if next_time is None or next_time >= since:
                    time = None
        if time is not None and time < since:
            low = at
        else:
            high = middle
    at = low
    while at < high:
        at, time = _timed_line(fd, at, high)
        if time is None or time >= since:
            return at
        after = _after_newline(fd, at, high, SEARCH_SPAN)
        if after is None:
            break
        at = after
    return high


def _timed_line(fd: int, at: int, end: int) -> tuple[int, datetime | None]:
    """The first line from ``at`` on (before ``end``, a few at the most) with a time:
    where it starts, and its time; (``at``, None) when there is none."""
    start = at
    for _ in range(16):
        if at >= end:
            break
        time = _line_time(fd, at, end)
        if time is not None:
            return at, time
        after = _after_newline(fd, at, end, SEARCH_SPAN)
        if after is None:
            break
        at = after
    return start, None


def _last_line_start(fd: int, start: int, end: int) -> int:
    """Where the last whole line before ``end`` starts (``start`` at the most)."""
    at = end - 1  # its newline
    while at > start:
        begin = max(start, at - SEARCH_SPAN)
        cut = os.pread(fd, at - begin, begin).rfind(b"\n")
        if cut >= 0:
            return begin + cut + 1
        at = begin
    return start


def _line_time(fd: int, at: int, end: int) -> datetime | None:
    """The time of the entry on the line starting at ``at`` (None: none, or not a line
    that frames), framed alone (a framer dates a line by those before it)."""
    data = os.pread(fd, min(_HEAD, end - at), at)
    line = data.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
    records = Framer(split_pasted=False).frame_lines([line], [1], [at], "", plain=False)
    return records[0].time if records else None


def _after_newline(fd: int, start: int, end: int, piece: int) -> int | None:
    """The offset after the first newline from ``start`` on (None: none before ``end``)."""
    for data in _pieces(fd, start, end, piece):
        cut = data.find(b"\n")
        if cut >= 0:
            return start + cut + 1
        start += len(data)
    return None


def _unshrunk_pieces(
    path: str, fd: int, start: int, end: int, piece: int, said: list[bool]
) -> Iterator[bytes]:
    """`_pieces` of a tail read back, ended when the file shrank below ``end`` under the
    reading: emptied by a copytruncate rotation while a reload's warm-up read it a slice
    at a time (what it holds now are newer lines, not the earlier ones). Said once
    (``said``): the new detector does not count the rest of those earlier lines."""
    for data in _pieces(fd, start, end, piece):
        if os.fstat(fd).st_size < end:
            break
        yield data
        start += len(data)
    if start < end and not said:
        said.append(True)
        LOG.warning(
            "warm-up: %s shrank while its earlier lines were read (a copytruncate "
            "rotation?): those from byte %d on are not read, the new detector does not "
            "count them",
            path,
            start,
        )


def _pieces(fd: int, start: int, end: int, piece: int) -> Iterator[bytes]:
    """The bytes from ``start`` to ``end`` of the open file, `piece` bytes at a time."""
    while start < end:
        data = os.pread(fd, min(piece, end - start), start)
        if not data:
            return
        start += len(data)
        yield data
