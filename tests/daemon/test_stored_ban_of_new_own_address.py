"""A running daemon never applies another host's ban of an address this host got a
moment ago (a failover address moved here, a new IPv6 address): it reads its addresses
again, at most once a second, before it applies a ban that came from the store, as it
does before a ban of its own."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import OTHER, OWN, Warden

from mailwarden.daemon import loop as loop_module
from mailwarden.enforce import BanEntry
from mailwarden.model import IPNetwork
from mailwarden.store import open_store

MOVED_HERE = "198.51.100.10"


def test_another_hosts_ban_of_an_address_we_just_got_is_not_applied(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = list(OWN)
    daemon = warden.start(own=own)
    into_firewall: list[str] = []
    apply = daemon.enforcer.apply

    def seen(add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        into_firewall.extend(str(entry.network) for entry in add)
        apply(add, remove)

    monkeypatch.setattr(daemon.enforcer, "apply", seen)
    time.sleep(loop_module.OWN_FRESH + 0.1)  # the start's reading is a second old

    own.append(ipaddress.ip_network(f"{MOVED_HERE}/32"))  # moved to this host just now
    ends = datetime.now(UTC) + timedelta(hours=1)
    with open_store(daemon.config.store.path) as other_host:
        for address in (MOVED_HERE, OTHER):
            other_host.record_ban(
                BanEntry(ipaddress.ip_network(address), ends, "by mx2"), "{}", "manual"
            )
    daemon.step()

    assert into_firewall == [f"{OTHER}/32"]
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith(f"stored ban of {MOVED_HERE}/32 not enforced here: ") for m in messages)
