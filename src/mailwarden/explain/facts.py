"""What the events, sessions and the detect stage's analysis say about each client: the
facts a verdict is written from. Nothing here reads log text; everything comes from
Event fields, the detect stage's sessions (with their decoded credentials) and its
:class:`~mailwarden.detect.analysis.Analysis` (attackers, compromises, findings).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwarden.config import PolicyConfig
from mailwarden.detect.accounts import CUT, account_key, local_part, same_account, typo_of
from mailwarden.detect.analysis import Analysis, Attacker, Compromise, Verdict
from mailwarden.detect.sessions import Session
from mailwarden.explain.entries import no_such_account
from mailwarden.explain.replies import is_auth_failure_reply
from mailwarden.explain.tls import is_old_postfix_cipher_list
from mailwarden.model import Event, EventType, Finding, Severity, Strength, address_key
from mailwarden.parsers.sasl import Credential, escape_text

SERVER_KINDS = (
    "credential_exposed",
    "auth_on_port_25",
    "weak_tls",
    "soft_bounce",
    "outdated_server",
    "auth_unavailable",
)
"""Finding kinds about the server's configuration, most urgent first."""
_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
MAX_QUEUED = 20
"""Queue IDs kept per client (:attr:`ClientFacts.queued`); the rest are counted."""


