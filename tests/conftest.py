"""Settings for the whole suite.

Hypothesis runs derandomized by default, so that `make test` (and CI) gives the same
result on every run; `HYPOTHESIS_PROFILE=explore` draws new random examples (and more
of them) when hunting for bugs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from clirunner import Runner
from mailwarden.cli import main
from mailwarden.locale import activate

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_sessionstart(session: object) -> None:
    """Refuse to test old code: a compiled module (mailwarden.native) older than its
    source runs what the source said when it was built."""
    import pytest

    from mailwarden.native import stale

    old = stale()
    if old:
        pytest.exit(f"compiled modules older than their source: {', '.join(old)}; run make setup")


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """One language is active per process: put English back after every test."""
    yield
    activate("en")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run ``mailwarden ARGS…`` in-process, in no locale but ``env``'s; return (exit
    status, stdout, stderr)."""

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
    """Write log lines to a file (mail.log in the test's folder); return its path."""

    def write(text: str) -> str:
        path = tmp_path / "mail.log"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
