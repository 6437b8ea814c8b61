"""Ask the kernel whether a few elements are in an nftables set, without running nft.

nft 1.0 loads every set's elements before it runs a command on a set, ``get element``
included: 0.6 s with 100,000 banned addresses, however few it asks for. The kernel
answers the same lookup (``NFT_MSG_GETSETELEM`` for given keys, not a dump) in well
under a millisecond whatever the size of the set, so the daemon can look every second
whether someone emptied a set by hand (``nft flush set``, ``nft delete element``).

The request is built here, over a netlink socket of the standard library: our own
table and set names (checked when the enforcer is made) and keys packed from integers;
nothing from a log. When the kernel cannot tell (an old kernel without single-element
lookups, no privilege), the answer is `None`, and the caller keeps its other checks.

`each` asks the same for each key on its own (the kernel stops at the first key it
does not find): which pieces a batch may delete (see `NftablesEnforcer.apply`).

Run as a program (``python -m mailwarden.enforce._netlink TABLE SET=HEX,HEX ...``) it
does the same inside ``ip netns exec``, for an enforcer given a network namespace
(the tests): exit 0 all there, 1 one is missing, 2 cannot tell. With ``--each`` first,
it prints a line of ``1`` (there) and ``0`` (not there) per set, in the order given,
and exits 0 (2 cannot tell).
"""

from __future__ import annotations

import errno
import itertools
import socket
import struct
import sys
from collections.abc import Mapping, Sequence

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETSETELEM = 13
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 0x2
NFPROTO_INET = 1
NLA_F_NESTED = 0x8000
NFTA_SET_ELEM_LIST_TABLE = 1
NFTA_SET_ELEM_LIST_SET = 2
NFTA_SET_ELEM_LIST_ELEMENTS = 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY = 1
NFTA_DATA_VALUE = 1
TIMEOUT = 2.0

_HEADER = struct.Struct("=IHHII")
_sequence = itertools.count(1)


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def _nested(kind: int, payload: bytes) -> bytes:
    return _attr(kind | NLA_F_NESTED, payload)


def request(table: str, set_name: str, keys: Sequence[bytes], sequence: int) -> bytes:
    """One ``NFT_MSG_GETSETELEM`` for `keys` (network-order addresses) in the ``inet``
    table `table`, acknowledged (the kernel answers each key found, then 0 or the
    error of the first key not found)."""
    elements = b"".join(
        _nested(NFTA_LIST_ELEM, _nested(NFTA_SET_ELEM_KEY, _attr(NFTA_DATA_VALUE, key)))
        for key in keys
    )
    body = (
        struct.pack("=BBH", NFPROTO_INET, 0, 0)
        + _attr(NFTA_SET_ELEM_LIST_TABLE, table.encode("ascii") + b"\0")
        + _attr(NFTA_SET_ELEM_LIST_SET, set_name.encode("ascii") + b"\0")
        + _nested(NFTA_SET_ELEM_LIST_ELEMENTS, elements)
    )
    kind = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM
    flags = NLM_F_REQUEST | NLM_F_ACK
    return _HEADER.pack(_HEADER.size + len(body), kind, flags, sequence, 0) + body


def _answer(sock: socket.socket, sequence: int) -> int:
    """The errno of the acknowledgement of `sequence` (0: every key was found)."""
    while True:
        data = sock.recv(1 << 16)
        if not data:
            raise OSError(errno.EPIPE, "netlink: no answer")
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, kind, _flags, seq, _pid = _HEADER.unpack_from(data, offset)
            if length < _HEADER.size:
                raise OSError(errno.EPROTO, "netlink: bad message length")
            if kind == NLMSG_ERROR and seq == sequence:
                (code,) = struct.unpack_from("=i", data, offset + _HEADER.size)
                return -int(code)
            offset += (length + 3) & ~3


def holds(table: str, keys: Mapping[str, Sequence[bytes]]) -> bool | None:
    """Does each set named in `keys` hold each of its keys? False when one is missing
    (or the set or table is), None when the kernel cannot tell."""
    wanted = {name: list(values) for name, values in keys.items() if values}
    if not wanted:
        return True
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
            sock.settimeout(TIMEOUT)
            sock.bind((0, 0))
            unsure = False
            for name, values in wanted.items():
                sequence = next(_sequence)
                sock.sendall(request(table, name, values, sequence))
                code = _answer(sock, sequence)
                if code == errno.ENOENT:
                    return False
                if code != 0:
                    unsure = True
            return None if unsure else True
    except (OSError, struct.error):
        return None


def each(table: str, keys: Mapping[str, Sequence[bytes]]) -> dict[str, list[bool]] | None:
    """For each set named in `keys`, whether it holds each of its keys, one lookup per
    key (a missing set or table holds none). None when the kernel cannot tell."""
    found: dict[str, list[bool]] = {}
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
            sock.settimeout(TIMEOUT)
            sock.bind((0, 0))
            for name, values in keys.items():
                found[name] = []
                for key in values:
                    sequence = next(_sequence)
                    sock.sendall(request(table, name, [key], sequence))
                    code = _answer(sock, sequence)
                    if code not in (0, errno.ENOENT):
                        return None
                    found[name].append(code == 0)
    except (OSError, struct.error):
        return None
    return found


def main(argv: Sequence[str]) -> int:
    """``TABLE SET=HEX,HEX ...``: exit 0 all there, 1 one missing, 2 cannot tell.
    ``--each TABLE SET=HEX,HEX ...``: a line of 1 and 0 per set, exit 0 (2 cannot tell)."""
    every = bool(argv) and argv[0] == "--each"
    if every:
        argv = argv[1:]
    if len(argv) < 1:
        return 2
    keys: dict[str, list[bytes]] = {}
    try:
        for item in argv[1:]:
            name, _, values = item.partition("=")
            keys[name] = [bytes.fromhex(value) for value in values.split(",") if value]
    except ValueError:
        return 2
    if every:
        answers = each(argv[0], keys)
        if answers is None:
            return 2
        for name in keys:
            print("".join("1" if there else "0" for there in answers[name]))
        return 0
    found = holds(argv[0], keys)
    return 2 if found is None else 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
