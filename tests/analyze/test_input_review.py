"""What `analyze` reads of awkward inputs, as a user sees it in the JSON report: journal
entries whose MESSAGE is an array of bytes, rotated sets that mix numbered and dated
names, copies inside one rotated set, NUL holes, over-long lines, many files at once."""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clirunner import Runner

ARGS = ("--year", "2026", "--timezone", "UTC", "--format", "json")


def failures(address: str, count: int, month: str = "Mar", day: int = 11, hour: int = 10) -> str:
    """``count`` SASL failures of ``address``, 5 s apart (as the reviewer's gen.py)."""
    lines = []
    for n in range(count):
        second = n * 5
        lines.append(
            f"{month} {day:2d} {hour:02d}:{second // 60:02d}:{second % 60:02d} mx "
            f"postfix/submission/smtpd[{1000 + n}]: warning: unknown[{address}]: SASL LOGIN "
            f"authentication failed: (reason unavailable), sasl_username=user{n}@example.com\n"
        )
    return "".join(lines)


def analyze(run: Runner, *args: str) -> dict[str, Any]:
    code, out, err = run("analyze", *ARGS, *args)
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def attackers(report: dict[str, Any]) -> dict[str, int]:
    return {item["ip"]: item["failures"] for item in report["attackers"]}


# -- journal entries whose MESSAGE is an array of bytes ------------------------------------


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": "), (" , ", " : ")])
def test_a_journal_message_given_as_bytes_is_analysed(
    run: Runner, tmp_path: Path, separators: tuple[str, str]
) -> None:
    """journalctl -o json writes a MESSAGE that is not UTF-8 as an array of bytes;
    systemd before 246 and other tools put blanks around the colon. Each such entry is
    a failure the analysis counts, as `events` shows it."""
    message = (
        b"warning: unknown[192.0.2.70]: SASL LOGIN authentication failed: (reason "
        b"unavailable), sasl_username=j3@exampl\xe9"
    )
    entries = [
        {
            "__REALTIME_TIMESTAMP": str(1773223200_000000 + n * 1_000_000),
            "_HOSTNAME": "mx",
            "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
            "_PID": str(100 + n),
            "MESSAGE": list(message),
        }
        for n in range(5)
    ]
    path = tmp_path / "journal.json"
    path.write_text("".join(json.dumps(e, separators=separators) + "\n" for e in entries))
    report = analyze(run, str(path))
    assert report["stats"]["lines_recognised"] == 5
    assert report["stats"]["failures_counted"] == 5


# -- a rotated set with numbered and dated names ------------------------------------------


def switched_to_dateext(folder: Path) -> None:
    """What logrotate leaves when ``dateext`` is turned on: the numbered archives of
    before (March 1 and 2), a dated one (March 8) and the live file (March 9), each
    last written the day after its entries."""
    files = [
        ("mail.log.2.gz", "192.0.2.180", 1),
        ("mail.log.1.gz", "192.0.2.181", 2),
        ("mail.log-20260308.gz", "192.0.2.182", 8),
        ("mail.log", "192.0.2.183", 9),
    ]
    for name, address, day in files:
        text = failures(address, 3, day=day).encode()
        path = folder / name
        path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
        written = 1772323200 + day * 86400  # March `day` + 1, 00:00 UTC
        os.utime(path, (written, written))


def test_until_reads_the_numbered_archives_before_the_dated_ones(
    run: Runner, tmp_path: Path
) -> None:
    switched_to_dateext(tmp_path)
    names = sorted(str(path) for path in tmp_path.iterdir())
    report = analyze(run, "--until", "2026-03-03", *names)
    assert attackers(report) == {"192.0.2.180": 3, "192.0.2.181": 3}
    assert report["not_opened"] == []
    report = analyze(run, "--since", "2026-03-01", "--until", "2026-03-03", str(tmp_path))
    assert attackers(report) == {"192.0.2.180": 3, "192.0.2.181": 3}


def test_a_set_of_numbered_and_dated_names_is_read_in_time_order(
    run: Runner, tmp_path: Path
) -> None:
    switched_to_dateext(tmp_path)
    report = analyze(run, str(tmp_path))
    assert [Path(path).name for path in report["inputs"]] == [
        "mail.log.2.gz",
        "mail.log.1.gz",
        "mail.log-20260308.gz",
        "mail.log",
    ]
    assert report["notes"] == []  # nothing "goes back in time"
    code, out, err = run("events", "--year", "2026", str(tmp_path))
    assert code == 0, err
    days = [line.split()[1][:10] for line in out.splitlines()]
    assert days == sorted(days)


