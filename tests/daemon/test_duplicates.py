"""Two inputs that hold the same entries (rsyslog writes every mail line to mail.log and
to syslog on Debian; the journal holds them too): each entry counts once, so that a user
who mistypes a password twice is not taken for a guesser at his "fourth" failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_daemon_journal import arrive, entry, fake_journal  # noqa: F401 (a fixture)
from wardenlab import ATTACKER, Warden, append, banned, guesses, sasl_failure, wait_until

from mailwarden.daemon.duplicates import CrossInputDuplicates
from mailwarden.model import Record


@pytest.fixture
def syslog(warden: Warden) -> Path:
    """/var/log/syslog beside /var/log/mail.log, both followed."""
    path = warden.tmp / "syslog"
    path.touch()
    warden.sections["sources"]["files"] = [str(warden.log), str(path)]
    warden.write()
    return path


def both(warden: Warden, syslog: Path, lines: list[str]) -> None:
    """What rsyslog does: each line to mail.log, and to syslog between other lines."""
    append(warden.log, lines)
    for line in lines:
        append(syslog, ["2026-11-28T10:00:00.000000+00:00 mx CRON[77]: (root) CMD (true)", line])


def test_a_line_in_mail_log_and_syslog_counts_once(
    warden: Warden, syslog: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warden.start()
    two = guesses()[:2]
    both(warden, syslog, two)
    daemon.step()

    assert banned(daemon) == set()  # two failures, not four
    assert daemon.counters.duplicates == 2
    said = [r.getMessage() for r in caplog.records if "repeats entries of" in r.getMessage()]
    assert said == [
        f"source: {syslog} repeats entries of {warden.log} (rsyslog writes mail lines to "
        "both): each entry is counted once"
    ]

    both(warden, syslog, guesses()[2:])
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len([r for r in caplog.records if "repeats entries of" in r.getMessage()]) == 1


def test_a_line_the_other_file_gets_a_poll_later_counts_once(warden: Warden, syslog: Path) -> None:
    daemon = warden.start()
    two = guesses()[:2]
    append(warden.log, two)
    daemon.step()
    append(syslog, two)  # rsyslog wrote the second file after the daemon's poll
    daemon.step()

    assert banned(daemon) == set()
    assert daemon.counters.duplicates == 2


def test_two_identical_failures_in_one_file_still_count_twice(warden: Warden, syslog: Path) -> None:
    daemon = warden.start()
    # One smtpd process, one second, the same guess twice (AUTH again in one session):
    # two failures, in each file.
    same = sasl_failure(ATTACKER, "admin", pid=1500)
    both(warden, syslog, [same, same])
    daemon.step()
    assert banned(daemon) == set()

    both(warden, syslog, [sasl_failure(ATTACKER, "info", pid=1501)])
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_restart_between_the_two_copies_counts_the_line_once(
    warden: Warden, syslog: Path
) -> None:
    first = warden.start()
    two = guesses()[:2]
    append(warden.log, two)
    first.step()
    first.close()
    append(syslog, two)  # their copies reach syslog while the daemon is stopped

    second = warden.start()  # warm-up: mail.log's tail; backlog: syslog's two lines
    second.step()
    assert banned(second) == set()

    both(warden, syslog, guesses()[2:])
    second.step()
    assert banned(second) == {f"{ATTACKER}/32"}


def test_the_journal_and_mail_log_count_an_entry_once(
    warden: Warden,
    fake_journal: Path,  # noqa: F811 (the fixture)
) -> None:
    entries = [entry(n, user) for n, user in enumerate(["admin", "info"], 1)]
    warden.sections["sources"]["journal"] = True
    warden.write()
    daemon = warden.start()
    arrive(fake_journal, entries)
    # rsyslog's line of each entry: the whole second, the same program, pid and message.
    for item in entries:
        when = datetime.fromtimestamp(int(item["__REALTIME_TIMESTAMP"]) // 10**6, UTC)
        append(
            warden.log,
            f"{when:%Y-%m-%dT%H:%M:%S+00:00} mx {item['SYSLOG_IDENTIFIER']}[{item['_PID']}]: "
            f"{item['MESSAGE']}",
        )

    def read_all() -> bool:
        daemon.step()
        return daemon.counters.records >= 4

    assert wait_until(read_all, 10)

    assert daemon.counters.records == 4
    assert daemon.counters.duplicates == 2
    assert banned(daemon) == set()


def record(source: str, seconds: float, message: str = "m", pid: int = 1) -> Record:
    when = datetime(2026, 11, 28, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    return Record(when, "mx", "postfix/smtpd", pid, message, source, 1, 0, message)


def test_copies_are_forgotten_after_the_hold_and_never_matched_far_apart() -> None:
    clock = [0.0]
    seen = CrossInputDuplicates(hold=30, tolerance=5, clock=lambda: clock[0])
    assert seen.first(record("mail.log", 0))
    assert seen.first(record("syslog", 6))  # 6 s apart: another entry
    assert not seen.first(record("syslog", 1))
    assert seen.first(record("syslog", 1, pid=2))  # another process

    clock[0] = 31.0
    assert seen.first(record("syslog", 0))  # its copy is forgotten
    assert len(seen) == 1
    untimed = Record(None, None, None, None, "m", "a", 1, 0, "m")
    assert seen.first(untimed) and seen.first(untimed._replace(source="b"))


@pytest.mark.parametrize("order", [["a", "b", "a", "b"], ["a", "a", "b", "b"], ["b", "a", "b"]])
def test_each_input_keeps_as_many_copies_as_it_holds(order: list[str]) -> None:
    seen = CrossInputDuplicates()
    kept = [seen.first(record(source, 0)) for source in order]
    assert sum(kept) == max(order.count("a"), order.count("b"))
