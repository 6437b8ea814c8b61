"""A damaged row in the store never stops the daemon from starting: it is skipped with
one warning, and the good bans and positions are used."""

from __future__ import annotations

import ipaddress
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import ATTACKER, OTHER, Warden, append, banned, guesses

from mailwarden.enforce.interface import BanEntry
from mailwarden.store.sqlite import SqliteStore

FAR = 4102444800  # 2100-01-01


def test_the_daemon_starts_on_a_store_with_damaged_rows(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    path = warden.tmp / "state" / "mailwarden.db"
    with SqliteStore(path) as store:
        store.record_ban(
            BanEntry(ipaddress.ip_network(OTHER), datetime.now(UTC) + timedelta(days=1), "x"), ""
        )
    db = sqlite3.connect(path)
    db.execute("PRAGMA ignore_check_constraints = ON")
    columns = "network, since, until, reason, evidence, source, offences"
    for values in (
        f"'198.51.100.1/32', 100000000000000000, {FAR}, 'r', 'e', 'auto', 1",
        f"'198.51.100.2/32', 'yesterday', {FAR}, 'r', 'e', 'auto', 1",
        f"'not-a-net', 1700000000, {FAR}, 'r', 'e', 'auto', 1",
        f"'198.51.100.4/32', 1700000000, {FAR}, 'r', 'e', 'evil', 1",
    ):
        db.execute(f"INSERT INTO bans ({columns}) VALUES ({values})")
    db.execute("INSERT INTO positions VALUES (?, '{not json', 1)", (f"file:{warden.log}",))
    db.execute("UPDATE meta SET value = 'abc' WHERE key = 'revision'")
    db.commit()
    db.close()

    daemon = warden.start()
    assert banned(daemon) == {f"{OTHER}/32"}
    append(warden.log, guesses())
    for _ in range(3):
        daemon.step()
    assert banned(daemon) == {f"{OTHER}/32", f"{ATTACKER}/32"}

    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and "is damaged" in r.getMessage()
    ]
    assert len(warnings) == 6, warnings  # four bans, the position, the revision: once each
    assert sum("ban " in w for w in warnings) == 4
    assert any(f"position 'file:{warden.log}'" in w for w in warnings)
