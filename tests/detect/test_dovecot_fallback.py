# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A mail program whose password is wrong may try it by each mechanism it knows (CRAM-MD5,
then PLAIN, then LOGIN) in one connection. With ``auth_verbose = yes`` Dovecot's auth
process logs one failure per mechanism tried: three guesses, fast brute force (3 within a
minute), and the user's own address banned. As for Postfix (test_mechanism_fallback.py),
the same name refused again by a new mechanism is not another guess; a bot repeating one
mechanism is counted each time, and no session hides more than two tries.

The Dovecot 2.3 lines are real (Dovecot 2.3.19.1 in the lab of tests/e2e, driven by
imaplib's AUTHENTICATE; the test in tests/e2e/test_dovecot_fallback_e2e.py plays it
again): 2.3 names the mechanism only when the mechanism checked the password
(``cram-md5(…)``); PLAIN and LOGIN both show as ``passwd-file(…)``. The Dovecot 2.4 lines
follow the formats of the shared reference (§4.1, §4.2: ``auth(user,ip,sasl:mech)<session>:
Info: db: message``, ``Login aborted: … (auth_failed)``), with the mechanism in each.
"""

from __future__ import annotations

import random
from collections import Counter

from mailwarden.detect import Detector, analyze
from mailwarden.detect.sessions import MAX_FALLBACKS, SessionTracker
from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse
from sasllines import smtpd_tries

BOB = "bob@lab.example"
PHONE23 = "192.0.2.10"
FRANK = "frank@example.com"
PHONE = "198.51.100.81"
BOT = "203.0.113.66"


def events_from(text: str) -> list[Event]:
    framer = Framer(year=2026)
    events: list[Event] = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        for record in framer.frame_line(line.strip(), "dovecot.log", number, 0):
            events.extend(parse(record))
    return events


def bans(text: str) -> set[str]:
    detector = Detector(keep_history=False)
    return {d.ip for e in events_from(text) for d in detector.feed(e) if d.recommendation == "ban"}


def failures(text: str) -> dict[str, int]:
    """Failed guesses per attacker, as ``analyze`` reports them."""
    return {a.ip: a.failures for a in analyze(events_from(text)).attackers}


def counted(text: str) -> Counter[str | None]:
    """New failed attempts per client address, as the detector's session layer counts them
    (also for clients not judged attackers)."""
    tracker = SessionTracker()
    per_ip: Counter[str | None] = Counter()
    for event in events_from(text):
        session, new = tracker.feed(event)
        if new:
            per_ip[event.ip or (session.ip if session else None)] += new
        for waited in tracker.released:  # lines that waited for Postfix's, counted now
            per_ip[waited.ip] += 1
        tracker.released.clear()
    tracker.close_all()
    for waited in tracker.released:
        per_ip[waited.ip] += 1
    return per_ip


# -- Dovecot 2.3.19.1, real ---------------------------------------------------------------

REAL_23_FALLBACK = """
Nov 29 11:00:54 auth: Info: cram-md5(bob@lab.example,192.0.2.10,<EEEMNWhhPuLAAAIK>): Password mismatch
Nov 29 11:01:00 auth: Info: passwd-file(bob@lab.example,192.0.2.10,<EEEMNWhhPuLAAAIK>): Password mismatch
Nov 29 11:01:10 auth: Info: passwd-file(bob@lab.example,192.0.2.10,<EEEMNWhhPuLAAAIK>): Password mismatch
Nov 29 11:01:12 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 3 attempts in 18 secs): user=<bob@lab.example>, method=LOGIN, rip=192.0.2.10, lip=192.0.2.1, session=<EEEMNWhhPuLAAAIK>
"""
"""One wrong password by CRAM-MD5, PLAIN and LOGIN on one connection."""

REAL_23_BOTS = """
Nov 29 11:00:54 auth: Info: passwd-file(bob@lab.example,192.0.2.66,<KDwMNWhhDIvAAAJC>): Password mismatch
Nov 29 11:00:54 auth: Info: passwd-file(alice@lab.example,192.0.2.103,<ojkMNWhhBJTAAAJn>): Password mismatch
Nov 29 11:01:00 auth: Info: passwd-file(bob@lab.example,192.0.2.66,<KDwMNWhhDIvAAAJC>): Password mismatch
Nov 29 11:01:00 auth: Info: passwd-file(alice@lab.example,192.0.2.103,<ojkMNWhhBJTAAAJn>): Password mismatch
Nov 29 11:01:10 auth: Info: passwd-file(bob@lab.example,192.0.2.66,<KDwMNWhhDIvAAAJC>): Password mismatch
Nov 29 11:01:10 auth: Info: passwd-file(alice@lab.example,192.0.2.103,<ojkMNWhhBJTAAAJn>): Password mismatch
Nov 29 11:01:12 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 3 attempts in 18 secs): user=<alice@lab.example>, method=PLAIN, rip=192.0.2.103, lip=192.0.2.1, session=<ojkMNWhhBJTAAAJn>
Nov 29 11:01:12 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 3 attempts in 18 secs): user=<bob@lab.example>, method=PLAIN, rip=192.0.2.66, lip=192.0.2.1, session=<KDwMNWhhDIvAAAJC>
"""
"""Three passwords by AUTHENTICATE PLAIN (192.0.2.103) and by IMAP LOGIN, which Dovecot
runs as PLAIN (192.0.2.66), each on one connection."""


def test_dovecot_23_fallback_of_a_real_client_is_not_a_fast_brute_force() -> None:
    # 2.3 does not tell PLAIN from LOGIN (both passwd-file): CRAM-MD5, then a plaintext
    # mechanism is one guess; the second plaintext try may repeat the first, so it counts.
    assert counted(REAL_23_FALLBACK) == {PHONE23: 2}
    assert bans(REAL_23_FALLBACK) == set()
    assert PHONE23 not in failures(REAL_23_FALLBACK)


def test_dovecot_23_cram_md5_then_plain_is_one_guess() -> None:
    two = "\n".join(
        line
        for line in REAL_23_FALLBACK.strip().splitlines()
        if not line.startswith("Nov 29 11:01:10")
    ).replace("3 attempts in 18 secs", "2 attempts in 8 secs")
    assert counted(two) == {PHONE23: 1}


def test_dovecot_23_bots_repeating_plain_are_counted_each_time() -> None:
    assert counted(REAL_23_BOTS) == {"192.0.2.66": 3, "192.0.2.103": 3}
    assert bans(REAL_23_BOTS) == {"192.0.2.66", "192.0.2.103"}


def test_without_auth_lines_the_attempts_of_a_login_line_count_each() -> None:
    # auth_verbose = no (Dovecot's default): the login line names the last mechanism only;
    # the others are unknown, so N attempts stay N guesses.
    login_only = REAL_23_FALLBACK.strip().splitlines()[-1]
    assert counted(login_only) == {PHONE23: 3}
    assert bans(login_only) == {PHONE23}


# -- Dovecot 2.4, formats of the reference ------------------------------------------------


def session24(
    sid: str, ip: str, user: str, tries: list[str], start: int = 0, outcome: str = ""
) -> str:
    """One IMAP connection of Dovecot 2.4: an auth line per failed mechanism try, then the
    login process's line (``outcome`` = a ``Logged in`` line instead, after a right try)."""
    lines = []
    second = start
    for mechanism in tries:
        second += 4
        db = "cram-md5" if mechanism == "cram-md5" else "passwd-file"
        lines.append(
            f"Nov 29 11:{second // 60:02d}:{second % 60:02d} auth({user},{ip},sasl:{mechanism})"
            f"<{sid}>: Info: {db}: Password mismatch"
        )
    second += 2
    stamp = f"Nov 29 11:{second // 60:02d}:{second % 60:02d}"
    if outcome == "logged in":
        lines.append(
            f"{stamp} imap-login: Info: Logged in: user=<{user}>, method=PLAIN, rip={ip}, "
            f"lip=192.0.2.1, mpid=4711, TLS, session=<{sid}>"
        )
    else:
        lines.append(
            f"{stamp} imap-login: Info: Login aborted: Logged out (auth failed, {len(tries)} "
            f"attempts in {second - start} secs) (auth_failed): user=<{user}>, "
            f"method={tries[-1].upper()}, rip={ip}, lip=192.0.2.1, TLS, session=<{sid}>"
        )
    return "\n".join(lines)


