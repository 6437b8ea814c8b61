"""Ban latency: from the log line that crosses the threshold to the nftables element.

The daemon (`mailwarden run`, nftables backend) runs inside a network namespace this
script creates, following a log file in a temporary directory. For each of N attackers
(distinct addresses of the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and
203.0.113.0/24, with their own account names and mailwarden's network rule set out of
reach, so that only the brute-force rule decides, as in fail2ban), two failed
logins are appended, then the third; the time from that write to the address being in
``nft list set inet mailwarden v4`` (polled every millisecond through libnftables
inside the namespace) is one sample. It prints p50, p90, p99 and the worst.

fail2ban (Debian's package, when installed; ``--no-fail2ban`` skips it) is measured the
same way in the same run: a jail with Debian's ``postfix[mode=auth]`` filter, maxretry 3,
the pyinotify backend and the ``nftables-multiport`` action, in a namespace of its own,
with its elements polled in ``inet f2b-table``. The ratio of the medians is the number
to compare across machines, not the absolute times.

Everything (namespaces, processes, files) is removed at the end. Needs root.
Usage: sudo .venv/bin/python benchmarks/latency.py --runs 100
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

POLLER = r"""
import ctypes, sys, time
lib = ctypes.CDLL("libnftables.so.1")
lib.nft_ctx_new.restype = ctypes.c_void_p
lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
ctx = lib.nft_ctx_new(0)
lib.nft_ctx_buffer_output(ctx)
lib.nft_ctx_buffer_error(ctx)
lib.nft_ctx_output_set_flags(ctx, 1 << 4)  # NFT_CTX_OUTPUT_JSON
print("ready", flush=True)
for line in sys.stdin:
    table, name, address, timeout = line.split()
    command = f"list set inet {table} {name}".encode()
    needle = f'"{address}"'.encode()
    deadline = time.monotonic() + float(timeout)
    found = "timeout"
    while time.monotonic() < deadline:
        ok = lib.nft_run_cmd_from_buffer(ctx, command) == 0
        if ok and needle in (lib.nft_ctx_get_output_buffer(ctx) or b""):
            found = repr(time.monotonic())
            break
        time.sleep(0.001)
    print(found, flush=True)
"""

F2B_JAIL = """\
[DEFAULT]
backend = pyinotify
banaction = nftables-multiport
ignoreip =

[latency]
enabled = true
filter = postfix[mode=auth]
logpath = {log}
maxretry = 3
findtime = 10m
bantime = 1h
port = smtp,submission
"""

F2B_SERVER = """\
[Definition]
logtarget = {dir}/fail2ban.log
socket = {dir}/fail2ban.sock
pidfile = {dir}/fail2ban.pid
dbfile = :memory:
"""

MAILWARDEN_CONFIG = """\
[sources]
files = ["{log}"]

[store]
path = "{dir}/state/mailwarden.db"

[enforce]
backend = "nftables"
ports = [25, 587]

