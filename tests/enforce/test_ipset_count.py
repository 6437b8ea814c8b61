"""What the ipset backend counts on to notice a set emptied by hand, without ipset."""

from __future__ import annotations

import ipaddress
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from mailwarden.enforce.ipset import IpsetEnforcer, SetHeader, _Loaded, parse_terse
from mailwarden.model import BanEntry

TERSE = """\
Name: mailwarden4
Type: hash:net
Revision: 7
Header: family inet hashsize 1024 maxelem 262144 timeout 600 bucketsize 12 initval 0x1
Size in memory: 648
References: 1
Number of entries: 3

Name: theirs
Type: hash:ip
Revision: 6
Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x2
Size in memory: 216
References: 0
Number of entries: 0
"""


def test_the_terse_listing_gives_each_sets_type_and_count() -> None:
    sets = parse_terse(TERSE)
    assert sets == {
        "mailwarden4": SetHeader(
            "hash:net",
            "family inet hashsize 1024 maxelem 262144 timeout 600 bucketsize 12 initval 0x1",
            3,
        ),
        "theirs": SetHeader(
            "hash:ip", "family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x2", 0
        ),
    }
    assert parse_terse("") == {}
    # An older ipset (or kernel) gives no count: the set is there, its count unknown.
    assert parse_terse("Name: old\nType: hash:net\n") == {"old": SetHeader("hash:net", "", None)}


def test_loaded_networks_are_counted_refreshed_removed_and_forgotten_as_they_end() -> None:
    loaded = _Loaded([("192.0.2.1/32", 10.0), ("192.0.2.2/32", 20.0), ("192.0.2.3/32", 30.0)])
    loaded.load("192.0.2.1/32", 40.0)  # a refresh: the same entry, a later end
    loaded.load("192.0.2.4/32", 15.0)
    assert len(loaded) == 4
    loaded.unload("192.0.2.2/32")
    loaded.unload("192.0.2.9/32")  # never loaded: nothing happens
    assert sorted(loaded.networks) == ["192.0.2.1/32", "192.0.2.3/32", "192.0.2.4/32"]
    loaded.forget_ending(15.0)  # 192.0.2.1's first end is past, not its refreshed one
    assert sorted(loaded.networks) == ["192.0.2.1/32", "192.0.2.3/32"]
    assert loaded.index == {network: n for n, network in enumerate(loaded.networks)}
    loaded.forget_ending(35.0)
    assert loaded.networks == ["192.0.2.1/32"] and loaded.index == {"192.0.2.1/32": 0}
    loaded.forget_ending(40.0)
    assert len(loaded) == 0 and loaded.heap == []


@pytest.mark.parametrize("in_set", [True, False])
def test_a_listing_without_counts_is_no_missing_set(
    monkeypatch: pytest.MonkeyPatch, in_set: bool
) -> None:
    # An ipset that prints no "Number of entries": the sets are there, not gone (a
    # restore every second, for ever, was the result); the random lookup still tells
    # whether the bans are in them.
    terse = "".join(
        f"Name: mailwarden{v}\nType: hash:net\nHeader: family {f} timeout 600\n\n"
        for v, f in ((4, "inet"), (6, "inet6"))
    )

    def fake_run(
        argv: list[str], stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if argv[1:] == ["list", "-t"]:
            return subprocess.CompletedProcess(argv, 0, terse, "")
        if argv[1] == "test" and not in_set:
            return subprocess.CompletedProcess(argv, 1, "", f"{argv[3]} is NOT in set {argv[2]}.")
        return subprocess.CompletedProcess(argv, 0, "-A MAILWARDEN -j DROP\n", "")

    enforcer = IpsetEnforcer(ports=[])
    monkeypatch.setattr(enforcer, "_run", fake_run)
    until = datetime.now(UTC) + timedelta(hours=1)
    enforcer.sync([BanEntry(ipaddress.ip_network("192.0.2.7/32"), until, "guessing")])
    assert enforcer.gone() is not in_set
    assert enforcer.present() is in_set
