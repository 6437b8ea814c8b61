"""``lost connection after AUTH`` in Chinese says what the English says: bots that guess
passwords hang up so (the translation had left that half out)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LINES = (
    "Feb 23 11:57:40 mail postfix/smtpd[4242]: connect from unknown[203.0.113.9]\n"
    "Feb 23 11:57:41 mail postfix/smtpd[4242]: lost connection after AUTH from "
    "unknown[203.0.113.9]\n"
)


def test_hanging_up_after_auth_names_the_bots(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, err = run("explain", log_file(LINES), "--lang", "zh_CN")
    assert code == 0, err
    out = "".join(out.split())
    assert "客户端像猜密码的机器人那样，在一次登录尝试之后立即挂断了连接，没有发送QUIT。" in out
    code, out, err = run("explain", log_file(LINES))
    assert code == 0, err
    assert "as password-guessing bots do" in " ".join(out.split())
