"""Where Dovecot's certificate is written, and which connections it reaches.

Dovecot 2.4 takes `ssl_server { cert_file = ...  key_file = ... }` for
`ssl_server_cert_file`/`ssl_server_key_file` (its documentation, Config Syntax: a
setting of a named filter may be written inside it without the prefix, and `doveconf -n`
prints it so). The audit read neither that form in the files (--read-files) nor in
doveconf's output, and reported a false HIGH dovecot.ssl_no_certificate. This machine's
Dovecot is 2.3, so 2.4's `doveconf -n` is played by a script printing what its
documentation shows.

A 2.3 certificate set only inside sections reaches only the connections they match
(tried with Dovecot 2.3.19: a certificate in `local 127.0.0.1 { }` only, STARTTLS on
127.0.0.2 fails with "The certificate is empty"; one in `protocol imap { }` serves
imap): a login protocol that `protocols` names and that no certificate reaches has none,
where the audit said nothing."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from audit_helpers import audit, write

READERS = [(), ("--read-files",)]
if shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None:
    READERS = [("--read-files",)]
reader_ids = lambda r: "files" if r else "tools"  # noqa: E731

CERT = "/etc/dovecot/private/dovecot.pem"
KEY = "/etc/dovecot/private/dovecot.key"

DOVECOT_24 = """\
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
protocols = imap pop3
ssl = required
"""


def ids(document: dict) -> list[str]:
    return [f["id"] for f in document["findings"]]


@pytest.mark.parametrize(
    "written",
    [
        f"ssl_server {{\n  cert_file = {CERT}\n  key_file = {KEY}\n}}\n",
        f"ssl_server {{\n  ssl_server_cert_file = {CERT}\n  key_file = {KEY} # root only\n}}\n",
        f"ssl_server_cert_file = {CERT}\nssl_server {{\n  key_file = {KEY}\n}}\n",
    ],
    ids=["short-names", "full-name-inside", "one-of-each"],
)
def test_the_24_ssl_server_filter_holds_the_certificate(run_cli, tmp_path: Path, written):
    path = write(tmp_path, "dovecot.conf", DOVECOT_24 + written)

    status, document = audit(run_cli, path, "--read-files")

    assert (status, document["findings"]) == (0, [])


def test_an_empty_ssl_server_filter_is_still_no_certificate(run_cli, tmp_path: Path):
    path = write(tmp_path, "dovecot.conf", DOVECOT_24 + "ssl_server {\n  cert_file =\n}\n")

    status, document = audit(run_cli, path, "--read-files")

    assert status == 3
    (finding,) = document["findings"]
    assert "nothing sets ssl_server_cert_file, ssl_server_key_file" in finding["explanation"]


def fake_doveconf(directory: Path, output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `doveconf` first on PATH that prints `output` whatever it is asked."""
    directory.mkdir()
    (directory / "output").write_text(output)
    script = directory / "doveconf"
    script.write_text(f"#!/bin/sh\ncat '{directory / 'output'}'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{directory}:/usr/bin:/bin")


