"""The advice to end an intruder's SMTP connections with ``ss -K dst ADDRESS`` says what
to do when that ends nothing (a kernel built without CONFIG_INET_DIAG_DESTROY, where ss
says nothing either): restart Postfix. In explain (after the ss command, with the
command on a line of its own), in analyze (text and JSON), in English and Chinese."""

from __future__ import annotations

import json
from pathlib import Path

from clirunner import Runner

SAMPLE = str(Path(__file__).resolve().parents[2] / "samples" / "mail.log")
RESTART = "systemctl restart postfix"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_explain_says_to_restart_postfix_when_ss_ends_nothing(run: Runner) -> None:
    code, out, err = run("explain", SAMPLE)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    at = lines.index("ss -K dst 192.0.2.187")
    assert lines[at + 3] == RESTART  # after the sentence, on a line of its own
    assert (
        "If ss -K ends nothing (a kernel built without CONFIG_INET_DIAG_DESTROY), restart "
        "Postfix instead, which ends every SMTP session:"
    ) in _flat(out)


def test_explain_in_chinese(run: Runner) -> None:
    code, out, err = run("explain", "--lang", "zh_CN", SAMPLE)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    assert RESTART in lines[lines.index("ss -K dst 192.0.2.187") :]
    flat = "".join(out.split())
    assert "如果ss-K没有结束任何连接（内核编译时未启用CONFIG_INET_DIAG_DESTROY），" in flat
    assert "请改为重启Postfix，这会结束所有SMTP会话：" in flat


def test_analyze_text_and_json(run: Runner) -> None:
    code, out, err = run("analyze", "--format", "json", SAMPLE)
    assert code == 0, err
    (first, *_rest) = json.loads(out)["compromised"][0]["advice"]
    assert "ss -K dst ADDRESS" in first
    assert first.endswith(
        "If ss -K ends nothing (a kernel built without CONFIG_INET_DIAG_DESTROY), restart "
        "Postfix instead (systemctl restart postfix), which ends every SMTP session."
    )
    code, out, err = run("analyze", SAMPLE)
    assert code == 0, err
    assert "restart Postfix instead (systemctl restart postfix)" in _flat(out)
    code, out, err = run("analyze", "--lang", "zh_CN", SAMPLE)
    assert code == 0, err
    assert "请改为重启Postfix（systemctlrestartpostfix），这会结束所有SMTP会话。" in "".join(
        out.split()
    )
