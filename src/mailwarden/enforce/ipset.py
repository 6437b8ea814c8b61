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

Sets or a chain of our names that someone else made (another type, family or default
timeout; rules without our comment) are not ours: `ensure`, `teardown` and
`check` refuse them (`NotOursError`), where they would replace or destroy them.

A set holds at most `MAX_ELEMENTS` networks: beyond that `sync` loads those that end
last, `apply` deletes those that end first to make room for new bans, and the log says
once how many are not enforced; the temporary set of a
`sync` that failed is destroyed, and `teardown` destroys one a crash left.

The enforcer remembers what it loaded (each network with the second the kernel drops
it, on the monotonic clock), so that `gone` and `present` can tell a set emptied by
hand (``ipset flush mailwarden4``, a destroyed and recreated set, entries deleted with
``ipset del``) from one that the kernel emptied on time: ``ipset list -t`` says how
many entries each set holds without listing them, and a set that holds fewer than the
bans we loaded that have more than `EXPIRY_SLACK` seconds left lost some (one that holds
more is not: an entry added by hand, or one the kernel has not yet swept). `SPOT`
random loaded networks per set are also looked up (``ipset test``), which notices entries
deleted while others were added. Every argument is one of our set names or a network
rebuilt from its numbers (`network_text`), passed as argv, never through a shell.
"""

from __future__ import annotations

import heapq
import ipaddress
import logging
import random
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mailwarden.enforce._run import run
from mailwarden.enforce.interface import (
    BanEntry,
    EnforceError,
    Enforcer,
    NotOursError,
    network_text,
)
from mailwarden.model import IPNetwork

LOG = logging.getLogger("mailwarden.enforce")
MAX_TIMEOUT = 2147483
MAX_ELEMENTS = 262144
DEFAULT_TIMEOUT = 600
RULE_COMMENT = "mailwarden: banned clients"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,20}$")
_MULTIPORT_MAX = 15
_FAMILIES = {4: "inet", 6: "inet6"}
EXPIRY_SLACK = 3.0
"""Seconds: a ban that the kernel drops within this is no longer counted as one the set
must hold (the kernel may drop it a little before the second we computed)."""
SPOT = 1
"""Loaded networks per set, drawn at random, that `gone` and `present` look up with
``ipset test`` (one short process each): entries deleted by hand while as many others
were added leave the count as it was."""


@dataclass(frozen=True)
class SetHeader:
    """One set as ``ipset list -t`` shows it (no entry is listed)."""

    type: str
    header: str
    entries: int | None
    """None when ``ipset list -t`` gives no count (older ipset or kernels): the count
    cannot tell, the random lookups still do."""


def parse_terse(text: str) -> dict[str, SetHeader]:
    """Set name -> its header, from the output of ``ipset list -t``."""
    found: dict[str, SetHeader] = {}
    fields: dict[str, str] = {}

    def close() -> None:
        name = fields.get("Name")
        count = fields.get("Number of entries", "")
        if name:
            entries = int(count) if count.isdigit() else None
            found[name] = SetHeader(fields.get("Type", ""), fields.get("Header", ""), entries)

    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "Name":
            close()
            fields = {}
        fields[key.strip()] = value.strip()
    close()
    return found


class _Loaded:
    """The networks we loaded into one set (as `network_text` writes them: a string
    hashes in C, an `ipaddress` network in Python, which counts with 100,000), with the
    monotonic second the kernel drops each: counted, drawn at random and forgotten as
    they end, each in a time that does not grow with their number (a list with an index
    for the draw, a heap of expiries)."""

    def __init__(self, items: Iterable[tuple[str, float]] = ()) -> None:
        self.expiry: dict[str, float] = dict(items)
        self.networks = list(self.expiry)
        self.index = {network: n for n, network in enumerate(self.networks)}
        self.heap = [(expiry, network) for network, expiry in self.expiry.items()]
        heapq.heapify(self.heap)

    def __len__(self) -> int:
        return len(self.networks)

    def load(self, network: str, expiry: float) -> None:
        if network not in self.expiry:
            self.index[network] = len(self.networks)
            self.networks.append(network)
        self.expiry[network] = expiry
        heapq.heappush(self.heap, (expiry, network))

    def unload(self, network: str) -> None:
        if self.expiry.pop(network, None) is None:
            return
        where = self.index.pop(network)
        last = self.networks.pop()
        if last != network:
            self.networks[where] = last
            self.index[last] = where

    def forget_ending(self, limit: float) -> None:
        """Forget the networks that the kernel drops by `limit` (or earlier)."""
        heap = self.heap
        while heap and heap[0][0] <= limit:
            expiry, network = heapq.heappop(heap)
            if self.expiry.get(network) == expiry:
                self.unload(network)


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
        self._loaded = {4: _Loaded(), 6: _Loaded()}
        self._random = random.SystemRandom()
        self._left_out = {4: 0, 6: 0}
        """Bans of each IP version that `sync` last left out (the set was full)."""
        self._out: dict[int, set[str]] = {4: set(), 6: set()}
        """The networks (as `network_text` writes them) of bans given to it that are not
        in the sets: left out by `sync`, or deleted by `apply` to make room past
        `MAX_ELEMENTS` (`enforces`), until given again, removed, or the next `sync`."""
        self._newly_out: list[tuple[int, str]] = []
        """Those left out since `take_left_out` last took them."""

    # -- the Enforcer interface ----------------------------------------------------

    def check(self) -> None:
        foreign = self._strangers()
        if foreign:
            raise NotOursError(self._not_ours(foreign))

    def enforces(self, network: IPNetwork) -> bool:
        return network_text(network) not in self._out[network.version]

    def take_left_out(self) -> list[IPNetwork]:
        newly, self._newly_out = self._newly_out, []
        out = self._out
        return [
            ipaddress.ip_network(text)
            for version, text in dict.fromkeys(newly)
            if text in out[version]
        ]

    def _note_out(self, version: int, text: str) -> None:
        self._out[version].add(text)
        newly = self._newly_out
        newly.append((version, text))
        if len(newly) > 2 * sum(map(len, self._out.values())) + 1024:
            out = self._out
            self._newly_out = [item for item in dict.fromkeys(newly) if item[1] in out[item[0]]]

    def ensure(self) -> None:
        foreign = self._strangers()
        if foreign:
            raise NotOursError(self._not_ours(foreign))
        script = []
        for version, name in self.sets.items():
            family = "inet" if version == 4 else "inet6"
            script.append(
                f"create {name} hash:net family {family} timeout {DEFAULT_TIMEOUT} "
                f"maxelem {MAX_ELEMENTS}"
            )
        done = self._ipset_restore(script, check=False)
        if done.returncode != 0:
            # A set of ours with another type or family: it must go, with our rules.
            self._unhook()
            for name in self.sets.values():
                self._run([self.ipset, "destroy", name], check=False)
            self._forget_all()
            self._ipset_restore(script)
        for version in (4, 6):
            self._iptables_restore(version, self._rules(version))
            jump = ["-w", "-C", "INPUT", "-j", self.chain]
            if self._run([self.tables[version], *jump], check=False).returncode != 0:
                self._run([self.tables[version], "-w", "-I", "INPUT", "1", "-j", self.chain])

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        now, clock = datetime.now(UTC), time.monotonic()
        dropped: list[tuple[int, str]] = [(n.version, network_text(n)) for n in remove]
        fresh: list[tuple[int, str, int]] = []
        for entry in add:
            seconds = self._timeout(entry, now)
            if seconds > 0:
                fresh.append((entry.network.version, network_text(entry.network), seconds))
        evicted = [
            (version, text) for version in (4, 6) for text in self._room(version, fresh, dropped)
        ]
        dropped += evicted
        script = [f"del {self.sets[version]} {text}" for version, text in dropped]
        for version, text, seconds in fresh:
            script.append(f"add {self.sets[version]} {text} timeout {seconds} -exist")
        if not script:
            return
        try:
            self._ipset_restore(script)
        except EnforceError:
            # ipset stops at the line it refuses: what came before it is done. Expect
            # none of these networks (the daemon rewrites the sets after a failure).
            for entry in add:
                self._loaded[entry.network.version].unload(network_text(entry.network))
            for version, text in dropped:
                self._loaded[version].unload(text)
            raise
        for version, text in dropped:
            self._loaded[version].unload(text)
        for network in remove:
            self._out[network.version].discard(network_text(network))
        for version, text, seconds in fresh:
            self._loaded[version].load(text, clock + seconds)
            self._out[version].discard(text)
        for version, text in evicted:
            self._note_out(version, text)  # deleted to make room: it blocks nothing now
        if evicted:
            left_out = dict(self._left_out)
            for version, _ in evicted:
                left_out[version] += 1
            self._say_left_out(left_out)

    def _room(
        self, version: int, fresh: list[tuple[int, str, int]], dropped: list[tuple[int, str]]
    ) -> list[str]:
        """The loaded networks to delete so that the new ones of `fresh` fit in a set that
        holds at most `MAX_ELEMENTS`: those that end first (none when there is room).
        "Hash is full" made every new ban fail, and the repair after it too."""
        loaded = self._loaded[version]
        adding = {text for v, text, _ in fresh if v == version and text not in loaded.expiry}
        if len(loaded) + len(adding) <= MAX_ELEMENTS:
            return []
        loaded.forget_ending(time.monotonic())  # the kernel dropped those already
        leaving = {text for v, text in dropped if v == version and text in loaded.expiry}
        over = len(loaded) - len(leaving) + len(adding) - MAX_ELEMENTS
        if over <= 0:
            return []
        keep = leaving | {text for v, text, _ in fresh if v == version}
        ending = ((expiry, text) for text, expiry in loaded.expiry.items() if text not in keep)
        return [text for _, text in heapq.nsmallest(over, ending)]

    def sync(self, active: Sequence[BanEntry]) -> None:
        now, clock = datetime.now(UTC), time.monotonic()
        script = []
        loaded: dict[int, dict[str, float]] = {4: {}, 6: {}}
        left_out = {4: 0, 6: 0}
        out: dict[int, set[str]] = {4: set(), 6: set()}
        for version, name in self.sets.items():
            family = _FAMILIES[version]
            temp = f"{name}-new"
            script.append(
                f"create {temp} hash:net family {family} timeout {DEFAULT_TIMEOUT} "
                f"maxelem {MAX_ELEMENTS}"
            )
            script.append(f"flush {temp}")
            wanted: dict[str, int] = {}
            for entry in active:
                if entry.network.version == version:
                    seconds = self._timeout(entry, now)
                    if seconds > 0:
                        text = network_text(entry.network)
                        wanted[text] = max(seconds, wanted.get(text, 0))
            if len(wanted) > MAX_ELEMENTS:  # the set is full: keep the bans that end last
                left_out[version] = len(wanted) - MAX_ELEMENTS
                kept = heapq.nlargest(MAX_ELEMENTS, wanted.items(), key=lambda item: item[1])
                out[version] = set(wanted).difference(text for text, _ in kept)
                wanted = dict(kept)
            for text, seconds in wanted.items():
                script.append(f"add {temp} {text} timeout {seconds} -exist")
                loaded[version][text] = clock + seconds
            script += [f"swap {temp} {name}", f"destroy {temp}"]
        before = self._out
        self._forget_all()  # should the restore stop half-way, expect nothing
        try:
            self._ipset_restore(script)
        except EnforceError:
            self._destroy_temporary()
            raise
        self._loaded = {version: _Loaded(loaded[version].items()) for version in (4, 6)}
        for version in (4, 6):
            for text in out[version]:
                if text not in before[version]:
                    self._note_out(version, text)
                else:
                    self._out[version].add(text)
        self._say_left_out(left_out)

    def present(self) -> bool:
        """Are both sets there, of our type, holding at least the bans we loaded that
        still have more than `EXPIRY_SLACK` seconds to run (and `SPOT` of them drawn at
        random), and are the INPUT jump and our chain's rules in place? A set emptied
        by ``ipset flush``, destroyed and recreated, or with entries deleted by hand, is
        not: the daemon then rewrites it. Seven short processes (``ipset list -t``, two
        ``iptables -C`` and ``-S``, at most two ``ipset test``): 25-40 ms with 100,000
        bans (median; ipset 7.17, iptables-nft 1.8.9, 2 cores), so the daemon runs it
        every second."""
        headers = self._headers()
        if headers is None:
            return False
        for version, name in self.sets.items():
            header = headers.get(name)
            if header is None or header.type != "hash:net":
                return False
            if f"family {_FAMILIES[version]} " not in header.header + " ":
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
        return self._holds(headers)

    def gone(self) -> bool:
        """Is a set of ours missing, the INPUT jump to our chain missing (either IP
        version), or a set emptied, whole or in part: holding fewer entries than the bans
        we loaded that have more than `EXPIRY_SLACK` seconds to run, or missing one of
        `SPOT` loaded networks drawn at random? ``ipset list -t`` counts the entries
        without listing them, so this costs the same with any number of bans: one
        ``ipset list -t``, two ``iptables -C`` and at most two ``ipset test``: 15-30 ms
        with 100,000 bans (median; up to 60 ms on a loaded machine; ipset 7.17,
        iptables-nft 1.8.9, 2 cores), the count itself under a millisecond. Our chain's
        own rules are checked by `present`. False when this cannot tell."""
        headers = self._headers()
        if headers is None:
            return False  # cannot tell: `present` decides
        if any(name not in headers for name in self.sets.values()):
            return True
        for version in (4, 6):
            jump = [self.tables[version], "-w", "-C", "INPUT", "-j", self.chain]
            if self._run(jump, check=False).returncode in (1, 2):  # no rule, no chain
                return True
        return not self._holds(headers)

    def teardown(self) -> None:
        foreign = self._strangers()
        if foreign:
            raise NotOursError(self._not_ours(foreign, teardown=True))
        self._unhook()
        for name in self.sets.values():
            self._run([self.ipset, "destroy", name], check=False)
        self._destroy_temporary()
        self._forget_all()

    # -- whose sets and chain ------------------------------------------------------------

    def _strangers(self) -> list[str]:
        """Our sets (and `sync`'s temporary ones) and chain as someone else made them,
        described for a person: a set of our name with another type, family or default
        timeout, a chain of our name holding rules without our comment. Empty
        when all is ours, absent, or cannot be listed."""
        found: list[str] = []
        headers = self._headers() or {}
        for version, name in self.sets.items():
            for each in (name, f"{name}-new"):
                header = headers.get(each)
                if header is not None and not _our_set(header, version):
                    found.append(f"set {each} ({_set_text(header)})")
        for version in (4, 6):
            table = self.tables[version]
            listed = self._run([table, "-w", "-S", self.chain], check=False)
            if listed.returncode != 0:
                continue  # no such chain (or not one iptables can show)
            rules = [line for line in listed.stdout.splitlines() if line.startswith("-A ")]
            theirs = [line for line in rules if f'--comment "{RULE_COMMENT}"' not in line]
            if theirs:
                count = f"{len(theirs)} rule{'s' if len(theirs) > 1 else ''}"
                found.append(f"{table} chain {self.chain} ({count} not mailwarden's)")
        return found

    def _not_ours(self, foreign: list[str], teardown: bool = False) -> str:
        what = f"ipset: {'; '.join(foreign)}: not created by mailwarden"
        if teardown:
            return f"{what}: left in place (mailwarden removes only its own)"
        helps = []
        if any(item.startswith("set ") for item in foreign):
            helps.append(
                "if those sets are another program's, set [enforce] ipset to a prefix of "
                "mailwarden's own; if not, destroy them (ipset destroy, once no rule uses "
                "them: mailwarden creates them again and restores the bans from its store)"
            )
        if any(" chain " in item for item in foreign):
            helps.append(
                f"the chain {self.chain} is always mailwarden's: move those rules to a chain "
                f"of yours, or remove them (iptables -F {self.chain}; ip6tables likewise)"
            )
        return f"{what}: mailwarden would replace it; {'; '.join(helps)}"

    def _destroy_temporary(self) -> None:
        for name in self.sets.values():
            self._run([self.ipset, "destroy", f"{name}-new"], check=False)

    def _say_left_out(self, left_out: dict[int, int]) -> None:
        """Say once (and again when it ends) that a set is full and bans are left out."""
        for version, count in left_out.items():
            before, self._left_out[version] = self._left_out[version], count
            name = self.sets[version]
            if count and not before:
                LOG.warning(
                    "firewall: ipset %s holds at most %d bans: %d ban(s) (those ending "
                    "first) are not enforced while there are more",
                    name,
                    MAX_ELEMENTS,
                    count,
                )
            elif before and not count:
                LOG.info("firewall: ipset %s holds every ban again", name)

    # -- what we loaded -----------------------------------------------------------------

    def _headers(self) -> dict[str, SetHeader] | None:
        done = self._run([self.ipset, "list", "-t"], check=False)
        return parse_terse(done.stdout) if done.returncode == 0 else None

    def _holds(self, headers: dict[str, SetHeader]) -> bool:
        """Does each set hold at least the bans we loaded that the kernel keeps more
        than `EXPIRY_SLACK` seconds yet, and `SPOT` of them drawn at random? True when
        it cannot tell."""
        limit = time.monotonic() + EXPIRY_SLACK
        for version, name in self.sets.items():
            loaded = self._loaded[version]
            loaded.forget_ending(limit)
            header = headers.get(name)
            if header is not None and header.entries is not None and header.entries < len(loaded):
                return False
        for version, name in self.sets.items():
            networks = self._loaded[version].networks
            for network in self._random.sample(networks, min(SPOT, len(networks))):
                test = [self.ipset, "test", name, network]  # as `network_text` wrote it
                done = self._run(test, check=False)
                if done.returncode != 0 and "NOT in set" in done.stdout + done.stderr:
                    return False
        return True

    def _forget_all(self) -> None:
        self._loaded = {4: _Loaded(), 6: _Loaded()}
        self._out = {4: set(), 6: set()}

    # -- helpers ----------------------------------------------------------------------

    def _rules(self, version: int) -> list[str]:
        match = f"-m conntrack --ctstate NEW -m set --match-set {self.sets[version]} src"
        comment = f'-m comment --comment "{RULE_COMMENT}"'
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
    def _timeout(entry: BanEntry, now: datetime) -> int:
        """The timeout the kernel is given for `entry` (0 or less: it is not loaded)."""
        return min(round(entry.remaining(now)), MAX_TIMEOUT)

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


def _our_set(header: SetHeader, version: int) -> bool:
    """Is this set of the shape we create (hash:net, the family, our default timeout)?"""
    words = header.header.split()
    values = dict(zip(words, [*words[1:], ""], strict=True))
    return (
        header.type == "hash:net"
        and values.get("family") == _FAMILIES[version]
        and values.get("timeout") == str(DEFAULT_TIMEOUT)
    )


def _set_text(header: SetHeader) -> str:
    """``hash:ip, family inet, no timeout``"""
    words = header.header.split()
    values = dict(zip(words, [*words[1:], ""], strict=True))
    timeout = values.get("timeout")
    parts = [header.type, f"family {values.get('family', '?')}"]
    parts.append(f"timeout {timeout}" if timeout else "no timeout")
    return ", ".join(parts)
