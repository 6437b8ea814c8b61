"""The daemon with the postfix-map backend: each ban is written to the table at once,
and ``postfix reload`` runs at most once every few seconds, never leaving a written ban
without a reload (the next due step, or the stop). ``postfix`` is a stand-in script on
PATH that records each reload."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from wardenlab import ATTACKER, OTHER, Warden, append, banned, fake_command, guesses, step_until

from mailwarden.daemon.loop import Daemon
from mailwarden.enforce import postfix_map

FAKE_POSTFIX = """#!{python}
import os, sys, time
with open(os.environ["FAKE_POSTFIX_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
"""
THIRD = "192.0.2.77"


@pytest.fixture
def reload_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake_command(tmp_path, monkeypatch, "postfix", FAKE_POSTFIX)
    log = tmp_path / "postfix-calls"
    monkeypatch.setenv("FAKE_POSTFIX_LOG", str(log))
    monkeypatch.setattr(postfix_map, "RELOAD_EVERY", 1.0)
    return log


def reloads(log: Path) -> int:
    return log.read_text().count("reload") if log.exists() else 0


def table_networks(path: Path) -> set[str]:
    return {line.split("\t")[0] for line in path.read_text().splitlines()[1:]}


def start_with_map(warden: Warden) -> tuple[Path, Daemon]:
    """The daemon with the postfix-map backend writing ``access.cidr``."""
    table = warden.tmp / "access.cidr"
    warden.sections["enforce"] = {"backend": "postfix-map", "postfix_map": str(table)}
    warden.write()
    return table, warden.start()


def test_bans_are_written_with_their_coalesced_reload(warden: Warden, reload_log: Path) -> None:
    table, daemon = start_with_map(warden)
    at_start = reloads(reload_log)
    assert at_start >= 1  # the store's bans (none here) are in force from the start

    for address in (ATTACKER, OTHER, THIRD):
        append(warden.log, guesses(address))
        assert step_until(daemon, lambda a=address: f"{a}/32" in banned(daemon))
    assert reloads(reload_log) <= at_start + 1, "three bans within a second: one reload"

    assert step_until(daemon, lambda: not daemon.enforcer.reload_waiting, 3)
    assert table_networks(table) == {f"{ATTACKER}/32", f"{OTHER}/32", f"{THIRD}/32"}
    settled = reloads(reload_log)
    assert settled == at_start + 1 or settled == at_start + 2
    for _ in range(30):  # nothing changed since: no more reloads
        daemon.step()
        time.sleep(0.05)
    assert reloads(reload_log) == settled


def test_stopping_runs_the_waiting_reload(warden: Warden, reload_log: Path) -> None:
    table, daemon = start_with_map(warden)
    at_start = reloads(reload_log)
    append(warden.log, guesses())
    assert step_until(daemon, lambda: banned(daemon))
    assert daemon.enforcer.reload_waiting  # within a second of the start's reload
    assert reloads(reload_log) == at_start
    daemon.close()  # writes the ban too: none is lost
    assert reloads(reload_log) == at_start + 1
    assert table_networks(table) == {f"{ATTACKER}/32"}
