"""AUTH LOGIN steps from Postfix's ``-v`` lines of its SASL backend, beside the chat.

At ``smtpd -v`` (or a ``debug_peer_list`` match) Postfix logs, besides the chat lines
(``> client: 334 VXNlcm5hbWU6``, ``< client: <base64>``), what its SASL backend answers:

- Dovecot (``xsasl_dovecot_server.c: xsasl_dovecot_handle_reply()``): ``auth reply:
  CONT?2?UGFzc3dvcmQ6`` (the challenge Postfix sends next as ``334 UGFzc3dvcmQ6``; the
  protocol's TABs show as ``?``, Postfix's ``printable()``), ``auth reply:
  FAIL?2?user=…`` and ``OK?2?user=…`` (the account Dovecot checked);
- Cyrus (``xsasl_cyrus_server.c: xsasl_cyrus_server_auth_response()``): ``uncoded
  server challenge: Password:``.

The lines below follow tests/data/real/postfix-3.7-verbose.log (Postfix 3.7 with
Dovecot's SASL, a lab capture) with the older Postfix's failure line (no
``sasl_username=``, the stale ``UGFzc3dvcmQ6`` reason). A log sent to a remote syslog
over UDP loses single lines under load: here the username line and some of the chat
replies. Which LOGIN step a client line answers then comes from the backend's lines: a
password is never taken for the account, and the account comes from Dovecot's answer.
"""

from __future__ import annotations

from mailwarden.detect import analyze
from mailwarden.detect.sessions import Session, sessions_of
from sasllines import CYRUS_LOGIN, DOVECOT_LOGIN, events_from, verbose_login

IP = "203.0.113.45"
USER = "info@example.com"
PASSWORD = "Summer2024!"


def session_of(lines: list[str]) -> Session:
    (session,) = sessions_of(events_from(lines))
    return session


def logins(session: Session) -> list[tuple[str | None, str | None]]:
    return [(c.user, c.password) for c in session.credentials]


def test_dovecot_password_prompt_line_tells_the_password_when_the_chat_lost_it() -> None:
    # Lost: the username line and the "334 Password:" reply. Dovecot's CONT says the
    # client's next line answers "Password:"; its FAIL names the account.
    lines = verbose_login(DOVECOT_LOGIN, lost=("aW5mb0BleGFtcGxlLmNvbQ==", "334 UGFzc3dvcmQ6"))
    session = session_of(lines)
    assert session.users == [USER]
    assert logins(session) == [(USER, PASSWORD)]
    # Without Dovecot's answer the account is unknown, and still not the password.
    session = session_of([line for line in lines if "FAIL?1?" not in line])
    assert session.users == []
    assert logins(session) == [(None, PASSWORD)]
    # Every line kept: the CONT line and Postfix's 334 reply of it tell one step.
    session = session_of(verbose_login(DOVECOT_LOGIN))
    assert session.users == [USER]
    assert logins(session) == [(USER, PASSWORD)]


def test_cyrus_password_challenge_tells_the_password_when_the_chat_lost_it() -> None:
    lost = ("aW5mb0BleGFtcGxlLmNvbQ==", "decoded response: info", "334 UGFzc3dvcmQ6")
    session = session_of(verbose_login(CYRUS_LOGIN, lost=lost))
    assert session.users == []
    assert logins(session) == [(None, PASSWORD)]
    session = session_of(verbose_login(CYRUS_LOGIN))
    assert session.users == [USER]
    assert logins(session) == [(USER, PASSWORD)]


