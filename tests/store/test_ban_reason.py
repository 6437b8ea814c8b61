"""``mailwarden ban --reason`` gives the ban in force its reason, also when the ban it
joins was recorded a moment ago by another process (the daemon, another ``ban``, a host
sharing the store): between the command's look for a ban in force and its record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storelab import cli

from mailwarden.model import BanEntry, IPNetwork
from mailwarden.store import BanRow, Source, Store, open_store
from mailwarden.store.sqlite import SqliteStore

TARGET = "198.51.100.23"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "state" / "mailwarden.db")
    return str(request.getfixturevalue("pg_database"))


def store_class(url: str) -> type[Store]:
    if "://" not in url:
        return SqliteStore
    from mailwarden.store.postgres import PostgresStore

    return PostgresStore


def reasons(url: str) -> list[tuple[str, int]]:
    with open_store(url) as store:
        return [(row.reason, row.offences) for row in store.active_bans()]


def test_ban_with_a_reason_joining_a_ban_just_recorded_takes_the_reason(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The daemon bans the address while ``mailwarden ban --reason "phishing kit"`` runs,
    after the command found no ban in force: the command joined that ban, counted no
    second offence, and said and kept "bruteforce" though a reason was given."""
    kind = store_class(store_url)
    found_none = kind.extend_ban

    def daemon_bans_meanwhile(
        self: Store,
        network: IPNetwork,
        until: datetime,
        reason: str | None = None,
        now: datetime | None = None,
        source: Source | str | None = None,
    ) -> BanRow | None:
        row = found_none(self, network, until, reason, now, source)
        if row is None:
            with open_store(store_url) as daemon:
                entry = BanEntry(network, datetime.now(UTC) + timedelta(hours=3), "bruteforce")
                daemon.record_offence(entry, "12 failures", Source.AUTO)
        return row

    monkeypatch.setattr(kind, "extend_ban", daemon_bans_meanwhile)

    code, err, out, _ = cli(capsys, tmp_path, store_url, "ban", TARGET, "--reason", "phishing kit")

    assert code == 0, err
    assert out.startswith(f"kept the longer ban of {TARGET}/32 until ")
    assert out.splitlines()[0].endswith("(3h): phishing kit")
    assert reasons(store_url) == [("phishing kit", 1)]

    # Without --reason the ban in force keeps its own, joined or not.
    code, err, out, _ = cli(capsys, tmp_path, store_url, "unban", TARGET)
    assert code == 0, err
    code, err, out, _ = cli(capsys, tmp_path, store_url, "ban", TARGET)
    assert code == 0, err
    assert out.splitlines()[0].endswith(": bruteforce")
    assert reasons(store_url) == [("bruteforce", 2)]
