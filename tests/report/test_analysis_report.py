# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The analyze report formats (text with rich, JSON), from analyses of our own log lines."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from mailwarden.cli.progress import BarProgress, progress_for
from mailwarden.config import PolicyConfig
from mailwarden.detect import Analysis, Attacker, Compromise, SeenCredential, Verdict, analyze
from mailwarden.framing import Framer
from mailwarden.model import Event, Finding
from mailwarden.parsers import parse
from mailwarden.parsers.sasl import Credential
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


def test_headline_of_a_login_only_others_guessed_before_asks_the_owner() -> None:
    others = BREAK_IN.replace("203.0.113.99", "192.0.2.7").rsplit("\n", 1)[0]
    login = (
        "Feb 23 09:00:30 mx postfix/submission/smtpd[7009]: 5AbC1: client=unknown[198.51.100.8],"
        " sasl_method=PLAIN, sasl_username=carol@example.com"
    )
    top, _ = headline(analysis_of(others + "\n" + login), SUMMARY)
    assert top == (
        "Maybe someone got in: carol@example.com was logged into from 198.51.100.8 after 5 "
        "failed logins by other clients. Ask the owner whether it was them."
    )


def test_headline_without_a_break_in() -> None:
    top, _ = headline(analysis_of(BRUTE_FORCE), SUMMARY)
    assert top == "Nobody got in. 1 client guessed passwords (1 brute force): ban it."
    two = BRUTE_FORCE + "\n" + BRUTE_FORCE.replace("192.0.2.7", "192.0.2.8")
    top, _ = headline(analysis_of(two), SUMMARY)
    assert top == "Nobody got in. 2 clients guessed passwords (2 brute force): ban them."
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


# -- addresses are never split across lines ------------------------------------------------

PHONE = "2001:db8:100:7a:8d3f:21c4:5e6b:1c09"
SPRAYERS = (
    "2001:db8:a11:1:1234:5678:9abc:def0",
    "2001:db8:a11:1::17",
    "2001:db8:b22:2:5e4f::e3",
    "203.0.113.61",
)
GUESSER = "2001:db8:c33:3:1111:2222:3333:4444"
NETWORK = "2001:db8:a11:1::/64"
WIDE_NETWORK = "2001:db8:a11:1:1234:5678:9abc:de00/120"
IPV6_TOKEN = re.compile(r"[0-9A-Fa-f]*(?::[0-9A-Fa-f]*){2,}(?:/[0-9]+)?")


def long_addresses() -> Analysis:
    """Every section of the report that names an address, with long IPv6 ones."""
    t0 = datetime(2026, 3, 10, 6, 25, tzinfo=UTC)
    later = t0 + timedelta(hours=12)

    def attacker(ip: str, verdict: Verdict, **fields: Any) -> Attacker:
        values: dict[str, Any] = {
            "network": None,
            "verdicts": (verdict,),
            "failures": 3,
            "users": ("carol@example.com",),
            "first_seen": t0,
            "last_seen": later,
            "succeeded_as": (),
            "recommendation": "ban",
        }
        values.update(fields)
        return Attacker(ip=ip, verdict=verdict, **values)

    attackers = (
        attacker(GUESSER, Verdict.COMPROMISED, users=("sales@example.com",)),
        *(attacker(ip, Verdict.SPRAY_MEMBER, network=NETWORK) for ip in SPRAYERS[:2]),
        attacker(SPRAYERS[2], Verdict.SPRAY_MEMBER, network=WIDE_NETWORK),
        attacker(SPRAYERS[3], Verdict.SPRAY_MEMBER),
        attacker(
            PHONE,
            Verdict.STALE_PASSWORD,
            failures=0,
            users=(),
            stale_failures=13,
            succeeded_as=("grace@example.com",),
            recommendation="none (stale password of a real user)",
        ),
    )
    credential = Credential("PLAIN", None, "jobs@example.com", "Summer2026", complete=True)
    findings = (
        Finding(
            "spray",
            "high",
            "1",
            data={
                "campaign": 1,
                "member_count": 4,
                "members": list(SPRAYERS),
                "targets": ["carol@example.com", "office@example.com"],
                "failures": 12,
            },
        ),
        Finding(
            "network",
            "high",
            NETWORK,
            data={"member_count": 4, "failures": 9, "recommendation": "ban"},
        ),
        Finding(
            "network",
            "high",
            WIDE_NETWORK,
            data={"member_count": 2, "failures": 5, "recommendation": "ban"},
        ),
        Finding(
            "stale_password",
            "info",
            PHONE,
            data={"users": ["grace@example.com"], "failures": 13},
        ),
    )
    return Analysis(
        attackers=attackers,
        compromised=(Compromise("sales@example.com", GUESSER, later, 6, "logged in"),),
        credentials=(SeenCredential(GUESSER, credential, t0, "mail.log", 1239),),
        findings=findings,
    )


