"""Turn an `AuditReport` into commands, text (rich) and JSON.

Commands are single lines that can be pasted into a shell: every argument that carries
configuration text is single-quoted. `postconf` and `postfix` get `-c DIR` (absolute)
unless the audited directory is the default one, and `doveadm reload` gets `-c FILE`
unless the configuration is /etc/dovecot/dovecot.conf, so a pasted fix always edits and
reloads the instance that was audited, from any working directory. Dovecot has no editing
command: a fix names the file and line, and gives the `sed` line that makes the edit (or
the `printf` line that appends a missing setting); a setting continued over several lines
(`\\`) is replaced on its first line and its other lines are emptied (JSON `end_line`).
A line to take out (JSON `remove`: a setting Dovecot refuses where it is) is emptied
the same way, so that the line numbers of the other edits stay true.

JSON output is one document (see `render_json`): `title`, `explanation` and notes in the
chosen language only (ids, severities, evidence and commands are the same in every
language; run again with `--lang` for the other one); `commands` at the top level is
every fix in the order to apply, reload lines last; `complete` is false when postconf
or doveconf could not read the configuration and the files were parsed instead (the text
report says so in place of "No problems found", and the exit status is then 1 unless a
finding is high). `selected` is null when every check ran, else the ids of the checks
that `--check` chose (those of a source that was not audited included): `complete` says
whether the configuration was read in full, `selected` whether it was checked in full, and
a clean report with a selection says "No problems found in what was audited", with a note
naming the selection. A finding's `fix.note` says what to know before pasting its fix (a
certificate is needed; the fix also sets what the service reads once it is applied; a
rewritten master.cf entry carries the other fixes of that service), or why there is
nothing to paste (only an upgrade helps); null when there is nothing to say.

Postfix before 2.11 has no `postconf -M` or `-P`. For such a version the pasteable list
(the text report's last section, and the top-level JSON `commands`) holds only
`postconf -e` and the reload, and the master.cf entries the fixes add or change are given
as text, as they must read (the text report prints them before the reload; JSON has them
in the top-level `master_cf`, null otherwise: apply them before the reload lines). A
finding's own fix is given the same way (its JSON `fix.commands` without `-M`/`-P`, its
`fix.master_cf` the entries it touches; the text report prints them before its reload),
and the entries read as in the combined list, with every finding's edits of them: made by
hand, one after another, no finding's entry undoes another's.

Text output wraps explanations at the terminal width (at most 100 columns; 80 when not a
terminal) but never wraps a command, so that a copied command stays whole. Colour is
used only on a terminal.

Configuration text (values, paths, section and service names) may hold terminal escapes
and other control or invisible characters: the text report shows them escaped (`\\x1b`,
`escape_unsafe`), never raw, and Rich markup in them (`[bold]`) is printed as written. A
command is printed only as it must be pasted: one that would have to carry such a
character (a directory named with one, a value kept from the configuration) is not
printed as a command but commented out, escaped, under a line saying so; the JSON output
has it exact (JSON escapes those characters). A tab that indents a Dovecot line is
written `\\t` in its `sed` line (GNU sed, as `sed -i` already is), so that the command
stays printable. JSON values are the same as before, with every such character written
as `\\uXXXX` (`json_safe`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from mailwarden.audit.dovecot_config import DovecotConfig
from mailwarden.audit.interface import (
    AuditFinding,
    Change,
    DovecotSet,
    Evidence,
    MainSet,
    ServiceEntry,
    ServiceSet,
    Severity,
    ordered_changes,
)
from mailwarden.audit.postfix import ANVIL_EVIDENCE
from mailwarden.audit.postfix_config import PostfixConfig, format_version
from mailwarden.audit.runner import DEFAULT_DOVECOT_CONFIG, AuditReport
from mailwarden.audit.textfile import same_path
from mailwarden.audit.texts import NO_FIX, Lang, explanation, fill, label, note, title
from mailwarden.audit.texts import Text as TextPair
from mailwarden.audit.tls import UNKNOWN_LIBRARY
from mailwarden.explain.wrap import NO_LINE_END
from mailwarden.parsers.sasl import escape_unsafe, json_safe

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_INDENT = "    "
_COUNTED = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def quote(text: str) -> str:
    """Single-quote for a POSIX shell, always (so the quoting is visible and uniform)."""
    return "'" + text.replace("'", "'\\''") + "'"


class CommandWriter:
    """Renders changes as command lines for one report."""

    def __init__(self, report: AuditReport) -> None:
        self.postfix = report.postfix
        self.dovecot_path = report.dovecot.path if report.dovecot else None

    def _postconf(self) -> str:
        config = self.postfix
        if config is None or config.default_directory:
            return "postconf"
        return f"postconf -c {_directory(config)}"

    def command(self, change: Change) -> str | None:
        if isinstance(change, MainSet):
            return f"{self._postconf()} -e {quote(f'{change.parameter}={change.value}')}"
        if isinstance(change, ServiceSet):
            option = f"{change.service}/{change.parameter}={change.value}"
            return f"{self._postconf()} -P {quote(option)}"
        if isinstance(change, ServiceEntry):
            return f"{self._postconf()} -M {quote(f'{change.service}={entry_text(change)}')}"
        return dovecot_command(change)

    def reload(self, changes: Iterable[Change]) -> list[str]:
        kinds = {isinstance(change, DovecotSet) for change in changes}
        lines = []
        if False in kinds:
            config = self.postfix
            if config is None or config.default_directory:
                lines.append("postfix reload")
            else:
                lines.append(f"postfix -c {_directory(config)} reload")
        if True in kinds:
            lines.append(self._doveadm_reload())
        return lines

    def _doveadm_reload(self) -> str:
        """`doveadm reload` for /etc/dovecot/dovecot.conf; another configuration is
        named, so that the reload reaches the instance that was audited."""
        path = self.dovecot_path
        if path is None or same_path(path, DEFAULT_DOVECOT_CONFIG):
            return "doveadm reload"
        return f"doveadm -c {shlex.quote(os.path.abspath(path))} reload"

    def commands(self, changes: Iterable[Change]) -> list[str]:
        return [line for line in (self.command(c) for c in changes) if line is not None]

    def pasteable(self, changes: Iterable[Change]) -> list[str]:
        """The commands this Postfix accepts: without master.cf edits before 2.11 (they
        are in `master_cf_text`)."""
        if not _old_postfix(self.postfix):
            return self.commands(changes)
        return self.commands(c for c in changes if not isinstance(c, ServiceEntry | ServiceSet))


def _directory(config: PostfixConfig) -> str:
    """The configuration directory as a command names it: absolute, so that a pasted
    command edits the audited instance from any working directory."""
    return shlex.quote(os.path.abspath(config.directory))


def master_cf_text(config: PostfixConfig | None, changes: tuple[Change, ...]) -> str | None:
    """For a Postfix without `postconf -M/-P`: the master.cf entries as they must read
    after `changes` (None when nothing in master.cf changes, or postconf can do it)."""
    if config is None or not _old_postfix(config):
        return None
    return stanzas(config, changes)


def entry_text(change: ServiceEntry) -> str:
    words = [*change.fields, *change.args]
    for name, value in change.options:
        words += ["-o", f"{name}={value}" if " " not in value else f"{{ {name} = {value} }}"]
    return " ".join(words)


def dovecot_command(change: DovecotSet) -> str | None:
    """`sed` replaces the line in place; the lines that continued it (`\\` at the end of
    a line) are emptied rather than deleted, so that the line numbers of the other
    edits of that file stay true whatever order they are pasted in."""
    new = f"{change.setting} = {change.value}"
    file = shlex.quote(os.path.abspath(change.file))
    if change.remove:
        if change.line is None:
            return None
        end = change.end_line if change.end_line is not None else change.line
        lines = f"{change.line},{end}" if end > change.line else str(change.line)
        return f"sed -i {quote(f'{lines}s/.*//')} {file}"
    if change.line is not None and change.old is not None:
        indent = change.old[: len(change.old) - len(change.old.lstrip())]
        replacement = (indent + new).replace("\\", "\\\\").replace("/", "\\/").replace("&", "\\&")
        replacement = replacement.replace("\t", "\\t")  # GNU sed: a tab, printable here
        script = f"{change.line}s/.*/{replacement}/"
        if change.end_line is not None and change.end_line > change.line:
            script += f";{change.line + 1},{change.end_line}s/.*//"
        return f"sed -i {quote(script)} {file}"
    if change.section is None:
        return f"printf '%s\\n' {quote(new)} >> {file}"
    return None


LONGEST_SHOWN = 200
"""Characters of a configuration value or line that the text report shows; the rest
is left out, with a note of how long it is (JSON has it whole). A value of megabytes
would fill the terminal, the finding lost in it."""


def cut(text: str, lang: Lang, limit: int | None = LONGEST_SHOWN) -> str:
    """`text`, or its start and how long it is when longer than `limit`."""
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + label("cut_value", lang, count=str(len(text)))


def dovecot_instruction(change: DovecotSet, lang: Lang, limit: int | None = None) -> str:
    """What to edit by hand; the line it replaces cut to `limit` characters."""
    new = f"{change.setting} = {change.value}"
    if change.remove and change.line is not None and change.old is not None:
        line, old = str(change.line), cut(change.old.strip(), lang, limit)
        if change.end_line is not None and change.end_line > change.line:
            end = str(change.end_line)
            return label("remove_lines", lang, file=change.file, line=line, end=end, old=old)
        return label("remove_line", lang, file=change.file, line=line, old=old)
    if change.line is not None and change.old is not None:
        line, old = str(change.line), cut(change.old.strip(), lang, limit)
        if change.end_line is not None and change.end_line > change.line:
            end = str(change.end_line)
            return label(
                "replace_lines", lang, file=change.file, line=line, end=end, old=old, new=new
            )
        return label("replace_line", lang, file=change.file, line=line, old=old, new=new)
    if change.section:
        return label("add_setting_section", lang, file=change.file, section=change.section, new=new)
    return label("add_setting", lang, file=change.file, new=new)


class FindingStanzas:
    """The master.cf entries a finding's fix touches, as they must read: after the fix
    (postconf -M/-P do the edits), or for a Postfix before 2.11, where they are made by
    hand, after every change of the report, as the combined list gives them. The
    report's changes are gathered and applied once, not once per finding (with
    thousands of services, once per finding grew with the square of their number)."""

    def __init__(self, report: AuditReport) -> None:
        self.config = report.postfix
        self.report = report
        self._after: PostfixConfig | None = None

    def __call__(self, fix: tuple[Change, ...]) -> str | None:
        config = self.config
        if config is None:
            return None
        if not _old_postfix(config):
            return stanzas(config, fix)
        if self._after is None:
            self._after = config.apply(ordered_changes(self.report.changes()))
        return _entries(self._after, _services(fix))


def _services(changes: Iterable[Change]) -> list[str]:
    return [c.service for c in changes if isinstance(c, ServiceEntry | ServiceSet)]


def stanzas(
    config: PostfixConfig, changes: tuple[Change, ...], services: list[str] | None = None
) -> str | None:
    """master.cf entries as they will read after `changes` (new or edited services; only
    `services` when given)."""
    keys = _services(changes) if services is None else services
    if not keys:
        return None
    return _entries(config.apply(changes), keys)


def _entries(after: PostfixConfig, keys: list[str]) -> str | None:
    texts = []
    for key in dict.fromkeys(keys):
        service = after.service(key)
        if service is not None:
            texts.append(service.stanza())
    return "\n".join(texts) or None


def _old_postfix(config: PostfixConfig | None) -> bool:
    return config is not None and config.version is not None and config.version < (2, 11)


# --- JSON -------------------------------------------------------------------------


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "parameter": evidence.parameter,
        "value": evidence.value,
        "service": evidence.service,
        "file": evidence.file,
        "line": evidence.line,
        "section": evidence.section,
        "default": evidence.default,
    }


def finding_json(
    finding: AuditFinding, writer: CommandWriter, entries: FindingStanzas, lang: Lang
) -> dict[str, Any]:
    edits = [
        {
            "file": c.file,
            "line": c.line,
            "setting": c.setting,
            "value": c.value,
            "old": c.old,
            "section": c.section,
            "end_line": c.end_line,
            "remove": c.remove,
            "instruction": dovecot_instruction(c, lang),
        }
        for c in finding.fix
        if isinstance(c, DovecotSet)
    ]
    return {
        "id": finding.id,
        "severity": str(finding.severity),
        "title": title(finding.id, finding.details, lang),
        "subject": finding.subject,
        "evidence": [_evidence_json(e) for e in finding.evidence],
        "explanation": explanation(finding.id, finding.details, lang),
        "fix": {
            "commands": writer.pasteable(finding.fix),
            "reload": writer.reload(finding.fix),
            "master_cf": entries(finding.fix),
            "edits": edits,
            "note": _fix_note(finding, lang),
        },
    }


def _fix_note(finding: AuditFinding, lang: Lang) -> str | None:
    return " ".join(_fix_notes(finding, lang)) or None


def _fix_notes(finding: AuditFinding, lang: Lang) -> list[str]:
    """What to know about the fix: why there is none (upgrade), which fix adds the
    service a finding is about; that a certificate is needed; that the fix sets more
    than the finding names, because the service then reads other settings."""
    notes = []
    if not finding.fix:
        no_fix = _no_fix(finding)
        if no_fix is not None:
            notes.append(fill(no_fix.get(lang), finding.details, lang))
    if finding.details.get("added_by"):
        notes.append(label("planned_service", lang, **finding.details))
    if finding.details.get("after_fix"):
        key = "after_fix"
        if finding.source == "dovecot":  # without a fix: nothing goes with that one
            key = "after_fix_dovecot" if finding.fix else "after_fix_tls_on"
        notes.append(label(key, lang, **finding.details))
    if finding.details.get("certificate", "").startswith("missing"):
        notes.append(label(_certificate_label(finding), lang))
    if finding.details.get("folded") == "yes":
        notes.append(label("folded_rewrite", lang))
    if finding.details.get("completed") == "yes":
        notes.append(label("completed_fix", lang))
    return notes


def _no_fix(finding: AuditFinding) -> TextPair | None:
    """What to do when there is no edit to paste: the words for the parameter this
    Postfix lacks (`missing`, with the version that brought it), else those for the
    settings of this version (`no_fix`: `chain` or `pair` for a Postfix certificate), else
    the check's own, else that this version has no such parameter: upgrade."""
    missing = finding.details.get("missing")
    specific = NO_FIX.get(f"{finding.id}#{missing}") if missing else None
    if specific is not None:
        return specific
    kind = finding.details.get("no_fix")  # the words for this version's settings
    specific = NO_FIX.get(f"{finding.id}#{kind}") if kind else None
    if specific is not None:
        return specific
    if finding.id in NO_FIX:
        return NO_FIX[finding.id]
    return NO_FIX["missing"] if missing else None


