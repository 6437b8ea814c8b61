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


def test_a_bom_and_windows_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_bytes("\ufeffalice@example.com\r\nbob@example.com\r\n".encode())
    accounts = load_accounts(path)
    assert len(accounts) == 2 and accounts.exists("alice@example.com")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"alice\n" + b"\0" * 100, "line 2: binary data"),
        (b"alice\n" + b"x" * (70 << 10) + b"\n", "line 2: a line over 64 KiB"),
    ],
)
def test_a_file_that_is_no_list_of_accounts_is_said_at_once(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "users"
    path.write_bytes(content)
    with pytest.raises(InputError, match=said):
        load_accounts(path)


def test_dev_zero_is_refused_without_reading_it_all() -> None:
    # Read to its end, it would fill the memory (a review saw 24 GB, then the OOM killer).
    with pytest.raises(InputError, match="binary data"):
        load_accounts("/dev/zero")


def test_more_accounts_than_can_be_held_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailwarden.detect.accounts as accounts_module

    monkeypatch.setattr(accounts_module, "MAX_ACCOUNTS", 3)
    path = tmp_path / "users"
    path.write_text("a\nb\n# not a name\nc\n")
    assert len(load_accounts(path)) == 3
    path.write_text("a\nb\nc\nd\n")
    with pytest.raises(InputError, match="more than 3 accounts"):
        load_accounts(path)
