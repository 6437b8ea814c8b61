"""Alerts are not lost: a compromise alert is kept when ban alerts fill the queue, a
failed delivery is tried again, a redirect is a failure (never a GET counted as sent),
and ``status`` says when alerts were not delivered."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from wardenlab import ATTACKER, Warden, append, guesses, run_cli, sasl_success, wait_until

from mailwarden.daemon import alerts

GATED_RECEIVER = """
import os, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
with open(sys.argv[2], "ab") as out:
    out.write(sys.stdin.buffer.read())
"""


def test_a_compromise_alert_is_kept_when_ban_alerts_fill_the_queue(
    warden: Warden, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts, "QUEUE", 3)
    script, gate, inbox = warden.tmp / "slow.py", warden.tmp / "gate", warden.tmp / "in.jsonl"
    script.write_text(GATED_RECEIVER)
    warden.sections["alerts"] = {"command": [sys.executable, str(script), str(gate), str(inbox)]}
    warden.write()
    daemon = warden.start()
    for n in range(6):  # six bans: the receiver is stuck on the first, the queue fills
        append(warden.log, guesses(f"198.51.100.{n + 1}"))
    daemon.step()
    append(warden.log, guesses())
    append(warden.log, sasl_success(ATTACKER, "alice@example.org"))
    daemon.step()
    gate.touch()
    daemon.alerter.close(timeout=30)

    kinds = [json.loads(line)["kind"] for line in inbox.read_text().splitlines()]
    assert "compromised" in kinds
    assert kinds.count("ban") <= 3
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("alerts: 3 alerts waiting; dropped one (ban)") for m in messages)


class _Flaky(BaseHTTPRequestHandler):
    """Refuses the first `refuse` POSTs with 503, then takes them (204)."""

    bodies: list[dict[str, Any]]
    refuse: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.refuse[0] > 0:
            self.refuse[0] -= 1
            self.send_response(503)
        else:
            self.bodies.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def do_GET(self) -> None:  # where a followed redirect would end
        self.bodies.append({"kind": "GET"})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class _Moved(_Flaky):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302)
        self.send_header("Location", "/elsewhere?token=SECRET")
        self.end_headers()


@contextlib.contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _status(warden: Warden, capsys: pytest.CaptureFixture[str]) -> str:
    code, err, out = run_cli(capsys, "status", "--config", str(warden.config_path))
    assert code == 0, err
    return out


def test_an_alert_is_tried_again_when_the_receiver_was_down(
    warden: Warden, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts, "RETRY_DELAYS", (0.1, 0.1, 0.1), raising=False)
    bodies: list[dict[str, Any]] = []
    handler = type("Flaky", (_Flaky,), {"bodies": bodies, "refuse": [2]})
    with _serve(handler) as url:
        warden.sections["alerts"] = {"url": url}
        warden.write()
        daemon = warden.start()
        append(warden.log, guesses())
        daemon.step()
        assert wait_until(lambda: len(bodies) == 1)
        daemon.close()
    assert [body["kind"] for body in bodies] == ["ban"]
    assert "alerts:" not in _status(warden, capsys)


def test_a_redirect_is_a_failure_said_in_status(
    warden: Warden,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alerts, "RETRY_DELAYS", (0.01, 0.01, 0.01), raising=False)
    bodies: list[dict[str, Any]] = []
    handler = type("Moved", (_Moved,), {"bodies": bodies, "refuse": [0]})
    with _serve(handler) as url:
        warden.sections["alerts"] = {"url": url}
        warden.write()
        daemon = warden.start()
        append(warden.log, guesses())
        daemon.step()
        assert wait_until(lambda: daemon.alerter.failed == 1)
        daemon.close()
        assert bodies == []  # never followed as a GET
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("alerts:")]
        assert said[0] == (
            f"alerts: POST to {url} failed: it answered 302 Found (a redirect to "
            "/elsewhere: not followed, set alerts.url to where it goes)"
        )
        assert any(m.startswith("alerts: gave up on the ban alert of ") for m in said)
    status = _status(warden, capsys)
    assert "  alerts: 0 sent, 1 failed (not delivered after 4 tries; the log says why)" in status


def test_the_status_counts_of_alerts_are_alerts_not_deliveries(
    warden: Warden, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = warden.tmp / "in.jsonl"
    script = warden.tmp / "take.py"
    script.write_text(GATED_RECEIVER)
    warden.sections["alerts"] = {
        "command": [sys.executable, str(script), str(warden.tmp), str(inbox)],
        "url": "http://127.0.0.1:9/unreachable",
    }
    warden.write()
    daemon = warden.start()
    append(warden.log, guesses())
    daemon.step()
    daemon.close()  # one try more at the stop, then given up
    assert [json.loads(line)["kind"] for line in inbox.read_text().splitlines()] == ["ban"]
    code, err, out = run_cli(
        capsys, "status", "--config", str(warden.config_path), "--format", "json"
    )
    assert code == 0, err
    counters = json.loads(out)["daemon"]["counters"]
    assert (counters["alerts_sent"], counters["alerts_failed"]) == (0, 1)
