# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot's ``internal failure, K successful auths`` after guessing is a break-in.

The login process words a connection's end so only when ``auth_successes`` is above 0
(``login-common/client-common.c``, ``client_get_extra_disconnect_reason()``): the
password was right, and the login failed after it (the mail process, a userdb lookup,
the account's connection limit). After ten guesses the guesser knows the password:
``analyze`` reports the account compromised (text and JSON), ``explain`` says the
password was accepted though the session did not start, in English and Chinese (the
daemon: tests/daemon/test_accepted_password_alert.py). 2.2/2.3 write ``(internal
failure, K successful auths)``, 2.4 ``(internal failure, K/N successful auths in S
secs) (internal_failure)``, N counting every try of that connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

IP = "203.0.113.180"
TAIL = f"user=<pat@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<k3XbQ1xYz0AAAA{{n:02d}}>"
GUESSES = [
    f"Nov 30 10:00:{3 * n:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
    + TAIL.format(n=n)
    for n in range(10)
]
V23 = (
    "Nov 30 10:00:40 mx dovecot: imap-login: Disconnected (internal failure, 1 successful auths): "
    + TAIL.format(n=99)
)
V24 = (
    "Nov 30 10:00:40 mx dovecot: imap-login: Login aborted: Connection closed (internal failure, "
    "1/11 successful auths in 600 secs) (internal_failure): " + TAIL.format(n=99)
)
V24_ONE_TRY = (
    "Nov 30 10:00:40 mx dovecot: imap-login: Login aborted: Connection closed (internal failure, "
    "1/1 successful auths in 0 secs) (internal_failure): " + TAIL.format(n=99)
)


def _log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _json(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2), err
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.parametrize("accepted", [V23, V24, V24_ONE_TRY], ids=["2.3", "2.4", "2.4-one-try"])
def test_guessing_then_a_password_accepted_is_a_compromise(
    run: Runner, log_file: LogFile, accepted: str
) -> None:
    path = log_file(_log(*GUESSES, accepted))
    (compromise,) = _json(run, path)["compromised"]
    assert compromise["user"] == "pat@example.com" and compromise["ip"] == IP
    assert compromise["failures_before"] >= 10 and compromise["by_others"] is False
    assert compromise["session_started"] is False
    _code, out, _err = run("analyze", "--year", "2026", path)
    text = " ".join(out.split())
    assert text.startswith(
        f"Someone got in: the password of pat@example.com was accepted from {IP} after "
    )
    assert "Nobody got in" not in text
    assert "The password was accepted, but the login failed after it" in text


def test_24_counts_the_failed_tries_of_the_accepting_connection(
    run: Runner, log_file: LogFile
) -> None:
    # One connection: ten wrong passwords, then the right one ("1/11"); no other line.
    report = _json(run, log_file(_log(V24)))
    (attacker,) = report["attackers"]
    assert attacker["ip"] == IP and attacker["failures"] == 10
    (compromise,) = report["compromised"]
    assert compromise["user"] == "pat@example.com" and compromise["failures_before"] == 10


def test_a_lone_accepted_password_is_a_login_not_a_guess(run: Runner, log_file: LogFile) -> None:
    report = _json(run, log_file(_log(V23)))
    assert report["stats"]["logins"] == 1
    assert report["stats"]["failures_counted"] == 0
    assert report["stats"]["auth_unavailable_ignored"] == 0
    assert report["attackers"] == [] and report["compromised"] == []
    code, out, err = run("explain", log_file(_log(V23)))
    assert code == 0, err
    text = " ".join(out.split())
    assert "The password of “pat@example.com” was accepted (method PLAIN)" in text
    assert "could not check a password" not in text
    assert "There is 1 successful login." in text


def test_explain_says_the_password_was_accepted(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log(*GUESSES, V23)))
    assert code == 0, err
    text = " ".join(out.split())
    assert (
        "The password of “pat@example.com” was accepted (method PLAIN), but the login failed "
        "after that (internal failure, 1 successful auths): the session did not start." in text
    )
    assert "YES: it has the password of “pat@example.com”." in text
    assert "these lines show no successful login" not in text
    assert (
        f"Change the password of “pat@example.com” now: the server accepted it from {IP}." in text
    )


def test_explain_says_it_in_chinese(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log(*GUESSES, V24)), "--lang", "zh_CN")
    assert code == 0, err
    text = "".join(out.split())
    assert "“pat@example.com”的密码被接受了（方式PLAIN），但之后登录失败了" in text
    assert "是的：它已掌握“pat@example.com”的密码。" in text
    assert "立即修改“pat@example.com”的密码" in text


def test_the_check_for_logins_finds_these_lines(run: Runner, log_file: LogFile) -> None:
    # One failure, nothing else: explain gives the grep that finds the account's logins
    # in the whole log. Its pattern must find a password accepted this way too.
    # (No session id: the line alone is then no proof that the connection got nowhere.)
    alone = GUESSES[0].split(", session=<", 1)[0]
    code, out, err = run("explain", log_file(_log(alone)))
    assert code == 0, err
    found = re.search(r"\| grep -E '([^']+)'", " ".join(out.split()))
    assert found is not None, out
    pattern = re.compile(found.group(1))
    for line in (V23, V24, "imap-login: Login: " + TAIL.format(n=1)):
        assert pattern.search(line), (pattern.pattern, line)
    assert not pattern.search(GUESSES[1])


def test_24_tries_the_auth_process_logged_count_once(run: Runner, log_file: LogFile) -> None:
    # auth_verbose: each wrong password has its auth-process line, of the same session;
    # the login line's "1/4" sums them up (3 failed, 1 accepted): 3 failures, not 6.
    session = "k3XbQ1xYz0AAAA77"
    lines = [
        f"Nov 30 10:00:0{n} mx dovecot: auth(pat@example.com,{IP},sasl:plain)<{session}>: passwd-file: Password mismatch"
        for n in (1, 2, 3)
    ]
    lines.append(
        "Nov 30 10:00:09 mx dovecot: imap-login: Login aborted: Connection closed (internal "
        "failure, 1/4 successful auths in 8 secs) (internal_failure): user=<pat@example.com>, "
        f"method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{session}>"
    )
    report = _json(run, log_file(_log(*lines)))
    assert report["stats"]["failures_counted"] == 3
    (compromise,) = report["compromised"]
    assert compromise["user"] == "pat@example.com" and compromise["failures_before"] == 3
