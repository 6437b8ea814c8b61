"""What every store does, SQLite and PostgreSQL alike."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from mailwarden.enforce.interface import BanEntry
from mailwarden.errors import StoreError
from mailwarden.store.interface import BanChanges, BanState, Source, Store

net = ipaddress.ip_network
Opener = Callable[[], Store]
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def ban(
    store: Store, network: str, hours: float = 1, at: datetime = T0, reason: str = "bruteforce"
) -> int:
    entry = BanEntry(net(network), at + timedelta(hours=hours), reason)
    return store.record_ban(entry, evidence="12 failures", source="auto", now=at).id


def test_a_recorded_ban_is_active_until_it_ends(store: Store) -> None:
    row = store.record_ban(
        BanEntry(net("192.0.2.7/32"), T0 + H, "bruteforce"), "evidence", Source.MANUAL, now=T0
    )
    assert (row.network, row.since, row.until) == (net("192.0.2.7/32"), T0, T0 + H)
    assert (row.state, row.source, row.offences, row.ended) == (
        BanState.ACTIVE,
        Source.MANUAL,
        1,
        None,
    )
    assert row.entry() == BanEntry(net("192.0.2.7/32"), T0 + H, "bruteforce", manual=True)
    assert [r.id for r in store.active_bans(T0 + H / 2)] == [row.id]
    assert store.active_bans(T0 + H) == []  # over, even before expire() marks it


def test_ipv6_and_networks_round_trip(store: Store) -> None:
    for network in ("2001:db8::66/128", "2001:db8:1::/48", "198.51.100.0/24"):
        ban(store, network)
    assert {r.network for r in store.active_bans(T0)} == {
        net("2001:db8::66/128"),
        net("2001:db8:1::/48"),
        net("198.51.100.0/24"),
    }


def test_banning_again_supersedes_and_never_shortens(store: Store) -> None:
    first = ban(store, "192.0.2.7/32", hours=10)
    second = store.record_ban(
        BanEntry(net("192.0.2.7/32"), T0 + 2 * H, "again"), "more", now=T0 + H
    )
    assert second.until == T0 + 10 * H and second.offences == 2
    active = store.active_bans(T0 + H)
    assert [r.id for r in active] == [second.id]
    old = store.history(network=net("192.0.2.7/32"))[1]
    assert (old.id, old.state, old.ended) == (first, BanState.SUPERSEDED, T0 + H)
    longer = store.record_ban(BanEntry(net("192.0.2.7/32"), T0 + 20 * H, "x"), "", now=T0 + H)
    assert longer.until == T0 + 20 * H


def test_extending_a_ban_in_force_keeps_its_row_offence_and_reason(store: Store) -> None:
    first = ban(store, "192.0.2.7/32", hours=2)
    seen = store.revision()
    row = store.extend_ban(net("192.0.2.7/32"), T0 + 10 * H, now=T0 + H)
    assert row is not None and (row.id, row.offences, row.reason) == (first, 1, "bruteforce")
    assert row.until == T0 + 10 * H and store.revision() != seen
    assert store.offences(net("192.0.2.7/32")) == 1
    shorter = store.extend_ban(net("192.0.2.7/32"), T0 + 3 * H, "phishing kit", now=T0 + H)
    assert shorter is not None and (shorter.until, shorter.reason) == (T0 + 10 * H, "phishing kit")
    assert [r.id for r in store.history()] == [first]
    # none in force: nothing to extend (the caller records a new ban)
    assert store.extend_ban(net("192.0.2.7/32"), T0 + 20 * H, now=T0 + 11 * H) is None
    assert store.extend_ban(net("192.0.2.0/24"), T0 + 20 * H, now=T0) is None
    store.lift_ban(net("192.0.2.7/32"), "by hand", now=T0 + 2 * H)
    assert store.extend_ban(net("192.0.2.7/32"), T0 + 20 * H, now=T0 + 2 * H) is None


def test_an_admins_ban_of_an_automatic_ban_in_force_makes_it_manual(store: Store) -> None:
    """``mailwarden ban`` of an address the daemon banned: the same row and offence,
    now the admin's (first at ``max_bans``); a daemon's ban joining an admin's leaves it
    manual, and `extend_ban` without a source keeps the one it has."""
    first = ban(store, "192.0.2.7/32", hours=2)
    row = store.extend_ban(net("192.0.2.7/32"), T0 + 3 * H, now=T0 + H)
    assert row is not None and row.source == Source.AUTO
    seen = store.revision()
    row = store.extend_ban(net("192.0.2.7/32"), T0 + 3 * H, None, T0 + H, Source.MANUAL)
    assert row is not None and (row.id, row.offences, row.source) == (first, 1, Source.MANUAL)
    assert row.entry().manual and store.revision() != seen
    assert store.extend_ban(net("192.0.2.7/32"), T0 + 4 * H, now=T0 + H).source == Source.MANUAL  # type: ignore[union-attr]

    # record_offence joining a ban in force (the race `mailwarden ban` loses)
    second = ban(store, "192.0.2.8/32", hours=2)
    entry = BanEntry(net("192.0.2.8/32"), T0 + H, "by hand")
    seen = store.revision()
    joined, new = store.record_offence(entry, "{}", Source.MANUAL, now=T0 + H / 2)
    assert not new and (joined.id, joined.offences, joined.source) == (second, 1, Source.MANUAL)
    assert joined.until == T0 + 2 * H and store.revision() != seen  # the daemon rereads it
    joined, new = store.record_offence(entry, "{}", Source.AUTO, now=T0 + H / 2)
    assert not new and joined.source == Source.MANUAL
    assert [r.source for r in store.active_bans(T0 + H)] == [Source.MANUAL, Source.MANUAL]


def test_an_offence_recorded_twice_at_once_is_one_offence(open_store: Opener) -> None:
    """Two hosts of a fleet ban one attacker in the same second: the second joins the
    first's ban (longest end kept) instead of counting a second offence."""
    mxa, mxb = open_store(), open_store()
    past = mxa.record_ban(BanEntry(net("192.0.2.77/32"), T0 - H, "old"), "e", now=T0 - 2 * H)
    assert past.offences == 1
    mxa.expire(T0)

    def ends(n: int) -> datetime:
        return T0 + n * H  # the policy: one hour more for each offence

    entry = BanEntry(net("192.0.2.77/32"), T0 + H, "bruteforce")
    first, new = mxa.record_offence(entry, "at mxa", Source.AUTO, T0, ends=ends)
    assert new and (first.offences, first.until) == (2, T0 + 2 * H)
    second, new = mxb.record_offence(entry, "at mxb", Source.AUTO, T0, ends=ends)
    assert not new and second.id == first.id
    assert (second.offences, second.until, second.evidence) == (2, T0 + 2 * H, "at mxa")
    assert mxb.offences(net("192.0.2.77/32")) == 2
    # A longer end is kept (in place); a shorter one changes nothing.
    longer = BanEntry(net("192.0.2.77/32"), T0 + 5 * H, "bruteforce")
    third, new = mxb.record_offence(longer, "x", Source.MANUAL, T0 + H)
    assert not new and (third.id, third.until, third.reason) == (first.id, T0 + 5 * H, "bruteforce")
    fourth, new = mxa.record_offence(
        BanEntry(net("192.0.2.77/32"), T0 + 2 * H, "x"), "x", Source.AUTO, T0 + H
    )
    assert not new and fourth.until == T0 + 5 * H
    assert [r.id for r in mxa.active_bans(T0 + H)] == [first.id]
    # Once it ended, the next one is a new offence.
    later = BanEntry(net("192.0.2.77/32"), T0 + 7 * H, "bruteforce")
    fifth, new = mxa.record_offence(later, "x", Source.AUTO, T0 + 6 * H)
    assert new and fifth.offences == 3


