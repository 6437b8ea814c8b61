"""The follower's compressed copies (`find_packed`, `_Unpacked`) and the
warm-up tail taken from one (`reading._packed_tail`): several streams, offsets on a
decompressed block's edge, restarts in the middle, damage, look-alikes, cost, and
descriptors."""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import os
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import cast

import pytest

import mailwarden.sources.follow as follow
from mailwarden.daemon.reading import tail_before
from mailwarden.sources.files import unpacked
from mailwarden.sources.follow import FINGERPRINT_SIZE, FileFollower, Position
from mailwarden.sources.interface import Chunk

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}
BLOCK = 1 << 16
"""The most one decompression call gives (files._DECOMPRESS_READ)."""


def append(path: Path, text: str) -> None:
    with path.open("a") as out:
        out.write(text)


def numbered(count: int, first: int = 1, width: int = 64) -> str:
    """``count`` lines of ``width`` bytes each (newline included), numbered from ``first``."""
    return "".join(
        f"2026-11-28T10:00:00 mx postfix/smtpd[{n}]: line {n:06d} ".ljust(width - 1, "x") + "\n"
        for n in range(first, first + count)
    )


def stopped_after(log: Path, text: str) -> dict[str, Position]:
    """A daemon's stop after reading ``text`` appended to an empty ``log``."""
    log.write_text("")
    follower = FileFollower([str(log)])
    follower.poll()
    append(log, text)
    while follower.poll():
        pass
    positions = follower.positions()
    follower.close()
    return positions


def read_all(follower: FileFollower) -> list[tuple[int, str]]:
    """(line number, text) of everything the follower has to give now."""
    out: list[tuple[int, str]] = []
    while chunks := follower.poll():
        for chunk in chunks:
            text = chunk.data.decode("utf-8", "replace")
            out.extend((chunk.first_line + n, line) for n, line in enumerate(text.splitlines()))
    return out


def numbered_lines(text: str, first: int = 1) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), first))


def one_poll(follower: FileFollower) -> list[tuple[int, str]]:
    """(line number, text) of what one poll gives."""
    return [
        pair
        for chunk in follower.poll()
        for pair in numbered_lines(chunk.data.decode(), chunk.first_line)
    ]


def said(follower: FileFollower) -> list[str]:
    return [note.text for note in follower.notes]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rotate_and_compress(log: Path, packed: bytes, suffix: str = "gz") -> Path:
    """logrotate's ``create`` + ``compress`` while stopped: ``log`` gone, ``packed`` in
    ``mail.log.1.<suffix>``, a new ``log`` with one line."""
    archive = log.with_name(f"{log.name}.1.{suffix}")
    archive.write_bytes(packed)
    log.unlink()
    log.write_text("new 1\n")
    return archive


# -- several streams, block edges, restarts ----------------------------------------------


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize("where", ["inside the second", "at the boundary"])
def test_the_rest_is_read_from_an_archive_of_several_streams(
    tmp_path: Path, suffix: str, where: str
) -> None:
    # cat a.gz b.gz, pbzip2, xz -T: several streams; the stored offset in the second
    log = tmp_path / "mail.log"
    before = numbered(40)
    positions = stopped_after(log, before)
    append(log, numbered(40, 41))
    data = log.read_bytes()
    cut = len(before) if where == "at the boundary" else len(before) - 100
    archive = rotate_and_compress(
        log, COMPRESS[suffix](data[:cut]) + COMPRESS[suffix](data[cut:]), suffix
    )

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [*numbered_lines(numbered(40, 41), 41), (1, "new 1")]
    assert said(again) == [
        f"{log}: was compressed away ({archive}): reading the rest of the old content from "
        "it first, from line 41"
    ]
    again.close()


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize("blocks", [1, 2])
def test_a_stored_offset_on_a_decompressed_blocks_edge_loses_and_repeats_nothing(
    tmp_path: Path, suffix: str, blocks: int
) -> None:
    log = tmp_path / "mail.log"
    lines = blocks * BLOCK // 64  # 64-byte lines: the offset is exactly on the edge
    positions = stopped_after(log, numbered(lines))
    assert positions[str(log)].offset == blocks * BLOCK
    append(log, numbered(3, lines + 1))
    rotate_and_compress(log, COMPRESS[suffix](log.read_bytes()), suffix)

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [*numbered_lines(numbered(3, lines + 1), lines + 1), (1, "new 1")]
    again.close()


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_a_restart_after_every_poll_in_a_multi_stream_archive_loses_and_repeats_nothing(
    tmp_path: Path, suffix: str
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(10))
    append(log, numbered(2000, 11))
    data = log.read_bytes()
    cuts = [0, 30_016, 30_100, 77_777, len(data)]  # a line's start, inside lines
    packed = b"".join(COMPRESS[suffix](data[a:b]) for a, b in itertools.pairwise(cuts))
    rotate_and_compress(log, packed, suffix)

    got: list[tuple[int, str]] = []
    for _ in range(100):
        follower = FileFollower([str(log)], positions, read_budget=10_000, rotate_grace=0)
        chunks = follower.poll()
        for chunk in chunks:
            got.extend(numbered_lines(chunk.data.decode(), chunk.first_line))
        positions = follower.positions()
        follower.close()
        if not chunks:
            break
    assert got == [*numbered_lines(numbered(2000, 11), 11), (1, "new 1")]


