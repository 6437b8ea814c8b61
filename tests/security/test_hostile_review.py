# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""An adversarial review of what client text reaches: each test is an attack that worked.

- Invisible characters that Python calls printable (combining grapheme joiner, variation
  selectors, Hangul fillers) in a username: ``adm\\u034fin`` printed as ``admin``.
- C1 controls and Unicode line separators in JSON output: JSON lets them stand raw in a
  string, but U+009B is an 8-bit CSI to many terminals and U+0085/U+2028/U+2029 break
  ``str.splitlines()`` (and older JavaScript): one event became two lines.
- A carriage return inside the first line of a log file: the source then reads every
  ``\\r`` of the file as a line end, so a forged entry in a username became an entry of
  its own, and the daemon banned the address in it.
- An AUTH PLAIN payload without its leading NUL (``user NUL password``, a common client
  mistake): the password was decoded as the account name and printed everywhere.
- Usernames as long as the line limit: the detector's tables are capped in entries, but
  each entry kept the whole name, so memory grew with the bytes of the log.

"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from seclab import CLIENT, SERVER, VICTIM, banned, mailwarden, stamp, warden, write_log

# -- invisible characters ----------------------------------------------------------------

INVISIBLE = ["\u034f", "\ufe0f", "\u3164", "\u115f", "\U000e0101", "\u17b4", "\u180b", "\uffa0"]
"""Default-ignorable characters outside the control and format categories: a terminal
draws nothing (or a blank), so the name looks like another."""


def _invisible_lines() -> list[str]:
    out = []
    for n, char in enumerate(INVISIBLE):
        name = f"adm{char}in"
        ip = f"198.51.100.{n + 1}"
        for k in range(3):
            out.append(
                f"Feb 23 11:57:{10 + k:02d} mx postfix/submission/smtpd[{100 + n}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}"
            )
        out.append(
            f"Feb 23 11:58:10 mx dovecot: imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<{name}>, method=PLAIN, rip=198.51.100.{n + 50}, lip={SERVER}, TLS, session=<inv{n}>"
        )
        payload = base64.b64encode(f"\0{name}\0pw{n}".encode()).decode()
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: connect from unknown[198.51.100.{n + 100}]"
        )
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: < unknown[198.51.100.{n + 100}]: AUTH PLAIN {payload}"
        )
        out.append(
            f"Feb 23 11:58:13 mx postfix/smtpd[{400 + n}]: warning: unknown[198.51.100.{n + 100}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}"
        )
    return out


@pytest.mark.parametrize(
    "command",
    [
        ("explain",),
        ("explain", "--lang", "zh_CN"),
        ("explain", "--show-passwords"),
        ("events",),
        ("analyze",),
    ],
    ids=" ".join,
)
def test_an_invisible_character_cannot_make_a_name_look_like_another(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = write_log(tmp_path / "mail.log", _invisible_lines())
    done = mailwarden(*command, log, env={"NO_COLOR": "1", "COLUMNS": "300"})
    assert done.returncode == 0, done.stderr
    assert "198.51.100." in done.stdout
    shown = [f"U+{ord(c):04X}" for c in INVISIBLE if c in done.stdout + done.stderr]
    assert shown == []


def test_the_explanation_layout_escapes_whatever_a_block_holds() -> None:
    """The net under every sentence explain builds: a block that quotes client text
    without escaping it still prints nothing a terminal would act on."""
    from mailwarden.explain import write
    from mailwarden.explain.document import Entry, Heading, Item, Paragraph

    hostile = "a\x1b]8;;https://evil.example/\x1b\\b\x9b2J\u202ec\u2028d\u034fe\rf"
    blocks = [
        Heading(hostile),
        Paragraph(hostile),
        Item("•", hostile),
        Entry("11:57:10", hostile, hostile),
    ]
    out = io.StringIO()
    write(blocks, out, width=100)
    text = out.getvalue()
    assert text.count("\\x1b") >= 8  # the text is there, escaped
    for char in ("\x1b", "\x9b", "\u202e", "\u2028", "\u034f", "\r"):
        assert char not in text, repr(char)


# -- JSON: one line per event, nothing a terminal acts on --------------------------------

SEPARATORS = ["\x85", "\x9b", "\u2028", "\u2029", "\x9d"]
"""Legal raw inside a JSON string; line ends to str.splitlines() (U+0085, U+2028,
U+2029) or 8-bit CSI/OSC to a terminal (U+009B, U+009D)."""


def _journal_lines() -> list[str]:
    """Journal JSON (the only way these reach us: journald keeps what the server sent),
    three failures a name so that each client is an attacker."""
    out = []
    for n, char in enumerate(SEPARATORS):
        for k in range(3):
            message = f"imap-login: Disconnected (auth failed, 3 attempts in 2 secs): user=<x{char}y>, method=PLAIN, rip=198.51.100.{n + 1}, lip={SERVER}, TLS, session=<sep{n}x{k}>"
            out.append(
                json.dumps(
                    {
                        "MESSAGE": message,
                        "SYSLOG_IDENTIFIER": "dovecot",
                        "__REALTIME_TIMESTAMP": f"17718478300000{k:02d}",
                    },
                    separators=(",", ":"),
                )
            )
    return out


def _check_json_text(text: str) -> None:
    raw = [f"U+{ord(c):04X}" for c in SEPARATORS if c in text]
    assert raw == [], "raw in the JSON text"


def test_events_jsonl_is_one_line_per_event_whatever_the_name(tmp_path: Path) -> None:
    log = write_log(tmp_path / "journal.json", _journal_lines())
    done = mailwarden("events", "--format", "jsonl", log)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.split("\n") if line]
    assert len(events) == 3 * len(SEPARATORS)
    assert {e["user"] for e in events} == {f"x{c}y" for c in SEPARATORS}  # the values stay
    assert len(done.stdout.splitlines()) == len(events)
    _check_json_text(done.stdout)