def _certificate_label(finding: AuditFinding) -> str:
    """Postfix's settings, Dovecot 2.3's (ssl_cert) or 2.4's (ssl_server_cert_file)."""
    if finding.source != "dovecot":
        return "needs_certificate"
    if finding.details.get("certificate") == "missing_24":
        return "needs_certificate_dovecot_24"
    return "needs_certificate_dovecot"


def render_json(report: AuditReport, lang: Lang) -> str:
    writer = CommandWriter(report)
    entries = FindingStanzas(report)
    postfix, dovecot = report.postfix, report.dovecot
    # Postfix's library, else Dovecot's (both are this machine's or --openssl-version)
    library = postfix.library if postfix else dovecot.library if dovecot else UNKNOWN_LIBRARY
    changes = report.changes()
    notes = report.all_notes()
    document = {
        "postfix_version": format_version(postfix.version) if postfix else None,
        "postfix_version_source": postfix.version_source if postfix else None,
        "postfix_directory": postfix.directory if postfix else None,
        "postfix_reader": postfix.reader if postfix else None,
        "openssl_version": library.shown or None,
        "openssl_version_source": library.source if (postfix or dovecot) else None,
        "dovecot_version": dovecot.version if dovecot else None,
        "dovecot_config": dovecot.path if dovecot else None,
        "dovecot_reader": dovecot.reader if dovecot else None,
        "language": lang,
        "notes": [note(n.key, n.details, lang) for n in notes],
        "findings": [finding_json(f, writer, entries, lang) for f in report.findings],
        "commands": writer.pasteable(changes) + writer.reload(changes),
        "master_cf": master_cf_text(postfix, ordered_changes(changes)),
        "summary": {s.value: report.count(s) for s in _COUNTED},
        "complete": report.complete,
        "selected": list(report.selected) if report.selected is not None else None,
        "exit_status": report.exit_status,
    }
    return json_safe(json.dumps(document, ensure_ascii=False, indent=2))


