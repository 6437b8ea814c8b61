# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Dovecot 2.3 with two passdbs, PAM first (``passdb { driver = pam }``, Debian's
``/etc/pam.d/dovecot``), then a passwd-file of virtual users, ``auth_verbose = yes``.
Each try of a virtual user's name goes through both: pam_unix writes its own lines
(``check pass; user unknown``, ``authentication failure; … ruser=alice rhost=…``, to
auth.log), the auth worker 2 s later (PAM's failure delay) PAM's refusal, then
passwd-file its answer, then the login process its line. The lines below are those a
Dovecot 2.3.19.1 on 127.0.0.1 wrote with Debian's PAM stack (addresses changed to
documentation ones).

So the try passwd-file accepts has PAM's refusal lines as well: a virtual user's login
is no failed attempt, and one who mistypes twice before logging in has two failures,
not three (3 within a minute is the fast brute-force threshold: the owner was banned).
N wrong passwords stay N, in analyze and in the daemon's detector."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from clirunner import Runner
from mailwarden.config import PolicyConfig
from mailwarden.detect import Detector
from mailwarden.detect.sessions import SessionTracker
from sasllines import events_from

LogFile = Callable[[str], str]
IP = "192.0.2.7"
OPTIONS = ("--year", "2026", "--timezone", "UTC")


def stamp(t: int) -> str:
    return f"Nov 30 10:{t // 60:02d}:{t % 60:02d}"


def connection(
    t: int,
    n: int,
    wrong: int,
    logs_in: bool,
    user: str = "alice",
    pam_lines: bool = True,
    pam_last: bool = False,
) -> tuple[list[str], int]:
    """One IMAP connection from second ``t``: ``wrong`` wrong passwords, then (``logs_in``)
    the right one, each through PAM, then passwd-file (``user`` is passwd-file's, unknown
    to PAM). ``pam_lines``: pam_unix's own lines in the same log, first (as written), or
    (``pam_last``) after Dovecot's auth lines of the try, in their second. (lines, its
    end)."""
    sid = f"Sess{n:02d}abcdefghij"
    lines = []
    start = t
    for k in range(wrong + logs_in):
        pam = [
            "auth: pam_unix(dovecot:auth): check pass; user unknown",
            f"auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP} ",
        ]
        if pam_lines and not pam_last:
            lines += [f"{stamp(t)} mx {text}" for text in pam]
        t += 2
        lines.append(
            f"{stamp(t)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{n * 8 + k}>: pam({user},{IP},<{sid}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
        )
        if k < wrong:
            lines.append(
                f"{stamp(t)} mx dovecot: auth: passwd-file({user},{IP},<{sid}>): Password mismatch"
            )
        if pam_lines and pam_last:
            lines += [f"{stamp(t)} mx {text}" for text in pam]
        if k < wrong:
            t += 2
    if logs_in:
        lines.append(
            f"{stamp(t)} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=21516, secured, session=<{sid}>"
        )
    else:
        lines.append(
            f"{stamp(t)} mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, {wrong} attempts in {t - start} secs): user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, secured, session=<{sid}>"
        )
    return lines, t


def typos_then_login(typos: int, pam_lines: bool = True, pam_last: bool = False) -> list[str]:
    """A person's ``typos`` wrong passwords, a connection each, seconds apart, then the
    right one."""
    lines: list[str] = []
    t = 0
    for n in range(typos):
        more, t = connection(t, n, 1, False, pam_lines=pam_lines, pam_last=pam_last)
        lines += more
        t += 5
    more, t = connection(t, 9, 0, True, pam_lines=pam_lines, pam_last=pam_last)
    return lines + more


def guesses(
    per_connection: list[int], pam_lines: bool = True, pam_last: bool = False, gap: int = 20
) -> list[str]:
    """A client's wrong passwords: ``per_connection[i]`` in its i-th connection, ``gap``
    seconds after the one before."""
    lines: list[str] = []
    t = 0
    for n, wrong in enumerate(per_connection):
        more, t = connection(t, n, wrong, False, pam_lines=pam_lines, pam_last=pam_last)
        lines += more
        t += gap
    return lines


def report(run: Runner, log_file: LogFile, lines: list[str]) -> dict[str, Any]:
    code, out, err = run("analyze", "--format", "json", *OPTIONS, log_file("\n".join(lines) + "\n"))
    assert code in (0, 1, 2, 3), err
    return dict(json.loads(out))


def detector_on(lines: list[str]) -> tuple[list[str], int]:
    """The daemon's detector fed the lines' events: its ban reasons, its failures."""
    detector = Detector(keep_history=False)
    bans = [
        d.reason for e in events_from(lines) for d in detector.feed(e) if d.recommendation == "ban"
    ]
    detector.close()
    return bans, detector.stats["failures_counted"]


