"""The values that cross the pipeline's stages.

    sources --bytes--> framing --Record--> parsers --Event--> detect --Finding/Decision--> enforce

`Record` and `Event` are created once per log line on the hot path, so they are
`NamedTuple`s: immutable and typed like a frozen dataclass, but several times cheaper to
build (a frozen dataclass pays one ``object.__setattr__`` per field). `Finding` and
`Decision` are rare and are frozen dataclasses.

Every text field that a client can choose (``user``, ``payload``, the EHLO name in
``detail``) is hostile: it is data to show (escaped) or count, never to execute, and a
client address is only ever taken from the position the server writes (see
shared reference, section 0).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Record(NamedTuple):
    """One log entry, as framing found it."""

    time: datetime | None
    """Aware datetime, or None when the entry carried no time."""
    host: str | None
    """The syslog host field, when there was one."""
    program: str | None
    """The syslog tag without the pid: ``postfix/submission/smtpd``, ``dovecot``,
    ``imap-login``; None for a bare message."""
    pid: int | None
    message: str
    """The text after ``program[pid]: `` (the whole entry for a bare message)."""
    source: str
    """Where it came from: a path, ``-`` for standard input, ``journal``."""
    line: int
    """1-based physical line number in the source (entries split out of one pasted line
    share its number)."""
    offset: int
    """Byte offset of the physical line in the (decompressed) source."""
    text: str
    """The entry as written (header and message), for showing it back to a person."""


class Strength(StrEnum):
    """How much a hostile event counts against its client.

    STRONG is evidence on its own (a failed guess, a relay reject, a PREGREET, ...);
    WEAK is a hint that needs company (a TLS handshake failure, lost connection after
    CONNECT, ...)."""

    STRONG = "strong"
    WEAK = "weak"


class Category(StrEnum):
    AUTH = "auth"  # authentication attempts, their results, AUTH payloads
    SESSION = "session"  # connect, disconnect, lost connection, timeouts
    POLICY = "policy"  # rejects, DNSBL hits, reverse-DNS failures, non-SMTP commands
    RATE = "rate"  # anvil and Dovecot rate limits
    POSTSCREEN = "postscreen"
    TLS = "tls"  # handshake progress, established, failures
    DEBUG = "debug"  # verbose chat, plaintext dumps, hex dumps, BIO lines
    SERVER = "server"  # the server's own trouble (auth server gone, config warnings)
    MAIL = "mail"  # a message accepted into the queue


class EventType(StrEnum):
    """What an event says. The fields each type fills are listed; all others are None.

    Every type fills ``record``; most fill ``ip`` (the client address, taken only from
    the server-written position) and ``port`` when the log has it.
    """

    CONNECT = "connect"
    """A client connected. ip, port; detail['name'] = reverse name or 'unknown'."""
    DISCONNECT = "disconnect"
    """A Postfix session ended. detail['stats'] = the command statistics string;
    ``attempts`` = failed AUTH commands (``auth=0/3`` gives 3); detail['auth_ok'] = the
    successful ones. Hostile (strong) when AUTH failed and nothing succeeded, or when
    ``unknown=`` commands failed."""
    LOST_CONNECTION = "lost_connection"
    """``lost connection after X``; detail['after'] = X. Weak after CONNECT/EHLO/
    STARTTLS/AUTH/UNKNOWN, not hostile after DATA and the like."""
    TIMEOUT = "timeout"
    """``timeout after X``; detail['after'] = X."""
    TOO_MANY_ERRORS = "too_many_errors"
    """``too many errors after X``; strong."""
    NO_AUTH = "no_auth"
    """Dovecot: the client left without trying to log in (``no auth attempts``)."""

    AUTH_FAILURE = "auth_failure"
    """A failed guess. user (client-chosen, may be None), mechanism, reason,
    ``attempts`` = how many guesses the line stands for (Dovecot's ``N attempts``),
    session (Dovecot). Strong, except an invalid mechanism (weak)."""
    AUTH_SUCCESS = "auth_success"
    """Someone logged in: Postfix ``client=…, sasl_username=``, Dovecot ``Login:`` /
    ``Logged in``; user, mechanism. Never hostile."""
    AUTH_ABORTED = "auth_aborted"
    """The client cancelled an AUTH exchange (``*``). Weak."""
    AUTH_UNAVAILABLE = "auth_unavailable"
    """The server could not check a password: ``Connection lost to authentication
    server``, Cyrus 454 reasons, a broken auth socket. reason. Weak at most; detectors
    decide in context whether it was a guess."""
    AUTH_COMMAND = "auth_command"
    """An AUTH command seen in verbose chat or a TLS plaintext dump. mechanism,
    payload = the initial response as logged (may be truncated); detail['declared_length']
    = the ``Read N chars`` N when known. Not hostile by itself."""
    CLIENT_DATA = "client_data"
    """Other client text in verbose chat or a plaintext dump (may be an AUTH LOGIN
    response line, joined through the session). payload; detail['declared_length']."""
    SERVER_REPLY = "server_reply"
    """A reply the server sent, from verbose chat or a plaintext dump. detail['code'] =
    '535', detail['enhanced'] = '5.7.8', reason = the text."""

    REJECT = "reject"
    """A Postfix or postscreen reject (``NOQUEUE: reject: RCPT from …``), milter-reject
    too. detail['stage'] = RCPT/EHLO/..., detail['code'], reason, detail['helo'],
    detail['from'], detail['to'] (client text). Strong for relay, client-host, HELO
    and sender rejects; see the parser for the list."""
    DNSBL = "dnsbl"
    """A DNSBL listing: postscreen ``DNSBL rank N`` or a ``blocked using`` reject."""
    HOSTNAME_MISMATCH = "hostname_mismatch"
    """``hostname X does not resolve to address Y``. Weak."""
    NON_SMTP_COMMAND = "non_smtp_command"
    """``non-SMTP command from …: GET / HTTP/1.1``. Strong. payload = the command."""
    PIPELINING = "pipelining"
    """``improper command pipelining after X``. Strong."""
    RATE_LIMITED = "rate_limited"
    """An anvil limit was hit (``AUTH command rate limit exceeded: 11 from …``).
    detail['limit'] = which, detail['count']. Strong."""
    ANVIL_STATISTICS = "anvil_statistics"
    """anvil's periodic ``statistics: max auth rate 5/60s for (submission:1.2.3.4)``."""

    POSTSCREEN_VIOLATION = "postscreen_violation"
    """PREGREET, HANGUP, COMMAND PIPELINING, NON-SMTP COMMAND, BARE NEWLINE, COMMAND
    TIME/COUNT/LENGTH LIMIT, DENYLISTED. reason = the test name. Strong."""
    POSTSCREEN_PASS = "postscreen_pass"
    """PASS NEW / PASS OLD / CONNECT / DISCONNECT from postscreen. Not hostile."""

    TLS_ESTABLISHED = "tls_established"
    """``… TLS connection established from …: TLSv1.2 with cipher RC4-SHA (128/128
    bits)``. detail['protocol'], detail['cipher'], detail['bits']."""
    TLS_FAILURE = "tls_failure"
    """``SSL_accept error from …``, ``TLS library problem``, ``SSL_accept:failed``,
    Dovecot ``disconnected during TLS handshake``. Weak when it names a client."""
    TLS_SETUP = "tls_setup"
    """Handshake chatter: ``setting up TLS connection``, ``TLS cipher list "…"``
    (detail['cipher_list']), ``SSL_accept:<state>``, the TLS engine initialising."""
    TLS_DUMP = "tls_dump"
    """BIO ``read from … (11 bytes => -1 …)`` and hex-dump rows: noise, never an error."""

    QUEUED = "queued"
    """``QUEUEID: client=…`` without SASL: a message entered the queue."""
    DEBUG = "debug"
    """Other verbose (``-v``) smtpd lines."""
    SERVER_WARNING = "server_warning"
    """The server's own warnings that say nothing about a client."""


class Event(NamedTuple):
    """One fact about one client, from one log entry. See EventType for what is filled."""

    type: EventType
    category: Category
    hostile: bool
    strength: Strength | None
    ip: str | None
    port: int | None
    user: str | None
    mechanism: str | None
    reason: str | None
    record: Record
    attempts: int = 1
    session: str | None = None
    """Dovecot session id (``session=<…>``)."""
    service: str | None = None
    """Which service saw it: smtp, submission, submissions, imap, pop3, managesieve,
    postscreen."""
    server_ip: str | None = None
    """The local address (Dovecot ``lip=``)."""
    payload: str | None = None
    """Client text carried by the line (AUTH initial response, dump text, command)."""
    detail: Mapping[str, str] | None = None


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """A conclusion drawn from events, with the evidence for it.

    kind: bruteforce, spray, enumeration, compromised, credential_exposed, weak_tls,
    soft_bounce, auth_on_port_25, stale_password, ...
    subject: what it is about (an address, a network, an account, a campaign id).
    data: kind-specific values for reports (counts, windows, accounts, ...).
    """

    kind: str
    severity: Severity
    subject: str
    evidence: tuple[Event, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


class Action(StrEnum):
    BAN = "ban"
    UNBAN = "unban"


@dataclass(frozen=True)
class Decision:
    """What to do about one address or network."""

    action: Action
    target: IPNetwork
    reason: str
    duration: timedelta | None = None
    finding: Finding | None = None


@dataclass(frozen=True)
class BanEntry:
    """One active ban as an enforcer sees it."""

    network: IPNetwork
    """A single address is a /32 or /128."""
    expires: datetime
    """Aware; the ban ends then even if nobody lifts it."""
    reason: str
    """For people (logs, status). Enforcers never write it where a client can read it."""

    def __post_init__(self) -> None:
        if self.expires.tzinfo is None or self.expires.utcoffset() is None:
            raise ValueError("BanEntry.expires must be an aware datetime")
        if not isinstance(self.network, ipaddress.IPv4Network | ipaddress.IPv6Network):
            raise TypeError(f"BanEntry.network must be an IP network, not {self.network!r}")

    def remaining(self, now: datetime | None = None) -> float:
        """Seconds left (negative once expired)."""
        now = now or datetime.now(UTC)
        return (self.expires - now).total_seconds()
