"""The daemon reports a password Dovecot accepted after guessing (``internal failure, 1
successful auths``: the login failed after the password check) as a compromise: the
``compromise:`` log line says the password was accepted, the alert has
``session_started: false``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_alerts import alerts_to, received
from wardenlab import Warden, append, seconds_ago, stamp

IP = "203.0.113.180"


def _line(when: datetime, reason: str, n: int) -> str:
    return (
        f"{stamp(when)} mx dovecot: imap-login: Disconnected ({reason}): "
        f"user=<pat@example.org>, method=PLAIN, rip={IP}, lip=192.0.2.1, "
        f"session=<k3XbQ1xYz0AAAA{n:02d}>"
    )


def test_a_password_accepted_after_guessing_is_alerted(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden)
    daemon = warden.start()
    start = seconds_ago(60)
    lines = [
        _line(start + timedelta(seconds=3 * n), "auth failed, 1 attempts in 2 secs", n)
        for n in range(10)
    ]
    lines.append(_line(start + timedelta(seconds=40), "internal failure, 1 successful auths", 99))
    append(warden.log, lines)
    daemon.step()
    daemon.alerter.close()
    (alert,) = [a for a in received(inbox) if a["kind"] == "compromised"]
    assert alert["ip"] == IP and alert["user"] == "pat@example.org"
    assert alert["by_others"] is False and alert["session_started"] is False
    logged = [r.getMessage() for r in caplog.records if "compromise" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].startswith(
        f'compromise: the password of "pat@example.org" was accepted from {IP}, though the '
        "session did not start: "
    )
