"""The account of a reject line's SASL trailer (``… helo=<H> sasl_method=M
sasl_username=U[ sasl_sender=S]``, log_whatsup(), shared reference §1.5) is the last item
Postfix writes and may hold anything: spaces and ``>`` too. It is read to the line's end
or to the `` sasl_sender=`` after it.

The client's HELO name, MAIL FROM, RCPT TO and AUTH= can hold the same text: a trailer
forged there is followed by the ``>`` that closes the client's item and then the line's
end or the next item Postfix writes, which no account read from a real trailer holds.
An account that ends with ``>`` is so lost (``helo=<x> … sasl_username=bob>`` is also what
the HELO name ``x> sasl_method=PLAIN sasl_username=bob`` leaves).
"""

from __future__ import annotations

import pytest

from mailwarden.model import EventType

from .corpus import pf
from .helpers import events, one

IP = "192.0.2.122"
RELAY = "554 5.7.1 <spam@target.example>: Relay access denied"
ITEMS = "from=<a@b.example> to=<spam@target.example> proto=ESMTP"


def _reject(trailer: str) -> str:
    return pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: {RELAY}; {trailer}",
        "postfix/submission/smtpd",
    )


def _logins(line: str) -> list[tuple[str | None, str | None]]:
    return [(e.user, e.mechanism) for e in events(line) if e.type is EventType.AUTH_SUCCESS]


@pytest.mark.parametrize(
    ("trailer", "login"),
    [
        (f"{ITEMS} helo=<x> sasl_method=PLAIN sasl_username=john smith", "john smith"),
        (f"{ITEMS} helo=<x> sasl_method=LOGIN sasl_username=a>b@example.com", "a>b@example.com"),
        (
            f"{ITEMS} helo=<x> sasl_method=PLAIN sasl_username=<john>@example.com",
            "<john>@example.com",
        ),
        # the sasl_sender after it, spaces and all (AUTH= with a quoted local part)
        (
            f'{ITEMS} helo=<x> sasl_method=PLAIN sasl_username=john smith sasl_sender="j s"@b',
            "john smith",
        ),
        # behind a HELO name that imitates a trailer: Postfix's own comes last
        (
            f"{ITEMS} helo=<pc sasl_method=PLAIN sasl_username=x y> sasl_method=PLAIN "
            "sasl_username=john smith",
            "john smith",
        ),
    ],
)
def test_an_account_with_a_space_or_a_bracket_is_the_login(trailer: str, login: str) -> None:
    line = _reject(trailer)
    assert _logins(line) == [(login, trailer.split("sasl_method=")[-1].split()[0])]
    reject = one(line, EventType.REJECT)
    assert not reject.hostile
    assert reject.detail is not None and reject.detail["sasl_username"] == login


FORGED = "> sasl_method=PLAIN sasl_username=john smith"
MARY = " sasl_method=PLAIN sasl_username=mary jones"


@pytest.mark.parametrize(
    ("forged", "genuine", "login"),
    [
        # In the HELO name (HELO joins its words with spaces): its ">" ends the line ...
        (f"{ITEMS} helo=<x{FORGED}>", f"{ITEMS} helo=<x{FORGED}>{MARY}", "mary jones"),
        (
            f"{ITEMS} helo=<x{FORGED} sasl_sender=z>",
            f"{ITEMS} helo=<x{FORGED} sasl_sender=z",
            "john smith",
        ),
        # ... or comes before the sasl_sender= of the client's AUTH= (no login needed)
        (
            f"{ITEMS} helo=<x{FORGED}> sasl_sender=a@b.example",
            f"{ITEMS} helo=<x{FORGED}>{MARY} sasl_sender=a@b.example",
            "mary jones",
        ),
        (
            f"{ITEMS} helo=<x{FORGED} sasl_sender=z> sasl_sender=a@b.example",
            f"{ITEMS} helo=<x{FORGED} sasl_sender=z>a@b.example",
            "john smith",
        ),
        (
            f'{ITEMS} helo=<x{FORGED} sasl_sender=z> sasl_sender="q r',
            f'{ITEMS} helo=<x{FORGED} sasl_sender="q r',
            "john smith",
        ),
        # In the addresses (a quoted local part holds spaces), Postfix's items after them
        (
            f'from=<"a{FORGED}"@x> to=<v@example.org> proto=ESMTP helo=<h>',
            f'from=<"a{FORGED}"@x> to=<v@example.org> proto=ESMTP helo=<h>{MARY}',
            "mary jones",
        ),
        (
            f'from=<a@b.example> to=<"a{FORGED}"@x> proto=ESMTP helo=<h> sasl_sender=q',
            f'from=<a@b.example> to=<"a{FORGED}"@x> proto=ESMTP helo=<h>{MARY} sasl_sender=q',
            "mary jones",
        ),
        # no HELO (no login either): proto= follows the recipient
        (
            f"from=<a@b.example> to=<a{FORGED}> proto=SMTP",
            f"from=<a@b.example> to=<a{FORGED}> proto=ESMTP helo=<h>{MARY}",
            "mary jones",
        ),
        # In the reply text (a HELO name or address it quotes), were no item after it
        (
            f"<x{FORGED}>: Helo command rejected: Host not found;",
            f"<x{FORGED}>: Helo command rejected: Host not found; proto=ESMTP helo=<h>{MARY}",
            "mary jones",
        ),
        # In AUTH= with an unclosed quote: after a sasl_sender=
        (
            f'{ITEMS} helo=<h> sasl_sender="x{FORGED}',
            f'{ITEMS} helo=<h>{MARY} sasl_sender="x y',
            "mary jones",
        ),
    ],
)
def test_a_trailer_with_a_spaced_name_in_client_text_is_no_login(
    forged: str, genuine: str, login: str
) -> None:
    line = _reject(forged)
    assert _logins(line) == []
    reject = one(line, EventType.REJECT)
    assert reject.hostile  # Relay access denied, as without the client's text
    assert reject.detail is not None and "sasl_username" not in reject.detail
    # The same client text where Postfix did write the trailer: its account.
    assert _logins(_reject(genuine)) == [(login, "PLAIN")]
    assert not one(_reject(genuine), EventType.REJECT).hostile
