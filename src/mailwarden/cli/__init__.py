"""The `mailwarden` command: a thin layer that parses arguments, calls one function, prints.

Each subcommand lives in its own module here and is imported only when it is run, so
`mailwarden events` does not pay for the daemon's or the report's imports.

A reader that leaves early (`mailwarden events … | head -1`) ends every command the same
way, here and nowhere else: nothing more on standard error and exit status
:data:`READER_LEFT`. Standard output that cannot be written (a full disk, ``> /dev/full``,
closed with ``>&-``) ends it with one line on standard error and exit status 1
(:class:`StandardOutput`).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import io
import os
import select
import signal
import stat
import sys
from typing import IO, Any, NoReturn

import click

from mailwarden import __version__
from mailwarden.cli.language import TranslatedGroup, TranslatedOption, command_language, speaking
from mailwarden.errors import MailwardenError
from mailwarden.locale import N_, _, active_language, gettext

# name -> (module under mailwarden.cli, attribute, one-line help as a msgid)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "explain": ("explain", "explain", N_("Explain a log excerpt line by line, with a verdict.")),
    "events": ("events", "events", N_("Print the event stream (text or JSON lines).")),
    "analyze": (
        "analyze",
        "analyze",
        N_("Find every attack in a log archive; did anyone get in?"),
    ),
    "audit": (
        "audit",
        "audit",
        N_("Audit Postfix and Dovecot settings; print the exact fixes."),
    ),
    "run": ("run", "run", N_("Run the daemon: follow logs, ban attackers in the firewall.")),
    "ban": ("ops", "ban", N_("Ban an address or network now.")),
    "unban": ("ops", "unban", N_("Lift a ban.")),
    "status": ("ops", "status", N_("Show active bans, counts and source positions.")),
}


def _print_version(ctx: click.Context, _param: click.Parameter, wanted: bool) -> None:
    """``mailwarden --version``: in the language of the rest of the command line (click's
    own version option reads its message once, at import, before any language is
    chosen: it said English under a Chinese locale)."""
    if not wanted or ctx.resilient_parsing:
        return
    click.echo(_("{prog}, version {version}").format(prog="mailwarden", version=__version__))
    ctx.exit()


class LazyGroup(TranslatedGroup):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table, so `mailwarden --help` imports nothing heavy; in the
        # language of the help (the commands themselves may speak English only).
        rows = [(name, gettext(COMMANDS[name][2])) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(gettext(N_("Commands"))):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # Click would turn it into exit status 1 before main() sees it.
            reader_left()

    @staticmethod
    def _load(name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module_name, attr, _help = entry
        try:
            module = importlib.import_module(f"mailwarden.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mailwarden.cli.{module_name}":
                return None  # not built yet in this checkout
            raise
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=N_(
        "mailwarden defends a mail server against password guessing.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  grep 32451 /var/log/mail.log | mailwarden explain -   what do these lines mean?\n"
        "  mailwarden analyze /var/log/mail.log*           who attacked, did anyone get in?\n"
        "  mailwarden audit                                what to change in Postfix/Dovecot\n"
        "  mailwarden run --config /etc/mailwarden/mailwarden.toml   block attackers"
    ),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    cls=TranslatedOption,
    help=N_("Show the version and exit."),
)
def cli() -> None:
    """The group of the commands (its help: the ``help`` above, in the language of the
    locale; see :func:`mailwarden.cli.language.command_language`)."""


READER_LEFT = 128 + signal.SIGPIPE
"""Exit status when the reader of standard output closed the pipe before the command was
done: 141, what a shell shows for `zcat`, `grep` or `seq` piped into `head`, which
SIGPIPE ends. Not 0, which would be quieter under ``set -o pipefail``: a cut-off audit
would then read as "nothing of high severity" and a cut-off ``status`` would hide a
damaged store. The process exits (cleanup runs: a scan pool's workers are reaped)
rather than being killed by the signal."""


def reader_gone(stream: IO[str]) -> bool:
    """Whether ``stream`` is a pipe whose reader has closed it (the kernel reports POLLERR
    on a pipe's writing end once no reader is left). Checked when a command has ended,
    because a single large write that the reader leaves in the middle of can return
    without an error: Python's text layer drops the short count its buffer returns."""
    try:
        descriptor = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(descriptor).st_mode):
            return False
    except (AttributeError, OSError, ValueError):  # pytest's capture, a closed stream
        return False
    poller = select.poll()
    poller.register(descriptor, 0)  # POLLERR is reported whatever the mask
    return any(events & select.POLLERR for _, events in poller.poll(0))


def reader_left() -> NoReturn:
    """End the command because its reader left: what is still buffered for standard
    output (or for a standard error read by a reader that left too) goes to /dev/null,
    so the flush at exit cannot fail again and print "Exception ignored"."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        if stream is sys.stdout or reader_gone(stream):
            # Not a real file (pytest's capture): nothing to flush at exit.
            with contextlib.suppress(AttributeError, OSError, ValueError):
                os.dup2(devnull, stream.fileno())
    os.close(devnull)
    raise click.exceptions.Exit(READER_LEFT)


class OutputFailed(OSError):
    """Standard output could not be written (:class:`StandardOutput`): not a broken pipe,
    which :func:`reader_left` handles."""


class StandardOutput(io.RawIOBase):
    """Standard output's descriptor under the text layer :func:`main` puts in place of
    ``sys.stdout``: a write that fails (ENOSPC, EIO, EDQUOT; EBADF) raises
    :class:`OutputFailed`, which main() says in one line, where a command's own
    ``OSError`` (or rich's) would have been a traceback. ``fd`` None: standard output
    was closed when the command started (``>&-``; Python left ``sys.stdout`` None, and
    every command failed with an AttributeError). After a failure, what is still
    buffered goes nowhere: the flush at exit does not fail again. A broken pipe is
    raised as it is (:func:`reader_left`)."""

    def __init__(self, fd: int | None) -> None:
        super().__init__()
        self._fd = fd
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self._fd is None:
            raise io.UnsupportedOperation("standard output is closed")
        return self._fd

    def isatty(self) -> bool:
        return self._fd is not None and os.isatty(self._fd)

    def write(self, data: object) -> int | None:
        size = memoryview(data).nbytes  # type: ignore[arg-type]
        if self.failed or not size:  # click probes with an empty write: /dev/full fails it
            return size
        if self._fd is None:
            self.failed = True
            raise OutputFailed(errno.EBADF, "standard output is closed")
        try:
            return os.write(self._fd, data)  # type: ignore[arg-type]
        except (BrokenPipeError, BlockingIOError):
            raise
        except OSError as exc:
            self.failed = True
            raise OutputFailed(exc.errno, exc.strerror) from None


def _checked_stdout() -> None:
    """Put :class:`StandardOutput` under ``sys.stdout`` (the real one only: not a test's
    capture), keeping its encoding, errors and buffering."""
    current: Any = sys.stdout
    real: Any = sys.__stdout__
    if current is not real:
        return  # a test's capture
    fd: int | None = None
    encoding, errors, line_buffering, write_through = "utf-8", "backslashreplace", False, False
    buffered = True
    if current is not None:
        try:
            fd = current.fileno()
        except (AttributeError, OSError, ValueError):
            return
        if fd != 1:
            return
        current.flush()
        encoding, errors = current.encoding, current.errors
        line_buffering, write_through = current.line_buffering, current.write_through
        # Unbuffered (python -u, PYTHONUNBUFFERED): the text layer writes to the
        # descriptor at once, as before.
        buffered = isinstance(getattr(current, "buffer", None), io.BufferedWriter)
    raw = StandardOutput(fd)
    buffer: Any = io.BufferedWriter(raw) if buffered else raw
    sys.stdout = io.TextIOWrapper(
        buffer,
        encoding=encoding,
        errors=errors,
        line_buffering=line_buffering,
        write_through=write_through,
    )


def _output_failed(exc: OutputFailed) -> NoReturn:
    """One line for standard output that cannot be written; exit status 1."""
    from mailwarden.locale.system import os_reason

    if exc.errno == errno.EBADF:
        message = _("standard output is closed")
    else:
        message = _("standard output: {reason}").format(reason=os_reason(exc) or exc)
    click.echo(_("mailwarden: error: {message}").format(message=message), err=True)
    sys.exit(1)


def _show(exc: click.ClickException) -> None:
    """``exc.show()``; in Chinese without the space click puts between an unknown
    option's message and its "did you mean" (Chinese has none after its full stop)."""
    message = exc.message
    if active_language() != "en" and isinstance(exc, click.exceptions.NoSuchOption):
        said = exc.format_message()
        if said.startswith(message + " "):
            joined = message + said[len(message) + 1 :]
            exc.format_message = lambda: joined  # type: ignore[method-assign]
    exc.show()


def _refuse_stale_build() -> None:
    """In a source checkout whose compiled modules are older than the source (a ``git
    pull`` or an edit since ``make setup``), say so in one line and stop (exit 2): they
    would run the old code beside the new, or fail to import it with a traceback. An
    installed package is never stale (:func:`mailwarden.native.stale`: a few ms here)."""
    from mailwarden.native import stale

    old = stale()
    if old:
        click.echo(
            _(
                "mailwarden: error: the compiled modules are older than the source ({count} "
                "of them, e.g. {name}): run `make setup` to rebuild them "
                "(or `MAILWARDEN_PURE=1 make setup` for pure Python)"
            ).format(count=len(old), name=old[0]),
            err=True,
        )
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one clear line on stderr for every error we know, never a traceback
    for bad input. A command may return an int: that is the exit status."""
    _checked_stdout()
    for stream in (sys.stdout, sys.stderr):
        # Attacker text is escaped before it is printed, but a terminal or pipe whose
        # encoding is not UTF-8 (PYTHONIOENCODING=latin-1, LANG=C on old systems) cannot
        # take every character of a report (box drawing, Chinese): escape, never fail.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    # The language of the messages, errors in parsing the arguments included.
    with speaking(command_language(sys.argv[1:] if argv is None else argv)):
        _refuse_stale_build()
        try:
            try:
                status = cli.main(args=argv, prog_name="mailwarden", standalone_mode=False)
                sys.stdout.flush()  # here, where a reader that left is handled, not at exit
                if reader_gone(sys.stdout):
                    reader_left()
            except BrokenPipeError:
                reader_left()
            except SystemExit as exc:
                # rich's Console.on_broken_pipe ends the program itself, with status 1, from
                # inside its `except BrokenPipeError` (the recipe of Python's signal docs).
                if isinstance(exc.__context__, BrokenPipeError):
                    reader_left()
                raise
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except OutputFailed as exc:
            _output_failed(exc)
        except click.ClickException as exc:  # usage errors: exit 2
            _show(exc)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(_("mailwarden: aborted"), err=True)
            sys.exit(130)
        except MailwardenError as exc:
            click.echo(_("mailwarden: error: {message}").format(message=exc), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            sys.exit(130)
    if argv is None and sys.argv[1:2] in (["analyze"], ["events"]):
        # The process ends here (run as the command, not called with arguments): what
        # a one-shot reading command built (a detector's state over millions of lines,
        # no open resources) is left for the operating system, not walked by the
        # collector at exit (0.7 s after `analyze` on a million lines).
        gc.freeze()
    sys.exit(status if isinstance(status, int) else 0)
