"""One plain-language note per event, keyed by its EventType and its details.

A session is walked in order with a :class:`SessionState`, because some lines mean
different things depending on what came before: ``*`` cancels a login only as an answer
to a ``334`` prompt; a base64 line after ``334 UGFzc3dvcmQ6`` is a password.

Notes never repeat a client's secret: AUTH payloads are decoded by ``parsers.sasl`` and
shown masked unless the person asked for ``--show-passwords``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mailwarden.detect.accounts import CUT, account_key
from mailwarden.detect.sessions import MAX_USERS_PER_SESSION, is_auth_process, is_pam_unix
from mailwarden.explain.replies import reply_meaning, softened
from mailwarden.explain.tls import (
    cipher_list_note,
    cipher_weakness,
    record_header,
    state_meaning,
)
from mailwarden.locale import N_, Nn_, _, active_language, ngettext
from mailwarden.model import Event, EventType
from mailwarden.parsers.dovecot import (
    EARLIER_TRIES,
    LOGIN_FAILED,
    NEXT_DB,
    PROXIED,
    THEN_ACCEPTED,
    accepted_only,
    login_text,
)
from mailwarden.parsers.postfix import CYRUS_RESPONSE
from mailwarden.parsers.sasl import (
    Credential,
    decode_auth,
    decode_base64_line,
    decode_response,
    empty_plain,
    escape_text,
)


@dataclass(frozen=True)
class Note:
    """What one log entry means. ``key`` identifies the kind of explanation: an entry
    whose key was already explained gets ``short`` instead of ``text``. ``context`` is
    background shared by several kinds of lines (why the line is in the log at all), as
    ``(key, text)``: it is said the first time only."""

    key: str
    text: str
    short: str | None = None
    context: tuple[str, str] | None = None
    extra: tuple[str, str] | None = None
    """A second piece of once-only background, like ``context``."""


@dataclass
class SessionState:
    """What the walk through one session has seen so far."""

    show_passwords: bool = False
    mechanism: str | None = None
    """The mechanism of the AUTH exchange in progress (until its final reply)."""
    prompt: str | None = None
    """The decoded text of the last 334 challenge (``Username:``, ``Password:``)."""
    final_reply_after_auth: bool = False
    """The last AUTH exchange has had its final answer (235, 535, …)."""
    login_user: str | None = None
    accounts: frozenset[str] | None = None
    """The account names the session layer settled on for the whole session (as
    ``Session.users`` holds them), None when unknown: a line read as AUTH LOGIN's username
    that is not among them was no username (the SASL backend's answer named another)."""
    proxy_started: bool = False
    """A login proxy's ``started proxying`` line was told in this session."""
    undecodable: bool = False
    """The client's last login step was not base64 (:func:`_auth_step`): the server's
    ``501`` after it is the refusal of undecodable data."""
    login_step_lost: bool = False
    """An AUTH LOGIN line of the exchange could not be decoded, and no prompt has said
    since which line comes next (``Username:``, ``Password:``): the next one may be the
    password."""
    steps: dict[bool, int] = field(default_factory=dict)
    """Whole client lines of the AUTH exchange in progress (its initial response
    included), counted apart for the TLS dump's copies (True) and the others (False): at
    ``smtpd -v`` and ``smtpd_tls_loglevel`` 4 each line is there twice."""
    tls_up: bool = False
    """A TLS handshake completed in this session."""
    credentials: list[Credential] = field(default_factory=list)
    """Credentials decoded so far (PLAIN payloads, LOGIN steps joined)."""
    decoded: list[Credential] = field(default_factory=list)
    """What the session layer decoded from the event being described."""
    session_logged_in: bool = False
    """A login succeeded in this session: its passwords may be a real user's."""
    trailer_forged: bool = False
    """The session's statistics show no successful AUTH: a SASL trailer on one of its
    reject lines is the client's text (:func:`~mailwarden.explain.facts.trailer_forged`)."""
    logged_in: frozenset[str] = frozenset()
    """Accounts someone logged in as anywhere in the excerpt, keyed as the detect stage
    keys them (:func:`~mailwarden.detect.accounts.account_key` of the raw name)."""
    starttls: bool = False
    """The client sent STARTTLS in this session (as far as the log shows)."""
    failures_told: int = 0
    """Failed attempts the session's lines have told so far, not counting Dovecot's
    summary lines (its auth process logs each attempt before the login process sums
    them up when the connection ends)."""
    checked_by_dovecot: int = 0
    """Failed attempts a Dovecot auth-process line without a session id told in this
    Postfix session (Postfix asked Dovecot to check the password) that no Postfix line
    has told yet: Postfix's line of the same attempt is not another one."""
    credited: int = 0
    """Attempts of the Dovecot login line being described that auth-process lines
    without a session id (Dovecot 2.2's, PAM's) told before it, in another group."""
    same_as_pam: bool = False
    """The entry being described is Dovecot's auth-process line of an attempt that PAM's
    own line (pam_unix) told before it (the session layer paired them)."""
    copies_client_line: bool = False
    """The entry being described is Cyrus's decoded copy of the client line its session
    logged just before it (the detector's judgment,
    :meth:`SessionTracker.echoes_client_line`)."""
    cyrus_user: str | None = None
    """The username the session layer took from the entry being described: Cyrus's
    decoded copy of an AUTH LOGIN line the log lost (:attr:`SessionTracker.cyrus_user`)."""
    fell_back: bool = False
    """The entry being described is a failed try the session layer took for a mechanism
    fallback (the password just refused, tried by another mechanism): it counted nothing."""
    next_passdb: bool = False
    """The entry being described is the next passdb's refusal of the attempt an earlier
    passdb's line told just before it (the session layer's ``_next_passdb``): it counted
    nothing."""
    pam_late: bool = False
    """The entry being described is PAM's own line of an attempt another line told
    before it (the session layer's ``pam_late``): it counted nothing."""
    passed_on: bool = False
    """The entry being described is a login whose password an earlier passdb refused
    above before the next one accepted it (the session layer's ``passed_on``): that
    refusal counted no failed attempt."""
    failed_by: dict[str, str] = field(default_factory=dict)
    """The mechanism of each account's latest failed try in this session (case-folded,
    escaped name), for the mechanism a fallback came from."""
    fallback_told: bool = False
    """A Dovecot auth-process line has just told a fallback that Postfix's line of the
    same try has not repeated yet."""
    commands: list[str] = field(default_factory=list)
    """The commands (verbs, upper case) of the client's last line that the server has
    not answered yet: a dump's ``Read`` holds every command a client pipelined, and the
    next ``Write`` answers them all; a verbose line holds one, answered by the next
    final reply line."""
    in_data: bool = False
    """The server said 354: the client's lines are the message, until the next reply."""
    connected: set[str] = field(default_factory=set)
    """Addresses whose connect lines were told before, in any session of the excerpt
    (the set is shared): a reconnect is the same client, not another one."""

    def hides(self, cred: Credential) -> bool:
        """Is ``cred``'s password perhaps a real user's (shown not even masked)?"""
        return password_is_real(cred, self.session_logged_in, self.logged_in)


def detail(event: Event, key: str) -> str | None:
    return None if event.detail is None else event.detail.get(key)


def declared_length(event: Event) -> int | None:
    value = detail(event, "declared_length")
    return int(value) if value is not None and value.isdigit() else None


def _dump_origin(event: Event) -> tuple[str, str]:
    """Why a client's line is in the log at all, as a Note context."""
    if declared_length(event) is not None:
        text = _(
            "Such “Read”/“Write” lines exist only because smtpd_tls_loglevel is 4 or "
            "more: Postfix then writes the first 40 bytes of every line a client sends "
            "inside TLS, and of every reply, into the log (“Read N chars”: N bytes "
            "arrived; CR LF shows as “??”)."
        )
        program = event.record.program or ""
        if program.rsplit("/", 1)[-1] == "tlsproxy":  # tlsproxy's own setting
            return "origin:tlsproxy_dump", text.replace(
                "smtpd_tls_loglevel", "tlsproxy_tls_loglevel"
            )
        return "origin:tls_dump", text
    return (
        "origin:verbose",
        _(
            "Such lines exist only because verbose logging is on (smtpd -v or "
            "debug_peer_list): Postfix then writes every command a client sends into the log."
        ),
    )


_TLS_LEVEL_2 = ("level:tls2", N_("These TLS lines are logged at smtpd_tls_loglevel 2 or more."))
_SSL_STATES = (
    "level:ssl_states",
    N_(
        "“SSL_accept:” lines (smtpd_tls_loglevel 2 or more) follow OpenSSL through the "
        "handshake. “SSLv3” in them is the name of the state machine of OpenSSL 1.0.2 and "
        "older, not the protocol: the protocol is in the “TLS connection established” line."
    ),
)
_TLS_DUMPS = (
    "level:tls3",
    N_(
        "Packet-dump lines like this one are logged at smtpd_tls_loglevel 3 (during the "
        "handshake) and 4 (the whole session)."
    ),
)


def _context(pair: tuple[str, str]) -> tuple[str, str]:
    return pair[0], _(pair[1])


CLIP = 100
"""Characters shown of a value a client chose (a greeting, an account name, an address,
a mechanism): a longer one is cut there, with how much more there was, so that a name of
thousands of characters does not flood the explanation. Postfix 3.9 logs a SASL username
or mechanism of at most 100 characters itself."""
_ESCAPE_RE = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|\\)")
"""An escape :func:`escape_text` writes (``\\x1b``, ``\\u200b``, ``\\\\``, …)."""


def _cut_at(text: str, limit: int) -> int:
    """Where to cut ``text`` (escaped) after at most ``limit`` characters: never inside
    an escape, which would then read as something else (a ``\\\\`` cut in two, as a
    lone backslash, would make the text after it read as an escape). Escapes are found
    from the start: each backslash of escaped text begins one."""
    for found in _ESCAPE_RE.finditer(text, 0, limit + 10):
        if found.start() >= limit:
            break
        if found.end() > limit:
            return found.start()
    return limit


