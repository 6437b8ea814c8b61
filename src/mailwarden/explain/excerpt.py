"""Explain an excerpt: every entry in plain language, grouped by session, then a verdict.

This is a consumer of the pipeline: it takes records with their events (framing and
parsers), joins them into sessions with the detect stage's tracker (which also decodes
AUTH payloads, LOGIN steps joined), asks the detect stage for its findings, and writes.
It reads no log text itself, but for the lines that make no event (:mod:`.routine`
names their kind).

Lines outside any session that name a client join that client: a Dovecot auth-process
line without a session id joins the session of its address that is open around it
(Postfix asked Dovecot to check the password); postscreen's lines, which the tracker
keeps no session for, form one group per postscreen connection (client address and
port), with the DNS blocklist answers about its address. A Dovecot mail process's lines
(``imap(user)<pid><session>: Logged out``) join the login of their session id. The
lines of cleanup, qmgr and the deliveries about a message a session handed over join
that session, by the queue ID of its ``QUEUEID: client=…`` line (Postfix's own, read from
the start of the lines; nothing after it is trusted): after a login, the mail sent
through the account. journalctl's own lines (``-- Boot … --``) are shown where they
stand, and counted as no entry.

Input bigger than an excerpt (a whole log pasted or passed, a password spray of
thousands of lines) is read once, as a stream, and what the reader sees keeps an
excerpt's length: the first :data:`MAX_ENTRIES` entries are explained one by one, in
their sessions (a listed session's later lines with it), then how many more there were,
then the verdict, which covers every entry (and tells at most ten clients and five
findings of a kind in full, :mod:`.verdict`). Each event goes to the session layer, the
facts (:class:`~.facts.Collector`) and the detect stage as it is read; an entry is kept
only while it may be listed (the first :data:`MAX_ENTRIES`, and at most
:data:`MAX_EXTRA` later lines of their sessions and clients), and a session's events are
dropped once it has ended and its facts are taken. What is held grows with the clients
and sessions the verdict counts (for a client: its accounts, its failures' times, a few
counters), not with the lines: a 5 MB password spray (38,000 lines) is explained in about
75 MB, where holding every entry took 130 MB (and a third more time). A client's
facts are taken in the order its sessions began, so a session still open keeps its
events, and those of its client's later sessions, until it ends or expires (the
tracker's idle timeout); other clients' ended sessions wait behind it only until
:data:`_SORT_OUT` do. The one approximation: a listed session's lines past
:data:`MAX_EXTRA` kept ones are not listed.

A bot repeats itself: a line that comes again and again with the same meaning (the same
client, account and outcome), or a run of two or three such lines, is told once when it
repeats :data:`FOLD_AFTER` times or more, with how many more times it came and between
which times; so is a session that repeats the one listed before it line for line. Every
other line is listed and explained; the verdict, made from every entry, is not changed
by it. explain writes text only (no JSON): analyze's ``--format json`` is the
machine-readable report, and lists no log lines to fold.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwarden.detect.analysis import Analysis
from mailwarden.detect.pieces import AfterPiece, after_piece
from mailwarden.detect.proxied import ProxiedSessions
from mailwarden.detect.sessions import Session, SessionKey, SessionTracker
from mailwarden.explain.document import Block, Entry, Heading, Paragraph
from mailwarden.explain.entries import (
    Note,
    SessionState,
    client_values,
    clipped_within,
    describe,
    unrecognised,
)
from mailwarden.explain.facts import Collector, trailer_forged
from mailwarden.explain.routine import (
    debug_client,
    foreign_program,
    journal_note,
    listed_client,
    queued_note,
    routine_note,
)
from mailwarden.explain.verdict import AuditCommand, verdict, when
from mailwarden.framing import journal_marker
from mailwarden.gcpause import fewer_collections
from mailwarden.locale import N_, _, ngettext
from mailwarden.model import Event, EventType, Record
from mailwarden.parsers.dovecot import AFTER_PIECE, PROXIED
from mailwarden.parsers.sasl import Credential, escape_text, escape_unsafe
from mailwarden.redact import REDACTED, redact_line

Analyzer = Callable[[Iterable[Event]], Analysis]
"""Runs the detect stage over the excerpt's events (attackers, compromises, findings),
given as they are read: it reads them once, in order (:func:`mailwarden.detect.analyze`)."""

MAX_ENTRIES = 400
"""Entries explained one by one; the verdict always covers the whole input."""
MAX_EXTRA = 10 * MAX_ENTRIES
"""Entries kept after the first :data:`MAX_ENTRIES` for the sessions and clients those
began (their later lines are listed with them): at most this many."""
_SECRET_TYPES = frozenset({EventType.AUTH_COMMAND, EventType.CLIENT_DATA})
_DEBUG = EventType.DEBUG


def _is_piece(event: Event) -> bool:
    """Whether ``event`` is the mark of a piece of a cut Dovecot message."""
    detail = event.detail
    return detail is not None and AFTER_PIECE in detail and event.ip is None


_REDACTED = "‹…›"


@dataclass
class _Item:
    record: Record
    events: list[Event]
    session: Session | None = None
    decoded: list[Credential] = field(default_factory=list)
    secret: bool = False
    """The entry carries a client secret (an AUTH payload or a LOGIN step)."""
    order: int = 0
    """Its place in the input."""
    same_as_pam: bool = False
    """Dovecot's auth-process line of an attempt PAM's own line told before it."""
    fell_back: bool = False
    """A failed try the session layer counted nothing for: a mechanism fallback (the
    password just refused, tried by another mechanism)."""
    next_passdb: bool = False
    """A Dovecot auth-process failure the session layer counted nothing for: the next
    passdb's refusal of the attempt an earlier passdb's line told."""
    credited: int = 0
    """Attempts of a Dovecot login line that auth-process lines without a session id
    told before it."""
    pam_late: bool = False
    """PAM's own line of an attempt another line told before it: it counted nothing."""
    passed_on: bool = False
    """A Dovecot login whose password an earlier passdb of the session refused before
    the next one accepted it: that refusal counted nothing."""
    copies_client_line: bool = False
    """Cyrus's decoded copy of the client line its session logged just before it
    (:meth:`SessionTracker.echoes_client_line`, the detector's judgment)."""
    cyrus_user: str | None = None
    """The username the session layer took from Cyrus's decoded copy of a lost AUTH
    LOGIN line (:attr:`SessionTracker.cyrus_user`)."""
    queue_id: str | None = None
    """The queue ID of the message this line handles (cleanup's, qmgr's, a delivery's),
    when a session listed here handed that message over (its ``QUEUEID: client=…``
    line): the line is told with that session."""
    marker: str | None = None
    """journalctl's own line (``-- Boot … --``), of this kind
    (:func:`~mailwarden.framing.journal_marker`): shown, but no log entry."""

    @property
    def client(self) -> str | None:
        """The client address the entry names (an event's, a DNS blocklist answer's, or
        that of a Dovecot ``auth_debug`` line about a login)."""
        for event in self.events:
            if event.ip is not None:
                return event.ip
        if self.events:
            return None
        return listed_client(self.record) or debug_client(self.record)


