"""Run the audit: read what is there, check it, order the findings, prove the fixes agree.

A configuration named on the command line must be readable (else `AuditError`, exit 1);
the default locations (/etc/postfix, /etc/dovecot/dovecot.conf) are skipped with a note
when absent, and it is an error only when neither exists. When one of the two cannot be
read and the other can, the other is audited and a note gives the error: the report is
then incomplete (exit status 1 unless a finding is high), never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mailwarden.audit.dovecot import check_dovecot
from mailwarden.audit.dovecot_config import DovecotConfig
from mailwarden.audit.dovecot_reader import DEFAULT_CONFIG, read_dovecot
from mailwarden.audit.interface import (
    AuditFinding,
    Change,
    Note,
    Severity,
    check_consistent,
    ordered_changes,
    registered,
)
from mailwarden.audit.postfix import check_postfix
from mailwarden.audit.postfix_config import PostfixConfig, Version
from mailwarden.audit.postfix_reader import read_postfix
from mailwarden.audit.tls import Library
from mailwarden.errors import AuditError
from mailwarden.locale import _

DEFAULT_POSTFIX_DIR = Path("/etc/postfix")
DEFAULT_DOVECOT_CONFIG = DEFAULT_CONFIG
SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
EXIT_HIGH = 3
EXIT_UNREAD = 1
TOOL_FAILED = ("postconf_failed", "doveconf_failed")
REFUSED_ENTRY = frozenset(
    {"master_cf_field_count", "master_cf_continuation", "master_cf_field", "master_cf_brace"}
)
"""Notes of a master.cf entry that Postfix refuses, left out of the audit."""
REFUSED_VALUES = frozenset(
    {
        "master_cf_option",
        "master_cf_option_missing",
        "master_cf_brace_option",
        "postfix_boolean",
        "postfix_boolean_service",
    }
)
"""Notes of a value that postconf takes but the program that reads it refuses at start
(a `-o` that is no name=value, a yes/no parameter that is neither): that service, or
every program that reads a main.cf value, does not run. The audit is incomplete."""
REFUSED_BRACES = frozenset({"dovecot_brace_missing", "dovecot_brace_unexpected"})
"""Notes of a Dovecot configuration whose braces do not pair, which doveconf refuses
("Missing '}'", "Unexpected '}'"): the files parser read its sections as written, but
the audit is incomplete, as when doveconf fails."""
UNREAD = frozenset(
    {
        "postfix_unread",
        "dovecot_unread",
        "include_missing",
        "include_recursive",
        "include_depth",
        "include_count",
    }
)
"""Notes of a part of the configuration that was not read: a configuration that could
not be read at all (the other one was audited), or Dovecot includes that doveconf
refuses or that the file parser stopped following. The audit is incomplete, with the
files read directly as with doveconf (which then fails)."""


@dataclass(frozen=True)
class Target:
    """A configuration to read; `required` when the user named it."""

    path: Path
    required: bool


@dataclass(frozen=True)
class AuditReport:
    postfix: PostfixConfig | None
    dovecot: DovecotConfig | None
    findings: tuple[AuditFinding, ...]
    notes: tuple[Note, ...] = ()
    selected: tuple[str, ...] | None = None  # the check ids `--check` chose; None: all

    @property
    def exit_status(self) -> int:
        """3: a high finding; else 1 when the audit is incomplete: postconf or doveconf
        could not read the configuration (the files were parsed instead), master.cf
        has an entry that Postfix refuses (left out), Postfix refuses a value at start
        (REFUSED_VALUES), or dovecot.conf braces that do not pair; else 0."""
        high = any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[Severity.HIGH] for f in self.findings)
        if high:
            return EXIT_HIGH
        return EXIT_UNREAD if not self.complete else 0

    @property
    def complete(self) -> bool:
        return (
            not self.failed_tools()
            and not self.refused_entries()
            and not self.unread()
            and not self.refused_braces()
            and not self.refused_values()
        )

    def refused_values(self) -> bool:
        """A value that Postfix's programs refuse at start (REFUSED_VALUES)."""
        return any(note.key in REFUSED_VALUES for note in self.all_notes())

    def unread(self) -> bool:
        """A configuration, or a file it includes, was not read (UNREAD)."""
        return any(note.key in UNREAD for note in self.all_notes())

    def refused_braces(self) -> bool:
        """dovecot.conf has a { never closed or a } with nothing open (REFUSED_BRACES)."""
        return any(note.key in REFUSED_BRACES for note in self.all_notes())

    def refused_entries(self) -> bool:
        """master.cf has an entry that Postfix refuses: it was not audited."""
        return any(note.key in REFUSED_ENTRY for note in self.all_notes())

    def all_notes(self) -> tuple[Note, ...]:
        postfix = self.postfix.notes if self.postfix else ()
        dovecot = self.dovecot.notes if self.dovecot else ()
        return (*self.notes, *postfix, *dovecot)

    def failed_tools(self) -> tuple[str, ...]:
        """postconf, doveconf: those that could not read their configuration."""
        failed = {note.key for note in self.all_notes()}
        return tuple(key.split("_")[0] for key in TOOL_FAILED if key in failed)

    def changes(self) -> tuple[Change, ...]:
        """Every edit of every finding, once each, in the order they must be applied."""
        return ordered_changes(change for finding in self.findings for change in finding.fix)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def run_audit(
    postfix: Target | None,
    dovecot: Target | None,
    *,
    postfix_version: Version | None = None,
    openssl: Library | None = None,
    use_tools: bool = True,
    selectors: Sequence[str] = (),
) -> AuditReport:
    notes: list[Note] = []
    errors: list[AuditError] = []
    postfix_config = None
    if postfix is not None:
        if postfix.required or (postfix.path / "main.cf").exists():
            try:
                postfix_config = read_postfix(
                    postfix.path, version=postfix_version, use_tools=use_tools, library=openssl
                )
            except AuditError as exc:
                errors.append(exc)
                notes.append(Note("postfix_unread", {"error": str(exc)}))
        else:
            notes.append(Note("postfix_absent", {"directory": str(postfix.path)}))
    dovecot_config = None
    if dovecot is not None:
        if dovecot.required or dovecot.path.exists():
            try:
                dovecot_config = read_dovecot(dovecot.path, use_tools=use_tools, library=openssl)
            except AuditError as exc:
                errors.append(exc)
                notes.append(Note("dovecot_unread", {"error": str(exc)}))
        else:
            notes.append(Note("dovecot_absent", {"path": str(dovecot.path)}))
    if postfix_config is None and dovecot_config is None:
        # Neither was read: the one error (or the first) is the answer. One that
        # could not be read beside one that was is a note: its error never drops
        # the other's report.
        if errors:
            raise errors[0]
        raise AuditError(_("nothing to audit: no Postfix or Dovecot configuration found"))
    found: list[AuditFinding] = []
    if postfix_config is not None:
        found += check_postfix(postfix_config, lambda f: selects(f, selectors))
        # what the checks met while expanding values, said once they have all run
        expansion_notes = postfix_config.expansion_notes()
        if expansion_notes:
            postfix_config = replace(
                postfix_config, notes=(*postfix_config.notes, *expansion_notes)
            )
    if dovecot_config is not None:
        found += check_dovecot(dovecot_config)
    found = [f for f in found if selects(f, selectors)]
    if postfix_config is not None:
        postfix_config = replace(postfix_config, notes=_pointing_to(postfix_config.notes, found))
    audited = {"postfix"} if postfix_config is not None else set()
    if dovecot_config is not None:
        audited.add("dovecot")
    notes += [
        Note("selector_unaudited", {"selector": selector, "source": source})
        for selector, source in unaudited_selectors(selectors, audited)
    ]
    notes += selection_notes(selectors, audited)
    selected = tuple(i for i in registered() if matches(i, selectors)) if selectors else None
    try:
        check_consistent(change for finding in found for change in finding.fix)
    except ValueError as exc:  # a bug in the checks, never in the input
        raise AuditError(_("internal error: {reason}").format(reason=exc)) from exc
    return AuditReport(
        postfix_config, dovecot_config, tuple(sort_findings(found)), tuple(notes), selected
    )


