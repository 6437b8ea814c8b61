"""The ipset + iptables fallback, run for real inside network namespaces."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from nslab import CLIENT_V4, CLIENT_V6, SERVER_V4, SERVER_V6, Lab, in_ns, need

from mailwarden.enforce import ipset as ipset_module
from mailwarden.enforce.interface import BanEntry, EnforceError, NotOursError
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
    # A set of our name that we did not make (another type) is not ours: refused below.


@pytest.mark.parametrize(
    "theirs",
    [
        [["ipset", "create", "mailwarden4", "hash:ip"]],
        [
            ["ipset", "create", "mailwarden6", "hash:net", "family", "inet6"],
            ["ipset", "add", "mailwarden6", "2001:db8:5::/48"],
        ],
        [
            ["iptables", "-N", "MAILWARDEN"],
            ["iptables", "-A", "MAILWARDEN", "-s", "198.51.100.1", "-j", "ACCEPT"],
        ],
    ],
    ids=["set-of-another-type", "set-without-timeouts", "chain-with-their-rule"],
)
def test_sets_or_a_chain_of_our_names_that_are_not_ours_are_refused(
    netns: str, theirs: list[list[str]]
) -> None:
    """ensure used to destroy (or flush and refill) a set of our name that someone else
    made, and empty a chain of our name; teardown destroyed them. Now each refuses,
    naming it, and leaves it as it was."""
    for argv in theirs:
        in_ns(netns, *argv)
    before = in_ns(netns, "ipset", "list"), in_ns(netns, "iptables", "-S")
    enforcer = IpsetEnforcer(netns=netns)
    for step in (enforcer.check, enforcer.ensure, enforcer.teardown):
        with pytest.raises(NotOursError, match=r"^ipset: .*(mailwarden[46]|MAILWARDEN).* not "):
            step()
    with pytest.raises(NotOursError) as refused:
        enforcer.ensure()
    message = str(refused.value)
    assert "name sets of its own" not in message
    if "chain" in message:  # the chain's name is fixed: another prefix does not help
        assert "the chain MAILWARDEN is always mailwarden's" in message
        assert "iptables -F MAILWARDEN" in message
    else:
        assert "[enforce] ipset" in message and "ipset destroy" in message
    assert (in_ns(netns, "ipset", "list"), in_ns(netns, "iptables", "-S")) == before


def test_more_bans_than_a_set_holds_keep_those_ending_last(
    netns: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With more bans than a set holds (262,144), sync failed with "Hash is full" after
    filling the temporary set: no new ban was enforced, the temporary set stayed in the
    kernel. Now the bans that end last are loaded and the log says once how many are
    not. (The cap is made 100 here, to be quick.)"""
    monkeypatch.setattr(ipset_module, "MAX_ELEMENTS", 100)
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    bans = [entry(f"2001:db8:{n:x}::/48", 600 + 10 * n) for n in range(150)]
    with caplog.at_level(logging.INFO, logger="mailwarden.enforce"):
        enforcer.sync(bans)
        enforcer.sync(bans)
        enforcer.sync([entry("192.0.2.7/32", 600), *bans[-100:]])
    assert set(members(netns, "mailwarden6")) == {f"2001:db8:{n:x}::/48" for n in range(50, 150)}
    assert enforcer.present()
    assert "mailwarden6-new" not in in_ns(netns, "ipset", "list", "-n")
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        "firewall: ipset mailwarden6 holds at most 100 bans: 50 ban(s) (those ending first) "
        "are not enforced while there are more",
        "firewall: ipset mailwarden6 holds every ban again",
    ]


def test_a_new_ban_into_a_full_set_takes_the_place_of_the_one_ending_first(
    netns: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A set at its cap refused every new ban ("Hash is full"). Now the bans that end
    first make room, and the log says it once."""
    monkeypatch.setattr(ipset_module, "MAX_ELEMENTS", 100)
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry(f"192.0.2.{n}/32", 600 + 10 * n) for n in range(100)])
    with caplog.at_level(logging.INFO, logger="mailwarden.enforce"):
        enforcer.apply([entry("198.51.100.1/32", 300), entry("198.51.100.2/32", 300)], [])
        enforcer.apply([entry("198.51.100.3/32", 300)], [net("192.0.2.50/32")])
        enforcer.apply([entry("198.51.100.1/32", 900)], [])  # a refresh takes no room
    held = set(members(netns, "mailwarden4"))
    new = {"198.51.100.1", "198.51.100.2", "198.51.100.3"}
    assert held == new | {f"192.0.2.{n}" for n in range(2, 100) if n != 50}
    assert enforcer.present()
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        "firewall: ipset mailwarden4 holds at most 100 bans: 2 ban(s) (those ending first) "
        "are not enforced while there are more",
    ]


def test_a_failed_sync_and_teardown_leave_no_temporary_set(netns: str) -> None:
    enforcer = IpsetEnforcer(netns=netns)  # no ensure: the swap has no set to swap with
    with pytest.raises(EnforceError):
        enforcer.sync([entry("192.0.2.7/32", 600)])
    assert in_ns(netns, "ipset", "list", "-n").split() == []
    enforcer.ensure()
    in_ns(
        netns,
        "ipset",
        "create",
        "mailwarden6-new",
        "hash:net",
        "family",
        "inet6",
        "timeout",
        "600",
        "maxelem",
        "262144",
    )  # fmt: skip  (left by a crash)
    enforcer.teardown()
    assert in_ns(netns, "ipset", "list", "-n").split() == []


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


def test_bans_deleted_to_make_room_are_known_as_not_enforced(
    netns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bans a full set deleted to make room (or `sync` left out) block nothing, yet
    the enforcer said it enforced them: the daemon counted clients inside such a wider
    ban as banned already and never banned them."""
    monkeypatch.setattr(ipset_module, "MAX_ELEMENTS", 100)
    enforcer = IpsetEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.0/25", 300), *(entry(f"10.0.0.{n}/32", 600) for n in range(99))])
    assert enforcer.enforces(net("192.0.2.0/25"))
    enforcer.apply([entry("198.51.100.1/32", 900)], [])
    assert "192.0.2.0/25" not in members(netns, "mailwarden4")
    assert not enforcer.enforces(net("192.0.2.0/25"))
    assert enforcer.enforces(net("198.51.100.1/32"))
    assert enforcer.take_left_out() == [net("192.0.2.0/25")]
    assert enforcer.take_left_out() == []
    enforcer.apply([], [net("10.0.0.1/32")])
    enforcer.apply([entry("192.0.2.0/25", 300)], [])  # given again: there is room
    assert enforcer.enforces(net("192.0.2.0/25"))
    bans = [entry(f"2001:db8:{n:x}::/48", 600 + 10 * n) for n in range(101)]
    enforcer.sync(bans)
    assert not enforcer.enforces(net("2001:db8::/48"))
    assert enforcer.take_left_out() == [net("2001:db8::/48")]
    enforcer.sync(bans[1:])
    assert enforcer.enforces(net("2001:db8::/48"))
