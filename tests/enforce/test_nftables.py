"""The nftables enforcer, run for real inside network namespaces (never the host's)."""

from __future__ import annotations

import ipaddress
import itertools
import json
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nslab import CLIENT_V4, CLIENT_V6, SERVER_V4, SERVER_V6, Lab, in_ns, nft_table, set_elements

from mailwarden.enforce import _run as nftables_run
from mailwarden.enforce import nftables
from mailwarden.enforce.interface import (
    BanEntry,
    BatchRefusedError,
    NoAnswerError,
    NotOursError,
    PermissionDeniedError,
    ToolMissingError,
)
from mailwarden.enforce.nftables import NftablesEnforcer

net = ipaddress.ip_network


def entry(network: str, seconds: float, reason: str = "test") -> BanEntry:
    return BanEntry(net(network), datetime.now(UTC) + timedelta(seconds=seconds), reason)


def near(value: int, expected: int, slack: int = 5) -> bool:
    return expected - slack <= value <= expected + slack


def rules(ns: str) -> list[dict[str, object]]:
    return [i["rule"] for i in nft_table(ns)["nftables"] if "rule" in i]


# -- the JSON we send (no root needed) ----------------------------------------------


def test_one_ban_is_one_json_element_with_its_timeout() -> None:
    enforcer = NftablesEnforcer(ports=[587])
    now = datetime(2030, 1, 1, tzinfo=UTC)
    doc = enforcer.batch_for_ban(BanEntry(net("192.0.2.7/32"), now + timedelta(hours=1), "x"), now)
    assert doc == {
        "nftables": [
            {
                "add": {
                    "element": {
                        "family": "inet",
                        "table": "mailwarden",
                        "name": "v4",
                        "elem": [{"elem": {"val": "192.0.2.7", "timeout": 3600}}],
                    }
                }
            }
        ]
    }
    doc6 = enforcer.batch_for_ban(BanEntry(net("2001:db8::/32"), now + timedelta(days=1), "x"), now)
    elem = doc6["nftables"][0]["add"]["element"]
    assert elem["name"] == "v6"
    assert elem["elem"] == [
        {"elem": {"val": {"prefix": {"addr": "2001:db8::", "len": 32}}, "timeout": 86400}}
    ]


