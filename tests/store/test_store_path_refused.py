"""A ``[store] path`` that names no store is refused by every command in one line, exit
2, as ``run --check`` refuses it: a URL of an unknown scheme (``postgressql://`` typed
for ``postgresql://``, ``sqlite:///…``), which was taken for a SQLite file relative to
the current folder, and a folder where the file should be (the driver's "disk I/O
error" before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Runner
from configfile import write_config

COMMANDS = (
    ("run", "--check"),
    ("ban", "203.0.113.9"),
    ("unban", "203.0.113.9"),
    ("status",),
)


def _config(tmp_path: Path, store: str) -> str:
    log = tmp_path / "mail.log"
    log.touch()
    path = tmp_path / "mailwarden.toml"
    write_config(path, {"sources": {"files": [str(log)]}, "store": {"path": store}})
    return str(path)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
@pytest.mark.parametrize(
    "store",
    ["postgressql://postgres@127.0.0.1/mw", "sqlite:///var/lib/mailwarden/state.db"],
    ids=["typo", "sqlite-url"],
)
def test_a_store_url_of_an_unknown_scheme_is_refused(
    run: Runner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    store: str,
) -> None:
    config = _config(tmp_path, store)
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    code, out, err = run(*command, "--config", config)
    scheme = store.split("://")[0]
    assert code == 2, (out, err)
    assert err.splitlines() == [
        f"mailwarden: error: {config}: store.path: unknown scheme {scheme!r} (a PostgreSQL "
        "store is named by a postgresql:// URL, a SQLite store by the absolute path of "
        "its file)"
    ]
    assert list(here.iterdir()) == []  # no SQLite file made of the URL


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_store_path_that_is_a_folder_is_refused(
    run: Runner, tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    config = _config(tmp_path, str(folder))
    code, out, err = run(*command, "--config", config)
    assert code == 2, (out, err)
    assert err.splitlines() == [f"mailwarden: error: {config}: store.path: {folder} is not a file"]
