"""The daemon tells a "Maybe" login (only other clients guessed the account) from a
break-in: the alert has ``by_others: true`` and the log says "possible compromise …
ask the owner"; a break-in's alert has ``by_others: false``."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from test_alerts import RECEIVER, compromise, received
from wardenlab import Warden, append, sasl_failure, sasl_success, seconds_ago


def test_a_maybe_login_is_a_possible_compromise(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    script = warden.tmp / "receiver.py"
    script.write_text(RECEIVER)
    inbox = warden.tmp / "alerts.jsonl"
    warden.sections["alerts"] = {"command": [sys.executable, str(script), str(inbox)]}
    warden.write()
    daemon = warden.start()
    start = seconds_ago(40 * 60)
    lines = [
        sasl_failure(f"203.0.113.{n}", "carol@example.org", pid=1200 + n,
                     when=start + timedelta(minutes=3 * n))
        for n in range(1, 11)
    ]  # fmt: skip
    lines.append(sasl_success("198.51.100.60", "carol@example.org", when=seconds_ago(60)))
    append(warden.log, lines)
    daemon.step()
    daemon.alerter.close()
    alerts = [a for a in received(inbox) if a["kind"] == "compromised"]
    assert len(alerts) == 1
    assert alerts[0]["ip"] == "198.51.100.60" and alerts[0]["by_others"] is True
    logged = [r.getMessage() for r in caplog.records if "compromise" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith("possible compromise: ") and "ask the owner" in logged[0]


def test_a_break_in_alert_is_not_by_others(warden: Warden) -> None:
    script = warden.tmp / "receiver.py"
    script.write_text(RECEIVER)
    inbox = warden.tmp / "alerts.jsonl"
    warden.sections["alerts"] = {"command": [sys.executable, str(script), str(inbox)]}
    warden.write()
    compromise(warden)
    found = [a for a in received(inbox) if a["kind"] == "compromised"]
    assert found and found[0]["by_others"] is False
