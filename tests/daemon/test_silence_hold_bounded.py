# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A source the daemon cannot read stops the silence clock (test_silence_needs_readable_
sources.py), for SILENCE_HOLD (ten minutes) at most. It stopped it for good: a source
that fails for ever (a dovecot.log symlinked to /dev/null or a FIFO, EACCES on NFS,
journalctl that never starts) turned the silent-log rule off, saying nothing, and
the guessing behind a forged reject-line trailer on a quiet night was never judged.
Now, ten minutes after the daemon first saw the source failing, it says once in its
log (WARNING) that it judges silence without it, and the clock runs again; a source
that reads again and then fails again stops the clock again.

The daemon's clock is the test's (``Daemon.clock``, moved by hand); the housekeeping is
made due by hand, as the minutes it waits for would have."""

from __future__ import annotations

import logging
import os

import pytest
from test_silence_needs_readable_sources import _break_reads, _minutes
from test_silent_log_trailer_wait import _started_on_guessing
from wardenlab import ATTACKER, Warden, append, banned, drain, run_cli, stamp

SAID = "cannot be read for 10 minutes: silence is judged without it now"


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and SAID in r.getMessage()
    ]


def test_a_source_broken_for_good_holds_the_silence_ten_minutes(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    """mail.log and a dovecot.log symlinked to /dev/null (no log file: never read). A
    forged trailer and three guesses in mail.log, then silence: banned once ten minutes
    of the broken source and five of silence have passed; the old daemon never banned."""
    dovecot = warden.tmp / "dovecot.log"
    dovecot.symlink_to("/dev/null")
    warden.sections["sources"]["files"] = [str(warden.log), str(dovecot)]
    warden.write()
    caplog.set_level(logging.INFO, logger="mailwarden")
    daemon, clock, _ = _started_on_guessing(warden)
    assert daemon.reader.files.failures(), "the daemon sees dovecot.log cannot be read"
    _minutes(daemon, clock, 9)
    assert _said(caplog) == []
    _minutes(daemon, clock, 5)
    assert banned(daemon) == set()  # four minutes of silence it judges
    _minutes(daemon, clock, 2)
    assert banned(daemon) == {f"{ATTACKER}/32"}  # the old daemon: never
    assert _said(caplog) == [
        f"{dovecot}: {SAID} (what waits for a reject-trailer login is judged after 5 minutes with no line from the other sources); its lines are read once it can be"
    ]
    _minutes(daemon, clock, 20)
    assert len(_said(caplog)) == 1  # said once


def test_a_source_that_reads_again_holds_the_silence_again_when_it_fails_again(
    warden: Warden, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """mail.log gives I/O errors for twelve minutes after a forged trailer's guessing:
    ten held, two of silence counted (and said once); it reads again, and fails again
    at once: held ten minutes again, then the rest of the five minutes, and banned."""
    caplog.set_level(logging.INFO, logger="mailwarden")
    daemon, clock, now = _started_on_guessing(warden)
    cure = _break_reads(monkeypatch, warden.log)
    append(warden.log, f"{stamp(now)} mx cron[77]: (root) CMD (true)")
    daemon.step()
    _minutes(daemon, clock, 12)
    assert banned(daemon) == set()
    assert len(_said(caplog)) == 1
    cure()
    daemon.reader.files.clock = lambda: float("inf")  # the retry is due
    drain(daemon)
    assert not daemon.reader.files.failures()
    monkeypatch.undo()
    _break_reads(monkeypatch, warden.log)
    append(warden.log, f"{stamp(now)} mx cron[78]: (root) CMD (true)")
    daemon.step()
    assert daemon.reader.files.failures()
    _minutes(daemon, clock, 10)
    assert banned(daemon) == set()  # held again: two minutes of silence so far
    _minutes(daemon, clock, 2)
    assert banned(daemon) == set()
    _minutes(daemon, clock, 2)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len(_said(caplog)) == 2  # once for each time it failed for ten minutes


def test_run_check_warns_of_a_source_that_is_no_regular_file(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO and a symlink to /dev/null among the followed files: warned of, not
    refused (the other sources are read; a FIFO may be replaced by a file). Before,
    ``run --check`` said nothing of them."""
    fifo = warden.tmp / "dovecot.fifo"
    os.mkfifo(fifo)
    null = warden.tmp / "dovecot.log"
    null.symlink_to("/dev/null")
    warden.sections["sources"]["files"] = [str(warden.log), str(fifo), str(null)]
    warden.write()
    code, err, out = run_cli(capsys, "run", "--check", "--config", str(warden.config_path))
    assert code == 0, err
    assert "ready to run" in out
    tail = "not a log file: the daemon cannot read it (it says so in its log and tries again), and judges the logs' silence without it after 10 minutes"
    assert f"mailwarden: warning: sources.files: {fifo} is a FIFO (named pipe), {tail}" in err
    assert f"mailwarden: warning: sources.files: {null} is a character device, {tail}" in err
    assert not any(str(warden.log) in line for line in err)
