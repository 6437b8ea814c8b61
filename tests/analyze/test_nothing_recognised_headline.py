"""A file with no mail server's entry (a syslog of other programs, an empty file, the
wrong file) gets no clean verdict: the headline asks whether it is the right file. The
exit status stays 0 (README: the status says whether the command could work). A mail
log with nothing to report still says "No attack found"."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from clirunner import Runner

NOT_MAIL = (
    "Mar 10 09:00:00 host kernel: eth0 up\n"
    "Mar 10 09:00:01 host sshd[22]: Failed password for root from 192.0.2.5 port 22 ssh2\n"
    "hello world\n"
)
MAIL = (
    "Mar 10 09:00:00 mx postfix/smtpd[100]: connect from mail.example.net[192.0.2.8]\n"
    "Mar 10 09:00:01 mx postfix/smtpd[100]: disconnect from mail.example.net[192.0.2.8] "
    "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n"
)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (NOT_MAIL, "Nothing recognised as a mail server's log entry in 3 lines"),
        ("", "Nothing to analyse: the file is empty. Is this the right file?"),
    ],
)
def test_no_mail_entry_is_no_clean_verdict(
    run: Runner, log_file: Callable[[str], str], text: str, said: str
) -> None:
    code, out, _ = run("analyze", "--year", "2026", log_file(text), env={"COLUMNS": "80"})
    assert code == 0
    head = " ".join(out.split("\n\n")[0].split())
    assert "No attack found" not in head
    assert said in head
    assert "--journal" in head


def test_a_quiet_mail_log_has_no_attack(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, _ = run("analyze", "--year", "2026", log_file(MAIL))
    assert code == 0
    assert out.startswith("No attack found: nobody guessed passwords.")


DELIVERIES = (
    "Nov 30 08:00:01 mx postfix/pickup[1201]: 4F2A11C0: uid=0 from=<root>\n"
    "Nov 30 08:00:01 mx postfix/qmgr[900]: 4F2A11C0: from=<root@mx.example.org>, size=412, "
    "nrcpt=1 (queue active)\n"
    "Nov 30 08:05:01 mx dovecot: imap(alice@example.org)<2101><abc>: Logged out in=120 "
    "out=3000\n"
)
KERNEL = "".join(
    f"Nov 30 07:{n // 60 % 60:02d}:{n % 60:02d} mx kernel: [{n}.000] eth0: link up, "
    "1000Mbps, full duplex, flow control off, the usual chatter of a syslog\n"
    for n in range(1200)
)  # more than the 64 KiB framed to see whether an input holds a mail entry


@pytest.mark.parametrize(
    "text", [DELIVERIES, KERNEL + MAIL], ids=["deliveries only", "mail lines after 100 KiB"]
)
def test_a_mail_log_with_nothing_to_judge_is_no_wrong_file(
    run: Runner, log_file: Callable[[str], str], text: str
) -> None:
    code, out, _ = run("analyze", "--year", "2026", log_file(text), env={"COLUMNS": "80"})
    assert code == 0
    assert out.startswith("No attack found: nobody guessed passwords."), out[:300]


def _journalctl(tmp_path: Path, entries: list[dict[str, str]]) -> dict[str, str]:
    """A journalctl that prints ``entries`` whatever it is asked: the environment that
    puts it first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    body = "\n".join(json.dumps(e) for e in entries)
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{body}\nEOF\n" if entries else "#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "80"}


KERNEL_ENTRY = {
    "__REALTIME_TIMESTAMP": "1795860000000000",
    "SYSLOG_IDENTIFIER": "kernel",
    "_HOSTNAME": "mx",
    "MESSAGE": "eth0: link up",
    "__CURSOR": "s=1;i=1",
}


@pytest.mark.parametrize("match", [(), ("--journal-match", "_SYSTEMD_UNIT=postfix.service")])
def test_a_journal_without_mail_entries_is_no_all_clear(
    run: Runner, tmp_path: Path, match: tuple[str, ...]
) -> None:
    """A --journal-match that selects the wrong entries (or Postfix not logging to the
    journal) said "No attack found: nobody guessed passwords.", and nothing else."""
    env = _journalctl(tmp_path, [KERNEL_ENTRY])
    code, out, _err = run("analyze", "--journal", *match, env=env)
    assert code == 0
    head = " ".join(out.split("\n\n")[0].split())
    assert "No attack found" not in head
    assert head.startswith(
        "Nothing recognised as a mail server's entry in the 1 journal entry read: is "
        "Postfix logging to the journal (journalctl -u 'postfix*'), and does "
        "--journal-match (if given) select its entries?"
    )
    code, out, _err = run("analyze", "--journal", *match, "--format", "json", env=env)
    assert code == 0
    document = json.loads(out)
    assert document["problems"] == []  # everything was read: a note, not a problem
    [note] = document["notes"]
    assert note.startswith("the journal gave 1 entry, none a mail server's")
    assert ("--journal-match" in note) == bool(match)
    code, out, _err = run("analyze", "--journal", *match, env=env)
    assert "could not read everything" not in out


def test_an_empty_journal_is_no_all_clear(run: Runner, tmp_path: Path) -> None:
    env = _journalctl(tmp_path, [])
    code, out, _err = run("analyze", "--journal", env=env)
    assert code == 0
    assert out.startswith("The journal gave no entry: is Postfix logging to it")
    code, out, _err = run("analyze", "--journal", "--format", "json", env=env)
    [note] = json.loads(out)["notes"]
    assert note.startswith("the journal gave no mail entry: is Postfix logging to it")


def test_a_journal_with_mail_entries_is_read_as_a_mail_log(run: Runner, tmp_path: Path) -> None:
    entry = dict(KERNEL_ENTRY, SYSLOG_IDENTIFIER="postfix/smtpd", _PID="100")
    entry["MESSAGE"] = "connect from mail.example.net[192.0.2.8]"
    code, out, _err = run("analyze", "--journal", env=_journalctl(tmp_path, [entry]))
    assert code == 0
    assert out.startswith("No attack found: nobody guessed passwords.")
