"""Reading main.cf and master.cf without postconf, and `$parameter` expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.audit.expand import expand
from mailwarden.audit.postfix_files import parse_main_cf, parse_master_cf
from mailwarden.audit.postfix_reader import read_postfix
from mailwarden.errors import AuditError

MAIN_CF = """\
# a comment
smtpd_sasl_auth_enable = yes
   # an indented comment is a comment, not a continuation
smtpd_recipient_restrictions = permit_mynetworks,
    permit_sasl_authenticated,

    reject_unauth_destination
tls_export_cipherlist = ALL:+RC4:@STRENGTH # no trailing comments in main.cf
smtpd_tls_loglevel = 1
smtpd_tls_loglevel = $debug_level
debug_level = 4
"""

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd -v
  -o smtpd_sasl_auth_enable=yes
#  -o commented=out
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/$service_name
  -o { smtpd_tls_exclude_ciphers = aNULL, RC4 }
  -o smtpd_tls_security_level=encrypt
127.0.0.1:smtps inet n  -       y       -       -       smtpd -o smtpd_tls_wrappermode=yes
"""


def test_main_cf_comments_continuations_and_last_definition():
    values, lines = parse_main_cf(MAIN_CF)

    assert values["smtpd_sasl_auth_enable"] == "yes"
    assert values["smtpd_recipient_restrictions"] == (
        "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
    )
    assert values["tls_export_cipherlist"] == (
        "ALL:+RC4:@STRENGTH # no trailing comments in main.cf"
    )
    assert values["smtpd_tls_loglevel"] == "$debug_level"
    assert lines["smtpd_tls_loglevel"] == 10
    assert lines["smtpd_recipient_restrictions"] == 4


def test_master_cf_overrides_braces_flags_and_lines():
    services = {s.key: s for s in parse_master_cf(MASTER_CF)}

    smtp = services["smtp/inet"]
    assert smtp.args == ("-v",)
    assert smtp.overrides == {"smtpd_sasl_auth_enable": "yes"}
    assert smtp.override_lines == {"smtpd_sasl_auth_enable": 3}
    assert "commented" not in smtp.overrides
    submission = services["submission/inet"]
    assert submission.overrides["smtpd_tls_exclude_ciphers"] == "aNULL, RC4"
    assert submission.port == 587 and submission.line == 5
    smtps = services["127.0.0.1:smtps/inet"]
    assert smtps.port == 465 and smtps.loopback
    assert smtps.overrides == {"smtpd_tls_wrappermode": "yes"}


def test_the_file_reader_expands_references_per_service(tmp_path: Path):
    (tmp_path / "main.cf").write_text(MAIN_CF)
    (tmp_path / "master.cf").write_text(MASTER_CF)

    config = read_postfix(tmp_path, use_tools=False)

    assert config.reader == "files"
    assert config.value("smtpd_tls_loglevel") == "4"
    submission = config.service("submission/inet")
    assert config.value("syslog_name", submission) == "postfix/submission"
    evidence = config.evidence("smtpd_sasl_auth_enable", config.service("smtp/inet"))
    assert (evidence.file, evidence.line, evidence.service) == (
        str(tmp_path / "master.cf"),
        3,
        "smtp/inet",
    )
    assert config.notes[0].key == "version_unknown_files"  # read as asked: postconf unused


def test_an_unreadable_directory_is_an_audit_error(tmp_path: Path):
    with pytest.raises(AuditError, match="not a readable directory"):
        read_postfix(tmp_path / "missing")
    (tmp_path / "main.cf").write_text("")
    with pytest.raises(AuditError, match=r"master\.cf: cannot read"):
        read_postfix(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$a", "one"),
        ("${a}-$(b)", "one-two"),
        ("$a$empty.x", "one.x"),
        ("${a?yes}${a:no}", "yes"),
        ("${empty?yes}${empty:no}", "no"),
        ("${stress?{1}:{20}}", "20"),
        ("${{$a}=={one}?{same}:{other}}", "same"),
        ("${{$n} < {10} ? {small} : {big}}", "small"),
        ("${a ? {yes} : {no}}", "yes"),
        ("$$a", "$a"),
        ("$nested", "one and two"),
        ("$loop", "$loop"),
        ("cost $", "cost $"),
    ],
)
def test_expansion(text: str, expected: str):
    table = {
        "a": "one",
        "b": "two",
        "empty": "",
        "n": "3",
        "nested": "$a and ${b}",
        "loop": "$loop",
    }
    result = expand(text, table.get)
    if text == "$loop":
        assert "loop" in result  # stops, never hangs
    else:
        assert result == expected


def test_a_parameter_that_refers_to_itself_is_expanded_once_not_a_million_times():
    """`x = $x $x` (Postfix: "unreasonable macro call nesting") doubled at every level
    up to the depth limit: two million references for one value, 30 s for an audit.
    Where a name recurs it is left as it is written."""
    assert expand("$x", {"x": "$x $x"}.get) == "${x} ${x}"
    assert expand("$a", {"a": "[$b]", "b": "$a"}.get) == "[${a}]"


def test_an_expansion_that_doubles_at_every_level_is_bounded():
    """No loop, but twenty names that each name the next twice: 2^20 references.
    The expansion stops after a bounded number of look-ups, and its text stays small."""
    table = {f"p{i}": f"$p{i + 1} $p{i + 1}" for i in range(20)}
    table["p20"] = "end"

    result = expand("$p0", table.get)

    assert "end" in result
    assert len(result) < 100_000
