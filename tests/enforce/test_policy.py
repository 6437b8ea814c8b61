"""Ban policy: escalation that always ends, and the addresses that are never banned."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from nslab import in_ns

from mailwarden.enforce.policy import BanPolicy, normalize, own_addresses
from mailwarden.errors import ConfigError
from mailwarden.model import Action, Decision

net = ipaddress.ip_network
H = timedelta(hours=1)


def test_repeat_offenders_are_banned_longer_up_to_the_cap() -> None:
    policy = BanPolicy(base=H, factor=3, max=timedelta(days=1))
    assert [policy.duration_for(n) for n in (1, 2, 3, 4)] == [H, 3 * H, 9 * H, timedelta(days=1)]
    assert policy.duration_for(0) == H
    assert policy.duration_for(10**9) == timedelta(days=1)  # no overflow, still finite


def test_factor_one_keeps_the_base_time() -> None:
    assert BanPolicy(base=H, factor=1, max=2 * H).duration_for(50) == H


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"base": timedelta(0)}, "base"),
        ({"factor": 0.5}, "factor"),
        ({"factor": float("inf")}, "factor"),
        ({"base": 2 * H, "max": H}, "max"),
    ],
)
def test_bad_settings_name_the_key(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BanPolicy(**kwargs)  # type: ignore[arg-type]
    assert caught.value.key == key


POLICY = BanPolicy(
    allow=[net("198.51.100.0/28"), net("2001:db8:aaaa::/48")],
    own_addresses=[net("203.0.113.25/32"), net("2001:db8:1::25/128")],
)


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("127.0.0.1/32", "loopback"),
        ("127.9.9.0/24", "loopback"),
        ("::1/128", "loopback"),
        ("0.0.0.0/32", "unspecified"),
        ("::/128", "unspecified"),
        ("169.254.10.1/32", "link-local"),
        ("fe80::1/128", "link-local"),
        ("224.0.0.5/32", "multicast"),
        ("ff02::1/128", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("198.51.100.5/32", "allow list"),
        ("198.51.100.0/24", "contains 198.51.100.0/28, which is on the allow list"),
        ("2001:db8:aaaa:1::/64", "allow list"),
        ("203.0.113.25/32", "address of this host"),
        ("203.0.113.0/24", "contains an address of this host"),
        ("2001:db8:1::/48", "contains an address of this host"),
        ("::ffff:127.0.0.1/128", "loopback"),
        ("::ffff:203.0.113.25/128", "address of this host"),
        ("0.0.0.0/0", "wider than /8"),
        ("10.0.0.0/7", "wider than /8"),
        ("2000::/3", "wider than /16"),
    ],
)
def test_never_banned(target: str, why: str) -> None:
    refusal = POLICY.refusal(net(target))
    assert refusal is not None and why in refusal
    assert not POLICY.allowed_to_ban(net(target))


@pytest.mark.parametrize(
    "target",
    ["192.0.2.7/32", "192.0.2.0/24", "198.51.100.16/28", "2001:db8:bbbb::/48", "10.0.0.0/8"],
)
def test_ordinary_attackers_may_be_banned(target: str) -> None:
    assert POLICY.refusal(net(target)) is None


def test_a_wide_network_over_loopback_names_loopback() -> None:
    refusal = BanPolicy(widest=(0, 0)).refusal(net("126.0.0.0/7"))
    assert refusal == "126.0.0.0/7 contains loopback"


def test_ipv4_mapped_addresses_become_ipv4() -> None:
    assert normalize(net("::ffff:192.0.2.7/128")) == net("192.0.2.7/32")
    assert normalize(net("::ffff:192.0.2.0/120")) == net("192.0.2.0/24")
    assert normalize(net("2001:db8::/32")) == net("2001:db8::/32")


def test_entry_for_a_decision_escalates_and_expires() -> None:
    policy = BanPolicy(base=H, factor=2, max=timedelta(hours=5))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    decision = Decision(Action.BAN, net("::ffff:192.0.2.7/128"), "bruteforce")
    entry = policy.entry(decision, offences=2, now=now)
    assert entry.network == net("192.0.2.7/32")
    assert entry.expires == now + 2 * H and entry.reason == "bruteforce"
    longer = Decision(Action.BAN, net("192.0.2.7/32"), "x", duration=timedelta(days=9))
    assert policy.entry(longer, offences=1, now=now).expires == now + 5 * H


def test_own_addresses_are_read_inside_a_namespace(netns: str) -> None:
    in_ns(netns, "ip", "link", "add", "mwdummy0", "type", "veth", "peer", "mwdummy1")
    in_ns(netns, "ip", "addr", "add", "203.0.113.25/24", "dev", "mwdummy0")
    in_ns(netns, "ip", "-6", "addr", "add", "2001:db8:1::25/64", "dev", "mwdummy0", "nodad")
    found = own_addresses(netns)
    assert net("203.0.113.25/32") in found and net("2001:db8:1::25/128") in found
    assert net("127.0.0.1/32") in found
    policy = BanPolicy(own_addresses=found)
    assert policy.refusal(net("203.0.113.0/24")) is not None
    assert policy.refusal(net("203.0.113.26/32")) is None


def _reference_refusal(
    policy: BanPolicy, network: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> str | None:
    """`refusal` as it was written with `overlaps` and `subnet_of` (before it compared
    integers, to read 100,000 stored bans faster)."""
    from mailwarden.enforce.policy import RESERVED

    network = normalize(network)
    if network.prefixlen < policy.widest[0 if network.version == 4 else 1]:
        return f"{network} is wider than /{policy.widest[0 if network.version == 4 else 1]}"
    checks = [(n, why, why) for n, why in RESERVED]
    checks += [(normalize(n), f"on the allow list ({n})", f"{n}, which is on the allow list")
               for n in policy.allow]  # fmt: skip
    checks += [(normalize(n), f"an address of this host ({n})", f"an address of this host ({n})")
               for n in policy.own_addresses]  # fmt: skip
    for protected, inside, around in checks:
        if protected.version == network.version and network.overlaps(protected):
            if network.subnet_of(protected):  # type: ignore[arg-type]
                return f"{network} is {inside}"
            return f"{network} contains {around}"
    return None


def test_refusal_answers_as_overlaps_and_subnet_of_would() -> None:
    import random

    chance = random.Random(7)
    policy = BanPolicy(
        allow=[net("198.51.100.0/26"), net("2001:db8:1::/48"), net("::ffff:203.0.113.0/120")],
        own_addresses=[net("192.0.2.1/32"), net("2001:db8::1/128")],
    )
    bases = ["192.0.2.0", "198.51.100.0", "203.0.113.0", "127.0.0.0", "2001:db8::", "::ffff:0:0"]
    for _ in range(5000):
        base = ipaddress.ip_address(chance.choice(bases))
        bits = base.max_prefixlen
        length = chance.randint(bits - 40 if bits == 128 else 0, bits)
        offset = chance.getrandbits(bits - length if bits == 128 else 12) << (bits - length)
        address = (int(base) + offset) % (1 << bits)
        target = ipaddress.ip_network((address, length), strict=False)
        assert policy.refusal(target) == _reference_refusal(policy, target), target
    assert normalize(net("::ffff:192.0.2.0/120")) == net("192.0.2.0/24")
    assert normalize(net("::fffe:c000:200/120")) == net("::fffe:c000:200/120")
    assert normalize(net("::/95")) == net("::/95")  # holds the mapped range: not inside it
