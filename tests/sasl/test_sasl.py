"""AUTH payload decoding and password masking (parsers/sasl.py)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailwarden.parsers.sasl import (
    Credential,
    decode_auth,
    decode_base64_line,
    decode_response,
    escape_text,
    mask_password,
)

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def read_length(mechanism: str, payload: str) -> int:
    """The N of `Read N chars: AUTH <mech> <payload>` followed by CR LF."""
    return len(f"AUTH {mechanism} {payload}") + 2


# -- the user's excerpt -----------------------------------------------------------------

USER_TOKEN = "AGFkbWluQGZpcGljay5jb20Ad2lsb"  # `Read 45 chars: AUTH PLAIN AGFk…`


def test_users_token_names_the_account_and_hides_the_password() -> None:
    cred = decode_auth("PLAIN", USER_TOKEN, declared_length=45)
    assert cred is not None
    assert cred.mechanism == "PLAIN"
    assert cred.authzid is None
    assert cred.user == "admin@fipick.com"
    assert cred.user_complete
    assert not cred.complete
    assert cred.password == "wil"  # the visible prefix, kept for --show-passwords
    assert cred.password_length == (4, 6)  # 32 base64 characters were sent
    assert cred.password_next == "lmno"  # the leftover 'b' = 011011..
    masked = cred.masked_password()
    assert masked == "*** (4–6 characters, cut off in the log)"
    assert "il" not in masked


def test_users_token_without_the_read_length_gives_a_lower_bound() -> None:
    cred = decode_auth("PLAIN", USER_TOKEN)
    assert cred is not None and cred.user == "admin@fipick.com"
    assert cred.password_length == (4, None)
    assert cred.masked_password() == "*** (at least 4 characters, cut off in the log)"


def test_show_passwords_reveals_the_visible_part_and_what_is_known() -> None:
    cred = decode_auth("PLAIN", USER_TOKEN, 45)
    assert cred is not None
    shown = cred.shown_password(show=True)
    assert shown.startswith("wil…")
    assert "4–6 characters" in shown and "l, m, n, o" in shown
    assert cred.shown_password(show=False) == cred.masked_password()


# -- mechanisms ------------------------------------------------------------------------


def test_plain_with_authzid_and_complete_password() -> None:
    cred = decode_auth("plain", b64(b"boss\0alice@example.org\0Tr0ub4dor&3"))
    assert cred == Credential(
        mechanism="PLAIN",
        authzid="boss",
        user="alice@example.org",
        password="Tr0ub4dor&3",
        complete=True,
        password_length=(11, 11),
    )
    assert cred.masked_password() == "*** (11 characters)"


def test_plain_acts_for_another_identity_only_when_authzid_differs() -> None:
    """RFC 4616: an empty authzid, or the login name repeated, is the login name itself."""
    for payload, acting_for in [
        (b"\0alice@example.com\0secret", None),
        (b"alice@example.com\0alice@example.com\0secret", None),
        (b"bob@example.com\0alice@example.com\0secret", "bob@example.com"),
    ]:
        cred = decode_response("PLAIN", b64(payload))
        assert cred is not None and cred.user == "alice@example.com"
        assert cred.acting_for() == acting_for


def test_plain_cut_inside_the_login_name_acts_for_nobody_known() -> None:
    """``alice NUL alic…``: the login name is cut, so whether it differs is unknown."""
    payload = b64(b"alice@example.com\0alice@example.com\0secret")
    cred = decode_response("PLAIN", payload[:40], declared_length=len(payload) + 2)
    assert cred is not None and cred.authzid == "alice@example.com"
    assert cred.user == "alice@exampl" and not cred.user_complete
    assert cred.acting_for() is None


@pytest.mark.parametrize(
    "raw", [b"alice@example.com", b"Tr0ub4dor&3x", b"Tr0ub4dor&3", b"Tr0ub4dor&"]
)
def test_a_whole_payload_without_a_nul_names_nobody(raw: bytes) -> None:
    """Not PLAIN (a LOGIN step, or a password sent in its place): no authzid, which
    would show a password as a name."""
    payload = b64(raw)
    assert decode_auth("PLAIN", payload) is None
    assert decode_response("PLAIN", payload + "??", declared_length=len(payload) + 2) is None


def test_plain_cut_before_its_first_nul_keeps_the_beginning_as_authzid() -> None:
    payload = b64(b"a-very-long-authorization-identity@example.com\0alice\0pw")
    cred = decode_response("PLAIN", payload[:40], declared_length=len(payload) + 2)
    assert cred is not None and cred.user is None and cred.password is None
    assert cred.authzid == "a-very-long-authorization-iden" and not cred.authzid_complete
    assert cred.acting_for() is None


def test_plain_as_a_continuation_line() -> None:
    payload = b64(b"\0bob\0hunter22")
    cred = decode_response("PLAIN", payload + "??", declared_length=len(payload) + 2)
    assert cred is not None and cred.user == "bob" and cred.password == "hunter22"
    assert cred.complete


def test_login_steps_decode_one_line_each() -> None:
    # 334 VXNlcm5hbWU6 -> user line; 334 UGFzc3dvcmQ6 -> password line
    assert decode_base64_line(b64(b"carol@example.net")) == ("carol@example.net", True)
    assert decode_base64_line("c2VjcmV0MTIz??", declared_length=14) == ("secret123", True)
    # a line cut by the 40-byte dump: the exact prefix, marked incomplete
    long_line = b64(b"a-very-long-password-that-goes-on-and-on")
    text, complete = decode_base64_line(long_line[:40], declared_length=len(long_line) + 2)
    assert not complete and text is not None
    assert "a-very-long-password-that-goes-on-and-on".startswith(text)


def test_login_cancel_and_junk_lines_give_nothing() -> None:
    assert decode_base64_line("*") == (None, True)
    assert decode_base64_line("*??") == (None, True)
    assert decode_base64_line("not base64!") == (None, True)
    assert decode_base64_line("=") == ("", True)


def test_login_initial_response_is_the_username() -> None:
    cred = decode_auth("LOGIN", b64(b"dave"))
    assert cred is not None
    assert (cred.user, cred.password, cred.complete) == ("dave", None, True)


def test_xoauth2_token_is_masked_like_a_password() -> None:
    token = "ya29.A0ARrdaM-secret-token"
    cred = decode_auth(
        "XOAUTH2", b64(f"user=erin@example.com\x01auth=Bearer {token}\x01\x01".encode())
    )
    assert cred is not None
    assert cred.user == "erin@example.com" and cred.password == token and cred.complete
    masked = cred.masked_password()
    assert masked == f"*** ({len(token)} characters)"
    assert "29" not in masked and "secret" not in masked


def test_oauthbearer_user_and_token() -> None:
    raw = (
        b"n,a=frank=2Cjr@example.com,\x01host=mx.example.com\x01port=587"
        b"\x01auth=Bearer TOKEN42\x01\x01"
    )
    cred = decode_auth("OAUTHBEARER", b64(raw))
    assert cred is not None
    assert cred.user == "frank,jr@example.com"
    assert cred.password == "TOKEN42"
    assert "OKEN" not in cred.masked_password()


def test_truncated_xoauth2_token_has_a_length_range() -> None:
    token = "abcdefghijklmnopqrstuvwxyz0123456789"
    payload = b64(f"user=g@example.com\x01auth=Bearer {token}\x01\x01".encode())
    cred = decode_auth("XOAUTH2", payload[:48], declared_length=read_length("XOAUTH2", payload))
    assert cred is not None and not cred.complete
    assert cred.password is not None and token.startswith(cred.password)
    low, high = cred.password_length or (0, 0)
    assert high is not None and low <= len(token) <= high


def test_cram_md5_gives_the_user_only() -> None:
    cred = decode_response("CRAM-MD5", b64(b"grace 0123456789abcdef0123456789abcdef"))
    assert cred is not None
    assert cred.user == "grace" and cred.password is None and cred.complete
    assert cred.masked_password() == ""


def test_scram_and_digest_give_the_user() -> None:
    scram = decode_response("SCRAM-SHA-256", b64(b"n,,n=heidi,r=fyko+d2lbbFgONRv9qkxdawL"))
    assert scram is not None and scram.user == "heidi" and scram.password is None
    digest = decode_response("DIGEST-MD5", b64(b'charset=utf-8,username="ivan",realm="x"'))
    assert digest is not None and digest.user == "ivan"


def test_mechanisms_without_a_name_give_nothing() -> None:
    assert decode_auth("GSSAPI", b64(b"\x60\x82binary")) is None
    assert decode_auth("EXTERNAL", b64(b"")) is None


# -- truncation ------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["x", "ab", "wil", "wilma", "summer2024", "pässwörd"])
@pytest.mark.parametrize("authzid", ["", "boss"])
def test_truncation_at_every_length(password: str, authzid: str) -> None:
    user = "admin@example.com"
    payload = b64(f"{authzid}\0{user}\0{password}".encode())
    declared = read_length("PLAIN", payload)
    for cut in range(len(payload) + 1):
        # every byte is there once the padding has begun, even if an '=' was cut
        whole = cut > len(payload.rstrip("=")) or cut == len(payload)
        for given_length in (declared, None):
            cred = decode_auth("PLAIN", payload[:cut], given_length)
            # Without the Read length a cut at a group's end looks whole, and one 2 or 3
            # characters into a group looks like base64 sent without its padding.
            ambiguous = given_length is None and not whole and cut % 4 != 1
            if cred is None:
                # too short to hold a byte, or empty; or, without the Read length, a cut
                # that looks whole before the first NUL: no PLAIN payload, perhaps a
                # password (see test_a_whole_payload_without_a_nul_names_nobody)
                assert cut < 4 or ambiguous
                if cut >= 4:
                    assert b"\0" not in base64.b64decode(payload[:cut] + "=" * (-cut % 4))
                continue
            if not ambiguous:
                assert cred.complete == whole
            if cred.user is not None:
                assert user.startswith(cred.user)
                if cred.user_complete:
                    assert cred.user == user
            if cred.password is not None:
                # a cut inside a UTF-8 sequence that looks whole ends in U+FFFD
                visible = cred.password.rstrip("\ufffd") if ambiguous else cred.password
                assert password.startswith(visible)
                assert cred.user == user
                low, high = cred.password_length or (0, None)
                true_length = len(password) if cred.complete else len(password.encode())
                assert low <= true_length
                if not ambiguous:
                    assert high is None or true_length <= high
                if given_length is not None and not cred.complete:
                    assert high is not None  # the Read length bounds it
                masked = cred.masked_password()
                assert password[1:] not in masked or len(password) < 2


def test_cut_inside_the_padding_is_still_complete() -> None:
    payload = b64(b"\0u\0pw")  # ends in '='
    assert payload.endswith("=")
    cred = decode_auth("PLAIN", payload.rstrip("=") + "=")
    assert cred is not None and cred.password == "pw"


# -- junk ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", ["AGFk!bWlu", "@@@@", "AGFk-bWlu_", "A===", "QQ==QQ==", "AGFk bWlu", "\x00\x1b"]
)
def test_invalid_alphabet_gives_none(payload: str) -> None:
    assert decode_auth("PLAIN", payload) is None


@pytest.mark.parametrize("payload", ["=", "", "*", "=??"])
def test_empty_initial_response_gives_none(payload: str) -> None:
    assert decode_auth("PLAIN", payload) is None


def test_control_characters_in_the_username_are_kept_raw_and_escaped_on_display() -> None:
    # Raw, like a name read from the log: every output escapes it, once (escaped here
    # too, a decoded newline and the text "\x0a" a client typed were the same name).
    cred = decode_auth("PLAIN", b64(b"\0evil\x1b[2J\r\nFeb 23 fake line\x7f\0pw1234"))
    assert cred is not None and cred.user == "evil\x1b[2J\r\nFeb 23 fake line\x7f"
    assert escape_text(cred.user) == "evil\\x1b[2J\\x0d\\x0aFeb 23 fake line\\x7f"
    typed = decode_auth("PLAIN", b64(b"\0evil\\x1b[2J\0pw1234"))
    assert typed is not None and typed.user == "evil\\x1b[2J"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    cred = decode_auth("PLAIN", b64(b"\0\xff\xfeuser\xc3\0\xe9t\xe9"))
    assert cred is not None and cred.user == "\ufffd\ufffduser\ufffd"
    assert cred.password is not None and "\ufffd" in cred.password


def test_escape_text_keeps_printable_unicode() -> None:
    assert escape_text("用户 user") == "用户 user"
    assert escape_text("a\u202eb") == "a\\u202eb"  # right-to-left override


# -- masking ---------------------------------------------------------------------------


def test_mask_shows_at_most_first_character_and_length() -> None:
    assert mask_password("correct horse", True) == "*** (13 characters)"
    assert mask_password("abc", True) == "*** (3 characters)"  # too short to show a letter
    assert mask_password("x", True) == "*** (1 character)"
    assert mask_password("", True) == "(empty)"
    assert mask_password(None, True) == ""
    assert mask_password("wil", False, (4, 6)) == "*** (4–6 characters, cut off in the log)"
    assert mask_password("wil", False) == "*** (at least 3 characters, cut off in the log)"


@given(st.text(alphabet="QXZJKVWY", min_size=2, max_size=40), st.booleans())
def test_mask_never_leaks_more_than_one_character(password: str, complete: bool) -> None:
    masked = mask_password(password, complete)
    assert sum(masked.count(c) for c in "QXZJKVWY") <= 1


# -- never raises ----------------------------------------------------------------------


@given(st.text(max_size=30), st.text(max_size=200), st.one_of(st.none(), st.integers()))
def test_decode_auth_never_raises(mechanism: str, payload: str, declared: int | None) -> None:
    decode_auth(mechanism, payload, declared)
    decode_response(mechanism, payload, declared)
    decode_base64_line(payload, declared)


MECHANISMS = st.sampled_from(
    ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1"]
)


@given(MECHANISMS, st.binary(max_size=120), st.integers(0, 200), st.integers(-5, 300))
def test_decoding_any_bytes_cut_anywhere_never_raises(
    mechanism: str, raw: bytes, cut: int, declared: int
) -> None:
    payload = b64(raw)[:cut]
    cred = decode_auth(mechanism, payload, declared)
    if cred is not None:
        for text in (cred.user, cred.authzid, cred.password):
            assert text is None or escape_text(text).isprintable()
        cred.masked_password()
        assert cred.shown_password(show=True).isprintable()


@given(MECHANISMS, st.text(alphabet=B64_ALPHABET + "?*", max_size=80))
def test_base64_like_junk_never_raises(mechanism: str, payload: str) -> None:
    decode_auth(mechanism, payload)
    decode_base64_line(payload)
