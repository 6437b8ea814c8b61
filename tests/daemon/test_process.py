"""The daemon as a process with the nftables backend, in a network namespace of its own
(`ip netns exec NS mailwarden run`): its firewall is that namespace's, never the host's."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from wardenlab import (
    ATTACKER,
    OTHER,
    Namespace,
    append,
    base_config,
    fill_store,
    guesses,
    mailwarden,
    namespace,
    need_root_and,
    output_since,
    wait_for_text,
    wait_until,
    write_config,
)

from mailwarden.store import open_store


class Running:
    def __init__(self, ns: Namespace, tmp: Path) -> None:
        self.ns, self.tmp = ns, tmp
        self.log = tmp / "mail.log"
        self.log.touch()
        self.sections = base_config(tmp, "nftables")
        self.sections["enforce"]["ports"] = [25, 587]
        self.config = write_config(tmp / "mailwarden.toml", self.sections)
        self.output = tmp / "daemon.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> subprocess.Popen[bytes]:
        mark = self.output.stat().st_size if self.output.exists() else 0
        self.proc = self.ns.spawn(mailwarden("run", "--config", str(self.config)), self.output)
        assert wait_until(lambda: "started: " in self.said(mark), timeout), self.said()
        return self.proc

    def said(self, since: int = 0) -> str:
        return output_since(self.output, since)

    def v4(self) -> set[str]:
        return self.ns.elements("v4") or set()

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.ns.exec(*mailwarden(*args, "--config", str(self.config)), check=False)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    need_root_and("nft")
    with namespace() as ns:
        yield Running(ns, tmp_path)


def test_a_ban_reaches_the_firewall_and_a_deleted_table_comes_back(running: Running) -> None:
    running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0), running.said()

    running.ns.exec("nft", "delete", "table", "inet", "mailwarden")
    assert wait_until(lambda: ATTACKER in running.v4(), 3.0), running.said()
    assert wait_for_text(running.output, "firewall: restored with 1 active ban(s)", 2)

    running.ns.exec("nft", "flush", "table", "inet", "mailwarden")  # our rules gone
    assert wait_until(lambda: running.said().count("firewall: restored") == 2, 3.0)
    assert "drop" in running.ns.exec("nft", "list", "chain", "inet", "mailwarden", "input").stdout


def test_a_set_flushed_by_hand_is_refilled_within_seconds(running: Running) -> None:
    running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0), running.said()

    running.ns.exec("nft", "flush", "set", "inet", "mailwarden", "v4")  # table and rules stay
    assert running.v4() == set()
    assert wait_until(lambda: ATTACKER in running.v4(), 3.0), running.said()
    assert wait_for_text(running.output, "firewall: restored with 1 active ban(s)", 2)


def test_a_set_flushed_by_hand_among_100000_bans_is_refilled_within_seconds(
    running: Running,
) -> None:
    """With 100,000 bans the full check takes seconds, so the daemon ran it about once
    a minute (less often after a repair), and ``nft flush set`` left every attacker
    free that long. The quick look every second now notices it."""
    fill_store(running.sections["store"]["path"], 100_000)
    running.sections["enforce"]["max_bans"] = 100_000  # past the default cap, 65,536
    write_config(running.config, running.sections)
    running.start(timeout=60)
    restoring = "firewall: nftables table inet mailwarden is missing or was changed; restoring it"
    restored = "firewall: restored with 100000 active ban(s)"
    for flushes in (1, 2):  # the second right after the first repair
        mark = len(running.said())
        running.ns.exec("nft", "flush", "set", "inet", "mailwarden", "v6")
        flushed = time.monotonic()
        # Noticed within a few seconds (it took a minute, more after a repair); the
        # rewrite of 100,000 elements itself takes 2-3 s, longer on a loaded machine.
        noticed = wait_until(lambda since=mark: restoring in running.said(since), 8)
        assert noticed, running.said(mark)
        refilled = wait_until(lambda since=mark: restored in running.said(since), 60)
        assert refilled, running.said(mark)
        took = time.monotonic() - flushed
        assert len(running.ns.elements("v6") or ()) == 100_000
        said = running.said()
        assert said.count(restoring) == flushes and said.count(restored) == flushes, said
        print(f"flush {flushes}: refilled after {took:.1f} s")
    time.sleep(3)  # and said once: no repair loops after it
    assert running.said().count(restoring) == 2


def test_ban_and_unban_from_the_command_line_within_a_second(running: Running) -> None:
    running.start()
    done = running.ctl("ban", OTHER, "--for", "10m")
    assert done.returncode == 0, done.stderr
    assert "the running daemon applies it within a second" in done.stdout
    assert wait_until(lambda: OTHER in running.v4(), 1.0), running.said()

    done = running.ctl("unban", OTHER)
    assert done.returncode == 0, done.stderr
    assert wait_until(lambda: OTHER not in running.v4(), 1.0), running.said()


def test_sigterm_stops_cleanly_and_the_ban_holds_through_a_restart(running: Running) -> None:
    proc = running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0)

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert running.said().rstrip().endswith("stopped")
    assert ATTACKER in running.v4()  # bans stay while the daemon is down

    running.ns.exec("nft", "delete", "table", "inet", "mailwarden")
    running.start()
    assert ATTACKER in running.v4()  # loaded from the store at start


def test_kill_9_loses_no_ban_and_counts_no_offence_twice(running: Running) -> None:
    proc = running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    running.ns.exec("nft", "delete", "table", "inet", "mailwarden")
    running.start()
    assert ATTACKER in running.v4()
    with open_store(running.sections["store"]["path"]) as store:
        rows = store.history()
    assert len(rows) == 1 and rows[0].offences == 1


def test_sighup_reloads_the_ports_and_keeps_the_bans(running: Running) -> None:
    proc = running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0)

    running.sections["enforce"]["ports"] = [25, 587, 143]
    write_config(running.config, running.sections)
    proc.send_signal(signal.SIGHUP)
    assert wait_for_text(running.output, "changed enforce", 5), running.said()

    def chain() -> str:
        return running.ns.exec("nft", "list", "chain", "inet", "mailwarden", "input").stdout

    assert wait_until(lambda: "143" in chain(), 3), chain()
    assert ATTACKER in running.v4()
    assert proc.poll() is None


def test_a_bad_configuration_starts_nothing(running: Running) -> None:
    running.sections["policy"]["fast_failure"] = 3
    write_config(running.config, running.sections)
    done = running.ns.exec(*mailwarden("run", "--config", str(running.config)), check=False)

    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"mailwarden: error: {running.config}: policy.fast_failure: unknown key")
    assert running.ns.elements() is None  # no table
    assert not Path(running.sections["store"]["path"]).exists()


ADMIN_FIREWALL = """
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    tcp dport 22 accept
  }
  chain forward { type filter hook forward priority 0; policy drop; }
}
"""


def test_a_table_the_admin_already_has_stops_the_check_and_the_start(running: Running) -> None:
    """``table = "filter"`` named Debian's stock firewall table: `run --check` said
    ready to run, and `run` replaced its chains (the input chain's policy drop and its
    rules were gone). Now both stop with one line naming the table and what is in it
    (exit 2, as a bad setting), and the admin's table stays as it was."""
    rules = running.tmp / "admin.nft"
    rules.write_text(ADMIN_FIREWALL)
    running.ns.exec("nft", "-f", str(rules))
    before = running.ns.exec("nft", "list", "ruleset").stdout
    running.sections["enforce"]["table"] = "filter"
    config = write_config(running.tmp / "filter.toml", running.sections)
    for argv in (["run", "--check"], ["run"]):
        done = running.ns.exec(*mailwarden(*argv, "--config", str(config)), check=False)
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert "ready to run" not in done.stdout
        (line,) = done.stderr.splitlines()
        assert line.startswith(
            f"mailwarden: error: {config}: enforce.table: nftables: table inet filter holds "
            "what mailwarden did not create (chain input (hook input, policy drop, 2 rules); "
            "chain forward (hook forward, policy drop))"
        ), line
    assert running.ns.exec("nft", "list", "ruleset").stdout == before


