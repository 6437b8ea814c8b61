"""`protocols` left at the build's default.

The audit took the default of `protocols` to be empty, which is Debian's own patch
(split-protocols: each protocol package adds itself in
/usr/share/dovecot/protocols.d/*.protocol). Dovecot's own default is `imap pop3 lmtp`
(RHEL, Fedora, Arch, source builds), and `doveconf -n` omits it there: a Dovecot
serving imap and pop3 without a certificate was "No problems found". The doveconf
reader now asks `doveconf -c FILE -h protocols` (this machine's 2.3.19, a Debian build,
prints a blank line; an upstream build is played by a script). The files reader cannot
know the build: where Debian's protocols.d include was read, its empty default; else
Dovecot's own, with a note. `protocols = $protocols lmtp` (Debian's lmtpd.protocol)
was left unexpanded and counted as serving logins: a false HIGH for an LMTP/SASL-only
Debian Dovecot; it is now expanded from the value before, as doveconf does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from audit_helpers import audit, write

CERT = "/etc/dovecot/private/dovecot.pem"
KEY = "/etc/dovecot/private/dovecot.key"
NO_CERTIFICATE = "dovecot.ssl_no_certificate"
NOTE = "the files read give protocols no value of their own"

BASE = """\
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
"""
IMAP_ONLY_CERTIFICATE = f"protocol imap {{\n  ssl_cert = <{CERT}\n  ssl_key = <{KEY}\n}}\n"

requires_doveconf = pytest.mark.skipif(
    shutil.which("doveconf", path="/usr/bin:/usr/sbin") is None, reason="no doveconf"
)


def fake_doveconf(directory: Path, printed: str, default: str, monkeypatch) -> None:
    """A `doveconf` first on PATH: `-h protocols` prints `default` (the build's), any
    other call prints `printed` (what `-n` shows, without the default)."""
    directory.mkdir()
    (directory / "output").write_text(printed)
    script = directory / "doveconf"
    script.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = -h ] && { '
        f"echo '{default}'; exit 0; }}; done\n"
        f"cat '{directory / 'output'}'\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{directory}:/usr/bin:/bin")


def printed(path: Path, body: str) -> str:
    return f"# 2.3.16 (7e2e900c1a): {path}\n# OS: Linux 5.14.0 x86_64 Rocky Linux 9.3\n{body}"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (BASE, "Dovecot has no TLS certificate: every TLS connection fails"),
        (
            BASE + IMAP_ONLY_CERTIFICATE,
            "Dovecot has no TLS certificate for pop3: every TLS connection there fails",
        ),
    ],
    ids=["no-certificate", "imap-only"],
)
def test_an_upstream_build_serves_imap_and_pop3_by_default(
    run_cli, tmp_path: Path, monkeypatch, body: str, title: str
):
    path = write(tmp_path, "dovecot.conf", body)
    fake_doveconf(tmp_path / "bin", printed(path, body), "imap pop3 lmtp", monkeypatch)

    status, document = audit(run_cli, path)

    assert document["dovecot_reader"] == "doveconf"
    assert status == 3
    (finding,) = document["findings"]
    assert (finding["id"], finding["title"]) == (NO_CERTIFICATE, title)
    assert not [n for n in document["notes"] if NOTE in n]  # doveconf told the value


def test_a_debian_build_serves_no_login_by_default(run_cli, tmp_path: Path, monkeypatch):
    path = write(tmp_path, "dovecot.conf", BASE)
    fake_doveconf(tmp_path / "bin", printed(path, BASE), "", monkeypatch)

    status, document = audit(run_cli, path)

    assert (status, document["findings"], document["notes"]) == (0, [], [])


@requires_doveconf
def test_this_machines_doveconf_is_asked(run_cli, tmp_path: Path):
    """Debian's 2.3.19 prints a blank line for `-h protocols`: no login protocol, and
    a certificate set for imap only is no problem; written, imap and pop3 are judged."""
    path = write(tmp_path, "dovecot.conf", BASE + IMAP_ONLY_CERTIFICATE)
    assert (
        subprocess.run(
            ["doveconf", "-c", str(path), "-h", "protocols"], capture_output=True, text=True
        ).stdout.strip()
        == ""
    )

    status, document = audit(run_cli, path)

    assert (status, document["findings"]) == (0, [])
    path.write_text("protocols = imap pop3\n" + BASE + IMAP_ONLY_CERTIFICATE)
    assert audit(run_cli, path)[0] == 3


@pytest.mark.parametrize(
    ("protocols", "title"),
    [
        ("", "Dovecot has no TLS certificate for pop3: every TLS connection there fails"),
        ("protocols = $protocols sieve\n", None),
    ],
    ids=["not-written", "from-$protocols"],
)
def test_the_files_alone_take_dovecots_own_default_with_a_note(
    run_cli, tmp_path: Path, protocols: str, title: str | None
):
    path = write(tmp_path, "dovecot.conf", protocols + BASE + IMAP_ONLY_CERTIFICATE)

    status, document = audit(run_cli, path, "--read-files")

    assert status == 3
    (finding,) = document["findings"]
    assert finding["id"] == NO_CERTIFICATE
    # `$protocols sieve`: imap pop3 lmtp sieve, of which pop3 and sieve lack one
    assert finding["title"] == (
        title or "Dovecot has no TLS certificate for pop3, sieve: every TLS connection there fails"
    )
    (note,) = [n for n in document["notes"] if NOTE in n]
    assert "imap pop3 lmtp in Dovecot's own sources" in note
    assert "empty on Debian and Ubuntu" in note
    _, chinese = audit(run_cli, path, "--read-files", "--lang", "zh_CN")
    assert [n for n in chinese["notes"] if "所读取的文件没有给 protocols 一个独立的值" in n]


def debian_layout(directory: Path, protocol_file: str, top: str = "") -> Path:
    """Debian's dovecot.conf: installed protocols come from protocols.d."""
    write(directory / "protocols.d", "lmtpd.protocol", protocol_file)
    return write(
        directory,
        "dovecot.conf",
        top + f"!include_try {directory}/protocols.d/*.protocol\n" + BASE,
    )


def test_debians_lmtp_alone_is_no_login_to_certify(run_cli, tmp_path: Path):
    """Debian's lmtpd.protocol, `protocols = $protocols lmtp`, no certificate: the
    Dovecot of Postfix's SASL and delivery (dc3), which serves no login."""
    path = debian_layout(tmp_path / "dc", "protocols = $protocols lmtp\n")

    for reader in ((), ("--read-files",)):
        status, document = audit(run_cli, path, *reader)
        assert (status, document["findings"], document["notes"]) == (0, [], [])


@pytest.mark.parametrize("directory", [True, False], ids=["dovecot-core-here", "copied"])
def test_debians_core_package_alone_serves_no_login(run_cli, tmp_path: Path, directory: bool):
    """Debian's dovecot.conf with an empty protocols.d (dovecot-core alone, which owns
    the directory: the Dovecot of Postfix's SASL), no certificate: no login served, no
    finding. The same files without the directory were copied from a machine whose
    packages are unknown: Dovecot's own default, with the note."""
    top = tmp_path / "dc"
    path = write(top, "dovecot.conf", f"!include_try {top}/protocols.d/*.protocol\n" + BASE)
    if directory:
        (top / "protocols.d").mkdir()

    status, document = audit(run_cli, path, "--read-files")

    if directory:
        assert (status, document["findings"], document["notes"]) == (0, [], [])
    else:
        assert status == 3
        assert [f["id"] for f in document["findings"]] == [NO_CERTIFICATE]
        assert [n for n in document["notes"] if NOTE in n]


def test_debians_imap_package_is_judged(run_cli, tmp_path: Path):
    path = debian_layout(tmp_path / "dc", "protocols = $protocols imap\n")

    status, document = audit(run_cli, path, "--read-files")

    assert status == 3
    assert [f["id"] for f in document["findings"]] == [NO_CERTIFICATE]
    assert document["notes"] == []  # Debian's include was read: its default


def test_the_24_list_form_adds_to_the_default(run_cli, tmp_path: Path):
    """2.4's `protocols { imap = yes }` adds imap to the build's default, it does not
    replace it: with Dovecot's own default, pop3 is served too, and a certificate set
    for imap only leaves it without one (the audit judged no protocol there)."""
    text = (
        "dovecot_config_version = 2.4.1\n"
        "dovecot_storage_version = 2.4.1\n"
        "protocols {\n  imap = yes\n  lmtp = no\n}\n"
        f"protocol imap {{\n  ssl_server_cert_file = {CERT}\n  ssl_server_key_file = {KEY}\n}}\n"
    )
    path = write(tmp_path, "dovecot.conf", text)

    status, document = audit(run_cli, path, "--read-files")

    assert status == 3
    (finding,) = document["findings"]
    assert finding["title"] == (
        "Dovecot has no TLS certificate for pop3: every TLS connection there fails"
    )
    (note,) = [n for n in document["notes"] if NOTE in n]
    assert "2.4's protocols { } adds to it" in note