PAM_LINES = pytest.mark.parametrize(
    "pam_lines", [True, False], ids=["auth-log-too", "mail-log-only"]
)


@PAM_LINES
def test_two_typos_then_a_login_are_two_failures_and_no_ban(
    run: Runner, log_file: LogFile, pam_lines: bool
) -> None:
    got = report(run, log_file, typos_then_login(2, pam_lines))
    assert got["stats"]["failures_counted"] == 2
    assert [a for a in got["attackers"] if a["recommendation"].startswith("ban")] == []
    assert got["compromised"] == []


@PAM_LINES
def test_the_detector_counts_two_typos_and_bans_nobody(pam_lines: bool) -> None:
    assert detector_on(typos_then_login(2, pam_lines)) == ([], 2)


@PAM_LINES
@pytest.mark.parametrize("per_connection", [[1] * 5, [3, 2], [1, 1, 1]], ids=str)
def test_n_wrong_passwords_are_n_failures(
    run: Runner, log_file: LogFile, pam_lines: bool, per_connection: list[int]
) -> None:
    lines = guesses(per_connection, pam_lines)
    n = sum(per_connection)
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == n
    (client,) = got["attackers"]
    assert client["failures"] == n
    assert detector_on(lines)[1] == n


@PAM_LINES
def test_a_virtual_user_s_logins_count_no_failure_once_pam_is_seen_to_pass_on(
    run: Runner, log_file: LogFile, pam_lines: bool
) -> None:
    # One typo (it shows passwd-file asked after PAM), then the user's phone checking
    # mail every five minutes for an hour: each login's PAM refusal counted, 13 failures
    # on an address that never guessed, "a stale password of a real user".
    lines, t = connection(0, 0, 1, False, pam_lines=pam_lines)
    for n in range(1, 13):
        more, t = connection(t + 300, n, 0, True, pam_lines=pam_lines)
        lines += more
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 1
    assert detector_on(lines) == ([], 1)


def test_a_bot_guessing_after_the_session_s_login_line_is_lost_still_counts() -> None:
    # The refusal of PAM, held for passwd-file's answer, whose session ends with no line
    # (the log lost the login process's line): a failed attempt all the same.
    lines = guesses([1])  # shows that passwd-file follows PAM
    more, _t = connection(100, 5, 1, False)
    lines += more[:-2]  # PAM's refusal of the try, no passwd-file line, no login line
    assert detector_on(lines)[1] == 2


