"""`mailwarden explain` given a whole password spray instead of an excerpt: it reads the
input as it explains it, so what it holds does not grow with the lines (only with the
clients and sessions its verdict counts), and what the reader sees stays an excerpt's
length: the first entries, how many more there were, and a verdict on all of them."""

from __future__ import annotations

import gc
import re
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from clirunner import Runner
from mailwarden.detect import analyze
from mailwarden.explain import explain
from mailwarden.explain.excerpt import MAX_ENTRIES
from mailwarden.framing import Framer
from mailwarden.model import Event, Record
from mailwarden.parsers import parse

CLIENTS = 40
"""Guessing addresses (documentation ranges): few, so that only the lines grow."""


def spray_lines(sessions: int, held_open: bool = False) -> Iterator[str]:
    """A password spray: each session a connect, one to three failed logins at accounts
    of a list shared by all clients, the hang-up and the disconnect (five lines). With
    ``held_open``, one of its clients also keeps a connection open from the first line
    to the last, a guess every minute."""
    now = datetime(2026, 3, 11, 0, 0, 0)
    host = "mx postfix/submission/smtpd"
    for n in range(sessions):
        client = n % CLIENTS
        ip = f"{('192.0.2', '198.51.100', '203.0.113')[client % 3]}.{client + 1}"
        pid = 10000 + n % 20000
        now += timedelta(seconds=2)
        stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"
        if held_open and n % 30 == 0:
            yield (
                f"{stamp} {host}[99]: "
                + ("connect from unknown[192.0.2.1]" if n == 0 else _HELD_OPEN_GUESS)
            )
        yield f"{stamp} {host}[{pid}]: connect from unknown[{ip}]"
        for k in range(n % 3 + 1):
            user = f"user{(n * 7 + k) % 150}@example.com"
            yield (
                f"{stamp} {host}[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication "
                f"failed: authentication failure, sasl_username={user}"
            )
        yield f"{stamp} {host}[{pid}]: lost connection after AUTH from unknown[{ip}]"
        yield f"{stamp} {host}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2"


_HELD_OPEN_GUESS = (
    "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, "
    "sasl_username=info@example.com"
)


def test_a_whole_spray_reads_as_an_excerpt_with_a_verdict_on_all_of_it(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = list(spray_lines(2_000))  # 8,000 entries: twenty times what is listed
    code, out, err = run("explain", "--year", "2026", log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    assert err == ""  # nothing was cut: the limit is far above
    flat = " ".join(out.split())
    assert f"{len(lines):,} log entries, 2,000 client sessions." in flat
    listed = len(re.findall(r"^\d\d:\d\d:\d\d ", out, re.MULTILINE))
    assert listed == MAX_ENTRIES
    assert (
        f"…{len(lines) - MAX_ENTRIES:,} more entries are not listed; the verdict below "
        "covers all of them." in flat
    )
    # the sessions listed are the first ones, each whole
    assert "Session 1: client 192.0.2.1" in out and "Session 2: client 198.51.100.2" in out
    # the verdict covers every client, not only those listed
    assert "Yes. Someone is trying to guess passwords; nobody got in." in flat
    assert f"and {CLIENTS - 10} more addresses" in flat
    # and the reader gets an excerpt's length, whatever the input's
    code, longer, err = run(
        "explain", "--year", "2026", log_file("\n".join(spray_lines(8_000)) + "\n")
    )
    assert code == 0 and "Yes. Someone is trying to guess passwords" in " ".join(longer.split())
    assert len(longer.splitlines()) <= len(out.splitlines()) + 10


def _pairs(sessions: int, held_open: bool = False) -> Iterator[tuple[Record, list[Event]]]:
    """The spray's entries with their events, made one at a time as they are asked for
    (the file reader makes a chunk's at once, which would hide what explain holds)."""
    framer = Framer(year=2026)
    for number, line in enumerate(spray_lines(sessions, held_open), 1):
        for record in framer.frame_line(line, "spray", number, 0):
            yield record, parse(record)


def _peak(sessions: int, held_open: bool = False) -> int:
    """Memory held at most while the spray is explained (bytes, past what was allocated
    before)."""
    gc.collect()
    tracemalloc.start()
    try:
        blocks = explain(_pairs(sessions, held_open), analyze=analyze)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(blocks) > MAX_ENTRIES
    return peak


def test_what_explain_holds_does_not_grow_with_the_lines() -> None:
    # Four times the lines from the same clients: the old explain held every entry with
    # its events for the verdict, about 1.2 KB a line (here 14 MB more).
    small, large = _peak(1_000), _peak(4_000)
    assert large - small < 2_000_000, (small, large)
    # Nor while a connection stays open all along: the sessions that end after it began
    # are not all held until it ends (only that client's own).
    small, large = _peak(1_000, held_open=True), _peak(4_000, held_open=True)
    assert large - small < 2_000_000, (small, large)


def test_a_whole_logs_many_networks_are_told_as_an_excerpts_few() -> None:
    # A whole log's detector finds a network or a campaign per botnet: the verdict tells
    # five of a kind, the biggest, and how many more, not a page of each; a finding of
    # another kind after them is still told.
    from mailwarden.detect.analysis import Analysis
    from mailwarden.explain.document import Item, Paragraph
    from mailwarden.explain.verdict import MAX_OF_A_KIND
    from mailwarden.locale import activate
    from mailwarden.model import Finding, Severity

    networks = [f"2001:db8:{n:x}::/48" for n in range(MAX_OF_A_KIND + 3)]
    findings = (
        *(
            Finding("network", Severity.HIGH, net, data={"network": net, "member_count": n})
            for n, net in enumerate(networks, 2)
        ),
        Finding("stale_password", Severity.LOW, "192.0.2.9"),
    )

    def blocks() -> list[str]:
        told = explain(_pairs(20), analyze=lambda events: Analysis(findings=findings))
        return [b.text for b in told if isinstance(b, (Item, Paragraph))]

    texts = blocks()
    told = [t for t in texts if "block the whole network" in t]
    # the biggest (the last here), in their order
    assert len(told) == MAX_OF_A_KIND
    assert all(net in text for net, text in zip(networks[-MAX_OF_A_KIND:], told, strict=True))
    assert any(t.startswith("192.0.2.9: failed logins from an address") for t in texts)
    assert "…and 3 more findings like these: “mailwarden analyze” lists every one." in texts
    activate("zh_CN")
    assert "……另有 3 项类似的发现：“mailwarden analyze”会逐一列出。" in blocks()
