"""The edits that Postfix findings recommend, built in one place so they agree.

Every value a fix writes comes from this module, as a function of the configuration
being audited, so two findings that touch one parameter write the same value:

- settings that belong to the MX port or to every service go to main.cf (`postconf -e`),
  unless the service already overrides them in master.cf (then `postconf -P`);
- settings that only client-submission services need (`SERVICE_SCOPED`) always go to
  that service as `-o` options, so port 25 keeps working for other mail servers;
- ciphers to exclude where TLS is required (587 with `encrypt`, 465) go to
  smtpd_tls_mandatory_exclude_ciphers, which opportunistic TLS does not read: port 25
  keeps the suites that are still better than no TLS between mail servers;
- AUTH moves off port 25: main.cf `smtpd_sasl_auth_enable=no`, `=yes` kept on every
  other service that relied on main.cf, and a `submission` service added when remote
  clients can reach neither 587 nor 465. A loopback-only listener (Debian's
  `127.0.0.1:submission` for a webmail) serves this machine only; a listener on all
  addresses cannot be bound beside it on the same port, so the new service then takes
  the other port (`submissions`, 465, implicit TLS, beside a loopback 587) and the
  loopback entry stays as it is. The new service is checked like an existing one and
  the edits that check asks for join its fix.

Fix values accept Postfix 2.6 and later (`!SSLv3` exclusions rather than the 3.6
`>=TLSv1.2` syntax), because the servers that need them most are old. `!TLSv1.1` is
written only for a Postfix that knows the name (2.10, and the last releases of 2.6 to
2.9): an older one takes a list naming it for invalid and turns TLS off. A parameter
that the audited version does not have (postfix_defaults.PARAMETER_SINCE) is never
written: Postfix 2.2 gets smtpd_enforce_tls or smtpd_use_tls for smtpd_tls_security_level,
and a finding that no setting of the version can fix has no command, only the advice of
what to do instead (upgrade). Commands never contain white space inside a value:
`postconf -P` refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from mailwarden.audit.interface import (
    AuditFinding,
    Change,
    MainSet,
    ServiceEntry,
    ServiceSet,
    ordered_changes,
)
from mailwarden.audit.postfix_config import PostfixConfig, Service, Version
from mailwarden.audit.postfix_defaults import (
    LEGACY_TLS_LEVEL,
    PARAMETER_SINCE,
    has_parameter,
    knows_tls11_names,
)
from mailwarden.audit.postfix_services import (
    PORT25,
    SUBMISSION,
    SUBMISSIONS,
    is_smtpd,
    no_plaintext_before_tls,
    offers_auth,
    public,
    role,
    sasl_options,
    smtpd_services,
)

EXCLUDED_CIPHERS = ("aNULL", "eNULL", "EXPORT", "LOW", "RC4", "MD5", "DES", "3DES")
OPPORTUNISTIC_PROTOCOLS = "!SSLv2,!SSLv3"
SUBMISSION_PROTOCOLS = "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"
AUTH_RATE_LIMIT = "10"  # AUTH commands per client and minute (anvil_rate_time_unit)
SERVICE_SCOPED = frozenset(
    {
        "smtpd_sasl_auth_enable",
        "smtpd_tls_security_level",
        "smtpd_enforce_tls",  # Postfix 2.2's smtpd_tls_security_level=encrypt
        "smtpd_use_tls",  # and =may
        "smtpd_tls_auth_only",
        "smtpd_tls_wrappermode",
    }
)
SUBMISSION_OPTIONS = (
    ("syslog_name", "postfix/submission"),
    ("smtpd_tls_security_level", "encrypt"),
    ("smtpd_sasl_auth_enable", "yes"),
    ("smtpd_tls_auth_only", "yes"),
    ("smtpd_reject_unlisted_recipient", "no"),
    ("smtpd_recipient_restrictions", "permit_sasl_authenticated,reject"),
    ("milter_macro_daemon_name", "ORIGINATING"),
)
SUBMISSIONS_OPTIONS = (  # 465: TLS from the first byte (RFC 8314), as in the stock master.cf
    ("smtpd_tls_wrappermode", "yes"),
    ("smtpd_sasl_auth_enable", "yes"),
    ("smtpd_reject_unlisted_recipient", "no"),
    ("smtpd_recipient_restrictions", "permit_sasl_authenticated,reject"),
    ("milter_macro_daemon_name", "ORIGINATING"),
)
SUBMISSION_PORTS = (587, 465)

ANVIL = "anvil/unix"

ROUNDS = 3
"""Rounds of re-checking a fix: a fix can bring up another check, and a completed fix
can itself need more; two rounds are the most seen."""

ServiceChecks = Callable[[PostfixConfig, Service], Iterable[AuditFinding]]


@dataclass(frozen=True)
class Missing:
    """An edit the audited Postfix cannot make: it has no `parameter` (it came in
    `since`). The finding then says so instead of printing a command that changes
    nothing."""

    parameter: str

    @property
    def since(self) -> Version:
        return PARAMETER_SINCE[self.parameter]


def set_for(service: Service | None, parameter: str, value: str) -> Change:
    """Where to write `parameter` so that `service` gets `value`."""
    if service is not None and (parameter in service.overrides or parameter in SERVICE_SCOPED):
        return ServiceSet(service.key, parameter, value)
    return MainSet(parameter, value)


def for_version(version: Version | None, parameter: str, value: str) -> tuple[str, str] | Missing:
    """`parameter=value` as the Postfix `version` can take it: Postfix 2.2 has
    smtpd_enforce_tls and smtpd_use_tls where 2.3 brought smtpd_tls_security_level;
    a parameter this version lacks otherwise (or both) is `Missing`."""
    if not has_parameter(version, parameter) and parameter == "smtpd_tls_security_level":
        legacy = LEGACY_TLS_LEVEL.get(value.lower())
        if legacy is not None:
            return (legacy, "yes") if has_parameter(version, legacy) else Missing(legacy)
    if not has_parameter(version, parameter):
        return Missing(parameter)
    return parameter, value


def setting(
    config: PostfixConfig, service: Service | None, parameter: str, value: str
) -> Change | Missing:
    """`set_for`, for the audited version (`for_version`)."""
    known = for_version(config.version, parameter, value)
    return known if isinstance(known, Missing) else set_for(service, *known)


def merged_list(current: str, wanted: Iterable[str]) -> str:
    """`current` (a Postfix list) with the missing `wanted` items added, comma-separated."""
    items = [item for item in current.replace(",", " ").split() if item]
    items += [item for item in wanted if item not in items]
    return ",".join(items)


def exclude_ciphers(config: PostfixConfig, service: Service, mandatory: bool) -> Change | Missing:
    """The exclusions for the cipher list that `service` uses. With TLS required
    (`mandatory`: 587 with `encrypt`, 465), smtpd adds smtpd_tls_mandatory_exclude_ciphers
    to smtpd_tls_exclude_ciphers: the suites go there (those the latter already excludes
    are not named again), and port 25's opportunistic TLS keeps them (between mail
    servers any TLS is better than none). `Missing` before Postfix 2.3, which brought
    both parameters."""
    if not mandatory:
        current = config.raw("smtpd_tls_exclude_ciphers", service) or ""
        excluded = merged_list(current, EXCLUDED_CIPHERS)
        return setting(config, service, "smtpd_tls_exclude_ciphers", excluded)
    parameter = "smtpd_tls_mandatory_exclude_ciphers"
    base = config.value("smtpd_tls_exclude_ciphers", service).replace(",", " ").split()
    current = config.raw(parameter, service) or ""
    excluded = merged_list(current, [c for c in EXCLUDED_CIPHERS if c not in base])
    return setting(config, service, parameter, excluded)


def cipher_grade(
    config: PostfixConfig, service: Service, parameter: str
) -> Change | Missing | None:
    """Raise an export/low/null grade to medium (the exclusions then do the rest).
    `Missing` where this Postfix has no such parameter (`smtpd_tls_ciphers` came in 2.6)."""
    if not has_parameter(config.version, parameter):
        return Missing(parameter)
    if config.value(parameter, service).lower() in ("export", "low", "null"):
        return set_for(service, parameter, "medium")
    return None


def plaintext_after_tls(config: PostfixConfig, service: Service) -> Change | Missing:
    """`smtpd_sasl_tls_security_options` (what smtpd offers after STARTTLS) as it is
    for `service`, without `noplaintext` (`noanonymous` if nothing else is left): PLAIN
    and LOGIN after TLS, where the password is encrypted. Written where the service
    gets its options: master.cf when it sets either list with `-o`, else main.cf."""
    words = sasl_options(config, service, "smtpd_sasl_tls_security_options")
    value = ",".join(w for w in dict.fromkeys(words) if w != "noplaintext") or "noanonymous"
    known = for_version(config.version, "smtpd_sasl_tls_security_options", value)
    if isinstance(known, Missing):
        return known
    if {"smtpd_sasl_security_options", "smtpd_sasl_tls_security_options"} & set(service.overrides):
        return ServiceSet(service.key, *known)
    return MainSet(*known)


def strict_protocols(config: PostfixConfig, service: Service, parameter: str) -> bool:
    """TLSv1 and TLSv1.1 are to be refused on 587/465 where users log in over TLS:
    mandatory TLS, or opportunistic TLS with AUTH only after STARTTLS
    (`smtpd_tls_auth_only = yes`) or with passwords only after it (`noplaintext` in
    `smtpd_sasl_security_options`), whose logins use the same TLS versions."""
    if role(config, service) not in (SUBMISSION, SUBMISSIONS):
        return False
    if parameter == "smtpd_tls_mandatory_protocols":
        return True
    return (
        parameter == "smtpd_tls_protocols"
        and offers_auth(config, service)
        and (
            config.flag("smtpd_tls_auth_only", service) or no_plaintext_before_tls(config, service)
        )
    )


def protocols(config: PostfixConfig, service: Service, parameter: str) -> Change | Missing:
    """The protocol list for `service`: no SSL anywhere, no TLSv1/TLSv1.1 for logins where
    this Postfix can name them (else naming them would turn TLS off). `Missing` where the
    parameter does not exist in this version (`smtpd_tls_protocols` came in 2.6,
    `smtpd_tls_mandatory_protocols` in 2.3): before 2.3, no setting limits the protocols,
    and the mandatory one is named (requiring TLS cannot help there either)."""
    if not has_parameter(config.version, "smtpd_tls_mandatory_protocols"):
        return Missing("smtpd_tls_mandatory_protocols")
    if not has_parameter(config.version, parameter):
        return Missing(parameter)
    if strict_protocols(config, service, parameter):
        strict = knows_tls11_names(config.version)
        value = SUBMISSION_PROTOCOLS if strict else OPPORTUNISTIC_PROTOCOLS
        return ServiceSet(service.key, parameter, value)
    return set_for(service, parameter, OPPORTUNISTIC_PROTOCOLS)


def sasl_security_options(
    config: PostfixConfig, service: Service, parameter: str
) -> Change | Missing:
    current = config.raw(parameter, service) or ""
    if current.strip().startswith("$"):
        current = config.value(parameter, service)
    return setting(config, service, parameter, merged_list(current, ["noanonymous"]))


def anvil_entry(config: PostfixConfig) -> Change:
    """The stock anvil(8) entry (one process: it is the one place that counts); chroot
    as smtp/inet has it, since the server's entries follow one convention."""
    model = config.service("smtp/inet")
    chroot = model.chroot if model is not None else "n"
    return ServiceEntry(ANVIL, ("anvil", "unix", "-", "-", chroot, "-", "1", "anvil"))


