"""At 80 columns an IPv4 address always stays in its row of the attackers table, even
the one longest address among many shorter ones; a long IPv6 address may still go on a
line of its own above its row (whole), so that the other columns keep their width."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from mailwarden.detect import Analysis, Attacker, Verdict
from mailwarden.report import ReadSummary
from mailwarden.report.text import write_text

T0 = datetime(2026, 6, 11, 13, 57, tzinfo=UTC)
LONGEST = "192.168.144.226"  # 15 characters: the widest an IPv4 address gets


def probe(ip: str, user: str) -> Attacker:
    return Attacker(
        ip=ip,
        network=None,
        verdict=Verdict.PROBE,
        verdicts=(Verdict.PROBE,),
        failures=1,
        users=(user,),
        first_seen=T0,
        last_seen=T0 + timedelta(days=3),
        succeeded_as=(),
        recommendation="watch",
    )


def render(attackers: tuple[Attacker, ...], width: int = 80) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width)
    summary = ReadSummary(inputs=("dovecot.log",), files=1, lines=182)
    write_text(Analysis(attackers=attackers), summary, console)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("others", [9, 17])
def test_the_longest_ipv4_address_among_shorter_ones_stays_in_its_row(others: int) -> None:
    # Shorter addresses and long names (the names' column is wide), then one address of
    # 15 characters: before, nine in ten rows set the column's width, and it went above
    # its row, a line of its own, as if the table had wrapped.
    attackers = (
        *(probe(f"192.0.2.{n + 1}", f"administrator{n}@example.com") for n in range(others)),
        probe(LONGEST, "admin@example.ru"),
    )
    lines = render(attackers)
    (row,) = [line for line in lines if LONGEST in line]
    assert row.startswith(LONGEST + " ") and "probe" in row and "watch" in row, lines
    assert all(len(line) <= 80 for line in lines)


def test_a_long_ipv6_address_goes_above_its_row_and_ipv4_ones_stay() -> None:
    # The rule for IPv6: one too long for the column goes on a line of its own above
    # its row, whole; the IPv4 addresses, the longest too, stay in theirs.
    ipv6 = "2001:db8:100:7a:8d3f:21c4:5e6b:1c09"
    attackers = (
        *(probe(f"192.0.2.{n + 1}", f"administrator{n}@example.com") for n in range(16)),
        probe(LONGEST, "admin@example.ru"),
        probe(ipv6, "webmaster@example.ru"),
    )
    lines = render(attackers)
    (alone,) = [line for line in lines if ipv6 in line]
    assert alone.strip() == ipv6
    below = lines[lines.index(alone) + 1]
    assert "probe" in below and "webmaster@example.ru" in below
    ipv4_rows = [line for line in lines if line.startswith(("192.0.2.", LONGEST))]
    assert len(ipv4_rows) == 17 and all("probe" in line for line in ipv4_rows)
