"""Sessions of the real captures (tests/data/real/): each attempt is counted once.

A failed SMTP AUTH shows up to three times in Postfix's log (the SASL warning,
``auth=0/1`` in the disconnect statistics, sometimes ``lost connection after AUTH``);
a failed IMAP login twice in Dovecot's (the auth-process line per attempt, the login
line with ``N attempts``). The session layer must count it once. Clients and counts come
from the scenarios of tests/data/real/README.md.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

from mailwarden.detect.sessions import Session, SessionTracker, sessions_of
from mailwarden.model import Event, EventType
from mailwarden.pipeline import Counts, ReadOptions, read_events

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
SUBMISSION = "postfix-3.7-submission.log"
TLS4 = "postfix-3.7-tls-loglevel4.log"
VERBOSE = "postfix-3.7-verbose.log"
IMAP = "dovecot-2.3-imap.log"
ANY_USERNAME = "dovecot-2.3-any-username.log"


@functools.cache
def events(name: str) -> tuple[Event, ...]:
    found: list[Event] = []
    for _record, parsed in read_events([str(REAL / name)], ReadOptions(), Counts()):
        found.extend(parsed)
    return tuple(found)


def counted(name: str) -> Counter[str | None]:
    """New failed attempts per client address, as the detector's tracker counts them."""
    tracker = SessionTracker()
    per_ip: Counter[str | None] = Counter()
    for event in events(name):
        session, new = tracker.feed(event)
        if new:
            per_ip[event.ip or (session.ip if session else None)] += new
    return per_ip


def sessions(name: str) -> list[Session]:
    return sessions_of(events(name))


def _stats(session: Session) -> str:
    assert session.events is not None
    for event in session.events:
        if event.type is EventType.DISCONNECT and event.detail:
            return event.detail.get("stats", "")
    return ""


def test_submission_attacker_sessions_count_their_one_failed_auth_once() -> None:
    single = [s for s in sessions(SUBMISSION) if " auth=0/1 " in f" {_stats(s)} "]
    assert len(single) == 15  # README scenarios 3-9, 11, 15 (one AUTH per connection)
    for session in single:
        assert session.end == "disconnect"
        assert session.attempts_seen == 1, session
        assert session.events is not None
        unavailable = [e for e in session.events if e.type is EventType.AUTH_UNAVAILABLE]
        # "Connection lost to authentication server": accounted, never a guess.
        assert session.failures == (0 if unavailable else 1), session


def test_submission_failures_per_client() -> None:
    per_ip = counted(SUBMISSION)
    lost = sum(
        1
        for e in events(SUBMISSION)
        if e.type is EventType.AUTH_UNAVAILABLE and e.ip == "198.51.100.99"
    )
    assert per_ip.pop("198.51.100.99") + lost == 3  # three sequential guesses
    # auth=0/5: 3 answered, and 2 AUTH commands refused by the rate limit (guesses or not,
    # as the detector decides; never more than 5, never fewer than the 3 answered).
    assert 3 <= per_ip.pop("203.0.113.54") <= 5
    assert dict(per_ip) == {
        "192.0.2.66": 3,
        "2001:db8::66": 1,
        "198.51.100.23": 2,
        "198.51.100.77": 1,
        "198.51.100.78": 1,
        "198.51.100.79": 1,
        "203.0.113.51": 1,
        "203.0.113.53": 2,  # bad base64 (strong) and an unknown mechanism (weak)
        "203.0.113.60": 2,
    }


def test_auth_abandoned_at_the_334_prompt_is_not_a_failed_guess() -> None:
    """203.0.113.52: ``AUTH PLAIN`` + ``*`` (aborted), ``AUTH LOGIN`` + hang-up (``lost
    connection after AUTH``): ``auth=0/2``, two attempts, no password ever sent."""
    (session,) = [s for s in sessions(SUBMISSION) if s.ip == "203.0.113.52"]
    assert session.attempts_seen == 2
    assert session.failures == 0


def test_the_guessed_password_shows_as_a_login_after_failures() -> None:
    mine = [s for s in sessions(SUBMISSION) if s.ip == "203.0.113.60"]
    assert len(mine) == 3  # two parallel failures, then the right password
    assert [s.failures for s in mine] == [1, 1, 0]
    assert mine[-1].succeeded_as  # auth=1: logged in (the account is not in the log)


def test_tls_dump_sessions_join_the_auth_payloads_of_their_clients() -> None:
    by_ip = {s.ip: s for s in sessions(TLS4) if s.ip is not None}
    assert set(by_ip) == {"192.0.2.10", "192.0.2.66", "198.51.100.23"}
    alice, attacker, other = by_ip["192.0.2.10"], by_ip["192.0.2.66"], by_ip["198.51.100.23"]
    assert [c.user for c in alice.credentials] == ["alice@lab.example"]
    assert alice.succeeded_as == ["alice@lab.example"] and alice.failures == 0
    assert [c.user for c in attacker.credentials] == ["admin@lab.example"]
    assert attacker.failures == 1 and attacker.attempts_seen == 1
    assert [(c.mechanism, c.user) for c in other.credentials] == [("LOGIN", "bob@lab.example")]
    assert other.failures == 1


def test_verbose_sessions_count_one_failure_each() -> None:
    attacker = [s for s in sessions(VERBOSE) if s.ip == "192.0.2.66"]
    assert [(s.failures, s.attempts_seen) for s in attacker] == [(1, 1), (1, 1)]
    assert [s.users for s in attacker] == [["admin@lab.example"], ["alice@lab.example"]]


def test_verbose_auth_is_one_credential_per_attempt() -> None:
    """One AUTH PLAIN is logged twice under -v (the ``< …: AUTH PLAIN …`` chat line and
    ``xsasl_dovecot_server_first: … init_response …``): one credential all the same."""
    attacker = [s for s in sessions(VERBOSE) if s.ip == "192.0.2.66"]
    got = [[(c.mechanism, c.user, c.complete) for c in s.credentials] for s in attacker]
    assert got == [
        [("PLAIN", "admin@lab.example", True)],
        [("LOGIN", "alice@lab.example", True)],
    ]


def test_dovecot_auth_lines_and_login_lines_count_each_attempt_once() -> None:
    assert counted(IMAP) == {
        "192.0.2.66": 2,  # IMAP LOGIN as bob, and the SMTP AUTH through Postfix
        "198.51.100.23": 3,  # 3 attempts on one connection
        "198.51.100.40": 1,
        "198.51.100.77": 1,
        "198.51.100.78": 1,
        "198.51.100.79": 1,
        "198.51.100.80": 1,
        "2001:db8::66": 1,
        "203.0.113.60": 2,  # two failures, then the right password
    }
    assert counted(ANY_USERNAME) == {
        "198.51.100.77": 1,
        "198.51.100.78": 1,
        "198.51.100.79": 1,
        "198.51.100.80": 1,
        "198.51.100.90": 1,
    }


def test_dovecot_session_of_three_attempts() -> None:
    (session,) = [s for s in sessions(IMAP) if s.ip == "198.51.100.23"]
    assert (session.attempts_seen, session.failures) == (3, 3)
    assert session.end == "login" and session.users == ["alice@lab.example"]
    (guessed,) = [s for s in sessions(IMAP) if s.ip == "203.0.113.60"]
    assert guessed.failures == 2 and guessed.succeeded_as == ["admin@lab.example"]
