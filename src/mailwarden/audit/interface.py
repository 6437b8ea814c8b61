"""The values that leave the audit stage, and the registry of its checks.

A check reads one configuration (Postfix or Dovecot) and returns `AuditFinding`s. Each
finding carries its evidence and its fix as data (`Change`s); the text of the explanation
lives in `texts.py`, keyed by the finding's stable id, so that a finding is the same value
whatever the output language.

A `Change` is one edit: a main.cf parameter, a master.cf service parameter, a new
master.cf service, or one Dovecot setting. Changes are rendered as commands by
`render.py`; two findings that need the same edit carry equal `Change`s, and
`check_consistent()` proves that no two changes disagree about one target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from mailwarden.model import Severity

__all__ = [
    "AuditFinding",
    "Change",
    "CheckSpec",
    "DovecotSet",
    "Evidence",
    "MainSet",
    "Note",
    "ServiceEntry",
    "ServiceSet",
    "Severity",
    "check_consistent",
    "ordered_changes",
    "register",
    "registered",
]


@dataclass(frozen=True)
class Evidence:
    """One configuration fact behind a finding: where a value comes from."""

    parameter: str
    value: str
    service: str | None = None  # "submission/inet" for a master.cf service
    file: str | None = None
    line: int | None = None
    section: str | None = None  # Dovecot: "protocol imap", "remote 192.0.2.0/24"
    default: bool = False  # the value is the built-in default, written nowhere


@dataclass(frozen=True)
class MainSet:
    """`postconf -e 'parameter=value'`."""

    parameter: str
    value: str


@dataclass(frozen=True)
class ServiceSet:
    """`postconf -P 'service/type/parameter=value'` (an `-o` option in master.cf)."""

    service: str  # "submission/inet"
    parameter: str
    value: str


@dataclass(frozen=True)
class ServiceEntry:
    """`postconf -M 'service/type=entry'`: add a master.cf entry, or rewrite one (to drop
    a `-v`). A rewrite carries the entry's `-o` options; a new entry gets them from the
    `ServiceSet`s that follow it."""

    service: str  # "submission/inet"
    fields: tuple[str, ...]  # the eight master.cf columns: name type private ... command
    args: tuple[str, ...] = ()  # command arguments other than -o
    options: tuple[tuple[str, str], ...] = ()  # -o name=value kept by a rewrite


@dataclass(frozen=True)
class DovecotSet:
    """Set one Dovecot setting: replace it at `file:line`, or add it to `file`; or, with
    `remove`, take the line at `file:line` out (a setting Dovecot refuses where it is)."""

    setting: str
    value: str
    file: str
    line: int | None = None  # None: the setting is written nowhere; add it
    old: str | None = None  # the (first) line as it is now
    section: str | None = None
    end_line: int | None = None  # the last line, when the setting continues over several
    remove: bool = False  # take the line out (left empty) instead of writing `value`


Change: TypeAlias = MainSet | ServiceSet | ServiceEntry | DovecotSet


def change_target(change: Change) -> tuple[str, ...]:
    """What a change writes to; two changes with one target must agree."""
    if isinstance(change, MainSet):
        return ("main.cf", change.parameter)
    if isinstance(change, ServiceSet):
        return ("master.cf", change.service, change.parameter)
    if isinstance(change, ServiceEntry):
        return ("master.cf", change.service, "")
    return ("dovecot", change.file, str(change.line), change.section or "", change.setting)


def check_consistent(changes: Iterable[Change]) -> None:
    """Raise ValueError when two changes write different values to one target."""
    seen: dict[tuple[str, ...], Change] = {}
    for change in changes:
        target = change_target(change)
        other = seen.setdefault(target, change)
        if other != change:
            raise ValueError(f"contradicting fixes: {other} vs {change}")


def ordered_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Each change once, in the order they must be applied: main.cf, new or rewritten
    master.cf entries, their `-o` options, then Dovecot. Of two main.cf edits of one
    parameter only the later is kept (it is what `postconf -e` leaves)."""
    unique = list(dict.fromkeys(changes))
    # main.cf keeps the last value written to a parameter: an earlier edit of it is moot
    last = {c.parameter: c for c in unique if isinstance(c, MainSet)}
    unique = [c for c in unique if not isinstance(c, MainSet) or last[c.parameter] is c]
    rank = {MainSet: 0, ServiceEntry: 1, ServiceSet: 2, DovecotSet: 3}
    return tuple(sorted(unique, key=lambda change: rank[type(change)]))


@dataclass(frozen=True)
class AuditFinding:
    """One problem in the configuration, with the evidence and the exact fix.

    `details` fills the placeholders of the explanation text (see `texts.py`);
    `fix` is ordered: main.cf edits, new services, service options, Dovecot edits.
    """

    id: str
    severity: Severity
    evidence: tuple[Evidence, ...]
    fix: tuple[Change, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None  # the service or section it is about, when there are several
    topics: frozenset[str] | None = None  # narrower than its check's topics (None: those)

    @property
    def source(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Note:
    """Something the reader wants the administrator to know (translated by `texts.py`)."""

    key: str
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckSpec:
    """A check id known to the registry, with the analysis topics that point to it
    (`hint_for()` turns a topic into an `audit --check` command line). These are all the
    topics its findings can belong to; a finding that belongs to fewer says which
    (`AuditFinding.topics`), and `--check TOPIC` selects it only then."""

    id: str
    topics: frozenset[str]


_REGISTRY: dict[str, CheckSpec] = {}


def register(check_id: str, *topics: str) -> CheckSpec:
    """Declare a stable finding id (once, at import time of the module that emits it)."""
    if check_id in _REGISTRY:
        raise ValueError(f"duplicate audit check id {check_id}")
    spec = CheckSpec(check_id, frozenset(topics))
    _REGISTRY[check_id] = spec
    return spec


def registered() -> Mapping[str, CheckSpec]:
    """Every declared finding id (import postfix.py and dovecot.py first)."""
    return dict(_REGISTRY)
