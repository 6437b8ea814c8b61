"""Two inputs that hold the same entries (rsyslog writes every mail line to mail.log and
to syslog on Debian; the journal holds them too): each entry counts once, so that a user
who mistypes a password twice is not taken for a guesser at his "fourth" failure."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_daemon_journal import arrive, entry, fake_journal  # noqa: F401 (a fixture)
from wardenlab import ATTACKER, Warden, append, banned, guesses, sasl_failure, wait_until

from mailwarden.daemon.duplicates import CrossInputDuplicates
from mailwarden.daemon.loop import Daemon
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
    three = guesses()  # one attack's stamps, however long the steps below take
    both(warden, syslog, three[:2])
    daemon.step()

    assert banned(daemon) == set()  # two failures, not four
    assert daemon.counters.duplicates == 2
    said = [r.getMessage() for r in caplog.records if "repeats entries of" in r.getMessage()]
    assert said == [
        f"source: {syslog} repeats entries of {warden.log} (rsyslog writes mail lines to "
        "both): each entry is counted once"
    ]

    both(warden, syslog, three[2:])
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
    three = guesses()  # one attack's stamps, however long the restart takes
    two = three[:2]
    append(warden.log, two)
    first.step()
    first.close()
    append(syslog, two)  # their copies reach syslog while the daemon is stopped

    second = warden.start()  # warm-up: mail.log's tail; backlog: syslog's two lines
    second.step()
    assert banned(second) == set()

    both(warden, syslog, three[2:])
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


def journal_with(warden: Warden) -> None:
    warden.sections["sources"]["journal"] = True
    warden.write()


def rsyslog_line(item: dict[str, str], pid: bool = True) -> str:
    """rsyslog's line of a journal entry: the whole second, the same program and
    message; the pid when the program gave one (Dovecot does not)."""
    when = datetime.fromtimestamp(int(item["__REALTIME_TIMESTAMP"]) // 10**6, UTC)
    tag = f"{item['SYSLOG_IDENTIFIER']}[{item['_PID']}]" if pid else item["SYSLOG_IDENTIFIER"]
    return f"{when:%Y-%m-%dT%H:%M:%S+00:00} mx {tag}: {item['MESSAGE']}"


def read(daemon: Daemon, records: int) -> None:
    def done() -> bool:
        daemon.step()
        return daemon.counters.records >= records

    assert wait_until(done, 10)
    assert daemon.counters.records == records


def imap_login_failure(n: int, user: str) -> dict[str, str]:
    """Dovecot's failed login as journald stores it: Dovecot logs to syslog without a
    pid, so the entry has the sender's _PID and no SYSLOG_PID."""
    made = entry(n, user, comm="imap-login")
    made |= {
        "SYSLOG_IDENTIFIER": "dovecot",
        "_PID": "7508",
        "MESSAGE": "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in "
        f"2 secs): user=<{user}>, method=PLAIN, rip={ATTACKER}, lip=192.0.2.1, TLS, "
        f"session=<Sess{n:02d}abcdefghij>",
    }
    return made


def test_dovecot_in_the_journal_and_mail_log_counts_once(
    warden: Warden,
    fake_journal: Path,  # noqa: F811 (the fixture)
) -> None:
    # A user who mistyped twice was banned (3 failures within 5 minutes): mail.log's
    # line has no pid, the journal's copy has one, and neither was taken for the other.
    journal_with(warden)
    daemon = warden.start()
    # the three at one time (stamped by the clock): the third is no later for the steps
    *entries, third = [imap_login_failure(n, "alice") for n in (1, 2, 3)]
    arrive(fake_journal, entries)
    append(warden.log, [rsyslog_line(item, pid=False) for item in entries])
    read(daemon, 4)

    assert (daemon.counters.events, daemon.counters.duplicates) == (2, 2)
    assert banned(daemon) == set()

    arrive(fake_journal, [*entries, third])
    append(warden.log, rsyslog_line(third, pid=False))
    read(daemon, 6)
    assert banned(daemon) == {f"{ATTACKER}/32"}  # three failures


def test_two_processes_logging_one_text_are_two_entries(
    warden: Warden,
    fake_journal: Path,  # noqa: F811 (the fixture)
) -> None:
    # Two smtpd processes, one failure each, logged in one second with the same text:
    # two failures in each input, so two in all, and a third bans.
    journal_with(warden)
    daemon = warden.start()
    first, third = entry(1, "admin"), entry(3, "admin")  # one time, whatever the steps take
    entries = [first, first | {"__CURSOR": "s=abc;i=0002", "_PID": "1299"}]
    arrive(fake_journal, entries)
    append(warden.log, [rsyslog_line(item) for item in entries])
    read(daemon, 4)
    assert (daemon.counters.events, daemon.counters.duplicates) == (2, 2)
    assert banned(daemon) == set()

    arrive(fake_journal, [*entries, third])
    append(warden.log, rsyslog_line(third))
    read(daemon, 6)
    assert banned(daemon) == {f"{ATTACKER}/32"}