def test_an_offence_joining_a_ban_in_force_may_give_it_its_reason(open_store: Opener) -> None:
    """``mailwarden ban --reason`` that joins a ban another host recorded a moment ago:
    the ban in force took the reason given only when it was there before the command
    looked; joined, it kept its own."""
    mxa, mxb = open_store(), open_store()
    entry = BanEntry(net("192.0.2.78/32"), T0 + 2 * H, "bruteforce")
    first, _ = mxa.record_offence(entry, "e", now=T0)
    seen = mxb.revision()
    shorter = BanEntry(net("192.0.2.78/32"), T0 + H, "phishing kit")
    joined, new = mxb.record_offence(shorter, "by hand", Source.MANUAL, T0, replace_reason=True)
    assert not new and (joined.id, joined.until, joined.offences) == (first.id, T0 + 2 * H, 1)
    assert joined.reason == "phishing kit" and mxb.revision() != seen
    kept, new = mxa.record_offence(BanEntry(net("192.0.2.78/32"), T0 + H, "x"), "e", now=T0)
    assert not new and kept.reason == "phishing kit"
    (row,) = mxa.active_bans(T0)
    assert (row.id, row.reason, row.until) == (first.id, "phishing kit", T0 + 2 * H)


def test_offences_recorded_at_once_by_many_count_once(open_store: Opener) -> None:
    import threading

    stores = [open_store() for _ in range(8)]
    now = datetime.now(UTC)
    results: list[tuple[int, bool]] = []
    start = threading.Barrier(len(stores))

    def record(store: Store, hours: int) -> None:
        start.wait()
        entry = BanEntry(net("198.51.100.9/32"), now + hours * H, "bruteforce")
        row, new = store.record_offence(entry, "e", Source.AUTO, now)
        results.append((row.offences, new))

    threads = [
        threading.Thread(target=record, args=(store, n + 1)) for n, store in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(1, False)] * 7 + [(1, True)]
    rows = stores[0].history(network=net("198.51.100.9/32"))
    assert len(rows) == 1 and rows[0].offences == 1
    assert rows[0].until == rows[0].since + 8 * H  # the longest kept


