"""Dovecot login-process and auth-process lines (2.2, 2.3, 2.4) -> events.

Login processes (imap-login, pop3-login, submission-login, managesieve-login) write one
line when a connection ends (reference §4.1)::

    <message> (<human reason>)[ (<2.4 event code>)]: user=<…>, method=…, rip=…, lip=…, …

The message and reason changed with every release (``Aborted login``, ``Disconnected``,
``Disconnected: Connection closed: read(size=…) failed: …``, ``Login aborted: …``,
``Client has quit the connection`` …); this parser keys on the reason in the last
parenthesis and on the event code, not on the message, and reads the elements by key,
allowing extra ones. Success lines are ``Login:`` (≤2.3) and ``Logged in:`` (2.4); a
``(internal failure, K[/N] successful auths …)`` one is a password accepted whose login
failed after it (:func:`_accepted`).

Auth processes log one line per attempt with ``auth_verbose=yes`` (§4.2)::

    2.2  auth: cram-md5(user,1.2.3.4): password mismatch      (the mechanism logs, lower case)
         auth-worker(304): pam(user,ip): pam_authenticate() failed: … (password mismatch?)
    2.3  auth: passwd-file(user,1.2.3.4[,master][,<session>]): unknown user
         auth: plain(?,1.2.3.4,<session>): Username character disallowed by
               auth_username_chars: 0x2c (username: …)   (the mechanism logs: mechanism)
         auth-worker(304): [Info: ][conn unix:auth-worker (…): auth-worker<N>: ]pam(user,ip): …
    2.4  auth(user,1.2.3.4,sasl:plain)<session>: [Info: ]passwd-file: Password mismatch
         auth-worker(user,ip,sasl:…)<PID><session>: request [N]: pam: …

and PAM's own ``pam_unix(dovecot:auth): authentication failure; … ruser=X rhost=Y``.

With more than one passdb and ``auth_verbose_passwords`` on, a passdb that does not know
the name or the password ends its line with `` - trying the next passdb``: no failed
attempt, the next passdb decides (a DEBUG event, :data:`NEXT_DB`).

Security (client text: ``user=<…>``, the user inside ``db(user,ip)``, PAM's ruser/user,
a logged password):

- login lines: the client's text is all after the first ``user=<``. A ``rip=`` before
  it (a site format that writes ``rip=%r lip=%l user=<%u> …``) is the server's; then
  ``lip=`` and the other elements are read only before ``user=<`` or after the line's
  last ``>`` (:func:`_after_user`), never from where the user may have written
  its own. Else the address is the value of the **last** ``rip=`` element; the user is
  greedy (everything from ``user=<`` to the last ``>`` before that ``rip=``), so a user
  that contains ``>, rip=203.0.113.5, lip=…`` stays inside the user, and the elements
  after the address are the server's. (Dovecot writes ``rip=`` for every network
  client; only a line without one, from a local UNIX-socket client, could have its
  last ``rip=`` inside the user: then what follows it gives the forgery away, and the
  line gives no address, see :func:`_rip_in_user`.) The message, the reason and the
  attempt count are read only before ``: user=<`` (or the server's ``rip=``), which
  the client's text cannot reach;
- auth lines: the prefix ends at the one ``): `` (2.3) or ``)<`` (2.4) of the line, and
  its elements are split from the **right**: after the user Dovecot writes only
  ``,ip``, ``,master``, ``,<session>``, ``,sasl:mech``, none of which can contain a
  comma, so every comma left of the address belongs to the user. If the client's text
  repeats the separator (the user or a logged password contains ``): ``), the line is
  ambiguous and gives no address at all;
- PAM: see :func:`_pam_rhost`;
- a password Dovecot logged (``auth_verbose_passwords``) is masked before it reaches an
  event, and ``detail['password_logged']`` says that it was there; so are the typed and
  stored passwords of ``auth_debug_passwords``'s ``SCHEME(typed) != 'stored'`` (a DEBUG
  event, ``password_logged`` = ``debug``: the failure itself is counted from the line
  Dovecot writes beside it).
"""

from __future__ import annotations

import re

from mailwarden.model import Category, Event, EventType, Record, Strength
from mailwarden.parsers._common import ADDRESSES as _IPS
from mailwarden.parsers._common import new_event as _new
from mailwarden.redact import redact_server_secrets

_STRONG = Strength.STRONG
_WEAK = Strength.WEAK
_E = EventType
_C = Category

NEEDLES: tuple[str, ...] = (
    "-login",  # every login-process line (imap-login, pop3-login, …)
    "auth",  # auth/auth-worker process lines, 2.4 auth(…) prefixes, pam_unix(dovecot:auth)
)
"""A raw line that contains none of these gives no Dovecot event."""

_LOGIN_SERVICES = {
    "imap-login": "imap",
    "pop3-login": "pop3",
    "submission-login": "submission",
    "managesieve-login": "managesieve",
}
_LEVELS = ("Info: ", "Warning: ", "Error: ", "Debug: ", "Fatal: ", "Panic: ")
_MISMATCH = re.compile(r"[a-z][a-z0-9._-]*\(.*\) != '", re.IGNORECASE)
"""auth_debug_passwords' ``SCHEME(typed) != 'stored'`` (auth-request.c)."""
_PROCESS_PREFIX = re.compile(r"(?:auth-worker|auth)\((?:\d+|default)\): ")
_CONN_PREFIX = re.compile(r"conn \S+ \([^()]*\): (?:auth-worker<\d+>: )?")
_DB_NAME = re.compile(r"[A-Za-z0-9_.-]+\(")
_ATTEMPTS = re.compile(r", (\d+) attempts?(?: in (\d+) secs?)?")
_PAREN = re.compile(r"\(([^()]*)\)")
_CODE = re.compile(r"[a-z][a-z0-9_]*$")
_TIMES = re.compile(r": (\d+) Time\(s\)$")
_VALUE_END = re.compile(r"[^, ]*")
_AUTH_HEADS = frozenset({"auth", "auth-worker", "dovecot-auth"})
_AUTH24_REST = re.compile(r"(?:request \[\d+\]: )?([A-Za-z0-9_.-]+(?:\([^()]*\))?): ")


