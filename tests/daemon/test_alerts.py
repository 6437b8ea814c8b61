"""Alerts: a compromise runs the configured command (one line of JSON on its standard
input, never a shell) and POSTs JSON to the configured URL."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from wardenlab import ATTACKER, Warden, append, guesses, sasl_success, wait_until

RECEIVER = """
import sys
with open(sys.argv[1], "ab") as out:
    out.write(sys.stdin.buffer.read() + b"\\n")
"""


def alerts_to(warden: Warden, **policy: object) -> Path:
    """Alerts to a receiver, and ``policy``, in the configuration (written); the
    receiver's inbox."""
    script = warden.tmp / "receiver.py"
    script.write_text(RECEIVER)
    inbox = warden.tmp / "alerts.jsonl"
    warden.sections["alerts"] = {"command": [sys.executable, str(script), str(inbox)]}
    if policy:
        warden.sections["policy"].update(policy)
    warden.write()
    return inbox


def received(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def compromise(warden: Warden) -> None:
    daemon = warden.start()
    append(warden.log, guesses())
    append(warden.log, sasl_success(ATTACKER, "alice@example.org"))
    daemon.step()
    daemon.alerter.close()


def test_a_compromise_runs_the_command_with_json_on_stdin(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    script = warden.tmp / "receiver.py"
    script.write_text(RECEIVER)
    inbox = warden.tmp / "alerts.jsonl"
    # A shell would expand this; an argument list passes it as it is.
    warden.sections["alerts"] = {"command": [sys.executable, str(script), str(inbox)]}
    warden.write()

    compromise(warden)

    alerts = received(inbox)
    kinds = [alert["kind"] for alert in alerts]
    assert kinds == ["ban", "compromised"]
    found = alerts[1]
    assert found["ip"] == ATTACKER and found["user"] == "alice@example.org"
    assert found["verdict"] == "compromised" and found["evidence"]
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("compromise:")]
    assert logged == [
        f'compromise: "alice@example.org" logged in from {ATTACKER}: {found["reason"]}'
    ]


LINE_READER = """#!/bin/sh
# What an admin's notify script does: one alert a line.
while IFS= read -r alert; do
    printf 'got %s\\n' "$alert" >> "$1"
done
"""


def test_a_script_that_reads_lines_gets_each_alert(warden: Warden) -> None:
    """Each alert is one line, newline-terminated: ``read`` returns false on a last line
    with no newline, so a ``while read`` loop saw nothing."""
    script = warden.tmp / "notify"
    script.write_text(LINE_READER)
    script.chmod(0o755)
    inbox = warden.tmp / "got.txt"
    warden.sections["alerts"] = {"command": [str(script), str(inbox)]}
    warden.write()

    compromise(warden)

    lines = inbox.read_text().splitlines()
    assert [line[:4] for line in lines] == ["got ", "got "]
    assert [json.loads(line[4:])["kind"] for line in lines] == ["ban", "compromised"]


def test_alerts_appended_by_tee_are_one_json_object_a_line(warden: Warden) -> None:
    """``command = ["/usr/bin/tee", "-a", FILE]`` keeps a JSON-lines file, not ``{…}{…}``."""
    tee = shutil.which("tee")
    assert tee is not None
    inbox = warden.tmp / "alerts.jsonl"
    warden.sections["alerts"] = {"command": [tee, "-a", str(inbox)]}
    warden.write()

    compromise(warden)

    text = inbox.read_text()
    assert text.endswith("}\n")
    assert [json.loads(line)["kind"] for line in text.split("\n")[:-1]] == ["ban", "compromised"]


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        assert self.headers["Content-Type"] == "application/json"
        self.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    bodies: ClassVar[list[dict[str, Any]]] = []
    handler = type("Hook", (_Hook,), {"bodies": bodies})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_a_compromise_is_posted_to_the_url(
    warden: Warden, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = webhook
    warden.sections["alerts"] = {"url": url}
    warden.write()

    compromise(warden)

    assert wait_until(lambda: len(bodies) == 2)
    assert [body["kind"] for body in bodies] == ["ban", "compromised"]
    assert bodies[0]["network"] == f"{ATTACKER}/32" and bodies[0]["until"].endswith("Z")


def test_a_failing_alert_never_stops_the_daemon(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    warden.sections["alerts"] = {"command": ["false"], "url": "http://127.0.0.1:9/unreachable"}
    warden.write()

    compromise(warden)

    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("alerts: false exited with 1") for m in messages)
    assert any(
        m.startswith("alerts: POST to http://127.0.0.1:9/unreachable failed") for m in messages
    )
