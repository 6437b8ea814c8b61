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
- A damaged row (edited by hand, written by a broken tool, a time out of range) is
  skipped with one warning and listed by `damage`; text that is not UTF-8 is read with
  U+FFFD in place of the bad bytes. A damaged revision reads as 0 and the next change
  to the bans writes a good one.
"""

from __future__ import annotations

import ipaddress
import json
import logging
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

LOG = logging.getLogger("mailwarden.store")
LOG.addHandler(logging.NullHandler())  # a command that sets up no logging prints none

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


class Damaged(ValueError):
    """A row the store cannot read (the text says what is wrong with it)."""


def _shown(value: object, limit: int = 40) -> str:
    """A stored value as a message may show it: one line, at most `limit` characters."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _time(seconds: object, column: str = "time") -> datetime:
    if type(seconds) is not int:
        raise Damaged(f"{column} {_shown(seconds)} is not a time")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise Damaged(f"{column} {seconds} is out of range") from None


def _network(value: object) -> IPNetwork:
    # A scope id ("fe80::1%eth0") may hold any text: no network we write has one.
    if not isinstance(value, str) or "%" in value:
        raise Damaged(f"network {_shown(value)} is not a network")
    try:
        return ipaddress.ip_network(value)
    except ValueError:
        raise Damaged(f"network {_shown(value)} is not a network") from None


def _text(value: object) -> str:
    """Reason and evidence: a missing or odd one does not make a ban unusable."""
    if isinstance(value, str):
        return value
    return "" if value is None else _shown(value)


def _row(values: tuple[Any, ...]) -> BanRow:
    """A ban row; `Damaged` when it cannot be one."""
    id_, network, since, until, reason, evidence, source, offences, state, ended, why = values
    checked = (_network(network), _time(since, "since"), _time(until, "until"))
    ended = None if ended is None else _time(ended, "ended")
    if source not in tuple(Source):
        raise Damaged(f"source {_shown(source)} is unknown")
    if state not in tuple(BanState):
        raise Damaged(f"state {_shown(state)} is unknown")
    if type(offences) is not int:
        raise Damaged(f"offences {_shown(offences)} is not a number")
    return BanRow(
        id=id_,
        network=checked[0],
        since=checked[1],
        until=checked[2],
        reason=_text(reason),
        evidence=_text(evidence),
        source=Source(source),
        offences=offences,
        state=BanState(state),
        ended=ended,
        end_reason=None if why is None else _text(why),
    )


def _json(text: object) -> JSONValue:
    """A stored position; `Damaged` when it is not JSON (or is JSON nested too deep)."""

    def refuse(constant: str) -> JSONValue:
        raise ValueError(f"{constant} is not a JSON value")

    if not isinstance(text, str):
        raise Damaged(f"value {_shown(text)} is not JSON")
    try:
        value: JSONValue = json.loads(text, parse_constant=refuse)
    except (ValueError, RecursionError):
        raise Damaged(f"value {_shown(text)} is not JSON") from None
    return value


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


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
        self._db.text_factory = _decode  # a damaged text reads with U+FFFD, not an error
        self._damage: dict[str, str] = {}
        self._damage_lock = threading.Lock()
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
            raise self._error("cannot open the state database", exc) from exc

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
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise self._error("cannot write", exc) from exc
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error("cannot write", exc) from exc

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite rolls back by itself after some errors
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error("cannot read", exc) from exc

    def _error(self, doing: str, exc: sqlite3.Error) -> StoreError:
        """One line for a failed statement: a file that is not (or no longer) our
        database says so; a busy or full one says what it could not do."""
        text = str(exc)
        if type(exc) is sqlite3.DatabaseError or text.startswith(("no such ", "malformed")):
            return StoreError(f"the store {self.path} is damaged: {text}")
        return StoreError(f"{self.path}: {doing}: {text}")

    def _damaged(self, where: str, what: str) -> None:
        """Remember a damaged row; warn once for each."""
        with self._damage_lock:
            if where in self._damage:
                return
            self._damage[where] = what
        LOG.warning("the store %s is damaged: %s: %s (left out)", self.path, where, what)

    def damage(self) -> list[str]:
        with self._damage_lock:
            return [f"{where}: {what}" for where, what in self._damage.items()]

    def _bans(self, rows: list[tuple[Any, ...]]) -> list[BanRow]:
        out = []
        for values in rows:
            try:
                out.append(_row(values))
            except Damaged as exc:
                self._damaged(f"ban {_shown(values[0])}", str(exc))
        return out

    @staticmethod
    def _good_time(value: object) -> int | None:
        if not isinstance(value, int):
            return None
        try:
            _time(value)
        except Damaged:
            return None
        return value

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        # A damaged revision ('abc' + 1 is 1 in SQLite) or a lost one is good again.
        if not db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'").rowcount:
            db.execute("INSERT INTO meta (key, value) VALUES ('revision', 1)")

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
                old_until = self._good_time(old[1])  # a damaged one does not count
                if old_until is not None:
                    until = max(until, old_until)
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
            row = db.execute(SELECT_BY_ID, (cursor.lastrowid,)).fetchone()
            try:
                return _row(row)
            except Damaged as exc:  # only a damaged schema would store what we did not write
                raise StoreError(f"the store {self.path} is damaged: {exc}") from None

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
        return self._bans(self._read(SELECT_ACTIVE, (_seconds(now),)))

    def expire(self, now: datetime | None = None) -> list[IPNetwork]:
        moment = _seconds(now)
        with self._write() as db:
            rows = db.execute(
                "UPDATE bans SET state = 'expired', ended = until, end_reason = 'expired'"
                " WHERE state = 'active' AND until <= ? RETURNING id, network",
                (moment,),
            ).fetchall()
            if rows:
                self._bump(db)
        networks = []
        for id_, network in rows:
            try:
                networks.append(_network(network))
            except Damaged as exc:
                self._damaged(f"ban {_shown(id_)}", str(exc))
        return networks

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
        return self._bans(rows)

    def prune(self, before: datetime) -> int:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM bans WHERE state != 'active' AND ended < ?", (_seconds(before),)
            )
            return cursor.rowcount

    # -- positions and revision ---------------------------------------------------------

    def get_position(self, key: str) -> JSONValue:
        rows = self._read("SELECT value FROM positions WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            return _json(rows[0][0])
        except Damaged as exc:  # as if there were none: the daemon writes a new one
            self._damaged(f"position {_shown(key, 200)}", str(exc))
            return None

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
        out: dict[str, JSONValue] = {}
        for key, text in rows:
            try:
                if not isinstance(key, str):
                    raise Damaged("the key is not text")
                out[key] = _json(text)
            except Damaged as exc:
                self._damaged(f"position {_shown(key, 200)}", str(exc))
        return out

    def revision(self) -> int:
        rows = self._read("SELECT value FROM meta WHERE key = 'revision'")
        value = rows[0][0] if rows else None
        if type(value) is not int:
            what = f"{_shown(value)} is not a number" if rows else "it is missing"
            self._damaged("the revision", what)
            return 0
        return value

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds nothing wrong with the file."""
        return str(self._read("PRAGMA integrity_check")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