def test_copytruncate_while_running_reads_from_the_archive_only_what_was_not_read(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    follower = FileFollower([str(log)], rotate_grace=0)
    follower.poll()
    append(log, numbered(5))
    assert len(read_all(follower)) == 5
    # the copy holds exactly what was read: nothing of it comes again
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress(log.read_bytes()))
    log.write_text("")
    append(log, "new 1\n")
    assert read_all(follower) == [(1, "new 1")]
    assert said(follower) == []
    # the next copy holds one line more than was read: that line, once
    append(log, "new 2\n")
    assert read_all(follower) == [(2, "new 2")]
    append(log, "new 3\n")
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress(log.read_bytes()))
    log.write_text("")
    append(log, "newer 1\n")
    assert read_all(follower) == [(3, "new 3"), (1, "newer 1")]
    assert said(follower) == [
        f"{log}: was compressed away ({tmp_path / 'mail.log.1.gz'}): reading the rest of the "
        "old content from it first, from line 3"
    ]
    follower.close()


# -- damage, look-alikes, short fingerprints ----------------------------------------------


def test_an_archive_damaged_before_the_offset_is_passed_over_and_said(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(3000))
    append(log, numbered(10, 3001))
    packed = gzip.compress(log.read_bytes())
    rotate_and_compress(log, packed[:50] + bytes([packed[50] ^ 0xFF]) + packed[51:])
    fds = open_fds()

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [(1, "new 1")]
    assert len(said(again)) == 1 and "was not found beside" in said(again)[0]
    again.close()
    assert open_fds() == fds