FALLBACK = ["cram-md5", "plain", "login"]


def test_dovecot_24_fallback_of_a_real_client_is_one_failure() -> None:
    log = "\n".join(
        (
            session24("Cd5NQ2kiUtjGZAvZ", PHONE, FRANK, FALLBACK),
            session24("Cd5NQ2kiVtjGZAvZ", PHONE, FRANK, [], start=40, outcome="logged in"),
        )
    )
    assert counted(log) == {PHONE: 1}
    assert bans(log) == set()
    assert not analyze(events_from(log)).compromised


def test_dovecot_24_fallback_and_one_more_wrong_password_are_two() -> None:
    log = "\n".join(
        (
            session24("Cd5NQ2kiUtjGZAvZ", PHONE, FRANK, FALLBACK),
            session24("Cd5NQ2kiWtjGZAvZ", PHONE, FRANK, ["plain"], start=20),
        )
    )
    assert counted(log) == {PHONE: 2}
    assert bans(log) == set()


def test_dovecot_24_three_wrong_passwords_by_three_mechanisms_each_are_three() -> None:
    log = "\n".join(
        session24(f"Cd5NQ2kiXtjGZAv{n}", PHONE, FRANK, FALLBACK, start=15 * n) for n in range(3)
    )
    assert counted(log) == {PHONE: 3}
    assert bans(log) == {PHONE}