def parse_message(record: Record, text: str, service: str | None, auth: bool) -> list[Event]:
    """A Dovecot message. ``service`` is known when the program was ``imap-login`` &c.;
    ``auth`` when the program was Dovecot's auth process (``auth``, ``auth-worker``)."""
    if text.startswith("dovecot: "):
        text = text[9:]
    if service is None:
        colon = text.find(": ")
        if colon > 0:
            service = _LOGIN_SERVICES.get(text[:colon])
            if service is not None:
                text = text[colon + 2 :]
    if service is not None:
        if text.startswith(_LEVELS):
            if text.startswith(_DEBUG):
                return []
            text = text[text.index(": ") + 2 :]
        if split_piece(text):
            return [_piece(record, service)]
        if text.startswith(_ID_SENT):
            return []
        return _login(record, text, service)
    # Auth-process lines: peel what Dovecot (and syslog setups) nest: "auth: ",
    # "auth-worker(304): ", "auth(default): ", "dovecot: ", a level word, "conn …: ".
    debug = False
    for _ in range(6):
        if text.startswith(_LEVELS):
            debug = debug or text.startswith(_DEBUG)
            text = text[text.index(": ") + 2 :]
            continue
        if text.startswith("auth"):
            colon = text.find(": ")
            if colon > 0 and text[:colon] in _AUTH_HEADS:
                auth, text = True, text[colon + 2 :]
                continue
            m = _PROCESS_PREFIX.match(text)
            if m is not None:
                auth, text = True, text[m.end() :]
                continue
        elif text.startswith("conn "):
            m = _CONN_PREFIX.match(text)
            if m is not None:
                auth, text = True, text[m.end() :]
                continue
        elif text.startswith(("dovecot: ", "dovecot-auth: ")):
            auth, text = auth or text.startswith("dovecot-auth"), text[text.index(": ") + 2 :]
            continue
        break
    c = text[:1]
    if c == "p" and text.startswith("pam_unix("):
        return _pam_unix(record, text, auth)
    if c == "a" and text.startswith(("auth(", "auth-worker(")):
        return _auth24(record, text)
    if auth and _DB_NAME.match(text) is not None:
        events = _auth23(record, text)
        return _debug_only(events) if debug else events
    return []


_DEBUG = "Debug: "


def _debug_only(events: list[Event]) -> list[Event]:
    """What an ``auth_debug`` line may give: the typed and stored passwords it exposes
    (a DEBUG event), never a failure. Its text is ``Performing passdb lookup``,
    ``lookup: user=… file=…`` &c.; with a user (or password) that repeats ``): `` the
    message read from the line's end may be the client's ``password mismatch``: the
    attempt is counted from the Info line Dovecot writes for it, and the login line."""
    return [event for event in events if event.type is _E.DEBUG]


# ------------------------------------------------------------------------ login lines

_ID_SENT = "ID sent: "
"""imap-login's ``imap_id_log`` line (2.2, 2.3; ``imap-login-cmd-id.c``): ``ID sent: `` and
the client's IMAP ID, ``key=value, …`` (each key cut to 30 bytes and value to 80, but
any number of them, parentheses allowed), then the elements of the connection, as on
every login-process line (``: user=<>, rip=…, lip=…, session=<…>``). Everything before
those elements is the client's: a value ``(internal failure, 1 successful auths)`` reads
as a login line's reason. The line gives nothing: no verdict, no address, no ``lip=``."""

SPLIT_PIECE_BYTES = 4000
"""A login-process message this long (UTF-8 bytes, after the process's ``imap-login: ``
and the level word) is a piece of a longer one, or more than one joined.

Every process Dovecot's master starts writes its log lines to the log process over a
pipe, one ``write()`` each, framed ``\x01<type><pid> <text>\n`` (``lib/failures.c``).
A message that does not fit in ``PIPE_BUF`` (4096 on Linux) is cut by
``internal_send_split()`` into pieces of ``PIPE_BUF - len("\x01<type><pid> ") - 1``
bytes, the last one shorter, and the log process (``log/log-connection.c``) writes each
as a line of its own with the process's prefix: ``imap-login: <piece>``. With a pid of
at most 7 digits (Linux's ``PID_MAX_LIMIT``) every piece but the last has 4085 to 4091
bytes. A piece starts or ends anywhere, in the client's text: a long ``ID sent:`` line
(:data:`_ID_SENT`) ends its first piece in what the client chose (``… (auth failed, 9
attempts in 9 secs): user=<alice>, rip=<victim>, lip=<attacker>, session=<x``), and its
last piece may be exactly a real-looking line that only ends in the server's elements.
So such a message gives nothing but a mark (:data:`AFTER_PIECE`, :func:`_piece`): a DEBUG
event without an address, for its host and login service.

The last piece is read as a line: it ends in the server's own elements (``rip=`` is the
client's real address), so what the client wrote in it can only be about itself: a
failure more, or a forged ``Login: user=<alice>, method=PLAIN`` of its own address. It
is not dropped, nor read as failures only: a message of this size fits one write whole
too (an IMAP ID of 4 KiB), and then the next line is the connection's real failure or
login; dropping it would let a bot hide its own failures and break-in behind an ID it
sends (found by review). Instead the detector (``mailwarden.detect.pieces``) marks
every event of every login-process line of the same host and service up to
:data:`~mailwarden.detect.pieces.PIECE_SECONDS` (2 s) after the latest piece by the time
stamps, not the next line only: the log process serves all login processes of the
service, each piece a write of its own, so other connections' lines (or the client's
own second cut message) may come between a piece and its message's last one. A login
there still counts as a break-in when it follows guesses, as any login does, but it
never makes its address a device of the account (no "stale password", no typo excused,
no owner's network): what the forged login was written for.

Known trade-off: a piece cannot be told from a whole message by its size.
``internal_handler()`` sends a message whole when ``"\x01<type><pid> "``, the text and
the newline fit in ``PIPE_BUF``, so a whole message may be exactly as long as a piece
(both at most ``PIPE_BUF`` minus the same prefix minus 1); narrowing the bound to
4085..4091 would still let a client size its IDs so, and would miss the pieces of a site
whose log prefix takes bytes from them. So a whole IMAP ID of 4000 bytes or more marks
the window too, and a real login made within 2 s after one (on that host and service)
proves no device: that address's later failures count as guesses, as fail2ban (which
has no notion of a device) would count them. Under a flood of such IDs (one a second) no
login proves a device while it lasts: every real user whose phone keeps an old password
is then judged as fail2ban would judge it (found by review).

The bound is below 4085 by a margin (a site's log prefix Dovecot 2.3 writes into each
piece, ``internal_format()``, counts against the same 4096 bytes); a complete
login-process line is far shorter: the client's only text in it is the user, cut to 80
bytes (``str_sanitize``), the rest the server's short words. Syslog does not cut these
pieces again (rsyslog's default ``maxMessageSize`` is 8 KiB; glibc's ``syslog()`` has no
limit); a syslog daemon that truncated lines shorter than 4 KiB would lose the server's
elements of a long line anyway."""


AFTER_PIECE = "after_piece"
"""The detail key of the mark a piece gives (:func:`_piece`, its value the login service),
and of a login the line after a piece gives (``mailwarden.detect.pieces``): a login whose
account and outcome the client may have written, never its owner's device."""


