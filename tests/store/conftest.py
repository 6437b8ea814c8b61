"""Stores to test: a fresh SQLite file, and a fresh schema on the local PostgreSQL.

The PostgreSQL tests use ``MAILWARDEN_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``), each test in its own schema, dropped
afterwards; they are skipped, saying why, only when the server cannot be reached. A
test that runs the command line or the daemon as a user does (the store's URL in the
configuration, the default schema) gets a database of its own (`pg_database`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from storelab import POSTGRES_DSN

from mailwarden.store.interface import Store
from mailwarden.store.sqlite import SqliteStore

Opener = Callable[[], Store]


def postgres_or_skip() -> None:
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"PostgreSQL at {POSTGRES_DSN} is unreachable: {first}")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    postgres_or_skip()
    import psycopg
    from psycopg import sql

    schema = "mw_test_" + secrets.token_hex(4)
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards."""
    postgres_or_skip()
    import psycopg
    from psycopg import sql

    name = "mw_test_" + secrets.token_hex(4)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(POSTGRES_DSN)._replace(path="/" + name))
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            db.execute(sql.SQL(drop).format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function that opens (another connection to) one fresh store."""
    opened: list[Store] = []
    if request.param == "sqlite":
        path = tmp_path / "state" / "mailwarden.db"

        def opener() -> Store:
            opened.append(SqliteStore(path))
            return opened[-1]
    else:
        schema = request.getfixturevalue("pg_schema")
        from mailwarden.store.postgres import PostgresStore

        def opener() -> Store:
            opened.append(PostgresStore(POSTGRES_DSN, schema=schema))
            return opened[-1]

    try:
        yield opener
    finally:
        for store in opened:
            store.close()


@pytest.fixture
def store(open_store: Opener) -> Store:
    return open_store()
