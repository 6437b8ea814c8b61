"""Generate a realistic mixed Postfix + Dovecot log of N lines from a fixed seed.

What a busy mail server under the usual background of password guessing writes:
inbound SMTP deliveries on port 25 (connect, TLS, queue, cleanup, qmgr, local delivery,
disconnect with command statistics), rejects (relay, unknown user, DNSBL), postscreen,
authenticated submission from real users, SASL failures from many addresses (IPv4 and
IPv6, bursts and slow guessers), Dovecot IMAP/POP3 logins and failures with auth-process
lines, and a few sessions logged at smtpd_tls_loglevel 4 (plaintext dumps of AUTH).

With ``--shape passwords`` most guessing sessions log the password they sent: verbose
smtpd (``-v``, ``debug_peer_list``: ``< unknown[ip]: AUTH PLAIN …``, decoded whole) and
Dovecot's ``auth_verbose_passwords`` (``Password mismatch (given password: …)``), each
from the next of the --clients addresses in turn, so that on a million lines every one
of 100,000 addresses sends at least one password the log shows (the memory a decoded
credential costs, per address and per user).

The same seed, size and shape always give the same file, so runs compare like with like.
Usage: python benchmarks/generate.py --lines 1000000 --clients 100000 -o /tmp/mix.log
       python benchmarks/generate.py --shape passwords -o /tmp/passwords.log
"""

from __future__ import annotations

import argparse
import base64
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

USERS = [f"user{i}@example.com" for i in range(200)]
BOT_NAMES = ["admin", "info", "test", "postmaster", "support", "sales", "webmaster", "office"]
DOMAINS = ["example.com", "example.net", "example.org"]
PASSWORDS = ["123456", "qwerty", "password", "letmein", "Passw0rd!", "admin123", "welcome1"]
SHAPES = ("mix", "passwords")


