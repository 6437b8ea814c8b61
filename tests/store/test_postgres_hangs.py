"""A PostgreSQL store that stops answering (a server that accepts a connection and
never answers) holds no ban up: the firewall gets each ban at once, the store is waited
for once (its connect timeout) and then left alone for a while, and the bans are
recorded when it works again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from configfile import write_config
from mailwarden.config import load_config
from mailwarden.daemon import loop as loop_module
from mailwarden.daemon.loop import Daemon
from mailwarden.enforce import BanEntry
from mailwarden.model import IPNetwork

ATTACKERS = ("203.0.113.7", "203.0.113.8")


def _guesses(ip: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return "".join(
        f"{now} mx postfix/submission/smtpd[{1201 + n}]: "
        f"warning: unknown[{ip}]: SASL PLAIN authentication failed: UGFzc3dvcmQ6, "
        f"sasl_username={user}\n"
        for n, user in enumerate(("admin", "info", "sales"))
    )


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
    log = tmp_path / "mail.log"
    log.touch()
    config = write_config(
        tmp_path / "mailwarden.toml",
        {
            "sources": {"files": [str(log)]},
            "store": {"path": pg_database, "host_name": "mx1"},
            "enforce": {"backend": "none"},
            "policy": {"fast_failures": 3, "fast_window": "5m"},
        },
    )
    daemon = Daemon(load_config(str(config)), own=lambda: [], tick=0.01)
    daemon.start()
    try:
        into_firewall: dict[str, float] = {}
        apply = daemon.enforcer.apply

        def timed(add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
            for entry in add:
                into_firewall.setdefault(str(entry.network), time.monotonic())
            apply(add, remove)

        monkeypatch.setattr(daemon.enforcer, "apply", timed)
        # The server goes silent: its connection ends, a new one is never answered.
        inner = getattr(daemon.store, "inner", daemon.store)
        live_dsn = inner.dsn
        inner.dsn = f"postgresql://postgres@/x?host={silent_server}"
        inner._db.close()

        began = time.monotonic()
        with log.open("a") as out:
            out.write(_guesses(ATTACKERS[0]))
        daemon.step()
        assert into_firewall[f"{ATTACKERS[0]}/32"] - began < 1.0

        with log.open("a") as out:
            out.write(_guesses(ATTACKERS[1]))
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
