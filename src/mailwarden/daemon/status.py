"""What ``mailwarden status`` shows, read from the store the daemon writes.

``mailwarden status --format json`` prints one object; it is a contract for monitoring:
fields are added, never renamed or removed. Times are ISO 8601 in UTC
(``2026-11-28T14:00:00Z``).

- ``version`` (int): the format, 1.
- ``time``: when the status was taken.
- ``config``: the configuration file read, as an absolute path (null: the built-in
  defaults).
- ``store``: the store's path.
- ``host``: this host's name in a shared (PostgreSQL) store, whose ``daemon`` and
  ``sources`` are this host's (null: an SQLite store, one host's).
- ``other_hosts``: the other hosts' daemons seen in a shared store, by name:
  ``[{host, running, seen, stopped, damaged}]`` (empty with SQLite).
- ``daemon``: null when no daemon ever wrote to this store (this host's), else
  ``{running, pid, version, backend, started, seen, stopped, counters, problems,
  damaged, not_responding, gone, warm_up}``:
  ``running`` is true when the daemon's heartbeat (every 5 s) is under 15 s old, it
  did not stop and its process is not ``gone``: ``gone`` is true when the heartbeat was
  written on this host (this boot, this pid namespace: its ``pid_place``) and its pid is
  no process that started before it (killed with SIGKILL, crashed);
  ``not_responding`` is true when it is older, yet the process that wrote it still
  runs on this host (its pid is a mailwarden process that started before that
  heartbeat): blocked (its store locked by another process), not gone; false when it
  runs, stopped, or that cannot be told; ``seen`` is its last heartbeat, ``stopped``
  when it stopped cleanly (else null); ``counters`` are the numbers of its current run
  (``records``, ``events``, ``detections``, ``bans``, ``refused``, ``already_banned``,
  ``stale``, ``compromises``, ``manual_changes``, ``expired``, ``repairs`` (firewall
  restored), ``line_errors``, ``enforce_errors``, ``store_errors``,
  ``clients_forgotten``, ``warmup_lines``, ``journal_untrusted`` (journal entries
  skipped: not written by the mail system), ``duplicates`` (entries dropped as another
  input's copy: mail.log and syslog), ``lines``, ``skipped_lines``, ``alerts_sent``
  (alerts that every destination, command and URL, got), ``alerts_failed`` (alerts a
  destination did not get after its last try), ``alerts_dropped`` (alerts never tried:
  the queue was full)); ``problems`` the last few source problems,
  then each followed file that cannot be read now (``/var/log/mail.log: cannot follow
  since 2026-11-28T14:00:00Z: Permission denied (EACCES) ...``, gone once it is read
  again), then a firewall that does not work now (one line each); ``damaged``: what of
  the heartbeat could not be read (``["pid 'x' is not a process id"]``; such a value, a
  counter too, is null, and ``running`` false when it is ``seen`` or ``stopped``), empty
  when nothing; ``warm_up``: a reload's new detector reading the earlier lines while
  the running one judges the new ones, ``{lines, since}`` (earlier lines read so far,
  when it began: either null when damaged), null when none is under way (as in a
  heartbeat of a version before it).
- ``bans``: the active bans, oldest first: ``{network, since, until,
  remaining_seconds, reason, source ("auto" | "manual"), offences, not_enforced}``;
  ``not_enforced``: why the daemon leaves a stored ban out of the firewall (the network
  is on the allow list, loopback, …, as this configuration says; it holds an address of
  this host, as a shared store's ban by another host may; past ``enforce.max_bans``
  with nftables, the automatic ones that end first), null when it enforces it.
- ``counts``: ``{active, auto, manual, ipv4, ipv6, revision}``; ``revision`` grows with
  every change to the bans.
- ``sources``: ``{kind: "file", name, offset, line, inode, size, behind_bytes,
  damaged, position_file}`` for each file (``offset``/``line``: where reading resumes;
  ``position_file``: the file they are in, ``name`` itself or a rotated sibling
  (``mail.log.1``: renamed or copied by a rotation, its rest read before ``name``),
  null when it is nowhere (deleted, compressed) or unknown; ``behind_bytes``: bytes not
  yet read (a sibling's rest and all of ``name``), null when unknown) and ``{kind:
  "journal", name: "journal", cursor, damaged}``. ``damaged``: why the stored position
  cannot be used (``["offset 'x' is not a byte offset"]``), empty when it can;
  ``offset``, ``line``, ``inode``, ``cursor`` are then null: the daemon does not resume
  from it.
- ``damage``: one line for each damaged row or value of the store that was left out
  (a ban, a position, the revision, a field above), as the error line on stderr names
  them; empty when none. With damage, ``mailwarden status`` exits 1, in either format.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from mailwarden.config import Config, duration_text
from mailwarden.daemon.alerts import QUEUE, TRIES
from mailwarden.daemon.decisions import clean, iso
from mailwarden.daemon.reading import (
    DAEMON_KEY,
    FILE_PREFIX,
    JOURNAL_KEY,
    ONE_HOST,
    StateKeys,
    file_key,
)
from mailwarden.enforce.dryrun import one_line
from mailwarden.errors import MailwardenError, StoreError
from mailwarden.model import IPNetwork
from mailwarden.sources.follow import Position, find_stored, siblings
from mailwarden.store import BanRow, JSONValue, Source, Store
from mailwarden.store.location import safe_location
from mailwarden.store.rows import shown

STATUS_VERSION = 1
HEARTBEAT_EVERY = 5.0
ALIVE = timedelta(seconds=3 * HEARTBEAT_EVERY)
AHEAD = timedelta(days=1)
"""A heartbeat time further ahead of this host's clock is damaged (a fleet's clocks
differ by seconds, not days)."""
LARGEST = (1 << 63) - 1
"""The largest byte offset, line number or counter a file or a run can reach."""
PID_MAX = 1 << 22
"""Linux's largest process id."""
_VERSION = re.compile(r"[0-9A-Za-z.+!_-]{1,64}")
_BACKEND = re.compile(r"[a-z0-9_-]{1,32}")
_CURSOR = re.compile(r"[!-~]{1,1024}")
"""A journal cursor is opaque text (``s=…;i=…;b=…``): printable ASCII, no space."""