def test_explain_counts_as_analyze_and_says_the_refusal_was_of_the_login(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("explain", *OPTIONS, log_file("\n".join(typos_then_login(2)) + "\n"))
    assert code == 0, err
    text = " ".join(out.split())
    assert "3 failed attempts" not in text  # as it said
    assert "failed to log in 2 times and then logged in successfully" in text
    assert "the next passdb accepted the password" in text


# -- PAM's lines after Dovecot's auth lines of their try ----------------------------------

# PAM writes its line before it returns to Dovecot (the lab's log has it 2 s before the
# auth worker's line, PAM's failure delay), but a log holding both may have it after
# Dovecot's auth lines of the try, in their second (a PAM without that delay, lines
# merged from two sources). Each try counted twice: 3 wrong passwords counted 6.


@pytest.mark.parametrize(
    ("per_connection", "gap"), [([1, 1, 1], 20), ([1, 1, 1], 300), ([3], 20)], ids=str
)
def test_n_wrong_passwords_with_pam_s_lines_after_dovecot_s_are_n_failures(
    run: Runner, log_file: LogFile, per_connection: list[int], gap: int
) -> None:
    # 5 minutes apart (a person retrying now and then): each counted twice, 6.
    lines = guesses(per_connection, pam_last=True, gap=gap)
    n = sum(per_connection)
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == n
    assert detector_on(lines)[1] == n


def test_two_typos_then_a_login_with_pam_s_lines_after_dovecot_s_do_not_ban(
    run: Runner, log_file: LogFile
) -> None:
    lines = typos_then_login(2, pam_last=True)
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 2
    assert [a for a in got["attackers"] if a["recommendation"].startswith("ban")] == []
    assert detector_on(lines) == ([], 2)


def test_explain_counts_pam_s_late_lines_once(run: Runner, log_file: LogFile) -> None:
    code, out, err = run(
        "explain", *OPTIONS, log_file("\n".join(guesses([1, 1], pam_last=True)) + "\n")
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert "PAM's own line of a failed login that a line above told already" in text
    assert "2 failed attempts" in text.split("Verdict ======= ", 1)[1]


# -- Postfix's SASL through the same Dovecot: its auth lines carry no session id ----------


def smtp_try(t: int, pid: int, pam_lines: bool = True, user: str = "alice") -> list[str]:
    """One submission connection from second ``t``, one wrong password: pam_unix's lines,
    the auth worker's PAM refusal and passwd-file's (no session id: Postfix sends none),
    Postfix's line after Dovecot's failure delay."""
    smtpd = f"mx postfix/submission/smtpd[{pid}]"
    lines = [f"{stamp(t)} {smtpd}: connect from unknown[{IP}]"]
    if pam_lines:
        lines += [
            f"{stamp(t + 1)} mx auth: pam_unix(dovecot:auth): check pass; user unknown",
            f"{stamp(t + 1)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP} ",
        ]
    return [
        *lines,
        f"{stamp(t + 3)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{pid}>: pam({user},{IP}): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        f"{stamp(t + 3)} mx dovecot: auth: passwd-file({user},{IP}): Password mismatch",
        f"{stamp(t + 5)} {smtpd}: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
        f"{stamp(t + 6)} {smtpd}: disconnect from unknown[{IP}] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
    ]


@PAM_LINES
def test_n_wrong_passwords_by_postfix_s_sasl_are_n_failures(
    run: Runner, log_file: LogFile, pam_lines: bool
) -> None:
    # PAM's refusal and passwd-file's, without a session id, were two attempts: 6.
    lines = [line for n in range(3) for line in smtp_try(20 * n, 700 + n, pam_lines)]
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 3
    (client,) = got["attackers"]
    assert client["failures"] == 3
    assert detector_on(lines)[1] == 3


# -- a bot that hangs up during PAM's failure delay ---------------------------------------

BOT = "203.0.113.9"


def hang_up(t: int, n: int, worker_line: bool, hang_up_line: bool = True) -> list[str]:
    """A bot's try from second ``t`` that hangs up during PAM's failure delay: pam_unix's
    lines, the login process's "disconnected while authenticating" (``hang_up_line``),
    then (``worker_line``) the auth worker's PAM refusal; no passwd-file line."""
    sid = f"Hang{n:02d}abcdefghij"
    lines = [
        f"{stamp(t)} mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        f"{stamp(t)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={BOT} ",
    ]
    if hang_up_line:
        lines.append(
            f"{stamp(t + 1)} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<alice>, method=PLAIN, rip={BOT}, lip=192.0.2.1, TLS, session=<{sid}>"
        )
    if worker_line:
        lines.append(
            f"{stamp(t + 2)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{n}>: pam(alice,{BOT},<{sid}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
        )
    return lines


def live(lines: list[str], silent: float) -> tuple[list[str], int]:
    """The daemon's detector fed the lines, then housekeeping with the log quiet for
    ``silent`` seconds (no close): its ban reasons, its failures."""
    detector = Detector(keep_history=False)
    found = [d for e in events_from(lines) for d in detector.feed(e)]
    found += detector.expire(silent=silent)
    bans = [d.reason for d in found if d.recommendation == "ban"]
    return bans, detector.stats["failures_counted"]


@pytest.mark.parametrize(
    ("worker_line", "hang_up_line"),
    [(False, True), (True, True), (True, False)],
    ids=["pam-line-only", "worker-line-after-hang-up", "worker-line-only"],
)
def test_a_bot_hanging_up_in_pam_s_fail_delay_counts_once_the_log_is_quiet_a_minute(
    worker_line: bool, hang_up_line: bool
) -> None:
    # A user's typo (other address) shows PAM followed by passwd-file; then the bot's 3
    # tries 15 s apart. pam_unix's lines waited for Dovecot's lines of their try, the
    # worker's refusal for passwd-file's answer or the session's end (an hour), both by
    # the log's time only: in the daemon, with the log quiet after them, 1 failure, no
    # ban, for ever.
    lines = guesses([1])
    for n in range(3):
        lines += hang_up(100 + 15 * n, n, worker_line, hang_up_line)
    bans, failures = live(lines, 60)
    assert failures == 4
    assert bans == ["3 or more failed logins within 1m"]


def test_a_refusal_held_for_the_next_passdb_counts_after_a_quiet_minute() -> None:
    # PAM's refusal with neither passwd-file's line nor the login process's: the client
    # hung up and the login process's line is late or lost. It counted when the session
    # expired, an hour on; now when its session stays quiet for a minute (HELD_WAIT), so
    # a guess is not lost to a later quiet log (or a daemon restart).
    lines = guesses([1])
    for n in range(3):
        lines += hang_up(100 + 15 * n, n, worker_line=True, hang_up_line=False)
    assert live(lines, 0)[1] == 1  # the user's typo: a slow next passdb may still answer
    assert live(lines, 35)[1] == 2  # the first try's minute is over, not the others'
    assert live(lines, 60)[1] == 4  # the daemon's clock: the log quiet for a minute
    later = f"{stamp(200)} mx postfix/smtpd[800]: connect from unknown[198.51.100.30]"
    assert live([*lines, later], 0)[1] == 4  # the log's time: another line 68 s on


def test_a_bot_logging_in_within_the_held_minute_got_in() -> None:
    # Ten tries hanging up in PAM's delay (refusals held for the next passdb), then a
    # login two seconds after the last: the held refusals of the address's other
    # sessions count before the login is judged. Judged first, the login made them an
    # account the client had logged in as: "No attack found".
    lines = guesses([1])
    for n in range(10):
        lines += hang_up(100 + 3 * n, n, worker_line=True, hang_up_line=False)
    lines.append(
        f"{stamp(132)} mx dovecot: imap-login: Login: user=<alice>, method=PLAIN,"
        f" rip={BOT}, lip=192.0.2.1, mpid=21516, TLS, session=<BotLoginabcdefgh>"
    )
    detector = Detector(keep_history=False)
    found = [d for e in events_from(lines) for d in detector.feed(e)]
    assert (BOT, "compromised") in {(d.ip, str(d.verdict)) for d in found}
    assert detector.stats["failures_counted"] == 7  # the typo, and 6 held 10 s or more


def test_a_client_s_parallel_connections_logging_in_are_no_failures() -> None:
    # A mail client opens five connections at once with the right password: PAM
    # refuses each, passwd-file accepts each, the logins come one after the other. The
    # first login must not count the other four's refusals (held, a moment old) as
    # failures: that was "Someone got in … after 5 failed logins" and a ban.
    lines, _t = connection(0, 0, 1, False)  # one earlier typo: passwd-file follows PAM
    sids = [f"Para{n:02d}abcdefghij" for n in range(5)]
    lines += [
        f"{stamp(102)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{n}>: pam(alice,{IP},<{sid}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
        for n, sid in enumerate(sids)
    ]
    lines += [
        f"{stamp(102)} mx dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=21516, secured, session=<{sid}>"
        for sid in sids
    ]
    detector = Detector(keep_history=False)
    found = [d for e in events_from(lines) for d in detector.feed(e)]
    found += detector.expire(silent=0)
    assert found == []
    assert detector.stats["failures_counted"] == 1


def test_the_index_of_held_refusals_by_address_stays_bounded() -> None:
    # Refusals held and then counted by the session's close leave their keys in the
    # index by address until that address logs in: no more keys than open sessions
    # (max_clients), whatever the number of addresses (it was up to 64 per address).
    lines, _t = connection(0, 0, 1, False)  # one earlier typo: passwd-file follows PAM
    for i in range(3000):
        sid = f"S{i:07d}xyzabcdef"
        ip = f"2001:db8::{i % 100:x}"  # 100 addresses, 30 sessions each
        lines += [
            f"{stamp(100 + i // 50)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(u{i},{ip},<{sid}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
            f"{stamp(100 + i // 50)} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<u{i}>, method=PLAIN, rip={ip}, lip=192.0.2.1, session=<{sid}>",
        ]
    detector = Detector(PolicyConfig(max_clients=1000), keep_history=False)
    for event in events_from(lines):
        detector.feed(event)
    index = detector._sessions._held_by_ip
    assert sum(map(len, index.values())) <= 1000


def test_a_slow_next_passdb_accepting_after_six_seconds_is_no_failure() -> None:
    # alice mistypes twice in one IMAP session, then types the right password: PAM
    # refuses it, passwd-file accepts it 6 s later (a busy auth process); other
    # sessions' lines come meanwhile. A 5-s wait counted PAM's refusal of the right
    # password as a third failure: her address banned, "Maybe someone got in".
    lines = [
        "Nov 30 10:00:00 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        "Nov 30 10:00:00 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost=198.51.100.20",
        "Nov 30 10:00:02 mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,198.51.100.20,<Learn0abcdefghij>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        "Nov 30 10:00:02 mx dovecot: auth: passwd-file(alice,198.51.100.20,<Learn0abcdefghij>): Password mismatch",
        "Nov 30 10:00:02 mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 4 secs): user=<alice>, method=PLAIN, rip=198.51.100.20, lip=192.0.2.1, secured, session=<Learn0abcdefghij>",
        "Nov 30 10:05:00 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        "Nov 30 10:05:00 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost=198.51.100.30",
        "Nov 30 10:05:02 mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,198.51.100.30,<UserS3abcdefghij>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        "Nov 30 10:05:02 mx dovecot: auth: passwd-file(alice,198.51.100.30,<UserS3abcdefghij>): Password mismatch",
        "Nov 30 10:05:03 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        "Nov 30 10:05:03 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost=198.51.100.30",
        "Nov 30 10:05:05 mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,198.51.100.30,<UserS3abcdefghij>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        "Nov 30 10:05:05 mx dovecot: auth: passwd-file(alice,198.51.100.30,<UserS3abcdefghij>): Password mismatch",
        "Nov 30 10:05:06 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        "Nov 30 10:05:06 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost=198.51.100.30",
        "Nov 30 10:05:08 mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,198.51.100.30,<UserS3abcdefghij>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        "Nov 30 10:05:09 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, secured, session=<Oth00309abcdefgh>",
        "Nov 30 10:05:10 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, secured, session=<Oth00310abcdefgh>",
        "Nov 30 10:05:11 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, secured, session=<Oth00311abcdefgh>",
        "Nov 30 10:05:12 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, secured, session=<Oth00312abcdefgh>",
        "Nov 30 10:05:13 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1, mpid=1, secured, session=<Oth00313abcdefgh>",
        "Nov 30 10:05:14 mx dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=198.51.100.30, lip=192.0.2.1, mpid=21516, secured, session=<UserS3abcdefghij>",
    ]
    bans, failures = live(lines, 0)
    assert failures == 3  # the user's first typo (other address) and alice's two
    assert bans == []


# -- Postfix's SASL: tries under way at once, and a slow second passdb ---------------------

NAT = "198.51.100.20"


def sasl_tries(
    t: int, users: list[str], first: str = "pam", gap: int = 0, pam_lines: bool = True
) -> list[str]:
    """Submission connections from ``NAT`` at second ``t``, one wrong password each (of
    ``users[i]``), their lines interleaved as Dovecot's auth process wrote them: with
    ``first`` "pam", pam_unix's lines, 2 s later PAM's refusals, ``gap`` s later
    passwd-file's; with "passwd-file", passwd-file's and pam_unix's lines, PAM's
    refusals 3 s later (its failure delay, 2 s ±25%, stamped to the second). Postfix's
    lines after Dovecot's failure delay."""
    smtpd = [f"mx postfix/submission/smtpd[{700 + t + i}]" for i in range(len(users))]
    lines = [f"{stamp(t)} {p}: connect from unknown[{NAT}]" for p in smtpd]
    pam_unix = [
        line
        for user in users
        for line in (
            f"{stamp(t)} mx auth: pam_unix(dovecot:auth): check pass; user unknown",
            f"{stamp(t)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={NAT} ",
        )
    ]
    if not pam_lines:
        pam_unix = []

    def pam(at: int) -> list[str]:
        return [
            f"{stamp(at)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam({user},{NAT}): pam_authenticate() failed: Authentication failure (Password mismatch?)"
            for user in users
        ]

    def passwd_file(at: int) -> list[str]:
        return [
            f"{stamp(at)} mx dovecot: auth: passwd-file({user},{NAT}): Password mismatch"
            for user in users
        ]

    if first == "pam":
        lines += [*pam_unix, *pam(t + 2), *passwd_file(t + 2 + gap)]
        end = t + 2 + gap
    else:
        lines += [*passwd_file(t), *pam_unix, *pam(t + 3)]
        end = t + 3
    lines += [
        f"{stamp(end + 1)} {p}: warning: unknown[{NAT}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}"
        for p, user in zip(smtpd, users, strict=True)
    ]
    return lines + [
        f"{stamp(end + 2)} {p}: disconnect from unknown[{NAT}] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5"
        for p in smtpd
    ]


@pytest.mark.parametrize(
    ("users", "gap"),
    [(["alice", "alice"], 0), (["alice", "bob"], 0), (["alice"], 3)],
    ids=["parallel-same-name", "colleagues-behind-nat", "passwd-file-3s-after-pam"],
)
def test_tries_by_postfix_s_sasl_through_two_passdbs_count_once_each(
    run: Runner, log_file: LogFile, users: list[str], gap: int
) -> None:
    # A typo at 10:00 shows passwd-file after PAM; then, a minute on, one wrong password
    # per connection: of one name by two connections at once (a phone's two accounts
    # set up alike), of two colleagues behind the office's NAT, or (one connection, then
    # another 30 s later) with passwd-file's line 3 s after PAM's. Only the address's
    # latest try within 2 s took the next passdb's line: each such try counted twice.
    lines = sasl_tries(0, ["alice"])
    tries = 1
    for t in (60, 90) if len(users) == 1 else (60,):
        lines += sasl_tries(t, users, gap=gap)
        tries += len(users)
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == tries
    assert [a for a in got["attackers"] if a["recommendation"].startswith("ban")] == []
    assert detector_on(lines) == ([], tries)


def test_tries_with_pam_s_refusal_3_s_after_passwd_file_s_count_once_each(
    run: Runner, log_file: LogFile
) -> None:
    # passwd-file first, PAM second: PAM's refusal comes after its failure delay, 3 s
    # after passwd-file's line when the stamps fall so, past the 2 s the next passdb's
    # line was looked for: 3 wrong passwords counted 6.
    lines = [
        line
        for t in (0, 60, 90)
        for line in sasl_tries(t, ["alice"], "passwd-file", pam_lines=False)
    ]
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 3
    assert detector_on(lines)[1] == 3


def test_an_address_trying_again_is_not_the_first_forgotten_when_the_table_is_full() -> None:
    # The table of tries under way is bounded; an address's new try replaced its entry
    # in place, where the oldest are forgotten first: with other addresses' tries since
    # filling it, its passwd-file line was no longer paired with its PAM line, and its
    # try counted twice.
    def refusal(db: str, ip: str, t: int = 0) -> str:
        text = "pam_authenticate() failed: Authentication failure (Password mismatch?)"
        if db == "passwd-file":
            return f"{stamp(t)} mx dovecot: auth: passwd-file(alice,{ip}): Password mismatch"
        return f"{stamp(t)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,{ip}): {text}"

    lines = [refusal("pam", IP), refusal("passwd-file", IP)]  # PAM is followed
    lines += [refusal("pam", f"203.0.113.{n}") for n in range(1, 10)]  # the table is full
    lines.append(refusal("pam", IP, 1))  # its next try, a second on
    lines.append(refusal("pam", "203.0.113.100", 1))  # the oldest tenth is forgotten
    lines.append(refusal("passwd-file", IP, 1))
    tracker = SessionTracker(max_open=10)
    counted = sum(tracker.feed(event)[1] for event in events_from(lines))
    assert counted == 2 + 10  # IP's two tries, the others' one each


# -- passwd-file first, PAM second, pam_unix's lines in the log ----------------------------


def passwd_file_first(t: int, n: int, wrong: int, pam_last: bool = False) -> tuple[list[str], int]:
    """One IMAP connection from second ``t`` with ``wrong`` wrong passwords, through
    passwd-file first, then PAM (``passdb { driver = passwd-file }`` before ``driver =
    pam``): passwd-file's refusal, pam_unix's lines at once (or, ``pam_last``, after the
    auth worker's, in its second), PAM's refusal after its failure delay, the login
    process's line. (lines, its end)."""
    sid = f"Pwf{n:02d}abcdefghijk"
    lines = []
    start = t
    for k in range(wrong):
        pam = [
            "auth: pam_unix(dovecot:auth): check pass; user unknown",
            f"auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={IP} ",
        ]
        lines.append(
            f"{stamp(t)} mx dovecot: auth: passwd-file(alice,{IP},<{sid}>): Password mismatch"
        )
        if not pam_last:
            lines += [f"{stamp(t)} mx {text}" for text in pam]
        t += 2
        lines.append(
            f"{stamp(t)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{n * 8 + k}>: pam(alice,{IP},<{sid}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
        )
        if pam_last:
            lines += [f"{stamp(t)} mx {text}" for text in pam]
        t += 2
    lines.append(
        f"{stamp(t)} mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, {wrong} attempts in {t - start} secs): user=<alice>, method=PLAIN, rip={IP}, lip=192.0.2.1, secured, session=<{sid}>"
    )
    return lines, t


@pytest.mark.parametrize("pam_last", [False, True], ids=["pam-unix-first", "pam-unix-last"])
@pytest.mark.parametrize("per_connection", [[3], [1, 1, 1]], ids=str)
def test_n_wrong_passwords_through_passwd_file_then_pam_are_n_failures(
    run: Runner, log_file: LogFile, per_connection: list[int], pam_last: bool
) -> None:
    # pam_unix's line of a try passwd-file's refusal counted was counted again (and, once
    # passwd-file was seen followed by PAM, its held refusal as well): 3 wrong passwords
    # counted 6, in one connection or three.
    lines: list[str] = []
    t = 0
    for n, wrong in enumerate(per_connection):
        more, t = passwd_file_first(t, n, wrong, pam_last)
        lines += more
        t += 20
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 3
    (client,) = got["attackers"]
    assert client["failures"] == 3
    assert detector_on(lines)[1] == 3


def test_tries_by_postfix_s_sasl_through_passwd_file_then_pam_count_once_each(
    run: Runner, log_file: LogFile
) -> None:
    # The same with Postfix's SASL (no session id): each try counted twice, 6.
    lines = [line for t in (0, 60, 90) for line in sasl_tries(t, ["alice"], "passwd-file")]
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 3
    assert detector_on(lines)[1] == 3


def test_a_held_refusal_stamped_before_the_one_above_it_counts_after_its_own_minute() -> None:
    # Two bots hang up in PAM's failure delay, their lines merged from two syslog sources
    # 3 s out of order. The refusals held for the next passdb waited in the order fed: the
    # earlier-stamped one, behind the later one, counted only when that one's minute was
    # over too (in the daemon: at the next housekeeping, a minute on).
    lines = guesses([1])  # shows that passwd-file follows PAM
    lines += hang_up(103, 1, worker_line=True, hang_up_line=False)
    lines += hang_up(100, 0, worker_line=True, hang_up_line=False)
    assert live(lines, 57)[1] == 2  # the typo and the try of 10:01:42, a minute old
    assert live(lines, 60)[1] == 3


# -- pam_unix's line pairs only with its own try ------------------------------------------

VICTIM = "203.0.113.50"


def two_passdbs_bot(pairs: int, keep_open: bool = False) -> list[str]:
    """passwd-file for names with a domain (``username_filter = *@*``), then PAM for the
    others (``!*@*``): a bot alternates a guess at alice@example.com (passwd-file's
    refusal, PAM not asked) with one at alice that hangs up in PAM's failure delay
    (pam_unix's line alone). ``keep_open``: the first connection's line comes after the
    second's lines."""
    lines: list[str] = []
    for i in range(pairs):
        t = 6 * i
        virtual = f"V{i:02d}abcdefghijklmn"
        refusal = f"{stamp(t)} mx dovecot: auth: passwd-file(alice@example.com,{VICTIM},<{virtual}>): Password mismatch"
        closed = f"{stamp(t + 1)} mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<alice@example.com>, method=PLAIN, rip={VICTIM}, lip=192.0.2.1, secured, session=<{virtual}>"
        pam = [
            f"{stamp(t + 1)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={VICTIM}  user=alice",
            f"{stamp(t + 2)} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<alice>, method=PLAIN, rip={VICTIM}, lip=192.0.2.1, TLS, session=<P{i:02d}abcdefghijklmn>",
        ]
        lines += [refusal, *pam, closed] if keep_open else [refusal, closed, *pam]
    return lines


@pytest.mark.parametrize("keep_open", [False, True], ids=["closed-first", "kept-open"])
def test_a_guess_only_pam_logged_is_not_taken_for_another_passdb_s_try(
    run: Runner, log_file: LogFile, keep_open: bool
) -> None:
    # pam_unix's line paired with any refusal of the name (domain aside) by another
    # passdb within 5 s: the bot's 10 guesses counted 5. A refusal whose connection
    # ended, or whose try PAM never answered, has no pam_unix line to come.
    lines = two_passdbs_bot(5, keep_open)
    if keep_open:  # PAM is seen to follow passwd-file: a user's typo, earlier
        lines = passwd_file_first(0, 99, 1)[0] + [
            line.replace("10:00:", "10:01:").replace("10:01:0", "10:01:3") for line in lines
        ]
    tries = 10 + keep_open
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == tries
    assert detector_on(lines)[1] == tries
    detector = Detector(keep_history=False, late_pam=True)  # the daemon: auth.log too
    for event in events_from(lines):
        detector.feed(event)
    detector.close()
    assert detector.stats["failures_counted"] == tries


def test_an_address_refused_again_is_not_the_first_forgotten_of_tries_before_pam() -> None:
    # Tries refused by passwd-file, PAM next (Postfix's SASL: no session id), from 11
    # addresses with a table of 10: the address refused again, first seen at 10:00:00,
    # was forgotten first; PAM's line of its second try counted again: 4 for 2 tries.
    def passwd_file(ip: str, t: int) -> str:
        return f"{stamp(t)} mx dovecot: auth: passwd-file(alice,{ip}): Password mismatch"

    def pam(ip: str, t: int) -> list[str]:
        return [
            f"{stamp(t)} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,{ip}): pam_authenticate() failed: Authentication failure (Password mismatch?)",
            f"{stamp(t)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={ip} ",
        ]

    lines = [passwd_file(IP, 0)] + [passwd_file(f"203.0.113.{n}", 0) for n in range(1, 10)]
    lines += [passwd_file(IP, 2), passwd_file("203.0.113.100", 2), *pam(IP, 3), *pam(IP, 5)]
    tracker = SessionTracker(max_open=10)
    counted = {ip: 0 for ip in (IP, "203.0.113.100")}
    for event in events_from(lines):
        new = tracker.feed(event)[1]
        if event.ip in counted:
            counted[event.ip] += new
    assert counted == {IP: 2, "203.0.113.100": 1}


def test_held_refusals_out_of_time_order_do_not_rebuild_the_table_per_line() -> None:
    # Two hosts' syslog merged, their clocks 3 s apart: the refusals held for the next
    # passdb were sorted again at almost every login once one came out of order (200,000
    # lines: 14 s became 4 minutes). The table is built once.
    lines, _t = connection(0, 0, 1, False)  # passwd-file follows PAM
    for i in range(3000):
        host, skew = ("mx1", 0) if i % 2 else ("mx2", 3)
        t = 100 + i // 20 - skew
        lines.append(
            f"{stamp(t)} {host} dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(u{i % 50},2001:db8::{i:x},<S{i:014d}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
        )
        if i >= 1200:
            j = i - 900
            lines.append(
                f"{stamp(t)} {host} dovecot: imap-login: Login: user=<u{j % 50}>, method=PLAIN, rip=2001:db8::{j:x}, lip=192.0.2.1, mpid=1, secured, session=<L{i:014d}>"
            )
    detector = Detector(keep_history=False)
    tables = []
    for event in events_from(lines):
        detector.feed(event)
        held = detector._sessions._holding
        if not tables or held is not tables[-1]:
            tables.append(held)
    assert len(tables) == 1


def test_a_refusal_whose_session_logged_in_through_pam_pairs_with_no_later_pam_line() -> None:
    # passwd-file refuses, PAM accepts: the session logs in. Its refusal stayed among the
    # tries whose pam_unix line was to come, and took the pam_unix line of a guess from
    # the address a second later (hanging up in PAM's delay): that guess counted nothing.
    sid = "HeldLoginabcdefg"
    lines = passwd_file_first(0, 0, 1)[0]  # a typo: PAM follows passwd-file
    lines += [
        f"{stamp(30)} mx dovecot: auth: passwd-file(alice,{IP},<{sid}>): Password mismatch",
        f"{stamp(32)} mx dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=1, secured, session=<{sid}>",
        f"{stamp(33)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={IP}  user=alice",
        f"{stamp(34)} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<alice>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<Hangabcdefghijkl>",
    ]
    tracker = SessionTracker()
    counted = sum(tracker.feed(event)[1] for event in events_from(lines))
    assert counted + len(tracker.released) == 2  # the typo and the guess


def overlapping_sasl_tries(n: int, gap: int, same: bool) -> list[str]:
    """``n`` submission connections from ``IP``, ``gap`` s apart, one wrong password
    each, through passwd-file then PAM: each try's passwd-file and pam_unix lines, the
    auth worker's PAM refusal 2 s later, Postfix's line 2 s after that. With ``gap`` 3,
    the next try's lines come before this one's Postfix line."""
    timed: list[tuple[int, str]] = []
    for i in range(n):
        t = gap * i
        user = "alice" if same else f"user{i}"
        smtpd = f"mx postfix/submission/smtpd[{100 + i}]"
        timed += [
            (t, f"{smtpd}: connect from unknown[{IP}]"),
            (t + 1, f"mx dovecot: auth: passwd-file({user},{IP}): Password mismatch"),
            (
                t + 1,
                f"mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP} ",
            ),
            (
                t + 3,
                f"mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{100 + i}>: pam({user},{IP}): pam_authenticate() failed: Authentication failure (Password mismatch?)",
            ),
            (
                t + 5,
                f"{smtpd}: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
            ),
            (
                t + 6,
                f"{smtpd}: disconnect from unknown[{IP}] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
            ),
        ]
    timed.sort(key=lambda pair: pair[0])
    return [f"{stamp(t)} {line}" for t, line in timed]


@pytest.mark.parametrize("same", [False, True], ids=["two-names", "one-name"])
def test_postfix_s_line_of_one_sasl_try_does_not_end_the_next_one(
    run: Runner, log_file: LogFile, same: bool
) -> None:
    # passwd-file first, then PAM; a second connection's try begins before Postfix's
    # line of the first. That line ended the other try (already paired with its own
    # pam_unix line), whose pam_unix line then counted again: two wrong passwords
    # counted three, a ban.
    lines = overlapping_sasl_tries(2, 3, same)
    got = report(run, log_file, lines)
    assert got["stats"]["failures_counted"] == 2
    assert [a for a in got["attackers"] if a["recommendation"].startswith("ban")] == []
    assert detector_on(lines) == ([], 2)


@pytest.mark.parametrize(("gap", "same"), [(3, False), (2, False), (1, True)])
def test_six_overlapping_sasl_tries_through_passwd_file_then_pam_count_six(
    run: Runner, log_file: LogFile, gap: int, same: bool
) -> None:
    # Six connections 3 s apart, one wrong password each: they counted 11. 1 or 2 s
    # apart, a try's passwd-file line waiting for Postfix's line (a retry of a failed
    # connection?) was not paired with its pam_unix line: the try counted twice.
    lines = overlapping_sasl_tries(6, gap, same)
    assert report(run, log_file, lines)["stats"]["failures_counted"] == 6
    assert detector_on(lines)[1] == 6