class Recording(NftablesEnforcer):
    """Keeps each batch it would send to nft instead of running nft."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[list[dict[str, Any]]] = []

    def _send(self, batch: list[dict[str, Any]]) -> None:
        self.sent.append(batch)


def sent_elements(batch: list[dict[str, Any]]) -> list[tuple[str, str, object]]:
    """(verb, set, value) of each element a batch adds or deletes ((verb, kind, None)
    of any other command: a table, a set flushed)."""
    out: list[tuple[str, str, object]] = []
    for command in batch:
        for verb, obj in command.items():
            if "element" not in obj:
                out.append((verb, next(iter(obj)), None))
                continue
            for item in obj["element"]["elem"]:
                value = item["elem"]["val"] if isinstance(item, dict) and "elem" in item else item
                out.append((verb, obj["element"]["name"], value))
    return out


def test_a_ban_with_many_others_loaded_sends_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """With thousands of bans in the set, one more works out and sends one element (it
    used to work out every piece of both sets again at each ban: slower the more bans
    there were)."""
    enforcer = Recording()
    base = int(ipaddress.IPv6Address("2001:db8:1::"))
    many = [entry(f"{ipaddress.IPv6Address(base + (n << 64))}/128", 3600) for n in range(5000)]
    enforcer.sync(many)
    enforcer.sent.clear()
    flattened: list[int] = []
    real_flatten = nftables.flatten

    def counting(spans: Any, version: int) -> Any:
        spans = list(spans)
        flattened.append(len(spans))
        return real_flatten(spans, version)

    monkeypatch.setattr(nftables, "flatten", counting)
    enforcer.apply([entry("2001:db8:ffff::1/128", 7200)], [])
    enforcer.apply([], [net("2001:db8:1::/128")])
    assert [sent_elements(batch) for batch in enforcer.sent] == [
        [("add", "v6", "2001:db8:ffff::1")],
        [("delete", "v6", "2001:db8:1::")],
    ]
    assert sum(flattened) <= 2, flattened  # the bans around the change, not all 5000


def test_incremental_changes_keep_every_address_at_its_latest_expiry() -> None:
    """Nested bans added, refreshed and lifted one at a time leave the set (as the
    batches sent built it) with the same expiry at every address as a rewrite would."""
    rng = random.Random(7)
    enforcer = Recording()
    now = datetime.now(UTC)
    nets = [f"192.0.2.{n}/32" for n in range(0, 40, 3)] + [
        "192.0.2.0/28",
        "192.0.2.16/28",
        "192.0.2.0/27",
        "192.0.2.0/24",
        "192.0.2.32/30",
        "192.0.2.8/29",
    ]
    enforcer.sync([])
    for _ in range(300):
        name = rng.choice(nets)
        if rng.random() < 0.3:
            enforcer.apply([], [net(name)])
        else:
            hours = rng.randint(1, 50)
            enforcer.apply([BanEntry(net(name), now + timedelta(hours=hours), "x")], [])
        held = dict(enforcer._loaded[4])
        pieces = sorted(held)
        assert all(a.last < b.first for a, b in itertools.pairwise(pieces)), pieces
        expected = enforcer._pieces(now)[4]
        first = int(ipaddress.IPv4Address("192.0.2.0"))
        for address in range(first, first + 256):
            want = next((e for p, e in expected.items() if p.first <= address <= p.last), None)
            got = next((e for p, e in held.items() if p.first <= address <= p.last), None)
            assert got == want, (ipaddress.IPv4Address(address), got, want)


def test_reason_text_never_reaches_nft() -> None:
    enforcer = NftablesEnforcer()
    hostile = '"}]}; flush ruleset; {"'
    now = datetime(2030, 1, 1, tzinfo=UTC)
    doc = enforcer.batch_for_ban(BanEntry(net("192.0.2.7/32"), now + timedelta(hours=1), hostile))
    assert "flush" not in json.dumps(doc)


def test_bad_ports_and_names_are_refused() -> None:
    with pytest.raises(Exception, match="bad port"):
        NftablesEnforcer(ports=[0])
    with pytest.raises(Exception, match="bad table"):
        NftablesEnforcer(table="x; flush ruleset")


def test_missing_nft_program_is_a_clear_error(tmp_path: Path) -> None:
    enforcer = NftablesEnforcer(nft=str(tmp_path / "no-such-nft"))
    with pytest.raises(ToolMissingError, match="not found"):
        enforcer.ensure()


def test_an_nft_that_does_not_answer_is_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hanging nft is a firewall busy or stuck for now (the daemon starts and tries
    again), not a missing program or privilege a person must fix."""
    hanging = tmp_path / "nft"
    hanging.write_text("#!/bin/sh\nexec sleep 10\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(nftables_run, "TIMEOUT", 0.3)
    with pytest.raises(NoAnswerError, match=r"^nft: no answer after "):
        NftablesEnforcer(nft=str(hanging)).ensure()


def fake_nft(tmp_path: Path, message: str) -> str:
    """An nft that fails every call with `message` (nft's own words, on stderr)."""
    fake = tmp_path / "nft"
    fake.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    fake.chmod(0o755)
    return str(fake)


def test_an_nft_that_cannot_list_is_no_missing_table(tmp_path: Path) -> None:
    """The daemon took any failure of nft to list our chain for a missing table, and
    said "missing or was changed; restoring it": the error it got is what it says."""
    refused = fake_nft(tmp_path, "Error: cache initialization failed: Operation not permitted")
    with pytest.raises(PermissionDeniedError, match="Operation not permitted"):
        NftablesEnforcer(nft=refused).present()


def test_a_table_nft_says_is_not_there_is_missing(tmp_path: Path) -> None:
    absent = fake_nft(tmp_path, "Error: No such file or directory")
    assert NftablesEnforcer(nft=absent).present() is False


# -- in a namespace --------------------------------------------------------------------


def test_ensure_creates_our_table_and_is_idempotent(netns: str) -> None:
    enforcer = NftablesEnforcer(ports=[25, 587], netns=netns)
    assert not enforcer.present()
    enforcer.ensure()
    enforcer.ensure()
    assert enforcer.present()
    items = nft_table(netns)["nftables"]
    sets = {i["set"]["name"]: i["set"] for i in items if "set" in i}
    assert sets["v4"]["type"] == "ipv4_addr" and sets["v6"]["type"] == "ipv6_addr"
    assert set(sets["v4"]["flags"]) == {"interval", "timeout"}
    chain = next(i["chain"] for i in items if "chain" in i)
    assert (chain["hook"], chain["prio"], chain["policy"]) == ("input", -10, "accept")
    assert len(rules(netns)) == 2
    text = in_ns(netns, "nft", "list", "chain", "inet", "mailwarden", "input")
    assert "ct state new tcp dport { 25, 587 } ip saddr @v4 counter" in text
    assert "ip6 saddr @v6" in text


def test_a_flushed_ruleset_is_seen_gone_by_a_quick_look_with_many_bans(netns: str) -> None:
    """`present` loads every element (nft 1.0): with 100,000 bans it took 13 s, so the
    daemon ran it about once a minute and a flushed ruleset stayed flushed that long.
    `gone` lists only chains: cheap whatever the sets hold, so it can run every
    second."""
    enforcer = NftablesEnforcer(netns=netns)
    assert enforcer.gone()  # nothing there yet
    enforcer.ensure()
    base = int(ipaddress.IPv6Address("2001:db8::"))
    until = datetime.now(UTC) + timedelta(hours=1)
    bans = [BanEntry(net(f"{ipaddress.IPv6Address(base + (n << 16))}/128"), until, "x")
            for n in range(30_000)]  # fmt: skip
    enforcer.sync(bans)
    in_ns(netns, "nft", "add", "table", "inet", "filter")
    in_ns(netns, "nft", "add", "chain", "inet", "filter", "input")  # another table's input
    started = time.monotonic()
    assert not enforcer.gone()
    took = time.monotonic() - started
    assert took < 0.4, f"gone() took {took:.2f} s with 30,000 bans"
    in_ns(netns, "nft", "flush", "ruleset")
    assert enforcer.gone() and not enforcer.present()
    enforcer.ensure()
    assert enforcer.gone()  # the table is back, but not yet the bans
    enforcer.sync(bans)
    assert not enforcer.gone()
    in_ns(netns, "nft", "delete", "chain", "inet", "mailwarden", "input")
    assert enforcer.gone()
    assert not NftablesEnforcer(netns=netns, nft="false").gone()  # cannot tell: no


def test_a_set_emptied_by_hand_is_seen_by_the_quick_look_with_many_bans(netns: str) -> None:
    """``nft flush set`` leaves our table and rules: the quick look used to see nothing
    amiss, and with 100,000 bans the full check runs about once a minute. Now it asks
    the kernel for a few elements drawn at random, at the same cost however many."""
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    bans = [entry(f"{ipaddress.IPv4Address(base + 2 * n)}/32", 3600 + n) for n in range(30_000)]
    bans.append(entry("2001:db8::/48", 3600))
    enforcer.sync(bans)
    started = time.monotonic()
    assert not enforcer.gone()
    took = time.monotonic() - started
    assert took < 0.4, f"gone() took {took:.2f} s with 30,000 bans"

    in_ns(netns, "nft", "flush", "set", "inet", "mailwarden", "v4")
    assert enforcer.gone()
    enforcer.sync(bans)
    assert not enforcer.gone()
    in_ns(netns, "nft", "flush", "set", "inet", "mailwarden", "v6")
    assert enforcer.gone()
    enforcer.sync(bans)

    # A quarter of the addresses deleted by hand (nft 1.0 takes a second to delete 500
    # of 2000, minutes for a quarter of 30,000): seen within a few looks.
    enforcer.sync(bans[:2000])
    assert not enforcer.gone()
    doomed = ", ".join(str(ipaddress.IPv4Address(base + 2 * n)) for n in range(0, 2000, 4))
    in_ns(netns, "nft", "-f", "-", stdin=f"delete element inet mailwarden v4 {{ {doomed} }}\n")
    assert len(set_elements(netns, "v4")) == 1500
    assert any(enforcer.gone() for _ in range(3))


def test_no_ports_means_every_port(netns: str) -> None:
    NftablesEnforcer(ports=[], netns=netns).ensure()
    text = in_ns(netns, "nft", "list", "chain", "inet", "mailwarden", "input")
    assert "dport" not in text and "ct state new ip saddr @v4" in text


def test_changed_ports_replace_the_rules(netns: str) -> None:
    NftablesEnforcer(ports=[25], netns=netns).ensure()
    NftablesEnforcer(ports=[465], netns=netns).ensure()
    text = in_ns(netns, "nft", "list", "chain", "inet", "mailwarden", "input")
    assert "dport 465" in text and "dport 25" not in text
    assert len(rules(netns)) == 2


def test_other_tables_are_never_touched(netns: str) -> None:
    foreign = """
    table inet filter {
        set keep { type ipv4_addr; elements = { 198.51.100.1 } }
        chain input { type filter hook input priority 0; policy accept; tcp dport 22 accept; }
    }
    table ip mailwarden {
        chain c { ip saddr 203.0.113.9 drop; }
    }
    """
    in_ns(netns, "nft", "-f", "-", stdin=foreign)
    before = [in_ns(netns, "nft", "-j", "list", "table", *t) for t in
              (("inet", "filter"), ("ip", "mailwarden"))]  # fmt: skip
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 3600), entry("198.51.100.0/24", 600)])
    enforcer.apply([entry("203.0.113.9/32", 60)], [net("192.0.2.7/32")])
    assert enforcer.present()
    enforcer.teardown()
    assert not enforcer.present()
    after = [in_ns(netns, "nft", "-j", "list", "table", *t) for t in
             (("inet", "filter"), ("ip", "mailwarden"))]  # fmt: skip
    assert after == before
    assert "table inet mailwarden" not in in_ns(netns, "nft", "list", "tables")


