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

At start, a stored position whose file is gone (rotated and compressed at once, without
``delaycompress``, or copied and truncated while the daemon was stopped) is said in the
log: the lines written to that file after the position are not read. So is a followed
file that does not exist (yet), which on Debian without rsyslog means the logs are in
the journal.

What the detector knew does not survive a restart, but is rebuilt: `Reader.warmup` gives
the last `WARMUP_BYTES` of each file before the point where reading resumes (the stored
position, or the end of a file read for the first time), and the daemon feeds them to
a fresh detector. An attacker with two guesses before a restart is banned at the third
after it; what the tail itself concludes is acted on only when no ban of that network
was recorded since (see `loop.Daemon._warm_up`). Windows longer than the tail (a slow
brute force over a day on a busy server) restart counting. The journal is not warmed
up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from typing import NamedTuple

from mailwarden.config import SourcesConfig, StoreConfig
from mailwarden.daemon.journal import JournalFollower, JournalTrust
from mailwarden.sources.follow import FileFollower, Position, file_matches
from mailwarden.sources.interface import Chunk, ReadStats
from mailwarden.store import JSONValue, Store

LOG = logging.getLogger("mailwarden.sources")

FILE_PREFIX = "file:"
JOURNAL_KEY = "journal"
DAEMON_KEY = "daemon"
"""Store key of the daemon's heartbeat (kept beside the sources' positions)."""
HOST_SEPARATOR = "/"
"""Between a host's name and a key in a shared store (never in a host name)."""
WARMUP_BYTES = 8 << 20


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
        self._written: dict[str, JSONValue] = {}

    def start(self) -> list[Chunk]:
        """Open every source; return what is already there to read (the backlog since the
        stored positions). Call `warmup` after this and before acting on the backlog."""
        for path, position in self._stored.items():
            if resumable(path, position) is None:
                LOG.warning(
                    "%s: the file read before the restart (up to line %d) is gone or was "
                    "truncated (rotated and compressed, or copied and truncated, while "
                    "mailwarden was stopped): lines written to it after that are not read; "
                    "reading %s from its start",
                    path,
                    position.line,
                    path,
                )
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
            self.journal.start()
            LOG.info(
                "journal: acting on entries written by %s",
                ", ".join(self.journal.trust.names),
            )
        return self.files.poll()

    def warmup(self, limit: int = WARMUP_BYTES) -> list[Chunk]:
        """The lines before the point where each file's reading started (at most `limit`
        bytes each), for the detector to remember, not to act on."""
        started = {**self.files.positions(), **self._stored}
        chunks = []
        for path in self.paths:
            position = started.get(path)
            if position is not None and position.offset > 0:
                chunk = tail_before(path, position, limit)
                if chunk is not None:
                    chunks.append(chunk)
        return chunks

    def poll(self) -> list[Chunk]:
        chunks = self.files.poll()
        if self.journal is not None:
            chunks.extend(self.journal.poll())
        return chunks

    def positions(self) -> dict[str, JSONValue]:
        """Store key -> position, as `commit` writes them."""
        out: dict[str, JSONValue] = {}
        for path, position in self.files.positions().items():
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


def _earlier_position(store: Store, path: str) -> JSONValue:
    """The position a shared store kept under the bare key (before positions were per
    host), when it is this host's: the file here has its device, inode, length and first
    bytes. Another host's would make the file be read again from its start."""
    raw = store.get_position(file_key(path))
    if not isinstance(raw, dict):
        return None
    try:
        position = Position.from_json(raw)
        with open(path, "rb") as file:
            if not file_matches(file.fileno(), position):
                return None
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
    fields = dict(part.partition("=")[::2] for part in cursor.split(";"))
    if not boot or fields.get("b") != boot:
        return None
    LOG.info("journal: resuming at the cursor stored before positions were per host")
    return raw


def _candidates(path: str) -> list[str]:
    """`path`, then its rotated siblings (``mail.log.1``, ``mail.log-20261128``)."""
    folder, name = os.path.split(os.path.abspath(path))
    candidates = [path]
    with contextlib.suppress(OSError):
        candidates += sorted(
            entry.path
            for entry in os.scandir(folder)
            if entry.name.startswith(name) and entry.name != name
        )
    return candidates


def resumable(path: str, position: Position) -> str | None:
    """The file that a stored position points at (`path` itself or a rotated sibling
    with its inode, at least as long and with the same first bytes), or None when it
    is gone (rotated and compressed, deleted, truncated)."""
    for candidate in _candidates(path):
        try:
            fd = os.open(candidate, os.O_RDONLY)
        except OSError:
            continue
        try:
            if file_matches(fd, position):
                return candidate
        except OSError:
            continue
        finally:
            os.close(fd)
    return None


def tail_before(path: str, position: Position, limit: int) -> Chunk | None:
    """The whole lines before `position` (at most `limit` bytes) in the file it points
    at: `path` itself, or a rotated sibling (``mail.log.1``) with its inode."""
    for candidate in _candidates(path):
        chunk = _tail(candidate, path, position, limit)
        if chunk is not None:
            return chunk
    return None


def _tail(candidate: str, source: str, position: Position, limit: int) -> Chunk | None:
    try:
        fd = os.open(candidate, os.O_RDONLY)
    except OSError:
        return None
    try:
        if not file_matches(fd, position):
            return None
        start = max(0, position.offset - limit)
        data = os.pread(fd, position.offset - start, start)
    except OSError:
        return None
    finally:
        os.close(fd)
    if start > 0:
        cut = data.find(b"\n")
        if cut < 0:
            return None
        data, start = data[cut + 1 :], start + cut + 1
    if not data:
        return None
    first_line = max(1, position.line - data.count(b"\n"))
    return Chunk(source, data, first_line, start)
