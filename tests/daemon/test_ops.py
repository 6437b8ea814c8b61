"""`mailwarden ban`, `unban` and `status` against the store the daemon reads."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_preflight import run_cli
from wardenlab import ATTACKER, OTHER, Warden, append, guesses, mailwarden

from mailwarden.store import open_store


def cli(
    capsys: pytest.CaptureFixture[str], warden: Warden, *args: str
) -> tuple[int, list[str], str]:
    return run_cli(capsys, *args, "--config", str(warden.config_path))


def test_ban_then_status_then_unban(warden: Warden, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, out = cli(capsys, warden, "ban", OTHER, "--for", "90m", "--reason", "phishing kit")
    assert code == 0, err
    assert out.startswith(f"banned {OTHER}/32 until ") and out.rstrip().endswith(
        "(1h30m): phishing kit"
    )
    assert err == [
        "mailwarden: no running daemon seen: it takes effect when `mailwarden run` starts"
    ]

    code, _, out = cli(capsys, warden, "status", "--format", "json")
    document = json.loads(out)
    (ban,) = document["bans"]
    assert ban["network"] == f"{OTHER}/32" and ban["source"] == "manual"
    assert 5390 <= ban["remaining_seconds"] <= 5400
    assert document["counts"]["active"] == 1 and document["counts"]["manual"] == 1

    code, _, out = cli(capsys, warden, "unban", OTHER)
    assert code == 0 and out.startswith(f"unbanned {OTHER}/32")
    code, _, out = cli(capsys, warden, "status", "--format", "json")
    assert json.loads(out)["bans"] == []


def test_ban_refuses_loopback_like_the_daemon(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.start().close()
    code, err, _ = cli(capsys, warden, "ban", "127.0.0.1")
    assert code == 1
    assert err == ["mailwarden: error: refusing to ban 127.0.0.1/32: 127.0.0.1/32 is loopback"]


def test_ban_refuses_the_allow_list(warden: Warden, capsys: pytest.CaptureFixture[str]) -> None:
    warden.sections["policy"]["allow"] = ["198.51.100.0/24"]
    warden.write()
    code, err, _ = cli(capsys, warden, "ban", OTHER)
    assert code == 1 and "on the allow list (198.51.100.0/24)" in err[0]


def test_status_says_a_stored_ban_on_the_allow_list_is_not_enforced(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    # Banned first, then put on the allow list (and the daemon reloaded): the daemon
    # leaves the ban out of the firewall, and status must not list it as if it held.
    code, err, _ = cli(capsys, warden, "ban", OTHER, "--for", "1h")
    assert code == 0, err
    warden.sections["policy"]["allow"] = ["198.51.100.0/24"]
    warden.write()
    code, _, out = cli(capsys, warden, "status", "--format", "json")
    (ban,) = json.loads(out)["bans"]
    assert ban["not_enforced"] == f"{OTHER}/32 is on the allow list (198.51.100.0/24)"
    code, _, out = cli(capsys, warden, "status")
    assert f"not enforced: {OTHER}/32 is on the allow list (198.51.100.0/24)" in out
    warden.sections["policy"]["allow"] = []
    warden.write()
    code, _, out = cli(capsys, warden, "status", "--format", "json")
    assert json.loads(out)["bans"][0]["not_enforced"] is None


def test_a_network_with_host_bits_is_a_usage_error(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, _ = cli(capsys, warden, "ban", "198.51.100.20/24")
    assert code == 2
    assert any("did you mean 198.51.100.0/24?" in line for line in err)


def test_unban_of_an_address_inside_a_banned_network(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, warden, "ban", "198.51.100.0/24")
    code, err, _ = cli(capsys, warden, "unban", OTHER)
    assert code == 1
    assert err == [
        f"mailwarden: error: {OTHER}/32 is inside the ban of 198.51.100.0/24: unban that network"
    ]
    code, err, _ = cli(capsys, warden, "unban", "203.0.113.99")
    assert code == 1 and err == ["mailwarden: error: 203.0.113.99/32 is not banned"]


def test_unban_of_an_address_still_inside_a_banned_network_names_that_ban(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """The detector banned a customer's address, then its /24; ``unban ADDR`` said
    "unbanned" and nothing more while the /24 ban kept dropping the address. Now it
    names the ban that still blocks it (exit 0: the ban asked for was lifted)."""
    cli(capsys, warden, "ban", "198.51.100.0/24", "--for", "1d")
    cli(capsys, warden, "ban", "198.51.100.0/25", "--for", "2h")
    cli(capsys, warden, "ban", OTHER, "--for", "1h")
    with open_store(warden.sections["store"]["path"]) as store:
        until = {str(row.network): row.until for row in store.active_bans()}
    code, err, out = cli(capsys, warden, "unban", OTHER)
    assert code == 0
    assert out.startswith(f"unbanned {OTHER}/32\n")
    stamp = {network: when.strftime("%Y-%m-%dT%H:%M:%SZ") for network, when in until.items()}
    assert err[:2] == [
        f"mailwarden: warning: {OTHER}/32 is still blocked by the ban of 198.51.100.0/24 "
        f"until {stamp['198.51.100.0/24']}: unban that network to let it in",
        f"mailwarden: warning: {OTHER}/32 is still blocked by the ban of 198.51.100.0/25 "
        f"until {stamp['198.51.100.0/25']}: unban that network to let it in",
    ]
    # An unban that leaves nothing over the address says nothing more.
    cli(capsys, warden, "ban", "203.0.113.99")
    code, err, out = cli(capsys, warden, "unban", "203.0.113.99")
    assert code == 0 and out.startswith("unbanned 203.0.113.99/32\n")
    assert not any("still blocked" in line for line in err)


def test_a_repeat_offender_is_banned_longer_by_hand_too(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, warden, "ban", OTHER)
    cli(capsys, warden, "unban", OTHER)
    code, _, out = cli(capsys, warden, "ban", OTHER)
    assert code == 0 and "(2h, offence 2)" in out


def test_status_shows_the_daemon_its_bans_and_positions(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    daemon._due["heartbeat"] = 0
    daemon.step()

    code, _, out = cli(capsys, warden, "status", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["version"] == 1
    assert document["daemon"]["running"] is True
    assert document["daemon"]["counters"]["bans"] == 1
    assert document["bans"][0]["network"] == f"{ATTACKER}/32"
    assert document["bans"][0]["source"] == "auto"
    (source,) = document["sources"]
    assert source["name"] == str(warden.log) and source["behind_bytes"] == 0
    assert source["line"] == 4

    _code, _, out = cli(capsys, warden, "status")
    assert out.startswith("daemon: running (pid ")
    assert f"  {ATTACKER}/32" in out and "bruteforce" in out
    assert f"  {warden.log}  read up to line 3; next: line 4, offset " in out

    daemon.close()
    _code, _, out = cli(capsys, warden, "status", "--format", "json")
    assert json.loads(out)["daemon"]["running"] is False


def test_status_without_a_store(warden: Warden, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = cli(capsys, warden, "status")
    assert code == 1 and "no store yet" in err[0]


def test_the_daemon_takes_up_a_ban_and_an_unban_at_its_next_step(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    daemon._due["heartbeat"] = 0
    daemon.step()
    _code, _, out = cli(capsys, warden, "ban", OTHER)
    assert "the running daemon applies it within a second" in out
    daemon.step()
    assert any(r.getMessage().startswith(f"ban {OTHER}/32 for ") for r in caplog.records)
    cli(capsys, warden, "unban", OTHER)
    daemon.step()
    assert any(r.getMessage() == f"would unban {OTHER}/32" for r in caplog.records)


def test_banning_again_never_shortens_a_ban(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, warden, "ban", OTHER, "--for", "2d")
    cli(capsys, warden, "ban", OTHER, "--for", "1h")
    with open_store(str(Path(warden.sections["store"]["path"]))) as store:
        (row,) = store.active_bans()
    assert row.until - datetime.now(UTC) > timedelta(days=1, hours=23)


def test_status_text_keeps_a_long_ipv6_ban_on_one_line(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain lines, never wrapped: the banned network is whole, wherever it is."""
    warden.start().close()
    address = "2001:db8:a11:1:1234:5678:9abc:def0"
    code, err, _ = cli(capsys, warden, "ban", address, "--reason", "x " * 60)
    assert code == 0, err
    code, _, out = cli(capsys, warden, "status")
    assert code == 0
    (line,) = [line for line in out.splitlines() if address in line]
    assert line.startswith(f"  {address}/128 until ")


