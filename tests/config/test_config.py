"""The configuration file: defaults, the documented example, and one-line errors."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from mailwarden.config import (
    Config,
    PolicyConfig,
    apply_overrides,
    config_from_mapping,
    duration_text,
    load_config,
    parse_duration,
)
from mailwarden.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mailwarden.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailwarden.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value


def test_the_example_documents_every_key_with_its_default() -> None:
    assert load_config(EXAMPLE) == Config()
    data = tomllib.loads(EXAMPLE.read_text())
    for section in dataclasses.fields(Config):
        if section.name in ("path", "allow_notes"):  # not sections
            continue
        keys = {f.name for f in dataclasses.fields(getattr(Config(), section.name))}
        assert set(data[section.name]) == keys, section.name


def test_no_file_gives_the_defaults_for_stock_debian() -> None:
    config = load_config(None)
    assert config.sources.files == ("/var/log/mail.log",)
    assert config.enforce.backend == "nftables"
    assert 587 in config.enforce.ports and 993 in config.enforce.ports
    assert config.policy.fast_window == timedelta(minutes=1)
    assert config.alerts.command == () and config.alerts.url is None


def test_values_are_converted(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            [policy]
            allow = ["192.0.2.0/24", "2001:db8::1"]
            ban_time = 600
            slow_window = "1h30m"
            [alerts]
            command = ["/usr/local/bin/notify", "--to", "admin"]
            url = "https://alerts.example.org/hook"
            """,
        )
    )
    assert config.policy.allow == (
        ipaddress.ip_network("192.0.2.0/24"),
        ipaddress.ip_network("2001:db8::1/128"),
    )
    assert config.policy.ban_time == timedelta(minutes=10)
    assert config.policy.slow_window == timedelta(minutes=90)
    assert config.alerts.command == ("/usr/local/bin/notify", "--to", "admin")
    assert config.path == str(tmp_path / "mailwarden.toml")


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("[policy]\nfast_windw = '1m'", "policy.fast_windw", "unknown key"),
        ("[polcy]\nallow = []", "polcy", "unknown section"),
        ("[policy]\nfast_failures = '3'", "policy.fast_failures", "whole number"),
        ("[policy]\nfast_failures = true", "policy.fast_failures", "whole number"),
        ("[policy]\nfast_failures = 0", "policy.fast_failures", "at least 1"),
        ("[policy]\nallow = ['192.0.2.0/33']", "policy.allow", "bad CIDR"),
        ("[policy]\nallow = '192.0.2.0/24'", "policy.allow", "expected a list"),
        ("[policy]\nban_time = '10 minutes'", "policy.ban_time", "bad duration"),
        ("[policy]\nban_time = '-5m'", "policy.ban_time", "bad duration"),
        ("[policy]\nban_time = 0", "policy.ban_time", "positive"),
        ("[policy]\nmax_ban_time = '10m'", "policy.max_ban_time", "shorter than"),
        ("[policy]\nipv6_prefix = 129", "policy.ipv6_prefix", "between"),
        ("[policy]\nmax_clients = 5", "policy.max_clients", "at least 1000, got 5"),
        ("[enforce]\nbackend = 'iptables'", "enforce.backend", "one of"),
        ("[enforce]\nports = [25, 70000]", "enforce.ports", "between 1 and 65535"),
        ("[sources]\njournal = 'yes'", "sources.journal", "true or false"),
        ("[sources]\njournal_users = 'postfix'", "sources.journal_users", "expected a list"),
        ("[sources]\njournal_users = [107]", "sources.journal_users", "expected a string"),
        ("[sources]\njournal_users = ['post fix']", "sources.journal_users", "user names"),
        ("[sources]\njournal_users = ['']", "sources.journal_users", "user names"),
        ("[alerts]\ncommand = 'notify --to admin'", "alerts.command", "expected a list"),
        ("policy = 3", "policy", "expected a table"),
    ],
)
def test_a_bad_value_names_the_file_the_key_and_the_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    error = error_of(tmp_path, text)
    assert error.key == key
    assert reason in error.reason
    message = str(error)
    assert message.startswith(f"{tmp_path / 'mailwarden.toml'}: {key}: ")
    assert "\n" not in message
    assert error.exit_code == 2


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    error = error_of(tmp_path, "[policy\nallow = []")
    assert error.key is None and "invalid TOML" in error.reason


@pytest.mark.parametrize(
    "text",
    [
        "[policy]\nfast_failures = " + "9" * 5000,  # past Python's int-string limit
        "[policy]\nallow = " + "[" * 3000 + "]" * 3000,  # past the recursion limit
    ],
)
def test_toml_that_python_cannot_hold_is_a_config_error(tmp_path: Path, text: str) -> None:
    error = error_of(tmp_path, text)
    assert "invalid TOML" in error.reason and "\n" not in str(error)


@pytest.mark.parametrize(
    "assignment", ["policy.fast_failures=" + "9" * 5000, "policy.allow=" + "[" * 3000]
)
def test_an_override_that_python_cannot_hold_is_a_config_error(assignment: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(Config(), [assignment])
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_an_ipv4_mapped_allow_entry_covers_the_ipv4_client(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[policy]\nallow = ['::ffff:192.0.2.187/128']"))
    assert config.policy.allow == (ipaddress.ip_network("192.0.2.187/32"),)
    config = apply_overrides(Config(), ["policy.allow=['::ffff:198.51.100.0/120']"])
    assert config.policy.allow == (ipaddress.ip_network("198.51.100.0/24"),)


def test_a_missing_or_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    assert "cannot read" in info.value.reason
    if os.geteuid() != 0:  # root reads anything
        path = write(tmp_path, "")
        path.chmod(0)
        with pytest.raises(ConfigError):
            load_config(path)


def test_command_line_overrides_use_the_same_checks() -> None:
    config = apply_overrides(
        Config(), ["policy.fast_failures=5", "policy.fast_window=5m", "enforce.backend=none"]
    )
    assert config.policy.fast_failures == 5
    assert config.policy.fast_window == timedelta(minutes=5)
    assert config.enforce.backend == "none"
    with pytest.raises(ConfigError) as info:
        apply_overrides(config, ["policy.fast_window=soon"])
    assert str(info.value).startswith("command line: policy.fast_window: bad duration")
    with pytest.raises(ConfigError):
        apply_overrides(config, ["fast_window=1m"])


def test_durations_round_trip() -> None:
    for text, seconds in [
        ("90s", 90),
        ("10m", 600),
        ("1h30m", 5400),
        ("2d", 172800),
        ("1w", 604800),
        ("1.5h", 5400),
    ]:
        assert parse_duration(text).total_seconds() == seconds
    assert duration_text(timedelta(minutes=90)) == "1h30m"
    assert duration_text(timedelta(days=1)) == "1d"


def test_policy_defaults_match_the_documented_thresholds() -> None:
    policy = config_from_mapping({}).policy
    assert policy == PolicyConfig()
    assert (policy.fast_failures, policy.slow_failures, policy.daily_failures) == (3, 4, 8)


def test_journal_users_take_names_and_numeric_uids(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, '[sources]\njournal_users = ["postfix", "vmail", "107", "_dovecot"]')
    )
    assert config.sources.journal_users == ("postfix", "vmail", "107", "_dovecot")
    assert Config().sources.journal_users == ("postfix", "dovecot")
