"""The `mailwarden events` contract: one JSON object (or text line) per event.

Stable fields (ARCHITECTURE.md): source, line, time, program, pid, type, category,
hostile, strength, ip, port, user, mechanism, reason. Extended with attempts, session,
service, server_ip, payload, detail. AUTH payloads are credentials: they are decoded
(the account is useful, `user`) and the password is masked unless show_passwords.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from json import encoder as json_encoder
from typing import Any

from mailwarden.model import Event, EventType
from mailwarden.parsers.sasl import decode_auth, escape_text, json_safe
from mailwarden.redact import redact_client_text, shown_mechanism

_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_COMMANDS = frozenset(
    {"QUIT", "DATA", "RSET", "NOOP", "HELP", "STARTTLS", "TURN", "EHLO", "HELO", "AUTH"}
)
"""Bare SMTP command words: base64 in form, never a secret."""
_CLIENT_TEXT_TYPES = frozenset(
    {EventType.PIPELINING, EventType.NON_SMTP_COMMAND, EventType.POSTSCREEN_VIOLATION}
)
"""Events whose payload is client text the server copied (pipelined input, a PREGREET):
it can hold a whole pipelined AUTH exchange."""
_REDACTED_TYPES = _CLIENT_TEXT_TYPES | {EventType.CLIENT_DATA, EventType.AUTH_COMMAND}
"""Events whose payload goes through :func:`_redacted_payload`."""


def _redacted_payload(event: Event, show_passwords: bool) -> tuple[str | None, str | None]:
    """(user, payload to print): never a raw credential by default.

    An AUTH command's payload is decoded (the account is useful) and its password masked
    (or said to be absent: AUTH LOGIN's initial response is the username alone).
    A lone base64 line from the client may be an AUTH LOGIN username or password; which
    one only the session knows, so it is redacted whole."""
    if event.type is EventType.CLIENT_DATA and event.payload and not show_passwords:
        # A dump line can hold several client lines pipelined into one TLS record,
        # joined by the log's ``??`` (``YWRtaW4=??c2VjcmV0??``): any base64 piece counts.
        pieces = [piece.strip() for piece in event.payload.split("??")]
        if any(_BASE64_LINE.fullmatch(piece) and piece not in _COMMANDS for piece in pieces):
            return event.user, "<redacted: base64 line, possibly an AUTH LOGIN step>"
        # A lone word that is no command (a cleartext password a bot sent as a LOGIN
        # step) is redacted too: :func:`mailwarden.redact.redact_client_text`.
        return event.user, redact_client_text(event.payload)
    if event.type in _CLIENT_TEXT_TYPES and event.payload and not show_passwords:
        after = (event.detail or {}).get("after")
        return event.user, redact_client_text(event.payload, after)
    if event.type is not EventType.AUTH_COMMAND or not event.payload or not event.mechanism:
        return event.user, event.payload
    declared = (event.detail or {}).get("declared_length")
    credential = decode_auth(
        event.mechanism, event.payload, int(declared) if declared and declared.isdigit() else None
    )
    if credential is None:
        return event.user, event.payload if show_passwords else "<redacted>"
    user = event.user or credential.user
    if show_passwords:
        return user, event.payload
    if credential.password is None:
        # AUTH LOGIN's initial response is the username alone (the password follows on
        # a line of its own), or the log cut the payload before its password.
        return user, "<redacted: no password in this line>"
    return user, f"<redacted: password {credential.masked_password()}>"


def event_dict(event: Event, *, show_passwords: bool = False) -> dict[str, Any]:
    record = event.record
    user, payload = _redacted_payload(event, show_passwords)
    mechanism = event.mechanism
    if mechanism is not None and not show_passwords:
        mechanism = shown_mechanism(mechanism)
    return {
        "source": record.source,
        "line": record.line,
        "time": record.time.isoformat() if record.time is not None else None,
        "program": record.program,
        "pid": record.pid,
        "type": str(event.type),
        "category": str(event.category),
        "hostile": event.hostile,
        "strength": str(event.strength) if event.strength is not None else None,
        "ip": event.ip,
        "port": event.port,
        "user": user,
        "mechanism": mechanism,
        "reason": event.reason,
        "attempts": event.attempts,
        "session": event.session,
        "service": event.service,
        "server_ip": event.server_ip,
        "payload": payload,
        "detail": dict(event.detail) if event.detail else None,
    }


def event_json(event: Event, *, show_passwords: bool = False) -> str:
    """``json.dumps(event_dict(event), ensure_ascii=False)``, byte for byte, built
    without the dict (see :func:`_fast_json`), and with the characters JSON lets stand raw
    but a terminal or a line reader would act on (C1 controls, U+2028) escaped
    (:func:`~mailwarden.parsers.sasl.json_safe`): one event, one line."""
    return json_safe(_fast_json(event, show_passwords))


def event_text(event: Event, *, show_passwords: bool = False) -> str:
    """One readable line: where, when, what, who, how hostile."""
    etype, _category, _hostile, strength, ip, port = event[:6]
    record = event.record
    user, payload = event.user, event.payload
    if payload and etype in _REDACTED_TYPES:
        user, payload = _redacted_payload(event, show_passwords)
    mechanism = event.mechanism
    if mechanism is not None and not show_passwords:
        mechanism = shown_mechanism(mechanism)
    mark = _MARKS.get(str(strength) if strength is not None else "", "  ")
    time = record.time
    when = _seconds(_iso(time)) if time is not None else "-"
    who = ip or "-"
    if port:
        who = f"[{who}]:{port}" if ":" in who else f"{who}:{port}"  # IPv6 as in URLs
    parts = [f"{_printable(str(record.source))}:{record.line}", when, mark, str(etype), who]
    for key, value in (
        ("user", user),
        ("mechanism", mechanism),
        ("reason", event.reason),
        ("payload", payload),
    ):
        if value:
            parts.append(f"{key}={_printable(str(value))}")
    if event.attempts != 1:
        parts.append(f"attempts={event.attempts}")
    return " ".join(parts)


_MARKS = {"strong": "!!", "weak": "! "}

# -- JSON lines, fast --------------------------------------------------------------------
#
# ``mailwarden events --format jsonl`` prints hundreds of thousands of objects of one
# fixed shape. ``json.dumps`` builds an encoder per call and walks a fresh dict; here the
# text is put together directly, with the standard library's own pieces where a value
# needs encoding (``encode_basestring`` is what json uses for ``ensure_ascii=False``, and
# any value of an unexpected type goes through one prepared ``JSONEncoder``), so the
# output is the same, byte for byte (tests/report/test_events_output.py compares them).
# The parts that repeat are made once: the type/category/hostile/strength run of each
# kind of event, each source, each time (framing shares one datetime per second).

_string = json_encoder.encode_basestring
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)
_value = _ENCODER.encode
"""Any other value, as ``json.dumps(..., ensure_ascii=False)`` writes it inside the object
(an event never refers to itself: no circularity check needed)."""


def _make_detail() -> Callable[[dict[Any, Any]], str]:
    """The JSON of a ``detail`` dict: json's C encoder called directly (what ``encode``
    does for a dict, without the Python layers around it), when this Python has it and
    it writes what ``encode`` writes; else ``encode``."""
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is not None:
        try:
            encode = make(None, _ENCODER.default, _string, None, ": ", ", ", False, False, True)
            probe = {"a": 'b\u00e9"\n', "n": "1", "": ""}
            if "".join(encode(probe, 0)) == json.dumps(probe, ensure_ascii=False):
                join = "".join
                return lambda detail: join(encode(detail, 0))
        except Exception:  # noqa: S110 - another signature: the Python encoder
            pass
    return _value


_detail = _make_detail()
_heads: dict[tuple[Any, ...], str] = {}
_sources: dict[str, str] = {}
_times: dict[int, tuple[datetime, str, str]] = {}


def _seconds(iso: str) -> str:
    """An ISO 8601 time to the second, its UTC offset kept (``2026-03-11T10:00:00+09:00``:
    the same moment written with two offsets must not read as one)."""
    rest = iso[19:]
    if rest.startswith("."):
        rest = rest.lstrip(".0123456789")
    return iso[:19] + rest


def _iso(time: datetime) -> str:
    """``time.isoformat()``, once per datetime object."""
    return _time_entry(time)[1]


def _time_entry(time: datetime) -> tuple[datetime, str, str]:
    """(time, its isoformat, that as a JSON string), made once per datetime object."""
    hit = _times.get(id(time))
    if hit is not None and hit[0] is time:
        return hit
    if len(_times) > 4096:
        _times.clear()
    text = time.isoformat()
    # The datetime is kept in the entry: its id cannot be reused while it is cached.
    hit = _times[id(time)] = (time, text, _string(text))
    return hit


def _head(etype: Any, category: Any, hostile: Any, strength: Any) -> str:
    """``"type": …, "category": …, "hostile": …, "strength": …`` of one kind of event,
    made once per kind."""
    # The key holds the exact classes: True and 1 are equal keys but different JSON.
    key = (etype, category, hostile, strength, hostile.__class__)
    text = _heads.get(key)
    if text is not None:
        return text
    if len(_heads) > 4096:
        _heads.clear()
    text = _heads[key] = (
        f'"type": {_string(str(etype))}, "category": {_string(str(category))}, '
        f'"hostile": {_value(hostile)}, '
        f'"strength": {_string(str(strength)) if strength is not None else "null"}'
    )
    return text


def _source(source: Any) -> str:
    if source.__class__ is not str:
        return _value(source)
    text = _sources.get(source)
    if text is None:
        if len(_sources) > 4096:
            _sources.clear()
        text = _sources[source] = _string(source)
    return text


def _fast_json(event: Event, show_passwords: bool) -> str:
    (
        etype,
        category,
        hostile,
        strength,
        ip,
        port,
        user,
        mechanism,
        reason,
        record,
        attempts,
        session,
        service,
        server_ip,
        payload,
        detail,
    ) = event
    if payload and etype in _REDACTED_TYPES:
        user, payload = _redacted_payload(event, show_passwords)
    if mechanism is not None and not show_passwords:
        mechanism = shown_mechanism(mechanism)
    head = _head(etype, category, hostile, strength)
    time, _host, program, pid, _message, source, line = record[:7]
    when = "null" if time is None else _time_entry(time)[2]
    where = _source(source)
    s, v, i = _string, _value, int
    return (
        f'{{"source": {where}, '
        f'"line": {line if line.__class__ is i else v(line)}, '
        f'"time": {when}, '
        f'"program": {"null" if program is None else s(program) if program.__class__ is str else v(program)}, '  # noqa: E501
        f'"pid": {"null" if pid is None else pid if pid.__class__ is i else v(pid)}, '
        f"{head}, "
        f'"ip": {"null" if ip is None else s(ip) if ip.__class__ is str else v(ip)}, '
        f'"port": {"null" if port is None else port if port.__class__ is i else v(port)}, '
        f'"user": {"null" if user is None else s(user) if user.__class__ is str else v(user)}, '
        f'"mechanism": {"null" if mechanism is None else s(mechanism) if mechanism.__class__ is str else v(mechanism)}, '  # noqa: E501
        f'"reason": {"null" if reason is None else s(reason) if reason.__class__ is str else v(reason)}, '  # noqa: E501
        f'"attempts": {attempts if attempts.__class__ is i else v(attempts)}, '
        f'"session": {"null" if session is None else s(session) if session.__class__ is str else v(session)}, '  # noqa: E501
        f'"service": {"null" if service is None else s(service) if service.__class__ is str else v(service)}, '  # noqa: E501
        f'"server_ip": {"null" if server_ip is None else s(server_ip) if server_ip.__class__ is str else v(server_ip)}, '  # noqa: E501
        f'"payload": {"null" if payload is None else s(payload) if payload.__class__ is str else v(payload)}, '  # noqa: E501
        f'"detail": {"null" if not detail else _detail(detail if detail.__class__ is dict else dict(detail))}}}'  # noqa: E501
    )


def _printable(text: str) -> str:
    """Client text shown to a terminal: control, formatting and invisible characters
    escaped, a backslash too, never interpreted
    (:func:`~mailwarden.parsers.sasl.escape_text`)."""
    return escape_text(text)
