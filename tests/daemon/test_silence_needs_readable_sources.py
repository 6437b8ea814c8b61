# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The daemon judges what waits for a reject-trailer login after DEFER_SECONDS of a
silent log, by its own clock (test_silent_log_trailer_wait.py). A source it cannot read
now is no silence: the log may be full of lines it will read once it can, the session's
statistics that confirm the owner's login among them. The silence clock counted on all
the same, and the owner's phone, failing with an old password behind her refused
request's trailer, was banned after five minutes of an I/O error on mail.log, its
``auth=1`` line unread in the file. Now the silence stops while a followed file cannot
be read (an I/O error, a permission lost, a directory in its place: the daemon says it
and retries) or journalctl is not running (it restarts after 5 s); it goes on, from
where it stood, once every source reads again. A followed file that does not exist
(rotated, not created again yet) is no error: the first line written to it makes it,
and is read at once.

The daemon's clock is the test's (``Daemon.clock``, moved by hand); the housekeeping is
made due by hand, as the minutes it waits for would have."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from test_silent_log_trailer_wait import (
    OWNER,
    OWNER_PHONE,
    TAG,
    Clock,
    _started_on_guessing,
)
from wardenlab import ATTACKER, Warden, append, banned, drain, fake_command, stamp

from mailwarden.daemon.loop import Daemon

DEFER_SECONDS = 300.0  # mailwarden.detect.rules.DEFER_SECONDS
HOUSEKEEPING_EVERY = 60.0  # mailwarden.daemon.loop.HOUSEKEEPING_EVERY


def _break_reads(monkeypatch: pytest.MonkeyPatch, path: Path) -> Callable[[], None]:
    """``os.pread`` fails with EIO on descriptors open on ``path`` (a failing disk);
    returns the cure."""
    broken = {"now": True}
    real = os.pread

    def pread(fd: int, size: int, offset: int) -> bytes:
        if broken["now"] and os.readlink(f"/proc/self/fd/{fd}") == str(path):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(fd, size, offset)

    monkeypatch.setattr(os, "pread", pread)
    return lambda: broken.update(now=False)


def _minutes(daemon: Daemon, clock: Clock, count: int) -> None:
    """``count`` minutes of the daemon's clock, a step with the housekeeping due each."""
    for _ in range(count):
        clock.now += HOUSEKEEPING_EVERY
        daemon._due["housekeeping"] = 0
        daemon.step()


def _phone(when: datetime) -> list[str]:
    """The owner's phone failing three times with her old password (IMAP)."""
    return [
        f"{stamp(when)} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 1 secs): user=<{OWNER}>, method=PLAIN, rip={OWNER_PHONE}, lip=192.0.2.1, session=<p{n}>"
        for n in range(3)
    ]


def test_an_unreadable_log_is_no_silence_the_owner_is_not_banned(
    warden: Warden, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's refused request (trailer), her phone's three failures; then the
    session's statistics (``auth=1``) are written while mail.log gives I/O errors, for
    ten minutes. The old daemon took that for silence and banned her phone after five;
    now nothing is judged while the log cannot be read, and once it can, the statistics
    make the failures her old password's: nobody is banned, then or later."""
    daemon, clock, now = _started_on_guessing(warden, OWNER_PHONE, _phone)
    cure = _break_reads(monkeypatch, warden.log)
    append(
        warden.log,
        f"{stamp(now)} {TAG} disconnect from unknown[{OWNER_PHONE}] ehlo=1 auth=1 mail=1 rcpt=0/1 quit=1 commands=4/5",
    )
    daemon.step()
    assert daemon.reader.files.failures(), "the read error is the daemon's to see"
    _minutes(daemon, clock, 10)
    assert banned(daemon) == set()  # the old daemon: {OWNER_PHONE/32}
    cure()
    daemon.reader.files.clock = lambda: float("inf")  # the retry is due
    drain(daemon)
    assert not daemon.reader.files.failures()
    _minutes(daemon, clock, 10)
    assert banned(daemon) == set()


def test_the_silence_goes_on_once_the_log_reads_again(
    warden: Warden, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged trailer and three guesses, then two minutes of silence, ten of I/O
    errors (the lines then written are no mail lines: nothing to act on), and the log
    reads again: the guessing is banned once the silence while it could be read makes
    DEFER_SECONDS (two minutes before, three after), not at once when the errors end,
    and not never."""
    daemon, clock, now = _started_on_guessing(warden)
    _minutes(daemon, clock, 2)
    cure = _break_reads(monkeypatch, warden.log)
    append(warden.log, f"{stamp(now)} mx cron[77]: (root) CMD (true)")
    daemon.step()
    _minutes(daemon, clock, 10)
    assert banned(daemon) == set()  # the old daemon: banned at the fourth minute
    cure()
    daemon.reader.files.clock = lambda: float("inf")
    drain(daemon)
    _minutes(daemon, clock, 2)
    assert banned(daemon) == set()  # four minutes of silence it could read
    _minutes(daemon, clock, 2)
    assert banned(daemon) == {f"{ATTACKER}/32"}


IDLE_JOURNALCTL = """#!{python}
import sys, time
if "--follow" in sys.argv:
    time.sleep(600)
"""


def test_a_journal_that_is_not_followed_now_is_no_silence(
    warden: Warden, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mail.log and the journal followed; the guessing behind a forged trailer in
    mail.log; then journalctl ends (killed), and is started again only 5 s later: in
    between, the entries the journal gets are unread, however long the daemon's clock
    runs. The old daemon banned at the housekeeping after five minutes of that."""
    fake_command(tmp_path, monkeypatch, "journalctl", IDLE_JOURNALCTL)
    warden.sections["sources"]["journal"] = True
    warden.write()
    daemon, clock, _ = _started_on_guessing(warden)
    journal = daemon.reader.journal
    assert journal is not None and journal._proc is not None
    killed = journal._proc
    killed.kill()
    killed.wait()
    _minutes(daemon, clock, 10)
    assert journal._proc is None, "journalctl restarts after 5 s, not sooner"
    assert banned(daemon) == set()
    journal._restart_at = 1.0  # due: it runs again
    daemon.step()
    assert journal._proc is not None
    _minutes(daemon, clock, 4)
    assert banned(daemon) == set()
    _minutes(daemon, clock, 2)
    assert banned(daemon) == {f"{ATTACKER}/32"}