def test_damage_in_a_later_bzip2_stream_keeps_every_line_before_it(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(10))
    append(log, numbered(100, 11))
    data = log.read_bytes()
    cut = len(numbered(60))
    second = bz2.compress(data[cut:])
    rotate_and_compress(log, bz2.compress(data[:cut]) + second[: len(second) // 2], "bz2")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [*numbered_lines(numbered(50, 11), 11), (1, "new 1")]
    notes = said(again)
    assert notes[1].startswith(f"{log}: cannot read the rest of the rotated file (from line 61")
    again.close()


def test_a_shorter_look_alike_sorted_first_does_not_hide_the_real_archive(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    text = numbered(20)
    positions = stopped_after(log, text)
    append(log, numbered(2, 21))
    whole = log.read_bytes()
    # the same first bytes, shorter than what was read: another file, passed over
    (tmp_path / "mail.log.0.gz").write_bytes(gzip.compress(whole[: len(text) - 64]))
    (tmp_path / "mail.log.00.xz").write_bytes(lzma.compress(b""))  # an empty archive
    (tmp_path / "mail.log.000.gz").write_bytes(b"")  # an empty file
    archive = rotate_and_compress(log, bz2.compress(whole), "bz2")

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [*numbered_lines(numbered(2, 21), 21), (1, "new 1")]
    assert said(again)[0].startswith(f"{log}: was compressed away ({archive})")
    again.close()


def test_a_short_fingerprint_finds_the_archive_and_a_restart_in_it_resumes(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(2))  # 128 bytes: a fingerprint of 128
    assert positions[str(log)].fingerprint_size == 128 < FINGERPRINT_SIZE
    append(log, numbered(1000, 3))
    rotate_and_compress(log, lzma.compress(log.read_bytes()), "xz")

    first = FileFollower([str(log)], positions, read_budget=20_000, rotate_grace=0)
    got = one_poll(first)
    stopped_at = first.positions()[str(log)]
    first.close()
    assert stopped_at.fingerprint_size == FINGERPRINT_SIZE  # grown, as an open file's

    second = FileFollower([str(log)], {str(log): stopped_at}, rotate_grace=0)
    got += read_all(second)
    assert got == [*numbered_lines(numbered(1000, 3), 3), (1, "new 1")]
    second.close()


# -- cost and descriptors ------------------------------------------------------------------


def test_unrelated_archives_are_decompressed_no_further_than_their_first_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[int] = []

    def counted(fd: int) -> Iterator[bytes] | None:
        blocks = unpacked(fd)  # the real one
        if blocks is None:
            return None

        def each() -> Iterator[bytes]:
            for block in blocks:
                given.append(len(block))
                yield block

        return each()

    monkeypatch.setattr(follow, "unpacked", counted)
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(4000))  # 256 kB read: four blocks
    other = numbered(16_000, 7).encode()  # 1 MB of another day: 16 blocks
    packed = gzip.compress(other, 1)
    # dateext names: all sorted before mail.log.1.gz, all looked at first
    for n in range(10, 18):
        (tmp_path / f"mail.log-202611{n}.gz").write_bytes(packed)
    (tmp_path / "mail.log-20261118.bz2").write_bytes(bz2.compress(other))
    (tmp_path / "mail.log-20261119.xz").write_bytes(lzma.compress(other, preset=0))
    (tmp_path / "mail.log-20261120.zst").write_bytes(b"\x28\xb5\x2f\xfd" + os.urandom(64))
    (tmp_path / "mail.log-20261121.gz").mkdir()
    os.mkfifo(tmp_path / "mail.log-20261122.gz")
    append(log, "4001 unread\n")
    rotate_and_compress(log, gzip.compress(log.read_bytes()), "gz")
    fds = open_fds()

    again = FileFollower([str(log)], positions, rotate_grace=0)
    assert read_all(again) == [(4001, "4001 unread"), (1, "new 1")]
    again.close()
    assert open_fds() == fds
    # one block of each unrelated archive, the archive itself up to the offset and past
    assert len(given) > 10
    assert sum(given) <= 10 * BLOCK + positions[str(log)].offset + 2 * BLOCK


def test_the_warm_up_tail_from_an_archive_leaves_no_descriptor_open(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(3000))
    append(log, numbered(10, 3001))
    rotate_and_compress(log, gzip.compress(log.read_bytes()))
    (tmp_path / "mail.log.2.zst").write_bytes(b"\x28\xb5\x2f\xfd" + os.urandom(64))
    position = positions[str(log)]
    fds = open_fds()

    tail = cast(Generator[Chunk, None, None], tail_before(str(log), position, 1 << 20, 4096))
    first = next(tail)
    assert first.first_line == 1
    tail.close()  # the daemon's stop between two pieces
    assert open_fds() == fds
    assert list(tail_before(str(log), position._replace(fingerprint="0" * 64), 1 << 20)) == []
    assert open_fds() == fds


# -- the warm-up tail from an archive --------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_the_warm_up_tail_from_an_archive_after_a_restart_in_it_has_the_right_lines(
    tmp_path: Path, suffix: str
) -> None:
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(100))
    append(log, numbered(2000, 101))
    rotate_and_compress(log, COMPRESS[suffix](log.read_bytes()), suffix)
    first = FileFollower([str(log)], positions, read_budget=50_000, rotate_grace=0)
    first.poll()
    stopped_at = first.positions()[str(log)]
    first.close()
    n = stopped_at.line - 1  # lines read so far

    assert 100 < n < 2100
    chunks = list(tail_before(str(log), stopped_at, 10_000, 3000))
    got = [pair for c in chunks for pair in numbered_lines(c.data.decode(), c.first_line)]
    assert got == numbered_lines(numbered(156, n - 155), n - 155)  # 10 kB: 156 whole lines


def test_a_warm_up_line_exactly_as_long_as_the_limit_is_kept_from_an_archive(
    tmp_path: Path,
) -> None:
    # "The whole lines before the position (at most `limit` bytes)": the last line, 64
    # bytes, fits a limit of 64 bytes; so do the last two a limit of 128.
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(10))
    rotate_and_compress(log, gzip.compress(log.read_bytes()))
    position = positions[str(log)]
    for count in (1, 2):
        chunks = list(tail_before(str(log), position, 64 * count))
        assert [chunk.first_line for chunk in chunks] == [11 - count]


def test_copytruncate_and_compression_then_a_restart_in_the_archive_resumes_in_it(
    tmp_path: Path,
) -> None:
    # copytruncate keeps the inode: the stored position's file is the live one, with
    # other first bytes; the rest is in the archive
    log = tmp_path / "mail.log"
    positions = stopped_after(log, numbered(10))
    append(log, numbered(1000, 11))
    shutil.copyfile(log, tmp_path / "mail.log.1")
    log.write_text("")
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress((tmp_path / "mail.log.1").read_bytes()))
    (tmp_path / "mail.log.1").unlink()
    new = "".join(f"2026-11-28T11:00:00 mx postfix/qmgr[{n}]: new {n}\n" for n in range(1, 2001))
    append(log, new)  # longer than the stored offset will be, other first bytes
    first = FileFollower([str(log)], positions, read_budget=20_000, rotate_grace=0)
    got = one_poll(first)
    stopped_at = first.positions()
    first.close()
    assert 0 < len(got) < 1000 and stopped_at[str(log)].offset < len(new)
    second = FileFollower([str(log)], stopped_at, rotate_grace=0)
    got += read_all(second)
    second.close()
    assert got == [*numbered_lines(numbered(1000, 11), 11), *numbered_lines(new)]
