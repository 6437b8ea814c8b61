"""``status`` marks a stored ban that holds an address of this host ``not enforced``, as
it marks the allow list's: in a shared store another host may have banned one of ours
(host A banned host B's address), and the daemon here leaves it out of the firewall."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wardenlab import Warden, fake_command, run_cli

from mailwarden.enforce import policy
from mailwarden.model import BanEntry
from mailwarden.store import open_store


def _own_address() -> str:
    try:
        found = policy.own_addresses()
    except Exception as exc:  # no `ip` here
        pytest.skip(f"cannot list this host's addresses: {exc}")
    for network in found:
        address = network.network_address
        if not (address.is_loopback or address.is_link_local):
            return str(network)
    pytest.skip("this host has no address but loopback and link-local ones")


def test_status_says_a_stored_ban_of_our_own_address_is_not_enforced(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    own = _own_address()
    with open_store(str(warden.sections["store"]["path"])) as store:
        store.record_ban(
            BanEntry(ipaddress.ip_network(own), datetime.now(UTC) + timedelta(hours=2), "mx2"),
            "{}",
            "manual",
        )
    config = str(warden.config_path)

    code, _, out = run_cli(capsys, "status", "--format", "json", "--config", config)
    assert code == 0
    (ban,) = json.loads(out)["bans"]
    assert ban["network"] == own
    assert ban["not_enforced"] == f"{own} is an address of this host ({own})"

    code, _, out = run_cli(capsys, "status", "--config", config)
    assert code == 0
    assert f"not enforced: {own} is an address of this host ({own})" in out


PROXY_POSTCONF = """#!/bin/sh
if [ "$*" = "-h proxy_interfaces" ]; then
    echo "198.51.100.25, mail.example.org [2001:db8::25] 192.0.2.0/24"
    exit 0
fi
exit 1
"""


def test_postfix_proxy_interfaces_are_own_addresses(
    warden: Warden,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Behind 1:1 NAT the server's public address is on no interface: a webmail that
    reaches it through that address (hairpin NAT) could be banned. Postfix's
    ``proxy_interfaces`` names it: its addresses (not its host names, never looked up,
    nor a network) are this host's."""
    _own_address()  # `ip` works here
    fake_command(tmp_path, monkeypatch, "postconf", PROXY_POSTCONF)
    found = {str(network) for network in policy.own_addresses()}
    assert {"198.51.100.25/32", "2001:db8::25/128"} <= found
    assert "192.0.2.0/24" not in found

    config = str(warden.config_path)
    code, err, _ = run_cli(capsys, "ban", "198.51.100.25", "--config", config)
    assert code != 0
    assert "198.51.100.25/32 is an address of this host" in "".join(err), err

    with open_store(str(warden.sections["store"]["path"])) as store:
        store.record_ban(
            BanEntry(
                ipaddress.ip_network("2001:db8::25"), datetime.now(UTC) + timedelta(hours=2), "mx2"
            ),
            "{}",
            "manual",
        )
    code, _, out = run_cli(capsys, "status", "--format", "json", "--config", config)
    (ban,) = json.loads(out)["bans"]
    assert ban["not_enforced"] == "2001:db8::25/128 is an address of this host (2001:db8::25/128)"


def test_a_failing_postconf_adds_no_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _own_address()
    fake_command(tmp_path, monkeypatch, "postconf", "#!/bin/sh\necho 198.51.100.25\nexit 1\n")
    assert "198.51.100.25/32" not in {str(network) for network in policy.own_addresses()}


BROKEN_POSTCONF = """#!/bin/sh
echo run >> "$MAILWARDEN_TEST_RUNS"
echo "postconf: fatal: /etc/postfix/main.cf, line 3: missing '=' after attribute name" >&2
exit 1
"""


def test_a_failing_postconf_is_said_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken main.cf (postconf exits 1) left the addresses of proxy_interfaces out
    of this host's in silence: a webmail reaching the server through one of them could
    be banned with no word why."""
    monkeypatch.setattr(policy, "_proxy_read", None)
    monkeypatch.setattr(policy, "_proxy_failed", False)
    monkeypatch.setenv("MAILWARDEN_TEST_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MAIL_CONFIG", str(tmp_path))
    main_cf = tmp_path / "main.cf"
    main_cf.write_text("proxy_interfaces 198.51.100.25\n")
    fake_command(tmp_path, monkeypatch, "postconf", BROKEN_POSTCONF)
    for _ in range(3):
        assert policy.proxy_addresses() == []
    said = [r.getMessage() for r in caplog.records if "proxy_interfaces" in r.getMessage()]
    assert len(said) == 1, said
    assert "exit status 1" in said[0]
    assert "missing '=' after attribute name" in said[0]


def test_postconf_runs_again_only_when_main_cf_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The daemon reads this host's addresses before a ban (at most every second):
    postconf ran each time, up to 5 s each, on the ban path."""
    monkeypatch.setattr(policy, "_proxy_read", None)
    runs = tmp_path / "runs"
    monkeypatch.setenv("MAILWARDEN_TEST_RUNS", str(runs))
    monkeypatch.setenv("MAIL_CONFIG", str(tmp_path))
    main_cf = tmp_path / "main.cf"
    main_cf.write_text("proxy_interfaces = 198.51.100.25\n")
    fake_command(
        tmp_path,
        monkeypatch,
        "postconf",
        '#!/bin/sh\necho run >> "$MAILWARDEN_TEST_RUNS"\n'
        "sed -n 's/^proxy_interfaces = //p' \"$MAIL_CONFIG/main.cf\"\n",
    )
    for _ in range(3):
        assert [str(n) for n in policy.proxy_addresses()] == ["198.51.100.25/32"]
    assert runs.read_text().count("run") == 1
    main_cf.write_text("proxy_interfaces = 198.51.100.26, 198.51.100.25\n")
    assert [str(n) for n in policy.proxy_addresses()] == ["198.51.100.26/32", "198.51.100.25/32"]
    assert runs.read_text().count("run") == 2
