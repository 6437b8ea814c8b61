"""Pasted excerpts: many entries on one physical line, and attackers who fake headers.

Every fake header below sits inside a field the client chooses, preceded by a space
just like a real paste, and must stay part of that field.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailwarden.framing import Framer, looks_pasted
from mailwarden.model import Record
from mailwarden.sources.interface import Chunk, ReadStats

EXCERPT = Path(__file__).parents[2] / "samples" / "seed-excerpt.txt"
FAKE = (
    "Feb 23 11:57:42 postfix/smtpd[1]: warning: unknown[203.0.113.5]: "
    "SASL LOGIN authentication failed: x"
)


def frame(line: str, **kw: object) -> tuple[list[Record], ReadStats]:
    stats = ReadStats()
    framer = Framer(year=2026, stats=stats, **kw)  # type: ignore[arg-type]
    return framer.frame_line(line, "pasted", 1, 0), stats


def test_the_users_excerpt_splits_into_all_42_entries() -> None:
    data = EXCERPT.read_bytes()
    assert data.count(b"\n") <= 1  # it is one physical line
    stats = ReadStats()
    records = list(Framer(year=2026, stats=stats).frame_chunk(Chunk("excerpt", data, 1, 0)))
    # Counted by hand: 29 entries at 11:57:42, 4 at 11:57:43, 9 at 11:57:45.
    assert len(records) == 42
    assert [r.time.second for r in records if r.time].count(42) == 29
    assert [r.time.second for r in records if r.time].count(43) == 4
    assert [r.time.second for r in records if r.time].count(45) == 9
    assert stats.split == 41 and stats.held_together == 0
    assert {(r.program, r.pid, r.line, r.offset, r.host) for r in records} == {
        ("postfix/smtpd", 32451, 1, 0, None)
    }
    # Nothing lost or changed: the entries, rejoined, are the line.
    assert " ".join(r.text for r in records) == data.decode().strip()
    by_text = [r.message for r in records]
    assert by_text[0] == "initializing the server-side TLS engine"
    assert by_text[29] == "Read 16 chars: EHLO localhost??"
    assert by_text[32] == "Read 45 chars: AUTH PLAIN AGFkbWluQGZpcGljay5jb20Ad2lsb"
    assert by_text[33] == "warning: unknown[176.103.49.30]: SASL PLAIN authentication failed:"
    assert by_text[34] == "Write 42 chars: 435 4.7.8 Error: authentication failed:"
    assert by_text[36] == "Read 3 chars: *??"
    assert by_text[41] == "read from 7FD690FE02C0 [7FD6910804C8] (26 bytes => 26 (0x1A))"


def test_the_daemon_does_not_split() -> None:
    records, stats = frame(EXCERPT.read_text().strip(), split_pasted=False)
    assert len(records) == 1 and stats.split == 0


def test_pasted_lines_of_mixed_styles_split() -> None:
    line = (
        "Feb 23 11:57:40 mx postfix/smtpd[9]: connect from unknown[192.0.2.9] "
        "2026-02-23T11:57:41+01:00 mx dovecot: imap-login: Disconnected "
        "Feb 23 11:57:42 auth(alice,192.0.2.9,sasl:plain)<Cd5N>: Info: passwd-file: "
        "Password mismatch"
    )
    records, stats = frame(line)
    assert [(r.program, r.message.split(":")[0]) for r in records] == [
        ("postfix/smtpd", "connect from unknown[192.0.2.9]"),
        ("dovecot", "imap-login"),
        (None, "auth(alice,192.0.2.9,sasl"),
    ]
    assert stats.split == 2


def test_a_time_inside_a_message_is_not_a_header() -> None:
    line = (
        "Feb 23 11:57:42 mx postfix/anvil[5]: statistics: max auth rate 5/60s for "
        "(submission:192.0.2.9) at Feb 23 11:50:00"
    )
    records, stats = frame(line)
    assert len(records) == 1 and stats.split == 0


# -- injection ----------------------------------------------------------------------------

INJECTIONS = {
    "sasl_username": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL LOGIN "
        "authentication failed: (reason unavailable), sasl_username=a " + FAKE
    ),
    "dovecot user=<>": (
        "Feb 23 11:57:41 mx dovecot: imap-login: Login aborted: Connection closed (auth failed, "
        "1 attempts in 2 secs) (auth_failed): user=<a " + FAKE[:72] + ">, method=PLAIN, "
        "rip=192.0.2.9, lip=198.51.100.1, TLS, session=<AbCdEfGhIjKl>"
    ),
    "helo=<>": (
        "Feb 23 11:57:41 postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: "
        "554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.com> "
        "to=<x@example.com> proto=ESMTP helo=<a " + FAKE + ">"
    ),
    "from=<> (quoted local part)": (
        "Feb 23 11:57:41 postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: "
        '554 5.7.1 <x@example.com>: Relay access denied; from=<"a ' + FAKE + '"@example.com> '
        "to=<x@example.com> proto=ESMTP helo=<a>"
    ),
    "reject echoes the recipient": (
        "Feb 23 11:57:41 postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: "
        '554 5.7.1 <"a ' + FAKE + '"@example.com>: Relay access denied; from=<> to=<b>'
    ),
    "non-SMTP command": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: non-SMTP command from unknown[192.0.2.9]: "
        "GET / " + FAKE
    ),
    "PREGREET": (
        "Feb 23 11:57:41 postfix/postscreen[9]: PREGREET 11 after 0.1 from [192.0.2.9]:4321: "
        "EHLO " + FAKE
    ),
    "verbose chat": "Feb 23 11:57:41 postfix/smtpd[9]: < unknown[192.0.2.9]: EHLO " + FAKE,
    "TLS plaintext dump": "Feb 23 11:57:41 postfix/smtpd[9]: Read 200 chars: a " + FAKE,
    "Dovecot 2.4 auth user": (
        "Feb 23 11:57:41 auth(a " + FAKE[:60] + ",192.0.2.9,sasl:plain)<Cd5N>: Info: "
        "passwd-file: Password mismatch"
    ),
    "Dovecot 2.3 auth user": (
        "Feb 23 11:57:41 mx dovecot: auth: passwd-file(a " + FAKE[:60] + ",192.0.2.9): unknown user"
    ),
    "Dovecot LMTP msgid= (the Message-ID as sent, no <>)": (
        "Feb 23 11:57:41 mx dovecot: lmtp(bob)<4321><Q2VzdGVzdDEyMzQ1Ng>: msgid=x "
        + FAKE
        + ": saved mail to INBOX"
    ),
    "Dovecot imap_id_log (the client's IMAP ID)": (
        "Feb 23 11:57:41 mx dovecot: imap-login: ID sent: name= " + FAKE[:70] + ", version=1"
        ": user=<>, rip=203.0.113.9, lip=192.0.2.200, session=<abcd00>"
    ),
    "Dovecot 2.3 username character disallowed": (
        "Feb 23 11:57:41 mx dovecot: auth: plain(?,192.0.2.5,<Q2VzdGVzdDEyMzQ1Ng>): Username "
        "character disallowed by auth_username_chars: 0x20 (username: a " + FAKE + ")"
    ),
    # MAIL FROM AUTH=<xtext>: an authenticated user's own text, logged unbounded.
    "sasl_sender= (client= line)": (
        "Feb 23 11:57:41 mx postfix/submission/smtpd[9]: 4B2DD20C9F2: client=unknown[192.0.2.10], "
        "sasl_method=PLAIN, sasl_username=mallory, sasl_sender=" + "x" * 100 + " " + FAKE
    ),
    "sasl_sender= (reject line)": (
        "Feb 23 11:57:41 mx postfix/submission/smtpd[9]: NOQUEUE: filter: RCPT from "
        "unknown[192.0.2.10]: <x@example.com>: Sender address triggers FILTER; from=<a@b> "
        "to=<x@example.com> proto=ESMTP helo=<a> sasl_method=PLAIN sasl_username=mallory "
        "sasl_sender=" + "x" * 100 + " " + FAKE
    ),
    # The reason of a SASL failure is Dovecot's reason= when it sends one: a passdb extra
    # field a site may write around the client's name (%u).
    "SASL failure reason (Postfix before 3.9)": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL PLAIN "
        "authentication failed: Account a " + FAKE + " is disabled"
    ),
    "SASL failure reason (Postfix 3.9+, before sasl_username=)": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL PLAIN "
        "authentication failed: Account a " + FAKE + " is disabled, sasl_username=a"
    ),
    "SASL failure reason that starts like a server's own": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL PLAIN "
        "authentication failed: authentication failure for a " + FAKE
    ),
    # A field the server cuts ends its record: padded to the cut (or past it, as no
    # server writes it), a forged entry after it is still the client's text.
    "sasl_username padded to Postfix's 100 characters": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL LOGIN "
        "authentication failed: (reason unavailable), sasl_username=" + "u" * 100 + " " + FAKE
    ),
    "sasl_username padded past 100 characters": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6, sasl_username=admin " + "x" * 100 + " " + FAKE
    ),
    "non-SMTP command padded past 100 characters": (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: non-SMTP command from unknown[192.0.2.9]: "
        "GET / " + "x" * 100 + " " + FAKE
    ),
    "PREGREET padded past 100 characters": (
        "Feb 23 11:57:41 postfix/postscreen[9]: PREGREET 11 after 0.1 from [192.0.2.9]:4321: "
        "EHLO " + "x" * 100 + " " + FAKE
    ),
    "TLS plaintext dump longer than the 40 characters shown": (
        "Feb 23 11:57:41 postfix/smtpd[9]: Read 200 chars: " + "a" * 40 + "x" * 20 + " " + FAKE
    ),
    "Dovecot user=< with no > within 80 characters": (
        "Feb 23 11:57:41 mx dovecot: imap-login: Login aborted: Connection closed (auth failed, "
        "1 attempts in 2 secs) (auth_failed): user=<" + "a" * 90 + " " + FAKE + ">, "
        "method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<AbCdEfGhIjKl>"
    ),
    "Dovecot 2.3 auth user with no , or ) within 64 characters": (
        "Feb 23 11:57:41 mx dovecot: auth: passwd-file("
        + "a" * 70
        + " "
        + FAKE
        + ",192.0.2.9): unknown user"
    ),
}


@pytest.mark.parametrize("line", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_a_fake_header_in_client_text_is_not_split_off(line: str) -> None:
    records, stats = frame(line)
    assert len(records) == 1
    assert "unknown[203.0.113" in records[0].message  # kept inside the real entry
    assert stats.held_together >= 1 and stats.split == 0


def test_the_entry_after_a_client_field_is_still_found() -> None:
    # The plaintext dump shows at most min(N, 40) client characters: after them, a
    # real entry begins, even if it follows at once.
    line = (
        "Feb 23 11:57:45 postfix/smtpd[9]: Read 3 chars: *?? "
        "Feb 23 11:57:45 postfix/smtpd[9]: Write 41 chars: 402 4.5.2 Error: command not "
        "recognized? "
        "Feb 23 11:57:46 postfix/smtpd[9]: disconnect from unknown[192.0.2.9]"
    )
    records, stats = frame(line)
    assert [r.message.split(" ")[0] for r in records] == ["Read", "Write", "disconnect"]
    assert stats.held_together == 0


def test_a_fake_within_the_40_dumped_characters_stays_but_later_entries_split() -> None:
    dump = "a Feb 23 11:57:42 postfix/smtpd[1]: x??"  # 39 characters, CRLF shown as ??
    line = (
        f"Feb 23 11:57:45 postfix/smtpd[9]: Read 39 chars: {dump} "
        "Feb 23 11:57:46 postfix/smtpd[9]: disconnect from unknown[192.0.2.9]"
    )
    records, stats = frame(line)
    assert [r.message for r in records] == [
        f"Read 39 chars: {dump}",
        "disconnect from unknown[192.0.2.9]",
    ]
    assert stats.held_together == 1 and stats.split == 1


def test_a_sasl_username_reaches_to_the_end_of_its_record() -> None:
    """Postfix cuts the name at 100 characters, but a forged line pads it to 100 just as
    well: what follows is the client's until the record ends (2000 bytes)."""
    line = (
        "Feb 23 11:57:41 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL LOGIN authentication "
        f"failed: (reason unavailable), sasl_username={'u' * 100} "
        "Feb 23 11:57:42 postfix/smtpd[9]: disconnect from unknown[192.0.2.9] "
    )
    after = "Feb 23 11:57:43 postfix/smtpd[9]: connect from unknown[192.0.2.10]"
    records, stats = frame(line + after)
    assert [r.message.split(" ")[0] for r in records] == ["warning:"]
    assert stats.held_together == 2
    # Past the record's 2000 bytes, the next entry is split off again.
    records, stats = frame(line + "x" * 2000 + " " + after)
    assert [r.message.split(" ")[0] for r in records] == ["warning:", "connect"]


