"""What detection concludes, as typed values, and their JSON form (the ``analyze`` contract).

:class:`Analysis` is what :meth:`mailwarden.detect.rules.Detector.result` returns: the
attackers (every client judged hostile, worst first), the compromised accounts, the
decoded AUTH payloads, the other findings and counters. :meth:`Analysis.to_json` gives
the stable JSON object of ``mailwarden analyze --format json``::

    attackers:   [{ip, network, verdict, failures, users, first_seen, last_seen,
                   succeeded_as, recommendation, user_count, users_complete,
                   unsure, ...}]
    compromised: [{user, ip, time, failures_before, by_others, doubt, ...}]
    credentials: [{ip, mechanism, authzid, user, password, complete, ...}]
    findings:    [{kind, severity, subject, data, evidence}]
    stats:       {...}

Fields beyond the contract's are extensions; none of the contract's is ever renamed.
Passwords are masked unless ``show_passwords`` is true.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple, TextIO, TypeAlias

from mailwarden.locale import N_
from mailwarden.model import Category, Event, EventType, Finding, Record, Strength
from mailwarden.parsers.sasl import Credential, json_safe
from mailwarden.redact import REDACTED, redact_line


class Verdict(StrEnum):
    """What a client did, worst first."""

    COMPROMISED = "compromised"
    """Logged in to an account after guessing (or right after a burst on it)."""
    BRUTEFORCE = "bruteforce"
    """Many failed logins within minutes."""
    HONEYPOT = "honeypot"
    """Tried an account listed in ``policy.honeypot_users``."""
    ENUMERATION = "enumeration"
    """Many distinct usernames."""
    SLOW_BRUTEFORCE = "slow_bruteforce"
    """A few failures an hour, over hours: below fail2ban's 10-minute window."""
    SPRAY_MEMBER = "spray_member"
    """One of many clients trying the same accounts (see the ``spray`` finding)."""
    NETWORK_MEMBER = "network_member"
    """One of several addresses of one network failing together (``network`` finding)."""
    PROBE = "probe"
    """A few failures on names that bots try or accounts that do not exist."""
    SCANNER = "scanner"
    """No login attempt, but policy violations: relay attempts, non-SMTP commands, …"""
    STALE_PASSWORD = "stale_password"
    """Failures with an account this client logged in as: a device with an old password."""


RANK = {verdict: n for n, verdict in enumerate(Verdict)}
BAN_VERDICTS = frozenset(
    {
        Verdict.COMPROMISED,
        Verdict.BRUTEFORCE,
        Verdict.HONEYPOT,
        Verdict.ENUMERATION,
        Verdict.SLOW_BRUTEFORCE,
        Verdict.SPRAY_MEMBER,
        Verdict.NETWORK_MEMBER,
    }
)
"""Verdicts that recommend a ban (unless the client is never banned: allow-listed, or
this machine)."""
GUESSING_VERDICTS = BAN_VERDICTS | {Verdict.PROBE}
"""Verdicts that make a later successful login from the client a compromise."""

BAN = "ban"
WATCH = "watch"
NONE_ALLOWED = "none (allow-listed)"
"""Never banned: in ``policy.allow`` (``--allow``, ``[policy] allow``)."""
NONE_THIS_MACHINE = "none (this machine)"
"""Never banned: loopback or one of the server's own addresses, whatever the allow list
says (a webmail or proxy on the server, which hides the real client)."""
NONE_STALE = "none (stale password of a real user)"
NONE_MISSPELT = "none (misspelt user name of a real user)"
NEVER_BANNED = (NONE_ALLOWED, NONE_THIS_MACHINE)
"""The recommendations of a client that no verdict ever bans."""

LOOPBACK = "loopback"
OWN_ADDRESS = "this server's own address"
"""Why a client is never banned when its logins came from this machine itself (the last
of :attr:`Attacker.reasons` says ``not banned: <why>``)."""


def from_this_machine(attacker: Attacker) -> bool:
    """Whether the client's logins came from this machine itself (loopback or one of the
    server's own addresses): a webmail or proxy on it, which hides the real client."""
    reasons = attacker.reasons
    return bool(reasons) and reasons[-1] in (
        f"not banned: {LOOPBACK}",
        f"not banned: {OWN_ADDRESS}",
    )


