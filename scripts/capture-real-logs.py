#!/usr/bin/env python3
"""Capture real Postfix and Dovecot log files for the parser tests, from the lab.

Each capture builds a lab (tests/e2e/lab.py: network namespaces with Debian's Postfix and
Dovecot), drives real clients through a list of scenarios, waits until the logs show them,
and copies the log into tests/data/real/. It then rewrites tests/data/real/README.md with
the versions used and, per file, the scenarios in the order they ran.

Run as root, from the repository, with Postfix, Dovecot and swaks installed
(scripts/install-debian-packages.sh):

    .venv/bin/python scripts/capture-real-logs.py            # all files (about 3 minutes)
    .venv/bin/python scripts/capture-real-logs.py --only dovecot-2.3-imap.log
"""

from __future__ import annotations

import argparse
import base64
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import lab as labmod  # noqa: E402  (tests/e2e is not a package on sys.path otherwise)
from lab import (  # noqa: E402
    ATTACKER_IPV4,
    ATTACKER_IPV6,
    LEGIT_IPV4,
    SERVER_IPV4,
    SERVER_IPV6,
    DovecotOptions,
    Host,
    Lab,
    LogFile,
    PostfixOptions,
)

OUT = REPO / "tests" / "data" / "real"

ALICE = "alice@lab.example"
BOB = "bob@lab.example"
ADMIN = "admin@lab.example"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plain(user: str, password: str) -> str:
    return b64(f"\0{user}\0{password}")


@dataclass
class Capture:
    """One log file: the lab it needs, the scenarios, and what they did (for the README)."""

    name: str
    log: str  # "postfix" or "dovecot"
    summary: str
    run: Callable[[Lab, Capture], None]
    postfix: PostfixOptions = field(default_factory=PostfixOptions)
    dovecot: DovecotOptions = field(default_factory=DovecotOptions)
    steps: list[str] = field(default_factory=list)

    def step(self, who: Host | str, text: str) -> None:
        where = who if isinstance(who, str) else who.ipv4
        self.steps.append(f"`{where}`: {text}")
        print(f"  {self.name}: {where}: {text}", flush=True)


def expect(log: LogFile, pattern: str, since: int, count: int = 1, timeout: float = 30) -> None:
    """Wait until the scenario's lines are in the log (the copy must not miss them)."""
    log.wait_for(pattern, since=since, count=count, timeout=timeout)


def disconnected(addr: str) -> str:
    return rf"disconnect from unknown\[{re.escape(addr)}\]"


# ------------------------------------------------------------------ postfix submission


