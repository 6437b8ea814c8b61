"""Cutting a byte stream into `Chunk`s of whole lines, shared by every source.

The splitter keeps only the unfinished last line between feeds, and drops a line as
soon as it grows past `MAX_LINE` (counting it), so memory stays bounded by one read
plus one line however long the input's lines are. Lines that fit entirely inside one
read are passed on whatever their length: framing skips and counts the over-long ones.

A source whose lines end in a bare carriage return (classic Mac OS text, some
clipboards and Windows tools) would otherwise be one long line, and everything in it
lost. The first line ending decides: when it is a ``\r`` not followed by ``\n``, every
``\r`` of the source is read as a line break. The bytes keep their length, so offsets
stay those of the file. A log file written by syslog, Postfix or Dovecot never holds a
raw ``\r`` inside a line (they escape control characters), and a CRLF file is read as
before (framing drops the ``\r``).
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
        self._bare_cr: bool | None = None
        """The source's lines end in a bare ``\r`` (None: no line ending seen yet)."""

    @property
    def read_to(self) -> int:
        """Byte offset up to which the source has been fed (done + held back)."""
        return self.offset + len(self._pending) + self._skipped

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
            data = data[newline + 1 :]
        buf = self._pending + data if self._pending else data
        last = buf.rfind(b"\n")
        chunk = None
        if last >= 0:
            whole = buf[: last + 1]
            chunk = Chunk(self.source, whole, self.line, self.offset)
            self.line += whole.count(b"\n")
            self.offset += last + 1
            buf = buf[last + 1 :]
        if len(buf) > self._max_line:
            self.stats.too_long += 1
            self.stats.lines += 1
            self._skipping = True
            self._skipped = len(buf)
            buf = b""
        self._pending = buf
        return chunk

    def _line_ending(self, data: bytes) -> bool | None:
        """Whether the first line ending in the source so far is a bare ``\r`` (None:
        not known yet). Called while undecided, before ``data`` joins the pending text."""
        seen = self._pending + data
        newline, carriage = seen.find(b"\n"), seen.find(b"\r")
        if carriage < 0 or 0 <= newline < carriage:
            return False if newline >= 0 else None
        if carriage + 1 == len(seen):
            return None  # "\r" last: a "\n" may follow in the next block
        if seen[carriage + 1] == 0x0A:
            return False
        self._pending = self._pending.replace(b"\r", b"\n")
        return True

    def finish(self) -> Chunk | None:
        """The source ended: the last line, when it has no newline."""
        tail, self._pending = self._pending, b""
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
