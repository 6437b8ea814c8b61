"""The SQLite store: file safety, sharing between processes, and kill -9 at any moment."""

from __future__ import annotations

import grp
import ipaddress
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import StoreError, StoreUnusable
from mailwarden.store.sqlite import SCHEMA_VERSION, SqliteStore, probe

net = ipaddress.ip_network


def test_files_we_create_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(
            BanEntry(net("192.0.2.7/32"), datetime.now(UTC) + timedelta(hours=1), "x"), ""
        )
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700  # not the umask's
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_wal_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer mailwarden"):
        SqliteStore(path)


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    until = datetime.now(UTC) + timedelta(hours=1)
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(net("192.0.2.7/32"), until, "x"), "ev")
        store.set_position("journal", "cursor-1")
    with SqliteStore(path, synchronous="FULL") as store:
        assert [r.network for r in store.active_bans()] == [net("192.0.2.7/32")]
        assert store.get_position("journal") == "cursor-1"


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite\n" * 100)
    with pytest.raises(StoreError, match=r"state\.db"):
        SqliteStore(path)
    with pytest.raises(StoreError, match="cannot open"):
        SqliteStore(path / "x.db")  # a file where the directory should be
    with pytest.raises(StoreError, match="synchronous"):
        SqliteStore(tmp_path / "x.db", synchronous="OFF; DROP TABLE bans")


WRITER = r"""
import ipaddress, sys
from datetime import UTC, datetime, timedelta
from mailwarden.enforce.interface import BanEntry
from mailwarden.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1], busy_timeout=30)
start, count = int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
for i in range(start, start + count):
    network = ipaddress.ip_network(f"2001:db8::{i % 50:x}/128")
    until = datetime.now(UTC) + timedelta(hours=1 + i % 7)
    row = store.record_ban(BanEntry(network, until, f"ban {i}"), f"evidence {i}")
    store.set_position("/var/log/mail.log", {"offset": i})
    print(row.id, i, flush=True)
"""


