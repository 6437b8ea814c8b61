"""Dry run logs one line per decision and touches nothing; the factory picks backends."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailwarden.enforce import BACKENDS, EnforceError, create_enforcer
from mailwarden.enforce.dryrun import DryRunEnforcer
from mailwarden.enforce.interface import BanEntry, as_network, changes
from mailwarden.enforce.ipset import IpsetEnforcer
from mailwarden.enforce.nftables import NftablesEnforcer
from mailwarden.enforce.postfix_map import PostfixMapEnforcer

net = ipaddress.ip_network
UNTIL = datetime(2030, 1, 1, 1, 0, tzinfo=UTC)


def test_each_decision_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden.enforce")
    enforcer = DryRunEnforcer()
    enforcer.ensure()
    hostile = "guessing for user 'root\nwould unban 10.0.0.1\x1b[2J'"
    enforcer.apply([BanEntry(net("192.0.2.7/32"), UNTIL, hostile)], [net("198.51.100.0/24")])
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "dry run: no firewall changes will be made"
    assert lines[1] == "would unban 198.51.100.0/24"
    assert lines[2].startswith("would ban 192.0.2.7/32 until 2030-01-01T01:00:00Z: ")
    assert "\n" not in lines[2] and "\x1b" not in lines[2] and "\\x0a" in lines[2]
    assert len(lines) == 3
    assert enforcer.present()
    enforcer.teardown()


def test_the_first_sync_says_the_stored_bans_as_restored_not_as_new(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden.enforce")
    DryRunEnforcer().sync([BanEntry(net("2001:db8::/32"), UNTIL, "spray")])
    assert [r.getMessage() for r in caplog.records] == [
        "dry run: restoring 1 active ban(s) from the store",
        "would keep 2001:db8::/32 until 2030-01-01T01:00:00Z: spray",
    ]


def test_a_later_sync_says_only_what_it_changes(caplog: pytest.LogCaptureFixture) -> None:
    """The daemon rewrites the firewall every five minutes: a dry run said every ban
    again each time, as if new."""
    enforcer = DryRunEnforcer()
    kept = BanEntry(net("192.0.2.1/32"), UNTIL, "a")
    gone = BanEntry(net("192.0.2.2/32"), UNTIL, "b")
    enforcer.sync([kept, gone])
    caplog.set_level(logging.INFO, logger="mailwarden.enforce")
    enforcer.sync([kept, gone])
    assert caplog.records == []
    enforcer.sync([kept, BanEntry(net("2001:db8::/32"), UNTIL, "c")])
    assert [r.getMessage() for r in caplog.records] == [
        "would unban 192.0.2.2/32",
        "would ban 2001:db8::/32 until 2030-01-01T01:00:00Z: c",
    ]


def test_bans_said_by_the_caller_are_not_said_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden.enforce")
    enforcer = DryRunEnforcer(bans_said=True)
    enforcer.sync([])
    enforcer.apply([BanEntry(net("192.0.2.7/32"), UNTIL, "x")], [net("198.51.100.0/24")])
    assert [r.getMessage() for r in caplog.records] == [
        "dry run: no active ban in the store",
        "would unban 198.51.100.0/24",
    ]


def test_factory_builds_every_backend(tmp_path: Path) -> None:
    kinds = {
        "nftables": NftablesEnforcer,
        "ipset": IpsetEnforcer,
        "postfix-map": PostfixMapEnforcer,
        "none": DryRunEnforcer,
    }
    assert set(kinds) == set(BACKENDS)
    for name, kind in kinds.items():
        enforcer = create_enforcer(name, ports=[587], postfix_map=tmp_path / "a.cidr")
        assert isinstance(enforcer, kind) and enforcer.name == name
    with pytest.raises(EnforceError, match="unknown enforcement backend"):
        create_enforcer("iptables-shell")


def test_ban_entries_must_be_aware_and_networks() -> None:
    with pytest.raises(ValueError, match="aware"):
        BanEntry(net("192.0.2.7/32"), datetime(2030, 1, 1), "x")
    with pytest.raises(TypeError):
        BanEntry("192.0.2.7", UNTIL, "x")  # type: ignore[arg-type]


def test_changes_between_what_was_applied_and_the_store() -> None:
    kept = BanEntry(net("192.0.2.1/32"), UNTIL, "a")
    gone = BanEntry(net("192.0.2.2/32"), UNTIL, "b")
    longer = BanEntry(net("192.0.2.3/32"), UNTIL, "c")
    new = BanEntry(net("2001:db8::/32"), UNTIL, "d")
    applied = [kept, gone, longer]
    active = [kept, BanEntry(longer.network, UNTIL + timedelta(hours=1), "c"), new]
    add, remove = changes(applied, active)
    assert add == active[1:] and remove == [gone.network]
    assert changes(active, active) == ([], [])


def test_as_network_accepts_addresses_and_refuses_host_bits() -> None:
    assert as_network("192.0.2.7") == net("192.0.2.7/32")
    assert as_network("2001:db8::/32") == net("2001:db8::/32")
    with pytest.raises(ValueError):
        as_network("192.0.2.7/24")
