"""smtpd's “initializing the server-side TLS engine”, written before its ``connect
from``, is listed with the session the connect begins: the summary line counts that as
one session, as many as are listed (it said 2 client sessions and listed one)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def _session(pid: int, ip: str, second: int) -> str:
    head = f"Feb 23 11:57:{second:02d} mail postfix/smtpd[{pid}]: "
    return (
        f"{head}initializing the server-side TLS engine\n"
        f"{head}connect from unknown[{ip}]\n"
        f"{head}warning: unknown[{ip}]: SASL PLAIN authentication failed: \n"
        f"{head}disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2\n"
    )


def test_one_session_with_its_tls_engine_line(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_session(1, "203.0.113.10", 1)))
    assert code == 0, err
    lines = out.splitlines()
    assert "4 log entries, 1 client session." in lines
    assert sum(line.startswith("Session ") for line in lines) == 1


def test_three_sessions_counted_as_listed_in_chinese(run: Runner, log_file: LogFile) -> None:
    text = "".join(_session(pid, f"203.0.113.{pid}0", pid) for pid in (1, 2, 3))
    code, out, err = run("explain", log_file(text), "--lang", "zh_CN")
    assert code == 0, err
    lines = out.splitlines()
    assert "12 条日志，3 个客户端会话。" in lines
    assert sum(line.startswith("会话 ") for line in lines) == 3


def test_a_line_without_address_then_a_connect_elsewhere_still_counts(
    run: Runner, log_file: LogFile
) -> None:
    # A dump line of another process is a session of its own, listed as one.
    text = (
        "Feb 23 11:57:40 mail postfix/smtpd[9]: Read 29 chars: AUTH PLAIN AGJvYgBwdw==??\n"
        + _session(1, "203.0.113.10", 41)
    )
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    lines = out.splitlines()
    assert "5 log entries, 2 client sessions." in lines
    assert sum(line.startswith("Session ") for line in lines) == 2
