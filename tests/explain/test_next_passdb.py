# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot with two passdbs (a passwd-file, then PAM) and ``auth_verbose_passwords`` on:
a passdb that does not know the name (or the password) writes ``unknown user (given
password: …) - trying the next passdb`` (``auth_request_log_login_failure()``, reference
§4.2), and the next passdb decides. That line is no failed attempt by itself, nor proof
that the account does not exist: six connections of one wrong password each are six
failed attempts (as their ``1 attempts`` lines say), not thirteen, and an account that
logs in next is never called nonexistent. A single passdb's ``unknown user`` (no
suffix) still counts, on an account that does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner
from mailwarden.detect import analyze
from mailwarden.detect.server import credential_source
from mailwarden.detect.sessions import SessionTracker
from mailwarden.framing import Framer
from mailwarden.model import Event, EventType
from mailwarden.parsers import parse

LogFile = Callable[[str], str]
IP = "203.0.113.140"
OPTIONS = ("--year", "2026", "--timezone", "UTC")
NEXT = " - trying the next passdb"


def session_id(n: int) -> str:
    return f"AAAAAAAAAAAAAA{n:02d}"


def two_passdbs(suffix: str = NEXT, password: bool = True, first_only: bool = False) -> str:
    """Six failed connections (passwd-file, then PAM, then the login line), then one
    that logs in (passwd-file's line, then ``Login:``). ``first_only``: only the first
    connection has passwd-file's line."""
    lines = []
    second = 0
    for n in range(1, 7):
        sid = session_id(n)
        given = f" (given password: Guess{n})" if password else ""
        if n == 1 or not first_only:
            lines.append(
                f"Nov 30 10:{second // 60:02d}:{second % 60:02d} mx dovecot: auth: passwd-file(alice@example.com,{IP},<{sid}>): unknown user{given}{suffix}"
            )
        lines.append(
            f"Nov 30 10:{(second + 1) // 60:02d}:{(second + 1) % 60:02d} mx dovecot: auth-worker(1234): pam(alice@example.com,{IP},<{sid}>): pam_authenticate() failed: Authentication failure (password mismatch?)"
        )
        lines.append(
            f"Nov 30 10:{(second + 3) // 60:02d}:{(second + 3) % 60:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{sid}>"
        )
        second += 8
    sid = session_id(7)
    if not first_only:
        given = " (given password: Right1)" if password else ""
        lines.append(
            f"Nov 30 10:00:48 mx dovecot: auth: passwd-file(alice@example.com,{IP},<{sid}>): unknown user{given}{suffix}"
        )
    lines.append(
        f"Nov 30 10:00:49 mx dovecot: imap-login: Login: user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=999, TLS, session=<{sid}>"
    )
    return "\n".join(lines) + "\n"


def single_passdb() -> str:
    """One passdb; three guesses at bob@example.com, which it does not know."""
    lines = []
    for n in range(1, 4):
        sid = session_id(n)
        lines.append(
            f"Nov 30 11:00:{n * 8:02d} mx dovecot: auth: passwd-file(bob@example.com,{IP},<{sid}>): unknown user (given password: Guess{n})"
        )
        lines.append(
            f"Nov 30 11:00:{n * 8 + 2:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{sid}>"
        )
    return "\n".join(lines) + "\n"


def flat(text: str) -> str:
    return " ".join(text.split())


def attacker(run: Runner, path: str) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *OPTIONS, path)
    assert code in (0, 1, 2, 3), err
    report = json.loads(out)
    attackers = {a["ip"]: a for a in report["attackers"]}
    assert list(attackers) == [IP], attackers
    return attackers[IP]


def explained(run: Runner, path: str) -> str:
    code, out, err = run("explain", *OPTIONS, path)
    assert code == 0, err
    return flat(out)


def events_of(text: str) -> list[Event]:
    framer = Framer(year=2026)
    events: list[Event] = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        for record in framer.frame_line(line, "mail.log", number, 0):
            events.extend(parse(record))
    return events


# -- analyze ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [True, False], ids=["given-password", "no-password"])
def test_six_connections_of_one_try_each_are_six_failed_attempts(
    run: Runner, log_file: LogFile, password: bool
) -> None:
    """``no-password``: a mechanism whose password Dovecot does not keep (CRAM-MD5's
    lookup) writes ``unknown user  - trying the next passdb``, suffix and all."""
    client = attacker(run, log_file(two_passdbs(password=password)))
    assert client["failures"] == 6
    assert client["verdict"] == "compromised"
    assert client["succeeded_as"] == ["alice@example.com"]