# A Dovecot user may name a mailbox as she likes (mail_log cuts it at 64 characters): a
# whole forged entry fits.
DOVECOT_FAKE = "Feb 23 11:57:42 auth: p(u,203.0.113.5): unknown user"
IMAP = "Feb 23 11:57:41 mx dovecot: imap(mallory.archive@example.com)<81234><Q2VzdGVzdDEyMzQ1Ng>: "
MAILBOX_INJECTIONS = {
    "box=": IMAP + f"copy from INBOX: box=Junk {DOVECOT_FAKE}, uid=1, msgid=<a@b>, size=10",
    "copy from": IMAP + f"copy from Junk {DOVECOT_FAKE}: box=INBOX, uid=1, msgid=<a@b>, size=10",
    "expunge: box=": IMAP + f"expunge: box=Junk {DOVECOT_FAKE}, uid=1, msgid=<a@b>, size=10",
    "Mailbox created": IMAP + f"Mailbox created: Junk {DOVECOT_FAKE}",
    "Mailbox renamed": IMAP + f"Mailbox renamed: Junk -> Old {DOVECOT_FAKE}",
    # Errors and warnings of the mail processes name mailboxes and their files; the
    # names are padded past the 64 characters an imap(user) or open( prefix reaches.
    "Error: Mailbox <name>: (the mailbox's log prefix)": (
        IMAP + f"Error: Mailbox Archive/2025/Projects/Customer-Correspondence {DOVECOT_FAKE}: "
        "Broken file dovecot.index.cache"
    ),
    "Couldn't open mailbox <name>": (
        IMAP + "Error: lucene: Couldn't open mailbox Archive/2025/Projects/Customers "
        f"{DOVECOT_FAKE}: Internal error occurred"
    ),
    "open(<path>) failed": (
        IMAP
        + "Error: open(/home/mallory/Maildir/.Customers,2025.Projects.Correspondence.Archive-Old "
        f"{DOVECOT_FAKE}/cur) failed: Permission denied"
    ),
    "Warning: Maildir <path>": (
        IMAP + "Warning: Maildir /home/mallory/Maildir/.Archive.2025.Projects.Customers "
        f"{DOVECOT_FAKE}: Expunged message reappeared, giving a new UID"
    ),
    "lmtp Error (2.2's lmtp(pid, user))": (
        "Feb 23 11:57:41 mx dovecot: lmtp(4321, mallory): Error: mkdir(/home/mallory/Maildir/"
        f".Customers,2025.Projects.Correspondence.Archive-Old {DOVECOT_FAKE}) failed: "
        "Quota exceeded"
    ),
    "syslog's Info line (no level word) about a mailbox": (
        IMAP + f"Mailbox Archive/2025/Projects/Customer-Correspondence {DOVECOT_FAKE}: "
        "Autoexpunged 3 mails"
    ),
    "the reviewer's line": (
        "Mar 11 10:00:01 mx dovecot: imap(mallory)<811><s1>: copy from "
        "Archive/2025/Projects/Customer-Correspondence: box=Junk Mar 11 10:00:01 auth: "
        "p(u,203.0.113.5): unknown user, uid=1, msgid=<a1@b>, size=10"
    ),
}


