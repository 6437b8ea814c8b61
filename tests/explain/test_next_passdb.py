# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot with two passdbs (a passwd-file, then PAM) and ``auth_verbose_passwords`` on:
a passdb that does not know the name (or the password) writes ``unknown user (given
password: …) - trying the next passdb`` (``auth_request_log_login_failure()``, reference
§4.2), and the next passdb decides. That line is the first of its attempt, and the next
passdb's refusal of it the same attempt: six connections of one wrong password each are
six failed attempts (as their ``1 attempts`` lines say), not thirteen. Dovecot writes the
suffix whenever another passdb is configured, also when that one is skipped for the
attempt (``username_filter``, ``mechanisms``, ``skip``) and logs nothing: such a line
alone is a failed attempt too, counted without waiting for the login process's line;
one the next passdb accepts (``Login:``) is none. Nor is the line proof that the account
does not exist: an account that logs in next is never called nonexistent. A single
passdb's ``unknown user`` (no suffix) still counts, on an account that does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner
from mailwarden.detect import Detector, analyze
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
    """The password the line shows is exposed, that of the login the next passdb
    accepted too: auth_verbose_passwords' finding counts it, as Dovecot's (not smtpd
    -v's)."""
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
        "unknown user (given password: ‹…›) - trying the next passdb Dovecot's passdb “passwd-file” has no account “alice@example.com” and asks the next passdb, whose answer decides; no sign that the account does not exist. A failed login unless the next passdb accepts it"
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


def test_the_line_is_a_failure_event_marked_passed_on_and_its_password_is_masked() -> None:
    """A failed attempt's first line (the session layer folds the next passdb's refusal
    into it), marked so: explain and the unknown accounts read it apart."""
    (event,) = events_of(
        f"Nov 30 10:00:00 mx dovecot: auth: passwd-file(alice@example.com,{IP},<s1>): Password mismatch (given password: x) - trying the next passdb)) - trying the next passdb"
    )
    assert event.type is EventType.AUTH_FAILURE and event.hostile
    assert event.detail is not None and event.detail["next_db"] == "passdb"
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


def counts_of(lines: list[str], end: bool = True) -> list[int]:
    """Failed attempts, as the detector's session layer counts them, by the time each
    line is read (the lines that waited for their attempt's next line included), then
    at the end of input (``end``)."""
    tracker = SessionTracker()
    counts = []
    for event in events_of("\n".join(lines)):
        counts.append(tracker.feed(event)[1] + len(tracker.released))
        tracker.released.clear()
    if end:
        tracker.close_all()
        counts.append(len(tracker.released))
    return counts


def failures_of(lines: list[str]) -> int:
    """Failed attempts, as the detector's session layer counts them."""
    return sum(counts_of(lines))


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


# -- a suffixed line alone: the next passdb skipped ------------------------------------------


def skipped(n: int = 10, login: bool = True, sid: str = "AAAAAAAAAAAAAA09") -> list[str]:
    """A bot guessing ``alice@example.com`` in one IMAP connection, every 3 seconds, on a
    Dovecot of passwd-file then ``pam { username_filter = !*@* }``: PAM is skipped for
    the name and logs nothing; passwd-file's lines still end in the suffix."""
    lines = [
        f"Nov 30 12:00:{3 * i:02d} mx dovecot: auth: passwd-file(alice@example.com,{IP},<{sid}>): unknown user (given password: Guess{i}) - trying the next passdb"
        for i in range(n)
    ]
    if login:
        lines.append(
            f"Nov 30 12:00:{3 * n + 1:02d} mx dovecot: imap-login: Disconnected (auth failed, {n} attempts in {3 * n + 1} secs): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{sid}>"
        )
    return lines


def test_a_passed_on_line_alone_counts_when_its_attempts_next_line_comes() -> None:
    """Each guess counts when the next comes (3 seconds later), not all at the login
    process's line: the daemon bans during the guessing. The last counts at that line."""
    assert counts_of(skipped(), end=False) == [0] + [1] * 10
    assert counts_of(skipped(login=False)) == [0] + [1] * 9 + [1]


def test_a_passed_on_line_alone_counts_after_a_few_seconds_without_its_attempts_next_line() -> None:
    """Ten connections of one guess each, none closed yet (the login process writes its
    line when the connection ends): each counts once a few seconds passed."""
    lines = [skipped(1, login=False, sid=session_id(n))[0] for n in range(10)]
    lines = [line.replace("12:00:00", f"12:00:{3 * n:02d}") for n, line in enumerate(lines)]
    assert counts_of(lines, end=False) == [0, 0] + [1] * 8


def test_the_daemons_detector_bans_a_bot_whose_next_passdb_is_skipped() -> None:
    """Without the login process's line (the bot keeps the connection open)."""
    detector = Detector(keep_history=False)
    bans = {
        d.ip
        for e in events_of("\n".join(skipped(login=False)))
        for d in detector.feed(e)
        if d.recommendation == "ban"
    }
    bans |= {d.ip for d in detector.close() if d.recommendation == "ban"}
    assert bans == {IP}


