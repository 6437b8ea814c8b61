"""The accounts an attacker tried, as the daemon's ban line and the ban's stored record
name them: all of them (a few, then ``+N more``), for a network too, hostile names
escaped."""

from __future__ import annotations

import json
import re

import pytest
from wardenlab import Warden, append, banned, sasl_failure, seconds_ago


def ban_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]


def users_in(line: str) -> str:
    found = re.search(r" \(users: (.*)\)$", line)
    assert found, line
    return found.group(1)


def test_a_sprayer_rotating_its_addresses_is_banned_naming_every_account_tried(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = ["alice", "bob", "carol", "dave"]
    lines = [
        sasl_failure(f"203.0.113.{10 + n}", user, pid=2100 + n, when=seconds_ago(300 - 30 * n))
        for n, user in enumerate(accounts)
    ]
    daemon = warden.start()
    append(warden.log, lines)
    daemon.step()

    assert banned(daemon) == {"203.0.113.0/24"}
    [line] = ban_lines(caplog)
    assert sorted(users_in(line).split(", ")) == [f'"{user}"' for user in accounts]
    [row] = daemon.store.active_bans()
    record = json.loads(row.evidence)
    assert sorted(record["users"]) == accounts and record["user_count"] == 4


def test_many_accounts_tried_show_a_few_escaped_and_how_many_more(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["policy"].update(
        fast_failures=50, slow_failures=50, daily_failures=50, enumeration_users=9
    )
    warden.write()
    hostile = ["adm\x1b[31min", "root\u202eoops", "x) ban 192.0.2.99/32 for 1d"]
    accounts = [*hostile, *(f"user{n}" for n in range(6))]
    daemon = warden.start()
    append(warden.log, [sasl_failure(user=u, pid=2200 + n) for n, u in enumerate(accounts)])
    daemon.step()

    [line] = ban_lines(caplog)
    assert line.isprintable() and line.isascii(), line
    names, _, more = users_in(line).rpartition(" +")
    shown = names.split(", ")
    assert 1 < len(shown) < 9 and more == f"{9 - len(shown)} more", line
    assert '"adm\\x1b[31min"' in shown  # the ESC as one escape: \x1b
    record = json.loads(daemon.store.active_bans()[0].evidence)
    assert record["user_count"] == 9 and set(record["users"]) <= set(accounts)
    assert hostile[0] in record["users"]
