"""What the events, sessions and the detect stage's analysis say about each client: the
facts a verdict is written from. Nothing here reads log text; everything comes from
Event fields, the detect stage's sessions (with their decoded credentials) and its
:class:`~mailwarden.detect.analysis.Analysis` (attackers, compromises, findings).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailwarden.detect.analysis import Analysis, Attacker, Compromise, Verdict
from mailwarden.detect.sessions import Session
from mailwarden.explain.replies import is_auth_failure_reply
from mailwarden.explain.tls import is_old_postfix_cipher_list
from mailwarden.model import Event, EventType, Finding, Severity
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


@dataclass
class ClientFacts:
    """Everything the excerpt shows about one client address."""

    ip: str
    names: list[str] = field(default_factory=list)
    """Reverse DNS names Postfix showed (``unknown`` when there was none)."""
    sessions: list[Session] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    failures: int = 0
    """Failed logins, each attempt counted once (by the session layer)."""
    accounts: list[str] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    succeeded_as: list[str | None] = field(default_factory=list)
    success_events: list[Event] = field(default_factory=list)
    failure_lines: int = 0
    """Server lines that say a login failed (SASL warnings, Dovecot auth failed)."""
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
    findings: list[Finding] = field(default_factory=list)
    """Findings of the detect stage that name this client (spray, network, …)."""
    attacker: Attacker | None = None
    """The detect stage's judgement of this client, when it judged it hostile."""
    compromises: list[Compromise] = field(default_factory=list)

    @property
    def stale_password(self) -> bool:
        """Detection says these failures are a real user's device with an old password."""
        return self.attacker is not None and self.attacker.verdict is Verdict.STALE_PASSWORD

    @property
    def hostile(self) -> bool:
        if self.stale_password:
            return False
        return bool(self.attacker or self.failures or self.failure_lines or self.compromises)

    @property
    def tried_to_log_in(self) -> bool:
        return bool(
            self.failures
            or self.failure_lines
            or self.accounts
            or self.credentials
            or self.mechanisms
            or self.compromises
        )

    @property
    def succeeded(self) -> bool:
        """Someone logged in from this client (a compromise when it was guessing)."""
        return bool(self.compromises or self.succeeded_as or self.success_events)

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

    @property
    def attackers(self) -> list[ClientFacts]:
        return [c for c in self.clients if c.hostile]


def _add(items: list[str], value: str | None) -> None:
    if value is not None and value not in items:
        items.append(value)


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


def _walk_session(facts: ClientFacts, session: Session) -> None:
    final_reply = False
    auth_open = False
    for event in session.events or ():
        _note_time(facts, event.record.time)
        etype = event.type
        detail = event.detail or {}
        if etype is EventType.CONNECT:
            _add(facts.names, detail.get("name"))
        elif etype is EventType.AUTH_COMMAND:
            _add(facts.mechanisms, (event.mechanism or "").upper() or None)
            auth_open, final_reply = True, False
        elif etype in (EventType.AUTH_FAILURE, EventType.AUTH_UNAVAILABLE):
            facts.failure_lines += max(1, event.attempts)
            _add(facts.mechanisms, (event.mechanism or "").upper() or None)
            if event.user:
                _add(facts.accounts, escape_text(event.user))
        elif etype is EventType.AUTH_SUCCESS:
            facts.success_events.append(event)
        elif etype is EventType.SERVER_REPLY:
            facts.saw_replies = True
            code = detail.get("code", "")
            enhanced = detail.get("enhanced")
            if is_auth_failure_reply(code, enhanced):
                _add(facts.failure_replies, f"{code} {enhanced}" if enhanced else code)
            if code.startswith("235"):
                facts.success_events.append(event)
            if auth_open and code[:1] in {"2", "4", "5"}:
                final_reply, auth_open = True, False
        elif etype is EventType.CLIENT_DATA:
            _client_line(facts, event, final_reply and not auth_open)
        elif etype is EventType.DISCONNECT:
            ok = detail.get("auth_ok")
            if ok and ok != "0":
                facts.success_events.append(event)
        elif etype is EventType.LOST_CONNECTION:
            _add(facts.hung_up_after, detail.get("after"))


def _client_line(facts: ClientFacts, event: Event, after_final_reply: bool) -> None:
    text = (event.payload or "").removesuffix("??").strip()
    if text == "*" and after_final_reply:
        facts.star_after_reply = True
        return
    verb, _sep, rest = text.partition(" ")
    if verb.upper() in {"EHLO", "HELO"} and rest.strip():
        _add(facts.greetings, escape_text(rest.strip()))


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


def collect(
    sessions: Sequence[Session],
    analysis: Analysis,
    events: Iterable[Event],
    records: int,
) -> ExcerptFacts:
    """Join sessions, the analysis and the loose events into facts per client."""
    clients: dict[str, ClientFacts] = {}
    logins = 0
    for session in sessions:
        if session.ip is None:
            continue
        facts = _client_for(clients, session.ip)
        facts.sessions.append(session)
        _add(facts.services, session.service)
        facts.failures += session.failures
        for account in session.users:
            _add(facts.accounts, escape_text(account))
        facts.credentials.extend(session.credentials)
        for login in session.succeeded_as:
            if login not in facts.succeeded_as:
                facts.succeeded_as.append(login)
        logins += len(session.succeeded_as)
        if session.tls is not None and session.tls not in facts.tls:
            facts.tls.append(session.tls)
        _walk_session(facts, session)

    old_list = None
    for event in events:
        cipher_list = (event.detail or {}).get("cipher_list")
        if cipher_list is not None and is_old_postfix_cipher_list(cipher_list):
            old_list = cipher_list

    for attacker in analysis.attackers:
        facts = _client_for(clients, attacker.ip)
        facts.attacker = attacker
        # Lines outside any session (postscreen, Dovecot auth-process lines) count too.
        facts.failures = max(facts.failures, attacker.failures)
        for user in attacker.users:
            _add(facts.accounts, escape_text(user))
        for service in attacker.services:
            _add(facts.services, service)
        _note_time(facts, attacker.first_seen)
        _note_time(facts, attacker.last_seen)
    for compromise in analysis.compromised:
        if compromise.ip is not None:
            _client_for(clients, compromise.ip).compromises.append(compromise)

    server: list[Finding] = []
    other: list[Finding] = []
    for finding in sorted(analysis.findings, key=lambda f: _SEVERITY_RANK.get(f.severity, 9)):
        if finding.kind in SERVER_KINDS:
            server.append(finding)
            continue
        for ip in sorted(_finding_ips(finding)):
            if ip in clients:
                clients[ip].findings.append(finding)
        other.append(finding)
    server.sort(key=lambda f: SERVER_KINDS.index(f.kind))

    ordered = sorted(
        clients.values(),
        key=lambda c: (not c.succeeded or not c.hostile, -c.failures, -c.failure_lines, c.ip),
    )
    return ExcerptFacts(
        clients=ordered,
        server_findings=server,
        other_findings=other,
        old_cipher_list=old_list,
        records=records,
        sessions=len(sessions),
        logins=logins,
    )


__all__ = ["SERVER_KINDS", "ClientFacts", "ExcerptFacts", "collect"]
