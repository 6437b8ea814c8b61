"""`mailwarden ban`, `unban`, `status`: operations on the store the daemon reads.

They change only the store; the running daemon notices the change (the store's
revision) within a second and applies it to the firewall. Without a running daemon a
change takes effect when it starts.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click

from mailwarden.config import Config, duration_text, parse_duration
from mailwarden.daemon.decisions import clean, iso
from mailwarden.daemon.preflight import DEFAULT_CONFIG, load, store_place, where
from mailwarden.daemon.reading import StateKeys
from mailwarden.daemon.status import (
    daemon_running,
    not_enforced,
    running_hosts,
    status_document,
    status_text,
)
from mailwarden.errors import ConfigError, MailwardenError, StoreSettingError
from mailwarden.model import BanEntry, IPNetwork
from mailwarden.store import BanRow, Source, Store, open_store, probe_store
from mailwarden.store.location import safe_location

config_option = click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help=f"The configuration naming the store (default: {DEFAULT_CONFIG}).",
)


_ADDRESS_CHARS = re.compile(r"[0-9A-Fa-f:./]{2,49}")


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except Exception as exc:  # the configuration's own error type is private
        raise click.BadParameter(str(exc)) from None


def parse_target(text: str) -> IPNetwork:
    """``192.0.2.7`` -> ``192.0.2.7/32``; ``::ffff:192.0.2.7`` is the IPv4 address.
    Only digits, hex letters, ``.``, ``:`` and ``/`` are accepted: `ipaddress` would take
    an IPv6 scope id (``2001:db8::1%eth0``) whose text may hold anything, a newline too."""
    from mailwarden.enforce.policy import normalize

    if not _ADDRESS_CHARS.fullmatch(text.strip()):
        raise click.BadParameter(
            f"{text!r} is not an address or a network such as 192.0.2.0/24", param_hint="ADDR|CIDR"
        )
    try:
        return normalize(ipaddress.ip_network(text.strip(), strict=True))
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an address or a network such as 192.0.2.0/24", param_hint="ADDR|CIDR"
        ) from None
    raise click.BadParameter(
        f"{text} has host bits set: did you mean {loose}?", param_hint="ADDR|CIDR"
    )


DEFAULT_REASON = "banned by hand"


def _store(config: Config, *, read_only: bool = False) -> Store:
    """The store the daemon reads. A path `mailwarden run` refuses is refused here too,
    in its words (exit 2): a relative one (it would name another store in each current
    directory), one under a file (``/srv/afile/state.db``), a PostgreSQL URL with a
    setting libpq refuses (``sslmode=bogus``)."""
    path = _store_path(config)
    with _setting_refused(config):
        return open_store(path, read_only=read_only)


@contextmanager
def _setting_refused(config: Config) -> Iterator[None]:
    """A store URL that names no store as written (`StoreSettingError`): a bad setting,
    exit 2, ``FILE: store.path: reason``, as `mailwarden run` says it."""
    try:
        yield
    except StoreSettingError as exc:
        raise ConfigError(where(config), "store.path", str(exc)) from None


def _store_path(config: Config) -> str:
    store_place(config)
    return config.store.path


def _existing_store(config: Config, *, read_only: bool = False) -> Store:
    """The store, when it exists: a command that only reads or lifts never creates one
    (a mistyped ``--config`` would leave an empty store behind), neither a file nor the
    tables of a PostgreSQL database. An empty file, or a SQLite database without a
    table (``: > store.db``), is no store yet either: opening it would write the tables
    into it. `read_only` (status): a SQLite store is read without writing to it."""
    import os

    from mailwarden.store.sqlite import NO_STORE_YET, blank, unreachable

    path = _store_path(config)
    if "://" not in path:
        try:
            os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise MailwardenError(f"{path}: {NO_STORE_YET}") from None
        except OSError as exc:  # there, maybe, but not for us to see: say why
            raise MailwardenError(unreachable(path, exc)) from None
        if blank(path):
            raise MailwardenError(f"{path}: {NO_STORE_YET}")
    else:
        with _setting_refused(config):
            exists = probe_store(path)
        if not exists:  # opening would create the tables
            raise MailwardenError(f"{safe_location(path)}: {NO_STORE_YET}")
    return _store(config, read_only=read_only)


def _damage(store: Store, config: Config) -> str | None:
    """One line naming the damaged rows the store skipped, or None."""
    damage = store.damage()
    if not damage:
        return None
    more = f"; and {len(damage) - 3} more" if len(damage) > 3 else ""
    return f"the store {safe_location(config.store.path)} is damaged: {'; '.join(damage[:3])}{more}"


def _warn_damage(store: Store, config: Config) -> None:
    line = _damage(store, config)
    if line is not None:
        click.echo(f"mailwarden: warning: {line}", err=True)


def _note(store: Store, config: Config) -> None:
    """Who applies the change: this host's daemon; else, in a shared store, the running
    daemons of the other hosts (a management host runs none of its own)."""
    keys = StateKeys.for_store(config.store)
    if daemon_running(store, keys):
        click.echo("mailwarden: the running daemon applies it within a second")
        return
    others = [clean(host) for host in running_hosts(store, keys)]
    if others:
        click.echo(
            f"mailwarden: no daemon of this host ({clean(keys.host or '')}) runs; the running "
            f"daemon{'s' if len(others) > 1 else ''} of {', '.join(others)} "
            f"appl{'y' if len(others) > 1 else 'ies'} it within a second"
        )
    else:
        click.echo(
            "mailwarden: no running daemon seen: it takes effect when `mailwarden run` starts",
            err=True,
        )


@click.command()
@click.argument("target", metavar="ADDR|CIDR")
@click.option(
    "--for",
    "length",
    callback=_duration,
    metavar="DURATION",
    help="How long: 90m, 1h, 2d, 1w (default: the policy's ban time, longer for a "
    "repeat offender).",
)
@click.option(
    "--reason",
    help=f"Why (for status; default: the reason of the ban in force, else {DEFAULT_REASON!r}).",
)
@config_option
def ban(target: str, length: timedelta | None, reason: str | None, config_path: str | None) -> int:
    """Ban an address or a network now.

    Loopback, this host's addresses and the allow list are refused, as the daemon
    refuses them. Banning again never shortens a ban; a ban in force is lengthened (its
    reason kept unless --reason is given), which counts no new offence, and becomes a
    manual ban if the daemon's was automatic.

    \b
    Examples:
      mailwarden ban 203.0.113.7 --for 1d --reason "phishing kit"
      mailwarden ban 2001:db8:bad::/48
    """
    from mailwarden.daemon.wiring import ban_policy
    from mailwarden.enforce.policy import own_addresses

    network = parse_target(target)
    config = load(config_path)
    policy = ban_policy(config, own_addresses())
    refusal = policy.refusal(network)
    if refusal is not None:
        raise MailwardenError(f"refusing to ban {network}: {refusal}")
    now = datetime.now(UTC)
    with _store(config) as store:
        offences = store.offences(network)
        duration = length if length is not None else policy.duration_for(max(1, offences))
        reason_given = clean(reason) if reason is not None else None
        # The admin's ban now (manual), first at the firewall's max_bans.
        row = store.extend_ban(network, now + duration, reason_given, now, source=Source.MANUAL)
        done = "extended the ban of"
        if row is not None and row.until > now + duration + timedelta(seconds=1):
            done = "kept the longer ban of"  # a ban is never shortened
        if row is None:
            duration = length if length is not None else policy.duration_for(offences + 1)
            entry = BanEntry(network, now + duration, reason_given or DEFAULT_REASON)
            evidence = json.dumps({"by": "mailwarden ban", "user": _login()})
            # One transaction: a ban of it recorded since (another `ban` at the same
            # moment, a daemon) is lengthened, not counted as a second offence, and
            # takes our --reason as `extend_ban` gives it.
            row, new = store.record_offence(
                entry,
                evidence,
                Source.MANUAL,
                now,
                ends=lambda n: now + (length if length is not None else policy.duration_for(n)),
                replace_reason=reason_given is not None,
            )
            done = "banned"
            if not new:
                done = "extended the ban of"
                if row.until > now + duration + timedelta(seconds=1):
                    done = "kept the longer ban of"
        offence = f", offence {row.offences}" if row.offences > 1 else ""
        click.echo(
            f"{done} {row.network} until {iso(row.until)} "
            f"({duration_text(row.until - row.since)}{offence}): {row.reason}"
        )
        _note(store, config)
        _warn_damage(store, config)
    return 0


NAMED_INSIDE = 5
"""How many of the bans inside a network `unban` names before "and N more"."""


def _named(rows: list[BanRow]) -> str:
    """The networks of `rows`, the first `NAMED_INSIDE` of them, then how many more."""
    names = ", ".join(str(row.network) for row in rows[:NAMED_INSIDE])
    more = len(rows) - NAMED_INSIDE
    return f"{names} and {more} more" if more > 0 else names


def _inside(rows: list[BanRow], network: IPNetwork) -> str:
    """``2 bans inside 203.0.113.0/24 are`` (``1 ban ... is``)."""
    if len(rows) == 1:
        return f"1 ban inside {network} is"
    return f"{len(rows)} bans inside {network} are"


@click.command()
@click.argument("target", metavar="ADDR|CIDR")
@click.option("--reason", default="lifted by hand", show_default=True, help="Why (kept).")
@click.option(
    "--inside",
    is_flag=True,
    help="Lift the bans of the addresses and networks inside the network too.",
)
@config_option
def unban(target: str, reason: str, inside: bool, config_path: str | None) -> int:
    """Lift the ban of an address or a network (exactly as it was banned).

    A wider ban still in force over it (the network's ban beside the address's) is
    named: the address stays blocked until that one is lifted too. So are the bans
    inside a network (its addresses banned on their own), which stay in force unless
    --inside lifts them as well. The exit status is 0 all the same, the ban asked for
    was lifted.

    \b
    Examples:
      mailwarden unban 203.0.113.7
      mailwarden unban 203.0.113.0/24 --reason "customer's NAT gateway"
      mailwarden unban 203.0.113.0/24 --inside
    """
    network = parse_target(target)
    config = load(config_path)
    why = clean(reason)
    with _existing_store(config) as store:
        lifted = store.lift_ban(network, why)
        wider = store.covering_bans(network)  # the few rows that hold it, not every ban
        if wider:
            # Only the wider bans the daemon enforces here block it (as status marks
            # them): one over an allowed address or one of this host's is left out.
            refusal = not_enforced(config)
            wider = [row for row in wider if refusal(row.network) is None]
        narrower = store.inside_bans(network)
        freed = [row for row in narrower if inside and store.lift_ban(row.network, why)]
        if lifted or freed:
            if lifted:
                click.echo(f"unbanned {network}")
            if freed:
                count = "1 ban" if len(freed) == 1 else f"{len(freed)} bans"
                click.echo(f"unbanned {count} inside {network}: {_named(freed)}")
            # Exit 0: what was asked is done (a script that unbans then bans again
            # must not see a failure), but the address is not let in yet: say by what.
            for row in sorted(wider, key=lambda row: row.network.prefixlen):
                click.echo(
                    f"mailwarden: warning: {network} is still blocked by the ban of "
                    f"{row.network} until {iso(row.until)}: unban that network to let it in",
                    err=True,
                )
            if narrower and not inside:
                click.echo(
                    f"mailwarden: warning: {_inside(narrower, network)} still in force: "
                    f"{_named(narrower)}: `mailwarden unban {network} --inside` lifts them",
                    err=True,
                )
            _note(store, config)
            _warn_damage(store, config)
            return 0
        _warn_damage(store, config)
    if wider:
        raise MailwardenError(
            f"{network} is inside the ban of {wider[0].network}: unban that network"
        )
    if narrower:
        raise MailwardenError(
            f"{network} is not banned, but {_inside(narrower, network)} in force: "
            f"{_named(narrower)}: `mailwarden unban {network} --inside` lifts them"
        )
    raise MailwardenError(f"{network} is not banned")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the monitoring contract (see mailwarden.daemon.status).",
)
@config_option
def status(fmt: str, config_path: str | None) -> int:
    """Show the active bans, the daemon's counts, and each source's position.

    A damaged row in the store is left out: the rest is shown, then one line names
    what was left out, and the exit status is 1.

    \b
    Examples:
      mailwarden status
      mailwarden status --format json | jq '.counts.active'
    """
    config = load(config_path)
    with _existing_store(config, read_only=True) as store:
        document = status_document(store, config)
        damage = _damage(store, config)
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(status_text(document))
    if damage is not None:
        raise MailwardenError(f"{damage} (left out, the rest is shown)")
    return 0


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
