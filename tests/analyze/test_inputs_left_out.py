"""Inputs analyze cannot use beside ones it can: a file that is no log (UTF-16, gzipped
twice) among logs or on standard input, and a file found in a directory that this user
may not read. Each is said, on standard error and in the JSON's problems, and the rest
is analysed; a file named on the command line that cannot be read is still an error."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from analyze_logs import Log, run_analyze

NOT_A_LOG = "its first lines are not log entries"


def attacks(t: float = 0, ip: str = "203.0.113.5") -> Log:
    log = Log()
    log.sasl_failures(t, ip, "erin@example.com", 6, every=1)
    return log


def ips(data: dict) -> list[str]:  # type: ignore[type-arg]
    return sorted(a["ip"] for a in data["attackers"])


def test_a_file_that_is_no_log_beside_a_log_is_said(tmp_path: Path) -> None:
    # Dovecot's log saved as UTF-16: the guesses in mail.log are found, and nothing
    # says dovecot.log was not read unless this does.
    attacks().write(tmp_path / "mail.log")
    (tmp_path / "dovecot.log").write_bytes(attacks(0, "198.51.100.9").text().encode("utf-16"))
    args = (tmp_path / "mail.log", tmp_path / "dovecot.log")
    result = run_analyze("--format", "json", *args)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert ips(data) == ["203.0.113.5"]
    (problem,) = data["problems"]
    assert problem.startswith(f"{tmp_path / 'dovecot.log'}: {NOT_A_LOG}")
    text = run_analyze(*args)
    (warning,) = text.stderr.splitlines()
    assert warning.startswith("mailwarden: warning: ") and "dovecot.log" in warning
    assert "could not read everything" in text.stdout


def test_a_rotated_file_gzipped_twice_is_said(tmp_path: Path) -> None:
    old = attacks(0, "198.51.100.9")
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress(gzip.compress(old.text().encode())))
    attacks(10_000).write(tmp_path / "mail.log")
    for args in ((tmp_path,), (tmp_path / "mail.log.1.gz", tmp_path / "mail.log")):
        result = run_analyze("--format", "json", *args)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert ips(data) == ["203.0.113.5"]
        (problem,) = data["problems"]
        assert problem.startswith(f"{tmp_path / 'mail.log.1.gz'}: {NOT_A_LOG}")


def test_standard_input_that_is_no_log_is_said(tmp_path: Path) -> None:
    utf16 = tmp_path / "mail.utf16"
    utf16.write_bytes(attacks().text().encode("utf-16"))
    for fmt in ("text", "json"):
        with utf16.open("rb") as stdin:
            result = subprocess.run(
                [sys.executable, "-m", "mailwarden", "analyze", "-q", "--format", fmt, "-"],
                stdin=stdin,
                capture_output=True,
                text=True,
                check=False,
            )
        assert result.returncode == 0, result.stderr
        (warning,) = result.stderr.splitlines()
        assert warning == (
            f"mailwarden: warning: standard input: {NOT_A_LOG} (another format? UTF-16? "
            "compressed twice?): nothing in it was analysed"
        )
    assert json.loads(result.stdout)["problems"] == [warning.split("warning: ", 1)[1]]


def test_other_files_of_a_directory_are_not_called_logs_that_failed(tmp_path: Path) -> None:
    # /var/log holds wtmp and lastlog beside mail.log: not mail logs, and not said to be.
    attacks().write(tmp_path / "mail.log")
    (tmp_path / "wtmp").write_bytes(bytes(range(256)) * 64)
    result = run_analyze("--format", "json", tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert ips(data) == ["203.0.113.5"] and data["problems"] == []


def test_a_log_that_starts_with_other_text_is_analysed_without_a_word(tmp_path: Path) -> None:
    # Its first 64 KiB are notes, not log entries; its attacks after them are found, so
    # it is not said to be no log, read in the process or (large) by the worker.
    from mailwarden.scan import streams_of
    from mailwarden.scanpool import MIN_BYTES, two_cores, worth_a_worker

    notes = "these notes are not log entries, the log follows them\n" * 2000
    small = tmp_path / "small" / "mail.log"
    small.parent.mkdir()
    small.write_text(notes + attacks().text())
    large = tmp_path / "large" / "mail.log"
    large.parent.mkdir()
    quiet = Log()
    quiet.quiet_traffic(100, 100)
    with large.open("w") as out:
        out.write(notes + attacks().text())
        for _ in range(MIN_BYTES // len(quiet.text()) + 1):
            out.write(quiet.text())
    (large.parent / "dovecot.log").write_bytes(attacks(0, "198.51.100.9").text().encode("utf-16"))
    assert not two_cores() or worth_a_worker(streams_of([str(large)]))
    result = run_analyze("--format", "json", small)
    assert result.returncode == 0 and result.stderr == ""
    assert ips(json.loads(result.stdout)) == ["203.0.113.5"]
    result = run_analyze("--format", "json", large, large.parent / "dovecot.log")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert ips(data) == ["203.0.113.5"]
    (problem,) = data["problems"]  # the UTF-16 file only
    assert problem.startswith(f"{large.parent / 'dovecot.log'}: {NOT_A_LOG}")


# -- a file found in a directory that cannot be read --------------------------------------


def _cannot_read(path: Path) -> list[str]:
    """Make ``path`` unreadable to the command run behind the prefix returned: root
    without its capability to read any file (setpriv), or this user after chmod 0."""
    if os.geteuid() != 0:
        path.chmod(0)
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to read as root without CAP_DAC_OVERRIDE")
    os.chown(path, 65534, 65534)
    path.chmod(0o600)
    caps = "-dac_override,-dac_read_search"
    prefix = ["setpriv", "--bounding-set", caps, "--inh-caps", caps, "--"]
    probe = subprocess.run([*prefix, "cat", str(path)], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("setpriv could not take away the capability to read any file")
    return prefix


def _mailwarden(prefix: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "mailwarden", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_unreadable_file_found_in_a_directory_is_skipped_and_said(tmp_path: Path) -> None:
    # analyze /var/log/ as an admin outside the root group: btmp is 0660 root:utmp.
    logs = tmp_path / "log"
    logs.mkdir()
    attacks().write(logs / "mail.log")
    (logs / "btmp").write_bytes(b"")
    prefix = _cannot_read(logs / "btmp")
    skipped = (
        "1 file found in a directory or by a pattern cannot be read and was skipped: "
        f"{logs / 'btmp'} (Permission denied)"
    )

    result = _mailwarden(prefix, "analyze", "-q", "--format", "json", logs)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert ips(data) == ["203.0.113.5"] and data["stats"]["files"] == 1
    assert data["problems"] == [skipped]
    assert result.stderr == f"mailwarden: warning: {skipped}\n"
    text = _mailwarden(prefix, "analyze", "-q", f"{logs}/*")  # a pattern analyze expands
    assert text.returncode == 0 and text.stderr == f"mailwarden: warning: {skipped}\n"
    assert "203.0.113.5" in text.stdout and "could not read everything" in text.stdout
    for command in ("events", "explain"):
        done = _mailwarden(prefix, command, logs)
        assert done.returncode == 0, done.stderr
        assert "203.0.113.5" in done.stdout
        assert f"mailwarden: warning: {skipped}\n" in done.stderr

    # Named, it is an error still: nothing is analysed without it.
    named = _mailwarden(prefix, "analyze", "-q", logs / "mail.log", logs / "btmp")
    assert (named.returncode, named.stdout) == (1, "")
    assert named.stderr == f"mailwarden: error: {logs / 'btmp'}: permission denied\n"
    # So is a directory none of whose files can be read.
    (logs / "mail.log").unlink()
    alone = _mailwarden(prefix, "analyze", "-q", logs)
    assert alone.returncode == 1 and "permission denied" in alone.stderr
