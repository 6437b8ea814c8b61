"""The lines of cleanup, qmgr and the deliveries about a message a session of the
excerpt handed over (its ``QUEUEID: client=…`` line) are told with that session, not as
routine lines outside any session; after a login, as mail sent through the account,
with how to look at it and delete it (``postcat -q``, ``postsuper -d``), and the verdict
says what the client that got in sent. The queue ID is Postfix's; nothing after it is
trusted."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

_FAILED = "warning: unknown[203.0.113.50]: SASL PLAIN authentication failed: \n"
GUESSED = (
    "Feb 23 12:10:01 mail postfix/smtpd[4101]: connect from unknown[203.0.113.50]\n"
    + "".join(f"Feb 23 12:10:0{n} mail postfix/smtpd[4101]: {_FAILED}" for n in (2, 4, 6))
    + "Feb 23 12:10:07 mail postfix/smtpd[4101]: lost connection after AUTH from "
    "unknown[203.0.113.50]\n"
    "Feb 23 12:10:07 mail postfix/smtpd[4101]: disconnect from unknown[203.0.113.50]\n"
    "Feb 23 12:10:11 mail postfix/smtpd[4102]: connect from unknown[203.0.113.50]\n"
    + "".join(f"Feb 23 12:10:1{n} mail postfix/smtpd[4102]: {_FAILED}" for n in (2, 4))
    + "Feb 23 12:10:16 mail postfix/smtpd[4102]: 3A1B22C0F41: client=unknown[203.0.113.50], "
    "sasl_method=PLAIN, sasl_username=admin@example.com\n"
    "Feb 23 12:10:16 mail postfix/cleanup[4105]: 3A1B22C0F41: "
    "message-id=<20260223121016.3A1B22C0F41@mail.example.com>\n"
    "Feb 23 12:10:16 mail postfix/qmgr[1201]: 3A1B22C0F41: from=<admin@example.com>, "
    "size=1234, nrcpt=50 (queue active)\n"
    "Feb 23 12:10:17 mail postfix/smtpd[4102]: disconnect from unknown[203.0.113.50]\n"
)


def _flat(out: str) -> str:
    return " ".join(out.split())


def test_the_intruders_mail_is_told_with_its_session(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(GUESSED))
    assert code == 0, err
    listing, verdict = _flat(out).split("Verdict", 1)
    assert "Entries outside any client session" not in listing
    assert "Routine: nothing about logins or guessing" not in listing
    session_2 = listing.split("Session 2: client 203.0.113.50", 1)[1]
    assert "12:10:16 3A1B22C0F41: message-id=" in session_2
    assert "12:10:16 3A1B22C0F41: from=<admin@example.com>, size=1234, nrcpt=50" in session_2
    assert (
        "Postfix handling message 3A1B22C0F41, which the client of this session sent after "
        "logging in with a guessed password (the “client=” line above): the intruder's mail"
        in session_2
    )
    # the commands are the verdict's, on lines of their own: a note wraps them
    assert "The verdict below says how to look at it and delete it." in session_2
    assert "postcat" not in listing and "postsuper" not in listing
    assert "Postfix handling message 3A1B22C0F41 again (see above)." in session_2
    assert "After logging in it sent 1 message (queue ID 3A1B22C0F41)." in verdict
    assert "This shows it: postcat -q 3A1B22C0F41 and this deletes it while it is queued:" in (
        verdict
    )
    lines = [line.strip() for line in out.splitlines()]
    assert "postcat -q 3A1B22C0F41" in lines
    assert "postsuper -d 3A1B22C0F41" in lines


def test_in_chinese(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(GUESSED), "--lang", "zh_CN")
    assert code == 0, err
    text = "".join(out.split())
    assert "Postfix在处理邮件3A1B22C0F41：这是本会话的客户端用猜中的密码登录后发出的邮件" in text
    assert "它登录后发出了1封邮件（队列ID3A1B22C0F41）。" in text
    assert "下面的结论说明如何查看和删除它" in text
    assert (
        "以下命令可查看这封邮件：postcat-q3A1B22C0F41邮件仍在队列中时，以下命令可将其删除：" in text
    )
    assert "postsuper -d 3A1B22C0F41" in [line.strip() for line in out.splitlines()]


INBOUND = (
    "Feb 23 12:20:01 mail postfix/smtpd[5101]: connect from mx.example.net[198.51.100.7]\n"
    "Feb 23 12:20:02 mail postfix/smtpd[5101]: 4B2C33D1052: client=mx.example.net"
    "[198.51.100.7]\n"
    "Feb 23 12:20:02 mail postfix/cleanup[5105]: 4B2C33D1052: message-id=<x@example.net>\n"
    "Feb 23 12:20:03 mail postfix/smtpd[5101]: disconnect from mx.example.net[198.51.100.7] "
    "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n"
    "Feb 23 12:20:03 mail postfix/qmgr[1201]: 4B2C33D1052: from=<a@example.net>, size=9, "
    "nrcpt=1 (queue active)\n"
    "Feb 23 12:20:04 mail postfix/qmgr[1201]: 5C3D44E2163: from=<b@example.net>, size=9, "
    "nrcpt=1 (queue active)\n"
)


def test_mail_taken_in_without_a_login_is_routine_and_told_with_its_session(
    run: Runner, log_file: LogFile
) -> None:
    code, out, err = run("explain", log_file(INBOUND))
    assert code == 0, err
    listing = _flat(out).split("Verdict", 1)[0]
    session, outside = listing.split("Entries outside any client session", 1)
    assert "4B2C33D1052: message-id=<x@example.net>" in session
    assert "4B2C33D1052: from=<a@example.net>" in session  # after its disconnect
    assert "Postfix handling message 4B2C33D1052, which this session handed over" in session
    assert "postcat" not in out
    # A message no session of these lines handed over: routine, outside any session.
    assert "5C3D44E2163: from=<b@example.net>" in outside
    assert "Postfix handling a message (cleanup, qmgr, pickup, bounce)" in outside


def test_a_queue_id_only_once_a_session_gave_it(run: Runner, log_file: LogFile) -> None:
    # cleanup's line before the client= line: Postfix may give a queue ID again once its
    # message is gone; this line is not that session's message.
    text = (
        "Feb 23 12:20:00 mail postfix/qmgr[1201]: 4B2C33D1052: removed\n"
        + INBOUND.split("\n", 5)[0]
        + "\n"
        + "\n".join(INBOUND.split("\n")[1:4])
        + "\n"
    )
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    listing = _flat(out).split("Verdict", 1)[0]
    outside, session = listing.split("Session 1: client 198.51.100.7", 1)
    assert "4B2C33D1052: removed" in outside
    assert "4B2C33D1052: removed" not in session


OWNER = (
    "Feb 23 12:10:11 mail postfix/submission/smtpd[4102]: connect from "
    "client.example.net[198.51.100.20]\n"
    "Feb 23 12:10:16 mail postfix/submission/smtpd[4102]: 3A1B22C0F41: "
    "client=client.example.net[198.51.100.20], sasl_method=PLAIN, "
    "sasl_username=bob@example.com\n"
    "Feb 23 12:10:16 mail postfix/qmgr[1201]: 3A1B22C0F41: from=<bob@example.com>, "
    "size=1234, nrcpt=1 (queue active)\n"
    "Feb 23 12:10:17 mail postfix/submission/smtpd[4102]: disconnect from "
    "client.example.net[198.51.100.20] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6\n"
)


def test_a_login_without_guessing_sends_no_intruders_mail(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(OWNER))
    assert code == 0, err
    text = _flat(out)
    assert (
        "Postfix handling message 3A1B22C0F41, which the client of this session sent after "
        "logging in (the “client=” line above): mail sent through that account." in text
    )
    assert "intruder" not in text
    assert "postsuper" not in text
