"""A dovecot.conf whose braces do not pair: doveconf refuses it ("Missing '}'",
"Unexpected '}'") and Dovecot does not start. With --read-files the report said "No
problems found.", exit 0; now a note names the file and line, and the audit is "Not
audited in full" (exit 1), as for a master.cf `-o {` never closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from audit_helpers import write

READERS = [(), ("--read-files",)]
if shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None:
    READERS = [("--read-files",)]
reader_ids = lambda r: "files" if r else "tools"  # noqa: E731

BASE = """\
protocols = imap
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
"""


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize(
    ("tail", "said"),
    [
        (
            "service imap {\n  inet_listener imap {\n    port = 143\n",
            "line 6: a section opened here is never closed",
        ),
        ("}\nauth_mechanisms = plain\n", "line 5: a } that closes no section"),
    ],
    ids=["unclosed", "stray"],
)
def test_braces_that_do_not_pair_are_not_audited_in_full(
    run_cli, tmp_path: Path, reader: tuple[str, ...], tail: str, said: str
):
    dovecot = write(tmp_path, "dovecot.conf", BASE + tail)

    result = run_cli("audit", "--dovecot-config", str(dovecot), *reader)

    text = " ".join(result.out.split())
    assert result.status == 1, result.out
    assert "Not audited in full" in text
    assert "No problems found" not in text
    if reader:
        assert f"{dovecot}, {said}" in text
    document = json.loads(
        run_cli("audit", "--dovecot-config", str(dovecot), "--format", "json", *reader).out
    )
    assert document["complete"] is False and document["exit_status"] == 1


def test_a_section_closed_in_an_included_file_is_no_problem(run_cli, tmp_path: Path):
    """doveconf reads an include where it stands: a section may end in it."""
    dovecot = write(tmp_path, "dovecot.conf", BASE + "service imap {\n!include end.conf\n")
    write(tmp_path, "end.conf", "}\n")

    result = run_cli("audit", "--read-files", "--dovecot-config", str(dovecot))

    assert result.status == 0, result.out
    assert "No problems found" in " ".join(result.out.split())
