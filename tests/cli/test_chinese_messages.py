# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What a Chinese-speaking administrator still met in English with ``--lang zh_CN`` (or
a Chinese locale): the warning and the report line of an input whose entries go back in
time. English mode says what it said; the JSON stays English whatever the language."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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
ENGLISH_WORDS = ("goes back in time", "read again", "giving those as arguments")


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
    assert "把这些日志作为参数给出则只需读一遍" in err
    # The report says it under its headline, in the same words.
    head = _flat(out.split("日志透露的服务器问题")[0])
    assert _flat(f"{jumbled}：第 3 行的时间倒退了") in head, out
    assert "已把它按时间有序的 2 段再读一遍并按时间合并" in err
    assert _flat("因此攻击和登录按时间顺序判断") in head
    for english in ENGLISH_WORDS:
        assert english not in out and english not in err


def test_english_and_json_are_unchanged(run: Runner, jumbled: str) -> None:
    said = (
        f"{jumbled}: line 3 goes back in time (2026-02-23 09:00:00+00:00 after 2026-02-24"
        " 10:01:00+00:00): it was read again as its 2 time-ordered parts merged by time, so"
        " attacks and logins are judged as in time order; if it joins several logs (cat"
        " mail.log mail.log.1), giving those as arguments reads them once"
    )
    code, out, err = run("analyze", jumbled)
    assert code == 0 and err == f"mailwarden: warning: {said}\n"
    assert " ".join(said.split()) in " ".join(out.split())
    for args, env in ((("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"}), ((), {})):
        code, out, err = run("analyze", "--format", "json", *args, jumbled, env=env)
        assert code == 0 and err == f"mailwarden: warning: {said}\n"
        assert json.loads(out)["notes"][0] == said


# -- a configuration file that cannot be used -----------------------------------------------

BAD_CONFIGS = [
    (
        '[policy]\nfast_failures = "x"\n',
        "policy.fast_failures: 应为整数，实际是 'x'",
        "policy.fast_failures: expected a whole number, got 'x'",
    ),
    (
        "[policy]\nfast_failures = 0\n",
        "policy.fast_failures: 至少应为 1，实际是 0",
        "policy.fast_failures: must be at least 1, got 0",
    ),
    (
        '[policy]\nfast_window = "5 parsecs"\n',
        "policy.fast_window: 无效的时长 '5 parsecs'：请写成数字加单位，如 90s、10m、1h、2d、1w",
        "policy.fast_window: bad duration '5 parsecs': use a number and a unit, such as 90s, 10m, 1h, 2d, 1w",
    ),
    (
        '[policy]\nallow = ["192.0.2.0/33"]\n',
        "policy.allow: 无效的 CIDR '192.0.2.0/33'",
        "policy.allow: bad CIDR '192.0.2.0/33'",
    ),
    (
        '[policy]\nmax_ban_time = "1m"\n',
        "policy.max_ban_time: 比 policy.ban_time 还短",
        "policy.max_ban_time: is shorter than policy.ban_time",
    ),
    (
        "[polcy]\nfast_failures = 5\n",
        "polcy: 未知的节（可用的节：sources, store, enforce, policy, alerts）",
        "polcy: unknown section (known: sources, store, enforce, policy, alerts)",
    ),
    (
        "policy = 5\n",
        "policy: 应为一个表（[policy]）",
        "policy: expected a table ([policy])",
    ),
    (
        "[policy\nfast_failures = 5\n",
        "TOML 格式无效（第 1 行第 8 列）：表头末尾缺少 “]”",
        "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 8)",
    ),
    (
        "[policy]\nfast_failures = 5\nfast_failures = 6\n",
        "TOML 格式无效（第 3 行第 18 列）：不能覆盖已有的值",
        "invalid TOML: Cannot overwrite a value (at line 3, column 18)",
    ),
    (
        "[policy]\nfast_failures = [1,\n",
        "TOML 格式无效（在文件末尾）：无效的值",
        "invalid TOML: Invalid value (at end of document)",
    ),
    (
        "[policy]\nfast_failures = 5 6\n",
        "TOML 格式无效（第 2 行第 19 列）：一条语句之后应换行或结束文件",
        "invalid TOML: Expected newline or end of document after a statement (at line 2, column 19)",
    ),
]


