"""`mailwarden explain` on input that is not (all) log lines: a UTF-16 file, a log
gzipped twice, a line holding a NUL. It says so, as analyze does, instead of "the input
contains no log entries" alone or dropping the line in silence."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

LINES = (
    "Mar 10 09:00:00 mx postfix/smtpd[100]: warning: unknown[203.0.113.7]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6\n"
    "Mar 10 09:00:05 mx postfix/smtpd[100]: warning: unknown[203.0.113.7]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6\n"
)
NOT_LOGS = "its first lines are not log entries (another format? UTF-16? compressed twice?)"


def explain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", "explain", "--year", "2026", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": "", "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


def test_a_utf16_file_is_said_not_to_be_a_log(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(LINES.encode("utf-16"))
    result = explain(str(path))
    assert result.returncode == 0
    assert f"mailwarden: warning: {path}: {NOT_LOGS}" in result.stderr
    assert NOT_LOGS in " ".join(result.stdout.split())  # on top of the explanation too


def test_a_log_gzipped_twice_is_said_not_to_be_a_log(tmp_path: Path) -> None:
    path = tmp_path / "mail.log.2.gz"
    path.write_bytes(gzip.compress(gzip.compress(LINES.encode())))
    result = explain(str(path))
    assert f"mailwarden: warning: {path}: {NOT_LOGS}" in result.stderr


def test_a_line_holding_a_nul_is_said_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(LINES.encode() + b"Mar 10 09:00:09 mx postfix/smtpd[100]: dis\0connect\n")
    result = explain(str(path))
    assert result.returncode == 0
    said = "1 line was skipped: binary (NUL bytes or control characters), not a log entry."
    assert f"mailwarden: warning: {said}" in result.stderr
    assert said in " ".join(result.stdout.split())
    assert "not log entries (another format" not in result.stderr  # a log, one line bad
    assert result.stderr.count("mailwarden: warning:") == 1
