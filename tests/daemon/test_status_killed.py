"""`mailwarden status` right after the daemon was killed with SIGKILL (no clean stop
written, its last heartbeat still fresh): "not running", not "running"."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from wardenlab import Warden, mailwarden, run_cli


def status(
    warden: Warden, capsys: pytest.CaptureFixture[str], *args: str, check: bool = True
) -> str:
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path), *args)
    assert code == 0 or not check, err
    return out


def test_a_daemon_killed_a_moment_ago_is_not_said_to_run(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Path(warden.sections["store"]["path"])
    daemon = subprocess.Popen(
        mailwarden("run", "--config", str(warden.config_path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # its first heartbeat
            # (the store may be there before the daemon wrote its tables: not yet)
            if store.exists() and status(warden, capsys, check=False).startswith("daemon: running"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the daemon did not start")
    finally:
        daemon.kill()
        daemon.wait(timeout=10)
    first = status(warden, capsys).splitlines()[0]  # within the heartbeat's 15 s
    assert first.startswith(
        f"daemon: not running: its process (pid {daemon.pid}) is gone without a clean stop "
        "(last seen "
    ), first
    shown = json.loads(status(warden, capsys, "--format", "json"))["daemon"]
    assert (shown["running"], shown["gone"], shown["stopped"]) == (False, True, None)
