"""A bad configuration or host stops `mailwarden run` before anything starts: exit 2 and
one line naming the file, the key and the reason."""

from __future__ import annotations

import ipaddress
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from wardenlab import base_config, mailwarden, run_cli, write_config

from mailwarden.model import BanEntry
from mailwarden.store.sqlite import SqliteStore

KILLED = r"""
import os, sys
from mailwarden.store.sqlite import SqliteStore
SqliteStore(sys.argv[1]).set_position("journal", "cursor-1")
os._exit(0)  # as kill -9: the -wal keeps the commit, the -wal and -shm stay
"""


def config(tmp_path: Path, backend: str = "none", **changes: dict[str, Any]) -> Path:
    sections = base_config(tmp_path, backend)
    for name, keys in changes.items():
        sections.setdefault(name, {}).update(keys)
    (tmp_path / "mail.log").touch()
    return write_config(tmp_path / "mailwarden.toml", sections)


def folder_of_mode(tmp_path: Path, name: str, mode: int) -> Path:
    """The folder ``name`` in ``tmp_path``, made with ``mode`` (whatever the umask)."""
    folder = tmp_path / name
    folder.mkdir()
    folder.chmod(mode)
    return folder


def assert_refused(
    capsys: pytest.CaptureFixture[str], path: Path, key: str, reason: str, *extra: str
) -> None:
    code, err, _ = run_cli(capsys, "run", "--config", str(path), *extra)
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: {path}: {key}: "), err[0]
    assert reason in err[0]
    assert not (path.parent / "state").exists(), "nothing may be started"


def test_an_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"fast_failure": 3})
    assert_refused(capsys, path, "policy.fast_failure", "unknown key")


def test_a_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"ban_time": True})
    assert_refused(capsys, path, "policy.ban_time", "duration")


def test_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    code, err, _ = run_cli(capsys, "run", "--config", str(missing))
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"mailwarden: error: {missing}: cannot read")


def test_not_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "nftables")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr("shutil.which", lambda program: f"/usr/sbin/{program}")
    assert_refused(capsys, path, "enforce.backend", "needs root")


def test_a_missing_nft_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "nftables")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert_refused(capsys, path, "enforce.backend", "nft program, which is not installed")


def test_nothing_to_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, sources={"files": []})
    assert_refused(capsys, path, "sources.files", "nothing to read")


def test_a_relative_log_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, sources={"files": ["mail.log"]})
    assert_refused(capsys, path, "sources.files", "not an absolute path")


def test_a_store_that_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("")
    path = config(tmp_path, store={"path": str(tmp_path / "afile" / "db.sqlite")})
    assert_refused(capsys, path, "store.path", f"{tmp_path / 'afile'} is not a directory")


def test_a_missing_account_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"users_file": str(tmp_path / "users")})
    assert_refused(capsys, path, "policy.users_file", "does not exist")


def test_an_alert_command_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, alerts={"command": ["/nonexistent/notify", "--to", "admin"]})
    assert_refused(capsys, path, "alerts.command", "no such program")


def test_an_alert_url_that_is_not_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, alerts={"url": "file:///etc/passwd"})
    assert_refused(capsys, path, "alerts.url", "not an http")


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ("a;b", "bad table name 'a;b'"),
        # nft: "name too long, 256 characters maximum allowed" (NUL included); the
        # daemon then never banned anything while --check said "ready to run"
        ("a" * 256, "bad table name: 256 characters, nft takes 255 at most"),
        ("123", "bad table name '123'"),  # a number to nft: "unexpected number"
        ("-abc", "bad table name '-abc'"),  # an option to nft
    ],
)
def test_a_bad_table_name(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    said: str,
) -> None:
    path = config(tmp_path, "nftables", enforce={"table": table})
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda program: f"/usr/sbin/{program}")
    assert_refused(capsys, path, "enforce.table", said, "--check")


def test_the_longest_table_name_nft_takes_is_taken() -> None:
    from mailwarden.enforce.nftables import NftablesEnforcer

    assert NftablesEnforcer(table="_" + "a" * 254).table == "_" + "a" * 254