def test_lift_ends_exactly_that_ban(store: Store) -> None:
    ban(store, "192.0.2.0/24")
    ban(store, "192.0.2.7/32")
    assert store.lift_ban(net("192.0.2.7/32"), "false positive", now=T0 + H / 4)
    assert not store.lift_ban(net("192.0.2.7/32"), "again", now=T0 + H / 4)
    assert not store.lift_ban(net("203.0.113.1/32"), "never banned")
    assert [r.network for r in store.active_bans(T0)] == [net("192.0.2.0/24")]
    lifted = store.history(network=net("192.0.2.7/32"))[0]
    assert (lifted.state, lifted.end_reason, lifted.ended) == (
        BanState.LIFTED,
        "false positive",
        T0 + H / 4,
    )


def test_covering_bans_are_the_wider_bans_in_force_that_hold_a_network(store: Store) -> None:
    """What ``mailwarden unban`` names as still blocking what it lifted: the active bans
    of wider networks holding it, oldest first; not the network's own ban, nor a lifted,
    ended or neighbouring one, nor one of the other IP version."""
    ban(store, "192.0.2.0/28")
    ban(store, "192.0.2.0/24")
    ban(store, "192.0.2.0/25")
    ban(store, "192.0.2.0/26", hours=0.25)  # over at T0 + H/2
    ban(store, "192.0.2.7/32")
    ban(store, "192.0.2.128/25")
    ban(store, "198.51.100.0/24")
    ban(store, "2001:db8::/48")
    ban(store, "2001:db8::/32")
    ban(store, "2001:db8:1::/48")
    store.lift_ban(net("192.0.2.0/25"), "by hand", now=T0)
    later = T0 + H / 2

    def covering(network: str) -> list[str]:
        return [str(r.network) for r in store.covering_bans(net(network), later)]

    assert covering("192.0.2.7/32") == ["192.0.2.0/28", "192.0.2.0/24"]
    assert covering("192.0.2.0/24") == []
    assert covering("192.0.2.0/28") == ["192.0.2.0/24"]
    assert covering("192.0.2.200/32") == ["192.0.2.0/24", "192.0.2.128/25"]
    assert covering("203.0.113.5/32") == []
    assert covering("2001:db8::7/128") == ["2001:db8::/48", "2001:db8::/32"]
    assert covering("2001:db8:1:2::/64") == ["2001:db8::/32", "2001:db8:1::/48"]
    assert covering("0.0.0.0/0") == covering("::/0") == []
    assert store.covering_bans(net("192.0.2.7/32"), T0 + 2 * H) == []  # all over

    ban(store, "0.0.0.0/0")  # the whole IPv4 Internet
    assert covering("192.0.2.7/32") == ["192.0.2.0/28", "192.0.2.0/24", "0.0.0.0/0"]
    assert covering("2001:db8::7/128") == ["2001:db8::/48", "2001:db8::/32"]


