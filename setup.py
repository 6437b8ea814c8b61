"""Build mailwarden: the modules on the analyzer's hot path compiled with mypyc, when a C
compiler and the Python headers are there; pure Python otherwise (same behaviour).

Everything else about the package is in pyproject.toml. The compiled modules are the
same source files, type-checked (mypy --strict) and translated to C by mypyc
(https://mypyc.readthedocs.io): reading and framing, the parsers, the detector, the
two-process pipelines. Measured stage by stage: detection 2x faster, parsing and the
events writer 1.25x, framing 1.1x; analyze 1.45x end to end (benchmarks/). One module
is written in C (mailwarden/_fastpath.c, the analysis prefilter), built with them; the
Python it replaces stays, and runs when it is not built.

- ``MAILWARDEN_PURE=1`` in the environment builds pure Python (no compiler needed).
- Without a C compiler or the Python headers (``mailwarden.native.can_compile``) mypyc
  is not run at all: the pure-Python install takes seconds, not a minute.
- Any failure to compile (no compiler, no headers, a mypyc that cannot translate this
  mypy's output) falls back to pure Python, with a warning in the build log: a compiled
  build is an optimisation, never a requirement. Nothing half-built is left behind.
- ``python -m mailwarden.native`` says which modules run compiled.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
_NATIVE = runpy.run_path(str(SRC / "mailwarden" / "native.py"))
COMPILED: tuple[str, ...] = _NATIVE["COMPILED"]
"""The list lives with the package (mailwarden.native), read without importing it."""
C_MODULES: dict[str, str] = _NATIVE["C_MODULES"]
"""Modules written in C (name -> source), with a pure-Python path beside them."""


def remove_compiled() -> None:
    """Delete the compiled modules an earlier editable build left beside the source: a
    build starts from the source alone, and a pure-Python one must not keep running
    them (an extension module is imported before the .py of the same name)."""
    for path in SRC.rglob("*.so"):
        path.unlink(missing_ok=True)


class OptionalBuildExt(build_ext):
    """build_ext that falls back to pure Python when compiling fails, removing whatever
    it had built (the compiled modules share one library: all of them, or none).
    Built modules are dated to when the build began: a source edited during the build
    is newer than them, which ``mailwarden.native.stale`` and make notice."""

    def run(self) -> None:
        began = time.time()
        try:
            super().run()
        except Exception as exc:  # compiler missing, compile error, …
            self._fall_back(exc)
            return
        for path in self._built():
            if path.exists():
                os.utime(path, (began, began))

    def _built(self) -> list[Path]:
        """Where the modules went: the build directory, and beside the source."""
        paths = [Path(output) for output in self.get_outputs()]
        paths += [SRC / self.get_ext_filename(ext.name) for ext in self.extensions]
        return paths

    def _fall_back(self, exc: BaseException) -> None:
        for path in self._built():
            path.unlink(missing_ok=True)
        remove_compiled()
        self.warn(f"mailwarden: compiling failed ({exc}); installing pure Python")


METADATA_ONLY = {"egg_info", "dist_info", "sdist"}
"""setup.py commands that build nothing: pip runs them first, mypyc need not run."""


def extensions() -> list[object]:
    if sys.argv[1:2] and sys.argv[1] in METADATA_ONLY:
        return []
    remove_compiled()
    if os.environ.get("MAILWARDEN_PURE"):
        return []
    lacking = _NATIVE["can_compile"]()
    if lacking:
        print(f"mailwarden: {lacking}; installing pure Python", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("mailwarden: mypyc not available; installing pure Python", file=sys.stderr)
        return []
    paths = [f"src/{path}" for path in COMPILED]
    try:
        compiled = list(mypycify(paths, opt_level="3", group_name="mailwarden_native"))
    except (Exception, SystemExit) as exc:
        print(f"mailwarden: mypyc failed ({exc}); installing pure Python", file=sys.stderr)
        return []
    written_in_c = [
        Extension(name, [f"src/{source}"], extra_compile_args=["-O3"])
        for name, source in C_MODULES.items()
    ]
    return compiled + written_in_c


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
