"""At both ``smtpd -v`` and ``smtpd_tls_loglevel = 4`` Postfix logs each reply twice:
the chat's ``> client: 535 5.7.8 …`` and the TLS dump's ``Write N chars: 535 …``.
`explain` counts the failed AUTH they tell once, as `analyze` does (its session layer:
``_logged_twice``), in the verdict's attempt counts: the owner's one typo is “once”, not
“2 times”, and a break-in after six guesses comes “after 6 failed attempts”, not 12.
The lines are those of tests/sasllines.py (tests/explain/test_lines_logged_twice.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner
from sasllines import DUMPED_IP as IP
from sasllines import auth_login, b64, verbose_and_dumped

LogFile = Callable[[str], str]
USER = "info@example.com"
OPTIONS = ("--year", "2026", "--timezone", "UTC")


def flat(text: str) -> str:
    return " ".join(text.split())


def login_session(pid: int, second: int, swapped: bool) -> list[str]:
    """A second connection of the client (smtpd ``pid``) whose AUTH LOGIN succeeds at
    ``second`` (0-9)."""
    exchange = [
        f"{second}|C:EHLO ylmf-pc",
        f"{second}|S:250 mx.example.com",
        f"{second}|C:AUTH LOGIN",
        f"{second}|xsasl_dovecot_server_first: sasl_method LOGIN",
        f"{second}|S:334 VXNlcm5hbWU6",
        f"{second}|C:" + b64(USER),
        f"{second}|S:334 UGFzc3dvcmQ6",
        f"{second}|C:" + b64("the-right-one"),
        f"{second}|S:235 2.7.0 Authentication successful",
        f"{second}|C:QUIT",
        f"{second}|S:221 2.0.0 Bye",
        f"{second}|disconnect from unknown[{IP}] ehlo=1 auth=1 quit=1 commands=3",
    ]
    lines = verbose_and_dumped(exchange, swapped=swapped)
    lines[0] = lines[0].replace("09:14:01", f"09:14:0{second}")
    lines[1] = lines[1].replace("09:14:01", f"09:14:0{second}")
    return [line.replace("smtpd[5297]", f"smtpd[{pid}]") for line in lines]


def guesses(n: int, swapped: bool, warning: bool = True) -> list[str]:
    """One connection of ``n`` refused AUTH LOGINs, a second apart from 09:14:01."""
    exchange = ["1|C:EHLO ylmf-pc", "1|S:250 mx.example.com"]
    for i in range(n):
        s = i + 1
        exchange += [
            f"{s}|C:AUTH LOGIN",
            f"{s}|xsasl_dovecot_server_first: sasl_method LOGIN",
            f"{s}|S:334 VXNlcm5hbWU6",
            f"{s}|C:" + b64(USER),
            f"{s}|S:334 UGFzc3dvcmQ6",
            f"{s}|C:" + b64(f"guess{i}"),
            f"{s}|xsasl_dovecot_handle_reply: auth reply: FAIL?1?user={USER}",
        ]
        if warning:
            exchange.append(
                f"{s}|warning: unknown[{IP}]: SASL LOGIN authentication failed: "
                f"(reason unavailable), sasl_username={USER}"
            )
        exchange.append(f"{s}|S:535 5.7.8 Error: authentication failed: (reason unavailable)")
    exchange += [
        f"{n}|C:QUIT",
        f"{n}|S:221 2.0.0 Bye",
        f"{n}|disconnect from unknown[{IP}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}",
    ]
    return verbose_and_dumped(exchange, swapped=swapped)


def analyzed(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *OPTIONS, path)
    assert code in (0, 1, 2, 3), err
    report: dict[str, Any] = json.loads(out)
    return report


def verdict_of(run: Runner, path: str) -> str:
    code, out, err = run("explain", *OPTIONS, path)
    assert code == 0, err
    return flat(out).split("Verdict ======= ", 1)[1]


@pytest.mark.parametrize("swapped", [False, True], ids=["chat-first", "dump-first"])
@pytest.mark.parametrize("warning", [True, False], ids=["warning", "replies-only"])
def test_one_typo_told_by_the_chat_and_the_dump_is_one_failure(
    run: Runner, log_file: LogFile, swapped: bool, warning: bool
) -> None:
    """``warning``: Postfix's SASL warning line is there too (without it, only the
    replies tell the failure)."""
    body = auth_login(USER, "Summer2024!")
    if not warning:
        body = [line for line in body if "warning:" not in line]
    lines = verbose_and_dumped(body, swapped=swapped) + login_session(5298, 6, swapped)
    path = log_file("\n".join(lines) + "\n")
    report = analyzed(run, path)
    assert report["attackers"] == [] and report["compromised"] == []
    assert report["stats"]["failures_counted"] == 1
    verdict = verdict_of(run, path)
    assert (
        f"{IP} failed to log in once and then logged in successfully as “{USER}” "
        "(Nov 28 09:14:06) from the same address."
    ) in verdict, verdict
    assert "2 times" not in verdict


@pytest.mark.parametrize("swapped", [False, True], ids=["chat-first", "dump-first"])
def test_a_break_in_after_guesses_told_twice_counts_each_guess_once(
    run: Runner, log_file: LogFile, swapped: bool
) -> None:
    lines = guesses(6, swapped) + login_session(5298, 8, swapped)
    path = log_file("\n".join(lines) + "\n")
    report = analyzed(run, path)
    [compromise] = report["compromised"]
    assert compromise["ip"] == IP and compromise["failures_before"] == 6
    verdict = verdict_of(run, path)
    assert f"{IP} tried to log in as “{USER}”: 6 failed attempts. It got in." in verdict
    assert f"YES: it got in as “{USER}”. That was after 6 failed attempts" in verdict, verdict
    assert "12 failed" not in verdict
