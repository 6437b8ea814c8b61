"""Dovecot lines found by review with a real 2.3.19 server: a login proxy's (director's)
successful logins, a site's own order of login_log_format_elements, auth_debug lines."""

from __future__ import annotations

import pytest

from mailwarden.model import EventType

from .corpus import dv, dv_file
from .helpers import events, one

REAL = "198.51.100.9"
FAKE = "203.0.113.5"
TAIL = f"method=PLAIN, rip={REAL}, lip=192.0.2.1, TLS, session=<bbbbbbbbbbbbbbbb>"


# ---------------------------------------------------------------- proxy / director


@pytest.mark.parametrize(
    "message",
    [
        # 2.3 (login-common/client-common-auth.c: "proxy(%s): started proxying to %s:%u")
        "imap-login: proxy(alice): started proxying to 192.0.2.200:143: user=<alice>, " + TAIL,
        "imap-login: proxy(alice): started proxying to backend.example:993: user=<alice>, " + TAIL,
        # … with the destination user and a master user logged after the port
        "imap-login: proxy(alice): started proxying to 192.0.2.200:143/alice@backend "
        "(master admin): user=<alice>, " + TAIL,
        # 2.4 ("Started proxying to <%s>" [" (<%s>)"])
        "pop3-login: proxy(alice): Started proxying to <192.0.2.200>: user=<alice>, " + TAIL,
        "pop3-login: proxy(alice): Started proxying to <192.0.2.200> (<backend.example>) "
        "as user alice2: user=<alice>, " + TAIL,
    ],
)
def test_a_proxied_login_is_a_successful_login(message: str) -> None:
    event = one(dv(message))
    assert event.type is EventType.AUTH_SUCCESS
    assert (event.ip, event.user, event.mechanism) == (REAL, "alice", "PLAIN")
    assert event.session == "bbbbbbbbbbbbbbbb" and event.server_ip == "192.0.2.1"


@pytest.mark.parametrize(
    "message",
    [
        # What a proxy writes after (or instead of) a login: the failures are counted
        # from the "Disconnected … (proxy dest auth failed, N attempts …)" line.
        "imap-login: proxy(alice): disconnecting 198.51.100.9 (Disconnected by client: "
        "EOF(0s idle, in=120, out=3000)): user=<alice>, " + TAIL,
        "imap-login: proxy(carol): Login failed to 192.0.2.200:143: Authentication failed: "
        "user=<carol>, " + TAIL,
        # The name is the client's: it cannot make a count or a login of its own.
        "imap-login: proxy(x (auth failed, 99 attempts in 1 secs)): Login failed to "
        "192.0.2.200:143: Authentication failed: user=<x (auth failed, 99 attempts in 1 secs)>, "
        + TAIL,
        # The phrase twice (the name repeats it): nothing can be told.
        f"imap-login: proxy(a): started proxying to 1.2.3.4:1: user=<a>, rip={FAKE}, x=<): "
        f"started proxying to 192.0.2.200:143: user=<a): started proxying to 1.2.3.4:1: "
        f"user=<a>, rip={FAKE}, x=<>, " + TAIL,
    ],
)
def test_other_proxy_lines_give_no_login_or_failure_only_a_mark_of_the_session(
    message: str,
) -> None:
    # The mark: a proxy passdb answered OK for this session (its "internal failure, 1
    # successful auths" is then no proof that a password was checked).
    (event,) = events(dv(message))
    assert event.type is EventType.DEBUG and not event.hostile
    assert event.session is None and event.user is None
    assert (event.ip, event.service) == (REAL, "imap")
    assert event.detail == {"proxied": "bbbbbbbbbbbbbbbb"}


def test_the_proxy_connect_failure_marks_its_session() -> None:
    (event,) = events(
        dv(
            "imap-login: Error: proxy(alice@example.org): connect(192.0.2.20, 143) failed: "
            "Connection refused (after 0 secs, local=192.0.2.1:40000): "
            "user=<alice@example.org>, " + TAIL
        )
    )
    assert event.type is EventType.DEBUG and event.ip == REAL
    assert event.detail == {"proxied": "bbbbbbbbbbbbbbbb"}


@pytest.mark.parametrize(
    "user",
    [
        f"a>, method=PLAIN, rip={FAKE}, lip=192.0.2.1",
        f"a rip={FAKE} user=<b",
        f"a>, rip={FAKE}, lip={FAKE}, session=<x>, x=<",
    ],
)
@pytest.mark.parametrize(
    "elements",
    [
        "user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.1, TLS, session=<S1>",
        "rip={ip}, lip=192.0.2.1, TLS, session=<S1>, method=PLAIN, user=<{user}>",
    ],
)
def test_a_proxied_login_takes_its_address_only_from_the_server(user: str, elements: str) -> None:
    # The name in "proxy(…)" comes before the elements: it must not be read as them.
    line = dv(
        f"imap-login: proxy({user}): started proxying to 192.0.2.200:143: "
        + elements.format(user=user, ip=REAL)
    )
    event = one(line)
    assert event.type is EventType.AUTH_SUCCESS
    assert (event.ip, event.user, event.server_ip) == (REAL, user, "192.0.2.1")


