"""A log whose times are behind the host's clock (a writer stamping UTC on a host east of
UTC: a mail container, Postfix's maillog_file in a chroot without /etc/localtime): an
attack read as it is written is banned, for the full ban time from then, and ``status``
and the log say that the log's times are off. A backlog's old attack is still not banned,
and ``status`` counts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wardenlab import ATTACKER, Warden, append, banned, run_cli, sasl_failure


def status(warden: Warden, capsys: pytest.CaptureFixture[str]) -> str:
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert code == 0, err
    return out


def test_a_live_attack_in_a_log_two_hours_behind_is_banned(
    warden: Warden, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    daemon.step()  # caught up: what is appended now is read as it is written
    behind = datetime.now(UTC) - timedelta(hours=2)  # the default ban lasts 1h
    for n, user in enumerate(("admin", "info", "sales")):
        when = behind + timedelta(seconds=n)
        append(warden.log, sasl_failure(ATTACKER, user, pid=1201 + n, when=when))
        daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    [row] = daemon.store.active_bans()
    assert row.until - datetime.now(UTC) > timedelta(minutes=59)  # from now on
    said = [r.getMessage() for r in caplog.records]
    assert not [text for text in said if text.startswith("not banning")]
    warning = f"source: {warden.log}'s times are 2h behind this host's clock: check the writer's"
    assert len([text for text in said if text.startswith(warning)]) == 1
    daemon._heartbeat()
    out = status(warden, capsys)
    assert f"  problem: {warden.log}'s times are 2h behind this host's clock" in out


def test_an_old_attack_of_a_backlog_is_not_banned_and_status_counts_it(
    warden: Warden, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    old = datetime.now(UTC) - timedelta(hours=2)
    append(warden.log, [sasl_failure(ATTACKER, u, pid=1800, when=old) for u in ("a", "b", "c")])
    append(warden.log, ["", ""])  # two empty lines: skipped
    daemon.step()  # the first read of a start: a backlog
    assert banned(daemon) == set()
    assert any(
        r.getMessage().startswith(f"not banning {ATTACKER}/32: its attack was")
        for r in caplog.records
    )
    daemon._heartbeat()
    out = status(warden, capsys)
    assert "  not banned: 1 attack(s) longer ago than their ban would last" in out
    assert "  skipped: 2 line(s) empty, binary or over 64 KiB" in out
    assert "problem:" not in out
