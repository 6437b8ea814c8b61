"""What ``mailwarden status`` shows, read from the store the daemon writes.

``mailwarden status --format json`` prints one object; it is a contract for monitoring:
fields are added, never renamed or removed. Times are ISO 8601 in UTC
(``2026-11-28T14:00:00Z``).

- ``version`` (int): the format, 1.
- ``time``: when the status was taken.
- ``config``: the configuration file read (null: the built-in defaults).
- ``store``: the store's path.
- ``host``: this host's name in a shared (PostgreSQL) store, whose ``daemon`` and
  ``sources`` are this host's (null: an SQLite store, one host's).
- ``other_hosts``: the other hosts' daemons seen in a shared store, by name:
  ``[{host, running, seen, stopped}]`` (empty with SQLite).
- ``daemon``: null when no daemon ever wrote to this store (this host's), else
  ``{running, pid, version, backend, started, seen, stopped, counters, problems}``:
  ``running`` is true when the daemon's heartbeat (every 5 s) is under 15 s old and it
  did not stop; ``seen`` is its last heartbeat, ``stopped`` when it stopped cleanly
  (else null); ``counters`` are the numbers of its current run (``records``, ``events``,
  ``detections``, ``bans``, ``refused``, ``already_banned``, ``stale``, ``compromises``,
  ``manual_changes``, ``expired``, ``repairs`` (firewall restored), ``line_errors``,
  ``enforce_errors``, ``store_errors``, ``clients_forgotten``, ``warmup_lines``,
  ``journal_untrusted`` (journal entries skipped: not written by the mail system),
  ``lines``, ``skipped_lines``, ``alerts_sent``, ``alerts_failed``, ``alerts_dropped``);
  ``problems`` the last few source problems (one line each).
- ``bans``: the active bans, oldest first: ``{network, since, until,
  remaining_seconds, reason, source ("auto" | "manual"), offences}``.
- ``counts``: ``{active, auto, manual, ipv4, ipv6, revision}``; ``revision`` grows with
  every change to the bans.
- ``sources``: ``{kind: "file", name, offset, line, inode, size, behind_bytes}`` for each
  file (``offset``/``line``: where reading resumes; ``behind_bytes``: bytes not yet read,
  null when unknown) and ``{kind: "journal", name: "journal", cursor}``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mailwarden.config import Config, duration_text
from mailwarden.daemon.decisions import clean, iso
from mailwarden.daemon.reading import (
    DAEMON_KEY,
    FILE_PREFIX,
    JOURNAL_KEY,
    ONE_HOST,
    StateKeys,
    file_key,
)
from mailwarden.store import BanRow, JSONValue, Store

STATUS_VERSION = 1
HEARTBEAT_EVERY = 5.0
ALIVE = timedelta(seconds=3 * HEARTBEAT_EVERY)


def status_document(store: Store, config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    active = store.active_bans(now)
    keys = StateKeys.for_store(config.store)
    stored = store.positions()
    positions = keys.own(stored)
    heartbeat = positions.pop(DAEMON_KEY, None)
    others = []
    for host, beat in sorted(keys.others(stored).items()):
        other = _daemon(beat, now)
        if other is not None:
            others.append({"host": host, **{k: other[k] for k in ("running", "seen", "stopped")}})
    return {
        "version": STATUS_VERSION,
        "time": iso(now),
        "config": config.path,
        "store": safe_location(config.store.path),
        "host": keys.host,
        "other_hosts": others,
        "daemon": _daemon(heartbeat, now),
        "bans": [_ban(row, now) for row in active],
        "counts": {
            "active": len(active),
            "auto": sum(1 for row in active if row.source == "auto"),
            "manual": sum(1 for row in active if row.source == "manual"),
            "ipv4": sum(1 for row in active if row.network.version == 4),
            "ipv6": sum(1 for row in active if row.network.version == 6),
            "revision": store.revision(),
        },
        "sources": describe_sources(positions, config.sources.files, config.sources.journal),
    }


def safe_location(path: str) -> str:
    """A store path or URL as it may be shown: a PostgreSQL URL loses its password
    (``postgresql://mw:***@db/mw``), since status output goes to monitoring."""
    if "://" not in path:
        return path
    parts = urlsplit(path)
    if parts.password is None:
        return path
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def daemon_running(store: Store, keys: StateKeys = ONE_HOST, now: datetime | None = None) -> bool:
    """Is this host's daemon writing heartbeats to this store?"""
    daemon = _daemon(store.get_position(keys.daemon), now or datetime.now(UTC))
    return bool(daemon and daemon["running"])


def _daemon(heartbeat: JSONValue, now: datetime) -> dict[str, Any] | None:
    if not isinstance(heartbeat, dict):
        return None
    seen = _parse(heartbeat.get("seen"))
    running = heartbeat.get("stopped") is None and seen is not None and now - seen <= ALIVE
    return {
        "running": running,
        "pid": heartbeat.get("pid"),
        "version": heartbeat.get("version"),
        "backend": heartbeat.get("backend"),
        "started": heartbeat.get("started"),
        "seen": heartbeat.get("seen"),
        "stopped": heartbeat.get("stopped"),
        "counters": heartbeat.get("counters") or {},
        "problems": heartbeat.get("problems") or [],
    }


def _parse(value: JSONValue) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ban(row: BanRow, now: datetime) -> dict[str, Any]:
    return {
        "network": str(row.network),
        "since": iso(row.since),
        "until": iso(row.until),
        "remaining_seconds": max(0, round((row.until - now).total_seconds())),
        "reason": row.reason,
        "source": str(row.source),
        "offences": row.offences,
    }


def describe_sources(
    positions: dict[str, JSONValue], paths: Sequence[str], journal: bool
) -> list[dict[str, Any]]:
    """Each configured file (and any other file with a stored position), then the journal."""
    stored = [key[len(FILE_PREFIX) :] for key in positions if key.startswith(FILE_PREFIX)]
    out: list[dict[str, Any]] = []
    for path in dict.fromkeys([*paths, *stored]):
        value = positions.get(file_key(path))
        position = value if isinstance(value, dict) else {}
        entry: dict[str, Any] = {
            "kind": "file",
            "name": path,
            "offset": position.get("offset"),
            "line": position.get("line"),
            "inode": position.get("inode"),
            "size": None,
            "behind_bytes": None,
        }
        try:
            st = os.stat(path)
        except OSError:
            out.append(entry)
            continue
        entry["size"] = st.st_size
        offset = entry["offset"]
        if isinstance(offset, int) and position.get("inode") == st.st_ino:
            entry["behind_bytes"] = max(0, st.st_size - offset)
        out.append(entry)
    cursor = positions.get(JOURNAL_KEY)
    if journal or isinstance(cursor, dict):
        value = cursor.get("cursor") if isinstance(cursor, dict) else None
        out.append({"kind": "journal", "name": "journal", "cursor": value})
    return out


def status_text(document: dict[str, Any]) -> str:
    """The status for a person."""
    lines = []
    daemon = document["daemon"]
    host = document.get("host")
    if host is not None:
        lines.append(
            f"host: {clean(str(host))} (the store is shared: daemon and sources of this host)"
        )
    if daemon is None:
        lines.append(
            "daemon: never ran with this store" + ("" if host is None else " on this host")
        )
    elif daemon["running"]:
        lines.append(
            f"daemon: running (pid {daemon['pid']}, since {daemon['started']}, "
            f"backend {daemon['backend']})"
        )
    else:
        when = daemon["stopped"] or daemon["seen"]
        how = "stopped" if daemon["stopped"] else "not running (last seen"
        lines.append(f"daemon: {how} {when}" + ("" if daemon["stopped"] else ")"))
    if daemon is not None:
        c = daemon["counters"]
        lines.append(
            f"  this run: {c.get('lines', 0)} lines, {c.get('events', 0)} events, "
            f"{c.get('bans', 0)} bans, {c.get('refused', 0)} refused, "
            f"{c.get('compromises', 0)} compromises, {c.get('repairs', 0)} firewall repairs"
        )
        untrusted = c.get("journal_untrusted", 0)
        if untrusted:
            lines.append(
                f"  skipped: {untrusted} journal entries not written by the mail system "
                "(sources.journal_users)"
            )
        for problem in daemon["problems"]:
            lines.append(f"  problem: {clean(str(problem))}")
    for other in document.get("other_hosts", ()):
        state = "running" if other["running"] else f"stopped {other['stopped']}"
        if not other["running"] and not other["stopped"]:
            state = f"not running (last seen {other['seen']})"
        lines.append(f"other host {clean(str(other['host']))}: daemon {state}")
    counts = document["counts"]
    lines.append(
        f"active bans: {counts['active']} ({counts['auto']} automatic, {counts['manual']} manual)"
    )
    for ban in document["bans"]:
        left = duration_text(timedelta(seconds=max(1, ban["remaining_seconds"])))
        offence = f", offence {ban['offences']}" if ban["offences"] > 1 else ""
        lines.append(
            f"  {ban['network']:<20} until {ban['until']} ({left} left; "
            f"{ban['source']}{offence})  {clean(ban['reason'], 100)}"
        )
    lines.append("sources:")
    for source in document["sources"]:
        if source["kind"] == "journal":
            lines.append(f"  journal  cursor {source['cursor'] or '(none yet)'}")
            continue
        if source["offset"] is None:
            where = "no position yet"
        else:
            where = f"line {source['line']}, offset {source['offset']}"
            if source["behind_bytes"] is not None:
                where += f", {source['behind_bytes']} bytes behind"
        missing = "" if source["size"] is not None else " (missing)"
        lines.append(f"  {source['name']}{missing}  {where}")
    return "\n".join(lines)
