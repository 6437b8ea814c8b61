"""The ipset + iptables fallback, run for real inside network namespaces."""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from nslab import CLIENT_V4, CLIENT_V6, SERVER_V4, SERVER_V6, Lab, in_ns, need

from mailwarden.enforce.interface import BanEntry
from mailwarden.enforce.ipset import MAX_TIMEOUT, IpsetEnforcer

net = ipaddress.ip_network


@pytest.fixture(autouse=True)
def _tools() -> Iterator[None]:
    need("ipset", "iptables", "ip6tables", "iptables-restore")
    yield


@pytest.fixture(params=["nft", "legacy"])
def tools(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Debian's default iptables-nft, and iptables-legacy: both must work."""
    if request.param == "nft":
        return "iptables", "ip6tables"
    need("iptables-legacy", "ip6tables-legacy", "iptables-legacy-restore")
    return "iptables-legacy", "ip6tables-legacy"


def entry(network: str, seconds: float) -> BanEntry:
    return BanEntry(net(network), datetime.now(UTC) + timedelta(seconds=seconds), "test")


def members(ns: str, name: str) -> dict[str, int]:
    out = in_ns(ns, "ipset", "list", name)
    found = {}
    for line in out.split("Members:\n", 1)[1].splitlines():
        m = re.match(r"^(\S+) timeout (\d+)", line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


def near(value: int, expected: int, slack: int = 5) -> bool:
    return expected - slack <= value <= expected + slack


def test_ensure_is_idempotent_and_builds_one_jump(netns: str, tools: tuple[str, str]) -> None:
    enforcer = IpsetEnforcer(ports=[25, 587], netns=netns, iptables=tools[0], ip6tables=tools[1])
    assert not enforcer.present()
    enforcer.ensure()
    enforcer.ensure()
    assert enforcer.present()
    for tool in tools:
        rules = in_ns(netns, tool, "-S")
        assert rules.count("-A INPUT -j MAILWARDEN") == 1
        assert rules.count("-A MAILWARDEN ") == 1
        assert "--dports 25,587" in rules and "--ctstate NEW" in rules
    assert "mailwarden6" in in_ns(netns, tools[1], "-S", "MAILWARDEN")


def test_many_ports_split_into_rules_of_fifteen(netns: str) -> None:
    enforcer = IpsetEnforcer(ports=list(range(1000, 1020)), netns=netns)
    enforcer.ensure()
    assert in_ns(netns, "iptables", "-S", "MAILWARDEN").count("-A MAILWARDEN") == 2
    assert enforcer.present()


def test_foreign_rules_and_sets_are_untouched(netns: str) -> None:
    in_ns(netns, "ipset", "create", "theirs", "hash:ip")
    in_ns(netns, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
    before = in_ns(netns, "iptables", "-S"), in_ns(netns, "ipset", "list", "theirs")
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 60)])
    enforcer.teardown()
    assert not enforcer.present()
    after = in_ns(netns, "iptables", "-S"), in_ns(netns, "ipset", "list", "theirs")
    assert after == before
    assert in_ns(netns, "ipset", "list", "-n").split() == ["theirs"]


def test_apply_sync_and_refresh(netns: str) -> None:
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.0/24", 600), entry("2001:db8::/32", 600)])
    enforcer.apply([entry("192.0.2.7/32", 86400), entry("192.0.2.0/24", 1200)], [])
    v4 = members(netns, "mailwarden4")
    assert near(v4["192.0.2.7"], 86400) and near(v4["192.0.2.0/24"], 1200)
    assert set(members(netns, "mailwarden6")) == {"2001:db8::/32"}
    enforcer.apply([], [net("192.0.2.0/24"), net("203.0.113.1/32")])  # absent: fine
    assert set(members(netns, "mailwarden4")) == {"192.0.2.7"}
    enforcer.sync([entry("198.51.100.0/24", 60), entry("192.0.2.1/32", -1)])
    assert set(members(netns, "mailwarden4")) == {"198.51.100.0/24"}
    assert members(netns, "mailwarden6") == {}


def test_long_bans_are_capped_at_ipsets_limit(netns: str) -> None:
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.apply([entry("192.0.2.7/32", 90 * 86400)], [])
    assert near(members(netns, "mailwarden4")["192.0.2.7"], MAX_TIMEOUT)


def test_damage_is_noticed_and_repaired(netns: str) -> None:
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "iptables", "-D", "INPUT", "-j", "MAILWARDEN")
    assert not enforcer.present()
    enforcer.ensure()
    assert enforcer.present()
    in_ns(netns, "ip6tables", "-F", "MAILWARDEN")
    assert not enforcer.present()
    enforcer.ensure()
    assert enforcer.present()
    # A set of ours with the wrong type is rebuilt.
    enforcer.teardown()
    in_ns(netns, "ipset", "create", "mailwarden4", "hash:ip")
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.0/24", 60)])
    assert enforcer.present() and set(members(netns, "mailwarden4")) == {"192.0.2.0/24"}


