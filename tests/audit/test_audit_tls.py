"""What a cipher string and a protocol list allow, decided from their text."""

from __future__ import annotations

import pytest

from mailwarden.audit.postfix_defaults import defaults_for
from mailwarden.audit.tls import (
    LIBRARY,
    SURE,
    allowed_classes,
    allowed_protocols,
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
        ("!SSLv2,!SSLv3,!TLSv1,!TLSv1.1", ("TLSv1.2", "TLSv1.3")),
    ],
)
def test_protocols(value: str, allowed: tuple[str, ...]):
    assert allowed_protocols(value) == allowed
