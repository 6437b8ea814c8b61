"""The journal as a source: entries from ``journalctl -o json --follow`` are acted on, the
cursor is stored, and a restart resumes after it; entries that any local user could have
written (``logger -t postfix/smtpd``) are skipped and counted. journalctl is a stand-in
script here (the real one needs a journal with Postfix in it)."""

from __future__ import annotations

import fcntl
import json
import logging
import struct
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from wardenlab import ATTACKER, OTHER, Warden, banned, fake_command, step_until, wait_until

from mailwarden.cli import cli
from mailwarden.daemon.journal import JournalFollower, JournalTrust
from mailwarden.daemon.status import status_document, status_text
from mailwarden.sources.interface import ReadStats

FAKE = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
def entries():  # the journal as it is now (the test may be writing it)
    try:
        return json.load(open(os.environ["FAKE_JOURNAL_ENTRIES"]))
    except ValueError:
        return None
def option(name):
    return next((a.split("=", 1)[1] for a in args if a.startswith(name + "=")), None)
after, since = option("--after-cursor"), option("--since")
until, lines, at = option("--until"), option("--lines"), option("--cursor")
def micros(when):  # --since/--until as the daemon gives them: @seconds
    return int(when.lstrip("@")) * 1_000_000
def chosen(found):
    return [
        entry for entry in found
        if (after is None or entry["__CURSOR"] > after)
        and (at is None or entry["__CURSOR"] >= at)
        and (since is None or int(entry["__REALTIME_TIMESTAMP"]) >= micros(since))
        and (until is None or int(entry["__REALTIME_TIMESTAMP"]) <= micros(until))
    ]
first = chosen(entries() or [])
with open(os.environ["FAKE_JOURNAL_ARGS"], "a") as log:  # once the journal was looked at
    log.write(json.dumps(args) + "\\n")
if "--follow" not in args:
    if "--reverse" in args:
        first.reverse()
    for entry in first[: int(lines)] if lines is not None else first:
        print(json.dumps(entry), flush=True)
    sys.exit(0)
# Following: --lines=0 shows none of what is there already; then what is added.
shown = {{entry["__CURSOR"] for entry in first}} if lines == "0" else set()
for _ in range(2400):
    for entry in chosen(entries() or []):
        if entry["__CURSOR"] not in shown:
            shown.add(entry["__CURSOR"])
            print(json.dumps(entry), flush=True)
    time.sleep(0.05)
"""


def entry(
    n: int,
    user: str,
    ip: str = ATTACKER,
    uid: str | None = "0",
    comm: str = "smtpd",
    ago: float | None = None,
) -> dict[str, str]:
    """A Postfix SASL failure as journald stores it; `uid`/`comm` are journald's own
    fields (None: an export without them). With ``ago`` (seconds), written that long
    ago, with a cursor that says when (journald's ``t=``)."""
    micros = int((time.time() - (ago or 0)) * 1_000_000)
    made = {
        "__CURSOR": f"s=abc;i={n:04d}" + (f";t={micros:x}" if ago is not None else ""),
        "__REALTIME_TIMESTAMP": str(micros),
        "_HOSTNAME": "mx",
        "SYSLOG_IDENTIFIER": "postfix/submission/smtpd",
        "SYSLOG_FACILITY": "2",
        "_PID": str(1200 + n),
        "MESSAGE": f"warning: unknown[{ip}]: SASL PLAIN authentication failed: "
        f"UGFzc3dvcmQ6, sasl_username={user}",
    }
    if uid is not None:
        made |= {"_UID": uid, "_GID": uid, "_COMM": comm, "_TRANSPORT": "syslog"}
    return made


def forged(n: int, user: str, ip: str = OTHER, ago: float | None = None) -> dict[str, str]:
    """What ``logger -p mail.warn -t postfix/submission/smtpd`` by uid 1000 gives."""
    return entry(n, user, ip, uid="1000", comm="logger", ago=ago)


def set_entries(fake_journal: Path, entries: list[dict[str, str]]) -> None:
    (fake_journal.parent / "entries.json").write_text(json.dumps(entries))


def arrive(fake_journal: Path, entries: list[dict[str, str]]) -> None:
    """Entries written to the journal while the daemon follows it."""
    assert wait_until(lambda: bool(runs_of(fake_journal)), 5), "journalctl follows"
    set_entries(fake_journal, entries)


def runs_of(fake_journal: Path, follow: bool = True) -> list[list[str]]:
    """The argument lists journalctl was run with (following, or not)."""
    runs = [json.loads(line) for line in fake_journal.read_text().splitlines()]
    return [run for run in runs if ("--follow" in run) is follow]


def stand_in_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str = FAKE) -> Path:
    """``script`` (the stand-in journalctl) on PATH, on an empty journal; the file of the
    argument lists it is run with (runs_of)."""
    fake_command(tmp_path, monkeypatch, "journalctl", script)
    entries = tmp_path / "entries.json"
    entries.write_text("[]")  # an empty journal; a test writes entries (set_entries)
    args = tmp_path / "journalctl-args.jsonl"
    monkeypatch.setenv("FAKE_JOURNAL_ENTRIES", str(entries))
    monkeypatch.setenv("FAKE_JOURNAL_ARGS", str(args))
    return args