def test_sync_makes_the_sets_equal_to_the_store(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 3600), entry("2001:db8:1::/48", 7200)])
    v4, v6 = set_elements(netns, "v4"), set_elements(netns, "v6")
    assert list(v4) == ["192.0.2.7"] and near(v4["192.0.2.7"], 3600)
    assert list(v6) == ["2001:db8:1::/48"] and near(v6["2001:db8:1::/48"], 7200)
    enforcer.sync([entry("203.0.113.0/24", 60)])
    assert set_elements(netns, "v4").keys() == {"203.0.113.0/24"}
    assert set_elements(netns, "v6") == {}


def test_elements_added_by_hand_are_named_when_a_rewrite_removes_them(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``nft add element`` by hand vanished at the next repair or rewrite without a
    word (the rules added by hand were named). The rewrite names what it removes;
    a rewrite of what mailwarden loaded itself, a network ban split by an address
    banned inside it included, names nothing."""
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    bans = [entry("192.0.2.0/24", 3600), entry("2001:db8:1::/48", 7200)]
    enforcer.sync(bans)
    enforcer.apply([entry("192.0.2.7/32", 7200)], [])
    caplog.clear()
    enforcer.sync([*bans, entry("192.0.2.7/32", 7200)])
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []

    for element in ("203.0.113.250 timeout 1h", "198.51.100.0/25", "198.51.100.200-198.51.100.210"):
        in_ns(netns, "nft", "add", "element", "inet", "mailwarden", "v4", f"{{ {element} }}")
    enforcer.sync([*bans, entry("192.0.2.7/32", 7200)])
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(said) == 1, said
    assert said[0].startswith(
        "firewall: removed from set inet mailwarden v4 3 element(s) mailwarden did not put there: "
    ), said
    for text in ("203.0.113.250", "198.51.100.0/25", "198.51.100.200-198.51.100.210"):
        assert text in said[0], said
    assert said[0].endswith("; ban with `mailwarden ban`, which the daemon keeps"), said
    assert not set(set_elements(netns, "v4")) & {"203.0.113.250", "198.51.100.0/25"}


def test_expired_entries_are_not_loaded(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", -5), entry("192.0.2.8/32", 60)])
    assert set(set_elements(netns, "v4")) == {"192.0.2.8"}


def test_banning_again_refreshes_the_timeout(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([])
    enforcer.apply([entry("192.0.2.7/32", 600)], [])
    assert near(set_elements(netns, "v4")["192.0.2.7"], 600)
    enforcer.apply([entry("192.0.2.7/32", 86400)], [])
    assert near(set_elements(netns, "v4")["192.0.2.7"], 86400)
    enforcer.apply([entry("192.0.2.7/32", 300)], [])
    assert near(set_elements(netns, "v4")["192.0.2.7"], 300)


def test_a_fresh_enforcer_can_refresh_what_an_earlier_process_loaded(netns: str) -> None:
    NftablesEnforcer(netns=netns).ensure()
    NftablesEnforcer(netns=netns).sync([entry("192.0.2.7/32", 600)])
    again = NftablesEnforcer(netns=netns)  # a restarted daemon that skipped sync()
    again.apply([entry("192.0.2.7/32", 7200)], [])
    assert near(set_elements(netns, "v4")["192.0.2.7"], 7200)


def test_nested_bans_keep_each_expiry(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.0/24", 600)])
    enforcer.apply([entry("192.0.2.7/32", 86400)], [])
    v4 = set_elements(netns, "v4")
    assert set(v4) == {"192.0.2.0-192.0.2.6", "192.0.2.7", "192.0.2.8-192.0.2.255"}
    assert near(v4["192.0.2.7"], 86400) and near(v4["192.0.2.0-192.0.2.6"], 600)
    enforcer.apply([], [net("192.0.2.0/24")])
    assert set(set_elements(netns, "v4")) == {"192.0.2.7"}
    enforcer.apply([entry("192.0.2.0/24", 600)], [net("192.0.2.7/32")])
    assert set(set_elements(netns, "v4")) == {"192.0.2.0/24"}
    # An inner ban that ends first is covered by the outer one: nothing to split.
    enforcer.apply([entry("192.0.2.9/32", 60)], [])
    assert set(set_elements(netns, "v4")) == {"192.0.2.0/24"}


class Sending(NftablesEnforcer):
    """Sends each batch to nft, and keeps it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[list[dict[str, Any]]] = []

    def _send(self, batch: list[dict[str, Any]]) -> None:
        self.sent.append(batch)
        super()._send(batch)


REWRITTEN = "whole again"


def rewrites(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if REWRITTEN in r.getMessage()]


def test_a_network_ban_over_banned_addresses_is_one_small_batch(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Under an IPv6 attack the detector bans single addresses, then their /64. nft
    1.0.6 refused the /64 (an ``add`` of each address before its ``delete``: "interval
    overlaps with an existing one"), and every such ban rewrote the whole table:
    seconds with many bans, the daemon reading nothing meanwhile."""
    enforcer = Sending(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("2001:db8:1::/48", 3600)])  # others in the set
    addresses = [f"2001:db8:6000:18c::{n}" for n in (1, 2, 3, 4)]
    for address in addresses:  # one poll each
        enforcer.apply([entry(f"{address}/128", 3600)], [])
    enforcer.sent.clear()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("2001:db8:6000:18c::/64", 7200)], [])
    assert [sent_elements(batch) for batch in enforcer.sent] == [
        [("delete", "v6", address) for address in addresses]
        + [("add", "v6", {"prefix": {"addr": "2001:db8:6000:18c::", "len": 64}})]
    ]
    assert rewrites(caplog) == [] and enforcer.repaired == 0
    v6 = set_elements(netns, "v6")
    assert v6.keys() == {"2001:db8:1::/48", "2001:db8:6000:18c::/64"}
    assert near(v6["2001:db8:6000:18c::/64"], 7200)


def test_an_address_banned_inside_a_banned_network_splits_it_in_one_batch(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``mailwarden ban 203.0.113.200 --for 1w`` inside a banned 203.0.113.128/25."""
    enforcer = Sending(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("203.0.113.128/25", 3600)])
    enforcer.sent.clear()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("203.0.113.200/32", 7 * 86400)], [])
    assert [sent_elements(batch) for batch in enforcer.sent] == [
        [
            ("delete", "v4", {"prefix": {"addr": "203.0.113.128", "len": 25}}),
            ("add", "v4", {"range": ["203.0.113.128", "203.0.113.199"]}),
            ("add", "v4", "203.0.113.200"),
            ("add", "v4", {"range": ["203.0.113.201", "203.0.113.255"]}),
        ]
    ]
    assert rewrites(caplog) == []
    v4 = set_elements(netns, "v4")
    assert v4.keys() == {
        "203.0.113.128-203.0.113.199",
        "203.0.113.200",
        "203.0.113.201-203.0.113.255",
    }
    assert near(v4["203.0.113.200"], 7 * 86400) and near(v4["203.0.113.128-203.0.113.199"], 3600)