def test_lasting_bans_are_a_networks_own_in_force_or_later_and_wider_ones_in_force(
    store: Store,
) -> None:
    """What may have answered failures at a moment (a restart does not ban for them
    again), newest first: the network's own bans in force then or begun later (that
    attack's own ban), and a wider one holding it in force then, of any state; not one
    that ended before, a wider one begun after the moment, a neighbour's, or a narrower
    one."""
    ban(store, "192.0.2.0/25", hours=0.5)  # over at T0 + H/2
    ban(store, "192.0.2.128/25", hours=3)
    ban(store, "192.0.2.7/32", hours=0.25, at=T0 + 2 * H)
    ban(store, "192.0.2.0/24", hours=1, at=T0 + 4 * H)
    store.lift_ban(net("192.0.2.0/24"), "by hand", now=T0 + 4 * H + H / 4)

    def lasting(network: str, moment: datetime, end: datetime | None = None) -> list[str]:
        rows = store.lasting_bans(net(network), moment, moment if end is None else end)
        return [str(row.network) for row in rows]

    assert lasting("192.0.2.90/32", T0 + H / 4) == ["192.0.2.0/25"]  # not the later /24
    assert lasting("192.0.2.7/32", T0 + H) == ["192.0.2.7/32"]  # its own, begun later
    assert lasting("192.0.2.7/32", T0 + 2 * H + H / 8) == ["192.0.2.7/32"]
    assert lasting("192.0.2.7/32", T0 + 4 * H + H / 8) == ["192.0.2.0/24"]
    assert lasting("192.0.2.90/32", T0 + 4 * H + H / 2) == []  # lifted before
    assert lasting("192.0.2.200/32", T0 + 2 * H) == ["192.0.2.128/25"]
    assert lasting("192.0.2.200/32", T0 + 4 * H) == ["192.0.2.0/24"]  # the /25 is over
    assert lasting("192.0.2.200/32", T0 - H) == []  # every wider one began after
    assert lasting("192.0.2.90/32", T0 + 4 * H - H / 8, T0 + 4 * H) == ["192.0.2.0/24"]
    assert lasting("192.0.2.0/23", T0) == []  # narrower bans only
    assert lasting("198.51.100.1/32", T0) == []
    assert lasting("2001:db8::1/128", T0) == []
    store.lift_ban(net("192.0.2.128/25"), "by hand", now=T0 + H)
    assert lasting("192.0.2.200/32", T0 + 5 * H) == []


def test_inside_bans_are_the_narrower_bans_in_force_that_a_network_holds(store: Store) -> None:
    """What ``mailwarden unban`` of a network names as left in force inside it (and
    lifts with ``--inside``): the active bans of narrower networks it holds, oldest
    first; not its own ban, nor a lifted, ended or neighbouring one (one whose text
    merely starts alike included), nor one of the other IP version."""
    ban(store, "203.0.113.9/32")
    ban(store, "203.0.113.0/24")
    ban(store, "203.0.113.20/32")
    ban(store, "203.0.113.64/26")
    ban(store, "203.0.113.30/32", hours=0.25)  # over at T0 + H/2
    ban(store, "203.0.113.40/32")
    ban(store, "203.0.112.5/32")  # the /24 beside it
    ban(store, "203.0.11.5/32")  # starts with the same text as 203.0.113.
    ban(store, "198.51.100.7/32")
    ban(store, "2001:db8::7/128")
    ban(store, "2001:db8:1::/48")
    ban(store, "2001:db80::1/128")  # starts with the same text as 2001:db8
    ban(store, "::ffff:203.0.113.9/128")  # IPv4-mapped: another version
    store.lift_ban(net("203.0.113.40/32"), "by hand", now=T0)
    later = T0 + H / 2

    def inside(network: str) -> list[str]:
        return [str(r.network) for r in store.inside_bans(net(network), later)]

    assert inside("203.0.113.0/24") == ["203.0.113.9/32", "203.0.113.20/32", "203.0.113.64/26"]
    assert inside("203.0.113.64/26") == []
    assert inside("203.0.113.9/32") == []
    assert inside("203.0.112.0/23") == [
        "203.0.113.9/32",
        "203.0.113.0/24",
        "203.0.113.20/32",
        "203.0.113.64/26",
        "203.0.112.5/32",
    ]
    assert inside("203.0.0.0/16") == [*inside("203.0.112.0/23"), "203.0.11.5/32"]
    assert inside("203.0.0.0/20") == ["203.0.11.5/32"]
    assert inside("198.0.0.0/7") == ["198.51.100.7/32"]  # no whole octet
    assert len(inside("0.0.0.0/0")) == 7
    assert inside("2001:db8::/32") == ["2001:db8::7/128", "2001:db8:1::/48"]
    assert inside("2001:db8::/64") == ["2001:db8::7/128"]
    assert [net(n) for n in inside("::/0")] == [
        net("2001:db8::7/128"),
        net("2001:db8:1::/48"),
        net("2001:db80::1/128"),
        net("::ffff:203.0.113.9/128"),
    ]
    assert store.inside_bans(net("203.0.113.0/24"), T0 + 2 * H) == []  # all over


