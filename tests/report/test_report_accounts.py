"""The text report never cuts an account into another valid-looking one: a name too long
for its cell ends in ``…`` (the compromised ones are whole in the lines under the table),
and a name the log itself cut off (40 bytes of an AUTH payload) ends in ``…`` too."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from contract import split_values
from mailwarden.detect import Analysis, Attacker, Compromise, SeenCredential, Verdict
from mailwarden.model import Finding, Severity
from mailwarden.parsers.sasl import Credential
from mailwarden.report import ReadSummary
from mailwarden.report.text import write_text

LONG = "accounts-payable.department@subsidiary.example.com"
SECOND = "first.middle.lastname@marketing.example.com"
TARGETS = [f"first.middle.lastname{k}@marketing.example.com" for k in range(3)]
GUESSER = "2001:db8:c33:3:1111:2222:3333:4444"
CUT = "very.long.username.n"
"""What the log kept of ``very.long.username.number0@example.com``."""


def long_accounts() -> Analysis:
    when = datetime(2026, 2, 23, 9, 2, tzinfo=UTC)
    attackers = tuple(
        Attacker(
            ip=ip,
            network=None,
            verdict=Verdict.COMPROMISED,
            verdicts=(Verdict.COMPROMISED,),
            failures=6,
            users=(user,),
            first_seen=when,
            last_seen=when,
            succeeded_as=(user,),
            recommendation="ban",
        )
        for ip, user in ((GUESSER, LONG), ("203.0.113.9", SECOND))
    )
    credentials = (
        SeenCredential(
            "203.0.113.30",
            Credential("PLAIN", None, CUT, None, complete=False, user_complete=False),
            when,
            "mail.log",
            93,
        ),
        SeenCredential(
            "198.51.100.44",
            Credential("PLAIN", None, "billing.department@example.com", "pw", complete=True),
            when,
            "mail.log",
            101,
        ),
    )
    spray = Finding(
        "spray",
        Severity.HIGH,
        "1",
        data={
            "campaign": 1,
            "member_count": 2,
            "members": ["198.51.100.20", "198.51.100.21"],
            "targets": TARGETS,
            "failures": 6,
        },
    )
    return Analysis(
        attackers=attackers,
        compromised=tuple(
            Compromise(a.users[0], a.ip, when, 6, "logged in after guessing") for a in attackers
        ),
        credentials=credentials,
        findings=(spray,),
    )


def render(width: int) -> str:
    out = io.StringIO()
    summary = ReadSummary(inputs=("mail.log",), files=1, lines=120, seconds=0.1)
    write_text(long_accounts(), summary, Console(file=out, width=width))
    return out.getvalue()


KNOWN = {LONG, SECOND, *TARGETS, GUESSER, "203.0.113.9", "203.0.113.30", "198.51.100.44"}
KNOWN |= {"198.51.100.20", "198.51.100.21", "billing.department@example.com"}


@pytest.mark.parametrize("width", [80, 72, 60])
def test_accounts_are_whole_or_cut_with_an_ellipsis(width: int) -> None:
    text = render(width)
    assert split_values(text, KNOWN) == [], text
    assert all(len(line) <= width for line in text.splitlines()), text
    under_table = text.split("Compromised accounts", 1)[1].split("What to do now", 1)[0]
    assert f"• {LONG}:" in under_table and f"• {SECOND}:" in under_table


def test_a_username_the_log_cut_off_ends_in_an_ellipsis() -> None:
    table = render(80).split("Credentials seen in the log", 1)[1]
    assert f"{CUT}…" in table
    assert f"{CUT} " not in table


def test_one_soft_bounce_reply_says() -> None:
    finding = Finding("soft_bounce", Severity.MEDIUM, "soft_bounce", data={"replies": 1})
    out = io.StringIO()
    write_text(Analysis(findings=(finding,)), ReadSummary(), Console(file=out, width=80))
    assert "1 reply says 4xx" in out.getvalue()
