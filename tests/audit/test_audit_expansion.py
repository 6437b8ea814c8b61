"""`${...}` references as Postfix 3.x parses them, with postconf as the oracle: blanks
around `?`, `:` and the `{...}` operands, the comparison `${{$a} == {5} ? {x} : {y}}`,
and the forms postconf refuses ("macro processing error")."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from audit_helpers import build_postfix, requires_postconf

from mailwarden.audit.postfix_reader import read_postfix

DEFINED = "a = 5\nb = 10\ns = abc\ne =\nneg = -5\nx1 = $a\n"

ACCEPTED = [
    # blanks around the name, `?`, `:` and the braces
    "${a ? {yes}}",
    "${a ?yes}",
    "${a? yes}",
    "${a ? {yes} : {no}}",
    "${e ? {yes} : {no}}",
    "${e : {x}}",
    "${e :x}",
    "${e?{y}: n}",
    "${a?{ yes }}",
    "${ a }",
    "${ }",
    "${a ? }",
    "$(a ? {x})",
    "${e?{yes} : x y}",
    "${a?yes:no}",
    "${a?{x{y}z}}",
    "${a?(}x)}",
    # comparisons: numbers when both are all digits, else text
    "${{$a} == {5} ? {encrypt} : {may}}",
    "${{$a}=={5}?{encrypt}:{may}}",
    "${ {$a}  ==  {5}  ?  {t}  :  {f}  }",
    "${{$a} != {5} ? {t} : {f}}",
    "${{$a} == {05} ? {t} : {f}}",
    "${{ $a } == {5} ? {t} : {f}}",
    "${{$b} < {9} ? {t} : {f}}",
    "${{10} < {9 } ? {t} : {f}}",
    "${{$s} < {9} ? {t} : {f}}",
    "${{$s} == {abc} ? {t} : {f}}",
    "${{$a} <= {5} ? {t}}",
    "${{$a} >= {6} ? {t} : {f}}",
    "${{$a} > {4} ? {t} : {f}}",
    "${{$neg} < {-3} ? {t} : {f}}",
    "${{} == {0} ? {t} : {f}}",
    "${{$e} < {1} ? {t} : {f}}",
    "${{$a} == {5}}",
    "${{$a} == {6}}",
    "${{$e} == {5} : {f}}",
    "${{$a} == {5} : {f}}",
    "${{9223372036854775807} > {1}}",
    # nested
    "${{$x1} == {5} ? {$b} : {$s}}",
    "${{${a?{7}}} == {7} ? {t} : {f}}",
    "${{$a}=={5}?{${{$b}<{9}?{u}:{v}}}}",
]

REFUSED = [
    "${a==5?{1}:{0}}",  # the form the audit used to evaluate
    "${a == 5 ? {1} : {0}}",
    "${{$a} = {5} ? {t} : {f}}",
    "${{$a} === {5}}",
    "${{$a} == 5 ? {t} : {f}}",
    "${{$a}==5}",
    "${{$a} ? {t}}",
    "${{$a}}",
    "${{$a}=={5} x}",
    "${a?{yes}x}",
    "${a?{x}{y}}",
    "${e?{x} :{y} z}",
    "${e:{x}:{y}}",
    "${a b}",
    "${}",
    "cost $",
    "${a",
    "$(a?{)x})",
    "${{9223372036854775808} > {1}}",
]


def banner_directory(root: Path, number: int, value: str) -> Path:
    """main.cf with `value` between brackets, so that blanks inside it show."""
    return build_postfix(root / f"pf{number}", DEFINED + f"smtpd_banner = [{value}]\n")


@pytest.fixture(scope="module")
def postconf_says(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """postconf -xh smtpd_banner for every value of the table: its exit status and
    what it prints. Run all at once: postconf waits a second before a fatal exit."""
    root = tmp_path_factory.mktemp("postconf")
    values = ACCEPTED + REFUSED
    runs = [
        subprocess.Popen(
            ["postconf", "-c", str(banner_directory(root, n, v)), "-xh", "smtpd_banner"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for n, v in enumerate(values)
    ]
    said = {}
    for value, run in zip(values, runs, strict=True):
        out = run.communicate()[0]
        said[value] = (run.returncode, out.strip())
    return said


@requires_postconf
@pytest.mark.parametrize("value", ACCEPTED + REFUSED)
def test_the_audit_expands_a_value_as_postconf_does(postconf_says, tmp_path: Path, value: str):
    """The text (postconf -xh prints runs of blanks as one), or a note where postconf
    refuses the value."""
    status, shown = postconf_says[value]

    config = read_postfix(banner_directory(tmp_path, 0, value), use_tools=False)
    text = config.value("smtpd_banner")

    assert (status == 0) == (value in ACCEPTED)  # the table is right about postconf
    if status == 0:
        assert " ".join(text.split()) == shown
        assert config.expansion_problems == {}
    else:
        assert config.expansion_problems == {"smtpd_banner": "syntax"}


AUTH_ON_25 = """
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_sasl_auth_enable = yes
"""


def cleartext_findings(run_cli, directory: Path, *reader: str) -> list[str]:
    args = ["--postfix-dir", str(directory), "--format", "json", "--check", "cleartext_auth"]
    result = run_cli("audit", *args, *reader)
    return [finding["id"] for finding in json.loads(result.out)["findings"]]


@pytest.mark.parametrize("reader", [(), ("--read-files",)])
def test_auth_only_written_with_blanks_is_on(run_cli, tmp_path: Path, reader: tuple[str, ...]):
    """`smtpd_tls_auth_only = ${a ? {yes}}` is yes (postconf -xh); the audit read it as
    empty and reported AUTH before STARTTLS on port 25."""
    main = AUTH_ON_25 + "a = 5\nsmtpd_tls_security_level = may\n"
    main += "smtpd_tls_auth_only = ${a ? {yes}}\n"
    directory = build_postfix(tmp_path / "pf", main)

    assert cleartext_findings(run_cli, directory, *reader) == []


@pytest.mark.parametrize(("a", "found"), [("5", []), ("6", ["postfix.auth_on_port_25"])])
def test_a_tls_level_chosen_by_a_comparison(run_cli, tmp_path: Path, a: str, found: list[str]):
    """`${{$a} == {5} ? {encrypt} : {may}}`: TLS required when `a` is 5, so no AUTH
    before STARTTLS; optional otherwise. The audit read it as empty (optional)."""
    level = "${{$a} == {5} ? {encrypt} : {may}}"
    main = AUTH_ON_25 + f"a = {a}\nsmtpd_tls_security_level = {level}\nsmtpd_tls_auth_only = no\n"
    directory = build_postfix(tmp_path / "pf", main)

    assert cleartext_findings(run_cli, directory, "--read-files") == found


TLS_ON = """
smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
a = 5
"""
SYNTAX_NOTE = (
    "smtpd_tls_loglevel: its value has a parameter reference Postfix cannot parse; "
    'Postfix refuses such a value ("macro processing error"; postconf -x shows where), '
    "so it was checked unexpanded."
)


def test_a_comparison_postfix_refuses_is_named_in_a_note_not_evaluated(run_cli, tmp_path: Path):
    """`${a==5?{4}:{0}}` is no Postfix syntax (postconf: "attribute name syntax error");
    the audit took it for log level 4."""
    directory = build_postfix(tmp_path / "pf", TLS_ON + "smtpd_tls_loglevel = ${a==5?{4}:{0}}\n")

    args = ["audit", "--read-files", "--postfix-dir", str(directory)]

    document = json.loads(run_cli(*args, "--format", "json").out)
    out = " ".join(run_cli(*args).out.split())

    assert SYNTAX_NOTE in document["notes"]
    assert document["findings"] == []  # Postfix runs with no such value
    assert "No problems found in what was audited (see the notes above)." in out


def test_the_syntax_note_in_chinese(run_cli, tmp_path: Path):
    directory = build_postfix(tmp_path / "pf", TLS_ON + "smtpd_tls_loglevel = ${a==5?{4}:{0}}\n")

    result = run_cli("audit", "--read-files", "--postfix-dir", str(directory), "--lang", "zh_CN")

    out = "".join(result.out.split())
    assert "smtpd_tls_loglevel：其值中有Postfix无法解析的参数引用" in out