def _piece(record: Record, service: str) -> Event:
    """The mark of a piece (:data:`SPLIT_PIECE_BYTES`): nothing read from its text."""
    return _new(
        Event,
        (
            _E.DEBUG,
            _C.DEBUG,
            False,
            None,
            None,
            None,
            None,
            None,
            "piece",
            record,
            0,
            None,
            service,
            None,
            None,
            {AFTER_PIECE: service},
        ),
    )


def _piece_tail(text: str, rip_at: int) -> bool:
    """Whether a ``Login:`` line reads as the last piece of a cut message rather than a
    login line (:data:`SPLIT_PIECE_BYTES`): the server's elements of the cut message
    follow its text after ``": "`` (``…, mpid=1: rip=…`` when the connection had no
    user yet, ``…: user=<x>, method=…, rip=…`` after a failed try), where a login line
    has ``", "``. Read so even when the piece before it is not in the input (``grep
    ADDRESS``, ``--since`` between the two): the login proves no device (the detail
    :data:`AFTER_PIECE`), as a login in a piece's window. A user name holding ``": "``
    reads so too: its login still counts as a break-in after guessing."""
    start = 7 if text.startswith("Login: ") else 11
    # rip_at is the space of " rip=": the ": " before it ends one past it
    return text.find(": ", start, rip_at + 1 if rip_at >= 0 else len(text)) >= 0


def split_piece(text: str) -> bool:
    """Whether a login-process message ``text`` (after the process's prefix and the
    level word) is a piece of a message Dovecot cut (:data:`SPLIT_PIECE_BYTES`),
    counted in UTF-8 as Dovecot counts it (undecodable bytes one each; a character
    replaced for invalid UTF-8 counts three, never fewer than the bytes it stands for)."""
    if len(text) * 4 < SPLIT_PIECE_BYTES:  # cheap: no message this short is one
        return False
    try:
        size = len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:  # a lone surrogate not from undecodable bytes
        size = len(text.encode("utf-8", "surrogatepass"))
    return size >= SPLIT_PIECE_BYTES


def login_text(program: str | None, message: str) -> tuple[str, int] | None:
    """(login service, where the message's own text starts) of a login-process entry
    (program ``imap-login`` &c., or ``dovecot`` / none with ``imap-login: `` in front),
    past the level word a file log writes; None for any other entry. As
    :func:`parse_message` reads it: what ``split_piece`` measures."""
    at = 9 if message.startswith("dovecot: ") else 0
    service = _LOGIN_SERVICES.get(program) if program is not None else None
    if service is None:
        if program is not None and program != "dovecot":
            return None
        colon = message.find(": ", at, at + 24)
        if colon < 0:
            return None
        service = _LOGIN_SERVICES.get(message[at:colon])
        if service is None:
            return None
        at = colon + 2
    if message.startswith(_LEVELS, at):
        at = message.index(": ", at) + 2
    return service, at


def _login(record: Record, text: str, service: str) -> list[Event]:
    if text.startswith("proxy("):
        # A login proxy's (director's) line: only "started proxying" says something (a
        # login the backend accepted); the rest ("Login failed to …", "disconnecting …")
        # begins with the client's name and its failures end in the usual
        # "Disconnected … (proxy dest auth failed, N attempts …)" line. Any other proxy
        # line says that a proxy passdb answered for the connection: a mark of its
        # session (PROXIED), read by what follows (detect.proxied).
        elements = _proxy_started(text)
        if elements is None:
            return _proxied(record, text, service)
        text = "Login: " + elements
        proxied = True
    else:
        proxied = False
    # The address is the value of the " rip=" the server wrote (_server_rip): one before
    # "user=<" (a site format that writes rip first), else the LAST one (", rip="
    # normally; "XYZ rip=" in odd setups), unless that one is the client's own text.
    rip_at, user_open = _server_rip(text)
    # The message ends where the elements begin: at ": user=<" (server text cannot
    # contain it before the user element), else at the first element key; never past
    # the server's rip (a format that writes rip first: a ": user=<" after it is in the
    # client's name, which could carry a forged reason such as "(internal failure, 1
    # successful auths)").
    head_end = text.find(": user=<")
    if head_end < 0 or (rip_at >= 0 and head_end > rip_at):
        head_end = text.find(": method=")
        if head_end < 0 or (rip_at >= 0 and head_end > rip_at):
            head_end = rip_at if rip_at >= 0 else len(text)
    earlier = 0
    accepted: tuple[int, int] | None = None
    tail = False
    if text.startswith(("Login: ", "Logged in: ")):
        type_, strength, reason, attempts, code = _E.AUTH_SUCCESS, None, "login", 1, None
        tail = not proxied and _piece_tail(text, rip_at)
    else:
        verdict = _login_verdict(text[:head_end])
        if verdict is None:
            return []
        type_, strength, reason, attempts, code = verdict
        if type_ is _E.AUTH_UNAVAILABLE:
            accepted = _accepted(reason)
            if accepted is not None:
                type_, strength, attempts = _E.AUTH_SUCCESS, None, 1
        if strength is _WEAK and attempts > 1 and type_ is _E.AUTH_FAILURE:
            # The reason is the connection's last try's only: the tries before it count
            # (EARLIER_TRIES), as "auth failed, N attempts" counts every try.
            strength, earlier = _STRONG, attempts - 1
            attempts = earlier

    ip: str | None = None
    user: str | None = None
    method: str | None = None
    lip = session = tls = None
    user_after_rip = False
    if rip_at >= 0:
        limit = rip_at
        value = _VALUE_END.match(text, rip_at + 5)
        end = value.end() if value is not None else rip_at + 5
        ip = _IPS[text[rip_at + 5 : end]]
        # The elements after the address are the server's up to the client's user=<, if
        # that comes after it: lip, mpid, %{secured}, session, and whatever a site added
        # (allowed, ignored).
        server_end = len(text) if user_open < rip_at else user_open
        for element in text[end:server_end].split(", "):
            c = element[:1]
            if c == "l":
                if element.startswith("lip="):
                    lip = element[4:]
            elif c == "s":
                if element.startswith("session=<"):
                    session = element[9:-1] if element.endswith(">") else element[9:]
                elif element == "secured" and tls is None:
                    tls = element
            elif c == "T" and tls is None and not element.startswith("TLSv"):
                tls = element
            elif c == "m" and element.startswith("method=") and method is None:
                method = element[7:].upper() or None
        if server_end == user_open:
            user_after_rip = True
            session_before = session
            lip, session, tls = _after_user(text, user_open, lip, session, tls)
            user, method = _user_after_rip(text, user_open, method, session_before)
    else:
        limit = len(text)
    user_at = -1 if user_after_rip else text.find("user=<", head_end, limit)
    method_from = head_end
    if user_at >= 0:
        user_at += 6
        # Greedy: the user ends at the last ">" before the last rip=.
        close = text.rfind(">", user_at, limit) if rip_at >= 0 else text.find(">", user_at)
        if close >= 0:
            user = text[user_at:close] or None
            method_from = close
    m_at = -1 if user_after_rip else text.find("method=", method_from, limit)
    if m_at >= 0:
        method = text[m_at + 7 : limit].split(",", 1)[0].upper() or None
    detail: dict[str, str] | None = None
    if tls is not None or code is not None or earlier or accepted is not None or tail:
        detail = {}
        if tail:
            detail[AFTER_PIECE] = "login"
        if tls is not None:
            detail["tls"] = tls
        if code is not None:
            detail["code"] = code
        if earlier:
            detail[EARLIER_TRIES] = str(earlier)
        if accepted is not None:
            detail[LOGIN_FAILED] = "internal failure"
    events = [
        _new(
            Event,
            (
                type_,
                _CATEGORY.get(type_, _C.AUTH),
                strength is not None,
                strength,
                ip,
                None,
                user,
                method,
                reason,
                record,
                attempts,
                session or None,
                service,
                _IPS[lip] if lip else None,
                None,
                detail,
            ),
        )
    ]
    if accepted is not None and accepted[1] > 0:
        # 2.4's "K/N successful auths": the connection's other N-K tries failed, before
        # the one accepted (a login ends the tries of a connection), each a guess that no
        # other login line counts: a failure of the same line, read first.
        kept = {k: v for k, v in (detail or {}).items() if k != LOGIN_FAILED}
        kept[THEN_ACCEPTED] = str(accepted[0])
        failed = events[0]._replace(
            type=_E.AUTH_FAILURE,
            category=_C.AUTH,
            hostile=True,
            strength=_STRONG,
            attempts=accepted[1],
            detail=kept,
        )
        events.insert(0, failed)
    return events


