"""A PostgreSQL server that stops answering on a connection already open (its host
paused, a network path that drops packets) fails a store call within the store's wait,
in one line, never hangs it: TCP still acknowledges the bytes (a proxy that freezes is
in between here, no mock), so only mailwarden's own bound ends the wait. The daemon
carries on as with any store error: the ban goes into the firewall, the store is left
alone a while and the ban recorded once it answers again."""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pgfreeze import FreezingProxy
from storelab import POSTGRES_DSN, guesses, store_daemon

from bantimes import firewall_times
from mailwarden.daemon import loop as loop_module
from mailwarden.enforce import BanEntry
from mailwarden.errors import StoreError

ATTACKERS = ("203.0.113.7", "203.0.113.8")


@pytest.fixture
def proxy() -> Iterator[FreezingProxy]:
    found = FreezingProxy(POSTGRES_DSN)
    try:
        yield found
    finally:
        found.close()


def _within(seconds: float, call: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds taken, what `call` returned or raised); fails the test, instead of
    hanging it, when `call` has not returned after `seconds`."""
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(call())
        except BaseException as exc:
            done.append(exc)

    began = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert done, f"still waiting after {seconds} s: the call hangs"
    return time.monotonic() - began, done[0]


def test_a_store_call_to_a_frozen_server_fails_in_one_line_within_its_wait(
    proxy: FreezingProxy, pg_schema: str
) -> None:
    from mailwarden.store.postgres import PostgresStore

    store = PostgresStore(proxy.dsn(), schema=pg_schema, connect_timeout=3)
    try:
        assert store.active_bans() == []
        proxy.freeze()
        took, failed = _within(15, store.active_bans)
        assert isinstance(failed, StoreError)
        message = str(failed)
        assert "\n" not in message
        assert "no answer in 3 s" in message
        assert "(the server or the network to it hangs)" in message
        assert took < 5
        # A write too, on a new connection the server does not answer: bounded as well.
        entry = BanEntry(
            ipaddress.ip_network("203.0.113.7/32"),
            datetime.now(UTC) + timedelta(hours=1),
            "test",
        )
        took, failed = _within(15, lambda: store.record_ban(entry, "evidence", "manual"))
        assert isinstance(failed, StoreError)
        assert took < 5
        proxy.thaw()
        store.record_ban(entry, "evidence", "manual")  # it answers again: it works
        assert [str(row.network) for row in store.active_bans()] == ["203.0.113.7/32"]
    finally:
        proxy.thaw()
        store.close()


def test_a_store_waits_ten_seconds_for_an_answer_by_default(pg_schema: str) -> None:
    from mailwarden.store.postgres import PostgresStore

    store = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    try:
        assert store.answer_wait == 10
        store.patience(1.0)  # the daemon's retry of a store that failed
        assert store.answer_wait == 2
        store.patience(None)
        assert store.answer_wait == 10
    finally:
        store.close()


def test_a_claim_cut_while_frozen_is_no_other_daemon(proxy: FreezingProxy, pg_schema: str) -> None:
    from mailwarden.store.postgres import PostgresStore

    store = PostgresStore(proxy.dsn(), schema=pg_schema, connect_timeout=2)
    try:
        store.claim("mx1")
        proxy.freeze()
        took, said = _within(15, store.keep_claim)
        assert said is None  # nobody else holds it: nothing to say
        assert took < 8  # its answer (2 s), then a new connection (2 s)
        proxy.thaw()
        # The server ends the cut session once it reads that it was closed: the
        # claim is taken again, never said to be another daemon's.
        deadline = time.monotonic() + 10
        while store._claim is None and time.monotonic() < deadline:
            assert store.keep_claim() is None
            time.sleep(0.2)
        assert store._claim is not None
    finally:
        proxy.thaw()
        store.close()


def test_the_daemon_carries_on_while_its_store_is_frozen(
    tmp_path: Path,
    pg_database: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loop_module, "STORE_RETRY_EVERY", 3.0, raising=False)
    proxy = FreezingProxy(pg_database)
    daemon, log = store_daemon(tmp_path, proxy.dsn())
    try:
        into_firewall = firewall_times(daemon, monkeypatch)
        daemon.store.inner.patience(3)  # 10 s by default: shorter for the test
        proxy.freeze()

        with log.open("a") as out:
            out.write(guesses(ATTACKERS[0]))
        began = time.monotonic()
        took, failed = _within(20, daemon.step)
        assert not isinstance(failed, BaseException), failed
        assert into_firewall[f"{ATTACKERS[0]}/32"] - began < 1.0
        assert took < 8
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store: ")]
        assert any("no answer in 3 s" in line for line in said), said

        # Left alone meanwhile: the next ban waits for nothing.
        with log.open("a") as out:
            out.write(guesses(ATTACKERS[1]))
        took, failed = _within(20, daemon.step)
        assert not isinstance(failed, BaseException), failed
        assert f"{ATTACKERS[1]}/32" in into_firewall
        assert took < 1.0

        proxy.thaw()  # it answers again: both bans are recorded
        time.sleep(3.1)
        daemon.step()
        stored = {str(row.network) for row in daemon.store.active_bans()}
        assert stored == {f"{ip}/32" for ip in ATTACKERS}
    finally:
        proxy.thaw()
        daemon.close()
        proxy.close()


def test_the_store_connection_probes_its_server(pg_schema: str) -> None:
    """TCP keepalives of our own: a connection whose server went away while it was idle
    is found dead within about a minute (unless the URL says otherwise)."""
    from mailwarden.store.postgres import PostgresStore

    for url, idle in ((POSTGRES_DSN, 30), (POSTGRES_DSN + "?keepalives_idle=7", 7)):
        store = PostgresStore(url, schema=pg_schema)
        try:
            db = store._connection()
            with socket.socket(fileno=os.dup(db.pgconn.socket)) as sock:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == idle
        finally:
            store.close()
