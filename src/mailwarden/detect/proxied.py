"""A password "accepted" on a Dovecot login proxy (director) is no proof.

Dovecot's login process counts a successful auth for every OK passdb reply, a proxy
passdb's (``proxy=y``) included, which often checks no password at all (``nopassword=y``,
the backend checks it). When the backend cannot be reached the connection ends with
``Disconnected (internal failure, 1 successful auths)``, read as a password accepted
(parsers.dovecot ``accepted_only``). A login proxy's line of the same connection before it
(``proxy(…): connect(…) failed``: a DEBUG event with the ``proxied`` detail) says that the
reply was a proxy's: whether a password was checked is not known, so the line is no login
(and no failure): it is read as an abandoned login (AUTH_ABORTED).

Public surface: :class:`ProxiedSessions`.
"""

from __future__ import annotations

from mailwarden.model import Event, EventType
from mailwarden.parsers.dovecot import PROXIED, accepted_only

MAX_PROXIED = 4096
"""Marked sessions kept (the oldest forgotten first): a proxy's line and the connection's
last line come seconds apart."""


class ProxiedSessions:
    """The sessions a login proxy's line marked, by (service, client address, session)."""

    def __init__(self) -> None:
        self._marked: dict[tuple[str | None, str | None, str], None] = {}

    def see(self, event: Event) -> Event:
        """:meth:`mark` for a DEBUG event, :meth:`judge` for the others (explain's use:
        the detector calls each from the handler of its type, off the common path)."""
        if event.type is EventType.DEBUG:
            self.mark(event)
            return event
        return self.judge(event)

    def mark(self, event: Event) -> None:
        """Remember the session of a DEBUG event with the ``proxied`` detail."""
        detail = event.detail
        session = detail.get(PROXIED) if detail is not None else None
        if session:
            marked = self._marked
            if len(marked) >= MAX_PROXIED:
                del marked[next(iter(marked))]
            marked[(event.service, event.ip, session)] = None

    def judge(self, event: Event) -> Event:
        """``event`` (a login), or, for an accepted-only login of a marked session, the
        same line read as an abandoned login (AUTH_ABORTED, not hostile)."""
        if self._marked and event.session and accepted_only(event):
            key = (event.service, event.ip, event.session)
            if key in self._marked:
                del self._marked[key]
                return event._replace(type=EventType.AUTH_ABORTED, hostile=False, strength=None)
        return event
