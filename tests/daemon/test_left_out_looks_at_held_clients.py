"""When the firewall leaves wider bans out past ``enforce.max_bans``, the daemon tells
the detector of the reported clients those bans held (skipped as banned by them): it
looks only at the clients noted as held by them when they were skipped, not at every
reported client of the detector against every network left out (200,000 clients and
1,000 networks left out at once, as at a start or under a flood, took 32 s of the main
loop)."""

from __future__ import annotations

import ipaddress

import pytest
from wardenlab import Warden, append, banned, drain, guesses, run_cli

MEMBER = "203.0.113.90"


def test_only_the_clients_held_by_a_left_out_ban_are_looked_at(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon = warden.start()
    # Clients reported and banned (on their own, or their /64): no ban of the
    # networks below held them.
    for n in range(1, 101):
        append(warden.log, guesses(f"2001:db8:{n:x}::1"))
    drain(daemon)
    assert "2001:db8:1::1/128" in banned(daemon)
    code, err, _ = run_cli(
        capsys, "ban", "203.0.113.0/24", "--for", "1h", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    append(warden.log, guesses(MEMBER))  # held by the /24: skipped, noted as held by it
    drain(daemon)
    assert f"{MEMBER}/32" not in banned(daemon)

    detector = daemon.detector
    wide = [ipaddress.ip_network("2001:db8::/32"), ipaddress.ip_network("2001:db8:5::/48")]
    assert detector.reported_inside(wide) == []  # none of them was held by these
    assert detector.reported_inside([ipaddress.ip_network("203.0.113.0/24"), *wide]) == [MEMBER]
    assert detector.reported_inside([ipaddress.ip_network("203.0.113.0/24")]) == []  # told once
    daemon.close()
