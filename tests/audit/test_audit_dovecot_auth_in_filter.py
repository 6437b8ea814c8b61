"""An auth setting inside a `local` or `remote` section: Dovecot 2.3 refuses the whole
configuration ("Auth settings not supported inside local/remote blocks"), whatever the
value, so it does not start and cannot reload. The report says so, high, and its fix
takes the line out, after which doveconf accepts the configuration."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from audit_helpers import audit, requires_doveconf, write

MAIN = """\
protocols = imap
ssl = required
ssl_cert = </etc/dovecot/private/dovecot.pem
ssl_key = </etc/dovecot/private/dovecot.key
auth_verbose_passwords = no
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
!include_try local.conf
"""

LOCAL = """\
remote 192.0.2.0/24 {
  auth_verbose_passwords = {value}
  protocol imap {
    auth_mechanisms = plain \\
      login
  }
}
"""


def paste(commands: list[str], main: Path) -> None:
    for command in commands:
        argv = shlex.split(command)
        if argv[:1] == ["doveadm"]:
            continue
        assert argv[:2] == ["sed", "-i"], command
        subprocess.run(argv, check=True)


def doveconf(main: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["doveconf", "-c", str(main), "-n"], capture_output=True, text=True, check=False
    )


@requires_doveconf
@pytest.mark.parametrize("value", ["no", "plain"])
@pytest.mark.parametrize("reader", [(), ("--read-files",)], ids=["doveconf", "files"])
def test_an_auth_setting_in_a_remote_section_is_high_and_taken_out(
    run_cli, tmp_path: Path, value: str, reader: tuple[str, ...]
):
    main = write(tmp_path, "dovecot.conf", MAIN)
    local = write(tmp_path, "local.conf", LOCAL.replace("{value}", value))
    assert "Auth settings not supported inside local/remote blocks" in doveconf(main).stderr

    status, document = audit(run_cli, main, *reader)

    assert status == 3
    found = [f for f in document["findings"] if f["id"] == "dovecot.auth_setting_in_filter"]
    assert [(f["severity"], f["subject"]) for f in found] == [
        ("high", "remote 192.0.2.0/24"),
        ("high", "remote 192.0.2.0/24 > protocol imap"),
    ]
    # nothing else about them: their values apply nowhere
    assert [f["id"] for f in document["findings"]] == [f["id"] for f in found]
    assert "Auth settings not supported inside local/remote blocks" in found[0]["explanation"]
    assert found[0]["fix"]["commands"] == [f"sed -i '2s/.*//' {local}"]
    assert found[1]["fix"]["commands"] == [f"sed -i '4,5s/.*//' {local}"]
    assert "take out «auth_verbose_passwords = " in found[0]["fix"]["edits"][0]["instruction"]

    paste(document["commands"], main)

    assert doveconf(main).returncode == 0, doveconf(main).stderr
    status, after = audit(run_cli, main, *reader)
    assert after["findings"] == [] and status == 0


@requires_doveconf
def test_an_auth_setting_in_a_filter_on_every_address_is_accepted(run_cli, tmp_path: Path):
    """doveconf takes `remote 0.0.0.0/0` for no filter: it accepts auth settings there."""
    main = write(tmp_path, "dovecot.conf", MAIN)
    write(tmp_path, "local.conf", "remote 0.0.0.0/0 {\n  auth_verbose_passwords = no\n}\n")
    assert doveconf(main).returncode == 0

    status, document = audit(run_cli, main)

    assert document["findings"] == [] and status == 0


def test_the_fix_text_is_in_chinese_too(run_cli, tmp_path: Path):
    main = write(tmp_path, "dovecot.conf", MAIN)
    write(tmp_path, "local.conf", LOCAL.replace("{value}", "plain"))

    _, document = audit(run_cli, main, "--read-files", "--lang", "zh_CN")

    finding = document["findings"][0]
    assert finding["title"] == "Dovecot 会拒绝其配置：local/remote 段中有认证设置"
    assert "删除 «auth_verbose_passwords = plain»" in finding["fix"]["edits"][0]["instruction"]
