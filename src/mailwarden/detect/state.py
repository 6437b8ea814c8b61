"""The detector's bounded state: one small object per client, account and network.

Nothing here keeps a list of every event: counts, the last few failure times
(:func:`~mailwarden.detect.windows.push_times`), bounded samples of usernames and
clients, and at most a handful of evidence events per client.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import datetime
from sys import intern

from mailwarden.detect.analysis import Verdict
from mailwarden.detect.windows import RecentKeys
from mailwarden.model import Event, IPNetwork, Record

MAX_USERS_PER_CLIENT = 32
MAX_EVIDENCE = 4
MAX_SUCCEEDED = 8
MAX_CLIENTS_PER_ACCOUNT = 64
MAX_MEMBERS_PER_NETWORK = 256
MAX_USERS_PER_OWNER = 16

_V4_MAPPED = bytes(10) + b"\xff\xff"
_tuple_new = tuple.__new__

NetKey = int
"""A network as one int: the address shifted right by its host bits, times two, plus one
for IPv6 (an int is smaller than a tuple, and there are many)."""


def network_key(ip: str, v4_prefix: int, v6_prefix: int) -> tuple[NetKey | None, bool]:
    """The network an address belongs to, and whether it is loopback. (None, False) when
    the text is not an address (the parsers should never give one). IPv4-mapped IPv6
    addresses count as IPv4. Uses inet_pton: a few times cheaper than ipaddress."""
    try:
        if ":" not in ip:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big")
            return (number >> (32 - v4_prefix)) << 1, number >> 24 == 127
        packed = socket.inet_pton(socket.AF_INET6, ip.partition("%")[0])
    except (OSError, ValueError):
        return None, False
    if packed[:12] == _V4_MAPPED:
        number = int.from_bytes(packed[12:], "big")
        return (number >> (32 - v4_prefix)) << 1, number >> 24 == 127
    number = int.from_bytes(packed, "big")
    return ((number >> (128 - v6_prefix)) << 1) | 1, number == 1


def is_v6(key: NetKey) -> bool:
    return bool(key & 1)


def network_of(key: NetKey, v4_prefix: int, v6_prefix: int) -> IPNetwork:
    number = key >> 1
    if not key & 1:
        return ipaddress.IPv4Network((number << (32 - v4_prefix), v4_prefix))
    return ipaddress.IPv6Network((number << (128 - v6_prefix), v6_prefix))


def slim(event: Event) -> Event:
    """The event as evidence, as small as it can be: the line as written (``record.text``),
    where it is (source, line), when, the type, the client and the service. The parsed
    copies (``record.message``, user, mechanism, reason, payload, detail) are dropped: a
    report shows the line, and they would cost memory for every client kept."""
    record = event.record
    if not record.message and event.user is None and event.detail is None:
        return event
    host, program = record.host, record.program
    # tuple.__new__ rather than _replace: this runs for every client kept.
    slim_record = _tuple_new(
        Record,
        (
            record.time,
            None if host is None else intern(host),
            None if program is None else intern(program),
            record.pid,
            "",
            record.source,
            record.line,
            record.offset,
            record.text,
        ),
    )
    fields = (*event[:6], None, None, None, slim_record, *event[10:13], event.server_ip)
    return _tuple_new(Event, (*fields, None, None))


if Event._fields[6:10] != ("user", "mechanism", "reason", "record") or Event._fields[13:] != (
    "server_ip",
    "payload",
    "detail",
):  # pragma: no cover - guards slim() against a change of the model
    raise RuntimeError("mailwarden.model changed: update detect.state.slim()")


class ClientState:
    """What one client address did that matters for detection.

    Usernames: most clients try one, so the first lives in three slots and a dict is
    built only for a second one.
    """

    __slots__ = (
        "_user",
        "_user_count",
        "_user_last",
        "allowed",
        "evidence",
        "failures",
        "first_time",
        "ip",
        "last",
        "last_time",
        "more_users",
        "net",
        "policy",
        "reported",
        "services",
        "stale",
        "stale_users",
        "succeeded",
        "times",
        "unavailable",
        "users",
        "verdicts",
        "weak",
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
        self.times: list[float] = []
        """The most recent failure times (bounded)."""
        self._user: str | None = None
        self._user_count = 0
        self._user_last = 0.0
        self.users: dict[str, list[float]] | None = None
        """With two usernames or more: username -> [failures, last failure time], at most
        MAX_USERS_PER_CLIENT."""
        self.more_users = 0
        """Failures on usernames beyond the sample."""
        self.stale = 0
        self.stale_users: set[str] | None = None
        self.succeeded: list[str] | None = None
        self.verdicts: dict[Verdict, str] | None = None
        """verdict -> reason, in the order they were reached."""
        self.reported: dict[Verdict, float] | None = None
        """verdict -> when the daemon was last told (to repeat only after a ban)."""
        self.evidence: list[Event] | None = None
        self.policy = 0
        """Strong hostile events that are not login attempts (relay, non-SMTP, …)."""
        self.weak = 0
        self.unavailable = 0
        self.services: tuple[str, ...] = ()

    def see(self, event: Event, when: float) -> None:
        if when > self.last:
            self.last = when
        time = event.record.time
        if time is not None:
            if self.first_time is None:
                self.first_time = time
            self.last_time = time
        service = event.service
        if service is not None and service not in self.services:
            self.services = (*self.services, service)

    # -- usernames ---------------------------------------------------------------------

    def add_user(self, user: str, count: int, when: float) -> None:
        users = self.users
        if users is None:
            if self._user is None or self._user == user:
                self._user = user
                self._user_count += count
                self._user_last = when
                return
            users = self.users = {self._user: [float(self._user_count), self._user_last]}
        entry = users.get(user)
        if entry is not None:
            entry[0] += count
            entry[1] = when
        elif len(users) < MAX_USERS_PER_CLIENT:
            users[user] = [float(count), when]
        else:
            self.more_users += count

    def user_counts(self) -> list[tuple[str, int]]:
        """(username, failures), most tried first."""
        if self.users is not None:
            pairs = [(name, int(entry[0])) for name, entry in self.users.items()]
        elif self._user is not None:
            pairs = [(self._user, self._user_count)]
        else:
            pairs = []
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))

    def users_tried(self) -> set[str]:
        if self.users is not None:
            return set(self.users)
        return {self._user} if self._user is not None else set()

    def distinct_users(self) -> int:
        if self.users is not None:
            return len(self.users)
        return 1 if self._user is not None else 0

    def distinct_users_since(self, since: float) -> int:
        if self.users is None:
            return 1 if self._user is not None and self._user_last >= since else 0
        return sum(1 for _, last in self.users.values() if last >= since)

    def user_failures(self, user: str) -> int:
        if self.users is None:
            return self._user_count if user == self._user else 0
        entry = self.users.get(user)
        return int(entry[0]) if entry is not None else 0

    # -- evidence ----------------------------------------------------------------------

    def keep(self, event: Event, important: bool = False) -> None:
        """Keep ``event`` as evidence: the first few, and the ones that decided."""
        evidence = self.evidence
        if evidence is None:
            self.evidence = [slim(event)]
            return
        text = event.record.text  # slim() keeps this very string: identity is enough
        for kept in evidence:
            if kept.record.text is text:
                return
        if len(evidence) < MAX_EVIDENCE - 1 or (important and len(evidence) < MAX_EVIDENCE):
            evidence.append(slim(event))
        elif important:
            evidence[-1] = slim(event)

    def has(self, verdict: Verdict) -> bool:
        return self.verdicts is not None and verdict in self.verdicts


class AccountState:
    """Failures on one account name, from every client."""

    __slots__ = ("campaign", "clients", "failures", "last", "last_client", "name", "times")

    def __init__(self, name: str) -> None:
        self.name = name
        self.failures = 0
        self.times: list[float] = []
        self.clients: RecentKeys[str] = RecentKeys(MAX_CLIENTS_PER_ACCOUNT)
        self.last_client: str | None = None
        self.last = 0.0
        self.campaign: int | None = None


class NetworkState:
    """Addresses of one network that failed (and never logged in)."""

    __slots__ = (
        "evidence",
        "failures",
        "first_time",
        "flagged",
        "key",
        "last",
        "last_time",
        "members",
    )

    def __init__(self, key: NetKey) -> None:
        self.key = key
        self.members: RecentKeys[str] = RecentKeys(MAX_MEMBERS_PER_NETWORK)
        self.failures = 0
        self.last = 0.0
        self.flagged: float | None = None
        """When enough of its addresses failed together (None: not yet)."""
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self.evidence: list[Event] = []
        """The first few members' failures (slimmed, see :func:`slim`)."""


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


class Campaigns:
    """Clients joined by the accounts they share (union-find): a spraying campaign is a
    group of clients that tried the same accounts, large enough to be one."""

    __slots__ = ("_members", "_parent", "flagged", "next_id")

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        self.flagged: dict[str, int] = {}
        """root -> campaign number."""
        self.next_id = 1

    def find(self, ip: str) -> str:
        parent = self._parent
        root = parent.get(ip, ip)
        if root == ip:
            return ip
        path = [ip]
        while True:
            up = parent.get(root, root)
            if up == root:
                break
            path.append(root)
            root = up
        for node in path:
            parent[node] = root
        return root

    def union(self, a: str, b: str) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        members = self._members
        ma = members.get(ra) or [ra]
        mb = members.get(rb) or [rb]
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        self._parent[rb] = ra
        ma.extend(mb)
        members[ra] = ma
        members.pop(rb, None)
        flagged = self.flagged
        if rb in flagged:
            number = flagged.pop(rb)
            flagged[ra] = min(number, flagged.get(ra, number))
        return ra

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