def test_a_piece_gone_from_the_kernel_before_the_batch_is_left_out_not_rewritten(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A piece our clock says is there can be gone when the batch reaches the kernel
    (it ended a moment early, or someone deleted it): its ``delete`` is refused
    ("element does not exist"). The kernel is asked which are there, and the batch
    sent again without it: no rewrite."""
    enforcer = Sending(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 3600), entry("192.0.2.9/32", 3600)])
    in_ns(netns, "nft", "delete", "element", "inet", "mailwarden", "v4", "{ 192.0.2.7 }")
    enforcer.sent.clear()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("192.0.2.0/24", 7200)], [])
    assert [sent_elements(batch) for batch in enforcer.sent][-1] == [
        ("delete", "v4", "192.0.2.9"),
        ("add", "v4", {"prefix": {"addr": "192.0.2.0", "len": 24}}),
    ]
    assert rewrites(caplog) == [] and enforcer.repaired == 0
    assert set_elements(netns, "v4").keys() == {"192.0.2.0/24"}


SLOW_NFT = """#!/bin/sh
# nft, slow to reach the kernel with a batch while FLAG exists (nft 1.0 loads every
# element first: seconds with 100,000)
if [ -e "{flag}" ] && [ "$1" = -j ] && [ "$2" = -f ]; then sleep 3; fi
exec "{nft}" "$@"
"""


def test_a_piece_the_kernel_still_holds_after_its_time_is_deleted_first(
    netns: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch that reaches the kernel late starts its timeouts late: a piece can
    outlive the expiry we recorded. The kernel is asked about a piece near or past its
    end, and one it still holds is deleted before a network over it goes in."""
    real = shutil.which("nft")
    assert real is not None
    slow, flag = tmp_path / "nft", tmp_path / "slow"
    slow.write_text(SLOW_NFT.format(nft=real, flag=flag))
    slow.chmod(0o755)
    enforcer = Sending(netns=netns, nft=str(slow))
    enforcer.ensure()
    flag.touch()
    enforcer.sync([entry("192.0.2.7/32", 1)])  # ends in 1 s; in the kernel for 4 s
    flag.unlink()
    assert "192.0.2.7" in set_elements(netns, "v4")
    enforcer.sent.clear()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("192.0.2.0/24", 3600)], [])
    assert [sent_elements(batch) for batch in enforcer.sent] == [
        [
            ("delete", "v4", "192.0.2.7"),
            ("add", "v4", {"prefix": {"addr": "192.0.2.0", "len": 24}}),
        ]
    ]
    assert rewrites(caplog) == []
    assert set_elements(netns, "v4").keys() == {"192.0.2.0/24"}


