"""Where this host's bans went (the enforcement place), kept in the store.

A reload that changes ``[enforce]`` removes the old place (`loop.Daemon._switch_enforcer`).
A restart did not: stop, set ``table = "mw2"`` (or go from ipset to nftables), start,
and the old table (or the INPUT jump, the chain and the sets) kept dropping the banned
clients until their bans ran out, a month with ``max_ban_time = 30d``, and ``unban``
could not lift them. So the daemon records its place in the store (a state key beside
the sources' positions, per host in a shared PostgreSQL store: `StateKeys.place`), and
at start, once the configured place is set up (`Daemon._start_place`: a start refused
for its new place, or whose firewall fails for now, keeps the old one and its bans),
removes a recorded place that is not the configured one, when it is provably ours
(the backend's `Enforcer.teardown` refuses what holds another's); else the log says
what is left there and the exact commands that remove it, at every start until it is
gone or removed by hand. A store written by an earlier version has no record: the
first start records its place, from then on a change is noticed.

The record: ``{"place": PLACE, "left": [PLACE, ...]}``, each PLACE the backend and the
names it used (`place_of`); ``left``: earlier places that could not be removed, tried
again at the next start.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence

from mailwarden.config import Config, EnforceConfig
from mailwarden.store import JSONValue

CHAIN = "MAILWARDEN"
"""The iptables chain of the ipset backend (`IpsetEnforcer`'s default, never configured)."""


def place_of(enforce: EnforceConfig) -> dict[str, JSONValue]:
    """The place ``[enforce]`` puts the bans: the backend and the names it uses there."""
    backend = enforce.backend
    if backend == "nftables":
        return {"backend": backend, "family": "inet", "table": enforce.table}
    if backend == "ipset":
        prefix = enforce.ipset
        return {"backend": backend, "ipset": prefix, "sets": [f"{prefix}4", f"{prefix}6"]}
    if backend == "postfix-map":
        return {"backend": backend, "postfix_map": enforce.postfix_map}
    return {"backend": backend}


def config_at(config: Config, place: JSONValue) -> Config | None:
    """``config`` with the ``[enforce]`` of a recorded place, for an enforcer that removes
    it (the names are checked again when it is made); None when the record is not one
    `place_of` wrote, or a place holding nothing (``none``)."""
    if not isinstance(place, dict):
        return None
    backend = place.get("backend")
    names = {"nftables": "table", "ipset": "ipset", "postfix-map": "postfix_map"}
    key = names.get(backend) if isinstance(backend, str) else None
    value = place.get(key) if key is not None else None
    if key is None or not isinstance(value, str) or not value or not value.isprintable():
        return None
    enforce = dataclasses.replace(config.enforce, backend=backend, **{key: value})  # type: ignore[arg-type]
    if place_of(enforce) != place:
        return None
    return dataclasses.replace(config, enforce=enforce)


def places(record: JSONValue) -> tuple[JSONValue, list[JSONValue]]:
    """(the recorded place, the earlier ones left in place) of a stored record."""
    if not isinstance(record, dict):
        return None, []
    left = record.get("left")
    return record.get("place"), list(left) if isinstance(left, list) else []


def record(place: dict[str, JSONValue], left: Sequence[JSONValue]) -> dict[str, JSONValue]:
    return {"place": place, "left": list(left)}


def removal(enforce: EnforceConfig) -> str:
    """The commands that remove a place by hand, for the log."""
    if enforce.backend == "nftables":
        return f"nft delete table inet {enforce.table}"
    if enforce.backend == "ipset":
        steps = [
            f"{tables} {option} {CHAIN}"
            for tables in ("iptables -w", "ip6tables -w")
            for option in ("-D INPUT -j", "-F", "-X")
        ]
        steps += [f"ipset destroy {enforce.ipset}{version}" for version in (4, 6)]
        return "; ".join(steps)
    if enforce.backend == "postfix-map":
        # Emptied, not deleted: Postfix defers every client while a table it names is
        # missing.
        return f"printf '' > {shlex.quote(enforce.postfix_map)}; postfix reload"
    return ""
