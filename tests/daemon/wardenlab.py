"""Helpers for the daemon's tests: log lines, configuration files, a daemon driven step by
step in this process, and a daemon process inside a network namespace of its own.

Log lines are our own, written from the shared reference, with attacker addresses from
the documentation ranges; their times are now (RFC 3339, UTC), as a live log has them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from configfile import write_config
from mailwarden.cli import main
from mailwarden.config import load_config
from mailwarden.daemon.loop import Daemon
from mailwarden.model import IPNetwork
from mailwarden.store import open_store

ATTACKER = "203.0.113.7"
OTHER = "198.51.100.20"
SERVER = "192.0.2.1"
LEGIT = "192.0.2.10"
OWN = [ipaddress.ip_network(f"{SERVER}/32")]


def stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def sasl_failure(
    ip: str = ATTACKER,
    user: str = "admin",
    pid: int = 1201,
    when: datetime | None = None,
    service: str = "submission",
) -> str:
    """A Postfix SASL failure as Postfix 3.7 writes it (the username last)."""
    return (
        f"{stamp(when)} mx postfix/{service}/smtpd[{pid}]: warning: unknown[{ip}]: "
        f"SASL PLAIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}"
    )


def sasl_success(
    ip: str,
    user: str,
    pid: int = 1301,
    queue_id: str = "4XyZ1a2B3c",
    when: datetime | None = None,
) -> str:
    return (
        f"{stamp(when)} mx postfix/submission/smtpd[{pid}]: {queue_id}: client=unknown[{ip}], "
        f"sasl_method=PLAIN, sasl_username={user}"
    )


def guesses(ip: str = ATTACKER, users: Iterable[str] = ("admin", "info", "sales")) -> list[str]:
    """Three guesses of one program, stamped now (microseconds apart). A test that writes
    them in parts, with steps between, takes them from one call: parts stamped by calls
    seconds apart on a busy machine can fall 10 s apart (`mailwarden.detect.rules.PEOPLE_APART`):
    three names that colleagues behind one address may have mistyped (no ban)."""
    return [sasl_failure(ip, user, pid=1201 + n) for n, user in enumerate(users)]


def append(path: Path, lines: Iterable[str] | str) -> None:
    if isinstance(lines, str):
        lines = [lines]
    with path.open("a", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    """(exit status, error lines, output) of the command line ``args``, in this process."""
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), err.splitlines(), out


def rewrite_in_place(path: Path, kept: bytes) -> None:
    """Truncate ``path`` in place (same inode) and write ``kept`` into it: ``head -n 2
    mail.log > x; cat x > mail.log``."""
    with path.open("r+b") as out:
        out.truncate(0)
        out.write(kept)


def base_config(tmp: Path, backend: str = "none", **policy: Any) -> dict[str, dict[str, Any]]:
    return {
        "sources": {"files": [str(tmp / "mail.log")]},
        "store": {"path": str(tmp / "state" / "mailwarden.db")},
        "enforce": {"backend": backend},
        "policy": {"fast_failures": 3, "fast_window": "5m", **policy},
    }


class Warden:
    """A temp directory with a log file and a configuration, and daemons on it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.log = tmp / "mail.log"
        self.log.touch()
        self.sections = base_config(tmp)
        self.config_path = tmp / "mailwarden.toml"
        self.daemons: list[Daemon] = []
        self.write()

    def write(self) -> Path:
        return write_config(self.config_path, self.sections)

    def start(self, own: list[IPNetwork] | None = None, **options: Any) -> Daemon:
        daemon = Daemon(
            load_config(self.config_path), own=lambda: list(own or OWN), tick=0.01, **options
        )
        daemon.start()
        self.daemons.append(daemon)
        return daemon

    def close(self) -> None:
        for daemon in self.daemons:
            with contextlib.suppress(Exception):
                daemon.close()


def banned(daemon: Daemon) -> set[str]:
    return {str(row.network) for row in daemon.store.active_bans()}


def drain(daemon: Daemon) -> None:
    """Let the daemon step until it has nothing more to read."""
    while daemon.step():
        pass


def step_until(daemon: Daemon, done: Callable[[], object], timeout: float = 5.0) -> bool:
    """Let the daemon step until ``done()`` holds after a step, at most ``timeout``
    seconds. Not ``wait_until(lambda: daemon.step() or done())``: that ended at the first
    step that read anything, and a journalctl slowed by a busy machine gives its entries
    over several steps: the test went on with part of them read."""

    def stepped() -> bool:
        daemon.step()
        return bool(done())

    return wait_until(stepped, timeout)


