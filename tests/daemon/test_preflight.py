"""A bad configuration or host stops `mailwarden run` before anything starts: exit 2 and
one line naming the file, the key and the reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from wardenlab import base_config, write_config

from mailwarden.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), err.splitlines(), out


def config(tmp_path: Path, backend: str = "none", **changes: dict[str, Any]) -> Path:
    sections = base_config(tmp_path, backend)
    for name, keys in changes.items():
        sections.setdefault(name, {}).update(keys)
    (tmp_path / "mail.log").touch()
    return write_config(tmp_path / "mailwarden.toml", sections)


def assert_refused(
    capsys: pytest.CaptureFixture[str], path: Path, key: str, reason: str, *extra: str
) -> None:
    code, err, _ = run_cli(capsys, "run", "--config", str(path), *extra)
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"mailwarden: error: {path}: {key}: "), err[0]
    assert reason in err[0]
    assert not (path.parent / "state").exists(), "nothing may be started"


def test_an_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"fast_failure": 3})
    assert_refused(capsys, path, "policy.fast_failure", "unknown key")


def test_a_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"ban_time": True})
    assert_refused(capsys, path, "policy.ban_time", "duration")


def test_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    code, err, _ = run_cli(capsys, "run", "--config", str(missing))
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"mailwarden: error: {missing}: cannot read")


def test_not_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "nftables")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr("shutil.which", lambda program: f"/usr/sbin/{program}")
    assert_refused(capsys, path, "enforce.backend", "needs root")


def test_a_missing_nft_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "nftables")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert_refused(capsys, path, "enforce.backend", "nft program, which is not installed")


def test_nothing_to_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, sources={"files": []})
    assert_refused(capsys, path, "sources.files", "nothing to read")


def test_a_relative_log_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, sources={"files": ["mail.log"]})
    assert_refused(capsys, path, "sources.files", "not an absolute path")


def test_a_store_that_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("")
    path = config(tmp_path, store={"path": str(tmp_path / "afile" / "db.sqlite")})
    assert_refused(capsys, path, "store.path", "cannot create")


def test_a_missing_account_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, policy={"users_file": str(tmp_path / "users")})
    assert_refused(capsys, path, "policy.users_file", "does not exist")


def test_an_alert_command_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, alerts={"command": ["/nonexistent/notify", "--to", "admin"]})
    assert_refused(capsys, path, "alerts.command", "no such program")


def test_an_alert_url_that_is_not_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, alerts={"url": "file:///etc/passwd"})
    assert_refused(capsys, path, "alerts.url", "not an http")


def test_a_bad_table_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(tmp_path, "nftables", enforce={"table": "a;b"})
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda program: f"/usr/sbin/{program}")
    assert_refused(capsys, path, "enforce.table", "bad table name", "--check")


def test_check_says_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path)
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.strip() == f"mailwarden: {path}: ready to run"


def test_check_warns_about_a_followed_file_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Debian 12 installs no rsyslog: the example's /var/log/mail.log is not there, and a
    # daemon started so would read nothing and ban nothing.
    path = config(tmp_path)
    (tmp_path / "mail.log").unlink()
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0
    assert out.strip() == f"mailwarden: {path}: ready to run"
    assert err == [
        f"mailwarden: warning: {tmp_path / 'mail.log'} does not exist (yet): nothing is read "
        "from it until it appears; no rsyslog? set files = [] and journal = true"
    ]
