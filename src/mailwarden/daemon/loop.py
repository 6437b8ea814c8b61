"""The daemon's main loop: one thread, one step every `TICK` seconds (at once when busy).

Each step:

1. reads what the sources appended (`reading.Reader.poll`), frames it, drops another
   input's copy of an entry (mail.log and syslog both hold every mail line on Debian:
   see `duplicates`), parses and feeds it to the detector; each ban is checked against
   the policy (never the allow list, loopback, this host's addresses), sent to the
   firewall in one batch per chunk read, then recorded in the store (this host's addresses
   are read again before a ban when the last reading is older than `OWN_FRESH`, so an
   address added a moment ago is never banned); what several inputs gave in one poll
   is fed in time order, PAM's own lines (auth.log) first within a second, in one
   batch (`Daemon._process_merged`); while an input has a backlog, the files' records
   later than the inputs with more to read wait for them, at most a piece each and
   `HOLD_MAX` seconds (`Daemon._process_level`); then the sources' positions are
   committed (a file's before the records that wait; after the bans they led to: a
   ``kill -9`` re-reads at most one poll, whose bans are already in the store and are
   then not recorded again);
2. polls the store's revision: a ``mailwarden ban``/``unban`` from another process is
   applied within one step (only the networks it changed are read back); an unban
   forgives the failures logged before it, not the ones after it (`Daemon._forgive`);
3. every second, checks that the firewall still has our table (``present``), and puts
   it back with every active ban when someone flushed or deleted it (nftables: also
   when ``nft flush set`` emptied one of its sets and left the table; ipset: when
   ``ipset flush`` or ``ipset del`` emptied a set, whole or in part); a check that
   takes long (nftables with tens of thousands of bans) runs less often, at most
   `PRESENT_SHARE` of the time, and a quick look that the table is still there and
   its sets not emptied, whole or in part (``gone``), every second in between; the
   bans put back are those the daemon holds (`applied`, kept in step with the store),
   not read again from the store;
4. every ten seconds, expires the bans whose time is up; every five, writes a
   heartbeat (``status`` shows it); every minute, lets the detector forget idle state
   and says so in the log when a flood made it forget clients, and judges what waited
   too long for a trailer login (by the log's time, or by the daemon's clock since the
   latest line was read when the log is silent, every source readable: a source that
   cannot be read now stops that clock, for `SILENCE_HOLD` at most); every five minutes,
   rewrites the firewall whole from the bans it holds, kept in step with the store (an
   element deleted by hand comes back, and ipset's 24.8-day timeout cap is renewed);
5. at every step, lets the enforcer finish a change it held back: postfix-map reloads
   Postfix at most every five seconds, so the reload of a ban written in between runs
   at the first step after that, and at the latest when the daemon stops.

SIGHUP reloads the configuration (a bad one is refused with one line and the running
one is kept; a policy that only adds to the allow list, or changes how long bans last,
goes to the running detector, with no warm-up (`_applies_live`); any other new policy
builds a new detector, warmed up from the lines before where reading stands, while the
sources read on, so a file renamed by a rotation a moment ago is still read for the
writer's last lines. That warm-up is read `WARM_SLICE` seconds at a time, one slice at
the end of each step (`_warm_slice`): the running detector goes on judging the new lines
meanwhile (bans, the firewall's repair, a stop: no blind window), and the events it
parsed from them are kept for the new detector, which is fed them after the earlier
lines (not parsing them again) and then takes over; a ban made meanwhile is not made
again (`_end_warm_up`). Past `WARM_KEEP_MAX` of new lines that give events the rest of
the warm-up is read at once, said in the log. New [sources] are read by a new
reader from the committed positions (that file's later lines are not), its warm-up
read at once in the loop (no ban meanwhile). SIGTERM and SIGINT stop cleanly
(positions committed, bans left in the firewall: the kernel expires them on time even
when the daemon is not running), also in the middle of a backlog: it is read in pieces
(see `reading`), one per step, and the warm-up at a start checks for a stop between its
pieces (a reload's ends with the step).
A bad log line is skipped and counted; a followed file that cannot be read is said once,
shown by ``status`` and tried again, at most a minute apart, while the other inputs go
on (see `mailwarden.sources.follow`); a failing firewall or store is logged once (again
when its error changes) and retried, neither stops the daemon: the store keeps the bans,
the firewall is rewritten from it after 1, 2, 4, ... seconds (at most a minute apart),
and ``status`` shows the firewall's error until then. A ban the store failed to record
goes into the firewall all the same, stays there until it ends (the store's changes,
repairs and rewrites keep it), and is recorded as of its time as soon as the store works
again (a stop while the store still fails says so: the next start lifts it). A store
that fails or hangs is waited for once (its timeout), then left alone for
`STORE_RETRY_EVERY` (`_StoreGuard`): no ban waits for it. A ban that
ended is said ``expired``, never ``lifted``. A ban that ended while the daemon
was stopped is lifted at the first step; a reload that puts a banned address on the
allow list lifts its ban at once, in the firewall and in the store (as ``unban`` does:
taking it off the allow list again does not bring the ban back); a banned network that
only contains an allowed address is kept out of the firewall, not lifted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, cast

from mailwarden import __version__
from mailwarden.config import Config, PolicyConfig
from mailwarden.daemon import decisions, places
from mailwarden.daemon.active import ActiveBans
from mailwarden.daemon.alerts import Alerter
from mailwarden.daemon.duplicates import CrossInputDuplicates
from mailwarden.daemon.journal import JournalTrust
from mailwarden.daemon.owners import FORGET_EVERY, OwnerLogins
from mailwarden.daemon.preflight import journal_instead, load, policy_warnings, preflight, where
from mailwarden.daemon.reading import WARMUP_BYTES, Reader, StateKeys
from mailwarden.daemon.recall import Recalled, recall
from mailwarden.daemon.status import HEARTBEAT_EVERY, other_daemon, pid_place
from mailwarden.daemon.wiring import (
    ban_policy,
    check_enforcer,
    describe,
    enforce_key,
    make_detector,
    make_enforcer,
)
from mailwarden.detect import Detection, Detector
from mailwarden.detect.analysis import Verdict
from mailwarden.detect.rules import DEFER_SECONDS
from mailwarden.enforce import (
    BanEntry,
    Enforcer,
    NotOursError,
    PermissionDeniedError,
    ToolMissingError,
)
from mailwarden.enforce.interface import BatchRefusedError, NoAnswerError, changes
from mailwarden.enforce.policy import BanPolicy, normalize, own_addresses
from mailwarden.errors import (
    ConfigError,
    EnforceError,
    MailwardenError,
    StoreError,
    StoreUnusable,
)
from mailwarden.framing import Framer
from mailwarden.model import Decision, Event, IPNetwork, Record
from mailwarden.parsers import parse
from mailwarden.scan import time_ordered
from mailwarden.sources.interface import Chunk, ReadStats
from mailwarden.sources.journal import SOURCE as JOURNAL_SOURCE
from mailwarden.store import BanRow, BanState, JSONValue, Source, Store, open_store
from mailwarden.store.interface import Claimed

LOG = logging.getLogger("mailwarden.daemon")

_BANNED_ALREADY = " (banned already in the store, by another host or by hand: not a new offence)"

TICK = 0.05

PRESENT_EVERY = 1.0
PRESENT_SHARE = 0.1
"""The check that the firewall still holds our table runs every `PRESENT_EVERY`, but
less often when it takes long, so that it keeps at most this share of the time: nft
1.0 loads the whole set at each run (about 0.2 s with 30,000 bans), and with 100,000
bans a check every second would run back to back and keep a core busy. Below about
10,000 bans nothing changes (a check takes under 0.1 s). In between, `Enforcer.gone`
looks every `PRESENT_EVERY` whether the table is gone altogether or a set emptied,
whole or in part, which costs the same with any number of bans (and is asked less
often in the same way when it is slow: an nft that hangs until its timeout)."""
EXPIRE_EVERY = 10.0
HOUSEKEEPING_EVERY = 60.0
SILENCE_HOLD = 600.0
"""Seconds a source that cannot be read stops the silence clock for (`Daemon.
_count_silence`), from when the daemon first saw it failing; past that it warns, once,
that it judges silence without that source. Ten minutes outlast what heals by itself
(journalctl restarts 5 s later, a followed file is tried again at least every minute:
a disk's or an NFS server's hiccup, a logrotate race), and then cost guessing behind a
forged reject-line trailer on a quiet night ten minutes more than the five it waits
anyway, instead of never being judged while a source stays broken (a dovecot.log
symlinked to /dev/null, a FIFO, a lost permission, journalctl that never starts)."""
OWN_ADDRESSES_EVERY = 300.0
OWN_FRESH = 1.0
"""Before a ban, this host's addresses are read again when the last reading is older
than this (``ip -j addr``: about 3 ms): an address added a moment ago (an IPv6
temporary address, a failover address) is not banned, and a stream of bans reads them
at most once a second."""
RECORD_AGAIN_EVERY = 1.0
"""A ban the store failed to record is tried again this often (see `_Unrecorded`)."""
STORE_RETRY_EVERY = 10.0
"""After a store operation failed (a timeout of a store that hangs, a lock held, an
unreachable server), the store is left alone this long: every operation meanwhile fails
at once, as the last one did (`_StoreGuard`), so a store that hangs costs one timeout
per this interval, not one per ban, heartbeat and position."""
STORE_RETRY_PATIENCE = 1.0
"""While the store fails, an operation waits this long for it (SQLite's busy timeout;
PostgreSQL's connection, at least 2 s), not the 10 s it waits when it works: a retry
holds the daemon up that long at most."""
SYNC_EVERY = 300.0
PRUNE_EVERY = 86400.0
MAX_PROBLEMS = 5
REPAIR_MAX_DELAY = 60.0
"""A firewall that keeps refusing is tried again after 1, 2, 4, ... seconds, then every
minute: never in a loop that floods the journal."""
SAY_AGAIN_EVERY = 600.0
"""A firewall failure that goes on is said again in the log this often (``status``
shows it all along)."""
UNBAN_SLACK = 0.5
"""The store keeps an unban's time rounded to the second: every line written before it
is logged at most this long after that time (`Daemon._forgive`)."""
SKEW_MIN = 300.0
"""Seconds the time of a line read as it was written (`Daemon._live_since`) must be
behind (or ahead of) the daemon's clock to count as a gap (`Daemon._skew`)."""
SKEW_STEADY = 3
"""Reads in a row that show the same gap (within `SKEW_MIN`) before the daemon says
that a log's times are off (a writer stamping UTC on a host east of UTC: a mail
container, Postfix's maillog_file from a chroot without /etc/localtime)."""
KEEP_HISTORY = timedelta(days=365)
"""Ended bans are forgotten after this long (they stop counting as offences)."""
HOLD_MAX = 30.0
"""A file's records read ahead of another input's backlog (`Daemon._process_level`) are
held at most this many seconds (wall time): then they are fed all the same, the file is
read on, and a later piece of it may be held again. A file whose times run hours ahead
(another time zone, a wrong clock) would otherwise wait for the other input's whole
backlog, and the live attacks in it with it: their bans come at most this late (half
the default ``fast_window``). A backlog that takes longer than this to read level
(about 300 MiB: 10 MiB/s measured on a 2-core VM) keeps PAM's lines paired with
Dovecot's up to there only."""


WARM_SLICE = 0.1
"""A reload's warm-up (a new detector reading the lines before where reading stands)
feeds its earlier lines this many seconds at a time (checked every `WARM_BATCH`
records); between two slices the loop does its step with the running detector: new
lines are judged and banned, the firewall repaired, a stop honoured (`Daemon._warm_slice`).
Without it, a 30 MB mail.log held every ban up for 24 s (pure Python)."""
WARM_BATCH = 64
"""Records fed between two looks at the clock during a warm-up slice."""
WARM_KEEP_MAX = 10 << 20
"""The events of the lines read during a reload's warm-up are kept for the new detector
(`_WarmUp.kept`), those of this many characters of lines at the most (about 80,000
lines that give events; the lines that give none are not kept and do not count).
Memory: about eight times as much (the record and its events: about 80 MB at the
bound, what keeping 16 MiB of the lines themselves took before); a mail.log's usual
mix, where a third of the lines give no event, about five and a half times the size
logged (measured: 27 MB for 5 MB logged, 3.4 MB of it kept;
keeping the lines themselves, 4.7 times, also counted the others). A log that writes
more meanwhile ends the warm-up at once, as before slices: no ban until it ends (said
in the log)."""


def _partly_said(found: Recalled) -> str:
    """The end of the first start's look-back line: the files read in part (their
    last MiB only) and how many older ones were left out, for `RECALL_BYTES`."""
    said = ""
    for name, start in found.partly.items():
        with contextlib.suppress(OSError):
            rest = max(0, os.stat(name).st_size - start)
            said += f"; of {os.path.basename(name)} its last {rest / (1 << 20):.1f} MiB only"
    if found.left_out:
        said += (
            f"; {found.left_out} older file(s) of the window not read: more than "
            f"{found.limit / (1 << 20):g} MiB in all"
        )
    return said


@dataclass
class _Unrecorded:
    """A ban put into the firewall before the store recorded it: every new ban is one
    between its batch going to the firewall and its record (`Daemon._record_new`); one
    the store failed to record is kept (the store's changes, repairs and rewrites keep it
    in the firewall) until it ends, and recorded as soon as the store works again
    (`Daemon._record_unrecorded`)."""

    entry: BanEntry
    evidence: str
    since: datetime
    detection: Detection
    users: str
    decision: Decision | None = None
    """The decision of a new ban not tried in the store yet (None once it was)."""


@dataclass
class _WarmUp:
    """A warm-up under way: a detector fed the lines before where reading stood when it
    began (`Daemon._begin_warm_up`). At a reload, the running detector judges the new
    lines meanwhile, and they are kept (`kept`) for the new one, which takes over once it
    has read them too (`Daemon._end_warm_up`)."""

    detector: Detector
    records: Iterator[Record]
    """The earlier lines, merged by time, read as they are asked for."""
    tails: list[Generator[Chunk, None, None]]
    """Each input's earlier pieces (closed at the end: a tail not read whole closes its
    file)."""
    stats: ReadStats
    duplicates: CrossInputDuplicates | None
    started: float
    found: list[tuple[Detection, Event]] = field(default_factory=list)
    kept: list[Event] | None = None
    """The events the running detector was fed meanwhile, as it parsed them (a reload's
    warm-up; None at a start, where nothing runs meanwhile): the new detector is fed them
    at the switch without parsing their lines again (`Daemon._replayed`). Parsing
    depends on the line alone (`mailwarden.parsers.parse`: no setting, no policy), so
    they are the events it would have parsed itself."""
    kept_lines: int = 0
    """The lines the running detector was fed meanwhile (said at the switch), those that
    gave no event included."""
    kept_size: int = 0
    """The characters of the lines whose events are in `kept` (`WARM_KEEP_MAX`)."""
    began: datetime = field(default_factory=lambda: datetime.now(UTC))
    """When it began (``status`` shows a reload's warm-up under way: `Daemon._heartbeat`)."""
    compromises: set[tuple[str, str]] = field(default_factory=set)
    """The compromises (account, client) the running detector reported meanwhile: the
    new detector's report of the same one is not said or alerted again."""
    judged: set[str] = field(default_factory=set)
    """The clients (or networks) the running detector's held-back judgements were about
    meanwhile (`Daemon._housekeeping`: what waited for a trailer login, a silent
    session's rejects): the new detector, fed the same lines, holds the same ones; made
    again at the switch, they are not said, counted or banned again."""


class _StoreGuard:
    """The daemon's store, left alone for `STORE_RETRY_EVERY` after an operation failed:
    meanwhile each operation raises the last error at once (the log says it once), so a
    store that hangs (a server that accepts and never answers, a SQLite lock held) holds
    the daemon up for one timeout per interval, never once per ban. The firewall gets the
    bans all the same (`Daemon._record_new`), the store's changes are read when it works
    again (by revision: none is lost)."""

    _PLAIN = frozenset({"close"})

    def __init__(self, store: Store) -> None:
        self.inner = store
        self.down_until = 0.0
        self.error = ""

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name in self._PLAIN or not callable(value):
            return value

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < self.down_until:
                if name == "keep_claim":
                    return None  # it says nothing while the store fails: not asked
                raise StoreError(self.error)
            try:
                found = value(*args, **kwargs)
            except Claimed:
                raise
            except StoreError as exc:
                self.down_until = time.monotonic() + STORE_RETRY_EVERY
                self.error = str(exc)
                self._patience(STORE_RETRY_PATIENCE)
                raise
            if self.error:  # it works again: wait for it as long as before
                self.error = ""
                self._patience(None)
            return found

        return guarded

    def _patience(self, seconds: float | None) -> None:
        with contextlib.suppress(StoreError, sqlite3.Error):
            self.inner.patience(seconds)

    def retry_now(self) -> None:
        """Let the next operation try the store again (a stop records what it can)."""
        self.down_until = 0.0


@dataclass
class Counters:
    """What this run of the daemon did (shown by ``status`` through the heartbeat)."""

    records: int = 0
    events: int = 0
    detections: int = 0
    bans: int = 0
    refused: int = 0
    already_banned: int = 0
    stale: int = 0
    compromises: int = 0
    manual_changes: int = 0
    expired: int = 0
    repairs: int = 0
    line_errors: int = 0
    enforce_errors: int = 0
    store_errors: int = 0
    clients_forgotten: int = 0
    warmup_lines: int = 0
    journal_untrusted: int = 0
    """Journal entries skipped: not written by the mail system (see daemon.journal)."""
    duplicates: int = 0
    """Entries dropped as another input's copy (mail.log and syslog; see
    daemon.duplicates)."""


class Daemon:
    """Follow the logs of one configuration and enforce what the detector decides."""

    def __init__(
        self,
        config: Config,
        *,
        tick: float = TICK,
        warmup_bytes: int = WARMUP_BYTES,
        warm_slice: float = WARM_SLICE,
        own: Callable[[], list[IPNetwork]] = own_addresses,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.tick = tick
        self.clock = clock
        """Seconds, monotonic: how long the logs have been silent (`_housekeeping`)."""
        self._fed_at = clock()
        """When the latest line that gave the detector an event was read (`clock`),
        moved on by the time a source could not be read since (`_count_silence`): the
        silence counts only while every source could be read."""
        self._stepped_at = self._fed_at
        """When `_count_silence` last looked (`clock`)."""
        self._unreadable: dict[str, float] = {}
        """The sources (paths, ``journal``) that could not be read when `_count_silence`
        last looked, each with when (`clock`) it was first seen so, since it last read."""
        self._without: set[str] = set()
        """The sources of `_unreadable` the silence is judged without (`SILENCE_HOLD`):
        the daemon said so in its log once."""
        self.warmup_bytes = warmup_bytes
        self.warm_slice = warm_slice
        """Seconds of a reload's warm-up between two steps (`WARM_SLICE`)."""
        self._warming: _WarmUp | None = None
        """A reload's warm-up under way (`_warm_slice`), the running detector judging
        the new lines meanwhile."""
        self._own_addresses = own
        self.counters = Counters()
        self.stats = ReadStats()
        self.applied = ActiveBans()
        """What the enforcer holds, as far as we know: the store's active bans."""
        self._stop = False
        self._reload = False
        self._repair = False
        self._repair_at = 0.0
        self._repair_delay = 0.0
        self._broken: str | None = None
        """What the firewall last failed with, until a change or a repair works."""
        self._broken_since: datetime | None = None
        self._broken_said = 0.0
        self._gone_failed = False
        """The quick look for our table (`Enforcer.gone`) failed, and the log said so."""
        self._check_failed = False
        """The last full look at the firewall (`Enforcer.present`) could not be made."""
        self._store_said = ""
        self._store_said_at = 0.0
        self._revision = -1
        self._framers: dict[str, Framer] = {}
        self._due: dict[str, float] = {}
        self._started = datetime.now(UTC)
        self._pid_place = pid_place()
        """Where our pid means this process (`status.pid_place`): in the heartbeat."""
        self._errors_logged = 0.0
        self._problems: list[str] = []
        self._store: Store | None = None
        self._reader: Reader | None = None
        self._detector: Detector | None = None
        self._replaced: Detector | None = None
        """The detector a reload that changes ``[sources]`` replaced, until the new one's
        warm-up ends (`_end_warm_up`: it takes over what the old one was told)."""
        self._enforcer: Enforcer | None = None
        self._policy: BanPolicy | None = None
        self._own: list[IPNetwork] = []
        self._own_read_at = 0.0
        self._own_failed_said = 0.0
        self._unrecorded: dict[IPNetwork, _Unrecorded] = {}
        """Bans in the firewall that the store failed to record (see `_Unrecorded`)."""
        self._unmarked = False
        """Another process changed the store without marking the rows it changed: the
        periodic rewrite reads every ban back (see `_resync`)."""
        self._expired_said: set[IPNetwork] = set()
        """Ended bans that `_check_revision` took out and said expired, so that
        `_expire` does not say them again."""
        self._trust: JournalTrust | None = None
        self._keys = StateKeys()
        self._refused_stored: set[IPNetwork] = set()
        self._duplicates: CrossInputDuplicates | None = None
        self._held: dict[str, list[Record]] = {}
        """Records read ahead of another input's backlog, per file, held for a later
        poll (`_process_level`)."""
        self._read_up_to: dict[str, datetime] = {}
        """The time of the last record read from each input with a backlog
        (`_process_level`): what it bounds when a poll gave nothing of it."""
        self._held_since: dict[str, float] = {}
        """When each file's records began to be held (`time.monotonic`)."""
        self._pairs_said: set[tuple[str, str]] = set()
        self._polled_at: datetime | None = None
        """When (wall clock) the last poll of `step` began."""
        self._live_since: datetime | None = None
        """While `step` feeds what a poll read when every input had been read to its end
        (no backlog, nothing held, every source readable) at the poll before: that poll's
        time. Those lines were written since, whatever time the log gives them: an attack
        in them is live (`_attacked`), not a backlog's, and a steady gap between their
        times and the clock is said (`_skew`). None otherwise (a start's or a reload's
        backlog, a backlog read in pieces, the warm-up, the housekeeping's judgements)."""
        self._skews: dict[str, tuple[float, int]] = {}
        """Per input: the gap (seconds, clock minus line time) its last live reads
        showed, and in how many reads in a row (`_skew`)."""
        self._skews_said: dict[str, str] = {}
        """The inputs whose times are off, and what ``status`` says of it."""
        self._skews_next: dict[str, tuple[float, int]] = {}
        """Per input whose gap is steady: another gap its last live reads showed, and in
        how many reads in a row; it replaces the steady one at `SKEW_STEADY` (`_skew`)."""
        self.owners = OwnerLogins(config.policy)
        """Owners' logins on their way to the store and back (see `owners`)."""
        self.alerter = Alerter(config.alerts)
        self._places_left: list[JSONValue] = []
        """Earlier enforcement places that could not be removed (`_leave_old_places`),
        or that wait for the new one to work (`_leaving`)."""
        self._leaving: list[tuple[JSONValue, Config, Enforcer]] = []
        """Earlier places kept while a start's firewall failed (repair): removed once
        the configured place works, so the old bans block until the new ones do."""

    # -- the parts (set by start) -----------------------------------------------------

    @property
    def store(self) -> Store:
        assert self._store is not None, "start() first"
        return self._store

    @property
    def reader(self) -> Reader:
        assert self._reader is not None, "start() first"
        return self._reader

    @property
    def detector(self) -> Detector:
        assert self._detector is not None, "start() first"
        return self._detector

    @property
    def enforcer(self) -> Enforcer:
        assert self._enforcer is not None, "start() first"
        return self._enforcer

    @property
    def policy(self) -> BanPolicy:
        assert self._policy is not None, "start() first"
        return self._policy

    # -- life cycle -------------------------------------------------------------------

    def run(self) -> int:
        """Start, loop until SIGTERM/SIGINT, stop cleanly; the exit status."""
        self.install_signals()
        try:
            self.start()
            while not self._stop:
                if self._reload:
                    self._reload = False
                    self.reload()
                if not self.step():
                    time.sleep(self.tick)
        finally:
            self.close()
        LOG.info("stopped")
        return 0

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop = True

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self._reload = True

    def request_stop(self) -> None:
        self._stop = True

    def request_reload(self) -> None:
        self._reload = True

    def start(self) -> None:
        """Build every part, put the store's bans in the firewall, rebuild the detector's
        windows, then act on the backlog since the stored positions. An earlier place
        of the bans (``[enforce]`` changed while the daemon was stopped) is removed
        once the configured one is set up (see `places`); a start that stops (the new
        place holds another's, a missing tool) or whose firewall fails leaves it as it
        was, its bans still blocking."""
        config = self.config
        enforcer = make_enforcer(config)
        detector = make_detector(config)
        self._own = self._own_addresses()
        detector.set_own_addresses(self._own)  # never banned, nor a network holding one
        self._own_read_at = time.monotonic()
        self._policy = ban_policy(config, self._own)
        self._store = self._open_store()
        self._keys = StateKeys.for_store(config.store)  # the store is not reloaded
        self._claim_store()
        if self._keys.host is not None:
            LOG.info("store: shared; this host's positions and heartbeat as %s", self._keys.host)
        self._enforcer = enforcer
        try:  # the first reads of the store: damage that opening it did not see stops here
            self._start_place(config, enforcer)
            self._detector = detector
            self._restore_owners(detector, config, starting=True)
            _say_journal_instead(config)
            self._reader = Reader(
                config.sources, self.store, self.stats, self.tick, self._journal_trust(), self._keys
            )
            self._duplicates = _duplicates_for(self.reader)
            backlog = self.reader.start()
            self._recall_owners(detector, config)
        except StoreUnusable as exc:
            self._abandon_store()
            raise self._refused(exc) from None
        self._report_problems()
        self._warm_up()
        self._fed_at = self._stepped_at = self.clock()  # the lines warmed up from were there
        self._started = datetime.now(UTC)
        sources = [*self.reader.paths, *(["journal"] if config.sources.journal else [])]
        if self._repair:  # the firewall failed at start: the bans are not in it yet
            LOG.info(
                "started: reading %s; %d active ban(s) in the store, not yet in %s: "
                "written there once it works",
                ", ".join(sources),
                len(self.applied),
                describe(config),
            )
        else:
            LOG.info(
                "started: reading %s; %d active ban(s) in %s",
                ", ".join(sources),
                len(self.applied),
                describe(config),
            )
        now = time.monotonic()
        for name, every in (
            ("present", PRESENT_EVERY),
            ("gone", PRESENT_EVERY),
            ("expire", EXPIRE_EVERY),
            ("housekeeping", HOUSEKEEPING_EVERY),
            ("own", OWN_ADDRESSES_EVERY),
            ("sync", SYNC_EVERY),
            ("prune", PRUNE_EVERY),
            ("record", RECORD_AGAIN_EVERY),
            ("owners", FORGET_EVERY),
        ):
            self._due[name] = now + every
        self._due["heartbeat"] = now
        self._due["expire"] = now  # a ban that ended while the daemon was stopped
        self._process(backlog)
        self._commit()
        self._heartbeat()

    def _open_store(self) -> Store:
        """The configured store. One a person must fix (a folder every user may write,
        a file that is not a mailwarden store) stops the start like a bad setting:
        exit 2, ``FILE: store.path: reason``, which systemd does not restart; a busy
        or unreachable one stays a `StoreError` (exit 1), tried again."""
        try:
            store = open_store(self.config.store.path)
        except StoreUnusable as exc:
            raise self._refused(exc) from None
        return cast(Store, _StoreGuard(store))

    def _claim_store(self) -> None:
        """One daemon per store (per host name in a shared store): a second one with the
        same identity stops here, before it reads, bans or writes a heartbeat, with one
        line naming the first (exit 1: systemd tries again, and takes over once the
        first stops). The claim ends with the process, so a crash never blocks a
        restart."""
        try:
            self.store.claim(self._keys.host)
        except Claimed as exc:
            message = other_daemon(self.store, self.config, exc.holder)
            self._abandon_store()
            raise StoreError(message) from None
        except StoreError:
            self._abandon_store()
            raise

    def _abandon_store(self) -> None:
        """Close a store found damaged while starting, writing nothing more to it (no
        positions, no heartbeat when stopping): a person looks at it first."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def _refused(self, exc: StoreUnusable) -> ConfigError:
        """A store a person must fix, as the start refuses it: ``FILE: store.path: …``."""
        return ConfigError(where(self.config), "store.path", str(exc))

    def close(self) -> None:
        """Commit positions, finish what the enforcer held back (a coalesced Postfix
        reload), stop the sources and the alerts, close the store. The firewall keeps
        its bans. A reload's warm-up under way ends unfinished (the running detector
        read every new line: nothing is lost)."""
        if self._warming is not None:
            self._drop_warm_up(stopping=True)
        if self._enforcer is not None:
            self._flush(force=True)
        if self._unrecorded and self._store is not None:
            guard = self._store
            if isinstance(guard, _StoreGuard):
                guard.retry_now()  # one more try, whatever the interval
            self._record_unrecorded()
            for network in self._unrecorded:
                LOG.warning(
                    "ban of %s not recorded (the store still fails): the firewall keeps it "
                    "until it ends, but the next start lifts it",
                    network,
                )
        if self._reader is not None:
            self._commit()
            self._reader.close()
            self._reader = None
        self.alerter.close()
        if self._store is not None:
            self._heartbeat(stopped=True)
            self._store.close()
            self._store = None

    # -- one step ---------------------------------------------------------------------

    def step(self) -> bool:
        """Read, detect, enforce, and the periodic work that is due, then a slice of a
        reload's warm-up under way (`_warm_slice`). True when there was something to
        read, or is more to read now (an input read at this step stopped at its read
        budget: a backlog, even one whose piece held no whole line, as a run of NUL
        bytes), or a warm-up is under way: the loop then steps again at once."""
        held = bool(self._held)
        waiting = set(self._held)  # not read at this step: their backlog waits anyway
        reader = self.reader
        caught_up = not held and not reader.behind() and not reader.unreadable()
        live, self._polled_at = self._polled_at if caught_up else None, datetime.now(UTC)
        chunks = reader.poll(self._held)  # a file with held records waits
        if chunks or held:
            self._live_since = live
            try:
                self._process(chunks)
            finally:
                self._live_since = None
            self._commit()
        if self.stats.problems or self.reader.files.notes:
            self._report_problems()
        self._count_silence()
        self._check_revision()
        self._flush()
        now = time.monotonic()
        due = self._due
        if now >= due["present"] or (self._repair and now >= self._repair_at):
            self._watch_firewall()
            took = time.monotonic() - now
            due["present"] = now + max(PRESENT_EVERY, took / PRESENT_SHARE)
            due["gone"] = max(due["gone"], now + PRESENT_EVERY)
        elif now >= due["gone"] and not self._repair:  # a repair keeps its own pace
            due["gone"] = now + PRESENT_EVERY
            took = self._watch_table()
            # A slow or hanging nft (up to its 30 s timeout) is asked less often, as the
            # full check is: the daemon must not spend its time waiting for it. A repair
            # that the look led to does not count: the next look is a second later.
            due["gone"] = time.monotonic() + max(PRESENT_EVERY, took / PRESENT_SHARE)
        if now >= due["expire"]:
            due["expire"] = now + EXPIRE_EVERY
            self._expire()
        if now >= due["heartbeat"]:
            due["heartbeat"] = now + HEARTBEAT_EVERY
            self._heartbeat()
        if now >= due["housekeeping"]:
            due["housekeeping"] = now + HOUSEKEEPING_EVERY
            self._housekeeping()
        if now >= due["own"]:
            due["own"] = now + OWN_ADDRESSES_EVERY
            self._refresh_own_addresses()
        if now >= due["sync"]:
            due["sync"] = now + SYNC_EVERY
            self._resync()
        if now >= due["prune"]:
            due["prune"] = now + PRUNE_EVERY
            self._prune()
        if now >= due["owners"]:
            due["owners"] = now + FORGET_EVERY
            self._forget_owners()
        if self._unrecorded and now >= due["record"]:
            due["record"] = now + RECORD_AGAIN_EVERY
            self._record_unrecorded()
        warming = self._warming is not None
        if warming:
            self._warm_slice()
        return warming or bool(chunks) or bool(self.reader.behind() - waiting)

    # -- reading and deciding -----------------------------------------------------------

    def _framer(self, source: str) -> Framer:
        framer = self._framers.get(source)
        if framer is None:
            # A real log has one entry per line: never split a line at a header-like text.
            framer = self._framers[source] = Framer(
                split_pasted=False, stats=self.stats, clock=_now
            )
        return framer

    def _process(self, chunks: Sequence[Chunk]) -> None:
        duplicates = self._duplicates  # there when there are several inputs
        if self._held or (duplicates is not None and self.reader.behind()):
            self._process_level(chunks)
        elif len({chunk.source for chunk in chunks}) > 1:
            self._process_merged(chunks)
        else:
            for chunk in chunks:  # one input: a batch of bans per chunk, as it is read
                batch: list[BanEntry] = []
                self._feed(self._framed((chunk,), self._framer), batch)
                if batch:
                    self._enforce(batch)
        if duplicates is not None:
            self._say_duplicates(duplicates)

    def _process_merged(self, chunks: Sequence[Chunk]) -> None:
        """The chunks of several inputs that one poll read: their records fed in time
        order, PAM's own lines first within a second (`scan.time_ordered`, as
        ``analyze`` merges its inputs), each input's in its own order otherwise, and
        the bans sent to the firewall in one batch. Debian writes PAM's line of an
        attempt to auth.log before Dovecot's (or Postfix's) line of it to mail.log:
        read file by file, mail.log's line came first and the attempt counted twice.
        PAM's line that a later poll reads (auth.log read just before PAM wrote it) is
        paired with its attempt by the detector (`make_detector`: ``late_pam``).
        One chunk of each input is framed at a time, as file by file."""
        by_source: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_source.setdefault(chunk.source, []).append(chunk)
        inputs = [self._framed(each, self._framer) for each in by_source.values()]
        batch: list[BanEntry] = []
        self._feed(time_ordered(inputs), batch)
        if batch:
            self._enforce(batch)

    def _process_level(self, chunks: Sequence[Chunk]) -> None:
        """`_process_merged` while an input has a backlog (after a restart, or a busy
        moment): the inputs are kept level in log time. Each poll reads a piece (1 MiB)
        of each input, and one input's piece may cover hours more than another's: fed
        as they come, PAM's line of an attempt (auth.log) met the detector polls before
        Dovecot's or Postfix's (mail.log), or polls after them, and the attempt counted
        twice. So only the records up to the earliest last time read among the inputs
        with more to read now (`Reader.behind`) are fed; an input read to its end at
        this poll, or that cannot be read, is level and holds no one back. The later
        records of each file are held (framed) for the next polls, and the file is not
        read while it holds some: what is held is at most one poll's piece of each file,
        memory stays bounded without a cap, and the input that bounds the others feeds
        all it read, so the reading always moves on. A file held `HOLD_MAX` seconds is
        let go: its records are fed, and it is read on (a rotation meanwhile was noticed
        by the follower, its files are read in turn). The position committed for a file
        is its first held record's (`Reader.hold`): a stop or a reload reads the held
        records again, none is lost or counted twice. When no position can say that
        (a rotation or a truncation in the piece; the journal, whose cursor is a
        piece's last entry), the records are fed as read, as before. A journal with a
        backlog (journalctl filled its pipe) holds the files back all the same; not at
        the very first poll of a start, which reads the files only."""
        reader = self.reader
        grouped: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            grouped.setdefault(chunk.source, []).append(chunk)
        by_source, self._held = self._held, {}
        for source, each in grouped.items():
            by_source.setdefault(source, []).extend(self._framed(each, self._framer))
        bound: datetime | None = None
        read_up_to = self._read_up_to
        for source in reader.behind():
            latest = _latest(by_source.get(source, ()))
            if latest is None:  # nothing timed read from it at this poll (a reload's)
                latest = read_up_to.get(source)
            else:
                read_up_to[source] = latest
            if latest is not None and (bound is None or latest < bound):
                bound = latest
        cuts: dict[str, int] = {}
        now = time.monotonic()
        since = self._held_since
        if bound is not None:
            for source, records in by_source.items():
                if now - since.get(source, now) >= HOLD_MAX:
                    continue  # held long enough: fed now (`HOLD_MAX`)
                cut = _cut(records, bound)
                if cut < len(records):
                    cuts[source] = cut
        held = reader.hold({source: by_source[source][cut] for source, cut in cuts.items()})
        self._held_since = {source: since.get(source, now) for source in held}
        order = {path: n for n, path in enumerate(reader.paths)}
        inputs: list[list[Record]] = []
        for source in sorted(by_source, key=lambda source: order.get(source, len(order))):
            records = by_source[source]
            if source in held:
                self._held[source] = records[cuts[source] :]
                records = records[: cuts[source]]
            if records:
                inputs.append(records)
        batch: list[BanEntry] = []
        self._feed(inputs[0] if len(inputs) == 1 else time_ordered(inputs), batch)
        if batch:
            self._enforce(batch)

    def _framed(
        self, chunks: Iterable[Chunk], framer: Callable[[str], Framer]
    ) -> Generator[Record, None, None]:
        """The records of one input's chunks, one chunk framed at a time by
        ``framer(source)`` (a chunk that fails to frame is skipped and said)."""
        for chunk in chunks:
            try:
                records = list(framer(chunk.source).frame_chunk(chunk))
            except Exception as exc:
                self._line_error(chunk.source, chunk.first_line, exc)
                continue
            yield from records

    def _feed(self, records: Iterable[Record], batch: list[BanEntry]) -> None:
        """Parse and feed ``records`` (another input's copy of an entry dropped), the
        bans they lead to recorded and added to ``batch``; during a reload's warm-up,
        their events kept for the new detector (`_WarmUp.kept`)."""
        counters = self.counters
        feed = self.detector.feed
        duplicates = self._duplicates
        events = counters.events
        warm = self._warming
        kept = warm.kept if warm is not None else None
        record: Record | None = None
        for record in records:
            counters.records += 1
            if duplicates is not None and not duplicates.first(record):
                counters.duplicates += 1
                continue
            try:
                found = parse(record)
                if kept is not None and warm is not None:  # for the new detector too
                    warm.kept_lines += 1
                    if found:
                        kept.extend(found)
                        warm.kept_size += len(record.text)
                for event in found:
                    counters.events += 1
                    for detection in feed(event):
                        self._decide(detection, batch, event)
            except Exception as exc:
                self._line_error(record.source, record.line, exc)
        if counters.events != events:
            self._fed_at = self.clock()  # after the batch: the silence counts from here
        if self._live_since is not None and record is not None:
            self._skew(record)

    def _skew(self, record: Record) -> None:
        """Note the gap between the time of the last line of a live read and the clock;
        say once, in the log and in ``status``, an input whose lines are steadily off by
        more than `SKEW_MIN` (a writer in another time zone): its live attacks are banned
        all the same (`_attacked`), but its times in the log and the alerts are off.

        Not the journal's (journald stamps each entry itself, in UTC), nor a file's first
        read (`_first_read`). Once a gap is steady, a read off it (a queue of old lines
        flushed late) does not end it: only another gap steady as long does (a writer
        whose time zone was set right, or changed)."""
        if record.time is None or self._first_read(record.source):
            return
        gap = (datetime.now(UTC) - record.time).total_seconds()
        source = record.source
        steady = self._skews.get(source)
        if steady is not None and steady[1] >= SKEW_STEADY and abs(gap - steady[0]) >= SKEW_MIN:
            first, reads = self._skews_next.get(source, (gap, 0))
            if abs(gap - first) >= SKEW_MIN:
                first, reads = gap, 0
            if reads + 1 < SKEW_STEADY:
                self._skews_next[source] = (first, reads + 1)
                return
            self._skews_next.pop(source, None)  # another steady gap: it replaces the one
            self._skews.pop(source, None)
            self._skews_said.pop(source, None)
            self._due["heartbeat"] = 0.0
            if abs(first) < SKEW_MIN:
                return
            self._skews[source] = (first, SKEW_STEADY - 1)
            gap = first
        else:
            self._skews_next.pop(source, None)
        if abs(gap) < SKEW_MIN:
            if self._skews_said.pop(source, None) is not None:
                self._due["heartbeat"] = 0.0
            self._skews.pop(source, None)
            return
        first, reads = self._skews.get(source, (gap, 0))
        if abs(gap - first) >= SKEW_MIN:
            first, reads = gap, 0
        self._skews[source] = (first, reads + 1)
        if reads + 1 != SKEW_STEADY or source in self._skews_said:
            return
        off = decisions.duration_text(timedelta(minutes=round(abs(first) / 60)))
        text = (
            f"{source}'s times are {off} {'behind' if first > 0 else 'ahead of'} this "
            "host's clock: check the writer's time zone (its live attacks are banned all "
            "the same, for the full ban time from when they are read)"
        )
        self._skews_said[source] = text
        LOG.warning("source: %s", decisions.clean(text, 600))
        self._due["heartbeat"] = 0.0

    def _first_read(self, source: str) -> bool:
        """Whether what a live poll read of ``source`` may be older than that poll: the
        journal's entries keep journald's own times (a journalctl restarted reads its
        backlog in one go), and a file the poll opened, or read first, may hold old lines
        (moved into place, a volume mounted late, a rotation undone)."""
        return source == JOURNAL_SOURCE or source in self.reader.files.opened

    def _steady_gap(self, source: str) -> float | None:
        """How far (seconds) ``source``'s times are steadily behind the clock (`_skew`:
        `SKEW_STEADY` live reads in a row agree), to a quarter of an hour when within a
        minute of one (as time zones are); None when not known, or not behind."""
        steady = self._skews.get(source)
        if steady is None or steady[1] < SKEW_STEADY or steady[0] < SKEW_MIN:
            return None
        gap, quarters = steady[0], round(steady[0] / 900) * 900
        return quarters if abs(gap - quarters) <= 60 else gap

    def _attacked(self, detection: Detection, event: Event | None) -> datetime | None:
        """When the attack of ``detection`` was, as far as a ban's length goes: its time,
        moved on by its log's steady gap (`_steady_gap`: a writer stamping UTC on a host
        east of UTC) for a line read live (`_live_since`) no older than that gap (and
        `SKEW_MIN`) before the poll ahead of its read: the attack is live all the same.
        Not before the gap is steady: a one-off gap is a late line group (an rsyslog
        queue flushed), old. A backlog's (a start's, a file's first read, the
        journal's) keeps its time: an attack long over is not banned."""
        attacked, live = detection.time, self._live_since
        if attacked is None or live is None or event is None or not self._read_live(event):
            return attacked
        seen, source = event.record.time, event.record.source
        assert seen is not None  # (_read_live)
        gap = self._steady_gap(source)
        if gap is not None and seen >= live - timedelta(seconds=gap + SKEW_MIN):
            attacked += timedelta(seconds=gap)
        return attacked

    def _read_live(self, event: Event | None) -> bool:
        """Whether ``event``'s line was read as it was written (`_attacked`): a poll
        that found every source caught up, not a file's first read nor the journal."""
        if self._live_since is None or event is None or event.record.time is None:
            return False
        return not self._first_read(event.record.source)

    def _say_duplicates(self, duplicates: CrossInputDuplicates) -> None:
        """Say once per pair of inputs that one repeats the other's entries."""
        for pair in duplicates.pairs - self._pairs_said:
            self._pairs_said.add(pair)
            LOG.info(
                "source: %s repeats entries of %s (rsyslog writes mail lines to both): "
                "each entry is counted once",
                decisions.clean(pair[1]),
                decisions.clean(pair[0]),
            )

    def _report_problems(self) -> None:
        """Say what the sources could not read (a journalctl that complains, a file that
        cannot be read and when it can again), once each, and keep the last few of the
        former for ``status`` (which shows the files that cannot be read now apart:
        `_current_problems`)."""
        notes = self.reader.files.notes
        if notes:
            for note in notes:
                LOG.log(note.level, "source: %s", decisions.clean(note.text, 600))
            notes.clear()
            self._due["heartbeat"] = 0.0  # status shows a file that fails, or works again
        problems = self.stats.problems
        for problem in problems:
            LOG.warning("source: %s", decisions.clean(problem))
        self._problems = (self._problems + problems)[-MAX_PROBLEMS:]
        problems.clear()

    def _line_error(self, source: str, line: int, exc: Exception) -> None:
        """A bug met a line: skip the line, count it, say so (once a minute at most)."""
        self.counters.line_errors += 1
        now = time.monotonic()
        if now - self._errors_logged >= 60:
            self._errors_logged = now
            LOG.error(
                "skipped line %d of %s after an internal error (%s: %s); %d so far",
                line,
                decisions.clean(source),
                type(exc).__name__,
                decisions.clean(str(exc), 120),
                self.counters.line_errors,
            )
        LOG.debug("line error", exc_info=exc)

    def _decide(
        self,
        detection: Detection,
        batch: list[BanEntry],
        event: Event | None,
        *,
        warm: bool = False,
        said: bool = False,
    ) -> None:
        """Act on one detection: log it, refuse it, or ban (batch for the firewall, then
        recorded: `_record_new`; a compromise sends the batch so far first, so that its
        bans are said before it: `_say_compromise`, not again when ``said``). ``warm``:
        it comes from the warm-up's lines, which were read before: a refusal or a stale
        attack was said then, and is neither said nor counted again."""
        counters = self.counters
        counters.detections += 1
        if detection.verdict is Verdict.COMPROMISED and not said:
            self._say_compromise(detection, batch)
        decision = detection.decision()
        if decision is None:
            # Watched clients (probes, scanners) can be legion: only -v shows them.
            level = logging.DEBUG if detection.recommendation == "watch" else logging.INFO
            LOG.log(level, "%s", decisions.detection_line(detection))
            return
        target = normalize(decision.target)
        refusal = self.policy.refusal(target)
        now = datetime.now(UTC)
        covering = None if refusal is not None else self._holding(target, now)
        if covering is not None:
            counters.already_banned += 1
            self._tell_answered(detection, target, covering.expires, covering.network)
            return
        if refusal is None and self._own_addresses_stale():
            self._refresh_own_addresses()  # an address added a moment ago is refused
            refusal = self.policy.refusal(target)
        if refusal is not None:
            if warm:
                LOG.debug("refuse to ban %s: %s (earlier lines)", target, refusal)
                return
            counters.refused += 1
            LOG.warning("refuse to ban %s: %s", target, refusal)
            return
        # The firewall gets the ban first, the store records it after the batch
        # (`_record_new`): a store that hangs never holds a ban up. Its length is the
        # first offence's until the store counts the offences (a repeat offender's
        # longer ban is written over it then, in the same step when the store works).
        offences = 1
        attacked = self._attacked(detection, event)
        if attacked is not None and attacked + self.policy.duration_for(1) <= now:
            # An attack longer ago than a first ban lasts (a backlog): only the store
            # can say whether a repeat offender's longer ban would still be in force.
            try:
                offences = self.store.offences(target) + 1
            except StoreError as exc:
                self._store_error(exc)
            duration = self.policy.duration_for(offences)
            if attacked + duration <= now:
                if warm:
                    return
                counters.stale += 1
                LOG.info(
                    "not banning %s: its attack was at %s, longer ago than a %s ban would last",
                    target,
                    decisions.iso(attacked),
                    decisions.duration_text(duration),
                )
                if self._read_live(event) and detection.time is not None:
                    # Read as written, its log's gap not yet steady (`_attacked`): a log
                    # stamped behind this host's clock, or a late group. The detector
                    # judges the client's next failures again instead of keeping quiet
                    # for a ban time: once the gap is steady, they are banned (found by
                    # review: an attack begun right after a start went on unbanned).
                    self._tell_answered(detection, target, detection.time)
                return
        decision = dataclasses.replace(
            decision, target=target, reason=decisions.ban_reason(detection)
        )
        entry = self.policy.entry(decision, offences, now)
        evidence = decisions.evidence_text(detection)
        users = decisions.users_of(detection, event)
        self._unrecorded[target] = _Unrecorded(entry, evidence, now, detection, users, decision)
        self.applied.put(entry)
        batch.append(entry)

    def _tell_answered(
        self,
        detection: Detection,
        target: IPNetwork,
        until: datetime,
        holder: IPNetwork | None = None,
    ) -> None:
        """A ban that ends at ``until`` held the client of ``detection`` (not banned for
        it): the detector keeps quiet about it only while that ban holds it (a wider
        network's, or a shorter one of its own, may end in minutes). ``holder``: that
        ban's network; a wider one is noted (`_tell_left_out` looks only at the clients
        noted under the bans the firewall leaves out)."""
        if detection.ip is not None and target.num_addresses == 1:
            detector = self.detector
            detector.answered(detection.ip, until.timestamp())
            if holder is not None and holder.num_addresses > 1:
                detector.held_by(detection.ip, holder)

    def _tell_left_out(self) -> None:
        """The firewall left wider bans out past ``enforce.max_bans``: they block
        nothing now, so the clients inside them that the detector reported (skipped
        as banned by them) are no longer held by them: their next failures that cross
        a threshold are banned, as a restart would ban them (`_unanswered`)."""
        left = [network for network in self.enforcer.take_left_out() if network.num_addresses > 1]
        if not left or self._detector is None:
            return
        detector = self._detector
        now = datetime.now(UTC)
        # Only the clients noted as held by these networks (`_tell_answered`): a
        # detector's hundred thousand clients are not scanned for each one left out.
        for ip in detector.reported_inside(left):
            holding = self._holding(normalize(ipaddress.ip_network(ip)), now)
            if holding is None:
                detector.answered(ip, now.timestamp())
            elif holding.network.num_addresses > 1:  # another wider ban holds it still
                detector.held_by(ip, holding.network)

    def _holding(self, target: IPNetwork, now: datetime) -> BanEntry | None:
        """The unexpired ban that holds ``target`` here, the one that ends last: its
        own, or a wider network's that the firewall enforces (one left out past
        ``enforce.max_bans`` blocks nothing, and holds no client inside it back from
        its own ban). None when there is none."""
        applied = self.applied
        if applied.covering(target, now) is None:
            return None  # the usual case: one lookup per length in use
        enforcer = self.enforcer
        held = [
            entry
            for entry in applied.covering_all(target, now)
            if entry.network == target or enforcer.enforces(entry.network)
        ]
        return max(held, key=lambda entry: entry.expires, default=None)

    def _say_compromise(self, detection: Detection, batch: list[BanEntry]) -> None:
        """Log and alert a compromise (or a possible one), the bans of ``batch`` so far
        sent first (said and alerted before it, as they came). During a reload's
        warm-up, remembered (`_WarmUp.compromises`): the new detector does not say it
        again at the switch."""
        if batch:
            self._enforce(batch)
            batch.clear()
        self.counters.compromises += 1
        LOG.warning("%s", decisions.compromise_line(detection))
        self.alerter.send(decisions.compromise_alert(detection))
        warm = self._warming
        if warm is not None and warm.kept is not None:
            warm.compromises.add(_compromise_key(detection))

    def _enforce(self, batch: Sequence[BanEntry]) -> None:
        """Send a batch of new bans to the firewall, then record them (`_record_new`)."""
        self._apply(batch, [])
        self._record_new()

    def _record_new(self) -> None:
        """Record the new bans `_decide` sent to the firewall. The store counts the
        offence (a repeat offender's longer ban replaces the first one's in the
        firewall); one the store holds already (another host of the fleet in the same
        second, ``mailwarden ban``) is the same incident, not a new offence. When the
        store fails, the bans stay in the firewall and are recorded when it works again
        (`_record_unrecorded`): a store that hangs is waited for once, then left alone
        for `STORE_RETRY_EVERY` (`_StoreGuard`)."""
        counters = self.counters
        again: list[BanEntry] = []
        failed = False
        for network, ban in list(self._unrecorded.items()):
            decision = ban.decision
            if decision is None:
                continue
            if not failed:
                try:
                    row, new = self.store.record_offence(
                        ban.entry,
                        ban.evidence,
                        Source.AUTO,
                        ban.since,
                        ends=self._ends(decision, ban.since),
                    )
                except StoreError as exc:
                    self._store_error(exc)
                    failed = True
            ban.decision = None
            if failed:
                # The firewall has it (with its kernel timeout), and keeps it until it
                # ends; it is recorded when the store works again.
                LOG.info(
                    "ban %s until %s: %s (not recorded yet: the store failed; recorded "
                    "when it works again)",
                    network,
                    decisions.iso(ban.entry.expires),
                    ban.entry.reason,
                )
                continue
            del self._unrecorded[network]
            entry = row.entry()
            if entry != self.applied.get(network):
                self.applied.put(entry)
                again.append(entry)
            if not new:
                counters.already_banned += 1
                LOG.info("%s", decisions.ban_line(row, ban.users, how=_BANNED_ALREADY))
                continue
            counters.bans += 1
            LOG.info("%s", decisions.ban_line(row, ban.users))
            self.alerter.send(decisions.ban_alert(row, ban.detection))
        if again:
            self._apply(again, [])

    def _ends(self, decision: Decision, now: datetime) -> Callable[[int], datetime]:
        """When the ban of a decision ends if it is the network's n-th offence (the store
        counts it, in the transaction that records it: `Store.record_offence`)."""
        return lambda offences: self.policy.entry(decision, offences, now).expires

    def _late_ends(self, ban: _Unrecorded) -> Callable[[int], datetime]:
        """As `_ends`, for a ban recorded late: no earlier than the firewall's end."""
        return lambda offences: max(
            ban.entry.expires, ban.since + self.policy.duration_for(offences)
        )

    def _record_unrecorded(self) -> None:
        """Record the bans the store failed to record (`_Unrecorded`), as of when they
        were made, now that it may work again; the offence count (and with it the
        length) is the store's. One that ended meanwhile is left to `_expire`; one that
        the store holds a ban covering (``mailwarden ban``, another host) is dropped: the
        store's ban is applied instead."""
        now = datetime.now(UTC)
        try:
            stored = ActiveBans(row.entry() for row in self.store.active_bans())
        except StoreError as exc:
            self._store_error(exc)
            return
        for network, ban in list(self._unrecorded.items()):
            if ban.entry.expires <= now or ban.decision is not None:
                continue
            if stored.covering(network, now) is not None:
                del self._unrecorded[network]
                continue
            try:
                offences = self.store.offences(network) + 1
                length = self.policy.duration_for(offences)
                entry = dataclasses.replace(
                    ban.entry, expires=max(ban.entry.expires, ban.since + length)
                )
                row, new = self.store.record_offence(
                    entry, ban.evidence, Source.AUTO, ban.since, ends=self._late_ends(ban)
                )
            except StoreError as exc:
                self._store_error(exc)
                return
            del self._unrecorded[network]
            if not new:  # banned meanwhile, by another host or by hand
                if row.entry() != self.applied.get(network):
                    self.applied.put(row.entry())
                    self._apply([row.entry()], [])
                continue
            self.counters.bans += 1
            LOG.info(
                "%s (recorded late: the store failed at the ban)",
                decisions.ban_line(row, ban.users),
            )
            self.alerter.send(decisions.ban_alert(row, ban.detection))
            if row.entry() != self.applied.get(network):
                self.applied.put(row.entry())
                self._apply([row.entry()], [])

    def _wanted(self, active: Sequence[BanRow]) -> list[BanEntry]:
        """What the firewall must hold: the store's enforceable bans (`_enforceable`),
        and the bans it failed to record that have not ended (and that the policy still
        allows: a reload may have put one on the allow list)."""
        entries = [row.entry() for row in active]
        if not self._unrecorded:
            return entries
        now = datetime.now(UTC)
        stored = {row.network for row in active}
        for network, ban in list(self._unrecorded.items()):
            if network in stored or self.policy.refusal(network) is not None:
                del self._unrecorded[network]
            elif ban.entry.expires > now:
                entries.append(ban.entry)
        return entries

    # -- the firewall -------------------------------------------------------------------

    def _start_enforcer(self) -> None:
        revision = self.store.revision()
        active = self._enforceable(self.store.active_bans())
        entries = [row.entry() for row in active]
        try:
            self.enforcer.ensure()
            self.enforcer.sync(entries)
            self.enforcer.flush(force=True)  # the store's bans take effect now
        except (ToolMissingError, PermissionDeniedError) as exc:
            raise ConfigError(where(self.config), "enforce.backend", str(exc)) from None
        except NotOursError as exc:  # our table's name is another's table
            raise ConfigError(where(self.config), enforce_key(self.config), str(exc)) from None
        except (BatchRefusedError, NoAnswerError) as exc:
            # Refused or no answer for now (a kernel short of memory, a busy firewall):
            # nothing a person must fix. Start reading; the store keeps the bans, and the
            # firewall is written from it as soon as it works, as after a failure while
            # running.
            self._firewall_failed(exc, doing="cannot set it up at start")
        # Left out from the start: no client was skipped as held by them yet (the
        # warm-up asks `enforces`), nothing to tell the detector of them later.
        self.enforcer.take_left_out()
        self.applied = ActiveBans(entries)
        self._revision = revision

    def _apply(self, add: Sequence[BanEntry], remove: Sequence[IPNetwork]) -> None:
        if self._repair:
            return  # the firewall is rewritten from the store when the repair is due
        repaired = self.enforcer.repaired
        try:
            self.enforcer.apply(add, remove)
        except EnforceError as exc:
            self._firewall_failed(exc)
        else:
            self._firewall_works()
        finally:  # the enforcer wrote everything again by itself (and said so)
            self.counters.repairs += self.enforcer.repaired - repaired
        self._tell_left_out()

    def _flush(self, force: bool = False) -> None:
        """Let the enforcer finish a change it held back (postfix-map reloads Postfix at
        most every few seconds); a failure is logged and tried again when due."""
        try:
            self.enforcer.flush(force=force)
        except EnforceError as exc:
            self._firewall_failed(exc, repair=False)
            return
        if self._broken is not None and not self.enforcer.reload_waiting:
            self._firewall_works()

    def _watch_table(self) -> float:
        """Between the full checks: restore the table at once when it is gone or a set
        was emptied. The seconds the look took (not the repair)."""
        started = time.monotonic()
        try:
            gone = self.enforcer.gone()
        except EnforceError as exc:
            # Said once until it works again (the full check says more when it fails).
            if not self._gone_failed:
                self._gone_failed = True
                LOG.warning(
                    "firewall: cannot look whether %s is still there: %s; asking less "
                    "often while it fails or is slow",
                    describe(self.config),
                    decisions.clean(str(exc)),
                )
            return time.monotonic() - started
        took = time.monotonic() - started
        if self._gone_failed:
            self._gone_failed = False
            LOG.info("firewall: the quick look for %s works again", describe(self.config))
        if gone:
            self._watch_firewall(gone=True)
        return took

    def _watch_firewall(self, gone: bool = False) -> None:
        """Put our table back (with every active ban) when it is gone or changed, or
        when a change to it failed. The bans are those the daemon holds (`applied`: the
        store's, kept in step at every step), so a flushed ruleset with 100,000 bans is
        not also a read of the whole store; a repair after a failure reads the store.
        `gone`: the quick look found the table gone or a set emptied, which is certain:
        the full check (seconds with 100,000 bans) is not run again before the repair."""
        try:
            if not self._repair:
                if not gone:
                    try:
                        there = self.enforcer.present()
                    except EnforceError as exc:
                        # No answer is no missing table: said as such, and asked again
                        # at the next look; nothing written meanwhile.
                        self._check_failed = True
                        self._firewall_failed(
                            exc, doing=f"cannot check {describe(self.config)}", repair=False
                        )
                        return
                    if self._check_failed:
                        self._check_failed = False
                        self._firewall_works()
                    if there:
                        return
                LOG.warning(
                    "firewall: %s is missing or was changed; restoring it",
                    describe(self.config),
                )
                wanted = self.applied.values()
            else:
                wanted = self._wanted(self._enforceable(self.store.active_bans()))
            self.enforcer.ensure()
            self.enforcer.sync(wanted)
        except (EnforceError, StoreError) as exc:
            self._firewall_failed(exc, doing="cannot restore it")
            return
        finally:
            self._tell_left_out()
        self._repair = False
        self.counters.repairs += 1
        self.applied = ActiveBans(wanted)
        since = self._broken_since
        self._firewall_works(quiet=True)
        now = datetime.now(UTC)
        LOG.info(
            "firewall: restored with %d active ban(s)%s",
            sum(1 for entry in wanted if entry.expires > now),
            f" (it had failed since {decisions.iso(since)})" if since is not None else "",
        )
        if self._leaving:
            self._leave_after_repair()

    def _resync(self) -> None:
        """The periodic rewrite: the firewall written whole from the bans the daemon
        holds (an element deleted by hand comes back, ipset's timeouts are renewed,
        nftables' pieces are merged again), after reading what the store changed since
        the last look (`_check_revision`). `applied` is kept in step with the store at
        every step, so this writes what reading every ban back wrote, without that read:
        10 s with 100,000 bans in SQLite, the daemon reading no line meanwhile. A store
        that fails now does not hold the rewrite back (the store's changes are read
        when it works again). Every ban is read back only when a writer that does not
        mark the rows it changes moved the revision since the last rewrite."""
        self._check_revision()
        if self._unmarked:
            try:
                wanted = self._wanted(self._enforceable(self.store.active_bans()))
            except StoreError as exc:
                self._store_error(exc)
            else:
                self._unmarked = False
                self.applied = ActiveBans(wanted)
        try:
            self.enforcer.sync(self.applied.values())
        except EnforceError as exc:
            self._firewall_failed(exc, doing="periodic rewrite failed")
        self._tell_left_out()

    def _firewall_failed(
        self, exc: EnforceError | StoreError, doing: str = "", *, repair: bool = True
    ) -> None:
        """A change, a repair or a reload failed. The store keeps the bans; the firewall
        is rewritten from it once it works again, tried after 1, 2, 4, ... seconds, at
        most a minute apart. The log says it once (again when the error changes, and
        every `SAY_AGAIN_EVERY` while it lasts), and ``status`` shows it until then."""
        if isinstance(exc, StoreError):
            self.counters.store_errors += 1
        else:
            self.counters.enforce_errors += 1
        message = decisions.clean(str(exc))
        now = time.monotonic()
        if repair:
            self._repair = True
            self._repair_at = now + self._repair_delay
            self._repair_delay = min(max(1.0, 2 * self._repair_delay), REPAIR_MAX_DELAY)
        if self._broken_since is None:
            self._broken_since = datetime.now(UTC)
        if message != self._broken or now - self._broken_said >= SAY_AGAIN_EVERY:
            self._broken_said = now
            LOG.error(
                "firewall: %s%s; %s",
                f"{doing}: " if doing else "",
                message,
                f"the store keeps the bans; rewriting {describe(self.config)} from it as "
                "soon as it works (mailwarden status shows the error meanwhile)"
                if repair
                else "trying again",
            )
        self._broken = message

    def _firewall_works(self, quiet: bool = False) -> None:
        """A change to the firewall went through: forget the last failure."""
        if self._broken is None or self._repair:
            return
        if not quiet:
            LOG.info("firewall: %s works again", describe(self.config))
        self._broken = None
        self._broken_since = None
        self._repair_delay = 0.0

    def _enforceable(self, active: Sequence[BanRow]) -> list[BanRow]:
        """The store's active bans this host may enforce. A shared (PostgreSQL) store
        holds other hosts' bans too, and another host's policy may allow what ours
        refuses (this host's own addresses, our allow list): such a ban is left out here,
        and said once in the log, never put into our firewall."""
        kept: list[BanRow] = []
        for row in active:
            refusal = self.policy.refusal(row.network)
            if refusal is None:
                kept.append(row)
            elif row.network not in self._refused_stored:
                self._refused_stored.add(row.network)
                self.counters.refused += 1
                LOG.warning("stored ban of %s not enforced here: %s", row.network, refusal)
        return kept

    # -- the store ----------------------------------------------------------------------

    def _commit(self) -> None:
        """Write the owners' logins read so far, then the sources' positions (a kill
        between the two reads those lines again)."""
        try:
            self.owners.write(self.store)
        except StoreError as exc:
            self._store_error(exc)
        try:
            self.reader.commit(self.store)
        except StoreError as exc:
            self._store_error(exc)

    def _restore_owners(self, detector: Detector, config: Config, starting: bool = False) -> None:
        """Let ``detector`` tell its owners' logins to the store, and seed it with those
        of the last ``stale_window`` (forgetting the older ones first). At the start a
        store that fails stops it, as its other reads do; at a reload it is said, and
        the detector knows the logins it reads from then on."""
        self.owners.attach(detector, config.policy)
        try:
            self.owners.forget(self.store)
            count = self.owners.restore(self.store, detector)
        except StoreError as exc:
            if starting:
                raise
            self._store_error(exc)
            return
        if count:
            LOG.info(
                "owners: %d earlier login(s) of the last %s recalled from the store",
                count,
                decisions.duration_text(config.policy.stale_window),
            )

    def _recall_owners(self, detector: Detector, config: Config) -> None:
        """At the first start (no mark in the store), the owners' logins of the last
        ``stale_window`` read back from the rotated logs and the journal, into
        ``detector`` and the store, before the warm-up and the backlog are acted on
        (see `owners` and `recall`). A stop request ends it (no mark: done again at
        the next start)."""
        policy = config.policy
        key = self._keys.owners
        if not policy.stale_window or self.store.get_position(key) is not None:
            return
        started = time.monotonic()
        reader = self.reader
        journal = None
        if reader.journal is not None and reader.journal_origin is not None:
            follower = reader.journal
            journal = (reader.journal_origin, follower.trust, follower.matches, follower.journalctl)

        def fresh() -> Detector:
            own = Detector(policy, detector.accounts, keep_history=False, detections=False)
            own.set_own_addresses(self._own)
            return own

        found = recall(
            reader.paths,
            policy.stale_window,
            fresh,
            lambda: self._stop,
            journal=journal,
            cap=policy.max_clients,
        )
        if found.stopped:
            LOG.info("owners: the look-back into the earlier logs was stopped")
            return
        for problem in found.problems[:MAX_PROBLEMS]:
            LOG.warning("owners: look-back: %s", decisions.clean(problem))
        if len(found.problems) > MAX_PROBLEMS:
            LOG.warning("owners: look-back: %d more problem(s)", len(found.problems) - MAX_PROBLEMS)
        window = decisions.duration_text(policy.stale_window)
        try:
            self.owners.recalled(self.store, detector, found.logins)
            mark: JSONValue = {
                "recalled": decisions.iso(datetime.now(UTC)),
                "logins": len(found.logins),
                "files": len(found.files),
                "journal": found.journal,
            }
            self.store.set_position(key, mark)
        except StoreError as exc:
            self._store_error(exc)
        LOG.info(
            "owners: first start: %d login(s) of the last %s recalled from %d log file(s)%s "
            "in %.1f s%s",
            len(found.logins),
            window,
            len(found.files),
            " and the journal" if found.journal else "",
            time.monotonic() - started,
            _partly_said(found),
        )

    def _forget_owners(self) -> None:
        try:
            self.owners.forget(self.store)
        except StoreError as exc:
            self._store_error(exc)

    def _store_error(self, exc: StoreError) -> None:
        """Count a failed store operation; say it once (again when the error changes, and
        every minute while it lasts): the revision is polled at every step, and a locked
        or full store must not write twenty lines a second to the journal."""
        self.counters.store_errors += 1
        message = decisions.clean(str(exc))
        now = time.monotonic()
        if message != self._store_said or now - self._store_said_at >= 60:
            self._store_said, self._store_said_at = message, now
            LOG.error("store: %s (%d store error(s) so far)", message, self.counters.store_errors)

    def _check_revision(self) -> None:
        """Apply what another process (``mailwarden ban``/``unban``, another host sharing
        the store) changed. The revision also moves with our own bans and expiries,
        which are applied already: when every step since the last look was ours
        (`Store.only_own_changes`), nothing is read back; reading every active ban after
        each of our own made deciding slower the more bans there were. Otherwise only
        the bans of the networks changed since the last look are read
        (`Store.changed_bans`): one ``mailwarden ban`` costs the same with 10 or 100,000
        active bans. All of them are read only at the first look, and when the revision
        went back (a damaged one written again). A read that fails is tried again at the
        next step. This host's addresses are read again first when the last reading is
        older than `OWN_FRESH`: a stored ban of one of them is never applied here."""
        try:
            revision = self.store.revision()
            if revision == self._revision:
                return
            known = self._revision
            if self.store.only_own_changes(known, revision):
                self._revision = revision
                return
            if self._own_addresses_stale():
                # Another host's ban may hold an address this host got a moment ago:
                # never applied here (read at most every `OWN_FRESH`, as before a ban).
                self._refresh_own_addresses()
            touched: frozenset[IPNetwork] | None = None
            if 0 <= known < revision:
                found = self.store.changed_bans(known)
                touched, active = found.networks, self._enforceable(found.active)
                if not touched:
                    # Another process moved the revision and no ban row says it changed:
                    # a writer that does not mark its rows (a daemon of a version before
                    # schema 3 during a rolling upgrade, a hand edit). Its change is
                    # picked up by the periodic rewrite, which reads every ban then.
                    self._unmarked = True
            else:
                active = self._enforceable(self.store.active_bans())
        except StoreError as exc:
            self._store_error(exc)
            return
        self._revision = revision
        if touched is None:
            wanted = self._wanted(active)
            add, remove = changes(self.applied.values(), wanted)
        else:
            add, remove = self._changed(touched, active)
        rows = {row.network: row for row in active}
        for entry in add:
            row = rows.get(entry.network)
            if row is not None:
                how = " (manual)" if row.source is Source.MANUAL else ""
                LOG.info("%s", decisions.ban_line(row, how=how))
        # The store counts in whole seconds (a ban ending at 12:00:00 is over from
        # 11:59:59.5): judged on the exact clock, a ban that another daemon sharing the
        # store expired in that last half second was said "lifted in the store".
        now = datetime.fromtimestamp(round(time.time()), UTC)
        lifted = 0
        for network in remove:
            old = self.applied.get(network)
            if old is not None and old.expires <= now:
                # Its time is up (the store reads only bans in force): not lifted.
                self._expired_said.add(network)
                self.counters.expired += 1
                LOG.info("ban of %s expired", network)
            else:
                lifted += 1
                LOG.info("unban %s: lifted in the store", network)
                self._forgive(network)
        if touched is None:
            self.applied = ActiveBans(wanted)
        else:
            for network in remove:
                self.applied.pop(network)
            for entry in add:
                self.applied.put(entry)
        if add or remove:
            self.counters.manual_changes += len(add) + lifted
            self._apply(add, remove)

    def _forgive(self, network: IPNetwork) -> None:
        """``mailwarden unban`` lifted the ban of ``network``: its failures before the
        unban never ban it again; its failures after it count from zero (the mark that
        it was reported, which held a new ban back for ``ban_time``, goes). "Before"
        is by log time: up to the unban's time as the store keeps it (whole seconds)
        plus half a second (`Detector.forgive`). A store that cannot say when (it fails
        now) leaves the detector as it is: no ban again for ``ban_time``, as before.
        A reload's new detector, warming up, forgives it too: its earlier lines are all
        before the unban, the new lines it is fed later count from it."""
        try:
            latest = self.store.history(limit=1, network=network)
        except StoreError as exc:
            self._store_error(exc)
            return
        if latest and latest[0].state is BanState.LIFTED and latest[0].ended is not None:
            until = latest[0].ended.timestamp() + UNBAN_SLACK
            self.detector.forgive(network, until)
            if self._warming is not None:
                self._warming.detector.forgive(network, until)

    def _forgive_unbans(self, detector: Detector) -> None:
        """Before the warm-up of ``detector``: the bans lifted by hand within the longest
        window (the lines it reads again) are forgiven (`_forgive`): the failures before
        an unban do not ban that address again, nor take it nearer a ban; the ones after
        it do."""
        since = datetime.now(UTC) - self.config.policy.longest_window
        try:
            lifted = self.store.lifted(since)
        except StoreError as exc:
            self._store_error(exc)
            return
        for row in lifted:
            if row.ended is not None:
                detector.forgive(row.network, row.ended.timestamp() + UNBAN_SLACK)

    def _changed(
        self, touched: frozenset[IPNetwork], active: Sequence[BanRow]
    ) -> tuple[list[BanEntry], list[IPNetwork]]:
        """What to add and remove for the networks whose bans changed in the store
        (`touched`), given their enforceable bans in force (`active`): as `_wanted` and
        `changes` over every ban, for these networks only. A ban the store failed to
        record stays unless the store now holds one of that network."""
        rows = {row.network: row for row in active}
        now = datetime.now(UTC)
        add: list[BanEntry] = []
        remove: list[IPNetwork] = []
        for network in sorted(touched, key=lambda net: (net.version, net)):
            row = rows.get(network)
            entry: BanEntry | None = None
            if row is not None:
                self._unrecorded.pop(network, None)
                entry = row.entry()
            elif network in self._unrecorded:
                ban = self._unrecorded[network]
                if self.policy.refusal(network) is not None:
                    del self._unrecorded[network]
                elif ban.entry.expires > now:
                    entry = ban.entry
            old = self.applied.get(network)
            if entry is None:
                if old is not None:
                    remove.append(network)
            elif old != entry:
                add.append(entry)
        return add, remove

    def _expire(self) -> None:
        """End the bans whose time is up, in the store and the firewall (where the
        kernel ended them already), and say each once; a ban the store never recorded
        ends here too."""
        now = datetime.now(UTC)
        ended = [n for n, ban in self._unrecorded.items() if ban.entry.expires <= now]
        for network in ended:
            del self._unrecorded[network]
            self.applied.pop(network)
            self.counters.expired += 1
            LOG.info("ban of %s expired (it was never recorded: the store failed)", network)
        try:
            expired = self.store.expire()
        except StoreError as exc:
            self._store_error(exc)
            expired = []
        said, self._expired_said = self._expired_said, set()
        for network in expired:
            self.applied.pop(network)
            if network not in said:
                self.counters.expired += 1
                LOG.info("ban of %s expired", network)
        if ended or expired:
            self._apply([], [*ended, *expired])

    def _prune(self) -> None:
        try:
            self.store.prune(datetime.now(UTC) - KEEP_HISTORY)
        except StoreError as exc:
            self._store_error(exc)

    def _journal_trust(self) -> JournalTrust:
        """Which journal entries to act on, from the configuration (its count and
        said-once state carried over a reload)."""
        trust = JournalTrust.for_users(self.config.sources.journal_users)
        if self._trust is not None:
            trust.adopt(self._trust)
        self._trust = trust
        return trust

    def _heartbeat(self, stopped: bool = False) -> None:
        now = datetime.now(UTC)
        stats = self.stats
        untrusted = self._trust.skipped if self._trust is not None else 0
        self.counters.journal_untrusted = untrusted
        value: dict[str, JSONValue] = {
            "pid": os.getpid(),
            "pid_place": self._pid_place,
            "version": __version__,
            "config": self.config.path,
            "backend": self.config.enforce.backend,
            "started": decisions.iso(self._started),
            "seen": decisions.iso(now),
            "stopped": decisions.iso(now) if stopped else None,
            "counters": {
                **dataclasses.asdict(self.counters),
                "lines": stats.lines,
                "skipped_lines": stats.skipped_total + untrusted,
                "alerts_sent": self.alerter.sent,
                "alerts_failed": self.alerter.failed,
                "alerts_dropped": self.alerter.dropped,
            },
            "problems": self._current_problems(),
            "warm_up": None,
        }
        warm = self._warming
        if warm is not None and not stopped:
            # A reload's new detector reading its earlier lines: ``status`` says so.
            value["warm_up"] = {"lines": warm.stats.lines, "since": decisions.iso(warm.began)}
        try:
            self.store.set_position(self._keys.daemon, value)
        except StoreError as exc:
            self._store_error(exc)
        if not stopped:
            self._keep_claim()

    def _keep_claim(self) -> None:
        """Say it when another daemon of this host name took the store while this one's
        claim was lost with its connection (a PostgreSQL restart): two daemons then
        count one attack twice, and one of them must stop."""
        holder = self.store.keep_claim()
        if holder is not None:
            self._store_error(
                StoreError(
                    f"this daemon lost its claim on the store (its connection ended) and "
                    f"{other_daemon(self.store, self.config, holder)}"
                )
            )

    def _current_problems(self) -> list[JSONValue]:
        """The last sources' problems, the followed files that cannot be read now, and a
        firewall that does not work now."""
        problems: list[JSONValue] = list(self._problems)
        if self._reader is not None:
            problems.extend(self._reader.files.failures())
        problems.extend(self._skews_said.values())
        if self._broken is not None and self._broken_since is not None:
            problems.append(
                f"firewall: {self._broken} (since {decisions.iso(self._broken_since)}; "
                "bans in the store may be missing from the firewall)"
            )
        return problems

    # -- detection state ------------------------------------------------------------------

    def _warm_up(self) -> None:
        """Feed the lines before each resume point to the detector (see `reading`), at
        once: at a start (nothing runs meanwhile: the backlog is acted on after it),
        and at a reload that changes ``[sources]`` (a new reader). A reload that keeps
        the sources warms its new detector up in slices instead (`_warm_slice`).

        Those lines were read before, so what they conclude is acted on only when no ban
        of that network was recorded since the attack: an attacker caught in the tail at
        the very first start is banned, one banned (or unbanned by hand) before a restart
        is left as it is, and no offence is counted twice. The bans lifted by hand are
        forgiven first (`_forgive_unbans`): the lines before an unban count for nothing,
        the ones after it from zero (the attacker who went on guessing after it is
        banned again, the one who stopped is not). The tail comes in pieces; a
        stop request between two ends the warm-up (nothing of it is acted on then).
        The tails of several inputs are fed merged by time, PAM's own lines first within
        a second (`scan.time_ordered`, as `_process_merged` feeds a poll), one piece of
        each at a time: auth.log's tail after mail.log's counted each attempt of
        Dovecot through PAM twice, and a restart banned a user for two typos.

        The tail covers the detector's longest window (`PolicyConfig.longest_window`, a
        day by default: a slow brute force survives a restart) within `WARMUP_BYTES`."""
        warm = self._begin_warm_up(self.detector, self._duplicates)
        try:
            self._warm_more(warm, None)
        finally:
            _close_tails(warm)
        self._end_warm_up(warm)

    def _begin_warm_up(
        self,
        detector: Detector,
        duplicates: CrossInputDuplicates | None,
        *,
        keep: bool = False,
    ) -> _WarmUp:
        """Forgive the recent unbans in ``detector`` (`_forgive_unbans`) and open the
        earlier lines of each input for it (read as they are fed: `_warm_more`), another
        input's copy of an entry dropped by ``duplicates``. ``keep``: the running
        detector judges the new lines meanwhile, kept for this one (a reload)."""
        self._forgive_unbans(detector)
        stats = ReadStats()
        framers: dict[str, Framer] = {}

        def framer(source: str) -> Framer:
            made = framers.get(source)
            if made is None:
                made = framers[source] = Framer(split_pasted=False, stats=stats, clock=_now)
            return made

        window = self.config.policy.longest_window
        tails = [
            self._until_stop(pieces)
            for pieces in self.reader.warmup(self.warmup_bytes, window=window)
        ]
        inputs = [self._framed(pieces, framer) for pieces in tails]
        records = inputs[0] if len(inputs) == 1 else time_ordered(inputs)
        return _WarmUp(
            detector,
            iter(records),
            tails,
            stats,
            duplicates,
            time.monotonic(),
            kept=[] if keep else None,
        )

    def _warm_more(self, warm: _WarmUp, until: float | None) -> bool:
        """Feed the warm-up's earlier lines to its detector, what they conclude kept for
        the end (`_end_warm_up`), until the monotonic time ``until`` (looked at every
        `WARM_BATCH` records; None: to their end). True when they ended (or a stop
        request ended them)."""
        feed = warm.detector.feed
        duplicates = warm.duplicates
        found = warm.found
        records = warm.records
        while True:
            for _ in range(WARM_BATCH):
                record = next(records, None)
                if record is None:
                    return True
                if duplicates is not None and not duplicates.first(record):
                    continue
                try:
                    for event in parse(record):
                        found.extend((detection, event) for detection in feed(event))
                except Exception as exc:
                    self._line_error(record.source, record.line, exc)
            if until is not None and time.monotonic() >= until:
                return False

    def _warm_slice(self) -> None:
        """A slice of a reload's warm-up (`WARM_SLICE` seconds of it), between two steps
        of the running detector; the switch to the new detector when its earlier lines
        are read. When the lines kept for it pass `WARM_KEEP_MAX`, the rest is read at
        once, as a warm-up did before slices (no ban meanwhile), and said."""
        warm = self._warming
        if warm is None:
            return
        until: float | None = time.monotonic() + self.warm_slice
        if warm.kept_size > WARM_KEEP_MAX:
            until = None
            LOG.warning(
                "warm-up: %d line(s) logged since the reload, of which more than %g MiB give "
                "events for the new detector: the rest of the warm-up is read at once (no "
                "ban until it ends)",
                warm.kept_lines,
                WARM_KEEP_MAX / (1 << 20),
            )
        if not self._warm_more(warm, until):
            return
        self._warming = None
        _close_tails(warm)
        self._end_warm_up(warm)
        self._due["heartbeat"] = 0.0  # status shows it ended

    def _end_warm_up(self, warm: _WarmUp) -> None:
        """The earlier lines read: act on what they concluded that no ban answered yet
        (`_unanswered`). At a reload, the new detector is fed the events of the lines the
        running one judged meanwhile (`_WarmUp.kept`, as it parsed them), as earlier
        lines too: it remembers them, and
        its own report of a client that the running detector banned meanwhile spends
        that client's failures on the ban, which is not made, said or recorded again;
        what only the new policy concludes is acted on now, and a compromise (or a
        possible one) it reports is said and alerted unless the running detector
        reported the same account's login from the same client meanwhile, even when its
        client is banned already. Then it takes over."""
        stats = warm.stats
        self.counters.warmup_lines = stats.lines
        if self._stop:
            LOG.info("warm-up: stopped after %d earlier line(s)", stats.lines)
            return
        kept = warm.kept
        if kept is not None:
            LOG.info(
                "warm-up: %d earlier line(s) read in %.1f s to rebuild the detection "
                "windows; the %d line(s) read meanwhile, judged at once by the running "
                "detector, go to the new one",
                stats.lines,
                time.monotonic() - warm.started,
                warm.kept_lines,
            )
        elif stats.lines:
            LOG.info(
                "warm-up: %d earlier line(s) read in %.1f s to rebuild the detection windows",
                stats.lines,
                time.monotonic() - warm.started,
            )
        detector = warm.detector
        # A reload's new detector: what the daemon told the running one (`answered`).
        previous = self._detector if self._replaced is None else self._replaced
        self._replaced = None
        if previous is not None and previous is not detector:
            detector.take_answered(previous)
        self._detector = detector
        batch: list[BanEntry] = []
        for detection, event in warm.found:
            decision = detection.decision()
            if decision is None or self.policy.refusal(normalize(decision.target)) is not None:
                continue  # a refusal was said when the line was first read
            if self._unanswered(detection):
                self._decide(detection, batch, event, warm=True)
        if kept is not None:
            for detection, event in self._replayed(detector, kept):
                self._replay_decide(warm, detection, event, batch)
            # Its held-back judgements that are due now (the housekeeping's): the ones
            # the running detector made meanwhile are not made again (nor at the new
            # one's next housekeeping), the others are made as the housekeeping does.
            for detection in detector.expire(silent=self.clock() - self._fed_at):
                if _judged_key(detection) in warm.judged:
                    self._replay_decide(warm, detection, None, batch)
                else:
                    self._decide(detection, batch, None)
        if batch:
            self._enforce(batch)

    def _replay_decide(
        self, warm: _WarmUp, detection: Detection, event: Event | None, batch: list[BanEntry]
    ) -> None:
        """Act on what the new detector concludes at the switch from what the running
        one judged meanwhile (`_end_warm_up`): only what it did not do already."""
        if detection.verdict is Verdict.COMPROMISED:
            # Said and alerted unless the running detector did meanwhile: an address
            # taken off the allow list, a lowered threshold; only the ban below is not
            # made twice.
            key = _compromise_key(detection)
            if key not in warm.compromises:
                warm.compromises.add(key)
                self._say_compromise(detection, batch)
        decision = detection.decision()
        if decision is None:
            return  # said (or watched) when the line was read
        target = normalize(decision.target)
        if self.policy.refusal(target) is not None:
            return  # said when the line was read
        holding = self._holding(target, datetime.now(UTC))
        if holding is not None:
            # Banned meanwhile by the running detector (said then), or held by a ban
            # that the new detector is told about as the running one was.
            self._tell_answered(detection, target, holding.expires, holding.network)
            return
        if self._unanswered(detection):
            self._decide(detection, batch, event, warm=True, said=True)

    def _replayed(
        self, detector: Detector, kept: list[Event]
    ) -> Generator[tuple[Detection, Event], None, None]:
        """What ``detector`` concludes from the lines the running detector judged during
        its warm-up (counted and said then: not again), fed the events the running
        detector parsed (`_WarmUp.kept`): they are not parsed again. The lines that gave
        no event are not kept: a detector is fed events only (its log time is theirs), and
        the silence clock of the held-back judgements (`_fed_at`) is the daemon's."""
        feed = detector.feed
        for event in kept:
            try:
                found = feed(event)
            except Exception as exc:
                LOG.debug("line error", exc_info=exc)
                continue
            for detection in found:
                yield detection, event

    def _drop_warm_up(self, stopping: bool = False) -> None:
        """End a reload's warm-up unfinished: the daemon stops (``stopping``), or a newer
        reload begins its own. The running detector stays (it read every new line)."""
        warm = self._warming
        if warm is None:
            return
        self._warming = None
        _close_tails(warm)
        self.counters.warmup_lines = warm.stats.lines
        if stopping:
            LOG.info("warm-up: stopped after %d earlier line(s)", warm.stats.lines)
        else:
            LOG.info(
                "warm-up: left after %d earlier line(s) for the newer reload's",
                warm.stats.lines,
            )

    def _until_stop(self, pieces: Iterator[Chunk]) -> Generator[Chunk, None, None]:
        """The warm-up's ``pieces`` of one input until a stop is requested (checked
        before each); closed with it (a tail not read to its end closes its file)."""
        try:
            for chunk in pieces:
                if self._stop:
                    return
                yield chunk
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    def _unanswered(self, detection: Detection) -> bool:
        """No ban answered the detection's attack: none of its network in force then or
        recorded since (that attack's own ban), nor one of a wider network holding it
        that was in force at the attack and enforced here. The running daemon skipped
        failures from inside a ban as banned already (`_decide`), and a restart or
        reload does not ban again for them once that ban has run out (a manual /25, an
        automatic /24 whose members' failures the warm-up reads again). One in force
        that the firewall leaves out past ``enforce.max_bans`` answered the attack until
        now: new failures ban, as they do in the running daemon. A wider ban this host
        does not enforce (over an allowed address or one of this host's, as status
        marks it 'not enforced') answered nothing here, nor did one begun after the
        attack: the attack is banned as the running daemon bans it."""
        if detection.time is None:
            return False
        target = normalize(detection.target)
        since = detection.time - timedelta(seconds=2)
        now = datetime.now(UTC)
        # The bans in force at the attack that answered it, when they end: the running
        # daemon skipped it as banned already and told its detector so (`_decide`); a
        # restart's or a reload's detector is told the same here, so that the client is
        # banned again once the one that ends last is over (a short wider ban ends long
        # before ban_time).
        ends: list[datetime] = []
        try:
            for row in self.store.lasting_bans(
                target, since, detection.time + timedelta(seconds=2)
            ):
                lasted = row.ended if row.ended is not None else row.until
                if row.network == target:
                    # Its own ban: recorded since the attack (its answer), or still in
                    # force after the attack's logged second (stamps are cut to the
                    # second: the slack goes forward only). One that ended a moment
                    # before new guessing answered none of it.
                    if row.since >= since:
                        if lasted - row.since < self.detector.policy.ban_time:
                            # A short one (an admin's, begun about as the attack was
                            # logged): the client is banned again once it ends.
                            self._tell_answered(detection, target, lasted)
                        return False
                    if lasted > detection.time + timedelta(seconds=1):
                        ends.append(lasted)
                    continue
                if self.policy.refusal(row.network) is not None:
                    continue  # not enforced here
                held = row.network in self.applied and self.enforcer.enforces(row.network)
                if row.state == "active" and row.until > now and not held:
                    # In force but left out past enforce.max_bans: the running daemon
                    # skipped the attack as held by it, and once the firewall left it
                    # out waited for new failures (`_tell_left_out`): so does this one.
                    ends.append(now)
                    continue
                ends.append(lasted)
            if ends:
                # The wider ban that holds it still is noted too (`_tell_left_out`).
                holding = self._holding(target, now)
                holder = None if holding is None else holding.network
                self._tell_answered(detection, target, max(ends), holder)
                return False
            latest = self.store.history(limit=1, network=target)
        except StoreError as exc:
            self._store_error(exc)
            return False
        if not latest:
            return True
        # The ban's own attack, in the log's time, as the detection is: a log whose stamps
        # run ahead of this host's clock (another host's, a wrong zone) made every
        # restart ban again, as a new offence, what was banned already.
        attack = decisions.evidence_time(latest[0].evidence)
        return latest[0].since < since and (attack is None or attack < since)

    def _count_silence(self) -> None:
        """Stop the silence clock (`_fed_at`) while a source cannot be read: a followed
        file failing (an I/O error, a permission lost: said in the log, retried), or
        journalctl not running (restarted 5 s later). That is no silent log: its lines
        may be waiting there, the statistics that confirm an owner's trailer login
        among them, and are read once it can be. The time since the last look does not
        count when a source could not be read then or now; the silence before goes on
        from where it stood once every source reads again. A followed file that does
        not exist is no error: the first line written to it makes it.

        For `SILENCE_HOLD` at most from when a source was first seen failing: one that
        stays broken (a log symlinked to /dev/null, a FIFO, EACCES on NFS, journalctl
        that never starts) would otherwise keep guessing behind a forged trailer on a
        quiet night from ever being judged. Past that the daemon says once (WARNING)
        that it judges silence without that source, and the clock runs again; once
        the source reads again, a later failure of it stops the clock again."""
        now = self.clock()
        failing = self.reader.unreadable()
        # A source newly failing may have failed since the last look: held from there.
        since = {source: self._unreadable.get(source, self._stepped_at) for source in failing}
        starts = [*since.values(), *self._unreadable.values()]
        if starts:
            held_until = max(min(now, start + SILENCE_HOLD) for start in starts)
            held = max(0.0, held_until - self._stepped_at)
            self._fed_at = min(now, self._fed_at + held)
        for source, start in sorted(since.items()):
            if now - start >= SILENCE_HOLD and source not in self._without:
                self._without.add(source)
                LOG.warning(
                    "%s: cannot be read for %g minutes: silence is judged without it "
                    "now (what waits for a reject-trailer login is judged after %g "
                    "minutes with no line from the other sources); its lines are read "
                    "once it can be",
                    source,
                    SILENCE_HOLD / 60,
                    DEFER_SECONDS / 60,
                )
        self._without &= failing
        self._stepped_at, self._unreadable = now, since

    def _housekeeping(self) -> None:
        # What the expiry finds (the held rejects of smtpd sessions gone silent, which
        # count once their session can no longer log in) is acted on as a line's would be.
        # What waits for a trailer login is judged once it waited DEFER_SECONDS by the
        # log's time plus the seconds since its latest line was read: a log gone quiet
        # (an attacker who paused, a server at night) moves its time on no more, and the
        # ban it holds came never. Counted from the reading, not from the log's time: a
        # backlog of hours ago, read at a start, is not that silent (its next piece
        # follows at once), and its lines are judged by their own times.
        found = self.detector.expire(silent=self.clock() - self._fed_at)
        warm = self._warming
        if found and warm is not None and warm.kept is not None:
            warm.judged.update(_judged_key(detection) for detection in found)
        if found:
            batch: list[BanEntry] = []
            for detection in found:
                self._decide(detection, batch, None)
            if batch:
                self._enforce(batch)
        forgotten = _detector_stat(self.detector, "clients_evicted")
        new = forgotten - self.counters.clients_forgotten
        if new > 0:
            self.counters.clients_forgotten = forgotten
            LOG.warning(
                "detector: more than %d clients at once: forgot the state of %d idle "
                "client(s) (policy.max_clients); networks are still counted",
                self.config.policy.max_clients,
                new,
            )

    def _own_addresses_stale(self) -> bool:
        """Is the last reading of this host's addresses older than `OWN_FRESH`?"""
        return time.monotonic() - self._own_read_at >= OWN_FRESH

    def _refresh_own_addresses(self) -> None:
        """Read this host's addresses again (every five minutes, and before a ban when
        the last reading is older than `OWN_FRESH`); a change rechecks the bans. A
        failure keeps the addresses known, and is said at most every five minutes."""
        now = time.monotonic()
        self._own_read_at = now
        try:
            own = self._own_addresses()
        except MailwardenError as exc:
            if now - self._own_failed_said >= OWN_ADDRESSES_EVERY or not self._own_failed_said:
                self._own_failed_said = now
                LOG.warning("cannot list this host's addresses: %s", decisions.clean(str(exc)))
            return
        if sorted(map(str, own)) != sorted(map(str, self._own)):
            self._own = own
            self._policy = ban_policy(self.config, own)
            self.detector.set_own_addresses(own)
            if self._warming is not None:
                self._warming.detector.set_own_addresses(own)
            LOG.info("this host's addresses changed: %s", ", ".join(map(str, own)))
            self._recheck_bans()

    def _recheck_bans(self, lift: bool = False) -> list[IPNetwork]:
        """The policy changed (a reload, this host's addresses): lift from the firewall at
        once a ban that it now refuses (an address just put on the allow list), and put
        back one that it allows again. ``lift`` (a reload): a ban this host enforced that
        lies entirely inside the new allow list is lifted in the store too
        (`_lift_refused`), and returned."""
        lifted = self._lift_refused() if lift else []
        try:
            active = self._enforceable(self.store.active_bans())
        except StoreError as exc:
            self._store_error(exc)
            return lifted
        wanted = self._wanted(active)
        add, remove = changes(self.applied.values(), wanted)
        self.applied = ActiveBans(wanted)
        if add or remove:
            self._apply(add, remove)
        return lifted

    def _lift_refused(self) -> list[IPNetwork]:
        """A reload's allow list now holds whole bans this host enforced (an address
        just put on the list, or a network around a banned one): each is lifted in the
        store, as ``mailwarden unban`` lifts one (its failures before it are forgiven:
        the reload's new detector reads the lift back, `_forgive_unbans`), and said in
        the log. Taking the address off the allow list again does not bring the old ban
        back. A ban that only contains an allowed address (a /24 around one allowed
        host) is kept out of the firewall (`_recheck_bans`), neither lifted nor
        forgiven: the other addresses in it guessed passwords, and taking the host off
        the list again puts the ban back. Nor is a ban only kept from the firewall,
        never enforced here (another host's in a shared store, or one the allow list
        named before this start): ``status`` says it is not enforced. The networks
        lifted are returned."""
        lifted: list[IPNetwork] = []
        for entry in list(self.applied.values()):
            allowed = self.policy.allow_entry_holding(entry.network)
            if allowed is None:
                continue
            refusal = f"{entry.network} is on the allow list ({allowed})"
            try:
                done = self.store.lift_ban(entry.network, f"lifted at reload: {refusal}")
            except StoreError as exc:
                self._store_error(exc)  # kept from the firewall all the same
                return lifted
            if done:
                LOG.info("unban %s: lifted at reload: %s", entry.network, refusal)
                lifted.append(entry.network)
        return lifted

    # -- reload ---------------------------------------------------------------------------

    def reload(self) -> None:
        """SIGHUP: read the configuration again; keep the running one if it is bad.

        Whatever the new file holds, the daemon keeps running: a file that cannot be
        read, checked or built into its parts is refused as a whole, and a failure
        while switching to it is logged (the parts switched so far stay)."""
        old = self.config
        try:
            new = load(old.path)
            preflight(new)
            enforcer = make_enforcer(new)
            if new.enforce != old.enforce:
                # The repair after the switch must not find the place refused: another's
                # table (a new place), or ours in a shape it would have to replace.
                if _place(new) == _place(old):
                    enforcer.take_over(self.enforcer)
                check_enforcer(new, enforcer)  # refused: the running one stays
            detector = make_detector(new)
            detector.set_own_addresses(self._own)
            policy = ban_policy(new, self._own)
        except ConfigError as exc:
            # Whole (up to 600 characters): the file, the key, the reason and its fix,
            # all the administrator's own text and ours, none of a client's.
            LOG.error(
                "reload refused: %s; keeping the running configuration",
                decisions.clean(str(exc), 600),
            )
            return
        except Exception as exc:  # a bug must not stop a daemon that was running fine
            LOG.error(
                "reload refused: %s: %s; keeping the running configuration",
                type(exc).__name__,
                decisions.clean(str(exc)),
            )
            LOG.debug("reload error", exc_info=exc)
            return
        for warning in policy_warnings(new):  # as at the start
            LOG.warning("%s", warning)
        try:
            self._switch_to(old, new, enforcer, detector, policy)
        except MailwardenError as exc:
            LOG.error("reload: %s", decisions.clean(str(exc)))
        except Exception as exc:
            LOG.error("reload: %s: %s", type(exc).__name__, decisions.clean(str(exc)))
            LOG.debug("reload error", exc_info=exc)

    def _switch_to(
        self, old: Config, new: Config, enforcer: Enforcer, detector: Detector, policy: BanPolicy
    ) -> None:
        sections = ("sources", "store", "enforce", "policy", "alerts")
        changed = [name for name in sections if getattr(old, name) != getattr(new, name)]
        if not changed:
            LOG.info("reload: %s: nothing changed", where(new))
            return
        if "store" in changed:
            LOG.warning("reload: [store] changes take effect at the next start")
            new = dataclasses.replace(new, store=old.store)
        self.config = new
        warming = self._warming
        live = (
            "policy" in changed
            and "sources" not in changed
            and _applies_live(
                old.policy,
                new.policy,
                warming.detector if warming is not None else self.detector,
                detector,
            )
        )
        if "policy" in changed:
            self._policy = policy
            lifted = self._recheck_bans(lift=True)
            if live:
                # The running detector takes the new allow list: no warm-up, the bans
                # and the firewall's repair go on at once; what a lifted ban's address
                # did before its lift is forgiven, as a new detector would be told. So
                # does the detector of an earlier reload that is warming up.
                self.detector.set_allow(new.policy.allow)
                if warming is not None:
                    warming.detector.set_allow(new.policy.allow)
                for network in lifted:
                    self._forgive(network)
        if "enforce" in changed:
            self._switch_enforcer(old, enforcer)
        if "alerts" in changed:
            self.alerter.close()
            self.alerter = Alerter(new.alerts)
        if "sources" in changed or ("policy" in changed and not live):
            self._commit()
            self._drop_warm_up()  # an earlier reload's: this one's warms up instead
            self._restore_owners(detector, new)
            if "sources" not in changed:
                # The same files: the reader goes on where it stands, a file renamed by a
                # rotation a moment ago still open for the writer's last lines (a new
                # reader would resume in the new file only, and lose them). The running
                # detector judges the new lines while the new one reads the earlier
                # ones, a slice at each step (`_warm_slice`): bans, the firewall's
                # repair and a stop do not wait for it. Its own filter of copies: the
                # running one's has seen the new lines' neighbours, read live.
                if new.policy.allow != old.policy.allow:
                    # The running detector judges by the new allow list meanwhile: an
                    # address taken off it is judged from its next line (banned now,
                    # not at the switch); the new detector counts its earlier lines.
                    self.detector.set_allow(new.policy.allow)
                self.reader.warm_up_from_here()
                self._warming = self._begin_warm_up(
                    detector, _duplicates_for(self.reader), keep=True
                )
                self._due["heartbeat"] = 0.0  # status shows it under way
                self._warm_slice()  # a short warm-up ends here
            else:
                self._replaced = self._detector  # its `answered` go to the new one
                self._detector = detector
                _say_journal_instead(new)
                self.reader.close()
                self._framers.clear()
                self._reader = Reader(
                    new.sources,
                    self.store,
                    self.stats,
                    self.tick,
                    self._journal_trust(),
                    self._keys,
                )
                self._held = {}  # their positions were committed: the new reader reads them
                self._held_since = {}
                self._read_up_to = {}
                backlog = self.reader.start()
                self._report_problems()
                # A new reader: its warm-up runs at once, its filter of copies shared with
                # the backlog and the new lines (a copy on each side of the new positions).
                self._duplicates = _duplicates_for(self.reader)
                self._warm_up()
                self._process(backlog)
            self._commit()
        LOG.info(
            "reload: %s: changed %s%s",
            where(new),
            ", ".join(changed),
            " (applied to the running detector, no warm-up)"
            if live
            else " (a new detector warms up; the running one judges the new lines until then)"
            if self._warming is not None
            else "",
        )

    def _switch_enforcer(self, old: Config, enforcer: Enforcer) -> None:
        same_place = _place(old) == _place(self.config)
        if not same_place and not self._remove_place(old, self.enforcer, "reload"):
            self._places_left.append(places.place_of(old.enforce))
        self._enforcer = enforcer
        self._record_place()
        self._repair = True  # ensure() + sync() at this step: new ports, new place
        self._repair_at = 0.0
        self._repair_delay = 0.0

    # -- where the bans go (see `places`) ----------------------------------------------

    def _start_place(self, config: Config, enforcer: Enforcer) -> None:
        """At start: set up the configured place, then remove the places where an
        earlier run put its bans that are not the configured one (``[enforce]`` changed
        while the daemon was stopped), as a reload removes the old one.

        The old place stays until the new one works: a new place that holds another's
        (``table = "filter"``) stops the start before anything is removed, and one the
        firewall refuses for now (repair) leaves the old place until the repair works.
        Only an old ipset place goes first when the new one is ipset too: both use the
        same chain (``MAILWARDEN``), which removing the old one would take away."""
        old = self._old_places()
        check_enforcer(config, enforcer)  # another's place: stop, the old one untouched
        here = config.enforce.backend
        first = [item for item in old if here == "ipset" == item[1].enforce.backend]
        later = [item for item in old if item not in first]
        still = self._leave_old_places(first, "start")
        self._places_left = still + [place for place, _, _ in later]  # kept until it works
        self._start_enforcer()
        if self._repair:
            self._leaving = later
            for _, old_config, _ in later:
                LOG.warning(
                    "start: the old %s is kept until %s works",
                    describe(old_config),
                    describe(config),
                )
        else:
            self._places_left = still + self._leave_old_places(later, "start")
        self._record_place()

    def _old_places(self) -> list[tuple[JSONValue, Config, Enforcer]]:
        """The places recorded in the store where an earlier run put its bans that are
        not the configured one, each with its configuration and enforcer."""
        here = places.place_of(self.config.enforce)
        recorded, left = places.places(self.store.get_position(self._keys.place))
        found: list[tuple[JSONValue, Config, Enforcer]] = []
        for place in [recorded, *left]:
            if place is None or place == here or any(place == seen for seen, _, _ in found):
                continue
            if isinstance(place, dict) and place.get("backend") == "none":
                continue  # a dry run put nothing anywhere
            old = places.config_at(self.config, place)
            try:
                enforcer = make_enforcer(old) if old is not None else None
            except ConfigError:
                enforcer = None
            if old is None or enforcer is None:
                LOG.warning(
                    "store: the record of an earlier place of the bans (%s) is not one "
                    "mailwarden writes: ignored",
                    decisions.clean(str(place)),
                )
                continue
            found.append((place, old, enforcer))
        return found

    def _leave_old_places(
        self, old: Sequence[tuple[JSONValue, Config, Enforcer]], when: str
    ) -> list[JSONValue]:
        """Remove these earlier places (never the configured one); those that cannot be
        removed (they hold another's, the firewall refuses), said with the commands
        that remove them and tried again at the next start, are returned."""
        here = places.place_of(self.config.enforce)
        still: list[JSONValue] = []
        for place, config, enforcer in old:
            if place != here and not self._remove_place(config, enforcer, when):
                still.append(place)
        return still

    def _leave_after_repair(self) -> None:
        """The configured place works at last: remove the earlier places a start kept
        while it failed (`_start_place`)."""
        pending = [place for place, _, _ in self._leaving]
        still = self._leave_old_places(self._leaving, "firewall")
        self._leaving = []
        self._places_left = [
            place for place in self._places_left if place not in pending or place in still
        ]
        self._record_place()

    def _remove_place(self, old: Config, enforcer: Enforcer, when: str) -> bool:
        """Remove the objects of ``enforcer``, the place ``old`` put the bans in (never
        what holds another's: `Enforcer.teardown` refuses it); else say what is left
        there and the commands that remove it. True when it is gone."""
        try:
            enforcer.teardown()
        except EnforceError as exc:
            LOG.warning(
                "%s: cannot remove the old %s: %s; the bans it holds may still block "
                "their clients until they end (unban cannot lift them): to remove it: %s",
                when,
                describe(old),
                decisions.clean(str(exc)),
                places.removal(old.enforce),
            )
            return False
        LOG.info(  # it may have been removed by hand already
            "%s: the old %s is removed (bans now go to %s)",
            when,
            describe(old),
            describe(self.config),
        )
        return True

    def _record_place(self) -> None:
        """Keep in the store where the bans go now, and the earlier places left."""
        here = places.place_of(self.config.enforce)
        self._places_left = [place for place in self._places_left if place != here]
        try:
            self.store.set_position(self._keys.place, places.record(here, self._places_left))
        except StoreError as exc:
            self._store_error(exc)


