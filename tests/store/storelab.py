"""What the store tests share: where they find PostgreSQL (trust auth on the local server
by default), and a command of mailwarden run against a store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailwarden.cli import main

POSTGRES_DSN = os.environ.get(
    "MAILWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, *args: str
) -> tuple[int, list[str], str, Path]:
    """(exit status, error lines, output, configuration file) of the command ``args``
    with a configuration whose store is ``url`` (host mx1, no firewall)."""
    config = tmp_path / "mailwarden.toml"
    log = tmp_path / "mail.log"
    log.touch()
    config.write_text(
        f'[sources]\nfiles = ["{log}"]\n[store]\npath = "{url}"\nhost_name = "mx1"\n'
        '[enforce]\nbackend = "none"\n'
    )
    with pytest.raises(SystemExit) as done:
        main([*args, "--config", str(config)])
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), err.splitlines(), out, config
