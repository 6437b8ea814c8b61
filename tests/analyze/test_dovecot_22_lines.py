# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot 2.2's auth-process wording, as ``analyze`` and ``explain`` read it.

2.2's mechanisms logged a wrong password in lower case: ``cram-md5(user,ip): password
mismatch``, DIGEST-MD5 the same (``mech-cram-md5.c``, ``mech-digest-md5.c``:
``auth_request_log_info(…, AUTH_SUBSYS_MECH, "password mismatch")``); 2.3 and later write
``Password mismatch``. Its PAM passdb ended ``pam_authenticate() failed: <pam_strerror>
(password mismatch?)`` (2.3: ``(Password mismatch?)``), reference §4.2.

With Postfix before 3.9 (no ``sasl_username=``) Dovecot's auth line is the only one that
names the account a client guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

ATTACKER = "203.0.113.8"


def postfix_with_dovecot_22_cram_md5(tries: int) -> str:
    """Postfix 3.4 asking Dovecot 2.2 (auth_verbose = yes) to check CRAM-MD5 logins."""
    lines = []
    for n in range(tries):
        pid = 4100 + n
        lines += [
            f"Nov 28 10:0{n}:00 mx postfix/submission/smtpd[{pid}]: connect from unknown[{ATTACKER}]",
            f"Nov 28 10:0{n}:02 mx dovecot: auth: cram-md5(alice@example.com,{ATTACKER}): password mismatch",
            f"Nov 28 10:0{n}:02 mx postfix/submission/smtpd[{pid}]: warning: unknown[{ATTACKER}]: SASL CRAM-MD5 authentication failed: UGFzc3dvcmQ6",
            f"Nov 28 10:0{n}:03 mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{ATTACKER}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        ]
    return "\n".join(lines) + "\n"


def attacker_of(run: Runner, path: str, ip: str) -> dict[str, object]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    (attacker,) = [a for a in json.loads(out)["attackers"] if a["ip"] == ip]
    return attacker


def test_lower_case_password_mismatch_names_the_account_and_counts_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(postfix_with_dovecot_22_cram_md5(5))
    attacker = attacker_of(run, path, ATTACKER)
    # Five wrong passwords: Dovecot's line and Postfix's line of each are one attempt;
    # the account comes from Dovecot's line (Postfix 3.4 does not name it).
    assert attacker["failures"] == 5
    assert attacker["users"] == ["alice@example.com"]


def test_explain_reads_the_22_lines(run: Runner, log_file: Callable[[str], str]) -> None:
    path = log_file(
        postfix_with_dovecot_22_cram_md5(1)
        + f"Nov 28 10:05:00 mx dovecot: auth: digest-md5(bob@example.com,{ATTACKER}): password mismatch\n"
        + f"Nov 28 10:06:00 mx dovecot: auth-worker(5228): pam(carol,{ATTACKER}): pam_authenticate() failed: Authentication failure (password mismatch?)\n"
    )
    code, out, err = run("explain", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "does not recognise" not in text
    assert "A login failed: method CRAM-MD5, account “alice@example.com”." in text
    assert "Reason: “password mismatch”." in text
    assert "bob@example.com" in text and "carol" in text
    assert "Postfix's line of the failed login above" in text  # one attempt, not two
    code, out, err = run("explain", "--lang", "zh_CN", path)
    assert code == 0, err
    assert "（密码错误）" in " ".join(out.split()).replace(" ", "")


def test_events_show_the_22_lines_as_failures(run: Runner, log_file: Callable[[str], str]) -> None:
    path = log_file(
        f"Nov 28 10:05:00 mx dovecot: auth: digest-md5(bob@example.com,{ATTACKER}): password mismatch\n"
        f"Nov 28 10:06:00 mx dovecot: auth-worker(5228): pam(carol,{ATTACKER}): pam_authenticate() failed: Authentication failure (password mismatch?)\n"
    )
    code, out, err = run("events", "--year", "2026", path)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert f"auth_failure {ATTACKER} user=bob@example.com mechanism=DIGEST-MD5" in lines[0]
    assert f"auth_failure {ATTACKER} user=carol" in lines[1]


def test_explain_says_the_login_line_sums_up_the_auth_line_of_its_attempt(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # 2.2's auth lines carry no session id, so the login line's connection is told
    # apart from them: it is still the same attempt, not another failed login.
    path = log_file(
        f"Jan 18 15:22:14 mx dovecot: auth-worker(5228): pam(tyler@example.com,{ATTACKER}): pam_authenticate() failed: Authentication failure (password mismatch?)\n"
        f"Jan 18 15:22:16 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<tyler@example.com>, method=PLAIN, rip={ATTACKER}, lip=192.0.2.1, TLS, session=<abcdEFGHijkl1234>\n"
    )
    code, out, err = run("explain", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "it sums up the failed login above, the same attempt, not another one" in text
    assert "Another failed login" not in text
    assert "“tyler@example.com”: 1 failed attempt." in text
