"""Read one configuration file as text, or say in one line why it is not one.

A configuration that cannot be read is an `AuditError` (exit status 1), never an empty
configuration that "has no problems": a file that cannot be opened, that is not a
regular file (a FIFO would block the audit forever), or that holds binary data. Text
that is not UTF-8 (a Latin-1 comment) is read with U+FFFD in place of the bad bytes.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from mailwarden.errors import AuditError
from mailwarden.locale import _
from mailwarden.locale.system import os_reason
from mailwarden.parsers.sasl import escape_unsafe

_SAMPLE = 1 << 20
_BAD = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
_BINARY_SHARE = 0.25
"""More bad characters than this (NUL, other controls, undecodable bytes) is binary:
Latin-1 comments stay far below it, random bytes and UTF-16 far above."""


def shown_path(path: str | Path) -> str:
    """A path as an error message may print it: an included file's name comes from the
    configuration (a glob's match), and may hold terminal escapes."""
    return escape_unsafe(str(path))


def read_config_text(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise AuditError(
            _("{path}: cannot read: {reason}").format(
                path=shown_path(path), reason=os_reason(exc) or exc
            )
        ) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AuditError(
                _("{path}: cannot read: not a regular file").format(path=shown_path(path))
            )
        with os.fdopen(fd, "rb") as file:
            fd = -1
            data = file.read()
    except OSError as exc:
        raise AuditError(
            _("{path}: cannot read: {reason}").format(
                path=shown_path(path), reason=os_reason(exc) or exc
            )
        ) from exc
    finally:
        if fd >= 0:
            os.close(fd)
    text = data.decode("utf-8", errors="replace")
    sample = text[:_SAMPLE]
    if sample and len(_BAD.findall(sample)) > _BINARY_SHARE * len(sample):
        raise AuditError(
            _("{path}: cannot read: binary data, not a configuration file").format(
                path=shown_path(path)
            )
        )
    return text


def config_lines(text: str) -> list[str]:
    """The lines of a configuration file as Postfix, Dovecot and `sed` count them: split
    at LF only, a CR before it dropped. (`str.splitlines` also breaks at a form feed,
    a vertical tab, U+0085 or U+2028 inside a value, which shifted the line numbers
    of the evidence and of the `sed` fixes after it: a fix then edited another line.)"""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def content_lines(text: str) -> int:
    """Lines that are neither blank nor a comment."""
    stripped = (line.strip() for line in text.splitlines())
    return sum(1 for line in stripped if line and not line.startswith("#"))


def same_path(path: str | Path, other: str | Path) -> bool:
    """Whether the two name the same file or folder (False when either is missing)."""
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False
