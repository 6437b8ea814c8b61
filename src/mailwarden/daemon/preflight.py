"""Checks made before the daemon starts anything: a bad start stops with one line.

Everything here raises `ConfigError` (exit 2, ``FILE: KEY: reason``) and changes
nothing: no table is created, no store file is written, no log is opened. What is
checked: the file parses and has only known keys of the right types (`load`), no other
user can change it or the alert command (through a folder up to /, or a symlink on
the way: `_unsafe`; /dev/null, which keeps nothing, is the defaults), there is
something to read (a followed file that exists, or the journal: else `NothingToRead`,
exit 1, as systemd should try again: the file may appear), the enforcement backend's
programs are installed and we are root (or run a dry run), the store can be created or
written and no other user can change or replace it (through its folder or one above:
`mailwarden.store.sqlite.unsafe_mode`), the account list can be read, and the alert
command exists and the alert URL is an http(s) URL.

`enforce_warnings` (``run --check``, and the daemon's log at its start) warns of a
Postfix access map that no restriction list of Postfix names (`postfix_use`).

`policy_warnings` (``run --check``, and the daemon's log at its start and reload)
warns of an allow-list entry that allows every address (``0.0.0.0/0``), and of one
written with host bits set (``192.0.2.5/24``, read as ``192.0.2.0/24``).

`store_warnings` (``run --check`` only) warns of a store under /tmp or /var/tmp, which
the shipped systemd unit (PrivateTmp=yes) replaces for the daemon; `source_warnings`
(``run --check`` only) of a followed path that is not a regular file (a FIFO, a
device), which the daemon cannot read.

`check_store` (``run --check`` only) goes further and reads the store as the daemon
will open it, creating and changing nothing: an SQLite file that is not a database, one
of another program or of a newer mailwarden, one of ours without a table the daemon
reads, a URL libpq cannot read, a schema we may not create (exit 2, as the start); a
PostgreSQL server that cannot be reached, or a database not created yet, exits 1 as
the start does (systemd tries again). It is not part of `preflight`; a $TMPDIR with no
room for its private copy after a kill -9 is this host's problem, not the setting's:
exit 1. At a start a store that is busy or unreachable exits 1 (systemd tries again),
and a reload does not switch stores.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import stat
from pathlib import Path
from urllib.parse import urlsplit

from mailwarden.acl import Grantee, acl_writers, described
from mailwarden.config import Config, SourcesConfig, load_config
from mailwarden.errors import ConfigError, MailwardenError, StoreError, StoreUnusable
from mailwarden.model import IPNetwork
from mailwarden.store.location import safe_location

DEFAULT_CONFIG = "/etc/mailwarden/mailwarden.toml"
BUILT_IN = "(built-in defaults)"
SERVICE_FOLDER = "/var/lib/mailwarden"

# backend -> the programs it runs, and the Debian package that has them.
_PROGRAMS: dict[str, tuple[tuple[str, ...], str]] = {
    "nftables": (("nft",), "nftables"),
    "ipset": (("ipset", "iptables", "ip6tables"), "ipset and iptables"),
    "postfix-map": (("postfix",), "postfix"),
}


class NothingToRead(ConfigError):
    """None of the followed files exists and the journal is not followed: a daemon
    started so would read nothing and ban nothing, for ever, while saying it runs.
    ``run --check`` and the start (and a reload, which keeps the running configuration)
    refuse it in the same line, ``FILE: sources.files: reason and the fix``. Exit status
    1, not 2: the file may be about to appear (rsyslog just installed), and systemd then
    starts the daemon again 5 s later, where exit 2 would leave it stopped."""

    exit_code = 1


_JOURNAL_ONLY = SourcesConfig(files=(), journal=True)
"""What the built-in defaults follow on a host with no default log file (`built_in`)."""


def load(path: str | None) -> Config:
    """The configuration at `path`; without one, `DEFAULT_CONFIG` when it exists and the
    built-in defaults (`built_in`) when it does not."""
    if path is None:
        if not os.path.exists(DEFAULT_CONFIG):
            return built_in()
        path = DEFAULT_CONFIG
    return load_config(path)


def built_in() -> Config:
    """The built-in defaults, for a stock Debian Postfix + Dovecot: they follow
    /var/log/mail.log, which rsyslog writes; Debian 12 installs no rsyslog, and Postfix
    and Dovecot then log to the journal only: when none of the default files exists and
    journalctl is installed, the defaults follow the journal instead (`journal_instead`
    says so). A reload looks again: once rsyslog writes the file, it is the file."""
    config = Config()
    if not any(os.path.exists(path) for path in config.sources.files) and shutil.which(
        "journalctl"
    ):
        return Config(sources=_JOURNAL_ONLY)
    return config


def journal_instead(config: Config) -> str | None:
    """For ``run --check`` and the daemon's log: a note when the built-in defaults follow
    the journal because their log file does not exist (`built_in`); else None."""
    if config.path is not None or config.sources != _JOURNAL_ONLY:
        return None
    files = ", ".join(SourcesConfig().files)
    return (
        f"sources: {files} does not exist (no rsyslog?): the built-in defaults follow the "
        "journal instead (journal = true)"
    )


def where(config: Config) -> str:
    """How errors name the configuration."""
    return config.path or BUILT_IN


def preflight(config: Config) -> None:
    """Raise `ConfigError` when the daemon cannot run with `config` on this host."""
    _config_file(config)
    _sources(config)
    _enforce(config)
    _store(config)
    _policy(config)
    _alerts(config)
    _something_to_read(config)  # last: a setting a person must fix (exit 2) comes first


_DEV_NULL = os.makedev(1, 3)
"""Linux's /dev/null (character device 1:3), by its number, whatever its name."""


