"""What the detector's expiry finds is acted on by the daemon as a line's finding is:
an smtpd session's rejects wait for the session's fate (a login makes them the account
holder's); a session gone silent for an hour can no longer log in, and its rejects count
then, at the daemon's housekeeping, not at a line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import Warden, append, stamp

SCANNER = "203.0.113.77"


def reject(when: datetime, n: int) -> str:
    return (
        f"{stamp(when)} mx postfix/smtpd[4242]: NOQUEUE: reject: RCPT from "
        f"unknown[{SCANNER}]: 554 5.7.1 <spam{n}@other.example>: Relay access denied; "
        f"from=<a@b.example> to=<spam{n}@other.example> proto=ESMTP helo=<pc>"
    )


def test_rejects_of_a_session_gone_silent_are_judged_at_housekeeping(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mailwarden")
    now = datetime.now(UTC)
    began = now - timedelta(hours=2)
    daemon = warden.start()
    append(
        warden.log,
        [f"{stamp(began)} mx postfix/smtpd[4242]: connect from unknown[{SCANNER}]"]
        + [reject(began + timedelta(seconds=n + 1), n) for n in range(3)]
        # another client, an hour and more after the session's last line: the session
        # can no longer log in
        + [
            f"{stamp(now - timedelta(minutes=5))} mx postfix/smtpd[4300]: "
            "connect from unknown[198.51.100.20]"
        ],
    )
    while daemon.step():
        pass
    before = daemon.counters.detections
    daemon._due["housekeeping"] = 0
    daemon.step()

    assert daemon.counters.detections == before + 1
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith(f"watch {SCANNER}: scanner:") for m in said), said