COMPROMISE_ADVICE = (
    N_(
        "Reset the account's password now. That ends no session already logged in, and a "
        "ban stops only new connections: end the account's IMAP and POP3 sessions "
        "(doveadm kick ACCOUNT) and the address's SMTP connections (ss -K dst ADDRESS), "
        "as root. Then check that no connection from the address remains (ss -tn dst "
        "ADDRESS); if some do (a kernel built without CONFIG_INET_DIAG_DESTROY, where ss -K "
        "ends none and says nothing), restart Postfix, which ends every SMTP session "
        "(postfix stop; postfix start, or systemctl restart postfix)."
    ),
    N_(
        "Check the mail queue (mailq) for spam sent as this user and delete it "
        "(postsuper -d), and look for forwarding rules or app passwords the intruder added."
    ),
    N_("Ban the address the login came from and audit other accounts it tried."),
)
"""English, as the JSON says it (marked ``N_``: the text report translates it)."""


ASK_THE_OWNER = N_(
    "Ask the account's owner first whether this login was theirs (a new phone, a trip): "
    "the failed logins before it were others' guessing, or only a few tries from this "
    "address, as an owner's typos would be. If it was not theirs:"
)


ASK_ABOUT_THE_DEVICE = N_(
    "Ask the account's owner first whether a device of theirs (a phone, a mail program) "
    "logs in from this address: it kept failing as the account after its login, as a "
    "device with an old password does, and a bot that guessed the password does not. If "
    "it is theirs, update the password saved on it. If it is not:"
)
"""The first step of a login :data:`FAILURES_AFTER_LOGIN` makes doubtful; no ban of the
address follows it (it may be the owner's device)."""

FAILURES_AFTER_LOGIN = "failures_after_login"
""":attr:`Compromise.doubt` of a login after which its address kept failing as that
account: at least :data:`DOUBT_FAILURES` failed connections (lines, not the attempts
one reports), the last more than :data:`DOUBT_AFTER` seconds after the login, at a
device's pace (no more than one a minute on average after the login, none more than
:data:`DOUBT_GAP` after the one before): a phone with an old password that once got the
new one (or was briefly fixed). Only when its failures before the login were a
device's too (that account alone, at most :data:`DOUBT_BEFORE_MAX`, no faster than
:data:`DOUBT_PACE_BEFORE`, no verdict of a program's guessing), and it did not log in
again before failing (an intruder polling until the password was reset). A bot's
tries in flight on its parallel connections, within :data:`DOUBT_IN_FLIGHT` seconds
after its success, are not counted."""
DOUBT_FAILURES = 2
DOUBT_AFTER = 300.0
DOUBT_PACE = 60.0
"""Seconds per failure after the login, on average at least (a device retries at its
polling interval; a guessing program that goes on after its success, much faster)."""
DOUBT_BEFORE_MAX = 30
"""The most failed attempts (as the lines report them) an address may have made before
its login for that login to be in doubt: a device's failures start when the password
was changed and stop when its owner fixes it, the same day (a phone polling every 5
minutes fails 12 times an hour, 30 in two and a half hours). A guessing program that
got in after more, however slowly, is a sure break-in: a hundred guesses at one a
minute are no phone (the trade-off: a device left failing longer than that makes its
owner's login after them a sure break-in, the conservative side)."""
DOUBT_PACE_BEFORE = 120.0
"""Seconds per failure before the login, on average at least (over the failures
remembered): a device polls every few minutes; a program guessing at one a minute or
faster is no device, whatever follows its success."""
DOUBT_IN_FLIGHT = 60.0
"""Failures within this many seconds after the login are a bot's tries in flight on its
parallel connections: counted neither toward :data:`DOUBT_FAILURES` nor in the span."""
DOUBT_GAP = 3600.0
"""The failures after the login count while each comes within this many seconds of the
one before (of the login, for the first): a device keeps polling; an intruder back
after a pause (the next day, the password changed) is guessing again."""


def doubted_advice(advice: tuple[str, ...]) -> tuple[str, ...]:
    """A compromise's ``advice`` when :data:`FAILURES_AFTER_LOGIN` makes it doubtful:
    :data:`ASK_ABOUT_THE_DEVICE` first (not :data:`ASK_THE_OWNER`), and no ban of the
    address, which may be the owner's device."""
    rest = tuple(s for s in advice if s not in (ASK_THE_OWNER, COMPROMISE_ADVICE[-1]))
    return (ASK_ABOUT_THE_DEVICE, *rest)


