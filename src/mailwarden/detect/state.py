"""The detector's bounded state: one small object per client, account and network.

Nothing here keeps a list of every event: counts, the last few failure times
(:func:`~mailwarden.detect.windows.push_times`), bounded samples of usernames and
clients, and at most a handful of evidence lines per client.

Size matters more than elegance here: a flood of addresses fills the tables up to
``policy.max_clients``, so a client is a ``__slots__`` object whose rarely used parts
are None until needed, its verdicts a tuple of pairs with a bit mask for membership (one
tuple shared by the clients that reached the same verdicts for the same reasons), and
its evidence a few :data:`Evidence` tuples (the line as written and where it is), not
``Event`` values: the parsed copies of a line cost more than the line.
"""

from __future__ import annotations

import ipaddress
import math
import socket
from collections.abc import Callable
from datetime import datetime
from sys import intern
from typing import Literal, TypeAlias

from mailwarden.detect.analysis import (
    RANK,
    Evidence,
    Header,
    Verdict,
    evidence_event,
    evidence_events,
    place_fields,
    place_of,
)
from mailwarden.detect.windows import RecentKeys, count_since, drop_latest
from mailwarden.model import Event, EventType, IPNetwork
from mailwarden.redact import redact_server_secrets

MAX_USERS_PER_CLIENT = 32
MAX_EVIDENCE = 4
MAX_EVIDENCE_TEXT = 512
"""Characters of an evidence line kept (a client's long username cannot make its few
lines of evidence cost kilobytes each); longer lines end in ``…``."""
MAX_SUCCEEDED = 8
MAX_STALE_USERS = 8
"""Accounts whose failures with an old password a client counts apart."""
MAX_CLIENTS_PER_ACCOUNT = 64
MAX_MEMBERS_PER_NETWORK = 256
MAX_USERS_PER_OWNER = 256
"""Accounts remembered per login address: an office or a carrier's NAT is one address
for many people (with 16, a review's office of 30 users behind one address lost its
owners, and their typos and a phone's old password read as guessing)."""
MAX_SHARED = 4096
"""Distinct shared values (evidence headers, service tuples) interned at most."""

NEVER = -math.inf
"""A time before any (one float object, shared by every client that has none yet)."""

_V4_MAPPED = bytes(10) + b"\xff\xff"
_V6_LOOPBACK = bytes(15) + b"\x01"
_tuple_new = tuple.__new__

NetKey = int
"""A network as one int: the address shifted right by its host bits, times two, plus one
for IPv6 (an int is smaller than a tuple, and there are many)."""

VERDICT_BIT = {verdict: 1 << RANK[verdict] for verdict in Verdict}
"""One bit per verdict, for :attr:`ClientState.flags`."""


def network_key(
    ip: str,
    v4_prefix: int,
    v6_prefix: int,
    _pton: Callable[[int, str], bytes] = socket.inet_pton,
    _v4: int = socket.AF_INET,
    _v6: int = socket.AF_INET6,
    _int: Callable[[bytes, Literal["big"]], int] = int.from_bytes,
) -> tuple[NetKey | None, bool]:
    """The network an address belongs to, and whether it is loopback. (None, False) when
    the text is not an address (the parsers should never give one). IPv4-mapped IPv6
    addresses count as IPv4. Uses inet_pton: a few times cheaper than ipaddress (the
    defaults bind the names once: this runs for every new client)."""
    try:
        if ":" not in ip:
            number = _int(_pton(_v4, ip), "big")
            return (number >> (32 - v4_prefix)) << 1, number >> 24 == 127
        packed = _pton(_v6, ip if "%" not in ip else ip.partition("%")[0])
    except (OSError, ValueError):
        return None, False
    if packed[:12] == _V4_MAPPED:
        number = _int(packed[12:], "big")
        return (number >> (32 - v4_prefix)) << 1, number >> 24 == 127
    if v6_prefix <= 64:
        top = _int(packed[:8], "big")
        return ((top >> (64 - v6_prefix)) << 1) | 1, packed == _V6_LOOPBACK
    number = _int(packed, "big")
    return ((number >> (128 - v6_prefix)) << 1) | 1, number == 1


def is_v6(key: NetKey) -> bool:
    return bool(key & 1)


def network_of(key: NetKey, v4_prefix: int, v6_prefix: int) -> IPNetwork:
    number = key >> 1
    if not key & 1:
        return ipaddress.IPv4Network((number << (32 - v4_prefix), v4_prefix))
    return ipaddress.IPv6Network((number << (128 - v6_prefix), v6_prefix))


