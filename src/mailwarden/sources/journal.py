"""The systemd journal, through ``journalctl -o json`` (one JSON object per line).

journalctl is run with an argument list, never through a shell. Each Chunk carries the
cursor of its last entry, which the daemon stores to resume with ``--after-cursor``.
Line numbers count the JSON lines of this run; the source name is ``journal``.

Decisions:
- Following without a cursor starts at the end (``--lines=0``): the daemon acts on
  what happens from now on. Following from a cursor shows everything after it
  (``--no-tail``).
- ``matches`` are journalctl match arguments (``SYSLOG_FACILITY=2`` for the mail
  facility, ``_SYSTEMD_UNIT=postfix@-.service``), each passed as one argument.
- A journalctl that fails before printing anything raises InputError with its own first
  line of complaint; a failure after some output, or a warning (for example that the
  user cannot see the system journal), is recorded as a problem. Our words in these
  messages are in the active language (journalctl's own line is as it wrote it).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Generator, Iterator, Sequence
from datetime import datetime
from typing import IO

from mailwarden.errors import InputError
from mailwarden.locale import _
from mailwarden.locale.system import os_reason
from mailwarden.sources._lines import LineSplitter
from mailwarden.sources.interface import Chunk, ReadStats

SOURCE = "journal"
_MATCH = re.compile(r"^(?:[A-Z0-9_]+=.*|\+)$", re.DOTALL)


def is_match(text: str) -> bool:
    """Whether ``text`` is a journalctl match argument: ``FIELD=value`` (a field name of
    capitals, digits and underscores) or ``+``."""
    return _MATCH.match(text) is not None


def journal_command(
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    follow: bool = False,
    after_cursor: str | None = None,
    matches: Sequence[str] = (),
    journalctl: str = "journalctl",
    newest_first: int | None = None,
    cursor: str | None = None,
) -> list[str]:
    """The journalctl argument list for these options. ``newest_first``: that many
    entries of the range at most, the newest first, with their cursor and times only
    (journalctl's ``--lines`` with ``--since`` counts from the oldest: the newest are
    had in reverse). ``cursor``: from that entry on, it included."""
    args = [journalctl, "--output=json", "--no-pager"]
    if newest_first is not None and not follow:
        args += ["--reverse", f"--lines={newest_first}", "--output-fields=__CURSOR"]
    if cursor is not None:
        args.append(f"--cursor={cursor}")
    if since is not None:
        args.append(f"--since={_when(since)}")
    if until is not None:
        args.append(f"--until={_when(until)}")
    if after_cursor is not None:
        args.append(f"--after-cursor={after_cursor}")
    if follow:
        args.append("--follow")
        args.append("--no-tail" if after_cursor is not None or since is not None else "--lines=0")
    for match in matches:
        if not is_match(match):
            raise InputError(
                _("{match!r}: not a journal match (FIELD=value or +)").format(match=match)
            )
        args.append(match)
    return args


def _when(value: datetime | str) -> str:
    if isinstance(value, datetime):
        return f"@{int(value.timestamp())}"  # seconds since the epoch: no zone ambiguity
    return value


def read_journal(
    stats: ReadStats,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    follow: bool = False,
    after_cursor: str | None = None,
    matches: Sequence[str] = (),
    journalctl: str = "journalctl",
    chunk_size: int = 1 << 20,
    newest_first: int | None = None,
    cursor: str | None = None,
) -> Generator[Chunk, None, None]:
    """Chunks of journal entries as JSON lines, each with the cursor of its last entry.

    With ``follow`` it never ends by itself; closing the iterator stops journalctl.
    """
    args = journal_command(
        since=since,
        until=until,
        follow=follow,
        after_cursor=after_cursor,
        matches=matches,
        journalctl=journalctl,
        newest_first=newest_first,
        cursor=cursor,
    )
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
            )
        except FileNotFoundError:
            raise InputError(
                _("{program}: not found; reading the systemd journal needs journalctl").format(
                    program=journalctl
                )
            ) from None
        except OSError as exc:
            raise InputError(
                _("{program}: cannot run: {reason}").format(
                    program=journalctl, reason=os_reason(exc)
                )
            ) from None
        stats.files += 1
        assert proc.stdout is not None
        splitter = LineSplitter(SOURCE, stats)
        produced = False
        try:
            for chunk in _chunks(proc.stdout, splitter, stats, chunk_size):
                produced = True
                yield chunk
            code = proc.wait()
        finally:
            stop_process(proc)
        _complain(code, errors, produced, stats, journalctl)


def _chunks(
    stream: IO[bytes], splitter: LineSplitter, stats: ReadStats, size: int
) -> Iterator[Chunk]:
    read = getattr(stream, "read1", stream.read)
    while True:
        block = read(size)
        if not block:
            break
        stats.bytes += len(block)
        chunk = splitter.feed(block)
        if chunk is not None:
            yield chunk._replace(cursor=last_cursor(chunk.data))
    tail = splitter.finish()
    if tail is not None:
        yield tail._replace(cursor=last_cursor(tail.data))


def cursor_fields(cursor: str) -> dict[str, str]:
    """A journald cursor's fields (``s=…;i=…;b=<boot id>;m=…;t=<time>;x=…``) by name."""
    return dict(part.partition("=")[::2] for part in cursor.split(";"))


def last_cursor(data: bytes) -> str | None:
    """The ``__CURSOR`` of the last entry in these JSON lines that has one."""
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        line = data[start:end].strip()
        end = start - 1 if start > 0 else 0
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        cursor = entry.get("__CURSOR") if isinstance(entry, dict) else None
        if isinstance(cursor, str):
            return cursor
    return None


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """End a journalctl we started: terminate, kill after 5 s, close its output."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _complain(
    code: int, errors: IO[bytes], produced: bool, stats: ReadStats, journalctl: str
) -> None:
    errors.seek(0)
    text = errors.read(4096).decode("utf-8", "replace")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    said = first or _("no message")
    if code != 0 and not produced:
        raise InputError(
            _("{program} failed (exit {code}): {message}").format(
                program=journalctl, code=code, message=said
            )
        )
    if code != 0:
        stats.problem(
            _("{source}: {program} stopped with exit {code}: {message}").format(
                source=SOURCE, program=journalctl, code=code, message=said
            )
        )
    elif first:
        stats.problem(f"{SOURCE}: {journalctl}: {first}")
