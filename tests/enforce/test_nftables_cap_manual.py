"""Past ``[enforce] max_bans`` an admin's ban (``mailwarden ban``) is never the one left
out: an automatic ban goes instead; each ban left out is warned about (once a minute at
most, with a count), and lifting bans puts those left out back at once. Run for real
inside a network namespace of its own (never the host's)."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta

import pytest
from nslab import set_elements

from mailwarden.enforce import nftables
from mailwarden.enforce.interface import BanEntry
from mailwarden.enforce.nftables import NftablesEnforcer


def entry(address: str, seconds: float, manual: bool = False) -> BanEntry:
    until = datetime.now(UTC) + timedelta(seconds=seconds)
    return BanEntry(ipaddress.ip_network(address), until, "test", manual)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_admins_ban_takes_the_place_of_an_automatic_one_and_lifting_refills(
    netns: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden")
    enforcer = NftablesEnforcer(netns=netns, max_bans=3)
    enforcer.ensure()
    enforcer.sync([entry(f"192.0.2.{n}/32", 3600 + 60 * n) for n in range(1, 4)])
    assert set(set_elements(netns, "v4")) == {"192.0.2.1", "192.0.2.2", "192.0.2.3"}

    # an admin's 5-minute ban ends first of all, yet goes in: an automatic one goes out
    enforcer.apply([entry("198.51.100.7/32", 300, manual=True)], [])
    assert set(set_elements(netns, "v4")) == {"192.0.2.2", "192.0.2.3", "198.51.100.7"}
    [said] = warnings(caplog)
    assert "holds at most 3 bans (enforce.max_bans): 1 more ban(s) left out" in said

    # each later one left out is warned about too (here with no minute between)
    monkeypatch.setattr(nftables, "WARN_EVERY", 0.0)
    enforcer.apply([entry("198.51.100.8/32", 60)], [])
    assert "198.51.100.8" not in set(set_elements(netns, "v4"))
    assert len(warnings(caplog)) == 2 and "2 left out now" in warnings(caplog)[1]

    # lifting bans puts those left out back at once, the one that ends last first
    enforcer.apply([], [ipaddress.ip_network("192.0.2.3/32")])
    assert set(set_elements(netns, "v4")) == {"192.0.2.1", "192.0.2.2", "198.51.100.7"}
    enforcer.apply([], [ipaddress.ip_network("192.0.2.2/32")])
    assert set(set_elements(netns, "v4")) == {"192.0.2.1", "198.51.100.7", "198.51.100.8"}
    assert any("holds every ban again" in r.getMessage() for r in caplog.records)


def test_a_rewrite_past_max_bans_keeps_the_admins_bans(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns, max_bans=3)
    enforcer.ensure()
    automatic = [entry(f"192.0.2.{n}/32", 7200) for n in (1, 3, 5)]
    manual = [entry(f"198.51.100.{n}/32", 300, manual=True) for n in (10, 20)]
    enforcer.sync([*automatic, *manual])
    held = set(set_elements(netns, "v4"))
    assert {"198.51.100.10", "198.51.100.20"} <= held and len(held) == 3, held

    # a new automatic ban that ends later than them all still does not push one out
    enforcer.apply([entry("203.0.113.5/32", 86400)], [])
    held = set(set_elements(netns, "v4"))
    assert {"198.51.100.10", "198.51.100.20"} <= held and len(held) == 3, held
