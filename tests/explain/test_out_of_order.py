# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`explain` on an input out of time order: `cat mail.log mail.log.1` on standard input
(or saved as one file) gives today's lines before yesterday's. It says so, as analyze
does, at the top of the explanation and on standard error, in English and Chinese; and
it reads such an input again as its time-ordered parts merged by time, as analyze does,
so that its verdict is analyze's: yesterday's login of the owner is no break-in by
today's failures, and failures given after a login they came before are a break-in, as
in time order. An input that cannot be read again (a pipe that is no standard input)
is judged by the time stamps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from clirunner import Runner

LogFile = Callable[[str], str]
IP = "198.51.100.20"
# mail.log.1: the owner logs in yesterday morning.
YESTERDAY = f"Mar  9 08:00:00 mx dovecot: imap-login: Login: user=<alice@example.org>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=100, TLS, session=<a1>\n"


def failures(day: str, user: str = "alice@example.org", minute: int = 0) -> str:
    """Six failed logins a minute apart (a phone with an old password, or a bot)."""
    return "".join(
        f"{day} 09:{minute + n:02d}:00 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, session=<{user[0]}{n}>\n"
        for n in range(6)
    )


# mail.log: today the phone with the old password fails six times.
TODAY = failures("Mar 10")


def flat(text: str) -> str:
    return " ".join(text.split())


def explain_stdin(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`… | mailwarden explain --year 2026 ARGS -` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", "explain", "--year", "2026", *args, "-"],
        input=text,
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": "", "COLUMNS": "80"},
        timeout=120,
        check=False,
    )


BACK = "line 7 goes back in time (2026-03-09 08:00:00+00:00 after 2026-03-10 09:05:00+00:00):"
READ_AGAIN = f"{BACK} it was read again as its 2 time-ordered parts merged by time, so attacks and logins are judged as in time order;"
AS_GIVEN = f"{BACK} entries are counted in the order given, so attacks and logins may be misjudged;"
NO_BREAK_IN = (
    "got in",
    "YES",
    "guessed the password",
    "Change the password",
    "mailwarden ban",
    f"Block {IP}",
)


def test_newest_file_first_on_stdin_is_said_and_is_no_break_in() -> None:
    done = explain_stdin(TODAY + YESTERDAY)
    assert done.returncode == 0, done.stderr
    note = (
        f"standard input: {READ_AGAIN} giving the files as arguments reads them once "
        "(mailwarden explain /var/log/mail.log*: a rotated set is read oldest first)"
    )
    assert done.stderr == f"mailwarden: warning: {note}\n"
    out = flat(done.stdout)
    assert out.startswith(note + " What these log lines mean"), out[:400]
    verdict = out.split("Verdict ======= ", 1)[1]
    for wrong in NO_BREAK_IN:
        assert wrong not in verdict, wrong
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Most likely not."
    ), verdict
    # In time order the detector itself judges the owner's device with an old password.
    assert "mailwarden's detector does not count them as an attack either" in verdict
    assert "most likely a phone or mail program with an old password" in verdict


def test_newest_file_first_in_chinese() -> None:
    done = explain_stdin(TODAY + YESTERDAY, "--lang", "zh_CN")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("mailwarden: 警告：标准输入：第 7 行的时间倒退了"), done.stderr
    assert "mailwarden explain /var/log/mail.log*" in done.stderr
    out = "".join(done.stdout.split())
    assert out.startswith("标准输入：第7行的时间倒退了"), out[:200]
    verdict = out.split("结论", 1)[1]
    assert "很可能没有。" in verdict and "旧密码" in verdict
    for wrong in ("是的", "登录成功了", "立即修改", "在防火墙中封禁", "goesbackintime"):
        assert wrong not in verdict, wrong


