"""A PostgreSQL store that stops answering (a server that accepts a connection and
never answers) holds no ban up: the firewall gets each ban at once, the store is waited
for once (its connect timeout) and then left alone for a while, and the bans are
recorded when it works again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from storelab import guesses, store_daemon

from bantimes import firewall_times
from mailwarden.daemon import loop as loop_module

ATTACKERS = ("203.0.113.7", "203.0.113.8")


@pytest.fixture
def silent_server(tmp_path: Path) -> Iterator[Path]:
    """A folder with a PostgreSQL socket that accepts connections and never answers."""
    folder = tmp_path / "silent"
    folder.mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / ".s.PGSQL.5432"))
    server.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield folder
    finally:
        server.close()
        for each in held:
            each.close()


def test_a_postgres_store_that_never_answers_holds_no_ban_up(
    tmp_path: Path, pg_database: str, silent_server: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_module, "STORE_RETRY_EVERY", 3.0, raising=False)
    daemon, log = store_daemon(tmp_path, pg_database)
    try:
        into_firewall = firewall_times(daemon, monkeypatch)
        # The server goes silent: its connection ends, a new one is never answered.
        inner = getattr(daemon.store, "inner", daemon.store)
        live_dsn = inner.dsn
        inner.dsn = f"postgresql://postgres@/x?host={silent_server}"
        inner._db.close()

        began = time.monotonic()
        with log.open("a") as out:
            out.write(guesses(ATTACKERS[0]))
        daemon.step()
        assert into_firewall[f"{ATTACKERS[0]}/32"] - began < 1.0

        with log.open("a") as out:
            out.write(guesses(ATTACKERS[1]))
        began = time.monotonic()
        daemon.step()
        assert f"{ATTACKERS[1]}/32" in into_firewall
        assert time.monotonic() - began < 1.0

        inner.dsn = live_dsn  # the server answers again
        time.sleep(3.1)
        daemon.step()
        stored = {str(row.network) for row in daemon.store.active_bans()}
        assert stored == {f"{ip}/32" for ip in ATTACKERS}
    finally:
        daemon.close()
