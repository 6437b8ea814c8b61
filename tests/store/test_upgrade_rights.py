"""A fleet's role that may read and write the rows of a shared PostgreSQL store, but not
alter its tables, cannot bring a store an older mailwarden wrote up to date (schema 3
adds a column and an index: only the tables' owner may). ``run --check``, the daemon
and ``status`` then say so in one line, naming the role that may; once that role has
opened the store, the fleet's role works on it."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from storelab import cli

from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import StoreUnusable

net = ipaddress.ip_network
OLD = net("203.0.113.7/32")
NEW = net("2001:db8:77::/48")


def admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)


@pytest.fixture
def fleet(pg_database: str) -> Iterator[tuple[str, str]]:
    """A schema 2 store owned by the test server's user, and the URL of a new role with
    only the rights to read and write its rows (dropped afterwards)."""
    from mailwarden.store.postgres import PostgresStore

    with PostgresStore(pg_database) as store:
        store.record_ban(
            BanEntry(OLD, datetime.now(UTC) + timedelta(days=1), "bruteforce"), "3 failures"
        )
    admin(  # as mailwarden before the `changed` column left it
        pg_database,
        "ALTER TABLE mailwarden.bans DROP COLUMN changed",
        "UPDATE mailwarden.meta SET value = 2 WHERE key = 'schema_version'",
    )
    role = "mw_fleet_" + secrets.token_hex(4)
    admin(
        pg_database,
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA mailwarden TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mailwarden TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA mailwarden TO {role}",
    )
    host = urlsplit(pg_database).netloc.rpartition("@")[2]
    try:
        yield role, urlunsplit(urlsplit(pg_database)._replace(netloc=f"{role}@{host}"))
    finally:
        admin(pg_database, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_a_role_that_may_not_upgrade_the_store_is_told_who_may(
    fleet: tuple[str, str], pg_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailwarden.store.postgres import PostgresStore, probe

    role, url = fleet
    owner = urlsplit(pg_database).username
    where = f"postgresql://127.0.0.1/{pg_database.rsplit('/', 1)[1]} (schema mailwarden)"
    said = (
        f"{where}: the store needs upgrading to schema 3 (an older mailwarden wrote schema 2)"
        f" and only the owner of its tables may do it, which role {role} is not: open it "
        f"once as {owner}, the role that owns them (mailwarden status with a store.path "
        f"that connects as {owner}), then try again"
    )
    # `run --check` said "ready to run"; the start then failed on "must be owner".
    code, err, out, config = cli(capsys, tmp_path, url, "run", "--check")
    assert (code, err) == (2, [f"mailwarden: error: {config}: store.path: {said}"]), out
    with pytest.raises(StoreUnusable) as refused:
        PostgresStore(url)
    assert str(refused.value) == said
    with pytest.raises(StoreUnusable):
        probe(url)

    # The owner opens it once (status only reads, but brings it up to date) ...
    code, err, out, _ = cli(capsys, tmp_path, pg_database, "status")
    assert code == 0, err
    # ... and the fleet's role works on it, a ban included.
    code, err, out, _ = cli(capsys, tmp_path, url, "run", "--check")
    assert code == 0 and out.strip().endswith("ready to run"), (err, out)
    with PostgresStore(url) as store:
        seen = store.revision()
        store.record_ban(
            BanEntry(NEW, datetime.now(UTC) + timedelta(days=1), "bruteforce"), "3 failures"
        )
        assert store.changed_bans(seen).networks == {NEW}
        assert {row.network for row in store.active_bans()} == {OLD, NEW}
