"""Decode SASL AUTH payloads found in mail logs, and mask the passwords in them.

Logs carry AUTH payloads in three places: verbose chat (``< host: AUTH PLAIN …``, whole),
``smtpd_tls_loglevel = 4`` dumps (``Read 45 chars: AUTH PLAIN …``, cut after 40 bytes)
and Cyrus/Dovecot debug lines. Everything here is pure and never raises on client text:
junk gives None.

- PLAIN: ``authzid NUL authcid NUL password`` (RFC 4616). The login name is authcid;
  authzid, when not empty, is the identity the client asks to act for
  (:meth:`Credential.acting_for`). With one NUL the part after it may be a password
  (``user NUL password``, the leading NUL forgotten), so it is never shown as an
  account name (:func:`_one_nul`); a whole payload without a NUL is no PLAIN payload
  (a LOGIN step or a password sent in its place) and names nobody.
- LOGIN: username and password, each base64 on its own line; the session layer joins
  the steps (:func:`decode_base64_line` decodes one).
- XOAUTH2 / OAUTHBEARER: the user and a bearer token; the token is masked like a password.
- CRAM-MD5 / DIGEST-MD5 / SCRAM-*: the username only (no password on the wire).

Truncated base64 decodes to the longest exact prefix (reference §5.1): whole 4-character
groups, then the whole bytes of a trailing 2- or 3-character group; the result is marked
incomplete. With the ``Read N chars`` N, the true length of the payload, and so the
length of the password, is known within the two hidden padding characters. Without it
(verbose chat and debug lines, which Postfix writes whole), a trailing 2- or 3-character
group without ``=`` is base64 sent without its padding, not a cut: the payload is
complete. Only a single character left over, which no whole payload ends in, is a cut
(or broken data).

Decoded text is hostile: bytes that are not UTF-8 become U+FFFD; control and formatting
characters are kept raw, like those of a name read from the log, and every output
escapes them (:func:`escape_text`, :func:`json_safe`), once.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from mailwarden.locale import _, ngettext

_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_INVISIBLE = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef"
)
"""Default-ignorable characters that are not in an unsafe category (combining grapheme
joiner, Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors):
Python calls them printable, a terminal draws nothing or a blank, so ``admin`` followed
by one looks like ``admin``."""
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_BLANK = "\u2800"
"""A printable character that a terminal draws as a blank: the braille pattern blank
(U+2800, a symbol to Python). It, and the space separators but the space (U+00A0,
U+1680, U+2000–U+200A, U+202F, U+205F, U+3000), let ``admin\u00a0`` or ``ad\u200amin``
pass for ``admin`` or ``ad min``: the text outputs escape them; JSON keeps them raw
(:func:`json_safe`), its readers compare values, not looks."""
_HIDDEN_RE = re.compile(f"[{_INVISIBLE}{_BLANK}]")
_MASK_STARS = "***"
_MAX_INPUT = 64 * 1024
"""Longer payloads are cut before decoding (Postfix's own limit is 12288)."""


@dataclass(frozen=True)
class Credential:
    """What one AUTH payload says about who tried to log in, and with what.

    ``user``, ``authzid`` and ``password`` are raw text (control characters kept, as in
    a name read from the log): escape them for display (:func:`escape_text`).
    ``password`` is the secret (the bearer token for XOAUTH2/OAUTHBEARER); show it only
    through :meth:`masked_password` unless the person asked to see it (then through
    :meth:`shown_password`, escaped)."""

    mechanism: str
    authzid: str | None
    user: str | None
    password: str | None
    complete: bool
    """Every field this payload carries was fully in the log (nothing cut off)."""
    user_complete: bool = True
    """False when the log cut the payload before the end of the username."""
    password_length: tuple[int, int | None] | None = None
    """The password's true length as (least, most), most None when unknown: exact for a
    complete payload (in characters), a byte range for a truncated one."""
    password_next: str | None = None
    """When truncated: the characters the next, cut-off password character can be (the
    leftover bits of the last base64 character narrow it to four bytes). Secret."""
    authzid_complete: bool = True
    """False when the log cut a PLAIN payload inside its first part (the authzid)."""

    def acting_for(self) -> str | None:
        """The identity the client asks to act for (PLAIN's authzid), when the payload
        names one other than its login name: an empty authzid, or the login name
        repeated, means the login name itself (RFC 4616). None too when the log cut the
        login name off or before it: whether the two differ is then unknown."""
        if self.authzid is None or self.user is None or not self.user_complete:
            return None
        return self.authzid if self.authzid != self.user else None

    def masked_password(self) -> str:
        """The password as everyone may see it: see :func:`mask_password`."""
        return mask_password(self.password, self.complete, self.password_length)

    def shown_password(self, show: bool = False) -> str:
        """The password as ``--show-passwords`` prints it (masked when ``show`` is False):
        the visible part, ``…`` when cut off, the length and the possible next character."""
        if not show or self.password is None:
            return self.masked_password()
        if self.complete:
            return escape_text(self.password)
        text = escape_text(self.password) + "…"
        notes = [_length_text(self.password_length, len(self.password))]
        notes.append(_("cut off in the log"))
        if self.password_next:
            options = ", ".join(map(escape_text, self.password_next))
            notes.append(_("next character one of {options}").format(options=options))
        return _("{stars} ({notes})").format(stars=text, notes=_("; ").join(notes))


def _raw_in_json(char: str) -> bool:
    """A character :func:`json_safe` writes as it is: no control, formatting or line
    separator character, nothing invisible."""
    return char == " " or (
        unicodedata.category(char) not in _UNSAFE_CATEGORIES
        and (char < "\u034f" or _INVISIBLE_RE.match(char) is None)
    )


def _shown_as_is(char: str) -> bool:
    """A character that may reach a terminal as it is: no control, formatting or
    separator character (but the space), nothing invisible or blank (:data:`_BLANK`):
    a no-break or ideographic space in a name would read as a space, or as nothing."""
    return char == " " or (
        _raw_in_json(char) and char != _BLANK and unicodedata.category(char) != "Zs"
    )


def escape_text(text: str) -> str:
    """``text`` with control, formatting and separator characters escaped, so that client
    text can never move the cursor, recolour a terminal or fake a new line; and the
    invisible characters of :data:`_INVISIBLE` too, so that it cannot pass for another
    name. A backslash is escaped as well (``\\\\``), so that every escape reads one
    way: ``\\x0a`` is a newline, ``\\\\x0a`` the four characters a client typed.
    Apply it once, to the client's raw text; text already escaped (a sentence quoting
    escaped names) goes through :func:`escape_unsafe` instead."""
    if "\\" not in text and text.isprintable() and (text.isascii() or not _HIDDEN_RE.search(text)):
        return text
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif _shown_as_is(char):
            out.append(char)
        else:
            out.append(_escape(char))
    return "".join(out)


def _escape(char: str) -> str:
    if ord(char) < 0x100:
        return f"\\x{ord(char):02x}"
    return f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"


def escape_unsafe(text: str) -> str:
    """The net under text already made of escaped pieces (:func:`escape_text`'s): the
    characters a terminal would act on escaped as :func:`escape_text` does, backslashes
    left as they are (they are the pieces' own escapes). Escaping it again changes
    nothing."""
    if text.isprintable() and (text.isascii() or _HIDDEN_RE.search(text) is None):
        return text
    return "".join(char if _shown_as_is(char) else _escape(char) for char in text)


_NOT_ASCII = re.compile(r"[^\x00-\x7e]+")


def _json_escaped(found: re.Match[str]) -> str:
    out: list[str] = []
    for char in found.group():
        if _raw_in_json(char):
            out.append(char)
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:  # JSON spells a character beyond the BMP as its UTF-16 surrogate pair
            high, low = divmod(ord(char) - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
    return "".join(out)


def json_safe(text: str) -> str:
    """JSON text as ``json.dumps(…, ensure_ascii=False)`` writes it, with the characters
    that JSON lets stand raw in a string but :func:`escape_text` escapes written as
    ``\\uXXXX`` instead: C1 controls (U+0080–U+009F; U+009B is an 8-bit CSI to many
    terminals), U+2028/U+2029 and U+0085 (line breaks to ``str.splitlines`` and older
    JavaScript: one event would become two lines), bidi and other formatting characters,
    invisible ones. The blanks (:data:`_BLANK`, U+00A0, U+3000, …) stay raw: they move
    nothing on a terminal. The value a reader decodes is the same; the text stays one
    line, safe on a terminal.
    (Those characters only occur inside strings: JSON's own syntax is ASCII.)"""
    if text.isascii() and "\x7f" not in text:  # DEL is ASCII, and escaped too
        return text
    return _NOT_ASCII.sub(_json_escaped, text)


def _decode_text(data: bytes, final: bool) -> str:
    """Bytes to text, raw like a name read from the log: every output escapes it, once
    (escaping here too would make a decoded newline and the text ``\\x0a`` a client
    typed the same name). When ``final`` is False, an incomplete UTF-8 sequence at the
    end (cut by the log) is dropped instead of becoming U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(data, final=final)


@dataclass(frozen=True)
class _Base64:
    data: bytes
    """The exact bytes the visible characters encode."""
    complete: bool
    total: tuple[int, int | None]
    """The true decoded length as (least, most)."""
    next_byte: tuple[int, int] | None
    """When one lone character is left over: the range the next byte lies in."""
    certain: bool = False
    """``complete`` is known, not guessed: the text ends in padding, or ``Read N chars``
    says how long it was (without either, a cut at a multiple of 4 looks whole, and one
    2 or 3 characters into a group looks like base64 sent without its padding)."""


def _clean(text: str) -> str:
    # `Read N chars:` renders CR LF as `??` (Postfix's printable()); '?' is not base64.
    return text[:_MAX_INPUT].strip().rstrip("?").rstrip()


def _decode_b64(text: str, declared: int | None) -> _Base64 | None:
    """Decode possibly truncated base64. ``declared`` is the number of base64 characters
    the client really sent (from ``Read N chars``), when known. None: not base64."""
    if not _B64_RE.fullmatch(text):
        return None
    body = text.rstrip("=")
    padded = body != text
    whole = len(body) - len(body) % 4
    tail = body[whole:]
    if padded and len(tail) < 2:
        return None  # '=' can only follow 2 or 3 characters of a group
    try:
        data = base64.b64decode(body[:whole], validate=True)
    except (binascii.Error, ValueError):
        return None
    bits = "".join(f"{_B64_ALPHABET.index(c):06b}" for c in tail)
    usable = len(bits) - len(bits) % 8
    data += bytes(int(bits[i : i + 8], 2) for i in range(0, usable, 8))
    if declared is not None and declared < len(text):
        declared = None  # inconsistent with what we can see: ignore it
    # Without a length the line is whole (verbose chat): a 2- or 3-character tail is
    # base64 without its padding; one character alone ends no whole payload.
    complete = padded or (len(text) == declared if declared is not None else len(tail) != 1)
    next_byte = None
    if complete:
        total: tuple[int, int | None] = (len(data), len(data))
    else:
        least = len(data) + (1 if len(tail) == 1 else 0)
        total = (least, None)
        if declared is not None:
            span = _decoded_length_range(declared)
            if span is not None:
                total = (max(least, span[0]), max(least, span[1]))
        if len(tail) == 1:
            first = int(bits, 2) << 2
            next_byte = (first, first | 0b11)
    certain = padded or declared is not None
    return _Base64(data, complete, total, next_byte, certain)


def _decoded_length_range(chars: int) -> tuple[int, int] | None:
    """How many bytes ``chars`` base64 characters decode to (hidden padding unknown)."""
    groups, rest = divmod(chars, 4)
    if rest == 0:
        return (max(0, 3 * groups - 2), 3 * groups)
    if rest == 1:
        return None
    return (3 * groups + rest - 1, 3 * groups + rest - 1)


def _payload_chars(declared_length: int | None, prefix: int) -> int | None:
    """The base64 characters the client sent, from ``Read N chars`` (N counts ``prefix``
    characters before the payload and CR LF after it)."""
    if declared_length is None:
        return None
    chars = declared_length - prefix - 2
    return chars if chars >= 0 else None


def decode_base64_line(text: str, declared_length: int | None = None) -> tuple[str | None, bool]:
    """One AUTH LOGIN step (a username or password line, or a LOGIN initial response):
    the decoded text (raw: escape it for display) and whether it was complete.
    ``(None, True)`` for ``*`` (a cancel) and for anything that is not base64.
    ``declared_length`` is the ``Read N chars`` N of that line, when known."""
    cleaned = _clean(text)
    if cleaned == "=":
        return "", True
    decoded = _decode_b64(cleaned, _payload_chars(declared_length, 0))
    if decoded is None:
        return None, True
    return _decode_text(decoded.data, decoded.complete), decoded.complete


def empty_plain(payload: str, declared_length: int | None = None) -> bool:
    """The initial response of ``AUTH PLAIN``, whole and of NUL bytes only (``AA==``): no
    account and no password, malformed (:func:`decode_auth` gives None for it).
    ``declared_length`` as there."""
    cleaned = _clean(payload)
    if cleaned in {"", "=", "*"}:
        return False
    decoded = _decode_b64(cleaned, _payload_chars(declared_length, len("AUTH PLAIN ")))
    if decoded is None or not (decoded.complete and decoded.certain):
        return False
    return not decoded.data.strip(b"\0")


def decode_auth(
    mechanism: str, payload: str, declared_length: int | None = None
) -> Credential | None:
    """Decode the initial response of ``AUTH <mechanism> <payload>``.

    ``payload`` may be truncated (``Read N chars`` shows 40 bytes) and may be ``=`` (empty).
    ``declared_length`` is that N, when known: it counts ``AUTH <mechanism> `` and CR LF
    too. None when there is nothing to learn: an empty response, junk, or a mechanism
    whose payload names nobody (EXTERNAL, GSSAPI, NTLM…)."""
    prefix = len("AUTH ") + len(mechanism) + 1
    return _decode(mechanism, payload, _payload_chars(declared_length, prefix))


def decode_response(
    mechanism: str, payload: str, declared_length: int | None = None
) -> Credential | None:
    """Decode a continuation line that answers a ``334`` (e.g. the PLAIN blob after
    ``AUTH PLAIN`` with no initial response, or the CRAM-MD5 answer). ``declared_length``
    is the ``Read N chars`` N of that line (the payload and CR LF)."""
    return _decode(mechanism, payload, _payload_chars(declared_length, 0))


def _decode(mechanism: str, payload: str, declared: int | None) -> Credential | None:
    mech = escape_text(mechanism[:100].strip().upper())
    cleaned = _clean(payload)
    if cleaned in {"", "=", "*"}:
        return None
    decoded = _decode_b64(cleaned, declared)
    if decoded is None:
        return None
    handler = _HANDLERS.get(mech)
    if handler is None and mech.startswith("SCRAM-"):
        handler = _scram
    return handler(mech, decoded) if handler is not None else None


def _password_length(
    decoded: _Base64, start: int, trailer: int, secret: bytes
) -> tuple[int, int | None]:
    """The secret's length: its characters when complete, else the byte range left once
    the ``start`` bytes before it and the ``trailer`` bytes after it are taken away."""
    if decoded.complete:
        count = len(secret.decode("utf-8", errors="replace"))
        return (count, count)
    least, most = decoded.total
    low = max(0, least - start - trailer)
    return (low, None if most is None else max(low, most - start - trailer))


def _next_chars(decoded: _Base64) -> str | None:
    if decoded.next_byte is None:
        return None
    low, high = decoded.next_byte
    chars = [chr(b) for b in range(low, high + 1)]
    return "".join(chars) if all(c.isprintable() and c.isascii() for c in chars) else None


def _plain(mech: str, decoded: _Base64) -> Credential | None:
    parts = decoded.data.split(b"\0", 2)
    if len(parts) == 1 and decoded.complete:
        # No NUL in the whole payload: not PLAIN's authzid NUL authcid NUL password, but
        # a LOGIN step or a password sent in its place. It names nobody, and is no
        # authzid: it may be a password.
        return None
    if len(parts) == 2 and parts[0] and not parts[0].startswith(parts[1]):
        return _one_nul(mech, decoded, parts[0], parts[1])
    whole = decoded.complete and decoded.certain  # padded, or the Read length says so
    if whole and not any(parts):
        return None  # whole, and NUL bytes only (``AA==``): malformed, it names nobody
    if len(parts) < 3 and whole:
        # Whole, but without both NULs: a malformed PLAIN response, not one the log cut.
        # What it names is whole, and it holds no password. (A cut that only looks
        # whole, at a group's end without the Read length, is still taken as a cut.)
        authzid = _decode_text(parts[0], True) or None
        return Credential(mech, authzid, _decode_text(parts[1], True), None, True)
    # Without both NULs the payload was cut before the password: not a whole credential.
    complete = decoded.complete and len(parts) == 3
    if len(parts) < 3:
        authzid = _decode_text(parts[0], len(parts) > 1) or None
        user = _decode_text(parts[1], False) if len(parts) == 2 else None
        return Credential(
            mech,
            authzid,
            user,
            None,
            complete,
            user_complete=False,
            authzid_complete=len(parts) > 1,
        )
    authzid_bytes, user_bytes, secret = parts
    password = _decode_text(secret, complete)
    start = len(authzid_bytes) + len(user_bytes) + 2
    return Credential(
        mechanism=mech,
        authzid=_decode_text(authzid_bytes, True) or None,
        user=_decode_text(user_bytes, True),
        password=password,
        complete=complete,
        password_length=_password_length(decoded, start, 0, secret),
        password_next=None if complete else _next_chars(decoded),
    )


def _one_nul(mech: str, decoded: _Base64, first: bytes, second: bytes) -> Credential:
    """A PLAIN payload with one NUL, something before it, and after it something that
    does not repeat it (clients that send the account as authzid too). Either the common
    mistake ``user NUL password`` (the leading NUL forgotten) or ``authzid NUL authcid``
    cut before the second NUL; the second part may be a password, so it is never shown
    as a name. A payload known to be whole is the mistake: the user and a masked
    password. Otherwise the second part is dropped: the first is the authzid, the
    account is unknown."""
    if decoded.complete and decoded.certain:
        return Credential(
            mechanism=mech,
            authzid=None,
            user=_decode_text(first, True),
            password=_decode_text(second, True),
            complete=True,
            password_length=_password_length(decoded, len(first) + 1, 0, second),
        )
    authzid = _decode_text(first, True) or None
    return Credential(mech, authzid, None, None, False, user_complete=False)


def _login(mech: str, decoded: _Base64) -> Credential:
    user = _decode_text(decoded.data, decoded.complete)
    return Credential(mech, None, user, None, decoded.complete, user_complete=decoded.complete)


def _xoauth2(mech: str, decoded: _Base64) -> Credential:
    # user=U ^A auth=Bearer T ^A ^A
    return _oauth(mech, decoded, decoded.data, user_key=b"user=")


def _oauthbearer(mech: str, decoded: _Base64) -> Credential:
    # gs2-header "n,a=U," then ^A key=value pairs, auth=Bearer T among them, ^A ^A at the end
    header, sep, rest = decoded.data.partition(b"\x01")
    user = None
    for field in header.split(b","):
        if field.startswith(b"a="):
            user = field[2:].replace(b"=2C", b",").replace(b"=3D", b"=")
    user_done = bool(sep) or decoded.complete
    credential = _oauth(mech, decoded, rest, user_key=None, offset=len(header) + len(sep))
    return Credential(
        mechanism=mech,
        authzid=None,
        user=None if user is None else _decode_text(user, user_done),
        password=credential.password,
        complete=decoded.complete,
        user_complete=user_done,
        password_length=credential.password_length,
        password_next=credential.password_next,
    )


def _oauth(
    mech: str, decoded: _Base64, data: bytes, user_key: bytes | None, offset: int = 0
) -> Credential:
    user: str | None = None
    user_done = True
    password: str | None = None
    length: tuple[int, int | None] | None = None
    next_chars: str | None = None
    position = offset
    fields = data.split(b"\x01")
    for index, item in enumerate(fields):
        last = index == len(fields) - 1  # the field the log may have cut
        done = decoded.complete or not last
        if user_key is not None and item.startswith(user_key):
            user, user_done = _decode_text(item[len(user_key) :], done), done
        elif item[:12].lower() == b"auth=bearer ":
            secret = item[12:]
            password = _decode_text(secret, done)
            if done:
                count = len(secret.decode("utf-8", errors="replace"))
                length = (count, count)
            else:
                length = _password_length(decoded, position + 12, 2, secret)
                next_chars = _next_chars(decoded)
        position += len(item) + 1
    return Credential(
        mechanism=mech,
        authzid=None,
        user=user,
        password=password,
        complete=decoded.complete,
        user_complete=user_done,
        password_length=length,
        password_next=next_chars,
    )


def _cram_md5(mech: str, decoded: _Base64) -> Credential:
    # "user SP 32-hex-digest": the user is everything before the rightmost space.
    user, sep, _digest = decoded.data.rpartition(b" ")
    if not sep:
        user = decoded.data
        done = False
    else:
        done = True
    return Credential(mech, None, _decode_text(user, done), None, decoded.complete, done)


_DIGEST_USER = re.compile(rb'(?:^|,)\s*username\s*=\s*"((?:[^"\\]|\\.)*)(")?')


def _digest_md5(mech: str, decoded: _Base64) -> Credential | None:
    found = _DIGEST_USER.search(decoded.data)
    if found is None:
        return None
    done = found.group(2) is not None
    user = re.sub(rb"\\(.)", rb"\1", found.group(1))
    return Credential(mech, None, _decode_text(user, done), None, decoded.complete, done)


def _scram(mech: str, decoded: _Base64) -> Credential | None:
    # client-first-message: gs2-header "n,," or "n,a=authzid," then "n=user,r=nonce"
    fields = decoded.data.split(b",")
    for index, item in enumerate(fields[2:], 2):
        if item.startswith(b"n="):
            done = decoded.complete or index < len(fields) - 1
            user = item[2:].replace(b"=2C", b",").replace(b"=3D", b"=")
            return Credential(mech, None, _decode_text(user, done), None, decoded.complete, done)
    return None


_HANDLERS: dict[str, Callable[[str, _Base64], Credential | None]] = {
    "PLAIN": _plain,
    "LOGIN": _login,
    "XOAUTH2": _xoauth2,
    "OAUTHBEARER": _oauthbearer,
    "CRAM-MD5": _cram_md5,
    "DIGEST-MD5": _digest_md5,
}


def _length_text(length: tuple[int, int | None] | None, visible: int) -> str:
    """A password's length as (least, most) in words (``4–6 characters``); without it,
    at least the ``visible`` characters."""
    if length is None:
        least, most = visible, None
    else:
        least, most = length
    if most is None:
        return ngettext("at least {n} character", "at least {n} characters", least).format(n=least)
    if least == most:
        return ngettext("{n} character", "{n} characters", least).format(n=least)
    return ngettext("{low}–{high} character", "{low}–{high} characters", most).format(
        low=least, high=most
    )


def mask_password(
    password: str | None,
    complete: bool,
    length: tuple[int, int | None] | None = None,
) -> str:
    """A password as it may be shown: its length, never a character of it (the log may
    hold real users' passwords, and a failed guess may be a typo of one).

    ``*** (4–6 characters, cut off in the log)``, ``*** (12 characters)``, ``(empty)``;
    ``""`` when there is no password. ``length`` is :attr:`Credential.password_length`;
    without it, the visible part gives the length (a lower bound when cut off)."""
    if password is None:
        return ""
    if length is None:
        length = (len(password), len(password)) if complete else (len(password), None)
    if complete and length[0] == 0:
        return _("(empty)")
    notes = _length_text(length, len(password))
    if not complete:
        notes = _("{length}, cut off in the log").format(length=notes)
    return _("{stars} ({notes})").format(stars=_MASK_STARS, notes=notes)


__all__ = [
    "Credential",
    "decode_auth",
    "decode_base64_line",
    "decode_response",
    "empty_plain",
    "escape_text",
    "escape_unsafe",
    "json_safe",
    "mask_password",
]
