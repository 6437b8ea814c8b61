"""Shared helpers for the explain tests: run the command in-process, reset the language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailwarden.cli import main
from mailwarden.locale import activate


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """One language is active per process: put English back after every test."""
    yield
    activate("en")


Runner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run ``mailwarden ARGS…`` in-process; return (exit status, stdout, stderr)."""

    def runner(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        code = exited.value.code
        return (code if isinstance(code, int) else 1), out, err

    return runner


@pytest.fixture
def log_file(tmp_path: Path) -> Callable[[str], str]:
    """Write log lines to a file; return its path as a string."""

    def write(text: str) -> str:
        path = tmp_path / "mail.log"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
