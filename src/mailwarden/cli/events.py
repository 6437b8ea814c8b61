"""`mailwarden events`: the event stream, as text or JSON lines."""

from __future__ import annotations

import sys
from datetime import tzinfo

import click

from mailwarden.cli import reader_gone, reader_left
from mailwarden.cli.options import log_input_options, show_passwords_option
from mailwarden.eventpool import print_events
from mailwarden.model import Event, Record
from mailwarden.pipeline import Counts, ReadOptions
from mailwarden.report import json_output
from mailwarden.report.events import event_json, event_text
from mailwarden.sources.files import (
    expand_inputs,
    failed_named,
    readable_inputs,
    skipped_note,
)


@click.command()
@log_input_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text: one readable line per event; jsonl: one JSON object per line.",
)
@click.option("--hostile", is_flag=True, help="Only events that count against a client.")
@show_passwords_option
def events(
    inputs: tuple[str, ...],
    year: int | None,
    tz: tzinfo | None,
    fmt: str,
    hostile: bool,
    show_passwords: bool,
) -> int:
    """Print every event found in mail logs, in input order.

    Reads files (plain, .gz, .bz2, .xz; rotated sets in time order), directories,
    or standard input ("-", the default). Lines that say nothing are counted, not
    printed; the counts go to standard error.

    \b
    Examples:
      mailwarden events /var/log/mail.log
      mailwarden events --format jsonl --hostile mail.log.1 mail.log
      journalctl -u postfix -o json | mailwarden events -
    """
    options = ReadOptions(year=year, tz=tz)
    counts = Counts()
    one = event_json if fmt == "jsonl" else event_text

    def render(_record: Record, found: list[Event]) -> str:
        return "".join(
            [
                one(event, show_passwords=show_passwords) + "\n"
                for event in found
                if not hostile or event.hostile
            ]
        )

    given = inputs or ("-",)
    paths, skipped = readable_inputs(given, expand_inputs(given))
    if skipped:  # a file found in a directory or by a pattern: said with the counts
        counts.read.problem(skipped_note(skipped))
    if fmt == "jsonl":
        json_output(sys.stdout)
    printed = 0

    def write(text: str) -> None:
        nonlocal printed
        printed += text.count("\n")  # one line per event
        sys.stdout.write(text)

    print_events(paths, options, counts, render, write if hostile else sys.stdout.write)
    # The counts are for someone who read the events: a reader that left (`| head -2`)
    # ends the command here, with status 141 and nothing on standard error. The flush
    # raises when the events were still buffered; when they were all written already,
    # only the pipe's state tells.
    sys.stdout.flush()
    if reader_gone(sys.stdout):
        reader_left()
    stats = counts.read
    click.echo(
        f"mailwarden: {_count(stats.lines, 'line')}, {_count(counts.records, 'entry')}, "
        f"{counts.recognised} recognised, {_count(counts.events, 'event')}"
        + (f" ({printed} hostile, printed)" if hostile else "")
        + (f", {stats.skipped_total} skipped" if stats.skipped_total else ""),
        err=True,
    )
    for problem in stats.problems:
        click.echo(f"mailwarden: warning: {problem}", err=True)
    return 1 if failed_named(given, stats.failed) else 0


def _count(n: int, noun: str) -> str:
    """``1 line``, ``2 lines``, ``1 entry``, ``2 entries``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"
