"""The detector: events in, verdicts out, for the daemon and the analyzer alike.

One implementation serves both uses:

- the daemon calls :meth:`Detector.feed` for every event; it returns a
  :class:`Detection` the moment a client (or a network) crosses a threshold, with the
  reason and a few evidence events, and repeats it only when the client is still at it
  after ``policy.ban_time``, by failures since its ban that cross a threshold again (the
  ones before it were spent on it: :meth:`Detector._banned_until`), or sooner when the
  daemon says a shorter ban answered it (:meth:`Detector.answered`);
  :meth:`Detection.decision` turns it into a ban;
- the analyzer feeds a whole archive and calls :meth:`Detector.result` for an
  :class:`~mailwarden.detect.analysis.Analysis` (attackers, compromised accounts, decoded
  credentials, findings, counters). :func:`analyze` does both steps.

Rules (thresholds are ``[policy]`` keys, see :class:`~mailwarden.config.PolicyConfig`):

- **Counting**: sessions (:mod:`.sessions`) count each AUTH attempt once. A failure is a
  guess when the parser marked it strong. ``Connection lost to authentication server``
  is a guess only in the middle of the same client's guessing (Dovecot's penalty delay
  made Postfix give up); alone it is an outage (a server finding). ``AUTH command rate
  limit exceeded`` counts as a guess.
- **Brute force**: ``fast_failures`` within ``fast_window`` (``bruteforce``), unless
  they were each on a name of its own, tried no other time, fewer than
  ``enumeration_users`` names, spread over :data:`PEOPLE_APART` seconds, no two of
  them in one connection (colleagues behind an office's address mistyping, each in a
  connection of their own: a fourth name is enumeration; names of one smtpd session
  are judged at its disconnect line, :meth:`Detector._names_confirmed`);
  ``slow_failures`` within ``slow_window`` or ``daily_failures`` within ``daily_window``
  (``slow_bruteforce``, the attacks paced under fail2ban's 10-minute window).
- **Enumeration**: ``enumeration_users`` distinct usernames within ``enumeration_window``
  from one client (``enumeration``), or from the members of a spraying campaign together
  (each member a name or two of a long list: the campaign's finding says so, and the
  enumeration finding names the campaign; a campaign on fewer names is spraying only).
- **Probe**: a failure on a name bots try everywhere (``generic_users``) that is not a
  real account, on an account the ``--users`` list lacks, or one the server called an
  ``unknown user``: watched, not banned. ``honeypot_users``: one try is a ban.
- **Networks**: ``network_clients`` addresses of one ``ipv4_prefix``/``ipv6_prefix``
  network, each with a failure and no successful login, within ``network_window``:
  the network is the attacker (``network_member``); once someone logged in from it,
  it is watched, not banned, and a login as an account its other addresses tried within
  ``daily_window`` is named with it (the owner's, or the guessing that got in: the
  owner can tell). Fewer of its addresses than that, failing together as often as one
  client may (the slow brute-force rules on the network as one client: one attacker
  rotating its addresses of a /64 or a /24, a guess an hour each), make it an attacker
  too, unless one of them alone made more than half of those failures or each tried
  names of its own that no other tried, one or each once (people's typos; not
  ``enumeration_users`` addresses or more, each on an account of its own, within
  ``slow_window``: an attacker rotating its addresses, one account each), or each tried
  one real account, fewer than ``enumeration_users`` (people's phones with an old
  password in a carrier's pool; in a /64, each account from fewer than
  ``network_clients`` addresses; see :meth:`Detector._network_slow`). Those phones are
  no network attack within ``network_window`` either, each account from fewer than
  ``network_clients`` of its addresses, and from more than :data:`PHONE_ADDRESSES`
  only once from each (:meth:`Detector._phones`); a login as their accounts after the
  failures takes the network's verdict back in the analysis.
  The daemon hears of a network again when it is at it once its ban
  has run out (``ban_time``, as for a client). A network remembers its most recent
  :data:`~mailwarden.detect.state.MAX_MEMBERS_PER_NETWORK` addresses only: once it had
  more, its finding's ``member_count`` is a lower bound (``member_count_capped``), as
  is a detection's count of them (``256 or more addresses``); its ``failures`` are all.
  A network holding an address of this server (``lip=``,
  :meth:`Detector.set_own_addresses`) or of ``policy.allow`` is never judged as a whole
  (its ban would be refused): its addresses are judged each on its own.
- **Spraying**: clients are joined when they fail on the same account within
  ``spray_window`` (not two addresses of one IPv6 /64: one customer, for the network
  rule, unless the /64 holds an allow-listed or own address, which that rule never
  judges; nor two addresses of one IPv4 /24 that each tried that real account alone: its
  owner's phone moving through a carrier's pool); a group of ``spray_clients`` is a
  campaign (``spray_member``), one finding naming its members and targets; a client that
  joins through another brings that one's group in, and two campaigns it joins become
  one (the first's number; every reason and compromise names the number it goes by at
  the end). A group that becomes a campaign while another campaign is still guessing (a
  member of it failed since the group's first failure) joins that one: bots that try one
  name each of a list meet only on that name, a group per account, and are one botnet;
  guessing that began after another stopped is a campaign of its own. Groups below
  ``spray_clients`` never join so (people sharing an account).
- **Stale password**: failures with an account the client (or, for IPv6, its /64; failing
  that, another /64 of its ``wide_ipv6_prefix`` network, as a carrier re-attaching a
  phone gives) logged in as within ``stale_window`` are not guesses, and never banned.
  A name without a domain is that account too (``alice`` for alice@example.com, and the
  other way round: :func:`~mailwarden.detect.accounts.same_account`); two domains are two,
  and after a login without the domain a full name is its account only when no other
  domain is known for that name (:meth:`Detector._other_form`).
  Three of them on one account within ``daily_window`` (:data:`STALE_DEVICE_FAILURES`)
  are a device with an old password: reported under "Not attacks" (``stale_password``).
  For IPv6 they count per /64 too: a phone's privacy address (RFC 8981) changes every
  few hours, each failing a time or two; its addresses are then one device, one finding
  for the /64 (``members``, and ``logged_in_from``: that /64, or the wider network).
  Fewer are the owner's typos: reported as nothing (one mistyped password is not a stale device).
  More than ``stale_max_failures`` on one account within ``daily_window`` (counted from
  the first) are more than a device retries: guessing (``slow_bruteforce``, banned),
  and no longer a stale device: an owner's address is no free pass for guessing that
  account. The daemon keeps the owners' logins in its store (:attr:`Detector.on_owner`)
  and seeds a new detector with them (:meth:`Detector.remember_success`).
- **Enumeration finding**: the usernames counted are the ones attackers tried; a name
  tried only by clients that logged in as it and are judged nothing worse (its owner's
  typos) is left out.
- **Credentials in the log**: a user counts among the real users whose password the log
  shows only if a client that sent a password for the user logged in as the user (in
  that session, later, or before): an attacker's failed guess is no real password.
- **Compromise**: a successful login from a client judged to be guessing, or right
  after ``compromise_failures`` failures on that account from other clients within
  ``compromise_window`` (for a never-banned client, whose own guessing earns no verdict,
  its own failures count too; the reason says how many came from whom). An owner's
  typos in the window before their own login leave the account's failures (they count
  for no later login) and the client's (its count, times and names tried: colleagues
  behind one address mistyping through the day make no enumeration); so do its failures
  on the name without the domain, and a few on a misspelt name (:data:`TYPO_FAILURES`
  within :data:`TYPO_WINDOW`, :func:`~mailwarden.detect.accounts.typo_of`; never a real
  account's, nor those of a client already judged: :meth:`Detector._misspelt`). A slow
  brute force on one misspelt name alone, then the first login as the account from its
  address, is the owner's device set up with that name, fixed: no verdict, a
  ``misspelt_username`` finding (:meth:`Detector._misspelt_device`). The burst before a
  login counts the account's failures under both its names (``bob`` for
  bob@example.com, when no other domain's bob is known: :meth:`Detector._other_account`).
  A success after
  a person's typos (no threshold reached) is the owner logging in; so is a client judged
  only by association (its network, a campaign it joined through this very account, a
  generic name that turns out to be real) whose few failures were all on the account it
  logs in as (``carol`` for carol@example.com too): those verdicts are withdrawn. A
  login as an account nobody was guessing, from a client whose guessing was on one
  account or from which others log in too, is someone else behind the same address (an
  office's NAT: a phone with an old password there makes no break-in of every colleague
  who logs in); an earlier compromise is no guessing of its own. A compromise the owner
  must confirm (``by_others``: only other clients guessed; or the guessing before it was
  a few tries on that one account, or on one account from an address others log in
  from, or ``fast_failures`` at most in all with some on that account, at a person's
  pace: not tries on several names that banned the client as a program's,
  :meth:`Detector._banned_as_a_program`; or a try or two
  inside a campaign on it; or an IPv6 /64 that walked more addresses than a household's
  on that account alone: :meth:`Detector._walked_its_64`) is watched, not banned unless the
  client's own guessing earned a ban: the owner is asked first. Each (client, account)
  is reported once.
- **Never banned**: loopback and the server's own addresses (Dovecot's ``lip=``):
  judged and reported, recommendation ``none (this machine)``; ``policy.allow``: the
  same, recommendation ``none (allow-listed)`` (an allow-listed loopback or own address
  is this machine all the same).
- **Scanner**: no login attempt, ``scanner_events`` policy violations: watched.

Memory is bounded: client, account, network and owner states live in capped tables
(``policy.max_clients`` each) and expire after the longest window; open sessions are
capped the same way; a flood of addresses evicts the idlest states (counted, and said
in :attr:`Analysis.notes` and :attr:`Detector.stats`, which the daemon logs). With
``keep_history`` (the analyzer), the states of hostile clients are kept for the report
when they expire, up to the same cap. Evidence is a few lines per client, kept as
compact tuples (:data:`~mailwarden.detect.analysis.Evidence`) and turned into events only
for a report or a detection.

Cost: every event is one dictionary dispatch on its type; the events that cannot
matter (deliveries, TLS, postscreen passes) stop there or after a dictionary lookup. A
failed login runs one inlined path (client, account, network, rules); rules already
settled for a client are not evaluated again (:meth:`Detector._open_question`); times
are POSIX seconds, converted once per distinct timestamp.
"""

from __future__ import annotations

import heapq
import ipaddress
import math
import re
import socket
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, TypeVar, cast

from mailwarden.config import PolicyConfig, duration_text
from mailwarden.detect.accounts import (
    CUT,
    MAX_NAME,
    Accounts,
    account_key,
    clip_name,
    local_part,
    same_account,
    typo_of,
)
from mailwarden.detect.analysis import (
    BAN,
    BAN_VERDICTS,
    DOUBT_AFTER,
    DOUBT_BEFORE_MAX,
    DOUBT_FAILURES,
    DOUBT_GAP,
    DOUBT_IN_FLIGHT,
    DOUBT_PACE,
    DOUBT_PACE_BEFORE,
    FAILURES_AFTER_LOGIN,
    GUESSING_VERDICTS,
    LOOPBACK,
    NONE_ALLOWED,
    NONE_MISSPELT,
    NONE_STALE,
    NONE_THIS_MACHINE,
    OWN_ADDRESS,
    RANK,
    WATCH,
    Analysis,
    Attacker,
    Compromise,
    Evidence,
    SeenCredential,
    Verdict,
    compromise_advice,
    doubted_advice,
    evidence_event,
    evidence_events,
)
from mailwarden.detect.pieces import AfterPiece, after_piece
from mailwarden.detect.proxied import ProxiedSessions
from mailwarden.detect.server import ServerWatch
from mailwarden.detect.sessions import (
    SESSION_TIMEOUT,
    Session,
    SessionKey,
    SessionTracker,
    disconnect_failures,
    smtpd_key,
)
from mailwarden.detect.state import (
    MAX_CLIENTS_PER_ACCOUNT,
    MAX_STALE_USERS,
    MAX_SUCCEEDED,
    MAX_USERS_PER_CLIENT,
    NEVER,
    VERDICT_BIT,
    AccountState,
    Campaigns,
    ClientState,
    NetKey,
    NetworkState,
    OwnerState,
    StaleNetwork,
    Verdicts,
    evidence_of,
    is_v6,
    network_key,
    network_of,
    with_service,
    with_verdict,
)
from mailwarden.detect.windows import (
    StateTable,
    count_since,
    drop_latest,
    drop_oldest,
    most_within,
    push_times,
)
from mailwarden.model import (
    Action,
    Decision,
    Event,
    EventType,
    Finding,
    IPNetwork,
    Severity,
    Strength,
    address_key,
)
from mailwarden.parsers.dovecot import AFTER_PIECE, accepted_only
from mailwarden.parsers.sasl import Credential

_T = EventType
_THIS_MACHINE = (LOOPBACK, OWN_ADDRESS)
"""Why a client is never banned (:attr:`ClientState.allowed`) when it is this machine."""
_CAMPAIGN_NUMBER = re.compile(r"spraying campaign (\d+)")
_GUESSING_CAMPAIGN = re.compile(r"while spraying campaign (\d+) was guessing")
_STRONG = Strength.STRONG
_Tuple = TypeVar("_Tuple", bound=tuple[Any, ...])
_NOTHING: tuple[Detection, ...] = ()
EXPIRE_EVERY = 8192
_EXPIRE_MASK = EXPIRE_EVERY - 1
assert not EXPIRE_EVERY & _EXPIRE_MASK, "EXPIRE_EVERY is a power of two"
MAX_CREDENTIALS = 1000
MAX_COMPROMISES = 1000
MAX_OWNER_LOGINS = 16
"""Owners' logins after failures named by no account kept for the report's headline."""
MAX_REPORTED_MEMBERS = 50
WIDE_USERS_COUNTED = 10_000
"""A wide network's distinct usernames are counted up to about this many."""
MAX_FINDINGS_PER_KIND = 100
MAX_RENUMBERED = 4096
"""Reasons :meth:`Detector._renumbered` remembers in one analysis."""
MAX_SHARED_TUPLES = 4096
"""Distinct tuples of verdicts, reasons, usernames and services that one :meth:`Detector.
result` shares between its attackers (:meth:`Detector._shared`)."""
_DROP_SPRAY = 1
_DROP_NETWORK = 2
"""What :meth:`Detector._verdict_form` leaves out of a client's verdicts: its spraying
campaign's (a person after all, or too few others left), its network's (no longer
flagged)."""
CAMPAIGNS_LOOKED_AT = 32
"""Flagged campaigns (the newest) looked at for one still guessing, when another group of
clients becomes a campaign (:meth:`Detector._active_campaign`)."""
ACTIVE_MEMBERS_LOOKED_AT = 64
"""Members of a campaign (the last to join) looked at to tell whether it is still
guessing, when another group of clients becomes a campaign (:meth:`Detector._active_campaign`)."""
MAX_DETECTION_USERS = 10
MAX_PENDING_UNAVAILABLE = 10_000
"""Clients whose lost connection to the authentication server waits for guesses around
it; beyond, the oldest are taken for outages."""
MAX_WAITING = 16
"""Lost connections of one client waiting so, one entry each; beyond, the newest entry
stands for the lines that follow it (judged together, with their count)."""
ACCOUNT_TIMES = 64
"""Failure times remembered per account (the burst before a compromise is counted up to
this many)."""
PEOPLE_APART = 10.0
"""Seconds that failures on names of their own, tried once each, must spread over to be
colleagues behind one address mistyping (:meth:`Detector._colleagues`): people type, so
several of them failing within a few seconds of each other are one program."""
STALE_DEVICE_FAILURES = 3
"""Failures with one account, from a client that had logged in as it, within
``policy.daily_window``, that make it a device with an old password (a ``stale_password``
finding, under "Not attacks"). Fewer are the owner's typos: reported as nothing."""
TYPO_WINDOW = 600.0
"""Seconds before a login within which failures on a misspelt form of its name (``mai``
for mia@example.com, :func:`~mailwarden.detect.accounts.typo_of`) from the same address
are the person's typos of their own name (:meth:`Detector._excuse_typos`)."""
MAX_LOGIN_DOMAINS = 256
TYPO_FAILURES = 3
"""The most failures on one misspelt name that a login can excuse so: a person retyping
the wrong name a time or two; more on it are guessing."""
MAX_HELD_REJECTS = 32
"""Rejects of one open smtpd session held until the session shows whether it logged in
(:meth:`Detector._hold`); more count at once."""
MAX_HELD_SESSIONS = 16_384
"""Open smtpd sessions with held rejects at most; past it the oldest tenth count theirs."""
MAX_DEFERRED = 32
"""Failures, logins and violations of an address whose reject-trailer login waits for its
session's end, kept to be judged after it (:meth:`Detector._defer`), at most; one more
and they are all judged at once, without it. Its failures and violations are bounded
lower (``policy.fast_failures``), and its wait (:data:`DEFER_SECONDS`)."""
DEFER_SECONDS = 300.0
"""Seconds that what an address does while its reject-trailer login waits may wait
(:meth:`Detector._defer`), from the first thing kept: Postfix's ``smtpd_timeout``
default, the time Postfix lets a client stay silent before it ends the session. The
session of an owner's refused request ends within seconds (the client quits or sends
its next message), and its statistics with it; a client that forged the trailer and
holds its session open delays the judging of its guessing by this at most (the daemon
sees it at its next housekeeping, every minute, also when no line comes after it: the
wait is counted on the daemon's clock then, from when the log's latest line was read)."""
HOUSEHOLD_ADDRESSES = 4
"""The most addresses of an IPv6 /64 that one account's owner's devices (a household's
phone, laptop and tablet) fail from with an old password, on that account alone, before
the owner's first login from there: a /64 whose addresses failed on it from more, with
``compromise_failures`` or more failures within ``daily_window``, walked its addresses
guessing it, and a login from it as that account is a Maybe break-in
(:meth:`Detector._walked_its_64`)."""
PHONE_ADDRESSES = 2
"""The most addresses of a carrier's pool (or a household's /64) one account's phone
fails from within ``network_window``, retrying its old password at each (it moves to
another address once or so in an hour): an account tried from more, more than once from
any of them, is a network guessing it, not its owner's phone; from more, once each, the
phone may be getting a new address for each connection (:meth:`Detector._phones`)."""

_SESSION_TYPES = frozenset(
    {
        _T.CONNECT,
        _T.DISCONNECT,
        _T.AUTH_FAILURE,
        _T.AUTH_SUCCESS,
        _T.AUTH_ABORTED,
        _T.AUTH_UNAVAILABLE,
        _T.AUTH_COMMAND,
        _T.CLIENT_DATA,
        _T.SERVER_REPLY,
        _T.LOST_CONNECTION,
        _T.TIMEOUT,
    }
)
"""Event types the session layer sees (any type with a Dovecot session id does too)."""
_BY_ASSOCIATION = frozenset({Verdict.NETWORK_MEMBER, Verdict.SPRAY_MEMBER, Verdict.PROBE})
"""Verdicts a person can earn by a typo: for the company it keeps, or the name it tried."""
_BY_ASSOCIATION_BITS = sum(VERDICT_BIT[v] for v in _BY_ASSOCIATION)
_GUESSING_BITS = sum(VERDICT_BIT[v] for v in GUESSING_VERDICTS)
_BRUTEFORCE = VERDICT_BIT[Verdict.BRUTEFORCE]
_SLOW = VERDICT_BIT[Verdict.SLOW_BRUTEFORCE]
_ENUMERATION = VERDICT_BIT[Verdict.ENUMERATION]
_PROBE = VERDICT_BIT[Verdict.PROBE]
_OWN_GUESSING = _BRUTEFORCE | _SLOW
"""A client's brute force on its own failures (not a network's: :meth:`Detector._network_slow`)."""
_SPRAY = VERDICT_BIT[Verdict.SPRAY_MEMBER]
_NOT_A_DEVICE = _BRUTEFORCE | _ENUMERATION | _SPRAY | VERDICT_BIT[Verdict.HONEYPOT]
"""Verdicts of a client's own guessing that no owner's device earns: a compromise by a
client with one of them is never in doubt (:data:`FAILURES_AFTER_LOGIN`). Not
``slow_bruteforce``: a phone with an old password polling for an hour earns it, and
:meth:`Detector._device_before` judges those failures' pace instead."""
_NETWORK = VERDICT_BIT[Verdict.NETWORK_MEMBER]
_COMPROMISED = VERDICT_BIT[Verdict.COMPROMISED]
_HONEYPOT = VERDICT_BIT[Verdict.HONEYPOT]
_SPENDING = BAN_VERDICTS - {Verdict.COMPROMISED}
"""Verdicts whose report bans a client for guessing (a compromise may be watched only):
the failures before it are spent (:meth:`Detector._banned_until`)."""
_COMPROMISE = Verdict.COMPROMISED
_VERDICT_SEVERITY = {
    Verdict.COMPROMISED: Severity.CRITICAL,
    Verdict.BRUTEFORCE: Severity.HIGH,
    Verdict.HONEYPOT: Severity.HIGH,
    Verdict.ENUMERATION: Severity.HIGH,
    Verdict.SLOW_BRUTEFORCE: Severity.HIGH,
    Verdict.SPRAY_MEMBER: Severity.HIGH,
    Verdict.NETWORK_MEMBER: Severity.HIGH,
    Verdict.PROBE: Severity.LOW,
    Verdict.SCANNER: Severity.LOW,
    Verdict.STALE_PASSWORD: Severity.INFO,
}

Handler = Callable[[Event, Session | None, int], list["Detection"] | None]


class Detection:
    """A client or network crossed a threshold: what, why, and what to do.

    ``target`` (the address as a /32 or /128, or for ``network_member`` the network) and
    ``evidence`` (events) are built when first read: the daemon reads them for the
    detections it bans, not for the many it only watches. ``data["users"]`` names the
    usernames the client tried, most tried first."""

    __slots__ = (
        "_evidence",
        "_items",
        "_target",
        "data",
        "ip",
        "reason",
        "recommendation",
        "time",
        "verdict",
    )

    def __init__(
        self,
        verdict: Verdict,
        target: IPNetwork | None,
        ip: str | None,
        recommendation: str,
        reason: str,
        time: datetime | None,
        evidence: tuple[Event, ...] | None = None,
        data: dict[str, Any] | None = None,
        items: tuple[Evidence, ...] = (),
    ) -> None:
        self.verdict = verdict
        self._target = target
        self.ip = ip
        """The client whose event decided it."""
        self.recommendation = recommendation
        """``ban``, ``watch``, ``none (allow-listed)``, ``none (this machine)``,
        ``none (stale password …)``."""
        self.reason = reason
        self.time = time
        self._evidence = evidence
        self._items = items
        self.data: dict[str, Any] = data if data is not None else {}

    @property
    def target(self) -> IPNetwork:
        """The address (/32, /128) or, for ``network_member``, the network."""
        target = self._target
        if target is None:
            assert self.ip is not None, "a detection names an address or a network"
            target = self._target = ipaddress.ip_network(self.ip)
        return target

    @property
    def evidence(self) -> tuple[Event, ...]:
        evidence = self._evidence
        if evidence is None:
            evidence = self._evidence = evidence_events(self._items)
        return evidence

    def __repr__(self) -> str:
        return (
            f"Detection({self.verdict}, {self.ip or self.target}, {self.recommendation!r}, "
            f"{self.reason!r})"
        )

    def finding(self) -> Finding:
        return Finding(
            kind=str(self.verdict),
            severity=_VERDICT_SEVERITY[self.verdict],
            subject=str(self.target),
            evidence=self.evidence,
            data={"reason": self.reason, "recommendation": self.recommendation, **self.data},
        )

    def decision(self, duration: timedelta | None = None) -> Decision | None:
        """A ban for the enforcer, or None when the recommendation is not ``ban``.
        ``duration`` is the caller's (the store knows repeat offenders)."""
        if self.recommendation != BAN:
            return None
        return Decision(
            action=Action.BAN,
            target=self.target,
            reason=self.reason,
            duration=duration,
            finding=self.finding(),
        )


class _Limits:
    """The policy in seconds, and the reasons that do not depend on the client, computed
    once."""

    def __init__(self, policy: PolicyConfig) -> None:
        def s(delta: timedelta) -> float:
            return delta.total_seconds()

        # At least one: the failure being judged is always within its own window.
        self.fast = (max(1, policy.fast_failures), s(policy.fast_window))
        self.slow = (max(1, policy.slow_failures), s(policy.slow_window))
        self.daily = (max(1, policy.daily_failures), s(policy.daily_window))
        self.capacity = max(policy.fast_failures, policy.slow_failures, policy.daily_failures)
        self.enumeration = (policy.enumeration_users, s(policy.enumeration_window))
        self.network = (policy.network_clients, s(policy.network_window))
        self.spray = (policy.spray_clients, s(policy.spray_window))
        self.compromise = (policy.compromise_failures, s(policy.compromise_window))
        self.stale = s(policy.stale_window)
        self.unavailable = (policy.unavailable_failures, s(policy.unavailable_window))
        self.ban = s(policy.ban_time)
        self.retention = max(
            s(policy.fast_window),
            s(policy.slow_window),
            s(policy.daily_window),
            s(policy.enumeration_window),
            s(policy.network_window),
            s(policy.spray_window),
            s(policy.compromise_window),
            s(policy.unavailable_window),
        )
        self.text = {
            "fast": duration_text(policy.fast_window),
            "slow": duration_text(policy.slow_window),
            "daily": duration_text(policy.daily_window),
            "enumeration": duration_text(policy.enumeration_window),
            "network": duration_text(policy.network_window),
            "spray": duration_text(policy.spray_window),
            "compromise": duration_text(policy.compromise_window),
        }
        self.fast_reason = (
            f"{policy.fast_failures} or more failed logins within {self.text['fast']}"
        )
        self.slow_rules = tuple(
            (needed, window, f"{needed} or more failed logins within {self.text[name]}")
            for name, (needed, window) in (("slow", self.slow), ("daily", self.daily))
        )


class _Waiting:
    """What an address did while its reject-trailer login waits (:meth:`Detector._defer`):
    each judging, in order, the time of the first, and the guesses among them."""

    __slots__ = ("guesses", "items", "since")

    def __init__(self) -> None:
        self.items: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.since: float | None = None
        self.guesses = 0


