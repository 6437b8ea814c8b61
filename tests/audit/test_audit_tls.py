"""What a cipher string and a protocol list allow, decided from their text."""

from __future__ import annotations

import pytest

from mailwarden.audit import openssl
from mailwarden.audit.openssl import parse_openssl_version
from mailwarden.audit.postfix_defaults import defaults_for
from mailwarden.audit.tls import (
    LIBRARY,
    SURE,
    UNKNOWN_LIBRARY,
    Library,
    allowed_classes,
    allowed_protocols,
    on_library,
    with_exclusions,
)


def test_the_users_cipher_list_allows_rc4_export_des_and_anonymous():
    assert allowed_classes("ALL:+RC4:@STRENGTH") == {
        "RC4": SURE,
        "EXPORT": SURE,
        "LOW": SURE,
        "aNULL": SURE,
    }


def test_exclusions_remove_them_for_good():
    text = with_exclusions("ALL:+RC4:@STRENGTH", "aNULL, eNULL, EXPORT, LOW, RC4")
    assert text.endswith(":!aNULL:!eNULL:!EXPORT:!LOW:!RC4")
    assert allowed_classes(text) == {}


def test_minus_removes_until_added_again_and_bang_for_good():
    assert allowed_classes("aNULL:-aNULL:HIGH") == {"aNULL": SURE}
    assert allowed_classes("!aNULL:HIGH") == {}


def test_rc4_through_medium_depends_on_the_library():
    assert allowed_classes(defaults_for((3, 7))["tls_medium_cipherlist"])["RC4"] == LIBRARY
    assert "RC4" not in allowed_classes(defaults_for((3, 8))["tls_medium_cipherlist"])
    assert allowed_classes(defaults_for((2, 6))["tls_medium_cipherlist"])["RC4"] == SURE


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("RC4-SHA:AES128-SHA", {"RC4"}),
        ("EXP-DES-CBC-SHA", {"EXPORT", "LOW"}),
        ("kRSA+RC4", {"RC4"}),
        ("eNULL:!aNULL", {"eNULL"}),
        ("ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL", set()),
        (
            "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:!RC4:!ADH"
            ":!LOW@STRENGTH",
            set(),
        ),
    ],
)
def test_cipher_words(text: str, classes: set[str]):
    assert set(allowed_classes(text)) == classes


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("", ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        ("!SSLv2", ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        ("!SSLv2, !SSLv3", ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        ("SSLv3, TLSv1", ("SSLv3", "TLSv1")),
        (">=TLSv1", ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        (">=TLSv1.2 <=TLSv1.2", ("TLSv1.2",)),
        # a range is Postfix 3.6 syntax: OpenSSL 1.1.1 or later, which has no SSLv2
        ("<=TLSv1.3", ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        ("!SSLv2,!SSLv3,!TLSv1,!TLSv1.1", ("TLSv1.2", "TLSv1.3")),
        # postconf(5): a bound may be the protocol's number in hexadecimal
        (">=0x0303", ("TLSv1.2", "TLSv1.3")),
        (">=0x0301 <=0X0302", ("TLSv1", "TLSv1.1")),
        ("<=0x0304", ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
    ],
)
def test_protocols(value: str, allowed: tuple[str, ...]):
    assert allowed_protocols(value) == allowed


# --- the library ------------------------------------------------------------------------


def test_openssl_1_1_0_and_later_have_no_rc4_export_or_single_des():
    medium = allowed_classes(defaults_for((3, 7))["tls_medium_cipherlist"])
    new = Library((3, 0, 13), "3.0.13", "option")
    old = Library((1, 0, 2), "1.0.2k", "option")

    assert on_library(medium, new) == {"aNULL": SURE}
    assert on_library(allowed_classes("ALL:+RC4:@STRENGTH"), new) == {"aNULL": SURE}
    assert on_library(medium, old) == medium
    assert on_library(medium, UNKNOWN_LIBRARY) == medium
    assert old.label() == "OpenSSL 1.0.2k (--openssl-version)"


@pytest.mark.parametrize(
    ("line", "found"),
    [
        (
            "OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)",
            ((3, 0, 19), "3.0.19"),
        ),
        ("OpenSSL 1.1.1n  15 Mar 2022", ((1, 1, 1), "1.1.1n")),
        ("OpenSSL 1.0.2k-fips  26 Jan 2017", ((1, 0, 2), "1.0.2k")),
        # the program built against one version, the library loaded another
        ("OpenSSL 3.0.2 15 Mar 2022 (Library: OpenSSL 1.0.2u  20 Dec 2019)", ((1, 0, 2), "1.0.2u")),
        ("LibreSSL 3.8.2", None),
        ("", None),
    ],
)
def test_openssl_version_lines(line: str, found):
    assert parse_openssl_version(line) == found


def test_this_machines_library_comes_from_openssl_version_else_python(monkeypatch, tmp_path):
    program = tmp_path / "openssl"
    program.write_text("#!/bin/sh\necho 'OpenSSL 1.0.2k-fips  26 Jan 2017'\n")
    program.chmod(0o755)
    monkeypatch.setattr(openssl, "find_program", lambda name: str(program))
    assert openssl.local_library() == Library((1, 0, 2), "1.0.2k", "openssl")

    monkeypatch.setattr(openssl, "find_program", lambda name: None)
    monkeypatch.setattr(openssl.ssl, "OPENSSL_VERSION", "OpenSSL 3.0.13 30 Jan 2024")
    library = openssl.local_library()
    assert library == Library((3, 0, 13), "3.0.13", "python")
    assert library.label() == "OpenSSL 3.0.13 (Python ssl.OPENSSL_VERSION)"
