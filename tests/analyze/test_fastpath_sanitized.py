"""The C fast path (mailwarden/_fastpath.c) under AddressSanitizer and UndefinedBehavior
Sanitizer: it reads text written by attackers, often as root, so a read past a line, a
use after free or an overflow must fail a test, not pass unseen.

The module is compiled with ``-fsanitize=address,undefined`` into a copy of the package,
and tests/analyze/test_fastpath.py, test_fastpath_review.py and test_fastpath_seeded.py
(the comparison with Python on generated, real and hostile input, the argument checks)
run against it in a child process, every object allocated with malloc
(``PYTHONMALLOC=malloc``: under Python's own allocator AddressSanitizer cannot see a read
past a small object). Needs gcc and its sanitizer runtimes (Debian's gcc brings them), as
the compiled build does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import mailwarden
from mailwarden.native import compiled_modules

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "mailwarden" / "_fastpath.c"


def _gcc() -> str:
    gcc = shutil.which("gcc")
    if gcc is None:
        if os.environ.get("MAILWARDEN_PURE") or not any(compiled_modules().values()):
            pytest.skip("no gcc: nothing is compiled here")
        raise AssertionError("the build is compiled but gcc is gone")
    return gcc


def test_the_c_fast_path_under_address_and_undefined_behaviour_sanitizers(
    tmp_path: Path,
) -> None:
    gcc = _gcc()
    package = tmp_path / "mailwarden"
    shutil.copytree(
        Path(mailwarden.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    built = subprocess.run(
        [
            gcc,
            "-O1",
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer",
            "-shared",
            "-fPIC",
            f"-I{sysconfig.get_paths()['include']}",
            str(SOURCE),
            "-o",
            str(package / f"_fastpath{suffix}"),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    runtime = subprocess.run(
        [gcc, "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert os.path.isabs(runtime), f"no AddressSanitizer runtime: {runtime}"
    # The reports go to files: the child's pytest captures its stderr, and a sanitizer's
    # abort ends it before that is shown (only faulthandler's Python frames would be).
    reports = tmp_path / "sanitizer"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tmp_path),
        MAILWARDEN_PURE="1",  # pure Python beside the sanitized C module
        # Every object from malloc, so that AddressSanitizer sees each one's bounds:
        # under Python's own allocator small objects (a chunk's bytes, its starts) share
        # pools, and a read past one lands in the next, unseen.
        PYTHONMALLOC="malloc",
        LD_PRELOAD=runtime,
        # detect_leaks=0: CPython keeps memory on purpose
        ASAN_OPTIONS=f"detect_leaks=0:abort_on_error=1:log_path={reports}",
        UBSAN_OPTIONS=f"print_stacktrace=1:halt_on_error=1:log_path={reports}",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "analyze" / "test_fastpath.py"),
            str(ROOT / "tests" / "analyze" / "test_fastpath_review.py"),
            str(ROOT / "tests" / "analyze" / "test_fastpath_seeded.py"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    said = "".join(path.read_text() for path in sorted(tmp_path.glob("sanitizer.*")))
    assert done.returncode == 0 and not said, said[:6000] + output[-4000:]
    assert "passed" in done.stdout and "skipped" not in done.stdout, output[-2000:]
    # The child ran the sanitized module, not another build:
    probe = subprocess.run(
        [sys.executable, "-c", "import mailwarden._fastpath as m; print(m.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == str(package / f"_fastpath{suffix}"), probe.stderr
