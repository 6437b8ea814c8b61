# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Debian with Dovecot checking passwords through PAM: pam_unix's failure line of an
attempt goes to /var/log/auth.log, Dovecot's (and Postfix's) lines of it to
/var/log/mail.log, stamped to the second. A daemon that follows both reads, in one poll,
what each file got since the last: a wrong password is one failure, not two, whichever
order the files are named in, so that a user who mistypes twice is not banned."""

from __future__ import annotations

import gzip
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wardenlab import ATTACKER, OTHER, Warden, append, banned, drain

from mailwarden.daemon.loop import Daemon


def second(when: datetime) -> str:
    """rsyslog's RFC 3339 time, to the second (as a classic stamp is)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def imap_try(
    n: int, ip: str = ATTACKER, user: str = "bob", when: datetime | None = None
) -> tuple[list[str], list[str]]:
    """Try ``n`` by IMAP: (auth.log lines, mail.log lines), PAM's and Dovecot's auth
    worker's in one second, the login process's when the connection ends."""
    now = second(when or datetime.now(UTC))
    session = f"Sess{n:02d}abcdefghij"
    auth = [
        f"{now} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ip}  user={user}"
    ]
    mail = [
        f"{now} mx dovecot: auth-worker(1234): pam({user},{ip},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
        f"{now} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, TLS, session=<{session}>",
    ]
    return auth, mail


def smtp_try(n: int, ip: str = ATTACKER, user: str = "bob") -> tuple[list[str], list[str]]:
    """Try ``n`` by Postfix's SASL through Dovecot's PAM (no auth_verbose): PAM's line
    and Postfix's in one second."""
    now = second(datetime.now(UTC))
    prog, pid = "postfix/submission/smtpd", 700 + n
    auth = [
        f"{now} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ip}  user={user}"
    ]
    mail = [
        f"{now} mx {prog}[{pid}]: connect from unknown[{ip}]",
        f"{now} mx {prog}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
        f"{now} mx {prog}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]
    return auth, mail


@pytest.fixture
def auth_log(warden: Warden) -> Path:
    path = warden.tmp / "auth.log"
    path.touch()
    return path


def follow(warden: Warden, *paths: Path) -> Daemon:
    warden.sections["sources"]["files"] = [str(path) for path in paths]
    warden.write()
    return warden.start()


@pytest.mark.parametrize("kind", [imap_try, smtp_try], ids=["imap", "smtp-sasl"])
@pytest.mark.parametrize("mail_first", [True, False], ids=["mail-log-first", "auth-log-first"])
def test_two_typos_read_from_both_logs_in_one_poll_do_not_ban(
    warden: Warden, auth_log: Path, kind: object, mail_first: bool
) -> None:
    daemon = follow(warden, *((warden.log, auth_log) if mail_first else (auth_log, warden.log)))
    for n in range(2):
        pam, mail = kind(n)  # type: ignore[operator]
        append(auth_log, pam)
        append(warden.log, mail)
        daemon.step()  # one poll reads both files' new lines
    assert banned(daemon) == set()  # two wrong passwords, not four (fast_failures = 3)

    pam, mail = kind(2)  # type: ignore[operator]
    append(auth_log, pam)
    append(warden.log, mail)
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}  # the third is counted


@pytest.mark.parametrize("kind", [imap_try, smtp_try], ids=["imap", "smtp-sasl"])
def test_a_restart_after_two_typos_neither_bans_nor_forgets_them(
    warden: Warden, auth_log: Path, kind: object
) -> None:
    # The warm-up reads back both files' tails: fed file after file, auth.log's PAM
    # lines came after mail.log's lines of the same attempts and counted them again.
    daemon = follow(warden, warden.log, auth_log)
    for n in range(2):
        pam, mail = kind(n)  # type: ignore[operator]
        append(auth_log, pam)
        daemon.step()  # PAM's line read a poll before the others, as it was written
        append(warden.log, mail)
        daemon.step()
    assert banned(daemon) == set()
    daemon.close()

    again = warden.start()
    again.step()
    assert banned(again) == set()
    assert again.counters.warmup_lines == 6 if kind is imap_try else 8

    pam, mail = kind(2)  # type: ignore[operator]
    append(auth_log, pam)
    append(warden.log, mail)
    again.step()
    assert banned(again) == {f"{ATTACKER}/32"}  # the third, with the two before the restart


