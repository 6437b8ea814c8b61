"""Does Postfix read the access map that ``backend = "postfix-map"`` writes?

mailwarden writes the map and reloads Postfix, but only Postfix's own configuration
makes it block anyone: a restriction list that names ``check_client_access
cidr:PATH``. Without one, every ban is written, Postfix is reloaded, and nobody is
blocked. `postfix_map_warnings` asks the real ``postconf`` (argument lists, never a
shell, as `mailwarden.audit` does) for:

    postconf -n -x    main.cf's parameters, ``$name`` expanded
    postconf -P -x    master.cf's ``-o`` parameters, expanded
    postconf -h smtpd_client_restrictions   its value as written, for the line to add
    postconf -M       master.cf's services: which run smtpd for clients of the network

and looks in every ``smtpd_*_restrictions`` and every restriction class
(``smtpd_restriction_classes``), in main.cf and in master.cf's ``-o`` overrides, for
``check_client_access`` followed by the map's path (compared after resolving symlinks)
as a ``cidr:`` table, which is what the map is. A map that Postfix checks only after
AUTH stops mail, not password guessing: it warns, for each smtpd service that offers
AUTH (with its own ``-o`` values), unless the map is in ``smtpd_client_restrictions`` or
``smtpd_helo_restrictions`` (or a class they name) with ``smtpd_delay_reject = no``,
before any ``permit`` there (which accepts the client: what follows is not read).
``postconf`` reads the directory that ``postfix reload`` (the map backend's reload)
reads: /etc/postfix, or ``$MAIL_CONFIG`` when it is set, as for every Postfix command.

It warns and never refuses: the right order is to start mailwarden first, which
creates the map, and only then name it in main.cf, since Postfix defers every client
while a table it names is missing. ``run --check`` prints the warnings and the daemon
logs them at its start.
"""

from __future__ import annotations

import itertools
import os
import re

_RESTRICTIONS = re.compile(r"smtpd_[a-z_]+_restrictions")
_SEPARATORS = re.compile(r"[\s,{}]+")
_WRITTEN_AS = "cidr"
"""The table type of the map: mailwarden writes a CIDR table (`enforce.postfix_map`)."""


def postfix_map_warnings(path: str) -> list[str]:
    """What `run --check` warns of when Postfix does not use the map at `path` (as a
    ``cidr:`` table, in a restriction list); [] when it does."""
    from mailwarden.audit.tools import ToolFailed, find_program, printable, run

    table = f"{_WRITTEN_AS}:{path}"
    postconf = find_program("postconf")
    if postconf is None:
        return [
            f"enforce.postfix_map: postconf is not installed: cannot ask Postfix whether it "
            f"uses {path}; make sure an smtpd_*_restrictions names check_client_access {table}"
        ]
    try:
        main_cf = _pairs(run([postconf, "-n", "-x"]).stdout)
        master_cf = _pairs(run([postconf, "-P", "-x"]).stdout)
        services = _smtpd_services(run([postconf, "-M"]).stdout)
        written = printable(run([postconf, "-h", "smtpd_client_restrictions"]).stdout.strip())
    except ToolFailed as exc:
        return [
            f"enforce.postfix_map: cannot ask Postfix whether it uses {path} ({exc}); make "
            f"sure an smtpd_*_restrictions names check_client_access {table}"
        ]
    classes = {
        name
        for parameter, value in [*main_cf, *master_cf]
        if parameter.rpartition("/")[2] == "smtpd_restriction_classes"
        for name in _SEPARATORS.split(value)
        if name
    }
    other_types: list[str] = []
    readers: list[str] = []  # the parameters that name the map as it is
    for parameter, value in [*main_cf, *master_cf]:
        name = parameter.rpartition("/")[2]
        if not (_RESTRICTIONS.fullmatch(name) or name in classes):
            continue
        for kind in _tables_named(value, path):
            if kind == _WRITTEN_AS:
                readers.append(parameter)
            else:
                other_types.append(f"{_where(parameter)} names {kind}:{path}")
    delay = dict(main_cf).get("smtpd_delay_reject", "yes").lower() != "no"
    if readers:
        return _before_auth(services, classes, main_cf, master_cf, path, table)
    if other_types:
        return [
            f"enforce.postfix_map: {'; '.join(other_types)}, but mailwarden writes a CIDR "
            f"table there: Postfix cannot read it so; write check_client_access {table} "
            "instead, then postfix reload"
        ]
    line = f"smtpd_client_restrictions = check_client_access {table}"
    if written:
        line += f", {written}"
    if delay:
        line += f" and {_NO_DELAY}"
    later = ""
    if not os.path.exists(path):
        later = (
            " (after the daemon's first start creates the file: Postfix defers every "
            "client while a table it names is missing)"
        )
    return [
        f"enforce.postfix_map: Postfix does not use {path}: no smtpd_*_restrictions in "
        f"main.cf or master.cf names check_client_access {table}, so the bans written "
        f"there block nobody; add to main.cf{later}: {line}; then postfix reload"
    ]


_EARLY = ("smtpd_client_restrictions", "smtpd_helo_restrictions")
"""The restriction lists Postfix checks before AUTH, at the connection and at EHLO, when
``smtpd_delay_reject = no``. With its default ``yes`` every list waits for RCPT TO:
a banned client is refused mail but may still try passwords with AUTH (Postfix 3.7,
tried: 535 for each wrong password, 235 for the right one, then 554 at RCPT TO)."""
_NO_DELAY = "smtpd_delay_reject = no"


