"""``ban`` and ``unban`` on a host of a shared store that runs no daemon of its own (a
management host) name the hosts whose running daemons apply the change, where they said
"no running daemon seen" while the fleet's daemons ran."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from clirunner import Runner
from configfile import write_config
from mailwarden.config import load_config
from mailwarden.daemon.loop import Daemon


def _config(tmp_path: Path, url: str, host: str) -> Path:
    log = tmp_path / f"{host}.log"
    log.touch()
    return write_config(
        tmp_path / f"{host}.toml",
        {
            "sources": {"files": [str(log)]},
            "store": {"path": url, "host_name": host},
            "enforce": {"backend": "none"},
        },
    )


def test_ban_on_a_management_host_names_the_fleets_running_daemons(
    run: Runner, tmp_path: Path, pg_database: str
) -> None:
    manager = str(_config(tmp_path, pg_database, "mgmt"))

    code, out, err = run("ban", "203.0.113.9", "--config", manager)
    assert code == 0
    assert "mailwarden: no running daemon seen: it takes effect when `mailwarden run` starts" in (
        err
    )

    daemon = Daemon(
        load_config(str(_config(tmp_path, pg_database, "mx1"))),
        own=lambda: [ipaddress.ip_network("192.0.2.1/32")],
        tick=0.01,
    )
    daemon.start()  # writes its heartbeat
    try:
        for command in ("ban", "unban"):
            code, out, err = run(command, "203.0.113.10", "--config", manager)
            assert code == 0, err
            assert "no running daemon seen" not in err
            assert (
                "mailwarden: no daemon of this host (mgmt) runs; the running daemon of mx1 "
                "applies it within a second"
            ) in out
    finally:
        daemon.close()
