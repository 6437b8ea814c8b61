"""An allow-list entry with host bits set that reads as every address of its family
(``0.0.0.1/0``, ``::ffff:192.0.2.5/96``: 0.0.0.0/0) is warned of as allowing every
address, as ``run --check``'s warning of a written 0.0.0.0/0 says: the note never
suggests writing the allow-all entry, only the single address."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.config import load_config
from mailwarden.daemon.preflight import policy_warnings


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("::ffff:192.0.2.5/96", "192.0.2.5"),
        ("0.0.0.1/0", "0.0.0.1"),
        ("2001:db8::1/0", "2001:db8::1"),
    ],
)
def test_an_allow_all_reading_is_never_suggested(
    tmp_path: Path, written: str, address: str
) -> None:
    path = tmp_path / "mailwarden.toml"
    path.write_text(f"[policy]\nallow = ['{written}']\n")
    warnings = policy_warnings(load_config(str(path)))
    version = 6 if written.startswith("2001") else 4
    everything = "::/0" if version == 6 else "0.0.0.0/0"
    note = next(w for w in warnings if "host bits" in w)
    assert note == (
        f"policy.allow: {written} has host bits set: read as {everything}, every "
        f"IPv{version} address: no IPv{version} client is ever banned; write {address} "
        "for that address alone"
    )
    for warning in warnings:
        assert f"write {everything}" not in warning
        assert "the whole network" not in warning
