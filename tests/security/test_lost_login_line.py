"""An AUTH LOGIN exchange whose username line is not in the log (syslog's rate limiting
under ``smtpd -v`` or ``smtpd_tls_loglevel = 4``, a line deleted from an excerpt): the
line after the server's ``334 UGFzc3dvcmQ6`` ("Password:") is the password. It must never
be taken for the account, which would print it unmasked everywhere an account is shown
(the credentials table, "Accounts tried", explain's verdict and its ``zgrep`` command)
and count each password as another account (enumeration).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from seclab import REAL, mailwarden, write_log


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def without(source: Path, fragment: str, target: Path) -> Path:
    """``source`` with the one line holding ``fragment`` deleted."""
    lines = source.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if fragment not in line]
    assert len(kept) == len(lines) - 1
    return write_log(target, kept)


# (log, the username line to delete, its client, the password and its base64)
CASES = {
    "tls": (
        REAL / "postfix-3.7-tls-loglevel4.log",
        "Read 22 chars: Ym9iQGxhYi5leGFtcGxl??",
        "198.51.100.23",
        ["hunter2", "aHVudGVyMg"],
    ),
    "verbose": (
        REAL / "postfix-3.7-verbose.log",
        "< unknown[192.0.2.66]: YWxpY2VAbGFiLmV4YW1wbGU=",
        "192.0.2.66",
        ["changeme", "Y2hhbmdlbWU"],
    ),
}
NAMED = {"tls": None, "verbose": "alice@lab.example"}
"""The account of the password once its username line is lost: unknown in the TLS dump;
at -v Dovecot's answer to Postfix (``auth reply: FAIL?2?user=alice@lab.example``) names
it."""

COMMANDS = [
    ("analyze",),
    ("analyze", "--format", "json"),
    ("explain",),
    ("explain", "--lang", "zh_CN"),
    ("events",),  # redacts every base64 client line: it never told them apart
    ("events", "--format", "jsonl"),
]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("command", COMMANDS[:4], ids=" ".join)
def test_a_lost_username_line_shows_no_password(
    tmp_path: Path, name: str, command: tuple[str, ...]
) -> None:
    source, line, _client, secrets = CASES[name]
    log = without(source, line, tmp_path / "lost.log")
    done = mailwarden(*command, log)
    assert done.returncode == 0, done.stderr
    assert [s for s in secrets if s in done.stdout + done.stderr] == []


@pytest.mark.parametrize("name", list(CASES))
def test_a_lost_username_line_leaves_the_account_unknown(tmp_path: Path, name: str) -> None:
    source, line, client, secrets = CASES[name]
    log = without(source, line, tmp_path / "lost.log")
    done = mailwarden("analyze", "--format", "json", "--show-passwords", log)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # The password is still decoded (it is in the log, --show-passwords shows it), with
    # no account but the one another line names: the line that named it is gone.
    (lost,) = [c for c in data["credentials"] if c["password"] == secrets[0]]
    assert lost["ip"] == client and lost["user"] == NAMED[name]
    for attacker in data["attackers"]:
        assert secrets[0] not in attacker["users"]
    table = mailwarden("analyze", "-q", log).stdout
    row = next(r for r in table.splitlines() if r.startswith(client) and "LOGIN" in r)
    assert row.split()[2] == (NAMED[name] or "-"), row  # the User column


def _verbose_session(pid: int, minute: int, lines: list[str]) -> list[str]:
    at = f"Feb 23 11:{minute:02d}:42 mx postfix/smtpd[{pid}]: "
    return [
        at + "connect from unknown[203.0.113.7]",
        *(at + line for line in lines),
        at + "warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        at + "disconnect from unknown[203.0.113.7] ehlo=1 auth=0/1 commands=1/2",
    ]


def _bot(username_lost: bool, user_prompt: str, password_prompt: str) -> list[str]:
    """Eight sessions of one bot guessing admin's password (-v logging), the username
    line of every other one lost."""
    lines: list[str] = []
    for n in range(8):
        steps = [
            "< unknown[203.0.113.7]: AUTH LOGIN",
            f"> unknown[203.0.113.7]: 334 {user_prompt}",
            f"< unknown[203.0.113.7]: {b64('admin')}",
            f"> unknown[203.0.113.7]: 334 {password_prompt}",
            f"< unknown[203.0.113.7]: {b64(f'Secret{n}pwtok')}",
            "> unknown[203.0.113.7]: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
        ]
        if username_lost and n % 2:
            del steps[2]
        lines += _verbose_session(100 + n, 50 + n, steps)
    return lines


PROMPTS = {
    "Postfix+Dovecot": ("VXNlcm5hbWU6", "UGFzc3dvcmQ6"),
    "lower case": (b64("username:"), b64("password:")),
    "own wording": (b64("Who goes there?"), b64("And the secret word?")),
}


@pytest.mark.parametrize("prompts", list(PROMPTS))
def test_passwords_after_a_lost_username_line_are_no_accounts(tmp_path: Path, prompts: str) -> None:
    log = write_log(tmp_path / "bot.log", _bot(True, *PROMPTS[prompts]))
    for command in COMMANDS:
        done = mailwarden(*command, log)
        assert done.returncode == 0, done.stderr
        assert "pwtok" not in done.stdout.lower(), command
    data = json.loads(mailwarden("analyze", "--format", "json", log).stdout)
    (attacker,) = data["attackers"]
    assert attacker["users"] == ["admin"]
    assert attacker["verdict"] != "enumeration"
    users = [c["user"] for c in data["credentials"]]
    assert users == ["admin", None] * 4
    assert all(c["password"].startswith("***") for c in data["credentials"])


@pytest.mark.parametrize("prompts", list(PROMPTS))
def test_whole_exchanges_still_name_the_account(tmp_path: Path, prompts: str) -> None:
    """The control: with every line there, each password is joined to admin."""
    log = write_log(tmp_path / "bot.log", _bot(False, *PROMPTS[prompts]))
    data = json.loads(mailwarden("analyze", "--format", "json", "--show-passwords", log).stdout)
    assert [(c["user"], c["password"]) for c in data["credentials"]] == [
        ("admin", f"Secret{n}pwtok") for n in range(8)
    ]


UNDECODABLE = _verbose_session(
    100,
    50,
    [
        "< unknown[203.0.113.7]: AUTH LOGIN",
        "< unknown[203.0.113.7]: YWRtaW5AZXhhbXBsZSmethod=PLAIN5jb20=",
        f"< unknown[203.0.113.7]: {b64('Pz94PWTOK')}",
    ],
)
"""A username line that is not base64 (a broken client, a line mangled on its way to
the log), then the password, and no server prompts: nothing says which line is which."""


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_explain_hides_the_line_after_an_undecodable_username(tmp_path: Path, lang: str) -> None:
    log = write_log(tmp_path / "undecodable.log", UNDECODABLE)
    done = mailwarden("explain", "--lang", lang, log)
    assert done.returncode == 0, done.stderr
    assert "Pz94PWTOK" not in done.stdout
    if lang == "en":
        assert "user name prompt" not in done.stdout
        told = " ".join(done.stdout.split())  # the text is wrapped
        assert "cannot tell whether this one is the user name or the password" in told
    shown = mailwarden("explain", "--lang", lang, "--show-passwords", log).stdout
    assert "Pz94PWTOK" in shown
    if lang == "en":
        assert "user name prompt" not in shown
