"""`mailwarden analyze`: every attack in a whole log archive, and whether anyone got in.

Reads through the fast path (:mod:`mailwarden.scan`: prefilter before framing) into one
:class:`~mailwarden.detect.Detector`, then prints the report (:mod:`mailwarden.report.text`)
or the JSON contract (:mod:`mailwarden.report.json`).

Thresholds: the defaults of ``[policy]`` (:class:`mailwarden.config.PolicyConfig`,
documented in examples/mailwarden.toml), then ``--config FILE`` (the daemon's file; only
``[policy]`` is read), then ``--set``, ``--allow``, ``--users``, ``--honeypot``.
``--thresholds`` prints the result and exits.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import click

from mailwarden.cli.language import TranslatedCommand, option
from mailwarden.cli.options import (
    assignments,
    existing_file,
    journal_matches,
    language,
    log_input_options,
    show_passwords_option,
)
from mailwarden.config import Config, PolicyConfig, apply_overrides, duration_text, load_config
from mailwarden.errors import MailwardenError
from mailwarden.locale import N_, _, active_language, ngettext
from mailwarden.model import IPNetwork

if TYPE_CHECKING:
    from mailwarden.pipeline import ReadOptions
    from mailwarden.sources.interface import ReadStats


@click.command(
    cls=TranslatedCommand,
    help=N_(
        "Find every attack in mail logs, and tell whether anyone got in.\n"
        "\n"
        "Reads files, directories and globs (plain, .gz, .bz2, .xz; rotated sets such as "
        'mail.log, mail.log.1, mail.log.2.gz in time order), standard input ("-") or the '
        "systemd journal (--journal). Separate logs (mail.log*, auth.log*, dovecot.log*) are "
        "merged by time. A damaged archive is reported and skipped from the damage on.\n"
        "\n"
        "Prints a headline (what happened, whether anyone got in), then compromised "
        "accounts with what to do, attackers (brute force, slow guessing, networks, "
        "spraying, enumeration), credentials seen in the log (masked), and what the log "
        "reveals about the server, with the `mailwarden audit` check for each cause.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  mailwarden analyze /var/log/mail.log*\n"
        "  mailwarden analyze --since 7d --users /etc/dovecot/users /var/log/\n"
        "  mailwarden analyze --lang zh_CN /var/log/mail.log*   (the report in Chinese)\n"
        "  mailwarden analyze --format json mail.log.1 mail.log > report.json\n"
        '  mailwarden analyze --journal --since "2026-02-23"\n'
        "  mailwarden analyze --config /etc/mailwarden/mailwarden.toml \\\n"
        "      --set fast_failures=5 --allow 192.0.2.0/24 mail.log\n"
        "  zcat -f mail.log.2.gz mail.log.1 mail.log | mailwarden analyze -   (oldest first)"
    ),
)
@log_input_options
@option(
    "--journal",
    is_flag=True,
    help=N_("Read the systemd journal (journalctl -o json), for servers without a log file."),
)
@option(
    "--journal-match",
    "journal_matches",
    multiple=True,
    metavar="FIELD=VALUE",
    callback=journal_matches,
    help=N_("Only these journal entries, e.g. _SYSTEMD_UNIT=postfix@-.service (repeatable)."),
)
@option(
    "--since",
    metavar="WHEN",
    help=N_(
        'Only entries at or after WHEN: "2026-02-23", "2026-02-23 10:00", ISO 8601, '
        'or a time ago such as "2h" or "7d". Files last written more than a day before WHEN '
        "are not opened, but those of the stale_window before it are, for the owners' "
        "logins only (a phone with an old password is not taken for a guesser)."
    ),
)
@option(
    "--until",
    metavar="WHEN",
    help=N_(
        "Only entries at or before WHEN (same forms). The newer files of a rotated set "
        "are not opened once an older one ends a day past WHEN."
    ),
)
@option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("text: a report for people; json: the stable object other tools read."),
)
@option(
    "--lang",
    metavar="en|zh_CN",
    callback=language,
    help=N_(
        "Language of the text report and the messages (default: from the locale, e.g. "
        "LANG=zh_CN.UTF-8). JSON stays English."
    ),
)
@option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(),
    callback=existing_file,
    help=N_("The TOML configuration the daemon uses; analyze reads its [policy] thresholds."),
)
@option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    callback=assignments,
    help=N_(
        "Override one [policy] threshold, e.g. --set fast_failures=5 --set fast_window=30s "
        "(repeatable; see --thresholds)."
    ),
)
@option(
    "--allow",
    "allow",
    multiple=True,
    metavar="CIDR",
    help=N_(
        "Never recommend banning this address or network (repeatable). Loopback and the "
        "server's own addresses never are."
    ),
)
@option(
    "--users",
    "users_file",
    metavar="FILE",
    type=click.Path(),
    callback=existing_file,
    help=N_(
        "The real accounts, one per line, or a Dovecot passwd-file: tells which tried "
        "usernames exist."
    ),
)
@option(
    "--honeypot",
    "honeypots",
    multiple=True,
    metavar="USER",
    help=N_("An account nobody real uses: one try is a ban (repeatable)."),
)
@option(
    "--limit",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help=N_("Rows per table in the text report (0: all)."),
)
@show_passwords_option
@option("-q", "--quiet", is_flag=True, help=N_("No progress bar."))
@option(
    "--thresholds",
    "show_thresholds",
    is_flag=True,
    help=N_("Print the thresholds in effect (defaults, --config, --set) as TOML and exit."),
)
def analyze(
    inputs: tuple[str, ...],
    year: int | None,
    tz: tzinfo | None,
    journal: bool,
    journal_matches: tuple[str, ...],
    since: str | None,
    until: str | None,
    fmt: str,
    lang: str | None,
    config_path: str | None,
    assignments: tuple[str, ...],
    allow: tuple[str, ...],
    users_file: str | None,
    honeypots: tuple[str, ...],
    limit: int,
    show_passwords: bool,
    quiet: bool,
    show_thresholds: bool,
) -> int:
    """Find every attack in mail logs, and tell whether anyone got in (the help above, in
    the language of --lang or the locale)."""
    from mailwarden.locale import activate

    activate(lang)
    policy = _policy(config_path, assignments, allow, honeypots, users_file)
    if show_thresholds:
        click.echo(policy_toml(policy), nl=False)
        return 0
    options = _read_options(year, tz, since, until)
    if journal_matches and not journal:
        raise click.UsageError(_("--journal-match filters the journal: give --journal too"))
    if not inputs and not journal:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError(
                _("give log files (or - for standard input), or --journal; see --help")
            )
        inputs = ("-",)
    return _run(
        inputs, journal, journal_matches, options, policy, fmt, limit, show_passwords, quiet
    )


def _run(
    inputs: Sequence[str],
    journal: bool,
    journal_matches: Sequence[str],
    options: ReadOptions,
    policy: PolicyConfig,
    fmt: str,
    limit: int,
    show_passwords: bool,
    quiet: bool,
) -> int:
    from mailwarden.detect import load_accounts
    from mailwarden.sources.files import (
        STDIN,
        expand_inputs,
        readable_inputs,
        regular_file,
        written_since,
    )

    accounts = load_accounts(policy.users_file) if policy.users_file else None
    paths = expand_inputs(inputs) if inputs else []
    older: list[str] = []
    earlier: list[str] = []
    once: list[str] = []  # inputs read for the window only: no look-back in them
    if options.since is not None:
        start = _look_back_start(options.since, policy)
        if start is not None:
            # Only a regular file can be read twice: standard input, a pipe, a FIFO or
            # /dev/stdin named as a file would be used up by the look-back, and the
            # window would read nothing (or wait for ever for a FIFO's second writer).
            twice = [path for path in paths if path != STDIN and regular_file(path)]
            once = [path for path in paths if path == STDIN or not regular_file(path)]
            earlier, _older = written_since(twice, start)
        paths, older = written_since(paths, options.since)
    # Fail before reading anything when a file named cannot be opened; one found in a
    # directory or by a pattern is left out, and said.
    paths, skipped = readable_inputs(inputs, paths)
    once = [path for path in once if path in paths]
    if skipped:
        left_out = {path for path, _error in skipped}
        earlier = [path for path in earlier if path not in left_out]
    # The JSON is a contract, English in any language: so is everything that goes into
    # it (the reading's problems, a masked password's note), read and written in English.
    with _language("en" if fmt == "json" else None):
        return _analyze(
            paths,
            older,
            earlier,
            once,
            inputs,
            skipped,
            journal,
            journal_matches,
            options,
            policy,
            accounts,
            fmt,
            limit,
            show_passwords,
            quiet,
        )


@contextmanager
def _language(language: str | None) -> Iterator[None]:
    """``language`` active for the block (None: the one active now)."""
    from mailwarden.locale import activate, active_language

    previous = active_language()
    if language is not None:
        activate(language)
    try:
        yield
    finally:
        activate(previous)


def _analysed(
    streams: Any,
    options: ReadOptions,
    detector: Any,
    counts: Any,
    progress: Any,
    runs: Sequence[tuple[str, int]] = (),
) -> Any:
    """Read ``streams`` into ``detector`` (as the time-ordered ``runs``, when given) and
    return its analysis; the progress bar is closed either way."""
    from mailwarden.gcpause import fewer_collections
    from mailwarden.scan import scan

    try:
        with fewer_collections():
            scan(streams, options, detector.feed, counts, progress, runs=runs)
            detector.close()
            detector.finished()
            return detector.result()
    finally:
        if progress is not None:
            progress.close()


def _analyze(
    paths: list[str],
    older: list[str],
    earlier: list[str],
    once: list[str],
    named: Sequence[str],
    skipped: Sequence[tuple[str, OSError]],
    journal: bool,
    journal_matches: Sequence[str],
    options: ReadOptions,
    policy: PolicyConfig,
    accounts: Any,
    fmt: str,
    limit: int,
    show_passwords: bool,
    quiet: bool,
) -> int:
    from mailwarden.audit import hint_for
    from mailwarden.cli.progress import progress_for
    from mailwarden.detect import Detector
    from mailwarden.gcpause import fewer_collections
    from mailwarden.pipeline import Counts
    from mailwarden.report import ReadSummary
    from mailwarden.scan import JournalQuery, streams_of
    from mailwarden.sources.files import STDIN, failed_named, keeping_stdin, skipped_note

    query = None
    if journal:
        query = JournalQuery(options.since, options.until, tuple(journal_matches))
    streams = streams_of(paths, query)

    def detector_for_run() -> Any:
        detector = Detector(policy, accounts, keep_history=True, detections=False)
        if options.since is not None and (earlier or journal):
            _look_back(
                detector, earlier, journal, journal_matches, options, policy, accounts, quiet
            )
        return detector

    started = time.perf_counter()
    with keeping_stdin(STDIN in paths) as stdin_copy:
        detector = detector_for_run()
        counts = Counts()
        progress = progress_for(paths, journal, quiet)
        analysis = _analysed(streams, options, detector, counts, progress)
        runs = _read_again(counts.read, paths, stdin_copy is not None and stdin_copy.again)
        if stdin_copy is not None and stdin_copy.why:
            _said_not_read_again(counts.read, stdin_copy.why)
        if runs:
            # The input goes back in time: read again as its time-ordered runs merged
            # by time (scan._runs_merged), by a detector of its own; what was read is
            # the first reading's count.
            del detector, analysis
            gc.collect()  # the first reading's detector, before the second one grows
            detector = detector_for_run()
            again = Counts(read=counts.read)
            progress = progress_for(paths, journal, quiet, label=_("in time order: "))
            analysis = _analysed(streams, options, detector, again, progress, runs)
            counts = again
            _said_read_again(counts.read, runs)
        _said_damaged(counts.read, runs, stdin_copy.why if stdin_copy is not None else "")
    stats = counts.read
    cautions: list[str] = []
    # The text report on a terminal says the cautions and the disorder under its
    # headline, and the problems in its notes: once is enough there. Elsewhere (a file,
    # a pipe, JSON) standard error says them too, for the person at the terminal.
    shown_below = fmt != "json" and sys.stdout is not None and sys.stdout.isatty()
    if skipped:
        stats.problems.insert(0, skipped_note(skipped))
    say_not_logs(stats, counts.recognised_in, named)
    held = stats.held_together_note()
    if held is not None:
        stats.problem(held)
    # In the language of the text report; English with --format json (see _run).
    read_back = set(earlier)
    looked_back = [path for path in older if path in read_back]  # for the owners' logins only
    if older and not paths and not journal:
        if looked_back:
            message = _(
                "every input was last written more than a day before {window}: read only "
                "for the owners' logins before it"
            )
        else:
            message = _(
                "every input was last written more than a day before {window}: none was opened"
            )
        _warn(message.format(window=_window(options)))
    elif journal and not paths and not (stats.mail_seen or counts.recognised):
        # A caution (the JSON's notes, under the headline), not a warning only: a wrong
        # --journal-match looked like an all-clear. Not a problem: everything was read.
        caution = _journal_without_mail(stats.lines, options, journal_matches)
        cautions.append(caution)
        if not shown_below:
            _warn(caution)
    elif stats.outside_window and not counts.records:
        # Not a problem of the input (not among the problems), but the all-clear below
        # covers only the range: said under the headline and on standard error.
        newer = len(stats.after_until)
        unopened = ""
        if newer:
            unopened = ngettext(
                " ({n} newer file not opened)", " ({n} newer files not opened)", newer
            ).format(n=f"{newer:,}")
        if options.year is not None:
            caution = _(
                "Nothing inside {window} could change the analysis: the {n} entries that "
                "could (logins, failures, rejects) lie outside it{unopened}. Is that the "
                "range you meant?"
            )
        else:
            caution = _(
                "Nothing inside {window} could change the analysis: the {n} entries that "
                "could (logins, failures, rejects) lie outside it{unopened}. Is that the "
                "range you meant (and the year of the log's dates)?"
            )
        caution = caution.format(
            window=_window(options), n=f"{stats.outside_window:,}", unopened=unopened
        )
        cautions.append(caution)
        if not shown_below:
            _warn(caution)
    if once:
        # Not a problem of the input: what the look-back could not cover (README).
        names = ", ".join(_("standard input") if path == STDIN else path for path in once)
        caution = ngettext(
            "Not looked back before --since for the owners' logins in {inputs}: "
            "standard input and what is not a regular file are read once (a phone with "
            "an old password whose owner last logged in before --since may be taken for "
            "a guesser)",
            "Not looked back before --since for the owners' logins in {inputs}: "
            "standard input and what is not a regular file are read once (a phone with "
            "an old password whose owner last logged in before --since may be taken for "
            "a guesser)",
            len(once),
        ).format(inputs=names)
        cautions.append(caution)
        if not shown_below:
            _warn(caution)
    summary = ReadSummary(
        inputs=_opened(paths, [*stats.after_until, *stats.unread])
        + (("journal",) if journal else ()),
        files=stats.files,
        bytes=stats.bytes,
        lines=stats.lines,
        entries=counts.records,
        recognised=counts.recognised,
        events=counts.events,
        mail_seen=bool(stats.mail_seen or counts.recognised),
        seconds=time.perf_counter() - started,
        skipped=stats.skipped_total,
        junk=stats.binary + stats.too_long,
        problems=tuple(stats.problems),
        unreadable=tuple(dict.fromkeys(stats.failed_why)),
        damaged=len(set(stats.damaged)),
        disorder=tuple(stats.disorder),
        cautions=tuple(cautions),
        duplicates=stats.duplicates,
        before_since=tuple(path for path in older if path not in looked_back),
        looked_back=tuple(looked_back),
        after_until=tuple(stats.after_until),
    )
    if not shown_below:
        for problem in summary.problems + summary.disorder:
            _warn(problem)
    # The detector's state is still there: a full collection while the report is
    # written would walk all of it (half a second on a million lines).
    with fewer_collections():
        if fmt == "json":
            from mailwarden.report import json_output
            from mailwarden.report.json import write_json

            json_output(sys.stdout)
            write_json(analysis, summary, sys.stdout, show_passwords=show_passwords, hint=hint_for)
        else:
            from rich.console import Console

            from mailwarden.report.text import write_text

            # Nothing the report prints is read as markup or emoji codes (`[bold]`, `:x:`
            # in a name a client chose): its cells are Text, and str ones stay as written.
            console = Console(file=sys.stdout, highlight=False, markup=False, emoji=False)
            write_text(
                analysis,
                summary,
                console,
                limit=limit,
                show_passwords=show_passwords,
                hint=hint_for,
            )
    # A file named that gave not a line (damaged from its start, a read error): the
    # report says what the others gave, the status that the reading failed (README).
    return 1 if failed_named(named, stats.failed) else 0


def _read_again(
    stats: ReadStats, paths: Sequence[str], stdin_again: bool, command: str = "analyze"
) -> list[tuple[str, int]]:
    """Where the inputs that went back in time (``ReadStats.runs``) start each run but
    the first, for those that can be read again in time order: regular files among
    ``paths`` (a compressed one too; not a FIFO, nor the journal) and standard input
    when it could be kept (:class:`~mailwarden.sources.files.StdinCopy`). Nothing when
    they went back more than `~mailwarden.scan.MAX_RUNS` times (not all were noted), or
    when one of ``paths`` cannot be read again (the second reading reads them all):
    then every entry is counted in the order given, as said.

    Where they went back more than `~mailwarden.scan.SHORT_BACKWARD` only
    (``ReadStats.short_turns``: pieces joined, the newest under 3 hours old), a run
    starts too, and the input is said to go back in time as if it went back further,
    when there are at most `~mailwarden.scan.MAX_RUNS` runs in all (``short_cut``);
    more are a syslog of hosts whose clocks differ, counted as given, unsaid.

    An input that went back more than `~mailwarden.scan.JITTER` only
    (``ReadStats.skew_turns``: two logs joined, the one put after the other minutes
    long) is read again whole, each run put in order, not cut: ``(input, 0)``; and
    said, as one read again in time order is. Not when other inputs went back more than
    `~mailwarden.scan.SHORT_BACKWARD` too many times to be read again. One of those
    that cannot be read again is said as counted in the order given (advice naming
    ``command``)."""
    import stat

    from mailwarden.scan import MAX_RUNS, order_note
    from mailwarden.sources.files import STDIN

    runs = list(stats.runs)
    short = stats.short_turns
    if short and len(runs) <= MAX_RUNS and len(runs) + len(short) <= MAX_RUNS:
        runs += [(source, line) for source, line, _at, _before in short]
        stats.short_cut = 1
    if len(runs) > MAX_RUNS:
        return []
    skewed = [turn for turn in stats.skew_turns if stats.short_cut or not short]
    runs += [(turn[0], 0) for turn in skewed]
    if not runs:
        return []
    files = set(paths)
    again: dict[str, bool] = {}
    # The second reading reads every input again: each named one too, not only those
    # that went back (a FIFO, or standard input not kept, would then wait or fail).
    for source in [*paths, *(source for source, _line in runs)]:
        if source in again:
            continue
        if source == STDIN:
            again[source] = stdin_again
            continue
        if source not in files:  # the journal
            again[source] = False
            continue
        try:
            again[source] = stat.S_ISREG(os.stat(source).st_mode)
        except OSError:
            again[source] = False
    whole = all(again[path] for path in files)
    kept = [run for run in runs if again[run[0]]] if whole else []
    said = {turn[0] for turn in stats.turns}
    for turn in [*short, *skewed] if stats.short_cut else skewed:
        source = turn[0]
        if source not in said and (source in files or source == STDIN):  # not the journal
            said.add(source)
            stats.turns.append(turn)
            # Said by _said_read_again; one that cannot be read again (a FIFO, a pipe
            # too big to keep: _said_not_read_again) is counted in the order given.
            stats.disorder.append("" if kept and again[source] else order_note(turn, command))
    return kept


def _said_read_again(
    stats: ReadStats, runs: Sequence[tuple[str, int]], command: str = "analyze"
) -> None:
    """What the disorder notes say of the inputs read again in time order (their advice
    naming ``command``)."""
    from mailwarden.scan import order_note

    parts: dict[str, int] = {}
    for source, line in runs:  # line 0: read again whole, one part (_read_again)
        parts[source] = parts.get(source, 1) + (1 if line else 0)
    after = dict(stats.mtime_turns)
    for index, turn in enumerate(stats.turns):
        if turn[0] in parts and index < len(stats.disorder):
            stats.disorder[index] = order_note(
                turn,
                command,
                parts[turn[0]],
                crowded=turn[0] in stats.crowded,
                after=after.get(turn[0], ""),
                damaged=turn[0] in stats.corrupt,
            )


def _said_damaged(
    stats: ReadStats, runs: Sequence[tuple[str, int]], why: str, command: str = "analyze"
) -> None:
    """The disorder notes of corrupt archives (``ReadStats.corrupt``) not read again in
    time order, made while they were read, before the corruption came to light: said
    again with its garbage as the likely cause, not joined logs (:func:`_said_read_again`
    says so of those read again). ``why``: why standard input was not kept."""
    from mailwarden.scan import order_note
    from mailwarden.sources.files import STDIN

    if not stats.corrupt:
        return
    damaged, read_again = set(stats.corrupt), {source for source, _line in runs}
    after = dict(stats.mtime_turns)
    for index, turn in enumerate(stats.turns):
        source = turn[0]
        if source in damaged and source not in read_again and index < len(stats.disorder):
            stats.disorder[index] = order_note(
                turn,
                command,
                why=why if source == STDIN else "",
                after=after.get(source, ""),
                damaged=True,
            )


def _said_not_read_again(stats: ReadStats, why: str, command: str = "analyze") -> None:
    """What the disorder note of standard input says when it was not kept to be read
    again (:attr:`~mailwarden.sources.files.StdinCopy.why`; its advice naming
    ``command``)."""
    from mailwarden.scan import order_note
    from mailwarden.sources.files import STDIN

    for index, turn in enumerate(stats.turns):
        if turn[0] == STDIN and index < len(stats.disorder):
            stats.disorder[index] = order_note(turn, command, why=why)


def _warn(message: str) -> None:
    click.echo(_("mailwarden: warning: {message}").format(message=message), err=True)


# -- configuration --------------------------------------------------------------------------


def _policy(
    config_path: str | None,
    assignments: Sequence[str],
    allow: Sequence[str],
    honeypots: Sequence[str],
    users_file: str | None,
) -> PolicyConfig:
    """Defaults, then the file, then the command line (ConfigError names the culprit)."""
    config: Config = load_config(config_path)
    sets = [a if "." in a.partition("=")[0] else f"policy.{a}" for a in assignments]
    for assignment in sets:
        if not assignment.startswith("policy."):
            raise click.BadParameter(
                _("{value!r}: analyze uses [policy] keys only (see --thresholds)").format(
                    value=assignment
                ),
                param_hint="--set",
            )
    config = apply_overrides(config, sets, origin="--set")
    for note in config.allow_notes:
        _warn(note)
    policy = config.policy
    extra_allow = tuple(_network(value) for value in allow)
    changes: dict[str, Any] = {}
    if extra_allow:
        changes["allow"] = policy.allow + extra_allow
    if honeypots:
        changes["honeypot_users"] = policy.honeypot_users + tuple(honeypots)
    if users_file:
        changes["users_file"] = users_file
    return dataclasses.replace(policy, **changes) if changes else policy


def _network(value: str) -> IPNetwork:
    from mailwarden.config import host_bits_note, parse_network

    try:
        network = parse_network(value)  # as the configuration's allow list is read
    except Exception:  # config's own error type is private; any failure is bad usage
        raise click.BadParameter(
            _("{value!r} is not an address or network (192.0.2.0/24, 2001:db8::/48)").format(
                value=value
            ),
            param_hint="--allow",
        ) from None
    note = host_bits_note("--allow", value)
    if note is not None:
        _warn(note)
    return network


def policy_toml(policy: PolicyConfig) -> str:
    """The ``[policy]`` section in effect, in the configuration file's syntax."""
    lines = ["[policy]"]
    for f in dataclasses.fields(policy):
        lines.append(f"{f.name} = {_toml_value(getattr(policy, f.name))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return f'"{duration_text(value)}"'
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return '""'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- reading options ------------------------------------------------------------------------


def _look_back_start(since: datetime, policy: PolicyConfig) -> datetime | None:
    """Where the look-back before ``--since`` starts (``stale_window`` before it), or
    None when there is none (a zero window; a --since in the first days there are)."""
    if not policy.stale_window:
        return None
    try:
        return since - policy.stale_window
    except OverflowError:
        return None


def _look_back(
    detector: Any,
    paths: list[str],
    journal: bool,
    journal_matches: Sequence[str],
    options: ReadOptions,
    policy: PolicyConfig,
    accounts: Any,
    quiet: bool,
) -> None:
    """The owners' logins of the ``stale_window`` before ``--since``, told to
    ``detector`` (:meth:`~mailwarden.detect.Detector.remember_success`): a phone whose
    owner last logged in before --since and that fails with the old password after it
    is a stale device, as it is when the whole log is analysed, not a guesser to ban.
    The range is analysed by a detector of its own, so that only the logins it judges an
    owner's count (:attr:`~mailwarden.detect.Detector.on_owner`): an intruder's login
    after guessing makes its address no owner. Nothing of the range is reported or
    counted; its reading problems show when the window's own reading meets them (the
    same files). Standard input, a pipe or a FIFO is not looked back into: it cannot be
    read twice (`_run` leaves it out, and `_analyze` says so)."""
    from mailwarden.cli.progress import progress_for
    from mailwarden.detect import Detector
    from mailwarden.gcpause import fewer_collections
    from mailwarden.pipeline import Counts
    from mailwarden.scan import JournalQuery, scan, streams_of

    assert options.since is not None
    start = _look_back_start(options.since, policy)
    if start is None:
        return
    end = options.since - timedelta(microseconds=1)
    back = dataclasses.replace(options, since=start, until=end)
    query = JournalQuery(start, end, tuple(journal_matches)) if journal else None
    streams = streams_of(paths, query)
    if not streams:
        return
    before = Detector(policy, accounts, detections=False)

    def owner(ip: str, key: str, when: float, previous: float | None) -> None:
        detector.remember_success(ip, key, when)

    before.on_owner = owner
    progress = progress_for(paths, journal, quiet, label=_("looking back: "))
    try:
        with fewer_collections():
            scan(streams, back, before.feed, Counts(), progress)
            before.close()
    except MailwardenError as exc:  # an archive only the look-back opens, say
        _warn(_("could not look back before --since for owners' logins: {error}").format(error=exc))
    finally:
        if progress is not None:
            progress.close()


def _read_options(year: int | None, tz: tzinfo | None, since: str | None, until: str | None) -> Any:
    from mailwarden.pipeline import ReadOptions

    start = parse_when(since, tz, "--since") if since is not None else None
    end = parse_when(until, tz, "--until", end_of_day=True) if until is not None else None
    if start is not None and end is not None and end < start:
        raise click.BadParameter(
            _("{until!r} ({end}) is before --since {since!r} ({start})").format(
                until=until,
                end=f"{end:%Y-%m-%d %H:%M %Z}",
                since=since,
                start=f"{start:%Y-%m-%d %H:%M %Z}",
            ),
            param_hint="--until",
        )
    return ReadOptions(year=year, tz=tz, since=start, until=end)


def parse_when(
    text: str,
    tz: tzinfo | None,
    hint: str,
    *,
    end_of_day: bool = False,
    now: datetime | None = None,
) -> datetime:
    """``2026-02-23`` (a whole day: its start, or its end for --until), ``2026-02-23
    10:00``, ISO 8601 with a zone, or a time ago (``90m``, ``2h``, ``7d``, ``1w``). Times
    without a zone are in ``tz`` (default: this machine's)."""
    from mailwarden.config import parse_duration

    value = text.strip()
    if value and value[0].isdigit() and value[-1] in "smhdw" and "-" not in value:
        try:
            ago = parse_duration(value)
        except Exception:  # config's own error type is private; any failure is bad usage
            raise click.BadParameter(
                _("{value!r}: not a time or a duration").format(value=text), param_hint=hint
            ) from None
        return (now or datetime.now(UTC)) - ago
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            _("{value!r}: use 2026-02-23, 2026-02-23 10:00, ISO 8601, or 2h / 7d ago").format(
                value=text
            ),
            param_hint=hint,
        ) from None
    whole_day = len(value) == 10
    try:
        if end_of_day and whole_day:
            moment += timedelta(days=1, microseconds=-1)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
    except (OverflowError, ValueError, OSError):  # 0001-01-01 in a zone east of UTC, 9999-12-31
        raise click.BadParameter(
            _("{value!r}: out of the range of dates").format(value=text), param_hint=hint
        ) from None
    return moment


