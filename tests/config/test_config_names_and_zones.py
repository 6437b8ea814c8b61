"""Values that were taken though they mean nothing: an allow-list entry with an IPv6
zone (``fe80::1%eth0`` was echoed as ``fe80::1%eth0/128``), blank honeypot or generic
names (``honeypot_users = ["", " "]``). Each is refused in one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.config import load_config
from mailwarden.errors import ConfigError


@pytest.mark.parametrize("entry", ["fe80::1%eth0", "fe80::%eth0/64"])
def test_an_allow_entry_with_a_zone_is_refused(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "mailwarden.toml"
    path.write_text(f'[policy]\nallow = ["{entry}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: policy.allow: bad CIDR {entry!r}: a zone (%eth0) is no part of an"
        " address; leave it out"
    )


@pytest.mark.parametrize("key", ["honeypot_users", "generic_users"])
def test_a_blank_name_is_refused(tmp_path: Path, key: str) -> None:
    path = tmp_path / "mailwarden.toml"
    path.write_text(f'[policy]\n{key} = ["admin", " "]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: policy.{key}: expected account names, got a blank one ' '"