def test_a_single_passdbs_unknown_user_still_counts(run: Runner, log_file: LogFile) -> None:
    client = attacker(run, log_file(single_passdb()))
    assert client["failures"] == 3
    assert client["users"] == ["bob@example.com"]


def test_the_password_it_shows_is_still_a_password_in_the_log(
    run: Runner, log_file: LogFile
) -> None:
    """The line counts no attempt, but the password it shows is exposed all the same:
    auth_verbose_passwords' finding counts it, as Dovecot's (not smtpd -v's)."""
    code, out, err = run("analyze", "--format", "json", *OPTIONS, log_file(two_passdbs()))
    assert code in (0, 1, 2, 3), err
    findings = {f["kind"]: f for f in json.loads(out)["findings"]}
    exposed = findings["credential_exposed"]
    assert exposed["data"]["source"] == "dovecot", exposed
    assert exposed["data"]["payloads"] == 7, exposed
    assert exposed["data"]["users_who_logged_in"] == ["alice@example.com"], exposed


# -- explain ------------------------------------------------------------------------------


@pytest.mark.parametrize("first_only", [False, True], ids=["every-connection", "one-line"])
def test_explain_never_calls_an_account_that_logged_in_nonexistent(
    run: Runner, log_file: LogFile, first_only: bool
) -> None:
    """``one-line``: Dovecot without auth_verbose_passwords writes no suffix; one
    ``unknown user`` of the first passdb, then alice logs in: she exists."""
    suffix = "" if first_only else NEXT
    text = explained(
        run, log_file(two_passdbs(suffix, password=not first_only, first_only=first_only))
    )
    verdict = text.split("Verdict ======= ", 1)[1]
    assert "YES: it got in as “alice@example.com”" in verdict
    assert "no account by that name exists" not in verdict
    assert "does not exist" not in verdict
    assert "Change the password of “alice@example.com” now" in verdict
    if not first_only:
        assert "6 failed attempts" in verdict
        assert "13 failed attempts" not in verdict


def test_explain_tells_the_line_passes_the_login_on(run: Runner, log_file: LogFile) -> None:
    text = explained(run, log_file(two_passdbs()))
    assert (
        "unknown user (given password: ‹…›) - trying the next passdb Dovecot's passdb “passwd-file” has no account “alice@example.com” and asks the next passdb, whose answer decides: no failed login by itself"
        in text
    )
    assert "Guess1" not in text and "Right1" not in text
    assert "A line of verbose (-v) logging" not in text


def test_explain_still_says_a_single_passdbs_unknown_user_does_not_exist(
    run: Runner, log_file: LogFile
) -> None:
    verdict = explained(run, log_file(single_passdb())).split("Verdict ======= ", 1)[1]
    assert "The server says no account by that name exists." in verdict
    assert "3 failed attempts" in verdict


# -- the events, and the detector (the daemon's) ----------------------------------------


def test_the_line_is_no_failure_event_and_its_password_is_masked() -> None:
    (event,) = events_of(
        f"Nov 30 10:00:00 mx dovecot: auth: passwd-file(alice@example.com,{IP},<s1>): Password mismatch (given password: x) - trying the next passdb)) - trying the next passdb"
    )
    assert event.type is EventType.DEBUG and not event.hostile
    assert event.reason == "Password mismatch (given password: ***) - trying the next passdb"
    assert event.user == "alice@example.com" and event.ip == IP and event.session == "s1"
    assert credential_source(event) == "dovecot"


@pytest.mark.parametrize(
    "message",
    [
        # The client's password ends in the suffix: the server's ")" still ends the line.
        "unknown user (given password: x) - trying the next passdb)",
        "Password mismatch (SHA1 of given password: 0123abcd)",
        "unknown user",
    ],
)
def test_a_line_the_suffix_does_not_end_is_a_failure(message: str) -> None:
    (event,) = events_of(
        f"Nov 30 10:00:00 mx dovecot: auth: passwd-file(alice@example.com,{IP},<s1>): {message}"
    )
    assert event.type is EventType.AUTH_FAILURE and event.hostile


def test_the_detector_counts_six() -> None:
    """The daemon's detector, fed the events: six failed guesses, alice compromised."""
    analysis = analyze(events_of(two_passdbs()))
    (client,) = analysis.attackers
    assert client.failures == 6
    assert [c.user for c in analysis.compromised] == ["alice@example.com"]