def test_doveconf_24_prints_the_certificate_inside_ssl_server(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`doveconf -n` 2.4 prints `ssl_server_cert_file = X` in dovecot.conf as a
    `ssl_server` filter with the short names (and hides the key's value)."""
    written = DOVECOT_24 + f"ssl_server_cert_file = {CERT}\nssl_server_key_file = {KEY}\n"
    path = write(tmp_path, "dovecot.conf", written)
    printed = (
        f"# 2.4.1 (7ba4b3d0d0): {path}\n"
        "dovecot_config_version = 2.4.1\n"
        "dovecot_storage_version = 2.4.1\n"
        "protocols = imap pop3\n"
        "ssl = required\n"
        "ssl_server {\n"
        f"  cert_file = {CERT}\n"
        "  key_file = # hidden, use -P to show it\n"
        "}\n"
    )
    fake_doveconf(tmp_path / "bin", printed, monkeypatch)

    status, document = audit(run_cli, path)

    assert (status, document["findings"]) == (0, [])
    # the fake is what was read: without its certificate, the finding comes back
    fake_doveconf(tmp_path / "bin2", printed.replace(f"  cert_file = {CERT}\n", ""), monkeypatch)
    _, without = audit(run_cli, path)
    assert ids(without) == ["dovecot.ssl_no_certificate"]


BASE_23 = """\
protocols = imap pop3
ssl = yes
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
"""


def certificate_in(section: str) -> str:
    return f"{section} {{\n  ssl_cert = <{CERT}\n  ssl_key = <{KEY}\n}}\n"


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_protocol_that_no_certificate_reaches_is_high(run_cli, tmp_path: Path, reader):
    path = write(tmp_path, "dovecot.conf", BASE_23 + certificate_in("protocol imap"))

    status, document = audit(run_cli, path, *reader)

    assert status == 3
    (finding,) = document["findings"]
    assert (finding["id"], finding["severity"]) == ("dovecot.ssl_no_certificate", "high")
    assert finding["title"] == (
        "Dovecot has no TLS certificate for pop3: every TLS connection there fails"
    )
    assert finding["explanation"].startswith(
        "TLS is on for pop3 (or once the fix of dovecot.ssl_disabled turns it on), but "
        "ssl_cert, ssl_key is set only inside protocol, local or remote sections that do "
        "not reach pop3, and not at the top level."
    )
    sections = {(e["parameter"], e["section"]) for e in finding["evidence"]}
    assert {("ssl_cert", "protocol imap"), ("ssl_key", "protocol imap")} <= sections
    assert f"In {path}, set ssl_cert = </etc/ssl/certs/mail.pem" in finding["fix"]["note"]
    _, chinese = audit(run_cli, path, "--lang", "zh_CN", *reader)
    assert chinese["findings"][0]["title"] == (
        "Dovecot 没有供 pop3 使用的 TLS 证书：那里的每个 TLS 连接都会失败"
    )


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_certificate_on_loopback_only_reaches_no_remote_user(run_cli, tmp_path: Path, reader):
    path = write(tmp_path, "dovecot.conf", BASE_23 + certificate_in("local 127.0.0.1"))

    _, document = audit(run_cli, path, *reader)

    (finding,) = document["findings"]
    assert finding["title"] == (
        "Dovecot has no TLS certificate for imap, pop3: every TLS connection there fails"
    )


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
@pytest.mark.parametrize(
    "sections",
    [
        certificate_in("protocol imap") + certificate_in("protocol pop3"),
        f"ssl_cert = <{CERT}\nssl_key = <{KEY}\n" + certificate_in("protocol imap"),
        certificate_in("local 192.0.2.10"),
        certificate_in("protocol !pop3") + certificate_in("protocol pop3"),
    ],
    ids=["each-protocol", "top-level-too", "one-address", "negation"],
)
def test_a_certificate_for_every_protocol_is_enough(run_cli, tmp_path: Path, reader, sections):
    """Each protocol its own certificate (Dovecot's documentation shows it), a global
    one beside a protocol's, and a `local` section on an
    address that is not loopback (which addresses clients use is not in the
    configuration): nothing to report."""
    path = write(tmp_path, "dovecot.conf", BASE_23 + sections)

    status, document = audit(run_cli, path, *reader)

    assert (status, ids(document)) == (0, [])


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_an_empty_certificate_in_a_protocol_section_takes_the_global_one_away(
    run_cli, tmp_path: Path, reader
):
    """`protocol pop3 { ssl_cert = }` beside a top-level certificate: pop3 has none.
    The text said the certificate was set only inside sections and not at the top
    level, and its fix said to set it at the top level (already done: the HIGH stayed).
    It now names the empty setting, and its fix takes that line out."""
    text = BASE_23 + f"ssl_cert = <{CERT}\nssl_key = <{KEY}\nprotocol pop3 {{\n  ssl_cert =\n}}\n"
    path = write(tmp_path, "dovecot.conf", text)
    line = text.splitlines().index("  ssl_cert =") + 1

    status, document = audit(run_cli, path, *reader)

    assert status == 3
    (finding,) = document["findings"]
    assert finding["title"] == (
        "Dovecot has no TLS certificate for pop3: an empty ssl_cert there takes the "
        "top-level one away"
    )
    assert "not at the top level" not in finding["explanation"]
    assert f"but protocol pop3 ({path}:{line}) sets ssl_cert to nothing" in (finding["explanation"])
    assert finding["fix"]["commands"] == [f"sed -i '{line}s/.*//' {path}"]
    _, chinese = audit(run_cli, path, "--lang", "zh_CN", *reader)
    assert chinese["findings"][0]["title"] == (
        "Dovecot 没有供 pop3 使用的 TLS 证书：那里置空的 ssl_cert 取消了顶层的设置"
    )
    assert (
        f"但 protocol pop3 ({path}:{line}) 把 ssl_cert 设为空值"
        in (chinese["findings"][0]["explanation"])
    )

    for command in finding["fix"]["commands"]:
        subprocess.run(shlex.split(command), check=True)
    status, after = audit(run_cli, path, *reader)
    assert (status, after["findings"]) == (0, [])


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_an_empty_certificate_with_none_around_it_is_the_protocols_case(
    run_cli, tmp_path: Path, reader
):
    """Taking the empty line out would not give pop3 a certificate (none around it):
    the finding says the certificate is set only in sections that do not reach pop3."""
    text = BASE_23 + certificate_in("protocol imap") + "protocol pop3 {\n  ssl_cert =\n}\n"
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, *reader)

    (finding,) = document["findings"]
    assert finding["title"].startswith("Dovecot has no TLS certificate for pop3: every")
    assert finding["fix"]["commands"] == []
    assert f"In {path}, set ssl_cert = </etc/ssl/certs/mail.pem" in finding["fix"]["note"]


@pytest.mark.parametrize("reader", READERS, ids=reader_ids)
def test_a_protocol_without_tls_is_named_with_the_fix_that_turns_it_on(
    run_cli, tmp_path: Path, reader
):
    """`protocol pop3 { ssl = no }`: dovecot.ssl_disabled turns TLS on there, and pop3
    then has no certificate; said now, named with that fix."""
    text = BASE_23 + certificate_in("protocol imap") + "protocol pop3 {\n  ssl = no\n}\n"
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, *reader)

    by_id = {f["id"]: f for f in document["findings"]}
    assert sorted(by_id) == ["dovecot.ssl_disabled", "dovecot.ssl_no_certificate"]
    finding = by_id["dovecot.ssl_no_certificate"]
    assert finding["title"].startswith("Dovecot has no TLS certificate for pop3:")
    assert "once the fix of dovecot.ssl_disabled turns TLS on" in finding["fix"]["note"]
