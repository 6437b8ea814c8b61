"""A login line's last ``rip=`` is read as the client's text (no address) exactly when the
element-by-element reading says so: :func:`mailwarden.parsers.dovecot._rip_in_user` now
reads the line in place, without splitting it into elements, and must decide every line
as the split did (forged ``rip=``, ``user=<`` and ``method=`` inside a user, unbalanced
brackets after the address). What a user sees: the same address, or none, on each line."""

from __future__ import annotations

import random

from mailwarden.model import EventType
from mailwarden.parsers import dovecot

from .helpers import events


def _by_elements(before: str, elements: list[str]) -> bool:
    """The reading by elements (the line split at ``, `` after the address)."""
    user_at = before.find("user=<")
    for element in elements:
        if (element.startswith("user=<") and user_at >= 0) or (
            element.startswith("method=") and "method=" in before
        ):
            return True
    if user_at < 0:
        return False
    if ">" not in before[user_at:]:
        return True
    return any(element.count(">") > element.count("<") for element in elements)


_PIECES = [
    "user=<",
    "user=<a>",
    ">",
    "<",
    ", ",
    ",",
    " ",
    "method=PLAIN",
    "method=",
    "lip=192.0.2.1",
    "TLS",
    "session=<x>",
    "x",
    ", user=<",
    ", method=",
    ">>",
    "<<",
]


def _line(rng: random.Random) -> str:
    head = "Disconnected (auth failed, 1 attempts): "
    before = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))
    after = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))
    return f"{head}{before} rip=203.0.113.5{after}"


def test_in_place_reading_decides_as_the_elements_do() -> None:
    rng = random.Random(20261130)
    for _ in range(20000):
        text = _line(rng)
        rip_at = text.rfind(" rip=")
        value = dovecot._VALUE_END.match(text, rip_at + 5)
        end = value.end() if value is not None else rip_at + 5
        expected = _by_elements(text[:rip_at], text[end:].split(", "))
        assert dovecot._rip_in_user(text, rip_at, end) is expected, text


def test_forged_rip_inside_the_user_gives_no_address() -> None:
    line = (
        "Feb 23 00:00:31 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts): "
        "user=<x>, rip=203.0.113.5, lip=192.0.2.1, user=<y>"
    )
    (event,) = events(line)
    assert event.ip is None


def test_the_servers_rip_after_the_user_is_read() -> None:
    line = (
        "Feb 23 00:00:31 mx dovecot: imap-login: Disconnected: Connection closed (auth "
        "failed, 2 attempts in 4 secs): user=<postmaster@example.com>, method=PLAIN, "
        "rip=2001:db8:0:4da3::3, lip=192.0.2.1, TLS, session=<h/CnfjuASW2hYgRZ>"
    )
    (event,) = events(line)
    assert event.ip == "2001:db8:0:4da3::3"
    assert event.user == "postmaster@example.com"
    assert event.server_ip == "192.0.2.1"


def test_postscreen_connect_names_both_addresses() -> None:
    """Built in one go now (no copy with the local address put in): every field."""
    line = (
        "Feb 23 00:00:00 mx postfix/postscreen[800]: CONNECT from [2001:db8:1:757e::2]:59042 "
        "to [192.0.2.1]:25"
    )
    (event,) = events(line)
    assert event.type is EventType.POSTSCREEN_PASS
    assert (event.ip, event.port, event.server_ip) == ("2001:db8:1:757e::2", 59042, "192.0.2.1")
    assert (event.hostile, event.strength, event.reason) == (False, None, "CONNECT")
    assert (event.service, event.attempts, event.detail) == ("postscreen", 1, None)
    assert (event.user, event.mechanism, event.session, event.payload) == (None,) * 4
