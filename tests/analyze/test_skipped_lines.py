"""``stats.lines_skipped``: the lines that gave no entry, counted the same by analyze
and events, whether or not analyze's prefilter would have kept them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from analyze_logs import run_analyze

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "mail.log"


def skipped_by_events(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = done.stderr.splitlines()[0]
    assert summary.startswith("mailwarden: "), done.stderr
    return int(summary.split(", ")[-1].removesuffix(" skipped"))


def test_binary_lines_the_prefilter_drops_are_counted_as_events_counts_them(
    tmp_path: Path,
) -> None:
    # A NUL inside each of the first 60 lines: binary, whether or not a line holds
    # something analyze looks at (connect from, qmgr, … are dropped unframed).
    lines = SAMPLE.read_bytes().split(b"\n")
    for number in range(60):
        lines[number] = lines[number][:10] + b"\0" + lines[number][10:]
    path = tmp_path / "mail.log"
    path.write_bytes(b"\n".join(lines))
    result = run_analyze("--format", "json", path)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert stats["lines_skipped"] == skipped_by_events(path) == 60


def test_a_utf16_file_is_all_skipped_lines_in_both(tmp_path: Path) -> None:
    text = "\n".join(SAMPLE.read_text().splitlines()[:50]) + "\n"
    path = tmp_path / "mail.log"
    path.write_bytes(text.encode("utf-16-le"))
    result = run_analyze("--format", "json", path)
    stats = json.loads(result.stdout)["stats"]
    assert stats["lines_skipped"] == skipped_by_events(path) == stats["lines_read"]