@dataclass(slots=True)
class ClientFacts:
    """Everything the excerpt shows about one client address."""

    ip: str
    names: list[str] = field(default_factory=list)
    """Reverse DNS names Postfix showed (``unknown`` when there was none)."""
    connections: int = 0
    """Its sessions (connections, Dovecot logins)."""
    kinds: list[str] = field(default_factory=list)
    """The kinds of its sessions (``postfix``, ``dovecot``), each once."""
    services: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    failures: int = 0
    """Failed logins counted as guesses: the detect stage's count when it judged the
    client, else the session layer's (each attempt once, as the detect stage counts)."""
    failed_attempts: int = 0
    """Failed logins, each attempt counted once by the session layer, guesses or not (a
    disabled account, an unsupported mechanism). One attempt is one however many lines
    tell it: Dovecot's auth-process line and its login process's summary, Postfix's
    SASL warning, ``auth=0/1`` and ``lost connection after AUTH``. An unreachable
    authentication server counts only where the detect stage counts it (in the middle
    of the same client's guessing)."""
    accounts: list[str] = field(default_factory=list)
    """The account names it tried, each once (compared case-folded, as the detect stage
    compares them), as first logged: escaped, ``…`` appended when the log cut it off."""
    account_keys: dict[str, int] = field(default_factory=dict)
    """The key of each of :attr:`accounts` (:func:`~mailwarden.detect.accounts.account_key`
    of the raw name, as the detect stage keys it, never of the escaped one) -> its index
    there. Every other set of accounts here is keyed so."""
    credentials: list[Credential] = field(default_factory=list)
    real_passwords: set[int] = field(default_factory=set)
    """Indexes in :attr:`credentials` of those sent in a session where a login succeeded:
    perhaps a real user's password."""
    mechanisms: list[str] = field(default_factory=list)
    succeeded_as: list[str | None] = field(default_factory=list)
    success_events: list[Event] = field(default_factory=list)
    login_times: dict[str, datetime] = field(default_factory=dict)
    """The earliest logged successful login per account (case-folded name)."""
    queued: list[str] = field(default_factory=list)
    """The queue IDs of the messages it handed over in sessions where it logged in
    (Postfix's ``QUEUEID: client=…, sasl_username=…``): the first :data:`MAX_QUEUED`."""
    queued_count: int = 0
    """How many such messages there were."""
    failure_times: list[tuple[datetime | None, int]] = field(default_factory=list)
    """When each of :attr:`failed_attempts` was counted, and how many attempts the line
    that counted them stands for (a line of an attempt counted already stands for none);
    lines of one second are one entry."""
    failure_names: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    """The first and the last time a failure line named each account (case-folded)."""
    failure_name_lines: dict[str, int] = field(default_factory=dict)
    """How many failure lines named each account (case-folded)."""
    unknown_accounts: set[str] = field(default_factory=set)
    """The accounts (case-folded) the server said do not exist when it refused them
    (Dovecot's ``unknown user``, PAM's ``user unknown``, Cyrus's ``user not found``)."""
    failure_reply_times: list[datetime | None] = field(default_factory=list)
    first_login: tuple[datetime, int] | None = None
    """The time of its first login line, and the failed attempts logged after it in
    the same second (not before it, though :attr:`failure_times` cannot tell)."""
    """When each failure reply (``535 5.7.8``) was logged (dumps, verbose chat), once
    however many copies tell it (the chat's and the TLS dump's)."""
    refused_sessions: int = 0
    """Sessions that tried to log in and whose end shows no successful login at all:
    Postfix's disconnect statistics with ``auth=0/N``, Dovecot's summary line of a
    connection whose logins failed."""
    login_sessions: int = 0
    """Sessions that tried to log in."""
    loose_failures: bool = False
    """The detect stage counted failures outside its sessions (Dovecot auth-process
    lines): no session end tells whether a login followed."""
    failure_replies: list[str] = field(default_factory=list)
    """Failure replies sent to the client (``435 4.7.8``), from dumps or verbose chat."""
    saw_replies: bool = False
    """The excerpt shows the server's replies (dump or verbose logging is on)."""
    tls: list[tuple[str, str]] = field(default_factory=list)
    greetings: list[str] = field(default_factory=list)
    """EHLO/HELO names the client gave (client text, escaped)."""
    star_after_reply: bool = False
    """It sent ``*`` after a final reply: not a cancel, a sloppy bot."""
    hung_up_after: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    """What it did that the server's checks count against a client (:func:`violation_kind`:
    ``pregreet``, ``dnsbl``, ``relay``, …), each once, in the order first logged."""
    findings: list[Finding] = field(default_factory=list)
    """Findings of the detect stage that name this client (spray, network, …)."""
    attacker: Attacker | None = None
    """The detect stage's judgement of this client, when it judged it hostile."""
    compromises: list[Compromise] = field(default_factory=list)
    guessed_by: list[str] = field(default_factory=list)
    """The other clients whose failures on an account it logged in as (a compromise of
    the detector's) came before its login: the guessing its login followed, when it
    made none itself (other.log: 20 failures from one address, the login from another)."""
    withdrawn: list[Compromise] = field(default_factory=list)
    """Logins the detect stage called a break-in after failures that, by the time
    stamps, came before every failure of this client and of that account (an input not
    in time order, ``cat mail.log mail.log.1``: the detector counts in the order given).
    They are no break-in: not in :attr:`compromises`."""
    logged_in_first: bool = False
    """The detect stage judged it (an attacker, or a compromise it withdrew), and by the
    time stamps every login from it came before its first failure: none is a guess that
    worked (:attr:`succeeded` is false), as the detector, which counts no break-in of
    it, judges it in time order."""
    login_after_failures: bool = False
    """The detect stage judged its failures a device with an old password, as a login of
    it came first in the order given, but by the time stamps every failure came before
    its first login (an input not in time order): a guess that worked or the owner's
    typos, which only the owner can tell (:attr:`unsure`)."""
    someone_else: bool = False
    """The detect stage judged it guessing and saw a login from it after its failures,
    as an account it did not try (by the local part: ``bob`` is bob@example.com), and
    reports no break-in: someone else behind the same address (an office's NAT, a
    carrier's pool) logging in, not a guess that worked (:attr:`succeeded` is false).
    Its guessing still stands (``bbo@example.com`` all afternoon, then bob logs in)."""
    misspelt_by_time: tuple[str, str] | None = None
    """The detector judged it guessing, having read its login (in an input said to go
    back in time) before the failures it came after: every failure on one name, a
    misspelling of the account it then logged in as (``bbo`` for bob@example.com), as
    the detector, in time order, judges a device set up with a misspelt user name, not
    an attack (``misspelt_username``): (the name as shown, the account's key as shown:
    escaped)."""
    login_read_first: bool = False
    """The detector judged it guessing and reports no break-in from it, and no other
    judgement here explains why: its login came, in the lines as given, before failures
    stamped earlier (entries a little out of order, which the detector counts as given).
    Not a login explain calls a break-in (:attr:`succeeded` is false), as analyze does
    not; the owner is to be asked."""
    logins_read_first: set[tuple[str, int]] = field(default_factory=set)
    """Its login lines (source, line number) that a failure line of it after them was
    stamped before."""
    owner_by_time: bool = False
    """Every login the detector called a break-in is :attr:`withdrawn`, it logged in
    (:attr:`logged_in_first`) as every account it then failed on, no more often than a
    device with an old password may (``stale_max_failures``): what the detector judges
    the owner when the entries come in time order."""

    @property
    def stale_password(self) -> bool:
        """Detection says these failures are a real user's device with an old password."""
        return (
            self.attacker is not None
            and self.attacker.verdict is Verdict.STALE_PASSWORD
            and not self.login_after_failures
        )

    @property
    def owner_typos(self) -> bool:
        """Failed logins, then a successful login from the same address, and the detect
        stage judged neither a compromise nor any attack (it treats a few failures
        followed by a login as the same account as the owner mistyping): not an attack."""
        if self.compromises or not self.succeeded_as:
            return False
        if self.attacker is not None and not (self.owner_by_time or self.misspelt_by_time):
            return False
        return bool(self.failures or self.failed_attempts or self.failure_replies)

    def logged_in_as_all(self, accounts: list[str]) -> bool:
        """Every one of ``accounts`` (as :attr:`accounts` shows them) is one it logged in
        as (case-folded)."""
        logged = {account_key(u) for u in self.succeeded_as if u}
        shown = dict(zip(self.accounts, self.account_keys, strict=True))
        return bool(logged) and _all_logged_in({shown[a] for a in accounts}, logged)

    @property
    def hostile(self) -> bool:
        if self.stale_password or self.owner_typos:
            return False
        return bool(self.attacker or self.failures or self.failed_attempts or self.compromises)

    @property
    def no_login_for_sure(self) -> bool:
        """Every session in which it tried to log in ended in a way that shows no login
        succeeded in it (``auth=0/N``, Dovecot's ``auth failed`` summary), and no failure
        was counted outside them. Still only these lines: other connections may have
        logged in."""
        return (
            self.login_sessions > 0
            and self.refused_sessions == self.login_sessions
            and not self.loose_failures
        )

    def login_time(self, user: str | None) -> datetime | None:
        """When the excerpt first shows a successful login as ``user`` from this client
        (the detect stage's compromise time, else the first success line)."""
        key = account_key(user) if user else None
        for compromise in self.compromises:
            if compromise.time is not None and (
                key is None or (compromise.user and account_key(compromise.user) == key)
            ):
                return compromise.time
        if key is not None and key in self.login_times:
            return self.login_times[key]
        times = [e.record.time for e in self.success_events if e.record.time is not None]
        return min(times) if times else None

    def failures_before(self, moment: datetime) -> int:
        """Failed attempts logged at or before ``moment`` (the log's one-second precision:
        a failure in the same second counts, unless it was logged after the client's
        first login of that second, as the detector reading in log order counts it), by
        the lines that counted them or by the failure replies."""
        lines = sum(n for t, n in self.failure_times if t is not None and t <= moment)
        if self.first_login is not None and self.first_login[0] == moment:
            lines -= self.first_login[1]
        replies = sum(1 for t in self.failure_reply_times if t is not None and t <= moment)
        return max(lines, replies)

    def accounts_failed(self, moment: datetime, after: bool = False) -> list[str]:
        """The accounts of :attr:`accounts` tried at or before ``moment`` (after it, with
        ``after``), by the times of the failure lines that name them. An account no
        failure line names (a decoded AUTH payload only) has no time: it counts as
        tried before, never after."""
        chosen: list[str] = []
        for shown, key in zip(self.accounts, self.account_keys, strict=True):
            times = self.failure_names.get(key)
            if after:
                keep = times is not None and times[1] > moment
            else:
                keep = times is None or times[0] <= moment
            if keep:
                chosen.append(shown)
        return chosen

    @property
    def tried_to_log_in(self) -> bool:
        return bool(
            self.failures
            or self.failed_attempts
            or self.accounts
            or self.credentials
            or self.mechanisms
            or self.compromises
        )

    @property
    def succeeded(self) -> bool:
        """Someone logged in from this client (a compromise when it was guessing), and
        not only before its failures (:attr:`logged_in_first`), nor only as someone else
        behind its address (:attr:`someone_else`), nor in a login the detector read
        before its failures (:attr:`login_read_first`)."""
        if self.logged_in_first or self.someone_else or self.login_read_first:
            return False
        return bool(self.compromises or self.succeeded_as or self.success_events)

    @property
    def unsure(self) -> bool:
        """Its logins are compromises only the owner can confirm (the detector's
        ``by_others``: others' guessing, or a few tries on that account alone; or its
        ``doubt``: failures as the account after the login, as the owner's device with an
        old password makes)."""
        if self.login_after_failures:
            return True
        return bool(self.compromises) and all(
            c.by_others or c.doubt is not None for c in self.compromises
        )

    @property
    def doubted(self) -> list[Compromise]:
        """Its compromises in doubt (:attr:`Compromise.doubt`): it kept failing as the
        account after logging in, as a device with an old password does."""
        return [c for c in self.compromises if c.doubt is not None]

    @property
    def no_reverse_name(self) -> bool:
        """Postfix showed the client as ``unknown[addr]`` (it had no verified name)."""
        return bool(self.names) and all(n == "unknown" for n in self.names)


