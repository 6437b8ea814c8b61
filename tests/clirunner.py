"""The type of the ``run`` fixture (tests/conftest.py): ``run("explain", path, env={…})``
runs ``mailwarden …`` in-process and gives (exit status, stdout, stderr)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Runner = Callable[..., tuple[int, str, str]]


def analyze_json(run: Runner, log_file: Callable[[str], str], lines: list[str]) -> dict[str, Any]:
    """``mailwarden analyze --format json`` of ``lines`` (year 2026, UTC), written by the
    ``log_file`` fixture: the report, after checking the exit status is 0."""
    code, out, err = run(
        "analyze", "--year", "2026", "--timezone", "UTC", "--format", "json",
        log_file("\n".join(lines) + "\n"),
    )  # fmt: skip
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report
