"""What a mail administrator does around a running daemon, with the real tools: logrotate
(rename and create, copytruncate, compression), a restart across a rotation, a firewall
that refuses changes, a reload with a broken file, a ban that ends while the daemon is
stopped. The daemon is a process with the nftables backend in a network namespace of its
own (see test_process), so its firewall is that namespace's."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_process import Running
from wardenlab import (
    ATTACKER,
    append,
    guesses,
    mailwarden,
    namespace,
    need_root_and,
    wait_for_text,
    wait_until,
    write_config,
)

from mailwarden.store import open_store


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    need_root_and("nft")
    with namespace() as ns:
        yield Running(ns, tmp_path)


FAILING_NFT = """#!/bin/sh
# nft, except while the file FLAG exists: then it refuses, as a kernel short of memory
# (or a broken nftables) does.
if [ -e "{flag}" ]; then
    echo "Error: Could not process rule: No buffer space available" >&2
    exit 1
fi
exec "{nft}" "$@"
"""


def start_with(running: Running, *env: str) -> None:
    """`running.start()` with variables set for the daemon's process."""
    mark = running.output.stat().st_size if running.output.exists() else 0
    argv = ["env", *env, *mailwarden("run", "--config", str(running.config))]
    running.proc = running.ns.spawn(argv, running.output)
    assert wait_until(lambda: "started: " in running.said(mark), 15), running.said()


def stop(running: Running) -> None:
    assert running.proc is not None
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(10) == 0, running.said()


def status(running: Running) -> dict[str, object]:
    done = running.ctl("status", "--format", "json")
    assert done.returncode == 0, done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    return document


def read_up_to(running: Running, lines: int) -> bool:
    """Has the daemon stored a position past `lines` lines of the file now at mail.log?"""

    def stored() -> bool:
        with open_store(running.sections["store"]["path"]) as store:
            value = store.get_position(f"file:{running.log}")
        return (
            isinstance(value, dict)
            and value.get("inode") == running.log.stat().st_ino
            and value.get("line", 0) > lines
        )

    return wait_until(stored, 5)


def logrotate(running: Running, *options: str) -> None:
    """Rotate mail.log with the real logrotate, `options` in its stanza (Debian's
    rsyslog stanza has rotate, missingok, notifempty, compress, delaycompress)."""
    if shutil.which("logrotate") is None:
        pytest.skip("needs logrotate (Debian package)")
    conf = running.tmp / "logrotate.conf"
    stanza = "\n".join(["rotate 4", "missingok", "notifempty", *options])
    conf.write_text(f"{running.log} {{\n{stanza}\n}}\n")
    state = running.tmp / "logrotate.state"
    done = running.ns.exec("logrotate", "--force", "--state", str(state), str(conf), check=False)
    assert done.returncode == 0, done.stderr


def offences(running: Running) -> list[tuple[str, int]]:
    with open_store(running.sections["store"]["path"]) as store:
        return [(str(row.network), row.offences) for row in store.history()]


@pytest.mark.parametrize(
    "how",
    [
        ("create", "compress", "delaycompress"),  # Debian's rsyslog stanza
        ("create", "compress"),  # mail.log.1.gz at once; the open file is read to its end
        ("copytruncate",),
    ],
    ids=["rename-create", "rename-compress", "copytruncate"],
)
def test_logrotate_loses_no_line_and_counts_none_twice(
    running: Running, how: tuple[str, ...]
) -> None:
    running.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(running.log, three[:2])
    assert read_up_to(running, 2), running.said()

    logrotate(running, *how)
    assert running.log.exists() and running.log.stat().st_size == 0
    append(running.log, "2026-11-28T10:00:00.000000+00:00 mx CRON[77]: (root) CMD (true)")
    assert read_up_to(running, 1)  # the new file is being read
    assert ATTACKER not in running.v4()  # the two guesses were not read again

    append(running.log, three[2])
    assert wait_until(lambda: ATTACKER in running.v4(), 2), running.said()
    stop(running)
    assert offences(running) == [(f"{ATTACKER}/32", 1)]
    daemon = status(running)["daemon"]
    assert isinstance(daemon, dict) and daemon["counters"]["records"] == 4


