"""The lab itself: real Postfix and Dovecot answer real clients, log what they did, and
everything is gone afterwards."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import require_lab
from .lab import (
    ATTACKER_IPV4,
    ATTACKER_IPV6,
    LEGIT_IPV4,
    SERVER_IPV6,
    DovecotOptions,
    Host,
    Lab,
    LabError,
    missing_requirements,
    netns_list,
    netns_pids,
    pid_alive,
    reap_stale_labs,
    swaks_supports,
    wait_for_log,
)

pytestmark = pytest.mark.e2e

ALICE = "alice@lab.example"
BOB = "bob@lab.example"


def test_legit_user_authenticates_and_sends_mail(lab: Lab) -> None:
    mark = lab.postfix_log.mark()

    result = lab.smtp_auth(lab.legit, ALICE, lab.password(ALICE), send_mail=True, to=BOB)

    assert result.returncode == 0, result.transcript
    assert result.auth_ok
    assert result.queue_id
    queued = lab.postfix_log.wait_for(rf"{result.queue_id}: client=", since=mark)[0]
    assert f"client=unknown[{LEGIT_IPV4}], sasl_method=PLAIN, sasl_username={ALICE}" in queued
    stats = lab.postfix_log.wait_for(rf"disconnect from unknown\[{LEGIT_IPV4}\]", since=mark)
    assert " auth=1 " in stats[0]
    delivered = lab.postfix_log.wait_for(rf"{result.queue_id}: to=<{BOB}>", since=mark)[0]
    assert "status=sent" in delivered
    assert lab.maildir_messages(BOB)


def _assert_smtp_failure_logged(lab: Lab, client: Host, mech: str, mark: int) -> None:
    line = lab.postfix_log.wait_for(f"SASL {mech} authentication failed", since=mark)[0]
    assert "postfix/submission/smtpd[" in line
    assert f"warning: unknown[{client.ipv4}]: SASL {mech} authentication failed: " in line
    assert line.endswith(f", sasl_username={ALICE}")
    lab.dovecot_log.wait_for(rf"passwd-file\({re.escape(ALICE)},{client.ipv4}\): Password mismatch")


# Each client's first failure: Dovecot's auth penalty grows with every failure from one
# address, and past about 10 s Postfix logs `Connection lost to authentication server`.


def test_attacker_failed_auth_is_logged_with_the_attackers_address(lab: Lab) -> None:
    mark = lab.postfix_log.mark()

    result = lab.smtp_auth(lab.attacker, ALICE, "not-the-password")

    assert result.returncode == 28, result.transcript  # swaks: error in AUTH
    assert result.auth_failed and not result.auth_ok
    assert lab.attacker.ipv4 == ATTACKER_IPV4
    _assert_smtp_failure_logged(lab, lab.attacker, "PLAIN", mark)


def test_failed_auth_login_mechanism(lab: Lab) -> None:
    guesser = lab.add_client("loginguess")
    mark = lab.postfix_log.mark()

    result = lab.smtp_auth(guesser, ALICE, "not-the-password", mech="LOGIN")

    assert result.auth_failed
    _assert_smtp_failure_logged(lab, guesser, "LOGIN", mark)


def test_attacker_over_ipv6(lab: Lab) -> None:
    if not swaks_supports("IPv6"):
        pytest.skip("swaks without IPv6 support (Debian package libio-socket-inet6-perl)")
    mark = lab.postfix_log.mark()

    result = lab.smtp_auth(lab.attacker, "nobody@lab.example", "guess", server=SERVER_IPV6)

    assert result.auth_failed
    lab.postfix_log.wait_for(
        rf"warning: unknown\[{re.escape(ATTACKER_IPV6)}\]: SASL PLAIN authentication failed",
        since=mark,
    )


def test_imap_failed_and_successful_logins(lab: Lab) -> None:
    mark = lab.dovecot_log.mark()

    bad = lab.imap_login(lab.attacker, BOB, "wrong-password")
    good = lab.imap_login(lab.legit, BOB, lab.password(BOB))

    assert not bad.ok and "AUTHENTICATIONFAILED" in bad.response
    assert good.ok, good
    failed = lab.dovecot_log.wait_for(r"imap-login: .*\(auth failed, ", since=mark)[0]
    assert f"user=<{BOB}>" in failed and f"rip={ATTACKER_IPV4}," in failed
    login = lab.dovecot_log.wait_for(r"imap-login: Info: Login: ", since=mark)[0]
    assert f"user=<{BOB}>" in login and f"rip={LEGIT_IPV4}," in login


def test_starttls_submission(lab: Lab) -> None:
    if not swaks_supports("TLS"):
        pytest.skip("swaks without TLS support (Debian package libnet-ssleay-perl)")
    mark = lab.postfix_log.mark()

    result = lab.smtp_auth(lab.legit, ALICE, lab.password(ALICE), tls=True)

    assert result.auth_ok, result.transcript
    lab.postfix_log.wait_for(
        rf"TLS connection established from unknown\[{LEGIT_IPV4}\]", since=mark
    )


def test_raw_dialogue_and_tcp_probe(lab: Lab) -> None:
    prober = lab.add_client("prober")
    mark = lab.postfix_log.mark()

    talk = lab.smtp_dialogue(
        prober, [{"send": "EHLO probe.example"}, {"send": "AUTH LOGIN"}, {"close": True}]
    )

    assert talk.replies()[0].startswith("220 ")
    assert "250-AUTH PLAIN LOGIN" in talk.replies()
    assert talk.replies()[-1] == "334 VXNlcm5hbWU6"  # base64 of "Username:"
    lab.postfix_log.wait_for(
        rf"lost connection after AUTH from unknown\[{re.escape(prober.ipv4)}\]", since=mark
    )
    assert lab.tcp_connect(lab.legit, 587)
    assert not lab.tcp_connect(lab.legit, 2525, timeout=1)


def test_more_clients_can_join(lab: Lab) -> None:
    third = lab.add_client("third")

    assert third.ipv4.startswith("192.0.2.") and third.ipv4 not in (LEGIT_IPV4, ATTACKER_IPV4)
    assert lab.tcp_connect(third, 25)
    assert lab.imap_login(third, ALICE, lab.password(ALICE)).ok


def test_wait_for_log_times_out_with_the_end_of_the_file(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("one\ntwo\npartial")
    assert wait_for_log(log, "two", timeout=1) == ["two"]
    with pytest.raises(TimeoutError, match="two"):
        wait_for_log(log, "partial", timeout=0.3)  # an unfinished line does not count


def _lab_traces(lab: Lab) -> tuple[list[str], set[int], Path]:
    pids: set[int] = set(lab.pids)
    for netns in lab.namespaces:
        pids |= netns_pids(netns)
    return list(lab.namespaces), pids, lab.root


def _assert_gone(namespaces: list[str], pids: set[int], root: Path) -> None:
    assert not set(namespaces) & set(netns_list())
    deadline = time.monotonic() + 5  # zombies count as dead; give init a moment anyway
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if pid_alive(p)]
    assert not root.exists()


def test_everything_is_removed_after_the_lab() -> None:
    require_lab()
    with Lab() as lab:
        sleeper = lab.spawn(lab.server, ["sleep", "300"])
        assert sleeper.pid in netns_pids(lab.server.netns)
        assert lab.postfix_log.wait_for("daemon started")
        namespaces, pids, root = _lab_traces(lab)
    assert len(namespaces) == 3 and len(pids) > 5
    _assert_gone(namespaces, pids, root)


def test_everything_is_removed_when_the_test_fails() -> None:
    require_lab()
    traces: list[tuple[list[str], set[int], Path]] = []
    with pytest.raises(RuntimeError, match="boom"), Lab() as lab:
        traces.append(_lab_traces(lab))
        raise RuntimeError("boom")
    _assert_gone(*traces[0])


def test_a_killed_runs_leftovers_are_reaped() -> None:
    require_lab()
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert not pid_alive(dead.pid)
    netns = f"mwlab-{dead.pid}-abc123-server"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    leftover = Path(f"/tmp/mwlab-{dead.pid}-abc123-xyz")
    leftover.mkdir()
    try:
        reaped = reap_stale_labs()
        assert netns in reaped and str(leftover) in reaped
        assert netns not in netns_list() and not leftover.exists()
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False, capture_output=True)
        if leftover.exists():
            leftover.rmdir()


def test_a_lab_that_cannot_start_cleans_up() -> None:
    require_lab()
    # This process's labs only: other runs on the machine may add or remove their own.
    ours = f"mwlab-{os.getpid()}-"

    def mine() -> set[str]:
        return {name for name in netns_list() if name.startswith(ours)}

    before = mine()
    # Dovecot refuses the configuration after the network is built.
    broken = Lab(dovecot=DovecotOptions(settings={"no_such_setting": "1"}))
    with pytest.raises(LabError, match="no_such_setting"), broken:
        pass
    assert mine() == before
    assert not broken.root.exists()


def test_not_root_skips_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in (missing_requirements() or "")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "swaks" in (missing_requirements() or "")