def failures(daemon: Daemon) -> int:
    return int(daemon.detector.stats["failures_counted"])


@pytest.mark.parametrize("kind", [imap_try, smtp_try], ids=["imap", "smtp-sasl"])
def test_two_typos_whose_pam_lines_are_read_a_poll_late_do_not_ban(
    warden: Warden, auth_log: Path, kind: object
) -> None:
    # The poll read auth.log just before PAM wrote its line, and mail.log after Dovecot
    # (or Postfix) wrote theirs: PAM's line came a poll after the others of its attempt
    # and counted it again, so a user's second typo banned them.
    daemon = follow(warden, warden.log, auth_log)
    for n in range(2):
        pam, mail = kind(n)  # type: ignore[operator]
        append(warden.log, mail)
        daemon.step()
        append(auth_log, pam)
        daemon.step()
    assert (banned(daemon), failures(daemon)) == (set(), 2)

    pam, mail = kind(2)  # type: ignore[operator]
    append(warden.log, mail)
    daemon.step()
    append(auth_log, pam)
    daemon.step()
    assert (banned(daemon), failures(daemon)) == ({f"{ATTACKER}/32"}, 3)


@pytest.mark.parametrize("kind", [imap_try, smtp_try], ids=["imap", "smtp-sasl"])
def test_two_typos_whose_pam_lines_are_both_read_a_poll_late_count_two(
    warden: Warden, auth_log: Path, kind: object
) -> None:
    daemon = follow(warden, warden.log, auth_log)
    tries = [kind(n) for n in range(2)]  # type: ignore[operator]
    for _pam, mail in tries:
        append(warden.log, mail)
    daemon.step()
    for pam, _mail in tries:
        append(auth_log, pam)
    daemon.step()
    assert (banned(daemon), failures(daemon)) == (set(), 2)  # not 1, not 4