def list_items(raw: str) -> list[str]:
    """The items of a Postfix list as written, split at white space and commas outside
    `${...}` and `$(...)` (whose text may hold both)."""
    items, current, depth = [], "", 0
    for char in raw:
        if char in "{(":
            depth += 1
        elif char in "})" and depth:
            depth -= 1
        if depth == 0 and (char.isspace() or char == ","):
            if current:
                items.append(current)
            current = ""
            continue
        current += char
    if current:
        items.append(current)
    return items


DISABLE = "master_service_disable"


def enabling(config: PostfixConfig, services: Iterable[Service]) -> MainSet:
    """master_service_disable that no longer switches `services` off, rebuilt from its
    items as written: an item naming one of them is dropped; a `$name` whose expansion
    names one is written out without it (the others stay as they are, `$name` and
    all); where an item still switches one off (a type: `inet`, `unix`), `!name/type`
    goes first (the first item that matches decides)."""
    value = config.raw(DISABLE) or ""
    for service in services:
        key = config.service_key(service)
        kept: list[str] = []
        for written in list_items(value):
            expanded = [i for i in re.split(r"[,\s]+", config.expand(written)) if i]
            names = [config.disable_item(i).lower() for i in expanded]
            if key.lower() in names:
                kept += [i for i, n in zip(expanded, names, strict=True) if n != key.lower()]
            else:
                kept.append(written)
        value = ",".join(kept)
        config = config.apply([MainSet(DISABLE, value)])
        if config.disabled(service):
            value = ",".join([f"!{key}", *kept])
            config = config.apply([MainSet(DISABLE, value)])
    return MainSet(DISABLE, value)


