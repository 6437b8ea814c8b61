"""Alerts: on a compromise (and on each ban), run a command and/or POST JSON to a URL.

- The command is an argument list run without a shell; the alert is one line of JSON
  on its standard input, ended by a newline (a script's ``while read -r line`` gets
  it; ``tee -a FILE`` keeps one alert a line), never in its arguments (client text
  stays data).
- The URL gets ``POST`` with ``Content-Type: application/json``.
- Delivery runs on one worker thread, so a slow webhook never delays a ban; at most
  `QUEUE` alerts wait (those waiting to be tried again included). Past it a new ban
  alert is dropped and counted (a flood of bans must not fork a flood of processes),
  logged at most once a minute; a compromise alert is never dropped for ban alerts:
  the newest waiting ban alert makes room for it, and a compromise alert dropped when
  only compromise alerts wait is logged each time, as an error.
- A delivery that fails (a command that cannot run or exits non-zero, a URL that
  cannot be reached or does not answer 2xx) is tried again after `RETRY_DELAYS`
  (`TRIES` tries in all, each destination on its own: one that got the alert does not
  get it twice); each failed try is logged, once per kind of failure a minute. A
  redirect (3xx) is a failure: it is not followed, as it would turn the POST into a GET
  without the alert. Nothing here stops the daemon.
- The counters (``status``): `sent` counts alerts that every destination got, `failed`
  alerts that a destination never got after its last try, `dropped` alerts never tried
  (the queue was full).

An alert is one JSON object::

    {"kind": "compromised" | "ban", "host": "mx1", "time": "2026-11-28T14:00:00Z",
     "ip": "203.0.113.7", "network": "203.0.113.7/32", "verdict": "bruteforce",
     "reason": "...", "user": "alice@example.org" (compromised),
     "by_others": false (compromised: true when only other clients' guessing, or a few
     tries, came before the login: ask the owner), "session_started": true
     (compromised: false when the password was accepted but the login failed after it,
     Dovecot's "internal failure, K successful auths"), "until": "..." (ban),
     "offences": 1 (ban), "evidence": [{"source", "line", "text"}]}
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mailwarden import __version__
from mailwarden.config import AlertsConfig
from mailwarden.daemon.decisions import clean
from mailwarden.parsers.sasl import json_safe

LOG = logging.getLogger("mailwarden.alerts")

QUEUE = 100
COMMAND_TIMEOUT = 30.0
URL_TIMEOUT = 10.0
RETRY_DELAYS = (10.0, 60.0, 300.0)
"""Seconds before each new try of a failed delivery: a receiver restarted, or down
for a few minutes, still gets the alert."""
TRIES = 1 + len(RETRY_DELAYS)


@dataclass
class _Pending:
    """An alert waiting: the destinations that did not get it yet, the tries made."""

    alert: dict[str, Any]
    targets: set[str]
    tries: int = 0
    due: float = 0.0
    errors: list[str] = field(default_factory=list)


class Alerter:
    """Delivers alerts in the background; `send` never blocks."""

    def __init__(self, config: AlertsConfig, logger: logging.Logger = LOG) -> None:
        self.command = list(config.command)
        self.url = config.url or None
        self.log = logger
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._waiting: deque[_Pending] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._complained: dict[str, float] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)

    @property
    def enabled(self) -> bool:
        return bool(self.command or self.url)

    def send(self, alert: dict[str, Any]) -> None:
        if not self.enabled:
            return
        alert = {"host": socket.gethostname(), **alert}
        targets = {name for name, on in (("command", self.command), ("url", self.url)) if on}
        with self._wake:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._work, name="alerts", daemon=True)
                self._thread.start()
            if len(self._waiting) >= QUEUE and not self._make_room(alert):
                return
            self._waiting.append(_Pending(alert, targets))
            self._wake.notify()

    def _make_room(self, alert: dict[str, Any]) -> bool:
        """With `QUEUE` alerts waiting: True when `alert` may wait too (a compromise
        alert, for which the newest waiting ban alert is dropped), else False (dropped,
        counted and said)."""
        self.dropped += 1
        if alert.get("kind") != "compromised":
            self._complain("full", f"alerts: {QUEUE} alerts waiting; dropped one ({alert['kind']})")
            return False
        for index in range(len(self._waiting) - 1, -1, -1):
            if self._waiting[index].alert.get("kind") != "compromised":
                dropped = self._waiting[index].alert
                del self._waiting[index]
                self._complain(
                    "full",
                    f"alerts: {QUEUE} alerts waiting; dropped one ({dropped['kind']}) to keep "
                    "a compromise alert",
                )
                return True
        self.log.error(
            "alerts: %d compromise alerts waiting; dropped the compromise alert of %s "
            "(user %s): the compromise: line of this log tells it",
            QUEUE,
            clean(str(alert.get("ip"))),
            clean(json.dumps(alert.get("user"), ensure_ascii=False)),
        )
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what waits (for at most `timeout` seconds, each alert tried once more
        without waiting for its next try), then stop the worker."""
        with self._wake:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stopping = True
            self._wake.notify()
        thread.join(timeout)

    # -- the worker -------------------------------------------------------------------

    def _next(self) -> _Pending | None:
        """The first waiting alert that is due (all of them when stopping); None to stop."""
        with self._wake:
            while True:
                if self._stopping:
                    if not self._waiting:
                        return None
                    return self._waiting.popleft()
                now = time.monotonic()
                due = [p for p in self._waiting if p.due <= now]
                if due:
                    self._waiting.remove(due[0])
                    return due[0]
                soonest = min((p.due for p in self._waiting), default=None)
                self._wake.wait(None if soonest is None else max(0.01, soonest - now))

    def _work(self) -> None:
        while True:
            pending = self._next()
            if pending is None:
                return
            self._deliver(pending)

    def _deliver(self, pending: _Pending) -> None:
        # json.dumps escapes every line break, json_safe the separators some
        # readers take for one (U+2028, U+2029): the object is one line.
        body = json_safe(json.dumps(pending.alert, ensure_ascii=False, default=str)).encode("utf-8")
        pending.tries += 1
        if "command" in pending.targets and self._run(body + b"\n"):
            pending.targets.discard("command")
        if "url" in pending.targets and self._post(body):
            pending.targets.discard("url")
        if not pending.targets:
            self.sent += 1
            return
        with self._wake:
            if pending.tries < TRIES and not self._stopping:
                pending.due = time.monotonic() + RETRY_DELAYS[pending.tries - 1]
                self._waiting.append(pending)
                return
        self.failed += 1
        self.log.warning(
            "alerts: gave up on the %s alert of %s after %d tries (%s did not get it)",
            pending.alert.get("kind"),
            pending.alert.get("ip"),
            pending.tries,
            " and ".join(
                self.command[0] if target == "command" else _site(self.url or "")
                for target in sorted(pending.targets)
            ),
        )

    def _run(self, body: bytes) -> bool:
        try:
            done = subprocess.run(
                self.command,
                input=body,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self._complain("command", f"alerts: {self.command[0]} did not run: {exc}")
            return False
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            why = f": {said[0][:200]}" if said else ""
            self._complain(
                "command", f"alerts: {self.command[0]} exited with {done.returncode}{why}"
            )
            return False
        return True

    def _post(self, body: bytes) -> bool:
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
            with self._opener.open(request, timeout=URL_TIMEOUT) as answer:
                answer.read(1024)
        except urllib.error.HTTPError as exc:
            why = f"it answered {exc.code} {clean(str(exc.reason), 80)}"
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location") if exc.headers else None
                to = f" to {clean(_site(str(where)), 200)}" if where else ""
                why += f" (a redirect{to}: not followed, set alerts.url to where it goes)"
            self._complain("url", f"alerts: POST to {_site(self.url)} failed: {why}")
            return False
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            self._complain("url", f"alerts: POST to {_site(self.url)} failed: {exc}")
            return False
        return True

    def _complain(self, kind: str, message: str) -> None:
        now = time.monotonic()
        if now - self._complained.get(kind, -1e9) >= 60:
            self._complained[kind] = now
            self.log.warning("%s", message)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: urllib would send the POST again as a GET without
    its body. The 3xx answer is then an `HTTPError`, a failed delivery."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _site(url: str) -> str:
    """Where an alert goes, for the log: the URL without its user, password, query and
    fragment (``https://hooks.example.com/alert``), where webhook tokens usually are."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
