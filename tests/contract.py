"""The JSON contracts other tools read (ARCHITECTURE.md, "Contracts that other tools rely
on"), as checkers: ``mailwarden events --format jsonl`` (one object per event) and
``mailwarden analyze --format json`` (one object). One copy for the detector's tests, the
report's and the commands'.

Each checker returns the problems it found, one line each (empty: the object keeps the
contract), so that a test shows every broken field at once. :func:`split_values` checks
the text report's own promise: no address or account cut into another. Fields beyond the contract's
are extensions and are not checked here, except where the contract names a property of
the whole object (passwords masked, worst first, counters that agree with each other).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

CONTRACT_ATTACKER = {
    "ip",
    "network",
    "verdict",
    "failures",
    "users",
    "first_seen",
    "last_seen",
    "succeeded_as",
    "recommendation",
}
CONTRACT_COMPROMISE = {"user", "ip", "time", "failures_before"}
CONTRACT_CREDENTIAL = {"ip", "mechanism", "authzid", "user", "password", "complete"}
CONTRACT_STATS = {"lines_read", "lines_recognised", "events", "seconds"}
CONTRACT_ANALYSIS = {"attackers", "compromised", "credentials", "findings", "stats"}
CONTRACT_EVENT = (
    "source",
    "line",
    "time",
    "program",
    "pid",
    "type",
    "category",
    "hostile",
    "strength",
    "ip",
    "port",
    "user",
    "mechanism",
    "reason",
)
"""In the order ``events --format jsonl`` writes them."""

VERDICTS = (
    "compromised",
    "bruteforce",
    "honeypot",
    "enumeration",
    "slow_bruteforce",
    "spray_member",
    "network_member",
    "probe",
    "scanner",
    "stale_password",
)
"""Every verdict, worst first: the order of ``attackers``. A value is never renamed; a
new one is added here when the detector grows one."""
RECOMMENDATIONS = (
    "ban",
    "watch",
    "none (allow-listed)",
    "none (this machine)",
    "none (stale password of a real user)",
)
SEVERITIES = ("critical", "high", "medium", "low", "info")
FINDING_KINDS = (
    "spray",
    "network",
    "enumeration",
    "credential_exposed",
    "auth_on_port_25",
    "weak_tls",
    "outdated_server",
    "soft_bounce",
    "auth_unavailable",
    "stale_password",
    "misspelt_username",
)
"""The finding kinds the detector reports today (``findings`` is "the rest": the attackers
and the compromised logins have lists of their own)."""
STRENGTHS = ("strong", "weak")

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
"""ISO 8601 as other tools parse it: date, time, and the offset from UTC in hours and
minutes (a time without one means nothing to a reader on another machine)."""


# -- values --------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def time_problem(value: object, *, nullable: bool = True) -> str | None:
    """Why ``value`` is not a contract time (ISO 8601 with its offset, or null)."""
    if value is None:
        return None if nullable else "null"
    if not isinstance(value, str) or ISO_TIME.fullmatch(value) is None:
        return f"not ISO 8601 with an offset: {value!r}"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return f"not a real time: {value!r}"
    return None


def _address_problem(value: object, *, nullable: bool) -> str | None:
    if value is None:
        return None if nullable else "null"
    if not isinstance(value, str):
        return f"not a string: {value!r}"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"not an address: {value!r}"
    return None


def _parsed(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, problem: str | None) -> None:
        if problem is not None:
            self.found.append(f"{where}: {problem}")

    def require(self, where: str, obj: Mapping[str, Any], fields: Iterable[str]) -> bool:
        missing = [f for f in fields if f not in obj]
        if missing:
            self.found.append(f"{where}: missing {', '.join(missing)}")
        return not missing

    def type(self, where: str, ok: bool, value: object, expected: str) -> None:
        if not ok:
            self.found.append(f"{where}: {value!r} is not {expected}")


# -- events --------------------------------------------------------------------------------


def event_problems(event: Mapping[str, Any], where: str = "event") -> list[str]:
    """The contract of one ``events --format jsonl`` object."""
    from mailwarden.model import Category, EventType

    p = _Problems()
    if not p.require(where, event, CONTRACT_EVENT):
        return p.found
    order = [k for k in event if k in CONTRACT_EVENT]
    if order != list(CONTRACT_EVENT):
        p.found.append(f"{where}: contract fields out of order: {order}")
    p.type(
        f"{where}.source",
        isinstance(event["source"], str) and event["source"] != "",
        event["source"],
        "a name",
    )
    p.type(
        f"{where}.line",
        _is_int(event["line"]) and event["line"] >= 1,
        event["line"],
        "a 1-based line number",
    )
    p.add(f"{where}.time", time_problem(event["time"]))
    p.type(f"{where}.program", _is_str_or_none(event["program"]), event["program"], "str|null")
    pid = event["pid"]
    p.type(f"{where}.pid", pid is None or (_is_int(pid) and pid >= 0), pid, "int|null")
    p.type(
        f"{where}.type",
        event["type"] in {str(t) for t in EventType},
        event["type"],
        "an event type",
    )
    p.type(
        f"{where}.category",
        event["category"] in {str(c) for c in Category},
        event["category"],
        "a category",
    )
    hostile, strength = event["hostile"], event["strength"]
    p.type(f"{where}.hostile", isinstance(hostile, bool), hostile, "a bool")
    if hostile is True:
        p.type(f"{where}.strength", strength in STRENGTHS, strength, "strong|weak (hostile)")
    else:
        p.type(f"{where}.strength", strength is None, strength, "null (not hostile)")
    p.add(f"{where}.ip", _address_problem(event["ip"], nullable=True))
    port = event["port"]
    p.type(
        f"{where}.port", port is None or (_is_int(port) and 0 <= port <= 65535), port, "a port|null"
    )
    for name in ("user", "mechanism", "reason"):
        p.type(f"{where}.{name}", _is_str_or_none(event[name]), event[name], "str|null")
    return p.found


def events_problems(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every event's contract, and input order: within one source, line numbers never go
    back (a line's several events come together)."""
    found: list[str] = []
    last: dict[str, int] = {}
    finished: set[str] = set()
    current: str | None = None
    for n, event in enumerate(events):
        where = f"event {n}"
        problems = event_problems(event, where)
        found += problems
        if problems:
            continue
        source, line = event["source"], event["line"]
        if source != current:
            if source in finished:
                found.append(f"{where}: {source} again after another source")
            if current is not None:
                finished.add(current)
            current = source
        if line < last.get(source, 0):
            found.append(f"{where}: line {line} after line {last[source]} of {source}")
        last[source] = line
    return found


