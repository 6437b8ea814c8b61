"""The first start (a new store: nothing recorded yet) reads back the rotated logs of
the last ``stale_window`` for the owners' logins: an office whose people last logged in
days ago, past the warm-up's one day, is not banned for a phone with an old password.
Only once: the next starts take the owners from the store."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_journal_warmup import exported, journalctl_reading
from wardenlab import Warden, append, banned, drain, sasl_failure, sasl_success, stamp

from mailwarden.config import load_config
from mailwarden.daemon import recall
from mailwarden.daemon.loop import Daemon
from mailwarden.daemon.reading import OWNERS_KEY

OTHER = "198.51.100.20"
OFFICE = "203.0.113.7"
"""The office's NAT: one address for everybody there."""
ALICE = "alice@example.org"


def noise(count: int, when: datetime) -> list[str]:
    at = stamp(when)
    return [
        f"{at} mx postfix/smtpd[{3000 + n}]: connect from unknown[192.0.2.50]" for n in range(count)
    ]


def phone(start: datetime, count: int = 6) -> list[str]:
    """Alice's phone with her old password, every five minutes: a slow brute force
    (4 within 2h) for an address nobody logs in from."""
    every = timedelta(minutes=5)
    return [sasl_failure(OFFICE, ALICE, pid=1400 + n, when=start + n * every) for n in range(count)]


def bot(when: datetime) -> list[str]:
    users = ("bob@example.org", "carol@example.org", "dave@example.org", "erin@example.org")
    return [sasl_failure(OFFICE, user, pid=1500 + n, when=when) for n, user in enumerate(users)]


def rotated(path: Path, lines: list[str], written: datetime) -> Path:
    """A rotated file of ``lines`` (gzip when its name says so), last written then."""
    data = "".join(line + "\n" for line in lines).encode()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as out:
            out.write(data)
    else:
        path.write_bytes(data)
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def office_logs(warden: Warden, now: datetime) -> None:
    """Alice logged in from the office five days ago (mail.log.2.gz); quiet days since
    (mail.log.1); this morning her phone fails with her old password (mail.log),
    before the daemon is installed and first started."""
    log = warden.log
    login = now - timedelta(days=5)
    rotated(
        Path(f"{log}.2.gz"),
        [*noise(20, login), sasl_success(OFFICE, ALICE, when=login), *noise(20, login)],
        login + timedelta(hours=1),
    )
    rotated(Path(f"{log}.1"), noise(50, now - timedelta(days=2)), now - timedelta(days=2))
    append(log, noise(50, now - timedelta(hours=10)))
    append(log, phone(now - timedelta(minutes=40)))