def test_the_same_saved_as_one_file(run: Runner, tmp_path: Path) -> None:
    """``cat mail.log mail.log.1 > all.log; mailwarden explain all.log``: the advice is
    a file's; the verdict the same as of the files given as arguments."""
    joined = tmp_path / "all.log"
    joined.write_text(TODAY + YESTERDAY)
    code, out, err = run("explain", "--year", "2026", str(joined))
    assert code == 0, err
    note = (
        f"{joined}: {READ_AGAIN} if it joins several logs (cat mail.log mail.log.1), giving "
        "those as arguments reads them once"
    )
    assert flat(err) == flat(f"mailwarden: warning: {note}")
    out = flat(out)
    assert out.startswith(note), out[:400]
    for wrong in NO_BREAK_IN:
        assert wrong not in out, wrong
    assert "Most likely not." in out
    # The files themselves, in time order: no warning, the owner's old password.
    (tmp_path / "mail.log.1").write_text(YESTERDAY)
    (tmp_path / "mail.log").write_text(TODAY)
    code, out, err = run(
        "explain", "--year", "2026", str(tmp_path / "mail.log"), str(tmp_path / "mail.log.1")
    )
    assert (code, err) == (0, "")
    assert "Most likely not." in flat(out) and "goes back in time" not in out
    _code, zh, err = run("explain", "--lang", "zh_CN", "--year", "2026", str(joined))
    assert "".join(err.split()).startswith(f"mailwarden:警告：{joined}：第7行的时间倒退了")
    assert "很可能没有。" in "".join(zh.split())


def _no_break_in(run: Runner, path: str) -> str:
    """analyze reports no break-in of ``path``; explain's verdict, which says none."""
    _code, out, _err = run("analyze", "--year", "2026", "--format", "json", path)
    assert json.loads(out)["compromised"] == []
    code, out, _err = run("explain", "--year", "2026", path)
    assert code == 0
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    for wrong in ("got in as", "Yes, and", "YES", "Change the password", "Maybe"):
        assert wrong not in verdict, wrong
    return verdict


def test_a_login_before_guessing_at_another_account_is_judged_as_in_time_order(
    run: Runner, log_file: LogFile
) -> None:
    """The address logged in as alice yesterday; today it fails as alice and as bob (a
    guess at another account), and the lines come newest first (``cat mail.log
    mail.log.1``). Read again in time order, as analyze reads it, the detector counts no
    break-in (the login came before the guessing), and explain says none either, in
    time order or not; it says the login, before the failures, and to block the
    address."""
    guessing = TODAY + failures("Mar 10", "bob@example.org", 10)
    for text in (guessing + YESTERDAY, YESTERDAY + guessing):
        verdict = _no_break_in(run, log_file(text))
        assert verdict.startswith(
            "Is someone trying to break into your mail accounts? Yes. Someone is trying to "
            "guess passwords; nobody got in."
        ), verdict[:300]
        assert (
            "It logged in as “alice@example.org” (Mar 9 08:00:00), but before its failed "
            "logins, not after them"
        ) in verdict
        assert f"Block {IP}" in verdict  # it is guessing
    _code, zh, _err = run(
        "explain", "--lang", "zh_CN", "--year", "2026", log_file(guessing + YESTERDAY)
    )
    assert "立即修改" not in "".join(zh.split())


def stuffing(first: str) -> str:
    """``first`` logs in as bob at 10:00, then fails as 12 other accounts from 10:05 on,
    three seconds apart (credential stuffing), the lines in time order."""
    lines = [
        f"Nov 29 10:00:00 mx dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip={first}, lip=192.0.2.1, mpid=4000, TLS, session=<s0>\n"
    ]
    others = "alice carol dave erin frank grace heidi ivan judy mallory oscar peggy"
    for n, user in enumerate(others.split()):
        lines.append(
            f"Nov 29 10:05:{3 * n:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={first}, lip=192.0.2.1, TLS, session=<x{n}>\n"
        )
    return "".join(lines)