# -- evidence ----------------------------------------------------------------------------

_headers: dict[Header, Header] = {}
_last_header: dict[tuple[EventType, str | None], Header] = {}
"""The header last used per (type, program): most evidence lines of a kind share one,
and comparing a few fields is cheaper than hashing all ten."""


def evidence_of(event: Event, client_ip: str | None = None) -> Evidence:
    """The event as evidence, as small as it can be: the line as written, where it is
    (one :data:`~mailwarden.detect.analysis.Place`), when, the client, and the shared
    :class:`~mailwarden.detect.analysis.Header`. The parsed copies (user, mechanism,
    reason, payload, detail, the message) are left out: a report shows the line.
    ``client_ip``: the address string the client's state already holds, kept instead of
    the event's equal copy."""
    record = event.record
    text = record.text
    if "given password" in text:
        text = redact_server_secrets(text)
    if len(text) > MAX_EVIDENCE_TEXT:
        text = text[: MAX_EVIDENCE_TEXT - 1] + "…"
    etype = event.type
    program = record.program
    header = _last_header.get((etype, program))
    if (
        header is None
        or header[3] is not event.strength
        or header[7] != event.service
        or header[6] != record.source
        or header[4] != record.host
        or header[8] != event.attempts
        or header[9] != event.server_ip
        or header[2] is not event.hostile
        or header[1] is not event.category
    ):
        header = _tuple_new(
            Header,
            (
                etype,
                event.category,
                event.hostile,
                event.strength,
                record.host,
                program,
                record.source,
                event.service,
                event.attempts,
                event.server_ip,
            ),
        )
        shared = _headers.get(header)
        if shared is None:
            if len(_headers) < MAX_SHARED:
                _headers[header] = header
        else:
            header = shared
        if len(_last_header) < MAX_SHARED:
            _last_header[etype, program] = header
    ip = event.ip
    if client_ip is not None and ip == client_ip:
        ip = client_ip
    return (
        text,
        place_of(record.line, record.offset, event.port, record.pid),
        record.time,
        ip,
        event.session,
        header,
    )


def slim(event: Event) -> Event:
    """The event as evidence (:func:`evidence_of`), as an ``Event``."""
    return evidence_event(evidence_of(event))


_service_sets: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}
_first_service: dict[str, tuple[str, ...]] = {}


def with_service(services: tuple[str, ...], service: str) -> tuple[str, ...]:
    """``services`` plus ``service``, one shared tuple per combination (most clients use
    the same one or two services)."""
    if not services:
        first = _first_service.get(service)
        if first is not None:
            return first
        first = (intern(service),)
        if len(_first_service) < MAX_SHARED:
            _first_service[service] = first
        return first
    key = (services, service)
    shared = _service_sets.get(key)
    if shared is None:
        shared = (*services, intern(service))
        if len(_service_sets) < MAX_SHARED:
            _service_sets[key] = shared
    return shared


Verdicts: TypeAlias = tuple[tuple[Verdict, str], ...]
"""A client's (verdict, reason) pairs, in the order reached."""

_verdict_sets: dict[tuple[Verdicts, Verdict, str], Verdicts] = {}


def with_verdict(verdicts: Verdicts, verdict: Verdict, reason: str) -> Verdicts:
    """``verdicts`` plus (``verdict``, ``reason``), one shared tuple per combination:
    the clients of one kind reach the same verdicts for the same reasons (their texts
    are shared too), and a tuple of pairs per client cost a hundred bytes or more."""
    key = (verdicts, verdict, reason)
    shared = _verdict_sets.get(key)
    if shared is None:
        shared = (*verdicts, (verdict, reason))
        if len(_verdict_sets) < MAX_SHARED:
            _verdict_sets[key] = shared
    return shared


# -- clients -----------------------------------------------------------------------------