@dataclass
class _Group:
    session: Session | None
    items: list[_Item] = field(default_factory=list)
    client: str | None = None
    """A client's lines outside any session (postscreen's): its address."""
    marker: bool = False
    """journalctl's own line, told apart from the entries."""


_SORT_OUT = 1000
"""Sessions waiting to be handed over (behind one still open) that make the reader hand
over those of other clients first."""


class _Reader:
    """One pass over the input (see the module's docstring): every event goes to the
    session layer, the facts and the detect stage as it is read; an entry is kept, with
    its events, only while it may be listed."""

    def __init__(self) -> None:
        self.tracker = SessionTracker(keep_events=True)
        self.proxied = ProxiedSessions()
        """Sessions a login proxy's line marked: their "accepted" password is no proof."""
        self.pieces = AfterPiece()
        """Lines in the window of a piece of a cut Dovecot message: their logins carry the
        mark the detector gives them (detect.pieces), for the facts and the entries."""
        self.collector = Collector()
        self.entries = 0
        self.kept: list[_Item] = []
        self.extra = 0
        """Entries kept after the first :data:`MAX_ENTRIES`."""
        self._begun: deque[Session] = deque()
        """Sessions not yet handed to the collector, in the order they began."""
        self._pending: set[int] = set()
        self._sort_out_at = _SORT_OUT
        self.logged_in: set[Session] = set()
        self.trailer_forged: set[Session] = set()
        """Listed sessions whose statistics show a reject line's SASL trailer forged."""
        """The sessions that may be listed in which a login succeeded."""
        self._listable: set[int] | None = None
        """Once the first :data:`MAX_ENTRIES` entries are read: the sessions that may be
        listed (theirs), by id."""
        self._listable_keys: set[SessionKey] = set()
        self._listable_ips: set[str] = set()
        self.session_ips: set[str] = set()
        self.client_sessions = 0
        """Sessions, with a client address or not: each is listed as one."""
        self.loose_ips: set[str] = set()
        """Clients named by entries outside any session."""

    def events(self, pairs: Iterable[tuple[Record, list[Event]]]) -> Iterator[Event]:
        """Every event of ``pairs`` in log order, each once it has been taken in."""
        tracker = self.tracker
        collector = self.collector
        for record, events in pairs:
            if not events and record.program is None and record.time is None:
                marker = journal_marker(record.message)
                if marker is not None:
                    # journalctl's own line: no entry, listed where it stands.
                    if self._listable is None:
                        self.kept.append(_Item(record, [], order=self.entries, marker=marker))
                    continue
            marks = None
            if events and events[0].type is _DEBUG and _is_piece(events[0]):
                # A piece of a cut Dovecot message: no entry of its own (routine_note says
                # what it is); its mark is the detector's (detect.pieces).
                marks, events = events, []
                for mark in marks:
                    self.pieces.mark(mark)
            elif self.pieces.waiting:
                events = [self.pieces.judge(event) for event in events]
            proxied = self.proxied
            item = _Item(
                record,
                [proxied.see(e) if e.detail is not None else e for e in events],
                order=self.entries,
            )
            self.entries += 1
            for event in item.events:
                if event.type is _DEBUG and tracker.echoes_client_line(event):
                    item.copies_client_line = True  # asked before the feed, as detect does
                session, new = tracker.feed(event)
                ip = event.ip
                if ip is None and session is not None:
                    ip = session.ip
                collector.event(event, ip, new, tracker.seconds(event), tracker.next_passdb)
                if session is not None:
                    if item.session is None:
                        item.session = session
                    if id(session) not in self._pending and session.events is not None:
                        self._pending.add(id(session))
                        self._begun.append(session)
                if tracker.decoded:
                    item.decoded += [cred for _s, cred in tracker.decoded]
                    tracker.decoded.clear()
                tracker.logins.clear()
                tracker.renamed.clear()
                if tracker.same_as_pam:
                    item.same_as_pam = True
                    tracker.same_as_pam = False
                if tracker.fell_back:
                    item.fell_back = True
                    tracker.fell_back = False
                if tracker.next_passdb:
                    item.next_passdb = True
                    tracker.next_passdb = False
                if tracker.passed_on:
                    item.passed_on = True
                    tracker.passed_on = False
                if tracker.pam_late:
                    item.pam_late = True
                    tracker.pam_late = False
                if tracker.credited:
                    item.credited += tracker.credited
                    tracker.credited = 0
                if tracker.cyrus_user is not None:
                    item.cyrus_user = tracker.cyrus_user
                    tracker.cyrus_user = None
                tracker.cyrus_taken = False
                if tracker.released:
                    self._released()
            self._keep(item)
            self._hand_over(False)
            yield from item.events
            if marks:
                yield from marks
        tracker.close_all()
        self._released()
        self._hand_over(True)

    def _released(self) -> None:
        """PAM lines the session layer deferred and no line of their attempt took: one
        failed attempt each (:attr:`SessionTracker.released`)."""
        tracker = self.tracker
        for event in tracker.released:
            self.collector.event(event, event.ip, 1, tracker.seconds(event))
        tracker.released.clear()

    def _keep(self, item: _Item) -> None:
        if item.session is None:
            ip = item.client
            # a client whose lines outside a session are Dovecot's auth_debug lines alone
            # tried to log in: it is not one that never reached a session
            if ip is not None and (item.events or listed_client(item.record) is not None):
                self.loose_ips.add(ip)
        if self._listable is None:
            self.kept.append(item)
            if self.entries == MAX_ENTRIES:
                self._decide()
            return
        if self.extra >= MAX_EXTRA:
            return
        session = item.session
        if session is not None:
            if id(session) not in self._listable:
                if session.key not in self._listable_keys:
                    return
                self._listable_keys.discard(session.key)
                self._listable.add(id(session))  # what began before its connect
        elif item.client not in self._listable_ips:
            return
        self.kept.append(item)
        self.extra += 1

    def _decide(self) -> None:
        """The first :data:`MAX_ENTRIES` entries are read: only their sessions and
        clients can be listed (each later session's group begins after them)."""
        listable: set[int] = set()
        for item in self.kept:
            session = item.session
            if session is None:
                if item.client is not None:
                    self._listable_ips.add(item.client)
                continue
            listable.add(id(session))
            if session.ip is not None:
                self._listable_ips.add(session.ip)
            else:
                # Lines before a connect: the session the connect begins is theirs.
                self._listable_keys.add(session.key)
        self._listable = listable

    def _hand_over(self, everything: bool) -> None:
        """Ended sessions go to the collector in the order they began, and lose their
        events (a kept session's login is remembered for its listing). When many wait
        behind one still open, those of other clients go ahead of it: only a client's own
        sessions need their order."""
        begun = self._begun
        while begun and (everything or begun[0].end is not None):
            self._take(begun.popleft())
        if len(begun) >= self._sort_out_at:
            waiting: deque[Session] = deque()
            held: set[str | None] = set()  # clients with a session waiting (None: unknown)
            for session in begun:
                if session.end is None or None in held or session.ip in held:
                    waiting.append(session)
                    held.add(session.ip)
                else:
                    self._take(session)
            self._begun = waiting
            self._sort_out_at = max(_SORT_OUT, 2 * len(waiting))

    def _take(self, session: Session) -> None:
        self._pending.discard(id(session))
        # Every session is a client's, listed as "Session N" whether or not its lines
        # show the client's address (a TLS dump line alone names none); but lines an
        # smtpd process wrote before its ``connect from`` (the TLS engine starting) are
        # listed with the session the connect begins (:func:`_groups`): one session.
        if session.ip is not None or session.end != "replaced":
            self.client_sessions += 1
        if session.ip is not None:
            self.session_ips.add(session.ip)
        logged_in = self.collector.session(session)
        if logged_in and session.ip is not None:
            queue_ids = [
                match.group(1)
                for event in session.events or ()
                if event.type is EventType.AUTH_SUCCESS
                and (match := _QUEUED.match(event.record.message)) is not None
            ]
            if queue_ids:
                self.collector.queued(session.ip, queue_ids)
        if logged_in and (self._listable is None or id(session) in self._listable):
            self.logged_in.add(session)
        if (self._listable is None or id(session) in self._listable) and trailer_forged(session):
            self.trailer_forged.add(session)
        session.events = None


