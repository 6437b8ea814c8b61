"""The daemon at the edges an administrator meets: a line read before its writer finished
it, the old file written after a rename (before rsyslog reopens), an address put on the
allow list while it is banned, a log file that does not exist. Driven step by step with
the dry-run backend."""

from __future__ import annotations

import ipaddress
import logging
import time

import pytest
from wardenlab import ATTACKER, Warden, append, banned, guesses

from mailwarden.daemon.wiring import describe
from mailwarden.errors import EnforceError, StoreError

ATTACKER_NET = ipaddress.ip_network(ATTACKER)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def write_half(warden: Warden, text: str) -> None:
    with warden.log.open("a", encoding="utf-8") as out:
        out.write(text)


def test_a_line_without_its_newline_waits_for_it(warden: Warden) -> None:
    daemon = warden.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(warden.log, three[:2])
    last = three[2]
    write_half(warden, last[:70])  # Postfix's write is not there in full yet
    daemon.step()
    daemon.step()
    assert daemon.counters.records == 2 and banned(daemon) == set()

    write_half(warden, last[70:] + "\n")
    daemon.step()
    assert daemon.counters.records == 3
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert daemon.store.active_bans()[0].evidence.count("sasl_username=sales") == 1


def test_a_half_line_at_a_restart_is_read_once_whole(warden: Warden) -> None:
    first = warden.start()
    three = guesses()  # one attack's stamps, however long the restart takes
    append(warden.log, three[:2])
    last = three[2]
    write_half(warden, last[:70])
    first.step()
    first.close()

    write_half(warden, last[70:] + "\n")
    second = warden.start()
    second.step()
    assert second.counters.records == 1  # the whole line, once
    assert banned(second) == {f"{ATTACKER}/32"}
    assert second.counters.line_errors == 0


def test_lines_written_to_the_old_file_after_a_rename_are_read(warden: Warden) -> None:
    daemon = warden.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(warden.log, three[:1])
    daemon.step()
    old = warden.log.with_name("mail.log.1")
    with warden.log.open("a", encoding="utf-8") as writer:  # rsyslog's open file
        warden.log.rename(old)
        warden.log.touch()  # logrotate's "create"
        daemon.step()
        writer.write(three[1] + "\n")  # before rsyslog is told to reopen
    daemon.step()
    append(warden.log, three[2])
    daemon.step()

    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert daemon.counters.records == 3