# -- analyze -------------------------------------------------------------------------------


def analysis_problems(
    document: Mapping[str, Any],
    *,
    show_passwords: bool = False,
    secrets: Iterable[str] = (),
) -> list[str]:
    """The contract of the ``analyze --format json`` object. ``secrets``: passwords the
    log holds, which must appear nowhere unless ``show_passwords``."""
    p = _Problems()
    if not p.require("document", document, CONTRACT_ANALYSIS):
        return p.found
    for key in CONTRACT_ANALYSIS - {"stats"}:
        p.type(key, isinstance(document[key], list), type(document[key]).__name__, "a list")
    p.type("stats", isinstance(document["stats"], dict), document["stats"], "an object")
    if p.found:
        return p.found
    _attackers(p, document["attackers"])
    _compromised(p, document["compromised"], document["attackers"])
    _credentials(p, document["credentials"], show_passwords)
    _findings(p, document["findings"])
    _stats(p, document["stats"])
    if not show_passwords:
        import json

        text = json.dumps(document, ensure_ascii=False)
        for secret in secrets:
            if secret in text:
                p.found.append(f"the password {secret!r} is in the JSON (not masked)")
    return p.found


def _attackers(p: _Problems, attackers: list[Any]) -> None:
    seen: set[str] = set()
    rank = -1
    for n, a in enumerate(attackers):
        where = f"attackers[{n}]"
        if not isinstance(a, dict) or not p.require(where, a, CONTRACT_ATTACKER):
            continue
        p.add(f"{where}.ip", _address_problem(a["ip"], nullable=False))
        if a["ip"] in seen:
            p.found.append(f"{where}: {a['ip']} listed twice")
        seen.add(a["ip"])
        network = a["network"]
        if network is not None:
            try:
                net = ipaddress.ip_network(network)
                if isinstance(a["ip"], str) and ipaddress.ip_address(a["ip"]) not in net:
                    p.found.append(f"{where}.network: {a['ip']} is not in {network}")
            except ValueError:
                p.found.append(f"{where}.network: not a network: {network!r}")
        verdict = a["verdict"]
        if verdict not in VERDICTS:
            p.found.append(f"{where}.verdict: unknown {verdict!r}")
        else:
            if VERDICTS.index(verdict) < rank:
                p.found.append(f"{where}: {verdict} after a lesser verdict (worst first)")
            rank = max(rank, VERDICTS.index(verdict))
        p.type(
            f"{where}.failures",
            _is_int(a["failures"]) and a["failures"] >= 0,
            a["failures"],
            "a count",
        )
        p.type(f"{where}.users", _is_str_list(a["users"]), a["users"], "a list of names")
        p.type(
            f"{where}.succeeded_as",
            _is_str_list(a["succeeded_as"]),
            a["succeeded_as"],
            "a list of names",
        )
        first, last = a["first_seen"], a["last_seen"]
        p.add(f"{where}.first_seen", time_problem(first))
        p.add(f"{where}.last_seen", time_problem(last))
        if time_problem(first) is None and time_problem(last) is None:
            start, end = _parsed(first), _parsed(last)
            if start is not None and end is not None and start > end:
                p.found.append(f"{where}: first_seen {first} after last_seen {last}")
        p.type(
            f"{where}.recommendation",
            a["recommendation"] in RECOMMENDATIONS,
            a["recommendation"],
            "a recommendation",
        )


