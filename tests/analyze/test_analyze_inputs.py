# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What `mailwarden analyze` reads: rotated and compressed sets, damage, stdin, the journal,
time windows; and how it fails."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from analyze_logs import Log, run_analyze, sorted_lines, stamp, write_gzip


def failures_of(data: dict, ip: str) -> int:  # type: ignore[type-arg]
    return next(a["failures"] for a in data["attackers"] if a["ip"] == ip)


def test_a_rotated_set_is_read_oldest_first_across_compressions(tmp_path: Path) -> None:
    # Guesses in the oldest file, the login in the live one: a compromise only if the
    # files are read in time order.
    old, middle, live = Log(), Log(), Log()
    old.sasl_failures(0, "203.0.113.5", "erin@example.com", 4)
    middle.quiet_traffic(100, 2)
    live.submission_login(300, "203.0.113.5", "erin@example.com")
    (tmp_path / "mail.log.3.xz").write_bytes(lzma.compress(old.text().encode()))
    (tmp_path / "mail.log.2.bz2").write_bytes(bz2.compress(middle.text().encode()))
    live.write(tmp_path / "mail.log")
    (tmp_path / "mail.log.1").write_text("")
    result = run_analyze("--format", "json", tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["user"] for c in data["compromised"]] == ["erin@example.com"]
    assert data["stats"]["files"] == 4


def test_a_truncated_gzip_is_reported_and_the_lines_before_the_damage_count(
    tmp_path: Path,
) -> None:
    damaged = Log()
    damaged.sasl_failures(0, "198.51.100.9", "root", 6, every=1)
    damaged.quiet_traffic(100, 400)  # enough text that the cut falls far after the guesses
    text = damaged.text()
    write_gzip(
        tmp_path / "mail.log.2.gz",
        text,
        truncate_to=len(__import__("gzip").compress(text.encode())) // 2,
    )
    live = Log()
    live.sasl_failures(50_000, "198.51.100.9", "root", 2, every=1)
    live.write(tmp_path / "mail.log")
    result = run_analyze("--format", "json", tmp_path / "mail.log.2.gz", tmp_path / "mail.log")
    assert result.returncode == 0
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and "mail.log.2.gz" in warnings[0] and "truncated" in warnings[0]
    data = json.loads(result.stdout)
    assert failures_of(data, "198.51.100.9") == 8  # 6 before the damage, 2 in mail.log
    assert len(data["problems"]) == 1
    text_report = run_analyze(tmp_path / "mail.log.2.gz", tmp_path / "mail.log").stdout
    assert "could not read everything" in text_report and "truncated" in text_report


def test_standard_input(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, "192.0.2.33", "admin@example.com", 4)
    result = run_analyze("--format", "json", "-", stdin=log.text())
    assert result.returncode == 0, result.stderr
    assert failures_of(json.loads(result.stdout), "192.0.2.33") == 4


def test_since_and_until_keep_only_their_window(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, "192.0.2.40", "root", 4)  # 09:00
    log.sasl_failures(7200, "192.0.2.41", "root", 4)  # 11:00
    log.sasl_failures(14400, "192.0.2.42", "root", 4)  # 13:00
    path = log.write(tmp_path / "mail.log")
    args = ("--format", "json", "--year", "2026", "--timezone", "UTC")
    data = json.loads(
        run_analyze(
            *args, "--since", "2026-02-23 10:00", "--until", "2026-02-23T12:00:00Z", path
        ).stdout
    )
    assert [a["ip"] for a in data["attackers"]] == ["192.0.2.41"]
    whole_day = json.loads(run_analyze(*args, "--until", "2026-02-23", path).stdout)
    assert len(whole_day["attackers"]) == 3


