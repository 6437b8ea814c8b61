"""`mailwarden explain` on a Postfix log at both ``smtpd -v`` and ``smtpd_tls_loglevel =
4``: each client line is there twice (the TLS dump's ``Read N chars: …``, cut to 40
bytes, then the chat's ``< client: …``), and each copy is told as the one line it is.
The lines are those of tests/detect/test_logged_twice.py (tests/sasllines.py)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner
from sasllines import DUMPED_IP as IP
from sasllines import auth_login, auth_plain, b64, verbose_and_dumped

USER = "info@example.com"
PASSWORD = "Summer2024!"
LONG_USER = "sales.department@example-company.com"

LogFile = Callable[[str], str]


def explained(run: Runner, log_file: LogFile, lines: list[str], *options: str) -> str:
    code, out, err = run("explain", *options, log_file("\n".join(lines) + "\n"))
    assert code == 0, err
    return out


def notes_of(out: str, text: str) -> list[str]:
    """The notes (whitespace folded) of the explained lines that end in ``text``."""
    notes = []
    lines = out.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("09:14") and line.rstrip("?").endswith(text):
            note = []
            for after in lines[index + 1 :]:
                if not after.startswith("         "):
                    break
                note.append(after.strip())
            notes.append(" ".join(note))
    return notes


def test_the_username_logged_twice_is_never_told_as_the_password(
    run: Runner, log_file: LogFile
) -> None:
    lines = verbose_and_dumped(auth_login(USER, PASSWORD), IP)
    out = explained(run, log_file, lines, "--show-passwords")
    assert (
        notes_of(out, b64(USER))
        == [
            f"The client answers the user name prompt: “{USER}”.",
        ]
        * 2
    )
    assert all(
        note.startswith(f"The client answers the password prompt: {PASSWORD}.")
        for note in notes_of(out, b64(PASSWORD))
    )
    flat = " ".join(out.split())
    assert f"It tried AUTH LOGIN with account “{USER}”, password {PASSWORD}." in flat
    # Masked: the password's length, not the username's.
    flat = " ".join(explained(run, log_file, lines).split())
    assert f"account “{USER}”, password *** ({len(PASSWORD)} characters)." in flat


def test_a_cut_plain_payload_and_its_whole_copy_are_one_account(
    run: Runner, log_file: LogFile
) -> None:
    lines = verbose_and_dumped(auth_plain(LONG_USER, "Winter2025-long!", True), IP)
    flat = " ".join(explained(run, log_file, lines, "--show-passwords").split())
    assert "2 accounts" not in flat
    assert "sales.department@exa…" not in flat.split("Verdict", 1)[1]
    assert f"It tried AUTH PLAIN with account “{LONG_USER}”, password Winter2025-long!." in flat
