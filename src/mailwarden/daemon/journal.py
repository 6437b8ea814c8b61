"""Following the systemd journal without blocking the main loop.

``journalctl -o json --follow`` runs as a child with an argument list (see
`mailwarden.sources.journal.journal_command`); its output pipe is non-blocking and read
whenever the loop polls, so the loop never waits on it. Each chunk carries the cursor
of its last entry: the daemon stores it and resumes with ``--after-cursor`` after a
restart. If journalctl ends (it should not), it is started again from the last cursor
after `RESTART_DELAY` seconds, and the log says so.

The match is the mail facility (``SYSLOG_FACILITY=2``): Postfix and Dovecot both log
there on Debian, whichever unit runs them.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Sequence

from mailwarden.errors import InputError
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.interface import Chunk, ReadStats
from mailwarden.sources.journal import SOURCE, journal_command, last_cursor

LOG = logging.getLogger("mailwarden.journal")

MATCHES = ("SYSLOG_FACILITY=2",)
RESTART_DELAY = 5.0
_READ = 1 << 20


class JournalFollower:
    """Entries appended to the journal, as chunks of JSON lines, with their cursor."""

    def __init__(
        self,
        cursor: str | None,
        stats: ReadStats,
        *,
        matches: Sequence[str] = MATCHES,
        journalctl: str = "journalctl",
    ) -> None:
        self.cursor = cursor
        self.stats = stats
        self.matches = tuple(matches)
        self.journalctl = journalctl
        self._proc: subprocess.Popen[bytes] | None = None
        self._splitter = LineSplitter(SOURCE, stats)
        self._restart_at = 0.0

    def start(self) -> None:
        """Start journalctl; `InputError` when it cannot be run at all."""
        argv = journal_command(
            follow=True,
            after_cursor=self.cursor,
            matches=self.matches,
            journalctl=self.journalctl,
        )
        try:
            # Its complaints (no permission to read the system journal) go to our stderr.
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        except OSError as exc:
            raise InputError(f"{self.journalctl}: cannot run: {exc.strerror}") from None
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdout.fileno(), False)
        self._splitter = LineSplitter(SOURCE, self.stats)
        self.stats.files += 1

    def poll(self) -> list[Chunk]:
        """What journalctl wrote since the last call (never blocks)."""
        proc = self._proc
        if proc is None:
            if self._restart_at and time.monotonic() >= self._restart_at:
                self._restart_at = 0.0
                try:
                    self.start()
                except InputError as exc:
                    LOG.warning("journal: %s; trying again in %.0f s", exc, RESTART_DELAY)
                    self._restart_at = time.monotonic() + RESTART_DELAY
            return []
        assert proc.stdout is not None
        out: list[Chunk] = []
        while True:
            try:
                data = os.read(proc.stdout.fileno(), _READ)
            except BlockingIOError:
                break
            if not data:
                self._ended(proc)
                break
            self.stats.bytes += len(data)
            chunk = self._splitter.feed(data)
            if chunk is not None:
                out.append(self._with_cursor(chunk))
        return out

    def _with_cursor(self, chunk: Chunk) -> Chunk:
        cursor = last_cursor(chunk.data)
        if cursor is not None:
            self.cursor = cursor
        return chunk._replace(cursor=cursor)

    def _ended(self, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        self._close_proc()
        LOG.warning(
            "journal: journalctl ended (exit %s); restarting it from the last cursor in %.0f s",
            code,
            RESTART_DELAY,
        )
        self._restart_at = time.monotonic() + RESTART_DELAY

    def _close_proc(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def close(self) -> None:
        self._restart_at = 0.0
        self._close_proc()
