# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The analyze report formats (text with rich, JSON), from analyses of our own log lines."""

from __future__ import annotations

import io
import json

from rich.console import Console

from mailwarden.cli.progress import BarProgress, progress_for
from mailwarden.detect import Analysis, analyze
from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse
from mailwarden.report import ReadSummary
from mailwarden.report.json import analysis_document, write_json
from mailwarden.report.text import first_last, headline, shown, write_text

SUMMARY = ReadSummary(inputs=("mail.log",), files=1, lines=1234, seconds=0.5, events=20)


def analysis_of(text: str) -> Analysis:
    framer = Framer(year=2026)
    events: list[Event] = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        for record in framer.frame_line(line.strip(), "mail.log", number, 0):
            events.extend(parse(record))
    return analyze(events)


BREAK_IN = "\n".join(
    [
        f"Feb 23 09:00:0{n} mx postfix/submission/smtpd[7001]: warning: unknown[203.0.113.99]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=carol@example.com"
        for n in range(5)
    ]
    + [
        "Feb 23 09:00:09 mx postfix/submission/smtpd[7001]: 4XyZ9: client=unknown[203.0.113.99], sasl_method=PLAIN, sasl_username=carol@example.com"
    ]
)
BRUTE_FORCE = "\n".join(
    f"Feb 23 09:00:0{n} mx postfix/submission/smtpd[7002]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: authentication failure, sasl_username=admin@example.com"
    for n in range(4)
)
EXPOSED = (
    "Feb 23 11:57:42 mx postfix/smtpd[32451]: connect from unknown[203.0.113.30]\n"
    "Feb 23 11:57:43 mx postfix/smtpd[32451]: Read 45 chars: AUTH PLAIN AGFkbWluQGV4YW1wbGUub3JnAHdpbG1h\n"
    "Feb 23 11:57:45 mx postfix/smtpd[32451]: warning: unknown[203.0.113.30]: SASL PLAIN authentication failed: \n"
)


def render(analysis: Analysis, terminal: bool = False, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=terminal,
        color_system="standard" if terminal else "auto",
    )
    write_text(analysis, SUMMARY, console, hint=lambda kind: f"mailwarden audit --check {kind}")
    return out.getvalue()


def test_headline_names_the_account_that_was_broken_into() -> None:
    top, read = headline(analysis_of(BREAK_IN), SUMMARY)
    assert top == (
        "Someone got in: carol@example.com was logged into from 203.0.113.99 after 5 failed logins."
    )
    assert read.startswith("Read 1,234 lines from 1 file in 0.5 s: 5 failed logins")


def test_headline_without_a_break_in() -> None:
    top, _ = headline(analysis_of(BRUTE_FORCE), SUMMARY)
    assert top == "Nobody got in. 1 client guessed passwords (1 brute force): ban them."
    top, read = headline(analysis_of(""), SUMMARY)
    assert top.startswith("No attack found") and read.endswith("in 0.5 s.")


def test_plain_output_has_no_escape_codes_and_no_trailing_blanks() -> None:
    text = render(analysis_of(BREAK_IN + "\n" + BRUTE_FORCE))
    assert "\x1b" not in text
    assert all(len(line) <= 80 and line == line.rstrip() for line in text.splitlines())
    assert "Compromised accounts" in text and "Attackers (2, worst first)" in text


def test_a_terminal_gets_colour() -> None:
    assert "\x1b[" in render(analysis_of(BREAK_IN), terminal=True)


def test_server_findings_name_the_audit_check_and_hide_the_password() -> None:
    text = render(analysis_of(EXPOSED))
    assert "Passwords in the log" in text
    assert "mailwarden audit --check credential_exposed" in text
    assert "wilma" not in text and "admin@example.org" in text


def test_client_text_is_escaped() -> None:
    assert shown("adm\x1b[2Jin") == "adm\\x1b[2Jin"
    assert shown("[bold]root") == "[bold]root"


def test_first_and_last_seen_stack_in_one_cell() -> None:
    analysis = analysis_of(BRUTE_FORCE)
    attacker = analysis.attackers[0]
    assert first_last(attacker.first_seen, attacker.last_seen) == "02-23 09:00"


def test_json_document_adds_reading_stats_audit_hints_and_problems() -> None:
    summary = ReadSummary(
        inputs=("mail.log.2.gz", "mail.log"),
        files=2,
        lines=99,
        recognised=7,
        events=9,
        seconds=0.25,
        problems=("mail.log.2.gz: truncated gzip archive after 50 lines; earlier lines were read",),
    )
    document = analysis_document(analysis_of(EXPOSED), summary, hint=lambda k: f"audit {k}")
    stats = document["stats"]
    assert (stats["lines_read"], stats["lines_recognised"], stats["seconds"]) == (99, 7, 0.25)
    kinds = {f["kind"]: f for f in document["findings"]}
    assert kinds["credential_exposed"]["audit"] == "audit credential_exposed"
    assert document["inputs"] == ["mail.log.2.gz", "mail.log"] and len(document["problems"]) == 1
    out = io.StringIO()
    analysis = analysis_of(EXPOSED + BRUTE_FORCE)
    write_json(analysis, summary, out, hint=lambda k: f"audit {k}")
    written = json.loads(out.getvalue())
    assert written == analysis_document(analysis, summary, hint=lambda k: f"audit {k}")
    assert len(written["attackers"]) == 2
    assert written["credentials"][0]["password"] != "wilma"


def test_progress_bar_only_on_a_terminal() -> None:
    assert progress_for(["mail.log"], journal=False, quiet=False, stream=io.StringIO()) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_for(["mail.log"], journal=False, quiet=True, stream=Terminal()) is None
    stream = Terminal()
    bar = progress_for(["-"], journal=False, quiet=False, stream=stream)
    assert isinstance(bar, BarProgress)
    bar.start("-")
    bar.advance("-", 8 << 20, 60_000)  # past the threshold: the bar appears
    bar.finish("-")
    bar.close()
    assert "lines" in stream.getvalue()