# -- a daemon process in a network namespace of its own --------------------------------

NS_PREFIX = "mw-dmn-"


def need_root_and(*programs: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the test creates a network namespace (ip netns add)")
    for program in ("ip", *programs):
        if shutil.which(program) is None:
            pytest.skip(f"needs {program} (Debian package)")


def run(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip()}")
    return done


def mailwarden(*args: str) -> list[str]:
    return [sys.executable, "-m", "mailwarden", *args]


def reap_stale_namespaces() -> None:
    """Remove the namespaces of test runs that were killed before they could."""
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        owner = name[len(NS_PREFIX) :].split("-")[0]
        if name.startswith(NS_PREFIX) and owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            _kill_all(name)
            run("ip", "netns", "del", name, check=False)


def _kill_all(name: str) -> None:
    for pid in run("ip", "netns", "pids", name, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


class Namespace:
    """An empty network namespace (lo up); every process in it dies with it. Its name
    carries our pid, so that a later run removes it if this one is killed."""

    def __init__(self) -> None:
        reap_stale_namespaces()
        self.name = f"{NS_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        run("ip", "netns", "add", self.name)
        run("ip", "-n", self.name, "link", "set", "lo", "up")
        self.procs: list[subprocess.Popen[bytes]] = []

    def exec(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", self.name, *argv, check=check)

    def spawn(self, argv: list[str], output: Path) -> subprocess.Popen[bytes]:
        with output.open("ab") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def elements(self, set_name: str = "v4", table: str = "mailwarden") -> set[str] | None:
        """The addresses in one of our sets (None when the table is not there)."""
        done = self.exec("nft", "-j", "list", "set", "inet", table, set_name, check=False)
        if done.returncode != 0:
            return None
        found: set[str] = set()
        for item in json.loads(done.stdout)["nftables"]:
            for elem in item.get("set", {}).get("elem", []):
                value = elem["elem"]["val"] if isinstance(elem, dict) and "elem" in elem else elem
                if isinstance(value, dict) and "prefix" in value:
                    value = f"{value['prefix']['addr']}/{value['prefix']['len']}"
                found.add(str(value))
        return found

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        _kill_all(self.name)
        run("ip", "netns", "del", self.name, check=False)


@contextlib.contextmanager
def namespace() -> Iterator[Namespace]:
    ns = Namespace()
    try:
        yield ns
    finally:
        ns.close()


def wait_until(predicate: Any, timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def logrotate(folder: Path, log: Path, stanza: str) -> None:
    """Rotate ``log`` now with Debian's real logrotate, ``stanza`` (``rotate 4``,
    ``create 0640 root adm``, ``copytruncate``, one per line) in its configuration,
    which goes in ``folder`` with its state file."""
    conf = folder / "logrotate.conf"
    conf.write_text(f"{log} {{\n{stanza}\n}}\n")
    state = folder / "logrotate.state"
    done = subprocess.run(
        ["logrotate", "--force", "--state", str(state), str(conf)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def output_since(path: Path, since: int = 0) -> str:
    """What a daemon process wrote to its output file ``path`` from byte ``since`` on."""
    if not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(since)
        return f.read().decode("utf-8", "replace")


def wait_for_text(path: Path, text: str, timeout: float = 10.0) -> bool:
    return wait_until(lambda: path.exists() and text in path.read_text(errors="replace"), timeout)


def seconds_ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def fake_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, script: str) -> None:
    """Put ``script`` (a Python program, ``{python}`` standing for this interpreter) on
    PATH as the command ``name``, for the daemon to run instead of the real one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    command = bin_dir / name
    command.write_text(script.format(python=sys.executable))
    command.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def fill_store(path: str, count: int) -> None:
    """`count` active IPv6 bans of a day in the SQLite store at `path`, written as the
    daemon writes them but in one statement (not `count` transactions: the tests that
    use it are about reading them). The revision moves; the rows are not marked as
    changed (a writer of an older version, a hand edit)."""
    open_store(path).close()
    now = round(time.time())
    base = int(ipaddress.IPv6Address("2001:db8::"))
    rows = (
        (f"{ipaddress.IPv6Address(base + (n << 16))}/128", now, now + 86400, "bruteforce", "{}")
        for n in range(count)
    )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bans (network, since, until, reason, evidence, source, offences)"
            " VALUES (?, ?, ?, ?, ?, 'auto', 1)",
            rows,
        )
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    db.close()