_LIVE_POLICY = frozenset({"allow", "ban_escalation", "max_ban_time"})
"""The `[policy]` keys a reload applies to the running detector (`_applies_live`): the
detector reads no other of them than ``allow``, which `Detector.set_allow` replaces."""


def _applies_live(old: PolicyConfig, new: PolicyConfig, running: Detector, built: Detector) -> bool:
    """Whether a reload's new policy can go to the running detector, without the warm-up
    of a new one: only `_LIVE_POLICY` keys changed, the users file lists the same
    accounts, and the allow list only grew (every network the old one held is inside
    one of the new one). A client taken off the allow list is judged on its earlier
    lines by the warm-up of a new detector, which its guessing before bans at once; so
    is any other change (thresholds, windows, prefixes: what was counted would differ)."""
    differ = {
        field.name
        for field in dataclasses.fields(old)
        if getattr(old, field.name) != getattr(new, field.name)
    }
    if not differ <= _LIVE_POLICY:
        return False
    if running.accounts is None:
        if built.accounts is not None:
            return False
    elif not running.accounts.same(built.accounts):
        return False
    return all(
        any(
            net.version == wider.version
            and int(wider.network_address) <= int(net.network_address)
            and int(net.broadcast_address) <= int(wider.broadcast_address)
            for wider in new.allow
        )
        for net in old.allow
    )


