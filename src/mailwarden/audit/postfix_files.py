"""Read main.cf and master.cf directly, for hosts without `postconf` and for the line
numbers that `postconf` does not report.

The syntax follows postconf(5) and master(5): blank lines and lines whose first
non-blank character is `#` are ignored; a line that starts with white space continues
the previous logical line; in main.cf the last `name = value` wins; in master.cf a
logical line is eight columns and the command's arguments, where `-o name=value` and
`-o { name = value }` (Postfix 3.0) set a parameter for that service.

A master.cf entry that Postfix refuses (fewer than eight columns, or a column it cannot
read: a `-o` line that lost its leading white space, a column left out so that the
command lands in process_limit) stops Postfix ("bad field count", "invalid ... field"):
it is left out of the services and named, with its line, in a note. A `{` that is never
closed (`-o { name = value` without its `}`: "missing '}'") is named in a note too; in
the command's arguments postconf only warns and reads the rest of the entry as the
option (`-o name=value`), and so is it read here.

A `-o` that is no `name=value` (`-o smtpd_sasl_auth_enable`, `-o =yes`, or `-o` as the
last word) is taken by postconf, but the service's program stops at start (`fatal:
invalid "-o smtpd_sasl_auth_enable" option value: missing '=' after attribute name`,
`fatal: invalid option: o`): the option is left out, and a note names it with its line
(OPTION_NOTES, kept also when postconf reads the directory).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailwarden.audit.interface import Note
from mailwarden.audit.numbers import shown
from mailwarden.audit.postfix_config import Service
from mailwarden.audit.textfile import (
    config_lines,
    content_lines,
    read_config_text,
    shown_path,
)
from mailwarden.errors import AuditError
from mailwarden.locale import _


@dataclass(frozen=True)
class LogicalLine:
    line: int  # number of its first physical line, 1-based
    parts: tuple[tuple[int, str], ...]  # (line number, text) of each physical line

    @property
    def text(self) -> str:
        return " ".join(text.strip() for _, text in self.parts)


def logical_lines(text: str) -> Iterator[LogicalLine]:
    current: list[tuple[int, str]] = []
    for number, physical in enumerate(config_lines(text), start=1):
        stripped = physical.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if physical[0] in " \t" and current:
            current.append((number, physical))
            continue
        if current:
            yield LogicalLine(current[0][0], tuple(current))
        current = [(number, physical)]
    if current:
        yield LogicalLine(current[0][0], tuple(current))


def parse_main_cf(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """main.cf text -> ({parameter: raw value}, {parameter: line})."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for logical in logical_lines(text):
        name, sep, value = logical.text.partition("=")
        name = name.strip()
        if not sep or not name or " " in name:
            continue
        values[name] = value.strip()
        lines[name] = logical.line
    return values, lines


def _tokens(logical: LogicalLine) -> Iterator[tuple[int, str]]:
    """Whitespace-separated tokens with their (first) line; white space inside `{ ... }`
    splits nothing, wherever the braces stand in a token (`-o
    name=${{$a} == {b} ? {yes} : {no}}` is one option) and across the physical lines
    of the logical line, as Postfix's mystrtokq() reads it. A `{` never closed runs to
    the end of the logical line (`_unclosed`)."""
    chars: list[tuple[int, str]] = []
    for number, text in logical.parts:
        if chars:
            chars.append((number, " "))
        chars.extend((number, char) for char in text)
    i, end = 0, len(chars)
    while i < end:
        number, char = chars[i]
        if char.isspace():
            i += 1
            continue
        j = i
        depth = 0
        while j < end:
            current = chars[j][1]
            if current == "{":
                depth += 1
            elif current == "}" and depth > 0:
                depth -= 1
            elif depth == 0 and current.isspace():
                break
            j += 1
        yield number, "".join(c for _, c in chars[i:j])
        i = j


def _unclosed(token: str) -> bool:
    """A `{ ... }` token whose `{` is never closed (Postfix: "missing '}'")."""
    if not token.startswith("{"):
        return False
    depth = 0
    for char in token:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return False
    return True


def _option(token: str) -> tuple[str, str] | str:
    """`name=value` (or `{ name = value }`) -> (name, value); else the error with which
    the service's program refuses it at start (`fatal: invalid "-o TOKEN" option value:
    ERROR`), as Postfix's split_nameval() words it."""
    if token.startswith("{") and token.endswith("}"):
        token = token[1:-1]
    elif _unclosed(token):  # as postconf reads it, with a warning ("missing '}'")
        token = token[1:]
    name, sep, value = token.partition("=")
    if not sep:
        return "missing '=' after attribute name"
    if not name.strip():
        return "missing attribute name"
    return name.strip(), value.strip()


VALUE_OPTIONS = frozenset("imnost")
"""Letters of Postfix's daemon options that take a value (single_server.c and the
other servers: getopt "+cdDi:lm:n:o:s:St:uvVz")."""


def is_option_word(word: str) -> bool:
    """Whether Postfix's getopt ("+": stop at the first non-option) reads `word` as
    options: `-o`, `-oname=value`, `-v`, `-D`, ...; not `--`, `-` or a plain word."""
    return word.startswith("-") and len(word) > 1 and word != "--"


OPTION_NOTES = frozenset({"master_cf_option", "master_cf_option_missing"})
"""Notes of a `-o` that the service's program refuses at start; postconf takes it."""

_COLUMNS = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit")
_TYPES = frozenset({"inet", "unix", "unix-dgram", "fifo", "pass"})
_FLAGS = frozenset({"y", "n", "-"})
_NUMBER = re.compile(r"[0-9]*")


