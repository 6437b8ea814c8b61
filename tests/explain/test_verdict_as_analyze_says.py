# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""explain's verdict and steps say what analyze says, for the cases a review found them
apart: a login from an address that made no guess after another address's burst, a
Dovecot client's failure (whose login a Postfix grep never finds), a system that logs
to the journal only, one failure from a bot-like client, an owner whose password is in
the log, Dovecot's summary of several failed logins and a client's unnamed tries."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def flat(text: str) -> str:
    return " ".join(text.split())


def verdict(run: Runner, path: str, *args: str) -> str:
    code, out, err = run("explain", "--year", "2026", *args, path)
    assert code == 0, err
    marker = "结论" if "zh_CN" in args else "Verdict"
    return flat(out.split(marker, 1)[1])


def analyze(run: Runner, path: str) -> dict:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2, 3), err
    return json.loads(out)


def _burst(n: int) -> str:
    lines = []
    for i in range(n):
        pid = 3000 + i
        t = f"16:00:{i:02d}"
        lines += [
            f"Feb 23 {t} mail postfix/submission/smtpd[{pid}]: connect from unknown[203.0.113.20]\n",
            f"Feb 23 {t} mail postfix/submission/smtpd[{pid}]: warning: unknown[203.0.113.20]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=info@example.com\n",
            f"Feb 23 {t} mail postfix/submission/smtpd[{pid}]: disconnect from unknown[203.0.113.20] ehlo=1 auth=0/1 commands=1/2\n",
        ]
    return "".join(lines)


OTHER = (
    _burst(20)
    + "Feb 23 16:05:00 mail dovecot: imap-login: Login: user=<info@example.com>, method=PLAIN, rip=198.51.100.99, lip=192.0.2.1, mpid=1, TLS, session=<z>\n"
)


def test_a_login_after_another_address_guessed(run: Runner, log_file: LogFile) -> None:
    """The login's address made no guess: it is told as the one that logged in after
    203.0.113.20's burst, not as guessing, and blocking it is advised as analyze does
    (if the owner says it was not them), not "no need to block"."""
    path = log_file(OTHER)
    report = analyze(run, path)
    assert [(c["ip"], c["by_others"]) for c in report["compromised"]] == [("198.51.100.99", True)]
    text = verdict(run, path)
    assert "Maybe." in text
    assert (
        "198.51.100.99 made no failed login itself: it logged in as “info@example.com” "
        "after 20 failed logins on that account from 203.0.113.20." in text
    )
    client = text.split("The client 198.51.100.99", 1)[1].split("The client 203.0.113.20")[0]
    assert "trying to guess" not in client, client
    assert "0 failed login attempts" not in text
    assert "It did not guess" in client
    assert "No need to block 198.51.100.99" not in text
    assert "block 198.51.100.99 too: mailwarden ban 198.51.100.99" in text
    zh = verdict(run, path, "--lang", "zh_CN")
    assert "198.51.100.99 自己没有任何失败的登录" in zh and "还要封禁 198.51.100.99" in zh


DV1 = "Feb 23 12:10:11 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<alice>, method=PLAIN, rip=203.0.113.10, lip=192.0.2.1, TLS\n"


def test_a_dovecot_failure_gets_a_check_that_finds_dovecot_logins(
    run: Runner, log_file: LogFile
) -> None:
    """Dovecot logs a login as ``Login: user=<alice>`` (no ``[addr]``, no
    ``sasl_method=``): the step greps for that, and for Postfix's (a password guessed
    over IMAP sends mail too), in the journal's copy of the logs too, and the headline
    names the account the line names."""
    text = verdict(run, log_file(DV1))
    assert "203.0.113.10 tried to log in as “alice”: 1 failed attempt." in text
    assert "Postfix logs a successful AUTH" not in text
    pattern = "-e 'user=<alice>' -e 'sasl_username=alice'"
    assert (
        f" zgrep -F {pattern} /var/log/mail.log* | grep -E 'sasl_method=|Login:|Logged in|successful auths' "
        in text
    )
    assert " mailwarden analyze --journal " in text
    assert (
        f" journalctl -u postfix@- -u postfix -u dovecot | grep -F {pattern} | "
        "grep -E 'sasl_method=|Login:|Logged in|successful auths'" in text
    )