def test_until_opens_every_file_of_a_set_whose_order_names_cannot_tell(
    run: Runner, tmp_path: Path
) -> None:
    """Copied without their times, the numbered files count as the older ones; when
    that is wrong (here the dated file holds March 1, mail.log.1.gz March 20), --until
    still opens them all: no guess is lost to the order."""
    switched_to_dateext(tmp_path)
    (tmp_path / "mail.log.1.gz").write_bytes(
        gzip.compress(failures("192.0.2.181", 3, day=20).encode())
    )
    (tmp_path / "mail.log-20260308.gz").write_bytes(
        gzip.compress(failures("192.0.2.182", 3, day=1).encode())
    )
    for path in tmp_path.iterdir():
        os.utime(path, (1774000000, 1774000000))
    report = analyze(run, "--until", "2026-03-03", str(tmp_path))
    assert report["not_opened"] == []
    assert attackers(report) == {"192.0.2.180": 3, "192.0.2.182": 3}


# -- an archive beside its uncompressed copy ------------------------------------------------


@pytest.mark.parametrize("archive", ["mail.log.1.gz", "mail.log-20260310.gz"])
def test_a_copy_unpacked_beside_its_archive_is_counted_once(
    run: Runner, tmp_path: Path, archive: str
) -> None:
    """``gunzip -k mail.log.1.gz`` leaves mail.log.1 beside it: three failures are a
    probe, not six (a brute force), and the three copies are said as duplicates."""
    text = failures("192.0.2.80", 3, day=10)
    (tmp_path / archive).write_bytes(gzip.compress(text.encode()))
    (tmp_path / archive.removesuffix(".gz")).write_text(text)
    (tmp_path / "mail.log").write_text(failures("192.0.2.81", 3, day=11))
    report = analyze(run, str(tmp_path))
    assert attackers(report) == {"192.0.2.80": 3, "192.0.2.81": 3}
    assert report["stats"]["lines_duplicate"] == 3
    assert report["stats"]["failures_counted"] == 6


# -- NUL holes and over-long lines -------------------------------------------------------


@pytest.mark.parametrize("hole", [60_000, 65_536, 3 << 20])
@pytest.mark.parametrize("command", ["analyze", "events"])
def test_the_entry_after_a_long_nul_hole_counts(
    run: Runner, tmp_path: Path, hole: int, command: str
) -> None:
    """A crash leaves a run of NULs in a syslog file, the next entry written right
    after it on the same line: however long the run (past 64 KiB, past a 1 MiB read),
    that entry counts."""
    path = tmp_path / "mail.log"
    path.write_bytes(
        failures("192.0.2.140", 1).encode()
        + b"\0" * hole
        + failures("192.0.2.141", 3, hour=11).encode()
    )
    if command == "events":
        code, out, err = run("events", "--year", "2026", str(path))
        assert code == 0, err
        assert out.count("192.0.2.141") == 3
        assert "4 lines, 4 entries" in err
        return
    report = analyze(run, str(path))
    assert report["stats"]["failures_counted"] == 4
    assert report["stats"]["lines_skipped"] == 0


@pytest.mark.parametrize("length", [70_000, 200_000, 400_000, 2_000_000])
def test_analyze_counts_every_over_long_line_as_events_does(
    run: Runner, tmp_path: Path, length: int
) -> None:
    """Good lines between lines longer than 64 KiB: each over-long line is skipped and
    counted, however many of them one read of the file holds."""
    path = tmp_path / "mail.log"
    with path.open("w") as log:
        for n in range(20):
            log.write(failures(f"192.0.2.{150 + n}", 1))
            log.write("Z" * length + "\n")
    code, out, err = run("events", "--year", "2026", str(path))
    assert code == 0, err
    assert err.rstrip().endswith("20 skipped")
    report = analyze(run, str(path))
    assert report["stats"]["lines_skipped"] == 20
    assert report["stats"]["failures_counted"] == 20
    code, out, err = run("analyze", "--year", "2026", "--timezone", "UTC", str(path))
    assert code == 0, err
    assert "20 lines skipped" in " ".join(out.split())


# -- many files at once --------------------------------------------------------------------


