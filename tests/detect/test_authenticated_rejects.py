"""Logins that only a reject line shows, and Cyrus SASL's second line of each attempt,
through the parsers and the detector as ``mailwarden analyze`` runs them.

Lines follow the shared reference (§1.2 Cyrus's callback line, §1.3 and §1.5 the SASL
trailer of a reject line); attackers come from the documentation ranges.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from mailwarden.detect.analysis import Analysis, Verdict
from mailwarden.detect.rules import analyze
from mailwarden.model import Event
from mailwarden.pipeline import Counts, ReadOptions, read_events

GUESSER = "192.0.2.122"
USER = "erin@example.com"


def _analysis(tmp_path: Path, lines: list[str]) -> Analysis:
    path = tmp_path / "mail.log"
    path.write_text("\n".join(lines) + "\n")
    found: list[Event] = []
    for _record, parsed in read_events([str(path)], ReadOptions(year=2026, tz=UTC), Counts()):
        found.extend(parsed)
    return analyze(found)


def _guesses(ip: str = GUESSER, user: str = USER, count: int = 6, pid: int = 20067) -> list[str]:
    """``count`` sessions of one failed AUTH each (Postfix 3.9 names the user)."""
    lines = []
    for n in range(count):
        at = f"Mar 10 10:{n:02d}"
        tag = f"mx postfix/submission/smtpd[{pid + n}]:"
        lines += [
            f"{at}:00 {tag} connect from unknown[{ip}]",
            f"{at}:02 {tag} warning: unknown[{ip}]: SASL PLAIN authentication failed: "
            f"(reason unavailable), sasl_username={user}",
            f"{at}:06 {tag} disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3",
        ]
    return lines


def _rejected(
    helo: str = "x", after: str = "", stats: str = "", ip: str = GUESSER, pid: int = 20100
) -> list[str]:
    """A session whose only trace of its login is the SASL trailer of a reject line (no
    message was accepted, so there is no ``client=…, sasl_method=`` line)."""
    tag = f"mx postfix/submission/smtpd[{pid}]:"
    return [
        f"Mar 10 10:30:00 {tag} connect from unknown[{ip}]",
        f"Mar 10 10:30:01 {tag} NOQUEUE: reject: RCPT from unknown[{ip}]: 553 5.7.1 "
        f"<{USER}>: Sender address rejected: not owned by user {USER}; from=<{USER}> "
        f"to=<spam@target.example> proto=ESMTP helo=<{helo}>{after}",
        f"Mar 10 10:30:03 {tag} disconnect from unknown[{ip}]{stats}",
    ]


TRAILER = f" sasl_method=PLAIN sasl_username={USER}"
"""What Postfix writes after ``helo=<…>`` when the session logged in."""


def test_a_login_only_a_reject_line_shows_is_the_guessed_password(tmp_path: Path) -> None:
    result = _analysis(tmp_path, _guesses() + _rejected(after=TRAILER))
    assert [(c.ip, c.user, c.failures_before) for c in result.compromised] == [(GUESSER, USER, 6)]
    attacker = result.attacker(GUESSER)
    assert attacker is not None and attacker.verdict is Verdict.COMPROMISED


def test_the_reject_line_names_the_account_the_statistics_do_not(tmp_path: Path) -> None:
    stats = " ehlo=1 auth=1 mail=1 rcpt=0/1 quit=1 commands=4/5"
    result = _analysis(tmp_path, _guesses() + _rejected(after=TRAILER, stats=stats))
    # Not "(the log does not say as whom)": the trailer says it.
    assert [(c.ip, c.user) for c in result.compromised] == [(GUESSER, USER)]


def test_rejects_of_a_logged_in_user_are_no_scanner(tmp_path: Path) -> None:
    office = "198.51.100.90"
    lines = []
    for n in range(5):
        tag = f"mx postfix/submission/smtpd[{20010 + n}]:"
        at = f"Mar 10 10:{5 * n:02d}"
        lines += [
            f"{at}:00 {tag} connect from unknown[{office}]",
            f"{at}:01 {tag} NOQUEUE: reject: RCPT from unknown[{office}]: 550 5.1.1 "
            "<bbo@example.com>: Recipient address rejected: User unknown in virtual mailbox "
            "table; from=<alice@example.com> to=<bbo@example.com> proto=ESMTP "
            "helo=<[192.168.1.5]> sasl_method=PLAIN sasl_username=alice@example.com",
            f"{at}:02 {tag} disconnect from unknown[{office}] ehlo=1 auth=1 mail=1 rcpt=0/1 "
            "quit=1 commands=4/5",
        ]
    result = _analysis(tmp_path, lines)
    assert result.attackers == ()
    assert result.compromised == ()


def test_a_trailer_forged_in_the_helo_name_is_no_login(tmp_path: Path) -> None:
    other = "203.0.113.7"
    # helo=<x> sasl_method=PLAIN sasl_username=erin@example.com>, and with the closing
    # ">" as an empty sasl_sender's value.
    forged = _rejected(f"x>{TRAILER}", pid=20100)
    forged_too = _rejected(f"x>{TRAILER} sasl_sender=", pid=20101)
    real = _rejected(after=TRAILER, ip=other, pid=20102)
    lines = _guesses() + _guesses(other, pid=20200) + forged + forged_too + real
    result = _analysis(tmp_path, lines)
    # Only the client whose line Postfix ended with the trailer got in.
    assert [(c.ip, c.user) for c in result.compromised] == [(other, USER)]
    attacker = result.attacker(GUESSER)
    assert attacker is not None and attacker.verdict is not Verdict.COMPROMISED
    assert attacker.succeeded_as == ()


def test_a_login_forged_with_an_unclosed_auth_parameter_does_not_shield_a_guesser(
    tmp_path: Path,
) -> None:
    """``MAIL FROM:<…> AUTH="x> sasl_method=PLAIN sasl_username=erin…`` ends the reject
    line like a login's trailer (Postfix logs sasl_sender= for it without a login): the
    guesses after it were taken for erin's phone with an old password, never banned."""
    forged = [
        line.replace("Mar 10 10:30:", "Mar 10 09:59:")
        for line in _rejected(after=f' sasl_sender="x>{TRAILER}', pid=20100)
    ]
    lines = forged + _guesses(count=40, pid=20300)
    result = _analysis(tmp_path, lines)
    assert result.compromised == ()
    attacker = result.attacker(GUESSER)
    assert attacker is not None and attacker.recommendation == "ban", attacker


