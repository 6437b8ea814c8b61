"""SSLv2 and SSLv3 are judged for the OpenSSL that Postfix and Dovecot use, as RC4 is:
OpenSSL 1.1.0 and later have no SSLv2 and (by default build) no SSLv3, and Postfix 3.6
and later need OpenSSL 1.1.1. Where they are there, a Postfix service that offers no
AUTH has no password to lose: medium, as weak ciphers there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import HARDENED_MAIN, HARDENED_MASTER, audit, build_postfix, write


def protocol_findings(run_cli, directory: Path, *extra: str) -> dict[str, tuple[str, str]]:
    result = run_cli("audit", "--postfix-dir", str(directory), "--format", "json", *extra)
    return {
        f["subject"]: (f["severity"], f["title"])
        for f in json.loads(result.out)["findings"]
        if f["id"] == "postfix.tls_old_protocols"
    }


@pytest.fixture
def any_protocol_for_logins(tmp_path: Path) -> Path:
    """Submission (AUTH, TLS required) with no protocol excluded."""
    return build_postfix(
        tmp_path / "pf", HARDENED_MAIN + "smtpd_tls_mandatory_protocols =\n", HARDENED_MASTER
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--postfix-version", "3.4.14", "--openssl-version", "1.0.2k"), "high"),
        (("--postfix-version", "3.4.14"), "high"),  # the library unknown
        (("--postfix-version", "3.4.14", "--openssl-version", "3.0.13"), None),
        (("--postfix-version", "3.4.14", "--openssl-version", "1.1.0l"), None),
        (("--postfix-version", "3.6.4"), None),  # Postfix 3.6 needs OpenSSL 1.1.1
    ],
    ids=["openssl-1.0.2", "unknown", "openssl-3.0", "openssl-1.1.0", "postfix-3.6"],
)
def test_ssl_protocols_count_only_where_the_library_has_them(
    run_cli, any_protocol_for_logins: Path, extra: tuple[str, ...], expected: str | None
):
    found = protocol_findings(run_cli, any_protocol_for_logins, *extra)

    if expected is None:
        assert found == {}
    else:
        assert found["submission/inet"] == (expected, "Broken protocols allowed: SSLv2, SSLv3")


def test_ssl_protocols_where_no_auth_is_offered_are_medium(run_cli, tmp_path: Path):
    directory = build_postfix(
        tmp_path / "pf", HARDENED_MAIN + "smtpd_tls_protocols = !SSLv2\n", HARDENED_MASTER
    )

    found = protocol_findings(
        run_cli, directory, "--postfix-version", "3.4.14", "--openssl-version", "1.0.2k"
    )

    assert found == {"smtp/inet": ("medium", "Broken protocols allowed: SSLv3")}


DOVECOT = """\
protocols = imap
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
ssl_min_protocol = {value}
"""


@pytest.mark.parametrize("value", ["SSLv3", "ANY"])
@pytest.mark.parametrize(
    ("library", "expected"),
    [
        ("1.0.2k", ("high", "Old protocols allowed: SSLv3, TLSv1, TLSv1.1")),
        ("3.0.13", ("medium", "Old protocols allowed: TLSv1, TLSv1.1")),
    ],
)
def test_dovecot_sslv3_is_judged_for_its_openssl(
    run_cli, tmp_path: Path, value: str, library: str, expected: tuple[str, str]
):
    path = write(tmp_path, "dovecot.conf", DOVECOT.replace("{value}", value))

    status, document = audit(run_cli, path, "--read-files", "--openssl-version", library)

    [finding] = document["findings"]
    assert finding["id"] == "dovecot.ssl_old_protocols"
    assert (finding["severity"], finding["title"]) == expected
    assert status == (3 if expected[0] == "high" else 0)
