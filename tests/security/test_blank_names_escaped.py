# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A name a client sends with a blank in it that is not the space (a no-break space, the
spaces U+2000–U+200A, U+202F, U+205F, the ideographic space U+3000, the braille blank
U+2800) is shown escaped by the text outputs, like the bidi, formatting and invisible
characters: ``admin\\xa0`` in analyze, explain and events, never ``admin`` followed by
a blank that reads as nothing. Before, the blanks were shown as they are. JSON keeps the
raw name. Chinese output still reads as Chinese: only the client's text is escaped."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from seclab import daemon_outputs, mailwarden, write_log

from mailwarden.parsers.sasl import escape_text, escape_unsafe

BLANKS = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u2800"
"""Drawn as a blank (or nothing): the space separators but the space, the braille blank."""
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f\ufeff\u180e\u3164\uffa0\u115f\u1160"
"""Bidi controls, marks and other characters a terminal draws as nothing, escaped already."""


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


NAMES = {f"198.51.100.{10 + n}": f"ad{char}min" for n, char in enumerate(BLANKS + HIDDEN)}
NAMES["198.51.100.99"] = "admin\u00a0"
"""The name each client sends in AUTH PLAIN (Postfix before 3.9 does not log it)."""
SHOWN = [f"ad{_escaped(char)}min" for char in BLANKS + HIDDEN] + ["admin\\xa0"]


def _lines() -> list[str]:
    out = []
    for n, (ip, name) in enumerate(NAMES.items()):
        payload = base64.b64encode(f"\0{name}\0secret".encode()).decode()
        for k in range(3):
            pid = 1000 + 10 * n + k
            out += [
                f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
                f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: < unknown[{ip}]: AUTH PLAIN {payload}",
                f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable)",
            ]
    return out


def _run(tmp_path: Path, *args: str, lang: str = "en") -> str:
    log = write_log(tmp_path / "mail.log", _lines())
    locale = {"en": "C.UTF-8", "zh": "zh_CN.UTF-8"}[lang]
    env = {"NO_COLOR": "1", "COLUMNS": "300", "LANGUAGE": "", "LC_ALL": locale}
    done = mailwarden(*args, log, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("char", BLANKS + HIDDEN)
def test_escape_text_and_escape_unsafe_escape_the_character(char: str) -> None:
    assert escape_text(f"ad{char}min") == f"ad{_escaped(char)}min"
    assert escape_unsafe(f"ad{char}min") == f"ad{_escaped(char)}min"
    assert escape_text(f"admin{char}") == f"admin{_escaped(char)}"


def test_chinese_text_and_the_plain_space_stay_as_they_are() -> None:
    text = "账户 “admin” 登录失败。原因：密码错误，请检查（第 3 次）"
    assert escape_text(text) == text
    assert escape_unsafe(text) == text


@pytest.mark.parametrize(
    ("command", "lang"),
    [
        (("analyze", "--limit", "0"), "en"),
        (("explain",), "en"),
        (("events",), "en"),
        (("explain",), "zh"),
        (("analyze", "--limit", "0"), "zh"),
    ],
)
def test_text_outputs_escape_blank_and_hidden_characters_in_names(
    tmp_path: Path, command: tuple[str, ...], lang: str
) -> None:
    stdout = _run(tmp_path, *command, lang=lang)
    raw = [f"U+{ord(c):04X}" for c in BLANKS + HIDDEN if c in stdout]
    assert not raw, (command, lang, raw)
    missing = [shown for shown in SHOWN if shown not in stdout]
    assert not missing, (command, lang, missing)
    if lang == "zh":  # our own Chinese words are not escaped
        assert "\\u3002" not in stdout and "\\uff0c" not in stdout
        assert "。" in stdout


def test_json_keeps_the_raw_names(tmp_path: Path) -> None:
    document = json.loads(_run(tmp_path, "analyze", "--format", "json"))
    assert {c["ip"]: c["user"] for c in document["credentials"]} == NAMES
    events = [
        json.loads(line) for line in _run(tmp_path, "events", "--format", "jsonl").splitlines()
    ]
    assert {e["ip"]: e["user"] for e in events if e["user"]} == NAMES


SAME_NAME = {"198.51.100.60": "postfix", "198.51.100.61": "dovecot"}
"""Two clients trying "admin\u00a0": one through Postfix 3.9 (the name in the AUTH payload
and at the end of the failure line, where the line's trailing blank is cut off), one through
Dovecot (the name inside ``user=<…>``, kept whole)."""


def _same_name_lines() -> list[str]:
    payload = base64.b64encode("\0admin\u00a0\0secret".encode()).decode()
    out = []
    for k in range(3):
        pid = 3000 + k
        ip = "198.51.100.60"
        out += [
            f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: < unknown[{ip}]: AUTH PLAIN {payload}",
            f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin\u00a0",
            f"Nov 28 10:00:0{k} mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
            f"Nov 28 10:00:0{k} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<admin\u00a0>, method=PLAIN, rip=198.51.100.61, lip=192.0.2.1, session=<abc{k}>",
        ]
    return out


def test_a_trailing_blank_is_one_name_from_every_source(tmp_path: Path) -> None:
    """A Postfix 3.9 failure line loses the name's trailing blank with the line's; the
    account key trims every blank (str.strip()), so the AUTH payload, the failure line
    and Dovecot's ``user=<…>`` give one name. Before, analyze and the daemon counted
    "admin\\xa0" and "admin" as two accounts."""
    log = write_log(tmp_path / "mail.log", _same_name_lines())
    done = mailwarden("analyze", "--format", "json", log)
    assert done.returncode == 0, done.stderr
    users = {a["ip"]: a["users"] for a in json.loads(done.stdout)["attackers"]}
    assert users == {"198.51.100.60": ["admin"], "198.51.100.61": ["admin"]}

    written, _rows = daemon_outputs(tmp_path, _same_name_lines())
    bans = {
        line.split()[1]: line for line in written["log"].splitlines() if line.startswith("ban ")
    }
    assert set(bans) == {"198.51.100.60/32", "198.51.100.61/32"}
    for line in bans.values():
        assert line.endswith('(users: "admin")'), line
