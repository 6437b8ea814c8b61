"""Client sessions: the events of one SMTP or IMAP/POP3 connection, joined.

A session is keyed the way the servers log it:

- Postfix smtpd: ``(host, program, pid)`` between ``connect from`` and ``disconnect from``.
  One smtpd process serves many sessions one after another, so a ``connect`` on a key
  that is still open ends the previous session. Lines seen without a ``connect`` (the log
  began mid-session, or only warnings were kept) open an implicit session.
- Dovecot: the ``session=<…>`` id. The login process writes one line when the
  connection ends (``Disconnected``/``Login aborted``/``Login:``), so that line closes
  it; auth-process lines that carry the same id join it first.

Attempts are counted once (see :meth:`SessionTracker.feed`): a SASL failure line or a
Dovecot auth-process failure counts when it arrives; the session's closing line
(``auth=0/N`` in Postfix's statistics, Dovecot's ``N attempts``) adds only the attempts
not counted yet. A Dovecot auth-process failure without a session id leaves a *credit*
for its address, which the next Postfix SASL failure or Dovecot login line of that
address consumes instead of counting the same attempt twice.

With Dovecot checking passwords through PAM, PAM's own ``pam_unix(dovecot:auth):
authentication failure; … rhost=…`` comes first for each attempt; it counts, with a
credit, as an auth-process line does. Dovecot's auth-process line of the same attempt
(``pam(user,ip): pam_authenticate() failed``, with ``auth_verbose``) then counts nothing
(:meth:`SessionTracker._same_as_pam`): one wrong password, one attempt, whichever of the
three lines (PAM's, Dovecot's auth process's, the login process's or Postfix's) the log
holds. PAM's line names no mechanism, so it cannot tell a mechanism fallback (below): while
an smtpd session of the address that had a SASL failure within :data:`FALLBACK_WINDOW` is
open, PAM's line may be that client's next try, and counts nothing yet (it is *deferred*,
:meth:`SessionTracker._defer`). Postfix's line of the attempt, a few seconds later (after
the failure delays), counts it, or not when it is a fallback, as without PAM's lines. A
deferred line no later line of the address took counts, with a credit, when the last such
smtpd session of the address ends (one client behind NAT, or a bot's parallel connections,
may have several) or :data:`DEFER_WINDOW` after it
(:attr:`SessionTracker.released`: the caller counts it then). A connection's first try,
and every try outside such a session (IMAP, PAM's lines alone), counts at PAM's line.

The daemon reads auth.log and mail.log poll by poll: PAM's line of an attempt may come a
poll after the other lines of it (auth.log read just before PAM wrote, or a restart's
backlog read a piece of each file at a time). With :attr:`SessionTracker.late_pam` (the
daemon's, with several inputs), the attempts other lines accounted first are kept (by
address, name and time) for their PAM line, for :data:`CREDIT_WINDOW`: a PAM line no later
than one of them is that attempt's, and counts nothing
(:meth:`SessionTracker._pam_came_late`); PAM writes its line before the others of its
attempt, so one later than them all is a new attempt. Dovecot's own line of PAM's refusal
(``pam(…)``, ``pam_authenticate() failed``: :func:`_pam_refusal`) that no PAM line came
before is kept so always: a log holding both may have PAM's line after Dovecot's auth
lines of the attempt, in their second (one input, ``analyze``, ``explain``).

A failure line that is the only line of its attempt, or one the detector counts no guess
for (a mechanism not offered, bad base64, a disabled account: :func:`_stands_alone`),
stands for no other line's attempt: it takes no credit nor deferred PAM line, and leaves
no attempt for a late PAM line. Else a bot's ``AUTH XFOO`` beside its IMAP guesses would
take their PAM lines, and the guesses would count nothing.

A mail program whose password is wrong may try it by each mechanism it knows in one
connection: a failure of a name that failed before in the session, by a new mechanism, is
no new guess (:func:`_fallback` for Postfix's lines, :func:`_dovecot_fallback` for
Dovecot's auth lines: at most :data:`MAX_FALLBACKS` a session). It is still accounted,
so the closing line does not count it either. Dovecot with several passdbs writes each
one's refusal of an attempt: in a session, the next passdb's line of the same name is
that attempt's (:func:`_next_passdb`), and not accounted, so the closing line counts
what such a reading left out. Where the log cannot tell which connection
a try was of, the reading is the safe one: a misread may count two guesses where there
was one, never one where there were two (a bot gets no try for free).

Dovecot's auth lines of Postfix's SASL carry no session id. Postfix's line of the same
try follows within seconds (after the failure delay), in its smtpd session: a line of a
try after a failed one of an smtpd session of the address waits for it (as PAM's line
does), and the session judges the try (by Postfix's ``sasl_username=``, or, before 3.9,
by the auth line's account when that account is sure: every auth line of the address's
tries under way that may be this one's, by its mechanism, names it:
:meth:`SessionTracker._pair`). Behind NAT, or from a bot's parallel connections, one
address has several connections at once, whose tries must not mix: an address's run of
auth lines (:class:`_Run`) takes tries for fallbacks only until a Postfix line of the
address comes in it (then the tries are Postfix's, judged each by its session), and even
then Postfix's line of the try has the last word.

Verbose chat and TLS plaintext dump lines (AUTH_COMMAND, CLIENT_DATA, SERVER_REPLY) carry
no address: they join the open session of their smtpd process and take its client
address. AUTH payloads are decoded with :mod:`mailwarden.parsers.sasl`, including AUTH
LOGIN, whose username and password arrive as separate base64 lines after the command.
At both ``smtpd -v`` and ``smtpd_tls_loglevel = 4`` Postfix logs each client line twice
(the TLS dump's ``Read N chars: …``, its first 40 bytes, then the chat's ``< client:
…``) and each reply twice (``> client: …``, ``Write N chars: …``): the session's last
such line (:attr:`Session._last_line`, one per session) tells a copy of it
(:func:`_logged_twice`), which counts nothing, or when it is the chat's whole copy of a
line the dump cut, makes what the cut copy gave whole (:meth:`SessionTracker._again`).

A ``(reason unavailable)`` SASL failure right after ``warning: SASL: Connect to Dovecot
auth socket … failed`` from the same smtpd process is that server-side failure told
again, not a guess: it is accounted with it and counts nothing.

Bounded: at most ``max_open`` open sessions (and as many remembered smtpd clients,
addresses with credits, with runs of auth lines, with PAM lines and with attempts waiting
for theirs); beyond it the oldest are closed (``evicted``, counted).

Public surface: :class:`Session`, :class:`SessionTracker`, :func:`sessions_of`.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mailwarden.detect.accounts import CUT, account_key, local_part
from mailwarden.model import Category, Event, EventType, Strength
from mailwarden.parsers.dovecot import PAM_UNIX_REASON, SASL_MECHANISMS, THEN_ACCEPTED
from mailwarden.parsers.postfix import CYRUS_RESPONSE, MAX_RESPONSE, cyrus_response
from mailwarden.parsers.sasl import (
    Credential,
    decode_auth,
    decode_base64_line,
    decode_response,
)
from mailwarden.posixtime import PosixClock

SESSION_TIMEOUT = 3600.0
"""An open session with no line for this long is closed as expired (smtpd's own idle
limit is minutes; Dovecot login sessions end within ``login_max_inactivity``)."""
CREDIT_WINDOW = 900.0
"""A Dovecot auth-process failure stands in for the login line of the same attempt that
arrives within this many seconds (the login process logs at disconnect)."""
PAM_WINDOW = 60.0
"""Dovecot's auth-process line of an attempt comes this close after PAM's own line of it
at most (PAM returns after its failure delay, 2 s by default), for
:meth:`SessionTracker._same_as_pam`."""
DEFER_WINDOW = 60.0
"""A PAM line deferred for Postfix's line of its attempt (which comes after PAM's and
Dovecot's failure delays, 2 s each by default) counts on its own after this many seconds
at most, when nothing took it before (:meth:`SessionTracker._defer`)."""
HELD_WAIT = 60.0
"""A passdb's refusal held for the next passdb's answer (:attr:`Session._held`) counts
when no line of its session came for this many seconds: Dovecot asks the next passdb at
once, and its refusal or the login line follows, within a second or two on a quiet
server, several on a busy one or with a slow passdb (LDAP, SQL); a client that hung up
during PAM's failure delay leaves no such line (:meth:`SessionTracker._release_held`).
As long as `DEFER_WINDOW`: 5 s counted a person's correct password as a failure when
the next passdb took 6 s, or when another host's clock 7 s ahead moved the log's time
on (two typos then made a ban and "Maybe someone got in", found by review); a bot that
hung up is counted within a minute or two of quiet (housekeeping runs every minute)."""
HELD_BEFORE_LOGIN = 10.0
"""A login from an address counts the refusals held in its other sessions first
(:meth:`SessionTracker.release_held_of`) when they have waited this long: a client's
parallel connections (a mail client opens several at once) have their correct password
refused by PAM and accepted by the next passdb within seconds, and must not turn into
failures before their own logins."""
ENDED_WINDOW = 60.0
"""A Dovecot session whose login process's closing line came is remembered this long:
the auth worker's line of its last attempt may come after it (a client that hung up
during PAM's failure delay), and is held for no next passdb (:meth:`SessionTracker._has_ended`)."""
DUE_REBUILD = 65536
"""The queue of deferred lines' times is built again, without the entries of lines
taken since, when it grows this much past twice the lines still waiting."""
MAX_USERS_PER_SESSION = 16
MAX_CREDENTIALS_PER_SESSION = 16
MAX_CREDITS_PER_ADDRESS = 256
SWEEP_EVERY = 4096
_SWEEP_MASK = SWEEP_EVERY - 1
assert not SWEEP_EVERY & _SWEEP_MASK, "SWEEP_EVERY is a power of two"
MAX_OPEN = 200_000
"""Open sessions at most (the detector passes ``policy.max_clients``)."""
REASON_UNAVAILABLE = "(reason unavailable)"
_WEAK = Strength.WEAK

_T = EventType
_POSTFIX_ACCOUNTED = frozenset({_T.AUTH_FAILURE, _T.AUTH_ABORTED, _T.AUTH_UNAVAILABLE})
_DUMP = frozenset({_T.AUTH_COMMAND, _T.CLIENT_DATA, _T.SERVER_REPLY})
_INTERRUPTIONS = frozenset({_T.LOST_CONNECTION, _T.TIMEOUT})
_LOGIN_STEP_USER = 1
_LOGIN_STEP_PASSWORD = 2
_RESPONSE_STEP = 3
_LOGIN_STEP_USER_ASKED = 4
"""AUTH LOGIN's username step after the server's ``334`` prompt for it (a second prompt
with no client line between means the username line is not in the log)."""
_LOGIN_STEP_NAMELESS = 5
"""The password line of an AUTH LOGIN exchange whose username line the log lost was just
decoded: the SASL backend's answer to it (Dovecot's ``auth reply: FAIL?2?user=…`` at
``-v``) names the account; the next client or reply line ends the exchange."""
_LOGIN_STEP_PASSWORD_UNSURE = 6
"""AUTH LOGIN's password step after a line taken for the username that no ``334`` prompt
of the log asked for. A second line, or a prompt for the password, confirms it; when the
exchange ends before either, the log lost lines, and the one line may well have been the
password (the server answers only after the password): it is then no account, and
its text is kept as a password (:meth:`SessionTracker._finish_login`), never shown as a
name."""
_LOGIN_PROMPTS = {"VXNlcm5hbWU6": _LOGIN_STEP_USER, "UGFzc3dvcmQ6": _LOGIN_STEP_PASSWORD}
"""The usual AUTH LOGIN challenges (base64 ``Username:``, ``Password:``), known without
decoding."""

SessionKey = tuple[str | int | None, ...]
_Line = tuple[EventType, str | None, str | None, int | None, Credential | None]
"""A dump line as :func:`_logged_twice` compares it: (type, AUTH mechanism, text or
payload, ``N`` of the TLS dump's ``Read N chars:``/``Write N chars:`` or None for a
``-v`` chat or xsasl line, the credential it gave)."""


class Session:
    """The events of one client connection, as far as the log shows them.

    ``attempts_seen`` is how many AUTH attempts the session's lines account for (failed,
    cancelled or unanswered), ``failures`` how many of them were counted as new failed
    guesses by this session's lines (the rest were counted through a Dovecot auth-process
    credit or are not guesses). ``end`` is None while open, else ``disconnect`` (Postfix
    ``disconnect from``), ``login`` (Dovecot's login-process line), ``replaced`` (a new
    ``connect`` on the same smtpd process), ``expired`` or ``end of input``.
    """

    __slots__ = (
        "_auth_down",
        "_chain",
        "_cut",
        "_fallbacks",
        "_held",
        "_last_line",
        "_login_user",
        "_login_user_complete",
        "_mechanisms",
        "_pending_mechanism",
        "_pending_step",
        "attempts_seen",
        "closed",
        "credentials",
        "end",
        "events",
        "failed_as",
        "failures",
        "host",
        "ip",
        "key",
        "kind",
        "last",
        "names_at",
        "opened",
        "pid",
        "port",
        "program",
        "service",
        "session_id",
        "succeeded_as",
        "tls",
        "unresolved",
        "users",
    )

    def __init__(self, key: SessionKey, kind: str, event: Event, when: float) -> None:
        record = event.record
        self.key = key
        self.kind = kind
        """``postfix`` or ``dovecot``."""
        self.ip: str | None = event.ip
        self.port: int | None = event.port
        self.service: str | None = event.service
        self.program: str | None = record.program
        self.host: str | None = record.host
        self.pid: int | None = record.pid
        self.session_id: str | None = event.session
        self.opened: datetime | None = record.time
        self.closed: datetime | None = None
        self.last = when
        self.end: str | None = None
        self.attempts_seen = 0
        self.failures = 0
        self.users: list[str] = []
        """The account names tried, each once; a name the log cut off (Postfix's TLS dump
        keeps 40 bytes of an AUTH line) ends in ``…``, and gives way to the whole name
        when a line of the session names it (``sasl_username=`` of Postfix 3.9)."""
        self._cut: list[str] = []
        """The names in :attr:`users` that the log cut off (as stored, with ``…``)."""
        self.succeeded_as: list[str | None] = []
        self.credentials: list[Credential] = []
        self.tls: tuple[str, str] | None = None
        """(protocol, cipher) from the TLS summary line."""
        self.events: list[Event] | None = None
        self._pending_mechanism: str | None = None
        self._pending_step = 0
        self._login_user: str | None = None
        self._login_user_complete = True
        self._last_line: _Line | None = None
        """The session's last AUTH command, client line or ``334`` reply, for
        :func:`_logged_twice`."""
        self._mechanisms: dict[str, list[str]] | None = None
        """The mechanisms of the failed AUTH commands of each name (:func:`_fallback`,
        :func:`_dovecot_fallback`)."""
        self._fallbacks = 0
        """Failures taken for a mechanism fallback (:func:`_fallback`,
        :func:`_dovecot_fallback`)."""
        self._auth_down = False
        """The last AUTH line said the auth socket could not be reached (no client)."""
        self._chain: tuple[str, str | None, list[str]] | None = None
        """The name, the mechanism (2.4's lines name it) and the passdbs whose refusals
        the session's latest Dovecot attempt had so far (:func:`_next_passdb`)."""
        self._held: Event | None = None
        """The refusal line of the session's latest Dovecot attempt by a passdb that
        another one follows (:meth:`SessionTracker._passes_on`), not counted yet: the
        next passdb may accept the password (the login ends the session), or refuse it
        (its line, or the login process's ``auth failed``, counts it); with no line of
        the session for :data:`HELD_WAIT` (the client hung up), it counts then."""
        self.unresolved: list[int] | None = None
        """For the detector: its decoded credentials still waiting for the address."""
        self.failed_as: str | None = None
        """For the detector: the account (:func:`account_key`) of the session's first
        failure that named one (:meth:`Detector._names_in_connection`)."""
        self.names_at: float | None = None
        """For the detector: when a failure of the session last named another account
        than :attr:`failed_as` (None: none did)."""

    def __repr__(self) -> str:
        return (
            f"Session({self.kind}, ip={self.ip}, service={self.service}, "
            f"failures={self.failures}, end={self.end})"
        )

    def last_account(self) -> str | None:
        """The account the session's latest attempt named: the last name tried, unless
        it is AUTH LOGIN's one line no prompt nor second line showed to be the username
        (:data:`_LOGIN_STEP_PASSWORD_UNSURE`): a failure answers the password, so that
        line may well have been it, never to be shown as an account."""
        users = self.users
        if not users:
            return None
        user = users[-1]
        taken = self._login_user
        if (
            taken is not None
            and self._pending_step == _LOGIN_STEP_PASSWORD_UNSURE
            and (user == taken or user == taken + CUT)
        ):
            return None
        return user

    def add_user(self, user: str | None, complete: bool = True) -> None:
        """Note an account name tried (``complete``: not cut off by the log). One attempt
        seen as both a cut name and the whole one counts once."""
        if user is None:
            return
        if not complete:
            if any(u.startswith(user) for u in self.users):
                return  # the whole name is known already
            user += CUT
            if user not in self.users and len(self.users) < MAX_USERS_PER_SESSION:
                self.users.append(user)
                self._cut.append(user)
            return
        if self._cut:
            for cut in self._cut:
                if user.startswith(cut[:-1]):
                    self._cut.remove(cut)
                    self.users.remove(cut)
                    break
        if user not in self.users and len(self.users) < MAX_USERS_PER_SESSION:
            self.users.append(user)


