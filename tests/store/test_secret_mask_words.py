"""A password is masked where it stands whole in a driver's error, not inside every word
that holds its letters: with the one-letter password ``p``, "port 1" became "***ort 1"
and the URL "***ostgresql://"."""

from __future__ import annotations

from mailwarden.store.location import hide_secrets

URL = "postgresql://mw:p@127.0.0.1:1/mw"


def test_a_one_letter_password_leaves_the_words_holding_it() -> None:
    error = f'connection to server at "127.0.0.1", port 1 failed: password refused ({URL})'
    assert hide_secrets(error, URL) == (
        'connection to server at "127.0.0.1", port 1 failed: password refused '
        "(postgresql://mw:***@127.0.0.1:1/mw)"
    )


def test_the_password_standing_alone_is_still_masked() -> None:
    url = "postgresql://mw:p%zz@db/mw"
    assert hide_secrets('invalid percent-encoded token: "p%zz"', url) == (
        'invalid percent-encoded token: "***"'
    )
    assert hide_secrets("user info mw:p@db", URL) == "user info mw:***@db"


def test_a_password_of_punctuation_is_masked_between_letters() -> None:
    url = "postgresql://mw:%21%21@db/mw"  # "!!"
    assert hide_secrets("token x!!y", url) == "token x***y"
