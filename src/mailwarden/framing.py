"""Framing: Chunk bytes -> Records (one log entry each), whatever the log's style.

Recognised per line, without configuration (the first character picks the style):

- classic syslog ``Feb  3 11:57:42 host prog[pid]: msg`` (space-padded day), Postfix
  postlog / Dovecot file logs ``Feb 03 …`` (zero-padded), ``Mar 7 …``, with or without
  a host, with optional fractional seconds;
- RFC 3339 (rsyslog's high-precision format) ``2026-02-23T11:57:42.123456+01:00 …``,
  ``…Z``, and ``2026-02-23 11:57:42 …`` without a zone (Dovecot's log_timestamp);
- RFC 5424 ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG``;
- daemontools TAI64N ``@400000004c91b044077a9e94 msg``, ``journalctl -o short-unix``;
- ``journalctl -o json`` lines (MESSAGE, SYSLOG_IDENTIFIER, _PID before SYSLOG_PID since
  _PID is the trusted one, __REALTIME_TIMESTAMP in µs, _HOSTNAME);
- bare messages with no header (``imap-login: Disconnected …``, ``warning: …``): program
  None and the whole text as message, unless the line starts with an unmistakable tag
  (``postfix/smtpd[123]: …``: a pid or a ``/``, or ``dovecot: …``).

Decisions:
- The tag is ``[A-Za-z0-9_./-]+`` with an optional ``[pid]``, then ``:``. Dovecot's
  ``auth(user,1.2.3.4,sasl:plain)<sess>: Info: …`` (2.4) and ``auth-worker(304): …`` (2.3)
  are not tags: program is None and the message keeps the whole text, so the Dovecot
  parser sees exactly what Dovecot wrote.
- Messages never end in whitespace (Postfix's empty SASL reason leaves ``failed: `` in a
  file but ``failed:`` in a paste; parsers see one form: ``failed:``).
- A line's trailing ``\\r`` is dropped; leading blanks are skipped.
- A year is needed for classic dates: from ``year`` (the first entry's year, moving on
  when the months go back from late in the year to early; an entry many months ahead of
  the last one is later in the same year, a sparse input such as ``grep``'s going on
  from March to October, unless it goes back: a line written a little late at New
  Year, ``Dec 31 23:59:59`` after ``Jan  1 00:00:01``, or an older file after a newer
  one, ``cat mail.log mail.log.1``, no more than `STRAGGLER_DAYS` days before the
  latest day dated, which stays in the year before), else from
  ``reference`` (an input's mtime, or the time standard input is read), else from the
  current time, each entry on its own, which is what the daemon wants. With
  ``reference``, the input is dated as with ``year``, running forward and moving on at
  New Year, from a first entry's year chosen so that its entries end no more than a day
  after the reference: so that ``last`` (the input's last classic stamp, when it can be
  read cheaply: see :func:`last_classic_stamp`) is no more than a day after it, or else
  the first entry itself. ``last`` earlier in the year than the first entry is in the
  next year when the months go back by more than six, or when the first entry would
  otherwise be after the reference (a yearly log, Jan 1 06:25:03 to Jan 1 06:25:01);
  else the end goes back a little (``cat mail.log mail.log.1``, lines out of order). No
  entry is ever dated more than a day after the reference: one that running forward
  would put there, and those after it, go back a year (an input spanning a year or more
  whose end is not known: standard input, a compressed file). (Each entry was dated on
  its own before: a file copied without its mtime, whose entries ran past it by more
  than a day, went back a year in its middle.)
- Times are aware datetimes; a time without a zone is taken in ``tz`` (default: the
  local zone, with its DST rules for that instant). A wall time the clocks went through
  twice (``Oct 25 02:30`` in Berlin, when summer time ends) is read the second time by
  the daemon (a framer dating by the current time) unless that is after now, and in an
  input read after the fact once its entries go back more than `FOLD_SLACK` in such an
  hour (they have passed ``02:59`` once); a time the clocks skipped (``Mar 29 02:30``)
  with the offset before the change (see :meth:`Framer._changing`). The times of such
  an hour are never cached.

A framer made ``native`` (:meth:`mailwarden.pipeline.ReadOptions.framer`: analyze, events,
explain) frames the classic syslog and RFC 3339 lines of a plain chunk in C (mailwarden/_fastpath.c,
when it is built: the same records as ``_common``, tests/analyze/test_fastpath.py), the
rest as before; the analyzer gives it only the lines it keeps
(:meth:`Framer.frame_plain_lines`). The daemon's framers are not native: what it reads
comes a few lines at a time, and the least code that reads an attacker's text as root,
the better.

Pasted text (a whole excerpt on one physical line) is split at each further header when
``split_pasted`` is true. The callers turn it on only for an input that *is* pasted
text: one whose first line, and at least half of its first 64 lines, hold several
entries (`looks_pasted`). A log file written by syslog, Postfix or Dovecot has one entry
per line, so none of its lines is split for the text a client put into one of them
(the first line after a rotation can be a sender's Message-ID); the daemon never splits
at all. A line with no header at its start but junk before one (no letter or digit:
binary debris, a ``> `` quote) keeps the entry from that header; a bare message's or a
``<PRI>`` line's text is no junk. A line holding NULs is binary, but for the entry
whose header starts right after its last NUL run (a crash: a half-written entry, NULs,
the next one), which is kept (`_after_nuls`). Client-chosen text can hold a
complete fake header (Postfix only replaces unprintable bytes), so a split point never
lies inside a client-controlled field: `_PROTECTED` lists the fields and how far each can
reach, from the sources. A field that ends its record (a HELO name, a sender, a SASL
username, a mailbox name, the message of a Dovecot mail process's error or warning, ...)
reaches to the end of the record: 2000 bytes for Postfix, the line for other programs;
even when the server cuts it (a SASL username at 100 characters), a forged line can pad
it to that length and forge on right where a real entry would begin. Only a field the
server follows with its own text keeps its bound (a Dovecot user 80 characters, then
``>``), and must show that end within it; the TLS plaintext dump (min(N, 40)
characters: the user's own excerpt needs the entries after it), which the next entry
must follow at once; and the reason of a SASL failure, which ends its record, but is
the client's only when it is not one of the texts a server writes by itself (an empty
reason, Cyrus' ``authentication failure``, ...: `_SERVER_REASON`; a site's own reason
may hold the client's name). A field longer than the server writes
it holds the rest of the line together; a header held inside a field has a record of its
own for the fields after it (the later of the two ends counts). The price is paid in
pasted text only: a real entry that starts within such a reach stays inside the entry
before it, counted in `ReadStats.held_together`, rather than risk a forged one. Entries
recovered by splitting share the physical line's number and offset.
"""

from __future__ import annotations

import itertools
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from itertools import accumulate, chain, pairwise
from operator import add

from mailwarden.model import Record
from mailwarden.sources.interface import MAX_LINE, Chunk, ReadStats

# -- the header styles -------------------------------------------------------------------


def _compile(pattern: str) -> re.Pattern[str]:
    """ASCII matching: \\d and \\s mean ASCII digits and blanks only (and match twice as fast)."""
    return re.compile(pattern, re.ASCII)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_MONTH_NAMES = tuple(_MONTHS)  # not %b: that follows the locale
_MONTH_BYTES = tuple(f"{name} ".encode() for name in _MONTH_NAMES)
"""How each classic stamp starts: ``b"Jan "``."""
_MONTH_RE = "(?:" + "|".join(_MONTHS) + ")"
_HOST = r"[A-Za-z0-9_.:-]++(?<!:)"  # a name or an address; never ends in ':'
_TAG = r"[A-Za-z0-9_./-]++"
_REST = r"(?:(" + _HOST + r") )?(" + _TAG + r")(?:\[(\d{1,10})\])?:(?: |$)"
"""After a timestamp: optional host, the tag, optional [pid], colon."""

_BSD_STAMP = _MONTH_RE + r" [ 0-3]?\d \d\d:\d\d:\d\d"
_BSD = _compile(r"(" + _BSD_STAMP + r")(\.\d{1,9})? " + _REST)
_BSD_ONLY = _compile(r"(" + _BSD_STAMP + r")(\.\d{1,9})?(?: |$)")

_ISO_STAMP = r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:?\d\d)?"
_ISO = _compile(_ISO_STAMP + " " + _REST)
_ISO_ONLY = _compile(_ISO_STAMP + r"(?: |$)")
_ISO_STAMP_RE = _compile(_ISO_STAMP)

_UNIX = _compile(r"(\d{9,11})(\.\d{1,9})? " + _REST)
_UNIX_ONLY = _compile(r"(\d{9,11})(\.\d{1,9})?(?: |$)")

_TAI = _compile(r"@([0-9a-f]{16})([0-9a-f]{8}) " + _REST)
_TAI_ONLY = _compile(r"@([0-9a-f]{16})([0-9a-f]{8})(?: |$)")
_TAI_EPOCH = (1 << 62) + 10  # label of 1970-01-01 00:00:00 as daemontools writes it

