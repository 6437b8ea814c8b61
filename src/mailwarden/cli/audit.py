"""`mailwarden audit`: what to change in Postfix and Dovecot, as commands to paste."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mailwarden.audit.lang import choose_language
from mailwarden.audit.numbers import shown
from mailwarden.audit.postfix_config import Version, parse_version
from mailwarden.audit.render import render_json, render_text
from mailwarden.audit.runner import (
    DEFAULT_DOVECOT_CONFIG,
    DEFAULT_POSTFIX_DIR,
    Target,
    known_selector,
    run_audit,
)
from mailwarden.audit.tls import Library
from mailwarden.cli.language import TranslatedCommand, option
from mailwarden.cli.options import existing_directory, existing_file, language
from mailwarden.locale import N_, _


def _version(ctx: click.Context, param: click.Parameter, value: str | None) -> Version | None:
    if value is None:
        return None
    version = parse_version(value)
    if version is None or not value.strip()[0].isdigit():
        raise click.BadParameter(
            _("{value!r} is not a version such as 2.6.6 or 3.7.11").format(value=shown(value))
        )
    return version


def _openssl(ctx: click.Context, param: click.Parameter, value: str | None) -> Library | None:
    if value is None:
        return None
    text = value.strip()
    version = parse_version(text)
    if version is None or len(version) < 3 or not text[0].isdigit() or " " in text:
        raise click.BadParameter(
            _("{value!r} is not a version such as 1.0.2k or 3.0.13").format(value=shown(value))
        )
    return Library(version, text, "option")


def _selectors(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for selector in value:
        if not known_selector(selector):
            message = _("{value!r} is not a check id, 'postfix', 'dovecot' or a topic")
            raise click.BadParameter(message.format(value=selector))
    return value


def _target(given: Path | None, default: Path, named: bool) -> Target | None:
    """A named configuration must be readable; with none named, both defaults are tried."""
    if given is not None:
        return Target(given, required=True)
    return None if named else Target(default, required=False)


@click.command(
    cls=TranslatedCommand,
    help=N_(
        "Audit Postfix and Dovecot settings that invite password guessing, write passwords "
        "into the log or weaken TLS, and print the exact commands that fix them.\n"
        "\n"
        "Without --postfix-dir or --dovecot-config, /etc/postfix and /etc/dovecot/dovecot.conf "
        "are audited when present; naming one audits only what is named."
    ),
    epilog=N_(
        """\b
Examples:
  mailwarden audit
      audit /etc/postfix and /etc/dovecot/dovecot.conf on this server
  mailwarden audit --postfix-dir /srv/copy/postfix --postfix-version 2.6.6
      audit a configuration copied from an old server
  mailwarden audit --postfix-dir /srv/copy/postfix --openssl-version 1.0.2k
      audit a copied configuration whose Postfix uses OpenSSL 1.0.2k
  mailwarden audit --format json --lang en > audit.json
  mailwarden audit --check credential_exposed
      only the settings that write passwords into the log, or may: TLS log
      levels, debug_peer_list, smtpd -v, Dovecot's password logging
  LANG=zh_CN.UTF-8 mailwarden audit        the same report in Chinese

\b
Exit status: 0 nothing of high severity, 3 at least one high-severity finding,
1 a configuration that cannot be read (or that postconf or doveconf refused: the
files were parsed instead and the audit is incomplete; or a master.cf entry that
Postfix refuses, left out), 2 bad usage (a --postfix-dir or --dovecot-config that
does not exist or is of the wrong kind, for one), 141 the
reader of the report left before its end (| head).
"""
    ),
)
@option(
    "--postfix-dir",
    type=click.Path(path_type=Path),
    callback=existing_directory,
    help=N_(
        "Postfix configuration directory (main.cf, master.cf). [default: /etc/postfix if present]"
    ),
)
@option(
    "--dovecot-config",
    type=click.Path(path_type=Path),
    callback=existing_file,
    help=N_("dovecot.conf to audit. [default: /etc/dovecot/dovecot.conf if present]"),
)
@option(
    "--postfix-version",
    callback=_version,
    help=N_(
        "Version of the Postfix that uses this configuration (default: mail_version in "
        "main.cf, else this machine's postconf)."
    ),
)
@option(
    "--openssl-version",
    "openssl",
    callback=_openssl,
    help=N_(
        "Version of the OpenSSL library that Postfix and Dovecot use, such as 1.0.2k: "
        "whether the MEDIUM cipher grade holds RC4 (before 1.1.0) depends on it (default: "
        "this machine's for its own configuration, else unknown)."
    ),
)
@option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@option(
    "--lang",
    metavar="[en|zh_CN]",
    callback=language,
    help=N_("Language of the explanations (default: LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."),
)
@option(
    "--check",
    "selectors",
    multiple=True,
    callback=_selectors,
    metavar="ID|postfix|dovecot|TOPIC",
    help=N_(
        "Only these checks (repeatable): an id such as postfix.soft_bounce, a source, or a "
        "topic such as credential_exposed, weak_tls, bruteforce."
    ),
)
@option(
    "--read-files",
    is_flag=True,
    help=N_("Parse the files directly instead of running postconf and doveconf."),
)
def audit(
    postfix_dir: Path | None,
    dovecot_config: Path | None,
    postfix_version: Version | None,
    openssl: Library | None,
    output_format: str,
    lang: str | None,
    selectors: tuple[str, ...],
    read_files: bool,
) -> int:
    """Audit Postfix and Dovecot settings and print the exact fixes (the help above, in
    the language of --lang or the locale)."""
    language = choose_language(lang, os.environ)
    named = postfix_dir is not None or dovecot_config is not None
    report = run_audit(
        _target(postfix_dir, DEFAULT_POSTFIX_DIR, named),
        _target(dovecot_config, DEFAULT_DOVECOT_CONFIG, named),
        postfix_version=postfix_version,
        openssl=openssl,
        use_tools=not read_files,
        selectors=selectors,
    )
    if output_format == "json":
        click.echo(render_json(report, language))
    else:
        render_text(report, language, sys.stdout)
    return report.exit_status
