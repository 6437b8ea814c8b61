"""`mailwarden … | head -1`: a reader that closes the pipe before the command is done.

Every command that writes to standard output ends the same way then, as the commands a
shell user pipes into `head` every day (`zcat`, `grep`, `seq`): nothing on standard
error (no traceback, no "Exception ignored … BrokenPipeError") and exit status 141, the
status a shell shows for a command SIGPIPE ended. Each run writes far more than a pipe
holds (64 KiB), so the command is still writing when the reader leaves.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from configfile import write_config
from mailwarden.model import BanEntry
from mailwarden.store.sqlite import SqliteStore

READER_LEFT = 141


def read_one_line(*args: str) -> tuple[int, bytes, str]:
    """Run ``mailwarden ARGS | head -1``; return (exit status, the line read, stderr)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    line = child.stdout.readline()
    child.stdout.close()  # the reader leaves while mailwarden still has lines to write
    err = child.stderr.read().decode()
    return child.wait(timeout=120), line, err


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 failed logins from 250 IPv4 and 20,000 IPv6 clients."""
    line = (
        "Feb 23 11:57:45 mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    )
    log = tmp_path_factory.mktemp("logs") / "big.log"
    log.write_text(
        "".join(
            line.format(pid=1000 + n, ip=f"203.0.113.{n % 250}" if n % 2 else f"2001:db8::{n:x}")
            for n in range(40_000)
        )
    )
    return log


@pytest.fixture(scope="module")
def long_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Postfix directory whose debug_peer_list is long: the audit quotes it (130 KB)."""
    directory = tmp_path_factory.mktemp("postfix")
    sample = Path(__file__).parents[2] / "samples" / "postfix-user-server"
    peers = ", ".join(f"198.51.100.{n % 250}" for n in range(8_000))
    main_cf = (sample / "main.cf").read_text() + f"debug_peer_list = {peers}\n"
    (directory / "main.cf").write_text(main_cf)
    (directory / "master.cf").write_text((sample / "master.cf").read_text())
    return directory


@pytest.fixture(scope="module")
def many_bans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with 2,000 active bans, and the configuration that names it."""
    tmp = tmp_path_factory.mktemp("daemon")
    store = tmp / "state.db"
    with SqliteStore(store) as opened:
        for n in range(2_000):
            network = ipaddress.ip_network(f"2001:db8::{n:x}/128")
            entry = BanEntry(network, datetime.now(UTC) + timedelta(days=1), "guessed passwords")
            opened.record_ban(entry, f"{n} failed logins")
    sections = {
        "sources": {"files": [str(tmp / "mail.log")]},
        "store": {"path": str(store)},
        "enforce": {"backend": "none"},
    }
    return write_config(tmp / "mailwarden.toml", sections)


LOG_COMMANDS = [
    ("events",),
    ("events", "--format", "jsonl"),
    ("explain",),
    ("analyze", "-q", "--limit", "0"),
    ("analyze", "-q", "--format", "json"),
]


@pytest.mark.parametrize("command", LOG_COMMANDS, ids=" ".join)
def test_a_log_command_cut_short_exits_141_in_silence(big_log: Path, command: tuple[str, ...]):
    status, line, err = read_one_line(*command, str(big_log))
    assert line.strip()
    assert (status, err) == (READER_LEFT, "")


@pytest.mark.parametrize("output", ["text", "json"])
def test_an_audit_cut_short_exits_141_not_its_findings_status(long_audit: Path, output: str):
    """Not 3 (a finding of high severity) nor 0 (none): the report was not read in full.
    With ``set -o pipefail`` a monitoring script alerts on it, as on any status but 0."""
    args = ("audit", "--read-files", "--postfix-dir", str(long_audit), "--format", output)
    status, line, err = read_one_line(*args)
    assert line.strip()
    assert (status, err) == (READER_LEFT, "")


@pytest.mark.parametrize("output", ["text", "json"])
def test_status_cut_short_exits_141_in_silence(many_bans: Path, output: str):
    status, line, err = read_one_line("status", "--config", str(many_bans), "--format", output)
    assert line.strip()
    assert (status, err) == (READER_LEFT, "")


def test_a_reader_that_reads_everything_sees_the_usual_status(long_audit: Path):
    """The pipe is not the reason: read to the end, the audit's own status (3) stands."""
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "audit", "--read-files", "--postfix-dir", long_audit],
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (3, b"")
    assert b"debug_peer_list" in done.stdout


def test_events_says_no_counts_to_a_reader_that_left():
    """`mailwarden events - | head -1` where the events fit in the pipe: the reader
    takes its line and leaves, then the input ends. Exit 141, and no "mailwarden: N
    lines, …" summary on standard error, which would read as a run that went to its end
    with someone there to read it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "events", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    line = (
        "Feb 23 11:57:45 mx postfix/smtpd[1]: warning: unknown[203.0.113.5]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    )
    child.stdin.write(line.encode() * 3)
    child.stdin.flush()
    assert b"auth_failure 203.0.113.5" in child.stdout.readline()  # written as read
    child.stdout.close()  # the reader leaves; every event is written already
    child.stdin.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == READER_LEFT
    assert err == ""


def test_events_counts_for_a_reader_that_read_everything(big_log: Path):
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", str(big_log)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr.decode().startswith("mailwarden: 40000 lines, 40000 entries")
