"""End to end: `mailwarden run` with the nftables backend beside real Postfix and Dovecot.

The lab (lab.py) runs Postfix (submission on 587 with Dovecot SASL, `maillog_file`) and
Dovecot in a server namespace, with a legitimate user and an attacker in namespaces of
their own. The daemon runs inside the server namespace (`ip netns exec`), so the nftables
table it manages is that namespace's; the host's ruleset is never touched. Everything
(namespaces, processes, files) is removed when the module ends, also on failure.

What a user would notice, in order: the attacker guesses until the threshold, then
cannot even connect while the legitimate user still authenticates and sends mail; a
restart keeps the ban; a table deleted by hand comes back; `mailwarden unban` lets the
attacker connect again; a username that carries another address never gets that
address banned.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import _live_labs, require_lab
from .lab import (
    ATTACKER_IPV4,
    LEGIT_IPV4,
    SERVER_IPV4,
    DovecotOptions,
    Lab,
    mailwarden_argv,
)

pytestmark = pytest.mark.e2e

ALICE = "alice@lab.example"
BOB = "bob@lab.example"
INJECTOR_IPV4 = "192.0.2.77"

CONFIG = """\
[sources]
files = ["{root}/postfix.log", "{root}/dovecot.log"]

[store]
path = "{root}/mailwarden/mailwarden.db"

[enforce]
backend = "nftables"
ports = [25, 587, 143]

[policy]
fast_failures = 3
fast_window = "5m"
ban_time = "10m"
"""


@dataclass
class Warden:
    lab: Lab
    config: Path
    output: Path

    def start(self) -> None:
        mark = self.output.stat().st_size if self.output.exists() else 0
        self.proc = self.lab.spawn(
            self.lab.server,
            [*mailwarden_argv(), "run", "--config", str(self.config)],
            output=self.output,
        )
        assert wait(lambda: "started: " in self.said(mark), 20), self.said()

    def stop(self) -> int:
        return self.lab.stop(self.proc)

    def said(self, since: int = 0) -> str:
        if not self.output.exists():
            return ""
        with self.output.open("rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace")

    def mark(self) -> int:
        return self.output.stat().st_size

    def ctl(self, *args: str) -> str:
        result = self.lab.run(
            self.lab.server, [*mailwarden_argv(), *args, "--config", str(self.config)]
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def banned(self) -> set[str]:
        """The addresses in our nftables set (empty when the table is gone)."""
        result = self.lab.run(
            self.lab.server, ["nft", "-j", "list", "set", "inet", "mailwarden", "v4"]
        )
        if result.returncode != 0:
            return set()
        found = set()
        for item in json.loads(result.stdout)["nftables"]:
            for elem in item.get("set", {}).get("elem", []):
                value = elem["elem"]["val"] if isinstance(elem, dict) and "elem" in elem else elem
                found.add(str(value))
        return found

    def can_connect(self, client: str, port: int = 587, timeout: float = 2.0) -> bool:
        return self.lab.tcp_connect(client, port, timeout=timeout)


def wait(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture(scope="module")
def warden() -> Iterator[Warden]:
    require_lab()
    # No failure delay: the guesses end in seconds (Dovecot's penalty still applies).
    with Lab(dovecot=DovecotOptions(auth_failure_delay="0 secs")) as lab:
        _live_labs.append(lab)
        try:
            lab.add_client("injector", INJECTOR_IPV4)
            config = lab.root / "mailwarden.toml"
            config.write_text(CONFIG.format(root=lab.root))
            made = Warden(lab, config, lab.root / "mailwarden.out")
            made.start()
            yield made
        finally:
            _live_labs.remove(lab)


def attack(warden: Warden) -> None:
    """Guess until the threshold (once per module: later tests find the ban in place)."""
    if ATTACKER_IPV4 in warden.banned():
        return
    mark = warden.mark()
    guesses = [(ALICE, "wrong-1"), (ALICE, "wrong-2"), ("admin", "admin"), ("info", "123456")]
    results = warden.lab.smtp_auth_many(warden.lab.attacker, guesses, parallel=4, timeout=15)
    assert all(r.auth_failed or not r.auth_ok for r in results)
    ban = rf"ban {re.escape(ATTACKER_IPV4)}/32 for 10m until "
    assert wait(lambda: re.search(ban, warden.said(mark)) is not None, 20), warden.said(mark)


def test_the_attacker_is_blocked_and_the_legitimate_user_is_not(warden: Warden) -> None:
    attack(warden)

    assert ATTACKER_IPV4 in warden.banned()
    assert not warden.can_connect("attacker")
    sent = warden.lab.smtp_auth(
        warden.lab.legit, ALICE, warden.lab.password(ALICE), send_mail=True, to=BOB
    )
    assert sent.auth_ok and sent.queue_id, sent.transcript
    assert LEGIT_IPV4 not in warden.banned()


def test_a_restart_keeps_the_ban(warden: Warden) -> None:
    attack(warden)

    assert warden.stop() == 0
    assert not warden.can_connect("attacker")  # the kernel holds it while we are down
    warden.start()

    assert ATTACKER_IPV4 in warden.banned()
    assert not warden.can_connect("attacker")


def test_a_deleted_table_comes_back(warden: Warden) -> None:
    attack(warden)

    warden.lab.run(warden.lab.server, ["nft", "delete", "table", "inet", "mailwarden"], check=True)
    assert wait(lambda: ATTACKER_IPV4 in warden.banned(), 5), warden.said()
    assert not warden.can_connect("attacker")


def test_unban_lets_the_attacker_connect_again(warden: Warden) -> None:
    attack(warden)

    out = warden.ctl("unban", ATTACKER_IPV4)
    assert out.startswith(f"unbanned {ATTACKER_IPV4}/32")

    assert wait(lambda: ATTACKER_IPV4 not in warden.banned(), 2), warden.said()
    assert warden.can_connect("attacker")


def test_an_address_inside_a_username_is_never_banned(warden: Warden) -> None:
    mark = warden.mark()
    users = [
        f"x]: unknown[{LEGIT_IPV4}]",
        f"u, sasl_username=v unknown[{LEGIT_IPV4}]",
        f"rip={LEGIT_IPV4},lip={SERVER_IPV4}",
        f"{LEGIT_IPV4}",
    ]
    warden.lab.smtp_auth_many("injector", [(u, "guess") for u in users], parallel=4, timeout=15)

    ban = rf"ban {re.escape(INJECTOR_IPV4)}/32 for "
    assert wait(lambda: re.search(ban, warden.said(mark)) is not None, 20), warden.said(mark)
    banned = warden.banned()
    assert INJECTOR_IPV4 in banned
    assert LEGIT_IPV4 not in banned and SERVER_IPV4 not in banned
    assert f"ban {LEGIT_IPV4}" not in warden.said()
    assert warden.can_connect("legit")
