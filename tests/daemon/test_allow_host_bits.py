"""An allow-list entry written with host bits set (``192.0.2.5/24``) is read as the
network holding it (``192.0.2.0/24``), as ``ip`` and ``nft`` read it, and never
silently: ``run --check``, the daemon's reload (and start) and ``analyze`` warn of it in
one line that says how it is read and how to write it. It is not refused: a file that
worked before must not stop the daemon (no bans at all) over a reading there is only
one of."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from wardenlab import Warden, run_cli

from clirunner import Runner
from mailwarden.config import load_config

WRITTEN = ["192.0.2.5/24", "2001:db8::1/32", "::ffff:198.51.100.9/120", "203.0.113.0/24"]
NOTES = [
    "policy.allow: 192.0.2.5/24 has host bits set: read as 192.0.2.0/24, the whole "
    "network; write 192.0.2.0/24, or 192.0.2.5 for that address alone",
    "policy.allow: 2001:db8::1/32 has host bits set: read as 2001:db8::/32, the whole "
    "network; write 2001:db8::/32, or 2001:db8::1 for that address alone",
    "policy.allow: ::ffff:198.51.100.9/120 has host bits set: read as 198.51.100.0/24, "
    "the whole network; write 198.51.100.0/24, or 198.51.100.9 for that address alone",
]


def test_run_check_warns_of_each_entry_with_host_bits(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.sections["policy"]["allow"] = [*WRITTEN, "198.51.100.7"]
    path = warden.write()
    code, err, out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 0, err
    assert out.splitlines()[-1] == f"mailwarden: {path}: ready to run"
    warnings = [line for line in err if "policy.allow" in line]
    assert warnings == [f"mailwarden: warning: {note}" for note in NOTES]
    assert not any("Traceback" in line for line in err)
    allowed = load_config(path).policy.allow
    assert ipaddress.ip_network("192.0.2.0/24") in allowed
    assert ipaddress.ip_network("198.51.100.0/24") in allowed


def test_a_clean_allow_list_is_not_warned_of(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.sections["policy"]["allow"] = ["192.0.2.0/24", "198.51.100.7", "2001:db8::/32"]
    code, err, _ = run_cli(capsys, "run", "--config", str(warden.write()), "--check")
    assert code == 0, err
    assert not [line for line in err if "policy.allow" in line]


def test_a_reload_warns_of_it(warden: Warden, caplog: pytest.LogCaptureFixture) -> None:
    daemon = warden.start()
    warden.sections["policy"]["allow"] = ["192.0.2.5/24", "0.0.0.0/0"]
    warden.write()
    caplog.clear()
    daemon.reload()
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert NOTES[0] in said
    assert "policy.allow: 0.0.0.0/0 is every IPv4 address: no IPv4 client is ever banned" in said
    assert ipaddress.ip_network("192.0.2.0/24") in daemon.config.policy.allow


def test_analyze_warns_of_it_from_the_option_and_the_file(run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    config = tmp_path / "analyze.toml"
    config.write_text('[policy]\nallow = ["2001:db8::1/32"]\n')
    code, _, err = run("analyze", "--config", str(config), "--allow", "192.0.2.5/24", str(log))
    assert code in (0, 1), err
    lines = err.splitlines()
    assert f"mailwarden: warning: {NOTES[1]}" in lines
    assert (
        "mailwarden: warning: --allow: 192.0.2.5/24 has host bits set: read as "
        "192.0.2.0/24, the whole network; write 192.0.2.0/24, or 192.0.2.5 for that "
        "address alone"
    ) in lines
    assert "Traceback" not in err

    code, _, err = run("analyze", "--lang", "zh_CN", "--allow", "192.0.2.5/24", str(log))
    assert (
        "mailwarden: 警告：--allow: 192.0.2.5/24 设置了主机位：按 192.0.2.0/24 读取，即整个"
        "网络；请写 192.0.2.0/24，若只指这一个地址则写 192.0.2.5"
    ) in err.splitlines()


def test_an_entry_with_a_zone_is_refused_in_one_line_whatever_it_holds(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ipaddress`` takes an IPv6 scope id of any characters, a newline too: such an
    entry is refused (a zone is no part of an address), and the refusal stays one line."""
    warden.sections["policy"]["allow"] = ["2001:db8::1%a\nb/64"]
    path = warden.write()
    code, err, _out = run_cli(capsys, "run", "--config", str(path), "--check")
    assert code == 2
    refusals = [line for line in err if "zone" in line]
    assert len(refusals) == 1, err
    assert "%a\\nb" in refusals[0] and "no part of an address" in refusals[0]
    assert not any(line.strip() == "b)" or line.startswith("b)") for line in err)
