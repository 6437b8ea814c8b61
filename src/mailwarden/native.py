"""Which modules are compiled (mypyc), and whether the compiled ones are current.

    python -m mailwarden.native              lists each module: compiled, or pure Python
    python -m mailwarden.native --compiled   the same; exit 1 unless all are compiled
    python -m mailwarden.native --can-compile  exit 0 when a C compiler and the Python
                                               headers are there to compile them

``make setup`` records a compiled build only when ``--compiled`` says so; a build that
fell back to pure Python is rebuilt by the next ``make setup`` once ``--can-compile``
says the compiler and headers are there.

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
  One that is older than the source runs the old code: :func:`stale` names them (the
  test suite refuses to run on them), and ``make setup`` rebuilds when any source of
  the package changes (``MAILWARDEN_PURE=1 make setup`` removes them, for quick
  edit-and-test cycles).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import shutil
import signal
import sys
import sysconfig

COMPILED: tuple[str, ...] = (
    "mailwarden/framing.py",
    "mailwarden/scan.py",
    "mailwarden/scanpool.py",
    "mailwarden/posixtime.py",
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
C_MODULES: dict[str, str] = {"mailwarden._fastpath": "mailwarden/_fastpath.c"}
"""Modules written in C, and their source: built with the compiled modules (all or none),
each with the Python it replaces beside it (mailwarden.scan: the analysis prefilter)."""


def module_name(path: str) -> str:
    """``mailwarden/parsers/__init__.py`` -> ``mailwarden.parsers``."""
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def compiled_modules() -> dict[str, bool]:
    """For each module of :data:`COMPILED` and :data:`C_MODULES`: whether it runs compiled
    here."""
    status: dict[str, bool] = {}
    for name in [module_name(path) for path in COMPILED] + list(C_MODULES):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        status[name] = origin is not None and not origin.endswith(".py")
    return status


def stale() -> list[str]:
    """The compiled modules older than a source file of the package (an editable install
    whose source changed after the build began): they would run the old code. Any
    source counts, not only their own: compiled code reads the fields of NamedTuples
    such as Record by position, so a change in model.py changes what it must do. The
    shared library beside the package is checked too, as is any compiled module that
    is no longer on the list.

    Only in a source checkout (``src/mailwarden`` beside ``setup.py``): an installed
    wheel's files carry whatever times pip gave them, none of them edited since."""
    package = os.path.dirname(os.path.abspath(__file__))
    if not source_checkout(package):
        return []
    newest = 0.0
    compiled: list[str] = []
    for folder, _dirs, files in os.walk(package):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith((".py", ".c")):
                newest = max(newest, _mtime(path))
            elif name.endswith(".so"):
                compiled.append(path)
    parent = os.path.dirname(package)
    compiled += [
        os.path.join(parent, name)
        for name in os.listdir(parent)
        if name.startswith("mailwarden_native__mypyc") and name.endswith(".so")
    ]
    return sorted(os.path.relpath(path, parent) for path in compiled if _mtime(path) < newest)


def source_checkout(package: str) -> bool:
    """``package`` (the mailwarden folder) is in a source checkout: ``src/`` of a tree
    with ``setup.py``, as ``make setup``'s editable install leaves it."""
    parent = os.path.dirname(package)
    return os.path.basename(parent) == "src" and os.path.isfile(
        os.path.join(os.path.dirname(parent), "setup.py")
    )


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def can_compile() -> str:
    """What a build here lacks to compile the modules ("" when nothing): the C compiler
    setuptools would run (``$CC``, else the one Python was built with) and ``Python.h``.
    """
    command = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    if not command or shutil.which(command[0]) is None:
        return f"no C compiler ({command[0] if command else 'CC is empty'})"
    include = sysconfig.get_paths()["include"]
    if not os.path.isfile(os.path.join(include, "Python.h")):
        return f"no Python headers ({include}/Python.h)"
    return ""


READER_LEFT = 128 + signal.SIGPIPE
"""Exit status when the reader of standard output left before the list was written
(``python -m mailwarden.native | head -1``): 141, as ``mailwarden``'s commands
(:data:`mailwarden.cli.READER_LEFT`) and any command SIGPIPE ends."""


def main(argv: list[str] | None = None) -> int:
    """The command; a reader that closes the pipe early ends it quietly: exit status
    :data:`READER_LEFT`, no traceback and no "Exception ignored" at exit."""
    try:
        status = _main(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # here, where a reader that left is handled, not at exit
    except BrokenPipeError:
        # What is still buffered goes to /dev/null, so the flush at exit cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(AttributeError, OSError, ValueError):  # not a real file
            os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return READER_LEFT
    return status


def _main(args: list[str]) -> int:
    if args == ["--can-compile"]:
        lacking = can_compile()
        if lacking:
            print(f"cannot compile the hot modules: {lacking}", file=sys.stderr)
        return 1 if lacking else 0
    if args not in ([], ["--compiled"]):
        print("usage: python -m mailwarden.native [--compiled | --can-compile]", file=sys.stderr)
        return 2
    status = compiled_modules()
    for name, compiled in status.items():
        print(f"{name:32s} {'compiled' if compiled else 'pure Python'}")
    old = stale()
    if old:
        names = ", ".join(old)
        print(f"compiled modules older than the source (run make setup): {names}", file=sys.stderr)
        return 1
    pure = [name for name, compiled in status.items() if not compiled]
    if args == ["--compiled"] and pure:
        print(f"not compiled: {', '.join(pure)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
