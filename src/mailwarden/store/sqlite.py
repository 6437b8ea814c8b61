"""SQLite store (the default): one file shared by the daemon and the command line.

- WAL journal: readers (``mailwarden status``) never block the daemon's writes.
- ``synchronous = NORMAL``: with WAL, a committed transaction survives a killed
  process (kill -9 at any moment); a power cut can lose the last commits but never
  corrupts the file, and bans and source positions live in the same file, so they roll
  back together: the daemon re-reads the lines whose bans were lost and bans again.
  Pass ``synchronous="FULL"`` to make every commit survive power loss too (one fsync
  per commit).
- Every public method that writes is one ``BEGIN IMMEDIATE`` transaction: the write
  lock is taken first, so two processes wait for each other (``busy_timeout``) instead
  of failing. A method that reads is one statement and takes no lock, and neither does
  opening a store that is up to date: ``status`` never waits for the daemon.
- Parameters are always bound; no SQL is ever formatted from data.
- The schema version is ``PRAGMA user_version``; a newer file is refused, and so is an
  SQLite file that holds tables of something else. An older one (schema 1, before the
  owners' logins; schema 2, before each ban row remembered the revision of its last
  change) gets the tables and columns it lacks when it is opened (`MIGRATIONS`), in one
  transaction.
- A database we create gets mode 0600, and each directory we create 0700. The store
  decides what the firewall blocks, so another user must not be able to change or
  replace it (see `unsafe_mode`), as sshd's StrictModes: its folder and every one above
  it belong to root (or to us) and are writable by neither group nor others, except a
  sticky folder every user may write, such as /tmp, above the store's own; as the
  store's own folder it is refused, and never with the advice to chmod it. Every symlink
  on the way (named, or named by a link's target) belongs to root or to us. The file, its
  ``-wal`` and its ``-shm`` belong to root (or to us) and are writable by neither group
  nor others (an ACL that grants a write shows as g+w, and the refusal names the user or
  group of its entry); they are those beside
  the file a symlinked store leads to, where SQLite keeps them.
- A store of ours without a table or column the store reads (dropped, restored in part)
  is damaged: refused when it is opened, not at the first read of that table.
- `probe` checks a store as opening it would, its tables included, and creates and
  changes nothing (``mailwarden run --check``): a store another process holds is read
  as a reader reads it, one nobody holds in place (immutable) when it has no -wal, else
  through a private copy with its -wal (see `_reading`).
- A damaged row (edited by hand, written by a broken tool, a time out of range) is
  skipped with one warning and listed by `damage` (see `mailwarden.store.rows`); text
  that is not UTF-8 is read with U+FFFD in place of the bad bytes. A damaged revision
  reads as 0 and the next change to the bans writes a good one.
"""

from __future__ import annotations

import errno
import fcntl
import grp
import os
import pwd
import shutil
import sqlite3
import stat
import struct
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailwarden.acl import acl_writers, described, removal
from mailwarden.errors import StoreError, StoreUnusable
from mailwarden.model import BanEntry, IPNetwork
from mailwarden.store import rows as stored
from mailwarden.store.interface import (
    MAX_OWNER_ACCOUNTS,
    BanChanges,
    BanRow,
    Claimed,
    JSONValue,
    OwnerRow,
    Source,
    Store,
    damaged_store,
    narrower,
    storable,
    wider_networks,
)

SCHEMA_VERSION = 3


def _text_span(network: IPNetwork) -> list[str] | None:
    """The range of network texts (as stored: ``str(network)``) that every network
    inside `network` falls in, for an index to read only those: ``203.0.113.`` up to
    ``203.0.113/`` for a /24 (its whole octets), ``2001:`` up to ``2001;`` for an IPv6
    network with a first group that is whole and not 0. None when no text range is
    known (a /7; ``::/16``): then every active ban is read. The caller still checks
    each row."""
    if network.version == 4:
        octets = network.prefixlen // 8
        if octets == 0:
            return None
        start = ".".join(str(network.network_address).split(".")[:octets]) + "."
        return [start, start[:-1] + "/"]  # '/' follows '.'
    first = int(network.network_address) >> 112
    if network.prefixlen < 16 or first == 0:
        return None
    start = f"{first:x}:"
    return [start, start[:-1] + ";"]  # ';' follows ':'


OWNERS = """
CREATE TABLE owners (
    network TEXT    NOT NULL,
    account TEXT    NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (network, account)
);
CREATE INDEX owners_last ON owners (last);
"""

CHANGED = """
ALTER TABLE bans ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bans_changed ON bans (changed);
"""

MIGRATIONS = {2: OWNERS, 3: CHANGED}
"""What each schema version adds to the one before (a store an older mailwarden
wrote is brought up to date when it is opened)."""

SCHEMA = (
    OWNERS
    + """
CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    network     TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    evidence    TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('auto', 'manual')),
    offences    INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'expired', 'lifted', 'superseded')),
    ended       INTEGER,
    end_reason  TEXT,
    changed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bans_changed ON bans (changed);
CREATE UNIQUE INDEX bans_one_active ON bans (network) WHERE state = 'active';
CREATE INDEX bans_active_until ON bans (until) WHERE state = 'active';
CREATE INDEX bans_network ON bans (network, since);
CREATE TABLE positions (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', 0);
"""
)