def test_dovecot_24_bot_repeating_plain_is_counted_each_time() -> None:
    log = session24("Bt5NQ2kiUtjGZAvZ", BOT, FRANK, ["plain"] * 8)
    assert failures(log) == {BOT: 8}
    assert bans(log) == {BOT}


def test_dovecot_24_bot_rotating_mechanisms_gains_two_tries_at_most() -> None:
    log = session24("Bt5NQ2kiUtjGZAvZ", BOT, FRANK, FALLBACK * 3)
    assert failures(log) == {BOT: 7}


def test_dovecot_24_bot_rotating_names_and_mechanisms_gains_two_tries_at_most() -> None:
    # Each name by PLAIN, then by LOGIN: a fallback for each name would hide half.
    lines = []
    for n in range(5):
        lines += session24(
            "Bt5NQ2kiUtjGZAvZ", BOT, f"user{n}@example.com", ["plain", "login"], start=10 * n
        ).splitlines()[:-1]
    lines.append(
        "Nov 29 11:01:00 imap-login: Info: Login aborted: Logged out (auth failed, 10 attempts "
        "in 52 secs) (auth_failed): user=<user4@example.com>, method=LOGIN, rip=203.0.113.66, "
        "lip=192.0.2.1, TLS, session=<Bt5NQ2kiUtjGZAvZ>"
    )
    log = "\n".join(sorted(lines))
    assert failures(log) == {BOT: 8}


def test_dovecot_24_a_protocol_error_is_no_fallback() -> None:
    # A name with characters auth_username_chars refuses: no password was checked, the
    # next try is a guess of its own.
    log = """
Nov 29 11:00:04 auth(frank@example.com,198.51.100.81,sasl:plain)<Cd5NQ2kiUtjGZAvZ>: Info: passwd-file: Password mismatch
Nov 29 11:00:08 auth(frank@example.com,198.51.100.81,sasl:login)<Cd5NQ2kiUtjGZAvZ>: Info: login: Username character disallowed by auth_username_chars: 0x2c (username: frank@example.com)
Nov 29 11:00:10 imap-login: Info: Login aborted: Logged out (auth failed, 2 attempts in 6 secs) (auth_failed): user=<frank@example.com>, method=LOGIN, rip=198.51.100.81, lip=192.0.2.1, TLS, session=<Cd5NQ2kiUtjGZAvZ>
"""
    assert counted(log) == {PHONE: 2}


# -- Postfix's SASL through Dovecot: auth lines without a session id ----------------------


def postfix_session(
    ip: str, user: str, start: int, pid: int, tries: list[str], names: bool = True
) -> str:
    """One SMTP session on Postfix 3.9's submission with Dovecot SASL (auth_verbose = yes,
    Dovecot 2.4: its auth lines carry no session id, Postfix sends none): an AUTH per
    mechanism of ``tries``, each refused. ``names``: Postfix logs ``sasl_username=`` (3.9,
    3.8.3, 3.7.8 and later)."""
    lines = [
        f"Nov 29 11:{start // 60:02d}:{start % 60:02d} mx postfix/submission/smtpd[{pid}]: "
        f"connect from unknown[{ip}]"
    ]
    second = start
    for mechanism in tries:
        second += 3
        stamp = f"Nov 29 11:{second // 60:02d}:{second % 60:02d} mx"
        db = "cram-md5" if mechanism == "CRAM-MD5" else "passwd-file"
        lines.append(
            f"{stamp} dovecot: auth({user},{ip},sasl:{mechanism.lower()}): Info: {db}: Password mismatch"
        )
        tail = f", sasl_username={user}" if names else ""
        lines.append(
            f"{stamp} postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL "
            f"{mechanism} authentication failed: (reason unavailable){tail}"
        )
    second += 1
    n = len(tries)
    lines.append(
        f"Nov 29 11:{second // 60:02d}:{second % 60:02d} mx postfix/submission/smtpd[{pid}]: "
        f"disconnect from unknown[{ip}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}"
    )
    return "\n".join(lines)


MECHANISMS = ["CRAM-MD5", "PLAIN", "LOGIN"]


def test_postfix_through_dovecot_fallback_is_one_failure() -> None:
    log = postfix_session(PHONE, FRANK, 0, 4001, MECHANISMS)
    assert counted(log) == {PHONE: 1}
    assert bans(log) == set()


def test_postfix_before_39_through_dovecot_fallback_is_one_failure() -> None:
    # Without sasl_username=, Dovecot's auth lines still name the account.
    log = postfix_session(PHONE, FRANK, 0, 4001, MECHANISMS, names=False)
    assert counted(log) == {PHONE: 1}
    assert bans(log) == set()


