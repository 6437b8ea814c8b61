# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What a Chinese-speaking administrator still met in English with ``--lang zh_CN`` (or
a Chinese locale): the warning and the report line of an input whose entries go back in
time. English mode says what it said; the JSON stays English whatever the language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clirunner import Runner

# A day's log, then the day before it: ``cat mail.log mail.log.1``.
JUMBLED = (
    "2026-02-24T10:00:00+00:00 mx postfix/smtpd[200]: warning: unknown[203.0.113.20]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    "2026-02-24T10:01:00+00:00 mx postfix/smtpd[201]: warning: unknown[203.0.113.20]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    "2026-02-23T09:00:00+00:00 mx postfix/smtpd[100]: warning: unknown[203.0.113.21]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    "2026-02-23T09:01:00+00:00 mx postfix/smtpd[101]: warning: unknown[203.0.113.21]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
)
ENGLISH_WORDS = ("goes back in time", "counted in the order given", "give those as arguments")


@pytest.fixture
def jumbled(tmp_path: Path) -> str:
    log = tmp_path / "mail.log"
    log.write_text(JUMBLED)
    return str(log)


def _flat(text: str) -> str:
    """Without the report's line breaks (rich wraps Chinese anywhere)."""
    return "".join(text.split())


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"}), ((), {"LC_ALL": "zh_CN.UTF-8"})],
)
def test_an_input_back_in_time_is_said_in_chinese(
    run: Runner, jumbled: str, args: tuple[str, ...], env: dict[str, str]
) -> None:
    code, out, err = run("analyze", *args, jumbled, env=env)
    assert code == 0, err
    warning = f"mailwarden: 警告：{jumbled}：第 3 行的时间倒退了（2026-02-24 10:01:00+00:00 之后出现 2026-02-23 09:00:00+00:00）"
    assert err.startswith(warning), err
    assert "请改为把这些日志作为参数给出" in err
    # The report says it under its headline, in the same words.
    head = _flat(out.split("日志透露的服务器问题")[0])
    assert _flat(f"{jumbled}：第 3 行的时间倒退了") in head, out
    assert "因此攻击和登录可能被误判" in head
    for english in ENGLISH_WORDS:
        assert english not in out and english not in err


def test_english_and_json_are_unchanged(run: Runner, jumbled: str) -> None:
    said = (
        f"{jumbled}: line 3 goes back in time (2026-02-23 09:00:00+00:00 after 2026-02-24"
        " 10:01:00+00:00): entries are counted in the order given, so attacks and logins may"
        " be misjudged; if it joins several logs (cat mail.log mail.log.1), give those as"
        " arguments instead: a rotated set is read oldest first"
    )
    code, out, err = run("analyze", jumbled)
    assert code == 0 and err == f"mailwarden: warning: {said}\n"
    assert " ".join(said.split()) in " ".join(out.split())
    for args, env in ((("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"}), ((), {})):
        code, out, err = run("analyze", "--format", "json", *args, jumbled, env=env)
        assert code == 0 and err == f"mailwarden: warning: {said}\n"
        assert json.loads(out)["notes"][0] == said
