"""Whom `mailwarden run` (as root) trusts to have written its configuration, and the
alert command: the folders met on the way (test_config_file_trust.py for the rest).

- NixOS: /nix/store is root:nixbld 1775 (sticky, writable by the build group). Since
  every folder above the file is looked at, a configuration symlinked into the store
  (/etc/mailwarden/mailwarden.toml -> /etc/static/... -> /nix/store/...) was refused,
  ``/nix/store is writable by group gid 30000``, and so was an alert command there. A
  sticky folder lets nobody but root rename or delete root's entries, whoever may
  write it: accepted, the entries on the way being root's.
- The folder of a symlink met half-way (a link to a link) was never looked at: its
  owner could swap the link. Refused now.
- A symlink to another user's folder was named as the folder another user owns (stat()
  follows it): the folder it leads to is named.

As root only (the check is root's); the other users are ``nobody`` and a group with no
name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_config_file_trust import NOBODY, _check, _config
from wardenlab import base_config, write_config

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the check is made as root only")

NIXBLD = 30000  # nixbld's gid on NixOS


def _nix_store(tmp_path: Path) -> Path:
    """A stand-in for /nix/store: root:nixbld 1775."""
    store = tmp_path / "nix" / "store"
    store.mkdir(parents=True)
    os.chown(store, 0, NIXBLD)
    store.chmod(0o1775)
    return store


def test_a_configuration_and_alert_command_in_a_nix_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """etc/mailwarden/mailwarden.toml -> ../static/mailwarden.toml -> the store's
    <hash>-etc/mailwarden.toml (0444, in a 0555 folder, all root's), the alert command
    beside it (0555): ready to run. A file of the build group's in the store, or a store
    without the sticky bit, stays refused."""
    store = _nix_store(tmp_path)
    package = store / "0abc-mailwarden-etc"
    package.mkdir()
    alert = package / "alert"
    alert.write_text("#!/bin/sh\n")
    alert.chmod(0o555)
    (tmp_path / "mail.log").touch()
    settings = base_config(tmp_path)
    settings["alerts"] = {"command": [str(alert)]}
    config = write_config(package / "mailwarden.toml", settings)
    config.chmod(0o444)
    package.chmod(0o555)
    static = tmp_path / "etc" / "static"
    static.mkdir(parents=True)
    (static / "mailwarden.toml").symlink_to(config)
    (tmp_path / "etc" / "mailwarden").mkdir()
    link = tmp_path / "etc" / "mailwarden" / "mailwarden.toml"
    link.symlink_to("../static/mailwarden.toml")
    code, text = _check(capsys, link)
    assert code == 0, text  # was: refused: …/nix/store is writable by group gid 30000
    assert "ready to run" in text

    os.chown(package, 0, NIXBLD)  # a build's output not handed to root: theirs to change
    package.chmod(0o775)
    code, text = _check(capsys, link)
    assert code == 2, text
    assert f"refused: {package} is writable by group gid {NIXBLD}" in text
    os.chown(package, 0, 0)
    package.chmod(0o555)

    store.chmod(0o775)  # no sticky bit: the group may rename the package away
    code, text = _check(capsys, link)
    assert code == 2, text
    assert f"refused: {store} is writable by group gid {NIXBLD}" in text


def test_the_folder_of_an_intermediate_symlink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """etc/mailwarden.toml -> mid/link2 -> real/mailwarden.toml, all root's but mid/,
    nobody's: nobody replaces link2 with a link to a file of theirs. Was: ready."""
    config = _config(tmp_path, tmp_path / "real" / "mailwarden.toml")
    mid = tmp_path / "mid"
    mid.mkdir()
    (mid / "link2").symlink_to(config)
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "mailwarden.toml"
    link.symlink_to(mid / "link2")
    os.chown(mid, NOBODY, -1)
    code, text = _check(capsys, link)
    assert code == 2, text
    assert (
        f"{link}: refused: {mid} is owned by user nobody (uid {NOBODY}), not root "
        "(the daemon runs as root)"
    ) in text
    os.chown(mid, 0, -1)
    mid.chmod(0o777)  # anybody's to write, with no sticky bit
    code, text = _check(capsys, link)
    assert code == 2, text
    assert f"refused: {mid} is writable by every user" in text
    mid.chmod(0o755)
    code, text = _check(capsys, link)
    assert code == 0, text


def test_a_refusal_names_the_folder_a_symlink_leads_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mwdir (root's symlink) -> theirs/ (nobody's): the refusal named mwdir, which is
    root's; theirs is what nobody owns."""
    theirs = tmp_path / "theirs"
    _config(tmp_path, theirs / "mailwarden.toml")
    os.chown(theirs, NOBODY, -1)
    (tmp_path / "mwdir").symlink_to(theirs)
    code, text = _check(capsys, tmp_path / "mwdir" / "mailwarden.toml")
    assert code == 2, text
    assert f"refused: {theirs} is owned by user nobody (uid {NOBODY}), not root" in text
