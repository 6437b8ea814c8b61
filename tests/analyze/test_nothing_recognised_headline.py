"""A file with no mail server's entry (a syslog of other programs, an empty file, the
wrong file) gets no clean verdict: the headline asks whether it is the right file. The
exit status stays 0 (README: the status says whether the command could work). A mail
log with nothing to report still says "No attack found"."""

from __future__ import annotations

from collections.abc import Callable

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


@pytest.mark.parametrize(("text", "lines"), [(NOT_MAIL, 3), ("", 0)])
def test_no_mail_entry_is_no_clean_verdict(
    run: Runner, log_file: Callable[[str], str], text: str, lines: int
) -> None:
    code, out, _ = run("analyze", "--year", "2026", log_file(text), env={"COLUMNS": "80"})
    assert code == 0
    head = " ".join(out.split("\n\n")[0].split())
    assert "No attack found" not in head
    assert f"Nothing recognised as a mail server's log entry in {lines} lines" in head
    assert "--journal" in head


def test_a_quiet_mail_log_has_no_attack(run: Runner, log_file: Callable[[str], str]) -> None:
    code, out, _ = run("analyze", "--year", "2026", log_file(MAIL))
    assert code == 0
    assert out.startswith("No attack found: nobody guessed passwords.")