def test_check_says_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path)
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    store = tmp_path / "state" / "mailwarden.db"
    assert out.splitlines() == [
        f"mailwarden: store.path: {store} does not exist yet: the daemon creates it when it starts",
        f"mailwarden: {path}: ready to run",
    ]
    assert not store.parent.exists(), "a check creates nothing"
    SqliteStore(store).close()
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.strip() == f"mailwarden: {path}: ready to run"


def nothing_to_read(path: Path, missing: str) -> str:
    return (
        f"mailwarden: error: {path}: sources.files: {missing} and journal = false: the "
        "daemon would read nothing; no rsyslog? set journal = true in [sources], or name "
        "the mail log's path in files"
    )


def test_check_and_start_refuse_when_no_followed_file_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Debian 12 installs no rsyslog: the example's /var/log/mail.log is not there, and a
    daemon started so would read nothing and ban nothing while saying it runs. The check
    says so, the start refuses in the same line: exit 1 (systemd tries again, and starts
    it once the file appears), where the check said "ready to run" and the start ran."""
    path = config(tmp_path)
    log = tmp_path / "mail.log"
    log.unlink()
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert (code, err) == (1, [nothing_to_read(path, f"{log} does not exist")])
    assert "ready to run" not in out

    started = start(path)
    assert started.returncode == 1
    assert started.stderr.splitlines() == [nothing_to_read(path, f"{log} does not exist")]
    assert not (tmp_path / "state").exists(), "nothing may be started"

    other = tmp_path / "syslog"
    path = config(tmp_path, sources={"files": [str(log), str(other)]})
    log.unlink()
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert (code, err) == (1, [nothing_to_read(path, f"none of {log}, {other} exists")])


def test_a_bad_setting_is_named_before_a_log_that_is_not_there_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A setting a person must fix (exit 2, the unit stays stopped) is named before the
    missing log (exit 1, systemd tries again): else the admin who adds the log, or sets
    journal = true, meets the other error only after systemd's retries."""
    path = config(tmp_path, alerts={"url": "file:///etc/passwd"})
    (tmp_path / "mail.log").unlink()
    assert_refused(capsys, path, "alerts.url", "http")


