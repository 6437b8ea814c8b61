"""A copy of the installed package's source without its compiled modules: what a
pure-Python install runs (for the tests that compare or break the compiled build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import mailwarden

PACKAGE = Path(mailwarden.__file__).resolve().parent


def pure_copy(folder: Path) -> Path:
    """Copy the package's source (no ``*.so``, no ``__pycache__``) to
    ``folder/mailwarden``; return ``folder``, the directory to put on PYTHONPATH."""
    shutil.copytree(
        PACKAGE, folder / "mailwarden", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    return folder