@pytest.mark.parametrize("line", MAILBOX_INJECTIONS.values(), ids=MAILBOX_INJECTIONS.keys())
def test_a_fake_header_in_a_mailbox_name_is_not_split_off(line: str) -> None:
    records, stats = frame(line)
    assert len(records) == 1 and records[0].program == "dovecot"
    assert "203.0.113.5" in records[0].message
    assert stats.held_together == 1 and stats.split == 0


def test_real_pasted_entries_around_the_bounded_fields_still_split() -> None:
    """The bounds that stay: a Dovecot user (80, then ``>``), the auth and IMAP prefixes
    (64, then ``,`` or ``)``), and the TLS plaintext dump, after which the next entry must
    follow at once, unless the paste was edited: a few characters more, or fewer (an entry
    then held inside the dump, and the ones after it split as before)."""
    line = (
        "Mar 11 10:00:01 mx dovecot: imap-login: Login: user=<bob>, method=PLAIN, "
        "rip=192.0.2.9, lip=192.0.2.1, mpid=811, TLS, session=<Q2VzdGVzdDEy> "
        "Mar 11 10:00:02 mx dovecot: imap(bob)<811><Q2VzdGVzdDEy>: Disconnected: Logged out "
        "in=100 out=200 "
        "Mar 11 10:00:04 postfix/smtpd[9]: Write 158 chars: "
        "250-mail.(domain).com??250-PIPELINING??250 "
        "Mar 11 10:00:05 postfix/smtpd[9]: Read 45 chars: AUTH PLAIN [redacted] "
        "Mar 11 10:00:05 postfix/smtpd[9]: warning: unknown[192.0.2.9]: SASL PLAIN "
        "authentication failed: "
        "Mar 11 10:00:05 postfix/smtpd[9]: Write 42 chars: 435 4.7.8 Error: authentication failed: "
        "Mar 11 10:00:06 postfix/smtpd[9]: disconnect from unknown[192.0.2.9] "
        "Mar 11 10:00:07 auth: passwd-file(carol,192.0.2.9): unknown user"
    )
    records, stats = frame(line)
    assert [r.message.split(" ")[0] for r in records] == [
        "imap-login:",
        "imap(bob)<811><Q2VzdGVzdDEy>:",
        "Write",
        "Read",  # the warning after the redacted dump stays inside it
        "Write",
        "disconnect",
        "passwd-file(carol,192.0.2.9):",
    ]
    assert stats.split == 6 and stats.held_together == 1


