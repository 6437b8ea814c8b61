"""Failures a wider ban answered are spent: the daemon skipped them as banned already
while a /25 (the admin's, or its own network ban) was in force, and a restart or reload
after that ban ran out read them again and banned the address inside it, as a new
offence (``ban 203.0.113.90/32 for 10m ... network_member``)."""

from __future__ import annotations

import time

import pytest
from wardenlab import Warden, append, banned, drain, guesses, run_cli

MEMBER = "203.0.113.90"


def test_a_restart_does_not_ban_for_failures_a_wider_ban_answered(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    daemon = warden.start()
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/25", "--for", "3s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    append(warden.log, guesses(MEMBER))
    drain(daemon)
    assert banned(daemon) == {"203.0.113.0/25"}  # skipped: banned already
    time.sleep(3.5)
    daemon._due["expire"] = 0
    drain(daemon)
    assert banned(daemon) == set()
    daemon.close()

    caplog.clear()
    restarted = warden.start()
    drain(restarted)
    assert banned(restarted) == set()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    assert said == []


def test_failures_after_the_wider_ban_ended_still_ban(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only what the ban answered is spent: guessing after it ran out, read at the
    first start (the warm-up reads it), bans."""
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/25", "--for", "2s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    time.sleep(5.5)  # over, and well past the two seconds of slack before the guessing
    append(warden.log, guesses(MEMBER))
    started = warden.start()
    drain(started)
    assert banned(started) == {f"{MEMBER}/32"}


def test_a_wider_ban_begun_after_the_attack_did_not_answer_it(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guessing while the daemon is down, then a short manual /25 of its network that
    is over by the start: the /25 never held the guessing back, the start bans it."""
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    append(warden.log, guesses(MEMBER))
    time.sleep(3.5)  # past the log's rounding and the two seconds' slack
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/25", "--for", "2s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    time.sleep(2.5)
    started = warden.start()
    drain(started)
    assert banned(started) == {f"{MEMBER}/32"}


def test_a_wider_ban_not_enforced_here_answers_nothing(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stored /24 over an allowed address (webmail) is left out of the firewall
    (status: not enforced): guessing from inside it while the daemon is down is banned
    at the start, as the running daemon bans it."""
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/24", "--for", "1h", "--config", str(warden.config_path)
    )
    assert code == 0, err
    warden.sections["policy"].update(allow=["203.0.113.5"])
    warden.write()
    append(warden.log, guesses(MEMBER))
    started = warden.start()
    drain(started)
    assert banned(started) == {"203.0.113.0/24", f"{MEMBER}/32"}  # the /24 stays stored


def test_a_reload_does_not_ban_for_failures_a_wider_ban_answered(
    warden: Warden, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The same at a reload that makes a new detector (ban_time changed): its warm-up
    reads the failures again."""
    warden.sections["policy"].update(ban_time="10m")
    warden.write()
    daemon = warden.start()
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/25", "--for", "3s", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    append(warden.log, guesses(MEMBER))
    drain(daemon)
    time.sleep(3.5)
    daemon._due["expire"] = 0
    drain(daemon)
    assert banned(daemon) == set()

    caplog.clear()
    warden.sections["policy"].update(ban_time="20m")
    warden.write()
    daemon.reload()
    drain(daemon)
    assert daemon._warming is None
    assert banned(daemon) == set()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    assert said == []