@pytest.mark.parametrize("width", [80, 72, 60])
def test_addresses_and_networks_are_never_split_across_lines(width: int) -> None:
    analysis = long_addresses()
    known = {GUESSER, PHONE, NETWORK, WIDE_NETWORK, *SPRAYERS}
    text = render(analysis, width=width)
    # A cut address leaves a piece on each line, and the first piece of
    # 2001:db8:a11:1::17 (2001:db8:a11:1::1) is itself a valid, different address.
    tokens = {
        t[:-1] if t.endswith(":") and not t.endswith("::") else t for t in IPV6_TOKEN.findall(text)
    }
    pieces = tokens - known
    assert not pieces, text
    for address in known:
        assert re.search(rf"(?<![0-9a-f:]){re.escape(address)}(?![0-9a-f:/])", text), address
    assert all(len(line) <= width for line in text.splitlines()), text
    # Each table still names every address, one a line, whole.
    lines = [line.strip() for line in text.splitlines()]
    assert GUESSER in lines and WIDE_NETWORK in lines


def test_a_short_address_stays_in_its_column_and_a_long_one_goes_above_its_row() -> None:
    lines = render(long_addresses(), width=80).splitlines()
    row = next(line for line in lines if line.startswith("2001:db8:a11:1::17 "))
    assert "spraying" in row
    hung = lines.index(SPRAYERS[2])  # the attackers table: the address alone, then its row
    assert lines[hung + 2].startswith(" ") and "spraying" in lines[hung + 2]


def test_a_phone_with_an_old_password_is_no_hostile_client() -> None:
    # The headline and the attackers table count only hostile clients; the phone of a
    # real user is told under "Not attacks", once.
    text = render(long_addresses(), width=80)
    assert "15 failed logins from 5 hostile clients." in text
    attackers = text.split("Attackers (5, worst first)", 1)[1].split("Password spraying", 1)[0]
    assert PHONE not in attackers and "stale" not in attackers
    not_attacks = text.split("Not attacks (never recommended for a ban)", 1)[1]
    assert f"{PHONE} failed to log in as grace@example.com 13 times" in " ".join(
        not_attacks.split()
    )
    assert text.count(PHONE) == 1


def test_an_address_wider_than_the_whole_line_is_printed_whole() -> None:
    """At 30 columns nothing fits: the address still stays whole (the line is longer)."""
    lines = [line.strip() for line in render(long_addresses(), width=30).splitlines()]
    for address in (GUESSER, WIDE_NETWORK):
        assert address in lines, address
    assert "• " + PHONE in lines  # the "Not attacks" item starts with it


def test_the_stale_password_item_names_the_account() -> None:
    """The phone's failures are not guesses (``users`` is empty), but its account is
    known: "Not attacks" names it, at every width."""
    for width in (120, 80, 60):
        text = " ".join(render(long_addresses(), width=width).split())
        assert f"• {PHONE} failed to log in as grace@example.com 13 times" in text


