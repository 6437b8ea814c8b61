"""Fixtures of the audit tests: configuration directories, and the command as a user runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, USER_MAIN, Result, build_postfix

from mailwarden.cli import main


@pytest.fixture
def user_server(tmp_path: Path) -> Path:
    return build_postfix(tmp_path / "user-server", USER_MAIN)


@pytest.fixture
def hardened(tmp_path: Path) -> Path:
    return build_postfix(tmp_path / "hardened", HARDENED_MAIN, HARDENED_MASTER)


@pytest.fixture
def debian_stock(tmp_path: Path) -> Path:
    return build_postfix(tmp_path / "debian-stock")


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `mailwarden ARGS` in-process, with a clean locale unless `env` sets one."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "COLUMNS"):
            monkeypatch.delenv(variable, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run
