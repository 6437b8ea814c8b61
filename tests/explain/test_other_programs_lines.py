"""A line of a program that is neither Postfix nor Dovecot (sshd's ``Failed password``)
is shown with its program and said to be no mail log line, not analysed: not “does not
seem to concern a client”, which an SSH password guess does."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

SSH = (
    "Feb 23 12:10:12 mail sshd[777]: Failed password for root from 203.0.113.11 port 2222 ssh2\n"
    "Feb 23 12:10:13 mail sshd[777]: Failed password for root from 203.0.113.11 port 2222 ssh2\n"
    "Feb 23 12:10:14 mail postfix/smtpd[5]: warning: unknown[203.0.113.12]: SASL LOGIN "
    "authentication failed: UGFzc3dvcmQ6\n"
)


def test_an_sshd_line_is_shown_with_its_program_and_not_analysed(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("explain", log_file(SSH))
    assert code == 0, err
    text = " ".join(out.split())
    assert "12:10:12 sshd[777]: Failed password for root from 203.0.113.11" in text
    assert "A line of sshd (SSH), not a mail log line: mailwarden analyses only the lines" in text
    assert "Another line of sshd (SSH), not analysed (see above)." in text
    assert "does not seem to concern a client" not in text
    assert "203.0.113.11" not in text.split("Verdict", 1)[1]  # not counted against it


def test_in_chinese(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(SSH), "--lang", "zh_CN")
    assert code == 0, err
    text = "".join(out.split())
    assert "sshd[777]:Failedpassword" in text
    assert "这是sshd（SSH）的日志行，不是邮件日志" in text


def test_another_mail_related_program_is_named_but_not_called_unrelated(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("explain", log_file("Feb 23 12:10:12 mail opendkim[9]: something\n"))
    assert code == 0, err
    text = " ".join(out.split())
    assert "12:10:12 opendkim[9]: something" in text
    assert "A line of opendkim, which is neither Postfix nor Dovecot: mailwarden does not" in text
