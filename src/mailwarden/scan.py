"""The analyzer's fast path: every line of a log archive into one detector, cheaply.

    scan(streams, options, feed, counts, progress)    lines -> records -> events -> feed

Most lines of a mail log say nothing about password guessing (deliveries, qmgr, cleanup,
lmtp), and many that the parsers understand cannot change what the detector concludes
(a TLS handshake with a strong cipher, the end of a delivery session, a postscreen PASS).
Each chunk is decoded once and cut into lines; only the lines that can change the
analysis are framed, parsed and fed to the detector, in two steps:

- needles (:data:`ALWAYS_NEEDLES`, :data:`MAYBE_NEEDLES`): a line with none of them
  gives no event the detector reads; a line with only MAYBE needles is looked at closer
  (a TLS line must name something weak, a chat line must be chat);
- :class:`Relevance`, on the framed records of MAYBE lines and on the events, with a
  little state (the smtpd processes with a kept line): a ``disconnect from`` without
  AUTH failures that ends no session the detector opened is not fed, nor is a lost
  connection outside one.

The contract (tests/analyze/test_relevance.py): the analysis is the one the full
pipeline gives, all of it but the count of events fed. The parsers' own prefilter
(:data:`mailwarden.parsers.NEEDLES`, :func:`records_of_chunk`) stays for other callers.

Decisions:
- The kept lines are framed where they are (:meth:`Framer.frame_lines`, with their real
  line numbers and byte offsets): no joining and framing again.
- Where it is built (setup.py, with the mypyc modules), the needles are looked for in C
  (:mod:`mailwarden._fastpath`, ``select``), in the chunk's bytes: only the kept lines
  are decoded, and in a plain chunk the classic syslog and RFC 3339 ones are framed in
  C as well (:meth:`Framer.frame_plain_lines`). Measured on the benchmark's million
  lines: reading, the prefilter and framing take 0.95 s of CPU instead of 2.25 s (1.15 s
  instead of 2.58 s with RFC 3339 stamps). The Python path stays,
  runs where C is not built, and is the reference the C one is tested against
  (tests/analyze/test_fastpath.py, also under AddressSanitizer). An ASCII needle matches
  the same in the bytes as in the decoded text: a UTF-8 sequence never holds an ASCII
  byte, and undecodable bytes become surrogate escapes one for one.
- A TLS plaintext dump line (``Read N chars: AUTH PLAIN …``, smtpd_tls_loglevel 4)
  names no client: its session learns the address from the ``connect from`` line,
  which the needles leave out. A chunk that holds dump lines keeps its connect lines
  too, so decoded credentials keep their client address (within the chunk).
- Several inputs that are not one rotated set (``mail.log*`` and ``dovecot.log*``, a file
  and the journal) are merged by time, so a login in one file and the guesses before it
  in another reach the detector in the order they happened; :class:`Relevance` looks at
  the merged sequence. Entries of the same time (syslog stamps to the second) keep the
  order of the inputs, but PAM's own lines (auth.log) go first: PAM writes its line of
  an attempt before Dovecot and Postfix write theirs (:func:`pam_unix_line`). One input
  (or one rotated set) is read as it was, chunk by chunk, without the merge.
- ``--since``/``--until`` filter records by time; records without a time are kept.
- On two cores and more, a large input is read in a worker process
  (:mod:`mailwarden.scanpool`) while this one detects.
"""

from __future__ import annotations

import heapq
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Protocol

from mailwarden.framing import (
    PLAIN_ASCII,
    EncodedLines,
    Framer,
    Select,
    binary_line,
    journal_marker,
    padded_entry,
    split_if_pasted,
)
from mailwarden.framing import native_select as framing_native_select
from mailwarden.locale import _
from mailwarden.model import Event, EventType, Record, Strength
from mailwarden.parsers import may_matter
from mailwarden.parsers import parse as parse  # what parser() gives
from mailwarden.parsers.dovecot import AFTER_PIECE, PROXIED
from mailwarden.parsers.postfix import interruption_after, postscreen_passed
from mailwarden.pipeline import Counts, ReadOptions, last_stamp, reference_time
from mailwarden.posixtime import posix_seconds
from mailwarden.sources.files import STDIN, names_order, read_chunks, rotation_key
from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats

native_select: Select | None = framing_native_select
"""The C prefilter (mailwarden._fastpath.select) when it is built (tests set it to None
to compare with the Python path)."""

CHUNK_SIZE = 1 << 20
"""Bytes read (and decoded) at once from a plain file."""

_DUMP_MARK = b" chars: "
CONNECT_LOOKBACK = 2000
"""How far back (in lines of one chunk) the connect line of a TLS dump is looked for."""
_new = tuple.__new__
"""Record(...) through its generated __new__ costs a Python call; this does not."""


class Progress(Protocol):
    """Where the scan reports how far it got (a progress bar, or nothing)."""

    def start(self, source: str) -> None:
        """Reading of ``source`` begins."""

    def advance(self, source: str, size: int, lines: int) -> None:
        """``size`` more bytes (decompressed) and ``lines`` more lines of ``source``."""

    def finish(self, source: str) -> None:
        """``source`` has been read to its end (or to its damage)."""


class _NoProgress:
    def start(self, source: str) -> None:
        pass

    def advance(self, source: str, size: int, lines: int) -> None:
        pass

    def finish(self, source: str) -> None:
        pass


@dataclass(frozen=True)
class Stream:
    """One ordered input: the files of a rotated set (oldest first), standard input, or
    the journal. ``open`` yields its chunks; ``reference`` helps date lines without a
    year."""

    name: str
    paths: tuple[str, ...]
    journal: JournalQuery | None = None
    starts: tuple[tuple[str, int], ...] = ()
    """(path, offset): a plain file of the stream read from the first whole line at or
    after the offset only, its lines numbered from there (`read_chunks`'s ``start``: the
    daemon's first-start look-back at a big live log). Read in this process only."""


@dataclass(frozen=True)
class JournalQuery:
    """What to ask journalctl for (``--journal``)."""

    since: datetime | None = None
    until: datetime | None = None
    matches: tuple[str, ...] = ()
    journalctl: str = "journalctl"


def streams_of(paths: Sequence[str], journal: JournalQuery | None = None) -> list[Stream]:
    """Group expanded input paths (``expand_inputs`` order) into streams: a rotated set
    is one stream, read oldest first; standard input and the journal are one each.

    A file of a set whose place another file of the set already holds
    (``mail.log.1`` beside ``mail.log.1.gz``: ``gunzip -k`` or ``unxz -k`` leaves both)
    is a stream of its own: streams are merged by time, and a line that two of them
    give is counted once (``ReadStats.duplicates``), as in copies in two sets."""
    streams: list[Stream] = []
    copies: list[Stream] = []
    current: list[str] = []
    ranks: set[object] = set()
    current_set: str | None = None
    for path in paths:
        if path == STDIN:
            group, rank = f"\0stdin{len(streams)}", None
        else:
            group, rank = rotation_key(path)
        if current and group != current_set:
            streams.append(Stream(current_set or "", tuple(current)))
            current = []
            ranks = set()
        current_set = group
        if rank is not None and rank in ranks:
            copies.append(Stream(group, (path,)))
            continue
        ranks.add(rank)
        current.append(path)
    if current:
        streams.append(Stream(current_set or "", tuple(current)))
    streams.extend(copies)
    if journal is not None:
        streams.append(Stream("journal", (), journal))
    return streams


# -- one chunk ---------------------------------------------------------------------------


def _decoded_lines(data: bytes) -> tuple[list[str], list[int], bool]:
    """The lines of a chunk as text, where each ends (``ends[i]`` is the number of bytes
    of lines 0..i, newlines not counted), and whether they are plain (printable ASCII
    only: framed inline).

    Invalid UTF-8 is kept as surrogate escapes, so the kept lines can be given back to
    framing byte for byte (framing decides on replacement characters and counts them)."""
    if data.isascii():
        lines = data.decode("ascii").split("\n")
        ends = list(accumulate(map(len, lines)))
        plain = not data.translate(None, PLAIN_ASCII)
    else:
        lines = data.decode("utf-8", "surrogateescape").split("\n")
        ends = list(accumulate(map(len, data.split(b"\n"))))
        plain = False
    if not lines[-1]:
        lines.pop()
    return lines, ends, plain