def _proxied(record: Record, text: str, service: str) -> list[Event]:
    """A DEBUG event marking the session of a login proxy's (director's) line other
    than ``started proxying`` (``proxy(<user>): connect(…) failed``, ``Login failed to
    …``, ``disconnecting …``): the login process has had an OK passdb reply with
    ``proxy=y`` for it, which Dovecot counts as a successful auth even with
    ``nopassword=y`` (no password checked). The address and session id are the
    server's elements after the line's last ``rip=`` (as for every login line); the
    event itself has no session (its session is :data:`PROXIED`'s value) so that the
    session layer does not take the line for the connection's closing one."""
    events = _login(record, "Login: " + text[6:], service)
    if not events:
        return []
    login = events[-1]
    if login.ip is None or not login.session:
        return []
    return [
        login._replace(
            type=_E.DEBUG,
            category=_C.AUTH,
            hostile=False,
            strength=None,
            user=None,
            mechanism=None,
            reason="proxy",
            attempts=0,
            session=None,
            detail={PROXIED: login.session},
        )
    ]


PROXIED = "proxied"
"""The detail of a DEBUG event from a login proxy's line (:func:`_proxied`): the session
id of the connection for which a proxy passdb answered OK."""


_SUCCESSES = re.compile(r"internal failure, (\d+)(?:/(\d+))? successful auths?(?: in \d+ secs?)?$")


def _accepted(reason: str) -> tuple[int, int] | None:
    """(K, failed tries) of a login line's ``internal failure, K successful auths``
    (2.2, 2.3) or ``internal failure, K/N successful auths in S secs`` (2.4), K > 0; None
    for any other reason. Dovecot's login process words the line so only when
    ``auth_successes`` is above 0 (``client_get_extra_disconnect_reason()``): a password
    was accepted, then the login failed (the mail process or the userdb lookup failed,
    the account's connection limit was reached, …). N (2.4) counts every try of the
    connection, the accepted ones with them: N - K failed."""
    m = _SUCCESSES.match(reason)
    if m is None:
        return None
    k = int(m.group(1))
    if k <= 0:
        return None
    n = int(m.group(2)) if m.group(2) is not None else k
    return k, max(0, n - k)


LOGIN_FAILED = "login_failed"
"""The detail of an AUTH_SUCCESS taken from a login line whose connection had a password
accepted but did not log in (``internal failure, K successful auths``,
:func:`_accepted`): its value names why (``internal failure``). The client knows the
password all the same."""


THEN_ACCEPTED = "then_accepted"
"""The detail of the AUTH_FAILURE that a 2.4 ``internal failure, K/N successful auths``
line gives for its N - K failed tries (K, the accepted ones): the AUTH_SUCCESS of the
same line follows it, and ends the connection's session."""


def accepted_only(event: Event) -> bool:
    """Whether ``event`` is a login whose password was accepted but whose session did not
    start (a login line's ``internal failure, K successful auths``: :data:`LOGIN_FAILED`)."""
    detail = event.detail
    return event.type is _E.AUTH_SUCCESS and detail is not None and LOGIN_FAILED in detail


_CATEGORY = {_E.NO_AUTH: _C.SESSION, _E.TLS_FAILURE: _C.TLS}

EARLIER_TRIES = "earlier_tries"
"""The detail of a failed login line whose reason is weak (``tried to use unsupported auth
mechanism``, ``user disabled``, ``password expired``, …) and names more than one try: how
many tries came before the last, each counted as a failed login. Dovecot's login process
words the line by its connection's LAST failure (``client_get_extra_disconnect_reason``:
the last failure code picks the text, the count is of every try), so ``tried to use
unsupported auth mechanism, 4 attempts`` may be three wrong passwords and then
``AUTHENTICATE XFOO``: a bot ending each connection so had its guesses counted as nothing.
The tries before the last count whatever they were, as ``auth failed, N attempts`` counts
every try; the last, weak, counts nothing."""

