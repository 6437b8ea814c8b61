# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Log lines for the tests of one client's tries: Postfix's submission service checking
passwords through Dovecot 2.4's SASL across connections (detect and analyze), PAM's
own lines beside Dovecot's (the PAM-line tests of detect), and one AUTH LOGIN at
``smtpd -v`` with Dovecot's or Cyrus's SASL (detect and explain)."""

from __future__ import annotations

import base64

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


# One AUTH LOGIN of 203.0.113.45 (account info@example.com, password Summer2024!) at
# ``smtpd -v``, as ``second|message`` of Postfix's submission smtpd, as in
# tests/data/real/postfix-3.7-verbose.log: the chat, and the SASL backend's own lines
# (Dovecot's ``auth reply: CONT?1?…`` with its TABs printed as ``?``; Cyrus's ``uncoded
# server challenge``). The failure line is an older Postfix's (no sasl_username=, the
# stale UGFzc3dvcmQ6 reason of Postfix before 3.9 with Dovecot).
VERBOSE_SMTPD = "Nov 28 09:14:0{s} mx postfix/submission/smtpd[5297]: "

_LOGIN_START = [
    "1|connect from unknown[203.0.113.45]",
    "1|< unknown[203.0.113.45]: EHLO ylmf-pc",
    "1|< unknown[203.0.113.45]: AUTH LOGIN",
]
DOVECOT_LOGIN = [
    *_LOGIN_START,
    "1|xsasl_dovecot_server_first: sasl_method LOGIN",
    "1|xsasl_dovecot_handle_reply: auth reply: CONT?1?VXNlcm5hbWU6",
    "1|> unknown[203.0.113.45]: 334 VXNlcm5hbWU6",
    "2|< unknown[203.0.113.45]: aW5mb0BleGFtcGxlLmNvbQ==",
    "2|xsasl_dovecot_handle_reply: auth reply: CONT?1?UGFzc3dvcmQ6",
    "2|> unknown[203.0.113.45]: 334 UGFzc3dvcmQ6",
    "2|< unknown[203.0.113.45]: U3VtbWVyMjAyNCE=",
    "4|xsasl_dovecot_handle_reply: auth reply: FAIL?1?user=info@example.com",
    "4|warning: unknown[203.0.113.45]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "4|> unknown[203.0.113.45]: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
    "4|< unknown[203.0.113.45]: QUIT",
    "4|disconnect from unknown[203.0.113.45] ehlo=1 auth=0/1 quit=1 commands=2/3",
]
CYRUS_LOGIN = [
    *_LOGIN_START,
    "1|xsasl_cyrus_server_first: sasl_method LOGIN",
    "1|xsasl_cyrus_server_auth_response: uncoded server challenge: Username:",
    "1|> unknown[203.0.113.45]: 334 VXNlcm5hbWU6",
    "2|< unknown[203.0.113.45]: aW5mb0BleGFtcGxlLmNvbQ==",
    "2|xsasl_cyrus_server_next: decoded response: info@example.com",
    "2|xsasl_cyrus_server_auth_response: uncoded server challenge: Password:",
    "2|> unknown[203.0.113.45]: 334 UGFzc3dvcmQ6",
    "2|< unknown[203.0.113.45]: U3VtbWVyMjAyNCE=",
    "2|xsasl_cyrus_server_next: decoded response: Summer2024!",
    "4|warning: SASL authentication failure: Password verification failed",
    "4|warning: unknown[203.0.113.45]: SASL LOGIN authentication failed: authentication failure",
    "4|> unknown[203.0.113.45]: 535 5.7.8 Error: authentication failed: authentication failure",
    "4|< unknown[203.0.113.45]: QUIT",
    "4|disconnect from unknown[203.0.113.45] ehlo=1 auth=0/1 quit=1 commands=2/3",
]


def verbose_login(lines: list[str], lost: tuple[str, ...] = ()) -> list[str]:
    """Whole syslog lines of ``lines`` (``second|message``), without those whose message
    holds one of ``lost`` (the lines the log lost)."""
    kept = []
    for line in lines:
        second, message = line.split("|", 1)
        if not any(text in message for text in lost):
            kept.append(VERBOSE_SMTPD.format(s=second) + message)
    return kept


DUMPED_IP = "203.0.113.45"
"""The client of :func:`verbose_and_dumped`'s sessions."""