def _with_connects(
    line_at: Callable[[int], str], kept: list[int], dumps: list[int] | None = None
) -> list[int]:
    """``kept`` plus the ``connect from`` line of each smtpd process whose TLS dump lines
    are kept: a dump line names no client, its session takes the address from there.
    ``line_at(i)`` is line i of the chunk; ``dumps``, when known, the kept lines that
    hold a dump mark (else they are looked for in ``kept``).

    The connect line is looked for backwards from the first dump line of each process,
    and again from a later one only over the lines not searched yet (a new session of
    the same process), at most `CONNECT_LOOKBACK` lines. The tag must stand in the
    header (``postfix/smtpd[123]: connect from``), not in client text further on."""
    searched: dict[str, int] = {}
    extra: list[int] = []
    if dumps is None:
        dumps = [index for index in kept if " chars: " in line_at(index)]
    for index in dumps:
        line = line_at(index)
        mark = line.find(" chars: ")
        head = line.find(": ")
        if mark < 0 or head < 0 or head > mark:
            continue
        tag = line[line.rfind(" ", 0, head) + 1 : head]
        stop = searched.get(tag, index - CONNECT_LOOKBACK)
        searched[tag] = index
        needle = tag + ": connect from "
        for before in range(index - 1, max(stop, -1), -1):
            text = line_at(before)
            at = text.find(needle)
            if at >= 0 and text.find(": ") == at + len(tag):
                extra.append(before)
                break
    if not extra:
        return kept
    return sorted(set(kept).union(extra))


def binary_dropped(data: bytes, kept: Collection[int]) -> int:
    """The lines of ``data`` (a chunk) holding a NUL that are binary
    (:func:`mailwarden.framing.binary_line`) but not among the ``kept`` ones (indexes),
    which framing counts itself: the prefilter drops them unframed, and ``lines_skipped``
    is to count them as ``events`` does (a UTF-16 file, NUL padding after a crash). Only
    the lines with a NUL are looked at: a line of other control characters without one
    is counted when it is kept, not when it is dropped."""
    keep = set(kept)
    count = 0
    index, counted_to = 0, 0  # line ``index`` starts at byte ``counted_to``
    at = data.find(b"\0")
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        index += data.count(b"\n", counted_to, start)
        counted_to = start
        end = data.find(b"\n", at)
        if end < 0:
            end = len(data)
        if index not in keep and binary_line(data[start:end].decode("utf-8", "replace")):
            count += 1
        at = data.find(b"\0", end)
    return count


def long_dropped(data: bytes, kept: Collection[int]) -> int:
    """The lines of ``data`` (a chunk) longer than ``MAX_LINE`` that are not among the
    ``kept`` ones (indexes), which framing counts itself: the prefilter drops them
    unframed, and ``lines_skipped`` is to count them as ``events`` does. (The reader
    counts those that do not fit in one read.) A line that ends in an entry after NUL
    padding (:func:`mailwarden.framing.padded_entry`) is no over-long line. Cheap: one
    backward search per 64 KiB."""
    size = len(data)
    long: list[tuple[int, int]] = []  # (start, end) of each over-long line
    start = 0  # where a line starts
    while size - start > MAX_LINE:
        newline = data.rfind(b"\n", start, start + MAX_LINE + 1)
        if newline >= 0:
            start = newline + 1
            continue
        end = data.find(b"\n", start + MAX_LINE)
        if end < 0:
            end = size
        long.append((start, end))
        start = end + 1
    if not long:
        return 0
    keep = set(kept)
    count = 0
    index, counted_to = 0, 0  # line ``index`` starts at byte ``counted_to``
    for start, end in long:
        index += data.count(b"\n", counted_to, start)
        counted_to = start
        if index not in keep and not padded_entry(data[start:end]):
            count += 1
    return count


def _frame_kept(
    chunk: Chunk,
    framer: Framer,
    count: int,
    kept: list[int],
    texts: list[str],
    starts: list[int],
    plain: bool,
) -> list[Record]:
    """Frame the kept lines of a chunk (of ``count`` lines) with their real line numbers
    and byte offsets: line ``kept[i]`` is ``texts[i]``, ``starts[i]`` bytes into it."""
    framer.stats.lines += count - len(kept)  # framing counts the kept ones
    if not plain and b"\0" in chunk.data:  # a plain chunk holds no NUL (memchr: cheap)
        framer.stats.binary += binary_dropped(chunk.data, kept)
    framer.stats.too_long += long_dropped(chunk.data, kept)
    if not kept:
        return []
    first, base = chunk.first_line, chunk.offset
    numbers = [first + index for index in kept]
    offsets = [base + start for start in starts]
    return framer.frame_lines(texts, numbers, offsets, chunk.source, plain=plain)


def _frame_decoded(
    chunk: Chunk,
    framer: Framer,
    lines: list[str],
    ends: list[int],
    plain: bool,
    kept: list[int],
) -> list[Record]:
    """:func:`_frame_kept` on the lines of :func:`_decoded_lines`."""
    # Line i starts after the i lines before it and their newlines.
    starts = [ends[index - 1] + index if index else 0 for index in kept]
    texts = [lines[index] for index in kept]
    return _frame_kept(chunk, framer, len(lines), kept, texts, starts, plain)


def records_of_chunk(chunk: Chunk, framer: Framer) -> Iterator[Record]:
    """The records of the chunk's lines that pass the parsers' prefilter (NEEDLES), with
    their real line numbers and offsets; every line is counted in ``framer.stats``."""
    data = chunk.data
    lines, ends, plain = _decoded_lines(data)
    matter = may_matter
    kept = [index for index, line in enumerate(lines) if matter(line)]
    if _DUMP_MARK in data:
        kept = _with_connects(lines.__getitem__, kept)
    yield from _frame_decoded(chunk, framer, lines, ends, plain, kept)


# -- what can change an analysis -----------------------------------------------------------

ALWAYS_NEEDLES: tuple[str, ...] = (
    "auth",  # SASL lines, auth= statistics, Dovecot auth processes, pam_unix(dovecot:auth)
    "-login",  # Dovecot login processes: every attempt and login
    "reject",  # rejects (hostile; soft_bounce)
    "sasl_method",  # Postfix logins (client=…, sasl_method=), xsasl AUTH commands
    " chars: ",  # TLS plaintext dumps: AUTH payloads, server replies
    "warning: ",  # smtpd's non-SMTP commands and anvil limits (and a few other warnings)
    "decoded ",  # Cyrus -v: decoded AUTH responses, passwords in the log
)
"""A line that contains one of these is analysed whole."""
MAYBE_NEEDLES: tuple[str, ...] = (
    "disconnect from",  # matters with auth=/unknown= failures, or when it ends a session
    " after ",  # lost connection/timeout matter in a session or after AUTH; the rest always
    "postscreen",  # not PASS/DISCONNECT/ALLOWLISTED, which say nothing against anyone
    "TLS ",  # only a weak cipher or protocol, or a weak cipher list, matters
    "]: < ",  # verbose chat, the client's side: AUTH payloads, in an smtpd process (pid)
    " > ",  # the server's side: replies (soft_bounce), in a session or not
)
"""A line with only these is looked at more closely: a TLS line must name something weak
(:data:`WEAK_TLS_MARKS`), a chat line must hold ``< name[addr]: `` or ``> name[addr]: ``
(delivery lines hold ``<id> Saved``), and the rest is decided once framed
(:class:`Relevance`)."""
BYTES_MESSAGE_NEEDLES: tuple[str, ...] = (
    '"MESSAGE":[',  # journalctl -o json since systemd 246
    '"MESSAGE" : [',  # journalctl -o json before 246
    '"MESSAGE": [',  # JSON written by other tools (Python's json.dumps)
    '"MESSAGE" :[',
)
"""Where a journal entry's MESSAGE is an array of bytes (not UTF-8, or not printable):
no other needle can be seen in it, so the entry is kept. JSON lets blanks stand around
the colon, and the writers of journal JSON differ there."""
_CHAT_NEEDLES = ("< ", "> ")
LOOSE_NEEDLES: tuple[str, ...] = (*BYTES_MESSAGE_NEEDLES, *_CHAT_NEEDLES)
"""In a chunk with a line in another style (journal JSON, RFC 5424, a bare message: its
first character is ``{``, ``<``, ``>`` or a blank), a journal entry whose MESSAGE is an
array of bytes (`BYTES_MESSAGE_NEEDLES`) is kept, and chat is looked for without the
``]: `` or blank that stands before it in a syslog line."""
WEAK_TLS_MARKS: tuple[str, ...] = (
    "RC4",
    "EXP",
    "NULL",
    "ADH",
    "AECDH",
    "DES-CBC-",
    "SSLv2",
    "SSLv3",
    "ALL",
    "LOW",
)
"""A TLS line without any of these names no weak cipher, protocol or cipher list (what
detect's server findings look for: RC4, EXP, NULL, ADH, AECDH, DES-CBC-, SSLv2/3, and the
ALL/EXPORT/LOW/RC4/NULL cipher-list items): it cannot change an analysis."""

