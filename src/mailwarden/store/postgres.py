"""PostgreSQL store, for a fleet of mail servers that share their bans.

Needs the ``postgres`` extra (``psycopg[binary]``). Every server's daemon and command
line connect to the same database and schema; a ban recorded by one shows up in the
others' next `revision` poll. The layout mirrors the SQLite store with native types:
``cidr`` for networks, ``timestamptz`` for times, ``jsonb`` for source positions
(which are per host, so give each host its own keys, e.g. ``mx1:/var/log/mail.log``).

- Every public method is one transaction; identifiers are quoted with `psycopg.sql`
  and every value is a bound parameter.
- Writers of bans take a table lock (``SHARE ROW EXCLUSIVE``): bans are rare, and it
  keeps "at most one active ban per network" and the offence count exact across hosts.
- A lost connection (server restart) is reopened on the next call. One that stops
  answering (a paused host, a network path that drops packets) is cut once a call has
  waited `PostgresStore.answer_wait` for it (10 s; 2 s while the daemon's store
  fails; 5 minutes while the store is created or upgraded, and for `prune`, `history`,
  `forget_owners`): a `StoreError` ``no answer in 10 s``, never a call that hangs
  (`_Deadline`), and a cancel request sent so the backend stops too. A server that
  answers but keeps a call waiting for a lock, or runs a statement long, ends it
  itself first (``lock_timeout`` 7 s, ``statement_timeout`` 8 s of the 10: `_bound`),
  named as such (``waited 7 s for a lock held by another session``), its backend free
  and the connection kept; a session of ours left idle in a transaction (its host
  paused) is ended by the server after 30 s, and its locks with it. Connections also ask for TCP
  keepalives (`CLIENT_KEEPALIVES`, unless the URL sets its own).
- A damaged row is skipped and named as in the SQLite store, by the same checks
  (`mailwarden.store.rows`). Times that PostgreSQL keeps and Python cannot
  (``infinity``, after the year 9999) and positions as ``jsonb`` are read as their text,
  so one such value never fails a whole query.
- A lost or damaged revision is written again (from 1) by the next change to the bans,
  which also clears the ban rows' stamps past it (so `changed_bans` reads only new ones).
- A store whose tables exist is opened without creating anything (``mailwarden status``
  only reads), unless an older mailwarden wrote it (schema 1, before the owners'
  logins; schema 2, before each ban row remembered the revision of its last change):
  it gets what it lacks, once, under the migration lock; one of ours that
  lacks a table or column the store reads (renamed, dropped, restored in part) is
  damaged and refused, as the SQLite store refuses it, never filled up again with
  empty tables.
- `probe` checks the store as opening it would (reachable, not written by a newer
  mailwarden, its tables all there, or the schema ours to create) and creates nothing
  (``mailwarden run --check``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import os
import re
import select
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from mailwarden.errors import StoreError, StoreSettingError, StoreUnusable
from mailwarden.model import BanEntry, IPNetwork
from mailwarden.store import rows as stored
from mailwarden.store.interface import (
    MAX_OWNER_ACCOUNTS,
    BanChanges,
    BanRow,
    Claimed,
    JSONValue,
    OwnerRow,
    Source,
    Store,
    damaged_store,
    narrower,
    storable,
    wider_networks,
)
from mailwarden.store.location import hide_secrets, safe_location

try:
    import psycopg
    from psycopg import pq, sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg.types.datetime import TimestamptzLoader
    from psycopg.types.string import TextLoader
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise StoreUnusable(
        "the PostgreSQL store needs psycopg: pip install 'mailwarden[postgres]'"
    ) from exc

SCHEMA_VERSION = 3
DEFAULT_SCHEMA = "mailwarden"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_MIGRATION_LOCK = 0x6D61696C77617264  # "mailward": one migration at a time, fleet-wide

OWNERS = [
    """CREATE TABLE IF NOT EXISTS {schema}.owners (
        network cidr        NOT NULL,
        account text        NOT NULL,
        last    timestamptz NOT NULL,
        PRIMARY KEY (network, account))""",
    "CREATE INDEX IF NOT EXISTS owners_last ON {schema}.owners (last)",
]

CHANGED_INDEX = "CREATE INDEX IF NOT EXISTS bans_changed ON {schema}.bans (changed)"

MIGRATIONS = {
    2: [
        *OWNERS,
        "UPDATE {schema}.meta SET value = 2 WHERE key = 'schema_version'",
    ],
    3: [
        "ALTER TABLE {schema}.bans ADD COLUMN IF NOT EXISTS changed bigint NOT NULL DEFAULT 0",
        CHANGED_INDEX,
        # Statistics for the new column now: without them the planner may take the
        # changes since a revision for a third of the table and read every active ban.
        "ANALYZE {schema}.bans",
        "UPDATE {schema}.meta SET value = 3 WHERE key = 'schema_version'",
    ],
}
"""What each schema version adds to the one before (a schema an older mailwarden
wrote is brought up to date when it is opened, under the migration lock)."""

SCHEMA = [
    "CREATE SCHEMA IF NOT EXISTS {schema}",
    *OWNERS,
    """CREATE TABLE IF NOT EXISTS {schema}.meta (
        key text PRIMARY KEY, value bigint NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {schema}.bans (
        id          bigserial PRIMARY KEY,
        network     cidr        NOT NULL,
        since       timestamptz NOT NULL,
        until       timestamptz NOT NULL,
        reason      text        NOT NULL,
        evidence    text        NOT NULL,
        source      text        NOT NULL CHECK (source IN ('auto', 'manual')),
        offences    integer     NOT NULL,
        state       text        NOT NULL DEFAULT 'active'
                    CHECK (state IN ('active', 'expired', 'lifted', 'superseded')),
        ended       timestamptz,
        end_reason  text,
        changed     bigint      NOT NULL DEFAULT 0)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS bans_one_active
        ON {schema}.bans (network) WHERE state = 'active'""",
    """CREATE INDEX IF NOT EXISTS bans_active_until
        ON {schema}.bans (until) WHERE state = 'active'""",
    "CREATE INDEX IF NOT EXISTS bans_network ON {schema}.bans (network, since)",
    CHANGED_INDEX,
    """CREATE TABLE IF NOT EXISTS {schema}.positions (
        key text PRIMARY KEY, value jsonb NOT NULL, updated timestamptz NOT NULL)""",
    """INSERT INTO {schema}.meta (key, value) VALUES ('revision', 0), ('schema_version', 3)
        ON CONFLICT (key) DO NOTHING""",
]

# Whole statements; only the quoted schema name is filled in.
INSERT_BAN = """INSERT INTO {schema}.bans
    (network, since, until, reason, evidence, source, offences)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    RETURNING id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason"""
UPDATE_BAN = """UPDATE {schema}.bans SET until = %s, reason = coalesce(%s, reason),
    source = coalesce(%s, source) WHERE id = %s
    RETURNING id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason"""
SELECT_ACTIVE = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans
    WHERE state = 'active' AND until > %s ORDER BY id"""
SELECT_COVERING = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans
    WHERE state = 'active' AND until > %s AND network = ANY(%s) ORDER BY id"""
SELECT_INSIDE = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans
    WHERE state = 'active' AND until > %s AND network << %s ORDER BY id"""
SELECT_CHANGED = """SELECT t.id, t.network, b.id, b.network, b.since, b.until, b.reason,
    b.evidence, b.source, b.offences, b.state, b.ended, b.end_reason
    FROM {schema}.bans AS t
    LEFT JOIN {schema}.bans AS b
    ON b.network = t.network AND b.state = 'active' AND b.until > %s
    WHERE t.changed > %s"""
STAMP_CHANGED = "UPDATE {schema}.bans SET changed = %s WHERE id = ANY(%s)"
UNSTAMP_AHEAD = "UPDATE {schema}.bans SET changed = 0 WHERE changed >= %s"
"""Rows stamped at or past a revision being written again (see `_bump`)."""
SELECT_LIFTED = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans
    WHERE state = 'lifted' AND ended >= %s ORDER BY ended, id"""
SELECT_LATEST = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans ORDER BY id DESC LIMIT %s"""
SELECT_LASTING = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans
    WHERE network = ANY(%s) AND coalesce(ended, until) >= %s AND (network = %s OR since <= %s)"""
"""No ORDER BY id: with it the planner walked the primary key backwards over every ban
for an IPv6 /128 (129 networks); the few rows found are sorted by the caller."""
SELECT_LATEST_OF = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM {schema}.bans WHERE network = %s
    ORDER BY id DESC LIMIT %s"""


_CLAIM_HOLDER = """SELECT a.pid, a.client_addr FROM pg_locks AS l
    LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid"""
"""The session holding a daemon's claim (pid and address shown only to its own role or
a monitoring one)."""

_KEEPALIVES = (
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
)
"""The claim's session asks the server to probe its TCP connection: the claim of a host
that crashed (no FIN sent) ends within about a minute, not the system's two hours."""

CLIENT_KEEPALIVES = (
    ("keepalives", "1"),
    ("keepalives_idle", "30"),
    ("keepalives_interval", "10"),
    ("keepalives_count", "3"),
)
"""Our side probes its connections too (libpq's settings; each one the URL sets itself
wins): a connection whose server or network went away while it was idle is found dead
within about a minute, so the next call fails at once instead of waiting for an
answer (`PostgresStore.answer_wait`)."""

LOST_SESSION_ENDS = 180.0
"""Seconds a claim's session that `keep_claim` cut is taken for ours, not another
daemon's, when it still holds the claim (the server ends it within about a minute)."""

MIGRATION_WAIT = 300
"""Seconds a store being created or brought up to date (schema 1 or 2: an index on
every ban) is waited for, and another host's doing so: longer than
`PostgresStore.answer_wait`."""

MAINTENANCE_WAIT = 300
"""Seconds the maintenance calls that may read or delete many rows (`prune`,
`history`, `forget_owners`) are waited for, and the server lets them run."""

SERVER_SHARE = 0.8
"""The server bounds each statement of ours itself, at this share of the client's wait
(``statement_timeout``: 8 s of 10, 1.6 s of 2), and each lock wait at `LOCK_SHARE`
(``lock_timeout``: 7 s of 10, 1.4 s of 2, so a lock wait is named as one): a call
that waits for a lock another session holds, or runs long, fails with the server's
own error, its backend free at once, before the client cuts a server that does not
answer (`_Deadline`)."""

LOCK_SHARE = 0.7

IDLE_IN_TRANSACTION_ENDS = 30
"""Seconds the server lets a session of ours sit idle in a transaction before it ends
it (``idle_in_transaction_session_timeout``): a daemon paused or gone mid-transaction
(its host frozen) frees the locks it holds, the bans table's among them, within this."""


def _server_wait(seconds: float, lock: bool = False) -> int:
    """The server's bound, in ms, on a statement (`SERVER_SHARE`) or a `lock` wait
    (`LOCK_SHARE`) of a client that waits `seconds`."""
    return max(500, round(seconds * (LOCK_SHARE if lock else SERVER_SHARE) * 1000))


_cancelling = threading.Lock()
"""Held while a cancel request is on its way (`_send_cancel`): one at a time, so a
server that swallows them costs one thread at most."""

OLD_CANCELS_AT_ONCE = 4
"""The most cancel requests of libpq before 17 (`_send_old_cancel`) on their way at once:
each blocks, with no bound of ours, until the server answers it; one stuck on a server
that swallowed it must not stop the next, sent when the server answers again."""
_old_cancels = threading.BoundedSemaphore(OLD_CANCELS_AT_ONCE)


def _send_cancel(cancel: pq.abc.PGcancelConn, seconds: float) -> None:
    """Ask the server, on a connection of its own, to cancel what a backend of ours is
    doing (a statement cut by `_Deadline`): the backend stops waiting for a lock or
    running and ends, instead of keeping on until it finds its client gone. Gives up
    after `seconds` (a server that does not answer at all)."""
    try:
        until = time.monotonic() + seconds
        cancel.start()
        while True:
            status = cancel.poll()
            left = until - time.monotonic()
            if status in (pq.PollingStatus.OK, pq.PollingStatus.FAILED) or left <= 0:
                return
            fd = cancel.socket
            if status == pq.PollingStatus.READING:
                select.select([fd], [], [], left)
            else:
                select.select([], [fd], [], left)
    except (psycopg.Error, OSError, ValueError):
        return
    finally:
        cancel.finish()
        _cancelling.release()


def _send_old_cancel(cancel: pq.abc.PGcancel) -> None:
    """`_send_cancel` with the cancel request of libpq before 17 (``PQcancel``), which
    blocks until the server answers or the connection to it fails."""
    try:
        cancel.cancel()
    except (psycopg.Error, OSError, ValueError):
        return
    finally:
        _old_cancels.release()


class _Watchman:
    """One thread for every `_Deadline` of the process (started at the first), asleep
    until the earliest is due: a transaction costs no thread of its own."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: dict[int, tuple[float, Callable[[int], None]]] = {}
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf
        """When the thread wakes next by itself: a later deadline needs no waking it
        (a transaction then costs it nothing; a disarmed one is simply found gone)."""

    def arm(self, seconds: float, action: Callable[[int], None]) -> int:
        """Call `action` with the key returned in `seconds` (from the watchman's
        thread), unless that key is `disarm`ed first."""
        with self._wake:
            key = next(self._keys)
            when = time.monotonic() + seconds
            self._due[key] = (when, action)
            if self._thread is None or not self._thread.is_alive():  # a forked child too
                self._wakes_at = math.inf
                self._thread = threading.Thread(
                    target=self._watch, name="mailwarden-pg-deadlines", daemon=True
                )
                self._thread.start()
            if when < self._wakes_at:
                self._wakes_at = when
                self._wake.notify()
            return key

    def disarm(self, key: int) -> None:
        with self._wake:
            self._due.pop(key, None)

    def _watch(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                due = [key for key, (when, _) in self._due.items() if when <= now]
                actions = [(key, self._due.pop(key)[1]) for key in due]
                if not actions:
                    self._wakes_at = min((when for when, _ in self._due.values()), default=math.inf)
                    wait = None if self._wakes_at == math.inf else self._wakes_at - now
                    self._wake.wait(wait)
                    continue
            for key, action in actions:  # outside the lock: an action takes its own
                with contextlib.suppress(Exception):
                    action(key)


_WATCHMAN = _Watchman()


class _Deadline:
    """Cuts the connection `db` when it has not finished what it was asked within
    `seconds`: its socket is shut down (by `_WATCHMAN`'s thread), so libpq, which waits
    for an answer without a bound of its own, fails at once (``server closed the
    connection unexpectedly``) and `cut` says why. A server or network that stops
    answering (a paused host, a path that drops packets, a server process stopped) is
    so a `StoreError` within the wait, never a call that hangs, whatever TCP still
    acknowledges. The socket is a duplicate of libpq's, closed by `end`: the watchman
    never touches a descriptor libpq closed and the system gave to something else."""

    def __init__(self, db: psycopg.Connection[Any], seconds: float) -> None:
        self._db = db
        self._socket = socket.socket(fileno=os.dup(db.pgconn.socket))
        self._guard = threading.Lock()
        self._key: int | None = None
        self.seconds = seconds
        self.cut = False
        self.extend(seconds)

    def extend(self, seconds: float) -> None:
        """Wait `seconds` from now (a migration waits longer)."""
        with self._guard:
            if self._key is not None:
                _WATCHMAN.disarm(self._key)
            self.seconds = seconds
            self._key = _WATCHMAN.arm(seconds, self._expire)

    def _expire(self, key: int) -> None:
        with self._guard:
            if key != self._key:
                return  # ended or extended meanwhile
            self._cancel()  # first: a `cut` seen lets the caller close the connection
            self.cut = True
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)

    def _cancel(self) -> None:
        """Send the server a cancel request for the statement under way, from a thread
        of its own (`_send_cancel`), before the socket is shut down: the backend stops
        too, whatever it waits for (closing our end cancels nothing server-side)."""
        if not _cancelling.acquire(blocking=False):
            return  # one still on its way: the server does not answer those either
        try:
            pgconn = self._db.pgconn
            try:
                cancel = pgconn.cancel_conn()
            except (psycopg.NotSupportedError, AttributeError):
                # libpq before 17, psycopg before 3.2: the older, blocking request (on
                # the cancel thread too: it may wait for a server that does not answer)
                _cancelling.release()  # that one is for `_send_cancel`
                if not _old_cancels.acquire(blocking=False):
                    return
                try:
                    old = pgconn.get_cancel()
                    threading.Thread(
                        target=_send_old_cancel,
                        args=(old,),
                        name="mailwarden-pg-cancel",
                        daemon=True,
                    ).start()
                except Exception:
                    _old_cancels.release()
                return
            threading.Thread(
                target=_send_cancel, args=(cancel, 2.0), name="mailwarden-pg-cancel", daemon=True
            ).start()
        except Exception:
            _cancelling.release()

    def end(self) -> None:
        with self._guard:
            if self._key is not None:
                _WATCHMAN.disarm(self._key)
            self._key = None
            self._socket.close()


@contextmanager
def _answering(db: psycopg.Connection[Any], seconds: float, where: str) -> Iterator[_Deadline]:
    """Run the block with `db` cut after `seconds` (`_Deadline`); a failure it caused is
    one line: `StoreError` ``no answer in N s``, the connection closed."""
    try:
        deadline = _Deadline(db, seconds)
    except (OSError, RuntimeError) as exc:  # no descriptor left, no thread to be had
        raise StoreError(f"PostgreSQL store: cannot bound the wait for an answer: {exc}") from exc
    try:
        yield deadline
    except psycopg.Error as exc:
        if deadline.cut:
            db.close()
            raise StoreError(_no_answer(where, deadline.seconds)) from exc
        raise
    finally:
        deadline.end()
        if deadline.cut:  # at the last moment, after the answer came: reopened next time
            db.close()


def _no_answer(where: str, seconds: float) -> str:
    return (
        f"PostgreSQL store: {where}: no answer in {seconds:g} s (the server or the "
        "network to it hangs); connection closed"
    )


def _moment(moment: datetime | None) -> datetime:
    """Whole seconds, like the SQLite store, so both answer the same."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("store times must be aware datetimes")
    return datetime.fromtimestamp(round(moment.timestamp()), UTC)


class _TimeOrText(TimestamptzLoader):
    """A ``timestamptz`` as a datetime, or as its text when Python cannot hold it
    (``infinity``, the year 10000): `stored.moment` names that text as damaged."""

    def load(self, data: Any) -> Any:
        try:
            return super().load(data)
        except psycopg.DataError:
            return bytes(data).decode("utf-8", "replace")


def _location(dsn: str, schema: str) -> str:
    """The database as messages name it: host, database and schema, no password."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        params = {}
    host = params.get("host") or "localhost"
    return f"postgresql://{host}/{params.get('dbname') or ''} (schema {schema})"


def _connect(dsn: str, connect_timeout: int) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection, or one line without the URL's secrets (libpq's errors may quote
    the URL or a part of it): `StoreSettingError` for a URL libpq cannot read or a
    setting in it that libpq or psycopg refuses (a person must fix it), `StoreError`
    when the server cannot be reached or refuses us (tried again). The URL's own
    ``connect_timeout`` wins over `connect_timeout`."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise StoreSettingError(
            f"{safe_location(dsn)}: not a PostgreSQL URL: {hide_secrets(_one_line(exc), dsn)}"
        ) from None
    timeout = params.get("connect_timeout", connect_timeout)  # the keyword would replace it
    probes: dict[str, Any] = {key: value for key, value in CLIENT_KEEPALIVES if key not in params}
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=timeout, **probes)
    except psycopg.ProgrammingError as exc:  # psycopg's own check (connect_timeout=ten)
        raise _bad_setting(dsn, _one_line(exc)) from None
    except psycopg.Error as exc:
        refused = _refused_setting(dsn, params)
        if refused is not None:
            raise _bad_setting(dsn, refused) from None
        raise StoreError(
            f"cannot connect to PostgreSQL: {hide_secrets(_one_line(exc), dsn)}"
        ) from None


def _bad_setting(dsn: str, why: str) -> StoreSettingError:
    return StoreSettingError(
        f"{safe_location(dsn)}: a bad connection setting: {hide_secrets(why, dsn)}"
    )


_LOOPBACK = "127.0.0.1"


def _refused_setting(dsn: str, params: dict[str, Any]) -> str | None:
    """libpq's words when it refuses a setting of `dsn` itself (``sslmode=bogus``, a
    port that is no number, ``keepalives_idle=x``), None when it takes them (the
    server is what failed: down, refusing us), or when this cannot be told here.

    Asked of libpq, never judged here: libpq is asked to start a connection with the
    URL's settings to a socket of our own, which it either starts or refuses to try.
    First over TCP to a port we listen on at 127.0.0.1 (hosts and ports replaced:
    every other setting), then, when the URL names ports, to those ports on Unix
    sockets we listen on in a private folder (hosts replaced, the ports libpq's to
    read). Nothing reaches a server; what libpq sends there (a startup packet, never a
    password) is never read. Only after a connection failed: a good one costs nothing."""
    hosts = str(params.get("hostaddr") or params.get("host") or "")
    count = hosts.count(",") + 1  # as libpq counts them, ports matched to hosts
    try:
        with socket.create_server((_LOOPBACK, 0)) as listener:
            port = str(listener.getsockname()[1])
            ours = {key: ",".join([value] * count) for key, value in _tcp_place(port).items()}
            if _refusal(make_conninfo("", **_tcp_place(port))) is not None:
                return None  # libpq refuses even plain settings here: not the URL's doing
            why = _refusal(make_conninfo(dsn, **ours))
            if why is not None:
                return why.replace(f'at "{_LOOPBACK}", port {port} ', "")
        ports = params.get("port")
        return None if not ports else _refused_ports(str(ports), count)
    except OSError:  # no loopback, no room for a socket: nothing to tell
        return None


def _tcp_place(port: str) -> dict[str, str]:
    return {"host": _LOOPBACK, "hostaddr": _LOOPBACK, "port": port}


def _refused_ports(ports: str, count: int) -> str | None:
    """libpq's words when it refuses the ports `ports` of `count` hosts, else None:
    asked to start a connection to them on Unix sockets in a folder of our own, where
    each port that may be a number has a socket listening (and 5432, an empty one)."""
    names = {"5432"}
    for each in ports.split(","):
        try:
            names.add(str(int(each)))
        except ValueError:
            continue  # libpq refuses it before it looks for a socket
    with tempfile.TemporaryDirectory(prefix="mailwarden-") as folder:
        listeners: list[socket.socket] = []
        try:
            for name in sorted(names):
                listeners.append(socket.socket(socket.AF_UNIX))
                listeners[-1].bind(os.path.join(folder, f".s.PGSQL.{name}"))
                listeners[-1].listen()
            if _refusal(make_conninfo("", host=folder)) is not None:
                return None
            return _refusal(make_conninfo("", host=",".join([folder] * count), port=ports))
        finally:
            for listener in listeners:
                listener.close()


def _refusal(conninfo: str) -> str | None:
    """The error of libpq starting a connection with `conninfo` at once (its status
    bad before anything was sent), or None when it started one (closed here)."""
    started = pq.PGconn.connect_start(conninfo.encode())
    try:
        if started.status != pq.ConnStatus.BAD:
            return None
        text = started.error_message.decode("utf-8", "replace").strip().splitlines()
        return text[0] if text else "refused"
    finally:
        started.finish()


def _newer(schema: str, version: int) -> StoreUnusable:
    return StoreUnusable(
        f"PostgreSQL schema {schema}: written by a newer mailwarden "
        f"(schema {version}, this one knows {SCHEMA_VERSION})"
    )


# Every column of every table the store uses, read when a store that exists is opened
# (and by `probe`): a store of ours that lacks one is damaged and refused, never filled
# up again with empty tables (the bans of a renamed table would be lost to sight).
TABLES_READ = (
    """SELECT id, network, since, until, reason, evidence, source, offences, state, ended,
    end_reason FROM {schema}.bans LIMIT 1""",
    "SELECT key, value, updated FROM {schema}.positions LIMIT 1",
    "SELECT key, value FROM {schema}.meta LIMIT 1",
    "SELECT network, account, last FROM {schema}.owners LIMIT 1",
    "SELECT changed FROM {schema}.bans LIMIT 1",
)
TABLES_OF_VERSION = {1: TABLES_READ[:3], 2: TABLES_READ[:4], 3: TABLES_READ}
"""The tables each schema version has: a schema of an older version must have its own
(the rest are added when it is opened)."""


def _version(db: psycopg.Connection[Any], schema: str) -> int:
    """The schema version the meta table holds (1 when the row is missing: the first
    version wrote it always)."""
    row = db.execute(
        sql.SQL("SELECT value FROM {schema}.meta WHERE key = 'schema_version'").format(
            schema=sql.Identifier(schema)
        )
    ).fetchone()
    return int(row[0]) if row else 1


def _check_tables(db: psycopg.Connection[Any], dsn: str, schema: str, version: int) -> None:
    """Raise `StoreUnusable` (damaged) when a table or column the store reads is gone.
    Each read is in a savepoint of its own, so the caller's transaction survives."""
    for statement in TABLES_OF_VERSION.get(version, TABLES_READ):
        try:
            with db.transaction():
                db.execute(sql.SQL(statement).format(schema=sql.Identifier(schema))).fetchall()
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
            raise damaged_store(_location(dsn, schema), _one_line(exc)) from exc


_UPGRADER = """SELECT pg_has_role(c.relowner, 'USAGE'), has_schema_privilege(n.oid, 'CREATE'),
    pg_get_userbyid(c.relowner), current_user
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relname = 'bans'"""
"""May this role bring the store up to date (own table bans, as ALTER TABLE and CREATE
INDEX need; create tables in the schema), and who owns it."""


def _not_upgradable(
    db: psycopg.Connection[Any], dsn: str, schema: str, version: int, why: str = ""
) -> StoreUnusable | None:
    """The one line for a store an older mailwarden wrote that this role may not bring
    up to date (a fleet's role with only the rights to read and write the rows), or None
    when it may. `why`: the error a migration failed with, when it did."""
    if version >= SCHEMA_VERSION:
        return None
    row = db.execute(_UPGRADER, (schema,)).fetchone()
    if row is None:
        return None  # no table bans: `_check_tables` says it
    owns, creates, owner, user = row
    if not why and owns and (creates or version >= 2):
        return None
    return StoreUnusable(
        f"{_location(dsn, schema)}: the store needs upgrading to schema {SCHEMA_VERSION} "
        f"(an older mailwarden wrote schema {version}) and only the owner of its tables "
        f"may do it, which role {user} is not{f' ({why})' if why else ''}: open it once "
        f"as {owner}, the role that owns them (mailwarden status with a store.path that "
        f"connects as {owner}), then try again"
    )


_FIND_META = (
    "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'meta'"
)


def probe(dsn: str, *, schema: str = DEFAULT_SCHEMA, connect_timeout: int = 10) -> bool:
    """Check the store as `PostgresStore` opens it, creating nothing: True when its
    tables exist, False when opening would create them. Raises `StoreError` when the
    server cannot be reached or refuses us, `StoreUnusable` for a schema a newer
    mailwarden wrote, one we may not create, or an older one this role may not bring up
    to date (only the owner of its tables may)."""
    if not _SCHEMA_NAME.match(schema):
        raise StoreUnusable(f"postgres store: bad schema name {schema!r}")
    db = _connect(dsn, connect_timeout)
    try:
        with db, _answering(db, connect_timeout, _location(dsn, schema)):
            if db.execute(_FIND_META, (schema,)).fetchone():
                version = _version(db, schema)
                if version > SCHEMA_VERSION:
                    raise _newer(schema, version)
                _check_tables(db, dsn, schema, version)
                refused = _not_upgradable(db, dsn, schema, version)
                if refused is not None:
                    raise refused
                return True
            namespace = db.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
            if namespace:
                allowed = db.execute("SELECT has_schema_privilege(%s, 'CREATE')", (schema,))
                where = f"schema {schema}"
            else:
                allowed = db.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
                where = "this database"
            row = allowed.fetchone()
            if not (row and row[0]):
                raise StoreUnusable(
                    f"{_location(dsn, schema)}: the tables do not exist yet and this user "
                    f"may not create them (no CREATE privilege on {where})"
                )
            return False
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL store: {_one_line(exc)}") from exc


class PostgresStore(Store):
    def __init__(
        self, dsn: str, *, schema: str = DEFAULT_SCHEMA, connect_timeout: int = 10
    ) -> None:
        if not _SCHEMA_NAME.match(schema):
            raise StoreUnusable(f"postgres store: bad schema name {schema!r}")
        super().__init__(_location(dsn, schema))
        self.dsn = dsn
        self.schema = schema
        self.connect_timeout = connect_timeout
        self._connect_timeout = connect_timeout
        self.answer_wait: float = connect_timeout
        """Seconds a transaction is waited for before its connection is cut
        (`_Deadline`): as long as a connection, 10 s, or less while the daemon's store
        fails (`patience`)."""
        self._deadline: _Deadline | None = None
        """The bound of the transaction under way (`_migrate` lengthens it)."""
        self._server_ms: int | None = None
        """The server's bound on each statement and lock wait of the session (`_bound`),
        None until set on the connection."""
        self._bound_now: float = 0
        """The client's wait the server's bounds in force derive from (s)."""
        self._lock = threading.RLock()
        self._bumped: tuple[int, int] | None = None
        """The revision the transaction under way wrote (see `wrote_revision`)."""
        self._db: psycopg.Connection[tuple[Any, ...]] | None = None
        self._claim: psycopg.Connection[tuple[Any, ...]] | None = None
        """The session that holds `claim`'s advisory lock, while this daemon runs."""
        self._claimed_as: tuple[str | None] | None = None
        """The host `claim` took the store for (`keep_claim` takes it again)."""
        self._lost_session: tuple[int, float] | None = None
        """The server's pid of the claim's session `keep_claim` gave up (cut when it did
        not answer): until the server ends it, it still holds the claim, ours."""
        self._migrate()

    # -- plumbing -----------------------------------------------------------------------

    def _q(self, text: str) -> sql.Composed:
        """A statement with our schema's name quoted in: the only thing ever composed."""
        return sql.SQL(text).format(schema=sql.Identifier(self.schema))

    def patience(self, seconds: float | None) -> None:
        """The wait for a connection (libpq waits 2 s at the least; a URL's own
        ``connect_timeout`` wins), and for a transaction's answers (as long)."""
        wait = self._connect_timeout if seconds is None else max(2, math.ceil(seconds))
        self.connect_timeout = wait
        self.answer_wait = wait

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._db is None or self._db.closed or self._db.broken:
            self._db = _connect(self.dsn, self.connect_timeout)
            # Read what Python may not hold as text; the checks in `stored` judge it.
            self._db.adapters.register_loader("timestamptz", _TimeOrText)
            self._db.adapters.register_loader("jsonb", TextLoader)
            self._server_ms = None
        return self._db

    def _bound(self, db: psycopg.Connection[tuple[Any, ...]]) -> None:
        """Have the server bound our session's statements and lock waits a little below
        the client's wait (`SERVER_SHARE`), and its idle time in a transaction
        (`IDLE_IN_TRANSACTION_ENDS`): one round trip, when the wait changed."""
        wanted = _server_wait(self.answer_wait)
        if self._server_ms != wanted:
            db.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false)",
                (
                    str(wanted),
                    str(_server_wait(self.answer_wait, lock=True)),
                    str(IDLE_IN_TRANSACTION_ENDS * 1000),
                ),
            )
            self._server_ms = wanted
        self._bound_now = self.answer_wait

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        with self._lock:
            db = self._connection()
            self._bumped = None
            outer = self._deadline
            try:
                with _answering(db, self.answer_wait, self.location) as self._deadline:
                    self._bound(db)
                    with db.transaction():
                        yield db
            except psycopg.Error as exc:
                raise StoreError(self._failed(exc)) from exc
            finally:
                self._deadline = outer
            # Committed: a revision this transaction wrote is this object's own.
            if self._bumped is not None:
                self.wrote_revision(*self._bumped)

    def _failed(self, exc: psycopg.Error) -> str:
        """The one line of a transaction that failed: the server's bounds (`_bound`)
        named for what they mean."""
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            waited = f"{_server_wait(self._bound_now, lock=True) / 1000:g} s"
            return (
                f"PostgreSQL store: {self.location}: waited {waited} for a lock held by "
                "another session (lock_timeout); nothing changed"
            )
        if isinstance(exc, psycopg.errors.QueryCanceled):
            waited = f"{_server_wait(self._bound_now) / 1000:g} s"
            return (
                f"PostgreSQL store: {self.location}: a statement ran {waited}, the longest "
                "the server lets it (statement_timeout); nothing changed"
            )
        return f"PostgreSQL store: {_one_line(exc)}"

    def _longer(self, seconds: float = MIGRATION_WAIT) -> None:
        """Wait `seconds` for the transaction under way, on both sides (`_migrate`, the
        maintenance calls)."""
        if self._deadline is not None and self._db is not None:
            wait = max(seconds, self.answer_wait)
            self._deadline.extend(wait)
            self._bound_now = wait
            self._db.execute(
                "SELECT set_config('statement_timeout', %s, true),"
                " set_config('lock_timeout', %s, true)",
                (str(_server_wait(wait)), str(_server_wait(wait, lock=True))),
            )

    def _migrate(self) -> None:
        with self._tx() as db:
            got = db.execute("SELECT pg_try_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            if got.fetchone() != (True,):
                self._longer()  # another host creates or upgrades the store: wait for it
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            found = db.execute(_FIND_META, (self.schema,)).fetchone()
            if found:
                version = _version(db, self.schema)
                if version > SCHEMA_VERSION:
                    raise _newer(self.schema, version)
                _check_tables(db, self.dsn, self.schema, version)
                # Up to date: nothing is created (`mailwarden status` only reads); an
                # older version gets what it lacks, if this role may give it.
                refused = _not_upgradable(db, self.dsn, self.schema, version)
                if refused is not None:
                    raise refused
                if version < SCHEMA_VERSION:
                    self._longer()
                try:
                    with db.transaction():
                        for step in range(version + 1, SCHEMA_VERSION + 1):
                            for statement in MIGRATIONS[step]:
                                db.execute(self._q(statement))
                except psycopg.errors.InsufficientPrivilege as exc:
                    refused = _not_upgradable(
                        db, self.dsn, self.schema, version, why=_one_line(exc)
                    )
                    raise refused or StoreUnusable(_one_line(exc)) from exc
                return
            self._longer()
            for statement in SCHEMA:
                db.execute(self._q(statement))

    def _bump(self, db: psycopg.Connection[tuple[Any, ...]], ids: list[int]) -> None:
        """Move the revision on, and mark the ban rows `ids` as changed at the new one
        (`changed_bans`). Call it after the transaction's other changes to the bans."""
        # The row stays locked from here to the commit, so nobody moves it in between:
        # `_tx` notes the step as this object's own once the transaction commits.
        found = db.execute(
            self._q("SELECT value FROM {schema}.meta WHERE key = 'revision' FOR UPDATE")
        ).fetchone()
        # A lost revision is written again, and a damaged one (negative, near overflow)
        # starts again from 1: either way the other hosts see it change.
        row = db.execute(
            self._q(
                "INSERT INTO {schema}.meta AS m (key, value) VALUES ('revision', 1)"
                " ON CONFLICT (key) DO UPDATE SET value = CASE WHEN m.value >= 0"
                " AND m.value < %s THEN m.value + 1 ELSE 1 END RETURNING m.value"
            ),
            (stored.REVISION_LIMIT,),
        ).fetchone()
        if found is not None and row is not None and int(found[0]) + 1 == int(row[0]):
            self._bumped = (int(found[0]), int(row[0]))
        if row is None:
            return
        # Rows stamped past the revision now written (it started again from 1, or went
        # back) would be found by every `changed_bans` from here on: stamp them 0. A
        # reader whose revision went back reads every ban anyway.
        ahead = db.execute(self._q("SELECT max(changed) FROM {schema}.bans")).fetchone()
        if ahead is not None and ahead[0] is not None and int(ahead[0]) >= int(row[0]):
            db.execute(self._q(UNSTAMP_AHEAD), (int(row[0]),))
        if ids:
            db.execute(self._q(STAMP_CHANGED), (int(row[0]), ids))

    # -- bans -----------------------------------------------------------------------------

    def _record(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str,
        now: datetime | None,
        *,
        join: bool,
        ends: Callable[[int], datetime] | None = None,
        replace_reason: bool = False,
    ) -> tuple[BanRow, bool]:
        """`record_ban`, or with `join` `record_offence`: one transaction either way,
        under the table lock every writer of bans takes (on every host)."""
        source = Source(source)
        since, until = _moment(now), _moment(entry.expires)
        if until <= since:
            raise StoreError(f"a ban of {entry.network} that ends before it starts")
        reason, evidence = storable(entry.reason), storable(evidence)
        with self._tx() as db:
            db.execute(self._q("LOCK TABLE {schema}.bans IN SHARE ROW EXCLUSIVE MODE"))
            old = db.execute(
                self._q(
                    "SELECT id, until, offences, source FROM {schema}.bans"
                    " WHERE network = %s AND state = 'active'"
                ),
                (entry.network,),
            ).fetchone()
            old_until = stored.good_until(old[1]) if old is not None else None
            if join and old is not None and old_until is not None and old_until > since:
                # In force: the same incident. Lengthened in place when ours ends later
                # (as long as its own offence's ban), no offence counted; its reason
                # kept unless ours replaces it.
                if ends is not None:
                    until = _moment(ends(old[2] if old[2] and old[2] > 0 else 1))
                # An admin's ban makes the one in force manual (never the other way).
                manual = source is Source.MANUAL and old[3] != Source.MANUAL.value
                row = db.execute(
                    self._q(UPDATE_BAN),
                    (
                        max(until, old_until),
                        reason if replace_reason else None,
                        Source.MANUAL.value if manual else None,
                        old[0],
                    ),
                ).fetchone()
                if until > old_until or replace_reason or manual:
                    self._bump(db, [old[0]])
                joined = True
            else:
                count = db.execute(
                    self._q("SELECT count(*) FROM {schema}.bans WHERE network = %s"),
                    (entry.network,),
                ).fetchone()
                offences = (count[0] if count else 0) + 1
                if ends is not None:
                    until = max(since + timedelta(seconds=1), _moment(ends(offences)))
                if old is not None:
                    if old_until is not None:
                        until = max(until, old_until)
                    db.execute(
                        self._q(
                            "UPDATE {schema}.bans SET state = 'superseded', ended = %s,"
                            " end_reason = 'banned again' WHERE id = %s"
                        ),
                        (since, old[0]),
                    )
                row = db.execute(
                    self._q(INSERT_BAN),
                    (entry.network, since, until, reason, evidence, source.value, offences),
                ).fetchone()
                assert row is not None
                self._bump(db, [row[0]] if old is None else [old[0], row[0]])
                joined = False
        assert row is not None
        return stored.recorded(self, row), not joined

    def extend_ban(
        self,
        network: IPNetwork,
        until: datetime,
        reason: str | None = None,
        now: datetime | None = None,
        source: Source | str | None = None,
    ) -> BanRow | None:
        moment, end = _moment(now), _moment(until)
        made = None if source is None else Source(source).value
        with self._tx() as db:
            db.execute(self._q("LOCK TABLE {schema}.bans IN SHARE ROW EXCLUSIVE MODE"))
            old = db.execute(
                self._q(
                    "SELECT id, until FROM {schema}.bans WHERE network = %s AND state = 'active'"
                ),
                (network,),
            ).fetchone()
            old_until = stored.good_until(old[1]) if old is not None else None
            if old is None or old_until is None or old_until <= moment:
                return None  # none in force (a damaged end is superseded by a new ban)
            row = db.execute(
                self._q(UPDATE_BAN),
                (
                    max(end, old_until),
                    None if reason is None else storable(reason),
                    made,
                    old[0],
                ),
            ).fetchone()
            self._bump(db, [old[0]])
        assert row is not None
        return stored.recorded(self, row)

    def lift_ban(self, network: IPNetwork, reason: str, now: datetime | None = None) -> bool:
        with self._tx() as db:
            ids = db.execute(
                self._q(
                    "UPDATE {schema}.bans SET state = 'lifted', ended = %s, end_reason = %s"
                    " WHERE network = %s AND state = 'active' RETURNING id"
                ),
                (_moment(now), storable(reason), network),
            ).fetchall()
            if ids:
                self._bump(db, [row[0] for row in ids])
        return bool(ids)

    def lifted(self, since: datetime) -> list[BanRow]:
        with self._tx() as db:
            rows = db.execute(self._q(SELECT_LIFTED), (_moment(since),)).fetchall()
        return stored.bans(self, rows)

    def active_bans(self, now: datetime | None = None) -> list[BanRow]:
        with self._tx() as db:
            rows = db.execute(
                self._q(SELECT_ACTIVE),
                (_moment(now),),
            ).fetchall()
        return stored.bans(self, rows)

    def covering_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        wider = wider_networks(network)
        if not wider:
            return []
        with self._tx() as db:
            # Exact networks (the index on the network), not ``network >>``: no index
            # of ours serves containment.
            rows = db.execute(self._q(SELECT_COVERING), (_moment(now), wider)).fetchall()
        return stored.bans(self, rows)

    def inside_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        if network.prefixlen == network.max_prefixlen:
            return []
        with self._tx() as db:
            # ``<<`` (strictly inside) on a btree index of cidr: the planner reads it as
            # a range of the index.
            rows = db.execute(self._q(SELECT_INSIDE), (_moment(now), network)).fetchall()
        return [row for row in stored.bans(self, rows) if narrower(row.network, network)]

    def changed_bans(self, after: int, now: datetime | None = None) -> BanChanges:
        with self._tx() as db:
            rows = db.execute(self._q(SELECT_CHANGED), (_moment(now), after)).fetchall()
        return stored.changes(self, rows)

    def expire(self, now: datetime | None = None) -> list[IPNetwork]:
        with self._tx() as db:
            rows = db.execute(
                self._q(
                    "UPDATE {schema}.bans SET state = 'expired', ended = until,"
                    " end_reason = 'expired' WHERE state = 'active' AND until <= %s"
                    " RETURNING id, network"
                ),
                (_moment(now),),
            ).fetchall()
            if rows:
                self._bump(db, [row[0] for row in rows])
        return stored.networks(self, rows)

    def offences(self, network: IPNetwork, since: datetime | None = None) -> int:
        start = _moment(since) if since is not None else datetime.fromtimestamp(0, UTC)
        with self._tx() as db:
            row = db.execute(
                self._q("SELECT count(*) FROM {schema}.bans WHERE network = %s AND since >= %s"),
                (network, start),
            ).fetchone()
        return int(row[0]) if row else 0

    def history(self, limit: int = 100, network: IPNetwork | None = None) -> list[BanRow]:
        with self._tx() as db:
            self._longer(MAINTENANCE_WAIT)
            if network is None:
                cursor = db.execute(
                    self._q(SELECT_LATEST),
                    (limit,),
                )
            else:
                cursor = db.execute(
                    self._q(SELECT_LATEST_OF),
                    (network, limit),
                )
            rows = cursor.fetchall()
        return stored.bans(self, rows)

    def lasting_bans(self, network: IPNetwork, start: datetime, end: datetime) -> list[BanRow]:
        networks = [network, *wider_networks(network)]
        bound = (networks, _moment(start), network, _moment(end))
        with self._tx() as db:
            rows = db.execute(self._q(SELECT_LASTING), bound).fetchall()
        return sorted(stored.bans(self, rows), key=lambda row: row.id, reverse=True)

    def prune(self, before: datetime) -> int:
        with self._tx() as db:
            self._longer(MAINTENANCE_WAIT)
            cursor = db.execute(
                self._q("DELETE FROM {schema}.bans WHERE state != 'active' AND ended < %s"),
                (_moment(before),),
            )
            return cursor.rowcount

    # -- owners' logins -------------------------------------------------------------------

    def remember_owners(self, logins: Iterable[tuple[IPNetwork, str, datetime]]) -> None:
        latest: dict[tuple[str, str], tuple[IPNetwork, datetime]] = {}
        for net, account, when in logins:
            moment = _moment(when)
            key = (str(net), storable(account))
            if key not in latest or latest[key][1] < moment:
                latest[key] = (net, moment)
        if not latest:
            return
        # In one order on every host: two hosts writing the same rows wait, never deadlock.
        rows = [(net, key[1], moment) for key, (net, moment) in sorted(latest.items())]
        with self._tx() as db:
            with db.cursor() as cursor:
                cursor.executemany(
                    self._q(
                        "INSERT INTO {schema}.owners AS o (network, account, last)"
                        " VALUES (%s, %s, %s) ON CONFLICT (network, account)"
                        " DO UPDATE SET last = greatest(o.last, excluded.last)"
                    ),
                    rows,
                )
            for net in sorted({row[0] for row in rows}, key=str):
                db.execute(
                    self._q(
                        "DELETE FROM {schema}.owners WHERE network = %s AND account NOT IN"
                        " (SELECT account FROM {schema}.owners WHERE network = %s"
                        " ORDER BY last DESC LIMIT %s)"
                    ),
                    (net, net, MAX_OWNER_ACCOUNTS),
                )

    def owners(self, since: datetime, limit: int) -> list[OwnerRow]:
        with self._tx() as db:
            rows = db.execute(
                self._q(
                    "SELECT network, account, last FROM (SELECT network, account, last"
                    " FROM {schema}.owners WHERE last >= %s ORDER BY last DESC LIMIT %s) o"
                    " ORDER BY last"
                ),
                (_moment(since), limit),
            ).fetchall()
        return stored.owners(self, rows)

    def forget_owners(self, before: datetime, keep: int) -> int:
        with self._tx() as db:
            self._longer(MAINTENANCE_WAIT)
            old = db.execute(
                self._q("DELETE FROM {schema}.owners WHERE last < %s"), (_moment(before),)
            ).rowcount
            more = db.execute(
                self._q(
                    "DELETE FROM {schema}.owners WHERE ctid IN (SELECT ctid FROM"
                    " {schema}.owners ORDER BY last DESC OFFSET %s)"
                ),
                (max(0, keep),),
            ).rowcount
        return old + more

    # -- positions and revision ---------------------------------------------------------

    def get_position(self, key: str) -> JSONValue:
        with self._tx() as db:
            rows = db.execute(
                self._q("SELECT value FROM {schema}.positions WHERE key = %s"), (key,)
            ).fetchall()
        return stored.one_position(self, key, rows)

    def set_position(self, key: str, value: JSONValue) -> None:
        text = stored.position_text(value)
        with self._tx() as db:
            db.execute(
                self._q(
                    "INSERT INTO {schema}.positions (key, value, updated)"
                    " VALUES (%s, %s::jsonb, %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                    " updated = excluded.updated"
                ),
                (key, text, _moment(None)),
            )

    def positions(self) -> dict[str, JSONValue]:
        with self._tx() as db:
            rows = db.execute(
                self._q("SELECT key, value FROM {schema}.positions ORDER BY key")
            ).fetchall()
        return stored.positions(self, rows)

    def revision(self) -> int:
        with self._tx() as db:
            rows = db.execute(
                self._q("SELECT value FROM {schema}.meta WHERE key = 'revision'")
            ).fetchall()
        return stored.current_revision(self, rows)

    # -- one daemon per host ---------------------------------------------------------------

    def _claim_key(self, host: str | None) -> tuple[int, int, int]:
        """The advisory lock of `claim` (this schema, this host) as a bigint, and as
        pg_locks shows it (classid, objid)."""
        digest = hashlib.blake2b(
            f"mailwarden\0{self.schema}\0{host or ''}".encode(), digest_size=8
        ).digest()
        key = int.from_bytes(digest, "big", signed=True)
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        return key, unsigned >> 32, unsigned & 0xFFFFFFFF

    def _holder(self, db: psycopg.Connection[Any], host: str | None, row: Any = None) -> str:
        """Who holds the advisory lock of `host`, as far as this role may see (`row`:
        what `_CLAIM_HOLDER` found already)."""
        if row is None:
            _, high, low = self._claim_key(host)
            row = db.execute(_CLAIM_HOLDER, (high, low)).fetchone()
        if row is None or row[0] is None:
            return "another PostgreSQL session"
        where = f" from {row[1]}" if row[1] else ""
        return f"PostgreSQL session {row[0]}{where}"

    def claim(self, host: str | None) -> None:
        """A session advisory lock keyed by this schema and `host`, on a connection of
        its own held until `close`. PostgreSQL drops it when that session ends: a
        daemon stopped or killed at once; a host that crashed, once the server finds
        its connection dead (the session asks for TCP keepalives: about a minute)."""
        if self._claim is not None:
            return
        key, high, low = self._claim_key(host)
        db = _connect(self.dsn, self.connect_timeout)
        try:
            with _answering(db, self.answer_wait, self.location):
                for setting, value in _KEEPALIVES:
                    db.execute("SELECT set_config(%s, %s, false)", (setting, value))
                row = db.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if not (row and row[0]):
                    holder = db.execute(_CLAIM_HOLDER, (high, low)).fetchone()
                    if self._still_ours(holder):
                        raise StoreError(
                            "PostgreSQL store: this daemon's last session, cut when it "
                            "stopped answering, still holds its claim on the server"
                        )
                    raise Claimed(self._holder(db, host, holder))
            self._claimed_as = (host,)
            self._lost_session = None
        except psycopg.Error as exc:
            db.close()
            raise StoreError(f"PostgreSQL store: {_one_line(exc)}") from exc
        except (Claimed, StoreError):
            db.close()
            raise
        self._claim = db

    def _still_ours(self, holder: Any) -> bool:
        """Is the claim's holder `holder` (a `_CLAIM_HOLDER` row) the session of ours
        that `keep_claim` cut a moment ago, not ended on the server yet?"""
        lost = self._lost_session
        if lost is None or holder is None or holder[0] is None:
            return False
        return bool(holder[0] == lost[0] and time.monotonic() < lost[1])

    def keep_claim(self) -> str | None:
        if self._claimed_as is None:
            return None
        if self._claim is not None:
            session = self._claim.info.backend_pid
            try:
                with _answering(self._claim, self.answer_wait, self.location):
                    self._claim.execute("SELECT 1")
                return None
            except StoreError:
                # Cut: the server may keep that session (and the claim) until it finds
                # it closed, at once when it answers again, after its keepalives (about
                # a minute) when the network to it is down.
                self._lost_session = (session, time.monotonic() + LOST_SESSION_ENDS)
                self._claim.close()
                self._claim = None
            except psycopg.Error:
                self._claim.close()
                self._claim = None
        try:
            self.claim(self._claimed_as[0])
        except Claimed as exc:
            return exc.holder
        except StoreError:
            return None  # unreachable: tried again at the next heartbeat
        return None

    def claimed(self, host: str | None) -> str | None:
        if self._claim is not None:
            return None
        _, high, low = self._claim_key(host)
        with self._tx() as db:
            row = db.execute(_CLAIM_HOLDER, (high, low)).fetchone()
            if row is None:
                return None
            return self._holder(db, host)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._claim is not None:
                self._claim.close()
                self._claim = None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