def test_a_name_that_could_pass_for_two_or_for_log_text_is_quoted() -> None:
    from mailwarden.report.text import account, names

    forged = "u0>, method=plain, rip=198.51.100.9"
    assert account("alice@example.com") == "alice@example.com"  # the usual name: bare
    assert account(forged) == f"“{forged}”"
    assert names(["alice@example.com", forged, "bob"], 3) == (f"alice@example.com, “{forged}”, bob")
    assert account("\x1b[2Jx y") == "“\\x1b[2Jx y”"  # escaped, then quoted


def test_quotes_inside_a_quoted_name_are_escaped() -> None:
    # Found by review: “x”, “admin@example.com” read as two names.
    from mailwarden.report.text import account

    assert account("x”, “admin@example.com") == "“x\\u201d, \\u201cadmin@example.com”"


def _usernames_tried(existing: list[str]) -> str:
    from mailwarden.model import Severity
    from mailwarden.report.text import enumeration_section

    data = {
        "usernames_tried": 2,
        "most_tried": [{"user": "gina@example.com", "failures": 6}],
        "existing_count": len(existing),
        "existing": existing,
        "accounts_file": "users.txt",
    }
    finding = Finding("enumeration", Severity.MEDIUM, "usernames", (), data)
    out = io.StringIO()
    Console(file=out, width=80).print(*enumeration_section([finding]))
    return " ".join(out.getvalue().split())


def test_no_real_account_among_the_names_tried_is_said_in_words() -> None:
    assert "None of them is a real account (users.txt)." in _usernames_tried([])
    one = _usernames_tried(["gina@example.com"])
    assert "1 of them is a real account (users.txt): gina@example.com" in one


def test_an_allow_listed_attacker_is_not_listed_under_not_attacks_alone() -> None:
    lines = [
        f"Feb 23 09:00:0{n} mx postfix/submission/smtpd[7001]: warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=admin@example.com"
        for n in range(5)
    ]
    framer = Framer(year=2026)
    events = [
        e
        for n, line in enumerate(lines, 1)
        for r in framer.frame_line(line, "m", n, 0)
        for e in parse(r)
    ]
    import ipaddress

    policy = PolicyConfig(allow=(ipaddress.ip_network("192.0.2.0/24"),))
    text = render(analyze(events, policy))
    assert "Not attacks, and clients never banned (never recommended for a ban)" in text
    assert "192.0.2.7 (brute force, 5 failures) is never banned" in " ".join(text.split())
    assert "webmail" not in text  # the hint is for guesses from this machine itself


def test_a_device_whose_failures_name_no_account_is_said_as_such() -> None:
    logins = [
        f"Feb 23 08:{m:02d}:00 mx dovecot: imap-login: Login: user=<alice@example.com>, "
        f"method=PLAIN, rip=203.0.113.45, lip=192.0.2.1, mpid={900 + m}, TLS, "
        f"session=<aBcDeFgH{m:02d}jKlMnO>"
        for m in range(0, 60, 10)
    ]
    failures = [
        f"Feb 23 09:{m:02d}:00 mx postfix/submission/smtpd[{7100 + m}]: warning: "
        "unknown[203.0.113.45]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
        for m in range(0, 60, 5)
    ]
    out = render(analysis_of("\n".join(logins + failures)))
    assert "203.0.113.45 failed to log in 12 times (the log names no account;" in " ".join(
        out.split()
    )
    assert "alice@example.com logs in from there): a phone or mail client" in " ".join(out.split())