def test_a_piece_that_ended_is_not_deleted(netns: str, caplog: pytest.LogCaptureFixture) -> None:
    """A piece the kernel expired is gone: deleting it would be refused, and a network
    over it goes in without."""
    enforcer = Sending(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 1)])
    time.sleep(2)
    enforcer.sent.clear()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("192.0.2.0/24", 3600)], [])
    assert [sent_elements(batch) for batch in enforcer.sent] == [
        [("add", "v4", {"prefix": {"addr": "192.0.2.0", "len": 24}})]
    ]
    assert rewrites(caplog) == []
    assert set_elements(netns, "v4").keys() == {"192.0.2.0/24"}


def test_removing_what_is_not_there_is_fine(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([])
    enforcer.apply([], [net("192.0.2.7/32"), net("2001:db8::/32")])
    enforcer.apply([entry("192.0.2.7/32", 60)], [])
    in_ns(netns, "nft", "delete", "element", "inet", "mailwarden", "v4", "{ 192.0.2.7 }")
    enforcer.apply([], [net("192.0.2.7/32")])  # the kernel (or a person) removed it first
    assert set_elements(netns, "v4") == {}


def test_elements_someone_else_added_are_replaced_by_ours(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([])
    in_ns(netns, "nft", "add", "element", "inet", "mailwarden", "v4", "{ 192.0.2.0/24 }")
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.apply([entry("192.0.2.7/32", 60)], [])  # overlaps: refused, then rewritten
    assert set(set_elements(netns, "v4")) == {"192.0.2.7"}
    # said (the daemon log) and counted (the daemon adds it to its repairs)
    (said,) = rewrites(caplog)
    assert said.startswith("firewall: nft refused the change: "), said
    assert said.endswith(
        "Error: interval overlaps with an existing one; writing table inet mailwarden whole "
        "again (1 ban(s))"
    ), said
    assert enforcer.repaired == 1


@pytest.mark.parametrize(
    "damage",
    [
        ["delete", "table", "inet", "mailwarden"],
        ["flush", "table", "inet", "mailwarden"],
        ["flush", "ruleset"],
        ["delete", "rule", "inet", "mailwarden", "input", "handle", "{handle}"],
    ],
    ids=["delete-table", "flush-table", "flush-ruleset", "delete-one-rule"],
)
def test_damage_is_noticed_and_repaired(netns: str, damage: list[str]) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    active = [entry("192.0.2.7/32", 600), entry("2001:db8::66/128", 600)]
    enforcer.sync(active)
    handle = str(rules(netns)[0]["handle"])
    in_ns(netns, "nft", *[word.replace("{handle}", handle) for word in damage])
    assert not enforcer.present()
    enforcer.ensure()
    enforcer.sync(active)
    assert enforcer.present()
    assert len(rules(netns)) == 2
    assert set(set_elements(netns, "v4")) == {"192.0.2.7"}
    assert set(set_elements(netns, "v6")) == {"2001:db8::66"}


@pytest.mark.parametrize(
    "damage",
    [
        ["flush", "set", "inet", "mailwarden", "v4"],
        ["flush", "set", "inet", "mailwarden", "v6"],
        ["delete", "element", "inet", "mailwarden", "v4", "{ 192.0.2.0/24 }"],
    ],
    ids=["flush-v4", "flush-v6", "delete-element"],
)
def test_a_set_emptied_by_hand_is_noticed_at_the_cheap_check(netns: str, damage: list[str]) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    active = [entry("192.0.2.0/24", 600), entry("2001:db8::66/128", 600)]
    enforcer.sync(active)
    assert enforcer.present()
    in_ns(netns, "nft", *damage)  # the table and its rules stay
    assert not enforcer.present()
    enforcer.ensure()
    enforcer.sync(active)
    assert enforcer.present()
    assert set(set_elements(netns, "v4")) == {"192.0.2.0/24"}
    assert set(set_elements(netns, "v6")) == {"2001:db8::66"}


def test_a_flush_is_noticed_even_after_a_new_ban_went_in(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600), entry("192.0.2.8/32", 600)])
    in_ns(netns, "nft", "flush", "set", "inet", "mailwarden", "v4")
    enforcer.apply([entry("192.0.2.9/32", 86400)], [])  # before the daemon's check ran
    assert not enforcer.present()