def test_a_postfix_failure_check_offers_the_journal_too(run: Runner, log_file: LogFile) -> None:
    path = log_file(_burst(1).splitlines(keepends=True)[1])  # the failure line alone
    text = verdict(run, path)
    pattern = "-e 'user=<info@example.com>' -e 'sasl_username=info@example.com'"
    assert (
        f" zgrep -F {pattern} /var/log/mail.log* | grep -E 'sasl_method=|Login:|Logged in|successful auths' "
        in text
    )
    assert "Debian 12 without rsyslog" in text and "mailwarden analyze --journal" in text
    assert f"| grep -F {pattern} | grep -E 'sasl_method=|Login:|Logged in|successful auths'" in text


LOGIN = """\
Feb 23 11:57:40 mail postfix/smtpd[4242]: connect from unknown[203.0.113.7]
Feb 23 11:57:42 mail postfix/smtpd[4242]: Read 16 chars: EHLO localhost??
Feb 23 11:57:43 mail postfix/smtpd[4242]: Read 12 chars: AUTH LOGIN??
Feb 23 11:57:43 mail postfix/smtpd[4242]: Write 18 chars: 334 VXNlcm5hbWU6??
Feb 23 11:57:43 mail postfix/smtpd[4242]: Read 26 chars: dmljdGltQGV4YW1wbGUuY29t??
Feb 23 11:57:43 mail postfix/smtpd[4242]: Write 18 chars: 334 UGFzc3dvcmQ6??
Feb 23 11:57:43 mail postfix/smtpd[4242]: Read 18 chars: U2VjcmV0MTIzIQ==??
Feb 23 11:57:43 mail postfix/smtpd[4242]: warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Feb 23 11:57:43 mail postfix/smtpd[4242]: Write 42 chars: 535 5.7.8 Error: authentication failed: ??
Feb 23 11:57:45 mail postfix/smtpd[4242]: disconnect from unknown[203.0.113.7] ehlo=1 auth=0/1 commands=1/2
"""


def test_one_failure_of_a_bot_is_not_clearly_an_attack(run: Runner, log_file: LogFile) -> None:
    """analyze: no attack found (too few failures); explain says "not clearly", and
    still tells the bot's signs."""
    path = log_file(LOGIN)
    assert analyze(run, path)["attackers"] == []
    text = verdict(run, path)
    assert "Not clearly." in text and "Someone is trying to guess" not in text
    assert "It is trying to guess" not in text
    assert "EHLO localhost" in text


DV2 = """\
Feb 23 12:10:09 mail dovecot: auth: passwd-file(sales@example.com,203.0.113.9,<xyz>): Password mismatch (given password: hunter2secret)
Feb 23 12:10:10 mail dovecot: imap-login: Login: user=<sales@example.com>, method=PLAIN, rip=203.0.113.9, lip=192.0.2.1, mpid=1234, TLS, session=<q>
"""


def test_an_owner_whose_mistyped_password_is_logged(run: Runner, log_file: LogFile) -> None:
    """analyze says the real user should change the password and no longer that the log
    shows the one they logged in with; explain no longer says "nothing to do … only if
    they did not, change the password"."""
    path = log_file(DV2)
    _code, out, _err = run("analyze", "--year", "2026", path)
    out = flat(out)
    assert "they logged in with the password the log shows" not in out
    assert "often close to the real one): change their passwords" in out
    text = verdict(run, path)
    assert "Most likely nothing to do" not in text
    assert "only if they did not, change the password" not in text
    assert "so that user should change their password" in text
    assert "have its user change it in any case" in text


REALUSER = """\
Feb 23 13:00:00 mail postfix/submission/smtpd[7000]: connect from client.example.net[192.0.2.50]
Feb 23 13:00:00 mail postfix/submission/smtpd[7000]: Read 24 chars: EHLO client.example.net??
Feb 23 13:00:01 mail postfix/submission/smtpd[7000]: Read 53 chars: AUTH PLAIN AGNhcm9sQGV4YW1wbGUuY29tAFRyM
Feb 23 13:00:03 mail postfix/submission/smtpd[7000]: warning: client.example.net[192.0.2.50]: SASL PLAIN authentication failed: , sasl_username=carol@example.com
Feb 23 13:00:03 mail postfix/submission/smtpd[7000]: Write 42 chars: 535 5.7.8 Error: authentication failed: ??
Feb 23 13:00:04 mail postfix/submission/smtpd[7000]: Read 53 chars: AUTH PLAIN AGNhcm9sQGV4YW1wbGUuY29tAFRyM
Feb 23 13:00:04 mail postfix/submission/smtpd[7000]: Write 31 chars: 235 2.7.0 Authentication successful??
Feb 23 13:00:05 mail postfix/submission/smtpd[7000]: ABCDEF1234: client=client.example.net[192.0.2.50], sasl_method=PLAIN, sasl_username=carol@example.com
Feb 23 13:00:06 mail postfix/submission/smtpd[7000]: disconnect from client.example.net[192.0.2.50] ehlo=1 auth=1/2 mail=1 rcpt=1 data=1 quit=1 commands=6/7
"""


