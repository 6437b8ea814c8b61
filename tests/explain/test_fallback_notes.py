# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A mail program whose password is refused may try it again by its next mechanism in
the same connection (PLAIN, then LOGIN): the detector counts that as one attempt
(tests/detect/test_mechanism_fallback.py, test_dovecot_fallback.py). explain's note on the
second try says so, in each language, instead of calling it another failed login; a
second try of another account is still another failed login."""

from __future__ import annotations

import re
from collections.abc import Callable

from clirunner import Runner

IP = "198.51.100.81"
FRANK = "frank@example.com"
SMTPD = "mx postfix/submission/smtpd[4001]"

FALLBACK_EN = "falling back from PLAIN to LOGIN with the password that was refused, not a new guess. mailwarden does not count it again."
FALLBACK_ZH = "这是邮件程序在密码被拒绝后从PLAIN改用LOGIN，再试同一个密码，不是新的猜测。mailwarden不再重复计数。"


def postfix_tries(
    tries: list[tuple[str, str]], dovecot: str | None = None, reason: str | None = None
) -> str:
    """One submission connection: a failed AUTH per (mechanism, account) of ``tries``, at
    seconds 8, 16, …; ``dovecot``: with Dovecot's auth line of each try a second before
    Postfix's (``"2.4"``: it names the mechanism, ``"2.3"``: a passdb line, which does
    not)."""
    lines = [f"Nov 29 11:00:00 {SMTPD}: connect from unknown[{IP}]"]
    for n, (mechanism, user) in enumerate(tries, 1):
        if dovecot == "2.4":
            lines.append(
                f"Nov 29 11:00:{8 * n - 1:02d} mx dovecot: auth({user},{IP},sasl:{mechanism.lower()}): Info: passwd-file: Password mismatch"
            )
        elif dovecot == "2.3":
            lines.append(
                f"Nov 29 11:00:{8 * n - 1:02d} mx dovecot: auth: passwd-file({user},{IP}): Password mismatch"
            )
        why = reason or ("(reason unavailable)" if dovecot else "authentication failure")
        lines.append(
            f"Nov 29 11:00:{8 * n:02d} {SMTPD}: warning: unknown[{IP}]: SASL {mechanism} authentication failed: {why}, sasl_username={user}"
        )
    n = len(tries)
    lines.append(
        f"Nov 29 11:00:59 {SMTPD}: disconnect from unknown[{IP}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}"
    )
    return "\n".join(lines) + "\n"


def notes(out: str) -> dict[str, str]:
    """Each listed entry of explain's output (its log line and its notes) by its time."""
    entries: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        start = re.match(r"(\d\d:\d\d:\d\d) ", line)
        if start:
            current = start.group(1)
            assert current not in entries, f"two entries at {current}"
            entries[current] = line[9:]
        elif current is not None and line.startswith(" " * 9):
            entries[current] += "\n" + line.strip()
        else:
            current = None
    return entries


def flat(text: str) -> str:
    return " ".join(text.split())


def explain(run: Runner, path: str, *args: str) -> dict[str, str]:
    code, out, err = run("explain", *args, path)
    assert code == 0, err
    return notes(out)


def explain_zh(run: Runner, path: str) -> dict[str, str]:
    """As :func:`explain` in Chinese, with the line breaks and spaces taken out."""
    return {
        time: "".join(text.split()) for time, text in explain(run, path, "--lang", "zh_CN").items()
    }


