# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What a reviewer found explain saying wrong: a postscreen-only excerpt (nobody tried
to log in) called password guessing; postscreen's deny-list and hang-up lines called
broken SMTP rules; a scanner's verdict that named acts it did not do; counts that
contradict the lines listed ("0 client sessions" above three clients, "the same 1
accounts", "全部失败" of a single try); Chinese help with ASCII colons; an AUTH LOGIN
step that is not base64 and its ``501 … Cannot decode response``; Dovecot 2.4's
``auth(user,ip,sasl:mech)<id>: Debug:`` line taken for no client's; and a login proxy's
``disconnecting`` line told apart from the ``started proxying`` line of its session."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

POSTSCREEN = """\
Nov 30 10:03:01 mx postfix/postscreen[900]: CONNECT from [198.51.100.77]:40123 to [10.0.0.1]:25
Nov 30 10:03:01 mx postfix/dnsblog[901]: addr 198.51.100.77 listed by domain zen.spamhaus.org as 127.0.0.4
Nov 30 10:03:01 mx postfix/postscreen[900]: PREGREET 11 after 0.12 from [198.51.100.77]:40123: EHLO x\\r\\n
Nov 30 10:03:02 mx postfix/postscreen[900]: DNSBL rank 3 for [198.51.100.77]:40123
Nov 30 10:03:02 mx postfix/postscreen[900]: NOQUEUE: reject: RCPT from [198.51.100.77]:40123: 550 5.7.1 Service unavailable; client [198.51.100.77] blocked using zen.spamhaus.org; from=<a@b.example>, to=<c@example.com>, proto=ESMTP, helo=<x>
Nov 30 10:03:02 mx postfix/postscreen[900]: DISCONNECT [198.51.100.77]:40123
Nov 30 10:03:05 mx postfix/postscreen[900]: CONNECT from [2001:db8::5]:5555 to [10.0.0.1]:25
Nov 30 10:03:05 mx postfix/postscreen[900]: PASS NEW [2001:db8::5]:5555
Nov 30 10:03:05 mx postfix/postscreen[900]: NON-SMTP COMMAND from [2001:db8::5]:5555 after CONNECT: GET / HTTP/1.1
Nov 30 10:03:06 mx postfix/postscreen[900]: HANGUP after 0.52 from [2001:db8::5]:5555 in tests after SMTP handshake
Nov 30 10:03:07 mx postfix/postscreen[900]: BLACKLISTED [192.0.2.99]:1234
Nov 30 10:03:08 mx postfix/postscreen[900]: DENYLISTED [192.0.2.98]:1235
"""

LOGIN_NOT_BASE64 = """\
Nov 30 10:00:01 mx postfix/smtpd[3002]: connect from unknown[198.51.100.9]
Nov 30 10:00:07 mx postfix/smtpd[3002]: < unknown[198.51.100.9]: AUTH LOGIN
Nov 30 10:00:07 mx postfix/smtpd[3002]: > unknown[198.51.100.9]: 334 VXNlcm5hbWU6
Nov 30 10:00:08 mx postfix/smtpd[3002]: < unknown[198.51.100.9]: @@@not-b64***
Nov 30 10:00:08 mx postfix/smtpd[3002]: > unknown[198.51.100.9]: 501 5.5.2 Cannot decode response
Nov 30 10:00:09 mx postfix/smtpd[3002]: disconnect from unknown[198.51.100.9] ehlo=1 auth=0/1 quit=1 commands=2/3
"""

DEBUG_24 = (
    "Nov 30 12:00:06 mx dovecot: auth(kate@example.com,192.0.2.70,sasl:plain)<s6>: Debug: "
    "passwd-file: Performing passdb lookup\n"
)

PROXY = """\
Nov 30 10:02:01 px dovecot: imap-login: proxy(erin@example.com): started proxying to 10.0.0.5:143: user=<erin@example.com>, method=PLAIN, rip=203.0.113.50, lip=10.0.0.2, TLS, session=<pp1>
Nov 30 10:02:09 px dovecot: imap-login: proxy(erin@example.com): disconnecting 203.0.113.50 (Disconnected by server(0s idle, in=300, out=2000)): user=<erin@example.com>, method=PLAIN, rip=203.0.113.50, lip=10.0.0.2, TLS, session=<pp1>
Nov 30 10:02:12 px dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<frank@example.com>, method=PLAIN, rip=192.0.2.40, lip=10.0.0.2, TLS, session=<pp3>
"""

SPRAY = "".join(
    f"Nov 30 01:0{i}:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, "
    f"3 attempts in 9 secs): user=<hank@example.com>, method=PLAIN, rip=203.0.113.{10 + i}, "
    f"lip=10.0.0.1, TLS, session=<b{i}>\n"
    for i in range(10)
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


def test_postscreen_alone_is_no_password_guessing(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, POSTSCREEN))
    verdict = out.split("Is someone trying to break into your mail accounts?", 1)[1]
    assert "Someone is trying to guess passwords" not in out
    assert verdict.startswith(
        " No password guessing in these lines: no client tried to log in. 4 clients tripped "
        "the server's checks instead: 198.51.100.77, "
    )
    # the scanner's sentence says what it did, not "relay attempts, non-SMTP commands"
    assert (
        "It did not try to log in but talked before the server's greeting (PREGREET) and "
        "is on a DNS blocklist: a scanner." in out
    )
    assert "relay attempts" not in out
    assert "192.0.2.99: no login attempt; it is on this server's own postscreen deny list." in out
    assert (
        "2001:db8::5: no login attempt; it sent commands that are not SMTP and hung up in "
        "the middle of postscreen's tests." in out
    )
    zh = dense(_explain(run, log_file, POSTSCREEN, "--lang", "zh_CN"))
    assert "有人在猜测密码" not in zh
    assert "这些日志行中没有密码猜测：没有客户端尝试登录。倒是有4个客户端触发了服务器的检查" in zh
    assert "在服务器问候之前就抢先发言（PREGREET），并且在DNS黑名单上：一个扫描器。" in zh


def test_postscreen_deny_list_and_hang_up_have_their_own_texts(
    run: Runner, log_file: LogFile
) -> None:
    out = flat(_explain(run, log_file, POSTSCREEN))
    lines = out.split("Verdict")[0]
    for name in ("BLACKLISTED", "DENYLISTED"):
        told = lines.split(f"{name} [", 1)[1].split("Client ", 1)[0]
        assert "on this server's own deny list (postscreen_access_list" in told
        assert "breaking SMTP rules" not in told
    hangup = lines.split("HANGUP after 0.52", 1)[1].split("Client ", 1)[0]
    assert (
        "The client hung up without saying QUIT, 0.52 seconds into the connection, during "
        "postscreen's tests after the SMTP greeting" in hangup
    )
    assert "breaking SMTP rules" not in hangup
    # PREGREET still is a broken rule
    assert "breaking SMTP rules before it reached the real server (PREGREET)" in lines
    zh = dense(_explain(run, log_file, POSTSCREEN, "--lang", "zh_CN"))
    assert "客户端的地址在本服务器自己的拒绝名单上（postscreen_access_list" in zh
    assert "客户端在连接0.52秒后没有发送QUIT就挂断了" in zh


def test_the_header_counts_the_clients_outside_a_session(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, POSTSCREEN))
    assert (
        "12 log entries, 0 client sessions. 4 clients are seen only outside any session "
        "(postscreen's checks, for example)." in out
    )
    zh = dense(_explain(run, log_file, POSTSCREEN, "--lang", "zh_CN"))
    assert "12条日志，0个客户端会话。另有4个客户端只出现在会话之外（例如postscreen的检查）。" in zh