# Whole statements, never assembled from pieces.
SELECT_BY_ID = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE id = ?"""
SELECT_ACTIVE_PREFIX = """SELECT id, network, since, until, reason, evidence, source,
    offences, state, ended, end_reason FROM bans WHERE state = 'active' AND until > ?"""
SELECT_ACTIVE = f"{SELECT_ACTIVE_PREFIX} ORDER BY id"
SELECT_CHANGED = """SELECT t.id, t.network, b.id, b.network, b.since, b.until, b.reason,
    b.evidence, b.source, b.offences, b.state, b.ended, b.end_reason
    FROM bans AS t
    LEFT JOIN bans AS b ON b.network = t.network AND b.state = 'active' AND b.until > ?
    WHERE t.changed > ?"""
"""Each row changed after a revision, with the active ban of its network (no GROUP BY:
without statistics SQLite would then walk every ban in network order, not the index
on `changed`)."""
STAMP_CHANGED = "UPDATE bans SET changed = ? WHERE id = ?"
UNSTAMP_AHEAD = "UPDATE bans SET changed = 0 WHERE changed >= ?"
"""Rows stamped at or past a revision being written again (see `_bump`)."""
SELECT_LIFTED = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE state = 'lifted' AND ended >= ?
    ORDER BY ended, id"""
SELECT_LATEST = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans ORDER BY id DESC LIMIT ?"""
SELECT_BANS = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans"""
SELECT_LATEST_OF = """SELECT id, network, since, until, reason, evidence, source, offences,
    state, ended, end_reason FROM bans WHERE network = ? ORDER BY id DESC LIMIT ?"""

# Every column of every table the store uses, read once when it is opened (and by
# `probe`): a store of ours that lacks one is damaged, refused before the daemon starts.
TABLES_READ = (
    """SELECT id, network, since, until, reason, evidence, source, offences, state, ended,
    end_reason FROM bans LIMIT 1""",
    "SELECT key, value, updated FROM positions LIMIT 1",
    "SELECT key, value FROM meta LIMIT 1",
    "SELECT network, account, last FROM owners LIMIT 1",
    "SELECT changed FROM bans LIMIT 1",
)
TABLES_OF_VERSION = {1: TABLES_READ[:3], 2: TABLES_READ[:4], 3: TABLES_READ}
"""The tables each schema version has: a store of an older version must have its own
(the rest are added when it is opened)."""


def _seconds(moment: datetime | None) -> int:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("store times must be aware datetimes")
    return round(moment.timestamp())


def _storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


SERVICE_FOLDER = "/var/lib/mailwarden"
"""Where the systemd unit keeps the store (its StateDirectory)."""


def unsafe_mode(path: Path) -> str | None:
    """Why another user of this host could change the store at `path`, as the refusal
    says it; None when nobody else can. Through a folder, like sshd's StrictModes: the
    store's own folder and every one above it up to / (where its symlinks lead), and
    the folder of each symlink on the way and every one above it (`holders`), must
    belong to root or to us and be writable by neither group nor others,
    except that a sticky folder every user may write (/tmp) may be above the store's
    own; and every symlink on the way must belong to root or to us. Through the file,
    its -wal or its -shm (beside the file a link leads to): each must belong to root
    or to us and be writable by neither group nor others. A folder that does not exist
    yet is created 0700 by us: nothing to refuse there."""
    problem = _foreign_link(path) or _unsafe_folder(path)
    if problem is not None:
        return problem
    real = _real(path)
    for each in (real, *_journal(real)):
        try:
            info = each.stat()
        except FileNotFoundError:
            continue
        problem = _file_problem(path, each, info)
        if problem is not None:
            return problem
    return None


def _file_problem(path: Path, each: Path, info: os.stat_result) -> str | None:
    """Why another user could write `each` (the store file, its -wal or its -shm), as
    one line with advice; None when nobody else can. As sshd's StrictModes for
    authorized_keys: owned by root or us, writable by neither group nor others (an ACL
    entry that grants a write shows as g+w through the mask; the refusal names whom the
    entry names). The file is ours: the advice is to chown or chmod it, or to remove the
    ACL entry."""
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IWOTH:
        return (
            f"{path}: refusing a store that every user may write ({each}, mode "
            f"{mode:04o}): anybody could ban or lift bans; chmod o-w {each}"
        )
    if info.st_uid not in (0, os.geteuid()):
        return (
            f"{path}: refusing a store file another user owns ({each}, owner "
            f"{_user(info.st_uid)}): they could ban or lift bans; chown "
            f"{_user_name(os.geteuid())} {each}"
        )
    if mode & stat.S_IWGRP:
        granted = _acl_grants(each, info)
        if granted is not None:
            whom, advice = granted
            return (
                f"{path}: refusing a store file its ACL lets {whom} write ({each}): they "
                f"could ban or lift bans; {advice}"
            )
        return (
            f"{path}: refusing a store file its group may write ({each}, mode {mode:04o}, "
            f"group {_group(info.st_gid)}): any member could ban or lift bans; "
            f"chmod g-w {each}"
        )
    return None


def _acl_grants(place: Path, info: os.stat_result) -> tuple[str, str] | None:
    """Who an ACL entry of `place` lets write it, and the command that stops them; None
    when no ACL names another user or group that may (the mode's g+w is then its group).
    The refusal stays the mode's: this only says it as it is. With the owning group
    writing too, ``chmod g-w`` (which lowers the mask) stops every entry at once."""
    writers = acl_writers(place)
    if writers is None:
        return None
    harmless = (0, os.geteuid())  # users who may write the store anyway; no group is
    others = tuple(
        each for each in writers.named if not (each.kind == "user" and each.id in harmless)
    )
    if not others:
        return None
    if writers.group:
        whom = f"{described(others)} and its group {_group(info.st_gid)}"
        return whom, f"chmod g-w {place}"
    return described(others), removal(others, place)


