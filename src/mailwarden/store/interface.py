"""What the daemon and the ``ban``/``unban``/``status`` commands keep between runs.

- Bans, active and past, with reason, evidence, source (``auto`` or ``manual``), the
  offence count at the time, and how each ended (``expired``, ``lifted``, or
  ``superseded`` by a newer ban of the same network). At most one ban per network is
  active.
- Repeat offenders: `offences` counts the bans a network got (optionally since a
  time); the policy turns that count into a ban length. `extend_ban` lengthens the
  ban in force without counting an offence. `record_offence` records a ban unless one
  of that network is in force already, in one transaction: two hosts of a fleet (or a
  daemon and ``mailwarden ban``) banning one attacker in the same second count one
  offence, never two.
- One daemon per store and host (`claim`): a second daemon with the same identity
  (the same SQLite file; the same ``host_name`` in a shared PostgreSQL store) is
  refused while the first runs. The claim ends with the process or its connection, so
  a daemon that crashed never blocks a restart.
- Source positions: key -> JSON value (file offset with inode and fingerprint, a
  journald cursor), written by the daemon after each batch.
- Owners' logins: the accounts that logged in from each address (an IPv6 /64), and
  when last (`remember_owners`, `owners`, `forget_owners`): after a restart, a phone
  with an old password at an address its owner logged in from last week is still no
  attacker. At most `MAX_OWNER_ACCOUNTS` accounts per network (the most recent); the
  daemon forgets those older than ``policy.stale_window`` and keeps at most
  ``policy.max_clients`` rows.
- `revision`: a number that grows with every change to the bans, so a daemon notices
  within one poll that another process (``mailwarden ban``) changed the store, then
  reads `active_bans` and applies the difference. `only_own_changes` tells it when
  every step of the revision since it last looked was its own write through this store
  object (its own bans, its own expiries): then there is nothing to read back, which
  matters with tens of thousands of active bans. When another process did change them,
  `changed_bans` tells which networks' bans changed after a revision (each ban row
  remembers the revision of its last change), so the daemon reads those, not all.

Every method is one transaction: a process killed at any moment leaves each change
either whole or absent. Times are aware datetimes; the store keeps whole seconds.
Reason and evidence are stored as given (callers mask passwords before they record
them), except that a NUL character becomes U+FFFD: PostgreSQL cannot keep NUL in text,
and both stores answer alike.

A damaged row (a ban whose network or time cannot be read, a position that is not
JSON) is skipped, not raised: the rest of the store stays usable, a daemon still starts,
one warning per row goes to the ``mailwarden.store`` log, and `damage` lists them. What
a stored value must be is in `mailwarden.store.rows`, one place for every backend. A
caller that finds a value inside a position unusable (``mailwarden status``: an offset
that is not a number) names it the same way with `note_damage`.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Self

from mailwarden.errors import StoreError, StoreUnusable
from mailwarden.model import BanEntry, IPNetwork

LOG = logging.getLogger("mailwarden.store")
LOG.addHandler(logging.NullHandler())  # a command that sets up no logging prints none

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]

__all__ = [
    "BanChanges",
    "BanRow",
    "BanState",
    "Claimed",
    "JSONValue",
    "OwnerRow",
    "Source",
    "Store",
    "StoreError",
]

MAX_OWNER_ACCOUNTS = 256
"""Accounts kept per network in the owners' logins, the most recent: as many as the
detector remembers per address (``detect.state.MAX_USERS_PER_OWNER``; an office's NAT
is one address for many people)."""

OWN_REVISIONS_KEPT = 100_000
"""At most this many revisions written here are remembered for `only_own_changes`
(the daemon asks at every step, so it holds a few)."""


def storable(text: str) -> str:
    """`text` as every store keeps it (NUL -> U+FFFD)."""
    return text.replace("\x00", "\ufffd")


def damaged_store(location: str, what: object) -> StoreUnusable:
    """The error for the store at `location` that is damaged as a whole: one wording
    whether an open store finds it or ``mailwarden run --check`` does."""
    return StoreUnusable(f"the store {location} is damaged: {what}")


def wider_networks(network: IPNetwork) -> list[IPNetwork]:
    """Every network wider than `network` that holds it, widest first (``/0`` to one bit
    wider): what `Store.covering_bans` looks up."""
    return [network.supernet(new_prefix=prefix) for prefix in range(network.prefixlen)]


def narrower(row_network: IPNetwork, network: IPNetwork) -> bool:
    """Is `row_network` inside `network` and narrower (what `Store.inside_bans` keeps)?"""
    return (
        row_network.version == network.version
        and row_network.prefixlen > network.prefixlen
        and row_network.subnet_of(network)  # type: ignore[arg-type]
    )


class Claimed(StoreError):
    """`Store.claim`: another daemon holds this store (or this host's part of it)."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"another process holds the store ({holder})")
        self.holder = holder
        """Who holds it, as far as the store can tell (``pid 1234``)."""


class Source(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class BanState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    LIFTED = "lifted"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class BanRow:
    """One ban as the store keeps it."""

    id: int
    network: IPNetwork
    since: datetime
    until: datetime
    reason: str
    evidence: str
    source: Source
    offences: int
    """How many bans this network had got, this one included."""
    state: BanState
    ended: datetime | None = None
    """When it stopped being active (None while active)."""
    end_reason: str | None = None

    def entry(self) -> BanEntry:
        """The ban as an enforcer takes it."""
        return BanEntry(self.network, self.until, self.reason, self.source == Source.MANUAL)


@dataclass(frozen=True)
class BanChanges:
    """What `Store.changed_bans` found: the networks whose bans changed after a
    revision, and the bans of those networks that are in force now (a network with
    none there was lifted, expired or superseded by nothing)."""

    networks: frozenset[IPNetwork]
    active: list[BanRow]


@dataclass(frozen=True)
class OwnerRow:
    """An account logged in from a network (an address as a /32 or /128, or an IPv6
    /64), the last time as far as the store knows."""

    network: IPNetwork
    account: str
    last: datetime


class Store(ABC):
    """State shared by the daemon and the command line."""

    def __init__(self, location: str) -> None:
        self.location = location
        """The store as messages name it (a path; never a password)."""
        self._damage: dict[str, str] = {}
        self._damage_lock = threading.Lock()
        self._own_revisions: dict[int, int] = {}
        """revision before -> after, for each committed change through this object not
        yet asked about by `only_own_changes`."""
        self._own_lock = threading.Lock()

    def record_ban(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str = Source.AUTO,
        now: datetime | None = None,
    ) -> BanRow:
        """Record a new ban and count the offence.

        If the network is already banned, the new row supersedes the old one and ends
        no earlier than it did: banning again never shortens a ban."""
        return self._record(entry, evidence, source, now, join=False)[0]

    def record_offence(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str = Source.AUTO,
        now: datetime | None = None,
        ends: Callable[[int], datetime] | None = None,
        *,
        replace_reason: bool = False,
    ) -> tuple[BanRow, bool]:
        """Record `entry` as a new ban and count the offence (as `record_ban`), unless a
        ban of exactly its network is in force at `now` already (another host sharing the
        store, or ``mailwarden ban``, recorded it a moment ago): then that ban stays, is
        lengthened in place when ours ends later (its reason kept, or with
        `replace_reason` made `entry.reason`: ``mailwarden ban --reason``; made manual
        when `source` is), and no offence is counted. One transaction, whichever host or
        process writes at the same moment.

        `ends(n)`: when the ban of the network's n-th offence ends (the policy's length);
        asked inside the transaction with the offence it counts, or that of the ban in
        force, so no ban is ever as long as an offence counted twice would make it.
        None: `entry.expires` either way. The ban in force afterwards, and True when it
        is a new one."""
        return self._record(
            entry, evidence, source, now, join=True, ends=ends, replace_reason=replace_reason
        )

    @abstractmethod
    def _record(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str,
        now: datetime | None,
        *,
        join: bool,
        ends: Callable[[int], datetime] | None = None,
        replace_reason: bool = False,
    ) -> tuple[BanRow, bool]:
        """`record_ban`, or with `join` `record_offence`, in one transaction."""

    @abstractmethod
    def extend_ban(
        self,
        network: IPNetwork,
        until: datetime,
        reason: str | None = None,
        now: datetime | None = None,
        source: Source | str | None = None,
    ) -> BanRow | None:
        """Lengthen the ban of exactly `network` in force at `now`, in place: the same
        row, so no new offence is counted (``mailwarden ban`` of a banned address).
        Never shortens it; `reason` None keeps its reason, `source` None its source
        (``mailwarden ban`` makes an automatic ban manual: the admin's now). None when
        no ban of it is in force (then `record_ban` a new one)."""

    @abstractmethod
    def lift_ban(self, network: IPNetwork, reason: str, now: datetime | None = None) -> bool:
        """End the active ban of exactly `network`; False when there was none."""

    @abstractmethod
    def lifted(self, since: datetime) -> list[BanRow]:
        """The bans lifted by hand (``mailwarden unban``, `lift_ban`) at `since` or later,
        in the order they were lifted: the daemon's detector forgives the failures
        before each (`Detector.forgive`)."""

    @abstractmethod
    def active_bans(self, now: datetime | None = None) -> list[BanRow]:
        """Bans in force at `now`, oldest first."""

    @abstractmethod
    def covering_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        """Bans in force at `now` of the networks wider than `network` that hold it (the
        /24 over an address; not `network` itself), oldest first. Reads only those rows
        (at most 32 exact networks for IPv4, 128 for IPv6), however many bans are
        active: ``mailwarden unban`` names them."""

    @abstractmethod
    def inside_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        """Bans in force at `now` of the networks narrower than `network` that it holds
        (the addresses banned inside a /24; not `network` itself, nor one of the other IP
        version), oldest first: what ``mailwarden unban`` of a network leaves in force,
        and lifts with ``--inside``."""

    @abstractmethod
    def changed_bans(self, after: int, now: datetime | None = None) -> BanChanges:
        """The networks whose bans changed (recorded, lengthened, lifted, expired,
        superseded) by a change that moved the revision past `after`, and their bans in
        force at `now`, in one read. Reads only those rows (an index on the revision of
        each row's last change), however many bans are active.

        Only for a revision that grew since `after` (``revision() > after``): a revision
        that went back (a damaged one written again from 1) may hide changes, and the
        caller must then read `active_bans`. A change written by a mailwarden too old to
        note it (one still running when the store was brought to schema 3) is not
        found either: the daemon's periodic rewrite from the store picks it up."""

    @abstractmethod
    def expire(self, now: datetime | None = None) -> list[IPNetwork]:
        """Mark every ban whose time is up as expired; return their networks."""

    @abstractmethod
    def offences(self, network: IPNetwork, since: datetime | None = None) -> int:
        """How many bans `network` got (since `since`, when given)."""

    @abstractmethod
    def history(self, limit: int = 100, network: IPNetwork | None = None) -> list[BanRow]:
        """The latest bans, newest first, of every state."""

    @abstractmethod
    def lasting_bans(self, network: IPNetwork, start: datetime, end: datetime) -> list[BanRow]:
        """The bans (of any state), newest first, that may have answered failures from
        `network` between `start` and `end` (an attack's time, give or take the log's
        rounding): those of `network` itself in force then or begun later (its end, the
        time it ended early else its until, at or after `start`: that attack's own
        ban), and those of a network wider than it that holds it in force then (begun
        at or before `end` too: one begun later did not answer the attack). Whether a
        wider one was enforced on this host is the caller's to judge. Reads only those
        exact networks' rows."""

    @abstractmethod
    def prune(self, before: datetime) -> int:
        """Forget bans that ended before `before` (their offences stop counting);
        returns how many."""

    @abstractmethod
    def get_position(self, key: str) -> JSONValue:
        """The stored position of a source, or None."""

    @abstractmethod
    def set_position(self, key: str, value: JSONValue) -> None: ...

    @abstractmethod
    def positions(self) -> dict[str, JSONValue]: ...

    @abstractmethod
    def remember_owners(self, logins: Iterable[tuple[IPNetwork, str, datetime]]) -> None:
        """Record that each account logged in from each network at that time (a later
        time than the stored one replaces it; an earlier one changes nothing). A network
        keeps its `MAX_OWNER_ACCOUNTS` most recent accounts."""

    @abstractmethod
    def owners(self, since: datetime, limit: int) -> list[OwnerRow]:
        """The owners' logins at or after `since`, at most `limit` (the most recent),
        oldest first."""

    @abstractmethod
    def forget_owners(self, before: datetime, keep: int) -> int:
        """Forget the owners' logins older than `before`, and all but the `keep` most
        recent; returns how many were forgotten."""

    @abstractmethod
    def revision(self) -> int:
        """Grows with every change to the bans (not to positions)."""

    @abstractmethod
    def claim(self, host: str | None) -> None:
        """Hold this store for one daemon until `close` (or the process ends): that of
        host `host` in a shared store, of the whole store when None. Raises `Claimed`
        when another process holds it."""

    def keep_claim(self) -> str | None:
        """Check that the claim `claim` took still holds (the daemon asks at each
        heartbeat); a claim lost with its connection (PostgreSQL restarted) is taken
        again. The holder when another process took it meanwhile, else None."""
        return None

    def patience(self, seconds: float | None) -> None:
        """How long an operation waits for a store that is busy (a lock another process
        holds) or does not answer (a connection): `seconds`, or as opened when None. The
        daemon waits less while its store failed a moment ago (see
        `mailwarden.daemon.loop._StoreGuard`)."""
        return None  # a store with nothing to wait for

    @abstractmethod
    def claimed(self, host: str | None) -> str | None:
        """Who holds the claim `claim` would take (as `Claimed.holder` says it), or None
        when nobody does; takes nothing and creates nothing (``mailwarden run --check``)."""

    @abstractmethod
    def close(self) -> None: ...

    def only_own_changes(self, known: int, current: int) -> bool:
        """Did every change from revision `known` to `current` come through this object?

        True when each step in between was a committed change made here
        (`wrote_revision`): nobody else (``mailwarden ban``, another host sharing the
        store) changed the bans meanwhile, so a caller that applied its own changes
        already has nothing to read back. False when in doubt (a damaged revision, a
        change whose commit failed): the caller then reads the active bans, as it must
        when another process changed them."""
        with self._own_lock:
            steps, self._own_revisions = self._own_revisions, {}
        revision = known
        for _ in range(len(steps)):
            if revision == current or revision not in steps:
                break
            revision = steps[revision]
        return revision == current

    def wrote_revision(self, before: int | None, after: int | None) -> None:
        """Note that a committed change through this object moved the revision from
        `before` to `after` (backends call it after the commit, with the values their
        own transaction read and wrote, the revision row locked). None (a damaged or
        lost revision) notes nothing: whoever asks reads the bans once more."""
        if before is None or after is None:
            return
        with self._own_lock:
            if len(self._own_revisions) >= OWN_REVISIONS_KEPT:
                self._own_revisions.clear()  # nobody asks: forget (a reader reads all)
            self._own_revisions[before] = after

    def damage(self) -> list[str]:
        """One line for each damaged row (or value) this store skipped so far, such as
        ``ban 7: network 'not-a-net' is not a network``; empty when there was none."""
        with self._damage_lock:
            return [f"{where}: {what}" for where, what in self._damage.items()]

    def damaged(self, what: object) -> StoreUnusable:
        """The error for a store that is damaged as a whole (not one row that can be left
        out): a file that is not our database, a schema that stored what we did not
        write."""
        return damaged_store(self.location, what)

    def note_damage(self, where: str, what: str) -> None:
        """Name a damaged row or value (``position 'journal'``, ``cursor 5 is not a
        journal cursor``) that was left out: `damage` lists it, and the
        ``mailwarden.store`` log warns once for each `where`."""
        with self._damage_lock:
            if where in self._damage:
                return
            self._damage[where] = what
        LOG.warning("the store %s is damaged: %s: %s (left out)", self.location, where, what)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