def _unsafe(path: str) -> str | None:
    """Why another user could change what `path` holds, for a root process; else None.

    The configuration names a command the daemon runs as root and files it writes:
    whoever can change the file (or replace it in its folder, or a folder above, or a
    symlink on the way to it) can run anything as root, as sshd's StrictModes says for
    authorized_keys. So the file, each folder up to / where its symlinks lead, the
    folder of each symlink on the way (an intermediate link's too) and each folder
    above that, and each symlink on the way must be root's, and none writable by
    another user: not by every user, nor by a group other than root's, nor by a user or
    group a POSIX ACL names (the ACL's mask shows as the mode's group bits, so a
    root-group file that ``setfacl -m u:nobody:rw`` opened looked safe). A sticky
    folder is the exception, whoever may write it (/tmp; NixOS's /nix/store, root:nixbld
    1775): only the owner of an entry there, or root, may rename or delete it, and each
    entry on the way (folder, symlink, file) must be root's anyway. A refusal names the
    folder or file as it is, not a symlink that leads to it.

    /dev/null is the exception every user may write: it keeps nothing, and reads as
    empty (``--config /dev/null``: every key's default). Only it: another character
    device every user may write (a tty, a serial line, a driver that hands one writer's
    bytes to the next reader) may read as what someone else wrote."""
    if os.geteuid() != 0:
        return None
    from mailwarden.store.sqlite import holders, symlinks_on_the_way

    try:
        for link, info in symlinks_on_the_way(Path(path)):
            if info.st_uid != 0:
                return f"{link} is a symlink owned by {_user(info.st_uid)}, not root"
    except OSError:
        pass  # a loop: opening the file says so
    real = os.path.realpath(path)
    places = [(path, real if os.path.exists(real) else path)]  # a pipe (<(…)) has no name
    places += [(str(folder), str(folder)) for folder in holders(Path(path))]
    for place, shown in places:
        try:
            st = os.stat(place)
        except OSError:
            continue
        why = _writable_by_others(shown, st)
        if why is not None:
            return why
    return None


def _writable_by_others(place: str, st: os.stat_result) -> str | None:
    """Why another user than root may write `place` (a file or a folder), else None."""
    if st.st_uid != 0:
        return f"{place} is owned by {_user(st.st_uid)}, not root"
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == _DEV_NULL:
        return None  # keeps nothing: see `_unsafe`
    if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return None  # nobody but root may rename or delete root's entries: see `_unsafe`
    if st.st_mode & stat.S_IWOTH:
        return f"{place} is writable by every user"
    if st.st_mode & stat.S_IWGRP:
        writers = acl_writers(place)
        others = tuple(each for each in writers.named if each.id != 0) if writers else ()
        if others:
            return f"{place} is writable by {described(others)} through its ACL"
        if st.st_gid != 0:
            return f"{place} is writable by {Grantee('group', st.st_gid)}"
    return None


def _user(uid: int) -> str:
    """``user nobody (uid 65534)``, or ``user uid 1234`` for a number with no name."""
    return str(Grantee("user", uid))


def _config_file(config: Config) -> None:
    if config.path is None:
        return
    why = _unsafe(config.path)
    if why is not None:
        raise ConfigError(config.path, None, f"refused: {why} (the daemon runs as root)")