def _before_auth(
    services: list[str],
    classes: set[str],
    main_cf: list[tuple[str, str]],
    master_cf: list[tuple[str, str]],
    path: str,
    table: str,
) -> list[str]:
    """[] when each smtpd service that offers AUTH checks the map before a banned
    client's AUTH: with its own values (main.cf's, and its master.cf ``-o``), the map is
    named in smtpd_client_restrictions or smtpd_helo_restrictions (or a restriction
    class one of those names) and smtpd_delay_reject is no; else the warning naming the
    services that do not, and what to change."""
    main = dict(main_cf)
    master = dict(master_cf)
    late: list[str] = []  # smtpd_delay_reject = yes: every list waits for RCPT TO
    unnamed: list[str] = []  # not in an early list of the service
    shadowed: list[str] = []  # named only after a `permit`, which ends the list
    for service in services:

        def value(name: str, default: str = "", service: str = service) -> str:
            return master.get(f"{service}/{name}", main.get(name, default))

        if value("smtpd_sasl_auth_enable", "no").lower() != "yes":
            continue  # no AUTH: nobody guesses passwords there
        early_lists = [value(name) for name in _EARLY]
        texts = [
            *early_lists,
            *(
                value(name)
                for name in classes
                if any(name in _SEPARATORS.split(v) for v in early_lists)
            ),
        ]
        named = [kind for text in texts for kind in _tables_named(_before_permit(text), path)]
        if _WRITTEN_AS not in named:
            if any(_WRITTEN_AS in _tables_named(text, path) for text in texts):
                shadowed.append(service)
            else:
                unnamed.append(service)
        if value("smtpd_delay_reject", "yes").lower() != "no":
            late.append(service)
    if not late and not unnamed and not shadowed:
        return []
    problems = []
    if shadowed:
        problems.append(
            f"{', '.join(shadowed)} name check_client_access {table} after permit, which "
            "accepts every client before Postfix reads the map: move it before permit "
            "(main.cf, and any -o smtpd_client_restrictions= of those services)"
        )
    if unnamed:
        problems.append(
            f"{', '.join(unnamed)} do not check it before AUTH: name check_client_access "
            f"{table} first in smtpd_client_restrictions (main.cf, and any -o "
            "smtpd_client_restrictions= of those services)"
        )
    if late:
        problems.append(
            f"{', '.join(late)} check their client restrictions only at RCPT TO, after "
            f"AUTH (smtpd_delay_reject = yes): set {_NO_DELAY} (main.cf, and any -o "
            "smtpd_delay_reject= of those services; restrictions that your users pass only "
            "by logging in belong in smtpd_recipient_restrictions then)"
        )
    return [
        f"enforce.postfix_map: a client banned in {table} can still guess passwords over "
        f"SMTP: {'; '.join(problems)}; then postfix reload"
    ]


def _before_permit(value: str) -> str:
    """The restriction list `value` up to its first ``permit``: what follows it is
    never read (Postfix stops at the first restriction that decides)."""
    words = [word for word in _SEPARATORS.split(value) if word]
    if "permit" in words:
        words = words[: words.index("permit")]
    return " ".join(words)


def _smtpd_services(text: str) -> list[str]:
    """``name/type`` of each smtpd service of ``postconf -M`` that takes clients from
    the network (inet, or passed on by postscreen): not one that listens on loopback
    only (``127.0.0.1:10025``, ``[::1]:10025``, ``localhost:10026``: a content filter's
    way back in)."""
    services = []
    for line in text.splitlines():
        fields = line.split()
        network = len(fields) >= 8 and fields[7] == "smtpd" and fields[1] in ("inet", "pass")
        if network and not _loopback_listener(fields[0]):
            services.append(f"{fields[0]}/{fields[1]}")
    return services


def _loopback_listener(name: str) -> bool:
    host, colon, _port = name.rpartition(":")
    if not colon:
        return False
    host = host.strip("[]")
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _pairs(text: str) -> list[tuple[str, str]]:
    """``name = value`` lines of postconf's output (``service/type/name`` for -P)."""
    pairs = []
    for line in text.splitlines():
        name, sep, value = line.partition(" =")
        if sep and name and not name[0].isspace():
            pairs.append((name.strip(), value.strip()))
    return pairs


def _tables_named(value: str, path: str) -> list[str]:
    """The types of the tables at `path` that ``check_client_access`` names in the
    restriction list `value` (``cidr``, or a wrong ``hash``)."""
    words = [word for word in _SEPARATORS.split(value) if word]
    wanted = os.path.realpath(path)
    kinds = []
    for word, table in itertools.pairwise(words):
        if word != "check_client_access":
            continue
        kind, colon, named = table.rpartition(":")
        if colon and named.startswith("/") and os.path.realpath(named) == wanted:
            kinds.append(kind)
    return kinds


def _where(parameter: str) -> str:
    """``main.cf's smtpd_client_restrictions``, or ``master.cf's -o
    smtpd_client_restrictions of submission/inet``."""
    service, _, name = parameter.rpartition("/")
    if not service:
        return f"main.cf's {name}"
    return f"master.cf's -o {name} of {service}"