def clipped(text: str, limit: int = CLIP) -> str:
    """A value a client chose (already escaped), cut after ``limit`` characters with a
    visible mark: ``aaaa… (3,950 more characters)``; shorter ones as they are."""
    if len(text) <= limit:
        return text
    cut = _cut_at(text, limit)
    more = len(text) - cut
    return ngettext("{text}… ({n} more character)", "{text}… ({n} more characters)", more).format(
        text=text[:cut], n=f"{more:,}"
    )


_CLIENT_DETAILS = ("helo", "from", "to", "sasl_username", "sasl_user", "hostname")
"""Event details that hold text a client chose (or a DNS name)."""


def client_values(event: Event, escape: Callable[[str], str] = escape_text) -> list[str]:
    """The text ``event`` holds that its client chose, escaped (by ``escape``, as the
    text it is looked for in is): the account, the mechanism, the line it sent, the
    greeting, sender and recipient addresses."""
    values = [event.user, event.mechanism, event.payload]
    found = event.detail
    if found is not None:
        values += [found.get(key) for key in _CLIENT_DETAILS]
    return [escape(value) for value in values if value]


def clipped_within(text: str, values: Sequence[str], limit: int = CLIP) -> str:
    """``text`` (escaped) with each of ``values`` (escaped, chosen by a client) that is
    longer than ``limit`` characters :func:`clipped` where it appears; the rest, the
    server's own words, stays whole."""
    if len(text) <= limit:
        return text
    for value in sorted(values, key=len, reverse=True):
        if len(value) > limit and value in text:
            text = text.replace(value, clipped(value, limit))
    return text


def quoted(name: str) -> str:
    """A name the client chose (an account), quoted so that a name with “, ” in it
    cannot pass for several: ``“admin”``. ``name`` is already escaped; quote marks in it
    are escaped too, so it cannot close the quotes early. A name longer than
    :data:`CLIP` characters is cut, the mark outside the quotes: ``“aaaa…” (3,950 more
    characters)``."""
    inner = name.replace("“", "\\u201c").replace("”", "\\u201d")
    if len(inner) <= CLIP:
        return _("“{name}”").format(name=inner)
    cut = _cut_at(inner, CLIP)
    more = len(inner) - cut
    return ngettext(
        "“{name}…” ({n} more character)", "“{name}…” ({n} more characters)", more
    ).format(name=inner[:cut], n=f"{more:,}")


def password_is_real(cred: Credential, session_logged_in: bool, logged_in: frozenset[str]) -> bool:
    """The password of ``cred`` may be a real user's: a login succeeded in its session,
    or someone logged in as its account (a failed try is then the owner's typo, close to
    the real password)."""
    if session_logged_in:
        return True
    return cred.user is not None and account_key(cred.user) in logged_in


def shown_password(cred: Credential, show_passwords: bool, real: bool = False) -> str:
    """The password as explain shows it: nothing of a password that may be a real
    user's (``real``) unless ``--show-passwords``; else as every command shows it
    (:meth:`Credential.shown_password`: all the log holds when asked, else its length
    only, never a character of it)."""
    if real and not show_passwords and cred.password is not None:
        return _("hidden (a real user may have typed it; --show-passwords shows it)")
    return cred.shown_password(show_passwords)


def credential_text(cred: Credential, show_passwords: bool, real: bool = False) -> str:
    """``account “admin@fipick.com”, password *** (…)`` for a decoded payload. “Acting
    for” only when the payload names an identity other than its login name
    (:meth:`Credential.acting_for`); a PLAIN payload the log cut before its login name
    shows its first part for what it may be, the account or that identity."""
    parts: list[str] = []
    if cred.user is not None:
        user = escape_text(cred.user) + ("" if cred.user_complete else CUT)
        parts.append(_("account {user}").format(user=quoted(user)))
        authzid = cred.acting_for()
        if authzid is not None:
            parts.append(_("acting for {authzid}").format(authzid=quoted(escape_text(authzid))))
    elif cred.authzid is not None:
        name = escape_text(cred.authzid) + ("" if cred.authzid_complete else CUT)
        parts.append(
            _(
                "{name}, the account or the identity it acts for (the log cut the line off "
                "before telling which)"
            ).format(name=quoted(name))
        )
    if cred.password is not None:
        word = _("token") if cred.mechanism in {"XOAUTH2", "OAUTHBEARER"} else _("password")
        parts.append(f"{word} {shown_password(cred, show_passwords, real)}")
    return _(", ").join(parts)


# -- one function per event type ---------------------------------------------------------


def _connect(event: Event, state: SessionState) -> Note:
    name = detail(event, "name")
    where = event.ip or "?"
    if name in (None, "", "unknown"):
        text = _(
            "A client at {ip} connected. “unknown” means its address has no reverse DNS name "
            "that leads back to it, as for most botnet machines and home connections."
        ).format(ip=where)
    else:
        text = _(
            "A client at {ip} connected; its address's reverse DNS name is {name} "
            "(checked both ways)."
        ).format(ip=where, name=escape_text(name))
    if event.ip is not None and event.ip in state.connected:
        short = _("The same client connected again ({ip}).").format(ip=where)
    else:
        short = _("Another client connected ({ip}).").format(ip=where)
    if event.ip is not None:
        state.connected.add(event.ip)
    return Note("connect", text, short)


def _disconnect(event: Event, state: SessionState) -> Note:
    failed = event.attempts if detail(event, "stats") else 0
    ok = detail(event, "auth_ok")
    stats = detail(event, "stats")
    text = _("The session ended.")
    if stats:
        text += " " + _("Command statistics: {stats}.").format(stats=escape_text(stats))
        if failed:
            text += " " + ngettext(
                "{n} AUTH command failed.", "{n} AUTH commands failed.", failed
            ).format(n=failed)
        if ok and ok.isdigit() and int(ok) > 0:
            text += " " + ngettext(
                "{n} AUTH command succeeded: someone logged in.",
                "{n} AUTH commands succeeded: someone logged in.",
                int(ok),
            ).format(n=int(ok))
    else:
        text += " " + _("(Postfix before 3.0 writes no command statistics here.)")
    return Note("disconnect", text)


def _lost_connection(event: Event, state: SessionState) -> Note:
    after = detail(event, "after") or "?"
    how = {
        "CONNECT": _("without sending anything"),
        "AUTH": _("right after a login attempt, as password-guessing bots do"),
        "UNKNOWN": _("after a command the server did not recognise"),
        "EHLO": _("right after the greeting"),
        "STARTTLS": _("during the TLS handshake"),
    }.get(after.upper(), _("after the command {after}").format(after=after))
    return Note(
        f"lost:{after}",
        _("The client hung up {how}, without saying QUIT.").format(how=how),
    )


def _timeout(event: Event, state: SessionState) -> Note:
    after = detail(event, "after") or "?"
    return Note(
        "timeout",
        _("The client went silent after {after}; the server stopped waiting.").format(after=after),
    )


def _too_many_errors(event: Event, state: SessionState) -> Note:
    return Note(
        "errors",
        _(
            "The client made too many errors (smtpd_hard_error_limit) and the server "
            "disconnected it."
        ),
    )


def _no_auth(event: Event, state: SessionState) -> Note:
    return Note(
        "no_auth",
        _(
            "The client connected and left without trying to log in: usually harmless "
            "(scanners, clients checking the certificate)."
        ),
    )


_UNCOUNTED_REASONS = (
    "connection lost to authentication server",
    "can't connect to authentication server",
    "authentication backend error",
    "generic failure",
    "transient failure",
    "remote authentication server unavailable",
)


_REASON_MEANINGS: tuple[tuple[str, str], ...] = (
    # Dovecot's auth process (its passdb's answer), PAM through it.
    ("password mismatch", N_("the password is wrong")),
    ("unknown user", N_("no account by that name")),
    ("invalid credentials", N_("wrong user name or password")),
    (
        "username character disallowed",
        N_(
            "the user name has a character that auth_username_chars does not allow: no "
            "password was checked"
        ),
    ),
    ("empty username", N_("the client sent no user name: no password was checked")),
    ("pam_authenticate() failed: authentication failure", N_("wrong user name or password")),
    ("pam_authenticate() failed: user not known", N_("no account by that name")),
    ("pam_authenticate() failed: user unknown", N_("no account by that name")),
    ("pam_authenticate() failed: permission denied", N_("PAM refused the login")),
    ("pam_authenticate() failed: account expired", N_("the account has expired")),
    (
        "pam_authenticate() failed: authentication token is no longer valid",
        N_("the password has expired"),
    ),
    ("pam_authenticate() failed: account is disabled", N_("the account is disabled")),
    # Dovecot's login process, for a connection that ends without a count of attempts.
    (
        "tried to use disabled",
        N_(
            "the client tried a login method the server has turned off, such as a "
            "plain-text password without TLS"
        ),
    ),
    (
        "tried to use disallowed",
        N_(
            "the client tried a login method the server has turned off, such as a "
            "plain-text password without TLS"
        ),
    ),
    (
        "tried to use unsupported auth mechanism",
        N_("the client asked for a login method the server does not offer"),
    ),
    ("sent invalid base64", N_("the client's login data was not valid base64")),
    (
        "credentials contain control characters",
        N_("the user name or password contains control characters"),
    ),
    ("anonymous logins disabled", N_("anonymous logins are turned off")),
    ("user disabled", N_("the account is disabled")),
    ("login disabled", N_("logins are turned off for this account")),
    ("password expired", N_("the password has expired")),
    ("authorization failed", N_("the account may not act for the user it named")),
    ("proxy dest auth failed", N_("the server this login was passed on to refused it")),
    # Cyrus SASL's messages (Postfix with smtpd_sasl_type = cyrus).
    ("user not found", N_("no account by that name")),
    ("no mechanism available", N_("the server offers no such login method")),
    ("bad protocol / cancel", N_("the client broke off the login or sent something unexpected")),
    ("mechanism too weak for this user", N_("this login method is too weak for this account")),
    ("encryption needed to use mechanism", N_("this login method needs an encrypted connection")),
    ("passphrase expired", N_("the password has expired")),
    ("account disabled", N_("the account is disabled")),
    (
        "user exists, but no verifier for user",
        N_("the account exists but has no password the server can check"),
    ),
)
"""The servers' reasons for a failed login that :func:`_failure_reason` otherwise quotes
as they are (the start of the reason, lower case, with its meaning): in another language
than English the quote gets the meaning beside it, since the server writes English."""
_AFTER_THE_PASSWORD = ("the password has expired", "the account is disabled")
"""Meanings that PAM (pam_acct_mgmt) gives only after pam_authenticate accepted the
password."""
_WRONG_PASSWORD = ("the password is wrong", "wrong user name or password")
"""The meanings above of a plain failed guess."""