@pytest.mark.parametrize(("toml", "chinese", "english"), BAD_CONFIGS)
def test_a_bad_configuration_is_one_line_in_chinese(
    run: Runner, jumbled: str, tmp_path: Path, toml: str, chinese: str, english: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    for args, env in ((("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"})):
        code, out, err = run("analyze", "--config", str(config), *args, jumbled, env=env)
        assert (code, out) == (2, "")
        assert err == f"mailwarden: 错误：{config}: {chinese}\n"
    code, out, err = run("analyze", "--config", str(config), jumbled)
    assert (code, out, err) == (2, "", f"mailwarden: error: {config}: {english}\n")


def test_an_unknown_key_and_a_bad_set_in_chinese(run: Runner, jumbled: str, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[policy]\nfast_failurs = 5\n")
    code, _out, err = run("analyze", "--config", str(config), "--lang", "zh_CN", jumbled)
    assert code == 2
    assert err.startswith(
        f"mailwarden: 错误：{config}: policy.fast_failurs: 未知的键（可用的键：allow, "
    )
    assert "unknown key" not in err and err.count("\n") == 1
    code, _out, err = run("analyze", "--set", "fast_window=-5", "--lang", "zh_CN", jumbled)
    assert (code, err) == (
        2,
        "mailwarden: 错误：--set: policy.fast_window: 时长必须大于零，实际是 -5\n",
    )
    code, _out, err = run("analyze", "--set", "fast_window=-5", jumbled)
    assert (code, err) == (
        2,
        "mailwarden: error: --set: policy.fast_window: a duration must be positive, got -5\n",
    )


def test_the_daemon_says_a_bad_configuration_in_english(tmp_path: Path) -> None:
    """``run`` speaks English only (its errors go to journald's logs), whatever the locale."""
    config = tmp_path / "bad.toml"
    config.write_text("[policy]\nfast_failures = 0\n")
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "zh_CN.UTF-8", "LC_ALL": "", "LANGUAGE": ""},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"mailwarden: error: {config}: policy.fast_failures: must be at least 1, got 0\n"
    )


def test_the_toml_complaints_we_translate_are_the_running_pythons() -> None:
    """tomllib's messages are matched verbatim: one a Python release rewords would stay
    English."""
    import inspect
    import tomllib._parser

    from mailwarden.config import _TOML_MESSAGES, _TOML_PATTERNS

    source = inspect.getsource(tomllib._parser)
    for message in _TOML_MESSAGES:
        assert f'"{message}"'.replace("\\", "\\\\") in source, message
    for _pattern, message in _TOML_PATTERNS:
        before, _what, after = message.partition("{what}")
        assert re.search(f'f"{re.escape(before)}{{[^}}]+}}{re.escape(after)}"', source), message


# -- explain: a server's reason for a failed login that explain quotes as it is -------------

REASONS = [
    (
        "Mar  9 07:52:09 mx dovecot: auth: passwd-file(erin@example.com,198.51.100.53,<I/l015FMQs/GM2Q1>): Password mismatch\n",
        "原因：“Password mismatch”（密码错误）。",
        "Reason: “Password mismatch”.",
    ),
    (
        "Mar  9 07:53:09 mx dovecot: auth: passwd-file(nobody@example.com,198.51.100.54,<I/l015FMQs/GM2Q2>): unknown user\n",
        "原因：“unknown user”（没有这个账户）。",
        "Reason: “unknown user”.",
    ),
    (
        "Mar  9 07:54:09 mx postfix/smtpd[300]: connect from unknown[198.51.100.55]\n"
        "Mar  9 07:54:10 mx postfix/smtpd[300]: warning: unknown[198.51.100.55]: SASL LOGIN authentication failed: user not found\n",
        "原因：“user not found”（没有这个账户）。",
        "Reason: “user not found”.",
    ),
    (
        "Mar  9 07:55:09 mx dovecot: imap-login: Disconnected (tried to use disabled plaintext auth): user=<>, rip=198.51.100.56, lip=192.0.2.1, session=<abc>\n",
        "原因：“tried to use disabled plaintext auth”（客户端尝试了服务器已关闭的登录方式，例如不经 TLS 的明文密码）。",
        "Reason: “tried to use disabled plaintext auth”.",
    ),
    (
        "Mar  9 07:56:09 mx dovecot: auth: pam(frank@example.com,198.51.100.57,<I/l015FMQs/GM2Q3>): pam_authenticate() failed: User not known to the underlying authentication module\n",
        "原因：“pam_authenticate() failed: User not known to the underlying authentication module”（没有这个账户）。",
        "Reason: “pam_authenticate() failed: User not known to the underlying authentication module”.",
    ),
]


