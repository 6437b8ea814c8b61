"""analyze on the night summer time ends: a classic syslog log writes the hour from 02:00
twice, and its entries are read in time order (the second hour after the first)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest

from clirunner import Runner

IP = "203.0.113.9"

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Europe/Berlin"), reason="no tzdata"
)


def failure(clock: str, pid: int) -> str:
    return (
        f"Oct 25 {clock} mx postfix/submission/smtpd[{pid}]: warning: unknown[{IP}]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin"
    )


def test_an_attack_across_the_hour_written_twice_runs_forward(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # 02:50-02:59 the first time (00:50Z-00:59Z), then 02:00-02:09 again (01:00Z-01:09Z)
    clocks = [f"02:5{n}:00" for n in range(10)] + [f"02:0{n}:30" for n in range(10)]
    log = log_file("\n".join(failure(clock, 100 + n) for n, clock in enumerate(clocks)) + "\n")
    code, out, err = run(
        "analyze", "--year", "2026", "--timezone", "Europe/Berlin", "--format", "json", log
    )
    assert code == 0, err
    assert "goes back in time" not in err
    [found] = [a for a in json.loads(out)["attackers"] if a["ip"] == IP]
    assert found["failures"] == 20
    # one offset for the whole report, UTC as the offsets differ (README: "Times")
    assert found["first_seen"] == "2026-10-25T00:50:00+00:00"
    assert found["last_seen"] == "2026-10-25T01:09:30+00:00"