def _cyrus(connect: bool) -> list[str]:
    """Five guesses on port 25 with Cyrus SASL: each attempt is Cyrus's own line (no
    address) and Postfix's line after it."""
    ip, tag = "192.0.2.131", "mx postfix/smtpd[20021]:"
    lines = [f"Mar 10 10:00:00 {tag} connect from unknown[{ip}]"] if connect else []
    for n in range(5):
        at = f"Mar 10 10:00:{2 * n + 1:02d}"
        lines += [
            f"{at} {tag} warning: SASL authentication failure: Password verification failed",
            f"{at} {tag} warning: unknown[{ip}]: SASL PLAIN authentication failed: "
            "authentication failure, sasl_username=bob",
        ]
    end = f"disconnect from unknown[{ip}] ehlo=1 auth=0/5 commands=1/6"
    lines.append(f"Mar 10 10:00:20 {tag} {end}")
    return lines


def test_cyrus_attempts_are_counted_once_on_the_mx_port(tmp_path: Path) -> None:
    result = _analysis(tmp_path, _cyrus(connect=True))
    attacker = result.attacker("192.0.2.131")
    assert attacker is not None and attacker.failures == 5
    (finding,) = result.findings_of("auth_on_port_25")
    assert finding.data["attempts"] == 5


def test_cyrus_line_before_any_address_joins_its_session(tmp_path: Path) -> None:
    # The log begins inside the session: the first line of it names no client.
    result = _analysis(tmp_path, _cyrus(connect=False))
    assert not any("named no client address" in note for note in result.notes)
    assert result.stats["unattributed_failures"] == 0
    attacker = result.attacker("192.0.2.131")
    assert attacker is not None and attacker.failures == 5