# (type, strength) by the start of the human reason.
_REASONS: tuple[tuple[str, EventType, Strength | None], ...] = (
    ("auth failed", _E.AUTH_FAILURE, _STRONG),
    ("no auth attempts", _E.NO_AUTH, _WEAK),
    ("tried to use disabled", _E.AUTH_FAILURE, _STRONG),
    ("tried to use disallowed", _E.AUTH_FAILURE, _STRONG),
    ("proxy dest auth failed", _E.AUTH_FAILURE, _STRONG),
    ("authorization failed", _E.AUTH_FAILURE, _STRONG),
    ("sent invalid base64", _E.AUTH_FAILURE, _STRONG),
    ("credentials contain control characters", _E.AUTH_FAILURE, _STRONG),
    ("tried to use unsupported auth mechanism", _E.AUTH_FAILURE, _WEAK),
    ("anonymous logins disabled", _E.AUTH_FAILURE, _WEAK),
    ("user disabled", _E.AUTH_FAILURE, _WEAK),
    ("login disabled", _E.AUTH_FAILURE, _WEAK),
    ("password expired", _E.AUTH_FAILURE, _WEAK),
    ("auth service reported temporary failure", _E.AUTH_UNAVAILABLE, _WEAK),
    ("internal failure", _E.AUTH_UNAVAILABLE, _WEAK),
    ("disconnected during TLS handshake", _E.TLS_FAILURE, _WEAK),
    ("disconnected before auth was ready", _E.NO_AUTH, _WEAK),
    ("client didn't finish SASL auth", _E.AUTH_ABORTED, _WEAK),
    ("disconnected while authenticating", _E.AUTH_ABORTED, _WEAK),
    ("proxy dest", _E.AUTH_UNAVAILABLE, _WEAK),
)
_CODES: dict[str, tuple[EventType, Strength | None]] = {
    "auth_failed": (_E.AUTH_FAILURE, _STRONG),
    "no_auth_attempts": (_E.NO_AUTH, _WEAK),
    "auth_aborted_by_client": (_E.AUTH_ABORTED, _WEAK),
    "auth_waiting_client": (_E.AUTH_ABORTED, _WEAK),
    "tls_handshake_not_finished": (_E.TLS_FAILURE, _WEAK),
    "invalid_base64": (_E.AUTH_FAILURE, _STRONG),
    "invalid_mech": (_E.AUTH_FAILURE, _WEAK),
    "cleartext_auth_disabled": (_E.AUTH_FAILURE, _STRONG),
    "temp_fail": (_E.AUTH_UNAVAILABLE, _WEAK),
    "auth_process_comm_fail": (_E.AUTH_UNAVAILABLE, _WEAK),
}


def _server_rip(text: str) -> tuple[int, int]:
    """(where the server's `` rip=`` of a login line is, where its first ``user=<`` is).

    The client's text is all after the first ``user=<`` (the server writes nothing of
    the client's before it), so a `` rip=`` before it is the server's: a site format
    that writes ``rip`` first (``rip=%r lip=%l user=<%u> …``), and the client's
    ``user=<a>, rip=…, method=PLAIN, x=<b>`` cannot move it. Else the last `` rip=``,
    unless that lies in the client's ``user=<…>`` (:func:`_rip_in_user`): then none
    (-1: a UNIX-socket client has none). ``user=<`` is -1 when there is no `` rip=``
    (not looked for: most lines have neither)."""
    rip_at = text.rfind(" rip=")
    if rip_at < 0:
        return -1, -1
    user_open = text.find("user=<")
    if user_open < 0 or rip_at < user_open:
        return rip_at, user_open
    if not text.startswith(": ", user_open - 2):  # ": user=<": the first element
        first = text.rfind(" rip=", 0, user_open)
        if first >= 0:
            return first, user_open
    value = _VALUE_END.match(text, rip_at + 5)
    end = value.end() if value is not None else rip_at + 5
    if not _rip_in_user(text, rip_at, end):
        return rip_at, user_open
    return -1, user_open


def _after_user(
    text: str, user_open: int, lip: str | None, session: str | None, tls: str | None
) -> tuple[str | None, str | None, str | None]:
    """(lip, session, %{secured}) of a line whose ``rip=`` comes before ``user=<`` (at
    ``user_open``), given those read between the address and ``user=<``.

    The client's text runs from ``user=<`` to the ``>`` that closes it, and a user may
    hold ``>, lip=…, session=<x`` of its own: where it ends cannot be told in general.
    So what is still missing is read only after the line's last ``>`` (at or after the
    user's real end): a ``lip=`` anywhere else is not read, as one the client wrote
    would make an address of its choosing (its own) this server's, never banned. The
    session is also read from the element that ends at the line's last ``>``: the
    server's, when the format writes ``session=<…>`` after the user (Dovecot's default
    puts it last). A client can only put one there when nothing bracketed follows the
    user, and then an id it makes up only names the session its own line closes: the
    address stays the server's ``rip=`` and the attempts are counted."""
    last = text.rfind(">")
    if last < user_open:
        return lip, session, tls
    if lip is None or tls is None:
        for element in text[last + 1 :].split(", "):
            if element.startswith("lip="):
                if lip is None:
                    lip = element[4:]
            elif tls is None and (
                element == "secured" or (element[:1] == "T" and not element.startswith("TLSv"))
            ):
                tls = element
    if session is None:
        start = text.rfind(", session=<", user_open, last)
        if start >= 0 and ", " not in text[start + 2 : last]:
            session = text[start + 11 : last]
    return lip, session, tls


def _user_after_rip(
    text: str, user_open: int, method: str | None, session_before: str | None
) -> tuple[str | None, str | None]:
    """(user, method) of a line whose server ``rip=`` comes before ``user=<`` (at
    ``user_open``): ``rip=%r lip=%l … method=%m user=<%u>`` or ``… user=<%u> method=%m
    …``. ``method`` is the one the server wrote before the user, if any.

    The client's text runs from ``user=<`` to the ``>`` that closes it, and may hold
    ``>, method=…, x=<`` of its own. The server writes each element once and closes the
    user before the next: so when ``method=`` was not written before the user, the
    line's **last** ``, method=`` is the server's (the user lies wholly before it), and
    so is a ``, session=<…>`` that ends at the line's last ``>`` (when the session was
    not written before the user either). The user ends at the last ``>`` before the
    first of those: a ``method=`` in the user's text is never read, and the user reads
    whole, as the default format's greedy reading does."""
    start = user_open + 6
    bound = len(text)
    if method is None:
        m_at = text.rfind(", method=", start)
        if m_at >= 0:
            bound = m_at
            value = _VALUE_END.match(text, m_at + 9)
            method = (value.group() if value is not None else "").upper() or None
    if session_before is None:
        last = text.rfind(">")
        s_at = text.rfind(", session=<", start, last)
        if s_at >= 0 and ", " not in text[s_at + 2 : last]:
            bound = min(bound, s_at)
    close = text.rfind(">", start, bound)
    if close < 0:
        close = text.rfind(">", start)
    user = text[start:close] if close >= 0 else text[start:bound]
    return user or None, method


_PROXY_STARTED = (
    ("): started proxying to ", re.compile(r"\S+?:\d+(?=: |/| \()")),  # 2.3: host:port
    ("): Started proxying to <", re.compile(r"[^<>\s]+>(?: \(<[^<>\s]+>\))?")),  # 2.4
)
"""A login proxy's success (``login-common/client-common-auth.c``): 2.3
``proxy(%s): started proxying to %s:%u[/destuser][ (master %s)]``, 2.4 ``proxy(%s):
Started proxying to <ip>[ (<host>)][ from …][ as user …][ (master …)]…``, then, as on every
login-process line, ``: `` and the elements (``user=<…>, method=…, rip=…, …``)."""


