"""The night summer time ends: a log with classic syslog stamps (Debian 12's rsyslog)
writes the hour from 02:00 twice. An attack in the second one is banned."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import pytest
from wardenlab import ATTACKER, Warden, append, drain

import mailwarden.daemon.loop as loop

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Europe/Berlin"), reason="no tzdata"
)


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def clock_at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """The daemon's clock (its decisions, and its framers' readings) stands at ``now``."""

    class Fixed(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return now if tz is not None else now.astimezone().replace(tzinfo=None)

    monkeypatch.setattr(loop, "datetime", Fixed)


def failures(clock: str) -> list[str]:
    return [
        f"Oct 25 {clock}:{n:02d} mx postfix/submission/smtpd[{100 + n}]: warning: "
        f"unknown[{ATTACKER}]: SASL PLAIN authentication failed: UGFzc3dvcmQ6, "
        "sasl_username=admin"
        for n in range(5)
    ]


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize(
    ("now", "attack"),
    [
        # the second 02:31 of the night (01:31Z): the attack (its third failure) was at 01:30:02Z
        (datetime(2026, 10, 25, 1, 31, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, 2, tzinfo=UTC)),
        # the first 02:31 (00:31Z): the same stamps are the first 02:30
        (datetime(2026, 10, 25, 0, 31, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, 2, tzinfo=UTC)),
    ],
)
def test_an_attack_in_the_hour_written_twice_is_banned(
    warden: Warden,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
    attack: datetime,
) -> None:
    clock_at(monkeypatch, now)
    daemon = warden.start()
    append(warden.log, failures("02:30"))
    drain(daemon)
    said = [r.getMessage() for r in caplog.records]
    assert not [text for text in said if text.startswith("not banning")]
    assert daemon.counters.stale == 0
    [row] = daemon.store.history(network=ip_network(f"{ATTACKER}/32"))
    assert datetime.fromisoformat(json.loads(row.evidence)["time"]) == attack
    until = f"{now + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}Z"
    assert any(text.startswith(f"ban {ATTACKER}/32 for 1h until {until}") for text in said)