def _compromised(p: _Problems, compromised: list[Any], attackers: list[Any]) -> None:
    by_ip = {a.get("ip"): a for a in attackers if isinstance(a, dict)}
    for n, c in enumerate(compromised):
        where = f"compromised[{n}]"
        if not isinstance(c, dict) or not p.require(where, c, CONTRACT_COMPROMISE):
            continue
        p.type(f"{where}.user", _is_str_or_none(c["user"]), c["user"], "str|null")
        p.add(f"{where}.ip", _address_problem(c["ip"], nullable=True))
        p.add(f"{where}.time", time_problem(c["time"]))
        p.type(
            f"{where}.failures_before",
            _is_int(c["failures_before"]) and c["failures_before"] >= 1,
            c["failures_before"],
            "a count of failures (at least one)",
        )
        attacker = by_ip.get(c["ip"]) if c["ip"] is not None else None
        if c["ip"] is not None and attacker is None:
            p.found.append(f"{where}: {c['ip']} got in but is not among the attackers")
        elif (
            attacker is not None
            and c["user"] is not None
            and c["user"] not in attacker.get("succeeded_as", ())
        ):
            p.found.append(f"{where}: {c['user']} not in {c['ip']}'s succeeded_as")


def _credentials(p: _Problems, credentials: list[Any], show_passwords: bool) -> None:
    for n, c in enumerate(credentials):
        where = f"credentials[{n}]"
        if not isinstance(c, dict) or not p.require(where, c, CONTRACT_CREDENTIAL):
            continue
        p.add(f"{where}.ip", _address_problem(c["ip"], nullable=True))
        p.type(
            f"{where}.mechanism",
            isinstance(c["mechanism"], str) and c["mechanism"] != "",
            c["mechanism"],
            "a mechanism name",
        )
        for name in ("authzid", "user", "password"):
            p.type(f"{where}.{name}", _is_str_or_none(c[name]), c[name], "str|null")
        p.type(f"{where}.complete", isinstance(c["complete"], bool), c["complete"], "a bool")
        password = c["password"]
        if not show_passwords and password is not None and not password.startswith("***"):
            p.found.append(f"{where}.password: not masked: {password!r}")


