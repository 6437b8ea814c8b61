"""Redact the secrets a server logged from a log line before the line leaves the machine.

Evidence lines (``analyze --format json``, the store's evidence, alerts) and the client
text of some events are shown as written, except for the parts that may be a secret,
each replaced by ``[redacted]``; the rest of the line stays readable:

- client text the server copied into its own line: verbose chat (``< name[addr]: …``),
  ``smtpd_tls_loglevel = 4`` dumps (``Read N chars: …``), ``improper command pipelining
  after X from name[addr]: …``, ``non-SMTP command from name[addr]: …`` and postscreen's
  ``PREGREET``, ``COMMAND PIPELINING`` and ``NON-SMTP COMMAND``. Several client lines can
  share one log line (pipelined into one TLS record or one read), joined by ``??`` (a
  dump's CR LF) or ``\\r\\n`` (``escape()``). In that text the token after ``AUTH <mech>``,
  every response line of the AUTH exchange that follows, and any line that is neither an
  SMTP command nor a web request line (an AUTH LOGIN step whose AUTH is on another line,
  whatever its words) are redacted;
- what Postfix writes as a client to a relay (``smtp_tls_loglevel = 4`` dumps, ``-v``
  chat of smtp and lmtp): its own AUTH, the relay password. What it reads from the
  relay are the relay's replies (``< relay: 235 2.7.0 Authentication successful``,
  ``Read N chars: 535 5.7.8 …``): no secret of ours, kept (only their lines that are no
  reply are redacted, as any client text). Without a program (a bare message) such a
  line may as well be smtpd's copy of a client's, so only what no client sends as an
  AUTH step is kept: a whole reply with its enhanced status code (``250 2.0.0 Ok``)
  and the AUTH prompts (``334``, ``334 VXNlcm5hbWU6``);
- client text in ``request longer than N: …`` (the first 30 bytes of an over-long line,
  an AUTH command's too);
- secrets the server writes when told to (debug settings): Dovecot's ``given password:``
  (``auth_verbose_passwords``), ``resp=`` / ``CONT`` data and ``SCHEME(typed) !=
  'stored'`` (``auth_debug_passwords``),
  Postfix's ``init_response``, Cyrus's ``decoded response:`` and ``authentication
  pass:``.

A redacted line may lose more than the secret (a lone word that was no password), never
less. The functions are pure, work on the text alone (evidence keeps no parsed fields)
and never raise on client text.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_NAMADDR = r"[^\s\[\]]*\[[^\]\s]*\](?::\d+)?"
"""Postfix's ``name[addr]`` (and ``:port``), written by the server."""
_PSC_CLIENT = r"\[[^\]\s]*\](?::\d+)?"
"""postscreen's ``[addr]:port``."""

_CLIENT_TEXT = re.compile(
    r"(?:^|(?<=\s))(?:"
    rf"< {_NAMADDR}: "
    r"|Read \d+ chars: "
    rf"|improper command pipelining after (?P<after>\S+) from {_NAMADDR}: "
    rf"|non-SMTP command from {_NAMADDR}: "
    r"|request longer than \d+: "
    rf"|PREGREET \d+ after \S+ from {_PSC_CLIENT}: "
    rf"|(?:COMMAND PIPELINING|NON-SMTP COMMAND) from {_PSC_CLIENT}"
    r" after (?P<psc_after>[^:]{1,100}?): "
    r")"
)
"""Where the client's own text starts in a server's line: it runs to the end of it."""

_SEPARATOR = re.compile(r"(\?\?|\\r\\n|\\r|\\n|\r\n|\r|\n)")
"""Between pipelined client lines: a dump's ``??`` (CR LF through ``printable()``),
``escape()``'s ``\\r\\n`` or a raw line end."""

