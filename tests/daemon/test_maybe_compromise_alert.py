"""The daemon tells a "Maybe" login (only other clients guessed the account) from a
break-in: the alert has ``by_others: true`` and the log says "possible compromise …
ask the owner"; a break-in's alert has ``by_others: false``."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from test_alerts import alerts_to, compromise, received
from wardenlab import (
    ATTACKER,
    Warden,
    append,
    guesses,
    sasl_failure,
    sasl_success,
    seconds_ago,
)

from mailwarden.daemon.logs import PlainFormatter
from mailwarden.daemon.status import status_document, status_text


def test_a_maybe_login_is_a_possible_compromise(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden)
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
    inbox = alerts_to(warden)
    compromise(warden)
    found = [a for a in received(inbox) if a["kind"] == "compromised"]
    assert found and found[0]["by_others"] is False


def test_status_counts_one_compromise_in_the_singular(warden: Warden) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    append(warden.log, sasl_success(ATTACKER, "alice@example.org"))
    daemon.step()
    daemon.step()
    text = status_text(status_document(daemon.store, daemon.config))
    assert "1 compromise," in text and "1 compromises" not in text


def test_log_lines_start_with_an_rfc3339_time() -> None:
    record = logging.LogRecord("mailwarden", logging.WARNING, __file__, 1, "x", None, None)
    line = PlainFormatter().format(record)
    stamp = line.split(" ", 1)[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", stamp), line
    assert datetime.fromisoformat(stamp).tzinfo is not None
    assert line.endswith(" warning: x")