_DETECTED = frozenset(
    {
        EventType.CONNECT,
        EventType.DISCONNECT,
        EventType.AUTH_FAILURE,
        EventType.AUTH_SUCCESS,
        EventType.AUTH_ABORTED,
        EventType.AUTH_UNAVAILABLE,
        EventType.AUTH_COMMAND,
        EventType.CLIENT_DATA,
        EventType.SERVER_REPLY,
        EventType.LOST_CONNECTION,
        EventType.TIMEOUT,
        EventType.RATE_LIMITED,
        EventType.TLS_ESTABLISHED,
        EventType.TLS_SETUP,
        EventType.REJECT,
    }
)
"""Event types the detector reads whatever their other fields (sessions, counting,
server findings). Any other event matters only when it carries a Dovecot session, a
local address the detector has not been told yet, or is strong evidence on its own."""


def _build_classify(
    always: tuple[str, ...], maybe: tuple[str, ...]
) -> Callable[[list[str]], tuple[list[int], list[int]]]:
    """``classify(lines) -> (always, maybe)``: the indexes of the lines with an ALWAYS
    needle, and of those with only MAYBE needles, as one generated loop (each test is a
    C-speed substring search with no Python call per line or needle). The source is
    built from our own constant needles, never from input."""
    first = " or ".join(f"{needle!r} in line" for needle in always)
    second = " or ".join(f"{needle!r} in line" for needle in maybe)
    source = (
        "def classify(lines):\n"
        "    always = []\n"
        "    maybe = []\n"
        "    keep, check = always.append, maybe.append\n"
        "    for index, line in enumerate(lines):\n"
        f"        if {first}:\n"
        "            keep(index)\n"
        f"        elif {second}:\n"
        "            check(index)\n"
        "    return always, maybe\n"
    )
    namespace: dict[str, Callable[[list[str]], tuple[list[int], list[int]]]] = {}
    exec(source, namespace)  # noqa: S102
    return namespace["classify"]


_classify_plain = _build_classify(ALWAYS_NEEDLES, MAYBE_NEEDLES)
_classify_loose = _build_classify(
    ALWAYS_NEEDLES + BYTES_MESSAGE_NEEDLES, MAYBE_NEEDLES + _CHAT_NEEDLES
)
_OTHER_STYLE = re.compile(rb"\n[{<> \t]")
"""A line (not the first) that starts like journal JSON, RFC 5424, bare chat, or with a
blank. (A literal first character: the search runs at memchr speed.)"""
_OTHER_FIRST = tuple(b"{<> \t")
_FRAMED_LATER = ("disconnect from", " after ", "postscreen")
_CHAT = re.compile(r"[<>] [A-Za-z0-9._-]+\[[0-9A-Fa-f:.]+\](?::\d+)?: ")
"""Where a chat message can start (parsers.postfix's ``_CHAT``, unanchored)."""


def _analysis_lines(lines: list[str], loose: bool) -> tuple[list[int], set[int]]:
    """The indexes of the lines that can change an analysis, in order, and the set of
    those whose records :class:`Relevance` is still to look at. (mailwarden._fastpath's
    ``select`` decides the same in C, with the needles of `_PLAIN_GROUPS`.)"""
    always, maybe = (_classify_loose if loose else _classify_plain)(lines)
    if not maybe:
        return always, set()
    check: set[int] = set()
    weak, framed_later, chat = _weak_tls, _framed_later, _CHAT.search
    for index in maybe:
        line = lines[index]
        if "TLS " in line and weak(line):
            always.append(index)
        elif framed_later(line) or (("< " in line or "> " in line) and chat(line) is not None):
            check.add(index)
    kept = sorted(always + list(check)) if always else sorted(check)
    return kept, check


def _build_any(needles: tuple[str, ...]) -> Callable[[str], bool]:
    """``needle1 in line or needle2 in line or …`` as one function (no generator)."""
    expr = " or ".join(f"{needle!r} in line" for needle in needles)
    namespace: dict[str, Callable[[str], bool]] = {}
    exec(f"def any_of(line):\n    return {expr}\n", namespace)  # noqa: S102
    return namespace["any_of"]


_weak_tls = _build_any(WEAK_TLS_MARKS)
_framed_later = _build_any(_FRAMED_LATER)


class Relevance:
    """Which records and events can change what the detector concludes (the analyzer's
    second filter, after :data:`ALWAYS_NEEDLES` / :data:`MAYBE_NEEDLES`).

    "Change" means: the analysis (``Analysis.to_json``, and so the report) is the same
    whether or not the record or event is fed, apart from the counters of work done
    (events fed, entries framed). The rules follow the detector:

    - a ``disconnect from`` without ``auth=``/``unknown=`` failures matters only when it
      ends a session the detector opened: an smtpd process (host, program, pid) one of
      whose kept lines came before, since its last disconnect (a superset of the open
      sessions: a session is only opened by a kept line);
    - ``lost connection``/``timeout after X`` matter in such a session, or after AUTH
      (which opens one); elsewhere they only add to a weak count no report shows;
    - verbose chat from the client side matters in an smtpd process with a pid;
    - postscreen's PASS/DISCONNECT/allow-list lines never matter;
    - of the events, those of a type the detector reads (:data:`_DETECTED`), those with a
      Dovecot session, strong evidence, and the first event naming each local address.

    The state is per run, in feed order (after several logs are merged by time)."""

    def __init__(self) -> None:
        self.open: set[tuple[str | None, str, int]] = set()
        self.own: set[str] = set()

    def record(self, record: Record, maybe: bool) -> bool:
        """Whether ``record`` (of an ALWAYS line, or of a MAYBE line when ``maybe``) is
        to be parsed and fed; keeps track of the smtpd processes with a kept line."""
        program, pid = record.program, record.pid
        key = None
        if pid is not None and program is not None and program.endswith("smtpd"):
            key = (record.host, program, pid)
        msg = record.message
        if msg.startswith("disconnect from "):
            if key is not None and key in self.open:
                self.open.discard(key)
                return True
            return not maybe or "auth=" in msg or "unknown=" in msg
        if maybe:
            after = interruption_after(msg)
            if after is not None:
                if key is None:
                    return False
                if key not in self.open and after.upper() != "AUTH":
                    return False
            elif msg.startswith("< "):
                if key is None:
                    return False
            elif program is not None and program.endswith("/postscreen") and postscreen_passed(msg):
                return False
        if key is not None:
            self.open.add(key)
        return True

    def event(self, event: Event) -> bool:
        """Whether the detector can conclude anything different for having ``event``."""
        if event.type in _DETECTED or event.session is not None:
            return True
        if event.hostile and event.strength is Strength.STRONG:
            return True
        if event.type is EventType.DEBUG and event.detail:
            detail = event.detail
            # A password in the log, or the SASL backend's answer at -v that tells an AUTH
            # LOGIN step or its account (detect: Detector._feed_debug).
            if "password_logged" in detail or "challenge" in detail or "sasl_user" in detail:
                return True
            if PROXIED in detail:  # a login proxy's mark of its session (detect.proxied)
                return True
            if AFTER_PIECE in detail:  # a piece of a cut message (detect.pieces)
                return True
        own = event.server_ip
        if own is not None and own not in self.own:
            self.own.add(own)
            return True
        return False


