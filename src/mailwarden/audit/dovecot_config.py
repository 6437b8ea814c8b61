"""The Dovecot configuration as the checks see it, and its parser.

`doveconf -n` prints the same syntax as dovecot.conf (without includes), so one parser
reads both: `name = value`, sections `name [args] {` ... `}`, `#` comments, `\\` at the
end of a line to continue it, `!include` and `!include_try` (relative to the including
file, glob patterns allowed), and `$name` for the value a setting had before.

A file that includes itself, directly or through others (a glob such as `*.conf` that
matches the including file, too), is read once: the repeat is a note, as `doveconf`
refuses it ("Recursive include file"). Without that, two such lines made the audit parse
the file 2^20 times. At most `_MAX_FILES_READ` files are read in all, repeats of one
file (which Dovecot allows) included. An include that names a directory (Dovecot reads
nothing from it), or that `!include_try` names and that does not exist (a dangling
symbolic link, which a glob lists), is skipped with a note, as Dovecot skips it.

Settings inside the filter sections `protocol`, `local` and `remote` override the top
level for those connections; the checks look at the top level and at every filter. A
setting of a Dovecot 2.4 named filter written inside it (`ssl_server { cert_file = }`,
which `doveconf -n` 2.4 prints for `ssl_server_cert_file`) is read under its full name,
in the scope around the filter (`NAMED_FILTERS`).

A `#` outside quotes starts a comment wherever it stands, as in Dovecot's parser:
`key = x#y` is `x` (doveconf warns "Ambiguous '#' character").
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from mailwarden.audit.interface import Change, DovecotSet, Note
from mailwarden.audit.textfile import (
    config_lines,
    content_lines,
    read_config_text,
    shown_path,
)
from mailwarden.audit.tls import UNKNOWN_LIBRARY, Library
from mailwarden.errors import AuditError
from mailwarden.locale import _

FILTERS = ("protocol", "local", "remote")
_SECTION = re.compile(r"^([A-Za-z0-9_.-]+)(?:\s+(.*?))?\s*\{$")
_SETTING = re.compile(r"^([A-Za-z0-9_./-]+)\s*=\s*(.*)$")
_INCLUDE = re.compile(r"^!(include|include_try)\s+(.+)$")
_MAX_INCLUDE_DEPTH = 20
_MAX_FILES_READ = 1000

UPSTREAM_PROTOCOLS = "imap pop3 lmtp"
"""The built-in default of `protocols` in Dovecot's own sources (master-settings.c).
Debian's and Ubuntu's packages patch it to empty (split-protocols): each protocol
package adds itself in /usr/share/dovecot/protocols.d/*.protocol (`protocols =
$protocols imap`), which their dovecot.conf includes. `doveconf -n` omits the value
when it is the build's default, so a configuration does not say which it is."""
_PROTOCOLS_D = re.compile(r"(?:^|/)protocols\.d/\*\.protocol$")
"""The include of Debian's dovecot.conf that comes with the empty default."""

# Defaults of Dovecot 2.3 for the settings the checks read (2.4 renamed
# disable_plaintext_auth to auth_allow_cleartext, default no).
DEFAULTS = {
    "ssl": "yes",
    "disable_plaintext_auth": "yes",
    "auth_allow_cleartext": "no",
    "auth_verbose_passwords": "no",
    "auth_debug_passwords": "no",
    "auth_failure_delay": "2 secs",
    "auth_mechanisms": "plain",
    "ssl_min_protocol": "TLSv1.2",
    "ssl_cipher_list": "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK"
    ":!RC4:!ADH:!LOW@STRENGTH",
}


AUTH_SETTINGS = frozenset(
    [
        "auth_anonymous_username",
        "auth_cache_negative_ttl",
        "auth_cache_size",
        "auth_cache_ttl",
        "auth_cache_verify_password_with_worker",
        "auth_debug",
        "auth_debug_passwords",
        "auth_default_realm",
        "auth_failure_delay",
        "auth_gssapi_hostname",
        "auth_krb5_keytab",
        "auth_master_user_separator",
        "auth_mechanisms",
        "auth_policy_check_after_auth",
        "auth_policy_check_before_auth",
        "auth_policy_hash_mech",
        "auth_policy_hash_nonce",
        "auth_policy_hash_truncate",
        "auth_policy_log_only",
        "auth_policy_reject_on_fail",
        "auth_policy_report_after_auth",
        "auth_policy_request_attributes",
        "auth_policy_server_api_header",
        "auth_policy_server_timeout_msecs",
        "auth_policy_server_url",
        "auth_proxy_self",
        "auth_realms",
        "auth_ssl_require_client_cert",
        "auth_ssl_username_from_cert",
        "auth_stats",
        "auth_use_winbind",
        "auth_username_chars",
        "auth_username_format",
        "auth_username_translation",
        "auth_verbose",
        "auth_verbose_passwords",
        "auth_winbind_helper_path",
        "auth_worker_max_count",
        "base_dir",
        "first_valid_gid",
        "first_valid_uid",
        "last_valid_gid",
        "last_valid_uid",
        "ssl_client_ca_dir",
        "ssl_client_ca_file",
        "verbose_proctitle",
    ]
)
"""The settings of Dovecot 2.3's auth process, which doveconf 2.3 refuses inside a
`local`, `remote` or `local_name` filter ("Auth settings not supported inside
local/remote blocks"), refusing the whole configuration: each of doveconf 2.3.19's
settings written in such a filter, one by one, gave this list."""

_EVERY_ADDRESS_FILTER = re.compile(r'^(?:local|remote)\s+"?[^\s"]*/0+"?$')