def test_an_nft_that_cannot_get_elements_causes_no_rewrites(netns: str, tmp_path: Path) -> None:
    """Only nft's ENOENT says an element is gone. An nft that refuses ``get element``
    otherwise (too old for it, say) must not make the daemon rewrite its sets every
    second: the table and rule checks still stand."""
    real = shutil.which("nft")
    assert real is not None
    wrapper = tmp_path / "nft"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = get ]; then echo "Error: syntax error, unexpected get" >&2; exit 1; fi\n'
        'if [ "$1" = -f ] && [ "$2" = - ]; then\n'
        "  script=$(cat)\n"
        '  case "$script" in *get*) echo "Error: syntax error, unexpected get" >&2; exit 1;; esac\n'
        f'  printf "%s\\n" "$script" | exec {real} "$@"\n'
        "fi\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    enforcer = NftablesEnforcer(netns=netns, nft=str(wrapper))
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600), entry("2001:db8::7/128", 600)])
    assert enforcer.present()
    in_ns(netns, "nft", "delete", "table", "inet", "mailwarden")
    assert not enforcer.present()  # what it can still check, it checks


def test_elements_the_kernel_expired_are_not_damage(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 2), entry("2001:db8::7/128", 2)])
    assert enforcer.present()
    time.sleep(2.5)
    assert set_elements(netns, "v4") == {} and set_elements(netns, "v6") == {}
    assert enforcer.present()
    empty = NftablesEnforcer(netns=netns)  # loaded nothing: nothing to miss
    assert empty.present()


def test_the_element_check_stays_cheap_with_many_bans(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    many = [entry(f"{ipaddress.IPv4Address(base + 2 * n)}/32", 600 + n) for n in range(5000)]
    enforcer.sync(many)
    started = time.monotonic()
    assert enforcer.present()
    took = time.monotonic() - started
    in_ns(netns, "nft", "flush", "set", "inet", "mailwarden", "v4")
    assert not enforcer.present()
    assert took < 1.0, f"present() took {took:.2f} s with 5000 bans"


def test_apply_repairs_a_deleted_table_by_itself(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "nft", "delete", "table", "inet", "mailwarden")
    enforcer.apply([entry("192.0.2.8/32", 1200)], [])  # before the daemon's poll noticed
    assert enforcer.present()
    assert set(set_elements(netns, "v4")) == {"192.0.2.7", "192.0.2.8"}


def test_ensure_rebuilds_our_table_when_its_shape_is_wrong(netns: str) -> None:
    """Our table (it carries our comment) with a set and chain of our names in another
    shape, and a rule someone added by hand: replaced by ours."""
    in_ns(netns, "nft", "-f", "-", stdin=f"""
    table inet mailwarden {{
        comment "{nftables.TABLE_COMMENT}"
        set v4 {{ type ipv4_addr; }}
        chain input {{ tcp dport 25 accept; }}
    }}
    """)  # fmt: skip
    enforcer = NftablesEnforcer(netns=netns)
    assert not enforcer.present()
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 60)])
    assert enforcer.present()
    assert set(set_elements(netns, "v4")) == {"192.0.2.7"}
    text = in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    assert "accept" not in text.replace("policy accept", "")
    assert f'comment "{nftables.TABLE_COMMENT}"' in text  # still ours after the rebuild


def test_a_table_we_create_carries_our_comment(netns: str) -> None:
    NftablesEnforcer(netns=netns).ensure()
    text = in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    assert f'\tcomment "{nftables.TABLE_COMMENT}"\n' in text


ADMIN_TABLES = {
    # Debian's stock firewall, tightened: what `table = "filter"` used to wipe.
    "debian-filter": """
        table inet filter {
          chain input {
            type filter hook input priority 0; policy drop;
            ct state established,related accept
            tcp dport 22 accept
          }
          chain forward { type filter hook forward priority 0; policy drop; }
        }""",
    # An input chain of the shape ours has: `flush chain` used to empty it.
    "same-shape-chain": """
        table inet filter {
          chain input {
            type filter hook input priority -10; policy accept;
            tcp dport 22 accept
          }
        }""",
    # Sets of our names with the admin's elements, and one of theirs.
    "sets": """
        table inet filter {
          set v4 { type ipv4_addr; elements = { 198.51.100.1 } }
          set keep { type ipv4_addr; elements = { 198.51.100.2 } }
        }""",
}


@pytest.mark.parametrize("ruleset", list(ADMIN_TABLES), ids=list(ADMIN_TABLES))
def test_a_table_that_holds_what_we_did_not_create_is_refused_and_left_alone(
    netns: str, ruleset: str
) -> None:
    """`table = "filter"` named the admin's own table: ensure replaced its objects (or
    the whole table), teardown deleted it. Now each refuses, naming what is there, and
    the table stays as it was."""
    in_ns(netns, "nft", "-f", "-", stdin=ADMIN_TABLES[ruleset])
    before = in_ns(netns, "nft", "list", "ruleset")
    enforcer = NftablesEnforcer(table="filter", netns=netns)
    for step in (enforcer.check, enforcer.ensure, enforcer.teardown):
        with pytest.raises(NotOursError, match=r"table inet filter holds what mailwarden did"):
            step()
    with pytest.raises(NotOursError) as refused:
        enforcer.ensure()
    assert "\n" not in str(refused.value)
    if ruleset == "debian-filter":
        assert "chain input (hook input, policy drop, 2 rules)" in str(refused.value)
        assert "chain forward (hook forward, policy drop)" in str(refused.value)
    assert in_ns(netns, "nft", "list", "ruleset") == before


def test_our_table_with_a_chain_of_someone_elses_added_is_not_deleted(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "nft", "add", "chain", "inet", "mailwarden", "theirs")
    with pytest.raises(NotOursError, match=r"chain theirs"):
        enforcer.teardown()
    assert "theirs" in in_ns(netns, "nft", "list", "table", "inet", "mailwarden")


