"""A reload's warm-up in slices: the running detector judges the new lines while the new
one reads the earlier ones, then the new one is fed those new lines too and takes over.
What the running detector said and did meanwhile is not said or done again at the
switch; what only the new policy sees is not lost:

- a compromise (or a possible one) that only the new policy reports, from a login
  during the warm-up, is logged and alerted at the switch, even when its client was
  banned already (only the ban is not made twice);
- an address taken off the allow list is judged by the running detector from its next
  line, not banned only once the warm-up ends;
- a held-back judgement (what waited for a trailer login) that the running detector
  made during the warm-up is not made again by the new one after the switch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_alerts import alerts_to, received
from test_forged_trailer_guessing_banned import DEFER_SECONDS, _a_line_later, _slow_guesses
from test_reload_warm_up_slices import busy_daemon, reload_with, said, warm_up_read, warming
from wardenlab import (
    ATTACKER,
    Warden,
    append,
    banned,
    drain,
    guesses,
    logrotate,
    sasl_failure,
    sasl_success,
    seconds_ago,
)

from mailwarden.daemon.loop import Daemon
from mailwarden.daemon.status import status_document, status_text


def compromised(inbox: Path) -> list[dict[str, Any]]:
    return [alert for alert in received(inbox) if alert["kind"] == "compromised"]


def compromise_lines(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith(("compromise:", "possible compromise:"))]


def test_a_possible_compromise_only_the_new_policy_sees_during_the_warm_up_is_said(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden, compromise_failures=20)
    daemon = warming(warden, caplog, compromise_failures=5)
    start = seconds_ago(40 * 60)
    lines = [
        sasl_failure(
            f"203.0.113.{n}",
            "carol@example.org",
            pid=1200 + n,
            when=start + timedelta(minutes=3 * n),
        )
        for n in range(1, 11)
    ]
    lines.append(sasl_success("198.51.100.60", "carol@example.org", when=seconds_ago(60)))
    append(warden.log, lines)
    daemon.step()
    assert daemon._warming is not None  # logged in during the warm-up
    drain(daemon)
    daemon.alerter.close()

    lines_said = compromise_lines(said(caplog))
    assert len(lines_said) == 1
    assert lines_said[0].startswith(
        'possible compromise: "carol@example.org" logged in from 198.51.100.60'
    )
    assert [alert["ip"] for alert in compromised(inbox)] == ["198.51.100.60"]
    assert daemon.counters.compromises == 1


def test_a_compromise_of_an_address_taken_off_the_allow_list_is_said_though_banned(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # It guessed while allowed (the running detector did not count it), then logged in
    # during the warm-up: the new detector bans it for the guessing and reports the
    # break-in; the ban is made once, the compromise is said and alerted.
    inbox = alerts_to(warden, allow=[f"{ATTACKER}/32"])
    daemon = busy_daemon(warden)
    append(warden.log, guesses(ATTACKER))
    drain(daemon)
    caplog.clear()
    reload_with(warden, daemon, allow=[])
    append(warden.log, sasl_success(ATTACKER, "alice@example.org"))
    daemon.step()
    assert daemon._warming is not None
    drain(daemon)
    daemon.alerter.close()

    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len([m for m in messages if m.startswith(f"ban {ATTACKER}/32 ")]) == 1
    lines_said = compromise_lines(messages)
    assert len(lines_said) == 1
    assert lines_said[0].startswith(f'compromise: "alice@example.org" logged in from {ATTACKER}')
    assert [alert["ip"] for alert in compromised(inbox)] == [ATTACKER]
    assert daemon.counters.compromises == 1


def test_a_compromise_the_running_detector_reported_meanwhile_is_said_once(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden)
    daemon = warming(warden, caplog, fast_window="6m")
    append(warden.log, [*guesses(ATTACKER), sasl_success(ATTACKER, "alice@example.org")])
    daemon.step()
    assert daemon._warming is not None
    assert len(compromise_lines(said(caplog))) == 1  # the running detector's
    drain(daemon)
    daemon.alerter.close()

    assert warm_up_read(said(caplog))
    assert len(compromise_lines(said(caplog))) == 1
    assert len(compromised(inbox)) == 1
    assert daemon.counters.compromises == 1


def test_an_address_taken_off_the_allow_list_is_banned_during_the_warm_up(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = alerts_to(warden, allow=[f"{ATTACKER}/32"])
    daemon = warming(warden, caplog, allow=[])
    append(warden.log, [*guesses(ATTACKER), sasl_success(ATTACKER, "sales")])
    daemon.step()
    assert daemon._warming is not None
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}  # before the warm-up ends
    assert not [m for m in messages if "allow-listed" in m]
    assert len(compromise_lines(messages)) == 1

    drain(daemon)
    daemon.alerter.close()
    messages = said(caplog)
    assert warm_up_read(messages)
    assert len([m for m in messages if m.startswith(f"ban {ATTACKER}/32 ")]) == 1
    assert not [m for m in messages if "allow-listed" in m]
    assert len(compromise_lines(messages)) == 1
    assert len(compromised(inbox)) == 1


def trailer_attack(warden: Warden) -> None:
    """Three guesses behind a forged trailer login, judged only once the trailer waited
    DEFER_SECONDS (by the log's time: a later line says so), at the housekeeping."""
    began = datetime.now(UTC) - timedelta(seconds=DEFER_SECONDS + 120)
    append(warden.log, _slow_guesses(began))
    append(warden.log, _a_line_later(began))


def judged_during_the_warm_up(daemon: Daemon) -> None:
    """Step with the warm-up held (no slice), the housekeeping due: the running detector
    makes its held-back judgements while the warm-up is under way; then let it end and
    run the new detector's housekeeping."""
    slice_ = daemon._warm_slice
    daemon._warm_slice = lambda: None  # type: ignore[method-assign]
    daemon.step()
    daemon._due["housekeeping"] = 0
    daemon.step()
    assert daemon._warming is not None
    daemon._warm_slice = slice_  # type: ignore[method-assign]
    drain(daemon)
    assert daemon._warming is None
    daemon._due["housekeeping"] = 0
    daemon.step()


def test_a_held_back_ban_made_during_the_warm_up_is_not_made_again(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warming(warden, caplog, lines=200, fast_window="6m")
    trailer_attack(warden)
    judged_during_the_warm_up(daemon)

    messages = said(caplog)
    assert warm_up_read(messages)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len([m for m in messages if m.startswith(f"ban {ATTACKER}/32 ")]) == 1
    assert daemon.counters.already_banned == 0


def test_a_held_back_judgement_not_banned_during_the_warm_up_is_said_once(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["policy"].update(ban_time="2s", max_ban_time="1h")
    warden.write()
    daemon = warming(warden, caplog, lines=200, fast_window="6m")
    trailer_attack(warden)
    judged_during_the_warm_up(daemon)

    messages = said(caplog)
    assert warm_up_read(messages)
    stale = [m for m in messages if m.startswith(f"not banning {ATTACKER}/32: its attack was")]
    assert len(stale) == 1
    assert daemon.counters.stale == 1
    assert banned(daemon) == set()


def test_a_held_back_judgement_due_only_after_the_switch_is_made_by_the_new_detector(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warming(warden, caplog, lines=200, fast_window="6m")
    trailer_attack(warden)
    drain(daemon)  # the warm-up ends before any housekeeping
    assert daemon._warming is None
    daemon._due["housekeeping"] = 0
    daemon.step()

    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert len([m for m in messages if m.startswith(f"ban {ATTACKER}/32 ")]) == 1


def test_status_says_a_reload_s_warm_up_is_under_way(warden: Warden) -> None:
    daemon = busy_daemon(warden)
    reload_with(warden, daemon, fast_window="6m")
    daemon.step()
    assert daemon._warming is not None
    document = status_document(daemon.store, daemon.config)
    warm = document["daemon"]["warm_up"]
    assert warm is not None and warm["lines"] > 0
    assert warm["since"].endswith("Z")
    text = status_text(document)
    assert f"warm-up: a reload's new detector has read {warm['lines']} earlier line(s)" in text
    assert f"since {warm['since']}" in text

    drain(daemon)
    daemon.step()
    document = status_document(daemon.store, daemon.config)
    assert document["daemon"]["warm_up"] is None
    assert "warm-up" not in status_text(document)


def test_a_copytruncate_rotation_under_the_warm_up_is_said(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    # 20000 lines, 2 MB: more than one piece (1 MiB)
    daemon = warming(warden, caplog, lines=20000, fast_window="6m")
    daemon.step()
    assert daemon._warming is not None
    (warden.tmp / "lr").mkdir()
    logrotate(warden.tmp / "lr", warden.log, "copytruncate")
    drain(daemon)

    messages = said(caplog)
    shrank = [m for m in messages if m.startswith(f"warm-up: {warden.log} shrank while")]
    assert len(shrank) == 1
    assert "the new detector does not count them" in shrank[0]
    assert warm_up_read(messages)