_MAIL_PROCESS = re.compile(r"[a-z][a-z0-9-]*\([^)]*\)<\d+><([^>]+)>: ")
"""The start of a Dovecot mail process's line (``imap(user)<pid><session>: ``): the
session id is the one its login line names."""


def _mail_process_session(record: Record) -> str | None:
    """The login session id a Dovecot mail process's line names (its logout, say)."""
    if not (record.program or "").startswith("dovecot"):
        return None
    match = _MAIL_PROCESS.match(record.message)
    return match.group(1) if match else None


def _groups(items: list[_Item]) -> list[_Group]:
    """Entries by session, sessions in the order they began. A Dovecot mail process's
    lines (``imap(user)<pid><session>: Logged out``) join the login of their session id.
    Lines an smtpd process wrote before its ``connect from`` (the TLS engine starting)
    open an implicit session without a client that the connect replaces: they join the
    session that follows."""
    by_session: dict[int, _Group] = {}
    by_dovecot_id: dict[str, _Group] = {}
    groups: list[_Group] = []
    for item in items:
        session = item.session
        group = by_session.get(id(session)) if session is not None else None
        if session is None and not item.events and by_dovecot_id:
            group = by_dovecot_id.get(_mail_process_session(item.record) or "")
        if group is None:
            group = _Group(session, marker=item.marker is not None)
            groups.append(group)
            if session is not None:
                by_session[id(session)] = group
                if session.kind == "dovecot" and session.session_id:
                    by_dovecot_id[session.session_id] = group
        group.items.append(item)
    result: list[_Group] = []
    for index, group in enumerate(groups):
        session = group.session
        if session is not None and session.ip is None and session.end == "replaced":
            follower = next(
                (
                    g
                    for g in groups[index + 1 :]
                    if g.session is not None and g.session.key == session.key
                ),
                None,
            )
            if follower is not None:
                follower.items[:0] = group.items
                continue
        result.append(group)
    return _merge_loose(_link_queued(_place_clients(result)))


