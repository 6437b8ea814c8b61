# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A login line's ``internal failure, K successful auths`` is a password accepted, the
login failing after it (``client_get_extra_disconnect_reason()`` words it so only when
``auth_successes`` > 0): a login (AUTH_SUCCESS, marked), not a server outage. 2.4's
``K/N`` counts every try of the connection: the N - K before the accepted one failed."""

from __future__ import annotations

import pytest

from mailwarden.model import EventType
from mailwarden.parsers.dovecot import LOGIN_FAILED, THEN_ACCEPTED, accepted_only

from .helpers import events

TAIL = "user=<pat@example.com>, method=PLAIN, rip=203.0.113.180, lip=192.0.2.1, session=<k3XbQ1xYz0AAAAAA>"


@pytest.mark.parametrize(
    "head",
    [
        "imap-login: Disconnected (internal failure, 1 successful auths): ",  # 2.2/2.3
        "imap-login: Internal login failure (pid=4242 id=1) (internal failure, 1 successful auths): ",
        "pop3-login: Disconnected: Connection closed (internal failure, 1 successful auths): ",  # 2.3.15+
        "imap-login: Login aborted: Connection closed (internal failure, 1/1 successful auths in 0 secs) (internal_failure): ",  # 2.4
    ],
)
def test_a_password_accepted_is_a_login(head: str) -> None:
    (event,) = events(head + TAIL)
    assert event.type is EventType.AUTH_SUCCESS and not event.hostile
    assert event.user == "pat@example.com" and event.ip == "203.0.113.180"
    assert event.session == "k3XbQ1xYz0AAAAAA"
    assert accepted_only(event) and event.detail is not None
    assert event.detail[LOGIN_FAILED] == "internal failure"


def test_24_counts_the_tries_before_the_accepted_one_as_failures() -> None:
    line = (
        "imap-login: Login aborted: Connection closed (internal failure, 1/11 successful auths in 600 secs) (internal_failure): "
        + TAIL
    )
    failed, accepted = events(line)
    assert failed.type is EventType.AUTH_FAILURE and failed.hostile and failed.attempts == 10
    assert failed.detail is not None and failed.detail[THEN_ACCEPTED] == "1"
    assert accepted.type is EventType.AUTH_SUCCESS and accepted_only(accepted)


def test_no_success_counted_stays_what_it_was() -> None:
    # K = 0 is not written by Dovecot; were it, it proves nothing: as before.
    (event,) = events("imap-login: Disconnected (internal failure, 0 successful auths): " + TAIL)
    assert event.type is EventType.AUTH_UNAVAILABLE and not accepted_only(event)


def test_a_plain_login_is_not_marked() -> None:
    (event,) = events("imap-login: Login: " + TAIL)
    assert event.type is EventType.AUTH_SUCCESS and not accepted_only(event)


def test_a_reason_in_the_client_s_name_after_a_rip_first_element_is_no_login() -> None:
    # A site format that writes rip first: the ": user=<" the client put in its own name
    # (Dovecot's str_sanitize keeps "(", ")", ":" and "<") is after the server's rip, so
    # the server's message ends at the rip: the failure it says, no forged acceptance.
    line = (
        "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): rip=203.0.113.6, "
        "lip=192.0.2.1, user=<x (internal failure, 1 successful auths): user=<alice@example.org>, "
        "method=PLAIN, TLS, session=<AAAAAAAAAAAAAAAB>"
    )
    (event,) = events(line)
    assert event.type is EventType.AUTH_FAILURE and event.hostile
    assert event.ip == "203.0.113.6" and not accepted_only(event)
