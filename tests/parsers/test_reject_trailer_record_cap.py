"""A reject line cut at Postfix's record cap proves no login by its SASL trailer.

Postfix cuts each record at 2000 bytes after ``prog[pid]: `` (msg_syslog.c,
``MSG_SYSLOG_RECLEN``). A client that writes ``x> sasl_method=PLAIN sasl_username=alice``
into its HELO name, MAIL FROM or RCPT TO, and pads the rest so that the cut falls right
after the forged account, leaves a reject line that ends like a real trailer: the ``>``
closing its item never reaches the log. Such a line must not name a login (it would hide
the client's guesses against that account and cry break-in); a shorter one still does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner, analyze_json

IP = "203.0.113.5"
USER = "alice@example.com"
TAG = "mx postfix/smtpd[2000]:"
CAP = 2000


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _via_helo(size: int, pad: str) -> str:
    """A relay reject whose HELO name holds a forged trailer, padded (in the sender) to
    ``size`` bytes of message, the forged account last."""

    def message(fill: str) -> str:
        rcpt = "spam@other.example"
        return (
            f"NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <{rcpt}>: Relay access "
            f"denied; from=<s{fill}@b.example> to=<{rcpt}> proto=ESMTP "
            f"helo=<x> sasl_method=PLAIN sasl_username={USER}"
        )

    return _fill(message, size, pad)


def _via_addresses(size: int, pad: str) -> str:
    """A relay reject whose recipient holds a forged ``helo=<…>`` and trailer, and whose
    sender is padded so that the cut falls inside the recipient's second copy right after
    the forged account."""
    rcpt = f'"x helo=<y> sasl_method=PLAIN sasl_username={USER} more"@other.example'
    kept = rcpt[: rcpt.index(USER) + len(USER)]

    def message(fill: str) -> str:
        return (
            f"NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <{rcpt}>: Relay access "
            f"denied; from=<s{fill}@b.example> to=<{kept}"
        )

    return _fill(message, size, pad)


def _fill(message: Callable[[str], str], size: int, pad: str) -> str:
    fill = ""
    while _size(message(fill + pad)) <= size:
        fill += pad
    while _size(message(fill + "a")) <= size:
        fill += "a"
    text = message(fill)
    assert _size(text) == size and text.endswith(USER)
    return text


def _lines(reject: str, hour: int = 9) -> list[str]:
    """The reject's session at ``hour`` (before or after 12 guesses as USER at 10:xx); the
    one after them logged in (``auth=1``: Postfix 3.x confirms a trailer's login so)."""
    stats = (
        "ehlo=1 auth=1 mail=1 rcpt=0/1 quit=1 commands=4/5"
        if hour > 10
        else "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"
    )
    session = [
        f"Mar 11 {hour:02d}:00:00 {TAG} connect from unknown[{IP}]",
        f"Mar 11 {hour:02d}:00:01 {TAG} {reject}",
        f"Mar 11 {hour:02d}:00:02 {TAG} disconnect from unknown[{IP}] {stats}",
    ]
    guesses = [
        f"Mar 11 10:{4 * n:02d}:00 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts "
        f"in 2 secs): user=<{USER}>, method=PLAIN, rip={IP}, lip=198.51.100.25, session=<s{n}>"
        for n in range(12)
    ]
    return session + guesses if hour < 10 else guesses + session


FORGERIES = [
    pytest.param(_via_helo, "a", id="helo"),
    pytest.param(_via_helo, "é", id="helo-utf8"),  # fewer than 2000 characters
    pytest.param(_via_addresses, "a", id="mail-rcpt"),
    pytest.param(_via_addresses, "é", id="mail-rcpt-utf8"),
]


@pytest.mark.parametrize(("build", "pad"), FORGERIES)
def test_a_trailer_cut_at_the_record_cap_is_no_login(
    run: Runner, log_file: Callable[[str], str], build: Callable[[int, str], str], pad: str
) -> None:
    report = analyze_json(run, log_file, _lines(build(CAP, pad)))
    assert report["compromised"] == []
    attackers = [a for a in report["attackers"] if a["ip"] == IP]
    assert len(attackers) == 1
    attacker = attackers[0]
    assert attacker["verdict"] in ("bruteforce", "slow_bruteforce")
    assert attacker["recommendation"] == "ban"
    assert attacker["failures"] == 12
    assert attacker["succeeded_as"] == []


@pytest.mark.parametrize(("build", "pad"), FORGERIES)
def test_a_trailer_one_byte_short_of_the_cap_is_a_login(
    run: Runner, log_file: Callable[[str], str], build: Callable[[int, str], str], pad: str
) -> None:
    """Below the cap, the line ends where Postfix ended it: its trailer is read as before."""
    report = analyze_json(run, log_file, _lines(build(CAP - 1, pad), 11))
    assert [(c["ip"], c["user"]) for c in report["compromised"]] == [(IP, USER)]


def test_a_real_trailer_on_a_short_line_is_a_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    reject = (
        f"NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <spam@other.example>: Relay "
        f"access denied; from=<{USER}> to=<spam@other.example> proto=ESMTP helo=<pc> "
        f"sasl_method=PLAIN sasl_username={USER}"
    )
    report = analyze_json(run, log_file, _lines(reject, 11))
    assert [(c["ip"], c["user"]) for c in report["compromised"]] == [(IP, USER)]
