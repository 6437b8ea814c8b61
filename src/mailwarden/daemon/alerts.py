"""Alerts: on a compromise (and on each ban), run a command and/or POST JSON to a URL.

- The command is an argument list run without a shell; the alert is one line of JSON
  on its standard input, ended by a newline (a script's ``while read -r line`` gets
  it; ``tee -a FILE`` keeps one alert a line), never in its arguments (client text
  stays data).
- The URL gets ``POST`` with ``Content-Type: application/json``.
- Delivery runs on one worker thread, so a slow webhook never delays a ban; at most
  `QUEUE` alerts wait, the rest are dropped and counted (a flood of bans must not fork
  a flood of processes). Each delivery has a timeout; a failure is logged, once per
  kind of failure a minute, and never stops the daemon.

An alert is one JSON object::

    {"kind": "compromised" | "ban", "host": "mx1", "time": "2026-11-28T14:00:00Z",
     "ip": "203.0.113.7", "network": "203.0.113.7/32", "verdict": "bruteforce",
     "reason": "...", "user": "alice@example.org" (compromised),
     "by_others": false (compromised: true when only other clients' guessing, or a few
     tries, came before the login: ask the owner), "until": "..." (ban),
     "offences": 1 (ban), "evidence": [{"source", "line", "text"}]}
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mailwarden import __version__
from mailwarden.config import AlertsConfig
from mailwarden.parsers.sasl import json_safe

LOG = logging.getLogger("mailwarden.alerts")

QUEUE = 100
COMMAND_TIMEOUT = 30.0
URL_TIMEOUT = 10.0
_STOP: dict[str, Any] = {}


class Alerter:
    """Delivers alerts in the background; `send` never blocks."""

    def __init__(self, config: AlertsConfig, logger: logging.Logger = LOG) -> None:
        self.command = list(config.command)
        self.url = config.url or None
        self.log = logger
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE)
        self._thread: threading.Thread | None = None
        self._complained: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.command or self.url)

    def send(self, alert: dict[str, Any]) -> None:
        if not self.enabled:
            return
        alert = {"host": socket.gethostname(), **alert}
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="alerts", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1
            self._complain("full", f"alerts: {QUEUE} alerts waiting; dropped one ({alert['kind']})")

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what waits (for at most `timeout` seconds), then stop the worker."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)

    # -- the worker -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is _STOP:
                return
            # json.dumps escapes every line break, json_safe the separators some
            # readers take for one (U+2028, U+2029): the object is one line.
            body = json_safe(json.dumps(alert, ensure_ascii=False, default=str)).encode("utf-8")
            if self.command:
                self._run(body + b"\n")
            if self.url:
                self._post(body)

    def _run(self, body: bytes) -> None:
        try:
            done = subprocess.run(
                self.command,
                input=body,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.failed += 1
            self._complain("command", f"alerts: {self.command[0]} did not run: {exc}")
            return
        if done.returncode != 0:
            self.failed += 1
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            why = f": {said[0][:200]}" if said else ""
            self._complain(
                "command", f"alerts: {self.command[0]} exited with {done.returncode}{why}"
            )
        else:
            self.sent += 1

    def _post(self, body: bytes) -> None:
        assert self.url is not None
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked at start)
            self.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"mailwarden/{__version__}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=URL_TIMEOUT) as answer:  # noqa: S310
                answer.read(1024)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.failed += 1
            self._complain("url", f"alerts: POST to {_site(self.url)} failed: {exc}")
            return
        self.sent += 1

    def _complain(self, kind: str, message: str) -> None:
        now = time.monotonic()
        if now - self._complained.get(kind, -1e9) >= 60:
            self._complained[kind] = now
            self.log.warning("%s", message)


def _site(url: str) -> str:
    """Where an alert goes, for the log: the URL without its user, password, query and
    fragment (``https://hooks.example.com/alert``), where webhook tokens usually are."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