def _sources(config: Config) -> None:
    name = where(config)
    sources = config.sources
    if not sources.files and not sources.journal:
        raise ConfigError(
            name, "sources.files", "nothing to read: list a log file or set journal = true"
        )
    for path in sources.files:
        if not os.path.isabs(path):
            raise ConfigError(name, "sources.files", f"{path!r} is not an absolute path")
        if os.path.isdir(path):
            raise ConfigError(name, "sources.files", f"{path} is a directory, not a log file")
        if os.path.exists(path) and not os.access(path, os.R_OK):
            raise ConfigError(name, "sources.files", f"{path}: permission denied")
    if sources.journal and shutil.which("journalctl") is None:
        raise ConfigError(name, "sources.journal", "journalctl is not installed (or not on PATH)")


def _something_to_read(config: Config) -> None:
    sources = config.sources
    if not sources.journal and not any(os.path.exists(path) for path in sources.files):
        raise NothingToRead(where(config), "sources.files", _nothing_to_read(config))


def _nothing_to_read(config: Config) -> str:
    """Why a daemon with `config` would read nothing, and what to change."""
    files = config.sources.files
    if len(files) == 1:
        missing = f"{files[0]} does not exist"
    else:
        missing = f"none of {', '.join(files)} exists"
    if config.path is None:  # the built-in defaults, on a host with no journalctl either
        return (
            f"{missing} and journalctl is not installed: the daemon would read nothing; "
            f"write {DEFAULT_CONFIG} naming the mail log in [sources] files"
        )
    return (
        f"{missing} and journal = false: the daemon would read nothing; no rsyslog? set "
        "journal = true in [sources], or name the mail log's path in files"
    )


def _enforce(config: Config) -> None:
    name = where(config)
    backend = config.enforce.backend
    if backend == "none":
        return
    programs, package = _PROGRAMS[backend]
    for program in programs:
        if shutil.which(program) is None:
            raise ConfigError(
                name,
                "enforce.backend",
                f"{backend} needs the {program} program, which is not installed "
                f"(Debian package {package})",
            )
    if os.geteuid() != 0:
        raise ConfigError(
            name,
            "enforce.backend",
            f"{backend} needs root (CAP_NET_ADMIN): run as root, "
            'or set backend = "none" for a dry run',
        )
    if backend == "postfix-map":
        _writable_place(name, "enforce.postfix_map", config.enforce.postfix_map)
        _our_table(name, config.enforce.postfix_map)


def _our_table(name: str, path: str) -> None:
    """The map file is rewritten whole: refuse a file that is not ours (a typo such as
    ``postfix_map = "/etc/postfix/main.cf"`` would replace Postfix's configuration);
    the same test as the backend's own (`written_by_us`)."""
    from mailwarden.enforce.interface import EnforceError
    from mailwarden.enforce.postfix_map import written_by_us

    try:
        ours = written_by_us(path)
    except EnforceError as exc:
        raise ConfigError(name, "enforce.postfix_map", str(exc)) from None
    if ours is False:
        raise ConfigError(
            name,
            "enforce.postfix_map",
            f"{path} is not a table mailwarden wrote (it would be overwritten): "
            "name a new file, or empty this one",
        )


STORE_SCHEMES = ("postgresql", "postgres")
"""The URL schemes of a store (`mailwarden.store.open_store`); any other ``…://`` is
refused, never taken for a SQLite file of that name."""


def store_place(config: Config) -> None:
    """Refuse a store path that names no store wherever the command runs (`ConfigError`,
    exit 2), in the same words for `run` and for `ban`, `unban` and `status`: a relative
    path (another store in each current directory), a folder on the way that is a
    file (``/srv/afile/state.db: /srv/afile is not a directory``), a folder where the
    file should be, a URL of another scheme than ``postgresql://`` (``sqlite:///…``,
    ``postgressql://…``: ``store.path: unknown scheme 'postgressql'``). A refusal shows a
    password the path holds (``host=db password=…``, which is no path) as ``***``."""
    path = config.store.path
    if "://" in path:
        scheme = path.split("://", 1)[0]
        if scheme not in STORE_SCHEMES:
            raise ConfigError(
                where(config),
                "store.path",
                f"unknown scheme {safe_location(scheme)!r} (a PostgreSQL store is named by a "
                "postgresql:// URL, a SQLite store by the absolute path of its file)",
            )
        return
    if not os.path.isabs(path):
        reason = f"{safe_location(path)!r} is not an absolute path"
        if "=" in path:  # `host=db dbname=mw`: libpq's other form
            reason += " (a PostgreSQL store is named by a postgresql:// URL)"
        raise ConfigError(where(config), "store.path", reason)
    from mailwarden.store.sqlite import not_a_folder

    blocked = not_a_folder(path)
    if blocked is not None:
        raise ConfigError(where(config), "store.path", blocked)
    if os.path.isdir(path):
        raise ConfigError(where(config), "store.path", f"{path} is not a file")


