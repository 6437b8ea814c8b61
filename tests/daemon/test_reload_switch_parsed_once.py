"""A reload's switch to the new detector feeds it the events the running detector parsed
from the lines logged during the warm-up: it parsed them all a second time, in one go at
the switch, with no ban meanwhile (about a third of the switch's time in pure Python).
Parsing depends on the line alone, so the new detector concludes what it did before:
the same bans, the same compromise said and alerted once. The lines that give no event
are not kept for it, and no longer count towards `WARM_KEEP_MAX`.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from test_alerts import alerts_to
from test_reload_warm_up_judged_once import compromise_lines, compromised
from test_reload_warm_up_slices import (
    ban_lines,
    busy_daemon,
    reload_with,
    said,
    warm_up_read,
)
from wardenlab import (
    ATTACKER,
    OTHER,
    Warden,
    append,
    banned,
    drain,
    guesses,
    sasl_failure,
    sasl_success,
    seconds_ago,
    stamp,
)

from mailwarden.daemon import loop
from mailwarden.model import Event, Record


def queue_lines(count: int) -> list[str]:
    """Lines no parser takes (the queue manager's): no event."""
    return [f"{stamp()} mx postfix/qmgr[900]: 4XyZ1a2B{n:02d}: removed" for n in range(count)]


def test_the_switch_parses_no_kept_line_again_and_decides_as_before(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = alerts_to(warden)
    warden.sections["policy"]["compromise_failures"] = 20
    warden.write()
    daemon = busy_daemon(warden)
    parsed: Counter[str] = Counter()
    parse = loop.parse

    def counted(record: Record) -> list[Event]:
        parsed[record.text] += 1
        return parse(record)

    monkeypatch.setattr(loop, "parse", counted)
    caplog.clear()
    # A new detector: bans at two failures, reports a login after five failures.
    reload_with(warden, daemon, fast_failures=2, compromise_failures=5)
    start = seconds_ago(40 * 60)
    sprayers = {f"2001:db8:{20 + n}::5/128" for n in range(1, 11)}
    spread = [
        sasl_failure(
            f"2001:db8:{20 + n}::5",  # one try each: a spraying campaign
            "carol@example.org",
            pid=1200 + n,
            when=start + timedelta(minutes=3 * n),
        )
        for n in range(1, 11)
    ]
    kept = [
        *guesses(ATTACKER),  # three: the running detector bans it at once
        *queue_lines(4),
        *guesses(OTHER, users=("alice", "bob")),  # two: only the new policy bans
        *spread,
        sasl_success("198.51.100.60", "carol@example.org", when=seconds_ago(60)),
    ]
    append(warden.log, kept)
    daemon.step()
    assert daemon._warming is not None  # all of them logged during the warm-up
    assert banned(daemon) == {f"{ATTACKER}/32", *sprayers}
    drain(daemon)
    daemon.alerter.close()

    messages = said(caplog)
    (read,) = warm_up_read(messages)
    assert f"the {len(kept)} line(s) read meanwhile" in messages[read]
    # Each line logged during the warm-up was parsed once, by the running detector.
    assert {line: parsed[line] for line in kept} == dict.fromkeys(kept, 1)
    # What the new detector concluded from them, at the switch, as before.
    assert banned(daemon) == {f"{ATTACKER}/32", f"{OTHER}/32", *sprayers}
    assert ban_lines(messages, f"{ATTACKER}/32")[0] < read < ban_lines(messages, f"{OTHER}/32")[0]
    assert len(ban_lines(messages, f"{ATTACKER}/32")) == 1
    assert len(ban_lines(messages, f"{OTHER}/32")) == 1
    assert all(len(ban_lines(messages, network)) == 1 for network in sprayers)
    assert daemon.counters.bans == 12
    lines_said = compromise_lines(messages)
    assert len(lines_said) == 1
    assert lines_said[0].startswith(
        'possible compromise: "carol@example.org" logged in from 198.51.100.60'
    )
    assert messages.index(lines_said[0]) > read
    assert [alert["ip"] for alert in compromised(inbox)] == ["198.51.100.60"]
    assert daemon.counters.compromises == 1

    # The new detector took over knowing those lines: OTHER's ban spent its failures,
    # one more guess of a third address makes its second and bans it (two, the new
    # policy).
    third = "198.51.100.30"
    append(warden.log, guesses(third, users=("dave", "erin")))
    drain(daemon)
    assert banned(daemon) == {f"{ATTACKER}/32", f"{OTHER}/32", f"{third}/32", *sprayers}


def test_lines_that_give_no_event_do_not_end_the_warm_up_at_once(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log busy with lines no rule reads (the queue manager's, deliveries) kept the
    warm-up in slices until it had written `WARM_KEEP_MAX` of them: then the rest was
    read at once, with no ban meanwhile. Only the lines kept for the new detector (those
    that give events) count now."""
    monkeypatch.setattr(loop, "WARM_KEEP_MAX", 200)  # characters: two lines
    daemon = busy_daemon(warden)
    caplog.clear()
    reload_with(warden, daemon, fast_window="6m")
    append(warden.log, queue_lines(20))  # 1,200 characters
    daemon.step()
    daemon.step()
    assert daemon._warming is not None  # still in slices
    assert not any("read at once" in message for message in said(caplog))

    append(warden.log, guesses(ATTACKER))  # three lines that give events: past 200
    daemon.step()
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert daemon._warming is None
    assert any(
        message.startswith("warm-up: 23 line(s) logged since the reload, of which more than ")
        and message.endswith(
            " MiB give events for the new detector: the rest of the warm-up is read at once "
            "(no ban until it ends)"
        )
        for message in messages
    )
    assert len(warm_up_read(messages)) == 1
