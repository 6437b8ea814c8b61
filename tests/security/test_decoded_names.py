# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A name decoded from an AUTH payload is kept raw, like a name read from the log, and
every output escapes it once: a decoded newline and the text ``\\x0a`` a client typed
(in a Dovecot ``user=<…>``) are different names in analyze (JSON and text), explain,
events and the daemon's ban line, and no raw control, bidi or line separator character
reaches any of them. Before, the decoder escaped at parse time and the outputs escaped
once more: ``nl1\\\\x0ax`` in a ban line, the same as the typed ``lit1\\\\x0ax``. The text
outputs escape a backslash too (``\\\\``): the typed name reads ``lit1\\\\x0ax`` there,
the decoded newline ``nl1\\x0ax``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from seclab import daemon_outputs, mailwarden, write_log

E = "\x1b"
DECODED = {"198.51.100.20": "nl1\nx", "198.51.100.21": f"esc{E}[2Jx", "198.51.100.22": "rtl\u202ex"}
"""Names sent base64 in AUTH PLAIN (Postfix before 3.9 does not log the name)."""
TYPED_IP, TYPED = "198.51.100.50", "lit1\\x0ax"
"""A Dovecot user=<…> name: the client typed a backslash, x, 0, a."""
TYPED_SHOWN = "lit1\\\\x0ax"
"""How the text outputs show it: its backslash escaped, ``lit1\\\\x0ax``."""
ONCE = {"nl1\nx": "nl1\\x0ax", f"esc{E}[2Jx": "esc\\x1b[2Jx", "rtl\u202ex": "rtl\\u202ex"}
FORBIDDEN = [E, "\r", "\x07", "\u009b", "\u202e", "\u2028", "\u2029", "\x7f", "\x85"]


def _lines() -> list[str]:
    out = []
    for n, (ip, name) in enumerate(DECODED.items()):
        payload = base64.b64encode(f"\0{name}\0pw{E}[0m".encode()).decode()
        for k in range(3):
            pid = 400 + 10 * n + k
            out += [
                f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
                f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: < unknown[{ip}]: AUTH PLAIN {payload}",
                f"Feb 23 11:58:1{k} mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable)",
            ]
    for k in range(3):
        out.append(
            f"Feb 23 11:58:1{k} mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<{TYPED}>, method=PLAIN, rip={TYPED_IP}, lip=192.0.2.1, TLS, session=<abc{k}>"
        )
    return out


def _no_raw_controls(text: str) -> None:
    found = [repr(c) for c in FORBIDDEN if c in text]
    assert not found, found


def _run(tmp_path: Path, *args: str) -> str:
    log = write_log(tmp_path / "mail.log", _lines())
    done = mailwarden(*args, log, env={"NO_COLOR": "1", "COLUMNS": "300"})
    assert done.returncode == 0, done.stderr
    _no_raw_controls(done.stdout + done.stderr)
    return done.stdout


def test_analyze_json_keeps_a_decoded_newline_apart_from_a_typed_one(tmp_path: Path) -> None:
    stdout = _run(tmp_path, "analyze", "--format", "json")
    assert "\n" not in json.dumps(stdout.splitlines())  # each line stays one line
    document = json.loads(stdout)
    users = {a["ip"]: a["users"] for a in document["attackers"]}
    assert users[TYPED_IP] == [TYPED]
    assert users["198.51.100.20"] == ["nl1\nx"]  # was ["nl1\\x0ax"]: the typed text
    assert users["198.51.100.22"] == ["rtl\u202ex"]
    credentials = {c["ip"]: c["user"] for c in document["credentials"]}
    assert credentials == DECODED
    # Escaped once, by JSON: a newline is \n, the typed text keeps its one backslash.
    assert '"nl1\\nx"' in stdout and '"lit1\\\\x0ax"' in stdout
    assert "\\\\\\\\x0a" not in stdout and "nl1\\\\x0ax" not in stdout


def test_events_json_keeps_a_decoded_newline_apart_from_a_typed_one(tmp_path: Path) -> None:
    stdout = _run(tmp_path, "events", "--format", "jsonl")
    events = [json.loads(line) for line in stdout.splitlines()]
    named = {(e["ip"], e["user"]) for e in events if e["user"] is not None}
    assert {(ip, name) for ip, name in DECODED.items()} <= named
    assert (TYPED_IP, TYPED) in named
    assert "nl1\\\\x0ax" not in stdout


def test_text_outputs_escape_decoded_names_once(tmp_path: Path) -> None:
    for command in (("analyze",), ("explain",), ("explain", "--show-passwords"), ("events",)):
        stdout = _run(tmp_path, *command)
        for shown in ONCE.values():
            assert shown in stdout, (command, shown)
        assert TYPED_SHOWN in stdout, command
        assert "\\\\\\" not in stdout, command  # never escaped twice
        for shown in ONCE.values():  # a decoded name never reads as typed text
            assert shown.replace("\\", "\\\\") not in stdout, (command, shown)
        if command == ("explain", "--show-passwords"):
            assert "pw\\x1b[0m" in stdout


def test_the_ban_line_tells_a_decoded_newline_from_a_typed_one(tmp_path: Path) -> None:
    written, _rows = daemon_outputs(tmp_path, _lines())
    log = written["log"]
    for line in log.splitlines():
        assert line.isprintable() and line.isascii(), repr(line)
    bans = {line.split()[1]: line for line in log.splitlines() if line.startswith("ban ")}
    assert bans["198.51.100.20/32"].endswith('(users: "nl1\\x0ax")')  # a newline, once
    assert bans["198.51.100.21/32"].lower().endswith('(users: "esc\\x1b[2jx")')
    assert bans["198.51.100.22/32"].endswith('(users: "rtl\\u202ex")')
    # The network's line names both: the text \x0a a client typed has its "\" as "\\".
    assert '"lit1\\\\x0ax"' in bans["198.51.100.0/24"]
    assert '"nl1\\x0ax"' in bans["198.51.100.0/24"]
    for where, text in written.items():
        found = [repr(c) for c in FORBIDDEN if c in text]
        assert not found, (where, found)