@dataclass
class ExcerptFacts:
    """The whole excerpt: clients, server-side findings, counts."""

    clients: list[ClientFacts]
    server_findings: list[Finding]
    other_findings: list[Finding]
    """Findings across clients (spray, network, enumeration) and stale passwords."""
    old_cipher_list: str | None
    """A Postfix default cipher list from before 2.8/3.1 seen in the excerpt."""
    records: int
    sessions: int
    logins: int
    """Successful logins seen (from anyone)."""
    logged_in: frozenset[str] = frozenset()
    """Accounts someone logged in as (:func:`~mailwarden.detect.accounts.account_key` of
    the raw name, as the detect stage keys them; escaped only where shown)."""
    outside: int = 0
    """Client addresses whose lines are all outside any session (postscreen's checks,
    DNSBL answers): they connected but never reached a mail session."""
    violators: dict[str, list[str]] = field(default_factory=dict)
    """Every client address whose lines show a strong hostile act that is no login
    attempt -> its :attr:`ClientFacts.violations`, in the order first logged."""

    @property
    def attackers(self) -> list[ClientFacts]:
        return [c for c in self.clients if c.hostile]


_POSTSCREEN_KINDS = {
    "PREGREET": "pregreet",
    "NON-SMTP COMMAND": "non_smtp",
    "COMMAND PIPELINING": "pipelining",
    "BARE NEWLINE": "bare_newline",
    "COMMAND TIME LIMIT": "limits",
    "COMMAND COUNT LIMIT": "limits",
    "COMMAND LENGTH LIMIT": "limits",
    "HANGUP": "hangup",
    "DENYLISTED": "denylisted",
    "BLACKLISTED": "denylisted",
}
_VIOLATION_TYPES = {
    EventType.NON_SMTP_COMMAND: "non_smtp",
    EventType.PIPELINING: "pipelining",
    EventType.DNSBL: "dnsbl",
    EventType.RATE_LIMITED: "rate",
}


def violation_kind(event: Event) -> str | None:
    """What a strong hostile event that is no login attempt shows of its client, as the
    verdict names it (``pregreet``, ``non_smtp``, ``denylisted``, ``relay``, …); None for
    any other event. postscreen's test names and Postfix's relay refusal are the
    server's words."""
    if not event.hostile or event.strength is not Strength.STRONG:
        return None
    etype = event.type
    if etype is EventType.POSTSCREEN_VIOLATION:
        return _POSTSCREEN_KINDS.get(event.reason or "", "other")
    if etype is EventType.REJECT:
        return "relay" if "Relay access denied" in (event.reason or "") else "rejected"
    return _VIOLATION_TYPES.get(etype)


def _add(items: list[str], value: str | None) -> None:
    if value is not None and value not in items:
        items.append(value)


def add_account(facts: ClientFacts, name: str | None, complete: bool = True) -> None:
    """Note an account name it tried, once per case-folded name: the first spelling
    logged is kept; ``…`` marks a name the log cut off (the detect stage's names of
    sessions and attackers carry it already)."""
    if not name:
        return
    if name.endswith(CUT):
        name, complete = name[: -len(CUT)], False
    key = account_key(name)  # keyed raw, as the detect stage keys it
    if key in facts.account_keys:
        return
    facts.account_keys[key] = len(facts.accounts)
    # names arrive raw, decoded ones too: escaped here, once, for display only
    facts.accounts.append(escape_text(name) + ("" if complete else CUT))


def _client_for(clients: dict[str, ClientFacts], ip: str) -> ClientFacts:
    facts = clients.get(ip)
    if facts is None:
        facts = clients[ip] = ClientFacts(ip)
    return facts


def _note_time(facts: ClientFacts, when: datetime | None) -> None:
    if when is None:
        return
    if facts.first is None or when < facts.first:
        facts.first = when
    if facts.last is None or when > facts.last:
        facts.last = when


def _note_failure(facts: ClientFacts, event: Event) -> None:
    if event.user and event.record.time is not None:
        when = event.record.time
        key = account_key(event.user)
        facts.failure_name_lines[key] = facts.failure_name_lines.get(key, 0) + 1
        known = facts.failure_names.get(key)
        if known is None:
            facts.failure_names[key] = (when, when)
        elif when < known[0] or when > known[1]:
            facts.failure_names[key] = (min(when, known[0]), max(when, known[1]))


_Reply = tuple[str, int | None]
"""A failure reply as :func:`_reply_again` compares it: its text and, for the TLS dump's
copy (``Write N chars: …``), the ``N`` it declares."""


def _reply_of(event: Event, detail: Mapping[str, str]) -> _Reply:
    declared = detail.get("declared_length")
    try:
        count = int(declared) if declared is not None else None
    except ValueError:
        count = None
    return (event.reason or "", count)


def _reply_again(last: _Reply, reply: _Reply) -> bool:
    """Is ``reply`` the failure reply ``last`` logged again? With ``smtpd -v`` and
    ``smtpd_tls_loglevel = 4`` Postfix logs each reply twice: the chat's ``> client: 535
    …`` and the TLS dump's ``Write N chars: 535 …`` (its first 40 bytes, CR LF as
    ``??``), in either order when logs are merged: one copy of each kind, the dump's the
    start of the chat's, which is no longer than ``N``. The detect stage's session layer
    takes them so (:func:`~mailwarden.detect.sessions._logged_twice`)."""
    (last_text, last_count), (text, count) = last, reply
    if (count is None) == (last_count is None):
        return False
    if count is None:
        dumped, declared, whole = last_text, last_count, text
    else:
        dumped, declared, whole = text, count, last_text
    return (
        declared is not None and len(whole) + 2 <= declared and whole.startswith(dumped.rstrip("?"))
    )


