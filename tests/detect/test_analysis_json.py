"""The JSON contract of `analyze --format json`, and passwords masked by default."""

from __future__ import annotations

import base64
import json

from detect_factory import Log

from contract import CONTRACT_ATTACKER
from mailwarden.detect import analyze


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def sample() -> Log:
    log = Log()
    log.connect(0, "203.0.113.7", 300, service="smtp")
    log.auth_command(1, 300, "PLAIN", b64("\x00admin@example.com\x00hunter22"))
    for t in range(4):
        log.sasl_failure(2 + t, "203.0.113.7", "admin@example.com", pid=300, service="smtp")
    log.queued_login(10, "203.0.113.7", "admin@example.com", pid=300, service="smtp")
    return log


def test_contract_fields_are_present_and_json_serialisable() -> None:
    data = analyze(sample().events).to_json(stats={"lines": 7, "seconds": 0.1})
    text = json.dumps(data)
    assert set(data) >= {"attackers", "compromised", "credentials", "findings", "stats"}
    (attacker,) = data["attackers"]
    assert set(attacker) >= CONTRACT_ATTACKER
    assert attacker["verdict"] == "compromised" and attacker["succeeded_as"] == [
        "admin@example.com"
    ]
    assert attacker["first_seen"].startswith("2026-02-23T10:00")
    (compromise,) = data["compromised"]
    assert set(compromise) >= {"user", "ip", "time", "failures_before"}
    (credential,) = data["credentials"]
    assert set(credential) >= {"ip", "mechanism", "authzid", "user", "password", "complete"}
    assert data["stats"]["lines"] == 7 and data["stats"]["events"] == 7
    assert "hunter22" not in text


def test_passwords_are_masked_unless_asked_for() -> None:
    analysis = analyze(sample().events)
    masked = analysis.to_json()["credentials"][0]
    assert masked["password"] != "hunter22" and masked["password"].startswith("***")
    shown = analysis.to_json(show_passwords=True)["credentials"][0]
    assert shown["password"] == "hunter22"


def test_evidence_lines_never_carry_the_auth_payload() -> None:
    data = analyze(sample().events).to_json(show_passwords=True)
    texts = [e["text"] for f in data["findings"] for e in f["evidence"]]
    texts += [e["text"] for a in data["attackers"] for e in a["evidence"]]
    assert any("AUTH PLAIN [redacted]" in t for t in texts)
    assert not any(b64("\x00admin@example.com\x00hunter22") in t for t in texts)


def test_streamed_json_is_the_same_object() -> None:
    import io

    analysis = analyze(sample().events)
    stream = io.StringIO()
    analysis.write_json(stream, stats={"lines": 7})
    assert json.loads(stream.getvalue()) == json.loads(
        json.dumps(analysis.to_json(stats={"lines": 7}))
    )