def compromise_advice(
    ip: str | None, never_banned: str | None, by_others: bool = False
) -> tuple[str, ...]:
    """What to do after a login from ``ip``: :data:`COMPROMISE_ADVICE`, except that a
    client never banned (``never_banned``: why, as :attr:`Attacker.reasons` says it) gets
    no advice to ban it, but to find out who logged in from there; and a login judged
    only by other clients' guessing (``by_others``) is first checked with the owner."""
    first = (ASK_THE_OWNER,) if by_others else ()
    if never_banned is None:
        return (*first, *COMPROMISE_ADVICE)
    return (
        *first,
        *COMPROMISE_ADVICE[:-1],
        f"The login came from {ip or 'an address'}, {never_banned}: it is never banned. "
        "Find the machine or program there that logged in (a webmail, proxy or relay "
        "passes on its users' logins) and audit other accounts tried from it.",
    )


def redacted_text(event: Event) -> str:
    """The log line with every secret the server logged in it replaced by ``[redacted]``
    (:func:`mailwarden.redact.redact_line`: AUTH payloads and the response lines of an
    AUTH exchange, pipelined ones too, Dovecot's ``given password``, Cyrus's decoded
    responses, …): evidence leaves the machine in reports, JSON, the store and alerts.
    Works on the text alone: evidence events keep no parsed payload."""
    text = redact_line(event.record.text)
    if event.type is EventType.AUTH_COMMAND and event.payload:
        # A parsed initial response the line's form did not show where: never kept.
        payload = event.payload.strip().rstrip("?")
        if payload not in {"", "=", "*"} and payload in text:
            text = text.replace(payload, REDACTED)
    return text


def evidence_json(events: tuple[Event, ...]) -> list[dict[str, Any]]:
    """Evidence lines for JSON, with credentials redacted."""
    return [
        {"source": e.record.source, "line": e.record.line, "text": redacted_text(e)} for e in events
    ]


TIME_ZONE: ContextVar[tzinfo | None] = ContextVar("mailwarden_report_zone", default=None)
"""The offset every time of the report being written is shown in (None: each its own,
which is then one for all): UTC when its times have different offsets
(:func:`report_zone`)."""


def finding_times(finding: Finding) -> dict[str, datetime]:
    """The times a finding's ``data`` holds as ISO text (``first_seen``, ``last_seen``),
    by key: those with an offset, which the report shows in its one."""
    times: dict[str, datetime] = {}
    for key, value in finding.data.items():
        if not isinstance(value, str) or not (key.endswith("_seen") or key == "time"):
            continue
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            continue
        if moment.utcoffset() is not None:
            times[key] = moment
    return times


def report_zone(analysis: Analysis) -> tzinfo | None:
    """UTC when the times of ``analysis`` (attackers, compromises, credentials,
    findings' ``data``) have
    different UTC offsets (a summer-time change, inputs from servers in other zones):
    shown each in its own offset they read backwards (``02:50`` then ``02:11``); None
    when they share one (shown as the log wrote them)."""
    offsets: set[timedelta | None] = set()
    for attacker in analysis.attackers:
        for moment in (attacker.first_seen, attacker.last_seen):
            if moment is not None:
                offsets.add(moment.utcoffset())
        if len(offsets) > 1:
            return UTC
    moments = [c.time for c in analysis.compromised] + [c.time for c in analysis.credentials]
    moments += [m for f in analysis.findings for m in finding_times(f).values()]
    offsets.update(m.utcoffset() for m in moments if m is not None)
    offsets.discard(None)
    return UTC if len(offsets) > 1 else None


@contextmanager
def one_zone(analysis: Analysis) -> Iterator[tzinfo | None]:
    """Within it, the report's times are shown in :func:`report_zone` (``TIME_ZONE``)."""
    token = TIME_ZONE.set(report_zone(analysis))
    try:
        yield TIME_ZONE.get()
    finally:
        TIME_ZONE.reset(token)


def in_report_zone(value: datetime) -> datetime:
    """``value`` in the report's zone (:data:`TIME_ZONE`), as is without one."""
    zone = TIME_ZONE.get()
    if zone is None or value.tzinfo is None:
        return value
    return value.astimezone(zone)


def _time(value: datetime | None) -> str | None:
    return in_report_zone(value).isoformat() if value is not None else None


# -- evidence lines, as the detector keeps them ------------------------------------------


class Header(NamedTuple):
    """What many evidence lines share, interned: one object for all of them
    (:func:`mailwarden.detect.state.evidence_of`). A NamedTuple, not a plain tuple type:
    mypyc keeps a plain fixed-length tuple unboxed and boxes a new copy of it into every
    evidence line it is stored in (120 bytes a line); a NamedTuple stays one object."""

    type: EventType
    category: Category
    hostile: bool
    strength: Strength | None
    host: str | None
    program: str | None
    source: str
    service: str | None
    attempts: int
    server_ip: str | None


