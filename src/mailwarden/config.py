"""The configuration file (TOML) as frozen dataclasses, with defaults for a stock Debian
Postfix + Dovecot.

One file serves the daemon (``mailwarden run --config FILE``) and the analyzer
(``mailwarden analyze --config FILE``): the analyzer reads only ``[policy]``. Every key,
its default and its meaning is in ``examples/mailwarden.toml`` (a test keeps that file
equal to the defaults here).

- Durations are strings such as ``"90s"``, ``"10m"``, ``"1h"``, ``"2d"``, ``"1w"``,
  ``"1h30m"``, or a number of seconds.
- Addresses in ``policy.allow`` are CIDRs (``"192.0.2.0/24"``) or single addresses.
- An unknown key, a wrong type, a bad CIDR or duration, a value out of range or an
  unreadable file raises :class:`~mailwarden.errors.ConfigError` naming the file, the key
  (``policy.fast_window``) and the reason, on one line; the reason is in the active
  language (``analyze --lang zh_CN``; the daemon's is English), and so is TOML's own
  complaint when :data:`_TOML_MESSAGES` knows it.

:func:`load_config` reads a file; :func:`apply_overrides` applies ``section.key=value``
strings from the command line (``--set policy.fast_failures=5``) with the same checks;
``dataclasses.replace`` is fine for values that are already typed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import select
import stat
import time
import tomllib
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from mailwarden.errors import ConfigError
from mailwarden.locale import N_, _
from mailwarden.locale.system import os_reason
from mailwarden.model import IPNetwork

Backend = Literal["nftables", "ipset", "postfix-map", "none"]

GENERIC_USERS: tuple[str, ...] = (
    "abuse",
    "account",
    "accounting",
    "admin",
    "administrator",
    "backup",
    "billing",
    "contact",
    "demo",
    "email",
    "ftp",
    "guest",
    "help",
    "helpdesk",
    "hostmaster",
    "info",
    "it",
    "mail",
    "mailer-daemon",
    "marketing",
    "monitor",
    "news",
    "newsletter",
    "no-reply",
    "noreply",
    "office",
    "oracle",
    "postfix",
    "postmaster",
    "root",
    "sales",
    "scanner",
    "security",
    "service",
    "smtp",
    "spam",
    "support",
    "sysadmin",
    "system",
    "test",
    "test1",
    "test123",
    "teste",
    "tester",
    "testing",
    "testuser",
    "user",
    "user1",
    "web",
    "webmaster",
    "www",
)
"""Account names that bots try on every server (the part before ``@``). A failed login
for one of them that is not a real account (``--users``) marks the client as a probe."""


@dataclass(frozen=True)
class SourcesConfig:
    """``[sources]``: where the daemon reads logs."""

    files: tuple[str, ...] = ("/var/log/mail.log",)
    """Log files to follow from their stored position, across rotation (rename or
    copytruncate, the rest read from the rotated copy, compressed or not); older
    archives are not read (``analyze`` reads those)."""
    journal: bool = False
    """Also follow the systemd journal (``journalctl``, the mail facility) with a stored
    cursor."""
    journal_users: tuple[str, ...] = ("postfix", "dovecot")
    """The daemon acts only on journal entries that journald itself stamped (``_UID``,
    which no client can set) as written by root or one of these users (names, or
    numeric uids); a user that does not exist on this host is left out. Any local user
    can write an entry that says ``postfix/smtpd`` (``logger -t``): those are skipped
    and counted. ``analyze --journal`` and ``events`` read what they are given."""


@dataclass(frozen=True)
class StoreConfig:
    """``[store]``: where bans, offsets and repeat offenders are kept."""

    path: str = "/var/lib/mailwarden/mailwarden.db"
    host_name: str = ""
    """A PostgreSQL store is shared by a fleet: the bans are everyone's, but this host's
    file offsets, journal cursor and heartbeat are kept under this name. Empty: the host
    name (``hostname``); set it when hosts share a name or a container's name changes at
    every start. Letters, digits, ``.``, ``_`` and ``-``. Not used with SQLite (one
    host)."""


@dataclass(frozen=True)
class EnforceConfig:
    """``[enforce]``: how bans reach the firewall."""

    backend: Backend = "nftables"
    """``nftables``, ``ipset`` (with iptables), ``postfix-map`` (a Postfix access map:
    SMTP only) or ``none`` (decide and log, block nothing)."""
    ports: tuple[int, ...] = (25, 465, 587, 110, 143, 993, 995, 4190)
    """TCP ports closed to a banned client: SMTP, submissions, submission, POP3, IMAP,
    IMAPS, POP3S, ManageSieve."""
    table: str = "mailwarden"
    """nftables: the ``inet`` table mailwarden owns (its sets and chain live there)."""
    max_bans: int = 65_536
    """nftables: the most bans the table holds (both sets together); past it, the
    automatic ones that end first are left out (warned about in the log, at most once a
    minute), kept in the store; an admin's go before every automatic one."""
    ipset: str = "mailwarden"
    """ipset: the set name prefix (``mailwarden4`` and ``mailwarden6``)."""
    postfix_map: str = "/etc/postfix/mailwarden_access"
    """postfix-map: the ``check_client_access`` map file mailwarden writes."""


