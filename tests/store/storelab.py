"""What the store tests share: where they find PostgreSQL (trust auth on the local server
by default), a command of mailwarden run against a store, and a daemon on one."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from configfile import write_config
from mailwarden.cli import main
from mailwarden.config import load_config
from mailwarden.daemon.loop import Daemon

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


def guesses(ip: str) -> str:
    """Three failed logins from ``ip`` on three names, stamped now: a brute force."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return "".join(
        f"{now} mx postfix/submission/smtpd[{1201 + n}]: "
        f"warning: unknown[{ip}]: SASL PLAIN authentication failed: UGFzc3dvcmQ6, "
        f"sasl_username={user}\n"
        for n, user in enumerate(("admin", "info", "sales"))
    )


def store_daemon(tmp_path: Path, url: str) -> tuple[Daemon, Path]:
    """A started daemon whose store is ``url`` (host mx1, no firewall; three failures
    within 5 minutes ban), and the empty log it follows."""
    log = tmp_path / "mail.log"
    log.touch()
    config = write_config(
        tmp_path / "mailwarden.toml",
        {
            "sources": {"files": [str(log)]},
            "store": {"path": url, "host_name": "mx1"},
            "enforce": {"backend": "none"},
            "policy": {"fast_failures": 3, "fast_window": "5m"},
        },
    )
    daemon = Daemon(load_config(str(config)), own=lambda: [], tick=0.01)
    daemon.start()
    return daemon, log
