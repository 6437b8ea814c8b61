# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Postfix's SASL through Dovecot checking passwords with PAM: PAM's own line of each try
(``pam_unix(dovecot:auth): authentication failure; … rhost=…``) comes seconds before
Postfix's, and only Postfix's names the mechanism. A phone retrying its wrong password by
LOGIN after PLAIN in one connection is one wrong password with PAM's lines in the log as
without them; the daemon counts each try no later than Postfix's line of it, and a try
that Postfix never tells (the client left) still counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mailwarden.detect import Detector
from purecopy import pure_copy
from sasllines import PAM_IP, events_from, pam, stamp

IP = PAM_IP
OTHER = "203.0.113.9"
WINDOW = 60  # mailwarden.detect.sessions.DEFER_WINDOW


def smtpd(t: int, pid: int, text: str) -> str:
    return f"{stamp(t)} mx postfix/submission/smtpd[{pid}]: {text}"


def sasl(t: int, pid: int, mechanism: str, user: str = "bob", ip: str = IP) -> str:
    return smtpd(
        t,
        pid,
        f"warning: unknown[{ip}]: SASL {mechanism} authentication failed: (reason unavailable), sasl_username={user}",
    )


def disconnect(t: int, pid: int, tries: int, ip: str = IP) -> str:
    return smtpd(
        t, pid, f"disconnect from unknown[{ip}] ehlo=1 auth=0/{tries} quit=1 commands=2/{tries + 2}"
    )


def phone(t: int, pid: int, with_pam: bool) -> list[str]:
    """One connection: the stale password by PLAIN, then by LOGIN."""
    lines = [smtpd(t, pid, f"connect from unknown[{IP}]")]
    if with_pam:
        lines.append(pam(t + 1))
    lines.append(sasl(t + 3, pid, "PLAIN"))
    if with_pam:
        lines.append(pam(t + 4))
    lines += [sasl(t + 6, pid, "LOGIN"), disconnect(t + 7, pid, 2)]
    return lines


def counted_after_each(lines: list[str]) -> list[tuple[str, int]]:
    """(line, failures counted so far) after each event, as the daemon feeds them."""
    detector = Detector(keep_history=False)
    out = []
    for event in events_from(lines):
        detector.feed(event)
        out.append((event.record.text, detector.stats["failures_counted"]))
    return out


def bans_and_failures(lines: list[str]) -> tuple[list[str], int]:
    """The bans the detector recommends on ``lines`` (their reasons) and the failures it
    counted by the end."""
    detector = Detector(keep_history=False)
    bans = [
        d.reason for e in events_from(lines) for d in detector.feed(e) if d.recommendation == "ban"
    ]
    detector.close()
    return bans, detector.stats["failures_counted"]


def test_a_phone_s_mechanism_fallback_bans_no_sooner_with_pam_s_lines() -> None:
    # Two connections within a minute, PLAIN then LOGIN each: two wrong passwords, below
    # the fast brute-force threshold (3 within a minute). With PAM's lines it counted 4:
    # the owner's phone banned.
    for with_pam in (False, True):
        lines = phone(0, 701, with_pam) + phone(20, 702, with_pam)
        assert bans_and_failures(lines) == ([], 2), with_pam


def test_each_try_counts_no_later_than_postfix_s_line_of_it() -> None:
    # A bot repeating PLAIN in one connection: PAM's line of the first try counts at
    # once (as before); each next try counts at Postfix's line of it, seconds later, as
    # without PAM's lines.
    lines = [smtpd(0, 701, f"connect from unknown[{IP}]")]
    for n in range(5):
        lines += [pam(1 + 3 * n), sasl(3 + 3 * n, 701, "PLAIN")]
    lines.append(disconnect(20, 701, 5))
    seen = counted_after_each(lines)
    after_postfix = [count for text, count in seen if "SASL PLAIN" in text]
    assert after_postfix == [1, 2, 3, 4, 5]
    assert seen[1][1] == 1  # the first PAM line
    assert seen[-1][1] == 5


def test_a_try_the_client_left_counts_when_the_connection_ends() -> None:
    lines = [
        smtpd(0, 701, f"connect from unknown[{IP}]"),
        pam(1),
        sasl(3, 701, "PLAIN"),
        pam(4),
        smtpd(5, 701, f"lost connection after AUTH from unknown[{IP}]"),
        disconnect(5, 701, 2),
    ]
    seen = counted_after_each(lines)
    assert seen[-1] == (lines[-1], 2)


