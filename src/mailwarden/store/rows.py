"""What a stored value must be to be read back, for every backend alike.

A store keeps what its own code wrote, but a row may still be damaged: edited by hand,
written by a broken tool or an older version, or a type the database can hold and
Python cannot (PostgreSQL's ``infinity``, a time after the year 9999). Each function
here turns one stored value into what mailwarden uses, or raises `Damaged` saying what
is wrong with it in a few words; the `Store` helpers at the end skip such a row and
name it (`Store.note_damage`), so the rest of the store stays usable.

The values come as each backend's driver gives them: SQLite's times are whole seconds
and its networks text; PostgreSQL's are datetimes and ``cidr`` networks. Source
positions come as JSON text from both.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from mailwarden.config import MAX_DURATION
from mailwarden.model import IPNetwork
from mailwarden.store.interface import (
    BanChanges,
    BanRow,
    BanState,
    JSONValue,
    OwnerRow,
    Source,
    Store,
)

T = TypeVar("T")

LONGEST_BAN = MAX_DURATION + timedelta(days=1)
"""No ban lasts longer (the longest duration any command or policy accepts, with a day
to spare): a longer one was not written by mailwarden."""

REVISION_LIMIT = 1 << 62
"""A revision at or past this is damaged (and the next change writes 1): counting on
from it would overflow a 64-bit integer."""


class Damaged(ValueError):
    """A stored value that cannot be used (the text says what is wrong with it)."""


def shown(value: object, limit: int = 40) -> str:
    """A stored value as a message may show it: one line, at most `limit` characters."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"a blob of {len(value)} bytes"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(value: object, column: str = "time") -> datetime:
    """A stored time: whole seconds since 1970 (SQLite) or an aware datetime
    (PostgreSQL); a time PostgreSQL keeps and Python cannot comes as its text."""
    if type(value) is int:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise Damaged(f"{column} {value} is out of range") from None
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise Damaged(f"{column} {shown(str(value))} is out of range") from None
    raise Damaged(f"{column} {shown(value)} is not a time")


def good_until(value: object) -> datetime | None:
    """The end of the ban being superseded, or None when it cannot be read (a damaged
    end never lengthens the new ban)."""
    try:
        return moment(value)
    except Damaged:
        return None


def network(value: object) -> IPNetwork:
    """A stored network: a PostgreSQL ``cidr``, or text exactly as mailwarden writes it
    (``192.0.2.7/32``). Other text would be banned but could never be lifted: `lift_ban`
    finds a network by the text it writes."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    # A scope id ("fe80::1%eth0") may hold any text: no network we write has one.
    if not isinstance(value, str) or "%" in value:
        raise Damaged(f"network {shown(value)} is not a network")
    parsed = _quick_network(value)
    if parsed is None:
        try:
            parsed = ipaddress.ip_network(value)
        except ValueError:
            raise Damaged(f"network {shown(value)} is not a network") from None
    if str(parsed) != value:
        raise Damaged(f"network {shown(value)} is not written as mailwarden writes {parsed}")
    return parsed


def _quick_network(value: str) -> IPNetwork | None:
    """The network `value` names when the C parser (inet_pton) reads its address, else
    None (`ipaddress` then reads it, and names what is wrong). Reading 100,000 stored
    bans, `ip_network` took most of the time (it tries IPv4 first on IPv6 text). What
    it returns is only used when it prints back exactly as `value` (see `network`)."""
    address, _, length = value.partition("/")
    if not (length.isascii() and length.isdigit() and len(length) <= 3):
        return None
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        first = int.from_bytes(socket.inet_pton(family, address), "big")
        if family == socket.AF_INET6:
            return ipaddress.IPv6Network((first, int(length)))
        return ipaddress.IPv4Network((first, int(length)))
    except (OSError, ValueError):
        return None


def text(value: object) -> str:
    """Reason and evidence: a missing or odd one does not make a ban unusable."""
    if isinstance(value, str):
        return value
    return "" if value is None else shown(value)


def ban(values: Sequence[object]) -> BanRow:
    """A ban row (id, network, since, until, reason, evidence, source, offences, state,
    ended, end_reason); `Damaged` when it cannot be one."""
    id_, net, since, until, reason, evidence, source, offences, state, ended, why = values
    checked = network(net)
    start, end = moment(since, "since"), moment(until, "until")
    stopped = None if ended is None else moment(ended, "ended")
    if end <= start:
        raise Damaged(f"until {_iso(end)} is not after since {_iso(start)}")
    if end - start > LONGEST_BAN:
        raise Damaged(f"until {_iso(end)} is more than {MAX_DURATION.days} days after since")
    if not isinstance(source, str) or source not in tuple(Source):
        raise Damaged(f"source {shown(source)} is unknown")
    if not isinstance(state, str) or state not in tuple(BanState):
        raise Damaged(f"state {shown(state)} is unknown")
    if type(offences) is not int or offences < 1:
        raise Damaged(f"offences {shown(offences)} is not a count of bans")
    if type(id_) is not int:
        raise Damaged(f"id {shown(id_)} is not a number")
    return BanRow(
        id=id_,
        network=checked,
        since=start,
        until=end,
        reason=text(reason),
        evidence=text(evidence),
        source=Source(source),
        offences=offences,
        state=BanState(state),
        ended=stopped,
        end_reason=None if why is None else text(why),
    )


def owner(values: Sequence[object]) -> OwnerRow:
    """An owner's login (network, account, last); `Damaged` when it cannot be one."""
    net, account, last = values
    if not isinstance(account, str) or not account:
        raise Damaged(f"account {shown(account)} is not an account name")
    return OwnerRow(network=network(net), account=account, last=moment(last, "last"))


