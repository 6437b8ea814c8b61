"""A source checkout whose compiled modules are older than its source (a ``git pull``
since ``make setup``) is refused in one line, not run half old and half new."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from purecopy import pure_copy


def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the package in a source checkout's layout (src/ beside setup.py), with
    one compiled module made before its source changed; (src, that module)."""
    src = pure_copy(tmp_path / "src")
    (tmp_path / "setup.py").write_text("")
    built = src / "mailwarden" / "detect" / "rules.cpython-311-x86_64-linux-gnu.so"
    built.write_bytes(b"")  # never imported here: the check refuses before
    hour_ago = time.time() - 3600
    os.utime(built, (hour_ago, hour_ago))
    return src, built


def mailwarden_in(
    src: Path, *args: str, language: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LANGUAGE", "LC_ALL")}
    if language is not None:
        env["LANGUAGE"] = language
    env["PYTHONPATH"] = str(src)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-c", "from mailwarden.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_stale_build_is_refused_in_one_line(tmp_path: Path) -> None:
    src, _built = checkout(tmp_path)
    done = mailwarden_in(src, "explain", "--help")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "older than the source" in lines[0] and "make setup" in lines[0]
    assert "mailwarden/detect/rules" in lines[0]


def test_a_build_newer_than_its_source_runs(tmp_path: Path) -> None:
    src, built = checkout(tmp_path)
    os.utime(built, None)  # built now: after every source file
    done = mailwarden_in(src, "explain", "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout


def test_in_chinese_too(tmp_path: Path) -> None:
    src, _built = checkout(tmp_path)
    done = mailwarden_in(src, "explain", "--help", language="zh_CN")
    assert done.returncode == 2
    assert "make setup" in done.stderr and "older than the source" not in done.stderr
