"""Choose the output language: `--lang`, else the locale of the environment.

POSIX order: LC_ALL, then LC_MESSAGES, then LANG; the first one set decides. Any `zh*`
locale gives Simplified Chinese (the only Chinese text there is); everything else,
including C and POSIX, gives English.
"""

from __future__ import annotations

from collections.abc import Mapping

from mailwarden.audit.texts import Lang


def choose_language(option: str | None, environ: Mapping[str, str]) -> Lang:
    if option:
        return _normalise(option)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            return _normalise(value)
    return "en"


def _normalise(value: str) -> Lang:
    return "zh_CN" if value.strip().lower().startswith("zh") else "en"