@pytest.mark.parametrize(("log", "chinese", "english"), REASONS)
def test_explain_says_what_a_servers_reason_means_in_chinese(
    run: Runner, tmp_path: Path, log: str, chinese: str, english: str
) -> None:
    """The server writes its reason in English: explain quotes it as written (it is what
    to grep for) and, in Chinese, says what it means beside it."""
    excerpt = tmp_path / "excerpt.log"
    excerpt.write_text(log)
    code, out, err = run("explain", "--lang", "zh_CN", "--year", "2026", str(excerpt))
    assert code == 0, err
    assert _flat(chinese) in _flat(out), out
    assert _flat(chinese) in _flat(
        run("explain", "--year", "2026", str(excerpt), env={"LANG": "zh_CN.UTF-8"})[1]
    )
    code, out, err = run("explain", "--year", "2026", str(excerpt))
    assert code == 0 and " ".join(english.split()) in " ".join(out.split()), out


def test_an_unknown_reason_is_quoted_as_before(run: Runner, tmp_path: Path) -> None:
    excerpt = tmp_path / "excerpt.log"
    excerpt.write_text(
        "Mar  9 07:54:09 mx postfix/smtpd[300]: connect from unknown[198.51.100.55]\n"
        "Mar  9 07:54:10 mx postfix/smtpd[300]: warning: unknown[198.51.100.55]: SASL LOGIN authentication failed: the moon is full\n"
    )
    out = run("explain", "--lang", "zh_CN", "--year", "2026", str(excerpt))[1]
    assert _flat("原因：“the moon is full”。") in _flat(out), out


# -- --help ----------------------------------------------------------------------------------

HELP_WORDS = {
    "analyze": (
        "找出邮件日志中的每一次攻击，并判断是否有人登录成功。",
        "不显示进度条。",
        "No progress bar.",
        "Find every attack in mail logs",
    ),
    "explain": (
        "解释一段日志摘录：",
        "显示从 AUTH 数据中解码出的密码（默认隐藏）。",
        "Show passwords decoded from AUTH payloads",
        "Explain a log excerpt",
    ),
    "audit": (
        "审计 Postfix 和 Dovecot 中",
        "直接解析配置文件，而不运行 postconf 和 doveconf。",
        "Parse the files directly",
        "Exit status",
    ),
}


@pytest.mark.parametrize("command", sorted(HELP_WORDS))
@pytest.mark.parametrize(
    ("args", "env"), [(("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"})]
)
def test_help_in_chinese(
    run: Runner, command: str, args: tuple[str, ...], env: dict[str, str]
) -> None:
    from rich.cells import cell_len

    description, option_help, english_option, english_description = HELP_WORDS[command]
    code, out, err = run(command, *args, "--help", env={**env, "COLUMNS": "80"})
    assert (code, err) == (0, "")
    assert out.startswith(f"用法：mailwarden {command} ")
    assert _flat(description) in _flat(out) and _flat(option_help) in _flat(out), out
    assert english_option not in out and english_description not in out
    # Laid out by terminal cells (a Chinese character takes two): nothing wider than the
    # terminal but the examples, kept as written (no wider than their English lines).
    wide = [line for line in out.splitlines() if cell_len(line) > 78]
    assert all("mailwarden" in line and cell_len(line) <= 84 for line in wide), wide


def test_help_in_english_is_clicks_as_before(run: Runner) -> None:
    code, out, err = run("analyze", "--help", env={"COLUMNS": "80"})
    assert (code, err) == (0, "")
    assert out.startswith("Usage: mailwarden analyze [OPTIONS] [FILE…|-]\n\n  Find every attack")
    assert "  -q, --quiet                  No progress bar.\n" in out
    assert (
        "  --users FILE                 The real accounts, one per line, or a Dovecot\n"
        "                               passwd-file: tells which tried usernames exist.\n"
    ) in out
    assert "  --limit INTEGER RANGE        Rows per table in the text report (0: all).\n" in out
    # Not the Chinese of a --help shown before in this process (click keeps the option).
    assert out.endswith("  -h, --help                   Show this message and exit.\n")
    code, out, _err = run("audit", "--help", "--lang", "en", env={"LANG": "zh_CN.UTF-8"})
    assert code == 0 and "Exit status: 0 nothing of high severity" in out and "选项" not in out
    # events speaks English only, whatever the locale: its shared options too.
    code, out, _err = run("events", "--help", env={"LANG": "zh_CN.UTF-8"})
    assert code == 0 and "Show passwords decoded from AUTH payloads" in out
    assert not any("\u4e00" <= char <= "\u9fff" for char in out)
