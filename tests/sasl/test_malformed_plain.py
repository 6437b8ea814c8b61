"""A PLAIN payload known to be whole (it ends in padding, or the ``Read N chars``
length says so) without both NULs is malformed, not cut off by the log: NUL bytes alone
name nobody; one that names an account names it whole, without a password. A cut that
only looks whole (no padding, no length) is still read as a cut."""

from __future__ import annotations

from mailwarden.parsers.sasl import decode_auth, empty_plain


def test_nul_bytes_alone_name_nobody() -> None:
    assert decode_auth("PLAIN", "AA==") is None
    assert decode_auth("PLAIN", "AA==", 17) is None  # Read 17 chars: AUTH PLAIN AA==??
    assert decode_auth("PLAIN", "AAA=") is None
    assert empty_plain("AA==??", 17) and empty_plain("AA==")
    assert not empty_plain("AGJvYg==") and not empty_plain("=") and not empty_plain("!!")


def test_an_account_without_a_password_is_named_whole() -> None:
    cred = decode_auth("PLAIN", "AGJvYg==")  # NUL "bob"
    assert cred is not None
    assert (cred.user, cred.user_complete, cred.password, cred.complete) == (
        "bob",
        True,
        None,
        True,
    )


def test_a_cut_that_looks_whole_is_still_a_cut() -> None:
    cred = decode_auth("PLAIN", "AGJvYgBw")  # NUL "bob" NUL "p": cut at a group's end
    assert cred is not None and cred.password is not None
    cut = decode_auth("PLAIN", "AGJvYg", 30)  # the Read length says more came
    assert cut is not None and not cut.complete and not cut.user_complete
