# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`mailwarden explain` on lines that repeat: the short form of a repeated line keeps
what changes its meaning (an account that does not exist, the same client again), a
Dovecot mail process's logout stays with its login, lists read in Chinese, and
addresses come in the order of their numbers."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner


def flat(text: str) -> str:
    return " ".join(text.split())


def _dovecot_try(second: int, user: str, reason: str, session: str) -> str:
    return (
        f"Nov 29 11:00:{second:02d} mx dovecot: auth: passwd-file({user},198.51.100.77,<{session}>): {reason}\n"
        f"Nov 29 11:00:{second + 2:02d} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.10, TLS, session=<{session}>\n"
    )


IMAP_GUESSES = (
    _dovecot_try(6, "carol@example.com", "Password mismatch", "RCCCPP3m8cJrMPkO")
    + _dovecot_try(12, "carol@example.com", "Password mismatch", "x90B5Ih1NKIPCw0E")
    + _dovecot_try(18, "carol@example.com", "Password mismatch", "w27YDnHg/XewdnDr")
    + _dovecot_try(30, "info@example.com", "unknown user", "/8kR9XzO1Fi7vyzg")
    + _dovecot_try(36, "test@example.com", "unknown user", "N1PJvfoP8BadyVdW")
)
"""A bot guessing carol's password, then names that do not exist (the reviewer's s2)."""


def test_a_repeated_failure_for_an_unknown_account_says_so(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    code, out, err = run("explain", log_file(IMAP_GUESSES))
    assert code == 0, err
    out = flat(out)
    assert out.count("Another failed login: “carol@example.com”.") == 2  # wrong passwords
    # The first unknown name is told in full, the next keeps the meaning.
    assert "A login failed: account “info@example.com”. Reason: “unknown user”." in out
    assert "Another failed login: “test@example.com” (no account by that name)." in out
    assert "Another failed login: “info@example.com”." not in out
    # The verdict says what the server said of the names.
    assert (
        "It is trying to guess passwords for 3 accounts. The server says 2 of them do not "
        "exist: it is guessing account names too." in out
    )


def test_a_repeated_failure_for_an_unknown_account_says_so_in_chinese(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    code, out, err = run("explain", "--lang", "zh_CN", log_file(IMAP_GUESSES))
    assert code == 0, err
    out = "".join(out.split())
    assert "又一次登录失败：“test@example.com”（没有这个账户）。" in out
    assert "服务器表示其中2个账户不存在：它也在猜测账户名。" in out


def test_one_unknown_account_of_one_is_said_of_it(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    text = "".join(
        _dovecot_try(6 * n, "test@example.com", "unknown user", f"N1PJvfoP8Bady{n:03d}")
        for n in range(1, 6)
    )
    code, out, _err = run("explain", log_file(text))
    assert code == 0
    out = flat(out)
    assert "Another failed login: “test@example.com” (no account by that name)." in out
    assert "The server says no account by that name exists." in out


def test_a_mail_process_logout_joins_the_login_of_its_session(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    text = (
        "Nov 29 12:00:32 mx dovecot: auth: passwd-file(dave@example.com,203.0.113.50,<HphAbBicJCeemFHV>): Password mismatch\n"
        "Nov 29 12:00:33 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 1 secs): user=<dave@example.com>, method=PLAIN, rip=203.0.113.50, lip=192.0.2.10, TLS, session=<HphAbBicJCeemFHV>\n"
        "Nov 29 12:00:36 mx dovecot: imap-login: Login: user=<dave@example.com>, method=PLAIN, rip=203.0.113.50, lip=192.0.2.10, mpid=5501, TLS, session=<gUIEE2/rVxPBZrEy>\n"
        "Nov 29 12:01:06 mx dovecot: imap(dave@example.com)<5501><gUIEE2/rVxPBZrEy>: Disconnected: Logged out in=120 out=48211 deleted=0 expunged=0 trashed=0 hdr_count=40 hdr_bytes=9000 body_count=0 body_bytes=0\n"
        "Nov 29 12:02:06 mx postfix/submission/smtpd[6001]: connect from unknown[203.0.113.50]\n"
        "Nov 29 12:02:09 mx postfix/submission/smtpd[6001]: disconnect from unknown[203.0.113.50] ehlo=2 starttls=1 auth=1 mail=1 rcpt=50 data=1 quit=1 commands=57\n"
    )
    code, out, _err = run("explain", log_file(text))
    assert code == 0
    assert "outside any client session" not in out
    listing = out.split("Verdict\n", 1)[0]
    login = listing.index("Session 2: client 203.0.113.50\ndovecot, Nov 29 12:00:36–12:01:06\n")
    logout = listing.index("12:01:06 imap(dave@example.com)<5501><gUIEE2/rVxPBZrEy>")
    assert login < logout < listing.index("Session 3: client 203.0.113.50")


def _submission_tries(pid: int, second: int, ip: str) -> str:
    return (
        f"Nov 29 10:00:{second:02d} mx postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]\n"
        f"Nov 29 10:00:{second + 2:02d} mx postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=bob@example.com\n"
        f"Nov 29 10:00:{second + 3:02d} mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5\n"
    )


RECONNECTS = (
    _submission_tries(4100, 0, "198.51.100.23")
    + _submission_tries(4200, 7, "192.0.2.44")
    + _submission_tries(4101, 12, "198.51.100.23")
    + _submission_tries(4102, 24, "198.51.100.23")
)


def test_a_reconnect_is_the_same_client_again(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, _err = run("explain", log_file(RECONNECTS))
    assert code == 0
    out = flat(out)
    assert "Another client connected (192.0.2.44)." in out
    assert out.count("The same client connected again (198.51.100.23).") == 2
    assert "Another client connected (198.51.100.23)." not in out

    code, out, _err = run("explain", "--lang", "zh_CN", log_file(RECONNECTS))
    out = flat(out)
    assert "又一个客户端连接进来（192.0.2.44）。" in out
    assert out.count("同一个客户端再次连接进来（198.51.100.23）。") == 2


def test_a_cut_list_in_chinese_says_how_many_more(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    names = [f"user{n}@example.com" for n in range(10)]
    text = "".join(
        _dovecot_try(2 * n, name, "Password mismatch", f"AbCdEfGhIjKl{n:04d}")
        for n, name in enumerate(names)
    )
    code, out, _err = run("explain", "--lang", "zh_CN", log_file(text))
    assert code == 0
    out = "".join(out.split())
    assert "“user7@example.com”以及另外2个" in out
    assert "等另外" not in out


def test_addresses_are_listed_by_number(run: Runner, log_file: Callable[[str], str]) -> None:
    """Equal clients come in the order of their addresses' numbers, IPv4 first: .9,
    .11, .101, then IPv6, in explain's lists and its ban step, and analyze's table."""
    order = ["203.0.113.9", "203.0.113.11", "203.0.113.101", "2001:db8::1"]
    text = "".join(
        _submission_tries(4000 + 10 * n + k, 4 * k, ip)
        for n, ip in enumerate(["203.0.113.101", "2001:db8::1", "203.0.113.11", "203.0.113.9"])
        for k in range(4)
    )
    path = log_file(text)
    code, out, _err = run("explain", path)
    assert code == 0
    out = flat(out)
    bullets = [out.index(f"• {ip} tried to log in") for ip in order]
    assert bullets == sorted(bullets)
    actions = out.split("What to do", 1)[1]
    steps = [actions.index(ip) for ip in order]
    assert steps == sorted(steps)

    code, out, _err = run("analyze", path)
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("203.", "2001:"))]
    assert rows == order
