"""A store written before each ban row remembered the revision of its last change
(schema 2) gets the column when it is opened, its bans kept; what changes from then on
is found by `changed_bans`, and a damaged row among the changes is named, not raised."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storelab import POSTGRES_DSN

from mailwarden.enforce.interface import BanEntry
from mailwarden.store.interface import Store
from mailwarden.store.rows import REVISION_LIMIT
from mailwarden.store.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA
from mailwarden.store.sqlite import SqliteStore, probe

net = ipaddress.ip_network
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
OLD = net("203.0.113.7/32")
NEW = net("2001:db8:77::/48")


def ban(store: Store, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> None:
    store.record_ban(BanEntry(network, T0 + H, "bruteforce"), "3 failures", now=T0)


def check_changes_after_the_upgrade(store: Store, other: Store) -> None:
    """The old ban is in force; a ban made after the upgrade is found, the old one not."""
    assert [row.network for row in store.active_bans(T0)] == [OLD]
    seen = store.revision()
    ban(other, NEW)
    found = store.changed_bans(seen, T0)
    assert found.networks == {NEW}
    assert [row.network for row in found.active] == [NEW]
    assert other.lift_ban(OLD, "ok", now=T0)
    assert store.changed_bans(seen, T0).networks == {OLD, NEW}


def test_a_schema_2_sqlite_store_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        ban(store, OLD)
    with sqlite3.connect(path) as db:  # as mailwarden before this column left it
        db.execute("DROP INDEX bans_changed")
        db.execute("ALTER TABLE bans DROP COLUMN changed")
        db.execute("PRAGMA user_version = 2")
    db.close()
    assert probe(path) is True  # the check accepts it: opening brings it up to date
    with SqliteStore(path) as store, SqliteStore(path) as other:
        check_changes_after_the_upgrade(store, other)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA == 3
        indexes = [row[1] for row in db.execute("PRAGMA index_list(bans)")]
    db.close()
    assert "bans_changed" in indexes


def test_a_schema_2_postgres_store_gets_the_column(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from mailwarden.store.postgres import SCHEMA_VERSION as POSTGRES_SCHEMA
    from mailwarden.store.postgres import PostgresStore
    from mailwarden.store.postgres import probe as probe_postgres

    with PostgresStore(POSTGRES_DSN, schema=pg_schema) as store:
        ban(store, OLD)
    name = sql.Identifier(pg_schema)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        db.execute(sql.SQL("ALTER TABLE {}.bans DROP COLUMN changed").format(name))
        db.execute(
            sql.SQL("UPDATE {}.meta SET value = 2 WHERE key = 'schema_version'").format(name)
        )
    assert probe_postgres(POSTGRES_DSN, schema=pg_schema) is True
    with (
        PostgresStore(POSTGRES_DSN, schema=pg_schema) as store,
        PostgresStore(POSTGRES_DSN, schema=pg_schema) as other,
    ):
        check_changes_after_the_upgrade(store, other)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        version = db.execute(
            sql.SQL("SELECT value FROM {}.meta WHERE key = 'schema_version'").format(name)
        ).fetchone()
        index = db.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'bans_changed'",
            (pg_schema,),
        ).fetchone()
    assert version == (POSTGRES_SCHEMA,) == (3,) and index == (1,)


def test_a_damaged_row_among_the_changes_is_named_and_left_out(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store, SqliteStore(path) as other:
        seen = store.revision()
        ban(other, OLD)
        ban(other, NEW)
        with sqlite3.connect(path) as db:  # edited by hand
            db.execute("UPDATE bans SET until = 'soon' WHERE network = ?", (str(NEW),))
            db.execute(
                "INSERT INTO bans (network, since, until, reason, evidence, source, offences,"
                " state, changed) VALUES ('not-a-net', 0, 1, '', '', 'auto', 1, 'lifted', 99)"
            )
        db.close()
        found = store.changed_bans(seen, T0)
        assert found.networks == {OLD, NEW}  # NEW changed, its ban unreadable: none in force
        assert [row.network for row in found.active] == [OLD]
        assert sorted(store.damage()) == [
            "ban 2: until 'soon' is not a time",
            "ban 3: network 'not-a-net' is not a network",
        ]


def set_revision(store: Store, value: int | None) -> None:
    """Write the stored revision by hand (None: delete it), as damage or a restore would."""
    if isinstance(store, SqliteStore):
        db = sqlite3.connect(store.path)
        with db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = 'revision'")
            else:
                db.execute("UPDATE meta SET value = ? WHERE key = 'revision'", (value,))
        db.close()
        return
    import psycopg
    from psycopg import sql

    from mailwarden.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.dsn, autocommit=True) as pg:
        name = sql.Identifier(store.schema)
        if value is None:
            pg.execute(sql.SQL("DELETE FROM {}.meta WHERE key = 'revision'").format(name))
        else:
            pg.execute(
                sql.SQL("UPDATE {}.meta SET value = %s WHERE key = 'revision'").format(name),
                (value,),
            )


Opener = Callable[[], Store]

HISTORY = [net(f"198.51.100.{i}/32") for i in range(6)]
LATER = [net("203.0.113.1/32"), net("203.0.113.2/32")]


@pytest.mark.parametrize(
    "damage", [-5, None, REVISION_LIMIT - 1], ids=["damaged", "lost", "wrapping"]
)
def test_after_the_revision_starts_again_only_new_changes_are_read(
    open_store: Opener, damage: int | None
) -> None:
    """Old rows keep no stamp past the revision written again: a ``mailwarden ban``
    afterwards costs the daemon the changed networks, not every ban in the history."""
    store, other = open_store(), open_store()
    for network in HISTORY:
        ban(other, network)
    other.lift_ban(HISTORY[0], "ok", now=T0)
    set_revision(store, damage)
    if damage == REVISION_LIMIT - 1:
        ban(other, net("192.0.2.9/32"))  # writes the limit: read as damaged (0)
    assert store.revision() == 0
    ban(other, LATER[0])
    assert store.revision() == 1
    assert store.changed_bans(0, T0).networks == {LATER[0]}
    ban(other, LATER[1])
    assert store.changed_bans(1, T0).networks == {LATER[1]}
    assert store.changed_bans(0, T0).networks == set(LATER)
    # Every ban is still there for a reader that reads them all.
    assert {row.network for row in store.active_bans(T0)} >= {*HISTORY[1:], *LATER}
