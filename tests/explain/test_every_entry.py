"""Every entry is explained (the README's promise), and a client's lines outside a
session are told with that client: routine lines, postscreen and its DNS blocklist
answers, Dovecot's auth-process lines without a session id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clirunner import Runner
from mailwarden.explain import explain
from mailwarden.explain.document import Entry, Heading
from mailwarden.pipeline import Counts, ReadOptions, read_events

LogFile = Callable[[str], str]

ROUTINE = """\
Mar  9 04:43:04 mx postfix/cleanup[48690]: 3441520C339: message-id=<20260309044304.C8CB48@newsletter.example.net>
Mar  9 04:43:04 mx postfix/qmgr[1200]: 3441520C339: from=<news@newsletter.example.net>, size=5120, nrcpt=1 (queue active)
Mar  9 04:43:04 mx dovecot: lmtp(48692): Connect from local
Mar  9 04:43:04 mx postfix/lmtp[48691]: 3441520C339: to=<ivan@example.com>, relay=mx.example.com[private/dovecot-lmtp], delay=0.1, delays=0.05/0.01/0.02/0.02, dsn=2.0.0, status=sent (250 2.0.0 Saved)
Mar  9 04:43:04 mx postfix/qmgr[1200]: 3441520C339: removed
Mar  9 06:51:12 mx dovecot: imap(ivan@example.com)<48865><tB/D/JBMnLAgAQ24AQAAH4EJtpFUQhuz>: Disconnected: Logged out in=314 out=35686
Mar  9 06:52:12 mx dovecot: imap(erin@example.com)<48866><tB/D/JBMnLAgAQ24AQAAH4EJtpFUQhuA>: Disconnected: Logged out in=14 out=356
"""  # noqa: E501

POSTSCREEN = """\
Mar 11 00:58:02 mx postfix/postscreen[55674]: CONNECT from [192.0.2.82]:56169 to [198.51.100.25]:25
Mar 11 00:58:02 mx postfix/dnsblog[55676]: addr 192.0.2.82 listed by domain zen.spamhaus.org as 127.0.0.4
Mar 11 00:58:03 mx postfix/qmgr[1200]: 3441520C339: removed
Mar 11 00:58:08 mx postfix/postscreen[55674]: DNSBL rank 3 for [192.0.2.82]:56169
Mar 11 00:58:10 mx postfix/postscreen[55674]: DISCONNECT [192.0.2.82]:56169
"""  # noqa: E501

SUBMISSION_CHECKED_BY_DOVECOT = """\
Mar 10 02:39:00 mx postfix/submission/smtpd[52141]: connect from unknown[203.0.113.140]
Mar 10 02:39:00 mx dovecot: auth: passwd-file(office@example.com,203.0.113.140): Password mismatch
Mar 10 02:39:02 mx postfix/submission/smtpd[52141]: warning: unknown[203.0.113.140]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=office@example.com
Mar 10 02:39:02 mx postfix/submission/smtpd[52141]: disconnect from unknown[203.0.113.140] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5
"""  # noqa: E501


def _entries(path: str) -> list[tuple[str, str]]:
    """(the entry, its note) for every entry listed, in order."""
    blocks = explain(read_events([path], ReadOptions(year=2026), Counts()))
    return [(b.line, b.note) for b in blocks if isinstance(b, Entry)]


def _headings(path: str) -> list[str]:
    blocks = explain(read_events([path], ReadOptions(year=2026), Counts()))
    return [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]


def test_routine_lines_each_get_a_short_plain_explanation(log_file: LogFile) -> None:
    entries = _entries(log_file(ROUTINE))
    assert len(entries) == 7
    assert all(note for _line, note in entries), entries  # none left silent
    notes = [note for _line, note in entries]
    assert "cleanup" in notes[0] and "Routine" in notes[0]
    assert notes[1] == "Routine: mail handling (see above)."  # the kind said once
    assert "“Connect from local” is Postfix on this machine" in notes[2]
    assert "delivering a message" in notes[3]
    assert "logs out" in notes[5] and "no login attempt" in notes[5]
    assert notes[6] == "Routine: another logout (see above)."
    assert not any("does not recognise" in note for note in notes)


def test_an_unknown_line_is_said_every_time_not_once(log_file: LogFile) -> None:
    # A mail program's line (another program's is said not to be a mail log line).
    text = "Mar  9 04:43:04 mx dovecot[1]: something\nMar  9 04:43:05 mx dovecot[1]: else\n"
    notes = [note for _line, note in _entries(log_file(text))]
    assert "does not recognise" in notes[0]
    assert notes[1] == "Another line mailwarden does not recognise."


def test_postscreen_and_its_blocklist_answer_are_told_with_the_client(
    log_file: LogFile,
) -> None:
    path = log_file(POSTSCREEN)
    headings = _headings(path)
    assert headings[:2] == [
        "Client 192.0.2.82, outside a session",
        "Entries outside any client session",
    ]
    entries = _entries(path)
    client = [line for line, _note in entries[:4]]
    assert all("192.0.2.82" in line for line in client)  # the qmgr line is not among them
    listed = entries[1][1]
    assert "The DNS blocklist zen.spamhaus.org lists the client 192.0.2.82" in listed
    assert "127.0.0.4" in listed


def test_dovecots_check_of_a_postfix_login_joins_the_session_as_the_same_attempt(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file(SUBMISSION_CHECKED_BY_DOVECOT)
    assert _headings(path)[:1] == ["Session 1: client 203.0.113.140"]
    assert "Entries outside any client session" not in _headings(path)
    notes = [note for _line, note in _entries(path)]
    assert "A login failed: account “office@example.com”." in notes[1]
    assert "The same attempt, not another one." in notes[2]
    _code, out, _err = run("explain", path)
    assert "tried to log in as “office@example.com”: 1 failed attempt." in " ".join(out.split())


def test_every_entry_of_the_samples_is_explained() -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    for name in ("mail.log", "mail.log.1", "mail.log.2.gz", "seed-excerpt.txt"):
        entries = _entries(str(samples / name))
        silent = [line for line, note in entries if not note]
        assert not silent, (name, silent[:3])


RELAY = """\
Feb 23 11:57:14 mx postfix/smtp[2001]: Write 44 chars: AUTH PLAIN AHJlbGF5dXNlcgBSZWxheVNlY3JldDk5
Feb 23 11:57:14 mx postfix/smtp[2001]: 4BC2A1: SASL authentication failed; server relay.example.net[192.0.2.25] said: 535 5.7.8 Error: authentication failed
Feb 23 11:57:15 mx postfix/smtp[2001]: 4BC2A1: to=<bob@example.org>, relay=relay.example.net[192.0.2.25]:587, delay=1, status=deferred (SASL authentication failed)
"""  # noqa: E501


def test_postfixs_own_login_to_a_relay_is_hidden_and_not_called_routine(
    log_file: LogFile,
) -> None:
    entries = _entries(log_file(RELAY))
    (dump, dump_note), (_login, login_note), (_delivery, delivery_note) = entries
    assert "AHJlbGF5" not in dump and "Write 44 chars: AUTH PLAIN ‹…›" in dump
    assert "its own login to the relay" in dump_note and "Routine" not in dump_note
    assert "could not log in to another server" in login_note
    assert "delivering a message" in delivery_note
