"""Run a firewall program with an argument list (never a shell), optionally in a netns."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from mailwarden.enforce.interface import (
    BatchRefusedError,
    EnforceError,
    NoAnswerError,
    PermissionDeniedError,
    ToolMissingError,
)

TIMEOUT = 30.0

_PERMISSION_WORDS = ("Operation not permitted", "Permission denied", "must be root")


def in_netns(netns: str | None, argv: Sequence[str]) -> list[str]:
    """The argument list that runs `argv` inside network namespace `netns` (if any)."""
    if netns is None:
        return list(argv)
    if not netns or "/" in netns or netns.startswith("-"):
        raise EnforceError(f"bad network namespace name: {netns!r}")
    return ["ip", "netns", "exec", netns, *argv]


def first_error_line(text: str) -> str:
    """The line a person needs from a tool's stderr (nft puts carets under it)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "Error" in line or "error" in line:
            return line
    return lines[0] if lines else "(no message)"


def run(
    argv: Sequence[str],
    *,
    netns: str | None = None,
    stdin: str | None = None,
    check: bool = True,
    what: str | None = None,
    c_locale: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `argv`; on failure raise the `EnforceError` subclass that says why.

    With check=False a non-zero exit is returned to the caller (used to probe).
    `c_locale`: its messages in English whatever the locale (a probe that reads them)."""
    full = in_netns(netns, argv)
    what = what or argv[0]
    try:
        done = subprocess.run(
            full,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env={**os.environ, "LC_ALL": "C"} if c_locale else None,
        )
    except FileNotFoundError as exc:
        raise ToolMissingError(f"{what}: program not found: {exc.filename or full[0]}") from exc
    except PermissionError as exc:
        raise PermissionDeniedError(f"{what}: cannot run {full[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise NoAnswerError(f"{what}: no answer after {TIMEOUT:.0f} s") from exc
    if done.returncode != 0 and check:
        raise error_for(what, done)
    return done


def error_for(what: str, done: subprocess.CompletedProcess[str]) -> EnforceError:
    message = first_error_line(done.stderr or done.stdout or "")
    if done.returncode == 127 or message.startswith("exec of "):
        return ToolMissingError(f"{what}: {message}")
    if any(word in (done.stderr or "") for word in _PERMISSION_WORDS):
        return PermissionDeniedError(f"{what}: {message} (run as root or with CAP_NET_ADMIN)")
    return BatchRefusedError(f"{what} refused the change: {message}")