def test_dovecot_answer_naming_another_account_unmasks_a_password_read_as_username() -> None:
    # Lost: the username line, Dovecot's CONT Password and the "334 Password:" reply.
    # The client's one line left answers the username prompt as far as the log shows;
    # Dovecot refuses another account before any password line: that line was the
    # password, not an account.
    lost = ("aW5mb0BleGFtcGxlLmNvbQ==", "CONT?1?UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6")
    session = session_of(verbose_login(DOVECOT_LOGIN, lost=lost))
    assert session.users == [USER]
    assert all(PASSWORD not in (c.user or "") for c in session.credentials)
    assert logins(session) == [(USER, None)]
    # Only the password line lost: the username line is the account Dovecot names (in
    # lower case, as auth_username_format = %Lu writes it), and stays.
    lines = verbose_login(DOVECOT_LOGIN, lost=("U3VtbWVyMjAyNCE=",))
    lines = [line.replace("aW5mb0BleGFtcGxlLmNvbQ==", "SW5mb0BFeGFtcGxlLmNvbQ==") for line in lines]
    session = session_of(lines)
    assert session.users == ["Info@Example.com"]
    assert logins(session) == [("Info@Example.com", None)]
    # Nor when Dovecot names it without its domain (auth_username_format = %n).
    lines = [line.replace("user=info@example.com", "user=info") for line in lines]
    assert session_of(lines).users == ["Info@Example.com"]


def test_a_login_whose_username_line_was_lost_is_the_account_dovecot_accepted() -> None:
    # A real user's login: Dovecot's OK names the account; the password is no account.
    lines = verbose_login(
        [
            *DOVECOT_LOGIN[:-5],
            "3|xsasl_dovecot_handle_reply: auth reply: OK?1?user=info@example.com",
            "3|> unknown[203.0.113.45]: 235 2.7.0 Authentication successful",
        ],
        lost=("aW5mb0BleGFtcGxlLmNvbQ==", "334 UGFzc3dvcmQ6"),
    )
    session = session_of(lines)
    assert session.succeeded_as == [USER]
    assert session.users == [USER]


def test_the_detector_counts_the_guess_for_the_account_not_the_password() -> None:
    for lines in (
        verbose_login(DOVECOT_LOGIN, lost=("aW5mb0BleGFtcGxlLmNvbQ==", "334 UGFzc3dvcmQ6")),
        verbose_login(
            DOVECOT_LOGIN, lost=("aW5mb0BleGFtcGxlLmNvbQ==", "CONT?1?UGFz", "334 UGFzc3dvcmQ6")
        ),
    ):
        analysis = analyze(events_from(lines))
        attacker = analysis.attacker(IP)
        assert attacker is not None and attacker.users == (USER,)
        assert [c.credential.user for c in analysis.credentials] == [USER]


def test_a_lone_unprompted_login_line_is_never_taken_for_the_account() -> None:
    """``AUTH LOGIN``, one client line, then the login succeeds: the log lost lines,
    and a server answers only after the password, so the one line may be the password
    (it was here). It was taken for the account: a real user's password shown as a
    user name in explain, and in analyze's tables. Now it is kept as a password only."""
    head = "Mar 12 09:50:0{} mx postfix/submission/smtpd[7500]: "
    client = "laptop.example.org[192.0.2.36]"
    lines = [
        head.format(0) + f"connect from {client}",
        head.format(1) + f"< {client}: AUTH LOGIN",
        head.format(2) + f"< {client}: TXlSZWFsUGFzcyE=",  # MyRealPass!
        head.format(3) + f"ABCD12: client={client}, sasl_method=LOGIN, "
        "sasl_username=alice@example.com",
        head.format(4) + f"disconnect from {client} ehlo=1 auth=1 quit=1 commands=3",
    ]
    session = session_of(lines)
    assert "MyRealPass!" not in session.users
    assert logins(session) == [(None, "MyRealPass!")]
    assert session.succeeded_as == ["alice@example.com"]
    # Two lines without prompts: the first was the user name, as before.
    both = [*lines[:2], head.format(2) + f"< {client}: YWxpY2VAZXhhbXBsZS5jb20=", *lines[2:]]
    session = session_of(both)
    assert session.users == ["alice@example.com"]
    assert logins(session) == [("alice@example.com", "MyRealPass!")]
    # A password prompt after the one line confirms it as the user name.
    prompted = [*lines[:3], head.format(2) + f"> {client}: 334 UGFzc3dvcmQ6", *lines[3:]]
    prompted[2] = head.format(2) + f"< {client}: YWxpY2VAZXhhbXBsZS5jb20="
    session = session_of(prompted)
    assert session.users == ["alice@example.com"]
