"""Error types: one per stage, so the command line can print one clear line per kind.

A `MailwardenError` carries the exit status the command should end with: 1 for bad
input (an unreadable file, a corrupt archive given alone), 2 for bad usage or a bad
configuration (the daemon refuses to start half-configured), 3 is reserved for `audit`
findings of high severity and is not an error.
"""

from __future__ import annotations


class MailwardenError(Exception):
    """Base of every error mailwarden reports to a person."""

    exit_code = 1


class InputError(MailwardenError):
    """A log source could not be read at all."""


class ConfigError(MailwardenError):
    """The configuration is wrong: names the file, the key and the reason."""

    exit_code = 2

    def __init__(self, path: str, key: str | None, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {reason}")


class EnforceError(MailwardenError):
    """The firewall (or other enforcer) refused a change or is missing."""


class StoreError(MailwardenError):
    """The state store could not be opened or written."""


class StoreUnusable(StoreError):
    """The store cannot be used as it is: a folder every user may write, a file that is
    not a mailwarden store (or is damaged as a whole), one a newer mailwarden wrote, a
    missing driver. Waiting does not help, a person must act: the daemon refuses to
    start on it with exit status 2 (``FILE: store.path: reason``), which systemd does not
    restart, while a store that is busy or unreachable (a plain `StoreError`) exits 1
    and is tried again."""


class StoreSettingError(StoreUnusable):
    """The store's path or URL itself is wrong: a PostgreSQL URL libpq cannot read, or a
    setting in it that libpq or psycopg refuses before reaching any server (an unknown
    ``sslmode``, a port or ``connect_timeout`` that is no number). A configuration
    error for every command, ``mailwarden ban`` and ``status`` too: exit 2, one line
    ``FILE: store.path: reason``."""


class AuditError(MailwardenError):
    """The configuration to audit could not be read."""
