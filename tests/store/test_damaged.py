"""A damaged SQLite store (edited by hand, written by a broken tool): each damaged row is
skipped and named, the rest stays usable, and `mailwarden status` says so in one line."""

from __future__ import annotations

import ipaddress
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailwarden.cli import main
from mailwarden.enforce.interface import BanEntry
from mailwarden.store.sqlite import SqliteStore

net = ipaddress.ip_network
GOOD = "192.0.2.1/32"
OTHER = "198.51.100.20/32"
FAR = 4102444800  # 2100-01-01

BAN_COLUMNS = "network, since, until, reason, evidence, source, offences"
POSITION = {
    "device": 2049,
    "inode": 3,
    "offset": 5,
    "line": 1,
    "fingerprint": "ab" * 32,
    "fingerprint_size": 5,
}
"""A good position, as the daemon writes one."""


def fresh(tmp_path: Path) -> Path:
    """A store with one good active ban and one good position."""
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(net(GOOD), datetime.now(UTC) + timedelta(days=1), "good"), "")
        store.set_position("file:/var/log/good.log", POSITION)
    return path


def damage(path: Path, *statements: str) -> None:
    """Write what mailwarden never would (CHECK constraints off, as a broken tool may)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA ignore_check_constraints = ON")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def bad_ban(values: str) -> str:
    return f"INSERT INTO bans ({BAN_COLUMNS}) VALUES ({values})"


DAMAGED_BANS = {
    "hugetime": f"'198.51.100.1/32', 100000000000000000, {FAR}, 'r', 'e', 'auto', 1",
    "negtime": f"'198.51.100.2/32', -1000000000000000, {FAR}, 'r', 'e', 'auto', 1",
    "texttime": f"'198.51.100.3/32', 'yesterday', {FAR}, 'r', 'e', 'auto', 1",
    "badnet": f"'not-a-net', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
    "blobnet": f"x'00ff', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
    "scoped": f"'fe80::1%eth0/128', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
    "badsource": f"'198.51.100.4/32', 1700000000, {FAR}, 'r', 'e', 'evil', 1",
    "textoffences": f"'198.51.100.5/32', 1700000000, {FAR}, 'r', 'e', 'auto', 'x'",
    "zerooffences": f"'198.51.100.6/32', 1700000000, {FAR}, 'r', 'e', 'auto', 0",
    "endsfirst": f"'198.51.100.7/32', {FAR + 3600}, {FAR}, 'r', 'e', 'auto', 1",
    "endless": f"'198.51.100.8/32', 1700000000, {253402300000 - 1}, 'r', 'e', 'auto', 1",
    # Banned, but `unban 198.51.100.9` could never lift it: it looks for 198.51.100.9/32.
    "noprefix": f"'198.51.100.9', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
    "uppercase": f"'2001:DB8::9/128', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
}


@pytest.mark.parametrize("kind", sorted(DAMAGED_BANS))
def test_a_damaged_ban_is_skipped_and_named_once(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = fresh(tmp_path)
    damage(path, bad_ban(DAMAGED_BANS[kind]))
    caplog.set_level(logging.WARNING, logger="mailwarden.store")
    with SqliteStore(path) as store:
        for _ in range(3):
            assert [str(row.network) for row in store.active_bans()] == [GOOD]
            assert [str(row.network) for row in store.history()] == [GOOD]
        (line,) = store.damage()
        assert line.startswith("ban 2: ")
    warnings = [r.getMessage() for r in caplog.records if r.name == "mailwarden.store"]
    assert len(warnings) == 1 and "is damaged: ban 2: " in warnings[0]


def test_a_ban_over_a_damaged_one_is_recorded_and_not_endless(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    damage(path, bad_ban(f"'198.51.100.9/32', 1700000000, {10**18}, 'r', 'e', 'auto', 1"))
    until = datetime.now(UTC) + timedelta(hours=1)
    with SqliteStore(path) as store:
        row = store.record_ban(BanEntry(net("198.51.100.9/32"), until, "again"), "")
        assert abs((row.until - until).total_seconds()) <= 1
        assert {str(r.network) for r in store.active_bans()} == {GOOD, "198.51.100.9/32"}


def test_expiring_a_damaged_ban_does_not_fail(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    damage(path, bad_ban("'not-a-net', 1000, 2000, 'r', 'e', 'auto', 1"))
    with SqliteStore(path) as store:
        assert store.expire() == []
        assert [str(row.network) for row in store.active_bans()] == [GOOD]
        assert store.damage() == ["ban 2: network 'not-a-net' is not a network"]


def test_text_that_is_not_utf8_reads_with_replacement_characters(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    damage(path, "UPDATE bans SET reason = CAST(x'41ff42' AS TEXT)")
    with SqliteStore(path) as store:
        (row,) = store.active_bans()
        assert row.reason == "A\ufffdB" and store.damage() == []


@pytest.mark.parametrize(
    "value",
    ["{not json", "[" * 20000, '{"offset": NaN}', "1" * 5000, '{"offset": 1e400}'],
    ids=["broken", "deep", "nan", "hugeint", "overflow"],
)
def test_a_damaged_position_is_skipped(tmp_path: Path, value: str) -> None:
    path = fresh(tmp_path)
    damage(path, f"INSERT INTO positions VALUES ('file:/x', '{value}', 1)")
    with SqliteStore(path) as store:
        assert store.positions() == {"file:/var/log/good.log": POSITION}
        assert store.get_position("file:/x") is None
        assert store.get_position("file:/var/log/good.log") == POSITION
        (line,) = store.damage()
        assert line.startswith("position 'file:/x': value ")


def test_a_damaged_revision_reads_as_0_and_the_next_ban_repairs_it(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    damage(path, "UPDATE meta SET value = 'abc' WHERE key = 'revision'")
    with SqliteStore(path) as store:
        assert store.revision() == 0
        assert store.damage() == ["the revision: 'abc' is not a number"]
        store.record_ban(BanEntry(net(OTHER), datetime.now(UTC) + timedelta(hours=1), "x"), "")
        assert store.revision() == 1
    damage(path, "DELETE FROM meta")
    with SqliteStore(path) as store:
        assert store.revision() == 0
        assert store.damage() == ["the revision: it is missing"]
        store.lift_ban(net(OTHER), "x")
        assert store.revision() == 1


@pytest.mark.parametrize("value", [-5, 2**63 - 1], ids=["negative", "last"])
def test_a_revision_out_of_range_starts_again_and_keeps_growing(tmp_path: Path, value: int) -> None:
    """The daemon notices `mailwarden ban` by the revision changing: counting on from
    the largest integer would leave it stuck (SQLite turns it into a float)."""
    path = fresh(tmp_path)
    damage(path, f"UPDATE meta SET value = {value} WHERE key = 'revision'")
    with SqliteStore(path) as store:
        assert store.revision() == 0
        assert store.damage() == [f"the revision: {value} is out of range"]
        store.record_ban(BanEntry(net(OTHER), datetime.now(UTC) + timedelta(hours=1), "x"), "")
        assert store.revision() == 1
        store.lift_ban(net(OTHER), "x")
        assert store.revision() == 2


# -- what `mailwarden status` shows ------------------------------------------------------


def status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path, *args: str
) -> tuple[int, list[str], str]:
    config = tmp_path / "mailwarden.toml"
    config.write_text(f'[store]\npath = "{path}"\n[enforce]\nbackend = "none"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        main(["status", "--config", str(config), *args])
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), err.splitlines(), out


@pytest.mark.parametrize("kind", sorted(DAMAGED_BANS))
def test_status_shows_the_rest_and_names_the_damaged_ban(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = fresh(tmp_path)
    damage(path, bad_ban(DAMAGED_BANS[kind]))
    code, err, out = status(tmp_path, capsys, path)
    assert code == 1
    assert "active bans: 1 (1 automatic, 0 manual)" in out and GOOD in out
    assert len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: the store {path} is damaged: ban 2: ")
    assert err[0].endswith("(left out, the rest is shown)")


def test_status_json_with_damaged_positions_and_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fresh(tmp_path)
    damage(
        path,
        "INSERT INTO positions VALUES ('file:/x', '{not json', 1)",
        f"INSERT INTO positions VALUES ('journal', '{'[' * 20000}', 1)",
        "UPDATE meta SET value = 'abc' WHERE key = 'revision'",
    )
    code, err, out = status(tmp_path, capsys, path, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert [ban["network"] for ban in document["bans"]] == [GOOD]
    assert "/var/log/good.log" in [source["name"] for source in document["sources"]]
    assert len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: the store {path} is damaged: ")
    for named in ("position 'file:/x'", "position 'journal'", "the revision: 'abc'"):
        assert named in err[0]


@pytest.mark.parametrize(
    "content",
    [b"SQLite format 3\x00" + b"\xff" * 200, b"this is not a database\n" * 50],
    ids=["garbage", "text"],
)
def test_status_of_a_file_that_is_not_a_store_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    code, err, out = status(tmp_path, capsys, path)
    assert code == 1 and out == ""
    assert err == [f"mailwarden: error: the store {path} is damaged: file is not a database"]
