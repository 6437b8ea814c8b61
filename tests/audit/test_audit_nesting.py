"""`$name` references as deep as Postfix follows them (100 levels), and what the audit
says when Postfix would refuse a value (deeper, or a loop) or the audit stops early."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from audit_helpers import build_postfix, requires_postconf

from mailwarden.audit.expand import expand

TLS_LOG = "postfix.tls_loglevel_credentials"
TLS_ON = """
smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
"""
NESTING_NOTE = (
    "smtpd_tls_loglevel: its value refers to other parameters more than 100 levels deep, "
    'or to itself; Postfix refuses such a value ("unreasonable macro call nesting"), so '
    "it was checked unexpanded."
)


def chain(names: int) -> str:
    """`v0 = 4`, `v1 = $v0`, ..., and smtpd_tls_loglevel at the end of a chain of
    `names` references (smtpd_tls_loglevel = $v{names-1})."""
    lines = ["v0 = 4"] + [f"v{i} = $v{i - 1}" for i in range(1, names)]
    return TLS_ON + "\n".join(lines) + f"\nsmtpd_tls_loglevel = $v{names - 1}\n"


def audit_json(run_cli, directory: Path, *reader: str) -> dict:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *reader)
    assert result.err == ""
    return json.loads(result.out)


@pytest.mark.parametrize("names", [22, 60, 100])
def test_a_value_reached_through_up_to_100_references_is_checked(
    run_cli, tmp_path: Path, names: int
):
    """Postfix follows 100 nested references (postconf -xh prints 4); the audit
    stopped at 20 and found nothing."""
    directory = build_postfix(tmp_path / "pf", chain(names))

    document = audit_json(run_cli, directory, "--read-files")

    assert TLS_LOG in [f["id"] for f in document["findings"]]
    assert not [n for n in document["notes"] if "smtpd_tls_loglevel" in n]


def test_a_value_101_references_deep_is_named_in_a_note_not_passed_over(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", chain(101))

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory))

    out = " ".join(result.out.split())
    assert NESTING_NOTE in out
    assert "No problems found in what was audited (see the notes above)." in out
    assert TLS_LOG not in out  # Postfix runs with no such value


def test_a_parameter_that_refers_to_itself_is_named_in_a_note(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", TLS_ON + "loop = $loop\nsmtpd_tls_loglevel = $loop\n"
    )

    document = audit_json(run_cli, directory, "--read-files")

    assert NESTING_NOTE in document["notes"]


def test_the_nesting_note_in_chinese(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", chain(101))

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--lang", "zh_CN")

    out = "".join(result.out.split())
    assert "smtpd_tls_loglevel：其值对其他参数的引用嵌套超过100层" in out


def test_a_doubling_expansion_the_audit_stops_is_named_in_a_note(run_cli, tmp_path: Path):
    """Twenty names that each name the next twice: Postfix expands 2^20 references;
    the audit stops after 1000 look-ups, and says so."""
    lines = [f"p{i} = $p{i + 1} $p{i + 1}" for i in range(20)]
    main = TLS_ON + "\n".join(lines) + "\np20 = 4\nsmtpd_tls_loglevel = $p0\n"
    directory = build_postfix(tmp_path / "pf", main)

    document = audit_json(run_cli, directory, "--read-files")

    assert document["notes"][-1] == (
        "smtpd_tls_loglevel: its value expands to more than the audit follows (1000 "
        "parameter references or a million characters); the rest was checked "
        "unexpanded, and a problem in it may have been missed."
    )


def test_a_conditional_tests_the_value_as_written():
    """`${name?text}` asks whether name's value, unexpanded, is empty (postconf -x:
    `e = $unknown` makes `${e?yes}` yes); a parameter tested inside its own value is
    no loop."""
    assert expand("${e?yes}${e:no}", {"e": "$unknown"}.get) == "yes"
    assert expand("$x", {"x": "${x?self}"}.get) == "self"


def postconf_value(directory: Path, parameter: str) -> tuple[int, str]:
    done = subprocess.run(
        ["postconf", "-c", str(directory), "-xh", parameter],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout.strip()


@requires_postconf
@pytest.mark.parametrize("names", [100, 101])
def test_the_limit_is_postconfs(run_cli, tmp_path: Path, names: int):
    """postconf -xh prints 4 through 100 references and fails at 101; the audit, with
    postconf or without, checks the first and notes the second."""
    directory = build_postfix(tmp_path / "pf", chain(names))
    status, value = postconf_value(directory, "smtpd_tls_loglevel")

    by_files = audit_json(run_cli, directory, "--read-files")

    if names == 100:
        assert (status, value) == (0, "4")
        assert TLS_LOG in [f["id"] for f in by_files["findings"]]
    else:
        assert status != 0
        assert NESTING_NOTE in by_files["notes"]
        assert by_files["findings"] == []
