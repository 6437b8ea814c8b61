"""journalctl as a subprocess. There is no journald on these machines, so a fake
journalctl (a script put first on PATH) prints JSON lines and records its arguments."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailwarden.errors import InputError
from mailwarden.sources.interface import ReadStats
from mailwarden.sources.journal import journal_command, read_journal

ENTRIES = [
    {
        "__CURSOR": f"s=abc;i={n}",
        "__REALTIME_TIMESTAMP": str(1771844262000000 + n),
        "_PID": "32451",
        "SYSLOG_IDENTIFIER": "postfix/smtpd",
        "MESSAGE": f"connect from unknown[192.0.2.{n}]",
    }
    for n in range(5)
]


def fake_journalctl(tmp_path: Path, body: str) -> Path:
    """A journalctl on PATH that writes its argv to args.json, then runs ``body``."""
    script = tmp_path / "bin" / "journalctl"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"json.dump(sys.argv[1:], open({str(tmp_path / 'args.json')!r}, 'w'))\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def printing(entries: list[dict[str, str]], tail: str = "") -> str:
    return f"for e in {entries!r}:\n    print(json.dumps(e))\n" + tail


def test_entries_come_as_json_lines_with_the_last_cursor(on_path: Path) -> None:
    fake_journalctl(on_path, printing(ENTRIES))
    stats = ReadStats()
    chunks = list(
        read_journal(stats, since=datetime(2026, 2, 23, tzinfo=UTC), matches=["SYSLOG_FACILITY=2"])
    )
    lines = [json.loads(line) for c in chunks for line in c.data.splitlines()]
    assert lines == ENTRIES
    assert chunks[-1].cursor == "s=abc;i=4"
    assert chunks[0].source == "journal" and chunks[0].first_line == 1
    args = json.loads((on_path / "args.json").read_text())
    assert args == ["--output=json", "--no-pager", "--since=@1771804800", "SYSLOG_FACILITY=2"]
    assert stats.files == 1 and stats.problems == []


def test_follow_from_a_cursor_passes_it_as_one_argument(on_path: Path) -> None:
    fake_journalctl(on_path, printing(ENTRIES[3:]))
    chunks = list(read_journal(ReadStats(), follow=True, after_cursor="s=abc;i=2"))
    assert chunks[-1].cursor == "s=abc;i=4"
    args = json.loads((on_path / "args.json").read_text())
    assert "--after-cursor=s=abc;i=2" in args and "--follow" in args and "--no-tail" in args


def test_follow_without_cursor_starts_at_the_end() -> None:
    args = journal_command(follow=True)
    assert "--lines=0" in args


def test_closing_a_follow_stops_journalctl(on_path: Path) -> None:
    fake_journalctl(
        on_path,
        printing(ENTRIES[:1], "sys.stdout.flush()\nimport time\ntime.sleep(60)\n"),
    )
    follow = read_journal(ReadStats(), follow=True)
    first = next(follow)
    assert first.cursor == "s=abc;i=0"
    follow.close()  # must not wait a minute


def test_missing_journalctl_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="journalctl: not found"):
        list(read_journal(ReadStats()))


def test_failing_journalctl_says_why(on_path: Path) -> None:
    fake_journalctl(
        on_path, "sys.stderr.write('Failed to parse timestamp: yesterdayy\\n')\nsys.exit(1)\n"
    )
    with pytest.raises(InputError, match=r"exit 1.*Failed to parse timestamp"):
        list(read_journal(ReadStats(), since="yesterdayy"))


def test_warning_after_output_is_a_problem(on_path: Path) -> None:
    fake_journalctl(
        on_path,
        printing(
            ENTRIES[:2],
            "sys.stderr.write('Hint: You are currently not seeing messages from other users.')\n",
        ),
    )
    stats = ReadStats()
    assert len(list(read_journal(stats))) >= 1
    assert stats.problems == [
        "journal: journalctl: Hint: You are currently not seeing messages from other users."
    ]


def test_a_match_must_look_like_one() -> None:
    with pytest.raises(InputError):
        journal_command(matches=["--output=cat"])
