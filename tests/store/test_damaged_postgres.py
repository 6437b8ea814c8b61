"""A damaged PostgreSQL store (a table edited by hand, a value PostgreSQL keeps and Python
cannot, a constraint dropped by an older version): as with SQLite, each damaged row is
skipped and named, the rest stays usable, the daemon starts, and `mailwarden status`
shows the rest and exits 1."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storelab import POSTGRES_DSN

from mailwarden.cli import main
from mailwarden.config import config_from_mapping
from mailwarden.daemon.loop import Daemon
from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import StoreError
from mailwarden.store.interface import Store

net = ipaddress.ip_network
GOOD = "192.0.2.1/32"
BAD = "198.51.100.1/32"
ATTACKER = "203.0.113.7"


def admin(dsn: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as db:
        for statement in statements:
            db.execute(statement)  # type: ignore[arg-type]  # test-written SQL


def a_day() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


@pytest.fixture
def damaged(pg_schema: str) -> Iterator[tuple[Store, str]]:
    """A store with a good ban (id 1) and a second ban (id 2) for the test to damage."""
    from mailwarden.store.postgres import PostgresStore

    store = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    try:
        store.record_ban(BanEntry(net(GOOD), a_day(), "good"), "")
        store.record_ban(BanEntry(net(BAD), a_day(), "to be damaged"), "")
        yield store, pg_schema
    finally:
        store.close()


DAMAGED_BANS = {
    "infinite": (["UPDATE {s}.bans SET until = 'infinity' WHERE id = 2"], "until 'infinity' is"),
    "year20000": (["UPDATE {s}.bans SET since = '20000-01-01' WHERE id = 2"], "since '20000"),
    "beforechrist": (["UPDATE {s}.bans SET since = '0044-03-15 BC' WHERE id = 2"], "since '00"),
    "negoffences": (["UPDATE {s}.bans SET offences = -3 WHERE id = 2"], "offences -3 is"),
    "endsfirst": (
        ["UPDATE {s}.bans SET since = until + interval '1 hour' WHERE id = 2"],
        "is not after since",
    ),
    "endless": (
        ["UPDATE {s}.bans SET until = since + interval '200 years' WHERE id = 2"],
        "is more than 36500 days after since",
    ),
    "badsource": (
        [
            "ALTER TABLE {s}.bans DROP CONSTRAINT bans_source_check",
            "UPDATE {s}.bans SET source = 'evil' WHERE id = 2",
        ],
        "source 'evil' is unknown",
    ),
    "badstate": (
        [
            "ALTER TABLE {s}.bans DROP CONSTRAINT bans_state_check",
            "UPDATE {s}.bans SET state = 'paused' WHERE id = 2",
        ],
        "state 'paused' is unknown",
    ),
    "textnetwork": (  # as an older layout with networks as text would hold them
        [
            "ALTER TABLE {s}.bans ALTER network TYPE text",
            "UPDATE {s}.bans SET network = 'not-a-net' WHERE id = 2",
        ],
        "network 'not-a-net' is not a network",
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGED_BANS))
def test_a_damaged_ban_is_skipped_and_named_once(
    damaged: tuple[Store, str], kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, schema = damaged
    statements, named = DAMAGED_BANS[kind]
    admin(POSTGRES_DSN, *(statement.format(s=schema) for statement in statements))
    caplog.set_level(logging.WARNING, logger="mailwarden.store")
    for _ in range(3):
        assert [str(row.network) for row in store.active_bans()] == [GOOD]
        assert [str(row.network) for row in store.history()] == [GOOD]
    (line,) = store.damage()
    assert line.startswith("ban 2: ") and named in line, line
    warnings = [r.getMessage() for r in caplog.records if r.name == "mailwarden.store"]
    assert len(warnings) == 1 and f"(schema {schema}) is damaged: ban 2: " in warnings[0]


def test_a_ban_over_an_endless_one_is_recorded_and_not_endless(
    damaged: tuple[Store, str],
) -> None:
    store, schema = damaged
    admin(POSTGRES_DSN, f"UPDATE {schema}.bans SET until = 'infinity' WHERE id = 2")
    until = datetime.now(UTC) + timedelta(hours=1)
    row = store.record_ban(BanEntry(net(BAD), until, "again"), "")
    assert abs((row.until - until).total_seconds()) <= 1 and row.offences == 2
    assert {str(r.network) for r in store.active_bans()} == {GOOD, BAD}


def test_expiring_damaged_bans_does_not_fail(damaged: tuple[Store, str]) -> None:
    store, schema = damaged
    admin(
        POSTGRES_DSN,
        f"ALTER TABLE {schema}.bans ALTER network TYPE text",
        f"UPDATE {schema}.bans SET network = 'not-a-net', until = since + interval '1 second'"
        " WHERE id = 2",
    )
    assert store.expire(a_day() + timedelta(days=1)) == [net(GOOD)]
    assert store.damage() == ["ban 2: network 'not-a-net' is not a network"]


@pytest.mark.parametrize(
    "value",
    ["1" * 5000, "[" * 5000 + "]" * 5000],
    ids=["hugeint", "deep"],
)
def test_a_position_python_cannot_hold_is_skipped(damaged: tuple[Store, str], value: str) -> None:
    """jsonb keeps numbers of any length and deep nesting; Python's json refuses them."""
    store, schema = damaged
    good = {"offset": 5, "inode": 3}
    store.set_position("file:/var/log/good.log", good)
    admin(POSTGRES_DSN, f"INSERT INTO {schema}.positions VALUES ('file:/x', '{value}', now())")
    assert store.positions() == {"file:/var/log/good.log": good}
    assert store.get_position("file:/x") is None
    assert store.get_position("file:/var/log/good.log") == good
    (line,) = store.damage()
    assert line.startswith("position 'file:/x': value ")


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("DELETE FROM {s}.meta WHERE key = 'revision'", "it is missing"),
        ("UPDATE {s}.meta SET value = -5 WHERE key = 'revision'", "-5 is out of range"),
        (
            "UPDATE {s}.meta SET value = 9223372036854775807 WHERE key = 'revision'",
            "9223372036854775807 is out of range",
        ),
    ],
    ids=["missing", "negative", "last"],
)
def test_a_damaged_revision_is_written_again_by_the_next_change(
    damaged: tuple[Store, str], statement: str, named: str
) -> None:
    """Other hosts notice a ban by the revision changing: a lost one never changed, and
    the largest bigint made every later ban fail ("bigint out of range")."""
    store, schema = damaged
    admin(POSTGRES_DSN, statement.format(s=schema))
    assert store.revision() == 0
    assert store.damage() == [f"the revision: {named}"]
    store.record_ban(BanEntry(net(ATTACKER + "/32"), a_day(), "x"), "")
    assert store.revision() == 1
    assert store.lift_ban(net(ATTACKER + "/32"), "x")
    assert store.revision() == 2