def test_analyze_json_carries_no_raw_c1_control_or_line_separator(tmp_path: Path) -> None:
    log = write_log(tmp_path / "journal.json", _journal_lines())
    done = mailwarden("analyze", "--format", "json", log)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert len(document["attackers"]) == len(SEPARATORS)
    _check_json_text(done.stdout)


def test_the_librarys_json_writer_keeps_client_text_on_its_line(tmp_path: Path) -> None:
    """``Analysis.write_json`` (the library's streaming writer)."""
    from mailwarden.detect import analyze
    from mailwarden.pipeline import Counts, ReadOptions, read_events

    log = write_log(tmp_path / "journal.json", _journal_lines())
    pairs = read_events([str(log)], ReadOptions(), Counts())
    analysis = analyze(event for _record, events in pairs for event in events)
    out = io.StringIO()
    analysis.write_json(out)
    text = out.getvalue()
    document = json.loads(text)
    assert {user for a in document["attackers"] for user in a["users"]} == {
        f"x{c}y" for c in SEPARATORS
    }
    _check_json_text(text)


# -- a carriage return in the first line -------------------------------------------------


def _carriage_return_lines(now: str) -> list[str]:
    """Dovecot names holding CR and a whole forged entry, the first of them first in a
    fresh log (after a rotation, any client can be first), then ordinary lines. Dovecot,
    Postfix and rsyslog escape CR; a logger that does not (syslog-ng's default, a program
    writing its own file) leaves it raw. Dovecot cuts the name at 80 bytes (str_sanitize),
    so the forged entry starts inside it."""
    forged = f"{now} mx postfix/smtpd[9]: warning: unknown[{VICTIM}]: SASL PLAIN authentication failed: x"
    names = [
        f"{now} mx dovecot: imap-login: Disconnected (no auth attempts in 0 secs): user=<x\r{forged}>, rip={CLIENT}, lip={SERVER}, session=<cr{k}>"
        for k in range(5)
    ]
    rest = [
        f"{now} mx postfix/smtpd[{20 + k}]: warning: unknown[198.51.100.8]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=u{k}"
        for k in range(4)
    ]
    return [*names, *rest]


@pytest.mark.parametrize("command", ["events", "analyze"])
def test_a_carriage_return_in_the_first_line_forges_no_entry(tmp_path: Path, command: str) -> None:
    log = write_log(tmp_path / "mail.log", _carriage_return_lines("Feb 23 11:57:10"))
    done = mailwarden(command, "--format", "jsonl" if command == "events" else "json", log)
    assert done.returncode == 0, done.stderr
    assert "198.51.100.8" in done.stdout  # the ordinary lines are read
    if command == "events":
        ips = {json.loads(line)["ip"] for line in done.stdout.split("\n") if line}
        assert VICTIM not in ips
    else:
        attackers = {a["ip"] for a in json.loads(done.stdout)["attackers"]}
        assert VICTIM not in attackers


