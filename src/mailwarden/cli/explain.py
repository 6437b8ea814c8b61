"""`mailwarden explain`: what log lines mean, line by line, and a verdict."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import tzinfo
from typing import TypeVar, cast

import click

from mailwarden.cli.language import TranslatedCommand, option
from mailwarden.cli.options import language, log_input_options, show_passwords_option
from mailwarden.locale import N_, _, activate, ngettext

_T = TypeVar("_T")

MAX_READ = 100_000
"""Entries explain reads. It reads them as it explains them and keeps no line it does
not list, but its verdict keeps a little of every session and client (about 1 KB a
session): an excerpt is far smaller, and a whole log is analyze's (bounded state)."""


@click.command(
    cls=TranslatedCommand,
    help=N_(
        "Explain a log excerpt: what each line means, grouped by client session, then a "
        "verdict: who attacked, how, whether they got in, what the log reveals about the "
        "server, and what to do, most important first.\n"
        "\n"
        'Reads files (plain, .gz, .bz2, .xz) or standard input ("-", the default); several '
        "logs (mail.log and auth.log) are merged by time, as analyze merges them; pasted "
        "text with many entries run together on one line is fine, up to 64 KiB a line (a "
        "longer line is skipped and counted). Passwords decoded from "
        "AUTH payloads are masked unless --show-passwords is given.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  mailwarden explain samples/seed-excerpt.txt\n"
        "  mailwarden explain --lang zh_CN samples/seed-excerpt.txt\n"
        "  grep 32451 /var/log/mail.log | mailwarden explain -\n"
        "  LANG=zh_CN.UTF-8 mailwarden explain excerpt.txt"
    ),
)
@log_input_options
@option(
    "--lang",
    metavar="en|zh_CN",
    callback=language,
    help=N_("Language of the explanation (default: from the locale, e.g. LANG=zh_CN.UTF-8)."),
)
@show_passwords_option
def explain(
    inputs: tuple[str, ...],
    year: int | None,
    tz: tzinfo | None,
    lang: str | None,
    show_passwords: bool,
) -> int:
    """Explain a log excerpt: what each line means, then a verdict (the help above, in
    the language of --lang or the locale)."""
    from mailwarden.audit import hint_for
    from mailwarden.cli.analyze import (
        _analysed,
        _read_again,
        _said_damaged,
        _said_not_read_again,
        _said_read_again,
        say_not_logs,
    )
    from mailwarden.detect import Detector, analyze
    from mailwarden.detect.analysis import Analysis
    from mailwarden.explain import explain as explain_excerpt
    from mailwarden.explain import write
    from mailwarden.pipeline import Counts, ReadOptions, read_events
    from mailwarden.scan import streams_of
    from mailwarden.sources.files import (
        STDIN,
        expand_inputs,
        failed_named,
        keeping_stdin,
        readable_inputs,
        skipped_note,
    )

    activate(lang)
    counts = Counts()
    inputs = inputs or ("-",)
    if "-" in inputs and sys.stdin is not None and sys.stdin.isatty():
        # Not a hang: it waits for the paste.
        click.echo(_("Paste the log lines, then press Ctrl-D on a line of its own."), err=True)
    # A file found in a directory or by a pattern that cannot be read is left out, and
    # said; one named fails here, before anything is explained.
    paths, skipped = readable_inputs(inputs, expand_inputs(inputs))
    if skipped:
        counts.read.problem(skipped_note(skipped))
    options = ReadOptions(year=year, tz=tz)
    more: list[bool] = []  # an entry past the limit was there
    # Standard input kept, as analyze keeps it, to be read again in time order.
    with keeping_stdin(STDIN in paths) as stdin_copy:
        reading = read_events(paths, options, counts)

        def in_time_order() -> Analysis | None:
            """An input that goes back in time (cat mail.log mail.log.1) read again as
            its time-ordered runs merged by time, by a detector of its own, as analyze
            reads it: the verdict is the one analyze gives (None: not read again)."""
            reading.close()
            if more:
                return None  # cut: analyze judges more than explain read
            copied = stdin_copy is not None and stdin_copy.again
            runs = _read_again(counts.read, paths, copied, "explain")
            why = stdin_copy.why if stdin_copy is not None else ""
            if why:
                _said_not_read_again(counts.read, why, "explain")
            _said_damaged(counts.read, runs, why, "explain")
            if not runs:
                return None
            detector = Detector(keep_history=True, detections=False)
            again = Counts(read=counts.read)
            analysis = _analysed(streams_of(paths, None), options, detector, again, None, runs)
            _said_read_again(counts.read, runs, "explain")
            return cast(Analysis, analysis)

        blocks = explain_excerpt(
            _limited(reading, MAX_READ, more),  # read as explained: entries are not held
            show_passwords=show_passwords,
            analyze=analyze,  # the detect stage, default policy
            audit=hint_for,  # the exact `mailwarden audit --check …` for each change
            # Said while reading: a login before failures is judged by the time stamps
            # only when the lines were not in time order and could not be read again.
            out_of_order=lambda: bool(counts.read.disorder),
            in_time_order=in_time_order,
        )
        reading.close()  # closes the input it stopped in
    cut = bool(more)
    from mailwarden.explain.document import Paragraph

    notes: list[str] = []  # each goes on top: shown in the reverse order
    kept = counts.read.held_together
    if kept:
        note = ngettext(
            "{n} entry header lies inside text a client chose (a HELO name, a sender, a "
            "recipient, a username) and was kept in the entry before it, since a client "
            "can forge one: what follows does not cover the entry it starts. If this is "
            "pasted text, give it one entry per line.",
            "{n} entry headers lie inside text a client chose (a HELO name, a sender, a "
            "recipient, a username) and were kept in the entry before them, since a client "
            "can forge one: what follows does not cover the entries they start. If this is "
            "pasted text, give it one entry per line.",
            kept,
        ).format(n=f"{kept:,}")
        blocks.insert(0, Paragraph(note))
        notes.append(note)
    if cut:
        note = _(
            "Only the first {n} log entries were read: explain is for an excerpt. For a "
            "whole log, run “mailwarden analyze”, which reads any size."
        ).format(n=f"{MAX_READ:,}")
        blocks.insert(0, Paragraph(note))
        notes.append(note)
    # An input that was never a log (UTF-16, gzipped twice): said as analyze says it,
    # not "the input contains no log entries" alone.
    said = len(counts.read.problems)
    say_not_logs(counts.read, counts.recognised_in, inputs)
    problems = list(counts.read.problems)
    for problem in reversed(problems[said:]):  # on standard error too, with the problems
        blocks.insert(0, Paragraph(problem))
    too_long = counts.read.too_long
    if too_long:
        from mailwarden.sources.interface import MAX_LINE

        note = ngettext(
            "{n} line longer than {kib} KiB was skipped (a paste of many entries on one "
            "line: break it into shorter lines).",
            "{n} lines longer than {kib} KiB were skipped (a paste of many entries on one "
            "line: break it into shorter lines).",
            too_long,
        ).format(n=f"{too_long:,}", kib=MAX_LINE // 1024)
        blocks.insert(0, Paragraph(note))
        notes.append(note)
    binary = counts.read.binary
    if binary:
        # Dropped before explaining (a line holding NULs, control bytes): as events and
        # analyze count it.
        note = ngettext(
            "{n} line was skipped: binary (NUL bytes or control characters), not a log entry.",
            "{n} lines were skipped: binary (NUL bytes or control characters), not log entries.",
            binary,
        ).format(n=f"{binary:,}")
        blocks.insert(0, Paragraph(note))
        notes.append(note)
    # An input that goes back in time (cat mail.log mail.log.1): said first, as analyze
    # says it, since the session layer and the detector took the entries as given (the
    # verdict judges a login after failures by the time stamps).
    for note in reversed(counts.read.disorder):
        blocks.insert(0, Paragraph(note))
        notes.append(note)
    write(blocks, sys.stdout)
    # What the explanation does not cover is said at its top and on standard error too
    # (seen even when the explanation goes to a file), in the same language.
    _warn(problems + notes[::-1])
    return 1 if failed_named(inputs, counts.read.failed) else 0


def _limited(pairs: Iterable[_T], limit: int, more: list[bool]) -> Iterator[_T]:
    """The first ``limit`` of ``pairs``; ``more`` is told when there was another."""
    for count, pair in enumerate(pairs):
        if count == limit:
            more.append(True)
            return
        yield pair


def _warn(problems: Sequence[str]) -> None:
    for problem in problems:
        click.echo(_("mailwarden: warning: {message}").format(message=problem), err=True)
