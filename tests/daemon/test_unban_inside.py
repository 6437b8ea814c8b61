"""`mailwarden unban NETWORK` and the bans inside it.

The detector banned 203.0.113.9 and 203.0.113.20 for guessing, then their /24 as a
network of members; ``unban 203.0.113.0/24`` (the example in ``unban --help``) said
``unbanned 203.0.113.0/24`` and nothing more, while both addresses stayed banned in the
firewall. Now it names the bans left inside, and ``--inside`` lifts them too."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import Warden, run_cli

from mailwarden.model import BanEntry
from mailwarden.store import open_store


def cli(
    capsys: pytest.CaptureFixture[str], warden: Warden, *args: str
) -> tuple[int, list[str], str]:
    return run_cli(capsys, *args, "--config", str(warden.config_path))


def active(warden: Warden) -> list[str]:
    with open_store(warden.sections["store"]["path"]) as store:
        return sorted(str(row.network) for row in store.active_bans())


def banned(capsys: pytest.CaptureFixture[str], warden: Warden, *networks: str) -> None:
    for network in networks:
        code, err, _ = cli(capsys, warden, "ban", network, "--for", "1d")
        assert code == 0, err


def test_unban_of_a_network_names_the_bans_left_inside_it(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    banned(capsys, warden, "203.0.113.9", "203.0.113.20", "203.0.113.0/24", "198.51.100.7")
    code, err, out = cli(capsys, warden, "unban", "203.0.113.0/24")
    assert code == 0 and out.startswith("unbanned 203.0.113.0/24\n")
    assert (
        "mailwarden: warning: 2 bans inside 203.0.113.0/24 are still in force: "
        "203.0.113.9/32, 203.0.113.20/32: `mailwarden unban 203.0.113.0/24 --inside` "
        "lifts them"
    ) in err
    assert active(warden) == ["198.51.100.7/32", "203.0.113.20/32", "203.0.113.9/32"]

    # The command it names lifts them, though the network's own ban is gone already.
    code, err, out = cli(capsys, warden, "unban", "203.0.113.0/24", "--inside")
    assert code == 0, err
    assert out.startswith(
        "unbanned 2 bans inside 203.0.113.0/24: 203.0.113.9/32, 203.0.113.20/32\n"
    )
    assert not any("still in force" in line for line in err)
    assert active(warden) == ["198.51.100.7/32"]
    code, err, _ = cli(capsys, warden, "unban", "203.0.113.0/24", "--inside")
    assert code == 1 and err == ["mailwarden: error: 203.0.113.0/24 is not banned"]


def test_unban_inside_lifts_the_network_and_what_it_holds_and_names_a_few(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = [f"203.0.113.{n}" for n in range(1, 9)]
    banned(capsys, warden, "203.0.113.0/24", *inner, "198.51.100.7")
    code, err, out = cli(capsys, warden, "unban", "203.0.113.0/24", "--inside", "--reason", "NAT")
    assert code == 0, err
    assert out.splitlines()[:2] == [
        "unbanned 203.0.113.0/24",
        "unbanned 8 bans inside 203.0.113.0/24: 203.0.113.1/32, 203.0.113.2/32, "
        "203.0.113.3/32, 203.0.113.4/32, 203.0.113.5/32 and 3 more",
    ]
    assert active(warden) == ["198.51.100.7/32"]
    with open_store(warden.sections["store"]["path"]) as store:
        history = store.history(network=ipaddress.ip_network("203.0.113.8/32"))
    assert (history[0].state, history[0].end_reason) == ("lifted", "NAT")


def test_unban_of_an_unbanned_network_with_bans_inside_says_how_to_lift_them(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    banned(capsys, warden, "203.0.113.9")
    code, err, _ = cli(capsys, warden, "unban", "203.0.113.0/24")
    assert code == 1
    assert err == [
        "mailwarden: error: 203.0.113.0/24 is not banned, but 1 ban inside 203.0.113.0/24 "
        "is in force: 203.0.113.9/32: `mailwarden unban 203.0.113.0/24 --inside` lifts them"
    ]
    assert active(warden) == ["203.0.113.9/32"]


def test_the_daemon_lets_in_what_unban_inside_lifted(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    banned(capsys, warden, "203.0.113.9", "203.0.113.0/24")
    daemon.step()
    cli(capsys, warden, "unban", "203.0.113.0/24", "--inside")
    daemon.step()
    messages = [r.getMessage() for r in caplog.records]
    assert "would unban 203.0.113.0/24" in messages
    assert "would unban 203.0.113.9/32" in messages
    daemon.close()


def test_unban_help_names_inside(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, out = run_cli(capsys, "unban", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "--inside Lift the bans of the addresses and networks inside the network too." in text
    assert "mailwarden unban 203.0.113.0/24 --inside" in text


def test_a_wider_ban_not_enforced_here_is_not_named_as_blocking(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stored /25 that holds an allowed address is left out of the firewall (status:
    "not enforced"); unban of an address inside it said it was still blocked by it."""
    warden.sections["policy"]["allow"] = ["192.0.2.130"]
    warden.write()
    with open_store(warden.sections["store"]["path"]) as store:
        store.record_ban(
            BanEntry(
                ipaddress.ip_network("192.0.2.128/25"),
                datetime.now(UTC) + timedelta(hours=2),
                "by another host",
            ),
            "{}",
            "manual",
        )
    code, _, out = cli(capsys, warden, "status")
    assert code == 0 and "not enforced: " in out
    banned(capsys, warden, "192.0.2.201")
    code, err, out = cli(capsys, warden, "unban", "192.0.2.201")
    assert code == 0 and out == "unbanned 192.0.2.201/32\n"
    assert "still blocked" not in "".join(err), err


def test_a_wider_ban_enforced_here_is_named_as_blocking(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    banned(capsys, warden, "192.0.2.128/25", "192.0.2.201")
    code, err, _ = cli(capsys, warden, "unban", "192.0.2.201")
    assert code == 0
    assert "192.0.2.201/32 is still blocked by the ban of 192.0.2.128/25 until " in "".join(err)