_NO_ACCOUNT = (
    "unknown user",
    "user not found",
    "pam_authenticate() failed: user not known",
    "pam_authenticate() failed: user unknown",
)
"""Reasons (the start, lower case) by which a server says the account does not exist."""


def no_such_account(reason: str | None) -> bool:
    """The server's reason for a failed login says there is no account by that name."""
    return (reason or "").strip().lower().startswith(_NO_ACCOUNT)


def _changed_meaning(reason: str | None) -> str | None:
    """What a failed login's reason says when it is not a wrong password (the meaning's
    English text, untranslated): the short form of a repeated failure keeps it, since
    “another failed login” alone would read as one more wrong password. None for a
    wrong password, an empty or an unknown reason."""
    low = (reason or "").strip().lower()
    if not low:
        return None
    if low.startswith(_UNCOUNTED_REASONS):
        return N_("the server could not check the password")
    for start, meaning in _REASON_MEANINGS:
        if low.startswith(start):
            return None if meaning in _WRONG_PASSWORD else meaning
    return None


def _reason_meaning(low: str) -> str | None:
    """The meaning of a server's reason (lower case) in the active language, if known;
    None in English, where the reason says it already."""
    if active_language() == "en":
        return None
    for start, meaning in _REASON_MEANINGS:
        if low.startswith(start):
            return _(meaning)
    return None


def _last_reason(reason: str | None) -> str:
    """The reason of a Dovecot login line without its count (``tried to use unsupported
    auth mechanism`` of ``…, 4 attempts in 10 secs``), escaped for a person."""
    text = (reason or "").strip()
    cut = text.find(", ")
    if cut >= 0 and "attempt" in text[cut:]:
        text = text[:cut]
    return escape_text(text)


def _failure_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    low = text.lower()
    if text in {"", "(reason unavailable)"}:
        return _(
            "The reason is empty: with Dovecot checking the passwords, that is how Postfix "
            "logs a wrong password or an unknown account."
        )
    if text.startswith(("UGFzc3dvcmQ6", "VXNlcm5hbWU6")):
        return _(
            "The reason “{reason}” is base64 for a login prompt, left over by a Postfix bug "
            "(fixed in 3.9.0, 3.8.6, 3.7.11, 3.6.15 and 3.5.25): it means a wrong password."
        ).format(reason=escape_text(text))
    if any(low.startswith(r) for r in _UNCOUNTED_REASONS):
        return _(
            "Reason: “{reason}”. The server could not check the password: a problem on the "
            "server's side, not proof of a wrong guess."
        ).format(reason=escape_text(text))
    if low.startswith("invalid authentication mechanism"):
        return _("The client asked for a login method the server does not offer.")
    if low in {"authentication failure", "password verification failed"}:
        return _("Reason: wrong user name or password.")
    meaning = _reason_meaning(low)
    if meaning is not None:
        return _("Reason: “{reason}” ({meaning}).").format(
            reason=escape_text(text), meaning=meaning
        )
    return _("Reason: “{reason}”.").format(reason=escape_text(text))


def _auth_failure(event: Event, state: SessionState) -> Note:
    if event.ip is None and (event.detail or {}).get("source") == "cyrus":
        state.final_reply_after_auth = True
        return Note(
            "auth_failure:cyrus",
            _(
                "Cyrus SASL's own line of the failed login that Postfix logs next (its "
                "“SASL … authentication failed” line, with the client's address): the same "
                "attempt, not another one."
            )
            + " "
            + _failure_reason(event.reason),
            _("Cyrus SASL's line of the failed login Postfix logs next."),
        )
    summary = event.session is not None and event.attempts >= 1 and _is_login_summary(event)
    state.final_reply_after_auth = True
    if summary and max(state.failures_told, state.credited) >= event.attempts:
        return _summary_of_told(event.attempts)
    mech = clipped(escape_text(event.mechanism)) if event.mechanism else None
    # The account is the client's text: quoted, so that it cannot read as the note's
    # own words (“alice. Someone logged in successfully as admin”).
    user = quoted(escape_text(event.user)) if event.user else None
    if summary and event.detail is not None and THEN_ACCEPTED in event.detail:
        return Note(
            "auth_failure:then_accepted",
            ngettext(
                "Dovecot writes this line when the connection ends: {n} password was tried "
                "in it as {user} and refused before the one it accepted (“{reason}” counts "
                "every try).",
                "Dovecot writes this line when the connection ends: {n} passwords were tried "
                "in it as {user} and refused before the one it accepted (“{reason}” counts "
                "every try).",
                event.attempts,
            ).format(n=event.attempts, user=user or "?", reason=escape_text(event.reason or "")),
            ngettext(
                "{n} more failed login in one connection before the password was accepted.",
                "{n} more failed logins in one connection before the password was accepted.",
                event.attempts,
            ).format(n=event.attempts),
        )
    previous = None if summary else _failed_by(state, event.user, mech)
    if event.session is None and is_auth_process(event):
        state.checked_by_dovecot += max(1, event.attempts)
    elif state.checked_by_dovecot and (event.record.program or "").endswith("smtpd"):
        state.checked_by_dovecot -= 1
        text = _(
            "Postfix's line of the failed login above: Dovecot checked the password "
            "(its “auth:” line) and Postfix refused the client. The same attempt, not "
            "another one."
        )
        short = _("Postfix's line of the same failed login as above.")
        if state.fell_back and not state.fallback_told:
            # Dovecot's line above could not tell (2.3's names no mechanism): this can.
            more, tail = _fallback_sentences(mech, previous)
            return Note(
                "auth_failure:postfix_of_dovecot_fell_back",
                f"{text} {more}",
                f"{short} {tail}",
            )
        state.fallback_told = False
        return Note("auth_failure:postfix_of_dovecot", text, short)
    if state.next_passdb and not summary:
        return Note(
            "auth_failure:next_passdb",
            _(
                "The next passdb's answer to the same attempt as the line above: Dovecot "
                "asks its passdbs in turn, and each writes its refusal. The same failed "
                "login, not another one; and the account may well exist, whatever the "
                "passdb before said."
            )
            + " "
            + _failure_reason(event.reason),
            _("The next passdb's refusal of the same attempt as above."),
        )
    if state.pam_late and is_pam_unix(event):
        return Note(
            "auth_failure:pam_unix_late",
            _(
                "PAM's own line of a failed login that a line above told already (it comes "
                "after it in the log): the same attempt, not another one."
            ),
            _("PAM's line of the same failed login as above."),
        )
    if not summary:
        state.failures_told += max(1, event.attempts)
    if is_pam_unix(event):
        return _pam_unix_failure(event)
    if state.same_as_pam and is_auth_process(event):
        text = _(
            "Dovecot's own line of the failed login that PAM logged above (its "
            "pam_unix line): the same attempt, not another one."
        )
        short = _("Dovecot's line of the same failed login as PAM's above.")
        if state.fell_back:
            # PAM's line above names no mechanism: this one tells the fallback.
            more, tail = _fallback_sentences(mech, previous)
            return Note("auth_failure:same_as_pam_fell_back", f"{text} {more}", f"{short} {tail}")
        return Note("auth_failure:same_as_pam", text, short)
    if user is None and state.credentials:
        user = state.credentials[-1].user
        user = quoted(user) if user is not None else None
    if user:
        if mech is None:  # Dovecot's auth process does not name the mechanism
            text = _("A login failed: account {user}.").format(user=user)
        else:
            text = _("A login failed: method {mech}, account {user}.").format(mech=mech, user=user)
        short = _("Another failed login: {user}.").format(user=user)
        if state.fell_back and not summary:
            more, short = _fallback_sentences(mech, previous)
            # Postfix's line of this try, next, need not say it again.
            state.fallback_told = event.session is None and is_auth_process(event)
            return Note("auth_failure:fell_back", f"{text} {more}", short)
    else:
        if mech is None:
            text = _("A login failed.")
        else:
            text = _("A login failed: method {mech}.").format(mech=mech)
        short = _("Another failed login.")
        if event.session is None:
            text += " " + _(
                "This log line does not name the account (Postfix names it from 3.9, 3.8.3, "
                "3.7.8, 3.6.12 and 3.5.22 on)."
            )
    earlier = (event.detail or {}).get(EARLIER_TRIES)
    if summary and earlier is None and event.attempts > 1 and not state.fell_back:
        # Dovecot's summary of a connection that failed several times: as many failed
        # logins as it counts (analyze counts them so), not "a login failed"
        text = _several_failed(event.attempts, mech, user)
    if earlier is not None:
        # A weak last try after others: the reason is the last one's only (EARLIER_TRIES).
        text += " " + ngettext(
            "Dovecot writes this line when the connection ends, with the reason of its last "
            "try ({reason}); the {n} try before it failed too (the line does not say why) "
            "and counts as a failed login.",
            "Dovecot writes this line when the connection ends, with the reason of its last "
            "try ({reason}); the {n} tries before it failed too (the line does not say why) "
            "and count as failed logins.",
            event.attempts,
        ).format(n=event.attempts, reason=_last_reason(event.reason))
    elif summary:
        meaning = _changed_meaning(_last_reason(event.reason))
        if meaning is None:
            text += " " + ngettext(
                "Dovecot writes this line when the connection ends; {n} password was tried "
                "in it and failed.",
                "Dovecot writes this line when the connection ends; {n} passwords were tried "
                "in it and failed.",
                event.attempts,
            ).format(n=event.attempts)
        else:  # not a wrong password: what the reason says, before the count
            text += " " + ngettext(
                "Dovecot writes this line when the connection ends, with the reason of its "
                "last try: “{reason}”, {meaning}; {n} login failed in it.",
                "Dovecot writes this line when the connection ends, with the reason of its "
                "last try: “{reason}”, {meaning}; {n} logins failed in it.",
                event.attempts,
            ).format(n=event.attempts, reason=_last_reason(event.reason), meaning=_(meaning))
            if meaning in _AFTER_THE_PASSWORD:
                text += " " + _(
                    "Through PAM, Dovecot finds this only after the password was accepted: "
                    "the password itself may have been right. Ask the account's owner."
                )
        if event.attempts > 1 and earlier is None:
            if user:
                short = _("{n} more failed logins in one connection: {user}.")
            else:
                short = _("{n} more failed logins in one connection, naming no account.")
            short = short.format(user=user, n=event.attempts)
        elif user:
            short = ngettext(
                "Another failed login: {user}; the connection's {n} attempt.",
                "Another failed login: {user}; the connection's {n} attempts.",
                event.attempts,
            ).format(user=user, n=event.attempts)
        else:
            short = ngettext(
                "Another failed login; the connection's {n} attempt.",
                "Another failed login; the connection's {n} attempts.",
                event.attempts,
            ).format(n=event.attempts)
        return Note(f"auth_failure:summary:{meaning}", text, short)
    else:
        if event.attempts > 1:
            text += " " + _("The line stands for {n} attempts.").format(n=event.attempts)
        text += " " + _failure_reason(event.reason)
        meaning = _changed_meaning(event.reason)
        if meaning is not None:
            # Not one more wrong password: its first line is told in full, the others
            # keep what the reason says.
            if user:
                short = _("Another failed login: {user} ({meaning}).").format(
                    user=user, meaning=_(meaning)
                )
            else:
                short = _("Another failed login ({meaning}).").format(meaning=_(meaning))
            return Note(f"auth_failure:{meaning}", text, short)
    return Note("auth_failure", text, short)