def set_mtime(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_archives_last_written_a_day_before_since_are_not_opened(tmp_path: Path) -> None:
    # A year of archives and --since: only the files written since are decompressed.
    # The oldest is damaged: opened, it would be reported.
    old, recent, live = Log(), Log(), Log()
    old.sasl_failures(0, "192.0.2.50", "root", 6)
    recent.sasl_failures(86_400, "192.0.2.51", "root", 6)
    live.sasl_failures(2 * 86_400, "192.0.2.52", "root", 6)
    text = old.text().encode()
    (tmp_path / "mail.log.2.gz").write_bytes(gzip.compress(text)[:40])
    write_gzip(tmp_path / "mail.log.1.gz", recent.text())
    live.write(tmp_path / "mail.log")
    day = datetime(2026, 2, 23, 23, 59, tzinfo=UTC)  # T0's day, 09:00 the first guess
    set_mtime(tmp_path / "mail.log.2.gz", day)
    set_mtime(tmp_path / "mail.log.1.gz", day + timedelta(days=1))
    set_mtime(tmp_path / "mail.log", day + timedelta(days=2))
    # --since looks back stale_window (30 days by default) for the owners' logins: a
    # minute here, so that the archive of two days before is not needed.
    short = ("--set", "policy.stale_window=1m")
    args = ("--year", "2026", "--timezone", "UTC", tmp_path)

    result = run_analyze("--format", "json", "--since", "2026-02-25 08:00", *short, *args)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    # mail.log.1.gz was written 8 hours before --since, within the day's slack: read.
    assert data["stats"]["files"] == 2 and data["stats"]["files_before_since"] == 1
    assert data["looked_back"] == [] and data["stats"]["files_looked_back"] == 0
    assert [a["ip"] for a in data["attackers"]] == ["192.0.2.52"]

    text_report = run_analyze("--since", "2026-02-25 08:00", *short, *args).stdout
    assert "1 file last written more than a day before --since not opened." in " ".join(
        text_report.split()
    )

    # With the default look-back, the archive is read for the owners' logins, and the
    # report says so rather than "not opened".
    result = run_analyze("--format", "json", "--since", "2026-02-25 08:00", *args)
    data = json.loads(result.stdout)
    assert data["stats"]["files_before_since"] == 0 and data["not_opened"] == []
    assert data["looked_back"] == [str(tmp_path / "mail.log.2.gz")]
    assert [a["ip"] for a in data["attackers"]] == ["192.0.2.52"]
    text_report = run_analyze("--since", "2026-02-25 08:00", *args).stdout
    said = " ".join(text_report.split())
    assert "1 file written before --since read only for the owners' logins." in said
    assert "not opened" not in said
    # Without --since, every file is opened and the damage is said.
    whole = run_analyze("--format", "json", *args)
    assert "mail.log.2.gz" in whole.stderr and json.loads(whole.stdout)["stats"]["files"] == 3


@pytest.mark.parametrize("merged", [False, True], ids=["one-set", "merged-with-dovecot-log"])
def test_newer_files_are_not_opened_once_one_ends_a_day_past_until(
    tmp_path: Path, merged: bool
) -> None:
    # An old incident in a year of logs: the files newer than one that ends a day past
    # --until are not opened. The newest is damaged: opened, it would be reported.
    old, middle = Log(), Log()
    old.sasl_failures(0, "192.0.2.70", "root", 6)  # Feb 23
    middle.sasl_failures(86_400, "192.0.2.71", "root", 6)  # Feb 24, inside --until
    middle.quiet_traffic(3 * 86_400, 20)  # Feb 26: more than a day past --until
    write_gzip(tmp_path / "mail.log.2.gz", old.text())
    middle.write(tmp_path / "mail.log.1")
    (tmp_path / "mail.log").write_bytes(gzip.compress(old.text().encode())[:60])
    if merged:
        dovecot = Log()
        dovecot.imap_failures(3600, "192.0.2.72", "carol", 6, "sess1")
        dovecot.write(tmp_path / "dovecot.log")
    args = ("--year", "2026", "--timezone", "UTC", "--format", "json")

    result = run_analyze(*args, "--until", "2026-02-24 23:00", tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    assert data["stats"]["files_after_until"] == 1
    expected = ["192.0.2.70", "192.0.2.71"] + (["192.0.2.72"] if merged else [])
    assert sorted(a["ip"] for a in data["attackers"]) == expected
    # An --until a day later: mail.log.1 ends within a day of it, so mail.log is read.
    later = run_analyze(*args, "--until", "2026-02-25 23:00", tmp_path)
    assert "truncated gzip" in later.stderr
    assert json.loads(later.stdout)["stats"]["files_after_until"] == 0


def test_separate_postfix_and_dovecot_logs_are_merged_by_time(tmp_path: Path) -> None:
    dovecot, postfix = Log(), Log()
    dovecot.imap_failures(0, "203.0.113.88", "frank@example.com", 3, "D1")
    dovecot.imap_failures(20, "203.0.113.88", "frank@example.com", 3, "D2")
    postfix.quiet_traffic(0, 3)
    postfix.submission_login(200, "203.0.113.88", "frank@example.com")
    postfix.write(tmp_path / "mail.log")
    dovecot.write(tmp_path / "dovecot.log")
    # mail.log is named first, yet the guesses in dovecot.log came before the login.
    result = run_analyze("--format", "json", tmp_path / "mail.log", tmp_path / "dovecot.log")
    data = json.loads(result.stdout)
    assert [(c["user"], c["ip"]) for c in data["compromised"]] == [
        ("frank@example.com", "203.0.113.88")
    ]


def test_the_journal_through_journalctl(tmp_path: Path) -> None:
    entries = [
        {
            "__REALTIME_TIMESTAMP": str(1771837200_000000 + n * 1_000_000),
            "__CURSOR": f"s=1;i={n}",
            "_HOSTNAME": "mx",
            "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
            "_PID": "4242",
            "MESSAGE": "warning: unknown[203.0.113.44]: SASL LOGIN authentication failed: authentication failure, sasl_username=admin@example.com",
        }
        for n in range(4)
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    args_file = tmp_path / "args"
    body = "\n".join(json.dumps(e) for e in entries)
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {args_file}\ncat <<'EOF'\n{body}\nEOF\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = run_analyze("--format", "json", "--journal", "--since", "2026-01-01", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert failures_of(data, "203.0.113.44") == 4
    assert data["inputs"] == ["journal"]
    assert "--output=json" in args_file.read_text() and "--since=@" in args_file.read_text()


def test_an_empty_journal_is_said_with_what_to_check(tmp_path: Path) -> None:
    # journalctl prints nothing: no journald, Postfix logging elsewhere, or a user
    # without the right to read it. "Read 0 lines from the journal" alone says little.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = run_analyze("--journal", "--since", "2026-01-01", env=env)
    assert result.returncode == 0
    assert "Read 0 lines from the journal" in result.stdout
    assert result.stderr.startswith(
        "mailwarden: warning: the journal gave no mail entry in --since 2026-01-01"
    )
    assert "journalctl -u 'postfix*'" in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_input_is_one_line_on_stderr_and_exit_1(tmp_path: Path) -> None:
    result = run_analyze(tmp_path / "nope.log")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope.log" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_input_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "secret.log"
    path.write_text(f"{stamp(0)} mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n")
    path.chmod(0)
    result = run_analyze(path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "permission denied" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "xml"),
        ("--since", "last tuesday"),
        ("--set", "policy.no_such_key=1"),
        ("--set", "enforce.backend=ipset"),
        ("--allow", "not-a-network"),
        ("--config", "/nonexistent/mailwarden.toml"),
        ("--since", "2026-02-24", "--until", "2026-02-23"),
        ("--since", "0001-01-01"),
        ("--until", "0001-01-01T00:00"),
        ("--journal-match", "_SYSTEMD_UNIT=postfix.service"),
        ("--since", ""),  # an empty value (a variable not set) is no window: say so
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = tmp_path / "mail.log"
    path.write_text("")
    result = run_analyze(*args, path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_no_input_on_a_terminal_is_a_usage_error() -> None:
    # Standard input is not a terminal here, so reading it (empty) is the right thing.
    result = run_analyze("--format", "json", stdin="")
    assert result.returncode == 0
    assert json.loads(result.stdout)["stats"]["lines_read"] == 0


def test_help_has_examples() -> None:
    result = run_analyze("--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout and "mailwarden analyze /var/log/mail.log*" in result.stdout


def test_lines_that_both_mail_log_and_syslog_hold_count_once(tmp_path: Path) -> None:
    # rsyslog on Debian writes every mail line to mail.log and to syslog: `analyze
    # /var/log/` must not see mike's one typo twice (then a "compromise"), nor two
    # failures where the log holds one.
    log = Log()
    log.sasl_failures(0, "198.51.100.77", "mike@example.com", 1)
    log.submission_login(20, "198.51.100.77", "mike@example.com")
    log.sasl_failures(100, "203.0.113.77", "admin@example.com", 2, every=1)
    log.write(tmp_path / "mail.log")
    syslog = [f"{stamp(n * 30)} mx systemd[1]: Started session {n}." for n in range(6)]
    (tmp_path / "syslog").write_text("\n".join(sorted_lines(syslog + log.lines)) + "\n")
    alone = json.loads(run_analyze("--format", "json", tmp_path / "mail.log").stdout)
    result = run_analyze("--format", "json", tmp_path)
    assert result.returncode == 0, result.stderr
    both = json.loads(result.stdout)
    assert both["attackers"] == alone["attackers"]
    assert both["compromised"] == alone["compromised"] == []
    assert both["stats"]["lines_duplicate"] > 0
    text = run_analyze(tmp_path).stdout
    assert text.startswith("Nobody got in")
    assert "also in another input" in " ".join(text.split())


def test_a_line_one_input_holds_twice_still_counts_twice(tmp_path: Path) -> None:
    # Two identical failures in one second (one session, Postfix logs no counter) are two
    # guesses; a copy of them in syslog adds none.
    line = f"{stamp(5)} mx postfix/submission/smtpd[4242]: warning: unknown[203.0.113.78]: SASL LOGIN authentication failed: authentication failure, sasl_username=root"
    connect = f"{stamp(4)} mx postfix/submission/smtpd[4242]: connect from unknown[203.0.113.78]"
    (tmp_path / "mail.log").write_text("\n".join([connect, line, line]) + "\n")
    (tmp_path / "syslog").write_text("\n".join([connect, line]) + "\n")
    result = run_analyze("--format", "json", "--set", "fast_failures=2", tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert failures_of(data, "203.0.113.78") == 2
    assert data["stats"]["lines_duplicate"] == 1  # the connect line is never kept


def test_a_file_that_is_no_log_is_not_reported_as_free_of_attacks(tmp_path: Path) -> None:
    # A mail log saved as UTF-16, or gzipped twice: "No attack found" alone would be a
    # false comfort. The warning names the file; a real log without attacks gets none.
    log = Log()
    log.sasl_failures(0, "203.0.113.5", "erin@example.com", 6, every=1)
    (tmp_path / "utf16.log").write_bytes(log.text().encode("utf-16"))
    (tmp_path / "twice.log.gz").write_bytes(gzip.compress(gzip.compress(log.text().encode())))
    quiet = Log()
    quiet.quiet_traffic(0, 5)
    quiet.write(tmp_path / "quiet.log")
    for name in ("utf16.log", "twice.log.gz"):
        result = run_analyze(tmp_path / name)
        assert result.returncode == 0
        warnings = result.stderr.strip().splitlines()
        assert len(warnings) == 1 and name in warnings[0] and "not log entries" in warnings[0]
    result = run_analyze(tmp_path / "quiet.log")
    assert result.stderr == "" and "No attack found" in result.stdout


def test_a_time_range_that_leaves_everything_out_says_so() -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    logs = sorted(str(p) for p in samples.glob("mail.log*"))
    done = run_analyze("--year", "2026", "--until", "2026-01-01", "--timezone", "UTC", *logs)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No attack found")
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("mailwarden: warning: Nothing inside --until 2026-01-01 23:59 UTC")
    assert "lie outside it (2 newer files not opened)" in warning
    # The all-clear covers only the range: said under the headline, and in the JSON.
    assert "Nothing inside --until 2026-01-01 23:59 UTC could change" in done.stdout
    dated = (
        "--year",
        "2026",
    )  # the samples' lines say no year; their files' dates are a checkout's
    document = json.loads(
        run_analyze(*dated, "--format", "json", "--until", "2026-01-01", *logs).stdout
    )
    assert document["notes"][0].startswith("Nothing inside --until")
    # A range with the attacks in it says nothing of the kind.
    inside = run_analyze(*dated, "--since", "2026-03-10", "--until", "2026-03-10T12:00", *logs)
    assert inside.stderr == "" and "guessed passwords" in inside.stdout


def test_inputs_all_written_before_since_say_so(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, "192.0.2.60", "root", 6)
    path = log.write(tmp_path / "mail.log")
    set_mtime(path, datetime(2026, 2, 24, tzinfo=UTC))
    done = run_analyze("--year", "2026", "--since", "2027-01-01", "--timezone", "UTC", path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No attack found")
    assert "Opened no file. 1 file last written more than a day before --since not opened." in (
        " ".join(done.stdout.split())
    )
    assert done.stderr == (
        "mailwarden: warning: every input was last written more than a day before "
        "--since 2027-01-01 00:00 UTC: none was opened\n"
    )


def test_an_empty_directory_is_an_error_as_a_pattern_matching_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "logs"
    empty.mkdir()
    (empty / ".hidden").write_text("not read\n")
    result = run_analyze(empty)
    assert result.returncode == 1 and "No attack found" not in result.stdout
    assert result.stderr == f"mailwarden: error: {empty}: no file in this directory\n"


def test_lines_skipped_as_junk_are_said_in_the_text_report(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, "192.0.2.60", "root", 12)
    path = tmp_path / "mail.log"
    # Junk that the prefilter keeps (it names a failed login); other junk is not read.
    failed = b"Feb 23 08:00:00 mx postfix/smtpd[9]: warning: SASL authentication failed: "
    junk = failed + b"x" * (70 << 10) + b"\n" + failed + b"\0\0\1\n"
    path.write_bytes(junk + log.text().encode())
    text = " ".join(run_analyze(path).stdout.split())
    assert "2 lines skipped: binary, or longer than 64 KiB." in text
    assert "192.0.2.60" in text


def test_standard_input_is_named_as_such(tmp_path: Path) -> None:
    log = Log()
    log.sasl_failures(0, "192.0.2.61", "root", 12)
    out = run_analyze("-", stdin=log.text()).stdout
    assert "lines from standard input in" in " ".join(out.split())


def test_inputs_all_written_within_the_look_back_say_they_were_read_for_it(
    tmp_path: Path,
) -> None:
    # Written ten days before --since: read for the owners' logins of the 30 days
    # before it, nothing of the window; not "none was opened".
    log = Log()
    log.sasl_failures(0, "192.0.2.60", "root", 6)
    path = log.write(tmp_path / "mail.log")
    set_mtime(path, datetime(2026, 2, 24, tzinfo=UTC))
    done = run_analyze("--year", "2026", "--since", "2026-03-06", "--timezone", "UTC", path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No attack found")
    said = " ".join(done.stdout.split())
    assert "1 file written before --since read only for the owners' logins." in said
    assert "not opened" not in said and "Opened no file" not in said
    assert done.stderr == (
        "mailwarden: warning: every input was last written more than a day before "
        "--since 2026-03-06 00:00 UTC: read only for the owners' logins before it\n"
    )


def test_a_fifo_among_the_files_of_a_pattern_does_not_hang(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(
        "Feb 23 11:57:45 mx postfix/smtpd[1]: warning: unknown[203.0.113.5]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    )
    os.mkfifo(tmp_path / "mail.pipe")
    result = subprocess.run(
        [sys.executable, "-m", "mailwarden", "analyze", "--format", "json", f"{tmp_path}/*"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stats"]["lines_read"] == 1
    assert any("mail.pipe (not a regular file" in problem for problem in data["problems"])
