"""Output formats: a stage of their own (text with rich, JSON), chosen by a flag.

- :mod:`.events`: one line or JSON object per event (``mailwarden events``).
- :mod:`.json`: the ``analyze --format json`` object (the contract in ARCHITECTURE.md).
- :mod:`.text`: the ``analyze`` report for a person: headline, then tables (rich).

Both analyze formats take the detector's :class:`~mailwarden.detect.Analysis` and a
:class:`ReadSummary` of what was read. Neither imports the audit stage: the command passes
``hint`` (``mailwarden.audit.hint_for``) to name the ``mailwarden audit`` check behind a
server finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

AuditHint = Callable[[str], str]
"""Finding kind -> the ``mailwarden audit …`` command line that checks its cause."""

AUDIT_KINDS = frozenset(
    {"credential_exposed", "weak_tls", "soft_bounce", "auth_on_port_25", "outdated_server"}
)
"""Finding kinds that come from the server's configuration: the reports point to audit."""


@dataclass(frozen=True)
class ReadSummary:
    """What the reading stages saw: for the report's footer and the JSON ``stats``."""

    inputs: tuple[str, ...] = ()
    """What was read, as named: paths, ``-``, ``journal``."""
    files: int = 0
    bytes: int = 0
    """Bytes read after decompression."""
    lines: int = 0
    """Physical lines read, every one counted."""
    entries: int = 0
    """Log entries framed (lines that passed the prefilter; pasted lines give several)."""
    recognised: int = 0
    """Physical lines whose entries gave at least one event (JSON ``lines_recognised``).
    ``analyze`` frames and parses only the lines its prefilter keeps, those that can
    change the analysis (:mod:`mailwarden.scan`): a ``connect from``, a delivery or a
    postscreen PASS that ``mailwarden events`` recognises is not counted, so this is at
    most, and mostly below, what ``events`` says of the same input. (Parsing every line
    to count them would undo the prefilter's speed.)"""
    events: int = 0
    seconds: float = 0.0
    skipped: int = 0
    """Lines that gave no entry: empty, binary junk, too long (JSON ``lines_skipped``),
    as ``events`` counts them; ``analyze`` counts the binary lines its prefilter drops
    too (those with a NUL: :func:`mailwarden.scan.binary_dropped`), but not the empty
    ones it drops."""
    junk: int = 0
    """Of those, the binary and the too long ones (the report says them; empty lines are
    no news)."""
    mail_seen: bool = True
    """An input's first lines held a mail server's entry (``ReadStats.mail_seen``), or
    something was recognised: False makes the headline ask whether this is the right
    file rather than say "No attack found"."""
    problems: tuple[str, ...] = ()
    """One line each: a damaged archive, a journal that stopped early, …"""
    unreadable: tuple[str, ...] = ()
    """The problem line of each input that gave not a line (``ReadStats.failed_why``): a
    zstd file, damage from its start, a read error."""
    damaged: int = 0
    """Archives read up to damage found after some of their lines
    (``ReadStats.damaged``)."""
    disorder: tuple[str, ...] = ()
    """One line per input whose entries go back in time: the analysis may be wrong."""
    cautions: tuple[str, ...] = ()
    """Lines said under the headline too (and in the JSON's notes, after ``disorder``):
    an all-clear that covers less than it seems (nothing that could matter lay inside
    --since/--until)."""
    duplicates: int = 0
    """Lines also given by another input (mail.log and syslog), counted once."""
    before_since: tuple[str, ...] = ()
    """Files not opened: last written more than a day before --since's look-back (the
    ``stale_window`` before it)."""
    looked_back: tuple[str, ...] = ()
    """Files last written more than a day before --since, read only for the owners'
    logins of the ``stale_window`` before it (nothing of them is reported)."""
    after_until: tuple[str, ...] = ()
    """Files of a rotated set not opened: an older one ends more than a day past
    --until."""

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0

    def stats(self) -> dict[str, int | float | str]:
        """The reading counters of the JSON ``stats`` object."""
        return {
            "lines_read": self.lines,
            "lines_recognised": self.recognised,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "lines_per_second": round(self.lines_per_second),
            "files": self.files,
            "bytes": self.bytes,
            "entries": self.entries,
            "lines_skipped": self.skipped,
            "lines_duplicate": self.duplicates,
            "files_before_since": len(self.before_since),
            "files_looked_back": len(self.looked_back),
            "files_after_until": len(self.after_until),
            "problems": len(self.problems),
        }


def json_output(stream: IO[str]) -> None:
    """Make ``stream`` write UTF-8, the encoding of JSON (RFC 8259), whatever the locale
    says: under ``LANG=en_US.ISO-8859-1`` a username ``été`` came out in Latin-1 bytes,
    and under ``PYTHONIOENCODING=ascii`` as ``\\xe9``, an escape JSON does not have.
    What UTF-8 cannot hold (a file name's undecodable bytes, kept as lone surrogates)
    is written as ``\\udcxx``, which JSON reads back."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8", errors="backslashreplace")


__all__ = ["AUDIT_KINDS", "AuditHint", "ReadSummary", "json_output"]
