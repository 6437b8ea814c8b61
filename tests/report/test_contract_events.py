# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`mailwarden events --format jsonl` keeps its contract (ARCHITECTURE.md) field by field on
every log the project holds, and `line` is the 1-based physical line of that file, whatever
came before it (junk, an over-long line, CR LF ends, a gzip)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract import CONTRACT_EVENT, event_problems, events_problems

ROOT = Path(__file__).resolve().parents[2]


def events_jsonl(
    *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The events, read as other tools read JSON: UTF-8, one object a line."""
    result = subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", "--format", "jsonl", *map(str, args)],
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_every_log_of_the_project_keeps_the_contract() -> None:
    logs = [
        ROOT / "samples" / "seed-excerpt.txt",
        *sorted((ROOT / "tests" / "data" / "real").glob("*.log")),
        ROOT / "samples" / "mail.log.2.gz",
        ROOT / "samples" / "mail.log.1",
        ROOT / "samples" / "mail.log",
    ]
    events = events_jsonl(*logs)
    assert len(events) > 3000
    assert events_problems(events) == []
    # Both values of every enumerated field are there: the check saw them.
    assert {e["strength"] for e in events} == {"strong", "weak", None}
    assert {e["hostile"] for e in events} == {True, False}
    assert any(e["port"] is not None for e in events) and any(e["pid"] is None for e in events)


FAILURE = "{stamp} mx postfix/submission/smtpd[4011]: warning: unknown[{ip}]: SASL LOGIN authentication failed: authentication failure, sasl_username=a@example.com"


def awkward_log() -> tuple[bytes, dict[str, int]]:
    """A log whose good lines follow what a reader could miscount: an empty line, binary
    junk, a CR LF end, a line too long to read, invalid UTF-8. Returns the bytes and the
    line of each client."""
    lines = [
        b"",
        FAILURE.format(stamp="Feb 23 09:00:01", ip="203.0.113.1").encode(),
        b"\xff\xfe junk \x00 binary",
        FAILURE.format(stamp="Feb 23 09:00:02", ip="203.0.113.2").encode() + b"\r",
        b"x" * (200 << 10),
        FAILURE.format(stamp="Feb 23 09:00:03", ip="203.0.113.3").encode(),
        FAILURE.format(stamp="Feb 23 09:00:04", ip="203.0.113.4")
        .encode()
        .replace(b"a@example", b"\xe9t\xe9@example"),
    ]
    return b"\n".join(lines) + b"\n", {
        "203.0.113.1": 2,
        "203.0.113.2": 4,
        "203.0.113.3": 6,
        "203.0.113.4": 7,
    }


def test_line_is_the_physical_line_of_that_file(tmp_path: Path) -> None:
    data, where = awkward_log()
    plain, packed = tmp_path / "mail.log", tmp_path / "old.log.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    events = events_jsonl("--year", "2026", plain, packed)
    assert events_problems(events) == []
    for path in (plain, packed):
        got = {e["ip"]: e["line"] for e in events if e["source"] == str(path)}
        assert got == where, path
    standard_input = events_jsonl("--year", "2026", "-", stdin=data)
    assert {e["ip"]: e["line"] for e in standard_input} == where
    assert {e["source"] for e in standard_input} == {"-"}


def test_times_are_iso_8601_with_their_offset(tmp_path: Path) -> None:
    log = tmp_path / "rfc.log"
    log.write_text(
        "2026-02-23T09:00:01.123456Z mx postfix/smtpd[7]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure\n"
        "2026-02-23T09:00:02+05:30 mx postfix/smtpd[7]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure\n"
        "Feb 23 09:00:03 mx postfix/smtpd[7]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure\n"
    )
    events = events_jsonl("--year", "2026", "--timezone", "America/Sao_Paulo", log)
    assert events_problems(events) == []
    assert [e["time"] for e in events] == [
        "2026-02-23T09:00:01.123456+00:00",
        "2026-02-23T09:00:02+05:30",
        "2026-02-23T09:00:03-03:00",  # no zone in the line: --timezone's
    ]
    bare = "postfix/smtpd[7]: warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: authentication failure\n"
    (untimed,) = events_jsonl("-", stdin=bare.encode())
    assert event_problems(untimed) == [] and untimed["time"] is None


def test_the_checker_finds_what_it_checks() -> None:
    good = dict.fromkeys(CONTRACT_EVENT) | {
        "source": "mail.log",
        "line": 3,
        "type": "auth_failure",
        "category": "auth",
        "hostile": True,
        "strength": "strong",
    }
    assert event_problems(good) == []
    for change in (
        {"hostile": False},  # strength only when hostile
        {"strength": None},
        {"line": 0},
        {"time": "2026-02-23 09:00:01"},  # no offset, no T
        {"ip": "unknown"},
        {"type": "auth_fail"},
        {"pid": "4011"},
    ):
        assert event_problems(good | change) != [], change
    reordered = {k: good[k] for k in reversed(CONTRACT_EVENT)}
    assert event_problems(reordered) != []
    backwards = [good | {"line": 5}, good | {"line": 4}]
    assert events_problems(backwards) != []


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_lines_are_utf_8_whatever_the_locale(encoding: str) -> None:
    """Under ``PYTHONIOENCODING=ascii`` the user came out as ``\\xe9t\\xe9@…`` (no JSON
    escape), under Latin-1 in bytes that are not UTF-8."""
    line = FAILURE.format(stamp="Feb 23 09:00:01", ip="203.0.113.1").replace("a@", "été@")
    (event,) = events_jsonl("-", stdin=line.encode() + b"\n", env={"PYTHONIOENCODING": encoding})
    assert event["user"] == "été@example.com"