def test_a_restart_s_backlog_of_auth_log_read_after_mail_log_s_does_not_ban(
    warden: Warden, auth_log: Path
) -> None:
    # Stopped, the daemon left both files' rest for its next start, which reads a backlog
    # a piece (1 MiB) of each file a poll: auth.log's cron and ssh lines before PAM's put
    # PAM's lines a poll after mail.log's lines of the same attempts.
    daemon = follow(warden, warden.log, auth_log)
    daemon.step()
    daemon.close()
    noise = second(datetime.now(UTC))
    cron = f"{noise} mx CRON[4242]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
    append(auth_log, [cron] * ((1 << 20) // len(cron) + 10))
    for n in range(2):
        pam, mail = imap_try(n)
        append(auth_log, pam)
        append(warden.log, mail)

    again = warden.start()
    while again.step():
        pass
    assert (banned(again), failures(again)) == (set(), 2)


THIRD = "198.51.100.30"


def delivery(n: int, when: datetime) -> str:
    """A line of a mail received (a connection of a mail server that delivers one)."""
    prog, pid, host = "postfix/smtpd", 3000 + n % 1000, "mail.example.net[192.0.2.10]"
    return [
        f"{second(when)} mx {prog}[{pid}]: connect from {host}",
        f"{second(when)} mx {prog}[{pid}]: 4Q{n:08X}: client={host}",
        f"{second(when)} mx {prog}[{pid}]: disconnect from {host} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
    ][n % 3]


def deliveries(size: int, since: datetime, until: datetime) -> list[str]:
    """Lines of mails received (about ``size`` bytes) from ``since`` to ``until``."""
    count = size // len(delivery(0, since)) + 1
    step = (until - since) / count
    return [delivery(n, since + n * step) for n in range(count)]


def backlog_with_mail_log_behind(warden: Warden, auth_log: Path) -> None:
    """A restart's backlog: mail.log's deliveries of two hours (3 MiB) before Dovecot's
    lines of two wrong passwords three minutes ago, PAM's lines of them in auth.log, then
    another address's wrong password now in both."""
    daemon = follow(warden, warden.log, auth_log)
    daemon.step()
    daemon.close()
    now = datetime.now(UTC)
    then = now - timedelta(minutes=3)
    append(warden.log, deliveries(3 << 20, then - timedelta(hours=2), then))
    for n in range(2):
        pam, mail = imap_try(n, when=then)
        append(auth_log, pam)
        append(warden.log, mail)
    pam, mail = imap_try(9, ip=OTHER, when=now)
    append(auth_log, pam)
    append(warden.log, mail)


def third_waits_for_mail_log(
    warden: Warden, auth_log: Path, size: int, tries: int, now: datetime
) -> Daemon:
    """A restart's backlog: mail.log's deliveries of three to one hours before ``now``
    (``size`` bytes), THIRD's ``tries`` wrong passwords at ``now`` in auth.log (PAM's
    lines); the daemon started again, with the first piece of each file read: auth.log's
    lines wait for mail.log's."""
    daemon = follow(warden, warden.log, auth_log)
    daemon.step()
    daemon.close()
    append(warden.log, deliveries(size, now - timedelta(hours=3), now - timedelta(hours=1)))
    append(auth_log, [imap_try(n, ip=THIRD, when=now)[0][0] for n in range(tries)])
    return warden.start()


def test_a_restart_s_backlog_of_mail_log_read_after_auth_log_s_does_not_ban(
    warden: Warden, auth_log: Path
) -> None:
    # A piece (1 MiB) of each file a poll: auth.log's first piece held PAM's lines and
    # another address's line of now, ahead of mail.log's piece by hours; the detector
    # forgot PAM's lines (60 s after them in log time) before mail.log's lines of the
    # same attempts came, four polls later, and counted each attempt twice: two typos
    # banned the user.
    backlog_with_mail_log_behind(warden, auth_log)
    again = warden.start()
    drain(again)
    assert (banned(again), failures(again)) == (set(), 3)


def test_a_stop_in_a_backlog_keeps_the_lines_read_ahead_for_the_next_start(
    warden: Warden, auth_log: Path
) -> None:
    # Stopped after the first piece, while auth.log's lines read ahead of mail.log's
    # waited: the next start reads them again, neither lost nor counted twice. PAM's
    # lines of a third address (its Dovecot lines lost) count once each.
    backlog_with_mail_log_behind(warden, auth_log)
    pam_only = [imap_try(n, ip=THIRD)[0][0] for n in range(3)]
    append(auth_log, pam_only[:2])
    first = warden.start()  # reads the first piece of each file
    first.close()

    again = warden.start()
    drain(again)
    assert (banned(again), failures(again)) == (set(), 5)

    append(auth_log, pam_only[2:])
    again.step()
    assert (banned(again), failures(again)) == ({f"{THIRD}/32"}, 6)


def cron(n: int, when: datetime) -> str:
    return f"{second(when)} mx CRON[{4000 + n % 1000}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"


def test_a_restart_s_backlog_of_auth_log_far_behind_mail_log_s_does_not_ban(
    warden: Warden, auth_log: Path
) -> None:
    # auth.log's first piece (1 MiB of cron's lines of two hours) ended before the
    # attempts of twenty minutes ago; mail.log's, read whole, went on to now: the
    # detector forgot Dovecot's lines of them (15 minutes after in log time) before
    # PAM's lines came a poll later, and counted each attempt twice.
    daemon = follow(warden, warden.log, auth_log)
    daemon.step()
    daemon.close()
    now = datetime.now(UTC)
    then = now - timedelta(minutes=20)
    count = (1 << 20) // len(cron(0, now)) + 1
    append(auth_log, [cron(n, then - (count - n) * timedelta(seconds=1)) for n in range(count)])
    for n in range(2):
        pam, mail = imap_try(n, when=then)
        append(auth_log, pam)
        append(warden.log, mail)
    append(warden.log, deliveries(600 << 10, then, now))

    again = warden.start()
    drain(again)
    assert (banned(again), failures(again)) == (set(), 2)


def test_a_reload_in_a_backlog_reads_the_lines_read_ahead_again_once(
    warden: Warden, auth_log: Path
) -> None:
    # A reload that changes the policy starts the reading again from the positions
    # committed: auth.log's lines read ahead of mail.log's, and not fed yet, once.
    backlog_with_mail_log_behind(warden, auth_log)
    daemon = warden.start()  # reads the first piece of each file
    warden.sections["policy"]["fast_window"] = "6m"
    warden.write()
    daemon.reload()
    drain(daemon)
    assert (banned(daemon), failures(daemon)) == (set(), 3)


def test_auth_log_rotated_twice_while_its_lines_wait_for_mail_log_s_backlog_loses_none(
    warden: Warden, auth_log: Path
) -> None:
    # auth.log's lines read ahead of mail.log's backlog wait, and auth.log is not read
    # meanwhile; a size-based logrotate renamed it twice in that time. The file it was
    # the first time, auth.log.2 now, is read to its end, then auth.log.1, then
    # auth.log: the first new file's two wrong passwords were lost, and THIRD, who
    # tried three times, was not banned.
    backlog_with_mail_log_behind(warden, auth_log)
    daemon = warden.start()  # reads the first piece of each file: auth.log's waits
    third = [imap_try(n, ip=THIRD)[0][0] for n in range(3)]  # one attack's time
    rotated = Path(f"{auth_log}.1")
    os.rename(auth_log, rotated)
    append(auth_log, third[:2])
    daemon.step()
    assert banned(daemon) == set()
    os.rename(rotated, f"{auth_log}.2")
    os.rename(auth_log, rotated)
    append(auth_log, third[2:])
    drain(daemon)
    assert (banned(daemon), failures(daemon)) == ({f"{THIRD}/32"}, 6)


def test_lines_read_ahead_of_a_backlog_wait_at_most_hold_max(
    warden: Warden, auth_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mail.log's backlog is of hours ago, auth.log's three wrong passwords of THIRD are
    # of now: they waited until mail.log's whole backlog was read, however long that
    # took (with auth.log's times hours ahead, a wrong clock, for ever), and so did the
    # ban of a live attack. Now they wait `HOLD_MAX` seconds (30) at most.
    again = third_waits_for_mail_log(warden, auth_log, 4 << 20, 3, datetime.now(UTC))
    again.step()
    assert banned(again) == set()  # held: mail.log is hours behind
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + 31)  # 31 s later
    again.step()
    assert banned(again) == {f"{THIRD}/32"}
    assert str(warden.log) in again.reader.behind()  # before mail.log's backlog is read
    drain(again)
    assert (banned(again), failures(again)) == ({f"{THIRD}/32"}, 3)


@pytest.mark.parametrize("rotation", ["compress", "copytruncate", "copytruncate-compress"])
def test_a_stop_while_lines_wait_then_a_rotation_while_stopped_loses_none(
    warden: Warden, auth_log: Path, caplog: pytest.LogCaptureFixture, rotation: str
) -> None:
    # Stopped after the first piece, while auth.log's lines (all of it) waited for
    # mail.log's backlog of hours ago: its position is its first line's, offset 0.
    # While stopped, logrotate rotated it: compressed at once (``compress`` without
    # ``delaycompress``), or copied and truncated (``copytruncate``). A position at
    # offset 0 was never looked for in a copy: "the file read before the restart is
    # gone", and THIRD's two wrong passwords in it were lost.
    # THIRD's three tries at one time, the third written after a restart and a rotation:
    # stamped when written, on a busy machine they could fall over 5 minutes (the fast
    # window) apart: no ban
    now = datetime.now(UTC)
    third_waits_for_mail_log(warden, auth_log, 3 << 20, 2, now).close()
    rotated = Path(f"{auth_log}.1")
    if rotation == "compress":
        auth_log.rename(rotated)
        auth_log.touch()
    else:
        rotated.write_bytes(auth_log.read_bytes())
        auth_log.write_bytes(b"")
    if rotation.endswith("compress"):
        Path(f"{rotated}.gz").write_bytes(gzip.compress(rotated.read_bytes()))
        rotated.unlink()

    again = warden.start()
    drain(again)
    assert (banned(again), failures(again)) == (set(), 2)
    assert "is gone" not in "\n".join(record.getMessage() for record in caplog.records)

    append(auth_log, [imap_try(2, ip=THIRD, when=now)[0][0]])
    again.step()
    assert (banned(again), failures(again)) == ({f"{THIRD}/32"}, 3)


def virtual_try(
    n: int, logs_in: bool = False, user: str = "alice", when: datetime | None = None
) -> tuple[list[str], list[str]]:
    """Try ``n`` by IMAP of a passwd-file user with PAM as the first passdb (Dovecot
    2.3, Debian's PAM stack, as a lab instance wrote them): pam_unix's lines (auth.log),
    then PAM's refusal by the auth worker, passwd-file's answer and the login process's
    line (mail.log). The right password (``logs_in``) is refused by PAM all the same."""
    now = second(when or datetime.now(UTC))
    session = f"Virt{n:02d}abcdefghij"
    auth = [
        f"{now} mx auth: pam_unix(dovecot:auth): check pass; user unknown",
        f"{now} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ATTACKER} ",
    ]
    mail = [
        f"{now} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<{n + 1}>: pam({user},{ATTACKER},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
    ]
    if logs_in:
        mail.append(
            f"{now} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={ATTACKER}, lip=192.0.2.254, mpid=21516, secured, session=<{session}>"
        )
    else:
        mail += [
            f"{now} mx dovecot: auth: passwd-file({user},{ATTACKER},<{session}>): Password mismatch",
            f"{now} mx dovecot: imap-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 4 secs): user=<{user}>, method=PLAIN, rip={ATTACKER}, lip=192.0.2.254, secured, session=<{session}>",
        ]
    return auth, mail


@pytest.mark.parametrize("pam_late", [False, True], ids=["one-poll", "pam-a-poll-late"])
@pytest.mark.parametrize("mail_first", [True, False], ids=["mail-log-first", "auth-log-first"])
def test_two_typos_of_a_passwd_file_user_behind_pam_then_the_login_do_not_ban(
    warden: Warden, auth_log: Path, mail_first: bool, pam_late: bool
) -> None:
    # PAM refuses the right password too (it knows no such user); passwd-file accepts
    # it: the login's PAM lines counted a third failure, and the owner was banned.
    daemon = follow(warden, *((warden.log, auth_log) if mail_first else (auth_log, warden.log)))
    for n in range(3):
        pam, mail = virtual_try(n, logs_in=n == 2)
        append(warden.log, mail)
        if pam_late:
            daemon.step()
        append(auth_log, pam)
        daemon.step()
    assert (banned(daemon), failures(daemon)) == (set(), 2)


def test_one_log_with_pam_s_lines_after_dovecot_s_counts_each_try_once(warden: Warden) -> None:
    # One input holding PAM's lines and Dovecot's, PAM's after Dovecot's auth lines of
    # the try in their second: with one input the detector did not pair them, and each
    # wrong password counted twice (two typos minutes apart, and the login: banned).
    daemon = warden.start()
    start = datetime.now(UTC) - timedelta(minutes=4)
    for n in range(3):
        pam, mail = virtual_try(n, logs_in=n == 2, when=start + timedelta(minutes=2 * n))
        append(warden.log, [*mail[:-1], *pam, mail[-1]])
        daemon.step()
    assert (banned(daemon), failures(daemon)) == (set(), 2)


class Clock:
    """The daemon's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("worker_line", [False, True], ids=["pam-line-only", "worker-line-after"])
def test_a_bot_hanging_up_in_pam_s_fail_delay_is_banned_while_the_log_is_quiet(
    warden: Warden, worker_line: bool
) -> None:
    # An earlier user's typo shows PAM followed by passwd-file; then a bot tries 3
    # passwords 10 s apart and hangs up during PAM's fail delay each time: pam_unix's
    # line and the login process's "disconnected while authenticating" (and, after it,
    # the auth worker's PAM refusal; no passwd-file line). The pam_unix lines waited for
    # Dovecot's lines of their try by the log's time only, the worker's refusal for the
    # session's end (an hour): with the log quiet, 1 failure and no ban, for ever.
    daemon = warden.start()
    clock = Clock()
    daemon.clock = clock
    start = datetime.now(UTC) - timedelta(seconds=60)
    pam, mail = virtual_try(0, user="carol", when=start)
    lines = [*pam, *mail]
    for n in range(3):
        when = start + timedelta(seconds=10 + 10 * n)
        session = f"Hang{n:02d}abcdefghij"
        lines += [
            f"{second(when)} mx auth: pam_unix(dovecot:auth): check pass; user unknown",
            f"{second(when)} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={OTHER} ",
            f"{second(when + timedelta(seconds=1))} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<alice>, method=PLAIN, rip={OTHER}, lip=192.0.2.254, TLS, session=<{session}>",
        ]
        if worker_line:
            lines.append(
                f"{second(when + timedelta(seconds=2))} mx dovecot: auth-worker(20682): conn unix:auth-worker (pid=20680,uid=109): auth-worker<1>: pam(alice,{OTHER},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
            )
    append(warden.log, lines)
    drain(daemon)
    for _ in range(3):  # 3 minutes of silence, housekeeping each minute
        clock.now += 60
        daemon._due["housekeeping"] = 0
        daemon.step()
    assert banned(daemon) == {f"{OTHER}/32"}
