"""The nftables document: built as dicts from `ipaddress` numbers. Whatever network a ban
names (from a log, the store or ``mailwarden ban``), the batch holds our own table, our
two sets and plain addresses, prefixes or ranges that parse back to exactly the banned
addresses: no text can become another nft object (``@set``, a verdict, a new table)."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.enforce.interface import BanEntry, EnforceError
from mailwarden.enforce.nftables import NftablesEnforcer

NOW = datetime(2030, 1, 1, tzinfo=UTC)
UNTIL = NOW + timedelta(hours=1)


def _addresses(value: Any) -> tuple[int, int]:
    """The first and last address an element value stands for (it must parse)."""
    if isinstance(value, str):
        address = ipaddress.ip_address(value)
        assert str(address) == value and "%" not in value
        return int(address), int(address)
    if set(value) == {"prefix"}:
        prefix = value["prefix"]
        assert set(prefix) == {"addr", "len"} and isinstance(prefix["len"], int)
        network = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=True)
        return int(network.network_address), int(network.broadcast_address)
    assert set(value) == {"range"} and len(value["range"]) == 2
    first, last = (ipaddress.ip_address(v) for v in value["range"])
    return int(first), int(last)


def _check(
    document: dict[str, Any], network: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> None:
    text = json.dumps(document)
    assert "%" not in text and "@" not in text
    (command,) = document["nftables"]
    (verb,) = command
    assert verb == "add"
    element = command["add"]["element"]
    assert set(element) == {"family", "table", "name", "elem"}
    assert (element["family"], element["table"]) == ("inet", "mailwarden")
    assert element["name"] == ("v4" if network.version == 4 else "v6")
    covered = []
    for item in element["elem"]:
        assert set(item) == {"elem"} and set(item["elem"]) == {"val", "timeout"}
        assert isinstance(item["elem"]["timeout"], int) and item["elem"]["timeout"] > 0
        covered.append(_addresses(item["elem"]["val"]))
    assert covered == [(int(network.network_address), int(network.broadcast_address))]


ipv4 = st.builds(
    lambda a, n: ipaddress.IPv4Network((a, n), strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
)
ipv6 = st.builds(
    lambda a, n: ipaddress.IPv6Network((a, n), strict=False),
    st.integers(0, 2**128 - 1),
    st.integers(16, 128),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ipv4, ipv6))
def test_any_network_becomes_exactly_its_own_addresses(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> None:
    entry = BanEntry(network, UNTIL, 'x"}, {"flush": {"ruleset": null}}, {"x": "')
    _check(NftablesEnforcer().batch_for_ban(entry, NOW), network)


@pytest.mark.parametrize(
    "text",
    ["2001:db8::7%eth0", '2001:db8::7%"}]}, {"flush": {"ruleset": null}}', "2001:db8::7%x\n@v4"],
)
def test_a_scope_id_never_reaches_nft(text: str) -> None:
    network = ipaddress.ip_network(text)  # ipaddress takes the scope id as it is
    document = NftablesEnforcer().batch_for_ban(BanEntry(network, UNTIL, "r"), NOW)
    _check(document, network)
    assert "ruleset" not in json.dumps(document)


@pytest.mark.parametrize(
    "table",
    ["", "x; flush ruleset", "mail warden", "a}b", "mailwardén", "x\n", "@v4"],
)
def test_only_plain_table_names(table: str) -> None:
    with pytest.raises(EnforceError):
        NftablesEnforcer(table=table)


@pytest.mark.parametrize("port", [0, 65536, -1, "25", 25.0])
def test_only_real_ports(port: object) -> None:
    with pytest.raises(EnforceError):
        NftablesEnforcer(ports=[port])  # type: ignore[list-item]


def test_a_ban_must_be_a_network_object_not_text() -> None:
    with pytest.raises(TypeError):
        BanEntry("192.0.2.0/24", UNTIL, "r")  # type: ignore[arg-type]
