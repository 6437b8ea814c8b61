"""A file named as an argument that gave not a line, damaged from its start or failing
at its first read, is a reading that failed: exit 1, as one that cannot be opened
(README, "Exit status"), the problem said. One whose first lines were read before the
damage, or one found in a directory, keeps 0."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from clirunner import Runner

LINE = (
    "Mar  9 04:43:04 mx postfix/smtpd[1]: warning: unknown[192.0.2.1]: "
    "SASL LOGIN authentication failed: authentication failure, sasl_username=alice\n"
)


def _cut_archive(tmp_path: Path, keep: int) -> Path:
    whole = gzip.compress((LINE * 20_000).encode())
    path = tmp_path / "mail.log.2.gz"
    path.write_bytes(whole[:keep])
    return path


@pytest.mark.parametrize("command", ["analyze", "events", "explain"])
def test_an_archive_cut_in_its_header_exits_1(run: Runner, tmp_path: Path, command: str) -> None:
    path = _cut_archive(tmp_path, 40)
    code, _out, err = run(command, "--year", "2026", str(path))
    assert code == 1
    assert "not a line could be read from it" in " ".join(err.split())


def test_beside_a_good_log_it_still_exits_1(run: Runner, tmp_path: Path) -> None:
    path = _cut_archive(tmp_path, 40)
    log = tmp_path / "mail.log"
    log.write_text(LINE)
    code, out, err = run("analyze", "--year", "2026", str(path), str(log))
    assert code == 1
    assert out  # the report of what could be read is written
    assert "not a line could be read from it" in " ".join(err.split())


def test_a_read_error_at_the_start_exits_1(run: Runner) -> None:
    code, _out, err = run("analyze", "--year", "2026", "/proc/self/mem")
    assert code == 1
    assert "/proc/self/mem: read error" in err


def test_an_archive_read_in_part_exits_0(run: Runner, tmp_path: Path) -> None:
    path = _cut_archive(tmp_path, 3000)
    code, _out, err = run("analyze", "--year", "2026", str(path))
    assert code == 0
    assert "earlier lines were read" in " ".join(err.split())


def test_one_found_in_a_directory_exits_0(run: Runner, tmp_path: Path) -> None:
    _cut_archive(tmp_path, 40)
    (tmp_path / "mail.log").write_text(LINE)
    code, _out, err = run("analyze", "--year", "2026", str(tmp_path))
    assert code == 0
    assert "not a line could be read from it" in " ".join(err.split())