def test_check_warns_about_a_followed_file_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One of the followed files missing (syslog beside mail.log), or the journal
    followed too: the daemon reads something, and the check warns of the file."""
    missing = tmp_path / "syslog"
    path = config(tmp_path, sources={"files": [str(tmp_path / "mail.log"), str(missing)]})
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    assert err == [
        private_tmp(tmp_path / "state" / "mailwarden.db"),
        f"mailwarden: warning: {missing} does not exist (yet): nothing is read "
        "from it until it appears; no rsyslog? set files = [] and journal = true",
    ]
    if shutil.which("journalctl") is None:
        return
    path = config(tmp_path, sources={"files": [str(missing)], "journal": True})
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    assert err[-1] == (
        f"mailwarden: warning: {missing} does not exist (yet): nothing is read from it until "
        "it appears"
    )


def private_tmp(store: Path) -> str:
    """The warning of `run --check` for a store under /tmp (pytest's folders are)."""
    return (
        f"mailwarden: warning: store.path: {store} is under /tmp: the shipped systemd "
        "unit (PrivateTmp=yes) gives the daemon a /tmp of its own, emptied at each "
        "restart, which `mailwarden ban` and `status` do not see; move it to "
        "/var/lib/mailwarden"
    )


def test_check_warns_of_a_store_under_tmp_but_is_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under the shipped unit's PrivateTmp=yes the daemon sees another /tmp than
    `mailwarden ban`, emptied at each restart: a ban by hand never reached it."""
    store = tmp_path / "db" / "state.db"
    path = config(tmp_path, store={"path": str(store)})
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    assert err == [private_tmp(store)]


# -- the store: `run --check` reads it as the daemon will open it ------------------------
#
# A store the daemon must refuse stops `run` with exit status 2 and one line naming the
# file and store.path: systemd (RestartPreventExitStatus=2) then does not restart it
# every 5 s forever; and `run --check` says so before, never "ready to run".


def start(path: Path) -> subprocess.CompletedProcess[str]:
    """`mailwarden run` as systemd starts it (a process: it sets up logging and signals)."""
    return subprocess.run(
        mailwarden("run", "--config", str(path)), capture_output=True, text=True, timeout=60
    )


def test_a_store_folder_every_user_may_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = folder_of_mode(tmp_path, "shared", 0o777)
    path = config(tmp_path, store={"path": str(shared / "state.db")})
    refusal = f"{shared / 'state.db'}: refusing a store in a folder that every user may write"
    assert_refused(capsys, path, "store.path", refusal, "--check")
    assert_refused(capsys, path, "store.path", refusal)
    assert list(shared.iterdir()) == []


def test_a_store_in_a_sticky_folder_is_refused_with_no_advice_to_chmod_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store in /tmp: "chmod o-w /tmp" would break the host."""
    sticky = folder_of_mode(tmp_path, "tmp", 0o1777)
    path = config(tmp_path, store={"path": str(sticky / "state.db")})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 2 and len(err) == 1, err
    assert f"store.path: {sticky / 'state.db'}: refusing a store in a folder" in err[0]
    assert "chmod" not in err[0] and "move it" in err[0]


def webmail(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    db.close()


def newer(path: Path) -> None:
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()


def tables_lost(path: Path) -> None:
    """Our schema version, none of our tables: dropped, or restored in part."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 1")
    db.close()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_text("hello\n"), "the store {store} is damaged: file is not a database"),
        (webmail, "{store}: not a mailwarden store: an SQLite database with tables of"),
        (newer, "{store}: written by a newer mailwarden (schema 99, this one knows 3)"),
        (tables_lost, "the store {store} is damaged: no such table: bans"),
    ],
    ids=["not-sqlite", "another-programs", "newer", "no-tables"],
)
def test_a_store_the_daemon_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, reason: str
) -> None:
    store = tmp_path / "db" / "state.db"
    store.parent.mkdir(mode=0o700)
    make(store)
    before = store.read_bytes()
    path = config(tmp_path, store={"path": str(store)})
    expected = f"mailwarden: error: {path}: store.path: {reason.format(store=store)}"

    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert (code, out) == (2, "")
    assert len(err) == 1 and err[0].startswith(expected), err

    started = start(path)
    assert started.returncode == 2, started.stderr
    lines = started.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert store.read_bytes() == before, "the file is left as it was"
    assert sorted(p.name for p in store.parent.iterdir()) == ["state.db"]


def test_damage_the_opening_does_not_see_stops_the_start_like_a_bad_setting(
    tmp_path: Path,
) -> None:
    """A page of the bans table that is not a page: found when the daemon reads its bans,
    after the store opened. Exit 2 and one line, not exit 1 and a restart every 5 s."""
    store = tmp_path / "db" / "state.db"
    with SqliteStore(store) as opened:
        for i in range(400):
            network = ipaddress.ip_network(f"2001:db8::{i:x}/128")
            entry = BanEntry(network, datetime.now(UTC) + timedelta(days=1), "x")
            opened.record_ban(entry, f"evidence-{i:04d}-" + "e" * 60)
    data = bytearray(store.read_bytes())
    page = data.find(b"evidence-0300-") // 4096
    data[page * 4096 : page * 4096 + 8] = b"\xff" * 8
    store.write_bytes(bytes(data))
    path = config(tmp_path, store={"path": str(store)})
    started = start(path)
    assert started.returncode == 2, started.stderr
    assert started.stderr.splitlines() == [
        f"mailwarden: error: {path}: store.path: the store {store} is damaged: "
        "database disk image is malformed"
    ]
    assert store.read_bytes() == data, "nothing more written to it (no heartbeat)"


def test_the_check_after_a_kill_leaves_the_store_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --check` creates and changes nothing: not even the -wal a daemon killed with
    -9 left (opening the store read-write put it into the file and deleted it)."""
    store = tmp_path / "db" / "state.db"
    SqliteStore(store).close()
    subprocess.run([sys.executable, "-c", KILLED, str(store)], check=True)
    path = config(tmp_path, store={"path": str(store)})
    before = {p.name: p.read_bytes() for p in store.parent.iterdir()}
    assert sorted(before) == ["state.db", "state.db-shm", "state.db-wal"]
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert (code, err) == (0, [private_tmp(store)]), err
    assert out.splitlines() == [f"mailwarden: {path}: ready to run"]
    assert {p.name: p.read_bytes() for p in store.parent.iterdir()} == before


@pytest.mark.parametrize("exists", [True, False], ids=["folder", "missing-folder"])
def test_a_store_under_a_folder_every_user_may_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], exists: bool
) -> None:
    """ww (0777) above ww/mw (0700): anybody may rename mw away and make their own."""
    shared = folder_of_mode(tmp_path, "ww", 0o777)
    if exists:
        (shared / "mw").mkdir(mode=0o700)
    store = shared / "mw" / "state.db"
    path = config(tmp_path, store={"path": str(store)})
    refusal = (
        f"{store}: refusing a store under a folder that every user may write ({shared}, "
        f"mode 0777): anybody could replace the folders below it; move it, or chmod o-w "
        f"{shared}"
    )
    assert_refused(capsys, path, "store.path", refusal, "--check")
    assert_refused(capsys, path, "store.path", refusal)
    assert not store.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")
