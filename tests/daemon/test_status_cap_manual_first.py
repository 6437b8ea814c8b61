"""`mailwarden status` past ``[enforce] max_bans`` (nftables): an admin's bans are never
among those left out, even when they end first; automatic ones are, as the daemon's
table leaves them out."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import time

import pytest
from wardenlab import Warden, run_cli

from mailwarden.store import open_store


def test_status_leaves_out_automatic_bans_before_an_admins(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.sections["enforce"] = {"backend": "nftables", "max_bans": 100}
    warden.write()
    path = warden.sections["store"]["path"]
    open_store(path).close()
    now = round(time.time())
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    rows = [
        (f"{ipaddress.IPv4Address(base + n)}/32", now, now + 3600 + 60 * n, "bruteforce", "auto")
        for n in range(100)
    ]
    # The admin's bans: not 192.0.2.x, where the lab host has an address of its own.
    rows += [(f"203.0.113.{n}/32", now, now + 300, "by hand", "manual") for n in (1, 2, 3)]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            " VALUES (?, ?, ?, ?, '{}', ?, 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()

    code, err, out = run_cli(
        capsys, "status", "--format", "json", "--config", str(warden.config_path)
    )

    assert code == 0, err
    left_out = sorted(b["network"] for b in json.loads(out)["bans"] if b["not_enforced"])
    assert left_out == ["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32"]
