# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The verdict says whose logins the lines lack, and only what they lack: a guesser's
failures beside another client's login are no "these lines show no successful login";
PAM's auth.log lines beside Dovecot's leave "nobody got in" as analyze says it; Dovecot's
auth_verbose_passwords is told as what it logs (the password of a failed login); the
last step names the configuration audit reads for the findings shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clirunner import Runner

LogFile = Callable[[str], str]
OPTIONS = ("--year", "2026", "--timezone", "UTC")
GUESSER = "203.0.113.77"

MIXED = [
    *(
        f"Mar 11 09:00:0{i} mx postfix/submission/smtpd[200]: warning: unknown[{GUESSER}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=info@example.com"
        for i in range(1, 5)
    ),
    "Mar 11 09:05:00 mx postfix/submission/smtpd[300]: 4F1A2B3C4D: client=unknown[198.51.100.31], sasl_method=PLAIN, sasl_username=alice@example.com",
]

PAM_MAIL = [
    line
    for n, second in (("s1", 11), ("s2", 12), ("s3", 13))
    for line in (
        f"Mar 11 10:00:{second} mx dovecot: auth-worker(77): pam(bob,203.0.113.5,<{n}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        f"Mar 11 10:00:{second} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.5, lip=198.51.100.25, TLS, session=<{n}>",
    )
]
PAM_AUTH = [
    f"Mar 11 10:00:{second} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost=203.0.113.5  user=bob"
    for second in (11, 12, 13)
]

DOVECOT_PASSWORD = [
    "Mar 11 10:00:01 mx dovecot: auth: passwd-file(carol@example.com,203.0.113.50,<Zx1>): Password mismatch (given password: Summer2024!)",
    "Mar 11 10:00:03 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts in 8 secs): user=<carol@example.com>, method=PLAIN, rip=203.0.113.50, lip=198.51.100.25, TLS, session=<Zx1>",
]
AUTH_ON_25 = [
    "Mar 11 10:05:00 mx postfix/smtpd[300]: connect from unknown[203.0.113.60]",
    "Mar 11 10:05:02 mx postfix/smtpd[300]: warning: unknown[203.0.113.60]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=dave@example.com",
    "Mar 11 10:05:03 mx postfix/smtpd[300]: disconnect from unknown[203.0.113.60] ehlo=1 auth=0/1 quit=1 commands=2/3",
]


def flat(text: str) -> str:
    return " ".join(text.split())


def verdict_of(run: Runner, *paths: str, lang: str | None = None) -> str:
    language = ("--lang", lang) if lang else ()
    code, out, err = run("explain", *language, *OPTIONS, *paths)
    assert code == 0, err
    if lang:
        return "".join(out.split())
    return flat(out).split("Verdict ======= ", 1)[1]


def steps(verdict: str) -> str:
    return verdict.split("What to do, most important first ", 1)[1]


def lines(*groups: list[str]) -> str:
    return "\n".join(line for group in groups for line in group) + "\n"


def test_a_login_by_another_client_is_not_denied(run: Runner, log_file: LogFile) -> None:
    """The guesser's failures, then another client's login: said whose login is absent.
    Without that login, none at all, as before."""
    alone = verdict_of(run, log_file(lines(MIXED[:-1])))
    assert "guess passwords; these lines show no successful login. •" in alone
    assert "Did it get in? No successful login is visible in these lines." in alone
    assert "nothing shows a successful login: no line with “sasl_method=”." in alone
    assert "1. Make sure nobody got in: these lines show no successful login, but" in alone

    verdict = verdict_of(run, log_file(lines(MIXED)))
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes. Someone is trying to "
        "guess passwords; these lines show no successful login by the guessing address."
    ), verdict
    assert (
        f"1. Make sure {GUESSER} did not get in: these lines show no successful login by "
        "it after its failed logins, but that is no proof."
    ) in steps(verdict)
    assert (
        "Did it get in? No successful login by it is visible in these lines. What they "
        "show: – the server logged 4 failed logins; – none of its lines shows a successful "
        "login: no line with “sasl_method=”."
    ) in verdict
    assert "these lines show no successful login." not in verdict
    assert "show no successful login, but" not in verdict
    assert "No successful login is visible" not in verdict


def test_a_login_by_another_client_is_not_denied_in_chinese(run: Runner, log_file: LogFile) -> None:
    dense = verdict_of(run, log_file(lines(MIXED)), lang="zh_CN")
    assert "这些日志中看不到猜密码的地址成功登录。" in dense
    assert f"确认{GUESSER}没有登录进来：这些日志中看不到其在登录失败之后成功登录" in dense
    assert "这些日志中看不到它成功登录。日志显示的是：" in dense
    assert "它的日志行中没有任何成功登录的迹象" in dense
    assert "这些日志中看不到成功的登录。" not in dense  # the old denial, of every login
    assert "确认没有人登录进来" not in dense


def test_pam_lines_beside_dovecot_leave_nobody_got_in(run: Runner, tmp_path: Path) -> None:
    mail = tmp_path / "mail.log"
    auth = tmp_path / "auth.log"
    mail.write_text(lines(PAM_MAIL), encoding="utf-8")
    auth.write_text(lines(PAM_AUTH), encoding="utf-8")
    _code, out, _err = run("analyze", *OPTIONS, str(mail), str(auth))
    assert out.startswith("Nobody got in."), out
    alone = verdict_of(run, str(mail))
    both = verdict_of(run, str(mail), str(auth))
    for verdict in (alone, both):
        assert "Yes. Someone is trying to guess passwords; nobody got in." in verdict
        assert "No, it did not get in. How we can tell:" in verdict
        assert "That is not proof" not in verdict
        assert "Make sure nobody got in" not in verdict
    assert "203.0.113.5 tried to log in as “bob”: 3 failed attempts." in both