class Planner:
    """Builds the edits; `service_checks` re-checks a service that a fix adds."""

    def __init__(self, config: PostfixConfig, service_checks: ServiceChecks) -> None:
        self.config = config
        self._service_checks = service_checks
        self._submission: tuple[Change, ...] | None = None
        self._unfixable: list[AuditFinding] = []

    def auth_off_port25(self) -> tuple[Change, ...]:
        config = self.config
        changes: list[Change] = []
        for service in smtpd_services(config):
            if role(config, service) != PORT25 or not offers_auth(config, service):
                continue
            if "smtpd_sasl_auth_enable" in service.overrides:
                changes.append(ServiceSet(service.key, "smtpd_sasl_auth_enable", "no"))
            elif MainSet("smtpd_sasl_auth_enable", "no") not in changes:
                changes.insert(0, MainSet("smtpd_sasl_auth_enable", "no"))
        if MainSet("smtpd_sasl_auth_enable", "no") in changes:
            for service in smtpd_services(config):
                if (
                    role(config, service) != PORT25
                    and "smtpd_sasl_auth_enable" not in service.overrides
                    and config.flag("smtpd_sasl_auth_enable", service)
                ):
                    changes.append(ServiceSet(service.key, "smtpd_sasl_auth_enable", "yes"))
        return ordered_changes([*changes, *self.ensure_submission()])

    def has_submission(self) -> bool:
        """Remote clients can reach a 587 or 465 service (a loopback-only one serves
        this machine only: a webmail, say)."""
        return any(
            role(self.config, s) in (SUBMISSION, SUBMISSIONS) and public(self.config, s)
            for s in smtpd_services(self.config)
        )

    def loopback_submission(self) -> list[Service]:
        """The loopback-only services on 587 or 465 (Debian's `127.0.0.1:submission`
        for a webmail): they hold their port, so no listener on all addresses can be
        added on it."""
        return [
            s
            for s in self.config.services
            if s.port in SUBMISSION_PORTS
            and not public(self.config, s)
            and not self.config.disabled(s)
        ]

    def new_submission_port(self) -> int | None:
        """587, else 465 when a loopback-only listener holds 587; None when both are
        held (binding all addresses on a port that 127.0.0.1 already holds fails)."""
        taken = {
            s.port
            for s in self.config.services
            if s.port is not None and not self.config.disabled(s)
        }
        return next((port for port in SUBMISSION_PORTS if port not in taken), None)

    def new_submission_name(self) -> str | None:
        """The master.cf name of the service a fix adds (None: it cannot add one)."""
        port = self.new_submission_port()
        if port == 587:
            return "submission"
        if port == 465:  # the stock master.cf's name: `smtps` before Postfix 3.7
            old = self.config.version is not None and self.config.version < (3, 7)
            return "smtps" if old else "submissions"
        return None

    def ensure_submission(self) -> tuple[Change, ...]:
        """Add a submission service (587, else 465) when remote clients can reach
        neither; nothing when both ports are held by loopback-only listeners."""
        if self._submission is None:
            self._submission = () if self.has_submission() else self._new_submission()
        return self._submission

    def _new_submission(self) -> tuple[Change, ...]:
        disabled = self.disabled_submission()
        if disabled is not None:
            return self._enable(disabled)
        name = self.new_submission_name()
        if name is None:
            return ()
        add = ServiceEntry(f"{name}/inet", (name, "inet", *self._smtpd_columns(), "smtpd"))
        options = SUBMISSION_OPTIONS if name == "submission" else SUBMISSIONS_OPTIONS
        changes: list[Change] = [add]
        if name != "submission":
            changes.append(ServiceSet(add.service, "syslog_name", f"postfix/{name}"))
        # Only the options this Postfix has (2.2's smtpd_enforce_tls for encrypt); what
        # the service then lacks is checked below like the rest.
        known = [for_version(self.config.version, option, value) for option, value in options]
        changes += [ServiceSet(add.service, *kv) for kv in known if not isinstance(kv, Missing)]
        # master_service_disable may name the added service (submission/inet, `inet`):
        # master(8) would skip it, leaving users no port to log in on.
        added = self.config.apply([add])
        new = added.service(add.service)
        if new is not None and added.disabled(new):
            changes.append(enabling(added, [new]))
        return self._checked(changes, add.service)

    def _checked(self, changes: list[Change], key: str) -> tuple[Change, ...]:
        """`changes`, which add or switch on the service `key`, with what the checks of
        that service then ask for."""
        for _ in range(ROUNDS):  # a fix can bring up another check; stop when none does
            simulated = self.config.apply(changes)
            service = simulated.service(key)
            assert service is not None
            findings = list(self._service_checks(simulated, replace(service, new=True)))
            added = [c for f in findings for c in f.fix if c not in changes]
            if not added:
                break
            changes += list(dict.fromkeys(added))
        self._unfixable = [f for f in findings if not f.fix]
        return ordered_changes(changes)

    def disabled_submission(self) -> Service | None:
        """A 587 (else 465) smtpd service for every address that master_service_disable
        switches off: master(8) skips it, so it serves nobody, but the fix switches it
        back on rather than adding another."""
        config = self.config
        found = [
            s
            for s in config.services
            if is_smtpd(s)
            and s.type == "inet"
            and role(config, s) in (SUBMISSION, SUBMISSIONS)
            and public(config, s)
            and config.disabled(s)
        ]
        found.sort(
            key=lambda s: SUBMISSION_PORTS.index(s.port) if s.port in SUBMISSION_PORTS else 2
        )
        return found[0] if found else None

    def _enable(self, service: Service) -> tuple[Change, ...]:
        """master_service_disable without what switches `service` off (`enabling`);
        the checks of the service then add what else it needs (anvil, when that is
        switched off too)."""
        return self._checked([enabling(self.config, [service])], service.key)

    def _smtpd_columns(self) -> tuple[str, str, str, str, str]:
        """private, unpriv, chroot, wakeup, maxproc of a new smtpd listener. Only the
        user and chroot columns follow smtp/inet (the chroot jail is set up or not for
        the whole server): an inet service cannot be private, smtpd needs no wakeup,
        and the process limit is the default one, not the `1` that postscreen requires
        on smtp/inet (copied, it would let one user at a time log in)."""
        model = self.config.service("smtp/inet")
        if model is None:
            return ("n", "-", "-", "-", "-")
        return ("n", model.unprivileged, model.chroot, "-", "-")

    def unfixable(self) -> list[AuditFinding]:
        """What the planned submission service will still have that no setting of this
        Postfix can change (the AUTH rate limit before 3.1, TLSv1 before the names
        TLSv1.1 and TLSv1.2 existed): reported now, so that applying the fix brings up
        nothing new."""
        return list(self._unfixable)
