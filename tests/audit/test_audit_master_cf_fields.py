"""A master.cf entry that Postfix refuses: 7 columns, a `-o` line that lost its leading
white space, a column left out so that the command lands in process_limit. Postfix
does not start with such a master.cf ("bad field count", "invalid process_limit
field"); the file parser skipped the entry without a word (or read `-o` as its
command), and the audit looked clean. Each is named with its file and line, the rest is
audited, and the audit says it is incomplete (exit status 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, line_of, requires_postconf

BROKEN = """\
relay2    unix  -       -       y       -       smtp
smtps     inet  n       -       y       -       -       smtpd
-o smtpd_tls_wrappermode=yes
smtp2     inet  n       -       y       -       smtpd
  -o smtpd_sasl_auth_enable=yes
"""


def broken(tmp_path: Path) -> tuple[Path, Path]:
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER + BROKEN)
    return directory, directory / "master.cf"


def notes(document: dict) -> list[str]:
    return [n for n in document["notes"] if "master.cf, line" in n]


def test_each_refused_entry_is_named_with_its_line(run_cli, tmp_path: Path):
    directory, master = broken(tmp_path)
    relay2, continued = line_of(master, "relay2"), line_of(master, "-o smtpd_tls")
    smtp2 = line_of(master, "smtp2")

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--format", "json")

    document = json.loads(result.out)
    assert notes(document) == [
        f"{master}, line {relay2}: 7 fields, where a master.cf entry has 8 (service, type, "
        "private, unpriv, chroot, wakeup, maxproc, command): Postfix refuses this master.cf "
        '("bad field count") and does not start; this entry was not audited.',
        f"{master}, line {continued}: this line continues the entry above but does not "
        "start with white space, so Postfix reads it as an entry of 2 fields and refuses "
        'this master.cf ("bad field count"); it was not audited. Indent it.',
        f'{master}, line {smtp2}: "smtpd" is no process_limit field Postfix can read (is a '
        'column missing?): Postfix refuses this master.cf ("invalid process_limit field") '
        "and does not start; this entry was not audited.",
    ]
    # the rest is audited: smtps, whose wrappermode was on the broken line
    subjects = {(f["id"], f["subject"]) for f in document["findings"]}
    assert ("postfix.submissions_no_wrappermode", "smtps/inet") in subjects
    assert (document["complete"], document["exit_status"], result.status) == (False, 1, 1)


def test_the_text_report_says_the_audit_is_incomplete(run_cli, tmp_path: Path):
    directory, master = broken(tmp_path)

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory))

    flat = " ".join(result.out.split())
    assert f"* {master}, line {line_of(master, 'relay2')}: 7 fields" in flat
    assert (
        "Not audited in full: master.cf has entries that Postfix refuses (see the notes "
        "above); they were left out." in flat
    )
    assert result.status == 1


def test_in_chinese(run_cli, tmp_path: Path):
    directory, master = broken(tmp_path)
    args = ("audit", "--read-files", "--postfix-dir", str(directory), "--lang", "zh_CN")

    result = run_cli(*args)

    flat = "".join(result.out.split())
    line = line_of(master, "-o smtpd_tls")
    assert f"{master}第{line}行：这一行是上一条目的续行，但没有以空白开头" in flat
    assert "审计不完整：master.cf中有Postfix拒绝的条目（见上方说明）；这些条目未被审计。" in flat


def test_a_clean_report_is_no_all_clear(run_cli, tmp_path: Path):
    """Nothing found in what was read: the entry left out may hide anything."""
    master_text = HARDENED_MASTER + "relay2    unix  -       -       y       -       smtp\n"
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, master_text)
    args = ("audit", "--read-files", "--postfix-dir", str(directory), "--postfix-version")

    result = run_cli(*args, "3.9.1")

    assert "No problems found" not in result.out
    assert "Not audited in full: master.cf has entries that Postfix refuses" in " ".join(
        result.out.split()
    )
    assert result.status == 1


@pytest.mark.parametrize(
    ("entry", "column", "value"),
    [
        ("x inet Y - y - - smtpd", "private", "Y"),
        ("x INET n - y - - smtpd", "type", "INET"),
        ("x inet n - y 1x - smtpd", "wakeup", "1x"),
        ("x inet n - maybe - - smtpd", "chroot", "maybe"),
    ],
)
def test_every_column_postfix_checks(run_cli, tmp_path: Path, entry: str, column: str, value: str):
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER + entry + "\n")

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--format", "json")

    [note] = notes(json.loads(result.out))
    assert f'"{value}" is no {column} field Postfix can read' in note
    assert f'("invalid {column} field")' in note


@requires_postconf
def test_postconf_refuses_it_and_the_note_names_the_line(run_cli, tmp_path: Path):
    """postconf -M stops at the first entry it refuses: its error is a note, the files
    are parsed, and every refused entry is named with its line."""
    directory, master = broken(tmp_path)

    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json")

    document = json.loads(result.out)
    assert document["postfix_reader"] == "files"
    assert any(n.startswith("postconf could not read the directory") for n in document["notes"])
    assert [n.split(":", 1)[0] for n in notes(document)] == [
        f"{master}, line {line_of(master, 'relay2')}",
        f"{master}, line {line_of(master, '-o smtpd_tls')}",
        f"{master}, line {line_of(master, 'smtp2')}",
    ]
    assert result.status == 1
