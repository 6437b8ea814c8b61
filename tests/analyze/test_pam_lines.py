# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""PAM's own lines beside Dovecot's: one wrong password is one attempt.

With ``passdb { driver = pam }`` each failed login can leave three lines: PAM's own
(``pam_unix(dovecot:auth): authentication failure; … ruser=U rhost=IP  user=U``, written
inside pam_authenticate(), so first), Dovecot's auth worker's (``pam(U,IP[,<session>]):
pam_authenticate() failed: …``, with ``auth_verbose = yes``) and the login process's
(``imap-login: Disconnected (auth failed, 1 attempts …)``) or Postfix's SASL line. They
meet in one log in the journal, or where a site sends auth and mail to one file. pam_unix
may also write ``check pass; user unknown`` before its failure line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from clirunner import Runner

IP = "203.0.113.5"


@pytest.fixture
def log_file(tmp_path: Path) -> Callable[[str], str]:
    def write(text: str) -> str:
        path = tmp_path / "mail.log"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def pam_unix(n: int, user: str = "alice", program: str = "auth") -> str:
    return f"Nov 28 10:{n:02d}:01 mx {program}: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP}  user={user}"


def worker(n: int, user: str = "alice", session: bool = True) -> str:
    ident = f"{user},{IP},<Sess{n:02d}abcdefghij>" if session else f"{user},{IP}"
    return f"Nov 28 10:{n:02d}:03 mx dovecot: auth-worker(1234): pam({ident}): pam_authenticate() failed: Authentication failure (Password mismatch?)"


def login(n: int, user: str = "alice") -> str:
    return f"Nov 28 10:{n:02d}:05 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<Sess{n:02d}abcdefghij>"


def postfix(n: int, user: str = "bob") -> list[str]:
    pid = 700 + n
    return [
        f"Nov 28 10:{n:02d}:00 mx postfix/submission/smtpd[{pid}]: connect from unknown[{IP}]",
        pam_unix(n, user),
        worker(n, user, session=False),
        f"Nov 28 10:{n:02d}:03 mx postfix/submission/smtpd[{pid}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
        f"Nov 28 10:{n:02d}:04 mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]


def attacker(run: Runner, path: str) -> dict[str, object]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    (found,) = [a for a in json.loads(out)["attackers"] if a["ip"] == IP]
    return found


def test_pam_dovecot_and_login_lines_of_one_attempt_count_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in (pam_unix(n), worker(n), login(n))]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 6  # six wrong passwords, not twelve
    assert found["users"] == ["alice"]


def test_dovecot_22_lines_without_a_session_id_count_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in (pam_unix(n), worker(n, session=False), login(n))]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 6


def test_postfix_through_dovecot_pam_counts_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in postfix(n)]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 6
    assert found["users"] == ["bob"]


def test_pam_lines_still_count_with_or_without_dovecot_s_own(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # auth_verbose = no: PAM's line and the login line; and PAM's lines alone (auth.log).
    both = [line for n in range(6) for line in (pam_unix(n), login(n))]
    assert attacker(run, log_file("\n".join(both) + "\n"))["failures"] == 6
    alone = [pam_unix(n) for n in range(6)]
    assert attacker(run, log_file("\n".join(alone) + "\n"))["failures"] == 6


def test_an_old_dovecot_auth_pam_line_and_the_login_line_are_one_attempt(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [
        line
        for n in range(6)
        for line in (
            pam_unix(n, "web", program="dovecot-auth"),
            f"Nov 28 10:{n:02d}:05 mx dovecot: imap-login: Aborted login (auth failed, 1 attempts): user=<web>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS",
        )
    ]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 6


def test_explain_tells_pam_s_lines_from_new_attempts(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(
        "\n".join(
            [
                pam_unix(0),
                worker(0),
                login(0),
                "Nov 28 10:01:01 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
                f"Nov 28 10:01:01 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=nobody rhost={IP}",
                f"Nov 28 10:01:03 mx dovecot: auth-worker(1234): pam(nobody,{IP},<Sess01abcdefghij>): unknown user",
                login(1, "nobody"),
            ]
        )
        + "\n"
    )
    code, out, err = run("explain", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "PAM's own line of a failed login: account alice." in text
    assert "mailwarden counts it once" in text
    assert "the same attempt, not another one" in text  # Dovecot's pam(…) line
    assert "does not recognise" not in text
    assert "found no account by the name the client gave" in text  # check pass
    assert "tried to log in as “alice”, “nobody”: 2 failed attempts." in text
    code, out, err = run("explain", "--lang", "zh_CN", path)
    assert code == 0, err
    flat = "".join(out.split())
    assert "PAM自己记录的一次登录失败：账户alice。" in flat
    assert "不是新的一次" in flat