def test_a_spray_at_one_account_is_said_in_the_singular(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, SPRAY))
    assert "10 addresses tried the same account (30 failed logins)" in out
    assert "1 accounts" not in out


def test_a_single_failed_try_is_not_all_failed_in_chinese(run: Runner, log_file: LogFile) -> None:
    zh = dense(_explain(run, log_file, PROXY, "--lang", "zh_CN"))
    assert "Dovecot在连接结束时才写这一行；这次连接中有1次密码尝试失败。" in zh
    assert "全部失败" not in zh


def test_chinese_help_and_usage_use_full_width_colons(run: Runner) -> None:
    code, out, err = run("explain", "--lang", "zh_CN", "--help")
    assert code == 0, err
    assert out.startswith("用法：mailwarden explain [OPTIONS] [FILE…|-]\n")
    assert "\n选项：\n" in out
    assert "用法:" not in out and "选项:" not in out
    code, out, err = run("explain", "--lang", "zh_CN", "--bogus")
    assert code == 2
    assert err.startswith("用法：mailwarden explain ")
    assert "错误：没有选项 '--bogus'。" in err


def test_a_login_step_that_is_not_base64(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, LOGIN_NOT_BASE64))
    assert (
        "The client sends the next step of its login (method LOGIN), but it is not valid "
        "base64: it could not be decoded, and the server cannot read it either." in out
    )
    assert (
        "The server answers 501 5.5.2: it could not decode the client's login data (not "
        "valid base64), and this login attempt ends there." in out
    )
    assert "Syntax error in the arguments" not in out
    zh = dense(_explain(run, log_file, LOGIN_NOT_BASE64, "--lang", "zh_CN"))
    assert "但它不是有效的base64：无法解码" in zh
    assert "服务器答复501 5.5.2：它无法解码客户端的登录数据".replace(" ", "") in zh