def _proxy_started(text: str) -> str | None:
    """The elements of a ``proxy(<user>): started proxying to …`` line, or None.

    The name in ``proxy(…)`` is the client's (the same as in ``user=<…>``), so the
    line's client text starts at its beginning, not at ``user=<``. The server writes
    the ``started proxying to`` phrase once: a line with more than one is a name that
    repeats it and gives nothing. After the destination (server-written) the elements
    begin at ``: ``; when Dovecot added a destination user or master user (which may
    derive from the client's text) they begin at ``: user=<NAME>``, NAME being the
    name of ``proxy(…)``; a line where they cannot be told gives nothing. What is
    returned is read as a ``Login:`` line's elements, with its guards."""
    found: tuple[int, str, re.Pattern[str]] | None = None
    for marker, destination in _PROXY_STARTED:
        at = text.find(marker, 6)
        if at < 0:
            continue
        if found is not None or text.find(marker, at + 1) >= 0:
            return None
        found = (at, marker, destination)
    if found is None:
        return None
    at, marker, destination = found
    name = text[6:at]
    m = destination.match(text, at + len(marker))
    if m is None:
        return None
    end = m.end()
    if text.startswith(": ", end):
        return text[end + 2 :]
    user_at = text.find(": user=<" + name + ">", end)
    if not name or user_at < 0:
        return None
    return text[user_at + 2 :]


def _rip_in_user(text: str, rip_at: int, end: int) -> bool:
    """Whether the last ``rip=`` (at ``rip_at`` in ``text``, its value ending at ``end``;
    the elements after it are ``text[end:]`` split at ``, ``), after ``user=<`` and with
    none before it, is the client's text inside ``user=<…>`` of a line that has none of
    its own (a UNIX-socket client). The
    server writes each element once, in the order of ``login_log_format_elements``
    (sites reorder them), and closes ``user=<`` before any element after it. So it is
    the client's when: ``user=<`` or ``method=`` is written again after it; or a
    ``user=<`` before it is still open there (no ``>`` since); or, with a ``user=<``
    before it, an element after it closes a ``>`` it did not open (``lip=…>``,
    ``TLS>``: the server's ``>`` of the user). What stays out of reach: on a line with
    no ``rip=`` of the server's (a local client on a UNIX socket), a client that
    balances its brackets, with a format that puts ``method=`` after ``rip=``, reads
    exactly as that format does. (A network client's line always has the server's
    ``rip=``: after the user, it is the last; before it, :func:`_server_rip` takes it.)

    Read in place, with no list of elements: an element after the address starts the
    rest of the line or follows a ``, `` (which never overlaps itself, so every one of
    them is a place the split would cut)."""
    user_at = text.find("user=<", 0, rip_at)
    if user_at >= 0 and (text.startswith("user=<", end) or text.find(", user=<", end) >= 0):
        return True
    if (text.startswith("method=", end) or text.find(", method=", end) >= 0) and text.find(
        "method=", 0, rip_at
    ) >= 0:
        return True
    if user_at < 0:
        return False
    if text.find(">", user_at, rip_at) < 0:
        return True
    if text.find(">", end) < 0:
        return False
    for element in text[end:].split(", "):
        if ">" in element and element.count(">") > element.count("<"):
            return True
    return False


def _login_verdict(head: str) -> tuple[EventType, Strength | None, str, int, str | None] | None:
    """What a login line's message says: (type, strength, reason, attempts, code)."""
    groups = _PAREN.findall(head)
    if not groups:
        return None
    code: str | None = None
    if len(groups) > 1 and _CODE.match(groups[-1]) is not None and "_" in groups[-1]:
        code = groups.pop()
    reason = groups[-1]
    attempts = 1
    m = _ATTEMPTS.search(reason)
    if m is not None:
        attempts = int(m.group(1))
    for start, type_, strength in _REASONS:
        if reason.startswith(start):
            return type_, strength, reason, attempts, code
    if code is not None and code in _CODES:
        type_, strength = _CODES[code]
        return type_, strength, reason, attempts, code
    if m is not None:
        # "<some failure text>, N attempts in S secs": a failure kind this parser does
        # not know by name.
        return _E.AUTH_FAILURE, _WEAK, reason, attempts, code
    return None


# ------------------------------------------------------------------------- auth lines

_MSG_STRONG = (
    "unknown user",
    "Password mismatch",
    "invalid credentials",
    "Invalid credentials",
)
_MISMATCH_LOWER = "password mismatch"
"""Dovecot 2.2's mechanisms wrote it in lower case (``cram-md5(user,ip): password
mismatch``, DIGEST-MD5 too), 2.3 and later ``Password mismatch``: either, at the start of
the message (the server's text), is a wrong password."""
_PAM_STRONG = (
    "Authentication failure",
    "Permission denied",
    "User not known to the underlying authentication module",
    "User unknown",
)
_PAM_WEAK = ("Account expired", "Authentication token is no longer valid", "Account is disabled")
_DISALLOWED = "Username character disallowed by auth_username_chars"
"""2.3's mechanism-level refusal (``plain(?,ip,<session>): Username character disallowed
by auth_username_chars: 0x2c (username: <client text>)``): the attempt failed before any
passdb saw it, and the login line says ``auth failed`` for it."""
_EMPTY_USERNAME = "Empty username"
"""2.3's mechanism-level refusal of an empty name (``plain(?,ip,<session>): Empty
username``, ``sasl-server-mech-plain.c``/``mech-login.c``): a failed attempt, the one the
login line (``auth failed``, ``user=<>``) counts too."""
_USERNAME_TRAILER = " (username: "
_MECHANISMS = frozenset(
    {
        "plain",
        "login",
        "cram-md5",
        "digest-md5",
        "scram-sha-1",
        "scram-sha-256",
        "oauthbearer",
        "xoauth2",
        "apop",
        "anonymous",
        "external",
        "gssapi",
        "gss-spnego",
        "ntlm",
        "otp",
        "winbind",
    }
)
"""Names that stand before ``(user,ip…)`` when the SASL mechanism, not a passdb, logs
(2.3): the prefix is then the mechanism, and ``user`` is ``?`` until one is known."""
SASL_MECHANISMS = _MECHANISMS
"""Those names, for the session layer: 2.4 writes such a one where the passdb's name
stands (``auth(user,ip,sasl:cram-md5)<…>: cram-md5: Password mismatch``)."""


def _mask_logged_password(msg: str) -> tuple[str, str | None]:
    """``Password mismatch (given password: secret)`` -> the message with the password
    masked, and which kind was logged (``plain``, ``sha1``) or None."""
    for marker, kind in ((" (SHA1 of given password: ", "sha1"), (" (given password: ", "plain")):
        at = msg.find(marker)
        if at >= 0:
            return msg[:at] + marker + "***)", kind
    return msg, None