def _limited(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@pytest.mark.parametrize("compressed", [False, True])
def test_many_logs_merged_under_a_low_limit_of_open_files(tmp_path: Path, compressed: bool) -> None:
    """A directory of per-host logs, more of them than the process may open at once
    (``ulimit -n``): every one is read."""
    folder = tmp_path / "hosts"
    folder.mkdir()
    for n in range(300):
        text = failures("192.0.2.7", 1, hour=10 + n % 10).replace("user0", f"user{n}")
        if compressed:
            (folder / f"host{n}.log.1.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (folder / f"host{n}.log").write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "mailwarden", "analyze", *ARGS, str(folder)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: _limited(128),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stats"]["files"] == 300
    assert report["stats"]["failures_counted"] == 300
    assert report["problems"] == []


# -- what a directory holds besides regular files ------------------------------------------


def test_a_fifo_or_dangling_link_in_a_directory_is_said_skipped(
    run: Runner, tmp_path: Path
) -> None:
    (tmp_path / "mail.log").write_text(failures("192.0.2.10", 3))
    os.mkfifo(tmp_path / "mail.log.1")
    (tmp_path / "mail.log.2.gz").symlink_to(tmp_path / "nonexistent")
    (tmp_path / "sub").mkdir()
    report = analyze(run, str(tmp_path))
    assert [Path(path).name for path in report["inputs"]] == ["mail.log"]
    [problem] = report["problems"]
    assert "mail.log.1 (not a regular file" in problem
    assert "mail.log.2.gz (No such file or directory)" in problem
    assert "sub" not in problem


@pytest.mark.parametrize("command", ["analyze", "events", "explain"])
def test_a_file_in_a_directory_one_may_not_search_is_no_missing_file(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """/var/log/mail/ 0750 root:adm, read by a user outside adm: the error says
    permission denied, as cat does, not that the file does not exist. (Root searches any
    directory, so the refusal is the system's answer, given here.)"""
    path = str(tmp_path / "mail" / "mail.log")
    lstat = os.lstat

    def refused(name: str | os.PathLike[str], *args: object, **kwargs: object) -> os.stat_result:
        if os.fspath(name) == path:
            raise PermissionError(13, "Permission denied", path)
        return lstat(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", refused)
    code, _out, err = run(command, path)
    assert code == 1
    assert f"{path}: permission denied" in err
    assert "no such file" not in err


def test_a_link_to_the_live_log_leaves_it_in_its_rotated_set(run: Runner, tmp_path: Path) -> None:
    """``current -> mail.log`` sorts before mail.log: mail.log is read once, as the
    newest file of its set, after mail.log.1."""
    (tmp_path / "mail.log.1").write_text(failures("192.0.2.90", 3, day=10))
    (tmp_path / "mail.log").write_text(failures("192.0.2.91", 3, day=11))
    (tmp_path / "current").symlink_to("mail.log")
    report = analyze(run, str(tmp_path))
    assert [Path(path).name for path in report["inputs"]] == ["mail.log.1", "mail.log"]
    assert report["notes"] == []
    code, out, err = run("events", "--year", "2026", str(tmp_path))
    assert code == 0, err
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in out.splitlines()] == [
        "mail.log.1"
    ] * 3 + ["mail.log"] * 3


# -- what the report says of inputs it could not read --------------------------------------


def test_a_zstd_file_is_no_input_read(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "mail.log").write_text(failures("192.0.2.10", 3))
    (tmp_path / "mail.log.2.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(64)))
    report = analyze(run, str(tmp_path))
    assert [Path(path).name for path in report["inputs"]] == ["mail.log"]
    [problem] = report["problems"]
    assert "mail.log.2.zst: zstd-compressed" in problem


def test_an_archive_cut_in_its_header_gave_no_line(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "hdr.gz"
    path.write_bytes(gzip.compress(failures("192.0.2.10", 3).encode())[:10])
    # named, it gave nothing: exit 1 (README), the report still written
    code, out, _err = run("analyze", *ARGS, str(path))
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert problem == f"{path}: truncated gzip archive; not a line could be read from it"


def test_events_text_keeps_each_entrys_utc_offset(run: Runner, tmp_path: Path) -> None:
    """10:00 at +09:00 and 10:00 at -08:00 are 17 hours apart: the readable lines say
    so, as the JSON lines do."""
    path = tmp_path / "iso.log"
    path.write_text(
        "".join(
            f"2026-03-11T10:00:00{offset} mx postfix/smtpd[1]: warning: unknown[192.0.2.9]: "
            f"SASL LOGIN authentication failed: x, sasl_username={user}\n"
            for offset, user in (("+09:00", "a"), (".123456-08:00", "b"))
        )
    )
    code, out, err = run("events", str(path))
    assert code == 0, err
    assert [line.split()[1] for line in out.splitlines()] == [
        "2026-03-11T10:00:00+09:00",
        "2026-03-11T10:00:00-08:00",
    ]