def analysis_records_of_chunk(chunk: Chunk, framer: Framer) -> Iterator[tuple[Record, bool]]:
    """The records of the chunk's lines that can change an analysis, each with whether
    :meth:`Relevance.record` has yet to decide on it; every line is counted."""
    records, maybe = _analysis_batch(chunk, framer)
    for record in records:
        yield record, record.line in maybe


_NONE: frozenset[int] = frozenset()


def _analysis_batch(chunk: Chunk, framer: Framer) -> tuple[list[Record], Set[int]]:
    """:func:`analysis_records_of_chunk` as a list, and the line numbers of the records
    :meth:`Relevance.record` has yet to decide on."""
    data = chunk.data
    if not data:
        return [], _NONE
    loose = data[0] in _OTHER_FIRST or _OTHER_STYLE.search(data) is not None
    check: Collection[int]
    select = native_select
    if select is not None:
        records, check = _native_batch(chunk, framer, loose, select)
    else:
        lines, ends, plain = _decoded_lines(data)
        kept, check = _analysis_lines(lines, loose)
        if _DUMP_MARK in data:
            kept = _with_connects(lines.__getitem__, kept)
        records = _frame_decoded(chunk, framer, lines, ends, plain, kept)
    if not check:
        return records, _NONE
    first = chunk.first_line
    return records, {first + index for index in check}


def _encoded(*groups: tuple[str, ...]) -> tuple[tuple[bytes, ...], ...]:
    return tuple(tuple(needle.encode("ascii") for needle in group) for group in groups)


_TLS_NEEDLES = ("TLS ",)
_PLAIN_GROUPS = _encoded(
    ALWAYS_NEEDLES, MAYBE_NEEDLES, _TLS_NEEDLES, WEAK_TLS_MARKS, _FRAMED_LATER, _CHAT_NEEDLES
)
_LOOSE_GROUPS = _encoded(
    ALWAYS_NEEDLES + BYTES_MESSAGE_NEEDLES,
    MAYBE_NEEDLES + _CHAT_NEEDLES,
    _TLS_NEEDLES,
    WEAK_TLS_MARKS,
    _FRAMED_LATER,
    _CHAT_NEEDLES,
)
"""The needles of :func:`_analysis_lines` for :func:`mailwarden._fastpath.select`."""


def _native_batch(
    chunk: Chunk, framer: Framer, loose: bool, select: Select
) -> tuple[list[Record], list[int]]:
    """:func:`_analysis_batch`'s records and lines to check, with the needles looked for
    in C (``select``: :mod:`mailwarden._fastpath`): only the lines kept are decoded, and
    in a plain chunk the classic syslog lines are framed in C too
    (:meth:`Framer.frame_plain_lines`)."""
    data = chunk.data
    groups = _LOOSE_GROUPS if loose else _PLAIN_GROUPS
    raw_starts, plain, kept, check, chat = select(data, groups)
    lines = EncodedLines(data, memoryview(raw_starts).cast("q"))
    text = lines.text
    if chat:
        search = _CHAT.search
        check = sorted(check + [index for index in chat if search(text(index)) is not None])
    if check:
        kept = sorted(kept + check)
    if _DUMP_MARK in data:
        kept = _with_connects(text, kept, lines.holding(_DUMP_MARK))
    starts = lines.starts
    count = len(starts) - 1
    if plain:
        framer.stats.lines += count - len(kept)  # framing counts the kept ones
        framer.stats.too_long += long_dropped(data, kept)
        return framer.frame_plain_lines(data, raw_starts, kept, chunk, text), check
    texts = [text(index) for index in kept]
    offsets = [starts[index] for index in kept]
    return _frame_kept(chunk, framer, count, kept, texts, offsets, plain), check


# -- whole inputs --------------------------------------------------------------------------


def _chunks_of(stream: Stream, stats: ReadStats, progress: Progress) -> Iterator[Chunk]:
    if stream.journal is not None:
        from mailwarden.sources.journal import read_journal

        query = stream.journal
        progress.start("journal")
        for chunk in read_journal(
            stats,
            since=query.since,
            until=query.until,
            matches=query.matches,
            journalctl=query.journalctl,
        ):
            _note_mail(chunk.data, stats)  # an identifier postfix/…, dovecot
            yield chunk
            progress.advance("journal", len(chunk.data), chunk.data.count(b"\n"))
        progress.finish("journal")
        return
    starts = dict(stream.starts)
    for path in stream.paths:
        progress.start(path)
        for chunk in read_chunks(path, stats, CHUNK_SIZE, start=starts.get(path, 0)):
            yield chunk
            progress.advance(path, len(chunk.data), chunk.data.count(b"\n"))
        progress.finish(path)


def records_of_stream(
    stream: Stream, options: ReadOptions, counts: Counts, progress: Progress
) -> Iterator[Record]:
    """Every prefiltered record of one stream, in order, within --since/--until."""
    for record, _maybe in _items_of_stream(stream, options, counts, progress, False):
        counts.records += 1
        yield record


def _items_of_stream(
    stream: Stream, options: ReadOptions, counts: Counts, progress: Progress, analysis: bool
) -> Iterator[tuple[Record, bool]]:
    """(record, maybe) for every prefiltered record of one stream, in order, within
    --since/--until: the parsers' prefilter, or the analysis one (``maybe``: see
    :func:`analysis_records_of_chunk`)."""
    windowed, outside = options.windowed, options.outside
    stats = counts.read
    until = _Until(options.read_until)
    framer = None
    for parts, reference, last in _framed_parts(stream, stats, progress, options, until):
        pasted, path_chunks = split_if_pasted(parts, counts.read)
        framer = options.framer(reference, pasted, counts.read, framer, last)
        for chunk in path_chunks:
            if analysis:
                items = analysis_records_of_chunk(chunk, framer)
            else:
                items = ((record, False) for record in records_of_chunk(chunk, framer))
            if not windowed:
                yield from items
                continue
            for item in items:
                time = item[0].time
                if time is not None:
                    until.last = time
                if not outside(time):
                    yield item
                else:
                    stats.outside_window += 1


def _analysis_batches(
    streams: Sequence[Stream],
    options: ReadOptions,
    counts: Counts,
    progress: Progress,
    runs: Sequence[tuple[str, int]] = (),
) -> Iterator[tuple[list[Record], Set[int]]]:
    """(records, maybe line numbers) per chunk of one stream (within --since/--until),
    or per record when several streams are merged by time. Entries that go back in time
    are said (:class:`_Order`). With ``runs`` (``ReadStats.runs`` of a first reading),
    the streams that go back in time are read as their runs merged by time
    (:func:`_runs_merged`)."""
    if runs:
        for record, undecided in _runs_merged(streams, options, progress, runs, counts.read):
            yield [record], ({record.line} if undecided else _NONE)
        return
    if len(streams) != 1:
        for record, undecided in _items_of_streams(streams, options, counts, progress, True):
            yield [record], ({record.line} if undecided else _NONE)
        return
    windowed, outside = options.windowed, options.outside
    until = _Until(options.read_until)
    order = _Order()
    framer = None
    for parts, reference, last in _framed_parts(streams[0], counts.read, progress, options, until):
        pasted, path_chunks = split_if_pasted(parts, counts.read)
        framer = options.framer(reference, pasted, counts.read, framer, last)
        for chunk in path_chunks:
            records, maybe = _analysis_batch(chunk, framer)
            order.saw(records, counts.read)
            if not windowed:
                yield records, maybe
                continue
            until.saw(records)
            framed = len(records)
            records = [record for record in records if not outside(record.time)]
            counts.read.outside_window += framed - len(records)
            yield records, maybe


