"""The systemd unit in contrib/ agrees with the command it runs."""

from __future__ import annotations

from pathlib import Path

from mailwarden.daemon.preflight import DEFAULT_CONFIG
from mailwarden.errors import ConfigError

UNIT = Path(__file__).resolve().parents[2] / "contrib" / "systemd" / "mailwarden.service"


def settings() -> dict[str, str]:
    found = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def test_the_unit_runs_the_daemon_with_the_default_configuration() -> None:
    unit = settings()
    program, *args = unit["ExecStart"].split()
    assert program.endswith("/mailwarden")
    assert args == ["run", "--config", DEFAULT_CONFIG]


def test_a_bad_configuration_is_not_restarted_in_a_loop() -> None:
    unit = settings()
    assert unit["RestartPreventExitStatus"] == str(ConfigError.exit_code)
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit["StateDirectory"] == "mailwarden"  # /var/lib/mailwarden: the default store