_MECHANISM = re.compile(r"[A-Z0-9_-]{1,20}")
"""A SASL mechanism name as clients write it (RFC 4422: upper case)."""
_KNOWN_MECHANISMS = frozenset(
    {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "XOAUTH2", "OAUTHBEARER", "NTLM", "GSSAPI"}
    | {"EXTERNAL", "ANONYMOUS"}
)
_ONE_STEP = frozenset({"PLAIN", "XOAUTH2", "OAUTHBEARER", "EXTERNAL", "ANONYMOUS"})
"""Mechanisms whose client says everything in one response (or the initial response)."""

_COMMANDS = frozenset(
    {"HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY"}
    | {"EXPN", "HELP", "STARTTLS", "AUTH", "ETRN", "TURN", "ATRN", "XCLIENT", "XFORWARD"}
)
"""SMTP command words: a client line that starts with one is a command, not a secret
(unless the AUTH exchange is still waiting for a response, see :func:`_responses`)."""

_TAB = r"(?:\t|#011|\\t)"
"""A tab as logs render it: raw, rsyslog's ``#011``, or escaped."""

_SERVER_SECRETS = (
    # Dovecot auth_verbose_passwords: ``Password mismatch (given password: secret)``, with
    # `` - trying the next passdb`` after it (the server's) when another passdb follows.
    re.compile(
        r"((?:SHA1 of )?given password: ).*?(\)?(?: - trying the next (?:pass|user)db)?)$",
        re.DOTALL,
    ),
    # Cyrus with smtpd -v: ``decoded response: secret``, ``decoded initial response x``;
    # Cyrus at msg_verbose > 1: ``SASL authentication pass: …``.
    re.compile(r"(\bdecoded (?:initial )?response:? ).+?()$", re.DOTALL),
    re.compile(r"(\bauthentication pass:? ).+?()$", re.DOTALL),
    # Postfix -v: ``xsasl_…_server_first: sasl_method PLAIN, init_response <base64>``.
    re.compile(r"(\binit_response )(?![=*]$).+?()$", re.DOTALL),
    # Dovecot auth_debug_passwords: the auth protocol's ``resp=<base64>``, ``CONT\t1\t<data>``
    # and the ``pass=`` / ``password=`` fields.
    re.compile(rf"((?:^|\s|{_TAB})(?:resp|pass|password)=)(?!<hidden>)(?:(?!{_TAB})\S)+()"),
    re.compile(rf"(\bCONT{_TAB}\d+{_TAB})(?!<hidden>)(?:(?!{_TAB})\S)+()"),
    # Postfix's own relay login at -v (smtp_sasl_glue.c, maps.c, xsasl_cyrus_client.c):
    # "host `relay' user `name' pass `secret'", "…_sasl_password_maps: …: key = user:secret",
    # "uncoded client response secret".
    re.compile(r"(\bpass `).*(')"),
    re.compile(r"(_sasl_password_maps: .*? = ).+?()$", re.DOTALL),
    re.compile(r"(\buncoded (?:client response|initial reply):? ).+?()$", re.DOTALL),
    re.compile(r"(\bxsasl_cyrus_client_get_passwd: ).+?()$", re.DOTALL),
    # smtp_sender_dependent_authentication's lookup, a proxied password map: user:secret.
    re.compile(r"(\bmail_addr_find: \S+ -> [^:\s]*:).+?()$", re.DOTALL),
    re.compile(r"(\bdict_proxy_lookup: .*?result=[^:\s]*:).+?()$"),
    # Dovecot's passdb lookups at auth_debug(_passwords): an LDAP entry's userPassword,
    # a dict passdb's JSON "password".
    re.compile(r"(\buserPassword=)\S+()"),
    re.compile(r'("password"\s*:\s*")(?:[^"\\]|\\.)*(")'),
)
"""Secrets a server writes into its own lines when told to: group 1 stays, the secret
becomes ``[redacted]``, the last group (a closing parenthesis) stays."""