class StalePasswords:
    """A client's failures with an account it had logged in as (an owner's device with an
    old password, or typos): a :class:`ClientState` makes one at the first such failure."""

    __slots__ = ("counts", "device", "failures", "run", "unnamed", "users")

    def __init__(self) -> None:
        self.failures = 0
        """Failures with an account this client had logged in as (never guesses)."""
        self.users: dict[str, int] | None = None
        """Account -> its failures (of :attr:`failures`), at most MAX_STALE_USERS: how
        many were the device's (:attr:`device`), not the typos of others behind the
        same address."""
        self.counts: dict[str, list[float]] | None = None
        """Account -> [its stale failures, when their ``daily_window`` began]: the cap
        (``policy.stale_max_failures``) that keeps an owner's address from being a free
        pass for guessing that account. At most MAX_USERS_PER_CLIENT accounts, and one
        entry (``""``) for the failures of any more at once."""
        self.unnamed = False
        """Its stale failures named no account (Postfix before 3.7.8/3.8.3 logs none):
        the one account logged in as from its address stands for it."""
        self.run: tuple[str, tuple[float, ...]] | None = None
        """The account of its latest such failure and their recent times (at most
        two): how close it is to :attr:`device`."""
        self.device: str | None = None
        """The account with enough such failures, close enough, to be a device with an
        old password rather than typos (``rules.STALE_DEVICE_FAILURES``): the one a
        report names (the typos of others behind the same address are no device)."""