def submission(lab: Lab, cap: Capture) -> None:
    log = lab.postfix_log
    legit, attacker = lab.legit, lab.attacker

    mark = log.mark()
    cap.step(legit, f"PLAIN success as {ALICE}, mail to {BOB} (queued, delivered to Maildir)")
    assert lab.smtp_auth(legit, ALICE, lab.password(ALICE), send_mail=True, to=BOB).auth_ok
    expect(log, rf"to=<{re.escape(BOB)}>.*status=sent", mark)

    mark = log.mark()
    cap.step(legit, f"STARTTLS, LOGIN success as {BOB}, QUIT without mail (`auth=1`)")
    assert lab.smtp_auth(legit, BOB, lab.password(BOB), mech="LOGIN", tls=True).auth_ok
    expect(log, disconnected(LEGIT_IPV4), mark)

    mark = log.mark()
    cap.step(attacker, f"3 PLAIN failures in parallel: {ADMIN}, {ALICE}, unknown user `root`")
    guesses = [(ADMIN, "123456"), (ALICE, "password"), ("root", "toor")]
    assert all(r.auth_failed for r in lab.smtp_auth_many(attacker, guesses))
    expect(log, disconnected(ATTACKER_IPV4), mark, count=3)

    mark = log.mark()
    cap.step(ATTACKER_IPV6, f"PLAIN failure over IPv6 as {ADMIN}")
    assert lab.smtp_auth(attacker, ADMIN, "admin", server=SERVER_IPV6).auth_failed
    expect(log, disconnected(ATTACKER_IPV6), mark)

    guesser = lab.add_client("guesser", "198.51.100.23", "2001:db8:51::23")
    mark = log.mark()
    cap.step(guesser, f"2 LOGIN failures in parallel ({ADMIN}, {BOB})")
    results = lab.smtp_auth_many(guesser, [(ADMIN, "qwerty"), (BOB, "letmein")], mech="LOGIN")
    assert all(r.auth_failed for r in results)
    expect(log, disconnected("198.51.100.23"), mark, count=2)

    injected = [
        ("PLAIN", "unknown[203.0.113.5]"),
        ("PLAIN", f"{ADMIN}, sasl_username=admin"),
        ("LOGIN", "x]: SASL LOGIN authentication failed: y, sasl_username=unknown[203.0.113.5]"),
    ]
    # One client each: a second failure from one address waits for Dovecot's penalty.
    for n, (mech, user) in enumerate(injected):
        injector = lab.add_client(f"injector{n}", f"198.51.100.{77 + n}", f"2001:db8:51::{77 + n}")
        mark = log.mark()
        cap.step(injector, f"{mech} failure with the username `{user}`")
        assert lab.smtp_auth(injector, user, "guess", mech=mech).auth_failed
        expect(log, disconnected(injector.ipv4), mark)

    burster = lab.add_client("burster", "198.51.100.99", "2001:db8:51::99")
    mark = log.mark()
    replies: list[str] = []
    for attempt in range(6):
        result = lab.smtp_auth(burster, ADMIN, f"guess{attempt}", timeout=40)
        replies.append(str(result.replies()[-2]))  # the answer to AUTH (then 221 to QUIT)
        if 454 in result.replies():
            break
    cap.step(burster, f"{len(replies)} sequential PLAIN guesses as {ADMIN}, one per session: "
             f"replies {', '.join(replies)} (the penalty passed Postfix's 10 s: `Connection "
             "lost to authentication server`)")  # fmt: skip
    expect(log, "Connection lost to authentication server", mark)
    expect(log, disconnected("198.51.100.99"), mark, count=len(replies))

    scanner = lab.add_client("scanner", "203.0.113.50", "2001:db8:113::50")
    mark = log.mark()
    cap.step(scanner, "EHLO, then `GET / HTTP/1.0` (non-SMTP command)")
    lab.smtp_dialogue(scanner, [{"send": "EHLO scanner.example"}, {"send": "GET / HTTP/1.0"}])
    expect(log, disconnected("203.0.113.50"), mark)

    star = lab.add_client("star", "203.0.113.51", "2001:db8:113::51")
    mark = log.mark()
    cap.step(star, f"`AUTH PLAIN <{ADMIN}, wrong>` fails, then `*` (non-SMTP command, hang-up)")
    lab.smtp_dialogue(
        star,
        [{"send": "EHLO star.example"}, {"send": f"AUTH PLAIN {plain(ADMIN, 'x')}"},
         {"send": "*"}],
    )  # fmt: skip
    expect(log, disconnected("203.0.113.51"), mark)

    quitter = lab.add_client("quitter", "203.0.113.52", "2001:db8:113::52")
    mark = log.mark()
    cap.step(quitter, "`AUTH PLAIN`, `*` at the 334 prompt (aborted); `AUTH LOGIN`, hang-up")
    lab.smtp_dialogue(
        quitter,
        [{"send": "EHLO quitter.example"}, {"send": "AUTH PLAIN"}, {"send": "*"},
         {"send": "AUTH LOGIN"}, {"close": True}],
    )  # fmt: skip
    expect(log, "lost connection after AUTH from unknown\\[203.0.113.52\\]", mark)
    expect(log, disconnected("203.0.113.52"), mark)

    junk = lab.add_client("junk", "203.0.113.53", "2001:db8:113::53")
    mark = log.mark()
    cap.step(junk, "`AUTH PLAIN !!!notbase64`, then `AUTH CRAM-MD5` (not offered), QUIT")
    lab.smtp_dialogue(
        junk,
        [{"send": "EHLO junk.example"}, {"send": "AUTH PLAIN !!!notbase64"},
         {"send": "AUTH CRAM-MD5"}, {"send": "QUIT"}],
    )  # fmt: skip
    expect(log, disconnected("203.0.113.53"), mark)

    rater = lab.add_client("rater", "203.0.113.54", "2001:db8:113::54")
    mark = log.mark()
    cap.step(rater, "port 25 (AUTH enabled there, smtpd_client_auth_rate_limit=3): 5 AUTH PLAIN "
             "in one session -> `AUTH command rate limit exceeded`")  # fmt: skip
    lab.smtp_dialogue(
        rater,
        [{"send": "EHLO rater.example"}]
        + [{"send": f"AUTH PLAIN {plain(f'user{i}@lab.example', 'pw')}"} for i in range(5)]
        + [{"send": "QUIT"}],
        port=25,
    )
    expect(log, disconnected("203.0.113.54"), mark)

    lucky = lab.add_client("lucky", "203.0.113.60", "2001:db8:113::60")
    mark = log.mark()
    cap.step(lucky, f"2 PLAIN failures for {ALICE} (parallel), then her right password")
    lab.smtp_auth_many(lucky, [(ALICE, "alice2024"), (ALICE, "Alice123")])
    assert lab.smtp_auth(lucky, ALICE, lab.password(ALICE)).auth_ok
    expect(log, disconnected("203.0.113.60"), mark, count=3)

    mark = log.mark()
    cap.step(legit, f"after all that, {ALICE} still authenticates and sends mail")
    assert lab.smtp_auth(legit, ALICE, lab.password(ALICE), send_mail=True, to=ADMIN).auth_ok
    expect(log, rf"to=<{re.escape(ADMIN)}>.*status=sent", mark)

    mark = log.mark()
    cap.step(SERVER_IPV4, "`postfix reload`: anvil prints its statistics")
    lab.postfix_reload()
    expect(log, r"anvil\[\d+\]: statistics: max cache size", mark)


