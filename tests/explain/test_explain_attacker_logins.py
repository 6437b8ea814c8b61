"""`explain` judges a login by the attacker itself as `analyze` does: from another
address of the network guessing the account, or by a spraying campaign's bot that tried
its accounts, it is a break-in (change the password, block the address), not a login
to ask the owner about."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def failure(minute: int, ip: str, user: str, pid: int) -> str:
    stamp = f"Mar 10 {10 + minute // 60:02d}:{minute % 60:02d}"
    return (
        f"{stamp}:00 mx postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]\n"
        f"{stamp}:02 mx postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN "
        f"authentication failed: (reason unavailable), sasl_username={user}\n"
        f"{stamp}:06 mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] "
        "ehlo=1 auth=0/1 quit=1 commands=2/3\n"
    )


def login(stamp: str, ip: str, user: str) -> str:
    return (
        f"Mar 10 {stamp} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, "
        f"rip={ip}, lip=198.51.100.25, mpid=20018, TLS, session=<S0000000010AA>\n"
    )


def explained(run: Runner, path: str) -> str:
    code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0, err
    return " ".join(out.split())


def test_a_login_from_the_guessing_network_is_told_as_a_break_in(
    run: Runner, log_file: LogFile
) -> None:
    text = "".join(
        failure(n, f"2001:db8:9:9::{n + 1:x}", "frank@example.com", 20010 + n) for n in range(8)
    )
    out = explained(
        run, log_file(text + login("10:10:00", "2001:db8:9:9::99", "frank@example.com"))
    )
    assert "YES: it got in as “frank@example.com”" in out
    assert "Change the password of “frank@example.com” now" in out
    assert "Ask the user of “frank@example.com”" not in out


def test_a_campaign_bot_that_logs_in_is_told_as_a_break_in_and_blocked(
    run: Runner, log_file: LogFile
) -> None:
    bots = [f"2001:db8:b{n:03x}::1" for n in range(12)]
    text = "".join(
        failure(n * 20 + k * 7, ip, user, 20100 + 2 * n + k)
        for n, ip in enumerate(bots)
        for k, user in enumerate(["alice@example.com", "bob@example.com"])
    )
    out = explained(run, log_file(text + login("15:00:00", bots[5], "bob@example.com")))
    assert "Change the password of “bob@example.com” now" in out
    assert "Ask the user of “bob@example.com”" not in out
    assert f"No need to block {bots[5]}" not in out
    assert f"mailwarden ban {bots[5]}" in out


def test_the_owners_phone_on_a_carriers_pool_is_told_as_a_maybe(
    run: Runner, log_file: LogFile
) -> None:
    # One failure on carol from each of five addresses of a carrier's /24 (the network
    # stands as an attacker), then carol logs in from another of its addresses: her
    # phone with an old password looks just so. Ask her; no password change told as due.
    text = "".join(
        failure(n, f"198.51.100.{5 + n}", "carol@example.com", 20200 + n) for n in range(5)
    )
    out = explained(run, log_file(text + login("10:10:00", "198.51.100.77", "carol@example.com")))
    assert "Ask the user of “carol@example.com” whether the login from 198.51.100.77" in out
    assert "Change the password of “carol@example.com” now" not in out
    assert "YES: it got in" not in out
