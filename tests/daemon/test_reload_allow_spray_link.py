"""A client the reload's allow list now allows links nobody into a spraying campaign: the
next outsiders to try an account it tried are judged as a daemon warmed up with the new
list judges them (it never linked the allowed client), not banned for a campaign of five
that counts the office."""

from __future__ import annotations

import pytest
from wardenlab import Warden, append, banned, drain, sasl_failure

OFFICE = "198.51.100.20"
OUTSIDERS = ["203.0.113.9", "192.0.2.77", "2001:db8:1::5", "2001:db8:2::5"]


def _bans_after_reload(warden: Warden, live: bool) -> object:
    warden.sections["policy"].update(allow=["192.0.2.200/32"])
    warden.write()
    d = warden.start()
    append(warden.log, [sasl_failure(OFFICE, "alice@example.org", pid=1500)])
    drain(d)
    # a list that only grew is taken as it is (live); one that lost a network warms a
    # new detector up on what was read
    warden.sections["policy"]["allow"] = (
        ["192.0.2.200/32", OFFICE + "/32"] if live else [OFFICE + "/32"]
    )
    warden.write()
    d.reload()
    append(
        warden.log,
        [sasl_failure(ip, "alice@example.org", pid=1600 + n) for n, ip in enumerate(OUTSIDERS)],
    )
    drain(d)
    return banned(d)


@pytest.mark.parametrize("live", [True, False])
def test_a_newly_allowed_client_makes_no_campaign(warden: Warden, live: bool) -> None:
    assert not _bans_after_reload(warden, live)
