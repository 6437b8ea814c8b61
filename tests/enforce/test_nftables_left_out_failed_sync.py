"""A full-table `sync` whose batch fails leaves its new left-out bans for the next one
that works: said and given to the daemon then (they were taken as known and never
reported: the clients the daemon skipped inside them stayed spared). Run for real
inside a network namespace of its own (never the host's)."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta

import pytest
from nslab import in_ns

from mailwarden.enforce.interface import BanEntry, EnforceError
from mailwarden.enforce.nftables import NftablesEnforcer


def entry(address: str, seconds: float) -> BanEntry:
    return BanEntry(
        ipaddress.ip_network(address), datetime.now(UTC) + timedelta(seconds=seconds), "test"
    )


def test_bans_left_out_by_a_failed_sync_are_reported_by_the_next_good_one(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden")
    enforcer = NftablesEnforcer(netns=netns, max_bans=2)
    enforcer.ensure()
    bans = [entry("192.0.2.1/32", 7200), entry("192.0.2.2/32", 7200)]
    enforcer.sync(bans)
    wider = entry("203.0.113.0/24", 600)  # ends first: left out
    # The table is gone (deleted by hand): the sync's batch is refused.
    in_ns(netns, "nft", "delete", "table", "inet", "mailwarden")
    with pytest.raises(EnforceError):
        enforcer.sync([*bans, wider])
    caplog.clear()
    enforcer.ensure()
    enforcer.sync([*bans, wider])  # the repair works
    assert not enforcer.enforces(wider.network)
    assert enforcer.take_left_out() == [wider.network]
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("1 more ban(s) left out" in text for text in said), said
    # Said once: a later sync that leaves it out again is nothing new.
    enforcer.sync([*bans, wider])
    assert enforcer.take_left_out() == []
