"""The `mailwarden events` contract: one JSON object (or text line) per event.

Stable fields (ARCHITECTURE.md): source, line, time, program, pid, type, category,
hostile, strength, ip, port, user, mechanism, reason. Extended with attempts, session,
service, server_ip, payload, detail. AUTH payloads are credentials: they are decoded
(the account is useful, `user`) and the password is masked unless show_passwords.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mailwarden.model import Event, EventType
from mailwarden.parsers.sasl import decode_auth

_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_COMMANDS = frozenset(
    {"QUIT", "DATA", "RSET", "NOOP", "HELP", "STARTTLS", "TURN", "EHLO", "HELO", "AUTH"}
)
"""Bare SMTP command words: base64 in form, never a secret."""


def _redacted_payload(event: Event, show_passwords: bool) -> tuple[str | None, str | None]:
    """(user, payload to print): never a raw credential by default.

    An AUTH command's payload is decoded (the account is useful) and its password masked.
    A lone base64 line from the client may be an AUTH LOGIN username or password; which
    one only the session knows, so it is redacted whole."""
    if event.type is EventType.CLIENT_DATA and event.payload and not show_passwords:
        # A dump line can hold several client lines pipelined into one TLS record,
        # joined by the log's ``??`` (``YWRtaW4=??c2VjcmV0??``): any base64 piece counts.
        pieces = [piece.strip() for piece in event.payload.split("??")]
        if any(_BASE64_LINE.fullmatch(piece) and piece not in _COMMANDS for piece in pieces):
            return event.user, "<redacted: base64 line, possibly an AUTH LOGIN step>"
        return event.user, event.payload
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
    return user, f"<redacted: password {credential.masked_password()}>"


def event_dict(event: Event, *, show_passwords: bool = False) -> dict[str, Any]:
    record = event.record
    user, payload = _redacted_payload(event, show_passwords)
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
        "mechanism": event.mechanism,
        "reason": event.reason,
        "attempts": event.attempts,
        "session": event.session,
        "service": event.service,
        "server_ip": event.server_ip,
        "payload": payload,
        "detail": dict(event.detail) if event.detail else None,
    }


def event_json(event: Event, *, show_passwords: bool = False) -> str:
    return json.dumps(event_dict(event, show_passwords=show_passwords), ensure_ascii=False)


def event_text(event: Event, *, show_passwords: bool = False) -> str:
    """One readable line: where, when, what, who, how hostile."""
    d = event_dict(event, show_passwords=show_passwords)
    mark = {"strong": "!!", "weak": "! "}.get(d["strength"] or "", "  ")
    when = d["time"][:19] if d["time"] else "-"
    who = d["ip"] or "-"
    if d["port"]:
        who = f"{who}:{d['port']}"
    parts = [f"{_printable(str(d['source']))}:{d['line']}", when, mark, d["type"], who]
    for key in ("user", "mechanism", "reason", "payload"):
        if d[key]:
            parts.append(f"{key}={_printable(str(d[key]))}")
    if d["attempts"] != 1:
        parts.append(f"attempts={d['attempts']}")
    return " ".join(parts)


def _printable(text: str) -> str:
    """Client text shown to a terminal: control characters escaped, never interpreted."""
    if text.isprintable():
        return text
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")
