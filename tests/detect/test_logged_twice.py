"""One client line logged twice: Postfix at both ``smtpd -v`` and ``smtpd_tls_loglevel
= 4`` writes each line a client sends inside TLS as the TLS dump's ``Read N chars: …``
(the first 40 bytes of the N read, as smtpd reads it) and then as the chat's ``<
client: …`` (whole), and each reply as ``> client: …`` then ``Write N chars: …``.

AUTH LOGIN's username, seen twice, must not be taken for the password (shown masked as
one), nor the password for a command or the next username; AUTH PLAIN's payload, on the
command line or on its own after the ``334``, is one credential, whole when the chat
has it whole. A bot that sends its username again as the password (after the server's
prompt for it) still sent two lines."""

from __future__ import annotations

import pytest

from mailwarden.detect import analyze
from mailwarden.detect.sessions import Session, sessions_of
from sasllines import DUMPED_IP as IP
from sasllines import auth_login, auth_plain, events_from, verbose_and_dumped

USER = "info@example.com"
PASSWORD = "Summer2024!"
LONG_USER = "sales.department@example-company.com"
"""A username whose base64 (48 characters) the TLS dump cuts."""
LONG_PASSWORD = "Winter2025-very-long-password-indeed!"


def session_of(lines: list[str]) -> Session:
    (session,) = sessions_of(events_from(lines))
    return session


def tried(lines: list[str]) -> list[tuple[str | None, str | None, bool]]:
    """(user, password, complete) of each credential analyze's table lists."""
    return [
        (c.credential.user, c.credential.password, c.credential.complete)
        for c in analyze(events_from(lines)).credentials
    ]


@pytest.mark.parametrize("swapped", [False, True], ids=["as written", "pairs swapped"])
@pytest.mark.parametrize(
    ("user", "password"), [(USER, PASSWORD), (LONG_USER, LONG_PASSWORD)], ids=["short", "cut"]
)
def test_auth_login_logged_twice_is_one_username_and_its_password(
    user: str, password: str, swapped: bool
) -> None:
    lines = verbose_and_dumped(auth_login(user, password), IP, swapped)
    assert tried(lines) == [(user, password, True)]
    session = session_of(lines)
    assert session.users == [user]
    assert [(c.user, c.password) for c in session.credentials] == [(user, password)]
    assert session.failures == 1


@pytest.mark.parametrize("initial", [True, False], ids=["initial response", "after 334"])
def test_auth_plain_logged_twice_is_one_whole_credential(initial: bool) -> None:
    """The dump cuts a PLAIN payload of more than 29 (on the command line) or 38
    characters; the chat's copy has it whole, whichever copy comes first."""
    for user, password in (("admin@example.com", PASSWORD), (LONG_USER, "Winter2025-long!")):
        for swapped in (False, True):
            lines = verbose_and_dumped(auth_plain(user, password, initial), IP, swapped)
            assert tried(lines) == [(user, password, True)], (user, swapped)
            session = session_of(lines)
            assert session.users == [user]
            assert len(session.credentials) == 1


def test_a_password_that_repeats_the_username_is_still_the_password() -> None:
    """Two equal lines with the server's prompt between are two lines, the username's
    cut copy in the dump or not."""
    for user in (USER, LONG_USER):
        lines = verbose_and_dumped(auth_login(user, user), IP)
        assert tried(lines) == [(user, user, True)]
    # The chat alone (smtpd -v without the TLS dump), the server's prompt lost: two
    # equal lines are two lines.
    chat = [line for line in lines if " chars: " not in line and "334 UGFz" not in line]
    assert [(c.user, c.password) for c in session_of(chat).credentials] == [(user, user)]


def test_a_username_pipelined_with_auth_login_is_the_username_once() -> None:
    """A bot that sends its username with ``AUTH LOGIN`` without waiting for the prompt:
    smtpd reads both lines at once (one ``Read`` of both), and the chat logs each when
    smtpd takes it, the username after the prompt."""
    lines = verbose_and_dumped(auth_login(USER, PASSWORD), IP)
    pipelined = []
    for line in lines:
        if "Read 26 chars: " in line:
            continue  # read with the command
        if "Read 12 chars: AUTH LOGIN??" in line:
            line = line.replace(
                "Read 12 chars: AUTH LOGIN??",
                "Read 38 chars: AUTH LOGIN??aW5mb0BleGFtcGxlLmNvbQ==??",
            )
        pipelined.append(line)
    assert tried(pipelined) == [(USER, PASSWORD, True)]
    assert session_of(pipelined).users == [USER]