# ------------------------------------------------------------------ TLS packet dumps


def tls_loglevel4(lab: Lab, cap: Capture) -> None:
    log = lab.postfix_log
    mark = log.mark()
    cap.step(lab.legit, f"STARTTLS, PLAIN success as {ALICE}, mail to {BOB}")
    assert lab.smtp_auth(lab.legit, ALICE, lab.password(ALICE), tls=True, send_mail=True).auth_ok
    expect(log, disconnected(LEGIT_IPV4), mark)

    mark = log.mark()
    cap.step(lab.attacker, f"STARTTLS, PLAIN failure as {ADMIN} (password `Summer2024!`)")
    assert lab.smtp_auth(lab.attacker, ADMIN, "Summer2024!", tls=True).auth_failed
    expect(log, disconnected(ATTACKER_IPV4), mark)

    guesser = lab.add_client("guesser", "198.51.100.23", "2001:db8:51::23")
    mark = log.mark()
    cap.step(guesser, f"STARTTLS, LOGIN failure as {BOB} (password `hunter2`)")
    assert lab.smtp_auth(guesser, BOB, "hunter2", mech="LOGIN", tls=True).auth_failed
    expect(log, disconnected("198.51.100.23"), mark)


# ------------------------------------------------------------------ debug_peer_list


def verbose(lab: Lab, cap: Capture) -> None:
    log = lab.postfix_log
    mark = log.mark()
    cap.step(lab.attacker, f"PLAIN failure as {ADMIN} (password `admin123`), verbose session")
    assert lab.smtp_auth(lab.attacker, ADMIN, "admin123").auth_failed
    expect(log, disconnected(ATTACKER_IPV4), mark)

    mark = log.mark()
    cap.step(lab.attacker, f"LOGIN failure as {ALICE} (password `changeme`), verbose session")
    assert lab.smtp_auth(lab.attacker, ALICE, "changeme", mech="LOGIN").auth_failed
    expect(log, disconnected(ATTACKER_IPV4), mark)

    mark = log.mark()
    cap.step(lab.legit, f"PLAIN success as {BOB} (not in debug_peer_list: not verbose)")
    assert lab.smtp_auth(lab.legit, BOB, lab.password(BOB)).auth_ok
    expect(log, disconnected(LEGIT_IPV4), mark)


# ------------------------------------------------------------------ dovecot imap