def test_a_sasl_failure_with_a_servers_own_reason_is_followed_by_real_entries() -> None:
    """Postfix before 3.9 ends the failure with its reason: one the server writes all
    by itself (empty, a stale LOGIN challenge, Cyrus' texts, Postfix's own) is no
    client's, and the entry after it is split off; any other reason holds the rest of
    the record (2000 bytes) together."""
    fail = (
        "Mar 11 10:00:0{} postfix/smtpd[9]: warning: unknown[192.0.2.9]: "
        "SASL {} authentication failed: {}"
    )
    reasons = (
        "",
        "UGFzc3dvcmQ6",
        "PDEyMzQ1Ni4xNzAwMDAwMDAwQG14Pg==",  # CRAM-MD5's challenge
        "authentication failure",
        "no mechanism available",
        "Invalid base64 data in initial response",
        "Invalid authentication mechanism: 'X-NTLM'",
        "Connection lost to authentication server",
    )
    line = " ".join(fail.format(n, "LOGIN", reason) for n, reason in enumerate(reasons))
    records, stats = frame(line + " Mar 11 10:00:09 postfix/smtpd[9]: disconnect from x[192.0.2.9]")
    assert [r.message.rpartition("failed:")[2].strip() for r in records[:-1]] == list(reasons)
    assert records[-1].message == "disconnect from x[192.0.2.9]"
    assert stats.split == len(reasons) and stats.held_together == 0
    # A site's own reason (reason= from a passdb) may hold the client's name.
    records, stats = frame(
        fail.format(1, "PLAIN", "Account bob is disabled") + " " + fail.format(2, "PLAIN", "")
    )
    assert len(records) == 1 and stats.held_together == 1