[policy]
fast_failures = 3
fast_window = "10m"
ban_time = "1h"
network_clients = 10000
"""


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"latency: {' '.join(argv)}: {done.stderr.strip()}")
    return done


@contextlib.contextmanager
def netns() -> Iterator[str]:
    name = "mw-lat-" + secrets.token_hex(4)
    run("ip", "netns", "add", name)
    run("ip", "-n", name, "link", "set", "lo", "up")
    try:
        yield name
    finally:
        for pid in run("ip", "netns", "pids", name, check=False).stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 9)
        run("ip", "netns", "del", name, check=False)


def syslog_line(address: str, user: str, pid: int) -> str:
    now = time.localtime()
    stamp = f"{time.strftime('%b', now)} {now.tm_mday:>2} {time.strftime('%H:%M:%S', now)}"
    return (
        f"{stamp} mx postfix/submission/smtpd[{pid}]: warning: unknown[{address}]: "
        f"SASL PLAIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}\n"
    )


@dataclass
class Target:
    """A tool under test: where it logs from and where its bans appear."""

    name: str
    ns: str
    log: Path
    table: str
    set_name: str
    proc: subprocess.Popen[bytes]


class Poller:
    def __init__(self, ns: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", POLLER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        if self.stdout.readline().strip() != "ready":
            raise SystemExit("latency: the libnftables poller did not start")

    def ask(self, target: Target, address: str, timeout: float) -> None:
        self.stdin.write(f"{target.table} {target.set_name} {address} {timeout}\n")
        self.stdin.flush()

    def answer(self) -> float | None:
        text = self.stdout.readline().strip()
        return None if text in ("timeout", "") else float(text)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def wait_for(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise SystemExit(f"latency: no {text!r} in {path} after {timeout:g} s")


def start_mailwarden(ns: str, work: Path) -> Target:
    log = work / "mailwarden-mail.log"
    log.touch()
    config = work / "mailwarden.toml"
    config.write_text(MAILWARDEN_CONFIG.format(log=log, dir=work))
    output = work / "mailwarden.out"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "mailwarden", "run",
             "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    wait_for(output, "started: ", 30)
    return Target("mailwarden", ns, log, "mailwarden", "v4", proc)


def start_fail2ban(ns: str, work: Path) -> Target:
    confdir = work / "fail2ban"
    shutil.copytree("/etc/fail2ban", confdir)
    for extra in (confdir / "jail.d").glob("*"):
        extra.unlink()  # Debian enables sshd there
    log = work / "fail2ban-mail.log"
    log.touch()
    (confdir / "jail.local").write_text(F2B_JAIL.format(log=log))
    (confdir / "fail2ban.local").write_text(F2B_SERVER.format(dir=work))
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, "fail2ban-server", "-f", "-x", "-c", str(confdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    wait_for(work / "fail2ban.log", "Jail 'latency' started", 30)
    return Target("fail2ban", ns, log, "f2b-table", "addr-set-latency", proc)


DOCUMENTATION_NETS = ("192.0.2", "198.51.100", "203.0.113")
MAX_ADDRESSES = 3 * 254


def attacker_address(index: int) -> str:
    """The ``index``-th attacker: an address of the documentation ranges (RFC 5737)."""
    net = DOCUMENTATION_NETS[index % 3]
    return f"{net}.{1 + index // 3 % 254}"


def measure(target: Target, runs: int, first: int, settle: float) -> list[float]:
    """Seconds from the crossing write to the element, for `runs` attackers (plus one
    unmeasured warm-up attacker: the first ban creates fail2ban's table)."""
    poller = Poller(target.ns)
    samples: list[float] = []
    fd = os.open(target.log, os.O_WRONLY | os.O_APPEND)
    try:
        for n in range(runs + 1):
            index = first + n
            address = attacker_address(index)
            users = [f"{target.name}{index}-{k}@example.org" for k in range(3)]
            for k in range(2):
                os.write(fd, syslog_line(address, users[k], 4000 + k).encode())
            time.sleep(settle * random.uniform(0.5, 1.5))  # no phase lock with a poll loop
            poller.ask(target, address, 10.0)
            time.sleep(0.01)  # the poller is polling
            os.write(fd, syslog_line(address, users[2], 4002).encode())
            written = time.monotonic()
            found = poller.answer()
            if found is None:
                raise SystemExit(f"latency: {target.name} did not ban {address} within 10 s")
            if n > 0:
                samples.append(found - written)
    finally:
        os.close(fd)
        poller.close()
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, samples: list[float]) -> dict[str, float | int | str]:
    return {
        "tool": name,
        "runs": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p90_ms": round(percentile(samples, 0.90) * 1000, 1),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


def stop(target: Target) -> None:
    target.proc.terminate()
    try:
        target.proc.wait(15)
    except subprocess.TimeoutExpired:
        target.proc.kill()
        target.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="attackers per tool (100)")
    parser.add_argument("--no-fail2ban", action="store_true", help="measure mailwarden only")
    parser.add_argument(
        "--settle", type=float, default=0.3, help="seconds between the first guesses and the third"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if not 1 <= args.runs < MAX_ADDRESSES // 2:
        raise SystemExit(f"latency: --runs must be 1 to {MAX_ADDRESSES // 2 - 1}")
    if os.geteuid() != 0:
        raise SystemExit("latency: needs root (network namespaces, nftables)")
    for program in ("ip", "nft"):
        if shutil.which(program) is None:
            raise SystemExit(f"latency: {program} is not installed")
    with_fail2ban = not args.no_fail2ban and shutil.which("fail2ban-server") is not None
    results = []
    with tempfile.TemporaryDirectory(prefix="mw-latency-") as tmp:
        work = Path(tmp)
        with netns() as ns:
            target = start_mailwarden(ns, work)
            try:
                results.append(summary("mailwarden", measure(target, args.runs, 0, args.settle)))
            finally:
                stop(target)
        if with_fail2ban:
            with netns() as ns:
                target = start_fail2ban(ns, work)
                try:
                    samples = measure(target, args.runs, args.runs + 1, args.settle)
                    results.append(summary("fail2ban", samples))
                finally:
                    stop(target)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'tool':<12}{'runs':>6}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for row in results:
        print(
            f"{row['tool']:<12}{row['runs']:>6}{row['p50_ms']:>10}{row['p90_ms']:>10}"
            f"{row['p99_ms']:>10}{row['max_ms']:>10}"
        )
    if len(results) == 2:
        ratio = float(results[1]["p50_ms"]) / max(float(results[0]["p50_ms"]), 0.1)
        print(f"fail2ban / mailwarden at the median: {ratio:.1f}x")
    elif not with_fail2ban:
        print("(fail2ban not measured: install Debian's fail2ban to compare)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