def _several_failed(n: int, mech: str | None, user: str | None) -> str:
    """The opening of a Dovecot summary line that counts ``n`` failed logins."""
    if user and mech:
        text = ngettext(
            "{n} login failed in this connection: method {mech}, account {user}.",
            "{n} logins failed in this connection: method {mech}, account {user}.",
            n,
        )
    elif user:
        text = ngettext(
            "{n} login failed in this connection: account {user}.",
            "{n} logins failed in this connection: account {user}.",
            n,
        )
    elif mech:
        text = ngettext(
            "{n} login failed in this connection: method {mech}.",
            "{n} logins failed in this connection: method {mech}.",
            n,
        )
    else:
        text = ngettext(
            "{n} login failed in this connection.", "{n} logins failed in this connection.", n
        )
    return text.format(n=n, mech=mech, user=user)


def _failed_by(state: SessionState, user: str | None, mech: str | None) -> str | None:
    """The mechanism of ``user``'s failed try before this one (by ``mech``) in the session,
    when it named one; notes this one's. ``user`` is the raw name, keyed as the detect
    stage keys accounts (:func:`~mailwarden.detect.accounts.account_key`)."""
    if user is None:
        return None
    key = account_key(user)
    previous = state.failed_by.get(key)
    if mech is not None:
        state.failed_by[key] = mech
    return previous


def _fallback_sentences(mech: str | None, previous: str | None) -> tuple[str, str]:
    """What a mechanism fallback is (the long sentence and the short one): the password
    the server just refused, tried again by the client's next mechanism."""
    if mech is not None and previous is not None and mech != previous:
        return (
            _(
                "The same account failed just before in this connection, by {previous}: a "
                "mail program falling back from {previous} to {mech} with the password "
                "that was refused, not a new guess. mailwarden does not count it again."
            ).format(previous=previous, mech=mech),
            _("The same guess again, by {mech} after {previous}: not counted again.").format(
                previous=previous, mech=mech
            ),
        )
    return (
        _(
            "The same account failed just before in this connection, by another login "
            "method: a mail program trying the password that was refused by its next "
            "method, not a new guess. mailwarden does not count it again."
        ),
        _("The same guess again, by another login method: not counted again."),
    )


def _pam_unix_failure(event: Event) -> Note:
    """PAM's own line of a failed login (``pam_unix(dovecot:auth): authentication
    failure; … rhost=… user=…``): Dovecot's lines tell the same attempt."""
    background = _(
        "Dovecot checks passwords through PAM, and PAM's pam_unix module logs each "
        "failure itself (in auth.log or secure, or the journal). Dovecot's lines of the "
        "same attempt (its auth-worker “pam(…)” line with auth_verbose = yes, the login "
        "process's line when the connection ends, or Postfix's SASL line) are not more "
        "attempts: mailwarden counts it once."
    )
    user = quoted(escape_text(event.user)) if event.user else None
    if user:
        text = _("PAM's own line of a failed login: account {user}.").format(user=user)
        short = _("PAM's line of another failed login: {user}.").format(user=user)
    else:
        text = _("PAM's own line of a failed login.")
        short = _("PAM's line of another failed login.")
    return Note("auth_failure:pam_unix", text, short, context=("pam_unix", background))


def _summary_of_told(attempts: int) -> Note:
    """Dovecot's login-process line at the end of a connection whose failed attempts
    the auth process's lines above have told already: the same attempts again."""
    return Note(
        "auth_failure:summary",
        ngettext(
            "Dovecot's login process writes this line when the connection ends: it sums up "
            "the failed login above, the same attempt, not another one.",
            "Dovecot's login process writes this line when the connection ends: it sums up "
            "the {n} failed logins above, the same attempts, not new ones.",
            attempts,
        ).format(n=attempts),
        ngettext(
            "The connection's summary: the same failed login as above.",
            "The connection's summary: the same {n} failed logins as above.",
            attempts,
        ).format(n=attempts),
    )


def _is_login_summary(event: Event) -> bool:
    """A Dovecot login-process line: it sums up the attempts of a whole connection."""
    reason = (event.reason or "").lower()
    if event.detail is not None and THEN_ACCEPTED in event.detail:
        return True  # the tries before the password accepted: "K/N successful auths"
    return " attempts" in reason or " attempt " in reason or reason.startswith("auth failed")


def _auth_success(event: Event, state: SessionState) -> Note:
    user = quoted(escape_text(event.user)) if event.user else "?"
    mech = clipped(escape_text(event.mechanism or "?"))
    if (event.detail or {}).get("source") == "reject":
        if state.trailer_forged:
            return Note(
                "auth_success:forged",
                _(
                    "The line ends like a login's (sasl_method= and sasl_username={user}), "
                    "but the session's statistics at its end show no successful AUTH: the "
                    "client wrote this text itself (in its HELO name or an address, the "
                    "line cut at Postfix's length limit). No login."
                ).format(user=user),
            )
        return Note(
            "auth_success:reject",
            _(
                "The client had logged in as {user} (method {mech}): Postfix ends a reject "
                "line with sasl_method= and sasl_username= only for a session that logged in."
            ).format(user=user, mech=mech),
            _("The client had logged in as {user} (method {mech}).").format(user=user, mech=mech),
        )
    if accepted_only(event):
        return Note(
            "auth_success:login_failed",
            _(
                "The password of {user} was accepted (method {mech}), but the login failed "
                "after that ({reason}): the session did not start. Dovecot writes "
                "“successful auths” only when a password was right, so whoever sent it knows "
                "the password."
            ).format(user=user, mech=mech, reason=escape_text(event.reason or "")),
            _(
                "The password of {user} was accepted again, and again the session did not start."
            ).format(user=user),
        )
    if _proxy_started(event):
        state.proxy_started = True
        return Note(
            "auth_success:proxied",
            _(
                "Someone logged in successfully as {user} (method {mech}) through the login "
                "proxy (director): it passed the login on to a backend server, and Dovecot "
                "writes “started proxying” only once the backend has accepted it. From here "
                "the proxy only relays the connection."
            ).format(user=user, mech=mech),
            _("Someone logged in successfully as {user} through the login proxy.").format(
                user=user
            ),
        )
    if state.passed_on:
        return Note(
            "auth_success:passed_on",
            _(
                "Someone logged in successfully as {user} (method {mech}). The passdb "
                "refusal above was of this same password: Dovecot asks its passdbs in turn, "
                "and the next passdb accepted the password the one before refused. No "
                "failed login."
            ).format(user=user, mech=mech),
            _(
                "Logged in as {user}: the next passdb accepted the password the one before refused."
            ).format(user=user),
        )
    return Note(
        "auth_success",
        _("Someone logged in successfully as {user} (method {mech}).").format(user=user, mech=mech),
    )


def _proxy_started(event: Event) -> bool:
    """A login proxy's (director's) ``proxy(user): started proxying to …`` line: the
    line's own text (after the server-written prefix) begins with ``proxy(``."""
    record = event.record
    login = login_text(record.program, record.message)
    return login is not None and record.message.startswith("proxy(", login[1])


def _auth_aborted(event: Event, state: SessionState) -> Note:
    if detail(event, LOGIN_FAILED):  # a login proxy's "successful auths" (detect.proxied)
        return Note(
            "auth_aborted:proxied",
            _(
                "The login failed on the login proxy ({reason}): no session started. Dovecot "
                "counts a proxy passdb's answer as a successful auth even when the proxy "
                "checks no password (nopassword=y) and leaves that to the backend server: "
                "this line does not show that the password was right."
            ).format(reason=escape_text(event.reason or "")),
        )
    if (event.record.program or "").startswith("dovecot"):  # IMAP and POP3 have no 334
        return Note(
            "auth_aborted:dovecot",
            _(
                "The client broke off its login: it left, or went silent while the server "
                "waited for the rest of its login data. No password was checked."
            ),
        )
    return Note(
        "auth_aborted",
        _("The client cancelled its login by sending “*” in answer to a 334 prompt."),
    )


