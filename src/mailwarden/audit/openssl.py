"""Which OpenSSL this machine has, for an audit of its own Postfix configuration.

The cipher grades depend on the library: OpenSSL before 1.1.0 counts RC4 as `MEDIUM`,
later ones have no RC4 at all (tls.py). Postfix links the system's libssl, which
`openssl version` names (its `Library:` part, when it differs from the program's own
build); without the openssl command, Python's ssl module says which OpenSSL it was
built with, usually the same system library, and the report says it was read there.
A configuration copied from another server says nothing about that server's library:
`--openssl-version` names it, or it stays unknown.
"""

from __future__ import annotations

import re
import ssl

from mailwarden.audit.tls import UNKNOWN_LIBRARY, Library
from mailwarden.audit.tools import ToolFailed, find_program, run

_VERSION = re.compile(r"OpenSSL\s+(([0-9]+)\.([0-9]+)\.([0-9]+)[a-z]*)")
_LIBRARY = re.compile(r"Library:\s*(OpenSSL\s+[0-9][^\s)]*)")


def parse_openssl_version(text: str) -> tuple[tuple[int, ...], str] | None:
    """'OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 ...)' -> ((3, 0, 19),
    '3.0.19'); the library's version when the line names one. LibreSSL, BoringSSL or
    anything else: None (their RC4 is not OpenSSL's)."""
    library = _LIBRARY.search(text)
    match = _VERSION.match((library.group(1) if library else text).strip())
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.group(2, 3, 4))
    return (major, minor, patch), match.group(1)


def local_library() -> Library:
    """This machine's OpenSSL: `openssl version`, else Python's ssl module."""
    program = find_program("openssl")
    if program is not None:
        try:
            found = parse_openssl_version(run([program, "version"], timeout=10.0).stdout)
        except ToolFailed:
            found = None
        if found is not None:
            return Library(found[0], found[1], "openssl")
    found = parse_openssl_version(ssl.OPENSSL_VERSION)
    if found is not None:
        return Library(found[0], found[1], "python")
    return UNKNOWN_LIBRARY