_QUEUED = re.compile(r"([0-9A-Za-z]{5,}): client=")
"""smtpd's line of a message it took in (``3A1B22C0F41: client=…``): its queue ID, which
Postfix writes (what follows is the client's)."""
_QUEUE_LINE = re.compile(r"([0-9A-Za-z]{5,}): ")


def _link_queued(groups: list[_Group]) -> list[_Group]:
    """The lines of other Postfix processes about a message a listed session handed
    over (cleanup's ``message-id=``, qmgr's ``from=…, nrcpt=…``, the deliveries), told
    with that session rather than as lines outside any session: by the queue ID of the
    session's ``QUEUEID: client=…`` line, the latest one before the line (Postfix may
    give a queue ID again once its message is gone)."""
    created: dict[str, list[tuple[int, _Group]]] = {}
    for group in groups:
        if group.session is None:
            continue
        for item in group.items:
            match = _QUEUED.match(item.record.message) if item.events else None
            if match is not None:
                created.setdefault(match.group(1), []).append((item.order, group))
    if not created:
        return groups
    joined: dict[int, _Group] = {}
    result: list[_Group] = []
    for group in groups:
        if _loose(group):
            staying: list[_Item] = []
            for item in group.items:
                match = None if item.events else _QUEUE_LINE.match(item.record.message)
                queue_id = match.group(1) if match is not None else ""
                earlier = [g for order, g in created.get(queue_id, ()) if order < item.order]
                if not earlier:
                    staying.append(item)
                    continue
                item.queue_id = queue_id
                earlier[-1].items.append(item)
                joined[id(earlier[-1])] = earlier[-1]
            group.items = staying
            if not staying:
                continue
        result.append(group)
    for group in joined.values():
        group.items.sort(key=lambda item: item.order)
    return result


_OVERLAP = 8
CLIENT_GAP = timedelta(minutes=10)
"""Lines of one client outside a session this close together are told together."""


def _near(earlier: datetime | None, later: datetime | None) -> bool:
    if earlier is None or later is None:
        return earlier is None and later is None
    return later - earlier <= CLIENT_GAP


class _Clients:
    """Where the entries outside any session that name a client go (see the module's
    docstring): the client's session open around them, else its group of lines outside
    a session."""

    def __init__(self, groups: list[_Group]) -> None:
        self.spans: dict[str, list[tuple[int, int, _Group]]] = {}
        self.keyed: dict[tuple[str, SessionKey], list[tuple[int, int, _Group]]] = {}
        """Each client's sessions by session key (a login proxy's lines name theirs by
        id), in the order begun: one entry a session, like :attr:`spans`."""
        for group in groups:
            if group.session is not None and group.session.ip is not None:
                span = (group.items[0].order, group.items[-1].order, group)
                self.spans.setdefault(group.session.ip, []).append(span)
                self.keyed.setdefault((group.session.ip, group.session.key), []).append(span)
        self.connections: dict[tuple[str, int | None], _Group] = {}
        """postscreen's connections by client address and port."""
        self.latest: dict[str, _Group] = {}
        """The latest group of each client's lines outside a session."""
        self.joined: set[int] = set()

    def around(self, ip: str, order: int) -> _Group | None:
        """The session of ``ip`` open around the entry at ``order``, the latest begun.
        Only the few sessions begun last before it are looked at (one address's
        sessions rarely overlap more), so a bot's thousands cost no square."""
        spans = self.spans.get(ip, ())
        last = bisect.bisect_right(spans, order, key=lambda span: span[0])
        for start, end, group in reversed(spans[max(0, last - _OVERLAP) : last]):
            if start <= order <= end:
                return group
        return None

    def proxied(self, ip: str, item: _Item) -> _Group | None:
        """The session of ``ip`` that a login proxy's line after it names (its
        ``disconnecting …``, whose event has no session of its own: the
        :data:`~mailwarden.parsers.dovecot.PROXIED` detail names it): the latest of the
        sessions begun before the line with that session id, however many other sessions
        of the address (an office behind one NAT address) began in between."""
        sid = next(
            (e.detail[PROXIED] for e in item.events if e.detail and PROXIED in e.detail), None
        )
        if not sid:
            return None
        spans = self.keyed.get((ip, ("dovecot", sid)), [])
        last = bisect.bisect_right(spans, item.order, key=lambda span: span[0])
        return spans[last - 1][2] if last else None

    def place(self, item: _Item, ip: str) -> _Group | None:
        """The group ``item`` joins; a new one (returned) when it starts one."""
        events = item.events
        if item.record.program is not None and item.record.program.endswith("postscreen"):
            port = next((e.port for e in events if e.port is not None), None)
            key = (ip, port)
            group = self.connections.get(key)
            opening = any(
                e.type is EventType.POSTSCREEN_PASS and e.reason == "CONNECT" for e in events
            )
            if group is None or opening:
                group = self.connections[key] = self.latest[ip] = _Group(None, client=ip)
                group.items.append(item)
                return group
        else:
            session = self.around(ip, item.order) if events else None
            if session is None and events:
                session = self.proxied(ip, item)
            if session is not None:
                session.items.append(item)
                self.joined.add(id(session))
                return None
            group = self.latest.get(ip)
            if group is None or not _near(group.items[-1].record.time, item.record.time):
                group = self.latest[ip] = _Group(None, client=ip)
                group.items.append(item)
                return group
        group.items.append(item)
        return None