def status_document(store: Store, config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    active = store.active_bans(now)
    keys = StateKeys.for_store(config.store)
    stored = store.positions()
    positions = keys.own(stored)
    heartbeat = positions.pop(DAEMON_KEY, None)
    daemon = _daemon(heartbeat, now)
    if daemon is not None:
        _note(store, keys.daemon, daemon["damaged"])
        daemon["not_responding"] = _not_responding(daemon)
    others = []
    for host, beat in sorted(keys.others(stored).items()):
        other = _daemon(beat, now)
        if other is not None:
            _note(store, StateKeys(host).daemon, other["damaged"])
            fields = ("running", "seen", "stopped", "damaged")
            others.append({"host": host, **{k: other[k] for k in fields}})
    sources = describe_sources(positions, config.sources.files, config.sources.journal)
    for source in sources:
        key = keys.journal if source["kind"] == "journal" else keys.file(source["name"])
        _note(store, key, source["damaged"])
    refusal = _past_the_cap(config, active, not_enforced(config))
    document = {
        "version": STATUS_VERSION,
        "time": iso(now),
        "config": None if config.path is None else os.path.abspath(config.path),
        "store": safe_location(config.store.path),
        "host": keys.host,
        "other_hosts": others,
        "daemon": daemon,
        "bans": [_ban(row, now, refusal) for row in active],
        "counts": {
            "active": len(active),
            "auto": sum(1 for row in active if row.source == "auto"),
            "manual": sum(1 for row in active if row.source == "manual"),
            "ipv4": sum(1 for row in active if row.network.version == 4),
            "ipv6": sum(1 for row in active if row.network.version == 6),
            "revision": store.revision(),
        },
        "sources": sources,
    }
    document["damage"] = store.damage()
    return document


def _note(store: Store, key: str, damaged: Sequence[str]) -> None:
    if damaged:
        store.note_damage(f"position {shown(key, 200)}", ", ".join(damaged))


def daemon_running(store: Store, keys: StateKeys = ONE_HOST, now: datetime | None = None) -> bool:
    """Is this host's daemon writing heartbeats to this store?"""
    daemon = _daemon(store.get_position(keys.daemon), now or datetime.now(UTC))
    return bool(daemon and daemon["running"])


def running_hosts(store: Store, keys: StateKeys, now: datetime | None = None) -> list[str]:
    """The other hosts of a shared store whose daemons write heartbeats (none for a
    store of one host): those that apply a ``ban`` made on a host without a daemon of
    its own (a management host)."""
    when = now or datetime.now(UTC)
    running = []
    for host, beat in sorted(keys.others(store.positions()).items()):
        daemon = _daemon(beat, when)
        if daemon is not None and daemon["running"]:
            running.append(host)
    return running


def other_daemon(store: Store, config: Config, holder: str, now: datetime | None = None) -> str:
    """The line that refuses a second daemon of the same store and host (`Store.claim`):
    the store (and host in a fleet), the holder (`Claimed.holder`), and its last
    heartbeat as far as the store has one."""
    keys = StateKeys.for_store(config.store)
    about = holder_text(store, config, holder, now)
    store_name = safe_location(config.store.path)
    if keys.host is None:
        return (
            f"another mailwarden daemon runs with the store {store_name} "
            f"({about}): one daemon per store; stop that one first"
        )
    return (
        f"another mailwarden daemon runs as host {keys.host} with the store {store_name} "
        f"({about}): one daemon per host name; stop that one first, or give "
        f"this one its own store.host_name"
    )


def holder_text(store: Store, config: Config, holder: str, now: datetime | None = None) -> str:
    """The daemon that holds the store (`Claimed.holder`) and what its heartbeat says:
    ``pid 1234, last heartbeat 3s ago``."""
    now = now or datetime.now(UTC)
    keys = StateKeys.for_store(config.store)
    try:
        daemon = _daemon(store.get_position(keys.daemon), now)
    except StoreError:
        daemon = None
    about = [holder]
    if daemon is not None and daemon["pid"] is not None and f"pid {daemon['pid']}" != holder:
        about.append(f"its heartbeat says pid {daemon['pid']}")
    seen = _parse(daemon["seen"]) if daemon is not None else None
    if seen is not None and daemon is not None and daemon["stopped"] is None:
        age = max(0, round((now - seen).total_seconds()))
        about.append(f"last heartbeat {duration_text(timedelta(seconds=age))} ago")
    return ", ".join(about)


def _not_responding(daemon: dict[str, Any]) -> bool:
    """Whether the daemon whose heartbeat is stale still runs on this host: the process
    of its pid is a mailwarden that started before its last heartbeat (to the second),
    so the very process that wrote it (a pid is reused only once its process is gone,
    which is after that heartbeat). Blocked (a store another process keeps locked) or
    stopped (SIGSTOP), not gone. False when it cannot be told: no such process here
    (another host's, another pid namespace's), /proc unreadable."""
    pid, seen = daemon["pid"], daemon["seen"]
    if daemon["running"] or daemon["stopped"] or pid is None or seen is None:
        return False
    last = _parse(seen)
    started = _process_started(pid)
    # `seen` is whole seconds, cut: the heartbeat was written before `seen` + 1 s.
    return last is not None and started is not None and started < last + timedelta(seconds=1)


def pid_place() -> str | None:
    """Where this process's pids are numbered: this boot of this host (Linux's boot id)
    and its pid namespace, ``boot-id/inode``. The daemon writes it in its heartbeat;
    ``status`` looks its pid up in /proc only when its own place is the same. None when
    /proc cannot tell."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            boot = handle.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except (OSError, ValueError):
        return None
    return f"{boot}/{namespace}" if boot else None


def _gone(heartbeat: dict[str, Any], pid: int | None, seen: datetime | None) -> bool:
    """Whether the process that wrote a fresh heartbeat is gone (killed with SIGKILL,
    crashed: no clean stop written): it wrote it where ``status`` runs (`pid_place`),
    and no process of its pid started before that heartbeat is there (a pid is reused
    only once its process is gone). False when it cannot be told: a heartbeat of another
    host, pid namespace or boot, or of a daemon too old to say where it ran."""
    if pid is None or seen is None:
        return False
    place = heartbeat.get("pid_place")
    if not isinstance(place, str) or place != pid_place():
        return False
    started = _process_started(pid, mailwarden=False)
    if started is not None:
        return started >= seen + timedelta(seconds=1)
    try:  # no /proc entry to read (hidepid hides another user's): ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process (EPERM): there
        return False
    return False


def _process_started(pid: int, mailwarden: bool = True) -> datetime | None:
    """When the mailwarden process `pid` of this host started (Linux's /proc); None
    when there is none, it is another program (``mailwarden``: only a mailwarden
    counts), or /proc cannot tell."""
    proc = f"/proc/{pid}"
    try:
        with open(f"{proc}/cmdline", "rb") as handle:
            if mailwarden and b"mailwarden" not in handle.read():
                return None
        with open(f"{proc}/stat", "rb") as handle:
            # ``pid (comm) state …``: comm may hold spaces and ")"; starttime is the
            # 22nd field, the 20th after comm, in clock ticks after boot.
            ticks = int(handle.read().rpartition(b")")[2].split()[19])
        with open("/proc/stat", "rb") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b"btime "))
        return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _daemon(heartbeat: JSONValue, now: datetime) -> dict[str, Any] | None:
    """What a heartbeat says, each field checked: a damaged one is null and named in
    ``damaged``. None when there is no heartbeat."""
    if heartbeat is None:
        return None
    damaged: list[str] = []
    if not isinstance(heartbeat, dict):
        damaged.append(f"the heartbeat {shown(heartbeat)} is not an object")
        heartbeat = {}

    def field(name: str, good: bool, what: str) -> Any:
        value = heartbeat.get(name)
        if value is None or good:
            return value
        damaged.append(f"{name} {shown(value)} is not {what}")
        return None

    pid = heartbeat.get("pid")
    shown_fields = {
        "pid": field("pid", type(pid) is int and 0 < pid <= PID_MAX, "a process id"),
        "version": field("version", _matches(_VERSION, heartbeat.get("version")), "a version"),
        "backend": field("backend", _matches(_BACKEND, heartbeat.get("backend")), "a backend"),
    }
    times = {name: _time(name, heartbeat.get(name), now, damaged) for name in _TIMES}
    seen, stopped = times["seen"], times["stopped"]
    if heartbeat and heartbeat.get("seen") is None:
        damaged.append("seen is missing")  # every heartbeat has one
    # A damaged `stopped` may hide a stop: running only when both can be read.
    readable = stopped is not None or heartbeat.get("stopped") is None
    gone = readable and stopped is None and _gone(heartbeat, shown_fields["pid"], seen)
    return {
        "running": not gone
        and readable
        and stopped is None
        and seen is not None
        and now - seen <= ALIVE,
        "gone": gone,
        **shown_fields,
        **{name: None if moment is None else iso(moment) for name, moment in times.items()},
        "counters": _counters(heartbeat.get("counters"), damaged),
        "problems": _problems(heartbeat.get("problems"), damaged),
        "damaged": damaged,
        "warm_up": _warm_up(heartbeat.get("warm_up"), now, damaged),
    }


_TIMES = ("started", "seen", "stopped")


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _time(name: str, value: JSONValue, now: datetime, damaged: list[str]) -> datetime | None:
    if value is None:
        return None
    moment = _parse(value)
    if moment is None:
        damaged.append(f"{name} {shown(value)} is not a time")
        return None
    if moment - now > AHEAD:
        damaged.append(f"{name} {iso(moment)} is in the future")
        return None
    return moment


def _parse(value: JSONValue) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value <= LARGEST


def _counters(value: JSONValue, damaged: list[str]) -> dict[str, int | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        damaged.append(f"counters {shown(value)} is not an object")
        return {}
    counters: dict[str, int | None] = {}
    for name, count in value.items():
        if _count(count):
            assert isinstance(count, int)
            counters[name] = count
        else:
            damaged.append(f"counter {shown(name)} {shown(count)} is not a count")
            counters[name] = None
    return counters


def _warm_up(value: JSONValue, now: datetime, damaged: list[str]) -> dict[str, Any] | None:
    """A reload's warm-up under way (``{lines, since}``), None when none is."""
    if value is None:
        return None
    if not isinstance(value, dict):
        damaged.append(f"warm_up {shown(value)} is not an object")
        return None
    lines = value.get("lines")
    if not _count(lines):
        damaged.append(f"warm_up lines {shown(lines)} is not a count")
        lines = None
    since = _time("warm_up since", value.get("since"), now, damaged)
    return {"lines": lines, "since": None if since is None else iso(since)}


def _problems(value: JSONValue, damaged: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        damaged.append(f"problems {shown(value)} is not a list")
        return []
    bad = [problem for problem in value if not isinstance(problem, str)]
    if bad:
        damaged.append(f"problem {shown(bad[0])} is not text")
    return [problem for problem in value if isinstance(problem, str)]


def _ban(row: BanRow, now: datetime, refusal: Callable[[IPNetwork], str | None]) -> dict[str, Any]:
    return {
        "network": str(row.network),
        "since": iso(row.since),
        "until": iso(row.until),
        "remaining_seconds": max(0, round((row.until - now).total_seconds())),
        "reason": row.reason,
        "source": str(row.source),
        "offences": row.offences,
        "not_enforced": refusal(row.network),
    }


def not_enforced(config: Config) -> Callable[[IPNetwork], str | None]:
    """Why the daemon would leave a stored ban out of the firewall: the policy's own
    check (allow list, loopback and other reserved ranges) and this host's addresses
    (read now, as the daemon reads them before it applies a stored ban): in a shared
    store another host may have banned one of ours. Addresses that cannot be read
    leave that part out."""
    from mailwarden.daemon.wiring import ban_policy
    from mailwarden.enforce import policy

    try:
        own = policy.own_addresses()
    except (MailwardenError, OSError):
        own = []
    return ban_policy(config, own).refusal


def _past_the_cap(
    config: Config, active: Sequence[BanRow], refusal: Callable[[IPNetwork], str | None]
) -> Callable[[IPNetwork], str | None]:
    """`refusal`, and for the nftables backend the bans past ``enforce.max_bans`` that
    the daemon leaves out of the table: of those it would enforce, the automatic ones
    that end first (an admin's go before them), as the daemon chooses them."""
    cap = config.enforce.max_bans
    if config.enforce.backend != "nftables":
        return refusal
    enforced = [row for row in active if refusal(row.network) is None]
    if len(enforced) <= cap:
        return refusal
    enforced.sort(key=lambda row: (row.source == Source.MANUAL, row.until), reverse=True)
    left_out = {row.network for row in enforced[cap:]}
    why = (
        f"the nftables table holds at most {cap} bans (enforce.max_bans): "
        "the automatic bans that end first are left out"
    )
    return lambda network: why if network in left_out else refusal(network)


def describe_sources(
    positions: dict[str, JSONValue], paths: Sequence[str], journal: bool
) -> list[dict[str, Any]]:
    """Each configured file (and any other file with a stored position), then the journal."""
    stored = [key[len(FILE_PREFIX) :] for key in positions if key.startswith(FILE_PREFIX)]
    out: list[dict[str, Any]] = []
    for path in dict.fromkeys([*paths, *stored]):
        position, damaged = _file_position(positions.get(file_key(path)))
        entry: dict[str, Any] = {
            "kind": "file",
            "name": path,
            "offset": position.get("offset"),
            "line": position.get("line"),
            "inode": position.get("inode"),
            "size": None,
            "behind_bytes": None,
            "damaged": damaged,
            "position_file": None,
        }
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is not None:
            entry["size"] = st.st_size
        if position:
            _position_in(entry, path, Position.from_json(position), st)
        out.append(entry)
    if journal or JOURNAL_KEY in positions:
        cursor, damaged = _cursor(positions.get(JOURNAL_KEY))
        out.append({"kind": "journal", "name": "journal", "cursor": cursor, "damaged": damaged})
    return out


def _position_in(
    entry: dict[str, Any], path: str, position: Position, st: os.stat_result | None
) -> None:
    """Fill in the file the stored position is in (``position_file``) and the bytes
    not yet read (``behind_bytes``): the path itself, or a rotated sibling (renamed by a
    rotation while the daemon was stopped: the same inode; a copy by copytruncate), whose
    rest is read before the path from its start. A file that cannot be opened is found
    by its inode only; one that is nowhere (deleted, compressed) leaves both null."""
    found = find_stored(path, position)
    if found is not None:
        name = found.name
        try:
            size = os.fstat(found.fd).st_size
        except OSError:
            return
        finally:
            os.close(found.fd)
    else:
        for name in [path, *siblings(path)]:
            try:
                other = os.stat(name)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (position.device, position.inode):
                size = other.st_size
                break
        else:
            return
    behind = max(0, size - position.offset)
    if name != path:
        behind += st.st_size if st is not None else 0
    entry["position_file"] = name
    entry["behind_bytes"] = behind


def _file_position(value: JSONValue) -> tuple[dict[str, JSONValue], list[str]]:
    """A file's stored position and [], or {} and why it cannot be used: the fields
    shown must be whole numbers in range, and the daemon must be able to resume from it
    (`Position.from_json`)."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [f"the position {shown(value)} is not an object"]
    limits = {"offset": ("a byte offset", LARGEST), "line": ("a line number", LARGEST)}
    limits["inode"] = ("an inode number", (1 << 64) - 1)
    damaged = []
    for name, (what, largest) in limits.items():
        number = value.get(name)
        if number is None:
            damaged.append(f"{name} is missing")
        elif type(number) is not int or not 0 <= number <= largest:
            damaged.append(f"{name} {shown(number)} is not {what}")
    if not damaged:
        offset, line = value["offset"], value["line"]
        assert isinstance(offset, int) and isinstance(line, int)
        if line > offset + 1:
            damaged.append(f"line {line} cannot begin at byte {offset}")
        try:
            Position.from_json(value)
        except KeyError as exc:
            damaged.append(f"{shown(exc.args[0])} is missing")
        except (ValueError, TypeError) as exc:
            damaged.append(str(exc).removeprefix("position: "))
    return ({}, damaged) if damaged else (value, [])


def _cursor(value: JSONValue) -> tuple[str | None, list[str]]:
    """A stored journal cursor and [], or None and why it cannot be used."""
    if value is None:
        return None, []
    if not isinstance(value, dict):
        return None, [f"the position {shown(value)} is not an object"]
    cursor = value.get("cursor")
    if cursor is None:
        return None, ["cursor is missing"]
    if not isinstance(cursor, str) or not _CURSOR.fullmatch(cursor):
        return None, [f"cursor {shown(cursor)} is not a journal cursor"]
    return cursor, []


def _or_unknown(value: object) -> str:
    """A value for a person: "?" for an unknown (damaged) one."""
    return "?" if value is None else str(value)


def _silence(now: str, seen: str) -> str:
    """How long since the last heartbeat: ``28s``, ``3h2m5s``."""
    then, at = _parse(seen), _parse(now)
    if then is None or at is None:
        return "?"
    return duration_text(timedelta(seconds=max(0, round((at - then).total_seconds()))))


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
        pid, started, backend = (_or_unknown(daemon[k]) for k in ("pid", "started", "backend"))
        lines.append(f"daemon: running (pid {pid}, since {started}, backend {backend})")
        warm = daemon.get("warm_up")
        if warm is not None:
            lines.append(
                f"  warm-up: a reload's new detector has read {_or_unknown(warm['lines'])} "
                f"earlier line(s) so far, since {_or_unknown(warm['since'])}; the running "
                "detector judges the new lines meanwhile"
            )
    elif daemon["stopped"]:
        lines.append(f"daemon: stopped {daemon['stopped']}")
    elif daemon["seen"]:
        silent = _silence(document["time"], daemon["seen"])
        if daemon.get("gone"):
            lines.append(
                f"daemon: not running: its process (pid {daemon['pid']}) is gone without "
                f"a clean stop (last seen {daemon['seen']}, {silent} ago): killed or crashed"
            )
        elif daemon.get("not_responding"):
            lines.append(
                f"daemon: not responding: its process (pid {daemon['pid']}) runs but wrote "
                f"no heartbeat for {silent} (last seen {daemon['seen']}): blocked (its log "
                "says on what) or suspended"
            )
        else:
            lines.append(
                f"daemon: no heartbeat for {silent} (last seen {daemon['seen']}): stopped "
                "or blocked"
            )
    else:
        lines.append("daemon: unknown (its heartbeat in the store cannot be read)")
    if daemon is not None:
        c = {name: _or_unknown(count) for name, count in daemon["counters"].items()}
        lines.append(
            f"  this run: {_counted(c.get('lines', 0), 'line')}, "
            f"{_counted(c.get('events', 0), 'event')}, {_counted(c.get('bans', 0), 'ban')}, "
            f"{c.get('refused', 0)} refused, {_counted(c.get('compromises', 0), 'compromise')}, "
            f"{_counted(c.get('repairs', 0), 'firewall repair')}"
        )
        failed, dropped = c.get("alerts_failed", "0"), c.get("alerts_dropped", "0")
        if failed != "0" or dropped != "0":
            lines.append(
                f"  alerts: {c.get('alerts_sent', 0)} sent, {failed} failed (not delivered "
                f"after {TRIES} tries; the log says why), {dropped} dropped (never tried: "
                f"{QUEUE} were waiting)"
            )
        stale = c.get("stale", "0")
        if stale != "0":
            lines.append(
                f"  not banned: {stale} attack(s) longer ago than their ban would last (a "
                "backlog (after a stop or a reload), or a log whose times are behind this "
                "host's clock: a problem below says so)"
            )
        untrusted = c.get("journal_untrusted", "0")
        skipped = c.get("skipped_lines", "0")
        if untrusted.isdigit() and skipped.isdigit():
            skipped = str(int(skipped) - int(untrusted))
        if skipped != "0":
            lines.append(
                f"  skipped: {skipped} line(s) empty, binary or over 64 KiB (no entry read)"
            )
        if untrusted != "0":
            lines.append(
                f"  skipped: {untrusted} journal entries not written by the mail system "
                "(sources.journal_users)"
            )
        for problem in daemon["problems"]:
            lines.append(f"  problem: {clean(str(problem))}")
        for damaged in daemon.get("damaged", ()):
            lines.append(f"  damaged in the store: {clean(damaged)} (left out)")
    for other in document.get("other_hosts", ()):
        if other["running"]:
            state = "running"
        elif other["stopped"]:
            state = f"stopped {other['stopped']}"
        elif other["seen"]:
            silent = _silence(document["time"], other["seen"])
            state = f"no heartbeat for {silent} (last seen {other['seen']}): stopped or blocked"
        else:
            state = "unknown (its heartbeat in the store cannot be read)"
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
        if ban.get("not_enforced"):
            lines.append(f"  {'':<20} not enforced: {ban['not_enforced']}")
    lines.append("sources:")
    for source in document["sources"]:
        damaged = source.get("damaged")
        if damaged:
            where = f"position damaged in the store: {clean(', '.join(damaged))} (left out)"
        elif source["kind"] == "journal":
            where = f"cursor {source['cursor'] or '(none yet)'}"
        elif source["offset"] is None:
            where = "no position yet"
        else:
            line = source["line"]
            if isinstance(line, int) and line > 1:  # where reading resumes: the next line
                where = f"read up to line {line - 1}; next: line {line}"
            else:
                where = f"nothing read yet; next: line {_or_unknown(line)}"
            in_file = source.get("position_file")
            if in_file is not None and in_file != source["name"]:
                where += f" of {one_line(in_file)}"
            where += f", offset {source['offset']}"
            if source["behind_bytes"] is not None:
                where += f", {source['behind_bytes']} bytes behind"
                if in_file is not None and in_file != source["name"]:
                    where += f" (the rest of {one_line(in_file)}, then {one_line(source['name'])})"
        if source["kind"] == "journal":
            lines.append(f"  journal  {where}")
            continue
        missing = "" if source["size"] is not None else " (missing)"
        lines.append(f"  {one_line(source['name'])}{missing}  {where}")
    return "\n".join(lines)


def _counted(count: object, word: str) -> str:
    """``1 compromise``, ``2 compromises`` (a count the store could not give is shown as
    it is, plural)."""
    return f"{count} {word}" if str(count) == "1" else f"{count} {word}s"
