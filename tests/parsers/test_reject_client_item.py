"""A Postfix reject is weighed by the server's text, never by the client's.

smtpd writes a reject's reply as ``CODE X.Y.Z <item>: text``, the item being the
recipient, sender or HELO name the client sent, and then the trailer ``; from=<S> to=<R>
proto=P helo=<H>``. A client that names its recipient ``greylist@…`` or ``"Try again
later"@…``, or puts ``; proto=`` inside a quoted address, must not turn its relay attempts
or unknown-recipient probes into routine refusals (nor a third party's text turn a
routine refusal of an innocent forwarder into a strong one).
"""

from __future__ import annotations

import pytest

from mailwarden.model import EventType, Strength

from .corpus import pf
from .helpers import one

IP = "203.0.113.5"


def _reject(item: str, text: str, code: str = "554 5.7.1", helo: str = "x.example") -> str:
    return pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: {code} <{item}>: {text}; "
        f"from=<a@b.example> to=<{item}> proto=ESMTP helo=<{helo}>"
    )


SERVER_TEXTS = [
    pytest.param("554 5.7.1", "Relay access denied", id="relay"),
    pytest.param(
        "550 5.1.1",
        "Recipient address rejected: User unknown in local recipient table",
        id="user-unknown",
    ),
    pytest.param("550 5.7.1", "Recipient address rejected: Access denied", id="access"),
]

CLIENT_ITEMS = [
    "greylist.v1@victim.example",
    "Greylisted@victim.example",
    '"Try again later"@victim.example',
    '"try again later"@victim.example',
    '"Service currently unavailable"@victim.example',
    '"Message size exceeds fixed limit"@victim.example',
    '"x; proto=a"@victim.example',
    '"x; from=<y"@victim.example',
    '"x; to=<y> proto=ESMTP helo=<greylist"@victim.example',
    '"x>: Greylisted"@victim.example',
]


@pytest.mark.parametrize(("code", "text"), SERVER_TEXTS)
@pytest.mark.parametrize("item", CLIENT_ITEMS)
def test_the_recipient_the_client_chose_does_not_lower_the_reject(
    code: str, text: str, item: str
) -> None:
    plain = one(_reject("v1@victim.example", text, code))
    event = one(_reject(item, text, code))
    assert plain.strength is Strength.STRONG and plain.hostile
    assert (event.type, event.hostile, event.strength) == (
        EventType.REJECT,
        True,
        Strength.STRONG,
    )
    # The reply is kept whole, item and all, and the trailer read after it.
    assert event.reason == f"<{item}>: {text}"
    assert event.detail is not None
    assert event.detail["to"] == item
    assert event.detail["from"] == "a@b.example"
    assert event.detail["helo"] == "x.example"


def test_an_item_that_forges_its_own_end_does_not_lower_the_reject() -> None:
    """``x>: Greylisted; to=<x`` as the recipient and ``x`` as the HELO name: the line
    reads as ``<x>: Greylisted`` followed by a trailer that names ``x`` (the HELO), just
    as well as the true ``<x>: Greylisted; to=<x>: Relay access denied``. The heavier
    reading counts."""
    event = one(_reject("x>: Greylisted; to=<x", "Relay access denied", helo="x"))
    assert (event.hostile, event.strength) == (True, Strength.STRONG)
    assert event.reason == "<x>: Greylisted; to=<x>: Relay access denied"


def test_the_helo_name_does_not_lower_a_helo_reject() -> None:
    line = pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: 450 4.7.1 <greylist.example>: Helo "
        "command rejected: Host not found; from=<a@b.example> to=<v@victim.example> "
        "proto=ESMTP helo=<greylist.example>"
    )
    event = one(line)
    assert (event.hostile, event.strength) == (True, Strength.STRONG)


def test_a_sender_rejected_at_mail_from_is_weighed_by_the_server_text() -> None:
    line = pf(
        f'NOQUEUE: reject: MAIL from unknown[{IP}]: 550 5.1.8 <"Try again later"@nx.example>: '
        'Sender address rejected: Domain not found; from=<"Try again later"@nx.example> '
        "proto=ESMTP helo=<x.example>"
    )
    event = one(line)
    assert (event.hostile, event.strength) == (True, Strength.STRONG)


def test_client_text_does_not_raise_a_routine_reject() -> None:
    """A forwarder that passes on a stranger's recipient ``"Relay access denied"@…`` and
    meets a temporary refusal is not a relay abuser."""
    event = one(
        _reject(
            '"Relay access denied"@victim.example',
            "Recipient address rejected: Temporary lookup failure",
            code="451 4.3.0",
        )
    )
    assert (event.hostile, event.strength) == (False, None)


def test_greylisting_by_the_server_stays_routine() -> None:
    event = one(
        _reject(
            "v1@victim.example",
            "Recipient address rejected: Greylisted, see https://example.com/greylist",
            code="450 4.2.0",
        )
    )
    assert (event.hostile, event.strength) == (False, None)
    client_host = pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: 450 4.7.1 <unknown[{IP}]>: Client host "
        "rejected: Greylisted, try again later; from=<a@b.example> to=<v@victim.example> "
        "proto=ESMTP helo=<x.example>"
    )
    assert one(client_host).strength is None


def test_a_server_written_item_is_read_up_to_its_end() -> None:
    """``<DATA>`` / ``<name[addr]>`` are the server's; the client's text in the trailer
    after them (here a sender holding ``>: Greylisted``) does not weigh."""
    data = pf(
        f"NOQUEUE: reject: DATA from unknown[{IP}]: 550 5.5.3 <DATA>: Data command rejected: "
        'Multi-recipient bounce; from=<"x>: Greylisted"@b.example> proto=ESMTP helo=<x>'
    )
    assert one(data).strength is Strength.STRONG
    client = pf(
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <unknown[{IP}]>: Client host "
        'rejected: Access denied; from=<"x>: Try again later"@b.example> '
        "to=<v@victim.example> proto=ESMTP helo=<x>"
    )
    assert one(client).strength is Strength.STRONG


@pytest.mark.parametrize("pad", ["a", "é"])
def test_a_reject_cut_at_the_record_cap_is_still_weighed_by_the_server_text(
    pad: str,
) -> None:
    """Postfix cuts a record at 2000 bytes: a padded recipient can push the trailer's copy
    of itself past the cut, so that no trailer names the item. The reply before the cut
    is still the server's after the item's ``>: ``."""
    head = f"NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 "
    item = "greylist." + pad * (1200 // len(pad.encode("utf-8"))) + "@victim.example"
    message = f"{head}<{item}>: Relay access denied; from=<a@b.example> to=<{item}>"
    cut = message.encode("utf-8")[:2000].decode("utf-8", "ignore")
    assert "; from=<" in cut and not cut.endswith(">")
    event = one(pf(cut))
    assert (event.hostile, event.strength) == (True, Strength.STRONG)


def test_a_reply_full_of_forged_item_ends_weighs_as_hostile() -> None:
    """More ``>: `` than any server's text or real address holds: the reply is the
    client's forgery, and weighs as a hostile reject (its readings are not all read)."""
    item = '"' + ">: Greylisted; to=<x " * 40 + '"@victim.example'
    event = one(_reject(item, "Relay access denied"))
    assert (event.hostile, event.strength) == (True, Strength.STRONG)
