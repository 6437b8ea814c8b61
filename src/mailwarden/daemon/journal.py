"""Following the systemd journal without blocking the main loop.

``journalctl -o json --follow`` runs as a child with an argument list (see
`mailwarden.sources.journal.journal_command`); its output pipe is non-blocking and read
whenever the loop polls, so the loop never waits on it. Each chunk carries the cursor
of its last entry: the daemon stores it and resumes with ``--after-cursor`` after a
restart; the first start goes on after the newest entry (`JournalFollower.newest`),
the entries before it being the warm-up's (`warmup`). If journalctl ends (it should
not), it is started again from the last cursor after `RESTART_DELAY` seconds, and the
log says so; when it ends having written nothing after that cursor, with an error
(``Failed to seek to cursor``: the journal was vacuumed, or the store came from another
machine), the cursor is dropped and journalctl follows the journal from the time of
that cursor's entry (``--since``; from its end when the cursor has no time), which the
log and ``status`` (``problems``) say once; else it would fail for ever, every 5 s.

The match is the mail facility (``SYSLOG_FACILITY=2``): Postfix and Dovecot both log
there on Debian, whichever unit runs them.

Only the mail system's own entries are acted on (`JournalTrust`). Any local user can
write ``logger -p mail.warn -t postfix/smtpd "warning: unknown[198.51.100.7]: SASL LOGIN
authentication failed"``: ``SYSLOG_IDENTIFIER``, ``MESSAGE`` and the facility are the
client's to choose. The fields whose names start with ``_`` are journald's, taken from
the kernel's credentials of the sender; a client cannot set them. An entry is trusted
when its ``_UID`` is root's or one of ``sources.journal_users`` (postfix, dovecot;
looked up once, a missing user left out) and its ``_TRANSPORT`` (when there) is syslog,
journal or stdout. Postfix's daemons run as root (master) or postfix (smtpd,
postscreen, anvil); Dovecot's children log through its ``log`` process (root). Not
dovenull: the pre-login processes that read untrusted clients run as it, and they log
through the log process anyway.

Decisions:
- ``_UID``, not ``_COMM`` or ``_EXE``: any user can name a process ``smtpd`` (a copy of
  logger, ``prctl(PR_SET_NAME)``) or run Postfix's own binaries under their own uid; the
  uid is the one thing they cannot choose. ``_COMM`` is only shown in the log.
- An entry without ``_UID`` (an export stripped of journald's fields, a kernel entry)
  is not trusted: the live journal always has it for a program's entries.
- A skipped entry is counted (``journal_untrusted`` in ``status``, and in
  ``skipped_lines``), said once in the log, and never framed; its cursor still moves on.
- Only the daemon filters: ``analyze --journal``, ``events`` and a JSON export given as
  a file ban nothing and read what the administrator chose (``--journal-match _UID=0``
  narrows the journal there).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pwd
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from mailwarden.daemon.decisions import clean
from mailwarden.errors import InputError
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.follow import READ_BUDGET
from mailwarden.sources.interface import Chunk, ReadStats
from mailwarden.sources.journal import (
    SOURCE,
    cursor_fields,
    journal_command,
    last_cursor,
    read_journal,
    stop_process,
)

LOG = logging.getLogger("mailwarden.journal")

MATCHES = ("SYSLOG_FACILITY=2",)
RESTART_DELAY = 5.0
_READ = 1 << 20
DEFAULT_USERS = ("postfix", "dovecot")
TRANSPORTS = frozenset({"syslog", "journal", "stdout"})
"""How a program's own entries reach journald (not ``kernel``, ``audit``, ``driver``)."""