def _classify(msg: str) -> tuple[EventType, Strength, str, str | None] | None:
    """(type, strength, reason, password_logged) of an auth-process message."""
    msg, logged = _mask_logged_password(msg)
    if (
        msg.startswith(_MSG_STRONG)
        or msg.startswith(_DISALLOWED)
        or msg == _EMPTY_USERNAME
        or msg[: len(_MISMATCH_LOWER)].lower() == _MISMATCH_LOWER
    ):
        return _E.AUTH_FAILURE, _STRONG, msg, logged
    if msg.startswith("pam_authenticate() failed: "):
        why = msg[27:]
        if why.startswith(_PAM_STRONG) or "assword mismatch" in why:
            return _E.AUTH_FAILURE, _STRONG, msg, logged
        if why.startswith(_PAM_WEAK):
            return _E.AUTH_FAILURE, _WEAK, msg, logged
        return _E.AUTH_UNAVAILABLE, _WEAK, msg, logged
    return None


def _auth_event(
    record: Record,
    ip_text: str | None,
    user: str | None,
    mech: str | None,
    session: str | None,
    msg: str,
    db: str | None,
    ambiguous: bool = False,
) -> list[Event]:
    if ") != '" in msg and _MISMATCH.match(msg) is not None:
        return [_logged_mismatch(record, ip_text, user, mech, session, msg, db)]
    attempts = 1
    m = _TIMES.search(msg) if msg.endswith(" Time(s)") else None
    if m is not None:
        # A syslog summary ("… : 2 Time(s)") stands for that many lines.
        attempts = max(1, int(m.group(1)))
        msg = msg[: m.start()]
    if msg.startswith(_DISALLOWED):
        # "… 0x2c (username: <client text>)": the server's text ends at the first
        # " (username: " (the byte code cannot contain it); the rest up to the line's
        # last ")" is the client's name, the one the login line shows too.
        at = msg.find(_USERNAME_TRAILER)
        if at >= 0:
            if msg.endswith(")") and user in (None, "", "?"):
                user = msg[at + len(_USERNAME_TRAILER) : -1]
            msg = msg[:at]
    next_db = _next_db(msg)
    if next_db is not None:
        msg = msg[: -len(next_db)]
    verdict = _classify(msg)
    if verdict is None:
        return []
    type_, strength, reason, logged = verdict
    if next_db is not None:
        return [_not_final(record, ip_text, user, mech, session, reason + next_db, db, logged)]
    detail: dict[str, str] | None = None
    if db is not None or logged is not None or ambiguous:
        detail = {}
        if db is not None:
            detail["db"] = db
        if logged is not None:
            detail["password_logged"] = logged
        if ambiguous:
            detail["ambiguous"] = "client text repeats the log format; no address taken"
    return [
        _new(
            Event,
            (
                type_,
                _C.AUTH,
                True,
                strength,
                _IPS[ip_text] if ip_text else None,
                None,
                user or None,
                mech,
                reason,
                record,
                attempts,
                session or None,
                None,
                None,
                None,
                detail,
            ),
        )
    ]


_NEXT_DB = (" - trying the next passdb", " - trying the next userdb")
"""What Dovecot appends to a passdb's (userdb's) ``unknown user`` or ``Password
mismatch`` when another one follows it in the configuration
(``auth_request_log_login_failure()``, 2.2 to 2.4): this one did not know the name or
the password, and the next one decides. It is written only with
``auth_verbose_passwords`` on (else the line is the message alone). The client cannot
write it: its password, the one text of its own after the prefix, is always followed by
``)``, so only the server's suffix ends the line with it."""


def _next_db(msg: str) -> str | None:
    """The :data:`_NEXT_DB` suffix that ends ``msg``, or None."""
    if msg.endswith("db"):
        for suffix in _NEXT_DB:
            if msg.endswith(suffix):
                return suffix
    return None


NEXT_DB = "next_db"
"""The detail of a passdb's (or userdb's) refusal that Dovecot passes on to the next one
(:data:`_NEXT_DB`): ``passdb`` or ``userdb``. Such a line is a DEBUG event, no failed
attempt: the attempt is the next passdb's to decide, and its line, the login process's
(``auth failed, N attempts``, ``Login:``) or Postfix's tells it. Nor does its ``unknown
user`` say that the account does not exist: the next passdb may know it."""


def _not_final(
    record: Record,
    ip_text: str | None,
    user: str | None,
    mech: str | None,
    session: str | None,
    reason: str,
    db: str | None,
    logged: str | None,
) -> Event:
    """A passdb's refusal passed on to the next passdb (:data:`NEXT_DB`): a DEBUG event,
    with the password it shows (masked in ``reason``) noted as any failure line's."""
    detail = {NEXT_DB: reason[reason.rindex(" ") + 1 :]}
    if db is not None:
        detail["db"] = db
    if logged is not None:
        detail["password_logged"] = logged
    return _new(
        Event,
        (
            _E.DEBUG,
            _C.DEBUG,
            False,
            None,
            _IPS[ip_text] if ip_text else None,
            None,
            user or None,
            mech,
            reason,
            record,
            1,
            session or None,
            None,
            None,
            None,
            detail,
        ),
    )


def _logged_mismatch(
    record: Record,
    ip_text: str | None,
    user: str | None,
    mech: str | None,
    session: str | None,
    msg: str,
    db: str | None,
) -> Event:
    """A password Dovecot's auth_debug_passwords wrote, typed and stored: no guess of
    its own (Dovecot logs the failure beside it), only what the log exposes."""
    detail = {"password_logged": "debug"}
    if db is not None:
        detail["db"] = db
    return _new(
        Event,
        (
            _E.DEBUG,
            _C.DEBUG,
            False,
            None,
            _IPS[ip_text] if ip_text else None,
            None,
            user or None,
            mech,
            redact_server_secrets(msg),
            record,
            1,
            session or None,
            None,
            None,
            None,
            detail,
        ),
    )


def _split_ident(ident: str) -> tuple[str | None, str | None, str | None, str | None]:
    """``user,ip[,master][,<session>]`` (2.3) or ``user,ip,sasl:mech`` (2.4) -> (user, ip,
    mech, session), splitting from the right: the server-written elements after the user
    contain no comma, so any comma further left is part of the user."""
    parts = ident.split(",")
    mech = session = None
    while len(parts) > 1:
        last = parts[-1]
        if last.startswith("<") and last.endswith(">"):
            session = last[1:-1]
        elif last.startswith("sasl:"):
            mech = last[5:].upper() or None
        elif last in ("master", ""):
            pass
        else:
            break
        parts.pop()
    if len(parts) > 1 and _IPS[parts[-1]] is not None:
        ip = parts.pop()
        return ",".join(parts), ip, mech, session
    return ",".join(parts), None, mech, session