# -- without auth_verbose_passwords: no suffix, the session tells ------------------------


def connection(n: int, tries: list[list[str]], start: int = 0) -> list[str]:
    """One IMAP connection of session ``n``: each try the passdb lines it names
    (``pf``: passwd-file's ``unknown user``, ``pam``: PAM's refusal), then the login
    process's line with the count of tries."""
    sid = session_id(n)
    lines = []
    second = start
    for tried in tries:
        for db in tried:
            if db == "pf":
                text = f"auth: passwd-file(alice@example.com,{IP},<{sid}>): unknown user"
            else:
                text = f"auth-worker(1234): pam(alice@example.com,{IP},<{sid}>): pam_authenticate() failed: Authentication failure (password mismatch?)"
            lines.append(f"Nov 30 12:{second // 60:02d}:{second % 60:02d} mx dovecot: {text}")
            second += 1
        second += 2
    lines.append(
        f"Nov 30 12:{second // 60:02d}:{second % 60:02d} mx dovecot: imap-login: Disconnected (auth failed, {len(tries)} attempts in {second - start} secs): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{sid}>"
    )
    return lines


def failures_of(lines: list[str]) -> int:
    """Failed attempts, as the detector's session layer counts them."""
    tracker = SessionTracker()
    count = 0
    for event in events_of("\n".join(lines)):
        count += tracker.feed(event)[1]
    tracker.close_all()
    return count


def test_each_passdbs_refusal_of_one_try_is_one_failed_attempt() -> None:
    """Three connections of two tries each, each try refused by passwd-file, then PAM:
    six failed attempts, not twelve."""
    lines = []
    for n in range(1, 4):
        lines += connection(n, [["pf", "pam"], ["pf", "pam"]], start=(n - 1) * 15)
    assert failures_of(lines) == 6


def test_one_passdb_refusing_each_try_counts_each() -> None:
    """A passdb that refused before refuses the next try: another attempt, each counted
    (a bot repeating passwords in one connection gains nothing)."""
    assert failures_of(connection(1, [["pf"], ["pf"], ["pf"], ["pf"]])) == 4
    assert failures_of(connection(1, [["pf", "pam"], ["pf", "pam"], ["pf", "pam"]])) == 3


def test_a_try_read_as_the_one_before_is_counted_by_the_login_line() -> None:
    """PAM's line of one try, then passwd-file's of the next (passwd-file wrote nothing
    the first time): read as one try, but the login process's ``2 attempts`` counts the
    other."""
    assert failures_of(connection(1, [["pam"], ["pf"]])) == 2


def test_explain_tells_the_next_passdbs_line_is_the_same_attempt(
    run: Runner, log_file: LogFile
) -> None:
    text = explained(run, log_file("\n".join(connection(1, [["pf", "pam"], ["pf", "pam"]])) + "\n"))
    assert text.count("The next passdb's answer to the same attempt as the line above") == 1
    assert text.count("The next passdb's refusal of the same attempt as above.") == 1
    verdict = text.split("Verdict ======= ", 1)[1]
    assert "2 failed attempts" in verdict
    # PAM, the passdb after passwd-file, refused the password: no sign alice is missing.
    assert "no account by that name exists" not in verdict


def test_dovecot_24_lines_of_two_passdbs_are_one_attempt() -> None:
    """2.4 names the mechanism in each line: the passdbs of one PLAIN try are one
    attempt; a try by another mechanism (a mail program's fallback) is another line's."""
    sid = "Cd5NQ2kiUtjGZAvZ"
    lines = []
    for n in range(2):
        lines += [
            f"Nov 30 12:00:0{4 * n} mx dovecot: auth(alice@example.com,{IP},sasl:plain)<{sid}>: Info: passwd-file: unknown user",
            f"Nov 30 12:00:0{4 * n + 1} mx dovecot: auth-worker(alice@example.com,{IP},sasl:plain)<4242><{sid}>: request [3]: pam: pam_authenticate() failed: Authentication failure (Password mismatch?)",
        ]
    lines.append(
        f"Nov 30 12:00:09 mx dovecot: imap-login: Info: Login aborted: Logged out (auth failed, 2 attempts in 9 secs) (auth_failed): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<{sid}>"
    )
    assert failures_of(lines) == 2
