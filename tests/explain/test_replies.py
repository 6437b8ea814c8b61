"""What `mailwarden explain` says of a server's 250 reply: what it accepted, told by the
command it answers (EHLO's extensions, the sender, a recipient, the message queued),
not EHLO's list of extensions for every 250. And the counts of its verdict, written
with a thousands separator as the excerpt's own count is."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from clirunner import Runner

LogFile = Callable[[str], str]

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "mail.log.1"


def flat(text: str) -> str:
    return " ".join(text.split())


def dense(text: str) -> str:
    """Chinese output without the line breaks and indents wrapping put in it."""
    return "".join(text.split())


def note(out: str, line: str) -> str:
    """The note under the first log line that ends with ``line`` (output folded by
    :func:`flat`): up to the next entry's time."""
    text = flat(out)
    m = re.search(re.escape(line) + r" (.*?)(?= \d\d:\d\d:\d\d |$)", text)
    assert m is not None, line
    return m.group(1)


def session_53352(log_file: LogFile) -> str:
    """A real submission session in TLS with smtpd_tls_loglevel 4: EHLO, AUTH LOGIN,
    MAIL FROM, RCPT TO, DATA, the message queued, QUIT."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return log_file("\n".join(x for x in lines if "smtpd[53352]:" in x) + "\n")


EHLO_TLS = "Accepted. After EHLO the server lists its name and the extensions it offers"


def test_each_250_of_a_tls_session_says_what_it_accepted(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", "--year", "2026", session_53352(log_file))
    assert code == 0, err
    ehlo = note(out, "Write 173 chars: 250-mx.example.com??250-PIPELINING??250-")
    assert EHLO_TLS in ehlo and "inside TLS no STARTTLS" in ehlo
    mail = note(out, "Write 14 chars: 250 2.1.0 Ok??")
    assert "the server takes the sender the client named (MAIL FROM)" in mail
    assert "EHLO" not in mail
    rcpt = note(out, "Write 14 chars: 250 2.1.5 Ok??")
    assert "the server takes the recipient the client named (RCPT TO)" in rcpt
    assert "EHLO" not in rcpt
    queued = note(out, "Write 37 chars: 250 2.0.0 Ok: queued as 29F6720CC16??")
    assert "took the message and put it in its queue as 29F6720CC16;" in queued
    assert "EHLO" not in queued
    assert flat(out).count("After EHLO") == 1


def test_the_same_in_chinese(run: Runner, log_file: LogFile) -> None:
    _code, out, _err = run("explain", "--lang", "zh_CN", "--year", "2026", session_53352(log_file))
    out = dense(out)
    mail = out.split("2502.1.0Ok??", 1)[1].split("10:44:", 1)[0]
    assert "服务器接受客户端给出的发件人（MAILFROM）" in mail and "EHLO" not in mail
    rcpt = out.split("2502.1.5Ok??", 1)[1].split("10:44:", 1)[0]
    assert "服务器接受客户端给出的收件人（RCPTTO）" in rcpt and "EHLO" not in rcpt
    queued = out.split("queuedas29F6720CC16??", 1)[1].split("10:44:", 1)[0]
    assert "并以29F6720CC16放入队列" in queued and "EHLO" not in queued
    assert out.count("对EHLO，服务器会列出") == 1


def test_verbose_chat_outside_tls(run: Runner, log_file: LogFile) -> None:
    """smtpd -v writes each command and each line of a reply; no TLS here, so the
    STARTTLS-less text of a TLS session is not what a 250 gets either."""
    host = "Mar 10 11:00:0{s} mx postfix/smtpd[700]: "
    peer = "unknown[192.0.2.50]"
    chat = [
        f"connect from {peer}",
        f"< {peer}: EHLO client.example",
        f"> {peer}: 250-mx.example.com",
        f"> {peer}: 250-PIPELINING",
        f"> {peer}: 250 SMTPUTF8",
        f"< {peer}: MAIL FROM:<a@example.org>",
        f"> {peer}: 250 2.1.0 Ok",
        f"< {peer}: RCPT TO:<b@example.com>",
        f"> {peer}: 250 2.1.5 Ok",
        f"< {peer}: RSET",
        f"> {peer}: 250 2.0.0 Ok",
        f"< {peer}: NOOP",
        f"> {peer}: 250 2.0.0 Ok",
        f"< {peer}: XFOO bar",
        f"> {peer}: 250 2.0.0 Ok",
        f"disconnect from {peer} ehlo=1 mail=1 rcpt=1 rset=1 noop=1 commands=5",
    ]
    text = "".join(host.format(s=n % 10) + line + "\n" for n, line in enumerate(chat))
    _code, out, _err = run("explain", "--year", "2026", log_file(text))
    first = note(out, f"> {peer}: 250-mx.example.com")
    assert "After EHLO the server lists its name and the extensions it offers" in first
    assert "one per line" in first
    for line in (f"> {peer}: 250-PIPELINING", f"> {peer}: 250 SMTPUTF8"):
        assert "Another line of the server's answer to EHLO" in note(out, line)
    assert "(MAIL FROM)" in note(out, f"> {peer}: 250 2.1.0 Ok")
    assert "(RCPT TO)" in note(out, f"> {peer}: 250 2.1.5 Ok")
    replies = flat(out).split(f"> {peer}: 250 2.0.0 Ok ")[1:]
    assert "dropped the transaction under way (RSET)" in replies[0]
    assert "answers NOOP, a command that does nothing" in replies[1]
    assert "Accepted (250): the server accepted the client's last command." in replies[2]
    assert flat(out).count("After EHLO") == 1


def test_pipelined_commands_answered_in_one_write(run: Runner, log_file: LogFile) -> None:
    host = "Mar 10 11:00:01 mx postfix/smtpd[701]: "
    lines = [
        "connect from unknown[192.0.2.51]",
        "Anonymous TLS connection established from unknown[192.0.2.51]: TLSv1.3 with "
        "cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
        "Read 64 chars: MAIL FROM:<a@example.org>??RCPT TO:<b@example.com>??DATA??",
        "Write 45 chars: 250 2.1.0 Ok??250 2.1.5 Ok??354 End data w",
        "Read 300 chars: Subject: hi??MAIL FROM:<x@example.org>??RCPT TO",
        "Write 55 chars: 250 2.0.0 Ok: queued as 4Yb3Nq1Kz8z9sK1Abc",
        "Write 14 chars: 250 2.1.5 Ok??",
    ]
    _code, out, _err = run(
        "explain", "--year", "2026", log_file("".join(host + x + "\n" for x in lines))
    )
    first = note(out, "Write 45 chars: 250 2.1.0 Ok??250 2.1.5 Ok??354 End data w")
    assert "(MAIL FROM)" in first and "several commands at once (PIPELINING)" in first
    # The message's lines are no commands; the queue ID the log cut may be cut.
    queued = note(out, "Write 55 chars: 250 2.0.0 Ok: queued as 4Yb3Nq1Kz8z9sK1Abc")
    assert "put it in its queue as 4Yb3Nq1Kz8z9sK1Abc…;" in queued
    # No command before it (the excerpt began later): Postfix's 2.1.5 is a recipient's.
    assert "(RCPT TO)" in note(out, "Write 14 chars: 250 2.1.5 Ok??")


def spray(addresses: int) -> str:
    """``addresses`` addresses of one IPv6 network, each failing twice at two of three
    accounts, 3 s apart."""
    lines = []
    for n in range(addresses):
        for k in range(2):
            s = n * 3 + k
            lines.append(
                f"Feb 23 {10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} mx "
                f"postfix/submission/smtpd[{9000 + n}]: warning: unknown[2001:db8:5::{n + 1:x}]: "
                "SASL LOGIN authentication failed: authentication failure, "
                f"sasl_username=user{(n + k) % 3}@example.com"
            )
    return "\n".join(lines) + "\n"


def test_verdict_counts_have_a_thousands_separator(run: Runner, log_file: LogFile) -> None:
    path = log_file(spray(1100))
    _code, out, _err = run("explain", "--year", "2026", path)
    out = flat(out)
    assert "…1,800 more entries are not listed" in out
    assert "…and 1,090 more addresses." in out
    assert "failed 2,200 times together" in out
    # the block advice names their network (analyze bans it), not 1,100 addresses
    assert "Block the network 2001:db8:5::/64 in the firewall" in out
    assert not re.search(r"\b(1090|2200|1095)\b", out)
    _code, zh, _err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    zh = dense(zh)
    assert "……另有1,090个地址。" in zh
    assert "一共失败了2,200次" in zh
    assert "在防火墙（nftables）中封禁网段2001:db8:5::/64" in zh
    assert not re.search(r"(1090|2200|1095)", zh)
