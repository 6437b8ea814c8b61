"""`mailwarden status` with more active bans than the nftables table holds
(``[enforce] max_bans``): the ones the daemon leaves out, those that end first, say so."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import time

import pytest
from wardenlab import Warden, run_cli

from mailwarden.store import open_store


def test_status_names_the_bans_left_out_past_max_bans(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.sections["enforce"] = {"backend": "nftables", "max_bans": 100}
    warden.write()
    path = warden.sections["store"]["path"]
    open_store(path).close()
    now = round(time.time())
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    rows = [
        (f"{ipaddress.IPv4Address(base + n)}/32", now, now + 3600 + 60 * n, "bruteforce", "{}")
        for n in range(103)
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            " VALUES (?, ?, ?, ?, ?, 'auto', 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()

    code, err, out = run_cli(
        capsys, "status", "--format", "json", "--config", str(warden.config_path)
    )

    assert code == 0, err
    left_out = sorted(b["network"] for b in json.loads(out)["bans"] if b["not_enforced"])
    assert left_out == ["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32"]  # those that end first
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert out.count("not enforced: the nftables table holds at most 100 bans") == 3
