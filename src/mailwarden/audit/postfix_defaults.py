"""Built-in defaults of the parameters the checks read, by Postfix version.

`postconf -d` knows the defaults of the Postfix installed on this machine only. An
audit of a configuration copied from an older server (the user's 2.6-era host) needs
that version's defaults, because the dangerous ones changed: SSLv3 was allowed and
`export` was the opportunistic cipher grade up to Postfix 3.0, and RC4 stayed in the
`medium` list until 3.8 (shared reference, section 6).

`BASE` is Postfix 3.6/3.7 (Debian 12 ships 3.7.11); `defaults_for()` adjusts it.
"""

from __future__ import annotations

from mailwarden.audit.postfix_config import PostfixConfig, Service, Version

BASE: dict[str, str] = {
    "smtpd_sasl_auth_enable": "no",
    "smtpd_sasl_security_options": "noanonymous",
    "smtpd_sasl_tls_security_options": "$smtpd_sasl_security_options",
    "smtpd_sasl_type": "cyrus",
    "broken_sasl_auth_clients": "no",
    "smtpd_client_auth_rate_limit": "0",
    "smtpd_tls_security_level": "",
    "smtpd_use_tls": "no",
    "smtpd_enforce_tls": "no",
    "smtpd_tls_wrappermode": "no",
    "smtpd_tls_auth_only": "no",
    "smtpd_tls_loglevel": "0",
    "debug_peer_list": "",
    "debug_peer_level": "2",
    "soft_bounce": "no",
    "unknown_local_recipient_reject_code": "550",
    "unknown_virtual_alias_reject_code": "550",
    "unknown_virtual_mailbox_reject_code": "550",
    "unknown_relay_recipient_reject_code": "550",
    "inet_interfaces": "all",
    "smtpd_tls_protocols": ">=TLSv1",
    "smtpd_tls_mandatory_protocols": ">=TLSv1",
    "smtpd_tls_ciphers": "medium",
    "smtpd_tls_mandatory_ciphers": "medium",
    "smtpd_tls_exclude_ciphers": "",
    "smtpd_tls_mandatory_exclude_ciphers": "",
    "tls_high_cipherlist": "aNULL:-aNULL:HIGH:@STRENGTH",
    "tls_medium_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
    "tls_low_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH",
    "tls_export_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH",
    "tls_null_cipherlist": "eNULL:!aNULL",
}

# The yes/no parameters the checks read, and the programs that read them (None: every
# one, a global parameter). Postfix takes only yes or no, in any case; another value
# stops such a program at start ("fatal: bad boolean configuration: NAME = VALUE").
BOOLEANS: dict[str, frozenset[str] | None] = {
    "smtpd_sasl_auth_enable": frozenset({"smtpd"}),
    "broken_sasl_auth_clients": frozenset({"smtpd"}),
    "smtpd_use_tls": frozenset({"smtpd"}),
    "smtpd_enforce_tls": frozenset({"smtpd"}),
    "smtpd_tls_wrappermode": frozenset({"smtpd"}),
    "smtpd_tls_auth_only": frozenset({"smtpd"}),
    "smtp_sasl_auth_enable": frozenset({"smtp"}),
    "lmtp_sasl_auth_enable": frozenset({"lmtp"}),
    "soft_bounce": None,
}


def refused_in_services(config: PostfixConfig) -> list[tuple[Service, str, str]]:
    """(service, parameter, value) for each yes/no parameter (BOOLEANS) set with `-o`
    in master.cf to a value Postfix refuses, on a service whose program reads it: that
    program stops at start, so the service does not run. In master.cf order."""
    found = []
    for service in config.services:
        for parameter in service.overrides:
            if parameter not in BOOLEANS:
                continue
            programs = BOOLEANS[parameter]
            if programs and service.command not in programs:
                continue
            value = config.refused_boolean(parameter, service)
            if value is not None:
                found.append((service, parameter, value))
    return found


# Parameters whose default differs between versions; `postconf -d` on this machine is
# replaced by `defaults_for(version)` for these when the audited version is another one.
VERSION_SENSITIVE = frozenset(
    {
        "smtpd_tls_protocols",
        "smtpd_tls_mandatory_protocols",
        "smtpd_tls_ciphers",
        "tls_medium_cipherlist",
        "tls_low_cipherlist",
        "tls_export_cipherlist",
        "tls_high_cipherlist",
    }
)

# The oldest stable line that upstream still patches. Postfix supports the newest
# stable release and the three before it; 3.11 (early 2026) ended 3.7.
OLDEST_SUPPORTED: Version = (3, 8)
NEWEST_KNOWN: Version = (3, 11)

_EXCL_38 = "!SEED:!IDEA:!3DES:!RC2:!RC4:!RC5:!kDH:!kECDH:!aDSS:!MD5"