def _auth23(record: Record, text: str) -> list[Event]:
    """``db(user,ip[,master][,<session>]): message``."""
    open_at = text.index("(")
    db = text[:open_at]
    seps = _count(text, "): ", open_at)
    if seps == 0:
        return []
    sep = text.find("): ", open_at)
    if seps > 1:
        # The user or the logged password repeats "): ": no way to tell which one is
        # the server's. Classify by the end of the line (server text comes first), give
        # no address.
        last = text.rfind("): ")
        msg = text[last + 3 :]
        events = _auth_event(record, None, None, None, None, text[sep + 3 :], db, True)
        if not events:
            events = _auth_event(record, None, None, None, None, msg, db, True)
        return events
    user, ip, mech, session = _split_ident(text[open_at + 1 : sep])
    if db.lower() in _MECHANISMS:
        # plain(?,ip,<session>): the mechanism logs, not a passdb.
        if user == "?":
            user = None
        return _auth_event(record, ip, user, db.upper(), session, text[sep + 3 :], None)
    return _auth_event(record, ip, user, mech, session, text[sep + 3 :], db)


def _auth24(record: Record, text: str) -> list[Event]:
    """``auth(user,ip,sasl:mech)<session>: [Info: ]db: message`` and
    ``auth-worker(user,ip,sasl:mech)<pid><session>: request [N]: db: message``."""
    open_at = text.index("(")
    seps = _count(text, ")<", open_at) + _count(text, "): ", open_at)
    if seps != 1:
        if seps > 1:
            tail = text.rsplit(": ", 1)[-1]
            events = _auth_event(record, None, None, None, None, tail, None, True)
            # Ambiguous: the level may be the client's too; such a line has no address.
            return _debug_only(events) if ": " + _DEBUG in text else events
        return []
    close = text.find(")<", open_at)
    if close < 0:
        close = text.find("): ", open_at)
    ident = text[open_at + 1 : close]
    if "," not in ident:
        return []
    rest_at = close + 1
    session: str | None = None
    groups: list[str] = []
    while rest_at < len(text) and text[rest_at] == "<":
        end = text.find(">", rest_at)
        if end < 0:
            return []
        groups.append(text[rest_at + 1 : end])
        rest_at = end + 1
    if groups:
        session = groups[-1]
        if len(groups) == 1 and groups[0].isdigit() and text.startswith("auth-worker("):
            session = None
    if not text.startswith(": ", rest_at):
        return []
    rest = text[rest_at + 2 :]
    debug = False
    if rest.startswith(_LEVELS):
        debug = rest.startswith(_DEBUG)
        rest = rest[rest.index(": ") + 2 :]
    m = _AUTH24_REST.match(rest)
    db = None
    if m is not None:
        db = m.group(1)
        rest = rest[m.end() :]
    user, ip, mech, ident_session = _split_ident(ident)
    events = _auth_event(record, ip, user, mech, session or ident_session, rest, db)
    return _debug_only(events) if debug else events


def _count(text: str, needle: str, start: int) -> int:
    return text.count(needle, start)


# ------------------------------------------------------------------------------ PAM


def _pam_unix(record: Record, text: str, auth: bool) -> list[Event]:
    """``pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0
    tty=dovecot ruser=X rhost=Y[  user=Z]``."""
    close = text.find("): ", 9)
    if close < 0:
        return []
    service = text[9:close]
    if not (service.startswith("dovecot") or (auth and service.endswith(":auth"))):
        return []
    rest = text[close + 3 :]
    if not rest.startswith("authentication failure;"):
        return []
    found = _pam_rhost(rest)
    ip, user = found if found is not None else (None, None)
    return [
        _new(
            Event,
            (
                _E.AUTH_FAILURE,
                _C.AUTH,
                True,
                _STRONG,
                ip,
                None,
                user or None,
                None,
                PAM_UNIX_REASON,
                record,
                1,
                None,
                None,
                None,
                None,
                None,
            ),
        )
    ]


PAM_UNIX_REASON = "pam_unix: authentication failure"
"""The reason of PAM's own failure line (:func:`_pam_unix`): the detector's session layer
knows it by this (:mod:`mailwarden.detect.sessions`)."""

_PAM_MAX_CANDIDATES = 8
"""More `` rhost=`` than this is a client playing games, not a PAM line: no address (and
no quadratic work on a hostile line)."""


def _pam_rhost(rest: str) -> tuple[str | None, str | None] | None:
    """(rhost, user) of pam_unix's failure line, or None.

    pam_unix writes ``… ruser=%s rhost=%s %s%s``; the last two are ``" user="`` and the
    user (Linux-PAM), or were absent (older PAM). Dovecot sets PAM_RUSER and PAM_USER to
    the client's login name U, so the line is ``ruser=U rhost=IP  user=U`` or
    ``ruser=U rhost=IP``, and U may itself contain `` rhost=``. Each `` rhost=`` is read
    both ways:

    - with the user suffix: what follows the value is ``  user=`` + exactly the text
      that stood after ``ruser=`` (or ``ruser=`` was empty). A forgery inside either
      copy of U can never satisfy this: the text after it is longer than the text
      before it;
    - without: the value ends the line.

    When the readings that fit name one address, that is the client. When they
    disagree (a client wrote `` rhost=`` into its name, and the line fits both PAM
    formats), no address is taken: a wrong address would ban an innocent host. A line
    that fits neither reading but has one `` rhost=`` only has nothing forged in it."""
    r_at = rest.find(" ruser=")
    if r_at < 0:
        return None
    ruser_from = r_at + 7
    candidates: list[int] = []
    at = ruser_from - 1
    while True:
        at = rest.find(" rhost=", at + 1)
        if at < 0:
            break
        candidates.append(at)
        if len(candidates) > _PAM_MAX_CANDIDATES:
            return None
    found: dict[str | None, str | None] = {}
    for at in candidates:
        ruser = rest[ruser_from:at]
        value_from = at + 7
        end = rest.find(" ", value_from)
        value = rest[value_from:] if end < 0 else rest[value_from:end]
        after = "" if end < 0 else rest[end:]
        if not after.strip(" "):
            found.setdefault(_IPS[value], ruser or None)
            continue
        suffix = after.lstrip(" ")
        if after.startswith(" ") and suffix.startswith("user="):
            user = suffix[5:]
            if user == ruser or ruser == "":
                found.setdefault(_IPS[value], ruser or user or None)
    if len(found) == 1:
        return next(iter(found.items()))
    if not found and len(candidates) == 1:
        value = rest[candidates[0] + 7 :].split(" ", 1)[0]
        return _IPS[value], None
    return None