_CLIENT_TEXT_MARKS = (
    "< ",
    "> ",
    " chars: ",
    "pipelining",
    "non-SMTP",
    "request longer",
    "PREGREET",
    "PIPELINING",
    "NON-SMTP",
)
"""Each branch of :data:`_CLIENT_TEXT` and :data:`_OWN_CLIENT_TEXT` contains one of
these: a line with none of them
holds no client text (a substring test is ten times cheaper than the search)."""
_PATTERN_MARKS: tuple[tuple[str, ...], ...] = (
    ("given password",),
    ("decoded ",),
    ("authentication pass",),
    ("init_response",),
    ("resp=", "pass=", "password="),
    ("CONT",),
    ("pass `",),
    ("_password_maps",),
    ("uncoded ",),
    ("get_passwd",),
    ("mail_addr_find",),
    ("dict_proxy_lookup",),
    ("userPassword=",),
    ('"password"',),
)
"""What each pattern of :data:`_SERVER_SECRETS` needs, one of (case-sensitive): a pattern
runs only on a line that has one (a substring test is far cheaper than a search; a Dovecot
line with ``given password`` ran all fourteen, 100 µs a line)."""
_SECRET_MARKS = tuple(mark for marks in _PATTERN_MARKS for mark in marks)
"""Any of them: a line with none holds no server secret."""
_SECRETS = tuple(
    (marks, pattern, rf"\g<1>{REDACTED}\g<{pattern.groups}>")
    for marks, pattern in zip(_PATTERN_MARKS, _SERVER_SECRETS, strict=True)
)


_OWN_CLIENT_TEXT = re.compile(
    r"/(?:smtp|lmtp)\[\d+\]: (?:Write \d+ chars: |> \S+: )"
    r"|^(?:Write \d+ chars: |> \S+\]: |> \S+\]:\d+: )(?!\d\d\d(?:[ -]|\?\?|$))"
)
"""Postfix as a client (smtp, lmtp: ``smtp_tls_loglevel = 4``, ``-v``): what it writes
to a relay is its own client text, its login with the relay password included. Told by
its program, or without one (a bare message) by what it writes: no reply code, which
every line a server writes starts with (smtpd's own ``Write``/``>`` lines), and only at
the start of the text: a user name can hold ``x > a]: `` anywhere else."""


_RELAY_TAG = re.compile(r"(?:[^\[\]<>:]|:(?! ))*/(?:smtp|lmtp)\[[0-9]+\]: ")
"""The syslog header and tag of a line Postfix's smtp or lmtp client wrote
(``… postfix/smtp[123]: ``). Its pid's brackets and its ``: `` are the line's first: no
name a client chose, later in another program's line (after ``smtpd[77]:``,
``dovecot: auth:``), can pass for it."""
_RELAY_REPLY = re.compile(r"[0-9]{3}(?:[ -]|$)")
"""A line of a relay's reply, as Postfix's client read it (``250-PIPELINING``)."""
_WHOLE_REPLY = re.compile(
    r"(?:([2-5])[0-9]{2}[ -]\1\.[0-9]{1,3}\.[0-9]{1,3}(?: |$)"
    r"|334(?: VXNlcm5hbWU6| UGFzc3dvcmQ6)?$)"
)
"""A reply with its enhanced status code of the same class (``235 2.7.0 …``), or an AUTH
prompt (``334``, LOGIN's ``Username:`` and ``Password:``): what Postfix's client reads
from a relay, and no AUTH step (base64, one word) of a client."""


def _replies_read(text: str, start: int) -> re.Pattern[str] | None:
    """When the client text found at ``start`` is what Postfix's own client read from a
    relay (a ``<`` chat or ``Read`` dump line), the replies in it to keep: any reply
    line after an smtp or lmtp tag; in a bare message (no program), which may be smtpd's
    copy of a client's line too, whole replies only. None for any other line."""
    if text[start : start + 1] not in {"<", "R"}:
        return None
    if start == 0:
        return _WHOLE_REPLY
    tag = _RELAY_TAG.match(text)
    return _RELAY_REPLY if tag is not None and tag.end() == start else None