def refused_column(columns: list[str]) -> int | None:
    """The first column Postfix refuses, checked as postconf and master(8) check them
    (`invalid type field`, `invalid private field`, ...); None when it takes them all."""
    if columns[1] not in _TYPES:
        return 1
    for index in (2, 3, 4):
        if columns[index] not in _FLAGS:
            return index
    wakeup = columns[5].removesuffix("?")
    if wakeup != "-" and not _NUMBER.fullmatch(wakeup):
        return 5
    if columns[6] != "-" and not _NUMBER.fullmatch(columns[6]):
        return 6
    return None


def parse_master_cf(text: str) -> tuple[Service, ...]:
    return parse_master_cf_entries(text)[0]


def parse_master_cf_entries(text: str) -> tuple[tuple[Service, ...], tuple[Note, ...]]:
    """The services of master.cf, and a note for each entry Postfix refuses (left out)."""
    services: list[Service] = []
    refused: list[Note] = []
    for logical in logical_lines(text):
        tokens = list(_tokens(logical))
        if len(tokens) < 8:
            first = tokens[0][1] if tokens else ""
            key = "master_cf_continuation" if first.startswith("-") else "master_cf_field_count"
            details = {"line": str(logical.line), "count": str(len(tokens))}
            refused.append(Note(key, {**details, "error": "bad field count"}))
            continue
        unclosed = [number for number, token in tokens if _unclosed(token)]
        if unclosed:
            details = {"line": str(unclosed[0]), "error": "missing '}'"}
            if any(_unclosed(token) for _, token in tokens[:8]):
                refused.append(Note("master_cf_brace", details))
                continue
            refused.append(Note("master_cf_brace_option", details))
            # In the arguments postconf only warns, and reads the rest of the logical
            # line as the option (`-o { name = value` is `-o name=value`): so does this.
        columns = [token for _, token in tokens[:8]]
        bad = refused_column(columns)
        if bad is not None:
            column = _COLUMNS[bad]
            details = {"line": str(logical.line), "column": column, "value": shown(columns[bad])}
            refused.append(Note("master_cf_field", {**details, "error": f"invalid {column} field"}))
            continue
        args: list[str] = []
        overrides: dict[str, str] = {}
        override_lines: dict[str, int] = {}
        rest = tokens[8:]
        key = f"{columns[0]}/{columns[1]}"
        i = 0
        while i < len(rest):
            number, token = rest[i]
            option_text = None
            if not is_option_word(token):
                # Postfix's getopt ("+") stops at the first word that is no option:
                # the rest (pipe's `argv=... -oi`, ...) is the program's, not Postfix's.
                args += [word for _, word in rest[i:]]
                break
            if token[1:2] in VALUE_OPTIONS and token[1] != "o" and len(token) == 2:
                # `-s 2`, `-t unix`: the next word is the option's value, no option.
                args += [word for _, word in rest[i : i + 2]]
                i += 2
                continue
            if token == "-o" and i + 1 < len(rest):
                number, option_text = rest[i + 1]
                i += 2
            elif token.startswith("-o") and len(token) > 2:
                option_text = token[2:]
                i += 1
            elif token == "-o":  # the last word: `-o` with nothing after it
                details = {"line": str(number), "service": key, "error": "invalid option: o"}
                refused.append(Note("master_cf_option_missing", details))
                i += 1
                continue
            else:
                args.append(token)
                i += 1
                continue
            option = _option(option_text)
            if isinstance(option, str):
                written = shown(option_text)
                error = f'invalid "-o {written}" option value: {option}'
                details = {"line": str(number), "service": key, "option": written}
                refused.append(Note("master_cf_option", {**details, "error": error}))
                continue
            overrides[option[0]] = option[1]
            override_lines[option[0]] = number
        services.append(
            Service(
                name=columns[0],
                type=columns[1],
                private=columns[2],
                unprivileged=columns[3],
                chroot=columns[4],
                wakeup=columns[5],
                process_limit=columns[6],
                command=columns[7],
                args=tuple(args),
                overrides=overrides,
                line=logical.line,
                override_lines=override_lines,
            )
        )
    return tuple(services), tuple(refused)


def read_main_cf(directory: Path) -> tuple[dict[str, str], dict[str, int]]:
    """main.cf; AuditError when it has lines but none sets a parameter (not a main.cf:
    auditing Postfix's defaults instead would say nothing about this file)."""
    path = directory / "main.cf"
    text = read_config_text(path)
    values, lines = parse_main_cf(text)
    if not values and content_lines(text):
        raise AuditError(
            _("{path}: cannot read: no line sets a parameter (not a main.cf)").format(
                path=shown_path(path)
            )
        )
    return values, lines


REASONS_SHOWN = 5
"""Refused entries named when master.cf has no other (the first ones)."""


def read_master_cf(directory: Path) -> tuple[tuple[Service, ...], tuple[Note, ...]]:
    """master.cf, and a note for each entry Postfix refuses (each names the file and
    its line); AuditError when it has lines but none is a service."""
    path = directory / "master.cf"
    text = read_config_text(path)
    services, refused = parse_master_cf_entries(text)
    if not services and content_lines(text):
        if not refused:
            raise AuditError(
                _("{path}: cannot read: no line is a service (not a master.cf)").format(
                    path=shown_path(path)
                )
            )
        where = shown_path(path)
        reasons = [f"  {where}:{n.details['line']}: {n.details['error']}" for n in refused]
        if len(reasons) > REASONS_SHOWN:
            more = _("(and {count} more)").format(count=len(reasons) - REASONS_SHOWN)
            reasons = [*reasons[:REASONS_SHOWN], f"  {more}"]
        message = _("{path}: cannot read: Postfix refuses every entry:").format(
            path=shown_path(path)
        )
        raise AuditError("\n".join([message, *reasons]))
    where = str(path)
    return services, tuple(Note(n.key, {**n.details, "file": where}) for n in refused)
