"""The configuration turned into the parts the daemon and the operations commands use."""

from __future__ import annotations

from collections.abc import Sequence

from mailwarden.config import Config
from mailwarden.daemon.preflight import where
from mailwarden.detect import Detector, load_accounts
from mailwarden.enforce import Enforcer, NotOursError, create_enforcer
from mailwarden.enforce.policy import BanPolicy
from mailwarden.errors import ConfigError, EnforceError, InputError
from mailwarden.model import IPNetwork


def make_enforcer(config: Config) -> Enforcer:
    """The enforcer `[enforce]` names; constructing it changes nothing on the host."""
    enforce = config.enforce
    try:
        if enforce.backend == "nftables":
            from mailwarden.enforce.nftables import NftablesEnforcer

            return NftablesEnforcer(
                ports=enforce.ports, table=enforce.table, max_bans=enforce.max_bans
            )
        if enforce.backend == "ipset":
            from mailwarden.enforce.ipset import IpsetEnforcer

            return IpsetEnforcer(ports=enforce.ports, prefix=enforce.ipset)
        if enforce.backend == "postfix-map":
            return create_enforcer("postfix-map", postfix_map=enforce.postfix_map)
        from mailwarden.enforce.dryrun import DryRunEnforcer

        return DryRunEnforcer(bans_said=True)  # the daemon logs each ban itself
    except EnforceError as exc:
        raise ConfigError(where(config), enforce_key(config), str(exc)) from None


def enforce_key(config: Config) -> str:
    """The key that names where the bans go: ``enforce.table`` for nftables."""
    backend = config.enforce.backend
    return {"nftables": "enforce.table", "ipset": "enforce.ipset"}.get(backend, "enforce.backend")


def check_enforcer(config: Config, enforcer: Enforcer) -> None:
    """`ConfigError` when the place `enforcer` would put its objects holds someone
    else's (``table = "filter"``, the admin's own table): reads only, for ``run --check``
    and a reload. A firewall that cannot be read says nothing here: the start reports
    it."""
    try:
        enforcer.check()
    except NotOursError as exc:
        raise ConfigError(where(config), enforce_key(config), str(exc)) from None
    except EnforceError:
        pass


def describe(config: Config) -> str:
    """Where bans go, for the log: ``nftables table inet mailwarden``."""
    enforce = config.enforce
    if enforce.backend == "nftables":
        return f"nftables table inet {enforce.table}"
    if enforce.backend == "ipset":
        return f"ipsets {enforce.ipset}4/{enforce.ipset}6"
    if enforce.backend == "postfix-map":
        return f"Postfix access map {enforce.postfix_map}"
    return "no firewall (dry run: decisions are only logged)"


def ban_policy(config: Config, own: Sequence[IPNetwork]) -> BanPolicy:
    policy = config.policy
    return BanPolicy(
        base=policy.ban_time,
        factor=policy.ban_escalation,
        max=policy.max_ban_time,
        allow=policy.allow,
        own_addresses=own,
    )


def make_detector(config: Config) -> Detector:
    """A detector for the daemon: it keeps no history (its bans are in the store). With
    several inputs (auth.log beside mail.log), PAM's line of an attempt may be read a
    poll after Dovecot's or Postfix's line of it: the detector pairs it with that
    attempt (``late_pam``)."""
    accounts = None
    users = config.policy.users_file
    if users:
        try:
            accounts = load_accounts(users)
        except InputError as exc:
            raise ConfigError(where(config), "policy.users_file", str(exc)) from None
    sources = config.sources
    inputs = len(set(sources.files)) + (1 if sources.journal else 0)
    return Detector(config.policy, accounts, keep_history=False, late_pam=inputs > 1)