def _place_clients(groups: list[_Group]) -> list[_Group]:
    """Entries outside any session that name a client, moved to that client's lines."""
    clients = _Clients(groups)
    result: list[_Group] = []
    for group in groups:
        if group.session is not None or group.marker:
            result.append(group)
            continue
        loose = _Group(None)
        for item in group.items:
            ip = item.client
            new = clients.place(item, ip) if ip is not None else None
            if ip is None:
                loose.items.append(item)
            elif new is not None:
                if loose.items:
                    result.append(loose)
                    loose = _Group(None)
                result.append(new)
        if loose.items:
            result.append(loose)
    for group in result:
        if id(group) in clients.joined:
            group.items.sort(key=lambda item: item.order)
    return result


def _loose(group: _Group) -> bool:
    return group.session is None and group.client is None and not group.marker


def _merge_loose(groups: list[_Group]) -> list[_Group]:
    """Consecutive entries outside any session (and naming no client) form one group."""
    merged: list[_Group] = []
    for group in groups:
        if _loose(group) and merged and _loose(merged[-1]):
            merged[-1].items.extend(group.items)
        else:
            merged.append(group)
    return merged


def _group_heading(number: int, group: _Group) -> list[Block]:
    """``Session 1: client 192.0.2.7`` and, below it, the process and the time span."""
    session = group.session
    if group.marker:
        return [Heading(_("journalctl's own line, not a log entry"), 2)]
    if session is None and group.client is not None:
        heading = _("Client {ip}, outside a session").format(ip=group.client)
        return [Heading(heading, 2), Paragraph(_processes(group))]
    if session is None:
        return [Heading(_("Entries outside any client session"), 2)]
    first = group.items[0].record
    program = escape_text(session.program or first.program or "?")
    pid = session.pid if session.pid is not None else first.pid
    process = f"{program}[{pid}]" if pid is not None else program
    span = _span_of(group)
    if session.ip is None:
        title = _("Session {n}: client not named in these lines").format(n=number)
    else:
        title = _("Session {n}: client {ip}").format(n=number, ip=session.ip)
    return [Heading(title, 2), Paragraph(f"{process}, {span}" if span else process)]


def _span_of(group: _Group) -> str:
    times = [i.record.time for i in group.items if i.record.time is not None]
    if not times:
        return ""
    start, end = min(times), max(times)
    return when(start) if start == end else f"{when(start)}–{end.strftime('%H:%M:%S')}"


def _processes(group: _Group) -> str:
    """``postfix/postscreen[55674], postfix/dnsblog[55676], Mar 11 00:58:02–00:58:10``."""
    names: dict[str, None] = {}
    for item in group.items:
        record = item.record
        program = escape_text(record.program or "?")
        names[f"{program}[{record.pid}]" if record.pid is not None else program] = None
    shown = ", ".join(list(names)[:3]) + (", …" if len(names) > 3 else "")
    span = _span_of(group)
    return f"{shown}, {span}" if span else shown


_LOGGED_SECRETS = (
    # Dovecot auth_verbose_passwords: ``Password mismatch (given password: secret)``, with
    # `` - trying the next passdb`` after it (the server's) when another passdb follows.
    re.compile(
        r"(\((?:SHA1 of )?given password: ).*?(\)?(?: - trying the next (?:pass|user)db)?)$"
    ),
    # Cyrus with smtpd -v: ``decoded response: secret``, ``decoded initial response x``,
    # ``SASL authentication pass: …`` (AUTH LOGIN passwords in clear text).
    re.compile(r"(\bdecoded (?:initial )?response:? )(.+)()$"),
    re.compile(r"(\bauthentication pass:? )(.+)()$"),
    # Dovecot auth_debug_passwords: the auth protocol's ``resp=<base64>``.
    re.compile(r"(\bresp=)(?!<hidden>)([^\s?]+)()"),
)
"""Secrets a server writes into its own lines when told to (debug settings): whatever
the line is, the secret part is replaced before the line is shown."""