def smtpd_key(event: Event) -> SessionKey | None:
    """The key of the smtpd session a line of Postfix's smtpd belongs to (host, program,
    pid, as :class:`SessionTracker` keys it); None for a line of any other program."""
    record = event.record
    program = record.program
    if record.pid is None or program is None or not program.endswith("smtpd"):
        return None
    return ("smtpd", record.host, program, record.pid)


def _is_smtpd(program: str | None) -> bool:
    return program is not None and program.endswith("smtpd")


def is_login_process(event: Event) -> bool:
    """True for a Dovecot login-process line (imap-login, pop3-login, …): it is written
    when the connection ends and sums up its attempts."""
    record = event.record
    program = record.program or ""
    return program.endswith("-login") or "-login: " in record.message[:32]


def is_auth_process(event: Event) -> bool:
    """True for a Dovecot auth-process line (``auth: passwd-file(user,ip): …``,
    ``auth-worker(…): pam(…)``, 2.4's ``auth(user,ip,sasl:plain)<…>: …``): one line per
    attempt, written before the login process (or Postfix) logs the same attempt."""
    record = event.record
    program = record.program or ""
    if _is_smtpd(program) or is_login_process(event):
        return False
    message = record.message
    return program.startswith("auth") or message.startswith(("auth", "pam_unix("))


def is_pam_unix(event: Event) -> bool:
    """PAM's own line of a failed login Dovecot checked through PAM
    (``pam_unix(dovecot:auth): authentication failure; … rhost=…``)."""
    return event.reason == PAM_UNIX_REASON and event.session is None


def _pam_name(user: str | None) -> str | None:
    """A name as PAM's line and the other lines of one attempt both tell it, for
    :meth:`SessionTracker._pam_came_late`: case-folded, without its domain. Dovecot may
    give PAM the name without it (``auth_username_format = %n``), where the login
    process's and Postfix's lines keep the client's ``user@domain``."""
    if user is None:
        return None
    return account_key(user).partition("@")[0]


def _cyrus_callback(event: Event) -> bool:
    """Cyrus SASL's own ``SASL authentication failure: …`` line (parsers.postfix
    ``_cyrus_failure``): written before Postfix's line of the same attempt, without the
    client's address."""
    detail = event.detail
    return event.type is _T.AUTH_FAILURE and detail is not None and detail.get("source") == "cyrus"


def _after_auth(event: Event) -> bool:
    detail = event.detail
    return detail is not None and detail.get("after", "").upper() == "AUTH"


def disconnect_failures(event: Event) -> int:
    """Failed AUTH commands in a Postfix ``disconnect from`` line (``auth=0/3`` gives 3);
    0 when the statistics say nothing about AUTH (or are absent: Postfix < 3.0)."""
    stats = event.detail.get("stats") if event.detail else None
    if not stats or "auth=" not in stats:
        return 0
    return max(0, event.attempts)


MAX_MECHANISMS = 8
"""Mechanisms remembered per name in a session (a server offers a few)."""
MAX_FALLBACKS = 2
"""Failed attempts of one session (or of one address's run of Dovecot auth lines without
a session id) taken for a mechanism fallback at most: a mail program tries one password
by the two or three mechanisms it knows, a bot never gains more than this."""
FALLBACK_WINDOW = 60.0
"""Dovecot auth-process failures without a session id of one address are one run of
tries (:class:`_Run`) while each comes within this many seconds of the last (Dovecot's
failure delay and penalty keep a client's tries at most 17 s apart); an smtpd session's
retry may follow its failure this long after (:meth:`SessionTracker._sasl_retry`)."""
MAX_WAITING = 64
"""Auth lines of an address's tries under way that its run keeps for Postfix's lines of
them (:attr:`_Run.waiting`); past it, the run pairs no line until all its tries are
answered."""
UNNAMED_MECHANISM = "(passdb)"
"""The mechanism of a Dovecot 2.3 auth line that a passdb wrote (``passwd-file(user,ip)``,
``pam(…)``): the line does not name it (see :func:`_dovecot_mechanism`)."""
_REFUSED = (
    "Password mismatch",
    "password mismatch",  # Dovecot 2.2's CRAM-MD5 and DIGEST-MD5
    "unknown user",
    "invalid credentials",
    "Invalid credentials",
    "pam_authenticate() failed: ",
)
"""Dovecot auth-process messages that refuse a password (or a name): what a fallback repeats."""


def _tried_before(tried: dict[str, list[str]], user: str, mechanism: str) -> bool:
    """Note that ``user`` failed by ``mechanism``; True when the name failed before in
    the same session, and never by this mechanism."""
    used = tried.get(user)
    if used is None:
        if len(tried) < MAX_MECHANISMS:
            tried[user] = [mechanism]
        return False
    if mechanism in used or len(used) >= MAX_MECHANISMS:
        return False
    used.append(mechanism)
    return True


def _fell_back(session: Session | _Run, user: str, mechanism: str) -> bool:
    """Note that ``user`` failed by ``mechanism`` in ``session`` (or a run standing for
    one); True when that is a fallback (:func:`_tried_before`) and the session has not
    had :data:`MAX_FALLBACKS` of them yet."""
    tried = session._mechanisms
    if tried is None:
        session._mechanisms = {user: [mechanism]}
        return False
    if not _tried_before(tried, user, mechanism) or session._fallbacks >= MAX_FALLBACKS:
        return False
    session._fallbacks += 1
    return True


def _fallback(session: Session, event: Event) -> bool:
    """Whether a failed AUTH command of a Postfix session is a mail program trying the
    password it just failed with by the next mechanism it knows (CRAM-MD5, then PLAIN,
    then LOGIN, as some do when a password is wrong), not another guess: the same name
    (``sasl_username=``, Postfix 3.9 and later) failed before in this session, and never by
    this mechanism (a refused password, not a protocol error such as bad base64 or a
    mechanism not offered). A client repeating one mechanism is counted each time, and one
    alternating two is counted from its second round: at most :data:`MAX_FALLBACKS` of
    each session's tries go uncounted, also when a bot tries name after name by two
    mechanisms each. Remembers the mechanism either way."""
    mechanism = event.mechanism
    user = event.user
    if mechanism is None or user is None or "nvalid" in (event.reason or ""):
        # A protocol error (bad base64, a mechanism not offered) tried no password; and
        # without the name (Postfix before 3.9) the tries may be of other accounts.
        return False
    return _fell_back(session, user, mechanism)


def _dovecot_mechanism(event: Event) -> str | None:
    """The mechanism of a Dovecot auth-process failure, for :func:`_dovecot_fallback`.

    Dovecot 2.4 names it in every auth line (``auth(user,ip,sasl:plain)<…>``). Dovecot
    2.3 names it only when the mechanism itself checked the password (``cram-md5(user,ip,
    <…>): Password mismatch``); when a passdb checked it
    (``passwd-file(user,ip,<…>)``, ``pam(…)``: PLAIN, LOGIN, and IMAP's LOGIN command, which
    is PLAIN) the line does not say which, as real Dovecot 2.3.19 shows. Those all count
    as one mechanism, :data:`UNNAMED_MECHANISM`: the safe reading, as it can only take two
    mechanisms for one (PLAIN then LOGIN of one password counts twice), never one for
    two (a bot repeating PLAIN is counted each time). For Postfix's SASL such a line of
    a try after a failed one in the same smtpd session waits for Postfix's line of it,
    which names the mechanism (:meth:`SessionTracker._defer`, as PAM's line does). None
    (no fallback) otherwise."""
    if event.mechanism is not None:
        return event.mechanism
    detail = event.detail
    if detail is not None and "db" in detail:
        return UNNAMED_MECHANISM
    return None


def _refused(event: Event) -> bool:
    """A Dovecot auth-process line that refused a password (or a name), not a protocol
    error (a name with characters not allowed) nor a locked account."""
    return event.strength is Strength.STRONG and (event.reason or "").startswith(_REFUSED)


def _stands_alone(event: Event) -> bool:
    """Whether a failure line of Postfix or of Dovecot's login process is its attempt's
    only line, or one the detector counts no guess for: a weak failure (a mechanism not
    offered, a disabled account: accounted, never a guess) or a protocol error the server
    told itself (bad base64: no password was checked, so no PAM or auth-process line of
    the attempt exists). Such a line stands for no other line's attempt: it takes no
    deferred PAM line (a weak line would drop the guess it counts), no credit, leaves
    no attempt waiting for a late PAM line (:meth:`SessionTracker._pam_came_late`: a real
    guess's PAM line, the only line of its attempt when its client hung up during the
    failure delay, would pair with it and count nothing), and marks no smtpd session
    failing (no password was refused: the next try is no fallback of it). Not for
    auth-process lines, whose ``Invalid credentials`` refuses a password."""
    return event.strength is _WEAK or "nvalid" in (event.reason or "")


def _dovecot_fallback(session: Session, event: Event) -> bool:
    """Whether a Dovecot auth-process failure of a session (``<session>`` in the line) is
    the password its client just failed with, tried by the next mechanism it knows: as
    :func:`_fallback` for Postfix, the same name failed before in this session by a
    refused password, never by this mechanism (:func:`_dovecot_mechanism`), and the
    password was refused again; at most :data:`MAX_FALLBACKS` per session. A bot repeating
    one mechanism is counted each time; one rotating mechanisms gains two tries at most.

    The login process's closing line (``auth failed, N attempts``) names only the last
    attempt's mechanism (``method=``): the mechanisms of the others are unknown, so its
    attempts that no auth line told (``auth_verbose = no``, Dovecot's default) count each,
    as before: without the auth lines a fallback counts N."""
    user = event.user
    if user is None or event.attempts > 1 or not _refused(event):
        return False
    mechanism = _dovecot_mechanism(event)
    if mechanism is None:
        return False
    return _fell_back(session, user, mechanism)


MAX_PASSDBS = 8
"""Passdbs of one attempt remembered at most (:func:`_next_passdb`)."""
NEXT_PASSDB_WINDOW = 5.0
"""Dovecot asks the next passdb as soon as one refused: its line of the attempt comes this
close after the first passdb's at most (:meth:`SessionTracker._loose_next_passdb`, for
auth lines without a session id). PAM's line comes after its failure delay (2 s ±25%,
stamped to the second: 3 s after passwd-file's, when passwd-file is first); every attempt
starts with its first passdb's line, so a wide window hides no attempt."""
MAX_LOOSE_CHAINS = 16
_PAIRED = "paired"
"""pam_unix's line is that of a try another passdb's line counted
(:meth:`SessionTracker._pam_after`)."""
_WAITS = "waits"
"""pam_unix's line may be that of such a try: it waits for PAM's refusal of it."""
"""Attempts under way at once of one address and name remembered at most
(:meth:`SessionTracker._loose_next_passdb`): a client's parallel connections."""


def _refusing_passdb(event: Event) -> str | None:
    """The passdb of a one-try refusal of a named user (``db`` of its detail, not a
    mechanism's own check), for :func:`_next_passdb` and
    :meth:`SessionTracker._loose_next_passdb`; None for any other line."""
    detail = event.detail
    db = detail.get("db") if detail is not None else None
    if (
        db is None
        or db.lower() in SASL_MECHANISMS
        or event.user is None
        or event.attempts != 1
        or not _refused(event)
    ):
        return None
    return db


def _next_passdb(session: Session, event: Event) -> bool:
    """Whether a Dovecot auth-process failure of a session (``<session>`` in the line)
    is the next passdb's answer to the attempt an earlier passdb refused just before it,
    not another attempt: Dovecot asks its passdbs in turn, each writing its refusal, and
    without ``auth_verbose_passwords`` the earlier ones' lines lack the `` - trying the
    next passdb`` that tells it (with it they count nothing: parsers.dovecot
    ``NEXT_DB``). So, in one session, a refusal of the name (by the mechanism, where
    the line names one: 2.4) the latest attempt's refusals were of, by a passdb none of
    them was by, is that attempt's; one by a passdb the attempt had already is the next
    attempt (which starts with the first passdb again), as is any other name or
    mechanism, or a line that no passdb wrote (the mechanism's own check: 2.3's
    ``cram-md5(…)``, 2.4's ``cram-md5: Password mismatch``). Notes the passdb either
    way.

    Where a passdb logs nothing for one attempt (its lookup failed; a cached answer)
    and a refusal for the next, two attempts may read as one: the login process's
    closing line (``auth failed, N attempts``) counts what the auth lines left uncounted,
    as these lines are not accounted."""
    db = _refusing_passdb(event)
    user = event.user
    if db is None or user is None:
        session._chain = None
        return False
    chain = session._chain
    mechanism = event.mechanism
    if (
        chain is not None
        and chain[0] == user
        and chain[1] == mechanism
        and db not in chain[2]
        and len(chain[2]) < MAX_PASSDBS
    ):
        chain[2].append(db)
        return True
    session._chain = (user, mechanism, [db])
    return False


def _pam_refusal(event: Event) -> bool:
    """Whether Dovecot's auth line ``event`` is PAM's refusal (``pam(…)``,
    ``pam_authenticate() failed``): PAM wrote its own line of the attempt too, before
    this one, or, in a log holding both, perhaps after it in its second
    (:meth:`SessionTracker._pam_came_late`)."""
    detail = event.detail
    db = detail.get("db") if detail is not None else None
    return (db is not None and db.casefold() == "pam") or (event.reason or "").startswith(
        "pam_authenticate()"
    )