def redact_line(text: str) -> str:
    """``text`` (a log line as written) with every secret the server may have logged
    replaced by ``[redacted]``; idempotent."""
    if any(mark in text for mark in _CLIENT_TEXT_MARKS):
        found = _CLIENT_TEXT.search(text)
        if found is not None:
            after = found.group("after") or found.group("psc_after")
            replies = _replies_read(text, found.start())
            text = text[: found.end()] + redact_client_text(
                text[found.end() :], after, replies=replies
            )
        elif "Write " in text or "> " in text:
            found = _OWN_CLIENT_TEXT.search(text)
            if found is not None:
                text = text[: found.end()] + redact_client_text(text[found.end() :])
    return redact_server_secrets(text)


_SCHEME = re.compile(
    r"(?:plain|clear(?:text)?|crypt|[a-z0-9]+-crypt|s?md5|plain-md5|ldap-md5|s?sha\d*"
    r"|argon2id?|pbkdf2|scram-sha-\d+|cram-md5|digest-md5|otp|skey|rpa|ntlm|lanman)"
    r"(?:\.(?:b64|base64|hex))?",
    re.IGNORECASE,
)
"""Dovecot's password schemes, as a stored password names them (any case)."""
_MISMATCH_MARK = ") != '"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _redact_mismatch(text: str) -> str:
    """Dovecot auth_debug_passwords: ``SHA512-CRYPT(typed) != 'stored'``
    (``log_password_failure``), the password typed and the stored one or its hash, both
    replaced. The scheme is written as the stored password names it (``{plain}`` gives
    ``plain(``): the first known scheme before the last ``) != '`` starts the secret, or
    the first ``name(`` when none is known (an account name before it may then go too:
    never less than the secrets). One pass over the ``(`` of the line: no regex that
    could take quadratic time on a long hostile line."""
    last = text.rfind(_MISMATCH_MARK)
    if last < 0:
        return text
    first_name = -1
    opening = text.find("(")
    while 0 <= opening < last:
        begin = opening
        while begin > 0 and text[begin - 1] in _NAME_CHARS:
            begin -= 1
        name = text[begin:opening]
        if name and name[0].isalpha() and (begin == 0 or not text[begin - 1].isalnum()):
            if _SCHEME.fullmatch(name):
                first_name = opening
                break
            if first_name < 0:
                first_name = opening
        opening = text.find("(", opening + 1)
    if first_name < 0:
        return text
    stored_end = len(text) - 1 if text.endswith("'") and len(text) > last + 6 else len(text)
    return text[: first_name + 1] + REDACTED + _MISMATCH_MARK + REDACTED + text[stored_end:]


def redact_server_secrets(text: str) -> str:
    """``text`` with the secrets of :data:`_SERVER_SECRETS` and of
    :func:`_redact_mismatch` replaced (not client text)."""
    if _MISMATCH_MARK in text:
        text = _redact_mismatch(text)
    if not any(mark in text for mark in _SECRET_MARKS):
        return text
    for marks, pattern, template in _SECRETS:
        if any(mark in text for mark in marks):
            text = pattern.sub(template, text)
    return text


