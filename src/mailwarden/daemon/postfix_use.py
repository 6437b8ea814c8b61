"""Does Postfix read the access map that ``backend = "postfix-map"`` writes?

mailwarden writes the map and reloads Postfix, but only Postfix's own configuration
makes it block anyone: a restriction list that names ``check_client_access
cidr:PATH``. Without one, every ban is written, Postfix is reloaded, and nobody is
blocked. `postfix_map_warnings` asks the real ``postconf`` (argument lists, never a
shell, as `mailwarden.audit` does) for:

    postconf -n -x    main.cf's parameters, ``$name`` expanded
    postconf -P -x    master.cf's ``-o`` parameters, expanded
    postconf -h smtpd_client_restrictions   its value as written, for the line to add

and looks in every ``smtpd_*_restrictions`` and every restriction class
(``smtpd_restriction_classes``), in main.cf and in master.cf's ``-o`` overrides, for
``check_client_access`` followed by the map's path (compared after resolving symlinks)
as a ``cidr:`` table, which is what the map is. ``postconf`` reads the directory that
``postfix reload`` (the map backend's reload) reads: /etc/postfix, or
``$MAIL_CONFIG`` when it is set, as for every Postfix command.

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
    for parameter, value in [*main_cf, *master_cf]:
        name = parameter.rpartition("/")[2]
        if not (_RESTRICTIONS.fullmatch(name) or name in classes):
            continue
        for kind in _tables_named(value, path):
            if kind == _WRITTEN_AS:
                return []
            other_types.append(f"{_where(parameter)} names {kind}:{path}")
    if other_types:
        return [
            f"enforce.postfix_map: {'; '.join(other_types)}, but mailwarden writes a CIDR "
            f"table there: Postfix cannot read it so; write check_client_access {table} "
            "instead, then postfix reload"
        ]
    line = f"smtpd_client_restrictions = check_client_access {table}"
    if written:
        line += f", {written}"
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
