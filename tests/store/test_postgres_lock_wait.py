"""A PostgreSQL server that answers but makes a call wait for a lock another session
holds (another host's daemon paused mid-transaction, an operator's LOCK TABLE) is no
server that hangs: the server itself ends the wait a little before the client would cut
the connection, the call fails saying so, and no backend of ours is left waiting on
the server (a fleet retrying every 10 s would otherwise pile them up to
max_connections). Maintenance (prune) is let wait longer. A real second connection
holds the lock here, no mock."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql
from storelab import POSTGRES_DSN

from mailwarden.enforce import BanEntry
from mailwarden.errors import StoreError


def _entry(last: int) -> BanEntry:
    return BanEntry(
        ipaddress.ip_network(f"203.0.113.{last}/32"),
        datetime.now(UTC) + timedelta(hours=1),
        "test",
    )


@pytest.fixture
def store(pg_schema: str) -> Iterator[Any]:
    from mailwarden.store.postgres import PostgresStore

    found = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    try:
        yield found
    finally:
        found.close()


def _hold_lock(schema: str) -> psycopg.Connection[Any]:
    """Another session, in a transaction that holds the bans table's writers' lock."""
    holder = psycopg.connect(POSTGRES_DSN)
    holder.execute(
        sql.SQL("LOCK TABLE {}.bans IN SHARE ROW EXCLUSIVE MODE").format(sql.Identifier(schema))
    )
    return holder


def _waiting(pids: set[int]) -> list[int]:
    """Which of the backends `pids` are still on the server, waiting for a lock."""
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = ANY(%s)",
            (list(pids),),
        ).fetchall()
    return [row[0] for row in rows]


def _none_left_waiting(pids: set[int]) -> list[int]:
    """Waits up to 2 s for the backends `pids` to stop waiting; those still waiting."""
    until = time.monotonic() + 2
    left = _waiting(pids)
    while left and time.monotonic() < until:
        time.sleep(0.1)
        left = _waiting(pids)
    return left


def test_a_lock_held_elsewhere_fails_the_call_as_a_lock_wait_and_frees_its_backend(
    store: Any, pg_schema: str
) -> None:
    store.patience(1.0)  # the daemon's retry while its store fails: 2 s
    store.active_bans()
    holder = _hold_lock(pg_schema)
    try:
        pids: set[int] = set()
        for last in (1, 2, 3):
            began = time.monotonic()
            with pytest.raises(StoreError) as failed:
                store.record_ban(_entry(last), "evidence", "manual")
            took = time.monotonic() - began
            message = " ".join(str(failed.value).split())
            assert "waited 1.4 s for a lock held by another session" in message, message
            assert "hangs" not in message
            assert took < 2.0
            if store._db is not None and not store._db.closed:
                pids.add(store._db.info.backend_pid)
        assert _none_left_waiting(pids) == []
        # The connection is still good: nothing was cut, no new one needed.
        assert len(pids) == 1
    finally:
        holder.rollback()
        holder.close()
    store.record_ban(_entry(1), "evidence", "manual")
    assert [str(row.network) for row in store.active_bans()] == ["203.0.113.1/32"]


def _cut_leaves_no_backend_waiting(
    store: Any, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the server's own bounds past the client's wait, a call waiting on a lock held
    elsewhere is cut by the client in 2 s, and its backend is left waiting no more."""
    from mailwarden.store import postgres

    monkeypatch.setattr(postgres, "SERVER_SHARE", 30.0, raising=False)
    monkeypatch.setattr(postgres, "LOCK_SHARE", 30.0, raising=False)
    store.patience(1.0)
    store.active_bans()
    holder = _hold_lock(pg_schema)
    try:
        pid = store._connection().info.backend_pid
        began = time.monotonic()
        with pytest.raises(StoreError, match="no answer in 2 s"):
            store.record_ban(_entry(1), "evidence", "manual")
        assert time.monotonic() - began < 3
        assert _none_left_waiting({pid}) == []
    finally:
        holder.rollback()
        holder.close()


def test_a_connection_cut_by_the_client_cancels_its_statement_on_the_server(
    store: Any, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's cut (`_Deadline`) when the server's own bounds did not end the wait
    first: a cancel request stops the backend, which closing the socket does not."""
    _cut_leaves_no_backend_waiting(store, pg_schema, monkeypatch)


class _OldLibpq:
    """A connection's pgconn as with libpq before 17 or psycopg 3.1: no ``cancel_conn``."""

    def __init__(self, pgconn: Any) -> None:
        self._pgconn = pgconn

    def cancel_conn(self) -> Any:
        raise psycopg.NotSupportedError("cancel_conn requires libpq 17")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pgconn, name)


def test_with_an_older_libpq_the_cut_still_cancels_its_statement_on_the_server(
    store: Any, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancel request of libpq before 17 (``PQcancel``) when the newer one is not
    to be had: the backend stops all the same (it was left waiting, silently)."""
    from types import SimpleNamespace

    from mailwarden.store import postgres

    made = postgres._Deadline.__init__

    def old_libpq(deadline: Any, db: Any, seconds: float) -> None:
        made(deadline, db, seconds)
        deadline._db = SimpleNamespace(pgconn=_OldLibpq(db.pgconn))

    monkeypatch.setattr(postgres._Deadline, "__init__", old_libpq)
    _cut_leaves_no_backend_waiting(store, pg_schema, monkeypatch)


def test_the_server_ends_a_session_of_ours_left_idle_in_a_transaction(store: Any) -> None:
    store.active_bans()
    assert store._db.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("30s",)


def test_a_prune_waits_longer_than_a_call_for_a_lock(store: Any, pg_schema: str) -> None:
    store.patience(1.0)  # 2 s for an ordinary call
    store.active_bans()
    holder = _hold_lock(pg_schema)
    release = threading.Timer(3.5, holder.rollback)
    release.start()
    try:
        began = time.monotonic()
        assert store.prune(datetime.now(UTC)) == 0
        assert time.monotonic() - began > 3
    finally:
        release.join()
        holder.close()
    # Its longer bounds were for that transaction only.
    with pytest.raises(StoreError, match=r"waited 1\.4 s for a lock"):
        holder = _hold_lock(pg_schema)
        try:
            store.record_ban(_entry(1), "evidence", "manual")
        finally:
            holder.rollback()
            holder.close()