def _shown_line(item: _Item, show_passwords: bool) -> str:
    """The entry as it may be printed: client secrets replaced unless asked for."""
    text = item.record.message
    if not show_passwords:
        if item.secret:
            for event in item.events:
                payload = (event.payload or "").strip()
                if payload and payload not in {"=", "*"} and payload in text:
                    text = text.replace(payload, _REDACTED)
        for pattern in _LOGGED_SECRETS:
            text = pattern.sub(rf"\g<1>{_REDACTED}\g<{pattern.groups}>", text)
        # Client text the events do not carry (pipelined AUTH steps, PREGREET, non-SMTP
        # commands; Postfix's own login to a relay, told by its program): the one
        # redaction every output shares, in explain's own mark.
        record = item.record
        tag = f"{record.program}[{record.pid or 0}]: " if record.program else ""
        shown = redact_line(tag + text)
        text = shown[len(tag) :] if shown.startswith(tag) else redact_line(text)
        text = text.replace(REDACTED, _REDACTED)
    values: list[str] = []
    for event in item.events:
        if not (show_passwords and item.secret and event.type in _SECRET_TYPES):
            values += client_values(event, escape_unsafe)
        elif event.user:
            values.append(escape_unsafe(event.user))
    # A value a client chose of thousands of characters is cut, with how many more there
    # were; the server's own words around it stay whole. The line reads as the log has
    # it: the server's own escapes (Postfix's \r\n of a PREGREET) are not escaped again,
    # only what a terminal would act on is.
    shown = clipped_within(escape_unsafe(text), values)
    if not item.events:
        # Another service's line (sshd's): no session heading names its program.
        program = foreign_program(item.record)
        if program is not None:
            pid = item.record.pid
            shown = f"{program}[{pid}]: {shown}" if pid is not None else f"{program}: {shown}"
    return shown


_SECRET_NOTES = ("login:", "auth:response", "auth_command", "auth:step", "client:hidden")


FOLD_AFTER = 5
"""Repeats of a line (or of a short run of lines, or of a whole session) that are told
as one: a line a bot sent over and over, with the same outcome, is explained once, with
how many more times it came and when (:func:`_folded`, :func:`_explain`). Fewer repeats
are listed one by one."""
_FOLD_PERIOD = 3
"""The longest run of lines whose repeats are folded: a Cyrus line and Postfix's line of
each failed try, say, or Dovecot's auth line and Postfix's."""

_Shape = tuple[str | None, str, tuple[str, ...]]
"""What makes two entries the same (:func:`_shape`)."""


def _shape(item: _Item, notes: list[Note]) -> _Shape:
    """An entry as repeats compare it: its program and its message (a Dovecot session id
    left out: one connection's lines and the next one's are alike), and the kinds of
    explanation it got (the same line may mean another thing after other lines: a
    ``*`` answers a 334 prompt, or is an unknown command). The line names the client,
    the account and the outcome; the time and the process id may differ."""
    message = item.record.message
    for event in item.events:
        if event.session:
            message = message.replace(event.session, "")
    return item.record.program, message, tuple(note.key for note in notes)


def _clock(moment: datetime | None, other: datetime | None) -> str:
    """``10:01:02``, or with the day when the repeats span days."""
    if moment is None:
        return "?"
    if other is not None and other.date() != moment.date():
        return when(moment)
    return moment.strftime("%H:%M:%S")


def _repeated_text(n: int, start: datetime | None, end: datetime | None) -> str:
    """``repeated 199 more times between 10:01:02 and 10:14:55`` as a sentence."""
    if start is None or end is None:
        return ngettext("Repeated {n} more time.", "Repeated {n} more times.", n).format(n=f"{n:,}")
    if start == end:
        return ngettext(
            "Repeated {n} more time, at {start}.", "Repeated {n} more times, at {start}.", n
        ).format(n=f"{n:,}", start=_clock(start, None))
    return ngettext(
        "Repeated {n} more time, between {start} and {end}.",
        "Repeated {n} more times, between {start} and {end}.",
        n,
    ).format(n=f"{n:,}", start=_clock(start, end), end=_clock(end, start))


def _span_times(items: list[_Item]) -> tuple[datetime | None, datetime | None]:
    times = [item.record.time for item in items if item.record.time is not None]
    return (min(times), max(times)) if times else (None, None)


def _folded(shaped: list[tuple[_Shape, Entry, _Item]]) -> list[Block]:
    """The entries, each run of :data:`FOLD_AFTER` or more repeats of a line (or of up
    to :data:`_FOLD_PERIOD` lines) told once: the first copy with its explanation, then
    how many more times it came and between which times."""
    blocks: list[Block] = []
    shapes = [shape for shape, _entry, _item in shaped]
    count = len(shaped)
    index = 0
    while index < count:
        best_period, best_repeats = 0, 0
        for period in range(1, _FOLD_PERIOD + 1):
            repeats = 0
            while index + (repeats + 2) * period <= count and all(
                shapes[index + (repeats + 1) * period + t] == shapes[index + t]
                for t in range(period)
            ):
                repeats += 1
            if repeats >= FOLD_AFTER and repeats * period > best_repeats * best_period:
                best_period, best_repeats = period, repeats
        if not best_period:
            blocks.append(shaped[index][1])
            index += 1
            continue
        head = [entry for _shape_, entry, _item in shaped[index : index + best_period]]
        end = index + (best_repeats + 1) * best_period
        start, last = _span_times([item for *_rest, item in shaped[index + best_period : end]])
        said = _repeated_text(best_repeats, start, last)
        if best_period == 1:
            entry = head[0]
            blocks.append(Entry(entry.time, entry.line, f"{entry.note} {said}".strip()))
        else:
            blocks += head
            blocks.append(
                Paragraph(
                    _("The {n} lines above, together: {repeated}").format(
                        n=best_period, repeated=said
                    ),
                    indent=_NOTE_INDENT,
                )
            )
        index = end
    return blocks


