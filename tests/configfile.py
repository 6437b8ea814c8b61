"""Writing a mailwarden TOML configuration from Python values (the daemon's and the
security tests' labs share it; tests/ is on the import path through tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, sections: Mapping[str, Mapping[str, Any]]) -> Path:
    text = []
    for name, keys in sections.items():
        text.append(f"[{name}]")
        text += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
        text.append("")
    path.write_text("\n".join(text), encoding="utf-8")
    return path
