"""Detection: events -> sessions, sliding windows, rules -> verdicts, findings, analysis.

The few names consumers need:

- :func:`sessions_of` (explain): group an excerpt's events by client session.
- :class:`Detector` (daemon, analyzer): ``feed(event) -> detections``, ``expire()``,
  ``close()``, ``result() -> Analysis``; :func:`analyze` for a one-shot run.
- :class:`Analysis` and its parts (report): ``to_json(show_passwords)`` is the
  ``analyze --format json`` contract.
"""

from mailwarden.detect.accounts import Accounts, load_accounts
from mailwarden.detect.analysis import (
    Analysis,
    Attacker,
    Compromise,
    SeenCredential,
    Verdict,
)
from mailwarden.detect.rules import Detection, Detector, analyze
from mailwarden.detect.sessions import Session, SessionTracker, sessions_of

__all__ = [
    "Accounts",
    "Analysis",
    "Attacker",
    "Compromise",
    "Detection",
    "Detector",
    "SeenCredential",
    "Session",
    "SessionTracker",
    "Verdict",
    "analyze",
    "load_accounts",
    "sessions_of",
]
