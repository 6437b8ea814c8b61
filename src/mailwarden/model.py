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
from socket import AF_INET, AF_INET6, inet_pton
from typing import Any, NamedTuple

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_key(ip: str) -> bytes:
    """A sort key that orders addresses by number (``203.0.113.11`` before
    ``203.0.113.101``), IPv4 before IPv6, anything else (a network's text) after both:
    the packed address behind its family. About 0.2 µs an address (a parsed
    ``ipaddress`` object costs ten times more)."""
    try:
        if ":" in ip:
            return b"\x06" + inet_pton(AF_INET6, ip)
        return b"\x04" + inet_pton(AF_INET, ip)
    except (OSError, ValueError):
        return b"\x07" + ip.encode("utf-8", "replace")


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
    """A Postfix session ended. detail['stats'] = the command statistics string (3.0+;
    detail is None before); ``attempts`` = failed AUTH commands (``auth=0/3`` gives 3,
    ``auth=1/2`` gives 1, no AUTH gives 0); detail['auth_ok'] = the successful ones (a
    success after failures is how a guessed password shows when no mail was sent).
    Hostile (strong) when AUTH or ``unknown=`` commands failed and no AUTH succeeded."""
    LOST_CONNECTION = "lost_connection"
    """``lost connection after X``; detail['after'] = X, detail['bytes'] for DATA/BDAT
    (3.10+). Weak after CONNECT/EHLO/HELO/STARTTLS/AUTH/UNKNOWN (after AUTH it repeats
    the disconnect line), not hostile after DATA, BDAT, RSET, QUIT and the like."""
    TIMEOUT = "timeout"
    """``timeout after X``; detail['after'] = X. Weak, not hostile after DATA, BDAT or
    END-OF-MESSAGE."""
    TOO_MANY_ERRORS = "too_many_errors"
    """``too many errors after X``; strong."""
    NO_AUTH = "no_auth"
    """Dovecot: the client left without trying to log in (``no auth attempts``,
    ``disconnected before auth was ready``). Weak. Login-line fields as AUTH_FAILURE."""

    AUTH_FAILURE = "auth_failure"
    """A failed guess. user (client-chosen, may be None), mechanism, reason,
    ``attempts`` = how many guesses the line stands for (Dovecot's ``N attempts``, a
    syslog ``N Time(s)`` summary), session (Dovecot), server_ip (Dovecot ``lip=``).
    Strong, except weak for an invalid or unsupported mechanism and for Dovecot's
    ``user disabled`` / ``login disabled`` / ``password expired``. Cyrus's own
    ``SASL authentication failure:`` line (no address; the ``SASL … authentication
    failed`` line of the same attempt follows) is an AUTH_FAILURE that is not hostile.
    detail (Dovecot): 'db' = the passdb of an auth-process line, 'code' = the 2.4 event
    code, 'tls' = the ``%{secured}`` element, 'password_logged' = 'plain' or 'sha1' when
    the server logged the password (it is masked in ``reason``), 'ambiguous' when the
    client's text repeated the line's separators and no address was taken."""
    AUTH_SUCCESS = "auth_success"
    """Someone logged in: Postfix ``client=…, sasl_username=``, the SASL trailer of a
    reject line (detail['source'] = 'reject', before that line's REJECT), Dovecot
    ``Login:`` / ``Logged in``, and Dovecot's ``internal failure, K successful auths``
    (a password accepted, the login failing after it: detail['login_failed'], no
    session started; 2.4's ``K/N`` gives an AUTH_FAILURE of its N - K failed tries
    first); user, mechanism; session and server_ip (Dovecot). Never hostile."""
    AUTH_ABORTED = "auth_aborted"
    """The client cancelled or abandoned an AUTH exchange (Postfix ``SASL X
    authentication aborted``; Dovecot ``client didn't finish SASL auth``,
    ``disconnected while authenticating``). mechanism. Weak."""
    AUTH_UNAVAILABLE = "auth_unavailable"
    """The server could not check a password: ``Connection lost to authentication
    server``, Cyrus 454 reasons, a PAM error that is not a wrong password, Dovecot's
    ``internal failure`` without a successful auth / ``temporary failure``. reason. Weak
    when a client address is known (during a fast brute force these are guesses too); not
    hostile when the line names no client (``SASL: Connect to Dovecot auth socket …
    failed``, category SERVER). Detectors decide in context whether it was a guess."""
    AUTH_COMMAND = "auth_command"
    """An AUTH command seen in verbose chat, a TLS plaintext dump or an xsasl ``-v``
    line. mechanism, payload = the initial response as logged (may be truncated; None
    when there was none); detail['declared_length'] = the ``Read N chars`` N when known.
    ip only in the chat form (``< name[addr]: AUTH …``); dump lines carry none and join
    their session by host+program+pid. Not hostile by itself."""
    CLIENT_DATA = "client_data"
    """Other client text in verbose chat or a plaintext dump (may be an AUTH LOGIN
    response line, joined through the session: a credential). payload (the line end,
    ``??`` in the log, removed when the whole line is shown); detail['declared_length']."""
    SERVER_REPLY = "server_reply"
    """A reply the server sent, from verbose chat or a plaintext dump. detail['code'] =
    '535', detail['enhanced'] = '5.7.8', reason = the text."""

    REJECT = "reject"
    """A Postfix or postscreen reject (``NOQUEUE: reject: RCPT from …``), milter-reject
    too. detail['stage'] = RCPT/EHLO/..., detail['action'] = reject/milter-reject,
    detail['code'], detail['enhanced'], reason = the reply text, detail['helo'],
    detail['from'], detail['to'] (client text), detail['proto']. Strong for relay,
    client-host, HELO and sender rejects, unknown recipients, ``Service unavailable``,
    ``Access denied``, protocol abuse, permanent milter rejects; not hostile for
    greylisting and other temporary or capacity refusals; weak otherwise (see
    parsers.postfix._reject_weight). Not hostile when its trailer shows the session
    logged in (detail['sasl_method'], detail['sasl_username']; an AUTH_SUCCESS comes
    first)."""
    DNSBL = "dnsbl"
    """A DNSBL listing: postscreen ``DNSBL rank N`` (detail['rank']) or a ``blocked
    using`` reject (REJECT's fields). Strong."""
    HOSTNAME_MISMATCH = "hostname_mismatch"
    """``hostname X does not resolve to address Y[: error]`` (and the 2.x wordings); ip =
    Y, detail['hostname'] = X, reason = the resolver error. Weak."""
    NON_SMTP_COMMAND = "non_smtp_command"
    """``non-SMTP command from …: GET / HTTP/1.1``. Strong. payload = the command."""
    LONG_REQUEST = "long_request"
    """``warning: name[addr]: request longer than 2048: AUTH PLAIN …``: a client line
    over smtpd's limit (Postfix reads that much and handles it as the line). Weak: a
    hint only, which the detector does not count (the login it may carry counts on its
    own failure line), so the prefilter has no needle for it. detail['limit'],
    detail['command'] = the line's first word, upper case, when it is one (``AUTH``);
    the text itself (up to 30 bytes, perhaps a credential) is not carried."""
    PIPELINING = "pipelining"
    """``improper command pipelining after X``: detail['after'] = X, payload = the
    unread client text (2.9+). Strong."""
    RATE_LIMITED = "rate_limited"
    """An anvil limit was hit (``AUTH command rate limit exceeded: 11 from …``).
    detail['limit'] = auth, connection_rate, concurrency, new_tls_session, message or
    recipient; detail['count'] = the count; detail['for_service'] = the master.cf
    service. Strong."""
    ANVIL_STATISTICS = "anvil_statistics"
    """anvil's periodic ``statistics: max auth rate 5/60s for (submission:1.2.3.4)``.
    detail['metric'], detail['value'], detail['for_service']; service = that service;
    detail['network'] (no ip) when 3.8+ aggregated the client by prefix. Not hostile."""

    POSTSCREEN_VIOLATION = "postscreen_violation"
    """PREGREET, HANGUP, COMMAND PIPELINING, NON-SMTP COMMAND, BARE NEWLINE, COMMAND
    TIME/COUNT/LENGTH LIMIT, DENYLISTED/BLACKLISTED. reason = the test name, payload =
    the client's text (PREGREET, pipelining), detail['after'] (and 'count', 'stage').
    Strong."""
    POSTSCREEN_PASS = "postscreen_pass"
    """PASS NEW / PASS OLD / CONNECT (server_ip = the local address) / DISCONNECT /
    ALLOWLISTED / ALLOWLIST VETO from postscreen; reason = which. Not hostile."""

    TLS_ESTABLISHED = "tls_established"
    """``… TLS connection established from …: TLSv1.2 with cipher RC4-SHA (128/128
    bits)``. detail['protocol'], detail['cipher'], detail['bits'] = '128/128',
    detail['verb'] = established/reused, detail['trust'] = Anonymous/Verified/…
    (absent in old versions), detail['sni'], detail['extra'] = the 3.4+ key-exchange
    and signature text. Not hostile."""
    TLS_FAILURE = "tls_failure"
    """``SSL_accept error from …``, ``TLS library problem``, ``SSL_accept:failed``,
    ``SSL3 alert …:fatal:…``, an invalid SNI, Dovecot ``disconnected during TLS
    handshake``. Weak when it names a client, not hostile when it does not."""
    TLS_SETUP = "tls_setup"
    """Handshake chatter: ``setting up TLS connection``, ``TLS cipher list "…"``
    (detail['cipher_list']), ``SSL_accept:<state>`` (detail['state']), an unmatched
    SNI, the TLS engine initialising. Not hostile."""
    TLS_DUMP = "tls_dump"
    """BIO ``read from … (11 bytes => -1 …)`` and hex-dump rows: noise, never an error.
    BIO lines: detail['direction'] (read|write), detail['requested'], detail['result']
    (-1 = EAGAIN) and detail['trailer'] (text after the closing parenthesis, e.g. a
    person's "(some cipher text)" in a pasted excerpt). Hex rows: detail['offset'] and
    detail['hex'] (the bytes, space-separated), or detail['nulls'] = 'yes' for
    ``<SPACES/NULLS>``."""

    QUEUED = "queued"
    """``QUEUEID: client=…`` without SASL: a message entered the queue."""
    DEBUG = "debug"
    """Other verbose (``-v``) smtpd lines (``function_name: …``, xsasl replies, Cyrus
    ``SASL authentication info/debug/trace/pass`` lines). reason = the text, with any
    password the line carried replaced by ``<hidden>`` (detail['password_logged']).
    Also a Dovecot passdb's refusal passed on to the next passdb (``unknown user … -
    trying the next passdb``): no failed attempt; detail['next_db'] = 'passdb' or
    'userdb', 'db', 'password_logged' as for AUTH_FAILURE; user, ip, session."""
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
    manual: bool = False
    """An admin's ban (``mailwarden ban``): a firewall that holds a limited number of
    bans keeps it before every automatic one."""

    def __post_init__(self) -> None:
        if self.expires.tzinfo is None or self.expires.utcoffset() is None:
            raise ValueError("BanEntry.expires must be an aware datetime")
        if not isinstance(self.network, ipaddress.IPv4Network | ipaddress.IPv6Network):
            raise TypeError(f"BanEntry.network must be an IP network, not {self.network!r}")

    def remaining(self, now: datetime | None = None) -> float:
        """Seconds left (negative once expired)."""
        now = now or datetime.now(UTC)
        return (self.expires - now).total_seconds()
