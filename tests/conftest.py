"""Settings for the whole suite.

Hypothesis runs derandomized by default, so that `make test` (and CI) gives the same
result on every run; `HYPOTHESIS_PROFILE=explore` draws new random examples (and more
of them) when hunting for bugs."""

from __future__ import annotations

import os

from hypothesis import settings

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
