"""Run `postconf` and `doveconf`: argument lists only, never a shell."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

# sbin is often missing from PATH for users other than root.
_EXTRA_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/local/bin")


class ToolFailed(Exception):
    """The program ran and failed; the message is its first stderr line."""


@dataclass(frozen=True)
class Output:
    stdout: str
    stderr: str

    def warnings(self) -> list[str]:
        """The program's warning lines, without its `name: warning: ` prefix, printable."""
        found = []
        for line in self.stderr.splitlines():
            _, marker, text = line.partition(": warning: ")
            if marker and text.strip():
                found.append(printable(text.strip()))
        return found


def find_program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    path = os.pathsep.join(_EXTRA_DIRS)
    return shutil.which(name, path=path)


def run(argv: list[str], timeout: float = 30.0) -> Output:
    """Run `argv`; raise ToolFailed on a non-zero exit status."""
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolFailed(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "fatal" in line.lower()]
        lines = lines or done.stderr.splitlines() or [f"exit status {done.returncode}"]
        raise ToolFailed(printable(lines[0].strip()))
    return Output(done.stdout, done.stderr)


def printable(line: str, limit: int = 300) -> str:
    """A tool's message as the report may print it: it quotes the configuration, which
    may hold terminal escapes or undecodable bytes; these become "?"."""
    line = "".join(char if char.isprintable() and char != "\ufffd" else "?" for char in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"
