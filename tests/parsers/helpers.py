"""Build Records for parser tests without the framing stage (written in parallel).

``rec(line)`` understands the shapes the parser tests use: an optional BSD
(``Feb  3 11:57:42``) or RFC 3339 timestamp, an optional host, then ``program[pid]: `` or
``program: ``; anything else is a bare message (program None). ``msg(program, text)``
builds one directly.
"""

from __future__ import annotations

import re

from mailwarden.model import Event, EventType, Record
from mailwarden.parsers import parse

_HEADER = re.compile(
    r"(?:@[0-9a-f]{24} )?"
    r"(?:(?:[A-Z][a-z]{2} [ 0-3]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*) )?"
    r"(?:(?P<host>[A-Za-z0-9._-]+) (?=\S+: ))?"
    r"(?P<program>[A-Za-z0-9._/-]+(?:\((?:\d+|default)\))?)(?:\[(?P<pid>\d+)\])?: (?P<message>.*)$"
)
_TIME = re.compile(
    r"(?:@[0-9a-f]{24} )?"
    r"(?:[A-Z][a-z]{2} [ 0-3]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*) "
)
_BARE_STARTS = (
    "warning: ",
    "lost connection",
    "imap-login: ",
    "pop3-login: ",
    "submission-login: ",
    "managesieve-login: ",
    "auth: ",
    "auth-worker(",
    "auth(",
    "dovecot: ",
    "pam_unix(",
)


def msg(program: str | None, message: str, pid: int | None = 4242, host: str = "mx") -> Record:
    text = message if program is None else f"Feb 23 11:57:42 {host} {program}[{pid}]: {message}"
    return Record(None, host, program, pid, message, "test", 1, 0, text)


def rec(line: str) -> Record:
    """A Record for one test line (a small stand-in for framing)."""
    if not line.startswith(_BARE_STARTS):
        m = _HEADER.match(line)
        if m is not None:
            pid = int(m.group("pid")) if m.group("pid") else None
            return Record(
                None, m.group("host"), m.group("program"), pid, m.group("message"), "t", 1, 0, line
            )
    t = _TIME.match(line)
    message = line[t.end() :] if t is not None else line
    return Record(None, None, None, None, message, "test", 1, 0, line)


def events(line: str) -> list[Event]:
    return parse(rec(line))


def one(line: str, type_: EventType | None = None) -> Event:
    """The single event of ``line`` (of ``type_`` when given)."""
    evs = events(line)
    if type_ is not None:
        evs = [e for e in evs if e.type is type_]
    assert len(evs) == 1, (line, evs)
    return evs[0]
