"""Small helpers shared by the Postfix and Dovecot parsers.

Addresses: every client address an event carries went through :func:`norm_ip`, which
validates it and writes it one way only (the forms :mod:`ipaddress` gives, which
``tests/parsers/test_addresses.py`` checks against it):

- IPv4 as dotted quad (leading zeros and octets over 255 are refused);
- IPv6 in RFC 5952 form (lowercase, longest zero run compressed: ``2001:db8::1``);
- an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) as the IPv4 address, the way
  Postfix itself normalises it, so one client is one key whatever socket it came in on.

Anything else (a hostname, ``unknown``, an address with a zone index) gives None: no
event ever carries text that is not an address in its ``ip`` field.

Speed: the C library's ``inet_pton``/``inet_ntop`` do the work (ten times cheaper than
:mod:`ipaddress`); the rare IPv4-compatible form (``::a.b.c.d``, where ``inet_ntop``
prints a dotted tail and :mod:`ipaddress` does not) goes through :mod:`ipaddress`.
"""

from __future__ import annotations

import re
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton

new_event = tuple.__new__
"""``new_event(Event, (type, category, hostile, strength, ip, port, user, mechanism, reason,
record, attempts, session, service, server_ip, payload, detail))``: an Event from its 16
fields in order, two to three times cheaper than ``Event(...)`` (which goes through
``type.__call__`` and the generated ``__new__``). The hot path builds every event this
way; the parser tests check every field of every line family, so a field out of order
cannot go unnoticed."""

_V4_MAPPED = bytes(10) + b"\xff\xff"
_V4_COMPATIBLE = bytes(12)
_HEX = frozenset("0123456789abcdefABCDEF:.")


def _canonical(text: str) -> str | None:
    """The canonical form of ``text`` (see the module doc), or None."""
    try:
        if ":" not in text:
            # inet_pton (POSIX) takes exactly four decimal octets, no leading zeros.
            packed = inet_pton(AF_INET, text)
            return inet_ntop(AF_INET, packed)
        if not _HEX.issuperset(text):
            return None  # a zone index (%eth0), blanks, anything else
        packed = inet_pton(AF_INET6, text)
    except (OSError, ValueError):  # ValueError: NUL or unencodable characters
        return None
    head = packed[:12]
    if head == _V4_MAPPED:
        return inet_ntop(AF_INET, packed[12:])
    if head == _V4_COMPATIBLE:
        return _slow_canonical(text)
    return inet_ntop(AF_INET6, packed)


def _slow_canonical(text: str) -> str | None:
    import ipaddress

    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id is not None:
            return None
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
    return str(addr)


class _AddressCache(dict[str, str | None]):
    """text -> canonical address (or None). A hit is one C-level dict lookup, with no
    Python call: attackers repeat, so nearly every lookup is a hit.

    Bounded without thrashing: two generations of `limit` entries each. A miss looks in
    the older generation before converting; when the current one is full it becomes the
    older one (the oldest is dropped). An address in use keeps being promoted, so a
    flood of distinct addresses costs bounded memory and never empties the cache of the
    ones that repeat."""

    def __init__(self, limit: int = 65536) -> None:
        super().__init__()
        self.limit = limit
        self._older: dict[str, str | None] = {}

    def __missing__(self, text: str) -> str | None:
        older = self._older
        value = older.pop(text) if text in older else _canonical(text)
        if len(self) >= self.limit:
            self._older = dict(self)
            self.clear()
        self[text] = value
        return value

    def clear_all(self) -> None:
        """Forget everything (tests)."""
        self.clear()
        self._older = {}


ADDRESSES = _AddressCache()
"""``ADDRESSES[text]``: the canonical form of the address ``text``, or None."""


def norm_ip(text: str) -> str | None:
    """The canonical form of an IPv4/IPv6 address, or None when ``text`` is not one."""
    return ADDRESSES[text]


_SMTP_REPLY = re.compile(r"([2-5]\d\d)(?:[ -](\d\.\d{1,3}\.\d{1,3}))?(?: |-|$)")


def smtp_reply(text: str) -> tuple[str | None, str | None]:
    """(code, enhanced code) at the start of an SMTP reply text, each None when absent."""
    m = _SMTP_REPLY.match(text)
    if m is None:
        return None, None
    return m.group(1), m.group(2)


def strip_crlf(text: str) -> str:
    """A dumped client or server line without its line end: Postfix prints CR LF as ``??``
    (``printable()`` turns every control byte into ``?``)."""
    if text.endswith("??"):
        return text[:-2]
    return text
