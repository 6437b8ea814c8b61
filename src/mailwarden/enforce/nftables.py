"""nftables backend: our own table ``inet mailwarden``, changed through ``nft -j -f -``.

What we create (and nothing else, ever)::

    table inet mailwarden {
        comment "mailwarden: bans of password guessers; created and replaced by mailwarden"
        set v4 { type ipv4_addr; flags interval,timeout; }
        set v6 { type ipv6_addr; flags interval,timeout; }
        chain input {
            type filter hook input priority filter - 10; policy accept;
            ct state new tcp dport { 25, 465, 587 } ip saddr @v4 counter drop
            ct state new tcp dport { 25, 465, 587 } ip6 saddr @v6 counter drop
        }
    }

- One interval set per IP version holds single addresses and networks alike. Nested
  bans are flattened into disjoint pieces (see `_ranges`) because an interval set
  refuses overlapping elements; each piece carries its own kernel timeout, so a ban ends
  on time even when the daemon is not running.
- Whose table: `ensure`, `teardown` and `check` list it first (`ensure` and
  `teardown` not again while its chains and sets keep the handles they had when it was
  last found ours). It is ours when it carries our comment (set when we create it; nft
  1.0.6 shows it in its text listing only; the kernel ignores a comment added to a
  table that exists, so an older version's table never gets one), or when this daemon
  (this enforcer, or the one it took over from at a reload, `take_over`) already found
  it ours, or when everything in it is ours in name and shape: sets ``v4``/``v6`` of
  our type and flags, chain ``input`` a filter chain on the input hook with policy
  accept, and in that chain, when it holds rules without our comment, at least one rule
  with it. So a table an older mailwarden made, one a crash left half built, and either
  of them with a rule the admin put into our chain, are ours; an unmarked table with
  anything else in it (another chain, set, map, flowtable or named object; an input
  chain of another shape; a chain of our name holding only others' rules) is refused
  at start (`NotOursError`, naming what is there): that is the admin's ``inet filter``
  named in ``[enforce] table``, or an admin table that happens to be called
  ``mailwarden`` - mailwarden cannot tell that one from its own older table with an
  object added, and leaves it alone.
- In a table of ours, what we do not create is treated by what `ensure` would do to
  it. Rules without our comment in our chain are removed (``ensure`` flushes the chain)
  and logged, with their text (a repair that does not list the table again names those
  `present` saw at its last look). Other objects (a named counter, another chain or set)
  are left alone and named once in a warning: they never stop enforcement. Only what
  would destroy them stays refused: replacing the whole table (one of our objects in a
  shape ``nft add`` cannot change) and `teardown`, which refuses any object or rule
  that is not ours.
- Priority ``filter - 10`` runs before the usual ``inet filter`` input chain. A drop in
  any base chain is final, so another table's ``accept`` cannot undo ours.
- Only new connections are dropped (``ct state new``); without ports, every protocol.
- Everything is JSON built from Python values and `ipaddress` objects: no text from a
  log is ever spliced into an nft command.
- An element's timeout cannot be changed in place on older kernels, so a refresh is
  ``delete``, then ``add`` with the new timeout, in one batch. A piece is deleted only
  while the kernel holds it (deleting one it expired fails: ``element does not
  exist``; an expired one does not stop a new piece over it): by the clock for a piece
  that ends more than `EXPIRY_SLACK` seconds later, asking the kernel (`_netlink`)
  about the others. There is no ``add`` before the ``delete`` (it made the delete safe
  for an expired piece): with nft 1.0.6 ``add`` of a piece that is there, ``delete``
  of it, then ``add`` of a network around it, in one batch, is refused ("interval
  overlaps with an existing one"), as is a piece split in three.
- `apply` works out again only the pieces around the bans it adds or removes (from the
  bans that overlap them, found through sorted indexes) and sends what changed: its
  cost in Python does not grow with the number of bans. It does not merge pieces
  across the edges of a change (the set stays correct; `sync` writes it tidy). If nft
  refuses, the kernel is asked which of the pieces to delete it holds (one ended
  between the decision and the batch, or was deleted by hand) and the batch sent again
  so; if nft refuses that too (our table was deleted, someone added overlapping
  elements by hand), it runs `ensure` and `sync` itself, logs it and counts it
  (`repaired`: the daemon counts it with its repairs).
- `present` checks the chain and its two rules (``nft -t -j list chain``), then looks
  up a few of the elements we loaded (the `SAMPLE` that expire last, never one about
  to expire), asking the kernel itself (`_netlink`), or ``nft get element`` when the
  kernel cannot tell. The addresses looked up are packed or printed from integers,
  never taken from a log.
- `gone` lists only the chains (``nft -j list chains`` loads no set), then asks the
  kernel for `SPOT` elements of each set drawn at random: it notices a flushed
  ruleset, a deleted table, ``nft flush set inet mailwarden v4`` (which keeps the
  table and the rules) and a set partly emptied by ``nft delete element`` in about
  0.01 s however many bans the sets hold, so the daemon looks every second, between
  full checks that run less often.
- Cost with nft 1.0.6, which loads the whole table at every run (so every command
  grows with the set): with 30,000 banned IPv6 addresses `sync` 1.3 s, one `apply`
  0.2 s, each of the two runs of `present` 0.2 s; with 100,000 `sync` 1.7-2 s (0.7-1.5
  s of it nft's own) and `present` 1.5-7 s on 2 cores, depending on the load. Since
  `present` asks the kernel for its sample itself (`_netlink`), it runs nft once, not
  twice (0.6-1 s with 100,000; the lookup is under a millisecond), and `gone` costs
  0.01 s plus the lookup.
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import json
import logging
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from mailwarden.enforce import _netlink
from mailwarden.enforce._ranges import Piece, flatten
from mailwarden.enforce._run import error_for, run
from mailwarden.enforce.dryrun import one_line
from mailwarden.enforce.interface import (
    BanEntry,
    BatchRefusedError,
    EnforceError,
    Enforcer,
    NotOursError,
)
from mailwarden.model import IPNetwork

ABSENT = "No such file or directory"
"""How nft says that the table or chain it was asked to list is not there (ENOENT)."""

Json = dict[str, Any]

RULE_COMMENT = "mailwarden: drop new connections from banned clients"
TABLE_COMMENT = "mailwarden: bans of password guessers; created and replaced by mailwarden"
SET_NAMES = {4: "v4", 6: "v6"}
MAX_TABLE_NAME = 255
"""The longest table name nft takes (NFT_NAME_MAXLEN, 256 bytes with the NUL ending it):
``name too long, 256 characters maximum allowed`` past it. Set and chain names are ours
(`SET_NAMES`, ``input``), not made from the table's name."""
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""A table name nft reads on its command line: a number (``123``) is no name, and one
starting with ``-`` is taken for an option."""
_SET_TYPES = {4: "ipv4_addr", 6: "ipv6_addr"}
_PAYLOAD = {4: "ip", 6: "ip6"}
SAMPLE = 4
"""Elements per set that `present` looks up (those that expire last) to notice a set
flushed by hand, not at the next periodic rewrite."""
SPOT = 32
"""Elements per set, drawn at random, that `gone` looks up every second: a flushed
set is noticed at the first look, one with a tenth of its elements deleted by hand
within a second or two (a miss is 0.9**32, 3 % per look)."""
EXPIRY_SLACK = 3
MAX_BANS = 65_536
"""The most bans (networks, both sets together) the table holds by default
(``[enforce] max_bans``): nft 1.0 loads every element at each run, so each change costs
more with every ban held (0.2 s with 30,000, 1.4 s with 100,000)."""
WARN_EVERY = 60.0
"""Seconds between two warnings that bans were left out past `MAX_BANS` (each warning
counts those left out since the one before)."""

LOG = logging.getLogger("mailwarden.enforce")


class NftablesEnforcer(Enforcer):
    """Bans in ``table inet <table>``; `netns` runs every command inside that namespace."""

    name = "nftables"

    def __init__(
        self,
        ports: Sequence[int] = (25, 465, 587),
        table: str = "mailwarden",
        netns: str | None = None,
        nft: str = "nft",
        chain: str = "input",
        priority: int = -10,
        max_bans: int = MAX_BANS,
    ) -> None:
        for port in ports:
            if not isinstance(port, int) or not 0 < port < 65536:
                raise EnforceError(f"nftables: bad port {port!r}")
        if not _TABLE_NAME.fullmatch(table):
            raise EnforceError(f"nftables: bad table name {table[:64]!r}")
        if len(table) > MAX_TABLE_NAME:
            raise EnforceError(
                f"nftables: bad table name: {len(table)} characters,"
                f" nft takes {MAX_TABLE_NAME} at most"
            )
        self.ports = tuple(sorted(set(ports)))
        self.table = table
        self.netns = netns
        self.nft = nft
        self.chain = chain
        self.priority = priority
        self.max_bans = max(1, max_bans)
        """The most bans held: past it, the automatic bans that end first are left out
        (`_room`); an admin's (`BanEntry.manual`) goes before every automatic one."""
        self._full = False
        """Bans are left out (said when all fit again)."""
        self._unsaid = 0
        """Bans left out since the last warning (`_say_full`)."""
        self._said_at: float | None = None
        """When that warning was given (time.monotonic), None before the first."""
        self._ending: list[tuple[int, float, int, int, int, IPNetwork]] = []
        """`_ending` items of the desired bans, a heap: the one to leave out first on
        top (entries of bans changed or forgotten since are skipped when met)."""
        self._left: dict[IPNetwork, BanEntry] = {}
        """Bans left out past `max_bans`, put back as soon as there is room."""
        self._waiting: list[tuple[int, float, int, int, int, IPNetwork]] = []
        """Negated `_ending` items of `_left`, a heap: the one to put back first on top."""
        self._newly_left: list[IPNetwork] = []
        """The networks left out since `take_left_out` last took them."""
        self._unnoted: set[IPNetwork] = set()
        """Networks a `sync` whose batch failed left out: not said nor noted then, they
        are by the next `sync` that works, if it still leaves them out."""
        self._desired: dict[IPNetwork, BanEntry] = {}
        self._keys: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        """(first address, prefix length) of each desired network, sorted."""
        self._lengths: dict[int, Counter[int]] = {4: Counter(), 6: Counter()}
        """The prefix lengths in use among the desired networks."""
        self._loaded: dict[int, dict[Piece, int]] = {4: {}, 6: {}}
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        """The first address of each loaded piece (they are disjoint), sorted."""
        self._piece_at: dict[int, dict[int, Piece]] = {4: {}, 6: {}}
        self._random = random.SystemRandom()
        self._verified: tuple[tuple[str, str, int], ...] | None = None
        self._owned = False
        """Found ours (or made) by this enforcer, or by the one it took over from."""
        self._others_said: tuple[str, ...] = ()
        """The objects of others in our table last named in a warning."""
        self._theirs: list[int] = []
        """The handles of the rules without our comment that `present` last saw in our
        chain: a repair that does not list the table again names them as it removes
        them."""
        self._synced = False
        """This enforcer wrote the sets whole (`sync`): what they hold beyond what it
        loaded since was put there by someone else (before, it may be an earlier
        process's bans, lifted while no daemon ran)."""
        """Our table's chains and sets (`_view`) when we last found it ours: a repair
        that finds them the same does not list the whole table again (nft 1.0 loads
        every element for it: seconds with 100,000 bans)."""

    # -- the Enforcer interface ----------------------------------------------------

    def check(self) -> None:
        found = self._inspect()
        if found is not None and found.refused:
            raise NotOursError(self._not_ours(found.refused))

    def take_over(self, previous: Enforcer) -> None:
        if (
            isinstance(previous, NftablesEnforcer)
            and (previous.table, previous.netns) == (self.table, self.netns)
            and previous._owned
        ):
            self._owned = True
            self._others_said = previous._others_said

    def enforces(self, network: IPNetwork) -> bool:
        return network not in self._left

    def take_left_out(self) -> list[IPNetwork]:
        newly, self._newly_left = self._newly_left, []
        left = self._left
        return [network for network in dict.fromkeys(newly) if network in left]

    def ensure(self) -> None:
        view = self._view()
        if not view or view != self._verified:
            found = self._inspect(strict=True)
            assert found is not None
            if found.refused:
                raise NotOursError(self._not_ours(found.refused))
            self._say_others(found.others)
            self._say_removed(found.rules)
            if not found.exists:
                self._mark()
        else:
            self._say_removed(self._theirs)
        self._theirs = []
        self._verified = None
        try:
            self._send(self._structure())
        except BatchRefusedError:
            # Something of ours has the wrong shape (a set without timeouts, a regular
            # chain where the base chain goes): it is our table (checked above), so
            # replace it whole, unless that would destroy what others put into it.
            found = self._inspect(strict=True)
            assert found is not None
            if found.others:
                raise NotOursError(self._not_ours(found.others, replace=True)) from None
            drop = [self._cmd("add", self._table()), self._cmd("delete", self._table())]
            if self._mark(replace=True):
                self._send(self._structure())
            else:
                self._send(drop + self._structure())
            self._set_loaded({4: {}, 6: {}})
        self._owned = True
        self._verified = self._view()

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        """Send what changed around the bans in `add` and `remove`, and nothing else:
        the pieces of the set that overlap them are worked out again from the bans that
        overlap them (see `_windows`), so the Python side of a ban costs the same with
        10 or 100,000 others in the set. Pieces are not merged across the edges of what
        changed: the set stays correct (disjoint pieces, each with the latest expiry
        over it), and the next `sync` writes it tidy again."""
        windows: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for network in remove:
            self._left.pop(network, None)
            if self._forget(network):
                windows[network.version].append(_span(network))
        now = datetime.now(UTC)
        if self._left and remove:
            for entry in self._refill(now):  # room made: the bans left out go in at once
                windows[entry.network.version].append(_span(entry.network))
        left_out = 0
        for entry in add:
            self._left.pop(entry.network, None)
            if entry.network not in self._desired and len(self._desired) >= self.max_bans:
                evicted = self._room(entry, now)
                if evicted is None:
                    self._leave_out(entry)  # it goes after every ban held
                    left_out += 1
                    continue
                windows[evicted.network.version].append(_span(evicted.network))
                if evicted.expires > now:
                    self._leave_out(evicted)
                    left_out += 1
            self._remember(entry)
            windows[entry.network.version].append(_span(entry.network))
        self._say_full(left_out)
        current = round(now.timestamp())
        changes: dict[int, tuple[dict[Piece, int], dict[Piece, int]]] = {}
        for version in (4, 6):
            old: dict[Piece, int] = {}
            new: dict[Piece, int] = {}
            for first, last in self._windows(version, windows[version]):
                old.update(self._loaded_in(version, first, last))
                new.update(flatten(self._spans_in(version, first, last, current), version))
            stale = {p: expiry for p, expiry in old.items() if new.get(p) != expiry}
            fresh = {p: expiry for p, expiry in new.items() if old.get(p) != expiry}
            if stale or fresh:
                changes[version] = (stale, fresh)
        if not changes:
            return
        batch = self._changing(changes, self._deletable(changes, current), now)
        try:
            if batch:  # not when it only forgets pieces that have ended
                self._send(batch)
        except BatchRefusedError as refused:
            try:
                self._send_again(changes, now, refused)
            except BatchRefusedError as again:
                # Our table went away, or someone put elements of their own into our
                # sets: repair and rewrite them whole.
                self._rewrite(again)
                return
        for stale, fresh in changes.values():
            for piece in stale:
                self._unload(piece)
            for piece, expiry in fresh.items():
                self._load(piece, expiry)

    def _deletable(
        self, changes: dict[int, tuple[dict[Piece, int], dict[Piece, int]]], current: int
    ) -> set[Piece]:
        """The stale pieces to delete: those the kernel holds. By the clock for those
        that end more than `EXPIRY_SLACK` seconds from now; the kernel is asked about the
        others (it may drop a piece a little before the second we computed, or after,
        when the batch that loaded it reached it late), and when it cannot tell, the
        clock decides."""
        sure: set[Piece] = set()
        unsure: dict[Piece, int] = {}
        for stale, _ in changes.values():
            for piece, expiry in stale.items():
                if expiry > current + EXPIRY_SLACK:
                    sure.add(piece)
                else:
                    unsure[piece] = expiry
        if unsure:
            there = self._there(list(unsure))
            if there is None:
                there = {piece for piece, expiry in unsure.items() if expiry > current}
            sure |= there
        return sure

    def _send_again(
        self,
        changes: dict[int, tuple[dict[Piece, int], dict[Piece, int]]],
        now: datetime,
        refused: BatchRefusedError,
    ) -> None:
        """`apply`'s batch was refused. When it deleted or kept stale pieces, one of
        them may have ended in the kernel in the meantime (or was deleted by hand), or
        one the clock said had ended was still there (the batch that loaded it reached
        the kernel late): the kernel is asked which it holds, and the batch sent again
        as that says. Raises `refused` when there is nothing to ask (or the kernel
        cannot tell), or the second refusal."""
        stale = [piece for old, _ in changes.values() for piece in old]
        there = self._there(stale) if stale else None
        if there is None:
            raise refused
        batch = self._changing(changes, there, now)
        if batch:
            self._send(batch)

    def _changing(
        self,
        changes: dict[int, tuple[dict[Piece, int], dict[Piece, int]]],
        there: set[Piece],
        now: datetime,
    ) -> list[Json]:
        """The batch of `apply`: the stale pieces in `there` deleted, the fresh added.
        A stale piece the kernel no longer holds is left out: deleting it would fail
        (``element does not exist``), and an ended element does not stop a new one
        over it. No ``add`` before the ``delete``: with nft 1.0.6, adding a piece that
        is there, deleting it, then adding a piece around it in one batch is refused
        (``interval overlaps with an existing one``)."""
        batch: list[Json] = []
        for version, (stale, fresh) in changes.items():
            gone = [piece for piece in stale if piece in there]
            if gone:
                batch.append(self._elements("delete", version, gone, None, now))
            if fresh:
                batch.append(self._elements("add", version, list(fresh), fresh, now))
        return batch

    def _there(self, pieces: list[Piece]) -> set[Piece] | None:
        """Which of `pieces` the kernel holds now (each found by its first address);
        None when it cannot tell."""
        keys: dict[str, list[Piece]] = {}
        for piece in pieces:
            keys.setdefault(SET_NAMES[piece.version], []).append(piece)
        packed = {name: [_first(piece).packed for piece in found] for name, found in keys.items()}
        answers: dict[str, list[bool]] | None
        if self.netns is None:
            answers = _netlink.each(self.table, packed)
        else:
            argv = [sys.executable, "-m", "mailwarden.enforce._netlink", "--each", self.table]
            argv += [
                f"{name}={','.join(key.hex() for key in values)}" for name, values in packed.items()
            ]
            done = run(argv, netns=self.netns, check=False, what="nft lookup")
            lines = done.stdout.splitlines()
            if done.returncode != 0 or len(lines) != len(packed):
                return None
            answers = {
                name: [c == "1" for c in line] for name, line in zip(packed, lines, strict=True)
            }
        if answers is None:
            return None
        there: set[Piece] = set()
        for name, found in keys.items():
            if len(answers.get(name, ())) != len(found):
                return None
            there.update(piece for piece, held in zip(found, answers[name], strict=True) if held)
        return there

    def _rewrite(self, exc: BatchRefusedError) -> None:
        """`apply`'s change was refused even when sent as the kernel's state asks: write
        our table and both sets whole again (a repair: said and counted)."""
        LOG.warning(
            "firewall: %s; writing table inet %s whole again (%d ban(s))",
            exc,
            self.table,
            len(self._desired),
        )
        self.ensure()
        # The bans left out past max_bans too: still left out (enforces, the warning's
        # count), put back by sync as room allows, not forgotten until the next resync.
        self.sync([*self._desired.values(), *self._left.values()])
        self.repaired += 1

    def sync(self, active: Sequence[BanEntry]) -> None:
        now = datetime.now(UTC)
        alive = list({e.network: e for e in active if e.expires > now}.values())
        left: list[BanEntry] = []
        if len(alive) > self.max_bans:  # keep an admin's, then the bans that end last
            alive.sort(key=_rank, reverse=True)
            alive, left = alive[: self.max_bans], alive[self.max_bans :]
        before = self._left
        self._left = {entry.network: entry for entry in left}
        self._waiting = [_waiting(entry) for entry in left]
        heapq.heapify(self._waiting)
        self._set_desired(alive)
        wanted = self._pieces(now)
        loaded = sum(len(pieces) for pieces in self._loaded.values())
        foreign = self._foreign() if self._synced and loaded <= FOREIGN_LOOK_MAX else {}
        batch: list[Json] = []
        for version in (4, 6):
            batch.append(self._cmd("flush", self._set(version)))
            if wanted[version]:
                pieces = wanted[version]
                batch.append(self._elements("add", version, list(pieces), pieces, now))
        unnoted = self._unnoted
        fresh = [network for network in self._left if network not in before or network in unnoted]
        try:
            self._send(batch)
        except BaseException:
            self._unnoted = set(fresh)  # said and noted by the next sync that works
            raise
        self._unnoted = set()
        self._set_loaded(wanted)
        self._synced = True
        self._say_foreign(foreign)
        for network in fresh:
            self._note_left(network)
        self._say_full(len(fresh))

    def _room(self, entry: BanEntry, now: datetime) -> BanEntry | None:
        """The table holds `max_bans` bans and `entry` is a new one: forget the ban to
        leave out first (one already ended first of all; else an automatic one before
        an admin's, the one that ends first) and return it, so that `entry` goes in its
        place; None, forgetting nothing, when `entry` itself goes after every ban held."""
        ending = self._ending
        while ending:
            manual, end, _, _, _, network = ending[0]
            held = self._desired.get(network)
            if held is None or _ending(held)[:2] != (manual, end):
                heapq.heappop(ending)  # changed or forgotten since
                continue
            if held.expires > now and _rank(held) >= _rank(entry):
                return None
            heapq.heappop(ending)
            self._forget(network)
            return held
        return None

    def _leave_out(self, entry: BanEntry) -> None:
        """Keep `entry` aside, past `max_bans`, for `_refill`."""
        self._left[entry.network] = entry
        self._note_left(entry.network)
        heapq.heappush(self._waiting, _waiting(entry))
        if len(self._waiting) > 2 * len(self._left) + 1024:  # mostly skipped entries
            self._waiting = [_waiting(held) for held in self._left.values()]
            heapq.heapify(self._waiting)

    def _note_left(self, network: IPNetwork) -> None:
        """Remember `network` left out for `take_left_out` (a daemon that never takes
        them keeps at most as many as are left out, and a few)."""
        self._unnoted.discard(network)
        newly = self._newly_left
        newly.append(network)
        if len(newly) > 2 * len(self._left) + 1024:
            self._newly_left = [held for held in dict.fromkeys(newly) if held in self._left]

    def _refill(self, now: datetime) -> list[BanEntry]:
        """Put the bans left out back while there is room (an admin's first, then those
        that end last), and return them."""
        back: list[BanEntry] = []
        waiting = self._waiting
        while waiting and len(self._desired) < self.max_bans:
            item = heapq.heappop(waiting)
            held = self._left.get(item[-1])
            if held is None or _waiting(held)[:2] != item[:2]:
                continue  # changed or put back since
            del self._left[held.network]
            if held.expires > now:
                self._remember(held)
                back.append(held)
        return back

    def _say_full(self, left_out: int) -> None:
        """Warn that bans were left out past `max_bans` (the daemon's log): at once, then
        at most every `WARN_EVERY` seconds with how many since; say when all fit again."""
        self._unsaid += left_out
        since = None if self._said_at is None else time.monotonic() - self._said_at
        if self._unsaid and (since is None or since >= WARN_EVERY):
            self._said_at = time.monotonic()
            self._full = True
            LOG.warning(
                "firewall: table inet %s holds at most %d bans (enforce.max_bans): %d "
                "more ban(s) left out (those that end first, automatic before manual), "
                "%d left out now, kept in the store and put back as soon as there is room",
                self.table,
                self.max_bans,
                self._unsaid,
                len(self._left),
            )
            self._unsaid = 0
        elif self._full and not self._left:
            self._full = False
            self._unsaid = 0
            LOG.info("firewall: table inet %s holds every ban again", self.table)

    def present(self) -> bool:
        """Are our table, chain, rules and sets in place? False when nft says they are
        not there (``No such file or directory``); an nft that cannot list them (no
        permission, netlink refused, no answer) raises its `EnforceError`: that is no
        missing table, and writing it again would not help."""
        done = run(
            [self.nft, "-t", "-j", "list", "chain", "inet", self.table, self.chain],
            netns=self.netns,
            check=False,
            what="nft",
            c_locale=True,
        )
        if done.returncode != 0:
            if ABSENT in (done.stderr or ""):
                return False
            raise error_for("nft", done)
        try:
            items = json.loads(done.stdout)["nftables"]
        except (ValueError, KeyError, TypeError):
            return False
        chains = [i["chain"] for i in items if "chain" in i]
        rules = [i["rule"] for i in items if "rule" in i]
        if not chains or chains[0].get("hook") != "input" or chains[0].get("type") != "filter":
            return False
        ours = [r for r in rules if r.get("comment") == RULE_COMMENT]
        self._theirs = [r["handle"] for r in rules if r not in ours and "handle" in r]
        referenced = {_set_reference(r) for r in ours}
        if len(ours) != 2 or referenced != {"@" + name for name in SET_NAMES.values()}:
            return False
        return self._holds()

    def gone(self) -> bool:
        """Is our table or its input chain gone, or a set emptied, whole or in part?
        ``nft -j list chains`` loads no rule, set or element (0.01 s with 100,000 bans,
        where `present` takes seconds), and the kernel is asked directly (`_netlink`)
        whether `SPOT` pieces of each set, drawn at random among those we loaded, are
        still there (under a millisecond): a flushed ruleset or ``nft flush set`` is
        noticed within a second whatever the size of our sets, and so, within a few, is
        ``nft delete element`` of a tenth of them or more."""
        done = run([self.nft, "-j", "list", "chains"], netns=self.netns, check=False, what="nft")
        if done.returncode != 0:
            return False  # cannot tell: `present` decides
        try:
            items = json.loads(done.stdout)["nftables"]
            chains = [item["chain"] for item in items if "chain" in item]
        except (ValueError, KeyError, TypeError):
            return False
        for chain in chains:
            if (
                isinstance(chain, dict)
                and chain.get("family") == "inet"
                and chain.get("table") == self.table
                and chain.get("name") == self.chain
            ):
                return self._lookup(self._spot_check(datetime.now(UTC))) is False
        return True

    def _holds(self) -> bool:
        """Do the sets still hold a sample of what we loaded into them? A ``nft flush
        set`` (or ``delete element``) by hand leaves the table and rules in place. Both
        sets are looked up in one nft run (nft 1.0 loads the whole table at each run)."""
        now = datetime.now(UTC)
        samples = {version: self._sample(version, now) for version in (4, 6)}
        found = self._lookup(samples)
        if found is not None:
            return found
        script = ""  # the kernel cannot tell us itself: ask nft (it loads every element)
        for version in (4, 6):
            sample = samples[version]
            if sample:
                elements = ", ".join(str(_first(piece)) for piece in sample)
                script += f"get element inet {self.table} {SET_NAMES[version]} {{ {elements} }}\n"
        if not script:
            return True
        done = run([self.nft, "-f", "-"], netns=self.netns, stdin=script, check=False, what="nft")
        if done.returncode == 0:
            return True
        # nft says ENOENT for an element (or set) that is gone. Anything else (an nft
        # without `get element` for such sets) must not make us rewrite the table every
        # second: the chain and rule checks above still stand, and so does the periodic
        # rewrite.
        return "No such file or directory" not in done.stderr

    def _sample(self, version: int, now: datetime) -> list[Piece]:
        """The pieces that must be in the set now: the `SAMPLE` that the kernel will
        keep longest (none that ends within `EXPIRY_SLACK` seconds: the kernel may drop
        it a little before the second we computed)."""
        limit = round(now.timestamp()) + EXPIRY_SLACK
        alive = [(expiry, piece) for piece, expiry in self._loaded[version].items()]
        alive = [item for item in alive if item[0] > limit]
        return [piece for _, piece in heapq.nlargest(SAMPLE, alive)]

    def _spot_check(self, now: datetime) -> dict[int, list[Piece]]:
        """Up to `SPOT` pieces of each set, drawn at random among those we loaded (none
        that ends within `EXPIRY_SLACK` seconds): the same cost with 10 or 100,000."""
        limit = round(now.timestamp()) + EXPIRY_SLACK
        drawn: dict[int, list[Piece]] = {}
        for version in (4, 6):
            starts, piece_at = self._starts[version], self._piece_at[version]
            loaded = self._loaded[version]
            indexes = self._random.sample(range(len(starts)), min(SPOT, len(starts)))
            pieces = [piece_at[starts[index]] for index in indexes]
            drawn[version] = [piece for piece in pieces if loaded[piece] > limit]
        return drawn

    def _lookup(self, pieces: dict[int, list[Piece]]) -> bool | None:
        """Does the kernel still hold each of `pieces` (found by its first address)?
        None when it cannot tell. Without a network namespace the daemon asks the kernel
        itself; with one, through ``ip netns exec`` and a Python of its own (0.07 s)."""
        keys = {
            SET_NAMES[version]: [_first(piece).packed for piece in found]
            for version, found in pieces.items()
            if found
        }
        if not keys:
            return True
        if self.netns is None:
            return _netlink.holds(self.table, keys)
        argv = [sys.executable, "-m", "mailwarden.enforce._netlink", self.table]
        argv += [f"{name}={','.join(key.hex() for key in values)}" for name, values in keys.items()]
        done = run(argv, netns=self.netns, check=False, what="nft lookup")
        return {0: True, 1: False}.get(done.returncode)

    def teardown(self) -> None:
        view = self._view()
        if not view or view != self._verified:
            found = self._inspect(strict=True)
            assert found is not None
            foreign = found.refused or found.odd + found.rule_texts + found.others
            if foreign:
                raise NotOursError(self._not_ours(foreign, teardown=True))
        self._verified = None
        self._send([self._cmd("add", self._table()), self._cmd("delete", self._table())])
        self._set_desired(())
        self._left, self._waiting = {}, []
        self._set_loaded({4: {}, 6: {}})
        self._owned = False

    # -- whose table ----------------------------------------------------------------

    def _view(self) -> tuple[tuple[str, str, int], ...] | None:
        """Our table's chains and sets, each with its handle, from two listings that
        load no element or rule (0.01 s with 100,000 bans). None when nft cannot say."""
        found: list[tuple[str, str, int]] = []
        for argv in ([self.nft, "-j", "list", "chains"], [self.nft, "-t", "-j", "list", "sets"]):
            done = run(argv, netns=self.netns, check=False, what="nft")
            if done.returncode != 0:
                return None
            try:
                for item in json.loads(done.stdout)["nftables"]:
                    for kind, obj in item.items():
                        if kind == "metainfo" or obj.get("table") != self.table:
                            continue
                        if obj.get("family") == "inet":
                            found.append((kind, str(obj.get("name")), int(obj["handle"])))
            except (ValueError, KeyError, TypeError, AttributeError):
                return None
        return tuple(sorted(found))

    def _inspect(self, strict: bool = False) -> _Found | None:
        """Does our table exist, and is it ours (see the module's docstring)? None when
        nft cannot list it for another reason than its absence (with `strict`, that
        error is raised). ``-t``: the sets' elements are not listed."""
        argv = [self.nft, "-t", "-j", "list", "table", "inet", self.table]
        done = run(argv, netns=self.netns, check=False, what="nft")
        if done.returncode != 0:
            if "No such file or directory" in done.stderr:
                return _Found(exists=False)
            if strict:
                raise error_for("nft", done)
            return None
        try:
            items = json.loads(done.stdout)["nftables"]
            found = self._strangers(items)
        except (ValueError, KeyError, TypeError, AttributeError):
            if strict:
                raise EnforceError(f"nft: cannot read table inet {self.table}") from None
            return None
        if not (found.odd or found.rules or found.others):
            return found
        if self._owned or self._marked():
            if found.fixed and found.others:  # replacing it would destroy theirs
                found.refused = found.odd + found.others
            return found
        if found.odd or found.others or (found.rules and not found.ours):
            found.refused = found.odd + found.rule_texts + found.others
        return found

    def _strangers(self, items: list[Json]) -> _Found:
        """What the listed table holds besides exactly our objects, each described for
        a person: objects of our names in another shape (`odd`), rules without our
        comment in our chain (their handles, `rules`), objects we never create
        (`others`)."""
        rules: Counter[str] = Counter()
        found = _Found(exists=True)
        for item in items:
            rule = item.get("rule")
            if rule is None:
                continue
            if rule.get("comment") != RULE_COMMENT:
                rules[str(rule.get("chain"))] += 1
                if rule.get("chain") == self.chain:
                    found.rules.append(int(rule["handle"]))
            elif rule.get("chain") == self.chain:
                found.ours = True
        for item in items:
            for kind, obj in item.items():
                if kind in ("metainfo", "table", "rule"):
                    continue
                name = str(obj.get("name", ""))
                if kind == "set" and name in _VERSIONS:
                    version = _VERSIONS[name]
                    flags = obj.get("flags", [])
                    flags = sorted([flags] if isinstance(flags, str) else flags)
                    wanted = (_SET_TYPES[version], ["interval", "timeout"])
                    if (obj.get("type"), flags) != wanted:
                        found.fixed.append(name)
                        found.odd.append(
                            f"set {name} (type {obj.get('type')}, flags "
                            f"{','.join(flags) or 'none'}; mailwarden's is type "
                            f"{wanted[0]}, flags interval,timeout)"
                        )
                elif kind == "chain" and name == self.chain:
                    # an nft that leaves out the default policy (accept) in JSON
                    shape = (obj.get("type"), obj.get("hook"), obj.get("policy", "accept"))
                    if shape[:2] != ("filter", "input") or obj.get("prio") != self.priority:
                        found.fixed.append(name)  # nft changes only a policy in place
                    if shape != ("filter", "input", "accept"):
                        found.odd.append(_chain_text(obj, rules[name]))
                    elif rules[name]:
                        found.rule_texts.append(_chain_text(obj, rules[name]))
                elif kind == "chain":
                    found.others.append(_chain_text(obj, rules[name]))
                else:
                    found.others.append(f"{kind} {name}".strip())
        return found

    def _say_others(self, others: list[str]) -> None:
        """Name once in a warning the objects others put into our table (left alone)."""
        if tuple(others) != self._others_said and others:
            LOG.warning(
                "firewall: table inet %s also holds what mailwarden did not create (%s): "
                "left alone",
                self.table,
                "; ".join(others),
            )
        self._others_said = tuple(others)

    def _say_removed(self, handles: list[int]) -> None:
        """Name the rules of others in our chain that `ensure` removes (it flushes it)."""
        if handles:
            LOG.warning(
                "firewall: removing from chain inet %s %s the rules mailwarden did not put "
                "there: %s",
                self.table,
                self.chain,
                "; ".join(self._rule_texts(handles)),
            )

    def _foreign(self) -> dict[int, list[str]]:
        """The elements of our sets that mailwarden did not load (``nft add element``
        by hand), as nft writes them, per IP version: `sync` flushes the sets and says
        which it removes. Nothing when the table cannot be listed (gone, or nft
        failing: the write that follows says so)."""
        argv = [self.nft, "-j", "list", "table", "inet", self.table]
        done = run(argv, netns=self.netns, check=False, what="nft")
        if done.returncode != 0:
            return {}
        try:
            items = json.loads(done.stdout)["nftables"]
        except (ValueError, KeyError, TypeError):
            return {}
        found: dict[int, list[str]] = {}
        for item in items:
            nft_set = item.get("set") if isinstance(item, dict) else None
            if not isinstance(nft_set, dict) or nft_set.get("table") != self.table:
                continue
            version = _VERSIONS.get(nft_set.get("name", ""))
            if version is None:
                continue
            ours = {(piece.first, piece.last) for piece in self._loaded[version]}
            for elem in nft_set.get("elem") or ():
                span = _elem_span(elem, version)
                if span is None or span not in ours:
                    found.setdefault(version, []).append(_elem_text(elem))
        return found

    def _say_foreign(self, foreign: dict[int, list[str]]) -> None:
        """Name the elements of others that `sync` removed from our sets (the count and
        the first `FOREIGN_NAMED`)."""
        for version, texts in sorted(foreign.items()):
            named = ", ".join(texts[:FOREIGN_NAMED])
            more = len(texts) - FOREIGN_NAMED
            LOG.warning(
                "firewall: removed from set inet %s %s %d element(s) mailwarden did not "
                "put there: %s%s; ban with `mailwarden ban`, which the daemon keeps",
                self.table,
                SET_NAMES[version],
                len(texts),
                named,
                f" and {more} more" if more > 0 else "",
            )

    def _rule_texts(self, handles: list[int]) -> list[str]:
        """The rules of these handles in our chain as ``nft -a list chain`` shows them."""
        argv = [self.nft, "-t", "-a", "list", "chain", "inet", self.table, self.chain]
        done = run(argv, netns=self.netns, check=False, what="nft")
        texts: dict[int, str] = {}
        for line in done.stdout.splitlines() if done.returncode == 0 else []:
            matched = re.fullmatch(r"\s*(.*?)\s*# handle (\d+)", line)
            if matched and int(matched.group(2)) in handles:
                texts[int(matched.group(2))] = matched.group(1)
        return [f"{texts.get(handle, 'rule')} (handle {handle})" for handle in handles]

    def _marked(self) -> bool:
        """Does our table carry our comment? nft 1.0.6 says it in its text listing only
        (a line of its own, one tab in, before the sets and chains)."""
        argv = [self.nft, "-t", "list", "table", "inet", self.table]
        done = run(argv, netns=self.netns, check=False, what="nft")
        return done.returncode == 0 and f'\n\tcomment "{TABLE_COMMENT}"\n' in done.stdout

    def _mark(self, replace: bool = False) -> bool:
        """Create our table with our comment (an nft or kernel too old for table
        comments refuses: the JSON batch then creates it without). `replace`: delete
        our table first, in the same transaction. True when done."""
        script = f"add table inet {self.table}\ndelete table inet {self.table}\n" if replace else ""
        script += f'add table inet {self.table} {{ comment "{TABLE_COMMENT}"; }}\n'
        done = run([self.nft, "-f", "-"], netns=self.netns, stdin=script, check=False, what="nft")
        return done.returncode == 0

    def _not_ours(self, foreign: list[str], teardown: bool = False, replace: bool = False) -> str:
        shown = "; ".join(foreign[:6]) + ("; ..." if len(foreign) > 6 else "")
        what = f"nftables: table inet {self.table} holds what mailwarden did not create ({shown})"
        if teardown:
            return f"{what}: left in place (mailwarden deletes only a table of its own)"
        verb = "would have to replace the table" if replace else "would replace it"
        delete = (
            f"nft delete table inet {self.table} if nothing in it is needed (mailwarden "
            "builds it again and restores the bans from its store)"
        )
        if self.table == "mailwarden":
            return (
                f"{what}: mailwarden {verb}; remove those objects, or {delete}; a table of "
                'yours that happens to be called mailwarden: set [enforce] table = "<a new '
                'name>" for mailwarden'
            )
        return (
            f"{what}: mailwarden {verb}; if it is not mailwarden's table, set [enforce] "
            "table to a name of its own (default mailwarden); if it is, remove those "
            f"objects, or {delete}"
        )

    # -- what we send -------------------------------------------------------------

    def batch_for_ban(self, entry: BanEntry, now: datetime | None = None) -> Json:
        """The document `apply([entry], [])` sends to an empty set (for docs and tests)."""
        now = now or datetime.now(UTC)
        version = entry.network.version
        expiry = round(entry.expires.timestamp())
        first = int(entry.network.network_address)
        pieces = flatten([(first, int(entry.network.broadcast_address), expiry)], version)
        return {"nftables": [self._elements("add", version, list(pieces), pieces, now)]}

    def _structure(self) -> list[Json]:
        chain = {
            **self._base(),
            "name": self.chain,
            "type": "filter",
            "hook": "input",
            "prio": self.priority,
            "policy": "accept",
        }
        batch = [self._cmd("add", self._table())]
        for version in (4, 6):
            spec = {**self._set(version)["set"], "type": _SET_TYPES[version]}
            spec["flags"] = ["interval", "timeout"]
            batch.append(self._cmd("add", {"set": spec}))
        batch.append(self._cmd("add", {"chain": chain}))
        batch.append(self._cmd("flush", {"chain": {**self._base(), "name": self.chain}}))
        for version in (4, 6):
            batch.append(self._cmd("add", {"rule": self._rule(version)}))
        return batch

    def _rule(self, version: int) -> Json:
        expr: list[Json] = [
            {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "new"}},
        ]
        if self.ports:
            right: Any = self.ports[0] if len(self.ports) == 1 else {"set": list(self.ports)}
            dport = {"payload": {"protocol": "tcp", "field": "dport"}}
            expr.append({"match": {"op": "==", "left": dport, "right": right}})
        saddr = {"payload": {"protocol": _PAYLOAD[version], "field": "saddr"}}
        expr.append({"match": {"op": "==", "left": saddr, "right": "@" + SET_NAMES[version]}})
        expr.append({"counter": None})
        expr.append({"drop": None})
        return {**self._base(), "chain": self.chain, "expr": expr, "comment": RULE_COMMENT}

    def _elements(
        self,
        verb: str,
        version: int,
        pieces: list[Piece],
        expiries: dict[Piece, int] | None,
        now: datetime,
    ) -> Json:
        elem: list[Any] = []
        for piece in sorted(pieces):
            if expiries is None:
                elem.append(piece.value())
            else:
                timeout = max(1, expiries[piece] - round(now.timestamp()))
                elem.append({"elem": {"val": piece.value(), "timeout": timeout}})
        return self._cmd(verb, {"element": {**self._set(version)["set"], "elem": elem}})

    def _base(self) -> Json:
        return {"family": "inet", "table": self.table}

    def _table(self) -> Json:
        return {"table": {"family": "inet", "name": self.table}}

    def _set(self, version: int) -> Json:
        return {"set": {**self._base(), "name": SET_NAMES[version]}}

    @staticmethod
    def _cmd(verb: str, obj: Json) -> Json:
        return {verb: obj}

    # -- state ----------------------------------------------------------------------

    def _set_desired(self, entries: Iterable[BanEntry]) -> None:
        self._desired = {entry.network: entry for entry in entries}
        self._ending = [_ending(entry) for entry in self._desired.values()]
        heapq.heapify(self._ending)
        self._keys = {4: [], 6: []}
        self._lengths = {4: Counter(), 6: Counter()}
        for network in self._desired:
            self._keys[network.version].append(_key(network))
            self._lengths[network.version][network.prefixlen] += 1
        for keys in self._keys.values():
            keys.sort()

    def _remember(self, entry: BanEntry) -> None:
        network = entry.network
        if network not in self._desired:
            bisect.insort(self._keys[network.version], _key(network))
            self._lengths[network.version][network.prefixlen] += 1
        self._desired[network] = entry
        heapq.heappush(self._ending, _ending(entry))
        if len(self._ending) > 2 * len(self._desired) + 1024:  # mostly skipped entries
            self._ending = [_ending(held) for held in self._desired.values()]
            heapq.heapify(self._ending)

    def _forget(self, network: IPNetwork) -> bool:
        if self._desired.pop(network, None) is None:
            return False
        keys = self._keys[network.version]
        del keys[bisect.bisect_left(keys, _key(network))]
        lengths = self._lengths[network.version]
        lengths[network.prefixlen] -= 1
        if lengths[network.prefixlen] <= 0:
            del lengths[network.prefixlen]
        return True

    def _set_loaded(self, loaded: dict[int, dict[Piece, int]]) -> None:
        self._loaded = {version: dict(loaded.get(version, {})) for version in (4, 6)}
        self._piece_at = {v: {p.first: p for p in self._loaded[v]} for v in (4, 6)}
        self._starts = {version: sorted(self._piece_at[version]) for version in (4, 6)}

    def _load(self, piece: Piece, expiry: int) -> None:
        if piece not in self._loaded[piece.version]:
            bisect.insort(self._starts[piece.version], piece.first)
            self._piece_at[piece.version][piece.first] = piece
        self._loaded[piece.version][piece] = expiry

    def _unload(self, piece: Piece) -> None:
        if self._loaded[piece.version].pop(piece, None) is None:
            return
        starts = self._starts[piece.version]
        del starts[bisect.bisect_left(starts, piece.first)]
        del self._piece_at[piece.version][piece.first]

    def _windows(self, version: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The ranges `apply` works out again for changes to `spans`: each widened to the
        whole of every loaded piece it overlaps (those are deleted and written again),
        then merged where they overlap."""
        starts, piece_at = self._starts[version], self._piece_at[version]
        wide: list[tuple[int, int]] = []
        for first, last in spans:
            index = bisect.bisect_right(starts, first) - 1
            if index >= 0 and piece_at[starts[index]].last >= first:
                first = starts[index]
            index = bisect.bisect_right(starts, last) - 1
            if index >= 0:
                last = max(last, piece_at[starts[index]].last)
            wide.append((first, last))
        merged: list[tuple[int, int]] = []
        for first, last in sorted(wide):
            if merged and first <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged

    def _loaded_in(self, version: int, first: int, last: int) -> dict[Piece, int]:
        """The loaded pieces inside [first, last] (a window never cuts one)."""
        starts, piece_at = self._starts[version], self._piece_at[version]
        low = bisect.bisect_left(starts, first)
        high = bisect.bisect_right(starts, last)
        loaded = self._loaded[version]
        return {piece_at[s]: loaded[piece_at[s]] for s in starts[low:high]}

    def _spans_in(
        self, version: int, first: int, last: int, current: int
    ) -> list[tuple[int, int, int]]:
        """The unexpired desired bans over [first, last], cut to it: those that begin
        inside it, and those that begin before it and cover its first address."""
        found: set[IPNetwork] = set()
        keys = self._keys[version]
        low = bisect.bisect_left(keys, (first, -1))
        high = bisect.bisect_right(keys, (last, 129))
        for start, length in keys[low:high]:
            found.add(_network(version, start, length))
        for length in self._lengths[version]:
            found.add(_network(version, first, length, strict=False))
        spans = []
        for network in found:
            entry = self._desired.get(network)
            if entry is None:
                continue
            expiry = round(entry.expires.timestamp())
            if expiry <= current:
                continue
            low_end, high_end = _span(network)
            if high_end < first or low_end > last:
                continue
            spans.append((max(low_end, first), min(high_end, last), expiry))
        return spans

    def _pieces(self, now: datetime) -> dict[int, dict[Piece, int]]:
        spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        current = round(now.timestamp())
        for entry in self._desired.values():
            expiry = round(entry.expires.timestamp())
            if expiry <= current:
                continue
            net = entry.network
            spans[net.version].append((*_span(net), expiry))
        return {version: flatten(spans[version], version) for version in (4, 6)}

    def _send(self, batch: list[Json]) -> None:
        document = json.dumps({"nftables": batch})
        run([self.nft, "-j", "-f", "-"], netns=self.netns, stdin=document, what="nft")


_VERSIONS = {name: version for version, name in SET_NAMES.items()}

FOREIGN_NAMED = 5
"""How many of the elements of others a `sync` removed its warning names."""

FOREIGN_LOOK_MAX = 10_000
"""`sync` looks for elements of others in our sets (``nft -j list table``, which reads
every element) only while it loaded at most this many pieces: 0.6 s at 10,000 (nft
1.0.6, 2 cores), 6 s at 100,000, at every periodic rewrite, the daemon reading no line
meanwhile."""


def _elem_value(elem: object) -> object:
    """An nft JSON set element's value: ``{"elem": {"val": ..., "timeout": ...}}``
    unwrapped."""
    if isinstance(elem, dict) and isinstance(elem.get("elem"), dict):
        return elem["elem"].get("val")
    return elem


def _elem_span(elem: object, version: int) -> tuple[int, int] | None:
    """The (first, last) addresses of an nft JSON set element (an address, a prefix or
    a range), as integers; None for one of another shape."""
    value = _elem_value(elem)
    try:
        if isinstance(value, str):
            first = last = int(ipaddress.ip_address(value))
        elif isinstance(value, dict) and isinstance(value.get("prefix"), dict):
            prefix = value["prefix"]
            network = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False)
            first, last = int(network.network_address), int(network.broadcast_address)
        elif isinstance(value, dict) and isinstance(value.get("range"), list):
            low, high = value["range"]
            first, last = int(ipaddress.ip_address(low)), int(ipaddress.ip_address(high))
        else:
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return first, last


def _elem_text(elem: object) -> str:
    """An nft JSON set element as a person reads it: ``203.0.113.250``,
    ``198.51.100.0/24``, ``192.0.2.1-192.0.2.9`` (printable ASCII, short)."""
    value = _elem_value(elem)
    if isinstance(value, dict) and isinstance(value.get("prefix"), dict):
        text = f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
    elif isinstance(value, dict) and isinstance(value.get("range"), list):
        text = "-".join(str(part) for part in value["range"])
    else:
        text = str(value)
    return one_line(text)[:64]


def _rank(entry: BanEntry) -> tuple[bool, datetime]:
    """Which bans the table keeps past `MAX_BANS`: the higher, an admin's first, then
    those that end last."""
    return (entry.manual, entry.expires)


def _ending(entry: BanEntry) -> tuple[int, float, int, int, int, IPNetwork]:
    """A ban's item in `NftablesEnforcer._ending`, the lowest `_rank` first (never two
    networks compared)."""
    network = entry.network
    first = int(network.network_address)
    end = entry.expires.timestamp()
    return (int(entry.manual), end, network.version, first, network.prefixlen, network)


def _waiting(entry: BanEntry) -> tuple[int, float, int, int, int, IPNetwork]:
    """A ban's item in `NftablesEnforcer._waiting`, the highest `_rank` first."""
    network = entry.network
    first = -int(network.network_address)
    end = -entry.expires.timestamp()
    return (-int(entry.manual), end, -network.version, first, -network.prefixlen, network)


