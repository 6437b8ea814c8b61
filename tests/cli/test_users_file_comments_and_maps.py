"""A users file with a comment after a name, a Postfix virtual-mailbox map or an RFC 5322
quoted local part is a list of accounts: the daemon starts and analyze runs (a log given
as the users file is still refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Runner
from mailwarden.detect.accounts import load_accounts

LOG = (
    "Mar  9 04:43:04 mx postfix/smtpd[1]: warning: unknown[192.0.2.1]: "
    "SASL LOGIN authentication failed: authentication failure, sasl_username=alice\n"
)

USERS = {
    "comment": "alice@example.org\nbob@example.org   # on leave\n",
    "map": "alice@example.org    example.org/alice/\nbob@example.org\texample.org/bob/\n",
    "quoted": 'alice@example.org\nbob@example.org\n"eve smith"@example.org:{PLAIN}x\n',
}


def _config(tmp_path: Path, users: str) -> Path:
    (tmp_path / "users").write_text(users)
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    config = tmp_path / "mailwarden.toml"
    config.write_text(
        f'[sources]\nfiles = ["{log}"]\n[store]\npath = "{tmp_path / "db.sqlite"}"\n'
        f'[policy]\nusers_file = "{tmp_path / "users"}"\n'
    )
    return config


@pytest.mark.parametrize("kind", sorted(USERS))
def test_the_daemon_starts_and_analyze_runs(run: Runner, tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, USERS[kind])
    code, _out, err = run("run", "--check", "--config", str(config))
    assert code == 0, err
    code, _out, err = run(
        "analyze", "-q", "--year", "2026", "--config", str(config), str(tmp_path / "mail.log")
    )
    assert code == 0, err


@pytest.mark.parametrize("kind", sorted(USERS))
def test_the_names_are_the_first_field(tmp_path: Path, kind: str) -> None:
    (tmp_path / "users").write_text(USERS[kind])
    accounts = load_accounts(tmp_path / "users")
    assert accounts.exists("alice@example.org")
    assert accounts.exists("bob@example.org")
    assert not accounts.exists("on")
    if kind == "quoted":
        assert accounts.exists('"eve smith"@example.org')
    assert len(accounts) == (3 if kind == "quoted" else 2)


def test_a_log_as_the_users_file_is_still_refused(run: Runner, tmp_path: Path) -> None:
    config = _config(tmp_path, LOG)
    code, _out, err = run("run", "--check", "--config", str(config))
    assert code == 2
    assert "line 1: a log line: not a list of accounts" in " ".join(err.split())