class JournalTrust:
    """Which journal entries come from the mail system: written by root or one of the
    trusted users, as journald (not the writer) says. Counts what it refused."""

    def __init__(self, uids: Iterable[int], names: Sequence[str] = ()) -> None:
        self.uids = frozenset({0, *uids})
        self.names = tuple(names)
        """What the trusted uids were given as, for the log."""
        self.skipped = 0
        """Entries refused so far."""
        self.warned = False

    @classmethod
    def for_users(cls, users: Sequence[str]) -> JournalTrust:
        """Root and these users (names or numeric uids); a missing name is left out."""
        uids: list[int] = []
        names = ["root"]
        for user in users:
            if user.isascii() and user.isdigit():
                uids.append(int(user))
                names.append(f"uid {user}")
                continue
            try:
                uid = pwd.getpwnam(user).pw_uid
            except (KeyError, UnicodeError):
                LOG.debug("journal: no user %s on this host; not trusted", user)
                continue
            uids.append(uid)
            names.append(f"{user} ({uid})")
        return cls(uids, names)

    def refusal(self, entry: object) -> str | None:
        """None when the entry is the mail system's; else why not (for the log)."""
        if not isinstance(entry, dict):
            return "not a journal entry"
        uid = entry.get("_UID")
        if not isinstance(uid, str) or not (uid.isascii() and uid.isdigit()):
            return "journald did not record who wrote it (no _UID)"
        comm = entry.get("_COMM")
        named = [f"user {_user_name(int(uid))}"] if _user_name(int(uid)) else []
        named += [f"process {comm}"] if isinstance(comm, str) else []
        who = f"uid {uid}" + (f" ({', '.join(named)})" if named else "")
        if int(uid) not in self.uids:
            return f"written by {who}, which is not root nor one of sources.journal_users"
        transport = entry.get("_TRANSPORT")
        if transport is not None and transport not in TRANSPORTS:
            return f"written by {who} through {transport}"
        return None

    def adopt(self, old: JournalTrust) -> None:
        """Carry the count and the said-once state over a reload."""
        self.skipped += old.skipped
        self.warned = self.warned or old.warned


