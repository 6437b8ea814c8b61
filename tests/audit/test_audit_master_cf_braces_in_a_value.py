"""Postfix keeps `{ ... }` together wherever it stands in a master.cf word (mystrtokq):
`-o smtpd_sasl_auth_enable=${{$mua_mode} == {strict} ? {yes} : {no}}` is one option,
which postconf -P reads whole. The file parser grouped braces only at the start of a
word, cut this option at its first blank, and read AUTH as off on that service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, build_postfix, requires_postconf

pytestmark = requires_postconf

OPTION = "${{$mua_mode} == {strict} ? {yes} : {no}}"
MASTER = f"""
submission inet n - y - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable={OPTION}
  -o smtpd_tls_auth_only=yes
  -o smtpd_tls_mandatory_protocols=>=TLSv1.2
  -o smtpd_tls_mandatory_exclude_ciphers=aNULL
"""


def report(run_cli, directory: Path, *reader: str) -> dict:
    args = ["audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2"]
    return json.loads(run_cli(*args, "--format", "json", *reader).out)


@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["tools", "files"])
def test_an_option_with_braces_inside_its_value_is_read_whole(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN + "mua_mode = strict\n", MASTER)

    document = report(run_cli, directory, *reader)

    assert document["findings"] == []
    assert document["exit_status"] == 0


def test_the_file_parser_and_postconf_agree_on_it(run_cli, tmp_path: Path):
    # mua_mode lax: AUTH is off on submission, which both readers must say
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN + "mua_mode = lax\n", MASTER)

    by_tool = report(run_cli, directory)
    by_files = report(run_cli, directory, "--read-files")

    found = {f["id"]: f for f in by_files["findings"]}
    evidence = found["postfix.submission_auth_disabled"]["evidence"][0]
    assert evidence["value"] == "no"
    assert [f["id"] for f in by_files["findings"]] == [f["id"] for f in by_tool["findings"]]
