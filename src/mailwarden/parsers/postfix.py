"""Postfix smtpd, postscreen, anvil and tlsproxy lines -> events.

Formats and versions are in the shared reference (§1, §2); the line families:

- session: ``connect from``, ``disconnect from`` (+ command statistics, 3.0+),
  ``lost connection`` / ``timeout`` / ``too many errors after X`` (with the 3.10+
  ``NOQUEUE:``/queue-id prefix and ``(N bytes)``);
- SASL: ``SASL X authentication failed: reason[, sasl_username=user]`` (all versions),
  ``… authentication aborted``, Cyrus's own ``SASL authentication failure:``, the
  Dovecot auth socket failing, success evidence ``QUEUEID: client=…, sasl_method=…``;
- policy: ``reject:`` / ``milter-reject:`` lines (and the login their SASL trailer
  shows), improper pipelining, non-SMTP commands, reverse-DNS mismatches; anvil rate
  limits and statistics;
- postscreen: PREGREET, HANGUP, DNSBL rank, DENYLISTED, protocol tests, PASS, its reject;
- TLS: handshake chatter, the summary line, failures, level 3/4 dumps;
- verbose ``-v`` chat (``< client: AUTH PLAIN …``) and xsasl debug lines.

Security: the client address is only ever taken from the position the server writes:
``name[addr]`` right after a fixed text (``name`` can only be a valid hostname or
``unknown``, so it cannot contain ``[``), postscreen's ``[addr]:port``, or the address in
``hostname X does not resolve to address Y``. Everything after that position that a
client chose (SASL username, EHLO, MAIL FROM, RCPT TO, pipelined text) is data.

Speed: this is the hot path. Dispatch is on the first characters of the message (plain
``startswith``) and one precompiled, anchored regex decides each family; ``detail`` is
only built for lines that carry one; events are built positionally with
``_common.new_event`` (the field order is Event's), addresses are validated through a
cache.
"""

from __future__ import annotations

import re

from mailwarden.model import Category, Event, EventType, Record, Strength
from mailwarden.parsers._common import ADDRESSES as _IPS
from mailwarden.parsers._common import new_event as _new
from mailwarden.parsers._common import smtp_reply, strip_crlf
from mailwarden.parsers.sasl import decode_base64_line
from mailwarden.redact import redact_client_text, redact_server_secrets

_STRONG = Strength.STRONG
_WEAK = Strength.WEAK
_E = EventType
_C = Category

NEEDLES: tuple[str, ...] = (
    "auth",  # SASL lines ("authentication failed/aborted/failure/problem", "auth socket")
    "sasl_",  # "client=…, sasl_method=" (success), xsasl_* AUTH lines
    "isconnect",  # "disconnect from …"
    " after ",  # lost connection/timeout/too many errors, pipelining, postscreen tests
    "reject",  # "reject:", "milter-reject:"
    "non-SMTP",  # "non-SMTP command from"
    "hostname",  # reverse-DNS mismatch (all three wordings)
    "limit exceeded",  # anvil rate/concurrency limits, logged by smtpd
    "anvil",  # anvil's own statistics (the program name is in the raw line)
    "postscreen",  # every postscreen event (the program name is in the raw line)
    "TLS ",  # "TLS connection established", "TLS library problem", "TLS SNI"
    "SSL",  # "SSL_accept error", "SSL_accept:failed", "SSL3 alert"
    " chars: ",  # "Read N chars:" / "Write N chars:" plaintext dumps
    "< ",  # verbose chat, client side
    "> ",  # verbose chat, server side
)
"""A raw line that contains none of these can give no Postfix event other than CONNECT,
QUEUED (without SASL), TLS_SETUP, TLS_DUMP or DEBUG. Each comment names the rules that
need the literal."""

# name[addr] or name[addr]:port (smtpd_client_port_logging). ``name`` is a hostname that
# passed valid_hostname() or "unknown": never "[" , "]", ":" or a space.
_CLIENT = r"([A-Za-z0-9._-]+)\[([0-9A-Fa-f:.]+)\](?::(\d+))?"
_PSC_CLIENT = r"\[([0-9A-Fa-f:.]+)\]:(\d+)"

_CONNECT = re.compile(r"connect from " + _CLIENT + r"$")
_DISCONNECT = re.compile(r"disconnect from " + _CLIENT + r"(?: (.*))?$")
_ABNORMAL = re.compile(
    r"(?:(?:NOQUEUE|[0-9A-Za-z]+): )?(lost connection|timeout|too many errors) after "
    r"(\S+)(?: \((\d+) bytes\))? from " + _CLIENT + r"$"
)
_SASL = re.compile(
    r"warning: " + _CLIENT + r": SASL (\S+) authentication (failed|aborted)(?:(?::(?: (.*))?)|$)"
)
_PIPELINING = re.compile(
    r"improper command pipelining after (\S+) from " + _CLIENT + r"(?::(?: (.*))?)?$"
)
_NON_SMTP = re.compile(r"warning: non-SMTP command from " + _CLIENT + r": (.*)$")
_LONG_REQUEST = re.compile(
    r"warning: " + _CLIENT + r": request longer than (\d+): (?:([A-Za-z]{4,8})(?![A-Za-z0-9+/=]))?"
)
_SMTP_VERBS = frozenset(
    [
        "AUTH",
        "MAIL",
        "RCPT",
        "EHLO",
        "HELO",
        "DATA",
        "BDAT",
        "VRFY",
        "EXPN",
        "ETRN",
        "NOOP",
        "RSET",
        "QUIT",
        "STARTTLS",
        "XCLIENT",
        "XFORWARD",
        "HELP",
    ]
)
"""First words of an over-long line that are named (``detail['command']``); any other
text may be a credential (an AUTH LOGIN step) and is not carried."""
_HOSTNAME = re.compile(
    r"warning: hostname (\S+) does not resolve to address ([0-9A-Fa-f:.]+)(?:: (.*))?$"
)
_HOSTNAME_OLD = re.compile(
    r"warning: ([0-9A-Fa-f:.]+): (?:hostname (\S+) verification failed: (.*)"
    r"|address not listed for hostname (\S+))$"
)
_RATE = re.compile(
    r"warning: (AUTH command rate|Connection rate|Connection concurrency|New TLS session rate"
    r"|Message delivery request rate|Recipient address rate) limit exceeded: (\d+) from "
    + _CLIENT
    + r" for service (\S+)$"
)
_RATE_NAMES = {
    "AUTH command rate": "auth",
    "Connection rate": "connection_rate",
    "Connection concurrency": "concurrency",
    "New TLS session rate": "new_tls_session",
    "Message delivery request rate": "message",
    "Recipient address rate": "recipient",
}
_QUEUE_ID = re.compile(r"(NOQUEUE|[0-9A-Za-z]+): ")
_CLIENT_LINE = re.compile(r"client=" + _CLIENT + r"(.*)$")
_REJECT = re.compile(r"(reject|milter-reject|hangup): (\S+) from " + _CLIENT + r": (.*)$")
_PSC_REJECT = re.compile(r"(reject): (\S+) from " + _PSC_CLIENT + r": (.*)$")
_REJECT_TAIL = re.compile(r"; (?=from=<|to=<|proto=|helo=<)")
# The end of a reject line of an authenticated session (log_whatsup(): `` helo=<H>
# sasl_method=M sasl_username=U[ sasl_sender=S]``). H, S and the addresses before are the
# client's, U the account as the SASL backend accepted it, which may hold anything.
_SASL_TRAILER = re.compile(r"> sasl_method=([A-Za-z0-9_-]{1,20}) sasl_username=")
_TRAILER_ITEMS = (" from=<", " to=<", " proto=", " helo=<", " sasl_method=", " sasl_username=")
"""The items log_whatsup() writes (:func:`_sasl_trailer`): a forged trailer in the
client's text is followed by the one after that text, or by its closing ``>``."""
_ORIG_TAIL = re.compile(r"(?:, orig_queue_id=[0-9A-Za-z]+)?(?:, orig_client=\S+)?$")

