"""Where a Dovecot setting applies, as the report tells it: a filter on every address
(`remote 0.0.0.0/0`), which doveconf 2.3 prints without its header; the `ssl` of a
section that lifts `ssl = required`; and the certificate settings of Dovecot 2.4."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import audit, requires_doveconf, write

MAIN = """\
protocols = imap pop3
ssl = yes
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
auth_mechanisms = plain login
!include_try local.conf
disable_plaintext_auth = yes
auth_verbose_passwords = no
"""


def paste(commands: list[str], main: Path) -> None:
    """Run the printed edits as a user pastes them (not the reload)."""
    for command in commands:
        argv = shlex.split(command)
        if argv[:1] == ["doveadm"]:
            assert argv == ["doveadm", "-c", str(main), "reload"]
            continue
        assert argv[:2] == ["sed", "-i"], command
        subprocess.run(argv, check=True)


@requires_doveconf
@pytest.mark.parametrize("network", ["0.0.0.0/0", "::/0"])
@pytest.mark.parametrize(
    ("setting", "check_id", "fixed"),
    [
        ("disable_plaintext_auth = no", "dovecot.cleartext_auth", "disable_plaintext_auth = yes"),
        (
            "auth_verbose_passwords = sha1",
            "dovecot.auth_verbose_passwords",
            "auth_verbose_passwords = no",
        ),
    ],
    ids=["cleartext", "verbose-passwords"],
)
def test_a_setting_in_a_filter_on_every_address_is_shown_and_fixed_there(
    run_cli, tmp_path: Path, network: str, setting: str, check_id: str, fixed: str
):
    """doveconf 2.3 prints the contents of `remote 0.0.0.0/0 {}` (and `::/0`) without
    the header, as if they were top-level settings: the report put the finding on no
    line, and its fix appended a top-level line that Dovecot does not apply inside the
    earlier filter (doveconf: "won't change the setting inside an earlier filter");
    the next audit then pointed at that line, and its fix changed nothing. The
    evidence and the fix are the line inside the filter."""
    main = write(tmp_path, "dovecot.conf", MAIN)
    local = write(tmp_path, "local.conf", f"remote {network} {{\n  {setting}\n}}\n")

    status, document = audit(run_cli, main)

    assert (status, document["dovecot_reader"]) == (3, "doveconf")
    [finding] = [f for f in document["findings"] if f["id"] == check_id]
    [evidence] = finding["evidence"]
    assert (evidence["file"], evidence["line"], evidence["section"]) == (
        str(local),
        2,
        f"remote {network}",
    )
    command = f"sed -i '2s/.*/  {fixed}/' {local}"
    assert finding["fix"]["commands"] == [command]
    text = run_cli("audit", "--dovecot-config", str(main)).out
    flat = " ".join(text.split())
    assert f"{setting} {local}:2, section remote {network}" in flat
    assert f"{local}, line 2: replace «{setting}» with «{fixed}»" in flat
    assert str(main) + ":" not in flat  # no line of dovecot.conf is blamed

    paste(document["commands"], main)

    assert local.read_text() == f"remote {network} {{\n  {fixed}\n}}\n"
    assert main.read_text() == MAIN  # nothing appended
    status, after = audit(run_cli, main)
    assert (status, after["findings"]) == (0, [])


@requires_doveconf
def test_a_narrower_filter_beside_keeps_its_own_line(run_cli, tmp_path: Path):
    """A filter on some addresses keeps its header in doveconf's view: each finding is
    on its own line, and the top-level setting (safe) is none."""
    main = write(tmp_path, "dovecot.conf", MAIN)
    local = write(
        tmp_path,
        "local.conf",
        "remote 0.0.0.0/0 {\n  disable_plaintext_auth = no\n}\n"
        "remote 192.0.2.0/24 {\n  disable_plaintext_auth = no\n}\n",
    )

    _, document = audit(run_cli, main)

    assert document["dovecot_reader"] == "doveconf"
    found = [
        (e["file"], e["line"], e["section"])
        for f in document["findings"]
        for e in f["evidence"]
        if f["id"] == "dovecot.cleartext_auth"
    ]
    assert found == [(str(local), 2, "remote 0.0.0.0/0"), (str(local), 5, "remote 192.0.2.0/24")]


@requires_doveconf
def test_the_ssl_that_lifts_ssl_required_is_shown_beside_the_cleartext_setting(
    run_cli, tmp_path: Path
):
    """`ssl = required` at the top, `disable_plaintext_auth = no`, and `ssl = yes` in
    `protocol pop3 {}`: POP3 takes cleartext passwords. The evidence shows both lines
    that make it so, not only the cleartext setting."""
    main = write(
        tmp_path,
        "dovecot.conf",
        MAIN.replace("ssl = yes", "ssl = required").replace(
            "disable_plaintext_auth = yes", "disable_plaintext_auth = no"
        ),
    )
    local = write(
        tmp_path, "local.conf", "protocols = $protocols\nprotocol pop3 {\n  ssl = yes\n}\n"
    )

    status, document = audit(run_cli, main)

    assert status == 3
    [finding] = document["findings"]
    assert finding["id"] == "dovecot.cleartext_auth"
    shown = [
        (e["parameter"], e["value"], e["file"], e["line"], e["section"])
        for e in finding["evidence"]
    ]
    assert shown == [
        ("disable_plaintext_auth", "no", str(main), 7, None),
        ("ssl", "yes", str(local), 3, "protocol pop3"),
    ]
    flat = " ".join(run_cli("audit", "--dovecot-config", str(main)).out.split())
    assert f"ssl = yes {local}:3, section protocol pop3" in flat
    # The fix is still the cleartext setting's.
    assert finding["fix"]["commands"] == [f"sed -i '7s/.*/disable_plaintext_auth = yes/' {main}"]


DOVECOT_24 = """\
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
protocols = imap pop3 submission
ssl = no
auth_allow_cleartext = yes
ssl_server_cert_file = /etc/dovecot/private/dovecot.pem
ssl_server_key_file = /etc/dovecot/private/dovecot.key
"""


def test_a_24_certificate_is_found_under_its_24_name(run_cli, tmp_path: Path):
    """Dovecot 2.4 names the certificate ssl_server_cert_file: set, the fix that turns
    TLS on says nothing of a missing certificate (it said to set ssl_cert, which 2.4
    refuses)."""
    path = write(tmp_path, "dovecot.conf", DOVECOT_24)

    _, document = audit(run_cli, path, "--read-files")

    assert {f["id"] for f in document["findings"]} == {
        "dovecot.cleartext_auth",
        "dovecot.ssl_disabled",
    }
    assert all(f["fix"]["note"] is None for f in document["findings"])
    text = run_cli("audit", "--dovecot-config", str(path), "--read-files").out
    assert "ssl_cert" not in text.replace("ssl_server_cert_file", "")
    assert "No TLS certificate" not in text


def test_a_missing_24_certificate_is_asked_for_under_the_24_names(run_cli, tmp_path: Path):
    text = "".join(line for line in DOVECOT_24.splitlines(keepends=True) if "_file" not in line)
    path = write(tmp_path, "dovecot.conf", text)

    _, document = audit(run_cli, path, "--read-files")

    by_id = {f["id"]: f for f in document["findings"]}
    note = by_id["dovecot.cleartext_auth"]["fix"]["note"]
    assert note.startswith(
        "No TLS certificate is configured: first set ssl_server_cert_file and "
        "ssl_server_key_file to the files of your certificate and key "
        "(ssl_server_cert_file = /path/to/cert.pem, a path without the < of Dovecot 2.3)"
    )
    assert "ssl_cert " not in note and "</path" not in note
    why = by_id["dovecot.ssl_disabled"]["explanation"]
    assert why.endswith(
        "Turn TLS on; ssl_server_cert_file and ssl_server_key_file must name your "
        "certificate and key."
    )
    _, chinese = audit(run_cli, path, "--read-files", "--lang", "zh_CN")
    by_id = {f["id"]: f for f in chinese["findings"]}
    assert (
        "请先把 ssl_server_cert_file 和 ssl_server_key_file 设为"
        in (by_id["dovecot.cleartext_auth"]["fix"]["note"])
    )
    assert (
        "ssl_server_cert_file 和 ssl_server_key_file 必须指向"
        in (by_id["dovecot.ssl_disabled"]["explanation"])
    )


def test_a_missing_23_certificate_is_still_asked_for_as_ssl_cert(run_cli, tmp_path: Path):
    path = write(tmp_path, "dovecot.conf", "ssl = no\ndisable_plaintext_auth = no\n")

    _, document = audit(run_cli, path, "--read-files")

    by_id = {f["id"]: f for f in document["findings"]}
    assert "first set ssl_cert and ssl_key" in by_id["dovecot.cleartext_auth"]["fix"]["note"]
    assert "ssl_cert and ssl_key must name" in by_id["dovecot.ssl_disabled"]["explanation"]
