"""The daemon's log: one line per message on standard error.

Under systemd (standard error is the journal: ``JOURNAL_STREAM`` names it) each line
starts with its syslog priority (``<6>``), which journald reads and strips, and carries
no time of its own. Elsewhere each line starts with the local time, and warnings and
errors say so.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime

_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{record.getMessage()}"


class PlainFormatter(logging.Formatter):
    """``2026-11-30T09:02:26+00:00 warning: …``: the local time in RFC 3339 (its offset
    with a colon, as status and alerts write times)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created).astimezone()
        return moment.isoformat(timespec="seconds")

    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        return f"{self.formatTime(record)} {level}{record.getMessage()}"


def under_journald() -> bool:
    """Is standard error connected to the journal?"""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if under_journald() else PlainFormatter())
    logger = logging.getLogger("mailwarden")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