def _runs_merged(
    streams: Sequence[Stream],
    options: ReadOptions,
    progress: Progress,
    runs: Sequence[tuple[str, int]],
    stats: ReadStats | None = None,
) -> Iterator[tuple[Record, bool]]:
    """(record, maybe) of every stream, each stream that goes back in time cut into its
    runs (``runs``: where each starts but the first, as :class:`_Order` found them in a
    first reading), all merged by time as several streams are (:func:`_merge`): the
    detector meets the entries in time order, whatever order the runs came in
    (``cat mail.log mail.log.1``, two hosts' logs joined). Each run is read by a reader
    of its own that frames the stream from its start, as the first reading did (the
    same dates: a year-less entry is dated from the entries before it), and keeps the
    records from its run's start to the next run's; each holds the chunk it frames
    (`CHUNK_SIZE`). The readers count apart: what was read is the first reading's count
    (``records``, ``recognised`` and ``events`` are counted again, by
    :func:`analysis_events`); the last run's reader, which reads the stream whole,
    shows the progress. Copies of a line in two runs of one input are kept, as the input
    in time order keeps them; those in two inputs are dropped (:func:`_once`).

    Within a run, entries go back less than `BACKWARD` (more starts a new run; more
    than `SHORT_BACKWARD` too when ``stats.short_cut``): each run is put in time order
    too (:func:`_in_time_order`), holding as many seconds of it as its input went back
    at most in the first reading (``ReadStats.backs``, ``short_backs``), at
    most `HOLD_MAX` records in all; past them, the earliest held goes on, perhaps
    before one still to come, and the input is noted (``stats.crowded``)."""
    stats = stats if stats is not None else ReadStats()
    backs: dict[str, float] = {}
    # Cut where they go back more than SHORT_BACKWARD too, the runs go back less.
    for source, back in stats.short_backs if stats.short_cut else stats.backs:
        backs[source] = max(back, backs.get(source, 0.0))
    held = [0]  # records held by every run's _in_time_order
    inputs: list[Iterator[tuple[Record, bool]]] = []
    owners: list[int] = []
    for index, stream in enumerate(streams):
        place = {path: at for at, path in enumerate(stream.paths)}
        # Line 0: the input read again whole, only put in order (`JITTER`), not cut.
        starts = sorted({(place[source], at) for source, at in runs if source in place and at})
        window = max((backs.get(path, 0.0) for path in stream.paths), default=0.0)
        if stream.journal is not None:
            window = 0.0
        if stream.journal is not None or not starts:
            reader = _items_of_stream(stream, options, Counts(), progress, True)
            inputs.append(_in_time_order(reader, window, held, stats, stream.paths))
            owners.append(index)
            continue
        bounds: list[tuple[int, int] | None] = [None, *starts, None]
        for run in range(len(bounds) - 1):
            last = run == len(bounds) - 2
            reader = _items_of_stream(
                stream, options, Counts(), progress if last else _NoProgress(), True
            )
            part = _run_of(reader, place, bounds[run], bounds[run + 1])
            inputs.append(_in_time_order(part, window, held, stats, stream.paths))
            owners.append(index)
    merged = _merge(inputs, None)
    # The runs of one input are that input for _once: their copies of a line are kept.
    owned = ((moment, rank, owners[at], seq, item) for moment, rank, at, seq, item in merged)
    yield from _once(owned, ReadStats())


def _run_of(
    items: Iterator[tuple[Record, bool]],
    place: dict[str, int],
    start: tuple[int, int] | None,
    stop: tuple[int, int] | None,
) -> Iterator[tuple[Record, bool]]:
    """The items of one run: from the first at or past ``start`` (the file's index in
    its stream, the line) to the last before ``stop``; the reader stops there."""
    begun = start is None
    try:
        for item in items:
            record = item[0]
            at = (place[record.source], record.line)
            if not begun:
                assert start is not None
                if at < start:
                    continue
                begun = True
            if stop is not None and at >= stop:
                return
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _in_time_order(
    items: Iterator[tuple[Record, bool]],
    window: float,
    held: list[int],
    stats: ReadStats,
    names: Sequence[str],
) -> Iterator[tuple[Record, bool]]:
    """The items of one run (:func:`_run_of`) in time order, stable (a record without a
    time stays after the one before it), when no entry of it goes back more than
    ``window`` seconds from the latest before it: each item is held until the run has
    passed its time by ``window``. ``held[0]``: the items held by every run; past
    `HOLD_MAX`, the earliest held goes on at once, perhaps before one still to come,
    and its input (``names``: its files) is noted in ``stats.crowded``."""
    if window <= 0:
        yield from items
        return
    heap: list[tuple[float, int, tuple[Record, bool]]] = []
    push, pop = heapq.heappush, heapq.heappop
    latest = moment = float("-inf")
    previous: datetime | None = None
    try:
        for sequence, item in enumerate(items):
            time = item[0].time
            if time is not None and time is not previous:
                previous = time
                moment = posix_seconds(time)
                if moment > latest:
                    latest = moment
                    edge = latest - window  # no entry of this run to come lies before it
                    while heap and heap[0][0] <= edge:
                        held[0] -= 1
                        yield pop(heap)[2]
            push(heap, (moment, sequence, item))
            held[0] += 1
            if held[0] > HOLD_MAX:
                held[0] -= 1
                if names and names[0] not in stats.crowded:
                    stats.crowded.extend(names)
                yield pop(heap)[2]
        while heap:
            held[0] -= 1
            yield pop(heap)[2]
    finally:
        held[0] -= len(heap)
        close = getattr(items, "close", None)
        if close is not None:
            close()


HOLD_MAX = 125_000
"""Most records the second reading of inputs that go back in time holds to put each of
their runs in time order (:func:`_in_time_order`): about 100 MB (800 bytes each)."""

BACKWARD = 3 * 3600.0
"""Seconds an entry may lie before an earlier one of the same input before the input is
said not to be in time order: more than the hour a local clock goes back at the end of
summer time, and than a few hosts' clocks differ in one syslog."""
SHORT_BACKWARD = 600.0
"""Seconds an entry may lie before an earlier one of the same input and still be taken
for the input's own disorder: syslog lines of processes that log at once are out of
order by seconds. An entry
that goes back more, but less than `BACKWARD`, is noted (``ReadStats.short_turns``):
when there are few such (with the runs, at most `MAX_RUNS`), the input was joined from
pieces (``cat mail.log mail.log.1`` when the newest is under 3 hours old), said and read
again cut there too; many are a syslog of hosts whose clocks differ, counted as given."""
JITTER = 60.0
"""Seconds an entry may lie before an earlier one of the same input and still be taken for
the jitter of one log, counted in the order given; an entry further back is a join only
when it lies this far before the input's first entry, of its host (review found a step
back alone also made by a host whose clock is slow in a central syslog, a clock stepped
back by NTP, the hour summer time ends: those lie after the input's start). The lines of
processes that log at once are stamped when logged and written when they reach the
writer (a syslog daemon, the journal, Postfix's postlogd, Dovecot's log process), a
second or a few apart, some more under load; a minute is well past that, so a well-kept
log, however big, is read once. Joining two logs (``cat dovecot.log mail.log``, then
``grep`` for an address) steps back by the span of the one put after the other, minutes
or more: an input that goes back more than this (at most `SHORT_BACKWARD`: more is said
as such) is noted (``ReadStats.skew_turns``) and read again in time order
(``cli.analyze._read_again``), or a login met before the failures it came after is taken
for a phone with an old password rather than a break-in."""
MAX_RUNS = 16
"""Most times the inputs may go back in time (``ReadStats.runs``: their runs but the
first) for ``analyze`` to read them again as their runs merged by time
(:func:`_runs_merged`): each run is read by a reader of its own, which frames the input
from its start (and holds a chunk)."""