def sort_findings(findings: Iterable[AuditFinding]) -> list[AuditFinding]:
    order = {check_id: i for i, check_id in enumerate(registered())}
    return sorted(
        findings,
        key=lambda f: (-SEVERITY_RANK[f.severity], order.get(f.id, len(order)), f.subject or ""),
    )


def selects(finding: AuditFinding, selectors: Sequence[str]) -> bool:
    """`--check` keeps this finding: its check is named (by id or source), or a topic
    is named that this finding belongs to (`AuditFinding.topics` when narrower than
    its check's)."""
    if finding.topics is None:
        return matches(finding.id, selectors)
    return not selectors or any(
        _names(selector, finding.id) or selector in finding.topics for selector in selectors
    )


def matches(check_id: str, selectors: Sequence[str]) -> bool:
    """`--check` selectors: an id, a prefix (`postfix`, `dovecot`), or a topic."""
    if not selectors:
        return True
    spec = registered().get(check_id)
    for selector in selectors:
        if _names(selector, check_id):
            return True
        if spec is not None and selector in spec.topics:
            return True
    return False


def _names(selector: str, check_id: str) -> bool:
    """The selector is the id, or its source (`postfix`, `dovecot.`)."""
    return selector == check_id or check_id.startswith(selector.rstrip(".") + ".")