def _auth_unavailable(event: Event, state: SessionState) -> Note:
    reason = escape_text(event.reason or "")
    return Note(
        "auth_unavailable",
        _(
            "The server could not check a password ({reason}): its authentication service "
            "was gone or too slow. During a fast brute force Dovecot's failure delay causes "
            "this too, so these count as guesses then."
        ).format(reason=reason),
    )


def _auth_command(event: Event, state: SessionState) -> Note:
    state.commands = ["AUTH"]
    mech = escape_text((event.mechanism or "?").upper())
    state.mechanism, state.prompt, state.final_reply_after_auth = mech, None, False
    state.login_step_lost = False
    payload = event.payload or ""
    state.steps = {}
    if payload.strip():
        _count_step(event, state)
    origin = _dump_origin(event)
    # Only this line's own payload: a bare ``AUTH LOGIN`` may close an earlier exchange
    # whose credential the session layer hands over with it (said at its own lines).
    cred = next((c for c in state.decoded if c.mechanism == mech), None) if payload else None
    if cred is None and payload:
        cred = decode_auth(mech, payload, declared_length(event))
    if cred is None:
        text = _("The client asks to log in with method {mech}.").format(mech=clipped(mech))
        if mech == "PLAIN" and empty_plain(payload, declared_length(event)):
            text += " " + _(
                "Its data is whole, but decodes to NUL bytes only: no account and no "
                "password, an empty or malformed PLAIN response, which the server refuses."
            )
        elif _not_plain(mech, payload):
            text += " " + _not_plain_text()
        elif payload and payload.strip() not in {"=", "=??"}:
            text += " " + _("Its data could not be decoded.")
        return Note("auth_command", text, context=origin)
    state.credentials.append(cred)
    if cred.user is not None:
        state.login_user = cred.user
    text = _(
        "The client asks to log in with method {mech} and sends its credentials on the same "
        "line, base64-encoded. Decoded: {credential}."
    ).format(
        mech=clipped(mech),
        credential=credential_text(cred, state.show_passwords, state.hides(cred)),
    )
    if not cred.complete:
        text += " " + _truncation_text(cred, declared_length(event) is not None)
    elif mech == "PLAIN" and cred.password is None:
        text += " " + _(
            "The data is whole but holds no password: a malformed PLAIN response (PLAIN "
            "sends the account and the password, separated by NUL bytes), which the "
            "server refuses."
        )
    return Note("auth_command", text, context=origin)


def _not_plain(mech: str, payload: str) -> bool:
    """A PLAIN response that is base64 but decodes to no credential: a whole payload
    without a NUL (see :mod:`mailwarden.parsers.sasl`)."""
    if mech != "PLAIN" or payload.strip() in {"", "=", "=??", "*"}:
        return False
    text, _complete = decode_base64_line(payload)
    return bool(text)


def _not_plain_text() -> str:
    return _(
        "Its data is not a PLAIN payload (an authorization identity, the account and the "
        "password, separated by NUL bytes) but a single piece, perhaps a LOGIN step or a "
        "password sent in its place: it names no account, and it is not shown."
    )


def _truncation_text(cred: Credential, dumped: bool = True) -> str:
    """What the log's 40-byte cut left of a payload (`dumped`: a ``Read N chars`` line,
    whose N says it was longer). A verbose line is written whole: its payload is cut only
    when it stops one character into a base64 group, which no whole payload does (2 or 3
    characters without ``=`` are base64 sent without its padding, and whole)."""
    if not dumped:
        if cred.password is not None:
            return _(
                "The data stops one character into a base64 group, which no whole payload "
                "does: the line was cut off before it reached the log (Postfix writes the "
                "whole line), or the client sent it broken. It holds only the beginning of "
                "the password."
            )
        if cred.user is not None and not cred.user_complete:
            return _(
                "The data stops one character into a base64 group, which no whole payload "
                "does: the line was cut off before it reached the log (Postfix writes the "
                "whole line), or the client sent it broken. It stops inside the user name: "
                "the name is cut off, and no part of the password is in the log."
            )
        return _(
            "The data stops one character into a base64 group, which no whole payload "
            "does: the line was cut off before it reached the log (Postfix writes the whole "
            "line), or the client sent it broken. It stops before the password: no part of "
            "it is in the log."
        )
    if cred.password is not None:
        return _(
            "The log cut the line off (it shows 40 bytes), so it holds only the beginning of "
            "the password."
        )
    if cred.user is not None and not cred.user_complete:
        return _(
            "The log cut the line off (it shows 40 bytes) inside the user name: the name is "
            "cut off, and no part of the password is in the log."
        )
    return _(
        "The log cut the line off (it shows 40 bytes) before the password: no part of it "
        "is in the log."
    )


