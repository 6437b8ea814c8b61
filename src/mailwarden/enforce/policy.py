"""Ban policy: how long a ban lasts, and what may never be banned.

Shared by the daemon's automatic decisions and the ``ban`` command, so that a person
typing ``mailwarden ban 127.0.0.0/8`` is refused exactly like a parser bug would be.

- Escalation: the n-th ban of a network lasts ``base * factor**(n-1)``, capped at
  ``max``: always finite, so every ban expires.
- Never banned: unspecified, loopback, link-local and multicast addresses, anything in
  the allow list, the host's own addresses, and any network that overlaps one of those
  (``192.0.2.0/24`` is refused when the host is 192.0.2.1; ``192.0.2.5`` is refused
  when ``192.0.2.0/24`` is allowed), and networks wider than ``widest``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwarden.enforce._run import in_netns
from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import ConfigError, EnforceError
from mailwarden.model import Decision, IPNetwork

LOG = logging.getLogger("mailwarden.enforce")

# Never a client we would want to ban: a ban there is a parsing mistake or worse.
RESERVED: tuple[tuple[IPNetwork, str], ...] = (
    (ipaddress.ip_network("0.0.0.0/8"), "unspecified address"),
    (ipaddress.ip_network("::/128"), "unspecified address"),
    (ipaddress.ip_network("127.0.0.0/8"), "loopback"),
    (ipaddress.ip_network("::1/128"), "loopback"),
    (ipaddress.ip_network("169.254.0.0/16"), "link-local address"),
    (ipaddress.ip_network("fe80::/10"), "link-local address"),
    (ipaddress.ip_network("224.0.0.0/4"), "multicast address"),
    (ipaddress.ip_network("ff00::/8"), "multicast address"),
    (ipaddress.ip_network("255.255.255.255/32"), "broadcast address"),
)


def normalize(network: IPNetwork) -> IPNetwork:
    """An IPv4-mapped IPv6 network (``::ffff:192.0.2.7``) is the IPv4 one: that is how
    its packets reach the firewall. An IPv6 scope id (``2001:db8::1%eth0``) is dropped:
    a firewall set has none, and its text is free-form."""
    if not isinstance(network, ipaddress.IPv6Network):
        return network
    if network.network_address.scope_id:
        network = ipaddress.IPv6Network((int(network.network_address), network.prefixlen))
    # Inside ::ffff:0:0/96, in integers: it runs for every stored ban the daemon reads.
    first = int(network.network_address)
    if network.prefixlen >= 96 and first >> 32 == 0xFFFF:
        return ipaddress.IPv4Network((first & 0xFFFFFFFF, network.prefixlen - 96))
    return network


def _span(network: IPNetwork) -> tuple[int, int]:
    """First and last address as integers."""
    first = int(network.network_address)
    return first, first | ((1 << (network.max_prefixlen - network.prefixlen)) - 1)


WIDEST = (8, 16)
"""The shortest prefix a ban may have, for IPv4 and IPv6 (`BanPolicy.widest`)."""


@dataclass(frozen=True)
class BanPolicy:
    base: timedelta = timedelta(hours=1)
    factor: float = 2.0
    max: timedelta = timedelta(days=30)
    allow: Sequence[IPNetwork] = ()
    own_addresses: Sequence[IPNetwork] = ()
    widest: tuple[int, int] = WIDEST
    """The shortest prefix that may be banned, for IPv4 and IPv6."""
    _checks: tuple[tuple[int, int, int, str, str], ...] = field(
        init=False, repr=False, compare=False
    )
    """(IP version, first and last address as integers, "X is …", "X contains …") of
    each protected network: `refusal` runs for every stored ban the daemon reads, and
    comparing integers is ten times faster than `overlaps` and `subnet_of`."""

    def __post_init__(self) -> None:
        where = "ban policy"
        if self.base <= timedelta(0):
            raise ConfigError(where, "base", "must be longer than zero")
        if not math.isfinite(self.factor) or self.factor < 1:
            raise ConfigError(where, "factor", "must be a number >= 1")
        if self.max < self.base:
            raise ConfigError(where, "max", "must be at least the base ban time")
        # (protected, "X is …", "X contains …")
        checks = [(n, why, why) for n, why in RESERVED]
        checks += [
            (normalize(n), f"on the allow list ({n})", f"{n}, which is on the allow list")
            for n in self.allow
        ]
        checks += [
            (normalize(n), f"an address of this host ({n})", f"an address of this host ({n})")
            for n in self.own_addresses
        ]
        ranges = tuple((n.version, *_span(n), inside, around) for n, inside, around in checks)
        object.__setattr__(self, "_checks", ranges)

    def duration_for(self, offences: int) -> timedelta:
        """How long the `offences`-th ban of a network lasts (1 = first offence)."""
        steps = max(0, offences - 1)
        base, cap = self.base.total_seconds(), self.max.total_seconds()
        if self.factor == 1 or steps == 0:
            return min(self.base, self.max)
        if steps * math.log(self.factor) >= math.log(cap / base):
            return self.max
        return timedelta(seconds=min(cap, base * self.factor**steps))

    def refusal(self, network: IPNetwork) -> str | None:
        """Why `network` must not be banned, or None when it may be."""
        network = normalize(network)
        if network.prefixlen < self.widest[0 if network.version == 4 else 1]:
            return f"{network} is wider than /{self.widest[0 if network.version == 4 else 1]}"
        version = network.version
        first, last = _span(network)
        for protected, low, high, inside, around in self._checks:
            if protected != version or first > high or last < low:
                continue  # no overlap
            if low <= first and last <= high:
                return f"{network} is {inside}"
            return f"{network} contains {around}"
        return None

    def allowed_to_ban(self, network: IPNetwork) -> bool:
        return self.refusal(network) is None

    def allow_entry_holding(self, network: IPNetwork) -> IPNetwork | None:
        """The allow-list entry that `network` lies entirely inside, or None (outside the
        list, or only containing or overlapping an entry: a /24 around one allowed
        host)."""
        network = normalize(network)
        first, last = _span(network)
        for allowed in self.allow:
            entry = normalize(allowed)
            if entry.version != network.version:
                continue
            low, high = _span(entry)
            if low <= first and last <= high:
                return allowed
        return None

    def entry(self, decision: Decision, offences: int, now: datetime) -> BanEntry:
        """The ban for a decision; `offences` counts this one.

        A duration named by the decision can lengthen the escalated one, never shorten
        it, and the cap still holds."""
        duration = self.duration_for(offences)
        if decision.duration is not None:
            duration = min(max(decision.duration, duration), self.max)
        return BanEntry(normalize(decision.target), now + duration, decision.reason)


def own_addresses(netns: str | None = None) -> list[IPNetwork]:
    """The host's addresses (each as a /32 or /128), read from ``ip -j addr``, and (on
    the host itself, not in `netns`) the addresses Postfix's ``proxy_interfaces`` names
    (`proxy_addresses`): behind 1:1 NAT the public address is on no interface."""
    argv = in_netns(netns, ["ip", "-j", "addr", "show"])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=10)
        interfaces = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise EnforceError(f"cannot list this host's addresses with `ip -j addr`: {exc}") from exc
    found: list[IPNetwork] = []
    for interface in interfaces:
        for info in interface.get("addr_info", []):
            try:
                found.append(ipaddress.ip_network(info["local"]))
            except (KeyError, ValueError):
                continue
    if netns is None:
        found += [network for network in proxy_addresses() if network not in found]
    return found


PROXY_FRESH = 60.0
"""Seconds the addresses of ``proxy_interfaces`` are kept when Postfix's main.cf cannot
be looked at (`_postfix_stamp`); otherwise they are read again only when main.cf (or
postconf) changes."""

_proxy_read: tuple[tuple[object, ...], float, list[IPNetwork]] | None = None
_proxy_failed = False


def proxy_addresses() -> list[IPNetwork]:
    """The IP addresses in Postfix's ``proxy_interfaces`` (``postconf -h
    proxy_interfaces``: the addresses it receives mail on through a proxy or NAT), each
    as a /32 or /128. Host names in it are left out (never looked up), and so is
    everything when postconf is not installed or fails (no Postfix, a broken main.cf):
    the interfaces' addresses still stand. A postconf that fails on a main.cf that is
    there is said once in the log (again after it has worked). postconf runs again
    only when main.cf or postconf changed (at most every `PROXY_FRESH` seconds when
    main.cf cannot be looked at): the daemon reads this host's addresses before a ban,
    and postconf may take seconds."""
    global _proxy_read
    postconf = shutil.which("postconf")
    if postconf is None:
        return []
    key = (postconf, *_postfix_stamp(postconf))
    now = time.monotonic()
    if _proxy_read is not None:
        known, read_at, found = _proxy_read
        if known == key and (None not in key or now - read_at < PROXY_FRESH):
            return list(found)
    found = _read_proxy_interfaces(postconf, key[-1] is not None)
    _proxy_read = (key, now, found)
    return list(found)


def _postfix_stamp(postconf: str) -> tuple[object, ...]:
    """What changes when postconf's answer may: postconf itself and main.cf (in
    ``MAIL_CONFIG`` when set, as postconf reads it); None for one that cannot be
    looked at."""
    folder = os.environ.get("MAIL_CONFIG") or "/etc/postfix"
    stamps: list[object] = []
    for path in (postconf, os.path.join(folder, "main.cf")):
        try:
            info = os.stat(path)
        except OSError:
            stamps.append(None)
            continue
        stamps.append((info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return tuple(stamps)


def _read_proxy_interfaces(postconf: str, configured: bool) -> list[IPNetwork]:
    """The addresses postconf names; a failure is said (once) when main.cf is there
    (``configured``): with no main.cf, no Postfix is set up on this host."""
    global _proxy_failed
    try:
        done = subprocess.run(
            [postconf, "-h", "proxy_interfaces"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        why = str(exc)
    else:
        if done.returncode == 0:
            _proxy_failed = False
            return _proxy_words(done.stdout)
        lines = done.stderr.strip().splitlines()
        why = f"exit status {done.returncode}" + (f": {lines[0]!r:.200}" if lines else "")
    if not configured:
        LOG.debug("postconf -h proxy_interfaces: %s (no main.cf)", why)
    elif not _proxy_failed:
        _proxy_failed = True
        LOG.warning(
            "cannot read Postfix's proxy_interfaces with `%s -h proxy_interfaces` (%s): "
            "the addresses named there are not known as this host's until it works "
            "(a webmail reaching the server through one of them can be banned; "
            "policy.allow can hold them)",
            postconf,
            why,
        )
    return []


def _proxy_words(text: str) -> list[IPNetwork]:
    found: list[IPNetwork] = []
    for word in text.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(word.strip("[]"))
        except ValueError:
            continue  # a host name
        if network.num_addresses == 1 and network not in found:
            found.append(network)
    return found
