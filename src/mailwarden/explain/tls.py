"""What Postfix's TLS log lines mean (reference §1.7, §2).

``SSL_accept:<state>`` lines are OpenSSL's handshake states (``SSL_state_string_long``);
``SSLv3`` in them is the name of OpenSSL ≤ 1.0.2's state machine, not the protocol.
BIO lines (``read from … (11 bytes => -1 …)``) and hex rows come from the packet dump of
``smtpd_tls_loglevel`` 3 and 4.
"""

from __future__ import annotations

import re

from mailwarden.locale import N_, _

# Handshake states, in the order they happen; matched on the words after the "SSLv3 " /
# "SSLv3/TLS " / "TLSv1.3 " prefix, without the trailing A/B/C sub-state letter.
_STATES: tuple[tuple[str, str], ...] = (
    ("before/accept initialization", N_("OpenSSL starts the server side of the handshake.")),
    ("before ssl initialization", N_("OpenSSL starts the server side of the handshake.")),
    (
        "read client hello",
        N_(
            "The server received the client's hello: the TLS versions and ciphers "
            "the client can use."
        ),
    ),
    ("write server hello", N_("The server answered with the TLS version and cipher it chose.")),
    ("write certificate", N_("The server sent its certificate.")),
    ("write key exchange", N_("The server sent its part of the key exchange.")),
    ("write certificate request", N_("The server asked the client for a certificate.")),
    ("write server done", N_("The server has finished its part of the hello.")),
    ("flush data", N_("The server sent the handshake messages it had buffered.")),
    (
        "read client key exchange",
        N_("The client sent its part of the key exchange: both sides can now derive the keys."),
    ),
    ("read certificate verify", N_("The client proved it holds its certificate's key.")),
    ("read change cipher spec", N_("The client switched to encryption.")),
    ("read finished", N_("The client's handshake check (Finished) arrived and was correct.")),
    ("write change cipher spec", N_("The server switched to encryption.")),
    ("write session ticket", N_("The server sent a ticket to resume this session later.")),
    ("write finished", N_("The server sent its Finished message: the handshake is complete.")),
    ("negotiation finished successfully", N_("The handshake is complete.")),
    ("ok", N_("The handshake is complete.")),
)

_STATE_PREFIX = re.compile(r"^(?:SSLv[23](?:/TLS)?|TLSv1(?:\.\d)?|DTLS1?)\s+", re.IGNORECASE)
_SUBSTATE = re.compile(r"\s+[A-C]$")

_RECORD_TYPES = {
    0x14: N_("change cipher spec"),
    0x15: N_("alert"),
    0x16: N_("handshake"),
    0x17: N_("application data (encrypted SMTP)"),
}
_VERSIONS = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2"}

# Cipher name parts that mean the cipher is broken or obsolete, with why.
_WEAK_CIPHER_PARTS: tuple[tuple[str, str], ...] = (
    ("NULL", N_("no encryption at all")),
    ("EXP", N_("export-grade encryption, breakable in hours")),
    ("ADH", N_("anonymous key exchange, open to a man in the middle")),
    ("AECDH", N_("anonymous key exchange, open to a man in the middle")),
    ("RC4", N_("RC4 is broken and forbidden in TLS since 2015 by RFC 7465")),
    ("DES-CBC3", N_("3DES is obsolete (Sweet32)")),
    ("DES-CBC-", N_("single DES is broken")),
    ("RC2", N_("RC2 is broken")),
    ("MD5", N_("MD5 message authentication is obsolete")),
)

# Cipher lists that Postfix used as defaults, and what they tell about the server.
_KNOWN_CIPHER_LISTS: dict[str, str] = {
    "ALL:+RC4:@STRENGTH": N_(
        "This is the “export” cipher grade of Postfix before 2.8, which it used wherever "
        "TLS was not mandatory: STARTTLS, and also port 465 (smtps, wrapper mode) at the "
        "default security level. It allows RC4, export-grade and anonymous ciphers. So the "
        "server runs an old Postfix."
    ),
    "aNULL:-aNULL:ALL:+RC4:@STRENGTH": N_(
        "This is the “export” cipher grade of Postfix 2.8 to 3.0, used for opportunistic "
        "STARTTLS: it allows RC4 and export-grade ciphers."
    ),
}


def state_meaning(state: str) -> str:
    """What one ``SSL_accept:<state>`` step does."""
    words = _SUBSTATE.sub("", _STATE_PREFIX.sub("", state.strip())).lower()
    for name, text in _STATES:
        if words == name or words.startswith(name):
            return _(text)
    return _("A step of the TLS handshake ({state}).").format(state=state)


def cipher_weakness(cipher: str) -> str | None:
    """Why a negotiated cipher (OpenSSL name) is weak, or None when it is not known weak."""
    upper = cipher.upper()
    for part, why in _WEAK_CIPHER_PARTS:
        if part in upper:
            return _(why)
    return None


def cipher_list_note(cipher_list: str) -> str | None:
    text = _KNOWN_CIPHER_LISTS.get(cipher_list.strip())
    return None if text is None else _(text)


def is_old_postfix_cipher_list(cipher_list: str) -> bool:
    return cipher_list.strip() in _KNOWN_CIPHER_LISTS


def record_header(hex_bytes: str) -> str | None:
    """For a hex-dump row that starts with a TLS record header (type, version, length),
    what it says; None when it does not look like one."""
    try:
        data = bytes.fromhex(hex_bytes.replace("|", " "))
    except ValueError:
        return None
    if len(data) < 5 or data[0] not in _RECORD_TYPES or data[1] != 0x03 or data[2] > 0x04:
        return None
    version = _VERSIONS.get(data[1] << 8 | data[2], f"{data[1]}.{data[2]}")
    length = data[3] << 8 | data[4]
    return _(
        "These 5 bytes are a TLS record header: type 0x{type:02x} = {kind}, "
        "version 0x{hi:02x}{lo:02x} = {version}, then {length} bytes of record "
        "(0x{length:04x}), read next."
    ).format(
        type=data[0],
        kind=_(_RECORD_TYPES[data[0]]),
        hi=data[1],
        lo=data[2],
        version=version,
        length=length,
    )


__all__ = [
    "cipher_list_note",
    "cipher_weakness",
    "is_old_postfix_cipher_list",
    "record_header",
    "state_meaning",
]