def test_real_pasted_dovecot_entries_around_a_mail_processs_error_still_split() -> None:
    """Only a mail process's error or warning, or a line naming a mailbox, holds the
    rest of its line together: logins, logouts, auth failures and other Info lines of
    the same processes split as before."""
    line = (
        "Mar 11 10:00:01 mx dovecot: imap-login: Login: user=<bob>, method=PLAIN, "
        "rip=192.0.2.9, lip=192.0.2.1, mpid=811, TLS, session=<Q2VzdGVzdDEy> "
        "Mar 11 10:00:02 mx dovecot: imap(bob)<811><Q2VzdGVzdDEy>: Disconnected: Logged out "
        "in=100 out=200 "
        "Mar 11 10:00:03 mx dovecot: pop3(bob)<812><Q2VzdGVzdDEz>: Disconnected: Logged out "
        "top=0/0, retr=1/120, del=0/1, size=120 "
        "Mar 11 10:00:04 mx dovecot: imap(bob)<813><Q2VzdGVzdDE0>: Info: Connection closed "
        "(IDLE running for 0.001 + waiting input for 29.998 secs, 2 B in + 10+10 B out, "
        "state=wait-input) "
        "in=1033 out=6421 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 "
        "Mar 11 10:00:05 mx dovecot: imap(bob)<814><Q2VzdGVzdDE1>: Error: Mailbox Junk: "
        "Broken file "
        "Mar 11 10:00:06 mx dovecot: auth: passwd-file(dave,192.0.2.9): unknown user"
    )
    records, stats = frame(line)
    assert [r.message.split(" ")[0] for r in records] == [
        "imap-login:",
        "imap(bob)<811><Q2VzdGVzdDEy>:",
        "pop3(bob)<812><Q2VzdGVzdDEz>:",
        "imap(bob)<813><Q2VzdGVzdDE0>:",
        "imap(bob)<814><Q2VzdGVzdDE1>:",  # the failure after it stays inside it
    ]
    assert stats.split == 4 and stats.held_together == 1


