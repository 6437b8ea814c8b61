"""SQLite store (the default): one file shared by the daemon and the command line.

- WAL journal: readers (``mailwarden status``) never block the daemon's writes.
- ``synchronous = NORMAL``: with WAL, a committed transaction survives a killed
  process (kill -9 at any moment); a power cut can lose the last commits but never
  corrupts the file, and bans and source positions live in the same file, so they roll
  back together: the daemon re-reads the lines whose bans were lost and bans again.
  Pass ``synchronous="FULL"`` to make every commit survive power loss too (one fsync
  per commit).
- Every public method is one ``BEGIN IMMEDIATE`` transaction: the write lock is taken
  first, so two processes wait for each other (``busy_timeout``) instead of failing.
- Parameters are always bound; no SQL is ever formatted from data.
- The schema version is ``PRAGMA user_version``; a newer file is refused.
- A database we create gets mode 0600, and a directory we create 0700.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailwarden.errors import StoreError
from mailwarden.model import BanEntry, IPNetwork
from mailwarden.store.interface import BanRow, BanState, JSONValue, Source, Store, storable

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    network     TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    evidence    TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('auto', 'manual')),
    offences    INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'expired', 'lifted', 'superseded')),
    ended       INTEGER,
    end_reason  TEXT
);
CREATE UNIQUE INDEX bans_one_active ON bans (network) WHERE state = 'active';
CREATE INDEX bans_active_until ON bans (until) WHERE state = 'active';
CREATE INDEX bans_network ON bans (network, since);
CREATE TABLE positions (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', 0);
"""

# Whole statements, never assembled from pieces.
SELECT_BY_ID = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE id = ?"""
SELECT_ACTIVE = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE state = 'active' AND until > ? ORDER BY id"""
SELECT_LATEST = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans ORDER BY id DESC LIMIT ?"""
SELECT_LATEST_OF = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE network = ? ORDER BY id DESC LIMIT ?"""


def _seconds(moment: datetime | None) -> int:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("store times must be aware datetimes")
    return round(moment.timestamp())


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _row(values: tuple[Any, ...]) -> BanRow:
    id_, network, since, until, reason, evidence, source, offences, state, ended, why = values
    return BanRow(
        id=id_,
        network=ipaddress.ip_network(network),
        since=_time(since),
        until=_time(until),
        reason=reason,
        evidence=evidence,
        source=Source(source),
        offences=offences,
        state=BanState(state),
        ended=None if ended is None else _time(ended),
        end_reason=why,
    )


class SqliteStore(Store):
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "NORMAL",
        busy_timeout: float = 10.0,
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise StoreError(
                f"sqlite store: synchronous must be NORMAL, FULL or EXTRA: {synchronous}"
            )
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._create_file()
            self._db = sqlite3.connect(
                self.path,
                timeout=busy_timeout,  # sqlite's busy_timeout: wait for the other writer
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the state database: {exc}") from exc
        try:
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal mode (got {mode})")
            # A pragma takes no bound parameter; the value is one of three checked words.
            self._db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except (sqlite3.Error, StoreError) as exc:
            self._db.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.path}: cannot open the state database: {exc}") from exc

    # -- opening ------------------------------------------------------------------------

    def _create_file(self) -> None:
        parent = self.path.parent
        if not parent.exists():
            parent.mkdir(mode=0o700, parents=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: written by a newer mailwarden (schema {version}, "
                    f"this one knows {SCHEMA_VERSION})"
                )
            if version == 0:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, with the write lock taken up front."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot write: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: cannot write: {exc}") from exc

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read: {exc}") from exc

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")

    # -- bans -----------------------------------------------------------------------------

    def record_ban(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str = Source.AUTO,
        now: datetime | None = None,
    ) -> BanRow:
        source = Source(source)
        since = _seconds(now)
        until = _seconds(entry.expires)
        if until <= since:
            raise StoreError(f"a ban of {entry.network} that ends before it starts")
        reason, evidence = storable(entry.reason), storable(evidence)
        network = str(entry.network)
        with self._write() as db:
            old = db.execute(
                "SELECT id, until FROM bans WHERE network = ? AND state = 'active'", (network,)
            ).fetchone()
            if old is not None:
                until = max(until, old[1])
                db.execute(
                    "UPDATE bans SET state = 'superseded', ended = ?, end_reason = ? WHERE id = ?",
                    (since, "banned again", old[0]),
                )
            count = db.execute("SELECT count(*) FROM bans WHERE network = ?", (network,))
            offences = count.fetchone()[0] + 1
            cursor = db.execute(
                "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (network, since, until, reason, evidence, source.value, offences),
            )
            self._bump(db)
            row = db.execute(SELECT_BY_ID, (cursor.lastrowid,))
            return _row(row.fetchone())

    def lift_ban(self, network: IPNetwork, reason: str, now: datetime | None = None) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE bans SET state = 'lifted', ended = ?, end_reason = ?"
                " WHERE network = ? AND state = 'active'",
                (_seconds(now), storable(reason), str(network)),
            )
            if cursor.rowcount:
                self._bump(db)
            return cursor.rowcount > 0

    def active_bans(self, now: datetime | None = None) -> list[BanRow]:
        rows = self._read(SELECT_ACTIVE, (_seconds(now),))
        return [_row(r) for r in rows]

    def expire(self, now: datetime | None = None) -> list[IPNetwork]:
        moment = _seconds(now)
        with self._write() as db:
            rows = db.execute(
                "UPDATE bans SET state = 'expired', ended = until, end_reason = 'expired'"
                " WHERE state = 'active' AND until <= ? RETURNING network",
                (moment,),
            ).fetchall()
            if rows:
                self._bump(db)
        return [ipaddress.ip_network(r[0]) for r in rows]

    def offences(self, network: IPNetwork, since: datetime | None = None) -> int:
        start = _seconds(since) if since is not None else 0
        rows = self._read(
            "SELECT count(*) FROM bans WHERE network = ? AND since >= ?", (str(network), start)
        )
        return int(rows[0][0])

    def history(self, limit: int = 100, network: IPNetwork | None = None) -> list[BanRow]:
        if network is None:
            rows = self._read(SELECT_LATEST, (limit,))
        else:
            rows = self._read(SELECT_LATEST_OF, (str(network), limit))
        return [_row(r) for r in rows]

    def prune(self, before: datetime) -> int:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM bans WHERE state != 'active' AND ended < ?", (_seconds(before),)
            )
            return cursor.rowcount

    # -- positions and revision ---------------------------------------------------------

    def get_position(self, key: str) -> JSONValue:
        rows = self._read("SELECT value FROM positions WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_position(self, key: str, value: JSONValue) -> None:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
        with self._write() as db:
            db.execute(
                "INSERT INTO positions (key, value, updated) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated = excluded.updated",
                (key, text, _seconds(None)),
            )

    def positions(self) -> dict[str, JSONValue]:
        rows = self._read("SELECT key, value FROM positions ORDER BY key")
        return {key: json.loads(value) for key, value in rows}

    def revision(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE key = 'revision'")[0][0])

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds nothing wrong with the file."""
        return str(self._read("PRAGMA integrity_check")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