def test_analyze_reports_a_bot_whose_next_passdb_is_skipped(run: Runner, log_file: LogFile) -> None:
    for login in (True, False):
        client = attacker(run, log_file("\n".join(skipped(login=login)) + "\n"))
        assert client["failures"] == 10
        assert client["verdict"] == "bruteforce"


def test_explain_counts_a_bot_whose_next_passdb_is_skipped(run: Runner, log_file: LogFile) -> None:
    text = explained(run, log_file("\n".join(skipped(login=False)) + "\n"))
    verdict = text.split("Verdict ======= ", 1)[1]
    assert "10 failed attempts" in verdict or "10 failed logins" in verdict
    assert "no account by that name exists" not in verdict


def test_a_login_the_next_passdb_accepts_is_no_failure() -> None:
    """A user whose account PAM knows logs in every five minutes: passwd-file's line,
    then ``Login:``. No failure, however often (never a stale device, nor guessing)."""
    lines = []
    for n in range(12):
        sid = session_id(n)
        lines += [
            f"Nov 30 12:{5 * n:02d}:00 mx dovecot: auth: passwd-file(carol@example.com,{IP},<{sid}>): unknown user (given password: Right1) - trying the next passdb",
            f"Nov 30 12:{5 * n:02d}:01 mx dovecot: imap-login: Login: user=<carol@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=999, TLS, session=<{sid}>",
        ]
    assert failures_of(lines) == 0
    analysis = analyze(events_of("\n".join(lines)))
    assert not analysis.attackers


# -- without a session id: Postfix's SASL through Dovecot ------------------------------------


def smtp_tries(n: int, pam: bool, outcome: str = "failed") -> list[str]:
    """``n`` SMTP AUTH tries of one connection each, 10 seconds apart: passwd-file's
    line (suffixed), PAM's refusal (``pam``: the next passdb not skipped), then Postfix's
    line: ``failed``, ``login`` (its queue line) or ``none`` (no Postfix line)."""
    lines = []
    for i in range(n):
        t = 10 * i
        pid = 700 + i
        stamp = f"Nov 30 13:{t // 60:02d}:{t % 60:02d}"
        lines.append(
            f"{stamp} mx dovecot: auth: passwd-file(carol@example.com,{IP}): unknown user (given password: Pw{i}) - trying the next passdb"
        )
        if pam:
            lines.append(
                f"{stamp} mx dovecot: auth-worker(1234): pam(carol@example.com,{IP}): pam_authenticate() failed: Authentication failure (password mismatch?)"
            )
        if outcome == "failed":
            lines.append(
                f"{stamp} mx postfix/submission/smtpd[{pid}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=carol@example.com"
            )
        elif outcome == "login":
            lines.append(
                f"{stamp} mx postfix/submission/smtpd[{pid}]: 4F1A2B3C4D: client=unknown[{IP}], sasl_method=PLAIN, sasl_username=carol@example.com"
            )
    return lines


@pytest.mark.parametrize("pam", [True, False], ids=["next-passdb-refuses", "next-passdb-skipped"])
def test_without_a_session_id_each_try_is_one_failed_attempt(pam: bool) -> None:
    assert failures_of(smtp_tries(10, pam)) == 10


def test_without_a_session_id_or_any_other_line_each_try_counts() -> None:
    """No Postfix line (Dovecot 2.2's IMAP gives the auth process no session id): each
    try counts when the next comes, the last at the end of input."""
    assert counts_of(smtp_tries(10, False, "none")) == [0] + [1] * 10


def test_without_a_session_id_a_login_the_next_passdb_accepts_is_no_failure() -> None:
    assert failures_of(smtp_tries(10, False, "login")) == 0


def test_a_passed_on_try_the_next_passdb_accepts_before_an_internal_failure_is_no_failure() -> None:
    """Dovecot 2.4: two guesses, then the right password (PAM, the next passdb, accepts
    it) and the login fails inside the server (``1/3 successful auths``): two failed
    attempts, not three."""
    sid = "Cd5NQ2kiUtjGZAvZ"
    lines = [
        f"Nov 30 12:00:0{3 * i} mx dovecot: auth(alice@example.com,{IP},sasl:plain)<{sid}>: Info: passwd-file: unknown user (given password: Pw{i}) - trying the next passdb"
        for i in range(3)
    ]
    lines.insert(
        1,
        f"Nov 30 12:00:01 mx dovecot: auth-worker(alice@example.com,{IP},sasl:plain)<4242><{sid}>: request [3]: pam: pam_authenticate() failed: Authentication failure (Password mismatch?)",
    )
    lines.append(
        f"Nov 30 12:00:08 mx dovecot: imap-login: Login aborted: Connection closed (internal failure, 1/3 successful auths in 8 secs) (internal_failure): user=<alice@example.com>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{sid}>"
    )
    assert failures_of(lines) == 2