@pytest.mark.parametrize("elements", [False, True], ids=["empty-sets", "with-bans"])
def test_our_table_from_an_older_version_is_adopted(netns: str, elements: bool) -> None:
    """A table an older mailwarden made (no comment, our objects only, its bans in the
    sets) is ours: ensure keeps it and its bans, teardown deletes it."""
    old = NftablesEnforcer(netns=netns)
    batch = old._structure()
    old._send(batch)  # as older versions did it: JSON only, no table comment
    assert nftables.TABLE_COMMENT not in in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    if elements:
        old.sync([entry("192.0.2.7/32", 600)])
    again = NftablesEnforcer(netns=netns)
    again.check()
    again.ensure()
    assert set(set_elements(netns, "v4")) == ({"192.0.2.7"} if elements else set())
    again.sync([entry("192.0.2.8/32", 600)])
    assert again.present()
    again.teardown()
    assert "mailwarden" not in in_ns(netns, "nft", "list", "tables")


def test_an_empty_table_of_our_name_is_adopted(netns: str) -> None:
    in_ns(netns, "nft", "add", "table", "inet", "mailwarden")
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    assert enforcer.present()


def _older_table(netns: str) -> None:
    """Our table as an older version made it: JSON only, no table comment."""
    NftablesEnforcer(netns=netns)._send(NftablesEnforcer(netns=netns)._structure())
    assert nftables.TABLE_COMMENT not in in_ns(netns, "nft", "list", "table", "inet", "mailwarden")


@pytest.mark.parametrize("made_by", ["this-version", "older-version"])
def test_a_rule_the_admin_put_into_our_chain_is_removed_and_named_either_way(
    netns: str, made_by: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The same admin rule in our input chain stopped the start on a table an older
    version made (no comment) but was silently flushed from one this version made. Now
    both are ours: the rule is removed and the log names it."""
    if made_by == "older-version":
        _older_table(netns)
    else:
        NftablesEnforcer(netns=netns).ensure()
    in_ns(netns, "nft", "insert", "rule", "inet", "mailwarden", "input", "tcp", "dport", "25",
          "log", "prefix", '"mw-drop "')  # fmt: skip
    enforcer = NftablesEnforcer(netns=netns)
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.check()
        enforcer.ensure()
    assert 'log prefix "mw-drop "' not in in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    (said,) = [r.getMessage() for r in caplog.records if "removing" in r.getMessage()]
    assert "chain inet mailwarden input" in said and 'log prefix "mw-drop "' in said, said
    enforcer.sync([entry("192.0.2.7/32", 600)])
    assert enforcer.present()


def test_a_rule_put_into_our_chain_while_running_is_named_at_the_repair(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "nft", "add", "rule", "inet", "mailwarden", "input", "counter")
    assert enforcer.present()
    in_ns(netns, "nft", "flush", "set", "inet", "mailwarden", "v4")
    assert not enforcer.present()
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        enforcer.ensure()
    (said,) = [r.getMessage() for r in caplog.records if "removing" in r.getMessage()]
    assert "counter packets 0 bytes 0 (handle" in said, said
    chain = in_ns(netns, "nft", "list", "chain", "inet", "mailwarden", "input")
    assert chain.count("counter packets") == 2  # our two rules only


@pytest.mark.parametrize("made_by", ["this-version", "older-version"])
def test_objects_added_next_to_ours_are_left_alone_and_do_not_stop_a_new_enforcer(
    netns: str, made_by: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A named counter the admin added to our table made every later repair refuse (a
    reload that changed the ports, a table someone flushed): no ban reached the
    firewall any more. Now the counter stays, is named once, and the bans go on."""
    if made_by == "older-version":
        _older_table(netns)
    first = NftablesEnforcer(netns=netns)
    first.ensure()
    first.sync([entry("192.0.2.7/32", 600)])
    in_ns(netns, "nft", "add", "counter", "inet", "mailwarden", "smtp_drops")
    in_ns(netns, "nft", "add", "chain", "inet", "mailwarden", "theirs")
    again = NftablesEnforcer(ports=(25, 465, 587, 993), netns=netns)  # a reload's
    if made_by == "older-version":  # unmarked: ours because this daemon found it so
        again.take_over(first)
    with caplog.at_level("WARNING", logger="mailwarden.enforce"):
        again.check()
        again.ensure()
        again.ensure()
    said = [r.getMessage() for r in caplog.records if "left alone" in r.getMessage()]
    assert len(said) == 1 and "counter smtp_drops" in said[0] and "chain theirs" in said[0]
    again.sync([entry("192.0.2.8/32", 600)])
    assert set(set_elements(netns, "v4")) == {"192.0.2.8"}
    assert again.present()
    table = in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    assert "counter smtp_drops" in table and "chain theirs" in table and "993" in table
    in_ns(netns, "nft", "flush", "chain", "inet", "mailwarden", "input")  # a repair
    in_ns(netns, "nft", "chain", "inet", "mailwarden", "input", "{ policy drop; }")
    again.ensure()  # changed in place: the counter stays
    assert again.present()
    table = in_ns(netns, "nft", "list", "table", "inet", "mailwarden")
    assert "policy accept" in table and "counter smtp_drops" in table


def test_a_table_of_ours_that_would_have_to_be_replaced_keeps_what_others_added(
    netns: str,
) -> None:
    """Replacing the whole table (a set of ours without timeouts) would destroy the
    admin's counter: that stays refused, and the message says what helps."""
    NftablesEnforcer(netns=netns).ensure()
    in_ns(netns, "nft", "add", "counter", "inet", "mailwarden", "smtp_drops")
    in_ns(netns, "nft", "flush", "chain", "inet", "mailwarden", "input")
    in_ns(netns, "nft", "delete", "set", "inet", "mailwarden", "v4")
    v4 = "{ type ipv4_addr; flags interval; }"  # no timeouts
    in_ns(netns, "nft", "add", "set", "inet", "mailwarden", "v4", v4)
    enforcer = NftablesEnforcer(netns=netns)
    with pytest.raises(NotOursError) as refused:
        enforcer.ensure()
    message = str(refused.value)
    assert "set v4 (type ipv4_addr, flags interval; mailwarden's is type ipv4_addr, " in message
    assert "counter smtp_drops" in message
    assert "nft delete table inet mailwarden" in message
    assert "restores the bans from its store" in message
    assert "name a table of its own" not in message
    assert "counter smtp_drops" in in_ns(netns, "nft", "list", "table", "inet", "mailwarden")


def test_an_unmarked_table_whose_input_chain_holds_only_others_rules_is_refused(
    netns: str,
) -> None:
    """An admin table that happens to be called mailwarden, with a chain input shaped
    like ours but none of our rules, is not taken for ours."""
    in_ns(netns, "nft", "-f", "-", stdin="""
        table inet mailwarden {
          chain input {
            type filter hook input priority 0; policy accept;
            tcp dport 22 accept
          }
        }""")  # fmt: skip
    before = in_ns(netns, "nft", "list", "ruleset")
    enforcer = NftablesEnforcer(netns=netns)
    said = r"chain input \(hook input, policy accept, 1 rule\)"
    for step in (enforcer.check, enforcer.ensure, enforcer.teardown):
        with pytest.raises(NotOursError, match=said):
            step()
    assert in_ns(netns, "nft", "list", "ruleset") == before


def test_refused_batch_carries_nfts_message(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)  # no ensure(): our table is missing
    with pytest.raises(BatchRefusedError, match=r"nft refused the change: .*Error: No such file"):
        enforcer.sync([entry("192.0.2.7/32", 60)])


NOBODY_NFT = """#!{python}
import os, sys, tempfile
args = sys.argv[1:]
if args[-2:] == ["-f", "-"]:  # hand the batch over in a file nobody can read
    fd, path = tempfile.mkstemp()
    os.write(fd, sys.stdin.buffer.read())
    os.fchmod(fd, 0o644)
    args[-1] = path
os.execvp("setpriv", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                      "--inh-caps=-all", "nft", *args])
"""


def test_not_root_is_a_clear_error(netns: str, tmp_path: Path) -> None:
    wrapper = tmp_path / "nft-as-nobody"
    wrapper.write_text(NOBODY_NFT.format(python=sys.executable))
    wrapper.chmod(0o755)
    enforcer = NftablesEnforcer(netns=netns, nft=str(wrapper))
    with pytest.raises(PermissionDeniedError, match=r"Operation not permitted.*root"):
        enforcer.ensure()


def test_kernel_expires_a_ban_on_time(netns: str) -> None:
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 2), entry("192.0.2.8/32", 600)])
    assert set(set_elements(netns, "v4")) == {"192.0.2.7", "192.0.2.8"}
    time.sleep(3.5)
    assert set(set_elements(netns, "v4")) == {"192.0.2.8"}
    enforcer.apply([], [net("192.0.2.7/32")])  # the daemon's late removal is harmless


