"""store: bans, repeat offenders, source positions (SQLite by default, PostgreSQL for a
fleet). `interface` holds the `Store` contract; one module per backend."""

from __future__ import annotations

from mailwarden.store.interface import (
    BanChanges,
    BanRow,
    BanState,
    JSONValue,
    OwnerRow,
    Source,
    Store,
    StoreError,
)

__all__ = [
    "BanChanges",
    "BanRow",
    "BanState",
    "JSONValue",
    "OwnerRow",
    "Source",
    "Store",
    "StoreError",
    "open_store",
    "probe_store",
]


def open_store(url: str, *, read_only: bool = False) -> Store:
    """A store from a path (SQLite) or a ``postgresql://`` URL (needs the postgres extra).
    `read_only`: a SQLite store is read as it is, and never given its tables (see
    `SqliteStore`); PostgreSQL is opened as always (`probe_store` first: only an
    older schema is written to, brought up to date)."""
    if url.startswith(("postgresql://", "postgres://")):
        from mailwarden.store.postgres import PostgresStore

        return PostgresStore(url)
    _no_other_scheme(url)
    from mailwarden.store.sqlite import SqliteStore

    return SqliteStore(url, read_only=read_only)


def probe_store(url: str) -> bool:
    """Check the store `open_store` would open, creating and changing nothing: True when
    it exists, False when opening would create it. Raises what opening would raise."""
    if url.startswith(("postgresql://", "postgres://")):
        from mailwarden.store.postgres import probe as probe_postgres

        return probe_postgres(url)
    _no_other_scheme(url)
    from mailwarden.store.sqlite import probe as probe_sqlite

    return probe_sqlite(url)


def _no_other_scheme(url: str) -> None:
    """A URL of another scheme (``sqlite:///…``, ``postgressql://…``) is no SQLite
    file name: refused (`StoreSettingError`), never created relative to the current
    folder."""
    if "://" in url:
        from mailwarden.errors import StoreSettingError
        from mailwarden.store.location import safe_location

        scheme = safe_location(url.split("://", 1)[0])
        raise StoreSettingError(
            f"unknown scheme {scheme!r} (a PostgreSQL store is named by a postgresql:// "
            "URL, a SQLite store by the absolute path of its file)"
        )
