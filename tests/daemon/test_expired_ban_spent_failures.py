"""Once a ban has run out, the failures that made it are spent: one more typo from the
address (an office's NAT, a person) bans it no more, where it used to bring a longer ban
at once; new guessing up to the threshold bans again, as a repeat offence (longer)."""

from __future__ import annotations

import time

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