def test_putting_a_banned_address_on_the_allow_list_lifts_its_ban_at_the_reload(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    assert ATTACKER_NET in daemon.applied

    warden.sections["policy"]["allow"] = ["203.0.113.0/24"]
    warden.write()
    daemon.reload()

    assert ATTACKER_NET not in daemon.applied
    said = messages(caplog)
    assert f"would unban {ATTACKER}/32" in said
    assert (
        f"unban {ATTACKER}/32: lifted at reload: {ATTACKER}/32 is on the allow list "
        "(203.0.113.0/24)" in said
    )
    assert banned(daemon) == set()  # lifted in the store, not only kept from the firewall


def test_an_address_that_becomes_this_hosts_own_is_unbanned(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    addresses = [ipaddress.ip_network("192.0.2.1")]
    daemon = warden.start(own=addresses)  # asks the list again at every refresh
    append(warden.log, guesses())
    daemon.step()
    assert ATTACKER_NET in daemon.applied

    addresses.append(ATTACKER_NET)  # a failover address moved to this host
    daemon._due["own"] = 0
    daemon.step()

    assert ATTACKER_NET not in daemon.applied
    assert f"would unban {ATTACKER}/32" in messages(caplog)


def test_a_log_file_that_is_not_there_is_said_at_start(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    warden.log.unlink()
    caplog.set_level(logging.WARNING, logger="mailwarden")
    warden.start()

    (line,) = [m for m in messages(caplog) if "does not exist" in m]
    assert line.startswith(f"{warden.log} does not exist (yet): it is read from its start")
    assert "journal = true" in line


def test_a_store_that_keeps_failing_is_said_once_not_at_every_step(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = warden.start()

    def locked() -> int:
        raise StoreError("the store is locked: database is locked")

    monkeypatch.setattr(daemon.store, "revision", locked)
    for _ in range(50):  # the revision is polled at every step (20 a second)
        daemon.step()

    said = [m for m in messages(caplog) if m.startswith("store: ")]
    assert said == ["store: the store is locked: database is locked (1 store error(s) so far)"]
    assert daemon.counters.store_errors == 50


def test_a_slow_firewall_check_runs_less_often(
    warden: Warden, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nft 1.0 loads the whole set to check our table: with 100,000 bans a check took
    over a second, and checking every second kept a core busy. A check that takes long
    is run at most a tenth of the time; a quick one still every second."""
    daemon = warden.start()
    checks: list[float] = []

    def slow() -> bool:
        checks.append(time.monotonic())
        time.sleep(0.3)
        return True

    monkeypatch.setattr(daemon.enforcer, "present", slow)
    daemon._due["present"] = 0
    started = time.monotonic()
    daemon.step()
    assert len(checks) == 1
    assert daemon._due["present"] - started >= 2.9  # 0.3 s of checking: every 3 s

    monkeypatch.setattr(daemon.enforcer, "present", lambda: checks.append(0) or True)
    daemon._due["present"] = 0
    started = time.monotonic()
    daemon.step()
    assert len(checks) == 2
    assert daemon._due["present"] - started <= 1.1  # a quick check: every second


def test_a_table_gone_between_slow_checks_is_restored_at_once_from_what_the_daemon_holds(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 100,000 bans the full check took 7-13 s and ran about once a minute: a
    flushed ruleset stayed flushed until then (74 s measured), and the restore read
    every ban from the store again (12.6 s). A quick look runs every second in between,
    and the bans put back are those the daemon holds."""
    append(warden.log, guesses())
    daemon = warden.start()
    daemon.step()
    assert ATTACKER_NET in daemon.applied
    state = {"there": True}
    synced: list[list[str]] = []

    def slow() -> bool:
        time.sleep(0.3)
        return state["there"]

    def sync(active: list[object]) -> None:
        synced.append(sorted(str(getattr(entry, "network", "")) for entry in active))

    def no_store_read(now: object = None) -> list[object]:
        raise AssertionError("the restore read the store")

    monkeypatch.setattr(daemon.enforcer, "present", slow)
    monkeypatch.setattr(daemon.enforcer, "gone", lambda: not state["there"], raising=False)
    monkeypatch.setattr(daemon.enforcer, "sync", sync)
    daemon._due["present"] = 0
    daemon.step()  # the slow full check: the next one in 3 s
    assert daemon._due["present"] - time.monotonic() > 2

    state["there"] = False  # nft flush ruleset
    monkeypatch.setattr(daemon.store, "active_bans", no_store_read)
    time.sleep(1.05)
    daemon.step()
    assert synced == [[f"{ATTACKER}/32"]]
    assert "firewall: restored with 1 active ban(s)" in messages(caplog)


def test_a_hanging_quick_look_neither_stalls_the_daemon_nor_floods_the_log(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An nft that hangs until its 30 s timeout was asked every second whether our
    table was gone: the daemon spent nearly all its time waiting and said nothing. It
    is now asked at most a tenth of the time, and a failure is said once until the look
    works again."""
    daemon = warden.start()
    daemon.step()
    where = describe(daemon.config)
    calls: list[float] = []
    works = {"now": False}

    def hanging_gone() -> bool:
        calls.append(time.monotonic())
        if works["now"]:
            return False
        time.sleep(0.5)  # stands for the 30 s timeout
        raise EnforceError("nft: no answer after 30 s")

    monkeypatch.setattr(daemon.enforcer, "gone", hanging_gone, raising=False)
    monkeypatch.setattr(daemon.enforcer, "present", lambda: True)
    started = time.monotonic()
    daemon._due["present"] = started + 1000  # the full check is not due
    daemon._due["gone"] = 0
    while time.monotonic() - started < 3:
        daemon.step()
    assert len(calls) == 1  # 0.5 s waiting: the next look in 5 s, not every second
    warned = [m for m in messages(caplog) if "cannot look whether" in m]
    assert warned == [
        f"firewall: cannot look whether {where} is still there: nft: no answer after "
        "30 s; asking less often while it fails or is slow"
    ]
    daemon._due["gone"] = 0
    daemon.step()
    assert len(calls) == 2 and len(warned) == 1  # said once
    works["now"] = True
    daemon._due["gone"] = 0
    daemon.step()
    assert f"firewall: the quick look for {where} works again" in messages(caplog)
    assert daemon._due["gone"] - time.monotonic() <= 1.1  # a quick look: every second


def test_a_firewall_that_cannot_be_listed_is_said_so_not_restored(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nft failing to list our table (no permission, netlink refused) was logged as
    "missing or was changed; restoring it", and the table written again. It is said as
    what it is, nothing is written, and the daemon says when the check works again."""
    daemon = warden.start()
    state = {"fails": True}
    synced: list[object] = []

    def present() -> bool:
        if state["fails"]:
            raise EnforceError("nft: Error: cache initialization failed: Operation not permitted")
        return True

    monkeypatch.setattr(daemon.enforcer, "present", present)
    monkeypatch.setattr(daemon.enforcer, "sync", synced.append)
    caplog.clear()
    daemon._due["present"] = 0
    daemon.step()
    said = [r.getMessage() for r in caplog.records]
    assert not any("missing or was changed" in line for line in said), said
    assert (
        f"firewall: cannot check {describe(daemon.config)}: nft: Error: cache "
        "initialization failed: Operation not permitted; trying again"
    ) in said, said
    assert synced == []

    state["fails"] = False
    caplog.clear()
    daemon._due["present"] = 0
    daemon.step()
    said = [r.getMessage() for r in caplog.records]
    assert f"firewall: {describe(daemon.config)} works again" in said, said
    assert synced == []
