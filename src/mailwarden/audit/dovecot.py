"""Dovecot checks: passwords in cleartext, passwords in the log, no brake on guessing.

Severities (any high finding makes `mailwarden audit` exit with status 3):

high
    dovecot.cleartext_auth        `disable_plaintext_auth = no` (2.3) or
                                  `auth_allow_cleartext = yes` (2.4): passwords may
                                  cross the network without TLS. Not where
                                  `ssl = required` applies (2.3 and 2.4): Dovecot then
                                  refuses every AUTH before TLS, whatever these say.
                                  The `ssl` of a section that lifts it there
                                  (`protocol pop3 { ssl = yes }`) is evidence too.
                                  The fix uses the name of the configuration's own
                                  version (2.4 has `dovecot_config_version`): the
                                  other one would stop Dovecot ("Unknown setting")
    dovecot.ssl_disabled          `ssl = no`. A fix that turns TLS on says when no
                                  certificate is set (`ssl_cert` in 2.3,
                                  `ssl_server_cert_file` in 2.4)
    dovecot.auth_verbose_passwords  `plain`, `yes`, `plain:N`, `yes:N` (Dovecot drops
                                  the N of `yes`): failed passwords (or their first N
                                  characters) in the log; `sha1`, or `sha1:N` with N
                                  over 8: an unsalted hash that gives them back; a
                                  value Dovecot refuses (`Plain`, `SHA1:6`, `sha256`,
                                  `sha1:0`, `sha1:x`, empty): as with
                                  dovecot.setting_other_version, Dovecot refuses the
                                  whole configuration, so it does not start, and a
                                  running one cannot reload
    dovecot.auth_debug_passwords  `yes`: every password in the debug log
    dovecot.login_trusted_networks  a network beyond loopback and private ranges
                                  (`0.0.0.0/0`, a public /24): Dovecot takes clients
                                  there for secured (cleartext passwords accepted
                                  whatever `ssl = required` says) and lets them name
                                  another client address, which mailwarden would ban.
                                  One address (the proxy's, this server's) is not
                                  reported; the fix keeps the loopback and private
                                  entries (loopback too where the range covered it)
    dovecot.setting_other_version  a setting under the name of the other Dovecot
                                  version (`auth_allow_cleartext` in a 2.3
                                  configuration, `disable_plaintext_auth` in 2.4),
                                  where dovecot.cleartext_auth does not report it
                                  (a safe value, or `ssl = required`): Dovecot
                                  refuses the whole configuration (Unknown setting),
                                  so it does not start, and a running one cannot
                                  reload (`doveadm reload` fails; it keeps what it
                                  loaded before, none of the report's other fixes).
                                  The fix writes the right name with the safe value
    dovecot.auth_setting_in_filter  an auth setting (auth_verbose_passwords,
                                  auth_mechanisms, auth_failure_delay, ...) inside a
                                  `local` or `remote` filter of a 2.3 configuration,
                                  whatever its value: Dovecot refuses the whole
                                  configuration ("Auth settings not supported inside
                                  local/remote blocks"), as above. The fix takes the
                                  line out (the value around the filter applies)
    dovecot.ssl_no_certificate    TLS on (`ssl = yes`, the default, or `required`)
                                  and no certificate or key set in any scope
                                  (`ssl_cert`/`ssl_key`, 2.4 `ssl_server_cert_file`/
                                  `ssl_server_key_file`, also as `ssl_server {
                                  cert_file key_file }`): doveconf accepts it, and every
                                  TLS handshake fails. Where `ssl = no` applies, named
                                  with the fix of dovecot.ssl_disabled. Also where they
                                  are set only inside sections, for the login protocols
                                  of `protocols` that none of them reaches. No edit to
                                  paste, but where an empty one in a section reaching
                                  a protocol (`protocol pop3 { ssl_cert = }`) takes
                                  the value around it away (variant `emptied`): the
                                  fix takes that line out
high or medium
    dovecot.ssl_old_protocols     SSLv3 allowed (high); TLSv1/TLSv1.1 (medium); an
                                  OpenSSL 1.1.0 or later has no SSLv3 (nor SSLv2):
                                  there `SSLv3` and `ANY` allow TLSv1 and TLSv1.1
    dovecot.weak_ciphers          RC4, export, DES or NULL asked for (high); anonymous
                                  suites, or RC4 through a grade with an OpenSSL
                                  before 1.1.0 (medium); judged for the library
                                  Dovecot uses (1.1.0 and later have no RC4, export
                                  or DES at all); with the library unknown, RC4
                                  through a grade alone is low
                                  Both also where `ssl = no` applies: they come into
                                  force with the fix of dovecot.ssl_disabled, and are
                                  named with it
medium
    dovecot.auth_failure_delay    `0`: no delay after a wrong password
    dovecot.auth_verbose_passwords  `sha1:N` with N up to 8 hex digits: shared by
                                  billions of passwords, it only confirms a guess from
                                  a list (Dovecot's documentation suggests `sha1:6`)
    dovecot.anonymous_mechanism   ANONYMOUS in `auth_mechanisms`

A setting is checked at the top level and inside every `protocol`, `local` and
`remote` section where it is written; not inside a `local` or `remote` filter on
loopback only (127.0.0.0/8, ::1), whose clients are on this machine: no password or
TLS session there crosses the network (as Postfix's loopback-only services).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from mailwarden.audit.dovecot_config import DovecotConfig, DovecotSetting, address_filtered
from mailwarden.audit.interface import AuditFinding, DovecotSet, Evidence, Severity, register
from mailwarden.audit.numbers import config_int
from mailwarden.audit.tls import (
    ANULL,
    SURE,
    WEAK,
    allowed_classes,
    allowed_protocols,
    on_library,
    without_ssl,
)

# credential_exposed is "passwords in the log" (the analysis's finding of that name):
# a password sent without TLS is exposed on the network, not written to the log.
CLEARTEXT_AUTH = register("dovecot.cleartext_auth", "cleartext_auth")
SSL_DISABLED = register("dovecot.ssl_disabled", "cleartext_auth", "weak_tls")
VERBOSE_PASSWORDS = register("dovecot.auth_verbose_passwords", "credential_exposed")
DEBUG_PASSWORDS = register("dovecot.auth_debug_passwords", "credential_exposed")
TRUSTED_NETWORKS = register(
    "dovecot.login_trusted_networks", "cleartext_auth", "bruteforce", "spray"
)
OLD_PROTOCOLS = register("dovecot.ssl_old_protocols", "weak_tls")
WEAK_CIPHERS = register("dovecot.weak_ciphers", "weak_tls")
OTHER_VERSION = register("dovecot.setting_other_version", "cleartext_auth")
AUTH_IN_FILTER = register(
    "dovecot.auth_setting_in_filter", "credential_exposed", "bruteforce", "spray"
)
FAILURE_DELAY = register("dovecot.auth_failure_delay", "bruteforce", "spray")
NO_CERTIFICATE = register("dovecot.ssl_no_certificate", "weak_tls", "cleartext_auth")
ANONYMOUS = register("dovecot.anonymous_mechanism", "bruteforce")

Check = Callable[[DovecotConfig], Iterable[AuditFinding]]
_CHECKS: list[Check] = []

SAFE_MIN_PROTOCOL = "TLSv1.2"


def check(function: Check) -> Check:
    _CHECKS.append(function)
    return function


def check_dovecot(config: DovecotConfig) -> list[AuditFinding]:
    found: list[AuditFinding] = []
    for function in _CHECKS:
        found.extend(function(config))
    return [_with_certificate_note(config, finding) for finding in found]


def _turns_tls_on(finding: AuditFinding) -> bool:
    return any(isinstance(c, DovecotSet) and c.setting == "ssl" for c in finding.fix)


def _with_certificate_note(config: DovecotConfig, finding: AuditFinding) -> AuditFinding:
    """A fix that turns TLS on needs a certificate; when none is set, the finding says
    so (Dovecot starts without one, and then fails every TLS handshake). Dovecot 2.4
    calls the setting `ssl_server_cert_file` (a path, without 2.3's `<`)."""
    version24 = _for_dovecot_24(config)
    name = "ssl_server_cert_file" if version24 else "ssl_cert"
    if not _turns_tls_on(finding) or config.value(name).strip():
        return finding
    missing = "missing_24" if version24 else "missing"
    return replace(finding, details={**finding.details, "certificate": missing})


def _evidence(setting: DovecotSetting) -> Evidence:
    return Evidence(
        setting.name,
        setting.value,
        file=setting.file,
        line=setting.line,
        section=setting.section or None,
    )


def _fix(config: DovecotConfig, setting: DovecotSetting, value: str) -> DovecotSet:
    return DovecotSet(
        setting.name,
        value,
        setting.file or config.path,
        setting.line,
        setting.text,
        setting.section or None,
        setting.end_line,
    )


def _finding(
    config: DovecotConfig,
    check_id: str,
    severity: Severity,
    setting: DovecotSetting,
    value: str,
    **details: str,
) -> AuditFinding:
    return AuditFinding(
        id=check_id,
        severity=severity,
        evidence=(_evidence(setting),),
        fix=(_fix(config, setting, value),),
        details=details,
        subject=setting.section or None,
    )


def _is_yes(value: str) -> bool:
    """Dovecot's boolean: ``yes``, ``y`` (any case) or ``1``; ``doveconf -n`` prints
    ``y`` for some defaults."""
    return value.strip().lower() in ("yes", "y", "true", "1", "on")


CLEARTEXT_SETTINGS = ("disable_plaintext_auth", "auth_allow_cleartext")


@check
def cleartext(config: DovecotConfig) -> Iterable[AuditFinding]:
    """The fix writes the setting under the name the configuration's Dovecot knows:
    a name of the other version (the 2.4 `auth_allow_cleartext` pasted from a howto
    into a 2.3 configuration) is unknown there, and Dovecot refuses the whole file."""
    found = []
    version24 = _for_dovecot_24(config)
    unsafe = [s for s in config.written("disable_plaintext_auth") if not _is_yes(s.value)]
    unsafe += [s for s in config.written("auth_allow_cleartext") if _is_yes(s.value)]
    for setting in unsafe:
        if _loopback_clients_only(setting.section):
            continue  # no password crosses the network (and Dovecot allows it there anyway)
        lifted = _tls_lifted(config, setting.section)
        if lifted is not None and not lifted:
            continue  # ssl = required applies wherever this setting does
        finding = _cleartext_finding(config, setting, version24)
        if lifted:  # the sections where another `ssl` lifts `ssl = required`
            evidence = (*finding.evidence, *(_evidence(s) for s in lifted))
            finding = replace(finding, evidence=evidence)
        found.append(finding)
    return [_with_tls(config, finding) for finding in found]


def _loopback_clients_only(section: str) -> bool:
    """`section` applies only to clients on this machine: inside a `remote` filter whose
    networks are all loopback (a webmail on localhost), or a `local` filter whose
    addresses are all loopback (only this machine reaches 127.0.0.1 or ::1). No
    password or TLS session there crosses the network, as with Postfix's loopback-only
    services; Dovecot itself takes such a connection for secured."""
    for part in section.split(" > "):
        kind, _, rest = part.partition(" ")
        if kind not in ("remote", "local"):
            continue
        items = [i.strip('"') for i in re.split(r"[\s,]+", rest) if i]
        networks = [_network(i) for i in items]
        if networks and all(
            n is not None and any(_within(n, loopback) for loopback in _LOOPBACK) for n in networks
        ):
            return True
    return False


def _beyond_loopback(settings: Iterable[DovecotSetting]) -> list[DovecotSetting]:
    """The settings that apply to clients elsewhere: not those inside a loopback-only
    `local` or `remote` filter (no TLS session there crosses the network)."""
    return [s for s in settings if not _loopback_clients_only(s.section)]


@check
def other_version_name(config: DovecotConfig) -> Iterable[AuditFinding]:
    """A cleartext setting under the other version's name (`auth_allow_cleartext = no`
    copied from a 2.4 howto into a 2.3 configuration), whatever its value: Dovecot
    refuses the whole configuration (Unknown setting), so it does not start, and a
    running one cannot reload. dovecot.cleartext_auth reports such a
    setting where it asks for cleartext passwords that Dovecot would otherwise accept;
    this check reports the others."""
    version24 = _for_dovecot_24(config)
    written = "disable_plaintext_auth" if version24 else "auth_allow_cleartext"
    name = "auth_allow_cleartext" if version24 else "disable_plaintext_auth"
    found = []
    for setting in config.written(written):
        unsafe = _is_yes(setting.value) != (written == "disable_plaintext_auth")
        if (
            unsafe
            and not _tls_required(config, setting.section)
            and not _loopback_clients_only(setting.section)
        ):
            continue  # dovecot.cleartext_auth, with this same fix
        value = SAFE_CLEARTEXT[name]
        fix = replace(_fix(config, setting, value), setting=name)
        details = {
            "variant": "in_24" if version24 else "in_23",
            "written": setting.name,
            "old": setting.value.strip(),
            "name": name,
            "safe": value,
        }
        finding = _finding(config, OTHER_VERSION.id, Severity.HIGH, setting, value, **details)
        found.append(replace(finding, fix=(fix,)))
    return found


def _for_dovecot_24(config: DovecotConfig) -> bool:
    """Dovecot 2.4 requires `dovecot_config_version` at the top of its configuration
    (and `doveconf -n` prints it); a configuration without it is for 2.3 or older."""
    return bool(config.written("dovecot_config_version"))


SAFE_CLEARTEXT = {"disable_plaintext_auth": "yes", "auth_allow_cleartext": "no"}


def _cleartext_finding(
    config: DovecotConfig, setting: DovecotSetting, version24: bool
) -> AuditFinding:
    name = "auth_allow_cleartext" if version24 else "disable_plaintext_auth"
    finding = _finding(config, CLEARTEXT_AUTH.id, Severity.HIGH, setting, SAFE_CLEARTEXT[name])
    if name == setting.name:
        return finding
    fix = replace(_fix(config, setting, SAFE_CLEARTEXT[name]), setting=name)
    variant = "renamed_24" if version24 else "renamed_23"
    details = {"variant": variant, "written": setting.name, "name": name}
    return replace(finding, fix=(fix,), details=details)


def _ssl_in(config: DovecotConfig, section: str) -> str:
    """The `ssl` value that applies in `section`: its own, else that of the scope
    around it, else the top level (or the default)."""
    written = config.scopes("ssl")
    scope = section
    while scope:
        if scope in written:
            return written[scope].value.strip().lower()
        scope = scope.rpartition(" > ")[0]
    return config.value("ssl").strip().lower()


def _tls_required(config: DovecotConfig, section: str) -> bool:
    """`ssl = required` applies in `section` and in every filter section inside it that
    takes its cleartext setting from it: Dovecot then refuses every authentication
    before TLS (LOGINDISABLED, "Plaintext authentication disallowed"), so allowing
    cleartext passwords changes nothing. A section inside with another `ssl` and no
    cleartext setting of its own still accepts them."""
    return _tls_lifted(config, section) == []


def _tls_lifted(config: DovecotConfig, section: str) -> list[DovecotSetting] | None:
    """None when `ssl = required` does not apply in `section`; else the `ssl` settings
    of the filter sections inside it that lift the requirement there while taking
    their cleartext setting from `section` (`protocol pop3 { ssl = yes }`): the
    evidence of a cleartext finding, beside the setting itself."""
    if _ssl_in(config, section) != "required":
        return None
    own = [config.scopes(name) for name in CLEARTEXT_SETTINGS]
    written = config.scopes("ssl")
    return [
        written[scope]
        for scope in config.inside("ssl", section)
        if _ssl_in(config, scope) != "required"
        and _enclosing(scope, own) == section
        and not _loopback_clients_only(scope)
    ]


def _enclosing(scope: str, candidates: Iterable[Mapping[str, object]]) -> str:
    """The innermost scope of any of `candidates` that is `scope` or encloses it ("" at
    the top)."""
    while scope and not any(scope in scopes for scopes in candidates):
        scope = scope.rpartition(" > ")[0]
    return scope


def _with_tls(config: DovecotConfig, finding: AuditFinding) -> AuditFinding:
    """Refusing passwords without TLS locks every remote user out while `ssl = no`: the
    fix turns TLS on as well (the edit of dovecot.ssl_disabled), in the same scope and at
    the top level."""
    written, rank = config.scopes("ssl"), config.rank("ssl")
    scopes = sorted({"", finding.subject or ""} & written.keys(), key=lambda s: rank[s])
    enable = [
        _fix(config, written[scope], "yes")
        for scope in scopes
        if written[scope].value.strip().lower() == "no"
    ]
    return replace(finding, fix=(*enable, *finding.fix)) if enable else finding


@check
def auth_setting_in_filter(config: DovecotConfig) -> Iterable[AuditFinding]:
    """An auth setting (auth_verbose_passwords, auth_mechanisms, ...) inside a `local`
    or `remote` filter: Dovecot 2.3 refuses the whole configuration ("Auth settings
    not supported inside local/remote blocks"), whatever the value. The fix takes the
    line out; the value of the scope around it applies there instead, and the checks
    judge that one."""
    found = []
    for setting in config.refused_in_filters():
        fix = replace(_fix(config, setting, ""), remove=True)
        finding = _finding(config, AUTH_IN_FILTER.id, Severity.HIGH, setting, "", name=setting.name)
        found.append(replace(finding, fix=(fix,)))
    return found


@check
def ssl_disabled(config: DovecotConfig) -> Iterable[AuditFinding]:
    """The explanation names the certificate settings of the configuration's version."""
    details = {"variant": "in_24"} if _for_dovecot_24(config) else {}
    return [
        _finding(config, SSL_DISABLED.id, Severity.HIGH, setting, "yes", **details)
        for setting in config.written("ssl")
        if setting.value.strip().lower() == "no" and not _loopback_clients_only(setting.section)
    ]


CERTIFICATE_SETTINGS = {
    False: ("ssl_cert", "ssl_key"),
    True: ("ssl_server_cert_file", "ssl_server_key_file"),
}
"""The server certificate and key of Dovecot 2.3 (False) and 2.4 (True)."""


@check
def no_certificate(config: DovecotConfig) -> Iterable[AuditFinding]:
    """TLS is on (`ssl = yes`, the default, or `required`) but the certificate or its
    key is set nowhere. doveconf 2.3.19 accepts this (older versions refused it: "ssl
    enabled, but ssl_cert not set") and Dovecot starts and announces STARTTLS, but
    every TLS handshake fails ("Failed to initialize SSL server context: Can't load SSL
    certificate (ssl_cert setting): The certificate is empty"): remote users cannot log
    in, or, where cleartext authentication is allowed, send their passwords without
    TLS. Where `ssl = no` applies everywhere, it is reported with the fix of
    dovecot.ssl_disabled, which brings it up. There is no edit to paste: the paths are
    the administrator's.

    Set only inside sections, a certificate reaches only the connections they match:
    a login protocol that `protocols` names and that no `protocol` section with the
    certificate (nor the top level) reaches has none, and its TLS handshakes fail the
    same way (tried with Dovecot 2.3.19: a certificate in `local 127.0.0.1 { }` only,
    STARTTLS on 127.0.0.2 logs "The certificate is empty"; one in `protocol imap { }`
    serves imap). A `local` or `remote` section that is not loopback only counts for
    the protocols it reaches: the audit does not know which addresses clients use."""
    version24 = _for_dovecot_24(config)
    names = CERTIFICATE_SETTINGS[version24]
    unset = [n for n in names if not _is_set(config, n)]
    if not _logins_from_elsewhere(config):
        return []
    if not unset:
        return _protocols_without_certificate(config, names, version24)
    written = _beyond_loopback(config.written("ssl"))
    turned_on = [s for s in written if s.section and s.value.strip().lower() != "no"]
    top = config.scopes("ssl").get("")
    details: dict[str, str] = {}
    if config.value("ssl").strip().lower() == "no" and not turned_on:
        switched_off = [s for s in written if s.value.strip().lower() == "no"]
        if not switched_off:
            return []  # TLS off everywhere, and dovecot.ssl_disabled reports nothing
        details["after_fix"] = SSL_DISABLED.id
    ssl = _evidence(top) if top is not None else Evidence("ssl", "yes", default=True)
    evidence = [ssl, *(_evidence(s) for s in turned_on)]
    for name in unset:
        own = config.scopes(name).get("")
        evidence.append(_evidence(own) if own is not None else Evidence(name, "", default=True))
    place = config.scopes(names[0]).get("") or top
    details.update(
        unset=", ".join(unset),
        file=(place.file if place is not None else None) or config.path,
        no_fix="24" if version24 else "23",
    )
    if version24:
        details["variant"] = "in_24"
    finding = AuditFinding(
        id=NO_CERTIFICATE.id, severity=Severity.HIGH, evidence=tuple(evidence), details=details
    )
    return [finding]


LOGIN_PROTOCOLS = frozenset({"imap", "pop3", "submission", "sieve", "managesieve"})
"""The protocols whose users log in over TLS (lmtp is the MTA's, on a local socket)."""


def _protocols_without_certificate(
    config: DovecotConfig, names: tuple[str, str], version24: bool
) -> list[AuditFinding]:
    """dovecot.ssl_no_certificate for the login protocols that `protocols` names, with
    TLS on, that the certificate or key set only inside sections does not reach."""
    lacking: dict[str, list[str]] = {}
    for protocol in _served_logins(config):
        for name in names:
            if not _reaches_protocol(config, name, protocol):
                lacking.setdefault(protocol, []).append(name)
    tls_on = {p: m for p, m in lacking.items() if _ssl_in(config, f"protocol {p}") != "no"}
    details = {"after_fix": SSL_DISABLED.id} if lacking and not tls_on else {}
    lacking = tls_on or lacking  # TLS off for all: once the fix of ssl_disabled is in
    if not lacking:
        return []
    emptied = _emptied(config, lacking)
    found = []
    if emptied:
        found.append(_emptied_finding(config, names, lacking, emptied, details, version24))
        lacking = {p: m for p, m in lacking.items() if p not in emptied}
    if not lacking:
        return found
    unset = [n for n in names if any(n in missing for missing in lacking.values())]
    top = config.scopes("ssl").get("")
    evidence = [_evidence(top) if top is not None else Evidence("ssl", "yes", default=True)]
    evidence += [_evidence(s) for name in names for s in config.written(name)]
    place = top or next(iter(config.written(names[0])), None)
    details |= {
        "variant": "protocols",
        "protocols": ", ".join(lacking),
        "unset": ", ".join(unset),
        "file": (place.file if place is not None else None) or config.path,
        "no_fix": "24" if version24 else "23",
    }
    finding = AuditFinding(
        id=NO_CERTIFICATE.id, severity=Severity.HIGH, evidence=tuple(evidence), details=details
    )
    return [*found, finding]


def _emptied(
    config: DovecotConfig, lacking: Mapping[str, list[str]]
) -> dict[str, list[DovecotSetting]]:
    """The protocols of `lacking` that have no certificate only because a section
    reaching them sets it to nothing (`protocol pop3 { ssl_cert = }`, which replaces
    the top-level value there): taking those empty settings out gives each of them its
    certificate back. For each, those settings."""
    emptied: dict[str, list[DovecotSetting]] = {}
    for protocol, missing in lacking.items():
        empty = [
            setting
            for name in missing
            for scope, setting in config.scopes(name).items()
            if scope
            and not address_filtered(scope)
            and _protocol_matches(scope, protocol)
            and not _has_value(setting)
        ]
        if not empty:
            continue
        without = config.apply(replace(_fix(config, s, ""), remove=True) for s in empty)
        if all(_reaches_protocol(without, name, protocol) for name in missing):
            emptied[protocol] = empty
    return emptied


def _emptied_finding(
    config: DovecotConfig,
    names: tuple[str, str],
    lacking: Mapping[str, list[str]],
    emptied: Mapping[str, list[DovecotSetting]],
    details: Mapping[str, str],
    version24: bool,
) -> AuditFinding:
    """dovecot.ssl_no_certificate for the protocols whose certificate an empty setting
    in a section takes away (variant `emptied`): the fix takes those lines out, and the
    value around the section (the top-level one) applies there again."""
    settings = list({id(s): s for found in emptied.values() for s in found}.values())
    unset = [n for n in names if any(n in lacking[p] for p in emptied)]
    top = config.scopes("ssl").get("")
    evidence = [_evidence(top) if top is not None else Evidence("ssl", "yes", default=True)]
    evidence += [_evidence(s) for name in unset for s in config.written(name)]
    located = all(s.line is not None for s in settings)
    fix = tuple(replace(_fix(config, s, ""), remove=True) for s in settings) if located else ()
    where = [
        f"{s.section} ({s.file}:{s.line})" if s.file and s.line else s.section for s in settings
    ]
    return AuditFinding(
        id=NO_CERTIFICATE.id,
        severity=Severity.HIGH,
        evidence=tuple(evidence),
        fix=fix,
        details={
            **details,
            "variant": "emptied",
            "protocols": ", ".join(emptied),
            "unset": ", ".join(unset),
            "sections": ", ".join(dict.fromkeys(where)),
            "file": settings[0].file or config.path,
            "no_fix": "emptied",
        },
    )


def _served_logins(config: DovecotConfig) -> list[str]:
    """The login protocols of `protocols` (`_protocols`); none when it is unknown."""
    value = _protocols(config) or ""
    items = (item.strip('"').lower() for item in value.split())
    return [item for item in dict.fromkeys(items) if item in LOGIN_PROTOCOLS]


def _protocols(config: DovecotConfig) -> str | None:
    """The top-level `protocols` (doveconf prints it expanded, the files reader expands
    `$protocols`), else the build's default as the reader found it (doveconf's `-h
    protocols`; for the files, Debian's empty one where its protocols.d include was
    read, else Dovecot's own `imap pop3 lmtp`, with a note), with what 2.4's boolean
    list form adds to it or takes out (`protocols { submission = yes  pop3 = no }`);
    None when the reader gave none."""
    written = config.scopes("protocols").get("")
    if written is not None:
        return written.value
    default = config.defaults.get("protocols")
    listed = [s for s in config.settings if s.section == "protocols"]
    if not listed:
        return default
    items = dict.fromkeys(default.split() if default is not None else [])
    for setting in listed:
        if _is_yes(setting.value):
            items[setting.name] = None
        else:
            items.pop(setting.name, None)
    return " ".join(items)


def _protocol_matches(scope: str, protocol: str) -> bool:
    """Every `protocol` filter in `scope` matches `protocol` (`protocol imap`, or
    `protocol !pop3` for any other than pop3)."""
    for part in scope.split(" > "):
        kind, _, name = part.partition(" ")
        if kind != "protocol":
            continue
        name = name.strip().strip('"').lower()
        if name.startswith("!") and name[1:] == protocol:
            return False
        if not name.startswith("!") and name != protocol:
            return False
    return True


def _reaches_protocol(config: DovecotConfig, name: str, protocol: str) -> bool:
    """`name` has a value for the connections of `protocol`: the one of its `protocol`
    section (an empty one there takes the top-level value away), else the top-level
    one; else one in a `local` or `remote` section reaching `protocol`, not on loopback
    only (which addresses clients connect to is not in the configuration)."""
    scopes = config.scopes(name)
    everywhere = [
        scope
        for scope in scopes
        if not address_filtered(scope) and _protocol_matches(scope, protocol)
    ]
    inner = [scope for scope in everywhere if scope]
    if any(_has_value(scopes[scope]) for scope in inner or everywhere):
        return True
    return any(
        _has_value(setting)
        for scope, setting in scopes.items()
        if address_filtered(scope)
        and _protocol_matches(scope, protocol)
        and not _loopback_clients_only(scope)
    )


def _has_value(setting: DovecotSetting) -> bool:
    """Set to something (a value `doveconf -n` hides, such as ssl_key's, is read as
    its note, not as empty)."""
    return bool(setting.value.strip())


def _logins_from_elsewhere(config: DovecotConfig) -> bool:
    """Users can reach a login of this Dovecot from another machine: `protocols` names
    one users log in with, and `listen` is not loopback only. False for a Dovecot that
    serves only Postfix's SASL (`protocols =` empty, or lmtp alone: no TLS listener) or
    a webmail on the same host (`listen = 127.0.0.1, ::1`). `protocols` not written is
    the build's default (`_protocols`): empty on Debian and Ubuntu, `imap pop3 lmtp` in
    Dovecot's own sources (RHEL, Fedora, ...); unknown, it counts as serving logins."""
    value = _protocols(config)
    if value is None and config.reader == "doveconf":
        value = ""  # a reader that asked nothing more: doveconf printed no protocols
    if value is not None:
        items = {item.strip('"').lower() for item in value.split()}
        if not any(item in LOGIN_PROTOCOLS or item.startswith("$") for item in items):
            return False
    listen = config.scopes("listen").get("")
    if listen is not None:
        addresses = [i.strip('"') for i in re.split(r"[\s,]+", listen.value) if i]
        if addresses and all(a in ("localhost", "127.0.0.1", "::1") for a in addresses):
            return False
    return True


def _is_set(config: DovecotConfig, name: str) -> bool:
    """`name` has a value in some scope. `doveconf -n` prints only the settings that
    differ from their default (empty for these), and hides the value of some, such as
    ssl_key (`ssl_key = # hidden, use -P to show it`, read as empty): what it prints is
    set."""
    written = config.written(name)
    if config.reader == "doveconf":
        return bool(written)
    return any(s.value.strip() for s in written)


SHA1_HEX = 40
"""Hex digits of a SHA1 hash: a truncation to as many or more logs the whole hash."""
SHA1_GUESS_ONLY = 8
"""A SHA1 cut to at most this many hex digits (32 bits) is shared by billions of
passwords: it cannot give an unknown password back, only confirm a guess from a list.
Longer, it singles the password out among all short ones (a brute force finds it)."""
_UINT_MAX = 2**32 - 1


def verbose_passwords(value: str) -> tuple[str, int | None] | None:
    """`auth_verbose_passwords` as Dovecot's auth_verify_verbose_password() reads it:
    (`no`, `plain` or `sha1`, the truncation or None); None for a value Dovecot refuses
    (an unknown word, in any other case, or an empty value; a truncation that is not a
    number from 1 to 4294967295). `yes` is `plain`, and Dovecot drops its truncation."""
    word, colon, number = value.strip().partition(":")
    cut = None
    if colon:
        cut = config_int(number)
        if cut is None or not 0 < cut <= _UINT_MAX:
            return None
    if word == "yes":
        return "plain", None
    if word not in ("no", "plain", "sha1"):
        return None
    if word == "sha1" and cut is not None and cut >= SHA1_HEX:
        cut = None
    return word, cut


def _verbose_passwords_finding(
    config: DovecotConfig, setting: DovecotSetting
) -> AuditFinding | None:
    """What the log holds with this value: the passwords themselves (or their start),
    an unsalted SHA1 (high); a SHA1 cut to a few hex digits, which only confirms a
    guess (medium); a value Dovecot refuses (high, as dovecot.setting_other_version):
    doveconf stops at it, so Dovecot does not start and a running one cannot reload."""
    read = verbose_passwords(setting.value)
    if read is None:
        return _finding(
            config, VERBOSE_PASSWORDS.id, Severity.HIGH, setting, "no", variant="invalid"
        )
    kind, cut = read
    if kind == "no":
        return None
    severity, details = Severity.HIGH, {"variant": kind}
    if kind == "plain" and setting.value.strip().startswith("yes:"):
        details = {"variant": "yes_cut"}
    elif cut is not None:
        details = {"variant": f"{kind}_cut", "length": str(cut)}
        if kind == "sha1":
            if cut <= SHA1_GUESS_ONLY:
                severity = Severity.MEDIUM
            else:
                details["variant"] = "sha1_long"
    return _finding(config, VERBOSE_PASSWORDS.id, severity, setting, "no", **details)


@check
def password_logging(config: DovecotConfig) -> Iterable[AuditFinding]:
    found = []
    for setting in config.written("auth_verbose_passwords"):
        finding = _verbose_passwords_finding(config, setting)
        if finding is not None:
            found.append(finding)
    for setting in config.written("auth_debug_passwords"):
        if _is_yes(setting.value):
            found.append(_finding(config, DEBUG_PASSWORDS.id, Severity.HIGH, setting, "no"))
    return found


Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where a trusted client can only be this machine or one of the site's own hosts.
_LOCAL_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


_DECIMAL_QUAD = re.compile(r"[0-9]+(?:\.[0-9]+){3}|[0-9]+")


def _network(item: str) -> Network | None:
    """A network as Dovecot's net_addr2ip() reads it: an IPv6 address may be written in
    brackets (``[::]/0``); an IPv4 address is decimal (``010.0.0.0`` is 10.0.0.0), a
    single number, or else as inet_aton(3) takes it (``0x7f.1``); ``0/0`` is every
    address."""
    address, _, bits = item.partition("/")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if ":" not in address:
        if _DECIMAL_QUAD.fullmatch(address):
            numbers = [int(part) for part in address.split(".")]
            if len(numbers) == 1 and numbers[0] < 1 << 32:
                address = str(ipaddress.IPv4Address(numbers[0]))
            elif len(numbers) == 4 and all(n < 256 for n in numbers):
                address = ".".join(map(str, numbers))
            else:
                return None
        else:
            try:
                address = socket.inet_ntoa(socket.inet_aton(address))
            except OSError:
                return None
    try:
        return ipaddress.ip_network(f"{address}/{bits}" if bits else address, strict=False)
    except ValueError:
        return None


_NO_CLIENT = ipaddress.ip_network("0.0.0.0/8")
"""No client connects from 0.0.0.0/8: a short ``10/8`` (Dovecot reads it as
0.0.0.10/8) trusts nobody; it is not a public network."""


def _within(inner: Network, outer: Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


def _beyond_local(network: Network) -> bool:
    """More than one address, outside loopback and the private ranges. (One address
    is a host to trust: the webmail's or proxy's, or this server's own.)"""
    if network.num_addresses == 1 or _within(network, _NO_CLIENT):
        return False
    return not any(_within(network, local) for local in _LOCAL_NETWORKS)


@check
def trusted_networks(config: DovecotConfig) -> Iterable[AuditFinding]:
    """Clients in `login_trusted_networks` are taken for secured (Dovecot accepts
    their cleartext passwords even with `ssl = required`) and may name the client they
    speak for (IMAP ID `x-originating-ip`, POP3 `XCLIENT`): that is for a webmail or
    proxy, and a public range lets anyone there do both. The fix keeps the other
    entries, and loopback where a removed range covered it (a webmail on this machine
    keeps working)."""
    found = []
    for setting in config.written("login_trusted_networks"):
        items = [i for i in re.split(r"[\s,]+", setting.value) if i]
        networks = {i: _network(i) for i in items}
        public = [i for i, n in networks.items() if n is not None and _beyond_local(n)]
        if not public:
            continue
        kept = [i for i in items if i not in public]
        trusted = [n for i in kept if (n := networks[i]) is not None]
        removed = [n for i in public if (n := networks[i]) is not None]
        for loopback, written in zip(_LOOPBACK, ("127.0.0.0/8", "::1"), strict=True):
            lost = any(_within(loopback, n) for n in removed)
            if lost and not any(_within(loopback, n) for n in trusted):
                kept.append(written)
        found.append(
            _finding(
                config,
                TRUSTED_NETWORKS.id,
                Severity.HIGH,
                setting,
                " ".join(kept),
                networks=" ".join(public),
            )
        )
    return found


def _seconds(value: str) -> float | None:
    match = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)", value.lower())
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit.startswith("m") and not unit.startswith("ms"):
        return number * 60
    if unit.startswith(("ms", "milli")):
        return number / 1000
    return number


@check
def failure_delay(config: DovecotConfig) -> Iterable[AuditFinding]:
    return [
        _finding(config, FAILURE_DELAY.id, Severity.MEDIUM, setting, "2 secs")
        for setting in config.written("auth_failure_delay")
        if _seconds(setting.value) == 0
    ]


@check
def anonymous_mechanism(config: DovecotConfig) -> Iterable[AuditFinding]:
    found = []
    for setting in config.written("auth_mechanisms"):
        mechanisms = setting.value.replace(",", " ").split()
        if any(m.lower() == "anonymous" for m in mechanisms):
            kept = " ".join(m for m in mechanisms if m.lower() != "anonymous") or "plain"
            found.append(_finding(config, ANONYMOUS.id, Severity.MEDIUM, setting, kept))
    return found


def _tls_off(config: DovecotConfig, section: str) -> bool:
    """`ssl = no` wherever a setting written in `section` applies: in `section` and in
    every section inside it that writes its own `ssl`."""
    return _ssl_in(config, section) == "no" and all(
        _ssl_in(config, scope) == "no" for scope in config.inside("ssl", section)
    )


def _once_tls_is_on(config: DovecotConfig, findings: list[AuditFinding]) -> list[AuditFinding]:
    """A TLS setting where `ssl = no` applies changes nothing today, but it does once the
    fix of dovecot.ssl_disabled turns TLS on: reported now, named with that fix (as on
    the Postfix side), so that applying the fixes brings up nothing new."""
    return [
        replace(f, details={**f.details, "after_fix": SSL_DISABLED.id})
        if _tls_off(config, f.subject or "")
        else f
        for f in findings
    ]


@check
def old_protocols(config: DovecotConfig) -> Iterable[AuditFinding]:
    found = []
    no_ssl3 = not without_ssl(("SSLv3",), config.library)
    for setting in _beyond_loopback(config.written("ssl_min_protocol")):
        value = setting.value.strip()
        if value.upper() in ("SSLV3", "ANY") and no_ssl3:  # OpenSSL 1.1.0 or later
            severity, shown = Severity.MEDIUM, "TLSv1, TLSv1.1"
        elif value.upper() in ("SSLV3", "ANY"):
            severity, shown = Severity.HIGH, "SSLv3, TLSv1, TLSv1.1"
        elif value.upper() in ("TLSV1", "TLSV1.1"):  # Dovecot takes any case
            severity = Severity.MEDIUM
            shown = "TLSv1, TLSv1.1" if value.upper() == "TLSV1" else "TLSv1.1"
        else:
            continue
        found.append(
            _finding(
                config, OLD_PROTOCOLS.id, severity, setting, SAFE_MIN_PROTOCOL, protocols=shown
            )
        )
    for setting in _beyond_loopback(config.written("ssl_protocols")):  # Dovecot 2.2
        allowed = without_ssl(allowed_protocols(setting.value), config.library)
        old = [p for p in allowed if p in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")]
        if not old:
            continue
        severity = Severity.HIGH if any(p.startswith("SSL") for p in old) else Severity.MEDIUM
        fix = "!SSLv2 !SSLv3 !TLSv1 !TLSv1.1"
        found.append(
            _finding(config, OLD_PROTOCOLS.id, severity, setting, fix, protocols=", ".join(old))
        )
    return _once_tls_is_on(config, found)


@check
def weak_ciphers(config: DovecotConfig) -> Iterable[AuditFinding]:
    """Judged for the OpenSSL that Dovecot uses, as on the Postfix side: from 1.1.0 on
    there is no RC4, export or single-DES suite, whatever the list asks for; before it,
    the MEDIUM and DEFAULT grades hold RC4; unknown (a copied configuration), RC4 that
    only a grade brings is possible, not certain (low, unless anonymous suites are
    there too)."""
    library = config.library
    found = []
    for setting in _beyond_loopback(config.written("ssl_cipher_list")):
        classes = on_library(allowed_classes(setting.value), library)
        weak = [name for name in WEAK if name in classes]
        if not weak and ANULL not in classes:
            continue
        shown = ", ".join(weak + ([ANULL] if ANULL in classes else []))
        more: dict[str, str] = {}
        if any(classes[name] == SURE for name in weak):
            severity = Severity.HIGH
        elif not weak:  # anonymous suites only
            severity = Severity.MEDIUM
        elif library.known:  # an OpenSSL before 1.1.0: RC4 is in the grade
            severity, more = Severity.MEDIUM, {"variant": "library", "openssl": library.label()}
        elif ANULL in classes:  # RC4 only if the unknown library is older than 1.1.0
            severity, more = Severity.MEDIUM, {"variant": "library_unknown_anonymous"}
        else:
            severity, more = Severity.LOW, {"variant": "library_unknown"}
        safe = config.defaults["ssl_cipher_list"]
        found.append(
            _finding(config, WEAK_CIPHERS.id, severity, setting, safe, classes=shown, **more)
        )
    return _once_tls_is_on(config, found)