class Generator:
    def __init__(self, seed: int, clients: int) -> None:
        self.rng = random.Random(seed)
        self.now = datetime(2026, 2, 23, 0, 0, 0)
        self.pid = 10000
        self.queue = 0
        self.clients = clients
        self.attackers = [self._address(i) for i in range(clients)]
        self.friends = [f"198.51.100.{i}" for i in range(200, 255)]
        self.turn = 0

    def next_attacker(self) -> str:
        """The attackers in turn: every one of them shows once the lines allow."""
        ip = self.attackers[self.turn % self.clients]
        self.turn += 1
        return ip

    def guessed_user(self) -> str:
        """A bot's name, or now and then a real user's (a password typed for a real
        account, as a guess)."""
        if self.rng.random() < 0.2:
            return self.rng.choice(USERS)
        return f"{self.rng.choice(BOT_NAMES)}@{self.rng.choice(DOMAINS)}"

    def _address(self, i: int) -> str:
        # Attacker addresses come only from the documentation ranges: 1-199 of the three
        # IPv4 /24s give 597 addresses (200-254 of 198.51.100.0/24 are the real users and
        # friendly servers, who never guess), 2001:db8::/32 gives the rest, each in its own
        # /64 most of the time (a few share one, as bots in one hosting network do).
        ranges = ("192.0.2", "198.51.100", "203.0.113")
        if i < 597:
            return f"{ranges[i % 3]}.{i // 3 + 1}"
        j = i - 597
        return f"2001:db8:{(j >> 16) & 0xFFFF:x}:{j & 0xFFFF:x}::{(j % 7) + 1:x}"

    def stamp(self) -> str:
        self.now += timedelta(milliseconds=self.rng.randint(5, 400))
        now = self.now  # syslog's "%b %e %T": the day is space-padded
        return f"{now:%b} {now.day:2d} {now:%H:%M:%S}"

    def next_pid(self) -> int:
        self.pid = 10000 + (self.pid + self.rng.randint(1, 7)) % 50000
        return self.pid

    def qid(self) -> str:
        self.queue += 1
        return f"4Zq{self.queue:09X}"

    # -- sessions -------------------------------------------------------------------------

    def inbound(self) -> Iterator[str]:
        pid, qid = self.next_pid(), self.qid()
        ip = self.rng.choice(self.friends)
        name = f"mail{ip.rsplit('.', 1)[1]}.example.net"
        h = "mx postfix/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from {name}[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: Anonymous TLS connection established from {name}[{ip}]: "
            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519"
        )
        yield f"{self.stamp()} {h}[{pid}]: {qid}: client={name}[{ip}]"
        yield f"{self.stamp()} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<{qid}@{name}>"
        yield (
            f"{self.stamp()} mx postfix/qmgr[900]: {qid}: from=<news@{name}>, "
            f"size={self.rng.randint(900, 90000)}, nrcpt=1 (queue active)"
        )
        to = self.rng.choice(USERS)
        yield (
            f"{self.stamp()} mx postfix/lmtp[{pid + 2}]: {qid}: to=<{to}>, "
            "relay=mx[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, "
            "status=sent (250 2.0.0 <x> Saved)"
        )
        yield f"{self.stamp()} mx postfix/qmgr[900]: {qid}: removed"
        yield (
            f"{self.stamp()} {h}[{pid}]: disconnect from {name}[{ip}] ehlo=2 starttls=1 "
            "mail=1 rcpt=1 data=1 quit=1 commands=7"
        )

    def rejected(self) -> Iterator[str]:
        pid = self.next_pid()
        ip = self.rng.choice(self.attackers)
        h = "mx postfix/smtpd"
        why = self.rng.choice(
            [
                "554 5.7.1 <x@example.org>: Relay access denied",
                "550 5.1.1 <nobody@example.com>: Recipient address rejected: "
                "User unknown in virtual mailbox table",
                f"554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.example",
            ]
        )
        yield f"{self.stamp()} {h}[{pid}]: connect from unknown[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: {why}; "
            "from=<spam@example.biz> to=<x@example.org> proto=ESMTP helo=<bot>"
        )
        yield (
            f"{self.stamp()} {h}[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 "
            "rcpt=0/1 quit=1 commands=3/4"
        )

    def postscreen(self) -> Iterator[str]:
        ip = self.rng.choice(self.attackers)
        port = self.rng.randint(1024, 65535)
        pid = 800
        h = "mx postfix/postscreen"
        yield f"{self.stamp()} {h}[{pid}]: CONNECT from [{ip}]:{port} to [192.0.2.1]:25"
        if self.rng.random() < 0.5:
            yield (
                f"{self.stamp()} {h}[{pid}]: PREGREET 11 after 0.1 from [{ip}]:{port}: EHLO x\\r\\n"
            )
            yield f"{self.stamp()} {h}[{pid}]: DISCONNECT [{ip}]:{port}"
        else:
            yield f"{self.stamp()} {h}[{pid}]: PASS OLD [{ip}]:{port}"

    def guess(self) -> Iterator[str]:
        pid = self.next_pid()
        ip = self.rng.choice(self.attackers)
        user = f"{self.rng.choice(BOT_NAMES)}@{self.rng.choice(DOMAINS)}"
        h = "mx postfix/submission/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from unknown[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication "
            f"failed: (reason unavailable), sasl_username={user}"
        )
        yield f"{self.stamp()} {h}[{pid}]: lost connection after AUTH from unknown[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2"
        )

    def verbose_guess(self) -> Iterator[str]:
        pid = self.next_pid()
        ip = self.rng.choice(self.attackers)
        user = f"{self.rng.choice(BOT_NAMES)}@{self.rng.choice(DOMAINS)}"
        token = base64.b64encode(f"\0{user}\0{self.rng.choice(['123456', 'qwerty'])}".encode())
        h = "mx postfix/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from unknown[{ip}]"
        yield f"{self.stamp()} {h}[{pid}]: setting up TLS connection from unknown[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: Anonymous TLS connection established from "
            f"unknown[{ip}]: TLSv1.2 with cipher RC4-SHA (128/128 bits)"
        )
        yield f"{self.stamp()} {h}[{pid}]: Read 16 chars: EHLO localhost??"
        line = f"AUTH PLAIN {token.decode()}"
        yield f"{self.stamp()} {h}[{pid}]: Read {len(line) + 2} chars: {line[:40]}"
        yield (
            f"{self.stamp()} {h}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: "
        )
        yield f"{self.stamp()} {h}[{pid}]: Write 42 chars: 435 4.7.8 Error: authentication failed: "
        yield f"{self.stamp()} {h}[{pid}]: lost connection after UNKNOWN from unknown[{ip}]"
        yield f"{self.stamp()} {h}[{pid}]: disconnect from unknown[{ip}]"

    def verbose_password(self) -> Iterator[str]:
        """smtpd -v (debug_peer_list): the AUTH command as the client sent it, refused."""
        pid = self.next_pid()
        ip = self.next_attacker()
        user = self.guessed_user()
        password = f"{self.rng.choice(PASSWORDS)}{self.rng.randint(0, 99)}"
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        h = "mx postfix/submission/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from unknown[{ip}]"
        yield f"{self.stamp()} {h}[{pid}]: < unknown[{ip}]: AUTH PLAIN {token}"
        yield (
            f"{self.stamp()} {h}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication "
            f"failed: (reason unavailable), sasl_username={user}"
        )
        yield (
            f"{self.stamp()} {h}[{pid}]: > unknown[{ip}]: 535 5.7.8 Error: authentication "
            "failed: (reason unavailable)"
        )
        yield (
            f"{self.stamp()} {h}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2"
        )

    def dovecot_password(self) -> Iterator[str]:
        """Dovecot's auth_verbose_passwords = plain: the password of a failed login."""
        ip = self.next_attacker()
        user = self.guessed_user()
        password = f"{self.rng.choice(PASSWORDS)}{self.rng.randint(0, 99)}"
        sess = base64.b64encode(self.rng.randbytes(12)).decode()
        yield (
            f"{self.stamp()} mx dovecot: auth: passwd-file({user},{ip},<{sess}>): "
            f"Password mismatch (given password: {password})"
        )
        yield (
            f"{self.stamp()} mx dovecot: imap-login: Disconnected: Connection closed "
            f"(auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, "
            f"rip={ip}, lip=192.0.2.1, TLS, session=<{sess}>"
        )

    def submission(self) -> Iterator[str]:
        pid, qid = self.next_pid(), self.qid()
        ip = self.rng.choice(self.friends)
        user = self.rng.choice(USERS)
        h = "mx postfix/submission/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from laptop.example.net[{ip}]"
        yield (
            f"{self.stamp()} {h}[{pid}]: {qid}: client=laptop.example.net[{ip}], "
            f"sasl_method=PLAIN, sasl_username={user}"
        )
        yield f"{self.stamp()} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<{qid}@example.com>"
        yield (
            f"{self.stamp()} mx postfix/qmgr[900]: {qid}: from=<{user}>, size=2345, nrcpt=1 "
            "(queue active)"
        )
        yield (
            f"{self.stamp()} mx postfix/smtp[{pid + 2}]: {qid}: to=<friend@example.org>, "
            "relay=mx.example.org[192.0.2.25]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, "
            "status=sent (250 2.0.0 Ok: queued)"
        )
        yield f"{self.stamp()} mx postfix/qmgr[900]: {qid}: removed"
        yield (
            f"{self.stamp()} {h}[{pid}]: disconnect from laptop.example.net[{ip}] ehlo=2 "
            "starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8"
        )

    def imap_ok(self) -> Iterator[str]:
        ip = self.rng.choice(self.friends)
        user = self.rng.choice(USERS)
        sess = base64.b64encode(self.rng.randbytes(12)).decode()
        yield (
            f"{self.stamp()} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, "
            f"rip={ip}, lip=192.0.2.1, mpid={self.next_pid()}, TLS, session=<{sess}>"
        )
        yield (
            f"{self.stamp()} mx dovecot: imap({user})<{self.pid}><{sess}>: Disconnected: "
            "Logged out in=120 out=4500 deleted=0 expunged=0 trashed=0 hdr_count=0 "
            "hdr_bytes=0 body_count=0 body_bytes=0"
        )

    def imap_guess(self) -> Iterator[str]:
        ip = self.rng.choice(self.attackers)
        user = f"{self.rng.choice(BOT_NAMES)}@{self.rng.choice(DOMAINS)}"
        sess = base64.b64encode(self.rng.randbytes(12)).decode()
        n = self.rng.randint(1, 3)
        for _ in range(n):
            yield (
                f"{self.stamp()} mx dovecot: auth: passwd-file({user},{ip},<{sess}>): unknown user"
            )
        yield (
            f"{self.stamp()} mx dovecot: imap-login: Disconnected: Connection closed "
            f"(auth failed, {n} attempts in {2 * n} secs): user=<{user}>, method=PLAIN, "
            f"rip={ip}, lip=192.0.2.1, TLS, session=<{sess}>"
        )

    def scan(self) -> Iterator[str]:
        pid = self.next_pid()
        ip = self.rng.choice(self.attackers)
        h = "mx postfix/smtpd"
        yield f"{self.stamp()} {h}[{pid}]: connect from unknown[{ip}]"
        yield f"{self.stamp()} {h}[{pid}]: lost connection after CONNECT from unknown[{ip}]"
        yield f"{self.stamp()} {h}[{pid}]: disconnect from unknown[{ip}] commands=0/0"


