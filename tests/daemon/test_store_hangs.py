"""A store that hangs (SQLite with ``BEGIN EXCLUSIVE`` held by another process; a
PostgreSQL that accepts and never answers) holds no ban up: the firewall gets each ban at
once, the store is waited for once and then left alone for a while, and the bans are
recorded when it works again (README: a ban the store fails to record "stays in the
firewall and is recorded when the store works again")."""

from __future__ import annotations

import ipaddress
import sqlite3
import time
from collections.abc import Sequence

import pytest
from wardenlab import ATTACKER, OTHER, Warden, append, banned, guesses

from bantimes import firewall_times
from mailwarden.daemon import loop as loop_module
from mailwarden.enforce import BanEntry
from mailwarden.model import IPNetwork

THIRD = "203.0.113.99"


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_a_locked_store_holds_no_ban_up_and_the_bans_are_recorded_later(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_module, "STORE_RETRY_EVERY", 3.0, raising=False)
    daemon = warden.start()
    into_firewall = firewall_times(daemon, monkeypatch)
    lock = sqlite3.connect(daemon.config.store.path, timeout=0, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another process holds the store: every write waits
    try:
        append(warden.log, guesses(ATTACKER))
        began = time.monotonic()
        daemon.step()  # the store is waited for (its busy timeout) after the ban
        assert into_firewall[f"{ATTACKER}/32"] - began < 1.0

        # The store failed a moment ago: the next ban does not wait for it again.
        append(warden.log, guesses(OTHER))
        began = time.monotonic()
        daemon.step()
        assert f"{OTHER}/32" in into_firewall
        assert time.monotonic() - began < 1.0
        # The retry interval is over, the store still locked: the retry waits a second
        # at most (not its busy timeout again), after the ban went into the firewall.
        time.sleep(3.1)
        append(warden.log, guesses(THIRD))
        began = time.monotonic()
        daemon.step()
        assert into_firewall[f"{THIRD}/32"] - began < 1.0
        assert time.monotonic() - began < 2.5
        for address in (ATTACKER, OTHER, THIRD):
            assert any(
                m.startswith(f"ban {address}/32 until ") and "(not recorded yet" in m
                for m in _messages(caplog)
            )
    finally:
        lock.rollback()
        lock.close()

    # The store works again: once the retry interval is over, both bans are recorded,
    # and both stay in the firewall.
    time.sleep(3.1)
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32", f"{OTHER}/32", f"{THIRD}/32"}
    recorded = [m for m in _messages(caplog) if "(recorded late: the store failed" in m]
    assert len(recorded) == 3
    everyone = {ipaddress.ip_network(address) for address in (ATTACKER, OTHER, THIRD)}
    assert everyone <= set(daemon.applied)
    assert not any(m.startswith("unban ") or "lifted" in m for m in _messages(caplog))


def test_a_ban_goes_into_the_firewall_before_the_store_records_it(
    warden: Warden, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In order: the firewall, then the store (a repeat offender's longer ban then
    replaces the first one's, in the same step)."""
    daemon = warden.start()
    order: list[str] = []
    apply = daemon.enforcer.apply
    record = daemon.store.record_offence

    def applied(add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        order.extend(f"firewall {entry.network}" for entry in add)
        apply(add, remove)

    def recorded(entry: BanEntry, *args: object, **kwargs: object) -> object:
        order.append(f"store {entry.network}")
        return record(entry, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(daemon.enforcer, "apply", applied)
    monkeypatch.setattr(daemon.store, "record_offence", recorded)
    append(warden.log, guesses(ATTACKER))
    daemon.step()
    assert order[:2] == [f"firewall {ATTACKER}/32", f"store {ATTACKER}/32"]
    assert banned(daemon) == {f"{ATTACKER}/32"}