def dovecot_imap(lab: Lab, cap: Capture) -> None:
    log = lab.dovecot_log
    legit, attacker = lab.legit, lab.attacker

    mark = log.mark()
    cap.step(legit, f"IMAP LOGIN success as {BOB}, LOGOUT")
    assert lab.imap_login(legit, BOB, lab.password(BOB)).ok
    expect(log, r"imap\(.*Disconnected: Logged out", mark)

    mark = log.mark()
    cap.step(attacker, f"IMAP LOGIN failure as {BOB}, LOGOUT (`Aborted login by logging out`)")
    assert not lab.imap_login(attacker, BOB, "bob2024").ok
    expect(log, rf"imap-login: .*rip={ATTACKER_IPV4},", mark)

    guesser = lab.add_client("guesser", "198.51.100.23", "2001:db8:51::23")
    mark = log.mark()
    cap.step(guesser, f"3 LOGIN failures as {ALICE} on one connection, then hang up")
    assert not lab.imap_login(guesser, ALICE, ["a1", "a2", "a3"], logout=False).ok
    expect(log, r"imap-login: .*rip=198\.51\.100\.23,", mark)

    prober = lab.add_client("prober", "198.51.100.40", "2001:db8:51::40")
    mark = log.mark()
    cap.step(prober, "LOGIN as unknown user `nobody@lab.example` (auth_verbose: `unknown user`)")
    assert not lab.imap_login(prober, "nobody@lab.example", "x").ok
    expect(log, r"imap-login: .*rip=198\.51\.100\.40,", mark)

    injection_logins(lab, cap)

    mark = log.mark()
    cap.step(ATTACKER_IPV6, f"IMAP LOGIN failure over IPv6 as {ADMIN}, hang up")
    assert not lab.imap_login(attacker, ADMIN, "x", server=SERVER_IPV6, logout=False).ok
    expect(log, rf"imap-login: .*rip={re.escape(ATTACKER_IPV6)},", mark)

    idle = lab.add_client("idle", "203.0.113.70", "2001:db8:113::70")
    mark = log.mark()
    cap.step(idle, "TCP connect to 143 and close at once (`disconnected before auth was ready`)")
    assert lab.tcp_connect(idle, 143)
    expect(log, r"imap-login: .*rip=203\.0\.113\.70,", mark)

    mark = log.mark()
    cap.step(legit, f"STARTTLS, LOGIN success as {ALICE}")
    assert lab.imap_login(legit, ALICE, lab.password(ALICE), starttls=True).ok
    expect(log, r"imap\(alice.*Disconnected: Logged out", mark)

    lucky = lab.add_client("lucky", "203.0.113.60", "2001:db8:113::60")
    mark = log.mark()
    cap.step(lucky, f"2 failures then success as {ADMIN} on one connection")
    assert lab.imap_login(lucky, ADMIN, ["admin", "admin1", lab.password(ADMIN)]).ok
    expect(log, r"imap\(admin.*Disconnected: Logged out", mark)

    mark = log.mark()
    cap.step(attacker, f"SMTP AUTH PLAIN failure as {ALICE} through Postfix (auth line only)")
    assert lab.smtp_auth(attacker, ALICE, "x").auth_failed
    expect(log, rf"passwd-file\({re.escape(ALICE)},{ATTACKER_IPV4}\)", mark)


INJECTED_IMAP_USERS = (
    "bob@lab.example, rip=203.0.113.5, lip=192.0.2.1",
    "x> rip=203.0.113.5 user=<admin",
    "evil,203.0.113.5,<sess>",
    "admin@lab.example,203.0.113.5)",
)


def injection_logins(lab: Lab, cap: Capture) -> None:
    """IMAP LOGIN failures whose user names carry another address, one client each."""
    log = lab.dovecot_log
    for n, user in enumerate(INJECTED_IMAP_USERS):
        injector = lab.add_client(f"injector{n}", f"198.51.100.{77 + n}", f"2001:db8:51::{77 + n}")
        mark = log.mark()
        cap.step(injector, f"LOGIN failure with the user name `{user}`")
        assert not lab.imap_login(injector, user, "guess").ok
        expect(log, rf"imap-login: .*rip={re.escape(injector.ipv4)},", mark)


def dovecot_any_username(lab: Lab, cap: Capture) -> None:
    injection_logins(lab, cap)
    log = lab.dovecot_log
    injector = lab.add_client("smtpinjector", "198.51.100.90", "2001:db8:51::90")
    mark = log.mark()
    user = "evil,203.0.113.5"
    cap.step(injector, f"SMTP AUTH PLAIN failure through Postfix with the user name `{user}`")
    assert lab.smtp_auth(injector, user, "x").auth_failed
    expect(log, r"passwd-file\(evil,203\.0\.113\.5,198\.51\.100\.90\)", mark)