def start_writer(path: Path, start: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(start), str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_kill_9_at_any_moment_loses_no_committed_ban(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    committed: dict[int, int] = {}  # ban id -> i, printed only after the commit returned
    rng = random.Random(20301)
    for round_ in range(20):
        writer = start_writer(path, round_ * 10_000, 10_000)
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(writer.stdout,))
        reader.start()
        time.sleep(rng.uniform(0.01, 0.25))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        reader.join()
        for line in lines:
            if line.endswith("\n"):  # a line cut by the kill is not a promise
                ban_id, i = map(int, line.split())
                committed[ban_id] = i
    assert len(committed) > 100, "the writers should have committed many bans"
    print(f"{len(committed)} bans committed across 20 kills")
    with SqliteStore(path) as store:
        assert store.integrity_check() == "ok"
        rows = {r.id: r for r in store.history(limit=10**7)}
        missing = sorted(set(committed) - set(rows))
        assert missing == [], f"committed bans lost: {missing[:10]}"
        for ban_id, i in committed.items():
            assert rows[ban_id].reason == f"ban {i}" and rows[ban_id].evidence == f"evidence {i}"
        # The one-active-ban-per-network rule held through every kill.
        active = store.active_bans()
        assert len({r.network for r in active}) == len(active)
        position = store.get_position("/var/log/mail.log")
        assert isinstance(position, dict) and position["offset"] >= max(committed.values())


def test_two_processes_write_at_once_without_errors(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    writers = [start_writer(path, start, 100) for start in (0, 1000)]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    ids = [int(line.split()[0]) for out in outputs for line in out.splitlines()[1:]]
    assert len(ids) == 200 and len(set(ids)) == 200
    with SqliteStore(path) as store:
        assert len(store.history(limit=1000)) == 200
        assert store.integrity_check() == "ok"


def test_a_reader_is_not_blocked_by_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as daemon, SqliteStore(path) as status:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a writer holds the lock ...
        other.execute("UPDATE meta SET value = value WHERE key = 'revision'")
        started = time.monotonic()
        assert status.active_bans() == []  # ... and `status` still reads at once
        assert daemon.revision() == 0
        assert time.monotonic() - started < 1
        other.execute("ROLLBACK")
        other.close()


def test_no_writer_waits_forever(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path, busy_timeout=0.2) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="cannot write"):
            store.set_position("k", 1)
        other.execute("ROLLBACK")
        other.close()
        store.set_position("k", 2)
        assert store.get_position("k") == 2


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    SqliteStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_opening_a_store_never_waits_for_a_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mailwarden status` opens the store while the daemon writes: it reads at once."""
    from mailwarden.cli import main

    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(net("192.0.2.7/32"), datetime.now(UTC) + timedelta(1), "x"), "")
    config = tmp_path / "mailwarden.toml"
    config.write_text(f'[store]\npath = "{path}"\n[enforce]\nbackend = "none"\n')
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the daemon, in the middle of a write
    other.execute("UPDATE meta SET value = value WHERE key = 'revision'")
    try:
        started = time.monotonic()
        with SqliteStore(path, busy_timeout=0.2) as status:
            assert [str(r.network) for r in status.active_bans()] == ["192.0.2.7/32"]
        with pytest.raises(SystemExit) as done:
            main(["status", "--config", str(config)])
        assert time.monotonic() - started < 2
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.value.code == 0
    assert "active bans: 1 (1 automatic, 0 manual)" in capsys.readouterr().out


def test_a_folder_every_user_may_write_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(StoreError) as refused:
        SqliteStore(folder / "state.db")
    assert str(refused.value) == (
        f"{folder / 'state.db'}: refusing a store in a folder that every user may write "
        f"({folder}, mode 0777): anybody could replace it; move it, or chmod o-w {folder}"
    )
    assert list(folder.iterdir()) == []  # nothing created there


def test_a_sticky_folder_is_refused_without_advice_to_chmod_it(tmp_path: Path) -> None:
    """/tmp (mode 1777): the sticky bit keeps others from deleting our files, not from
    creating the store or its -wal before we do; ``chmod o-w /tmp`` would break the
    host, so the refusal says to move the store and nothing else."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    folder.chmod(0o1777)
    with pytest.raises(StoreError) as refused:
        SqliteStore(folder / "state.db")
    message = str(refused.value)
    assert message.startswith(
        f"{folder / 'state.db'}: refusing a store in a folder that every user may write "
        f"({folder}, mode 1777): "
    )
    assert "chmod" not in message
    assert message.endswith("move it to a folder only root may write, such as /var/lib/mailwarden")
    assert list(folder.iterdir()) == []


NOBODY = 65534

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")


def assert_refused_everywhere(path: Path, message: str) -> None:
    """Opening and `probe` (``run --check``) refuse it alike, and create nothing."""
    before = sorted(p for p in path.parents[2].rglob("*"))
    with pytest.raises(StoreUnusable) as opened:
        SqliteStore(path)
    with pytest.raises(StoreUnusable) as probed:
        probe(path)
    assert str(opened.value) == str(probed.value)
    assert str(opened.value).startswith(message), str(opened.value)
    assert "\n" not in str(opened.value)
    assert sorted(p for p in path.parents[2].rglob("*")) == before


@needs_root
def test_a_folder_another_user_owns_is_refused_under_a_sticky_one(tmp_path: Path) -> None:
    """/tmp/x/sub/state.db with sub belonging to nobody: the sticky bit of /tmp/x keeps
    others from renaming sub, but nobody owns sub and may swap the store in it. The
    advice is to move the store, never to take the folder (a user's home) from them."""
    sticky = tmp_path / "x"
    sticky.mkdir(mode=0o1777)
    sticky.chmod(0o1777)
    sub = sticky / "sub"
    sub.mkdir(mode=0o755)
    os.chown(sub, NOBODY, -1)
    assert_refused_everywhere(
        sub / "state.db",
        f"{sub / 'state.db'}: refusing a store in a folder another user owns ({sub}, "
        f"owner nobody (uid {NOBODY})): they could replace the store; move it to a folder "
        f"only root may write, such as /var/lib/mailwarden",
    )
    with pytest.raises(StoreUnusable) as refused:
        probe(sub / "state.db")
    assert str(refused.value).endswith("such as /var/lib/mailwarden"), str(refused.value)
    assert "chown" not in str(refused.value)


@needs_root
def test_a_folder_above_the_store_another_user_owns_is_refused(tmp_path: Path) -> None:
    """Whoever owns a folder above the store may rename the store's folder away."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, -1)
    (theirs / "mw").mkdir(mode=0o700)
    assert_refused_everywhere(
        theirs / "mw" / "state.db",
        f"{theirs / 'mw' / 'state.db'}: refusing a store under a folder another user owns "
        f"({theirs}, owner nobody (uid {NOBODY}))",
    )


@pytest.mark.parametrize("exists", [True, False], ids=["folder", "missing-folder"])
def test_a_folder_above_that_every_user_may_write_is_refused(tmp_path: Path, exists: bool) -> None:
    """ww (0777, not sticky) above ww/mw (root, 0700): anybody may ``mv ww/mw ww/old;
    mkdir ww/mw`` and give the daemon a store of their own."""
    shared = tmp_path / "ww"
    shared.mkdir()
    shared.chmod(0o777)
    if exists:
        (shared / "mw").mkdir(mode=0o700)
    assert_refused_everywhere(
        shared / "mw" / "state.db",
        f"{shared / 'mw' / 'state.db'}: refusing a store under a folder that every user "
        f"may write ({shared}, mode 0777): anybody could replace the folders below it; "
        f"move it, or chmod o-w {shared}",
    )


def test_a_folder_its_group_may_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "staff"
    shared.mkdir()
    shared.chmod(0o775)
    (shared / "mw").mkdir(mode=0o700)
    group = grp.getgrgid(shared.stat().st_gid).gr_name
    assert_refused_everywhere(
        shared / "mw" / "state.db",
        f"{shared / 'mw' / 'state.db'}: refusing a store under a folder its group may "
        f"write ({shared}, mode 0775, group {group} (gid {shared.stat().st_gid})): any "
        f"member could replace the store; move it, or chmod g-w {shared}",
    )


def test_a_folder_reached_through_a_symlink_is_checked_where_it_leads(tmp_path: Path) -> None:
    shared = tmp_path / "ww"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "mw").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(shared / "mw")
    with pytest.raises(
        StoreUnusable, match=f"under a folder that every user may write \\({shared},"
    ):
        SqliteStore(tmp_path / "link" / "state.db")


def test_a_sticky_folder_above_the_stores_own_is_accepted(tmp_path: Path) -> None:
    """/tmp above the store is fine: nobody may rename or delete what we own in it. The
    test suite's own stores are such (tmp_path is 0700 in /tmp/pytest-of-USER, in /tmp)."""
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    (sticky / "mw").mkdir(mode=0o700)
    with SqliteStore(sticky / "mw" / "state.db") as store:
        assert store.revision() == 0
    created = sticky / "new" / "state.db"  # a folder we create there is ours, 0700
    assert probe(created) is False
    with SqliteStore(created) as store:
        assert store.revision() == 0
    assert stat.S_IMODE(created.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("name", ["state.db", "state.db-wal", "state.db-shm"])
def test_a_store_every_user_may_write_is_refused(tmp_path: Path, name: str) -> None:
    """Anybody on the host could ban the administrator's address, or lift a ban."""
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:  # keeps its -wal and -shm while open
        store.record_ban(BanEntry(net("192.0.2.7/32"), datetime.now(UTC) + timedelta(1), "x"), "")
        (tmp_path / name).chmod(0o666)
        with pytest.raises(StoreError) as refused:
            SqliteStore(path)
        assert str(refused.value) == (
            f"{path}: refusing a store that every user may write ({tmp_path / name}, "
            f"mode 0666): anybody could ban or lift bans; chmod o-w {tmp_path / name}"
        )
        (tmp_path / name).chmod(0o600)
        with SqliteStore(path) as again:
            assert len(again.active_bans()) == 1


def test_an_sqlite_database_of_something_else_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "webmail.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a mailwarden store"):
        SqliteStore(path)
    db = sqlite3.connect(path)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    assert tables == ["users"] and db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["webmail.db"]


# -- probe: what `mailwarden run --check` reads --------------------------------------------


def test_probe_of_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    assert probe(tmp_path / "new" / "state.db") is False
    assert list(tmp_path.iterdir()) == []


def test_probe_of_a_good_store_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(net("192.0.2.7/32"), datetime.now(UTC) + timedelta(1), "x"), "")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert probe(path) is True
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_probe_while_the_daemon_holds_the_store(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as running:
        running.set_position("journal", "cursor-1")
        assert probe(path) is True
        assert running.get_position("journal") == "cursor-1"


KILLED = r"""
import os, sqlite3, sys
from mailwarden.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
store.set_position("journal", "cursor-1")
store._db.execute(sys.argv[2])  # committed in the -wal only
os._exit(0)  # as kill -9: no checkpoint, the -wal and -shm stay
"""

HOLDER = r"""
import sys, time
from mailwarden.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
store.set_position("journal", "cursor-2")
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


def killed_writer(path: Path, statement: str = "SELECT 1") -> None:
    """What a daemon killed with -9 leaves: a -wal with commits not yet in the file."""
    subprocess.run([sys.executable, "-c", KILLED, str(path), statement], check=True)
    assert Path(f"{path}-wal").stat().st_size > 0


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `folder` with its bytes and time, and the folder's own time (which
    a file created and deleted again changes)."""
    found = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    return {**found, ".": (b"", folder.stat().st_mtime_ns)}


def test_probe_after_a_kill_changes_nothing(tmp_path: Path) -> None:
    """Opening the store for the check used to checkpoint the -wal a killed daemon left
    into the file and delete the -wal and -shm: `run --check` changed the store."""
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    killed_writer(path)
    before = files(tmp_path)
    assert probe(path) is True
    assert files(tmp_path) == before
    with SqliteStore(path) as store:
        assert store.get_position("journal") == "cursor-1"  # what the -wal held


def test_probe_reads_the_journal_a_kill_left(tmp_path: Path) -> None:
    """The check judges the store as the daemon will find it: with what the -wal holds
    (here a table dropped after the last checkpoint)."""
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    killed_writer(path, "DROP TABLE positions")
    before = files(tmp_path)
    with pytest.raises(StoreUnusable) as probed:
        probe(path)
    assert str(probed.value) == f"the store {path} is damaged: no such table: positions"
    assert files(tmp_path) == before


def test_probe_of_a_closed_store_creates_no_file_even_for_a_moment(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SqliteStore(path) as store:
        store.record_ban(BanEntry(net("192.0.2.7/32"), datetime.now(UTC) + timedelta(1), "x"), "")
    before = files(tmp_path)
    assert probe(path) is True
    assert files(tmp_path) == before


def test_probe_while_another_process_holds_the_store(tmp_path: Path) -> None:
    """A running daemon: the check reads the store as `status` does, and its -wal and
    -shm stay the daemon's."""
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "ready"
        file_before = path.read_bytes()
        wal_before = Path(f"{path}-wal").read_bytes()
        assert probe(path) is True
        assert path.read_bytes() == file_before
        assert Path(f"{path}-wal").read_bytes() == wal_before
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "state.db",
            "state.db-shm",
            "state.db-wal",
        ]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with SqliteStore(path) as store:
        assert store.get_position("journal") == "cursor-2"


def test_a_store_of_ours_without_its_tables_is_damaged(tmp_path: Path) -> None:
    """user_version 1 and no tables (dropped, restored in part): opening and the check
    refuse it alike, before the daemon starts, and leave the file as it was."""
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.close()
    before = files(tmp_path)
    with pytest.raises(StoreUnusable) as probed:
        probe(path)
    with pytest.raises(StoreUnusable) as opened:
        SqliteStore(path)
    assert str(probed.value) == str(opened.value)
    assert str(opened.value) == f"the store {path} is damaged: no such table: bans"
    assert files(tmp_path) == before


@pytest.mark.parametrize("table", ["bans", "positions", "meta", "owners"])
def test_a_store_missing_one_table_or_column_is_damaged(tmp_path: Path, table: str) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(
            f"ALTER TABLE {table} DROP COLUMN value" if table == "meta" else f"DROP TABLE {table}"
        )
    db.close()
    with pytest.raises(StoreUnusable) as probed:
        probe(path)
    with pytest.raises(StoreUnusable) as opened:
        SqliteStore(path)
    assert str(probed.value) == str(opened.value)
    assert str(opened.value).startswith(f"the store {path} is damaged: no such ")


def test_probe_refuses_what_opening_refuses(tmp_path: Path) -> None:
    text = tmp_path / "text.db"
    text.write_text("hello\n")
    newer = tmp_path / "newer.db"
    SqliteStore(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    other = tmp_path / "webmail.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    db.close()
    for path in (text, newer, other):
        with pytest.raises(StoreError) as opened:
            SqliteStore(path)
        with pytest.raises(StoreUnusable) as probed:
            probe(path)
        assert str(probed.value) == str(opened.value)
        assert isinstance(opened.value, StoreUnusable)
    assert text.read_text() == "hello\n"


def test_probe_refuses_a_folder_every_user_may_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    tmp_path.chmod(0o1777)
    try:
        with pytest.raises(StoreUnusable, match="refusing a store in a folder"):
            probe(path)
    finally:
        tmp_path.chmod(0o700)
