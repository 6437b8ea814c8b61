"""Reading log files: compression by magic, rotated sets in time order, damage, stdin."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import zlib
from pathlib import Path

import pytest

from mailwarden.errors import InputError
from mailwarden.sources.files import expand_inputs, read_chunks
from mailwarden.sources.interface import MAX_LINE, ReadStats

LINES = [
    f"Feb 23 11:57:{n:02d} mx postfix/smtpd[32451]: connect from unknown[192.0.2.{n}]"
    for n in range(40)
]
TEXT = ("\n".join(LINES) + "\n").encode()


def lines_of(
    path: str | Path, stats: ReadStats | None = None, **kw: int
) -> list[tuple[int, int, bytes]]:
    """(line number, byte offset, text) of every line read, in order."""
    out = []
    for chunk in read_chunks(str(path), stats or ReadStats(), **kw):
        offset = chunk.offset
        for n, line in enumerate(chunk.data.split(b"\n")[: chunk.data.count(b"\n") or 1]):
            out.append((chunk.first_line + n, offset, line))
            offset += len(line) + 1
    return out


@pytest.mark.parametrize(
    "compress",
    [lambda b: b, gzip.compress, bz2.compress, lzma.compress],
    ids=["plain", "gz", "bz2", "xz"],
)
def test_compression_is_recognised_by_content_not_name(tmp_path: Path, compress) -> None:
    path = tmp_path / "mail.log"  # no suffix, whatever the content
    path.write_bytes(compress(TEXT))
    stats = ReadStats()
    got = lines_of(path, stats)
    assert [text.decode() for _, _, text in got] == LINES
    assert [n for n, _, _ in got] == list(range(1, 41))
    assert stats.bytes == len(TEXT) and stats.files == 1 and stats.problems == []


def test_offsets_point_at_each_line_in_the_decompressed_text(tmp_path: Path) -> None:
    path = tmp_path / "mail.log.gz"
    path.write_bytes(gzip.compress(TEXT))
    for _, offset, text in lines_of(path, chunk_size=100):
        assert TEXT[offset : offset + len(text)] == text


def test_small_reads_still_give_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(TEXT)
    chunks = list(read_chunks(str(path), ReadStats(), chunk_size=7))
    assert all(chunk.data.endswith(b"\n") for chunk in chunks)
    assert b"".join(chunk.data for chunk in chunks) == TEXT


def test_last_line_without_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(TEXT + b"Feb 23 11:58:00 mx postfix/smtpd[1]: disconnect")
    got = lines_of(path)
    assert got[-1][0] == 41 and got[-1][2].endswith(b"disconnect")


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 1 << 20])
def test_lines_ending_in_a_bare_carriage_return_are_lines(tmp_path: Path, chunk_size: int) -> None:
    # Classic Mac OS text (a clipboard, an old tool): without this, the whole file was one
    # line and every entry after the first was lost. Offsets stay the file's own.
    cr_text = TEXT.replace(b"\n", b"\r")
    path = tmp_path / "mail.log"
    path.write_bytes(gzip.compress(cr_text) if chunk_size == 2 else cr_text)
    got = lines_of(path, chunk_size=chunk_size)
    assert [text.decode() for _, _, text in got] == LINES
    assert [n for n, _, _ in got] == list(range(1, 41))
    for _, offset, text in got:
        assert cr_text[offset : offset + len(text)] == text


@pytest.mark.parametrize("chunk_size", [1, 5, 1 << 20])
def test_crlf_lines_and_a_carriage_return_inside_a_line_are_not_split(
    tmp_path: Path, chunk_size: int
) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(b"one\r\ntwo\rhalf\r\nthree\n")
    got = [text for _, _, text in lines_of(path, chunk_size=chunk_size)]
    assert got == [b"one\r", b"two\rhalf\r", b"three"]


def test_a_long_file_with_bare_carriage_returns_is_read_line_by_line(tmp_path: Path) -> None:
    many = [f"{line} #{n}" for n in range(60) for line in LINES]  # about 180 KB
    path = tmp_path / "mail.log"
    path.write_bytes(("\r".join(many) + "\r").encode())
    stats = ReadStats()
    got = lines_of(path, stats, chunk_size=4096)
    assert [text.decode() for _, _, text in got] == many
    assert stats.too_long == 0


def test_a_carriage_return_inside_a_log_line_never_cuts_an_entry_out_of_it(
    tmp_path: Path,
) -> None:
    # A client's text with a raw "\r" in the first line of a fresh file (a logger that
    # does not escape it): the forged entry after it must stay inside the real one.
    forged = "Feb 23 11:57:01 mx postfix/smtpd[1]: connect from unknown[203.0.113.5]"
    first = f"Feb 23 11:57:00 mx dovecot: imap-login: Aborted login (user=<x\r{forged}>)"
    path = tmp_path / "mail.log"
    path.write_bytes((first + "\n").encode() + TEXT)
    got = [text for _, _, text in lines_of(path)]
    assert got[0] == first.encode() and len(got) == 41


def test_the_daemons_followed_logs_are_never_cut_at_a_carriage_return() -> None:
    from mailwarden.sources._lines import LineSplitter

    splitter = LineSplitter("mail.log", ReadStats())  # as follow.py builds it
    assert splitter.feed(b"one\rtwo\rthree\r" * 10) is None
    tail = splitter.finish()
    assert tail is not None and tail.data.count(b"\n") == 0


def test_multi_member_gzip_is_read_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "mail.log.1.gz"
    half = len(TEXT) // 2
    cut = TEXT.rfind(b"\n", 0, half) + 1
    path.write_bytes(gzip.compress(TEXT[:cut]) + gzip.compress(TEXT[cut:]))
    assert [t.decode() for _, _, t in lines_of(path)] == LINES


@pytest.mark.parametrize(
    "compress,name",
    [
        (gzip.compress, "gzip"),
        (lambda data: bz2.compress(data, compresslevel=1), "bzip2"),  # 100 kB blocks
        (lzma.compress, "xz"),
    ],
)
def test_truncated_archive_keeps_the_lines_before_the_damage(
    tmp_path: Path, compress, name: str
) -> None:
    big = b"".join(TEXT for _ in range(200))  # 8000 lines, 560 kB
    data = compress(big)
    path = tmp_path / "mail.log.2.gz"
    path.write_bytes(data[: len(data) * 3 // 4])
    stats = ReadStats()
    got = lines_of(path, stats)
    assert 1000 < len(got) < 8000
    # every line read is a whole, correct line in its true place
    for number, _, text in got:
        assert text.decode() == LINES[(number - 1) % 40]
    assert len(stats.problems) == 1
    message = f"{path}: truncated {name} archive after {len(got)} lines; earlier lines were read"
    assert stats.problems[0] in (message, message + UNFINISHED)


def test_corrupt_gzip_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    # A good member, then a member whose deflate data is invalid (block type 3).
    bad_member = b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"\xff" * 64
    path = tmp_path / "mail.log.3.gz"
    path.write_bytes(gzip.compress(TEXT) + bad_member)
    stats = ReadStats()
    got = lines_of(path, stats)
    assert [t.decode() for _, _, t in got] == LINES
    assert len(stats.problems) == 1
    assert stats.problems[0].startswith(f"{path}: corrupt gzip data (")
    assert stats.problems[0].endswith(", found after 40 lines" + MAY_BE_DAMAGED)


# -- damage inside an archive: everything decompressed before it counts ------------------

UNFINISHED = "; the unfinished line at the damage was dropped"
MAY_BE_DAMAGED = (
    "; those lines were read, but they may be damaged too: damage inside an archive often "
    "comes to light only later (a gzip file is checked only at its end)"
)
CHECKED = {  # how each kind of archive checks its data, as the damage message says
    "gzip": "(a gzip file is checked only at its end)",
    "bzip2": "(a bzip2 file is checked block by block, each block of up to 900 KB only at its end)",
    "xz": "(an xz file is checked block by block, each block only at its end)",
}
NUMBERED = b"".join(
    b"Feb 23 11:%02d:%02d mx postfix/smtpd[%d]: connect from unknown[192.0.2.%d]\n"
    % (n // 60 % 60, n % 60, n, n % 256)
    for n in range(3000)
)  # 3000 different lines, 220 kB: several of the reader's 64 kB decompression calls
COMPRESS = {
    "gzip": gzip.compress,
    "bzip2": lambda data: bz2.compress(data, compresslevel=1),  # 100 kB blocks
    "xz": lzma.compress,
}


def produced_before_error(kind: str, data: bytes) -> bytes:
    """What the standard library decompresses from `data` (one stream) before it raises,
    fed and drained a byte at a time, so that the raise throws nothing away."""
    out = bytearray()
    if kind == "gzip":
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            for at in range(len(data)):
                piece = inflate.decompress(data[at : at + 1], 1)
                out += piece
                while piece or inflate.unconsumed_tail:
                    piece = inflate.decompress(inflate.unconsumed_tail, 1)
                    out += piece
        except zlib.error:
            pass
        return bytes(out)
    other = bz2.BZ2Decompressor() if kind == "bzip2" else lzma.LZMADecompressor()
    try:
        for at in range(len(data)):
            out += other.decompress(data[at : at + 1], 1)
            while not other.needs_input and not other.eof:
                out += other.decompress(b"", 1)
    except (OSError, lzma.LZMAError):
        pass
    return bytes(out)


def read_text(path: str | Path, stats: ReadStats) -> bytes:
    return b"".join(chunk.data for chunk in read_chunks(str(path), stats))


def whole_lines(data: bytes) -> bytes:
    return data[: data.rfind(b"\n") + 1]


# (Flipped deflate data mostly decodes to garbage that only the gzip trailer's CRC
# catches: the damage that zlib notices mid-member is the block-boundary test below.)
@pytest.mark.parametrize("kind", ["bzip2", "xz"])
def test_corrupt_archive_keeps_all_it_decompressed_before_the_damage(
    tmp_path: Path, kind: str
) -> None:
    data = bytearray(COMPRESS[kind](NUMBERED))
    middle = len(data) // 2
    data[middle : middle + 40] = bytes(b ^ 0x55 for b in data[middle : middle + 40])
    path = tmp_path / "mail.log.4.gz"
    path.write_bytes(data)
    expected = whole_lines(produced_before_error(kind, bytes(data)))
    # the damage is in the middle: at least the first third came out intact
    assert expected.startswith(NUMBERED[: len(NUMBERED) // 3])
    stats = ReadStats()
    assert read_text(path, stats) == expected
    lines = expected.count(b"\n")
    assert len(stats.problems) == 1
    assert stats.problems[0].startswith(f"{path}: corrupt {kind} data (")
    # in the terms of its own kind of archive, not gzip's
    said = MAY_BE_DAMAGED.replace(CHECKED["gzip"], CHECKED[kind])
    assert f"), found after {lines} lines{said}" in stats.problems[0]
    assert "gzip" not in stats.problems[0]


def test_gzip_damage_at_a_block_boundary_loses_no_line(tmp_path: Path) -> None:
    # A full flush ends a deflate block on a byte boundary; the next "block" is
    # invalid (type 3), so zlib notices exactly there, after the first part.
    cut = NUMBERED.index(b"\n", len(NUMBERED) * 2 // 3) + 1
    deflate = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    head = deflate.compress(NUMBERED[:cut]) + deflate.flush(zlib.Z_FULL_FLUSH)
    path = tmp_path / "mail.log.5.gz"
    path.write_bytes(head + b"\xff" * 8 + deflate.compress(NUMBERED[cut:]) + deflate.flush())
    stats = ReadStats()
    assert read_text(path, stats) == NUMBERED[:cut]
    lines = NUMBERED[:cut].count(b"\n")
    assert stats.problems == [
        f"{path}: corrupt gzip data (Error -3 while decompressing data: invalid block type)"
        f", found after {lines} lines{MAY_BE_DAMAGED}"
    ]


@pytest.mark.parametrize(
    "kind,where",
    [
        ("gzip", -6),  # the member's CRC-32 (a guard: read right before, differently)
        ("bzip2", -2),  # the stream's combined CRC
        ("xz", -10),  # the CRC-32 of the stream footer
    ],
)
def test_failed_check_after_the_data_keeps_every_line(
    tmp_path: Path, kind: str, where: int
) -> None:
    data = bytearray(COMPRESS[kind](NUMBERED))
    data[where] ^= 0xFF
    path = tmp_path / "mail.log.6.gz"
    path.write_bytes(data)
    stats = ReadStats()
    assert read_text(path, stats) == NUMBERED
    assert len(stats.problems) == 1
    assert stats.problems[0].startswith(f"{path}: corrupt {kind} data (")
    said = MAY_BE_DAMAGED.replace(CHECKED["gzip"], CHECKED[kind])  # in its own terms
    assert stats.problems[0].endswith(", found after 3000 lines" + said)


def test_standard_input_from_a_damaged_file_keeps_as_much(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(lzma.compress(NUMBERED))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "mail.log.7.xz"
    path.write_bytes(b"skipped\n" + data)
    expected = whole_lines(produced_before_error("xz", bytes(data)))
    with path.open("rb") as stdin:
        stdin.readline()  # read from where standard input stands, not from 0

        class FakeStdin:
            buffer = stdin

        monkeypatch.setattr(sys, "stdin", FakeStdin)
        stats = ReadStats()
        assert read_text("-", stats) == expected
    assert len(stats.problems) == 1 and stats.problems[0].startswith("-: corrupt xz data (")


def test_damaged_later_xz_stream_is_reported_not_ignored(tmp_path: Path) -> None:
    cut = NUMBERED.index(b"\n", len(NUMBERED) // 2) + 1
    first = lzma.compress(NUMBERED[:cut])
    second = bytearray(lzma.compress(NUMBERED[cut:]))
    second[200:208] = b"\xff" * 8
    path = tmp_path / "mail.log.8.xz"
    path.write_bytes(first + second)
    stats = ReadStats()
    got = read_text(path, stats)
    assert got == NUMBERED[:cut] + whole_lines(produced_before_error("xz", bytes(second)))
    assert len(stats.problems) == 1
    assert stats.problems[0].startswith(f"{path}: corrupt xz data (")


def test_xz_stream_padding_is_skipped(tmp_path: Path) -> None:
    cut = NUMBERED.index(b"\n", len(NUMBERED) // 2) + 1
    path = tmp_path / "mail.log.9.xz"
    padding = b"\0" * 8  # xz allows zeros (4 at a time) between and after streams
    path.write_bytes(
        lzma.compress(NUMBERED[:cut]) + padding + lzma.compress(NUMBERED[cut:]) + padding
    )
    stats = ReadStats()
    assert read_text(path, stats) == NUMBERED
    assert stats.problems == []


def test_zstd_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mail.log.1.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    stats = ReadStats()
    assert lines_of(path, stats) == []
    assert "zstd" in stats.problems[0]


def test_over_long_line_is_skipped_and_numbers_stay_true(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    huge = b"x" * (10 * MAX_LINE)
    path.write_bytes(b"first\n" + huge + b"\nthird\nfourth\n")
    stats = ReadStats()
    got = lines_of(path, stats, chunk_size=4096)
    assert [(n, t) for n, _, t in got] == [(1, b"first"), (3, b"third"), (4, b"fourth")]
    assert got[1][1] == 6 + len(huge) + 1  # true byte offset of "third"
    assert stats.too_long == 1


def test_over_long_last_line_without_newline_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(b"first\n" + b"y" * (2 * MAX_LINE))
    stats = ReadStats()
    assert [t for _, _, t in lines_of(path, stats, chunk_size=4096)] == [b"first"]
    assert stats.too_long == 1


def test_stdin_is_read_and_sniffed_for_compression(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        buffer = io.BufferedReader(io.BytesIO(gzip.compress(TEXT)))  # type: ignore[arg-type]

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    chunks = list(read_chunks("-", ReadStats()))
    assert b"".join(chunk.data for chunk in chunks) == TEXT
    assert {chunk.source for chunk in chunks} == {"-"}


def test_compressed_stdin_is_recognised_when_the_pipe_gives_one_byte_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (head -c1 log.gz; sleep 1; tail -c +2 log.gz) | mailwarden analyze -
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.reads = data, 0

        def readable(self) -> bool:
            return True

        def read1(self, size: int = -1) -> bytes:
            self.reads += 1
            size = 1 if self.reads == 1 else size
            piece, self.data = self.data[:size], self.data[size:]
            return piece

    class FakeStdin:
        buffer = Trickle(gzip.compress(TEXT))

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    stats = ReadStats()
    assert b"".join(chunk.data for chunk in read_chunks("-", stats)) == TEXT
    assert stats.problems == []


def test_closed_stdin_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match="standard input is closed"):
        list(read_chunks("-", ReadStats()))


def test_missing_file_and_directory_raise_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.log: no such file or directory$"):
        list(read_chunks(str(tmp_path / "nothere.log"), ReadStats()))
    with pytest.raises(InputError, match="is a directory"):
        list(read_chunks(str(tmp_path), ReadStats()))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "secret.log"
    path.write_bytes(TEXT)
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        list(read_chunks(str(path), ReadStats()))


# -- expand_inputs ---------------------------------------------------------------------


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"x\n")


def test_rotated_set_is_ordered_oldest_first(tmp_path: Path) -> None:
    touch(tmp_path, "mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.10.gz", "mail.log.3.bz2")
    shell_order = sorted(str(p) for p in tmp_path.iterdir())  # what `mail.log*` gives
    names = [os.path.basename(p) for p in expand_inputs(shell_order)]
    assert names == ["mail.log.10.gz", "mail.log.3.bz2", "mail.log.2.gz", "mail.log.1", "mail.log"]


def test_files_named_by_address_are_inputs_of_their_own(tmp_path: Path) -> None:
    # A log host's file per sender (rsyslog's %FROMHOST-IP%): not "192.0.2" rotated 9
    # and 10 times, but two inputs (merged by time); a rotation of one is still one.
    from mailwarden.scan import streams_of

    touch(tmp_path, "192.0.2.9", "192.0.2.10", "192.0.2.10.1.gz")
    streams = streams_of(expand_inputs([str(tmp_path)]))
    sets = sorted([os.path.basename(p) for p in stream.paths] for stream in streams)
    assert sets == [["192.0.2.10.1.gz", "192.0.2.10"], ["192.0.2.9"]]


def test_dated_rotation_is_ordered_by_date(tmp_path: Path) -> None:
    touch(tmp_path, "mail.log", "mail.log-20260208.gz", "mail.log-20260201.gz", "mail.log-20260215")
    names = [os.path.basename(p) for p in expand_inputs([str(tmp_path)])]
    assert names == [
        "mail.log-20260201.gz",
        "mail.log-20260208.gz",
        "mail.log-20260215",
        "mail.log",
    ]


def test_directory_gives_its_files_not_subfolders_nor_hidden(tmp_path: Path) -> None:
    touch(tmp_path, "mail.log", "mail.err", ".hidden")
    (tmp_path / "journal").mkdir()
    touch(tmp_path / "journal", "system.journal")
    names = sorted(os.path.basename(p) for p in expand_inputs([str(tmp_path)]))
    assert names == ["mail.err", "mail.log"]


def test_glob_is_expanded_and_stdin_kept(tmp_path: Path) -> None:
    touch(tmp_path, "mail.log", "mail.log.1")
    got = expand_inputs([str(tmp_path / "mail.log*"), "-"])
    assert [os.path.basename(p) for p in got] == ["mail.log.1", "mail.log", "-"]


def test_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    touch(tmp_path, "mail.log")
    path = str(tmp_path / "mail.log")
    assert expand_inputs([path, str(tmp_path / "." / "mail.log"), str(tmp_path)]) == [path]


def test_missing_input_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"mail\.lgo: no such file or directory"):
        expand_inputs([str(tmp_path / "mail.lgo")])
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.nothing")])


def test_a_flipped_byte_in_a_gzip_is_not_said_to_leave_the_earlier_lines_intact(
    tmp_path: Path,
) -> None:
    """One flipped byte inside the deflate data: the rest of the member decodes to
    garbage without an error, and only the CRC at the end says so. The lines read before
    that were not all good, and the message no longer says "earlier lines were read" as
    if they were; an archive cut short still does (its lines before the cut are sound)."""
    data = bytearray(gzip.compress(NUMBERED))
    data[len(data) // 2] ^= 0x01
    path = tmp_path / "mail.log.8.gz"
    path.write_bytes(data)
    stats = ReadStats()

    got = read_text(path, stats)

    assert got != NUMBERED[: len(got)]  # lines were read, and some of them are garbage
    (problem,) = stats.problems
    assert problem.startswith(f"{path}: corrupt gzip data (")
    assert "earlier lines were read" not in problem
    assert problem.endswith(MAY_BE_DAMAGED) or problem.endswith(MAY_BE_DAMAGED + UNFINISHED)


def test_a_fifo_matched_by_a_pattern_is_left_out_not_waited_on(tmp_path: Path) -> None:
    # Opening it would wait for a writer for ever; a directory leaves it out too.
    from mailwarden.sources.files import readable_inputs, skipped_note

    (tmp_path / "mail.log").write_bytes(TEXT)
    os.mkfifo(tmp_path / "mail.pipe")
    pattern = str(tmp_path / "*")
    paths, skipped = readable_inputs([pattern], expand_inputs([pattern]))
    assert paths == [str(tmp_path / "mail.log")]
    assert [path for path, _error in skipped] == [str(tmp_path / "mail.pipe")]
    assert "mail.pipe (not a regular file" in skipped_note(skipped)


def test_a_pattern_that_matches_only_a_fifo_is_an_error(tmp_path: Path) -> None:
    from mailwarden.sources.files import readable_inputs

    os.mkfifo(tmp_path / "mail.pipe")
    pattern = str(tmp_path / "*.pipe")
    with pytest.raises(InputError, match=r"mail\.pipe: cannot read: not a regular file"):
        readable_inputs([pattern], expand_inputs([pattern]))
