"""Time one ban of the postfix-map backend with many bans already in its table.

The table is filled with ``--bans`` IPv6 /128 bans of a day (one `sync`), then each of
``--rounds`` rounds times two single-ban `apply` calls: one after a quiet spell (more
than the reload delay since the last reload: the table is written, fsynced and the
reload command runs at once) and one right after it (within the delay: the change
waits for that reload). The reload command is ``true``: the time is the backend's, not
Postfix's. Prints the median of each.

    python benchmarks/postfix_map.py                        # 1,000, 10,000, 100,000 bans
    python benchmarks/postfix_map.py --bans 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailwarden.enforce.interface import BanEntry
from mailwarden.enforce.postfix_map import RELOAD_EVERY, PostfixMapEnforcer


class Clock:
    """The backend's clock, moved by hand past the reload delay."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def measure(count: int, rounds: int, folder: Path) -> tuple[float, float]:
    """(after a quiet spell, within the delay): median seconds of one single-ban apply."""
    now = datetime.now(UTC)
    base = int(ipaddress.IPv6Address("2001:db8::"))
    clock = Clock()
    enforcer = PostfixMapEnforcer(folder / "access.cidr", reload_command=["true"], clock=clock)
    enforcer.sync(
        [
            BanEntry(
                ipaddress.ip_network(f"{ipaddress.IPv6Address(base + (n << 16))}/128"),
                now + timedelta(days=1),
                "bruteforce",
            )
            for n in range(count)
        ]
    )
    quiet: list[float] = []
    burst: list[float] = []
    for n in range(rounds):
        for times, network in ((quiet, f"203.0.113.{n}/32"), (burst, f"198.51.100.{n}/32")):
            if times is quiet:
                clock.now += RELOAD_EVERY * 2
            entry = BanEntry(ipaddress.ip_network(network), now + timedelta(hours=1), "x")
            started = time.perf_counter()
            enforcer.apply([entry], [])
            times.append(time.perf_counter() - started)
    enforcer.flush(force=True)
    return statistics.median(quiet), statistics.median(burst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bans", type=int, action="append", help="bans in the table")
    parser.add_argument("--rounds", type=int, default=15, help="bans timed (median)")
    args = parser.parse_args()
    for count in args.bans or [1_000, 10_000, 100_000]:
        with tempfile.TemporaryDirectory() as folder:
            quiet, burst = measure(count, min(args.rounds, 250), Path(folder))
        print(
            f"{count:>7,} bans: a ban after a quiet spell {quiet * 1000:8.2f} ms, "
            f"a ban within the reload delay {burst * 1000:8.2f} ms"
        )


if __name__ == "__main__":
    main()
