"""Read a Dovecot configuration: `doveconf -c FILE -n` when installed, else the files.

`doveconf` is the authority (it applies Dovecot's own syntax and rejects what Dovecot
would reject); the file parser gives each setting its file and line for the evidence.
When `doveconf` refuses the file (for instance a Dovecot 2.4 configuration read by a
2.3 `doveconf`), the files are read and a note says why.

`doveconf -n` (2.3) prints a `remote` or `local` filter on every address
(`remote 0.0.0.0/0`, `remote ::/0`: zero bits) without its header: the settings inside
look like top-level ones (and the top level shows them too), and a setting written both
there and at the top level cannot be told apart. For a setting written inside such a
filter the files' view is taken instead (what `--read-files` sees): the evidence and
the fix then point at the line inside the filter, not at a top-level line that Dovecot
does not apply there ("won't change the setting inside an earlier filter").

The OpenSSL library (whether a cipher grade such as MEDIUM holds RC4), as for Postfix:
`--openssl-version` when given; for /etc/dovecot/dovecot.conf on a machine with
Dovecot installed, this machine's OpenSSL (openssl.py); else unknown.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mailwarden.audit.dovecot_config import (
    DovecotConfig,
    DovecotSetting,
    doveconf_version,
    parse_dovecot_text,
    read_dovecot_files,
)
from mailwarden.audit.interface import Note
from mailwarden.audit.openssl import local_library
from mailwarden.audit.textfile import same_path
from mailwarden.audit.tls import UNKNOWN_LIBRARY, Library
from mailwarden.audit.tools import ToolFailed, find_program, run
from mailwarden.errors import AuditError
from mailwarden.locale import _

DEFAULT_CONFIG = Path("/etc/dovecot/dovecot.conf")


def read_dovecot(
    path: Path, *, use_tools: bool = True, library: Library | None = None
) -> DovecotConfig:
    if not path.is_file():
        raise AuditError(_("{path}: cannot read: not a file").format(path=path))
    library = _library(library, path)
    from_files, file_notes, defaults = read_dovecot_files(path)
    notes: list[Note] = list(file_notes)
    doveconf = find_program("doveconf") if use_tools else None
    if doveconf is not None:
        try:
            output = run([doveconf, "-c", str(path), "-n"])
        except ToolFailed as exc:
            notes.append(Note("doveconf_failed", {"error": str(exc)}))
        else:
            settings = _locate(parse_dovecot_text(output.stdout), from_files)
            version = doveconf_version(output.stdout)
            protocols = None if _printed_protocols(settings) else _protocols(doveconf, path)
            if protocols is not None:
                defaults = {**defaults, "protocols": protocols}
            if protocols is not None or _printed_protocols(settings):
                # doveconf knows the value: the files' guess at the default goes
                notes = [n for n in notes if n.key != "dovecot_protocols_default"]
            return DovecotConfig(
                str(path),
                settings,
                version,
                "doveconf",
                tuple(notes),
                defaults=defaults,
                library=library,
            )
    return DovecotConfig(
        str(path), from_files, None, "files", tuple(notes), defaults=defaults, library=library
    )


def _printed_protocols(settings: tuple[DovecotSetting, ...]) -> bool:
    """`doveconf -n` printed the top-level `protocols` (2.4's `protocols { imap = yes
    }` adds to the default: `-h protocols` gives the sum)."""
    return any(s.name == "protocols" and not s.section for s in settings)


def _protocols(doveconf: str, path: Path) -> str | None:
    """The effective `protocols`: `doveconf -n` prints it only where it differs from
    the build's default, which is empty on Debian and Ubuntu (their split-protocols
    patch) but `imap pop3 lmtp` in Dovecot's own sources (RHEL, Fedora, Arch, source
    builds): `doveconf -c FILE -h protocols` prints the value in force (tried with
    2.3.19: a blank line for Debian's empty default). None when it gives no one-line
    answer."""
    try:
        output = run([doveconf, "-c", str(path), "-h", "protocols"])
    except ToolFailed:
        return None
    lines = output.stdout.splitlines()
    if len(lines) > 1 or any(mark in output.stdout for mark in "={}#"):
        return None
    return lines[0].strip() if lines else ""


def _library(given: Library | None, path: Path) -> Library:
    """This machine's library only for its own Dovecot's configuration."""
    if given is not None:
        return given
    own = same_path(path, DEFAULT_CONFIG) and find_program("doveconf") is not None
    return local_library() if own else UNKNOWN_LIBRARY


def _locate(
    reported: tuple[DovecotSetting, ...], written: tuple[DovecotSetting, ...]
) -> tuple[DovecotSetting, ...]:
    """Give each setting doveconf reported the file and line where it was written last.

    A setting written inside a filter on every address is taken from the files in all
    its scopes (doveconf prints that filter without its header)."""
    hidden = {s.name for s in written if s.filtered and _as_printed(s.section) != s.section}
    where: dict[tuple[str, str], DovecotSetting] = {}
    for setting in written:
        where[(setting.name, setting.section)] = setting
    located = []
    for setting in reported:
        if setting.name in hidden:
            continue
        found = where.get((setting.name, setting.section))
        if found is None:
            located.append(setting)
        else:
            located.append(
                replace(
                    setting,
                    file=found.file,
                    line=found.line,
                    text=found.text,
                    end_line=found.end_line,
                )
            )
    located.extend(s for s in written if s.name in hidden)
    return tuple(located)


_EVERY_ADDRESS = re.compile(r'^(?:local|remote)\s+"?[^\s"]*/0+"?$')


def _as_printed(section: str) -> str:
    """`section` as `doveconf -n` prints it: without the `local` and `remote` filters
    on every address (0 bits: 0.0.0.0/0, ::/0, 0/0), which it prints without header."""
    return " > ".join(part for part in section.split(" > ") if not _EVERY_ADDRESS.match(part))
