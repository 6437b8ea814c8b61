"""What the ipset backend counts on to notice a set emptied by hand, without ipset."""

from __future__ import annotations

from mailwarden.enforce.ipset import SetHeader, _Loaded, parse_terse

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
    assert parse_terse("Name: cut short\nType: hash:net\n") == {}  # no count: not trusted


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