def test_postfix_through_dovecot_three_sessions_of_fallback_are_three() -> None:
    log = "\n".join(postfix_session(PHONE, FRANK, 15 * n, 4001 + n, MECHANISMS) for n in range(3))
    assert counted(log) == {PHONE: 3}
    assert bans(log) == {PHONE}


def test_postfix_through_dovecot_bot_repeating_plain_is_counted_each_time() -> None:
    log = "\n".join(postfix_session(BOT, FRANK, 5 * n, 5000 + n, ["PLAIN"]) for n in range(6))
    assert failures(log) == {BOT: 6}
    one_session = postfix_session(BOT, FRANK, 0, 5000, ["PLAIN"] * 6)
    assert failures(one_session) == {BOT: 6}


def test_postfix_through_dovecot_bot_rotating_mechanisms_gains_two_tries_at_most() -> None:
    log = postfix_session(BOT, FRANK, 0, 4001, MECHANISMS * 3)
    assert failures(log) == {BOT: 7}


def test_postfix_through_dovecot_22_cram_md5_then_plain_is_one_guess() -> None:
    # Dovecot 2.2's CRAM-MD5 wrote "password mismatch" in lower case (its passdb wrote
    # "Password mismatch"): refused all the same, so the PLAIN try after it is the
    # same password again.
    log = """
Nov 29 11:00:00 mx postfix/submission/smtpd[4001]: connect from unknown[198.51.100.81]
Nov 29 11:00:03 mx dovecot: auth: cram-md5(frank@example.com,198.51.100.81): password mismatch
Nov 29 11:00:03 mx postfix/submission/smtpd[4001]: warning: unknown[198.51.100.81]: SASL CRAM-MD5 authentication failed: UGFzc3dvcmQ6
Nov 29 11:00:06 mx dovecot: auth: passwd-file(frank@example.com,198.51.100.81): Password mismatch
Nov 29 11:00:06 mx postfix/submission/smtpd[4001]: warning: unknown[198.51.100.81]: SASL PLAIN authentication failed: UGFzc3dvcmQ6
Nov 29 11:00:07 mx postfix/submission/smtpd[4001]: disconnect from unknown[198.51.100.81] ehlo=1 auth=0/2 quit=1 commands=2/4
"""
    assert counted(log) == {PHONE: 1}


def postfix_session_23(ip: str, user: str, start: int, pid: int, tries: list[str]) -> str:
    """As `postfix_session`, with Dovecot 2.3's auth lines (auth_verbose = yes, Debian
    12's 2.3.19): the passdb checked the password and the line names no mechanism
    (``auth: passwd-file(user,ip): Password mismatch``, PLAIN and LOGIN alike)."""
    text = postfix_session(ip, user, start, pid, tries)
    for mechanism in ("plain", "login"):
        text = text.replace(
            f"dovecot: auth({user},{ip},sasl:{mechanism}): Info: passwd-file: Password mismatch",
            f"dovecot: auth: passwd-file({user},{ip}): Password mismatch",
        )
    assert "sasl:plain" not in text and "sasl:login" not in text
    return text


def test_postfix_through_dovecot_23_plain_then_login_is_one_guess() -> None:
    # A mail program retrying its one wrong password by LOGIN after PLAIN, eight times:
    # the 2.3 auth line of the second try cannot say it is LOGIN, Postfix's line of it
    # can (eight guesses, as without the auth lines; sixteen, a fast brute force, before).
    log = "\n".join(
        postfix_session_23(PHONE, FRANK, 60 * n, 4100 + n, ["PLAIN", "LOGIN"]) for n in range(8)
    )
    without = "\n".join(line for line in log.splitlines() if "dovecot: auth:" not in line)
    assert failures(without) == {PHONE: 8}
    assert failures(log) == {PHONE: 8}


def test_postfix_through_dovecot_23_bot_repeating_plain_is_counted_each_time() -> None:
    log = postfix_session_23(BOT, FRANK, 0, 5000, ["PLAIN"] * 6)
    assert failures(log) == {BOT: 6}


def test_postfix_through_dovecot_23_another_name_by_login_is_another_guess() -> None:
    # PLAIN as one account, then LOGIN as another: no fallback, two guesses.
    log = """
Nov 29 11:00:00 mx postfix/submission/smtpd[5100]: connect from unknown[203.0.113.66]
Nov 29 11:00:03 mx dovecot: auth: passwd-file(alice@example.com,203.0.113.66): Password mismatch
Nov 29 11:00:03 mx postfix/submission/smtpd[5100]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice@example.com
Nov 29 11:00:06 mx dovecot: auth: passwd-file(bob@example.com,203.0.113.66): Password mismatch
Nov 29 11:00:06 mx postfix/submission/smtpd[5100]: warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=bob@example.com
Nov 29 11:00:07 mx postfix/submission/smtpd[5100]: disconnect from unknown[203.0.113.66] ehlo=1 auth=0/2 quit=1 commands=2/4
"""
    assert counted(log) == {BOT: 2}