_RFC5424 = _compile(
    r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) "
    r"(-|(?:\[(?:[^\"\]]|\"(?:[^\"\\]|\\.)*\")*\])+)(?: |$)"
)
_BARE_TAG = _compile(r"(" + _TAG + r")(?:\[(\d{1,10})\])?:(?: |$)")
_WITH_TAG = frozenset((_BSD, _ISO, _UNIX, _TAI))
"""The header patterns that end in host, tag, pid (their last three groups)."""

_STARTS_BSD = frozenset("JFMASOND")
_DIGITS = frozenset("0123456789")

_BINARYISH = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
"""Characters of binary junk: C0 controls other than tab/CR/LF, DEL, U+FFFD."""
PLAIN_ASCII = bytes(range(32, 127)) + b"\t\r\n"
_PADDING = "\x00\ufeff"
"""What may stand before an entry on its line: NUL padding, a byte-order mark."""
"""Bytes of plain text: a chunk with no other byte is framed inline."""
_new = tuple.__new__
"""Record(...) through its generated __new__ costs a Python call per line; this does not."""

NativeFrame = Callable[
    [
        bytes,
        bytes,
        list[int],
        int,
        int,
        int,
        str,
        type[Record],
        dict[str, datetime | None],
        Callable[[str, str | None], datetime | None],
        Callable[[str, str | None, str | None], datetime | None],
        bool,
    ],
    tuple[list[Record], int],
]
"""mailwarden._fastpath.frame (see :meth:`Framer.frame_plain_lines`)."""
Select = Callable[
    [bytes, tuple[tuple[bytes, ...], ...]], tuple[bytes, bool, list[int], list[int], list[int]]
]
"""mailwarden._fastpath.select: (starts, plain, kept, check, chat) of a chunk's lines."""
native_select: Select | None
native_frame: NativeFrame | None
try:
    from mailwarden._fastpath import frame as _frame_in_c
    from mailwarden._fastpath import select as _select_in_c

    native_select, native_frame = _select_in_c, _frame_in_c
except ImportError:  # not built (pure Python, no compiler): the same, in Python
    native_select = native_frame = None
NO_NEEDLES: tuple[tuple[bytes, ...], ...] = ((),) * 6
"""``native_select(data, NO_NEEDLES)``: only the starts of the lines, and plain."""


class EncodedLines:
    """The lines of a chunk (``starts``: where each begins, as mailwarden._fastpath's
    ``select`` gives them), decoded one at a time as :func:`mailwarden.scan._decoded_lines`
    decodes them all (ASCII, or UTF-8 with surrogate escapes: the same text, since a line
    feed is never part of a UTF-8 sequence). For the C fast path in scan and here."""

    def __init__(self, data: bytes, starts: memoryview) -> None:
        self.data = data
        self.starts = starts
        self.encoding = "ascii" if data.isascii() else "utf-8"

    def text(self, index: int) -> str:
        starts = self.starts
        raw = self.data[starts[index] : starts[index + 1] - 1]
        return raw.decode(self.encoding, "surrogateescape")

    def holding(self, mark: bytes) -> list[int]:
        """The lines that hold ``mark`` (no line feed in it), in order, each once."""
        data, starts = self.data, self.starts
        found: list[int] = []
        at = data.find(mark)
        while at >= 0:
            index = bisect_right(starts, at) - 1
            found.append(index)
            at = data.find(mark, starts[index + 1])  # on from the next line
        return found


# -- pasted text -------------------------------------------------------------------------

_HINT = _compile(r":\d\d:\d\d[ .Zz+-]")
"""Cheap test: could this message contain another header? (The literal first character
makes the search fast; TAI64N pastes are tested apart.)"""

_CANDIDATE = _compile(
    r"(?<!\S)(?:"
    + _BSD_STAMP
    + r"(?:\.\d{1,9})?"
    + r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:?\d\d)?"
    + r"|@[0-9a-f]{24}"
    + r") (?:"
    + _HOST
    + r" )?(?:"
    + _TAG
    + r"(?:\[\d{1,10}\])?:(?: |$)|auth(?:-worker)?\()"
)
"""A further entry's header inside a pasted line: timestamp, optional host, tag[pid]:
(or Dovecot's auth( prefix), preceded by whitespace."""

_POSTFIX_RECORD = 2010
"""Postfix caps a record at 2000 bytes after ``prog[pid]: `` (msg_syslog.c, msg_logger.c)
plus ``warning: ``; a Postfix entry's client text cannot reach beyond this."""
_LINE_END = -1
_RECORD_END = -2