_TLS_EST = re.compile(
    r"(?:(Anonymous|Verified|Trusted|Untrusted) )?TLS connection (established|reused) from "
    + _CLIENT
    + r"(?: to (\S+))?: (\S+) with cipher (\S+) \((\d+/\d+) bits\)(.*)$"
)
_TLS_SETUP = re.compile(r"setting up TLS connection from " + _CLIENT + r"$")
_TLS_CIPHERS = re.compile(_CLIENT + r': TLS cipher list "(.*)"$')
_TLS_TICKET = re.compile(_CLIENT + r": Issuing session ticket, key expiration: \d+$")
_SSL_ERROR = re.compile(r"SSL_accept error from " + _CLIENT + r": (.*)$")
_TLS_SNI = re.compile(r"TLS SNI (\S+) from " + _CLIENT + r" not matched")
_TLS_SNI_BAD = re.compile(r"warning: TLS SNI from " + _CLIENT + r" is invalid: (.*)$")
_DUMP_RW = re.compile(r"(Read|Write) (\d+) chars: (.*)$", re.S)
_BIO = re.compile(
    r"(read from|write to) [0-9A-Fa-f]+ \[[0-9A-Fa-f]+\] \("
    r"(?:(\d+) bytes => (-?\d+)(?: \(0x[0-9A-Fa-f]+\))?\)(.*))?"
)
_HEX_ROW = re.compile(r"([0-9a-f]{4}) (?:- <SPACES/NULLS>$|((?:[0-9a-f]{2}[ |])+))")
_CHAT = re.compile(r"([<>]) " + _CLIENT + r": (.*)$", re.S)
_EXCHANGE = re.compile(
    r"(?:([<>]) [^\s\[\]]*\[[^\]\s]*\](?::\d+)?:|(Read|Write) \d+ chars:) (.*)$", re.S
)
"""A chat or dump line of any Postfix process: the direction, and the text read or
written (the peer may be a unix socket: ``private/dovecot-lmtp[private/dovecot-lmtp]``)."""
_REPLY_START = re.compile(r"[0-9]{3}(?:[ -]|\?\?|$)")
"""An SMTP reply as it starts a chat or dump line (``250 2.0.0 Ok``, ``250-PIPELINING``,
``334 ??``): every line a server writes; no SMTP command or base64 step starts so."""
_CUT_CODE = re.compile(r"[0-9]{1,2}")
"""A reply the 40-byte dump cut inside its code."""
_XSASL_FIRST = re.compile(
    r"xsasl_(?:dovecot|cyrus)_server_first: sasl_method ([^\s,]+)(?:, init_response (\S*))?"
)
_XSASL_REPLY = re.compile(
    r"xsasl_dovecot_handle_reply: auth reply: (CONT|FAIL|OK)(\?|\t|#011|\\t)\d+(?:\2(.*))?$", re.S
)
"""Dovecot's answer to Postfix's AUTH or CONT request, at ``-v``
(``xsasl_dovecot_server.c: xsasl_dovecot_handle_reply()``): ``CONT?2?VXNlcm5hbWU6``
carries the challenge Postfix sends next as ``334 VXNlcm5hbWU6``; ``FAIL?2?user=…`` and
``OK?2?user=…`` the account Dovecot checked. The fields are separated by a TAB, which
Postfix logs as ``?`` (``msg_vprintf()`` passes every message through ``printable()``);
raw, rsyslog's ``#011`` or escaped where the line did not come through Postfix's own
logging."""
_XSASL_USER = {
    sep: re.compile(
        r"(?:^|" + sep + r")user=(.*?)(?=" + sep + r"[a-z][a-z_-]{0,30}(?:=|" + sep + r"|$)|$)",
        re.S,
    )
    for sep in (r"\?", r"\t", "#011", r"\\t")
}
"""The ``user=`` field of a reply, by separator: it ends where a field (``code=…``,
``temp``) follows."""
_XSASL_SEPS = {"?": r"\?", "\t": r"\t", "#011": "#011", "\\t": r"\\t"}
_CYRUS_CHALLENGE = "xsasl_cyrus_server_auth_response: uncoded server challenge: "
"""Cyrus's challenge before Postfix encodes it for its ``334`` reply, at ``-v``
(``xsasl_cyrus_server.c``): ``Username:``, ``Password:`` for AUTH LOGIN."""
CYRUS_RESPONSE = "xsasl_cyrus_server_next: decoded response: "
"""Cyrus's copy of the client's answer to a ``334`` challenge, decoded, at ``-v``
(``xsasl_cyrus_server.c: xsasl_cyrus_server_next()``): AUTH LOGIN's username, then its
password. The event keeps no text of it (``reason`` hides it): the session layer reads
the account from the record when the log lost the client's username line
(``detail['decoded']``, :func:`cyrus_response`)."""
MAX_RESPONSE = 256
"""The characters of a :data:`CYRUS_RESPONSE` taken for an account at most (the
detector's own limit on names)."""
_PASSWORD_LOGGED = {"password_logged": "plain"}
_CYRUS_DECODED = {"password_logged": "plain", "decoded": "cyrus"}
MAX_CHALLENGE = 100
"""The characters of a decoded SASL challenge an event keeps (LOGIN's are 9)."""
_VERBOSE = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_]+: ")
_ATTR_VERBOSE = ("input attribute name: ", "input attribute value: ", "send attr ")
"""``-v`` traces of the attribute protocol (smtpd talking to anvil, the auth socket, …):
``input attribute name: status``, ``send attr ident = submission:192.0.2.66``, and
``private/anvil: wanted attribute: status`` (tested apart)."""

_PSC_SIMPLE = re.compile(
    r"(PASS NEW|PASS OLD|DISCONNECT|DENYLISTED|BLACKLISTED|ALLOWLISTED|WHITELISTED"
    r"|ALLOWLIST VETO|WHITELIST VETO) " + _PSC_CLIENT + r"$"
)
_PSC_CONNECT = re.compile(r"CONNECT from " + _PSC_CLIENT + r" to \[([0-9A-Fa-f:.]+)\]:(\d+)$")
_PSC_PREGREET = re.compile(r"PREGREET (\d+) after (\S+) from " + _PSC_CLIENT + r": (.*)$", re.S)
_PSC_HANGUP = re.compile(r"HANGUP after (\S+) from " + _PSC_CLIENT + r" in (.*)$")
_PSC_DNSBL = re.compile(r"DNSBL rank (\d+) for " + _PSC_CLIENT + r"$")
_PSC_TEST = re.compile(
    r"(COMMAND PIPELINING|NON-SMTP COMMAND|BARE NEWLINE|COMMAND TIME LIMIT|COMMAND COUNT LIMIT"
    r"|COMMAND LENGTH LIMIT) from " + _PSC_CLIENT + r"(?: after ([^:]+?))?(?:: (.*))?$",
    re.S,
)
_PSC_PASS_KIND = {
    "PASS NEW": True,
    "PASS OLD": True,
    "DISCONNECT": True,
    "ALLOWLISTED": True,
    "WHITELISTED": True,
    "ALLOWLIST VETO": True,
    "WHITELIST VETO": True,
}

_ANVIL_STATS = re.compile(
    r"statistics: max (.+?) (\S+)(?: for \(([^:()]+):([0-9A-Fa-f:.]+)(?:/(\d+))?\))? at (.*)$"
)

_LOST_WEAK = frozenset({"CONNECT", "EHLO", "HELO", "STARTTLS", "AUTH", "UNKNOWN"})
_NORMAL_END = frozenset({"DATA", "BDAT", "END-OF-MESSAGE"})

_SASL_TEMPORARY = (
    "Connection lost to authentication server",
    "Can't connect to authentication server",
    "Authentication backend error",
    "Authentication request timed out",
    "generic failure",
    "no memory available",
    "transient failure",
    "remote authentication server unavailable",
)
_SASL_WEAK = ("Invalid authentication mechanism", "no mechanism available")
_CYRUS_SERVER_SIDE = (
    "cannot connect to saslauthd",
    "could not find auxprop plugin",
    "Could not open",
    "unable to open",
    "auxpropfunc error",
)

_SERVICE_CACHE: dict[str, str] = {}


