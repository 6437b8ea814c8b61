"""Once a ban has run out, the failures that made it are spent: one more typo from the
address (an office's NAT, a person) bans it no more, where it used to bring a longer ban
at once; new guessing up to the threshold bans again, as a repeat offence (longer)."""

from __future__ import annotations

import time

import pytest
from wardenlab import ATTACKER, Warden, append, banned, guesses, sasl_failure


def test_one_failure_after_an_expired_ban_is_no_new_ban(warden: Warden) -> None:
    warden.sections["policy"].update(ban_time="3s", max_ban_time="6s")
    warden.write()
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}

    time.sleep(3.5)
    daemon._due["expire"] = 0
    daemon.step()
    assert banned(daemon) == set()

    append(warden.log, sasl_failure(ATTACKER, "alice@example.org", pid=1401))
    daemon.step()
    assert banned(daemon) == set()

    append(warden.log, guesses(users=("bob@example.org", "carol@example.org")))
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    row = daemon.store.active_bans()[0]
    assert row.offences == 2 and (row.until - row.since).total_seconds() == 6


def test_a_repeat_offenders_ban_names_the_accounts_of_its_new_attack_first(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    """The third ban of an address said ``(users: "a1", "a2", "a3", "b1", "b2" +4
    more)``: the accounts of its earlier attacks, each tried as often, hid those that
    brought this ban."""
    warden.sections["policy"].update(ban_time="3s", max_ban_time="6s")
    warden.write()
    daemon = warden.start()
    for attack, wait in (("a", 3.5), ("b", 6.5)):
        append(warden.log, guesses(users=[f"{attack}{n}" for n in (1, 2, 3)]))
        daemon.step()
        assert banned(daemon) == {f"{ATTACKER}/32"}
        time.sleep(wait)
        daemon._due["expire"] = 0
        daemon.step()
        assert banned(daemon) == set()

    caplog.clear()
    append(warden.log, guesses(users=("c1", "c2", "c3")))
    daemon.step()
    assert banned(daemon) == {f"{ATTACKER}/32"}
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    assert "(offence 3)" in line, line
    assert line.endswith('(users: "c1", "c2", "c3", "a1", "a2" +4 more)'), line
