# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The advice of explain as a user pastes and reads it: every shell command on a line
of its own, never wrapped, in English and Chinese; a login no line names the account of
is said to be so (with the account it was most likely guessing, and how to find it out),
never "the password of ?"; an account the server says does not exist is not one to
give a strong password; the sessions of a break-in are ended with the commands that end
them; the AUTH LOGIN prompt bug is said fixed in the releases that fixed it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clirunner import Runner

LogFile = Callable[[str], str]
OPTIONS = ("--year", "2026", "--timezone", "UTC")
SEED = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"

GUESSED = [
    "Feb 23 15:00:01 mail postfix/submission/smtpd[5101]: connect from unknown[203.0.113.90]",
    *(
        f"Feb 23 15:00:0{s} mail postfix/submission/smtpd[5101]: warning: unknown[203.0.113.90]: SASL LOGIN authentication failed: {{reason}}"
        for s in (2, 4, 6, 8, 9)
    ),
    "Feb 23 15:00:11 mail postfix/submission/smtpd[5101]: disconnect from unknown[203.0.113.90] ehlo=1 auth=1/6 quit=1 commands=3/8",
]
"""Postfix 3.6 (no name on a failure, reason empty) or 3.9 (sasl_username= on it): a
brute force that got in, the disconnect statistics its only sign of the login."""

DOVECOT = [
    "Feb 23 12:30:05 mail dovecot: auth: passwd-file(admin@fipick.com,192.0.2.60): unknown user",
    "Feb 23 12:30:07 mail dovecot: auth: passwd-file(admin@fipick.com,192.0.2.60): unknown user",
    "Feb 23 12:30:09 mail dovecot: auth: passwd-file(admin@fipick.com,192.0.2.60): unknown user",
    "Feb 23 12:30:10 mail dovecot: imap-login: Disconnected (auth failed, 3 attempts in 6 secs): user=<admin@fipick.com>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.25, TLS, session=<hB2k8xA9xsDAAAI8>",
    "Feb 23 12:31:12 mail dovecot: imap-login: Disconnected: Connection closed (auth failed, 4 attempts in 11 secs): user=<info@fipick.com>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.25, TLS, session=<kC3l9yA9ysDAAAI8>",
    "Feb 23 12:32:14 mail dovecot: pop3-login: Login aborted: Connection closed (auth failed, 3 attempts in 12 secs) (auth_failed): user=<sales@fipick.com>, method=LOGIN, rip=192.0.2.60, lip=198.51.100.25, TLS, session=<mD4m0zA9zsDAAAI8>",
]

BROKE_IN = [
    *(
        f"Feb 23 12:10:0{s} mail postfix/submission/smtpd[4101]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: "
        for s in (2, 4, 6, 8)
    ),
    "Feb 23 12:10:09 mail postfix/submission/smtpd[4101]: warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: ",
    "Feb 23 12:10:16 mail postfix/submission/smtpd[4101]: 3A1B22C0F41: client=unknown[203.0.113.50], sasl_method=PLAIN, sasl_username=admin@fipick.com",
]

PROMPT = "Feb 23 12:00:02 mail postfix/smtpd[4001]: warning: unknown[203.0.113.70]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"


def flat(text: str) -> str:
    return " ".join(text.split())


def explain(run: Runner, path: str, lang: str | None = None) -> str:
    language = ("--lang", lang) if lang else ()
    code, out, err = run("explain", *language, *OPTIONS, path)
    assert code == 0, err
    return out


def advice(out: str) -> str:
    """The steps, one line each way: "What to do…" on."""
    return out.split("What to do, most important first", 1)[-1].split(
        "应对措施（按重要性排序）", 1
    )[-1]


def own_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines()]


def test_commands_stand_on_lines_of_their_own(run: Runner) -> None:
    """The whole-log check, the journal's and every ban: each command one whole line,
    wider than the 80 columns of a pipe if need be, in both languages (the reviewer's
    paste of the wrapped zgrep failed: "zgrep: -e option requires an argument")."""
    zgrep = (
        "zgrep -F -e 'user=<admin@fipick.com>' -e 'sasl_username=admin@fipick.com' "
        "/var/log/mail.log* | grep -E 'sasl_method=|Login:|Logged in|successful auths'"
    )
    journal = (
        "journalctl -u postfix@- -u postfix -u dovecot | grep -F -e 'user=<admin@fipick.com>' "
        "-e 'sasl_username=admin@fipick.com' | grep -E 'sasl_method=|Login:|Logged in|successful auths'"
    )
    for lang in (None, "zh_CN"):
        out = explain(run, str(SEED), lang)
        shown = own_lines(advice(out))
        for command in (
            zgrep,
            journal,
            "mailwarden analyze /var/log/mail.log*",
            "mailwarden analyze --journal",
            "postconf -e smtpd_tls_loglevel=1",
            "postfix reload",
            "mailwarden audit --check credential_exposed",
            "mailwarden audit --check weak_tls",
            "mailwarden audit",
        ):
            assert command in shown, (lang, command, out)
        # indented under its step's text, never with text beside it
        assert any(line == "       " + zgrep for line in out.splitlines())
        assert "“zgrep" not in out and "“mailwarden audit" not in out


