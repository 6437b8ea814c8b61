"""Whom `mailwarden run` (as root) trusts to have written its configuration.

The configuration names a command the daemon runs as root: a file another user may
change, or replace through a folder or a symlink on the way to it, is refused, as sshd's
StrictModes refuses such an authorized_keys. The check looked at the file and its own
folder only: it refused /dev/null, which every user may write but which keeps nothing
(``--config /dev/null``: the built-in defaults), and let through a file under a folder
another user owns a level higher, or reached through a symlink to another user's folder
or through another user's symlink in /tmp. What a careful administrator does stays
accepted: a symlink to a root-owned file elsewhere, a 0640 root:adm file.

As root only (the check is root's); the other users are ``nobody``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_preflight import folder_of_mode
from wardenlab import base_config, run_cli, write_config

from mailwarden.daemon.preflight import _unsafe

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the check is made as root only")

NOBODY = 65534


def _config(tmp_path: Path, where: Path) -> Path:
    """A valid configuration at ``where`` (its folders made as root's, 0755)."""
    (tmp_path / "mail.log").touch()
    where.parent.mkdir(parents=True, exist_ok=True)
    return write_config(where, base_config(tmp_path))


def _check(capsys: pytest.CaptureFixture[str], path: Path | str) -> tuple[int, str]:
    code, err, out = run_cli(capsys, "run", "--check", "--config", str(path))
    return code, "\n".join([*err, out])


def test_dev_null_is_the_defaults_not_a_file_every_user_may_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The documented way to run with the defaults was refused at once: ``/dev/null:
    refused: /dev/null is writable by every user``. Now the check goes on to the
    defaults' own settings (on a host without /var/log/mail.log it says there is
    nothing to read, exit 1, which is no refusal of the file)."""
    code, text = _check(capsys, "/dev/null")
    assert "refused" not in text, text
    assert code in (0, 1), text


def test_other_world_writable_things_are_still_refused(tmp_path: Path) -> None:
    """A character device other than /dev/null may read as what another user wrote (a
    tty, a serial line); a FIFO gives what its writer writes; a regular file is
    anybody's to edit."""
    for device in ("/dev/zero", "/dev/full", "/dev/urandom"):
        info = os.stat(device)
        if stat.S_ISCHR(info.st_mode) and info.st_mode & stat.S_IWOTH:
            assert _unsafe(device) == f"{device} is writable by every user"
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    fifo.chmod(0o666)
    assert _unsafe(str(fifo)) == f"{fifo} is writable by every user"
    twin = tmp_path / "null"  # /dev/null's number under another name: still /dev/null
    try:
        os.mknod(twin, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:  # a container without CAP_MKNOD
        return
    twin.chmod(0o666)
    assert _unsafe(str(twin)) is None
    os.mknod(tmp_path / "zero-twin", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    (tmp_path / "zero-twin").chmod(0o666)
    assert (
        _unsafe(str(tmp_path / "zero-twin"))
        == f"{tmp_path / 'zero-twin'} is writable by every user"
    )


def test_a_world_writable_file_or_folder_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, tmp_path / "etc" / "mailwarden.toml")
    path.chmod(0o666)
    code, text = _check(capsys, path)
    assert code == 2
    assert f"{path}: refused: {path} is writable by every user (the daemon runs as root)" in text
    path.chmod(0o644)
    path.parent.chmod(0o777)  # anybody may replace the file: no sticky bit
    code, text = _check(capsys, path)
    assert code == 2
    assert f"refused: {path.parent} is writable by every user" in text


def test_a_folder_above_the_configurations_own_that_another_user_owns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/srv/app (a deploy user's) holds cfg/ (root's) holds the file (root's, 0600):
    the deploy user renames cfg away and makes another with a file of theirs. Only
    the file's own folder was looked at: ready to run."""
    path = _config(tmp_path, tmp_path / "app" / "cfg" / "mailwarden.toml")
    path.chmod(0o600)
    os.chown(tmp_path / "app", NOBODY, -1)
    code, text = _check(capsys, path)
    assert code == 2, text
    assert (
        f"{path}: refused: {tmp_path / 'app'} is owned by user nobody (uid {NOBODY}), not root "
        "(the daemon runs as root)"
    ) in text


def test_a_symlink_to_a_file_in_another_users_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/etc/mailwarden/mailwarden.toml leads to a root-owned file in a folder another
    user owns: they replace the file it leads to. The link's folder was looked at, not
    the target's: ready to run."""
    target = _config(tmp_path, tmp_path / "theirs" / "mailwarden.toml")
    os.chown(target.parent, NOBODY, -1)
    link = tmp_path / "etc" / "mailwarden.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    code, text = _check(capsys, link)
    assert code == 2, text
    assert f"refused: {target.parent} is owned by user nobody (uid {NOBODY}), not root" in text


def test_another_users_symlink_in_a_sticky_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link in /tmp (sticky) that another user made, to a root-owned file: its owner
    may delete it and make one that leads to a file of theirs. stat() saw only the
    file it leads to now: ready to run."""
    target = _config(tmp_path, tmp_path / "share" / "mailwarden.toml")
    sticky = folder_of_mode(tmp_path, "sticky", 0o1777)
    link = sticky / "mailwarden.toml"
    link.symlink_to(target)
    os.chown(link, NOBODY, -1, follow_symlinks=False)
    code, text = _check(capsys, link)
    assert code == 2, text
    assert f"refused: {link} is a symlink owned by user nobody (uid {NOBODY}), not root" in text
    os.chown(link, 0, -1, follow_symlinks=False)
    code, text = _check(capsys, link)
    assert code == 0, text  # root's link in /tmp: nobody else may delete it


def test_what_a_careful_administrator_writes_is_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symlink from etc/ to a root-owned file in a root-owned share/ folder; a file
    0640 root:adm (the group may read it, not write it); a group that may write it is
    refused by name."""
    target = _config(tmp_path, tmp_path / "usr" / "share" / "mailwarden" / "mailwarden.toml")
    link = tmp_path / "etc" / "mailwarden" / "mailwarden.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    code, text = _check(capsys, link)
    assert code == 0, text
    os.chown(target, 0, 4)  # adm
    target.chmod(0o640)
    code, text = _check(capsys, link)
    assert code == 0, text
    target.chmod(0o660)
    code, text = _check(capsys, link)
    assert code == 2
    assert f"{link}: refused: {target} is writable by group " in text  # the file, not the link