def test_a_store_folder_another_user_owns_under_a_sticky_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/tmp/x (1777) / sub (nobody's): the check said the daemon would create the store
    there, and the daemon did, in a folder nobody could empty and refill."""
    sticky = folder_of_mode(tmp_path, "x", 0o1777)
    sub = sticky / "sub"
    sub.mkdir()
    os.chown(sub, 65534, -1)
    path = config(tmp_path, store={"path": str(sub / "state.db")})
    refusal = f"{sub / 'state.db'}: refusing a store in a folder another user owns ({sub}, "
    for extra in (("--check",), ()):
        code, err, _ = run_cli(capsys, "run", "--config", str(path), *extra)
        assert code == 2 and len(err) == 1, err
        assert refusal in err[0] and "chmod" not in err[0]
    assert list(sub.iterdir()) == []


def test_an_unreachable_postgresql_fails_the_check_as_the_start_it_tries_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check says it; at a start the server may come back: exit 1, and systemd
    restarts the daemon (only 2 stops it for good). The check exits as the start does:
    it said 2, a bad setting, for a server that was down."""
    url = "postgresql://mailwarden:S3cretPW@127.0.0.1:1/mailwarden"
    path = config(tmp_path, store={"path": url})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith(
        f"mailwarden: error: {path}: store.path: cannot connect to PostgreSQL: "
    )
    assert "S3cretPW" not in err[0]
    started = start(path)
    assert started.returncode == 1, started.stderr
    assert "cannot connect to PostgreSQL" in started.stderr


@pytest.mark.parametrize(
    ("url", "shown", "why"),
    [
        (
            "postgresql://mw:S3cretPW%zz@127.0.0.1/mw",
            "postgresql://mw:***@127.0.0.1/mw",
            'invalid percent-encoded token: "***"',
        ),
        (
            "postgresql://mw@127.0.0.1/mw?password=S3cretPW&sslmod=require",
            "postgresql://mw@127.0.0.1/mw?password=***&sslmod=require",
            'invalid URI query parameter: "sslmod"',
        ),
    ],
    ids=["percent", "parameter"],
)
def test_a_url_libpq_cannot_read_stops_the_check_and_the_start_like_a_bad_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, shown: str, why: str
) -> None:
    """A typo in the URL does not go away by waiting: exit 2 for the check and for the
    start (the start exited 1 and systemd restarted it for ever), one line that shows
    neither the password nor libpq's quote of it."""
    path = config(tmp_path, store={"path": url})
    expected = f"mailwarden: error: {path}: store.path: {shown}: not a PostgreSQL URL: {why}"
    assert run_cli(capsys, "run", "--config", str(path), "--check") == (2, [expected], "")
    started = start(path)
    assert (started.returncode, started.stderr.splitlines()) == (2, [expected])


