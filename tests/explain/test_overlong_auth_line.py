"""smtpd's ``request longer than N: AUTH PLAIN …``: a client (named where Postfix writes
it) sent an AUTH command over the line limit. explain tells it with that client's lines,
as what it is, and shows none of its data."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 23:10:{s:02d} mx postfix/smtpd[1800]: "
PAYLOAD = "AGFkbWluQGZpcGljay5"
LINES = [
    "connect from unknown[203.0.113.153]",
    f"warning: unknown[203.0.113.153]: request longer than 12288: AUTH PLAIN {PAYLOAD}...",
    "lost connection after AUTH from unknown[203.0.113.153]",
    "disconnect from unknown[203.0.113.153] ehlo=1 auth=0/1 commands=1/2",
]


def _explained(run: Runner, log_file: LogFile, *options: str) -> str:
    text = "".join(P.format(s=n) + line + "\n" for n, line in enumerate(LINES))
    code, out, err = run("explain", *options, log_file(text))
    assert code == 0, err
    return out


def test_an_overlong_auth_command_is_the_clients(run: Runner, log_file: LogFile) -> None:
    out = _explained(run, log_file)
    session = out.split("\nSession 1: client 203.0.113.153\n", 1)[1].split("\n\n", 1)[0]
    text = " ".join(session.split())
    assert "request longer than 12288: AUTH PLAIN ‹…›" in text
    assert (
        "The client sent an AUTH command longer than the server's limit of 12288 bytes "
        "(its data is not shown: it may hold a credential)." in text
    )
    assert "buffer overflows" in text
    assert "does not seem to concern a client" not in out
    assert PAYLOAD not in out


def test_in_chinese(run: Runner, log_file: LogFile) -> None:
    out = _explained(run, log_file, "--lang", "zh_CN")
    assert "客户端发送的AUTH命令超过了服务器12288字节的行长上限" in "".join(out.split())
    assert PAYLOAD not in out
