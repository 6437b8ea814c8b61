"""A store's path or URL as messages and ``status`` may show it: without a secret.

A PostgreSQL URL can carry a password in three places libpq reads: the user info
(``postgresql://mw:S3cret@db/mw``), and the query parameters ``password`` and
``sslpassword`` (``?password=S3cret``; libpq takes every connection keyword there,
its name and value percent-decoded). A keyword/value connection string (``host=db
password=S3cret``) is no store path mailwarden accepts, but a refusal quotes what it was
given. Each such value is shown as ``***``; the rest stays as written, so the store can
still be told apart (host, database, other parameters).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
SECRET_KEYS = frozenset({"password", "sslpassword"})
"""The connection keywords whose value is a secret (libpq's ``passfile``, ``sslkey``,
``sslcert`` are file names, not secrets)."""

_KEYWORD_SECRET = re.compile(
    r"(?<!\S)((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|(?:[^\s\\]|\\.)*)", re.IGNORECASE
)
"""``password = value`` in a keyword/value string: quoted (``'a b'``, ``\\'`` inside) or
up to the next space."""


def safe_location(path: str) -> str:
    """A store path or URL as it may be shown: each secret in it replaced by ``***``
    (``postgresql://mw:***@db/mw``, ``postgresql://mw@db/mw?password=***``), since
    status output goes to monitoring and error lines to logs."""
    if "://" not in path:
        return _KEYWORD_SECRET.sub(lambda found: found.group(1) + MASK, path)
    scheme, rest = path.split("://", 1)
    user_info, at, rest = _user_info(rest)
    if ":" in user_info:
        user_info = user_info.split(":", 1)[0] + ":" + MASK
    return f"{scheme}://{_query_masked(user_info)}{at}{_query_masked(rest)}"


def hide_secrets(text: str, path: str) -> str:
    """`text` (an error of the driver, which may quote the URL or a part of it, such as
    ``invalid percent-encoded token: "S3cret%zz"``) without the secrets of `path`.

    A secret is masked where it stands whole, not inside a word: a one-letter password
    ``p`` left ``port 1`` and ``postgresql://`` as ``***ort 1``, ``***ostgresql://``."""
    if path:
        text = text.replace(path, safe_location(path))
    for secret in sorted(_secrets(path), key=len, reverse=True):
        before = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
        after = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        text = re.sub(before + re.escape(secret) + after, MASK, text)
    return text


def _user_info(rest: str) -> tuple[str, str, str]:
    """``user:password``, ``@`` and what follows, as libpq splits the part after
    ``://`` (the user info ends at an ``@`` before the first ``/``); ("", "", rest)
    without one. The last such ``@`` is taken: a password with an ``@`` not
    percent-encoded is hidden whole."""
    authority = rest.split("/", 1)[0]
    user_info, at, _ = authority.rpartition("@")
    if not at:
        return "", "", rest
    return user_info, at, rest[len(user_info) + 1 :]


def _query_masked(text: str) -> str:
    """`text` with the value of each secret parameter after its ``?`` masked. Applied
    to the user info too: ``postgresql://db?password=a@b`` is a user name to libpq,
    but what it was meant to be is plain."""
    base, mark, query = text.partition("?")
    if not mark:
        return text
    return base + mark + "&".join(_masked(piece) for piece in query.split("&"))


def _masked(piece: str) -> str:
    key, equals, _ = piece.partition("=")
    if equals and _secret_key(key):
        return f"{key}={MASK}"
    return piece


def _secret_key(key: str) -> bool:
    return unquote(key).strip().lower() in SECRET_KEYS


def _secrets(path: str) -> set[str]:
    """Each secret value of `path` as written and as decoded (non-empty)."""
    values: list[str] = []
    if "://" in path:
        user_info, _, rest = _user_info(path.split("://", 1)[1])
        if ":" in user_info:
            values.append(user_info.split(":", 1)[1])
        for part in (user_info, rest):
            for piece in part.partition("?")[2].split("&"):
                key, equals, value = piece.partition("=")
                if equals and _secret_key(key):
                    values.append(value)
    else:
        for found in _KEYWORD_SECRET.finditer(path):
            value = found.group(2)
            values.append(value)
            if value.startswith("'"):
                values.append(re.sub(r"\\(.)", r"\1", value.strip("'")))
    found_values = {each for value in values for each in (value, unquote(value))}
    return {value for value in found_values if value}