def test_a_symlink_loop_on_the_store_path_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ln -s loop loop``: a traceback and exit 1 meant a restart every 5 s."""
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    path = config(tmp_path, store={"path": str(loop / "x.db")})
    for extra in (("--check",), ()):
        code, err, _ = run_cli(capsys, "run", "--config", str(path), *extra)
        assert code == 2 and len(err) == 1, err
        assert err[0].startswith(f"mailwarden: error: {path}: store.path: {loop / 'x.db'}: ")
        assert err[0].endswith("Too many levels of symbolic links"), err[0]
    for command in (("status",), ("ban", "192.0.2.7"), ("unban", "192.0.2.7")):
        code, err, _ = run_cli(capsys, *command, "--config", str(path))
        assert code == 1 and len(err) == 1, err
        assert "Too many levels of symbolic links" in err[0], err[0]


@contextmanager
def as_nobody() -> Iterator[None]:
    """This process as user nobody until the block ends (root keeps its real uid, so it
    may come back): the interpreter, under /root, is out of nobody's reach."""
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user may search (pytest's own are root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="mailwarden-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user needs root")
def test_a_store_this_user_may_not_see_is_one_line_not_a_traceback(
    open_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user's ``run --check`` on the store in root's 0700 StateDirectory, and their
    ``status``, which said "no store yet" of a store it merely could not see."""
    state = open_folder / "state"
    state.mkdir(mode=0o700)
    store = state / "mailwarden.db"
    SqliteStore(store).close()
    path = config(open_folder, store={"path": str(store)})
    path.chmod(0o644)
    with as_nobody():
        checked = run_cli(capsys, "run", "--check", "--config", str(path))
        shown = run_cli(capsys, "status", "--config", str(path))
    assert checked[:2] == (
        2,
        [f"mailwarden: error: {path}: store.path: {store}: Permission denied"],
    )
    assert shown[:2] == (1, [f"mailwarden: error: {store}: Permission denied"])


NEWER_IN_THE_WAL = r"""
import os, sys
from mailwarden.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
store._db.execute("PRAGMA user_version = 7")
os._exit(0)  # as kill -9: the newer schema is in the -wal only
"""


def test_a_symlinked_store_file_is_checked_with_the_journal_beside_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite keeps the -wal and -shm beside the file a link leads to: the check looked
    beside the link, said "ready to run", and the start then refused the store."""
    real = tmp_path / "srv" / "mailwarden.db"
    SqliteStore(real).close()
    subprocess.run([sys.executable, "-c", NEWER_IN_THE_WAL, str(real)], check=True)
    link = tmp_path / "lib" / "store.db"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(real)
    path = config(tmp_path, store={"path": str(link)})
    newer = f"{link}: written by a newer mailwarden (schema 7, this one knows 3)"
    assert_refused(capsys, path, "store.path", newer, "--check")

    SqliteStore(tmp_path / "srv" / "other.db").close()
    subprocess.run([sys.executable, "-c", KILLED, str(tmp_path / "srv" / "other.db")], check=True)
    link.unlink()
    link.symlink_to(tmp_path / "srv" / "other.db")
    wal = tmp_path / "srv" / "other.db-wal"
    wal.chmod(0o666)
    refusal = f"{link}: refusing a store that every user may write ({wal}, mode 0666)"
    assert_refused(capsys, path, "store.path", refusal, "--check")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link away needs root")
def test_a_symlink_another_user_owns_on_the_way_to_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """nobody's link in a sticky /tmp: they may delete it and point a new one at another
    store, and stat() saw only where it led."""
    sticky = folder_of_mode(tmp_path, "tmp", 0o1777)
    (tmp_path / "srv").mkdir(mode=0o700)
    SqliteStore(tmp_path / "srv" / "mailwarden.db").close()
    link = sticky / "nlink"
    link.symlink_to(tmp_path / "srv")
    os.lchown(link, 65534, -1)
    path = config(tmp_path, store={"path": str(link / "mailwarden.db")})
    refusal = (
        f"{link / 'mailwarden.db'}: refusing a store reached through a symlink another "
        f"user owns ({link}, owner nobody (uid 65534))"
    )
    assert_refused(capsys, path, "store.path", refusal, "--check")
    assert_refused(capsys, path, "store.path", refusal)
    os.lchown(link, 0, -1)
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err


def test_a_store_file_its_group_may_write_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mode 0660: any member rewrites the bans, as sshd's StrictModes refuses such an
    authorized_keys. (An ACL shows as g+w too; its refusal names the user or group of
    the entry: tests/store/test_acl.py.)"""
    store = tmp_path / "db" / "state.db"
    SqliteStore(store).close()
    store.chmod(0o660)
    path = config(tmp_path, store={"path": str(store)})
    refusal = f"{store}: refusing a store file its group may write ({store}, mode 0660, group "
    assert_refused(capsys, path, "store.path", refusal, "--check")
    assert_refused(capsys, path, "store.path", refusal)
    code, err, _ = run_cli(capsys, "status", "--config", str(path))
    assert code == 1 and len(err) == 1 and refusal in err[0], err
    assert err[0].endswith(f"chmod g-w {store}")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_store_file_another_user_owns_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """nobody's store (mode 0600): nobody rewrites the bans at will."""
    store = tmp_path / "db" / "state.db"
    SqliteStore(store).close()
    os.chown(store, 65534, -1)
    path = config(tmp_path, store={"path": str(store)})
    refusal = (
        f"{store}: refusing a store file another user owns ({store}, owner nobody "
        f"(uid 65534)): they could ban or lift bans; chown root {store}"
    )
    assert_refused(capsys, path, "store.path", refusal, "--check")
    assert_refused(capsys, path, "store.path", refusal)


def test_the_check_reads_a_store_with_no_journal_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No -wal, nothing to replay: no copy in $TMPDIR (a full or missing /tmp made the
    check call a good store broken, and a large store took time to copy)."""
    store = tmp_path / "db" / "state.db"
    SqliteStore(store).close()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))
    path = config(tmp_path, store={"path": str(store)})
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    assert sorted(p.name for p in store.parent.iterdir()) == ["state.db"]


@pytest.fixture
def tiny_tmp(tmp_path: Path) -> Iterator[Path]:
    """A temporary folder of 64 KiB (a small VM's tmpfs /tmp)."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    yield tiny
    subprocess.run(["umount", str(tiny)], check=True)


def test_a_temporary_folder_too_small_for_the_copy_is_not_a_broken_store(
    tmp_path: Path,
    tiny_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a kill -9 the check reads a private copy with the -wal; when $TMPDIR has no
    room for it, that is the host's temporary folder, said as such (exit 1, not 2)."""
    store = tmp_path / "db" / "state.db"
    with SqliteStore(store) as opened:
        opened.set_position("big", "x" * 200_000)
    subprocess.run([sys.executable, "-c", KILLED, str(store)], check=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tiny_tmp))
    path = config(tmp_path, store={"path": str(store)})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: {path}: store.path: {store}: cannot check")
    assert f"temporary folder {tiny_tmp} (No space left on device)" in err[0]
    assert "damaged" not in err[0] and "cannot open" not in err[0]
    assert list(tiny_tmp.iterdir()) == [], "no half copy left behind"


@pytest.mark.skipif(os.geteuid() != 0, reason="the daemon's own files are checked for root")
@pytest.mark.skipif(shutil.which("setfacl") is None, reason="Debian's acl package is missing")
@pytest.mark.parametrize("entry", ["u:nobody:rw", "g:nogroup:rw"])
def test_a_configuration_an_acl_lets_another_user_write_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    """root:root, mode 0644, and ``setfacl -m u:nobody:rw``: nobody could name an alert
    command the daemon runs as root. The mode shows 0664 (the ACL's mask), and the
    group is root's, so the group check let it through."""
    path = config(tmp_path)
    path.chmod(0o644)
    subprocess.run(["setfacl", "-m", entry, str(path)], check=True)
    whom = "user nobody (uid 65534)" if entry[0] == "u" else "group nogroup (gid 65534)"
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 2
    assert err[-1] == (
        f"mailwarden: error: {path}: refused: {path} is writable by {whom} through its "
        "ACL (the daemon runs as root)"
    )
    subprocess.run(["setfacl", "-m", "u:root:rw", str(path)], check=True)
    subprocess.run(["setfacl", "-x", entry.rsplit(":", 1)[0], str(path)], check=True)
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err  # root named in the ACL: nobody else may write it
