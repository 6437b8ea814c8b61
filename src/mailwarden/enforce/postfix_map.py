"""postfix-map backend: a CIDR access table that Postfix itself enforces.

For hosts where the firewall is not ours to change. Postfix reads the table with::

    smtpd_client_restrictions = check_client_access cidr:/var/lib/mailwarden/access.cidr
    # or, for postscreen (style="postscreen"):
    postscreen_access_list = permit_mynetworks, cidr:/var/lib/mailwarden/postscreen.cidr

Each line is ``192.0.2.7/32  REJECT mailwarden: banned until 2030-01-01 00:00 UTC``
(postscreen takes only ``reject``). The text is fixed: the ban's reason is never
written, since it may quote what a client sent. The file is replaced atomically
(temporary file, fsync, rename) at every change, and then the reload command runs,
because Postfix reads a cidr table only when a process starts.

A reload restarts every Postfix daemon, so reloads are coalesced: at most one every
`RELOAD_EVERY` seconds. A change within that time is written to the file at once (new
smtpd processes read it) and its reload waits; the daemon calls `flush` at every tick,
which runs the waiting reload as soon as it is due, and ``flush(force=True)`` when it
stops, so no written ban is left without a reload. (A daemon killed with a reload
waiting rewrites the table and reloads at its next start: `sync`.) A failed reload is
raised by the call that ran it and stays waiting, tried again `RELOAD_EVERY` seconds
later. `teardown` always reloads at once. Postfix has no expiry of its own: an expired
ban stays until the next `apply` or `sync` rewrites the file (the daemon calls them
when the store expires bans). `teardown` leaves an empty table rather than no table:
Postfix defers every client while a table it names is missing.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from mailwarden.enforce._run import run
from mailwarden.enforce.interface import BanEntry, EnforceError, Enforcer, network_text
from mailwarden.model import IPNetwork

HEADER = "# mailwarden: generated access table; every change rewrites this file.\n"
DEFAULT_RELOAD = ("postfix", "reload")
RELOAD_EVERY = 5.0
"""Seconds between two reloads at least (changes in between are coalesced)."""


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
        self._reloaded: float | None = None
        """When the last reload ran (or failed), by `clock`; None: never."""
        self.reload_waiting = False
        """The table was written since the last successful reload."""

    def ensure(self) -> None:
        if not self.present():
            self._write()

    def apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        for network in remove:
            self._entries.pop(network, None)
        for entry in add:
            self._entries[entry.network] = entry
        self._write()

    def sync(self, active: Sequence[BanEntry]) -> None:
        self._entries = {entry.network: entry for entry in active}
        self._write()

    def present(self) -> bool:
        try:
            with self.path.open(encoding="ascii") as handle:
                return handle.readline() == HEADER
        except (OSError, UnicodeDecodeError):
            return False

    def teardown(self) -> None:
        self._entries.clear()
        self._write()
        self.flush(force=True)

    def flush(self, *, force: bool = False) -> None:
        """Run the waiting reload when it is due (now, with `force`)."""
        if not self.reload_waiting:
            return
        if not self.reload_command:
            self.reload_waiting = False
            return
        now = self._clock()
        if not force and self._reloaded is not None and now - self._reloaded < self.reload_every:
            return
        self._reloaded = now
        run(self.reload_command, what=" ".join(self.reload_command[:2]))
        self.reload_waiting = False

    def render(self, now: datetime | None = None) -> str:
        """The table's text: only addresses and fixed words, nothing a client chose."""
        now = now or datetime.now(UTC)
        lines = [HEADER]
        live = [e for e in self._entries.values() if e.expires > now]
        for entry in sorted(live, key=lambda e: (e.network.version, e.network)):
            if self.style == "postscreen":
                action = "reject"
            else:
                until = entry.expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                action = f"REJECT mailwarden: banned until {until}"
            lines.append(f"{network_text(entry.network)}\t{action}\n")
        return "".join(lines)

    def _write(self) -> None:
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
        self.reload_waiting = True
        self.flush()
