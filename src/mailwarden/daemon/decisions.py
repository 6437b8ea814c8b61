"""The daemon's decision log (one line per decision) and the evidence kept with a ban.

    ban 203.0.113.7/32 for 1h until 2026-11-28T14:00:00Z: bruteforce: 3 or more failed
        logins within 1m (users: admin, info)                      <- one line in the log
    ban 203.0.113.7/32 for 2h until ...: ... (offence 2)
    unban 203.0.113.7/32: lifted in the store                     <- by `mailwarden unban`
    ban of 203.0.113.7/32 expired
    refuse to ban 192.0.2.1/32: 192.0.2.1/32 is an address of this host (192.0.2.1/32)
    not banning 192.0.2.50/32: it is allow-listed; bruteforce: 3 or more failed logins
        within 1m
    watch 198.51.100.4: probe: tried admin, a name bots try on every server   (-v only)
    compromise: "admin@example.org" logged in from 198.51.100.4: logged in as ...
    possible compromise: "carol@example.org" logged in from ...; ask the owner whether it
        was them                            <- by_others: only others' guessing before it
    compromise: the password of "pat@example.org" was accepted from 203.0.113.180, though
        the session did not start: logged in as ...   <- Dovecot's "internal failure,
                                                          K successful auths"

Client text (usernames, which a reason can quote) is escaped to printable ASCII and
truncated, so a decision is always exactly one line and a username cannot forge one.
The evidence stored with a ban is JSON with the detector's redaction applied (decoded
AUTH payloads and Dovecot's ``given password`` are masked), and the usernames tried.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mailwarden.config import duration_text
from mailwarden.detect import Detection
from mailwarden.detect.analysis import evidence_json
from mailwarden.enforce.dryrun import one_line
from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse
from mailwarden.parsers.sasl import json_safe
from mailwarden.store import BanRow

__all__ = [
    "ban_alert",
    "ban_line",
    "ban_reason",
    "clean",
    "compromise_alert",
    "compromise_line",
    "detection_line",
    "duration_text",
    "evidence_text",
    "evidence_time",
    "iso",
    "reason_text",
    "users_of",
]

MAX_REASON = 240
MAX_USER = 40
MAX_USERS = 5


def clean(text: str, limit: int = MAX_REASON) -> str:
    """Printable ASCII, at most `limit` characters (``...`` marks a cut)."""
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reason_text(reason: str, limit: int = MAX_REASON) -> str:
    """A detector's reason for a decision line and the store: :func:`clean`, a backslash
    written ``\\\\`` first. The reason can quote a name a client chose (a probe's ``tried
    …``): ``\\x0a`` in the line is then a newline, ``\\\\x0a`` the text a client typed.
    Once, on the detector's raw text: :func:`clean` after it leaves backslashes alone,
    so the stored reason is shown again as it is."""
    return clean(reason.replace("\\", "\\\\"), limit)


def iso(moment: datetime) -> str:
    """``2026-11-28T14:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def users_of(detection: Detection, trigger: Event | None = None) -> str:
    """The usernames behind a detection, for its log line: at most `MAX_USERS`, escaped
    and `quoted`, most tried first, and ``+N more`` for the rest (``"alice", "bob",
    "carol", "dave", "erin" +7 more``; ``+N or more`` when the detector stopped keeping
    the client's names). They are the detector's ``data["users"]`` when it gives them
    (for a network, those of all its addresses), else those of its evidence lines (the
    detector keeps evidence slim, without the parsed user: the few lines are parsed
    again here, once per ban), and the user of the event that crossed the threshold.
    Empty when none is known."""
    data = detection.data
    named = data.get("users")
    candidates: list[object] = list(named) if isinstance(named, list | tuple) else []
    if not candidates:
        for event in detection.evidence:
            candidates += [event.user] if event.user else _users_in(event, detection.ip)
        if trigger is not None:
            candidates.append(trigger.user)
    seen: list[str] = []
    for user in candidates:
        if isinstance(user, str) and user:
            text = quoted(user)
            if text not in seen:
                seen.append(text)
    total = data.get("user_count") if named else None
    if not isinstance(total, int) or total < len(seen):
        total = len(seen)
    shown = ", ".join(seen[:MAX_USERS])
    more = total - min(len(seen), MAX_USERS)
    if more > 0:
        shown += f" +{more} more" if data.get("users_complete", True) else f" +{more} or more"
    return shown


def quoted(name: str, limit: int = MAX_USER) -> str:
    """``name`` in double quotes, ``"`` and ``\\`` escaped by a backslash, then made
    printable ASCII (:func:`clean`: ``\\x0a`` for a newline, written after the escaping
    so that it stays one backslash, and the text ``\\x0a`` a client typed reads
    ``\\\\x0a``): a username in a log line cannot end its list or write text that reads
    as the line's own."""
    return '"' + clean(name.replace("\\", "\\\\").replace('"', '\\"'), limit) + '"'


