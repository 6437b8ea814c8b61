"""`mailwarden explain` of an AUTH LOGIN at ``smtpd -v`` whose log lost lines: the SASL
backend's own lines (Dovecot's ``auth reply: CONT?1?UGFzc3dvcmQ6`` and ``FAIL?1?user=…``,
Cyrus's ``uncoded server challenge: Password:``) tell which line is the password and
which account was tried (tests/detect/test_verbose_login_steps.py has the sessions)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner
from sasllines import CYRUS_LOGIN, DOVECOT_LOGIN, verbose_login

USERNAME_LINE = "aW5mb0BleGFtcGxlLmNvbQ=="
PASSWORD = "Summer2024!"


def flat(text: str) -> str:
    return " ".join(text.split())


def explained(run: Runner, log_file: Callable[[str], str], lines: list[str]) -> str:
    code, out, err = run("explain", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    return flat(out)


def test_the_password_prompt_of_dovecot_makes_the_line_a_password(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = verbose_login(DOVECOT_LOGIN, lost=(USERNAME_LINE, "334 UGFzc3dvcmQ6"))
    out = explained(run, log_file, lines)
    assert (
        "Dovecot's authentication service asks for the next login step: “Password:” "
        "(base64 decoded)." in out
    )
    assert "The client answers the password prompt: *** (11 characters)." in out
    assert "refuses the login as “info@example.com”" in out
    assert "203.0.113.45 tried to log in as “info@example.com”: 1 failed attempt." in out
    assert PASSWORD not in out


def test_the_password_challenge_of_cyrus_makes_the_line_a_password(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lost = (USERNAME_LINE, "decoded response: info", "334 UGFzc3dvcmQ6")
    out = explained(run, log_file, verbose_login(CYRUS_LOGIN, lost=lost))
    assert "Cyrus SASL asks for the next login step: “Password:”." in out
    assert "The client answers the password prompt: *** (11 characters)." in out
    assert PASSWORD not in out


def test_a_line_dovecot_s_answer_shows_was_no_username_is_not_shown(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lost = (USERNAME_LINE, "CONT?1?UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6")
    out = explained(run, log_file, verbose_login(DOVECOT_LOGIN, lost=lost))
    assert "show that this line was not the user name. It may be the password." in out
    assert "203.0.113.45 tried to log in as “info@example.com”: 1 failed attempt." in out
    assert PASSWORD not in out


def test_a_real_user_s_login_names_the_account_and_not_the_password(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = verbose_login(
        [
            *DOVECOT_LOGIN[:-5],
            "3|xsasl_dovecot_handle_reply: auth reply: OK?1?user=info@example.com",
            "3|> unknown[203.0.113.45]: 235 2.7.0 Authentication successful",
        ],
        lost=(USERNAME_LINE, "334 UGFzc3dvcmQ6"),
    )
    out = explained(run, log_file, lines)
    assert "accepts the login as “info@example.com”" in out
    assert "The client answers the password prompt: hidden (a real user may have typed it" in out
    assert PASSWORD not in out


def test_a_lone_unprompted_login_line_is_not_shown_as_the_user_name(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    """``AUTH LOGIN``, one line, a successful login: the line was the password, and
    explain showed it in clear as "the user name prompt: MyRealPass!"."""
    head = "Mar 12 09:50:0{} mx postfix/submission/smtpd[7500]: "
    client = "laptop.example.org[192.0.2.36]"
    text = "".join(
        line + "\n"
        for line in (
            head.format(0) + f"connect from {client}",
            head.format(1) + f"< {client}: AUTH LOGIN",
            head.format(2) + f"< {client}: TXlSZWFsUGFzcyE=",
            head.format(3) + f"ABCD12: client={client}, sasl_method=LOGIN, "
            "sasl_username=alice@example.com",
        )
    )
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    assert "MyRealPass!" not in out
    assert "It may be the password." in " ".join(out.split())