def test_a_restart_after_a_rotation_reads_the_rest_of_the_old_file_first(
    running: Running,
) -> None:
    running.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(running.log, three[:1])
    assert read_up_to(running, 1)
    stop(running)
    append(running.log, three[1:2])  # written while the daemon is stopped
    logrotate(running, "create", "compress", "delaycompress")  # mail.log.1: plain text
    append(running.log, three[2])

    running.start()
    assert wait_until(lambda: ATTACKER in running.v4(), 2), running.said()
    # The firewall gets the ban first, the store records it a moment later.
    assert wait_until(lambda: offences(running) == [(f"{ATTACKER}/32", 1)], 2)
    assert "was not found beside" not in running.said()


@pytest.mark.parametrize(
    "how", [("create", "compress"), ("copytruncate", "compress")], ids=["rename", "copytruncate"]
)
def test_lines_compressed_away_while_stopped_are_read_from_the_archive(
    running: Running, how: tuple[str, ...]
) -> None:
    running.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(running.log, three[:1])
    assert read_up_to(running, 1)
    stop(running)
    append(running.log, three[1:2])  # written while stopped, then compressed away
    logrotate(running, *how)  # mail.log.1.gz at once, no delaycompress
    append(running.log, three[2])
    mark = running.output.stat().st_size

    running.start()
    assert wait_until(lambda: ATTACKER in running.v4(), 5), running.said()
    said = running.said(mark)
    assert (
        f"source: {running.log}: was compressed away ({running.log}.1.gz): reading the "
        "rest of the old content from it first, from line 2"
    ) in said, said
    assert offences(running) == [(f"{ATTACKER}/32", 1)]


def test_lines_of_a_file_deleted_while_stopped_are_said_lost(running: Running) -> None:
    running.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(running.log, three[:1])
    assert read_up_to(running, 1)
    stop(running)
    append(running.log, three[1:])  # written while stopped, then rotated away for good
    logrotate(running, "create", "rotate 0")
    mark = running.output.stat().st_size

    running.start()
    assert wait_until(lambda: "was not found beside" in running.said(mark), 5), running.said(mark)
    said = running.said(mark)
    assert (
        f"warning: source: {running.log}: the file read before the restart (up to line 2) "
        f"was not found beside {running.log} (deleted, moved to another folder as by "
        "logrotate's olddir, or truncated with no readable copy beside it): lines written to "
        "it after that, if any, are not read; failures counted from it before the stop are "
        "forgotten"
    ) in said, said
    assert ATTACKER not in running.v4()


def test_a_firewall_that_refuses_is_said_once_shown_in_status_and_caught_up(
    running: Running,
) -> None:
    nft = shutil.which("nft")
    assert nft is not None
    flag = running.tmp / "nft-refuses"
    bin_dir = running.tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "nft").write_text(FAILING_NFT.format(flag=flag, nft=nft))
    (bin_dir / "nft").chmod(0o755)
    start_with(running, f"PATH={bin_dir}{os.pathsep}{os.environ['PATH']}")

    flag.touch()
    append(running.log, guesses())
    assert wait_for_text(running.output, "No buffer space available", 5), running.said()

    def problems() -> list[str]:
        daemon = status(running)["daemon"]
        assert isinstance(daemon, dict)
        return list(daemon["problems"])

    assert wait_until(lambda: any("No buffer space" in p for p in problems()), 7), problems()
    errors = [line for line in running.said().splitlines() if "error: firewall:" in line]
    assert len(errors) == 1, running.said()  # said once, not at every retry
    assert ATTACKER not in running.v4()
    text = running.ctl("status").stdout
    assert "problem: firewall: nft refused the change" in text, text

    flag.unlink()
    assert wait_until(lambda: ATTACKER in running.v4(), 5), running.said()
    assert "firewall: restored with 1 active ban(s) (it had failed since " in running.said()
    assert wait_until(lambda: not problems(), 7), problems()
    stop(running)


def refusing_nft(running: Running, message: str) -> tuple[Path, str]:
    """An nft that refuses with `message` while the file it returns exists, and the PATH
    setting that puts it first for the daemon."""
    nft = shutil.which("nft")
    assert nft is not None
    flag = running.tmp / "nft-refuses"
    bin_dir = running.tmp / "bin"
    bin_dir.mkdir()
    wrapper = FAILING_NFT.replace("No buffer space available", message)
    (bin_dir / "nft").write_text(wrapper.format(flag=flag, nft=nft))
    (bin_dir / "nft").chmod(0o755)
    return flag, f"PATH={bin_dir}{os.pathsep}{os.environ['PATH']}"