def test_a_reload_to_a_table_the_admin_already_has_is_refused(running: Running) -> None:
    """A SIGHUP that named the admin's table deleted ours and replaced theirs. Now the
    reload is refused: our table and its bans stay, and so does theirs."""
    rules = running.tmp / "admin.nft"
    rules.write_text(ADMIN_FIREWALL)
    running.ns.exec("nft", "-f", str(rules))
    admin = running.ns.exec("nft", "list", "table", "inet", "filter").stdout
    proc = running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0), running.said()

    running.sections["enforce"]["table"] = "filter"
    write_config(running.config, running.sections)
    proc.send_signal(signal.SIGHUP)
    refused = "reload refused: "
    assert wait_for_text(running.output, refused, 5), running.said()
    line = next(line for line in running.said().splitlines() if refused in line)
    assert "enforce.table: nftables: table inet filter holds what mailwarden did not" in line
    assert "keeping the running configuration" in line
    time.sleep(1.5)
    assert running.ns.exec("nft", "list", "table", "inet", "filter").stdout == admin
    assert ATTACKER in running.v4()
    assert proc.poll() is None


def test_a_reload_of_the_ports_after_the_admin_added_a_counter_keeps_enforcing(
    running: Running,
) -> None:
    """The admin added a named counter to our table; a SIGHUP that changed the ports
    was accepted, then the repair refused the table and no later ban reached the
    firewall. Now the counter is left alone (one warning) and new bans go on."""
    proc = running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.v4(), 1.0), running.said()
    running.ns.exec("nft", "add", "counter", "inet", "mailwarden", "smtp_drops")

    running.sections["enforce"]["ports"] = [25, 465, 587]
    write_config(running.config, running.sections)
    proc.send_signal(signal.SIGHUP)
    assert wait_for_text(running.output, "changed enforce", 5), running.said()
    append(running.log, guesses(OTHER))
    assert wait_until(lambda: {ATTACKER, OTHER} <= running.v4(), 5.0), running.said()
    said = running.said()
    assert "error" not in said, said
    assert said.count("counter smtp_drops") == 1, said
    chain = running.ns.exec("nft", "list", "table", "inet", "mailwarden").stdout
    assert "465" in chain and "counter smtp_drops" in chain
    assert proc.poll() is None


def test_a_wider_ban_left_out_past_max_bans_does_not_spare_a_client_inside_it(
    running: Running,
) -> None:
    """The table is full (``max_bans`` 100) and a stored /24 that ends first is left out
    of it: it blocks nothing, so an address inside it that guesses is banned itself
    (it was skipped as banned already, and guessed on unblocked)."""
    running.sections["enforce"]["max_bans"] = 100
    running.sections["policy"]["ban_time"] = "1h"
    write_config(running.config, running.sections)
    path = running.sections["store"]["path"]
    open_store(path).close()
    now = round(time.time())
    rows = [(f"10.0.{n // 250}.{n % 250 + 1}/32", now + 1800 + n) for n in range(100)]
    rows.append(("203.0.113.0/24", now + 600))  # ends first: left out
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            f" VALUES (?, {now}, ?, 'bruteforce', '{{}}', 'auto', 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()
    running.start()
    assert "203.0.113.0/24" not in running.v4() and len(running.v4()) == 100
    member = "203.0.113.90"
    append(running.log, guesses(member))
    assert wait_until(lambda: member in running.v4(), 2.0), running.said()
    assert wait_until(lambda: f"ban {member}/32 for 1h" in running.said(), 2.0)