def _user_name(uid: int) -> str | None:
    """The name of the user `uid` on this host, for the log; None when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return None


class JournalFollower:
    """Entries appended to the journal, as chunks of JSON lines, with their cursor."""

    def __init__(
        self,
        cursor: str | None,
        stats: ReadStats,
        *,
        matches: Sequence[str] = MATCHES,
        journalctl: str = "journalctl",
        trust: JournalTrust | None = None,
    ) -> None:
        self.cursor = cursor
        self.stats = stats
        self.matches = tuple(matches)
        self.journalctl = journalctl
        self.trust = trust if trust is not None else JournalTrust.for_users(DEFAULT_USERS)
        self._proc: subprocess.Popen[bytes] | None = None
        self._splitter = LineSplitter(SOURCE, stats)
        self._restart_at = 0.0
        self.behind = False
        """journalctl had more to give at the last poll (a backlog): the poll spent
        `READ_BUDGET`, or emptied a full pipe (`_pipe_size`: journalctl, blocked on it,
        writes on)."""
        self._pipe_size = PIPE_SIZE
        self._since: datetime | None = None
        """Where journalctl starts when it has no cursor to go on from: after it
        refused the stored one (`_ended`), the time of the entry it named."""
        self._from_cursor: str | None = None
        """The cursor the running journalctl was started after (None: none)."""
        self._read_any = False
        """The running journalctl wrote something."""

    @property
    def down(self) -> bool:
        """journalctl is not running now (it ended: started again `RESTART_DELAY` later):
        what the journal gets meanwhile is read once it runs again."""
        return self._proc is None

    def newest(self) -> str | None:
        """The cursor of the newest entry of the match (None: none, or journalctl
        cannot tell): where a first start begins, as a file is read from its end."""
        try:
            return _oldest_of_newest(1, self.matches, self.journalctl)
        except InputError:
            return None

    def start(self) -> None:
        """Start journalctl; `InputError` when it cannot be run at all."""
        argv = journal_command(
            follow=True,
            after_cursor=self.cursor,
            since=self._since if self.cursor is None else None,
            matches=self.matches,
            journalctl=self.journalctl,
        )
        self._from_cursor, self._read_any = self.cursor, False
        try:
            # Its complaints (no permission to read the system journal) go to our stderr.
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        except OSError as exc:
            raise InputError(f"{self.journalctl}: cannot run: {exc.strerror}") from None
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdout.fileno(), False)
        self._pipe_size = _pipe_size(self._proc.stdout.fileno())
        self._splitter = LineSplitter(SOURCE, self.stats)
        self.stats.files += 1

    def poll(self) -> list[Chunk]:
        """What journalctl wrote since the last call (never blocks), at most
        `READ_BUDGET` bytes: a backlog (the journal since a cursor of days ago) comes in
        pieces, one a step, as the followed files' does, so memory stays small and a
        stop is noticed between two pieces; the rest waits in the pipe."""
        self.behind = False
        proc = self._proc
        if proc is None:
            if self._restart_at and time.monotonic() >= self._restart_at:
                self._restart_at = 0.0
                try:
                    self.start()
                except InputError as exc:
                    LOG.warning("journal: %s; trying again in %.0f s", exc, RESTART_DELAY)
                    self._restart_at = time.monotonic() + RESTART_DELAY
            return []
        assert proc.stdout is not None
        out: list[Chunk] = []
        budget = READ_BUDGET
        while budget > 0:
            try:
                data = os.read(proc.stdout.fileno(), min(_READ, budget))
            except BlockingIOError:
                break
            if not data:
                self._ended(proc)
                break
            budget -= len(data)
            self._read_any = True
            self.stats.bytes += len(data)
            chunk = self._splitter.feed(data)
            if chunk is not None:
                out.extend(self._trusted(chunk))
        self.behind = READ_BUDGET - budget >= self._pipe_size
        return out

    def _trusted(self, chunk: Chunk) -> list[Chunk]:
        """The runs of trusted entries in `chunk` (`trusted_runs`); the last carries the
        chunk's cursor, which moves past skipped entries too (an empty chunk carries it
        when nothing is left)."""
        cursor = last_cursor(chunk.data)
        if cursor is not None:
            self.cursor = cursor
        out = trusted_runs(chunk, self.trust, self._skip)
        out[-1] = out[-1]._replace(cursor=cursor)
        return out

    def _skip(self, entry: object, reason: str) -> None:
        trust = self.trust
        trust.skipped += 1
        self.stats.lines += 1
        if trust.warned:
            return
        trust.warned = True
        program = entry.get("SYSLOG_IDENTIFIER") if isinstance(entry, dict) else None
        LOG.warning(
            "journal: skipped an entry that says it is from %s: %s; only entries that "
            "journald records as written by %s are acted on (sources.journal_users). "
            "Skipped entries are counted in status (journal_untrusted), not logged again",
            clean(program) if isinstance(program, str) else "(no program)",
            clean(reason),
            ", ".join(trust.names),
        )

    def _ended(self, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        self._close_proc()
        self._restart_at = time.monotonic() + RESTART_DELAY
        how = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        refused = self._from_cursor
        if code > 0 and not self._read_any and refused is not None and refused == self.cursor:
            # It wrote nothing and failed: journalctl refuses this cursor ("Failed to
            # seek to cursor: Invalid argument": a journal rotated away or vacuumed, a
            # cursor of another machine's journal); starting it after it again would
            # fail for ever, every RESTART_DELAY, and the daemon read nothing.
            self.cursor = None
            self._since = cursor_time(refused)
            start = (
                f"from {self._since.strftime('%Y-%m-%dT%H:%M:%SZ')}, the time of the last "
                "entry read (entries of that second may be read twice)"
                if self._since is not None
                else "from its end (entries written meanwhile are not read)"
            )
            self.stats.problem(
                f"journal: journalctl ended ({how}) without reading anything after the stored "
                f"cursor {clean(refused, 80)}: it refuses that cursor (its stderr above says "
                f"why); following the journal again {start}, in {RESTART_DELAY:.0f} s"
            )
            return
        LOG.warning(
            "journal: journalctl ended (%s); restarting it from the last cursor in %.0f s",
            how,
            RESTART_DELAY,
        )

    def _close_proc(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc)

    def close(self) -> None:
        self._restart_at = 0.0
        self._close_proc()


PIPE_SIZE = 1 << 16
"""A pipe's capacity when the kernel does not say (Linux's default)."""


def _pipe_size(fd: int) -> int:
    """The capacity of the pipe ``fd`` reads (`PIPE_SIZE` when the kernel does not say);
    at most `READ_BUDGET`."""
    try:
        size = fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    except OSError:
        size = PIPE_SIZE
    return min(max(size, 1), READ_BUDGET)


def trusted_runs(
    chunk: Chunk, trust: JournalTrust, skip: Callable[[object, str], None]
) -> list[Chunk]:
    """The runs of entries of `chunk` that `trust` accepts, their line numbers and
    offsets kept (at least one chunk, empty when nothing is left); ``skip`` is told of
    each refused entry and why."""
    data, out = chunk.data, []
    start = pos = 0
    number = run_line = chunk.first_line
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        line = data[pos:end]
        if line.strip():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            reason = trust.refusal(entry)
            if reason is not None:
                if pos > start:
                    out.append(Chunk(chunk.source, data[start:pos], run_line, chunk.offset + start))
                skip(entry, reason)
                start, run_line = end, number + 1
        pos, number = end, number + 1
    if start < len(data) or not out:
        out.append(Chunk(chunk.source, data[start:], run_line, chunk.offset + start))
    return out


WARMUP_ENTRIES = 200_000
"""The most journal entries the warm-up reads (the last ones of its window)."""


def cursor_time(cursor: str) -> datetime | None:
    """When the entry a cursor points at was written: its ``t=`` field (microseconds
    since the epoch, in hex). None when the cursor has none (not journald's)."""
    try:
        micros = int(cursor_fields(cursor).get("t", ""), 16)
        return datetime.fromtimestamp(micros / 1_000_000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def warmup(
    cursor: str,
    window: timedelta,
    trust: JournalTrust,
    *,
    matches: Sequence[str] = MATCHES,
    journalctl: str = "journalctl",
    limit: int = WARMUP_ENTRIES,
) -> Iterator[Chunk]:
    """The mail system's entries of the ``window`` before the one at ``cursor``, that one
    included (the follower resumes after it), at most the last ``limit``: what the
    detector saw before a restart. Two runs of journalctl: the newest ``limit`` entries
    of the window, newest first and only their cursors, for the oldest of them; then
    every entry from that one on, in order. Entries any local user could have written
    are left out, without a word (the run that read them said so). Nothing when the
    cursor has no time, or journalctl cannot be run or fails (said by the follower,
    which runs it too)."""
    moment = cursor_time(cursor)
    if moment is None:
        return
    since, until = moment - window, moment + timedelta(seconds=1)
    try:
        oldest = _oldest_of_newest(limit, matches, journalctl, since, until)
        if oldest is None:
            return
        mark = json.dumps(cursor).encode()
        chunks = read_journal(
            ReadStats(), until=until, matches=matches, journalctl=journalctl, cursor=oldest
        )
        for chunk in chunks:
            at = chunk.data.find(mark)
            if at >= 0:  # the entry at the cursor: the end of what was read before
                end = chunk.data.find(b"\n", at)
                cut = len(chunk.data) if end < 0 else end + 1
                chunk = chunk._replace(data=chunk.data[:cut])
            yield from trusted_runs(chunk, trust, _ignore)
            if at >= 0:
                chunks.close()
                return
    except InputError:
        return


def _oldest_of_newest(
    count: int,
    matches: Sequence[str],
    journalctl: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str | None:
    """The cursor of the oldest of the newest ``count`` entries of the match (in the
    range; None: none). `InputError` when journalctl cannot be run."""
    oldest = None
    for chunk in read_journal(
        ReadStats(),
        since=since,
        until=until,
        matches=matches,
        journalctl=journalctl,
        newest_first=count,
    ):
        oldest = last_cursor(chunk.data) or oldest
    return oldest


def _ignore(entry: object, reason: str) -> None:
    """A refused entry of the warm-up: it was counted and said when first read."""
