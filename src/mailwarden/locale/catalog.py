"""Read a gettext ``.po`` catalog and compile it to ``.mo`` bytes, in memory.

Why in memory: the ``.po`` files are the only catalogs in the repository and in the
package, so a clean checkout, an editable install and a wheel all work without a build
step, without a writable cache directory (the daemon may run on a read-only system) and
without a compiled file that can fall out of step with its source. The bytes are the
standard GNU ``.mo`` format, loaded by the standard library's ``gettext.GNUTranslations``.
A ``.mo`` that a packager compiled with GNU msgfmt is used instead when it is at least as
new as the ``.po``.

Only what our catalogs use is supported: ``msgctxt``, ``msgid``, ``msgid_plural``,
``msgstr``/``msgstr[N]``, multi-line strings, the C escapes, comments; fuzzy entries are
left out, as msgfmt does.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field

_CONTEXT_SEPARATOR = "\x04"  # gettext joins msgctxt and msgid with EOT
_PLURAL_SEPARATOR = "\x00"


class CatalogError(ValueError):
    """The ``.po`` text is malformed; names the line."""


@dataclass
class _Entry:
    context: str | None = None
    msgid: str | None = None
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def _unquote(token: str, lineno: int) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise CatalogError(f"line {lineno}: expected a quoted string")
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError) as exc:
        raise CatalogError(f"line {lineno}: bad string: {exc}") from None
    if not isinstance(value, str):
        raise CatalogError(f"line {lineno}: expected a string")
    return value


def parse_po(text: str) -> dict[str, str]:
    """Return the catalog as ``{key: translation}`` in the ``.mo`` convention: the key is
    ``msgctxt\\x04msgid`` (or ``msgid``), plural ids and forms are joined by NUL. Entries
    without a translation and fuzzy entries are left out; the header (msgid "") is kept."""
    entries: list[_Entry] = []
    entry = _Entry()
    target: tuple[str, int] | None = None  # which field continuation lines extend

    def finish() -> None:
        nonlocal entry
        if entry.msgid is not None:
            entries.append(entry)
        entry = _Entry()

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in (f.strip() for f in line[2:].split(",")):
                if entry.msgid is not None:
                    finish()
                entry.fuzzy = True
            continue
        if line.startswith('"'):
            if target is None:
                raise CatalogError(f"line {lineno}: string outside an entry")
            _extend(entry, target, _unquote(line, lineno))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt" or (keyword == "msgid" and entry.strings):
            finish()
        if keyword == "msgctxt":
            entry.context, target = _unquote(rest, lineno), ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, target = _unquote(rest, lineno), ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.plural, target = _unquote(rest, lineno), ("msgid_plural", 0)
        elif keyword == "msgstr":
            entry.strings[0], target = _unquote(rest, lineno), ("msgstr", 0)
        elif keyword.startswith("msgstr[") and keyword.endswith("]"):
            try:
                index = int(keyword[7:-1])
            except ValueError:
                raise CatalogError(f"line {lineno}: bad plural index") from None
            entry.strings[index], target = _unquote(rest, lineno), ("msgstr", index)
        else:
            raise CatalogError(f"line {lineno}: unknown keyword {keyword!r}")
    finish()
    return _to_catalog(entries)


def _extend(entry: _Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgctxt":
        entry.context = (entry.context or "") + text
    elif name == "msgid":
        entry.msgid = (entry.msgid or "") + text
    elif name == "msgid_plural":
        entry.plural = (entry.plural or "") + text
    else:
        entry.strings[index] = entry.strings.get(index, "") + text


def _to_catalog(entries: list[_Entry]) -> dict[str, str]:
    catalog: dict[str, str] = {}
    for entry in entries:
        assert entry.msgid is not None
        if entry.fuzzy and entry.msgid:
            continue
        forms = [entry.strings[i] for i in sorted(entry.strings)]
        if not any(forms) and entry.msgid:
            continue
        key = entry.msgid
        if entry.plural is not None:
            key += _PLURAL_SEPARATOR + entry.plural
        if entry.context is not None:
            key = entry.context + _CONTEXT_SEPARATOR + key
        catalog[key] = _PLURAL_SEPARATOR.join(forms)
    return catalog


def compile_mo(catalog: dict[str, str]) -> bytes:
    """The GNU ``.mo`` bytes for a catalog from :func:`parse_po` (little-endian, no hash
    table, keys sorted as msgfmt sorts them)."""
    keys = sorted(catalog)
    ids = [k.encode("utf-8") for k in keys]
    strs = [catalog[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    offsets: list[int] = []
    blob = bytearray()
    for value in ids:
        offsets += [len(value), data_start + len(blob)]
        blob += value + b"\0"
    str_offsets: list[int] = []
    for value in strs:
        str_offsets += [len(value), data_start + len(blob)]
        blob += value + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    table = struct.pack(f"<{2 * count}I", *offsets) + struct.pack(f"<{2 * count}I", *str_offsets)
    return header + table + bytes(blob)
