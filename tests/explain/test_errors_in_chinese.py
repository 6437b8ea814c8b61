"""With ``--lang zh_CN`` (or a Chinese locale) a mistake is said in Chinese too: the
``mailwarden: error:`` line of an input that cannot be read, the warning of a damaged
archive, and click's usage errors for an option's value, with the same one-line form
and exit status as in English. The commands that speak English only stay English."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from clirunner import Runner
from mailwarden.cli.language import CLICK_MESSAGES, CLICK_PLURALS, command_language

LOG = (
    "Feb 23 10:00:00 mx postfix/smtpd[100]: connect from unknown[192.0.2.7]\n"
    "Feb 23 10:00:02 mx postfix/smtpd[100]: warning: unknown[192.0.2.7]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6, sasl_username=info@example.com\n"
)


def test_a_missing_file(run: Runner, tmp_path: Path) -> None:
    missing = tmp_path / "nosuch.log"
    code, out, err = run("explain", "--lang", "zh", str(missing))
    assert (code, out) == (1, "")
    assert err == f"mailwarden: 错误：{missing}: 没有这个文件或目录\n"
    # The locale chooses it as --lang does; --lang en keeps the English line as it was.
    assert run("explain", str(missing), env={"LANG": "zh_CN.UTF-8"})[2] == err
    code, _out, err = run("explain", "--lang", "en", str(missing), env={"LANG": "zh_CN.UTF-8"})
    assert (code, err) == (1, f"mailwarden: error: {missing}: no such file or directory\n")


def test_a_missing_file_as_the_command_runs(tmp_path: Path) -> None:
    """In a process of its own: one line on standard error, no traceback."""
    missing = tmp_path / "nosuch.log"
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "explain", "--lang", "zh", str(missing)],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": ""},
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"mailwarden: 错误：{missing}: 没有这个文件或目录\n"


def test_a_truncated_gz(run: Runner, tmp_path: Path) -> None:
    whole = gzip.compress(LOG.encode() * 200)
    archive = tmp_path / "mail.log.2.gz"
    archive.write_bytes(whole[: len(whole) // 2])
    code, out, err = run("explain", "--lang", "zh", str(archive))
    assert code == 0 and "结论" in out
    warnings = [line for line in err.splitlines() if line.startswith("mailwarden: ")]
    assert len(warnings) == 1, err
    assert warnings[0].startswith(f"mailwarden: 警告：{archive}: gzip 压缩包被截断，位于第 ")
    assert warnings[0].endswith("行之后；之前的行都已读取；损坏处未写完的那一行已丢弃")
    assert "Traceback" not in err and "archive" not in err.replace(str(archive), "")


def test_a_directory_with_no_logs(run: Runner, tmp_path: Path) -> None:
    empty = tmp_path / "logs"
    empty.mkdir()
    (empty / ".hidden").write_text(LOG)  # hidden files are not read from a directory
    code, out, err = run("explain", "--lang", "zh_CN", str(empty))
    assert (code, out) == (1, "")
    assert err == f"mailwarden: 错误：{empty}: 这个目录里没有文件\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--year", "0"), "错误：'--year' 的值无效：0 不在 1970<=x<=9999 范围内。"),
        (
            ("--timezone", "Mars/Olympus"),
            "错误：'--timezone' 的值无效："
            "未知的时区 'Mars/Olympus'（可以试试 Europe/Berlin 或 UTC）",
        ),
        (("--bogus",), "错误：没有选项 '--bogus'。"),
    ],
)
def test_an_invalid_option_value(
    run: Runner, log_file: Callable[[str], str], args: tuple[str, ...], said: str
) -> None:
    code, out, err = run("explain", "--lang", "zh", *args, log_file(LOG))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "用法：mailwarden explain [OPTIONS] [FILE…|-]"
    assert lines[1] == "运行 'mailwarden explain --help' 查看帮助。"
    assert lines[-1] == said and "Traceback" not in err


def test_an_option_value_before_lang_is_said_in_chinese_too(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """Click checks --year before it reads --lang: the language is known before."""
    code, _out, err = run("explain", "--year", "0", "--lang", "zh_CN", log_file(LOG))
    assert code == 2 and err.splitlines()[-1].startswith("错误：'--year' 的值无效")


def test_audit_mistakes_in_chinese(run: Runner, tmp_path: Path) -> None:
    code, out, err = run("audit", "--lang", "zh", "--format", "xml")
    assert (code, out) == (2, "")
    assert (
        err.splitlines()[-1] == "错误：'--format' 的值无效：'xml' 不是可选的值（'text', 'json'）。"
    )
    code, out, err = run("audit", "--lang", "zh", "--postfix-dir", str(tmp_path / "nosuch"))
    assert (code, out, err) == (
        2,
        "",
        f"mailwarden: 错误：--postfix-dir: {tmp_path}/nosuch: 没有这个目录\n",
    )
    code, out, err = run("audit", "--postfix-dir", str(tmp_path), env={"LC_ALL": "zh_CN.UTF-8"})
    main_cf = tmp_path / "main.cf"
    assert (code, out, err) == (
        1,
        "",
        f"mailwarden: 错误：{main_cf}: 无法读取：没有这个文件或目录\n",
    )


def test_english_only_commands_stay_english(run: Runner, tmp_path: Path) -> None:
    """events has no Chinese: its errors stay English in any locale."""
    missing = tmp_path / "nosuch.log"
    code, _out, err = run("events", str(missing), env={"LANG": "zh_CN.UTF-8"})
    assert (code, err) == (1, f"mailwarden: error: {missing}: no such file or directory\n")


def test_analyze_follows_the_locale_but_its_json_stays_english(run: Runner, tmp_path: Path) -> None:
    """analyze says its errors in Chinese like explain; its JSON is a contract, English
    in any language (and the warnings that repeat the JSON's problems with it)."""
    missing = tmp_path / "nosuch.log"
    code, _out, err = run("analyze", "-q", str(missing), env={"LANG": "zh_CN.UTF-8"})
    assert (code, err) == (1, f"mailwarden: 错误：{missing}: 没有这个文件或目录\n")
    code, _out, err = run("analyze", "-q", "--lang", "en", str(missing), env={"LANG": "zh_CN"})
    assert (code, err) == (1, f"mailwarden: error: {missing}: no such file or directory\n")
    archive = tmp_path / "mail.log.1.gz"
    whole = gzip.compress(LOG.encode() * 200)
    archive.write_bytes(whole[: len(whole) // 2])
    code, out, err = run("analyze", "-q", "--format", "json", str(archive), env={"LANG": "zh_CN"})
    assert code == 0 and "truncated gzip archive" in err
    assert any("truncated gzip archive" in p for p in json.loads(out)["problems"])
    # Its own option errors too, in click's one-line form (exit status 2).
    code, out, err = run("analyze", "--lang", "zh", "--allow", "nope", str(archive))
    assert (code, out) == (2, "")
    assert err.endswith(
        "错误：--allow 的值无效：'nope' 不是地址或网络（如 192.0.2.0/24、2001:db8::/48）\n"
    )
    # The text report says it in Chinese, under its Chinese notes heading.
    code, out, err = run("analyze", "-q", "--lang", "zh", str(archive))
    assert code == 0 and "gzip 压缩包被截断" in err
    assert "说明" in out and "没能读完全部内容" in out


@pytest.mark.parametrize(
    ("args", "language"),
    [
        (["explain", "--lang", "zh", "x"], "zh_CN"),
        (["explain", "--lang=zh-CN", "x"], "zh_CN"),
        (["explain", "--lang", "zh", "--lang", "en"], "en"),
        (["explain", "--lang", "fr"], "zh_CN"),  # not a language: the locale's
        (["explain", "--", "--lang", "en"], "zh_CN"),  # a file named --lang
        (["audit", "--lang", "en"], "en"),
        (["audit"], "zh_CN"),
        (["analyze", "--lang", "zh"], "zh_CN"),
        (["analyze", "--lang", "en", "x"], "en"),
        (["analyze", "x"], "zh_CN"),
        (["events", "--lang", "zh"], "en"),
        (["status", "--help"], "en"),
        (["--help"], "zh_CN"),  # the group's own help: the locale's language
        ([], "zh_CN"),
        (["analyse", "--lang", "en"], "zh_CN"),  # no such command: the group says so
    ],
)
def test_command_language(args: list[str], language: str) -> None:
    assert command_language(args, {"LANG": "zh_CN.UTF-8"}) == language


def test_click_messages_are_clicks_own() -> None:
    """The msgids are click's, verbatim: one a click release rewords would show in
    English again (tests above fail too); this names it."""
    folder = Path(click.__file__).parent
    source = "".join(path.read_text(encoding="utf-8") for path in folder.glob("*.py"))
    flat = " ".join(source.split()).replace('" "', "")
    for message in list(CLICK_MESSAGES) + [text for pair in CLICK_PLURALS for text in pair]:
        assert f'"{message}"' in flat, message