def test_guessing_through_a_webmail_on_this_machine_says_how_to_see_the_guesser() -> None:
    # Roundcube on the mail server logs in to Dovecot over loopback: the guesses behind
    # it arrive as rip=127.0.0.1, which is never banned. The administrator is told why
    # nothing can be banned and how to make Dovecot log the real address.
    lines = [
        f"Feb 23 09:00:{n:02d} mx dovecot: imap-login: Disconnected: Connection closed "
        f"(auth failed, 1 attempts in 2 secs): user=<user{n % 7}@example.org>, method=PLAIN, "
        f"rip=127.0.0.1, lip=127.0.0.1, secured, session=<web{n}>"
        for n in range(30)
    ]
    framer = Framer(year=2026)
    events = [
        e
        for n, line in enumerate(lines, 1)
        for r in framer.frame_line(line, "m", n, 0)
        for e in parse(r)
    ]
    text = " ".join(render(analyze(events, PolicyConfig())).split())
    assert "127.0.0.1 (brute force, 30 failures) is never banned: loopback." in text
    assert "a webmail (Roundcube, SOGo) or a proxy" in text
    assert "login_trusted_networks" in text


def privacy_phone(laptop: str) -> str:
    """bob's laptop logs in from ``laptop``; his phone, with the old password, fails from
    a new privacy address of 2001:db8:5:7::/64 every two hours (Dovecot 2.3, Postfix 3.9
    with Dovecot SASL)."""
    lines = [
        f"Feb 23 09:00:00 mx dovecot: imap-login: Login: user=<bob@example.org>, method=PLAIN, rip={laptop}, lip=192.0.2.254, mpid=5151, TLS, session=<Lp0>"
    ]
    for n in range(6):
        ip = f"2001:db8:5:7:8d3f:21c4:5e6b:{0xA1 + n * 0x11:x}"
        hour = 10 + 2 * n
        if n % 2:
            lines += [
                f"Feb 23 {hour}:00:00 mx postfix/submission/smtpd[{7100 + n}]: connect from unknown[{ip}]",
                f"Feb 23 {hour}:00:01 mx postfix/submission/smtpd[{7100 + n}]: warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=bob@example.org",
                f"Feb 23 {hour}:00:02 mx postfix/submission/smtpd[{7100 + n}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
            ]
        else:
            lines += [
                f"Feb 23 {hour}:00:00 mx dovecot: auth: passwd-file(bob@example.org,{ip},<Ph{n}>): Password mismatch",
                f"Feb 23 {hour}:00:02 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob@example.org>, method=PLAIN, rip={ip}, lip=192.0.2.254, TLS, session=<Ph{n}>",
            ]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("laptop", "where"),
    [
        ("2001:db8:5:7::1e", "that network"),  # the laptop in the phone's /64
        ("2001:db8:5:1::1e", "2001:db8:5::/48"),  # in another /64 of its /48
    ],
)
def test_a_phone_on_privacy_addresses_is_one_item_under_not_attacks(
    laptop: str, where: str
) -> None:
    analysis = analysis_of(privacy_phone(laptop))
    for width in (120, 80, 60):
        text = render(analysis, width=width)
        assert all(len(line) <= width for line in text.splitlines()), text
        flat = " ".join(text.split())
        assert flat.startswith("No attack found: nobody guessed passwords."), text
        assert "Attackers" not in flat and "Networks attacking together" not in flat
        item = flat.split("Not attacks (never recommended for a ban) ", 1)[1]
        assert item == (
            "• 2001:db8:5:7::/64 (6 addresses) failed to log in as bob@example.org 6 times, "
            f"an account logged in as from {where}: a phone or mail client with an old "
            "password whose address changes (IPv6 privacy addresses). Update the password "
            "on that device."
        ), text
    document = analysis_document(analysis, SUMMARY)
    (device,) = document["findings"]
    assert device["kind"] == "stale_password" and device["subject"] == "2001:db8:5:7::/64"
    assert device["data"]["member_count"] == 6 and device["data"]["failures"] == 6
    assert device["data"]["members"][0] == "2001:db8:5:7:8d3f:21c4:5e6b:a1"
    assert device["data"]["logged_in_from"] == (
        "2001:db8:5::/48" if ":1::" in laptop else "2001:db8:5:7::/64"
    )
    assert {a["recommendation"] for a in document["attackers"]} == {
        "none (stale password of a real user)"
    }
