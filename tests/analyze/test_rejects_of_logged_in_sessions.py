"""Reject lines of smtpd sessions that logged in, as ``mailwarden analyze`` reports them.

Postfix ends a reject line of a session that logged in with `` sasl_method=M
sasl_username=U`` (shared reference §1.5, log_whatsup()); the account U may hold spaces.
Older Postfix writes no such trailer: the session's ``client=…, sasl_username=`` line (at
its first accepted recipient) or the ``auth=1`` of its statistics show the login. A reject
of such a session refused what the account holder asked for (relay denied, an unknown
recipient): no policy violation of the address, no scanner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clirunner import Runner, analyze_json

GUESSER = "192.0.2.122"
OFFICE = "198.51.100.90"
OTHER = "203.0.113.7"
LOST = "203.0.113.8"
LAST = "203.0.113.9"


def _attacker(report: dict[str, Any], ip: str) -> dict[str, Any] | None:
    found = [a for a in report["attackers"] if a["ip"] == ip]
    return found[0] if found else None


def _session(ip: str, pid: int, minute: int, middle: list[str], stats: str) -> list[str]:
    tag = f"mx postfix/submission/smtpd[{pid}]:"
    at = f"Mar 10 10:{minute:02d}"
    lines = [f"{at}:00 {tag} connect from unknown[{ip}]"]
    lines += [f"{at}:{n + 1:02d} {tag} {text}" for n, text in enumerate(middle)]
    lines.append(f"{at}:50 {tag} disconnect from unknown[{ip}] {stats}")
    return lines


def _relay(ip: str, n: int, trailer: str = "", helo: str = "pc") -> str:
    return (
        f"NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <spam{n}@target.example>: Relay "
        f"access denied; from=<alice@example.com> to=<spam{n}@target.example> proto=ESMTP "
        f"helo=<{helo}>{trailer}"
    )


def _guesses(ip: str, user: str, pid: int) -> list[str]:
    fail = (
        f"warning: unknown[{ip}]: SASL PLAIN authentication failed: (reason unavailable), "
        f"sasl_username={user}"
    )
    return _session(ip, pid, 0, [fail] * 6, "ehlo=1 auth=0/6 quit=1 commands=2/8")


def test_a_guessed_login_with_a_space_in_its_name_is_named(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Only the trailer of the reject line shows the login (no message was accepted).
    trailer = " sasl_method=PLAIN sasl_username=john smith"
    lines = _guesses(GUESSER, "john smith", 20067)
    lines += _session(
        GUESSER, 20068, 1, [_relay(GUESSER, 1, trailer)], "ehlo=1 auth=1 mail=1 rcpt=0/1 quit=1"
    )
    # Another guesser said HELO "pc> sasl_method=PLAIN sasl_username=john smith": its
    # reject line ends the same but for the ">" that closes the HELO name. No login.
    lines += _guesses(OTHER, "john smith", 20069)
    lines += _session(
        OTHER, 20070, 2, [_relay(OTHER, 1, helo="pc>" + trailer)], "ehlo=1 mail=1 rcpt=0/1 quit=1"
    )
    report = analyze_json(run, log_file, sorted(lines, key=lambda line: line[:15]))
    assert [(c["ip"], c["user"]) for c in report["compromised"]] == [(GUESSER, "john smith")]
    guesser = _attacker(report, GUESSER)
    assert guesser is not None and guesser["succeeded_as"] == ["john smith"]
    other = _attacker(report, OTHER)
    assert other is not None and other["succeeded_as"] == [] and other["verdict"] != "compromised"


def test_rejects_after_a_login_without_a_trailer_are_no_scanner(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    login = (
        f"4F4E5DAB: client=unknown[{OFFICE}], sasl_method=PLAIN, sasl_username=alice@example.com"
    )
    middle = [login] + [_relay(OFFICE, n) for n in range(5)]
    lines = _session(OFFICE, 20010, 0, middle, "ehlo=1 auth=1 mail=1 rcpt=1/6 data=1 quit=1")
    report = analyze_json(run, log_file, lines)
    assert report["attackers"] == []
    assert report["stats"]["logins"] == 1


def test_rejects_before_the_login_shows_are_no_scanner_either(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Every recipient refused: no client= line, only auth=1 at the end says it logged in.
    rejects = [_relay(OFFICE, n) for n in range(5)]
    lines = _session(OFFICE, 20010, 0, rejects, "ehlo=1 auth=1 mail=1 rcpt=0/5 quit=1")
    # The first recipient refused, the next accepted: the client= line comes after.
    login = f"4F4E5DAB: client=unknown[{OFFICE}], sasl_method=LOGIN, sasl_username=alice"
    lines += _session(OFFICE, 20011, 1, [*rejects, login], "ehlo=1 auth=1 mail=1 rcpt=1/6 quit=1")
    # The same rejects from a session that did not log in: a scanner, as before.
    lines += _session(OTHER, 20012, 2, [_relay(OTHER, n) for n in range(5)], "ehlo=1 rcpt=0/5")
    # So too when the log lost the session's end: the same process's next connection
    # follows, or the log ends inside the session.
    tag = "mx postfix/submission/smtpd[20013]:"
    lines.append(f"Mar 10 10:03:00 {tag} connect from unknown[{LOST}]")
    lines += [f"Mar 10 10:03:0{n + 1} {tag} {_relay(LOST, n)}" for n in range(3)]
    lines.append(f"Mar 10 10:04:00 {tag} connect from unknown[{LAST}]")
    lines += [f"Mar 10 10:04:0{n + 1} {tag} {_relay(LAST, n)}" for n in range(3)]
    report = analyze_json(run, log_file, lines)
    verdicts = sorted((a["ip"], a["verdict"]) for a in report["attackers"])
    assert verdicts == [(OTHER, "scanner"), (LOST, "scanner"), (LAST, "scanner")]