def said(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


def test_an_owners_login_days_ago_in_a_compressed_archive_counts_at_the_first_start(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    office_logs(warden, now)
    daemon = warden.start()
    drain(daemon)
    assert banned(daemon) == set()  # the tail's phone failures: no ban at start
    lines = said(caplog, "owners: first start:")
    assert len(lines) == 1
    assert lines[0].startswith(
        "owners: first start: 1 login(s) of the last 30d recalled from 3 log file(s) in "
    )
    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]

    append(warden.log, phone(now - timedelta(minutes=5), count=3))  # live, still her phone
    drain(daemon)
    assert banned(daemon) == set()
    append(warden.log, bot(now))  # a bot behind the same NAT is banned as ever
    drain(daemon)
    assert banned(daemon) == {f"{OFFICE}/32"}


def test_classic_syslog_stamps_without_a_year_are_dated_by_the_archive(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    # rsyslog's traditional format ("Nov 24 09:12:00"), as older Debian writes it.
    login = now - timedelta(days=5)
    line = sasl_success(OFFICE, ALICE, when=login)
    classic = login.strftime("%b %e %H:%M:%S") + line[line.index(" mx ") :]
    rotated(Path(f"{warden.log}.2.gz"), [classic], login + timedelta(hours=1))
    daemon = warden.start()
    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]
    assert abs(rows[0].last.timestamp() - login.timestamp()) < 3600 * 24


def test_the_second_start_does_not_read_the_archives_again(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    office_logs(warden, now)
    first = warden.start()
    drain(first)
    first.close()
    chosen: list[list[str]] = []
    choose = recall.choose

    def spy(*args: Any, **kwargs: Any) -> tuple[list[str], int]:
        found = choose(*args, **kwargs)
        chosen.append(found[0])
        return found

    monkeypatch.setattr(recall, "choose", spy)
    caplog.clear()
    second = warden.start()
    mark = second.store.get_position(OWNERS_KEY)
    assert isinstance(mark, dict) and mark["logins"] == 1 and mark["files"] == 3
    assert chosen == []
    assert said(caplog, "owners: first start:") == []
    assert said(caplog, "owners: 1 earlier login(s) of the last 30d recalled from the store")
    append(warden.log, phone(now - timedelta(minutes=5), count=6))
    drain(second)
    assert banned(second) == set()


def test_a_look_back_cut_short_by_a_stop_is_done_again_at_the_next_start(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    office_logs(warden, now)
    first = Daemon(load_config(warden.config_path), own=lambda: [], tick=0.01)
    warden.daemons.append(first)
    original = recall.recall

    def stopped(*args: Any, **kwargs: Any) -> recall.Recalled:
        first.request_stop()  # SIGTERM during the look-back
        return original(*args, **kwargs)

    monkeypatch.setattr("mailwarden.daemon.loop.recall", stopped)
    first.start()
    assert said(caplog, "owners: the look-back into the earlier logs was stopped")
    assert said(caplog, "owners: first start:") == []
    assert first.store.get_position(OWNERS_KEY) is None
    assert first.store.owners(now - timedelta(days=30), 100) == []
    first.close()
    monkeypatch.undo()

    second = warden.start()
    assert len(said(caplog, "owners: first start: 1 login(s)")) == 1
    drain(second)
    assert banned(second) == set()


def test_an_intruders_login_after_guessing_is_not_recalled(warden: Warden, now: datetime) -> None:
    # Five days ago a bot guessed its way into alice's account from OFFICE: a login
    # after guessing is no owner's, so today's guessing from there is banned.
    log = warden.log
    then = now - timedelta(days=5)
    lines = [
        sasl_failure(OFFICE, user, pid=1201 + n, when=then)
        for n, user in enumerate(("admin", "info", "sales", "office", ALICE))
    ]
    lines.append(sasl_success(OFFICE, ALICE, when=then + timedelta(seconds=5)))
    rotated(Path(f"{log}.2.gz"), lines, then + timedelta(hours=1))
    daemon = warden.start()
    assert daemon.store.owners(now - timedelta(days=30), 100) == []
    append(log, phone(now - timedelta(minutes=40)))
    drain(daemon)
    assert banned(daemon) == {f"{OFFICE}/32"}


def test_files_older_than_the_window_and_past_the_limit_are_not_read(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = warden.log
    old = now - timedelta(days=40)  # past stale_window: never opened
    rotated(Path(f"{log}.5.gz"), [sasl_success("198.51.100.1", "old", when=old)], old)
    far = now - timedelta(days=9)  # in the window, but past the limit
    rotated(Path(f"{log}.4.gz"), [sasl_success("198.51.100.2", "far", when=far)], far)
    rotated(Path(f"{log}.3"), noise(40, far), far + timedelta(days=1))  # ~3.2 kB
    near = now - timedelta(days=3)
    rotated(Path(f"{log}.2.gz"), [sasl_success("198.51.100.3", "near", when=near)], near)
    rotated(Path(f"{log}.1"), noise(10, now - timedelta(days=1)), now - timedelta(days=1))
    monkeypatch.setattr(recall, "RECALL_BYTES", 3000)
    opened: list[str] = []
    text_size: Callable[[str, int], int | None] = recall._text_size

    def sized(name: str, limit: int) -> int | None:
        opened.append(os.path.basename(name))
        return text_size(name, limit)

    monkeypatch.setattr(recall, "_text_size", sized)
    daemon = warden.start()
    rows = daemon.store.owners(now - timedelta(days=60), 100)
    assert [row.account for row in rows] == ["near"]
    assert "mail.log.5.gz" not in opened
    assert opened == ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.3"]
    lines = said(caplog, "owners: first start:")
    # mail.log.3, plain, does not fit whole: its end is read, the older ones are not
    assert lines[0].startswith("owners: first start: 1 login(s) of the last 30d recalled from 4 ")
    assert lines[0].endswith(
        "; of mail.log.3 its last 0.0 MiB only"
        "; 1 older file(s) of the window not read: more than 0.00286102 MiB in all"
    )


def test_a_damaged_archive_gives_its_lines_before_the_damage_and_is_said(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    login = now - timedelta(days=5)
    lines = [sasl_success(OFFICE, ALICE, when=login), *noise(5000, login)]
    archive = rotated(Path(f"{warden.log}.2.gz"), lines, login)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])  # cut short: a disk that filled up
    os.utime(archive, (login.timestamp(), login.timestamp()))
    daemon = warden.start()
    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]
    problems = said(caplog, "owners: look-back: ")
    assert len(problems) == 1 and f"{archive}: " in problems[0]
    assert said(caplog, "owners: first start: 1 login(s) of the last 30d recalled from 2 ")


def export_entry(n: int, when: datetime, message: str, uid: int = 0) -> bytes:
    """An entry in journald's export format, as journald stores Postfix's."""
    return exported(n, when, message, uid, pids=1300)


def test_the_journal_is_read_back_too_its_mail_systems_entries_only(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = "4XyZ1a2B3c: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={user}"
    export = b"".join(
        [
            export_entry(0, now - timedelta(days=5), login.format(ip=OFFICE, user=ALICE)),
            # What "logger -p mail.info -t postfix/submission/smtpd" by uid 1000 gives:
            # never taken for an owner's login.
            export_entry(1, now - timedelta(days=4), login.format(ip=OTHER, user="bob"), uid=1000),
            export_entry(2, now - timedelta(minutes=1), "connect from unknown[192.0.2.50]"),
        ]
    )
    folder = warden.tmp / "bin"
    folder.mkdir()
    journalctl_reading(export, warden.tmp / "mail.journal", folder / "journalctl")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()

    daemon = warden.start()
    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]
    lines = said(caplog, "owners: first start:")
    assert len(lines) == 1
    assert lines[0].startswith(
        "owners: first start: 1 login(s) of the last 30d recalled from 0 log file(s) and the "
        "journal in "
    )


def test_a_rotation_during_the_look_back_reads_the_files_again(
    warden: Warden, now: datetime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # logrotate at boot, while the first start looks back: the oldest archive is
    # deleted between the choice of the files and their reading. The look-back
    # chooses again and reads what is there; it lost every login before.
    office_logs(warden, now)
    oldest = now - timedelta(days=8)
    doomed = rotated(Path(f"{warden.log}.3.gz"), noise(10, oldest), oldest)
    choose = recall.choose
    calls = 0

    def rotating(*args: Any) -> tuple[list[str], int]:
        nonlocal calls
        calls += 1
        chosen = choose(*args)
        if calls == 1:
            doomed.unlink()
        return chosen

    monkeypatch.setattr(recall, "choose", rotating)
    daemon = warden.start()
    drain(daemon)
    assert calls == 2
    assert banned(daemon) == set()
    rows = daemon.store.owners(now - timedelta(days=30), 100)
    assert [(str(row.network), row.account) for row in rows] == [(f"{OFFICE}/32", ALICE)]
    assert not said(caplog, "owners: look-back:")  # nothing to warn about: it was read
