"""Settings the daemon cannot use are refused at load, in one line (exit 2, ``FILE: KEY:
reason``), by ``run --check`` and ``run`` alike: a malformed alert URL (it crashed with
a traceback), a relative Postfix map, an empty ``journal_users`` (it turned off every
Postfix detection). And a skipped journal entry names the user that wrote it."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from wardenlab import base_config, run_cli, write_config

from mailwarden.daemon.journal import JournalTrust


def config(tmp_path: Path, **changes: dict[str, Any]) -> Path:
    sections = base_config(tmp_path)
    for name, keys in changes.items():
        sections.setdefault(name, {}).update(keys)
    (tmp_path / "mail.log").touch()
    return write_config(tmp_path / "mailwarden.toml", sections)


def refusal(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> str:
    code, err, out = run_cli(capsys, "run", "--config", str(path), *extra)
    assert code == 2, (err, out)
    assert len(err) == 1, err
    assert not (path.parent / "state").exists(), "nothing may be started"
    return err[0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "https://u:pw@[::1/x",
            "not a URL: a [ ] around its host is not closed, or not an IPv6 address",
        ),
        ("http://hooks.example.com:99999/x", "a port must be between 1 and 65535, got 99999"),
        ("http://hooks example.com/x", "the host of the URL holds a space"),
        ("hooks.example.com/x", "not an http:// or https:// URL (it begins 'hooks.example.com')"),
    ],
)
def test_a_malformed_alert_url_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, reason: str
) -> None:
    path = config(tmp_path, alerts={"url": url})
    line = refusal(capsys, path, "--check")
    assert line == f"mailwarden: error: {path}: alerts.url: {reason}"
    assert "pw" not in line.replace(str(path), "")


def test_a_relative_postfix_map_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, enforce={"postfix_map": "mailwarden_access"})
    line = refusal(capsys, path, "--check")
    assert line == (
        f"mailwarden: error: {path}: enforce.postfix_map: 'mailwarden_access' is not an "
        "absolute path"
    )


def test_an_empty_journal_users_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, sources={"journal": True, "journal_users": []})
    line = refusal(capsys, path, "--check")
    assert line.startswith(
        f"mailwarden: error: {path}: sources.journal_users: an empty list trusts root's "
        "journal entries only, and Postfix's smtpd logs as the postfix user"
    )
    assert line.endswith('or ["root"] for root only')


def test_a_skipped_journal_entry_names_its_user() -> None:
    """It said ``written by uid 108 (smtpd), not by the mail system`` of postfix's own
    entry: name the user, and the setting that leaves it out."""
    user = pwd.getpwuid(os.getuid() or 65534)
    trust = JournalTrust.for_users(["root"])
    entry = {"_UID": str(user.pw_uid), "_COMM": "smtpd", "_TRANSPORT": "syslog"}
    assert trust.refusal(entry) == (
        f"written by uid {user.pw_uid} (user {user.pw_name}, process smtpd), which is not "
        "root nor one of sources.journal_users"
    )


def test_run_refuses_a_malformed_alert_url_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run`` itself, not only ``--check`` (it ended in a traceback, exit 1)."""
    path = config(tmp_path, alerts={"url": "https://u:pw@[::1/x"})
    assert refusal(capsys, path).startswith(f"mailwarden: error: {path}: alerts.url: not a URL")


def test_a_config_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some Windows editors start a UTF-8 file with one: it was ``invalid TOML: Invalid
    statement (at line 1, column 1)``."""
    path = config(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"


@pytest.mark.parametrize(("network", "version"), [("0.0.0.0/0", 4), ("::/0", 6)])
def test_an_allow_list_of_everyone_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], network: str, version: int
) -> None:
    path = config(tmp_path, policy={"allow": ["192.0.2.0/24", network]})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert (
        f"mailwarden: warning: policy.allow: {network} is every IPv{version} address: no "
        f"IPv{version} client is ever banned"
    ) in err


@pytest.mark.parametrize(
    ("network", "widest"), [("::/1", 16), ("2000::/3", 16), ("128.0.0.0/2", 8)]
)
def test_an_allow_list_entry_wider_than_any_ban_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], network: str, widest: int
) -> None:
    """``::/1`` or ``2000::/3`` (every global IPv6 address) passed ``run --check``
    silently: only prefix 0 was warned of."""
    path = config(tmp_path, policy={"allow": ["192.0.2.0/24", "10.0.0.0/8", network]})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert (
        f"mailwarden: warning: policy.allow: {network} is wider than /{widest}, the widest "
        f"network mailwarden bans: no client of {network} is ever banned"
    ) in err
    assert "10.0.0.0/8" not in "".join(err)  # as wide as a ban may be: no warning


@pytest.mark.parametrize(
    "network", ["fc00::/7", "fe80::/10", "ff00::/8", "224.0.0.0/3", "240.0.0.0/4"]
)
def test_a_wide_allow_list_entry_of_no_internet_client_is_not_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], network: str
) -> None:
    """Unique local and link-local IPv6 (a LAN's webmail), multicast and reserved: wider
    than any ban, but allowing them spares no client of the Internet. ``fc00::/7`` and
    ``fe80::/10`` were warned of at every start and reload."""
    path = config(tmp_path, policy={"allow": ["192.0.2.0/24", network, "0.0.0.0/1"]})
    code, err, _ = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert not [line for line in err if network in line]
    assert (  # one that holds Internet addresses still is
        "mailwarden: warning: policy.allow: 0.0.0.0/1 is wider than /8, the widest "
        "network mailwarden bans: no client of 0.0.0.0/1 is ever banned"
    ) in err
