"""Postfix 3.6 and later need OpenSSL 1.1.1, which has no export, single-DES or RC4
suites: with the library unknown, the cipher grades of such a Postfix are judged as
its protocols are, for OpenSSL 1.1.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, build_postfix, requires_postconf


def weak_ciphers(run_cli, directory: Path, *extra: str) -> list[tuple[str, str]]:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    return [
        (f["severity"], f["title"])
        for f in json.loads(result.out)["findings"]
        if f["id"] == "postfix.weak_ciphers"
    ]


@requires_postconf
@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.7.11", []),
        ("3.6.4", []),
        ("3.5.6", [("high", "Weak ciphers allowed: RC4, EXPORT, LOW")]),
    ],
)
def test_an_export_grade_needs_a_library_that_has_it(
    run_cli, tmp_path: Path, version: str, expected: dict
):
    directory = build_postfix(
        tmp_path / "pf",
        HARDENED_MAIN.replace("smtpd_tls_exclude_ciphers", "#")
        + "smtpd_tls_mandatory_ciphers = export\n",
        HARDENED_MASTER,
    )

    found = weak_ciphers(run_cli, directory, "--postfix-version", version)

    assert [f for f in found if f[0] == "high"] == expected


@requires_postconf
def test_the_default_medium_grade_of_postfix_37_allows_no_rc4(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN.replace("smtpd_tls_exclude_ciphers", "#"), HARDENED_MASTER
    )

    assert weak_ciphers(run_cli, directory, "--postfix-version", "3.7.11") == []
    older = weak_ciphers(run_cli, directory, "--postfix-version", "3.5.6")
    assert ("high", "Weak ciphers allowed: RC4") in older
