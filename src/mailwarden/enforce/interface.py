"""What crosses the enforce stage: a ban to put in place, and the backends that do it.

The daemon owns the truth (the store); an `Enforcer` makes one place (a firewall, a
Postfix access table, the log) say the same thing. Its life cycle:

    enforcer.check()              # read only: NotOursError when the place is another's
    enforcer.ensure()             # create or repair our own objects (idempotent)
    enforcer.sync(store_active)   # at start and after every repair: firewall == store
    enforcer.apply(add, remove)   # each change, one batch
    enforcer.present()            # polled every second or two; False -> ensure() + sync()
    enforcer.flush()              # every tick; flush(force=True) when the daemon stops
    enforcer.teardown()           # the bans go elsewhere now (a reload, a start), tests

Backends keep what they last wrote in memory so that `apply` can send only the
difference; `sync` rewrites everything, so call it once before the first `apply`.
Every entry carries an absolute expiry: a backend that can (nftables, ipset) lets the
kernel drop the element on time even if the daemon is gone, so a ban always ends.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from mailwarden.errors import EnforceError
from mailwarden.model import BanEntry, IPNetwork

__all__ = [
    "BanEntry",
    "BatchRefusedError",
    "EnforceError",
    "Enforcer",
    "NoAnswerError",
    "NotOursError",
    "PermissionDeniedError",
    "ToolMissingError",
    "as_network",
    "changes",
    "network_text",
]


class ToolMissingError(EnforceError):
    """The program a backend drives (``nft``, ``ipset``, ``postfix``) is not installed."""


class PermissionDeniedError(EnforceError):
    """The firewall refused us for lack of privilege (not root / no CAP_NET_ADMIN)."""


class NotOursError(EnforceError):
    """The place our objects go (an nftables table, an ipset, an iptables chain) already
    exists and holds what mailwarden did not create: we would replace or delete it."""


class BatchRefusedError(EnforceError):
    """The firewall (or reload command) refused a change; the message carries its error."""


class NoAnswerError(EnforceError):
    """The firewall program (or reload command) gave no answer in time (`_run.TIMEOUT`):
    a firewall that is busy or stuck for now, not something a person must fix."""


def as_network(value: str | IPNetwork) -> IPNetwork:
    """``192.0.2.7`` -> ``192.0.2.7/32``; a network must have no host bits set."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    return ipaddress.ip_network(value, strict=True)


def network_text(network: IPNetwork) -> str:
    """``192.0.2.0/24``: the text a backend writes into a script or a table, rebuilt from
    the network's numbers. `ipaddress` keeps an IPv6 scope id (``2001:db8::1%eth0``,
    where anything may follow the ``%``, a newline included) in ``str()``; this never
    does, so no text but digits, hex, dots, colons and the slash reaches ipset or
    Postfix."""
    if not isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network):
        raise TypeError(f"not an IP network: {network!r}")
    number = int(network.network_address)
    address = (
        ipaddress.IPv4Address(number) if network.version == 4 else ipaddress.IPv6Address(number)
    )
    return f"{address}/{network.prefixlen}"


def changes(
    current: Iterable[BanEntry], wanted: Iterable[BanEntry]
) -> tuple[list[BanEntry], list[IPNetwork]]:
    """What `apply` needs to turn `current` into `wanted`: (add or refresh, remove).

    The daemon keeps what it last applied; when the store's revision moves (another
    process ran ``mailwarden ban``/``unban``), it applies ``changes(applied, active)``.
    An entry whose expiry changed is sent again, which refreshes its timeout."""
    before = {entry.network: entry for entry in current}
    after = {entry.network: entry for entry in wanted}
    add = [entry for network, entry in after.items() if before.get(network) != entry]
    remove = [network for network in before if network not in after]
    return add, remove


class Enforcer(ABC):
    """A place where bans take effect. Each backend is a sibling module."""

    name: str = "enforcer"
    repaired: int = 0
    """How many times `apply` found a change refused and wrote everything again by itself
    (nftables: our table was deleted, or someone put elements into our sets): the daemon
    counts these with its own repairs."""
    reload_waiting: bool = False
    """A change is held back until the enforcer's next `flush` (postfix-map coalesces
    Postfix reloads); the others apply each change at once."""

    @abstractmethod
    def ensure(self) -> None:
        """Create our own objects, or repair them when someone changed them.

        Idempotent. May drop the elements of a broken object: follow with `sync`."""

    @abstractmethod
    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        """Add (or refresh the expiry of) and remove bans in one batch.

        Removing something that is not there is not an error (the kernel may have
        expired it already)."""

    @abstractmethod
    def sync(self, active: Sequence[BanEntry]) -> None:
        """Make the enforcer hold exactly `active` (entries already expired are skipped)."""

    @abstractmethod
    def present(self) -> bool:
        """Are our objects in place? Cheap enough to call every second (the daemon
        calls it less often when it takes long: nftables with many bans)."""

    def gone(self) -> bool:
        """A quick look, cheap with any number of bans: is our table certainly gone
        (``nft flush ruleset``), or a set we filled certainly emptied, whole or in part
        (``nft flush set``)? False when all is there or when this cannot tell: the full
        check is `present`, which the daemon runs less often when it takes long, and
        asks this one every second in between."""
        return False

    def enforces(self, network: IPNetwork) -> bool:
        """Whether a ban of ``network`` given to it takes effect: False for one it left
        out (nftables: past ``max_bans``, kept aside until there is room)."""
        return True

    def take_left_out(self) -> list[IPNetwork]:
        """The networks of bans given to it that it left out since the last call (and
        has not put back yet): the daemon no longer counts clients inside them as
        banned (`enforces`). None by default."""
        return []

    def check(self) -> None:  # noqa: B027 - nothing to check by default
        """Raise `NotOursError` when the objects we would create already exist and hold
        what we did not create (someone else's table, set or chain of the same name):
        `ensure` would replace them, `teardown` delete them. Reads only; says nothing
        when it cannot tell (`ensure` then reports what fails). `ensure` and `teardown`
        check first themselves."""

    def take_over(self, previous: Enforcer) -> None:  # noqa: B027 - nothing to take by default
        """A reload that keeps the same place hands over what `previous` knew: that the
        objects there are ours (nftables: a table it adopted stays adopted, whatever
        others added to it since). Before `check`."""

    @abstractmethod
    def teardown(self) -> None:
        """Remove our objects; never touches anything that is not ours (`NotOursError`
        when what bears our names holds another's)."""

    def flush(self, *, force: bool = False) -> None:  # noqa: B027 - a no-op by default
        """Finish what a backend held back to coalesce it (postfix-map delays its reload
        a few seconds): when it is due, or now with `force`. Cheap when nothing waits;
        the changes themselves are already written. Most backends hold nothing back."""

    # Conveniences over `apply`.
    def ban(self, entry: BanEntry) -> None:
        self.apply([entry], [])

    def unban(self, network: IPNetwork) -> None:
        self.apply([], [network])
