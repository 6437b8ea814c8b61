"""A master.cf whose every entry Postfix refuses was "not a master.cf", which hid the
reason: the error names each refused entry with its line and Postfix's message. A `-o {`
never closed in the arguments is read as postconf reads it (with a warning): `-o {
smtpd_sasl_auth_enable = yes` is `-o smtpd_sasl_auth_enable=yes`, AUTH on port 25."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, requires_postconf, settle, write

READERS = [(), ("--read-files",)]


def postfix_dir(tmp_path: Path, master: str) -> Path:
    directory = tmp_path / "pf"
    write(directory, "main.cf", HARDENED_MAIN)
    write(directory, "master.cf", master)
    settle(directory)
    return directory


@pytest.mark.parametrize("reader", READERS, ids=["postconf", "files"])
def test_every_entry_refused_names_the_reasons(run_cli, tmp_path: Path, reader: tuple):
    directory = postfix_dir(
        tmp_path, "# one column left out\nsmtp inet n - y - smtpd\nsmtp unx - - y - - smtp\n"
    )

    result = run_cli("audit", "--postfix-dir", str(directory), *reader)

    assert result.status == 1 and result.out == ""
    master = directory / "master.cf"
    assert result.err == (
        f"mailwarden: error: {master}: cannot read: Postfix refuses every entry:\n"
        f"  {master}:2: bad field count\n"
        f"  {master}:3: invalid type field\n"
    )


def test_every_entry_refused_in_chinese(run_cli, tmp_path: Path):
    directory = postfix_dir(tmp_path, "smtp inet n - y - smtpd\n")

    result = run_cli("audit", "--postfix-dir", str(directory), "--read-files", "--lang", "zh_CN")

    master = directory / "master.cf"
    assert f"{master}: 无法读取：Postfix 拒绝其中的每一个条目：\n  {master}:1: bad field count" in (
        result.err
    )


def test_many_refused_entries_are_cut_short(run_cli, tmp_path: Path):
    directory = postfix_dir(tmp_path, "".join(f"line{n} of prose\n" for n in range(8)))

    result = run_cli("audit", "--postfix-dir", str(directory), "--read-files")

    assert result.err.endswith(f"  {directory / 'master.cf'}:5: bad field count\n  (and 3 more)\n")


UNCLOSED = "smtp inet n - y - - smtpd\n  -o { smtpd_sasl_auth_enable = yes\n"


@requires_postconf
@pytest.mark.parametrize("reader", READERS, ids=["postconf", "files"])
def test_an_unclosed_brace_option_is_read_as_postconf_reads_it(
    run_cli, tmp_path: Path, reader: tuple
):
    directory = postfix_dir(tmp_path, UNCLOSED)
    args = ("audit", "--postfix-dir", str(directory), "--postfix-version", "3.7.11")

    document = json.loads(run_cli(*args, "--format", "json", *reader).out)

    port25 = [f for f in document["findings"] if f["id"] == "postfix.auth_on_port_25"]
    assert [f["subject"] for f in port25] == ["smtp/inet"]
    assert port25[0]["severity"] == "high"
    if reader:
        text = " ".join(run_cli(*args, *reader).out.split())
        assert "line 2: a { that is never closed" in text and "reads the rest of the entry" in text

    for command in document["commands"]:
        argv = shlex.split(command)
        if argv[-1] != "reload":
            subprocess.run(argv, check=True, capture_output=True)
    settle(directory)
    after = json.loads(run_cli(*args, "--format", "json", *reader).out)
    assert [f["id"] for f in after["findings"] if f["id"] != "postfix.eol_version"] == []
