"""Options shared by the commands: those that read logs, --lang, and the checks of a
path or a KEY=VALUE given on the command line.

A path that does not exist or is of the wrong kind, and a --set without ``=``, are usage
errors: one line naming the option, the value and the reason, exit status 2, as a
configuration file that cannot be read (``analyze --config nosuch.toml``). Click's own
checks printed its usage block instead, and a missing --users file or --postfix-dir was
left to the reader, which exits 1 (a file that cannot be read: audit's 1 says that the
configuration could not be read, not that it was named wrong).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from mailwarden.cli.language import option
from mailwarden.errors import MailwardenError
from mailwarden.locale import N_, _

F = TypeVar("F", bound=Callable[..., Any])


class OptionError(MailwardenError):
    """A value the command line gave that cannot be right, said in one line: ``--users:
    nosuch.txt: no such file``. Exit status 2, bad usage."""

    exit_code = 2

    def __init__(self, param: click.Parameter, value: str, reason: str) -> None:
        name = param.opts[0] if param.opts else str(param.name)
        super().__init__(f"{name}: {value}: {reason}")


def _timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> tzinfo | None:
    if value is None:
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            _("unknown time zone {value!r} (try Europe/Berlin or UTC)").format(value=value)
        ) from exc


def log_input_options(func: F) -> F:
    """FILE… arguments plus --year and --timezone, for commands that read logs."""
    func = option(
        "--timezone",
        "tz",
        metavar="ZONE",
        callback=_timezone,
        help=N_("Zone of times written without one (default: this machine's), e.g. Europe/Berlin."),
    )(func)
    func = option(
        "--year",
        type=click.IntRange(1970, 9999),
        help=N_(
            "Year of the first entry when the log does not write years "
            "(default: from the file's modification time)."
        ),
    )(func)
    func = click.argument("inputs", nargs=-1, metavar="[FILE…|-]")(func)
    return func


def language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang``: ``en`` or ``zh_CN``, as the locale would name them (``zh``, ``zh-CN``,
    ``zh_CN.UTF-8``, ``en_US``), for every command alike."""
    from mailwarden.locale import LANGUAGES, normalize_language

    if value is None:
        return None
    normalized = normalize_language(value)
    if normalized is None:
        choices = ", ".join(LANGUAGES)
        raise click.BadParameter(
            _("{value!r} is not a language we have (choose {choices})").format(
                value=value, choices=choices
            )
        )
    return normalized


def show_passwords_option(func: F) -> F:
    return option(
        "--show-passwords",
        is_flag=True,
        help=N_("Show passwords decoded from AUTH payloads (masked by default)."),
    )(func)


def _kind_error(path: str, want_directory: bool) -> str | None:
    """Why ``path`` cannot be the file (or directory) an option asks for, or None. Only
    a missing path and the wrong one of file/directory are refused: a pipe
    (``--users <(…)``) is a file to read, and a path this user may not look into is
    left to the reader, which says so (exit 1)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return _("no such directory") if want_directory else _("no such file")
    except NotADirectoryError:  # a file where a folder of the path should be
        return _("no such directory") if want_directory else _("no such file")
    except OSError:
        return None
    if want_directory and not stat.S_ISDIR(mode):
        return _("not a directory")
    if not want_directory and stat.S_ISDIR(mode):
        return _("a directory, not a file")
    return None


def _checked_path(want_directory: bool) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            reason = _kind_error(os.fspath(value), want_directory)
            if reason is not None:
                raise OptionError(param, click.format_filename(os.fspath(value)), reason)
        return value

    return check


existing_file = _checked_path(want_directory=False)
"""Callback: the option names a file (or a pipe) that exists."""
existing_directory = _checked_path(want_directory=True)
"""Callback: the option names a directory that exists."""


def journal_matches(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """``--journal-match FIELD=VALUE`` (repeatable): each a journalctl match, refused
    before anything is read (journalctl is never run with another)."""
    from mailwarden.sources.journal import is_match

    for match in value:
        if not is_match(match):
            raise OptionError(param, match, _("not a journal match (FIELD=value or +)"))
    return value


def assignments(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """``--set KEY=VALUE`` (repeatable): each has its ``=`` and a key, said in the form
    the help and the README write it (the configuration's own check says
    ``section.key=value``, which analyze's --set never asks for)."""
    for assignment in value:
        key, sep, _value = assignment.partition("=")
        if not sep or not key.strip().removeprefix("policy."):
            raise OptionError(param, assignment, _("expected KEY=VALUE"))
    return value