def redact_client_text(
    text: str, after: str | None = None, *, replies: re.Pattern[str] | None = None
) -> str:
    """Client text as a server logged it (one line, or several joined by ``??`` or
    ``\\r\\n``) with its credentials replaced: the token after ``AUTH <mech>``, the
    response lines of the exchange that follows, and any line that is neither a command
    nor a web request line.
    ``after``: the command the text followed (``AUTH``: it starts with responses).
    ``replies``: the text is what Postfix's own client read from a relay; a line this
    pattern matches is a reply, kept (unless an AUTH exchange in the text waits for it)."""
    # pending: response lines the AUTH exchange still waits for, redacted whatever they
    # look like; exchange: in an AUTH exchange, where a line that is no command is a
    # response.
    pending = 2 if after is not None and after.strip().upper() == "AUTH" else 0
    exchange = pending > 0
    out: list[str] = []
    for index, piece in enumerate(_SEPARATOR.split(text)):
        if index % 2 or not piece.strip():  # a separator, or an empty line
            out.append(piece)
            continue
        line = piece.strip()
        if pending:
            pending -= 1
            if line == "*":  # the client cancels the exchange: nothing to hide
                pending, exchange = 0, False
                out.append(piece)
            else:
                out.append(_replaced(piece))
            continue
        words = line.split(None, 2)
        if words[0].upper() == "AUTH":
            out.append(_replaced(piece, _auth_command(words)))
            mechanism = words[1] if len(words) > 1 else None
            pending = _responses(mechanism, words[2] if len(words) > 2 else None)
            exchange = True
            continue
        if line in {"*", "="}:  # a cancel, an empty response: nothing to hide
            out.append(piece)
        elif _is_command(line):
            exchange = False
            out.append(piece)
        elif (replies is not None and replies.match(line)) or (
            not exchange and _HTTP_REQUEST.match(line)
        ):  # a relay's reply (Postfix's own client read it), a web scanner's probe
            out.append(piece)
        else:
            # Not a command: an AUTH response (a step whose AUTH is on another log line,
            # a cleartext password with a space in it), whatever its words.
            out.append(_replaced(piece))
    return "".join(out)


_HTTP_REQUEST = re.compile(r"(?:GET|HEAD|POST|PUT|OPTIONS|CONNECT) \S+ HTTP/\d(?:\.\d)?$")
"""A web request line sent to the mail port (``non-SMTP command``): no secret, and what
tells a web scanner apart."""


def _replaced(piece: str, by: str = REDACTED) -> str:
    """The piece with its text replaced, its surrounding spaces kept."""
    line = piece.strip()
    start = piece.index(line)
    return piece[:start] + by + piece[start + len(line) :]


def _is_command(line: str) -> bool:
    word = line.split(None, 1)[0]
    return word.upper() in _COMMANDS or word.split(":", 1)[0].upper() in _COMMANDS


def _plausible_mechanism(mechanism: str) -> bool:
    return mechanism.upper() in _KNOWN_MECHANISMS or _MECHANISM.fullmatch(mechanism) is not None


def shown_mechanism(mechanism: str) -> str:
    """A parsed AUTH mechanism as it may be shown. A dump line ``AUTH LOGIN??<user>??…``
    (responses pipelined into one read) parses as one word: only its first line names
    the mechanism; a word that is no mechanism name (base64 sent in its place) is
    redacted."""
    name = _SEPARATOR.split(mechanism, 1)[0].strip()
    if name and _plausible_mechanism(name):
        return name if name == mechanism else f"{name} {REDACTED}"
    return REDACTED


def _auth_command(words: list[str]) -> str:
    """``AUTH <mech> <initial response>`` (split in at most three words) with the
    response replaced, and a mechanism that is no mechanism name (base64 sent in its
    place) too."""
    out = [words[0]]
    if len(words) > 1:
        out.append(words[1] if _plausible_mechanism(words[1]) else REDACTED)
    if len(words) > 2:
        out.append(words[2] if words[2] in {"=", "*"} else REDACTED)
    return " ".join(out)


def _responses(mechanism: str | None, initial: str | None) -> int:
    """How many response lines an ``AUTH mechanism [initial]`` exchange waits for at
    least (more steps are caught as lines that are no command)."""
    if mechanism is None or initial == "*":
        return 0
    name = mechanism.upper()
    given = initial not in (None, "", "=")
    if name == "LOGIN":
        return 1 if given else 2
    if name in _ONE_STEP:
        return 0 if given else 1
    return 1 if given else 2


__all__ = [
    "REDACTED",
    "redact_client_text",
    "redact_line",
    "redact_server_secrets",
    "shown_mechanism",
]
