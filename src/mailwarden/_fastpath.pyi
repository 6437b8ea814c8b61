"""The analyzer's fast path in C (_fastpath.c); where it is not built, the Python it
replaces runs (mailwarden.scan, mailwarden.framing)."""

from collections.abc import Callable
from datetime import datetime

from mailwarden.model import Record

def select(
    data: bytes, groups: tuple[tuple[bytes, ...], ...], /
) -> tuple[bytes, bool, list[int], list[int], list[int]]:
    """(starts, plain, kept, check, chat) of a chunk's lines; ``groups`` are the needles
    (always, maybe, tls, weak, later, chat)."""

def frame(
    data: bytes,
    starts: bytes,
    kept: list[int],
    position: int,
    first_line: int,
    base: int,
    source: str,
    record: type[Record],
    cache: dict[str, datetime | None],
    time_of: Callable[[str, str | None], datetime | None],
    iso_time: Callable[[str, str | None, str | None], datetime | None],
    split: bool,
    /,
) -> tuple[list[Record], int]:
    """The records of kept[position:] of a plain chunk, up to the first line without a
    classic syslog or RFC 3339 header, and how many kept lines from there on C leaves to
    Python (mailwarden.framing.Framer.frame_plain_lines)."""
