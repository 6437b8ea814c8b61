"""What the top of the report says of inputs it could not read.

A zstd file named as an argument (or given on standard input) gave not a line and
exited 0 with "Nothing recognised … in 0 lines: is this the right file?", where a gzip
file cut short exits 1 (README: a file named that gives not a line). It is now a failed
input: exit 1, and the headline says why it could not be read. One found in a directory
stays a counted skip (exit 0). A damaged archive read up to its damage was said only in
the notes at the bottom, under a headline "Nobody got in.": the line under the headline
says it now."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from analyze_logs import run_analyze

from clirunner import Runner

ZSTD = b"\x28\xb5\x2f\xfd" + bytes(range(64))
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def failures(address: str, count: int) -> str:
    return "".join(
        f"Mar 11 10:{n // 12:02d}:{n * 5 % 60:02d} mx postfix/submission/smtpd[{1000 + n}]: "
        f"warning: unknown[{address}]: SASL LOGIN authentication failed: authentication "
        f"failure, sasl_username=user{n}@example.com\n"
        for n in range(count)
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_named_zstd_file_is_said_unread_and_exits_1(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "mail.log.1.zst"
    path.write_bytes(ZSTD)
    code, out, _err = run("analyze", "--year", "2026", str(path))
    assert code == 1
    head = _flat(out.split("\n\n")[0])
    assert head.startswith(
        f"Nothing analysed: {path}: zstd-compressed, which mailwarden cannot read (Python "
        f"{VERSION} has no zstd module): not a line was read from it"
    )
    assert "Nothing recognised" not in head and "is empty" not in head
    code, out, _err = run("analyze", "--year", "2026", "--format", "json", str(path))
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert problem.startswith(f"{path}: zstd-compressed")


def test_zstd_on_standard_input_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "piped"
    path.write_bytes(ZSTD)
    result = run_analyze("--year", "2026", "-", stdin_file=path)
    assert result.returncode == 1
    assert result.stdout.startswith("Nothing analysed: -: zstd-compressed")


def test_a_zstd_file_found_in_a_directory_is_skipped(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "mail.log").write_text(failures("192.0.2.10", 3))
    (tmp_path / "mail.log.2.zst").write_bytes(ZSTD)
    code, out, _err = run("analyze", "--year", "2026", str(tmp_path), env={"COLUMNS": "200"})
    assert code == 0
    read_line = out.splitlines()[1]
    assert read_line.endswith("1 input could not be read (see Notes).")


def test_a_damaged_archive_is_said_under_the_headline(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "mail.log.1.gz"
    packed = gzip.compress(failures("192.0.2.10", 40).encode())
    path.write_bytes(packed[: len(packed) * 3 // 4])
    code, out, _err = run("analyze", "--year", "2026", str(path), env={"COLUMNS": "200"})
    assert code == 0
    read_line = out.splitlines()[1]
    assert read_line.startswith("Read ")
    assert read_line.endswith("1 archive damaged: read up to the damage (see Notes).")
    code, out, _err = run(
        "analyze", "--year", "2026", "--lang", "zh_CN", str(path), env={"COLUMNS": "200"}
    )
    assert "1 个归档已损坏" in out.splitlines()[1]
