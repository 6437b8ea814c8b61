"""A reject line of a session that logged in names the account (shared reference §1.3,
§1.5: log_whatsup() ends the line with `` sasl_method=M sasl_username=U[ sasl_sender=S]``
after ``helo=<…>``): the login it proves, and a refusal that is no hostile act.

The HELO name, MAIL FROM and RCPT TO before that trailer are the client's text: a trailer
forged inside one of them names no login; the one Postfix wrote after them still does.
"""

from __future__ import annotations

import pytest

from mailwarden.model import EventType

from .corpus import pf
from .helpers import events, one

IP = "192.0.2.122"


RELAY = "554 5.7.1 <spam@target.example>: Relay access denied"


def _reject(trailer: str, reply: str = RELAY) -> str:
    return pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: {reply}; {trailer}",
        "postfix/submission/smtpd",
    )


def _logins(line: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(e.user, e.mechanism, e.ip) for e in events(line) if e.type is EventType.AUTH_SUCCESS]


def test_sender_not_owned_reject_names_the_login() -> None:
    line = _reject(
        "from=<erin@example.com> to=<spam@target.example> proto=ESMTP helo=<x> "
        "sasl_method=PLAIN sasl_username=erin@example.com",
        "553 5.7.1 <erin@example.com>: Sender address rejected: not owned by user erin@example.com",
    )
    login = one(line, EventType.AUTH_SUCCESS)
    assert (login.user, login.mechanism, login.ip, login.service) == (
        "erin@example.com",
        "PLAIN",
        IP,
        "submission",
    )
    assert not login.hostile
    reject = one(line, EventType.REJECT)
    # An account holder's refused command, not a policy violation of the address.
    assert not reject.hostile
    assert reject.strength is None
    assert reject.reason is not None and reject.reason.startswith("<erin@example.com>: Sender")
    assert reject.detail is not None
    assert (reject.detail["helo"], reject.detail["sasl_username"]) == ("x", "erin@example.com")


def test_unknown_recipient_of_a_logged_in_client_is_no_violation() -> None:
    line = _reject(
        "from=<alice@example.com> to=<bbo@example.com> proto=ESMTP helo=<[192.168.1.5]> "
        "sasl_method=login sasl_username=alice",
        "550 5.1.1 <bbo@example.com>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
    )
    assert _logins(line) == [("alice", "LOGIN", IP)]
    assert not one(line, EventType.REJECT).hostile


def test_sasl_sender_after_the_username_is_not_part_of_it() -> None:
    line = _reject(
        "from=<a@example.com> to=<v@example.org> proto=ESMTP helo=<h> sasl_method=PLAIN "
        "sasl_username=carol@example.com sasl_sender=carol@example.com"
    )
    assert _logins(line) == [("carol@example.com", "PLAIN", IP)]


def test_milter_reject_of_a_logged_in_client_names_the_login() -> None:
    line = pf(
        f"4F4E5DAB: milter-reject: END-OF-MESSAGE from unknown[{IP}]: 5.7.1 Spam message "
        "rejected; from=<dave@example.com> to=<x@example.org> proto=ESMTP helo=<pc> "
        "sasl_method=PLAIN sasl_username=dave@example.com",
        "postfix/submission/smtpd",
    )
    assert _logins(line) == [("dave@example.com", "PLAIN", IP)]
    assert not one(line, EventType.REJECT).hostile


GENUINE = " sasl_method=LOGIN sasl_username=dave@example.com"
ITEMS = "from=<a@b.example> to=<v@example.org> proto=ESMTP"
FORGED = " sasl_method=PLAIN sasl_username=erin@example.com"


@pytest.mark.parametrize(
    ("items", "sender"),
    [
        # In the HELO name, the last item of a session that did not log in.
        (f"{ITEMS} helo=<x>{FORGED}>", None),
        # ... its end swallowing the closing ">" into a sasl_sender.
        (f"{ITEMS} helo=<x>{FORGED} sasl_sender=>", None),
        (f"{ITEMS} helo=<x>{FORGED} sasl_sender=<a>", None),
        # ... followed by a sasl_sender of the client's (AUTH= without a login).
        (f"{ITEMS} helo=<x>{FORGED}>", "a@b.example"),
        (f"{ITEMS} helo=<x>{FORGED} sasl_sender=y>", "a@b.example"),
        # In a quoted MAIL FROM / RCPT TO address (spaces allowed there).
        (
            'from=<"a> proto=ESMTP helo=<h> sasl_method=PLAIN sasl_username=erin@example.com"'
            "@x> to=<v@example.org> proto=ESMTP helo=<h>",
            None,
        ),
        (
            'from=<a@b.example> to=<"x> sasl_method=PLAIN sasl_username=erin@example.com"@y> '
            "proto=SMTP helo=<h>",
            None,
        ),
    ],
)
def test_a_trailer_in_client_text_is_no_login(items: str, sender: str | None) -> None:
    tail = f" sasl_sender={sender}" if sender is not None else ""
    forged = _reject(items + tail)
    assert _logins(forged) == []
    assert one(forged, EventType.REJECT).hostile  # Relay access denied, as without it
    # The trailer Postfix writes after the client's text is the one that counts, unless
    # a sasl_sender= comes before it: that line is the same text as a client's AUTH=
    # with an unclosed quote (below), so it proves no login.
    real = _reject(items + GENUINE + tail)
    if " sasl_sender=" in items:
        assert _logins(real) == []
    else:
        assert _logins(real) == [("dave@example.com", "LOGIN", IP)]
        assert not one(real, EventType.REJECT).hostile


def test_an_auth_parameter_with_an_unclosed_quote_is_no_login() -> None:
    """``MAIL FROM:<a@b.example> AUTH="x> sasl_method=PLAIN sasl_username=erin…``:
    Postfix logs sasl_sender= for an AUTH= parameter without a login, and its tokenizer
    runs an unclosed quote to the end of the command, spaces included. The line then
    ended like a login's trailer: a forged login that kept the client from being banned
    (taken for erin's phone with an old password), or a false break-in."""
    forged = f'{ITEMS} helo=<h> sasl_sender="x>{FORGED}'
    assert _logins(_reject(forged)) == []
    # behind a real login too: which account logged in is then not known for sure
    both = f'{ITEMS} helo=<h>{GENUINE} sasl_sender="x>{FORGED}'
    assert _logins(_reject(both)) == []
