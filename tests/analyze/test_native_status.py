"""`python -m mailwarden.native --compiled` and `--can-compile`: what `make setup` asks
before it records a build as compiled (a build that fell back to pure Python must not
pass for one, or a later `make setup` would not compile it once gcc is there)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from purecopy import pure_copy


@pytest.fixture(scope="module")
def pure(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package without its compiled modules: what a fallback installs."""
    return pure_copy(tmp_path_factory.mktemp("pure"))


def native(*args: str, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(path), **env}
    return subprocess.run(
        [sys.executable, "-m", "mailwarden.native", *args],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_pure_python_build_is_not_reported_compiled(pure: Path):
    listed = native(path=pure)
    assert listed.returncode == 0
    assert "mailwarden.detect.rules          pure Python" in listed.stdout
    asked = native("--compiled", path=pure)
    assert asked.returncode == 1
    assert asked.stdout == listed.stdout
    assert asked.stderr.startswith("not compiled: mailwarden.framing, mailwarden.scan, ")
    assert "mailwarden._fastpath" in asked.stderr


def test_can_compile_names_a_missing_compiler(pure: Path):
    missing = native("--can-compile", path=pure, CC="/nonexistent/gcc -pthread")
    assert missing.returncode == 1
    assert missing.stderr == ("cannot compile the hot modules: no C compiler (/nonexistent/gcc)\n")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    found = native("--can-compile", path=pure, CC=sys.executable)  # any program will do
    if headers.is_file():
        assert (found.returncode, found.stderr) == (0, "")
    else:
        assert found.returncode == 1 and "no Python headers" in found.stderr


def test_an_unknown_argument_is_a_usage_error(pure: Path):
    done = native("--compile", path=pure)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m mailwarden.native")


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_reader_that_left_ends_the_list_quietly(pure: Path, buffered: bool):
    """``python -m mailwarden.native | head -1`` (the README's install step): a reader
    that closed the pipe before the list was written gets exit status 141, as the
    `mailwarden` commands and any command SIGPIPE ends, and no traceback. The reading
    end is closed before the command starts, so it cannot write a byte."""
    environ = {**os.environ, "PYTHONPATH": str(pure)}
    environ.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        environ["PYTHONUNBUFFERED"] = "1"
    reading, writing = os.pipe()
    os.close(reading)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailwarden.native"],
            env=environ,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        os.close(writing)
    assert (done.returncode, done.stderr) == (141, "")
