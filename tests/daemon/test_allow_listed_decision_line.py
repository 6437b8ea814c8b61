"""The daemon's line for a client it does not ban because it is allow-listed.

Five failed logins from an allow-listed address logged ``not banning 192.0.2.50/32:
bruteforce: 3 or more failed logins within 1m (none (allow-listed))``: brackets in
brackets, and ``none`` where the admin wants to read why. Now the why comes first, in
words, as the refusal to ban an own address says it."""

from __future__ import annotations

import pytest
from wardenlab import Warden, append, guesses

ALLOWED = "192.0.2.50"


def test_an_allow_listed_client_is_not_banned_in_plain_words(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["policy"]["allow"] = [ALLOWED]
    warden.write()
    daemon = warden.start()
    append(warden.log, guesses(ALLOWED, ("admin", "info", "sales", "office", "test")))
    daemon.step()
    said = [r.getMessage() for r in caplog.records if "not banning" in r.getMessage()]
    assert f"not banning {ALLOWED}/32: it is allow-listed; bruteforce: 3 or more failed " in (
        "".join(said[-1:])
    ), said
    for line in said:  # the probe's line too
        assert line.startswith(f"not banning {ALLOWED}/32: it is allow-listed; "), line
        assert "none" not in line and "(allow-listed)" not in line, line
    daemon.close()