# -- packets ---------------------------------------------------------------------------


def test_a_banned_client_cannot_connect_and_can_again_after_unban(lab: Lab) -> None:
    lab.listen([587, 2525])
    assert lab.wait_connect(SERVER_V4, 587) and lab.wait_connect(SERVER_V6, 587)
    enforcer = NftablesEnforcer(ports=[587], netns=lab.server)
    enforcer.ensure()
    enforcer.sync([])
    enforcer.apply([entry(CLIENT_V4 + "/32", 600), entry(CLIENT_V6 + "/128", 600)], [])
    assert not lab.can_connect(SERVER_V4, 587)
    assert not lab.can_connect(SERVER_V6, 587)
    assert lab.can_connect(SERVER_V4, 2525), "only the configured ports are closed"
    enforcer.apply([], [net(CLIENT_V4 + "/32"), net(CLIENT_V6 + "/128")])
    assert lab.can_connect(SERVER_V4, 587) and lab.can_connect(SERVER_V6, 587)
    enforcer.apply([entry("192.0.2.64/26", 600), entry("2001:db8::/64", 600)], [])
    assert not lab.can_connect(SERVER_V4, 587) and not lab.can_connect(SERVER_V6, 587)
    enforcer.teardown()
    assert lab.can_connect(SERVER_V4, 587)


def test_a_ban_lifts_itself_when_it_expires(lab: Lab) -> None:
    lab.listen([25])
    assert lab.wait_connect(SERVER_V4, 25)
    enforcer = NftablesEnforcer(ports=[25], netns=lab.server)
    enforcer.ensure()
    enforcer.sync([entry(CLIENT_V4 + "/32", 2)])
    assert not lab.can_connect(SERVER_V4, 25)
    time.sleep(2.5)
    assert lab.can_connect(SERVER_V4, 25)


def test_many_bans_are_not_listed_again_for_elements_of_others(
    netns: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Listing every element costs seconds with 100,000 bans, at each rewrite: past
    `FOREIGN_LOOK_MAX` loaded pieces the rewrite does not look (nor say)."""
    monkeypatch.setattr(nftables, "FOREIGN_LOOK_MAX", 1)
    enforcer = NftablesEnforcer(netns=netns)
    enforcer.ensure()
    bans = [entry("192.0.2.7/32", 3600), entry("192.0.2.9/32", 3600)]
    enforcer.sync(bans)
    in_ns(netns, "nft", "add", "element", "inet", "mailwarden", "v4", "{ 203.0.113.250 }")
    caplog.clear()
    enforcer.sync(bans)
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []
    assert set(set_elements(netns, "v4")) == {"192.0.2.7", "192.0.2.9"}
