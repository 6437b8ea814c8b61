"""The daemon alerts no compromise for a login proxy's (director's) "internal failure, 1
successful auths" after guessing: a ``proxy(…)`` line of the same session came first, and a
proxy passdb's OK answer (often ``nopassword=y``) proves no password."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_alerts import alerts_to, received
from wardenlab import Warden, append, seconds_ago, stamp

IP = "203.0.113.180"


def _tail(n: int) -> str:
    return (
        f"user=<pat@example.org>, method=PLAIN, rip={IP}, lip=192.0.2.1, "
        f"session=<k3XbQ1xYz0AAAA{n:02d}>"
    )


def _line(when: datetime, reason: str, n: int) -> str:
    return f"{stamp(when)} mx dovecot: imap-login: Disconnected ({reason}): " + _tail(n)


def test_a_proxy_answer_after_guessing_is_no_compromise_alert(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden)
    daemon = warden.start()
    start = seconds_ago(60)
    lines = [
        _line(start + timedelta(seconds=3 * n), "auth failed, 1 attempts in 2 secs", n)
        for n in range(10)
    ]
    lines.append(
        f"{stamp(start + timedelta(seconds=38))} mx dovecot: imap-login: Error: "
        "proxy(pat@example.org): connect(192.0.2.20, 143) failed: Connection refused "
        "(after 0 secs, local=192.0.2.1:40000): " + _tail(99)
    )
    lines.append(_line(start + timedelta(seconds=40), "internal failure, 1 successful auths", 99))
    append(warden.log, lines)
    daemon.step()
    daemon.alerter.close()
    assert [a for a in received(inbox) if a["kind"] == "compromised"] == []
    assert not [r for r in caplog.records if "compromise" in r.getMessage()]
