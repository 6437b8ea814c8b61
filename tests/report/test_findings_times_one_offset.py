"""Networks attacking across the start of summer time (entries stamped +01:00, then
+02:00): a network finding's times follow the report's one offset, in the JSON ``data``
and in the table, and count when choosing it (UTC, said under Notes), even when no
single address's first and last times differ in offset."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner


def _stamp(n: int) -> str:
    """01:50, 01:51, … +01:00 before the change, 03:00, … +02:00 after it."""
    return f"2026-03-29T01:{50 + n}:00+01:00" if n < 10 else f"2026-03-29T03:{n - 10:02d}:00+02:00"


def _line(n: int, ip: str) -> str:
    return (
        f"{_stamp(n)} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs):"
        f" user=<user{n}@example.org>, method=PLAIN, rip={ip}, lip=198.51.100.25,"
        f" session=<w{n}>\n"
    )


def test_network_data_times_are_in_the_report_offset(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # One address of a /64, each failing once or twice: some of them across the change.
    path = log_file("".join(_line(n, f"2001:db8::{n % 12 + 1:x}") for n in range(20)))
    code, out, _ = run("analyze", "--format", "json", path)
    assert code == 0
    document = json.loads(out)
    assert document["attackers"][0]["first_seen"].endswith("+00:00")
    networks = [f for f in document["findings"] if "first_seen" in f["data"]]
    assert networks
    for finding in networks:
        assert finding["data"]["first_seen"] == "2026-03-29T00:50:00+00:00"
        assert finding["data"]["last_seen"] == "2026-03-29T01:09:00+00:00"


def test_a_wide_network_alone_switches_the_report_to_utc(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # A /48 walked one /64 at a time: every address fails once, in one offset each.
    path = log_file("".join(_line(n, f"2001:db8:1:{n + 1:x}::5") for n in range(20)))
    code, out, _ = run("analyze", path, env={"COLUMNS": "100"})
    assert code == 0
    assert "03-29 00:50–01:09" in out
    assert "01:50–03:09" not in out
    assert "Times are in UTC" in out
    code, out, _ = run("analyze", "--format", "json", path)
    wide = [f for f in json.loads(out)["findings"] if "first_seen" in f["data"]]
    assert wide and wide[0]["data"]["first_seen"] == "2026-03-29T00:50:00+00:00"
