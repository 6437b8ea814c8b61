"""Options shared by the commands: those that read logs, and --lang."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

F = TypeVar("F", bound=Callable[..., Any])


def _timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> tzinfo | None:
    if value is None:
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone {value!r} (try Europe/Berlin or UTC)") from exc


def log_input_options(func: F) -> F:
    """FILE… arguments plus --year and --timezone, for commands that read logs."""
    func = click.option(
        "--timezone",
        "tz",
        metavar="ZONE",
        callback=_timezone,
        help="Zone of times written without one (default: this machine's), e.g. Europe/Berlin.",
    )(func)
    func = click.option(
        "--year",
        type=click.IntRange(1970, 9999),
        help="Year of the first entry when the log does not write years "
        "(default: from the file's modification time).",
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
        raise click.BadParameter(f"{value!r} is not a language we have (choose {choices})")
    return normalized


def show_passwords_option(func: F) -> F:
    return click.option(
        "--show-passwords",
        is_flag=True,
        help="Show passwords decoded from AUTH payloads (masked by default).",
    )(func)