Place: TypeAlias = int | tuple[int, int, int | None, int | None]
"""Where an evidence line is and who wrote it: its line number, byte offset, the
client's port and the pid, packed into one int by :func:`place_of` (one object, not
four: a hundred thousand attackers' lines cost some 8 MB less), or as a tuple when a
value does not fit (:func:`place_fields` reads either)."""

_PORT_BITS = 17  # the port plus one (0: none)
_PID_BITS = 23  # the pid plus one (0: none); Linux's pid_max is at most 2**22
_LINE_BITS = 32
_PORT_MASK = (1 << _PORT_BITS) - 1
_PID_MASK = (1 << _PID_BITS) - 1
_LINE_MASK = (1 << _LINE_BITS) - 1
_PID_SHIFT = _PORT_BITS
_LINE_SHIFT = _PID_SHIFT + _PID_BITS
_OFFSET_SHIFT = _LINE_SHIFT + _LINE_BITS


def place_of(line: int, offset: int, port: int | None, pid: int | None) -> Place:
    """The :data:`Place` of a line (:func:`place_fields` gives the four back)."""
    port1 = 0 if port is None else port + 1
    pid1 = 0 if pid is None else pid + 1
    if (
        (port is None or 0 < port1 <= _PORT_MASK)
        and (pid is None or 0 < pid1 <= _PID_MASK)
        and 0 <= line <= _LINE_MASK
        and offset >= 0
    ):
        return (offset << _OFFSET_SHIFT) | (line << _LINE_SHIFT) | (pid1 << _PID_SHIFT) | port1
    return (line, offset, port, pid)


def place_fields(place: Place) -> tuple[int, int, int | None, int | None]:
    """(line, offset, port, pid) of a :data:`Place`."""
    if isinstance(place, tuple):
        return place
    port1 = place & _PORT_MASK
    pid1 = (place >> _PID_SHIFT) & _PID_MASK
    return (
        (place >> _LINE_SHIFT) & _LINE_MASK,
        place >> _OFFSET_SHIFT,
        port1 - 1 if port1 else None,
        pid1 - 1 if pid1 else None,
    )


Evidence: TypeAlias = tuple[str, Place, datetime | None, str | None, str | None, Header]
"""One evidence line: (text, place, time, ip, session, header). The text is the line as
written, ``given password`` masked and cut at
:data:`~mailwarden.detect.state.MAX_EVIDENCE_TEXT`; the place its line number, offset,
port and pid (:data:`Place`); :func:`evidence_event` turns it back into an ``Event``
(:func:`mailwarden.detect.state.evidence_of` makes one)."""

_tuple_new = tuple.__new__


def evidence_event(item: Evidence) -> Event:
    """An evidence line as the ``Event`` reports and the daemon take: the type, the
    client, the line as written and its place; no parsed fields (message, user,
    mechanism, reason, payload, detail)."""
    text, place, time, ip, session, header = item
    line, offset, port, pid = place_fields(place)
    etype, category, hostile, strength, host, program, source, service, attempts, server = header
    record = _tuple_new(Record, (time, host, program, pid, "", source, line, offset, text))
    return _tuple_new(
        Event,
        (
            etype,
            category,
            hostile,
            strength,
            ip,
            port,
            None,
            None,
            None,
            record,
            attempts,
            session,
            service,
            server,
            None,
            None,
        ),
    )


def evidence_events(items: tuple[Evidence, ...] | None) -> tuple[Event, ...]:
    return tuple(evidence_event(item) for item in items) if items else ()


if Event._fields != (
    "type",
    "category",
    "hostile",
    "strength",
    "ip",
    "port",
    "user",
    "mechanism",
    "reason",
    "record",
    "attempts",
    "session",
    "service",
    "server_ip",
    "payload",
    "detail",
) or Record._fields != (
    "time",
    "host",
    "program",
    "pid",
    "message",
    "source",
    "line",
    "offset",
    "text",
):  # pragma: no cover - guards evidence_event() against a change of the model
    raise RuntimeError("mailwarden.model changed: update detect.analysis.evidence_event()")


