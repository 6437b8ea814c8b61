"""A reload that builds a new detector (a threshold, a window, an address taken off the
allow list) warms it up from the lines before where reading stands. That took 24 s for a
30 MB mail.log, and no ban was made meanwhile: an attacker guessing during a reload was
free until it ended. The warm-up now reads its earlier lines a slice at each step; in
between, the running detector judges the new lines, bans, and the firewall is repaired,
and the new detector is fed those lines too before it takes over, without banning, saying
or recording again what was banned meanwhile.

The earlier log here is a few thousand lines, and a slice is made as short as it can be
(one batch of records): the warm-up takes tens of steps, as a 30 MB log's takes seconds.
"""

from __future__ import annotations

import time
from ipaddress import ip_network
from pathlib import Path

import pytest
from test_daemon_journal import arrive, entry, set_entries, stand_in_journal
from wardenlab import (
    ATTACKER,
    OTHER,
    Warden,
    append,
    banned,
    drain,
    guesses,
    stamp,
    step_until,
    wait_until,
)

from mailwarden.daemon import loop
from mailwarden.daemon.loop import Daemon

NOISE_CLIENT = "192.0.2.50"


def noise(lines: int) -> list[str]:
    """Ordinary lines, stamped now: connects and disconnects of a client that does
    nothing wrong."""
    out = []
    for n in range(lines // 2):
        at = stamp()
        out.append(f"{at} mx postfix/smtpd[{2000 + n % 300}]: connect from unknown[{NOISE_CLIENT}]")
        out.append(
            f"{at} mx postfix/smtpd[{2000 + n % 300}]: disconnect from unknown[{NOISE_CLIENT}] "
            "ehlo=1 quit=1 commands=2"
        )
    return out


@pytest.fixture
def fake_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """test_daemon_journal's stand-in journalctl, on an empty journal."""
    return stand_in_journal(tmp_path, monkeypatch)


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def warm_up_read(messages: list[str]) -> list[int]:
    """Where the log says that a warm-up read its earlier lines."""
    return [
        n
        for n, message in enumerate(messages)
        if message.startswith("warm-up:") and " earlier line(s) read in " in message
    ]


def ban_lines(messages: list[str], network: str) -> list[int]:
    return [n for n, message in enumerate(messages) if message.startswith(f"ban {network} ")]


def busy_daemon(warden: Warden, lines: int = 3000) -> Daemon:
    """A daemon that read ``lines`` ordinary lines, its warm-ups in the shortest slices."""
    daemon = warden.start()
    daemon.warm_slice = 0.0  # one batch of records a step
    append(warden.log, noise(lines))
    drain(daemon)
    return daemon


def reload_with(warden: Warden, daemon: Daemon, **policy: object) -> None:
    warden.sections["policy"].update(policy)
    warden.write()
    daemon.reload()


def warming(
    warden: Warden, caplog: pytest.LogCaptureFixture, lines: int = 3000, **policy: object
) -> Daemon:
    """A busy daemon (``lines`` ordinary lines read) reloaded with ``policy``, what was
    logged before the reload cleared: the new detector's warm-up under way."""
    daemon = busy_daemon(warden, lines)
    caplog.clear()
    reload_with(warden, daemon, **policy)
    return daemon


def test_guessing_during_a_reload_s_warm_up_is_banned_before_it_ends_and_once(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warming(warden, caplog, fast_window="6m")  # a window: a new detector
    assert warm_up_read(said(caplog)) == []  # under way

    other = guesses(OTHER, users=("alice", "bob", "carol"))
    append(warden.log, [*guesses(ATTACKER), *other[:2]])
    daemon.step()
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert warm_up_read(messages) == []  # banned while the warm-up goes on

    drain(daemon)
    messages = said(caplog)
    read = warm_up_read(messages)
    assert len(read) == 1
    assert len(ban_lines(messages, f"{ATTACKER}/32")) == 1
    assert ban_lines(messages, f"{ATTACKER}/32")[0] < read[0]
    assert "the 5 line(s) read meanwhile" in messages[read[0]]

    # The new detector took over, knowing what came during the warm-up: the attacker's
    # failures were spent on its ban (three more, the ban in force, make no second ban
    # and are no new decision), and the other's two guesses still count.
    append(warden.log, [*guesses(ATTACKER, users=("root", "test", "www")), other[2]])
    drain(daemon)
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32", f"{OTHER}/32"}
    assert len(ban_lines(messages, f"{ATTACKER}/32")) == 1
    assert not any(ATTACKER in message and "banned already" in message for message in messages)
    assert daemon.counters.already_banned == 0
    rows = daemon.store.history(network=ip_network(f"{ATTACKER}/32"))
    assert [row.offences for row in rows] == [1]
    assert daemon.counters.bans == 2


def test_the_new_policy_judges_the_lines_of_the_warm_up_once_it_is_ready(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    """Two guesses during the warm-up of a policy that bans at two: the running detector
    (three) does not ban them; the new one, fed them once it has read the earlier lines,
    does, at the switch. Three guesses were banned at once, and not again."""
    daemon = warming(warden, caplog, fast_failures=2)
    append(warden.log, [*guesses(ATTACKER), *guesses(OTHER, users=("alice", "bob"))])
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert warm_up_read(said(caplog)) == []

    drain(daemon)
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32", f"{OTHER}/32"}
    read = warm_up_read(messages)
    assert (
        ban_lines(messages, f"{ATTACKER}/32")[0] < read[0] < ban_lines(messages, f"{OTHER}/32")[0]
    )
    assert len(ban_lines(messages, f"{ATTACKER}/32")) == 1
    assert daemon.counters.bans == 2


def test_a_flushed_table_is_put_back_during_a_reload_s_warm_up(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = busy_daemon(warden)
    append(warden.log, guesses(OTHER))
    drain(daemon)
    state = {"there": True}
    synced: list[list[str]] = []

    def sync(active: list[object]) -> None:
        synced.append(sorted(str(getattr(entry, "network", "")) for entry in active))
        state["there"] = True

    monkeypatch.setattr(daemon.enforcer, "gone", lambda: not state["there"], raising=False)
    monkeypatch.setattr(daemon.enforcer, "sync", sync)
    caplog.clear()
    reload_with(warden, daemon, fast_window="6m")
    state["there"] = False  # nft flush ruleset, during the warm-up
    daemon._due["gone"] = 0
    daemon.step()
    assert synced == [[f"{OTHER}/32"]]
    messages = said(caplog)
    assert "firewall: restored with 1 active ban(s)" in messages
    assert warm_up_read(messages) == []
    drain(daemon)
    assert len(warm_up_read(said(caplog))) == 1


def test_a_stop_during_a_reload_s_warm_up_is_prompt_and_loses_no_line(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warming(warden, caplog, fast_window="6m")
    append(warden.log, guesses(ATTACKER))
    daemon.step()
    daemon.request_stop()  # SIGTERM's handler
    started = time.monotonic()
    daemon.close()
    assert time.monotonic() - started < 5
    stopped = [m for m in said(caplog) if m.startswith("warm-up:")]
    assert len(stopped) == 1 and stopped[0].startswith("warm-up: stopped after ")
    # The guessing read before the stop was banned, and its position committed: the next
    # start reads no line of it again.
    after = warden.start()
    assert banned(after) == {f"{ATTACKER}/32"}
    assert after.counters.records == 0


def test_a_second_reload_during_a_warm_up_begins_it_again_with_its_policy(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = warming(warden, caplog, fast_window="6m")
    daemon.step()
    reload_with(warden, daemon, fast_failures=2)
    assert any(m.startswith("warm-up: left after ") for m in said(caplog))
    append(warden.log, guesses(OTHER, users=("alice", "bob")))
    drain(daemon)
    assert banned(daemon) == {f"{OTHER}/32"}
    assert len(warm_up_read(said(caplog))) == 1


def test_a_warm_up_that_would_keep_too_many_new_lines_ends_at_once_and_says_so(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop, "WARM_KEEP_MAX", 200)  # characters: two lines
    daemon = warming(warden, caplog, fast_window="6m")
    append(warden.log, guesses(ATTACKER))
    daemon.step()  # judged by the running detector, then the warm-up's rest at once
    messages = said(caplog)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert any(
        message.startswith("warm-up: 3 line(s) logged since the reload, of which more than ")
        and message.endswith(": the rest of the warm-up is read at once (no ban until it ends)")
        for message in messages
    )
    assert len(warm_up_read(messages)) == 1
    drain(daemon)
    assert len(ban_lines(said(caplog), f"{ATTACKER}/32")) == 1


def test_the_journal_s_warm_up_at_a_reload_is_read_in_slices_too(
    warden: Warden,
    fake_journal: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The journal as the source: the new detector's earlier entries come from journalctl
    (the window before the cursor where reading stands) a slice at each step, and the
    guess that completes an attack during it is banned at once, once."""
    quiet = [
        {
            **entry(n, "x", ago=60 - n / 10),
            "SYSLOG_IDENTIFIER": "postfix/smtpd",
            "MESSAGE": f"connect from unknown[{NOISE_CLIENT}]",
        }
        for n in range(1, 400)
    ]
    before = [*quiet, entry(400, "a1", ago=20), entry(401, "a1", ago=19)]
    warden.sections["sources"] = {"files": [], "journal": True}
    warden.write()
    daemon = warden.start()
    daemon.warm_slice = 0.0
    arrive(fake_journal, before)
    read = {"cursor": before[-1]["__CURSOR"]}
    assert step_until(daemon, lambda: daemon.reader.positions().get("journal") == read, 10)
    assert not banned(daemon)

    caplog.clear()
    reload_with(warden, daemon, fast_window="6m")
    assert warm_up_read(said(caplog)) == []
    daemon.step()
    assert warm_up_read(said(caplog)) == []  # a slice more: still under way
    # The stand-in journalctl gives a new entry within a few of its 50 ms looks; the
    # warm-up of 400 entries could end before that on an idle machine: it is held
    # meanwhile, as a 30 MB log's goes on for seconds.
    monkeypatch.setattr(daemon, "_warm_slice", lambda: None)
    set_entries(fake_journal, [*before, entry(402, "a1", ago=0)])
    assert wait_until(lambda: daemon.step() and bool(banned(daemon)), 10)
    assert banned(daemon) == {f"{ATTACKER}/32"}
    assert warm_up_read(said(caplog)) == []  # banned while the warm-up goes on
    monkeypatch.delattr(daemon, "_warm_slice")  # the slices go on
    assert wait_until(lambda: not daemon.step() and bool(warm_up_read(said(caplog))), 10)
    messages = said(caplog)
    (warmed,) = warm_up_read(messages)
    assert messages[warmed].startswith(f"warm-up: {len(before)} earlier line(s) read in ")
    assert "the 1 line(s) read meanwhile" in messages[warmed]
    assert len(ban_lines(messages, f"{ATTACKER}/32")) == 1
    assert ban_lines(messages, f"{ATTACKER}/32")[0] < warmed
