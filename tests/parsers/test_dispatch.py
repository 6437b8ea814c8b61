"""Which records reach which parser: every shape the framing stage can hand over."""

from __future__ import annotations

import pytest

from mailwarden.model import EventType
from mailwarden.parsers import parse

from .helpers import msg

A = "203.0.113.7"
LOGIN = (
    f"Aborted login (auth failed, 1 attempts in 2 secs): user=<a>, method=PLAIN, rip={A}, "
    "lip=192.0.2.1"
)


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (None, f"imap-login: {LOGIN}"),
        (None, f"imap-login: Info: {LOGIN}"),
        ("dovecot", f"imap-login: {LOGIN}"),
        ("dovecot", f"imap-login: Info: {LOGIN}"),
        ("imap-login", LOGIN),
        ("imap-login", f"Info: {LOGIN}"),
        ("pop3-login", f"Info: {LOGIN}"),
        ("submission-login", LOGIN),
        ("managesieve-login", LOGIN),
    ],
)
def test_login_lines_in_every_shape(program: str | None, message: str) -> None:
    (event,) = parse(msg(program, message))
    assert (event.type, event.ip, event.user) == (EventType.AUTH_FAILURE, A, "a")


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (None, f"auth: passwd-file(a,{A}): unknown user"),
        (None, f"dovecot: auth: passwd-file(a,{A}): unknown user"),
        (None, f"auth-worker(304): pam(a,{A}): unknown user"),
        (None, f"auth-worker(default): Info: pam(a,{A}): unknown user"),
        ("dovecot", f"auth: passwd-file(a,{A}): unknown user"),
        ("dovecot", f"auth: Info: passwd-file(a,{A}): unknown user"),
        ("dovecot", f"auth-worker(304): pam(a,{A}): unknown user"),
        ("dovecot", f"dovecot: auth(default): pam(a,{A}): unknown user"),
        (
            "dovecot",
            f"auth-worker(3): conn unix:auth-worker (pid=1,uid=97): auth-worker<5>: "
            f"pam(a,{A}): unknown user",
        ),
        ("auth", f"passwd-file(a,{A}): unknown user"),
        ("auth", f"Info: passwd-file(a,{A}): unknown user"),
        ("auth-worker", f"pam(a,{A}): unknown user"),
        ("auth-worker(22401)", f"Info: sql(a,{A}): unknown user"),
        ("dovecot-auth", f"pam(a,{A}): unknown user"),
        (None, f"auth(a,{A},sasl:plain)<Cd5Nmn8Uf4e7eEnj>: passwd-file: unknown user"),
        ("dovecot", f"auth(a,{A},sasl:plain)<Cd5Nmn8Uf4e7eEnj>: Info: passwd-file: unknown user"),
        (
            "dovecot",
            f"auth-worker(a,{A},sasl:plain)<9><Cd5Nmn8Uf4e7eEnj>: request [1]: pam: unknown user",
        ),
    ],
)
def test_auth_lines_in_every_shape(program: str | None, message: str) -> None:
    (event,) = parse(msg(program, message))
    assert (event.type, event.ip, event.user) == (EventType.AUTH_FAILURE, A, "a")


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (None, f"pam_unix(dovecot:auth): authentication failure; ruser=a rhost={A}"),
        ("auth", f"pam_unix(dovecot:auth): authentication failure; ruser=a rhost={A}  user=a"),
        ("dovecot-auth", f"pam_unix(dovecot:auth): authentication failure; ruser=a rhost={A}"),
        ("dovecot", f"pam_unix(dovecot:auth): authentication failure; ruser=a rhost={A}"),
        # PAM service renamed by the site: accepted from Dovecot's auth process only
        ("auth", f"pam_unix(imap:auth): authentication failure; ruser=a rhost={A}"),
    ],
)
def test_pam_lines(program: str | None, message: str) -> None:
    (event,) = parse(msg(program, message))
    assert (event.type, event.ip) == (EventType.AUTH_FAILURE, A)


def test_a_database_line_needs_the_auth_process() -> None:
    # "sql(user,ip): unknown user" alone could be anyone's text.
    assert parse(msg(None, f"sql(a,{A}): unknown user")) == []
    assert parse(msg("dovecot", f"sql(a,{A}): unknown user")) == []
    assert (
        parse(msg("sshd", f"pam_unix(sshd:auth): authentication failure; ruser= rhost={A}")) == []
    )
    assert parse(msg(None, f"pam_unix(sshd:auth): authentication failure; ruser= rhost={A}")) == []


@pytest.mark.parametrize(
    "message",
    [
        f"warning: unknown[{A}]: SASL LOGIN authentication failed: authentication failure",
        f"lost connection after CONNECT from unknown[{A}]",
        f"disconnect from unknown[{A}] ehlo=1 auth=0/1 commands=1/2",
        f"NOQUEUE: reject: RCPT from unknown[{A}]: 554 5.7.1 <a@b>: Relay access denied; "
        "from=<x@y> to=<a@b> proto=ESMTP helo=<h>",
    ],
)
def test_bare_postfix_messages(message: str) -> None:
    (event,) = parse(msg(None, message))
    assert event.ip == A and event.hostile and event.service is None