class _Order:
    """Whether one input's entries come in time order, as the detector counts them: its
    windows, "right after N failures" and "a login, then failures with the same
    password" all assume it. ``cat mail.log mail.log.1`` or ``zcat -f mail.log*`` on
    standard input gives the newest file first: a login then seems to follow the next
    day's guessing. The first entry that goes back more than `BACKWARD` is said, once
    per file (``ReadStats.disorder``), with how to give the files. Every entry that
    goes back more than that from the latest of its run starts a new run
    (``ReadStats.runs``): ``analyze`` then reads the input again, each run apart, merged
    by time (:func:`analysis_events` with ``runs``); one that goes back less stays in
    its run, and how far the input went back so is noted (``ReadStats.backs``, each
    time it goes further) for that second reading to put each run in time order
    (:func:`_in_time_order`). One that goes back more than `SHORT_BACKWARD` from the
    latest of its short run (cut there too) is noted (``ReadStats.short_turns``): when
    few, the second reading cuts there too and it is said (``cli.analyze._read_again``),
    the runs then put in order as far as they go back within short runs
    (``ReadStats.short_backs``). The first that goes back more than `JITTER` within its
    short run is noted too (``ReadStats.skew_turns``): the input is then read again,
    put in order, even when it has but one run. Every entry is looked at (a small
    log holds both files in one chunk), cheaply: framing shares one datetime per
    second, so an entry of the same second as the one before costs an identity test."""

    def __init__(self, command: str = "analyze") -> None:
        self.latest = float("-inf")
        """The latest time of the current run."""
        self.said: set[str] = set()
        self.backs: dict[str, float] = {}
        """The most seconds an entry of each input went back within its run (rounded
        up), as noted in ``ReadStats.backs``."""
        self.short_latest = float("-inf")
        """The latest time of the current short run (cut where an entry goes back more
        than `SHORT_BACKWARD` too: ``ReadStats.short_turns``)."""
        self.short_backs: dict[str, float] = {}
        """The same, of the entries that go back at most `SHORT_BACKWARD`
        (``ReadStats.short_backs``)."""
        self.skewed: set[str] = set()
        """The inputs that went back more than `JITTER` within a short run
        (``ReadStats.skew_turns``)."""
        self.first: dict[str, tuple[float, str | None]] = {}
        """The time and host of each input's first entry: only an entry more than
        `JITTER` before it, of its host (a line without a host, Dovecot's own log file,
        may be any host's), is a join."""
        self.command = command
        """The command the advice names (``mailwarden analyze /var/log/mail.log*``)."""
        self.source: str | None = None
        """The input (file) of the latest entry looked at."""

    def saw(self, records: Sequence[Record], stats: ReadStats) -> None:
        previous: datetime | None = None
        for record in records:
            time = record.time
            if time is None or time is previous:
                continue
            previous = time
            self.entry(posix_seconds(time), record, stats)

    def entry(self, moment: float, record: Record, stats: ReadStats) -> None:
        """One entry (with a time): a new run, and said, if it goes back."""
        latest = self.latest
        came_after, self.source = self.source, record.source
        if came_after != record.source and record.source not in self.first:
            self.first[record.source] = (moment, record.host)
        short = self.short_latest
        if moment >= short:
            self.short_latest = moment
        elif moment < latest - BACKWARD:
            self.short_latest = moment  # a run starts: below
        elif moment < short - SHORT_BACKWARD:  # a short run starts
            self.short_latest = moment
            if len(stats.short_turns) <= MAX_RUNS:
                stats.short_turns.append(_turn(record, moment, short))
        else:
            if short - moment > JITTER and record.source not in self.skewed:
                # A join: before the input's first entry, of its host. Not a log's own
                # steps back (another host's slow clock, a clock stepped by NTP, the
                # hour summer time ends), which lie after its start.
                at, host = self.first.get(record.source, (moment, None))
                if moment < at - JITTER and (
                    record.host == host or record.host is None or host is None
                ):
                    self.skewed.add(record.source)
                    stats.skew_turns.append(_turn(record, moment, short))
            back = float(int(short - moment) + 1)
            if back > self.short_backs.get(record.source, 0.0):
                self.short_backs[record.source] = back
                stats.short_backs.append((record.source, back))
        if moment >= latest:
            self.latest = moment
        elif moment < latest - BACKWARD:
            self.latest = moment
            if len(stats.runs) <= MAX_RUNS:
                stats.runs.append((record.source, record.line))
            if record.source in self.said:
                return
            self.said.add(record.source)
            turn = _turn(record, moment, latest)
            after = ""
            if came_after is not None and _ordered_by_mtime(came_after, record.source):
                after = came_after
                stats.mtime_turns.append((record.source, after))
            stats.disorder.append(order_note(turn, self.command, after=after))
            stats.turns.append(turn)
        else:  # back less than BACKWARD: this run still, put in order when read again
            back = float(int(latest - moment) + 1)
            if back > self.backs.get(record.source, 0.0):
                self.backs[record.source] = back
                stats.backs.append((record.source, back))


def _turn(record: Record, moment: float, latest: float) -> tuple[str, int, str, str]:
    """(input, line, its time, the time it goes back from) of an entry that goes back
    in time (``ReadStats.turns``)."""
    assert record.time is not None
    try:
        before = datetime.fromtimestamp(latest, record.time.tzinfo)
    except (OverflowError, ValueError, OSError):  # 9999-12-31T23:59-23:59: past 9999
        before = datetime.max.replace(tzinfo=record.time.tzinfo)
    return (record.source, record.line, _moment(record.time), _moment(before))


def _ordered_by_mtime(before: str, path: str) -> bool:
    """Whether two files read one after the other are of one rotated set, one numbered
    and the other dated: ``files._merged_by_mtime`` put them in that order by their
    modification times, not by their names."""
    if STDIN in (before, path) or before == path:
        return False
    (set_a, (kind_a, _, _)), (set_b, (kind_b, _, _)) = rotation_key(before), rotation_key(path)
    return set_a == set_b and {kind_a, kind_b} == {0, 1}


def order_note(
    turn: tuple[str, int, str, str],
    command: str,
    runs: int = 0,
    *,
    crowded: bool = False,
    why: str = "",
    after: str = "",
    damaged: bool = False,
) -> str:
    """What is said of an input that goes back in time (``ReadStats.turns``): counted in
    the order given (``why``: why it was not read again), or (``runs``: the number of
    its time-ordered runs, 1 when it went back `JITTER` at most: only put in order)
    read again in time order (``crowded``: not wholly, more than `HOLD_MAX` records to
    hold within a run). ``after``: the file of its rotated set read before it, the two
    put in order by their modification times (``ReadStats.mtime_turns``): the advice
    says so, not that the file joins logs. ``damaged``: a corrupt archive
    (``ReadStats.corrupt``): the advice says that its garbage may go back, not that the
    file joins logs."""
    # In the active language: the text report's (English with --format json, which
    # analyze makes active for the whole reading; a worker is forked).
    source, line, moment, before = turn
    where = _("standard input") if source == STDIN else source
    if runs:
        if runs == 1 and crowded:
            message = _(
                "{where}: line {line} goes back in time ({moment} after {before}): it was"
                " read again to be put in time order, but too many entries lie within the"
                " minutes it goes back to put them all in order, so attacks and logins may"
                " be misjudged; {advice}"
            )
        elif runs == 1:
            message = _(
                "{where}: line {line} goes back in time ({moment} after {before}): it was"
                " read again and put in time order, so attacks and logins are judged as in"
                " time order; {advice}"
            )
        elif crowded:
            message = _(
                "{where}: line {line} goes back in time ({moment} after {before}): it was"
                " read again as its {runs} time-ordered parts merged by time, but within a"
                " part too many entries go back less than 3 hours to put them all in order,"
                " so attacks and logins may be misjudged; {advice}"
            )
        else:
            message = _(
                "{where}: line {line} goes back in time ({moment} after {before}): it was"
                " read again as its {runs} time-ordered parts merged by time, so attacks"
                " and logins are judged as in time order; {advice}"
            )
        advice = (
            _(
                "giving the files as arguments reads them once (mailwarden {command}"
                " /var/log/mail.log*: a rotated set is read oldest first)"
            ).format(command=command)
            if source == STDIN
            else _(
                "if it joins several logs (cat mail.log mail.log.1), giving those as"
                " arguments reads them once"
            )
        )
    else:
        message = _(
            "{where}: line {line} goes back in time ({moment} after {before}): entries"
            " are counted in the order given, so attacks and logins may be misjudged;"
            " {advice}"
        )
        advice = (
            _(
                "give the files as arguments instead (mailwarden {command} /var/log/mail.log*:"
                " a rotated set is read oldest first, several logs merged by time)"
            ).format(command=command)
            if source == STDIN
            else _(
                "if it joins several logs (cat mail.log mail.log.1), give those as"
                " arguments instead: a rotated set is read oldest first"
            )
        )
    if damaged:
        advice = _(
            "it is a corrupt archive, as a problem says: the lines read before the"
            " corruption came to light may be garbage with wrong times"
        )
    elif after:
        advice = _(
            "the files of its rotated set, numbered and dated names together, were read in"
            " the order of their modification times ({after} before it), which their"
            " contents disagree with"
        ).format(after=after)
    said = message.format(
        where=where, line=f"{line:,}", moment=moment, before=before, runs=runs, advice=advice
    )
    if why and not runs:
        said += _("; it was not read again in time order, as {why}").format(why=why)
    return said


