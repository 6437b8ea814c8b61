"""Choose how to read a Postfix configuration directory, and which version it is for.

Reading: `postconf` when it is installed (it is the authority on main.cf and master.cf
syntax and on defaults), else the files themselves. If `postconf` fails on the
directory (a configuration from a newer Postfix, say, or a master.cf entry it refuses),
the files are read and a note says why. A master.cf entry that Postfix refuses is named
with its line in a note of its own, and left out of the audit. So is a value that
postconf takes but the program that reads it refuses at start: a `-o` that is no
name=value (postfix_files.OPTION_NOTES), a yes/no parameter that is neither
(`_with_refused_booleans`).

The version decides end-of-life and the defaults of version-sensitive parameters:
1. `--postfix-version` when given;
2. else `mail_version` when main.cf sets it (a copied configuration can say where it
   comes from this way; one that is not a version is ignored, with a note);
3. else this machine's `postconf -d mail_version`: trusted when the directory is this
   machine's own configuration directory, *assumed* otherwise (a note asks for
   `--postfix-version`, and the end-of-life check is skipped);
4. else unknown (files only): the defaults of Postfix 3.7 are assumed, with a note.

The OpenSSL library (which cipher suites a grade holds): `--openssl-version` when given;
else, for this machine's own configuration directory (with this machine's Postfix
installed), this machine's OpenSSL (openssl.py); else unknown.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mailwarden.audit.interface import Note
from mailwarden.audit.numbers import shown
from mailwarden.audit.openssl import local_library
from mailwarden.audit.postfix_config import PostfixConfig, Service, Version, parse_version
from mailwarden.audit.postfix_defaults import (
    BOOLEANS,
    VERSION_SENSITIVE,
    defaults_for,
    refused_in_services,
)
from mailwarden.audit.postfix_files import OPTION_NOTES, read_main_cf, read_master_cf
from mailwarden.audit.postfix_postconf import read_with_postconf
from mailwarden.audit.textfile import same_path
from mailwarden.audit.tls import UNKNOWN_LIBRARY, Library
from mailwarden.audit.tools import ToolFailed, find_program
from mailwarden.errors import AuditError
from mailwarden.locale import _

DEFAULT_DIRECTORY = "/etc/postfix"


def read_postfix(
    directory: Path,
    *,
    version: Version | None = None,
    use_tools: bool = True,
    library: Library | None = None,
) -> PostfixConfig:
    """Read `directory`; raise AuditError when main.cf or master.cf cannot be read."""
    if not directory.is_dir():
        raise AuditError(_("{path}: not a readable directory").format(path=directory))
    main, main_lines = read_main_cf(directory)
    services, refused = read_master_cf(directory)
    notes: list[Note] = []
    written = main.get("mail_version")
    if version is None and written is not None and parse_version(written) is None:
        notes.append(Note("version_invalid", {"value": shown(written.strip())}))
    postconf = find_program("postconf") if use_tools else None
    if postconf is not None:
        try:
            result = read_with_postconf(postconf, directory)
        except ToolFailed as exc:
            notes.append(Note("postconf_failed", {"error": str(exc)}))
        else:
            notes += [Note("postconf_warning", {"warning": w}) for w in result.warnings]
            chosen, source = _version(version, result.explicit, result.local_version)
            if source == "postconf" and not same_path(directory, result.local_config_directory):
                source = "assumed"
                notes.append(Note("version_assumed", {"version": result.local_version}))
            defaults = {k: v for k, v in result.everything.items() if k not in result.explicit}
            if source != "postconf" and source != "assumed":
                sensitive = defaults_for(chosen)
                defaults.update({k: sensitive[k] for k in VERSION_SENSITIVE})
            own = same_path(directory, result.local_config_directory)
            # postconf takes a `-o` that is no name=value; the service's program does not.
            notes += [n for n in refused if n.key in OPTION_NOTES]
            return _with_refused_booleans(
                PostfixConfig(
                    directory=str(directory),
                    explicit=result.explicit,
                    defaults=defaults,
                    services=_with_lines(result.services, services),
                    version=chosen,
                    version_source=source,
                    reader="postconf",
                    main_lines=main_lines,
                    notes=tuple(notes),
                    default_directory=own,
                    library=_library(library, own),
                )
            )
    # postconf, when it read the directory, took every entry: the notes of the entries
    # Postfix refuses are for the files parsed here, beside postconf's own error.
    notes += refused
    chosen, source = _version(version, main, None)
    if chosen is None:
        if postconf is not None:
            notes.append(Note("version_unknown_failed"))
        elif use_tools:
            notes.append(Note("version_unknown"))
        else:
            notes.append(Note("version_unknown_files"))
    return _with_refused_booleans(
        PostfixConfig(
            directory=str(directory),
            explicit=main,
            defaults=defaults_for(chosen),
            services=services,
            version=chosen,
            version_source=source,
            reader="files",
            main_lines=main_lines,
            notes=tuple(notes),
            default_directory=same_path(directory, DEFAULT_DIRECTORY),
            # This machine's library only where this machine's Postfix reads the directory.
            library=_library(
                library,
                same_path(directory, DEFAULT_DIRECTORY) and find_program("postconf") is not None,
            ),
        )
    )


def _with_refused_booleans(config: PostfixConfig) -> PostfixConfig:
    """`config` with a note for each yes/no parameter (BOOLEANS) whose value Postfix
    refuses, in main.cf or in a `-o` of a service whose program reads it: that program
    stops at start, so the service does not run (`postconf` takes the value). The
    checks read such a value as no."""
    notes: list[Note] = []
    for parameter in BOOLEANS:
        value = config.refused_boolean(parameter) if parameter in config.explicit else None
        if value is not None:
            line = config.main_lines.get(parameter)
            details = {"file": config.main_cf, "line": str(line or "?")}
            notes.append(_refused_boolean(parameter, value, details))
    for service, parameter, value in refused_in_services(config):
        line = service.override_lines.get(parameter, service.line)
        details = {"file": config.master_cf, "line": str(line or "?")}
        notes.append(_refused_boolean(parameter, value, {**details, "service": service.key}))
    if not notes:
        return config
    return replace(config, notes=(*config.notes, *notes))


def _refused_boolean(parameter: str, value: str, details: dict[str, str]) -> Note:
    key = "postfix_boolean_service" if "service" in details else "postfix_boolean"
    value = shown(value)
    error = f"bad boolean configuration: {parameter} = {value}"
    return Note(key, {**details, "parameter": parameter, "value": value, "error": error})


def _library(given: Library | None, own: bool) -> Library:
    if given is not None:
        return given
    return local_library() if own else UNKNOWN_LIBRARY


def _version(
    option: Version | None, main: dict[str, str], local: str | None
) -> tuple[Version | None, str]:
    if option is not None:
        return option, "option"
    written = parse_version(main.get("mail_version"))
    if written is not None:
        return written, "main.cf"
    found = parse_version(local)
    if found is not None:
        return found, "postconf"
    return None, "unknown"


def _with_lines(
    from_tool: tuple[Service, ...], from_files: tuple[Service, ...]
) -> tuple[Service, ...]:
    """Give the services that postconf reported the line numbers the parser found, and
    their `-o` options in the order of master.cf (`postconf -P` sorts them by name; a
    fix that rewrites an entry keeps the administrator's order)."""
    by_key = {service.key: service for service in from_files}
    located = []
    for service in from_tool:
        parsed = by_key.get(service.key)
        if parsed is None:
            located.append(service)
            continue
        lines = {k: v for k, v in parsed.override_lines.items() if k in service.overrides}
        order = [k for k in parsed.overrides if k in service.overrides]
        order += [k for k in service.overrides if k not in order]
        overrides = {k: service.overrides[k] for k in order}
        located.append(
            replace(service, line=parsed.line, override_lines=lines, overrides=overrides)
        )
    return tuple(located)
