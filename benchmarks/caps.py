"""Fill one of the detector's capped tables with a generated flood; time `mailwarden analyze`.

Past its cap a table forgets its oldest entries; this times what that costs, on a log an
attacker with many addresses could cause. Addresses are distinct /64s of the IPv6
documentation range (2001:db8:XXXX:YYYY::/64, a different /48 for each of 65,536 in
turn, so no wide network forms). Two floods (``--flood``):

- ``networks`` (the default): each of ``--count`` /64s has four addresses fail AUTH
  once each on one account of its own (Postfix 3.9 names it), which flags the /64 as an
  attacking network, then a fifth address of it logs in to Dovecot as that account: a
  login from a flagged network, which its report notes ("... logged in from it as
  ..."). Notes are kept for the newest ``policy.max_clients`` networks (200,000 by
  default): use a count above that. One network a second.
- ``unavailable``: ``--count`` clients, 200 a second, each lose the connection to the
  authentication server once (``SASL PLAIN authentication failed: Connection lost to
  authentication server``) and never fail: each waits ``unavailable_window`` for
  guesses around it, at most MAX_PENDING_UNAVAILABLE (10,000) at once.

    python benchmarks/caps.py -o /tmp/caps.log                          # write the file
    python benchmarks/caps.py -o /tmp/caps.log --measure 3              # and time it
    python benchmarks/caps.py --flood unavailable -o /tmp/caps.log --measure 3

``--measure`` runs ``python -m mailwarden analyze --quiet`` (the interpreter running
this script, so the mailwarden it imports: compiled or pure) and ``grep -c`` (the floor:
reading the file at all) on the file, and prints the fastest wall time, the least CPU
time and the largest peak memory (maximum resident set) of the runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from spray import measure

MEMBERS = 4  # policy.network_clients: this many failing addresses flag a /64


START = datetime(2026, 3, 11, 0, 0, 0)


def prefix_of(n: int) -> str:
    """The ``n``-th /64 (its first address is the prefix followed by 1)."""
    return f"2001:db8:{n & 0xFFFF:x}:{n >> 16:x}::"


def networks(count: int) -> Iterator[str]:
    """The lines of ``count`` attacking /64s, each flagged and then logged in from."""
    now = START
    smtpd = "mx postfix/submission/smtpd"
    pid = 10000
    for n in range(count):
        prefix = prefix_of(n)
        user = f"user{n}@example.com"
        stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"
        for member in range(1, MEMBERS + 1):
            ip = f"{prefix}{member:x}"
            pid = pid + 1 if pid < 99999 else 10000
            yield f"{stamp} {smtpd}[{pid}]: connect from unknown[{ip}]"
            yield (
                f"{stamp} {smtpd}[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication "
                f"failed: authentication failure, sasl_username={user}"
            )
            yield (
                f"{stamp} {smtpd}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 "
                "quit=1 commands=2/3"
            )
        yield (
            f"{stamp} mx dovecot: imap-login: Login: user=<{user}>, method=PLAIN, "
            f"rip={prefix}{MEMBERS + 1:x}, lip=192.0.2.254, mpid={pid}, TLS, "
            f"session=<N{n:010d}>"
        )
        now += timedelta(seconds=1)


def unavailable(count: int) -> Iterator[str]:
    """``count`` clients each losing the connection to the authentication server once."""
    smtpd = "mx postfix/submission/smtpd"
    for n in range(count):
        now = START + timedelta(seconds=n // 200)
        stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"
        yield (
            f"{stamp} {smtpd}[{10000 + n % 50000}]: warning: unknown[{prefix_of(n)}1]: SASL "
            "PLAIN authentication failed: Connection lost to authentication server"
        )


FLOODS = {"networks": networks, "unavailable": unavailable}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flood", choices=sorted(FLOODS), default="networks")
    ap.add_argument("--count", type=int, default=300_000, help="/64s (networks or clients)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--measure", type=int, default=0, metavar="RUNS", help="time analyze")
    args = ap.parse_args()
    if not 1 <= args.count <= 1 << 32:
        ap.error("--count: 1 to 4294967296")
    with args.output.open("w", encoding="ascii") as out:
        count = 0
        for line in FLOODS[args.flood](args.count):
            out.write(line + "\n")
            count += 1
    size = args.output.stat().st_size
    print(f"{args.output}: {count:,} lines, {args.count:,} {args.flood}, {size / 1e6:.1f} MB")
    if args.measure:
        path = str(args.output)
        analyze = [sys.executable, "-m", "mailwarden", "analyze", "--quiet", "--year", "2026"]
        for name, command in (
            ("analyze", [*analyze, path]),
            ("grep -c", ["grep", "-c", "authentication failed", path]),
        ):
            # analyze: 1 when it found attacks; grep: 1 when no line matched
            took, cpu, peak = measure(command, args.measure, ok=(0, 1))
            print(
                f"{name}: {took:.2f} s ({cpu:.2f} s of CPU), {peak / 1024:.0f} MB peak "
                f"(fastest of {args.measure} runs)"
            )


if __name__ == "__main__":
    main()