class _Found:
    """What `_inspect` saw: does the table exist, and what in it is not ours."""

    def __init__(self, exists: bool) -> None:
        self.exists = exists
        self.odd: list[str] = []
        """Objects of our names in another shape."""
        self.fixed: list[str] = []
        """The names of those `ensure` cannot change in place (it replaces the table)."""
        self.rules: list[int] = []
        """The handles of the rules without our comment in our chain."""
        self.rule_texts: list[str] = []
        """Our chain, with how many such rules it holds."""
        self.ours = False
        """Does our chain hold a rule with our comment?"""
        self.others: list[str] = []
        """Objects we never create."""
        self.refused: list[str] = []
        """What makes the table not ours (empty when it is)."""


def _chain_text(chain: Json, rules: int) -> str:
    """``chain input (hook input, policy drop, 2 rules)``"""
    details = []
    if chain.get("hook"):
        details.append(f"hook {chain.get('hook')}")
    if chain.get("policy"):
        details.append(f"policy {chain.get('policy')}")
    if rules:
        details.append(f"{rules} rule{'s' if rules > 1 else ''}")
    inside = f" ({', '.join(details)})" if details else ""
    return f"chain {chain.get('name')}{inside}"


def _span(network: IPNetwork) -> tuple[int, int]:
    """First and last address as integers (`broadcast_address` is ten times slower:
    it counts with 100,000 bans)."""
    first = int(network.network_address)
    return first, first | ((1 << (network.max_prefixlen - network.prefixlen)) - 1)


def _key(network: IPNetwork) -> tuple[int, int]:
    return int(network.network_address), network.prefixlen


def _network(version: int, first: int, length: int, *, strict: bool = True) -> IPNetwork:
    """The network of `length` bits that begins at (or, not strict, holds) `first`."""
    if version == 4:
        return ipaddress.IPv4Network((first, length), strict=strict)
    return ipaddress.IPv6Network((first, length), strict=strict)


def _first(piece: Piece) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A piece's first address (an interval set finds the piece from any address in it)."""
    if piece.version == 4:
        return ipaddress.IPv4Address(piece.first)
    return ipaddress.IPv6Address(piece.first)


def _set_reference(rule: Json) -> str | None:
    for expr in rule.get("expr", []):
        match = expr.get("match") if isinstance(expr, dict) else None
        if isinstance(match, dict) and isinstance(match.get("right"), str):
            right: str = match["right"]
            if right.startswith("@"):
                return right
    return None