def test_a_firewall_that_refuses_at_start_is_written_once_it_works(running: Running) -> None:
    """nft refusing when the daemon starts (a kernel short of memory) made it exit
    (status 1, started again by systemd every 5 s): no line was read and no ban
    recorded until nft worked. It starts in repair mode, as when nft fails while it
    runs: it reads, records the bans, and writes the firewall once nft works."""
    flag, path = refusing_nft(running, "Cannot allocate memory")
    flag.touch()
    assert running.ctl("ban", "192.0.2.77", "--for", "2h").returncode == 0  # in the store
    start_with(running, path)
    said = running.said()
    assert (
        "error: firewall: cannot set it up at start: nft refused the change: Error: Could not "
        "process rule: Cannot allocate memory; the store keeps the bans"
    ) in said, said
    # not "0 active ban(s) in nftables table inet mailwarden", which it could not know
    assert (
        "1 active ban(s) in the store, not yet in nftables table inet mailwarden: written "
        "there once it works"
    ) in said, said

    def stored() -> list[object]:
        bans = status(running)["bans"]
        assert isinstance(bans, list)
        return [ban["network"] for ban in bans]

    append(running.log, guesses())  # read, and the ban recorded
    assert wait_until(lambda: stored() == ["192.0.2.77/32", f"{ATTACKER}/32"], 5), running.said()
    assert ATTACKER not in running.v4()

    flag.unlink()
    assert wait_until(lambda: running.v4() == {"192.0.2.77", ATTACKER}, 20), running.said()
    restored = "firewall: restored with 2 active ban(s) (it had failed since "
    assert wait_for_text(running.output, restored, 2), running.said()
    stop(running)


def test_a_change_refused_and_written_whole_again_is_said_and_counted(running: Running) -> None:
    """When nft refuses a ban (someone put an element over it into our set by hand),
    the enforcer writes our table whole again: the log says so, and ``status`` counts
    it with the firewall repairs (it was silent, and seconds long with many bans)."""
    running.start()
    running.ns.exec("nft", "add", "element", "inet", "mailwarden", "v4", "{ 203.0.113.0/24 }")
    append(running.log, guesses())
    assert wait_until(lambda: running.v4() == {ATTACKER}, 3), running.said()
    said = running.said()
    assert "warning: firewall: nft refused the change: " in said, said
    assert (
        "Error: interval overlaps with an existing one; writing table inet mailwarden whole "
        "again (1 ban(s))"
    ) in said, said

    def repairs() -> object:
        daemon = status(running)["daemon"]
        assert isinstance(daemon, dict)
        return daemon["counters"]["repairs"]

    assert wait_until(lambda: repairs() == 1, 7), repairs()
    stop(running)


def test_a_broken_file_on_sighup_is_refused_and_the_daemon_goes_on(running: Running) -> None:
    running.start()
    mark = running.output.stat().st_size
    running.config.write_text("[policy]\nban_time = \n")
    assert running.proc is not None
    running.proc.send_signal(signal.SIGHUP)
    assert wait_for_text(running.output, "reload refused", 5), running.said()
    said = running.said(mark).splitlines()
    assert len(said) == 1 and said[0].endswith("; keeping the running configuration"), said
    assert str(running.config) in said[0]

    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 2), running.said()
    stop(running)
    assert running.said().rstrip().endswith("stopped")


def test_a_ban_that_ended_while_stopped_is_lifted_at_start(running: Running) -> None:
    running.sections["policy"].update(ban_time="2s", max_ban_time="2s")
    write_config(running.config, running.sections)
    running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 2), running.said()
    stop(running)
    assert wait_until(lambda: ATTACKER not in running.v4(), 5)  # the kernel's timeout

    mark = running.output.stat().st_size
    running.start()
    assert wait_for_text(running.output, f"ban of {ATTACKER}/32 expired", 2), running.said(mark)
    assert status(running)["bans"] == []
    stop(running)