def _walk_session(facts: ClientFacts, session: Session) -> None:
    final_reply = False
    auth_open = False
    # The last failure reply counted, until a client line or another reply: a copy of it
    # (_reply_again) is the same reply, the same failed attempt.
    counted: _Reply | None = None
    tried = bool(session.users or session.credentials or session.failures)
    refused = False
    forged = trailer_forged(session)
    for event in session.events or ():
        _note_time(facts, event.record.time)
        etype = event.type
        detail = event.detail or {}
        if etype is EventType.CONNECT:
            _add(facts.names, detail.get("name"))
        elif etype is EventType.AUTH_COMMAND:
            _add(facts.mechanisms, (event.mechanism or "").upper() or None)
            auth_open, final_reply, tried = True, False, True
            counted = None
        elif etype in (EventType.AUTH_FAILURE, EventType.AUTH_UNAVAILABLE):
            # Counted by _Failures, the way the detect stage counts them.
            _add(facts.mechanisms, (event.mechanism or "").upper() or None)
            add_account(facts, event.user)
            tried = True
            if etype is EventType.AUTH_FAILURE:
                _note_failure(facts, event)
                if session.kind == "dovecot" and "auth failed" in (event.reason or "").lower():
                    refused = True  # the login process sums up a connection that failed
        elif etype is EventType.AUTH_SUCCESS:
            if forged_login(event, forged):
                continue
            facts.success_events.append(event)
            if event.user and event.record.time is not None:
                key = account_key(event.user)
                known = facts.login_times.get(key)
                if known is None or event.record.time < known:
                    facts.login_times[key] = event.record.time
        elif etype is EventType.SERVER_REPLY:
            facts.saw_replies = True
            code = detail.get("code", "")
            enhanced = detail.get("enhanced")
            if is_auth_failure_reply(code, enhanced):
                _add(facts.failure_replies, f"{code} {enhanced}" if enhanced else code)
                reply = _reply_of(event, detail)
                if counted is not None and _reply_again(counted, reply):
                    counted = None  # the other copy of the reply counted: a third is new
                else:
                    facts.failure_reply_times.append(event.record.time)
                    counted = reply
            else:
                counted = None
            if code.startswith("235"):
                facts.success_events.append(event)
            if auth_open and code[:1] in {"2", "4", "5"}:
                final_reply, auth_open = True, False
        elif etype is EventType.CLIENT_DATA:
            _client_line(facts, event, final_reply and not auth_open)
            counted = None
        elif etype is EventType.DISCONNECT:
            ok = detail.get("auth_ok")
            if ok and ok != "0":
                facts.success_events.append(event)
            elif ok == "0" and detail.get("stats"):
                refused = True  # Postfix 3.0+: auth=0/N, no AUTH command succeeded
        elif etype is EventType.LOST_CONNECTION:
            _add(facts.hung_up_after, detail.get("after"))
    if tried:
        facts.login_sessions += 1
        if refused and not logins_of(session):
            facts.refused_sessions += 1


def _client_line(facts: ClientFacts, event: Event, after_final_reply: bool) -> None:
    text = (event.payload or "").removesuffix("??").strip()
    if text == "*" and after_final_reply:
        facts.star_after_reply = True
        return
    verb, _sep, rest = text.partition(" ")
    name = rest.partition("??")[0].strip()  # a dump's next line (``??``) is no part of it
    if verb.upper() in {"EHLO", "HELO"} and name:
        _add(facts.greetings, escape_text(name))


def trailer_forged(session: Session) -> bool:
    """Whether the session's statistics (Postfix 3.0+, which writes a reject line's SASL
    trailer) show no successful AUTH: a trailer on one of its reject lines is then the
    client's text (forged in its HELO name or an address, the record cut hiding the ``>``
    that closed it), no login; the detect stage drops it so
    (:meth:`~mailwarden.detect.rules.Detector._feed_trailer_login`)."""
    for event in session.events or ():
        if event.type is EventType.DISCONNECT:
            detail = event.detail or {}
            return detail.get("auth_ok") == "0" and bool(detail.get("stats"))
    return False


def forged_login(event: Event, forged: bool) -> bool:
    """``event`` is a login a reject line's trailer claims in a session whose statistics
    show it forged (``forged``: :func:`trailer_forged` of its session)."""
    return forged and event.type is EventType.AUTH_SUCCESS and is_trailer_login(event)


def is_trailer_login(event: Event) -> bool:
    return (event.detail or {}).get("source") == "reject"


def logins_of(session: Session) -> list[str | None]:
    """The accounts someone logged in as in ``session``, without a forged trailer's."""
    logins = session.succeeded_as
    if not logins or not trailer_forged(session):
        return logins
    real = {
        event.user
        for event in session.events or ()
        if event.type is EventType.AUTH_SUCCESS and not is_trailer_login(event)
    }
    forged = {
        event.user
        for event in session.events or ()
        if event.type is EventType.AUTH_SUCCESS and is_trailer_login(event)
    }
    return [user for user in logins if user in real or user not in forged]


def session_logged_in(session: Session) -> bool:
    """A login succeeded in ``session`` (a success line, a 235 reply, ``auth=1/N``)."""
    if logins_of(session):
        return True
    forged = trailer_forged(session)
    for event in session.events or ():
        detail = event.detail or {}
        if event.type is EventType.AUTH_SUCCESS:
            if forged_login(event, forged):
                continue
            return True
        if event.type is EventType.SERVER_REPLY and detail.get("code", "").startswith("235"):
            return True
        ok = detail.get("auth_ok") if event.type is EventType.DISCONNECT else None
        if ok and ok != "0":
            return True
    return False


def logged_in_accounts(sessions: Iterable[Session]) -> frozenset[str]:
    """Every account someone logged in as, keyed as :func:`password_is_real` looks."""
    return frozenset(account_key(user) for s in sessions for user in logins_of(s) if user)


_POLICY = PolicyConfig()
"""The detect stage's default policy, the one explain's analysis runs with."""


