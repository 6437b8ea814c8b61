"""A restart after a change of ``[enforce]`` removes the old place of the bans.

A reload removed the old table; a restart (stop, edit, start) left it: ``table inet
mailwarden`` kept dropping a banned client next to the new ``mw2``, ``unban`` could not
lift it, and with ``max_ban_time = 30d`` it blocked for a month, without a word. The
daemon now keeps its place in the store (per host in a shared PostgreSQL store) and
removes the old one at start when it is provably its own; else the log names it and
the commands that remove it. The firewall tests run the daemon as a process in a
network namespace of their own (`ip netns exec NS mailwarden run`)."""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from wardenlab import (
    ATTACKER,
    Namespace,
    Warden,
    append,
    base_config,
    fake_command,
    guesses,
    mailwarden,
    namespace,
    need_root_and,
    output_since,
    step_until,
    wait_until,
    write_config,
)

from mailwarden.enforce.postfix_map import HEADER

BANNED = "203.0.113.99"


def networks(table: Path) -> list[str]:
    return [line.split("\t")[0] for line in table.read_text().splitlines()[1:]]


def test_a_restart_with_another_postfix_map_empties_the_old_one(
    warden: Warden,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_command(tmp_path, monkeypatch, "postfix", "#!/bin/sh\nexit 0\n")
    old, new = tmp_path / "old.cidr", tmp_path / "new.cidr"
    warden.sections["enforce"] = {"backend": "postfix-map", "postfix_map": str(old)}
    warden.write()
    daemon = warden.start()
    append(warden.log, guesses())
    assert step_until(daemon, lambda: networks(old) == [f"{ATTACKER}/32"])
    daemon.close()

    warden.sections["enforce"]["postfix_map"] = str(new)
    warden.write()
    caplog.clear()
    daemon = warden.start()
    assert networks(new) == [f"{ATTACKER}/32"]  # the store's ban, in the new place
    assert old.read_text() == HEADER  # emptied, not deleted: main.cf may still name it
    said = [record.getMessage() for record in caplog.records]
    assert (
        f"start: the old Postfix access map {old} is removed (bans now go to Postfix "
        f"access map {new})"
    ) in said
    daemon.close()

    caplog.clear()  # recorded: the next start has nothing to remove
    warden.start().close()
    assert not any("old" in record.getMessage() for record in caplog.records)


def test_an_old_postfix_map_someone_else_rewrote_is_left_and_said(
    warden: Warden,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_command(tmp_path, monkeypatch, "postfix", "#!/bin/sh\nexit 0\n")
    old, new = tmp_path / "old.cidr", tmp_path / "new file.cidr"
    warden.sections["enforce"] = {"backend": "postfix-map", "postfix_map": str(old)}
    warden.write()
    warden.start().close()
    old.write_text("192.0.2.0/24 REJECT the admin's own\n")
    warden.sections["enforce"]["postfix_map"] = str(new)
    warden.write()
    caplog.set_level(logging.INFO, logger="mailwarden")
    warden.start().close()
    assert old.read_text() == "192.0.2.0/24 REJECT the admin's own\n"
    (warning,) = [
        r.getMessage() for r in caplog.records if "cannot remove the old" in r.getMessage()
    ]
    assert warning.startswith(f"start: cannot remove the old Postfix access map {old}: ")
    assert warning.endswith(f"to remove it: printf '' > {old}; postfix reload")
    caplog.clear()  # said again at the next start, until it is gone
    warden.start().close()
    assert any("cannot remove the old" in r.getMessage() for r in caplog.records)


# -- nftables and ipset: a daemon process in a namespace ---------------------------------


class Running:
    def __init__(self, ns: Namespace, tmp: Path, backend: str) -> None:
        self.ns, self.tmp = ns, tmp
        self.log = tmp / "mail.log"
        self.log.touch()
        self.sections = base_config(tmp, backend)
        self.sections["enforce"]["ports"] = [25, 587]
        self.sections["policy"]["max_ban_time"] = "30d"
        self.output = tmp / "daemon.out"
        self.config = tmp / "mailwarden.toml"
        self.write()

    def write(self) -> None:
        write_config(self.config, self.sections)

    def run(self) -> str:
        """Start the daemon, let it start, stop it: what it said."""
        mark = len(self.said())
        proc = self.ns.spawn(mailwarden("run", "--config", str(self.config)), self.output)
        assert wait_until(lambda: "started: " in self.said(mark), 15), self.said(mark)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, self.said(mark)
        return self.said(mark)

    def said(self, since: int = 0) -> str:
        return output_since(self.output, since)

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.ns.exec(*mailwarden(*args, "--config", str(self.config)), check=False)

    def nft(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.ns.exec("nft", *args, check=False)


@pytest.fixture
def ns() -> Iterator[Namespace]:
    need_root_and("nft")
    with namespace() as made:
        yield made


def test_a_restart_with_another_table_removes_the_old_one(ns: Namespace, tmp_path: Path) -> None:
    running = Running(ns, tmp_path, "nftables")
    running.run()
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()  # the ban goes into table inet mailwarden
    assert BANNED in running.nft("list", "set", "inet", "mailwarden", "v4").stdout

    running.sections["enforce"]["table"] = "mw2"
    running.write()
    said = running.run()
    assert (
        "start: the old nftables table inet mailwarden is removed (bans now go to nftables "
        "table inet mw2)" in said
    ), said
    assert running.nft("list", "table", "inet", "mailwarden").returncode != 0
    assert BANNED in running.nft("list", "set", "inet", "mw2", "v4").stdout
    assert running.ctl("unban", BANNED).returncode == 0
    running.run()
    assert BANNED not in running.nft("list", "ruleset").stdout  # lifted everywhere


def test_an_old_table_holding_the_admins_rules_is_left_and_said(
    ns: Namespace, tmp_path: Path
) -> None:
    running = Running(ns, tmp_path, "nftables")
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()
    ns.exec("nft", "add", "chain", "inet", "mailwarden", "admins")
    ns.exec("nft", "add", "rule", "inet", "mailwarden", "admins", "tcp", "dport", "22", "accept")
    running.sections["enforce"]["table"] = "mw2"
    running.write()
    said = running.run()
    line = next(line for line in said.splitlines() if "cannot remove the old" in line)
    assert "start: cannot remove the old nftables table inet mailwarden: nftables: " in line
    assert line.endswith("to remove it: nft delete table inet mailwarden"), line
    listed = running.nft("list", "table", "inet", "mailwarden").stdout
    assert "dport 22 accept" in listed and BANNED in listed  # left as it was
    # Said again at each start until it is gone; once removed by hand, no more.
    assert "cannot remove the old" in running.run()
    ns.exec("nft", "delete", "table", "inet", "mailwarden")
    said = running.run()
    assert "cannot remove the old" not in said
    assert "the old nftables table inet mailwarden is removed" in said  # said once
    assert " old " not in running.run()


def test_a_start_refused_for_its_new_table_keeps_the_old_one(ns: Namespace, tmp_path: Path) -> None:
    """``table = "theirs"`` (a typo naming the admin's table): the start stops (exit 2,
    which systemd does not restart). It removed the old table first, so every ban was
    lifted while the daemon stayed stopped; the old table now stays, its bans blocking."""
    running = Running(ns, tmp_path, "nftables")
    ns.exec("nft", "add", "table", "inet", "theirs")
    ns.exec(
        "nft", "add", "chain", "inet", "theirs", "input", "{ type filter hook input priority 0; }"
    )
    ns.exec("nft", "add", "rule", "inet", "theirs", "input", "tcp", "dport", "22", "accept")
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()

    running.sections["enforce"]["table"] = "theirs"
    running.write()
    mark = len(running.said())
    proc = ns.spawn(mailwarden("run", "--config", str(running.config)), running.output)
    assert proc.wait(15) == 2, running.said(mark)
    said = running.said(mark)
    assert "enforce.table" in said and "removed" not in said, said
    assert BANNED in running.nft("list", "set", "inet", "mailwarden", "v4").stdout
    assert "dport 22 accept" in running.nft("list", "table", "inet", "theirs").stdout

    running.sections["enforce"]["table"] = "mailwarden"  # the typo fixed
    running.write()
    assert " old " not in running.run()
    assert BANNED in running.nft("list", "set", "inet", "mailwarden", "v4").stdout


REFUSING_NFT = """#!/bin/sh
# nft, except while the file FLAG exists: then a change to table inet mw2 is refused, as
# by a kernel short of memory (the old table can still be listed and deleted).
for arg in "$@"; do
    if [ "$arg" = "-f" ] && [ -e "{flag}" ]; then
        script=$(cat)
        case "$script" in
        *mw2*) echo "Error: Could not process rule: Cannot allocate memory" >&2; exit 1 ;;
        esac
        printf '%s\\n' "$script" | "{nft}" "$@"
        exit $?
    fi
done
exec "{nft}" "$@"
"""


def test_a_start_whose_new_table_fails_keeps_the_old_one_until_it_works(
    ns: Namespace, tmp_path: Path
) -> None:
    """A start whose new table nft refuses for now runs in repair mode: the old table
    stays, its bans blocking, until the new one is written; then it is removed."""
    running = Running(ns, tmp_path, "nftables")
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()
    nft = shutil.which("nft")
    assert nft is not None
    flag, bin_dir = tmp_path / "nft-refuses", tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nft").write_text(REFUSING_NFT.format(flag=flag, nft=nft))
    (bin_dir / "nft").chmod(0o755)
    flag.touch()

    running.sections["enforce"]["table"] = "mw2"
    running.write()
    mark = len(running.said())
    path = f"PATH={bin_dir}{os.pathsep}{os.environ['PATH']}"
    argv = ["env", path, *mailwarden("run", "--config", str(running.config))]
    proc = ns.spawn(argv, running.output)
    assert wait_until(lambda: "started: " in running.said(mark), 15), running.said(mark)
    said = running.said(mark)
    assert "cannot set it up at start: nft refused the change" in said, said
    assert (
        "start: the old nftables table inet mailwarden is kept until nftables table inet mw2 "
        "works" in said
    ), said
    assert BANNED in running.nft("list", "set", "inet", "mailwarden", "v4").stdout

    flag.unlink()
    assert wait_until(
        lambda: BANNED in running.nft("list", "set", "inet", "mw2", "v4").stdout, 20
    ), running.said(mark)
    removed = (
        "firewall: the old nftables table inet mailwarden is removed (bans now go to "
        "nftables table inet mw2)"
    )
    assert wait_until(lambda: removed in running.said(mark), 5), running.said(mark)
    assert running.nft("list", "table", "inet", "mailwarden").returncode != 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0, running.said(mark)
    assert " old " not in running.run()  # recorded: nothing left to remove


def test_a_restart_from_ipset_to_nftables_removes_the_jump_chain_and_sets(
    ns: Namespace, tmp_path: Path
) -> None:
    need_root_and("ipset", "iptables", "ip6tables", "iptables-restore")
    running = Running(ns, tmp_path, "ipset")
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()
    assert BANNED in ns.exec("ipset", "list", "mailwarden4").stdout
    assert "-j MAILWARDEN" in ns.exec("iptables", "-S", "INPUT").stdout

    running.sections["enforce"]["backend"] = "nftables"
    running.write()
    said = running.run()
    assert (
        "start: the old ipsets mailwarden4/mailwarden6 is removed (bans now go to nftables "
        "table inet mailwarden)" in said
    ), said
    assert "MAILWARDEN" not in ns.exec("iptables", "-S").stdout
    assert "MAILWARDEN" not in ns.exec("ip6tables", "-S").stdout
    assert ns.exec("ipset", "list", "-n").stdout.split() == []
    assert BANNED in running.nft("list", "set", "inet", "mailwarden", "v4").stdout


def test_a_restart_from_one_ipset_prefix_to_another_keeps_the_chain(
    ns: Namespace, tmp_path: Path
) -> None:
    """Both ipset places use the one chain (``MAILWARDEN``): the old place is removed
    before the new one is made, else removing it would take the new one's chain away."""
    need_root_and("ipset", "iptables", "ip6tables", "iptables-restore")
    running = Running(ns, tmp_path, "ipset")
    assert running.ctl("ban", BANNED).returncode == 0
    running.run()
    running.sections["enforce"]["ipset"] = "mw2"
    running.write()
    said = running.run()
    assert "start: the old ipsets mailwarden4/mailwarden6 is removed" in said, said
    assert ns.exec("ipset", "list", "-n").stdout.split() == ["mw24", "mw26"]
    assert BANNED in ns.exec("ipset", "list", "mw24").stdout
    rules = ns.exec("iptables", "-S").stdout
    assert "-A INPUT -j MAILWARDEN" in rules and "mw24" in rules, rules


# -- a shared PostgreSQL store: each host its own place ----------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new database on the local PostgreSQL, named by its socket: a daemon in a
    network namespace reaches it through the file system."""
    dsn = os.environ.get("MAILWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    socket = Path("/var/run/postgresql")
    if not (socket / ".s.PGSQL.5432").exists():
        pytest.skip("needs the local PostgreSQL's socket in /var/run/postgresql")
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {dsn} is unreachable: {exc}")
    name = "mw_test_" + secrets.token_hex(4)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = urlsplit(dsn).username or "postgres"
    try:
        yield urlunsplit(("postgresql", f"{user}@", "/" + name, f"host={socket}", ""))
    finally:
        with psycopg.connect(dsn, autocommit=True) as db:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            db.execute(sql.SQL(drop).format(sql.Identifier(name)))


def test_hosts_of_a_shared_store_remove_only_their_own_old_place(
    ns: Namespace, tmp_path: Path, pg_url: str
) -> None:
    """Two hosts (here one namespace, two host names) with tables of their own: the
    second's start leaves the first's table alone, and the first's restart with a new
    table removes its own old one only."""
    hosts = {}
    for host, table in (("mx1", "mwa"), ("mx2", "mwb")):
        folder = tmp_path / host
        folder.mkdir()
        running = Running(ns, folder, "nftables")
        running.sections["store"] = {"path": pg_url, "host_name": host}
        running.sections["enforce"]["table"] = table
        running.write()
        hosts[host] = running
    assert hosts["mx1"].ctl("ban", BANNED).returncode == 0
    hosts["mx1"].run()
    said = hosts["mx2"].run()
    assert "old" not in said.split("started: ")[0], said
    tables = re.findall(r"table inet (\S+)", ns.exec("nft", "list", "tables").stdout)
    assert sorted(tables) == ["mwa", "mwb"]

    hosts["mx1"].sections["enforce"]["table"] = "mwc"
    hosts["mx1"].write()
    said = hosts["mx1"].run()
    assert "start: the old nftables table inet mwa is removed" in said, said
    tables = re.findall(r"table inet (\S+)", ns.exec("nft", "list", "tables").stdout)
    assert sorted(tables) == ["mwb", "mwc"]


def test_a_restart_after_a_reload_removes_the_place_the_reload_chose(
    ns: Namespace, tmp_path: Path
) -> None:
    """The place a reload switched to is the one recorded: a restart with a third table
    removes the second (the reload removed the first)."""
    running = Running(ns, tmp_path, "nftables")
    assert running.ctl("ban", BANNED).returncode == 0
    proc = ns.spawn(mailwarden("run", "--config", str(running.config)), running.output)
    assert wait_until(lambda: "started: " in running.said(), 15), running.said()
    running.sections["enforce"]["table"] = "mw2"
    running.write()
    proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: BANNED in running.nft("list", "set", "inet", "mw2", "v4").stdout)
    assert "reload: the old nftables table inet mailwarden is removed" in running.said()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0

    running.sections["enforce"]["table"] = "mw3"
    running.write()
    said = running.run()
    assert "start: the old nftables table inet mw2 is removed" in said, said
    tables = re.findall(r"table inet (\S+)", ns.exec("nft", "list", "tables").stdout)
    assert tables == ["mw3"]
