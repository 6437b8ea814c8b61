"""Parts of the configuration the audit could not read, or that Dovecot skips: the
report says what was skipped, keeps whatever else it read, and says "Not audited in
full" (exit status 1 unless a finding is high) where something was left out, never
"No problems found"."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, requires_postconf, write

DOVECOT = """\
protocols = imap
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
!include_try local.conf
"""

READERS = [(), ("--read-files",)]
if shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None:
    READERS = [("--read-files",)]
reader_ids = lambda r: "files" if r else "tools"  # noqa: E731


def flat(text: str) -> str:
    """The report with its wrapping undone: where it wraps depends on the temporary
    paths it names."""
    return " ".join(text.split())


def dangling(directory: Path) -> None:
    os.symlink(directory / "nowhere.conf", directory / "local.conf")


def directory(directory: Path) -> None:
    (directory / "local.conf").mkdir()


@requires_postconf
@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize("make", [dangling, directory], ids=["dangling-link", "directory"])
def test_an_include_try_dovecot_skips_is_skipped_and_postfix_is_still_audited(
    run_cli, tmp_path: Path, make, reader: tuple[str, ...]
):
    """doveconf accepts `!include_try` of a dangling symbolic link or of a directory
    (exit 0): the audit stopped at "cannot read", exit 1, the Postfix report lost."""
    postfix = build_postfix(tmp_path / "pf", HARDENED_MAIN, HARDENED_MASTER)
    dovecot = write(tmp_path / "dc", "dovecot.conf", DOVECOT)
    make(dovecot.parent)
    args = ("audit", "--postfix-dir", str(postfix), "--dovecot-config", str(dovecot), *reader)

    result = run_cli(*args, "--postfix-version", "3.10.2")

    assert result.err == ""
    assert result.status == 0, result.out
    assert "Postfix 3.10.2 in" in flat(result.out) and "Dovecot" in flat(result.out)
    assert "local.conf" in result.out  # the note: skipped, as Dovecot skips it
    assert "No problems found" in flat(result.out)


@requires_postconf
@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_dovecot_configuration_that_cannot_be_read_keeps_the_postfix_report(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    postfix = build_postfix(tmp_path / "pf", HARDENED_MAIN + "soft_bounce = yes\n", HARDENED_MASTER)
    dovecot = write(tmp_path / "dc", "dovecot.conf", "")
    dovecot.write_bytes(os.urandom(3000).replace(b"\n", b"\0"))
    args = ("audit", "--postfix-dir", str(postfix), "--dovecot-config", str(dovecot), *reader)

    result = run_cli(*args, "--postfix-version", "3.10.2")
    document = json.loads(run_cli(*args, "--postfix-version", "3.10.2", "--format", "json").out)

    assert result.status == 1 and result.err == ""
    assert "postfix.soft_bounce" in result.out
    assert "The Dovecot configuration could not be read" in flat(result.out)
    assert "binary data" in flat(result.out)
    assert "Not audited in full" in flat(result.out)
    assert [f["id"] for f in document["findings"]] == ["postfix.soft_bounce"]
    assert document["complete"] is False and document["exit_status"] == 1


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_dovecot_configuration_alone_that_cannot_be_read_is_still_one_error_line(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    dovecot = write(tmp_path, "dovecot.conf", "")
    dovecot.write_bytes(os.urandom(3000).replace(b"\n", b"\0"))

    result = run_cli("audit", "--dovecot-config", str(dovecot), *reader)

    assert result.status == 1 and result.out == ""
    assert result.err.startswith("mailwarden: error: ") and "binary data" in result.err


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_recursive_include_is_not_audited_in_full_with_either_reader(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    """doveconf refuses a file that includes itself ("Recursive include file"); with
    --read-files the report said "No problems found.", exit 0."""
    dovecot = write(tmp_path, "dovecot.conf", DOVECOT)
    write(tmp_path, "local.conf", "!include dovecot.conf\n")

    result = run_cli("audit", "--dovecot-config", str(dovecot), *reader)

    text = " ".join(result.out.split())  # wrapped where the temporary path's length says
    assert result.status == 1
    assert "recursive include of" in text
    assert "Not audited in full" in text
    assert "No problems found" not in text
    document = json.loads(
        run_cli("audit", "--dovecot-config", str(dovecot), "--format", "json", *reader).out
    )
    assert document["complete"] is False and document["exit_status"] == 1


UNCLOSED = HARDENED_MASTER.replace(
    "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject\nsubmissions",
    "  -o { smtpd_recipient_restrictions = permit_sasl_authenticated, reject\nsubmissions",
)


def test_an_unclosed_brace_in_master_cf_is_named_and_not_audited_in_full(run_cli, tmp_path: Path):
    """`-o {` without its `}`: --read-files dropped the option silently and said
    nothing; README: a note names the entry with its line, and "Not audited in full"."""
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, UNCLOSED)
    args = ("audit", "--read-files", "--postfix-dir", str(directory))

    result = run_cli(*args, "--postfix-version", "3.10.2")
    document = json.loads(run_cli(*args, "--postfix-version", "3.10.2", "--format", "json").out)

    assert result.status == 1
    line = (
        (directory / "master.cf")
        .read_text()
        .splitlines()
        .index("  -o { smtpd_recipient_restrictions = permit_sasl_authenticated, reject")
    )
    assert f"master.cf, line {line + 1}: a {{ that is never closed" in " ".join(result.out.split())
    assert "Not audited in full" in flat(result.out) and "No problems found" not in flat(result.out)
    assert document["complete"] is False and document["exit_status"] == 1


def test_a_brace_closed_on_a_continuation_line_is_read_whole(run_cli, tmp_path: Path):
    closed = HARDENED_MASTER.replace(
        "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject\nsubmissions",
        "  -o { smtpd_recipient_restrictions = permit_sasl_authenticated,\n"
        "       reject }\nsubmissions",
    )
    directory = build_postfix(tmp_path / "pf", HARDENED_MAIN, closed)

    result = run_cli(
        "audit", "--read-files", "--postfix-dir", str(directory), "--postfix-version", "3.10.2"
    )

    assert result.status == 0 and "No problems found." in flat(result.out)
