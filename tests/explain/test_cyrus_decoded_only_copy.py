"""Cyrus's decoded copy (``xsasl_cyrus_server_next: decoded response: …``, ``smtpd -v``)
of an AUTH LOGIN line whose client line (``< client: <base64>``) the log lost: explain
judges it as the detector does (detect.sessions ``echoes_client_line``). It is then no
copy of “the line above” (a ``334`` reply of the server) but the only copy of that login
data, in clear text: the user name it names (the account, as analyze says), the password
masked. Lines follow tests/sasllines.py (CYRUS_LOGIN)."""

from __future__ import annotations

import json
from collections.abc import Callable

from clirunner import Runner
from sasllines import CYRUS_LOGIN, verbose_login

LogFile = Callable[[str], str]

USER = "info@example.com"
PASSWORD = "Summer2024!"
CLIENT_LINES = ("aW5mb0BleGFtcGxlLmNvbQ==", "U3VtbWVyMjAyNCE=")
"""The client's base64 username and password lines."""
COPY_NOTE = "Cyrus SASL writes the client's login line above once more"
ONLY_COPY = "this copy is the only one"


def _explain(run: Runner, path: str, *options: str) -> str:
    code, out, err = run("explain", "--year", "2026", *options, path)
    assert code == 0, err
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


def _accounts(run: Runner, path: str) -> list[str | None]:
    """The account of each credential analyze lists."""
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    return [c["user"] for c in json.loads(out)["credentials"]]


def test_the_decoded_lines_of_lost_client_lines_are_the_only_copies(
    run: Runner, log_file: LogFile
) -> None:
    path = log_file("\n".join(verbose_login(CYRUS_LOGIN, lost=CLIENT_LINES)) + "\n")
    said = _flat(_explain(run, path))
    assert said.count("decoded response: ‹…›") == 2
    assert COPY_NOTE not in said
    assert "counts it once" not in said
    assert said.count(ONLY_COPY) == 2
    # the username's copy names the account analyze names; the password's is masked
    assert _accounts(run, path) == [USER]
    assert f"answer to the user name prompt, decoded, in clear text: “{USER}”" in said
    assert "answer to the password prompt, decoded, in clear text: *** (11 characters)" in said
    assert PASSWORD not in said
    shown = _flat(_explain(run, path, "--show-passwords"))
    assert f"answer to the password prompt, decoded, in clear text: {PASSWORD}" in shown
    zh = "".join(_explain(run, path, "--lang", "zh_CN").split())
    assert "又写了一遍" not in zh
    assert zh.count("这份副本是唯一的一份") == 2
    assert f"用户名提示的回答解码后以明文写出：“{USER}”" in zh
    assert PASSWORD not in zh


def test_a_lone_decoded_line_that_may_be_the_password_names_no_account(
    run: Runner, log_file: LogFile
) -> None:
    # Lost: the client's lines, the username's copy and the password prompts. The one
    # decoded line left answers the Username: prompt but is the password's copy.
    lost = (
        *CLIENT_LINES,
        "decoded response: info",
        "334 UGFzc3dvcmQ6",
        "uncoded server challenge: Password:",
    )
    path = log_file("\n".join(verbose_login(CYRUS_LOGIN, lost=lost)) + "\n")
    said = _flat(_explain(run, path))
    assert said.count("decoded response: ‹…›") == 1
    assert COPY_NOTE not in said
    assert ONLY_COPY in said
    assert "it may be the user name or the password, so it names no account" in said
    assert _accounts(run, path) == [None]
    assert PASSWORD not in said


def test_the_decoded_copy_of_a_logged_client_line_stays_a_copy(
    run: Runner, log_file: LogFile
) -> None:
    # Only the username line lost: the password's decoded line copies the client's line
    # just above it, the username's is the only copy.
    path = log_file("\n".join(verbose_login(CYRUS_LOGIN, lost=CLIENT_LINES[:1])) + "\n")
    said = _flat(_explain(run, path))
    assert said.count(ONLY_COPY) == 1
    assert f"answer to the user name prompt, decoded, in clear text: “{USER}”" in said
    assert said.count(COPY_NOTE) == 1
    assert _accounts(run, path) == [USER]
    assert PASSWORD not in said


def _exposed(run: Runner, path: str) -> tuple[object, ...]:
    """analyze's “Passwords in the log” counts and its credentials."""
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    report = json.loads(out)
    (data,) = [f["data"] for f in report["findings"] if f["kind"] == "credential_exposed"]
    creds = [(c["user"], c["password"]) for c in report["credentials"]]
    return data["payloads"], data["users"], data["users_with_password"], creds


def test_lost_client_lines_reveal_the_login_their_decoded_copies_hold(
    run: Runner, log_file: LogFile
) -> None:
    # With or without the client's lines the log holds one login: info@example.com's,
    # with its password. analyze counts it so, and explain tells the same attempt.
    told = "It tried AUTH LOGIN with account “info@example.com”, password *** (11 characters)."
    seen = []
    for lost in ((), CLIENT_LINES, CLIENT_LINES[:1], CLIENT_LINES[1:]):
        path = log_file("\n".join(verbose_login(CYRUS_LOGIN, lost=lost)) + "\n")
        seen.append(_exposed(run, path))
        assert told in _flat(_explain(run, path)), lost
        code, out, err = run("analyze", "--year", "2026", path)
        assert code == 0, err
        assert "1 AUTH payload with the credentials of 1 user (1 with a password)" in _flat(out)
    assert seen == [(1, 1, 1, [(USER, "*** (11 characters)")])] * 4
