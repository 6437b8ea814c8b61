# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""explain on a break-in says each instruction once (what to check after the login
comes after the commands that end the sessions, not twice); a quoted log line reads as
the log has it (Postfix's own ``\\r\\n`` of a PREGREET is not escaped again); the
account of an unnamed Dovecot login is looked for by its session id, not by Postfix's
``[addr]``, which no Dovecot line holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clirunner import Runner

LogFile = Callable[[str], str]
SAMPLE = str(Path(__file__).resolve().parents[2] / "samples" / "mail.log")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_break_in_step_says_what_to_check_once(run: Runner) -> None:
    code, out, err = run("explain", SAMPLE)
    assert code == 0, err
    advice = _flat(out.split("What to do, most important first", 1)[1])
    step = advice.split("1. ", 1)[1].split(" 2. ", 1)[0]
    check = (
        "Then check what was sent from the account after Mar 11 13:47:21 and look for "
        "forwarding or filter rules the intruder may have added."
    )
    assert step.count(check) == 1
    assert step.index("ss -K dst 192.0.2.187") < step.index(check)
    assert step.startswith("Change the password of")


def test_a_log_line_is_shown_as_written(run: Runner) -> None:
    code, out, err = run("explain", SAMPLE)
    assert code == 0, err
    assert "PREGREET 16 after 0.35 from [203.0.113.172]:60993: EHLO localhost\\r\\n" in out
    assert "EHLO localhost\\\\r\\\\n" not in out


def test_a_control_character_in_a_log_line_is_still_escaped(run: Runner, log_file: LogFile) -> None:
    line = "Mar 11 00:32:46 mx postfix/postscreen[55638]: PREGREET 16 after 0.35 from [203.0.113.172]:60993: EHLO a\x1b[31mb\\r\\n\n"
    code, out, err = run("explain", log_file(line))
    assert code == 0, err
    assert "\x1b" not in out
    assert "EHLO a\\x1b[31mb\\r\\n" in out


DOVECOT_UNNAMED = "".join(
    f"Mar 12 10:02:0{n} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, TLS, session=<e{n}>\n"
    for n in range(5)
) + (
    "Mar 12 10:03:00 mx dovecot: imap-login: Login: user=<>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, TLS, session=<zz9Q>\n"
)


def test_an_unnamed_dovecot_login_is_looked_up_by_its_session(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("explain", log_file(DOVECOT_UNNAMED))
    assert code == 0, err
    advice = out.split("What to do, most important first", 1)[1]
    lines = [line.strip() for line in advice.splitlines()]
    assert "zgrep -F '<zz9Q>' /var/log/mail.log*" in lines
    flat = _flat(advice)
    assert "session=<zz9Q>" in flat
    assert "Postfix names the account" not in flat
    assert "[198.51.100.77]" not in flat
    assert "sasl_method=" not in flat