_SERVER_TEXT = -3
"""A field that ends its record, unless it is a text the server writes by itself."""
_MAIL_PROCESS = (
    r"(?<![^\s:])(?:imap|pop3|lmtp|lda|dovecot-lda|deliver|indexer-worker|doveadm|"
    r"submission|managesieve|imap-hibernate|imap-urlauth(?:-worker)?|quota-status)"
)
"""Dovecot's processes that open a user's mailboxes, as their log prefix names them."""
_SERVER_REASON = _compile(
    "(?:"
    + "|".join(
        re.escape(text)
        for text in (
            # Postfix with Dovecot (xsasl_dovecot_server.c): no reason= (empty; 3.9+:
            # "(reason unavailable)"), a stale LOGIN challenge (before 3.9), its own.
            "",
            "(reason unavailable)",
            "UGFzc3dvcmQ6",
            "VXNlcm5hbWU6",
            "Invalid base64 data in initial response",
            "Invalid base64 data in continued response",
            "Connection lost to authentication server",
            "Can't connect to authentication server",
            "Authentication backend error",
            # Dovecot's own protocol errors (auth-request-handler.c).
            "Unexpected continuation",
            "Authentication request timed out",
            # Cyrus (sasl_errstring, lib/common.c), NOUSER shown as BADAUTH.
            "generic failure",
            "no memory available",
            "overflowed buffer",
            "no mechanism available",
            "bad protocol / cancel",
            "can't request info until later in exchange",
            "invalid parameter supplied",
            "transient failure (e.g., weak key)",
            "integrity check failed",
            "SASL library not initialized",
            "SASL library is not initialized",
            "authentication failure",
            "authorization failure",
            "mechanism too weak for this user",
            "encryption needed to use mechanism",
            "One time use of a plaintext password will enable requested mechanism for user",
            "passphrase expired, has to be reset",
            "account disabled",
            "user not found",
            "version mismatch with plug-in",
            "remote authentication server unavailable",
            "user exists, but no verifier for user",
            "passphrase locked",
            "requested change was not needed",
            "passphrase is too weak for security policy",
            "user supplied passwords are not permitted",
            "undefined error!",
        )
    )
    # The client's mechanism, quoted: one token (smtpd splits AUTH at blanks).
    + r"|Invalid authentication mechanism(?:: '\S*')?"
    # A server challenge Postfix before 3.9 leaves as the reason, one base64 token:
    # CRAM-MD5's "<digits.digits@host>" (PD…), DIGEST-MD5's, LOGIN's prompts above.
    + r"|[A-Za-z0-9+/]{8,}={0,2}"
    + r")\s*"
)
"""Reasons a server writes all by itself (_SERVER_TEXT): the whole reason, as
``fullmatch`` from the field's start to where the next entry would begin. Any other
reason may hold a site's text around the client's name: it reaches to the record's end."""
_USER = r"user=<"
_PREFIX = r"(?<![^\s:])[a-z][a-z0-9-]*\("
_PROTECTED: tuple[tuple[str, int], ...] = (
    # Postfix TLS plaintext dump: at most 40 of the N bytes (tls_stream.c), handled apart;
    # the record ends with it, so the next entry must follow (see _DUMP_SLACK).
    (r"\b(?:Read|Write) (\d{1,9}) chars: ", 40),
    # SASL username: %.100s at the end of "authentication failed" (3.9+): the record's
    # end, as the server ends the field (a forged line can pad it to 100 and forge on
    # after it, right where a real entry would start); in the client= line and reject
    # lines an account name, %s, then sasl_sender= or the record's end.
    (r"sasl_username=", _RECORD_END),
    # The reason of "SASL <mech> authentication failed: <reason>" (smtpd_sasl_glue.c):
    # Cyrus' sasl_errstring() (fixed texts), Postfix's own (xsasl_dovecot_server.c), or
    # the reason= Dovecot's FAIL carries, printable()'d: a passdb extra field a site
    # writes as it likes (extra fields expand %u: the client's name). Before 3.9 the
    # reason ends the record (3.9+ adds ", sasl_username=", protected above), so it
    # reaches to the record's end, unless it is a text the server writes all by itself
    # (_SERVER_REASON): then the entry after it is a real one (the user's excerpt).
    (r"\bSASL \S+ authentication failed: ", _SERVER_TEXT),
    # Dovecot login user=<…>: str_sanitize(…, 80) (login-common), then ">"; orig_user=<.
    (_USER, 80),
    # Errors and warnings of Dovecot's mail processes (imap(user)<pid><session>: Error: …)
    # name the user's mailboxes and their files all through: the mailbox event prefix
    # "Mailbox <vname>: " (mail-storage.c, the name unsanitised), "Couldn't open mailbox
    # <vname>", index and cache files, "open(<path>) failed" with the folder's name in
    # the path (Maildir/.<name>/…). The whole message is the user's text to the line's
    # end. (Before _PREFIX: at the same place the first pattern that matches wins.)
    (
        _MAIL_PROCESS + r"\([^)]{0,256}\)(?:<[^>]{0,64}>){0,2}: (?:Error|Warning|Fatal|Panic): ",
        _RECORD_END,
    ),
    # Dovecot auth prefixes auth(user,…), passwd-file(user,…), imap(user): 64 (auth-request.c),
    # then "," or ")".
    (_PREFIX, 64),
    # smtpd client= line and reject lines: sasl_sender=%s, the xtext of MAIL FROM AUTH=
    # as the (authenticated) client sent it, unbounded (smtpd.c, smtpd_check.c).
    (r"\bsasl_sender=", _RECORD_END),
    # Dovecot mail_log: mailbox names the user chose (str_sanitize 64; mail-log-plugin.c):
    # "copy from <box>: box=<box>, uid=…", "Mailbox created|deleted: <box>",
    # "Mailbox renamed: <box> -> <box>". To the record's end, like the msgid= after them.
    # And the mailbox event prefix "Mailbox <vname>: " at a message's start, at any level
    # (syslog writes no "Info: "), and "Couldn't open mailbox <vname>: …" (fts-lucene,
    # imap-urlauth). Not any "mailbox ": a header's host may be named so (mailbox,
    # mx-mailbox), and the entries after it must still split.
    (r"\bbox=|\bcopy from |(?<=: )Mailbox |\b[Cc]ouldn't open mailbox ", _RECORD_END),
    # Envelope and HELO (smtpd reject lines, cleanup, Dovecot mail_log): record end.
    (r"\b(?:helo|from|to|orig_to|msgid|message-id)=<", _RECORD_END),
    # Dovecot LDA/LMTP deliver_log_format "msgid=%m: %$" (the Message-ID as sent, no
    # <> needed, str_sanitize 200) and mail_log's from= and subject= (the sender's text).
    (r"\b(?:msgid|from|subject)=", _RECORD_END),
    # Dovecot 2.3 auth: "Username character disallowed by auth_username_chars: 0x20
    # (username: %s)", str_sanitize(…, 128) of what the client sent: the record's end.
    (r"\(username: ", _RECORD_END),
    # Dovecot imap_id_log: "ID sent: key=value, …", the client's IMAP ID, keys and
    # values its own (cut to 30 and 80 characters, as many as it sends).
    (r"\bID sent: ", _RECORD_END),
    # smtpd: non-SMTP command (%.100s), request too long (%.30s...), unread input
    # (escape()'d, up to 100 bytes); postscreen: PREGREET text (%.100s). Each ends its
    # record (bounded, but the field runs to the record's end: as sasl_username= above).
    (r"non-SMTP command from \S+: ", _RECORD_END),
    (r"request longer than \d+: ", _RECORD_END),
    (r"improper command pipelining after \S+ from \S+: ", _RECORD_END),
    # postscreen: PREGREET; COMMAND PIPELINING / NON-SMTP COMMAND text.
    (r"PREGREET \d+ after \S+ from \S+: ", _RECORD_END),
    (r"(?:COMMAND PIPELINING|NON-SMTP COMMAND) from ", _RECORD_END),
    # Reject/hold/... lines (log_whatsup, cleanup header/body checks): reply echoes input.
    (
        r"\b[0-9A-Za-z]{5,}: (?:reject|milter-reject|hangup|info|warn|discard|hold|"
        r"redirect|filter|reject_warning|replace|prepend|strip|bcc): ",
        _RECORD_END,
    ),
    (r"\bin (?:MAIL|RCPT|VRFY|ETRN|HELO|EHLO) command: ", _RECORD_END),
    # Verbose SMTP chat (smtpd -v, debug_peer_list): both directions, whole line.
    (r"(?<![^\s:])[<>] [A-Za-z0-9._-]+\[[0-9A-Fa-f:.]+\](?::\d+)?: ", _RECORD_END),
    # Cyrus and Dovecot SASL debugging: decoded client data, auth server replies.
    (
        r"SASL authentication (?:failure|problem|info|debug|trace|pass): "
        r"|decoded (?:initial )?response:? |auth reply: ",
        _RECORD_END,
    ),
    # Dovecot auth_verbose_passwords: the guessed password itself.
    (r"given password: ", _LINE_END),
    # cleanup: Message-ID headers as sent, with or without <> (cleanup_message.c), and
    # header/body_checks WARN ("warning: header Subject: …", %.200s of the header).
    (r"\b(?:resent-)?message-id=", _RECORD_END),
    (r"\bwarning: (?:header|body|mime-header|nested-header) ", _RECORD_END),
    # tls_server.c: an SNI name the client sent that is not valid.
    (r"TLS SNI from \S+ is invalid: ", _RECORD_END),
    # SMTP/LMTP client: the remote server's reply text (it chooses it).
    (r"\bsaid: ", _RECORD_END),
)
_PROTECTED_RE = _compile("|".join(f"({pattern})" for pattern, _ in _PROTECTED))
_PROTECTED_SIZE = tuple(size for _, size in _PROTECTED)
_FIELD_END = tuple({_USER: ">", _PREFIX: ",)"}.get(pattern) for pattern, _ in _PROTECTED)
"""For each bounded pattern but the dump: the characters, one of which the server writes
right after its field (user=<…>, auth(user,…), imap(user)). A field that does not show
one within its limit is longer than a server writes it: the line is not as a server
wrote it, and nothing after that field on the line is split off."""
_DUMP_SLACK = 8
"""The plaintext dump ends its record: the next entry starts right after its min(N, 40)
characters. A paste edited by hand may run a little past them (the user's excerpt
replaced a hostname by ``(domain)``: 2 more); an entry starting further on means the
dump is longer than Postfix writes it, and nothing after it on the line is split off
(:func:`_overrun`). An entry held inside the dump (it was shorter: redacted, blanks
squeezed) leaves its end unknown: then the entries after it split as before."""
_COUNT_GROUP = 2  # the (\d{1,9}) of the first pattern
_MARKER_REACH = 96  # longer than any marker text: where to rescan from


def padded_entry(raw: bytes) -> bool:
    """Whether a line longer than ``MAX_LINE`` ends in a line's worth of text after NUL
    bytes: the hole a crash leaves in a log (its NULs can run past 64 KiB), then the
    next entry, written on the same line. The entry is framed, not skipped with the
    over-long line (:meth:`Framer._checked`)."""
    cut = raw.rfind(b"\0")
    return cut >= 0 and len(raw) - cut - 1 <= MAX_LINE


def binary_line(line: str) -> bool:
    """Whether :meth:`Framer._checked` counts ``line`` (no longer than ``MAX_LINE``) in
    ``ReadStats.binary``: the analyzer counts so the lines its prefilter drops unframed
    (:func:`mailwarden.scan.binary_dropped`)."""
    line = line.strip()
    if line and line[0] in _PADDING:
        rest = line.lstrip(_PADDING).strip()
        if not rest and "\x00" in line:
            return True
        line = rest
    if not line or line.isprintable():
        return False
    return "\x00" in line or 2 * len(_BINARYISH.findall(line)) > len(line)