def test_ban_drops_packets_and_expires(lab: Lab, tools: tuple[str, str]) -> None:
    lab.listen([587, 2525])
    assert lab.wait_connect(SERVER_V4, 587) and lab.wait_connect(SERVER_V6, 587)
    enforcer = IpsetEnforcer(ports=[587], netns=lab.server, iptables=tools[0], ip6tables=tools[1])
    enforcer.ensure()
    enforcer.sync([])
    enforcer.apply([entry(CLIENT_V4 + "/32", 600), entry("2001:db8::/64", 600)], [])
    assert not lab.can_connect(SERVER_V4, 587) and not lab.can_connect(SERVER_V6, 587)
    assert lab.can_connect(SERVER_V4, 2525)
    enforcer.apply([], [net(CLIENT_V4 + "/32"), net("2001:db8::/64")])
    assert lab.can_connect(SERVER_V4, 587) and lab.can_connect(SERVER_V6, 587)
    enforcer.apply([entry(CLIENT_V6 + "/128", 2)], [])
    assert not lab.can_connect(SERVER_V6, 587)
    time.sleep(2.5)
    assert lab.can_connect(SERVER_V6, 587)
    enforcer.teardown()


def test_a_set_emptied_by_hand_is_noticed_by_the_quick_look_and_the_full_check(
    netns: str,
) -> None:
    """`ipset flush` (or deleting entries) left the sets, the chain and the jump in
    place, so neither check saw it and every ban was lifted until the next rewrite."""
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    bans = [entry("192.0.2.0/24", 600), entry("192.0.2.7/32", 600), entry("2001:db8::/32", 600)]
    enforcer.sync([*bans, entry("192.0.2.7/32", 600)])  # nested and repeated: fine
    assert not enforcer.gone() and enforcer.present()

    in_ns(netns, "ipset", "flush", "mailwarden4")
    assert enforcer.gone() and not enforcer.present()
    enforcer.ensure()
    enforcer.sync(bans)
    assert not enforcer.gone() and enforcer.present()

    in_ns(netns, "ipset", "del", "mailwarden4", "192.0.2.7")  # one of ours, by hand
    assert enforcer.gone() and not enforcer.present()
    enforcer.sync(bans)
    in_ns(netns, "ipset", "flush", "mailwarden6")
    assert enforcer.gone() and not enforcer.present()
    enforcer.sync(bans)
    assert not enforcer.gone()

    # Destroyed and created again, empty (the rules must let go of it first).
    in_ns(netns, "iptables", "-F", "MAILWARDEN")
    in_ns(netns, "ipset", "destroy", "mailwarden4")
    in_ns(netns, "ipset", "create", "mailwarden4", "hash:net", "timeout", "600")
    assert enforcer.gone() and not enforcer.present()
    enforcer.ensure()
    enforcer.sync(bans)
    assert not enforcer.gone() and enforcer.present()
    assert set(members(netns, "mailwarden4")) == {"192.0.2.0/24", "192.0.2.7"}


def test_the_quick_look_notices_a_missing_set_or_jump(netns: str, tools: tuple[str, str]) -> None:
    enforcer = IpsetEnforcer(netns=netns, iptables=tools[0], ip6tables=tools[1])
    assert enforcer.gone()  # nothing there yet
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    assert not enforcer.gone()
    in_ns(netns, tools[1], "-D", "INPUT", "-j", "MAILWARDEN")
    assert enforcer.gone()
    enforcer.ensure()
    assert not enforcer.gone()
    in_ns(netns, tools[0], "-F", "MAILWARDEN")  # rules gone: the full check sees it
    in_ns(netns, tools[0], "-D", "INPUT", "-j", "MAILWARDEN")
    in_ns(netns, tools[0], "-X", "MAILWARDEN")
    assert enforcer.gone()
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    assert not enforcer.gone()
    enforcer.teardown()
    assert enforcer.gone() and not enforcer.present()


def test_bans_ending_unbans_and_entries_added_by_hand_are_not_damage(netns: str) -> None:
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    enforcer.apply([entry("198.51.100.1/32", 2), entry("2001:db8::1/128", 2)], [])
    enforcer.apply([entry("198.51.100.2/32", 600)], [])
    enforcer.apply([entry("198.51.100.2/32", 1200)], [])  # a refresh is no new entry
    assert not enforcer.gone() and enforcer.present()
    deadline = time.monotonic() + 10
    while "198.51.100.1" in members(netns, "mailwarden4") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "198.51.100.1" not in members(netns, "mailwarden4")  # dropped by the kernel
    assert members(netns, "mailwarden6") == {}
    assert not enforcer.gone() and enforcer.present()
    enforcer.apply([], [net("198.51.100.2/32")])
    assert not enforcer.gone() and enforcer.present()
    in_ns(netns, "ipset", "add", "mailwarden4", "203.0.113.9")  # more than ours: fine
    assert not enforcer.gone() and enforcer.present()


def test_an_entry_deleted_while_another_was_added_is_noticed(netns: str) -> None:
    """The count stays the same: the random look-up (here the only ban) notices it."""
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "ipset", "del", "mailwarden4", "192.0.2.7")
    in_ns(netns, "ipset", "add", "mailwarden4", "203.0.113.9")
    assert enforcer.gone() and not enforcer.present()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    assert not enforcer.gone() and enforcer.present()
