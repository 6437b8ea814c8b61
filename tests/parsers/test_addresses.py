"""norm_ip: inet_pton/inet_ntop give exactly what the ipaddress module would."""

from __future__ import annotations

import ipaddress

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwarden.parsers._common import ADDRESSES, _AddressCache, _canonical, norm_ip


def reference(text: str) -> str | None:
    """The definition: ipaddress's reading, zone indexes refused, IPv4-mapped as IPv4."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id is not None:
            return None
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
    return str(addr)


def _v6_text(value: int, upper: bool, compress: bool) -> str:
    full = ipaddress.IPv6Address(value).exploded
    text = ipaddress.IPv6Address(value).compressed if compress else full
    return text.upper() if upper else text


ADDRESS_LIKE = st.text(alphabet="0123456789abcdefABCDEF:.%x ", max_size=45)


@given(ADDRESS_LIKE)
@example("::ffff:192.0.2.1")
@example("::192.0.2.1")
@example("::0.0.0.1")
@example("::")
@example("::1")
@example("fe80::1%eth0")
@example("1.2.3.04")
@example("1.2.3.256")
@example("1:2:3:4:5:6:7::")
@example("::ffff:0:192.0.2.1")
@example("2001:db8::1.2.3.4")
@example("2001:DB8:0:0:1:0:0:1")
@example("0:0:0:0:0:0:0:1")
@example("192.0.2.1\x00")
def test_same_as_ipaddress_on_address_like_text(text: str) -> None:
    assert _canonical(text) == reference(text)


@given(st.text(max_size=45))
@example("١٢٣.1.1.1")
@example("\udcff")
def test_same_as_ipaddress_on_any_text(text: str) -> None:
    assert _canonical(text) == reference(text)


@settings(max_examples=500)
@given(st.integers(0, 2**128 - 1), st.booleans(), st.booleans())
def test_same_as_ipaddress_on_every_ipv6_shape(value: int, upper: bool, compress: bool) -> None:
    text = _v6_text(value, upper, compress)
    assert _canonical(text) == reference(text)


@settings(max_examples=300)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["", "::ffff:", "::", "64:ff9b::"]))
def test_same_as_ipaddress_with_ipv4_inside(value: int, prefix: str) -> None:
    text = prefix + str(ipaddress.IPv4Address(value))
    assert _canonical(text) == reference(text)


@settings(max_examples=300)
@given(st.integers(0, 2**128 - 1))
def test_zero_runs_compress_as_rfc5952(value: int) -> None:
    # Sparse addresses: runs of zero groups of every length and position.
    sparse = value & int("ffff0000" * 4, 16)
    text = ipaddress.IPv6Address(sparse).exploded
    assert _canonical(text) == reference(text)


def test_the_cache_keeps_what_repeats_and_stays_bounded() -> None:
    cache = _AddressCache(limit=100)
    for n in range(1000):
        assert cache[f"192.0.2.{n % 256}"] == reference(f"192.0.2.{n % 256}")
        assert cache["203.0.113.9"] == "203.0.113.9"  # in use: never lost to the flood
        assert len(cache) + len(cache._older) <= 2 * cache.limit
    assert "203.0.113.9" in cache


def test_norm_ip_is_the_cache() -> None:
    assert norm_ip("::FFFF:192.0.2.1") == "192.0.2.1" == ADDRESSES["::FFFF:192.0.2.1"]
    assert norm_ip("unknown") is None