def address_filtered(section: str) -> bool:
    """`section` is, or is inside, a `local`, `remote` or `local_name` filter that does
    not cover every address (doveconf takes `remote 0.0.0.0/0` as no filter at all)."""
    for part in section.split(" > "):
        kind = part.split(" ", 1)[0]
        if kind == "local_name":
            return True
        if kind in ("local", "remote") and not _EVERY_ADDRESS_FILTER.match(part):
            return True
    return False


@dataclass(frozen=True)
class DovecotSetting:
    name: str
    value: str
    section: str = ""  # "" for the top level; "protocol imap", "remote 192.0.2.0/24"
    file: str | None = None
    line: int | None = None
    text: str | None = None  # the (first) physical line as written (for the fix)
    end_line: int | None = None  # the last physical line, when continued with `\\`

    @property
    def filtered(self) -> bool:
        """At the top level or inside protocol/local/remote sections only."""
        if not self.section:
            return True
        return all(part.split()[0] in FILTERS for part in self.section.split(" > "))

    @property
    def refused_in_filter(self) -> bool:
        """An auth setting inside a `local`/`remote` filter, which Dovecot 2.3 refuses
        (the whole configuration with it)."""
        return self.name in AUTH_SETTINGS and address_filtered(self.section)


@dataclass(frozen=True)
class DovecotConfig:
    path: str
    settings: tuple[DovecotSetting, ...]
    version: str | None = None
    reader: str = "files"  # or "doveconf"
    notes: tuple[Note, ...] = ()
    defaults: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    # The OpenSSL Dovecot uses: --openssl-version, this machine's for its own
    # /etc/dovecot/dovecot.conf, else unknown (a copied configuration).
    library: Library = UNKNOWN_LIBRARY

    def value(self, name: str) -> str:
        """The top-level value (the last one written), else the default."""
        top = self.scopes(name).get("")
        return top.value if top is not None else self.defaults.get(name, "")

    def written(self, name: str) -> list[DovecotSetting]:
        """The effective occurrence of `name` in each scope where it is written."""
        return list(self.scopes(name).values())

    def scopes(self, name: str) -> Mapping[str, DovecotSetting]:
        """`written(name)` by scope ("" for the top level), in the order the scopes
        first appear."""
        return self._by_name.get(name, {})

    def rank(self, name: str) -> Mapping[str, int]:
        """Where each scope of `scopes(name)` comes in its order."""
        return self._rank.get(name, {})

    def inside(self, name: str, section: str) -> list[str]:
        """The scopes within `section` (every one below the top level for "") where
        `name` is written, in the order they first appear."""
        return self._below.get((name, section), [])

    @cached_property
    def _by_name(self) -> dict[str, dict[str, DovecotSetting]]:
        """Each setting's effective occurrences, read once: a check that looks at one
        setting per section then costs the sections, not their square (thousands of
        `remote` or `protocol` sections made the audit grow with it)."""
        index: dict[str, dict[str, DovecotSetting]] = {}
        refused = set(self.refused_in_filters())
        for setting in self.settings:
            if setting.filtered and setting not in refused:
                index.setdefault(setting.name, {})[setting.section] = setting
        return index

    def refused_in_filters(self) -> list[DovecotSetting]:
        """The auth settings written inside `local`/`remote` filters of a Dovecot 2.3
        configuration (no `dovecot_config_version`): Dovecot refuses them, so they
        apply nowhere, and the checks of their values leave them to the check that
        reports the refusal."""
        if any(s.name == "dovecot_config_version" for s in self.settings):
            return []
        return [s for s in self.settings if s.refused_in_filter]

    @cached_property
    def _rank(self) -> dict[str, dict[str, int]]:
        return {
            name: {s: n for n, s in enumerate(scopes)} for name, scopes in self._by_name.items()
        }

    @cached_property
    def _below(self) -> dict[tuple[str, str], list[str]]:
        below: dict[tuple[str, str], list[str]] = {}
        for name, scopes in self._by_name.items():
            for scope in scopes:
                enclosing = scope
                while enclosing:
                    enclosing = enclosing.rpartition(" > ")[0]
                    below.setdefault((name, enclosing), []).append(scope)
        return below

    def apply(self, changes: Iterable[Change]) -> DovecotConfig:
        settings = list(self.settings)
        for change in changes:
            if not isinstance(change, DovecotSet):
                continue
            section = change.section or ""
            matches = [
                i
                for i, s in enumerate(settings)
                if s.name == change.setting and s.section == section
            ]
            if matches and change.remove:
                del settings[matches[-1]]
            elif matches:
                settings[matches[-1]] = replace(settings[matches[-1]], value=change.value)
            elif not change.remove:
                settings.append(DovecotSetting(change.setting, change.value, section, change.file))
        return replace(self, settings=tuple(settings))