class ClientState:
    """What one client address did that matters for detection.

    Usernames: most clients try one, so the first lives in three slots and a dict is
    built only for a second one. Verdicts: ``flags`` has one bit per verdict reached
    (:data:`VERDICT_BIT`), ``verdicts`` the (verdict, reason) pairs.
    """

    __slots__ = (
        "allowed",
        "evidence",
        "failures",
        "first_time",
        "flags",
        "ip",
        "last",
        "last_time",
        "names_in_connection",
        "net",
        "policy",
        "reported",
        "services",
        "stale_state",
        "succeeded",
        "times",
        "user",
        "user_count",
        "user_last",
        "users",
        "users_full",
        "verdicts",
    )

    def __init__(self, ip: str, net: NetKey | None, when: float) -> None:
        self.ip = ip
        self.net = net
        self.allowed: str | None = None
        """Why this client is never banned (None: it may be)."""
        self.last = when
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self.failures = 0
        """Failed logins counted as guesses."""
        self.times: list[float] | None = None
        """The most recent failure times (bounded); None before the first."""
        self.user: str | None = None
        self.user_count = 0
        self.user_last = 0.0
        self.users: dict[str, complex] | None = None
        """With two usernames or more: username -> failures + 1j * last failure time (one
        object of 32 bytes for the two numbers, where a list of two floats costs 96), at
        most MAX_USERS_PER_CLIENT."""
        self.users_full = False
        """A username did not fit in :attr:`users`: it tried more than it lists."""
        self.names_in_connection = NEVER
        """When one connection of this client last failed on an account other than the
        one its first failure named: one connection is one mail program's, trying names
        (colleagues behind one address each have their own); -inf: never."""
        self.stale_state: StalePasswords | None = None
        """Its failures with an account it had logged in as (None: none yet; few clients
        have them, so their six fields live in one object made at the first)."""
        self.succeeded: list[str] | None = None
        self.flags = 0
        self.verdicts: Verdicts = ()
        """Shared with other clients (:func:`with_verdict`)."""
        self.reported: tuple[tuple[Verdict, float], ...] = ()
        """(verdict, when the daemon was last told), to repeat only after a ban."""
        self.evidence: tuple[Evidence, ...] | None = None
        self.policy = 0
        """Strong hostile events that are not login attempts (relay, non-SMTP, …)."""
        self.services: tuple[str, ...] = ()

    # -- failures with an old password (StalePasswords) -------------------------------

    def _stale_state(self) -> StalePasswords:
        state = self.stale_state
        if state is None:
            state = self.stale_state = StalePasswords()
        return state

    @property
    def stale(self) -> int:
        """Failures with an account this client had logged in as (never guesses)."""
        state = self.stale_state
        return 0 if state is None else state.failures

    @stale.setter
    def stale(self, value: int) -> None:
        if value or self.stale_state is not None:
            self._stale_state().failures = value

    @property
    def stale_users(self) -> dict[str, int] | None:
        """See :attr:`StalePasswords.users`."""
        state = self.stale_state
        return None if state is None else state.users

    @stale_users.setter
    def stale_users(self, value: dict[str, int] | None) -> None:
        if value is not None or self.stale_state is not None:
            self._stale_state().users = value

    def stale_failures_with(self, user: str) -> int:
        """Its failures with ``user``, an account it had logged in as (all of them, when
        that account's were not counted apart)."""
        state = self.stale_state
        if state is None:
            return 0
        users = state.users
        count = users.get(user) if users is not None else None
        return state.failures if count is None else count

    @property
    def stale_counts(self) -> dict[str, list[float]] | None:
        """See :attr:`StalePasswords.counts`."""
        state = self.stale_state
        return None if state is None else state.counts

    @stale_counts.setter
    def stale_counts(self, value: dict[str, list[float]] | None) -> None:
        if value is not None or self.stale_state is not None:
            self._stale_state().counts = value

    @property
    def stale_unnamed(self) -> bool:
        """See :attr:`StalePasswords.unnamed`."""
        state = self.stale_state
        return False if state is None else state.unnamed

    @stale_unnamed.setter
    def stale_unnamed(self, value: bool) -> None:
        if value or self.stale_state is not None:
            self._stale_state().unnamed = value

    @property
    def stale_run(self) -> tuple[str, tuple[float, ...]] | None:
        """See :attr:`StalePasswords.run`."""
        state = self.stale_state
        return None if state is None else state.run

    @stale_run.setter
    def stale_run(self, value: tuple[str, tuple[float, ...]] | None) -> None:
        if value is not None or self.stale_state is not None:
            self._stale_state().run = value

    @property
    def stale_device(self) -> str | None:
        """See :attr:`StalePasswords.device`."""
        state = self.stale_state
        return None if state is None else state.device

    @stale_device.setter
    def stale_device(self, value: str | None) -> None:
        if value is not None or self.stale_state is not None:
            self._stale_state().device = value

    def see(self, event: Event, when: float) -> None:
        if when > self.last:
            self.last = when
        time = event.record.time
        if time is not None:  # the earliest and latest, in whatever order they come
            latest = self.last_time
            if latest is None:
                self.first_time = self.last_time = time
            elif time is not latest:
                if time > latest:
                    self.last_time = time
                elif time < self.first_time:  # type: ignore[operator]
                    self.first_time = time
        service = event.service
        if service is not None and service not in self.services:
            self.services = with_service(self.services, service)

    # -- usernames ---------------------------------------------------------------------

    def add_user(self, user: str, count: int, when: float) -> None:
        users = self.users
        if users is None:
            if self.user is None or self.user == user:
                self.user = user
                self.user_count += count
                self.user_last = when
                return
            users = self.users = {self.user: complex(self.user_count, self.user_last)}
        entry = users.get(user)
        if entry is not None:
            users[user] = complex(entry.real + count, when)
        elif len(users) < MAX_USERS_PER_CLIENT:
            users[user] = complex(count, when)
        else:
            self.users_full = True

    def user_counts(self) -> list[tuple[str, int]]:
        """(username, failures), most tried first."""
        if self.users is not None:
            pairs = [(name, int(entry.real)) for name, entry in self.users.items()]
        elif self.user is not None:
            pairs = [(self.user, self.user_count)]
        else:
            pairs = []
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))

    def users_last(self) -> list[tuple[str, float]]:
        """(username, when it was last tried), in the order first tried."""
        if self.users is not None:
            return [(name, entry.imag) for name, entry in self.users.items()]
        return [(self.user, self.user_last)] if self.user is not None else []

    def users_tried(self) -> set[str]:
        if self.users is not None:
            return set(self.users)
        return {self.user} if self.user is not None else set()

    def distinct_users(self) -> int:
        if self.users is not None:
            return len(self.users)
        return 1 if self.user is not None else 0

    def distinct_users_since(self, since: float) -> int:
        if self.users is None:
            return 1 if self.user is not None and self.user_last >= since else 0
        return sum(1 for entry in self.users.values() if entry.imag >= since)

    def user_failures(self, user: str) -> int:
        if self.users is None:
            return self.user_count if user == self.user else 0
        entry = self.users.get(user)
        return int(entry.real) if entry is not None else 0

    def one_name_each(self, since: float) -> int:
        """How many failures since ``since`` there were when each was on a name of its
        own, tried no other time (colleagues behind an office's address, each mistyping
        once); 0 when a name was tried twice, a failure named none, or the names did
        not all fit."""
        users = self.users
        times = self.times
        if users is None or times is None or self.users_full:
            return 0
        recent = count_since(times, since)
        names = 0
        for entry in users.values():
            if entry.imag >= since:
                if entry.real != 1:
                    return 0
                names += 1
        return recent if names == recent else 0

    def forget_typos(self, user: str, since: float, until: float) -> int:
        """The owner of ``user`` logged in from here after failing on it: those failures
        were typos, not guesses. The name leaves the names tried, its failures the count,
        and as many of the latest failure times between ``since`` and ``until`` (the
        times say no name: at most the client's failures within them). Returns how many
        failures were forgotten."""
        users = self.users
        if users is None:
            if self.user != user:
                return 0
            count = self.user_count
            last = self.user_last
        else:
            entry = users.get(user)
            if entry is None:
                return 0
            count = int(entry.real)
            last = entry.imag
        if last < since:
            return 0  # an old typo: the client's guessing since then stays counted
        if users is None:
            self.user = None
            self.user_count = 0
            self.user_last = 0.0
        else:
            del users[user]
        self.failures = max(0, self.failures - count)
        if self.times:
            drop_latest(self.times, count, since, until)
        return count

    # -- evidence ----------------------------------------------------------------------

    def keep(self, event: Event, important: bool = False) -> None:
        """Keep ``event`` as evidence: the first few, and the ones that decided."""
        evidence = self.evidence
        if evidence is None:
            self.evidence = (evidence_of(event, self.ip),)
            return
        text = event.record.text
        for kept in evidence:
            if kept[0] is text:  # this very line (evidence keeps the string as it is)
                return
        if not important and len(evidence) >= MAX_EVIDENCE - 1:
            return  # no room for it
        item = evidence_of(event, self.ip)
        if item[0] is not text:  # masked or cut: the same line has the same place
            record = event.record
            for kept in evidence:
                line, offset, _port, _pid = place_fields(kept[1])
                if line == record.line and offset == record.offset and kept[0] == item[0]:
                    return
        if len(evidence) < MAX_EVIDENCE - 1 or (important and len(evidence) < MAX_EVIDENCE):
            self.evidence = (*evidence, item)
        else:
            self.evidence = (*evidence[:-1], item)

    def events(self) -> tuple[Event, ...]:
        """The evidence as events (for reports and detections)."""
        return evidence_events(self.evidence)

    # -- verdicts ----------------------------------------------------------------------

    def has(self, verdict: Verdict) -> bool:
        return bool(self.flags & VERDICT_BIT[verdict])

    def verdict_map(self) -> dict[Verdict, str]:
        return dict(self.verdicts)

    def drop_verdicts(self, bits: int) -> None:
        """Forget the verdicts whose bits are in ``bits``."""
        if self.flags & bits:
            self.flags &= ~bits
            self.verdicts = tuple(p for p in self.verdicts if not VERDICT_BIT[p[0]] & bits)


