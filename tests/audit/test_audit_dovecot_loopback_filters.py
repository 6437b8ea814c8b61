"""A `local` or `remote` filter on loopback only (127.0.0.0/8, ::1) serves clients on
this machine (a webmail on localhost): no password and no TLS session there crosses
the network, as with Postfix's loopback-only services. What it sets is no finding; the
same filter on another network still is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audit_helpers import audit, write

BASE = """\
protocols = imap
ssl = yes
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
disable_plaintext_auth = yes
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
"""

READERS = [(), ("--read-files",)]
if shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None:
    READERS = [("--read-files",)]


@pytest.mark.parametrize("reader", READERS, ids=lambda r: "files" if r else "doveconf")
@pytest.mark.parametrize(
    "block",
    [
        "local 127.0.0.1 {\n  ssl = no\n}\n",
        "remote 127.0.0.1 {\n  ssl = no\n}\n",
        "local 127.0.0.1 {\n  disable_plaintext_auth = no\n}\n",
        "local ::1 {\n  ssl = no\n}\n",
        "remote 127.0.0.0/8 {\n  ssl_min_protocol = TLSv1\n  ssl_cipher_list = ALL\n}\n",
        "local 127.0.0.1 {\n  protocol imap {\n    ssl = no\n  }\n}\n",
    ],
    ids=["local-ssl", "remote-ssl", "local-cleartext", "local-v6", "remote-tls", "nested"],
)
def test_a_loopback_only_filter_is_no_finding(
    run_cli, tmp_path: Path, block: str, reader: tuple[str, ...]
):
    path = write(tmp_path, "dovecot.conf", BASE + block)

    status, document = audit(run_cli, path, "--openssl-version", "1.0.2k", *reader)

    assert document["findings"] == []
    assert status == 0


@pytest.mark.parametrize("reader", READERS, ids=lambda r: "files" if r else "doveconf")
def test_the_same_filter_on_another_network_is_still_a_finding(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    path = write(tmp_path, "dovecot.conf", BASE + "local 192.0.2.1 {\n  ssl = no\n}\n")

    status, document = audit(run_cli, path, *reader)

    found = [(f["id"], f["severity"], f["subject"]) for f in document["findings"]]
    assert ("dovecot.ssl_disabled", "high", "local 192.0.2.1") in found
    assert status == 3


@pytest.mark.parametrize("reader", READERS, ids=lambda r: "files" if r else "doveconf")
def test_ssl_lifted_on_loopback_only_leaves_ssl_required_in_force(
    run_cli, tmp_path: Path, reader: tuple[str, ...]
):
    """`ssl = required` with cleartext allowed: refused before TLS everywhere but on
    loopback, where nothing crosses the network. Not a cleartext finding."""
    text = BASE.replace("disable_plaintext_auth = yes", "disable_plaintext_auth = no")
    text = text.replace("ssl = yes", "ssl = required")
    path = write(tmp_path, "dovecot.conf", text + "local 127.0.0.1 {\n  ssl = yes\n}\n")

    status, document = audit(run_cli, path, *reader)

    assert document["findings"] == [] and status == 0


def test_a_name_dovecot_refuses_is_reported_on_loopback_too(run_cli, tmp_path: Path):
    """`auth_allow_cleartext` (2.4's name) in a 2.3 configuration stops Dovecot
    wherever it is written: a loopback-only filter does not make that harmless."""
    block = "local 127.0.0.1 {\n  auth_allow_cleartext = yes\n}\n"
    path = write(tmp_path, "dovecot.conf", BASE + block)

    status, document = audit(run_cli, path, "--read-files")

    assert [(f["id"], f["severity"]) for f in document["findings"]] == [
        ("dovecot.setting_other_version", "high")
    ]
    assert status == 3