def test_a_copy_that_comes_minutes_later_counts_once(
    warden: Warden,
    fake_journal: Path,  # noqa: F811 (the fixture)
) -> None:
    # rsyslog (imjournal) restarted and wrote the journal's entries to mail.log again
    # from its state file, minutes after the daemon read them from the journal (or
    # mail.log could not be read for a while): they counted twice, and a user who
    # mistyped twice was banned.
    journal_with(warden)
    daemon = warden.start()
    later = [0.0]
    assert daemon._duplicates is not None
    daemon._duplicates.clock = lambda: time.monotonic() + later[0]  # the reading time
    # The three guesses are stamped at one time (``entry`` reads the clock): the third,
    # written after the steps below, must not come 10 s or more after the first two on a
    # busy machine (three names spread over PEOPLE_APART may be colleagues: no ban).
    *entries, third = [entry(n, user) for n, user in enumerate(["admin", "info", "sales"], 1)]
    arrive(fake_journal, entries)
    read(daemon, 2)

    later[0] = 300.0  # five minutes of reading later
    append(warden.log, [rsyslog_line(item) for item in entries])
    read(daemon, 4)
    assert (daemon.counters.events, daemon.counters.duplicates) == (2, 2)
    assert banned(daemon) == set()

    arrive(fake_journal, [*entries, third])
    append(warden.log, rsyslog_line(third))
    read(daemon, 6)
    assert banned(daemon) == {f"{ATTACKER}/32"}


def record(source: str, seconds: float, message: str = "m", pid: int = 1) -> Record:
    when = datetime(2026, 11, 28, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    return Record(when, "mx", "postfix/smtpd", pid, message, source, 1, 0, message)


def test_copies_are_never_matched_far_apart_nor_across_two_pids() -> None:
    seen = CrossInputDuplicates(["mail.log", "syslog"], tolerance=5)
    assert seen.first(record("mail.log", 0))
    assert seen.first(record("syslog", 6))  # 6 s apart: another entry
    assert seen.first(record("syslog", 1, pid=2))  # another process
    assert not seen.first(record("syslog", 1))
    untimed = Record(None, None, None, None, "m", "a", 1, 0, "m")
    assert seen.first(untimed) and seen.first(untimed._replace(source="b"))


def test_a_copy_without_a_pid_takes_the_copy_of_its_own_pid_first() -> None:
    # The journal has the entry of pid 8 and of pid 9; a file gives pid 9's with its
    # pid, and another entry of the same text without one: pid 8's is left for it.
    seen = CrossInputDuplicates(["journal", "mail.log"])
    assert seen.first(record("journal", 0, pid=8))
    assert seen.first(record("journal", 0, pid=9))
    assert not seen.first(record("mail.log", 0, pid=None))
    assert not seen.first(record("mail.log", 0, pid=9))
    assert seen.first(record("mail.log", 0, pid=9))  # a third entry: mail.log's own
    assert len(seen) == 1


def test_a_copy_is_kept_until_the_other_input_is_past_it() -> None:
    clock = [0.0]
    seen = CrossInputDuplicates(["journal", "mail.log"], hold=30, passed=30, clock=lambda: clock[0])
    assert seen.first(record("journal", 0))
    clock[0] = 3600.0  # an hour of reading later, mail.log has given nothing since
    assert seen.first(record("journal", 3600, message="other"))
    assert not seen.first(record("mail.log", 1))  # its copy, late: dropped
    assert seen.first(record("journal", 3601))
    assert seen.first(record("mail.log", 3640, message="later"))  # mail.log is past it
    clock[0] = 3640.0
    assert seen.first(record("mail.log", 3641, message="later still"))
    assert seen.first(record("mail.log", 3601))  # too late: forgotten, counted
    assert len(seen) == 3  # the copies given by every input are forgotten


def test_a_copy_is_kept_for_the_hold_whatever_the_logs_times_say() -> None:
    clock = [0.0]
    seen = CrossInputDuplicates(["a", "b"], hold=30, passed=30, clock=lambda: clock[0])
    assert seen.first(record("a", 600, message="before the clock was set back"))
    assert not seen.first(record("b", 600, message="before the clock was set back"))
    assert seen.first(record("a", 0))
    clock[0] = 29.0
    assert not seen.first(record("b", 0))  # b's times were past it: kept all the same
    assert seen.first(record("a", 1, message="n"))
    clock[0] = 60.0
    assert seen.first(record("b", 40, message="o"))  # past "n", 31 s of reading after
    assert seen.first(record("b", 1, message="n"))  # forgotten: counted


def test_at_most_limit_copies_are_kept() -> None:
    seen = CrossInputDuplicates(["a", "b"], limit=100)
    for n in range(1000):
        assert seen.first(record("a", n / 1000, message=str(n)))
    assert len(seen) == 100
    assert not seen.first(record("b", 0.999, message="999"))
    assert seen.first(record("b", 0, message="0"))


@pytest.mark.parametrize("order", [["a", "b", "a", "b"], ["a", "a", "b", "b"], ["b", "a", "b"]])
def test_each_input_keeps_as_many_copies_as_it_holds(order: list[str]) -> None:
    seen = CrossInputDuplicates()
    kept = [seen.first(record(source, 0)) for source in order]
    assert sum(kept) == max(order.count("a"), order.count("b"))
