"""Translations: English in the code (the gettext msgids), Simplified Chinese in
``zh_CN/LC_MESSAGES/mailwarden.po``.

One language is active per process. It is English until :func:`activate` is called:
the command line does before it parses the arguments, for the commands that speak
Chinese (``explain``, ``audit`` and ``analyze``, by ``--lang`` or the locale: ``LANG=zh_CN.UTF-8``;
:mod:`mailwarden.cli.language`), so their error messages are translated too, and
machine output such as JSON stays English unless a command asks otherwise.

    from mailwarden.locale import _, ngettext
    print(_("Someone at {ip} tried to log in.").format(ip=ip))

Mark text that is translated later (tables of constants) with :func:`N_` (and a
singular with its plural with :func:`Nn_`).
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from mailwarden.locale.catalog import compile_mo, parse_po

DOMAIN = "mailwarden"
LANGUAGES = ("en", "zh_CN")
"""Languages with a complete catalog (English is the source language)."""

_HERE = Path(__file__).resolve().parent
_active: _gettext.NullTranslations = _gettext.NullTranslations()
_active_language = "en"


def normalize_language(name: str) -> str | None:
    """``zh_CN``, ``zh-cn``, ``zh_CN.UTF-8``, ``zh`` give ``zh_CN``; ``en_US``, ``C`` and
    ``POSIX`` give ``en``; anything else gives None."""
    base = name.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if not base:
        return None
    lowered = base.lower()
    if lowered in {"c", "posix"} or lowered == "en" or lowered.startswith("en_"):
        return "en"
    if lowered in {"zh", "zh_cn", "zh_sg", "zh_hans"} or lowered.startswith("zh_hans"):
        return "zh_CN"
    return None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for, as gettext looks it up (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG); English when none names a language we have."""
    env = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable, "")
        if not value:
            continue
        for candidate in value.split(":"):
            language = normalize_language(candidate)
            if language is not None:
                return language
        if variable != "LANGUAGE":
            return "en"  # the first set LC_* variable decides, as in C
    return "en"


@cache
def translation(language: str) -> _gettext.NullTranslations:
    """The catalog for one of :data:`LANGUAGES` (English: the identity)."""
    if language == "en":
        return _gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    return load_catalog(_HERE / language / "LC_MESSAGES")


def load_catalog(folder: Path) -> _gettext.GNUTranslations:
    """The catalog in ``folder``: its ``.mo`` when one is at least as new as the ``.po``
    (a packager compiled it), else the ``.po`` compiled in memory."""
    po_path = folder / f"{DOMAIN}.po"
    mo_path = folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        data = mo_path.read_bytes()
    else:
        data = compile_mo(parse_po(po_path.read_text(encoding="utf-8")))
    return _gettext.GNUTranslations(io.BytesIO(data))


def activate(language: str | None = None) -> str:
    """Make ``language`` (or the locale's language when None) the active one; return it."""
    global _active, _active_language
    resolved = language_from_environment() if language is None else normalize_language(language)
    if resolved is None:
        raise ValueError(f"unsupported language {language!r}")
    _active, _active_language = translation(resolved), resolved
    return resolved


def active_language() -> str:
    return _active_language


def gettext(message: str) -> str:
    """Translate ``message`` into the active language."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with a plural form chosen for ``n``."""
    return _active.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` in a context (for short words that need one)."""
    return _active.pgettext(context, message)


_ZH_SPACE = re.compile(r"(?<=[。！？；：，、）])[ ]+|(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")


def tidy(text: str) -> str:
    """Spacing rules of the active language for text joined from translated pieces:
    Chinese puts no space after its full-width punctuation, nor between two characters."""
    if _active_language == "zh_CN":
        return _ZH_SPACE.sub("", text)
    return text


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translate it later with :func:`gettext`."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and its plural for extraction; translate them later with
    :func:`ngettext`."""
    return singular, plural


_ = gettext

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "Nn_",
    "_",
    "activate",
    "active_language",
    "gettext",
    "language_from_environment",
    "load_catalog",
    "ngettext",
    "normalize_language",
    "pgettext",
    "tidy",
    "translation",
]
