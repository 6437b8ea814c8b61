"""A login taken from a reject line's SASL trailer, confirmed by the session's end.

A client can forge the trailer in its HELO name (``x> sasl_method=PLAIN
sasl_username=alice@example.com``) and pad its MAIL FROM so that Postfix's 2000-byte record
cut falls right after the forged name; padding that ends in spaces loses them to framing,
so the line reads shorter than the cap and byte for byte like a real trailer. Postfix 3.x,
which writes the trailer, ends the session with statistics: ``auth=1`` confirms the login,
statistics without a successful AUTH show the trailer forged. A session that ends without
statistics (older Postfix, the end of input) keeps the login, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clirunner import Runner, analyze_json

IP = "203.0.113.5"
TAG = "mx postfix/smtpd[2000]:"
TRAILER = " sasl_method=PLAIN sasl_username=alice@example.com"


def _reject(helo: str, sender: str) -> str:
    return (
        f"Mar 11 09:00:01 {TAG} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 "
        f"<spam@other.example>: Relay access denied; from=<{sender}> "
        f"to=<spam@other.example> proto=ESMTP helo=<{helo}>"
    )


def _forged_reject() -> str:
    """HELO ``x> sasl_method=PLAIN sasl_username=alice@example.com `` (a space at its end)
    and a MAIL FROM padded so that Postfix's 2000-byte cut falls after that space, dropping
    the ``>`` that closes the HELO name; framing strips the space at the line's end."""
    helo = "x>" + TRAILER + " "
    msg = _reject(helo, "s@b.example").split(f"{TAG} ", 1)[1]
    pad = 2001 - len(msg.encode())  # the full text is one byte (the ">") over the cap
    line = _reject(helo, "s" + "a" * pad + "@b.example")
    head, msg = line.split(f"{TAG} ", 1)
    assert len(msg.encode()) == 2001 and msg.endswith(TRAILER + " >")
    return f"{head}{TAG} {msg.encode()[:2000].decode()}"


def _dovecot_failures(count: int) -> list[str]:
    return [
        f"Mar 11 10:{4 * n:02d}:00 mx dovecot: imap-login: Disconnected (auth failed, "
        f"1 attempts in 2 secs): user=<alice@example.com>, method=PLAIN, rip={IP}, "
        f"lip=198.51.100.25, session=<s{n}>"
        for n in range(count)
    ]


def _attacker(report: dict[str, Any]) -> dict[str, Any]:
    found = [a for a in report["attackers"] if a["ip"] == IP]
    assert found, report["attackers"]
    return found[0]


def test_a_forged_trailer_the_statistics_deny_is_no_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]", _forged_reject()]
    lines.append(
        f"Mar 11 09:00:02 {TAG} disconnect from unknown[{IP}] ehlo=1 mail=1 rcpt=0/1 "
        "quit=1 commands=3/4"
    )
    lines += _dovecot_failures(12)
    report = analyze_json(run, log_file, lines)
    attacker = _attacker(report)
    assert attacker["verdict"] in ("brute_force", "slow_bruteforce"), attacker
    assert attacker["succeeded_as"] == [], attacker
    assert attacker["failures"] >= 12
    assert attacker["recommendation"].startswith("ban"), attacker
    assert report["compromised"] == [], report["compromised"]
    assert report["stats"]["logins"] == 0


def test_explain_calls_the_forged_trailer_no_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]", _forged_reject()]
    lines.append(
        f"Mar 11 09:00:02 {TAG} disconnect from unknown[{IP}] ehlo=1 mail=1 rcpt=0/1 "
        "quit=1 commands=3/4"
    )
    lines += _dovecot_failures(12)
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert "nobody got in" in said
    assert "It got in" not in said and "YES: it got in" not in said
    assert "The client had logged in as" not in said
    assert "the client wrote this text itself" in said


def test_a_trailer_the_statistics_confirm_is_a_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [
        f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]",
        _reject("pc", "alice@example.com") + TRAILER,
        f"Mar 11 09:00:02 {TAG} disconnect from unknown[{IP}] ehlo=1 auth=1 mail=1 "
        "rcpt=0/1 quit=1 commands=4/5",
    ]
    lines += _dovecot_failures(12)
    report = analyze_json(run, log_file, lines)
    attacker = _attacker(report)
    assert attacker["succeeded_as"] == ["alice@example.com"], attacker
    assert attacker["verdict"] == "stale_password", attacker
    assert attacker["recommendation"].startswith("none"), attacker
    assert report["stats"]["logins"] == 1


def test_a_trailer_of_a_session_the_log_does_not_end_is_a_login(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # Six relay rejects of the logged-in session, then the log ends: the account
    # holder's refused requests, no policy violation.
    lines = [f"Mar 11 09:00:00 {TAG} connect from unknown[{IP}]"]
    lines += [
        _reject("pc", "alice@example.com").replace("09:00:01", f"09:00:0{n + 1}") + TRAILER
        for n in range(6)
    ]
    report = analyze_json(run, log_file, lines)
    assert report["stats"]["logins"] == 1
    assert [a for a in report["attackers"] if a["ip"] == IP] == [], report["attackers"]
