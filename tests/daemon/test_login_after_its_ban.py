"""A login from the address just banned for guessing faster than people type is a
compromise, not "possible compromise … ask the owner": the daemon judged those tries a
program's when it banned, and its login is the guess that worked. The same account
failing a few times, then its login, stays the owner's maybe-typos."""

from __future__ import annotations

import pytest
from test_alerts import alerts_to, received
from wardenlab import Warden, append, banned, guesses, sasl_success

BOT = "2001:db8:a1::1"


def _alerts(warden: Warden, users: tuple[str, ...]) -> list[dict[str, object]]:
    inbox = alerts_to(warden)
    daemon = warden.start()
    append(warden.log, guesses(BOT, users))  # microseconds apart
    append(warden.log, sasl_success(BOT, "info"))
    daemon.step()
    daemon.alerter.close()
    assert banned(daemon)  # its guessing is banned either way
    alerts = [a for a in received(inbox) if a["kind"] == "compromised"]
    return alerts


def test_a_login_after_a_ban_for_three_names_is_a_compromise(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = _alerts(warden, ("info", "admin", "root"))
    logged = [r.getMessage() for r in caplog.records if "compromise" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith('compromise: "info" logged in from ' + BOT), logged[0]
    assert "ask the owner" not in logged[0]
    assert len(alerts) == 1 and alerts[0]["by_others"] is False


def test_a_login_after_its_own_name_failed_three_times_is_still_a_maybe(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = _alerts(warden, ("info", "info", "info"))
    logged = [r.getMessage() for r in caplog.records if "compromise" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith("possible compromise: ") and "ask the owner" in logged[0]
    assert len(alerts) == 1 and alerts[0]["by_others"] is True