def b64(text: str) -> str:
    """``text`` in base64, as a client sends it in an AUTH exchange."""
    return base64.b64encode(text.encode()).decode()


def auth_login(user: str, password: str) -> list[str]:
    """A refused AUTH LOGIN of Postfix with Dovecot's SASL, for :func:`verbose_and_dumped`."""
    return [
        "1|C:EHLO ylmf-pc",
        "1|S:250 mx.example.com",
        "1|C:AUTH LOGIN",
        "1|xsasl_dovecot_server_first: sasl_method LOGIN",
        "1|xsasl_dovecot_handle_reply: auth reply: CONT?1?VXNlcm5hbWU6",
        "1|S:334 VXNlcm5hbWU6",
        "2|C:" + b64(user),
        "2|xsasl_dovecot_handle_reply: auth reply: CONT?1?UGFzc3dvcmQ6",
        "2|S:334 UGFzc3dvcmQ6",
        "2|C:" + b64(password),
        *failed("LOGIN", user),
    ]


def failed(mechanism: str, user: str) -> list[str]:
    """The end of a refused AUTH exchange and of its session (:func:`verbose_and_dumped`)."""
    return [
        f"4|xsasl_dovecot_handle_reply: auth reply: FAIL?1?user={user}",
        f"4|warning: unknown[{DUMPED_IP}]: SASL {mechanism} authentication failed: "
        f"(reason unavailable), sasl_username={user}",
        "4|S:535 5.7.8 Error: authentication failed: (reason unavailable)",
        "4|C:QUIT",
        "4|S:221 2.0.0 Bye",
        f"4|disconnect from unknown[{DUMPED_IP}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]


def auth_plain(user: str, password: str, initial: bool) -> list[str]:
    """A refused AUTH PLAIN, its payload on the command line (``initial``) or after the
    ``334``, for :func:`verbose_and_dumped`."""
    blob = b64(f"\0{user}\0{password}")
    if initial:
        command = [
            f"1|C:AUTH PLAIN {blob}",
            f"1|xsasl_dovecot_server_first: sasl_method PLAIN, init_response {blob}",
        ]
    else:
        command = [
            "1|C:AUTH PLAIN",
            "1|xsasl_dovecot_server_first: sasl_method PLAIN",
            "1|xsasl_dovecot_handle_reply: auth reply: CONT?1?",
            "1|S:334 ",
            "2|C:" + blob,
        ]
    return ["1|C:EHLO ylmf-pc", "1|S:250 mx.example.com", *command, *failed("PLAIN", user)]


def _tls_dump(direction: str, text: str) -> str:
    """``smtpd_tls_loglevel = 4``'s line of one plaintext ``text`` (CR LF as ``??``): the
    first 40 bytes, after the whole length (tls_stream.c: ``tls_timed_read()``)."""
    return f"{direction} {len(text) + 2} chars: {(text + '??')[:40]}"


def verbose_and_dumped(client: list[str], ip: str = DUMPED_IP, swapped: bool = False) -> list[str]:
    """Whole syslog lines of a submission session of ``ip`` at both ``smtpd -v`` and
    ``smtpd_tls_loglevel = 4``, after STARTTLS: each line of ``client`` (``C:`` a client
    line, ``S:`` a reply, else a line of smtpd's own, ``second|`` before each) is logged
    as Postfix writes it: a client line as the TLS dump's ``Read N chars:`` (as smtpd
    reads it) then the chat's ``< client:``; a reply as ``> client:`` then ``Write N
    chars:`` (when it is sent). ``swapped`` swaps each pair (a log merged out of
    order)."""
    peer = f"unknown[{ip}]"
    lines = [
        "1|connect from " + peer,
        f"1|Anonymous TLS connection established from {peer}: TLSv1.3 with cipher "
        "TLS_AES_256_GCM_SHA384 (256/256 bits)",
    ]
    for entry in client:
        second, text = entry.split("|", 1)
        if text.startswith("C:"):
            pair = [_tls_dump("Read", text[2:]), f"< {peer}: {text[2:]}"]
        elif text.startswith("S:"):
            pair = [f"> {peer}: {text[2:]}", _tls_dump("Write", text[2:])]
        else:
            lines.append(f"{second}|{text}")
            continue
        if swapped:
            pair.reverse()
        lines.extend(f"{second}|{line}" for line in pair)
    return verbose_login(lines)