def _opened(paths: Sequence[str], unopened: Sequence[str]) -> tuple[str, ...]:
    """The inputs read: ``paths`` but the files of a rotated set that --until left
    unopened (``ReadStats.after_until``) and those that could not be read
    (``ReadStats.unread``: zstd)."""
    left = set(unopened)
    return tuple(path for path in paths if path not in left)


def say_not_logs(
    stats: ReadStats, recognised_in: Collection[str], named: Sequence[str], most: int = 8
) -> None:
    """A problem for each input whose first lines hold no log entry
    (``ReadStats.not_logs``) and that gave nothing recognised: "no attack found" is not
    to be said of a file that was never a mail log (UTF-16, a gzip inside a gzip, CR
    line ends), nor kept quiet beside inputs that were. Of the files found in a
    directory or by a pattern, only those of a rotated set another file of which gave
    something (mail.log.1.gz gzipped twice beside mail.log) are named, or the first
    ``most`` when nothing at all was recognised: /var/log/ holds wtmp and lastlog.
    (``explain`` says the same: :mod:`mailwarden.cli.explain`.)"""
    from mailwarden.sources.files import STDIN, named_paths, rotation_key

    given = named_paths(named)
    sets = {rotation_key(source)[0] for source in recognised_in}
    found = 0  # files found in a directory or by a pattern, named
    for source in stats.not_logs:
        if source in recognised_in:
            continue
        if source != STDIN and os.path.abspath(source) not in given:
            if rotation_key(source)[0] not in sets and (recognised_in or found == most):
                continue
            found += 1
        name = _("standard input") if source == STDIN else source
        stats.problem(
            _(
                "{path}: its first lines are not log entries (another format? UTF-16? "
                "compressed twice?): nothing in it was analysed"
            ).format(path=name)
        )


