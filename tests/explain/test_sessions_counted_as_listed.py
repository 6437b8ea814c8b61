"""The summary line counts every session that is listed as “Session N”, those whose
lines name no client address (a TLS dump line alone) too; such a heading says the
address is not in these lines."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def test_a_dump_line_alone_is_one_session_and_said_so(run: Runner, log_file: LogFile) -> None:
    line = "Feb 23 11:57:43 mail postfix/smtpd[1]: Read 29 chars: AUTH PLAIN AGJvYgBwdw==??\n"
    code, out, err = run("explain", log_file(line))
    assert code == 0, err
    lines = out.splitlines()
    assert "1 log entry, 1 client session." in lines
    assert "Session 1: client not named in these lines" in lines


def test_sessions_with_and_without_an_address_are_all_counted(
    run: Runner, log_file: LogFile
) -> None:
    text = (
        "Feb 23 11:57:40 mail postfix/smtpd[1]: Read 29 chars: AUTH PLAIN AGJvYgBwdw==??\n"
        "Feb 23 11:57:41 mail postfix/smtpd[2]: connect from unknown[203.0.113.7]\n"
        "Feb 23 11:57:42 mail postfix/smtpd[2]: disconnect from unknown[203.0.113.7] "
        "ehlo=1 quit=1 commands=2\n"
    )
    code, out, err = run("explain", log_file(text), "--lang", "zh_CN")
    assert code == 0, err
    lines = out.splitlines()
    assert "3 条日志，2 个客户端会话。" in lines
    assert "会话 1：这些日志未写出客户端地址" in lines
    assert "会话 2：客户端 203.0.113.7" in lines
