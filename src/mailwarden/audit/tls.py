"""What a cipher string or a protocol list allows, decided from the text alone.

The audited server may link another OpenSSL than this machine (the user's host ran
OpenSSL 1.0.1 with Postfix 2.6), so cipher strings are not handed to the local library.
They are evaluated symbolically for five weak classes, with OpenSSL 1.0.x semantics,
where `ALL` holds RC4, export, single-DES (LOW) and anonymous suites, `MEDIUM` holds
RC4, and `HIGH` and `MEDIUM` hold anonymous suites:

- `SURE`: the string asks for the class (by name, or by `ALL`);
- `LIBRARY`: it comes only through a strength grade (`MEDIUM`, `DEFAULT`) and is there
  only when the library still counts RC4 at that grade (OpenSSL before 1.1.0, or built
  with `enable-weak-ssl-ciphers`).

Operators follow ciphers(1): `!X` removes for good, `-X` removes until added again,
`+X` only reorders, `A+B` is the intersection. Unknown words (`kRSA`, `AESGCM`, a suite
name without a weak part) add no weak class.

When the library is known (`Library`), `on_library` settles it: OpenSSL 1.1.0 and later
have no export or single-DES suites at all, and no RC4 unless built with
`enable-weak-ssl-ciphers` (no distribution's package is), so whatever the string asks
for, those classes are not there. An older one has RC4 in `MEDIUM` and `DEFAULT`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

RC4, EXPORT, LOW, ENULL, ANULL = "RC4", "EXPORT", "LOW", "eNULL", "aNULL"
WEAK = (RC4, EXPORT, LOW, ENULL)  # anonymous suites are judged apart
SURE, LIBRARY = 2, 1

_ALL = {RC4: SURE, EXPORT: SURE, LOW: SURE, ANULL: SURE}
_ADD: dict[str, dict[str, int]] = {
    "ALL": _ALL,
    "COMPLEMENTOFALL": {ENULL: SURE},
    "eNULL": {ENULL: SURE},
    "NULL": {ENULL: SURE},
    "COMPLEMENTOFDEFAULT": {ANULL: SURE},
    "DEFAULT": {RC4: LIBRARY},
    "HIGH": {ANULL: SURE},
    "MEDIUM": {RC4: LIBRARY, ANULL: SURE},
    "LOW": {LOW: SURE},
    "DES": {LOW: SURE},
    "EXP": {EXPORT: SURE},
    "EXPORT": {EXPORT: SURE},
    "EXPORT40": {EXPORT: SURE},
    "EXPORT56": {EXPORT: SURE},
    "RC4": {RC4: SURE},
    "aNULL": {ANULL: SURE},
    "ADH": {ANULL: SURE},
    "AECDH": {ANULL: SURE},
}
# What removing a word takes away: only classes the word holds entirely.
_REMOVE: dict[str, frozenset[str]] = {
    "ALL": frozenset((RC4, EXPORT, LOW, ANULL, ENULL)),
    "MEDIUM": frozenset((RC4,)),
    "HIGH": frozenset(),
    "DEFAULT": frozenset(),
}
_UNIVERSAL = frozenset((RC4, EXPORT, LOW, ENULL, ANULL))


def _suite_classes(word: str) -> dict[str, int] | None:
    """Classes of an OpenSSL suite name such as RC4-SHA or EXP-DES-CBC-SHA."""
    found: dict[str, int] = {}
    if "RC4" in word:
        found[RC4] = SURE
    if word.startswith("EXP"):
        found[EXPORT] = SURE
    if word.startswith(("ADH-", "AECDH-")):
        found[ANULL] = SURE
    if "NULL" in word and not word.startswith(("ADH", "AECDH")):
        found[ENULL] = SURE
    if re.search(r"(^|-)DES-CBC-", word):
        found[LOW] = SURE
    return found or None


def _adds(word: str) -> dict[str, int] | None:
    """Classes a word adds; None for a word that holds no weak class of its own."""
    if word in _ADD:
        return _ADD[word]
    return _suite_classes(word)


def _removes(word: str) -> frozenset[str] | None:
    if word in _REMOVE:
        return _REMOVE[word]
    adds = _adds(word)
    return None if adds is None else frozenset(adds)


def _conjunction(parts: list[str]) -> dict[str, int]:
    """`A+B`: classes in every part (a generic part holds them all)."""
    result: dict[str, int] = {name: SURE for name in _UNIVERSAL}
    for part in parts:
        adds = _adds(part)
        if adds is None:
            continue
        result = {k: min(v, adds[k]) for k, v in result.items() if k in adds}
    return {} if all(_adds(p) is None for p in parts) else result


def allowed_classes(cipher_string: str) -> dict[str, int]:
    """{class: SURE or LIBRARY} for every weak or anonymous class the string allows."""
    present: dict[str, int] = {}
    banned: set[str] = set()
    for token in re.split(r"[:,\s]+", cipher_string):
        token = token.split("@", 1)[0]  # "!LOW@STRENGTH": the word before the command
        if not token:
            continue
        op, word = (token[0], token[1:]) if token[0] in "!-+" else ("", token)
        if op == "+":
            continue  # reorders what is there, adds nothing
        parts = [p for p in word.split("+") if p]
        if op in ("!", "-"):
            removed = _removes(parts[0]) if len(parts) == 1 else frozenset(_conjunction(parts))
            for name in removed or ():
                present.pop(name, None)
                if op == "!":
                    banned.add(name)
            continue
        added = _adds(parts[0]) if len(parts) == 1 else _conjunction(parts)
        for name, certainty in (added or {}).items():
            if name not in banned:
                present[name] = max(present.get(name, 0), certainty)
    return present


NO_WEAK_SUITES = (1, 1, 0)
"""The first OpenSSL without export, single-DES and (by default) RC4 suites."""


@dataclass(frozen=True)
class Library:
    """The OpenSSL that the audited server uses, when it can be told.

    `source`: "option" (--openssl-version), "openssl" (`openssl version` on this
    machine, auditing its own configuration), "python" (Python's ssl module on this
    machine, when there is no openssl command), "unknown" (a copied configuration)."""

    version: tuple[int, ...] | None = None
    shown: str = ""  # as read: "1.0.2k", "3.0.19"
    source: str = "unknown"

    @property
    def known(self) -> bool:
        return self.version is not None

    @property
    def has_weak_suites(self) -> bool | None:
        """True before OpenSSL 1.1.0, False from it on, None when unknown."""
        if self.version is None:
            return None
        return self.version < NO_WEAK_SUITES

    def label(self) -> str:
        """'OpenSSL 1.0.2k (openssl version)': the version and where it was read,
        in words that need no translation."""
        where = {
            "option": "--openssl-version",
            "openssl": "openssl version",
            "python": "Python ssl.OPENSSL_VERSION",
            "postfix": "at least, for Postfix 3.6 or later",
        }.get(self.source, self.source)
        return f"OpenSSL {self.shown} ({where})"


UNKNOWN_LIBRARY = Library()

NO_SSL_PROTOCOLS = (1, 1, 0)
"""The first OpenSSL without SSLv2 at all and without SSLv3 in its default build (no
distribution enables it)."""


def without_ssl(protocols: tuple[str, ...], library: Library) -> tuple[str, ...]:
    """`protocols` as `library` offers them: from OpenSSL 1.1.0 on, no SSLv2 or SSLv3,
    whatever the configuration allows. Older or unknown: unchanged."""
    if library.version is None or library.version < NO_SSL_PROTOCOLS:
        return protocols
    return tuple(p for p in protocols if not p.startswith("SSL"))


def on_library(classes: Mapping[str, int], library: Library) -> dict[str, int]:
    """`classes` (from `allowed_classes`) as `library` has them: on OpenSSL 1.1.0 and
    later no RC4, export or single-DES suite exists, whatever the string asks for.
    Older or unknown: unchanged (`LIBRARY` stays: a grade that may hold RC4)."""
    if library.has_weak_suites is not False:
        return dict(classes)
    return {name: how for name, how in classes.items() if name not in (RC4, EXPORT, LOW)}


def with_exclusions(cipher_string: str, exclusions: str) -> str:
    """The string Postfix builds: each excluded word appended as `:!word`."""
    words = [w for w in re.split(r"[,\s:]+", exclusions) if w]
    return cipher_string + "".join(f":!{w}" for w in words)


# --- protocols -------------------------------------------------------------------

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_RANK: Mapping[str, int] = {name.lower(): i for i, name in enumerate(PROTOCOLS)}


def _bound_rank(text: str) -> int | None:
    """A range bound's protocol: a name, or (postconf(5)) its number in hexadecimal,
    ``0x0303`` for TLSv1.2."""
    rank = _RANK.get(text.lower())
    if rank is not None or not text.lower().startswith("0x"):
        return rank
    try:
        number = int(text[2:], 16)
    except ValueError:
        return None
    # 0x0300 is SSLv3 (rank 1), each minor version one more; later ones past TLSv1.3
    return min(max(number - 0x0300 + 1, 1), len(PROTOCOLS)) if number >= 0x0300 else None


def allowed_protocols(value: str) -> tuple[str, ...]:
    """Protocols a Postfix `*_tls_protocols` value permits.

    Empty: all. `!X`: X excluded. Names without `!` (the Postfix 2.5 style): only those.
    `>=X` / `<=X` (Postfix 3.6): bounds. That syntax means Postfix 3.6 or later, which
    needs OpenSSL 1.1.1 or later, which has no SSLv2 at all: a range never admits it.
    """
    included: set[int] = set()
    excluded: set[int] = set()
    low, high = 0, len(PROTOCOLS) - 1
    for token in re.split(r"[:,\s]+", value):
        if not token:
            continue
        if token.startswith((">=", "<=")):
            low = max(low, _RANK["sslv3"])
            rank = _bound_rank(token[2:])
            if rank is not None:
                low, high = (max(low, rank), high) if token[0] == ">" else (low, min(high, rank))
        elif token.startswith("!"):
            rank = _RANK.get(token[1:].lower())
            if rank is not None:
                excluded.add(rank)
        else:
            rank = _RANK.get(token.lower())
            if rank is not None:
                included.add(rank)
    ranks = included or set(range(len(PROTOCOLS)))
    return tuple(PROTOCOLS[r] for r in sorted(ranks) if r not in excluded and low <= r <= high)
