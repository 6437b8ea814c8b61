"""A client at a loopback address (or the server's own) is this machine itself: a
webmail, a script or a proxy on the server. Its paragraph says so first, in its "Who",
and never calls it an outside bot, even when its lines show a bot's signs (hanging up
right after the refusal)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 12:02:{s:02d} mx postfix/smtpd[300]: "


def _lines(name: str, ip: str) -> list[str]:
    failed = f"warning: {name}[{ip}]: SASL PLAIN authentication failed: authentication failure"
    return [
        f"connect from {name}[{ip}]",
        *[failed] * 6,
        f"lost connection after AUTH from {name}[{ip}]",
        f"disconnect from {name}[{ip}] ehlo=1 auth=0/6 commands=1/7",
    ]


def _client_block(out: str, ip: str) -> str:
    block = out.split(f"\nThe client {ip}\n", 1)[1]
    return " ".join(block.split("\n\n", 1)[0].split())


@pytest.mark.parametrize(("name", "ip"), [("localhost", "127.0.0.1"), ("localhost", "::1")])
def test_loopback_is_this_machine_not_a_bot(
    run: Runner, log_file: LogFile, name: str, ip: str
) -> None:
    text = "".join(P.format(s=n) + line + "\n" for n, line in enumerate(_lines(name, ip)))
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    block = _client_block(out, ip)
    who = block.split(" What: ", 1)[0]
    assert "That is this machine itself" in who
    assert "a webmail such as Roundcube or SOGo" in who
    assert "automated bot" not in block
    assert "from many addresses" not in block


def test_an_outside_client_is_still_called_a_bot(run: Runner, log_file: LogFile) -> None:
    lines = _lines("unknown", "203.0.113.70")
    text = "".join(P.format(s=n) + line + "\n" for n, line in enumerate(lines))
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    block = _client_block(out, "203.0.113.70")
    assert "This is an automated bot" in block
    assert "this machine itself" not in block


def test_in_chinese_too(run: Runner, log_file: LogFile) -> None:
    lines = _lines("localhost", "127.0.0.1")
    text = "".join(P.format(s=n) + line + "\n" for n, line in enumerate(lines))
    code, out, err = run("explain", "--lang", "zh_CN", log_file(text))
    assert code == 0, err
    block = "".join(out.split("\n客户端 127.0.0.1\n", 1)[1].split("\n\n", 1)[0].split())
    assert "这就是本机自身" in block
    assert "这是自动化的机器人程序" not in block
