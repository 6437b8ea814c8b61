"""When each ban reached the firewall, as a test of the daemon sees it (tests/ is on the
import path through tests/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from mailwarden.daemon.loop import Daemon
from mailwarden.enforce import BanEntry
from mailwarden.model import IPNetwork


def firewall_times(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The time (``time.monotonic``) each network first went to ``daemon``'s enforcer,
    by its text; filled as the daemon applies its bans (it still applies them)."""
    times: dict[str, float] = {}
    apply = daemon.enforcer.apply

    def timed(add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        for entry in add:
            times.setdefault(str(entry.network), time.monotonic())
        apply(add, remove)

    monkeypatch.setattr(daemon.enforcer, "apply", timed)
    return times
