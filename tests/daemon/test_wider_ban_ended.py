"""A client skipped as banned already while a short ban held it (a /25 of its network,
or a ban of the address itself shorter than ``ban_time``): the detector kept quiet
about it for its own ``ban_time``, so once that ban ended the client guessed on,
unbanned, for the rest of it. Fresh guessing after that ban ends is banned again."""

from __future__ import annotations

import time

import pytest
from wardenlab import Warden, append, banned, drain, guesses, run_cli

MEMBER = "203.0.113.90"


@pytest.mark.parametrize("held_by", ["203.0.113.0/25", f"{MEMBER}/32"])
def test_guessing_again_after_a_short_ban_ended_is_banned_at_once(
    warden: Warden,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    held_by: str,
) -> None:
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    daemon = warden.start()
    code, err, _ = run_cli(
        capsys, "ban", held_by, "--for", "3s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    append(warden.log, guesses(MEMBER))
    drain(daemon)
    assert banned(daemon) == {held_by}  # skipped: banned already
    time.sleep(3.5)
    daemon._due["expire"] = 0
    drain(daemon)
    assert banned(daemon) == set()
    # The guessing that ban answered is spent: one more try after it bans nothing.
    append(warden.log, guesses(MEMBER, users=("root",)))
    drain(daemon)
    assert banned(daemon) == set()

    caplog.clear()
    append(warden.log, guesses(MEMBER, users=("office", "test")))
    drain(daemon)
    assert banned(daemon) == {f"{MEMBER}/32"}
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    assert len(said) == 1 and said[0].startswith(f"ban {MEMBER}/32 for "), said
    daemon.close()
