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


NET = "203.0.113.0/24"
ALLOWED_HOST = "203.0.113.200"


def test_allowing_one_host_of_a_banned_network_keeps_the_networks_ban(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A ban that merely contains an allowed address is kept out of the firewall, not
    lifted nor forgiven: the network's ban comes back when the host leaves the list."""
    daemon = warden.start()
    lines = []
    for host in range(10, 16):
        ip = f"203.0.113.{host}"
        lines += [sasl_failure(ip, u, pid=1201 + host * 3 + n) for n, u in enumerate(USERS)]
    append(warden.log, lines)
    drain(daemon)
    assert NET in {ban["network"] for ban in status(capsys, warden)["bans"]}

    warden.sections["policy"]["allow"] = [ALLOWED_HOST]
    warden.write()
    caplog.clear()
    daemon.reload()
    drain(daemon)
    bans = {ban["network"]: ban for ban in status(capsys, warden)["bans"]}
    assert NET in bans  # still in the store
    assert str(bans[NET]["not_enforced"]).startswith(f"{NET} contains {ALLOWED_HOST}")
    assert not any(r.getMessage().startswith(f"unban {NET}") for r in caplog.records)
    assert all(str(n) != NET for n in daemon.applied)  # but not in the firewall

    warden.sections["policy"]["allow"] = []
    warden.write()
    daemon.reload()
    drain(daemon)
    bans = {ban["network"]: ban for ban in status(capsys, warden)["bans"]}
    assert NET in bans
    assert bans[NET]["not_enforced"] is None
    assert any(str(n) == NET for n in daemon.applied)  # back in the firewall
    for host in range(10, 13):  # the hosts banned before keep their bans
        assert f"203.0.113.{host}/32" in bans
