#!/usr/bin/env python3
"""Write the sample logs that `make demo` analyses (samples/README.md tells the stories).

    scripts/make-samples.py [--out DIR]        (default: samples/ of this repository)

Writes, into DIR:

- mail.log.2.gz, mail.log.1, mail.log: three days (Monday 9 to Wednesday 11 March 2026) of
  the mail server `mx` of a small company, example.com: Postfix 3.7 (postscreen on port 25,
  submission on 587 and 465 through Dovecot SASL) and Dovecot 2.3 (IMAP, POP3, LMTP,
  `auth_verbose = yes`), written by rsyslog in the classic format and rotated daily the
  way Debian's logrotate names the files (newest last: mail.log; delaycompress);
- users.txt: the company's real accounts, for `mailwarden analyze --users`.

The line shapes are those of tests/data/real/ (real Postfix 3.7.11 and Dovecot 2.3.19
output captured in our lab) and of ../shared/reference/postfix-dovecot-logs.md. Every
address is a documentation address: the company and its people use 198.51.100.0/24 and
2001:db8:100::/48, other mail servers 192.0.2.200-250 and 2001:db8:f0::/48, attackers
and bots the rest of 192.0.2.0/24, 203.0.113.0/24 and 2001:db8::/32. Passwords are made
up.

Everything comes from one seeded random generator and no clock, so the same bytes come
out every time (tests/samples/ checks it). Stdlib only: runs with any Python 3.11.
"""

# ruff: noqa: S311  (seeded pseudo-random on purpose: the samples must come out the same)

from __future__ import annotations

import argparse
import base64
import gzip
import io
import ipaddress
import random
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20260309
START = datetime(2026, 3, 9)  # a Monday; the logs are in local time without a year
DAYS = 3
DAY = 86400.0
HOST = "mx"
MYHOSTNAME = "mx.example.com"
SERVER4 = "198.51.100.25"
SERVER6 = "2001:db8:100::25"
OFFICE = "198.51.100.10"  # the office's NAT address: many users share it
POSTFIX_VERSION = "3.7.11"
MEDIUM_CIPHERS = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH"

TLS13 = (
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
    "server-signature RSA-PSS (2048 bits) server-digest SHA256"
)
TLS13_AES128 = (
    "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 "
    "server-signature RSA-PSS (2048 bits) server-digest SHA256"
)
TLS12 = (
    "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits) key-exchange X25519 "
    "server-signature RSA-PSS (2048 bits) server-digest SHA256"
)
TLS10_RC4 = "TLSv1 with cipher RC4-SHA (128/128 bits)"

EHLO_REPLY = (
    f"250-{MYHOSTNAME}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
    "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
    "250-SMTPUTF8\r\n250 CHUNKING\r\n"
)


# ---------------------------------------------------------------------------------------
# Processes, lines, files
# ---------------------------------------------------------------------------------------


@dataclass
class Proc:
    """One use of a process of a pool (a Postfix service, a Dovecot process): the pid is
    chosen at the end, in time order, so that pids grow with time and idle Postfix
    daemons are reused the way master(8) reuses them."""

    pool: str
    start: float
    end: float
    pid: int = 0


@dataclass
class _Running:
    pid: int
    epoch: int  # how many `postfix reload`s before it started
    busy_until: float = 0.0
    last_end: float = 0.0


@dataclass(frozen=True)
class Pool:
    kind: str  # "single": one client at a time; "multi": many; "fresh": a new process
    idle: float  # seconds an idle process waits for work before it exits


POOLS = {
    "postfix/smtpd": Pool("single", 100),
    "postfix/submission/smtpd": Pool("single", 100),
    "postfix/submissions/smtpd": Pool("single", 100),
    "postfix/postscreen": Pool("multi", 100),
    "postfix/dnsblog": Pool("single", 100),
    "postfix/cleanup": Pool("single", 100),
    "postfix/lmtp": Pool("single", 100),
    "postfix/smtp": Pool("single", 100),
    "postfix/bounce": Pool("single", 100),
    "postfix/qmgr": Pool("multi", 10 * DAY),
    "postfix/postfix-script": Pool("fresh", 0),
    "dovecot-lmtp": Pool("single", 60),
    "dovecot-imap": Pool("fresh", 0),
    "dovecot-pop3": Pool("fresh", 0),
}
POSTFIX_MASTER_PID = 1187


@dataclass
class Line:
    time: float
    seq: int
    proc: Proc | str  # a Proc, or a program name that needs no pid ("dovecot")
    text: str  # `{}` stands for the pid of each of `refs` (Dovecot's mpid, lmtp(pid))
    refs: tuple[Proc, ...] = ()


class World:
    """The lines of every story and the processes that write them; `render()` gives the
    lines in time order, pids assigned."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[Line] = []
        self.procs: list[Proc] = []
        self.reloads: list[float] = []
        self._seq = 0
        self._queue_ids: set[str] = set()
        self._guids: set[str] = set()

    # -- building ------------------------------------------------------------------

    def proc(self, pool: str, start: float, end: float) -> Proc:
        assert pool in POOLS, pool
        proc = Proc(pool, start, max(start, end))
        self.procs.append(proc)
        return proc

    def log(self, time: float, proc: Proc | str, text: str, *refs: Proc) -> None:
        self._seq += 1
        self.lines.append(Line(time, self._seq, proc, text, refs))

    def queue_id(self, time: float) -> str:
        """A short Postfix queue id: microseconds (5 hex digits), then the inode."""
        while True:
            usec = round((time % 1) * 1_000_000) % 0xFFFFF
            usec ^= self.rng.randrange(0x100)
            inode = self.rng.randrange(0x20C000, 0x20CFFF)
            qid = f"{usec:05X}{inode:X}"
            if qid not in self._queue_ids:
                self._queue_ids.add(qid)
                return qid

    def guid(self) -> str:
        """A Dovecot LMTP session id (22 characters of base64)."""
        while True:
            raw = bytes(self.rng.randrange(256) for _ in range(16))
            text = base64.b64encode(raw).decode()[:22]
            if text not in self._guids:
                self._guids.add(text)
                return text

    # -- pids --------------------------------------------------------------------------

    def assign_pids(self) -> None:
        """Give every process use a pid, in time order: reuse an idle process of the pool
        that has not exited yet (nor been replaced by `postfix reload`), else start one."""
        rng = random.Random(SEED + 1)
        next_pid = 48211
        clock = 0.0
        running: dict[str, list[_Running]] = {}
        reloads = sorted(self.reloads)
        for proc in sorted(self.procs, key=lambda p: (p.start, p.end, p.pool)):
            pool = POOLS[proc.pool]
            # other processes (cron, kernel workers, …) take pids in between
            next_pid += 1 + int(max(0.0, proc.start - clock) / 45) + rng.randrange(3)
            clock = max(clock, proc.start)
            epoch = sum(1 for r in reloads if r <= proc.start)
            if proc.pool.startswith("dovecot-"):
                epoch = 0  # a Postfix reload does not touch Dovecot
            alive = [
                r
                for r in running.get(proc.pool, [])
                if r.last_end + pool.idle >= proc.start and r.epoch == epoch
            ]
            chosen = None
            if pool.kind != "fresh":
                for entry in alive:
                    if pool.kind == "multi" or entry.busy_until <= proc.start:
                        chosen = entry
                        break
            if chosen is None:
                chosen = _Running(next_pid, epoch)
                next_pid += 1
                alive.append(chosen)
            chosen.busy_until = max(chosen.busy_until, proc.end)
            chosen.last_end = max(chosen.last_end, proc.end)
            proc.pid = chosen.pid
            running[proc.pool] = alive

    # -- writing -----------------------------------------------------------------------

    def render(self) -> list[tuple[float, str]]:
        self.assign_pids()
        out = []
        for line in sorted(self.lines, key=lambda x: (x.time, x.seq)):
            if isinstance(line.proc, Proc):
                name = line.proc.pool
                if name.startswith("dovecot-"):
                    raise AssertionError("Dovecot processes have no syslog pid")
                program = f"{name}[{line.proc.pid}]"
            else:
                program = line.proc
            text = line.text
            if line.refs:
                text = text.format(*[p.pid for p in line.refs])
            out.append((line.time, f"{stamp(line.time)} {HOST} {program}: {text}"))
        return out


def stamp(time: float) -> str:
    """rsyslog's traditional format: `Mar  9 08:01:12` (the day padded with a space)."""
    moment = START + timedelta(seconds=time)
    return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S}"


