"""The language of a command's messages, chosen before its arguments are parsed.

A mistake on the command line (``explain --year 0``, ``audit --format xml``, a file
that does not exist) is found while click parses the arguments or before the command
has printed anything, so the language cannot wait for the command to read its
``--lang``: :func:`command_language` reads it from the arguments as they were typed,
else from the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG as gettext reads them, for
``explain``, ``analyze`` and ``audit`` alike). The commands that speak English only (``events``, the
daemon's) keep English errors, and their JSON and logs stay English whatever the locale
(``analyze --format json`` too).

Click's own messages (usage errors, the help's headings) are marked for gettext, but
through the standard library's global domain, which reads ``.mo`` files from disk in a
language the environment alone chooses: neither ``--lang`` nor our catalog (a ``.po``
compiled in memory) can reach it. So while a command runs, :func:`speaking` points the
``_`` and ``ngettext`` names that click's modules imported from :mod:`gettext` at
:mod:`mailwarden.locale` (only names that are the standard library's functions, and
puts them back afterwards). English is the identity: click's own text. The msgids in
:data:`CLICK_MESSAGES` are click's, verbatim (tests check them against the installed
click); one that a click release rewords shows in English until it is updated here.

Our own help texts (a command's description and epilog, an option's help) are given to
click as msgids (marked with ``N_``) through :class:`TranslatedCommand` and
:class:`TranslatedOption`, which hand click each one in the language active when it
reads it: ``--help`` is written while the command's language is active, in Chinese with
``--lang zh_CN`` or a Chinese locale. Click itself translates no text an application
gives it.
"""

from __future__ import annotations

import gettext as _stdlib_gettext
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from mailwarden.locale import N_, Nn_, activate, active_language, gettext, ngettext

LANG_OPTION = "--lang"
COMMANDS_WITH_LANGUAGE = ("explain", "audit", "analyze")
"""The commands that speak Chinese (``--lang`` or the locale)."""
ENGLISH_COMMANDS = ("events", "run", "ban", "unban", "status")
"""The commands that speak English whatever the locale (their output is read by programs,
their logs by anyone)."""

_SHOW_HELP = N_("Show this message and exit.")
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Try '{command} {option}' for help."),
    N_("Error: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("No such option {name!r}."),
    N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("Options"),
    _SHOW_HELP,
    N_("default: {default}"),
    N_("No such command {name!r}."),
)
"""Click's messages that ``explain``, ``audit``, ``analyze`` and ``mailwarden`` itself can
show (usage errors and --help)."""
CLICK_PLURALS = (
    Nn_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    Nn_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    Nn_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    Nn_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
)
"""Click's messages with a plural, as (singular, plural)."""


F = TypeVar("F", bound=Callable[..., Any])


def _translated(msgid: str | None) -> str | None:
    return gettext(msgid) if msgid else msgid


class TranslatedOption(click.Option):
    """An option whose help text is a msgid: click reads it in the active language."""

    @property
    def help(self) -> str | None:
        return _translated(self._help_msgid)

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_msgid = value


class TranslatedContext(click.Context):
    """Lays out ``--help`` by terminal cells in a language other than English
    (:class:`mailwarden.cli.helpformat.CellHelpFormatter`); English keeps click's own."""

    def make_formatter(self) -> click.HelpFormatter:
        if active_language() == "en":
            return super().make_formatter()
        from mailwarden.cli.helpformat import CellHelpFormatter

        return CellHelpFormatter(width=self.terminal_width, max_width=self.max_content_width)


class _TranslatedTexts:
    """The description (``help``) and ``epilog`` as msgids, read in the active language,
    and --help's own line said again in it (see :class:`TranslatedCommand`)."""

    _help_msgid: str | None
    _epilog_msgid: str | None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # Click makes --help's option once, in the language of the command's first use,
        # and keeps it: its help is said again in the language active now.
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = gettext(_SHOW_HELP)
        return option  # type: ignore[no-any-return]

    @property
    def help(self) -> str | None:
        return _translated(self._help_msgid)

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_msgid = value

    @property
    def epilog(self) -> str | None:
        return _translated(self._epilog_msgid)

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        self._epilog_msgid = value


class TranslatedCommand(_TranslatedTexts, click.Command):
    """A command whose description (``help``) and ``epilog`` are msgids: click reads
    them in the active language (an option's help: :class:`TranslatedOption`), and lays
    them out by terminal cells (:class:`TranslatedContext`)."""

    context_class = TranslatedContext


class TranslatedGroup(_TranslatedTexts, click.Group):
    """:class:`TranslatedCommand` for a group: ``mailwarden --help``."""

    context_class = TranslatedContext


def option(*param_decls: str, **attrs: Any) -> Callable[[F], F]:
    """``click.option`` for the commands that speak Chinese: its ``help`` is a msgid
    (mark it with ``N_``), shown in the active language."""
    return click.option(*param_decls, cls=TranslatedOption, **attrs)


def command_language(args: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The language the command in ``args`` (the arguments after ``mailwarden``) speaks:
    its ``--lang`` when that names a language we have, else the locale's, for the
    commands of :data:`COMMANDS_WITH_LANGUAGE`; English for :data:`ENGLISH_COMMANDS`.
    Without a command of ours (``mailwarden --help``, ``mailwarden``, a mistyped name)
    the group speaks, in the locale's language (the rule of ``explain`` and
    ``analyze``): the group has no ``--lang``, which is an option of the commands."""
    from mailwarden.locale import language_from_environment, normalize_language

    env = os.environ if environ is None else environ
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command in ENGLISH_COMMANDS:
        return "en"
    if command is None or command not in COMMANDS_WITH_LANGUAGE:
        return language_from_environment(env)
    given = _lang_value(args[args.index(command) + 1 :])
    chosen = normalize_language(given) if given else None
    if chosen is not None:
        return chosen
    return language_from_environment(env)


def _lang_value(args: Sequence[str]) -> str | None:
    """The last ``--lang VALUE`` or ``--lang=VALUE`` before a ``--``, as click takes it."""
    value = None
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            break
        if arg == LANG_OPTION:
            value = next(rest, None)
        elif arg.startswith(LANG_OPTION + "="):
            value = arg.partition("=")[2]
    return value


def _click_gettext(message: str) -> str:
    return gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext(singular, plural, n)


_HOOKS = (
    ("_", _stdlib_gettext.gettext, _click_gettext),
    ("gettext", _stdlib_gettext.gettext, _click_gettext),
    ("ngettext", _stdlib_gettext.ngettext, _click_ngettext),
)


def _click_modules() -> list[object]:
    return [
        module
        for name, module in list(sys.modules.items())
        if module is not None and (name == "click" or name.startswith("click."))
    ]


def _point_click_at(ours: bool) -> None:
    for module in _click_modules():
        for name, stdlib, hook in _HOOKS:
            current = getattr(module, name, None)
            if ours and current is stdlib:
                setattr(module, name, hook)
            elif not ours and current is hook:
                setattr(module, name, stdlib)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Make ``language`` the active one, click's messages included, for the block; the
    language active before (and click's own gettext) come back after it."""
    previous = active_language()
    activate(language)
    if language != "en":
        _point_click_at(True)
    try:
        yield
    finally:
        _point_click_at(False)
        activate(previous)
