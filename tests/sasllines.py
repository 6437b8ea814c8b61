# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Log lines for the tests of one client's tries: Postfix's submission service checking
passwords through Dovecot 2.4's SASL across connections (detect and analyze), and PAM's
own lines beside Dovecot's (the PAM-line tests of detect)."""

from __future__ import annotations

from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse


def smtpd_tries(
    ip: str,
    start: int,
    pid: int,
    tries: list[tuple[int, str, str]],
    end: int,
    names: bool = True,
    dovecot: bool = True,
) -> list[tuple[int, str]]:
    """One submission connection of Postfix with Dovecot 2.4's SASL, from second ``start``
    to ``end``: for each (second, mechanism, account) of ``tries`` Dovecot's auth line
    (``dovecot``; no session id: Postfix sends none) and, two seconds later (Dovecot's
    failure delay), Postfix's line of the refused try (``names``: with
    ``sasl_username=``, Postfix 3.9). (second, line) pairs, to sort into one log."""
    smtpd = f"mx postfix/submission/smtpd[{pid}]"
    timed = [(start, f"{smtpd}: connect from unknown[{ip}]")]
    for second, mechanism, user in tries:
        if dovecot:
            timed.append(
                (
                    second,
                    f"mx dovecot: auth({user},{ip},sasl:{mechanism.lower()}): Info: passwd-file: Password mismatch",
                )
            )
        tail = f", sasl_username={user}" if names else ""
        timed.append(
            (
                second + 2,
                f"{smtpd}: warning: unknown[{ip}]: SASL {mechanism} authentication failed: (reason unavailable){tail}",
            )
        )
    n = len(tries)
    timed.append(
        (end, f"{smtpd}: disconnect from unknown[{ip}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}")
    )
    return timed


PAM_IP = "198.51.100.81"
"""The guessing address of the PAM-line tests (tests/detect/test_pam_fallback.py,
test_late_pam.py)."""


def events_from(lines: list[str]) -> list[Event]:
    """The events of whole log lines, framed with the year 2026, as the analyzer parses."""
    framer = Framer(year=2026)
    events: list[Event] = []
    for number, line in enumerate(lines, 1):
        for record in framer.frame_line(line, "mail.log", number, 0):
            events.extend(parse(record))
    return events


def stamp(t: int) -> str:
    """The syslog time of second ``t`` after 10:00 on Nov 28."""
    return f"Nov 28 10:{t // 60:02d}:{t % 60:02d}"


def pam(t: int, user: str = "bob", ip: str = PAM_IP) -> str:
    """PAM's own line of a failed login Dovecot checked through PAM, at second ``t``."""
    return f"{stamp(t)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ip}  user={user}"