def _store(config: Config) -> None:
    store_place(config)
    path = config.store.path
    if "://" in path:
        return
    from mailwarden.store.sqlite import unreachable, unsafe_mode

    try:
        _writable_place(where(config), "store.path", path)
        problem = unsafe_mode(Path(path))
    except OSError as exc:  # a symlink loop, a folder we may not search
        raise ConfigError(where(config), "store.path", unreachable(path, exc)) from None
    if problem is not None:
        raise ConfigError(where(config), "store.path", problem)


def check_store(config: Config) -> str | None:
    """Read the store as the daemon will open it, creating and changing nothing; raise
    `ConfigError` (``FILE: store.path: reason``, exit 2) for a store the start refuses,
    and a `MailwardenError` (exit 1, the same line) for what a start tries again: a
    PostgreSQL server that cannot be reached, a database that is not there yet, a
    store that is busy; and when this host's temporary folder has no room for the
    private copy it reads after a kill -9. A note when the store does not exist yet (the
    daemon creates it), else None."""
    from mailwarden.store import probe_store
    from mailwarden.store.sqlite import NoScratchRoom

    try:
        exists = probe_store(config.store.path)
    except StoreUnusable as exc:  # a person must act: the start refuses it (exit 2)
        raise ConfigError(where(config), "store.path", str(exc)) from None
    except (NoScratchRoom, StoreError) as exc:  # this host, or for now: a start retries
        raise MailwardenError(f"{where(config)}: store.path: {exc}") from None
    if exists:
        return None
    shown = safe_location(config.store.path)
    if "://" in config.store.path:
        return f"store.path: {shown} has no mailwarden tables yet: the daemon creates them"
    return f"store.path: {shown} does not exist yet: the daemon creates it when it starts"


def running_daemon(config: Config) -> str | None:
    """For ``run --check`` of a store that exists: a note naming the daemon that holds
    it (this host's, in a shared store) now, whom a second ``run`` would be refused
    for; None when none does. Takes and creates nothing; a store it cannot read says
    nothing here (`check_store` judged it)."""
    from mailwarden.daemon.reading import StateKeys
    from mailwarden.daemon.status import holder_text
    from mailwarden.store import open_store

    keys = StateKeys.for_store(config.store)
    try:
        with open_store(config.store.path, read_only=True) as store:
            holder = store.claimed(keys.host)
            if holder is None:
                return None
            about = holder_text(store, config, holder)
    except StoreError:
        return None
    return (
        f"a daemon runs with this store now ({about}): a second `mailwarden run` "
        f"{'as ' + keys.host + ' ' if keys.host else ''}is refused until it stops"
    )


_PRIVATE_TMP = ("/tmp", "/var/tmp")  # noqa: S108 (named, never used to write)
"""The folders systemd's ``PrivateTmp=yes`` (set in contrib/systemd/mailwarden.service)
replaces with the daemon's own, emptied at each restart."""


def store_warnings(config: Config) -> list[str]:
    """What `run --check` warns of about the store without refusing it: a store under
    /tmp or /var/tmp is safe there (see `mailwarden.store.sqlite.unsafe_mode`), but
    under the shipped unit the daemon sees another /tmp than ``mailwarden ban`` does,
    and loses its bans at each restart."""
    path = config.store.path
    if "://" in path or not os.path.isabs(path):
        return []
    for shown in (os.path.abspath(path), os.path.realpath(path)):
        for folder in _PRIVATE_TMP:
            if shown.startswith(folder + "/"):
                return [
                    f"store.path: {path} is under {folder}: the shipped systemd unit "
                    f"(PrivateTmp=yes) gives the daemon a {folder} of its own, emptied at "
                    f"each restart, which `mailwarden ban` and `status` do not see; move it "
                    f"to {SERVICE_FOLDER}"
                ]
    return []