def test_dovecot_logs_the_passwords_of_failed_logins(run: Runner, log_file: LogFile) -> None:
    path = log_file(lines(DOVECOT_PASSWORD))
    verdict = verdict_of(run, path)
    assert (
        "Dovecot's auth_verbose_passwords is on: the log holds the password (or its hash) "
        "given in every failed login, users' mistyped real passwords included."
    ) in verdict
    assert "right or wrong" not in verdict
    dense = verdict_of(run, path, lang="zh_CN")
    assert "日志里有每次登录失败时输入的密码（或其哈希），包括用户输错的真实密码。" in dense
    assert "无论对错" not in dense


def test_audit_step_names_dovecot_configuration(run: Runner, log_file: LogFile) -> None:
    verdict = verdict_of(run, log_file(lines(DOVECOT_PASSWORD)))
    assert (
        "Run this on the server: it reads Dovecot's configuration (doveconf -n, else "
        "dovecot.conf) and prints the exact change for each point above: mailwarden audit"
    ) in steps(verdict)
    assert "main.cf" not in steps(verdict)
    dense = verdict_of(run, log_file(lines(DOVECOT_PASSWORD)), lang="zh_CN")
    assert "它会读取Dovecot的配置（doveconf-n，没有时读dovecot.conf）" in dense
    assert "main.cf" not in dense


def test_audit_step_names_both_servers_configuration(run: Runner, log_file: LogFile) -> None:
    """Dovecot's finding and Postfix's: both configurations; Postfix's alone: main.cf and
    master.cf, as before."""
    postfix = verdict_of(run, log_file(lines(AUTH_ON_25)))
    assert (
        "Run this on the server: it reads main.cf and master.cf and prints the exact "
        "change for each point above: mailwarden audit"
    ) in steps(postfix)
    assert "dovecot.conf" not in postfix

    verdict = verdict_of(run, log_file(lines(DOVECOT_PASSWORD, AUTH_ON_25)))
    assert (
        "Run this on the server: it reads Postfix's main.cf and master.cf and Dovecot's "
        "configuration (doveconf -n, else dovecot.conf) and prints the exact change for "
        "each point above: mailwarden audit"
    ) in steps(verdict)


def test_a_login_before_the_guessing_is_not_denied(run: Runner, log_file: LogFile) -> None:
    """The guesser logged in as bob before its 1,005 failures as bob (more than a device
    with an old password makes), the lines not in time order (the login, four hours
    earlier, given last): read again in time order, as analyze reads it, its login is
    shown, only none after its failures (analyze: no break-in)."""
    ip = "198.51.100.88"
    guesses = []
    for i in range(1005):
        minute, second = divmod(i, 60)
        hour, minute = divmod(minute, 60)
        guesses.append(
            f"Mar 10 {9 + hour:02d}:{minute:02d}:{second:02d} mx postfix/submission/smtpd[2000]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=bob@example.com"
        )
    login = f"Mar 10 05:00:00 mx dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip={ip}, lip=192.0.2.1, mpid=100, TLS, session=<a1>"
    verdict = verdict_of(run, log_file(lines(guesses, [login])))
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes. Someone is trying to "
        "guess passwords; these lines show no successful login by the guessing address "
        "after its failed logins."
    ), verdict[:400]
    assert (
        "It logged in as “bob@example.com” (Mar 10 05:00:00), but before its failed logins"
        in verdict
    )
    assert (
        f"1. Make sure {ip} did not get in: these lines show no successful login by it "
        "after its failed logins, but that is no proof."
    ) in steps(verdict)
    assert "these lines show no successful login." not in verdict


def test_the_sample_log_says_nobody_got_in_as_analyze(run: Runner) -> None:
    """samples/mail.log.1: every guesser's connections end refused (auth=0/N, Dovecot's
    “auth failed”), their failures logged by the authentication server first (Dovecot's
    auth lines, whose credit Postfix's and the login process's lines take): analyze's
    “Nobody got in”, not a “Make sure nobody got in” beside a login it shows."""
    sample = str(Path(__file__).resolve().parents[2] / "samples" / "mail.log.1")
    _code, out, _err = run("analyze", *OPTIONS, sample)
    assert out.startswith("Nobody got in."), out[:200]
    verdict = verdict_of(run, sample)
    # The account guessed 26 times logged in from an address that made no guess (the
    # owner's own, most likely, but only she can tell): named, not a flat "nobody got
    # in". Not the office's address, which logged in as 16 accounts, nor accounts the
    # guessing tried once each.
    assert (
        "Yes. Someone is trying to guess passwords; none of the guessing addresses got in. "
        "“heidi@example.com” logged in at Mar 10 07:09:36 from "
        "2001:db8:100:4e:1170:4b43:4579:bf8e, which made no guess: confirm with the owner "
        "that this was them."
    ) in verdict
    assert "from 198.51.100.10, which made no guess" not in verdict
    assert "“jobs@example.com” at" not in verdict
    assert "nobody got in" not in verdict
    assert "ask the user of “mike@example.com” whether they logged in" in steps(verdict)
    assert "these lines show no successful login" not in verdict
    assert "That is not proof" not in verdict
