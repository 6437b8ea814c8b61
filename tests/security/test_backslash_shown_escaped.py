# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The text outputs escape a backslash a client wrote too (``\\\\``), so an escape they
show reads one way: ``a\\x0ab`` is a name with a newline in it (decoded from an AUTH
payload), ``a\\\\x0ab`` the four characters ``\\x0a`` a client typed. Before, both read
``a\\x0ab`` in analyze, explain and events: an attacker could make a name look like
another one. JSON keeps both names as they are (JSON escapes them itself)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from seclab import mailwarden, write_log

from mailwarden.explain.entries import clipped
from mailwarden.parsers.sasl import escape_text, escape_unsafe

DECODED_IP, DECODED = "198.51.100.30", "a\nb"
"""Sent base64 in AUTH PLAIN: a real newline."""
TYPED_IP, TYPED = "198.51.100.31", "a\\x0ab"
"""In a Dovecot user=<…>: the client typed a backslash, x, 0, a."""
DECODED_SHOWN, TYPED_SHOWN = "a\\x0ab", "a\\\\x0ab"
VERBOSE_IP = "198.51.100.32"


def _lines() -> list[str]:
    payload = base64.b64encode(f"\0{DECODED}\0pw".encode()).decode()
    out = []
    for k in range(3):
        pid = 500 + k
        out += [
            f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: connect from unknown[{DECODED_IP}]",
            f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: < unknown[{DECODED_IP}]: AUTH PLAIN {payload}",
            f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: warning: unknown[{DECODED_IP}]: SASL PLAIN authentication failed: (reason unavailable)",
        ]
    for k in range(3):
        out.append(
            f"Feb 23 11:58:2{k} mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<{TYPED}>, method=PLAIN, rip={TYPED_IP}, lip=192.0.2.1, TLS, session=<bs{k}>"
        )
    return out


def _run(tmp_path: Path, *args: str, lines: list[str] | None = None) -> str:
    log = write_log(tmp_path / "mail.log", _lines() if lines is None else lines)
    done = mailwarden(*args, log, env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rows(stdout: str, ip: str) -> list[str]:
    return [line for line in stdout.splitlines() if ip in line]


def test_analyze_text_shows_a_decoded_newline_and_typed_text_differently(tmp_path: Path) -> None:
    stdout = _run(tmp_path, "analyze")
    decoded, typed = _rows(stdout, DECODED_IP), _rows(stdout, TYPED_IP)
    assert decoded and typed
    assert all(TYPED_SHOWN not in row for row in decoded), decoded
    assert any(DECODED_SHOWN in row for row in decoded), decoded
    assert any(TYPED_SHOWN in row for row in typed), typed  # was a\x0ab, as the newline


def test_explain_shows_a_decoded_newline_and_typed_text_differently(tmp_path: Path) -> None:
    stdout = " ".join(_run(tmp_path, "explain").split())
    assert f"“{DECODED_SHOWN}”" in stdout
    assert f"“{TYPED_SHOWN}”" in stdout  # was “a\x0ab”, as the newline
    assert "\\\\\\" not in stdout  # escaped once, never twice


def test_events_text_shows_a_decoded_newline_and_typed_text_differently(tmp_path: Path) -> None:
    stdout = _run(tmp_path, "events")
    assert any(f"user={DECODED_SHOWN} " in row for row in _rows(stdout, DECODED_IP))
    assert all(f"user={TYPED_SHOWN} " in row for row in _rows(stdout, TYPED_IP))


def test_json_keeps_both_names_as_they_are(tmp_path: Path) -> None:
    document = json.loads(_run(tmp_path, "analyze", "--format", "json"))
    users = {a["ip"]: a["users"] for a in document["attackers"]}
    assert users[DECODED_IP] == [DECODED]
    assert users[TYPED_IP] == [TYPED]


def test_a_name_dovecot_names_at_verbose_level_is_escaped_once(tmp_path: Path) -> None:
    """``smtpd -v``'s copy of Dovecot's answer names the account: a real ESC in it reads
    ``\\x1b``, a typed ``\\x1b`` reads ``\\\\x1b`` (the parser escaped it before the
    outputs did: the typed text read as the real character)."""
    lines = [
        f"Feb 23 11:59:0{k} mx postfix/smtpd[60{k}]: xsasl_dovecot_handle_reply: auth reply: FAIL?1?user={name}"
        for k, name in enumerate(("esc\x1bx", "lit\\x1bx"))
    ]
    stdout = " ".join(_run(tmp_path, "explain", lines=lines).split())
    assert "“esc\\x1bx”" in stdout
    assert "“lit\\\\x1bx”" in stdout  # was “lit\x1bx”, as the ESC
    assert "\x1b" not in stdout


def test_escape_text_escapes_a_backslash_and_the_net_leaves_escapes_alone() -> None:
    assert escape_text("a\nb") == "a\\x0ab"
    assert escape_text("a\\x0ab") == "a\\\\x0ab"
    assert escape_text("DOMAIN\\bob") == "DOMAIN\\\\bob"
    assert escape_text("rtl\u202ex[bold]") == "rtl\\u202ex[bold]"
    shown = escape_text("a\\x0ab\x1b")
    assert escape_unsafe(shown) == shown  # composed text is not escaped twice
    assert escape_unsafe("x\x1b[2J\u202e") == "x\\x1b[2J\\u202e"


def test_a_long_name_is_never_cut_inside_an_escaped_backslash() -> None:
    """A cut between the two characters of ``\\\\`` would leave a lone backslash that
    reads with what follows the cut as an escape."""
    text = escape_text("a" * 98 + "\\x0a" + "b" * 20)
    shown = clipped(text)
    kept = shown.split("…", 1)[0]
    assert kept.endswith("a\\\\"), shown  # was cut after one backslash
    assert (len(kept) - len(kept.rstrip("\\"))) % 2 == 0
