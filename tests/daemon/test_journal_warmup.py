"""The journal's warm-up against Debian's real journalctl, on a journal file built with
systemd-journal-remote from entries as journald stores Postfix's: the entries of the
window before the stored cursor, that one included, at most the last `limit`, the mail
system's only, in order."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailwarden.daemon.journal import JournalTrust, cursor_time, warmup

REMOTE = Path("/usr/lib/systemd/systemd-journal-remote")
START = 1_795_000_000  # seconds since the epoch of the first entry


def exported(n: int, when: datetime, message: str, uid: int = 0, pids: int = 1200) -> bytes:
    """Entry ``n``, logged at ``when`` by uid ``uid`` (process ``pids + n``), in journald's
    export format, as journald stores Postfix's."""
    fields = {
        "__REALTIME_TIMESTAMP": str(int(when.timestamp() * 1_000_000)),
        "__MONOTONIC_TIMESTAMP": str(n * 1_000_000 + 1),
        "_BOOT_ID": "0123456789abcdef0123456789abcdef",
        "_HOSTNAME": "mx",
        "_UID": str(uid),
        "_GID": str(uid),
        "_TRANSPORT": "syslog",
        "_PID": str(pids + n),
        "SYSLOG_FACILITY": "2",
        "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
        "MESSAGE": message,
    }
    return b"".join(f"{key}={value}\n".encode() for key, value in fields.items()) + b"\n"


def export_entry(n: int, uid: int = 0) -> bytes:
    """Entry ``n`` (``n`` seconds after `START`) in journald's export format."""
    message = (
        f"warning: unknown[203.0.113.7]: SASL PLAIN authentication failed: sasl_username=user{n}"
    )
    return exported(n, datetime.fromtimestamp(START + n, UTC), message, uid)


def journalctl_reading(export: bytes, journal: Path, wrapper: Path) -> None:
    """The entries ``export`` made the journal file ``journal`` (by
    systemd-journal-remote), and ``wrapper`` a journalctl that reads it; the test skipped
    without Debian's journalctl and systemd-journal-remote."""
    journalctl = shutil.which("journalctl")
    if journalctl is None or not REMOTE.exists():
        pytest.skip("needs journalctl and systemd-journal-remote (Debian packages)")
    subprocess.run([str(REMOTE), f"--output={journal}", "-"], input=export, check=True)
    wrapper.write_text(f'#!/bin/sh\nexec {journalctl} --file={journal} "$@"\n')
    wrapper.chmod(0o755)


@pytest.fixture
def journal(tmp_path: Path) -> tuple[str, list[str]]:
    """A journalctl that reads a journal file of 12 entries a second apart (entries 3
    and 8 written by uid 1000), and the entries' cursors."""
    export = b"".join(export_entry(n, 1000 if n in (3, 8) else 0) for n in range(12))
    wrapper = tmp_path / "journalctl"
    journalctl_reading(export, tmp_path / "mail.journal", wrapper)
    listed = subprocess.run(
        [str(wrapper), "--output=json", "--no-pager"], capture_output=True, check=True
    ).stdout
    cursors = [json.loads(line)["__CURSOR"] for line in listed.splitlines()]
    assert len(cursors) == 12
    return str(wrapper), cursors


def warmed(journalctl: str, cursor: str, window: timedelta, limit: int = 1000) -> list[str]:
    """The MESSAGE of each entry the warm-up gives."""
    trust = JournalTrust.for_users(["postfix"])
    chunks = warmup(cursor, window, trust, journalctl=journalctl, limit=limit)
    data = b"".join(chunk.data for chunk in chunks)
    return [json.loads(line)["MESSAGE"].rsplit("=", 1)[1] for line in data.splitlines()]


def test_the_window_before_the_cursor_with_it_and_the_mail_systems_entries_only(
    journal: tuple[str, list[str]],
) -> None:
    journalctl, cursors = journal
    assert cursor_time(cursors[9]) is not None
    # Entry 9's window of 5 s: entries 4 to 9; 8 was written by uid 1000.
    got = warmed(journalctl, cursors[9], timedelta(seconds=5))
    assert got == ["user4", "user5", "user6", "user7", "user9"]
    # Never past the cursor: entries 10 and 11 are the follower's.
    assert warmed(journalctl, cursors[2], timedelta(days=1)) == ["user0", "user1", "user2"]


def test_at_most_the_last_entries_of_the_window(journal: tuple[str, list[str]]) -> None:
    journalctl, cursors = journal
    assert warmed(journalctl, cursors[11], timedelta(days=1), limit=4) == [
        "user9",
        "user10",
        "user11",
    ]  # entries 8 to 11, 8 written by uid 1000


def test_a_cursor_without_a_time_or_a_journalctl_that_fails_give_nothing(
    journal: tuple[str, list[str]], tmp_path: Path
) -> None:
    journalctl, cursors = journal
    assert warmed(journalctl, "s=abc;i=1", timedelta(days=1)) == []
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'No journal files were found.' >&2\nexit 1\n")
    failing.chmod(0o755)
    assert warmed(str(failing), cursors[5], timedelta(days=1)) == []
