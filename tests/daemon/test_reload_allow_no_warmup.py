"""A reload that only adds to the allow list (the usual reload: an admin lets an address
in) goes to the running detector: no warm-up reads the log again, so bans, the
firewall's repair and a stop are never held up by it (a 30 MB log took 24 s), and the
failures counted before it still count. A reload that takes an address off the list, or
changes what the detector counts, still warms a new detector up."""

from __future__ import annotations

from typing import Any

import pytest
from wardenlab import ATTACKER, OTHER, Warden, append, banned, drain, guesses

from mailwarden.daemon.reading import Reader

NEWCOMER = "2001:db8:5a::1"


def count_warmups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each warm-up from here on, counted (it reads as before)."""
    calls: list[int] = []
    tail = Reader.warmup

    def counted(reader: Reader, limit: int, **options: Any) -> Any:
        calls.append(limit)
        return tail(reader, limit, **options)

    monkeypatch.setattr(Reader, "warmup", counted)
    return calls


def test_adding_to_the_allow_list_bans_on_without_a_warm_up(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = warden.start()
    ongoing = guesses(ATTACKER)
    colleague = guesses(OTHER, users=("alice", "bob", "carol"))
    append(warden.log, [*ongoing[:2], *colleague[:2]])
    drain(daemon)
    assert banned(daemon) == set()

    warmups = count_warmups(monkeypatch)
    caplog.clear()
    warden.sections["policy"]["allow"] = [OTHER]
    warden.write()
    daemon.reload()
    assert warmups == []  # the log is not read again
    said = [r.getMessage() for r in caplog.records]
    assert not any(m.startswith("warm-up:") for m in said)
    assert any(
        m.endswith("changed policy (applied to the running detector, no warm-up)") for m in said
    )

    # A new attacker's third failure is banned at the next step; the guessing before the
    # reload still counts; the address just allowed is judged by the new list.
    append(warden.log, [*guesses(NEWCOMER), ongoing[2], colleague[2]])
    daemon.step()
    assert banned(daemon) == {f"{NEWCOMER}/128", f"{ATTACKER}/32"}
    drain(daemon)
    assert f"{OTHER}/32" not in banned(daemon)
    assert warmups == []


def test_a_ban_inside_a_new_allow_entry_is_lifted_and_forgiven_without_a_warm_up(
    warden: Warden, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = warden.start()
    append(warden.log, guesses(ATTACKER))
    drain(daemon)
    assert banned(daemon) == {f"{ATTACKER}/32"}

    warmups = count_warmups(monkeypatch)
    warden.sections["policy"]["allow"] = ["203.0.113.0/24"]
    warden.write()
    daemon.reload()
    assert banned(daemon) == set()
    assert warmups == []
    append(warden.log, guesses(NEWCOMER))
    drain(daemon)
    assert banned(daemon) == {f"{NEWCOMER}/128"}


@pytest.mark.parametrize(
    ("key", "value"),
    [("allow", []), ("fast_failures", 2)],
    ids=["address taken off the allow list", "threshold"],
)
def test_a_reload_that_changes_what_is_counted_still_warms_up(
    warden: Warden, monkeypatch: pytest.MonkeyPatch, key: str, value: object
) -> None:
    warden.sections["policy"]["allow"] = [OTHER]
    warden.write()
    daemon = warden.start()
    append(warden.log, guesses(OTHER))
    drain(daemon)
    assert banned(daemon) == set()

    warmups = count_warmups(monkeypatch)
    warden.sections["policy"][key] = value
    warden.write()
    daemon.reload()
    assert len(warmups) == 1
    if key == "allow":  # its guessing before the reload, read again, bans it
        drain(daemon)
        assert banned(daemon) == {f"{OTHER}/32"}
