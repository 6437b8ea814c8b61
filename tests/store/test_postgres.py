"""The PostgreSQL store: a fleet sharing bans (the common behaviour is in test_contract)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from storelab import POSTGRES_DSN

from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import StoreError, StoreUnusable

net = ipaddress.ip_network


@pytest.fixture
def fleet(pg_schema: str) -> Iterator[tuple[object, object]]:
    from mailwarden.store.postgres import PostgresStore

    mx1 = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    mx2 = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    try:
        yield mx1, mx2
    finally:
        mx1.close()
        mx2.close()


def entry(network: str, hours: float = 1) -> BanEntry:
    return BanEntry(net(network), datetime.now(UTC) + timedelta(hours=hours), "bruteforce")


def test_one_servers_ban_reaches_the_others(fleet: tuple[object, object]) -> None:
    from mailwarden.store.postgres import PostgresStore

    mx1, mx2 = fleet
    assert isinstance(mx1, PostgresStore) and isinstance(mx2, PostgresStore)
    seen = mx2.revision()
    mx1.record_ban(entry("192.0.2.7/32"), "evidence from mx1")
    assert mx2.revision() != seen
    assert [r.evidence for r in mx2.active_bans()] == ["evidence from mx1"]


def test_concurrent_bans_of_one_network_leave_one_active(fleet: tuple[object, object]) -> None:
    from mailwarden.store.postgres import PostgresStore

    mx1, mx2 = fleet
    assert isinstance(mx1, PostgresStore) and isinstance(mx2, PostgresStore)
    errors: list[BaseException] = []

    def hammer(store: PostgresStore) -> None:
        try:
            for _ in range(20):
                store.record_ban(entry("2001:db8::66/128"), "x")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(s,)) for s in (mx1, mx2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(mx1.active_bans()) == 1
    assert mx1.offences(net("2001:db8::66/128")) == 40
    assert sorted(r.offences for r in mx1.history(limit=100)) == list(range(1, 41))


def test_schemas_are_separate(pg_schema: str) -> None:
    from mailwarden.store.postgres import PostgresStore

    with PostgresStore(POSTGRES_DSN, schema=pg_schema) as one:
        one.record_ban(entry("192.0.2.7/32"), "")
        other_name = pg_schema + "_b"
        try:
            with PostgresStore(POSTGRES_DSN, schema=other_name) as other:
                assert other.active_bans() == []
        finally:
            import psycopg
            from psycopg import sql

            with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
                db.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(other_name)))


def test_a_lost_connection_is_reopened(pg_schema: str) -> None:
    import psycopg

    from mailwarden.store.postgres import PostgresStore

    with PostgresStore(POSTGRES_DSN, schema=pg_schema) as store:
        store.record_ban(entry("192.0.2.7/32"), "")
        assert store._db is not None
        pid = store._db.info.backend_pid
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError):
            store.active_bans()  # this call finds the connection dead ...
        assert len(store.active_bans()) == 1  # ... the next one reconnects


def test_bad_names_and_unreachable_servers_are_clear_errors(pg_schema: str) -> None:
    from mailwarden.store.postgres import PostgresStore

    with pytest.raises(StoreError, match="bad schema name"):
        PostgresStore(POSTGRES_DSN, schema='x"; DROP SCHEMA public; --')
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        PostgresStore("postgresql://postgres@127.0.0.1:1/test", connect_timeout=2)


# -- probe: what `mailwarden run --check` reads --------------------------------------------


def schema_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        found = db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,))
        return found.fetchone() is not None


def test_probe_creates_nothing_and_refuses_a_newer_schema(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from mailwarden.store.postgres import PostgresStore, probe

    assert probe(POSTGRES_DSN, schema=pg_schema) is False
    assert not schema_exists(pg_schema)
    PostgresStore(POSTGRES_DSN, schema=pg_schema).close()
    assert probe(POSTGRES_DSN, schema=pg_schema) is True
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        db.execute(
            sql.SQL("UPDATE {}.meta SET value = 9 WHERE key = 'schema_version'").format(
                sql.Identifier(pg_schema)
            )
        )
    with pytest.raises(StoreUnusable, match=r"newer mailwarden \(schema 9, this one knows 3\)"):
        probe(POSTGRES_DSN, schema=pg_schema)
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        probe("postgresql://postgres@127.0.0.1:1/test", connect_timeout=2)


def test_probe_refuses_a_user_who_may_not_create_the_tables(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from mailwarden.store.postgres import probe

    role = pg_schema  # a new role, with no privilege on the database
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        host = urlsplit(POSTGRES_DSN).netloc.rpartition("@")[2]
        dsn = urlunsplit(urlsplit(POSTGRES_DSN)._replace(netloc=f"{role}@{host}"))
        with pytest.raises(StoreUnusable, match="no CREATE privilege on this database"):
            probe(dsn)
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
            db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
