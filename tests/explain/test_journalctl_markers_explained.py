"""journalctl's own lines (``-- Journal begins at … --``, ``-- Boot … --``, ``-- Reboot
--``, ``-- No entries --``) are shown and said to be journalctl's, no log entry: not
“mailwarden does not recognise this line”, and not counted among the entries."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

SESSION = (
    "2026-02-23T11:57:42+0100 mail postfix/smtpd[32451]: connect from unknown[203.0.113.9]\n"
    "2026-02-23T11:57:43+0100 mail postfix/smtpd[32451]: warning: unknown[203.0.113.9]: "
    "SASL PLAIN authentication failed: \n"
    "2026-02-23T11:57:44+0100 mail postfix/smtpd[32451]: disconnect from unknown[203.0.113.9]\n"
)
BEGINS = "-- Journal begins at Mon 2026-02-02 08:00:01 CET, ends at Mon 2026-02-23 12:00:00 CET. --"


def test_the_journals_first_line(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(BEGINS + "\n" + SESSION))
    assert code == 0, err
    text = " ".join(out.split())
    assert "3 log entries, 1 client session." in text
    assert "journalctl's own line, not a log entry" in text
    assert "journalctl wrote this line itself, above the entries it prints" in text
    assert "does not recognise" not in text
    assert "Entries outside any client session" not in text


@pytest.mark.parametrize("marker", ["-- Boot 3f1c2a9b7e4d4c1f8a6b5c4d3e2f1a0b --", "-- Reboot --"])
def test_a_new_boot_in_chinese(run: Runner, log_file: LogFile, marker: str) -> None:
    text = "-- Logs begin at Mon 2026-02-02 08:00:01 CET. --\n" + SESSION + marker + "\n" + SESSION
    code, out, err = run("explain", log_file(text), "--lang", "zh_CN")
    assert code == 0, err
    lines = out.splitlines()
    assert "6 条日志，2 个客户端会话。" in lines
    flat = "".join(out.split())
    assert flat.count("journalctl自己写的一行，不是日志条目") == 2
    assert "其后的条目是机器重新启动之后写下的" in flat
    assert "不认识这一行" not in flat


def test_no_entries(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file("-- No entries --\n"))
    assert code == 0, err
    text = " ".join(out.split())
    assert "The input contains no log entries: nothing to explain." in text
    assert "no journal entry matched what it was asked for" in text
    assert "not log entries (another format?" not in text + err