def _moment(moment: datetime) -> str:
    return moment.isoformat(" ", "seconds")


@dataclass
class _Until:
    """Where a rotated set stops being read: its files come oldest first, so once one
    of them ends more than a day past --until (``ReadOptions.read_until``), the newer
    ones are not opened. Only in a set whose live file is among the inputs
    (``mail.log`` beside ``mail.log.1``): then the names surely are logrotate's; and
    whose names tell the order (not numbered and dated ones together: `names_order`). A file
    is always read to its end (standard input, or a log that is not in time order, loses
    nothing)."""

    stop: datetime | None
    last: datetime | None = None
    """The time of the last entry of the file being read."""

    def saw(self, records: list[Record]) -> None:
        for record in reversed(records):
            if record.time is not None:
                self.last = record.time
                return

    def before(self, stream: Stream, index: int, stats: ReadStats) -> bool:
        """Whether the ``index``-th file of ``stream`` is to be opened (listed in
        ``stats.after_until`` with the rest when not)."""
        last, self.last = self.last, None
        stop = self.stop
        if stop is None or not index or last is None or last <= stop:
            return True
        if stream.name not in stream.paths or not names_order(stream.paths):
            return True
        stats.after_until.extend(stream.paths[index:])
        return False


def _framed_parts(
    stream: Stream,
    stats: ReadStats,
    progress: Progress,
    options: ReadOptions,
    until: _Until | None = None,
) -> Iterator[tuple[Iterator[Chunk], datetime | None, str | None]]:
    """Per file of the stream (or the journal): its chunks, its date reference and its
    last classic stamp (:meth:`mailwarden.pipeline.ReadOptions.framer`). Each file
    gets its own framer: the year of a line without one comes from its file. With
    ``until``, the newer files of a rotated set that cannot hold an entry before
    --until are not opened (see :class:`_Until`). A file (or standard input) whose
    first lines hold no log entry is named in ``stats.not_logs`` (:func:`sniffed`)."""
    if stream.journal is not None:
        yield _chunks_of(stream, stats, progress), None, None
        return
    for index, path in enumerate(stream.paths):
        if until is not None and not until.before(stream, index, stats):
            return
        chunks = _chunks_of(Stream(stream.name, (path,), starts=stream.starts), stats, progress)
        yield sniffed(chunks, options, stats), reference_time(path), last_stamp(path)


SNIFF_BYTES = (4 << 10, 64 << 10)
"""How much of an input's first chunk :func:`sniffed` frames: a little first (a log's
first line has its header), then more."""


def sniffed(chunks: Iterator[Chunk], options: ReadOptions, stats: ReadStats) -> Iterator[Chunk]:
    """``chunks`` (of one file, or standard input) as they are; its source is added to
    ``stats.not_logs`` when the first of them that is not blank holds no log entry (no
    line with a header a log writer puts before its message: a time or a program): a
    UTF-16 file, a gzip inside a gzip, another format. Once per input, on a copy of its
    first lines framed apart (nothing is counted), so a log pays for one line or so;
    ``analyze`` and ``explain`` say so of such an input when nothing in it was
    recognised."""
    for chunk in chunks:
        if not chunk.data or chunk.data.isspace():
            yield chunk
            continue
        if not _holds_log_entries(chunk, options, stats):
            stats.not_logs.append(chunk.source)
        _note_mail(chunk.data, stats)
        yield chunk
        for chunk in chunks:
            if not stats.mail_seen:
                _note_mail(chunk.data, stats)
            yield chunk
        return


MAIL_MARKS: tuple[bytes, ...] = (
    b"postfix/",
    b"postfix[",
    b"dovecot",
    b"-login: ",
    b"lmtp(",
    b"imap(",
    b"pop3(",
)
"""Bytes that only a mail server's entries hold, as a rule (a program tag, a Dovecot
process name of a log_path file): an input that holds one is a mail log, whatever the
analysis recognised in it (deliveries only, or its mail lines after a long syslog's
first chunk), and analyze does not ask whether it is the right file."""


def _note_mail(data: bytes, stats: ReadStats) -> None:
    """``stats.mail_seen`` once a chunk holds one of `MAIL_MARKS` (a search of the bytes,
    until one input shows one)."""
    if not stats.mail_seen and any(mark in data for mark in MAIL_MARKS):
        stats.mail_seen = True


def _holds_log_entries(chunk: Chunk, options: ReadOptions, stats: ReadStats | None = None) -> bool:
    """Whether the first lines of ``chunk`` (at most the last of `SNIFF_BYTES`) hold a
    line with a time or a program, or only journalctl's marker lines (``-- No entries
    --``: no other format's) (framed apart: nothing is counted). With ``stats``,
    ``stats.mail_seen`` is set when one of them is a mail server's entry (parsed): the
    whole of them is framed then, once."""
    data = chunk.data
    seek_mail = stats is not None and not stats.mail_seen
    for size in SNIFF_BYTES[-1:] if seek_mail else SNIFF_BYTES:
        part = data[:size]
        if len(data) > size:
            end = part.rfind(b"\n")
            part = part[: end + 1] if end >= 0 else part
        framer = options.framer(None, False, ReadStats())
        records = list(framer.frame_chunk(chunk._replace(data=part)))
        if stats is not None and seek_mail and any(parse(record) for record in records):
            stats.mail_seen = True
        if any(record.program or record.time for record in records):
            return True
        if records and all(journal_marker(record.message) for record in records):
            return True  # journalctl's output, nothing else (``-- No entries --``)
        if len(data) <= size:
            break
    return False


def _timed(
    items: Iterator[tuple[Record, bool]],
    order: int,
    stats: ReadStats | None,
    command: str = "analyze",
) -> Iterator[tuple[float, int, int, int, tuple[Record, bool]]]:
    """(time, rank, stream, sequence, item) for the merge; a record without a time sorts
    with the record before it. ``rank`` puts PAM's own lines (:func:`pam_unix_line`)
    before the other inputs' lines of the same time. With ``stats`` (the analysis, and
    ``explain``, whose ``command`` the advice names), one that goes back in time is said
    (:class:`_Order`)."""
    last = float("-inf")
    rank = 1
    ordered = _Order(command) if stats is not None else None
    for sequence, item in enumerate(items):
        record = item[0]
        time = record.time
        if time is not None:
            last = posix_seconds(time)
            rank = 0 if pam_unix_line(record.message) else 1
            if ordered is not None and stats is not None:
                ordered.entry(last, record, stats)
        yield last, rank, order, sequence, item


_PAM_HEADS = frozenset({"auth", "dovecot", "dovecot-auth"})
"""What may stand before ``pam_unix(`` in the message of PAM's own line: the heads of
Dovecot's auth process and log process (``auth: pam_unix(…)``; ``auth-worker(N)`` too)."""


def pam_unix_line(message: str) -> bool:
    """Whether an entry is PAM's own (``pam_unix(dovecot:auth): authentication failure;
    …``), perhaps behind the heads :data:`_PAM_HEADS` Dovecot puts before it.

    PAM writes its line while Dovecot's auth process waits for it, so it comes before
    Dovecot's (and Postfix's) lines of the same attempt; Debian's syslog writes it to
    auth.log, theirs to mail.log. Syslog stamps the lines to the second: when several
    logs are merged, PAM's line of a second goes before the other inputs' lines of that
    second, where it was written, so that the detector meets it first and counts the
    attempt once (:mod:`mailwarden.detect.sessions`). Only that order is decided by
    this: a client's text cannot move a line to another second."""
    if message.startswith("pam_unix("):
        return True
    at = message.find(": pam_unix(", 0, 64)
    if at < 0:
        return False
    for head in message[:at].split(": "):
        if head not in _PAM_HEADS and not (
            head.startswith("auth-worker(") and head.endswith(")") and head[12:-1].isdigit()
        ):
            return False
    return True


def _items_of_streams(
    streams: Sequence[Stream],
    options: ReadOptions,
    counts: Counts,
    progress: Progress,
    analysis: bool,
) -> Iterator[tuple[Record, bool]]:
    if len(streams) == 1:
        yield from _items_of_stream(streams[0], options, counts, progress, analysis)
        return
    merged = _merge(
        [_items_of_stream(stream, options, counts, progress, analysis) for stream in streams],
        counts.read if analysis else None,
    )
    yield from _once(merged, counts.read)


