"""Shared helpers for the explain tests (running the command in-process and putting
English back are the whole suite's: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def log_file(tmp_path: Path) -> Callable[[str], str]:
    """Write log lines to a file; return its path as a string."""

    def write(text: str) -> str:
        path = tmp_path / "mail.log"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