@pytest.fixture
def fake_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return stand_in_journal(tmp_path, monkeypatch)


def test_journal_entries_are_acted_on_and_the_cursor_resumes(
    warden: Warden, fake_journal: Path
) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    first = warden.start()  # an empty journal: from its end
    arrive(fake_journal, [entry(n, u) for n, u in enumerate(["a1", "b2", "c3"], 1)])

    assert step_until(first, lambda: banned(first), 5)
    assert banned(first) == {f"{ATTACKER}/32"}
    first.close()
    (follow,) = runs_of(fake_journal)
    assert "--lines=0" in follow and "SYSLOG_FACILITY=2" in follow
    assert not any(a.startswith("--after-cursor") for a in follow)

    second = warden.start()
    for _ in range(20):
        second.step()
        time.sleep(0.01)
    assert "--after-cursor=s=abc;i=0003" in runs_of(fake_journal)[1]
    assert len(second.store.history()) == 1


def test_entries_any_local_user_can_write_are_skipped_and_counted(
    warden: Warden, fake_journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    arrive(
        fake_journal,
        [forged(1, "a1"), entry(2, "x1"), forged(3, "b2"), entry(4, "x2"), forged(5, "c3"),
         forged(6, "d4"), entry(7, "x3"), forged(8, "e5")],
    )  # fmt: skip
    last = {"cursor": "s=abc;i=0008"}
    assert step_until(daemon, lambda: daemon.reader.positions().get("journal") == last, 5)
    assert banned(daemon) == {f"{ATTACKER}/32"}, "the forged guesses banned no one"
    assert daemon.counters.events == 3
    warnings = [r.getMessage() for r in caplog.records if "journal: skipped" in r.getMessage()]
    assert len(warnings) == 1, "said once"
    assert "postfix/submission/smtpd" in warnings[0] and "uid 1000 (" in warnings[0]
    assert "process logger), which is not root nor one of sources.journal_users" in warnings[0]
    daemon._heartbeat()
    document = status_document(daemon.store, daemon.config)
    counters = document["daemon"]["counters"]
    assert counters["journal_untrusted"] == 5 and counters["skipped_lines"] >= 5
    assert counters["lines"] == 8
    assert "skipped: 5 journal entries not written by the mail system" in status_text(document)
    # The cursor moved past the last (skipped) entry: a restart does not read it again.
    assert daemon.reader.positions()["journal"] == {"cursor": "s=abc;i=0008"}


def test_only_forged_entries_still_move_the_cursor(warden: Warden, fake_journal: Path) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    arrive(fake_journal, [forged(n, f"u{n}", ATTACKER) for n in range(1, 6)])
    assert step_until(daemon, lambda: daemon._trust.skipped == 5, 5)  # type: ignore[union-attr]
    daemon.close()
    second = warden.start()
    assert wait_until(lambda: len(runs_of(fake_journal)) == 2, 5)
    assert "--after-cursor=s=abc;i=0005" in runs_of(fake_journal)[1]
    for _ in range(20):
        second.step()
        time.sleep(0.01)
    assert not banned(second)


def test_entries_without_journald_fields_are_not_trusted_by_the_daemon(
    warden: Warden, fake_journal: Path
) -> None:
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    arrive(fake_journal, [entry(n, f"u{n}", uid=None) for n in range(1, 6)])
    assert step_until(daemon, lambda: daemon._trust.skipped == 5, 5)  # type: ignore[union-attr]
    assert not banned(daemon)


def test_journal_users_adds_a_trusted_user_and_missing_users_are_fine(
    warden: Warden, fake_journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["sources"] = {
        "files": [],
        "journal": True,
        "journal_users": ["no-such-user-here", "1000"],
    }
    warden.write()
    daemon = warden.start()
    arrive(fake_journal, [forged(n, f"u{n}", ATTACKER) for n in range(1, 6)])
    assert step_until(daemon, lambda: banned(daemon), 5)
    assert daemon._trust is not None and daemon._trust.skipped == 0
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "journal: acting on entries written by root, uid 1000" in said


def test_analyze_reads_an_exported_journal_without_journald_fields(tmp_path: Path) -> None:
    export = tmp_path / "journal.json"
    lines = [entry(n, f"user{n}", uid=None) for n in range(1, 6)]
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = CliRunner().invoke(cli, ["analyze", "--format", "json", str(export)])
    assert done.exit_code == 0, done.output
    attackers = json.loads(done.output)["attackers"]
    assert [a["ip"] for a in attackers] == [ATTACKER]


def test_a_skip_is_logged_with_printable_text_only(
    warden: Warden, fake_journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = forged(1, "a1")
    hostile["SYSLOG_IDENTIFIER"] = "postfix/smtpd\n2026-01-01 mx postfix/smtpd[1]: \x1b[2J"
    hostile["_COMM"] = "smtpd\nX"
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    caplog.set_level(logging.INFO, logger="mailwarden")
    daemon = warden.start()
    arrive(fake_journal, [hostile])
    assert step_until(daemon, lambda: daemon._trust.skipped == 1, 5)  # type: ignore[union-attr]
    (warning,) = [r.getMessage() for r in caplog.records if "journal: skipped" in r.getMessage()]
    assert "\n" not in warning and "\x1b" not in warning


@pytest.mark.parametrize(
    ("fields", "trusted"),
    [
        ({"_UID": "0", "_TRANSPORT": "syslog"}, True),
        ({"_UID": "107", "_TRANSPORT": "journal"}, True),
        ({"_UID": "107"}, True),
        ({"_UID": "1000", "_COMM": "smtpd", "_TRANSPORT": "syslog"}, False),
        ({"_COMM": "smtpd", "_SYSTEMD_UNIT": "postfix@-.service"}, False),
        ({"_UID": ["0", "1000"]}, False),
        ({"_UID": "\u0660"}, False),  # an Arabic-Indic zero is not uid 0
        ({"_UID": "0", "_TRANSPORT": "audit"}, False),
    ],
)
def test_trust_rests_on_journalds_uid(fields: dict[str, object], trusted: bool) -> None:
    trust = JournalTrust([107])
    found = {"SYSLOG_IDENTIFIER": "postfix/smtpd", "MESSAGE": "x", **fields}
    assert (trust.refusal(found) is None) is trusted


def test_a_journal_backlog_is_read_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    # journalctl catching up on days of journal writes as fast as it is read: one poll
    # (one step of the daemon) takes at most READ_BUDGET of it, the rest the next ones.
    import os

    from mailwarden.daemon import journal
    from mailwarden.sources.follow import READ_BUDGET
    from mailwarden.sources.interface import ReadStats

    line = json.dumps(entry(1, "a1")).encode() + b"\n"
    block = line * (65536 // len(line))
    left = [8 * READ_BUDGET]

    def read(_fd: int, size: int) -> bytes:
        if left[0] <= 0:
            raise BlockingIOError
        data = block[:size]
        left[0] -= len(data)
        return data

    class Pipe:
        def fileno(self) -> int:
            return -1

    class Process:
        stdout = Pipe()

    follower = journal.JournalFollower(None, ReadStats())
    follower._proc = Process()  # type: ignore[assignment]
    monkeypatch.setattr(os, "read", read)
    polls = 0
    while left[0] > 0:
        before = follower.stats.bytes
        chunks = follower.poll()
        polls += 1
        assert follower.stats.bytes - before <= READ_BUDGET
        assert chunks
    assert polls >= 8


def test_a_restart_remembers_the_guesses_of_the_window_before_the_cursor(
    warden: Warden, fake_journal: Path
) -> None:
    # Two guesses, a restart, a third within the minute: banned, as with a log file.
    # Forged entries in the window count for nothing, there as when first read.
    before = [
        entry(1, "a1", ago=40),
        forged(2, "f2", ATTACKER, ago=35),
        entry(3, "a1", ago=30),
        forged(4, "f4", ATTACKER, ago=25),
        forged(5, "f5", ATTACKER, ago=20),
    ]
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    first = warden.start()
    arrive(fake_journal, before)
    assert step_until(first, lambda: first._trust.skipped == 3, 5)  # type: ignore[union-attr]
    assert not banned(first)
    first.close()

    set_entries(fake_journal, [*before, entry(6, "a1", ago=5)])
    second = warden.start()
    assert step_until(second, lambda: banned(second), 5)
    assert banned(second) == {f"{ATTACKER}/32"}
    assert second.counters.warmup_lines == 2  # the two trusted guesses before the cursor
    assert second._trust is not None and second._trust.skipped == 0
    newest, warm = runs_of(fake_journal, follow=False)[-2:]
    assert {"--reverse", "--lines=200000", "SYSLOG_FACILITY=2"} <= set(newest)
    assert any(a.startswith("--since=@") for a in newest)
    assert f"--cursor={before[0]['__CURSOR']}" in warm and "SYSLOG_FACILITY=2" in warm


def test_the_first_start_remembers_the_guesses_already_in_the_journal(
    warden: Warden, fake_journal: Path
) -> None:
    # As a log file read for the first time is warmed up from its end: two guesses of
    # the last minute are in the journal when the daemon first starts, a third comes
    # after: banned. Forged entries count for nothing; the follower goes on after the
    # newest entry, so nothing is read twice.
    existing = [entry(1, "a1", ago=40), forged(2, "f2", ATTACKER, ago=35), entry(3, "a1", ago=30)]
    set_entries(fake_journal, existing)
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    assert daemon.counters.warmup_lines == 2 and not banned(daemon)
    (follow,) = runs_of(fake_journal)
    assert f"--after-cursor={existing[2]['__CURSOR']}" in follow
    set_entries(fake_journal, [*existing, entry(4, "a1", ago=1)])
    assert step_until(daemon, lambda: banned(daemon), 5)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert daemon.counters.events == 1  # the third guess; the first two were the warm-up's


def test_journalctl_with_more_to_give_is_a_backlog_until_read(tmp_path: Path) -> None:
    # The daemon keeps the followed files level with the journal while journalctl has
    # a backlog to give (loop.Daemon._process_level): a pipe holds 64 KiB, so a poll of
    # a backlog empties a full pipe rather than spend its 1 MiB budget.
    line = json.dumps(entry(1, "bob")) + "\n"
    count = (400 << 10) // len(line)
    script = tmp_path / "journalctl"
    script.write_text(
        f"#!{sys.executable}\nimport sys, time\n"
        f"sys.stdout.write({line!r} * {count})\nsys.stdout.flush()\ntime.sleep(60)\n"
    )
    script.chmod(0o755)
    follower = JournalFollower("s=abc;i=0000", ReadStats(), journalctl=str(script))
    follower.start()
    try:
        fd = follower._proc.stdout.fileno()  # type: ignore[union-attr]
        size = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        assert wait_until(lambda: _waiting(fd) >= size, 10), "journalctl filled the pipe"
        follower.poll()
        assert follower.behind
        read = follower.stats.bytes
        while read < count * len(line):
            assert wait_until(lambda: _waiting(fd) > 0, 10)
            follower.poll()
            read = follower.stats.bytes
        follower.poll()
        assert not follower.behind  # all read: live
    finally:
        follower.close()


def _waiting(fd: int) -> int:
    """Bytes waiting in the pipe ``fd``."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_a_day_old_backlog_of_the_journal_read_at_a_restart_is_not_banned_nor_called_off(
    warden: Warden, fake_journal: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # journalctl, started again after the stored cursor, gives a day of entries while
    # the daemon is caught up with the files: journald's own times say they are old.
    # Their attack is not banned, and the journal's times are not said to be off.
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    for _ in range(5):  # caught up, and following
        daemon.step()
        time.sleep(0.01)
    day = 86_000
    arrive(fake_journal, [entry(n, f"u{n}", ago=day - n) for n in range(1, 6)])
    assert step_until(daemon, lambda: daemon.counters.events == 5, 5)
    assert banned(daemon) == set()
    said = [r.getMessage() for r in caplog.records]
    assert not [text for text in said if "times are" in text]
    assert [text for text in said if text.startswith(f"not banning {ATTACKER}/32: its attack")]
