"""One daemon per store: a second `mailwarden run` on the same SQLite store (a unit
started twice, a manual run beside systemd's) is refused with one line naming the first,
and never counts the first one's attack again, nor says it stopped."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys

import pytest
from wardenlab import (
    ATTACKER,
    Warden,
    append,
    drain,
    guesses,
    mailwarden,
    run_cli,
    wait_until,
)

from mailwarden.daemon.status import status_document
from mailwarden.errors import StoreError
from mailwarden.store import open_store

HOLD = r"""
import sys, time
from mailwarden.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
store.claim(None)
print("claimed", flush=True)
time.sleep(60)
"""


def test_a_second_daemon_on_the_same_store_is_refused_and_the_first_runs_on(
    warden: Warden,
) -> None:
    first = warden.start()
    first._heartbeat()
    store_path = warden.sections["store"]["path"]

    # As `mailwarden run` beside systemd's: one line, exit 1 (systemd tries again).
    second = subprocess.run(
        mailwarden("run", "--config", str(warden.config_path)),
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    err = second.stderr.splitlines()
    assert (second.returncode, second.stdout) == (1, ""), second.stderr
    assert len(err) == 1, err
    assert err[0].startswith(
        f"mailwarden: error: another mailwarden daemon runs with the store {store_path} "
        f"(pid {os.getpid()}, last heartbeat "
    ), err[0]
    assert "one daemon per store; stop that one first" in err[0]
    with pytest.raises(StoreError, match="another mailwarden daemon"):
        warden.start()

    # The refused ones neither banned nor wrote a heartbeat: the first still runs, and
    # one attack is one offence.
    with open_store(store_path) as store:
        document = status_document(store, first.config)
    assert document["daemon"]["running"] is True and document["daemon"]["stopped"] is None
    append(warden.log, guesses())
    drain(first)
    with open_store(store_path) as store:
        rows = store.history(network=ipaddress.ip_network(ATTACKER))
    assert [(str(row.network), row.offences) for row in rows] == [(f"{ATTACKER}/32", 1)]

    # Stopped: the next one starts.
    first.close()
    warden.start().close()


def test_a_daemon_killed_at_once_never_blocks_the_next_start(warden: Warden) -> None:
    warden.start().close()  # the store exists
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, warden.sections["store"]["path"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        with pytest.raises(StoreError, match=rf"\(pid {holder.pid}[,)]"):
            warden.start()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        assert wait_until(lambda: _starts(warden), timeout=5)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def _starts(warden: Warden) -> bool:
    try:
        warden.start()
    except StoreError:
        return False
    return True


def test_check_names_the_daemon_that_runs(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    first = warden.start()
    first._heartbeat()
    code, err, out = run_cli(capsys, "run", "--config", str(warden.config_path), "--check")
    assert code == 0, err
    assert f"a daemon runs with this store now (pid {os.getpid()}" in out
    first.close()
    code, err, out = run_cli(capsys, "run", "--config", str(warden.config_path), "--check")
    assert code == 0 and "a daemon runs" not in out
