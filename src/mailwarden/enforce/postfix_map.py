"""postfix-map backend: a CIDR access table that Postfix itself enforces.

For hosts where the firewall is not ours to change. Postfix reads the table with::

    smtpd_client_restrictions = check_client_access cidr:/var/lib/mailwarden/access.cidr
    # or, for postscreen (style="postscreen"):
    postscreen_access_list = permit_mynetworks, cidr:/var/lib/mailwarden/postscreen.cidr

Each line is ``192.0.2.7/32  REJECT mailwarden: banned until 2030-01-01 00:00 UTC``
(postscreen takes only ``reject``). The text is fixed: the ban's reason is never
written, since it may quote what a client sent. The file is replaced atomically
(temporary file, fsync, rename), and then the reload command runs,
because Postfix reads a cidr table only when a process starts.

A reload restarts every Postfix daemon, so reloads are coalesced: at most one every
`RELOAD_EVERY` seconds. A change within that time waits, and is written with its reload
(the table holds 100,000 bans in 7 MB: written for each ban of a burst, that was most
of the daemon's time); the daemon calls `flush` at every tick, which writes the waiting
changes and runs the reload as soon as it is due, and ``flush(force=True)`` when it
stops, so no ban is left unwritten or without a reload. (A daemon killed with a change
waiting has it in the store: its next start rewrites the table and reloads, `sync`.)
`ensure`, `sync` and `teardown` write at once, and never over a file mailwarden did not
write (`written_by_us`, `NotOursError`): name a new file, or empty that one. The lines
are kept sorted between changes (a change is a bisect, not a sort and a render of every
ban). A failed write or reload is raised by the call that ran it and stays waiting, tried again
`RELOAD_EVERY` seconds later. `teardown` always reloads at once. Postfix has no expiry
of its own: an expired ban stays until the next write leaves it out (the daemon applies
the store's expiries). `teardown` leaves an empty table rather than no table:
Postfix defers every client while a table it names is missing.
"""

from __future__ import annotations

import heapq
import os
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from mailwarden.enforce._run import run
from mailwarden.enforce.interface import (
    BanEntry,
    EnforceError,
    Enforcer,
    NotOursError,
    network_text,
)
from mailwarden.model import IPNetwork

HEADER = "# mailwarden: generated access table; every change rewrites this file.\n"
DEFAULT_RELOAD = ("postfix", "reload")
RELOAD_EVERY = 5.0
"""Seconds between two reloads at least (changes in between are coalesced)."""

_Key = tuple[int, int, int]
"""Where a network's line goes in the table: (IP version, first address, prefix
length), the order of ``sorted(networks)``, IPv4 first."""


