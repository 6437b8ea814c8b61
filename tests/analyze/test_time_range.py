# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`analyze --since` (files last written more than a day before it are not opened) and
`analyze --until` (the newer files of a rotated set are not opened once an older one
ends a day past it): the analysis must be the one the same range gives without them,
whenever what was spared could not hold an entry of the range.

Each comparison runs the same range on a copy of the input without what could be spared
(or with an mtime that keeps a file from being skipped without changing the year its
classic lines get) and compares attackers, compromised, credentials and findings. The
second part holds the cases a first version got wrong: standard input or a file whose
entries are not in time order (a file is always read to its end), per-host files taken
for a rotated set, and the counts the report gives."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import ROOT, T0, Log, load_module, run_analyze, write_gzip

DAY = 86_400
KEYS = ("attackers", "compromised", "credentials", "findings")
SHORT_LOOK_BACK = ("--set", "policy.stale_window=1m")
"""--since looks back stale_window (30 days) for the owners' logins, reading what it
spares otherwise (test_since_look_back.py): a minute, for the files spared here."""
UTC_ARGS = ("--timezone", "UTC", "--format", "json", *SHORT_LOOK_BACK)


def set_mtime(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def at(seconds: float) -> datetime:
    """The aware time of ``stamp(seconds)`` (T0 is in UTC for these tests)."""
    return (T0 + timedelta(seconds=seconds)).replace(tzinfo=UTC)


def analysed(*args: str | Path, stdin: str | None = None) -> tuple[dict[str, Any], str]:
    """`analyze --format json ARGS`: the report and standard error (exit status 0)."""
    result = run_analyze(*UTC_ARGS, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data, result.stderr


def core(data: dict[str, Any], folder: Path | None = None) -> str:
    """What the analysis concluded, with the folder of the inputs left out of evidence
    and credentials (the same files in two folders compare equal)."""
    text = json.dumps({key: data[key] for key in KEYS}, sort_keys=True)
    assert data["attackers"], "nothing to compare: no attacker found"
    return text.replace(f"{folder}/", "") if folder is not None else text


def ips(data: dict[str, Any]) -> list[str]:
    return sorted(attacker["ip"] for attacker in data["attackers"])


def of(*octets: int) -> list[str]:
    """The attackers of these `incident` calls (the client of the TLS dump is none)."""
    return sorted(f"{net}.{n}" for net in ("192.0.2", "203.0.113") for n in octets)


def incident(log: Log, t: float, octet: int) -> None:
    """Guessing that ends in a login (compromised), a password in a TLS dump (credential),
    a Dovecot brute force: each from its own address of 203.0.113.0/24."""
    log.sasl_failures(t, f"203.0.113.{octet}", f"user{octet}@example.com", 8)
    log.submission_login(t + 60, f"203.0.113.{octet}", f"user{octet}@example.com")
    log.tls_dump_auth(t + 120, f"198.51.100.{octet}", f"boss{octet}@example.com", "Secret1")
    log.imap_failures(t + 180, f"192.0.2.{octet}", f"carol{octet}@example.com", 8, f"S{octet}")


BULK = 1000
"""quiet_traffic(t, BULK) writes about 1.4 MB: more than a chunk (scan.CHUNK_SIZE)."""


def syslog_copy(lines: list[str]) -> list[str]:
    """What syslog holds beside mail.log: the same mail lines, and others between them."""
    out = []
    for n, line in enumerate(lines):
        out.append(line)
        if n % 3 == 0:
            out.append(
                f"{line[:15]} mx kernel: [{n}.000001] eth0: link is up, 1000 Mbps full duplex"
            )
    return out


def write(path: Path, lines: list[str], mtime: datetime) -> Path:
    if path.suffix == ".gz":
        write_gzip(path, "".join(line + "\n" for line in lines))
    else:
        path.write_text("".join(line + "\n" for line in lines))
    set_mtime(path, mtime)
    return path


# -- the same analysis as before, where nothing in the range was spared -------------------


def test_a_rotated_set_analyses_as_its_files_in_range_alone(tmp_path: Path) -> None:
    # Classic lines without a year: each file's year comes from its mtime, no --year.
    oldest, older, middle, live = Log(), Log(), Log(), Log()
    incident(oldest, -4 * DAY, 1)  # Feb 19: before --since; its file is not opened
    incident(older, 0, 2)  # Feb 23
    incident(middle, DAY, 3)  # Feb 24
    in_range = list(middle.lines)
    middle.quiet_traffic(4 * DAY, BULK)  # Feb 27: past --until by more than a day
    incident(middle, 5 * DAY, 4)
    incident(live, 6 * DAY, 5)
    for folder, whole in (("live", True), ("ref", False)):
        d = tmp_path / folder
        d.mkdir()
        if whole:
            write(d / "mail.log.3.gz", oldest.lines, at(-4 * DAY + 3600))
            write(d / "mail.log", live.lines, at(7 * DAY))
        write(d / "mail.log.2.gz", older.lines, at(DAY - 3600))
        write(d / "mail.log.1", middle.lines if whole else in_range, at(6 * DAY))
    window = ("--since", "2026-02-21", "--until", "2026-02-25")

    spared, err = analysed(*window, tmp_path / "live")
    assert err == ""
    assert spared["stats"]["files_before_since"] == 1
    assert spared["stats"]["files_after_until"] == 1
    assert spared["stats"]["files"] == 2
    live = tmp_path / "live"
    assert spared["not_opened"] == [
        {"path": str(live / "mail.log.3.gz"), "reason": "before_since"},
        {"path": str(live / "mail.log"), "reason": "after_until"},
    ]
    assert spared["inputs"] == [str(live / "mail.log.2.gz"), str(live / "mail.log.1")]
    reference, _ = analysed(*window, tmp_path / "ref")
    assert reference["stats"]["files_before_since"] == 0
    assert ips(spared) == ips(reference) == of(2, 3)
    assert len(spared["credentials"]) == 2
    assert core(spared, tmp_path / "live") == core(reference, tmp_path / "ref")


def test_merged_sets_keep_their_duplicates_and_their_analysis(tmp_path: Path) -> None:
    # mail.log* and syslog* hold the same mail lines (counted once), dovecot.log* its
    # own: merged by time; old archives are skipped and each set stops on its own.
    archive, mail, live, dovecot = Log(), Log(), Log(), Log()
    incident(archive, -4 * DAY, 1)
    incident(mail, 0, 2)
    dovecot.imap_failures(3600, "192.0.2.77", "frank@example.com", 9, "D1")
    mail.submission_login(3700, "192.0.2.77", "frank@example.com")  # after dovecot's guesses
    mail_in, dovecot_in = list(mail.lines), list(dovecot.lines)
    mail.quiet_traffic(3 * DAY, BULK)
    incident(live, 4 * DAY, 3)
    dovecot.imap_failures(4 * DAY, "192.0.2.78", "grace@example.com", 9, "D2")
    for folder, whole in (("live", True), ("ref", False)):
        d = tmp_path / folder
        d.mkdir()
        lines, dove = (mail.lines, dovecot.lines) if whole else (mail_in, dovecot_in)
        write(d / "mail.log.1", lines, at(3 * DAY + 6 * 3600))
        write(d / "syslog.1", syslog_copy(lines), at(3 * DAY + 6 * 3600))
        write(d / "dovecot.log", dove, at(5 * DAY))
        if whole:
            write(d / "mail.log.2", archive.lines, at(-3 * DAY))
            write(d / "syslog.2.gz", syslog_copy(archive.lines), at(-3 * DAY))
            write(d / "mail.log", live.lines, at(5 * DAY))
            write(d / "syslog", syslog_copy(live.lines), at(5 * DAY))
    window = ("--since", "2026-02-22", "--until", "2026-02-23 18:00")

    spared, err = analysed(*window, tmp_path / "live")
    assert err == ""
    assert spared["stats"]["files_before_since"] == 2
    assert spared["stats"]["files_after_until"] == 2  # mail.log and syslog
    assert spared["stats"]["files"] < 7
    reference, _ = analysed(*window, tmp_path / "ref")
    assert spared["stats"]["lines_duplicate"] == reference["stats"]["lines_duplicate"] > 0
    assert sorted(c["user"] for c in spared["compromised"]) == [
        "frank@example.com",
        "user2@example.com",
    ]
    assert core(spared, tmp_path / "live") == core(reference, tmp_path / "ref")


def test_year_less_archives_skipped_by_mtime_held_nothing_in_range(tmp_path: Path) -> None:
    # Around New Year: the archive's "Dec 31" lines are 2025 by its mtime (Jan 1). Read
    # with a later mtime that still dates them 2025 (Jan 5), the analysis is the same.
    archive, live = Log(), Log()
    new_year = datetime(2026, 1, 1, tzinfo=UTC)
    before = (new_year - timedelta(hours=2) - at(0)).total_seconds()  # Dec 31 22:00
    incident(archive, before, 1)
    incident(live, before + 2 * DAY + 4 * 3600, 2)  # Jan 3 02:00
    path = write(tmp_path / "mail.log.1", archive.lines, new_year + timedelta(hours=6))
    write(tmp_path / "mail.log", live.lines, new_year + timedelta(days=3))
    assert archive.lines[0].startswith("Dec 31 22:00") and live.lines[0].startswith("Jan  3")
    window = ("--since", "2026-01-03", tmp_path)

    skipped, err = analysed(*window)
    assert err == "" and skipped["stats"]["files_before_since"] == 1
    set_mtime(path, new_year + timedelta(days=4))  # not skipped, its lines still 2025
    read, _ = analysed(*window)
    assert read["stats"]["files_before_since"] == 0 and read["stats"]["files"] == 2
    assert ips(read) == ips(skipped) == of(2)
    assert core(read) == core(skipped)
    # And the mtime is what dates those lines: with a later one they would be 2026.
    set_mtime(path, new_year + timedelta(days=365))
    later, _ = analysed("--since", "2026-12-31", "--until", "2026-12-31", tmp_path)
    assert ips(later) == of(1)


def test_an_archive_written_less_than_a_day_before_since_is_read_though_its_clock_ran_ahead(
    tmp_path: Path,
) -> None:
    # A sender whose clock runs 21 hours ahead: the archive, last written 20 hours
    # before --since, holds entries stamped an hour after it.
    archive, live = Log(), Log()
    incident(archive, DAY + 3600, 1)  # Feb 24 10:00
    incident(live, 2 * DAY, 2)
    write(tmp_path / "mail.log.1", archive.lines, at(DAY + 3600 - 21 * 3600))
    write(tmp_path / "mail.log", live.lines, at(3 * DAY))
    data, err = analysed("--since", "2026-02-24 09:30", tmp_path)
    assert err == "" and data["stats"]["files_before_since"] == 0
    assert "203.0.113.1" in ips(data) and "203.0.113.2" in ips(data)


def test_zoned_stamps_and_timezone(tmp_path: Path) -> None:
    # RFC 3339 stamps in Tokyo time, --since without a zone in --timezone Asia/Tokyo.
    def tokyo(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            when = datetime.strptime(f"2026 {line[:15]}", "%Y %b %d %H:%M:%S")
            out.append(f"{when:%Y-%m-%dT%H:%M:%S}.000000+09:00{line[15:]}")
        return out

    archive, live = Log(), Log()
    incident(archive, 0, 1)  # Feb 23 09:00 JST = Feb 23 00:00 UTC
    incident(live, DAY + 3 * 3600, 2)  # Feb 24 12:00 JST
    path = write(tmp_path / "mail.log.1", tokyo(archive.lines), at(-9 * 3600 + 3600))
    write(tmp_path / "mail.log", tokyo(live.lines), at(2 * DAY))
    args = ("--timezone", "Asia/Tokyo", "--since", "2026-02-24 11:00", tmp_path)
    # --since is Feb 24 02:00 UTC: the archive, last written Feb 23 01:00 UTC, is
    # skipped by 1 hour.
    skipped, err = analysed(*args)
    assert err == "" and skipped["stats"]["files_before_since"] == 1
    set_mtime(path, at(3 * DAY))
    read, _ = analysed(*args)
    assert read["stats"]["files_before_since"] == 0
    assert core(read) == core(skipped)
    assert ips(read) == of(2)


def test_a_glob_and_a_directory_skip_the_same_files(tmp_path: Path) -> None:
    logs = []
    for n in range(4):
        log = Log()
        incident(log, n * 2 * DAY, n + 1)
        logs.append(log)
    names = ["mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]
    for n, (name, log) in enumerate(zip(names, logs, strict=True)):
        write(tmp_path / name, log.lines, at(n * 2 * DAY + 3600))
    since = ("--since", "2026-02-26 12:00")  # mail.log.2.gz last written Feb 25 10:00
    by_dir, _ = analysed(*since, tmp_path)
    by_glob, _ = analysed(*since, str(tmp_path / "mail.log*"))
    named, _ = analysed(*since, *(tmp_path / name for name in names))
    for data in (by_dir, by_glob, named):
        assert data["stats"]["files_before_since"] == 2 and data["stats"]["files"] == 2
        assert core(data) == core(by_dir)
    assert ips(by_dir) == of(3, 4)


def test_the_journal_is_read_when_every_file_is_skipped(tmp_path: Path) -> None:
    base = int(datetime(2026, 2, 23, 9, tzinfo=UTC).timestamp())
    message = "warning: unknown[203.0.113.44]: SASL LOGIN authentication failed: authentication failure, sasl_username=admin@example.com"
    entries = [
        {
            "__REALTIME_TIMESTAMP": str((base + offset) * 1_000_000),
            "__CURSOR": f"s=1;i={n}",
            "_HOSTNAME": "mx",
            "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
            "_PID": "4242",
            "MESSAGE": message.replace("44", "45") if offset > DAY else message,
        }
        # Four in the range, four three days later (this journalctl ignores --until).
        for n, offset in enumerate([0, 1, 2, 3, 3 * DAY, 3 * DAY + 1, 3 * DAY + 2, 3 * DAY + 3])
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    body = "\n".join(json.dumps(e) for e in entries)
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{body}\nEOF\n")
    fake.chmod(0o755)
    old = Log()
    incident(old, -10 * DAY, 1)
    write(tmp_path / "mail.log", old.lines, at(-9 * DAY))
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = run_analyze(
        *UTC_ARGS,
        "--journal",
        "--since",
        "2026-02-22",
        "--until",
        "2026-02-23 12:00",
        tmp_path / "mail.log",
        env=env,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    assert data["stats"]["files_before_since"] == 1 and data["inputs"] == ["journal"]
    assert ips(data) == ["203.0.113.44"]


@pytest.mark.parametrize(
    "window",
    [("--since", "2026-03-01", "--until", "2026-02-28"), ("--since", "1d", "--until", "2d")],
    ids=["dates", "durations"],
)
def test_until_before_since_is_a_usage_error(tmp_path: Path, window: tuple[str, ...]) -> None:
    log = Log()
    incident(log, 0, 1)
    result = run_analyze(*window, log.write(tmp_path / "mail.log"))
    assert result.returncode == 2 and result.stdout == ""
    assert "--until" in result.stderr and "before --since" in result.stderr


def test_the_text_report_says_what_was_spared_at_80_columns(tmp_path: Path) -> None:
    old, middle, live = Log(), Log(), Log()
    incident(old, -4 * DAY, 1)
    incident(middle, 0, 2)
    middle.quiet_traffic(3 * DAY, BULK)
    incident(live, 4 * DAY, 3)
    write(tmp_path / "mail.log.2", old.lines, at(-3 * DAY))
    write(tmp_path / "mail.log.1", middle.lines, at(3 * DAY + 6 * 3600))
    write(tmp_path / "mail.log", live.lines, at(5 * DAY))
    result = run_analyze(
        *SHORT_LOOK_BACK,
        "--timezone",
        "UTC",
        "--since",
        "2026-02-22",
        "--until",
        "2026-02-23",
        tmp_path,
        env={"COLUMNS": "80"},
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    said = " ".join(" ".join(lines[: lines.index("")]).split())
    assert "1 file last written more than a day before --since not opened." in said
    assert "1 newer file not opened: an older one ends more than a day past --until." in said
    assert lines[0].startswith("Someone got in: user2@example.com was logged into")


def test_the_progress_bar_counts_only_the_files_opened(tmp_path: Path) -> None:
    old, live = Log(), Log()
    incident(old, -4 * DAY, 1)
    live.quiet_traffic(0, 4 * BULK)  # over the bar's 4 MB
    write(tmp_path / "mail.log.2", old.lines, at(-3 * DAY))
    write(tmp_path / "mail.log.1", old.lines, at(-3 * DAY))
    write(tmp_path / "mail.log", live.lines, at(DAY))
    since = ("--timezone", "UTC", "--since", "2026-02-23")
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    child = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "analyze", *since, str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    drawn = b""
    try:
        while select.select([master], [], [], 20)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            drawn += data
    finally:
        os.close(master)
        assert child.wait(timeout=20) == 0
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", drawn).decode("utf-8", "replace")
    bars = re.findall(r"(looking back: )?(mail\.log[.\d]* \(\d+/\d+\))", text)
    assert {name for back, name in bars if not back} == {"mail.log (1/1)"}
    # Before it, the owners' logins of the stale_window before --since: said as such.
    assert {name for back, name in bars if back} <= {
        "mail.log.2 (1/3)",
        "mail.log.1 (2/3)",
        "mail.log (3/3)",
    }


# -- review findings: these fail while the findings stand ---------------------------------


def _newest_first(tmp_path: Path) -> tuple[str, list[str]]:
    """Two weeks of a log written newest first (``zcat mail.log.*.gz``: .2 before .3;
    ``cat mail.log mail.log.1``), and the IPs of the older week's incident."""
    older, newer = Log(), Log()
    incident(older, 0, 1)  # Feb 23
    newer.quiet_traffic(7 * DAY, BULK)  # Mar 2 on
    incident(newer, 8 * DAY, 2)
    return newer.text() + older.text(), of(1)


@pytest.mark.parametrize("how", ["stdin", "file"])
def test_input_not_in_time_order_keeps_its_range(tmp_path: Path, how: str) -> None:
    # `zcat mail.log.*.gz | mailwarden analyze -` (newest first: what the help warns of)
    # gives the archives newest first; so does `cat mail.log*`. Reading stops at the
    # first chunk (a first version stopped there and lost the week asked for): a
    # file is always read to its end.
    text, expected = _newest_first(tmp_path)
    window = ("--year", "2026", "--until", "2026-02-24")
    if how == "stdin":
        data, err = analysed(*window, "-", stdin=text)
    else:
        path = tmp_path / "all.log"
        path.write_text(text)
        set_mtime(path, at(9 * DAY))
        data, err = analysed(*window, path)
    assert ips(data) == expected, err


def test_per_host_files_named_by_address_are_not_one_rotated_set(tmp_path: Path) -> None:
    # a central log host writes one file per sender, named by its address
    # (rsyslog "/var/log/hosts/%FROMHOST-IP%"). "192.0.2.9" and "192.0.2.10" are two
    # inputs, not "192.0.2" rotated 9 and 10 times: once .10 is past --until, 192.0.2.9
    # is still read.
    nine, ten = Log(), Log()
    incident(nine, 0, 9)
    incident(ten, 60, 10)
    ten.quiet_traffic(6 * DAY, BULK)
    write(tmp_path / "192.0.2.9", nine.lines, at(7 * DAY))
    write(tmp_path / "192.0.2.10", ten.lines, at(7 * DAY))
    data, _ = analysed("--until", "2026-02-24", tmp_path)
    assert "203.0.113.9" in ips(data) and "203.0.113.10" in ips(data)


def test_a_year_less_file_copied_a_year_later_keeps_its_range(tmp_path: Path) -> None:
    # last year's archive copied without its mtime (scp, no -p) on about the same
    # calendar day. Each entry was dated on its own against the mtime: its first lines
    # ("Nov 28", up to a day after the copy) this year, the rest ("Nov 30") last year,
    # and the file went back in time in its middle (a first version of --until also
    # stopped reading at the first chunk there and lost last year's range). Now the
    # file runs forward from a year that ends it no more than a day after its mtime:
    # all of it is last year's, in one range.
    copied = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    log = Log()
    start = (datetime(2026, 11, 28, 6, tzinfo=UTC) - at(0)).total_seconds()
    log.quiet_traffic(start, BULK)
    incident(log, start + 2 * DAY, 7)  # Nov 30: dated 2025 by the mtime
    path = write(tmp_path / "mail.log.1", log.lines, copied)
    assert log.lines[0].startswith("Nov 28") and log.lines[-1].startswith("Nov 30")
    data, err = analysed("--since", "2025-11-01", "--until", "2025-12-31", path)
    assert "203.0.113.7" in ips(data)
    assert "back in time" not in err and not data["notes"]


# -- classic lines dated by the file's mtime: one year range per file --------------------


def seen(data: dict[str, Any], ip: str) -> tuple[str, str]:
    """(first_seen, last_seen) of an attacker, to the second."""
    [attacker] = [a for a in data["attackers"] if a["ip"] == ip]
    return attacker["first_seen"][:19], attacker["last_seen"][:19]


def _copied_archive(tmp_path: Path, name: str) -> Path:
    """Last year's Nov 28-30 copied (no -p) on Nov 28 at 23:00: an attacker from the
    evening of Nov 28 to Nov 30, its entries from 18 hours before the mtime to 35
    hours after it."""
    log = Log()
    evening = (datetime(2026, 11, 28, 20, tzinfo=UTC) - at(0)).total_seconds()
    log.sasl_failures(evening, "203.0.113.7", "sales@example.com", 8)
    log.quiet_traffic(evening + 600, 300)  # to Nov 30 ~00:00
    log.sasl_failures(evening + 38 * 3600, "203.0.113.7", "sales@example.com", 8)
    assert log.lines[0].startswith("Nov 28 20:") and log.lines[-1].startswith("Nov 30 10:")
    return write(tmp_path / name, log.lines, datetime(2026, 11, 28, 23, tzinfo=UTC))


def test_a_copied_archive_is_dated_in_one_year_that_ends_by_its_mtime(tmp_path: Path) -> None:
    # The whole file is last year's: its end (read from the file's last KB) is no more
    # than a day after the mtime. It said 2026-11-28 -> 2025-11-30 before (a year
    # back in its middle, and "goes back in time").
    data, err = analysed(_copied_archive(tmp_path, "mail.log.1"))
    assert seen(data, "203.0.113.7") == ("2025-11-28T20:00:01", "2025-11-30T10:00:15")
    assert err == "" and not data["notes"]


def test_a_compressed_copy_runs_forward_to_a_day_past_its_mtime(tmp_path: Path) -> None:
    # A compressed file's end is not read: its first entry is dated as before (no more
    # than a day after the mtime: this year), the rest run forward from it, but none is
    # dated more than a day after the mtime: Nov 30 (35 hours after it) goes back a
    # year, as each entry did before (it was dated 2026-11-30, after the mtime's day).
    # Going back in time, the file is read again in time order: Nov 30 a year back
    # comes first.
    data, err = analysed(_copied_archive(tmp_path, "mail.log.1.gz"))
    assert seen(data, "203.0.113.7") == ("2025-11-30T10:00:01", "2026-11-28T20:00:15")
    assert "goes back in time (2025-11-30 10:00:01+00:00 after 2026-11-2" in err


def test_standard_input_runs_forward_to_a_day_past_the_time_it_is_read() -> None:
    # `zcat` of last year's copied archive, run on about the same calendar day: there is
    # no mtime, the time it is read stands for one; its first entry decides the year,
    # and no entry is dated more than a day after that time (one 35 hours after it was).
    # Going back in time, the input is read again in time order: the year-back guessing
    # comes first (each of the two a brute force on its own, a year apart).
    now = datetime.now(UTC).replace(microsecond=0)
    guesses = Log()
    for hours in (-20, 35):
        guesses.sasl_failures(0, "203.0.113.7", "sales@example.com", 10)
        moment = now + timedelta(hours=hours)
        stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"
        guesses.lines[-13:] = [stamp + line[15:] for line in guesses.lines[-13:]]
    data, err = analysed("-", stdin=guesses.text())
    first, last = (
        datetime.fromisoformat(moment + "+00:00") for moment in seen(data, "203.0.113.7")
    )
    assert last == now - timedelta(hours=20)
    assert first.replace(year=first.year + 1) == now + timedelta(hours=35)  # a year back
    assert "goes back in time" in err


def guessing_at(log: Log, ip: str, moment: datetime) -> None:
    """Three failed SASL logins from ``ip`` (and its connection) at ``moment``."""
    start = len(log.lines)
    log.sasl_failures(0, ip, "sales@example.com", 3)
    stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"
    log.lines[start:] = [stamp + line[15:] for line in log.lines[start:]]


def test_a_journal_dump_of_a_year_on_standard_input_is_not_dated_a_year_ahead() -> None:
    # `journalctl -o short` of a year, Nov 20 a year ago to Nov 28, read on Nov 29 (the
    # reviewer's case, with dates near today): the entries from December on went on to
    # the next year (a year ahead of today), now they are a year back from there.
    now = datetime.now(UTC).replace(microsecond=0)
    log = Log()
    moments = [now - timedelta(days=days) for days in (365 + 9, 340, 300, 150, 1)]
    for n, moment in enumerate(moments):
        guessing_at(log, f"203.0.113.{n + 1}", moment)
    data, _ = analysed("-", stdin=log.text())
    got = [datetime.fromisoformat(seen(data, f"203.0.113.{n}")[0] + "+00:00") for n in (2, 3, 4, 5)]
    assert got == moments[1:]  # not a year ahead
    assert all(moment <= now + timedelta(days=1) for moment in got)


def test_until_opens_the_newer_file_after_a_compressed_year(tmp_path: Path) -> None:
    # mail.log.1.gz holds a year, from Nov 15 2025 to Nov 14 2026 (rotated then): its
    # end is not read, its first entry is dated 2026 by its mtime, and its entries from
    # December on went on into 2027, so --until took it to end after the range and did
    # not open mail.log, whose guessing of Nov 20 2026 was lost.
    older = Log()
    for month in (11, 12, 1, 3, 5, 7, 9, 11):
        guessing_at(older, "192.0.2.9", datetime(2025 + (month < 11), month, 14, 12))
    older.lines[:6] = [line.replace("Nov 14 12:", "Nov 15 00:") for line in older.lines[:6]]
    write(tmp_path / "mail.log.1.gz", older.lines, datetime(2026, 11, 15, tzinfo=UTC))
    newer = Log()
    guessing_at(newer, "203.0.113.7", datetime(2026, 11, 20, 10))
    guessing_at(newer, "203.0.113.7", datetime(2026, 11, 20, 10, 1))
    write(tmp_path / "mail.log", newer.lines, datetime(2026, 11, 29, tzinfo=UTC))
    data, _ = analysed("--since", "2026-11-01", "--until", "2026-11-25", tmp_path)
    assert "203.0.113.7" in ips(data)
    assert data["stats"]["files"] == 2 and data["stats"]["files_after_until"] == 0


def _new_year(folder: Path) -> tuple[list[str], datetime]:
    """Guesses on Dec 31 23:59, the login on Jan 1 00:00:30 (2026 -> 2027)."""
    guess = (
        "Dec 31 23:59:5{n} mx postfix/smtpd[10{n}]: warning: unknown[192.0.2.9]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6, sasl_username=sales@example.com"
    )
    login = (
        "Jan  1 00:00:30 mx postfix/smtpd[300]: 4F1A2B3C4D: client=unknown[192.0.2.9], "
        "sasl_method=LOGIN, sasl_username=sales@example.com"
    )
    return [guess.format(n=n) for n in range(9)] + [login], datetime(2027, 1, 1, tzinfo=UTC)


def test_a_file_across_new_year_is_dated_in_both_years(tmp_path: Path) -> None:
    lines, new_year = _new_year(tmp_path)
    path = write(tmp_path / "mail.log", lines, new_year + timedelta(minutes=1))
    data, err = analysed(path)
    assert err == "" and not data["notes"]
    assert seen(data, "192.0.2.9") == ("2026-12-31T23:59:50", "2027-01-01T00:00:30")
    assert [(c["user"], c["time"][:19]) for c in data["compromised"]] == [
        ("sales@example.com", "2027-01-01T00:00:30")
    ]


def test_a_rotated_set_across_new_year_is_dated_by_each_files_mtime(tmp_path: Path) -> None:
    # without --year each file is dated by its own mtime: the older one (rotated at
    # midnight) is in 2026, the newer one in 2027.
    lines, new_year = _new_year(tmp_path)
    write(tmp_path / "mail.log.1", lines[:-1], new_year)
    write(tmp_path / "mail.log", lines[-1:], new_year + timedelta(hours=1))
    data, err = analysed(tmp_path)
    assert err == "" and not data["notes"] and data["stats"]["files"] == 2
    assert seen(data, "192.0.2.9") == ("2026-12-31T23:59:50", "2027-01-01T00:00:30")
    assert [c["time"][:19] for c in data["compromised"]] == ["2027-01-01T00:00:30"]


def test_an_input_read_to_its_end_is_not_said_to_be_read_no_further(tmp_path: Path) -> None:
    # the last chunk of an input ends past --until by a day: nothing is left to read,
    # and nothing is said to be spared.
    log = Log()
    incident(log, 0, 1)
    incident(log, 5 * DAY, 2)
    data, _ = analysed("--year", "2026", "--until", "2026-02-24", log.write(tmp_path / "mail.log"))
    assert ips(data) == of(1)
    assert data["stats"]["files_after_until"] == 0


def test_the_outside_the_range_warning_does_not_count_only_what_was_read(tmp_path: Path) -> None:
    # "Nothing inside --until … could change the analysis: the N entries that could
    # … lie outside it": when newer files are not opened, N counts only what was read,
    # and the warning says so.
    for path in (ROOT / "samples").glob("mail.log*"):
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        set_mtime(copy, datetime(2026, 3, 12, tzinfo=UTC))
    until = run_analyze("--timezone", "UTC", "--until", "2026-01-01", tmp_path)
    since = run_analyze("--timezone", "UTC", "--since", "2026-03-12 12:00", tmp_path)
    counted = [
        re.search(r"the ([\d,]+) entries that could .* lie outside", r.stderr)
        for r in (until, since)
    ]
    assert counted[0] is not None and counted[1] is not None, (until.stderr, since.stderr)
    all_outside = counted[1].group(1)
    assert counted[0].group(1) == all_outside or "not opened" in until.stderr, until.stderr


# -- the two-process path (inputs over 8 MB): the slowest test here, ~3 s ----------------


def test_slow_two_process_path_stops_with_the_same_analysis(tmp_path: Path) -> None:
    from mailwarden.scan import streams_of
    from mailwarden.scanpool import MIN_BYTES, two_cores, worth_a_worker

    if not two_cores():
        pytest.skip("the two-process path needs two cores")
    generate = load_module("generate", ROOT / "benchmarks" / "generate.py").generate
    lines = [line + "\n" for line in generate(100_000, clients=2000)]  # 12 MB, Feb 23 00:00-05:37
    half = len(lines) // 2
    later = [line.replace("Feb 23", "Feb 26", 1) for line in lines[half:]]
    for folder, parts in (("live", True), ("ref", False)):
        d = tmp_path / folder
        d.mkdir()
        (d / "mail.log.2").write_text("".join(lines[:half]))
        set_mtime(d / "mail.log.2", datetime(2026, 2, 23, 3, tzinfo=UTC))
        if parts:  # Feb 26 on: past --until by more than a day
            (d / "mail.log.1").write_text("".join(later))
            set_mtime(d / "mail.log.1", datetime(2026, 2, 26, 6, tzinfo=UTC))
            (d / "mail.log").write_text("".join(later[:1000]).replace("Feb 26", "Feb 27"))
            set_mtime(d / "mail.log", datetime(2026, 2, 27, 6, tzinfo=UTC))
    single = tmp_path / "jump.log"  # the same in one file: a stop there comes mid-file
    single.write_text("".join(lines[:half] + later))
    live = sorted(str(path) for path in (tmp_path / "live").iterdir())
    assert worth_a_worker(streams_of(live)) and worth_a_worker(streams_of([str(single)]))
    assert (tmp_path / "ref" / "mail.log.2").stat().st_size < MIN_BYTES  # in the process

    window = ("--year", "2026", "--until", "2026-02-23 02:00")
    spared, _ = analysed(*window, tmp_path / "live")
    in_one, _ = analysed(*window, single)
    reference, _ = analysed(*window, tmp_path / "ref")
    assert spared["stats"]["files_after_until"] == 1
    assert spared["stats"]["files"] < 3
    unread = str(tmp_path / "live" / "mail.log")  # named, and not among the inputs read
    assert spared["not_opened"] == [{"path": unread, "reason": "after_until"}]
    assert unread not in spared["inputs"]
    expected = core(reference, tmp_path / "ref")
    assert core(spared, tmp_path / "live") == expected
    assert core(in_one).replace(f"{single}", "mail.log.2") == expected


@pytest.mark.parametrize("until", ["9999-12-31", "9999-12-31T23:59:59+00:00"])
def test_until_the_last_day_there_is_reads_everything(tmp_path: Path, until: str) -> None:
    # --until plus a day's slack is past the last date Python holds: no traceback.
    log = Log()
    incident(log, 0, 1)
    data, err = analysed("--until", until, log.write(tmp_path / "mail.log"))
    assert err == "" and ips(data) == of(1)
