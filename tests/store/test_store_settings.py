"""A PostgreSQL URL with a setting libpq or psycopg refuses (``sslmode=bogus``, a port or
``connect_timeout`` that is no number) is a bad setting, as a URL libpq cannot read is:
every command exits 2 with one line ``FILE: store.path: reason`` that shows no
password. They exited 1 with "cannot connect to PostgreSQL", as for a server that is
down, and systemd restarted the daemon for ever. A server that is down stays exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from storelab import cli

from mailwarden.errors import StoreSettingError, StoreUnusable
from mailwarden.store import StoreError

pytest.importorskip("psycopg")

SECRET = "S3cretPW"
COMMANDS = [("status",), ("ban", "192.0.2.7"), ("unban", "192.0.2.7"), ("run", "--check")]

# (URL after the user info, what libpq or psycopg says of it). No server is reached:
# each is refused before anything is sent.
BAD = [
    ("127.0.0.1:5432/mw?sslmode=bogus", 'invalid sslmode value: "bogus"'),
    ("127.0.0.1:abc/mw", 'invalid integer value "abc" for connection option "port"'),
    ("localhost:abc/mw", 'invalid integer value "abc" for connection option "port"'),
    ("127.0.0.1:5432/mw?connect_timeout=ten", "bad value for connect_timeout: 'ten'"),
    (
        "127.0.0.1:5432/mw?target_session_attrs=any-one",
        'invalid target_session_attrs value: "any-one"',
    ),
    ("127.0.0.1:5432/mw?keepalives_idle=soon", 'invalid integer value "soon"'),
]


@pytest.mark.parametrize(
    ("rest", "why"), BAD, ids=[rest.split("/mw")[-1] or rest for rest, _ in BAD]
)
def test_a_setting_libpq_refuses_is_a_bad_setting_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rest: str, why: str
) -> None:
    url = f"postgresql://mw:{SECRET}@{rest}"
    shown = f"postgresql://mw:***@{rest}"
    for command in COMMANDS:
        code, err, out, config = cli(capsys, tmp_path, url, *command)
        assert (code, out, len(err)) == (2, "", 1), (command, err)
        prefix = f"mailwarden: error: {config}: store.path: {shown}: a bad connection setting: "
        assert err[0].startswith(prefix) and why in err[0], (command, err)
        assert SECRET not in err[0]


def test_the_store_says_a_bad_setting_apart_from_a_server_that_is_down() -> None:
    from mailwarden.store.postgres import PostgresStore, probe

    bad = f"postgresql://mw:{SECRET}@127.0.0.1:5432/mw?sslmode=bogus"
    for open_it in (probe, PostgresStore):
        with pytest.raises(StoreSettingError, match="invalid sslmode value") as refused:
            open_it(bad)
        assert SECRET not in str(refused.value)
    for down in ("postgresql://mw@127.0.0.1:1/mw", "postgresql://mw@%2Fnonexistent%2Fsocket/mw"):
        with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as failed:
            probe(down, connect_timeout=2)
        assert not isinstance(failed.value, StoreUnusable)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://mw:{SECRET}@127.0.0.1:1/mw?sslmode=require&connect_timeout=2",
        f"postgresql://mw:{SECRET}@%2Fnonexistent%2Fsocket:5432/mw",
    ],
    ids=["tcp", "socket"],
)
def test_a_good_url_to_a_server_that_is_down_stays_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    """It may come back: ban, status and unban fail as before, the daemon is retried."""
    for command in COMMANDS:
        code, err, out, _config = cli(capsys, tmp_path, url, *command)
        assert (code, out, len(err)) == (1, "", 1), (command, err)
        assert "cannot connect to PostgreSQL" in err[0] and SECRET not in err[0]


def test_a_good_connect_timeout_in_the_url_works(
    pg_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """psycopg reads it (mailwarden gives 10 s when the URL gives none)."""
    url = pg_database + "?connect_timeout=3"
    code, err, out, _ = cli(capsys, tmp_path, url, "ban", "192.0.2.7", "--reason", "x")
    assert code == 0, err
    code, err, out, _ = cli(capsys, tmp_path, url, "status")
    assert code == 0 and "192.0.2.7/32" in out, err
