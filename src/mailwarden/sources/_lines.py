"""Cutting a byte stream into `Chunk`s of whole lines, shared by every source.

The splitter keeps only the unfinished last line between feeds, and drops a line as
soon as it grows past `MAX_LINE` (counting it), so memory stays bounded by one read
plus one line however long the input's lines are. Lines that fit entirely inside one
read are passed on whatever their length: framing skips and counts the over-long ones.

A file whose lines end in a bare carriage return (classic Mac OS text, some
clipboards and Windows tools) would otherwise be one long line, and everything in it
lost. With ``bare_cr`` (the files `analyze`, `explain` and `events` read; never the
daemon's followed logs, written by syslog, Postfix or Dovecot, which escape control
characters), a source whose first `MAX_LINE` + 1 bytes hold no ``\n`` at all but a
``\r`` is read with every ``\r`` as a line break. A single ``\n`` that early keeps the
usual reading, so a ``\r`` inside a line of a log (a client's text that a logger did not
escape) can never cut a forged entry out of it: that would take a first line longer
than any line a log may hold. The bytes keep their length, so offsets stay the file's.
"""

from __future__ import annotations

from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats


class LineSplitter:
    """Turns consecutive blocks of one source into Chunks; tracks line and offset."""

    def __init__(
        self,
        source: str,
        stats: ReadStats,
        *,
        line: int = 1,
        offset: int = 0,
        max_line: int = MAX_LINE,
        bare_cr: bool = False,
    ) -> None:
        self.source = source
        self.stats = stats
        self.line = line
        """Number of the next line that has not been emitted or skipped."""
        self.offset = offset
        """Byte offset of the first line not yet emitted or skipped: everything before
        it is done with (a position to resume from)."""
        self._max_line = max_line
        self._pending = b""
        self._skipping = False
        self._skipped = 0
        self._padding = 0
        """NUL bytes of the current line dropped as padding (below): part of the line's
        length for `skipping`."""
        self._bare_cr: bool | None = None if bare_cr else False
        """The source's lines end in a bare ``\r`` (None: not known yet)."""

    @property
    def read_to(self) -> int:
        """Byte offset up to which the source has been fed (done + held back)."""
        return self.offset + len(self._pending) + self._skipped

    @property
    def skipping(self) -> int:
        """Bytes of the over-long line being skipped so far (0: none), NUL padding
        dropped from it included: a file of NUL bytes only is one line that never ends."""
        return self._skipped + self._padding

    def abandon(self) -> None:
        """The source is let go of inside a line longer than `MAX_LINE` (`skipping`):
        that line is counted as over-long once, NUL padding only as it may be."""
        if self._padding and not self._skipping:
            self.stats.too_long += 1
            self.stats.lines += 1
        self._padding = 0

    def feed(self, data: bytes) -> Chunk | None:
        """Take the next block; return the whole lines completed by it, if any."""
        if self._bare_cr is None:
            self._bare_cr = self._line_ending(data)
        if self._bare_cr:
            data = data.replace(b"\r", b"\n")
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                self._skipped += len(data)
                return None
            self.offset += self._skipped + newline + 1
            self.line += 1
            self._skipping = False
            self._skipped = 0
            self._padding = 0
            data = data[newline + 1 :]
        buf = self._pending + data if self._pending else data
        last = buf.rfind(b"\n")
        chunk = None
        if last >= 0:
            whole = buf[: last + 1]
            chunk = Chunk(self.source, whole, self.line, self.offset)
            self.line += whole.count(b"\n")
            self.offset += last + 1
            self._padding = 0
            buf = buf[last + 1 :]
        if len(buf) > self._max_line:
            nul = buf.rfind(b"\0")
            if nul >= 0 and len(buf) - nul - 1 <= self._max_line:
                # NUL padding (a crash's hole in a log) before what may be an entry: all
                # but the last NUL are dropped; framing takes the line as after shorter
                # padding (the entry counts).
                self.offset += nul
                self._padding += nul
                buf = buf[nul:]
        if len(buf) > self._max_line:
            self.stats.too_long += 1
            self.stats.lines += 1
            self._skipping = True
            self._skipped = len(buf)
            buf = b""
        self._pending = buf
        return chunk

    def _line_ending(self, data: bytes) -> bool | None:
        """Whether the source's lines end in a bare ``\r``: no ``\n`` in its first
        ``max_line`` + 1 bytes, and a ``\r`` there (None: not known yet). Called while
        undecided, before ``data`` joins the pending text."""
        seen = self._pending + data
        if b"\n" in seen:
            return False
        if len(seen) <= self._max_line:
            return None
        if b"\r" not in seen:
            return False
        self._pending = self._pending.replace(b"\r", b"\n")
        return True

    def finish(self) -> Chunk | None:
        """The source ended: the last line, when it has no newline."""
        tail, self._pending = self._pending, b""
        if self._bare_cr is None and b"\r" in tail.rstrip(b"\r"):
            # A short source that ended without any "\n": its "\r" are line ends.
            tail = tail.replace(b"\r", b"\n")
            last = tail.rfind(b"\n")
            chunk = Chunk(self.source, tail, self.line, self.offset)
            self.line += tail.count(b"\n") + (last + 1 < len(tail))
            self.offset += len(tail)
            return chunk
        if self._skipping:
            self.offset += self._skipped
            self.line += 1
            self._skipping = False
            self._skipped = 0
            return None
        if not tail:
            return None
        chunk = Chunk(self.source, tail, self.line, self.offset)
        self.line += 1
        self.offset += len(tail)
        return chunk

    def drop_pending(self) -> None:
        """Forget the unfinished line (the source was damaged there)."""
        self._pending = b""
        self._skipping = False
        self._skipped = 0
