# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Debian with Dovecot checking passwords through PAM: pam_unix's failure lines go to
/var/log/auth.log (authpriv), Dovecot's and Postfix's to /var/log/mail.log. A careful
admin names both: ``mailwarden analyze /var/log/mail.log /var/log/auth.log``. The two are
merged by time, and syslog stamps to the second: PAM's line of an attempt and Dovecot's
(or Postfix's) often share their second, and PAM wrote its line first. Each wrong
password is one attempt, as in one log that holds all three lines, whichever order the
files are named in, in one process or two, with --since, in analyze and in explain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import run_analyze

from clirunner import Runner

IP = "203.0.113.5"
ARGS = ("--year", "2026", "--timezone", "UTC", "--format", "json")
TRIES = 5


def imap_try(n: int) -> tuple[list[str], list[str]]:
    """Try ``n`` (every two minutes) by IMAP: (auth.log lines, mail.log lines). PAM's
    line and Dovecot's auth-worker line of it in one second, the login process's line
    when the connection ends, after Dovecot's failure delay."""
    minute = 2 * n
    session = f"Sess{n:02d}abcdefghij"
    auth = [
        f"Nov 28 10:{minute:02d}:01 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost={IP}  user=bob"
    ]
    mail = [
        f"Nov 28 10:{minute:02d}:01 mx dovecot: auth-worker(1234): pam(bob,{IP},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        f"Nov 28 10:{minute:02d}:03 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip={IP}, lip=192.0.2.254, TLS, session=<{session}>",
    ]
    return auth, mail


def smtp_try(n: int) -> tuple[list[str], list[str]]:
    """Try ``n`` by Postfix's SASL through Dovecot's PAM (no auth_verbose): PAM's line
    and Postfix's in one second (pam_unix's nodelay)."""
    minute, pid = 2 * n, 700 + n
    prog = "postfix/submission/smtpd"
    auth = [
        f"Nov 28 10:{minute:02d}:01 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost={IP}  user=bob"
    ]
    mail = [
        f"Nov 28 10:{minute:02d}:00 mx {prog}[{pid}]: connect from unknown[{IP}]",
        f"Nov 28 10:{minute:02d}:01 mx {prog}[{pid}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=bob",
        f"Nov 28 10:{minute:02d}:02 mx {prog}[{pid}]: disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]
    return auth, mail


def write_logs(folder: Path, tries: Iterable[tuple[list[str], list[str]]]) -> dict[str, Path]:
    """auth.log and mail.log as Debian's syslog writes them, and the one log a syslog
    that sends both facilities to one file writes (PAM's line first)."""
    auth: list[str] = []
    mail: list[str] = []
    one: list[str] = []
    for auth_lines, mail_lines in tries:
        auth += auth_lines
        mail += mail_lines
        one += sorted(auth_lines + mail_lines, key=lambda line: line[:15])  # stable: PAM first
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"auth": folder / "auth.log", "mail": folder / "mail.log", "one": folder / "all.log"}
    for name, lines in (("auth", auth), ("mail", mail), ("one", one)):
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def analysed(*args: str | Path) -> dict[str, Any]:
    result = run_analyze(*ARGS, *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def attacker(data: dict[str, Any]) -> tuple[int, str, list[str]]:
    (found,) = [a for a in data["attackers"] if a["ip"] == IP]
    return found["failures"], found["verdict"], found["users"]


@pytest.mark.parametrize("kind", [imap_try, smtp_try], ids=["imap", "smtp-sasl"])
def test_auth_log_beside_mail_log_counts_each_wrong_password_once(
    tmp_path: Path, kind: Any
) -> None:
    logs = write_logs(tmp_path, (kind(n) for n in range(TRIES)))
    one = attacker(analysed(logs["one"]))
    assert one[0] == TRIES  # one log holding every line: the reference
    assert attacker(analysed(logs["mail"], logs["auth"])) == one
    assert attacker(analysed(logs["auth"], logs["mail"])) == one  # either order
    if kind is imap_try:  # Dovecot's lines alone say the same
        assert attacker(analysed(logs["mail"])) == one


def test_a_rotated_auth_log_set_beside_mail_log_and_since(tmp_path: Path) -> None:
    # auth.log.1 and auth.log (one rotated set, oldest first) merged with mail.log; and
    # --since keeps the last three tries of the five, once each.
    logs = write_logs(tmp_path, (imap_try(n) for n in range(TRIES)))
    lines = logs["auth"].read_text().splitlines(keepends=True)
    (tmp_path / "auth.log.1").write_text("".join(lines[:2]))
    logs["auth"].write_text("".join(lines[2:]))
    data = analysed(logs["mail"], tmp_path / "auth.log.1", logs["auth"])
    assert attacker(data)[0] == data["stats"]["failures_counted"] == TRIES
    assert data["stats"]["files"] == 3
    since = analysed("--since", "2026-11-28 10:04", logs["mail"], logs["auth"])
    assert since["stats"]["failures_counted"] == 3  # too few to call anyone an attacker


def test_the_two_process_path_merges_auth_log_the_same(tmp_path: Path) -> None:
    from mailwarden.scan import streams_of
    from mailwarden.scanpool import MIN_BYTES, two_cores, worth_a_worker

    if not two_cores():
        pytest.skip("the two-process path needs two cores")
    logs = write_logs(tmp_path, (imap_try(n) for n in range(TRIES)))
    # A day of deliveries after the tries makes mail.log large enough for a worker.
    delivery = "Nov 28 11:{m:02d}:{s:02d} mx postfix/qmgr[900]: 4ZqD{n:07X}: removed\n"
    block = "".join(
        delivery.format(m=n // 60 % 60, s=n % 60, n=n) for n in range(3600)
    )  # an hour, 180 KB
    with logs["mail"].open("a") as out:
        for _ in range(MIN_BYTES // len(block) + 1):
            out.write(block)
    streams = streams_of([str(logs["mail"]), str(logs["auth"])])
    assert len(streams) == 2 and worth_a_worker(streams)
    assert attacker(analysed(logs["mail"], logs["auth"]))[0] == TRIES


def test_explain_counts_an_attempt_once_across_mail_log_and_auth_log(
    run: Runner, tmp_path: Path
) -> None:
    logs = write_logs(tmp_path, (imap_try(n) for n in range(TRIES)))
    verdicts = []
    for args in ((logs["one"],), (logs["mail"], logs["auth"]), (logs["auth"], logs["mail"])):
        code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", *map(str, args))
        assert code == 0, err
        verdicts.append(out.split("Verdict")[1])
    assert f"“bob”: {TRIES} failed attempts" in verdicts[0]
    assert verdicts[1] == verdicts[2] == verdicts[0]


def test_explain_reads_a_line_mail_log_and_syslog_both_hold_once(
    run: Runner, tmp_path: Path
) -> None:
    # Debian's rsyslog writes every mail line to syslog too.
    logs = write_logs(tmp_path, (imap_try(n) for n in range(TRIES)))
    syslog = tmp_path / "syslog"
    syslog.write_text(logs["mail"].read_text())
    code, out, err = run(
        "explain", "--year", "2026", "--timezone", "UTC", str(logs["mail"]), str(syslog)
    )
    assert code == 0, err
    assert f"{2 * TRIES} log entries" in out
    assert f"“bob”: {TRIES} failed attempts" in out