def service_of(program: str) -> str:
    """The mail service a Postfix syslog name stands for.

    ``postfix/submission/smtpd`` -> submission; ``postfix/submissions/smtpd`` and the
    ≤3.6 ``postfix/smtps/smtpd`` -> submissions; ``postfix/smtpd``, ``postfix-out/smtpd``,
    ``postfix/smtp-25/smtpd`` -> smtp; postscreen -> postscreen."""
    try:
        return _SERVICE_CACHE[program]
    except KeyError:
        pass
    parts = program.split("/")
    service = "smtp"
    if parts[-1] == "postscreen":
        service = "postscreen"
    elif len(parts) >= 3:
        middle = parts[-2].lower()
        if middle.startswith("submissions") or middle.startswith("smtps"):
            service = "submissions"
        elif middle.startswith("submission"):
            service = "submission"
    if len(_SERVICE_CACHE) > 1024:
        _SERVICE_CACHE.clear()
    _SERVICE_CACHE[program] = service
    return service


def interruption_after(msg: str) -> str | None:
    """The X of a ``lost connection after X from …`` / ``timeout after X from …``
    message (what :func:`parse_smtpd` reads into LOST_CONNECTION/TIMEOUT
    ``detail['after']``); None for any other message."""
    if not msg.startswith(("lost connection after ", "timeout after ")):
        return None
    m = _ABNORMAL.match(msg)
    return m.group(2) if m is not None else None


def postscreen_passed(msg: str) -> bool:
    """True for a postscreen message that :func:`parse_postscreen` reads as a
    POSTSCREEN_PASS without a local address (``PASS NEW``, ``PASS OLD``, ``DISCONNECT``,
    the allow-list verdicts): no client did anything wrong."""
    if msg[:1] not in "PDAW":
        return False
    m = _PSC_SIMPLE.match(msg)
    return m is not None and m.group(1) in _PSC_PASS_KIND


def _port(text: str | None) -> int | None:
    return int(text) if text else None  # the regex allows only digits


# --------------------------------------------------------------------------- smtpd


def parse_smtpd(record: Record, msg: str, service: str | None) -> list[Event]:
    """One smtpd (or tlsproxy, or program-less) message -> its events."""
    c = msg[:1]
    if c == "w":
        if msg.startswith("warning: "):
            return _warning(record, msg, service)
    elif c == "c":
        if msg.startswith("connect from "):
            m = _CONNECT.match(msg)
            if m is not None:
                name, addr, port = m.groups()
                return [
                    _new(
                        Event,
                        (
                            _E.CONNECT,
                            _C.SESSION,
                            False,
                            None,
                            _IPS[addr],
                            _port(port),
                            None,
                            None,
                            None,
                            record,
                            1,
                            None,
                            service,
                            None,
                            None,
                            {"name": name},
                        ),
                    )
                ]
            return []
    elif c == "d":
        if msg.startswith("disconnect from "):
            return _disconnect(record, msg, service)
    elif c in "ltN":
        if msg.startswith(("lost connection after ", "timeout after ", "too many errors after ")):
            return _abnormal(record, msg, service)
    elif c == "i":
        if msg.startswith("improper command pipelining after "):
            return _pipelining(record, msg, service)
        if msg.startswith("initializing the server-side TLS engine"):
            return [_plain(_E.TLS_SETUP, _C.TLS, record, service, reason=msg, detail=_ENGINE)]
    elif c == "s":
        if msg.startswith("setting up TLS connection from "):
            m = _TLS_SETUP.match(msg)
            if m is not None:
                return [
                    _plain(_E.TLS_SETUP, _C.TLS, record, service, m.group(2), _port(m.group(3)))
                ]
            return []
    elif c in "AVTU":
        if "TLS connection " in msg:
            return _tls_established(record, msg, service)
        if msg.startswith("TLS SNI "):
            m = _TLS_SNI.match(msg)
            if m is not None:
                return [
                    _plain(_E.TLS_SETUP, _C.TLS, record, service, m.group(3), _port(m.group(4)))
                ]
            return []
    elif c == "S":
        if msg.startswith("SSL_accept"):
            return _ssl_accept(record, msg, service)
        if msg.startswith("SSL3 alert "):
            fatal = ":fatal:" in msg
            return [
                _plain(
                    _E.TLS_FAILURE if fatal else _E.TLS_SETUP, _C.TLS, record, service, reason=msg
                )
            ]
        if msg.startswith("SASL authentication "):
            return [_sasl_debug(record, msg, service)]
    elif c in "RW":
        if msg.startswith(("Read ", "Write ")):
            return _dump(record, msg, service)
    elif c in "<>":
        return _chat(record, msg, service)
    elif c == "x" and msg.startswith("xsasl_"):
        return _xsasl(record, msg, service)
    if c in "rw":
        m = _BIO.match(msg)
        if m is not None:
            return [_plain(_E.TLS_DUMP, _C.DEBUG, record, service, detail=_bio_detail(m))]
    if msg[4:5] == " ":
        m = _HEX_ROW.match(msg)
        if m is not None:
            return [_plain(_E.TLS_DUMP, _C.DEBUG, record, service, detail=_hex_detail(m))]
    # "QUEUEID: …", "NOQUEUE: …", "name[addr]: TLS cipher list …"
    m = _QUEUE_ID.match(msg)
    if m is not None:
        return _queue_line(record, msg, m.end(), service)
    if "[" in msg and ': TLS cipher list "' in msg:
        m = _TLS_CIPHERS.match(msg)
        if m is not None:
            return [
                _plain(
                    _E.TLS_SETUP,
                    _C.TLS,
                    record,
                    service,
                    m.group(2),
                    _port(m.group(3)),
                    detail={"cipher_list": m.group(4)},
                )
            ]
    if "[" in msg and ": Issuing session ticket, " in msg:
        m = _TLS_TICKET.match(msg)
        if m is not None:
            return [
                _plain(
                    _E.TLS_SETUP,
                    _C.TLS,
                    record,
                    service,
                    m.group(2),
                    _port(m.group(3)),
                    detail=_TICKET,
                )
            ]
    if (
        _VERBOSE.match(msg) is not None
        or msg.startswith(_ATTR_VERBOSE)
        or ": wanted attribute: " in msg
    ):
        return [_plain(_E.DEBUG, _C.DEBUG, record, service, reason=redact_server_secrets(msg))]
    return []


_ENGINE = {"step": "engine"}
_TICKET = {"step": "session_ticket"}


def _bio_detail(m: re.Match[str]) -> dict[str, str]:
    """BIO callback line: direction, bytes asked for, result (-1 = EAGAIN), and any text
    after the closing parenthesis (a person's remark in a pasted excerpt)."""
    detail = {"direction": "read" if m.group(1) == "read from" else "write"}
    if m.group(2) is not None:
        detail["requested"] = m.group(2)
        detail["result"] = m.group(3)
        trailer = m.group(4).strip()
        if trailer:
            detail["trailer"] = trailer
    return detail


def _hex_detail(m: re.Match[str]) -> dict[str, str]:
    """A hex-dump row: its offset and bytes, or the <SPACES/NULLS> summary."""
    if m.group(2) is None:
        return {"offset": m.group(1), "nulls": "yes"}
    return {"offset": m.group(1), "hex": m.group(2).replace("|", " ").strip()}


def _plain(
    type_: EventType,
    category: Category,
    record: Record,
    service: str | None,
    ip_text: str | None = None,
    port: int | None = None,
    reason: str | None = None,
    detail: dict[str, str] | None = None,
) -> Event:
    """A non-hostile event (chatter, progress, success evidence)."""
    return _new(
        Event,
        (
            type_,
            category,
            False,
            None,
            _IPS[ip_text] if ip_text else None,
            port,
            None,
            None,
            reason,
            record,
            1,
            None,
            service,
            None,
            None,
            detail,
        ),
    )


