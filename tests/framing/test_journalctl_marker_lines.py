"""journalctl's own lines (``-- Boot … --``, ``-- No entries --``) are no log entries
and no other format: analyze does not take an input of them for something that is no
log, and a paste after such a line is still read as pasted text."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner
from mailwarden.framing import looks_pasted

LogFile = Callable[[str], str]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (
            "-- Journal begins at Mon 2026-02-02 08:00:01 CET, ends at Mon 2026-02-23 "
            "12:00:00 CET. --",
            "span",
        ),
        (
            "-- Logs begin at Mon 2026-02-02 08:00:01 CET, end at Mon 2026-02-23 12:00:00 CET. --",
            "span",
        ),
        ("-- Logs begin at Mon 2026-02-02 08:00:01 CET. --", "span"),
        ("-- Boot 3f1c2a9b7e4d4c1f8a6b5c4d3e2f1a0b --", "boot"),
        ("-- Reboot --", "boot"),
        ("-- No entries --", "none"),
        ("-- something else --", None),
        ("-- Boot 3f1c --", None),
        ("warning: -- Reboot --", None),
    ],
)
def test_journal_marker(line: str, kind: str | None) -> None:
    from mailwarden.framing import journal_marker

    assert journal_marker(line) == kind


def test_no_entries_is_no_other_format(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("analyze", "--format", "json", log_file("-- No entries --\n"))
    assert code == 0, err
    report = json.loads(out)
    assert report["problems"] == []
    assert "not log entries" not in err
    assert report["stats"]["lines_read"] == 1
    assert report["stats"]["lines_skipped"] == 0


PASTE = " ".join(
    f"Feb 23 11:57:4{n} postfix/smtpd[32451]: warning: unknown[203.0.113.9]: SASL PLAIN "
    "authentication failed:"
    for n in range(4)
)


def test_a_paste_after_a_boot_line_is_pasted_text(run: Runner, log_file: LogFile) -> None:
    text = "-- Boot 3f1c2a9b7e4d4c1f8a6b5c4d3e2f1a0b --\n" + PASTE + "\n"
    assert looks_pasted(text.encode())
    code, out, err = run("analyze", "--format", "json", log_file(text))
    assert code == 0, err
    stats = json.loads(out)["stats"]
    assert stats["entries"] == 4
    assert stats["failures_counted"] == 4
    assert stats["lines_skipped"] == 0
