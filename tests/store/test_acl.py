"""A store another user may write through a POSIX ACL (``setfacl -m u:nobody:rw``).

The ACL's mask shows in the mode's group bits (``-rw-rw----+``): the store is refused
as before, but the refusal names who may write it, the user or group of the ACL entry,
not "its group", and the advice removes that entry.
"""

from __future__ import annotations

import grp
import pwd
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest

from mailwarden.errors import StoreUnusable
from mailwarden.model import BanEntry
from mailwarden.store.sqlite import SqliteStore, probe

pytestmark = pytest.mark.skipif(
    shutil.which("setfacl") is None,
    reason="setfacl is not installed: Debian's acl package (make debian installs it)",
)

NOBODY = pwd.getpwnam("nobody").pw_uid
NOGROUP = grp.getgrnam("nogroup").gr_gid


def setfacl(*args: str | Path) -> None:
    subprocess.run(["setfacl", *map(str, args)], check=True)


def refusal(path: Path) -> str:
    """What opening the store and `probe` (``run --check``) both say."""
    with pytest.raises(StoreUnusable) as opened:
        SqliteStore(path)
    with pytest.raises(StoreUnusable) as probed:
        probe(path)
    assert str(opened.value) == str(probed.value)
    return str(opened.value)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "mw" / "state.db"
    with SqliteStore(path) as opened:
        entry = BanEntry(ip_network("192.0.2.7/32"), datetime.now(UTC) + timedelta(1), "x")
        opened.record_ban(entry, "")
    return path


def test_a_store_file_a_named_user_may_write_names_the_user(store: Path) -> None:
    setfacl("-m", "u:nobody:rw", store)
    assert stat.S_IMODE(store.stat().st_mode) == 0o660  # the mask, as ls -l shows it
    assert refusal(store) == (
        f"{store}: refusing a store file its ACL lets user nobody (uid {NOBODY}) write "
        f"({store}): they could ban or lift bans; setfacl -x u:nobody {store}"
    )
    setfacl("-x", "u:nobody", store)  # the advice, pasted
    with SqliteStore(store) as opened:
        assert len(opened.active_bans()) == 1


def test_every_writer_the_acl_names_is_said(store: Path) -> None:
    setfacl("-m", "u:nobody:rw,g:nogroup:rw,u:root:r", store)
    assert refusal(store) == (
        f"{store}: refusing a store file its ACL lets user nobody (uid {NOBODY}) and "
        f"group nogroup (gid {NOGROUP}) write ({store}): they could ban or lift bans; "
        f"setfacl -x u:nobody,g:nogroup {store}"
    )


def test_when_the_group_may_write_too_the_advice_is_chmod(store: Path) -> None:
    """``chmod g-w`` lowers the mask: no entry of the ACL writes any more."""
    setfacl("-m", "u:nobody:rw,g::rw", store)
    group = grp.getgrgid(store.stat().st_gid)
    assert refusal(store) == (
        f"{store}: refusing a store file its ACL lets user nobody (uid {NOBODY}) and its "
        f"group {group.gr_name} (gid {group.gr_gid}) write ({store}): they could ban or lift "
        f"bans; chmod g-w {store}"
    )


def test_an_acl_entry_the_mask_stops_is_no_writer(store: Path) -> None:
    """``u:nobody:rw`` with the mask lowered to read: nobody may not write, as getfacl
    says (#effective:r--), and the store opens."""
    setfacl("-m", "u:nobody:rw", store)
    setfacl("-m", "m::r", store)
    with SqliteStore(store) as opened:
        assert len(opened.active_bans()) == 1


def test_a_folder_a_named_user_may_write_names_the_user(store: Path) -> None:
    folder = store.parent
    setfacl("-m", "u:nobody:rwx", folder)
    assert refusal(store) == (
        f"{store}: refusing a store in a folder its ACL lets user nobody (uid {NOBODY}) "
        f"write ({folder}): they could replace the store; move it, or "
        f"setfacl -x u:nobody {folder}"
    )