# --- text -------------------------------------------------------------------------

_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_NO_LINE_START = set("，。、；：！？）」』》〉”’,.;:!?)]")


_WIDE_RANGES = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_WIDE_CLOSING = "".join(sorted(c for c in _NO_LINE_START if _WIDE.match(c)))
# A unit's raw material in one match each: a run of blanks, a run of wide closing
# punctuation, one other wide character, or a run of the rest (a word, a path).
_PIECES = re.compile(rf"\s+|[{re.escape(_WIDE_CLOSING)}]+|[{_WIDE_RANGES}]|[^\s{_WIDE_RANGES}]+")


def _units(text: str) -> list[str]:
    """Words, each wide (CJK) character on its own, and single spaces between words.
    Each word is one match, not grown a character at a time: a word of a million
    characters (a value in a configuration file) costs a million, not its square."""
    units: list[str] = []
    for match in _PIECES.finditer(text):
        piece = match.group(0)
        if piece[0].isspace():
            units.append(" ")
        elif (
            units
            and units[-1] != " "
            and (piece[0] in _NO_LINE_START or not _WIDE.match(units[-1][-1]))
            and (piece[0] in _NO_LINE_START or not _WIDE.match(piece[0]))
        ):
            units[-1] += piece  # closing punctuation stays off the start of a line
        else:
            units.append(piece)
    return units


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap by display cells: breaks at spaces and between CJK characters, never
    inside an ASCII word (a path or a parameter stays whole), never after an opening
    bracket or quote."""
    lines: list[str] = []
    line = ""
    for unit in _units(text):
        if unit == " ":
            if line:
                line += " "
            continue
        if line and cell_len(line + unit) > width:
            carried = ""
            while len(line) > 1 and line[-1] in NO_LINE_END:  # （ goes down with its text
                line, carried = line[:-1], line[-1] + carried
            lines.append(line.rstrip())
            line = carried
        line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines


def make_console(file: IO[str] | None = None) -> Console:
    probe = Console(file=file)
    width = min(probe.width, 100) if probe.is_terminal else 80
    return Console(file=file, width=width, highlight=False, emoji=False, markup=False)


def dovecot_header(config: DovecotConfig, lang: Lang) -> str:
    """doveconf gives the installed version; the files give only the version the
    configuration is written for: 2.4 requires `dovecot_config_version`, and without
    it the checks take the configuration for 2.3 (or older)."""
    if config.reader == "doveconf":
        version = config.version or label("version_unknown", lang)
        return label("dovecot_header", lang, version=version, path=config.path)
    written = config.scopes("dovecot_config_version")
    if not written:
        return label("dovecot_header_files", lang, path=config.path)
    setting = written.get("") or next(iter(written.values()))
    shown = setting.value.strip() or "2.4"
    return label("dovecot_header_files_24", lang, path=config.path, config_version=shown)


class TextReport:
    def __init__(self, report: AuditReport, lang: Lang, console: Console) -> None:
        self.report = report
        self.lang = lang
        self.console = console
        self.writer = CommandWriter(report)
        self.entries = FindingStanzas(report)
        self.printed: dict[str, str] = {}  # command -> id of the finding that printed it
        self.explained = False  # why a command is commented out, said in this list

    def render(self) -> None:
        self._header()
        for finding in self.report.findings:
            self.console.print()
            self._finding(finding)
        self.console.print()
        self._summary()

    def _line(self, text: str, style: str | None = None, indent: int = 0) -> None:
        """Wrap `text` under an indent, without trailing blanks (configuration text in
        it escaped)."""
        width = max(20, self.console.width - indent)
        for line in wrap(escape_unsafe(text), width):
            self.console.print(" " * indent + line, style=style, soft_wrap=True)

    def _command(self, text: str) -> None:
        """A command as it must be pasted; one that would have to carry a control or
        invisible character is commented out and escaped, under a line saying why."""
        shown = escape_unsafe(text)
        if shown == text:
            self.console.print(_INDENT + text, soft_wrap=True, style="green")
            return
        if not self.explained:
            self._line(label("unprintable_command", self.lang), "bold", 4)
            self.explained = True
        self.console.print(_INDENT + "# " + shown, soft_wrap=True)

    def _header(self) -> None:
        report, lang = self.report, self.lang
        if report.postfix is not None:
            config = report.postfix
            version = format_version(config.version) or label("version_unknown", lang)
            key = "postfix_header" if config.reader == "postconf" else "postfix_header_files"
            header = label(key, lang, version=version, directory=config.directory)
            self._line(header, "bold")
        if report.dovecot is not None:
            self._line(dovecot_header(report.dovecot, lang), "bold")
        for item in report.all_notes():
            lines = wrap(escape_unsafe(note(item.key, item.details, lang)), self.console.width - 4)
            for i, line in enumerate(lines):
                self.console.print(("  * " if i == 0 else "    ") + line, style="dim")

    def _finding(self, finding: AuditFinding) -> None:
        lang = self.lang
        head = Text()
        head.append(label(str(finding.severity), lang), style=_STYLE[finding.severity])
        head.append("  " + finding.id, style="bold")
        self.console.print(head)
        self._line(title(finding.id, finding.details, lang), "bold", 2)
        self._line(label("evidence", lang), "underline", 2)
        for evidence in finding.evidence:
            fact, where = map(escape_unsafe, self._evidence(evidence))
            if cell_len(f"{_INDENT}{fact}   {where}") <= self.console.width or not where:
                self.console.print(f"{_INDENT}{fact}   {where}".rstrip(), soft_wrap=True)
            else:
                self.console.print(_INDENT + fact, soft_wrap=True)
                self.console.print(_INDENT + "  " + where, soft_wrap=True)
        self._line(label("why", lang), "underline", 2)
        self._line(explanation(finding.id, finding.details, lang), None, 4)
        self._line(label("fix", lang), "underline", 2)
        self._fix(finding)

    def _evidence(self, evidence: Evidence) -> tuple[str, str]:
        """(parameter = value, where it is written)."""
        lang = self.lang
        value = cut(evidence.value, lang) if evidence.value else label("empty", lang)
        text = f"{evidence.parameter} = {value}"
        if evidence.parameter == "smtpd services":
            listed = evidence.file or ""
            if listed and evidence.line:  # the first service entry's line
                listed = f"{listed}:{evidence.line}"
            return label("listeners", lang, services=evidence.value), listed
        if evidence.parameter == ANVIL_EVIDENCE:
            return label("anvil_absent", lang, service=evidence.value), evidence.file or ""
        if evidence.default:
            return text, label("default", lang)
        where = []
        if evidence.file:
            where.append(f"{evidence.file}:{evidence.line}" if evidence.line else evidence.file)
        if evidence.service:
            where.append(label("service", lang, service=evidence.service))
        if evidence.section:
            where.append(label("section", lang, section=evidence.section))
        separator = "，" if lang == "zh_CN" else ", "
        return text, separator.join(where)

    def _fix(self, finding: AuditFinding) -> None:
        lang = self.lang
        self.explained = False
        if not finding.fix:
            for text in _fix_notes(finding, lang):
                self._line(text, None, 4)
            return
        for text in _fix_notes(finding, lang):
            self._line(text, "bold", 4)
        commands = self.writer.commands(finding.fix)  # every edit, whatever the version
        if commands and all(c in self.printed for c in commands):
            self._line(label("included_in", lang, id=self.printed[commands[0]]), None, 4)
            return
        for change in finding.fix:
            if isinstance(change, DovecotSet):
                self._line(dovecot_instruction(change, lang, LONGEST_SHOWN), None, 4)
        for command in commands:
            self.printed.setdefault(command, finding.id)
        for command in self.writer.pasteable(finding.fix):
            self._command(command)
        old = _old_postfix(self.report.postfix)
        if old:  # master.cf by hand, before the reload (as in the combined list)
            self._stanza(finding)
        for line in self.writer.reload(finding.fix):
            self._command(line)
        if not old:
            self._stanza(finding)

    def _stanza(self, finding: AuditFinding) -> None:
        """The master.cf entries the fix touches, as they will read. Before 2.11 every
        one (they are edited by hand); otherwise shown where the fix adds an entry:
        the new entries under their own heading, and the existing entries the fix
        also edits under another (they are changed, not added)."""
        config = self.report.postfix
        if config is None:
            return
        if _old_postfix(config):
            text = self.entries(finding.fix)
            self._stanza_text("master_cf_stanza", text, None)
            return
        keys = list(dict.fromkeys(_services(finding.fix)))
        added = [key for key in keys if config.service(key) is None]
        if not added:
            return
        edited = [key for key in keys if key not in added]
        key = "new_stanza" if len(added) == 1 else "new_stanzas"
        self._stanza_text(key, stanzas(config, finding.fix, added), "dim")
        if edited:
            key = "changed_stanza" if len(edited) == 1 else "changed_stanzas"
            self._stanza_text(key, stanzas(config, finding.fix, edited), "dim")

    def _stanza_text(self, key: str, text: str | None, style: str | None) -> None:
        config = self.report.postfix
        if text is None or config is None:
            return
        self._line(label(key, self.lang, file=config.master_cf), style, 4)
        for line in text.splitlines():
            self.console.print(_INDENT + "  " + escape_unsafe(line), soft_wrap=True, style=style)

    def _summary(self) -> None:
        report, lang = self.report, self.lang
        self.explained = False
        failed = report.failed_tools()
        if failed:
            self._line(label("incomplete", lang, tools=", ".join(failed)), "bold")
        if report.refused_entries():
            self._line(label("incomplete_master_cf", lang), "bold")
        if report.refused_values():
            self._line(label("incomplete_refused_values", lang), "bold")
        if report.refused_braces() and not failed:  # said above when doveconf failed
            self._line(label("incomplete_braces", lang), "bold")
        if report.unread() and not failed:  # said above when a tool failed
            self._line(label("incomplete_unread", lang), "bold")
        if not report.findings:
            if report.complete:
                partial = {
                    "postfix_absent",
                    "dovecot_absent",
                    "selector_unaudited",
                    "checks_selected",
                    "expansion_nesting",
                    "expansion_syntax",
                    "expansion_cut_short",
                }
                if partial & {n.key for n in report.all_notes()}:
                    self._line(label("nothing_found_audited", lang), "bold")
                else:
                    self._line(label("nothing_found", lang), "bold")
            return
        counts = {s.value: str(report.count(s)) for s in _COUNTED}
        self._line(label("summary", lang, **counts), "bold")
        changes = ordered_changes(report.changes())
        commands = self.writer.pasteable(changes)
        config = report.postfix
        entries = master_cf_text(config, changes)
        if entries is None or config is None:
            if commands:
                self._line(label("all_commands", lang))
                for command in commands + self.writer.reload(changes):
                    self._command(command)
            return
        # Postfix before 2.11: the commands it has, then master.cf by hand, then reload.
        self._line(label("all_commands_old", lang))
        for command in commands:
            self._command(command)
        self._line(label("master_cf_entries", lang, file=config.master_cf))
        for line in entries.splitlines():
            self.console.print(_INDENT + "  " + escape_unsafe(line), soft_wrap=True)
        self._line(label("then_reload", lang))
        for command in self.writer.reload(changes):
            self._command(command)


def render_text(report: AuditReport, lang: Lang, file: IO[str] | None = None) -> None:
    TextReport(report, lang, make_console(file)).render()
