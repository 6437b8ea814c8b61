"""Port 25 and mandatory TLS. A public MX must not require TLS (RFC 3207 section 4):
`encrypt` or wrapper mode there refuses the mail of servers without TLS, a medium
finding whose fix makes TLS optional. And where the report makes TLS mandatory on a
submission service, that service's weak suites go to the mandatory exclusions: no
main.cf smtpd_tls_exclude_ciphers, which port 25 reads too."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, requires_postconf, settle

pytestmark = requires_postconf
VERSION = ("--postfix-version", "3.11.1")


def report(run_cli, directory: Path, *extra: str) -> dict:
    args = ("audit", "--postfix-dir", str(directory), "--format", "json", *VERSION, *extra)
    return json.loads(run_cli(*args).out)


def apply(document: dict, directory: Path) -> None:
    for command in document["commands"]:
        argv = shlex.split(command)
        if argv[-1] != "reload":
            done = subprocess.run(argv, capture_output=True, text=True)
            assert (done.returncode, done.stderr) == (0, ""), command
    settle(directory)


@pytest.mark.parametrize(
    ("main", "master", "title", "command"),
    [
        (
            HARDENED_MAIN.replace("level = may", "level = encrypt"),
            "",
            "Port 25 requires TLS: mail from servers without it is refused",
            "-P 'smtp/inet/smtpd_tls_security_level=may'",
        ),
        (
            HARDENED_MAIN,
            "smtp inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n",
            "Port 25 speaks TLS from the first byte: servers that deliver mail cannot connect",
            "-P 'smtp/inet/smtpd_tls_wrappermode=no'",
        ),
    ],
    ids=["encrypt", "wrapper"],
)
def test_tls_required_on_port_25_is_made_optional(
    run_cli, tmp_path: Path, main: str, master: str, title: str, command: str
):
    directory = build_postfix(tmp_path / "pf", main, HARDENED_MASTER)
    if master:  # the stock smtp/inet replaced
        text = (directory / "master.cf").read_text()
        stock = "smtp      inet  n       -       y       -       -       smtpd\n"
        (directory / "master.cf").write_text(text.replace(stock, master))
        settle(directory)

    document = report(run_cli, directory)

    (finding,) = [f for f in document["findings"] if f["id"] == "postfix.port25_tls_required"]
    assert (finding["severity"], finding["title"], finding["subject"]) == (
        "medium",
        title,
        "smtp/inet",
    )
    assert document["commands"] == [
        f"postconf -c {directory} {command}",
        f"postfix -c {directory} reload",
    ]
    zh = run_cli("audit", "--postfix-dir", str(directory), *VERSION, "--lang", "zh_CN").out
    assert "RFC 3207" in zh and ("25 端口强制 TLS" in zh or "25 端口从第一个字节起" in zh)
    apply(document, directory)
    assert report(run_cli, directory)["findings"] == []


EXCLUDED = "aNULL,eNULL,EXPORT,LOW,RC4,MD5,DES,3DES"
OPTIONAL_SUBMISSION = """
submission inet n - y - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""


def test_submission_made_mandatory_gets_the_mandatory_exclusions_only(run_cli, tmp_path: Path):
    main = HARDENED_MAIN.replace("smtpd_tls_exclude_ciphers", "# ")
    directory = build_postfix(tmp_path / "pf", main, OPTIONAL_SUBMISSION)
    library = ("--openssl-version", "1.0.2k")  # RC4 in the MEDIUM grade

    document = report(run_cli, directory, *library)

    prefix = f"postconf -c {directory}"
    assert document["commands"] == [
        f"{prefix} -e 'smtpd_tls_mandatory_exclude_ciphers={EXCLUDED}'",
        f"{prefix} -P 'submission/inet/smtpd_tls_security_level=encrypt'",
        f"{prefix} -P 'submission/inet/smtpd_tls_auth_only=yes'",
        f"postfix -c {directory} reload",
    ]
    apply(document, directory)
    assert report(run_cli, directory, *library)["findings"] == []