def test_postfix_through_dovecot_23_fallbacks_behind_one_nat_address_are_one_guess_each() -> None:
    # Two mail programs of one office behind one NAT address, each retrying the stale
    # password by LOGIN after PLAIN, on overlapping connections: when the first one
    # ended, the address was forgotten, and the 2.3 auth line of the second one's LOGIN
    # try counted (12 for 8, as if 3 wrong passwords a minute).
    log = "\n".join(
        sorted(
            (
                line
                for n in range(4)
                for start, pid in ((60 * n, 4200 + 2 * n), (60 * n + 1, 4201 + 2 * n))
                for line in postfix_session_23(
                    PHONE, FRANK, start, pid, ["PLAIN", "LOGIN"]
                ).splitlines()
            ),
            key=lambda line: line[:15],
        )
    )
    without = "\n".join(line for line in log.splitlines() if "dovecot: auth:" not in line)
    assert failures(without) == {PHONE: 8}
    assert failures(log) == {PHONE: 8}


# -- Postfix's SASL through Dovecot 2.4 behind one NAT address ----------------------------


def one_log(minutes: int, *connections: list[tuple[int, str]]) -> str:
    """The connections' lines in time order (a stable sort: lines of one second keep the
    order given), once a minute for ``minutes`` minutes."""
    timed = sorted((line for lines in connections for line in lines), key=lambda line: line[0])
    return "\n".join(
        f"Nov 29 11:{n:02d}:{second:02d} {text}" for n in range(minutes) for second, text in timed
    )


OFFICE = "203.0.113.7"


def phones_behind_nat(
    first: str,
    second: str,
    names: bool = True,
    dovecot: bool = True,
    minutes: int = 4,
    joins: int = 1,
) -> str:
    """Two mail programs behind one NAT address with a stale password, on overlapping
    connections (the second connects at second ``joins``): each tries it by PLAIN, then
    by LOGIN, once a minute."""
    return one_log(
        minutes,
        smtpd_tries(OFFICE, 0, 701, [(2, "PLAIN", first), (8, "LOGIN", first)], 11, names, dovecot),
        smtpd_tries(
            OFFICE, joins, 702, [(5, "PLAIN", second), (12, "LOGIN", second)], 15, names, dovecot
        ),
    )


def test_postfix_through_dovecot_24_fallbacks_behind_one_nat_address_are_one_guess_each() -> None:
    # Both connections' auth lines made one run of the address: the second phone's LOGIN
    # try was by then no new mechanism for the name, and counted (12 for 8, and a fast
    # brute-force ban); Postfix's lines of each session tell each fallback.
    log = phones_behind_nat(BOB, BOB)
    assert counted(phones_behind_nat(BOB, BOB, dovecot=False)) == {OFFICE: 8}
    assert counted(log) == {OFFICE: 8}
    assert bans(phones_behind_nat(BOB, BOB, minutes=1)) == set()


def test_a_connect_of_the_address_does_not_mix_the_tries_of_an_open_connection() -> None:
    # Two accounts: the second phone's connect, after the first phone's PLAIN try, began
    # a new run of the address, and the first phone's LOGIN try counted as a guess.
    log = phones_behind_nat(BOB, FRANK, joins=3)
    assert counted(phones_behind_nat(BOB, FRANK, dovecot=False, joins=3)) == {OFFICE: 8}
    assert counted(log) == {OFFICE: 8}
    assert bans(phones_behind_nat(BOB, FRANK, minutes=1, joins=3)) == set()


def test_postfix_before_39_behind_one_nat_address_fallbacks_are_one_guess_each() -> None:
    # Without sasl_username=, Dovecot's auth line names the account; Postfix's line of its
    # try, seconds later, names the session: one try of the address under way at a time,
    # so each is its session's (12 for 8 before, 16 without the auth lines).
    assert counted(phones_behind_nat(BOB, BOB, names=False, dovecot=False)) == {OFFICE: 16}
    assert counted(phones_behind_nat(BOB, BOB, names=False)) == {OFFICE: 8}
    assert counted(phones_behind_nat(BOB, FRANK, names=False, joins=3)) == {OFFICE: 8}


def phones_at_once(minutes: int, first: str = BOB, second: str = BOB) -> str:
    """Two mail programs behind one NAT address with a stale password, before Postfix 3.9,
    whose tries are under way at once: each tries it by PLAIN, then by LOGIN, a second
    after the other, once a minute."""
    return one_log(
        minutes,
        smtpd_tries(OFFICE, 0, 701, [(2, "PLAIN", first), (8, "LOGIN", first)], 11, names=False),
        smtpd_tries(OFFICE, 1, 702, [(3, "PLAIN", second), (9, "LOGIN", second)], 12, names=False),
    )


