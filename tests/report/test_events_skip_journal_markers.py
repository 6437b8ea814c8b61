# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""journalctl's own lines (``-- Journal begins at … --``, ``-- Boot … --``, ``-- Reboot
--``, ``-- No entries --``) are no log entries for `mailwarden events` either, as for
explain: its counts (text and JSON lines alike) name the entries explain names, and
the lines stay out of its output. Before, events counted each as an entry, one it did
not recognise (``9 lines, 9 entries, 4 recognised``), where explain said 5 entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clirunner import Runner
from mailwarden.eventpool import MIN_BYTES, print_events
from mailwarden.pipeline import Counts, ReadOptions
from mailwarden.scanpool import two_cores

LogFile = Callable[[str], str]

MARKERS = [
    "-- Journal begins at Mon 2026-11-23 08:00:01 UTC, ends at Sat 2026-11-28 10:05:00 UTC. --",
    "-- Boot 0123456789abcdef0123456789abcdef --",
    "-- Reboot --",
    "-- No entries --",
]
LOG = (
    "\n".join(
        [
            MARKERS[0],
            "Nov 28 10:00:01 mx postfix/smtpd[123]: connect from unknown[192.0.2.7]",
            "Nov 28 10:00:01 mx postfix/smtpd[123]: warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable)",
            MARKERS[1],
            "Nov 28 10:00:03 mx postfix/smtpd[124]: connect from unknown[192.0.2.7]",
            MARKERS[2],
            "Nov 28 10:00:05 mx postfix/smtpd[125]: warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable)",
            MARKERS[3],
            "Nov 28 10:00:06 mx kernel: something nobody here reads",
        ]
    )
    + "\n"
)
"""Nine lines: four of journalctl's, four recognised entries, one entry not recognised."""


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_events_counts_the_entries_explain_counts(run: Runner, log_file: LogFile, fmt: str) -> None:
    path = log_file(LOG)
    code, out, err = run("events", "--year", "2026", "--format", fmt, path)
    assert code == 0, err
    assert err == "mailwarden: 9 lines, 5 entries, 4 recognised, 4 events\n"
    assert "--" not in out  # journalctl's lines are no events
    if fmt == "jsonl":
        assert [json.loads(line)["line"] for line in out.splitlines()] == [2, 3, 5, 7]
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    assert "5 log entries" in " ".join(out.split())


def test_only_journalctls_lines_are_no_entries(run: Runner, log_file: LogFile) -> None:
    code, _out, err = run("events", log_file("\n".join(MARKERS) + "\n"))
    assert code == 0, err
    assert err == "mailwarden: 4 lines, 0 entries, 0 recognised, 0 events\n"


@pytest.mark.skipif(not two_cores(), reason="the worker needs two cores")
def test_the_worker_counts_alike(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    repeats = MIN_BYTES // len(LOG.encode()) + 100
    path.write_text(LOG * repeats, encoding="utf-8")
    for parallel in (False, True):
        counts = Counts()
        print_events(
            [str(path)],
            ReadOptions(),
            counts,
            lambda _r, _f: "",
            lambda _t: None,
            parallel=parallel,
        )
        assert (counts.read.lines, counts.records, counts.recognised) == (
            9 * repeats,
            5 * repeats,
            4 * repeats,
        ), parallel