def _findings(p: _Problems, findings: list[Any]) -> None:
    for n, f in enumerate(findings):
        where = f"findings[{n}]"
        if not isinstance(f, dict) or not p.require(
            where, f, ("kind", "severity", "subject", "data", "evidence")
        ):
            continue
        p.type(f"{where}.kind", f["kind"] in FINDING_KINDS, f["kind"], "a finding kind")
        p.type(f"{where}.severity", f["severity"] in SEVERITIES, f["severity"], "a severity")
        p.type(f"{where}.subject", isinstance(f["subject"], str), f["subject"], "a string")
        p.type(f"{where}.data", isinstance(f["data"], dict), f["data"], "an object")
        evidence = f["evidence"]
        ok = isinstance(evidence, list) and all(
            isinstance(e, dict)
            and isinstance(e.get("source"), str)
            and _is_int(e.get("line"))
            and e["line"] >= 1
            and isinstance(e.get("text"), str)
            for e in evidence
        )
        p.type(f"{where}.evidence", ok, evidence, "a list of {source, line, text}")


def _stats(p: _Problems, stats: Mapping[str, Any]) -> None:
    if not p.require("stats", stats, CONTRACT_STATS):
        return
    for name in ("lines_read", "lines_recognised", "events"):
        p.type(f"stats.{name}", _is_int(stats[name]) and stats[name] >= 0, stats[name], "a count")
    seconds = stats["seconds"]
    p.type(
        "stats.seconds",
        isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0,
        seconds,
        "seconds",
    )
    if all(_is_int(stats[name]) for name in ("lines_read", "lines_recognised", "events")):
        if stats["lines_recognised"] > stats["lines_read"]:
            p.found.append(
                f"stats: {stats['lines_recognised']} lines recognised of {stats['lines_read']} read"
            )
        if stats["events"] < stats["lines_recognised"]:
            p.found.append(
                f"stats: {stats['events']} events from {stats['lines_recognised']} "
                "recognised lines (each gives at least one)"
            )


# -- the text report -----------------------------------------------------------------------
#
# Not JSON, but a promise too: an address or an account in the text report is never cut
# into another valid-looking one (``2001:db8:a11:1::17`` cut after ``::1``, an account
# folded after ``admin@exam``).

_TOKEN = re.compile(r"[^\s,()]+")
_ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:/]*|\d+\.\d+\.\d+\.\d+(?:/\d+)?")


def _word(token: str) -> str:
    """A token without the punctuation of the sentence around it."""
    if token.endswith(":") and not token.endswith("::"):
        token = token[:-1]
    return token.rstrip(".;")


def split_values(text: str, known: set[str]) -> list[str]:
    """Pieces of ``text`` that look like an account (``@``) or an address but are none
    of the known ones: a value cut short, or folded across lines. A value is either
    whole, or cut with ``…`` right after the piece that is shown."""
    problems = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        words = [_word(token) for token in _TOKEN.findall(line)]
        for word in words:
            if word.endswith("…") or word in known:
                continue
            if "@" in word or _ADDRESS_LIKE.fullmatch(word):
                problems.append(f"line {n + 1}: {word!r} is no known value: {line!r}")
        following = _TOKEN.findall(lines[n + 1]) if n + 1 < len(lines) else []
        if words and following and words[-1] + _word(following[0]) in known:
            problems.append(f"lines {n + 1}-{n + 2}: {words[-1] + following[0]!r} folded")
    return problems
