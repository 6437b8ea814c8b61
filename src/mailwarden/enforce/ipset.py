"""ipset + iptables backend, for hosts without nftables.

What we create::

    ipset  mailwarden4  hash:net family inet  timeout 600 maxelem 262144
    ipset  mailwarden6  hash:net family inet6 timeout 600 maxelem 262144
    iptables  -N MAILWARDEN
    iptables  -A MAILWARDEN -p tcp -m multiport --dports 25,465,587
              -m conntrack --ctstate NEW -m set --match-set mailwarden4 src -j DROP
    iptables  -I INPUT 1 -j MAILWARDEN        (and the same with ip6tables)

The only thing outside our own objects is the one jump from INPUT, removed by
`teardown`. ``hash:net`` holds addresses and networks, nested or not, each with its own
timeout, and ``add -exist`` refreshes a timeout in place. Set contents go through
``ipset restore`` and the chain through ``iptables-restore --noflush``: text, but built
only from `ipaddress` objects, integers and our own validated names. ``sync`` fills a
temporary set and swaps it in, so the kernel never sees a half-loaded set.

ipset caps a timeout at 2147483 s (24.8 days): a longer ban is loaded with that much,
and `sync` (which the daemon runs at start and may run periodically) reloads it with
the time then left. Works the same with iptables-nft (Debian's default) and -legacy.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime

from mailwarden.enforce._run import run
from mailwarden.enforce.interface import BanEntry, EnforceError, Enforcer, network_text
from mailwarden.model import IPNetwork

MAX_TIMEOUT = 2147483
MAX_ELEMENTS = 262144
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,20}$")
_MULTIPORT_MAX = 15


class IpsetEnforcer(Enforcer):
    name = "ipset"

    def __init__(
        self,
        ports: Sequence[int] = (25, 465, 587),
        prefix: str = "mailwarden",
        chain: str = "MAILWARDEN",
        netns: str | None = None,
        ipset: str = "ipset",
        iptables: str = "iptables",
        ip6tables: str = "ip6tables",
    ) -> None:
        for port in ports:
            if not isinstance(port, int) or not 0 < port < 65536:
                raise EnforceError(f"ipset: bad port {port!r}")
        for value in (prefix, chain):
            if not _NAME.match(value):
                raise EnforceError(f"ipset: bad name {value!r}")
        self.ports = tuple(sorted(set(ports)))
        self.sets = {4: f"{prefix}4", 6: f"{prefix}6"}
        self.chain = chain
        self.netns = netns
        self.ipset = ipset
        self.tables = {4: iptables, 6: ip6tables}

    # -- the Enforcer interface ----------------------------------------------------

    def ensure(self) -> None:
        script = []
        for version, name in self.sets.items():
            family = "inet" if version == 4 else "inet6"
            script.append(
                f"create {name} hash:net family {family} timeout 600 maxelem {MAX_ELEMENTS}"
            )
        done = self._ipset_restore(script, check=False)
        if done.returncode != 0:
            # A set of ours with another type or family: it must go, with our rules.
            self._unhook()
            for name in self.sets.values():
                self._run([self.ipset, "destroy", name], check=False)
            self._ipset_restore(script)
        for version in (4, 6):
            self._iptables_restore(version, self._rules(version))
            jump = ["-w", "-C", "INPUT", "-j", self.chain]
            if self._run([self.tables[version], *jump], check=False).returncode != 0:
                self._run([self.tables[version], "-w", "-I", "INPUT", "1", "-j", self.chain])

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        now = datetime.now(UTC)
        script = [f"del {self.sets[n.version]} {network_text(n)}" for n in remove]
        script += [self._add_line(self.sets[e.network.version], e, now) for e in add]
        script = [line for line in script if line]
        if script:
            self._ipset_restore(script)

    def sync(self, active: Sequence[BanEntry]) -> None:
        now = datetime.now(UTC)
        script = []
        for version, name in self.sets.items():
            family = "inet" if version == 4 else "inet6"
            temp = f"{name}-new"
            script.append(
                f"create {temp} hash:net family {family} timeout 600 maxelem {MAX_ELEMENTS}"
            )
            script.append(f"flush {temp}")
            for entry in active:
                if entry.network.version == version:
                    script.append(self._add_line(temp, entry, now))
            script += [f"swap {temp} {name}", f"destroy {temp}"]
        self._ipset_restore([line for line in script if line])

    def present(self) -> bool:
        names = self._run([self.ipset, "list", "-n"], check=False).stdout.split()
        if not set(self.sets.values()) <= set(names):
            return False
        for version in (4, 6):
            table = self.tables[version]
            jump = self._run([table, "-w", "-C", "INPUT", "-j", self.chain], check=False)
            if jump.returncode != 0:
                return False
            listed = self._run([table, "-w", "-S", self.chain], check=False)
            rules = [line for line in listed.stdout.splitlines() if line.startswith("-A ")]
            if listed.returncode != 0 or len(rules) != len(self._rules(version)):
                return False
        return True

    def teardown(self) -> None:
        self._unhook()
        for name in self.sets.values():
            self._run([self.ipset, "destroy", name], check=False)

    # -- helpers ----------------------------------------------------------------------

    def _rules(self, version: int) -> list[str]:
        match = f"-m conntrack --ctstate NEW -m set --match-set {self.sets[version]} src"
        comment = '-m comment --comment "mailwarden: banned clients"'
        if not self.ports:
            return [f"-A {self.chain} {match} {comment} -j DROP"]
        rules = []
        for start in range(0, len(self.ports), _MULTIPORT_MAX):
            group = ",".join(str(p) for p in self.ports[start : start + _MULTIPORT_MAX])
            rules.append(
                f"-A {self.chain} -p tcp -m multiport --dports {group} {match} {comment} -j DROP"
            )
        return rules

    def _unhook(self) -> None:
        for version in (4, 6):
            table = self.tables[version]
            for _ in range(100):  # every copy of the jump, should there be several
                delete = [table, "-w", "-D", "INPUT", "-j", self.chain]
                if self._run(delete, check=False).returncode != 0:
                    break
            self._run([table, "-w", "-F", self.chain], check=False)
            self._run([table, "-w", "-X", self.chain], check=False)

    @staticmethod
    def _add_line(name: str, entry: BanEntry, now: datetime) -> str:
        seconds = round(entry.remaining(now))
        if seconds <= 0:
            return ""
        network = network_text(entry.network)
        return f"add {name} {network} timeout {min(seconds, MAX_TIMEOUT)} -exist"

    def _ipset_restore(
        self, script: list[str], check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        text = "\n".join(script) + "\n"
        return self._run([self.ipset, "-exist", "restore"], stdin=text, check=check)

    def _iptables_restore(self, version: int, rules: list[str]) -> None:
        # In --noflush mode, declaring the chain creates it or empties it.
        text = "\n".join(["*filter", f":{self.chain} - [0:0]", *rules, "COMMIT", ""])
        program = self.tables[version] + "-restore"
        self._run([program, "-w", "--noflush"], stdin=text)

    def _run(
        self, argv: list[str], stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(argv, netns=self.netns, stdin=stdin, check=check, what=argv[0])
