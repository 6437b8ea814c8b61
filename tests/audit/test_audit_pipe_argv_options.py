"""Postfix reads its own options (`-o name=value`, `-v`, ...) only up to the first word
that is no option (getopt "+"): in SpamAssassin's standard pipe entry the `-oi` belongs
to sendmail, inside argv=. The audit read it as `-o i`, noted that spamassassin/unix
does not run and called the audit incomplete (exit 1) on a common, working server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import Result, build_postfix, requires_postconf

pytestmark = requires_postconf

READERS = [[], ["--read-files"]]

SPAMASSASSIN = """
spamassassin unix - n n - - pipe
  user=debian-spamd argv=/usr/bin/spamc -f -e /usr/sbin/sendmail -oi -f ${sender} ${recipient}
"""

ENDS_IN_O = """
filter unix - n n - - pipe
  flags=Rq user=filter argv=/usr/local/bin/filter -o
"""


def audit(run_cli, directory: Path, *extra: str) -> Result:
    return run_cli("audit", "--postfix-dir", str(directory), "--postfix-version", "3.10.2", *extra)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("entry", [SPAMASSASSIN, ENDS_IN_O], ids=["spamassassin", "ends-in-o"])
def test_options_of_the_piped_program_are_not_postfix_options(
    run_cli, tmp_path: Path, reader: list[str], entry: str
):
    stock = audit(run_cli, build_postfix(tmp_path / "stock"), "--format", "json", *reader)
    directory = build_postfix(tmp_path / "pf", "", entry)

    result = audit(run_cli, directory, "--format", "json", *reader)

    report = json.loads(result.out)
    assert result.status == stock.status
    assert report["complete"] is True
    assert not [n for n in report["notes"] if "-o" in n and "does not run" in n]


@pytest.mark.parametrize("reader", READERS)
def test_in_chinese_no_note_either(run_cli, tmp_path: Path, reader: list[str]):
    directory = build_postfix(tmp_path / "pf", "", SPAMASSASSIN)

    result = audit(run_cli, directory, "--lang", "zh_CN", *reader)

    assert "spamassassin/unix" not in result.out
    assert "-o i" not in result.out


@pytest.mark.parametrize("reader", READERS)
def test_a_bad_o_before_the_first_plain_word_is_still_noted(
    run_cli, tmp_path: Path, reader: list[str]
):
    master = """
spamassassin unix - n n - - pipe
  -o syslog_name user=debian-spamd argv=/usr/bin/spamc -oi
"""
    directory = build_postfix(tmp_path / "pf", "", master)

    result = audit(run_cli, directory, "--format", "json", *reader)

    assert result.status == 1
    said = [n for n in json.loads(result.out)["notes"] if "does not run" in n]
    assert len(said) == 1
    assert '"-o syslog_name"' in said[0]
