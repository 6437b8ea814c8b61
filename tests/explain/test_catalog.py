"""The catalogs: every message translated, placeholders kept, .po compiled correctly."""

from __future__ import annotations

import gettext
import io
import shutil
import string
import subprocess
from pathlib import Path

import pytest

from mailwarden.locale import (
    activate,
    language_from_environment,
    load_catalog,
    normalize_language,
    translation,
)
from mailwarden.locale.catalog import CatalogError, compile_mo, parse_po
from mailwarden.locale.extract import all_messages, catalog_path, missing
from mailwarden.parsers.sasl import decode_auth, mask_password

PO = catalog_path("zh_CN")


def test_every_message_has_a_chinese_translation() -> None:
    gaps = missing("zh_CN")
    assert not gaps, "\n".join(f"{m.where}: {m.msgid!r}" for m in gaps)


def test_the_scan_finds_the_messages_of_every_stage_that_speaks() -> None:
    messages = {m.msgid for m in all_messages()}
    assert "Verdict" in messages  # explain
    assert "cut off in the log" in messages  # parsers/sasl.py
    assert len(messages) > 200


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_translations_keep_the_placeholders() -> None:
    catalog = parse_po(PO.read_text(encoding="utf-8"))
    for message in all_messages():
        forms = catalog[message.key].split("\0")
        expected = _fields(message.plural or message.msgid)
        for form in forms:
            assert _fields(form) == expected, (message.msgid, form)


def test_no_fuzzy_or_stale_entries() -> None:
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    keys = {m.key for m in all_messages()} | {""}
    stale = set(parse_po(text)) - keys
    assert not stale, sorted(stale)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
def test_compiled_catalog_matches_gnu_msgfmt(tmp_path: Path) -> None:
    mo = tmp_path / "mailwarden.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(PO)], check=True)
    gnu = gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    ours = gettext.GNUTranslations(io.BytesIO(compile_mo(parse_po(PO.read_text(encoding="utf-8")))))
    for message in all_messages():
        if message.plural is None:
            assert ours.gettext(message.msgid) == gnu.gettext(message.msgid)
        else:
            for n in (1, 2, 5):
                assert ours.ngettext(message.msgid, message.plural, n) == gnu.ngettext(
                    message.msgid, message.plural, n
                )


def test_po_parser_handles_the_format() -> None:
    text = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

# a comment
msgid "one "
"line"
msgstr "eine "
"Zeile \"zitiert\"\n"

#, fuzzy
msgid "rough"
msgstr "grob"

msgid "untranslated"
msgstr ""

msgctxt "menu"
msgid "Open"
msgstr "Öffnen"

msgid "{n} file"
msgid_plural "{n} files"
msgstr[0] "{n} Datei"
msgstr[1] "{n} Dateien"
"""
    catalog = parse_po(text)
    assert catalog["one line"] == 'eine Zeile "zitiert"\n'
    assert "rough" not in catalog and "untranslated" not in catalog
    assert catalog["menu\x04Open"] == "Öffnen"
    assert catalog["{n} file\0{n} files"] == "{n} Datei\0{n} Dateien"
    compiled = gettext.GNUTranslations(io.BytesIO(compile_mo(catalog)))
    assert compiled.ngettext("{n} file", "{n} files", 2) == "{n} Dateien"
    assert compiled.pgettext("menu", "Open") == "Öffnen"


def test_po_parser_names_the_bad_line() -> None:
    with pytest.raises(CatalogError, match="line 2"):
        parse_po('msgid "a"\nmsgstr b\n')


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh-cn", "zh_CN"),
        ("zh", "zh_CN"),
        ("en_US.UTF-8", "en"),
        ("C", "en"),
        ("POSIX", "en"),
        ("fr_FR", None),
        ("", None),
    ],
)
def test_language_names(name: str, expected: str | None) -> None:
    assert normalize_language(name) == expected


def test_language_from_the_locale() -> None:
    assert language_from_environment({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert language_from_environment({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_environment({"LANGUAGE": "fr:zh_CN", "LANG": "en_US"}) == "zh_CN"
    assert language_from_environment({"LANG": "de_DE.UTF-8"}) == "en"
    assert language_from_environment({}) == "en"


def test_catalog_loads_from_the_po_alone(tmp_path: Path) -> None:
    """A clean checkout or a wheel carries only the .po: it is compiled in memory."""
    shutil.copy(PO, tmp_path / PO.name)
    assert load_catalog(tmp_path).gettext("Verdict") == "结论"
    assert translation("zh_CN").gettext("Verdict") == "结论"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
def test_a_stale_compiled_catalog_is_ignored(tmp_path: Path) -> None:
    import os

    shutil.copy(PO, tmp_path / PO.name)
    stale = tmp_path / "old.po"
    stale.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Verdict"\nmsgstr "旧"\n',
        encoding="utf-8",
    )
    mo = tmp_path / "mailwarden.mo"
    subprocess.run(["msgfmt", "-o", str(mo), str(stale)], check=True)
    os.utime(mo, (1, 1))  # older than the .po
    assert load_catalog(tmp_path).gettext("Verdict") == "结论"
    os.utime(mo, None)  # a packager's fresh build wins
    assert load_catalog(tmp_path).gettext("Verdict") == "旧"


def test_masks_speak_the_active_language() -> None:
    cred = decode_auth("PLAIN", "AGFkbWluQGZpcGljay5jb20Ad2lsb", 45)
    assert cred is not None
    activate("zh_CN")
    assert cred.masked_password() == "***（4–6 个字符，在日志中被截断）"
    assert mask_password("", True) == "（空）"
    activate("en")
    assert cred.masked_password() == "*** (4–6 characters, cut off in the log)"
