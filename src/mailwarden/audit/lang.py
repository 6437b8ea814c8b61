"""Choose the output language: `--lang`, else the locale of the environment.

The locale is read as for ``explain`` and ``analyze``
(:func:`mailwarden.locale.language_from_environment`): LANGUAGE, then LC_ALL,
LC_MESSAGES and LANG, as gettext reads them. A Chinese locale (``zh``, ``zh_CN``,
``zh_SG``, ``zh_Hans``) gives Simplified Chinese; everything else, including C and POSIX,
gives English.
"""

from __future__ import annotations

from collections.abc import Mapping

from mailwarden.audit.texts import Lang
from mailwarden.locale import language_from_environment, normalize_language


def choose_language(option: str | None, environ: Mapping[str, str]) -> Lang:
    chosen = normalize_language(option) if option else None
    if chosen is None:
        chosen = language_from_environment(environ)
    return "zh_CN" if chosen == "zh_CN" else "en"