def _disconnect(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _DISCONNECT.match(msg)
    if m is None:
        return []
    _name, addr, port, stats = m.groups()
    if not stats:
        # Postfix < 3.0: no statistics.
        return [
            _new(
                Event,
                (
                    _E.DISCONNECT,
                    _C.SESSION,
                    False,
                    None,
                    _IPS[addr],
                    int(port) if port else None,
                    None,
                    None,
                    None,
                    record,
                    0,
                    None,
                    service,
                    None,
                    None,
                    None,
                ),
            )
        ]
    stats = stats.strip()
    auth_ok, auth_failed = _stat(stats, "auth=")
    unknown_failed = _stat(stats, "unknown=")[1] if "unknown=" in stats else 0
    hostile = auth_ok == 0 and (auth_failed > 0 or unknown_failed > 0)
    return [
        _new(
            Event,
            (
                _E.DISCONNECT,
                _C.SESSION,
                hostile,
                _STRONG if hostile else None,
                _IPS[addr],
                int(port) if port else None,
                None,
                None,
                None,
                record,
                auth_failed,
                None,
                service,
                None,
                None,
                {"stats": stats, "auth_ok": str(auth_ok)},
            ),
        )
    ]


def _stat(stats: str, key: str) -> tuple[int, int]:
    """(succeeded, failed) of one ``name=S`` / ``name=S/T`` item of the statistics."""
    at = stats.find(key)
    while at > 0 and stats[at - 1] != " ":
        at = stats.find(key, at + 1)
    if at < 0:
        return 0, 0
    end = stats.find(" ", at)
    ok_text, _, total_text = stats[at + len(key) : end if end >= 0 else None].partition("/")
    if not ok_text.isdigit():
        return 0, 0
    ok = int(ok_text)
    if not total_text:
        return ok, 0
    if not total_text.isdigit():
        return ok, 0
    return ok, max(int(total_text) - ok, 0)


def _abnormal(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _ABNORMAL.match(msg)
    if m is None:
        return []
    kind, after, size, _name, addr, port_text = m.groups()
    strength: Strength | None
    if kind == "too many errors":
        type_, hostile, strength = _E.TOO_MANY_ERRORS, True, _STRONG
    elif kind == "lost connection":
        type_ = _E.LOST_CONNECTION
        hostile = after in _LOST_WEAK
        strength = _WEAK if hostile else None
    else:
        type_ = _E.TIMEOUT
        hostile = after not in _NORMAL_END
        strength = _WEAK if hostile else None
    detail = {"after": after}
    if size is not None:
        detail["bytes"] = size
    return [
        _new(
            Event,
            (
                type_,
                _C.SESSION,
                hostile,
                strength,
                _IPS[addr],
                _port(port_text),
                None,
                None,
                f"{kind} after {after}",
                record,
                1,
                None,
                service,
                None,
                None,
                detail,
            ),
        )
    ]


def _pipelining(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _PIPELINING.match(msg)
    if m is None:
        return []
    return [
        _new(
            Event,
            (
                _E.PIPELINING,
                _C.POLICY,
                True,
                _STRONG,
                _IPS[m.group(3)],
                _port(m.group(4)),
                None,
                None,
                f"improper command pipelining after {m.group(1)}",
                record,
                1,
                None,
                service,
                None,
                m.group(5) or None,
                {"after": m.group(1)},
            ),
        )
    ]


def _warning(record: Record, msg: str, service: str | None) -> list[Event]:
    body = msg[9:]
    c = body[:1]
    if ": SASL " in body:
        events = _sasl(record, msg, service)
        if events:
            return events
    if ": request longer than " in body:
        m = _LONG_REQUEST.match(msg)
        if m is not None:
            return [_long_request(record, service, m)]
    if c == "S":
        if body.startswith("SASL authentication failure: "):
            return [_cyrus_failure(record, body[29:], service)]
        if body.startswith("SASL authentication problem: "):
            return [_plain(_E.SERVER_WARNING, _C.SERVER, record, service, reason=body[29:].strip())]
        if body.startswith("SASL: Connect to "):
            return [_plain(_E.AUTH_UNAVAILABLE, _C.SERVER, record, service, reason=body)]
        if body.startswith("SASL authentication "):
            return [_sasl_debug(record, body, service)]
    elif c == "n":
        if body.startswith("non-SMTP command from "):
            m = _NON_SMTP.match(msg)
            if m is not None:
                return [
                    _new(
                        Event,
                        (
                            _E.NON_SMTP_COMMAND,
                            _C.POLICY,
                            True,
                            _STRONG,
                            _IPS[m.group(2)],
                            _port(m.group(3)),
                            None,
                            None,
                            "non-SMTP command",
                            record,
                            1,
                            None,
                            service,
                            None,
                            m.group(4),
                            None,
                        ),
                    )
                ]
            return []
    elif c == "h":
        if body.startswith("hostname "):
            m = _HOSTNAME.match(msg)
            if m is not None:
                return [_hostname(record, service, m.group(2), m.group(1), m.group(3))]
            return []
    elif c == "T":
        if body.startswith("TLS library problem: "):
            return [_plain(_E.TLS_FAILURE, _C.TLS, record, service, reason=body)]
        if body.startswith("TLS SNI from "):
            m = _TLS_SNI_BAD.match(msg)
            if m is not None:
                return [
                    _new(
                        Event,
                        (
                            _E.TLS_FAILURE,
                            _C.TLS,
                            True,
                            _WEAK,
                            _IPS[m.group(2)],
                            _port(m.group(3)),
                            None,
                            None,
                            "invalid TLS SNI",
                            record,
                            1,
                            None,
                            service,
                            None,
                            m.group(4),
                            None,
                        ),
                    )
                ]
            return []
    if "limit exceeded: " in body:
        return _rate(record, msg, service)
    if c in "0123456789abcdefABCDEF:" and "hostname" in body:
        m = _HOSTNAME_OLD.match(msg)
        if m is not None:
            if m.group(2) is not None:
                return [_hostname(record, service, m.group(1), m.group(2), m.group(3))]
            return [_hostname(record, service, m.group(1), m.group(4), "address not listed")]
    return []


def _long_request(record: Record, service: str | None, m: re.Match[str]) -> Event:
    detail = {"limit": m.group(4)}
    verb = (m.group(5) or "").upper()
    if verb in _SMTP_VERBS:
        detail["command"] = verb
    return _new(
        Event,
        (
            _E.LONG_REQUEST,
            _C.POLICY,
            True,
            _WEAK,
            _IPS[m.group(2)],
            _port(m.group(3)),
            None,
            None,
            "request too long",
            record,
            1,
            None,
            service,
            None,
            None,
            detail,
        ),
    )


def _hostname(
    record: Record, service: str | None, addr: str, hostname: str, error: str | None
) -> Event:
    return _new(
        Event,
        (
            _E.HOSTNAME_MISMATCH,
            _C.POLICY,
            True,
            _WEAK,
            _IPS[addr],
            None,
            None,
            None,
            error or "hostname does not resolve to the address",
            record,
            1,
            None,
            service,
            None,
            None,
            {"hostname": hostname},
        ),
    )


def _sasl(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _SASL.match(msg)
    if m is None:
        return []
    _name, addr, port_text, mech_text, verdict, tail = m.groups()  # one call, not five
    ip = _IPS[addr]
    port = _port(port_text)
    mech = mech_text.upper()
    if verdict == "aborted":
        return [
            _new(
                Event,
                (
                    _E.AUTH_ABORTED,
                    _C.AUTH,
                    True,
                    _WEAK,
                    ip,
                    port,
                    None,
                    mech,
                    "authentication aborted",
                    record,
                    1,
                    None,
                    service,
                    None,
                    None,
                    None,
                ),
            )
        ]
    rest = tail or ""
    user: str | None = None
    # ≥3.9 (and 3.8.3, 3.7.8, 3.6.12, 3.5.22): "reason, sasl_username=user". The reason is
    # server text; the user is the client's and may itself contain ", sasl_username=":
    # split at the FIRST occurrence.
    cut = rest.find(", sasl_username=")
    if cut >= 0:
        user = rest[cut + 16 :]
        rest = rest[:cut]
        if user == "(unavailable)" or not user:
            user = None
    # Before 3.9 a Dovecot failure without reason= leaves the reason empty.
    reason = rest.strip() or None
    type_ = _E.AUTH_FAILURE
    strength = _STRONG
    if reason is None:
        pass
    elif reason.startswith(_SASL_TEMPORARY):
        type_, strength = _E.AUTH_UNAVAILABLE, _WEAK
    elif reason.startswith(_SASL_WEAK):
        strength = _WEAK
    return [
        _new(
            Event,
            (
                type_,
                _C.AUTH,
                True,
                strength,
                ip,
                port,
                user,
                mech,
                reason,
                record,
                1,
                None,
                service,
                None,
                None,
                None,
            ),
        )
    ]


def _cyrus_failure(record: Record, text: str, service: str | None) -> Event:
    """Cyrus's callback line: no client address, and the ``SASL … authentication failed``
    line of the same attempt follows: not hostile by itself (the session layer joins it
    by pid)."""
    text = text.strip()
    type_ = _E.AUTH_UNAVAILABLE if any(s in text for s in _CYRUS_SERVER_SIDE) else _E.AUTH_FAILURE
    return _plain(type_, _C.AUTH, record, service, reason=text, detail={"source": "cyrus"})


def _sasl_debug(record: Record, text: str, service: str | None) -> Event:
    """Cyrus's ``SASL authentication info|debug|trace|pass: …`` (``-v``). The ``pass``
    level can carry passwords: keep the level only."""
    if "authentication pass:" in text:
        return _plain(
            _E.DEBUG,
            _C.DEBUG,
            record,
            service,
            reason=text[: text.index("authentication pass:") + 20] + " <hidden>",
            detail={"password_logged": "plain"},
        )
    return _plain(_E.DEBUG, _C.DEBUG, record, service, reason=text)


def _rate(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _RATE.match(msg)
    if m is None:
        return []
    limit = _RATE_NAMES.get(m.group(1), m.group(1))
    return [
        _new(
            Event,
            (
                _E.RATE_LIMITED,
                _C.RATE,
                True,
                _STRONG,
                _IPS[m.group(4)],
                _port(m.group(5)),
                None,
                None,
                f"{m.group(1)} limit exceeded",
                record,
                1,
                None,
                service,
                None,
                None,
                {"limit": limit, "count": m.group(2), "for_service": m.group(6)},
            ),
        )
    ]


def _queue_line(record: Record, msg: str, start: int, service: str | None) -> list[Event]:
    """``QUEUEID: …`` / ``NOQUEUE: …``: success evidence, rejects, 3.10+ abnormal ends."""
    rest = msg[start:]
    c = rest[:1]
    if c == "c":
        if rest.startswith("client="):
            return _client_line(record, rest, service)
        return []
    if c in "ltN" and rest.startswith(
        ("lost connection after ", "timeout after ", "too many errors after ")
    ):
        return _abnormal(record, msg, service)
    if c in "rmh":
        m = _REJECT.match(rest)
        if m is not None:
            action, stage, _name, addr, port, text = m.groups()
            login = (
                _sasl_trailer(text) if " sasl_method=" in text and not _at_record_cap(msg) else None
            )
            event = _reject(
                record,
                service,
                action,
                stage,
                addr,
                port,
                text,
                postscreen=False,
                login=login,
            )
            if login is None:
                return [event]
            return [_reject_login(event, login), event]
    return []


_FROM_REJECT = {"source": "reject"}


_RECORD_CAP = 2000
"""Postfix cuts a record's text at 2000 bytes (``MSG_SYSLOG_RECLEN``, msg_syslog.c and
msg_logger.c, framing's ``_POSTFIX_RECORD``); a severity label (``warning: ``) is added
before it, outside the count, and an info line such as a reject carries none."""


def _at_record_cap(msg: str) -> bool:
    """Whether a Postfix message may have been cut at the record cap (:data:`_RECORD_CAP`):
    its text reaches 2000 bytes, counted in UTF-8 (Postfix keeps UTF-8 in what it logs) and
    undecodable bytes as one byte each. A client can pad its HELO name or addresses so that
    the cut falls right after a trailer it forged there, losing the ``>`` that would close
    it (:func:`_sasl_trailer`): a cut line's trailer is no proof of a login."""
    if len(msg) * 4 < _RECORD_CAP:  # cheap: no message this short reaches the cap
        return False
    body = msg.removeprefix("warning: ")
    try:
        size = len(body.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:  # a lone surrogate not from undecodable bytes
        size = len(body.encode("utf-8", "surrogatepass"))
    return size >= _RECORD_CAP


def _sasl_trailer(text: str) -> tuple[str, str] | None:
    """(mechanism, account) of the trailer Postfix writes at the end of a reject line of a
    session that logged in (:data:`_SASL_TRAILER`); None without one, or when it may be
    the client's text.

    The account runs to the end of the line or to the first `` sasl_sender=`` (the
    client's AUTH= parameter, written after it); it may hold spaces and ``>``. A trailer
    the client wrote into the HELO name, MAIL FROM or RCPT TO (the last one Postfix writes
    before the line ends, unless the session logged in) is followed by the ``>`` that
    closes that item, and then by the line's end or by the next item Postfix writes: so an
    account or sasl_sender that ends with ``>`` or holds one of :data:`_TRAILER_ITEMS`
    (or a second `` sasl_sender=``) is no proof of a login. Nor is a trailer after a
    ``sasl_sender=``: Postfix writes that for a client's ``MAIL FROM … AUTH=`` even
    without a login, and an unclosed quote there runs to the end of the command, spaces
    and all: ``AUTH="x> sasl_method=PLAIN sasl_username=erin`` ends the line like a
    trailer. A real login with such a name (or whose client sent such an AUTH=) is lost
    so; a forged one would stop bans and cry break-in. A session that logged in said
    EHLO (smtpd refuses AUTH before it): its trailer follows a ``helo=<…>``, never the
    reply text alone."""
    at = text.rfind("> sasl_method=")
    if at < 0 or " sasl_sender=" in text[:at] or " helo=<" not in text[:at]:
        return None
    m = _SASL_TRAILER.match(text, at)
    if m is None:
        return None
    user = text[m.end() :]
    cut = user.find(" sasl_sender=")
    if cut >= 0:
        sender = user[cut + 13 :]
        user = user[:cut]
        if (
            sender.endswith(">")
            or " sasl_sender=" in sender
            or _contains_any(sender, _TRAILER_ITEMS)
        ):
            return None
    if not user or user.endswith(">") or _contains_any(user, _TRAILER_ITEMS):
        return None
    return m.group(1).upper(), user


def _reject_login(reject: Event, login: tuple[str, str]) -> Event:
    """The login a reject line's SASL trailer proves (there is no line of its own: the
    ``client=`` line comes only with a message that was accepted)."""
    return _new(
        Event,
        (
            _E.AUTH_SUCCESS,
            _C.AUTH,
            False,
            None,
            reject.ip,
            reject.port,
            login[1],
            login[0],
            "authenticated client's command was rejected",
            reject.record,
            1,
            None,
            reject.service,
            None,
            None,
            _FROM_REJECT,
        ),
    )


def _client_line(record: Record, rest: str, service: str | None) -> list[Event]:
    m = _CLIENT_LINE.match(rest)
    if m is None:
        return []
    _name, addr, port_text, tail = m.groups()
    ip = _IPS[addr]
    port = _port(port_text)
    if tail.startswith(", sasl_method="):
        # client=…, sasl_method=M, sasl_username=U[, sasl_sender=S][, orig_queue_id=…]
        # [, orig_client=…]. U is the client's: take everything up to the server-written
        # trailers, which are matched strictly from the right.
        mech_end = tail.find(", sasl_username=")
        if mech_end >= 0:
            mech = tail[14:mech_end]
            user = tail[mech_end + 16 :]
        else:
            mech, user = tail[14:], ""
        if ", orig_" in user:
            user = _ORIG_TAIL.sub("", user, count=1)
        if ", sasl_sender=" in user:
            user = user[: user.rfind(", sasl_sender=")]
        return [
            _new(
                Event,
                (
                    _E.AUTH_SUCCESS,
                    _C.AUTH,
                    False,
                    None,
                    ip,
                    port,
                    user or None,
                    mech.upper() or None,
                    "authenticated client queued a message",
                    record,
                    1,
                    None,
                    service,
                    None,
                    None,
                    None,
                ),
            )
        ]
    return [
        _new(
            Event,
            (
                _E.QUEUED,
                _C.MAIL,
                False,
                None,
                ip,
                port,
                None,
                None,
                None,
                record,
                1,
                None,
                service,
                None,
                None,
                None,
            ),
        )
    ]


def _tail_value(tail: str, start: int, item: str | None) -> tuple[str, int]:
    """The value of the trailer's ``key=<value>`` that starts at ``start`` (client text,
    best effort) and the end of the item: the reject's item when the trailer names it
    there (:func:`_names_item`), else up to the first ``>`` that ends an item."""
    if item is not None and tail.startswith(item + ">", start):
        end = start + len(item)
        if tail[end + 1 : end + 2] in ("", " ", ","):
            return item, end + 1
    end = start
    while True:
        end = tail.find(">", end)
        if end < 0:
            return tail[start:], len(tail)
        if tail[end + 1 : end + 2] in ("", " ", ","):
            return tail[start:end], end + 1
        end += 1


_TRAILER_KEYS = (("from=<", "from"), ("to=<", "to"), ("proto=", "proto"), ("helo=<", "helo"))


def _trailer_details(tail: str, item: str | None, detail: dict[str, str]) -> None:
    """The sender, recipient, protocol and HELO name of a reject's trailer (``tail``,
    after its ``; ``), read in the order log_whatsup() writes them, each where the one
    before ends: text the client put inside one of them is not read as the next."""
    pos = 0
    for key, name in _TRAILER_KEYS:
        at = pos
        if at:
            if tail.startswith(", ", at):
                at += 2
            elif tail.startswith(" ", at):
                at += 1
        if not tail.startswith(key, at):
            continue
        at += len(key)
        if name == "proto":
            end = at
            while end < len(tail) and tail[end] not in " ,":
                end += 1
            detail[name], pos = tail[at:end], end
        else:
            detail[name], pos = _tail_value(tail, at, item)


_ITEM_KEYS = ("from=<", "to=<", "helo=<")


def _names_item(body: str, tail: int, item: str) -> bool:
    """Whether a reject line's trailer (``body`` from ``tail`` on) names ``item`` as its
    sender, recipient or HELO name: ``from=<item>``, ``to=<item>`` or ``helo=<item>`` at
    an item's start, closed by the ``>`` that ends it (then a space, postscreen's comma,
    or the line's end)."""
    for key in _ITEM_KEYS:
        needle = key + item + ">"
        at = body.find(needle, tail)
        while at >= 0:
            end = at + len(needle)
            if (at == tail or body[at - 1] == " ") and body[end : end + 1] in ("", " ", ","):
                return True
            at = body.find(needle, at + 1)
    return False


_MAX_ITEM_ENDS = 32
"""The ``>: `` a reject's reply may hold before it is plainly the client's forgery (a
server's text holds none, an address of 64 octets at most a few): past them
:func:`_reply_readings` stops looking, and the reject weighs as a hostile one."""


def _reply_readings(body: str) -> tuple[list[tuple[int, int, int]], bool]:
    """The ways a reject's reply text (after its codes) may split into the client's
    leading ``<item>: ``, the server's text and the trailer: (start of the server's text,
    its end, start of the trailer's first item, or the end of ``body``).

    smtpd writes ``<item>: Class rejected: …`` / ``<item>: Relay access denied``, the
    item being the recipient, sender or HELO name the client sent (or the server's own
    ``name[addr]``, ``DATA``, ``END-OF-MESSAGE``), and then ``; from=<S> to=<R> proto=P
    helo=<H>`` (log_whatsup()). The item may hold ``>: ``, ``; to=<`` and any text; the
    server's text holds none of these, so the trailer starts at the first ``; from=<`` /
    ``; to=<`` / ``; proto=`` / ``; helo=<`` after the item. The item ends at a ``>: ``
    whose item the trailer names (:func:`_names_item`); a client can forge more than one
    such end, and every one it forges is a reading; without any (a server-written item,
    or a trailer lost at the record cap) every ``>: `` is. A reading whose server's text
    would hold a ``>: `` is none (so a client's ``>: `` repeated costs no quadratic
    time). A reply without an item is the server's up to the trailer. The flag: more
    than :data:`_MAX_ITEM_ENDS` ``>: `` were left unread."""
    size = len(body)
    if not body.startswith("<"):
        m = _REJECT_TAIL.search(body)
        return [(0, m.start(), m.end()) if m is not None else (0, size, size)], False
    marks = [m.span() for m in _REJECT_TAIL.finditer(body)]
    readings: list[tuple[int, int, int]] = []
    named: list[tuple[int, int, int]] = []
    mark = 0
    ends = 0
    at = body.find(">: ", 1)
    while at >= 0:
        ends += 1
        if ends > _MAX_ITEM_ENDS:
            return readings or [(size, size, size)], True
        start = at + 3
        after = body.find(">: ", start)
        while mark < len(marks) and marks[mark][0] < start:
            mark += 1
        end = marks[mark][0] if mark < len(marks) else size
        if after < 0 or after >= end:  # the server's text holds no ">: " of its own
            reading = (start, end, marks[mark][1] if mark < len(marks) else size)
            readings.append(reading)
            if mark < len(marks) and _names_item(body, reading[2], body[1:at]):
                named.append(reading)
        at = after
    if named:
        return named, False
    if readings:
        return readings, False
    return [(size, size, size)], False  # cut inside the item: no server text


_WEIGHT_RANK = {_STRONG: 2, _WEAK: 1, None: 0}


def _reject(
    record: Record,
    service: str | None,
    action: str,
    stage: str,
    addr: str,
    port: str | None,
    rest: str,
    *,
    postscreen: bool,
    login: tuple[str, str] | None = None,
) -> Event:
    """A reject line. ``rest`` is ``reply; from=<…> to=<…> proto=… helo=<…>`` (postscreen
    separates the trailer items with commas). ``login``: the session logged in, as the
    line's SASL trailer says (:func:`_sasl_trailer`): a refusal of what an account holder
    asked for, no hostile act of the address.

    The reject is weighed by the server's text alone (:func:`_reply_readings`), never by
    the client's item before it or the trailer after it: a recipient named
    ``greylist@…`` or ``"Try again later"@…`` does not make a relay attempt routine. Where
    the client made the split ambiguous, the heaviest reading counts."""
    code, enhanced = smtp_reply(rest)
    skip = 0
    if code is not None:
        skip = 4
        if enhanced is not None:
            skip += len(enhanced) + 1
    body = rest[skip:]
    best: tuple[int, int, int] = (0, 0, 0)
    weight: tuple[EventType, bool, Strength | None] = (_E.REJECT, False, None)
    rank = -1
    readings, forged = _reply_readings(body)
    for reading in readings:
        found = _reject_weight(action, code, body[reading[0] : reading[1]], stage)
        found_rank = _WEIGHT_RANK[found[2]] * 2 + found[1]
        if found_rank >= rank:
            best, weight, rank = reading, found, found_rank
    if forged and rank < _WEIGHT_RANK[_STRONG] * 2 + 1:
        permanent = code is None or code[0] == "5"
        weight = (weight[0], True, _STRONG if permanent else _WEAK)
    text = body[: best[1]]
    tail = body[best[2] :]
    type_, hostile, strength = weight
    detail = {"stage": stage, "action": action}
    if login is not None:
        hostile, strength = False, None
        detail["sasl_method"], detail["sasl_username"] = login
    if code is not None:
        detail["code"] = code
    if enhanced is not None:
        detail["enhanced"] = enhanced
    if tail:
        _trailer_details(tail, body[1 : best[0] - 3] if best[0] else None, detail)
    return _new(
        Event,
        (
            type_,
            _C.POLICY,
            hostile,
            strength,
            _IPS[addr],
            _port(port),
            None,
            None,
            text,
            record,
            1,
            None,
            service,
            None,
            None,
            detail,
        ),
    )


_REJECT_VERDICTS = ("Relay access denied", "Improper use of SMTP command pipelining")
"""Replies smtpd writes whole, with no policy's or table's text after them: strong
whatever else the server's text says."""
_REJECT_STRONG = (
    "Client host rejected",
    "Helo command rejected",
    "Sender address rejected",
    "Access denied",
    "Data command rejected",
    "Protocol error",
)
_REJECT_NOT_HOSTILE = (
    "Greylist",
    "greylist",
    "Service currently unavailable",
    "all server ports busy",
    "Insufficient system storage",
    "Message size exceeds",
    "message too large",
    "Try again later",
    "try again later",
)


def _contains_any(text: str, needles: tuple[str, ...]) -> bool:
    for needle in needles:  # noqa: SIM110 - a plain loop is cheaper than any() over a generator
        if needle in text:
            return True
    return False


def _reject_weight(
    action: str, code: str | None, text: str, stage: str
) -> tuple[EventType, bool, Strength | None]:
    """Which rejects count on their own (strong), which hint (weak), which are routine.

    Strong, as fail2ban's postfix filter counts them: relay denied, client host, HELO and
    sender rejects, unknown or undeliverable recipients, DNSBL hits, ``Service
    unavailable`` / ``Access denied`` policy texts, protocol abuse, permanent milter
    rejects. Not hostile: greylisting and other temporary refusals that legitimate
    senders meet every day, and the server's own capacity limits. ``text`` is the
    server's alone (:func:`_reply_readings`); a whole smtpd verdict
    (:data:`_REJECT_VERDICTS`) is weighed before the routine texts, a ``… rejected:``
    class after them, as a policy service's greylisting comes under one."""
    if "blocked using" in text:
        return _E.DNSBL, True, _STRONG
    if _contains_any(text, _REJECT_VERDICTS):
        return _E.REJECT, True, _STRONG
    if _contains_any(text, _REJECT_NOT_HOSTILE):
        return _E.REJECT, False, None
    permanent = code is None or code[0] == "5"
    if _contains_any(text, _REJECT_STRONG):
        return _E.REJECT, True, _STRONG
    if "Recipient address rejected" in text:
        if "User unknown" in text or ("undeliverable address" in text and permanent):
            return _E.REJECT, True, _STRONG
        return (_E.REJECT, True, _WEAK) if permanent else (_E.REJECT, False, None)
    if "Service unavailable" in text:
        return _E.REJECT, True, _STRONG
    if "too many connections" in text:
        return _E.REJECT, True, _WEAK
    if action == "milter-reject":
        return (_E.REJECT, True, _STRONG) if permanent else (_E.REJECT, True, _WEAK)
    if permanent:
        return _E.REJECT, True, _WEAK
    return _E.REJECT, False, None


def _tls_established(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _TLS_EST.match(msg)
    if m is None:
        return []
    detail = {
        "protocol": m.group(7),
        "cipher": m.group(8),
        "bits": m.group(9),
        "verb": m.group(2),
    }
    if m.group(1) is not None:
        detail["trust"] = m.group(1)
    if m.group(6) is not None:
        detail["sni"] = m.group(6)
    extra = m.group(10).strip()
    if extra:
        detail["extra"] = extra
    return [
        _plain(
            _E.TLS_ESTABLISHED,
            _C.TLS,
            record,
            service,
            m.group(4),
            _port(m.group(5)),
            reason=f"{m.group(7)} with cipher {m.group(8)}",
            detail=detail,
        )
    ]


def _ssl_accept(record: Record, msg: str, service: str | None) -> list[Event]:
    if msg.startswith("SSL_accept error from "):
        m = _SSL_ERROR.match(msg)
        if m is None:
            return []
        return [
            _new(
                Event,
                (
                    _E.TLS_FAILURE,
                    _C.TLS,
                    True,
                    _WEAK,
                    _IPS[m.group(2)],
                    _port(m.group(3)),
                    None,
                    None,
                    f"SSL_accept error: {m.group(4)}",
                    record,
                    1,
                    None,
                    service,
                    None,
                    None,
                    None,
                ),
            )
        ]
    if msg.startswith("SSL_accept:"):
        state = msg[11:]
        if state.startswith(("failed in ", "error in ")):
            return [_plain(_E.TLS_FAILURE, _C.TLS, record, service, reason=msg)]
        return [_plain(_E.TLS_SETUP, _C.TLS, record, service, detail={"state": state})]
    return []


def own_client_line(msg: str) -> bool:
    """A bare message (no program) that Postfix's smtp or lmtp client wrote: its ``-v``
    chat or its ``smtp_tls_loglevel = 4`` dump of a session with a relay (our server
    delivering or relaying outward, its own AUTH to a smarthost included).

    smtpd reads commands (``< client: EHLO …``, ``Read N chars: AUTH …``) and writes
    replies (``> client: 250 …``, ``Write N chars: 334 …``), which start with a reply
    code. The client does the opposite: it reads the relay's replies (``< relay: 235 …``)
    and writes commands (``> relay: AUTH PLAIN …``). So the direction and a reply code
    tell who wrote the line. A client of smtpd can send a line that looks like a reply
    (no base64 step does: it has no space or hyphen); it is then read as a relay's,
    which only costs a line that is evidence of nothing. A read is the relay's only when
    every line in it is a reply (a dump joins lines read together with ``??``; its last
    may be cut to its first digits): a client's AUTH pipelined after such a line keeps
    its event."""
    m = _EXCHANGE.match(msg)
    if m is None:
        return False
    text = m.group(3)
    if m.group(1) == ">" or m.group(2) == "Write":
        return _REPLY_START.match(text) is None
    *whole, last = text.removesuffix("??").split("??")
    if not all(_REPLY_START.match(piece) for piece in whole):
        return False
    return _REPLY_START.match(last) is not None or _CUT_CODE.fullmatch(last) is not None


def _dump(record: Record, msg: str, service: str | None) -> list[Event]:
    """``Read N chars: text`` / ``Write N chars: text`` (smtpd_tls_loglevel 4): at most 40
    characters shown, CR LF as ``??``, no client address (joined by host+program+pid).
    A bare message that Postfix's own client wrote gives nothing, as its program's
    lines do (:func:`own_client_line`)."""
    if record.program is None and own_client_line(msg):
        return []
    m = _DUMP_RW.match(msg)
    if m is None:
        return []
    declared = m.group(2)
    text = m.group(3)
    complete = len(text) >= int(declared)
    if complete:
        text = strip_crlf(text)
    if m.group(1) == "Write":
        return [_server_reply(record, service, None, None, text, {"declared_length": declared})]
    return [_client_text(record, service, None, None, text, {"declared_length": declared})]


def _client_text(
    record: Record,
    service: str | None,
    ip: str | None,
    port: int | None,
    text: str,
    detail: dict[str, str] | None,
) -> Event:
    # Lines a client pipelined into one read share a dump line, joined by ``??`` (CR LF):
    # the command is the first; the next is its first response (AUTH LOGIN's username).
    first, _, rest = text.partition("??")
    parts = first.split(None, 2)
    if parts and parts[0].upper() == "AUTH":
        mech = parts[1].upper() if len(parts) > 1 else None
        payload = parts[2].strip() if len(parts) > 2 else None
        if payload is None and rest:
            payload = rest.partition("??")[0].strip() or None
        return _new(
            Event,
            (
                _E.AUTH_COMMAND,
                _C.AUTH,
                False,
                None,
                ip,
                port,
                None,
                mech,
                None,
                record,
                1,
                None,
                service,
                None,
                payload or None,
                detail,
            ),
        )
    return _new(
        Event,
        (
            _E.CLIENT_DATA,
            _C.DEBUG,
            False,
            None,
            ip,
            port,
            None,
            None,
            None,
            record,
            1,
            None,
            service,
            None,
            text,
            detail,
        ),
    )


def _server_reply(
    record: Record,
    service: str | None,
    ip: str | None,
    port: int | None,
    text: str,
    detail: dict[str, str] | None,
) -> Event:
    code, enhanced = smtp_reply(text)
    if code is not None:
        detail = dict(detail) if detail else {}
        detail["code"] = code
        if enhanced is not None:
            detail["enhanced"] = enhanced
    else:
        # No reply code: not a reply but a client's text (Postfix's own client writing to
        # a relay, its AUTH and the relay password; its bare lines never get here, see
        # own_client_line): redacted.
        text = redact_client_text(text)
    return _new(
        Event,
        (
            _E.SERVER_REPLY,
            _C.DEBUG,
            False,
            None,
            ip,
            port,
            None,
            None,
            text,
            record,
            1,
            None,
            service,
            None,
            None,
            detail,
        ),
    )


def _chat(record: Record, msg: str, service: str | None) -> list[Event]:
    """Verbose chat (``smtpd -v`` or debug_peer_list): ``< name[addr]: command`` and
    ``> name[addr]: reply``; the namaddr right after the arrow is the server's. A bare
    message that Postfix's own client wrote gives nothing (:func:`own_client_line`): the
    namaddr in it is the relay's, no client of ours."""
    if record.program is None and own_client_line(msg):
        return []
    m = _CHAT.match(msg)
    if m is None:
        return []
    ip = _IPS[m.group(3)]
    port = _port(m.group(4))
    if m.group(1) == "<":
        return [_client_text(record, service, ip, port, m.group(5), None)]
    return [_server_reply(record, service, ip, port, m.group(5), None)]


def _xsasl(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _XSASL_FIRST.match(msg)
    if m is not None:
        return [
            _new(
                Event,
                (
                    _E.AUTH_COMMAND,
                    _C.AUTH,
                    False,
                    None,
                    None,
                    None,
                    None,
                    m.group(1).upper(),
                    None,
                    record,
                    1,
                    None,
                    service,
                    None,
                    m.group(2) or None,
                    None,
                ),
            )
        ]
    if msg.startswith(("xsasl_dovecot_handle_reply: ", _CYRUS_CHALLENGE)):
        detail = _xsasl_reply(msg)
        if detail is not None:
            return [
                _plain(
                    _E.DEBUG,
                    _C.DEBUG,
                    record,
                    service,
                    reason=redact_server_secrets(msg),
                    detail=detail,
                )
            ]
    if "decoded " in msg and "response" in msg:
        # Cyrus -v prints the decoded response: with AUTH LOGIN that is the password.
        cut = msg.index("response") + 8
        return [
            _plain(
                _E.DEBUG,
                _C.DEBUG,
                record,
                service,
                reason=msg[:cut] + ": <hidden>",
                detail=_CYRUS_DECODED if msg.startswith(CYRUS_RESPONSE) else _PASSWORD_LOGGED,
            )
        ]
    return [_plain(_E.DEBUG, _C.DEBUG, record, service, reason=redact_server_secrets(msg))]


def cyrus_response(msg: str) -> str | None:
    """The text of a :data:`CYRUS_RESPONSE` line (raw, as the names of other lines: every
    output escapes it, once; None for another message or an empty response)."""
    if not msg.startswith(CYRUS_RESPONSE):
        return None
    return msg[len(CYRUS_RESPONSE) :][:MAX_RESPONSE] or None


def _xsasl_reply(msg: str) -> dict[str, str] | None:
    """What a ``-v`` line of the SASL backend's answer tells the session layer: the
    challenge the client is sent next (``detail['challenge']``, decoded: ``Username:``,
    ``Password:``; ``detail['backend']`` = dovecot or cyrus), or the account Dovecot
    refused or accepted (``detail['sasl_user']``, the client's name as Dovecot read
    it; ``detail['sasl_result']`` = FAIL or OK). None for any other line."""
    if msg.startswith(_CYRUS_CHALLENGE):
        challenge = msg[len(_CYRUS_CHALLENGE) :].strip()
        if not challenge:
            return None
        return {"challenge": challenge[:MAX_CHALLENGE], "backend": "cyrus"}
    m = _XSASL_REPLY.match(msg)
    if m is None:
        return None
    rest = m.group(3) or ""
    if m.group(1) == "CONT":
        text, _complete = decode_base64_line(rest[: MAX_CHALLENGE * 2])
        if not text:  # not base64, or empty (PLAIN's challenge)
            return None
        return {"challenge": text[:MAX_CHALLENGE], "backend": "dovecot"}
    user = _XSASL_USER[_XSASL_SEPS[m.group(2)]].search(rest)
    if user is None or not user.group(1):
        return None
    return {"sasl_user": user.group(1), "sasl_result": m.group(1)}


# ----------------------------------------------------------------------- postscreen


def parse_postscreen(record: Record, msg: str, service: str | None) -> list[Event]:
    c = msg[:1]
    if c in "PDABWC":
        m = _PSC_SIMPLE.match(msg)
        if m is not None:
            kind = m.group(1)
            if kind in _PSC_PASS_KIND:
                return [
                    _plain(
                        _E.POSTSCREEN_PASS,
                        _C.POSTSCREEN,
                        record,
                        service,
                        m.group(2),
                        _port(m.group(3)),
                        reason=kind,
                    )
                ]
            return [_violation(record, service, kind, m.group(2), m.group(3), None, None)]
        if msg.startswith("PREGREET "):
            m = _PSC_PREGREET.match(msg)
            if m is not None:
                return [
                    _violation(
                        record,
                        service,
                        "PREGREET",
                        m.group(3),
                        m.group(4),
                        m.group(5),
                        {"count": m.group(1), "after": m.group(2)},
                    )
                ]
            return []
        if msg.startswith("CONNECT from "):
            m = _PSC_CONNECT.match(msg)
            if m is not None:
                addr, port, local, _local_port = m.groups()
                return [
                    _new(
                        Event,
                        (
                            _E.POSTSCREEN_PASS,
                            _C.POSTSCREEN,
                            False,
                            None,
                            _IPS[addr],
                            _port(port),
                            None,
                            None,
                            "CONNECT",
                            record,
                            1,
                            None,
                            service,
                            _IPS[local],
                            None,
                            None,
                        ),
                    )
                ]
            return []
        if msg.startswith(("COMMAND ", "BARE NEWLINE ")):
            return _psc_test(record, msg, service)
    elif c == "H":
        m = _PSC_HANGUP.match(msg)
        if m is not None:
            return [
                _violation(
                    record,
                    service,
                    "HANGUP",
                    m.group(2),
                    m.group(3),
                    None,
                    {"after": m.group(1), "stage": m.group(4)},
                )
            ]
        return []
    elif c == "N":
        if msg.startswith("NON-SMTP COMMAND "):
            return _psc_test(record, msg, service)
        if msg.startswith("NOQUEUE: "):
            m = _PSC_REJECT.match(msg, 9)
            if m is not None:
                return [
                    _reject(
                        record,
                        service,
                        m.group(1),
                        m.group(2),
                        m.group(3),
                        m.group(4),
                        m.group(5),
                        postscreen=True,
                    )
                ]
        return []
    if msg.startswith("DNSBL rank "):
        m = _PSC_DNSBL.match(msg)
        if m is not None:
            return [
                _new(
                    Event,
                    (
                        _E.DNSBL,
                        _C.POSTSCREEN,
                        True,
                        _STRONG,
                        _IPS[m.group(2)],
                        _port(m.group(3)),
                        None,
                        None,
                        f"DNSBL rank {m.group(1)}",
                        record,
                        1,
                        None,
                        service,
                        None,
                        None,
                        {"rank": m.group(1)},
                    ),
                )
            ]
    return []


def _psc_test(record: Record, msg: str, service: str | None) -> list[Event]:
    m = _PSC_TEST.match(msg)
    if m is None:
        return []
    detail = {"after": m.group(4)} if m.group(4) else None
    return [_violation(record, service, m.group(1), m.group(2), m.group(3), m.group(5), detail)]


def _violation(
    record: Record,
    service: str | None,
    test: str,
    addr: str,
    port: str | None,
    payload: str | None,
    detail: dict[str, str] | None,
) -> Event:
    return _new(
        Event,
        (
            _E.POSTSCREEN_VIOLATION,
            _C.POSTSCREEN,
            True,
            _STRONG,
            _IPS[addr],
            _port(port),
            None,
            None,
            test,
            record,
            1,
            None,
            service,
            None,
            payload,
            detail,
        ),
    )


# ---------------------------------------------------------------------------- anvil


def parse_anvil(record: Record, msg: str) -> list[Event]:
    """anvil's periodic ``statistics: max auth rate 5/60s for (submission:1.2.3.4) at …``."""
    if not msg.startswith("statistics: max "):
        return []
    m = _ANVIL_STATS.match(msg)
    if m is None:
        return []
    detail = {"metric": m.group(1), "value": m.group(2)}
    for_service = m.group(3)
    if for_service is not None:
        detail["for_service"] = for_service
    ip_text = m.group(4)
    if m.group(5) is not None:
        # 3.8+ aggregates by smtpd_client_ipv4/ipv6_prefix_length: a network, no address.
        detail["network"] = f"{ip_text}/{m.group(5)}"
        ip_text = None
    return [
        _new(
            Event,
            (
                _E.ANVIL_STATISTICS,
                _C.RATE,
                False,
                None,
                _IPS[ip_text] if ip_text else None,
                None,
                None,
                None,
                f"max {m.group(1)} {m.group(2)}",
                record,
                1,
                None,
                for_service,
                None,
                None,
                detail,
            ),
        )
    ]
