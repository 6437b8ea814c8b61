"""The type of the ``run`` fixture (tests/conftest.py): ``run("explain", path, env={…})``
runs ``mailwarden …`` in-process and gives (exit status, stdout, stderr)."""

from __future__ import annotations

from collections.abc import Callable

Runner = Callable[..., tuple[int, str, str]]