def _merge(
    inputs: Sequence[Iterator[tuple[Record, bool]]],
    stats: ReadStats | None,
    command: str = "analyze",
) -> Iterator[tuple[float, int, int, int, tuple[Record, bool]]]:
    """The items of several inputs (each in its own order) merged by time, PAM's own
    lines first within a time, stable otherwise (:func:`_timed`): the one merge of
    :func:`scan`, :func:`merged_records` and :func:`time_ordered`."""
    return heapq.merge(
        *(_timed(items, order, stats, command) for order, items in enumerate(inputs))
    )


def _once(
    merged: Iterator[tuple[float, int, int, int, tuple[Record, bool]]], stats: ReadStats
) -> Iterator[tuple[Record, bool]]:
    """The merged items without the lines another input already gave: rsyslog writes
    every mail line to both mail.log and syslog (Debian), and to mail.info, mail.warn
    and mail.err by level, so ``analyze /var/log/`` meets most lines twice or more.
    A line (its whole text, the time in it included) that another input gave at the
    same time is dropped and counted (``stats.duplicates``); each input keeps as many
    copies as it has, so a line that one input holds twice (two identical failures in
    one second) still counts twice, however many inputs hold it."""
    second = float("nan")
    seen: dict[str, dict[int, int]] = {}
    """text -> how many times each input gave it, for the lines of this time."""
    for moment, _rank, order, _sequence, item in merged:
        if moment != second:
            seen.clear()
            second = moment
        text = item[0].text
        copies = seen.get(text)
        if copies is None:
            seen[text] = {order: 1}
            yield item
            continue
        mine = copies.get(order, 0) + 1
        copies[order] = mine
        most = 0  # copies the other inputs gave
        for other, count in copies.items():
            if other != order and count > most:
                most = count
        if mine > most:
            yield item
        else:
            stats.duplicates += 1


def merged_records(inputs: Sequence[Iterator[Record]], stats: ReadStats) -> Iterator[Record]:
    """The records of several inputs (each in its own order) merged by time, as
    :func:`scan` merges streams: PAM's own lines first within a second
    (:func:`pam_unix_line`), a line another input already gave dropped (:func:`_once`).
    One record of each input is held at a time (``explain`` on mail.log and auth.log).
    An input whose entries go back in time is said in ``stats.disorder``, as
    :func:`ordered_records` says it of one input."""
    merged = _merge(
        [((record, False) for record in records) for records in inputs], stats, "explain"
    )
    for record, _maybe in _once(merged, stats):
        yield record


def ordered_records(records: Iterable[Record], stats: ReadStats) -> Iterator[Record]:
    """``records`` (one input: a file or a rotated set, standard input) as they come;
    the first entry of each file that goes back in time is said in ``stats.disorder``
    (:class:`_Order`, the note ``analyze`` gives, its advice naming ``explain``)."""
    order = _Order("explain")
    previous: datetime | None = None
    for record in records:
        time = record.time
        if time is not None and time is not previous:
            previous = time
            order.entry(posix_seconds(time), record, stats)
        yield record


def time_ordered(inputs: Sequence[Iterable[Record]]) -> Iterator[Record]:
    """The records of several inputs (each in its own order) merged by time as
    :func:`merged_records` merges them, PAM's own lines first within a second, but with
    every record kept: the daemon drops another input's copy of an entry itself
    (:mod:`mailwarden.daemon.duplicates`, which says so and counts it)."""
    merged = _merge([((record, False) for record in records) for records in inputs], None)
    for _moment, _rank, _order, _sequence, (record, _maybe) in merged:
        yield record


def records_of_streams(
    streams: Sequence[Stream], options: ReadOptions, counts: Counts, progress: Progress
) -> Iterator[Record]:
    """The records of every stream (the parsers' prefilter); several streams are merged
    by time."""
    for record, _maybe in _items_of_streams(streams, options, counts, progress, False):
        counts.records += 1
        yield record


def records_for_analysis(
    streams: Sequence[Stream], options: ReadOptions, counts: Counts, progress: Progress
) -> Iterator[tuple[Record, bool]]:
    """(record, maybe) for every record the analysis needles keep, in feed order:
    ``maybe`` records are for :meth:`Relevance.record` to decide on (the stages of
    :func:`analysis_events`, for benchmarks)."""
    return _items_of_streams(streams, options, counts, progress, True)


def parser() -> Callable[[Record], list[Event]]:
    """:func:`mailwarden.parsers.parse`, looked up in this module when a scan starts: the
    tests replace ``scan.parse`` to send records with several events through both
    paths, and a compiled module (mailwarden.native) would otherwise keep the one it
    imported."""
    found: Callable[[Record], list[Event]] = globals()["parse"]
    return found


def analysis_events(
    streams: Sequence[Stream],
    options: ReadOptions,
    counts: Counts,
    progress: Progress,
    runs: Sequence[tuple[str, int]] = (),
) -> Iterator[tuple[Record, list[Event]]]:
    """Each record that can change the analysis with its events that can, in feed order
    (time order across streams, line order within one; with ``runs``, time order across
    the runs of a stream that goes back in time: :func:`_runs_merged`). ``counts``:
    ``records`` and ``events`` count what was framed and parsed."""
    relevance = Relevance()
    wanted, matters = relevance.record, relevance.event
    parse_record = parser()
    records = recognised = events = 0
    last: tuple[str, int] | None = None  # the last recognised physical line
    sources = counts.recognised_in
    try:
        for batch, maybe in _analysis_batches(streams, options, counts, progress, runs):
            for record in batch:
                if not wanted(record, record.line in maybe):
                    continue
                records += 1
                found = parse_record(record)
                if found:
                    if last is None or record.line != last[1] or record.source != last[0]:
                        recognised += 1  # pasted text: several entries, one line
                        if last is None or record.source != last[0]:
                            sources.add(record.source)
                        last = (record.source, record.line)
                    events += len(found)
                    kept = [event for event in found if matters(event)]
                    if kept:
                        yield record, kept
    finally:
        counts.records += records
        counts.recognised += recognised
        counts.events += events


def scan(
    streams: Sequence[Stream],
    options: ReadOptions,
    feed: Callable[[Event], object],
    counts: Counts,
    progress: Progress | None = None,
    *,
    parallel: bool | None = None,
    runs: Sequence[tuple[str, int]] = (),
) -> None:
    """Read every stream and feed each event that can change the analysis to ``feed``
    (the detector), in time order across streams and line order within one. Counts go
    to ``counts``.

    ``parallel``: read in a worker process while this one feeds
    (:mod:`mailwarden.scanpool`); None decides by the machine and the input size.
    ``runs``: read again in time order the streams that a first reading found going back
    in time (``ReadStats.runs``: :func:`_runs_merged`), in this process."""
    progress = progress or _NoProgress()
    if runs:
        for _record, events in analysis_events(streams, options, counts, progress, runs):
            for event in events:
                feed(event)
        return
    if (parallel is None or parallel) and not any(stream.starts for stream in streams):
        from mailwarden import scanpool

        if parallel or scanpool.worth_a_worker(streams):
            scanpool.scan_parallel(streams, options, feed, counts, progress)
            return
    for _record, events in analysis_events(streams, options, counts, progress):
        for event in events:
            feed(event)


def input_size(paths: Sequence[str]) -> int:
    """Bytes on disk of the input files (0 for standard input)."""
    total = 0
    for path in paths:
        if path == STDIN:
            continue
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
    return total


__all__ = [
    "ALWAYS_NEEDLES",
    "CHUNK_SIZE",
    "MAX_RUNS",
    "MAYBE_NEEDLES",
    "JournalQuery",
    "Progress",
    "Relevance",
    "Stream",
    "analysis_events",
    "analysis_records_of_chunk",
    "input_size",
    "merged_records",
    "order_note",
    "ordered_records",
    "pam_unix_line",
    "records_for_analysis",
    "records_of_chunk",
    "records_of_stream",
    "records_of_streams",
    "scan",
    "streams_of",
    "time_ordered",
]
