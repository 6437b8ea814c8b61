"""A file option given the wrong file: ``--users`` in front of the logs takes the first
log as the list of accounts, ``--config`` a huge file. Each is one
line naming the file and why, never a run on a wrong reading, a hang or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirunner import Runner

LOG = (
    "Mar  9 04:43:04 mx postfix/smtpd[1]: warning: unknown[192.0.2.1]: "
    "SASL LOGIN authentication failed: authentication failure, sasl_username=alice\n"
)


@pytest.mark.parametrize(
    ("first", "said"),
    [
        (LOG, "line 1: a log line"),
        ("2026-03-09T04:43:04.123+00:00 mx dovecot: imap-login: x\n", "line 1: a log line"),
        ("alice\n" + "b" * 300 + "\n", "line 2: a name over 256 characters"),
    ],
)
def test_users_that_is_a_log_is_refused(run: Runner, tmp_path: Path, first: str, said: str) -> None:
    users = tmp_path / "mail.log.1"
    users.write_text(first)
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    code, out, err = run("analyze", "--year", "2026", "--users", str(users), str(log))
    assert (code, out) == (1, "")
    assert err == (
        f"mailwarden: error: {users}: {said}: not a list of accounts (one name per line)"
        " or a Dovecot passwd-file\n"
    )


def test_a_passwd_file_with_a_gecos_and_extra_fields_is_a_list(run: Runner, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(
        "alice@example.com:{PLAIN}x:1000:1000:Alice Liddell:/home/alice::"
        "userdb_quota_rule=*:storage=1G allow_nets=192.0.2.0/24\n"
    )
    log = tmp_path / "mail.log"
    log.write_text(LOG)
    code, _out, err = run("analyze", "-q", "--year", "2026", "--users", str(users), str(log))
    assert code == 0, err


def test_a_huge_config_is_refused_without_reading_it_all(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text("# " + "x" * (2 << 20) + "\n")
    code, out, err = run("run", "--check", "--config", str(path))
    assert (code, out) == (2, "")
    assert err == f"mailwarden: error: {path}: over 1 MiB: not a configuration file\n"