_NOTE_INDENT = 9
"""Where an entry's explanation begins (after its time column, :mod:`.render`)."""


def _entries(
    group: _Group,
    show_passwords: bool,
    seen: set[str],
    logged_in: frozenset[str],
    sessions_logged_in: set[Session],
    connected: set[str],
    forged: set[Session],
    intruders: Mapping[str, bool] | None = None,
) -> tuple[list[Block], tuple[_Shape, ...]]:
    """The group's entries explained (repeats folded), and the shape of the whole group
    (its entries' shapes), for a session that repeats the one before. ``intruders``:
    the clients the verdict says got in after guessing, each with whether only the
    owner can tell (:attr:`~.facts.ClientFacts.unsure`)."""
    state = SessionState(
        show_passwords=show_passwords,
        session_logged_in=group.session in sessions_logged_in,
        logged_in=logged_in,
        connected=connected,
        accounts=frozenset(group.session.users) if group.session is not None else None,
        trailer_forged=group.session in forged,
    )
    shaped: list[tuple[_Shape, Entry, _Item]] = []
    for item in group.items:
        notes: list[Note] = []
        state.same_as_pam = item.same_as_pam
        state.fell_back = item.fell_back
        state.next_passdb = item.next_passdb
        state.passed_on = item.passed_on
        state.pam_late = item.pam_late
        state.credited = item.credited
        state.copies_client_line = item.copies_client_line
        state.cyrus_user = item.cyrus_user
        for event in item.events:
            note = describe(event, state, item.decoded)
            notes.append(note)
            if event.type in _SECRET_TYPES and note.key.startswith(_SECRET_NOTES):
                item.secret = True
        if item.marker is not None:
            notes.append(journal_note(item.marker))
        elif item.queue_id is not None:
            notes.append(queued_note(item.queue_id, _sent_by(group, state, intruders or {})))
        elif not notes:
            notes.append(routine_note(item.record) or unrecognised())
        if any(event.detail is not None and after_piece(event) for event in item.events):
            notes.append(_after_piece_note())
        texts: list[str] = []
        for note in notes:
            texts.append(note.short if note.key in seen and note.short else note.text)
            seen.add(note.key)
            for background in (note.context, note.extra):
                if background is not None and background[0] not in seen:
                    seen.add(background[0])
                    texts.append(background[1])
        moment = item.record.time
        entry = Entry(
            moment.strftime("%H:%M:%S") if moment is not None else "",
            _shown_line(item, show_passwords),
            " ".join(texts),
        )
        shaped.append((_shape(item, notes), entry, item))
    return _folded(shaped), tuple(shape for shape, _entry, _item in shaped)


_AFTER_PIECE = (
    N_(
        "This login proves no device of the account: it came within 2 seconds after a "
        "piece of a longer Dovecot message that was cut (see above), and the "
        "message's last piece reads as a line of its own whose text before the server's "
        "elements the client wrote, a login included. It still counts as a break-in after "
        "guessing, but the address's failed logins are not excused as a device still "
        "trying a changed password."
    ),
    N_("A login right after a piece of a cut message: it proves no device (see above)."),
)
"""The texts of the note of a login a piece's window marked (detect.pieces)."""


def _after_piece_note() -> Note:
    return Note("dovecot:after-piece", _(_AFTER_PIECE[0]), _(_AFTER_PIECE[1]))


def _sent_by(group: _Group, state: SessionState, intruders: Mapping[str, bool]) -> str:
    """Who sent the messages a session handed over (:func:`~.routine.queued_note`)."""
    if not state.session_logged_in:
        return "client"
    ip = group.session.ip if group.session is not None else None
    if ip is None or ip not in intruders:
        return "account"
    return "maybe_intruder" if intruders[ip] else "intruder"


def _session_key(
    group: _Group, shape: tuple[_Shape, ...], sessions_logged_in: set[Session]
) -> tuple[object, ...] | None:
    """What a session must share with the one before it to be told with it: its client,
    whether a login succeeded in it, and its lines (:func:`_shape`). None for lines
    outside a session."""
    session = group.session
    if session is None or session.ip is None:
        return None
    return (session.ip, session in sessions_logged_in, shape)


class _SessionFold:
    """Sessions that repeat the one listed before them (the same client, the same lines
    with the same outcome: a bot's connections, one like the next). At least
    :data:`FOLD_AFTER` of them are counted and told in one sentence after it; fewer are
    listed, each in full (kept in :attr:`blocks` until the run ends)."""

    def __init__(self, key: tuple[object, ...] | None = None) -> None:
        self.key = key
        self.numbers: list[int] = []
        self.items: list[_Item] = []
        self.blocks: list[Block] = []

    def add(self, number: int, group: _Group, blocks: list[Block]) -> None:
        self.numbers.append(number)
        self.items += group.items
        self.blocks += blocks

    def said(self) -> list[Block]:
        count = len(self.numbers)
        if count < FOLD_AFTER:
            return self.blocks
        start, end = _span_times(self.items)
        text = ngettext(
            "The next session ({first}) has the same lines as this one, each with the same "
            "meaning.",
            "The next {n} sessions ({first}–{last}) have the same lines as this one, each "
            "with the same meaning.",
            count,
        ).format(n=f"{count:,}", first=self.numbers[0], last=self.numbers[-1])
        if start is not None and end is not None:
            text += " " + _("Their lines run from {start} to {end}.").format(
                start=_clock(start, end), end=_clock(end, start)
            )
        return [Paragraph(text)]


