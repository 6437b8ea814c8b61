"""``mailwarden ban ADDR`` of an address the daemon banned: the admin's ban now.

It said ``extended the ban of ...`` but the ban stayed automatic: ``status`` showed
``auto``, the daemon's line lacked ``(manual)``, and past ``[enforce] max_bans`` it was
the first left out of the firewall, where an admin's ban is never left out for an
automatic one."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import time

import pytest
from wardenlab import ATTACKER, Warden, append, guesses, run_cli

from mailwarden.store import open_store


def cli(
    capsys: pytest.CaptureFixture[str], warden: Warden, *args: str
) -> tuple[int, list[str], str]:
    return run_cli(capsys, *args, "--config", str(warden.config_path))


def test_extending_an_automatic_ban_makes_it_the_admins(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()  # an automatic ban
    _, _, out = cli(capsys, warden, "status", "--format", "json")
    assert [b["source"] for b in json.loads(out)["bans"]] == ["auto"]

    code, err, out = cli(capsys, warden, "ban", ATTACKER, "--for", "3h")
    assert code == 0, err
    assert out.startswith(f"extended the ban of {ATTACKER}/32 until ")
    _, _, out = cli(capsys, warden, "status", "--format", "json")
    document = json.loads(out)
    assert [b["source"] for b in document["bans"]] == ["manual"]
    assert (document["counts"]["auto"], document["counts"]["manual"]) == (0, 1)
    with open_store(warden.sections["store"]["path"]) as store:
        (row,) = store.active_bans()
    assert row.offences == 1 and row.reason.startswith("bruteforce: ")  # still one offence

    caplog.clear()
    daemon.step()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    assert len(said) == 1 and said[0].startswith(f"ban {ATTACKER}/32 for "), said
    assert said[0].endswith(" (manual)"), said
    daemon.close()


def test_an_extended_ban_is_not_left_out_past_max_bans(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """100 automatic bans fill the table (max_bans 100); the daemon's ban of the
    attacker ends first, so it is the one left out, until the admin bans it by hand."""
    warden.sections["enforce"] = {"backend": "nftables", "max_bans": 100}
    warden.write()
    path = warden.sections["store"]["path"]
    open_store(path).close()
    now = round(time.time())
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    rows = [
        (f"{ipaddress.IPv4Address(base + n)}/32", now + 86400 + 60 * n, "auto") for n in range(100)
    ]
    rows.append((f"{ATTACKER}/32", now + 600, "auto"))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            f" VALUES (?, {now}, ?, 'bruteforce', '{{}}', ?, 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()

    def left_out() -> list[str]:
        code, err, out = cli(capsys, warden, "status", "--format", "json")
        assert code == 0, err
        return sorted(b["network"] for b in json.loads(out)["bans"] if b["not_enforced"])

    assert left_out() == [f"{ATTACKER}/32"]
    code, err, out = cli(capsys, warden, "ban", ATTACKER, "--for", "3h")
    assert code == 0 and out.startswith(f"extended the ban of {ATTACKER}/32 until "), err
    assert left_out() == ["10.0.0.0/32"]  # the automatic ban that ends first
