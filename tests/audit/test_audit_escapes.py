"""Configuration text in the text report: terminal escapes in values and paths are
shown escaped, never sent to the terminal; a command is printed only as it must be
pasted, and commented out, with a line saying why, when it would have to carry one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from audit_helpers import DOVECOT_CERTIFICATE, build_postfix

ESC = "\x1b"
OSC_TITLE = "\x1b]0;TITLE\x07"  # sets the terminal's title; BEL ends it


def dovecot(run_cli, path: Path, *extra: str):
    return run_cli("audit", "--dovecot-config", str(path), "--read-files", *extra)


def raw_controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0}


def test_a_value_with_terminal_escapes_is_shown_escaped(run_cli, tmp_path: Path):
    """auth_verbose_passwords = plain<ESC>[2J<ESC>[H: the report cleared the screen."""
    path = tmp_path / "dovecot.conf"
    path.write_text("auth_verbose_passwords = plain\x1b[2J\x1b[H\n")

    out = dovecot(run_cli, path).out

    assert raw_controls(out) == set()
    assert "\n    auth_verbose_passwords = plain\\x1b[2J\\x1b[H" in out  # the evidence
    assert "replace «auth_verbose_passwords = plain\\x1b[2J\\x1b[H»" in " ".join(out.split())
    # The fix replaces the whole line: it carries nothing of the value, and is printed.
    assert f"    sed -i '1s/.*/auth_verbose_passwords = no/' {path}\n" in out


def test_rich_markup_in_a_value_is_printed_as_written(run_cli, tmp_path: Path):
    path = tmp_path / "dovecot.conf"
    path.write_text("auth_verbose_passwords = plain [/bold] [link=http://x.example]y[/link][/]\n")

    out = dovecot(run_cli, path).out

    assert "plain [/bold] [link=http://x.example]y[/link][/]" in out


def test_a_directory_named_with_a_title_escape_is_escaped_and_its_commands_commented_out(
    run_cli, tmp_path: Path
):
    """The commands name the directory: pasted from the terminal they would lose the
    escape (or act on the terminal when printed). They are commented out, escaped, under
    a line that says so; JSON has them exact."""
    directory = build_postfix(tmp_path / f"esc{OSC_TITLE}dir", "soft_bounce = yes\n")
    args = ("audit", "--postfix-dir", str(directory), "--read-files", "--postfix-version", "3.7.11")

    result = run_cli(*args)

    out = result.out
    assert raw_controls(out) == set()
    shown = str(directory).replace(ESC, "\\x1b").replace("\x07", "\\x07")
    prose = " ".join(out.split())
    assert f"Postfix 3.7.11 in {shown} (main.cf and master.cf parsed directly)" in prose
    assert f"    # postconf -c '{shown}' -e 'soft_bounce=no'\n" in out
    assert f"    # postfix -c '{shown}' reload\n" in out
    commands = [line for line in out.splitlines() if line.startswith("    postconf ")]
    assert commands == []
    assert "The commands commented out (#) below are not printed as they must be pasted" in prose

    document = json.loads(run_cli(*args, "--format", "json").out)
    assert f"postconf -c '{directory}' -e 'soft_bounce=no'" in document["commands"]


def test_a_fix_value_kept_from_the_configuration_with_an_escape_is_not_printed_raw(
    run_cli, tmp_path: Path
):
    """The ANONYMOUS fix keeps the other mechanisms as written: the sed line would carry
    the escape. JSON has the exact command, with the escape written \\u001b; a C1
    control (U+009B, an 8-bit CSI) is written \\u009b in JSON too."""
    path = tmp_path / "dovecot.conf"
    path.write_text("auth_mechanisms = plain\x1b[31m\x9b anonymous\n" + DOVECOT_CERTIFICATE)

    out = dovecot(run_cli, path).out

    assert raw_controls(out) == set()
    assert f"    # sed -i '1s/.*/auth_mechanisms = plain\\x1b[31m\\x9b/' {path}\n" in out
    raw = dovecot(run_cli, path, "--format", "json").out
    assert "\\u001b[31m\\u009b" in raw
    assert raw_controls(raw) == set()
    (finding,) = json.loads(raw)["findings"]
    assert finding["fix"]["commands"] == [
        f"sed -i '1s/.*/auth_mechanisms = plain\x1b[31m\x9b/' {path}"
    ]


@pytest.mark.skipif(shutil.which("sed") is None, reason="no sed")
def test_a_tab_that_indents_a_setting_is_written_backslash_t_and_kept(run_cli, tmp_path: Path):
    """A tab-indented line inside a section (common in hand-edited files): the sed line
    writes the tab as \\t, so that it is printable and pasteable, and the edit keeps it."""
    path = tmp_path / "dovecot.conf"
    path.write_text("protocols = imap\nprotocol imap {\n\tauth_mechanisms = plain anonymous\n}\n")

    out = dovecot(run_cli, path).out

    command = f"sed -i '3s/.*/\\tauth_mechanisms = plain/' {path}"
    assert f"    {command}\n" in out
    subprocess.run(command, shell=True, check=True)
    assert path.read_text().splitlines()[2] == "\tauth_mechanisms = plain"


@pytest.mark.skipif(shutil.which("sed") is None, reason="no sed")
def test_a_form_feed_in_a_value_does_not_shift_the_line_the_fix_edits(run_cli, tmp_path: Path):
    """Python's splitlines breaks at a form feed; Dovecot and sed do not. The setting
    after one was placed a line too far down, and its sed line edited nothing."""
    path = tmp_path / "dovecot.conf"
    path.write_text(
        "login_greeting = hi\x0cthere\nauth_verbose_passwords = plain\n" + DOVECOT_CERTIFICATE
    )

    document = json.loads(dovecot(run_cli, path, "--format", "json").out)

    (finding,) = document["findings"]
    assert finding["evidence"][0]["line"] == 2
    (command,) = finding["fix"]["commands"]
    assert command == f"sed -i '2s/.*/auth_verbose_passwords = no/' {path}"
    subprocess.run(command, shell=True, check=True)
    assert path.read_text() == (
        "login_greeting = hi\x0cthere\nauth_verbose_passwords = no\n" + DOVECOT_CERTIFICATE
    )


def test_main_cf_lines_are_counted_as_postfix_counts_them(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", "# a form feed: \x0c, a line separator: \u2028\n")
    with open(directory / "main.cf", "a", encoding="utf-8") as file:
        file.write("soft_bounce = yes\n")
    lines = (directory / "main.cf").read_bytes().split(b"\n")
    args = ("audit", "--postfix-dir", str(directory), "--read-files", "--postfix-version", "3.7.11")

    document = json.loads(run_cli(*args, "--format", "json", "--check", "soft_bounce").out)

    (finding,) = document["findings"]
    assert finding["evidence"][0]["line"] == lines.index(b"soft_bounce = yes") + 1


def test_an_included_file_named_with_an_escape_is_named_escaped_in_the_error(tmp_path: Path):
    """`!include_try *.conf` matched a FIFO named with a terminal escape: the one-line
    error named it raw (click strips escapes only when the output is no terminal)."""
    from mailwarden.audit.dovecot_config import parse_dovecot_files
    from mailwarden.errors import AuditError

    main = tmp_path / "dovecot.conf"
    main.write_text("protocols = imap\n!include_try *.conf\n")
    os.mkfifo(tmp_path / "x\x1b[2Jy.conf")

    with pytest.raises(AuditError) as raised:
        parse_dovecot_files(main)

    assert str(raised.value) == f"{tmp_path}/x\\x1b[2Jy.conf: cannot read: not a regular file"