def test_a_schema_from_a_newer_version_is_refused(damaged: tuple[Store, str]) -> None:
    from mailwarden.store.postgres import PostgresStore

    _store, schema = damaged
    admin(POSTGRES_DSN, f"UPDATE {schema}.meta SET value = 9 WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"newer mailwarden \(schema 9, this one knows 3\)"):
        PostgresStore(POSTGRES_DSN, schema=schema)


# -- the daemon and `mailwarden status` on a damaged shared store ----------------------


def sasl_failures(ip: str, count: int = 3) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return "".join(
        f"{now} mx postfix/submission/smtpd[{1200 + n}]: warning: unknown[{ip}]: "
        f"SASL PLAIN authentication failed: UGFzc3dvcmQ6, sasl_username=user{n}\n"
        for n in range(count)
    )


def damage_database(url: str) -> None:
    """A good ban, a ban that ends at infinity, one with no offences, no revision."""
    from mailwarden.store.postgres import PostgresStore

    with PostgresStore(url) as store:
        for network in (GOOD, BAD, "198.51.100.2/32"):
            store.record_ban(BanEntry(net(network), a_day(), "x"), "")
    admin(
        url,
        "UPDATE mailwarden.bans SET until = 'infinity' WHERE id = 2",
        "UPDATE mailwarden.bans SET offences = 0 WHERE id = 3",
        "DELETE FROM mailwarden.meta WHERE key = 'revision'",
    )


def test_the_daemon_starts_on_a_damaged_shared_store(pg_database: str, tmp_path: Path) -> None:
    damage_database(pg_database)
    log = tmp_path / "mail.log"
    log.touch()
    config = config_from_mapping(
        {
            "sources": {"files": [str(log)]},
            "store": {"path": pg_database, "host_name": "mx1"},
            "enforce": {"backend": "none"},
            "policy": {"fast_failures": 3, "fast_window": "5m"},
        },
        "<mx1>",
    )
    daemon = Daemon(config, own=lambda: [net("192.0.2.254/32")], tick=0.01)
    try:
        daemon.start()
        assert {str(e.network) for e in daemon.applied.values()} == {GOOD}
        with log.open("a") as out:
            out.write(sasl_failures(ATTACKER))
        for _ in range(3):
            daemon.step()
        assert {str(r.network) for r in daemon.store.active_bans()} == {GOOD, f"{ATTACKER}/32"}
        assert daemon.store.revision() == 1  # written again by the daemon's ban
    finally:
        daemon.close()


def status(tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple:
    config = tmp_path / "mailwarden.toml"
    config.write_text(f'[store]\npath = "{url}"\nhost_name = "mx1"\n[enforce]\nbackend = "none"\n')
    with pytest.raises(SystemExit) as done:
        main(["status", "--config", str(config), *args])
    out, err = capsys.readouterr()
    return done.value.code, err.splitlines(), out


def test_status_of_a_damaged_shared_store_shows_the_rest_and_exits_1(
    pg_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage_database(pg_database)
    admin(
        pg_database,
        "INSERT INTO mailwarden.positions VALUES"
        " ('mx1/journal', '{\"cursor\": 7}', now()),"
        f" ('mx1/file:/x', '{'1' * 5000}', now())",
    )
    code, err, out = status(tmp_path, pg_database, capsys)
    assert code == 1
    assert "active bans: 1 (1 automatic, 0 manual)" in out and GOOD in out
    assert "  journal  position damaged in the store: cursor 7 is not a journal cursor" in out
    assert len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: the store {pg_database} is damaged: ")
    assert err[0].endswith("; and 2 more (left out, the rest is shown)")
    assert "ban 2: until 'infinity' is not a time" in err[0]
    assert "ban 3: offences 0 is not a count of bans" in err[0]

    code, json_err, out = status(tmp_path, pg_database, capsys, "--format", "json")
    document = json.loads(out)
    assert code == 1 and json_err == err
    assert [ban["network"] for ban in document["bans"]] == [GOOD]
    (journal,) = [s for s in document["sources"] if s["kind"] == "journal"]
    assert journal["cursor"] is None
    assert journal["damaged"] == ["cursor 7 is not a journal cursor"]
    assert document["damage"] == [
        "ban 2: until 'infinity' is not a time",
        "ban 3: offences 0 is not a count of bans",
        f"position 'mx1/file:/x': value '{'1' * 36}... is not JSON",
        "position 'mx1/journal': cursor 7 is not a journal cursor",
        "the revision: it is missing",
    ]  # a read command writes nothing: the next change to the bans writes it again


def tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        rows = db.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'mailwarden' ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize("table", ["bans", "positions", "owners"])
def test_a_shared_store_with_a_table_missing_is_refused_and_not_filled_up_again(
    pg_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str
) -> None:
    """As the SQLite store: a renamed (or dropped) table is damage, refused by
    ``run --check`` and the daemon (exit 2), and ``status`` does not create an empty
    one in its place (which showed "active bans: 0")."""
    from mailwarden.store.postgres import PostgresStore

    with PostgresStore(pg_database) as store:
        store.record_ban(BanEntry(net(GOOD), a_day(), "x"), "")
    admin(pg_database, f"ALTER TABLE mailwarden.{table} RENAME TO {table}_old")
    before = tables(pg_database)
    code, err, out = status(tmp_path, pg_database, capsys)
    assert (code, out) == (1, "")
    where = f"postgresql://127.0.0.1/{pg_database.rsplit('/', 1)[1]} (schema mailwarden)"
    damaged = f'the store {where} is damaged: relation "mailwarden.{table}" does not exist'
    assert err == [f"mailwarden: error: {damaged}"]
    config = tmp_path / "mailwarden.toml"
    (tmp_path / "mail.log").touch()
    with config.open("a") as more:
        more.write(f'[sources]\nfiles = ["{tmp_path / "mail.log"}"]\n')
    with pytest.raises(SystemExit) as done:
        main(["run", "--check", "--config", str(config)])
    err = capsys.readouterr().err.splitlines()
    assert done.value.code == 2
    assert err == [f"mailwarden: error: {config}: store.path: {damaged}"]
    assert tables(pg_database) == before


def test_status_of_a_shared_store_with_no_tables_yet_creates_none(
    pg_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, out = status(tmp_path, pg_database, capsys)
    assert (code, out) == (1, "")
    assert err == [
        f"mailwarden: error: {pg_database}: no store yet (the daemon creates it when it starts)"
    ]
    assert tables(pg_database) == []
