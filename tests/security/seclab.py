# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Helpers for the security tests: hostile log lines, the commands run as a person runs
them, and a daemon driven step by step in this process with the dry-run backend.

Lines are our own, written from the shared reference (section 0: what a client controls);
clients come from 198.51.100.0/24, the address a client tries to smuggle in is always
`VICTIM`, the server is 192.0.2.1.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from configfile import write_config
from mailwarden.config import load_config
from mailwarden.daemon.loop import Daemon
from mailwarden.model import IPNetwork
from mailwarden.store import BanRow

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "tests" / "data" / "real"
SEED = REPO / "samples" / "seed-excerpt.txt"

VICTIM = "203.0.113.5"
"""The address a client writes into its own text: it must never become anything."""
CLIENT = "198.51.100.7"
SERVER = "192.0.2.1"
OWN: list[IPNetwork] = [ipaddress.ip_network(f"{SERVER}/32")]

FAKE_POSTFIX = f"Feb 23 11:57:45 mx postfix/smtpd[999]: warning: unknown[{VICTIM}]: SASL PLAIN authentication failed: x"
"""A whole forged Postfix entry, as a client can write it into a printable field."""
FAKE_DOVECOT = f"Feb 23 11:57:45 mx dovecot: imap-login: Disconnected (auth failed, 9 attempts in 2 secs): user=<a>, method=PLAIN, rip={VICTIM}, lip={SERVER}, session=<abc>"


def stamp(when: datetime | None = None) -> str:
    """RFC 3339 in UTC, as rsyslog's high-precision format writes it (the daemon acts on
    recent lines only)."""
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def restamp(lines: Iterable[str]) -> list[str]:
    """Lines with their classic ``Mmm dd hh:mm:ss`` stamp replaced by now."""
    now = stamp()
    out = []
    for line in lines:
        if len(line) > 16 and line[3] == " " and line[6] == " " and line[9] == ":":
            line = now + line[15:]
        out.append(line)
    return out


def mailwarden(
    *args: str | os.PathLike[str],
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The command, as a person runs it (its own process: exit status, stderr, no TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write_log(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def events_of(path: Path, *args: str) -> list[dict[str, Any]]:
    done = mailwarden("events", "--format", "jsonl", *args, path)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def analysis_of(path: Path, *args: str) -> dict[str, Any]:
    done = mailwarden("analyze", "--format", "json", *args, path)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def addresses_in(path: Path) -> tuple[set[str], set[str]]:
    """(every event ip, every attacker ip or network) that `events` and `analyze` find."""
    ips = {e["ip"] for e in events_of(path) if e["ip"]}
    attackers = set()
    for attacker in analysis_of(path)["attackers"]:
        attackers.add(attacker["ip"])
        if attacker.get("network"):
            attackers.add(attacker["network"])
    return ips, attackers


# -- a daemon in this process ----------------------------------------------------------


class Warden:
    """A log file, a dry-run configuration and daemons on them; the daemon's log lines
    are kept in `lines` (exactly what its handler would print)."""

    def __init__(self, tmp: Path, **policy: Any) -> None:
        self.tmp = tmp
        self.log = tmp / "mail.log"
        self.log.touch()
        self.config_path = tmp / "mailwarden.toml"
        self.sections: dict[str, dict[str, Any]] = {
            "sources": {"files": [str(self.log)]},
            "store": {"path": str(tmp / "state" / "mailwarden.db")},
            "enforce": {"backend": "none"},
            "policy": {"fast_failures": 3, "fast_window": "5m", **policy},
        }
        self.daemons: list[Daemon] = []
        self._buffer = io.StringIO()
        self._handler = logging.StreamHandler(self._buffer)
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("mailwarden")
        logger.addHandler(self._handler)
        self._level = logger.level
        logger.setLevel(logging.DEBUG)
        self.write()

    def write(self) -> Path:
        return write_config(self.config_path, self.sections)

    def start(self) -> Daemon:
        daemon = Daemon(load_config(self.config_path), own=lambda: list(OWN), tick=0.01)
        daemon.start()
        self.daemons.append(daemon)
        return daemon

    def append(self, lines: Iterable[str]) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")

    @property
    def lines(self) -> list[str]:
        return self._buffer.getvalue().splitlines()

    def close(self) -> None:
        for daemon in self.daemons:
            with contextlib.suppress(Exception):
                daemon.close()
        logger = logging.getLogger("mailwarden")
        logger.removeHandler(self._handler)
        logger.setLevel(self._level)


@contextlib.contextmanager
def warden(tmp: Path, **policy: Any) -> Iterator[Warden]:
    made = Warden(tmp, **policy)
    try:
        yield made
    finally:
        made.close()


def banned(daemon: Daemon) -> set[str]:
    return {str(row.network) for row in daemon.store.active_bans()}


def alert_recorder(tmp: Path) -> tuple[Path, Path]:
    """An alert command (a script) that appends each call's argv and standard input as
    one JSON line to a file: (the script, the file)."""
    record = tmp / "alerts.jsonl"
    script = tmp / "alert.py"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"with open({str(record)!r}, 'a') as out:\n"
        "    out.write(json.dumps({'argv': sys.argv[1:], 'stdin': sys.stdin.read()}) + '\\n')\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script, record


def daemon_outputs(tmp: Path, lines: Iterable[str]) -> tuple[dict[str, str], list[BanRow]]:
    """Everything a daemon writes about ``lines`` (restamped to now; a ban at the first
    failure, the :func:`alert_recorder` as alert command): its log, the store's evidence
    and reasons, ``status`` (text and JSON) and the alerts; and the store's ban rows."""
    from mailwarden.daemon.status import status_document, status_text

    script, record = alert_recorder(tmp)
    with warden(tmp, fast_failures=1) as lab:
        lab.sections["alerts"] = {"command": [str(script)]}
        lab.write()
        daemon = lab.start()
        lab.append(restamp(lines))
        daemon.step()
        daemon.alerter.close(timeout=20)
        assert daemon.store.active_bans(), "the client is banned"
        rows = daemon.store.history(1000)
        document = status_document(daemon.store, daemon.config)
        written = {
            "log": "\n".join(lab.lines),
            "evidence": "\n".join(row.evidence + "\n" + row.reason for row in rows),
            "status": status_text(document) + json.dumps(document),
            "alerts": record.read_text(encoding="utf-8") if record.exists() else "",
        }
    return written, rows
