"""master_service_disable (main.cf) switches master.cf services off: master(8) skips
them. A disabled submission service serves nobody (the fix switches it back on rather
than turning AUTH off everywhere), and a disabled port 25 offers no AUTH. Items are
`name/type` or a type (`inet`), `!` excludes, the first match decides; Postfix 2.6 to
2.10 wrote `name.type`."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, build_postfix, requires_postconf, settle

SUBMISSION = """
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""
MAIN = HARDENED_MAIN + "smtpd_sasl_auth_enable = yes\n"


def report(run_cli, directory: Path, *extra: str) -> dict:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    return json.loads(result.out)


def ids(document: dict) -> list[str]:
    return [f["id"] for f in document["findings"]]


def apply(document: dict, directory: Path) -> None:
    for command in document["commands"]:
        argv = shlex.split(command)
        if argv[-1] == "reload":
            continue
        assert argv[:3] == ["postconf", "-c", str(directory)], command
        done = subprocess.run(argv, capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, ""), command
    settle(directory)


@requires_postconf
@pytest.mark.parametrize(
    ("disable", "version"),
    [
        ("submission/inet", "3.7.11"),
        ("SUBMISSION/INET", "3.7.11"),
        ("submission.inet", "3.7.11"),  # the old syntax, still read since 2.11
        ("submission.inet", "2.10.1"),
        ("!smtp/inet, inet", "3.7.11"),  # every inet service but smtp
    ],
)
def test_a_disabled_submission_is_switched_back_on(
    run_cli, tmp_path: Path, disable: str, version: str
):
    directory = build_postfix(
        tmp_path / "pf", MAIN + f"master_service_disable = {disable}\n", SUBMISSION
    )

    document = report(run_cli, directory, "--postfix-version", version)

    assert "postfix.submission_missing" in ids(document)
    missing = next(f for f in document["findings"] if f["id"] == "postfix.submission_missing")
    assert missing["title"] == (
        "Submission switched off by master_service_disable: users have no port to log in on"
    )
    commands = document["commands"]
    assert f"postconf -c {directory} -e 'smtpd_sasl_auth_enable=no'" in commands
    assert not any(" -M " in c for c in commands)  # no second submission entry
    enable = next(c for c in commands if "master_service_disable" in c)
    if disable.startswith("!"):
        written = "!submission/inet,!smtp/inet,inet"
        assert enable == f"postconf -c {directory} -e 'master_service_disable={written}'"
    else:
        assert enable == f"postconf -c {directory} -e 'master_service_disable='"

    apply(document, directory)
    after = report(run_cli, directory, "--postfix-version", version)
    # 2.10 has no AUTH rate limit (3.1): reported, with no command, before and after
    unfixable = {"postfix.eol_version", "postfix.no_auth_rate_limit"}
    assert [i for i in ids(after) if i not in unfixable] == []
    assert after["commands"] == []


@requires_postconf
@pytest.mark.parametrize("disable", ["smtp/inet", "inet", "smtp.inet"])
def test_a_disabled_port_25_offers_no_auth(run_cli, tmp_path: Path, disable: str):
    directory = build_postfix(
        tmp_path / "pf", MAIN + f"master_service_disable = {disable}\n", SUBMISSION
    )

    found = ids(report(run_cli, directory, "--postfix-version", "3.7.11"))

    assert "postfix.auth_on_port_25" not in found
    assert "postfix.submission_missing" not in found


@requires_postconf
@pytest.mark.parametrize(
    ("disable", "version", "port25"),
    [
        ("smtp/inet", "3.7.11", False),
        ("!smtp/inet inet", "3.7.11", True),  # the first match decides
        ("smtp/inet", "2.10.1", True),  # before 2.11 `smtp/inet` names no service
        ("smtp.inet", "2.10.1", False),
    ],
)
def test_which_items_disable_port_25(
    run_cli, tmp_path: Path, disable: str, version: str, port25: bool
):
    directory = build_postfix(
        tmp_path / "pf", MAIN + f"master_service_disable = {disable}\n", SUBMISSION
    )
    found = ids(report(run_cli, directory, "--postfix-version", version))

    assert ("postfix.auth_on_port_25" in found) is port25


@requires_postconf
def test_the_zh_text_of_a_disabled_submission(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", MAIN + "master_service_disable = submission/inet\n", SUBMISSION
    )

    result = run_cli("audit", "--postfix-dir", str(directory), "--lang", "zh_CN")

    assert "提交服务被 master_service_disable 关闭：用户没有可登录的端口" in result.out