def _same_name(held: str | None, login: str | None) -> bool:
    """Whether a passdb's refusal of the name ``held`` may be of the login as ``login``
    (case and domain aside: Dovecot's ``auth_username_format`` may change them)."""
    if held is None or login is None:
        return True
    return local_part(held).casefold() == local_part(login).casefold()


def _paired_fallback(session: Session, event: Event, line: Event) -> bool:
    """:func:`_fallback` for Postfix's failure line ``event`` that names no account
    (Postfix before 3.9), by Dovecot's auth line of the same try (``line``, without a
    session id: :meth:`SessionTracker._pair`), which does: the name refused, the
    mechanism Postfix names (the auth line's, when it names one: Dovecot 2.4, or 2.3's
    CRAM-MD5). Remembers the name's mechanism in the session either way."""
    mechanism = event.mechanism
    user = line.user
    if event.user is not None or mechanism is None or user is None or not _refused(line):
        return False
    named = line.mechanism
    if named is not None and named.upper() != mechanism.upper():
        return False
    return _fell_back(session, user, mechanism)


class _Told:
    """A try a passdb other than PAM refused, whose line counted it, when PAM may be asked
    next (:attr:`SessionTracker._before_pam`): pam_unix's own line of the try, written as
    PAM is asked, is no other try. Tied to its try (``tie``: its Dovecot session, or the
    chain of passdbs of a Postfix SASL try, :meth:`SessionTracker._loose_next_passdb`):
    ``confirmed`` once the auth worker's line of PAM's refusal of that try came (the tie
    then goes: an ended session is not kept); a pam_unix line paired before that
    (``claimed``, ``line``) waits, deferred, for it or for the try's end. A session's
    entry goes when the session ends (expired, evicted too)."""

    __slots__ = ("claimed", "confirmed", "line", "tie", "user", "when")

    def __init__(self, when: float, user: str | None, tie: object) -> None:
        self.when = when
        self.user = user
        self.tie = tie
        self.confirmed = False
        self.claimed = False
        self.line: Event | None = None
        """The pam_unix line it claimed, deferred: only its PAM refusal (which uses it
        up) or its end (the line then waits as any deferred line) settles it."""


class _Run:
    """Dovecot auth-process failures without a session id from one address, each within
    :data:`FALLBACK_WINDOW` of the last: the names and mechanisms that failed, and how
    many tries were taken for a fallback (as a :class:`Session` keeps them, for
    :func:`_fell_back`), and which line is whose try (:meth:`SessionTracker._pair`).

    Once a Postfix SASL failure line of the address came in the run (``postfix``), the
    tries are Postfix's: the run takes none for a fallback any more, as it may hold the
    tries of several connections of the address (NAT, a bot's parallel connections);
    each smtpd session judges its own tries (:func:`_fallback`, :func:`_paired_fallback`).
    """

    __slots__ = ("_fallbacks", "_mechanisms", "last", "postfix", "unanswered", "waiting")

    def __init__(self, when: float) -> None:
        self.last = when
        self._mechanisms: dict[str, list[str]] | None = None
        self._fallbacks = 0
        self.postfix = False
        """A Postfix SASL failure line of the address came in the run."""
        self.unanswered = 0
        """Tries of the run whose Postfix line has not come (yet)."""
        self.waiting: list[Event | None] | None = []
        """The auth lines of those tries (None for PAM's, which names no account), and of
        tries answered since by a Postfix line that could not tell which was its own: the
        line of every try under way is here (:meth:`whose`). Emptied when no try is under
        way; None past :data:`MAX_WAITING` lines, until then."""

    def whose(self, mechanism: str | None) -> Event | None:
        """The auth line of the try Postfix's failure line by ``mechanism`` answers, as
        far as its account and refusal go, when that is sure: every line waiting that may
        be of that try (of that mechanism, or naming none) names the same account, and
        refused alike. None when not: lines of two accounts (NAT, a bot's parallel
        connections) whose order of answer the log does not tell, PAM's line (no
        account), or none."""
        waiting = self.waiting
        if not waiting:
            return None
        sure: Event | None = None
        for line in waiting:
            if line is None:
                return None
            named = line.mechanism
            if named is not None and mechanism is not None and named != mechanism:
                continue
            if sure is None:
                sure = line
            elif line.user != sure.user or _refused(line) != _refused(sure):
                return None
        return sure


class _Failing:
    """The open smtpd sessions of one address that had a SASL failure (their keys, at
    most :data:`MAX_CREDITS_PER_ADDRESS`), and when the latest failure was: while one is
    open, a PAM (or Dovecot auth) line of the address may be its next try
    (:meth:`SessionTracker._defer`)."""

    __slots__ = ("keys", "last")

    def __init__(self, when: float) -> None:
        self.last = when
        self.keys: set[SessionKey] = set()


