"""Read the effective Postfix configuration through the real `postconf`.

    postconf -c DIR -n     parameters written in main.cf
    postconf -c DIR        every parameter, defaults included (this machine's version)
    postconf -c DIR -F     master.cf entries, column by column
    postconf -c DIR -P     master.cf `-o` parameters
    postconf -d -h mail_version config_directory

`postconf` does not say on which line a parameter is written; the file parser supplies
line numbers (best effort) for the evidence. Its warnings about the directory (an entry
that overrides an earlier one, an unknown parameter) are kept, each once, for the
report's notes: every one of the runs above prints them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailwarden.audit.postfix_config import Service
from mailwarden.audit.postfix_files import VALUE_OPTIONS, is_option_word, parse_main_cf
from mailwarden.audit.tools import run


@dataclass(frozen=True)
class PostconfResult:
    explicit: dict[str, str]
    everything: dict[str, str]
    services: tuple[Service, ...]
    local_version: str
    local_config_directory: str
    warnings: tuple[str, ...] = ()  # what postconf warned about the directory, each once


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if not sep:
            name, sep, value = line.partition(" =")
        if sep and name and not name[0].isspace():
            pairs.append((name.strip(), value.strip()))
    return pairs


def _services(fields_text: str, params_text: str) -> tuple[Service, ...]:
    columns: dict[str, dict[str, str]] = {}
    for key, value in _pairs(fields_text):
        service_key, _, column = key.rpartition("/")
        columns.setdefault(service_key, {})[column] = value
    overrides: dict[str, dict[str, str]] = {}
    for key, value in _pairs(params_text):
        service_key, _, parameter = key.rpartition("/")
        overrides.setdefault(service_key, {})[parameter] = value
    services = []
    for service_key, entry in columns.items():
        command_words = entry.get("command", "").split()
        args = _plain_args(command_words[1:])
        services.append(
            Service(
                name=entry.get("service", service_key.rpartition("/")[0]),
                type=entry.get("type", service_key.rpartition("/")[2]),
                command=command_words[0] if command_words else "",
                args=tuple(args),
                overrides=overrides.get(service_key, {}),
                private=entry.get("private", "-"),
                unprivileged=entry.get("unprivileged", "-"),
                chroot=entry.get("chroot", "-"),
                wakeup=entry.get("wakeup", "-"),
                process_limit=entry.get("process_limit", "-"),
            )
        )
    return tuple(services)


def _plain_args(words: list[str]) -> list[str]:
    """Command arguments other than `-o name=value` (those come from `postconf -P`).
    Options end at the first non-option word, as Postfix's getopt ("+") ends them:
    what follows (pipe's `argv=... -oi`) is the program's and kept as written."""
    args: list[str] = []
    skip = False
    keep = False
    depth = 0
    for index, word in enumerate(words):
        if depth:
            depth += word.count("{") - word.count("}")
            continue
        if skip:
            skip = False
            depth = max(0, word.count("{") - word.count("}"))
            continue
        if keep:  # the value of `-s 2`, `-t unix`: no option, yet no end of options
            keep = False
            args.append(word)
            continue
        if not is_option_word(word):
            return args + words[index:]
        if word == "-o":
            skip = True
        elif not word.startswith("-o"):
            keep = len(word) == 2 and word[1] in VALUE_OPTIONS
            args.append(word)
    return args


def read_with_postconf(postconf: str, directory: Path) -> PostconfResult:
    """Run postconf against `directory` (which must hold main.cf and master.cf)."""
    base = [postconf, "-c", str(directory)]
    outputs = [run([*base, "-n"]), run(base), run([*base, "-F"]), run([*base, "-P"])]
    explicit, _ = parse_main_cf(outputs[0].stdout)
    everything, _ = parse_main_cf(outputs[1].stdout)
    services = _services(outputs[2].stdout, outputs[3].stdout)
    local = dict(_pairs(run([postconf, "-d", "mail_version", "config_directory"]).stdout))
    # `-c DIR` makes postconf report config_directory = DIR as if it were written.
    explicit.pop("config_directory", None)
    return PostconfResult(
        explicit=explicit,
        everything=everything,
        services=services,
        local_version=local.get("mail_version", ""),
        local_config_directory=local.get("config_directory", "/etc/postfix"),
        # Every run reads the whole directory and repeats the same warnings.
        warnings=tuple(dict.fromkeys(w for output in outputs for w in output.warnings())),
    )