def _client_data(event: Event, state: SessionState) -> Note:
    payload = (event.payload or "").removesuffix("??").strip()
    if payload == "*":
        return _star(event, state)
    if state.mechanism is not None and not state.final_reply_after_auth:
        if not _client_done(state):
            _count_step(event, state)
            return _auth_step(event, payload, state)
        # The exchange has had all its steps: the server's answer is just not in the
        # log (a dump without its ``Write`` lines). What follows is a command again.
        state.mechanism = None
    if not state.in_data:
        state.commands = _commands(payload)
    verb, _sep, rest = payload.partition(" ")
    verb = verb.upper()
    origin = _dump_origin(event)
    if verb in {"EHLO", "HELO"}:
        # A dump shows lines read together joined by ``??`` (CR LF): the name ends there,
        # the rest (an AUTH pipelined after it) is not the name, and not shown.
        raw = rest.partition("??")[0].strip()
        name = clipped(escape_text(raw)) or "?"
        text = _(
            "The client greets the server ({verb}) and calls itself “{name}”. The name is "
            "the client's own claim and proves nothing; a real mail server gives its own "
            "name."
        ).format(verb=verb, name=name)
        if is_bot_greeting(raw):
            text += " " + _(
                "“{name}” is not a server's name but a typical greeting of password-guessing bots."
            ).format(name=name)
        if state.tls_up and state.starttls:
            text += " " + _(
                "After STARTTLS a client must greet again, so this greeting travelled encrypted."
            )
        elif state.tls_up:
            text += " " + _("It came after the TLS handshake, so it travelled encrypted.")
        return Note(f"client:{verb}", text, context=origin)
    if verb == "QUIT":
        return Note("client:QUIT", _("The client says goodbye (QUIT)."), context=origin)
    if verb == "STARTTLS":
        state.starttls = True
        return Note(
            "client:STARTTLS", _("The client asks to switch to TLS (STARTTLS)."), context=origin
        )
    if verb in {"MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "EXPN", "BDAT"}:
        return Note(
            f"client:{verb}",
            _("The client sends the command {verb}.").format(verb=verb),
            context=origin,
        )
    if not state.show_passwords and _maybe_secret(payload):
        return Note(
            "client:hidden",
            _(
                "The client sent a line that looks like base64, not shown: outside a login "
                "this log cannot tell whether it is an AUTH LOGIN user name or password."
            ),
            context=origin,
        )
    return Note(
        "client:other",
        _("The client sent “{text}”.").format(text=clipped(escape_text(payload))),
        context=origin,
    )


_BASE64_PIECE = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_COMMANDS = frozenset(
    {"QUIT", "DATA", "RSET", "NOOP", "HELP", "STARTTLS", "TURN", "EHLO", "HELO", "AUTH"}
)


_STEPS = {"LOGIN": 2, "PLAIN": 1}
"""Client lines of an AUTH exchange, for the mechanisms that have a fixed number (an
initial response is the first): LOGIN sends the user name and the password, PLAIN one
response. After them the client waits for the server's final answer."""


def _count_step(event: Event, state: SessionState) -> None:
    """Count a client line of the AUTH exchange. A dump's ``Read`` that neither ends in
    CR LF (``??``) nor was cut by the log holds part of a line only (the line came in
    pieces): it counts nothing, so that a line never counts before it is whole."""
    length = declared_length(event)
    raw = event.payload or ""
    if length is not None and not raw.endswith("??") and length <= len(raw):
        return
    dumped = length is not None
    state.steps[dumped] = state.steps.get(dumped, 0) + 1


def _client_done(state: SessionState) -> bool:
    """Has the client sent every line of the AUTH exchange in progress (in every form
    the log shows its lines in)? Only then is its next line no login step: before, even
    a line reading ``QUIT`` may be a step (it is valid base64), so it stays hidden."""
    expected = _STEPS.get(state.mechanism or "")
    if expected is None or not state.steps:
        return False
    return all(count >= expected for count in state.steps.values())


def _maybe_secret(payload: str) -> bool:
    """Does a client line (or several, pipelined into one dump line and joined by the
    log's ``??``) hold a base64 piece that may be a credential? A bare command word
    (``QUIT``, ``STARTTLS``) is not one."""
    for piece in payload.split("??"):
        piece = piece.strip()
        if _BASE64_PIECE.fullmatch(piece) and piece.upper() not in _COMMANDS:
            return True
    return False


def _star(event: Event, state: SessionState) -> Note:
    origin = _dump_origin(event)
    if state.mechanism is not None and not state.final_reply_after_auth:
        state.mechanism = None
        return Note(
            "client:cancel",
            _("The client cancels its login (the “*” answers the 334 prompt)."),
            context=origin,
        )
    return Note(
        "client:star",
        _(
            "The client sent “*”. A “*” cancels a login only as an answer to a 334 prompt "
            "(RFC 4954); here the server had already given its final answer, so it is just an "
            "unknown command. Careless bot code sends it no matter what the server said."
        ),
        context=origin,
    )


def _auth_step(event: Event, payload: str, state: SessionState) -> Note:
    """A client line inside an AUTH exchange: LOGIN's username or password, a PLAIN blob."""
    mech = state.mechanism or "?"
    origin = _dump_origin(event)
    if mech == "LOGIN":
        text, complete = decode_base64_line(payload, declared_length(event))
        prompt = (state.prompt or "").lower()
        joined = next((c for c in state.decoded if c.password is not None), None)
        if text is not None and (joined is not None or prompt.startswith("password")):
            cred = joined or Credential(mech, None, state.login_user, text, complete)
            state.credentials.append(cred)
            return Note(
                "login:password",
                _(
                    "The client answers the password prompt: {password}. It is only base64 in "
                    "the log: anyone who can read the log can read it."
                ).format(password=shown_password(cred, state.show_passwords, state.hides(cred))),
                context=origin,
            )
        if text is not None and state.login_step_lost and not prompt.startswith("user"):
            # The line before could not be decoded: it may have been the user name, and
            # this one the password.
            if not state.show_passwords:
                return Note(
                    "login:unsure",
                    _(
                        "The client sent a line that looks like base64, not shown: the login "
                        "line before it could not be decoded, so this log cannot tell whether "
                        "this one is the user name or the password."
                    ),
                    context=origin,
                )
            return Note(
                "login:unsure-shown",
                _(
                    "The client sent “{text}” (base64 decoded): the login line before it could "
                    "not be decoded, so this log cannot tell whether this one is the user name "
                    "or the password."
                ).format(text=clipped(escape_text(text) + ("" if complete else CUT))),
                context=origin,
            )
        accounts = state.accounts
        if (
            text is not None
            and accounts is not None
            and len(accounts) < MAX_USERS_PER_SESSION
            and not _among(text, complete, accounts)
        ):
            return Note(
                "login:not_user",
                _(
                    "The client sent a line that looks like base64, not shown: the log "
                    "lost lines of this login, and the lines after it show that this line "
                    "was not the user name. It may be the password."
                ),
                context=origin,
            )
        if text is not None:
            state.login_user = text if complete else text + CUT
            return Note(
                "login:user",
                _("The client answers the user name prompt: {user}.").format(
                    user=quoted(state.login_user)
                ),
                context=origin,
            )
        if text is None and payload.strip() not in {"", "="}:
            # This line answered the prompt: which one the next line answers is unknown.
            state.login_step_lost, state.prompt = True, None
    else:
        response = next(iter(state.decoded), None) or decode_response(
            mech, payload, declared_length(event)
        )
        if response is not None:
            state.credentials.append(response)
            return Note(
                "auth:response",
                _("The client sends its credentials: {credential}.").format(
                    credential=credential_text(
                        response, state.show_passwords, state.hides(response)
                    )
                ),
                context=origin,
            )
    if payload.strip() not in {"", "=", "=??", "*"} and decode_base64_line(payload)[0] is None:
        state.undecodable = True
        return Note(
            "auth:undecodable",
            _(
                "The client sends the next step of its login (method {mech}), but it is not "
                "valid base64: it could not be decoded, and the server cannot read it either."
            ).format(mech=clipped(mech)),
            context=origin,
        )
    text = _("The client sends the next step of its login (method {mech}).").format(
        mech=clipped(mech)
    )
    if _not_plain(mech, payload):
        text += " " + _not_plain_text()
    return Note("auth:step", text, context=origin)


def _among(name: str, complete: bool, accounts: frozenset[str]) -> bool:
    """Is ``name`` (cut off by the log unless ``complete``) one of the session's account
    names? A cut name is, when a whole name of the session starts with it."""
    if complete:
        return name in accounts
    return any(account.startswith(name) for account in accounts)


BOT_GREETINGS = frozenset({"localhost", "localhost.localdomain", "ylmf-pc"})
"""EHLO names no mail server gives but password-guessing bots send by the thousand
(``ylmf-pc`` is the greeting of a well-known SMTP AUTH brute-force tool)."""


def is_bot_greeting(name: str) -> bool:
    return name.strip().lower() in BOT_GREETINGS


def _reply_text(reason: str, code: str) -> str:
    """The text of a reply after its code (``334 VXNlcm5hbWU6`` gives the challenge)."""
    return reason[len(code) :].lstrip(" -") if reason.startswith(code) else reason


def _server_reply(event: Event, state: SessionState) -> Note:
    code = detail(event, "code") or "?"
    enhanced = detail(event, "enhanced")
    shown = f"{code} {enhanced}" if enhanced else code
    origin = _dump_origin(event)
    text = _("The server answers {reply}.").format(reply=shown) + " "
    if code == "334":
        prompt, _complete = decode_base64_line(_reply_text(event.reason or "", code))
        state.prompt = prompt
        if prompt:
            text += _("It asks for the next login step: “{prompt}” (base64 decoded).").format(
                prompt=escape_text(prompt)
            )
        else:
            text += reply_meaning(code, enhanced)
    elif code == "250":
        answered, in_data = _answered(event, state, code)
        kind, meaning, short = _accepted(event, state, answered, in_data, enhanced)
        # One template, so that a language may join the two ("服务器答复 250，表示接受。").
        text = _("The server answers {reply}. {meaning}").format(reply=shown, meaning=meaning)
        if len(answered) > 1:
            text += " " + _(
                "The client sent several commands at once (PIPELINING): this write holds "
                "the server's replies to all of them, in order; the note is about the first."
            )
        if state.mechanism is not None and not state.final_reply_after_auth:
            state.final_reply_after_auth = True
        return Note(f"reply:250:{enhanced or ''}:{kind}", text.strip(), short, context=origin)
    elif code == "501" and (state.undecodable or "cannot decode" in (event.reason or "").lower()):
        state.undecodable = False
        text = _(
            "The server answers {reply}: it could not decode the client's login data (not "
            "valid base64), and this login attempt ends there."
        ).format(reply=shown)
        if state.mechanism is not None and not state.final_reply_after_auth:
            state.final_reply_after_auth = True
    else:
        text += reply_meaning(code, enhanced)
        if state.mechanism is not None and not state.final_reply_after_auth:
            state.final_reply_after_auth = code[:1] in {"2", "4", "5"}
    _answered(event, state, code)
    short = None
    soft = softened(code, enhanced)
    if soft is not None:
        short = _(
            "The server answers {reply}: {meaning} (softened by soft_bounce, see above)."
        ).format(reply=shown, meaning=soft[1])
    return Note(f"reply:{code}:{enhanced or ''}", text.strip(), short, context=origin)


def _commands(payload: str) -> list[str]:
    """The verbs of the commands in a client's line: a dump joins the lines a client
    pipelined with ``??`` (CR LF)."""
    return [part.split(None, 1)[0].upper() for part in payload.split("??") if part.strip()]


def _answered(event: Event, state: SessionState, code: str) -> tuple[list[str], bool]:
    """The commands this reply answers (the first is the one its code is for), and
    whether the client was sending a message (after 354); updates ``state``."""
    reply = event.reason or ""
    commands = state.commands
    if declared_length(event) is not None:
        # A dump's write holds the replies to every command the read before it held.
        answered, state.commands = commands, []
    elif reply.startswith(code + "-"):
        # A verbose line of a multi-line reply (EHLO's): more lines of it follow.
        answered = commands[:1]
    else:
        answered, state.commands = commands[:1], commands[1:]
    in_data = state.in_data
    state.in_data = code == "354" or "??354 " in reply
    return answered, in_data


_QUEUED = re.compile(r"queued as ([0-9A-Za-z]+)")


def _accepted(
    event: Event, state: SessionState, answered: list[str], in_data: bool, enhanced: str | None
) -> tuple[str, str, str | None]:
    """What a 250 reply accepted, told by the command it answers: (the kind, the note,
    the short note or None)."""
    first = (event.reason or "").partition("??")[0]
    m = _QUEUED.search(first)
    if m is not None:
        queue_id = m.group(1)
        cut = declared_length(event)
        if cut is not None and cut > len(event.reason or "") + 2 and m.end() == len(first):
            queue_id += CUT  # the log's 40-byte cut may have taken the end of the ID
        return (
            "queued",
            _(
                "Accepted: the server took the message and put it in its queue as {id}; "
                "the other lines about this message carry the same queue ID."
            ).format(id=escape_text(queue_id)),
            None,
        )
    command = answered[0] if answered else None
    if command is None and not in_data:
        # Postfix's enhanced codes tell these two apart (RFC 3463: 2.1.0, 2.1.5).
        command = {"2.1.0": "MAIL", "2.1.5": "RCPT"}.get(enhanced or "")
    if in_data or command is None:
        return "other", _("Accepted (250): the server accepted the client's last command."), None
    if command == "EHLO":
        if declared_length(event) is None:
            # Verbose logging writes each line of the reply on its own line.
            return (
                "EHLO:verbose",
                _(
                    "Accepted. After EHLO the server lists its name and the extensions it "
                    "offers (PIPELINING, AUTH…), one per line."
                ),
                _(
                    "Another line of the server's answer to EHLO: its name or an extension "
                    "it offers."
                ),
            )
        if state.tls_up:
            return (
                "EHLO:tls",
                _(
                    "Accepted. After EHLO the server lists its name and the extensions it "
                    "offers (PIPELINING, AUTH…; inside TLS no STARTTLS, which is already "
                    "done); the log shows only the beginning."
                ),
                None,
            )
        return (
            "EHLO",
            _(
                "Accepted. After EHLO the server lists its name and the extensions it offers "
                "(PIPELINING, STARTTLS, AUTH…); the log shows only the beginning."
            ),
            None,
        )
    texts = {
        "HELO": N_(
            "Accepted: the server answers the greeting (HELO) with its name. HELO, unlike "
            "EHLO, gets no list of extensions."
        ),
        "MAIL": N_(
            "Accepted: the server takes the sender the client named (MAIL FROM); the client "
            "may now name the recipients (RCPT TO)."
        ),
        "RCPT": N_("Accepted: the server takes the recipient the client named (RCPT TO)."),
        "RSET": N_("OK: the server has dropped the transaction under way (RSET)."),
        "NOOP": N_(
            "OK: the server answers NOOP, a command that does nothing (clients send it to "
            "keep the connection open)."
        ),
    }
    text = texts.get(command)
    if text is None:
        return "other", _("Accepted (250): the server accepted the client's last command."), None
    return command, _(text), None


def _reject(event: Event, state: SessionState) -> Note:
    stage = detail(event, "stage") or "?"
    code = detail(event, "code") or ""
    reason = clipped_within(escape_text(event.reason or ""), client_values(event))
    return Note(
        f"reject:{stage}",
        _("The server refused the client's {stage}: {code} {reason}.").format(
            stage=stage, code=code, reason=reason
        ),
    )


_DEBUG_NOTE = N_("A line of verbose (-v) logging: the server's internal steps.")


def _debug(event: Event, state: SessionState) -> Note:
    """A ``-v`` line; the SASL backend's answer to Postfix gets its own note: the
    challenge Postfix sends the client next (a ``334``), or the account Dovecot refused
    or accepted (parsers.postfix ``_xsasl_reply``)."""
    if detail(event, NEXT_DB):
        return _next_db(event)
    if detail(event, PROXIED):
        if state.proxy_started:
            return Note(
                "debug:proxied_end",
                _(
                    "The login proxy (director) ends the connection it relayed to the backend "
                    "server for the login above: the session is over."
                ),
            )
        return Note(
            "debug:proxied",
            _(
                "The login proxy's (director's) line about a connection it passes on to a "
                "backend server: its proxy passdb accepted the login, which need not mean a "
                "password was checked (with nopassword=y only the backend checks it). The "
                "backend's answer shows in the proxy's “started proxying” line (a login) or "
                "in the backend's own log."
            ),
        )
    challenge = detail(event, "challenge")
    if challenge:
        if state.mechanism is not None and not state.final_reply_after_auth:
            state.prompt = challenge
        if detail(event, "backend") == "cyrus":
            text = _(
                "Cyrus SASL asks for the next login step: “{prompt}”. Postfix sends it to the "
                "client as a 334 reply."
            )
        else:
            text = _(
                "Dovecot's authentication service asks for the next login step: “{prompt}” "
                "(base64 decoded). Postfix sends it to the client as a 334 reply."
            )
        return Note("debug:challenge", text.format(prompt=escape_text(challenge)))
    user = detail(event, "sasl_user")
    if user:
        if detail(event, "sasl_result") == "OK":
            text = _("Dovecot's authentication service accepts the login as {user}.")
        else:
            text = _(
                "Dovecot's authentication service refuses the login as {user}; Postfix's "
                "own line of the failure follows."
            )
        return Note("debug:sasl_reply", text.format(user=quoted(escape_text(user))))
    if detail(event, "password_logged") and "decoded " in (event.reason or ""):
        if not state.copies_client_line:
            return _only_copy(event, state)
        # Cyrus at -v: xsasl_cyrus_server_first/_next, right after the chat's line.
        return Note(
            "debug:decoded",
            _(
                "Cyrus SASL writes the client's login line above once more, decoded: with "
                "AUTH LOGIN the user name or the password in clear text (not shown here). "
                "The same login data as that line, not more: mailwarden counts it once."
            ),
            _("Cyrus SASL's decoded copy of the client's login line above (not shown)."),
        )
    return Note("debug", _(_DEBUG_NOTE).format(reason=escape_text(event.reason or "")))


def _next_db(event: Event) -> Note:
    """A passdb's (userdb's) refusal that Dovecot passes on to the next one
    (parsers.dovecot ``NEXT_DB``): no failed login, nor a sign the account is missing."""
    db = quoted(escape_text(detail(event, "db") or "?"))
    user = quoted(escape_text(event.user)) if event.user else _("an unknown account")
    if detail(event, NEXT_DB) == "userdb":
        text = _(
            "Dovecot's userdb {db} has no entry for {user} and asks the next userdb, whose "
            "answer decides: no failed login."
        )
    elif no_such_account(event.reason):
        text = _(
            "Dovecot's passdb {db} has no account {user} and asks the next passdb, whose "
            "answer decides: no failed login by itself, and no sign that the account does "
            "not exist. The next passdb's line, or the login process's, tells how the "
            "attempt ended."
        )
    else:
        text = _(
            "Dovecot's passdb {db} does not accept this password for {user} and asks the "
            "next passdb, whose answer decides: no failed login by itself. The next "
            "passdb's line, or the login process's, tells how the attempt ended."
        )
    short = _("{db} passes the login of {user} on to the next one: no failed login by itself.")
    return Note("debug:next_db", text.format(db=db, user=user), short.format(db=db, user=user))


_ONLY_COPY = N_(
    "The log lost the client's own line (in base64): this copy is the only one, and "
    "mailwarden counts it as login data the log reveals."
)


def _only_copy(event: Event, state: SessionState) -> Note:
    """Cyrus's decoded copy (``decoded response:``, ``decoded initial response``) of a
    client login line the log lost: the only copy of that login data, in clear text.
    At AUTH LOGIN's username step the session layer takes it for the account, as long as
    nothing shows it was the password (:attr:`SessionState.cyrus_user`)."""
    lost = _(_ONLY_COPY)
    user = state.cyrus_user
    if user is not None:
        accounts = state.accounts
        if accounts is None or user in accounts:
            state.login_user = user
            return Note(
                "debug:decoded_user",
                _(
                    "Cyrus SASL writes the client's answer to the user name prompt, decoded, "
                    "in clear text: {user}. {lost} It names the account tried: the login goes "
                    "on to the password."
                ).format(user=quoted(escape_text(user)), lost=lost),
            )
        return Note(
            "debug:decoded_unsure",
            _(
                "Cyrus SASL writes a login line of the client, decoded, in clear text (not "
                "shown here). {lost} The log lost the lines around it too: it may be the "
                "user name or the password, so it names no account."
            ).format(lost=lost),
        )
    text = _cyrus_text(event.record.message)
    if text is not None and (state.prompt or "").lower().startswith("password"):
        cred = Credential("LOGIN", None, state.login_user, text, True)
        return Note(
            "debug:decoded_password",
            _(
                "Cyrus SASL writes the client's answer to the password prompt, decoded, in "
                "clear text: {password}. {lost}"
            ).format(
                password=shown_password(cred, state.show_passwords, state.hides(cred)),
                lost=lost,
            ),
        )
    return Note(
        "debug:decoded_only",
        _(
            "Cyrus SASL writes a login line of the client, decoded: the user name or the "
            "password in clear text (not shown here). {lost}"
        ).format(lost=lost),
    )


def _cyrus_text(message: str) -> str | None:
    """The clear text of Cyrus's ``decoded response: …`` line (None for another line)."""
    if not message.startswith(CYRUS_RESPONSE):
        return None
    return message[len(CYRUS_RESPONSE) :] or None


def _simple(key: str, text: str) -> Callable[[Event, SessionState], Note]:
    def note(event: Event, state: SessionState) -> Note:
        return Note(key, _(text).format(reason=escape_text(event.reason or "")))

    return note


_DENYLISTED = frozenset({"DENYLISTED", "BLACKLISTED"})
_HANDSHAKE_TESTS = {
    "tests before SMTP handshake": Nn_(
        "The client hung up without saying QUIT, {after} second into the connection, "
        "while postscreen was still running its tests before the SMTP greeting (the "
        "pregreet wait, the DNS blocklist lookups). Hanging up is no broken rule in "
        "itself, but bots that are not let through at once often do it.",
        "The client hung up without saying QUIT, {after} seconds into the connection, "
        "while postscreen was still running its tests before the SMTP greeting (the "
        "pregreet wait, the DNS blocklist lookups). Hanging up is no broken rule in "
        "itself, but bots that are not let through at once often do it.",
    ),
    "tests after SMTP handshake": Nn_(
        "The client hung up without saying QUIT, {after} second into the connection, "
        "during postscreen's tests after the SMTP greeting (its deep protocol tests, "
        "before it reached the real server). Hanging up is no broken rule in itself, but "
        "bots that are not let through at once often do it.",
        "The client hung up without saying QUIT, {after} seconds into the connection, "
        "during postscreen's tests after the SMTP greeting (its deep protocol tests, "
        "before it reached the real server). Hanging up is no broken rule in itself, but "
        "bots that are not let through at once often do it.",
    ),
}
_WHOLE_SECONDS = re.compile(r"[0-9]{1,9}")


def _seconds(after: str) -> int:
    """The number ngettext chooses the form of “{after} seconds” by: the count itself
    when postscreen wrote whole seconds (“1 second”), else one that takes the plural
    (“0.5 seconds”, “1.25 seconds”, “? seconds”), as English counts decimals."""
    return int(after) if _WHOLE_SECONDS.fullmatch(after) else 2


def _postscreen_violation(event: Event, state: SessionState) -> Note:
    """postscreen's verdicts on a client (postscreen(8)): its own deny list, a hang-up
    during its tests, or a broken SMTP rule (PREGREET and the deep protocol tests)."""
    test = event.reason or ""
    if test in _DENYLISTED:
        return Note(
            "postscreen_denylisted",
            _(
                "The client's address is on this server's own deny list "
                "(postscreen_access_list, written by the administrator), not caught "
                "breaking any rule: postscreen drops or refuses it, or only logs this and "
                "goes on testing, as postscreen_denylist_action says ({reason})."
            ).format(reason=escape_text(test)),
        )
    if test == "HANGUP":
        after = escape_text(detail(event, "after") or "?")
        stage = detail(event, "stage") or ""
        if stage in _HANDSHAKE_TESTS:
            single, plural = _HANDSHAKE_TESTS[stage]
            return Note(
                "postscreen_hangup",
                ngettext(single, plural, _seconds(after)).format(after=after),
            )
        return Note(
            "postscreen_hangup",
            ngettext(
                "The client hung up without saying QUIT, {after} second into the "
                "connection, during postscreen's tests ({stage}). Hanging up is no broken "
                "rule in itself, but bots that are not let through at once often do it.",
                "The client hung up without saying QUIT, {after} seconds into the "
                "connection, during postscreen's tests ({stage}). Hanging up is no broken "
                "rule in itself, but bots that are not let through at once often do it.",
                _seconds(after),
            ).format(after=after, stage=escape_text(stage)),
        )
    return Note(
        "postscreen_violation",
        _(
            "postscreen caught the client breaking SMTP rules before it reached the real "
            "server ({reason}): typical of bots."
        ).format(reason=escape_text(test)),
    )


def _tls_established(event: Event, state: SessionState) -> Note:
    state.tls_up = True
    protocol = detail(event, "protocol") or "?"
    cipher = detail(event, "cipher") or "?"
    bits = detail(event, "bits")
    text = _("The TLS handshake is complete: {protocol} with the cipher {cipher}").format(
        protocol=protocol, cipher=cipher
    )
    text += _(" ({bits} bits).").format(bits=bits) if bits else "."
    if detail(event, "trust") == "Anonymous":
        text += " " + _(
            "“Anonymous” means the client showed no certificate of its own, which is normal "
            "for SMTP."
        )
    text += " " + _("From here on the conversation is encrypted.")
    weakness = cipher_weakness(cipher)
    if weakness is not None:
        text += " " + _(
            "But {cipher} is weak: {why}. The server should never have agreed to it."
        ).format(cipher=cipher, why=weakness)
    return Note("tls_established", text)


def _tls_failure(event: Event, state: SessionState) -> Note:
    return Note(
        "tls_failure",
        _(
            "The TLS handshake failed ({reason}). Scanners and very old clients cause this; "
            "one failure means little."
        ).format(reason=escape_text(event.reason or "?")),
    )


def _tls_setup(event: Event, state: SessionState) -> Note:
    level = _context(_TLS_LEVEL_2)
    tls_state = detail(event, "state")
    if tls_state is not None:
        return Note(
            f"ssl:{tls_state}",
            state_meaning(tls_state),
            context=_context(_SSL_STATES),
        )
    cipher_list = detail(event, "cipher_list")
    if cipher_list is not None:
        text = _("The ciphers the server will accept on this connection: “{list}”.").format(
            list=escape_text(cipher_list)
        )
        note = cipher_list_note(cipher_list)
        return Note("tls:cipher_list", f"{text} {note}" if note else text, context=level)
    if detail(event, "step") == "session_ticket":
        return Note(
            "tls:ticket",
            _(
                "The server gives the client a TLS session ticket, so that its next "
                "connection can resume this session without a full handshake. Routine."
            ),
            context=level,
        )
    if event.ip is not None and detail(event, "sni") is None:
        return Note(
            "tls:setup",
            _(
                "The client asked for TLS (STARTTLS, or it connected to the TLS port); the "
                "handshake begins."
            ),
            context=level,
        )
    if detail(event, "step") == "engine":
        return Note(
            "tls:engine",
            _(
                "This smtpd process loads its TLS certificate and settings (once per "
                "process). Routine."
            ),
        )
    return Note("tls:other", _("A routine message of the TLS layer."))


def _tls_dump(event: Event, state: SessionState) -> Note:
    level = _context(_TLS_DUMPS)
    direction = detail(event, "direction")
    result = detail(event, "result")
    hex_bytes = detail(event, "hex")
    if hex_bytes is not None:
        header = record_header(hex_bytes) if detail(event, "offset") in (None, "0000") else None
        text = header or _("A row of the hex dump of the bytes just read or written.")
        return Note("dump:header" if header else "dump:hex", text, context=level)
    if detail(event, "nulls") is not None:
        return Note(
            "dump:nulls",
            _("The rest of this dump is spaces or zero bytes, which Postfix sums up."),
            context=level,
        )
    trailer = detail(event, "trailer")
    extra = None
    if trailer:
        extra = (
            f"trailer:{trailer}",
            _(
                "“{text}” is not Postfix's: whoever copied these lines put it where the rows "
                "of hex were."
            ).format(text=escape_text(trailer)),
        )
    if direction is None or result is None:
        return Note(
            "dump:generic",
            _(
                "A packet dump of the TLS layer: “read from”/“write to” lines give the bytes "
                "the server asked for and what it got; “=> -1” means nothing had arrived yet "
                "(EAGAIN, “try again”) and is normal, not an error. Rows of hex with the "
                "encrypted bytes follow (people who paste a log often replace them with a "
                "remark); a row starting 16 03 03 is the header of a TLS handshake record, "
                "17 03 03 one of encrypted data; “<SPACES/NULLS>” sums up trailing blank "
                "bytes."
            ),
            _("Another packet-dump line (see above)."),
            context=level,
            extra=extra,
        )
    if result.startswith("-"):
        return Note(
            "dump:eagain",
            _(
                "The server tried to read the client's TLS data, but none had arrived yet: "
                "the non-blocking read returned -1 (EAGAIN, “try again”) and the next line "
                "retries. Normal, not an error."
            ),
            _("Nothing had arrived yet (EAGAIN); the next line retries."),
            context=level,
            extra=extra,
        )
    if direction == "write":
        return Note(
            "dump:write",
            _("The server sent {n} bytes of TLS data (encrypted) to the client.").format(n=result),
            _("The server sent {n} encrypted bytes.").format(n=result),
            context=level,
            extra=extra,
        )
    return Note(
        "dump:read",
        _("The server read {n} bytes of TLS data (encrypted) from the client.").format(n=result),
        _("The server read {n} encrypted bytes.").format(n=result),
        context=level,
        extra=extra,
    )


def _long_request(event: Event, state: SessionState) -> Note:
    """smtpd's ``request longer than N: …``: the client's text is not shown (the line's
    own display is masked); only its first word, when it is an SMTP command."""
    limit = detail(event, "limit") or "?"
    command = detail(event, "command")
    probe = _(
        "Bots send such oversized lines to probe mail servers for buffer overflows; the "
        "limit is what stops them."
    )
    if command == "AUTH":
        return Note(
            "long_request:AUTH",
            _(
                "The client sent an AUTH command longer than the server's limit of {limit} "
                "bytes (its data is not shown: it may hold a credential). Postfix reads only "
                "that much of the line, so the login data is cut off and this login fails."
            ).format(limit=limit)
            + " "
            + probe,
            _("Another AUTH command over the server's line limit (see above)."),
        )
    if command is not None:
        return Note(
            f"long_request:{command}",
            _(
                "The client sent a {command} command longer than the server's limit of "
                "{limit} bytes: Postfix reads only that much of the line."
            ).format(command=command, limit=limit)
            + " "
            + probe,
        )
    return Note(
        "long_request",
        _(
            "The client sent a line longer than the server's limit of {limit} bytes (not "
            "shown: it may be a login step): Postfix reads only that much of it."
        ).format(limit=limit)
        + " "
        + probe,
    )


_HANDLERS: dict[EventType, Callable[[Event, SessionState], Note]] = {
    EventType.CONNECT: _connect,
    EventType.DISCONNECT: _disconnect,
    EventType.LOST_CONNECTION: _lost_connection,
    EventType.TIMEOUT: _timeout,
    EventType.TOO_MANY_ERRORS: _too_many_errors,
    EventType.NO_AUTH: _no_auth,
    EventType.AUTH_FAILURE: _auth_failure,
    EventType.AUTH_SUCCESS: _auth_success,
    EventType.AUTH_ABORTED: _auth_aborted,
    EventType.AUTH_UNAVAILABLE: _auth_unavailable,
    EventType.AUTH_COMMAND: _auth_command,
    EventType.CLIENT_DATA: _client_data,
    EventType.SERVER_REPLY: _server_reply,
    EventType.REJECT: _reject,
    EventType.DNSBL: _simple(
        "dnsbl",
        N_("The client's address is on a DNS blocklist ({reason}): a known bad sender."),
    ),
    EventType.HOSTNAME_MISMATCH: _simple(
        "hostname_mismatch",
        N_(
            "The client's reverse DNS name does not lead back to its address, so Postfix calls "
            "it “unknown”. Common for bots; harmless by itself."
        ),
    ),
    EventType.NON_SMTP_COMMAND: _simple(
        "non_smtp",
        N_(
            "The client sent something that is not SMTP (for example a web request): a scanner "
            "or a bot."
        ),
    ),
    EventType.LONG_REQUEST: _long_request,
    EventType.PIPELINING: _simple(
        "pipelining",
        N_(
            "The client sent commands before the server had answered: spam and password bots "
            "do that, real mail servers wait."
        ),
    ),
    EventType.RATE_LIMITED: _simple(
        "rate_limited",
        N_(
            "A rate limit of Postfix's anvil service was hit ({reason}): the client gets a "
            "temporary error for a while."
        ),
    ),
    EventType.ANVIL_STATISTICS: _simple(
        "anvil",
        N_("anvil's periodic statistics: the highest rate one client reached for a limit."),
    ),
    EventType.POSTSCREEN_VIOLATION: _postscreen_violation,
    EventType.POSTSCREEN_PASS: _simple(
        "postscreen_pass",
        N_("postscreen's bookkeeping for this client: routine."),
    ),
    EventType.TLS_ESTABLISHED: _tls_established,
    EventType.TLS_FAILURE: _tls_failure,
    EventType.TLS_SETUP: _tls_setup,
    EventType.TLS_DUMP: _tls_dump,
    EventType.QUEUED: _simple(
        "queued",
        N_("A message was accepted into the queue (the client sent mail)."),
    ),
    EventType.DEBUG: _debug,
    EventType.SERVER_WARNING: _simple(
        "server_warning",
        N_("A warning from the server about itself, not about a client ({reason})."),
    ),
}


def describe(event: Event, state: SessionState, decoded: Sequence[Credential] = ()) -> Note:
    """What ``event`` means, given what its session has shown so far (updates ``state``).
    ``decoded`` are the credentials the session layer decoded from this event."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return Note(f"type:{event.type}", _("An event of type {type}.").format(type=event.type))
    state.decoded = list(decoded)
    try:
        return handler(event, state)
    finally:
        state.decoded = []


def unrecognised() -> Note:
    return Note(
        "unrecognised",
        _("mailwarden does not recognise this line; it does not seem to concern a client."),
        _("Another line mailwarden does not recognise."),
    )


__all__ = [
    "BOT_GREETINGS",
    "CLIP",
    "Note",
    "SessionState",
    "client_values",
    "clipped",
    "clipped_within",
    "credential_text",
    "describe",
    "detail",
    "is_bot_greeting",
    "password_is_real",
    "quoted",
    "shown_password",
    "unrecognised",
]
