"""Whoever may replace a symlink on the way to the store chooses the store: the store's
check (`mailwarden.store.sqlite.unsafe_mode`) looked at the folders of the path as named
and as it resolves, not at the folder of a symlink met half-way (a link whose target
is another link), so a store reached through another user's folder that way was
opened. And a symlink to another user's folder was named as the culprit (stat() follows
it), where the folder it leads to is theirs.

As root (the other user, ``nobody``, needs a chown)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailwarden.errors import StoreUnusable
from mailwarden.store.sqlite import SqliteStore, unsafe_mode

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")

NOBODY = 65534


def test_the_folder_of_an_intermediate_symlink_is_checked(tmp_path: Path) -> None:
    """etc/mw -> mid/link2 -> real (root's, 0700), mid/ nobody's: nobody may replace
    link2 with a link to a store of theirs. The old check opened the store."""
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    mid = tmp_path / "mid"
    mid.mkdir()
    (mid / "link2").symlink_to(real)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "mw").symlink_to(mid / "link2")
    os.chown(mid, NOBODY, -1)
    path = tmp_path / "etc" / "mw" / "state.db"
    with pytest.raises(StoreUnusable) as refused:
        SqliteStore(path)
    assert str(refused.value) == (
        f"{path}: refusing a store under a folder another user owns ({mid}, owner nobody "
        f"(uid {NOBODY})): they could replace the store; move it to a folder only root "
        f"may write, such as /var/lib/mailwarden"
    )
    os.chown(mid, 0, -1)
    with SqliteStore(path) as store:
        assert store.revision() == 0


def test_a_refusal_names_the_folder_a_symlink_leads_to(tmp_path: Path) -> None:
    """mwdir (root's symlink) -> theirs (nobody's): theirs is the folder nobody owns;
    the old refusal named mwdir."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, -1)
    (tmp_path / "mwdir").symlink_to(theirs)
    problem = unsafe_mode(tmp_path / "mwdir" / "state.db")
    assert problem is not None
    assert f"a folder another user owns ({theirs}, owner nobody" in problem
