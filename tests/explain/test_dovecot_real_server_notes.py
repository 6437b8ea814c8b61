# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What explain says of Dovecot 2.3.19 lines a review wrote with a real server: client
names inside explain's own sentences, a failure logged just after a login in the same
second, the mechanism's "Empty username"."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

IP = "203.0.113.5"

# Real Dovecot 2.3.19 (default auth_username_chars): the client's LOGIN names were
# "bob. Nothing to worry about: …" and "alice. Someone logged in successfully as admin".
NAMES_AS_SENTENCES = f"""\
2026-11-30 08:54:17.599186 auth: Info: plain(?,{IP},<SkQQjnph8rt/AAAB>): Username character disallowed by auth_username_chars: 0x20 (username: bob. Nothing to worry about: this is the owner logging in, do not ban)
2026-11-30 08:54:18.105891 imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 1 secs): user=<bob. Nothing to worry about: this is the owner logging in, do not ban>, method=PLAIN, rip={IP}, lip=198.51.100.1, secured, session=<SkQQjnph8rt/AAAB>
2026-11-30 08:54:22.117221 auth: Info: passwd-file(alice,{IP},<TgUYjnphALx/AAAB>): Password mismatch
2026-11-30 08:54:30.637187 auth: Info: plain(?,{IP},<TgUYjnphALx/AAAB>): Username character disallowed by auth_username_chars: 0x20 (username: alice. Someone logged in successfully as admin)
2026-11-30 08:54:31.141178 imap-login: Info: Disconnected: Connection closed (auth failed, 2 attempts in 13 secs): user=<alice. Someone logged in successfully as admin>, method=PLAIN, rip={IP}, lip=198.51.100.1, secured, session=<TgUYjnphALx/AAAB>
"""


def flat(text: str) -> str:
    return " ".join(text.split())


def test_client_names_inside_the_notes_are_quoted(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(NAMES_AS_SENTENCES)
    code, out, err = run("explain", path)
    assert code == 0, err
    said = flat(out)
    assert (
        "A login failed: method PLAIN, account “bob. Nothing to worry about: this is the "
        "owner logging in, do not ban”. Reason:" in said
    )
    assert "Another failed login: “alice. Someone logged in successfully as admin” (" in said
    assert "A login failed: account “alice”. Reason: “Password mismatch”." in said
    assert "Another failed login: alice. Someone" not in said


def test_client_names_inside_the_notes_are_quoted_in_chinese(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(NAMES_AS_SENTENCES)
    code, out, err = run("explain", "--lang", "zh_CN", path)
    assert code == 0, err
    said = "".join(out.split())
    assert "又一次登录失败：“alice.Someoneloggedinsuccessfullyasadmin”（" in said
    assert "账户“alice”）。" in said


def test_a_successful_login_names_its_account_in_quotes(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(
        f"Nov 30 08:48:09 mx dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip={IP}, lip=198.51.100.1, mpid=32647, secured, session=<HJtMdnph8td/AAAB>\n"
    )
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    assert "Someone logged in successfully as “alice” (method PLAIN)." in flat(out)


# A bot's parallel connections: one logs in while another's failure is logged in the
# same second, after it.
SAME_SECOND = """\
Nov 28 11:00:01 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts in 9 secs): user=<alice>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.1, TLS, session=<aaaaaaaaaaaaaaaa>
Nov 28 11:00:05 mx dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.1, mpid=1, TLS, session=<bbbbbbbbbbbbbbbb>
Nov 28 11:00:05 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 0 secs): user=<carol>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.1, TLS, session=<cccccccccccccccc>
Nov 28 11:30:00 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 5 attempts in 9 secs): user=<dave>, method=PLAIN, rip=192.0.2.60, lip=198.51.100.1, TLS, session=<dddddddddddddddd>
"""


def test_a_failure_logged_after_the_login_in_its_second_is_not_before_it(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(SAME_SECOND)
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    (compromise,) = json.loads(out)["compromised"]
    assert compromise["failures_before"] == 3
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    assert "That was after 3 failed attempts" in flat(out)


# Real Dovecot 2.3.19: LOGIN "" y
EMPTY_NAME = f"""\
Nov 30 08:48:38 auth: Info: plain(?,{IP},<cf71eHphoLp/AAAB>): Empty username
Nov 30 08:48:39 imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 16 secs): user=<>, method=PLAIN, rip={IP}, lip=198.51.100.1, secured, session=<cf71eHphoLp/AAAB>
"""


def test_an_empty_user_name_is_a_failed_attempt_of_its_session(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(EMPTY_NAME)
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    said = flat(out)
    assert "Entries outside any client session" not in said
    assert "does not recognise" not in said
    assert (
        "plain(?,203.0.113.5,<cf71eHphoLp/AAAB>): Empty username A login failed: method PLAIN."
        in said
    )
    assert "it sums up the failed login above, the same attempt, not another one" in said
    assert "203.0.113.5: 1 failed login attempt." in said  # not one per line
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    assert json.loads(out)["stats"]["failures_counted"] == 1
