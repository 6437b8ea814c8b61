"""Dry run (``backend = "none"``): log what would be banned, change nothing.

One line per decision::

    would ban 192.0.2.7/32 until 2030-01-01T01:00:00+00:00: bruteforce (12 failures)
    would unban 192.0.2.7/32

The reason may quote a client (a username), so control characters and non-ASCII are
escaped: one decision is always exactly one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mailwarden.enforce.interface import BanEntry, Enforcer
from mailwarden.model import IPNetwork

LOG = logging.getLogger("mailwarden.enforce")


def one_line(text: str) -> str:
    """Printable ASCII only: ``\\n``, ``\\x1b`` and friends are written as escapes."""
    return text.encode("ascii", "backslashreplace").decode("ascii").translate(_CONTROLS)


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


class DryRunEnforcer(Enforcer):
    name = "none"

    def __init__(self, logger: logging.Logger = LOG) -> None:
        self.log = logger

    def ensure(self) -> None:
        self.log.info("dry run: no firewall changes will be made")

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        for network in remove:
            self.log.info("would unban %s", network)
        for entry in add:
            self._ban(entry)

    def sync(self, active: Sequence[BanEntry]) -> None:
        self.log.info("dry run: %d active ban(s) in the store", len(active))
        for entry in active:
            self._ban(entry)

    def present(self) -> bool:
        return True

    def teardown(self) -> None:
        pass

    def _ban(self, entry: BanEntry) -> None:
        until = entry.expires.isoformat(timespec="seconds")
        self.log.info("would ban %s until %s: %s", entry.network, until, one_line(entry.reason))
