"""What ``analyze --lang zh_CN`` (or a Chinese locale) still said in English about its
inputs: journalctl missing, failing or stopping half-way (``--journal``), a bad
``--journal-match``, a ``--users`` file that is not a list of accounts, and the
progress bar's counts. English says what it said."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from clirunner import Runner
from mailwarden.cli.language import speaking
from mailwarden.cli.progress import BarProgress
from mailwarden.errors import MailwardenError

ENTRY = (
    '{"__REALTIME_TIMESTAMP": "1771837200000000", "__CURSOR": "s=1;i=1", '
    '"_HOSTNAME": "mx", "SYSLOG_IDENTIFIER": "postfix/submission/smtpd", "_PID": "42", '
    '"MESSAGE": "warning: unknown[203.0.113.44]: SASL LOGIN authentication failed: '
    'authentication failure, sasl_username=admin@example.com"}'
)
CHINESE = [(("--lang", "zh_CN"), {}), ((), {"LANG": "zh_CN.UTF-8"})]


def _journalctl(tmp_path: Path, body: str) -> dict[str, str]:
    """A fake journalctl first on PATH; the environment to run with it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "journalctl"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize(("args", "env"), CHINESE)
def test_a_failing_journalctl_is_said_in_chinese(
    run: Runner, tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    path = _journalctl(tmp_path, 'echo "Failed to open journal: x" >&2\nexit 1')
    code, out, err = run("analyze", *args, "--journal", env={**env, **path})
    assert (code, out) == (1, "")
    assert err == "mailwarden: 错误：journalctl 运行失败（退出状态 1）：Failed to open journal: x\n"
    path = _journalctl(tmp_path, "exit 4")
    code, out, err = run("analyze", *args, "--journal", env={**env, **path})
    assert err == "mailwarden: 错误：journalctl 运行失败（退出状态 4）：没有给出原因\n"
    code, out, err = run("analyze", "--journal", env=path)
    assert err == "mailwarden: error: journalctl failed (exit 4): no message\n"


def test_a_missing_journalctl_is_said_in_chinese(run: Runner, tmp_path: Path) -> None:
    empty = {"PATH": str(tmp_path)}
    code, out, err = run("analyze", "--lang", "zh_CN", "--journal", env=empty)
    assert (code, out) == (1, "")
    assert err == (
        "mailwarden: 错误：journalctl: 找不到该程序；读取 systemd journal 需要 journalctl\n"
    )
    code, out, err = run("analyze", "--journal", env=empty)
    assert err == (
        "mailwarden: error: journalctl: not found; reading the systemd journal needs journalctl\n"
    )


def test_a_journalctl_that_stops_half_way_is_a_chinese_note(run: Runner, tmp_path: Path) -> None:
    body = f"cat <<'EOF'\n{ENTRY}\nEOF\necho 'journal file corrupted' >&2\nexit 1"
    path = _journalctl(tmp_path, body)
    code, out, err = run("analyze", "--lang", "zh_CN", "--journal", env=path)
    said = "journal: journalctl 中途退出（退出状态 1）：journal file corrupted"
    assert code == 0 and err == f"mailwarden: 警告：{said}\n"
    assert "".join(f"没能读完全部内容：{said}".split()) in "".join(out.split())
    code, out, err = run("analyze", "--journal", env=path)
    said = "journal: journalctl stopped with exit 1: journal file corrupted"
    assert code == 0 and err == f"mailwarden: warning: {said}\n"


def test_a_bad_journal_match_is_said_in_chinese(run: Runner) -> None:
    code, out, err = run("analyze", "--lang", "zh_CN", "--journal", "--journal-match", "foo")
    assert (code, out) == (2, "")  # bad usage, said before the journal is read
    said = "--journal-match: foo: 不是 journal 匹配条件（应为 FIELD=value 或 +）"
    assert err == f"mailwarden: 错误：{said}\n"


@pytest.mark.parametrize(("args", "env"), CHINESE)
def test_a_users_file_that_is_no_list_of_accounts(
    run: Runner, tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    users = tmp_path / "users.db"
    users.write_bytes(b"alice\n\x00\x01binary\n")
    code, out, err = run("analyze", *args, "--users", str(users), str(log), env=env)
    assert (code, out) == (1, "")
    assert err == (
        f"mailwarden: 错误：{users}: 第 2 行是二进制数据：这不是账户列表（每行一个名字），"
        "也不是 Dovecot passwd-file\n"
    )
    users.write_bytes(b"x" * (65 << 10))
    code, out, err = run("analyze", *args, "--users", str(users), str(log), env=env)
    assert err == (
        f"mailwarden: 错误：{users}: 第 1 行超过 64 KiB：这不是账户列表（每行一个名字），"
        "也不是 Dovecot passwd-file\n"
    )
    code, out, err = run("analyze", "--users", str(users), str(log))
    assert err == (
        f"mailwarden: error: {users}: line 1: a line over 64 KiB: not a list of accounts"
        " (one name per line) or a Dovecot passwd-file\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bar_text() -> str:
    stream = _Terminal()
    bar = BarProgress(["-"], stream)
    bar.start("-")
    bar.advance("-", 8 << 20, 60_000)  # past the threshold: the bar appears
    bar.finish("-")
    bar.close()
    return stream.getvalue()


def test_the_progress_bar_counts_in_chinese() -> None:
    with speaking("zh_CN"):
        text = _bar_text()
    assert "8 MB，60,000 行，每秒" in text and "lines" not in text
    with speaking("en"):
        text = _bar_text()
    assert "8 MB, 60,000 lines, " in text and "lines/s" in text


def _killed_worker() -> str:
    """What analyze says when its reading process dies (killed for memory, say)."""
    from mailwarden.pipeline import Counts
    from mailwarden.scan import _NoProgress
    from mailwarden.scanpool import _receive, in_worker

    counts = Counts()
    with pytest.raises(MailwardenError) as stopped:
        in_worker(lambda fd: os._exit(9), lambda pipe: _receive(pipe, print, counts, _NoProgress()))
    return str(stopped.value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the reading process is forked")
def test_a_reading_process_that_died_is_said_in_chinese() -> None:
    from mailwarden.scanpool import failed

    with speaking("zh_CN"):
        assert _killed_worker() == "读取日志的子进程在输入读完之前就结束了"
        assert str(failed("MemoryError", "")) == "读取日志的子进程出错：MemoryError: "
    assert _killed_worker() == "the reading process ended before the end of the input"


@pytest.mark.parametrize("command", ["analyze", "explain", "audit"])
def test_a_mistyped_option_and_its_suggestion_in_chinese(run: Runner, command: str) -> None:
    code, out, err = run(command, "--lang", "zh_CN", "--lang-x", "zh")
    assert (code, out) == (2, "")
    # No space after the Chinese full stop, as click puts after the English one.
    assert err.endswith("错误：没有选项 '--lang-x'。你是不是想用 '--lang'？\n"), err
    code, out, err = run(command, "--lang-x", "zh")
    assert err.endswith("Error: No such option '--lang-x'. Did you mean '--lang'?\n"), err
