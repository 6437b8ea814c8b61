"""What a master.cf smtpd service does, given the configuration.

Roles: `port25` (the MX port, including the `smtpd pass` service behind postscreen),
`submission` (587), `submissions` (465, `smtps` before Postfix 3.7), `other` (any other
smtpd listener).
"""

from __future__ import annotations

import re

from mailwarden.audit.numbers import config_int
from mailwarden.audit.postfix_config import PostfixConfig, Service
from mailwarden.audit.postfix_defaults import has_parameter

PORT25, SUBMISSION, SUBMISSIONS, OTHER = "port25", "submission", "submissions", "other"
NONE, MAY, ENCRYPT, WRAPPER = "none", "may", "encrypt", "wrapper"

_LOGLEVEL_NAMES = {
    "routine": 1,
    "debug": 2,
    "ssl-expert": 3,
    "ssl-handshake-packet-dump": 3,
    "ssl-developer": 4,
    "ssl-session-packet-dump": 4,
}


def smtpd_services(config: PostfixConfig) -> list[Service]:
    """smtpd(8) listeners: inet services, and pass services behind postscreen; not
    those that master_service_disable switches off (master(8) skips them), nor a pass
    service that no enabled postscreen hands connections to (its
    `smtpd_service_name`, `smtpd` by default): nobody reaches it."""
    fed = {
        config.value("smtpd_service_name", s) or "smtpd"
        for s in config.services
        if s.command == "postscreen" and not config.disabled(s)
    }
    return [
        s
        for s in config.services
        if is_smtpd(s) and not config.disabled(s) and (s.type != "pass" or s.name in fed)
    ]


def is_smtpd(service: Service) -> bool:
    return service.command == "smtpd" and service.type in ("inet", "pass")


def role(config: PostfixConfig, service: Service) -> str:
    port = service.port
    if service.type == "pass":
        return PORT25 if config.postscreen_on_25 else OTHER
    if port == 25:
        return PORT25
    if port == 587:
        return SUBMISSION
    if port == 465:
        return SUBMISSIONS
    return OTHER


def public(config: PostfixConfig, service: Service) -> bool:
    """False when the listener is bound to loopback only."""
    if service.loopback:
        return False
    interfaces = [i for i in re.split(r"[,\s]+", config.value("inet_interfaces").lower()) if i]
    local = {"loopback-only", "localhost", "127.0.0.1", "::1", "[::1]"}
    return not (interfaces and all(i in local for i in interfaces))


def tls_mode(config: PostfixConfig, service: Service) -> str:
    """What the audited Postfix does: a parameter it does not have yet (written from a
    newer howto) is ignored, as Postfix ignores it; 2.2 has only smtpd_use_tls and
    smtpd_enforce_tls, where 2.3 brought smtpd_tls_security_level."""

    def flag(parameter: str) -> bool:
        return has_parameter(config.version, parameter) and config.flag(parameter, service)

    if flag("smtpd_tls_wrappermode"):
        return WRAPPER
    level = config.value("smtpd_tls_security_level", service).lower()
    if level and has_parameter(config.version, "smtpd_tls_security_level"):
        return {"encrypt": ENCRYPT, "may": MAY}.get(level, NONE)
    if flag("smtpd_enforce_tls"):
        return ENCRYPT
    if flag("smtpd_use_tls"):
        return MAY
    return NONE


def mandatory_tls(config: PostfixConfig, service: Service) -> bool:
    return tls_mode(config, service) in (ENCRYPT, WRAPPER)


def offers_auth(config: PostfixConfig, service: Service) -> bool:
    """AUTH is announced on this service (at least after STARTTLS)."""
    if not config.flag("smtpd_sasl_auth_enable", service):
        return False
    return not (config.flag("smtpd_tls_auth_only", service) and tls_mode(config, service) == NONE)


CERTIFICATE_PARAMETERS = (
    "smtpd_tls_chain_files",
    "smtpd_tls_cert_file",
    "smtpd_tls_eccert_file",
    "smtpd_tls_dcert_file",
)
"""Where smtpd finds a server certificate (RSA, ECDSA, DSA, or any of them with their
keys in `smtpd_tls_chain_files`, 3.4): with all of them empty, smtpd logs "No server
certs available. TLS won't be enabled" and runs without TLS."""


def has_certificate(config: PostfixConfig, service: Service | None) -> bool:
    """smtpd has a server certificate on `service` (main.cf, or the service's `-o`): one
    of CERTIFICATE_PARAMETERS that this Postfix knows is not empty."""
    return any(
        has_parameter(config.version, name) and config.value(name, service)
        for name in CERTIFICATE_PARAMETERS
    )


def no_plaintext_before_tls(config: PostfixConfig, service: Service) -> bool:
    """`noplaintext` in the service's `smtpd_sasl_security_options`, which decides the
    mechanisms smtpd offers before STARTTLS: none that sends the password in cleartext
    (with Dovecot's default `auth_mechanisms = plain`, no AUTH at all before TLS)."""
    return "noplaintext" in sasl_options(config, service, "smtpd_sasl_security_options")


def sasl_options(config: PostfixConfig, service: Service, parameter: str) -> list[str]:
    """The words of a `smtpd_sasl_*security_options` list, lowercased (Postfix takes
    them in any case). `smtpd_sasl_tls_security_options` (after STARTTLS; its default
    is `$smtpd_sasl_security_options`) falls back to the latter where this Postfix has
    no such parameter (before 2.2 one list served both)."""
    value = config.value(parameter, service)
    if not value and config.raw(parameter, service) is None:
        value = config.value("smtpd_sasl_security_options", service)
    return [word for word in re.split(r"[,\s]+", value.lower()) if word]


def no_plaintext_after_tls(config: PostfixConfig, service: Service) -> bool:
    """`noplaintext` in what smtpd offers after STARTTLS: the service's
    `smtpd_sasl_tls_security_options`, which is `$smtpd_sasl_security_options` unless
    set, so `noplaintext` there holds after TLS too."""
    return "noplaintext" in sasl_options(config, service, "smtpd_sasl_tls_security_options")


def no_plaintext_anywhere(config: PostfixConfig, service: Service) -> bool:
    """No mechanism that sends the password in cleartext (PLAIN, LOGIN) is offered in
    any session this service can have: without TLS, `noplaintext` before STARTTLS;
    with TLS required, `noplaintext` after it; with TLS optional, after it and before
    it (or AUTH waits for TLS). With Dovecot's default `auth_mechanisms = plain` no
    AUTH is then offered at all: nobody can log in there."""
    mode = tls_mode(config, service)
    if mode == NONE:
        return no_plaintext_before_tls(config, service)
    if not no_plaintext_after_tls(config, service):
        return False
    if mode in (ENCRYPT, WRAPPER):
        return True
    return no_plaintext_before_tls(config, service) or config.flag("smtpd_tls_auth_only", service)


def tls_loglevel(value: str) -> int | None:
    """'4', 'ssl-developer', '1,trace' -> the numeric level (0 when unreadable); None
    for a number no Postfix can read (too many digits): an invalid value."""
    first = re.split(r"[,\s]+", value.strip().lower())[0] if value.strip() else "0"
    if first in _LOGLEVEL_NAMES:
        return _LOGLEVEL_NAMES[first]
    match = re.match(r"[0-9]+", first)
    return config_int(match.group(0)) if match else 0


def verbose_args(service: Service) -> list[str]:
    """`-v` style flags on the command line (each `v` raises the verbosity)."""
    return [a for a in service.args if re.fullmatch(r"-[A-Za-z]*v[A-Za-z]*", a)]
