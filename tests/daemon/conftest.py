"""Fixtures for the daemon's tests (helpers in wardenlab.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
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


@pytest.fixture
def now() -> datetime:
    """The test's own reading of the clock, at its start: the logs' times count back
    from it. Read once at the module's import, it was minutes old when a test of a
    long run came to it, while the daemon judges by its own clock: a guesser's four
    failures within 2h, the last written live, fell further apart; an attack "of now"
    could be older than a ban would last (not banned)."""
    return datetime.now(UTC)
