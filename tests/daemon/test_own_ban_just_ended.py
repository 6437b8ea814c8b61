"""A restart after an address's own ban ran out, the address guessing again right after:
the ban answered none of the new guessing (it ended before), and the restart bans it, as
the running daemon does. The log's stamps are cut to the second: a ban that ended up to 2
s before the guessing counted as its answer, and the restart banned nothing."""

from __future__ import annotations

import time

import pytest
from wardenlab import Warden, append, banned, drain, guesses, run_cli

MEMBER = "203.0.113.90"


@pytest.mark.parametrize("gap", [0.5, 1.5])
def test_guessing_just_after_its_own_ban_ended_is_banned_at_a_restart(
    warden: Warden, capsys: pytest.CaptureFixture[str], gap: float
) -> None:
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    code, err, _ = run_cli(
        capsys, "ban", f"{MEMBER}/32", "--for", "2s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    time.sleep(2 + gap)  # the ban is over; the bot guesses again
    append(warden.log, guesses(MEMBER))
    started = warden.start()
    drain(started)
    assert banned(started) == {f"{MEMBER}/32"}
