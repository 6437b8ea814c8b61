"""Dovecot takes a value in single quotes as in double quotes (`ssl = 'no'` is `ssl = no`
to doveconf), a backslash in quotes keeping the next character, and a `#` in either
quotes is no comment. With --read-files only double quotes were understood: `ssl = 'no'`
was the value `'no'`, and the report said "No problems found"."""

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
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
"""


def evidence(run_cli, path: Path, *reader: str) -> dict[str, dict[str, str]]:
    result = run_cli("audit", "--dovecot-config", str(path), "--format", "json", *reader)
    findings = json.loads(result.out)["findings"]
    return {f["id"]: {e["parameter"]: e["value"] for e in f["evidence"]} for f in findings}


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize("written", ["'no'", "'no' # it's off", "'n\\o'", "\"no\" # 'x'"])
def test_ssl_no_in_quotes_is_found(run_cli, tmp_path: Path, reader: tuple[str, ...], written):
    path = write(tmp_path, "dovecot.conf", BASE + f"ssl = {written}\n")

    found = evidence(run_cli, path, *reader)

    assert found["dovecot.ssl_disabled"] == {"ssl": "no"}


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_hash_in_single_quotes_is_no_comment(run_cli, tmp_path: Path, reader: tuple[str, ...]):
    """The value is read to its closing quote: the comment after it goes, the `#`
    inside stays, and the value is judged as doveconf shows it."""
    text = BASE + "ssl = required\nauth_verbose_passwords = 'pl\\ain' # 'sha1' # x\n"
    path = write(tmp_path, "dovecot.conf", text)

    found = evidence(run_cli, path, *reader)

    assert found["dovecot.auth_verbose_passwords"] == {"auth_verbose_passwords": "plain"}


def test_the_file_parser_reads_quoted_values_as_doveconf_does(run_cli, tmp_path: Path):
    if len(READERS) == 1:
        pytest.skip("doveconf is not installed")
    text = BASE + "ssl = 'yes' # 'no'\ndisable_plaintext_auth = 'n\\o' # it's off\n"
    path = write(tmp_path, "dovecot.conf", text)

    assert evidence(run_cli, path, "--read-files") == evidence(run_cli, path)


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_lone_backslash_before_the_closing_quote_is_dropped(
    run_cli, tmp_path: Path, reader: tuple[str, ...], quote: str
):
    """doveconf reads `"yes\\"` as `yes` (str_unescape drops a backslash with nothing
    after it); the file parser kept `yes\\`, which is not yes: a high finding."""
    text = BASE + f"ssl = no\ndisable_plaintext_auth = {quote}yes\\{quote}\n"
    path = write(tmp_path, "dovecot.conf", text)

    found = evidence(run_cli, path, *reader)

    # no TLS, but passwords are refused in cleartext: only the missing TLS is reported
    assert "dovecot.cleartext_auth" not in found
    assert found["dovecot.ssl_disabled"] == {"ssl": "no"}


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # doveconf: "Ambiguous '#' character in line, treating it as comment"
        ("ssl = no#until the certificate comes\n", {"dovecot.ssl_disabled": {"ssl": "no"}}),
        ("ssl = required\nauth_verbose_passwords = no#sha1\n", {}),
        # the comment goes before the `\` that would continue the line is looked for
        (
            "ssl = required\nlogin_greeting = Hello # no \\\nssl = no\n",
            {"dovecot.ssl_disabled": {"ssl": "no"}},
        ),
    ],
    ids=["ssl-no", "verbose-no", "backslash-in-comment"],
)
def test_a_hash_inside_a_word_starts_a_comment(
    run_cli, tmp_path: Path, reader: tuple[str, ...], written: str, expected: dict
):
    """Dovecot's parser (config_parse_line, 2.3 and 2.4) ends a line at the first `#`
    outside quotes, also inside a word. The file parser took `x#y` whole: `ssl = no#...`
    was not `no` (TLS off went unreported), and `no#sha1` was a value Dovecot refuses
    (a false high)."""
    path = write(tmp_path, "dovecot.conf", BASE + written)

    found = evidence(run_cli, path, *reader)

    assert found == expected


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_comment_line_ends_a_continued_line(run_cli, tmp_path: Path, reader: tuple[str, ...]):
    """doveconf 2.3.19 drops a line continued with `\\` when a blank or comment line
    follows it (the next line stands alone); the file parser joined the comment to it,
    and the setting after the comment was lost inside it."""
    text = BASE + "login_greeting = Hello \\\n# the rest later \\\nssl = no\n"
    path = write(tmp_path, "dovecot.conf", text)

    found = evidence(run_cli, path, *reader)

    assert found == {"dovecot.ssl_disabled": {"ssl": "no"}}
