# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""What may never be banned, by hand or by detection; what ``mailwarden ban`` accepts;
which configuration the daemon (root) accepts; and SIGHUP with a hostile file."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from seclab import SERVER, banned, mailwarden, stamp, warden

ATTACKER = "198.51.100.66"


def _config(tmp: Path, extra: str = "") -> Path:
    path = tmp / "c.toml"
    (tmp / "m.log").touch()  # a log to read: else `run --check` refuses (exit 1)
    path.write_text(
        f'[sources]\nfiles = ["{tmp}/m.log"]\n[store]\npath = "{tmp}/db/m.db"\n'
        f'[enforce]\nbackend = "none"\n[policy]\nallow = ["192.0.2.128/25"]\n{extra}',
        encoding="utf-8",
    )
    return path


def _host_address() -> str | None:
    try:
        done = subprocess.run(
            ["ip", "-j", "addr", "show"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    for interface in json.loads(done.stdout):
        for info in interface.get("addr_info", []):
            address = ipaddress.ip_address(info["local"])
            if not address.is_loopback and not address.is_link_local:
                return str(address)
    return None


@pytest.mark.parametrize(
    "target",
    [
        "0.0.0.0/0",
        "::/0",
        "::ffff:0:0/96",
        "::ffff:127.0.0.1",
        "127.0.0.1",
        "127.0.0.0/8",
        "::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "fe80::1",
        "192.0.2.200",  # on the allow list
        "::ffff:192.0.2.200",  # the same, IPv4-mapped
        "192.0.2.0/24",  # contains the allow list
        "10.0.0.0/7",  # wider than /8
    ],
)
def test_ban_refuses_what_must_never_be_banned(tmp_path: Path, target: str) -> None:
    done = mailwarden("ban", "--config", _config(tmp_path), target)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("mailwarden: error: refusing to ban ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_ban_refuses_this_hosts_own_address(tmp_path: Path) -> None:
    address = _host_address()
    if address is None:
        pytest.skip("this host has no global address")
    done = mailwarden("ban", "--config", _config(tmp_path), address)
    assert done.returncode == 1 and "an address of this host" in done.stderr


@pytest.mark.parametrize(
    "target",
    [
        "2001:db8::1%eth0",
        "2001:db8::1%x\n0.0.0.0 REJECT",
        "203.0.113.9/24",  # host bits set
        "203.0.113.10/33",
        "garbage",
        "",
        "-1",
        "203.0.113.9 198.51.100.1",
        "１９２.0.2.1",  # full-width digits
    ],
)
def test_ban_accepts_only_plain_addresses_and_networks(tmp_path: Path, target: str) -> None:
    done = mailwarden("ban", "--config", _config(tmp_path), "--", target)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "db" / "m.db").exists()


@pytest.mark.parametrize("length", ["999999999d", "1e12", "inf", "nan", "0s", "-5m", "1y"])
def test_ban_for_takes_only_a_sane_duration(tmp_path: Path, length: str) -> None:
    done = mailwarden("ban", "--config", _config(tmp_path), "--for", length, "203.0.113.9")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_manual_ban_expires(tmp_path: Path) -> None:
    config = _config(tmp_path)
    done = mailwarden("ban", "--config", config, "--for", "36500d", "203.0.113.9")
    assert done.returncode == 0, done.stderr
    status = json.loads(mailwarden("status", "--config", config, "--format", "json").stdout)
    (ban,) = status["bans"]
    assert ban["network"] == "203.0.113.9/32" and ban["until"] < "2130"


def _dovecot_failures(ip: str, count: int = 4, pid: int = 0) -> list[str]:
    return [
        f"{stamp()} mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<carol{n}@example.org>, method=PLAIN, rip={ip}, lip={SERVER}, TLS, session=<s{pid}x{n}{abs(hash(ip)) % 997}>"
        for n in range(count)
    ]


def test_detection_never_bans_loopback_own_or_allowed_in_any_spelling(tmp_path: Path) -> None:
    never = [
        "::ffff:127.0.0.1",
        "127.0.0.2",
        "::1",
        "0.0.0.0",
        "::",
        SERVER,
        f"::ffff:{SERVER}",
        "192.0.2.200",  # allow list
        "::ffff:192.0.2.201",  # allow list, mapped
    ]
    # Four failing clients of the server's own /24: a network ban there would cover it.
    neighbours = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"]
    with warden(tmp_path, fast_failures=1, allow=["192.0.2.128/25"]) as lab:
        daemon = lab.start()
        lines = [line for ip in never + neighbours for line in _dovecot_failures(ip)]
        lab.append(lines + _dovecot_failures(ATTACKER))
        daemon.step()
        bans = banned(daemon)
    assert f"{ATTACKER}/32" in bans
    assert "192.0.2.10/32" in bans  # a neighbour of the server is banned alone...
    protected = [
        ipaddress.ip_network(n)
        for n in (f"{SERVER}/32", "192.0.2.128/25", "127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128")
    ]
    for ban in map(ipaddress.ip_network, bans):  # ...never with the server's network
        assert not any(ban.version == p.version and ban.overlaps(p) for p in protected), ban


def test_an_allow_everything_list_bans_nothing(tmp_path: Path) -> None:
    with warden(tmp_path, fast_failures=1, allow=["0.0.0.0/0", "::/0"]) as lab:
        daemon = lab.start()
        lab.append(_dovecot_failures(ATTACKER) + _dovecot_failures("2001:db8::66"))
        daemon.step()
        assert banned(daemon) == set()


# -- the configuration, read by a root process ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "http:/nohost",
        "gopher://x",
        "//example.org",
        "data:,x",
    ],
)
def test_an_alert_url_must_be_http_or_https(tmp_path: Path, url: str) -> None:
    config = _config(tmp_path, f"[alerts]\nurl = {json.dumps(url)}\n")
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2
    assert "alerts.url" in done.stderr


needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the ownership rules apply to a root daemon"
)


@needs_root
@pytest.mark.parametrize("mode", [0o646, 0o664, 0o666, 0o642])
def test_a_config_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    config = _config(tmp_path)
    os.chown(config, 0, 12345)  # a group other than root's
    config.chmod(mode)
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused" in done.stderr and "writable" in done.stderr


@needs_root
def test_a_config_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    os.chown(config, 65534, 65534)
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2 and "not root" in done.stderr


@needs_root
def test_an_alert_command_others_can_replace_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "alert.sh"
    script.write_text("#!/bin/sh\ncat >/dev/null\n")
    script.chmod(0o777)
    config = _config(tmp_path, f'[alerts]\ncommand = ["{script}"]\n')
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2 and "alerts.command" in done.stderr
    script.chmod(0o755)
    assert mailwarden("run", "--check", "--config", config).returncode == 0


HOSTILE_CONFIGS = {
    "infinite ban": '[policy]\nban_time = "inf"\n',
    "NaN ban": "[policy]\nmax_ban_time = nan\n",
    "NaN escalation": "[policy]\nban_escalation = nan\n",
    "huge window": '[policy]\nfast_window = "999999999d"\n',
    "not TOML": "[policy\nx = ",
    "binary": "\x00\xff\xfe garbage",
    "unknown key": "[policy]\nrm_rf = true\n",
    "file URL": '[alerts]\nurl = "file:///etc/shadow"\n',
    "missing users file": '[policy]\nusers_file = "/nonexistent/users"\n',
    "relative source": '[sources]\nfiles = ["mail.log"]\n',
    "missing alert program": '[alerts]\ncommand = ["/nonexistent/alert"]\n',
    "world-writable": "",
}


@pytest.mark.parametrize("name", list(HOSTILE_CONFIGS))
def test_sighup_with_a_hostile_config_keeps_the_daemon_running(tmp_path: Path, name: str) -> None:
    with warden(tmp_path, fast_failures=3, allow=["198.51.100.0/28"]) as lab:
        daemon = lab.start()
        text = lab.config_path.read_text(encoding="utf-8")
        if name == "world-writable":
            if os.geteuid() != 0:
                pytest.skip("needs root")
            lab.config_path.chmod(0o666)
        else:
            body = HOSTILE_CONFIGS[name]
            if body.startswith("[policy]"):
                text = text.replace("[policy]\n", body, 1)
            elif name == "relative source":
                text = text.replace(f'files = ["{lab.log}"]', 'files = ["mail.log"]')
            else:
                text = text + "\n" + body
            lab.config_path.write_bytes(
                text.encode("utf-8", "surrogateescape")
                if name != "binary"
                else body.encode("latin-1")
            )
        daemon.reload()  # what SIGHUP does, in the loop's thread
        assert any(line.startswith("reload refused: ") for line in lab.lines), lab.lines
        # Still running, with the old policy: the allow list holds, attackers are banned.
        lab.append(_dovecot_failures("198.51.100.5") + _dovecot_failures(ATTACKER))
        daemon.step()
        assert banned(daemon) == {f"{ATTACKER}/32"}
        assert daemon.config.policy.ban_time.total_seconds() == 3600


def test_a_real_sighup_with_a_bad_file_does_not_stop_the_process(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / "m.log").touch()
    log = tmp_path / "daemon.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailwarden", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _wait_for(log, "started"), log.read_text(errors="replace")
        config.write_text(config.read_text() + '[alerts]\nurl = "file:///etc/shadow"\n')
        proc.send_signal(signal.SIGHUP)
        assert _wait_for(log, "reload refused"), log.read_text(errors="replace")
        config.write_text(config.read_text().replace("max_ban_time", "x") + "\n")
        config.write_text(
            config.read_text().replace("[policy]\n", "[policy]\nban_escalation = nan\n", 1)
        )
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert proc.poll() is None, log.read_text(errors="replace")
        assert log.read_text(errors="replace").count("reload refused") == 2
    finally:
        proc.terminate()
        proc.wait(20)


def _wait_for(path: Path, text: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


@needs_root
def test_the_postfix_map_never_overwrites_a_file_that_is_not_ours(tmp_path: Path) -> None:
    """The map is rewritten whole: ``postfix_map = "/etc/postfix/main.cf"`` (a typo)
    must stop the start, not replace Postfix's configuration."""
    if shutil.which("postfix") is None:
        pytest.skip("needs the postfix program (Debian package postfix)")
    main_cf = tmp_path / "main.cf"
    main_cf.write_text("smtpd_banner = $myhostname ESMTP\n")
    config = _config(tmp_path)
    text = config.read_text().replace(
        'backend = "none"', f'backend = "postfix-map"\npostfix_map = "{main_cf}"'
    )
    config.write_text(text)
    done = mailwarden("run", "--check", "--config", config)
    assert done.returncode == 2 and "enforce.postfix_map" in done.stderr, done.stderr
    assert main_cf.read_text() == "smtpd_banner = $myhostname ESMTP\n"
    main_cf.write_text("")
    assert mailwarden("run", "--check", "--config", config).returncode == 0
