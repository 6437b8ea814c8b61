"""A client skipped as banned already under a short ban (a /25 of its network, or a
ban of the address itself shorter than ``ban_time``) is banned again on fresh guessing
once that ban ends, also after a restart or a reload that builds a new detector: the
new detector was never told of the short ban and kept quiet about the client for the
rest of its own ``ban_time``."""

from __future__ import annotations

import time

import pytest
from wardenlab import Warden, append, banned, drain, guesses, run_cli

MEMBER = "203.0.113.90"


@pytest.mark.parametrize("how", ["restart", "reload"])
@pytest.mark.parametrize("held_by", ["203.0.113.0/25", f"{MEMBER}/32"])
def test_a_short_ban_still_ends_after_a_restart_or_reload(
    warden: Warden,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    how: str,
    held_by: str,
) -> None:
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    daemon = warden.start()
    code, err, _ = run_cli(
        capsys, "ban", held_by, "--for", "6s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    append(warden.log, guesses(MEMBER))
    drain(daemon)
    assert banned(daemon) == {held_by}  # skipped: banned already
    if how == "restart":
        daemon.close()
        daemon = warden.start()
    else:
        warden.sections["policy"].update(fast_window="6m")  # a new detector warms up
        warden.write()
        daemon.reload()
    deadline = time.time() + 5
    while daemon._warming is not None and time.time() < deadline:
        daemon.step()
    drain(daemon)
    assert daemon._warming is None
    assert banned(daemon) == {held_by}  # the guessing it answered is not banned again
    time.sleep(6.5)
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