def test_postfix_before_39_overlapping_tries_of_one_account_behind_nat_are_one_guess_each() -> None:
    # Both connections' tries under way at once: whose auth line was whose was not
    # known, so every try counted (16 for 8, two phones banned in their first minute).
    # Every line a try may be of names the same account: that is its account.
    assert counted(phones_at_once(4)) == {OFFICE: 8}
    assert failures(phones_at_once(4)) == {OFFICE: 8}
    assert bans(phones_at_once(1)) == set()


def test_overlapping_tries_of_two_accounts_by_one_mechanism_behind_nat_count_each() -> None:
    # Two accounts' PLAIN tries under way at once, then their LOGIN tries: which auth
    # line Postfix answered first is not known, so each try counts (two where there was
    # one, never less).
    assert counted(phones_at_once(4, BOB, FRANK)) == {OFFICE: 16}


def test_a_phone_s_login_retry_beside_another_phone_s_plain_try_is_one_guess() -> None:
    # Behind one NAT address, one phone retries its stale password by LOGIN while the
    # other phone's first try, by PLAIN, of another account, is under way: the LOGIN
    # try's auth line is the only one by LOGIN, so it is that try's, and the PLAIN try's
    # the only one by PLAIN. Neither was known, and every try counted (16 for 8, and a
    # ban of the office in the first minute).
    def office(minutes: int) -> str:
        return one_log(
            minutes,
            smtpd_tries(OFFICE, 0, 701, [(2, "PLAIN", BOB), (8, "LOGIN", BOB)], 11, names=False),
            smtpd_tries(
                OFFICE, 1, 702, [(9, "PLAIN", FRANK), (15, "LOGIN", FRANK)], 18, names=False
            ),
        )

    assert counted(office(4)) == {OFFICE: 8}
    assert bans(office(1)) == set()


def bot_in_parallel(names: bool, later: int) -> str:
    """A bot's two overlapping connections from one address, each trying one name by PLAIN,
    then another by LOGIN, the other connection's first: no try is a fallback. The second
    connection tries ``later`` seconds after the first (3 or more: one try under way at a
    time)."""
    return one_log(
        1,
        smtpd_tries(BOT, 0, 801, [(2, "PLAIN", BOB), (9, "LOGIN", FRANK)], 13, names),
        smtpd_tries(
            BOT, 1, 802, [(2 + later, "PLAIN", FRANK), (9 + later, "LOGIN", BOB)], 14, names
        ),
    )


def test_a_bot_s_parallel_connections_get_no_free_tries() -> None:
    # Their auth lines made one run: BOB by PLAIN, FRANK by PLAIN, BOB by LOGIN, FRANK by
    # LOGIN read as two fallbacks (2 for 4).
    for later in (1, 3):
        assert counted(bot_in_parallel(True, later)) == {BOT: 4}, later
        assert counted(bot_in_parallel(False, later)) == {BOT: 4}, later


def test_a_bot_s_tries_answered_in_another_order_get_no_free_tries() -> None:
    # Dovecot answers the failures it holds at once (its failure delay), so Postfix's
    # line of a later try may come first: FRANK's PLAIN try (802) is answered before
    # BOB's (801). Pairing each Postfix line with the oldest auth line of its mechanism
    # would give each connection the other's name, and take its LOGIN try of that name
    # for a fallback (2 for 4); by two accounts' lines under way, each try counts.
    log = """
Nov 29 11:00:00 mx postfix/submission/smtpd[801]: connect from unknown[203.0.113.66]
Nov 29 11:00:01 mx postfix/submission/smtpd[802]: connect from unknown[203.0.113.66]
Nov 29 11:00:02 mx dovecot: auth(bob@lab.example,203.0.113.66,sasl:plain): Info: passwd-file: Password mismatch
Nov 29 11:00:03 mx dovecot: auth(frank@example.com,203.0.113.66,sasl:plain): Info: passwd-file: Password mismatch
Nov 29 11:00:05 mx postfix/submission/smtpd[802]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable)
Nov 29 11:00:05 mx postfix/submission/smtpd[801]: warning: unknown[203.0.113.66]: SASL PLAIN authentication failed: (reason unavailable)
Nov 29 11:00:08 mx dovecot: auth(frank@example.com,203.0.113.66,sasl:login): Info: passwd-file: Password mismatch
Nov 29 11:00:09 mx dovecot: auth(bob@lab.example,203.0.113.66,sasl:login): Info: passwd-file: Password mismatch
Nov 29 11:00:11 mx postfix/submission/smtpd[801]: warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: (reason unavailable)
Nov 29 11:00:11 mx postfix/submission/smtpd[802]: warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: (reason unavailable)
Nov 29 11:00:12 mx postfix/submission/smtpd[801]: disconnect from unknown[203.0.113.66] ehlo=1 auth=0/2 quit=1 commands=2/4
Nov 29 11:00:12 mx postfix/submission/smtpd[802]: disconnect from unknown[203.0.113.66] ehlo=1 auth=0/2 quit=1 commands=2/4
"""
    assert counted(log) == {BOT: 4}
    assert bans(log) == {BOT}


