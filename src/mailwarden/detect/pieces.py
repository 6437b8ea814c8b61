"""A login on the line after a piece of a cut Dovecot message proves no device.

Dovecot's log process writes a login-process message longer than ``PIPE_BUF`` as pieces,
each a line (parsers.dovecot ``SPLIT_PIECE_BYTES``). The last piece reads as a line of
its own and ends in the server's elements, but all before them is the client's text (a
long IMAP ``ID``): ``Login: user=<alice>, method=PLAIN`` there is a login of alice from
the client's own address that never happened. A whole message of a piece's size (an ID
of 4000 bytes up to ``PIPE_BUF``) fits one write, and the next line is then the
connection's real one: neither can be dropped. So the lines after a piece are read as
they are, and a login on any login-process line of the same host and login service up
to :data:`PIECE_SECONDS` after the latest piece carries the ``after_piece`` detail: it
counts as a break-in after guesses, as any login, but it makes its address no device of
the account (``Detector._success``). Every line of that window, not the next one only:
the log process serves all login processes of the service, each piece a write of its
own, so another connection's line (or the client's own second cut message, pieces
interleaved ``A1 B1 A2 B2``) may come between a piece and its message's last one (found
by review). The log process writes a message's pieces together: a line more than
:data:`PIECE_SECONDS` later is no end of it (that was lost), and is read as it is.

Public surface: :class:`AfterPiece`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailwarden.model import Event, EventType, Record
from mailwarden.parsers.dovecot import AFTER_PIECE, login_text

MAX_PIECES = 1024
"""(host, service) pairs in a piece's window (the oldest forgotten first)."""

PIECE_SECONDS = 2
"""How much later than a piece (by the time stamps) a line may still be its message's
end: the log process writes the pieces of one message one after the other."""

PIECE_LINES = 64
"""Without time stamps to judge by (a naive time beside an aware one, a line without
one): how many login-process lines of the pair after a piece are marked."""

_LATE = timedelta(seconds=PIECE_SECONDS)


class _Window:
    """A (host, service) pair's window: its latest piece's time and the lines since."""

    __slots__ = ("last", "lines", "time")

    def __init__(self, record: Record) -> None:
        self.time: datetime | None = record.time
        self.last: Record = record
        self.lines: int = 0


class AfterPiece:
    """The (host, login service) pairs in the window of a piece."""

    def __init__(self) -> None:
        self.waiting: dict[tuple[str | None, str | None], _Window] = {}
        """(host, service) -> its window, from its latest piece until a login-process
        line of the pair comes more than :data:`PIECE_SECONDS` after it (or, without
        time stamps, :data:`PIECE_LINES` of them have come). The detector calls
        :meth:`judge` only while this is not empty: the common path tests that only.
        A window ends by a line of its own pair only, never by another host's later
        line: the daemon reads a backlog a piece of each file at a time."""

    def mark(self, event: Event) -> None:
        """A piece's mark (a DEBUG event with the ``after_piece`` detail): it opens (or
        moves on) the window of its pair."""
        record = event.record
        key = (record.host, event.service)
        waiting = self.waiting
        waiting.pop(key, None)
        if len(waiting) >= MAX_PIECES:
            del waiting[next(iter(waiting))]
        waiting[key] = _Window(record)

    def judge(self, event: Event) -> Event:
        """``event``, a login of a line in a piece's window with the ``after_piece``
        detail. Every login-process line of the pair up to :data:`PIECE_SECONDS` after
        its latest piece is marked, not the next one only: the log process writes the
        lines of all login processes of the service as they come, so another
        connection's lines (or the client's own second cut message) may come between a
        piece and its message's last one."""
        record = event.record
        key = (record.host, event.service)
        window = self.waiting.get(key)
        if window is None or login_text(record.program, record.message) is None:
            return event  # another program's line (Postfix's submission, say)
        if window.last is not record:
            window.last = record
            window.lines += 1
        when = _when(window.time, record.time)
        if when is None:
            if window.lines > PIECE_LINES:
                del self.waiting[key]
                return event
        elif when > _LATE:
            del self.waiting[key]  # the message's end was lost: a line of its own
            return event
        elif when < -_LATE:
            return event  # a line from long before (inputs out of order)
        if event.type is EventType.AUTH_SUCCESS:
            detail = dict(event.detail) if event.detail is not None else {}
            detail[AFTER_PIECE] = "login"
            return event._replace(detail=detail)
        return event


def _when(piece: datetime | None, line: datetime | None) -> timedelta | None:
    """How much later than a piece at ``piece`` a line at ``line`` came; None without
    a judgement by time."""
    if piece is None or line is None:
        return None
    try:
        return line - piece
    except TypeError:  # a naive time beside an aware one: no judgement by time
        return None


def after_piece(event: Event) -> bool:
    """Whether ``event`` is a login the line after a piece gave (:class:`AfterPiece`)."""
    detail = event.detail
    return detail is not None and detail.get(AFTER_PIECE) == "login"


__all__ = ["MAX_PIECES", "PIECE_LINES", "PIECE_SECONDS", "AfterPiece", "after_piece"]