CAPTURES = [
    Capture(
        "postfix-3.7-submission.log",
        "postfix",
        "submission (587) with Dovecot SASL and STARTTLS offered; AUTH also enabled on 25 "
        "with `smtpd_client_auth_rate_limit = 3`; `smtpd_tls_loglevel = 1`",
        submission,
        postfix=PostfixOptions(smtp_auth=True, smtp={"smtpd_client_auth_rate_limit": "3"}),
    ),
    Capture(
        "postfix-3.7-tls-loglevel4.log",
        "postfix",
        "as above, with `-o smtpd_tls_loglevel=4` on submission: hex dumps and "
        "`Read N chars: …` / `Write N chars: …` of the decrypted dialogue (first 40 bytes)",
        tls_loglevel4,
        postfix=PostfixOptions(submission={"smtpd_tls_loglevel": "4"}),
    ),
    Capture(
        "postfix-3.7-verbose.log",
        "postfix",
        f"`debug_peer_list = {ATTACKER_IPV4}`: verbose smtpd for the attacker only, with "
        "`< unknown[…]: AUTH …` / `> unknown[…]: 535 …` chat lines and xsasl_dovecot details",
        verbose,
        postfix=PostfixOptions(main={"debug_peer_list": ATTACKER_IPV4}),
    ),
    Capture(
        "dovecot-2.3-imap.log",
        "dovecot",
        "Dovecot `log_path`, `auth_verbose = yes`, imap on 143 (STARTTLS offered), plaintext "
        "LOGIN allowed; the Postfix SASL socket is used once at the end",
        dovecot_imap,
    ),
    Capture(
        "dovecot-2.3-any-username.log",
        "dovecot",
        "as above with `auth_username_chars =` (any character allowed in user names), so "
        "that client-chosen names reach the passdb and its `passwd-file(user,ip,<session>)` "
        "prefix",
        dovecot_any_username,
        dovecot=DovecotOptions(settings={"auth_username_chars": ""}),
    ),
]


def versions() -> list[str]:
    def first_line(argv: list[str]) -> str:
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]

    return [
        f"Postfix {first_line(['postconf', '-dh', 'mail_version'])} "
        f"(Debian package {first_line(['dpkg-query', '-W', '-f=${Version}', 'postfix'])})",
        f"Dovecot {first_line(['dovecot', '--version'])} "
        f"(Debian package {first_line(['dpkg-query', '-W', '-f=${Version}', 'dovecot-core'])})",
        first_line(["swaks", "--version"]),
        f"{first_line(['openssl', 'version'])}",
        f"Linux {platform.release()}, Python {platform.python_version()} (imaplib)",
    ]