def test_a_dovecot_24_auth_debug_line_names_its_login(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, DEBUG_24))
    assert "Client 192.0.2.70, outside a session" in out
    assert (
        "A debug line of Dovecot's authentication process (auth_debug = yes) about the "
        "login of “kate@example.com” from 192.0.2.70" in out
    )
    assert "does not seem to concern a client" not in out
    zh = dense(_explain(run, log_file, DEBUG_24, "--lang", "zh_CN"))
    assert "Dovecot认证进程关于192.0.2.70以“kate@example.com”登录的调试记录" in zh


def test_a_proxy_disconnect_joins_the_session_it_started(run: Runner, log_file: LogFile) -> None:
    out = flat(_explain(run, log_file, PROXY))
    session = out.split("Session 1: client 203.0.113.50", 1)[1].split("Session 2", 1)[0]
    assert "started proxying" in session and "disconnecting 203.0.113.50" in session
    assert "Client 203.0.113.50, outside a session" not in out
    assert (
        "Someone logged in successfully as “erin@example.com” (method PLAIN) through the "
        "login proxy (director): it passed the login on to a backend server, and Dovecot "
        "writes “started proxying” only once the backend has accepted it." in session
    )
    assert (
        "The login proxy (director) ends the connection it relayed to the backend server "
        "for the login above: the session is over." in session
    )
    assert "a proxy passdb answered for the login" not in out
    zh = dense(_explain(run, log_file, PROXY, "--lang", "zh_CN"))
    assert "登录代理（director）结束了它为上面那次登录转发到后端服务器的连接" in zh


def test_scanners_beside_a_real_login_are_no_guessing_either(
    run: Runner, log_file: LogFile
) -> None:
    login = (
        "Nov 30 10:04:00 mx dovecot: imap-login: Login: user=<ann@example.com>, method=PLAIN, "
        "rip=192.0.2.50, lip=10.0.0.1, mpid=5, TLS, session=<ok1>\n"
    )
    out = flat(_explain(run, log_file, POSTSCREEN + login))
    assert "Someone is trying to guess passwords" not in out
    assert (
        "No password guessing in these lines: the hostile clients did not try to log in. "
        "4 clients tripped the server's checks instead: " in out
    )
    assert "There is 1 successful login." in out
    assert "192.0.2.50: no login attempt" not in out
