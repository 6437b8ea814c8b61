"""The postfix-map backend: a CIDR table that real Postfix reads and enforces."""

from __future__ import annotations

import ipaddress
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nslab import CLIENT_V4, SERVER_V4, Lab, in_ns, need

from mailwarden.enforce.interface import BanEntry, BatchRefusedError, NotOursError
from mailwarden.enforce.postfix_map import HEADER, PostfixMapEnforcer

net = ipaddress.ip_network
HOSTILE = "bruteforce of user 'x\n0.0.0.0/0 OK' \t DISCARD"


def entry(network: str, seconds: float, reason: str = "bruteforce") -> BanEntry:
    return BanEntry(net(network), datetime.now(UTC) + timedelta(seconds=seconds), reason)


def postmap_query(table: Path, address: str, tmp_path: Path) -> str | None:
    """Ask Postfix's own table code what the table says for `address`."""
    if shutil.which("postmap") is None:
        pytest.skip("needs postmap (Debian package postfix)")
    config = tmp_path / "postmap-config"
    config.mkdir(exist_ok=True)
    (config / "main.cf").write_text("compatibility_level = 3.6\n")
    done = subprocess.run(
        ["postmap", "-c", str(config), "-q", address, f"cidr:{table}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.strip() if done.returncode == 0 else None


def test_postfix_reads_the_table_we_write(tmp_path: Path) -> None:
    table = tmp_path / "access.cidr"
    enforcer = PostfixMapEnforcer(table, reload_command=None)
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 3600, HOSTILE), entry("2001:db8:66::/48", 3600)])
    answer = postmap_query(table, "192.0.2.7", tmp_path)
    assert answer is not None and answer.startswith("REJECT mailwarden: banned until ")
    assert postmap_query(table, "2001:db8:66::1", tmp_path) is not None
    assert postmap_query(table, "192.0.2.8", tmp_path) is None
    assert postmap_query(table, "198.51.100.1", tmp_path) is None
    text = table.read_text()
    assert "bruteforce" not in text and "DISCARD" not in text and "OK" not in text
    assert stat.S_IMODE(table.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mailwarden-")] == []


def test_postscreen_style_says_reject(tmp_path: Path) -> None:
    table = tmp_path / "postscreen.cidr"
    PostfixMapEnforcer(table, reload_command=None, style="postscreen").sync(
        [entry("192.0.2.0/24", 60)]
    )
    assert postmap_query(table, "192.0.2.99", tmp_path) == "reject"


def test_apply_adds_removes_and_drops_expired(tmp_path: Path) -> None:
    table = tmp_path / "access.cidr"
    enforcer = PostfixMapEnforcer(table, reload_command=None)
    enforcer.sync([entry("192.0.2.7/32", 600), entry("192.0.2.8/32", 1)])
    enforcer.apply([entry("203.0.113.0/24", 600)], [net("192.0.2.7/32"), net("10.9.9.9/32")])
    time.sleep(1.1)
    enforcer.apply([], [])
    lines = table.read_text().splitlines()
    assert lines[0] + "\n" == HEADER
    assert [line.split("\t")[0] for line in lines[1:]] == ["203.0.113.0/24"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reload_recorder(log: Path, fail_flag: Path | None = None) -> list[str]:
    code = f"open({str(log)!r}, 'a').write('reload\\n')"
    if fail_flag is not None:
        code = (
            f"import os, sys\nif os.path.exists({str(fail_flag)!r}): "
            f"sys.exit('postfix: fatal: no master')\n{code}"
        )
    return [sys.executable, "-c", code]


def reloads(log: Path) -> int:
    return log.read_text().count("reload") if log.exists() else 0


def test_reloads_are_coalesced_and_none_is_lost(tmp_path: Path) -> None:
    log, clock = tmp_path / "reloads", Clock()
    table = tmp_path / "access.cidr"
    enforcer = PostfixMapEnforcer(table, reload_command=reload_recorder(log), clock=clock)
    enforcer.ensure()
    assert reloads(log) == 1  # the first change reloads at once
    enforcer.apply([entry("192.0.2.7/32", 60)], [])
    enforcer.apply([entry("192.0.2.8/32", 60)], [])
    enforcer.apply([], [net("192.0.2.7/32")])
    # Written with the reload, which waits.
    assert table.read_text() == HEADER
    assert reloads(log) == 1 and enforcer.reload_waiting
    clock.now += 4.9
    enforcer.flush()
    assert reloads(log) == 1 and table.read_text() == HEADER
    clock.now += 0.2
    enforcer.flush()
    assert [line.split("\t")[0] for line in table.read_text().splitlines()[1:]] == ["192.0.2.8/32"]
    assert reloads(log) == 2 and not enforcer.reload_waiting
    clock.now += 60
    enforcer.flush()
    assert reloads(log) == 2, "nothing waits: no reload"
    enforcer.ensure()  # already there: nothing to write, nothing to reload
    assert reloads(log) == 2
    enforcer.apply([entry("192.0.2.9/32", 60)], [])  # quiet for long enough: at once
    assert reloads(log) == 3
    enforcer.apply([entry("192.0.2.10/32", 60)], [])
    enforcer.flush(force=True)  # the daemon stops: the waiting reload runs now
    assert reloads(log) == 4 and not enforcer.reload_waiting


def test_a_burst_of_bans_is_written_once_in_order(tmp_path: Path) -> None:
    """Each ban rewrote and re-sorted the whole table (1.5 s per ban with 100,000 bans
    in it). A burst within the reload's delay is now written once, with the reload, in
    the table's order (IPv4 first, by address, the wider network first), and the ended
    bans left out; what `flush(force=True)` (the daemon's stop) finds waiting is
    written then."""
    log, clock = tmp_path / "reloads", Clock()
    table = tmp_path / "access.cidr"
    enforcer = PostfixMapEnforcer(table, reload_command=reload_recorder(log), clock=clock)
    enforcer.sync([entry("198.51.100.0/24", 600), entry("2001:db8::/32", 600)])
    written = table.stat().st_ino  # each write replaces the file: a new inode
    networks = [f"203.0.113.{n}/32" for n in range(0, 200, 3)]
    networks += [f"2001:db8:{n:x}::/48" for n in range(40)] + ["192.0.2.0/24", "192.0.2.0/25"]
    random.Random(7).shuffle(networks)
    for network in networks:
        enforcer.apply([entry(network, 600)], [])
    enforcer.apply([entry("192.0.2.200/32", 0.5)], [net("203.0.113.3/32"), net("2001:db8::/32")])
    longer = entry("203.0.113.6/32", 900)
    enforcer.apply([longer], [])  # lengthened: its line changes
    assert table.stat().st_ino == written and reloads(log) == 1
    time.sleep(0.6)  # 192.0.2.200 ends before the write
    clock.now += 5
    enforcer.flush()
    assert reloads(log) == 2 and not enforcer.reload_waiting
    lines = table.read_text().splitlines()
    assert lines[0] + "\n" == HEADER
    expected = sorted(
        (set(map(net, networks)) | {net("198.51.100.0/24")}) - {net("203.0.113.3/32")},
        key=lambda n: (n.version, n),
    )
    assert [line.split("\t")[0] for line in lines[1:]] == [str(n) for n in expected]
    (six,) = [line for line in lines if line.startswith("203.0.113.6/32\t")]
    assert six.endswith(longer.expires.strftime("until %Y-%m-%d %H:%M UTC"))

    enforcer.apply([entry("203.0.113.250/32", 600)], [])
    assert "203.0.113.250/32" not in table.read_text()
    enforcer.flush(force=True)  # the daemon stops: nothing waits unwritten
    assert "203.0.113.250/32\t" in table.read_text() and reloads(log) == 3


def test_a_failed_reload_stays_waiting_and_is_tried_again_later(tmp_path: Path) -> None:
    log, clock, broken = tmp_path / "reloads", Clock(), tmp_path / "broken"
    command = reload_recorder(log, broken)
    enforcer = PostfixMapEnforcer(tmp_path / "access.cidr", reload_command=command, clock=clock)
    broken.touch()
    with pytest.raises(BatchRefusedError, match="no master"):
        enforcer.sync([entry("192.0.2.7/32", 60)])
    assert enforcer.reload_waiting
    enforcer.flush()  # not due yet: no second try at once
    broken.unlink()
    clock.now += 5
    enforcer.flush()
    assert reloads(log) == 1 and not enforcer.reload_waiting


def test_teardown_reloads_at_once(tmp_path: Path) -> None:
    log, clock = tmp_path / "reloads", Clock()
    enforcer = PostfixMapEnforcer(
        tmp_path / "access.cidr", reload_command=reload_recorder(log), clock=clock
    )
    enforcer.sync([entry("192.0.2.7/32", 60)])
    enforcer.teardown()
    assert reloads(log) == 2 and not enforcer.reload_waiting


def test_a_failed_reload_is_an_error(tmp_path: Path) -> None:
    fail = [sys.executable, "-c", "import sys; sys.exit('postfix: fatal: no master')"]
    enforcer = PostfixMapEnforcer(tmp_path / "access.cidr", reload_command=fail)
    with pytest.raises(BatchRefusedError, match="no master"):
        enforcer.sync([entry("192.0.2.7/32", 60)])


def test_teardown_leaves_an_empty_table(tmp_path: Path) -> None:
    table = tmp_path / "access.cidr"
    enforcer = PostfixMapEnforcer(table, reload_command=None)
    enforcer.sync([entry("192.0.2.7/32", 60)])
    assert enforcer.present()
    enforcer.teardown()
    assert table.read_text() == HEADER
    table.write_text("someone else's table\n")
    assert not enforcer.present()


def test_a_table_mailwarden_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    """``postfix_map`` naming the admin's own table (a typo): `check` refuses it, and
    `ensure` and `sync` leave it as it is, as `teardown` does, saying what to do."""
    table = tmp_path / "admin.cidr"
    table.write_text("10.0.0.0/8 OK\n")
    enforcer = PostfixMapEnforcer(table, reload_command=None)
    for call in (enforcer.check, enforcer.ensure, lambda: enforcer.sync([]), enforcer.teardown):
        with pytest.raises(NotOursError, match="not written by mailwarden"):
            call()
        assert table.read_text() == "10.0.0.0/8 OK\n"
    with pytest.raises(NotOursError, match="set postfix_map to another path, or empty this"):
        enforcer.check()
    table.write_text("")  # emptied: nothing to lose, it becomes ours
    enforcer.check()
    enforcer.ensure()
    enforcer.sync([entry("192.0.2.7/32", 60)])
    assert table.read_text().startswith(HEADER + "192.0.2.7/32\t")
    enforcer.check()  # ours now


# -- real Postfix in a namespace ---------------------------------------------------------

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = mx.example.test
mydestination =
inet_interfaces = all
inet_protocols = ipv4
smtpd_client_restrictions = check_client_access cidr:{table}
smtpd_relay_restrictions = reject_unauth_destination
"""

SMTP_CLIENT = r"""
import smtplib, sys
with smtplib.SMTP(sys.argv[1], 25, timeout=20) as smtp:
    smtp.ehlo("client.example.test")
    smtp.mail("probe@example.test")
    code, text = smtp.rcpt("someone@example.net")
    print(code, text.decode())
"""


@pytest.fixture
def postfix(lab: Lab) -> Iterator[tuple[Lab, Path, list[str]]]:
    need("postfix", "postconf")
    # Not under pytest's tmp_path: its parent is 0700 and Postfix drops to its own user.
    root = Path(tempfile.mkdtemp(prefix="mw-enf-postfix-"))
    root.chmod(0o755)
    for sub in ("etc", "spool", "data"):
        (root / sub).mkdir(parents=True)
    shutil.chown(root / "data", "postfix")
    table = root / "etc" / "access.cidr"
    shutil.copy("/etc/postfix/master.cf", root / "etc" / "master.cf")
    (root / "etc" / "main.cf").write_text(MAIN_CF.format(root=root, table=table))
    PostfixMapEnforcer(table, reload_command=None).ensure()
    postfix_cmd = ["postfix", "-c", str(root / "etc")]
    try:
        in_ns(lab.server, *postfix_cmd, "start")
        assert lab.wait_connect(SERVER_V4, 25, seconds=15)
        yield lab, table, postfix_cmd
    finally:
        in_ns(lab.server, *postfix_cmd, "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def rcpt_reply(lab: Lab) -> str:
    return in_ns(lab.client, sys.executable, "-c", SMTP_CLIENT, SERVER_V4).strip()


def test_real_postfix_rejects_a_banned_client_after_reload(
    postfix: tuple[Lab, Path, list[str]],
) -> None:
    lab, table, postfix_cmd = postfix
    assert "mailwarden" not in rcpt_reply(lab)
    enforcer = PostfixMapEnforcer(table, reload_command=[*postfix_cmd, "reload"])
    enforcer.sync([])
    enforcer.apply([entry(CLIENT_V4 + "/32", 600)], [])
    enforcer.flush(force=True)  # the reload waits a few seconds after the last one
    deadline = time.monotonic() + 15
    reply = rcpt_reply(lab)
    while "mailwarden" not in reply and time.monotonic() < deadline:
        time.sleep(0.5)  # the master restarts its smtpd processes after a reload
        reply = rcpt_reply(lab)
    assert reply.startswith("554") and "mailwarden: banned until" in reply
    enforcer.apply([], [net(CLIENT_V4 + "/32")])
    enforcer.flush(force=True)
    deadline = time.monotonic() + 15
    reply = rcpt_reply(lab)
    while "mailwarden" in reply and time.monotonic() < deadline:
        time.sleep(0.5)
        reply = rcpt_reply(lab)
    assert "mailwarden" not in reply