def _real(path: Path) -> Path:
    """The file SQLite opens for `path`: it follows a symlinked store to its target and
    keeps the -wal and -shm beside that, not beside the link."""
    return Path(os.path.realpath(path))


def _journal(real: Path) -> tuple[Path, Path]:
    """The -wal and -shm of the store file at `real` (a path with no symlink)."""
    return Path(f"{real}-wal"), Path(f"{real}-shm")


def symlinks_on_the_way(path: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Each symlink the system follows on the way to `path`, as lstat() sees it: those
    the path names and those their targets name. A loop raises ELOOP, as open() would."""
    pending = list(Path(os.path.abspath(path)).parts[1:])
    here, hops = Path("/"), 0
    while pending:
        name = pending.pop(0)
        if name in (".", ".."):
            here = here.parent if name == ".." else here
            continue
        step = here / name
        try:
            info = os.lstat(step)
        except (FileNotFoundError, NotADirectoryError):
            return  # the rest does not exist yet: we create it
        if not stat.S_ISLNK(info.st_mode):
            here = step
            continue
        yield step, info
        hops += 1
        if hops > 40:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
        target = Path(os.readlink(step))
        if target.is_absolute():
            here = Path("/")
        pending[:0] = [part for part in target.parts if part != "/"]


def _foreign_link(path: Path) -> str | None:
    """Why a symlink on the way to the store lets another user choose the store, or None.
    The owner of a link in a sticky folder (/tmp) may delete it and make another that
    leads elsewhere, and stat() sees only where it leads now: so a link owned by anyone
    but root or us is refused wherever it is."""
    for link, info in symlinks_on_the_way(path):
        if info.st_uid not in (0, os.geteuid()):
            return (
                f"{path}: refusing a store reached through a symlink another user owns "
                f"({link}, owner {_user(info.st_uid)}): they could point it at another "
                f"store; move the store to a folder only root may write, such as "
                f"{SERVICE_FOLDER}, and name that path"
            )
    return None


def holders(path: Path) -> list[Path]:
    """The folders whose writers could replace what `path` leads to: the one that holds
    it as its symlinks resolve and each one above it, its own first and / last; then
    the one that holds each symlink on the way (an intermediate link's too: whoever may
    replace a link chooses where it leads) and each one above that. Each is named as
    it is, with no symlink on its way: a link to a folder is not the folder, and does
    not own it. A loop (ELOOP) adds no link's folder: opening the path says so."""
    resolved = Path(os.path.realpath(path)).parent
    folders = [resolved, *resolved.parents]
    try:
        links = [link for link, _ in symlinks_on_the_way(path)]
    except OSError:
        links = []
    for link in links:
        folders += [each for each in (link.parent, *link.parent.parents) if each not in folders]
    return folders


def _unsafe_folder(path: Path) -> str | None:
    """Why another user could replace the store through one of its folders, or None."""
    own = {Path(os.path.abspath(path)).parent, Path(os.path.realpath(path)).parent}
    for folder in holders(path):
        try:
            info = folder.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue  # created by us, 0700
        problem = _folder_problem(path, folder, info, folder in own)
        if problem is not None:
            return problem
    return None


def _folder_problem(path: Path, folder: Path, info: os.stat_result, own: bool) -> str | None:
    """Why `folder` (the store's `own` folder or one above it) lets another user replace
    the store, as one line with advice; None when it does not."""
    mode = stat.S_IMODE(info.st_mode)
    sticky = bool(mode & stat.S_ISVTX)
    if own and mode & stat.S_IWOTH:
        return _shared_folder(path, folder, mode)
    if info.st_uid not in (0, os.geteuid()):
        return (
            f"{path}: refusing a store {_where(own)} a folder another user owns ({folder}, "
            f"owner {_user(info.st_uid)}): they could replace the store; move it to a "
            f"folder only root may write, such as {SERVICE_FOLDER}"
        )
    if sticky and not own:
        return None  # /tmp above the store: nobody may rename or delete what we own there
    if mode & stat.S_IWOTH:
        return (
            f"{path}: refusing a store under a folder that every user may write "
            f"({folder}, mode {mode:04o}): anybody could replace the folders below it; "
            f"move it, or chmod o-w {folder}"
        )
    if mode & stat.S_IWGRP:
        advice = f"move it to a folder only root may write, such as {SERVICE_FOLDER}"
        granted = _acl_grants(folder, info)
        if granted is not None:
            whom, fix = granted
            return (
                f"{path}: refusing a store {_where(own)} a folder its ACL lets {whom} write "
                f"({folder}): they could replace the store; "
                f"{advice if sticky else 'move it, or ' + fix}"
            )
        if not sticky:
            advice = f"move it, or chmod g-w {folder}"
        return (
            f"{path}: refusing a store {_where(own)} a folder its group may write "
            f"({folder}, mode {mode:04o}, group {_group(info.st_gid)}): any member could "
            f"replace the store; {advice}"
        )
    return None


def _where(own: bool) -> str:
    return "in" if own else "under"


def _user(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _user_name(uid: int) -> str:
    """How chown names the user `uid`."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return f"{grp.getgrgid(gid).gr_name} (gid {gid})"
    except KeyError:
        return f"gid {gid}"


def _shared_folder(path: Path, folder: Path, mode: int) -> str:
    """The refusal of a folder every user may write.

    The sticky bit (/tmp, mode 1777) stops other users from deleting or renaming our
    files, not from creating a name that does not exist yet: the store before its first
    start, and its -wal and -shm, which SQLite deletes when the last connection closes
    and creates again at the next open. A file another user created there is theirs to
    write, and SQLite replays a -wal it finds: a user who plants one rewrites the bans.
    So a sticky folder is refused too; and never with "chmod o-w" (on /tmp that breaks
    every program sharing it). Under systemd (PrivateTmp) the daemon's /tmp is not the
    one ``mailwarden ban`` sees either."""
    refused = (
        f"{path}: refusing a store in a folder that every user may write "
        f"({folder}, mode {mode:04o})"
    )
    if mode & stat.S_ISVTX:
        return (
            f"{refused}: the sticky bit does not stop anybody from creating the store or "
            f"its -wal and -shm journal there before mailwarden does, and writing them; "
            f"move it to a folder only root may write, such as {SERVICE_FOLDER}"
        )
    return f"{refused}: anybody could replace it; move it, or chmod o-w {folder}"


def _run(db: sqlite3.Connection, script: str) -> None:
    """The statements of `script`, one by one, in the caller's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _version_problem(path: Path, version: int) -> str | None:
    """Why a schema version rules the file out, or None."""
    if version > SCHEMA_VERSION:
        return (
            f"{path}: written by a newer mailwarden (schema {version}, "
            f"this one knows {SCHEMA_VERSION})"
        )
    if version < 0:
        return f"{path}: not a mailwarden store (schema {version})"
    return None


def _foreign(path: Path) -> StoreUnusable:
    return StoreUnusable(
        f"{path}: not a mailwarden store: an SQLite database with tables of something else"
    )


def probe(path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> bool:
    """Check the store at `path` as `SqliteStore` opens it, creating and changing
    nothing: True when it exists, False when opening would create it. Raises what
    opening would raise (`StoreUnusable` for what a person must fix), a table the
    daemon reads that is missing included.

    Opening the store itself would change it: a connection that may write checkpoints
    a -wal that a killed daemon left into the database when it closes, and deletes the
    -wal and -shm; a read-only one creates both and leaves them (see `_reading`)."""
    target = Path(path)
    blocked = not_a_folder(target)
    if blocked is not None:
        raise StoreUnusable(blocked)
    try:
        problem = unsafe_mode(target)
        if problem is None and not _exists(target):
            return False
    except OSError as exc:
        raise StoreUnusable(unreachable(target, exc)) from exc
    if problem is not None:
        raise StoreUnusable(problem)
    try:
        with _reading(target) as uri:
            _check_file(target, uri, busy_timeout)
    except OSError as exc:
        why = exc.strerror or exc
        raise StoreError(f"{target}: cannot open the state database: {why}") from exc
    return True


NO_STORE_YET = "no store yet (the daemon creates it when it starts)"


def blank(path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> bool:
    """Whether the file at `path` holds no store: empty (``: > store.db``), or a
    database without a table or a version (what `SqliteStore` would fill with its
    tables). Read as `probe` reads it, changing nothing; an unreadable file raises what
    opening it would, and one that is not a database is no blank."""
    target = Path(path)
    try:
        if os.stat(target).st_size == 0:
            return True
    except OSError as exc:
        raise StoreUnusable(unreachable(target, exc)) from exc
    try:
        with _reading(target) as uri:
            try:
                db = sqlite3.connect(uri, uri=True, timeout=busy_timeout)
            except sqlite3.Error as exc:
                raise StoreError(f"{target}: cannot open the state database: {exc}") from exc
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.Error:
                return False  # not a database of ours: opening says what it is
            finally:
                db.close()
    except OSError as exc:
        why = exc.strerror or exc
        raise StoreError(f"{target}: cannot open the state database: {why}") from exc
    return bool(version == 0 and tables == 0)


def _exists(path: Path) -> bool:
    """Whether `path` names a file; an error other than "no such file" (a symlink loop,
    a folder we may not search) is raised, not taken for a store that is not there."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def not_a_folder(path: Path | str) -> str | None:
    """Why the store at `path` can be neither there nor created: the nearest of its
    folders that exists is no folder (``/var/lib/mailwarden`` a file); else None.
    ``/srv/afile/state.db: /srv/afile is not a directory``."""
    folder = Path(os.path.abspath(path)).parent
    while True:
        try:
            info = os.stat(folder)
        except (FileNotFoundError, NotADirectoryError):
            if folder == folder.parent:
                return None
            folder = folder.parent
            continue
        except OSError:
            return None  # a loop, a folder we may not search: said where it is opened
        if stat.S_ISDIR(info.st_mode):
            return None
        return f"{path}: {folder} is not a directory"


def unreachable(path: Path | str, exc: OSError) -> str:
    """One line for a store whose path cannot be followed or looked at (a symlink loop,
    a folder we may not search): the path, the part that failed when it is another, and
    the system's reason, never a traceback."""
    why = exc.strerror or str(exc)
    failed = os.fsdecode(exc.filename) if exc.filename is not None else str(path)
    if failed != str(path):
        return f"{path}: {failed}: {why}"
    return f"{path}: {why}"


_DEAD_MAN_SWITCH = 128
"""The byte of the -shm file that every SQLite connection to a WAL database holds a
read lock on for as long as it is open (SQLite's unix VFS, ``UNIX_SHM_DMS``)."""

_FLOCK = "hhxxxxqqixxxx"
"""``struct flock`` (Linux, 64-bit ``off_t``): type, whence, start, length, pid."""


def _held(path: Path) -> bool:
    """Whether a process has the store at `path` open (the daemon, ``mailwarden ban``),
    this one included (an open file description's lock query sees every lock). No -shm:
    nobody. True when it cannot be told: the store is then read as a reader reads it."""
    try:
        fd = os.open(_journal(_real(path))[1], os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        asked = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, _DEAD_MAN_SWITCH, 1, 0)
        answer = fcntl.fcntl(fd, getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK), asked)
        return bool(struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK)
    except OSError:
        return True
    finally:
        os.close(fd)


@contextmanager
def _reading(path: Path) -> Iterator[str]:
    """A URI that reads the store at `path` as the daemon would find it, and leaves it
    as it is. While a process holds the store, the store read-only, as any reader
    (``mailwarden status``) reads it: its -wal and -shm are that process's and stay.
    When none does and there is no -wal, the file itself, as immutable: nothing is
    created beside it and nothing is copied. When a -wal is there (what a killed daemon
    committed last), a private copy of the file and of its -wal in $TMPDIR: SQLite
    replays that journal into the copy, not into the store, and no -wal or -shm appears
    next to the store; a copy that does not fit raises `NoScratchRoom`."""
    real = _real(path)
    if _held(real):
        yield f"{real.as_uri()}?mode=ro"
        return
    wal = _journal(real)[0]
    if not _exists(wal):
        yield f"{real.as_uri()}?mode=ro&immutable=1"
        return
    scratch = tempfile.gettempdir()
    try:
        folder = tempfile.mkdtemp(prefix="mailwarden-check-")
    except OSError as exc:
        raise NoScratchRoom(_no_scratch(path, scratch, exc)) from exc
    try:
        copy = Path(folder) / "store.db"
        for source, target in ((real, copy), (wal, Path(f"{copy}-wal"))):
            try:
                shutil.copyfile(source, target)
            except FileNotFoundError:
                if source == real:
                    raise
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                raise NoScratchRoom(_no_scratch(path, scratch, exc)) from exc
        yield f"{copy.as_uri()}?mode=rw"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _lock_holder(fd: int) -> str:
    """The holder of a store's lock file as the refusal names it: the pid it wrote."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "a process that wrote no pid yet"


class NoScratchRoom(StoreError):
    """`probe` could not make its private copy of the store: this host's temporary
    folder is full or missing, the store itself may well be fine."""


def _no_scratch(path: Path, scratch: str, exc: OSError) -> str:
    why = exc.strerror or exc
    return (
        f"{path}: cannot check the store: no room for a private copy in the temporary "
        f"folder {scratch} ({why}); that is this host's temporary folder, not the store: "
        f"free space there or set TMPDIR to a larger folder, and check again"
    )


def _check_file(target: Path, uri: str, busy_timeout: float) -> None:
    """Read the database at `uri` as `SqliteStore` does when it opens `target`, and
    raise what it would raise, naming `target`."""
    try:
        db = sqlite3.connect(uri, uri=True, timeout=busy_timeout)
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: cannot open the state database: {exc}") from exc
    db.text_factory = _decode
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        for statement in TABLES_OF_VERSION.get(version, ()):
            db.execute(statement).fetchall()
    except sqlite3.Error as exc:
        if type(exc) is sqlite3.DatabaseError or str(exc).startswith(("no such ", "malformed")):
            raise damaged_store(str(target), exc) from exc
        raise StoreError(f"{target}: cannot read: {exc}") from exc
    finally:
        db.close()
    problem = _version_problem(target, version)
    if problem is not None:
        raise StoreUnusable(problem)
    if version == 0 and tables:
        raise _foreign(target)


class SqliteStore(Store):
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "NORMAL",
        busy_timeout: float = 10.0,
        read_only: bool = False,
    ) -> None:
        """`read_only`: read the store as it is (`_reading`), writing nothing into it,
        not even its tables (`StoreError` when it has none); one that needs bringing
        up to date is opened as the daemon opens it, read-write."""
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise StoreError(
                f"sqlite store: synchronous must be NORMAL, FULL or EXTRA: {synchronous}"
            )
        self.path = Path(path)
        super().__init__(str(self.path))
        self._lock = threading.Lock()
        self._bumped: tuple[int, int] | None = None
        """The revision the transaction under way wrote (see `wrote_revision`)."""
        self._scratch = ExitStack()
        self._claim: int | None = None
        """The lock file `claim` holds locked, while this daemon runs."""
        self._busy_timeout = busy_timeout
        if read_only and self._open_read_only(busy_timeout):
            return
        try:
            self._create_file()
            self._db = sqlite3.connect(
                self.path,
                timeout=busy_timeout,  # sqlite's busy_timeout: wait for the other writer
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the state database: {exc}") from exc
        self._db.text_factory = _decode  # a damaged text reads with U+FFFD, not an error
        try:
            self._refuse_foreign()
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreUnusable(f"{self.path}: cannot use WAL journal mode (got {mode})")
            # A pragma takes no bound parameter; the value is one of three checked words.
            self._db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except (sqlite3.Error, StoreError) as exc:
            self._db.close()
            if isinstance(exc, StoreError):
                raise
            raise self._error("cannot open the state database", exc) from exc

    def patience(self, seconds: float | None) -> None:
        wait = self._busy_timeout if seconds is None else seconds
        with self._lock:
            # A pragma takes no bound parameter: a whole number of milliseconds.
            self._db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")

    # -- opening ------------------------------------------------------------------------

    def _open_read_only(self, busy_timeout: float) -> bool:
        """Open the store read-only; False (nothing kept open) when its schema is older
        and it must be opened read-write to be brought up to date."""
        self._check_mode()
        try:
            uri = self._scratch.enter_context(_reading(self.path))
            self._db = sqlite3.connect(
                uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            self._scratch.close()
            why = exc.strerror or exc if isinstance(exc, OSError) else exc
            raise StoreError(f"{self.path}: cannot open the state database: {why}") from exc
        self._db.text_factory = _decode
        try:
            self._refuse_foreign()
            version = self._read("PRAGMA user_version")[0][0]
            if version == 0:
                raise StoreError(f"{self.path}: {NO_STORE_YET}")
        except BaseException:
            self._db.close()
            self._scratch.close()
            raise
        if version == SCHEMA_VERSION:
            return True
        self._db.close()
        self._scratch.close()
        return False

    def _create_file(self) -> None:
        """Check the folders, create the missing ones (each 0700) and the file (0600).
        Checked again once the folders exist: mkdir does not take a folder another user
        made in between, and the second check names one made before it."""
        self._check_mode()
        blocked = not_a_folder(self.path)
        if blocked is not None:
            raise StoreUnusable(blocked)
        missing: list[Path] = []
        folder = self.path.absolute().parent
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for each in reversed(missing):
            each.mkdir(mode=0o700)
        self._check_mode()
        if not self.path.exists():
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)

    def _check_mode(self) -> None:
        """Refuse a store that every user of this host may write: anybody could ban
        (this host's administrator) or lift a ban, or replace the file."""
        problem = unsafe_mode(self.path)
        if problem is not None:
            raise StoreUnusable(problem)

    def _refuse_foreign(self) -> None:
        """Refuse a file of another program, or of a newer mailwarden, before anything
        is written: switching it to WAL would change another program's database. And a
        store of ours without a table the daemon reads (dropped, restored in part): it
        is damaged, and refused now rather than at the first read of that table."""
        version = self._read("PRAGMA user_version")[0][0]
        self._check_version(version)
        if version == 0 and self._read("SELECT count(*) FROM sqlite_master")[0][0]:
            raise _foreign(self.path)
        for statement in TABLES_OF_VERSION.get(version, ()):
            self._read(statement)

    def _migrate(self) -> None:
        # Read first, without the write lock: opening a store that is up to date (what
        # `mailwarden status` does) never waits for a writer.
        version = self._read("PRAGMA user_version")[0][0]
        self._check_version(version)
        if version == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            self._check_version(version)
            if version == 0:
                if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise _foreign(self.path)
                _run(db, SCHEMA)
            else:
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    _run(db, MIGRATIONS[step])
            # A pragma takes no bound parameter; the value is our own constant.
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_version(self, version: int) -> None:
        problem = _version_problem(self.path, version)
        if problem is not None:
            raise StoreUnusable(problem)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, with the write lock taken up front."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot write: {exc}") from exc
            self._bumped = None
            try:
                yield self._db
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise self._error("cannot write", exc) from exc
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error("cannot write", exc) from exc
            if self._bumped is not None:
                self.wrote_revision(*self._bumped)

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite rolls back by itself after some errors
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error("cannot read", exc) from exc

    def _error(self, doing: str, exc: sqlite3.Error) -> StoreError:
        """One line for a failed statement: a file that is not (or no longer) our
        database says so; a busy or full one says what it could not do."""
        text = str(exc)
        if type(exc) is sqlite3.DatabaseError or text.startswith(("no such ", "malformed")):
            return self.damaged(text)
        return StoreError(f"{self.path}: {doing}: {text}")

    def _bump(self, db: sqlite3.Connection, ids: Iterable[int]) -> None:
        """Move the revision on, and mark the ban rows `ids` as changed at the new one
        (`changed_bans`). Call it after the transaction's other changes to the bans."""
        # Noted as this object's own change once the transaction commits (see `_write`;
        # BEGIN IMMEDIATE holds the write lock, so nobody moves it in between).
        found = db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchall()
        before = found[0][0] if found else None
        # A damaged revision (text, negative, near overflow) or a lost one is good again.
        bumped = db.execute(
            "UPDATE meta SET value = CASE WHEN typeof(value) = 'integer' AND value >= 0"
            " AND value < ? THEN value + 1 ELSE 1 END WHERE key = 'revision'"
            " RETURNING value",
            (stored.REVISION_LIMIT,),
        ).fetchall()
        if bumped:
            after = bumped[0][0]
            if type(before) is int and before + 1 == after:
                self._bumped = (before, after)
        else:
            after = 1
            db.execute("INSERT INTO meta (key, value) VALUES ('revision', 1)")
        # Rows stamped past the revision now written (it started again from 1, or went
        # back) would be found by every `changed_bans` from here on: stamp them 0. A
        # reader whose revision went back reads every ban anyway.
        # (max() reads the end of the index; a damaged stamp, text, sorts after any.)
        ahead = db.execute("SELECT max(changed) FROM bans").fetchone()
        if (
            ahead is not None
            and ahead[0] is not None
            and not (type(ahead[0]) is int and ahead[0] < after)
        ):
            db.execute(UNSTAMP_AHEAD, (after,))
        db.executemany(STAMP_CHANGED, [(after, id_) for id_ in ids])

    # -- bans -----------------------------------------------------------------------------

    def _record(
        self,
        entry: BanEntry,
        evidence: str,
        source: Source | str,
        now: datetime | None,
        *,
        join: bool,
        ends: Callable[[int], datetime] | None = None,
        replace_reason: bool = False,
    ) -> tuple[BanRow, bool]:
        """`record_ban`, or with `join` `record_offence`: one transaction either way."""
        source = Source(source)
        since = _seconds(now)
        until = _seconds(entry.expires)
        if until <= since:
            raise StoreError(f"a ban of {entry.network} that ends before it starts")
        reason, evidence = storable(entry.reason), storable(evidence)
        network = str(entry.network)
        with self._write() as db:
            old = db.execute(
                "SELECT id, until, offences, source FROM bans"
                " WHERE network = ? AND state = 'active'",
                (network,),
            ).fetchone()
            old_until = None
            if old is not None:
                found = stored.good_until(old[1])  # a damaged one does not count
                old_until = None if found is None else _seconds(found)
            if join and old is not None and old_until is not None and old_until > since:
                # In force: the same incident. Lengthened in place when ours ends later
                # (as long as its own offence's ban), no offence counted; its reason
                # kept unless ours replaces it.
                if ends is not None:
                    until = _seconds(ends(old[2] if type(old[2]) is int and old[2] > 0 else 1))
                # An admin's ban makes the one in force manual (never the other way).
                manual = source is Source.MANUAL and old[3] != Source.MANUAL.value
                if until > old_until or replace_reason or manual:
                    db.execute(
                        "UPDATE bans SET until = ?, reason = coalesce(?, reason),"
                        " source = coalesce(?, source) WHERE id = ?",
                        (
                            max(until, old_until),
                            reason if replace_reason else None,
                            Source.MANUAL.value if manual else None,
                            old[0],
                        ),
                    )
                    self._bump(db, [old[0]])
                row = db.execute(SELECT_BY_ID, (old[0],)).fetchone()
                return stored.recorded(self, row), False
            count = db.execute("SELECT count(*) FROM bans WHERE network = ?", (network,))
            offences = count.fetchone()[0] + 1
            if ends is not None:
                until = max(since + 1, _seconds(ends(offences)))
            if old is not None:
                if old_until is not None:
                    until = max(until, old_until)
                db.execute(
                    "UPDATE bans SET state = 'superseded', ended = ?, end_reason = ? WHERE id = ?",
                    (since, "banned again", old[0]),
                )
            cursor = db.execute(
                "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (network, since, until, reason, evidence, source.value, offences),
            )
            new_id = cursor.lastrowid
            assert new_id is not None  # an INSERT into a rowid table sets it
            self._bump(db, [new_id] if old is None else [old[0], new_id])
            row = db.execute(SELECT_BY_ID, (new_id,)).fetchone()
            return stored.recorded(self, row), True

    def extend_ban(
        self,
        network: IPNetwork,
        until: datetime,
        reason: str | None = None,
        now: datetime | None = None,
        source: Source | str | None = None,
    ) -> BanRow | None:
        moment, end = _seconds(now), _seconds(until)
        made = None if source is None else Source(source).value
        with self._write() as db:
            old = db.execute(
                "SELECT id, until FROM bans WHERE network = ? AND state = 'active'",
                (str(network),),
            ).fetchone()
            old_until = stored.good_until(old[1]) if old is not None else None
            if old is None or old_until is None or _seconds(old_until) <= moment:
                return None  # none in force (a damaged end is superseded by a new ban)
            db.execute(
                "UPDATE bans SET until = ?, reason = coalesce(?, reason),"
                " source = coalesce(?, source) WHERE id = ?",
                (max(end, _seconds(old_until)), _storable_or_none(reason), made, old[0]),
            )
            self._bump(db, [old[0]])
            return stored.recorded(self, db.execute(SELECT_BY_ID, (old[0],)).fetchone())

    def lift_ban(self, network: IPNetwork, reason: str, now: datetime | None = None) -> bool:
        with self._write() as db:
            lifted = db.execute(
                "UPDATE bans SET state = 'lifted', ended = ?, end_reason = ?"
                " WHERE network = ? AND state = 'active' RETURNING id",
                (_seconds(now), storable(reason), str(network)),
            ).fetchall()
            if lifted:
                self._bump(db, [row[0] for row in lifted])
            return bool(lifted)

    def lifted(self, since: datetime) -> list[BanRow]:
        return stored.bans(self, self._read(SELECT_LIFTED, (_seconds(since),)))

    def active_bans(self, now: datetime | None = None) -> list[BanRow]:
        return stored.bans(self, self._read(SELECT_ACTIVE, (_seconds(now),)))

    def covering_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        wider = [str(w) for w in wider_networks(network)]
        if not wider:
            return []
        # One exact network each: the partial unique index of the active bans.
        marks = ", ".join("?" * len(wider))
        query = f"{SELECT_ACTIVE_PREFIX} AND network IN ({marks}) ORDER BY id"
        return stored.bans(self, self._read(query, (_seconds(now), *wider)))

    def inside_bans(self, network: IPNetwork, now: datetime | None = None) -> list[BanRow]:
        if network.prefixlen == network.max_prefixlen:
            return []
        span = _text_span(network)
        if span is None:
            rows = stored.bans(self, self._read(SELECT_ACTIVE, (_seconds(now),)))
        else:  # the rows whose text can hold it, by the index
            query = f"{SELECT_ACTIVE_PREFIX} AND network >= ? AND network < ? ORDER BY id"
            rows = stored.bans(self, self._read(query, (_seconds(now), *span)))
        return [row for row in rows if narrower(row.network, network)]

    def changed_bans(self, after: int, now: datetime | None = None) -> BanChanges:
        return stored.changes(self, self._read(SELECT_CHANGED, (_seconds(now), after)))

    def expire(self, now: datetime | None = None) -> list[IPNetwork]:
        moment = _seconds(now)
        with self._write() as db:
            rows = db.execute(
                "UPDATE bans SET state = 'expired', ended = until, end_reason = 'expired'"
                " WHERE state = 'active' AND until <= ? RETURNING id, network",
                (moment,),
            ).fetchall()
            if rows:
                self._bump(db, [row[0] for row in rows])
        return stored.networks(self, rows)

    def offences(self, network: IPNetwork, since: datetime | None = None) -> int:
        start = _seconds(since) if since is not None else 0
        rows = self._read(
            "SELECT count(*) FROM bans WHERE network = ? AND since >= ?", (str(network), start)
        )
        return int(rows[0][0])

    def history(self, limit: int = 100, network: IPNetwork | None = None) -> list[BanRow]:
        if network is None:
            rows = self._read(SELECT_LATEST, (limit,))
        else:
            rows = self._read(SELECT_LATEST_OF, (str(network), limit))
        return stored.bans(self, rows)

    def lasting_bans(self, network: IPNetwork, start: datetime, end: datetime) -> list[BanRow]:
        networks = [str(n) for n in (network, *wider_networks(network))]
        marks = ", ".join("?" * len(networks))
        query = (
            f"{SELECT_BANS} WHERE network IN ({marks}) AND coalesce(ended, until) >= ?"
            " AND (network = ? OR since <= ?)"
        )
        bound = (_seconds(start), networks[0], _seconds(end))
        rows = stored.bans(self, self._read(query, (*networks, *bound)))
        return sorted(rows, key=lambda row: row.id, reverse=True)

    def prune(self, before: datetime) -> int:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM bans WHERE state != 'active' AND ended < ?", (_seconds(before),)
            )
            return cursor.rowcount

    # -- owners' logins -------------------------------------------------------------------

    def remember_owners(self, logins: Iterable[tuple[IPNetwork, str, datetime]]) -> None:
        rows = sorted(
            {(str(net), storable(account), _seconds(when)) for net, account, when in logins}
        )
        if not rows:
            return
        with self._write() as db:
            db.executemany(
                "INSERT INTO owners (network, account, last) VALUES (?, ?, ?)"
                " ON CONFLICT (network, account) DO UPDATE SET last = max(last, excluded.last)",
                rows,
            )
            for network in sorted({row[0] for row in rows}):
                db.execute(
                    "DELETE FROM owners WHERE network = ? AND account NOT IN (SELECT account"
                    " FROM owners WHERE network = ? ORDER BY last DESC LIMIT ?)",
                    (network, network, MAX_OWNER_ACCOUNTS),
                )

    def owners(self, since: datetime, limit: int) -> list[OwnerRow]:
        rows = self._read(
            "SELECT network, account, last FROM (SELECT network, account, last FROM owners"
            " WHERE last >= ? ORDER BY last DESC LIMIT ?) ORDER BY last",
            (_seconds(since), limit),
        )
        return stored.owners(self, rows)

    def forget_owners(self, before: datetime, keep: int) -> int:
        with self._write() as db:
            old = db.execute("DELETE FROM owners WHERE last < ?", (_seconds(before),)).rowcount
            more = db.execute(
                "DELETE FROM owners WHERE rowid IN (SELECT rowid FROM owners"
                " ORDER BY last DESC LIMIT -1 OFFSET ?)",
                (max(0, keep),),
            ).rowcount
        return old + more

    # -- positions and revision ---------------------------------------------------------

    def get_position(self, key: str) -> JSONValue:
        return stored.one_position(
            self, key, self._read("SELECT value FROM positions WHERE key = ?", (key,))
        )

    def set_position(self, key: str, value: JSONValue) -> None:
        text = stored.position_text(value)
        with self._write() as db:
            db.execute(
                "INSERT INTO positions (key, value, updated) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated = excluded.updated",
                (key, text, _seconds(None)),
            )

    def positions(self) -> dict[str, JSONValue]:
        return stored.positions(self, self._read("SELECT key, value FROM positions ORDER BY key"))

    def revision(self) -> int:
        return stored.current_revision(
            self, self._read("SELECT value FROM meta WHERE key = 'revision'")
        )

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds nothing wrong with the file."""
        return str(self._read("PRAGMA integrity_check")[0][0])

    # -- one daemon per store -------------------------------------------------------------

    def _claim_file(self) -> Path:
        """The lock file of `claim`: beside the file a symlinked store leads to, so two
        paths to one store are one claim."""
        return Path(f"{_real(self.path)}.lock")

    def claim(self, host: str | None) -> None:
        """An exclusive ``flock`` of ``STORE.lock`` (mode 0600, beside the store), held
        until `close`; the kernel drops it when the process ends, however it ends. The
        file keeps the holder's pid, for the refusal to name."""
        if self._claim is not None:
            return
        try:
            fd = os.open(
                self._claim_file(),
                os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                0o600,
            )
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open {self._claim_file()}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _lock_holder(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise Claimed(holder) from None
            raise StoreError(f"{self.path}: cannot lock {self._claim_file()}: {exc}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._claim = fd

    def claimed(self, host: str | None) -> str | None:
        if self._claim is not None:
            return None
        try:
            fd = os.open(self._claim_file(), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return None  # no lock file: nobody ever claimed it (nothing is created)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return _lock_holder(fd)
            return None
        finally:
            os.close(fd)  # drops the shared lock taken for a look

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._scratch.close()
            if self._claim is not None:
                os.close(self._claim)
                self._claim = None