def epoch_seconds(time: float) -> int:
    """POSIX time of a sample time, taking the log's local time as UTC+1 (CET)."""
    moment = (START + timedelta(seconds=time)).replace(tzinfo=timezone(timedelta(hours=1)))
    return int(moment.timestamp())


# ---------------------------------------------------------------------------------------
# People and places
# ---------------------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    home: str  # IPv4 address of their home connection
    phone64: str | None  # their phone's IPv6 /64 (SLAAC privacy addresses change daily)
    reads: tuple[str, ...] = ()  # role accounts their desktop client also opens
    desktop: str = "imap"  # "imap" or "pop3"
    sends: int = 3  # messages a day, about
    tls: str = TLS13

    @property
    def address(self) -> str:
        return f"{self.name}@example.com"


PEOPLE = [
    Person("alice", "198.51.100.31", "2001:db8:100:a1", sends=5),
    Person("bob", "198.51.100.42", "2001:db8:100:b2"),
    Person("carol", "198.51.100.47", None),
    Person("dave", "198.51.100.50", "2001:db8:100:d4"),
    Person("erin", "198.51.100.53", "2001:db8:100:e5"),
    Person("frank", "198.51.100.58", None, sends=4),
    Person("grace", "198.51.100.61", "2001:db8:100:7a"),
    Person("heidi", "198.51.100.64", "2001:db8:100:4e", reads=("jobs",), sends=4),
    Person("ivan", "198.51.100.66", "2001:db8:100:1f"),
    Person("judy", "198.51.100.69", None, reads=("info",)),
    Person("ken", "198.51.100.71", "2001:db8:100:c0", reads=("sales",), sends=4),
    Person("laura", "198.51.100.73", "2001:db8:100:3b", reads=("sales",), sends=4),
    Person("mike", "198.51.100.75", None, sends=2),
    Person("nina", "198.51.100.78", "2001:db8:100:9d", reads=("office",)),
    Person("oscar", "198.51.100.81", None, desktop="pop3", sends=2),
    # an old Windows XP laptop with Outlook 2007 at home: TLS 1.0 with RC4, AUTH LOGIN
    Person("victor", "198.51.100.84", None, desktop="pop3", sends=2, tls=TLS10_RC4),
]
ROLE_ACCOUNTS = ("info", "jobs", "office", "sales")
PEOPLE_BY_NAME = {p.name: p for p in PEOPLE}


@dataclass(frozen=True)
class Peer:
    """Another organisation's mail server: sends us mail and receives ours."""

    host: str
    ip: str
    domain: str


PEERS = [
    Peer("mail-out1.example.net", "192.0.2.201", "example.net"),
    Peer("mail-out2.example.net", "192.0.2.202", "example.net"),
    Peer("smtp.example.org", "192.0.2.210", "example.org"),
    Peer("mx.supplier.example.org", "2001:db8:f0::25", "supplier.example.org"),
    Peer("out.newsletter.example.net", "192.0.2.230", "newsletter.example.net"),
    Peer("mail.customer.example", "2001:db8:f0:1::19", "customer.example"),
    Peer("smtp.bank.example", "192.0.2.240", "bank.example"),
]
REMOTE_MX = {
    "example.net": ("mx1.example.net", "192.0.2.205"),
    "example.org": ("mx.example.org", "192.0.2.212"),
    "supplier.example.org": ("mx.supplier.example.org", "2001:db8:f0::25"),
    "customer.example": ("mail.customer.example", "2001:db8:f0:1::19"),
}
CORRESPONDENTS = ["anna", "ben", "chris", "dana", "eva", "felix", "gina", "hugo", "iris", "jan"]


def session_id(rng: random.Random, time: float, ip: str, port: int) -> str:
    """Dovecot's login session id: base64 of the µs time (48 bits, little-endian), the
    client's port (16 bits, little-endian) and address, as client_get_session_id()."""
    usec = epoch_seconds(time) * 1_000_000 + int((time % 1) * 1_000_000) + rng.randrange(1000)
    raw = struct.pack("<Q", usec)[:6] + struct.pack("<H", port)
    raw += ipaddress.ip_address(ip).packed
    return base64.b64encode(raw).decode()


def first_disallowed(user: str) -> str:
    """The first character Dovecot's default auth_username_chars refuses."""
    return next(c for c in user if not (c.isascii() and (c.isalnum() or c in ".-_@")))


def lip_for(ip: str) -> str:
    return SERVER6 if ":" in ip else SERVER4


def phone_address(rng: random.Random, prefix: str) -> str:
    groups = ":".join(f"{rng.randrange(0x1000, 0x10000):x}" for _ in range(4))
    return f"{prefix}:{groups}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def printable40(data: bytes) -> str:
    """What `Read N chars:` / `Write N chars:` show: the first 40 bytes, each byte that
    is not printable ASCII replaced by `?` (Postfix's printable())."""
    return "".join(chr(b) if 32 <= b < 127 else "?" for b in data[:40])


# The stories' own data (samples/README.md)

SPRAYERS = (
    "2001:db8:a11:1::17",
    "2001:db8:a11:1::2b",
    "2001:db8:a11:1::4c",
    "2001:db8:a11:1::91",
    "2001:db8:b22:2:5e4f::6",
    "2001:db8:b22:2:5e4f::6a",
    "2001:db8:b22:2:5e4f::e3",
    "203.0.113.61",
    "203.0.113.118",
    "203.0.113.140",
)
SPRAY_TARGETS = ("office@example.com", "jobs@example.com", "carol@example.com")

ENUM_NAMES = (
    "admin", "test", "info@example.com", "administrator", "webmaster", "postmaster",
    "support@example.com", "contact@example.com", "dave@example.com", "mail", "user",
    "office", "backup", "ivan@example.com", "marketing@example.com", "root", "demo",
    "service@example.com", "guest", "newsletter@example.com", "oscar@example.com",
    "billing@example.com", "hr@example.com", "noreply@example.com", "shop@example.com",
    "sales", "test1", "it@example.com", "finance@example.com", "ceo@example.com",
    "reception@example.com", "hello@example.com", "team@example.com", "www",
    "helpdesk@example.com", "accounting@example.com",
)  # fmt: skip

PASSWORDS = {  # made up; in the log only through the TLS level-4 dumps
    "alice@example.com": "Tulpen-im-Maerz-7",
    "bob@example.com": "b0b-Garden!",
    "victor@example.com": "Victor1962",
    "jobs@example.com": "Spring2026!",
}

INJECTED = "203.0.113.5"


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------


