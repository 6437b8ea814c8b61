"""Rotations the daemon meets at a restart or while it runs, beyond the plain ones: two
rotations while it was stopped, a rotated file compressed at once, a file rewritten in
place with its own first lines, a writer that keeps writing to the renamed file."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from wardenlab import (
    ATTACKER,
    OTHER,
    Warden,
    append,
    banned,
    drain,
    guesses,
    logrotate,
    rewrite_in_place,
    sasl_failure,
    sasl_success,
)

from mailwarden.daemon import reading
from mailwarden.daemon.loop import Daemon
from mailwarden.daemon.reading import tail_before
from mailwarden.sources import follow
from mailwarden.sources.follow import FileFollower


def messages(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def history(daemon: Daemon) -> list[tuple[str, int]]:
    return sorted((str(row.network), row.offences) for row in daemon.store.history())


def gzipped(path: Path, name: str) -> Path:
    """Rename ``path`` to ``name`` beside it, then compress it as logrotate's ``compress``
    (without ``delaycompress``) or ``postfix logrotate`` does: only the .gz is left."""
    moved = path.rename(path.with_name(name))
    packed = moved.with_name(moved.name + ".gz")
    packed.write_bytes(gzip.compress(moved.read_bytes()))
    moved.unlink()
    return packed


@pytest.mark.parametrize(
    ("stored", "middle"),
    [
        ("mail.log.2", "mail.log.1"),  # create, no compression
        ("mail.log.2.gz", "mail.log.1"),  # compress with delaycompress (Debian's default)
        ("mail.log.2.gz", "mail.log.1.gz"),  # compress without delaycompress
        ("mail.log-20261128", "mail.log-20261129"),  # dateext
    ],
)
def test_two_rotations_while_stopped_read_the_file_in_between(
    warden: Warden, caplog: pytest.LogCaptureFixture, stored: str, middle: str
) -> None:
    # The daemon is stopped for two days: its file is rotated twice. Its rest, the whole
    # file rotated in between and the new file are read in that order, each line once.
    log = warden.log
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(log, attack[:1])
    first.step()
    first.close()
    append(log, attack[1:2])  # the stored file's unread rest
    log.rename(log.with_name(stored.removesuffix(".gz")))
    append(log, guesses(OTHER))  # the day in between: never seen by the daemon
    log.rename(log.with_name(middle.removesuffix(".gz")))
    for name in {stored, middle}:
        if name.endswith(".gz"):
            plain = log.with_name(name.removesuffix(".gz"))
            log.with_name(name).write_bytes(gzip.compress(plain.read_bytes()))
            plain.unlink()
    now = time.time()  # realistic times: the stored file was last written two days ago
    os.utime(log.with_name(stored), (now - 2 * 86400, now - 2 * 86400))
    os.utime(log.with_name(middle), (now - 86400, now - 86400))
    append(log, attack[2:])

    second = warden.start()
    drain(second)
    assert banned(second) == {f"{ATTACKER}/32", f"{OTHER}/32"}
    assert history(second) == [(f"{OTHER}/32", 1), (f"{ATTACKER}/32", 1)]
    assert second.counters.warmup_lines == 1  # the line read before the stop, once
    assert second.counters.records == 5  # 1 rest + 3 in between + 1 new
    assert (
        f"{log}: was rotated more than once meanwhile: after the rest of "
        f"{log.with_name(stored)}, reading {log.with_name(middle)} whole, then {log}"
    ) in messages(caplog)


def test_two_logrotate_runs_while_stopped_lose_nothing(warden: Warden) -> None:
    if shutil.which("logrotate") is None:
        pytest.skip("needs logrotate (Debian package)")
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(warden.log, attack[:1])
    first.step()
    first.close()
    stanza = "rotate 4\ncreate\ncompress\ndelaycompress"
    append(warden.log, attack[1:2])
    logrotate(warden.tmp, warden.log, stanza)
    append(warden.log, guesses(OTHER))
    logrotate(warden.tmp, warden.log, stanza)
    assert warden.log.with_name("mail.log.2.gz").exists()
    append(warden.log, attack[2:])

    second = warden.start()
    drain(second)
    assert banned(second) == {f"{ATTACKER}/32", f"{OTHER}/32"}
    assert second.counters.records == 5


@pytest.mark.parametrize("name", ["mail.log.1", "mail.log.20261129-192009"])
def test_a_rotation_compressed_at_once_while_running_then_a_restart_keeps_the_counts(
    warden: Warden, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    # logrotate's compress without delaycompress, or postfix logrotate: the rotated
    # file is only there compressed when the daemon restarts; the warm-up reads it back.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(warden.log, attack[:2])
    first.step()
    packed = gzipped(warden.log, name)
    warden.log.touch()
    first.step()
    first.close()

    second = warden.start()
    assert second.counters.warmup_lines == 2
    assert f"warm-up: decompressed {packed} (" in messages(caplog)
    append(warden.log, attack[2:])
    second.step()
    assert banned(second) == {f"{ATTACKER}/32"}


def test_a_file_rewritten_in_place_with_its_first_lines_is_not_counted_twice(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # head -n 2 mail.log > x; cat x > mail.log: the same file, shorter, holding only
    # lines already read. Read again, they would make two guesses four.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    daemon = warden.start()
    append(warden.log, attack[:2])
    daemon.step()
    kept = warden.log.read_bytes()
    append(warden.log, "2026-11-29T10:00:00.000000+00:00 mx postfix/smtpd[9]: connect from x")
    daemon.step()
    rewrite_in_place(warden.log, kept)
    daemon.step()
    daemon.step()
    assert banned(daemon) == set()
    assert (
        f"{warden.log}: was rewritten in place with its first 2 line(s) only "
        "(3 line(s) were read before): they are not counted again; reading on from line 3"
    ) in messages(caplog)
    append(warden.log, attack[2:])  # the third guess bans
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_writer_still_writing_to_the_renamed_file_after_the_grace_is_read_and_said(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # A rotation whose postrotate did not make the writer reopen its log: it goes on
    # writing into mail.log.1 long after the rename.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    daemon = warden.start()
    daemon.reader.files.rotate_grace = 0.0  # what 5 s later looks like
    append(warden.log, attack[:1])
    daemon.step()
    warden.log.rename(warden.log.with_name("mail.log.1"))
    warden.log.touch()
    daemon.step()
    daemon.step()  # the grace is over
    append(warden.log.with_name("mail.log.1"), attack[1:])
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert (
        f"{warden.log}: lines are still written to {warden.log.with_name('mail.log.1')} "
        "more than 0 s after it was rotated away: its writer was not told to reopen its log"
    ) in messages(caplog)


def test_the_tail_of_a_compressed_rotated_file_is_cut_at_a_line_and_numbered_right(
    tmp_path: Path,
) -> None:
    # The warm-up's budget ends inside mail.log.1.gz: its last whole lines within the
    # budget come back, with their own line numbers, before the current file's.
    rotated = [sasl_failure(ATTACKER, f"user{n:03d}", pid=n) for n in range(1, 101)]
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress("\n".join(rotated).encode() + b"\n"))
    log = tmp_path / "mail.log"
    current = guesses(OTHER)[:2]
    append(log, current)
    follower = FileFollower([str(log)])
    follower.poll()
    position = follower.positions()[str(log)]
    follower.close()

    chunks = list(tail_before(str(log), position, position.offset + 5000, window=timedelta(1)))
    lines = [
        (chunk.source, chunk.first_line + n, text)
        for chunk in chunks
        for n, text in enumerate(chunk.data.decode().splitlines())
    ]
    back = [(line, text) for source, line, text in lines if source.endswith(".gz")]
    assert 20 < len(back) < 40
    assert sum(len(text) + 1 for _, text in back) <= 5000 < sum(len(t) + 1 for t in rotated)
    assert back == [(n, rotated[n - 1]) for n in range(101 - len(back), 101)]
    assert [text for _, _, text in lines[len(back) :]] == current


@pytest.mark.parametrize("middle", ["mail.log.1", "mail.log.1.gz"])
def test_a_stop_in_the_file_in_between_resumes_in_it_and_repeats_nothing(
    tmp_path: Path, middle: str
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("old 1\n")
    first = FileFollower([str(log)])
    first.poll()
    positions = first.positions()
    first.close()
    append(log, "old 2")
    log.rename(tmp_path / "mail.log.2")
    append(log, [f"between {n:04d}" for n in range(1, 301)])
    log.rename(tmp_path / "mail.log.1")
    if middle.endswith(".gz"):
        plain = tmp_path / "mail.log.1"
        (tmp_path / middle).write_bytes(gzip.compress(plain.read_bytes()))
        plain.unlink()
    append(log, "new 1")

    read: list[str] = []
    for _ in range(40):  # a stop after every poll of 1000 bytes
        follower = FileFollower([str(log)], positions, read_budget=1000, rotate_grace=0)
        read += [text for chunk in follower.poll() for text in chunk.data.decode().splitlines()]
        positions = follower.positions()
        follower.close()
    assert read == ["old 2", *(f"between {n:04d}" for n in range(1, 301)), "new 1"]


def test_a_rewrite_in_place_keeping_the_first_line_is_read_again_and_said(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    append(log, ["first line, kept", "second line", "third line"])
    assert len(follower.poll()) == 1
    rewrite_in_place(log, b"first line, kept\nanother\n")  # the first line, then other text
    lines = [text for chunk in follower.poll() for text in chunk.data.decode().splitlines()]
    assert lines == ["first line, kept", "another"]
    assert [note.text for note in follower.notes] == [
        f"{log}: was truncated or rewritten in place (3 line(s) were read; no copy of the "
        "old content beside it) and starts with the same line: reading it again from its "
        "start, lines it kept are counted again"
    ]


def test_a_compressed_rotated_file_too_big_to_decompress_at_every_start_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(reading.PACKED_TAIL_MAX, "gzip", 4096)
    rotated = [sasl_failure(ATTACKER, f"user{n:03d}", pid=n) for n in range(1, 101)]
    packed = tmp_path / "mail.log.1.gz"
    packed.write_bytes(gzip.compress("\n".join(rotated).encode() + b"\n"))
    log = tmp_path / "mail.log"
    append(log, guesses(OTHER)[:1])
    follower = FileFollower([str(log)])
    follower.poll()
    position = follower.positions()[str(log)]
    follower.close()

    chunks = list(tail_before(str(log), position, 1 << 20, window=timedelta(1)))
    assert [chunk.source for chunk in chunks] == [str(log)]
    assert (
        f"warm-up: {packed} holds more than 4.0 KiB once decompressed: not read back (its "
        "lines and those of older files are not counted again)"
    ) in messages(caplog)


def test_a_rewrite_in_place_seen_empty_first_does_not_ban_on_lines_read_before(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # : > mail.log; sleep 0.3; cat x >> mail.log: the daemon sees the file empty, then
    # its first two lines again. Counted again, they would make two guesses four.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    daemon = warden.start()
    append(warden.log, attack[:2])
    daemon.step()
    kept = warden.log.read_bytes()
    rewrite_in_place(warden.log, b"")
    daemon.step()
    with warden.log.open("ab") as out:
        out.write(kept)
    daemon.step()
    daemon.step()
    assert banned(daemon) == set()
    assert f"{warden.log}: was rewritten in place with its first 2 line(s) only" in messages(caplog)
    append(warden.log, attack[2:])  # the third guess bans
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_rewrite_in_place_while_stopped_is_said_to_be_counted_again(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # head -n 1 mail.log > x; cat x > mail.log while the daemon is stopped: only a
    # fingerprint of the file was stored, so the kept line is read again; the warning
    # says so rather than that nothing is read.
    first = warden.start()
    append(warden.log, guesses(ATTACKER)[:2])
    first.step()
    first.close()
    kept = warden.log.read_bytes().split(b"\n")[0] + b"\n"
    rewrite_in_place(warden.log, kept)
    second = warden.start()
    drain(second)
    assert (
        f"was not found beside {warden.log} (deleted, moved to another folder as by "
        "logrotate's olddir, or truncated with no readable copy beside it): "
        "lines written to it after that, if any, are not read; failures counted "
        f"from it before the stop are forgotten; reading {warden.log} from its start "
        "(when it was rewritten in place with its first lines, they are counted again)"
    ) in messages(caplog)


def test_a_stop_before_the_first_line_of_a_compressed_file_in_between_loses_nothing(
    tmp_path: Path,
) -> None:
    # A stop while mail.log.1.gz (rotated twice while stopped) is read whole, before
    # its first whole line came (pieces of 7 bytes): the position is at its offset 0,
    # which was never looked for in a compressed file. "The file read before the
    # restart is gone", and its lines were lost.
    log = tmp_path / "mail.log"
    log.write_text("old 1\n")
    first = FileFollower([str(log)])
    first.poll()
    positions = first.positions()
    first.close()
    append(log, "old 2")
    log.rename(tmp_path / "mail.log.2")
    between = [f"between {n:02d} " + "x" * 30 for n in range(1, 4)]
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress("\n".join(between).encode() + b"\n"))
    append(log, "new 1")

    read: list[str] = []
    notes: list[str] = []
    for budget in (7, 1000):  # a stop after a poll of 7 bytes, then all is read
        follower = FileFollower([str(log)], positions, read_budget=budget, rotate_grace=0)
        read += [text for chunk in follower.poll() for text in chunk.data.decode().splitlines()]
        notes += [note.text for note in follower.notes]
        positions = follower.positions()
        follower.close()
    assert read == ["old 2", *between, "new 1"]
    assert not [note for note in notes if "is gone" in note]


def test_a_compressed_file_of_nul_bytes_in_between_keeps_the_live_file_waiting_little(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mail.log.1.gz, rotated in between while the daemon was stopped, holds NUL bytes
    # only (18 MB of gzip give 4 GiB): each piece (1 MiB) gave no line, so the daemon
    # slept a tick after each, and read them all before the live mail.log: its
    # attacker was banned hours late. Now it steps again at once while an input is
    # behind, and lets go of a rotated file after `SKIP_MAX` bytes without a line
    # break (4 MiB here, of 64 MiB of NUL bytes).
    monkeypatch.setattr(follow, "SKIP_MAX", 4 << 20)
    log = warden.log
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(log, attack[:1])
    first.step()
    first.close()
    log.rename(log.with_name("mail.log.2"))
    log.with_name("mail.log.1.gz").write_bytes(gzip.compress(bytes(1 << 20)) * 64)
    append(log, attack[1:])

    second = warden.start()
    steps = 1
    while second.step():
        steps += 1
    assert banned(second) == {f"{ATTACKER}/32"}
    assert steps < 10
    assert second.stats.too_long == 1
    assert (
        f"{log}: {log.with_name('mail.log.1.gz')} goes on for more than 4 MiB without a line "
        "break from line 1 on (NUL bytes? damaged, or a decompression bomb): that line is "
        "skipped as over-long, and the rest of the file with it; reading on in the next file"
    ) in messages(caplog)


def test_a_line_deleted_with_sed_i_while_running_does_not_count_the_log_again(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # sed -i '/192.0.2.99/d' mail.log: a new file (another inode) with every line but
    # one. Read again from its start, two guesses were four, and banned at the third.
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    daemon = warden.start()
    append(warden.log, "2026-11-29T10:00:00.000000+00:00 mx postfix/smtpd[7]: connect from x")
    append(warden.log, attack[:2])
    daemon.step()
    text = warden.log.read_text()
    edited = warden.log.with_name("sedAbc123")
    edited.write_text("".join(line for line in text.splitlines(True) if "connect from" not in line))
    edited.replace(warden.log)
    daemon.step()
    daemon.step()
    assert banned(daemon) == set()
    assert f"{warden.log}: was replaced by an edited copy of itself" in messages(caplog)
    append(warden.log, attack[2:])  # the third guess bans
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_writer_still_writing_to_the_renamed_file_after_a_restart_is_read_and_said(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # The daemon restarts (a package upgrade) after a rotation whose writer was not
    # told to reopen its log: it goes on writing into mail.log.1, and the new run reads
    # it on, as the old one would have (and says so when it goes on past the grace).
    attack = guesses(ATTACKER)  # one attack's stamps, however long the steps below take
    rotated = warden.log.with_name("mail.log.1")
    first = warden.start()
    first.step()
    warden.log.rename(rotated)
    warden.log.touch()
    first.step()
    first.close()
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    append(rotated, attack[:1])  # while stopped
    second = warden.start()
    drain(second)
    append(rotated, attack[1:])  # after the start
    drain(second)
    assert banned(second) == {f"{ATTACKER}/32"}


def test_a_compromise_written_while_stopped_to_a_file_empty_at_the_stop_is_reported(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # A quiet server: mail.log empty at the stop; then guesses and a login, then
    # logrotate's copytruncate, then the start. The empty file's position matched any
    # file, so mail.log.1 was never read as the backlog, and the login never reported.
    first = warden.start()
    first.step()
    first.close()
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    append(warden.log, guesses())
    append(warden.log, sasl_success(ATTACKER, "alice@example.org"))
    shutil.copyfile(warden.log, warden.log.with_name("mail.log.1"))
    warden.log.write_text("")
    second = warden.start()
    drain(second)
    assert f'compromise: "alice@example.org" logged in from {ATTACKER}' in messages(caplog)
    assert banned(second) == {f"{ATTACKER}/32"}
    assert history(second) == [(f"{ATTACKER}/32", 1)]


def compressed_keeping_mtime(path: Path, name: str) -> None:
    """logrotate's (delayed) compression: ``path`` becomes ``name``, gzipped, with its
    last change kept."""
    packed = path.with_name(name)
    packed.write_bytes(gzip.compress(path.read_bytes()))
    st = path.stat()
    os.utime(packed, ns=(st.st_atime_ns, st.st_mtime_ns))
    path.unlink()


def test_two_rotations_while_stopped_with_an_empty_file_read_each_file_once(
    warden: Warden,
) -> None:
    # compress + delaycompress (Debian's default). Two guesses before the stop (in
    # mail.log.1, rotated while running), mail.log empty at the stop; while stopped two
    # guesses of another address, then two rotations: the stopped file is compressed
    # away. The warm-up gives the first two (mail.log.3.gz), the backlog the others
    # (mail.log.2.gz), each once: the third guess of each bans, not before.
    log = warden.log
    attack = guesses()  # each attack's stamps from one call, however long the steps take
    other = guesses(OTHER)
    first = warden.start()
    append(log, attack[:2])
    first.step()
    log.rename(log.with_name("mail.log.1"))
    log.touch()
    first.step()
    time.sleep(0.2)  # mail.log.1's last change is well before the last read of mail.log
    first.step()
    assert banned(first) == set()
    first.close()
    time.sleep(0.05)  # a write within a timer tick of the stop may get an mtime before it
    append(log, other[:2])
    for _ in range(2):
        for n in (2, 1):
            older = log.with_name(f"mail.log.{n}.gz")
            if older.exists():
                older.rename(log.with_name(f"mail.log.{n + 1}.gz"))
        compressed_keeping_mtime(log.with_name("mail.log.1"), "mail.log.2.gz")
        log.rename(log.with_name("mail.log.1"))
        log.touch()
    second = warden.start()
    drain(second)
    assert second.counters.warmup_lines == 2
    assert banned(second) == set()
    append(log, [attack[2], other[2]])
    second.step()
    assert banned(second) == {f"{ATTACKER}/32", f"{OTHER}/32"}


def test_a_symlinked_log_rotated_while_stopped_keeps_its_backlog_and_warm_up(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # /var/log/mail.log -> /srv/log/mail.log, rotated by logrotate at the real path while
    # the daemon is stopped: the guess before the stop (warm-up) and the one written
    # meanwhile (backlog) are in real/mail.log.1; with the third, a ban.
    real = warden.tmp / "real"
    real.mkdir()
    warden.log.unlink()
    (real / "mail.log").touch()
    warden.log.symlink_to(real / "mail.log")
    attack = guesses()  # one attack's stamps, however long the steps below take
    first = warden.start()
    append(warden.log, attack[:1])
    first.step()
    first.close()
    append(real / "mail.log", attack[1:2])
    (real / "mail.log").rename(real / "mail.log.1")
    (real / "mail.log").touch()
    second = warden.start()
    drain(second)
    assert second.counters.warmup_lines == 1
    assert "was not found beside" not in messages(caplog)
    append(warden.log, attack[2:])
    second.step()
    assert banned(second) == {f"{ATTACKER}/32"}
