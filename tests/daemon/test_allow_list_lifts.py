"""Putting a banned address on the allow list and reloading lifts its ban for good: in
the store as ``unban`` does, so that taking the address off the allow list again (and
reloading) does not silently bring the old ban back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import ATTACKER, Warden, append, drain, guesses, run_cli, sasl_failure

USERS = ("admin", "info", "sales")


def status(capsys: pytest.CaptureFixture[str], warden: Warden) -> dict[str, object]:
    code, err, out = run_cli(
        capsys, "status", "--config", str(warden.config_path), "--format", "json"
    )
    assert code in (0, 1), err
    return dict(json.loads(out))


def test_an_allow_listed_ban_does_not_come_back_when_the_address_leaves_the_list(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    drain(daemon)
    assert [ban["network"] for ban in status(capsys, warden)["bans"]] == [f"{ATTACKER}/32"]

    warden.sections["policy"]["allow"] = [ATTACKER]
    warden.write()
    daemon.reload()
    drain(daemon)
    assert status(capsys, warden)["bans"] == []
    said = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith(f"unban {ATTACKER}/32: lifted at reload: {ATTACKER}/32 is on the allow list")
        for m in said
    )
    warden.sections["policy"]["allow"] = []
    warden.write()
    caplog.clear()
    daemon.reload()
    drain(daemon)
    assert status(capsys, warden)["bans"] == []
    assert not any(f"ban {ATTACKER}/32" in r.getMessage() for r in caplog.records)
    assert ATTACKER not in {str(n.network_address) for n in daemon.applied}

    daemon.close()  # nor after a restart that reads the guesses again
    again = warden.start()
    drain(again)
    assert status(capsys, warden)["bans"] == []


def test_new_guessing_after_the_address_leaves_the_list_bans_it_again(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    drain(daemon)
    warden.sections["policy"]["allow"] = [ATTACKER]
    warden.write()
    daemon.reload()
    warden.sections["policy"]["allow"] = []
    warden.write()
    daemon.reload()
    # New guessing, later than the lift (the store keeps its time in whole seconds).
    later = datetime.now(UTC) + timedelta(seconds=2)
    append(warden.log, [sasl_failure(ATTACKER, u, pid=1401, when=later) for u in USERS])
    drain(daemon)
    assert [ban["network"] for ban in status(capsys, warden)["bans"]] == [f"{ATTACKER}/32"]
