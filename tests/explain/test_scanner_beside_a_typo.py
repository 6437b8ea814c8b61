# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What a reviewer found explain saying wrong: one mistyped password next to an
unrelated scanner called password guessing (the scanner counted among the guessing
addresses); the scanner's line “no login attempt, but hostile: It did not try …”; a
client that broke postscreen's rules and then failed to log in told as maybe a person's
typo, its violations unsaid; “1 seconds into the connection”; and a login proxy's
``disconnecting`` line left outside its session when more than eight other sessions of
the address (an office behind one NAT address) began in between."""

from __future__ import annotations

import re
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

TYPO = """\
Nov 29 10:02:10 mx postfix/submission/smtpd[200]: connect from unknown[192.0.2.77]
Nov 29 10:02:11 mx postfix/submission/smtpd[200]: warning: unknown[192.0.2.77]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=bob@example.com
Nov 29 10:02:13 mx postfix/submission/smtpd[200]: disconnect from unknown[192.0.2.77] ehlo=1 auth=0/1 quit=1 commands=2/3
"""

SCANNER = """\
Nov 29 10:00:00 mx postfix/postscreen[100]: CONNECT from [203.0.113.9]:40000 to [192.0.2.1]:25
Nov 29 10:00:00 mx postfix/postscreen[100]: PREGREET 11 after 0.1 from [203.0.113.9]:40000: EHLO user\\r\\n
Nov 29 10:00:01 mx postfix/postscreen[100]: DNSBL rank 3 for [203.0.113.9]:40000
Nov 29 10:00:02 mx postfix/postscreen[100]: DISCONNECT [203.0.113.9]:40000
Nov 29 10:01:00 mx postfix/smtpd[300]: connect from unknown[203.0.113.9]
Nov 29 10:01:01 mx postfix/smtpd[300]: warning: non-SMTP command from unknown[203.0.113.9]: GET / HTTP/1.1
Nov 29 10:01:01 mx postfix/smtpd[300]: disconnect from unknown[203.0.113.9] unknown=0/1 commands=0/1
"""

BRUTE_FORCE = "".join(
    f"Nov 29 09:{10 + i}:00 mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 9 secs): "
    f"user=<user{i}@example.com>, method=PLAIN, rip=198.51.100.60, lip=192.0.2.1, session=<bf{i}>\n"
    for i in range(12)
)

BOT_THEN_LOGIN = """\
Nov 29 10:00:00 mx postfix/postscreen[100]: CONNECT from [203.0.113.9]:40000 to [192.0.2.1]:25
Nov 29 10:00:00 mx postfix/postscreen[100]: PREGREET 11 after 0.1 from [203.0.113.9]:40000: EHLO user\\r\\n
Nov 29 10:00:01 mx postfix/postscreen[100]: DNSBL rank 3 for [203.0.113.9]:40000
Nov 29 10:00:02 mx postfix/postscreen[100]: DISCONNECT [203.0.113.9]:40000
Nov 29 10:00:10 mx postfix/submission/smtpd[200]: connect from unknown[203.0.113.9]
Nov 29 10:00:11 mx postfix/submission/smtpd[200]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Nov 29 10:00:12 mx postfix/submission/smtpd[200]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Nov 29 10:00:13 mx postfix/submission/smtpd[200]: disconnect from unknown[203.0.113.9] ehlo=1 auth=0/2 quit=1 commands=2/4
"""

HANGUP = """\
Nov 30 10:03:05 mx postfix/postscreen[900]: CONNECT from [198.51.100.5]:5555 to [10.0.0.1]:25
Nov 30 10:03:06 mx postfix/postscreen[900]: HANGUP after 1 from [198.51.100.5]:5555 in tests before SMTP handshake
Nov 30 10:03:07 mx postfix/postscreen[900]: DISCONNECT [198.51.100.5]:5555
"""


def _proxied(user: str, minute: str, session: str) -> str:
    return (
        f"Nov 30 {minute} px dovecot: imap-login: proxy({user}): started proxying to "
        f"10.0.0.5:143: user=<{user}>, method=PLAIN, rip=198.51.100.10, lip=10.0.0.2, TLS, "
        f"session=<{session}>\n"
    )


OFFICE = (
    _proxied("erin@example.com", "10:00:01", "pp1")
    + "".join(_proxied(f"u{i}@example.com", f"10:{10 + i}:01", f"q{i}") for i in range(12))
    + "Nov 30 11:02:09 px dovecot: imap-login: proxy(erin@example.com): disconnecting 198.51.100.10 "
    "(Disconnected by server(0s idle, in=300, out=2000)): user=<erin@example.com>, method=PLAIN, "
    "rip=198.51.100.10, lip=10.0.0.2, TLS, session=<pp1>\n"
)


def flat(text: str) -> str:
    return " ".join(text.split())


def dense(text: str) -> str:
    """Chinese output without the spaces and line breaks wrapping put in."""
    return "".join(text.split())


def _explain(run: Runner, log_file: LogFile, text: str, *args: str) -> str:
    code, out, err = run("explain", *args, log_file(text))
    assert code == 0, err
    return out


def _headline(out: str) -> str:
    verdict = out.split("Is someone trying to break into your mail accounts?", 1)[1]
    return re.split(r"The client [0-9]", verdict, maxsplit=1)[0]


def test_a_scanner_does_not_make_a_typo_password_guessing(run: Runner, log_file: LogFile) -> None:
    alone = _headline(flat(_explain(run, log_file, TYPO)))
    both = _headline(flat(_explain(run, log_file, SCANNER + TYPO)))
    assert alone.startswith(" Not clearly. These lines show 1 failed login and nothing more.")
    assert both.startswith(" Not clearly. These lines show 1 failed login and nothing more.")
    assert "Someone is trying to guess passwords" not in both
    assert (
        "Besides, 1 client tripped the server's checks without trying to log in: 203.0.113.9."
        in both
    )
    zh = dense(_explain(run, log_file, SCANNER + TYPO, "--lang", "zh_CN"))
    assert "有人在猜测密码" not in zh
    assert "不能确定。这些日志只显示了1次登录失败" in zh
    assert "此外，有1个客户端没有尝试登录，但触发了服务器的检查：203.0.113.9。" in zh


def test_a_brute_force_beside_a_scanner_names_the_scanner(run: Runner, log_file: LogFile) -> None:
    both = _headline(flat(_explain(run, log_file, SCANNER + BRUTE_FORCE)))
    assert both.startswith(" Yes. Someone is trying to guess passwords")
    assert (
        "Besides, 1 client tripped the server's checks without trying to log in: 203.0.113.9."
        in both
    )


def test_the_scanner_line_reads_as_one_sentence(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, SCANNER + TYPO))
    assert "but hostile: It" not in out
    assert (
        "• 203.0.113.9: no login attempt; it talked before the server's greeting (PREGREET), "
        "is on a DNS blocklist and sent commands that are not SMTP: a scanner." in out
    )
    zh = dense(_explain(run, log_file, SCANNER + TYPO, "--lang", "zh_CN"))
    assert "203.0.113.9：没有尝试登录；它在服务器问候之前就抢先发言（PREGREET）" in zh
    assert "有敌意：它没有尝试登录" not in zh


def test_postscreen_violations_are_bot_evidence_in_the_verdict(
    run: Runner, log_file: LogFile
) -> None:
    out = flat(_explain(run, log_file, BOT_THEN_LOGIN))
    headline = _headline(out)
    assert headline.startswith(
        " Not clearly. These lines show 2 failed logins and nothing more. The client behaves "
        "like a bot (details below)"
    )
    assert "a person mistyped a password or a bot" not in headline
    assert (
        "• 203.0.113.9: 2 failed login attempts. It also talked before the server's greeting "
        "(PREGREET) and is on a DNS blocklist: signs of a bot, not of a person mistyping a "
        "password." in out
    )
    assert (
        "This is an automated bot, not a person who mistyped: the server's finding that it "
        "talked before the server's greeting (PREGREET)" in out
    )
    zh = dense(_explain(run, log_file, BOT_THEN_LOGIN, "--lang", "zh_CN"))
    assert (
        "203.0.113.9：登录失败2次。它还在服务器问候之前就抢先发言（PREGREET），并且在DNS黑名单上："
        "这是机器人程序的迹象，而不是真人输错了密码。" in zh
    )


def test_a_hang_up_after_one_second_is_singular(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, HANGUP))
    assert "The client hung up without saying QUIT, 1 second into the connection" in out
    assert "1 seconds" not in out


def test_a_proxy_disconnect_joins_its_session_behind_a_busy_nat(
    run: Runner, log_file: LogFile
) -> None:
    out = _explain(run, log_file, OFFICE)
    lines = out.split("Verdict")[0]
    assert "outside a session" not in lines
    erin = lines.split("session=<pp1>", 1)[1]
    # the disconnect follows its own session's “started proxying”, before any other session
    assert "disconnecting 198.51.100.10" in erin.split("Session ", 1)[0]