def defaults_for(version: Version | None) -> dict[str, str]:
    """Defaults of the parameters in BASE for `version` (None: BASE, i.e. 3.7)."""
    values = dict(BASE)
    if version is None:
        return values
    if version >= (3, 8):
        values["tls_medium_cipherlist"] = f"aNULL:-aNULL:HIGH:MEDIUM:{_EXCL_38}:+RC4:@STRENGTH"
        values["tls_high_cipherlist"] = f"aNULL:-aNULL:HIGH:{_EXCL_38}:@STRENGTH"
    if version < (3, 6):
        values["smtpd_tls_protocols"] = "!SSLv2, !SSLv3"
        values["smtpd_tls_mandatory_protocols"] = "!SSLv2, !SSLv3"
        prefix = "aNULL:-aNULL:" if version >= (2, 8) else ""
        values["tls_high_cipherlist"] = f"{prefix}ALL:!EXPORT:!LOW:!MEDIUM:+RC4:@STRENGTH"
        values["tls_medium_cipherlist"] = f"{prefix}ALL:!EXPORT:!LOW:+RC4:@STRENGTH"
        values["tls_low_cipherlist"] = f"{prefix}ALL:!EXPORT:+RC4:@STRENGTH"
        values["tls_export_cipherlist"] = f"{prefix}ALL:+RC4:@STRENGTH"
    if version < (3, 1):
        values["smtpd_tls_protocols"] = ""
        values["smtpd_tls_mandatory_protocols"] = "!SSLv2"
        values["smtpd_tls_ciphers"] = "export"
    if version < (2, 10):
        values["smtpd_tls_mandatory_protocols"] = "SSLv3, TLSv1"
    return values


def end_of_life(version: Version) -> bool:
    return version[:2] < OLDEST_SUPPORTED


# Parameters the fixes write (and the TLS switches the checks read) that older versions
# do not have, with the version that brought each ("This feature is available in Postfix
# X and later", postconf(5)): writing one there changes nothing (Postfix ignores an
# unknown parameter), so no fix may rely on it. The others that fixes write
# (smtpd_sasl_auth_enable, smtpd_sasl_security_options, smtpd_recipient_restrictions,
# broken_sasl_auth_clients, debug_peer_list, soft_bounce, syslog_name, the four
# unknown_*_reject_code of unknown recipients) are older than 2.1.
PARAMETER_SINCE: dict[str, Version] = {
    "smtpd_reject_unlisted_recipient": (2, 1),
    "smtpd_use_tls": (2, 2),
    "smtpd_enforce_tls": (2, 2),
    "smtpd_tls_wrappermode": (2, 2),
    "smtpd_tls_auth_only": (2, 2),
    "smtpd_tls_loglevel": (2, 2),
    "smtp_tls_loglevel": (2, 2),
    "smtpd_sasl_tls_security_options": (2, 2),
    "smtpd_client_event_limit_exceptions": (2, 2),
    "smtpd_tls_security_level": (2, 3),
    "smtpd_tls_eccert_file": (2, 6),
    "smtpd_tls_chain_files": (3, 4),
    "smtpd_tls_mandatory_protocols": (2, 3),
    "smtpd_tls_mandatory_ciphers": (2, 3),
    "smtpd_tls_exclude_ciphers": (2, 3),
    "smtpd_tls_mandatory_exclude_ciphers": (2, 3),
    "lmtp_tls_loglevel": (2, 3),
    "milter_macro_daemon_name": (2, 3),
    "smtpd_tls_protocols": (2, 6),
    "smtpd_tls_ciphers": (2, 6),
    "smtpd_client_auth_rate_limit": (3, 1),
}

# What Postfix 2.2 has in place of smtpd_tls_security_level (2.3), by its value: "With
# Postfix 2.3 and later use smtpd_tls_security_level instead" (postconf(5)).
LEGACY_TLS_LEVEL = {"encrypt": "smtpd_enforce_tls", "may": "smtpd_use_tls"}

# The protocol names TLSv1.1 and TLSv1.2 are known to Postfix 2.10 and later, and to the
# last releases of the older lines. Before that, a protocol list that names them
# (even as `!TLSv1.1`) is invalid and Postfix turns TLS off: "warning: Invalid TLS
# protocol list ...: disabling TLS support" (seen with CentOS 6's 2.6.6 and OpenSSL 1.0.1).
_TLS11_NAMES_SINCE: dict[Version, int] = {(2, 6): 19, (2, 7): 16, (2, 8): 20, (2, 9): 15}


def has_parameter(version: Version | None, parameter: str) -> bool:
    """Whether the Postfix `version` (None: unknown, taken as current) knows `parameter`."""
    since = PARAMETER_SINCE.get(parameter)
    return version is None or since is None or version >= since


def knows_tls11_names(version: Version | None) -> bool:
    """Whether a protocol list of this Postfix may name TLSv1.1 and TLSv1.2."""
    if version is None or version[:2] >= (2, 10):
        return True
    patch = _TLS11_NAMES_SINCE.get(version[:2])
    return patch is not None and len(version) > 2 and version[2] >= patch
