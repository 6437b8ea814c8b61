"""Find every translatable string in the package (the msgids) and check the catalogs.

    python -m mailwarden.locale.extract            list msgids missing from zh_CN (as .po)
    python -m mailwarden.locale.extract --check    exit 1 when any is missing or empty

A msgid is the literal first argument of ``_()``, ``gettext()`` or ``N_()``, the first
two of ``ngettext()`` and ``Nn_()``, the second of ``pgettext()`` (whose first is the context), in
modules that import :mod:`mailwarden.locale`. The tests use the same scan.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailwarden.locale import DOMAIN
from mailwarden.locale.catalog import parse_po

PACKAGE = Path(__file__).resolve().parent.parent
_SINGLE = {"_", "gettext", "N_"}
_PLURAL = {"ngettext", "Nn_"}


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    context: str | None
    where: str

    @property
    def key(self) -> str:
        key = self.msgid if self.plural is None else f"{self.msgid}\0{self.plural}"
        return key if self.context is None else f"{self.context}\x04{key}"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _uses_catalog(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "mailwarden.locale":
            return True
    return False


def messages_in(path: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    if not _uses_catalog(tree):
        return
    where = str(path.relative_to(PACKAGE.parent))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name, args = node.func.id, node.args
        if name in _SINGLE and args and (text := _literal(args[0])) is not None:
            yield Message(text, None, None, f"{where}:{node.lineno}")
        elif name in _PLURAL and len(args) >= 2:
            single, plural = _literal(args[0]), _literal(args[1])
            if single is not None and plural is not None:
                yield Message(single, plural, None, f"{where}:{node.lineno}")
        elif name == "pgettext" and len(args) >= 2:
            context, text = _literal(args[0]), _literal(args[1])
            if context is not None and text is not None:
                yield Message(text, None, context, f"{where}:{node.lineno}")


def all_messages(package: Path = PACKAGE) -> list[Message]:
    """Every msgid of the package, first occurrence first."""
    seen: dict[str, Message] = {}
    for path in sorted(package.rglob("*.py")):
        for message in messages_in(path):
            seen.setdefault(message.key, message)
    return list(seen.values())


def catalog_path(language: str) -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def missing(language: str) -> list[Message]:
    """Messages without a non-empty translation in ``language``'s catalog."""
    catalog = parse_po(catalog_path(language).read_text(encoding="utf-8"))
    return [
        m
        for m in all_messages()
        if not all(form.strip() for form in catalog.get(m.key, "").split("\0"))
    ]


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\b", "\\b").replace("\t", "\\t")  # click's \b (no rewrap)
    return f'"{escaped}"'


def po_stub(message: Message) -> str:
    lines = [f"#: {message.where}"]
    if message.context is not None:
        lines.append(f"msgctxt {_po_string(message.context)}")
    lines.append(f"msgid {_po_string(message.msgid)}")
    if message.plural is None:
        lines.append('msgstr ""')
    else:
        lines += [f"msgid_plural {_po_string(message.plural)}", 'msgstr[0] ""']
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mailwarden.locale.extract")
    parser.add_argument("--language", default="zh_CN")
    parser.add_argument("--check", action="store_true", help="exit 1 when any is missing")
    args = parser.parse_args(argv)
    gaps = missing(args.language)
    if args.check:
        for message in gaps:
            print(f"{message.where}: untranslated: {message.msgid!r}", file=sys.stderr)
        return 1 if gaps else 0
    print("\n\n".join(po_stub(m) for m in gaps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