def test_a_name_by_login_on_another_connection_is_another_guess() -> None:
    # The second connection opened before the first's try: BOB by LOGIN on it is no
    # fallback of BOB by PLAIN on the first.
    for names in (True, False):
        log = one_log(
            1,
            smtpd_tries(BOT, 0, 801, [(2, "PLAIN", BOB)], 20, names),
            smtpd_tries(BOT, 1, 802, [(6, "LOGIN", BOB)], 21, names),
        )
        assert counted(log) == {BOT: 2}, names


def test_a_bot_connecting_while_a_connection_tries_gets_no_free_try() -> None:
    # A connect of the address began a new run: FRANK by PLAIN on the new connection,
    # then FRANK by LOGIN on the first read as a fallback.
    for names in (True, False):
        log = one_log(
            1,
            smtpd_tries(BOT, 0, 801, [(2, "PLAIN", BOB), (9, "LOGIN", FRANK)], 20, names),
            smtpd_tries(BOT, 4, 802, [(5, "PLAIN", FRANK)], 21, names),
        )
        assert counted(log) == {BOT: 3}, names


def test_a_bot_s_parallel_connections_repeating_plain_count_each_try() -> None:
    log = one_log(
        1,
        smtpd_tries(BOT, 0, 801, [(2 + 6 * n, "PLAIN", BOB) for n in range(4)], 30),
        smtpd_tries(BOT, 1, 802, [(5 + 6 * n, "PLAIN", BOB) for n in range(4)], 31),
    )
    assert counted(log) == {BOT: 8}
    assert bans(log) == {BOT}


def test_one_connection_s_fallback_still_one_guess_when_another_connection_ended() -> None:
    # The address's earlier connection is over when this one connects: its run is new.
    log = one_log(
        1,
        smtpd_tries(PHONE, 0, 901, [(2, "PLAIN", FRANK)], 5, names=False),
        smtpd_tries(PHONE, 6, 902, [(8, "PLAIN", FRANK), (12, "LOGIN", FRANK)], 16, names=False),
    )
    assert counted(log) == {PHONE: 2}


def test_a_bot_s_tries_at_once_on_two_connections_are_two_guesses() -> None:
    # Both auth lines before either Postfix line: the address's run took the second for
    # a fallback, and Postfix's line of it, of another session, counted nothing.
    for names in (True, False):
        log = one_log(
            1,
            smtpd_tries(BOT, 0, 801, [(2, "PLAIN", BOB)], 20, names),
            smtpd_tries(BOT, 1, 802, [(2, "LOGIN", BOB)], 21, names),
        )
        assert counted(log) == {BOT: 2}, names


def test_dovecot_22_imap_fallback_without_session_ids_in_auth_lines_is_one_guess() -> None:
    # No Postfix here: the login process's line of the connection counts the tries its
    # auth lines (without a session id) told, the fallback not.
    log = """
Nov 29 11:00:04 mx dovecot: auth: cram-md5(frank@example.com,198.51.100.81): password mismatch
Nov 29 11:00:08 mx dovecot: auth: passwd-file(frank@example.com,198.51.100.81): Password mismatch
Nov 29 11:00:10 mx dovecot: imap-login: Disconnected (auth failed, 2 attempts in 8 secs): user=<frank@example.com>, method=PLAIN, rip=198.51.100.81, lip=192.0.2.1, TLS, session=<Cd5NQ2kiUtjGZAvZ>
"""
    assert counted(log) == {PHONE: 1}


def fewest_guesses(tries: list[tuple[int, str, str]]) -> int:
    """The guesses of one connection's tries at least: a name refused before in it, by a
    new mechanism, may be a fallback, :data:`MAX_FALLBACKS` of them a connection."""
    tried: dict[str, list[str]] = {}
    fallbacks = guesses = 0
    for _second, mechanism, user in tries:
        used = tried.setdefault(user, [])
        if used and mechanism not in used and fallbacks < MAX_FALLBACKS:
            fallbacks += 1
        else:
            guesses += 1
        if mechanism not in used:
            used.append(mechanism)
    return guesses


def test_connections_of_one_address_never_count_fewer_guesses_than_they_made() -> None:
    # Random overlapping connections of one address (a bot's, or an office's behind NAT),
    # each trying names by mechanisms: whatever the log cannot tell, no connection's tries
    # count fewer than that connection alone could hide.
    rng = random.Random(24)
    exact = 0
    for _ in range(400):
        names = rng.random() < 0.5
        connections = []
        least = 0
        for pid in range(800, 800 + rng.randint(1, 4)):
            start = second = rng.randint(0, 10)
            tries = []
            for _try in range(rng.randint(1, 4)):
                second += rng.randint(1, 6)
                mechanism = rng.choice(["PLAIN", "LOGIN", "CRAM-MD5"])
                tries.append((second, mechanism, rng.choice([BOB, FRANK])))
                second += 2
            connections.append(
                smtpd_tries(BOT, start, pid, tries, second + rng.randint(0, 3), names)
            )
            least += fewest_guesses(tries)
        rng.shuffle(connections)  # which of two lines of one second comes first
        got = counted(one_log(1, *connections))[BOT]
        assert got >= least, one_log(1, *connections)
        exact += got == least
    # And mostly, what the log tells is all: 352 of 400 (275 when tries under way at
    # once counted each, also of one account or of two mechanisms).
    assert exact > 330


