"""``status`` marks a stored ban that holds an address of this host ``not enforced``, as
it marks the allow list's: in a shared store another host may have banned one of ours
(host A banned host B's address), and the daemon here leaves it out of the firewall."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import Warden, run_cli

from mailwarden.enforce import policy
from mailwarden.model import BanEntry
from mailwarden.store import open_store


def _own_address() -> str:
    try:
        found = policy.own_addresses()
    except Exception as exc:  # no `ip` here
        pytest.skip(f"cannot list this host's addresses: {exc}")
    for network in found:
        address = network.network_address
        if not (address.is_loopback or address.is_link_local):
            return str(network)
    pytest.skip("this host has no address but loopback and link-local ones")


def test_status_says_a_stored_ban_of_our_own_address_is_not_enforced(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    own = _own_address()
    with open_store(str(warden.sections["store"]["path"])) as store:
        store.record_ban(
            BanEntry(ipaddress.ip_network(own), datetime.now(UTC) + timedelta(hours=2), "mx2"),
            "{}",
            "manual",
        )
    config = str(warden.config_path)

    code, _, out = run_cli(capsys, "status", "--format", "json", "--config", config)
    assert code == 0
    (ban,) = json.loads(out)["bans"]
    assert ban["network"] == own
    assert ban["not_enforced"] == f"{own} is an address of this host ({own})"

    code, _, out = run_cli(capsys, "status", "--config", config)
    assert code == 0
    assert f"not enforced: {own} is an address of this host ({own})" in out
