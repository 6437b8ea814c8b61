"""enforce: Decision -> firewall (nftables, ipset, postfix-map, dry run).

`interface` holds the values and the `Enforcer` contract; one module per backend;
`policy` decides how long a ban lasts and what may never be banned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mailwarden.enforce.interface import (
    BanEntry,
    BatchRefusedError,
    EnforceError,
    Enforcer,
    NotOursError,
    PermissionDeniedError,
    ToolMissingError,
)

BACKENDS = ("nftables", "ipset", "postfix-map", "none")
DEFAULT_PORTS = (25, 465, 587)

__all__ = [
    "BACKENDS",
    "DEFAULT_PORTS",
    "BanEntry",
    "BatchRefusedError",
    "EnforceError",
    "Enforcer",
    "NotOursError",
    "PermissionDeniedError",
    "ToolMissingError",
    "create_enforcer",
]


def create_enforcer(
    backend: str,
    *,
    ports: Sequence[int] = DEFAULT_PORTS,
    netns: str | None = None,
    postfix_map: str | Path = "/var/lib/mailwarden/access.cidr",
    reload_command: Sequence[str] | None = ("postfix", "reload"),
    postfix_style: str = "smtpd",
) -> Enforcer:
    """The enforcer a configuration names (``backend`` is one of `BACKENDS`)."""
    if backend == "nftables":
        from mailwarden.enforce.nftables import NftablesEnforcer

        return NftablesEnforcer(ports=ports, netns=netns)
    if backend == "ipset":
        from mailwarden.enforce.ipset import IpsetEnforcer

        return IpsetEnforcer(ports=ports, netns=netns)
    if backend == "postfix-map":
        from mailwarden.enforce.postfix_map import PostfixMapEnforcer

        if postfix_style == "postscreen":
            return PostfixMapEnforcer(postfix_map, reload_command, style="postscreen")
        if postfix_style == "smtpd":
            return PostfixMapEnforcer(postfix_map, reload_command, style="smtpd")
        raise EnforceError(f"postfix-map: style must be smtpd or postscreen: {postfix_style}")
    if backend == "none":
        from mailwarden.enforce.dryrun import DryRunEnforcer

        return DryRunEnforcer()
    raise EnforceError(f"unknown enforcement backend {backend!r} (one of {', '.join(BACKENDS)})")