def position_text(value: JSONValue) -> str:
    """A source position as both stores keep it (NaN and infinity refused)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def position(stored: object) -> JSONValue:
    """A stored position; `Damaged` when it is not JSON that Python can hold: nested too
    deep, NaN, a number too large for a float or too long for an int."""

    def refuse(constant: str) -> JSONValue:
        raise ValueError(f"{constant} is not a JSON value")

    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise ValueError(f"{number} is out of range")
        return value

    if not isinstance(stored, str):
        raise Damaged(f"value {shown(stored)} is not JSON")
    try:
        value: JSONValue = json.loads(stored, parse_constant=refuse, parse_float=finite)
    except (ValueError, RecursionError):
        raise Damaged(f"value {shown(stored)} is not JSON") from None
    return value


def revision(value: object) -> int:
    if type(value) is not int:
        raise Damaged(f"{shown(value)} is not a number")
    if not 0 <= value < REVISION_LIMIT:
        raise Damaged(f"{value} is out of range")
    return value


# -- reading rows into a store's answers, skipping and naming the damaged ones -----------


def recorded(store: Store, values: Sequence[object]) -> BanRow:
    """The ban row just written, read back; only a damaged schema stores what we did
    not write (`Store.damaged`)."""
    try:
        return ban(values)
    except Damaged as exc:
        raise store.damaged(exc) from None


def _readable(
    store: Store,
    rows: Iterable[Sequence[object]],
    read: Callable[[Sequence[object]], T],
    named: Callable[[Sequence[object]], str],
) -> list[T]:
    """``read`` of each row; a damaged one is skipped and noted by its ``named`` name."""
    out = []
    for values in rows:
        try:
            out.append(read(values))
        except Damaged as exc:
            store.note_damage(named(values), str(exc))
    return out


def _ban_name(values: Sequence[object]) -> str:
    return f"ban {shown(values[0])}"


def bans(store: Store, rows: Iterable[Sequence[object]]) -> list[BanRow]:
    return _readable(store, rows, ban, _ban_name)


def changes(store: Store, rows: Iterable[Sequence[object]]) -> BanChanges:
    """`Store.changed_bans` from rows of (the id of a changed ban, its network, then the
    ban columns of the network's active ban, or NULLs when it has none), a network's
    active ban once for each of its changed rows. A damaged network is left out; a
    damaged active ban leaves its network changed with no ban in force, as
    `active_bans` leaves it out."""
    touched: set[IPNetwork] = set()
    active: dict[object, Sequence[object]] = {}
    for values in rows:
        try:
            touched.add(network(values[1]))
        except Damaged as exc:
            store.note_damage(_ban_name(values), str(exc))
            continue
        if values[2] is not None:
            active.setdefault(values[2], values[2:])
    found = bans(store, active.values())
    return BanChanges(frozenset(touched), sorted(found, key=lambda row: row.id))


def networks(store: Store, rows: Iterable[Sequence[object]]) -> list[IPNetwork]:
    """The networks of (id, network) rows."""
    return _readable(store, rows, lambda values: network(values[1]), _ban_name)


def owners(store: Store, rows: Iterable[Sequence[object]]) -> list[OwnerRow]:
    """The owners' logins of (network, account, last) rows."""
    return _readable(
        store, rows, owner, lambda values: f"owner {shown(values[1])} at {shown(values[0])}"
    )


def one_position(store: Store, key: str, rows: Sequence[Sequence[object]]) -> JSONValue:
    """The position of `key` from its (value,) row, None when there is none or it is
    damaged (as if there were none: the daemon writes a new one)."""
    if not rows:
        return None
    try:
        return position(rows[0][0])
    except Damaged as exc:
        store.note_damage(f"position {shown(key, 200)}", str(exc))
        return None


def positions(store: Store, rows: Iterable[Sequence[object]]) -> dict[str, JSONValue]:
    """The positions of (key, value) rows."""
    out: dict[str, JSONValue] = {}
    for key, value in rows:
        try:
            if not isinstance(key, str):
                raise Damaged("the key is not text")
            out[key] = position(value)
        except Damaged as exc:
            store.note_damage(f"position {shown(key, 200)}", str(exc))
    return out


def current_revision(store: Store, rows: Sequence[Sequence[object]]) -> int:
    """The revision from its (value,) row; 0 when it is missing or damaged (the next
    change to the bans writes a good one)."""
    try:
        if not rows:
            raise Damaged("it is missing")
        return revision(rows[0][0])
    except Damaged as exc:
        store.note_damage("the revision", str(exc))
        return 0
