"""Servers sharing one PostgreSQL store: each keeps its own offsets, journal cursor and
heartbeat (under its host name), while the bans stay the fleet's."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from storelab import POSTGRES_DSN

from mailwarden.config import Config, config_from_mapping
from mailwarden.daemon.loop import Daemon
from mailwarden.daemon.reading import Reader, StateKeys, file_key
from mailwarden.daemon.status import status_document, status_text
from mailwarden.enforce.interface import BanEntry
from mailwarden.sources.interface import ReadStats
from mailwarden.store.interface import Store

OWN = [ipaddress.ip_network("192.0.2.1/32")]


def lines(n: int, start: int = 0) -> str:
    return "".join(
        f"2026-03-11T10:00:{(start + i) % 60:02d}.000000+00:00 mx postfix/smtpd[{1000 + i}]: "
        f"connect from unknown[198.51.100.{(start + i) % 250 + 1}]\n"
        for i in range(n)
    )


def fleet_config(log: Path, host: str, **store: Any) -> Config:
    return config_from_mapping(
        {
            "sources": {"files": [str(log)]},
            "store": {"path": POSTGRES_DSN, "host_name": host, **store},
            "enforce": {"backend": "none"},
        },
        f"<{host}>",
    )


@pytest.fixture
def shared(pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Store]]:
    """Every `open_store` of the daemon and the CLI opens the test's schema, and the
    CLI's `probe_store` (whether the tables exist yet) looks there."""
    from mailwarden.store.postgres import PostgresStore, probe

    opened: list[Store] = []

    def open_store(url: str, *, read_only: bool = False) -> Store:  # PostgreSQL: no matter
        assert url == POSTGRES_DSN
        opened.append(PostgresStore(POSTGRES_DSN, schema=pg_schema))
        return opened[-1]

    monkeypatch.setattr("mailwarden.daemon.loop.open_store", open_store)
    monkeypatch.setattr("mailwarden.cli.ops.open_store", open_store)
    monkeypatch.setattr(
        "mailwarden.cli.ops.probe_store", lambda url: probe(POSTGRES_DSN, schema=pg_schema)
    )
    try:
        yield opened
    finally:
        for store in opened:
            store.close()


def start(config: Config, daemons: list[Daemon]) -> Daemon:
    daemon = Daemon(config, own=lambda: list(OWN), tick=0.01)
    daemon.start()
    daemons.append(daemon)
    return daemon


def offset(store: Store, key: str) -> int:
    value = store.get_position(key)
    assert isinstance(value, dict), key
    number = value["offset"]
    assert isinstance(number, int)
    return number