class Framer:
    """Turns chunks (or single decoded lines) into Records; see the module doc."""

    def __init__(
        self,
        *,
        year: int | None = None,
        reference: datetime | None = None,
        last: str | None = None,
        tz: tzinfo | None = None,
        split_pasted: bool = True,
        stats: ReadStats | None = None,
        native: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.stats = stats if stats is not None else ReadStats()
        self._clock = clock  # the current time (aware), for a framer without year or reference
        self._native = native  # frame classic syslog lines in C (mailwarden._fastpath)
        self._tz = tz
        self._split = split_pasted
        self._year = year
        self._last_month = 0
        self._last_day = 0  # the latest day of that month dated in the running year
        self._reference = self._naive_or_none(reference) if reference is not None else None
        self._ending = last  # the input's last classic stamp ("Nov 30 10:00:01"), if known
        # No classic entry is dated after this (dated by a reference, not by a year).
        self._limit = (
            _day_after(self._reference) if year is None and self._reference is not None else None
        )
        self._late: re.Pattern[bytes] | None = None  # see dates_alike
        self._first_second = 0  # the seconds of the input's first classic stamp
        self._live = year is None and self._reference is None  # the year comes from "now"
        self._day = date.today()
        self._bsd_cache: dict[str, datetime | None] = {}  # "Feb 23 11:57:42" ->
        self._bsd_minutes: dict[str, datetime | None] = {}  # "Feb 23 11:57" ->
        # (year, month, day, hour) of wall time -> its zone; None: the offset changes in it
        self._local_hours: dict[tuple[int, int, int, int], tzinfo | None] = {}
        self._offsets: dict[timedelta, tzinfo] = {}
        self._readings: dict[datetime, tuple[datetime, datetime]] = {}  # see _changing
        self._went_to: datetime | None = None  # see _changing
        self._changes: dict[int, tuple[bytes, ...]] = {}  # see _clock_changes
        self._iso_cache: dict[str, datetime | None] = {}
        self._zones: dict[str, tzinfo | None] = {}

    # -- public --------------------------------------------------------------------------

    def go_on_from(self, previous: Framer) -> None:
        """Date this input's year-less entries on from where ``previous`` (the input
        read before it, given a year) left off: a set whose older file ends on 31
        December and whose newer one begins on 1 January is in two years, not one."""
        if self._year is not None and previous._year is not None:
            self._year = previous._year
            self._last_month = previous._last_month
            self._last_day = previous._last_day
            self._went_to = previous._went_to

    def dating(self) -> tuple[int, int] | None:
        """Where the dating of classic entries stands when it goes on from the entries
        before (a ``year``, or a ``reference`` once the first entry is dated): the year
        and the month of the last entry dated; None otherwise."""
        if self._year is None:
            return None
        return self._year, self._last_month

    def dates_alike(self, data: bytes) -> bool:
        """Whether ``data`` (the chunk that comes next) gets the same dates here and in
        another framer of the same input set to this one's :meth:`dating` with
        :meth:`go_on_at`, and leaves the dating as it is: true when no month but the
        last entry's can start a classic stamp in it (no month at all before the first
        entry is dated), and that month is not the one a day after the reference ends
        in, or no stamp in it is of that day or later (such an entry, and the ones after
        it, go back a year: the other framer would not know), and the dating is not in
        January (the latest day dated there decides whether December goes back a
        year: `STRAGGLER_DAYS`); and for a framer that
        dates each entry on its own. A month's name in a message makes it say no: it
        need not be sure, only right when it says yes. (The stamps cached are forgotten
        at each new month and year, so a cached date is the one dating afresh gives.)
        Nor does it say yes for a chunk that may hold a time of an hour in which the
        clocks go back or skip ahead (``Oct 25 02:``, ``2026-10-25 02:``: its year's
        :meth:`_clock_changes`): which of its two readings such a time has depends on
        the entries before it in the same input (:meth:`_changing`)."""
        if self._live:
            return True  # each entry on its own, against the current time
        state = self.dating()
        years = (
            (state[0],)
            if state is not None
            else (self._limit.year - 1, self._limit.year)
            if self._limit is not None
            else ()
        )
        for year in years:
            if any(mark in data for mark in self._clock_changes(year)):
                return False
        if state is not None and state[1] and self._limit is not None:
            # Its month in the reference's: a day from the limit's on goes back a year.
            at, limit = (state[0], state[1]), (self._limit.year, self._limit.month)
            if at > limit or (at == limit and self._late_days().search(data) is not None):
                return False
        if state is not None and state[1] == 1 and self._last_day <= STRAGGLER_DAYS:
            # January: the latest day dated decides whether a December entry goes
            # back a year (_straggler), and the days of a chunk
            # framed by the other framer would not be seen here.
            return False
        month = _MONTH_BYTES[state[1] - 1] if state is not None and state[1] else None
        if month is not None and not self._split:
            # The usual chunk: every line starts with the month (two fast counts).
            lines = data.count(b"\n") + (not data.endswith(b"\n"))
            if data.startswith(month) + data.count(b"\n" + month) == lines:
                return True
        return not any(name in data for name in _MONTH_BYTES if name != month)

    def _clock_changes(self, year: int) -> tuple[bytes, ...]:
        """How the stamps of ``year``'s hours in which our zone's offset changes start
        (``Oct 25 02:``, ``Oct  5 02:``, ``2026-10-25T02:``, …), for :meth:`dates_alike`:
        found from the offsets at each day's start and end, once per year."""
        found = self._changes.get(year)
        if found is not None:
            return found
        marks: list[bytes] = []
        day = _date(year, 1, 1, 0, 0, 0)
        while day is not None:
            end = day.replace(hour=23, minute=59, second=59)
            if self._offset(day, 0) != self._offset(end, 1):
                for hour in range(24):
                    moment = day.replace(hour=hour)
                    if self._zone_of_hour(moment) is not None:
                        continue
                    name, number = _MONTH_NAMES[moment.month - 1], moment.day
                    days = (f"{number:2d}", f"{number:02d}", str(number))
                    marks += [f"{name} {text} {hour:02d}:".encode() for text in days]
                    marks += [f"{moment:%Y-%m-%d}{t}{hour:02d}:".encode() for t in "T "]
            day = day + _DAY if (day.month, day.day) != (12, 31) else None
        found = self._changes[year] = tuple(dict.fromkeys(marks))
        return found

    def _late_days(self) -> re.Pattern[bytes]:
        """A classic stamp of the limit's month on its day or after (``Nov 30 ``)."""
        if self._late is None:
            assert self._limit is not None
            days = "|".join(
                f"[ 0]?{day}" if day < 10 else str(day) for day in range(self._limit.day, 32)
            )
            self._late = re.compile(f"{_MONTH_NAMES[self._limit.month - 1]} (?:{days}) ".encode())
        return self._late

    def go_on_at(self, dating: tuple[int, int]) -> None:
        """Date on from ``dating`` (another framer's :meth:`dating` for the same input,
        at the start of the data given next), forgetting the dates of the entries
        before when it differs from this one's."""
        if dating != self.dating():
            self._year, self._last_month = dating
            self._last_day = 0
            self._bsd_cache.clear()
            self._bsd_minutes.clear()

    def frame_chunk(self, chunk: Chunk) -> Iterator[Record]:
        """The records of every line in the chunk, in order."""
        out: list[Record] = []
        data = chunk.data
        if data.isascii():
            select = native_select if self._native else None
            if select is not None:
                starts, plain, _kept, _check, _chat = select(data, NO_NEEDLES)
                if plain:
                    lines_at = EncodedLines(data, memoryview(starts).cast("q"))
                    every = list(range(len(lines_at.starts) - 1))
                    return iter(self.frame_plain_lines(data, starts, every, chunk, lines_at.text))
            lines = data.decode("ascii").split("\n")
            if not lines[-1]:
                lines.pop()
            self.stats.lines += len(lines)
            first, count = chunk.first_line, len(lines)
            numbers = range(first, first + count)
            offsets = line_offsets(lines, chunk.offset)
            if data.translate(None, PLAIN_ASCII):  # control characters: check each line
                self._each_checked(out, lines, chunk.source, numbers, offsets)
            else:
                self._common(out, lines, chunk.source, numbers, offsets)
        else:
            self._decoded(out, data, chunk.source, chunk.first_line, chunk.offset)
        return iter(out)

    def frame_lines(
        self,
        lines: Sequence[str],
        numbers: Iterable[int],
        offsets: Iterable[int],
        source: str,
        *,
        plain: bool,
    ) -> list[Record]:
        """The records of physical lines already cut (and filtered) by the caller:
        ``lines[i]`` is line ``numbers[i]`` of ``source``, at byte ``offsets[i]``.

        ``plain``: every line is printable ASCII (the chunk had no other byte), the
        common case, framed inline. Otherwise the lines may hold control characters or
        undecodable bytes as surrogate escapes (``decode("utf-8", "surrogateescape")``),
        and each is checked and decoded exactly as :meth:`frame_chunk` would (invalid
        UTF-8 replaced and counted). Every line given is counted in ``stats.lines``."""
        out: list[Record] = []
        self.stats.lines += len(lines)
        if plain:
            self._common(out, lines, source, numbers, offsets)
            return out
        for line, number, offset in zip(lines, numbers, offsets, strict=False):
            if line.isascii():
                self._checked(out, line, source, number, offset)
                continue
            raw = line.encode("utf-8", "surrogateescape")
            if len(raw) > MAX_LINE and not padded_entry(raw):
                self.stats.too_long += 1
                continue
            try:
                text, replaced = raw.decode("utf-8"), False
            except UnicodeDecodeError:
                text, replaced = raw.decode("utf-8", "replace"), True
            self._checked(out, text, source, number, offset, replaced)
        return out

    def frame_plain_lines(
        self,
        data: bytes,
        starts: bytes,
        kept: list[int],
        chunk: Chunk,
        line_at: Callable[[int], str],
    ) -> list[Record]:
        """:meth:`frame_lines` for the lines ``kept`` of a plain chunk (printable ASCII,
        tab, CR, LF only) whose line i is ``data[starts[i]:starts[i + 1] - 1]``
        (``starts``: native int64 values) and ``line_at(i)`` once decoded. The classic
        syslog and RFC 3339 lines are framed in C when it is built (:data:`native_frame`) and this
        framer was made ``native``; the rest, and all of them otherwise, as
        :meth:`frame_lines` frames them."""
        self.stats.lines += len(kept)
        out: list[Record] = []
        frame = native_frame if self._native else None
        if frame is None:
            self._common_at(out, kept, chunk, starts, line_at)
            return out
        position, count = 0, len(kept)
        while position < count:
            framed, unframed = frame(
                data,
                starts,
                kept,
                position,
                chunk.first_line,
                chunk.offset,
                chunk.source,
                Record,
                self._bsd_cache,
                self._bsd_time,
                self._iso_time,
                self._split,
            )
            out += framed
            position += len(framed)
            if unframed:  # lines C leaves to Python, dated before the next one C frames
                rest = kept[position : position + unframed]
                self._common_at(out, rest, chunk, starts, line_at)
                position += unframed
        return out

    def _common_at(
        self,
        out: list[Record],
        indexes: list[int],
        chunk: Chunk,
        starts: bytes,
        line_at: Callable[[int], str],
    ) -> None:
        """:meth:`_common` on the lines ``indexes`` of a chunk (as in frame_plain_lines)."""
        offsets = memoryview(starts).cast("q")
        first, base = chunk.first_line, chunk.offset
        texts = [line_at(index) for index in indexes]
        numbers = [first + index for index in indexes]
        self._common(out, texts, chunk.source, numbers, [base + offsets[i] for i in indexes])

    def frame_line(self, text: str, source: str, line: int, offset: int) -> list[Record]:
        """The records of one decoded physical line (several when it is pasted text)."""
        out: list[Record] = []
        self.stats.lines += 1
        self._checked(out, text, source, line, offset)
        return out

    # -- a chunk's lines -------------------------------------------------------------------

    def _common(
        self,
        out: list[Record],
        lines: Sequence[str],
        source: str,
        numbers: Iterable[int],
        offsets: Iterable[int],
    ) -> None:
        """The hot path: classic syslog and RFC 3339 lines framed inline (a method call per
        line costs as much as the regex); anything else goes through `_checked`."""
        bsd, iso, cache, hint = _BSD.match, _ISO.match, self._bsd_cache, _HINT.search
        frame, split, append = self._frame, self._split, out.append
        for line, number, offset in zip(lines, numbers, offsets, strict=False):
            match = None
            if 0 < len(line) <= MAX_LINE and line[0] > " " and line[-1] > " ":
                match = bsd(line)
                if match is not None:
                    stamp, fraction, host, program, pid = match.groups()
                    time = cache.get(stamp)
                    if time is None or fraction:
                        time = self._bsd_time(stamp, fraction)
                elif line[0] in _DIGITS:
                    match = iso(line)
                    if match is not None:
                        clock, fraction, zone, host, program, pid = match.groups()
                        time = self._iso_time(clock, fraction, zone)
            if match is None:
                self._checked(out, line, source, number, offset)
            else:
                message = line[match.end() :]
                if split and hint(message) is not None:
                    frame(out, line, source, number, offset)
                else:
                    pid_number = int(pid) if pid else None
                    record = (
                        time,
                        host,
                        program,
                        pid_number,
                        message,
                        source,
                        number,
                        offset,
                        line,
                    )
                    append(_new(Record, record))

    def _each_checked(
        self,
        out: list[Record],
        lines: Sequence[str],
        source: str,
        numbers: Iterable[int],
        offsets: Iterable[int],
    ) -> None:
        for line, number, offset in zip(lines, numbers, offsets, strict=False):
            self._checked(out, line, source, number, offset)

    def _decoded(
        self, out: list[Record], data: bytes, source: str, number: int, offset: int
    ) -> None:
        """Lines with non-ASCII bytes: decoded one by one (invalid UTF-8 is replaced)."""
        raw_lines = data.split(b"\n")
        if not raw_lines[-1]:
            raw_lines.pop()
        self.stats.lines += len(raw_lines)
        for raw in raw_lines:
            if len(raw) > MAX_LINE and not padded_entry(raw):
                self.stats.too_long += 1
            else:
                try:
                    text, replaced = raw.decode("utf-8"), False
                except UnicodeDecodeError:
                    text, replaced = raw.decode("utf-8", "replace"), True
                self._checked(out, text, source, number, offset, replaced)
            offset += len(raw) + 1
            number += 1

    # -- one physical line ----------------------------------------------------------------

    def _checked(
        self,
        out: list[Record],
        line: str,
        source: str,
        number: int,
        offset: int,
        replaced: bool = False,
    ) -> None:
        """Skip and count what is not a log entry; frame the rest."""
        stats = self.stats
        if len(line) > MAX_LINE:
            cut = line.rfind("\x00")
            if cut < 0 or len(line) - cut - 1 > MAX_LINE:
                stats.too_long += 1
                return
            # NUL padding longer than a line (a crash's hole), then an entry: the entry
            # counts, as after shorter padding (below); debris before the NULs is binary.
            if line[:cut].strip().lstrip(_PADDING):
                stats.binary += 1
                after = _after_nuls(line[cut:].strip())
                if after is not None:
                    stats.replaced += 1 if replaced else 0
                    self._frame(out, after, source, number, offset)
                return
            line = line[cut:]
        line = line.strip()
        if line and line[0] in _PADDING:
            # NUL padding before an entry (a file truncated under its writer, a crash)
            # or a byte-order mark at the start of a file: the entry after it counts.
            rest = line.lstrip(_PADDING).strip()
            if not rest and "\x00" in line:
                stats.binary += 1
                return
            line = rest
        if not line:
            stats.empty += 1
            return
        if not line.isprintable() and (
            "\x00" in line or 2 * len(_BINARYISH.findall(line)) > len(line)
        ):
            stats.binary += 1  # the line, or the debris before the entry after its NULs
            after = _after_nuls(line)
            if after is not None:  # what a crash leaves: debris, NULs, the next entry
                stats.replaced += 1 if replaced else 0
                self._frame(out, after, source, number, offset)
            return
        if replaced:
            stats.replaced += 1
        self._frame(out, line, source, number, offset)

    def _frame(self, out: list[Record], line: str, source: str, number: int, offset: int) -> None:
        """Frame one stripped, non-empty physical line (frame_chunk inlines the common case)."""
        first = line[0]
        if first == "{":
            record = self._journal(line, source, number, offset)
            if record is not None:
                out.append(record)
                return
        elif first == "<":
            record = self._rfc5424(line, source, number, offset)
            if record is not None:
                out.append(record)
                return
        record, end = self._header(line, source, number, offset)
        if self._split and (
            _HINT.search(line, end) is not None or (first == "@" and "@4000" in record.message)
        ):
            self._pasted(out, line, end, source, number, offset)
        elif end == 0 and record.time is None and _HINT.search(line) is not None:
            out.append(self._after_junk(record, line, source, number, offset))
        else:
            out.append(record)

    def _after_junk(
        self, record: Record, line: str, source: str, number: int, offset: int
    ) -> Record:
        """A line with junk before its header: what a crash or a write cut short
        leaves before the next entry (``\\xff\\xfe( Feb 23 …``), or a quote mark
        (``> Feb 23 …`` in a mail). The entry from that header counts. Only junk: no
        letter or digit. A bare message or a ``<PRI>`` line is no junk: its text runs
        on into client fields, where a header is forged (``user=<x Feb 23 …
        unknown[198.51.100.77]: SASL LOGIN authentication failed``). Else the line as
        it was."""
        found = _CANDIDATE.search(line)
        if found is None:
            return record
        if any(c.isalnum() for c in line[: found.start()]):
            return record
        return self._header(line[found.start() :], source, number, offset)[0]

    def _header(self, text: str, source: str, number: int, offset: int) -> tuple[Record, int]:
        """Frame one entry (any style but JSON/RFC 5424); also where its message starts."""
        first = text[0]
        time: datetime | None = None
        host = program = pid = None
        match = None
        end = 0
        if first in _STARTS_BSD:
            match = _BSD.match(text) or _BSD_ONLY.match(text)
            if match is not None:
                time = self._bsd_time(match[1], match[2])
        elif first in _DIGITS:
            if text[4:5] == "-":
                match = _ISO.match(text) or _ISO_ONLY.match(text)
                if match is not None:
                    time = self._iso_time(match[1], match[2], match[3])
            else:
                match = _UNIX.match(text) or _UNIX_ONLY.match(text)
                if match is not None:
                    time = self._from_epoch(int(match[1]), _micros(match[2]))
        elif first == "@":
            match = _TAI.match(text) or _TAI_ONLY.match(text)
            if match is not None:
                nanos = int(match[2], 16)
                time = self._from_epoch(int(match[1], 16) - _TAI_EPOCH, nanos // 1000)
        if match is not None:
            end = match.end()
            if match.re in _WITH_TAG:
                host, program, pid = match.groups()[-3:]
        else:
            bare = _BARE_TAG.match(text)
            if bare is not None and (bare[2] or "/" in bare[1] or bare[1] == "dovecot"):
                program, pid = bare[1], bare[2]
                end = bare.end()
        message = text[end:].rstrip()
        pid_number = int(pid) if pid else None
        return _new(
            Record, (time, host, program, pid_number, message, source, number, offset, text)
        ), end

    # -- pasted text -------------------------------------------------------------------

    def _pasted(
        self,
        out: list[Record],
        line: str,
        message_start: int,
        source: str,
        number: int,
        offset: int,
    ) -> None:
        starts = self._entry_starts(line, message_start)
        if len(starts) == 1:
            out.append(self._header(line, source, number, offset)[0])
            return
        self.stats.split += len(starts) - 1
        starts.append(len(line))
        for begin, end in pairwise(starts):
            entry = line[begin:end].rstrip()
            out.append(self._header(entry, source, number, offset)[0])

    def _entry_starts(self, line: str, message_start: int) -> list[int]:
        """Where each entry of a pasted line begins; never inside a client's field."""
        starts = [0]
        program = _program_of(line[:message_start])
        search_from = scan_from = message_start
        record_end = _record_end(line, message_start, program)
        protected_to = message_start
        limits: list[tuple[int, int]] = []  # this entry's plaintext dumps: (start, limit)
        while True:
            candidate = _CANDIDATE.search(line, search_from)
            if candidate is None:
                return starts
            at = candidate.start()
            reach = _protected_until(line, scan_from, at, record_end, limits)
            protected_to = max(protected_to, reach)
            scan_from = max(scan_from, at - _MARKER_REACH)
            if at >= protected_to and _overrun(line, limits, at):
                protected_to = len(line)  # a dump longer than Postfix writes it
            # The record of a header held inside this entry ends where it would if the
            # header were real: the later end of the two is its fields' reach.
            held_end = _record_end(line, candidate.end(), _program_of(candidate.group()))
            if at < protected_to:
                self.stats.held_together += 1
                search_from = at + 1
                record_end = max(record_end, held_end)
                continue
            starts.append(at)
            search_from = protected_to = candidate.end()
            scan_from = at  # the header itself may hold a marker: Dovecot's auth(user,…
            record_end = held_end
            limits = []

    # -- special styles -------------------------------------------------------------------

    def _journal(self, line: str, source: str, number: int, offset: int) -> Record | None:
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, or nested thousands deep
            return None
        if not isinstance(entry, dict):
            return None
        message = _journal_text(entry.get("MESSAGE"))
        if message is None:
            self.stats.empty += 1
            return None
        if "\ufffd" in message and isinstance(entry.get("MESSAGE"), list):
            self.stats.replaced += 1
        program = _journal_text(entry.get("SYSLOG_IDENTIFIER"))
        host = _journal_text(entry.get("_HOSTNAME"))
        pid = _journal_pid(entry.get("_PID")) or _journal_pid(entry.get("SYSLOG_PID"))
        time = None
        micros = _journal_text(entry.get("__REALTIME_TIMESTAMP"))
        if micros is not None and micros.isascii() and micros.isdigit() and len(micros) <= 20:
            time = self._from_epoch(0, int(micros))
        message = message.rstrip()
        head = f"{program or '-'}[{pid}]" if pid is not None else (program or "-")
        stamp = f"{_MONTH_NAMES[time.month - 1]} {time:%d %H:%M:%S} " if time is not None else ""
        text = f"{stamp}{host + ' ' if host else ''}{head}: {message}"
        return Record(time, host, program, pid, message, source, number, offset, text)

    def _rfc5424(self, line: str, source: str, number: int, offset: int) -> Record | None:
        match = _RFC5424.match(line)
        if match is None:
            return None
        _pri, stamp, host, app, procid, _msgid, _sd = match.groups()
        time = None
        if stamp != "-":
            iso = _ISO_STAMP_RE.fullmatch(stamp)
            if iso is not None:
                time = self._iso_time(iso[1], iso[2], iso[3])
        message = line[match.end() :].removeprefix("\ufeff").rstrip()
        return Record(
            time,
            None if host == "-" else host,
            None if app == "-" else app,
            int(procid) if procid.isdigit() and len(procid) <= 10 else None,
            message,
            source,
            number,
            offset,
            line,
        )

    # -- time ---------------------------------------------------------------------------

    def _naive(self, moment: datetime) -> datetime:
        """An aware moment as naive wall time in our zone (naive ones are kept)."""
        if moment.tzinfo is None:
            return moment
        local = moment.astimezone(self._tz) if self._tz is not None else moment.astimezone()
        return local.replace(tzinfo=None)

    def _naive_or_none(self, moment: datetime) -> datetime | None:
        """:meth:`_naive`, or None when our zone puts it beyond the calendar (an mtime
        in the last hours of 9999 where the clocks are ahead of UTC)."""
        try:
            return self._naive(moment)
        except (ValueError, OverflowError, OSError):
            return None

    def _aware(self, naive: datetime) -> datetime:
        """``naive`` (wall time) in our zone: aware, or naive again when its hour is one
        in which the offset changes (the clocks go back or skip ahead): then each time
        of it is dated afresh by :meth:`_changing`, and the caches keep it naive."""
        # The offset changes seldom, and asking the C library is slow: ask once per
        # hour of wall time.
        hour = (naive.year, naive.month, naive.day, naive.hour)
        hours = self._local_hours
        if hour in hours:
            zone = hours[hour]
        else:
            if len(hours) > 10_000:
                hours.clear()
            zone = hours[hour] = self._zone_of_hour(naive)
        return naive if zone is None else _with_zone(naive, zone)

    def _zone_of_hour(self, naive: datetime) -> tzinfo | None:
        """The zone of the hour of ``naive`` (wall time), or None when the offset is not
        the same all through it (both readings of its start and of its end compared:
        DST, on the hour or not)."""
        start = naive.replace(minute=0, second=0, microsecond=0)
        end = start.replace(minute=59, second=59)
        offsets = {self._offset(start, 0), self._offset(start, 1)}
        offsets |= {self._offset(end, 0), self._offset(end, 1)}
        if len(offsets) > 1 and None not in offsets:
            return None
        if self._tz is not None:
            return self._tz
        try:
            return naive.astimezone().tzinfo or UTC
        except (ValueError, OverflowError, OSError):  # 0001-01-01: no local time there
            return UTC

    def _offset(self, naive: datetime, fold: int) -> timedelta | None:
        """Our zone's offset at wall time ``naive`` (to the second) read with ``fold``
        (PEP 495: 0 the first of two, 1 the second; in a gap, 0 is the offset before
        it); None where the C library has no local time."""
        local = naive.replace(microsecond=0, fold=fold)
        if self._tz is not None:
            return local.replace(tzinfo=self._tz).utcoffset()
        try:
            return local.replace(fold=0) - (_EPOCH_NAIVE + timedelta(seconds=local.timestamp()))
        except (ValueError, OverflowError, OSError):
            return None

    def _changing(self, naive: datetime) -> datetime:
        """A wall time of an hour in which our zone's offset changes, aware.

        A time the clocks skipped (spring forward, ``Mar 29 02:30`` in Berlin) is read
        with the offset before the change, as the C library reads it: a clock not put
        forward yet wrote it, and it comes after the entries before the change.

        A time the clocks went through twice (fall back, ``Oct 25 02:30``): for a framer
        that dates by the current time (the daemon), the later reading unless it is
        after now (with `CLOCK_SKEW`): a line is read as it is written. Otherwise (an
        input read after the fact), the reading that keeps the input's time going
        forward: the first, unless it is more than `FOLD_SLACK` before the latest time
        dated so far in such an hour (the entries have passed ``02:59`` once, and
        start the hour again)."""
        readings = self._readings.get(naive)
        if readings is None:
            if len(self._readings) > 10_000:
                self._readings.clear()
            readings = self._readings[naive] = self._two_readings(naive)
        early, late = readings
        if early is late:
            return early
        if self._live:
            return late if late <= self._now() + CLOCK_SKEW else early
        went = self._went_to
        moment = late if went is not None and early < went - FOLD_SLACK else early
        if went is None or moment > went:
            self._went_to = moment
        return moment

    def _two_readings(self, naive: datetime) -> tuple[datetime, datetime]:
        """The first and the second reading of a wall time (the same object when there
        is one: a time the clocks skipped is read with the offset before the change)."""
        first, second = self._offset(naive, 0), self._offset(naive, 1)
        if first is None or second is None:
            moment = _with_zone(naive, UTC)
            return moment, moment
        if first <= second:
            moment = _with_zone(naive, self._fixed(first))
            return moment, moment
        return _with_zone(naive, self._fixed(first)), _with_zone(naive, self._fixed(second))

    def _fixed(self, offset: timedelta) -> tzinfo:
        zone = self._offsets.get(offset)
        if zone is None:
            zone = self._offsets[offset] = timezone(offset)
        return zone

    def _now(self) -> datetime:
        """The current time, aware: the clock given, or the system's."""
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def _from_epoch(self, seconds: int, micros: int = 0) -> datetime | None:
        try:
            moment = _EPOCH + timedelta(seconds=seconds, microseconds=micros)
            return moment.astimezone(self._tz) if self._tz is not None else moment.astimezone()
        except (ValueError, OverflowError, OSError):  # beyond the calendar, or the C library
            return None

    def _bsd_time(self, stamp: str, fraction: str | None) -> datetime | None:
        cache = self._bsd_cache
        if stamp in cache:
            moment = cache[stamp]
        else:
            if len(cache) > 100_000 or (self._live and self._day != date.today()):
                # Bounded memory; and "now" moves on for the daemon: forget old years.
                cache.clear()
                self._bsd_minutes.clear()
                self._day = date.today()
            moment = self._bsd_second(stamp)
            if moment is not None and moment.tzinfo is None:
                # An hour in which the offset changes: each entry dated afresh (its
                # reading depends on the entries before it, or on now), never cached.
                moment = self._changing(moment)
            else:
                cache[stamp] = moment
        if moment is not None and fraction:
            moment += timedelta(microseconds=_micros(fraction))
        return moment

    def _bsd_second(self, stamp: str) -> datetime | None:
        """A new second: from its minute (parsed once per minute) plus the seconds."""
        minute = stamp[:-3]
        minutes = self._bsd_minutes
        if minute in minutes:
            base = minutes[minute]
        else:
            if self._year is None:  # the input's first entry, maybe: see _first_year
                self._first_second = min(int(stamp[-2:]), 59)
            base = minutes[minute] = self._bsd_parse(minute)
        if base is None:
            return None
        second = int(stamp[-2:])
        # datetime.replace() is slow; adding a ready timedelta is not.
        return base + _SECONDS[second] if second < 60 else None  # 60: a leap second

    def _bsd_parse(self, stamp: str) -> datetime | None:
        """``Feb  3 11:57`` -> aware datetime of that minute, choosing the year (module doc)."""
        month = _MONTHS[stamp[:3]]
        day_text, clock = stamp[4:].split()
        day = int(day_text)
        hour, minute, second = int(clock[:2]), int(clock[3:5]), 0
        if self._year is None and self._reference is not None:
            # An input's first classic entry: its year, and the rest go on from it.
            self._year = self._first_year(month, day, hour, minute)
            self._last_month = 0
            self._last_day = 0
        if self._year is not None:
            year = self._year
            straggler = False
            if self._last_month - month > 6:  # December -> January: a new year
                year = self._year = self._year + 1
                self._bsd_cache.clear()
                self._bsd_minutes.clear()
                self._last_month, self._last_day = month, 0
            elif month - self._last_month > 6 and self._last_month and self._straggler(month, day):
                year -= 1  # a straggler from the end of last year
                straggler = True
            elif month != self._last_month:
                # A new month: the stamps cached are forgotten, so that one seen again
                # is dated afresh (a year on, as the cache does not say).
                self._bsd_cache.clear()
                self._bsd_minutes.clear()
                self._last_month, self._last_day = month, 0
            if not straggler and day > self._last_day:
                self._last_day = day
            naive = _date(year, month, day, hour, minute, second)
            if self._limit is not None and naive is not None and naive > self._limit:
                # More than a day after the reference: the input spans more than a year
                # from its first entry on (a journal dump, a yearly log whose end is not
                # known). This entry is a year back, and the ones after it go on from it.
                year -= 1
                if not straggler:
                    self._year, self._last_day = year, day
                    self._bsd_cache.clear()
                    self._bsd_minutes.clear()
                naive = _date(year, month, day, hour, minute, second)
        else:
            reference = self._reference or self._naive(self._now())
            naive = _date(reference.year, month, day, hour, minute, second)
            if naive is None or naive > _day_after(reference):
                naive = _date(reference.year - 1, month, day, hour, minute, second)
        if naive is None and month == 2 and day == 29:  # only in a leap year: find one
            base = (
                self._year
                if self._year is not None
                else (self._reference or self._naive(self._now())).year
            )
            for year in range(base - 1, base - 8, -1):
                naive = _date(year, month, day, hour, minute, second)
                if naive is not None:
                    break
        return self._aware(naive) if naive is not None else None

    def _straggler(self, month: int, day: int) -> bool:
        """Whether an entry many months ahead of the last one dated goes back to the
        year before: a line written a little late at New Year (``Dec 31 23:59:59``
        after ``Jan  1 00:00:01``), or an older file's after a newer one's (``cat
        mail.log mail.log.1``: Dec 26 after Jan 6): whether, a year back, it is no
        more than `STRAGGLER_DAYS` days before the latest day of the last entry's month
        dated so far (by the day). Any other is ahead in the same year: a sparse input
        (``grep``) goes on from March to October. (A window of three days put an older
        file's December after January's a year ahead, and each New Year after it
        another.)"""
        assert self._year is not None
        last = _date(self._year, self._last_month, max(self._last_day, 1), 0, 0, 0)
        before = _date(self._year - 1, month, day, 0, 0, 0)
        return last is not None and before is not None and last - before <= _STRAGGLER_SPAN

    def _first_year(self, month: int, day: int, hour: int, minute: int) -> int | None:
        """The year of an input's first classic entry (a ``reference`` and no ``year``):
        the latest that ends the input no more than a day after the reference. Its last
        entry (``last``) is in the same year, or in the next when the months go back
        from late in the year to early (a roll-over at New Year, as :meth:`_bsd_parse`
        moves on), or when it is earlier in the year than the first and the same year
        would put the first after the reference (a log of a year: no entry is written
        after its file's mtime; a last entry a little earlier in the year than a first
        one before the reference is a log going back at its end, ``cat mail.log
        mail.log.1``); without one, the first entry is no more than a day after the
        reference. None for a date no year has (``Feb 31``): the next entry decides."""
        assert self._reference is not None and self._limit is not None
        reference, limit = self._reference, self._limit
        start = (month, day, hour, minute, self._first_second)
        years = [
            year
            for year in range(reference.year, reference.year - 9, -1)
            if (first := _date(year, *start)) is not None and first <= limit
        ]
        ending = _stamp_fields(self._ending) if self._ending is not None else None
        if not years or ending is None:
            return years[0] if years else None

        def ends_in_time(year: int) -> bool:
            last = _date(year, *ending)
            return last is not None and last <= limit

        on = 1 if month - ending[0] > 6 else 0  # the months go back: a new year
        if not on and ending < start:
            same = next((year for year in years if ends_in_time(year)), None)
            first = _date(same, *start) if same is not None else None
            if first is None or first > reference:
                on = 1  # a log of a year (or more): its end is in the next
        # No year fits the last stamp too (Feb 29 long ago): the first's.
        return next((year for year in years if ends_in_time(year + on)), years[0])

    def _iso_time(self, clock: str, fraction: str | None, zone: str | None) -> datetime | None:
        if fraction and zone and (zone[-2:] < "60" or len(zone) == 1):
            # rsyslog's usual stamp: unique per line, the C parser is fastest (it reads
            # "+01:99" as +02:39: minutes past 59 are left to _zone, which refuses them)
            try:
                return datetime.fromisoformat(clock + fraction + zone)
            except ValueError:
                pass
        key = clock + (zone or "")
        cache = self._iso_cache
        if key in cache:
            moment = cache[key]
        else:
            if len(cache) > 100_000:
                cache.clear()
            moment = cache[key] = self._iso_parse(clock, zone)
        if moment is not None:
            if fraction:
                moment += timedelta(microseconds=_micros(fraction))
            if moment.tzinfo is None:  # no zone, in an hour in which the offset changes
                moment = self._changing(moment)
        return moment

    def _iso_parse(self, clock: str, zone: str | None) -> datetime | None:
        try:
            naive = datetime.fromisoformat(clock.replace(" ", "T"))
        except ValueError:
            return None
        if zone is None:
            return self._aware(naive)
        offset = self._zone(zone)
        return None if offset is None else _with_zone(naive, offset)

    def _zone(self, zone: str) -> tzinfo | None:
        """The offset of an RFC 3339 zone (``Z``, ``+01:00``); None for one that cannot
        be (``+99:99``): such an entry is undated, as one with an impossible date is,
        rather than taken for UTC."""
        if zone in self._zones:
            return self._zones[zone]
        found: tzinfo | None = UTC
        if zone not in "Zz":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            try:
                if minutes > 59:
                    raise ValueError(zone)
                found = timezone(sign * timedelta(hours=hours, minutes=minutes))
            except ValueError:
                found = None
        self._zones[zone] = found
        return found


# -- helpers ---------------------------------------------------------------------------


_JOURNAL_MARKER = re.compile(
    r"-- (?:(?P<span>(?:Logs begin|Journal begins) at .+)|Boot [0-9a-f]{32}|Reboot"
    r"|(?P<none>No entries)) --"
)


def journal_marker(text: str) -> str | None:
    """What a line journalctl writes itself, between or above the entries it prints, is:
    ``span`` (``-- Journal begins at …, ends at … --``, ``-- Logs begin at … --``),
    ``boot`` (``-- Boot 3f1c… --``, ``-- Reboot --``: the machine started again) or
    ``none`` (``-- No entries --``); None for any other text. No program logged such a
    line: it is no log entry. Cheap for other text (one test of its start)."""
    if not text.startswith("-- "):
        return None
    match = _JOURNAL_MARKER.fullmatch(text.strip())
    if match is None:
        return None
    return "span" if match["span"] else "none" if match["none"] else "boot"


PASTE_PROBE_LINES = 64
"""How many of an input's first lines decide whether it is pasted text."""


def looks_pasted(data: bytes, stats: ReadStats | None = None) -> bool:
    """Is this input pasted text, entries run together on a line (a forum post, a mail)?

    Decided from the first non-blank lines of the input's first chunk (up to
    :data:`PASTE_PROBE_LINES`): only an input whose first line already holds several
    entries is split at all (see the module doc), and only when at least half of those
    lines do. A log written one entry per line is never split for one odd line: the
    first line after a rotation can be an entry whose client text (a Message-ID a
    sender chose) holds a forged header, and splitting the whole file would turn
    every such text into an entry. A first line whose further headers all lie inside
    client text (``helo=<localhost>`` followed by the rest of a paste) is not split
    either; they are counted in ``stats.held_together``, so the reader hears of them."""
    lines = [
        raw
        for raw in data.split(b"\n", PASTE_PROBE_LINES)[:PASTE_PROBE_LINES]
        if raw.strip() and not _journal_marker_bytes(raw)
    ]
    if not lines or len(lines[0]) > MAX_LINE:
        return False
    probe = Framer(year=2000, tz=UTC, split_pasted=True)
    probe.frame_line(lines[0].decode("utf-8", "replace"), "-", 1, 0)
    if not probe.stats.split:
        if stats is not None:
            stats.held_together += probe.stats.held_together
        return False
    several = 1
    for number, raw in enumerate(lines[1:], 2):
        if len(raw) <= MAX_LINE:
            probe.stats.split = 0
            probe.frame_line(raw.decode("utf-8", "replace"), "-", number, 0)
            several += probe.stats.split > 0
    return 2 * several >= len(lines)


def _journal_marker_bytes(raw: bytes) -> bool:
    """Whether a physical line is journalctl's marker (:func:`journal_marker`): no entry
    of a paste, nor of a log."""
    raw = raw.strip()
    return raw.startswith(b"-- ") and journal_marker(raw.decode("utf-8", "replace")) is not None


def split_if_pasted(
    chunks: Iterable[Chunk], stats: ReadStats | None = None
) -> tuple[bool, Iterator[Chunk]]:
    """(whether the input `looks_pasted`, its chunks unchanged): peeks at the first."""
    stream = iter(chunks)
    first = next(stream, None)
    if first is None:
        return False, iter(())
    return looks_pasted(first.data, stats), itertools.chain((first,), stream)


def line_offsets(lines: Sequence[str], offset: int) -> Iterator[int]:
    """Where each of ``lines`` (one-byte characters, cut at single newlines) starts when
    the first starts at ``offset``: line i starts after the i lines before it and their
    newlines. Computed in C (no Python step per line)."""
    return map(add, chain((0,), accumulate(map(len, lines))), range(offset, offset + len(lines)))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_SECONDS = tuple(timedelta(seconds=n) for n in range(60))


def _with_zone(naive: datetime, zone: tzinfo) -> datetime:
    """naive.replace(tzinfo=zone), several times faster."""
    return datetime(
        naive.year,
        naive.month,
        naive.day,
        naive.hour,
        naive.minute,
        naive.second,
        naive.microsecond,
        zone,
    )


def _micros(fraction: str | None) -> int:
    """``.123`` -> 123000 microseconds (digits past the sixth are dropped)."""
    return int(fraction[1:7].ljust(6, "0")) if fraction else 0


_TAIL_STAMP = re.compile(rb"\n[\x00 \t]*(" + _BSD_STAMP.encode() + rb")(?:\.\d{1,9})? ")


def last_classic_stamp(tail: bytes) -> str | None:
    """The last classic syslog stamp (``Nov 30 10:00:01``) that starts a line in
    ``tail``, the end of an input from the start of a line, or None: an input's
    ``last`` for :class:`Framer`."""
    tail = b"\n" + tail
    found = None
    for match in _TAIL_STAMP.finditer(tail):
        found = match
    return found[1].decode("ascii") if found is not None else None


def _stamp_fields(stamp: str) -> tuple[int, int, int, int, int] | None:
    """``Nov 30 10:00:01`` -> (month, day, hour, minute, second); None for anything else."""
    match = _BSD_ONLY.match(stamp)
    if match is None:
        return None
    text = match[1]
    day_text, clock = text[4:].split()
    return _MONTHS[text[:3]], int(day_text), int(clock[:2]), int(clock[3:5]), int(clock[6:8])


CLOCK_SKEW = timedelta(minutes=2)
"""How far after the current time a time read live may be (another host's clock, a
moment between the line's writing and our reading of the clock): a time the clocks went
through twice is read the second time unless that is later than now by more."""
FOLD_SLACK = timedelta(minutes=10)
"""How far an input's time may go back (entries a little out of order, a few hosts'
clocks in one syslog) in an hour the clocks went through twice and still be read the
first time: further back, the entries have started the hour again. (A minute, as
``mailwarden.scan.JITTER``, was tried: one line of a host whose clock is 90 s slow then
tipped every host's rest of the first hour into the second, shared ``_went_to``.)"""


def _day_after(moment: datetime) -> datetime:
    """A day after ``moment``, or the calendar's end."""
    return moment + _DAY if moment < _LAST_DAY else datetime.max


_DAY = timedelta(days=1)
_LAST_DAY = datetime.max - _DAY

STRAGGLER_DAYS = 31
"""How far an entry that goes back a year (:meth:`Framer._straggler`) can be, in days,
before the latest day dated: a month, what an older rotated file put after a newer
one holds (daily and weekly rotation; ``cat mail.log mail.log.1``); December after
January only, so a sparse input's later months still go on in the same year."""
_STRAGGLER_SPAN = timedelta(days=STRAGGLER_DAYS)


def _date(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _after_nuls(line: str) -> str | None:
    """The entry after the last run of NULs in a line, if a header starts right after it:
    a crash (or a file truncated under its writer) leaves a half-written entry, NUL
    padding, then the next entry on the same line. Neither Postfix nor Dovecot writes a
    NUL (C strings; Dovecot's str_sanitize), so no client field holds one: the NUL run is
    a boundary between writes, and a header right after it is no client's text. A header
    further on (after other text) is left alone."""
    at = line.rfind("\x00") + 1
    after = line[at:]
    if at == 0 or _CANDIDATE.match(after) is None:
        return None
    if not after.isprintable() and 2 * len(_BINARYISH.findall(after)) > len(after):
        return None
    return after


def _program_of(header: str) -> str | None:
    """The tag in a header text (for the record-length rule); None when there is none."""
    match = _BSD.match(header) or _ISO.match(header) or _TAI.match(header)
    if match is not None:
        return match.groups()[-2]
    match = _BARE_TAG.match(header)
    return match[1] if match is not None else None


def _record_end(line: str, message_start: int, program: str | None) -> int:
    """Where the record of an entry whose message starts there ends at the latest: 2000
    bytes on for Postfix (plus ``warning: ``), the end of the line for other programs."""
    if program and "/" in program:
        return min(message_start + _POSTFIX_RECORD, len(line))
    return len(line)


def _protected_until(
    line: str, scan_from: int, scan_to: int, record_end: int, limits: list[tuple[int, int]]
) -> int:
    """How far client text may reach, judging by field markers in line[scan_from:scan_to]
    (a field that runs to the end of its record: to ``record_end``). Each plaintext
    dump's (start, limit) is added to ``limits``."""
    reach = 0
    for marker in _PROTECTED_RE.finditer(line, scan_from, scan_to):
        # lastindex is the outermost group that matched: the pattern's own group.
        pattern = _GROUP_OWNER[marker.lastindex or 1]
        size = _PROTECTED_SIZE[pattern]
        if size == _LINE_END:
            return len(line)
        if size == _RECORD_END:
            end = record_end
        elif size == _SERVER_TEXT:
            known = _SERVER_REASON.fullmatch(line, marker.end(), scan_to) is not None
            end = marker.end() if known else record_end
        elif pattern == 0:
            end = marker.end() + min(int(marker[_COUNT_GROUP]), size)
            limits.append((marker.end(), end))
        else:
            end = marker.end() + size
            ends = _FIELD_END[pattern]
            if ends and not any(c in ends for c in line[marker.end() : end + 1]):
                return len(line)  # no end within the limit: longer than a server writes it
        reach = max(reach, end)
    return reach


def _overrun(line: str, limits: list[tuple[int, int]], at: int) -> bool:
    """Whether an entry starting at ``at`` (past every limit) shows that a plaintext dump
    ran past its min(N, 40) characters (see :data:`_DUMP_SLACK`)."""
    for start, limit in limits:
        if at - limit > _DUMP_SLACK and not line[limit:at].isspace():
            held = _CANDIDATE.search(line, start)
            if held is None or held.start() >= limit:
                return True
    return False


def _build_group_index() -> tuple[int, ...]:
    """Group number -> pattern number, for the alternation in _PROTECTED_RE."""
    owners = [0]
    for number, (pattern, _) in enumerate(_PROTECTED):
        owners.append(number)
        owners.extend([number] * re.compile(pattern).groups)
    return tuple(owners)


_GROUP_OWNER = _build_group_index()


def _journal_text(value: object) -> str | None:
    """A journal field as text: a string, an array of bytes (not UTF-8), or the first of
    several values. A JSON escape of half a surrogate pair (``"\\ud800"``, which
    journalctl never writes) becomes U+FFFD: no output could encode it."""
    if isinstance(value, list) and value:
        if all(isinstance(byte, int) and 0 <= byte < 256 for byte in value):
            return bytes(value).decode("utf-8", "replace")
        value = value[0]  # a field given more than once
    if not isinstance(value, str):
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _journal_pid(value: object) -> int | None:
    text = _journal_text(value)
    if text is not None and text.isascii() and text.isdigit() and len(text) <= 10:
        return int(text)
    return None