@dataclass(frozen=True)
class PolicyConfig:
    """``[policy]``: who may never be banned, what counts as an attack, how long bans last.

    The thresholds are the detector's (see ``mailwarden.detect.rules``); a client is
    judged by the first window it fills.
    """

    allow: tuple[IPNetwork, ...] = ()
    """Networks never recommended for a ban (loopback and the server's own addresses
    never are, whatever this says)."""
    ban_time: timedelta = timedelta(hours=1)
    """The first ban of an address."""
    ban_escalation: float = 2.0
    """Each new ban of a repeat offender lasts this many times the previous one."""
    max_ban_time: timedelta = timedelta(days=30)
    ipv4_prefix: int = 24
    """Addresses of one IPv4 network of this size attack together (``network_*``)."""
    ipv6_prefix: int = 64
    fast_failures: int = 3
    """Brute force: this many failed logins from one client ..."""
    fast_window: timedelta = timedelta(minutes=1)
    """... within this time (a program, not a person retyping a password); failures on
    names of their own, each tried once, fewer than ``enumeration_users``, spread over
    10 seconds or more, not two people's in one connection, are colleagues behind one
    address and wait."""
    slow_failures: int = 4
    """Slow brute force: this many failed logins ..."""
    slow_window: timedelta = timedelta(hours=2)
    """... within this time (paced to slip under fail2ban's 10-minute window)."""
    daily_failures: int = 8
    """Slow brute force over a day: this many failed logins ..."""
    daily_window: timedelta = timedelta(days=1)
    enumeration_users: int = 4
    """Enumeration: this many distinct usernames from one client ..."""
    enumeration_window: timedelta = timedelta(days=1)
    network_clients: int = 4
    """Network: this many addresses of one network, each with a failed login and no
    successful one ..."""
    network_window: timedelta = timedelta(hours=1)
    wide_ipv6_prefix: int = 48
    """Wide network (``analyze``): in an IPv6 network of this size (a site's or a hosting
    customer's allocation) ..."""
    wide_networks: int = 8
    """... this many ``ipv6_prefix`` networks with failed logins within
    ``spray_window``, and no login from any of it, are one attacker spread thin (one
    guess from each address); a ``wide_ipv6_prefix`` not shorter than ``ipv6_prefix``
    turns it off. The daemon bans by the narrower rules; set ``ipv6_prefix`` to 48 for
    it to see such networks."""
    spray_clients: int = 5
    """Password spraying: this many clients failing on the same accounts ..."""
    spray_window: timedelta = timedelta(days=1)
    compromise_failures: int = 5
    """A successful login right after this many failures on the same account from other
    clients ..."""
    compromise_window: timedelta = timedelta(hours=1)
    """... within this time is reported as a compromise to verify."""
    stale_window: timedelta = timedelta(days=30)
    """A client that logged in as an account within this time and then fails with that
    account is its owner, never banned: a typo is not reported, three failures within
    ``daily_window`` are reported as a device with a stale password. For IPv6 the login
    is its /64's (or another /64's of its ``wide_ipv6_prefix`` network), and the /64's
    failures count together (a phone's privacy addresses). The daemon keeps these
    logins in its store, so an owner's login of last week counts after a restart too."""
    stale_max_failures: int = 1000
    """... but no more than this many such failures on one account from one client within
    ``daily_window`` (counted from the first): beyond it the failures are guessing, and
    the client is banned (``slow_bruteforce``). A phone that polls IMAP and retries its
    outbox every 5 minutes with an old password makes 576 a day."""
    unavailable_failures: int = 2
    """``Connection lost to authentication server`` counts as a guess when the same
    client had this many failed logins ..."""
    unavailable_window: timedelta = timedelta(minutes=5)
    """... within this time (Dovecot's penalty delay made Postfix time out); alone it is
    an outage and never counts."""
    scanner_events: int = 3
    """Scanner: this many policy violations (relay attempts, non-SMTP commands,
    postscreen violations) from a client that never tried to log in."""
    generic_users: tuple[str, ...] = GENERIC_USERS
    """Names bots try on every server; one failure on one that is not a real account
    makes the client a probe (watched, not banned)."""
    honeypot_users: tuple[str, ...] = ()
    """Accounts that do not exist and no person would type: one try is a ban."""
    users_file: str | None = None
    """A list of the real accounts (one per line, or a Dovecot passwd-file), to tell
    which targeted accounts exist; ``--users`` on the command line."""
    max_clients: int = 200_000
    """Clients tracked at once; beyond it the idlest are forgotten (and said so)."""

    @property
    def longest_window(self) -> timedelta:
        """The longest time over which the detector adds failures up (slow brute force
        over a day, enumeration, spraying): how far back the daemon's warm-up reads."""
        return max(
            self.fast_window,
            self.slow_window,
            self.daily_window,
            self.enumeration_window,
            self.network_window,
            self.spray_window,
            self.compromise_window,
            self.unavailable_window,
        )