def source_warnings(config: Config) -> list[str]:
    """What ``run --check`` warns of about the followed files without refusing them: a
    path that holds something other than a regular file (a FIFO, a device such as
    /dev/null through a symlink, a socket). The daemon cannot follow it (it says so in
    its log, and tries again: a regular file may take its place), and judges the
    silence of the logs without it after `mailwarden.daemon.loop.SILENCE_HOLD`. Not
    refused: the other sources are read, and a configuration that ran stays running."""
    warnings = []
    for path in config.sources.files:
        try:
            mode = os.stat(path).st_mode  # not opened: a device may act on an open
        except OSError:
            continue  # missing, or unreadable: said elsewhere
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder is refused (`_sources`)
            continue
        warnings.append(
            f"sources.files: {path} is {_kind(mode)}, not a log file: the daemon cannot "
            "read it (it says so in its log and tries again), and judges the logs' "
            "silence without it after 10 minutes"
        )
    return warnings


def _kind(mode: int) -> str:
    for test, what in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def enforce_warnings(config: Config) -> list[str]:
    """What ``run --check`` warns of (and the daemon logs at its start) about where the
    bans go, without refusing it: a Postfix access map that no restriction list of
    Postfix names (`mailwarden.daemon.postfix_use`), whose bans would block nobody."""
    if config.enforce.backend != "postfix-map":
        return []
    from mailwarden.daemon.postfix_use import postfix_map_warnings

    return postfix_map_warnings(config.enforce.postfix_map)


def policy_warnings(config: Config) -> list[str]:
    """What ``run --check`` warns of (and the daemon logs at its start and reload)
    about the policy, without refusing it: an allow-list entry written with host bits
    set, read as the network holding it (`Config.allow_notes`), and one of prefix 0
    (``0.0.0.0/0``, ``::/0``), which allows every address of its family: nothing of it
    is banned; and one wider than the widest network a ban may cover (`WIDEST`,
    ``::/1``, ``2000::/3``) that holds addresses of the Internet (`_holds_public`),
    which allows a large part of it: surely a mistake (a mask left out, a prefix
    mistyped). One of private or link-local addresses only (``fc00::/7``,
    ``fe80::/10``) is no mistake: no client of the Internet comes from it."""
    from mailwarden.enforce.policy import WIDEST

    warnings = list(config.allow_notes)
    for network in config.policy.allow:
        widest = WIDEST[0 if network.version == 4 else 1]
        if network.prefixlen == 0:
            warnings.append(
                f"policy.allow: {network} is every IPv{network.version} address: no IPv"
                f"{network.version} client is ever banned"
            )
        elif network.prefixlen < widest and _holds_public(network):
            warnings.append(
                f"policy.allow: {network} is wider than /{widest}, the widest network "
                f"mailwarden bans: no client of {network} is ever banned"
            )
    return warnings


_NOT_PUBLIC_V4 = ipaddress.IPv4Network("224.0.0.0/3")
"""IPv4 multicast and reserved addresses (224.0.0.0/4, 240.0.0.0/4): the only block
of no Internet client wider than /8 (10.0.0.0/8 and loopback are /8)."""
_PUBLIC_V6 = ipaddress.IPv6Network("2000::/3")
"""IPv6 global unicast: every other block wider than /16 is unique local
(``fc00::/7``), link-local (``fe80::/10``), multicast, or not assigned."""


def _holds_public(network: IPNetwork) -> bool:
    """Whether `network` holds addresses an Internet client may have."""
    if isinstance(network, ipaddress.IPv4Network):
        return not network.subnet_of(_NOT_PUBLIC_V4)
    return network.overlaps(_PUBLIC_V6)


def _writable_place(name: str, key: str, path: str) -> None:
    """`path` is a file we can read and write, or one we can create."""
    target = Path(path)
    if target.exists():
        if not target.is_file():
            raise ConfigError(name, key, f"{path} is not a file")
        if not os.access(target, os.R_OK | os.W_OK):
            raise ConfigError(name, key, f"{path}: permission denied (read and write needed)")
        return
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(name, key, f"cannot create {path}: {folder} is not writable")


def _policy(config: Config) -> None:
    users = config.policy.users_file
    if users and not os.access(users, os.R_OK):
        reason = "does not exist" if not os.path.exists(users) else "permission denied"
        raise ConfigError(where(config), "policy.users_file", f"{users}: {reason}")


def _alerts(config: Config) -> None:
    name = where(config)
    command = config.alerts.command
    if command:
        program = command[0]
        found = program if "/" in program and os.access(program, os.X_OK) else shutil.which(program)
        if found is None or os.path.isdir(found):
            raise ConfigError(
                name, "alerts.command", f"{program}: no such program (or not executable)"
            )
        why = _unsafe(found)
        if why is not None:
            raise ConfigError(name, "alerts.command", f"refused: {why} (it would run as root)")
    url = config.alerts.url
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(name, "alerts.url", f"{url!r} is not an http:// or https:// URL")
