"""`analyze` on an input out of time order: `cat mail.log*` or `zcat -f mail.log*` on
standard input gives the newest file first. The report says so under its headline (and
in the JSON's notes), with the command that gives the files in order; such an input is
read again as its time-ordered parts merged by time, so that the verdicts are those of
the same lines in time order, and a login is never "right after" guessing that came
later.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from analyze_logs import ROOT, Log, load_module, run_analyze, stamp

DAY = 86_400
NAT = "198.51.100.10"  # the office's shared address: people log in from it
ARGS = ("--year", "2026", "--timezone", "UTC")


def office_week(folder: Path) -> tuple[Path, Path]:
    """mail.log.1: Monday, the office logs in as office@ (nobody guesses). mail.log:
    Tuesday, eight clients each try office@ once (spraying, below every per-client
    threshold), an hour after Monday's login time of day."""
    monday, tuesday = Log(), Log()
    monday.quiet_traffic(0, 20)
    monday.submission_login(3600, NAT, "office@example.com")
    monday.quiet_traffic(7200, 20)
    for n in range(8):
        tuesday.sasl_failures(DAY + 7200 + n * 60, f"203.0.113.{20 + n}", "office@example.com", 1)
    tuesday.quiet_traffic(DAY + 9000, 20)
    return monday.write(folder / "mail.log.1"), tuesday.write(folder / "mail.log")


