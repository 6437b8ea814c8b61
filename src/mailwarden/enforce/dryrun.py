"""Dry run (``backend = "none"``): log what would be banned, change nothing.

One line per decision::

    would ban 192.0.2.7/32 until 2030-01-01T01:00:00Z: bruteforce (12 failures)
    would unban 192.0.2.7/32

The first `sync` (the daemon's start) says the bans it would put back from the store,
not as new bans::

    dry run: restoring 1 active ban(s) from the store
    would keep 192.0.2.7/32 until 2030-01-01T01:00:00Z: bruteforce (12 failures)

A later `sync` (the daemon's periodic rewrite, a repair) says only what it changes.
With ``bans_said`` (the daemon, which logs each ban it makes or takes up from the store
itself: ``ban 192.0.2.7/32 for 1h until …``), a ban that `apply` adds is said only at
debug level: one line per ban.

The reason may quote a client (a username), so control characters and non-ASCII are
escaped: one decision is always exactly one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC

from mailwarden.enforce.interface import BanEntry, Enforcer
from mailwarden.model import IPNetwork

LOG = logging.getLogger("mailwarden.enforce")


def one_line(text: str) -> str:
    """Printable ASCII only: ``\\n``, ``\\x1b`` and friends are written as escapes."""
    return text.encode("ascii", "backslashreplace").decode("ascii").translate(_CONTROLS)


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


class DryRunEnforcer(Enforcer):
    name = "none"

    def __init__(self, logger: logging.Logger = LOG, *, bans_said: bool = False) -> None:
        self.log = logger
        self.bans_said = bans_said
        """The caller logs each ban it adds itself (the daemon): `apply` says them at
        debug level only."""
        self._held: dict[IPNetwork, BanEntry] | None = None
        """What a firewall would hold; None before the first `sync`."""

    def ensure(self) -> None:
        self.log.info("dry run: no firewall changes will be made")

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        held = self._held if self._held is not None else {}
        for network in remove:
            held.pop(network, None)
            self.log.info("would unban %s", network)
        level = logging.DEBUG if self.bans_said else logging.INFO
        for entry in add:
            held[entry.network] = entry
            self._say(level, "would ban", entry)
        self._held = held

    def sync(self, active: Sequence[BanEntry]) -> None:
        wanted = {entry.network: entry for entry in active}
        held, self._held = self._held, wanted
        if held is None:
            if not wanted:
                self.log.info("dry run: no active ban in the store")
                return
            self.log.info("dry run: restoring %d active ban(s) from the store", len(wanted))
            for entry in wanted.values():
                self._say(logging.INFO, "would keep", entry)
            return
        for network in sorted(held.keys() - wanted.keys(), key=lambda net: (net.version, net)):
            self.log.info("would unban %s", network)
        for network, entry in wanted.items():
            if held.get(network) != entry:
                self._say(logging.INFO, "would ban", entry)

    def present(self) -> bool:
        return True

    def teardown(self) -> None:
        self._held = None

    def _say(self, level: int, what: str, entry: BanEntry) -> None:
        until = entry.expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        reason = one_line(entry.reason)
        self.log.log(level, "%s %s until %s: %s", what, entry.network, until, reason)
