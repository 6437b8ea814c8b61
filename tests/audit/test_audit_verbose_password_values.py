"""Every value of Dovecot's auth_verbose_passwords, as Dovecot reads it: `no`, `plain`,
`sha1`, `yes` (taken for `plain`), each with an optional `:N` that cuts what is logged.
`sha1:6`, which Dovecot's documentation suggests, was as high as `plain`: a SHA1 cut to
a few hex digits only confirms a guess from a list. A value Dovecot refuses was taken
for a password leak (`Plain`), or for `no` (an empty value); it stops Dovecot, and is
high (test_audit_refused_verbose_value_high.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_helpers import DOVECOT_CERTIFICATE, audit, write

ID = "dovecot.auth_verbose_passwords"


def verbose_passwords(run_cli, tmp_path: Path, value: str, *extra: str) -> tuple[int, list]:
    path = write(
        tmp_path, "dovecot.conf", f"auth_verbose_passwords = {value}\n" + DOVECOT_CERTIFICATE
    )
    status, document = audit(run_cli, path, "--read-files", *extra)
    return status, [f for f in document["findings"] if f["id"] == ID]


def test_no_with_a_length_is_still_no(run_cli, tmp_path: Path):
    status, found = verbose_passwords(run_cli, tmp_path, "no:3")

    assert (status, found) == (0, [])


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("plain", "Dovecot logs the passwords of failed logins"),
        ("yes", "Dovecot logs the passwords of failed logins"),
        ("plain:3", "Dovecot logs the first 3 characters of the passwords of failed logins"),
        ("sha1", "Dovecot logs a SHA1 hash of the passwords of failed logins"),
        ("sha1:40", "Dovecot logs a SHA1 hash of the passwords of failed logins"),
        (
            "sha1:12",
            "Dovecot logs the first 12 hex digits of a SHA1 hash of the passwords of failed logins",
        ),
    ],
)
def test_passwords_or_a_hash_that_gives_them_back_are_high(
    run_cli, tmp_path: Path, value: str, title: str
):
    status, [finding] = verbose_passwords(run_cli, tmp_path, value)

    assert status == 3
    assert (finding["severity"], finding["title"]) == ("high", title)
    # the explanation speaks of a hash only where one is logged
    assert ("hash" in finding["explanation"]) == value.startswith("sha1")
    assert finding["fix"]["edits"][0]["value"] == "no"


def test_yes_with_a_length_logs_the_whole_password(run_cli, tmp_path: Path):
    """Dovecot turns `yes` into `plain` and drops the `:4`."""
    status, [finding] = verbose_passwords(run_cli, tmp_path, "yes:4")

    assert (status, finding["severity"]) == (3, "high")
    assert finding["title"] == "Dovecot logs the passwords of failed logins"
    assert "drops the :N" in finding["explanation"]
    assert "whole password" in finding["explanation"]


@pytest.mark.parametrize("digits", ["6", "8"])
def test_a_sha1_cut_to_a_few_hex_digits_is_medium(run_cli, tmp_path: Path, digits: str):
    status, [finding] = verbose_passwords(run_cli, tmp_path, f"sha1:{digits}")

    assert status == 0  # no high finding
    assert finding["severity"] == "medium"
    assert finding["title"] == (
        f"Dovecot logs the first {digits} hex digits of a SHA1 hash of the passwords of "
        "failed logins"
    )
    explanation = finding["explanation"]
    assert "do not give an unknown password back; but they confirm a guess" in explanation
    assert "Set it to no" in explanation
    assert finding["fix"]["edits"][0]["value"] == "no"


def test_a_sha1_cut_in_chinese(run_cli, tmp_path: Path):
    _, [finding] = verbose_passwords(run_cli, tmp_path, "sha1:6", "--lang", "zh_CN")

    assert finding["title"] == "Dovecot 会记录登录失败时密码的 SHA1 哈希的前 6 位十六进制数字"
    assert "无法从中还原未知的密码；但可以用来验证猜测" in finding["explanation"]


@pytest.mark.parametrize("value", ["Plain", "sha256", "sha1:0", "sha1:x", "plain:-1", ""])
def test_a_value_dovecot_refuses_says_so(run_cli, tmp_path: Path, value: str):
    status, [finding] = verbose_passwords(run_cli, tmp_path, value)

    assert status == 3  # Dovecot does not start: high
    assert finding["severity"] == "high"
    assert finding["title"] == "auth_verbose_passwords has a value Dovecot refuses"
    assert "it refuses any other value, and an empty one" in finding["explanation"]
    assert finding["fix"]["edits"][0]["value"] == "no"
