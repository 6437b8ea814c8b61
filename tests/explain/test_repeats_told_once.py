# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A bot that sends the same failed login over and over (the same client, the same
account, the same outcome): explain tells the line once, with how many more times it
came and between which times, and a session that repeats the one before it the same
way; every other line is still explained, and the verdict counts every attempt.

explain writes text only (it has no ``--format json``): folding changes what is listed,
not what the verdict, or analyze's JSON, counts."""

from __future__ import annotations

import re
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def _stamp(second: int) -> str:
    return f"Mar 10 10:{second // 60:02d}:{second % 60:02d}"


def _dovecot(second: int, user: str, ip: str = "192.0.2.51") -> str:
    return f"{_stamp(second)} mx dovecot: auth: passwd-file({user},{ip}): Password mismatch"


def _flat(out: str) -> str:
    return " ".join(out.split())


def test_the_same_failed_login_200_times_is_one_entry(run: Runner, log_file: LogFile) -> None:
    lines = [_dovecot(62 + 4 * n, "bob@example.com") for n in range(200)]
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    said = _flat(out)
    assert said.count("passwd-file(bob@example.com,192.0.2.51): Password mismatch") == 1
    assert "Repeated 199 more times, between 10:01:06 and 10:14:18." in said
    assert "200 log entries" in said
    assert "192.0.2.51 tried to log in as “bob@example.com”: 200 failed attempts." in said
    code, out, err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert code == 0, err
    assert "在10:01:06到10:14:18之间又重复了199次。" in "".join(out.split())


def test_a_different_line_between_repeats_is_explained(run: Runner, log_file: LogFile) -> None:
    lines = [_dovecot(62 + 4 * n, "bob@example.com") for n in range(200)]
    lines[100] = _dovecot(62 + 4 * 100, "alice@example.com")
    code, out, err = run("explain", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    said = _flat(out)
    assert said.count("passwd-file(bob@example.com,192.0.2.51): Password mismatch") == 2
    assert "passwd-file(alice@example.com,192.0.2.51): Password mismatch" in said
    assert "Another failed login: “alice@example.com”." in said
    assert "Repeated 99 more times, between 10:01:06 and 10:07:38." in said
    assert "Repeated 98 more times, between 10:07:50 and 10:14:18." in said
    assert (
        "192.0.2.51 tried to log in as “alice@example.com”, “bob@example.com”: 200 failed "
        "attempts." in said
    )
    # Only five repeats or more are folded: fewer are listed one by one.
    short = [_dovecot(10 + 4 * n, "carol@example.com", "192.0.2.52") for n in range(4)]
    code, out, err = run("explain", "--year", "2026", log_file("\n".join(short) + "\n"))
    assert code == 0, err
    assert _flat(out).count("Another failed login: “carol@example.com”.") == 3
    assert "Repeated" not in out


def _session(n: int, ip: str, user: str) -> list[str]:
    tag = f"mx postfix/smtpd[{3000 + n}]:"
    at = _stamp(62 + 4 * n)
    return [
        f"{at} {tag} connect from unknown[{ip}]",
        f"{at} {tag} warning: unknown[{ip}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username={user}",
        f"{at} {tag} disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
    ]


def test_sessions_that_repeat_the_one_before_are_told_with_it(
    run: Runner, log_file: LogFile
) -> None:
    lines = [line for n in range(20) for line in _session(n, "192.0.2.50", "bob@example.com")]
    lines += _session(20, "192.0.2.50", "carol@example.com")
    code, out, err = run("explain", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    said = _flat(out)
    assert "The next 19 sessions (2–20) have the same lines as this one" in said
    assert "Their lines run from 10:01:06 to 10:02:18." in said
    assert said.count("sasl_username=bob@example.com") == 1
    assert "Session 2:" not in said
    assert "Session 21: client 192.0.2.50" in said  # another account: listed
    assert "sasl_username=carol@example.com" in said
    assert "63 log entries, 21 client sessions." in said
    assert re.search(r"192\.0\.2\.50 tried to log in as .*21 failed attempts", said)


def test_a_repeated_pair_of_lines_is_told_once(run: Runner, log_file: LogFile) -> None:
    ip, tag = "192.0.2.131", "mx postfix/smtpd[20021]:"
    lines = [f"Mar 10 10:00:00 {tag} connect from unknown[{ip}]"]
    for n in range(8):
        at = f"Mar 10 10:00:{2 * n + 1:02d}"
        lines += [
            f"{at} {tag} warning: SASL authentication failure: Password verification failed",
            f"{at} {tag} warning: unknown[{ip}]: SASL PLAIN authentication failed: "
            "authentication failure, sasl_username=bob",
        ]
    lines.append(
        f"Mar 10 10:00:20 {tag} disconnect from unknown[{ip}] ehlo=1 auth=0/8 commands=1/9"
    )
    code, out, err = run("explain", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    said = _flat(out)
    # The first try's two lines, then the fold of the seven tries after it.
    assert (
        "The 2 lines above, together: Repeated 7 more times, between 10:00:03 and 10:00:15." in said
    )
    assert said.count("sasl_username=bob") == 1
    assert "8 AUTH commands failed." in said
    assert f"{ip} tried to log in as “bob”: 8 failed attempts" in said