def test_banning_a_banned_address_again_keeps_its_reason_and_counts_no_offence(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()  # an automatic ban: offence 1
    code, err, out = cli(capsys, warden, "ban", ATTACKER, "--for", "1d")
    assert code == 0, err
    assert out.startswith(f"extended the ban of {ATTACKER}/32 until ")
    assert ": bruteforce: " in out.splitlines()[0]
    with open_store(str(Path(warden.sections["store"]["path"]))) as store:
        (row,) = store.active_bans()
        assert row.offences == 1 and row.reason.startswith("bruteforce: ")
        assert store.offences(row.network) == 1
        assert row.until - datetime.now(UTC) > timedelta(hours=23)
    _, _, out = cli(capsys, warden, "ban", ATTACKER, "--reason", "phishing kit")
    assert out.startswith(f"kept the longer ban of {ATTACKER}/32 until ")  # 1h asked, 1d left
    # (its length from the automatic ban on: a second more when the clock ticked between)
    assert re.search(r"\(1d(1s)?\): phishing kit$", out.splitlines()[0]), out
    cli(capsys, warden, "unban", ATTACKER)
    _, _, out = cli(capsys, warden, "ban", ATTACKER)
    assert "(2h, offence 2): banned by hand" in out  # the next ban escalates once, not twice


def test_unban_without_a_store_creates_none(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Path(warden.sections["store"]["path"])
    code, err, _ = cli(capsys, warden, "unban", OTHER)
    assert code == 1 and err == [
        f"mailwarden: error: {store}: no store yet (the daemon creates it when it starts)"
    ]
    assert not store.exists() and not store.parent.exists()


def test_a_relative_store_path_is_refused_as_run_refuses_it(
    warden: Warden, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``path = "rel/mailwarden.db"``: `ban` made a stray store in the current directory
    while `run` refused the same configuration."""
    warden.sections["store"]["path"] = "rel/mailwarden.db"
    warden.write()
    monkeypatch.chdir(warden.tmp)
    refusal = (
        f"mailwarden: error: {warden.config_path}: store.path: 'rel/mailwarden.db' is not "
        "an absolute path"
    )
    for command in (("ban", OTHER), ("unban", OTHER), ("status",), ("run", "--check")):
        code, err, _ = cli(capsys, warden, *command)
        assert (code, err) == (2, [refusal]), command
    assert not (warden.tmp / "rel").exists()


# -- status and unban never write a store into a file that holds none ----------------


def _store_folder(warden: Warden) -> tuple[Path, list[str]]:
    store = Path(warden.sections["store"]["path"])
    store.parent.mkdir(parents=True, exist_ok=True)
    return store, [
        f"mailwarden: error: {store}: no store yet (the daemon creates it when it starts)"
    ]


@pytest.mark.parametrize(
    "command", [("status",), ("status", "--format", "json"), ("unban", OTHER)], ids=" ".join
)
def test_an_empty_file_at_the_store_path_is_no_store_yet_and_stays_empty(
    warden: Warden, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """``: > store.db`` (or a mistyped store path in a mistyped --config): status
    wrote the tables into it, 53 KB, and exited 0, though it only reads."""
    store, no_store = _store_folder(warden)
    store.touch(mode=0o600)

    code, err, out = cli(capsys, warden, *command)

    assert (code, err, out) == (1, no_store, "")
    assert store.stat().st_size == 0
    assert [p.name for p in store.parent.iterdir()] == [store.name]


def test_a_database_without_tables_is_no_store_yet(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    store, no_store = _store_folder(warden)
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE scratch (x)")
    db.execute("DROP TABLE scratch")
    db.close()
    before = store.read_bytes()

    code, err, _ = cli(capsys, warden, "status")

    assert (code, err) == (1, no_store)
    assert store.read_bytes() == before


def test_status_reads_what_a_killed_daemon_left_and_changes_no_file(
    warden: Warden, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A store and its -wal as a kill -9 leaves them: status shows the ban the -wal
    holds, read-only; it used to replay the -wal into the store and delete it."""
    store, _ = _store_folder(warden)
    holder = open_store(str(store))  # keeps the ban in the -wal, as a running daemon
    try:
        code, err, _ = cli(capsys, warden, "ban", OTHER)
        assert code == 0, err
        killed = tmp_path / "killed"
        killed.mkdir(mode=0o700)
        for name in (store.name, store.name + "-wal"):
            shutil.copy2(store.parent / name, killed / name)
    finally:
        holder.close()
    files = {p.name: p.read_bytes() for p in killed.iterdir()}
    assert len(files[store.name + "-wal"]) > 0
    warden.sections["store"]["path"] = str(killed / store.name)
    warden.write()

    code, err, out = cli(capsys, warden, "status", "--format", "json")

    assert code == 0, err
    assert [ban["network"] for ban in json.loads(out)["bans"]] == [f"{OTHER}/32"]
    assert {p.name: p.read_bytes() for p in killed.iterdir()} == files


# -- a store path no command can use: every command says it in the same words --------

EVERY_COMMAND = [
    ("status",),
    ("status", "--format", "json"),
    ("ban", OTHER),
    ("unban", OTHER),
    ("run", "--check"),
    ("run",),
]


def test_a_store_under_a_file_is_refused_by_every_command_in_the_same_words(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """``/srv/afile/state.db`` where afile is a file: status and unban said "no store
    yet (the daemon creates it)", which it never can; run and run --check "afile is not
    writable"; ban "[Errno 20] Not a directory"."""
    afile = warden.tmp / "afile"
    afile.write_text("not a folder\n")
    store = afile / "state" / "mailwarden.db"
    warden.sections["store"]["path"] = str(store)
    warden.write()
    refusal = (
        f"mailwarden: error: {warden.config_path}: store.path: {store}: {afile} is not a directory"
    )
    for command in EVERY_COMMAND:
        assert cli(capsys, warden, *command) == (2, [refusal], ""), command
    assert afile.read_text() == "not a folder\n"


def test_a_keyword_connection_string_is_refused_without_its_password(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """libpq's other form, ``host=db password=…``, is no store path: the refusal quoted
    it whole, password included, into the journal."""
    warden.sections["store"]["path"] = "host=db.example password='S3cret PW' dbname=mw"
    warden.write()
    refusal = (
        f"mailwarden: error: {warden.config_path}: store.path: 'host=db.example "
        "password=*** dbname=mw' is not an absolute path (a PostgreSQL store is named by "
        "a postgresql:// URL)"
    )
    for command in EVERY_COMMAND:
        assert cli(capsys, warden, *command) == (2, [refusal], ""), command


def test_status_json_names_the_configuration_by_its_absolute_path(
    warden: Warden, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--config mailwarden.toml`` gave ``"config": "mailwarden.toml"``: which one,
    for the monitoring that reads it from elsewhere?"""
    cli(capsys, warden, "ban", OTHER)
    monkeypatch.chdir(warden.tmp)
    code, err, out = run_cli(capsys, "status", "--format", "json", "--config", "mailwarden.toml")
    assert code == 0, err
    assert json.loads(out)["config"] == str(warden.config_path)


# -- a daemon that writes no heartbeat: gone, or blocked ----------------------------------


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """`status` from `seconds` on: the daemon's last heartbeat looks that old."""
    import mailwarden.daemon.status as status_module

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + timedelta(seconds=seconds)

    monkeypatch.setattr(status_module, "datetime", Later)


def test_status_tells_a_blocked_daemon_from_a_gone_one(
    warden: Warden, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the store's write lock: the daemon waits on it and writes
    no heartbeat. status said "daemon: not running" of a daemon that runs; now it says
    that its process is there, and after a kill -9 only what it knows."""
    store = Path(warden.sections["store"]["path"])
    daemon = subprocess.Popen(
        mailwarden("run", "--config", str(warden.config_path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):  # its first heartbeat
            if store.exists() and cli(capsys, warden, "status")[2].startswith("daemon: running"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the daemon did not start")
        holder = sqlite3.connect(store, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as a backup tool might
        try:
            _later(monkeypatch, 20)
            code, err, out = cli(capsys, warden, "status")
            first = out.splitlines()[0]
            assert code == 0, err
            assert first.startswith(
                f"daemon: not responding: its process (pid {daemon.pid}) runs but wrote no "
                "heartbeat for "
            ), first
            assert first.endswith("): blocked (its log says on what) or suspended"), first
            code, _, out = cli(capsys, warden, "status", "--format", "json")
            shown = json.loads(out)["daemon"]
            assert (shown["running"], shown["not_responding"]) == (False, True)
        finally:
            holder.rollback()
            holder.close()
        daemon.kill()
        daemon.wait(timeout=10)
        code, _, out = cli(capsys, warden, "status")
        first = out.splitlines()[0]
        assert first.startswith(
            f"daemon: not running: its process (pid {daemon.pid}) is gone without a clean stop"
        ), first
        assert first.endswith("): killed or crashed"), first
        code, _, out = cli(capsys, warden, "status", "--format", "json")
        shown = json.loads(out)["daemon"]
        assert (shown["running"], shown["not_responding"], shown["gone"]) == (False, False, True)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
        assert daemon.stderr is not None
        daemon.stderr.close()
