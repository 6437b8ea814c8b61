"""What the daemon tells the detector about clients skipped under a wider ban
(`Detector.answered`) stays within ``policy.max_clients``: it grew with every address
of a flood inside a banned /32 of IPv6, the clients themselves long forgotten."""

from __future__ import annotations

import pytest
from wardenlab import Warden, append, banned, drain, run_cli, sasl_failure


def test_answered_clients_stay_within_max_clients(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    warden.sections["policy"].update(ban_time="1h", max_clients=1000)
    warden.write()
    daemon = warden.start()
    code, err, _ = run_cli(
        capsys, "ban", "2001:db8::/32", "--for", "30m", "--config", str(warden.config_path)
    )
    assert code == 0, err
    drain(daemon)
    lines = []
    for n in range(5000):
        ip = f"2001:db8:0:{n:x}::7"
        lines += [
            sasl_failure(ip, user, pid=2000 + k)
            for k, user in enumerate(("admin", "info", "sales"))
        ]
    append(warden.log, lines)
    drain(daemon)
    daemon._due["expire"] = 0
    drain(daemon)
    assert banned(daemon) == {"2001:db8::/32"}
    assert daemon.counters.already_banned == 5000  # each one skipped, and told so
    assert len(daemon.detector._answered) <= 1000
    daemon.close()