def test_in_time_order_a_login_then_guessing_at_others_is_no_break_in_as_analyze(
    run: Runner, log_file: LogFile
) -> None:
    """In time order, a client that logged in as bob and then guessed at other accounts
    (a list of stolen passwords, tried elsewhere): analyze reports no break-in, its
    login came before its guessing; explain says no more (the login is shown, before
    the failures), in English and Chinese."""
    verdict = _no_break_in(run, log_file(stuffing("203.0.113.5")))
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes. Someone is trying to "
        "guess passwords; nobody got in."
    ), verdict[:300]
    assert "It logged in as “bob” (Nov 29 10:00:00), but before its failed logins" in verdict
    _code, zh, _err = run(
        "explain", "--lang", "zh_CN", "--year", "2026", log_file(stuffing("203.0.113.5"))
    )
    zh = "".join(zh.split()).split("结论", 1)[1]
    assert "是的，而且至少有一个攻击者已经登录进去了。" not in zh
    assert "立即修改“bob”的密码" not in zh


def test_failures_given_after_the_login_they_came_before(run: Runner, log_file: LogFile) -> None:
    """The reverse: a login given first, failures of the day before after it (``cat
    mail.log mail.log.1`` once more). Read in that order the login seems to come first,
    the failures an old password's; read again in time order, as analyze reads it, the
    login followed six failures of a slow brute force: a break-in, as analyze says."""
    before = failures("Mar  8")
    path = log_file(YESTERDAY + before)
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert [(c["ip"], c["by_others"]) for c in json.loads(out)["compromised"]] == [(IP, False)]
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0 and "line 2 goes back in time" in err, err
    assert "it was read again as its 2 time-ordered parts" in err, err
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Yes, and at least one attacker got in."
    ), verdict[:300]
    assert "YES: it got in as “alice@example.org”." in verdict
    for wrong in ("Most likely not", "old password", "this machine itself"):
        assert wrong not in verdict, wrong
    # In time order the same.
    code, out, err = run("explain", "--year", "2026", log_file(before + YESTERDAY))
    assert (code, err) == (0, "") and "YES: it got in" in out


def test_a_pipe_that_cannot_be_read_again_is_judged_by_the_time_stamps(tmp_path: Path) -> None:
    """The same lines through a named pipe (not standard input, which is kept): read
    once, in the order given, so the verdict judges the login by the time stamps: after
    six failures, which only the owner can tell from a guess that worked."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    text = YESTERDAY + failures("Mar  8")
    writer = threading.Thread(target=fifo.write_text, args=(text,))
    writer.start()
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "explain", "--year", "2026", str(fifo)],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": "", "COLUMNS": "80"},
        timeout=120,
        check=False,
    )
    writer.join()
    assert done.returncode == 0, done.stderr
    assert "entries are counted in the order given" in done.stderr, done.stderr
    verdict = flat(done.stdout).split("Verdict ======= ", 1)[1]
    assert "Maybe. A login followed failed ones" in verdict
    assert (
        "It logged in as “alice@example.org”. That was after 6 failed attempts: a guess "
        "that worked, or its owner retyping a mistyped password. Ask the owner."
    ) in verdict


def test_merged_logs_say_the_one_out_of_order(run: Runner, tmp_path: Path) -> None:
    """mail.log and auth.log merged by time: the one that goes back in time is named."""
    jumbled = tmp_path / "mail.log"
    jumbled.write_text(TODAY + YESTERDAY)
    other = tmp_path / "auth.log"
    other.write_text(
        "Mar  9 07:00:00 mx sshd[5]: Server listening on 0.0.0.0 port 22.\n"
        "Mar 10 07:00:00 mx sshd[5]: Server listening on 0.0.0.0 port 22.\n"
    )
    code, out, err = run("explain", "--year", "2026", str(jumbled), str(other))
    assert code == 0
    assert flat(err).startswith(f"mailwarden: warning: {jumbled}: {READ_AGAIN}"), err
    assert str(other) not in err
    assert "It got in" not in out and "Most likely not." in flat(out)
