"""Owners' logins, kept in the store so that the daemon remembers them across restarts.

The detector never counts a failure with an account that logged in from the same
address within ``policy.stale_window`` (30 days) as a guess: it is the owner's typo or
a phone with an old password (up to ``policy.stale_max_failures`` a day). The daemon
decides live, so it knows only the logins it has read: without the store, a restart
(or a busy day, past the warm-up tail's one day and 32 MB) forgets that alice logs in
from the office's NAT, and her phone's failures before anyone's login the next morning
ban the whole office.

- The detector tells of each owner's login (never an intruder's: `Detector.on_owner`);
  the address is kept as its owners' network (the address, or its IPv6 /64:
  `Detector.owner_network`). A login is written when the address was not known to
  log in as the account, or when its previous login was in another `REFRESH` period
  (an hour): a phone that logs in every ten minutes writes once an hour, not six times.
- The logins wait in memory (at most `MAX_PENDING`) and are written in one transaction
  before the sources' positions are committed; a store that fails keeps them waiting.
- At start (and when a reload builds a new detector) the logins of the last
  ``stale_window``, at most ``max_clients`` of them, seed the detector
  (`Detector.remember_success`).
- The first start knows none of them (the store is new: right after installing, or a
  host new to a shared store): before its warm-up and backlog, it reads back the
  rotated files of its sources (``mail.log.1``, ``mail.log.2.gz``, ...; those last
  written within ``stale_window``, the newest first, at most
  `mailwarden.daemon.recall.RECALL_BYTES` of text) and the journal's entries of that
  window, for the owners' logins only (`mailwarden.daemon.recall`), seeds the detector
  with them, writes them to the store (`recalled`), and says in one line how many
  logins it recalled from how many files. A mark in the store (the position key
  ``owners``, per host in a shared store: `reading.StateKeys.owners`) says it was
  done: the next starts do not read the archives again. A look-back that a stop
  request cut short, or whose logins the store failed to write, leaves no mark and is
  done again at the next start. So is it at the first start after an upgrade from a
  version without it: once.
- Every `FORGET_EVERY` (and at start) the store forgets the logins older than
  ``stale_window`` and all but the ``max_clients`` most recent; a network keeps its 256
  most recent accounts (`mailwarden.store.interface.MAX_OWNER_ACCOUNTS`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector
from mailwarden.model import IPNetwork
from mailwarden.store import Store

LOG = logging.getLogger("mailwarden.daemon")

REFRESH = 3600.0
"""A known owner's login is written again when its previous one was in another period
of this many seconds (a tenth of ``stale_window`` when that is shorter)."""
MAX_PENDING = 10_000
"""Logins waiting for the store at most (a store that fails for long); more are dropped
and said once."""
FORGET_EVERY = 3600.0
"""How often the store forgets the logins older than ``stale_window``."""


class OwnerLogins:
    """The owners' logins the detector tells of, on their way to the store, and back
    into a new detector."""

    def __init__(self, policy: PolicyConfig) -> None:
        self.policy = policy
        self.pending: dict[tuple[IPNetwork, str], float] = {}
        """(network, account) -> the latest login not yet written."""
        self.dropped = 0
        self._detector: Detector | None = None

    @property
    def refresh(self) -> float:
        return min(REFRESH, self.policy.stale_window.total_seconds() / 10)

    def attach(self, detector: Detector, policy: PolicyConfig) -> None:
        """Hear of ``detector``'s owners' logins (a reload's new detector replaces the
        old one, and its policy the old policy)."""
        self.policy = policy
        self._detector = detector
        detector.on_owner = self._seen

    def _seen(self, ip: str, account: str, when: float, previous: float | None) -> None:
        if when <= 0:
            return  # no time in the log: nothing to remember it by
        refresh = self.refresh
        if previous is not None and previous // refresh == when // refresh:
            return  # written in this period already (or waiting)
        detector = self._detector
        network = detector.owner_network(ip) if detector is not None else None
        if network is None:
            return
        key = (network, account)
        pending = self.pending
        if key in pending:
            pending[key] = max(pending[key], when)
        elif len(pending) < MAX_PENDING:
            pending[key] = when
        else:
            if not self.dropped:
                LOG.warning(
                    "store: %d owners' logins wait to be written; more are not kept",
                    MAX_PENDING,
                )
            self.dropped += 1

    def write(self, store: Store) -> None:
        """Write the waiting logins in one transaction; raises `StoreError` (they keep
        waiting)."""
        if not self.pending:
            return
        store.remember_owners(
            (network, account, datetime.fromtimestamp(when, UTC))
            for (network, account), when in self.pending.items()
        )
        self.pending.clear()
        self.dropped = 0

    def restore(self, store: Store, detector: Detector, now: datetime | None = None) -> int:
        """Seed ``detector`` with the logins of the last ``stale_window``; how many.
        Raises `StoreError`."""
        now = now or datetime.now(UTC)
        rows = store.owners(now - self.policy.stale_window, self.policy.max_clients)
        for row in rows:
            address = str(row.network.network_address)
            detector.remember_success(address, row.account, row.last.timestamp())
        return len(rows)

    def recalled(
        self,
        store: Store,
        detector: Detector,
        logins: Mapping[tuple[IPNetwork, str], float],
    ) -> None:
        """Seed ``detector`` with the logins the first start's look-back found, and write
        them in one transaction (`mailwarden.daemon.recall`). Raises `StoreError` (the
        detector is seeded all the same)."""
        for (network, account), when in logins.items():
            detector.remember_success(str(network.network_address), account, when)
        if logins:
            store.remember_owners(
                (network, account, datetime.fromtimestamp(when, UTC))
                for (network, account), when in logins.items()
            )

    def forget(self, store: Store, now: datetime | None = None) -> int:
        """Forget the logins older than ``stale_window`` and all but the ``max_clients``
        most recent; how many. Raises `StoreError`."""
        now = now or datetime.now(UTC)
        return store.forget_owners(now - self.policy.stale_window, self.policy.max_clients)