@dataclass(frozen=True, slots=True)
class Attacker:
    """One client judged hostile."""

    ip: str
    network: str | None
    """The network reported as the attacker when several of its addresses attacked
    together (``policy.ipv4_prefix`` / ``ipv6_prefix``); None otherwise."""
    verdict: Verdict
    verdicts: tuple[Verdict, ...]
    """Every verdict that applies, worst first."""
    failures: int
    """Failed logins counted as guesses (stale-password failures are not guesses)."""
    users: tuple[str, ...]
    """Usernames tried, most tried first (a bounded sample)."""
    first_seen: datetime | None
    """Its first hostile act: a failed login (a guess, or a stale password's), a policy
    violation, or a login judged a break-in."""
    last_seen: datetime | None
    """Its last hostile act, as :attr:`first_seen`: a login that is no break-in (the
    owner's, from the same address) moves neither; the intruder's logins after a
    break-in do."""
    succeeded_as: tuple[str, ...]
    recommendation: str
    reasons: tuple[str, ...] = ()
    """Why, in words: ``3 failed logins within 1m``."""
    existing_users: tuple[str, ...] | None = None
    """Of the usernames tried, those that are real accounts (None without ``--users``)."""
    users_complete: bool = True
    """False when the client tried more usernames than ``users`` keeps (the first
    MAX_USERS_PER_CLIENT)."""
    user_count: int = 0
    """How many distinct usernames it tried (``len(users)``; when ``users_complete`` is
    false, a lower bound: the names past MAX_USERS_PER_CLIENT are not counted)."""
    unsure: bool = False
    """Its worst verdict is a compromise that the account's owner must confirm (the
    :attr:`Compromise.by_others` of its login, or its :attr:`Compromise.doubt`): "maybe
    got in", not a certain one."""
    stale_failures: int = 0
    unnamed_failures: int | None = None
    """Of :attr:`failures`, those that named no account (Postfix before 3.9 names
    none; a lost connection to the authentication server amid guessing names none):
    each account's count (the enumeration finding's ``most_tried``) has only the tries
    that named it. None when unknown (the client tried more names than it keeps)."""
    services: tuple[str, ...] = ()
    items: tuple[Evidence, ...] = ()
    """Its evidence lines as the detector keeps them (:data:`Evidence`), turned into
    events only when :attr:`evidence` is read: a report on a hundred thousand attackers
    holds no parsed copy of their lines (JSON writes them one attacker at a time)."""

    @property
    def evidence(self) -> tuple[Event, ...]:
        """The evidence lines as events (made anew each time it is read)."""
        return evidence_events(self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "ip": self.ip,
            "network": self.network,
            "verdict": str(self.verdict),
            "failures": self.failures,
            "users": list(self.users),
            "first_seen": _time(self.first_seen),
            "last_seen": _time(self.last_seen),
            "succeeded_as": list(self.succeeded_as),
            "recommendation": self.recommendation,
            "verdicts": [str(v) for v in self.verdicts],
            "reasons": list(self.reasons),
            "existing_users": None if self.existing_users is None else list(self.existing_users),
            "stale_failures": self.stale_failures,
            "users_complete": self.users_complete,
            "user_count": self.user_count,
            "unsure": self.unsure,
            "unnamed_failures": self.unnamed_failures,
            "services": list(self.services),
            "evidence": evidence_json(self.evidence),
        }


@dataclass(frozen=True)
class Compromise:
    """A successful login that follows guessing: someone probably got in."""

    user: str | None
    """The account (None when the log shows a success but not for whom)."""
    ip: str | None
    time: datetime | None
    failures_before: int
    """Failed logins before it: from this client, plus those on this account from
    other clients within ``policy.compromise_window``."""
    reason: str
    evidence: tuple[Event, ...] = ()
    advice: tuple[str, ...] = COMPROMISE_ADVICE
    by_others: bool = False
    """The guessing before it was others' (the address made no guess itself, or a try
    or two on this account inside a spraying campaign on it), or a few tries on this
    account alone (``fast_failures`` at most), or a few in all with some on it, at a
    person's pace (colleagues behind one address; not several names that banned the
    address as a program's): the least certain cases, a first login
    from a new device looks the same. The owner can tell; the headline says "Maybe", and
    the address is watched, not banned, unless its own guessing earned a ban."""
    session_started: bool = True
    """False when the login's password was accepted but the login failed after it, so no
    session started (Dovecot's ``internal failure, K successful auths``): the client
    knows the password all the same."""
    doubt: str | None = None
    """Why the break-in is in doubt, though still reported (None: it is not):
    :data:`FAILURES_AFTER_LOGIN`, its address kept failing as the account after the
    login, as the owner's device with an old password does. Told "Maybe", the owner
    asked first, the address watched, not banned."""
    failures_after: int = 0
    """With :attr:`doubt`: the failures as the account from its address after the login."""
    last_failure_after: datetime | None = None
    """With :attr:`doubt`: the time of the last of them."""

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "ip": self.ip,
            "time": _time(self.time),
            "failures_before": self.failures_before,
            "reason": self.reason,
            "by_others": self.by_others,
            "session_started": self.session_started,
            "doubt": self.doubt,
            "failures_after": self.failures_after,
            "last_failure_after": _time(self.last_failure_after),
            "advice": list(self.advice),
            "evidence": evidence_json(self.evidence),
        }


