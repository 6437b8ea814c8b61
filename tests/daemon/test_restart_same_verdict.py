"""A restart changes no verdict: after a plain stop and start (the owners' logins taken
back from the store, or the first start's look-back), a network in which an owner
logged in is watched, not banned as a whole, as the daemon that kept running and
``analyze`` judge it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wardenlab import Warden, append, banned, drain, run_cli, stamp

NOW = datetime.now(UTC)
HOME = "203.0.113.50"
"""Alice's address; the bots below are of the same /24."""
BOTS = ("203.0.113.60", "203.0.113.61", "203.0.113.62", "203.0.113.63")


def login(session: str, when: datetime, ip: str = HOME) -> str:
    return (
        f"{stamp(when)} mx dovecot: imap-login: Login: user=<alice@example.com>, method=PLAIN, "
        f"rip={ip}, lip=198.51.100.25, mpid=1, TLS, session=<{session}>"
    )


def bots(when: datetime) -> list[str]:
    return [
        f"{stamp(when + timedelta(seconds=n))} mx dovecot: imap-login: Disconnected (auth "
        f"failed, 1 attempts in 2 secs): user=<{user}@example.com>, method=PLAIN, rip={ip}, "
        f"lip=198.51.100.25, TLS, session=<m{n}>"
        for n, (ip, user) in enumerate((ip, user) for ip in BOTS for user in ("carol", "dave"))
    ]


def test_a_login_before_a_restart_spares_the_network_as_without_one(warden: Warden) -> None:
    first = NOW - timedelta(minutes=20)
    append(warden.log, login("L1", first))
    daemon = warden.start()
    drain(daemon)
    daemon.close()
    restarted = warden.start()
    append(warden.log, login("L2", NOW - timedelta(minutes=10)))
    append(warden.log, bots(NOW - timedelta(minutes=5)))
    drain(restarted)
    assert not any(ban.endswith("/24") for ban in banned(restarted))


def test_the_warm_up_after_a_restart_spares_the_network_as_without_one(warden: Warden) -> None:
    """The login and the bots are in the tail the warm-up reads again."""
    append(warden.log, login("L1", NOW - timedelta(minutes=20)))
    append(warden.log, bots(NOW - timedelta(minutes=5)))
    kept = warden.start()
    drain(kept)
    without = banned(kept)
    assert not any(ban.endswith("/24") for ban in without)
    kept.close()
    restarted = warden.start()
    drain(restarted)
    assert banned(restarted) == without


def test_no_new_login_after_the_restart_still_spares_the_network(warden: Warden) -> None:
    append(warden.log, login("L1", NOW - timedelta(minutes=20)))
    daemon = warden.start()
    drain(daemon)
    daemon.close()
    restarted = warden.start()
    append(warden.log, bots(NOW - timedelta(minutes=5)))
    drain(restarted)
    assert not any(ban.endswith("/24") for ban in banned(restarted))


def banned_by_analyze(capsys: pytest.CaptureFixture[str], log: Path) -> list[str]:
    code, err, out = run_cli(capsys, "analyze", "--format", "json", str(log))
    assert code == 0, err
    return [a["verdict"] for a in json.loads(out)["attackers"] if a["recommendation"] == "ban"]


def test_analyze_judges_the_same_lines_as_the_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "mail.log"
    append(log, login("L1", NOW - timedelta(minutes=20)))
    append(log, bots(NOW - timedelta(minutes=5)))
    assert banned_by_analyze(capsys, log) == []
    without = tmp_path / "bots.log"  # nobody logged in there: the network is banned
    append(without, bots(NOW - timedelta(minutes=5)))
    assert banned_by_analyze(capsys, without) == ["network_member"] * len(BOTS)
