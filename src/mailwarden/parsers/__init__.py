"""Records -> events: the parsers stage.

    parse(record)      the events of one log entry (a list, often empty); pure, never raises
    NEEDLES            literals of which every line that can matter contains one
    may_matter(line)   the cheap prefilter built on NEEDLES

Dispatch is by program, cheapest test first:

- ``…/smtpd``, ``…/postscreen``, ``…/anvil``, ``…/tlsproxy`` (any syslog name: ``postfix``,
  ``postfix-out``, ``postfix/submission``, …) -> :mod:`.postfix`;
- ``dovecot``, ``dovecot-auth``, ``*-login``, ``auth``, ``auth-worker`` -> :mod:`.dovecot`;
- no program (a bare message, as pasted or as SSHGuard's tests have them): Dovecot when
  the message starts like one (``imap-login:``, ``auth…``, ``pam_unix(``, ``dovecot:``),
  else Postfix smtpd, but for the chat and dump lines whose form shows that Postfix's
  smtp or lmtp client wrote them (:func:`.postfix.own_client_line`): nothing, as with
  their program;
- any other program gives nothing.

Every event's ``hostile``/``strength`` follows the policy in model.EventType and the
parser docstrings: strong is evidence on its own, weak a hint, and a line that only
repeats another line of the same session is weak at most.
"""

from __future__ import annotations

from collections.abc import Callable

from mailwarden.model import Event, Record
from mailwarden.parsers import dovecot as _dovecot
from mailwarden.parsers import postfix as _postfix
from mailwarden.parsers.dovecot import parse_message as _parse_dovecot
from mailwarden.parsers.postfix import parse_anvil as _parse_anvil
from mailwarden.parsers.postfix import parse_postscreen as _parse_postscreen
from mailwarden.parsers.postfix import parse_smtpd as _parse_smtpd

_COMMON_FIRST = ("auth", "isconnect", " after ", "TLS ", "-login", "sasl_", "postscreen")
"""The needles of the commonest lines that matter, tested first so that those lines stop
early (a line that matters nowhere is tested against all of them anyway)."""

NEEDLES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [n for n in _COMMON_FIRST if n in _postfix.NEEDLES + _dovecot.NEEDLES]
        + list(_postfix.NEEDLES + _dovecot.NEEDLES)
    )
)
"""Each rule of the parsers declares the literal its lines must contain (see the NEEDLES
of :mod:`.postfix` and :mod:`.dovecot`). A raw line that contains none of them gives no
event other than CONNECT, QUEUED (without SASL), TLS_SETUP, TLS_DUMP or DEBUG."""


def _build_may_matter(needles: tuple[str, ...]) -> Callable[[str], bool]:
    """``needle1 in line or needle2 in line or …`` as one function: each test is a
    C-speed substring search and there is no per-needle Python loop (``any()`` over a
    generator costs a third more). The source is built from our own constant needles,
    never from input."""
    expr = " or ".join(f"{needle!r} in line" for needle in needles) or "False"
    namespace: dict[str, Callable[[str], bool]] = {}
    exec(f"def may_matter(line):\n    return {expr}\n", namespace)  # noqa: S102
    function = namespace["may_matter"]
    function.__doc__ = (
        "True when ``line`` (a raw log line) contains one of NEEDLES: only such lines can "
        "give an event other than CONNECT, QUEUED, TLS_SETUP, TLS_DUMP or DEBUG."
    )
    return function


may_matter: Callable[[str], bool] = _build_may_matter(NEEDLES)

_LOGIN_SERVICES = {
    "imap-login": "imap",
    "pop3-login": "pop3",
    "submission-login": "submission",
    "managesieve-login": "managesieve",
}

# Program families.
_OTHER, _SMTPD, _POSTSCREEN, _ANVIL, _DOVECOT, _LOGIN, _AUTH = range(7)
_POSTFIX_PARTS = {"smtpd": _SMTPD, "tlsproxy": _SMTPD, "postscreen": _POSTSCREEN, "anvil": _ANVIL}
_ROUTES: dict[str, tuple[int, str | None]] = {}
"""program -> (family, service), filled as programs are met."""


def _route(program: str) -> tuple[int, str | None]:
    route: tuple[int, str | None] = (_OTHER, None)
    if "/" in program:
        # Any syslog name: postfix/smtpd, postfix-out/smtpd, postfix/submission/smtpd, …
        family = _POSTFIX_PARTS.get(program.rsplit("/", 1)[1], _OTHER)
        if family != _OTHER:
            route = (family, _postfix.service_of(program))
    elif program in _LOGIN_SERVICES:
        route = (_LOGIN, _LOGIN_SERVICES[program])
    elif program == "dovecot":
        route = (_DOVECOT, None)
    elif program.startswith(("auth", "dovecot-auth")):
        # auth, auth-worker, auth-worker(304) (framed from "auth-worker(304): …")
        route = (_AUTH, None)
    if len(_ROUTES) > 4096:
        _ROUTES.clear()
    _ROUTES[program] = route
    return route


_BARE_DOVECOT = ("dovecot", "auth", "pam_unix(", "imap-login", "pop3-login", "submission-login")


_STRICT = False
"""Tests set this to see the exceptions parse() would otherwise turn into []."""


def parse(record: Record) -> list[Event]:
    """The events of one record, in the order the line states them; [] when the line is
    not one this stage knows. Pure; never raises, whatever the record holds."""
    try:
        program = record.program
        msg = record.message
        if program is None:
            if msg.startswith(_BARE_DOVECOT) or "-login: " in msg[:20]:
                return _parse_dovecot(record, msg, None, False)
            return _parse_smtpd(record, msg, None)
        route = _ROUTES.get(program)
        family, service = route if route is not None else _route(program)
        if family == _SMTPD:
            return _parse_smtpd(record, msg, service)
        if family == _LOGIN:
            return _parse_dovecot(record, msg, service, False)
        if family == _DOVECOT:
            return _parse_dovecot(record, msg, None, False)
        if family == _POSTSCREEN:
            return _parse_postscreen(record, msg, service)
        if family == _AUTH:
            return _parse_dovecot(record, msg, None, True)
        if family == _ANVIL:
            return _parse_anvil(record, msg)
        return []
    except Exception:  # bad log input is a counted skip, never a crash
        if _STRICT:
            raise
        return []


__all__ = ["NEEDLES", "may_matter", "parse"]
