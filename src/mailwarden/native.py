"""Which modules are compiled (mypyc), and whether the compiled ones are current.

    python -m mailwarden.native          lists each module: compiled, or pure Python

setup.py compiles :data:`COMPILED` when it can (see its docstring); the same source runs
as plain Python otherwise, with the same results. This module imports nothing of
mailwarden's, so setup.py can read the list before anything is built.

Decisions:
- The hot path only: reading and framing, the parsers, the detector, the two-process
  pipelines, the redaction every output goes through and the writer of ``events``
  (report/events.py: every event of a log goes through it). The CLI, other reports, audit,
  daemon, enforcement and store are not worth a compiler (they run once per run or per
  second) and stay plain Python, as does :mod:`mailwarden.model` (its NamedTuples stay
  Python classes under mypyc anyway).
- An editable install (``make setup``) puts the compiled modules beside their source.
  One that is older than its source runs the old code: :func:`stale` names them (the
  test suite refuses to run on them), and ``make setup`` rebuilds when a compiled
  module's source changes.
"""

from __future__ import annotations

import importlib.util
import os
import sys

COMPILED: tuple[str, ...] = (
    "mailwarden/framing.py",
    "mailwarden/scan.py",
    "mailwarden/scanpool.py",
    "mailwarden/eventpool.py",
    "mailwarden/redact.py",
    "mailwarden/report/events.py",
    "mailwarden/parsers/__init__.py",
    "mailwarden/parsers/_common.py",
    "mailwarden/parsers/postfix.py",
    "mailwarden/parsers/dovecot.py",
    "mailwarden/parsers/sasl.py",
    "mailwarden/detect/accounts.py",
    "mailwarden/detect/analysis.py",
    "mailwarden/detect/rules.py",
    "mailwarden/detect/server.py",
    "mailwarden/detect/sessions.py",
    "mailwarden/detect/state.py",
    "mailwarden/detect/windows.py",
)
"""Source files (relative to the package's parent directory) that setup.py compiles."""


def module_name(path: str) -> str:
    """``mailwarden/parsers/__init__.py`` -> ``mailwarden.parsers``."""
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def compiled_modules() -> dict[str, bool]:
    """For each module of :data:`COMPILED`: whether it runs compiled here."""
    status: dict[str, bool] = {}
    for path in COMPILED:
        name = module_name(path)
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        status[name] = origin is not None and not origin.endswith(".py")
    return status


def stale() -> list[str]:
    """The compiled modules older than their source file (an editable install whose
    source changed after the build): they would run the old code."""
    out: list[str] = []
    for path in COMPILED:
        spec = importlib.util.find_spec(module_name(path))
        origin = spec.origin if spec is not None else None
        if origin is None or origin.endswith(".py"):
            continue
        source = os.path.join(os.path.dirname(origin), os.path.basename(path))
        try:
            if os.stat(source).st_mtime > os.stat(origin).st_mtime:
                out.append(module_name(path))
        except OSError:
            continue
    return out


def main() -> int:
    status = compiled_modules()
    for name, compiled in status.items():
        print(f"{name:32s} {'compiled' if compiled else 'pure Python'}")
    old = stale()
    if old:
        print(f"older than their source (run make setup): {', '.join(old)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