def _compromise_key(detection: Detection) -> tuple[str, str]:
    """A compromise's account and client: the same one reported by two detectors."""
    user = detection.data.get("user")
    return (str(user) if user else "", detection.ip or str(detection.target))


def _judged_key(detection: Detection) -> str:
    """The client (or network) a held-back judgement is about (`_WarmUp.judged`)."""
    return detection.ip or str(detection.target)


def _close_tails(warm: _WarmUp) -> None:
    """Close a warm-up's earlier pieces (a tail not read to its end closes its file)."""
    for pieces in warm.tails:
        pieces.close()


def _say_journal_instead(config: Config) -> None:
    """Say that the built-in defaults follow the journal, their log file missing."""
    note = journal_instead(config)
    if note is not None:
        LOG.info("%s", note)


def _duplicates_for(reader: Reader) -> CrossInputDuplicates | None:
    """A filter of cross-input copies when there are two inputs or more."""
    inputs = [*reader.paths, *([JOURNAL_SOURCE] if reader.journal is not None else [])]
    return CrossInputDuplicates(inputs) if len(inputs) > 1 else None


def _latest(records: Sequence[Record]) -> datetime | None:
    """The time of the last record that has one."""
    for record in reversed(records):
        if record.time is not None:
            return record.time
    return None


def _cut(records: Sequence[Record], bound: datetime) -> int:
    """Where the records after ``bound`` begin: at the first of the last run of records
    later than it (one without a time goes with the record before it)."""
    cut = len(records)
    for at in range(len(records) - 1, -1, -1):
        when = records[at].time
        if when is None:
            continue
        if when <= bound:
            break
        cut = at
    return cut


def _place(config: Config) -> tuple[str, ...]:
    enforce = config.enforce
    return (enforce.backend, enforce.table, enforce.ipset, enforce.postfix_map)


def _detector_stat(detector: Detector, name: str) -> int:
    """One of the detector's counters (0 when it does not keep that one)."""
    stats: Any = getattr(detector, "stats", None)
    if not isinstance(stats, dict):
        stats = getattr(detector, "_stats", {})
    value = stats.get(name, 0) if isinstance(stats, dict) else 0
    return value if isinstance(value, int) else 0


def _now() -> datetime:
    """The daemon's current time (aware): what its decisions and its framers' readings of
    a wall time the clocks went through twice (:class:`mailwarden.framing.Framer`) go by."""
    return datetime.now(UTC)
