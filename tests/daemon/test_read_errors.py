"""A followed file that cannot be read any more, while the daemon runs: an I/O error, a
permission lost to logrotate's ``create 0640 root adm``, a directory or a FIFO in its
place. The daemon must say it once, show it in ``status``, go on with its other inputs
and bans, try the file again (at most a minute apart) and say when it reads it again,
losing no line of it.

The I/O errors are made by failing ``os.pread`` on that file (a daemon driven step by
step in this process); the permission, directory and FIFO cases are real, with the
daemon as a process (backend none: no firewall is touched)."""

from __future__ import annotations

import errno
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_preflight import run_cli
from wardenlab import (
    ATTACKER,
    OTHER,
    Warden,
    append,
    banned,
    base_config,
    guesses,
    logrotate,
    mailwarden,
    wait_for_text,
    wait_until,
    write_config,
)

from mailwarden.daemon.loop import Daemon


class Clock:
    """The follower's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def break_file(monkeypatch: pytest.MonkeyPatch, path: Path, error: int) -> Callable[[], None]:
    """Make ``os.pread`` fail with ``error`` on descriptors open on ``path``, as a failing
    disk does; returns the cure."""
    broken = {"now": True}
    real = os.pread

    def pread(fd: int, size: int, offset: int) -> bytes:
        if broken["now"] and os.readlink(f"/proc/self/fd/{fd}") == str(path):
            raise OSError(error, os.strerror(error))
        return real(fd, size, offset)

    monkeypatch.setattr(os, "pread", pread)
    return lambda: broken.update(now=False)


def with_second_input(warden: Warden) -> Path:
    other = warden.tmp / "other.log"
    other.touch()
    warden.sections["sources"]["files"].append(str(other))
    warden.write()
    return other


def status_json(warden: Warden, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, _, out = run_cli(
        capsys, "status", "--format", "json", "--config", str(warden.config_path)
    )
    assert code == 0
    document: dict[str, object] = json.loads(out)
    return document


def problems(daemon: Daemon, warden: Warden, capsys: pytest.CaptureFixture[str]) -> list[str]:
    daemon._due["heartbeat"] = 0
    daemon.step()
    shown = status_json(warden, capsys)["daemon"]
    assert isinstance(shown, dict)
    return list(shown["problems"])


def test_an_io_error_on_one_file_leaves_the_other_inputs_and_the_bans_working(
    warden: Warden,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = with_second_input(warden)
    daemon = warden.start()
    clock = Clock()
    daemon.reader.files.clock = clock
    three = guesses()  # one attack's stamps, however long the steps below take
    append(warden.log, three[:2])
    daemon.step()

    cure = break_file(monkeypatch, warden.log, errno.EIO)
    append(warden.log, three[2])
    append(other, guesses(OTHER))
    daemon.step()  # no traceback: the other input is read and acted on
    assert banned(daemon) == {f"{OTHER}/32"}
    errors = [m for m in messages(caplog) if "cannot follow" in m]
    assert errors == [
        f"source: {warden.log}: cannot follow: Input/output error (EIO); reading resumes at "
        "line 3 when it can; the other inputs go on; tried again after 1 s, then at most "
        "every 60 s (see mailwarden status)"
    ]
    (problem,) = problems(daemon, warden, capsys)
    assert problem.startswith(f"{warden.log}: cannot follow since ")
    assert problem.endswith(
        ": Input/output error (EIO) (tried again at most every 60 s; the other inputs go on)"
    )
    _, _, text = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert f"  problem: {warden.log}: cannot follow since " in text

    for _ in range(5):  # tried again after a second, not at every step
        clock.now += 0.1
        daemon.step()
    cure()
    clock.now += 0.5
    daemon.step()
    assert banned(daemon) == {f"{OTHER}/32", f"{ATTACKER}/32"}  # the third guess, not lost
    assert [m for m in messages(caplog) if "cannot follow" in m] == errors  # said once
    assert any(
        m.startswith(f"source: {warden.log}: reading again after 1 s") for m in messages(caplog)
    )
    assert problems(daemon, warden, capsys) == []
    assert daemon.counters.records == 6  # each line once
    assert [row.offences for row in daemon.store.history()] == [1, 1]


def test_an_io_error_at_start_does_not_stop_the_daemon_and_the_position_holds(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = warden.start()
    three = guesses()  # one attack's stamps, however long the restarts take
    append(warden.log, three[:2])
    first.step()
    first.close()
    append(warden.log, three[2])  # written while stopped

    cure = break_file(monkeypatch, warden.log, errno.EIO)
    second = warden.start()  # reads nothing of mail.log, and does not fail
    clock = Clock()
    second.reader.files.clock = clock
    second.step()
    assert any(
        f"{warden.log}: cannot follow: Input/output error (EIO); reading resumes at line 3" in m
        for m in messages(caplog)
    )
    second.close()  # the stored position stays at line 3

    cure()
    third = warden.start()
    third.step()
    assert third.counters.records == 1  # line 3, once
    assert banned(third) == {f"{ATTACKER}/32"}  # the warm-up had the first two


# -- as a process, with real files ------------------------------------------------------------


class Process:
    """``mailwarden run`` on a folder that another user can read, backend none."""

    def __init__(self, folder: Path, user: str | None = None) -> None:
        self.folder = folder
        self.log = folder / "mail.log"
        self.other = folder / "other.log"
        self.user = user
        state = folder / "state"
        state.mkdir()
        sections = base_config(folder)
        sections["sources"]["files"].append(str(self.other))
        self.config = write_config(folder / "mailwarden.toml", sections)
        self.config.chmod(0o644)
        if user is not None:
            shutil.chown(state, user)
            state.chmod(0o700)
        self.output = folder / "daemon.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = mailwarden("run", "--config", str(self.config))
        if self.user is not None:
            argv = [*as_user(self.user), *argv]
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        assert wait_until(lambda: "started: " in self.said(), 15), self.said()

    def said(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def status(self) -> dict[str, object]:
        """``mailwarden status`` as the daemon's user: root refuses a store in a folder
        another user owns (that user could swap the store under root's feet)."""
        argv = mailwarden("status", "--format", "json", "--config", str(self.config))
        if self.user is not None:
            argv = [*as_user(self.user), *argv]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        document: dict[str, object] = json.loads(done.stdout)
        return document

    def problems(self) -> list[str]:
        daemon = self.status()["daemon"]
        assert isinstance(daemon, dict)
        return list(daemon["problems"])

    def banned(self) -> set[str]:
        bans = self.status()["bans"]
        assert isinstance(bans, list)
        return {ban["network"] for ban in bans}

    def read_lines(self) -> int:
        daemon = self.status()["daemon"]
        assert isinstance(daemon, dict)
        return int(daemon["counters"]["records"])

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(10) == 0, self.said()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def as_user(name: str) -> list[str]:
    """The command prefix that runs a program as user ``name`` (and its group only)."""
    entry = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder that every user may enter and read (pytest's own is root's alone)."""
    made = Path(tempfile.mkdtemp(prefix="mw-read-errors-"))
    made.chmod(0o755)
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


@pytest.fixture
def process(folder: Path) -> Iterator[Process]:
    made = Process(folder)
    made.log.touch()
    made.other.touch()
    try:
        yield made
    finally:
        made.kill()


def test_a_directory_then_a_fifo_in_place_of_the_file_are_said_and_never_stop_the_daemon(
    process: Process,
) -> None:
    process.start()
    # The three guesses are written at one time: the third, appended after the steps
    # below, must not come 10 s or more after the first two on a busy machine (three
    # names spread over PEOPLE_APART may be colleagues behind one address: no ban).
    three = guesses()
    append(process.log, three[:2])
    assert wait_until(lambda: process.read_lines() == 2, 10)

    process.log.rename(process.folder / "mail.log.1")
    process.log.mkdir()
    assert wait_for_text(process.output, "cannot follow: is a directory, not a log file", 5)
    assert wait_until(lambda: any("is a directory" in p for p in process.problems()), 8)
    append(process.other, guesses(OTHER))
    assert wait_until(lambda: process.banned() == {f"{OTHER}/32"}, 5), process.said()

    process.log.rmdir()
    os.mkfifo(process.log)  # opening it for reading would wait for a writer forever
    assert wait_for_text(process.output, "cannot follow: is a FIFO (named pipe), not a log file", 5)
    assert wait_until(lambda: any("is a FIFO" in p for p in process.problems()), 8)

    process.log.unlink()
    append(process.log, three[2])  # a log file again, read from its start
    assert wait_until(lambda: f"{ATTACKER}/32" in process.banned(), 20), process.said()
    assert f"source: {process.log}: reading again after " in process.said()
    assert wait_until(lambda: process.problems() == [], 8)
    assert process.said().count("cannot follow") == 2  # once for each kind
    process.stop()  # SIGTERM is honoured: nothing blocks on the FIFO
    assert process.said().rstrip().endswith("stopped")


@pytest.fixture
def as_nobody(folder: Path) -> Iterator[Process]:
    if os.geteuid() != 0:
        pytest.skip("needs root: the test gives the log to root and runs the daemon as nobody")
    for program in ("setpriv", "logrotate"):
        if shutil.which(program) is None:
            pytest.skip(f"needs {program} (Debian package)")
    made = Process(folder, user="nobody")
    made.log.touch()
    made.other.touch()
    probe = subprocess.run(
        [*as_user("nobody"), *mailwarden("--help")],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if probe.returncode != 0:
        pytest.skip("user nobody cannot run this Python and its mailwarden")
    try:
        yield made
    finally:
        made.kill()


def test_a_permission_lost_at_a_logrotate_is_said_shown_and_read_again_once_fixed(
    as_nobody: Process,
) -> None:
    process = as_nobody
    process.start()
    three = guesses()  # one attack's stamps, however long the steps below take
    append(process.log, three[:2])
    assert wait_until(lambda: process.read_lines() == 2, 10), process.said()

    logrotate(process.folder, process.log, "rotate 4\ncreate 0640 root adm")
    append(process.log, three[2])  # root writes on; the daemon may not read it
    assert wait_for_text(process.output, "cannot follow: Permission denied (EACCES)", 5)
    assert wait_until(lambda: any("Permission denied" in p for p in process.problems()), 8)
    append(process.other, guesses(OTHER))
    assert wait_until(lambda: process.banned() == {f"{OTHER}/32"}, 5), process.said()
    assert process.said().count("cannot follow") == 1, process.said()

    process.log.chmod(0o644)  # the administrator fixes the mode
    assert wait_until(lambda: f"{ATTACKER}/32" in process.banned(), 20), process.said()
    assert f"source: {process.log}: reading again after " in process.said()
    assert wait_until(lambda: process.problems() == [], 8)
    process.stop()
    assert process.read_lines() == 6  # each line once