def test_a_ban_command_stands_alone(run: Runner, log_file: LogFile) -> None:
    path = log_file("\n".join(line.format(reason="") for line in GUESSED) + "\n")
    for lang in (None, "zh_CN"):
        shown = own_lines(advice(explain(run, path, lang)))
        assert "mailwarden ban 203.0.113.90" in shown
        assert "mailwarden audit --check bruteforce" in shown


def test_a_login_no_line_names_is_said_unnamed(run: Runner, log_file: LogFile) -> None:
    """Postfix 3.6: no name anywhere. Not "Change the password of ? now": the step says
    the lines do not name the account, and gives the command that finds it."""
    path = log_file("\n".join(line.format(reason="") for line in GUESSED) + "\n")
    out = explain(run, path)
    steps = flat(advice(out))
    assert " ? " not in steps
    assert steps.startswith(
        "1. Change the password of the account 203.0.113.90 logged in as now and end its "
        "open sessions. These lines do not name it. To find out which account it was, look "
        "for that client's lines with “sasl_method=” in the whole log"
    ), steps
    assert "zgrep -F '[203.0.113.90]' /var/log/mail.log* | grep -F 'sasl_method='" in own_lines(out)
    assert "ss -K dst 203.0.113.90" in own_lines(out)
    chinese = "".join(explain(run, path, "zh_CN").split())
    assert "?" not in chinese.split("应对措施", 1)[1]
    assert (
        "1.立即修改203.0.113.90登录所用账户的密码，并结束它所有已打开的会话。这些日志没有写出是哪个账户。"
        in chinese
    )


def test_the_account_it_guessed_is_named_as_the_likely_one(run: Runner, log_file: LogFile) -> None:
    """Postfix 3.9: the failures name info@fipick.com: the login was most likely as it."""
    reason = "(reason unavailable), sasl_username=info@fipick.com"
    path = log_file("\n".join(line.format(reason=reason) for line in GUESSED) + "\n")
    steps = flat(advice(explain(run, path)))
    assert " ? " not in steps
    assert (
        "These lines do not name it, but most likely it is “info@fipick.com”, the account "
        "it was guessing."
    ) in steps
    chinese = "".join(explain(run, path, "zh_CN").split())
    assert "但最有可能是它一直在猜测的“info@fipick.com”。" in chinese


def test_a_break_in_gets_the_commands_that_end_its_sessions(run: Runner, log_file: LogFile) -> None:
    out = explain(run, log_file("\n".join(BROKE_IN) + "\n"))
    assert "doveadm kick admin@fipick.com" in own_lines(out)
    assert "ss -K dst 203.0.113.50" in own_lines(out)
    assert "A new password does not end sessions already logged in, nor does a ban" in flat(out)


def test_accounts_the_server_says_do_not_exist_need_no_password(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(DOVECOT) + "\n")
    steps = flat(advice(explain(run, path)))
    assert (
        "Make sure the targeted accounts (“info@fipick.com”, “sales@fipick.com”) have "
        "strong, unique passwords. (“admin@fipick.com” does not exist, the server says: no "
        "password to change there.)"
    ) in steps, steps
    chinese = "".join(explain(run, path, "zh_CN").split())
    assert (
        "确保被攻击的账户（“info@fipick.com”、“sales@fipick.com”）使用强且唯一的密码。（服务器说“admin@fipick.com”不存在"
        in chinese
    )


def test_the_prompt_bug_is_fixed_in_its_backports_too(run: Runner, log_file: LogFile) -> None:
    out = flat(explain(run, log_file(PROMPT + "\n")))
    assert "left over by a Postfix bug (fixed in 3.9.0, 3.8.6, 3.7.11, 3.6.15 and 3.5.25)" in out
    chinese = "".join(explain(run, log_file(PROMPT + "\n"), "zh_CN").split())
    assert "已在3.9.0、3.8.6、3.7.11、3.6.15和3.5.25中修复" in chinese