def test_a_try_no_other_line_tells_counts_within_a_minute() -> None:
    # The smtpd lines of the connection are lost after the first failure: PAM's line of
    # the second try counts once a minute has passed (at any line then), or at the end.
    start = [smtpd(0, 701, f"connect from unknown[{IP}]"), pam(1), sasl(3, 701, "PLAIN"), pam(4)]
    later = 4 + WINDOW + 1
    lines = [*start, pam(later - 30, "x", OTHER), pam(later, "x", OTHER)]
    seen = counted_after_each(lines)
    # IP's tries, then OTHER's: OTHER's first, then IP's second try with OTHER's second.
    assert [count for _text, count in seen] == [0, 1, 1, 1, 2, 4]
    detector = Detector(keep_history=False)
    for event in events_from(start):
        detector.feed(event)
    assert detector.stats["failures_counted"] == 1
    detector.close()
    assert detector.stats["failures_counted"] == 2


def test_the_window_is_the_sessions_one() -> None:
    from mailwarden.detect.sessions import DEFER_WINDOW

    assert DEFER_WINDOW == WINDOW


NAT = "203.0.113.7"


def in_time_order(lines: list[str]) -> list[str]:
    """One log: the lines by their stamps (those of one second in the order given)."""
    return sorted(lines, key=lambda line: line[:15])


def nat_try(t: int, pid: int, mechanism: str, with_pam: bool = True) -> list[str]:
    """One try of a client at ``NAT`` on smtpd ``pid``: PAM's line, Postfix's 2 s later."""
    return [pam(t, ip=NAT)] * with_pam + [sasl(t + 2, pid, mechanism, ip=NAT)]


def connect(t: int, pid: int) -> str:
    return smtpd(t, pid, f"connect from unknown[{NAT}]")


def test_two_phones_behind_one_nat_address_ban_no_sooner_with_pam_s_lines() -> None:
    # A phone and a laptop of one office, one NAT address, the same stale password: each
    # tries it by PLAIN, then by LOGIN, on connections that overlap. Two wrong passwords,
    # below the fast brute-force threshold (3 within a minute). When the phone's
    # connection ended the address was forgotten: PAM's line of the laptop's LOGIN try
    # counted at once, 3 in all, and the office was banned.
    for with_pam in (False, True):
        lines = in_time_order(
            [
                connect(0, 801),
                connect(1, 802),
                *nat_try(2, 801, "PLAIN", with_pam),
                *nat_try(5, 802, "PLAIN", with_pam),
                *nat_try(8, 801, "LOGIN", with_pam),
                disconnect(11, 801, 2, ip=NAT),
                *nat_try(12, 802, "LOGIN", with_pam),
                disconnect(15, 802, 2, ip=NAT),
            ]
        )
        assert bans_and_failures(lines) == ([], 2), with_pam


def test_a_parallel_connection_ending_leaves_the_retry_waiting() -> None:
    # A bot's second connection from the address, without AUTH, ends between PAM's line
    # of the first connection's LOGIN try and Postfix's: that try is still the fallback
    # it is, one wrong password in all (the ending released PAM's line: two).
    lines = [
        connect(0, 801),
        *nat_try(1, 801, "PLAIN"),
        connect(3, 802),
        pam(4, ip=NAT),
        smtpd(4, 802, f"disconnect from unknown[{NAT}] ehlo=1 quit=1 commands=2"),
        sasl(6, 801, "LOGIN", ip=NAT),
        disconnect(7, 801, 2, ip=NAT),
    ]
    assert counted_after_each(lines)[-1] == (lines[-1], 1)


def test_a_try_the_client_left_still_counts_while_another_connection_is_open() -> None:
    # The phone's second try is told by PAM's line alone (it hung up in the failure
    # delay); the laptop's LOGIN fallback after it is no guess: 3 wrong passwords (the
    # phone's two, the laptop's one), also when the phone's line waits for the laptop's
    # connection to end (it gave 4).
    lines = in_time_order(
        [
            connect(0, 801),
            connect(1, 802),
            *nat_try(2, 801, "PLAIN"),
            *nat_try(5, 802, "PLAIN"),
            pam(8, ip=NAT),
            smtpd(9, 801, f"lost connection after AUTH from unknown[{NAT}]"),
            smtpd(9, 801, f"disconnect from unknown[{NAT}] ehlo=1 auth=0/2 commands=1/3"),
            *nat_try(11, 802, "LOGIN"),
            disconnect(14, 802, 2, ip=NAT),
        ]
    )
    assert counted_after_each(lines)[-1] == (lines[-1], 3)