def unaudited_selectors(selectors: Sequence[str], audited: set[str]) -> list[tuple[str, str]]:
    """The `--check` selectors whose checks are all of a source that was not audited
    (``--check dovecot`` with only ``--postfix-dir``), each with that source's name."""
    names = {"postfix": "Postfix", "dovecot": "Dovecot"}
    left = []
    for selector in selectors:
        sources = {i.split(".", 1)[0] for i in registered() if matches(i, [selector])}
        if sources and not sources & audited:
            left.append((selector, " and ".join(names.get(s, s) for s in sorted(sources))))
    return left


REFUSED_BOOLEAN_NOTES = frozenset({"postfix_boolean", "postfix_boolean_service"})


def _pointing_to(notes: tuple[Note, ...], found: Sequence[AuditFinding]) -> tuple[Note, ...]:
    """A refused yes/no value's note ends with "Write yes or no"; where the report has
    its `postfix.refused_boolean` finding (not left out by `--check`), which gives the
    command to paste, the note points to that finding instead (variant `reported`)."""
    reported: set[tuple[str, str]] = set()
    for finding in found:
        if finding.id == "postfix.refused_boolean":
            parameter = finding.details.get("parameter", "")
            services = finding.subject.split(", ") if finding.subject else [""]
            reported.update((parameter, service) for service in services)
    pointed = []
    for item in notes:
        where = (item.details.get("parameter", ""), item.details.get("service", ""))
        if item.key in REFUSED_BOOLEAN_NOTES and where in reported:
            item = replace(item, details={**item.details, "variant": "reported"})
        pointed.append(item)
    return tuple(pointed)


def selection_notes(selectors: Sequence[str], audited: set[str]) -> list[Note]:
    """A note when `--check` left out checks of what was audited: a clean report then
    says nothing about them, and must not read as a clean audit. (A selection of only
    what was not audited has its `selector_unaudited` note instead.)"""
    if not selectors:
        return []
    available = [i for i in registered() if i.split(".", 1)[0] in audited]
    ran = [i for i in available if matches(i, selectors)]
    if not ran or len(ran) == len(available):
        return []
    details = {"selectors": " ".join(selectors), "count": str(len(ran))}
    return [Note("checks_selected", {**details, "total": str(len(available))})]


def known_selector(selector: str) -> bool:
    ids = registered()
    topics = {topic for spec in ids.values() for topic in spec.topics}
    prefixes = {check_id.split(".", 1)[0] for check_id in ids}
    return selector in ids or selector.rstrip(".") in prefixes or selector in topics


def hint_for(kind: str) -> str:
    """The command line that audits the configuration behind an analysis finding.

    `kind` is a `Finding.kind` of the analysis (credential_exposed, weak_tls,
    soft_bounce, auth_on_port_25, cleartext_auth, bruteforce, spray) or a check id;
    anything else gives the plain `mailwarden audit`.
    """
    ids = registered()
    topics = {topic for spec in ids.values() for topic in spec.topics}
    if kind in ids or kind in topics:
        return f"mailwarden audit --check {kind}"
    return "mailwarden audit"