class Samples:
    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.level4: tuple[float, float] | None = None
        """The stretch with `-o smtpd_tls_loglevel=4` on submission."""
        self.postscreen_seen: set[str] = set()
        self.spam_rejects: set[str] = set()
        """Recipients whose servers refuse the intruder's spam (story 5)."""
        self.bounced: set[str] = set()
        self.one_off: list[str] = []
        """Addresses of bots that come once."""

    # -- small helpers -------------------------------------------------------------------

    def jitter(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def port(self) -> int:
        return self.rng.randrange(32768, 61000)

    def message_id(self, time: float, domain: str) -> str:
        moment = START + timedelta(seconds=time)
        return f"<{moment:%Y%m%d%H%M%S}.{self.rng.randrange(16**6):06X}@{domain}>"

    def at(self, day: int, hh: int, mm: int = 0, ss: float = 0.0) -> float:
        return day * DAY + hh * 3600 + mm * 60 + ss

    # -- deliveries --------------------------------------------------------------------

    def deliver(self, qid: str, t: float, rcpts: Sequence[str], msgid: str, sender: str) -> float:
        """qmgr hands the queued message to LMTP (local) or SMTP (remote); returns the
        time of `removed`."""
        w = self.w
        end = t
        local = [r for r in rcpts if r.endswith("@example.com")]
        remote = [r for r in rcpts if not r.endswith("@example.com")]
        if local:
            start = t + self.jitter(0.02, 0.15)
            lmtp = w.proc("postfix/lmtp", start, start + 0.4)
            dlmtp = w.proc("dovecot-lmtp", start + 0.003, start + 0.4)
            w.log(start + 0.01, "dovecot", "lmtp({}): Connect from local", dlmtp)
            s = start
            for rcpt in local:
                s += self.jitter(0.03, 0.12)
                guid = w.guid()
                w.log(
                    s,
                    "dovecot",
                    f"lmtp({rcpt})<{{}}><{guid}>: msgid={msgid}: saved mail to INBOX",
                    dlmtp,
                )
                delay = s - t + self.jitter(0.05, 0.3)
                w.log(
                    s + 0.005,
                    lmtp,
                    f"{qid}: to=<{rcpt}>, relay={MYHOSTNAME}[private/dovecot-lmtp], "
                    f"delay={delay:.2f}, delays={delay * 0.4:.2f}/0.01/0.02/{delay * 0.5:.2f}, "
                    f"dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> {guid} Saved)",
                )
            w.log(
                s + 0.01,
                "dovecot",
                "lmtp({}): Disconnect from local: Client has quit the connection (state=READY)",
                dlmtp,
            )
            end = max(end, s + 0.02)
        by_domain: dict[str, list[str]] = {}
        for rcpt in remote:
            by_domain.setdefault(rcpt.rpartition("@")[2], []).append(rcpt)
        for domain, group in by_domain.items():
            host, ip = REMOTE_MX.get(domain, ("mx1.example.net", "192.0.2.205"))
            start = t + self.jitter(0.05, 0.3)
            took = self.jitter(0.4, 1.6)
            smtp = w.proc("postfix/smtp", start, start + took)
            relay = f"{host}[{ip}]:25"
            refused = False
            for rcpt in group:
                status, detail = self.remote_outcome(rcpt)
                w.log(
                    start + took,
                    smtp,
                    f"{qid}: to=<{rcpt}>, relay={relay}, delay={start + took - t + 0.3:.1f}, "
                    f"delays=0.1/0.01/{took * 0.4:.2f}/{took * 0.6:.2f}, "
                    f"dsn={detail[0]}, status={status} ({detail[1]})",
                )
                refused = refused or status == "bounced"
            end = max(end, start + took + 0.01)
            if refused and sender and qid not in self.bounced:
                self.bounced.add(qid)
                self.bounce_notice(start + took + 0.02, qid, sender)
        return end

    def remote_outcome(self, rcpt: str) -> tuple[str, tuple[str, str]]:
        if rcpt in self.spam_rejects:
            host, ip = REMOTE_MX.get(rcpt.rpartition("@")[2], ("mx1.example.net", "192.0.2.205"))
            return "bounced", (
                "5.7.1",
                f"host {host}[{ip}] said: 550 5.7.1 Message rejected as spam "
                "(in reply to end of DATA command)",
            )
        queued = "".join(self.rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZ") for _ in range(11))
        return "sent", ("2.0.0", f"250 2.0.0 Ok: queued as {queued}")

    def queued(
        self,
        t: float,
        smtpd: Proc,
        client: str,
        sender: str,
        rcpts: Sequence[str],
        sasl: tuple[str, str] | None,
        msgid_domain: str,
        data_end: float | None = None,
        message: tuple[str, int] | None = None,
    ) -> str:
        """One message accepted by smtpd: `client=` at the first RCPT (time `t`), then at
        the end of DATA (`data_end`) cleanup and qmgr, the deliveries, `removed`.
        `message`: its Message-ID and size when the log shows the message itself.
        Returns the queue id."""
        w = self.w
        qid = self.w.queue_id(t)
        line = f"{qid}: client={client}"
        if sasl is not None:
            line += f", sasl_method={sasl[0]}, sasl_username={sasl[1]}"
        w.log(t, smtpd, line)
        d = data_end if data_end is not None else t + self.jitter(0.1, 0.3)
        cleanup = w.proc("postfix/cleanup", t, d + 0.05)
        if message is None:
            message = (self.message_id(t, msgid_domain), self.rng.randrange(1800, 90000))
        msgid, size = message
        w.log(d + 0.01, cleanup, f"{qid}: message-id={msgid}")
        qmgr = w.proc("postfix/qmgr", d + 0.02, d + 0.03)
        w.log(
            d + 0.02,
            qmgr,
            f"{qid}: from=<{sender}>, size={size}, nrcpt={len(rcpts)} (queue active)",
        )
        end = self.deliver(qid, d + 0.03, rcpts, msgid, sender)
        removed = w.proc("postfix/qmgr", end + 0.01, end + 0.02)
        w.log(end + 0.01, removed, f"{qid}: removed")
        return qid

    def bounce_notice(self, t: float, qid: str, sender: str) -> None:
        """The non-delivery notification for a message that a remote server refused,
        delivered to the sender's mailbox."""
        w = self.w
        new = self.w.queue_id(t)
        bounce = w.proc("postfix/bounce", t, t + 0.1)
        w.log(t, bounce, f"{qid}: sender non-delivery notification: {new}")
        cleanup = w.proc("postfix/cleanup", t + 0.01, t + 0.1)
        msgid = f"<{stamp_compact(t)}.{new}@{MYHOSTNAME}>"
        w.log(t + 0.02, cleanup, f"{new}: message-id={msgid}")
        qmgr = w.proc("postfix/qmgr", t + 0.03, t + 0.1)
        size = self.rng.randrange(4000, 9000)
        w.log(t + 0.03, qmgr, f"{new}: from=<>, size={size}, nrcpt=1 (queue active)")
        end = self.deliver(new, t + 0.05, [sender], msgid, "")
        removed = w.proc("postfix/qmgr", end, end + 0.01)
        w.log(end + 0.01, removed, f"{new}: removed")

    # -- ordinary traffic ----------------------------------------------------------------

    def inbound(self, t: float, peer: Peer, rcpts: Sequence[str]) -> None:
        """A message from another mail server: postscreen, then smtpd on port 25."""
        w = self.w
        port = self.port()
        lip = lip_for(peer.ip)
        psc = w.proc("postfix/postscreen", t, t + 1.2)
        w.log(t, psc, f"CONNECT from [{peer.ip}]:{port} to [{lip}]:25")
        if peer.ip in self.postscreen_seen:
            w.log(t + 0.001, psc, f"PASS OLD [{peer.ip}]:{port}")
            s = t + 0.01
        else:
            self.postscreen_seen.add(peer.ip)
            w.log(t + 6.02, psc, f"PASS NEW [{peer.ip}]:{port}")
            s = t + 6.03
        client = f"{peer.host}[{peer.ip}]"
        took = self.jitter(0.6, 2.5)
        smtpd = w.proc("postfix/smtpd", s, s + took)
        w.log(s, smtpd, f"connect from {client}")
        w.log(s + 0.08, smtpd, f"Anonymous TLS connection established from {client}: {TLS13}")
        sender = f"{self.rng.choice(CORRESPONDENTS)}@{peer.domain}"
        if "newsletter" in peer.host:
            sender = f"bounce-{self.rng.randrange(10**6, 10**7)}@{peer.domain}"
        self.queued(s + 0.3, smtpd, client, sender, rcpts, None, peer.domain)
        stats = f"ehlo=2 starttls=1 mail=1 rcpt={len(rcpts)} data=1 quit=1"
        commands = 6 + len(rcpts)
        w.log(s + took, smtpd, f"disconnect from {client} {stats} commands={commands}")

    def submit(
        self,
        t: float,
        ip: str,
        user: str,
        rcpts: Sequence[str],
        service: str = "submission",
        mech: str = "PLAIN",
        tls: str = TLS13,
        messages: int = 1,
    ) -> float:
        """A user (or an intruder) sends mail through submission (587) or submissions
        (465) after a successful SMTP AUTH."""
        w = self.w
        if self.in_level4(t) and service == "submission":
            return self.submit_level4(t, ip, user, rcpts, tls, mech)
        took = self.jitter(0.8, 2.0) * messages
        smtpd = w.proc(f"postfix/{service}/smtpd", t, t + took + 0.1)
        client = f"unknown[{ip}]"
        w.log(t, smtpd, f"connect from {client}")
        w.log(t + 0.09, smtpd, f"Anonymous TLS connection established from {client}: {tls}")
        s = t + 0.35
        for _ in range(messages):
            self.queued(s, smtpd, client, user, rcpts, (mech, user), "example.com")
            s += took / messages
        if service == "submission":
            stats = "ehlo=2 starttls=1 auth=1"
            commands = 5
        else:
            stats = "ehlo=1 auth=1"
            commands = 3
        stats += f" mail={messages} rcpt={messages * len(rcpts)} data={messages} quit=1"
        commands += messages * (2 + len(rcpts))
        w.log(t + took + 0.1, smtpd, f"disconnect from {client} {stats} commands={commands}")
        return t + took

    def imap_login(
        self,
        t: float,
        ip: str,
        user: str,
        length: float,
        protocol: str = "imap",
        idle: bool = False,
    ) -> None:
        """A successful IMAP or POP3 login and, `length` seconds later, its logout."""
        w = self.w
        mail = w.proc(f"dovecot-{protocol}", t, t + length)
        sid = session_id(self.rng, t, ip, self.port())
        w.log(
            t,
            "dovecot",
            f"{protocol}-login: Login: user=<{user}>, method=PLAIN, rip={ip}, "
            f"lip={lip_for(ip)}, mpid={{}}, TLS, session=<{sid}>",
            mail,
        )
        if protocol == "pop3":
            count = self.rng.randrange(0, 4)
            size = sum(self.rng.randrange(2000, 40000) for _ in range(count))
            end = (
                f"Disconnected: Logged out top=0/0, retr={count}/{size + 40 * count}, "
                f"del={count}/{count}, size={size}"
            )
        else:
            hdr_count = self.rng.randrange(0, 20)
            hdr_bytes = hdr_count * self.rng.randrange(300, 700)
            body_count = self.rng.randrange(0, 4)
            body_bytes = body_count * self.rng.randrange(1500, 30000)
            inn = self.rng.randrange(90, 900)
            out = hdr_bytes + body_bytes + self.rng.randrange(400, 4000)
            counters = (
                f"in={inn} out={out} deleted=0 expunged=0 trashed=0 hdr_count={hdr_count} "
                f"hdr_bytes={hdr_bytes} body_count={body_count} body_bytes={body_bytes}"
            )
            if idle:
                waited = self.jitter(5, 1750)  # clients renew IDLE within 29 minutes
                end = (
                    f"Disconnected: Connection closed (IDLE running for 0.001 + waiting input "
                    f"for {waited:.3f} secs, 2 B in + 10+10 B out, state=wait-input) {counters}"
                )
            else:
                end = f"Disconnected: Logged out {counters}"
        w.log(t + length, "dovecot", f"{protocol}({user})<{{}}><{sid}>: {end}", mail)

    def dovecot_failure(
        self,
        t: float,
        ip: str,
        attempts: Sequence[tuple[str, str]],
        protocol: str = "imap",
        ending: str = "Connection closed",
        tls: bool = True,
    ) -> float:
        """A Dovecot login connection whose attempts all fail: one auth-process line per
        attempt (auth_verbose), the login process's line when the connection ends.
        `attempts` are (username, auth line message) pairs."""
        w = self.w
        sid = session_id(self.rng, t, ip, self.port())
        s = t + self.jitter(0.05, 0.4)
        for n, (user, message) in enumerate(attempts):
            if message.startswith("Username character disallowed"):
                prefix = f"plain(?,{ip},<{sid}>)"
            else:
                prefix = f"passwd-file({user},{ip},<{sid}>)"
            w.log(s, "dovecot", f"auth: {prefix}: {message}")
            if n + 1 < len(attempts):
                s += 2 + self.jitter(0.3, 4)
        s += 2.0 + self.jitter(0.0, 0.2)
        secs = int(s - t)
        user = attempts[-1][0]
        secured = ", TLS" if tls else ""
        w.log(
            s,
            "dovecot",
            f"{protocol}-login: Disconnected: {ending} (auth failed, {len(attempts)} attempts "
            f"in {secs} secs): user=<{user}>, method=PLAIN, rip={ip}, lip={lip_for(ip)}"
            f"{secured}, session=<{sid}>",
        )
        return s

    def sasl_failures(
        self,
        t: float,
        ip: str,
        attempts: Sequence[tuple[str, str]],
        service: str = "submission",
        mech: str = "LOGIN",
        quit: bool = True,
        tls: str = TLS12,
    ) -> float:
        """One SMTP connection with failed AUTH attempts. `attempts`: (username, outcome)
        where outcome is "mismatch", "unknown", "lost" (Postfix gave up waiting for
        Dovecot's penalty delay) or "chars" (a name Dovecot refuses)."""
        w = self.w
        client = f"unknown[{ip}]"
        s = t + 0.1
        lines: list[tuple[float, str | None, str]] = []
        lines.append((t, None, f"connect from {client}"))
        lines.append((t + 0.09, None, f"Anonymous TLS connection established from {client}: {tls}"))
        for user, outcome in attempts:
            s += self.jitter(0.2, 0.9)
            if outcome == "lost":
                s += 10.0 + self.jitter(0.0, 0.05)
                lines.append(
                    (
                        s,
                        None,
                        f"warning: {client}: SASL {mech} authentication failed: "
                        "Connection lost to authentication server, sasl_username=(unavailable)",
                    )
                )
                continue
            if outcome == "chars":
                char = first_disallowed(user)
                message = (
                    f"Username character disallowed by auth_username_chars: 0x{ord(char):02x} "
                    f"(username: {user})"
                )
                lines.append((s + 0.02, "auth", f"auth: {mech.lower()}(?,{ip}): {message}"))
            else:
                message = "unknown user" if outcome == "unknown" else "Password mismatch"
                lines.append((s + 0.02, "auth", f"auth: passwd-file({user},{ip}): {message}"))
            s += 2.0 + self.jitter(0.0, 0.1)
            lines.append(
                (
                    s,
                    None,
                    f"warning: {client}: SASL {mech} authentication failed: "
                    f"(reason unavailable), sasl_username={user}",
                )
            )
        s += self.jitter(0.05, 0.4)
        n = len(attempts)
        if service == "submission":
            stats = f"ehlo=2 starttls=1 auth=0/{n}"
            ok, total = 3, 3 + n
        else:
            stats = f"ehlo=1 auth=0/{n}"
            ok, total = 1, 1 + n
        if quit:
            stats += " quit=1"
            ok, total = ok + 1, total + 1
        else:
            lines.append((s - 0.01, None, f"lost connection after AUTH from {client}"))
        lines.append((s, None, f"disconnect from {client} {stats} commands={ok}/{total}"))
        smtpd = w.proc(f"postfix/{service}/smtpd", t, s)
        for time, who, text in lines:
            w.log(time, "dovecot" if who else smtpd, text)
        return s

    # -- the company's day ---------------------------------------------------------------

    def ordinary_day(self, day: int) -> None:
        rng = self.rng
        people = PEOPLE
        # who works from home today (Wednesday: a few)
        at_home = {p.name for p in people if rng.random() < (0.25 if day == 2 else 0.1)}
        at_home.discard("victor")  # victor always works from home, on his old laptop
        for person in people:
            arrive = self.at(day, 7, 40) + rng.uniform(0, 85 * 60)
            leave = self.at(day, 16, 20) + rng.uniform(0, 120 * 60)
            home = person.name in at_home or person.name == "victor"
            desk_ip = person.home if home else OFFICE
            # the desktop client: opens INBOX at arrival, keeps IDLE until leaving;
            # reconnects after lunch
            lunch = self.at(day, 12, 10) + rng.uniform(0, 70 * 60)
            if person.desktop == "imap":
                for user in (person.address, *(f"{r}@example.com" for r in person.reads)):
                    start = arrive + rng.uniform(0, 4)
                    self.imap_login(start, desk_ip, user, lunch - start, idle=True)
                    back = lunch + rng.uniform(40, 60) * 60
                    self.imap_login(back, desk_ip, user, leave - back, idle=True)
            else:
                check = arrive
                while check < leave:
                    self.imap_login(check, desk_ip, person.address, rng.uniform(1, 6), "pop3")
                    check += rng.uniform(25, 40) * 60
            # the phone: polls every hour or so from 07:00 to 23:00 over mobile data
            if person.phone64 is not None and not (person.name == "grace" and day == 2):
                address = phone_address(rng, person.phone64)
                poll = self.at(day, 6, 50) + rng.uniform(0, 40 * 60)
                while poll < self.at(day, 23, 0):
                    self.imap_login(poll, address, person.address, rng.uniform(2, 25))
                    poll += rng.uniform(60, 130) * 60
            # mail sent
            for _ in range(max(0, person.sends + rng.randrange(-2, 1))):
                t = arrive + rng.uniform(10 * 60, max(20 * 60, leave - arrive - 10 * 60))
                rcpts = self.recipients(person)
                if self.in_level4(t):  # level4_stretch() has the sessions of that hour
                    t = self.at(day, 11, 5) + rng.uniform(0, 3600)
                mech = "LOGIN" if person.tls == TLS10_RC4 else "PLAIN"
                self.submit(t, desk_ip, person.address, rcpts, mech=mech, tls=person.tls)
            if person.phone64 is not None and rng.random() < 0.5:
                t = self.at(day, 18, 30) + rng.uniform(0, 3 * 3600)
                address = phone_address(rng, person.phone64)
                rcpts = self.recipients(person)
                self.submit(t, address, person.address, rcpts, "submissions", tls=TLS13_AES128)
        # mail from outside, around the clock but mostly in office hours
        for _ in range(30 + rng.randrange(-4, 5)):
            if rng.random() < 0.8:
                t = self.at(day, 7) + rng.uniform(0, 11 * 3600)
            else:
                t = self.at(day, 0) + rng.uniform(0, DAY - 60)
            peer = rng.choice(PEERS)
            rcpt = rng.choice([*PEOPLE, *ROLE_ACCOUNTS])
            rcpt_address = rcpt.address if isinstance(rcpt, Person) else f"{rcpt}@example.com"
            self.inbound(t, peer, [rcpt_address])

    def recipients(self, person: Person) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if rng.random() < 0.4:
                other = rng.choice([p for p in PEOPLE if p is not person])
                address = other.address
            else:
                domain = rng.choice(list(REMOTE_MX))
                address = f"{rng.choice(CORRESPONDENTS)}@{domain}"
            if address not in out:
                out.append(address)
        return out

    # -- background noise on port 25 (story 10) --------------------------------------------

    def bots(self, day: int) -> None:
        """Bots on port 25: most come once (a greeting before the banner, a listed
        address, a relay attempt, a hang-up); a few come back every day."""
        rng = self.rng
        if not self.one_off:
            self.one_off = [f"203.0.113.{n}" for n in range(150, 200)]
            self.one_off += [f"192.0.2.{n}" for n in range(50, 100) if n not in (99,)]
            self.one_off += [f"2001:db8:bad:{n:x}::{n * 7 % 251:x}" for n in range(2, 40)]
            rng.shuffle(self.one_off)
        regulars = {
            "pregreet": ["203.0.113.163"],
            "listed": ["2001:db8:bad:1::2"],
            "relay": ["192.0.2.36"],
        }
        for _ in range(20):
            kind = rng.choice(["pregreet", "pregreet", "listed", "listed", "relay", "hangup"])
            if kind in regulars and rng.random() < 0.3:
                ip = regulars[kind][0]
            else:
                ip = self.one_off.pop()
            t = self.at(day, 0) + rng.uniform(0, DAY - 60)
            getattr(self, f"bot_{kind}")(t, ip)

    def bot_pregreet(self, t: float, ip: str) -> None:
        w = self.w
        port = self.port()
        psc = w.proc("postfix/postscreen", t, t + 7)
        w.log(t, psc, f"CONNECT from [{ip}]:{port} to [{lip_for(ip)}]:25")
        helo = self.rng.choice(["User", "ylmf-pc", "WIN-CLJ1B0GQ6JP", "localhost"])
        after = self.rng.uniform(0.05, 0.6)
        w.log(
            t + after,
            psc,
            f"PREGREET {len(helo) + 7} after {after:.2f} from [{ip}]:{port}: EHLO {helo}\\r\\n",
        )
        w.log(
            t + 6.9,
            psc,
            f"NOQUEUE: reject: RCPT from [{ip}]:{port}: 550 5.5.1 Protocol error; "
            f"from=<spameri@tiscali.example>, to=<{self.rng.choice(CORRESPONDENTS)}@example.com>, "
            f"proto=ESMTP, helo=<{helo}>",
        )
        w.log(t + 7.0, psc, f"DISCONNECT [{ip}]:{port}")

    def bot_listed(self, t: float, ip: str) -> None:
        w = self.w
        port = self.port()
        psc = w.proc("postfix/postscreen", t, t + 8)
        dnsblog = w.proc("postfix/dnsblog", t + 0.01, t + 0.2)
        w.log(t, psc, f"CONNECT from [{ip}]:{port} to [{lip_for(ip)}]:25")
        code = self.rng.choice([2, 3, 4])
        w.log(t + 0.15, dnsblog, f"addr {ip} listed by domain zen.spamhaus.org as 127.0.0.{code}")
        w.log(t + 6.0, psc, f"DNSBL rank 3 for [{ip}]:{port}")
        w.log(
            t + 7.8,
            psc,
            f"NOQUEUE: reject: RCPT from [{ip}]:{port}: 550 5.7.1 Service unavailable; "
            f"client [{ip}] blocked using zen.spamhaus.org; from=<info@shop.example>, "
            f"to=<{self.rng.choice(PEOPLE).address}>, proto=ESMTP, helo=<[{ip}]>",
        )
        w.log(t + 8.0, psc, f"DISCONNECT [{ip}]:{port}")

    def bot_relay(self, t: float, ip: str) -> None:
        w = self.w
        port = self.port()
        psc = w.proc("postfix/postscreen", t, t + 6.1)
        w.log(t, psc, f"CONNECT from [{ip}]:{port} to [{lip_for(ip)}]:25")
        if ip in self.postscreen_seen:
            w.log(t + 0.001, psc, f"PASS OLD [{ip}]:{port}")
            s = t + 0.01
        else:
            self.postscreen_seen.add(ip)
            w.log(t + 6.02, psc, f"PASS NEW [{ip}]:{port}")
            s = t + 6.03
        count = self.rng.randrange(1, 3)
        smtpd = w.proc("postfix/smtpd", s, s + 2 + count)
        client = f"unknown[{ip}]"
        w.log(s, smtpd, f"connect from {client}")
        for n in range(count):
            victim = f"{self.rng.choice(CORRESPONDENTS)}{self.rng.randrange(10, 99)}@example.net"
            w.log(
                s + 1 + n,
                smtpd,
                f"NOQUEUE: reject: RCPT from {client}: 554 5.7.1 <{victim}>: Relay access "
                f"denied; from=<test@example.com> to=<{victim}> proto=ESMTP helo=<{ip}>",
            )
        w.log(
            s + 2 + count,
            smtpd,
            f"disconnect from {client} ehlo=1 mail=1 rcpt=0/{count} rset=1 quit=1 "
            f"commands=4/{4 + count}",
        )

    def bot_hangup(self, t: float, ip: str) -> None:
        w = self.w
        port = self.port()
        psc = w.proc("postfix/postscreen", t, t + 1)
        after = self.rng.uniform(0.3, 3.0)
        w.log(t, psc, f"CONNECT from [{ip}]:{port} to [{lip_for(ip)}]:25")
        w.log(
            t + after,
            psc,
            f"HANGUP after {after:.2g} from [{ip}]:{port} in tests before SMTP handshake",
        )
        w.log(t + after, psc, f"DISCONNECT [{ip}]:{port}")

    # -- story 1: fast SMTP AUTH brute force on submission ---------------------------------

    def fast_bruteforce(self) -> None:
        ip = "192.0.2.44"
        target = "info@example.com"
        t = self.at(0, 3, 12, 7.0)
        for n in range(11):  # three parallel connections, several guesses each
            attempts = []
            for k in range(self.rng.choice([1, 2, 2, 3])):
                attempts.append((target, "lost" if (n + k) % 6 == 5 else "mismatch"))
            for lane in range(3):
                self.sasl_failures(
                    t + lane * 1.7, ip, attempts, quit=self.rng.random() < 0.7, tls=TLS12
                )
            t += self.jitter(18, 34)

    # -- story 2: the slow guesser ---------------------------------------------------------

    def slow_guesser(self) -> None:
        ip = "192.0.2.123"
        target = "heidi@example.com"
        t = self.at(0, 14, 5, 31.0)
        end = self.at(1, 11, 50)
        while t < end:
            self.dovecot_failure(t, ip, [(target, "Password mismatch")])
            t += self.jitter(21, 34) * 60  # two or three an hour, never three in one

    # -- story 3: password spraying ----------------------------------------------------------

    def spraying(self) -> None:
        rng = self.rng
        plan: list[tuple[float, str, str]] = []
        slot = self.at(1, 0, 35)
        for n, ip in enumerate(SPRAYERS):
            tries = 2 if n % 3 else 3
            targets = SPRAY_TARGETS[n % 3 :] + SPRAY_TARGETS[: n % 3]
            times = sorted(rng.uniform(0, 22 * 3600) for _ in range(tries))
            for k in range(1, tries):  # each client's own tries at least 2 h apart
                times[k] = max(times[k], times[k - 1] + 2.2 * 3600)
            for when, target in zip(times, targets, strict=False):
                plan.append((slot + when, ip, target))
        plan.sort()
        for when, ip, target in plan:
            if ip == "203.0.113.61" and target == "jobs@example.com":
                continue  # this one happens inside the smtpd_tls_loglevel = 4 stretch
            if ":" in ip:
                self.dovecot_failure(
                    when, ip, [(target, "Password mismatch")], ending="Aborted login by logging out"
                )
            else:
                self.sasl_failures(when, ip, [(target, "mismatch")], mech="PLAIN", quit=True)

    # -- story 4: enumeration ----------------------------------------------------------------

    def enumeration(self) -> None:
        ip = "192.0.2.150"
        t = self.at(2, 3, 31, 12.0)
        real = {"dave@example.com", "ivan@example.com", "oscar@example.com", "info@example.com"}
        for name in ENUM_NAMES:
            message = "Password mismatch" if name in real else "unknown user"
            self.dovecot_failure(t, ip, [(name, message)], protocol="pop3")
            t += self.jitter(62, 95)  # one a minute and a bit: under fail2ban's radar

    # -- story 5: the compromise ---------------------------------------------------------------

    def compromise(self) -> None:
        ip = "192.0.2.187"
        account = "sales@example.com"
        t = self.at(2, 13, 38, 2.0)
        for n in range(6):
            attempts = [(account, "mismatch")] * (2 if n % 2 else 1)
            end = self.sasl_failures(t, ip, attempts, quit=False, tls=TLS12)
            t = end + self.jitter(6, 14)
        # the password (a weak one) is found; spam goes out from the account
        targets = [
            f"{name}{n}@{domain}"
            for n in range(1, 4)
            for name in CORRESPONDENTS
            for domain in ("example.net", "example.org")
        ]
        self.rng.shuffle(targets)
        self.spam_rejects.update(targets[::7])
        t = self.at(2, 13, 47, 21.0)
        for batch in range(6):
            rcpts = targets[batch * 8 : batch * 8 + 8]
            t = self.submit(t, ip, account, rcpts, mech="LOGIN", tls=TLS12, messages=2)
            if batch == 1:
                # … and reads the mailbox (reply chains to hijack, invoices, contacts)
                self.imap_login(t + 40, ip, account, 212.0)
            t += self.jitter(150, 420)
        self.imap_login(t + 300, ip, account, 95.0)

    # -- story 6: the phone with a stale password -------------------------------------------

    def stale_phone(self) -> None:
        grace = PEOPLE_BY_NAME["grace"]
        assert grace.phone64 is not None
        phone = f"{grace.phone64}:8d3f:21c4:5e6b:1c09"
        day = 2
        # the phone polls as usual in the morning …
        t = self.at(day, 6, 58, 40.0)
        while t < self.at(day, 9, 0):
            self.imap_login(t, phone, grace.address, self.jitter(3, 12))
            t += self.jitter(40, 70) * 60
        self.imap_login(self.at(day, 8, 56, 2.0), phone, grace.address, 7.0)
        # at 09:10 grace changes her password on her desktop (webmail: no log line) …
        # … and her phone keeps the old one: it fails every five minutes for an hour
        t = self.at(day, 9, 12, 15.0)
        while t < self.at(day, 10, 15):
            self.dovecot_failure(
                t,
                phone,
                [(grace.address, "Password mismatch")],
                ending="Aborted login by logging out",
            )
            t += self.jitter(4.5, 5.5) * 60
        # until she types the new one into it
        t = self.at(day, 10, 21, 44.0)
        while t < self.at(day, 23):
            self.imap_login(t, phone, grace.address, self.jitter(3, 12))
            t += self.jitter(40, 80) * 60

    # -- story 7: Dovecot's auth restarts under a user --------------------------------------

    def auth_restart(self) -> None:
        w = self.w
        t = self.at(0, 12, 31, 3.0)
        w.log(t - 0.4, "dovecot", "master: Warning: SIGHUP received - reloading configuration")
        frank = PEOPLE_BY_NAME["frank"]
        client = f"unknown[{OFFICE}]"
        smtpd = w.proc("postfix/submission/smtpd", t, t + 0.6)
        w.log(t, smtpd, f"connect from {client}")
        w.log(t + 0.1, smtpd, f"Anonymous TLS connection established from {client}: {TLS13}")
        w.log(
            t + 0.3,
            smtpd,
            f"warning: {client}: SASL PLAIN authentication failed: Connection lost to "
            "authentication server, sasl_username=(unavailable)",
        )
        w.log(
            t + 0.6,
            smtpd,
            f"disconnect from {client} ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
        )
        # Thunderbird asks frank to retry; the second try goes through
        self.submit(t + 38.2, OFFICE, frank.address, ["anna@example.org"])

    # -- story 8: smtpd_tls_loglevel = 4 for a while --------------------------------------------

    def in_level4(self, t: float) -> bool:
        return self.level4 is not None and self.level4[0] <= t < self.level4[1]

    def level4_stretch(self) -> None:
        w = self.w
        start, end = self.at(1, 10, 2, 11.0), self.at(1, 10, 51, 40.0)
        for when in (start, end):
            script = w.proc("postfix/postfix-script", when, when)
            w.log(when, script, "refreshing the Postfix mail system")
            w.log(
                when + 0.02,
                f"postfix/master[{POSTFIX_MASTER_PID}]",
                f"reload -- version {POSTFIX_VERSION}, configuration /etc/postfix",
            )
            self.w.reloads.append(when + 0.02)
        self.level4 = (start + 0.03, end)
        alice, bob, victor = (PEOPLE_BY_NAME[n] for n in ("alice", "bob", "victor"))
        self.submit(self.at(1, 10, 9, 52.0), OFFICE, alice.address, ["bob@example.com"])
        self.submit(self.at(1, 10, 23, 7.0), bob.home, bob.address, ["jan@customer.example"])
        self.level4_failure(self.at(1, 10, 31, 26.0), "203.0.113.61", "jobs@example.com")
        self.submit(
            self.at(1, 10, 44, 15.0),
            victor.home,
            victor.address,
            ["gina@example.net"],
            mech="LOGIN",
            tls=TLS10_RC4,
        )

    def submit_level4(
        self, t: float, ip: str, user: str, rcpts: Sequence[str], tls: str, mech: str
    ) -> float:
        dump = Level4(self, t, ip, rc4=tls == TLS10_RC4)
        dump.handshake()
        helo = (
            "[192.168.10.23]" if ip == OFFICE else ("victor-pc" if "RC4" in tls else "[10.0.0.12]")
        )
        dump.command(f"EHLO {helo}\r\n", EHLO_REPLY)
        password = PASSWORDS[user]
        if mech == "LOGIN":
            dump.command("AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n")
            dump.command(f"{b64(user)}\r\n", "334 UGFzc3dvcmQ6\r\n")
            dump.command(f"{b64(password)}\r\n", "235 2.7.0 Authentication successful\r\n")
        else:
            payload = b64(f"\0{user}\0{password}")
            dump.command(f"AUTH PLAIN {payload}\r\n", "235 2.7.0 Authentication successful\r\n")
        moment = START + timedelta(seconds=t)
        msgid = self.message_id(t, "example.com")
        body = (
            f"Date: {moment:%a, %d %b %Y %H:%M:%S} +0100\r\nFrom: {user}\r\n"
            f"To: {', '.join(rcpts)}\r\nSubject: Re: Angebot\r\n"
            f"Message-ID: {msgid}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            + "Thanks, see you on Thursday.\r\n" * 8
            + ".\r\n"
        )
        dump.command(f"MAIL FROM:<{user}> SIZE={len(body)}\r\n", "250 2.1.0 Ok\r\n")
        rcpt_time = 0.0
        for n, rcpt in enumerate(rcpts):
            dump.command(f"RCPT TO:<{rcpt}>\r\n", "250 2.1.5 Ok\r\n")
            if n == 0:
                rcpt_time = dump.t - 0.001  # smtpd opens the queue file at the first RCPT
        dump.command("DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n")
        dump.read_only(body)
        client = f"unknown[{ip}]"
        sasl = (mech, user)
        size = len(body) + 612  # Postfix adds Received: and other headers
        qid = self.queued(
            rcpt_time, dump.smtpd, client, user, rcpts, sasl, "", dump.t, (msgid, size)
        )
        dump.t += 0.04
        dump.write_only(f"250 2.0.0 Ok: queued as {qid}\r\n")
        dump.quit()
        stats = f"ehlo=2 starttls=1 auth=1 mail=1 rcpt={len(rcpts)} data=1 quit=1"
        dump.end(f"disconnect from unknown[{ip}] {stats} commands={7 + len(rcpts)}")
        return dump.t

    def level4_failure(self, t: float, ip: str, user: str) -> None:
        """A sprayer's guess while the dumps were on: its AUTH PLAIN lands in the log."""
        dump = Level4(self, t, ip, rc4=False)
        dump.handshake()
        dump.command("EHLO User\r\n", EHLO_REPLY)
        payload = b64(f"\0{user}\0{PASSWORDS[user]}")
        dump.read_only(f"AUTH PLAIN {payload}\r\n")
        self.w.log(dump.t + 0.02, "dovecot", f"auth: passwd-file({user},{ip}): Password mismatch")
        dump.t += 2.0 + self.jitter(0, 0.1)
        self.w.log(
            dump.t,
            dump.smtpd,
            f"warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), "
            f"sasl_username={user}",
        )
        dump.write_only("535 5.7.8 Error: authentication failed: (reason unavailable)\r\n")
        dump.quit()
        dump.end(f"disconnect from unknown[{ip}] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5")

    # -- story 9: usernames that carry another address ---------------------------------------

    def injection(self) -> None:
        ip = "192.0.2.99"
        inj = INJECTED
        t = self.at(1, 16, 11, 40.0)
        names = [
            f"admin@example.com [{inj}]",
            f"x]: SASL LOGIN authentication failed: y, sasl_username=unknown[{inj}]",
            f"admin@example.com, sasl_username=unknown[{inj}]",
        ]
        for name in names:
            t = self.sasl_failures(t, ip, [(name, "chars")], service="submissions") + 31.0
        t += 120
        for name in (
            f"info@example.com, rip={inj}, lip={SERVER4}",
            f"x> rip={inj} user=<admin",
        ):
            char = first_disallowed(name)
            message = (
                f"Username character disallowed by auth_username_chars: 0x{ord(char):02x} "
                f"(username: {name})"
            )
            attempts = [(name, message)]
            t = self.dovecot_failure(t, ip, attempts, ending="Aborted login by logging out") + 45.0

    # -- everything ----------------------------------------------------------------------------

    def build(self) -> None:
        self.level4_stretch()  # first: ordinary traffic looks at self.level4
        for day in range(DAYS):
            self.ordinary_day(day)
            self.bots(day)
        self.fast_bruteforce()
        self.slow_guesser()
        self.spraying()
        self.enumeration()
        self.compromise()
        self.stale_phone()
        self.auth_restart()
        self.injection()
        # the typos of people who then get it right (never an attack)
        for day, name, hh, mm in ((0, "erin", 7, 52), (1, "mike", 13, 4), (2, "laura", 19, 40)):
            person = PEOPLE_BY_NAME[name]
            t = self.at(day, hh, mm, 9.0)
            end = self.dovecot_failure(t, person.home, [(person.address, "Password mismatch")])
            self.imap_login(end + 14.5, person.home, person.address, 240.0)


class Level4:
    """One submission session while `smtpd_tls_loglevel = 4`: the TLS handshake and every
    encrypted record in hex, and the first 40 bytes of every plaintext line."""

    def __init__(self, samples: Samples, t: float, ip: str, rc4: bool) -> None:
        self.s = samples
        self.w = samples.w
        self.rng = samples.rng
        self.t = t
        self.ip = ip
        self.rc4 = rc4
        self.client = f"unknown[{ip}]"
        self.smtpd = self.w.proc("postfix/submission/smtpd", t, t + 8)
        self.bio = self.rng.randrange(0x55D000000000, 0x55DFFFFFFFFF) & ~0xF
        self.rbuf = self.bio + 0x12323
        self.wbuf = self.bio + 0x1B4B0
        self.version = "01" if rc4 else "03"  # record layer version byte (TLS 1.0 / 1.2)

    def log(self, text: str, step: float = 0.0005) -> None:
        self.t += step
        self.w.log(self.t, self.smtpd, text)

    def hexdump(self, data: bytes) -> None:
        """tls_dump_buffer(): 16 bytes a row, `|` after the eighth, trailing NULs and
        spaces summarised."""
        last = len(data)
        while last > 0 and data[last - 1] in (0, 32):
            last -= 1
        for row in range(0, last, 16):
            chunk = data[row : min(row + 16, last)]
            hexes = ""
            for n in range(16):
                if n < len(chunk):
                    hexes += f"{chunk[n]:02x}" + ("|" if n == 7 else " ")
                else:
                    hexes += "   "
            text = ""
            for n, b in enumerate(chunk):
                text += chr(b) if 32 <= b < 127 else "."
                if n == 7:
                    text += " "
            self.log(f"{row:04x} {hexes} {text}")
        if last < len(data):
            self.log(f"{last:04x} - <SPACES/NULLS>")

    def random_bytes(self, n: int) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(n))

    def read_record(self, kind: int, body_len: int, first: bool = True) -> None:
        if first:
            self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => -1)", 0.02)
        header = bytes([kind, 3, int(self.version, 16)]) + body_len.to_bytes(2, "big")
        self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => 5 (0x5))")
        self.hexdump(header)
        self.log(
            f"read from {self.bio:012X} [{self.rbuf + 5:012X}] "
            f"({body_len} bytes => {body_len} (0x{body_len:X}))"
        )
        self.hexdump(b"\x01" if kind == 0x14 else self.random_bytes(body_len))

    def write_records(self, records: Iterable[tuple[int, int]]) -> None:
        data = b""
        for kind, body_len in records:
            header = bytes([kind, 3, int(self.version, 16)]) + body_len.to_bytes(2, "big")
            data += header + (b"\x01" if kind == 0x14 else self.random_bytes(body_len))
        n = len(data)
        self.log(f"write to {self.bio:012X} [{self.wbuf:012X}] ({n} bytes => {n} (0x{n:X}))")
        self.hexdump(data)

    def overhead(self) -> int:
        return 20 if self.rc4 else 17  # RC4-SHA: the MAC; TLS 1.3 AES-GCM: type + tag

    def handshake(self) -> None:
        log = self.log
        w = self.w
        start = self.t
        w.log(start, self.smtpd, f"connect from {self.client}")
        self.t = start + 0.2
        log(f"setting up TLS connection from {self.client}")
        log(f'{self.client}: TLS cipher list "{MEDIUM_CIPHERS}"')
        log("SSL_accept:before SSL initialization")
        self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => -1)")
        if self.rc4:
            hello = 0x5A
            self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => 5 (0x5))")
            self.hexdump(bytes([0x16, 3, 1, 0, hello]))
            self.log(
                f"read from {self.bio:012X} [{self.rbuf + 5:012X}] "
                f"({hello} bytes => {hello} (0x{hello:X}))"
            )
            self.hexdump(bytes([1, 0, 0, hello - 4, 3, 1]) + self.random_bytes(hello - 6))
            for state in ("before SSL initialization", "SSLv3/TLS read client hello",
                          "SSLv3/TLS write server hello", "SSLv3/TLS write certificate",
                          "SSLv3/TLS write server done"):  # fmt: skip
                log(f"SSL_accept:{state}")
            self.write_records([(0x16, 0x4A1)])
            log("SSL_accept:SSLv3/TLS write server done")
            self.read_record(0x16, 0x106)
            log("SSL_accept:SSLv3/TLS read client key exchange")
            self.read_record(0x14, 1, first=False)
            log("SSL_accept:SSLv3/TLS read change cipher spec")
            self.read_record(0x16, 0x24, first=False)
            log("SSL_accept:SSLv3/TLS read finished")
            log("SSL_accept:SSLv3/TLS write change cipher spec")
            log("SSL_accept:SSLv3/TLS write finished")
            self.write_records([(0x14, 1), (0x16, 0x24)])
            log(f"Anonymous TLS connection established from {self.client}: {TLS10_RC4}")
            return
        self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => 5 (0x5))")
        self.hexdump(bytes([0x16, 3, 1, 2, 0]))
        self.log(f"read from {self.bio:012X} [{self.rbuf + 5:012X}] (512 bytes => 512 (0x200))")
        self.hexdump(bytes([1, 0, 1, 0xFC, 3, 3]) + self.random_bytes(300) + bytes(206))
        for state in ("before SSL initialization", "SSLv3/TLS read client hello",
                      "SSLv3/TLS write server hello", "SSLv3/TLS write change cipher spec",
                      "TLSv1.3 write encrypted extensions", "SSLv3/TLS write certificate",
                      "TLSv1.3 write server certificate verify"):  # fmt: skip
            log(f"SSL_accept:{state}")
        self.write_records(
            [(0x16, 0x7A), (0x14, 1), (0x17, 0x17), (0x17, 0x356), (0x17, 0x119), (0x17, 0x45)]
        )
        log("SSL_accept:SSLv3/TLS write finished")
        log("SSL_accept:TLSv1.3 early data")
        self.read_record(0x14, 1)
        self.log(f"read from {self.bio:012X} [{self.rbuf:012X}] (5 bytes => 5 (0x5))")
        self.hexdump(bytes([0x17, 3, 3, 0, 0x45]))
        self.log(f"read from {self.bio:012X} [{self.rbuf + 5:012X}] (69 bytes => 69 (0x45))")
        self.hexdump(self.random_bytes(69))
        log("SSL_accept:TLSv1.3 early data")
        log("SSL_accept:SSLv3/TLS read finished")
        log(
            f"{self.client}: Issuing session ticket, key expiration: {epoch_seconds(self.t) + 3600}"
        )
        self.write_records([(0x17, 0xFA)])
        log("SSL_accept:SSLv3/TLS write session ticket")
        log(f"Anonymous TLS connection established from {self.client}: {TLS13}")

    def read_only(self, line: str) -> None:
        data = line.encode()
        self.t += self.jitter_wait()
        self.read_record(0x17, len(data) + self.overhead())
        self.log(f"Read {len(data)} chars: {printable40(data)}")

    def write_only(self, reply: str) -> None:
        data = reply.encode()
        self.log(f"Write {len(data)} chars: {printable40(data)}")
        self.write_records([(0x17, len(data) + self.overhead())])

    def command(self, line: str, reply: str) -> None:
        self.read_only(line)
        self.write_only(reply)

    def quit(self) -> None:
        self.read_only("QUIT\r\n")
        self.log("Write 15 chars: 221 2.0.0 Bye??")
        self.write_records([(0x17, 15 + self.overhead())])
        self.write_records([(0x17 if not self.rc4 else 0x15, 2 + self.overhead())])

    def end(self, disconnect: str) -> None:
        self.log(disconnect, 0.002)
        self.smtpd.end = self.t

    def jitter_wait(self) -> float:
        return self.rng.uniform(0.02, 0.6)


