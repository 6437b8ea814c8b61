"""The nftables table holds at most ``[enforce] max_bans`` bans: past it, the bans that
end first are left out (one warning), and a new ban is one ``add element``. Run for real
inside a network namespace of its own (never the host's)."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nslab import set_elements

from mailwarden.config import load_config
from mailwarden.daemon.wiring import make_enforcer
from mailwarden.enforce.interface import BanEntry
from mailwarden.enforce.nftables import NftablesEnforcer
from mailwarden.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mailwarden.toml"


def entry(address: str, seconds: float) -> BanEntry:
    return BanEntry(
        ipaddress.ip_network(address), datetime.now(UTC) + timedelta(seconds=seconds), "test"
    )


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_past_max_bans_the_bans_that_end_first_are_left_out_with_one_warning(
    netns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mailwarden")
    enforcer = NftablesEnforcer(netns=netns, max_bans=3)
    enforcer.ensure()
    enforcer.sync([entry(f"192.0.2.{n}/32", 600 * n) for n in range(1, 6)])

    assert set(set_elements(netns, "v4")) == {"192.0.2.3", "192.0.2.4", "192.0.2.5"}
    [said] = warnings(caplog)
    assert "holds at most 3 bans (enforce.max_bans): 2 more ban(s) left out" in said

    # a new ban that ends later takes the place of the one that ends first...
    enforcer.apply([entry("198.51.100.9/32", 7200)], [])
    assert set(set_elements(netns, "v4")) == {"192.0.2.4", "192.0.2.5", "198.51.100.9"}
    # ... one that ends before all of them is left out itself
    enforcer.apply([entry("198.51.100.10/32", 60)], [])
    assert set(set_elements(netns, "v4")) == {"192.0.2.4", "192.0.2.5", "198.51.100.9"}
    assert len(warnings(caplog)) == 1  # said once a minute at most

    enforcer.sync([entry("192.0.2.1/32", 600)])
    assert set(set_elements(netns, "v4")) == {"192.0.2.1"}
    assert any("holds every ban again" in r.getMessage() for r in caplog.records)


def test_max_bans_is_a_setting_of_enforce_documented_in_the_example(tmp_path: Path) -> None:
    example = load_config(EXAMPLE)
    assert example.enforce.max_bans == 65536
    assert "\nmax_bans = 65536\n" in EXAMPLE.read_text()
    config = tmp_path / "mailwarden.toml"
    config.write_text('[enforce]\nbackend = "nftables"\nmax_bans = 1000\n')
    enforcer = make_enforcer(load_config(config))
    assert isinstance(enforcer, NftablesEnforcer) and enforcer.max_bans == 1000
    config.write_text("[enforce]\nmax_bans = 5\n")
    with pytest.raises(ConfigError, match=r"enforce\.max_bans: must be at least 100, got 5"):
        load_config(config)