# ------------------------------------------------- login_log_format_elements reordered


@pytest.mark.parametrize(
    "line",
    [
        # Real Dovecot 2.3.19: login_log_format_elements = rip=%r lip=%l mpid=%e %c
        # session=<%{session}> method=%m user=<%u>
        "2026-11-30 08:50:52.905106 imap-login: Info: Login: rip=198.51.100.9, "
        "lip=192.0.2.1, mpid=7647, secured, session=<7pf3gHphvuR/AAAB>, method=PLAIN, "
        "user=<alice>",
        # rip=%r lip=%l user=<%u> method=%m mpid=%e %c session=<%{session}>
        dv(
            "imap-login: Login: rip=198.51.100.9, lip=192.0.2.1, user=<alice>, method=PLAIN, "
            "mpid=100, TLS, session=<aaaaaaaaaaaaaaaa>"
        ),
        dv(
            "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): "
            "rip=198.51.100.9, lip=192.0.2.1, user=<alice>, method=PLAIN, TLS, "
            "session=<bbbbbbbbbbbbbbbb>"
        ),
        dv(
            "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): "
            "rip=198.51.100.9, lip=192.0.2.1, user=<alice>, session=<bbbbbbbbbbbbbbbb>"
        ),
    ],
)
def test_user_and_method_are_read_wherever_the_site_puts_them(line: str) -> None:
    event = one(line)
    assert (event.ip, event.user, event.server_ip) == (REAL, "alice", "192.0.2.1")
    assert event.mechanism == ("PLAIN" if "method=" in line else None)


@pytest.mark.parametrize(
    "user",
    [
        f"x>, method=CRAM-MD5, rip={FAKE}, lip={FAKE}, session=<y>, z=<",
        f"x, rip={FAKE}",
        "x>, rip=1.2.3.4, method=LOGIN, x=<",
        "x>, method=LOGIN",
    ],
)
@pytest.mark.parametrize(
    "elements",
    [
        "rip={ip}, lip=192.0.2.1, mpid=1, secured, session=<S1>, method=PLAIN, user=<{user}>",
        "rip={ip}, lip=192.0.2.1, user=<{user}>, method=PLAIN, mpid=1, TLS, session=<S1>",
        "rip={ip}, lip=192.0.2.1, session=<S1>, user=<{user}>, method=PLAIN",
    ],
)
@pytest.mark.parametrize("kind", ["Login: ", "Disconnected (auth failed, 1 attempts in 2 secs): "])
def test_a_user_after_rip_forges_no_other_field(user: str, elements: str, kind: str) -> None:
    event = one(dv(f"imap-login: {kind}" + elements.format(user=user, ip=REAL)))
    assert (event.ip, event.server_ip, event.session) == (REAL, "192.0.2.1", "S1")
    assert event.user == user
    assert event.mechanism == "PLAIN"
    assert event.attempts == 1


# ------------------------------------------------------------------------ auth_debug


@pytest.mark.parametrize(
    "message",
    [
        # Real Dovecot 2.3.19, auth_debug=yes, a user that repeats "): "
        "auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,"
        "198.51.100.9,<FPIogHphLul/AAAB>): Performing passdb lookup",
        "auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,"
        "198.51.100.9,<FPIogHphLul/AAAB>): lookup: user=x>, rip=203.0.113.9, lip=1.2.3.4): "
        "password mismatch file=/etc/dovecot/users",
        "auth: Debug: passwd-file(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,"
        "198.51.100.9,<FPIogHphLul/AAAB>): Finished passdb lookup",
        "auth: Debug: auth(x>, rip=203.0.113.9, lip=1.2.3.4): password mismatch,"
        "198.51.100.9,<FPIogHphLul/AAAB>): Auth request finished",
        "auth: Debug: passwd-file(alice,198.51.100.9,<FPIogHphLul/AAAB>): Password mismatch",
        # 2.4: the level after the prefix
        "auth(alice,198.51.100.9,sasl:plain)<FPIogHphLul/AAAB>: Debug: passwd-file: "
        "Password mismatch",
        "auth(x): Password mismatch,198.51.100.9,sasl:plain)<FPIogHphLul/AAAB>: Debug: "
        "passwd-file: lookup: user=x): Password mismatch file=/etc/dovecot/users",
    ],
)
def test_debug_lines_are_never_failed_logins(message: str) -> None:
    assert [e for e in events(dv_file(message)) if e.type is not EventType.DEBUG] == []


def test_a_debug_line_still_shows_the_passwords_it_exposes() -> None:
    event = one(
        dv_file(
            "auth: Debug: passwd-file(alice,198.51.100.9,<FPIogHphLul/AAAB>): "
            "PLAIN(bad1) != 'secret'"
        )
    )
    assert event.type is EventType.DEBUG and event.ip == REAL