def stamp_compact(time: float) -> str:
    moment = START + timedelta(seconds=time)
    return f"{moment:%Y%m%d%H%M%S}"


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def users_txt() -> str:
    names = sorted([p.address for p in PEOPLE] + [f"{r}@example.com" for r in ROLE_ACCOUNTS])
    head = (
        "# The real accounts of example.com (for mailwarden analyze --users): one a line.\n"
        "# A Dovecot passwd-file (/etc/dovecot/users) works as well.\n"
    )
    return head + "".join(f"{n}\n" for n in names)


def gzip_bytes(data: bytes, name: str) -> bytes:
    """gzip as logrotate's `compress` does (the original name in the header), with a
    fixed modification time so that the bytes do not depend on when this runs."""
    buffer = io.BytesIO()
    mtime = epoch_seconds(DAY - 1)  # gzip keeps the time of mail.log.2's last line
    with gzip.GzipFile(name, "wb", 9, buffer, mtime=mtime) as out:
        out.write(data)
    return buffer.getvalue()


def build() -> dict[str, bytes]:
    world = World(SEED)
    samples = Samples(world)
    samples.build()
    lines = world.render()
    days: list[list[str]] = [[] for _ in range(DAYS)]
    for time, text in lines:
        index = int(time // DAY)
        if 0 <= index < DAYS:
            days[index].append(text)
    files = {
        "mail.log.2.gz": gzip_bytes(("\n".join(days[0]) + "\n").encode(), "mail.log.2"),
        "mail.log.1": ("\n".join(days[1]) + "\n").encode(),
        "mail.log": ("\n".join(days[2]) + "\n").encode(),
        "users.txt": users_txt().encode(),
    }
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parent.parent / "samples"
    parser.add_argument("--out", type=Path, default=default, help=f"(default: {default})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (args.out / name).write_bytes(data)
        print(f"{args.out / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
