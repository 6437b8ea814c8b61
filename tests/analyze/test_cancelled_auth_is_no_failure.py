# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""An AUTH the client cancelled (``*``, Postfix's ``501 5.7.0 Authentication aborted``)
sends no user name or password: where the log shows the cancel (smtpd_tls_loglevel 4's
``Read 3 chars: *``), it is no failed login, in analyze and explain alike. Without those
lines, ``auth=0/1`` alone is counted as a failed login, as before (README)."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

CONNECT = "Feb 23 11:57:40 mail postfix/smtpd[4243]: connect from unknown[203.0.113.61]\n"
CANCEL = """\
Feb 23 11:57:43 mail postfix/smtpd[4243]: Read 12 chars: AUTH LOGIN??
Feb 23 11:57:43 mail postfix/smtpd[4243]: Write 18 chars: 334 VXNlcm5hbWU6??
Feb 23 11:57:44 mail postfix/smtpd[4243]: Read 3 chars: *??
Feb 23 11:57:44 mail postfix/smtpd[4243]: Write 33 chars: 501 5.7.0 Authentication aborted??
"""
DISCONNECT = "Feb 23 11:57:45 mail postfix/smtpd[4243]: disconnect from unknown[203.0.113.61] ehlo=1 auth=0/1 quit=1 commands=2/3\n"


def _counted(run: Runner, path: str) -> int:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code in (0, 1, 2, 3), err
    return int(json.loads(out)["stats"]["failures_counted"])


def test_a_cancel_shown_is_no_failed_login(run: Runner, log_file: LogFile) -> None:
    path = log_file(CONNECT + CANCEL + DISCONNECT)
    assert _counted(run, path) == 0
    code, out, _err = run("analyze", "--year", "2026", path)
    assert "1 failed login" not in " ".join(out.split())
    code, out, _err = run("explain", "--year", "2026", path)
    assert code == 0
    verdict = " ".join(out.split()).split("Verdict", 1)[1]
    assert "1 failed login" not in verdict and "failed attempt" not in verdict
    code, zh, _err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert "1 次登录失败" not in " ".join(zh.split()).split("结论", 1)[1]


def test_statistics_alone_still_count_the_failed_auth(run: Runner, log_file: LogFile) -> None:
    """Without the lines of the exchange, auth=0/1 cannot tell a cancel from a wrong
    password: one failed login, as before."""
    assert _counted(run, log_file(CONNECT + DISCONNECT)) == 1


def test_a_cancel_then_a_wrong_password_counts_the_password(run: Runner, log_file: LogFile) -> None:
    failed = (
        "Feb 23 11:57:44 mail postfix/smtpd[4243]: Read 12 chars: AUTH LOGIN??\n"
        "Feb 23 11:57:44 mail postfix/smtpd[4243]: warning: unknown[203.0.113.61]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    )
    disconnect = DISCONNECT.replace("auth=0/1", "auth=0/2")
    assert _counted(run, log_file(CONNECT + CANCEL + failed + disconnect)) == 1
