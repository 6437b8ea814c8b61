"""The owners' logins every store keeps (SQLite and PostgreSQL alike): which accounts
logged in from which address, and when last; bounded per network and in all, forgotten
when old; and a store an older mailwarden wrote (schema 1) gets the table when opened,
its bans kept."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storelab import POSTGRES_DSN

from mailwarden.detect.state import MAX_USERS_PER_OWNER
from mailwarden.enforce.interface import BanEntry
from mailwarden.store.interface import MAX_OWNER_ACCOUNTS, Store
from mailwarden.store.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA
from mailwarden.store.sqlite import SqliteStore, probe

net = ipaddress.ip_network
Opener = Callable[[], Store]
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
OFFICE = net("203.0.113.7/32")
HOME = net("2001:db8:77:1::/64")


def listed(store: Store, since: datetime = T0 - 1000 * H, limit: int = 10_000) -> list[tuple]:
    return [(str(row.network), row.account, row.last) for row in store.owners(since, limit)]


def test_logins_round_trip_and_the_latest_time_stays(open_store: Opener) -> None:
    store = open_store()
    store.remember_owners([(OFFICE, "alice@example.org", T0), (HOME, "bob@example.org", T0 + H)])
    store.remember_owners([(OFFICE, "alice@example.org", T0 - H)])  # older: no change
    store.remember_owners([(OFFICE, "carol@example.org", T0 + 2 * H)])
    store.remember_owners([])
    again = open_store()  # another connection, another process
    assert listed(again) == [
        ("203.0.113.7/32", "alice@example.org", T0),
        ("2001:db8:77:1::/64", "bob@example.org", T0 + H),
        ("203.0.113.7/32", "carol@example.org", T0 + 2 * H),
    ]
    store.remember_owners([(OFFICE, "alice@example.org", T0 + 3 * H)])
    assert listed(again)[-1] == ("203.0.113.7/32", "alice@example.org", T0 + 3 * H)
    # the most recent within the limit, oldest first
    assert [row[1] for row in listed(again, limit=2)] == ["carol@example.org", "alice@example.org"]
    assert [row[1] for row in listed(again, since=T0 + 2 * H)] == [
        "carol@example.org",
        "alice@example.org",
    ]


def test_a_network_keeps_its_most_recent_accounts(open_store: Opener) -> None:
    assert MAX_OWNER_ACCOUNTS == MAX_USERS_PER_OWNER
    store = open_store()
    logins = [(OFFICE, f"user{n}@example.org", T0 + n * H) for n in range(MAX_OWNER_ACCOUNTS + 4)]
    store.remember_owners(logins[:100])
    store.remember_owners(logins[100:])
    store.remember_owners([(HOME, "bob@example.org", T0)])
    names = [row[1] for row in listed(store) if row[0] == str(OFFICE)]
    assert names == [f"user{n}@example.org" for n in range(4, MAX_OWNER_ACCOUNTS + 4)]
    assert ("2001:db8:77:1::/64", "bob@example.org", T0) in listed(store)


def test_old_logins_are_forgotten_and_the_rest_capped(open_store: Opener) -> None:
    store = open_store()
    store.remember_owners(
        [(net(f"198.51.100.{n}/32"), "alice@example.org", T0 + n * H) for n in range(10)]
    )
    assert store.forget_owners(T0 + 3 * H, keep=100) == 3
    assert store.forget_owners(T0, keep=5) == 2
    assert [row[0] for row in listed(store)] == [f"198.51.100.{n}/32" for n in range(5, 10)]


def test_hostile_account_text_is_kept_as_given(open_store: Opener) -> None:
    store = open_store()
    odd = "al'ice\"; DROP TABLE owners; --\x00@example.org"
    store.remember_owners([(OFFICE, odd, T0)])
    assert listed(store) == [("203.0.113.7/32", odd.replace("\x00", "\ufffd"), T0)]


def test_a_schema_1_sqlite_store_gets_the_owners_table(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(OFFICE, T0 + H, "bruteforce"), "3 failures", now=T0)
    with sqlite3.connect(path) as db:  # as mailwarden before the owners' logins left it
        db.execute("DROP TABLE owners")
        db.execute("DROP INDEX bans_changed")
        db.execute("ALTER TABLE bans DROP COLUMN changed")
        db.execute("PRAGMA user_version = 1")
    db.close()
    assert probe(path) is True  # the check accepts it: opening brings it up to date
    with SqliteStore(path) as store:
        assert [row.network for row in store.active_bans(T0)] == [OFFICE]
        store.remember_owners([(OFFICE, "alice@example.org", T0)])
        assert listed(store) == [("203.0.113.7/32", "alice@example.org", T0)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA
    db.close()


def test_a_damaged_owner_row_is_left_out_and_named(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.remember_owners([(OFFICE, "alice@example.org", T0)])
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO owners VALUES ('not-a-net', 'bob@example.org', ?)", (T0.timestamp(),)
        )
        db.execute("INSERT INTO owners VALUES ('198.51.100.1/32', 'carol@example.org', 'x')")
    db.close()
    with SqliteStore(path) as store:
        assert listed(store) == [("203.0.113.7/32", "alice@example.org", T0)]
        assert store.damage() == [
            "owner 'bob@example.org' at 'not-a-net': network 'not-a-net' is not a network",
            "owner 'carol@example.org' at '198.51.100.1/32': last 'x' is not a time",
        ]


def test_a_schema_1_postgres_store_gets_the_owners_table(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from mailwarden.store.postgres import SCHEMA_VERSION as POSTGRES_SCHEMA
    from mailwarden.store.postgres import PostgresStore
    from mailwarden.store.postgres import probe as probe_postgres

    with PostgresStore(POSTGRES_DSN, schema=pg_schema) as store:
        store.record_ban(BanEntry(OFFICE, T0 + H, "bruteforce"), "3 failures", now=T0)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        name = sql.Identifier(pg_schema)
        db.execute(sql.SQL("DROP TABLE {}.owners").format(name))
        db.execute(sql.SQL("ALTER TABLE {}.bans DROP COLUMN changed").format(name))
        db.execute(
            sql.SQL("UPDATE {}.meta SET value = 1 WHERE key = 'schema_version'").format(name)
        )
    assert probe_postgres(POSTGRES_DSN, schema=pg_schema) is True
    with PostgresStore(POSTGRES_DSN, schema=pg_schema) as store:
        assert [row.network for row in store.active_bans(T0)] == [OFFICE]
        store.remember_owners([(OFFICE, "alice@example.org", T0)])
        assert listed(store) == [("203.0.113.7/32", "alice@example.org", T0)]
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
        version = db.execute(
            sql.SQL("SELECT value FROM {}.meta WHERE key = 'schema_version'").format(name)
        ).fetchone()
    assert version == (POSTGRES_SCHEMA,)


# -- the daemon on a shared PostgreSQL store ---------------------------------------------


def test_a_fleet_recalls_an_owners_login_through_another_server(
    pg_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alice logged in from the office through mx1 yesterday; mx2 (re)starts this
    # morning, and her phone, with its old password, fails there before anyone from the
    # office has logged in today: mx2 knows her login from the shared store. A bot
    # at the office's address guessing other accounts is banned all the same.
    from mailwarden.config import config_from_mapping
    from mailwarden.daemon.loop import Daemon
    from mailwarden.store.postgres import PostgresStore

    opened: list[Store] = []

    def open_store(url: str) -> Store:
        opened.append(PostgresStore(POSTGRES_DSN, schema=pg_schema))
        return opened[-1]

    monkeypatch.setattr("mailwarden.daemon.loop.open_store", open_store)
    now = datetime.now(UTC)

    def stamp(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    def failure(user: str, when: datetime, pid: int) -> str:
        return (
            f"{stamp(when)} mx postfix/submission/smtpd[{pid}]: warning: unknown[203.0.113.7]: "
            f"SASL PLAIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}\n"
        )

    daemons: list[Daemon] = []
    try:
        for host in ("mx1", "mx2"):
            (tmp_path / host).mkdir()
            (tmp_path / host / "mail.log").touch()
        mx1 = Daemon(
            config_from_mapping(
                {
                    "sources": {"files": [str(tmp_path / "mx1" / "mail.log")]},
                    "store": {"path": POSTGRES_DSN, "host_name": "mx1"},
                    "enforce": {"backend": "none"},
                },
                "<mx1>",
            ),
            own=lambda: [net("192.0.2.1/32")],
            tick=0.01,
        )
        mx1.start()
        daemons.append(mx1)
        with (tmp_path / "mx1" / "mail.log").open("a") as out:
            out.write(
                f"{stamp(now - 14 * H)} mx postfix/submission/smtpd[1301]: 4XyZ1a2B3c: "
                "client=unknown[203.0.113.7], sasl_method=PLAIN, "
                "sasl_username=alice@example.org\n"
            )
        while mx1.step():
            pass

        mx2 = Daemon(
            config_from_mapping(
                {
                    "sources": {"files": [str(tmp_path / "mx2" / "mail.log")]},
                    "store": {"path": POSTGRES_DSN, "host_name": "mx2"},
                    "enforce": {"backend": "none"},
                },
                "<mx2>",
            ),
            own=lambda: [net("192.0.2.2/32")],
            tick=0.01,
        )
        mx2.start()
        daemons.append(mx2)
        log = tmp_path / "mx2" / "mail.log"
        with log.open("a") as out:
            for n in range(6):
                out.write(
                    failure(
                        "alice@example.org",
                        now - 40 * timedelta(minutes=1) + n * 5 * timedelta(minutes=1),
                        1400 + n,
                    )
                )
        while mx2.step():
            pass
        assert mx2.store.active_bans() == []

        with log.open("a") as out:
            for n, user in enumerate(("bob", "carol", "dave", "erin")):
                out.write(failure(f"{user}@example.org", now, 1500 + n))
        while mx2.step():
            pass
        assert [str(row.network) for row in mx2.store.active_bans()] == ["203.0.113.7/32"]
    finally:
        for daemon in daemons:
            daemon.close()
        for store in opened:
            store.close()
