"""Numbers written in a configuration, read the way Postfix and Dovecot read them.

Every number the audit takes from configuration text goes through `config_int`: ASCII
digits only (Python's `int` also takes "²" and "١٠", the servers do not), and no more
digits than a 64-bit number holds. Anything else is not a number (None): the caller
treats it as an invalid value, and Python's limit on converting long digit strings
(4300 digits, a ValueError) is never reached.
"""

from __future__ import annotations

import re

LONGEST = 18
"""Significant digits at most: every such number fits in a signed 64-bit integer."""

_DIGITS = re.compile(r"[0-9]+")


def config_int(text: str) -> int | None:
    """'42' -> 42, '007' -> 7; None for a sign, a space inside, a non-ASCII digit, or a
    number too long for any setting."""
    if not _DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0")
    if len(significant) > LONGEST:
        return None
    return int(significant or "0")


def shown(text: str, limit: int = 24) -> str:
    """A value as a message shows it: a very long one is cut, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 4]}… ({len(text)} characters)"