class SessionTracker:
    """Joins events into sessions and counts each AUTH attempt once.

    :meth:`feed` takes events in log order and returns ``(session, new_failures)``: the
    session the event belongs to (None for events outside any session, such as
    postscreen lines) and how many *new* failed attempts this event stands for once the
    attempts already counted are subtracted. The caller decides whether they are guesses
    (a weak failure, such as an invalid mechanism, is accounted but not a guess).

    After each :meth:`feed`, :attr:`decoded` lists the AUTH payloads decoded by that event
    and :attr:`logins` the successful logins it revealed (one per session and user), and
    :attr:`released` the deferred PAM lines that count now, one failed attempt each (also
    after :meth:`expire` and :meth:`close_all`); the caller clears them. Memory is bounded:
    sessions idle for :data:`SESSION_TIMEOUT` expire, and closed sessions are not kept
    unless ``collect`` is set.
    """

    def __init__(
        self,
        keep_events: bool = False,
        collect: bool = False,
        max_open: int = MAX_OPEN,
        late_pam: bool = False,
    ) -> None:
        self.keep_events = keep_events
        self.collect = collect
        self.eager = keep_events or collect
        """Build a session for every connection (explain); otherwise only for connections
        whose lines matter for counting (the detector: most sessions never log in)."""
        self._peers: dict[SessionKey, tuple[str | None, int | None, float]] = {}
        """Lazy mode: the client of each open smtpd connection, until it matters."""
        self.open: dict[SessionKey, Session] = {}
        self.all: list[Session] = []
        """Every session, in the order they began (only when ``collect``)."""
        self.decoded: list[tuple[Session, Credential]] = []
        self.renamed: list[tuple[Credential, Credential]] = []
        """Credentials of :attr:`decoded` that a later line named the account of (the
        SASL backend's answer to an AUTH LOGIN whose username line the log lost), or
        that the chat's whole copy of the line the TLS dump cut made whole
        (:meth:`_again`): (as decoded, as named). The caller clears it, as
        :attr:`decoded`."""
        self.logins: list[tuple[Session | None, str | None, Event]] = []
        self.now = 0.0
        """The latest event time seen, in POSIX seconds."""
        self.expired = 0
        self.max_open = max(1, max_open)
        self.evicted = 0
        """Sessions closed early because more than ``max_open`` were open."""
        self.on_address: Callable[[Session], None] | None = None
        """Called when a session with :attr:`Session.unresolved` learns its address."""
        self._credits: dict[str, list[float]] = {}
        self._runs: dict[str, _Run] = {}
        """Dovecot auth failures without a session id, by address (:meth:`_loose_fallback`)."""
        self._pam: dict[str, list[tuple[float, str | None]]] = {}
        """PAM's own failure lines not yet followed by Dovecot's line of the same attempt:
        (time, case-folded user) by address (:meth:`_same_as_pam`)."""
        self.late_pam = late_pam
        """PAM's line of an attempt may come after the other lines of it (the daemon reads
        auth.log and mail.log poll by poll): the attempts other lines accounted are kept
        for it (:meth:`_pam_came_late`); Dovecot's lines of PAM's refusal are, always."""
        self._unpaired: dict[str, list[tuple[float, str | None]]] = {}
        """With :attr:`late_pam` (or for Dovecot's lines of PAM's refusal): the attempts
        lines other than PAM's accounted, whose PAM line has not come: (time of the line,
        case-folded user) by address."""
        self._before_pam: dict[str, list[_Told]] = {}
        """Tries a passdb other than PAM refused (its line counted them) within
        :data:`NEXT_PASSDB_WINDOW`, by address, least recently refused first: when PAM
        is a later passdb, pam_unix's own line of such a try follows (:meth:`_pam_after`).
        Only tries still under way (their session open, not told over)."""
        self._pam_next: set[str] = set()
        """Passdbs (case-folded) whose refusal of a try PAM's refusal of it followed."""
        self.same_as_pam = False
        """The event just fed is Dovecot's line of an attempt PAM's own line counted
        (explain says so); the caller clears it."""
        self.fell_back = False
        """The event just fed counted nothing because it is a mechanism fallback (the
        password just refused, tried by another mechanism: :func:`_fell_back`); explain
        says so, the caller clears it."""
        self.next_passdb = False
        """The event just fed counted nothing because it is the next passdb's refusal of
        the attempt an earlier passdb's line counted (:func:`_next_passdb`); explain says
        so, the caller clears it."""
        self.pam_late = False
        """The event just fed is PAM's line of an attempt another line told before it
        (:meth:`_pam_came_late`): it counted nothing; explain says so, the caller clears
        it."""
        self.passed_on = False
        """The event just fed is a login whose password a passdb refused before the next
        one accepted it (:meth:`_passes_on`): that refusal counted no failed attempt;
        explain says so, the caller clears it."""
        self._followed: set[str] = set()
        """Passdbs (case-folded names) whose refusal of an attempt the next passdb's line
        of it followed (:func:`_next_passdb`): Dovecot asks another passdb after them."""
        self._pam_dbs: set[str] = set()
        """Passdbs (case-folded names) whose lines are PAM's (``pam(…)``,
        ``pam_authenticate() failed``)."""
        self._pam_followed = False
        """A PAM passdb's refusal was followed by the next passdb's line of the attempt:
        PAM's own line of an attempt may be of one the next passdb accepts, and waits
        for Dovecot's lines of it (:meth:`_defer`)."""
        self._loose_chains: dict[tuple[str, str], list[tuple[float, str | None, list[str]]]]
        self._loose_chains = {}
        """By address and case-folded name, least recently used first: the attempts under
        way told by Dovecot's refusals without a session id, oldest first: the time of
        the first refusal, its mechanism, and the passdbs that refused the attempt
        (:meth:`_loose_next_passdb`)."""
        self.cyrus_user: str | None = None
        """The name the event just fed (Cyrus's decoded copy of an AUTH LOGIN line whose
        client line the log lost) gave the session as its username, tentatively
        (:meth:`_cyrus_response`); explain says so, the caller clears it."""
        self.cyrus_taken = False
        """The event just fed, Cyrus's decoded copy of an AUTH LOGIN line whose client
        line the log lost, is the exchange's username or password
        (:meth:`_cyrus_response`): the session's credential counts it, the detector not
        again. The caller clears it."""
        self._smtpd_ips: dict[str, _Failing] = {}
        """Addresses whose open smtpd sessions had a SASL failure: which, and when the
        latest was (:meth:`_defer`)."""
        self._deferred: dict[str, list[tuple[float, Event, bool]]] = {}
        """PAM lines (and Dovecot's auth lines without a session id) waiting for Postfix's
        line of their attempt, by address, and whether the address's run of auth lines
        took the attempt for a fallback (:meth:`_defer`)."""
        self._release_at = float("inf")
        """When the oldest deferred PAM line is due (:meth:`_release_due`)."""
        self._due: deque[tuple[float, str]] = deque()
        """(time, address) of each deferred line, in the order deferred: what may be due
        next (:meth:`_release_due`); an entry of a line taken since is passed over."""
        self._due_limit = DUE_REBUILD
        """When :attr:`_due` is longer, it is built again from the lines still deferred."""
        self._holding: dict[SessionKey, float] = {}
        """Sessions whose refusal is held (:attr:`Session._held`), with the time of their
        latest line (by time in :attr:`_hold_queue`: :meth:`_release_held`)."""
        self._hold_at = float("inf")
        """When the oldest held refusal is due (:meth:`_release_held`)."""
        self._hold_queue: list[tuple[float, int, SessionKey]] = []
        """A heap of (time, order held, key) of :attr:`_holding`'s entries: what is due
        first is at its top, whatever order the lines came in (a few seconds out of order:
        two hosts' or programs' syslog merged). An entry whose key was held again since,
        or let go of, stays until it is due and is passed over then."""
        self._held_count = 0
        """Entries put in :attr:`_hold_queue` (their order among equal times)."""
        self._held_indexed = 0
        """The keys in :attr:`_held_by_ip` (at most ``max_open``)."""
        self._held_by_ip: dict[str, list[SessionKey]] = {}
        """The sessions of each address that held a refusal (some counted or let go of
        since): where :meth:`release_held_of` looks, not in every held session."""
        self._ended: dict[str, float] = {}
        """Dovecot session ids whose login process's closing line came, and when (for
        :data:`ENDED_WINDOW`, ``max_open`` at most)."""
        self.released: list[Event] = []
        """Deferred PAM lines that no other line of their attempt took: each is one failed
        attempt the caller counts now (as if :meth:`feed` had returned 1 for it); the caller
        clears it."""
        self.credited = 0
        """Attempts of the Dovecot login line just fed that auth-process lines without a
        session id (2.2's, PAM's) counted before it (explain says so); the caller clears
        it."""
        self._last_time: datetime | None = None
        self._last_seconds = 0.0
        self._clock = PosixClock()
        """POSIX seconds of the events' times (:meth:`seconds`)."""
        self._fed = 0

    # -- time ------------------------------------------------------------------------

    def seconds(self, event: Event) -> float:
        """The event's time in POSIX seconds; an event without a time takes the latest."""
        time = event.record.time
        if time is None:
            return self.now
        if time is not self._last_time:
            self._last_time = time
            self._last_seconds = self._clock.seconds(time)
            if self._last_seconds > self.now:
                self.now = self._last_seconds
        return self._last_seconds

    # -- feeding ---------------------------------------------------------------------

    @property
    def holds_any(self) -> bool:
        """Whether a session holds a passdb's refusal for the next passdb's answer
        (:attr:`Session._held`): only then may a login count some first
        (:meth:`release_held_of`)."""
        return bool(self._holding)

    def _wait_over(self, event: Event) -> None:
        """The deferred PAM lines (:meth:`_defer`) and held refusals (:meth:`_hold`) whose
        wait is over by ``event``'s time count now (:attr:`released`). Called, by
        :meth:`feed` and :meth:`_smtpd_key`, only when either waits."""
        if self._deferred and self.seconds(event) >= self._release_at:
            self._release_due(self.now)
        if self._holding and self.seconds(event) >= self._hold_at:
            self._release_held(self.now)

    def feed(self, event: Event) -> tuple[Session | None, int]:
        """Attach ``event`` to its session; return the session and the new failures."""
        self._fed += 1
        if self._fed % SWEEP_EVERY == 0:
            self.expire(self.now)
        if self._deferred or self._holding:
            self._wait_over(event)
        record = event.record
        program = record.program
        if program is not None and program.endswith("smtpd"):
            if record.pid is None:
                return None, self._loose_attempts(event)
            return self._postfix(event, ("smtpd", record.host, program, record.pid))
        if event.session is not None:
            return self._dovecot(event)
        return None, self._loose_attempts(event)

    def _session_for(self, key: SessionKey, kind: str, event: Event, when: float) -> Session:
        session = self.open.get(key)
        if session is None:
            session = Session(key, kind, event, when)
            if self.keep_events:
                session.events = []
            open_ = self.open
            open_[key] = session
            if len(open_) > self.max_open:
                self._evict()
            if self.collect:
                self.all.append(session)
        return session

    def _forget_oldest(self, table: dict[Any, Any]) -> None:
        """Forget the oldest tenth of a table of addresses (or clients) that reached
        ``max_open``: its memory is bounded. Its callers check whether it is full."""
        for stale in list(table)[: max(1, self.max_open // 10)]:
            del table[stale]

    def _remember(self, table: dict[str, list[Any]], ip: str, item: Any, count: int = 1) -> None:
        """Add ``count`` copies of ``item`` to what ``table`` keeps of ``ip`` (PAM lines,
        credits, attempts waiting for their PAM line): its newest
        :data:`MAX_CREDITS_PER_ADDRESS`, of ``max_open`` addresses at most (a new one past
        that forgets the oldest: :meth:`_forget_oldest`)."""
        kept = table.get(ip)
        if kept is None:
            if len(table) >= self.max_open:
                self._forget_oldest(table)
            kept = table[ip] = []
        kept.extend([item] * min(count, MAX_CREDITS_PER_ADDRESS))
        if len(kept) > MAX_CREDITS_PER_ADDRESS:
            del kept[: len(kept) - MAX_CREDITS_PER_ADDRESS]

    def _evict(self) -> None:
        """Too many open sessions (a flood): close the oldest tenth."""
        open_ = self.open
        for old in list(open_)[: max(1, self.max_open // 10)]:
            session = open_.pop(old)
            self._close(session, "evicted", None)
            self._gone(session, old)
            self.evicted += 1

    def _learned(self, session: Session) -> None:
        if session.unresolved is not None and self.on_address is not None:
            self.on_address(session)

    def _touch(self, session: Session, event: Event, when: float) -> None:
        """What every line of an open Postfix session tells: it is alive at ``when``, and
        the client's address and the service when the session did not know them yet."""
        session.last = when
        ip = event.ip
        if session.ip is None and ip is not None:
            session.ip = ip
            session.port = event.port
            if session.unresolved is not None:
                self._learned(session)
        if session.service is None:
            session.service = event.service

    def _when(self, event: Event) -> float:
        """:meth:`seconds`, cached for the run of events that share one record's time."""
        time = event.record.time
        if time is not None and time is self._last_time:
            return self._last_seconds
        return self.seconds(event)

    def _smtpd_key(self, event: Event) -> SessionKey | None:
        """The session key of a line of a lazy tracker's Postfix smtpd, counted as fed
        (with the sweep every so often) for the fast paths below; None for any other
        line, which goes through :meth:`feed`."""
        record = event.record
        program = record.program
        pid = record.pid
        if self.eager or pid is None or program is None or not program.endswith("smtpd"):
            return None
        fed = self._fed = self._fed + 1
        if not fed & _SWEEP_MASK:
            self.expire(self.now)
        if self._deferred or self._holding:
            self._wait_over(event)
        return ("smtpd", record.host, program, pid)

    def _postfix(self, event: Event, key: SessionKey) -> tuple[Session | None, int]:
        etype = event.type
        when = self._when(event)
        if etype is _T.CONNECT:
            old = self.open.pop(key, None)
            if old is not None:
                self._close(old, "replaced", event)
                self._gone(old, key)
            if not self.eager:
                # Most sessions never try to log in: remember the client, build nothing.
                peers = self._peers
                peers[key] = (event.ip, event.port, when)
                if len(peers) > self.max_open:
                    self._forget_oldest(peers)
                return None, 0
        session = self.open.get(key)
        if session is None:
            if not self.eager and etype is _T.DISCONNECT:
                return None, self._quiet_disconnect(event, key, when)
            if not self.eager and etype in _INTERRUPTIONS and not _after_auth(event):
                return None, 0
            session = self._postfix_session(key, event, when)
        return self._postfix_line(event, key, session, when)

    def _postfix_session(self, key: SessionKey, event: Event, when: float) -> Session:
        session = self._session_for(key, "postfix", event, when)
        peer = self._peers.pop(key, None) if self._peers else None
        if peer is not None and session.ip is None:
            session.ip, session.port, _ = peer
        return session

    def disconnect(self, event: Event) -> tuple[Session | None, int]:
        """:meth:`feed` for a DISCONNECT event, the detector's most frequent one."""
        key = self._smtpd_key(event)
        if key is None:
            return self.feed(event)
        when = self._when(event)
        session = self.open.pop(key, None)
        if session is None:
            return None, self._quiet_disconnect(event, key, when)
        # _postfix_line() for a DISCONNECT, inlined: the session ends here.
        self._touch(session, event, when)
        ip = event.ip
        new = 0
        detail = event.detail
        if detail is not None:
            stats = detail.get("stats")
            if stats and "auth=" in stats:  # disconnect_failures()
                extra = max(0, event.attempts) - session.attempts_seen
                if extra > 0:
                    session.attempts_seen += extra
                    new = extra
                    if self._credits or self._deferred or self.late_pam:
                        new -= self._take_credit(ip or session.ip, when, extra)
                    session.failures += new
            auth_ok = detail.get("auth_ok")
            if auth_ok and auth_ok != "0" and not session.succeeded_as:
                self._login(session, self._last_user(session), event)
        session.end = "disconnect"  # _close()
        session.closed = event.record.time
        if session._pending_step:
            self._finish_login(session)
        if self._smtpd_ips or self._deferred:
            self._left(ip or session.ip, key)
        return session, new

    def interruption(self, event: Event) -> tuple[Session | None, int]:
        """:meth:`feed` for a LOST_CONNECTION or TIMEOUT event."""
        key = self._smtpd_key(event)
        if key is None:
            return self.feed(event)
        when = self._when(event)
        detail = event.detail
        after_auth = detail is not None and detail.get("after", "").upper() == "AUTH"
        session = self.open.get(key)
        if session is None:
            if not after_auth:
                return None, 0
            return self._postfix_line(event, key, self._postfix_session(key, event, when), when)
        # _postfix_line() for an interruption, inlined.
        self._touch(session, event, when)
        if after_auth:
            # The client left in the middle of an AUTH exchange: the statistics count
            # that AUTH as failed, but no password was refused.
            session.attempts_seen += 1
        return session, 0

    def failure(self, event: Event) -> tuple[Session | None, int]:
        """:meth:`feed` for an AUTH_FAILURE event (the Postfix case inlined)."""
        key = self._smtpd_key(event)
        if key is None:
            return self.feed(event)
        when = self._when(event)
        open_ = self.open
        session = open_.get(key)
        if session is not None:
            return self._postfix_line(event, key, session, when)
        if event.ip is None and _cyrus_callback(event):
            return self._postfix_line(event, key, self._postfix_session(key, event, when), when)
        # The first line of a session (no connect line, or a lazy tracker's): inlined.
        session = Session(key, "postfix", event, when)
        open_[key] = session
        if len(open_) > self.max_open:
            self._evict()
        peers = self._peers
        if peers:
            peer = peers.pop(key, None)
            if peer is not None and session.ip is None:
                session.ip, session.port, _ = peer
        attempts = event.attempts
        if attempts < 1:
            attempts = 1
        session.attempts_seen = attempts
        user = event.user
        if user is not None:
            session.users.append(user)
        ip = event.ip or session.ip
        if _stands_alone(event):
            # A mechanism not offered, bad base64: no other line's attempt is this one's.
            if self._runs and ip is not None:
                self._pair(ip, event, when)  # its Postfix line came in the address's run
            session.failures = attempts
            return session, attempts
        _fallback(session, event)  # the first is a guess; its mechanism is remembered
        self._sasl_failed(ip, when, key, event)
        if self._runs and ip is not None:
            line = self._pair(ip, event, when)
            if line is not None and attempts == 1:
                _paired_fallback(session, event, line)  # remembered, as above
        if self._credits or self._deferred or self.late_pam:
            attempts -= self._take_credit(ip, when, attempts, judged=True, user=user)
        session.failures = attempts
        return session, attempts

    def _postfix_line(
        self, event: Event, key: SessionKey, session: Session, when: float
    ) -> tuple[Session | None, int]:
        """One line of an open Postfix session: what it accounts."""
        etype = event.type
        if session.events is not None:
            session.events.append(event)
        self._touch(session, event, when)
        new = 0
        if etype in _POSTFIX_ACCOUNTED:
            if event.ip is None and _cyrus_callback(event):
                # Cyrus's own line of the attempt the ``SASL … authentication failed``
                # line after it accounts: it only joins the session.
                return session, 0
            if session._auth_down:
                session._auth_down = False
                if etype is _T.AUTH_FAILURE and (event.reason or "").startswith(REASON_UNAVAILABLE):
                    # The auth socket was down: this repeats that line (one attempt,
                    # already accounted), it is no guess.
                    session.add_user(event.user)
                    return session, 0
            attempts = max(1, event.attempts)
            session.attempts_seen += attempts
            session.add_user(event.user)
            if etype is _T.AUTH_FAILURE:
                ip = event.ip or session.ip
                if _stands_alone(event):
                    # A mechanism not offered, bad base64: its attempts are its own
                    # (the detector counts no guess for a weak one), no fallback follows.
                    if self._runs and ip is not None:
                        self._pair(ip, event, when)
                    session.failures += attempts
                    return session, attempts
                self._sasl_failed(ip, when, key, event)
                line = self._pair(ip, event, when) if self._runs and ip is not None else None
                if attempts == 1 and (
                    _fallback(session, event)
                    or (line is not None and _paired_fallback(session, event, line))
                ):
                    # The same password again, by another mechanism; a Dovecot auth line
                    # of this attempt (its credit) was accounted for it already, or PAM's
                    # line of it waits, deferred: it is no guess either.
                    self.fell_back = True
                    if self._credits or self._deferred or self.late_pam:
                        self._take_credit(ip, when, 1, judged=True, user=event.user)
                    return session, 0
                new = attempts - self._take_credit(ip, when, attempts, judged=True, user=event.user)
                session.failures += new
            elif etype is _T.AUTH_UNAVAILABLE and event.category is Category.SERVER:
                session._auth_down = True
        elif etype is _T.DISCONNECT:
            extra = max(0, disconnect_failures(event) - session.attempts_seen)
            if extra:
                session.attempts_seen += extra
                new = extra - self._take_credit(event.ip or session.ip, when, extra)
                session.failures += new
            auth_ok = event.detail.get("auth_ok") if event.detail else None
            if auth_ok and auth_ok != "0" and not session.succeeded_as:
                self._login(session, self._last_user(session), event)
            del self.open[key]
            self._close(session, "disconnect", event)
            if self._smtpd_ips or self._deferred:
                self._left(event.ip or session.ip, key)
        elif etype in _INTERRUPTIONS:
            if _after_auth(event):
                # The client left in the middle of an AUTH exchange: the statistics count
                # that AUTH as failed, but no password was refused.
                session.attempts_seen += 1
        elif etype is _T.AUTH_SUCCESS:
            self._login(session, event.user, event)
        elif etype in _DUMP:
            self._dump(session, event)
        elif etype is _T.TLS_ESTABLISHED and event.detail:
            session.tls = (event.detail.get("protocol", ""), event.detail.get("cipher", ""))
        elif etype is _T.DEBUG and session._pending_mechanism is not None and event.detail:
            self._sasl_reply(session, event.detail, event)
        return session, new

    def logged_in(self, event: Event) -> bool:
        """Whether ``event``, an smtpd line outside the session types (a reject), is of
        an open smtpd session of its address that logged in before it."""
        key = smtpd_key(event)
        if key is None:
            return False
        session = self.open.get(key)
        return session is not None and bool(session.succeeded_as) and session.ip == event.ip

    def echoes_client_line(self, event: Event) -> bool:
        """Is ``event`` (Cyrus's ``decoded response:`` or ``decoded initial response`` at
        ``smtpd -v``) the decoded copy of the client line its smtpd session logged just
        before it (the chat's ``< client: …`` AUTH line or login step)? Both are written
        only at ``-v``, the chat line first: one credential in the log, not another.
        False for any other line, and for a copy whose client line the log lost (it is
        then the only copy). Asked before the event is fed: the detector counts a
        credential by it, explain tells the line by it."""
        if "decoded " not in (event.reason or ""):
            return False
        record = event.record
        program = record.program
        if record.pid is None or program is None or not program.endswith("smtpd"):
            return False
        session = self.open.get(("smtpd", record.host, program, record.pid))
        line = session._last_line if session is not None else None
        if line is None or line[0] is _T.SERVER_REPLY:
            return False
        text = line[2]
        return text is not None and text.strip() not in ("", "=")

    def _quiet_disconnect(self, event: Event, key: SessionKey, when: float) -> int:
        """The end of a session none of whose lines mattered: its statistics are all
        there is (failed AUTH commands, or a login whose account the log does not show)."""
        if self._peers:
            self._peers.pop(key, None)
        if self._smtpd_ips or self._deferred:
            self._left(event.ip, key)
        detail = event.detail
        if detail is None:
            return 0
        stats = detail.get("stats")
        failed = max(0, event.attempts) if stats and "auth=" in stats else 0
        auth_ok = detail.get("auth_ok")
        if auth_ok and auth_ok != "0":
            self.logins.append((None, None, event))
        if not failed:
            return 0
        if not self._credits and not self._deferred and not self.late_pam:
            return failed
        return failed - self._take_credit(event.ip, when, failed)

    def _dovecot(self, event: Event) -> tuple[Session | None, int]:
        when = self._when(event)
        key: SessionKey = ("dovecot", event.session)
        closing = is_login_process(event)
        etype = event.type
        session = self.open.get(key)
        if closing and event.session is not None:
            self._note_ended(event.session, when)
        if session is None and closing and not self.eager:
            # The login process's one line is the whole session.
            if etype is _T.AUTH_FAILURE:
                attempts = max(1, event.attempts)
                if _stands_alone(event):  # an unsupported mechanism: its own attempts
                    return None, attempts
                return None, attempts - self._take_credit(event.ip, when, attempts, user=event.user)
            if etype is _T.AUTH_SUCCESS:
                self.logins.append((None, event.user, event))
            return None, 0
        if session is None:
            session = self._session_for(key, "dovecot", event, when)
        session.last = when
        if session.events is not None:
            session.events.append(event)
        if event.ip is not None and (session.ip is None or closing):
            learned = session.ip is None
            session.ip = event.ip
            session.port = event.port
            if learned and session.unresolved is not None:
                self._learned(session)
        if event.service is not None and (closing or session.service is None):
            session.service = event.service
        new = 0
        if etype is _T.AUTH_FAILURE:
            session.add_user(event.user)
            attempts = max(1, event.attempts)
            if closing:
                extra = max(0, attempts - session.attempts_seen)
                session.attempts_seen += extra
                taken = (
                    self._take_credit(event.ip, when, extra, user=event.user)
                    if (self._credits or self._deferred or self.late_pam)
                    and not _stands_alone(event)
                    else 0
                )
                if taken:
                    self.credited = taken
                new = extra - taken
                if session._held is not None:
                    # The attempt an earlier passdb refused was refused in the end: the
                    # connection's tries failed.
                    session._held = None
                    new += 1
            else:
                held = session._held
                session._held = None
                self._note_pam(event)
                merged = _next_passdb(session, event)
                if merged:
                    self._learn_passdbs(session)
                    if self._before_pam and event.ip is not None and _pam_refusal(event):
                        self._pam_answered(event.ip, session)
                else:
                    session.attempts_seen += attempts
                    if self._before_pam and event.ip is not None:
                        self._try_over(event.ip, session)  # the session's next try
                if self._pam and attempts == 1 and self._same_as_pam(event, event.ip, when):
                    if self._deferred and self._use_deferred(event.ip, 1)[0]:
                        # PAM's line of this attempt waits, deferred: this line counts it
                        # (the password just refused by another mechanism: not a guess;
                        # an attempt an earlier passdb's line counted: not another).
                        new = 0 if merged else 1
                        if merged:
                            self.next_passdb = True
                        elif _dovecot_fallback(session, event):
                            self.fell_back = True
                            new = 0
                    else:
                        # PAM's own line counted this attempt, and left a credit for the
                        # login line: this session's closing line accounts it instead.
                        self._take_credit(event.ip, when, 1, paired=True)
                        new = 0
                elif merged:
                    # An earlier passdb refused this attempt just before: its line counted
                    # it (and left the attempt for a late PAM line).
                    self.next_passdb = True
                    new = 0
                else:
                    new = attempts
                    pam = _pam_refusal(event)
                    if (
                        (self.late_pam or pam)
                        and event.ip is not None
                        and event.strength is not _WEAK
                    ):
                        # (A weak one, a disabled account's, has no PAM failure line.)
                        self._unpaired_attempts(event.ip, when, event.user, attempts)
                    if not pam and session._chain is not None and event.ip is not None:
                        # A passdb's refusal of a try (_next_passdb noted it): PAM, when
                        # asked next, writes its own line of the try after this one.
                        self._refused_before_pam(
                            event.ip, when, event.user, session, session._chain[2][0]
                        )
                    if _dovecot_fallback(session, event):
                        # The password just refused, tried by another mechanism: not a guess.
                        self.fell_back = True
                        new = 0
                if held is not None:
                    # The attempt held by the line before: refused by this passdb too
                    # (merged), or its next passdb wrote nothing and this line is the
                    # next attempt; a failed attempt either way.
                    new += 1
                elif (
                    new == 1
                    and not merged
                    and self._passes_on(event)
                    and not self._has_ended(event.session, when)
                ):
                    # Another passdb follows the one that refused: it may accept the
                    # password, and the session's login then ends it; its refusal, or the
                    # login process's "auth failed", counts this attempt, as does a quiet
                    # session (the client hung up: :data:`HELD_WAIT`). Not when the login
                    # process's line of the session came already: nothing else will.
                    session._held = event
                    self._hold(key, when)
                    if session.ip is not None:
                        by_ip = self._held_by_ip
                        if self._held_indexed >= self.max_open:
                            # No more keys than open sessions (stale ones stay until
                            # their address logs in): looked up anew from here.
                            by_ip.clear()
                            self._held_indexed = 0
                        keys = by_ip.setdefault(session.ip, [])
                        if key not in keys and len(keys) < 64:
                            keys.append(key)
                            self._held_indexed += 1
                    new = 0
            session.failures += new
        elif etype in (_T.AUTH_ABORTED, _T.AUTH_UNAVAILABLE):
            session.attempts_seen += max(1, event.attempts)
        elif etype is _T.AUTH_SUCCESS:
            held = session._held
            if held is not None and closing:
                session._held = None
                if _same_name(held.user, event.user):
                    # The passdb's refusal was of this login's password, which the next
                    # passdb accepted: no failed attempt.
                    self.passed_on = True
                else:
                    self.released.append(held)
            self._login(session, event.user, event)
        if closing and not (event.detail and THEN_ACCEPTED in event.detail):
            # (A line's failed tries before its accepted password: its AUTH_SUCCESS, next,
            # ends the session.)
            if self._before_pam and session.ip is not None:
                self._try_over(session.ip, session)  # no PAM line of its try is to come
            del self.open[key]
            self._close(session, "login", event)
        return session, new

    def _loose_attempts(self, event: Event) -> int:
        """An attempt outside any session: a Dovecot auth-process line without session id
        (it counts now and leaves a credit), a login line without one, or a bare message."""
        etype = event.type
        if etype is _T.AUTH_SUCCESS:
            self.logins.append((None, event.user, event))
            return 0
        if etype is not _T.AUTH_FAILURE:
            return 0
        attempts = max(1, event.attempts)
        if event.ip is None:
            return attempts
        when = self.seconds(event)
        if is_auth_process(event):
            if is_pam_unix(event):
                if attempts == 1 and self._before_pam:
                    paired = self._pam_after(event, event.ip, when)
                    if paired:
                        # PAM's line of a try another passdb's refusal counted just
                        # before: PAM is a later passdb (passwd-file, then PAM); or it
                        # waits, deferred, for PAM's refusal of that try to tell so.
                        self.pam_late = paired == _PAIRED
                        return 0
                if self._unpaired and attempts == 1 and self._pam_came_late(event, when):
                    # PAM's line of an attempt another line accounted already.
                    self.pam_late = True
                    return 0
                self._pam_line(event.ip, when, event.user)
                if attempts == 1:
                    self._tried(event.ip, when, None)
                if attempts == 1 and self._smtpd_ips and self._sasl_retry(event.ip, when):
                    # Perhaps Postfix's SASL retrying: its line of the attempt counts it
                    # (or not, a mechanism fallback).
                    self._defer(event.ip, when, event)
                    return 0
                if attempts == 1 and self._pam_followed:
                    # Another passdb follows PAM: it may accept this password. Dovecot's
                    # lines of the attempt (its refusals, the login process's line) count
                    # it, or not when it logs in; else it counts in a minute.
                    self._defer(event.ip, when, event)
                    return 0
                self._add_credit(event.ip, when, attempts)
                return attempts
            if attempts == 1 and self._loose_next_passdb(event, event.ip, when):
                # The next passdb's refusal of the attempt the address's auth line just
                # before told (Postfix's SASL: no session id): not another attempt.
                self.next_passdb = True
                return 0
            if self._pam and attempts == 1 and self._same_as_pam(event, event.ip, when):
                # PAM's own line counted this attempt; its credit waits for Postfix's
                # (or the login process's) line of it.
                return 0
            strong = event.strength is not _WEAK  # a weak one has no PAM failure line
            if attempts == 1 and self._loose_fallback(event, event.ip, when):
                # The password just refused, by another mechanism, as far as the address's
                # auth lines tell (no Postfix line came in their run yet). The line of the
                # attempt with a session, Postfix's or the login process's, counts it or
                # not (Postfix's judges by its session: two connections' tries under way
                # at once, a bot's, may be in the run), as does the end of the wait.
                self.fell_back = True
                if (self.late_pam or _pam_refusal(event)) and strong:
                    self._unpaired_attempts(event.ip, when, event.user, 1)
                self._defer(event.ip, when, event, True)
                return 0
            if attempts == 1 and self._smtpd_ips and self._sasl_retry(event.ip, when):
                # Perhaps Postfix's SASL retrying: as PAM's line, this one waits for
                # Postfix's line of the attempt, whose session tells a mechanism fallback
                # (the try of another connection of the address, behind NAT, is none;
                # Dovecot 2.3's passdb line names no mechanism).
                if self._tells_fallback(event.ip, event):
                    self.fell_back = True  # for explain: Postfix's line of it will say
                pam = _pam_refusal(event)
                if (self.late_pam or pam) and strong:
                    self._unpaired_attempts(event.ip, when, event.user, 1)
                if not pam:
                    # (It counts the try, now or with Postfix's line: PAM's line of it,
                    # when PAM is asked next, is no other try.)
                    self._loose_before_pam(event, event.ip, when)
                self._defer(event.ip, when, event)
                return 0
            pam = _pam_refusal(event)
            if (self.late_pam or pam) and strong:
                self._unpaired_attempts(event.ip, when, event.user, attempts)
            if not pam and attempts == 1:
                self._loose_before_pam(event, event.ip, when)
            self._add_credit(event.ip, when, attempts)
            return attempts
        if _stands_alone(event):  # a login line's unsupported mechanism: its own attempts
            return attempts
        return attempts - self._take_credit(event.ip, when, attempts, user=event.user)

    def _loose_before_pam(self, event: Event, ip: str, when: float) -> None:
        """:meth:`_refused_before_pam` for the refusal ``event`` without a session id of a
        passdb other than PAM, tied to its try's chain (just begun by
        :meth:`_loose_next_passdb`)."""
        db = _refusing_passdb(event)
        if db is not None and event.user is not None:
            chain = self._loose_chains.get((ip, event.user.casefold()))
            if chain:
                self._refused_before_pam(ip, when, event.user, chain[-1][2], db)

    def _loose_fallback(self, event: Event, ip: str, when: float) -> bool:
        """:func:`_dovecot_fallback` for an auth-process failure without a session id
        (Postfix's SASL through Dovecot: Postfix sends none; Dovecot 2.2's IMAP): the tries
        of one address within :data:`FALLBACK_WINDOW` of each other stand for the session,
        until a Postfix line of the address comes in the run (:class:`_Run`): from then on
        Postfix's lines judge (False). Notes the try (:meth:`_tried`) either way."""
        run = self._tried(ip, when, event)
        user = event.user
        if run.postfix or user is None or not _refused(event):
            return False
        mechanism = _dovecot_mechanism(event)
        if mechanism is None:
            return False
        return _fell_back(run, user, mechanism)

    def _tried(self, ip: str, when: float, line: Event | None) -> _Run:
        """A Dovecot auth-process failure without a session id (``line``; None for PAM's
        own line, which names no mechanism): one try of ``ip``, whose Postfix line, when
        it is Postfix's, comes seconds later (:meth:`_pair`)."""
        runs = self._runs
        run = runs.get(ip)
        if run is None or run.last < when - FALLBACK_WINDOW:
            if run is None and len(runs) >= self.max_open:
                self._forget_oldest(runs)
            run = runs[ip] = _Run(when)
        run.last = when
        waiting = run.waiting
        if waiting is not None:
            if len(waiting) < MAX_WAITING:
                waiting.append(line)
            else:
                run.waiting = None
        run.unanswered += 1
        return run

    def _pair(self, ip: str, event: Event, when: float) -> Event | None:
        """Postfix's SASL failure line ``event`` of ``ip``: the Dovecot auth line of its
        try (without a session id), as far as its account goes, when that is sure
        (:meth:`_Run.whose`): every line of the address's tries under way that may be of
        this one, by its mechanism, names the same account (one connection's try alone;
        two phones behind NAT retrying one account's stale password, even at once;
        another connection's PLAIN under way beside this LOGIN). None when not (two
        accounts' tries by one mechanism at once: which line is whose is not known, and
        Postfix may answer them in either order). Every try's Dovecot line comes before
        Postfix's, which comes after the failure delay: at most one try of a connection
        is under way. A line that was perhaps this try's stays among the waiting ones
        until no try of the address is under way: what may still be another try's
        is never forgotten."""
        run = self._runs.get(ip)
        if run is None or run.last < when - FALLBACK_WINDOW:
            return None
        run.postfix = True
        if _stands_alone(event) or not run.unanswered:
            # A protocol error Postfix told itself (bad base64, a mechanism not offered,
            # none available): Dovecot wrote no failure of it (a line it did write waits
            # on, which can only leave later lines unsure). Or no line of the try came in
            # the run.
            return None
        line = run.whose(event.mechanism)
        run.unanswered -= 1
        if not run.unanswered:
            run.waiting = []
        elif line is not None and run.waiting is not None:
            # This try's line, or another just like it (the same to tell): either goes,
            # but one naming the mechanism answered first. A line naming none (Dovecot
            # 2.3's passdb line: PLAIN or LOGIN) may be the try of another connection
            # still under way by another mechanism, whose answer may come first or after
            # (one failure delay's answers are written in any order); one naming this
            # mechanism can be answered by this mechanism's line only.
            waiting = run.waiting
            mechanism = event.mechanism
            gone = None
            if line.mechanism is None and mechanism is not None:
                gone = next(
                    (w for w in waiting if w is not None and w.mechanism == mechanism), None
                )
            if gone is not None:
                line = gone
            for index, waits in enumerate(waiting):
                if waits is line:
                    del waiting[index]
                    break
        return line

    def _tells_fallback(self, ip: str, event: Event) -> bool:
        """Whether Dovecot's auth line ``event`` of ``ip``, waiting for Postfix's line of
        its try (:meth:`_defer`), is a mechanism fallback as far as the log tells yet: its
        try's account is sure (:meth:`_Run.whose`), the address's one
        failing smtpd session failed by the name before, by another mechanism. For
        explain's note of the line; Postfix's line decides (and says so when it differs)."""
        run = self._runs.get(ip)
        failing = self._smtpd_ips.get(ip)
        user = event.user
        mechanism = event.mechanism
        if (
            run is None
            or failing is None
            or len(failing.keys) != 1
            or user is None
            or mechanism is None
            or not _refused(event)
        ):
            return False
        sure = run.whose(mechanism)
        if sure is None or sure.user != user:
            return False
        (key,) = failing.keys
        session = self.open.get(key)
        tried = session._mechanisms if session is not None else None
        used = tried.get(user) if tried else None
        return (
            used is not None
            and mechanism.upper() not in used
            and len(used) < MAX_MECHANISMS
            and session is not None
            and session._fallbacks < MAX_FALLBACKS
        )

    # -- PAM's own lines ---------------------------------------------------------------

    def _pam_line(self, ip: str, when: float, user: str | None) -> None:
        """Remember PAM's failure line of an attempt, for :meth:`_same_as_pam`."""
        self._remember(self._pam, ip, (when, user.casefold() if user is not None else None))

    def _refused_before_pam(
        self, ip: str, when: float, user: str | None, tie: object, db: str
    ) -> None:
        """The passdb ``db``, not PAM, refused a try of ``user`` from ``ip`` at ``when``
        (of the session or SASL chain ``tie``), and its line counted it: PAM, when asked
        next, writes its own line of the try (:meth:`_pam_after`). Only when PAM is seen
        to follow ``db``, or no passdb yet is. The address goes last (its entries are
        the last forgotten); ``max_open`` addresses at most, :data:`MAX_LOOSE_CHAINS`
        tries each, those of the last :data:`NEXT_PASSDB_WINDOW`."""
        db = db.casefold()
        if db not in self._pam_next and db in self._followed:
            return  # a passdb other than PAM follows it
        table = self._before_pam
        told = table.pop(ip, None)
        if told is None:
            if len(table) >= self.max_open:
                self._forget_oldest(table)
            told = []
        else:
            since = when - NEXT_PASSDB_WINDOW
            told = [t for t in told if t.when >= since and (t.confirmed or t.tie is not tie)]
        told.append(_Told(when, user, tie))
        if len(told) > MAX_LOOSE_CHAINS:
            del told[0]
        table[ip] = told  # (re-inserted last: an address refused again is kept longest)

    def _try_over(self, ip: str, tie: object, loose: bool = False) -> None:
        """The try of ``tie`` (a session; with ``loose``, the oldest SASL try of ``ip``)
        is over (its closing line, its next try, Postfix's line of it) before PAM's
        refusal of it came: PAM was not asked (a passdb's ``username_filter``), and no
        pam_unix line of it is to come. Its entry goes; one PAM's refusal told stays for
        its pam_unix line (read late: auth.log after mail.log)."""
        told = self._before_pam.get(ip)
        if not told:
            return
        for index, entry in enumerate(told):
            if not entry.confirmed and (
                entry.tie is tie
                if not loose
                else not isinstance(entry.tie, Session) and not entry.claimed
            ):
                del told[index]
                if not told:
                    del self._before_pam[ip]
                return

    def _sasl_try_over(self, ip: str, event: Event | None) -> None:
        """Postfix's failure line ``event`` of a SASL try of ``ip`` ends that try only:
        the oldest chain of passdb lines of its account (``sasl_username``, in the forms
        :func:`_pam_name` joins) and mechanism (:meth:`_loose_next_passdb`), which goes.
        Its entry (:meth:`_refused_before_pam`) goes when PAM's refusal has not come;
        once it has, nothing does. Without an account named (Postfix before 3.9): the
        oldest entry no pam_unix line claimed."""
        user = event.user if event is not None else None
        name = _pam_name(user)
        if name is None or user is None:
            self._try_over(ip, None, loose=True)
            return
        told = self._before_pam.get(ip)
        if not told:
            return
        keys = {user.casefold(), name}
        keys.update(
            entry.user.casefold()
            for entry in told
            if entry.user is not None and _pam_name(entry.user) == name
        )
        mechanism = event.mechanism if event is not None else None
        chains = self._loose_chains
        oldest: tuple[float, str | None, list[str]] | None = None
        oldest_key: tuple[str, str] | None = None
        for key in keys:
            for chain in chains.get((ip, key), ()):
                named = chain[1]
                if (
                    mechanism is not None
                    and named is not None
                    and named.upper() != mechanism.upper()
                ):
                    continue
                if oldest is None or chain[0] < oldest[0]:
                    oldest, oldest_key = chain, (ip, key)
        if oldest is None or oldest_key is None:
            return
        open_ = chains[oldest_key]
        open_[:] = [chain for chain in open_ if chain is not oldest]
        if not open_:
            del chains[oldest_key]
        dbs = oldest[2]
        for index, entry in enumerate(told):
            if entry.tie is dbs:
                if not entry.confirmed:
                    del told[index]  # PAM was not asked: a claimed line waits as any
                    if not told:
                        del self._before_pam[ip]
                return

    def _pam_answered(self, ip: str, tie: object, event: Event | None = None) -> None:
        """PAM's refusal of the try ``tie`` (the auth worker's line) came after the
        earlier passdb's: pam_unix's line of the try is sure to be written. A pam_unix
        line paired with it before (deferred) is used up: for a SASL try (``event``)
        here, for a session's by the line's :meth:`_same_as_pam`."""
        told = self._before_pam.get(ip)
        if not told:
            return
        for index, entry in enumerate(told):
            if entry.tie is tie:
                if not entry.claimed:
                    entry.confirmed = True
                    entry.tie = None  # (its try is told: an ended session is let go of)
                    return
                del told[index]
                if not told:
                    del self._before_pam[ip]
                if event is not None:
                    self._drop_deferred(ip, entry.line)
                    if self._pam:
                        self._same_as_pam(event, ip, self.seconds(event))
                        self.same_as_pam = False
                return

    def _pam_after(self, event: Event, ip: str, when: float) -> str | None:
        """Whether pam_unix's failure line ``event`` of ``ip`` at ``when`` is of a try
        another passdb refused within :data:`NEXT_PASSDB_WINDOW` before it, whose line
        counted it (:meth:`_refused_before_pam`; the earliest of the name): Dovecot asked
        PAM next (passwd-file, then PAM). :data:`_PAIRED` when PAM's refusal of that try
        came (:meth:`_pam_answered`): the line is that try's. :data:`_WAITS` when it has
        not yet: the line waits for it (:meth:`_defer`), and counts when it does not come
        (the try ended without PAM: another try's line, PAM's only one). Else None."""
        told = self._before_pam.get(ip)
        if not told:
            return None
        since = when - NEXT_PASSDB_WINDOW
        user = event.user
        name = _pam_name(user)
        for index, entry in enumerate(told):
            at = entry.when
            if not since <= at <= when or entry.claimed:
                continue
            if name is not None and entry.user is not None and _pam_name(entry.user) != name:
                continue
            if entry.confirmed:
                del told[index]
                if not told:
                    del self._before_pam[ip]
                return _PAIRED
            entry.claimed = True
            entry.line = event
            self._pam_line(ip, when, user)
            self._defer(ip, when, event)
            return _WAITS
        return None

    def _passes_on(self, event: Event) -> bool:
        """Whether Dovecot's refusal ``event`` (with a session id) is by a passdb that
        another one follows (:meth:`_learn_passdbs`): Dovecot asks the next one, which
        may accept the password."""
        detail = event.detail
        db = detail.get("db") if detail is not None else None
        return db is not None and db.casefold() in self._followed

    def _hold(self, key: SessionKey, when: float) -> None:
        """The session ``key`` holds a passdb's refusal of its latest line (at ``when``):
        it counts when no line of the session comes for :data:`HELD_WAIT`
        (:meth:`_release_held`)."""
        self._holding[key] = when
        self._held_count += 1
        heapq.heappush(self._hold_queue, (when, self._held_count, key))
        due = when + HELD_WAIT
        if due < self._hold_at:
            self._hold_at = due

    def release_held_of(self, ip: str, session: str | None) -> bool:
        """A login from ``ip`` (in the Dovecot session ``session``) is coming: the
        refusals held for the next passdb in the address's other sessions that have
        waited :data:`HELD_BEFORE_LOGIN` count now (:attr:`released`), before the login
        is judged, as they would have counted before it had their wait been over (a bot
        hanging up during PAM's failure delay, then logging in). Whether any did."""
        keys = self._held_by_ip.get(ip)
        if not keys:
            return False
        holding = self._holding
        cutoff = self.now - HELD_BEFORE_LOGIN
        found = False
        kept: list[SessionKey] = []
        for key in keys:
            when = holding.get(key)
            open_session = self.open.get(key) if when is not None else None
            held = open_session._held if open_session is not None else None
            if when is None or open_session is None or held is None:
                continue  # counted, or let go of, since
            if when > cutoff or (session is not None and held.session == session):
                kept.append(key)
                continue
            del holding[key]
            open_session._held = None
            self.released.append(held)
            found = True
        self._held_indexed -= len(keys) - len(kept)
        if kept:
            self._held_by_ip[ip] = kept
        else:
            del self._held_by_ip[ip]
        if found and not holding:
            # (Else the queue's top may be one let go of here: :meth:`_release_held` passes
            # over it when it is due, no sooner than the true first.)
            self._hold_queue.clear()
            self._hold_at = float("inf")
        return found

    def _release_held(self, now: float) -> None:
        """Held refusals (:attr:`Session._held`) of sessions with no line for
        :data:`HELD_WAIT` before ``now`` count now (:attr:`released`): no next passdb's
        line and no login line came for them (the client hung up during PAM's failure
        delay, the login process wrote nothing). A session with a later line waits from
        that line."""
        before = now - HELD_WAIT
        holding = self._holding
        queue = self._hold_queue
        waiting: list[tuple[SessionKey, float]] | None = None
        while queue and queue[0][0] <= before:
            when, _order, key = heapq.heappop(queue)
            if holding.get(key) != when:
                continue  # held again since (this entry is an old one), or let go of
            del holding[key]
            session = self.open.get(key)
            if session is None or session._held is None:
                continue  # counted, or let go of, by a line of its session
            if session.last > before:
                if waiting is None:
                    waiting = []
                waiting.append((key, session.last))  # waits from its latest line
                continue
            held = session._held
            session._held = None
            self.released.append(held)
        if waiting is not None:
            for key, when in waiting:
                self._hold(key, when)
        if not holding:
            queue.clear()
        self._hold_at = queue[0][0] + HELD_WAIT if queue else float("inf")

    def _note_ended(self, sid: str, when: float) -> None:
        """The login process's closing line of the Dovecot session ``sid`` came (at
        ``when``): an auth worker's line of it after this one is held for no next passdb
        (:meth:`_has_ended`)."""
        ended = self._ended
        if ended.pop(sid, None) is None and len(ended) >= self.max_open:
            self._forget_oldest(ended)
        ended[sid] = when

    def _has_ended(self, sid: str | None, when: float) -> bool:
        """Whether the login process's closing line of the Dovecot session ``sid`` came
        within :data:`ENDED_WINDOW` before ``when``: the client is gone, the line just fed
        is its session's last, and no line will tell what a next passdb said."""
        if sid is None or not self._ended:
            return False
        ended = self._ended.get(sid)
        return ended is not None and when - ended <= ENDED_WINDOW

    def _note_pam(self, event: Event) -> None:
        """Notes the passdb of Dovecot's refusal ``event`` when it is PAM's (by name or
        by PAM's message), for :meth:`_learn_passdbs`."""
        detail = event.detail
        db = detail.get("db") if detail is not None else None
        if db is None:
            return
        db = db.casefold()
        if (
            db not in self._pam_dbs
            and (db == "pam" or (event.reason or "").startswith("pam_authenticate()"))
            and len(self._pam_dbs) < MAX_PASSDBS
        ):
            self._pam_dbs.add(db)

    def _loose_next_passdb(self, event: Event, ip: str, when: float) -> bool:
        """:func:`_next_passdb` for Dovecot's refusals without a session id (Postfix's
        SASL sends none): a refusal of a name (and mechanism) by a passdb that an attempt
        of the address and name begun within :data:`NEXT_PASSDB_WINDOW` had none of is
        that attempt's next passdb's (the oldest such attempt's: Dovecot asks the passdbs
        in order, so the attempts of parallel connections get their answers in the order
        they began). Every attempt starts with the first passdb's line, so what a
        misreading merges is the next passdb's line of another attempt already told: no
        attempt goes uncounted. Notes the passdb either way."""
        chains = self._loose_chains
        db = _refusing_passdb(event)
        user = event.user
        if db is None or user is None:
            if user is not None:
                chains.pop((ip, user.casefold()), None)
            return False
        self._note_pam(event)
        db = db.casefold()
        key = (ip, user.casefold())
        mechanism = event.mechanism
        open_ = chains.pop(key, None)
        if open_ is None:
            if len(chains) >= self.max_open:
                self._forget_oldest(chains)
            open_ = []
        since = when - NEXT_PASSDB_WINDOW
        if open_ and open_[0][0] < since:
            open_ = [chain for chain in open_ if chain[0] >= since]
        chains[key] = open_  # (re)inserted last: the least recently used go first
        for _start, chain_mechanism, dbs in open_:
            if chain_mechanism == mechanism and db not in dbs and len(dbs) < MAX_PASSDBS:
                dbs.append(db)
                self._learn_followed(dbs[-2], db)
                if self._before_pam and db in self._pam_dbs:
                    self._pam_answered(ip, dbs, event)
                return True
        open_.append((when, mechanism, [db]))
        if len(open_) > MAX_LOOSE_CHAINS:
            del open_[0]
        return False

    def _learn_followed(self, before: str, after: str) -> None:
        """The passdb ``before`` (case-folded) refused an attempt and the next passdb's
        (``after``) line of it followed: another passdb follows it (:attr:`_followed`,
        :attr:`_pam_followed`; :attr:`_pam_next` when ``after`` is PAM)."""
        if before not in self._followed and len(self._followed) < MAX_PASSDBS:
            self._followed.add(before)
        if (
            after in self._pam_dbs
            and before not in self._pam_next
            and len(self._pam_next) < MAX_PASSDBS
        ):
            self._pam_next.add(before)
        if before in self._pam_dbs:
            self._pam_followed = True

    def _learn_passdbs(self, session: Session) -> None:
        """The session's latest attempt's refusal by a passdb was followed by the next
        passdb's (:func:`_next_passdb`): that passdb is not the last one. When it is PAM,
        PAM's own lines wait for Dovecot's of their attempts (:attr:`_pam_followed`)."""
        chain = session._chain
        if chain is None or len(chain[2]) < 2:
            return
        self._learn_followed(chain[2][-2].casefold(), chain[2][-1].casefold())

    def _same_as_pam(self, event: Event, ip: str | None, when: float) -> bool:
        """Whether Dovecot's auth-process failure ``event`` is the attempt a PAM line of
        the address told within :data:`PAM_WINDOW` before it (of the same name, when
        both lines name one); that PAM line is then used up. Sets :attr:`same_as_pam`."""
        if ip is None or is_pam_unix(event):
            return False
        lines = self._pam.get(ip)
        if not lines:
            return False
        since = when - PAM_WINDOW
        while lines and lines[0][0] < since:
            del lines[0]
        user = event.user.casefold() if event.user is not None else None
        for index, (_when, pam_user) in enumerate(lines):
            if pam_user is None or user is None or pam_user == user:
                del lines[index]
                if not lines:
                    del self._pam[ip]
                self.same_as_pam = True
                return True
        if not lines:
            del self._pam[ip]
        return False

    def _unpaired_attempts(self, ip: str, when: float, user: str | None, count: int) -> None:
        """With :attr:`late_pam`: ``count`` attempts of ``ip`` (of ``user``) a line at
        ``when`` other than PAM's accounted first; their PAM lines may still come
        (:meth:`_pam_came_late`). At most ``max_open`` addresses and
        :data:`MAX_CREDITS_PER_ADDRESS` attempts each (the oldest are forgotten)."""
        self._remember(self._unpaired, ip, (when, _pam_name(user)), count)

    def _pam_came_late(self, event: Event, when: float) -> bool:
        """Whether PAM's line ``event`` (at ``when``) is that of an attempt another line
        accounted already (:meth:`_unpaired_attempts`): the daemon read auth.log before PAM
        wrote it, and mail.log after Dovecot (or Postfix) wrote its line of the attempt.
        PAM writes its line before the others of its attempt: one no later than an
        attempt of its address (and name, when both tell one: :func:`_pam_name`) that no
        PAM line was paired with yet is that attempt's, and pairs with it (the earliest);
        it counts nothing, leaves no credit and waits for no line. One later than them
        all is a new attempt. An attempt whose line named no account (Postfix before 3.9,
        a statistics line) pairs with PAM's line of any name, which the log told nowhere
        else; a line without a PAM line of its own (a mechanism not offered, bad base64,
        a weak failure: :func:`_stands_alone`) leaves none, or it would take any.
        An attempt earlier than the line pairs with no later PAM line (auth.log is in time
        order): it is forgotten."""
        ip = event.ip
        if ip is None:
            return False
        told = self._unpaired.get(ip)
        if not told:
            return False
        while told and told[0][0] < when:
            del told[0]
        user = _pam_name(event.user)
        latest = when + CREDIT_WINDOW
        paired = False
        for index, (at, told_user) in enumerate(told):
            if when <= at <= latest and (user is None or told_user is None or told_user == user):
                del told[index]
                paired = True
                break
        if not told:
            del self._unpaired[ip]
        return paired

    # -- credits (Dovecot auth-process lines standing in for their login line) -------

    def _add_credit(self, ip: str, when: float, count: int) -> None:
        self._remember(self._credits, ip, when, count)

    def _take_credit(
        self,
        ip: str | None,
        when: float,
        count: int,
        judged: bool = False,
        user: str | None = None,
        paired: bool = False,
    ) -> int:
        """How many of ``count`` attempts of a line at ``when`` from ``ip`` earlier lines
        of the same attempts counted (the credits they left, used up). PAM lines of the
        address waiting for this line (:meth:`_defer`) are used up first: their attempts
        count with this line, not before it; or not at all, when the address's run of auth
        lines took them for fallbacks, unless this line ``judged`` its attempt itself
        (Postfix's SASL failure line, by its session). With :attr:`late_pam`, the attempts
        no earlier line told are kept for their PAM line (of ``user``), unless the line is
        ``paired`` with PAM's already (:meth:`_pam_came_late`)."""
        if ip is None:
            return 0
        fell = 0
        if self._deferred:
            deferred, fallbacks = self._use_deferred(ip, count)
            count -= deferred
            if not judged:
                fell = fallbacks
            if count <= 0:
                return fell
        taken = 0
        credits = self._credits.get(ip) if self._credits else None
        if credits:
            since = when - CREDIT_WINDOW
            while credits and credits[0] < since:
                credits.pop(0)
            taken = min(count, len(credits))
            del credits[:taken]
            if not credits:
                del self._credits[ip]
        if self.late_pam and count > taken and not paired:
            self._unpaired_attempts(ip, when, user, count - taken)
        return fell + taken

    # -- PAM lines deferred for Postfix's line of their attempt ------------------------

    def _sasl_failed(
        self, ip: str | None, when: float, key: SessionKey, event: Event | None = None
    ) -> None:
        """A SASL failure (Postfix's line ``event``) in the smtpd session ``key`` of
        ``ip``: the next tries of the session may be the same password by another
        mechanism (for :meth:`_defer`)."""
        if ip is None:
            return
        if self._before_pam and ip in self._before_pam:
            self._sasl_try_over(ip, event)  # Postfix's line ends its own SASL try
        ips = self._smtpd_ips
        failing = ips.get(ip)
        if failing is None:
            if len(ips) >= self.max_open:
                self._forget_oldest(ips)
            failing = ips[ip] = _Failing(when)
        failing.last = when
        keys = failing.keys
        if len(keys) < MAX_CREDITS_PER_ADDRESS:
            keys.add(key)

    def _sasl_retry(self, ip: str, when: float) -> bool:
        """Whether an attempt of ``ip`` at ``when`` may be a retry in an smtpd session
        that failed before: one of the address failed within :data:`FALLBACK_WINDOW`,
        and one that failed has not ended since."""
        failing = self._smtpd_ips.get(ip)
        return failing is not None and when - failing.last <= FALLBACK_WINDOW

    def _left(self, ip: str | None, key: SessionKey) -> None:
        """The smtpd session ``key`` of ``ip`` ended. While another one of the address
        that failed is open (NAT, a bot's parallel connections), its next tries may still
        be fallbacks, and the deferred lines its own: they wait. Else PAM lines of the
        address still deferred are of attempts no line of the sessions told (the client
        left during the failure delay), or not Postfix's: they count now
        (:meth:`_release`)."""
        if ip is None:
            return
        failing = self._smtpd_ips.get(ip) if self._smtpd_ips else None
        if failing is not None:
            keys = failing.keys
            keys.discard(key)
            if keys:
                return
            del self._smtpd_ips[ip]
        if self._deferred and ip in self._deferred:
            self._release(ip, keep_tied=True)

    def _defer(self, ip: str, when: float, event: Event, fallback: bool = False) -> None:
        """PAM's failure line ``event`` while an smtpd session of ``ip`` that failed
        before is open (:meth:`_sasl_retry`): it may be that client's next try, whose
        Postfix line comes seconds later and can tell whether it was a mechanism fallback
        (PLAIN, then LOGIN, of one password). The attempt waits for a line of it
        (:meth:`_take_credit`: Postfix's, the login process's or a Dovecot auth line with
        a session id), which then counts it as it would without PAM's line; untaken, it
        counts when the last such session of the address ends or after :data:`DEFER_WINDOW`
        (:meth:`_release`), as PAM's line counted before. At most ``max_open`` addresses
        and :data:`MAX_CREDITS_PER_ADDRESS` lines each: the ones pushed out count."""
        deferred = self._deferred
        lines = deferred.get(ip)
        if lines is None:
            if len(deferred) >= self.max_open:
                for stale in list(deferred)[: max(1, self.max_open // 10)]:
                    self._release(stale)
            lines = deferred[ip] = []
        lines.append((when, event, fallback))
        if len(lines) > MAX_CREDITS_PER_ADDRESS:
            oldest, old, _fallback = lines.pop(0)
            self._add_credit(ip, oldest, 1)
            self.released.append(old)
        queue = self._due
        queue.append((when, ip))
        if len(queue) > self._due_limit:
            self._rebuild_due()
        due = when + DEFER_WINDOW
        if due < self._release_at:
            self._release_at = due

    def _rebuild_due(self) -> None:
        """:attr:`_due` from the lines still deferred, oldest first: the entries of lines
        taken since (by Postfix's or the login process's line) are dropped, so that it
        holds no more than a few times the lines that wait."""
        queue = sorted((line[0], ip) for ip, lines in self._deferred.items() for line in lines)
        self._due = deque(queue)
        self._due_limit = 2 * len(queue) + DUE_REBUILD

    def _use_deferred(self, ip: str | None, count: int) -> tuple[int, int]:
        """Use up to ``count`` deferred PAM lines of ``ip`` (the oldest first): a line of
        their attempts counts them instead. Returns how many, and how many of them the
        address's run of auth lines took for a fallback."""
        if ip is None:
            return 0, 0
        lines = self._deferred.get(ip)
        if not lines:
            return 0, 0
        tied = self._tied_lines(ip)
        if tied:
            # Lines a pending try claimed (:meth:`_pam_after`) are that try's own.
            free = [line for line in lines if not any(line[1] is t for t in tied)]
            taken = min(count, len(free))
            used = free[:taken]
            fallbacks = sum(1 for line in used if line[2])
            # (by the event: a compiled build boxes a tuple anew when it is read, so a
            # tuple is never `is` the one in the list)
            lines[:] = [line for line in lines if not any(line[1] is u[1] for u in used)]
        else:
            taken = min(count, len(lines))
            fallbacks = sum(1 for line in lines[:taken] if line[2])
            del lines[:taken]
        if not lines:
            del self._deferred[ip]
        return taken, fallbacks

    def _tied_lines(self, ip: str) -> list[Event]:
        """The deferred pam_unix lines of ``ip`` a try still waiting for PAM's refusal
        claimed (:attr:`_Told.line`)."""
        told = self._before_pam.get(ip) if self._before_pam else None
        if not told:
            return []
        return [entry.line for entry in told if entry.line is not None]

    def _drop_deferred(self, ip: str, event: Event | None) -> None:
        """The deferred pam_unix line ``event`` of ``ip`` is used up: PAM's refusal of its
        try came, whose line counted it."""
        lines = self._deferred.get(ip) if event is not None else None
        if not lines:
            return
        for index, line in enumerate(lines):
            if line[1] is event:
                del lines[index]
                if not lines:
                    del self._deferred[ip]
                return

    def _release(self, ip: str, before: float | None = None, keep_tied: bool = False) -> None:
        """Deferred PAM lines of ``ip`` (those before ``before`` only, when given) count
        now (:attr:`released`), each with the credit PAM's line leaves (for the login
        process's line of the attempt, which may come later). With ``keep_tied``, a
        line a try still waiting for PAM's refusal claimed (:meth:`_tied_lines`) waits
        on, for that refusal or the try's end (:data:`DEFER_WINDOW` at most)."""
        lines = self._deferred.pop(ip, None)
        if not lines:
            return
        due = lines
        if before is not None:
            due = [line for line in lines if line[0] <= before]
        tied = self._tied_lines(ip) if keep_tied else []
        if tied:
            due = [line for line in due if not any(line[1] is t for t in tied)]
        if len(due) < len(lines):
            self._deferred[ip] = [line for line in lines if not any(line[1] is d[1] for d in due)]
        for when, event, _fallback in due:
            self._add_credit(ip, when, 1)
            self.released.append(event)

    def _release_due(self, now: float) -> None:
        """Deferred PAM lines :data:`DEFER_WINDOW` old or older count now
        (:meth:`_release`). Only the addresses of lines due are looked at, from the front
        of :attr:`_due`: a flood of deferred lines (a bot's parallel connections, each
        line waiting) costs each line once, not every line at each new second."""
        before = now - DEFER_WINDOW
        queue = self._due
        deferred = self._deferred
        while queue and queue[0][0] <= before:
            _when, ip = queue.popleft()
            if ip in deferred:
                self._release(ip, before)
        if not deferred:
            queue.clear()
        self._release_at = queue[0][0] + DEFER_WINDOW if queue else float("inf")

    # -- AUTH payloads ----------------------------------------------------------------

    def _dump(self, session: Session, event: Event) -> None:
        etype = event.type
        detail = event.detail
        declared = _declared_length(detail)
        payload = event.payload
        if etype is _T.AUTH_COMMAND:
            mechanism = (event.mechanism or "").upper()
            line: _Line = (etype, mechanism, payload, declared, None)
            if self._again(session, line):
                # Verbose smtpd logs one AUTH twice (the `< client: AUTH …` chat line and
                # xsasl's `sasl_method …, init_response …`), or three times with
                # smtpd_tls_loglevel = 4 (its `Read N chars: AUTH …` first). One command,
                # one credential.
                return
            session._last_line = None
            self._finish_login(session)
            session._last_line = line
            session._pending_mechanism = None
            session._pending_step = 0
            if not mechanism:
                return
            initial = payload is not None and payload.strip() not in ("", "=")
            if mechanism == "LOGIN":
                session._pending_mechanism = mechanism
                session._pending_step = _LOGIN_STEP_USER
                if initial and payload is not None:
                    cred = decode_auth(mechanism, payload, declared)
                    if cred is not None:
                        session._login_user = cred.user
                        session._login_user_complete = cred.user_complete
                        session._pending_step = _LOGIN_STEP_PASSWORD
                        session.add_user(cred.user, cred.user_complete)
            elif initial and payload is not None:
                self._credential(session, decode_auth(mechanism, payload, declared))
            else:
                session._pending_mechanism = mechanism
                session._pending_step = _RESPONSE_STEP
        elif etype is _T.CLIENT_DATA:
            step = session._pending_step
            if not step:
                last = session._last_line
                if last is None or last[4] is None:
                    # Outside an AUTH exchange, after a line that gave no credential: no
                    # copy of this line can mean anything (the TLS dump of a message).
                    session._last_line = None
                    return
            if self._again(session, (etype, None, payload, declared, None)):
                # One client line in both smtpd -v's chat and the TLS dump: the one
                # answer of AUTH LOGIN's prompt, or of a 334 challenge, counts once.
                return
            if not step or payload is None:
                return
            if step == _LOGIN_STEP_NAMELESS:  # the exchange is over: this is a command
                self._reset_pending(session)
                return
            mechanism = session._pending_mechanism or ""
            if payload.strip().rstrip("?") == "*":  # the client cancelled the exchange
                # Postfix answers 501 5.7.0 Authentication aborted and its statistics
                # count that AUTH as failed (auth=0/1), but no password was refused:
                # accounted here, as an interruption after AUTH is, not a failed login.
                session.attempts_seen += 1
                self._reset_pending(session)
                return
            if step == _RESPONSE_STEP:
                self._credential(session, decode_response(mechanism, payload, declared))
                self._reset_pending(session)
                return
            text, complete = decode_base64_line(payload, declared)
            if text is None:  # not base64: the exchange is over, this is a command
                self._finish_login(session)
                return
            if step != _LOGIN_STEP_PASSWORD and step != _LOGIN_STEP_PASSWORD_UNSURE:
                # the username step, prompted or not
                session._login_user = text
                session._login_user_complete = complete
                session._pending_step = (
                    _LOGIN_STEP_PASSWORD_UNSURE
                    if step == _LOGIN_STEP_USER
                    else _LOGIN_STEP_PASSWORD
                )
                session.add_user(text, complete)
            else:
                user_complete = session._login_user_complete
                cred = Credential(
                    mechanism="LOGIN",
                    authzid=None,
                    user=session._login_user,
                    password=text,
                    complete=complete and user_complete,
                    user_complete=user_complete,
                )
                self._credential(session, cred)
                self._reset_pending(session)
                if cred.user is None:
                    # The log lost the username line: the backend's answer may name it.
                    session._pending_mechanism = "LOGIN"
                    session._pending_step = _LOGIN_STEP_NAMELESS
        else:  # SERVER_REPLY
            code = detail.get("code", "") if detail else ""
            if code.startswith("334"):
                if self._again(session, (etype, None, event.reason, declared, None)):
                    # `> client: 334 …` and `Write N chars: 334 …`: one prompt (a second
                    # one would mean the log lost the client's answer to the first).
                    return
                if session._pending_mechanism == "LOGIN":
                    _login_prompt(session, event.reason or "", code)
                return
            session._last_line = None
            self._finish_login(session)
            if code.startswith("235"):
                self._login(session, self._last_user(session), event)

    def _again(self, session: Session, line: _Line) -> bool:
        """Is ``line`` the session's last dump line logged again (:func:`_logged_twice`)?
        Else it becomes the last. When the copy before was the TLS dump's, cut off, and
        this is the chat's whole line, what the cut copy gave is made whole: AUTH LOGIN's
        username, or the credential it decoded (:attr:`renamed`)."""
        last = session._last_line
        if last is None or not _logged_twice(last, line):
            session._last_line = line
            return False
        if line[3] is not None or last[3] is None:
            return True  # the copy kept is the whole one (or they are equal)
        session._last_line = (*line[:4], last[4])
        text = line[2]
        if text is None:
            return True
        if line[0] is not _T.SERVER_REPLY:
            self._uncut(session, line, last[4], text)
        return True

    def _uncut(self, session: Session, line: _Line, old: Credential | None, text: str) -> None:
        """The chat's whole copy ``text`` of a client line the TLS dump cut: AUTH LOGIN's
        username taken from the cut copy, or the credential ``old`` it gave, made whole."""
        if old is None:
            taken = session._login_user
            if (
                taken is not None
                and not session._login_user_complete
                and session._pending_step in (_LOGIN_STEP_PASSWORD, _LOGIN_STEP_PASSWORD_UNSURE)
            ):
                name, complete = decode_base64_line(text)
                if name is not None and complete and name.startswith(taken):
                    session._login_user = name
                    session._login_user_complete = True
                    session.add_user(name)
            return
        if old.complete:
            return
        new: Credential | None
        if line[0] is _T.AUTH_COMMAND:
            new = decode_auth(line[1] or "", text)
        elif old.mechanism == "LOGIN":
            password, complete = decode_base64_line(text)
            if password is None or old.password is None or not password.startswith(old.password):
                return
            new = Credential(
                mechanism="LOGIN",
                authzid=None,
                user=old.user,
                password=password,
                complete=complete and old.user_complete,
                user_complete=old.user_complete,
            )
        else:
            new = decode_response(old.mechanism, text)
        if new is None or new.mechanism != old.mechanism:
            return
        credentials = session.credentials
        for index in range(len(credentials) - 1, -1, -1):
            if credentials[index] is old:
                credentials[index] = new
                break
        session.add_user(new.user, new.user_complete)
        session._last_line = (*line[:4], new)
        self.renamed.append((old, new))

    def _sasl_reply(self, session: Session, detail: Mapping[str, str], event: Event) -> None:
        """A ``-v`` line of the SASL backend's answer to Postfix (parsers.postfix
        ``_xsasl_reply``). Its challenge (Dovecot's ``auth reply: CONT?2?UGFzc3dvcmQ6``,
        Cyrus's ``uncoded server challenge: Password:``) says which AUTH LOGIN line the
        client sends next, as the ``334`` reply Postfix then writes does: the log may hold
        one without the other. Dovecot's ``FAIL``/``OK`` names the account, which counts
        when the log lost the exchange's username line (the client's name as Dovecot
        read it; a username line of the log has the last word). Cyrus's decoded copy of
        the client's line (``decoded response: …``) is the username when it comes at the
        username step: the log lost the client's line, which it decodes
        (:meth:`_cyrus_response`)."""
        if session._pending_mechanism != "LOGIN":
            return
        challenge = detail.get("challenge")
        if challenge is not None:
            _ask(session, _prompt_step(challenge, session._pending_step))
            return
        if "decoded" in detail:
            self._cyrus_response(session, event)
            return
        user = detail.get("sasl_user")
        if user is None:
            return
        step = session._pending_step
        taken = session._login_user
        if taken is not None:
            if (
                step in (_LOGIN_STEP_PASSWORD, _LOGIN_STEP_PASSWORD_UNSURE)
                and session._login_user_complete
                and not _same_account(taken, user)
            ):
                # The answer came before a password line: the line taken for the username
                # may have been the password, its username line and the prompts lost.
                # Dovecot's name is the account; the line is not.
                _drop_user(session, taken)
                session._login_user = user
                session.add_user(user)
            return
        if step == _LOGIN_STEP_NAMELESS:
            credentials = session.credentials
            if (
                credentials
                and credentials[-1].mechanism == "LOGIN"
                and credentials[-1].user is None
            ):
                named = replace(credentials[-1], user=user)
                self.renamed.append((credentials[-1], named))
                credentials[-1] = named
            session.add_user(user)
            self._reset_pending(session)
        elif step:
            # No username line, nor yet a password line: the exchange ends with this
            # answer, and keeps the account (:meth:`_finish_login`).
            session._login_user = user
            session._login_user_complete = True
            session._pending_step = _LOGIN_STEP_PASSWORD
            session.add_user(user)

    def _cyrus_response(self, session: Session, event: Event) -> None:
        """Cyrus's ``xsasl_cyrus_server_next: decoded response: …`` of an AUTH LOGIN
        exchange: Postfix decodes each client line, then logs it, so this follows the
        client's line it copies (:meth:`echoes_client_line`): nothing new, except that a
        line taken for the username at Cyrus's prompt becomes unsure, as if unprompted
        (Cyrus fails only after a second line, which the log may have lost with the
        password prompts). Else the log lost that line, and the copy stands for it, as the
        client's line would have (:attr:`cyrus_taken`). At the username step (no line
        taken for the username yet) it is the username. Cyrus asks for the password right
        after it (``uncoded server challenge: Password:``), which confirms it; without
        that prompt, nor a password line after it, it may be the password, the log having
        lost more: it is then no account (:data:`_LOGIN_STEP_PASSWORD_UNSURE`). After the
        username it is the password: with it, the exchange's credential."""
        step = session._pending_step
        taken = session._login_user
        if taken is None:
            if step != _LOGIN_STEP_USER and step != _LOGIN_STEP_USER_ASKED:
                return
        elif step != _LOGIN_STEP_PASSWORD and step != _LOGIN_STEP_PASSWORD_UNSURE:
            return
        text = cyrus_response(event.record.message)
        if text is None:
            return
        if self.echoes_client_line(event):
            if taken is not None and step == _LOGIN_STEP_PASSWORD:
                # The copy of the line just taken for the username at Cyrus's prompt:
                # Cyrus fails an AUTH LOGIN only after a second line, so until its
                # password prompt or that line shows, the log may have lost the username
                # line and the prompts after it, this one being the password.
                session._pending_step = _LOGIN_STEP_PASSWORD_UNSURE
            return
        self.cyrus_taken = True
        if taken is None:
            session._login_user = text
            session._login_user_complete = True
            session._pending_step = _LOGIN_STEP_PASSWORD_UNSURE
            session.add_user(text)
            self.cyrus_user = text
            return
        user_complete = session._login_user_complete
        complete = len(event.record.message) - len(CYRUS_RESPONSE) <= MAX_RESPONSE
        self._credential(
            session,
            Credential(
                mechanism="LOGIN",
                authzid=None,
                user=taken,
                password=text,
                complete=complete and user_complete,
                user_complete=user_complete,
            ),
        )
        self._reset_pending(session)

    def _credential(self, session: Session, cred: Credential | None) -> None:
        if cred is None:
            return
        session.add_user(cred.user, cred.user_complete)
        if len(session.credentials) < MAX_CREDENTIALS_PER_SESSION:
            session.credentials.append(cred)
        self.decoded.append((session, cred))
        line = session._last_line
        if line is not None and line[0] is not _T.SERVER_REPLY:
            session._last_line = (*line[:4], cred)  # the dump line that gave it

    def _finish_login(self, session: Session) -> None:
        """An AUTH LOGIN exchange ended before its password line: keep the username; or
        the one line of the exchange, unprompted, may have been the password: keep it as
        such, and it is no account (:data:`_LOGIN_STEP_PASSWORD_UNSURE`)."""
        taken = session._login_user
        if session._pending_step == _LOGIN_STEP_PASSWORD_UNSURE and taken is not None:
            _drop_user(session, taken)
            cred = Credential(
                mechanism="LOGIN",
                authzid=None,
                user=None,
                password=taken,
                complete=session._login_user_complete,
                user_complete=True,
            )
            self._credential(session, cred)
        elif session._pending_step == _LOGIN_STEP_PASSWORD and taken is not None:
            cred = Credential(
                mechanism="LOGIN",
                authzid=None,
                user=session._login_user,
                password=None,
                complete=False,
                user_complete=session._login_user_complete,
            )
            self._credential(session, cred)
        self._reset_pending(session)

    @staticmethod
    def _reset_pending(session: Session) -> None:
        session._pending_mechanism = None
        session._pending_step = 0
        session._login_user = None
        session._login_user_complete = True

    @staticmethod
    def _last_user(session: Session) -> str | None:
        if session.credentials:
            cred = session.credentials[-1]
            return cred.user if cred.user_complete else None
        return session._login_user if session._login_user_complete else None

    def _login(self, session: Session, user: str | None, event: Event) -> None:
        if user in session.succeeded_as or (user is None and session.succeeded_as):
            return
        if None in session.succeeded_as and user is not None:
            session.succeeded_as.remove(None)
        session.succeeded_as.append(user)
        self.logins.append((session, user, event))

    # -- closing -----------------------------------------------------------------------

    def _close(self, session: Session, end: str, event: Event | None) -> None:
        session.end = end
        if self._before_pam and session.ip is not None:
            # (Expired, evicted: its try told nothing more; its entry holds it no longer.)
            self._try_over(session.ip, session)
        held = session._held
        if held is not None:
            # The session ended without a line telling whether the next passdb accepted
            # the password (expired, evicted, another closing line): a failed attempt.
            session._held = None
            self.released.append(held)
        if event is not None:
            session.closed = event.record.time
        if session._pending_step:
            self._finish_login(session)

    def _gone(self, session: Session, key: SessionKey) -> None:
        """An smtpd session closed without its disconnect line (replaced by a new
        connection of its process, evicted, expired): it ended all the same, for the PAM
        lines of its address waiting for its next line (:meth:`_left`). Left among the
        address's failing sessions, it kept them waiting a minute (a daemon's ban)."""
        if (self._smtpd_ips or self._deferred) and key[0] == "smtpd":
            self._left(session.ip, key)

    def expire(self, now: float, silent: float = 0.0) -> list[Session]:
        """Close sessions idle for :data:`SESSION_TIMEOUT` before ``now``; drop old credits.

        ``silent``: seconds of real time since the latest line was read (the daemon's
        clock, a live log gone quiet): the lines that wait for other lines of their
        attempt (deferred PAM lines, held refusals) have waited that much longer, and
        count once their wait is over by that reckoning, as a later line would have had
        them count (:attr:`released`). The rest goes by the log's time alone."""
        since = now - SESSION_TIMEOUT
        waited = now + max(silent, 0.0)
        stale = [key for key, session in self.open.items() if session.last < since]
        closed = []
        for key in stale:
            session = self.open.pop(key)
            self._close(session, "expired", None)
            self._gone(session, key)
            closed.append(session)
        self.expired += len(closed)
        if self._peers:
            for key in [k for k, peer in self._peers.items() if peer[2] < since]:
                del self._peers[key]
        if self._runs:
            run_since = now - FALLBACK_WINDOW
            for ip in [ip for ip, run in self._runs.items() if run.last < run_since]:
                del self._runs[ip]
        if self._pam:
            pam_since = now - PAM_WINDOW
            for ip in [ip for ip, lines in self._pam.items() if lines[-1][0] < pam_since]:
                del self._pam[ip]
        if self._deferred:
            self._release_due(waited)
        if self._holding:
            self._release_held(waited)
        if self._loose_chains:
            chains = self._loose_chains
            chains_since = now - NEXT_PASSDB_WINDOW
            while chains:
                chain_key = next(iter(chains))
                open_ = chains[chain_key]
                if open_ and open_[-1][0] >= chains_since:
                    break
                del chains[chain_key]
        if self._before_pam:
            tried_since = now - NEXT_PASSDB_WINDOW
            before_pam = self._before_pam
            for ip in [ip for ip, told in before_pam.items() if told[-1].when < tried_since]:
                del before_pam[ip]
        if self._ended:
            ended = self._ended
            ended_since = now - ENDED_WINDOW
            while ended and next(iter(ended.values())) < ended_since:
                del ended[next(iter(ended))]
        if self._smtpd_ips:
            retry_since = now - FALLBACK_WINDOW
            ips = self._smtpd_ips
            for ip in [ip for ip, failing in ips.items() if failing.last < retry_since]:
                del self._smtpd_ips[ip]
        if self._unpaired:
            told_since = now - CREDIT_WINDOW
            unpaired = self._unpaired
            for ip in [ip for ip, told in unpaired.items() if told[-1][0] < told_since]:
                del unpaired[ip]
        if self._credits:
            credit_since = now - CREDIT_WINDOW
            for ip in [ip for ip, times in self._credits.items() if times[-1] < credit_since]:
                del self._credits[ip]
        return closed

    def close_all(self) -> list[Session]:
        """End of input: every open session ends here (``end of input``)."""
        closed = list(self.open.values())
        self.open.clear()
        self._peers.clear()
        self._smtpd_ips.clear()
        for ip in list(self._deferred):
            self._release(ip)
        self._release_at = float("inf")
        self._due.clear()
        self._holding.clear()
        self._hold_at = float("inf")
        self._hold_queue.clear()
        self._ended.clear()
        self._before_pam.clear()
        for session in closed:
            self._close(session, "end of input", None)
        return closed


def _login_prompt(session: Session, reply: str, code: str) -> None:
    """A ``334`` challenge of an AUTH LOGIN exchange: it says which line the client sends
    next, whatever the log kept before it. When the log lost the username line (syslog's
    rate limiting under ``-v`` or ``smtpd_tls_loglevel = 4``, a line deleted from an
    excerpt), the line after ``Password:`` is the password, never taken for an account:
    the account is unknown then. A prompt that says neither (cut off by the log, a
    server's own wording) after the username prompt with no client line between asks
    for the password too: a secret is better masked than shown as an account."""
    challenge = ""
    if reply.startswith(code):
        challenge = reply[len(code) :].lstrip(" -").partition("??")[0].strip()
    step = _LOGIN_PROMPTS.get(challenge)
    if step is None:
        text, _complete = decode_base64_line(challenge)
        step = _prompt_step(text, session._pending_step)
    _ask(session, step)


def _same_account(typed: str, checked: str) -> bool:
    """Is ``checked`` (the name Dovecot checked) the account the client typed as
    ``typed``? Dovecot may have rewritten it (``auth_username_format``: ``%Lu`` case-folds,
    ``%n`` drops the domain)."""
    typed, checked = account_key(typed), account_key(checked)
    return typed == checked or local_part(typed) == local_part(checked)


def _drop_user(session: Session, user: str) -> None:
    """Forget ``user`` as an account the session tried (it was no account)."""
    if user in session.users:
        session.users.remove(user)


def _prompt_step(prompt: str | None, current: int) -> int:
    """The AUTH LOGIN step a decoded challenge asks for (see :func:`_login_prompt`)."""
    prompt = (prompt or "").strip().lower()
    if prompt.startswith("pass"):
        return _LOGIN_STEP_PASSWORD
    if prompt.startswith("user"):
        return _LOGIN_STEP_USER
    if current == _LOGIN_STEP_USER_ASKED:
        return _LOGIN_STEP_PASSWORD
    return current


def _ask(session: Session, step: int) -> None:
    """The server asked for ``step`` of the AUTH LOGIN exchange: the client's next line
    is its answer."""
    current = session._pending_step
    if step == _LOGIN_STEP_PASSWORD:
        if current == _LOGIN_STEP_PASSWORD_UNSURE:  # the line before was the username
            session._pending_step = _LOGIN_STEP_PASSWORD
        elif current != _LOGIN_STEP_PASSWORD:
            session._login_user = None
            session._login_user_complete = True
            session._pending_step = _LOGIN_STEP_PASSWORD
    else:
        session._login_user = None
        session._login_user_complete = True
        session._pending_step = _LOGIN_STEP_USER_ASKED


def _logged_twice(last: _Line, line: _Line) -> bool:
    """Is ``line`` the client line (AUTH command, answer to a ``334`` challenge) or the
    ``334`` reply of ``last``, logged again?

    With both ``smtpd -v`` and ``smtpd_tls_loglevel = 4``, Postfix logs each line twice:
    the TLS dump's ``Read N chars: …`` as it reads it, then the chat's ``< client: …``
    (a reply: ``> client: 334 …``, then ``Write N chars: 334 …``). The dump keeps only
    the first 40 bytes (CR LF as ``??``) of the ``N`` read: a cut copy is the other one's
    start, and the other is no longer than ``N``. Two copies of one kind are one line only
    for the AUTH command, whose chat line xsasl's ``sasl_method …`` repeats: two equal
    client lines of one kind are an answer repeated (a bot's password that is its
    username), or a prompt repeated (the log lost the client's answer to the first)."""
    kind, mechanism, text, declared, _cred = line
    if last[0] is not kind or last[1] != mechanism:
        return False
    last_text, last_declared = last[2], last[3]
    if (declared is None) == (last_declared is None):
        return kind is _T.AUTH_COMMAND and text == last_text
    if declared is None:
        dumped, count, whole = last_text, last_declared, text
    else:
        dumped, count, whole = text, declared, last_text
    if whole is None:
        # The chat's bare `AUTH LOGIN`, the dump's with a payload: the client's next line
        # (its username), read with the command (pipelined), which the chat logs next.
        return dumped is None or kind is _T.AUTH_COMMAND
    if dumped is None or count is None:
        return False
    # "AUTH PLAIN " before the payload of an AUTH command; CR LF after every line.
    length = len(whole) + 2 + (len(mechanism) + 6 if mechanism else 0)
    return length <= count and whole.startswith(dumped.rstrip("?"))


def _declared_length(detail: Mapping[str, str] | None) -> int | None:
    value = detail.get("declared_length") if detail else None
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def sessions_of(events: Iterable[Event]) -> list[Session]:
    """Group a one-shot excerpt's events by session, in the order the sessions began.

    Each session keeps its events (``session.events``); sessions still open at the end
    of the excerpt have ``end == "end of input"``.
    """
    tracker = SessionTracker(keep_events=True, collect=True)
    for event in events:
        tracker.feed(event)
        tracker.decoded.clear()
        tracker.logins.clear()
        tracker.renamed.clear()
        tracker.released.clear()
    tracker.close_all()
    return tracker.all