@dataclass(frozen=True)
class AlertsConfig:
    """``[alerts]``: who hears about a compromise or a ban."""

    command: tuple[str, ...] = ()
    """A program and its arguments, run without a shell; the alert comes as one line of
    JSON, ended by a newline, on standard input. Empty: no command."""
    url: str | None = None
    """A URL that receives the alert as a JSON POST. Empty: none."""


@dataclass(frozen=True)
class Config:
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    enforce: EnforceConfig = field(default_factory=EnforceConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    path: str | None = field(default=None, compare=False)
    """The file this came from (None for the built-in defaults)."""
    allow_notes: tuple[str, ...] = field(default=(), compare=False)
    """One line for each ``policy.allow`` entry written with host bits set
    (``192.0.2.5/24``), read as its network (`host_bits_note`): ``run --check``, the
    daemon's log at its start and reload, and ``analyze`` warn of them."""


_SECTIONS: dict[str, type[Any]] = {
    "sources": SourcesConfig,
    "store": StoreConfig,
    "enforce": EnforceConfig,
    "policy": PolicyConfig,
    "alerts": AlertsConfig,
}

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_DURATION = timedelta(days=36500)
"""The longest duration accepted anywhere (100 years): a longer one, ``inf`` or ``nan``
would overflow date arithmetic (a ban's end, ``--since``) and stop the daemon."""

# Ranges a value must fall in: (least, most); None for no bound.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "ipv4_prefix": (8, 32),
    "ipv6_prefix": (16, 128),
    "wide_ipv6_prefix": (16, 128),
    "wide_networks": (2, None),
    "ban_escalation": (1.0, 100.0),
    "max_clients": (1000, None),
    "max_bans": (100, None),
}
_HOST_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_USER_RE = re.compile(r"^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$")
_POSITIVE_INTS = {
    "fast_failures",
    "slow_failures",
    "daily_failures",
    "enumeration_users",
    "network_clients",
    "spray_clients",
    "compromise_failures",
    "unavailable_failures",
    "scanner_events",
    "stale_max_failures",
}


class _Bad(Exception):
    """A value is wrong; the caller adds the file and key."""


def parse_duration(value: object) -> timedelta:
    """``"10m"``, ``"1h30m"``, ``"2d"``, ``90`` (seconds) -> timedelta; raises on junk."""
    if isinstance(value, bool):
        raise _Bad(
            _('expected a duration such as "10m" or seconds, got {value!r}').format(value=value)
        )
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text and _DURATION_RE.sub("", text) == "" and text[0].isdigit():
            seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION_RE.findall(text))
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise _Bad(_bad_duration(value)) from None
    else:
        raise _Bad(
            _('expected a duration such as "10m", got {type}').format(type=type(value).__name__)
        )
    if not math.isfinite(seconds):
        raise _Bad(_bad_duration(value))
    if seconds <= 0:
        raise _Bad(_("a duration must be positive, got {value!r}").format(value=value))
    if seconds > MAX_DURATION.total_seconds():
        raise _Bad(
            _("a duration must be at most {days}d, got {value!r}").format(
                days=MAX_DURATION.days, value=value
            )
        )
    return timedelta(seconds=seconds)