class AccountState:
    """Failures on one account name, from every client. ``clients``: address -> last
    failure, least recent first, at most MAX_CLIENTS_PER_ACCOUNT."""

    __slots__ = ("campaign", "clients", "failures", "last", "last_client", "name", "times")

    def __init__(self, name: str) -> None:
        self.name = name
        self.failures = 0
        self.times: list[float] = []
        self.clients: dict[str, float] = {}
        self.last_client: str | None = None
        self.last = 0.0
        self.campaign: int | None = None


class NetworkState:
    """Addresses of one network that failed (and never logged in)."""

    __slots__ = (
        "allowed",
        "evidence",
        "failures",
        "first_time",
        "flagged",
        "key",
        "last",
        "last_time",
        "members",
        "slow",
        "times",
    )

    def __init__(self, key: NetKey) -> None:
        self.key = key
        self.allowed: bool | None = None
        """Whether the allow list (or loopback) overlaps it: never judged as a whole
        (None: not worked out yet, or again after :meth:`Detector.set_allow`)."""
        self.members: RecentKeys[str] = RecentKeys(MAX_MEMBERS_PER_NETWORK)
        self.failures = 0
        self.last = 0.0
        self.flagged: float | None = None
        """When enough of its addresses failed together (None: not yet); for the daemon,
        when it was last reported (again once its ban has run out)."""
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self.evidence: list[Evidence] = []
        """The first few members' failures."""
        self.times: list[float] | None = None
        """Its members' most recent failure times together (as many as a client keeps):
        the slow brute-force rules on the network as one client."""
        self.slow: str | None = None
        """The slow brute-force rule that flagged it (its reason), None when enough
        addresses failed together within ``network_window``."""


