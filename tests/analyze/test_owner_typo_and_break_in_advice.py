# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""analyze as explain says it: failures that name no account, then a login as an
account from the same address, are the owner mistyping, and the headline says that login
(it said only "too few to tell guessing from a typo"); a break-in's first step ends the
intruder's sessions with the commands that end them, account and address given
(``doveadm kick`` alone ends nothing, and only IMAP and POP3 sessions)."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]
OPTIONS = ("--year", "2026", "--timezone", "UTC")

TYPO = [
    "Feb 23 12:20:01 mail postfix/submission/smtpd[4201]: connect from client.example.net[198.51.100.20]",
    "Feb 23 12:20:03 mail postfix/submission/smtpd[4201]: warning: client.example.net[198.51.100.20]: SASL PLAIN authentication failed: ",
    "Feb 23 12:20:09 mail postfix/submission/smtpd[4201]: warning: client.example.net[198.51.100.20]: SASL PLAIN authentication failed: ",
    "Feb 23 12:20:20 mail postfix/submission/smtpd[4201]: 4B2C33D1A52: client=client.example.net[198.51.100.20], sasl_method=PLAIN, sasl_username=alice@fipick.com",
    "Feb 23 12:20:21 mail postfix/submission/smtpd[4201]: disconnect from client.example.net[198.51.100.20]",
]

BROKE_IN = [
    *(
        f"Feb 23 12:10:0{s} mail postfix/submission/smtpd[4101]: warning: unknown[{ip}]: SASL PLAIN authentication failed: "
        for s in (2, 4, 6, 8, 9)
        for ip in ("203.0.113.50", "2001:db8:4f:1::50")
    ),
    "Feb 23 12:10:16 mail postfix/submission/smtpd[4101]: 3A1B22C0F41: client=unknown[203.0.113.50], sasl_method=PLAIN, sasl_username=admin@fipick.com",
    "Feb 23 12:10:17 mail postfix/submission/smtpd[4102]: 3A1B22C0F42: client=unknown[2001:db8:4f:1::50], sasl_method=PLAIN, sasl_username=bob@fipick.com",
]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_owner_login_after_unnamed_failures_is_in_the_headline(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(TYPO) + "\n")
    code, out, err = run("analyze", *OPTIONS, path)
    assert code == 0, err
    assert flat(out).startswith(
        "No attack found: 2 failed logins, too few from any client to tell guessing from a "
        "typo. 198.51.100.20 failed 2 times and then logged in as alice@fipick.com: most "
        "likely the account's owner mistyping."
    ), out
    code, out, err = run("analyze", "--lang", "zh_CN", *OPTIONS, path)
    assert code == 0, err
    assert (
        "198.51.100.20登录失败2次之后以alice@fipick.com登录成功：最有可能是账户所有者输错了密码。"
        in "".join(out.split())
    )


def test_a_break_in_ends_the_sessions_with_exact_commands(run: Runner, log_file: LogFile) -> None:
    path = log_file("\n".join(BROKE_IN) + "\n")
    code, out, err = run("analyze", *OPTIONS, path)
    assert code == 0, err
    shown = [line.strip() for line in out.splitlines()]
    for command in (
        "doveadm kick admin@fipick.com",
        "doveadm kick bob@fipick.com",
        "ss -K dst 203.0.113.50",
        "ss -K dst '[2001:db8:4f:1::50]'",
        "ss -tn dst 203.0.113.50",  # whether ss -K ended them
        "ss -tn dst '[2001:db8:4f:1::50]'",
    ):
        assert command in shown, out
    assert "(doveadm kick)" not in out
    assert "a ban stops only new connections" in flat(out)
    code, out, err = run("analyze", "--format", "json", *OPTIONS, path)
    first = json.loads(out)["compromised"][0]["advice"][0]
    assert "doveadm kick ACCOUNT" in first and "ss -K dst ADDRESS" in first
