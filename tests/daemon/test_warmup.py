"""Starting after a long stop on a busy server: the backlog (everything written while the
daemon was stopped) and the warm-up tail are read in bounded pieces, a stop request is
honoured between two pieces, and the position stored at such a stop resumes exactly
there: nothing is lost, nothing counted twice."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from wardenlab import (
    ATTACKER,
    LEGIT,
    OTHER,
    Warden,
    append,
    banned,
    guesses,
    logrotate,
    mailwarden,
    output_since,
    sasl_failure,
    stamp,
    wait_until,
)

from mailwarden.config import load_config
from mailwarden.daemon.loop import Daemon
from mailwarden.daemon.reading import WARMUP_PIECE, Reader, file_key, tail_before
from mailwarden.sources.follow import READ_BUDGET, FileFollower
from mailwarden.sources.interface import MAX_LINE, Chunk
from mailwarden.store import open_store


def noise(size: int, when: datetime | None = None) -> str:
    """About ``size`` bytes of ordinary lines (connects and disconnects of a client that
    does nothing wrong), written now or ``when``."""
    at = stamp(when)
    block = "".join(
        f"{at} mx postfix/smtpd[{2000 + n}]: connect from unknown[192.0.2.50]\n"
        f"{at} mx postfix/smtpd[{2000 + n}]: disconnect from unknown[192.0.2.50] "
        "ehlo=1 quit=1 commands=2\n"
        for n in range(300)
    )
    return block * max(1, size // len(block))


def write(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def stored_offset(path: Path, log: Path) -> int:
    """The offset stored for ``log`` in the store at ``path``."""
    with open_store(str(path)) as store:
        value = store.get_position(file_key(str(log)))
    assert isinstance(value, dict)
    offset = value["offset"]
    assert isinstance(offset, int)
    return offset


def test_a_stop_in_the_middle_of_a_backlog_loses_and_recounts_nothing(warden: Warden) -> None:
    first = warden.start()
    first.close()
    append(warden.log, guesses(ATTACKER))  # at the backlog's start: acted on at once
    write(warden.log, noise(5 << 20))
    append(warden.log, guesses(OTHER))  # at its end
    total = warden.log.read_bytes().count(b"\n")

    second = warden.start()  # the first piece
    second.step()  # and one more: then a stop
    assert second.counters.records < total / 2
    assert banned(second) == {f"{ATTACKER}/32"}
    second.close()
    offset = stored_offset(Path(warden.sections["store"]["path"]), warden.log)
    assert 0 < offset < warden.log.stat().st_size
    assert warden.log.read_bytes()[:offset].count(b"\n") == second.counters.records

    third = warden.start()
    while third.step():
        pass
    assert second.counters.records + third.counters.records == total
    rows = third.store.history()
    assert sorted((str(row.network), row.offences) for row in rows) == [
        (f"{OTHER}/32", 1),
        (f"{ATTACKER}/32", 1),
    ]


def test_each_poll_of_a_backlog_reads_at_most_one_piece_per_file(warden: Warden) -> None:
    first = warden.start()
    first.close()
    write(warden.log, noise(4 << 20))
    daemon = warden.start()
    sizes = []
    while chunks := daemon.reader.poll():
        sizes.append(sum(len(chunk.data) for chunk in chunks))
    assert len(sizes) >= 3 and max(sizes) <= READ_BUDGET + MAX_LINE  # and a held-back line


def test_a_stop_during_the_warm_up_is_honoured_between_two_pieces(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = warden.start()
    write(warden.log, noise(4 << 20))
    while first.step():
        pass
    first.close()

    daemon = Daemon(load_config(warden.config_path), own=lambda: [], tick=0.01)
    warden.daemons.append(daemon)
    pieces: list[tuple[int, int]] = []  # (bytes, lines)
    tail = Reader.warmup

    def stopped_after_two(reader: Reader, limit: int, **options: Any) -> list[Iterator[Chunk]]:
        def counted(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
            for chunk in chunks:
                pieces.append((len(chunk.data), chunk.data.count(b"\n")))
                if len(pieces) == 2:
                    daemon.request_stop()  # as SIGTERM's handler, before the second is fed
                yield chunk

        return [counted(chunks) for chunks in tail(reader, limit, **options)]

    monkeypatch.setattr(Reader, "warmup", stopped_after_two)
    daemon.start()
    assert len(pieces) == 2  # the second was read, and not fed
    assert max(size for size, _ in pieces) <= WARMUP_PIECE + MAX_LINE
    assert daemon.counters.warmup_lines == pieces[0][1]
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("warm-up:")]
    assert said == [f"warm-up: stopped after {daemon.counters.warmup_lines} earlier line(s)"]


@pytest.mark.parametrize(
    ("stanza", "copy", "said"),
    [
        ("copytruncate", "mail.log.1", "was copied and truncated (copytruncate): reading the"),
        ("copytruncate\ncompress", "mail.log.1.gz", "was compressed away ({copy}): reading the"),
        ("create\ncompress", "mail.log.1.gz", "was compressed away ({copy}): reading the"),
    ],
)
def test_after_a_rotation_while_stopped_the_rest_and_the_tail_come_from_the_copy(
    warden: Warden, caplog: pytest.LogCaptureFixture, stanza: str, copy: str, said: str
) -> None:
    if shutil.which("logrotate") is None:
        pytest.skip("needs logrotate (Debian package)")
    three = guesses()  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(warden.log, three[:1])
    first.step()
    first.close()
    append(warden.log, three[1:2])  # written while stopped
    logrotate(warden.tmp, warden.log, f"rotate 4\n{stanza}")
    copied = warden.log.with_name(copy)
    assert copied.exists() and warden.log.stat().st_size == 0
    append(warden.log, three[2:])

    second = warden.start()
    second.step()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert f"source: {warden.log}: {said.format(copy=copied)}" in messages, messages
    assert "from line 2" in messages
    assert second.counters.warmup_lines == 1  # the line before the stop, from the copy
    assert second.counters.records == 2  # the rest of the copy, then the new file
    assert banned(second) == {f"{ATTACKER}/32"}
    assert [row.offences for row in second.store.history()] == [1]


def test_a_slow_brute_force_over_a_day_survives_a_restart(warden: Warden) -> None:
    # One guess every 3 hours (never 4 within 2 hours), 2 MB of a busy server's lines
    # between two: the six guesses of the last day lie 12 MB back when the daemon
    # restarts. The warm-up reads back the detector's longest window (a day), so the
    # seventh and eighth guesses after the restart make the day's eight.
    first = warden.start()
    now = datetime.now(UTC)
    write(warden.log, noise(1 << 20, now - timedelta(hours=40)))
    append(warden.log, sasl_failure(OTHER, when=now - timedelta(hours=40)))  # too old
    for hours in (21, 18, 15, 12, 9, 6):
        write(warden.log, noise(2 << 20, now - timedelta(hours=hours, minutes=1)))
        append(warden.log, sasl_failure(ATTACKER, when=now - timedelta(hours=hours)))
    while first.step():
        pass
    assert banned(first) == set()  # six in a day: not yet
    first.close()
    lines = warden.log.read_text().splitlines()
    since = stamp(now - timedelta(hours=6 + 24))  # a day before the last line

    second = warden.start()
    recent = [line for line in lines if line[:32] >= since]
    assert second.counters.warmup_lines == len(recent) < len(lines)
    # Stamped ``now`` (not when written): 21 h after the first guess, 3 h inside the
    # day however long the reading took, and an attack a 1 h ban still covers.
    append(warden.log, [sasl_failure(ATTACKER, pid=1300 + n, when=now) for n in range(2)])
    while second.step():
        pass
    assert banned(second) == {f"{ATTACKER}/32"}


def test_a_log_ahead_of_the_clock_is_not_banned_again_at_each_restart(warden: Warden) -> None:
    """Stamps minutes ahead of this host's clock (another host's log, a wrong zone):
    the warm-up found the attack again and took the ban, recorded at this host's time
    and so "before" the attack, for none: every restart banned it again, a new offence
    (longer each time), with no new line in the log, once the first ban had ended."""
    warden.sections["policy"].update(ban_time="1s", max_ban_time="1s")
    warden.write()
    first = warden.start()
    # 10 min ahead: the restart comes seconds later, long before the log's time is past
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    append(warden.log, [sasl_failure(ATTACKER, u, 1201 + n, ahead) for n, u in enumerate("abc")])
    while first.step():
        pass
    assert banned(first) == {f"{ATTACKER}/32"}
    time.sleep(1.2)

    def ended() -> bool:
        first.step()
        return banned(first) == set()

    assert wait_until(ended, 5)
    first.close()

    # Still ahead at the restart: otherwise the attack is older than a 1 s ban would
    # last, never banned again, whether the warm-up compares the right times or not.
    assert datetime.now(UTC) < ahead, "too slow to restart while the log is ahead"
    second = warden.start()
    while second.step():
        pass
    assert banned(second) == set()
    assert [row.offences for row in second.store.history()] == [1]


def test_the_warm_up_tail_starts_at_the_first_line_of_the_window(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    start = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    with log.open("w") as out:
        for minute in range(4 * 24 * 60):  # four days, a line a minute (about 500 kB)
            when = stamp(start + timedelta(minutes=minute))
            out.write(f"{when} mx postfix/smtpd[{minute}]: connect from unknown[192.0.2.5]\n")
            if minute % 97 == 0:
                out.write("a line with no time\n")
    follower = FileFollower([str(log)], from_start=True)
    while follower.poll():
        pass
    position = follower.positions()[str(log)]
    follower.close()

    everything = log.read_text().splitlines()
    last = start + timedelta(minutes=4 * 24 * 60 - 1)
    for window in (timedelta(hours=1), timedelta(days=1), timedelta(days=9)):
        since = stamp(last - window)
        first = next(n for n, line in enumerate(everything) if line[0] == "2" and line >= since)
        assert (window > timedelta(days=4)) == (first == 0)
        chunks = list(tail_before(str(log), position, 32 << 20, 64 << 10, window))
        assert chunks[0].first_line == first + 1
        text = b"".join(chunk.data for chunk in chunks).decode()
        assert text.splitlines() == everything[first:]


# -- as a process ------------------------------------------------------------------------


def peak_memory(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


class Run:
    def __init__(self, warden: Warden) -> None:
        self.warden = warden
        self.output = warden.tmp / "daemon.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        mark = self.output.stat().st_size if self.output.exists() else 0
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen(
                mailwarden("run", "--config", str(self.warden.config_path)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        assert wait_until(lambda: "started: " in self.said(mark), 30, 0.005), self.said()
        return self.proc

    def said(self, since: int = 0) -> str:
        return output_since(self.output, since)

    def stop(self) -> float:
        """SIGTERM; the seconds until the process ended."""
        assert self.proc is not None
        asked = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(30) == 0, self.said()
        return time.monotonic() - asked

    def status(self) -> dict[str, object]:
        done = subprocess.run(
            mailwarden("status", "--format", "json", "--config", str(self.warden.config_path)),
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        document: dict[str, object] = json.loads(done.stdout)
        return document

    def records(self) -> int:
        daemon = self.status()["daemon"]
        assert isinstance(daemon, dict)
        return int(daemon["counters"]["records"])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def run(warden: Warden) -> Iterator[Run]:
    made = Run(warden)
    try:
        yield made
    finally:
        made.kill()


def test_sigterm_during_a_64_mib_backlog_stops_at_once_and_the_next_start_catches_up(
    run: Run,
) -> None:
    log = run.warden.log
    run.start()
    run.stop()
    append(log, guesses(ATTACKER))
    write(log, noise(64 << 20))
    append(log, guesses(OTHER))
    total = log.read_bytes().count(b"\n")
    store = Path(run.warden.sections["store"]["path"])

    proc = run.start()
    baseline = peak_memory(proc.pid)
    assert run.stop() < 2.0  # not after the whole backlog
    first = run.records()
    assert 0 < stored_offset(store, log) < log.stat().st_size
    assert f"{log}: 63 MiB not read yet (from line 1 on): read in pieces of 1 MiB" in run.said()

    proc = run.start()
    assert wait_until(lambda: stored_offset(store, log) == log.stat().st_size, 120, 0.2)
    peak = peak_memory(proc.pid)
    run.stop()
    assert first + run.records() == total  # no line lost, none read twice
    assert peak < baseline + (32 << 20), (peak, baseline)  # not the backlog's 64 MiB
    bans = run.status()["bans"]
    assert isinstance(bans, list)
    assert sorted((ban["network"], ban["offences"]) for ban in bans) == [
        (f"{OTHER}/32", 1),
        (f"{ATTACKER}/32", 1),
    ]


def _rotate(log: Path, how: str) -> Path:
    """Rotate ``log`` as logrotate does, by rename (``create``) or ``copytruncate``."""
    rotated = log.with_name(log.name + ".1")
    if how == "rename":
        log.rename(rotated)
        log.touch()
    else:
        shutil.copyfile(log, rotated)
        with log.open("r+b") as out:
            out.truncate(0)
    return rotated


@pytest.mark.parametrize("how", ["rename", "copytruncate"])
@pytest.mark.parametrize("new_line", [True, False])
def test_a_rotation_while_running_then_a_restart_keeps_the_counts(
    warden: Warden, how: str, new_line: bool
) -> None:
    # Two guesses, a rotation the running daemon follows (and, or not, a line into the
    # new file), a restart: the warm-up reads them back from mail.log.1, so the third
    # guess bans; each line is counted once and nothing is banned twice.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(warden.log, attack[:2])
    append(warden.log, guesses(OTHER))  # banned before the rotation
    first.step()
    assert banned(first) == {f"{OTHER}/32"}
    _rotate(warden.log, how)
    if new_line:
        append(warden.log, sasl_failure(LEGIT, "erin"))
    first.step()
    first.close()

    second = warden.start()
    assert second.counters.warmup_lines == 5 + new_line
    assert banned(second) == {f"{OTHER}/32"}  # not banned again at the warm-up
    append(warden.log, attack[2:])
    second.step()
    assert banned(second) == {f"{OTHER}/32", f"{ATTACKER}/32"}
    assert sorted((str(row.network), row.offences) for row in second.store.history()) == [
        (f"{OTHER}/32", 1),
        (f"{ATTACKER}/32", 1),
    ]


def test_the_warm_up_reads_no_rotated_file_twice_nor_one_outside_the_window(
    warden: Warden,
) -> None:
    # mail.log.2 is older than the window (the detector's day), mail.log.1 is inside it;
    # a copy of the current file and a followed sibling (mail.log.err) are not read back.
    # Stamped from one reading of the clock: the three names of this attacker 1 s apart
    # each, however long the steps take (10 s apart, they may be colleagues: no ban).
    now = datetime.now(UTC)
    old, earlier = now - timedelta(days=3), now - timedelta(seconds=2)
    append(warden.log.with_name("mail.log.2"), [sasl_failure(ATTACKER, when=old)] * 2)
    append(warden.log.with_name("mail.log.1"), sasl_failure(ATTACKER, "sales", when=earlier))
    append(warden.log.with_name("mail.log.err"), sasl_failure(OTHER, when=earlier))
    warden.sections["sources"]["files"].append(str(warden.log.with_name("mail.log.err")))
    warden.write()
    first = warden.start()
    append(warden.log, sasl_failure(ATTACKER, when=now - timedelta(seconds=1)))
    first.step()
    first.close()
    shutil.copyfile(warden.log, warden.log.with_name("mail.log.0"))  # a copy of it

    second = warden.start()
    assert second.counters.warmup_lines == 3  # mail.log.1, mail.log, mail.log.err
    append(warden.log, sasl_failure(ATTACKER, "info", when=now))
    second.step()
    assert banned(second) == {f"{ATTACKER}/32"}  # 1 + 1 + 1: not the 2 days-old ones