def test_tries_answered_in_any_order_never_count_fewer_guesses_than_made() -> None:
    # As above, but Postfix's line of a try comes 0 to 4 seconds after Dovecot's (its
    # failure delay answers the failures it holds at once; a Postfix process may write
    # later), so a try's Postfix line may come before that of an earlier try of another
    # connection: no order of the answers gains a connection a try.
    rng = random.Random(7)
    for _ in range(400):
        names = rng.random() < 0.5
        timed: list[tuple[float, str]] = []
        least = 0
        for pid in range(800, 800 + rng.randint(1, 5)):
            smtpd = f"mx postfix/submission/smtpd[{pid}]"
            when = rng.uniform(0, 10)
            timed.append((when, f"{smtpd}: connect from unknown[{BOT}]"))
            tries = []
            for _try in range(rng.randint(1, 4)):
                when += rng.uniform(0.01, 5)
                mechanism = rng.choice(["PLAIN", "LOGIN", "CRAM-MD5"])
                user = rng.choice([BOB, FRANK, "carol@example.com"])
                tries.append((0, mechanism, user))
                timed.append(
                    (
                        when,
                        f"mx dovecot: auth({user},{BOT},sasl:{mechanism.lower()}): Info: passwd-file: Password mismatch",
                    )
                )
                when += rng.uniform(0.01, 4)
                tail = f", sasl_username={user}" if names else ""
                timed.append(
                    (
                        when,
                        f"{smtpd}: warning: unknown[{BOT}]: SASL {mechanism} authentication failed: (reason unavailable){tail}",
                    )
                )
            n = len(tries)
            timed.append(
                (
                    when + rng.uniform(0.01, 3),
                    f"{smtpd}: disconnect from unknown[{BOT}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}",
                )
            )
            least += fewest_guesses(tries)
        log = "\n".join(f"Nov 29 11:00:{int(when):02d} {text}" for when, text in sorted(timed))
        assert counted(log)[BOT] >= least, log


def test_tries_by_cram_md5_and_plain_answered_out_of_order_get_no_free_try() -> None:
    # Postfix before 3.9, Dovecot 2.3: the PLAIN tries' auth lines name no mechanism, the
    # CRAM-MD5 tries' do. One failure delay's answers come out of order: B's CRAM-MD5
    # try (bob) is answered while A's PLAIN try (bob) and then C's (frank) are under way.
    # B's answer is its CRAM-MD5 line's, not A's PLAIN line's: A's PLAIN answer is not
    # frank's (whom A tried by CRAM-MD5: no fallback). Four guesses.
    def smtpd(t: int, pid: int, text: str) -> str:
        return f"Nov 29 11:00:{t:02d} mx postfix/submission/smtpd[{pid}]: {text}"

    def sasl(t: int, pid: int, mechanism: str) -> str:
        return smtpd(
            t,
            pid,
            f"warning: unknown[{BOT}]: SASL {mechanism} authentication failed: (reason unavailable)",
        )

    def auth(t: int, line: str) -> str:
        return f"Nov 29 11:00:{t:02d} mx dovecot: auth: {line}: Password mismatch"

    log = "\n".join(
        [
            *(smtpd(0, pid, f"connect from unknown[{BOT}]") for pid in (801, 802, 803)),
            auth(1, f"cram-md5({FRANK},{BOT})"),  # A: frank by CRAM-MD5
            sasl(3, 801, "CRAM-MD5"),
            auth(5, f"passwd-file({BOB},{BOT})"),  # A: bob by PLAIN
            auth(5, f"cram-md5({BOB},{BOT})"),  # B: bob by CRAM-MD5
            sasl(7, 802, "CRAM-MD5"),  # B's, answered first
            auth(7, f"passwd-file({FRANK},{BOT})"),  # C: frank by PLAIN
            sasl(7, 801, "PLAIN"),  # A's bob
            sasl(9, 803, "PLAIN"),  # C's frank
            *(
                smtpd(
                    10,
                    pid,
                    f"disconnect from unknown[{BOT}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}",
                )
                for pid, n in ((801, 2), (802, 1), (803, 1))
            ),
        ]
    )
    assert counted(log) == {BOT: 4}
    assert failures(log) == {BOT: 4}
