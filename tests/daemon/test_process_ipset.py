"""The daemon as a process with the ipset backend, in a network namespace of its own
(`ip netns exec NS mailwarden run`): its sets and rules are that namespace's."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from wardenlab import (
    ATTACKER,
    OTHER,
    Namespace,
    append,
    base_config,
    guesses,
    mailwarden,
    namespace,
    need_root_and,
    output_since,
    wait_until,
    write_config,
)

RESTORED = "firewall: restored with 1 active ban(s)"


class Running:
    def __init__(self, ns: Namespace, tmp: Path) -> None:
        self.ns, self.tmp = ns, tmp
        self.log = tmp / "mail.log"
        self.log.touch()
        self.sections = base_config(tmp, "ipset")
        self.sections["enforce"]["ports"] = [25, 587]
        self.config = write_config(tmp / "mailwarden.toml", self.sections)
        self.output = tmp / "daemon.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> subprocess.Popen[bytes]:
        self.proc = self.ns.spawn(mailwarden("run", "--config", str(self.config)), self.output)
        assert wait_until(lambda: "started: " in self.said(), timeout), self.said()
        return self.proc

    def said(self, since: int = 0) -> str:
        return output_since(self.output, since)

    def members(self, name: str = "mailwarden4") -> set[str]:
        done = self.ns.exec("ipset", "list", name, check=False)
        if done.returncode != 0 or "Members:\n" not in done.stdout:
            return set()
        listed = done.stdout.split("Members:\n", 1)[1]
        return {m.group(1) for m in re.finditer(r"^(\S+) timeout", listed, re.MULTILINE)}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    need_root_and("ipset", "iptables", "ip6tables", "iptables-restore")
    with namespace() as ns:
        yield Running(ns, tmp_path)


def test_a_set_flushed_or_emptied_by_hand_is_refilled_within_seconds(running: Running) -> None:
    """``ipset flush`` kept the set, the chain and the jump: the daemon saw nothing
    wrong, and every banned address was free until the rewrite five minutes later."""
    running.start()
    append(running.log, guesses())
    assert wait_until(lambda: ATTACKER in running.members(), 2.0), running.said()
    running.ns.exec("ipset", "add", "mailwarden4", OTHER, "timeout", "600")  # not ours

    running.ns.exec("ipset", "flush", "mailwarden4")
    assert running.members() == set()
    assert wait_until(lambda: ATTACKER in running.members(), 3.0), running.said()
    assert wait_until(lambda: running.said().count(RESTORED) == 1, 2.0), running.said()

    running.ns.exec("ipset", "del", "mailwarden4", ATTACKER)  # one entry, by hand
    assert wait_until(lambda: ATTACKER in running.members(), 3.0), running.said()
    assert wait_until(lambda: running.said().count(RESTORED) == 2, 2.0), running.said()

    running.ns.exec("iptables", "-F", "MAILWARDEN")  # destroyed and created again, empty
    running.ns.exec("ipset", "destroy", "mailwarden4")
    running.ns.exec("ipset", "create", "mailwarden4", "hash:net", "timeout", "600")
    assert wait_until(lambda: ATTACKER in running.members(), 3.0), running.said()
    assert "DROP" in running.ns.exec("iptables", "-S", "MAILWARDEN").stdout
    assert wait_until(lambda: running.said().count(RESTORED) == 3, 2.0), running.said()
    mark = len(running.said())
    assert not wait_until(lambda since=mark: "restor" in running.said(since), 3.0)  # no loop
    assert running.proc is not None and running.proc.poll() is None