def test_the_daemon_never_bans_an_address_written_after_a_carriage_return(
    tmp_path: Path,
) -> None:
    with warden(tmp_path, fast_failures=3) as lab:
        daemon = lab.start()
        lab.append(_carriage_return_lines(stamp()))
        daemon.step()
        bans = banned(daemon)
    assert "198.51.100.8/32" in bans  # the ordinary lines count
    assert f"{VICTIM}/32" not in bans


# -- AUTH PLAIN without the leading NUL --------------------------------------------------

PASSWORD = "Tr0ub4dor&3x"
"""In the payloads below; base64 of ``user NUL password`` with and without padding."""


def _one_nul_lines() -> list[str]:
    padded = base64.b64encode(f"alice@example.org\0{PASSWORD}9".encode()).decode()
    unpadded = base64.b64encode(f"alice@example.org\0{PASSWORD}".encode()).decode()
    assert padded.endswith("=") and not unpadded.endswith("=")
    out = []
    for n, (line, payload) in enumerate(
        [("chat", padded), ("chat", unpadded), ("dump", padded), ("dump", unpadded)]
    ):
        pid, ip = 70 + n, f"198.51.100.{70 + n}"
        shown = (
            f"< unknown[{ip}]: AUTH PLAIN {payload}"
            if line == "chat"
            else f"Read {len(payload) + 13} chars: AUTH PLAIN {payload}??"
        )
        out += [
            f"Feb 23 11:57:1{n} mx postfix/smtpd[{pid}]: connect from unknown[{ip}]",
            f"Feb 23 11:57:1{n} mx postfix/smtpd[{pid}]: {shown}",
            f"Feb 23 11:57:1{n} mx postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: UGFzc3dvcmQ6",
            f"Feb 23 11:57:1{n} mx postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        ]
    return out


@pytest.mark.parametrize(
    "command",
    [
        ("explain",),
        ("explain", "--lang", "zh_CN"),
        ("events",),
        ("events", "--format", "jsonl"),
        ("analyze",),
        ("analyze", "--format", "json"),
    ],
    ids=" ".join,
)
def test_a_password_sent_without_the_leading_nul_is_never_shown_as_the_account(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = write_log(tmp_path / "mail.log", _one_nul_lines())
    done = mailwarden(*command, log)
    assert done.returncode == 0, done.stderr
    assert "198.51.100.7" in done.stdout
    assert PASSWORD[:6] not in done.stdout + done.stderr


def test_show_passwords_shows_a_password_sent_without_the_leading_nul(tmp_path: Path) -> None:
    """The control: the payloads do hold the password, and the account is the first part."""
    log = write_log(tmp_path / "mail.log", _one_nul_lines())
    done = mailwarden("explain", "--show-passwords", log)
    assert PASSWORD in done.stdout
    assert "alice@example.org" in done.stdout


# -- memory: long names ------------------------------------------------------------------


def _distinct_names(path: Path, count: int, length: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            name = (f"u{i:06d}" * (length // 7 + 1))[:length]
            out.write(
                f"Feb 23 11:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtpd[{i % 3000}]: warning: unknown[198.51.100.{i % 200}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={name}\n"
            )
    return path


def test_long_usernames_are_kept_cut_so_memory_does_not_grow_with_them(
    tmp_path: Path,
) -> None:
    """The detector's tables are capped in entries; each entry keeps at most 256
    characters of a name (measured: 5,000 distinct 8,000-character names cost 78 MB more
    than short ones before, 8 MB after). Peak memory itself is for benchmarks/."""
    log = _distinct_names(tmp_path / "long.log", 300, 8000)
    done = mailwarden("analyze", "--format", "json", log)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    names = [u for a in report["attackers"] for u in a["users"]]
    names += [
        item["user"]
        for f in report["findings"]
        for item in f.get("data", {}).get("most_tried", ())
        if isinstance(item, dict)
    ]
    assert names, "the guessing is found"
    assert all(len(name) <= 256 for name in names)
    assert any(name.endswith("…") for name in names)
