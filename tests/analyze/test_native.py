"""The compiled build (mailwarden.native, setup.py) gives exactly what the pure-Python
source gives: the same analysis, the same events, the same explanation.

The suite itself runs on whichever build is installed (compiled where a C compiler was
there); this runs the same commands a second time on a copy of the source without the
compiled modules, and compares what a user would see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mailwarden
from mailwarden.native import compiled_modules
from purecopy import pure_copy

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


@pytest.fixture(autouse=True)
def compiled_build() -> None:
    """The suite expects the compiled build (make setup compiles where gcc and the Python
    headers are, as on CI) unless MAILWARDEN_PURE asked for pure Python: a compile that
    fell back without a word would otherwise leave the compiled code untested."""
    if os.environ.get("MAILWARDEN_PURE"):
        pytest.skip("MAILWARDEN_PURE: a pure-Python build, nothing compiled to compare")
    built = compiled_modules()
    pure = ", ".join(name for name, compiled in built.items() if not compiled)
    assert not pure, f"not compiled (install gcc and python3-dev, then make setup compiles): {pure}"


@pytest.fixture(scope="module")
def pure(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package's source without its compiled modules."""
    return pure_copy(tmp_path_factory.mktemp("pure"))


def run(args: list[str], pure: Path | None = None) -> str:
    env = dict(os.environ)
    if pure is not None:
        env["PYTHONPATH"] = str(pure)
    done = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 3), done.stderr
    return done.stdout


def analysis(text: str) -> dict[str, Any]:
    """The JSON analysis without the two timings, which differ from run to run."""
    found: dict[str, Any] = json.loads(text)
    for key in ("seconds", "lines_per_second"):
        found["stats"].pop(key)
    return found


def builds(text: str) -> dict[str, str]:
    """``python -m mailwarden.native``: module -> compiled / pure Python."""
    return dict(line.split(None, 1) for line in text.splitlines())


def test_the_copy_is_pure_and_the_installed_build_is_compiled(pure: Path) -> None:
    assert set(builds(run(["mailwarden.native"], pure)).values()) == {"pure Python"}
    assert builds(run(["mailwarden.native"]))["mailwarden.detect.rules"] == "compiled"


def test_the_samples_give_the_same_analysis_events_and_explanation(pure: Path) -> None:
    logs = sorted(str(path) for path in SAMPLES.glob("mail.log*"))
    users = ["--users", str(SAMPLES / "users.txt")]
    analyze = ["mailwarden", "analyze", "--quiet", "--format", "json", *users, *logs]
    compiled = analysis(run(analyze))
    assert compiled["attackers"] and compiled["compromised"]
    assert analysis(run(analyze, pure)) == compiled
    events = ["mailwarden", "events", "--format", "jsonl", *logs]
    assert run(events, pure) == run(events)
    for lang in ("en", "zh_CN"):
        explain = ["mailwarden", "explain", "--lang", lang, str(SAMPLES / "seed-excerpt.txt")]
        assert run(explain, pure) == run(explain)


def test_a_large_log_read_by_two_processes_gives_the_same_analysis(
    pure: Path, tmp_path: Path
) -> None:
    """Over 8 MB: the reading runs in a worker process (mailwarden.scanpool)."""
    log = tmp_path / "mix.log"
    with log.open("w") as out:
        out.writelines(line + "\n" for line in generate(80_000, 11, 5000))
    assert log.stat().st_size > 8 << 20
    analyze = ["mailwarden", "analyze", "--quiet", "--format", "json", str(log)]
    compiled = analysis(run(analyze))
    assert len(compiled["attackers"]) > 1000
    assert analysis(run(analyze, pure)) == compiled
    events = ["mailwarden", "events", "--format", "jsonl", str(log)]
    assert run(events, pure) == run(events)


def test_installed_copies_are_never_called_stale(tmp_path: Path) -> None:
    # pip writes a wheel's files with the times it likes: after `pip install`, a
    # compiled module may be older than a source file without anything being edited.
    from mailwarden.native import source_checkout

    checkout = tmp_path / "checkout"
    (checkout / "src" / "mailwarden").mkdir(parents=True)
    (checkout / "setup.py").write_text("")
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "mailwarden"
    installed.mkdir(parents=True)
    assert source_checkout(str(checkout / "src" / "mailwarden"))
    assert not source_checkout(str(installed))
    assert source_checkout(os.path.dirname(mailwarden.__file__))  # the tests run from one