def test_steps_agree_on_changing_a_logged_password(run: Runner, log_file: LogFile) -> None:
    """Step 1: users who logged in at level 4 change their passwords; step 2 no longer
    says to change it only if the login was not theirs."""
    text = verdict(run, log_file(REALUSER))
    assert "Users who logged in while the level was 4 should change their passwords" in text
    assert "only if they did not, change the password" not in text
    assert "have its user change it in any case" in text


DV5 = """\
Feb 23 12:10:11 mail dovecot: imap-login: Disconnected (auth failed, 5 attempts in 12 secs): user=<ceo@example.com>, method=LOGIN, rip=203.0.113.30, lip=192.0.2.1, TLS, session=<a1>
Feb 23 12:10:31 mail dovecot: pop3-login: Aborted login (auth failed, 4 attempts in 10 secs): user=<>, method=PLAIN, rip=203.0.113.30, lip=192.0.2.1, session=<a2>
Feb 23 12:10:41 mail dovecot: auth-worker(123): pam(ceo@example.com,203.0.113.30,<a3>): pam_authenticate() failed: Authentication failure (password mismatch?)
Feb 23 12:10:42 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<ceo@example.com>, method=PLAIN, rip=203.0.113.30, lip=192.0.2.1, TLS, session=<a3>
"""


def test_dovecot_counts_as_analyze_counts_them(run: Runner, log_file: LogFile) -> None:
    """A summary of 5 attempts is 5 failed logins, not "a login failed"; the 4 tries of
    ``user=<>`` are said to name no account, as analyze's "4 tries unnamed"."""
    path = log_file(DV5)
    (attacker,) = analyze(run, path)["attackers"]
    assert attacker["failures"] == 10 and attacker["unnamed_failures"] == 4
    _code, out, _err = run("explain", "--year", "2026", path)
    out = flat(out)
    assert "5 logins failed in this connection: method LOGIN, account “ceo@example.com”." in out
    assert "A login failed: method LOGIN" not in out
    assert "4 more failed logins in one connection, naming no account." in out
    assert (
        "203.0.113.30 tried to log in as “ceo@example.com”: 10 failed attempts. 4 of them "
        "named no account." in out
    )


def _dovecot(time: str, user: str, ok: bool, session: str) -> str:
    if ok:
        return f"Nov 29 {time} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip=198.51.100.7, lip=192.0.2.1, mpid=4000, TLS, session=<{session}>\n"
    return f"Nov 29 {time} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip=198.51.100.7, lip=192.0.2.1, TLS, session=<{session}>\n"


# The login first in the file, the address's failures on another name after it, stamped
# less than a minute earlier (a log's own disorder): analyze counts them as given (no
# break-in).
READ_FIRST = _dovecot("10:02:00", "bob@example.org", True, "L1") + "".join(
    _dovecot(f"10:01:{10 + 10 * n}", "bbo@example.org", False, f"x{n}") for n in range(5)
)


def test_a_login_the_detector_read_first_is_no_break_in(run: Runner, log_file: LogFile) -> None:
    path = log_file(READ_FIRST)
    report = analyze(run, path)
    assert report["compromised"] == [] and [a["ip"] for a in report["attackers"]] == [
        "198.51.100.7"
    ]
    text = verdict(run, path)
    assert "YES: it got in" not in text and "Yes, and" not in text
    assert "Change the password of" not in text
    assert "No break-in is counted." in text
    assert "Ask the user of “bob@example.org” whether the login from 198.51.100.7" in text
    zh = verdict(run, path, "--lang", "zh_CN")
    assert "没有算作入侵" in zh