def test_lifted_lists_the_bans_lifted_since_a_time_in_the_order_lifted(store: Store) -> None:
    ban(store, "192.0.2.7/32")
    ban(store, "192.0.2.0/24")
    ban(store, "2001:db8::/64")
    ban(store, "203.0.113.5/32", hours=0.5)
    store.lift_ban(net("2001:db8::/64"), "by hand", now=T0 + H / 6)
    store.lift_ban(net("192.0.2.0/24"), "by hand", now=T0 + H / 3)
    store.lift_ban(net("192.0.2.7/32"), "by hand", now=T0 + H / 12)
    store.expire(T0 + H)  # expired, not lifted

    assert [(r.network, r.ended) for r in store.lifted(T0 + H / 6)] == [
        (net("2001:db8::/64"), T0 + H / 6),
        (net("192.0.2.0/24"), T0 + H / 3),
    ]
    assert len(store.lifted(T0)) == 3 and store.lifted(T0 + H) == []


def test_expire_reports_each_ended_ban_once(store: Store) -> None:
    ban(store, "192.0.2.7/32", hours=1)
    ban(store, "2001:db8::/32", hours=2)
    ban(store, "203.0.113.5/32", hours=3)
    assert store.expire(T0 + H / 2) == []
    assert set(store.expire(T0 + 2 * H)) == {net("192.0.2.7/32"), net("2001:db8::/32")}
    assert store.expire(T0 + 2 * H) == []
    expired = store.history(network=net("192.0.2.7/32"))[0]
    assert (expired.state, expired.ended) == (BanState.EXPIRED, T0 + H)
    assert [r.network for r in store.active_bans(T0 + 2 * H)] == [net("203.0.113.5/32")]


def test_repeat_offences_are_counted(store: Store) -> None:
    target = net("192.0.2.7/32")
    assert store.offences(target) == 0
    ban(store, "192.0.2.7/32", at=T0)
    ban(store, "192.0.2.7/32", at=T0 + 30 * H)
    row = store.record_ban(BanEntry(target, T0 + 61 * H, "x"), "", now=T0 + 60 * H)
    assert row.offences == 3
    assert store.offences(target) == 3
    assert store.offences(target, since=T0 + 24 * H) == 2
    assert store.offences(net("192.0.2.0/24")) == 0


def test_history_is_newest_first_and_limited(store: Store) -> None:
    ids = [ban(store, f"198.51.100.{i}/32", at=T0 + i * H) for i in range(5)]
    assert [r.id for r in store.history(limit=3)] == ids[::-1][:3]


def test_prune_forgets_old_ended_bans_only(store: Store) -> None:
    ban(store, "192.0.2.1/32", hours=1)
    ban(store, "192.0.2.2/32", hours=100)
    store.expire(T0 + 2 * H)
    assert store.prune(T0 + 3 * H) == 1
    assert [r.network for r in store.history()] == [net("192.0.2.2/32")]
    assert store.offences(net("192.0.2.1/32")) == 0


def test_revision_grows_with_ban_changes_only(store: Store) -> None:
    start = store.revision()
    ban(store, "192.0.2.7/32")
    after_ban = store.revision()
    assert after_ban > start
    store.set_position("/var/log/mail.log", {"inode": 5, "offset": 10})
    assert store.revision() == after_ban
    assert not store.lift_ban(net("203.0.113.1/32"), "none")
    assert store.expire(T0) == []
    assert store.revision() == after_ban
    store.lift_ban(net("192.0.2.7/32"), "ok")
    assert store.revision() > after_ban


def test_another_process_sees_changes_through_the_revision(open_store: Opener) -> None:
    daemon, command = open_store(), open_store()
    seen = daemon.revision()
    ban(command, "192.0.2.7/32")  # `mailwarden ban` in another process
    assert daemon.revision() != seen
    assert [r.network for r in daemon.active_bans(T0)] == [net("192.0.2.7/32")]