def _summary_line(entries: int, sessions: int, outside: int = 0) -> str:
    """``11 log entries, 0 client sessions.``, and the clients seen only outside any
    session (postscreen's), which are listed too: ``…, 3 clients outside a session.``"""
    text = _("{entries}, {sessions}.").format(
        entries=ngettext("{n} log entry", "{n} log entries", entries).format(n=f"{entries:,}"),
        sessions=ngettext("{n} client session", "{n} client sessions", sessions).format(
            n=f"{sessions:,}"
        ),
    )
    if outside:
        text += " " + ngettext(
            "{n} client is seen only outside any session (postscreen's checks, for example).",
            "{n} clients are seen only outside any session (postscreen's checks, for example).",
            outside,
        ).format(n=f"{outside:,}")
    return text


def explain(
    pairs: Iterable[tuple[Record, list[Event]]],
    *,
    show_passwords: bool = False,
    analyze: Analyzer | None = None,
    audit: AuditCommand | None = None,
    out_of_order: Callable[[], bool] | None = None,
    in_time_order: Callable[[], Analysis | None] | None = None,
) -> list[Block]:
    """The whole explanation of an excerpt, as blocks for :mod:`.render`. ``pairs`` is
    read once, as it comes: ``analyze`` is given its events as they are read.
    ``out_of_order``, asked once ``pairs`` is read: whether its entries went back in
    time (the reader's ``ReadStats.disorder``); without it they are taken as in order.
    ``in_time_order``, asked then too: the detect stage's analysis of the entries read
    again in time order, as analyze reads an input that goes back in time (None when
    they were not read again): the verdict is then that analysis's, as analyze's is,
    and the entries are no longer taken as out of order."""
    # The collector mostly idle: reading makes many short-lived objects and keeps the
    # detect stage's and the verdict's state, which the default thresholds walk again
    # and again (a third of the run time at 100,000 entries, measured).
    with fewer_collections():
        return _explain(pairs, show_passwords, analyze, audit, out_of_order, in_time_order)


def _explain(
    pairs: Iterable[tuple[Record, list[Event]]],
    show_passwords: bool,
    analyze: Analyzer | None,
    audit: AuditCommand | None,
    out_of_order: Callable[[], bool] | None,
    in_time_order: Callable[[], Analysis | None] | None = None,
) -> list[Block]:
    reader = _Reader()
    events = reader.events(pairs)
    analysis = analyze(events) if analyze is not None else Analysis()
    for _event in events:  # what the analyzer left unread
        pass
    items = reader.kept
    if not reader.entries:
        nothing = _("The input contains no log entries: nothing to explain.")
        empty: list[Block] = [Paragraph(nothing)]
        if items:  # journalctl's own lines (``-- No entries --``)
            group = _Group(None, items)
            empty += _entries(group, show_passwords, set(), frozenset(), set(), set(), set())[0]
        return empty
    outside = len(reader.loose_ips - reader.session_ips)
    jumbled = out_of_order is not None and out_of_order()
    ordered = in_time_order() if in_time_order is not None else None
    if ordered is not None:
        # Read again in time order by a detector of its own, as analyze reads it: its
        # judgement (who got in, Yes or Maybe) is analyze's, and nothing is left to
        # judge again by the time stamps.
        analysis, jumbled = ordered, False
    facts = reader.collector.result(analysis, reader.entries, outside, jumbled)
    intruders = {client.ip: client.unsure for client in facts.attackers if client.succeeded}
    groups = _groups(items)
    blocks: list[Block] = [
        Heading(_("What these log lines mean"), 1),
        Paragraph(_summary_line(reader.entries, reader.client_sessions, outside)),
    ]
    seen: set[str] = set()
    connected: set[str] = set()
    logged_in = frozenset(reader.collector.logged_in)
    number = 0
    listed = 0
    fold = _SessionFold()
    for group in groups:
        if listed >= MAX_ENTRIES:
            break
        if group.session is not None:
            number += 1
        if not group.marker:
            group.items = group.items[: MAX_ENTRIES - listed]
            listed += len(group.items)
        told, shape = _entries(
            group,
            show_passwords,
            seen,
            logged_in,
            reader.logged_in,
            connected,
            reader.trailer_forged,
            intruders,
        )
        key = _session_key(group, shape, reader.logged_in)
        if key is not None and key == fold.key:
            # The session before, again: told with it when it repeats often enough.
            fold.add(number, group, _group_heading(number, group) + told)
            continue
        blocks += fold.said()
        fold = _SessionFold(key)
        blocks += _group_heading(number, group)
        blocks += told
    blocks += fold.said()
    if listed < reader.entries:
        blocks.append(
            Paragraph(
                _("…{n} more entries are not listed; the verdict below covers all of them.").format(
                    n=f"{reader.entries - listed:,}"
                )
            )
        )
    blocks += verdict(facts, show_passwords, audit)
    return blocks


__all__ = ["Analyzer", "explain"]