def _physical_lines(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(first line number, last line number, joined text without comments, first
    physical line as written), as Dovecot's config_parse_line() reads them: the comment
    goes from each physical line first, then a `\\` at its end continues the line (`x = a
    \\ # note` continues; a `\\` inside a comment does not). A blank or comment line
    after a continued one drops what was continued, as does the end of the file: tried
    with doveconf 2.3.19 (`key = a \\`, `# note`, `ssl = no`: doveconf shows no `key`,
    and a value line after the comment is a line of its own)."""
    pending: list[str] = []
    first = ""
    start = 0
    for number, line in enumerate(config_lines(text), start=1):
        code = _strip_comment(line.strip())
        if not code:
            pending = []
            continue
        if not pending:
            start, first = number, line
        if code.endswith("\\"):
            pending.append(code[:-1].rstrip())
            continue
        pending.append(code)
        yield start, number, " ".join(part for part in pending if part), first
        pending = []


def _strip_comment(text: str) -> str:
    """`text` (stripped) without its comment. As Dovecot's config parser (2.3 and 2.4):
    a `#` outside quotes starts a comment wherever it is, also inside a word (`key =
    x#y` is `x`: doveconf warns "Ambiguous '#' character in line, treating it as
    comment"); a `#` inside double or single quotes is text, and a backslash there
    keeps the next character (`'a\\'b'`)."""
    quote = ""
    escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif quote:
            if char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return text[:i].rstrip()
    return text


NAMED_FILTERS = {"ssl_server": frozenset({"ssl_server_cert_file", "ssl_server_key_file"})}
"""Dovecot 2.4's named filters, each with the settings of its prefix that the checks
read. Dovecot's documentation (Config Syntax, Named Filters): "Setting names that begin
with the same prefix as a named filter will be treated as if they belong inside the
named filter", and inside it the prefix may be left out, so `ssl_server { cert_file =
/path }` is `ssl_server_cert_file = /path`; `doveconf -n` (2.4) prints such settings in
that short form."""


def _in_named_filter(key: str, sections: list[str]) -> tuple[str, str]:
    """(setting name, scope) of `key` written inside `sections`: a setting of a named
    filter written inside it (`cert_file` or `ssl_server_cert_file` in `ssl_server {`)
    under its full name, in the scope around the filter, where it applies alike."""
    inner = sections[-1] if sections else ""
    names = NAMED_FILTERS.get(inner, frozenset())
    full = key if key.startswith(f"{inner}_") else f"{inner}_{key}"
    if full in names:
        return full, " > ".join(sections[:-1])
    return key, " > ".join(sections)


def _unquote(value: str) -> str:
    """A value in double or single quotes without them, a backslash keeping the next
    character (Dovecot: `str_unescape`), as doveconf shows it: `ssl = 'no'` is `no`. A
    lone backslash at the end is dropped, as str_unescape drops it: `"yes\\"` is `yes`."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.?)", r"\1", value[1:-1], flags=re.DOTALL)
    return value


class _Parser:
    def __init__(self, follow_includes: bool) -> None:
        self.follow_includes = follow_includes
        self.settings: list[DovecotSetting] = []
        self.notes: list[Note] = []
        self.sections: list[str] = []
        self._opened: list[tuple[str, int]] = []  # (file, line) of each of `sections`
        self._last: dict[tuple[str, str], str] = {}  # (name, section) -> value, for `$name`
        self._reading: list[str] = []  # the files being read (real paths), includers first
        self._files_read = 0
        # Debian's protocols.d include matched files: the build's default is Debian's
        self.debian_protocols = False
        # `$protocols` took the build's default, which the files do not show
        self.protocols_default_taken = False

    def parse_file(self, path: Path, depth: int = 0) -> None:
        """AuditError when the file cannot be read, is binary, or has lines of which
        none is Dovecot configuration (a mail log given by mistake, say)."""
        text = read_config_text(path)
        self._files_read += 1
        self._reading.append(os.path.realpath(path))
        try:
            understood = self.parse_text(text, str(path), path.parent, depth)
        finally:
            self._reading.pop()
        if not understood and content_lines(text):
            raise AuditError(
                _("{path}: cannot read: no line is a Dovecot setting (not a dovecot.conf)").format(
                    path=shown_path(path)
                )
            )

    def parse_text(self, text: str, name: str | None, base: Path | None, depth: int = 0) -> int:
        """Parse `text`; return how many of its lines were configuration."""
        understood = 0
        for number, last, joined, physical in _physical_lines(text):
            line = joined.strip()
            if not line:
                continue
            understood += 1  # less one below when the line is none of these
            include = _INCLUDE.match(line)
            if include is not None:
                if self.follow_includes and base is not None:
                    where = {"file": name or "", "line": str(number)}
                    self._include(base, _unquote(include.group(2)), include.group(1), depth, where)
                continue
            if line == "}":
                if self.sections:
                    self.sections.pop()
                    self._opened.pop()
                elif name is not None:
                    # doveconf: "Unexpected '}'", and Dovecot does not start
                    where = {"file": name, "line": str(number)}
                    if all(note.key != "dovecot_brace_unexpected" for note in self.notes):
                        self._note("dovecot_brace_unexpected", where)
                continue
            section = _SECTION.match(line)
            if section is not None:
                words = [section.group(1), *(section.group(2) or "").split()]
                self.sections.append(" ".join(words))
                self._opened.append((name or "", number))
                continue
            setting = _SETTING.match(line)
            if setting is None:
                understood -= 1
            else:
                key, scope = _in_named_filter(setting.group(1), self.sections)
                value = self._expand(key, _unquote(setting.group(2)))
                self._last[key, scope] = value
                self.settings.append(
                    DovecotSetting(
                        key,
                        value,
                        scope,
                        name,
                        number if name else None,
                        physical if name else None,
                        last if name and last > number else None,
                    )
                )
        return understood

    def _expand(self, name: str, value: str) -> str:
        """`$name` is the value `name` has here so far: written in this section, else
        in the sections around it, else at the top level (as doveconf reads it: a
        section starts with the values around it), else the default."""
        if "$" not in value:
            return value
        current = " > ".join(self.sections)

        def previous(match: re.Match[str]) -> str:
            scope = current
            while True:
                last = self._last.get((match.group(1), scope))
                if last is not None:
                    return last
                if not scope:
                    if match.group(1) == "protocols" and self.follow_includes:
                        return self._protocols_default()
                    return DEFAULTS.get(match.group(1), match.group(0))
                scope = scope.rpartition(" > ")[0]

        return re.sub(r"\$([A-Za-z0-9_]+)", previous, value)

    def _protocols_default(self) -> str:
        """The build's default of `protocols`, as `$protocols` at the top level before
        any value stands for it: Debian's (empty) where its protocols.d include was
        read, else unknown, taken as Dovecot's own (UPSTREAM_PROTOCOLS: the reading in
        which no login protocol goes unjudged), which a note says."""
        if self.debian_protocols:
            return ""
        self.protocols_default_taken = True
        return UPSTREAM_PROTOCOLS

    def _include(
        self, base: Path, pattern: str, kind: str, depth: int, where: dict[str, str]
    ) -> None:
        if depth >= _MAX_INCLUDE_DEPTH:
            self._note("include_depth", {"path": pattern})
            return
        full = pattern if pattern.startswith("/") else str(base / pattern)
        matches = sorted(glob.glob(full))
        if _PROTOCOLS_D.search(full) and (matches or os.path.isdir(os.path.dirname(full))):
            # Debian's include: its build. With no file in protocols.d, dovecot-core
            # alone (its package owns the directory): Dovecot for Postfix's SASL, no
            # login served. Without the directory the files come from another machine,
            # whose packages are unknown: Dovecot's own default, with the note.
            self.debian_protocols = True
        if not matches and kind == "include" and not glob.has_magic(full):
            self._note("include_missing", {"path": full})
        for match in matches:
            if os.path.realpath(match) in self._reading:
                self._note("include_recursive", {"path": match, **where})
                continue
            if os.path.isdir(match):
                # doveconf reads nothing from a directory and goes on (either kind)
                self._note("include_directory", {"path": match, **where})
                continue
            if not os.path.exists(match):
                # a dangling symbolic link (glob lists it): `!include_try` skips it as
                # Dovecot does; `!include` makes doveconf refuse the configuration
                if kind == "include":
                    self._note("include_missing", {"path": match})
                else:
                    self._note("include_try_missing", {"path": match, **where})
                continue
            if self._files_read >= _MAX_FILES_READ:
                if all(note.key != "include_count" for note in self.notes):
                    details = {"count": str(_MAX_FILES_READ), "path": match, **where}
                    self._note("include_count", details)
                return
            self.parse_file(Path(match), depth + 1)

    def _note(self, key: str, details: dict[str, str]) -> None:
        """Each note once (a file included many times repeats its includes)."""
        note = Note(key, details)
        if note not in self.notes:
            self.notes.append(note)


HIDDEN = "# hidden, use -P to show it"
"""What `doveconf -n` prints for a value it hides (`ssl_key = # hidden, use -P to show
it`), where an empty one shows nothing after the `=`."""
_HIDDEN_VALUE = re.compile(r"^(\s*[A-Za-z0-9_./-]+\s*=\s*)" + re.escape(HIDDEN) + r"\s*$", re.M)


def parse_dovecot_text(text: str) -> tuple[DovecotSetting, ...]:
    """`doveconf -n` output (no file names, no includes). A hidden value is read as
    `HIDDEN`: set, though not shown."""
    parser = _Parser(follow_includes=False)
    parser.parse_text(_HIDDEN_VALUE.sub(lambda m: f'{m.group(1)}"{HIDDEN}"', text), None, None)
    return tuple(parser.settings)


def parse_dovecot_files(path: Path) -> tuple[tuple[DovecotSetting, ...], tuple[Note, ...]]:
    """dovecot.conf and everything it includes; AuditError when `path` is unreadable."""
    parser = _parse_files(path)
    return tuple(parser.settings), tuple(parser.notes)


def read_dovecot_files(
    path: Path,
) -> tuple[tuple[DovecotSetting, ...], tuple[Note, ...], dict[str, str]]:
    """As parse_dovecot_files, with the defaults the files imply: `protocols` empty
    where Debian's protocols.d include was read (its build's default), else Dovecot's
    own `imap pop3 lmtp`, with a note when it matters (no top-level `protocols`, or
    one that starts from `$protocols`): the build's default is not in the files."""
    parser = _parse_files(path)
    settings = tuple(parser.settings)
    defaults = dict(DEFAULTS)
    defaults["protocols"] = "" if parser.debian_protocols else UPSTREAM_PROTOCOLS
    # 2.4's `protocols { imap = yes }` adds to the default: it does not replace it
    written = any(s.name == "protocols" and not s.section for s in settings)
    if not parser.debian_protocols and (parser.protocols_default_taken or not written):
        parser._note("dovecot_protocols_default", {"path": str(path)})
    return settings, tuple(parser.notes), defaults


def _parse_files(path: Path) -> _Parser:
    parser = _Parser(follow_includes=True)
    parser.parse_file(path)
    if parser._opened:
        # doveconf: "Missing '}' (section started at FILE:LINE)", the innermost one; a
        # section may end in a file it includes, so only the end of all of them tells
        file, line = parser._opened[-1]
        parser._note("dovecot_brace_missing", {"file": file, "line": str(line)})
    return parser


def doveconf_version(text: str) -> str | None:
    """'# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf' -> '2.3.19.1'."""
    match = re.match(r"#\s*(\d+\.\d+[\w.]*)", text)
    return match.group(1) if match else None
