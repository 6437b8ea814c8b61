# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Our output must not attack the terminal that shows it. Postfix's printable() turns
control bytes into ``?``, but the journal's JSON, Dovecot's str_sanitize (which keeps
UTF-8) and decoded base64 payloads carry anything: ESC sequences (clear screen, OSC 8
hyperlinks), CR, BEL, C1 controls, bidi overrides, line separators, and rich markup.
Text outputs show them escaped (``\\x1b``), and rich never reads client text as markup.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from seclab import mailwarden, restamp, warden, write_log

from mailwarden.daemon.status import status_document, status_text

E = "\x1b"
NAMES = [
    f"{E}[2Jadmin",
    f"{E}]8;;https://evil.example/{E}\\click{E}]8;;{E}\\",
    "bob\rFAKE ban 192.0.2.10",
    "ring\x07bell",
    "[red]MARKUPX[/red]",
    "[link=https://evil.example/x]LINKX[/link]",
    "csi\u009b31mred",
    "rtl\u202egnp.exe",
    "line\u2028sep",
    "del\x7fx",
    "nl\nfake line",
]
FORBIDDEN = [E, "\r", "\x07", "\u009b", "\u202e", "\u2028", "\x7f"]


def _lines() -> list[str]:
    out = []
    for n, name in enumerate(NAMES):
        flat = name.replace("\n", "?")  # a file log cannot hold a newline inside an entry
        for k in range(3):
            out.append(
                f"Feb 23 11:57:{10 + k:02d} mx postfix/submission/smtpd[{100 + n}]: warning: unknown[198.51.100.{n + 1}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={flat}"
            )
        out.append(
            f"Feb 23 11:58:10 mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<{flat}>, method=PLAIN, rip=198.51.100.{n + 50}, lip=192.0.2.1, TLS, session=<abc{n}>"
        )
        # The journal keeps whatever the program sent, a newline too.
        out.append(
            json.dumps(
                {
                    "MESSAGE": f"imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<{name}>, method=PLAIN, rip=198.51.100.{n + 100}, lip=192.0.2.1, TLS, session=<jj{n}>",
                    "SYSLOG_IDENTIFIER": "dovecot",
                    "__REALTIME_TIMESTAMP": "1771847830000000",
                }
            )
        )
        out.append(
            f"Feb 23 11:58:11 mx postfix/smtpd[{300 + n}]: connect from unknown[198.51.100.{n + 150}]"
        )
        out.append(
            f"Feb 23 11:58:11 mx postfix/smtpd[{300 + n}]: warning: non-SMTP command from unknown[198.51.100.{n + 150}]: GET /{flat} HTTP/1.1"
        )
        out.append(
            f"Feb 23 11:58:12 mx postfix/smtpd[{300 + n}]: NOQUEUE: reject: RCPT from unknown[198.51.100.{n + 150}]: 554 5.7.1 <{flat}@x>: Relay access denied; from=<{flat}> to=<{flat}@x> proto=ESMTP helo=<{flat}>"
        )
        payload = base64.b64encode(f"\0{name}\0pw".encode()).decode()
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: connect from unknown[198.51.100.{n + 200}]"
        )
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: < unknown[198.51.100.{n + 200}]: AUTH PLAIN {payload}"
        )
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: warning: unknown[198.51.100.{n + 200}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=x"
        )
    return out


def _check(text: str) -> None:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)  # our own colours (rich, FORCE_COLOR)
    found = [repr(c) for c in FORBIDDEN if c in plain]
    assert not found, found
    assert "fake line" not in text.splitlines()  # no forged line start
    # Markup shown as written: its closing "]" stays right before the word (rich would
    # have eaten "[red]" and "[link=…]" and kept only the word).
    for word in ("markupx", "linkx"):
        for match in re.finditer(word, plain, re.IGNORECASE):
            assert plain[match.start() - 1] == "]", plain[max(0, match.start() - 60) : match.end()]
    assert "\x1b]8;" not in text


@pytest.mark.parametrize(
    "command",
    [
        ("explain",),
        ("explain", "--lang", "zh_CN"),
        ("explain", "--show-passwords"),
        ("events",),
        ("events", "--show-passwords"),
        ("analyze",),
        ("analyze", "--show-passwords"),
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "forced-colour"])
def test_text_outputs_escape_client_text(
    tmp_path: Path, command: tuple[str, ...], colour: bool
) -> None:
    log = write_log(tmp_path / "mail.log", _lines())
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color"} if colour else {"NO_COLOR": "1"}
    env["COLUMNS"] = "300"  # tables wide enough that no cell folds inside a name
    done = mailwarden(*command, log, env=env)
    assert done.returncode == 0, done.stderr
    assert "198.51.100." in done.stdout
    _check(done.stdout)
    _check(done.stderr)


@pytest.mark.parametrize(
    "command", [("events", "--format", "jsonl"), ("analyze", "--format", "json")], ids=" ".join
)
def test_json_outputs_escape_every_control(tmp_path: Path, command: tuple[str, ...]) -> None:
    # C0, DEL (also on a line that is otherwise ASCII: one event per line), C1, bidi
    # and line separators: JSON lets them stand raw in a string; we write \uXXXX.
    log = write_log(tmp_path / "mail.log", _lines())
    done = mailwarden(*command, log)
    assert done.returncode == 0, done.stderr
    assert not any(c in done.stdout for c in FORBIDDEN)
    assert "del\\u007fx" in done.stdout


def test_the_daemon_log_and_status_escape_client_text(tmp_path: Path) -> None:
    with warden(tmp_path, fast_failures=1) as lab:
        daemon = lab.start()
        lab.append(restamp(_lines()))
        daemon.step()
        assert daemon.store.active_bans()
        document = status_document(daemon.store, daemon.config)
        outputs = "\n".join(lab.lines) + "\n" + status_text(document)
    for line in lab.lines:
        assert line.isprintable() and line.isascii(), repr(line)
    _check(outputs)


def test_a_manual_reason_is_escaped_in_status(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path}/db/m.db"\n[enforce]\nbackend = "none"\n[sources]\nfiles = ["{tmp_path}/m.log"]\n',
        encoding="utf-8",
    )
    done = mailwarden(
        "ban", "--config", config, "--reason", f"x{E}[2J\r[red]MARKUPX[/red]", "203.0.113.9"
    )
    assert done.returncode == 0, done.stderr
    _check(done.stdout + done.stderr)
    status = mailwarden("status", "--config", config)
    assert status.returncode == 0, status.stderr
    _check(status.stdout)