def _users_in(event: Event, ip: str | None) -> list[str | None]:
    record = event.record
    if not record.text:
        return []
    framer = Framer(split_pasted=False)
    found: list[str | None] = []
    for again in framer.frame_line(record.text, record.source, record.line, record.offset):
        found += [e.user for e in parse(again) if e.ip == ip or e.ip is None]
    return found


def ban_reason(detection: Detection) -> str:
    """What the store and ``status`` say about an automatic ban."""
    return reason_text(f"{detection.verdict}: {detection.reason}")


def ban_line(row: BanRow, users: str = "", how: str = "") -> str:
    """The decision log line of a ban the store recorded; ``users`` is `users_of`'s."""
    line = f"ban {row.network} for {duration_text(row.until - row.since)} until {iso(row.until)}"
    if row.offences > 1:
        line += f" (offence {row.offences})"
    line += f": {clean(row.reason)}"
    if users:
        line += f" (users: {users})"
    return line + how


def detection_line(detection: Detection) -> str:
    """A decision that is not a ban: watch, allow-listed, stale password."""
    subject = detection.ip or str(detection.target)
    what = f"{detection.verdict}: {reason_text(detection.reason)}"
    if detection.recommendation == "watch":
        return f"watch {subject}: {what}"
    # ``none (allow-listed)``: the why without its brackets, before what it did, so no
    # bracket of the reason (``(users: …)``) nests in it.
    why = detection.recommendation
    if why.startswith("none (") and why.endswith(")"):
        why = why[len("none (") : -1]
    if why in ("allow-listed", "this machine"):
        why = f"it is {why}"
    return f"not banning {detection.target}: {clean(why)}; {what}"


def compromise_line(detection: Detection) -> str:
    """``compromise: …`` for a break-in; ``possible compromise: …, ask the owner`` for
    a login that only others' guessing (or a few tries) makes suspect (``by_others``)."""
    user = detection.data.get("user")
    who = quoted(str(user)) if user else "an account"
    if detection.data.get("session_started") is False:
        # Dovecot's "internal failure, K successful auths": the password was right.
        what = (
            f"the password of {who} was accepted from {detection.ip}, though the session "
            f"did not start: {reason_text(detection.reason)}"
        )
    else:
        what = f"{who} logged in from {detection.ip}: {reason_text(detection.reason)}"
    if detection.data.get("by_others"):
        return f"possible compromise: {what}; ask the owner whether it was them"
    return f"compromise: {what}"


def evidence_text(detection: Detection) -> str:
    """The evidence stored with a ban: JSON, credentials redacted, the characters a
    terminal would act on escaped (:func:`~mailwarden.parsers.sasl.json_safe`)."""
    return json_safe(
        json.dumps(
            {
                "verdict": str(detection.verdict),
                "reason": detection.reason,
                "ip": detection.ip,
                "time": detection.time.isoformat() if detection.time else None,
                **_users_json(detection),
                "events": evidence_json(detection.evidence),
            },
            ensure_ascii=False,
            default=str,
        )
    )


def _users_json(detection: Detection) -> dict[str, Any]:
    """``users`` (the names tried, most tried first, at most ten; for a network, by all
    its addresses) and ``user_count`` (how many were tried) for the stored evidence and
    the alert of a ban; nothing for a detection that names none."""
    data = detection.data
    named = data.get("users")
    if not isinstance(named, list | tuple) or not named:
        return {}
    users = [user for user in named if isinstance(user, str)]
    total = data.get("user_count")
    return {"users": users, "user_count": total if isinstance(total, int) else len(users)}


def evidence_time(evidence: str) -> datetime | None:
    """The attack's time (the log's) that :func:`evidence_text` stored with a ban; None
    for a ban without it (``mailwarden ban``, damaged text)."""
    try:
        value = json.loads(evidence).get("time")
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except (ValueError, AttributeError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


def compromise_alert(detection: Detection) -> dict[str, Any]:
    """The alert for a compromise (see `alerts`)."""
    return {
        "kind": "compromised",
        "time": iso(detection.time or datetime.now(UTC)),
        "ip": detection.ip,
        "network": str(detection.target),
        "verdict": str(detection.verdict),
        "reason": detection.reason,
        "user": detection.data.get("user"),
        # True: only other clients' guessing (or a few tries) came before this login;
        # the owner can tell whether it was theirs (ask before resetting).
        "by_others": bool(detection.data.get("by_others")),
        # False: the password was accepted but the login failed after it (Dovecot's
        # "internal failure, K successful auths"): the client knows the password.
        "session_started": detection.data.get("session_started") is not False,
        "evidence": evidence_json(detection.evidence),
    }


def ban_alert(row: BanRow, detection: Detection) -> dict[str, Any]:
    """The alert for an automatic ban (see `alerts`)."""
    return {
        "kind": "ban",
        "time": iso(row.since),
        "ip": detection.ip,
        "network": str(row.network),
        "verdict": str(detection.verdict),
        "reason": row.reason,
        "until": iso(row.until),
        "offences": row.offences,
        **_users_json(detection),
        "evidence": evidence_json(detection.evidence),
    }