def test_the_revision_tells_own_changes_from_another_processes(open_store: Opener) -> None:
    """The daemon reads every active ban back only when someone else changed them: with
    tens of thousands of bans, reading them back after each of its own was the cost."""
    daemon, command = open_store(), open_store()
    seen = daemon.revision()
    ban(daemon, "192.0.2.7/32")
    ban(daemon, "192.0.2.8/32")
    daemon.lift_ban(net("192.0.2.8/32"), "ok")
    now = daemon.revision()
    assert daemon.only_own_changes(seen, now)

    ban(daemon, "192.0.2.9/32")
    ban(command, "198.51.100.1/32")  # `mailwarden ban` in between
    ban(daemon, "192.0.2.10/32")
    assert not daemon.only_own_changes(now, daemon.revision())
    assert not command.only_own_changes(now, command.revision())


def test_changed_bans_tells_what_another_process_changed_since_a_revision(
    open_store: Opener,
) -> None:
    """After one ``mailwarden ban`` the daemon read back every active ban (9 s with
    100,000): the store now says which networks changed since a revision, and their
    bans in force, reading only those rows."""
    daemon, command = open_store(), open_store()
    ban(daemon, "192.0.2.7/32", hours=5)
    ban(daemon, "192.0.2.8/32", hours=5)
    ban(daemon, "192.0.2.9/32", hours=0.5)
    seen = daemon.revision()
    assert daemon.changed_bans(seen, T0) == BanChanges(frozenset(), [])

    ban(command, "198.51.100.0/24", hours=2)
    assert command.lift_ban(net("192.0.2.7/32"), "ok", now=T0)
    assert command.extend_ban(net("192.0.2.8/32"), T0 + 9 * H, now=T0) is not None
    found = daemon.changed_bans(seen, T0)
    assert found.networks == {net("198.51.100.0/24"), net("192.0.2.7/32"), net("192.0.2.8/32")}
    assert [(str(row.network), row.until) for row in found.active] == [
        ("192.0.2.8/32", T0 + 9 * H),
        ("198.51.100.0/24", T0 + 2 * H),
    ]

    later = daemon.revision()
    ban(command, "198.51.100.0/24", hours=1, at=T0 + H)  # again: supersedes its ban
    assert daemon.expire(T0 + H) == [net("192.0.2.9/32")]
    found = daemon.changed_bans(later, T0 + H)
    assert found.networks == {net("198.51.100.0/24"), net("192.0.2.9/32")}
    assert [(str(row.network), row.offences) for row in found.active] == [("198.51.100.0/24", 2)]
    assert daemon.changed_bans(daemon.revision(), T0 + H).networks == frozenset()
    # A ban whose time is up is changed (by nobody) but no longer in force.
    assert daemon.changed_bans(seen, T0 + 10 * H).active == []


def test_positions_round_trip(store: Store) -> None:
    assert store.get_position("journal") is None
    cursor = "s=0f1e;i=2a;b=9c;m=1;t=5;x=ff"
    store.set_position("journal", cursor)
    value = {"inode": 1234, "offset": 98765, "fingerprint": "ab" * 16, "rotated": [1, None]}
    store.set_position("/var/log/mail.log", value)
    store.set_position("/var/log/mail.log", {**value, "offset": 99999})
    assert store.get_position("journal") == cursor
    assert store.get_position("/var/log/mail.log") == {**value, "offset": 99999}
    assert store.positions() == {"/var/log/mail.log": {**value, "offset": 99999}, "journal": cursor}


def test_hostile_text_is_kept_verbatim(store: Store) -> None:
    text = "x'); DROP TABLE bans; --\n\x00\u202e用户"
    row = store.record_ban(BanEntry(net("192.0.2.7/32"), T0 + H, text), text, now=T0)
    again = store.history()[0]
    kept = text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
    assert (again.reason, again.evidence) == (kept, kept) == (row.reason, row.evidence)
    assert len(store.active_bans(T0)) == 1


def test_bad_times_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="ends before it starts"):
        store.record_ban(BanEntry(net("192.0.2.7/32"), T0, "x"), "", now=T0 + H)
    with pytest.raises(ValueError, match="aware"):
        store.active_bans(datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        store.record_ban(BanEntry(net("192.0.2.7/32"), T0 + H, "x"), "", source="robot")


def test_defaults_use_the_clock(store: Store) -> None:
    now = datetime.now(UTC)
    row = store.record_ban(BanEntry(net("192.0.2.7/32"), now + H, "x"), "")
    assert abs((row.since - now).total_seconds()) < 5
    assert [r.id for r in store.active_bans()] == [row.id]
    assert store.expire() == []
    assert store.lift_ban(net("192.0.2.7/32"), "done")