def test_postfix_plain_then_login_of_one_account_is_the_same_guess_another_is_not(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(postfix_tries([("PLAIN", FRANK), ("LOGIN", FRANK)]))
    code, out, err = run("explain", path)
    assert code == 0, err
    second = flat(notes(out)["11:00:16"])
    assert "A login failed: method LOGIN, account “frank@example.com”." in second
    assert (
        f"The same account failed just before in this connection, by PLAIN: a mail program {FALLBACK_EN}"
        in second
    )
    assert "Another failed login" not in second
    assert "tried to log in as “frank@example.com”: 1 failed attempt." in flat(out)
    zh = explain_zh(run, path)["11:00:16"]
    assert "同一账户刚才在这次连接中用PLAIN登录失败" in zh
    assert FALLBACK_ZH in zh
    assert "又一次登录失败" not in zh
    # Another account by LOGIN is another guess: another failed login.
    path = log_file(postfix_tries([("PLAIN", "alice@example.com"), ("LOGIN", FRANK)]))
    code, out, err = run("explain", path)
    assert code == 0, err
    second = flat(notes(out)["11:00:16"])
    assert second.endswith("Another failed login: “frank@example.com”.")
    assert "not counted again" not in flat(out) and "does not count it again" not in flat(out)
    assert "2 failed attempts" in flat(out)
    assert explain_zh(run, path)["11:00:16"].endswith("又一次登录失败：“frank@example.com”。")


def test_fallbacks_beyond_the_two_a_connection_may_hide_are_failed_logins(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # A bot trying name after name by PLAIN, then LOGIN: the first two LOGIN tries are
    # taken for fallbacks, the third is counted, and its note says another failed login.
    tries = [
        (m, f"{name}@example.com") for name in ("ann", "ben", "cy") for m in ("PLAIN", "LOGIN")
    ]
    entries = {t: flat(text) for t, text in explain(run, log_file(postfix_tries(tries))).items()}
    assert FALLBACK_EN in entries["11:00:16"]
    assert entries["11:00:24"].endswith("Another failed login: “ben@example.com”.")
    assert entries["11:00:32"].endswith(
        "The same guess again, by LOGIN after PLAIN: not counted again."
    )
    assert entries["11:00:40"].endswith("Another failed login: “cy@example.com”.")
    assert entries["11:00:48"].endswith("Another failed login: “cy@example.com”.")


def test_dovecot_24_auth_line_tells_the_fallback_and_postfix_s_line_is_the_same_try(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Postfix's SASL through Dovecot 2.4: its auth line names the mechanism, and tells
    # the fallback; Postfix's line of that try is the same attempt, as for the first.
    path = log_file(postfix_tries([("PLAIN", FRANK), ("LOGIN", FRANK)], dovecot="2.4"))
    code, out, err = run("explain", path)
    assert code == 0, err
    entries = {t: flat(text) for t, text in notes(out).items()}
    assert "A login failed: method LOGIN, account “frank@example.com”." in entries["11:00:15"]
    assert FALLBACK_EN in entries["11:00:15"]
    assert entries["11:00:16"].endswith("Postfix's line of the same failed login as above.")
    assert flat(out).count("does not count it again") == 1
    assert "tried to log in as “frank@example.com”: 1 failed attempt." in flat(out)
    assert FALLBACK_ZH in explain_zh(run, path)["11:00:15"]


def test_dovecot_23_postfix_s_line_tells_the_fallback_its_auth_line_cannot(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Dovecot 2.3's passdb line names no mechanism: Postfix's line of the try does, and
    # its note says the try was the refused password again by LOGIN.
    path = log_file(postfix_tries([("PLAIN", FRANK), ("LOGIN", FRANK)], dovecot="2.3"))
    code, out, err = run("explain", path)
    assert code == 0, err
    second = flat(notes(out)["11:00:16"])
    assert second.startswith("warning: unknown[198.51.100.81]: SASL LOGIN")
    assert "Postfix's line of the failed login above: Dovecot checked the password" in second
    assert (
        f"The same account failed just before in this connection, by PLAIN: a mail program {FALLBACK_EN}"
        in second
    )
    assert "tried to log in as “frank@example.com”: 1 failed attempt." in flat(out)
    zh = explain_zh(run, path)["11:00:16"]
    assert "这是Postfix对上面那次失败登录写的一行" in zh
    assert FALLBACK_ZH in zh
    # PLAIN as one account, then LOGIN as another: no fallback, another failed login.
    path = log_file(
        postfix_tries([("PLAIN", "alice@example.com"), ("LOGIN", FRANK)], dovecot="2.3")
    )
    code, out, err = run("explain", path)
    assert code == 0, err
    entries = {t: flat(text) for t, text in notes(out).items()}
    assert entries["11:00:15"].endswith("Another failed login: “frank@example.com”.")
    assert entries["11:00:16"].endswith("Postfix's line of the same failed login as above.")
    assert "not counted again" not in flat(out) and "does not count it again" not in flat(out)
    assert "2 failed attempts" in flat(out)


def test_dovecot_imap_session_tells_each_fallback(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # IMAP with Dovecot 2.4's auth lines (a session id in each): CRAM-MD5, PLAIN and
    # LOGIN of one password are one attempt; the notes of the second and third say why.
    sid = "Cd5NQ2kiUtjGZAvZ"
    lines = [
        f"Nov 29 11:00:{second:02d} mx dovecot: auth({FRANK},{IP},sasl:{mech})<{sid}>: Info: {db}: Password mismatch"
        for second, mech, db in (
            (4, "cram-md5", "cram-md5"),
            (8, "plain", "passwd-file"),
            (12, "login", "passwd-file"),
        )
    ]
    lines.append(
        f"Nov 29 11:00:14 mx dovecot: imap-login: Info: Login aborted: Logged out (auth failed, 3 attempts in 14 secs) (auth_failed): user=<{FRANK}>, method=LOGIN, rip={IP}, lip=192.0.2.1, TLS, session=<{sid}>"
    )
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", path)
    assert code == 0, err
    entries = {t: flat(text) for t, text in notes(out).items()}
    assert "a mail program falling back from CRAM-MD5 to PLAIN" in entries["11:00:08"]
    assert entries["11:00:12"].endswith(
        "The same guess again, by LOGIN after PLAIN: not counted again."
    )
    assert "tried to log in as “frank@example.com”: 1 failed attempt." in flat(out)
    zh = explain_zh(run, path)
    assert "从CRAM-MD5改用PLAIN" in zh["11:00:08"]
    assert zh["11:00:12"].endswith("同一次猜测，在PLAIN之后改用LOGIN重试：不再重复计数。")


def test_dovecot_pam_line_beside_a_failing_smtp_session_tells_the_fallback(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # An office address: a phone failing on submission while a laptop retries its IMAP
    # password by LOGIN after PLAIN, through PAM. PAM's line of the retry waits (the
    # smtpd session is failing); Dovecot's auth-worker line of it names the mechanism and
    # tells the fallback.
    ip = "203.0.113.5"
    sid = "<2211><CvN+E95Uf4e7eEnk>"
    pam = f"mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={ip}  user=alice"
    worker = f"mx dovecot: auth-worker(alice,{ip},sasl:{{mech}}){sid}: request [{{n}}]: pam: pam_authenticate() failed: Authentication failure (Password mismatch?)"
    lines = [
        f"Nov 28 10:00:00 mx postfix/submission/smtpd[700]: connect from unknown[{ip}]",
        f"Nov 28 10:00:03 mx postfix/submission/smtpd[700]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=bob",
        f"Nov 28 10:00:05 {pam}",
        f"Nov 28 10:00:07 {worker.format(mech='plain', n=3)}",
        f"Nov 28 10:00:09 {pam}",
        f"Nov 28 10:00:11 {worker.format(mech='login', n=4)}",
        f"Nov 28 10:00:13 mx dovecot: imap-login: Disconnected (auth failed, 2 attempts in 8 secs): user=<alice>, method=LOGIN, rip={ip}, lip=192.0.2.1, TLS, session=<CvN+E95Uf4e7eEnk>",
        f"Nov 28 10:00:20 mx postfix/submission/smtpd[700]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", path)
    assert code == 0, err
    entries = {t: flat(text) for t, text in notes(out).items()}
    assert entries["10:00:07"].endswith("pam_unix line): the same attempt, not another one.")
    retry = entries["10:00:11"]
    assert "Dovecot's own line of the failed login that PAM logged above" in retry
    assert (
        f"The same account failed just before in this connection, by PLAIN: a mail program {FALLBACK_EN}"
        in retry
    )
    assert "tried to log in as “alice”, “bob”: 2 failed attempts." in flat(out)
    assert FALLBACK_ZH in explain_zh(run, path)["10:00:11"]


def test_dovecot_24_fallbacks_of_two_connections_behind_one_nat_address(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Two phones of one office, one account with a stale password, on overlapping
    # connections: each tries it by PLAIN, then by LOGIN. Dovecot's auth lines name no
    # session; Postfix's line of each LOGIN try tells the fallback of its connection.
    ip = "203.0.113.7"
    auth = f"mx dovecot: auth(bob,{ip},sasl:{{mech}}): Info: passwd-file: Password mismatch"
    failed = f"warning: unknown[{ip}]: SASL {{mech}} authentication failed: (reason unavailable), sasl_username=bob"
    lines = [
        f"Nov 28 10:00:00 mx postfix/submission/smtpd[701]: connect from unknown[{ip}]",
        f"Nov 28 10:00:01 mx postfix/submission/smtpd[702]: connect from unknown[{ip}]",
        f"Nov 28 10:00:02 {auth.format(mech='plain')}",
        f"Nov 28 10:00:04 mx postfix/submission/smtpd[701]: {failed.format(mech='PLAIN')}",
        f"Nov 28 10:00:05 {auth.format(mech='plain')}",
        f"Nov 28 10:00:07 mx postfix/submission/smtpd[702]: {failed.format(mech='PLAIN')}",
        f"Nov 28 10:00:08 {auth.format(mech='login')}",
        f"Nov 28 10:00:10 mx postfix/submission/smtpd[701]: {failed.format(mech='LOGIN')}",
        f"Nov 28 10:00:11 mx postfix/submission/smtpd[701]: disconnect from unknown[{ip}] ehlo=1 auth=0/2 quit=1 commands=2/4",
        f"Nov 28 10:00:12 {auth.format(mech='login')}",
        f"Nov 28 10:00:14 mx postfix/submission/smtpd[702]: {failed.format(mech='LOGIN')}",
        f"Nov 28 10:00:15 mx postfix/submission/smtpd[702]: disconnect from unknown[{ip}] ehlo=1 auth=0/2 quit=1 commands=2/4",
    ]
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", path)
    assert code == 0, err
    entries = {t: flat(text) for t, text in notes(out).items()}
    assert "does not count it again" in entries["10:00:10"]
    # The second phone's: on Dovecot's line of the try (the first phone's connection is
    # over by then), Postfix's then is the same attempt.
    assert entries["10:00:12"].endswith("by another login method: not counted again.")
    assert entries["10:00:14"].endswith("Postfix's line of the same failed login as above.")
    assert "tried to log in as “bob”: 2 failed attempts." in flat(out)
    assert "No need to block 203.0.113.7" in flat(out)
