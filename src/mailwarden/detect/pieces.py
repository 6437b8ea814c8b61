"""A login on the line after a piece of a cut Dovecot message proves no device.

Dovecot's log process writes a login-process message longer than ``PIPE_BUF`` as pieces,
each a line (parsers.dovecot ``SPLIT_PIECE_BYTES``). The last piece reads as a line of
its own and ends in the server's elements, but all before them is the client's text (a
long IMAP ``ID``): ``Login: user=<alice>, method=PLAIN`` there is a login of alice from
the client's own address that never happened. A whole message of a piece's size (an ID
of 4000 to 4084 bytes) fits one write, and the next line is then the connection's real
one: neither can be dropped. So every event of the next login-process line of the same
host and login service after a piece is read as it is, and a login among them carries
the ``after_piece`` detail: it counts as a break-in after guesses, as any login, but it
makes its address no device of the account (``Detector._success``). The log process
writes a message's pieces together: a line more than :data:`PIECE_SECONDS` later is no
end of it (that was lost), and is read as it is.

Public surface: :class:`AfterPiece`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailwarden.model import Event, EventType, Record
from mailwarden.parsers.dovecot import AFTER_PIECE, login_text

MAX_PIECES = 1024
"""(host, service) pairs waiting for their next line (the oldest forgotten first)."""

PIECE_SECONDS = 2
"""How much later than a piece (by the time stamps) the next line may be its message's
end: the log process writes the pieces of one message one after the other."""

_LATE = timedelta(seconds=PIECE_SECONDS)


class AfterPiece:
    """The (host, login service) pairs whose last login-process line was a piece."""

    def __init__(self) -> None:
        self.waiting: dict[tuple[str | None, str | None], tuple[Record, Record | None]] = {}
        """(host, service) -> (the piece's record, None) until the next line of the pair
        comes, then (…, that line's record: all its events are marked) until one more
        comes. The detector calls :meth:`judge` only while this is not empty: the common
        path tests that only."""

    def mark(self, event: Event) -> None:
        """A piece's mark (a DEBUG event with the ``after_piece`` detail)."""
        key = (event.record.host, event.service)
        waiting = self.waiting
        waiting.pop(key, None)
        if len(waiting) >= MAX_PIECES:
            del waiting[next(iter(waiting))]
        waiting[key] = (event.record, None)

    def judge(self, event: Event) -> Event:
        """``event``, a login of the line after a piece with the ``after_piece`` detail."""
        record = event.record
        key = (record.host, event.service)
        waiting = self.waiting
        if key not in waiting:
            return event
        piece, after = waiting[key]
        if after is None:
            if login_text(record.program, record.message) is None:
                return event  # another program's line (Postfix's submission, say)
            if _late(piece.time, record.time):
                del waiting[key]  # the message's end was lost: a line of its own
                return event
            waiting[key] = (piece, record)
        elif after is not record:
            if login_text(record.program, record.message) is not None:
                del waiting[key]  # the line after the next one: read as it is
            return event
        if event.type is EventType.AUTH_SUCCESS:
            detail = dict(event.detail) if event.detail is not None else {}
            detail[AFTER_PIECE] = "login"
            return event._replace(detail=detail)
        return event


def _late(piece: datetime | None, line: datetime | None) -> bool:
    """Whether a line at ``line`` is too late to end the message of a piece at ``piece``."""
    if piece is None or line is None:
        return False
    try:
        return line - piece > _LATE
    except TypeError:  # a naive time beside an aware one: no judgement by time
        return False


def after_piece(event: Event) -> bool:
    """Whether ``event`` is a login the line after a piece gave (:class:`AfterPiece`)."""
    detail = event.detail
    return detail is not None and detail.get(AFTER_PIECE) == "login"


__all__ = ["MAX_PIECES", "PIECE_SECONDS", "AfterPiece", "after_piece"]
