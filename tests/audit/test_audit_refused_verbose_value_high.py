"""An auth_verbose_passwords value that Dovecot refuses (`sha1:0`, `SHA1:6`, `sha1:x`)
stops Dovecot as a setting under the other version's name does: doveconf refuses the
whole configuration, so Dovecot does not start and a running one cannot reload. Both
were reported, with the one a medium finding (exit 0) and the other a high one (exit
3); both are high now, and the report says that a reload fails too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audit_helpers import DOVECOT_CERTIFICATE, audit, requires_doveconf, write

ID = "dovecot.auth_verbose_passwords"
OTHER_VERSION = "protocols = imap\nauth_allow_cleartext = no\nssl = yes\n"


def _finding(document: dict, check_id: str) -> dict:
    [finding] = [f for f in document["findings"] if f["id"] == check_id]
    return finding


@pytest.mark.parametrize("value", ["sha1:0", "SHA1:6", "sha1:x", "Plain", "sha256", ""])
def test_a_refused_value_is_as_severe_as_a_name_of_the_other_version(
    run_cli, tmp_path: Path, value: str
):
    refused = write(tmp_path / "a", "dovecot.conf", f"auth_verbose_passwords = {value}\n")
    renamed = write(tmp_path / "b", "dovecot.conf", OTHER_VERSION)

    status, document = audit(run_cli, refused, "--read-files")
    other_status, other = audit(run_cli, renamed, "--read-files")

    finding = _finding(document, ID)
    assert finding["title"] == "auth_verbose_passwords has a value Dovecot refuses"
    assert finding["severity"] == _finding(other, "dovecot.setting_other_version")["severity"]
    assert finding["severity"] == "high"
    assert status == other_status == 3
    explanation = " ".join(finding["explanation"].split())
    assert "Dovecot does not start with it, and a running Dovecot cannot reload it" in explanation


def test_the_text_report_and_chinese_say_high_and_no_reload(run_cli, tmp_path: Path):
    path = write(
        tmp_path, "dovecot.conf", "auth_verbose_passwords = sha1:0\n" + DOVECOT_CERTIFICATE
    )

    result = run_cli("audit", "--dovecot-config", str(path), "--read-files")
    _, chinese = audit(run_cli, path, "--read-files", "--lang", "zh_CN")

    assert result.status == 3
    assert "HIGH  dovecot.auth_verbose_passwords" in result.out
    assert "1 high, 0 medium, 0 low." in result.out
    finding = _finding(chinese, ID)
    assert finding["severity"] == "high"
    assert "正在运行的 Dovecot 也无法重新加载它" in finding["explanation"]


@requires_doveconf
@pytest.mark.parametrize("value", ["sha1:0", "SHA1:6", "sha1:x"])
def test_what_doveconf_refuses_is_high_through_doveconf_too(run_cli, tmp_path: Path, value: str):
    path = write(tmp_path, "dovecot.conf", f"auth_verbose_passwords = {value}\n")
    doveconf = subprocess.run(["doveconf", "-c", str(path), "-n"], capture_output=True, text=True)
    assert doveconf.returncode != 0  # Dovecot itself refuses the configuration
    assert "auth_verbose_passwords: Invalid" in doveconf.stderr

    status, document = audit(run_cli, path)

    assert status == 3
    assert _finding(document, ID)["severity"] == "high"