def _drop(table: dict[Any, Any], hit: Callable[[Any], bool]) -> None:
    """Remove the entries of ``table`` whose key ``hit`` says."""
    for key in [key for key in table if hit(key)]:
        del table[key]


def _at_least(times: Sequence[float] | None, needed: int, since: float) -> bool:
    """At least ``needed`` of the (sorted) ``times`` at or after ``since``: the same as
    ``count_since(times, since) >= needed`` while ``needed`` is within their capacity."""
    if needed <= 0:
        return True
    return times is not None and len(times) >= needed and times[-needed] >= since


def _one_account(client: ClientState) -> bool:
    """Whether every name ``client`` failed with is a form of one account
    (:func:`same_account`: ``grace`` and ``grace@example.com``)."""
    users = client.users
    if users is None:
        return True
    if client.users_full:
        return False
    names = list(users)
    return all(same_account(a, b) for a in names for b in names)


class Detector:
    """Feed events in log order; get detections as they happen and an analysis at the end.

    ``accounts``: the real accounts (``--users``), to tell probes from typos and say which
    targeted accounts exist. ``keep_history``: keep hostile clients for :meth:`result`
    when their state expires (the analyzer); the daemon passes False and relies on the
    detections it already acted on. ``detections``: build :class:`Detection` values for
    :meth:`feed` to return (the analyzer, which only wants :meth:`result`, passes False).
    ``late_pam``: PAM's own line of a failed login may come after Dovecot's or Postfix's
    line of it (the daemon, following auth.log and mail.log poll by poll): it is then
    taken for that attempt, not another one (``SessionTracker.late_pam``).
    """

    def __init__(
        self,
        policy: PolicyConfig | None = None,
        accounts: Accounts | None = None,
        keep_history: bool = True,
        detections: bool = True,
        late_pam: bool = False,
    ) -> None:
        self.policy = policy if policy is not None else PolicyConfig()
        self.accounts = accounts
        self.keep_history = keep_history
        self.detections = detections
        self._limits = _Limits(self.policy)
        self._generic_names = frozenset(account_key(n) for n in self.policy.generic_users)
        self._honeypot = frozenset(account_key(u) for u in self.policy.honeypot_users)
        self._allow = tuple(self.policy.allow)
        self._v4 = self.policy.ipv4_prefix
        self._v6 = self.policy.ipv6_prefix
        cap = self.policy.max_clients
        self._sessions = SessionTracker(max_open=cap, late_pam=late_pam)
        self._proxied = ProxiedSessions()
        self._pieces = AfterPiece()
        self._after_pieces = self._pieces.waiting  # tested on every event: empty, nearly always
        self._sessions.on_address = self._address_learned
        self._clients: StateTable[str, ClientState] = StateTable(cap, _last)
        self._accounts: StateTable[str, AccountState] = StateTable(cap, _last)
        self._networks: StateTable[NetKey, NetworkState] = StateTable(cap, _last)
        self._owners: StateTable[str | NetKey, OwnerState] = StateTable(cap, _last)
        self._wide_owners: StateTable[NetKey, OwnerState] = StateTable(cap, _last)
        """Accounts logged in as from each ``wide_ipv6_prefix`` network (a carrier's /48,
        whose /64s a phone changes when it re-attaches)."""
        self._archive: dict[str, ClientState] = {}
        self._archived_networks: dict[NetKey, NetworkState] = {}
        self._stale_nets: StateTable[NetKey, StaleNetwork] = StateTable(cap, _last)
        """IPv6 networks (``ipv6_prefix``) whose addresses failed with an account logged in
        as from there: their failures counted together (:meth:`_stale_in_network`)."""
        self._archived_stale: dict[NetKey, StaleNetwork] = {}
        self._lone: StateTable[NetKey, tuple[str, float, int]] = StateTable(cap, _second)
        """Networks with one failing address so far: (address, last failure, failures)."""
        self._campaigns = Campaigns()
        self._standing: set[int] = set()
        """The campaigns that still count (:meth:`result` works them out)."""
        self._still: dict[str, list[ClientState]] = {}
        """The members of each flagged campaign (by its root) that are still members
        (:meth:`_still_a_member`), in one :meth:`result`."""
        self._renumbered_texts: dict[str, str] = {}
        """:meth:`_renumbered`'s answers in one :meth:`result` (one text per campaign
        and reason, shared by its members)."""
        self._tuples: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        """:meth:`_shared`'s tuples in one :meth:`result`."""
        self._verdict_forms: dict[
            int,
            tuple[Verdicts, bool, bool, dict[int, tuple[tuple[Verdict, ...], tuple[str, ...]]]],
        ] = {}
        """:meth:`_attacker`'s work in one :meth:`result`, by the id of a client's verdicts
        (kept in the entry, which is checked): the tuple, whether it has a spraying
        campaign's verdict, whether a network's, and its :meth:`_verdict_form` by what a
        client drops."""
        self._phones_nets: dict[NetKey, bool] | None = None
        """:meth:`_network_flagged`'s answers in one :meth:`result` (asked once for each
        of a network's members); None while events come in (accounts turn real)."""
        self._people_nets: set[NetKey] = set()
        """Networks (``ipv4_prefix``/``ipv6_prefix``) a real user logged in from: never
        judged as a whole (a ban would lock that user out)."""
        self._network_logins: dict[NetKey, str] = {}
        """A flagged network's login as an account its other addresses had tried: said
        with the watched network (:meth:`_network_login`)."""
        self._reasons: dict[str | int, str] = {}
        """Reason texts shared by many clients (per account name, per campaign)."""
        self._real_names: set[str] = set()
        """Account names seen logging in: they exist, whatever the generic list says."""
        self._full_forms: dict[str, str] = {}
        """Local part -> the one full name (with a domain) seen logging in with it, ""
        when several domains did: which account a login without the domain was
        (:meth:`_other_form`)."""
        self._login_domains: set[str] = set()
        """Domains seen logging in (at most :data:`MAX_LOGIN_DOMAINS`)."""
        self._misspelt_devices: dict[str, Finding] = {}
        """Address -> its device set up with a misspelt user name (:meth:`_misspelt_device`),
        at most :data:`MAX_FINDINGS_PER_KIND`."""
        self._own: set[str] = set()
        """The server's own addresses (Dovecot ``lip=``, and :meth:`set_own_addresses`)."""
        self._own_lip: set[str] = set()
        """The ones Dovecot named (``lip=``)."""
        self._own_nets: set[NetKey] = set()
        """The networks (``ipv4_prefix``/``ipv6_prefix``) of :attr:`_own`: never judged as
        a whole (a ban of one would be refused: this host is in it)."""
        self.on_owner: Callable[[str, str, float, float | None], None] | None = None
        """Told of each owner's login (never an intruder's): the address, the account
        (:func:`~mailwarden.detect.accounts.account_key`), when, and when this address
        last logged in as it before (None: not known). The daemon keeps them in its
        store (:meth:`remember_success` at the next start)."""
        self._server = ServerWatch()
        self._credentials: list[SeenCredential] = []
        self._unresolved_sources: dict[int, str] = {}
        """Credentials (by index) decoded before their session's address showed: the
        setting that logged them."""
        self._compromises: list[Compromise] = []
        self._compromised: set[tuple[str, str | None]] = set()
        self._owner_logins: dict[str, tuple[str, str, int]] = {}
        """Owners' logins after failures that stay counted (:attr:`Analysis.owner_logins`),
        by address: the first, at most :data:`MAX_OWNER_LOGINS`."""
        """(client, account) of the compromises reported: each once (up to
        MAX_COMPROMISES; client.succeeded, a sample, covers the rest)."""
        self._after_login: dict[tuple[str, str], list[Any]] = {}
        """(client, account) of each compromise reported with an account -> [when it
        logged in, its failed connections as the account after that (not those within
        :data:`DOUBT_IN_FLIGHT` of the login), the last one's seconds and time, whether
        a pause of more than :data:`DOUBT_GAP` ended the counting, whether its failures
        before the login were a device's (:meth:`_device_before`), whether it logged in
        as the account again before any of those failures, whether it did after one]:
        what makes the login doubtful (:data:`FAILURES_AFTER_LOGIN`)."""
        self._doubted: set[str] = set()
        """Clients whose every compromise is in doubt or ``by_others``, some in doubt
        (set by :meth:`result`): unsure, watched."""
        self._unconfirmed: set[str] = set()
        """Clients whose compromise the owner must confirm (``by_others``: only others
        guessed, or a few tries on that one account): watched, not banned, unless their
        own guessing earned a ban."""
        self._events = 0
        self._failures_counted = 0
        self._failures_forgiven = 0
        self._stale_failures = 0
        self._unavailable_ignored = 0
        self._unavailable_counted = 0
        self._forgiven: dict[str, float] = {}
        """Addresses whose ban was lifted by hand (:meth:`forgive`) -> until when their
        failures are forgiven (POSIX seconds, log time)."""
        self._forgiven_nets: dict[IPNetwork, float] = {}
        """The same for networks wider than one address."""
        self._wider_held: dict[str, IPNetwork] = {}
        """Reported clients the daemon skipped as held by a wider network's ban
        (:meth:`held_by`) -> that network; dropped with the client, as ``_answered``."""
        self._held_in: dict[IPNetwork, set[str]] = {}
        """The same, by network: ``_wider_held`` turned around."""
        self._answered: dict[str, float] = {}
        """Clients whose latest report the daemon skipped as banned already, by a ban
        that ends sooner than ``ban_time`` after it (a wider network's, a shorter one of
        its own: :meth:`answered`) -> when that ban ends (POSIX seconds): their verdicts
        may be reported again from then on, not only ``ban_time`` after the report."""
        self._pending_unavailable: dict[str, list[tuple[float, Event, int]]] = {}
        """``Connection lost to authentication server`` lines not yet judged, by client:
        one with too few failures before it counts when failures follow (see
        :meth:`_on_unavailable`)."""
        self._unavailable_next = float("inf")
        """The latest line of the oldest waiting client when last looked at, lowered by
        every client that waits since: until the window passes it, none is due
        (:meth:`_expire_unavailable`, which need not walk the dict for each lost
        connection). With lines out of time order a client may wait a little longer, as
        behind an older one it always could."""
        self._logins_seen = 0
        self._credentials_decoded = 0
        self._clients_evicted = 0
        self._hostile_dropped = 0
        self._unattributed = 0
        self._networks_evicted = 0
        self._held: dict[SessionKey, list[Event]] = {}
        """Hostile rejects of open smtpd sessions not known to have logged in, by session,
        until the session shows whether it did (:meth:`_hold`)."""
        self._tentative: dict[SessionKey, Event] = {}
        """Logins taken from a reject line's SASL trailer, by open smtpd session, until
        the session's disconnect statistics confirm them (:meth:`_feed_trailer_login`)."""
        self._tentative_ips: dict[str, int] = {}
        """How many tentative logins each address has waiting."""
        self._deferred: dict[str, _Waiting | None] = {}
        """By address with a tentative login: what its later lines made it do (a failure,
        a login, a violation), to be judged after that login counts or is dropped
        (:meth:`_defer`); None once it waited too long or too much came."""
        handlers: dict[EventType, Handler] = {
            _T.AUTH_FAILURE: self._on_failure,
            _T.AUTH_UNAVAILABLE: self._on_unavailable,
            _T.DISCONNECT: self._on_disconnect,
            _T.RATE_LIMITED: self._on_rate_limited,
            _T.TLS_ESTABLISHED: self._on_tls,
            _T.TLS_SETUP: self._on_tls_setup,
            _T.SERVER_REPLY: self._on_reply,
            _T.REJECT: self._on_reject,
            _T.AUTH_SUCCESS: self._on_auth_success,
            _T.AUTH_ABORTED: self._on_nothing,
        }
        self._handlers = handlers
        dispatch: dict[EventType, Callable[[Event], Sequence[Detection]]] = {}
        for etype in EventType:
            handler = handlers.get(etype)
            if etype in _SESSION_TYPES:
                dispatch[etype] = self._session_feeder(handler or self._after_other)
            elif handler is not None:
                dispatch[etype] = self._plain_feeder(handler)
            else:
                dispatch[etype] = self._feed_other
        dispatch[_T.TLS_ESTABLISHED] = self._feed_tls
        dispatch[_T.LOST_CONNECTION] = dispatch[_T.TIMEOUT] = self._feed_interruption
        dispatch[_T.DISCONNECT] = self._feed_disconnect
        dispatch[_T.CONNECT] = self._feed_connect
        dispatch[_T.AUTH_FAILURE] = self._feed_failure
        dispatch[_T.DEBUG] = self._feed_debug
        dispatch[_T.AUTH_COMMAND] = dispatch[_T.CLIENT_DATA] = self._feed_client_line
        self._feed_login = dispatch[_T.AUTH_SUCCESS]
        dispatch[_T.AUTH_SUCCESS] = self._feed_trailer_login
        self._dispatch = dispatch

    # -- feeding -----------------------------------------------------------------------

    def feed(self, event: Event) -> Sequence[Detection]:
        """Take one event (in log order); return what it made cross a threshold."""
        events = self._events = self._events + 1
        expired = self.expire() if not events & _EXPIRE_MASK else None
        user = event.user
        if user is not None and len(user) > MAX_NAME:
            event = event._replace(user=clip_name(user))  # bounded bytes per entry too
        server_ip = event.server_ip
        if server_ip is not None and server_ip not in self._own:
            self._own_lip.add(server_ip)
            self._own_changed(self._own | {server_ip})
        if self._after_pieces:
            # The line after a piece of a cut Dovecot message: its login proves no device.
            event = self._pieces.judge(event)
        early: list[Detection] | None = None
        if (
            event.type is _T.AUTH_SUCCESS
            and event.ip is not None
            and self._sessions.holds_any
            and self._sessions.release_held_of(event.ip, event.session)
        ):
            early = self._released()  # the address's held failures, before its login
        found = self._dispatch[event.type](event)
        if early:
            found = [*early, *found]
        if self._sessions.released:
            released = self._released()
            if released:
                found = [*found, *released]
        if expired:
            # What the expiry judged (held rejects of silent sessions, what waited for a
            # trailer login too long) is found at this line: the daemon acts on what
            # feed returns.
            return [*expired, *found]
        return found

    def _released(self) -> list[Detection]:
        """PAM lines the session layer deferred for Postfix's line of their attempt, which
        no line took (:attr:`SessionTracker.released`): one failed attempt each, now."""
        tracker = self._sessions
        events = tracker.released[:]
        tracker.released.clear()
        found: list[Detection] = []
        for event in events:
            ip = event.ip
            if ip is None or event.strength is Strength.WEAK or not event.hostile:
                continue
            found += self._failure(ip, event.user, 1, event)
        return found

    def set_own_addresses(self, addresses: Iterable[str | IPNetwork]) -> None:
        """This host's addresses (the daemon reads them from the system; each an address
        or its /32 or /128), in place of the ones given before; the ones Dovecot named
        (``lip=``) stay. Like those, they are never banned, and a network
        (``ipv4_prefix``/``ipv6_prefix``) holding one is never judged as a whole: its ban
        would be refused, so each of its addresses is judged on its own."""
        given = set()
        for address in addresses:
            text = str(address)
            try:
                if "/" in text:
                    given.add(str(ipaddress.ip_network(text, strict=False).network_address))
                else:
                    given.add(str(ipaddress.ip_address(text)))
            except ValueError:
                continue
        self._own_changed(given | self._own_lip)

    def _own_changed(self, own: set[str]) -> None:
        self._own = own
        nets = set()
        for ip in own:
            net, _ = network_key(ip, self._v4, self._v6)
            if net is not None:
                nets.add(net)
        self._own_nets = nets

    def set_allow(self, allow: Iterable[IPNetwork]) -> None:
        """A new ``policy.allow`` in place of the one given (the daemon's reload of an
        allow list that only grew): what was counted stays, and from now on each client
        and network is judged by the new list: one inside it is never recommended for a
        ban, nor joins a spraying campaign from now on, nor links the next client to try an
        account it tried into one (one that joined before stays a member); a network
        holding an address of it is judged address by address. A client the old list
        allowed and the new one does not is judged on what it does
        from now on (the daemon gives it to the running detector that way during a
        reload's warm-up, while the new detector counts its earlier lines)."""
        self._allow = tuple(allow)
        self.policy = replace(self.policy, allow=self._allow)
        newly: set[str] = set()
        for clients in (self._clients, self._archive):
            for ip, client in clients.items():
                if client.allowed not in _THIS_MACHINE:
                    was = client.allowed
                    client.allowed = self._allowed(ip, False)
                    if was is None and client.allowed is not None:
                        newly.add(ip)
        if newly:
            # An account's last client links the next one to try it into a campaign: a
            # client allowed now links nobody, as if it had been allowed from the start
            # (what a detector warmed up with this list would have).
            for account in self._accounts.values():
                if account.last_client in newly:
                    account.last_client = None
        for networks in (self._networks, self._archived_networks):
            for state in networks.values():
                state.allowed = None  # worked out again when next asked

    def _tracked(self, event: Event, handler: Handler) -> Sequence[Detection]:
        """An event the session layer sees first, then ``handler``."""
        tracker = self._sessions
        session, new = tracker.feed(event)
        out: list[Detection] | None = None
        if tracker.decoded:
            self._decoded(event)
        if tracker.logins:
            out = self._logins()
        found = handler(event, session, new)
        if found:
            out = found if out is None else out + found
        return out if out else _NOTHING

    def _session_feeder(self, handler: Handler) -> Callable[[Event], Sequence[Detection]]:
        def feed(event: Event) -> Sequence[Detection]:
            return self._tracked(event, handler)

        return feed

    def _plain_feeder(self, handler: Handler) -> Callable[[Event], Sequence[Detection]]:
        def feed(event: Event) -> Sequence[Detection]:
            if event.session is not None:
                return self._tracked(event, handler)
            found = handler(event, None, 0)
            return found if found else _NOTHING

        return feed

    def _feed_other(self, event: Event) -> Sequence[Detection]:
        """A type without a rule of its own and outside sessions (queued, postscreen,
        DNSBL, non-SMTP commands, …): only a strong hostile one changes anything."""
        if event.session is not None:
            return self._tracked(event, self._after_other)
        if event.hostile and event.ip is not None:
            return self._other_hostile(event) or _NOTHING
        return _NOTHING

    def _feed_debug(self, event: Event) -> Sequence[Detection]:
        """Debug output; one that carries a password (Dovecot's auth_debug_passwords,
        Cyrus's ``authentication pass``) is a credential the log exposes; a login
        proxy's line marks its session (detect.proxied)."""
        detail = event.detail
        if detail is not None:
            if AFTER_PIECE in detail:
                self._pieces.mark(event)
                return _NOTHING
            self._proxied.mark(event)
            if "password_logged" in detail:
                tracker = self._sessions
                # Cyrus's decoded copy of the client line just before it is that line's
                # credential, counted with it: once.
                echo = tracker.echoes_client_line(event)
                if "decoded" in detail:
                    # Cyrus's decoded AUTH LOGIN line. Its client line lost, it is the
                    # session's username or password step, counted with the session's
                    # credential.
                    found = self._tracked(event, self._after_other)
                    if tracker.cyrus_taken:
                        tracker.cyrus_taken = False
                        tracker.cyrus_user = None
                    elif not echo:
                        self._password_logged(event, event.ip)
                    return found
                if not echo:
                    self._password_logged(event, event.ip)
            elif "challenge" in detail or "sasl_user" in detail:
                # The SASL backend's answer at -v: the session's AUTH LOGIN step.
                found = self._tracked(event, self._after_other)
                if self._sessions.renamed:
                    self._renamed()
                return found
        return self._feed_other(event)

    def _feed_client_line(self, event: Event) -> Sequence[Detection]:
        """A client's AUTH line or its answer to a 334 prompt (``-v`` chat or TLS dump):
        the chat's whole copy of a line the TLS dump cut makes the credential the cut
        copy gave whole (:attr:`SessionTracker.renamed`)."""
        self._server.dumped(event)
        found = self._tracked(event, self._after_other)
        if self._sessions.renamed:
            self._renamed()
        return found

    def _feed_tls(self, event: Event) -> Sequence[Detection]:
        if event.session is not None:
            return self._tracked(event, self._on_tls)
        self._server.tls_established(event)
        return _NOTHING

    def _feed_interruption(self, event: Event) -> Sequence[Detection]:
        """``lost connection after X`` / ``timeout after X``: they only tell the session
        layer that an AUTH exchange was cut (weak events change no client state)."""
        tracker = self._sessions
        session, new = tracker.interruption(event)
        if tracker.decoded or tracker.logins or (event.hostile and event.strength is _STRONG):
            return self._after_tracked(event, session, new, self._after_other)
        return _NOTHING

    def _feed_trailer_login(self, event: Event) -> Sequence[Detection]:
        """A login. One taken from a reject line's SASL trailer is the client's text when
        it forged the trailer in its HELO name and padded the line so that Postfix's
        record cut (or the stripping of the spaces that end it) leaves it looking real:
        it is tentative until the session ends. Its disconnect statistics with
        ``auth=1`` (or more) confirm it; statistics without a successful AUTH drop it
        (its rejects count then); an end without statistics (Postfix < 3.0, a new
        connect of the process, the end of input, :data:`MAX_HELD_SESSIONS`) counts it,
        as before, but after what its address did meanwhile. A session silent for
        :data:`SESSION_TIMEOUT` keeps it waiting: a legitimate session may stay open that
        long, and a forged trailer must not count. Held with the session's rejects, in
        their bounds. Meanwhile what the address does next is judged after it
        (:meth:`_defer`, for :data:`DEFER_SECONDS` and a few guesses at most): as if the
        login had counted (or not) at its own time, when the statistics tell in time."""
        detail = event.detail
        if detail is not None:
            # A password "accepted" on a login proxy is no proof (detect.proxied).
            judged = self._proxied.judge(event)
            if judged is not event:
                return self._dispatch[judged.type](judged)
        if detail is not None and detail.get("source") == "reject":
            key = smtpd_key(event)
            if key is not None:
                tentative = self._tentative
                if key in tentative:
                    return _NOTHING  # one login a session: the first trailer names it
                found: list[Detection] = []
                if len(tentative) >= MAX_HELD_SESSIONS:
                    for old in list(tentative)[: MAX_HELD_SESSIONS // 10]:
                        found += self._confirm(old, None)
                tentative[key] = event
                ip = event.ip
                if ip is not None:
                    self._tentative_ips[ip] = self._tentative_ips.get(ip, 0) + 1
                    if ip not in self._deferred:
                        self._deferred[ip] = _Waiting()
                return found or _NOTHING
        return self._feed_login(event)

    def _confirm(self, key: SessionKey | None, logged_in: bool | None) -> list[Detection]:
        """The session ``key`` of a tentative trailer login (:meth:`_feed_trailer_login`)
        ended: its statistics show a successful AUTH (``logged_in``), and the login counts,
        then what its address did since is judged (:meth:`_defer`), as after it; they
        show none (False), and the login is dropped as forged, what the address did
        judged without it; the end shows nothing (None: no statistics), and the login
        counts when the address did nothing since; when it did, that is judged without
        the login, and the login is dropped as the statistics would have dropped a
        forged one: nothing but the statistics makes failures an owner's old password,
        and a login that came before the failures is no break-in by them."""
        login = self._tentative.pop(key, None) if key is not None else None
        if login is None:
            return []
        ip = login.ip
        waiting = None
        if ip is not None and ip in self._tentative_ips:
            left = self._tentative_ips[ip] - 1
            waiting = self._deferred.pop(ip, None)
            if left:
                self._tentative_ips[ip] = left
            else:
                del self._tentative_ips[ip]
        found = list(self._feed_login(login)) if logged_in else []
        acted = waiting is not None and bool(waiting.items)
        if waiting is not None and waiting.items:
            found += self._replay(waiting.items)
        if logged_in is None and not acted:
            found += self._feed_login(login)
        if ip is not None and ip in self._tentative_ips and ip not in self._deferred:
            # another session of the address still waits: what comes next waits for it
            self._deferred[ip] = _Waiting() if waiting is not None else None
        return found

    def _defer(
        self,
        ip: str,
        waiting: _Waiting,
        judge: Callable[..., Any],
        args: tuple[Any, ...],
        event: Event,
        guesses: int,
    ) -> list[Detection]:
        """Keep ``judge(*args)`` (a failure, a login, a violation of ``ip``: ``event``, of
        ``guesses`` failed logins or violations) until the tentative trailer login of
        ``ip`` counts or is dropped (:meth:`_confirm`): a failure after an owner's login
        is the owner's (a device's old password), one after a forged trailer a guess, and
        a login is no break-in for guessing that came after it. The address waits no
        longer (a client that forged a trailer and holds its session open does not keep
        its guessing from being judged) once its first line kept is
        :data:`DEFER_SECONDS` old (also at :meth:`expire`), or it would keep more than
        ``policy.fast_failures`` guesses (a brute force's count: an owner's phone with an
        old password makes fewer while the session of a refused request lasts), or
        :data:`MAX_DEFERRED` lines: all are judged now, without that login, and what
        the address does until its sessions end too."""
        when = self._sessions.seconds(event)
        since = waiting.since
        if since is None:
            since = waiting.since = when
        count = waiting.guesses + guesses
        if (
            when - since <= DEFER_SECONDS
            and count <= self.policy.fast_failures
            and len(waiting.items) < MAX_DEFERRED
        ):
            waiting.items.append((judge, args))
            waiting.guesses = count
            return []
        found = self._stop_waiting(ip, waiting)
        more = judge(*args)
        if more:
            found += more
        return found

    def _stop_waiting(self, ip: str, waiting: _Waiting) -> list[Detection]:
        """What ``ip`` did while its trailer login waits is judged now, without that login,
        and what it does next at once (:meth:`_defer`)."""
        self._deferred[ip] = None
        return self._replay(waiting.items)

    def _release_deferred(self, before: float) -> list[Detection]:
        """What addresses did while their trailer logins wait, kept since before
        ``before``: judged now, without those logins (:data:`DEFER_SECONDS`)."""
        found: list[Detection] = []
        for ip, waiting in list(self._deferred.items()):
            if waiting is not None and waiting.since is not None and waiting.since < before:
                found += self._stop_waiting(ip, waiting)
        return found

    @staticmethod
    def _replay(waiting: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Detection]:
        """Judge what :meth:`_defer` kept, in the order it came."""
        found: list[Detection] = []
        for judge, args in waiting:
            more = judge(*args)
            if more:
                found += more
        return found

    def _feed_connect(self, event: Event) -> Sequence[Detection]:
        """A new connection of an smtpd process: the session before it on that process
        ended without its disconnect line, and did not show a login: its held rejects
        count (:meth:`_hold`); its tentative trailer login counts, after what its
        address did meanwhile (:meth:`_confirm`)."""
        before = self._confirm(smtpd_key(event), None) if self._tentative else None
        found = self._tracked(event, self._after_other)
        if before:
            found = [*before, *found]
        if self._held:
            held = self._release(smtpd_key(event), logged_in=False)
            if held:
                return [*held, *found]
        return found

    def _feed_disconnect(self, event: Event) -> Sequence[Detection]:
        before = None
        if self._tentative:
            # Statistics (Postfix 3.0+) confirm a trailer login (auth=1) or show it forged;
            # an older Postfix's disconnect shows nothing (None).
            detail = event.detail
            auth_ok = detail.get("auth_ok") if detail is not None else None
            before = self._confirm(smtpd_key(event), None if auth_ok is None else auth_ok != "0")
        found = self._disconnected(event)
        if before:
            found = [*before, *found]
        if self._held:
            # The session's end: its statistics say whether it logged in (auth=1).
            auth_ok = event.detail.get("auth_ok") if event.detail is not None else None
            held = self._release(smtpd_key(event), logged_in=bool(auth_ok and auth_ok != "0"))
            if held:
                return [*held, *found]
        return found

    def _disconnected(self, event: Event) -> Sequence[Detection]:
        tracker = self._sessions
        session, new = tracker.disconnect(event)
        found: Sequence[Detection] = _NOTHING
        if tracker.decoded or tracker.logins or new > 0:
            found = self._after_tracked(event, session, new, self._on_disconnect)
        elif event.hostile and event.strength is _STRONG:
            # _on_disconnect: a strong disconnect without failed AUTH commands (failed
            # ``unknown=`` commands) is a policy violation.
            detail = event.detail
            stats = detail.get("stats") if detail is not None else None
            if not stats or "auth=" not in stats or event.attempts <= 0:
                found = self._after_tracked(event, session, new, self._on_disconnect)
        if session is not None and session.names_at is not None:
            more = self._names_confirmed(session, event)
            if more:
                found = [*found, *more]
        return found

    def _names_confirmed(self, session: Session, event: Event) -> list[Detection]:
        """The end of an smtpd session whose failures named two accounts or more
        (:attr:`Session.names_at`): when its ``disconnect from`` line is its client's and
        its statistics count every AUTH command its lines showed, they were all of that
        one connection, a mail program trying names. (Lines seen without their
        ``connect from`` line may be of several connections of one smtpd process, one
        after another, when the disconnect lines between are not in the log: the
        statistics then count fewer.) No colleagues behind one address share a
        connection: the client's failures are judged again without that excuse
        (:meth:`_colleagues`)."""
        ip = session.ip
        at = session.names_at
        if (
            at is None
            or ip is None
            or event.ip != ip
            or session.end != "disconnect"
            or session.attempts_seen > event.attempts
        ):
            return []
        return self._one_connection(ip, event, at)

    def _one_connection(
        self, ip: str | None, event: Event, at: float | None = None
    ) -> list[Detection]:
        """:meth:`_one_program` for ``ip``, whose connection failed on another account
        at ``at`` (the time of ``event`` when None), after what :meth:`_defer` keeps of
        the address."""
        if ip is None:
            return []
        if at is None:
            at = self._sessions.seconds(event)
        if self._deferred:
            waiting = self._deferred.get(ip)
            if waiting is not None:
                return self._defer(ip, waiting, self._one_program, (ip, at, event), event, 0)
        return self._one_program(ip, at, event)

    def _one_program(self, ip: str, at: float, event: Event) -> list[Detection]:
        """``ip`` failed on another account at ``at`` in a connection that had failed on
        one before (:meth:`_names_confirmed`): its latest ``fast_failures`` within
        ``fast_window`` are a brute force, colleagues' typos no longer."""
        client = self._clients.get(ip)
        if client is None:
            return []
        if at > client.names_in_connection:
            client.names_in_connection = at
        times = client.times
        if not times:
            return []
        when = times[-1]
        detections = self.detections
        if client.flags & _BRUTEFORCE and not (
            detections and self._open_question(client, Verdict.BRUTEFORCE, when)
        ):
            return []
        n, fresh = self._unspent(client, times)
        if self._fast_bruteforce(client, times, n, when, fresh):
            found: list[Detection] = []
            self._flag(client, Verdict.BRUTEFORCE, self._limits.fast_reason, event, when, found)
            return found
        return []

    def _unspent(self, client: ClientState, times: list[float]) -> tuple[int, float]:
        """How many of ``client``'s failure ``times`` count, and the earliest time that
        does: in the daemon, the failures up to its latest ban were spent on it."""
        if self.detections and client.reported:
            banned = self._banned_until(client)
            return len(times) - bisect_right(times, banned), math.nextafter(banned, math.inf)
        return len(times), -math.inf

    def _fast_bruteforce(
        self, client: ClientState, times: list[float], n: int, when: float, fresh: float
    ) -> bool:
        """Whether the latest ``fast_failures`` of ``client``'s ``n`` counting failure
        ``times`` (none before ``fresh``) fall within ``fast_window`` of ``when``, and
        are no colleagues' typos."""
        needed, window = self._limits.fast
        return (
            needed <= n
            and times[-needed] >= when - window
            and not self._colleagues(client, max(when - window, fresh))
        )

    def _feed_failure(self, event: Event) -> Sequence[Detection]:
        """An AUTH failure: the session layer says how many guesses it adds (0 when
        another line of the same attempt counted it), then :meth:`_failure` (the
        checks of :meth:`_on_failure`, inlined)."""
        tracker = self._sessions
        session, new = tracker.failure(event)
        if tracker.decoded or tracker.logins:
            return self._after_tracked(event, session, new, self._on_failure)
        if event.service == "smtp" and (new > 0 or event.ip is not None):
            self._server.auth_on_service(event)
        reason = event.reason
        if reason and "given password" in reason:
            self._password_logged(event, event.ip or (session.ip if session else None))
        names = session is not None and self._names_in_connection(session, event)
        if new <= 0:
            if event.service is not None:
                self._service_of_counted(event)
            if names and session is not None:
                # Another line of the attempt counted it (PAM's), judged then as maybe
                # colleagues'.
                return self._one_connection(event.ip or session.ip, event) or _NOTHING
            return _NOTHING
        ip = event.ip
        if ip is None:
            if session is None or session.ip is None:
                self._unattributed += new
                return _NOTHING
            ip = session.ip
        if event.strength is Strength.WEAK or not event.hostile:
            return _NOTHING
        user = event.user
        if user is None and session is not None:
            user = session.last_account()
        found = self._failure(ip, user, new, event, names)
        return found if found else _NOTHING

    def _service_of_counted(self, event: Event) -> None:
        """A failure another line of the same attempt counted (Dovecot's auth process
        names no service; the login process's line does, ``imap-login: … auth
        failed``): the client's services gain the one this line names."""
        client = self._clients.get(event.ip) if event.ip is not None else None
        service = event.service
        if client is not None and service is not None and service not in client.services:
            client.services = with_service(client.services, service)

    def _after_tracked(
        self, event: Event, session: Session | None, new: int, handler: Handler
    ) -> Sequence[Detection]:
        tracker = self._sessions
        out: list[Detection] | None = None
        if tracker.decoded:
            self._decoded(event)
        if tracker.logins:
            out = self._logins()
        found = handler(event, session, new)
        if found:
            out = found if out is None else out + found
        return out if out else _NOTHING

    @property
    def stats(self) -> dict[str, int]:
        """The counters so far, cheaply (the daemon's log and status; :meth:`result` has
        them too). ``clients_evicted`` and ``sessions_evicted`` say the caps were hit."""
        return {
            "events": self._events,
            "failures_counted": self._failures_counted,
            "failures_forgiven": self._failures_forgiven,
            "stale_failures": self._stale_failures,
            "auth_unavailable_ignored": self._unavailable_ignored,
            "auth_unavailable_counted": self._unavailable_counted,
            "logins": self._logins_seen,
            "credentials_decoded": self._credentials_decoded,
            "clients_evicted": self._clients_evicted,
            "hostile_dropped": self._hostile_dropped,
            "unattributed_failures": self._unattributed,
            "clients_tracked": len(self._clients) + len(self._archive),
            "sessions_open": len(self._sessions.open),
            "sessions_evicted": self._sessions.evicted,
        }

    def feed_all(self, events: Iterable[Event]) -> None:
        feed = self.feed
        for event in events:
            feed(event)

    def remember_success(self, ip: str, user: str, when: float) -> None:
        """Seed an owner's successful login learned elsewhere (the daemon's store after a
        restart: :attr:`on_owner` gave it), so that a device with a stale password is
        recognised. ``ip`` may be the first address of the owner's network (an IPv6
        /64): the same owner, and for IPv6 the same wider network."""
        key = account_key(user)
        owner = self._owner(ip, create=True)
        if owner is not None:
            owner.add(key, when)
            self._wide_owner_add(ip, None, key, when)
            # Someone logged in from its network: watched, not banned as a whole, as the
            # detector that read the login itself judges it (:meth:`_person_in_network`).
            self._person_in_network(ip, None)

    def owner_network(self, ip: str) -> IPNetwork | None:
        """The network whose logins stand for the owners of ``ip``: the address itself
        (IPv4), or its ``ipv6_prefix`` network (an IPv6 /64, whose privacy addresses
        change daily). None when ``ip`` is not an address."""
        net, _ = network_key(ip, self._v4, self._v6)
        if net is None:
            return None
        if net & 1:
            return network_of(net, self._v4, self._v6)
        try:  # the parsers give an IPv4-mapped address as the IPv4 one
            return ipaddress.ip_network(ip)
        except ValueError:
            return None

    # -- handlers ----------------------------------------------------------------------

    def _on_failure(
        self, event: Event, session: Session | None, new: int
    ) -> list[Detection] | None:
        ip = _client_of(event, session)
        if event.service == "smtp" and (new > 0 or event.ip is not None):
            # Not Cyrus's own line of an attempt (no address; Postfix's line counts it).
            self._server.auth_on_service(event)
        reason = event.reason
        if reason and "given password" in reason:
            self._password_logged(event, ip)
        names = session is not None and self._names_in_connection(session, event)
        if new <= 0:
            return self._one_connection(ip, event) if names else None
        if ip is None:
            self._unattributed += new
            return None
        if event.strength is Strength.WEAK or not event.hostile:
            return None  # a weak failure (invalid mechanism, disabled user): no guess
        user = event.user
        if user is None and session is not None:
            # Postfix before 3.9 does not log the username; a decoded AUTH payload of the
            # same session does (smtpd_tls_loglevel 4, verbose chat).
            user = session.last_account()
        return self._failure(ip, user, new, event, names)

    def _names_in_connection(self, session: Session, event: Event) -> bool:
        """Whether ``event``, a failure of ``session``, named another account than the
        session's first failure that named one (noted here), in a Dovecot login session
        (its session id: one client connection): a mail program trying names, never
        colleagues behind one address, each with a connection of their own
        (:meth:`_colleagues`). In an smtpd session it is only noted
        (:attr:`Session.names_at`): its lines are known to be one connection's when its
        ``disconnect from`` statistics count them all (:meth:`_names_confirmed`). One
        person's forms of one name are the same name (:func:`_same_name`: another form
        of the account, a typo of it, the local part at another domain or with a part
        more, a name the log cut off that the other begins with). Only guesses count (strong,
        hostile failures), whether this line or another line of the attempt counted it."""
        if event.strength is Strength.WEAK or not event.hostile:
            return False
        user = event.user
        if user is None:
            user = session.last_account()
            if user is None:
                return False
        key = account_key(user)
        first = session.failed_as
        if first is None:
            session.failed_as = key
            return False
        if _same_name(first, key):
            return False
        if session.kind == "dovecot":
            return True
        session.names_at = self._sessions.seconds(event)
        return False

    def _on_unavailable(
        self, event: Event, session: Session | None, new: int
    ) -> list[Detection] | None:
        """In the middle of the client's guessing (``unavailable_failures`` of its
        failures within ``unavailable_window`` before or after it) the authentication
        server's lost connection is Dovecot's penalty delay making Postfix time out: a
        guess. Alone it is an outage. With too few failures before it, it waits for the
        window to pass: a failure of the client within it decides (:meth:`_failure`)."""
        ip = _client_of(event, session)
        needed, window = self._limits.unavailable
        when = self._sessions.seconds(event)
        if when - window > self._unavailable_next:
            self._expire_unavailable(when - window)
        if ip is None:
            self._outage(event)
            return None
        client = self._clients.get(ip)
        if client is not None and _at_least(client.times, needed, when - window):
            self._unavailable_counted += 1
            return self._failure(ip, event.user, 1, event)
        pending = self._pending_unavailable
        waiting = pending.pop(ip, None)  # back in at the young end: the order is by age
        if waiting is None:
            if len(pending) >= MAX_PENDING_UNAVAILABLE:
                # The oldest tenth at once: one at a time costs more each time (drop_oldest).
                for old in drop_oldest(pending):
                    for _, earlier, count in old:
                        self._outage(earlier, count)
            waiting = []
        while waiting and waiting[0][0] < when - window:
            _, earlier, count = waiting.pop(0)  # the window passed with no guess around it
            self._outage(earlier, count)
        if len(waiting) >= MAX_WAITING:
            # A client losing the connection this often: the newest line stands for the
            # ones it joins, judged together (no line is called an outage early).
            _, latest, count = waiting[-1]
            waiting[-1] = (when, latest, count + 1)
        else:
            waiting.append((when, event, 1))
        pending[ip] = waiting
        if when < self._unavailable_next:
            self._unavailable_next = when
        return None

    def _outage(self, event: Event, count: int = 1) -> None:
        self._unavailable_ignored += count
        for _ in range(count):
            self._server.auth_unavailable(event)

    def _expire_unavailable(self, before: float) -> None:
        """Lost connections older than ``before`` with no guessing around them:
        outages (the oldest waiting clients first; judged by their latest line, up to the
        first one still within it). One pass from the old end: deleting and calling
        next(iter(pending)) again would walk the freed slots at the front of the dict each
        time."""
        pending = self._pending_unavailable
        stale: list[str] = []
        following = float("inf")
        for ip, waiting in pending.items():
            if waiting[-1][0] >= before:
                following = waiting[-1][0]
                break
            stale.append(ip)
        self._unavailable_next = following
        for ip in stale:
            for _, event, count in pending.pop(ip):
                self._outage(event, count)

    def _judge_unavailable(self, client: ClientState, when: float) -> list[Detection]:
        """``client`` failed at ``when``: its lost connections waiting within the window
        with enough failures around them now count as guesses; those the window has
        passed are outages; the rest wait on."""
        waiting = self._pending_unavailable.pop(client.ip)
        needed, window = self._limits.unavailable
        found: list[Detection] = []
        later: list[tuple[float, Event, int]] = []
        times = client.times or []
        for at, event, count in waiting:
            around = sum(1 for t in times if at - window <= t <= at + window)
            if around >= needed:
                self._unavailable_counted += count
                found.extend(self._failure(client.ip, event.user, count, event))
            elif when - at > window:
                self._outage(event, count)
            else:
                later.append((at, event, count))
        if later:
            self._pending_unavailable[client.ip] = later
            if later[-1][0] < self._unavailable_next:
                self._unavailable_next = later[-1][0]
        return found

    def _on_disconnect(
        self, event: Event, session: Session | None, new: int
    ) -> list[Detection] | None:
        ip = _client_of(event, session)
        if ip is None:
            return None
        if new > 0:
            user = session.last_account() if session is not None else None
            return self._failure(ip, user, new, event)
        if event.hostile and event.strength is _STRONG and not disconnect_failures(event):
            return self._other_hostile(event)
        return None

    def _on_rate_limited(
        self, event: Event, session: Session | None, new: int
    ) -> list[Detection] | None:
        ip = _client_of(event, session)
        if ip is None:
            return None
        detail = event.detail or {}
        what = (detail.get("limit", "") + " " + (event.reason or "")).lower()
        if "auth" not in what:
            return self._other_hostile(event)
        found = self._failure(ip, event.user, 1, event)
        client = self._clients.get(ip)
        if client is not None:
            count = detail.get("count")
            more = f" ({count} AUTH commands)" if count else ""
            reason = f"exceeded the server's AUTH command rate limit{more}"
            when = self._sessions.seconds(event)
            self._flag(client, Verdict.BRUTEFORCE, reason, event, when, found)
        return found

    def _on_tls(self, event: Event, session: Session | None, new: int) -> None:
        self._server.tls_established(event)

    def _on_tls_setup(self, event: Event, session: Session | None, new: int) -> None:
        self._server.tls_setup(event)

    def _on_reply(self, event: Event, session: Session | None, new: int) -> None:
        self._server.reply(event)
        self._server.dumped(event)

    def _on_reject(self, event: Event, session: Session | None, new: int) -> list[Detection] | None:
        """A reject. One in an smtpd session that logged in refused what an account
        holder asked for (relay denied, an unknown recipient): no policy violation of the
        address. Postfix writes the login's SASL trailer on reject lines only since 3.x
        (the parser takes the login from it); before, a ``client=…, sasl_username=`` line
        may show it first, or only the ``auth=1`` of the statistics at the end: a reject
        of an open session is held until then (:meth:`_hold`)."""
        self._server.reply(event)
        if event.hostile and event.ip is not None and event.strength is _STRONG:
            key = smtpd_key(event)
            if key is None:
                return self._other_hostile(event)
            if self._sessions.logged_in(event):
                return None
            return self._hold(key, event)
        return None

    def _hold(self, key: SessionKey, event: Event) -> list[Detection] | None:
        """Keep a hostile reject of the open smtpd session ``key`` until the session shows
        whether it logged in: a login of its address in it (:meth:`_on_auth_success`),
        or its disconnect line with ``auth=1`` (:meth:`_feed_disconnect`), and the reject
        counts for nothing; the session's end without one (its disconnect, a new connect
        of its process, :data:`SESSION_TIMEOUT` without a line unless a trailer login of
        it waits, the end of input), and it counts then, at its own time
        (:meth:`_release`). At most
        :data:`MAX_HELD_REJECTS` a session and :data:`MAX_HELD_SESSIONS` sessions: past
        that they count at once."""
        found: list[Detection] | None = None
        held_by = self._held
        held = held_by.get(key)
        if held is None:
            if len(held_by) >= MAX_HELD_SESSIONS:
                found = []
                for old in list(held_by)[: MAX_HELD_SESSIONS // 10]:
                    found += self._release(old, logged_in=False)
            held = held_by[key] = []
        if len(held) >= MAX_HELD_REJECTS:
            more = self._other_hostile(event)
            return found + more if found and more else found or more
        held.append(event)
        return found or None

    def _release(
        self, key: SessionKey | None, logged_in: bool, ip: str | None = None
    ) -> list[Detection]:
        """The session ``key`` showed whether it logged in (from ``ip``, when given: only
        its rejects from that address are a login's): its held rejects count for nothing
        then, else each counts now (:meth:`_hold`)."""
        held = self._held.pop(key, None) if key is not None else None
        if not held:
            return []
        found: list[Detection] = []
        for event in held:
            if logged_in and (ip is None or event.ip == ip):
                continue
            more = self._other_hostile(event)
            if more:
                found += more
        return found

    def _release_stale(self, before: float | None) -> list[Detection]:
        """The held rejects of sessions with no line since ``before`` (None: all): they
        count (the sessions ended without a login the log shows). Not those of a session
        whose trailer login waits (:meth:`_feed_trailer_login`): its statistics tell."""
        seconds = self._sessions.seconds
        tentative = self._tentative if before is not None else {}
        stale = [
            key
            for key, held in self._held.items()
            if before is None or (seconds(held[-1]) < before and key not in tentative)
        ]
        found: list[Detection] = []
        for key in stale:
            found += self._release(key, logged_in=False)
        return found

    def _confirm_all(self) -> list[Detection]:
        """The end of input: the tentative trailer logins still waiting ended without
        statistics the log shows, and count, after what their addresses did meanwhile
        (:meth:`_confirm`)."""
        found: list[Detection] = []
        for key in list(self._tentative):
            found += self._confirm(key, None)
        return found

    def _on_auth_success(self, event: Event, session: Session | None, new: int) -> None:
        if event.service == "smtp":
            self._server.auth_on_service(event)
        if self._held:
            # The session logged in: its rejects held so far were the account holder's.
            self._release(smtpd_key(event), logged_in=True, ip=event.ip)

    def _on_nothing(self, event: Event, session: Session | None, new: int) -> None:
        """A weak hint (an abandoned AUTH exchange): the session layer accounts it."""

    def _after_other(
        self, event: Event, session: Session | None, new: int
    ) -> list[Detection] | None:
        """Types without a rule of their own: a hostile one with a client counts as a
        policy violation."""
        if event.hostile and event.ip is not None:
            return self._other_hostile(event)
        return None

    def _other_hostile(self, event: Event) -> list[Detection] | None:
        """A hostile event that is not a login attempt: relay, non-SMTP, postscreen, …
        Weak ones change nothing: they are hints that need company, and the company
        (a failed login, a strong violation) is what is counted."""
        ip = event.ip
        if ip is None or event.strength is not _STRONG:
            return None
        if self._deferred:
            waiting = self._deferred.get(ip)
            if waiting is not None:
                return self._defer(ip, waiting, self._other_hostile, (event,), event, 1)
        when = self._sessions.seconds(event)
        clients = self._clients
        client = clients.get(ip)
        if client is not None:
            clients[ip] = clients.pop(ip)  # touch
        else:
            if (self._forgiven or self._forgiven_nets) and self._forgiven_line(ip, when):
                return None  # before its unban
            client = self._new_client(ip, when)
        client.see(event, when)
        client.policy += 1
        if client.policy <= 2:
            client.keep(event)
        if client.failures == 0 and client.policy >= self.policy.scanner_events:
            reason = f"{client.policy} policy violations and no login attempt"
            found = self._flag(client, Verdict.SCANNER, reason, event, when)
            return [found] if found is not None else None
        return None

    # -- failures ----------------------------------------------------------------------

    def _failure(
        self, ip: str, user: str | None, count: int, event: Event, names: bool = False
    ) -> list[Detection]:
        """``count`` failed guesses by ``ip`` (as ``user``): every rule that counts them.
        This is the path an attack takes, once per guess, so the common cases are inlined
        here (client, times, evidence, the brute-force, enumeration and probe rules); the
        account and network rules are a call each. ``names``: the connection of the
        failure had failed on another account before (:meth:`_names_in_connection`)."""
        if self._deferred:
            waiting = self._deferred.get(ip)
            if waiting is not None:
                return self._defer(
                    ip, waiting, self._failure, (ip, user, count, event, names), event, count
                )
        tracker = self._sessions
        time = event.record.time
        if time is not None and time is tracker._last_time:
            when = tracker._last_seconds
        else:
            when = tracker.seconds(event)
        clients = self._clients
        client = clients.get(ip)
        if client is not None:
            clients[ip] = clients.pop(ip)  # the most recently active: the young end
        else:
            if (self._forgiven or self._forgiven_nets) and self._forgiven_line(ip, when):
                return []
            client = self._new_client(ip, when)
        # client.see(event, when)
        if when > client.last:
            client.last = when
        if time is not None:  # the earliest and latest, in whatever order they come
            latest = client.last_time
            if latest is None:
                client.first_time = client.last_time = time
            elif time is not latest:  # framing shares a second's datetime: often the same
                if time > latest:
                    client.last_time = time
                elif time < client.first_time:  # type: ignore[operator]
                    client.first_time = time
        service = event.service
        if service is not None and service not in client.services:
            client.services = with_service(client.services, service)
        if names:
            client.names_in_connection = when

        key = user.strip().casefold() if user else None  # account_key()
        account = None
        if key is not None:
            account = self._accounts.get(key)
            if account is not None:
                key = account.name  # one string per account, not one per client
        owner = None
        over: tuple[str, int] | None = None  # an owner's account tried more than a device does
        if self._owners:
            net = client.net
            owner = self._owners.get(net if net is not None and net & 1 else ip)
            stale: str | None = None
            unnamed = wide = False
            if key is not None and owner is not None:
                last = owner.users.get(key)
                if last is not None:
                    if when - last <= self._limits.stale:
                        stale = key
                else:  # alice for alice@example.com, or the other way round
                    other = self._other_form(owner, key)
                    if other is not None and when - other[1] <= self._limits.stale:
                        stale = other[0]
            elif key is None and owner is not None and client.user is None:
                # an old Postfix names no account: a device of the one owner's
                stale = self._only_owner(owner, when)
                unnamed = stale is not None
            if key is not None and owner is None and self._wide_owners:
                stale = self._wide_owner_of(client.net, key, when)
                wide = stale is not None
            if stale is not None:
                tried = self._stale_count(client, stale, count, when)
                if tried <= self.policy.stale_max_failures:
                    if unnamed:
                        client.stale_unnamed = True
                    return self._stale(client, stale, count, event, when, wide=wide)
                over = (stale, tried)
        self._failures_counted += count
        client.failures += count
        limits = self._limits
        times = client.times
        if times is None:
            times = client.times = []
        push_times(times, when, count, limits.capacity)
        if client.evidence is None:
            client.evidence = (evidence_of(event, client.ip),)
        if client.flags & _COMPROMISED and key is not None and self._after_login:
            self._failed_after_login(client, key, when, time)
        found: list[Detection] = []
        if key is not None:
            # client.add_user(key, count, when), the one-username case inline
            if client.users is None and (client.user is None or client.user == key):
                client.user = key
                client.user_count += count
                client.user_last = when
            else:
                client.add_user(key, count, when)
            self._account_failure(client, key, count, when, event, found, account)
        if owner is None and client.net is not None:
            # a client that logged in is a person, not a network member
            self._network_failure(client, count, when, event, found)

        # The rules on the client's own failures (see _open_question for the flags).
        flags = client.flags
        detections = self.detections
        n, fresh = self._unspent(client, times)
        if not flags & _BRUTEFORCE or (
            detections and self._open_question(client, Verdict.BRUTEFORCE, when)
        ):
            if self._fast_bruteforce(client, times, n, when, fresh):
                self._flag(client, Verdict.BRUTEFORCE, limits.fast_reason, event, when, found)
            elif not flags & _SLOW or (
                detections and self._open_question(client, Verdict.SLOW_BRUTEFORCE, when)
            ):
                for needed, window, reason in limits.slow_rules:
                    if needed <= n and times[-needed] >= when - window:
                        self._flag(client, Verdict.SLOW_BRUTEFORCE, reason, event, when, found)
                        break
        needed, window = limits.enumeration
        users = client.users
        distinct = len(users) if users is not None else 1 if client.user is not None else 0
        if distinct >= needed and (
            not flags & _ENUMERATION
            or (detections and self._open_question(client, Verdict.ENUMERATION, when))
        ):
            distinct = client.distinct_users_since(max(when - window, fresh))
            if distinct >= needed:
                text = limits.text["enumeration"]
                reason = f"{distinct} distinct usernames within {text}"
                self._flag(client, Verdict.ENUMERATION, reason, event, when, found)
        if key is not None:
            if key in self._honeypot:
                reason = f"tried the honeypot account {key}"
                self._flag(client, Verdict.HONEYPOT, reason, event, when, found)
            elif not client.flags & _PROBE:
                why = self._reasons.get(key) if key not in self._real_names else None
                if not why:
                    why = self._probe_reason(key, event)
                if why is not None:
                    self._flag(client, Verdict.PROBE, why, event, when, found)
        if over is not None:
            self._over_stale_cap(client, over[0], over[1], event, when, found)
        if self._pending_unavailable and ip in self._pending_unavailable:
            found.extend(self._judge_unavailable(client, when))
        return found

    def _colleagues(self, client: ClientState, since: float) -> bool:
        """Whether a client's failures since ``since`` (``fast_window``) were each on a
        name of its own, tried no other time, fewer than ``enumeration_users`` names,
        spread over :data:`PEOPLE_APART` seconds or more, and no connection of it failed
        on two of them (:attr:`ClientState.names_in_connection`): the colleagues behind
        an office's address, each mistyping once in a connection of their own, before
        their logins come (the fast rule waits; a program trying names reaches the
        enumeration rule a failure later, and one repeating a name the fast rule)."""
        if client.names_in_connection >= since:
            return False
        distinct = client.one_name_each(since)
        if not 0 < distinct < self._limits.enumeration[0]:
            return False
        times = client.times
        return times is not None and times[-1] - times[-distinct] >= PEOPLE_APART

    def _stale_count(self, client: ClientState, key: str, count: int, when: float) -> int:
        """Count ``count`` more failures on ``key``, an account ``client`` had logged in
        as; return how many there were within ``daily_window`` (since the first of
        them: a fixed window, one entry per account). With MAX_USERS_PER_CLIENT accounts
        counted at once, any more are counted together (their sum is capped)."""
        counts = client.stale_counts
        if counts is None:
            counts = client.stale_counts = {}
        window = self._limits.daily[1]
        entry = counts.get(key)
        if entry is None and len(counts) >= MAX_USERS_PER_CLIENT:
            for name in [name for name, (_, start) in counts.items() if when - start > window]:
                del counts[name]
            if len(counts) >= MAX_USERS_PER_CLIENT:
                key = ""
                entry = counts.get(key)
        if entry is None or when - entry[1] > window:
            entry = counts[key] = [0.0, when]
        entry[0] += count
        return int(entry[0])

    def _over_stale_cap(
        self,
        client: ClientState,
        key: str,
        tried: int,
        event: Event,
        when: float,
        found: list[Detection],
    ) -> None:
        """More than ``stale_max_failures`` failures on ``key`` within ``daily_window``
        from an address its owner logs in from: no device retries an old password that
        often, so it is guessing (a bot behind an office's NAT); banned like a slow brute
        force, and no longer reported as a device with an old password."""
        if client.stale_device == key:
            client.stale_device = None
        cap = self.policy.stale_max_failures
        reason = (
            f"{tried} failed logins with {key or 'accounts'} within {self._limits.text['daily']}, "
            f"an account logged in as from this address: more than the {cap} a device "
            "with an old password is allowed (stale_max_failures)"
        )
        self._flag(client, Verdict.SLOW_BRUTEFORCE, reason, event, when, found)

    def _stale(
        self,
        client: ClientState,
        key: str,
        count: int,
        event: Event,
        when: float,
        wide: bool = False,
    ) -> list[Detection]:
        """A failure with an account this client logged in as: never a guess. A typo of
        the account's owner, or a device with an old password once
        :data:`STALE_DEVICE_FAILURES` of them on one account fall within
        ``daily_window`` (:attr:`ClientState.stale_device`), from this address or, for
        IPv6, from addresses of its network together (:meth:`_stale_in_network`).
        ``wide``: the login behind it was from another /64 of the wider network."""
        client.stale += count
        users = client.stale_users
        if users is None:
            users = client.stale_users = {}
        if key in users:
            users[key] += count
        elif len(users) < MAX_STALE_USERS:
            users[key] = count
        self._stale_failures += count
        if client.stale <= 2:
            client.keep(event)
        if not client.stale_device:
            run = client.stale_run
            since = when - self._limits.daily[1]
            earlier = tuple(t for t in run[1] if t >= since) if run and run[0] == key else ()
            times = (*earlier, *[when] * min(count, STALE_DEVICE_FAILURES))
            if len(times) >= STALE_DEVICE_FAILURES:
                client.stale_device = key
                client.stale_run = None
                if key not in users:  # its own count, in place of another account's
                    del users[next(iter(users))]
                    users[key] = len(times)
            else:
                client.stale_run = (key, times)
        net = client.net
        if net is not None and net & 1 and self._v6 < 128:
            self._stale_in_network(client, net, key, count, when, wide)
        return []

    def _stale_in_network(
        self, client: ClientState, net: NetKey, key: str, count: int, when: float, wide: bool
    ) -> None:
        """An IPv6 client's failure with an account logged in as from its network (or
        its wider one): counted with the network's other addresses' (a phone's privacy
        address changes every few hours, and each of its addresses fails a time or two).
        :data:`STALE_DEVICE_FAILURES` on one account within ``daily_window`` make the
        network's failing addresses one device with an old password: each of them, and
        each that fails with that account later, is the device's
        (:attr:`ClientState.stale_device`; one finding names them together)."""
        table = self._stale_nets
        state = table.get(net)
        if state is None:
            state = self._archived_stale.pop(net, None) if self._archived_stale else None
            if state is None:
                state = StaleNetwork(net)
            self._add_state(table, net, state)
        else:
            table[net] = table.pop(net)  # touch
        if when > state.last:
            state.last = when
        state.wide = state.wide and wide
        device = state.device
        if device is not None:
            if device == key and client.stale_device is None:
                client.stale_device = key
                client.stale_run = None
            return
        run = state.run
        since = when - self._limits.daily[1]
        earlier = tuple(e for e in run[1] if e[0] >= since) if run and run[0] == key else ()
        entries = (*earlier, *[(when, client.ip)] * min(count, STALE_DEVICE_FAILURES))
        if len(entries) < STALE_DEVICE_FAILURES:
            state.run = (key, entries)
            return
        state.device = key
        state.run = None
        for _, ip in entries:
            member = client if ip == client.ip else self._known(ip)
            if member is not None and member.stale_device is None:
                member.stale_device = key
                member.stale_run = None

    def _open_question(self, client: ClientState, verdict: Verdict, when: float) -> bool:
        """Whether a rule can still tell anything new: not when the client already has
        the verdict (the analyzer), or was reported for it less than a ban ago (the
        daemon; an unban by hand clears that: :meth:`forgive`). Skipping the settled
        rules keeps a hammering client cheap."""
        if not client.flags & VERDICT_BIT[verdict]:
            return True
        if not self.detections:
            return False
        for reported, at in client.reported:
            if reported is verdict:
                return when - at >= self._limits.ban or self._answer_over(client, when)
        return True

    def _answer_over(self, client: ClientState, when: float) -> bool:
        """Whether the ban that answered ``client``'s latest report, shorter than
        ``ban_time`` (:meth:`answered`), has ended by ``when``."""
        answered = self._answered
        if not answered:
            return False
        until = answered.get(client.ip)
        return until is not None and when >= until

    def answered(self, ip: str, until: float) -> None:
        """The daemon did not ban ``ip`` for its latest report: a ban in force covers it
        (a wider network's, or a shorter one of its own) until ``until`` (POSIX
        seconds). The failures up to that report stay spent on it; when that ban ends
        sooner than ``ban_time`` after the report, new failures that cross a threshold
        again from ``until`` on are reported at once, as after a ban of its own
        (otherwise the client would guess unbanned for the rest of ``ban_time``)."""
        client = self._clients.get(ip)
        if client is None or not client.reported:
            return
        latest = max(at for _, at in client.reported)
        if until < latest + self._limits.ban:
            self._answered[ip] = until

    def take_answered(self, previous: Detector) -> None:
        """A reload's new detector takes over what the daemon told ``previous`` (the
        running one) with :meth:`answered`, for the clients it reported too."""
        for ip, until in previous._answered.items():
            self.answered(ip, until)
        for ip, network in previous._wider_held.items():
            self.held_by(ip, network)

    def held_by(self, ip: str, network: IPNetwork) -> None:
        """The daemon skipped the report of ``ip`` as held by the ban of ``network``, a
        wider one (:meth:`reported_inside` finds it when the firewall leaves that ban
        out)."""
        client = self._clients.get(ip)
        if client is None or not client.reported or network.num_addresses == 1:
            return
        if self._wider_held.get(ip) != network:
            self._unhold(ip)
            self._wider_held[ip] = network
            self._held_in.setdefault(network, set()).add(ip)

    def _unhold(self, ip: str) -> None:
        network = self._wider_held.pop(ip, None)
        if network is not None:
            inside = self._held_in.get(network)
            if inside is not None:
                inside.discard(ip)
                if not inside:
                    del self._held_in[network]

    def reported_inside(self, networks: Sequence[IPNetwork]) -> list[str]:
        """The reported clients that the daemon skipped as held by the ban of one of
        ``networks`` (:meth:`held_by`), forgotten here: it tells them :meth:`answered`
        when the firewall leaves those bans out (nothing blocks them any more). Only
        those clients are looked at, however many the detector holds."""
        found: list[str] = []
        held_in = self._held_in
        if not held_in:
            return found
        for network in dict.fromkeys(networks):
            inside = held_in.get(network)
            if inside is None:
                continue
            for ip in sorted(inside):
                client = self._clients.get(ip)
                if client is not None and client.reported:
                    found.append(ip)
                self._unhold(ip)
        return found

    @staticmethod
    def _banned_until(client: ClientState) -> float:
        """The time of the latest failure that the daemon was told bans ``client`` (the
        latest report of a verdict that recommends a ban, :attr:`ClientState.reported`);
        -inf when none. Its failures up to then made that ban and are spent on it, as
        fail2ban forgets an address's failures when it bans it: once the ban has run
        out, only failures after it ban again, as many as any rule's threshold (one
        typo from an office's NAT after a ban is no new ban, let alone a longer one).
        The analyzer counts them all (no reports: attackers, not bans); the store's
        count of offences still makes a repeat offender's next ban longer."""
        banned = -math.inf
        for verdict, at in client.reported:
            if verdict in _SPENDING and at > banned:
                banned = at
        return banned

    def _probe_reason(self, key: str, event: Event) -> str | None:
        """Why a failure on ``key`` makes the client a probe; None when it does not. The
        text is shared by every client that tries the same name."""
        if key in self._real_names:
            return None  # someone logged in as it: a real account
        cached = self._reasons.get(key)
        if cached is None:
            if len(self._reasons) > 10_000:
                self._reasons.clear()
            cached = self._reasons[key] = self._name_probe_reason(key)
        if cached:
            return cached
        if self.accounts is None and "unknown user" in (event.reason or "").lower():
            return f"tried {key}, which the server does not know"
        return None

    def _name_probe_reason(self, key: str) -> str:
        accounts = self.accounts
        if accounts is not None:
            return "" if accounts.exists(key) else f"tried {key}, which is not an account here"
        if local_part(key) in self._generic_names:
            return f"tried {key}, a name bots try on every server"
        return ""

    def _account_failure(
        self,
        client: ClientState,
        key: str,
        count: int,
        when: float,
        event: Event,
        found: list[Detection],
        account: AccountState | None,
    ) -> None:
        accounts = self._accounts
        if account is None:
            account = AccountState(key)
            self._add_state(accounts, key, account)
        else:
            accounts[key] = accounts.pop(key)  # touch
        account.failures += count
        account.last = when
        times = account.times
        push_times(times, when, count, ACCOUNT_TIMES)
        ip = client.ip
        previous = account.last_client
        clients = account.clients
        seen = clients.pop(ip, None)
        clients[ip] = when if seen is None or when > seen else seen
        if seen is None and len(clients) > MAX_CLIENTS_PER_ACCOUNT:
            del clients[next(iter(clients))]
        own = self._own
        if client.allowed is not None or ip in own:
            # Never judged (loopback, this host, the allow list): no campaign member, and
            # no link to one (an office's typos must not make an outsider's a campaign).
            return
        account.last_client = ip
        if previous is None or previous == ip or previous in own:
            return  # (this host's address: one that became its own since)
        last = clients.get(previous)
        if last is None or when - last > self._limits.spray[1]:
            return
        net = client.net
        if net is not None:
            if ":" in ip:
                other = self._known(previous)
                if other is not None and other.net == net and not self._never_judged(net):
                    # one /64 is one customer (a phone's privacy addresses): the network
                    # rule's, unless it never judges that /64 (an allowed or own address)
                    return
            elif client.users is None and client.user == key:
                other = self._known(previous)
                if (
                    other is not None
                    and other.net == net
                    and other.users is None
                    and other.user == key
                    and self._real_account(key)
                ):
                    # Two addresses of one /24, each trying only this real account: its
                    # owner's phone with an old password moving through a carrier's pool
                    # (an attacker rotating its /24 tries a list, or names nobody has).
                    return
        account.campaign = 1  # shared by two clients: a possible spraying target
        campaigns = self._campaigns
        mine, theirs = campaigns.find(ip), campaigns.find(previous)
        if mine == theirs and client.flags & _SPRAY:
            other = self._clients.get(previous)
            if other is not None and other.flags & _SPRAY:
                return  # both already in one flagged campaign (two become one below)
        flagged = campaigns.flagged
        # A group that joins a flagged campaign brings members it must flag too (the
        # first client to try each of its accounts saw no campaign then).
        joining = None
        if mine != theirs and (mine in flagged) != (theirs in flagged):
            joining = list(campaigns.members(theirs if mine in flagged else mine))
        root = campaigns.union(ip, previous)
        number = flagged.get(root)
        if number is not None:
            reason = self._reasons.get(number)
            if reason is None or not client.flags & _SPRAY or self.detections:
                self._spray_member(client, number, key, event, when, found)
            for member_ip in joining or ():
                member = self._known(member_ip)
                if member is not None and member is not client and not member.flags & _SPRAY:
                    self._spray_member(member, number, key, event, when, found)
        elif campaigns.size(root) >= self._limits.spray[0]:
            group = list(campaigns.members(root))
            active = self._active_campaign(group)
            if active is not None:  # the same botnet, another name of its list
                number = flagged[active]
                campaigns.union(active, root)
            else:
                number = campaigns.next_id
                campaigns.next_id += 1
                flagged[root] = number
            for member_ip in group:
                member = self._known(member_ip)
                if member is not None:
                    self._spray_member(member, number, key, event, when, found)

    def _never_judged(self, net: NetKey) -> bool:
        """Whether the network ``net`` is never judged as a whole (it holds an address of
        this host or of the allow list: :meth:`_network_unbannable`)."""
        if net in self._own_nets:
            return True
        state = self._networks.get(net)
        if state is not None:
            return self._network_unbannable(state)
        return self._network_allowed(network_of(net, self._v4, self._v6))

    def _active_campaign(self, group: Sequence[str]) -> str | None:
        """The root of the oldest flagged campaign still guessing since the first failure
        of ``group``, a group that just became a campaign: bots that try one name each of
        a list meet only on that name, a group per name, yet guess together (one
        campaign, not one per account). Guessing that had stopped before this group began
        (a botnet of the night, a brute force on one account in the evening) is another
        campaign. Only the newest campaigns (:data:`CAMPAIGNS_LOOKED_AT`) and the members
        that joined each last (:data:`ACTIVE_MEMBERS_LOOKED_AT`) are looked at: a
        campaign's active clients are its newest."""
        start = None
        for ip in group:
            member = self._known(ip)
            if member is not None and member.times:
                first = member.times[0]
                if start is None or first < start:
                    start = first
        if start is None:
            return None
        campaigns = self._campaigns
        flagged = campaigns.flagged
        found: str | None = None
        for looked, root in enumerate(reversed(flagged)):
            if looked == CAMPAIGNS_LOOKED_AT:
                break
            if found is not None and flagged[root] > flagged[found]:
                continue
            for ip in campaigns.members(root)[: -ACTIVE_MEMBERS_LOOKED_AT - 1 : -1]:
                member = self._known(ip)
                if (
                    member is not None
                    and member.flags & _SPRAY
                    and member.times
                    and member.times[-1] >= start
                ):
                    found = root
                    break
        return found

    def _renumbered(self, text: str) -> str:
        """``text`` with each campaign it names by the number that campaign goes by now
        (:meth:`Campaigns.current`): a reason written when the campaign was another. A
        login's reason that names a campaign that does not stand (people, in the end:
        :meth:`_standing_campaigns`) says "other clients" instead."""
        if "spraying campaign" not in text:
            return text
        done = self._renumbered_texts.get(text)
        if done is not None:
            return done  # shared: a campaign's members share their reason's text
        current = self._campaigns.current
        standing = self._standing
        given = text
        text = _GUESSING_CAMPAIGN.sub(
            lambda found: (
                found.group(0)
                if current(int(found.group(1))) in standing
                else "while other clients were guessing"
            ),
            text,
        )
        text = _CAMPAIGN_NUMBER.sub(
            lambda found: f"spraying campaign {current(int(found.group(1)))}", text
        )
        if text == given:
            text = given  # the shared object, not an equal copy per member
        if len(self._renumbered_texts) < MAX_RENUMBERED:
            self._renumbered_texts[given] = text
        return text

    def _spray_member(
        self,
        client: ClientState,
        number: int,
        key: str,
        event: Event,
        when: float,
        found: list[Detection],
    ) -> None:
        if client.succeeded is not None and self._a_person(client):
            return  # it logged in as what it tried: an owner's typos, not spraying
        reason = self._reasons.get(number)
        if reason is None:
            reason = self._reasons[number] = (
                f"one of the clients of spraying campaign {number} (accounts such as {key})"
            )
        if client.flags & _SPRAY and not self.detections:
            return  # settled: _flag would change nothing
        self._flag(client, Verdict.SPRAY_MEMBER, reason, event, when, found, {"campaign": number})

    def _network_failure(
        self, client: ClientState, count: int, when: float, event: Event, found: list[Detection]
    ) -> None:
        net = client.net
        if net is None:
            return
        state = self._networks.get(net)
        if state is None:
            state = self._archived_networks.pop(net, None) if self._archived_networks else None
            if state is None:
                lone = self._lone
                entry = lone.pop(net, None)
                if entry is None or entry[0] == client.ip:
                    # Most networks have one failing address: a small entry, not a state.
                    failures = count if entry is None else count + entry[2]
                    lone[net] = (client.ip, when, failures)
                    if len(lone) > lone.capacity:
                        del lone[net]
                        lone.add(net, (client.ip, when, failures))
                    return
                state = self._second_address(client, net, entry)
            self._add_state(self._networks, net, state)
        else:
            networks = self._networks
            networks[net] = networks.pop(net)  # touch
        state.failures += count
        state.last = when
        time = event.record.time
        if time is not None:  # the earliest and latest, in whatever order they come
            if state.first_time is None or time < state.first_time:
                state.first_time = time
            if state.last_time is None or time > state.last_time:
                state.last_time = time
        limits = self._limits
        times = state.times
        if times is None:
            times = state.times = []
        push_times(times, when, count, limits.capacity)
        new_member = state.members.add(client.ip, when)
        if new_member and len(state.evidence) < 3:
            state.evidence.append(evidence_of(event))
        needed, window = limits.network
        many = len(state.members) >= needed
        if not many:
            # Fewer addresses than make a network attack within its window: the slow
            # brute-force rules on all of them as one client (a cheap look first).
            slow_needed, slow_window = limits.slow
            daily_needed, daily_window = limits.daily
            n = len(times)
            if not (
                (slow_needed <= n and times[-slow_needed] >= when - slow_window)
                or (daily_needed <= n and times[-daily_needed] >= when - daily_window)
            ):
                return
        if net in self._people_nets:
            return
        if self._network_unbannable(state):
            return  # each address is judged on its own
        flagged = state.flagged
        # Flagged within the window: its new addresses join it; once its ban has run
        # out, it is reported again (as _flag repeats a client's), for the daemon to ban
        # the network again, longer.
        if (
            flagged is not None
            and when - flagged <= window
            and (not self.detections or when - flagged < limits.ban)
        ):
            if not client.flags & _NETWORK:
                self._network_member(client, state, event, when, found)
            return
        if (
            flagged is not None
            and state.slow is not None
            and (not self.detections or when - flagged < limits.ban)
            and when - flagged <= _slow_window(limits, state.slow)
        ):
            # flagged as a slow brute force: the same, within that rule's window
            if not client.flags & _NETWORK:
                self._network_member(client, state, event, when, found)
            return
        members = state.members.keys_since(when - window) if many else []
        if len(members) >= needed and self._phones(members, when - window, needed, fast=True):
            # People's phones with old passwords moving through a carrier's pool (or a
            # household's /64), together as many addresses as an attack: no attack
            # within network_window; the slow rules judge them (as they do phones).
            members = []
        slow: str | None = None
        if len(members) < needed:
            rule = self._network_slow(state, client, when)
            if rule is None:
                return
            slow, slow_window, members = rule
            if (
                flagged is not None
                and when - flagged <= slow_window
                and (not self.detections or when - flagged < limits.ban)
            ):
                # still at it, as slowly: its new addresses join it
                if not client.flags & _NETWORK:
                    self._network_member(client, state, event, when, found)
                return
        state.flagged = when
        state.slow = slow
        for ip in members:
            member = self._known(ip)
            if member is not None and not member.flags & _NETWORK:
                self._network_member(member, state, event, when, found, announce=False)
        if not self.detections:
            return
        network = network_of(net, self._v4, self._v6)
        how_many = str(len(members))
        if state.members.dropped and len(members) == len(state.members):
            how_many += " or more"  # all it remembers are recent, and it forgot some
        if slow is None:
            text = limits.text["network"]
            reason = f"{how_many} addresses of {network} failed to log in within {text}"
        else:
            reason = f"{slow} from {how_many} addresses of {network} (a slow brute force)"
        found.append(
            Detection(
                verdict=Verdict.NETWORK_MEMBER,
                target=network,
                ip=client.ip,
                recommendation=self._network_none(network) or BAN,
                reason=reason,
                time=event.record.time,
                data={
                    **self._network_users(members),
                    "members": sorted(members, key=address_key)[:MAX_REPORTED_MEMBERS],
                },
                items=tuple(state.evidence),
            )
        )

    def _network_slow(
        self, state: NetworkState, client: ClientState, when: float
    ) -> tuple[str, float, list[str]] | None:
        """The slow brute-force rules (``slow_failures`` within ``slow_window``,
        ``daily_failures`` within ``daily_window``) on a network's addresses as one
        client, when fewer of them failed than make a network attack within
        ``network_window``: one attacker rotating its addresses, a guess an hour each (a
        /64's, or a /24's). Its (reason, window, addresses in the window), or None.

        The bar is one client's, met by the addresses no rule judges on their own (one
        that reached it alone is its own brute force, not a network's), none of them
        with more than half of those failures (a client guessing on its own, not yet at
        its bar, and a neighbour's typo do not make their network an attacker). Not when
        each of those addresses tried names of its own that no other one tried, one name
        or each once (the people of an ISP's /24 or behind a campus's NAT addresses, each
        mistyping their own password; an attacker rotating its addresses tries the same
        accounts from several), unless they are ``enumeration_users`` or more addresses
        each on one account of its own within ``slow_window``: an attacker rotating its
        addresses, one real account each (over ``daily_window`` an ISP's /24 has that
        many people's typos). Nor a network whose addresses each tried one real
        account (:meth:`_real_account`), fewer accounts than ``enumeration_users`` (its
        people's phones with an old password, moving through a carrier's pool; in a
        /64, each account from fewer than ``network_clients`` of its addresses:
        :meth:`_phones`). A network someone logged in from is never judged as a whole
        (:meth:`_person_in_network`)."""
        if client.flags & _OWN_GUESSING:
            return None  # its failure counts for itself only
        times = state.times
        if not times:
            return None
        n = len(times)
        network_needed = self._limits.network[0]
        slow_window = self._limits.slow[1]
        for needed, window, reason in self._limits.slow_rules:
            since = when - window
            if needed > n or times[-needed] < since:
                continue
            members = state.members.keys_since(since)
            if len(members) < 2:
                continue
            failures = most = 0
            names: set[str] | None = set()
            tried: set[str] | None = set()  # every name the counted addresses tried
            one_each = True  # each counted address tried one name
            for ip in members:
                member = self._known(ip)
                if member is None or member.flags & _OWN_GUESSING or not member.times:
                    continue
                recent = count_since(member.times, since)
                if not recent or recent >= needed:
                    continue  # judged on its own
                failures += recent
                if recent > most:
                    most = recent
                if names is not None and not _own_names(member, recent, since, names):
                    names = None  # one name from two addresses, or one name of several twice
                tried = _names_since(member, since, tried)
                if one_each and (member.users is not None or member.user is None):
                    mine = _names_since(member, since, set())
                    one_each = mine is not None and len(mine) == 1
            if (
                names is not None
                and one_each
                and window <= slow_window
                and len(names) >= self._limits.enumeration[0]
            ):
                # An account of its own from each address, as many as an enumeration,
                # within slow_window: an attacker rotating its addresses, one account
                # each, under every other bar. (People's typos on their own accounts,
                # each from its address, are fewer at once, or log in from there; over a
                # day an ISP's /24 has many.)
                names = None
            if failures >= needed and 2 * most <= failures and names is None:
                if (
                    one_each
                    and (":" not in client.ip or self._phones(members, since, network_needed))
                    and tried is not None
                    and len(tried) < self._limits.enumeration[0]
                    and all(self._real_account(name) for name in tried)
                ):
                    # Each address on one real account alone, fewer accounts than an
                    # enumeration: their owners' phones with an old password, moving
                    # through a carrier's pool of addresses (in a /64, a household's,
                    # each account from fewer addresses than a network attack).
                    continue
                return reason, window, members
        return None

    def _phones(
        self, members: Iterable[str], since: float, spread: int | None, fast: bool = False
    ) -> bool:
        """Whether a network's addresses ``members`` each tried one real account alone
        since ``since`` (:meth:`_real_account`), fewer accounts than
        ``enumeration_users`` in all, and (``spread``) each account from fewer addresses
        than that: their owners' phones with an old password moving through a carrier's
        pool (or a household's /64), each phone short of a network attack on its own.
        Not an attacker rotating its addresses: it tries a list of accounts, names
        nobody has, or one account from address after address. Within
        ``network_window`` (``fast``), not either when an account was tried from more
        than :data:`PHONE_ADDRESSES` of them, more than once from any: a phone moves
        once or so in an hour. Stops at the first address that does not fit."""
        accounts: dict[str, int] = {}
        retried: set[str] = set()  # (fast) accounts an address failed on more than once
        limit = self._limits.enumeration[0]
        for ip in members:
            member = self._known(ip)
            if member is None:
                return False
            names = _names_since(member, since, set())
            if names is None or len(names) != 1:
                return False
            (name,) = names
            count = accounts.get(name, 0) + 1
            if spread is not None and count >= spread:
                return False
            if count == 1 and (len(accounts) + 1 >= limit or not self._real_account(name)):
                return False
            accounts[name] = count
            if fast and member.user_failures(name) > 1:
                retried.add(name)  # (its failure times are gone by result(): its count)
            if name in retried and count > PHONE_ADDRESSES:
                return False
        return bool(accounts)

    def _real_account(self, name: str) -> bool:
        """``name`` is an account someone logged in as, or one of ``--users``."""
        if name in self._real_names:
            return True
        at = name.rfind("@")
        if at >= 0 and name[:at] in self._real_names:
            return True
        accounts = self.accounts
        return accounts is not None and accounts.exists(name)

    def _second_address(
        self, client: ClientState, net: NetKey, lone: tuple[str, float, int]
    ) -> NetworkState:
        """A second address of a network failed: the network's lone entry (its first
        address) becomes a state."""
        state = NetworkState(net)
        first_ip, first_when, first_failures = lone
        state.members.add(first_ip, first_when)
        state.failures = first_failures
        first = self._known(first_ip)
        if first is not None:
            state.first_time, state.last_time = first.first_time, first.last_time
            if first.evidence:
                state.evidence.append(first.evidence[0])
        if first is not None and first.times:
            state.times = first.times[-min(first_failures, self._limits.capacity) :]
        else:
            state.times = [first_when]
        return state

    def _network_member(
        self,
        client: ClientState,
        state: NetworkState,
        event: Event,
        when: float,
        found: list[Detection],
        announce: bool = True,
    ) -> None:
        network = network_of(state.key, self._v4, self._v6)
        if state.slow is None:
            reason = f"one of several addresses of {network} guessing together"
        else:
            reason = f"one of the addresses of {network} guessing together slowly: {state.slow}"
        self._flag(client, Verdict.NETWORK_MEMBER, reason, event, when, found if announce else None)

    # -- logins ------------------------------------------------------------------------

    def _logins(self) -> list[Detection] | None:
        tracker = self._sessions
        logins = tracker.logins[:]
        tracker.logins.clear()
        out: list[Detection] = []
        for session, user, event in logins:
            ip = event.ip or (session.ip if session is not None else None)
            self._logins_seen += 1
            if ip is None:
                if session is not None and session.unresolved and user is not None:
                    self._unresolved_login(session, user)
                continue
            if user is not None and self._server.pending and not after_piece(event):
                self._server.login(user, self._owner_key(ip))
            out.extend(self._success(ip, user, event))
        return out or None

    def _success(self, ip: str, user: str | None, event: Event) -> list[Detection]:
        if self._deferred:
            waiting = self._deferred.get(ip)
            if waiting is not None:
                return self._defer(ip, waiting, self._success, (ip, user, event), event, 0)
        when = self._sessions.seconds(event)
        key = account_key(user) if user else None
        client = self._clients.get(ip) or self._revive(ip)
        if event.detail is not None and after_piece(event):
            return self._untrusted_success(ip, user, key, client, event, when)
        net = client.net if client else None
        owner = self._owner(ip, create=False, net=net)
        previous = None  # this address's previous login as the account
        if key is not None and owner is not None:
            previous = owner.users.get(key)
            if previous is None:
                other = self._other_form(owner, key)  # alice: alice@…
                previous = other[1] if other is not None else None
        known = previous is not None
        again = False
        if key is not None and client is not None and client.flags & _SLOW and not known:
            name = self._misspelt_device(client, key, when)
            if name is not None:
                self._misspelt_device_fixed(client, name, key, when, event)
        if key is not None:
            self._real_names.add(key)
            if "@" in key:
                self._full_form_seen(key)
            self._reasons.pop(key, None)
        if client is not None:
            # still active (for expiry), but not seen attacking: an owner's login moves
            # no first/last seen (a compromise does, below)
            if when > client.last:
                client.last = when
            if key is not None:
                if client.succeeded is None:
                    client.succeeded = []
                if key in client.succeeded:
                    again = True
                elif len(client.succeeded) < MAX_SUCCEEDED:
                    client.succeeded.append(key)
        if known and owner is not None and key is not None:
            self._owner_login(ip, net, owner, key, when)
            # Its network heard of the earlier login, unless that came from the store
            # or the first start's look-back (:meth:`remember_success`): once more.
            self._person_in_network(ip, net)
            if client is not None and client.failures:
                self._excuse_typos(client, key, when, previous=previous)
                self._failed_owner(client, user)
            return []  # this client logged in as this account before
        if again and client is not None and client.flags & _COMPROMISED:
            client.see(event, when)  # the intruder still at it
            if key is not None and self._after_login:
                self._login_again(ip, key, when, client)
            return []  # reported at its first login
        if (ip, key) in self._compromised:
            return []
        compromise = self._compromise_reason(ip, client, key, when)
        if compromise is None:
            # The owner: later failures with this account from here are typos or an
            # old password. (Never the intruder: its failures stay guesses.)
            if key is not None:
                owner = owner or self._owner(ip, create=True, net=net)
                self._owner_login(ip, net, owner, key, when)
            self._network_login(ip, net, key, when)
            self._person_in_network(ip, net)
            if client is not None:
                self._owner_logged_in(client, key)
                if key is not None:
                    self._excuse_typos(client, key, when)
                    self._failed_owner(client, user)
            return []
        return self._compromise(ip, user, key, client, event, when, compromise)

    def _compromise(
        self,
        ip: str,
        user: str | None,
        key: str | None,
        client: ClientState | None,
        event: Event,
        when: float,
        compromise: tuple[str, int, bool],
    ) -> list[Detection]:
        """A login as ``key`` from ``ip`` after guessing (:meth:`_compromise_reason`): a
        break-in, flagged and reported."""
        reason, failures_before, by_others = compromise
        device = self._device_before(client, key)
        if len(self._compromised) < MAX_COMPROMISES:
            self._compromised.add((ip, key))
        if by_others:
            if len(self._unconfirmed) >= self.policy.max_clients:
                self._unconfirmed.clear()
            self._unconfirmed.add(ip)
        else:
            self._unconfirmed.discard(ip)
        if client is None:
            client = self._client(ip, when)
            if key is not None:
                client.succeeded = [key]
        client.see(event, when)  # the break-in is the attack's latest act
        guesses = client.evidence or self._network_evidence(client, key)
        evidence = (*evidence_events((guesses or ())[-2:]), event)
        if client.allowed is None and client.ip in self._own:
            client.allowed = OWN_ADDRESS
        started = not accepted_only(event)  # a password accepted, the login failed after
        if len(self._compromises) < MAX_COMPROMISES:
            self._compromises.append(
                Compromise(
                    user=user,
                    ip=ip,
                    time=event.record.time,
                    failures_before=failures_before,
                    reason=reason,
                    evidence=evidence,
                    advice=compromise_advice(client.ip, client.allowed, by_others),
                    by_others=by_others,
                    session_started=started,
                )
            )
            if key is not None:
                self._after_login[(ip, key)] = [when, 0, when, None, False, device, 0, 0]
        client.keep(event, important=True)
        found: list[Detection] = []
        data = {"user": user, "by_others": by_others, "session_started": started}
        self._flag(client, Verdict.COMPROMISED, reason, event, when, found, data)
        return found

    def _untrusted_success(
        self,
        ip: str,
        user: str | None,
        key: str | None,
        client: ClientState | None,
        event: Event,
        when: float,
    ) -> list[Detection]:
        """A login the line after a piece of a cut Dovecot message gave (detect.pieces):
        the client may have written it, account and all. After guessing it is a break-in,
        as any login (:meth:`_compromise`); else nothing: it makes ``ip`` no device of the
        account (no owner, no excused typos or stale password, no person in its network,
        no misspelt device, no real name) and lowers nothing."""
        if client is not None and when > client.last:
            client.last = when
        if (
            client is not None
            and client.flags & _COMPROMISED
            and client.succeeded is not None
            and key in client.succeeded
        ):
            client.see(event, when)  # the intruder still at it
            return []
        if (ip, key) in self._compromised:
            return []
        if key is not None and self._owners:
            owner = self._owner(ip, create=False, net=client.net if client else None)
            if owner is not None and (key in owner.users or self._other_form(owner, key)):
                return []  # a device of the account before: no break-in, as any login
        compromise = self._compromise_reason(ip, client, key, when)
        if compromise is None:
            return []
        if client is not None and key is not None:
            if client.succeeded is None:
                client.succeeded = []
            if key not in client.succeeded and len(client.succeeded) < MAX_SUCCEEDED:
                client.succeeded.append(key)
        return self._compromise(ip, user, key, client, event, when, compromise)

    def _device_before(self, client: ClientState | None, key: str | None) -> bool:
        """Whether ``client``'s failures before its login as ``key`` (a compromise) were
        those of the owner's device with an old password, as far as they go: none, or
        all as that one account (in any of its forms, :func:`same_account`), earning
        no verdict a device does not (:data:`_NOT_A_DEVICE`), at most
        :data:`DOUBT_BEFORE_MAX` of them, no faster than one in
        :data:`DOUBT_PACE_BEFORE` seconds over the failures remembered (each attempt a
        line reports counts here). A guessing program's list before its success is
        longer or faster: its login is no device's, whatever follows it."""
        if client is None or not client.failures:
            return True
        if client.flags & _NOT_A_DEVICE or client.failures > DOUBT_BEFORE_MAX:
            return False
        if key is not None:
            names = client.users_tried()
            if client.users_full or any(not same_account(name, key) for name in names):
                return False
        elif client.users is not None:
            return False
        times = client.times
        if not times:
            return True
        return (len(times) - 1) * DOUBT_PACE_BEFORE <= times[-1] - times[0]

    def _after(self, ip: str, key: str, client: ClientState) -> list[Any] | None:
        """The record of ``ip``'s login reported a compromise (:data:`FAILURES_AFTER_LOGIN`)
        as ``key`` or another form of its account (``grace`` for
        ``grace@example.com``: :func:`same_account`): a device may fail as one form
        after logging in as the other (SMTP and IMAP set up apart)."""
        after = self._after_login.get((ip, key))
        if after is None and client.succeeded is not None:
            for name in client.succeeded:
                if name != key and same_account(name, key):
                    after = self._after_login.get((ip, name))
                    if after is not None:
                        break
        return after

    def _login_again(self, ip: str, key: str, when: float, client: ClientState) -> None:
        """A later login as ``key`` from ``ip``, reported a compromise: an intruder's
        program polling the mailbox when no failure came between (then failures after
        them are the password changed under it, not a device's old password); two
        devices behind one address, an old password and a new, when one did."""
        after = self._after(ip, key, client)
        if after is None or when - after[0] <= DOUBT_IN_FLIGHT or after[4]:
            return
        if after[1]:
            after[7] = 1
        else:
            after[6] = 1

    def _failed_after_login(
        self, client: ClientState, key: str, when: float, time: datetime | None
    ) -> None:
        """A failure as ``key`` from ``ip`` after its login as it that was reported a
        compromise: counted toward that login's doubt (:data:`FAILURES_AFTER_LOGIN`),
        once a line (a connection), however many attempts it reports; not within
        :data:`DOUBT_IN_FLIGHT` seconds of the login (a bot's tries in flight)."""
        after = self._after(client.ip, key, client)
        if after is None or when - after[0] <= DOUBT_IN_FLIGHT or after[4]:
            return
        if when - after[2] > DOUBT_GAP:
            # a pause no device's polling makes (an intruder back the next day, the
            # password changed): those failures are guesses again, no longer counted
            after[4] = True
            return
        after[1] += 1
        if when >= after[2]:
            after[2] = when
            after[3] = time

    def _doubts(self) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        """The compromises in doubt (:data:`FAILURES_AFTER_LOGIN`), by (client,
        account): their address failed as the account at least :data:`DOUBT_FAILURES`
        times after the login, the last more than :data:`DOUBT_AFTER` seconds after it,
        no faster than one in :data:`DOUBT_PACE` seconds on average (a device's polling,
        not a program's list): (those failures, the last one's time). Tries in flight
        that fail within seconds after the login are not counted. Never when the
        address's failures before the login were no device's (:meth:`_device_before`,
        and no verdict of :data:`_NOT_A_DEVICE` since), nor when it logged in as the
        account again before the failures and not between them (an intruder's program
        polling until the owner changed the password)."""
        doubts: dict[tuple[str, str], tuple[int, datetime | None]] = {}
        clients = self._clients
        for where, after in self._after_login.items():
            login, count, last, time, _paused, device, again, mixed = after
            span = last - login
            if not device or (again and not mixed):
                continue
            if count >= DOUBT_FAILURES and span > DOUBT_AFTER and count * DOUBT_PACE <= span:
                client = clients.get(where[0])
                if client is not None and client.flags & _NOT_A_DEVICE:
                    continue
                doubts[where] = (count, time)
        return doubts

    def _network_evidence(
        self, client: ClientState, key: str | None
    ) -> tuple[Evidence, ...] | None:
        """For a break-in from an address that made no failure of its own: the failures
        of the latest other address to fail on ``key``, when that is of the same
        network (the network's guessing that got in, :meth:`_network_guessed`)."""
        account = self._accounts.get(key) if key is not None else None
        last = account.last_client if account is not None else None
        other = self._known(last) if last is not None and last != client.ip else None
        if other is None or client.net is None or other.net != client.net:
            return None
        return other.evidence

    def _compromise_reason(
        self, ip: str, client: ClientState | None, key: str | None, when: float
    ) -> tuple[str, int, bool] | None:
        """Why a successful login as ``key`` from ``ip`` looks like a break-in, how many
        failures came before it, and whether only other clients made them (the least
        certain case: a first login from a new device can follow someone else's
        guessing); None when it looks like the owner logging in. The guessing of the
        client's own network, when that network stands as an attacker
        (:meth:`_network_guessed`), is the client's own: the same attacker at another
        address of it. When the network's addresses tried other accounts too, that is a
        break-in even with fewer than ``compromise_failures`` of it within
        ``compromise_window``: they are counted over the window of the rule that flagged
        the network."""
        excused = False  # a campaign member by a few failures on this very account
        if client is not None and client.allowed is None:
            # Its own guessing, not an earlier break-in (a login after one is no proof).
            guessing = [
                v for v, _ in client.verdicts if v in GUESSING_VERDICTS and v is not _COMPROMISE
            ]
            if guessing and self._owner_pattern(client, key, guessing):
                excused = Verdict.SPRAY_MEMBER in guessing
                guessing = []
            shared = False  # someone else behind the address may have logged in
            if guessing and key is not None and self._shared_address(client, key, when):
                first = not any(v is _COMPROMISE for v, _ in client.verdicts)
                times = client.times
                last = times[-1] if times else None
                soon = last is not None and when - last <= self._limits.compromise[1]
                if (
                    Verdict.BRUTEFORCE not in guessing
                    or not first
                    or not soon  # hours after the guessing: someone else there
                    or self._others_log_in(client, key)
                ):
                    # someone else behind the same address (an office's NAT): after its
                    # first login as another account, the others too
                    guessing = []
                else:
                    # A fast brute force on one account, then soon a login as another: a
                    # bot with a list of stolen passwords, or a person behind the bot's
                    # NAT. The owner can tell: a Maybe, not nothing.
                    shared = True
            if guessing:
                worst = min(guessing, key=RANK.__getitem__)
                what = f"as {key}" if key else "(the log does not say as whom)"
                n = client.failures
                unsure = shared or self._a_few_on_it(client, key)
                if unsure and key is not None and not shared:
                    since = when - self._limits.compromise[1]
                    unsure = self._network_guessed(ip, client, key, since, when) is None
                return (
                    f"logged in {what} after {n} failed {'login' if n == 1 else 'logins'} "
                    f"from this client ({worst})",
                    n,
                    unsure,
                )
        if key is None:
            return None
        account = self._accounts.get(key)
        other_form = self._other_account(key)  # bob for bob@example.com: one account
        if account is None:
            if other_form is None:
                return None
            account, other_form = other_form, None
        needed, window = self._limits.compromise
        since = when - window
        burst = _burst(account.times, since, when)
        own = client.user_failures(account.name) if client is not None else 0
        if other_form is not None:
            burst += _burst(other_form.times, since, when)
            if client is not None:
                own += client.user_failures(other_form.name)
        own = min(burst, own)
        others = burst - own
        # A never-banned client's own guessing is judged by no verdict: it counts here.
        counted = burst if client is not None and client.allowed is not None else others
        if counted >= needed:
            network = None
            if client is None or client.allowed is None:
                near = self._network_guessed(ip, client, key, since, when)
                if near is not None:  # its network's guessing is its own
                    network, tries, _lists = near
                    tries = min(tries, others)
                    own += tries
                    others -= tries
            text = self._limits.text["compromise"]
            guessers = self._guessers(account, client, key, since, also=other_form)
            # Only others guessed, or this client a few times on this account alone:
            # its owner's typo or old device, or the guess that worked; the owner can tell.
            # Not when its network guessed it: the attacker itself, at another address.
            return (
                f"logged in as {key} right after {_burst_text(own, others, network)} "
                f"within {text}" + (f" ({guessers})" if guessers else ""),
                burst,
                network is None
                and (own == 0 or (client is not None and self._a_few_on_it(client, key))),
            )
        if client is None or client.allowed is None:
            # Fewer failures on it than a burst within compromise_window, but its network
            # stands as an attacker that guessed it, over the window of the rule that
            # flagged that network (a guess an hour from address after address): the
            # attacker got in from another of its addresses.
            near = self._network_guessed(ip, client, key, since, when)
            if near is not None and near[2]:
                # (Its addresses trying this account alone may be the owner's devices
                # with an old password before the owner's first login from there: the
                # network's report asks the owner, :meth:`_network_login`; unless more
                # addresses than a household's failed on it, :meth:`_walked_its_64`.)
                network, tries, _lists = near
                own = client.user_failures(key) if client is not None else 0
                net = client.net if client is not None else None
                if net is None:
                    net = network_key(ip, self._v4, self._v6)[0]
                window, text = self._network_rule_window(self._network_state(net))
                guessers = self._guessers(account, client, key, min(since, when - window))
                return (
                    f"logged in as {key} right after {_burst_text(own + tries, 0, network)} "
                    f"within {text}" + (f" ({guessers})" if guessers else ""),
                    own + tries,
                    False,
                )
            if near is not None:
                walked = self._walked_its_64(ip, client, key, account, when)
                if walked is not None:
                    return walked
        if excused and client is not None:
            return self._inside_a_campaign(client, key, account, when)
        return None

    def _inside_a_campaign(
        self, client: ClientState, key: str, account: AccountState, when: float
    ) -> tuple[str, int, bool] | None:
        """A login as ``key`` from a client that failed on it a time or two and so
        joined the spraying campaign guessing it: its owner mistyping, or the campaign's
        guess that worked, which no count tells apart (a slow campaign never makes a
        burst). Reported to be checked with the owner (``by_others``: watched, not
        banned) when the campaign's other clients tried the account within
        ``compromise_window`` before (an owner's typo hours after a campaign passed is
        the owner's), from outside the client's network (its own /24 or /64, a carrier's
        pool or a household, may be the owner's other devices)."""
        number = self._campaigns.campaign_of(client.ip)
        since = when - self._limits.compromise[1]
        guessers = self._guessers(account, client, key, since, elsewhere=True)
        if number is None or not guessers:
            return None
        own = client.user_failures(key)
        tries = f"{own} failed {'login' if own == 1 else 'logins'}"
        return (
            f"logged in as {key} after {tries} on it, while spraying campaign {number} "
            f"was guessing this account ({guessers})",
            own,
            True,
        )

    def _network_guessed(
        self, ip: str, client: ClientState | None, key: str, since: float, when: float
    ) -> tuple[str, int, bool] | None:
        """The network (``ipv4_prefix``/``ipv6_prefix``) of ``ip``, and how many failures
        on ``key`` its other addresses made (each one's on that account, those that
        failed on it since ``since``), when that network stands as an attacker (its
        addresses flagged as guessing together, and nobody logged in from it: see
        :meth:`_network_stands`) and its guessing of ``key`` is no owner's: a login from
        it as that account is the attacker's, at another of its addresses, not someone
        else's after others' guessing. None when the network does not stand, or none of
        its other addresses tried ``key``: a carrier's pool or an office's network where
        one other address guessed the account is no attacker as a whole, and a login
        there may be its owner's. None too for an IPv4 network whose addresses that
        tried ``key`` tried no other account: a carrier's pool (CGNAT), where the
        owner's phone with an old password fails from address after address of it, and
        where other people's typos on their own accounts make it stand, looks just so
        (:meth:`_lists_accounts`). An IPv6 network (a /64) is one subscriber's, whose
        logins make its failures the owner's (a device's old password, ``stale_window``):
        addresses of it guessing an account that never logged in from it are no owner's
        devices; unless the account was tried from one other address of it, and the
        rest tried one other account alone, from a household's few addresses
        (:meth:`_other_accounts`): the owner's phone before its address changed, beside
        a household member's with an old password. The failures counted are those since
        ``since`` or within the window of the rule that flagged the network, whichever
        is longer (``network_window``, or the slow rule's: a guess an hour from address
        after address); the third value says whether its addresses tried another account
        too (for IPv4, one that tried ``key`` must have)."""
        net = client.net if client is not None else network_key(ip, self._v4, self._v6)[0]
        state = self._network_state(net)
        if net is None or state is None or not self._network_stands(state):
            return None
        account = self._accounts.get(key)
        if account is None:
            return None
        since = min(since, when - self._network_rule_window(state)[0])
        v4, v6 = self._v4, self._v6
        tries = addresses = 0
        lists = False
        for other_ip, last in account.clients.items():
            if other_ip == ip or last < since or last > when:
                continue
            other = self._known(other_ip)
            if other is None:
                continue
            other_net = other.net if other.net is not None else network_key(other_ip, v4, v6)[0]
            if other_net == net:
                failed = other.user_failures(key)
                tries += failed
                if failed:
                    addresses += 1
                if failed and not lists:
                    lists = self._lists_accounts(other, key)
        if not tries or not (lists or is_v6(net)):
            return None
        if not lists:  # its other addresses, that tried other accounts
            others = self._other_accounts(state, ip, key, since)
            if others == 1 and addresses < PHONE_ADDRESSES:
                # key from the login's address and one other (its owner's phone, its
                # address changed), and another account from a few (a household
                # member's device with an old password): a household, no attacker that
                # got in. (An attacker rotating its addresses tries more.)
                return None
            lists = others > 0
        return str(network_of(net, v4, v6)), tries, lists

    def _other_accounts(self, state: NetworkState, ip: str, key: str, since: float) -> int:
        """What a network's addresses other than ``ip`` (since ``since``) tried besides
        ``key``: 0, nothing else; 1, one other account alone, from no more than
        :data:`HOUSEHOLD_ADDRESSES` of them (a household member's device with an old
        password, as bob's phone before bob's first login in the log); 2, more, as an
        attacker's list does (several accounts from one address, two or more from
        address after address, or one from more addresses than a household's)."""
        other_account: str | None = None
        addresses = 0
        for other_ip in state.members.keys_since(since):
            other = self._known(other_ip) if other_ip != ip else None
            if other is None or not self._lists_accounts(other, key):
                continue
            if other.users_full:
                return 2
            for name in other.users_tried():
                if same_account(name, key):
                    return 2  # key among others: a list
                if other_account is None:
                    other_account = name
                elif not same_account(name, other_account):
                    return 2
            addresses += 1
            if addresses > HOUSEHOLD_ADDRESSES:
                return 2
        return 0 if other_account is None else 1

    def _walked_its_64(
        self, ip: str, client: ClientState | None, key: str, account: AccountState, when: float
    ) -> tuple[str, int, bool] | None:
        """A login as ``key`` from an IPv6 /64 that stands as an attacker (nobody logged
        in from it before) and whose addresses tried that one account alone
        (:meth:`_network_guessed`): more than :data:`HOUSEHOLD_ADDRESSES` of them (the
        login's own among them) failed on it, ``compromise_failures`` or more times
        within ``daily_window``. An owner's devices with an old password logged in from
        there before they failed, and are a household's few: this is an attacker
        walking the /64's addresses, a guess or two from each, that got in. A Maybe (the
        owner can tell: a phone whose privacy address kept changing before its owner's
        first login in the log looks alike); the network stays banned. None otherwise:
        the login is the owner's, and the network's report asks
        (:meth:`_network_login`)."""
        net = client.net if client is not None else network_key(ip, self._v4, self._v6)[0]
        if net is None or not is_v6(net):
            return None
        v4, v6 = self._v4, self._v6
        since = when - self._limits.daily[1]
        addresses = failures = 0
        for other_ip, last in account.clients.items():
            if last < since or last > when:
                continue
            other = client if other_ip == ip else self._known(other_ip)
            if other is None:
                continue
            other_net = other.net if other.net is not None else network_key(other_ip, v4, v6)[0]
            if other_net == net:
                failed = other.user_failures(key)
                if failed:
                    addresses += 1
                    failures += failed
        if addresses <= HOUSEHOLD_ADDRESSES or failures < self.policy.compromise_failures:
            return None
        network = str(network_of(net, v4, v6))
        guessers = self._guessers(account, None, key, since)
        return (
            f"logged in as {key} right after {_burst_text(failures, 0, network)} "
            f"within {self._limits.text['daily']}" + (f" ({guessers})" if guessers else ""),
            failures,
            True,
        )

    def _network_rule_window(self, state: NetworkState | None) -> tuple[float, str]:
        """The window (seconds, and as text) of the rule that flagged a network:
        ``network_window``, or the slow brute-force rule's (:meth:`_network_slow`)."""
        limits = self._limits
        if state is not None and state.slow is not None:
            for (_needed, window, reason), name in zip(
                limits.slow_rules, ("slow", "daily"), strict=True
            ):
                if reason == state.slow:
                    return window, limits.text[name]
        return limits.network[1], limits.text["network"]

    @staticmethod
    def _lists_accounts(client: ClientState, key: str) -> bool:
        """Whether a client that failed on ``key`` failed on another account too: a list
        of accounts, a bot's, not the owner's device with an old password (which tries
        its own account, by its local part or in full, only)."""
        return any(not same_account(name, key) for name in client.users_tried())

    def _network_login(self, ip: str, net: NetKey | None, key: str | None, when: float) -> None:
        """Someone logged in from ``ip``, not judged an intruder, and its network stops
        standing as an attacker (:meth:`_person_in_network`). When the network was
        flagged and other addresses of it had tried ``key`` within ``daily_window``, the
        network's report says so: the login may be the owner's (a household's devices
        share a /64) or the network's guessing that got in; the owner can tell, the log
        cannot, so it is a note on the watched network, not a verdict."""
        if net is None:
            net, _ = network_key(ip, self._v4, self._v6)
        state = self._network_state(net)
        if net is None or state is None or state.flagged is None or key is None:
            return
        account = self._accounts.get(key)
        if account is None or net in self._network_logins:
            return
        since = when - self._limits.daily[1]
        v4, v6 = self._v4, self._v6
        tried = sum(
            1
            for other, last in account.clients.items()
            if since <= last <= when and other != ip and network_key(other, v4, v6)[0] == net
        )
        if tried:
            logins = self._network_logins
            if len(logins) >= self.policy.max_clients:
                drop_oldest(logins)  # the oldest tenth: one at a time costs more each time
            logins[net] = (
                f"{ip} logged in from it as {key}, an account {tried:,} other "
                f"{'address' if tried == 1 else 'addresses'} of it had tried: ask the owner "
                "whether that was them"
            )

    def _guessers(
        self,
        account: AccountState,
        client: ClientState | None,
        key: str,
        since: float,
        elsewhere: bool = False,
        also: AccountState | None = None,
    ) -> str:
        """The other clients that failed on the account since ``since`` (at most three,
        most recent first), leaving out owners who logged in as it: whom a login after
        someone else's guessing followed. ``elsewhere``: only those outside the client's
        network (its own /24 or /64 may be the owner's other devices). ``also``: the
        account under its other name (:meth:`_other_account`), its clients with them."""
        names: list[str] = []
        others = 0
        tried: Iterable[tuple[str, float]] = reversed(account.clients.items())
        if also is not None:
            merged = dict(account.clients)
            for ip, last in also.clients.items():
                if last > merged.get(ip, last - 1):
                    merged[ip] = last
            tried = sorted(merged.items(), key=lambda item: -item[1])
        for ip, last in tried:
            if last < since or (client is not None and ip == client.ip):
                continue
            other = self._known(ip)
            near = client is not None and other is not None and other.net == client.net
            if elsewhere and near and client is not None and client.net is not None:
                continue  # the same /24 or /64 as the client's
            if (
                other is not None
                and other.succeeded
                and any(same_account(key, user) for user in other.succeeded)
                and not other.flags & _COMPROMISED
            ):
                continue  # the owner's typo, excused
            if len(names) < 3:
                names.append(ip)
            else:
                others += 1
        if not names:
            return ""
        more = f" and {others:,} more" if others else ""
        return "from " + ", ".join(names) + more

    def _excuse_typos(
        self, client: ClientState, key: str, when: float, previous: float | None = None
    ) -> None:
        """The owner of ``key`` logged in from ``client`` after failing on it: those
        failures were typos, not guesses (:meth:`ClientState.forget_typos`, within
        ``compromise_window``). So were its failures on ``key`` in another form
        (``alice`` for alice@example.com: one account), and a few (:data:`TYPO_FAILURES`)
        on a misspelt name that is no real account (:meth:`_misspelt`) within
        :data:`TYPO_WINDOW` (``mai`` for mia: people behind an office's address
        mistyping their own names make no enumeration; a bot's names beside them stay
        counted). ``previous``: the account's previous login from here (a known
        account): its failures on it are stale ones, not counted, and only misspelt
        names tried since that login are left to excuse. A client already judged
        keeps its failures on other names: they made its verdict."""
        if client.users is None and client.user is None:
            return
        since = when - self._limits.compromise[1]
        typos_since = when - TYPO_WINDOW
        if previous is not None and previous > typos_since:
            typos_since = previous
        judged = client.flags & _GUESSING_BITS
        for name, last in client.users_last():
            if name == key:
                if previous is not None:
                    continue
                start = since
            elif same_account(name, key):
                if previous is not None or judged:
                    continue
                start = since
            elif judged or last < typos_since or not self._misspelt(client, name, key):
                continue
            else:
                start = typos_since
            self._excuse_account_typos(client, name, when)
            # Still among failures_counted: the headline says them apart.
            forgiven = client.forget_typos(name, start, when)
            self._failures_forgiven += forgiven
            if forgiven:
                self._forget_connection_names(client)

    def _forget_connection_names(self, client: ClientState) -> None:
        """The typos of an owner were forgiven (:meth:`_excuse_typos`): when no failure
        of the client is left counted within ``fast_window`` before the failure that
        marked a connection trying two names (:attr:`ClientState.names_in_connection`),
        that connection's names were the owner's typos (``alcie``, then ``alice``), no
        program's: the mark goes."""
        mark = client.names_in_connection
        if mark == NEVER:
            return
        times = client.times
        if times:
            start = mark - self._limits.fast[1]
            i = bisect_left(times, start)
            if i < len(times) and times[i] <= mark:
                return
        client.names_in_connection = NEVER

    def _misspelt(self, client: ClientState, name: str, key: str) -> bool:
        """Whether failures on ``name`` may be the owner of ``key`` mistyping their own
        name: it is close to it (:func:`~mailwarden.detect.accounts.typo_of`), tried
        no more than :data:`TYPO_FAILURES` times (by this client, and by all clients
        together: a name excused once is not excused without end), and no real account
        (one logged in as, anywhere, or listed in ``--users``): a colleague's account
        guessed is guessing, however like the owner's its name."""
        if client.user_failures(name) > TYPO_FAILURES:
            return False
        account = self._accounts.get(name)
        if account is not None and account.failures > TYPO_FAILURES:
            return False
        if not typo_of(name, key) or same_account(name, key):
            return False
        if "@" not in name and name in self._full_forms:
            return False  # a bare name someone logged in as with its domain
        return not self._real_account(name)

    def _misspelt_device(self, client: ClientState, key: str, when: float) -> str | None:
        """The name a client judged a slow brute force failed with, when those failures
        were its owner's device set up with ``key`` misspelt (``bbo`` or bbo@example.com
        for bob@example.com), retrying on a timer until the owner fixed the name, and
        this login, the first as ``key`` from its address, is the fix: every
        failure of it named that one name, a typo of ``key`` (:func:`typo_of`) but not
        ``key`` in another form (``bob`` is bob@example.com: a guess on the account
        itself), no real account and tried by no other client, no more often than a
        device with an old password may fail (``stale_max_failures``), the last of them
        within ``daily_window`` before this login as ``key``; no verdict of it but
        that guessing (a probe's name, one by association: a fast burst is a bot's, and
        a name tried between the account's logins from there no device's that was
        fixed); and no other
        account logged in from its address (an office's NAT, where a bot may try a name
        near a colleague's and the login be someone else's). An attacker
        that knows bob's password has no reason to try ``bbo``: the login is the
        owner's, from the device whose failures they were. None otherwise (a client
        that tried several names, or one unlike ``key``, stays guessing)."""
        flags = client.flags
        if not flags & _SLOW or flags & ~(_SLOW | _PROBE | _BY_ASSOCIATION_BITS):
            return None
        name = client.user
        if name is None or client.users is not None or client.users_full:
            return None
        if client.user_count != client.failures or client.failures > self.policy.stale_max_failures:
            return None
        if not 0 <= when - client.user_last <= self._limits.daily[1]:
            return None
        if same_account(name, key) or not typo_of(name, key) or self._real_account(name):
            return None
        if "@" not in name and name in self._full_forms:
            return None  # a bare name someone logged in as with its domain
        account = self._accounts.get(name)
        if account is not None and any(ip != client.ip for ip in account.clients):
            return None  # others tried it too: a name of a list, not one device's typo
        if self._owners and self._others_log_in(client, key):
            return None  # an office's address: a bot there may try a name near someone's
        return name

    def _misspelt_device_fixed(
        self, client: ClientState, name: str, key: str, when: float, event: Event
    ) -> None:
        """The owner of ``key`` logged in from the client whose failures were on ``name``,
        their device's misspelling of it (:meth:`_misspelt_device`): no guessing. Its
        verdicts go, its failures on the name are forgotten (they count for no later
        rule), and a finding under "Not attacks" says to fix the name in the device."""
        failures = client.user_failures(name)
        evidence = (*(client.evidence or ())[:2],)
        client.drop_verdicts(client.flags)
        self._excuse_account_typos(client, name, when)
        self._failures_counted -= client.forget_typos(name, float("-inf"), when)
        devices = self._misspelt_devices
        if client.ip not in devices and len(devices) >= MAX_FINDINGS_PER_KIND:
            return
        devices[client.ip] = Finding(
            kind="misspelt_username",
            severity=Severity.INFO,
            subject=client.ip,
            evidence=(*evidence_events(evidence), event),
            data={
                "users": [name],
                "account": key,
                "failures": failures,
                "recommendation": NONE_MISSPELT,
                "advice": "a device (phone, mail client) set up with a misspelt user name: "
                f"fix the user name in that device ({key}, not {name})",
            },
        )

    def _full_form_seen(self, key: str) -> None:
        """Someone logged in as ``key``, a name with a domain (:attr:`_full_forms`)."""
        local, _, domain = key.rpartition("@")
        forms = self._full_forms
        seen = forms.get(local)
        if seen is None:
            forms[local] = key
        elif seen and seen != key:
            forms[local] = ""
        if len(self._login_domains) < MAX_LOGIN_DOMAINS:
            self._login_domains.add(domain)

    def _other_form(self, owner: OwnerState, key: str) -> tuple[str, float] | None:
        """The account logged in from ``owner``'s address that ``key`` names in another
        form, and when (:meth:`OwnerState.other_form`). A login without the domain is a
        full name's only when no other domain is known for that name (logged in as
        anywhere, or in ``--users``) and its domain is no stranger to this server: after
        a login as ``alice``, failures as alice@b.example are guessing when
        alice@a.example is the one that logs in, or a.example the only domain seen."""
        other = owner.other_form(key)
        if other is None or "@" in other[0]:
            return other
        return other if self._bare_names(key) else None

    def _bare_names(self, key: str) -> bool:
        """Whether the name without its domain is the account ``key`` (a full name):
        no other domain is known for that name, and ``key``'s domain is one logins name,
        or they name none (see :meth:`_other_form`)."""
        local, _, domain = key.rpartition("@")
        seen = self._full_forms.get(local)
        if seen is not None and seen != key:
            return False  # another domain's alice logs in (or several do)
        accounts = self.accounts
        if accounts is not None and len(accounts):
            forms = accounts.domains(local)
            if (forms and forms != {key}) or not accounts.exists(key):
                return False
        domains = self._login_domains
        # logins name other domains, never this one: the bare name is theirs
        return seen is not None or not domains or domain in domains

    def _other_account(self, key: str) -> AccountState | None:
        """The failures on the account ``key`` under its other name (``bob`` for
        bob@example.com, or the other way round: :func:`same_account`), when that name
        is the account's beyond doubt (:meth:`_bare_names`; a bare name's full one is
        the one logged in as, alone, with its domain): one account, one burst."""
        accounts = self._accounts
        if "@" in key:
            state = accounts.get(local_part(key))
            return state if state is not None and self._bare_names(key) else None
        full = self._full_forms.get(key)
        if not full:
            return None
        state = accounts.get(full)
        return state if state is not None and self._bare_names(full) else None

    def _excuse_account_typos(self, client: ClientState, key: str, when: float) -> None:
        """A client's typos on ``key`` (:meth:`_excuse_typos`) leave the account's recent
        failures, so that they add to no burst "from other clients" before someone
        else's login (six people sharing a mailbox, each mistyping once after a password
        change, are no attack on it). The account keeps times, not who failed when: the
        latest of its failures up to this login, as many as this client made within the
        window (its failures on the account, at most its failures of any name within
        the window: an old typo must not hide someone else's fresh guess), are the ones
        taken out."""
        account = self._accounts.get(key)
        last = account.clients.get(client.ip) if account is not None else None
        since = when - self._limits.compromise[1]
        if account is None or last is None or last < since:
            return
        recent = sum(1 for at in client.times or () if since <= at <= when)
        drop_latest(account.times, min(client.user_failures(key), recent), since, when)

    @staticmethod
    def _tried_locals(client: ClientState) -> set[str]:
        """The local parts of the names a client failed with (``carol`` and
        carol@example.com are one person's)."""
        return {local_part(name) for name in client.users_tried()}

    def _others_log_in(self, client: ClientState, key: str) -> bool:
        """Whether accounts other than ``key`` have logged in from the client's address
        (its /64 for IPv6): an address people share."""
        owner = self._owners.get(self._owner_key(client.ip, client.net))
        return owner is not None and any(not same_account(user, key) for user in owner.users)

    def _a_few_on_it(self, client: ClientState, key: str | None) -> bool:
        """Whether a client's guessing before its login as ``key`` was all on that
        account, and no more than ``fast_failures`` tries, or from an address others log
        in from too (an office's NAT, where a phone with an old password fails until its
        owner's laptop logs in); or no more than ``fast_failures`` tries in all, some of
        them on that account, at a person's pace (colleagues behind one address, one
        mistyping twice and another once within a minute): a person's retyping or old
        device, or a guess that worked, which no count tells apart. The owner can: the
        compromise is to be checked with them (its own brute-force verdict still bans
        the address). Not tries on several names that earned a ban as a program's
        (:meth:`_banned_as_a_program`: names faster than people type, an enumeration, a
        honeypot's name): the detector judged the client an attacker, and its login is
        the guess that worked; nor a spraying campaign's member that tried several of
        the accounts its other members tried (:meth:`_sprays_like_the_others`): that is
        the campaign's list, not colleagues' typos."""
        if key is None:
            return False
        tried = self._tried_locals(client)
        few = client.failures <= self.policy.fast_failures
        if not tried <= {local_part(key)}:
            return (
                few
                and local_part(key) in tried
                and not self._banned_as_a_program(client)
                and not self._sprays_like_the_others(client)
            )
        return few or self._others_log_in(client, key)

    @staticmethod
    def _banned_as_a_program(client: ClientState) -> bool:
        """Whether a client that tried several names earned a ban of its own guessing
        (not by association, nor a probe's watch) that no people behind one address
        earn by their typos: an enumeration, a honeypot's name, or a brute force on at
        least three names whose tries came within :data:`PEOPLE_APART` seconds of each
        other (faster than people type: a program), or on names one connection tried
        (:attr:`ClientState.names_in_connection`: colleagues each have their own) among
        the failures still counted (the guessing that earned the ban: not a connection
        of hours before, nor one whose names were forgiven as typos). A
        brute force at a person's pace (a name retyped within ``fast_window``, beside a
        colleague's typo), or on two names (a phone's IMAP and SMTP failing together on
        its old password, a colleague's typo seconds later) may still be colleagues'."""
        flags = client.flags
        if flags & (_ENUMERATION | _HONEYPOT):
            return True
        if not flags & _OWN_GUESSING:
            return False
        times = client.times
        n = min(client.failures, len(times)) if times else 0
        if times is None or n < 2:
            return True
        if client.names_in_connection >= times[-n]:
            return True  # among the failures still counted: the guessing of the ban
        return times[-1] - times[-n] < PEOPLE_APART and client.distinct_users() >= 3

    def _sprays_like_the_others(self, client: ClientState) -> bool:
        """Whether a member of a spraying campaign tried two or more accounts that other
        members of its campaign tried too, as a bot working through the campaign's list
        does (colleagues behind one address that joined a campaign through a typo on
        one of its accounts share one, not several)."""
        if not client.flags & _SPRAY:
            return False
        campaigns = self._campaigns
        ip = client.ip
        root = campaigns.find(ip)
        shared = 0
        for name in client.users_tried():
            account = self._accounts.get(name)
            if account is None:
                continue
            if any(other != ip and campaigns.find(other) == root for other in account.clients):
                shared += 1
                if shared > 1:
                    return True
        return False

    def _shared_address(self, client: ClientState, key: str, when: float) -> bool:
        """Whether a login as ``key`` from a client judged guessing is someone else
        behind the same address (an office's NAT, a carrier's pool), not a break-in:
        nobody was guessing ``key``, and the client's guessing was on one account (a
        device with an old password) or others have logged in from the address too.
        A client that tried several accounts and logs in as one nobody tried, from an
        address nobody logs in from, knew its password: a compromise still."""
        if self._being_guessed(client, key, when):
            return False
        # Exactly one: failures that name no account (an old Postfix logs none) may have
        # been on this very one, and a bot's login after them is the break-in to report.
        return len(self._tried_locals(client)) == 1 or self._others_log_in(client, key)

    def _being_guessed(self, client: ClientState, key: str, when: float) -> bool:
        """Whether the account ``key`` was being guessed: this client tried it (by its
        local part too: ``carol`` is carol@example.com), or a hostile client did within
        ``daily_window``."""
        if local_part(key) in self._tried_locals(client):
            return True
        account = self._accounts.get(key)
        if account is None:
            return False
        since = when - self._limits.daily[1]
        for ip, last in account.clients.items():
            if ip == client.ip or last < since:
                continue
            other = self._known(ip)
            if other is None or other.flags & _GUESSING_BITS:
                return True
        return False

    def _owner_pattern(self, client: ClientState, key: str | None, guessing: list[Verdict]) -> bool:
        """A client judged only by what others did (its network, a campaign it joined
        through this very account) or by the name it tried (a probe), whose own few
        failures were all on the account it then logged in as: a person who mistyped,
        not an intruder. (A burst on the account from others still makes it a
        compromise: see :meth:`_compromise_reason`.)"""
        if not set(guessing) <= _BY_ASSOCIATION:
            return False
        tried = self._tried_locals(client)
        if key is None:  # the log does not say as whom: the one account it tried, if one
            return len(tried) <= 1 and client.failures < self.policy.fast_failures
        # ``carol`` then carol@example.com: the same person, who forgot the domain
        return tried <= {local_part(key)} and client.failures < self.policy.fast_failures

    def _person_in_network(self, ip: str, net: NetKey | None) -> None:
        """Someone logged in from ``ip``, not as an intruder: its network is no attacker
        as a whole (:meth:`_network_stands`); its addresses are judged one by one."""
        if net is None:
            net, _ = network_key(ip, self._v4, self._v6)
            if net is None:
                return
        people = self._people_nets
        if net not in people:
            if len(people) >= self.policy.max_clients:
                people.clear()
            people.add(net)

    def _failed_owner(self, client: ClientState, user: str | None) -> None:
        """Remember an owner's login from an address whose failures stay counted (they
        named no account to excuse): the report says the login beside them."""
        if (
            user
            and client.failures
            and not client.flags & _GUESSING_BITS
            and client.ip not in self._owner_logins
            and len(self._owner_logins) < MAX_OWNER_LOGINS
        ):
            self._owner_logins[client.ip] = (client.ip, user, client.failures)

    def _owner_logged_in(self, client: ClientState, key: str | None) -> None:
        """A person logged in: their failures were typos, their address is no network
        member and no probe."""
        client.drop_verdicts(_BY_ASSOCIATION_BITS)
        if client.net is not None:
            state = self._networks.get(client.net) or self._archived_networks.get(client.net)
            if state is not None:
                state.members.discard(client.ip)

    # -- credentials -------------------------------------------------------------------

    def _decoded(self, event: Event) -> None:
        tracker = self._sessions
        for session, cred in tracker.decoded:
            self._credential(session, cred, event)
        tracker.decoded.clear()

    def _credential(self, session: Session, cred: Credential, event: Event) -> None:
        self._credentials_decoded += 1
        source = self._server.credential(event, cred.user, cred.password is not None)
        if session.ip is not None and cred.password is not None and cred.user is not None:
            self._password_from(session.ip, cred.user, source)
        if len(self._credentials) < MAX_CREDENTIALS:
            record = event.record
            if session.ip is None:
                # A TLS dump line names no client: the session's later lines will.
                if session.unresolved is None:
                    session.unresolved = []
                session.unresolved.append(len(self._credentials))
                self._unresolved_sources[len(self._credentials)] = source
            self._credentials.append(
                SeenCredential(
                    ip=session.ip,
                    credential=cred,
                    time=record.time,
                    source=record.source,
                    line=record.line,
                )
            )

    def _renamed(self, look_back: int = 16) -> None:
        """Decoded credentials whose account a later line named
        (:attr:`SessionTracker.renamed`): the kept ones (among the latest ``look_back``)
        name it too."""
        tracker = self._sessions
        kept = self._credentials
        for old, named in tracker.renamed:
            for index in range(len(kept) - 1, max(-1, len(kept) - 1 - look_back), -1):
                if kept[index].credential is old:
                    kept[index] = replace(kept[index], credential=named)
                    break
        tracker.renamed.clear()

    def _password_logged(self, event: Event, ip: str | None) -> None:
        """A password the server wrote: Dovecot's ``given password`` in a failure line
        (``auth_verbose_passwords``), or a debug line's (:meth:`_feed_debug`)."""
        user = event.user
        source = self._server.credential(event, user, True)
        if ip is not None and user is not None:
            self._password_from(ip, user, source)

    def _password_from(self, ip: str, user: str, source: str) -> None:
        """``ip`` sent a password for ``user`` that the log shows: the user's own if the
        client (the address, or for IPv6 its /64, as for stale passwords) has logged in
        as ``user`` before or does later; an attacker's failed guess otherwise."""
        key = self._owner_key(ip)
        owner = self._owners.get(key)
        if owner is not None and account_key(user) in owner.users:
            self._server.real(source, user)
        else:
            self._server.awaiting_login(key, user, source)

    def _unresolved_login(self, session: Session, user: str) -> None:
        """A session whose address the log has not shown yet logged in as ``user``: the
        passwords it sent for ``user`` were real."""
        key = account_key(user)
        credentials = self._credentials
        for index in session.unresolved or ():
            cred = credentials[index].credential
            source = self._unresolved_sources.get(index)
            if source and cred.password is not None and cred.user and account_key(cred.user) == key:
                self._server.real(source, cred.user)

    def _address_learned(self, session: Session) -> None:
        """A session whose credentials were decoded before its address showed learned it."""
        waiting, session.unresolved = session.unresolved or [], None
        credentials = self._credentials
        for index in waiting:
            seen = credentials[index]
            source = self._unresolved_sources.pop(index, None)
            cred = seen.credential
            if session.ip and source and cred.password is not None and cred.user is not None:
                self._password_from(session.ip, cred.user, source)
            credentials[index] = SeenCredential(
                ip=session.ip,
                credential=seen.credential,
                time=seen.time,
                source=seen.source,
                line=seen.line,
            )

    # -- unbans -----------------------------------------------------------------------

    def forgive(self, network: IPNetwork, until: float) -> None:
        """The ban of ``network`` (an address as a /32 or /128, or a network) was lifted
        by hand (``mailwarden unban``): what its addresses did up to ``until`` (POSIX
        seconds) never bans them again, and they start again from nothing.

        Their state goes (failures, times, usernames, verdicts, and the mark that they
        were reported, which held a new ban back for ``ban_time``), with a network's own
        (its members, when it was flagged); so do lost connections waiting for their
        guesses. A failure or policy violation of one of its addresses logged at or
        before ``until`` is not counted from now on (a line read late, the lines before
        the unban that a restart reads again); those logged after it count from zero
        and ban again at the threshold.

        ``until`` is compared with the lines' log times: the daemon gives the unban's
        wall-clock time as the store keeps it (whole seconds, rounded) plus half a second,
        so that every line written before the unban is at or before it, on a host whose
        log clock is its own clock; a new failure in that second is not counted (one
        second of guessing, never an old failure that bans). Only the lines of an
        address that has no state yet are looked at: one logged before ``until`` that
        comes after one logged after it (two inputs read a poll apart) counts with the
        new ones. Kept for the policy's longest window after ``until``
        (:meth:`expire`)."""
        if network.num_addresses == 1:
            ip = str(network.network_address)
            if until > self._forgiven.get(ip, until - 1):
                self._forgiven[ip] = until
            self._clients.pop(ip, None)
            self._archive.pop(ip, None)
            self._pending_unavailable.pop(ip, None)
            self._answered.pop(ip, None)
            self._unhold(ip)
            return
        if until > self._forgiven_nets.get(network, until - 1):
            self._forgiven_nets[network] = until

        def inside(ip: str) -> bool:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return False
            return address.version == network.version and address in network

        def within(key: NetKey) -> bool:
            state = network_of(key, self._v4, self._v6)
            return (
                state.version == network.version
                and state.network_address in network
                and state.prefixlen >= network.prefixlen
            )

        _drop(self._clients, inside)
        _drop(self._archive, inside)
        _drop(self._pending_unavailable, inside)
        _drop(self._answered, inside)
        for ip in [ip for ip in self._wider_held if inside(ip)]:
            self._unhold(ip)
        _drop(self._networks, within)
        _drop(self._archived_networks, within)
        _drop(self._lone, within)

    def _forgiven_line(self, ip: str, when: float) -> bool:
        """Whether a line of ``ip`` logged at ``when`` is one an unban forgave
        (:meth:`forgive`). Asked only for an address the detector holds no state of, and
        only while some unban is recent: no cost for the others."""
        until = self._forgiven.get(ip)
        if until is not None and when <= until:
            return True
        if not self._forgiven_nets:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(
            when <= end and address.version == network.version and address in network
            for network, end in self._forgiven_nets.items()
        )

    # -- state -------------------------------------------------------------------------

    def _client(self, ip: str, when: float) -> ClientState:
        clients = self._clients
        client = clients.get(ip)
        if client is not None:
            clients[ip] = clients.pop(ip)  # touch
            return client
        return self._new_client(ip, when)

    def _new_client(self, ip: str, when: float) -> ClientState:
        """The state of a client not in the table: from the archive, or a new one."""
        if self._archive:
            client = self._archive.pop(ip, None)
            if client is not None:
                self._add_state(self._clients, ip, client)
                return client
        net, loopback = network_key(ip, self._v4, self._v6)
        client = ClientState(ip, net, when)
        if loopback or self._own or self._allow:
            client.allowed = self._allowed(ip, loopback)
        clients = self._clients
        clients[ip] = client
        if len(clients) > clients.capacity:
            del clients[ip]
            self._add_state(clients, ip, client)
        return client

    def _known(self, ip: str) -> ClientState | None:
        """The state of a client, live or kept for the report (:attr:`_archive`)."""
        return self._clients.get(ip) or self._archive.get(ip)

    def _revive(self, ip: str) -> ClientState | None:
        if not self._archive:
            return None
        client = self._archive.pop(ip, None)
        if client is not None:
            self._add_state(self._clients, ip, client)
        return client

    def _add_state(self, table: StateTable[Any, Any], key: Any, state: Any) -> None:
        for old in table.add(key, state):
            if isinstance(old, ClientState):
                self._clients_evicted += 1
                self._retire(old)
            elif isinstance(old, NetworkState):
                self._retire_network(old)
            elif isinstance(old, StaleNetwork):
                self._retire_stale(old)

    def _retire(self, client: ClientState) -> None:
        if self._answered:
            # Forgotten (evicted past max_clients, or idle): no report of it to answer,
            # and the entries stay within max_clients.
            self._answered.pop(client.ip, None)
        if self._wider_held:
            self._unhold(client.ip)
        if not self.keep_history or not (client.flags or client.stale):
            return
        if len(self._archive) < self.policy.max_clients:
            self._archive[client.ip] = client
        else:
            self._hostile_dropped += 1

    def _retire_network(self, state: NetworkState) -> None:
        keep = self.keep_history and state.flagged is not None
        if keep and len(self._archived_networks) < self.policy.max_clients:
            self._archived_networks[state.key] = state

    def _retire_stale(self, state: StaleNetwork) -> None:
        """A network's stale failures expired: a device's are kept for the report (where
        its owner logged in, :meth:`_stale_network_finding`)."""
        keep = self.keep_history and state.device is not None
        if keep and len(self._archived_stale) < self.policy.max_clients:
            self._archived_stale[state.key] = state

    def _owner_key(self, ip: str, net: NetKey | None = None) -> str | NetKey:
        """The key of :attr:`_owners` for an address: the address for IPv4, the /64
        (``ipv6_prefix``) for IPv6, whose privacy addresses change daily."""
        if net is None and ":" in ip:
            net, _ = network_key(ip, self._v4, self._v6)
        return net if net is not None and net & 1 else ip

    def _only_owner(self, owner: OwnerState, when: float) -> str | None:
        """The one account logged in as from an address within ``stale_window``, if
        only one was: a failure there that names no account (Postfix before 3.7.8 and
        3.8.3 logs no ``sasl_username=`` with it) from a client that named none is that
        owner's device with an old password, not a guess (a home's Outlook with an old
        SMTP password beside its working IMAP). With several accounts (an office), the
        log cannot tell whose: the failures stay guesses."""
        since = when - self._limits.stale
        recent = [user for user, last in owner.users.items() if last >= since]
        if len(recent) > 1:  # alice and alice@example.com are one account, named in full
            named = max(recent, key=lambda user: "@" in user)
            if all(same_account(user, named) for user in recent):
                recent = [named]
        return recent[0] if len(recent) == 1 else None

    def _owner_login(
        self, ip: str, net: NetKey | None, owner: OwnerState | None, key: str, when: float
    ) -> None:
        """The owner of ``key`` logged in from ``ip``: remembered for its address
        (``owner``, None when the address is not one) and, for IPv6, its wider network;
        the daemon is told (:attr:`on_owner`), with this address's previous login as it."""
        previous = None
        if owner is not None:
            previous = owner.users.get(key)
            owner.add(key, when)
        self._wide_owner_add(ip, net, key, when)
        if self.on_owner is not None:
            self.on_owner(ip, key, when, previous)

    def _wide_owner_add(self, ip: str, net: NetKey | None, key: str, when: float) -> None:
        """The owner of ``key`` logged in from ``ip`` (in the network ``net``, when its
        state is known): for IPv6, remember its wider network too
        (:meth:`_wide_owner_of`)."""
        if ":" not in ip or self.policy.wide_ipv6_prefix >= self._v6:
            return
        if net is None:
            net, _ = network_key(ip, self._v4, self._v6)
        if net is None or not net & 1:
            return
        wide = self._widen(net)
        owner = self._wide_owners.get(wide)
        if owner is None:
            owner = OwnerState()
            self._add_state(self._wide_owners, wide, owner)
        owner.add(key, when)

    def _wide_owner_of(self, net: NetKey | None, key: str, when: float) -> str | None:
        """The account, ``key`` or another form of it (``alice`` for alice@example.com),
        whose owner logged in within ``stale_window`` from another /64 of the same
        ``wide_ipv6_prefix`` network as ``net``: a phone that a carrier gave a new /64
        when it re-attached, still with an old password. Its failures on that account
        are a device's, not guesses (an attacker in the owner's own /48 guessing that
        very account is the rare case this gives up). None when there is none."""
        if net is None or not net & 1 or self.policy.wide_ipv6_prefix >= self._v6:
            return None
        owner = self._wide_owners.get(self._widen(net))
        if owner is None:
            return None
        last = owner.users.get(key)
        if last is None:
            other = self._other_form(owner, key)
            if other is not None:
                key, last = other
        return key if last is not None and when - last <= self._limits.stale else None

    def _owner(self, ip: str, create: bool, net: NetKey | None = None) -> OwnerState | None:
        """Who logged in from this address (keyed by :meth:`_owner_key`)."""
        key = self._owner_key(ip, net)
        owner = self._owners.get(key)
        if owner is None and create:
            owner = OwnerState()
            self._add_state(self._owners, key, owner)
        return owner

    def _allowed(self, ip: str, loopback: bool) -> str | None:
        if loopback:
            return LOOPBACK
        if ip in self._own:
            return OWN_ADDRESS
        if self._allow:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                return None
            for network in self._allow:
                if addr.version == network.version and addr in network:
                    return f"in the allow list ({network})"
        return None

    def _network_unbannable(self, state: NetworkState) -> bool:
        """Whether a network is never judged as a whole: it holds an address of this
        host, or one on the allow list (or it is loopback). The daemon would refuse its
        ban; its addresses are judged each on its own, as anywhere else."""
        if state.key in self._own_nets:
            return True
        allowed = state.allowed
        if allowed is None:
            network = network_of(state.key, self._v4, self._v6)
            allowed = state.allowed = self._network_allowed(network)
        return allowed

    def _network_none(self, network: IPNetwork) -> str | None:
        """The recommendation of a network never banned (loopback: this machine; in the
        allow list), or None."""
        if network.is_loopback:
            return NONE_THIS_MACHINE
        return NONE_ALLOWED if self._network_allowed(network) else None

    def _network_allowed(self, network: IPNetwork) -> bool:
        return (
            any(
                network.version == allowed.version and network.overlaps(allowed)
                for allowed in self._allow
            )
            or network.is_loopback
        )

    # -- verdicts ----------------------------------------------------------------------

    def _flag(
        self,
        client: ClientState,
        verdict: Verdict,
        reason: str,
        event: Event,
        when: float,
        found: list[Detection] | None = None,
        data: dict[str, Any] | None = None,
    ) -> Detection | None:
        """Record that ``client`` earned ``verdict``; a Detection (also appended to
        ``found``) when the daemon should hear of it (the first time, or again after a
        ban has run out)."""
        bit = VERDICT_BIT[verdict]
        if not client.flags & bit:
            client.flags |= bit
            client.verdicts = with_verdict(client.verdicts, verdict, reason)
            if event.ip == client.ip:  # a campaign or network flags members on others' lines
                evidence = client.evidence
                if evidence is None or evidence[0][0] is not event.record.text:
                    client.keep(event, important=True)
        if not self.detections:
            return None
        ban = self._limits.ban
        reported = client.reported
        rank = RANK[verdict]
        over = self._answer_over(client, when)  # the ban that answered it ended early
        for seen, at in reported:
            if seen is verdict:
                if when - at < ban and not over:
                    return None
            elif RANK[seen] < rank and when - at < ban and not over:
                return None  # a worse verdict was just reported: that ban covers this one
        client.reported = (*(p for p in reported if p[0] is not verdict), (verdict, when))
        if self._answered:
            self._answered.pop(client.ip, None)  # a new report: the daemon answers it
        # The client's last report of a verdict that bans: its names since come first.
        last = max((at for seen, at in reported if seen in BAN_VERDICTS), default=None)
        data = {**self._detection_users(client, last), **(data or {})}
        detection = Detection(
            verdict=verdict,
            target=None,
            ip=client.ip,
            recommendation=self._recommendation(client, verdict),
            reason=reason,
            time=event.record.time,
            data=data,
            items=client.evidence or (evidence_of(event),),
        )
        if found is not None:
            found.append(detection)
        return detection

    @staticmethod
    def _detection_users(client: ClientState, since: float | None = None) -> dict[str, Any]:
        """``users`` (the names a client tried, most tried first, at most
        `MAX_DETECTION_USERS`), ``user_count`` (how many it tried) and ``users_complete``
        (False when it tried more than the client's state keeps). A repeat offender's
        names tried since its last report (``since``: the ban it brought) come first,
        most tried first: those of the attack this detection answers, not the many of
        the earlier ones its state still counts."""
        counts = client.user_counts()
        if since is not None:
            recent = {name for name, at in client.users_last() if at > since}
            counts.sort(key=lambda pair: pair[0] not in recent)  # stable: counts kept
        return {
            "users": [name for name, _ in counts[:MAX_DETECTION_USERS]],
            "user_count": len(counts),
            "users_complete": not client.users_full,
        }

    def _network_users(self, members: Iterable[str]) -> dict[str, Any]:
        """:meth:`_detection_users` of a network's members together: the names its
        addresses tried (a sprayer rotating its addresses tries one each), not only the
        last one's. Once per network detection (at most `MAX_MEMBERS_PER_NETWORK`
        members)."""
        totals: dict[str, int] = {}
        complete = True
        for ip in members:
            member = self._known(ip)
            if member is None:
                continue
            complete = complete and not member.users_full
            for name, count in member.user_counts():
                totals[name] = totals.get(name, 0) + count
        counts = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
        return {
            "users": [name for name, _ in counts[:MAX_DETECTION_USERS]],
            "user_count": len(counts),
            "users_complete": complete,
        }

    def _recommendation(self, client: ClientState, verdict: Verdict) -> str:
        if client.allowed is None and client.ip in self._own:
            client.allowed = OWN_ADDRESS
        allowed = client.allowed
        if allowed is not None:
            return NONE_THIS_MACHINE if allowed in _THIS_MACHINE else NONE_ALLOWED
        if verdict is _COMPROMISE and client.ip in self._doubted and _one_account(client):
            # it failed as the account after its login, as the owner's device does, and
            # tried no other account (grace and grace@example.com are one): the owner
            # can tell (ASK_ABOUT_THE_DEVICE); only its own guessing bans it, as an
            # unconfirmed one's below (slow_bruteforce excepted: the device's polling
            # before its login earns it, at a pace _doubts accepted)
            own = any(
                v in BAN_VERDICTS
                and v is not _COMPROMISE
                and v is not Verdict.SLOW_BRUTEFORCE
                and v not in _BY_ASSOCIATION
                for v, _ in client.verdicts
            )
            return BAN if own else WATCH
        if verdict is _COMPROMISE and client.ip in self._unconfirmed:
            # the owner can tell (ASK_THE_OWNER); only its own guessing bans it
            own = any(
                v in BAN_VERDICTS and v is not _COMPROMISE and v not in _BY_ASSOCIATION
                for v, _ in client.verdicts
            )
            return BAN if own else WATCH
        if verdict in BAN_VERDICTS:
            return BAN
        if verdict is Verdict.STALE_PASSWORD:
            return NONE_STALE
        return WATCH

    # -- expiry ------------------------------------------------------------------------

    def expire(self, now: float | None = None, *, silent: float = 0.0) -> list[Detection]:
        """Forget state idle for longer than the longest window (``now`` defaults to the
        latest event time). Returns what the held rejects of smtpd sessions silent for
        :data:`SESSION_TIMEOUT` made cross a threshold (:meth:`_hold`): a scanner, watched;
        and what addresses did while their trailer logins waited, kept for
        :data:`DEFER_SECONDS`, judged without those logins (:meth:`_defer`): a ban.

        ``silent``: seconds of real time that passed since the latest line was read (the
        daemon's clock: a live log gone quiet, whose time no line moves on). The log's
        time is then at least ``now`` plus that much, and what waits for a trailer login
        has waited that much longer: judged once the wait is over by that reckoning,
        as a later line would have had it judged; so are the session layer's lines that
        wait for other lines of their attempt (:meth:`SessionTracker.expire`). Only those
        waits: the rest is forgotten by the log's time alone."""
        now = self._sessions.now if now is None else now
        limits = self._limits
        waited = now + max(silent, 0.0) - DEFER_SECONDS
        found = self._release_deferred(waited) if self._deferred else []
        self._sessions.expire(now, silent)
        if self._sessions.released:
            # PAM lines and passdb refusals whose wait for the other lines of their
            # attempt is over (by the log's time, or the daemon's while the log is quiet).
            found += self._released()
        if self._held:
            found += self._release_stale(now - SESSION_TIMEOUT)
        for client in self._clients.expire(now - limits.retention):
            self._retire(client)
        self._accounts.expire(now - limits.retention)
        for state in self._networks.expire(now - limits.retention):
            self._retire_network(state)
        self._lone.expire(now - limits.retention)
        for stale in self._stale_nets.expire(now - limits.retention):
            self._retire_stale(stale)
        if self._forgiven or self._forgiven_nets:
            before = now - limits.retention
            _drop(self._forgiven, lambda ip: self._forgiven[ip] < before)
            _drop(self._forgiven_nets, lambda network: self._forgiven_nets[network] < before)
        if self._answered:
            # Past ``ban_time`` after its end, the report it answered holds nothing back.
            done = now - limits.ban
            _drop(self._answered, lambda ip: self._answered[ip] < done)
        self._owners.expire(now - limits.stale)
        self._wide_owners.expire(now - limits.stale)
        if len(self._campaigns) > 2 * self.policy.max_clients:
            self._campaigns.clear()
        return found

    def close(self) -> list[Detection]:
        """End of input: close the sessions still open; lost connections to the
        authentication server still waiting for guesses around them are outages."""
        found = self._confirm_all() if self._tentative else []
        self._sessions.close_all()
        if self._sessions.released:
            found += self._released()
        if self._held:
            found += self._release_stale(None)
        self._expire_unavailable(float("inf"))
        return found

    def finished(self) -> None:
        """No more input comes (``mailwarden analyze`` has read its logs, :meth:`close`
        was called): let go of what only reading more needs before :meth:`result`, so the
        analysis can have that memory: the networks with one failing address so far (the
        most numerous entries when many addresses guess: a second address of the same
        network, which would make one a network state, can no longer come), the
        passwords sent in the clear still waiting for a login that would show them real,
        and each client's recent failure times (the rules that read them judge the next
        failure; the analysis reads the counts)."""
        self._lone.clear()
        self._server.pending.clear()
        for clients in (self._clients, self._archive):
            for client in clients.values():
                client.times = None

    # -- the analysis ------------------------------------------------------------------

    def result(self) -> Analysis:
        """The analysis of everything fed so far (may be called more than once)."""
        clients = [c for c in self._clients.values() if _judged(c)]
        clients.extend(self._archive.values())
        # The attackers go worst first, then the most failures, then by address: two
        # stable sorts, the first (by address) of the clients, before any attacker is
        # made (its keys, some 5 MB for 100,000 clients, are gone by then), the second
        # of the attackers, with a small key each.
        clients.sort(key=_client_address)
        doubts = self._doubts()
        self._doubted = self._doubted_clients(doubts)
        self._standing = self._standing_campaigns()
        self._renumbered_texts = {}
        self._tuples = {}
        self._verdict_forms = {}
        self._phones_nets = {}
        attackers = []
        devices: dict[tuple[str | NetKey, str], list[ClientState]] = {}
        unlisted: set[str] = set()  # judged, and no attacker
        for client in clients:
            attacker = self._attacker(client)
            if attacker is not None:
                attackers.append(attacker)
            else:
                unlisted.add(client.ip)
            device = client.stale_device
            if device:
                net = client.net
                where = net if net is not None and net & 1 and self._v6 < 128 else client.ip
                devices.setdefault((where, device), []).append(client)
        findings: list[Finding] = []
        for (where, device), members in devices.items():
            if len(findings) >= MAX_FINDINGS_PER_KIND:
                break
            if isinstance(where, str):
                findings.append(self._stale_finding(members[0]))
            elif len(members) > 1:
                findings.append(self._stale_network_finding(where, device, members))
            else:  # one address: its network's login (which address, the log cannot say)
                login = str(self._stale_login_network(where))
                findings.append(self._stale_finding(members[0], login))
        # Worst first, then the most failures: a stable sort, which keeps the order by
        # address among equals (a tuple of the three for a key cost 100,000 attackers
        # some 12 MB at the peak).
        attackers.sort(key=_rank_of)
        campaign_names = self._campaign_usernames()
        findings = (
            self._campaign_findings(campaign_names)
            + self._network_findings()
            + self._wide_findings(attackers, unlisted)
            + self._enumeration_findings(attackers, campaign_names)
            + self._server.findings(
                s for c in chain(self._clients.values(), self._archive.values()) for s in c.services
            )
            + findings
            + list(self._misspelt_devices.values())
        )
        compromised = sorted(
            self._compromises, key=lambda c: (c.time is None, c.time or datetime.min)
        )
        for n, compromise in enumerate(compromised):
            reason = self._renumbered(compromise.reason)
            if reason is not compromise.reason:
                compromised[n] = replace(compromise, reason=reason)
            user, ip = compromise.user, compromise.ip
            doubt = doubts.get((ip, account_key(user))) if user and ip else None
            if doubt is not None:
                compromised[n] = replace(
                    compromised[n],
                    doubt=FAILURES_AFTER_LOGIN,
                    failures_after=doubt[0],
                    last_failure_after=doubt[1],
                    advice=doubted_advice(compromise.advice),
                )
        self._tuples = {}
        self._verdict_forms = {}
        self._still = {}
        self._phones_nets = None
        self._doubted = set()  # for this result's attackers only
        stats: dict[str, int | float | str] = dict(self.stats)
        stats["attackers"] = len(attackers)
        stats["sessions_expired"] = self._sessions.expired
        return Analysis(
            attackers=tuple(attackers),
            compromised=tuple(compromised),
            credentials=tuple(self._credentials),
            findings=tuple(findings),
            stats=stats,
            notes=tuple(self._notes()),
            owner_logins=self._owner_logins_left(attackers),
        )

    def _doubted_clients(
        self, doubts: dict[tuple[str, str], tuple[int, datetime | None]]
    ) -> set[str]:
        """The clients with a compromise in doubt whose every compromise is in doubt or
        ``by_others``: unsure, and watched, not banned (it may be the owner's device)."""
        if not doubts:
            return set()
        sure: set[str] = set()
        doubted: set[str] = set()
        for c in self._compromises:
            if c.ip is None:
                continue
            if c.user and (c.ip, account_key(c.user)) in doubts:
                doubted.add(c.ip)
            elif not c.by_others:
                sure.add(c.ip)
        return doubted - sure

    def _owner_logins_left(self, attackers: list[Attacker]) -> tuple[tuple[str, str, int], ...]:
        """The owners' logins after failures still counted, but from an address judged
        hostile since."""
        if not self._owner_logins:
            return ()
        hostile = {a.ip for a in attackers}
        return tuple(e for e in self._owner_logins.values() if e[0] not in hostile)

    def _shared(self, values: _Tuple) -> _Tuple:
        """One tuple for all the attackers of one :meth:`result` whose ``values`` are
        equal (most attackers of a kind share their verdicts, reasons, usernames and
        services: a tuple each would cost a hundred thousand attackers megabytes)."""
        tuples = self._tuples
        if len(tuples) < MAX_SHARED_TUPLES:
            return cast(_Tuple, tuples.setdefault(values, values))
        return cast(_Tuple, tuples.get(values, values))

    def _attacker(self, client: ClientState) -> Attacker | None:
        pairs = client.verdicts
        network = None
        watched_network = False
        if pairs:
            # Most attackers share their verdicts' tuple (:func:`with_verdict`): what
            # becomes of one (the verdicts still standing, worst first, their reasons
            # renumbered) is worked out once for each tuple and what this client drops.
            forms = self._verdict_forms
            entry = forms.get(id(pairs))
            if entry is None or entry[0] is not pairs:
                kinds = {verdict for verdict, _ in pairs}
                entry = (pairs, Verdict.SPRAY_MEMBER in kinds, Verdict.NETWORK_MEMBER in kinds, {})
                if len(forms) < MAX_SHARED_TUPLES:
                    forms[id(pairs)] = entry
            drop = 0
            if entry[1]:
                number = self._campaigns.campaign_of(client.ip)
                if not (self._still_a_member(client) and number in self._standing):
                    drop |= _DROP_SPRAY  # a person, or too few others are left
            if entry[2]:
                state = self._network_state(client.net)
                if state is not None and self._network_flagged(state):
                    network = str(network_of(state.key, self._v4, self._v6))
                    watched_network = state.key in self._people_nets  # someone logged in there
                else:
                    drop |= _DROP_NETWORK
            form = entry[3].get(drop)
            if form is None:
                form = entry[3][drop] = self._verdict_form(dict(pairs), drop)
        elif client.stale_device:
            n = client.stale_failures_with(client.stale_device)
            failed = f"{n} failed {'login' if n == 1 else 'logins'}"
            net = client.net
            if net is not None and net & 1 and self._v6 < 128:  # its network's login
                whose = f"an account logged in as from {self._stale_login_network(net)}"
            else:
                whose = "an account it had logged in as"
            reason = f"{failed} with {whose} (a device with an old password)"
            form = self._verdict_form({Verdict.STALE_PASSWORD: reason}, 0)
        else:
            return None
        ordered, reasons = form
        if not ordered:
            return None
        worst = ordered[0]
        recommendation = self._recommendation(client, worst)
        users = client.users
        if users is None:  # one username or none (most clients): client.user_counts()
            user = client.user
            names: tuple[str, ...] = (user,) if user is not None else ()
            named = client.user_count if user is not None else 0
        else:
            counts = client.user_counts()
            names = tuple(name for name, _ in counts)
            named = sum(n for _, n in counts)
        # Its failures that named no account (Postfix before 3.9, a lost connection to
        # the authentication server): unknown when it tried more names than it keeps.
        unnamed = None if client.users_full else client.failures - named
        succeeded = tuple(client.succeeded or ())
        if client.stale_users:
            # A device with an old password: the accounts it failed with are ones it
            # had logged in as (the login may predate the client's state; for IPv6, from
            # its network, as its reason says: a phone's privacy address changes). They
            # are its usernames only when it guessed none: ``users`` are the names of
            # its guesses (``failures``), the stale ones are in ``succeeded_as``.
            stale = tuple(sorted(client.stale_users))
            if not names:
                names = stale
            succeeded += tuple(name for name in stale if name not in succeeded)
        existing = None
        if self.accounts is not None:
            existing = tuple(n for n in names if self.accounts.exists(n))
        if watched_network and worst is Verdict.NETWORK_MEMBER and recommendation == BAN:
            # The attack stays in the report; someone who logged in from the network
            # keeps it from a ban of all of it.
            recommendation = WATCH
            login = self._network_logins.get(client.net) if client.net is not None else None
            reasons = (*reasons, f"not banned: {login or 'someone logged in from this network'}")
        if client.allowed is not None:
            reasons = (*reasons, f"not banned: {client.allowed}")
        if reasons is not form[1]:
            reasons = self._shared(reasons)
        services = client.services  # shared (with_service): in order when one or none
        if len(services) > 1:
            services = self._shared(tuple(sorted(services)))
        return Attacker(
            ip=client.ip,
            network=network,
            verdict=worst,
            verdicts=ordered,
            failures=client.failures,
            users=self._shared(names),
            first_seen=client.first_time,
            last_seen=client.last_time,
            succeeded_as=succeeded,
            recommendation=recommendation,
            reasons=reasons,
            existing_users=existing,
            stale_failures=client.stale,
            users_complete=not client.users_full,
            # a name past those kept was tried: at least one more than the list holds
            user_count=len(names) + (1 if client.users_full else 0),
            unsure=worst is _COMPROMISE
            and (client.ip in self._unconfirmed or client.ip in self._doubted),
            unnamed_failures=unnamed,
            services=services,
            items=client.evidence or (),
        )

    def _verdict_form(
        self, verdicts: dict[Verdict, str], drop: int
    ) -> tuple[tuple[Verdict, ...], tuple[str, ...]]:
        """An attacker's verdicts, worst first, and their reasons, from a client's
        (``verdicts``, changed here) less those ``drop`` names (:data:`_DROP_SPRAY`,
        :data:`_DROP_NETWORK`); two empty tuples when none stands."""
        if drop & _DROP_SPRAY:
            del verdicts[Verdict.SPRAY_MEMBER]
        # Campaigns that became one go by the first's number; one that does not stand is
        # not named.
        for verdict, reason in verdicts.items():
            verdicts[verdict] = self._renumbered(reason)
        if drop & _DROP_NETWORK:
            del verdicts[Verdict.NETWORK_MEMBER]
        if not verdicts:
            return (), ()
        ordered = self._shared(tuple(sorted(verdicts, key=RANK.__getitem__)))
        return ordered, self._shared(tuple(verdicts[v] for v in ordered))

    def _stale_finding(self, client: ClientState, logged_in_from: str | None = None) -> Finding:
        """A device with an old password at one address. ``logged_in_from``, for IPv6:
        the network its account logs in from (:meth:`_stale_login_network`; the address
        itself, or another of its /64, a phone's earlier privacy address: the log cannot
        say which)."""
        device = client.stale_device
        users = [device] if device else sorted(client.stale_users or ())
        data: dict[str, Any] = {
            "users": users,
            "unnamed": client.stale_unnamed,
            # the device's: not the typos of others behind the same address
            "failures": client.stale_failures_with(device) if device else client.stale,
            "recommendation": NONE_STALE,
            "advice": "a device that logged in before now uses an old password: "
            "update the password on that device (phone, mail client)",
        }
        if logged_in_from is not None:
            data["logged_in_from"] = logged_in_from
        return Finding(
            kind="stale_password",
            severity=Severity.INFO,
            subject=client.ip,
            evidence=evidence_events((client.evidence or ())[:2]),
            data=data,
        )

    def _stale_login_network(self, net: NetKey) -> IPNetwork:
        """Where the account a network's device fails with logs in from: the network
        (``ipv6_prefix``) itself, or its ``wide_ipv6_prefix`` network when every login
        behind its failures was from another /64 of that."""
        state = self._stale_nets.get(net) or self._archived_stale.get(net)
        if state is not None and state.wide:
            return network_of(self._widen(net), self._v4, self.policy.wide_ipv6_prefix)
        return network_of(net, self._v4, self._v6)

    def _stale_network_finding(
        self, net: NetKey, device: str, members: list[ClientState]
    ) -> Finding:
        """One device with an old password at several addresses of an IPv6 network (a
        phone's privacy addresses): one finding for the network, its addresses listed
        (``members``) and where the account logs in from (``logged_in_from``: the network
        itself, or its ``wide_ipv6_prefix`` network when the login was from another /64
        of it)."""
        network = network_of(net, self._v4, self._v6)
        where = self._stale_login_network(net)
        members.sort(key=lambda c: c.last)
        evidence = [item for c in members[:2] for item in (c.evidence or ())[:1]]
        addresses = heapq.nsmallest(MAX_REPORTED_MEMBERS, members, key=_packed_v6)
        return Finding(
            kind="stale_password",
            severity=Severity.INFO,
            subject=str(network),
            evidence=evidence_events(tuple(evidence)),
            data={
                "users": [device],
                "unnamed": any(c.stale_unnamed for c in members),
                "failures": sum(c.stale_failures_with(device) for c in members),
                "recommendation": NONE_STALE,
                "advice": "a device whose IPv6 address changes (privacy addresses) uses an old "
                "password: update the password on that device (phone, mail client)",
                "network": str(network),
                "members": [c.ip for c in addresses],
                "member_count": len(members),
                "logged_in_from": str(where),
            },
        )

    def _campaign_usernames(self) -> dict[int, tuple[int, bool]]:
        """For each standing campaign: the most distinct usernames its members tried
        together within ``enumeration_window`` (each name dated by the last time a member
        tried it), and whether that count is complete (no member tried more names than
        its state keeps). A campaign whose members each try a name or two of a long list
        is enumerating as a whole: the per-client rule cannot see it."""
        window = self._limits.enumeration[1]
        found: dict[int, tuple[int, bool]] = {}
        for root, number in self._campaigns.flagged.items():
            if number not in self._standing:
                continue
            last: dict[str, float] = {}
            complete = True
            for client in self._still[root]:
                complete = complete and not client.users_full
                if client.users is None:  # one name or none (most clients): users_last()
                    name = client.user
                    if name is not None:
                        when = client.user_last
                        last[name] = max(when, last.get(name, when))
                    continue
                for name, when in client.users_last():
                    last[name] = max(when, last.get(name, when))
            found[number] = (most_within(sorted(last.values()), window), complete)
        return found

    def _campaign_findings(self, usernames: dict[int, tuple[int, bool]]) -> list[Finding]:
        campaigns = self._campaigns
        if not campaigns.flagged:
            return []
        targets: dict[int, list[tuple[int, str]]] = {}
        for key, account in self._accounts.items():
            if account.campaign is None:
                continue
            by_campaign: dict[int, int] = {}
            for ip in account.clients:
                number = campaigns.campaign_of(ip)
                if number is not None:
                    by_campaign[number] = by_campaign.get(number, 0) + 1
            for number, clients in by_campaign.items():
                if clients >= 2:
                    targets.setdefault(number, []).append((account.failures, key))
        found = []
        for root, number in sorted(campaigns.flagged.items(), key=lambda kv: kv[1]):
            if number not in self._standing:
                continue
            still = self._still[root]
            members = [c.ip for c in still]
            accounts = [name for _, name in sorted(targets.get(number, []), reverse=True)]
            failures = sum(c.failures for c in still)
            # The first few by address: a sort of them all would make a key for each at
            # once (100,000 members: 5 MB).
            first = heapq.nsmallest(MAX_REPORTED_MEMBERS, members, key=address_key)
            evidence: list[Event] = []
            for ip in first[:3]:
                member = self._known(ip)
                if member is not None and member.evidence:
                    evidence.append(evidence_event(member.evidence[0]))
            data: dict[str, Any] = {
                "campaign": number,
                "members": first,
                "member_count": len(members),
                "targets": accounts[:MAX_REPORTED_MEMBERS],
                "target_count": len(accounts),
                "failures": failures,
            }
            names, complete = usernames.get(number, (0, True))
            # Every target is a name its members tried: the count is never fewer (a
            # member's state keeps 32 names, and the count is of one window).
            data["usernames"] = max(names, len(accounts))
            data["usernames_complete"] = complete
            data["enumeration"] = names >= self._limits.enumeration[0]
            if self.accounts is not None:
                data["existing_targets"] = [a for a in accounts if self.accounts.exists(a)]
            found.append(
                Finding(
                    kind="spray",
                    severity=Severity.HIGH,
                    subject=f"campaign {number}",
                    evidence=tuple(evidence),
                    data=data,
                )
            )
        return found

    def _network_state(self, key: NetKey | None) -> NetworkState | None:
        if key is None:
            return None
        return self._networks.get(key) or self._archived_networks.get(key)

    def _network_flagged(self, state: NetworkState) -> bool:
        """A flagged network still counts once the addresses that turned out to be people
        (they logged in) are taken away."""
        if state.flagged is None:
            return False
        # a slow one (:meth:`_network_slow`) is two or more addresses
        if len(state.members) < (2 if state.slow else self.policy.network_clients):
            return False
        # People's phones, as their accounts turned out to be real after it was flagged
        # (their owners logged in later, from elsewhere): no attacker after all.
        known = self._phones_nets
        if known is not None:
            phones = known.get(state.key)
            if phones is not None:
                return not phones
        since = state.flagged - self._network_rule_window(state)[0]
        members = state.members.keys_since(since)
        spread = None if state.slow and not is_v6(state.key) else self.policy.network_clients
        phones = self._phones(members, since, spread, fast=state.slow is None)
        if known is not None:
            known[state.key] = phones
        return not phones

    def _network_stands(self, state: NetworkState) -> bool:
        """A flagged network that counts as an attacker: while nobody logged in from it
        at all (once someone did, it is watched, not banned: see :meth:`_attacker`)."""
        return self._network_flagged(state) and state.key not in self._people_nets

    def _still_a_member(self, client: ClientState) -> bool:
        """A campaign member, unless it turned out to be an account's owner."""
        return bool(client.flags & _SPRAY) and not self._a_person(client)

    def _standing_campaigns(self) -> set[int]:
        """The flagged campaigns that still have ``spray_clients`` members once the
        clients that turned out to be people are taken away (as networks are: see
        :meth:`_network_stands`), and of which fewer than half logged in as an account
        they tried: when most do, they are an account's users whose password changed (a
        shared mailbox: each device fails once, then logs in with the new one), not bots."""
        campaigns = self._campaigns
        needed = self.policy.spray_clients
        standing = set()
        still = self._still = {}
        known = self._clients.get
        archive = self._archive.get
        for root, number in campaigns.flagged.items():
            logged_in = 0
            kept: list[ClientState] = []
            for ip in campaigns.members(root):
                client = known(ip) or archive(ip)  # _known()
                if client is None or not self._still_a_member(client):
                    continue
                kept.append(client)
                succeeded = client.succeeded
                if succeeded and not client.users_tried().isdisjoint(succeeded):
                    logged_in += 1
            still[root] = kept
            members = len(kept)
            if members >= needed and 2 * logged_in < members:
                standing.add(number)
        return standing

    def _a_person(self, client: ClientState) -> bool:
        """Whether a client logged in as every account it failed on, failed fewer times
        than brute force takes, and broke into nothing: its failures were its owner's
        typos (:meth:`_owner_pattern`, judged again after the fact, for a client that a
        campaign took in after it had logged in)."""
        succeeded = client.succeeded
        if not succeeded or client.flags & _COMPROMISED:
            return False
        return (
            client.users_tried() <= set(succeeded) and client.failures < self.policy.fast_failures
        )

    def _network_findings(self) -> list[Finding]:
        states = [s for s in self._networks.values() if self._network_stands(s)]
        states.extend(s for s in self._archived_networks.values() if self._network_stands(s))
        found = []
        for state in sorted(states, key=lambda s: -s.failures)[:MAX_FINDINGS_PER_KIND]:
            network = network_of(state.key, self._v4, self._v6)
            members = sorted(state.members, key=address_key)
            found.append(
                Finding(
                    kind="network",
                    severity=Severity.HIGH,
                    subject=str(network),
                    evidence=evidence_events(tuple(state.evidence)),
                    data={
                        "network": str(network),
                        "members": members[:MAX_REPORTED_MEMBERS],
                        "member_count": len(members),
                        # Its most recent MAX_MEMBERS_PER_NETWORK addresses are kept: once
                        # it had more, member_count is how many it has at least.
                        "member_count_capped": state.members.dropped > 0,
                        "failures": state.failures,
                        "first_seen": state.first_time.isoformat() if state.first_time else None,
                        "last_seen": state.last_time.isoformat() if state.last_time else None,
                        "recommendation": self._network_none(network) or BAN,
                    },
                )
            )
        return found

    def _widen(self, key: NetKey) -> NetKey:
        """The ``wide_ipv6_prefix`` network of an IPv6 network key (its first bits)."""
        return (((key >> 1) >> (self._v6 - self.policy.wide_ipv6_prefix)) << 1) | 1

    def _wide_findings(self, attackers: Sequence[Attacker], unlisted: set[str]) -> list[Finding]:
        """IPv6 networks of ``wide_ipv6_prefix`` (a site's or a hosting customer's /48)
        in which ``wide_networks`` networks of ``ipv6_prefix`` (/64s) had failed logins
        within ``spray_window``: guessing spread over more addresses, one try or two
        each, than any per-client or /64 rule sees (an attacker walking through its
        allocation). Not when someone logged in from it as an account none of its
        guessing addresses tried (its people: a company, a university, a carrier); a
        login as one they tried is named in the finding instead (``logged_in_as``).
        Of the ``attackers``, those recommended for a ban are left out of its counts
        (``unjudged_*``: the rest), and all of them (a member judged on its own, a probe
        say) out of ``unlisted_failures``: the report counts their failures there
        (``unlisted``: the addresses of the clients :meth:`result` judged that are no
        attacker). Found in the analysis only: the daemon bans by the narrower rules (an
        ``ipv6_prefix`` of 48 makes them see it)."""
        policy = self.policy
        if policy.wide_ipv6_prefix >= self._v6:
            return []
        widen = self._widen
        shift = self._v6 - policy.wide_ipv6_prefix  # widen(), inline below
        groups: dict[NetKey, list[ClientState]] = {}
        for client in chain(self._clients.values(), self._archive.values()):
            net = client.net
            if net is None or not net & 1 or not client.failures or client.allowed:
                continue
            if client.stale_device or (client.succeeded and not client.flags & _COMPROMISED):
                continue  # someone's own login: its owner's typos (see the owners below)
            wide = (((net >> 1) >> shift) << 1) | 1
            group = groups.get(wide)
            if group is None:
                groups[wide] = [client]
            else:
                group.append(client)
        wide_enough: dict[NetKey, list[ClientState]] = {}
        networks: dict[NetKey, int] = {}  # the /64s in each
        for wide, members in groups.items():
            count = len({c.net for c in members})
            if count >= policy.wide_networks:
                wide_enough[wide] = members
                networks[wide] = count
        if not wide_enough:
            return []
        # Which members are attackers, and which of those are recommended for a ban:
        # told by the few exceptions, not by a set of all (100,000 attackers: 4 MB each).
        not_banned = {a.ip for a in attackers if a.recommendation != BAN}
        owners: dict[NetKey, list[OwnerState]] = {}
        for key, owner in self._owners.items():
            if isinstance(key, int) and key & 1:
                wide = widen(key)
                if wide in wide_enough:
                    owners.setdefault(wide, []).append(owner)
        found = []
        window = policy.spray_window.total_seconds()
        for wide, members in wide_enough.items():
            if not _nets_within(members, window, policy.wide_networks):
                continue
            tried: set[str] = set()
            for client in members:
                if len(tried) >= WIDE_USERS_COUNTED:
                    break
                if client.users is not None:  # client.users_tried(), without a set each
                    tried.update(client.users)
                elif client.user is not None:
                    tried.add(client.user)
            logins: set[str] = set()
            people = False
            for owner in owners.get(wide, ()):
                if set(owner.users) <= tried:
                    logins.update(owner.users)
                else:
                    people = True
                    break
            if not people:
                found.append(
                    self._wide_finding(
                        wide, members, networks[wide], tried, logins, unlisted, not_banned
                    )
                )
        found.sort(key=lambda f: -int(f.data["failures"]))
        return found[:MAX_FINDINGS_PER_KIND]

    def _wide_finding(
        self,
        wide: NetKey,
        members: list[ClientState],
        networks: int,
        users: set[str],
        logins: set[str],
        unlisted: set[str],
        not_banned: set[str],
    ) -> Finding:
        """``unlisted``, ``not_banned``: see :meth:`_wide_findings`. A member is an
        attacker when :meth:`result` judged it (:func:`_judged`, or archived) and it is
        not ``unlisted``; the unjudged members are the others and the attackers
        ``not_banned``."""
        network = network_of(wide, self._v4, self.policy.wide_ipv6_prefix)
        members.sort(key=lambda c: c.last)
        first = min((c.first_time for c in members if c.first_time is not None), default=None)
        last = max((c.last_time for c in members if c.last_time is not None), default=None)
        evidence = [item for c in members[:3] for item in (c.evidence or ())[:1]]
        unjudged = unjudged_failures = unlisted_failures = 0
        archive = self._archive
        for c in members:
            ip = c.ip
            listed = (_judged(c) or archive.get(ip) is c) and ip not in unlisted
            if not listed or ip in not_banned:
                unjudged += 1
                unjudged_failures += c.failures
                if not listed:
                    unlisted_failures += c.failures
        # The first few in address order (inet_pton: bytes compare as addresses do).
        addresses = heapq.nsmallest(MAX_REPORTED_MEMBERS, members, key=_packed_v6)
        return Finding(
            kind="wide_network",
            severity=Severity.HIGH,
            subject=str(network),
            evidence=evidence_events(tuple(evidence)),
            data={
                "network": str(network),
                "networks": networks,
                "networks_of": f"/{self._v6}",
                "members": [c.ip for c in addresses],
                "member_count": len(members),
                "failures": sum(c.failures for c in members),
                "unjudged_members": unjudged,
                "unjudged_failures": unjudged_failures,
                "unlisted_failures": unlisted_failures,
                "usernames": len(users),
                "logged_in_as": sorted(logins)[:MAX_REPORTED_MEMBERS],
                "first_seen": first.isoformat() if first else None,
                "last_seen": last.isoformat() if last else None,
                "recommendation": self._network_none(network) or BAN,
            },
        )

    def _enumeration_findings(
        self, attackers: list[Attacker], usernames: dict[int, tuple[int, bool]]
    ) -> list[Finding]:
        """One finding when a client (an enumerator) or a spraying campaign as a whole
        tried ``enumeration_users`` names within ``enumeration_window``: the names all
        attackers tried, the most tried, and which exist. A campaign on a few accounts
        is spraying, not enumeration (it has its own finding)."""
        enumerators = [a for a in attackers if Verdict.ENUMERATION in a.verdicts]
        needed = self._limits.enumeration[0]
        campaigns = sorted(n for n, (names, _) in usernames.items() if names >= needed)
        if not enumerators and not campaigns:
            return []
        ranked = sorted(
            ((key, account) for key, account in self._accounts.items() if self._attacked(account)),
            key=lambda kv: (-kv[1].failures, kv[0]),
        )
        names = [key for key, _ in ranked]
        data: dict[str, Any] = {
            "clients": [a.ip for a in enumerators][:MAX_REPORTED_MEMBERS],
            "client_count": len(enumerators),
            "campaigns": campaigns,
            "usernames_tried": len(names),
            "most_tried": [
                {"user": key, "failures": account.failures, "clients": len(account.clients)}
                for key, account in ranked[:20]
            ],
        }
        if self.accounts is not None:
            existing = [n for n in names if self.accounts.exists(n)]
            data["existing"] = existing[:MAX_REPORTED_MEMBERS]
            data["existing_count"] = len(existing)
            data["not_existing_count"] = len(names) - len(existing)
            data["accounts_file"] = self.accounts.source
        severity = Severity.HIGH if data.get("existing_count") else Severity.MEDIUM
        return [
            Finding(
                kind="enumeration",
                severity=severity,
                subject=f"{len(names)} usernames",
                evidence=tuple(evidence_event(a.items[0]) for a in enumerators[:3] if a.items),
                data=data,
            )
        ]

    def _attacked(self, account: AccountState) -> bool:
        """Whether attackers tried this name: not when every client that failed on it
        logged in as it and is judged nothing worse (its owner's typos). A client whose
        state is gone is counted as an attacker."""
        key = account.name
        for ip in account.clients:
            client = self._known(ip)
            if client is None or client.flags & _GUESSING_BITS:
                return True
            if client.succeeded and key in client.succeeded:
                continue
            # client.succeeded is a sample: the owner table remembers more (a NAT)
            owner = self._owners.get(self._owner_key(ip, client.net))
            if owner is None or key not in owner.users:
                return True
        return False

    def _notes(self) -> list[str]:
        notes = []
        evicted = self._clients_evicted
        if evicted:
            notes.append(
                f"more than {self.policy.max_clients} clients at once: the state of "
                f"{evicted} idle clients was forgotten (policy.max_clients)"
            )
        if self._hostile_dropped:
            notes.append(
                f"{self._hostile_dropped} hostile clients beyond the cap are "
                "counted in their networks only"
            )
        if self._sessions.evicted:
            notes.append(
                f"more than {self.policy.max_clients} sessions open at once: "
                f"{self._sessions.evicted} of them were closed early (policy.max_clients)"
            )
        if self._unattributed:
            notes.append(f"{self._unattributed} failed logins named no client address")
        return notes


def _packed_v6(client: ClientState) -> bytes:
    """An IPv6 client's address as bytes, for sorting (an unparsable one sorts last)."""
    try:
        return socket.inet_pton(socket.AF_INET6, client.ip.partition("%")[0])
    except (OSError, ValueError):
        return b"\xff" * 17


def _nets_within(members: list[ClientState], window: float, needed: int) -> bool:
    """Whether ``needed`` distinct networks of ``members`` had their last failure within
    one ``window`` (seconds): a sliding window over the members by that time."""
    timed = sorted(members, key=_last)  # not a (time, network) tuple each: 100,000 cost 5 MB
    counts: dict[NetKey | None, int] = {}
    start = 0
    for client in timed:
        at = client.last
        net = client.net
        counts[net] = counts.get(net, 0) + 1
        while timed[start].last < at - window:
            old = timed[start].net
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            start += 1
        if len(counts) >= needed:
            return True
    return False


def _slow_window(limits: _Limits, reason: str) -> float:
    """The window of the slow brute-force rule whose reason is ``reason``."""
    for _needed, window, text in limits.slow_rules:
        if text == reason:
            return window
    return limits.slow[1]


def _names_since(member: ClientState, since: float, tried: set[str] | None) -> set[str] | None:
    """``tried`` with the names ``member`` tried since ``since``; None when they are not
    all known (more names than it keeps, or failures that named none)."""
    if tried is None or member.users_full:
        return None
    users = member.users
    if users is None:
        if member.user is None:
            return None
        tried.add(member.user)
    else:
        tried.update(name for name, entry in users.items() if entry.imag >= since)
    return tried


def _own_names(member: ClientState, recent: int, since: float, names: set[str]) -> bool:
    """Whether a network member's ``recent`` failures since ``since`` were on names that
    no other address of the network tried (``names``, which gets them): all on one name
    (a person mistyping their own password: a neighbour on an ISP's /24), or each on a
    name of its own, tried once (the people behind a campus's NAT address). False when
    it tried a name more than once among others, its failures named none, or its names
    did not all fit."""
    if member.users_full:
        return False
    users = member.users
    if users is None:
        tried = [member.user] if member.user is not None else []
    else:
        tried = [name for name, entry in users.items() if entry.imag >= since]  # last failure
        once = all(users[name].real == 1 for name in tried)  # the failures on each
        if len(tried) > 1 and (len(tried) != recent or not once):
            return False
    if not tried or not names.isdisjoint(tried):
        return False
    names.update(tried)
    return True


def _burst(times: Sequence[float], since: float, when: float) -> int:
    """How many of an account's failure ``times`` (in the order fed) fell between
    ``since`` and ``when``: the most recent ones, back to the first before ``since``."""
    burst = 0
    for at in reversed(times):
        if at > when:  # an input out of time order: later guessing is not "before"
            continue
        if at < since:
            break
        burst += 1
    return burst


def _burst_text(own: int, others: int, network: str | None = None) -> str:
    """The failures on an account before a login, and whose they were: ``6 failed
    logins on this account from other clients``, ``… from this client`` or both counts;
    with ``network``, ``own`` counts those of the client's network (an attacker's, the
    client's among them): ``… from this client's network 2001:db8:9:9::/64``."""
    total = own + others
    what = f"{total} failed {'login' if total == 1 else 'logins'} on this account"
    mine = "this client" if network is None else f"this client's network {network}"
    if not own:
        return f"{what} from other clients"
    if not others:
        return f"{what} from {mine}"
    return f"{what} ({own} from {mine}, {others} from other clients)"


def _last(state: Any) -> float:
    return float(state.last)


def _second(entry: tuple[str, float, int]) -> float:
    return entry[1]


def _judged(client: ClientState) -> bool:
    """Whether :meth:`Detector.result` judges a client of the table (makes an attacker of
    it when a verdict stands): one that reached a verdict, or failed with an old
    password. Every archived client is judged."""
    return bool(client.flags or client.stale)


def _client_address(client: ClientState) -> bytes:
    return address_key(client.ip)


def _rank_of(attacker: Attacker) -> int:
    """Worst verdict first, then the most failures (fewer than 2**48 of them)."""
    return (RANK[attacker.verdict] << 48) - attacker.failures


def analyze(
    events: Iterable[Event],
    policy: PolicyConfig | None = None,
    accounts: Accounts | None = None,
) -> Analysis:
    """Run the detector over ``events`` and return its analysis (the ``analyze`` command)."""
    detector = Detector(policy, accounts, detections=False)
    detector.feed_all(events)
    detector.close()
    detector.finished()
    return detector.result()


def analyze_events(events: Sequence[Event]) -> Analysis:
    """:func:`analyze` with the default policy: the explain command's analyzer."""
    return analyze(events)


def _client_of(event: Event, session: Session | None) -> str | None:
    """The client's address: the event's, else its session's (a line without one, such
    as a TLS dump's or Dovecot's auth process's)."""
    ip = event.ip
    if ip is None and session is not None:
        return session.ip
    return ip


_NAME_PARTS = ".-_+"
"""What joins the parts of a local part (``alice.smith``, ``alice_smith``)."""


def _same_name(a: str, b: str) -> bool:
    """Whether two names (:func:`account_key`) one connection failed on may be one
    person's, not a program's list: one account (:func:`same_account`); one a typo of
    the other (:func:`typo_of`: ``alcie`` for ``alice``); one local part at two domains
    (alice@example.org, then alice@example.com: a renamed domain, an alias domain); one
    local part the other's with a part more (``alice``, then ``alice.smith``: a
    person's short and long forms); or one of them cut off by the log (``…``) and the
    other beginning with what is left of it."""
    if same_account(a, b):
        return True
    if a.endswith(CUT):
        return b.startswith(a[:-1])
    if b.endswith(CUT):
        return a.startswith(b[:-1])
    if typo_of(a, b) or typo_of(b, a):
        return True
    first, second = local_part(a), local_part(b)
    if first == second:
        return True
    short, long = (first, second) if len(first) < len(second) else (second, first)
    if len(short) < 3 or len(long) == len(short):
        return False
    return long.startswith(short) and long[len(short)] in _NAME_PARTS
