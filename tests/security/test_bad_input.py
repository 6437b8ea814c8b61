# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Bad input is a counted skip: random bytes, a 10 MB line, NUL bytes, invalid UTF-8,
a truncated gzip, garbage in .xz/.bz2, an unknown date, an empty file, a FIFO. Never a
traceback, never a lost good line after the junk; the exit status and the one-line
errors of DEVELOPING.md (``mailwarden: error: …``, ``mailwarden: warning: …``)."""

from __future__ import annotations

import bz2
import gzip
import os
import random
import threading
import time
from pathlib import Path

import pytest
from seclab import events_of, mailwarden

GOOD = "Feb 23 11:57:45 mx postfix/smtpd[9]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin"


def _junk(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _inputs(tmp: Path) -> dict[str, tuple[Path, int]]:
    """name -> (file, how many good lines it holds)."""
    good = (GOOD + "\n").encode()
    made: dict[str, tuple[bytes, int]] = {
        "random bytes then a good line.log": (_junk(200_000) + b"\n" + good, 1),
        "a 10 MB line.log": (good + b"x" * 10_000_000 + b"\n" + good, 2),
        "a 10 MB last line without newline.log": (good + b"y" * 10_000_000, 1),
        "NUL bytes.log": (b"abc\x00def\x00\n" + good + good[:60] + b"\x00" + good[60:] + good, 2),
        "invalid UTF-8.log": (
            b"\xff\xfe\xc3\x28 " + good + good.rstrip(b"\n") + b"\xff\n" + good,
            3,
        ),
        "CRLF.log": (good.replace(b"\n", b"\r\n") * 3, 3),
        "empty.log": (b"", 0),
        "unknown dates.log": (
            b"Feb 30 11:57:45 mx postfix/smtpd[9]: warning: unknown[198.51.100.8]: SASL PLAIN authentication failed: x\n"
            b"9999-99-99T99:99:99Z mx postfix/smtpd[9]: x\n"
            b"2026-02-29T11:57:45+25:99 mx postfix/smtpd[9]: x\n"
            b"<999999>1 - - - - - -\n@4000000000000000ffffffff x\n@ffffffffffffffffffffffff mx postfix/smtpd[1]: x\n"
            b"99999999999 mx postfix/smtpd[99999999999999]: x\n" + good,
            2,  # the Feb 30 failure counts too, without a time
        ),
        "journal oddities.log": (
            b'{"MESSAGE": 5}\n{"MESSAGE": [1,2,300]}\n[1,2]\n{"MESSAGE":"x", "__REALTIME_TIMESTAMP":"99999999999999999999999"}\n'
            b'{"MESSAGE":"x", "_PID":"99999999999999999999"}\n{"MESSAGE":'
            + b"[" * 100_000
            + b"\n"
            + good,
            1,
        ),
        "truncated.log.gz": (
            _cut(gzip.compress(_junk(50_000).hex().encode() + b"\n" + good * 5000)),
            -1,
        ),
        "garbage.log.xz": (b"\xfd7zXZ\x00" + b"garbage" * 100, 0),
        "garbage.log.bz2": (b"BZh9" + b"garbage" * 100, 0),
        "long lines.log.gz": (gzip.compress(b"x" * (1 << 20) + b"\n" + good), 1),
        "good then bad bz2.log.bz2": (bz2.compress(good * 10) + b"garbage", 10),
    }
    out = {}
    for name, (data, count) in made.items():
        path = tmp / name
        path.write_bytes(data)
        out[name] = (path, count)
    return out


def _names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return list(_inputs(Path(tmp)))


NAMES = _names()
GAVE_NOTHING = frozenset({"truncated.log.gz", "garbage.log.xz", "garbage.log.bz2"})
"""Archives damaged before their first line ends (the truncated one is cut inside its
first, long line): named, they gave not a line, and the command exits 1 (README)."""


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("command", ["events", "analyze", "explain"])
def test_bad_input_is_skipped_and_counted_never_a_traceback(
    tmp_path: Path, name: str, command: str
) -> None:
    path, good = _inputs(tmp_path)[name]
    done = mailwarden(command, path, timeout=300)
    assert done.returncode == (1 if name in GAVE_NOTHING else 0), done.stderr
    if name in GAVE_NOTHING:
        assert "not a line could be read from it" in done.stderr
    assert "Traceback" not in done.stderr
    for line in done.stderr.splitlines():
        assert line.startswith("mailwarden: "), line
    if good > 0:
        found = [e for e in events_of(path) if e["type"] == "auth_failure"]
        assert len(found) == good
    elif good < 0:  # a truncated archive: the lines before the damage, and a warning
        assert "truncated" in done.stderr or "corrupt" in done.stderr


@pytest.mark.parametrize("command", ["events", "explain", "analyze"])
def test_a_fifo_is_read_once_and_the_command_ends(tmp_path: Path, command: str) -> None:
    """``mailwarden analyze my.fifo`` opened the FIFO twice: the writer's lines went to
    a probe that threw them away, and the real read waited for ever."""
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("w") as out:
            out.write(GOOD + "\n")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    started = time.monotonic()
    done = mailwarden(command, fifo, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "198.51.100.7" in done.stdout
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("command", ["events", "analyze", "explain"])
@pytest.mark.parametrize("what", ["missing", "dangling symlink"])
def test_an_input_that_cannot_be_read_is_one_line_and_exit_1(
    tmp_path: Path, command: str, what: str
) -> None:
    path = tmp_path / "missing.log"
    if what == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere")
    done = mailwarden(command, path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailwarden: error: "), done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_directory_with_an_unreadable_file_reads_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(GOOD + "\n")
    (tmp_path / "b.log").write_text(GOOD + "\n")
    (tmp_path / "a.log").chmod(0)
    done = mailwarden("events", tmp_path)
    assert done.returncode in (0, 1)
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "value",
    [
        '"inf"',
        '"nan"',
        "inf",
        "nan",
        '"1e300"',
        "1e300",
        '"999999999d"',
        "99999999999999999999999999999",
    ],
)
def test_absurd_durations_are_a_config_error_not_a_crash(tmp_path: Path, value: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[sources]\nfiles = ["{tmp_path}/m.log"]\n[store]\npath = "{tmp_path}/db/m.db"\n'
        f'[enforce]\nbackend = "none"\n[policy]\nmax_ban_time = {value}\n',
        encoding="utf-8",
    )
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"mailwarden: error: {config}: policy.max_ban_time: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "option",
    [("--since", "999999999d"), ("--set", "fast_window=inf"), ("--set", "ban_escalation=nan")],
)
def test_absurd_analyze_options_are_a_usage_error(tmp_path: Path, option: tuple[str, str]) -> None:
    done = mailwarden("analyze", *option, "/dev/null")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["events", "explain"])
def test_a_reader_that_leaves_early_ends_quietly(tmp_path: Path, command: str) -> None:
    """`mailwarden events big.log | head -1`: exit status 141 (as `zcat` or `grep` cut
    short by SIGPIPE; every command, tests/cli/test_reader_leaves.py), nothing on
    stderr, and no process left behind."""
    import subprocess
    import sys

    line = (
        "Feb 23 11:57:45 mx postfix/smtpd[{pid}]: warning: unknown[203.0.113.{n}]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    )
    log = tmp_path / "big.log"
    log.write_text("".join(line.format(pid=1000 + n, n=n % 250) for n in range(40_000)))
    child = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", command, str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()
    child.stdout.close()  # the reader leaves while mailwarden still has lines to write
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "error" not in err