def _bad_duration(value: object) -> str:
    return _(
        "bad duration {value!r}: use a number and a unit, such as 90s, 10m, 1h, 2d, 1w"
    ).format(value=value)


def parse_network(value: object) -> IPNetwork:
    if not isinstance(value, str):
        raise _Bad(
            _('expected a CIDR string such as "192.0.2.0/24", got {value!r}').format(value=value)
        )
    try:
        network = unmapped(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise _Bad(_("bad CIDR {value!r}").format(value=value)) from None
    if "%" in value:
        # fe80::1%eth0 was taken as fe80::1%eth0/128: the zone names an interface of
        # this host, no part of the address a log gives
        raise _Bad(
            _("bad CIDR {value!r}: a zone (%{zone}) is no part of an address; leave it out").format(
                value=value, zone=_one_line(value.partition("%")[2].partition("/")[0])
            )
        )
    return network


def _one_line(text: str) -> str:
    """``text`` as it is when printable, else escaped (a scope id may hold anything, a
    newline too): a message about it stays one line."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def host_bits_note(where: str, value: object) -> str | None:
    """The warning for an allow-list entry `value` (as written; `where`: the setting or
    option) with host bits set, which `parse_network` reads as the network holding it
    (``192.0.2.5/24`` as ``192.0.2.0/24``, as ip and nft take it), or None.

    Taken with a warning, not refused: the entry is readable one way only, and a file
    that worked before must not now stop the daemon (exit 2: no bans at all); but
    silently it would allow a whole network to one who meant one address."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        ipaddress.ip_network(text, strict=True)
        return None
    except ValueError:
        pass
    try:
        network = parse_network(text)
        address = ipaddress.ip_interface(text).ip
    except (_Bad, ValueError):
        return None  # refused anyway: no note
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    text = _one_line(text)
    if network.prefixlen == 0:
        # 0.0.0.1/0, ::ffff:192.0.2.5/96: every address of the family, never to be
        # suggested (the warning of a 0.0.0.0/0 entry says the same of it)
        return _(
            "{where}: {value} has host bits set: read as {network}, every IPv{version} "
            "address: no IPv{version} client is ever banned; write {address} for that "
            "address alone"
        ).format(
            where=where,
            value=text,
            network=network,
            version=network.version,
            address=address,
        )
    return _(
        "{where}: {value} has host bits set: read as {network}, the whole network; "
        "write {network}, or {address} for that address alone"
    ).format(where=where, value=text, network=network, address=address)


def _allow_notes(raw: object) -> tuple[str, ...]:
    """`host_bits_note` of each entry of a ``policy.allow`` as written."""
    if not isinstance(raw, list):
        return ()
    found = (host_bits_note("policy.allow", value) for value in raw)
    return tuple(note for note in found if note is not None)


def unmapped(network: IPNetwork) -> IPNetwork:
    """``::ffff:192.0.2.0/120`` as ``192.0.2.0/24``: the servers log an IPv4 client as
    IPv4, so an allow-list entry written IPv4-mapped must cover it."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def _type_name(annotation: object) -> str:
    if annotation is timedelta:
        return "duration"
    return getattr(annotation, "__name__", str(annotation))


def _convert(annotation: Any, value: object) -> object:
    """Check and convert one TOML value to the field's declared type."""
    origin = get_origin(annotation)
    if annotation is timedelta:
        return parse_duration(value)
    if annotation is bool:
        if not isinstance(value, bool):
            raise _Bad(_("expected true or false, got {value!r}").format(value=value))
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(_("expected a whole number, got {value!r}").format(value=value))
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad(_("expected a number, got {value!r}").format(value=value))
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise _Bad(_("expected a string, got {value!r}").format(value=value))
        return value
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            raise _Bad(
                _("expected one of {choices}, got {value!r}").format(
                    choices=", ".join(map(str, choices)), value=value
                )
            )
        return value
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if value == "" or value is None:
            return None  # an empty string means "none" for optional values
        return _convert(args[0], value)
    if origin is tuple:
        (item,) = get_args(annotation)[:1]
        if not isinstance(value, list):
            raise _Bad(_("expected a list, got {value!r}").format(value=value))
        if item is IPNetwork or get_origin(item) in (Union, types.UnionType):
            return tuple(parse_network(v) for v in value)
        return tuple(_convert(item, v) for v in value)
    raise _Bad(f"unsupported type {annotation!r}")  # pragma: no cover - a bug here


def _check_range(name: str, value: object) -> None:
    if name in _POSITIVE_INTS and isinstance(value, int) and value < 1:
        raise _Bad(_("must be at least {low}, got {value}").format(low=1, value=value))
    bounds = _RANGES.get(name)
    if bounds is not None and isinstance(value, int | float):
        low, high = bounds
        if (
            not math.isfinite(value)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            if high is None:
                raise _Bad(_("must be at least {low}, got {value}").format(low=low, value=value))
            if low is None:
                raise _Bad(_("must be at most {high}, got {value}").format(high=high, value=value))
            raise _Bad(
                _("must be between {low} and {high}, got {value}").format(
                    low=low, high=high, value=value
                )
            )
    if name in ("honeypot_users", "generic_users") and isinstance(value, tuple):
        for user in value:
            if isinstance(user, str) and not user.strip():
                raise _Bad(
                    _("expected account names, got a blank one {value!r}").format(value=user)
                )
    if name == "journal_users" and isinstance(value, tuple):
        for user in value:
            if not isinstance(user, str) or len(user) > 64 or not _USER_RE.match(user):
                raise _Bad(
                    _("expected user names or numeric uids, got {value!r}").format(value=user)
                )
    if (
        name == "host_name"
        and isinstance(value, str)
        and value
        and (len(value) > 253 or not _HOST_NAME_RE.match(value))
    ):
        raise _Bad(
            _("expected letters, digits, '.', '_' and '-', got {value!r}").format(value=value)
        )
    if name == "journal_users" and value == ():
        raise _Bad(
            _(
                "an empty list trusts root's journal entries only, and Postfix's smtpd logs "
                "as the postfix user: its attacks would be skipped; list the mail system's "
                'users (the default: ["postfix", "dovecot"]), or ["root"] for root only'
            )
        )
    if name == "postfix_map" and isinstance(value, str) and not value.startswith("/"):
        raise _Bad(_("{path!r} is not an absolute path").format(path=value))
    if name == "url" and isinstance(value, str):
        problem = _url_problem(value)
        if problem is not None:
            raise _Bad(problem)
    if name == "ports" and isinstance(value, tuple):
        for port in value:
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise _Bad(_("a port must be between 1 and 65535, got {port}").format(port=port))


def _url_problem(url: str) -> str | None:
    """Why `url` is no http(s) URL the alerts can POST to; None when it is one. The
    reason never repeats the URL: it may hold a password or a token."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            shown = parts.netloc.rpartition("@")[2].rpartition(":")[2]
            return _("a port must be between 1 and 65535, got {port}").format(port=shown)
        if "IPv6" in str(exc):
            return _("not a URL: a [ ] around its host is not closed, or not an IPv6 address")
        return _("not a URL: {problem}").format(problem=_first_line(exc))
    if parts.scheme not in ("http", "https"):
        begins = f"{parts.scheme}:" if parts.scheme else url.split("/", 1)[0][:20]
        return _("not an http:// or https:// URL (it begins {begins!r})").format(begins=begins)
    if any(not c.isprintable() for c in url):
        return _("the URL holds a control character")
    if any(c.isspace() for c in parts.netloc.rpartition("@")[2]):
        return _("the host of the URL holds a space")
    if any(c.isspace() for c in url):
        return _("the URL holds a space (write it %20)")
    if not host:
        return _("the URL names no host")
    if port == 0:
        return _("a port must be between 1 and 65535, got {port}").format(port=port)
    return None


def _field_value(cls: type[Any], key: str, raw: object, path: str, prefix: str) -> object:
    where = f"{prefix}.{key}"
    hints = get_type_hints(cls)
    if key not in hints or key not in {f.name for f in dataclasses.fields(cls)}:
        known = ", ".join(f.name for f in dataclasses.fields(cls))
        raise ConfigError(path, where, _("unknown key (known: {known})").format(known=known))
    try:
        value = _convert(hints[key], raw)
        _check_range(key, value)
    except _Bad as exc:
        raise ConfigError(path, where, str(exc)) from None
    return value


def _section(cls: type[Any], table: Mapping[str, object], path: str, prefix: str) -> Any:
    values = {key: _field_value(cls, key, raw, path, prefix) for key, raw in table.items()}
    section = cls(**values)
    _check_section(section, path, prefix)
    return section


def _check_section(section: object, path: str, prefix: str) -> None:
    """Checks that involve two keys."""
    if isinstance(section, PolicyConfig) and section.max_ban_time < section.ban_time:
        raise ConfigError(path, f"{prefix}.max_ban_time", _("is shorter than policy.ban_time"))


def config_from_mapping(data: Mapping[str, object], path: str = "<config>") -> Config:
    """Build a :class:`Config` from parsed TOML; ``path`` names the source in errors."""
    sections: dict[str, object] = {}
    for name, table in data.items():
        cls = _SECTIONS.get(name)
        if cls is None:
            known = ", ".join(_SECTIONS)
            raise ConfigError(path, name, _("unknown section (known: {known})").format(known=known))
        if not isinstance(table, dict):
            raise ConfigError(path, name, _("expected a table ([{name}])").format(name=name))
        sections[name] = _section(cls, table, path, name)
    policy = data.get("policy")
    notes = _allow_notes(policy.get("allow")) if isinstance(policy, dict) else ()
    return Config(path=path, allow_notes=notes, **sections)  # type: ignore[arg-type]


MAX_CONFIG_BYTES = 1 << 20
"""The largest configuration file read (a real one is a few KiB): a larger one is
refused after reading one byte more than this, never read whole into memory
(``--config /dev/zero``)."""


CONFIG_PIPE_WAIT = 5.0
"""Seconds a configuration that is no regular file (``--config <(…)``, a FIFO, a device)
may take to be written, in all: a FIFO nobody writes to is refused after them, not
waited on for ever."""


def _read_config_bytes(path: str | Path, name: str) -> bytes:
    """The file's bytes; `ConfigError` (one line) when it cannot be read or is over
    :data:`MAX_CONFIG_BYTES`. What is no regular file is read too, never waited on for
    ever nor read without end: ``/dev/null`` is empty (the defaults), a pipe
    (``--config <(…)``) is read to its end, a FIFO that nothing is written to within
    :data:`CONFIG_PIPE_WAIT` seconds is refused, ``/dev/zero`` stops at the size bound."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        reason = _("cannot read: {reason}").format(reason=os_reason(exc) or exc)
        raise ConfigError(name, None, reason) from None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            with os.fdopen(fd, "rb") as file:
                fd = -1
                data = file.read(MAX_CONFIG_BYTES + 1)
        else:
            data = _read_unregular(fd, name)
    except OSError as exc:
        reason = _("cannot read: {reason}").format(reason=os_reason(exc) or exc)
        raise ConfigError(name, None, reason) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(name, None, _("over 1 MiB: not a configuration file"))
    return data


def _read_unregular(fd: int, name: str) -> bytes:
    """What a non-blocking ``fd`` that is no regular file gives, to its end or one byte
    over :data:`MAX_CONFIG_BYTES`, within :data:`CONFIG_PIPE_WAIT` seconds in all. A FIFO
    with no writer reports nothing (Linux: no event until a writer has been and gone),
    so it is refused when the time is up, as is a writer that never ends."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + CONFIG_PIPE_WAIT
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while size <= MAX_CONFIG_BYTES:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(max(1, math.ceil(left * 1000))):
            if time.monotonic() < deadline:
                continue
            raise ConfigError(
                name,
                None,
                _(
                    "cannot read: not written to its end in {seconds:g} s (a FIFO with no writer?)"
                ).format(seconds=CONFIG_PIPE_WAIT),
            )
        try:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
        except BlockingIOError:
            continue
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def load_config(path: str | Path | None) -> Config:
    """Read a configuration file; None gives the defaults."""
    if path is None:
        return Config()
    name = str(path)
    data = _read_config_bytes(path, name)
    try:
        # A byte order mark (some Windows editors write one) is no TOML: not an error.
        parsed = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(name, None, _("not UTF-8 text")) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, None, _toml_problem(str(exc))) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, arrays 3,000 deep
        problem = _("invalid TOML: {problem}").format(problem=_first_line(exc))
        raise ConfigError(name, None, problem) from None
    return config_from_mapping(parsed, name)


def apply_overrides(
    config: Config, assignments: Iterable[str], origin: str = "command line"
) -> Config:
    """Apply ``section.key=value`` strings (``policy.fast_window=5m``); the value is TOML
    (``5``, ``"5m"``, ``["192.0.2.0/24"]``) or, failing that, a bare string."""
    for assignment in assignments:
        dotted, sep, text = assignment.partition("=")
        section_name, dot, key = dotted.strip().partition(".")
        if not sep or not dot or not key:
            raise ConfigError(origin, dotted or assignment, _("expected section.key=value"))
        try:
            value: object = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        except (ValueError, RecursionError) as exc:
            problem = _("invalid value: {problem}").format(problem=_first_line(exc))
            raise ConfigError(origin, dotted, problem) from None
        cls = _SECTIONS.get(section_name)
        if cls is None:
            raise ConfigError(origin, section_name, _("unknown section"))
        typed = _field_value(cls, key, value, origin, section_name)
        section = dataclasses.replace(getattr(config, section_name), **{key: typed})
        _check_section(section, origin, section_name)
        config = dataclasses.replace(config, **{section_name: section})
        if section_name == "policy" and key == "allow":
            config = dataclasses.replace(config, allow_notes=_allow_notes(value))
    return config


_TOML_MESSAGES = frozenset(
    {
        N_("Invalid statement"),
        N_("Expected newline or end of document after a statement"),
        N_("Cannot overwrite a value"),
        N_("Expected ']' at the end of a table declaration"),
        N_("Expected ']]' at the end of an array declaration"),
        N_("Expected '=' after a key in a key/value pair"),
        N_("Invalid initial character for a key part"),
        N_("Unclosed array"),
        N_("Unclosed inline table"),
        N_("Unescaped '\\' in a string"),
        N_("Invalid hex value"),
        N_("Escaped character is not a Unicode scalar value"),
        N_("Unterminated string"),
        N_("Invalid date or datetime"),
        N_("Invalid value"),
    }
)
"""The complaints of :mod:`tomllib` without a value in them, verbatim (a test checks
them against the running Python's); one a release rewords stays English."""
_TOML_PATTERNS = (
    (re.compile(r"Expected ('.*')", re.S), N_("Expected {what}")),
    (re.compile(r"Found invalid character (.*)", re.S), N_("Found invalid character {what}")),
    (re.compile(r"Illegal character (.*)", re.S), N_("Illegal character {what}")),
    (re.compile(r"Cannot declare (.*) twice", re.S), N_("Cannot declare {what} twice")),
    (
        re.compile(r"Cannot mutate immutable namespace (.*)", re.S),
        N_("Cannot mutate immutable namespace {what}"),
    ),
    (re.compile(r"Cannot redefine namespace (.*)", re.S), N_("Cannot redefine namespace {what}")),
    (re.compile(r"Duplicate inline table key (.*)", re.S), N_("Duplicate inline table key {what}")),
)
"""The complaints of :mod:`tomllib` with a value (a character, a key) in them."""
_TOML_AT = re.compile(
    r"(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)", re.S
)


def _toml_problem(text: str) -> str:
    """``invalid TOML: Unclosed array (at line 3, column 9)``, in the active language:
    where it is, and what :mod:`tomllib` says of it when that is one of its complaints we
    know (else as it said it). English: tomllib's message as it was."""
    at = _TOML_AT.fullmatch(text)
    if at is None:
        return _("invalid TOML: {problem}").format(problem=_first_line(ValueError(text)))
    what = at["what"]
    if what in _TOML_MESSAGES:
        what = _(what)
    else:
        for pattern, message in _TOML_PATTERNS:
            found = pattern.fullmatch(what)
            if found is not None:
                what = _(message).format(what=found[1])
                break
    if at["line"] is None:
        return _("invalid TOML: {problem} (at end of document)").format(problem=what)
    return _("invalid TOML: {problem} (at line {line}, column {column})").format(
        problem=what, line=at["line"], column=at["column"]
    )


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line, cut short (Python's own can be long)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def duration_text(delta: timedelta) -> str:
    """A duration as the configuration writes it: ``10m``, ``1h30m``, ``2d``."""
    seconds = int(delta.total_seconds())
    if seconds != delta.total_seconds() or seconds == 0:
        return f"{delta.total_seconds():g}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts)


__all__ = [
    "GENERIC_USERS",
    "AlertsConfig",
    "Backend",
    "Config",
    "EnforceConfig",
    "PolicyConfig",
    "SourcesConfig",
    "StoreConfig",
    "apply_overrides",
    "config_from_mapping",
    "duration_text",
    "load_config",
    "parse_duration",
    "unmapped",
]
