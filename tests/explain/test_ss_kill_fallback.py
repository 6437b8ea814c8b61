"""The advice to end an intruder's SMTP connections with ``ss -K dst ADDRESS`` then says
to check with ``ss -tn dst ADDRESS`` whether connections from it remain, and to restart
Postfix (``postfix stop``, ``postfix start``, or ``systemctl restart postfix``) only if
some do: ss -K prints nothing both when it ended every connection (or there was none) and
when the kernel, built without CONFIG_INET_DIAG_DESTROY, cannot end one. Before, the
advice read "If ss -K ends nothing, restart Postfix", which an address without a
connection left satisfies too, and named systemctl only (absent on a SysV host). In
explain (each command on a line of its own), in analyze (text and JSON), in English and
Chinese."""

from __future__ import annotations

import json
from pathlib import Path

from clirunner import Runner

SAMPLE = str(Path(__file__).resolve().parents[2] / "samples" / "mail.log")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_explain_says_to_check_before_restarting_postfix(run: Runner) -> None:
    code, out, err = run("explain", SAMPLE)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    at = lines.index("ss -K dst 192.0.2.187")
    assert lines[at + 2] == "ss -tn dst 192.0.2.187"
    after = lines[at + 3 :]
    stop = after.index("postfix stop")
    assert after[stop + 1] == "postfix start"
    assert "systemctl restart postfix" in after[stop + 2 : stop + 4]
    flat = _flat(out)
    assert "Then check that no connection from the address remains:" in flat
    assert (
        "If it still lists some (a kernel built without CONFIG_INET_DIAG_DESTROY, where ss -K "
        "ends none and says nothing), restart Postfix, which ends every SMTP session:"
    ) in flat
    assert "or, on a host with systemd:" in flat
    assert "If ss -K ends nothing" not in flat


def test_explain_in_chinese(run: Runner) -> None:
    code, out, err = run("explain", "--lang", "zh_CN", SAMPLE)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    after = lines[lines.index("ss -K dst 192.0.2.187") :]
    for command in ("ss -tn dst 192.0.2.187", "postfix stop", "postfix start"):
        assert command in after
    assert "systemctl restart postfix" in after
    flat = "".join(out.split())
    assert "然后检查该地址是否还有连接：" in flat
    assert "如果仍列出连接（内核编译时未启用CONFIG_INET_DIAG_DESTROY，" in flat
    assert "或者，在使用systemd的主机上：" in flat


def test_analyze_text_and_json(run: Runner) -> None:
    code, out, err = run("analyze", "--format", "json", SAMPLE)
    assert code == 0, err
    (first, *_rest) = json.loads(out)["compromised"][0]["advice"]
    assert "ss -K dst ADDRESS" in first
    assert first.endswith(
        "Then check that no connection from the address remains (ss -tn dst ADDRESS); if "
        "some do (a kernel built without CONFIG_INET_DIAG_DESTROY, where ss -K ends none and "
        "says nothing), restart Postfix, which ends every SMTP session (postfix stop; "
        "postfix start, or systemctl restart postfix)."
    )
    code, out, err = run("analyze", SAMPLE)
    assert code == 0, err
    assert "If ss -K ends nothing" not in _flat(out)
    assert "ss -tn dst" in out and "postfix stop" in out
    code, out, err = run("analyze", "--lang", "zh_CN", SAMPLE)
    assert code == 0, err
    flat = "".join(out.split())
    assert "然后检查该地址是否还有连接" in flat
    assert "如果ss-K" not in flat