def analysed(*args: str | Path, stdin: str | None = None) -> tuple[dict[str, Any], str]:
    result = run_analyze(*ARGS, "--format", "json", *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data, result.stderr


def test_newest_file_first_on_stdin_is_said_and_makes_no_compromise(tmp_path: Path) -> None:
    older, live = office_week(tmp_path)
    newest_first = live.read_text() + older.read_text()
    back_at = live.read_text().count("\n") + 1  # the first line of Monday's file

    data, err = analysed("-", stdin=newest_first)
    found = re.search(r"standard input: line ([\d,]+) goes back in time", err)
    assert found, err
    # A line of Monday's file (the first the analysis looks at: deliveries are not).
    assert back_at <= int(found[1].replace(",", "")) < back_at + 20
    said = found[0]
    assert data["notes"][0].startswith(said)
    assert "giving the files as arguments reads them once" in data["notes"][0]
    # Tuesday's spraying came before Monday's login in this input, not before it in time:
    # the office logging in is no break-in.
    assert data["compromised"] == []
    assert NAT not in {a["ip"] for a in data["attackers"]}

    text = run_analyze(*ARGS, "-", stdin=newest_first).stdout
    head = " ".join(text.split("Attackers")[0].split())
    assert said in head, text  # under the headline, before any table


def test_a_small_log_newest_first_in_one_chunk_is_said_too(tmp_path: Path) -> None:
    # Both files within one 1 MiB chunk: the chunk's first and last entries are hours
    # apart in the right order, yet everything between goes back a day.
    older, live = office_week(tmp_path)
    assert older.stat().st_size + live.stat().st_size < 1 << 20
    jumbled = tmp_path / "jumbled.log"
    jumbled.write_text(live.read_text() + older.read_text())
    for args, stdin in ((("-",), jumbled.read_text()), ((str(jumbled),), None)):
        data, err = analysed(*args, stdin=stdin)
        assert "goes back in time" in err, args
        assert data["compromised"] == []
    assert "if it joins several logs" in err  # a file: the advice for a file


def test_oldest_first_on_stdin_is_the_same_as_the_files(tmp_path: Path) -> None:
    older, live = office_week(tmp_path)
    in_order, err = analysed("-", stdin=older.read_text() + live.read_text())
    files, files_err = analysed(older, live)
    assert err == files_err == ""
    assert not any("goes back in time" in note for note in in_order["notes"] + files["notes"])
    assert verdicts(in_order) == verdicts(files) and in_order["compromised"] == []


def verdicts(data: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The attackers as judged (evidence names its source: ``-`` or the file)."""
    return [(a["ip"], a["verdict"], a["failures"]) for a in data["attackers"]]


def test_an_hour_back_is_no_disorder(tmp_path: Path) -> None:
    # Two hosts' clocks an hour apart in one syslog (or a local clock at the end of
    # summer time): not an input given in the wrong order.
    log = Log()
    for n in range(30):
        log.lines.append(
            f"{stamp(n * 120)} mx postfix/smtpd[{100 + n}]: connect from unknown[192.0.2.{n}]"
        )
        log.lines.append(
            f"{stamp(n * 120 - 3600)} relay postfix/smtpd[{200 + n}]: "
            f"connect from unknown[198.51.100.{n}]"
        )
    data, err = analysed(log.write(tmp_path / "mail.log"))
    assert err == "" and data["notes"] == []


def test_one_of_two_merged_inputs_out_of_order_is_named(tmp_path: Path) -> None:
    older, live = office_week(tmp_path)
    jumbled = tmp_path / "jumbled" / "mail.log"
    jumbled.parent.mkdir()
    jumbled.write_text(live.read_text() + older.read_text())
    dovecot = Log()
    dovecot.imap_failures(DAY, "192.0.2.80", "carol@example.com", 6, "s1")
    dovecot_log = dovecot.write(tmp_path / "dovecot.log")

    data, err = analysed(jumbled, dovecot_log)
    assert f"{jumbled}: line " in err and "goes back in time" in err
    assert str(dovecot_log) not in err
    assert len([n for n in data["notes"] if "goes back in time" in n]) == 1


def test_two_process_path_says_it_too(tmp_path: Path) -> None:
    from mailwarden.scan import streams_of
    from mailwarden.scanpool import two_cores, worth_a_worker

    if not two_cores():
        pytest.skip("the two-process path needs two cores")
    generate = load_module("generate", ROOT / "benchmarks" / "generate.py").generate
    lines = [line + "\n" for line in generate(100_000, clients=2000)]  # 12 MB, 5.6 hours
    half = len(lines) // 2
    big = tmp_path / "archive.log"
    big.write_text("".join(lines[half:] + lines[:half]))  # the later half first
    assert worth_a_worker(streams_of([str(big)]))

    data, err = analysed(big)
    found = re.search(rf"{re.escape(str(big))}: line ([\d,]+) goes back in time", err)
    assert found, err
    assert len(lines) - half < int(found[1].replace(",", "")) < len(lines) - half + 50
    assert data["notes"][0].startswith(found[0])


def test_an_entry_after_one_dated_past_9999_is_said_not_a_traceback(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    line = (
        " mx postfix/smtpd[1]: warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: x\n"
    )
    log.write_text("9999-12-31T23:59:59-23:59" + line + "2026-02-23T11:57:42+00:00" + line)
    done = run_analyze(log)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "goes back in time" in done.stderr


def three_days(folder: Path) -> tuple[Path, Path, Path]:
    """mail.log.2, mail.log.1, mail.log: three days. A phone logs in as alice on the
    first and fails with her old password on the second (a stale device, no break-in);
    203.0.113.7 guesses carol's password at the end of the second day and logs in as
    her a minute into the third (a break-in)."""
    first, second, third = Log(), Log(), Log()
    first.quiet_traffic(0, 10)
    first.submission_login(3600, PHONE, "alice@example.com")
    second.quiet_traffic(DAY, 10)
    second.sasl_failures(DAY + 3600, PHONE, "alice@example.com", 12, every=30)
    second.sasl_failures(2 * DAY - 100, GUESSER, "carol@example.com", 20)
    third.submission_login(2 * DAY + 30, GUESSER, "carol@example.com")
    third.quiet_traffic(2 * DAY + 100, 10)
    return (
        first.write(folder / "mail.log.2"),
        second.write(folder / "mail.log.1"),
        third.write(folder / "mail.log"),
    )


PHONE, GUESSER = "192.0.2.50", "203.0.113.7"


def judged(data: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Who got in as whom, and each attacker's verdict."""
    compromised = sorted((c["user"], c["ip"]) for c in data["compromised"])
    return compromised, {a["ip"]: a["verdict"] for a in data["attackers"]}


def test_newest_first_on_stdin_is_judged_as_in_time_order(tmp_path: Path) -> None:
    # zcat -f mail.log* | mailwarden analyze -: the newest day first, the oldest last.
    oldest, middle, live = three_days(tmp_path)
    files, _ = analysed(live, middle, oldest)  # a rotated set: read oldest first
    assert judged(files) == (
        [("carol@example.com", GUESSER)],
        {GUESSER: "compromised", PHONE: "stale_password"},
    )
    newest_first = live.read_text() + middle.read_text() + oldest.read_text()
    jumbled = tmp_path / "jumbled.log"
    jumbled.write_text(newest_first)
    for args, stdin in ((("-",), newest_first), ((jumbled,), None)):
        data, err = analysed(*args, stdin=stdin)
        # Counted in the order given, the phone got in by guessing and the intruder
        # was a stale phone.
        assert judged(data) == judged(files), args
        assert [(a["ip"], a["failures"]) for a in data["attackers"]] == [
            (a["ip"], a["failures"]) for a in files["attackers"]
        ]
        assert len(data["notes"]) == 1 and "goes back in time" in err
        assert "read again as its 3 time-ordered parts merged by time" in data["notes"][0]


def test_a_jumbled_log_merged_with_another_is_judged_as_in_time_order(tmp_path: Path) -> None:
    # mail.log newest day first beside dovecot.log: the runs of the one and the other
    # log are merged by time together.
    oldest, middle, live = three_days(tmp_path)
    dovecot = Log()
    dovecot.imap_failures(DAY + 500, "198.51.100.77", "dave@example.com", 8, "s1")
    dovecot.imap_login(2 * DAY + 60, "198.51.100.77", "dave@example.com", "s2")
    dovecot_log = dovecot.write(tmp_path / "dovecot.log")
    in_order = tmp_path / "ordered" / "mail.log"
    in_order.parent.mkdir()
    in_order.write_text(oldest.read_text() + middle.read_text() + live.read_text())
    jumbled = tmp_path / "jumbled" / "mail.log"
    jumbled.parent.mkdir()
    jumbled.write_text(live.read_text() + middle.read_text() + oldest.read_text())

    expected, _ = analysed(in_order, dovecot_log)
    assert judged(expected)[1][PHONE] == "stale_password"
    data, err = analysed(jumbled, dovecot_log)
    assert judged(data) == judged(expected)
    assert f"{jumbled}: line " in err and str(dovecot_log) not in err


def test_standard_input_from_a_file_is_read_again_where_it_is(tmp_path: Path) -> None:
    # mailwarden analyze - < jumbled.log: read again from the file (nothing copied).
    oldest, middle, live = three_days(tmp_path)
    files, _ = analysed(live, middle, oldest)
    jumbled = tmp_path / "jumbled.log"
    jumbled.write_text(live.read_text() + middle.read_text() + oldest.read_text())

    done = run_analyze(*ARGS, "--format", "json", "-", stdin_file=jumbled)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert judged(data) == judged(files)
    assert "read again as its 3 time-ordered parts" in data["notes"][0]


def test_the_later_half_first_is_judged_as_in_time_order(tmp_path: Path) -> None:
    # 100,000 lines of attacks (five and a half hours), the later half given first:
    # counted in that order, clients that were enumerating and spraying become brute
    # forcers (their windows go back in time). A file read by the two-process path
    # where there are two cores, and standard input.
    generate = load_module("generate", ROOT / "benchmarks" / "generate.py").generate
    lines = [line + "\n" for line in generate(100_000, clients=2000)]
    half = len(lines) // 2
    ordered = tmp_path / "ordered.log"
    ordered.write_text("".join(lines))
    swapped = tmp_path / "swapped.log"
    swapped.write_text("".join(lines[half:] + lines[:half]))

    def verdicts_of(data: dict[str, Any]) -> list[tuple[str, str, int]]:
        return sorted((a["ip"], a["verdict"], a["failures"]) for a in data["attackers"])

    expected, err = analysed(ordered)
    assert err == "" and len(expected["attackers"]) > 100
    for args, stdin in ((("-",), swapped.read_text()), ((swapped,), None)):
        data, err = analysed(*args, stdin=stdin)
        assert "goes back in time" in err
        assert verdicts_of(data) == verdicts_of(expected), args
        assert judged(data) == judged(expected)
        assert data["stats"]["lines_read"] == expected["stats"]["lines_read"]


HOUR = 3600
INTRUDER = "203.0.113.9"


def hourly_logs(folder: Path) -> tuple[Path, Path, Path]:
    """z.log, y.log, x.log: three pieces of one log, oldest first. y.log: 203.0.113.9
    fails 15 times on alice from 13:00 to 13:42; x.log: it logs in as alice at 13:50,
    then other people log in until 15:00; z.log: one login at 08:00."""
    x, y, z = Log(), Log(), Log()
    z.submission_login(8 * HOUR, "198.51.100.60", "bob@example.com")
    y.sasl_failures(13 * HOUR, INTRUDER, "alice@example.com", 15, every=175)
    x.submission_login(13 * HOUR + 50 * 60, INTRUDER, "alice@example.com")
    for n in range(7):
        x.submission_login(14 * HOUR + n * 600, f"198.51.100.{70 + n}", f"u{n}@example.com")
    return z.write(folder / "z.log"), y.write(folder / "y.log"), x.write(folder / "x.log")


def test_pieces_joined_newest_first_going_back_under_three_hours(tmp_path: Path) -> None:
    # cat x.log y.log z.log: y.log goes back 2 hours from x.log (less than the 3 hours
    # that start a new part, more than the 10 minutes past which a short run starts: a
    # part of its own too, as there are few), z.log further. Read again, the failures
    # come before the login they led to, as in the files named.
    z, y, x = hourly_logs(tmp_path)
    files, err = analysed(z, y, x)
    assert err == "" and judged(files) == (
        [("alice@example.com", INTRUDER)],
        {INTRUDER: "compromised"},
    )
    newest_first = x.read_text() + y.read_text() + z.read_text()
    jumbled = tmp_path / "jumbled.log"
    jumbled.write_text(newest_first)
    for args, stdin in ((("-",), newest_first), ((jumbled,), None)):
        data, err = analysed(*args, stdin=stdin)
        assert judged(data) == judged(files), args
        assert [(a["ip"], a["failures"]) for a in data["attackers"]] == [
            (a["ip"], a["failures"]) for a in files["attackers"]
        ]
        assert "judged as in time order" in data["notes"][0], args


def analysed_here(*args: str | Path, stdin: str | None = None) -> dict[str, Any]:
    """`mailwarden analyze --format json ARGS` in this process (a limit lowered)."""
    from click.testing import CliRunner

    from mailwarden.cli import cli

    done = CliRunner().invoke(
        cli, ["analyze", *ARGS, "--format", "json", *map(str, args)], input=stdin
    )
    assert done.exit_code == 0, done.output
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_too_much_to_hold_within_a_part_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Putting a part in time order holds its entries for as long as it goes back (x.log's
    # first login line after its session's disconnect, 3 seconds later): past
    # scan.HOLD_MAX records the note no longer says it is judged in time order.
    from mailwarden import scan

    z, y, x = hourly_logs(tmp_path)
    jumbled = tmp_path / "jumbled.log"
    lines = x.read_text().splitlines(keepends=True)
    assert "sasl_username=alice" in lines[1] and "disconnect" in lines[6]
    lines.insert(6, lines.pop(1))
    jumbled.write_text("".join(lines) + y.read_text() + z.read_text())
    monkeypatch.setattr(scan, "HOLD_MAX", 1)
    note = analysed_here(jumbled)["notes"][0]
    assert "read again as its 3 time-ordered parts merged by time" in note
    assert "too many entries go back less than 3 hours" in note
    assert "judged as in time order" not in note


def test_standard_input_too_big_to_copy_says_why_it_was_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pipe is copied to be read again, at most STDIN_COPY_LIMIT bytes (and half the
    # free space of TMPDIR): past it, the note says so.
    from mailwarden.sources import files

    oldest, middle, live = three_days(tmp_path)
    newest_first = live.read_text() + middle.read_text() + oldest.read_text()
    monkeypatch.setattr(files, "STDIN_COPY_LIMIT", 4096)
    note = analysed_here("-", stdin=newest_first)["notes"][0]
    assert "entries are counted in the order given" in note
    assert "it was not read again in time order, as its copy would pass 4.0 KiB" in note


def test_a_newest_piece_under_three_hours_old_first_is_judged_as_in_time_order(
    tmp_path: Path,
) -> None:
    # cat mail.log mail.log.1 when mail.log is under 3 hours old: a login at 10:00, then
    # six failures of its address as that account at 09:00-09:05. It goes back more than
    # 10 minutes: cut there, read again in time order, and said.
    login = (
        "Nov 30 10:00:00 mx dovecot: imap-login: Login: user=<info@example.org>,"
        " method=PLAIN, rip=203.0.113.7, lip=198.51.100.25, mpid=2001, TLS, session=<L1>\n"
    )
    failures = "".join(
        f"Nov 30 09:0{n}:00 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts"
        " in 2 secs): user=<info@example.org>, method=PLAIN, rip=203.0.113.7,"
        f" lip=198.51.100.25, TLS, session=<f{n}>\n"
        for n in range(6)
    )
    ordered, given = tmp_path / "ordered.log", tmp_path / "given.log"
    ordered.write_text(failures + login)
    given.write_text(login + failures)
    in_order, _err = analysed(ordered)
    assert [(c["user"], c["ip"]) for c in in_order["compromised"]] == [
        ("info@example.org", "203.0.113.7")
    ]
    for args, stdin in (((given,), None), (("-",), login + failures)):
        data, _err = analysed(*args, stdin=stdin)
        assert judged(data) == judged(in_order), args
        assert len(data["notes"]) == 1 and "line 2 goes back in time" in data["notes"][0]
        assert "read again as its 2 time-ordered parts merged by time" in data["notes"][0]


BREAK_IN = "198.51.100.151"


def joined_minutes_back() -> tuple[str, str]:
    """(dovecot.log, mail.log) of one address, as ``grep`` leaves them: dave@ logs in
    over IMAP at 09:04:30 after 48 SASL failures on SMTP, 09:00:00 to 09:03:55."""
    dovecot = (
        f"Nov 28 09:04:30 mx dovecot: imap-login: Login: user=<dave@example.com>,"
        f" method=PLAIN, rip={BREAK_IN}, lip=192.0.2.1, mpid=556, TLS, session=<abd>\n"
    )
    mail = "".join(
        f"Nov 28 09:{n * 5 // 60:02d}:{n * 5 % 60:02d} mx postfix/smtpd[100]: warning:"
        f" unknown[{BREAK_IN}]: SASL LOGIN authentication failed: authentication failure,"
        " sasl_username=dave@example.com\n"
        for n in range(48)
    )
    return dovecot, mail


def test_two_logs_joined_going_back_minutes_are_judged_as_in_time_order(
    tmp_path: Path,
) -> None:
    # cat dovecot.log mail.log | grep ADDRESS | mailwarden analyze -: the login comes
    # first, 4.5 minutes after the guessing that follows it. Counted in the order
    # given, the guesser was a phone with an old password; read again in time order,
    # it got in, as with the two files named.
    dovecot, mail = joined_minutes_back()
    (tmp_path / "dovecot.log").write_text(dovecot)
    (tmp_path / "mail.log").write_text(mail)
    files, err = analysed(tmp_path / "dovecot.log", tmp_path / "mail.log")
    assert err == ""
    assert judged(files) == ([("dave@example.com", BREAK_IN)], {BREAK_IN: "compromised"})
    joined = tmp_path / "joined.log"
    joined.write_text(dovecot + mail)
    for args, stdin in ((("-",), dovecot + mail), ((joined,), None)):
        data, err = analysed(*args, stdin=stdin)
        assert judged(data) == judged(files), args
        assert len(data["notes"]) == 1 and "line 2 goes back in time" in data["notes"][0]
        assert "read again and put in time order" in data["notes"][0], args
        assert data["notes"][0] in err


def test_a_syslog_of_two_hosts_whose_clocks_differ_is_counted_as_it_came(tmp_path: Path) -> None:
    # A central syslog: mx logs 30 guesses 10:00:00-10:00:58, then mx2, whose clock is
    # 90 s slow, logs the login that followed, stamped 09:59:35. The order the file
    # gives is the order the lines came: no join, not read again, a break-in.
    guesses = "".join(
        f"Nov 28 10:00:{n * 2:02d} mx postfix/submission/smtpd[4000]: warning:"
        f" unknown[{BREAK_IN}]: SASL LOGIN authentication failed: authentication failure,"
        " sasl_username=alice@example.com\n"
        for n in range(30)
    )
    login = (
        "Nov 28 09:59:35 mx2 dovecot: imap-login: Login: user=<alice@example.com>,"
        f" method=PLAIN, rip={BREAK_IN}, lip=192.0.2.1, mpid=5555, TLS, session=<abcd>\n"
    )
    path = tmp_path / "central.log"
    path.write_text(guesses + login)
    data = analysed_here(path)
    assert data["notes"] == []  # not read again (a second reading is said)
    assert judged(data) == ([("alice@example.com", BREAK_IN)], {BREAK_IN: "compromised"})


def test_a_host_s_join_is_seen_past_another_host_s_step_back(tmp_path: Path) -> None:
    # mx's login at 09:04:30, then one line of mx2 (its clock behind) at 09:00:00, then
    # mx's 47 guesses from 09:00:05 (logs joined): mx2's step back, no join, must not
    # hide mx's. And Dovecot's own log file (no host) joined with a syslog: a join too.
    login = (
        f"Nov 28 09:04:30 mx dovecot: imap-login: Login: user=<dave@example.com>,"
        f" method=PLAIN, rip={BREAK_IN}, lip=192.0.2.1, mpid=556, TLS, session=<abd>\n"
    )
    other = "Nov 28 09:00:00 mx2 postfix/smtpd[9]: connect from unknown[192.0.2.9]\n"
    guesses = "".join(
        f"Nov 28 09:{n * 5 // 60:02d}:{n * 5 % 60:02d} mx postfix/smtpd[100]: warning:"
        f" unknown[{BREAK_IN}]: SASL LOGIN authentication failed: authentication failure,"
        " sasl_username=dave@example.com\n"
        for n in range(1, 48)
    )
    own_file = (
        f"2026-11-28 09:04:30 imap-login: Info: Login: user=<dave@example.com>,"
        f" method=PLAIN, rip={BREAK_IN}, lip=192.0.2.1, mpid=556, TLS, session=<abd>\n"
    )
    for name, text in (("j3.log", login + other + guesses), ("own.log", own_file + guesses)):
        path = tmp_path / name
        path.write_text(text)
        data = analysed_here(path)
        (note,) = data["notes"]
        assert "read again and put in time order" in note, name
        assert judged(data) == ([("dave@example.com", BREAK_IN)], {BREAK_IN: "compromised"})


@pytest.mark.parametrize("late", [45, 90, 300])
def test_a_log_s_own_disorder_after_its_start_is_read_once(tmp_path: Path, late: int) -> None:
    # Every tenth line reaches the log `late` seconds after its time (a busy process, a
    # syslog's queue, a host whose clock is behind): steps back after the log's start,
    # read once as given. Only a part that starts before the input's first entry is a
    # join (tests above).
    log = Log()
    for n in range(200):
        at = 600 + n * 10 - (late if n % 10 == 9 and n > 40 else 0)
        log.lines.append(
            f"{stamp(at)} mx postfix/smtpd[{100 + n}]: warning: unknown[192.0.2.{n}]: SASL"
            " LOGIN authentication failed: authentication failure, sasl_username=guest"
        )
    data = analysed_here(log.write(tmp_path / "mail.log"))
    assert data["notes"] == []  # not read again (a second reading is said)


def test_minutes_back_on_standard_input_too_big_to_copy_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not read again: the note says that the entries were counted as given, and why.
    from mailwarden.sources import files

    dovecot, mail = joined_minutes_back()
    monkeypatch.setattr(files, "STDIN_COPY_LIMIT", 1024)
    data = analysed_here("-", stdin=dovecot + mail)
    assert len(data["notes"]) == 1
    assert "standard input: line 2 goes back in time" in data["notes"][0]
    assert "entries are counted in the order given" in data["notes"][0]
    assert "not read again in time order, as its copy would pass 1.0 KiB" in data["notes"][0]


def crc_damaged(path: Path, days: int) -> Path:
    """A gzip archive whose check fails at its end (one flipped byte of its CRC): its
    lines, read before the damage came to light, go back a day ``days - 1`` times."""
    import gzip

    log = Log()
    for day in reversed(range(days)):
        log.sasl_failures(day * DAY, "203.0.113.9", "carol@example.com", 3)
    data = bytearray(gzip.compress(log.text().encode()))
    data[-8] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("days", [2, 20])
def test_a_corrupt_archive_going_back_is_not_advised_as_joined_logs(
    tmp_path: Path, days: int
) -> None:
    # Its garbage may be what goes back: the note says so, not "if it joins several
    # logs"; read again in time order (2 days) or not (too many parts: 20 days).
    archive = crc_damaged(tmp_path / "mail.log.2.gz", days)
    data, err = analysed(archive)
    assert "corrupt gzip data" in data["problems"][0]
    (note,) = data["notes"]
    assert re.match(rf"{re.escape(str(archive))}: line \d+ goes back in time", note), note
    assert ("read again as its 2 time-ordered parts" in note) is (days == 2)
    assert ("counted in the order given" in note) is (days == 20)
    assert "it is a corrupt archive, as a problem says" in note
    assert "joins several logs" not in note and note in err


def test_a_file_going_back_beside_standard_input_too_big_to_copy_is_counted_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second reading reads every input again: with standard input not kept it would
    # fail ("standard input cannot be read again"). The file is counted as given, said.
    from mailwarden.sources import files

    dovecot, mail = joined_minutes_back()
    oldest, middle, live = three_days(tmp_path)
    for jumbled in (dovecot + mail, live.read_text() + middle.read_text()):
        given = tmp_path / "given.log"
        given.write_text(jumbled)
        monkeypatch.setattr(files, "STDIN_COPY_LIMIT", 1024)
        data = analysed_here("-", given, stdin=oldest.read_text())
        assert len(data["notes"]) == 1
        assert data["notes"][0].startswith(f"{given}: line ")
        assert "entries are counted in the order given" in data["notes"][0]
