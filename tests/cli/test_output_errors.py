"""Standard output that cannot be written: a full disk (``> /dev/full``) or closed
(``>&-``). Every command says so in one line on standard error and exits 1, never with
a traceback; a broken pipe stays the quiet 141 of test_reader_leaves.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

COMMANDS = [
    ("analyze", "--format", "json", str(SAMPLES / "mail.log")),
    ("analyze", str(SAMPLES / "mail.log")),
    ("analyze", "--thresholds"),
    ("events", str(SAMPLES / "mail.log")),
    ("events", "--format", "jsonl", str(SAMPLES / "mail.log")),
    ("explain", str(SAMPLES / "seed-excerpt.txt")),
    ("--help",),
    ("--version",),
]


def run(args: tuple[str, ...], **how: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        **how,  # type: ignore[call-overload]
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_full_disk_is_one_line_and_status_1(args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = run(args, stdout=full)
    assert result.returncode == 1
    assert result.stderr == "mailwarden: error: standard output: No space left on device\n"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_closed_standard_output_is_one_line_and_status_1(args: tuple[str, ...]) -> None:
    result = run(args, preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert result.stderr == "mailwarden: error: standard output is closed\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_said_in_chinese() -> None:
    with open("/dev/full", "w") as full:
        result = run(("analyze", "--lang", "zh_CN", str(SAMPLES / "mail.log")), stdout=full)
    assert result.returncode == 1
    assert result.stderr.startswith("mailwarden: 错误：标准输出")
    assert "Traceback" not in result.stderr
