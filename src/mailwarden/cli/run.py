"""`mailwarden run`: the daemon."""

from __future__ import annotations

import logging

import click

from mailwarden.daemon.preflight import (
    DEFAULT_CONFIG,
    check_store,
    enforce_warnings,
    journal_instead,
    load,
    policy_warnings,
    preflight,
    running_daemon,
    source_warnings,
    store_warnings,
    where,
)


@click.command()
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help=f"The configuration (default: {DEFAULT_CONFIG}, or the built-in defaults for a "
    "stock Debian Postfix + Dovecot when that file does not exist: they follow "
    "/var/log/mail.log, or the journal when that file does not exist).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Check the configuration and this host (programs, root, a log to read, the store "
    "as the daemon opens it, whether Postfix reads a postfix-map; creating and changing "
    "nothing), then exit.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debugging details too.")
def run(config_path: str | None, check: bool, verbose: bool) -> int:
    """Follow the mail logs, detect password guessing, ban attackers in the firewall.

    Every problem with the configuration or this host, a store the daemon must refuse
    included, stops the start with one line naming the file, the key and the reason
    (exit status 2); a store that is busy or cannot be reached exits 1 (systemd tries
    again), and so does a store another daemon runs with (with the same
    store.host_name, in a shared one): one line names it. So does a configuration
    none of whose followed files exists, the journal not followed (no rsyslog?): the
    line says what to set. Decisions are logged one line each on standard error (the
    journal under systemd). SIGHUP reloads the configuration; SIGTERM stops; bans stay
    in the firewall until they expire.

    \b
    Examples:
      mailwarden run --config /etc/mailwarden/mailwarden.toml
      mailwarden run --check --config /etc/mailwarden/mailwarden.toml
      systemctl reload mailwarden        (SIGHUP: read the configuration again)
    """
    config = load(config_path)
    preflight(config)
    if check:
        from mailwarden.daemon.wiring import check_enforcer, make_detector, make_enforcer

        check_enforcer(config, make_enforcer(config))
        make_detector(config)
        note = check_store(config)
        if note is None:
            note = running_daemon(config)
        for said in (journal_instead(config), note):
            if said is not None:
                click.echo(f"mailwarden: {said}")
        warnings = source_warnings(config) + store_warnings(config)
        for warning in warnings + enforce_warnings(config) + policy_warnings(config):
            click.echo(f"mailwarden: warning: {warning}", err=True)
        for path in _missing_files(config.sources.files):
            hint = ""
            if not config.sources.journal:
                hint = "; no rsyslog? set files = [] and journal = true"
            click.echo(
                f"mailwarden: warning: {path} does not exist (yet): nothing is read from it "
                f"until it appears{hint}",
                err=True,
            )
        click.echo(f"mailwarden: {where(config)}: ready to run")
        return 0
    from mailwarden.daemon.logs import setup_logging
    from mailwarden.daemon.loop import Daemon

    setup_logging(verbose)
    for warning in enforce_warnings(config) + policy_warnings(config):
        logging.getLogger("mailwarden.daemon").warning("%s", warning)
    return Daemon(config).run()


def _missing_files(paths: tuple[str, ...]) -> list[str]:
    import os

    return [path for path in paths if not os.path.exists(path)]
