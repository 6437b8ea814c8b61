"""`mailwarden events`: the contract fields, and credentials never printed by default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from contract import CONTRACT_EVENT

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"


def run_events(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_jsonl_carries_the_contract_fields_and_masks_the_password() -> None:
    result = run_events("--format", "jsonl", str(SEED))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 42  # one per entry of the pasted excerpt
    assert result.stderr == "mailwarden: 1 line, 42 entries, 1 recognised, 42 events\n"
    for event in events:
        for field in CONTRACT_EVENT:
            assert field in event
    (auth,) = [e for e in events if e["type"] == "auth_command"]
    assert auth["user"] == "admin@fipick.com"
    assert "AGFkbWluQGZpcGljay5jb20Ad2lsb" not in result.stdout
    assert "wil" not in auth["payload"]
    (failure,) = [e for e in events if e["type"] == "auth_failure"]
    assert failure["ip"] == "176.103.49.30" and failure["hostile"] is True
    assert failure["strength"] == "strong"


def test_show_passwords_reveals_the_payload() -> None:
    result = run_events("--format", "jsonl", "--show-passwords", str(SEED))
    assert "AGFkbWluQGZpcGljay5jb20Ad2lsb" in result.stdout


def test_a_base64_login_step_from_verbose_chat_is_redacted() -> None:
    line = "Feb 23 11:57:43 mx postfix/smtpd[4242]: < unknown[203.0.113.9]: c2VjcmV0cGFzc3dvcmQ=\n"
    result = run_events("--format", "jsonl", "-", stdin=line)
    assert result.returncode == 0, result.stderr
    assert "c2VjcmV0cGFzc3dvcmQ=" not in result.stdout
    shown = run_events("--format", "jsonl", "--show-passwords", "-", stdin=line)
    assert "c2VjcmV0cGFzc3dvcmQ=" in shown.stdout


def test_a_username_sent_with_auth_login_is_no_redacted_password() -> None:
    """``AUTH LOGIN <base64 username>`` holds no password (it follows on its own line):
    the payload must not claim one was redacted."""
    at = "Feb 23 11:57:42 mx postfix/smtpd[5]: "
    lines = (
        f"{at}connect from unknown[203.0.113.7]\n"
        f"{at}< unknown[203.0.113.7]: AUTH LOGIN YWRtaW4=\n"
        f"{at}< unknown[203.0.113.7]: AUTH PLAIN AGFkbWluAGh1bnRlcjI=\n"
    )
    result = run_events("--format", "jsonl", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    login, plain = [json.loads(line) for line in result.stdout.splitlines()][1:]
    assert login["user"] == "admin"
    assert login["payload"] == "<redacted: no password in this line>"
    assert plain["user"] == "admin"
    assert plain["payload"] == "<redacted: password *** (7 characters)>"
    text = run_events("-", stdin=lines).stdout.splitlines()
    told = "user=admin mechanism=LOGIN payload=<redacted: no password in this line>"
    assert text[1].endswith(" " + told)
    assert "hunter2" not in result.stdout + "\n".join(text)


def test_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run_events(str(tmp_path / "nope.log"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope.log" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2() -> None:
    assert run_events("--format", "xml").returncode == 2


def _logs() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    return [
        SEED,
        *sorted((root / "tests" / "data" / "real").glob("*.log")),
        root / "samples" / "mail.log",
    ]


def test_json_lines_are_what_json_dumps_writes() -> None:
    """event_json builds each line itself (fast); the text is json.dumps's, byte for byte."""
    from datetime import UTC, datetime, timedelta, timezone
    from types import MappingProxyType

    from mailwarden.model import Category, Event, EventType, Record, Strength
    from mailwarden.native import compiled_modules
    from mailwarden.pipeline import Counts, ReadOptions, read_events
    from mailwarden.report.events import event_dict, event_json, event_text

    events = [
        e
        for _, found in read_events([str(p) for p in _logs()], ReadOptions(), Counts())
        for e in found
    ]
    assert len(events) > 100
    when = datetime(2026, 2, 23, 11, 57, 42, 123456, tzinfo=timezone(timedelta(hours=-3)))
    record = Record(when, "mx", "postfix/smtpd", 7, 'm "é\u2028\x01', 'a"b\\c', 3, 0, "text")
    odd = [
        Event(
            EventType.AUTH_FAILURE,
            Category.AUTH,
            # Not a bool: json writes 1, not true. The compiled writer (mailwarden.native)
            # checks the declared bool, so that case is only written by pure Python.
            True if compiled_modules()["mailwarden.report.events"] else 1,  # type: ignore[arg-type]
            Strength.WEAK,
            "198.51.100.7",
            25,
            "ü\x00",
            None,
            "r",
            record,
        ),
        Event(
            EventType.AUTH_FAILURE,
            Category.AUTH,
            True,
            None,
            None,
            None,
            None,
            "PLAIN",
            None,
            record._replace(time=None, pid=None),
            attempts=3,
            detail=MappingProxyType({"k": "v\n", "n": "1"}),
        ),
        Event(
            EventType.CONNECT,
            Category.SESSION,
            False,
            None,
            "2001:db8::1",
            0,
            "",
            None,
            "",
            record._replace(time=datetime(2026, 1, 1, tzinfo=UTC)),
            detail={},
        ),
    ]
    for event in events + odd:
        for show in (False, True):
            expected = json.dumps(event_dict(event, show_passwords=show), ensure_ascii=False)
            assert event_json(event, show_passwords=show) == expected
            assert event_text(event, show_passwords=show)  # never raises


def test_hostile_says_how_many_events_it_printed() -> None:
    result = run_events("--hostile", str(SEED))
    assert result.returncode == 0, result.stderr
    printed = len(result.stdout.splitlines())
    assert 0 < printed < 42
    assert result.stderr == (
        f"mailwarden: 1 line, 42 entries, 1 recognised, 42 events ({printed} hostile, printed)\n"
    )


def test_an_ipv6_client_and_its_port_are_written_as_in_a_url() -> None:
    # "2001:db8:bad::5:2525" would read as another IPv6 address.
    line = (
        "Mar  9 01:10:36 mx postfix/postscreen[1]: CONNECT from [2001:db8:bad::5]:2525 "
        "to [2001:db8:100::25]:25\n"
        "Mar  9 01:10:37 mx postfix/postscreen[1]: CONNECT from [192.0.2.5]:2526 "
        "to [192.0.2.25]:25\n"
    )
    result = run_events("-", stdin=line)
    assert result.returncode == 0, result.stderr
    assert " [2001:db8:bad::5]:2525 " in result.stdout + " "
    assert " 192.0.2.5:2526" in result.stdout