FORGED_FIRST_LINE = (
    "Feb 23 09:59:59 mx dovecot: lmtp(bob)<4321><Q2VzdGVzdDEyMzQ1Ng>: msgid=xxxxxxxx "
    "Feb 23 10:00:00 mx dovecot: imap-login: Disconnected (auth failed, 30 attempts in 9 "
    "secs): user=<admin>, method=PLAIN, rip=203.0.113.9, lip=10.0.0.1: saved mail to INBOX\n"
)
ONE_PER_LINE = "Feb 23 10:00:01 mx postfix/smtpd[5]: connect from unknown[192.0.2.9]\n"


def test_a_log_of_one_entry_per_line_is_not_pasted_for_its_first_line() -> None:
    """A sender's Message-ID can be the first line after a rotation: the file is still
    a log, read line by line (the forged entry stays inside the delivery line)."""
    odd = "Feb 23 09:59:59 mx postfix/qmgr[7]: 4BC2A1: removed " + FORGED_FIRST_LINE[72:]
    data = (odd + ONE_PER_LINE * 3).encode()
    assert looks_pasted(odd.encode()) is True  # alone, the line is a paste
    assert looks_pasted(data) is False


def test_text_with_most_lines_run_together_is_pasted() -> None:
    run_together = ONE_PER_LINE.strip() + " " + ONE_PER_LINE
    assert looks_pasted((run_together * 2 + ONE_PER_LINE).encode()) is True
    assert looks_pasted((run_together + ONE_PER_LINE).encode()) is True  # half of them
    assert looks_pasted((run_together + ONE_PER_LINE * 2).encode()) is False


def test_a_forged_first_line_gets_no_address_banned(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(FORGED_FIRST_LINE + ONE_PER_LINE)
    for command in ("analyze", "explain"):
        args = [sys.executable, "-m", "mailwarden", command, str(log)]
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        verdicts = result.stdout.split("Verdict", 1)[-1]  # explain shows the line itself
        assert "203.0.113.9" not in verdicts


def test_a_header_forged_in_a_bare_messages_user_stays_inside_it() -> None:
    """A bare message (journalctl -o cat, Dovecot without timestamps) runs on into the
    client's fields: a header there is no entry, even outside pasted text."""
    line = (
        "imap-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): user=<x "
        + FAKE
        + ">, method=PLAIN, rip=203.0.113.1, lip=10.0.0.1, TLS, session=<abc>"
    )
    (record,) = Framer(year=2026, split_pasted=False).frame_line(line, "x", 1, 0)
    assert record.message.startswith("Info: Disconnected") or "imap-login" in record.text
    assert "rip=203.0.113.1" in record.message


def test_binary_junk_before_a_header_leaves_the_entry_after_it() -> None:
    line = "\ufffd\ufffd( " + FAKE
    (record,) = Framer(year=2026, split_pasted=False).frame_line(line, "x", 1, 0)
    assert record.program == "postfix/smtpd" and record.pid == 1


def test_a_quoted_line_keeps_its_entry() -> None:
    """A log quoted in a mail (``> Feb 23 …``): the quote mark is no letter or digit."""
    (record,) = Framer(year=2026, split_pasted=False).frame_line("> " + FAKE, "x", 1, 0)
    assert record.program == "postfix/smtpd" and "unknown[203.0.113.5]" in record.message


@pytest.mark.parametrize("host", ["mailbox", "mx-mailbox", "Mailbox"])
def test_entries_of_a_host_named_mailbox_still_split(host: str) -> None:
    """The mailbox event prefix ("Mailbox <name>: ") holds its line together only at a
    message's start: a host of that name in the next entry's header is no mailbox."""
    line = " ".join(
        f"Mar 11 10:00:0{n} {host} postfix/smtpd[9]: {message}"
        for n, message in enumerate(
            (
                "connect from unknown[192.0.2.9]",
                "warning: unknown[192.0.2.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
                "disconnect from unknown[192.0.2.9] auth=0/1",
            )
        )
    )
    records, stats = frame(line)
    assert [r.message.split(" ")[0] for r in records] == ["connect", "warning:", "disconnect"]
    assert stats.held_together == 0