def written_by_us(path: str | os.PathLike[str]) -> bool | None:
    """Whose the file at ``path`` is: True when its first line is mailwarden's header,
    False when it holds anything else (another's table, which mailwarden never
    overwrites nor empties), None when it is missing or empty (nothing to lose).
    `EnforceError` when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(len(HEADER) + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EnforceError(f"postfix-map: cannot read {path}: {exc.strerror or exc}") from exc
    if not first:
        return None
    return first == HEADER.encode("ascii")


def _key(network: IPNetwork) -> _Key:
    return (network.version, int(network.network_address), network.prefixlen)


class PostfixMapEnforcer(Enforcer):
    name = "postfix-map"

    def __init__(
        self,
        path: str | os.PathLike[str],
        reload_command: Sequence[str] | None = DEFAULT_RELOAD,
        style: Literal["smtpd", "postscreen"] = "smtpd",
        reload_every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if style not in ("smtpd", "postscreen"):
            raise EnforceError(f"postfix-map: unknown style {style!r}")
        self.path = Path(path)
        self.reload_command = list(reload_command) if reload_command else None
        self.style = style
        self.reload_every = RELOAD_EVERY if reload_every is None else reload_every
        self._clock = clock
        self._entries: dict[IPNetwork, BanEntry] = {}
        self._order: list[_Key] = []
        """The keys of `_entries`, sorted: the table's order."""
        self._lines: list[str] = []
        """The table's line of each, in that order (kept sorted between changes, so a
        change costs a bisect, not a sort and a render of every ban)."""
        self._ending: list[tuple[datetime, _Key, IPNetwork]] = []
        """A heap of when each entry ends (stale items skipped): the ended ones are
        left out of the next write."""
        self._reloaded: float | None = None
        """When the last reload ran (or it or the write before it failed), by `clock`;
        None: never."""
        self.reload_waiting = False
        """The table changed since the last successful reload."""
        self._unwritten = False
        """A change waits to be written with the next reload (`apply` within
        `reload_every` of the last reload)."""

    def check(self) -> None:
        """`NotOursError` when the file is not one mailwarden wrote (`written_by_us`):
        `ensure` would replace it whole (a typo naming ``/tmp/admin.cidr``, the admin's
        own table)."""
        if written_by_us(self.path) is False:
            raise NotOursError(
                f"postfix-map: {self.path} was not written by mailwarden (its first line "
                "is not mailwarden's) and would be overwritten: set postfix_map to "
                "another path, or empty this file"
            )

    def ensure(self) -> None:
        self.check()
        if not self.present():
            self._write()

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        for network in remove:
            self._drop(network)
        for entry in add:
            self._put(entry)
        self._unwritten = True  # written now when the reload is due, else with it
        self.reload_waiting = True
        self.flush()

    def sync(self, active: Sequence[BanEntry]) -> None:
        self.check()  # rewritten whole: never over another's file put there meanwhile
        self._entries = {entry.network: entry for entry in active}
        ordered = sorted((_key(network), entry) for network, entry in self._entries.items())
        self._order = [key for key, _ in ordered]
        self._lines = [self._line(entry) for _, entry in ordered]
        self._ending = [(entry.expires, key, entry.network) for key, entry in ordered]
        heapq.heapify(self._ending)
        self._write()

    def _put(self, entry: BanEntry) -> None:
        network = entry.network
        key = _key(network)
        at = bisect_left(self._order, key)
        if network in self._entries:
            self._lines[at] = self._line(entry)
        else:
            self._order.insert(at, key)
            self._lines.insert(at, self._line(entry))
        self._entries[network] = entry
        heapq.heappush(self._ending, (entry.expires, key, network))

    def _drop(self, network: IPNetwork) -> None:
        if self._entries.pop(network, None) is None:
            return
        at = bisect_left(self._order, _key(network))
        del self._order[at]
        del self._lines[at]

    def _drop_ended(self, now: datetime) -> None:
        """Forget the entries that ended by ``now`` (an ended ban is never written)."""
        ending = self._ending
        while ending and ending[0][0] <= now:
            expires, _, network = heapq.heappop(ending)
            entry = self._entries.get(network)
            if entry is not None and entry.expires == expires:
                self._drop(network)
        if len(ending) > 2 * len(self._entries) + 1024:  # refreshed bans' stale items
            self._ending = [(e.expires, _key(n), n) for n, e in self._entries.items()]
            heapq.heapify(self._ending)

    def _line(self, entry: BanEntry) -> str:
        if self.style == "postscreen":
            action = "reject"
        else:
            until = entry.expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            action = f"REJECT mailwarden: banned until {until}"
        return f"{network_text(entry.network)}\t{action}\n"

    def present(self) -> bool:
        try:
            with self.path.open(encoding="ascii") as handle:
                return handle.readline() == HEADER
        except (OSError, UnicodeDecodeError):
            return False

    def teardown(self) -> None:
        """Empty our table and reload at once. A file of that name that mailwarden did not
        write (its first line is not our header) is left as it is (`NotOursError`); a
        missing or empty one stays so (there is nothing to lift)."""
        self._forget()
        ours = written_by_us(self.path)
        if ours is None:
            return
        if not ours:
            raise NotOursError(
                f"postfix-map: {self.path} was not written by mailwarden (its first line "
                "is not mailwarden's): left in place"
            )
        self._write()
        self.flush(force=True)

    def _forget(self) -> None:
        self._entries.clear()
        self._order.clear()
        self._lines.clear()
        self._ending.clear()

    def flush(self, *, force: bool = False) -> None:
        """Write the waiting changes and run the waiting reload when it is due (now,
        with `force`)."""
        if not self.reload_waiting:
            return
        now = self._clock()
        if not force and self._reloaded is not None and now - self._reloaded < self.reload_every:
            return
        if self.reload_command:
            self._reloaded = now  # a failed write or reload is tried again that much later
        if self._unwritten:
            self._write_now()  # a failure raises: the change and its reload stay waiting
        if not self.reload_command:
            self.reload_waiting = False
            return
        run(self.reload_command, what=" ".join(self.reload_command[:2]))
        self.reload_waiting = False

    def render(self, now: datetime | None = None) -> str:
        """The table's text: only addresses and fixed words, nothing a client chose.
        The entries ended by ``now`` are forgotten first."""
        self._drop_ended(now or datetime.now(UTC))
        return HEADER + "".join(self._lines)

    def _write(self) -> None:
        """Write the table now (`ensure`, `sync`, `teardown`), and reload when due."""
        self._write_now()
        self.reload_waiting = True
        self.flush()

    def _write_now(self) -> None:
        text = self.render()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".mailwarden-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                # Postfix daemons read the table (some after dropping privileges);
                # it holds only addresses.
                os.chmod(temp, 0o644)
                os.replace(temp, self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise EnforceError(f"postfix-map: cannot write {self.path}: {exc}") from exc
        self._unwritten = False
