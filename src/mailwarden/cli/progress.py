"""A progress bar on standard error while a long read runs (files, bytes, lines/s).

Shown only on a terminal, for inputs over `THRESHOLD` bytes (standard input and the
journal: once that much has been read), and never with ``--quiet``. It disappears when
the read ends, so the report starts on a clean screen.

Compressed files: the bar counts bytes on disk, but a reader only sees decompressed
bytes; within a compressed file progress is estimated with a typical ratio for logs and
made exact when the file ends.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from mailwarden.locale import _
from mailwarden.sources.files import STDIN

THRESHOLD = 4 << 20
"""Inputs smaller than this are read before a bar would be worth drawing."""
LOG_COMPRESSION = 10.0
"""Typical decompressed/compressed size of a mail log (gzip, bzip2, xz are 8-15x)."""
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _compressed(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except OSError:
        return False
    return head.startswith(_MAGIC)


class BarProgress:
    """Implements :class:`mailwarden.scan.Progress` with a rich bar on ``stream``."""

    def __init__(
        self, paths: Sequence[str], stream: IO[str], journal: bool = False, label: str = ""
    ) -> None:
        self._label = label
        """Said before the file's name (what this reading is for, when not the report)."""
        self._sizes: dict[str, int] = {}
        self._packed: set[str] = set()
        for path in paths:
            if path == STDIN:
                continue
            try:
                self._sizes[path] = os.stat(path).st_size
            except OSError:
                continue
            if _compressed(path):
                self._packed.add(path)
        self._unknown = journal or STDIN in paths
        self._files = len(paths) + (1 if journal else 0)
        self._total = sum(self._sizes.values())
        self._stream = stream
        self._done_files = 0
        self._done_bytes = 0.0  # finished files, on disk
        self._file_bytes = 0.0  # the current file, estimated on disk
        self._read = 0  # decompressed bytes read so far
        self._lines = 0
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    # -- Progress protocol ----------------------------------------------------------------

    def start(self, source: str) -> None:
        self._file_bytes = 0.0
        self._update(source)

    def advance(self, source: str, size: int, lines: int) -> None:
        self._read += size
        self._lines += lines
        limit = self._sizes.get(source)
        step = size / LOG_COMPRESSION if source in self._packed else float(size)
        self._file_bytes += step
        if limit is not None:
            self._file_bytes = min(self._file_bytes, limit * 0.99)
        self._update(source)

    def finish(self, source: str) -> None:
        self._done_files += 1
        self._done_bytes += self._sizes.get(source, self._file_bytes)
        self._file_bytes = 0.0
        self._update(source)

    # -- drawing ----------------------------------------------------------------------

    def _update(self, source: str) -> None:
        if self._bar is None:
            if self._total < THRESHOLD and self._read < THRESHOLD:
                return
            self._open()
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = self._lines / elapsed
        name = os.path.basename(source) if source not in (STDIN, "journal") else source
        if not name.isprintable():  # a file name is anybody's text: never a terminal command
            name = name.encode("unicode_escape", "backslashreplace").decode("ascii")
        self._bar.update(
            self._task,
            completed=self._done_bytes + self._file_bytes,
            description=(
                f"{self._label}{name} ({min(self._done_files + 1, self._files)}/{self._files})"
            ),
            lines=_("{size} MB, {lines} lines, {rate} lines/s").format(
                size=f"{self._read / 1e6:,.0f}", lines=f"{self._lines:,}", rate=f"{rate:,.0f}"
            ),
        )

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self._stream)
        self._bar = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=None if not self._unknown else 20),
            TaskProgressColumn(),
            TextColumn("{task.fields[lines]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            refresh_per_second=4,
        )
        self._bar.start()
        total = None if self._unknown else float(self._total)
        self._task = self._bar.add_task("reading", total=total, lines="")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_for(
    paths: Sequence[str],
    journal: bool,
    quiet: bool,
    stream: IO[str] | None = None,
    label: str = "",
) -> BarProgress | None:
    """A bar when one is wanted: not quiet, and standard error is a terminal."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return None
    return BarProgress(paths, stream, journal, label)


__all__ = ["THRESHOLD", "BarProgress", "progress_for"]