@dataclass(frozen=True)
class SeenCredential:
    """A decoded AUTH payload and where it was seen."""

    ip: str | None
    credential: Credential
    time: datetime | None
    source: str
    line: int

    def to_json(self, show_passwords: bool = False) -> dict[str, Any]:
        cred = self.credential
        if cred.password is None:
            password = None
        elif show_passwords:
            password = cred.password
        else:
            password = cred.masked_password()
        return {
            "ip": self.ip,
            "mechanism": cred.mechanism,
            "authzid": cred.authzid,
            "user": cred.user,
            "password": password,
            "complete": cred.complete,
            "password_masked": not show_passwords and cred.password is not None,
            "time": _time(self.time),
            "source": self.source,
            "line": self.line,
        }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "severity": str(finding.severity),
        "subject": finding.subject,
        "data": dict(finding.data)
        | {key: _time(moment) for key, moment in finding_times(finding).items()},
        "evidence": evidence_json(finding.evidence),
    }


@dataclass(frozen=True)
class Analysis:
    """Everything detection concluded about a stream of events."""

    attackers: tuple[Attacker, ...] = ()
    compromised: tuple[Compromise, ...] = ()
    credentials: tuple[SeenCredential, ...] = ()
    findings: tuple[Finding, ...] = ()
    stats: Mapping[str, int | float | str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    """Things a reader must know about the analysis itself (state was capped, …)."""
    owner_logins: tuple[tuple[str, str, int], ...] = ()
    """Logins judged the owner's (no break-in) from an address whose failed logins
    before them are still counted (the failures name no account, as Postfix before 3.9
    writes them): (address, account as logged, those failures). The text headline says
    them, so that "too few to tell guessing from a typo" does not leave the login out.
    Not in the JSON."""

    def attacker(self, ip: str) -> Attacker | None:
        """The entry for ``ip``, if it was judged hostile."""
        for attacker in self.attackers:
            if attacker.ip == ip:
                return attacker
        return None

    def findings_of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def write_json(
        self,
        stream: TextIO,
        show_passwords: bool = False,
        stats: Mapping[str, int | float | str] | None = None,
    ) -> None:
        """Write the object :meth:`to_json` returns, one attacker per line as it goes:
        an archive with a hundred thousand attackers never has their JSON in memory at
        once. Client text stays on its line and off the terminal (:func:`json_safe`)."""
        with one_zone(self):
            whole = self.to_json(show_passwords, stats, attackers=False)
            stream.write('{"attackers": [')
            for n, attacker in enumerate(self.attackers):
                stream.write(",\n" if n else "\n")
                stream.write(json_safe(json.dumps(attacker.to_json(), ensure_ascii=False)))
        stream.write("\n]")
        for key, value in whole.items():
            stream.write(f", {json.dumps(key)}: ")
            stream.write(json_safe(json.dumps(value, ensure_ascii=False)))
        stream.write("}\n")

    def to_json(
        self,
        show_passwords: bool = False,
        stats: Mapping[str, int | float | str] | None = None,
        attackers: bool = True,
    ) -> dict[str, Any]:
        """The ``analyze --format json`` object. ``stats`` (lines read, seconds, …, from
        the reading stages) come first in ``stats``, then detection's own counters.
        ``attackers=False`` leaves the attackers out (:meth:`write_json` streams them)."""
        merged: dict[str, int | float | str] = dict(stats or {})
        merged.update(self.stats)
        out: dict[str, Any] = {}
        with one_zone(self) if TIME_ZONE.get() is None else nullcontext():
            if attackers:
                out["attackers"] = [a.to_json() for a in self.attackers]
            return out | {
                "compromised": [c.to_json() for c in self.compromised],
                "credentials": [c.to_json(show_passwords) for c in self.credentials],
                "findings": [finding_json(f) for f in self.findings],
                "stats": merged,
                "notes": list(self.notes),
            }
