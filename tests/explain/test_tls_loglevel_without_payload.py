"""``Read N chars`` / ``Write N chars`` lines exist only at smtpd_tls_loglevel 4 or more,
where every line a client sends inside TLS is logged, AUTH lines included. The verdict
names that level and how to lower it even when no AUTH payload came in these lines
(the entries said so and the verdict did not); a ``334`` prompt on the smtp service
shows AUTH offered on port 25 as a failure line does."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 11:57:{s:02d} mail postfix/smtpd[4242]: "
NO_AUTH = [
    "connect from unknown[203.0.113.7]",
    "Read 16 chars: EHLO localhost??",
    "Read 6 chars: QUIT??",
    "disconnect from unknown[203.0.113.7] ehlo=1 quit=1 commands=2",
]
CANCELLED = [
    "connect from unknown[203.0.113.61]",
    "Read 12 chars: AUTH LOGIN??",
    "Write 18 chars: 334 VXNlcm5hbWU6??",
    "Read 3 chars: *??",
    "Write 33 chars: 501 5.7.0 Authentication aborted??",
    "disconnect from unknown[203.0.113.61] ehlo=1 auth=0/1 quit=1 commands=2/3",
]


def _log(lines: list[str]) -> str:
    return "".join(P.format(s=40 + n) + line + "\n" for n, line in enumerate(lines))


def _verdict(run: Runner, log_file: LogFile, lines: list[str], *lang: str) -> str:
    code, out, err = run("explain", log_file(_log(lines)), *lang)
    assert code == 0, err
    verdict = out.split("\nVerdict\n", 1)[1] if not lang else out.split("\n结论\n", 1)[1]
    return " ".join(verdict.split())


def test_dump_lines_without_a_login_name_the_level_and_its_fix(
    run: Runner, log_file: LogFile
) -> None:
    verdict = _verdict(run, log_file, NO_AUTH)
    assert "What the log reveals about your server" in verdict
    assert "smtpd_tls_loglevel is 4 or more." in verdict
    assert "These lines hold no login, but their “Read”/" in verdict
    assert "“Write N chars” lines show the level." in verdict
    assert (
        "1. Lower smtpd_tls_loglevel to 1: postconf -e smtpd_tls_loglevel=1 postfix reload"
        in verdict
    )
    # Nothing in these lines is a password: the step does not say they hold any.
    assert "they contain your users' passwords" not in verdict
    assert "mailwarden audit --check credential_exposed" in verdict


def test_a_cancelled_login_on_port_25_shows_auth_offered_there(
    run: Runner, log_file: LogFile
) -> None:
    verdict = _verdict(run, log_file, CANCELLED)
    assert "smtpd_tls_loglevel is 4 or more." in verdict
    assert "AUTH is offered on the service that logs as “smtpd” without a service name" in verdict
    assert "mailwarden audit --check auth_on_port_25" in verdict


def test_the_level_is_named_in_chinese_too(run: Runner, log_file: LogFile) -> None:
    verdict = _verdict(run, log_file, NO_AUTH, "--lang", "zh_CN")
    assert "smtpd_tls_loglevel 为 4 或更高" in verdict
    assert "这些日志行里没有登录信息" in verdict
    assert "把 smtpd_tls_loglevel 降到 1" in verdict