def generate(
    lines: int, seed: int = 20261128, clients: int = 100_000, shape: str = "mix"
) -> Iterator[str]:
    """``shape``: ``mix`` (the benchmark's), or ``passwords`` (most guesses log their
    password, from every address in turn: see the module's doc)."""
    g = Generator(seed, clients)
    kinds: list[tuple[float, Callable[[], Iterator[str]]]]
    if shape == "mix":
        kinds = [
            (0.30, g.inbound),
            (0.08, g.submission),
            (0.08, g.rejected),
            (0.06, g.postscreen),
            (0.26, g.guess),
            (0.01, g.verbose_guess),
            (0.10, g.imap_ok),
            (0.06, g.imap_guess),
            (0.05, g.scan),
        ]
    elif shape == "passwords":
        kinds = [
            (0.15, g.inbound),
            (0.05, g.submission),
            (0.04, g.rejected),
            (0.03, g.postscreen),
            (0.40, g.verbose_password),
            (0.20, g.dovecot_password),
            (0.08, g.imap_ok),
            (0.05, g.scan),
        ]
    else:
        raise ValueError(f"unknown shape {shape!r} (one of {', '.join(SHAPES)})")
    weights = [w for w, _ in kinds]
    makers = [m for _, m in kinds]
    written = 0
    while written < lines:
        (maker,) = g.rng.choices(makers, weights)
        for line in maker():
            yield line
            written += 1
            if written >= lines:
                return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=100_000, help="distinct guessing addresses")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument(
        "--shape",
        choices=SHAPES,
        default="mix",
        help="mix: the benchmark's; passwords: most guesses log their password, from "
        "every address in turn",
    )
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    with a.output.open("w") as out:
        out.writelines(line + "\n" for line in generate(a.lines, a.seed, a.clients, a.shape))


if __name__ == "__main__":
    main()
