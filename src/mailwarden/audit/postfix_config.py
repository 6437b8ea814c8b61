"""The Postfix configuration as the checks see it, whichever reader produced it.

`PostfixConfig.value(parameter, service)` is the effective, `$`-expanded value of a
parameter for one master.cf service: the service's `-o` override when it has one, else
main.cf, else the default of the Postfix version being audited. Overrides are visible to
the expansion of other parameters in that service, as in a running smtpd(8).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from mailwarden.audit.expand import REFUSED, expansion
from mailwarden.audit.interface import Change, Evidence, MainSet, Note, ServiceEntry, ServiceSet
from mailwarden.audit.numbers import config_int
from mailwarden.audit.tls import UNKNOWN_LIBRARY, Library

Version = tuple[int, ...]

# Well-known service names -> port (master.cf uses /etc/services names).
# With the aliases of Debian's /etc/services (netbase): "smtp 25/tcp mail",
# "submissions 465/tcp ssmtp smtps urd".
PORTS = {
    "smtp": 25,
    "mail": 25,
    "submission": 587,
    "submissions": 465,
    "ssmtp": 465,
    "smtps": 465,
    "urd": 465,
}


SLASHED_SERVICES: Version = (2, 11)
"""master_service_disable names `name/type` since Postfix 2.11 (`name.type` before)."""


def parse_version(text: str | None) -> Version | None:
    """'3.7.11' -> (3, 7, 11); '3.12-20260821' -> (3, 12); anything else (a part too
    long to be a number, say) -> None."""
    if not text:
        return None
    match = re.match(r"\s*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", text)
    if match is None:
        return None
    parts = [config_int(part) for part in match.groups() if part is not None]
    if None in parts:
        return None
    return tuple(part for part in parts if part is not None)


def format_version(version: Version | None) -> str | None:
    return None if version is None else ".".join(str(part) for part in version)


@dataclass(frozen=True)
class Service:
    """One master.cf entry."""

    name: str  # may carry a host: "127.0.0.1:submission"
    type: str  # inet, unix, pass, ...
    private: str = "-"
    unprivileged: str = "-"
    chroot: str = "-"
    wakeup: str = "-"
    process_limit: str = "-"
    command: str = ""
    args: tuple[str, ...] = ()  # arguments other than -o (e.g. "-v")
    overrides: Mapping[str, str] = field(default_factory=dict)  # -o name=value, raw
    line: int | None = None
    override_lines: Mapping[str, int] = field(default_factory=dict)
    new: bool = False  # added by a planned fix, not in master.cf yet

    @property
    def key(self) -> str:
        return f"{self.name}/{self.type}"

    @property
    def host(self) -> str | None:
        if ":" not in self.name:
            return None
        return self.name.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int | None:
        if self.type != "inet":
            return None
        bare = self.name.rsplit(":", 1)[-1]
        number = config_int(bare)
        return number if number is not None else PORTS.get(bare)

    @property
    def loopback(self) -> bool:
        host = self.host
        if host is None:
            return False
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def fields(self) -> tuple[str, ...]:
        return (
            self.name,
            self.type,
            self.private,
            self.unprivileged,
            self.chroot,
            self.wakeup,
            self.process_limit,
            self.command,
        )

    def stanza(self) -> str:
        """The entry as master.cf text, `-o` options on continuation lines."""
        head = "  ".join(self.fields())
        if self.args:
            head += " " + " ".join(self.args)
        lines = [head]
        for name, value in self.overrides.items():
            option = f"{name}={value}" if " " not in value else f"{{ {name} = {value} }}"
            lines.append(f"  -o {option}")
        return "\n".join(lines)


@dataclass(frozen=True)
class PostfixConfig:
    """main.cf and master.cf, read by `postconf` or by parsing the files."""

    directory: str
    explicit: Mapping[str, str]  # parameters written in main.cf, raw
    defaults: Mapping[str, str]  # built-in defaults of the audited version, raw
    services: tuple[Service, ...]
    version: Version | None
    # "option" (--postfix-version), "main.cf" (mail_version), "postconf" (this machine's
    # Postfix, auditing its own configuration directory), "assumed" (this machine's
    # Postfix, another directory), "unknown"
    version_source: str
    reader: str  # "postconf" or "files"
    main_lines: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    # True when `directory` is the one postconf and postfix use without `-c`; the
    # printed commands then need no `-c DIR`.
    default_directory: bool = False
    # The OpenSSL the server uses: --openssl-version, this machine's for its own
    # configuration directory, else unknown (a copied configuration).
    library: Library = UNKNOWN_LIBRARY
    # The parameters whose value, as the checks asked for it, Postfix would refuse
    # (expand.NESTING, expand.SYNTAX) or the audit expanded only in part
    # (expand.CUT_SHORT).
    expansion_problems: dict[str, str] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def main_cf(self) -> str:
        return f"{self.directory.rstrip('/')}/main.cf"

    @property
    def master_cf(self) -> str:
        return f"{self.directory.rstrip('/')}/master.cf"

    @cached_property
    def positions(self) -> Mapping[str, int]:
        """Where each master.cf entry is in `services`, by key (the first of a key
        that is there twice). Built once per configuration, so that looking a service
        up costs the same with 20 entries or 2,000."""
        positions: dict[str, int] = {}
        for number, service in enumerate(self.services):
            positions.setdefault(service.key, number)
        return positions

    @cached_property
    def postscreen_on_25(self) -> bool:
        """postscreen(8) listens on port 25 (the `smtpd pass` services are port 25)."""
        return any(
            s.command == "postscreen" and s.port == 25 and not self.disabled(s)
            for s in self.services
            if s.type == "inet"
        )

    @property
    def dotted_services(self) -> bool:
        """master_service_disable names services as `name.type` (Postfix 2.6 to 2.10)
        rather than `name/type` (2.11 and later)."""
        return self.version is not None and self.version < SLASHED_SERVICES

    @cached_property
    def disable_patterns(self) -> tuple[str, ...]:
        """The items of main.cf's master_service_disable (empty where this Postfix has
        no such parameter), as master(8) reads them: split at commas and white space;
        since 2.11 an item with no `/` but a `.` takes its last `.` for `/`."""
        if self.version is not None and self.version < (2, 6):  # came in 2.6
            return ()
        items = [i for i in re.split(r"[,\s]+", self.value("master_service_disable")) if i]
        return tuple(self.disable_item(i) for i in items)

    def disable_item(self, item: str) -> str:
        """An item of master_service_disable as master(8) reads it: since 2.11 an item
        with no `/` but a `.` takes its last `.` for `/`."""
        if self.dotted_services or "/" in item or "." not in item:
            return item
        return "/".join(item.rsplit(".", 1))

    def disabled(self, service: Service) -> bool:
        """master(8) skips `service`: the first item of master_service_disable that
        matches it (`name/type`, or a type alone: `inet`, `unix`, `fifo`, `pass`,
        `unix-dgram`; case-insensitive) disables it, unless that item starts with an
        odd number of `!`."""
        separator = "." if self.dotted_services else "/"
        name_type = f"{service.name}{separator}{service.type}".lower()
        for item in self.disable_patterns:
            pattern = item.lstrip("!")
            match = (len(item) - len(pattern)) % 2 == 0
            subject = name_type if separator in pattern else service.type.lower()
            if subject == pattern.lower():
                return match
        return False

    def service_key(self, service: Service) -> str:
        """`service` as master_service_disable names it (`name.type` before 2.11)."""
        return f"{service.name}.{service.type}" if self.dotted_services else service.key

    def service(self, key: str) -> Service | None:
        number = self.positions.get(key)
        return None if number is None else self.services[number]

    def raw(self, parameter: str, service: Service | None = None) -> str | None:
        if service is not None and parameter in service.overrides:
            return service.overrides[parameter]
        if parameter in self.explicit:
            return self.explicit[parameter]
        return self.defaults.get(parameter)

    def value(self, parameter: str, service: Service | None = None) -> str:
        """Effective value, expanded; '' when the parameter is unknown."""
        raw = self.raw(parameter, service)
        if raw is None:
            return ""
        text, problem = self._expansion(raw, service)
        if problem is not None and self.expansion_problems.get(parameter) not in REFUSED:
            self.expansion_problems[parameter] = problem
        return text

    def expand(self, text: str, service: Service | None = None) -> str:
        """`text` with its `$name` references expanded as `service` sees them."""
        return self._expansion(text, service)[0]

    def _expansion(self, text: str, service: Service | None) -> tuple[str, str | None]:
        special = {"service_name": service.name.rsplit(":", 1)[-1]} if service else {}

        def lookup(name: str) -> str | None:
            if name in special:
                return special[name]
            return self.raw(name, service)

        result = expansion(text, lookup)
        return result.text.strip(), result.problem

    def expansion_notes(self) -> tuple[Note, ...]:
        """A note for each parameter in `expansion_problems`, by name."""
        return tuple(
            Note(f"expansion_{problem}", {"parameter": parameter})
            for parameter, problem in sorted(self.expansion_problems.items())
        )

    def flag(self, parameter: str, service: Service | None = None) -> bool:
        """A yes/no parameter is on. Postfix takes only `yes` and `no`, in any case:
        another value (`true`, `1`, `on`, empty) stops the program that reads it
        ("bad boolean configuration"), which `refused_boolean` tells; it is not on."""
        return self.value(parameter, service).lower() == "yes"

    def refused_boolean(self, parameter: str, service: Service | None = None) -> str | None:
        """The value of the yes/no `parameter`, where Postfix refuses it: neither yes
        nor no once expanded (None when it is one of them, is not set, or cannot be
        expanded, which `expansion_notes` tells)."""
        raw = self.raw(parameter, service)
        if raw is None:
            return None
        text, problem = self._expansion(raw, service)
        if problem is not None or text.lower() in ("yes", "no"):
            return None
        return text

    def evidence(self, parameter: str, service: Service | None = None) -> Evidence:
        """Where the effective value of `parameter` for `service` comes from. The
        service is named only when master.cf overrides the parameter for it, so that
        evidence from main.cf is equal for every service that inherits it."""
        value = self.value(parameter, service)
        if service is not None and parameter in service.overrides:
            return Evidence(
                parameter,
                value,
                service.key,
                self.master_cf,
                service.override_lines.get(parameter, service.line),
            )
        if parameter in self.explicit:
            return Evidence(parameter, value, None, self.main_cf, self.main_lines.get(parameter))
        return Evidence(parameter, value, default=True)

    def apply(self, changes: Iterable[Change]) -> PostfixConfig:
        """The configuration after `changes` (what `postconf -e/-M/-P` would write).
        Costs the changes, not the size of master.cf: entries are found by key, the
        entries and their positions are copied only when a change needs it (a main.cf
        edit copies neither), and the result knows its positions and whether
        postscreen holds port 25 without reading master.cf again."""
        explicit = dict(self.explicit)
        services: list[Service] | None = None
        positions: dict[str, int] | None = None
        entries_changed = False
        for change in changes:
            if isinstance(change, MainSet):
                explicit[change.parameter] = change.value
                continue
            known = self.positions if positions is None else positions
            if isinstance(change, ServiceEntry):
                entries_changed = True
                entry = _entry(change)
                number = known.get(entry.key)
                services = list(self.services) if services is None else services
                if number is not None:
                    services[number] = entry
                else:
                    positions = dict(self.positions) if positions is None else positions
                    positions[entry.key] = len(services)
                    services.append(replace(entry, new=True))
            elif isinstance(change, ServiceSet) and change.service in known:
                number = known[change.service]
                services = list(self.services) if services is None else services
                service = services[number]
                overrides = dict(service.overrides)
                overrides[change.parameter] = change.value
                services[number] = replace(service, overrides=overrides)
        after = replace(
            self,
            explicit=explicit,
            services=self.services if services is None else tuple(services),
        )
        # the cached properties, known already
        after.__dict__["positions"] = self.positions if positions is None else positions
        disable_changed = "master_service_disable" in explicit and explicit.get(
            "master_service_disable"
        ) != self.explicit.get("master_service_disable")
        if not entries_changed and not disable_changed and "postscreen_on_25" in self.__dict__:
            after.__dict__["postscreen_on_25"] = self.postscreen_on_25
        return after


def _entry(change: ServiceEntry) -> Service:
    name, type_, private, unpriv, chroot, wakeup, limit, command = change.fields
    return Service(
        name=name,
        type=type_,
        private=private,
        unprivileged=unpriv,
        chroot=chroot,
        wakeup=wakeup,
        process_limit=limit,
        command=command,
        args=change.args,
        overrides=dict(change.options),
    )
