"""What `analyze` reads of awkward inputs, as a user sees it in the JSON report: journal
entries whose MESSAGE is an array of bytes, rotated sets that mix numbered and dated
names, copies inside one rotated set, NUL holes, over-long lines, many files at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clirunner import Runner

ARGS = ("--year", "2026", "--timezone", "UTC", "--format", "json")


def failures(address: str, count: int, month: str = "Mar", day: int = 11, hour: int = 10) -> str:
    """``count`` SASL failures of ``address``, 5 s apart (as the reviewer's gen.py)."""
    lines = []
    for n in range(count):
        second = n * 5
        lines.append(
            f"{month} {day:2d} {hour:02d}:{second // 60:02d}:{second % 60:02d} mx "
            f"postfix/submission/smtpd[{1000 + n}]: warning: unknown[{address}]: SASL LOGIN "
            f"authentication failed: (reason unavailable), sasl_username=user{n}@example.com\n"
        )
    return "".join(lines)


def analyze(run: Runner, *args: str) -> dict[str, Any]:
    code, out, err = run("analyze", *ARGS, *args)
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def attackers(report: dict[str, Any]) -> dict[str, int]:
    return {item["ip"]: item["failures"] for item in report["attackers"]}


# -- journal entries whose MESSAGE is an array of bytes ------------------------------------


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": "), (" , ", " : ")])
def test_a_journal_message_given_as_bytes_is_analysed(
    run: Runner, tmp_path: Path, separators: tuple[str, str]
) -> None:
    """journalctl -o json writes a MESSAGE that is not UTF-8 as an array of bytes;
    systemd before 246 and other tools put blanks around the colon. Each such entry is
    a failure the analysis counts, as `events` shows it."""
    message = (
        b"warning: unknown[192.0.2.70]: SASL LOGIN authentication failed: (reason "
        b"unavailable), sasl_username=j3@exampl\xe9"
    )
    entries = [
        {
            "__REALTIME_TIMESTAMP": str(1773223200_000000 + n * 1_000_000),
            "_HOSTNAME": "mx",
            "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
            "_PID": str(100 + n),
            "MESSAGE": list(message),
        }
        for n in range(5)
    ]
    path = tmp_path / "journal.json"
    path.write_text("".join(json.dumps(e, separators=separators) + "\n" for e in entries))
    report = analyze(run, str(path))
    assert report["stats"]["lines_recognised"] == 5
    assert report["stats"]["failures_counted"] == 5