def _journal_without_mail(entries: int, options: ReadOptions, matches: Sequence[str]) -> str:
    """What to check when the journal gave no mail server's entry: ``entries`` of others
    (a --journal-match that selects the wrong ones, Postfix logging elsewhere), or none
    at all (a user who may not read it, too)."""
    window = _window(options) if options.windowed else ""
    if not entries:
        if window:
            message = _(
                "the journal gave no mail entry in {window}: is Postfix logging to it "
                "(journalctl -u 'postfix*'), and may this user read it (root, or the "
                "systemd-journal or adm group)?"
            )
        else:
            message = _(
                "the journal gave no mail entry: is Postfix logging to it (journalctl -u "
                "'postfix*'), and may this user read it (root, or the systemd-journal or adm "
                "group)?"
            )
        if matches:
            gap = "" if active_language() == "zh_CN" else " "
            message += gap + _("Does --journal-match select its entries?")
        return message.format(window=window)
    if matches:
        message = ngettext(
            "the journal gave {n} entry, none a mail server's: does --journal-match select "
            "Postfix's entries (journalctl -u 'postfix*' shows them)?",
            "the journal gave {n} entries, none a mail server's: does --journal-match "
            "select Postfix's entries (journalctl -u 'postfix*' shows them)?",
            entries,
        )
    else:
        message = ngettext(
            "the journal gave {n} entry, none a mail server's: is Postfix logging to it "
            "(journalctl -u 'postfix*')?",
            "the journal gave {n} entries, none a mail server's: is Postfix logging to it "
            "(journalctl -u 'postfix*')?",
            entries,
        )
    return message.format(n=f"{entries:,}")


def _window(options: ReadOptions) -> str:
    """``--since 2026-02-23 00:00 --until …`` as the range was understood."""
    parts = []
    if options.since is not None:
        parts.append(f"--since {options.since:%Y-%m-%d %H:%M %Z}".rstrip())
    if options.until is not None:
        parts.append(f"--until {options.until:%Y-%m-%d %H:%M %Z}".rstrip())
    return " ".join(parts)