def test_two_hosts_keep_their_own_offsets_and_heartbeats(
    shared: list[Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "mail.log"  # /var/log/mail.log on every host: one name, two files
    log.write_text(lines(5))
    mx1_config, mx2_config = fleet_config(log, "mx1"), fleet_config(log, "mx2")
    daemons: list[Daemon] = []
    try:
        mx1 = start(mx1_config, daemons)
        with log.open("a") as out:
            out.write(lines(3, 5))
        while mx1.step():
            pass
        mx1._heartbeat()
        at_mx1 = log.stat().st_size

        mx2 = start(mx2_config, daemons)
        with log.open("a") as out:
            out.write(lines(4, 8))
        while mx2.step():
            pass
        mx2._heartbeat(stopped=True)
        at_mx2 = log.stat().st_size

        store = mx1.store
        path = str(log)
        assert offset(store, f"mx1/file:{path}") == at_mx1
        assert offset(store, f"mx2/file:{path}") == at_mx2 > at_mx1
        assert store.get_position(file_key(path)) is None, "no host writes the bare key"
        beats = store.positions()
        mx1_beat, mx2_beat = beats["mx1/daemon"], beats["mx2/daemon"]
        assert isinstance(mx1_beat, dict) and isinstance(mx2_beat, dict)
        assert mx1_beat["stopped"] is None and mx2_beat["stopped"] is not None
        assert "daemon" not in beats

        # What `mailwarden status` shows on each host: its own daemon and offsets.
        one, two = status_document(store, mx1_config), status_document(store, mx2_config)
        assert (one["host"], two["host"]) == ("mx1", "mx2")
        assert one["daemon"]["running"] is True and two["daemon"]["running"] is False
        assert one["daemon"]["stopped"] is None and two["daemon"]["stopped"] is not None
        assert [s["offset"] for s in one["sources"]] == [at_mx1]
        assert [s["offset"] for s in two["sources"]] == [at_mx2]
        assert one["sources"][0]["behind_bytes"] == at_mx2 - at_mx1
        assert [(o["host"], o["running"]) for o in one["other_hosts"]] == [("mx2", False)]
        assert [(o["host"], o["running"]) for o in two["other_hosts"]] == [("mx1", True)]
        text = status_text(one)
        assert "host: mx1" in text and "daemon: running" in text
        assert "other host mx2: daemon stopped" in text

        # mx1 restarts where it stopped, not where mx2 did: it reads the 4 lines it missed.
        mx1.close()
        again = start(mx1_config, daemons)
        assert again.counters.records == 4
        assert offset(store, f"mx1/file:{path}") == at_mx2
    finally:
        for daemon in daemons:
            daemon.close()


def test_status_on_the_command_line_shows_this_hosts_daemon(
    shared: list[Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailwarden.cli import main

    log = tmp_path / "mail.log"
    log.write_text(lines(2))
    daemons: list[Daemon] = []
    try:
        mx1 = start(fleet_config(log, "mx1"), daemons)
        mx1._heartbeat()
        mx2 = start(fleet_config(log, "mx2"), daemons)
        mx2._heartbeat(stopped=True)
        config = tmp_path / "mx2.toml"
        config.write_text(
            f'[sources]\nfiles = ["{log}"]\n[store]\npath = "{POSTGRES_DSN}"\nhost_name = "mx2"\n'
        )
        with pytest.raises(SystemExit) as done:
            main(["status", "--format", "json", "--config", str(config)])
        assert done.value.code == 0
        document = json.loads(capsys.readouterr().out)
        assert document["host"] == "mx2"
        assert document["daemon"]["running"] is False and document["daemon"]["stopped"]
        assert document["other_hosts"][0]["host"] == "mx1"
        assert document["other_hosts"][0]["running"] is True
    finally:
        for daemon in daemons:
            daemon.close()


def test_bans_stay_shared_by_the_fleet(shared: list[Store], tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    daemons: list[Daemon] = []
    try:
        mx1 = start(fleet_config(log, "mx1"), daemons)
        mx2 = start(fleet_config(log, "mx2"), daemons)
        until = datetime.now(UTC) + timedelta(hours=1)
        mx1.store.record_ban(BanEntry(ipaddress.ip_network("203.0.113.7/32"), until, "x"), "e")
        mx2.step()
        assert {str(entry.network) for entry in mx2.applied.values()} == {"203.0.113.7/32"}
    finally:
        for daemon in daemons:
            daemon.close()


def test_the_host_name_defaults_to_the_hosts_and_sqlite_keeps_the_bare_keys(
    tmp_path: Path,
) -> None:
    config = fleet_config(tmp_path / "mail.log", "")
    assert StateKeys.for_store(config.store).host == os.uname().nodename
    sqlite = config_from_mapping({"store": {"path": str(tmp_path / "s.db"), "host_name": "mx1"}})
    keys = StateKeys.for_store(sqlite.store)
    assert (keys.file("/var/log/mail.log"), keys.journal, keys.daemon) == (
        "file:/var/log/mail.log",
        "journal",
        "daemon",
    )


def test_an_upgraded_shared_store_resumes_from_this_hosts_earlier_position(
    pg_schema: str, tmp_path: Path
) -> None:
    from mailwarden.store.postgres import PostgresStore

    log = tmp_path / "mail.log"
    log.write_text(lines(6))
    other = tmp_path / "other.log"
    other.write_text(lines(6))
    config = fleet_config(log, "mx1")
    store = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    try:
        # What the one-host daemon of the release before stored under the bare key.
        first = Reader(config.sources, store, ReadStats())
        first.start()
        with log.open("a") as out:
            out.write(lines(2, 6))
        first.poll()
        first.commit(store)
        first.close()
        stored = offset(store, file_key(str(log)))
        with log.open("a") as out:
            out.write(lines(3, 8))  # written while upgrading

        keys = StateKeys.for_store(config.store)
        reader = Reader(config.sources, store, ReadStats(), keys=keys)
        backlog = reader.start()
        assert sum(len(chunk.data) for chunk in backlog) == log.stat().st_size - stored
        reader.commit(store)
        reader.close()
        assert offset(store, f"mx1/file:{log}") == log.stat().st_size

        # Another host's bare position (another file here) is never taken: it would make
        # this host read its log again from the start.
        foreign = store.get_position(file_key(str(log)))
        assert isinstance(foreign, dict)
        store.set_position(file_key(str(other)), foreign)
        config2 = fleet_config(other, "mx2")
        reader = Reader(
            config2.sources, store, ReadStats(), keys=StateKeys.for_store(config2.store)
        )
        assert sum(len(chunk.data) for chunk in reader.start()) == 0, "read from its end"
        reader.close()
    finally:
        store.close()


def guesses(ip: str) -> str:
    """Three accounts guessed at once: a ban (the default policy)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return "".join(
        f"{now} mx postfix/submission/smtpd[{1200 + n}]: warning: unknown[{ip}]: SASL LOGIN"
        f" authentication failed: (reason unavailable), sasl_username={user}@example.com\n"
        for n, user in enumerate(("admin", "info", "sales"))
    )


def test_one_attacker_on_two_hosts_in_one_second_is_one_offence(
    shared: list[Store], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="mailwarden")
    logs = {host: tmp_path / f"{host}.log" for host in ("mxa", "mxb")}
    daemons: list[Daemon] = []
    try:
        mxa, mxb = (start(fleet_config(log, host), daemons) for host, log in logs.items())
        for log in logs.values():
            log.write_text(guesses("192.0.2.77"))
        mxa.step()
        caplog.clear()
        mxb.step()  # reads its own lines before it reads mxa's ban from the store
        network = ipaddress.ip_network("192.0.2.77/32")
        rows = mxa.store.history(network=network)
        assert [(row.offences, row.state) for row in rows] == [(1, "active")]
        assert rows[0].until - rows[0].since == timedelta(hours=1)
        said = [r.getMessage() for r in caplog.records if "192.0.2.77" in r.getMessage()]
        assert len(said) == 1 and "offence" not in said[0].replace("not a new offence", "")
        assert said[0].startswith("ban 192.0.2.77/32 for 1h "), said
        assert mxb.counters.bans == 0 and mxb.counters.already_banned == 1
        assert mxb.applied.get(network) == rows[0].entry()

        # The next real offence is the second, not the third (the policy escalates it).
        assert mxa.store.offences(network) == 1
    finally:
        for daemon in daemons:
            daemon.close()


def test_a_second_daemon_with_the_same_host_name_is_refused(
    shared: list[Store], tmp_path: Path
) -> None:
    from mailwarden.errors import StoreError

    daemons: list[Daemon] = []
    try:
        mxa = start(fleet_config(tmp_path / "a.log", "mxa"), daemons)
        mxa._heartbeat()
        other = fleet_config(tmp_path / "c.log", "mxa")
        with pytest.raises(StoreError) as refused:
            start(other, daemons)
        line = str(refused.value)
        assert line.startswith("another mailwarden daemon runs as host mxa with the store "), line
        assert "(PostgreSQL session " in line and f"its heartbeat says pid {os.getpid()}" in line
        assert "last heartbeat 0s ago" in line or "last heartbeat 1s ago" in line, line
        assert line.endswith("give this one its own store.host_name")
        # The refused one wrote no heartbeat: mxa still runs, as status shows it.
        document = status_document(mxa.store, other)
        assert document["daemon"]["running"] is True and document["daemon"]["stopped"] is None

        start(fleet_config(tmp_path / "b.log", "mxb"), daemons)  # another host: welcome
        mxa.close()
        start(other, daemons)  # mxa stopped: its successor starts
    finally:
        for daemon in daemons:
            daemon.close()


def test_a_claim_lost_with_its_connection_is_taken_again(
    shared: list[Store], tmp_path: Path
) -> None:
    import psycopg

    from mailwarden.errors import StoreError

    daemons: list[Daemon] = []
    try:
        mxa = start(fleet_config(tmp_path / "a.log", "mxa"), daemons)
        claim = mxa.store._claim  # type: ignore[attr-defined]
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (claim.info.backend_pid,))
        mxa._heartbeat()  # the claim is taken again
        assert mxa.counters.store_errors == 0
        with pytest.raises(StoreError, match="another mailwarden daemon runs as host mxa"):
            start(fleet_config(tmp_path / "c.log", "mxa"), daemons)
    finally:
        for daemon in daemons:
            daemon.close()
