# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Our own sample logs for the `mailwarden analyze` tests, and a way to run the command.

Lines follow the shared reference (../shared/reference/postfix-dovecot-logs.md); attacker
addresses come from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, the
server is mx (192.0.2.254), real users live at example.com.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 2, 23, 9, 0, 0)
SERVER = "192.0.2.254"
ROOT = Path(__file__).resolve().parents[2]


def load_module(name: str, path: Path) -> Any:
    """A Python file that is not on the path (the parser corpus, the benchmark's
    generator) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stamp(seconds: float) -> str:
    """Syslog's ``%b %e %T`` for T0 + seconds (the day space-padded)."""
    t = T0 + timedelta(seconds=seconds)
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


class Log:
    """Lines in time order; each method appends one log family at ``t`` seconds."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._pid = 4000
        self._queue = 0

    def pid(self) -> int:
        self._pid += 7
        return self._pid

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def write(self, path: Path) -> Path:
        path.write_text(self.text())
        return path

    # -- Postfix ------------------------------------------------------------------------

    def smtpd(self, service: str) -> str:
        return "postfix/smtpd" if service == "smtp" else f"postfix/{service}/smtpd"

    def sasl_failures(
        self,
        t: float,
        ip: str,
        user: str,
        count: int,
        every: float = 2.0,
        service: str = "submission",
        reason: str = "authentication failure",
    ) -> None:
        """One smtpd session with ``count`` failed AUTH commands (Postfix 3.9 logs the
        username), then lost connection and the disconnect statistics."""
        pid, prog = self.pid(), self.smtpd(service)
        self.lines.append(f"{stamp(t)} mx {prog}[{pid}]: connect from unknown[{ip}]")
        for n in range(count):
            self.lines.append(
                f"{stamp(t + 1 + n * every)} mx {prog}[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: {reason}, sasl_username={user}"
            )
        end = t + 2 + count * every
        self.lines.append(
            f"{stamp(end)} mx {prog}[{pid}]: lost connection after AUTH from unknown[{ip}]"
        )
        self.lines.append(
            f"{stamp(end)} mx {prog}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/{count} commands=1/{count + 1}"
        )

    def submission_login(self, t: float, ip: str, user: str, name: str = "unknown") -> None:
        pid = self.pid()
        self._queue += 1
        qid = f"4ZqK{self._queue:07X}"
        prog = "postfix/submission/smtpd"
        self.lines += [
            f"{stamp(t)} mx {prog}[{pid}]: connect from {name}[{ip}]",
            f"{stamp(t + 1)} mx {prog}[{pid}]: {qid}: client={name}[{ip}], sasl_method=PLAIN, sasl_username={user}",
            f"{stamp(t + 1)} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<{qid}@example.com>",
            f"{stamp(t + 2)} mx postfix/qmgr[900]: {qid}: from=<{user}>, size=2345, nrcpt=1 (queue active)",
            f"{stamp(t + 3)} mx postfix/smtp[{pid + 2}]: {qid}: to=<friend@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4Zq9)",
            f"{stamp(t + 3)} mx postfix/qmgr[900]: {qid}: removed",
            f"{stamp(t + 4)} mx {prog}[{pid}]: disconnect from {name}[{ip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
        ]

    def delivery(self, t: float, ip: str = "198.51.100.201") -> None:
        """An inbound message from a friendly server: nothing about guessing."""
        pid = self.pid()
        self._queue += 1
        qid = f"4ZqD{self._queue:07X}"
        name = "mail.example.net"
        self.lines += [
            f"{stamp(t)} mx postfix/smtpd[{pid}]: connect from {name}[{ip}]",
            f"{stamp(t)} mx postfix/smtpd[{pid}]: Anonymous TLS connection established from {name}[{ip}]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
            f"{stamp(t + 1)} mx postfix/smtpd[{pid}]: {qid}: client={name}[{ip}]",
            f"{stamp(t + 1)} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<20260223@example.net>",
            f"{stamp(t + 1)} mx postfix/qmgr[900]: {qid}: from=<news@example.net>, size=5120, nrcpt=1 (queue active)",
            f"{stamp(t + 2)} mx postfix/lmtp[{pid + 2}]: {qid}: to=<alice@example.com>, relay=mx[private/dovecot-lmtp], delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 <alice@example.com> kBaAJ3k Saved)",
            f"{stamp(t + 2)} mx postfix/qmgr[900]: {qid}: removed",
            f"{stamp(t + 2)} mx postfix/smtpd[{pid}]: disconnect from {name}[{ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
        ]

    def relay_attempt(self, t: float, ip: str) -> None:
        pid = self.pid()
        self.lines += [
            f"{stamp(t)} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f"{stamp(t + 1)} mx postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <victim@example.org>: Relay access denied; from=<spam@example.biz> to=<victim@example.org> proto=ESMTP helo=<bot>",
            f"{stamp(t + 2)} mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
        ]

    def auth_outage(self, t: float, ip: str) -> None:
        pid = self.pid()
        self.lines.append(
            f"{stamp(t)} mx postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: Connection lost to authentication server"
        )

    def tls_dump_auth(
        self, t: float, ip: str, user: str, password: str, service: str = "smtp"
    ) -> None:
        """smtpd_tls_loglevel 4: the plaintext of AUTH PLAIN (first 40 bytes) in the log."""
        pid, prog = self.pid(), self.smtpd(service)
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        line = f"AUTH PLAIN {token}"
        self.lines += [
            f"{stamp(t)} mx {prog}[{pid}]: connect from unknown[{ip}]",
            f"{stamp(t)} mx {prog}[{pid}]: setting up TLS connection from unknown[{ip}]",
            f"{stamp(t + 1)} mx {prog}[{pid}]: Anonymous TLS connection established from unknown[{ip}]: TLSv1.2 with cipher RC4-SHA (128/128 bits)",
            f"{stamp(t + 1)} mx {prog}[{pid}]: Read 16 chars: EHLO localhost??",
            f"{stamp(t + 2)} mx {prog}[{pid}]: Read {len(line) + 2} chars: {line[:40]}",
            f"{stamp(t + 3)} mx {prog}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: ",
            f"{stamp(t + 3)} mx {prog}[{pid}]: Write 42 chars: 535 5.7.8 Error: authentication failed: ",
            f"{stamp(t + 4)} mx {prog}[{pid}]: disconnect from unknown[{ip}] ehlo=1 starttls=1 auth=0/1 commands=2/3",
        ]

    # -- Dovecot -------------------------------------------------------------------------

    def imap_failures(self, t: float, ip: str, user: str, count: int, session: str) -> None:
        for n in range(count):
            self.lines.append(
                f"{stamp(t + n)} mx dovecot: auth: passwd-file({user},{ip},<{session}>): Password mismatch"
            )
        self.lines.append(
            f"{stamp(t + count + 1)} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, {count} attempts in {count + 1} secs): user=<{user}>, method=PLAIN, rip={ip}, lip={SERVER}, TLS, session=<{session}>"
        )

    def imap_login(self, t: float, ip: str, user: str, session: str) -> None:
        self.lines += [
            f"{stamp(t)} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip={SERVER}, mpid=5151, TLS, session=<{session}>",
            f"{stamp(t + 30)} mx dovecot: imap({user})<5151><{session}>: Disconnected: Logged out in=120 out=4500 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
        ]

    def quiet_traffic(self, t: float, count: int) -> None:
        """Deliveries and real users' logins: the background of every mail log."""
        for n in range(count):
            self.delivery(t + n * 20)
            self.imap_login(t + n * 20 + 10, "198.51.100.210", "dave@example.com", f"Q{n}x")


def sorted_lines(lines: Iterable[str]) -> list[str]:
    """Lines ordered by their timestamp (builders may interleave)."""
    return sorted(lines, key=lambda line: line[:15])


def write_gzip(path: Path, text: str, truncate_to: int | None = None) -> Path:
    data = gzip.compress(text.encode())
    if truncate_to is not None:
        data = data[:truncate_to]
    path.write_bytes(data)
    return path


def run_analyze(
    *args: str | Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    stdin_file: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`mailwarden analyze ARGS` in a child process, as a user runs it (not a terminal).
    ``stdin``: text given through a pipe; ``stdin_file``: a file standard input is
    redirected from (``< mail.log``)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    full_env["TERM"] = "xterm-256color"  # colour would be possible: only the pipe stops it
    full_env.update(env or {})
    command = [sys.executable, "-m", "mailwarden", "analyze", *map(str, args)]
    if stdin_file is not None:
        with stdin_file.open("rb") as redirected:
            return subprocess.run(
                command, stdin=redirected, capture_output=True, text=True, check=False, env=full_env
            )
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=full_env,
    )