class OwnerState:
    """Accounts a client (an IPv4 address, or an IPv6 /64) has logged in as."""

    __slots__ = ("last", "users")

    def __init__(self) -> None:
        self.users: dict[str, float] = {}
        self.last = 0.0

    def add(self, user: str, when: float) -> None:
        users = self.users
        users.pop(user, None)
        users[user] = when
        if len(users) > MAX_USERS_PER_OWNER:
            del users[next(iter(users))]
        if when > self.last:
            self.last = when

    def other_form(self, key: str) -> tuple[str, float] | None:
        """The account logged in as that ``key`` names in another form (``alice`` for
        alice@example.com, or the other way round: :func:`~.accounts.same_account`)
        and when, the latest if several: for a key :attr:`users` lacks."""
        users = self.users
        at = key.rfind("@")
        if at >= 0:
            name = key[:at]
            last = users.get(name)
            return None if last is None else (name, last)
        found = None
        prefix = key + "@"
        for user, last in users.items():
            if (
                user.startswith(prefix)
                and "@" not in user[len(prefix) :]
                and (found is None or last > found[1])
            ):
                found = (user, last)
        return found


class StaleNetwork:
    """The failures of one IPv6 network (``ipv6_prefix``, a /64) with an account logged in
    as from it, or from its ``wide_ipv6_prefix`` network, counted together: a phone's
    privacy address changes every few hours, so each of its addresses fails a time or
    two, fewer than make a device at one address."""

    __slots__ = ("device", "key", "last", "run", "wide")

    def __init__(self, key: NetKey) -> None:
        self.key = key
        self.last = 0.0
        self.run: tuple[str, tuple[tuple[float, str], ...]] | None = None
        """The account of the network's latest such failure, and (time, address) of its
        recent ones on it (at most two): how close it is to :attr:`device`."""
        self.device: str | None = None
        """The account with enough such failures, close enough, to be a device with an
        old password (``rules.STALE_DEVICE_FAILURES``); its addresses that fail with it
        are the device's."""
        self.wide = True
        """Every such failure had only the wider network's login behind it (the owner
        logged in from another /64 of it), none from this network."""


class Campaigns:
    """Clients joined by the accounts they share (union-find): a spraying campaign is a
    group of clients that tried the same accounts, large enough to be one."""

    __slots__ = ("_members", "_parent", "flagged", "next_id", "renamed")

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        self.flagged: dict[str, int] = {}
        """root -> campaign number."""
        self.next_id = 1
        self.renamed: dict[int, int] = {}
        """A campaign's number -> the number of the campaign it became part of (two
        flagged campaigns joined go by the smaller number)."""

    def find(self, ip: str) -> str:
        parent = self._parent
        root = parent.get(ip)  # a root has no parent
        if root is None:
            return ip
        up = parent.get(root)
        if up is None:
            return root  # one step: nothing to compress
        path = [ip, root]
        root = up
        while (up := parent.get(root)) is not None:
            path.append(root)
            root = up
        for node in path:
            parent[node] = root
        return root

    def union(self, a: str, b: str) -> str:
        parent = self._parent
        # find(a) and find(b), their one-step cases inline
        ra = parent.get(a)
        if ra is None:
            ra = a
        elif ra in parent:
            ra = self.find(a)
        rb = parent.get(b)
        if rb is None:
            rb = b
        elif rb in parent:
            rb = self.find(b)
        if ra == rb:
            return ra
        members = self._members
        ma = members.get(ra) or [ra]
        mb = members.get(rb) or [rb]
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        ma.extend(mb)
        members[ra] = ma
        members.pop(rb, None)
        flagged = self.flagged
        if rb in flagged:
            number = flagged.pop(rb)
            other = flagged.get(ra)
            if other is not None and other != number:
                self.renamed[max(number, other)] = min(number, other)
            flagged[ra] = number if other is None else min(number, other)
        return ra

    def current(self, number: int) -> int:
        """The number campaign ``number`` goes by now (itself, unless it was joined to
        another)."""
        renamed = self.renamed
        while number in renamed:
            number = renamed[number]
        return number

    def members(self, root: str) -> list[str]:
        return self._members.get(root) or [root]

    def size(self, root: str) -> int:
        members = self._members.get(root)
        return len(members) if members else 1

    def campaign_of(self, ip: str) -> int | None:
        if ip not in self._parent and ip not in self._members:
            return None
        return self.flagged.get(self.find(ip))

    def __len__(self) -> int:
        return len(self._parent)

    def clear(self) -> None:
        self._parent.clear()
        self._members.clear()
        self.flagged.clear()
        self.renamed.clear()
