"""The list of real accounts (--users): plain lists and Dovecot passwd-files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.detect.accounts import Accounts, load_accounts
from mailwarden.errors import InputError


def test_a_dovecot_passwd_file_gives_the_names(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text(
        "# mail users\n"
        "alice@example.com:{SHA512-CRYPT}$6$abc$def:1000:1000::/home/alice::\n"
        "\n"
        "Bob@Example.com:{PLAIN}x::::\n"
        "carol\n"
    )
    accounts = load_accounts(path)
    assert len(accounts) == 3
    assert accounts.exists("ALICE@example.com")
    assert accounts.exists("bob@example.com")
    assert accounts.exists("alice")  # local part, as auth_default_realm allows
    assert accounts.exists("carol@example.org")
    assert not accounts.exists("admin@example.com")


def test_an_unreadable_list_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="list of accounts"):
        load_accounts(tmp_path / "missing")


def test_accounts_from_names() -> None:
    assert Accounts([" info@example.org ", ""]).exists("Info@Example.org")