@dataclass
class _Tally:
    """The failed attempts of one client address, as :class:`_Failures` counts them."""

    guesses: int = 0
    attempts: int = 0
    times: list[tuple[datetime | None, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    """Whose lines counted its failures (``postfix``, ``dovecot``), each once."""
    users: list[tuple[str, bool]] = field(default_factory=list)
    """The accounts its failure lines name (as logged, whether complete), each once."""
    recent: list[float] = field(default_factory=list)
    """When its last few guesses were counted (POSIX seconds), as many as an outage in
    the middle of guessing needs."""


MAX_NOT_MISSING = 100_000
"""Accounts remembered in :attr:`_Failures.not_missing` at most."""
MAX_WAITING_LOGINS = 16
"""Login lines of one address waiting for a failure line after them stamped earlier:
more are not looked at (no login of theirs is taken as read first)."""


class _Failures:
    """Failed attempts per client address, each counted once, as the detect stage counts
    them: its session layer says how many new attempts a line adds (none for a line of
    an attempt counted already), a failure is a guess when it is strong, and an
    unreachable authentication server is a guess only in the middle of the same
    client's guessing (``unavailable_failures`` within ``unavailable_window``).
    Also the last old Postfix cipher list seen. Fed one event at a time, in log order."""

    def __init__(self) -> None:
        self.needed = max(1, _POLICY.unavailable_failures)
        self.window = _POLICY.unavailable_window.total_seconds()
        self.tallies: dict[str, _Tally] = {}
        self.old_list: str | None = None
        self.unknown: dict[str, set[str]] = {}
        """Per client address, the accounts the server said do not exist."""
        self.not_missing: set[str] = set()
        """Accounts (case-folded) no server's ``unknown user`` proves missing, from any
        address: someone logged in as it, a server found its password wrong
        (``Password mismatch``: it found the account), or the next passdb refused it
        otherwise after an earlier one did not know it (Dovecot without
        ``auth_verbose_passwords``: the session layer's ``next_passdb``). A passdb before
        the one that knows an account says ``unknown user``."""
        self.first_login: dict[str, tuple[datetime, int]] = {}
        """Per client address, :attr:`ClientFacts.first_login`."""
        self.logins: dict[str, list[tuple[str, int, datetime]]] = {}
        """Per client address, its login lines (source, line number, time) no failure
        line after them was stamped before (at most :data:`MAX_WAITING_LOGINS`)."""
        self.read_first: dict[str, set[tuple[str, int]]] = {}
        """Per client address, its login lines (source, line number) that a failure line
        after them was stamped before: the detector, reading as given, read them first."""

    def feed(
        self, event: Event, ip: str | None, new: int, seconds: float, next_passdb: bool = False
    ) -> None:
        cipher_list = (event.detail or {}).get("cipher_list")
        if cipher_list is not None and is_old_postfix_cipher_list(cipher_list):
            self.old_list = cipher_list
        etype = event.type
        if (
            event.user
            and len(self.not_missing) < MAX_NOT_MISSING
            and (
                etype is EventType.AUTH_SUCCESS
                or (
                    etype is EventType.AUTH_FAILURE
                    and (
                        (event.reason or "")[:17].lower() == "password mismatch"
                        or (next_passdb and not no_such_account(event.reason))
                    )
                )
            )
        ):
            self.not_missing.add(account_key(event.user.removesuffix(CUT)))
        if ip is None:
            return
        if etype is EventType.AUTH_SUCCESS and event.record.time is not None:
            waiting = self.logins.setdefault(ip, [])
            if len(waiting) < MAX_WAITING_LOGINS:
                waiting.append((event.record.source, event.record.line, event.record.time))
            if ip not in self.first_login:
                self.first_login[ip] = (event.record.time, 0)
            return
        if etype is EventType.AUTH_FAILURE and event.user and no_such_account(event.reason):
            name = event.user.removesuffix(CUT)
            self.unknown.setdefault(ip, set()).add(account_key(name))
        if etype is EventType.AUTH_SUCCESS:
            return  # no time: neither read first nor the first login of a second
        needed = self.needed
        guess = True
        if etype is EventType.AUTH_UNAVAILABLE:
            tally = self.tallies.get(ip)
            since = seconds - self.window
            if tally is None or sum(1 for t in tally.recent if t >= since) < needed:
                return  # an outage of the server, counted against nobody
            new = 1
        elif new <= 0 or etype not in (EventType.AUTH_FAILURE, EventType.DISCONNECT):
            return
        elif etype is EventType.AUTH_FAILURE:
            guess = event.hostile and event.strength is not Strength.WEAK
        tally = self.tallies.setdefault(ip, _Tally())
        tally.attempts += new
        when = event.record.time
        login = self.first_login.get(ip)
        if login is not None and login[0] == when:
            self.first_login[ip] = (when, login[1] + new)  # after the login, same second
        pending = self.logins.get(ip)
        if pending and when is not None:
            # a failure after a login in the lines, stamped before it: read first
            for stamped_later in [w for w in pending if w[2] > when]:
                pending.remove(stamped_later)
                self.read_first.setdefault(ip, set()).add((stamped_later[0], stamped_later[1]))
        kind = line_kind(event.record.program)
        if kind is not None and kind not in tally.kinds:
            tally.kinds.append(kind)
        if etype is EventType.AUTH_FAILURE and event.user:
            named = (event.user.removesuffix(CUT), not event.user.endswith(CUT))
            if named[0] and named not in tally.users:
                tally.users.append(named)
        times = tally.times
        if times and times[-1][0] == when:
            times[-1] = (when, times[-1][1] + new)  # a line of the same second
        else:
            times.append((when, new))
        if guess:
            tally.guesses += new
            tally.recent += [seconds] * min(new, needed)
            del tally.recent[:-needed]


def line_kind(program: str | None) -> str | None:
    """Whose line it is: ``postfix`` (``postfix/smtpd``), ``dovecot`` (``dovecot``,
    ``imap-login``, ``auth``, …: Dovecot's processes), else None."""
    if not program:
        return None
    if program.startswith("postfix"):
        return "postfix"
    if program.startswith("dovecot") or program.endswith("-login") or program == "auth":
        return "dovecot"
    return None


def _first_failures(clients: dict[str, ClientFacts]) -> dict[str, datetime]:
    """The earliest failure line naming each account (case-folded), from any client."""
    first: dict[str, datetime] = {}
    for facts in clients.values():
        for key, (earliest, _latest) in facts.failure_names.items():
            known = first.get(key)
            if known is None or earliest < known:
                first[key] = earliest
    return first


def _login_first(facts: ClientFacts, compromise: Compromise, first: dict[str, datetime]) -> bool:
    """The login of ``compromise`` came, by the time stamps, before every failure of its
    client and every failure on its account (in either form: ``bob`` is bob@example.com,
    as the detector's burst counts it): read in the order given (an input not in
    time order), the detector saw them before it. Only where the time stamps say so: a
    failure without a time, or a login without one, leaves the detector's word."""
    moment = compromise.time
    if moment is None or facts.failures_before(moment):
        return False
    if compromise.user:
        key = account_key(compromise.user)
        # bob too for bob@example.com (one account, one burst: the detector counts both)
        if "@" in key:
            forms = [first.get(key), first.get(local_part(key))]
        else:
            forms = [when for name, when in first.items() if same_account(name, key)]
        if any(earliest is not None and earliest <= moment for earliest in forms):
            return False
    return True


def _failed_first(facts: ClientFacts) -> bool:
    """Every failure of it (each with a time) came before its first login, by the time
    stamps: in time order no login came before them to make them an old password's."""
    logins = [event.record.time for event in facts.success_events]
    if not logins or not facts.failure_times or any(when is None for when in logins):
        return False
    earliest = min(when for when in logins if when is not None)
    latest = max(when for when, _n in facts.failure_times if when is not None)
    replies = [when for when in facts.failure_reply_times if when is not None]
    return latest < earliest and all(when < earliest for when in replies)


def _judge_by_time(clients: dict[str, ClientFacts], out_of_order: bool) -> None:
    """A login after failures is judged by the time stamps, not by the order of the
    lines: ``cat mail.log mail.log.1`` puts today's failures before yesterday's login,
    and the detector, which counts in the order given, calls that login a break-in
    (:attr:`ClientFacts.withdrawn`). A client the detector judged whose logins all came
    before its failures got in by no guess (:attr:`ClientFacts.logged_in_first`); one
    whose break-ins were all withdrawn and that logged in as every account it failed on,
    failing no more often than a device with an old password may, is the owner
    (:attr:`ClientFacts.owner_by_time`), as the detector judges it in time order.

    A login before the failures is taken for no guess only where the order of the lines
    could have misled the detector: a break-in of it withdrawn, or an input said to go
    back in time (``out_of_order``). In time order, a client that logged in as bob and
    then guessed at other accounts is judged as the detector and the owner of bob need
    it: it has bob's password, which is to be changed.

    Only in an input said to go back in time (``out_of_order``) that could not be read
    again in time order (a FIFO): otherwise the detector read the entries as analyze
    reads them, and its judgement is analyze's (entries that go back less than
    `~mailwarden.scan.SHORT_BACKWARD`, or less than `~mailwarden.scan.BACKWARD` too many
    times to be read again, are counted in the order given by both, unsaid)."""
    if not out_of_order:
        return
    first: dict[str, datetime] | None = None
    for facts in clients.values():
        if facts.attacker is None and not facts.compromises:
            continue  # the detector's owner, or unjudged: told by the time stamps already
        if not facts.success_events:
            continue
        if any(when is None for when, _n in facts.failure_times):
            continue  # a failure without a time: the detector's word stands
        if facts.stale_password:
            facts.login_after_failures = _failed_first(facts)
            continue
        if facts.compromises:
            if first is None:
                first = _first_failures(clients)
            early = [c for c in facts.compromises if _login_first(facts, c, first)]
            withdrawn = {id(c) for c in early}
            facts.compromises = [c for c in facts.compromises if id(c) not in withdrawn]
            facts.withdrawn = early
            if facts.compromises:
                continue
        if not facts.failure_times:
            continue  # others' guessing only: a login before it is no client's guess
        times = [event.record.time for event in facts.success_events]
        if any(when is None for when in times):
            continue
        latest = max(when for when in times if when is not None)
        if facts.failures_before(latest):
            continue
        logged = {account_key(u) for u in facts.succeeded_as if u}
        logged |= facts.login_times.keys()
        if not _all_logged_in(facts.failure_names.keys(), logged):
            # It logged in as bob, then guessed at other accounts: whatever the order of
            # the lines, it has bob's password, as in time order (which is to be changed).
            continue
        facts.logged_in_first = True
        if not facts.withdrawn:
            continue
        facts.owner_by_time = (
            bool(facts.failure_names)
            and _all_logged_in(facts.failure_names.keys(), logged)
            and _all_logged_in(facts.account_keys, logged)
            and facts.failed_attempts <= _POLICY.stale_max_failures
        )


def _note_guessed_by(clients: dict[str, ClientFacts]) -> None:
    """For each client with a compromise, the other clients that failed, before it, on
    the account it logged in as (:attr:`ClientFacts.guessed_by`)."""
    for facts in clients.values():
        for compromise in facts.compromises:
            if not compromise.user:
                continue
            key = account_key(compromise.user)
            for other in clients.values():
                if other is facts or other.ip in facts.guessed_by:
                    continue
                if not any(same_account(tried, key) for tried in other.account_keys):
                    continue
                if (
                    compromise.time is not None
                    and other.first is not None
                    and other.first > compromise.time
                ):
                    continue
                facts.guessed_by.append(other.ip)


def _judge_other_logins(clients: dict[str, ClientFacts], out_of_order: bool) -> None:
    """A client the detector judged guessing, with no break-in, whose logins came, by the
    time stamps, after one of its failures, each as an account it never tried (by the
    local part): the detector takes them for someone else behind the same address, not
    the guess that worked (:attr:`ClientFacts.someone_else`; ``Detector._shared_address``),
    when it saw them after its failures (they are among its attacker's ``succeeded_as``).
    In an input said to go back in time (``out_of_order``), where it read such a login
    before the failures it came after, as it judges them in time order: the client tried
    one account, no other guessing address tried the one logged into, and no fast brute
    force ended within ``compromise_window`` before (the detector's Maybe)."""
    for facts in clients.values():
        attacker = facts.attacker
        if attacker is None or facts.compromises or facts.withdrawn or facts.logged_in_first:
            continue
        logins = [account_key(user) for user in facts.succeeded_as if user]
        if not logins or None in facts.succeeded_as:
            continue
        tried = {local_part(key) for key in facts.account_keys}
        if any(local_part(key) in tried for key in logins):
            continue
        times = [event.record.time for event in facts.success_events]
        if not times or any(moment is None for moment in times):
            continue
        first = min(moment for moment in times if moment is not None)
        if not facts.failures_before(first):
            continue
        seen = {account_key(user) for user in attacker.succeeded_as}
        if all(key in seen for key in logins):
            facts.someone_else = True
        elif out_of_order:
            facts.misspelt_by_time = _misspelt_by_time(facts, logins, first, clients)
            facts.someone_else = (
                facts.misspelt_by_time is None
                and len(tried) == 1
                and _shared_by_time(facts, logins, first, clients)
            )


def _judge_logins_before(clients: dict[str, ClientFacts]) -> None:
    """In an input read in time order, a client the detector judged guessing whose
    logins it counts no break-in of, nor someone else's behind its address: by the time
    stamps each came before its first failure (a login as bob, then guessing, at bob or
    at other accounts), and analyze reports nobody got in from it. explain says no more
    (:attr:`ClientFacts.logged_in_first`: no login after its failures, which is no
    proof that it did not get in), rather than a break-in analyze does not report."""
    for facts in clients.values():
        if facts.attacker is None or facts.compromises or facts.someone_else:
            continue
        if not facts.success_events or not facts.failure_times:
            continue
        times = [event.record.time for event in facts.success_events]
        if any(when is None for when in times):
            continue
        if any(when is None for when, _n in facts.failure_times):
            continue
        latest = max(when for when in times if when is not None)
        if not facts.failures_before(latest):
            facts.logged_in_first = True


def _judge_logins_read_first(clients: dict[str, ClientFacts]) -> None:
    """In an input read as given (not said to go back in time), a client the detector
    judged guessing, with no break-in reported, whose logins no other judgement here
    explains, and each of which is, in the lines as given, before a failure of it
    stamped earlier than the login: the detector read the login first (entries less
    than 10 minutes out of order, counted as given) and reports no break-in
    (:attr:`ClientFacts.login_read_first`); explain does not say one either."""
    for facts in clients.values():
        if facts.attacker is None or facts.compromises or not facts.success_events:
            continue
        if facts.logged_in_first or facts.someone_else or facts.misspelt_by_time:
            continue
        if facts.owner_by_time or facts.login_after_failures:
            continue
        records = [event.record for event in facts.success_events]
        if all((r.source, r.line) in facts.logins_read_first for r in records):
            facts.login_read_first = True


_OWN_GUESSING = frozenset(
    {
        Verdict.SLOW_BRUTEFORCE,
        Verdict.PROBE,
        Verdict.NETWORK_MEMBER,
        Verdict.SPRAY_MEMBER,
    }
)
"""The verdicts a device set up with a misspelt user name may have earned (its own slow
failures, the name, its network or a campaign by association: a fast burst is a bot's)."""


def _misspelt_by_time(
    facts: ClientFacts, logins: list[str], first: datetime, clients: dict[str, ClientFacts]
) -> tuple[str, str] | None:
    """The name every failure of ``facts`` was on and the account of ``logins`` it
    misspells, as the detector judges a device set up with a misspelt user name when it
    reads the login after the failures (``Detector._misspelt_device``): one name,
    tried by no other client and logged in as by nobody, a typo of the account but not
    another form of it (``bob`` is bob@example.com: a guess on the account), no more
    failures than a device with an old password may make, the last within
    ``daily_window`` before ``first``, the first login; a slow brute force, and no
    verdict but guessing; no other account logged in from it."""
    attacker = facts.attacker
    if attacker is None or Verdict.SLOW_BRUTEFORCE not in attacker.verdicts:
        return None
    if not set(attacker.verdicts) <= _OWN_GUESSING:
        return None
    if len(facts.account_keys) != 1 or len(set(logins)) != 1 or not attacker.users_complete:
        return None
    name, login = next(iter(facts.account_keys)), logins[0]
    if same_account(name, login) or not typo_of(name, login):
        return None
    if attacker.failures > _POLICY.stale_max_failures:
        return None
    times = facts.failure_names.get(name)
    if times is None or not timedelta(0) <= first - times[1] <= _POLICY.daily_window:
        return None
    for other in clients.values():
        if other is facts:
            continue
        if name in other.account_keys:
            return None  # another client's too: a name of a list
        if any(account_key(u) == name for u in other.succeeded_as if u):
            return None  # a real account
    return facts.accounts[0], escape_text(login)  # the key is raw: shown escaped


def _shared_by_time(
    facts: ClientFacts, logins: list[str], first: datetime, clients: dict[str, ClientFacts]
) -> bool:
    """No other guessing address tried an account of ``logins``, and no fast brute force
    of ``facts`` ended within ``compromise_window`` before ``first``, its first login."""
    for other in clients.values():
        if other is facts or other.attacker is None:
            continue
        if any(same_account(tried, key) for tried in other.account_keys for key in logins):
            return False
    attacker = facts.attacker
    if attacker is None or Verdict.BRUTEFORCE not in attacker.verdicts:
        return True
    before = [when for when, _n in facts.failure_times if when is not None and when <= first]
    return not before or first - max(before) > _POLICY.compromise_window


def _all_logged_in(names: Iterable[str], logged: set[str]) -> bool:
    """Every one of ``names`` (account keys) is an account logged in as: one of
    ``logged``, or another form of one (``alice`` for alice@example.com, as the detector
    takes it: :func:`~mailwarden.detect.accounts.same_account`)."""
    return all(name in logged or any(same_account(name, user) for user in logged) for name in names)


def _not_stale(ips: list[str], clients: dict[str, ClientFacts]) -> bool:
    """The addresses of a ``stale_password`` finding are all ones whose failures came,
    by the time stamps, before their logins (:attr:`ClientFacts.login_after_failures`)."""
    return bool(ips) and all(ip in clients and clients[ip].login_after_failures for ip in ips)


def _finding_ips(finding: Finding) -> set[str]:
    ips = {e.ip for e in finding.evidence if e.ip is not None}
    for key in ("ip", "client"):
        value = finding.data.get(key)
        if isinstance(value, str):
            ips.add(value)
    try:
        ipaddress.ip_address(finding.subject)
    except ValueError:
        pass
    else:
        ips.add(finding.subject)
    return ips


class Collector:
    """The facts of an input read once, in log order, keeping no log line: each event
    as the session layer took it (:meth:`event`), each session once it has ended, in
    the order the sessions began (:meth:`session`; its events may be dropped after),
    then :meth:`result` with the detect stage's analysis. What it keeps grows with the
    clients and sessions, not with the lines."""

    def __init__(self) -> None:
        self.clients: dict[str, ClientFacts] = {}
        self.logins = 0
        self.sessions = 0
        self.in_sessions: dict[str, int] = {}
        self.logged_in: set[str] = set()
        self.failures = _Failures()
        self.violations: dict[str, list[str]] = {}

    def event(
        self, event: Event, ip: str | None, new: int, seconds: float, next_passdb: bool = False
    ) -> None:
        """One event: its client (the event's, else its session's), the failed attempts
        the session layer counted for it, its time in POSIX seconds; ``next_passdb``:
        the session layer took it for the next passdb's refusal of an attempt
        (:attr:`SessionTracker.next_passdb`)."""
        self.failures.feed(event, ip, new, seconds, next_passdb)
        if ip is not None and event.hostile:
            kind = violation_kind(event)
            if kind is not None:
                kinds = self.violations.get(ip)
                if kinds is None:
                    kinds = self.violations[ip] = []
                _add(kinds, kind)

    def session(self, session: Session) -> bool:
        """An ended session (with its events), in the order the sessions began; whether
        a login succeeded in it."""
        self.sessions += 1
        succeeded_as = logins_of(session)
        self.logged_in.update(account_key(u) for u in succeeded_as if u)
        logged_in = session_logged_in(session)
        if session.ip is None:
            return logged_in
        facts = _client_for(self.clients, session.ip)
        facts.connections += 1
        _add(facts.kinds, session.kind)
        _add(facts.services, session.service)
        # The attempts its lines account for, counted there or through the credit of an
        # auth-process line without a session id (PAM's ``pam_unix(dovecot:auth)``,
        # Dovecot's 2.2 auth lines) that came first: attempts of this session either way,
        # whose end tells whether a login followed.
        accounted = max(session.failures, session.attempts_seen)
        self.in_sessions[session.ip] = self.in_sessions.get(session.ip, 0) + accounted
        for cred in session.credentials:
            add_account(facts, cred.user, cred.user_complete)
        for account in session.users:
            add_account(facts, account)
        if session.credentials and logged_in:
            first = len(facts.credentials)
            facts.real_passwords.update(range(first, first + len(session.credentials)))
        facts.credentials.extend(session.credentials)
        for login in succeeded_as:
            if login not in facts.succeeded_as:
                facts.succeeded_as.append(login)
        self.logins += len(succeeded_as)
        if session.tls is not None and session.tls not in facts.tls:
            facts.tls.append(session.tls)
        _walk_session(facts, session)
        return logged_in

    def queued(self, ip: str, queue_ids: Iterable[str]) -> None:
        """Messages a session of ``ip`` in which it logged in handed over, by their queue
        IDs (read by the caller from Postfix's ``QUEUEID: client=…`` lines)."""
        facts = _client_for(self.clients, ip)
        for queue_id in queue_ids:
            facts.queued_count += 1
            if len(facts.queued) < MAX_QUEUED:
                facts.queued.append(queue_id)

    def result(
        self, analysis: Analysis, records: int, outside: int = 0, out_of_order: bool = False
    ) -> ExcerptFacts:
        """Everything joined with the detect stage's analysis into facts per client;
        ``out_of_order``: the input was said to go back in time."""
        clients = self.clients
        for ip, tally in self.failures.tallies.items():
            facts = _client_for(clients, ip)
            facts.failures = tally.guesses
            facts.failed_attempts = tally.attempts
            facts.failure_times = tally.times
            facts.first_login = self.failures.first_login.get(ip)
            for kind in tally.kinds:
                _add(facts.kinds, kind)
            for user, complete in tally.users:  # a failure outside any session names it
                add_account(facts, user, complete)
            for when, _count in tally.times:
                _note_time(facts, when)

        for attacker in analysis.attackers:
            facts = _client_for(clients, attacker.ip)
            facts.attacker = attacker
            facts.failures = attacker.failures  # the detector's count, as analyze shows it
            for user in attacker.users:
                add_account(facts, user)
            for service in attacker.services:
                _add(facts.services, service)
            _note_time(facts, attacker.first_seen)
            _note_time(facts, attacker.last_seen)
        for ip, read_first in self.failures.read_first.items():
            if ip in clients:
                clients[ip].logins_read_first = read_first
        logged_in = self.failures.not_missing
        # An account someone logged in as exists, whatever a server said of it (in either
        # form: alice, alice@example.com, as same_account compares them).
        local_parts = {key.rpartition("@")[0] for key in logged_in if "@" in key}
        for ip, unknown in self.failures.unknown.items():
            if ip in clients:
                clients[ip].unknown_accounts = {
                    key
                    for key in unknown
                    if key not in logged_in
                    and not (
                        key.rpartition("@")[0] in logged_in if "@" in key else key in local_parts
                    )
                }
        for ip, facts in clients.items():
            # Failures counted outside this client's sessions (Dovecot auth-process lines
            # without a session id, an outage in the middle of guessing): no session end
            # tells whether a login followed them.
            counted = max(facts.failures, facts.failed_attempts)
            facts.loose_failures = counted > self.in_sessions.get(ip, 0)
        for ip, kinds in self.violations.items():
            if ip in clients:
                clients[ip].violations = kinds
        for compromise in analysis.compromised:
            if compromise.ip is not None:
                _client_for(clients, compromise.ip).compromises.append(compromise)
        _note_guessed_by(clients)
        _judge_by_time(clients, out_of_order)
        _judge_other_logins(clients, out_of_order)
        if not out_of_order:
            _judge_logins_before(clients)
            _judge_logins_read_first(clients)

        server: list[Finding] = []
        other: list[Finding] = []
        for finding in sorted(analysis.findings, key=lambda f: _SEVERITY_RANK.get(f.severity, 9)):
            if finding.kind in SERVER_KINDS:
                server.append(finding)
                continue
            ips = sorted(_finding_ips(finding), key=address_key)
            if finding.kind == "stale_password" and _not_stale(ips, clients):
                continue
            for ip in ips:
                if ip in clients:
                    clients[ip].findings.append(finding)
            if finding.kind != "misspelt_username":  # told with its client's failures
                other.append(finding)
        server.sort(key=lambda f: SERVER_KINDS.index(f.kind))

        ordered = sorted(
            clients.values(),
            key=lambda c: (
                not c.succeeded or not c.hostile,
                -c.failures,
                -c.failed_attempts,
                address_key(c.ip),
            ),
        )
        return ExcerptFacts(
            clients=ordered,
            server_findings=server,
            other_findings=other,
            old_cipher_list=self.failures.old_list,
            records=records,
            sessions=self.sessions,
            logins=self.logins,
            logged_in=frozenset(self.logged_in),
            outside=outside,
            violators=self.violations,
        )


__all__ = [
    "SERVER_KINDS",
    "ClientFacts",
    "Collector",
    "ExcerptFacts",
    "add_account",
    "line_kind",
    "logged_in_accounts",
    "session_logged_in",
    "violation_kind",
]