README_HEAD = """\
# Real Postfix and Dovecot logs

These files were written by real Postfix and Dovecot, run by the lab of the end-to-end
tests (`tests/e2e/lab.py`) inside network namespaces on a test machine, while real clients
(swaks for SMTP AUTH, Python's imaplib and small raw-SMTP/TCP clients from
`tests/e2e/lab_client.py`) played the scenarios listed below. Nothing was edited by hand.
They are our own logs from our own namespaces: the addresses are documentation addresses,
the users and passwords are the lab's (alice/bob/admin @lab.example with `*-lab-pw*`
passwords; every other password is a made-up guess).

Produced by (as root, with the Debian packages installed by
`scripts/install-debian-packages.sh`):

    .venv/bin/python scripts/capture-real-logs.py

which rewrites the log files and this README. Timestamps are the capture machine's local
time without a year (Postfix `maillog_file` and Dovecot `log_path` format), pids and
Dovecot session ids vary from run to run, and the order of lines from parallel sessions
too: tests should look for lines, not line numbers.

Versions:

{versions}

## Lab

- server `{server}` / `{server6}` (`mail.lab.example`): Postfix with `maillog_file`,
  `smtpd_peername_lookup = no` (every client is `unknown[addr]`), submission on 587 with
  `smtpd_sasl_type = dovecot`, STARTTLS offered with a self-signed certificate,
  `smtpd_tls_auth_only = no`; Dovecot with a passwd-file passdb/userdb, `auth_verbose = yes`,
  the default `auth_failure_delay` (2 s) and auth penalty (up to 15 s per address).
- legit client `{legit}`, attacker `{attacker}` / `{attacker6}`; other clients as named
  in the scenarios (198.51.100.0/24, 203.0.113.0/24, routed over the same link).
- Dovecot answers each failure after 2 s and, for an address that failed before, waits an
  extra penalty first (4 s after one failure, 8 s after two, then 15 s), for right
  passwords too; Postfix gives up after about 10 s with `Connection lost to authentication
  server` (reply 454). Parallel guesses pass the penalty check together: that is why some
  scenarios run in parallel (their lines interleave) and others use a client of their own.

## What to notice

- Postfix logs no line for a successful AUTH: `auth=1` in `disconnect from`, and
  `QUEUEID: client=…, sasl_method=…, sasl_username=…` once a message is queued.
- Postfix 3.7.11 ends every SASL failure with `, sasl_username=<client's name>`, or
  `(unavailable)` when no name was decoded (bad base64, unknown mechanism, `Connection
  lost …`); a bad password's reason is `(reason unavailable)`.
- `Connection lost to authentication server` is a guess whose password Dovecot never
  checked (no `Password mismatch` line for it in Dovecot's log). The third sequential
  failure from one address is answered after 8 + 2 s, right at Postfix's limit: some runs
  log a 535 failure for it, others `Connection lost`.
- `*` after a failed `AUTH PLAIN <response>` is `non-SMTP command … : *` (and a hang-up),
  `*` at a 334 prompt is `SASL PLAIN authentication aborted`.
- With `smtpd_tls_loglevel = 4` the `Read N chars:` lines carry the first 40 bytes of every
  AUTH line, the legitimate user's included, and no client address (only the smtpd pid).
- With `debug_peer_list`, `< unknown[addr]: AUTH PLAIN <base64>` and
  `xsasl_dovecot_server_first: … init_response <base64>` carry whole credentials; the
  Dovecot reply is logged with `?` for its tabs (`auth reply: FAIL?1?user=…`).
- Dovecot's default `auth_username_chars` refuses `,`, `>`, spaces, …: the auth line is
  then `plain(?,ip,<session>): Username character disallowed … (username: …)`, while the
  login line still shows the name whole, `user=<… rip=203.0.113.5 …>` before the real
  `rip=`. With `auth_username_chars =` the name reaches the passdb:
  `passwd-file(evil,203.0.113.5,<sess>,198.51.100.79,<session>)`.
- A connection closed before the greeting is read gives `disconnected before auth was
  ready`, not `no auth attempts`.

"""


def write_readme(done: list[Capture]) -> None:
    text = README_HEAD.format(
        versions="\n".join(f"- {v}" for v in versions()),
        server=SERVER_IPV4,
        server6=SERVER_IPV6,
        legit=LEGIT_IPV4,
        attacker=ATTACKER_IPV4,
        attacker6=ATTACKER_IPV6,
    )
    for cap in done:
        text += f"## {cap.name}\n\n{cap.summary}.\n\nScenarios, in order:\n\n"
        text += "".join(f"{n}. {s}\n" for n, s in enumerate(cap.steps, 1)) + "\n"
    (OUT / "README.md").write_text(text.rstrip("\n") + "\n")


def capture(cap: Capture, out: Path) -> None:
    print(f"{cap.name}: starting the lab", flush=True)
    start = time.monotonic()
    with Lab(postfix=cap.postfix, dovecot=cap.dovecot) as lab:
        cap.run(lab, cap)
        source = lab.postfix_log if cap.log == "postfix" else lab.dovecot_log
        shutil.copyfile(source.path, out / cap.name)
    print(f"{cap.name}: {(out / cap.name).stat().st_size} bytes, "
          f"{time.monotonic() - start:.0f} s", flush=True)  # fmt: skip


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the labs' `with`: they clean up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--only", action="append", choices=[c.name for c in CAPTURES])
    args = parser.parse_args()
    reason = labmod.missing_requirements()
    if reason:
        print(f"capture-real-logs: {reason}", file=sys.stderr)
        return 2
    if not labmod.swaks_supports("TLS"):
        print("capture-real-logs: swaks lacks TLS (install libnet-ssleay-perl)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = [c for c in CAPTURES if not args.only or c.name in args.only]
    for cap in chosen:
        capture(cap, args.out)
    if args.out == OUT and not args.only:
        write_readme(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
