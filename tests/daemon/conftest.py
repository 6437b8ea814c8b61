"""Fixtures for the daemon's tests (helpers in wardenlab.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from wardenlab import Warden


@pytest.fixture
def warden(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Warden]:
    """A log file, a dry-run configuration (backend none) and daemons driven by step()."""
    caplog.set_level(logging.INFO, logger="mailwarden")
    made = Warden(tmp_path)
    try:
        yield made
    finally:
        made.close()