def test_a_connection_whose_disconnect_line_is_lost_keeps_no_try_waiting() -> None:
    # 801's disconnect line is lost and its process serves another client next; the
    # address's next connection makes one try only PAM's line tells (the bot leaves in
    # the failure delay): it counts when that connection ends, not a minute later.
    other = "198.51.100.20"
    lines = [
        smtpd(0, 801, f"connect from unknown[{IP}]"),
        pam(1),
        sasl(3, 801, "PLAIN"),
        smtpd(5, 801, f"connect from unknown[{other}]"),
        smtpd(6, 801, f"disconnect from unknown[{other}] ehlo=1 quit=1 commands=2"),
        smtpd(10, 802, f"connect from unknown[{IP}]"),
        pam(11),
        smtpd(12, 802, f"lost connection after AUTH from unknown[{IP}]"),
        disconnect(12, 802, 1),
    ]
    seen = counted_after_each(lines)
    assert seen[-1] == (lines[-1], 2)


FLOOD = """
from mailwarden.detect import Detector, sessions
from mailwarden.framing import Framer
from mailwarden.parsers import parse
from mailwarden.sources.interface import Chunk


def iso(us):
    s, u = divmod(us, 1_000_000)
    return f"2026-11-28T10:{s // 60:02d}:{s % 60:02d}.{u:06d}+00:00"


addresses = [f"2001:db8::{i:x}" for i in range(200)]
lines = [
    f"{iso(0)} mx postfix/submission/smtpd[{1000 + i}]: warning: unknown[{a}]: SASL PLAIN "
    "authentication failed: (reason unavailable), sasl_username=bob"
    for i, a in enumerate(addresses)
]
lines += [
    f"{iso(20_000 * (j + 1))} mx auth: pam_unix(dovecot:auth): authentication failure; "
    f"logname= uid=0 euid=0 tty=dovecot ruser=bob rhost={addresses[j % 200]}  user=bob"
    for j in range(9000)
]
looked = 0
release = sessions.SessionTracker._release


def counted(self, ip, before=None):
    global looked
    looked += 1
    release(self, ip, before)


sessions.SessionTracker._release = counted
detector = Detector(keep_history=False)
framer = Framer(split_pasted=False)
data = ("\\n".join(lines) + "\\n").encode()
for record in framer.frame_chunk(Chunk("flood", data, 1, 0)):
    for event in parse(record):
        detector.feed(event)
detector.close()
print(detector.stats["failures_counted"], looked)
"""


def test_a_flood_of_waiting_lines_looks_at_each_address_only_when_its_lines_are_due(
    tmp_path: Path,
) -> None:
    # A bot's 200 addresses, each with a failing smtpd session, then PAM lines of them at
    # 50 a second for 3 minutes (rsyslog's microsecond stamps): each waits for Postfix's
    # line. Each new second looked at every address's waiting lines (and a line exactly a
    # minute old was never due), so analyze took 3 minutes on a 20 MB log of this; the
    # addresses looked at are now those of the lines due, about one per line. Counted in
    # a pure-Python copy, whose methods can be wrapped.
    env = {**os.environ, "PYTHONPATH": str(pure_copy(tmp_path)), "MAILWARDEN_PURE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", FLOOD], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    failures, looked = map(int, done.stdout.split())
    assert failures == 200 + 9000
    assert looked <= 9000 + 2 * 200


def test_a_mechanism_not_offered_takes_no_try_waiting_for_postfix_s_line() -> None:
    # One submission connection asks for a mechanism not offered every few seconds
    # (accounted, no guess) while the address's IMAP guesses hang up in the failure delay
    # (PAM's line is all that counts them). PAM's line waits for Postfix's line of its
    # try while the connection is open; the next refusal of the mechanism is not that
    # line, nor is its connection failing a password: five guesses, banned.
    lines = []
    for n in range(5):
        t, pid = 60 * n, 701 + 2 * n
        xfoo = f"warning: unknown[{IP}]: SASL XFOO authentication failed: Invalid authentication mechanism"
        lines += [
            smtpd(t, pid, f"connect from unknown[{IP}]"),
            smtpd(t, pid, xfoo),
            pam(t + 1),
            smtpd(t + 2, pid, xfoo),
            f"{stamp(t + 3)} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<bob>, method=PLAIN, rip={IP}, lip=192.0.2.254, TLS, session=<H{n:02d}abcdefghijklm>",
            disconnect(t + 4, pid, 2),
        ]
    bans, failures = bans_and_failures(lines)
    assert failures == 5
    assert bans
