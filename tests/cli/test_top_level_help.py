"""``mailwarden --help`` and ``--version`` (and ``mailwarden`` alone, and a mistyped
command) in the language of the locale: Chinese with ``LANG=zh_CN.UTF-8``, as ``explain``
and ``analyze`` choose theirs. The group has no ``--lang``: that is an option of the
commands. English is click's own layout, byte for byte as before."""

from __future__ import annotations

import pytest

from clirunner import Runner

ENGLISH_HELP = """\
Usage: mailwarden [OPTIONS] COMMAND [ARGS]...

  mailwarden defends a mail server against password guessing.

  Examples:
    grep 32451 /var/log/mail.log | mailwarden explain -   what do these lines mean?
    mailwarden analyze /var/log/mail.log*           who attacked, did anyone get in?
    mailwarden audit                                what to change in Postfix/Dovecot
    mailwarden run --config /etc/mailwarden/mailwarden.toml   block attackers

Options:
  --version   Show the version and exit.
  -h, --help  Show this message and exit.

Commands:
  explain  Explain a log excerpt line by line, with a verdict.
  events   Print the event stream (text or JSON lines).
  analyze  Find every attack in a log archive; did anyone get in?
  audit    Audit Postfix and Dovecot settings; print the exact fixes.
  run      Run the daemon: follow logs, ban attackers in the firewall.
  ban      Ban an address or network now.
  unban    Lift a ban.
  status   Show active bans, counts and source positions.
"""

CHINESE_HELP = """\
用法：mailwarden [OPTIONS] COMMAND [ARGS]...

  mailwarden 保护邮件服务器，抵御密码猜测攻击。

  示例：
    grep 32451 /var/log/mail.log | mailwarden explain -   这些日志行是什么意思？
    mailwarden analyze /var/log/mail.log*           谁发起了攻击？有人登录成功吗？
    mailwarden audit                                Postfix/Dovecot 中该改哪些设置
    mailwarden run --config /etc/mailwarden/mailwarden.toml   拦截攻击者

选项：
  --version   显示版本并退出。
  -h, --help  显示此帮助信息并退出。

命令：
  explain  逐行解释一段日志摘录，并给出结论。
  events   输出事件流（文本或 JSON Lines）。
  analyze  找出日志存档中的每一次攻击：有没有人登录成功？
  audit    审计 Postfix 和 Dovecot 的设置，并给出确切的修复命令。
  run      运行守护进程：持续读取日志，在防火墙中封禁攻击者。
  ban      立即封禁一个地址或网段。
  unban    解除封禁。
  status   显示当前的封禁、计数和各日志源的读取位置。
"""

CHINESE_LOCALES = [
    {"LANG": "zh_CN.UTF-8"},
    {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"},
    {"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"},
]


@pytest.mark.parametrize("env", CHINESE_LOCALES)
@pytest.mark.parametrize("option", ["--help", "-h"])
def test_the_command_list_in_a_chinese_locale(
    run: Runner, env: dict[str, str], option: str
) -> None:
    code, out, err = run(option, env={**env, "COLUMNS": "100"})
    assert (code, err) == (0, "")
    assert out == CHINESE_HELP


def test_chinese_lines_are_wrapped_by_terminal_cells(run: Runner) -> None:
    from rich.cells import cell_len

    code, out, _err = run("--help", env={"LANG": "zh_CN.UTF-8", "COLUMNS": "60"})
    assert code == 0
    # A description too long for the terminal goes on in its column, on the next line.
    assert (
        "  audit    审计 Postfix 和 Dovecot 的设置，并给出确切的修\n           复命令。\n"
    ) in out
    wide = [line for line in out.splitlines() if cell_len(line) > 60]
    # only the examples (\b: never wrapped), commands a user copies whole
    assert all(line.startswith(("    mailwarden ", "    grep ")) for line in wide), wide


@pytest.mark.parametrize("env", [{}, {"LANG": "C.UTF-8"}, {"LANG": "en_US.UTF-8"}])
def test_the_english_help_is_as_before(run: Runner, env: dict[str, str]) -> None:
    # After a Chinese one in the same process too: nothing of it is kept.
    run("--help", env={"LANG": "zh_CN.UTF-8", "COLUMNS": "100"})
    code, out, err = run("--help", env={**env, "COLUMNS": "100"})
    assert (code, err) == (0, "")
    assert out == ENGLISH_HELP


def test_mailwarden_alone_shows_the_chinese_help_on_stderr(run: Runner) -> None:
    code, out, err = run(env={"LANG": "zh_CN.UTF-8", "COLUMNS": "100"})
    assert (code, out) == (2, "")
    assert err == CHINESE_HELP


def test_a_mistyped_command_is_said_in_chinese(run: Runner) -> None:
    code, out, err = run("analyse", "x.log", env={"LANG": "zh_CN.UTF-8"})
    assert (code, out) == (2, "")
    assert err == (
        "用法：mailwarden [OPTIONS] COMMAND [ARGS]...\n"
        "运行 'mailwarden --help' 查看帮助。\n"
        "\n"
        "错误：没有命令 'analyse'。\n"
    )
    code, out, err = run("analyse", "x.log")
    assert (code, out) == (2, "")
    assert err.endswith("\nError: No such command 'analyse'.\n")


def test_the_english_only_commands_keep_english_help(run: Runner) -> None:
    for command in ("events", "status", "ban", "run"):
        code, out, _err = run(command, "--help", env={"LANG": "zh_CN.UTF-8"})
        assert code == 0 and out.startswith(f"Usage: mailwarden {command} "), out
        assert not any("\u4e00" <= char <= "\u9fff" for char in out), command


def test_every_command_has_a_language_rule() -> None:
    from mailwarden.cli import COMMANDS
    from mailwarden.cli.language import COMMANDS_WITH_LANGUAGE, ENGLISH_COMMANDS

    assert sorted(COMMANDS) == sorted(COMMANDS_WITH_LANGUAGE + ENGLISH_COMMANDS)


@pytest.mark.parametrize("env", [*CHINESE_LOCALES, {"LANGUAGE": "zh_CN"}])
def test_the_version_in_a_chinese_locale(run: Runner, env: dict[str, str]) -> None:
    from mailwarden import __version__

    code, out, err = run("--version", env=env)
    assert (code, err) == (0, "")
    assert out == f"mailwarden，版本 {__version__}\n"


@pytest.mark.parametrize("env", [{}, {"LANG": "C.UTF-8"}, {"LANG": "en_US.UTF-8"}])
def test_the_english_version_is_as_before(run: Runner, env: dict[str, str]) -> None:
    from mailwarden import __version__

    run("--version", env={"LANG": "zh_CN.UTF-8"})
    code, out, err = run("--version", env=env)
    assert (code, err) == (0, "")
    assert out == f"mailwarden, version {__version__}\n"
