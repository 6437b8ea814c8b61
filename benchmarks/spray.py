"""Generate a password spray from a fixed seed, and time `mailwarden explain` on it.

The README's figure for a bigger piece of log given to `explain` (a 5 MB password spray,
38,000 lines from 5,000 addresses) is measured on this file: each address connects to
submission, fails AUTH LOGIN one to three times on accounts of one shared list (Postfix
3.9 names them: ``sasl_username=``), and hangs up; one session every 0.4 s or so, in
time order. Addresses come from 198.18.0.0/15, the range set aside for benchmarks.

    python benchmarks/spray.py -o /tmp/spray.log                 # write the file
    python benchmarks/spray.py -o /tmp/spray.log --measure 3     # and time explain 3 times

``--measure`` runs ``python -m mailwarden explain`` (the interpreter running this script,
so the mailwarden it imports: compiled or pure) and prints the fastest wall time, the
least CPU time and the largest peak memory (maximum resident set) of the runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

BENCHMARK_NET = ipaddress.ip_network("198.18.0.0/15")
ACCOUNTS = [
    f"{name}@example.com"
    for name in ("admin", "info", "sales", "office", "support", "jobs", "billing", "hr")
] + [f"user{n}@example.com" for n in range(140)]


def spray(lines: int, addresses: int, seed: int) -> Iterator[str]:
    """About ``lines`` lines (whole sessions: never cut in the middle of one) from
    ``addresses`` distinct clients, each with at least one session."""
    rng = random.Random(seed)
    clients = [str(BENCHMARK_NET[1 + n * 7]) for n in range(addresses)]
    rng.shuffle(clients)
    now = datetime(2026, 3, 11, 0, 0, 0)
    host = "mx postfix/submission/smtpd"
    written = 0
    session = 0
    while written < lines or session < addresses:
        ip = clients[session] if session < addresses else rng.choice(clients)
        pid = 10000 + rng.randrange(50000)
        now += timedelta(milliseconds=rng.randrange(100, 700))
        stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"
        out = [f"{stamp} {host}[{pid}]: connect from unknown[{ip}]"]
        for _ in range(rng.randint(1, 3)):
            out.append(
                f"{stamp} {host}[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication "
                f"failed: authentication failure, sasl_username={rng.choice(ACCOUNTS)}"
            )
        out.append(f"{stamp} {host}[{pid}]: lost connection after AUTH from unknown[{ip}]")
        out.append(
            f"{stamp} {host}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2"
        )
        yield from out
        written += len(out)
        session += 1


def measure(command: list[str], runs: int, ok: tuple[int, ...] = (0,)) -> tuple[float, float, int]:
    """The fastest wall time and CPU time (s: a loaded machine stretches the first more
    than the second) and the largest peak resident memory (KiB) of ``runs`` runs of
    ``command``; an exit status not in ``ok`` stops the benchmark (also used by caps.py)."""
    best, cpu, peak = float("inf"), float("inf"), 0
    for _ in range(runs):
        # Output goes to a file, not /dev/null: GNU grep stops at the first match when its
        # output is /dev/null.
        with tempfile.TemporaryFile() as out:
            began = time.perf_counter()
            child = subprocess.Popen(command, stdout=out)
            _pid, status, usage = os.wait4(child.pid, 0)
            took = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            sys.exit(f"{Path(sys.argv[0]).stem}: {command[0]} exited with status {code}")
        best, peak = min(best, took), max(peak, usage.ru_maxrss)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
    return best, cpu, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=38_000)
    ap.add_argument("--addresses", type=int, default=5_000, help="distinct guessing clients")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--measure", type=int, default=0, metavar="RUNS", help="time explain")
    args = ap.parse_args()
    if not 1 <= args.addresses < BENCHMARK_NET.num_addresses // 7:
        ap.error(f"--addresses: 1 to {BENCHMARK_NET.num_addresses // 7 - 1}")
    with args.output.open("w", encoding="ascii") as out:
        count = 0
        for line in spray(args.lines, args.addresses, args.seed):
            out.write(line + "\n")
            count += 1
    size = args.output.stat().st_size
    print(f"{args.output}: {count:,} lines, {args.addresses:,} addresses, {size / 1e6:.1f} MB")
    if args.measure:
        explain = [sys.executable, "-m", "mailwarden", "explain", "--year", "2026"]
        took, cpu, peak = measure([*explain, str(args.output)], args.measure)
        print(
            f"explain: {took:.2f} s ({cpu:.2f} s of CPU), {peak / 1024:.0f} MB peak "
            f"(fastest of {args.measure} runs)"
        )


if __name__ == "__main__":
    main()
