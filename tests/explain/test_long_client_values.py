# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""A value a client chose (its EHLO name, its SASL username, the account of its AUTH
payload, Dovecot's ``user=``, a sender address) of thousands of characters: explain
cuts it, in the quoted line and in what the line means, with how many characters more
there were, and keeps the server's own words around it whole, the password masked and
the terminal safe."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

LONG = "a" * 3000 + "@example.com"  # 3,012 characters: 100 shown, 2,912 more
GREETING = "x" * 2000
IP = "192.0.2.9"


def _lines() -> str:
    smtpd = "mx postfix/smtpd[20021]:"
    blob = base64.b64encode(f"\0{LONG}\0Secret123".encode()).decode()
    return "\n".join(
        [
            f"Mar 10 10:00:00 {smtpd} connect from unknown[{IP}]",
            f"Mar 10 10:00:01 {smtpd} < unknown[{IP}]: EHLO {GREETING}",
            f"Mar 10 10:00:01 {smtpd} < unknown[{IP}]: AUTH PLAIN {blob}",
            f"Mar 10 10:00:02 {smtpd} warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={LONG}",
            f"Mar 10 10:00:03 {smtpd} NOQUEUE: reject: RCPT from unknown[{IP}]: 554 5.7.1 <{LONG}>: Relay access denied; from=<{LONG}> to=<postmaster@example.org> proto=ESMTP helo=<{GREETING}>",
            f"Mar 10 10:00:04 {smtpd} disconnect from unknown[{IP}] ehlo=1 auth=0/1 rcpt=0/1 commands=1/3",
            f"Mar 10 10:00:05 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{LONG}>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.10, TLS, session=<abcdefgh>",
        ]
    )


def test_long_client_values_are_cut_with_how_much_more(run: Runner, log_file: LogFile) -> None:
    path = log_file(_lines() + "\n")
    code, out, err = run("explain", "--year", "2026", path)
    assert code == 0, err
    said = " ".join(out.split())
    # Nothing a client chose comes whole: the explanation stays an excerpt's length.
    assert "a" * 200 not in re.sub(r"\s+", "", out)
    assert len(out) < 12_000  # the values alone are over 20,000 characters
    assert said.count("(2,912 more characters)") >= 8
    assert "(1,900 more characters)" in said  # the greeting, in what it means
    # What the server wrote around the values stays whole.
    assert "method=PLAIN, rip=198.51.100.77, lip=192.0.2.10, TLS, session=<abcdefgh>" in said
    assert ">: Relay access denied;" in said
    assert "to=<postmaster@example.org> proto=ESMTP helo=<" in said
    # The account is cut where it is quoted, the mark outside the quotes.
    assert "“" + "a" * 100 + "…”(2,912morecharacters)" in re.sub(r"\s+", "", out)
    # The password stays masked.
    assert "password *** (9 characters)" in said
    assert "Secret123" not in out


def test_long_client_values_are_cut_in_chinese(run: Runner, log_file: LogFile) -> None:
    path = log_file(_lines() + "\n")
    code, out, err = run("explain", "--lang", "zh_CN", "--year", "2026", path)
    assert code == 0, err
    said = "".join(out.split())
    assert "a" * 200 not in said
    assert said.count("（后面还有2,912个字符）") >= 8
    assert "Secret123" not in out


def test_a_cut_never_splits_an_escape_nor_lets_a_control_through(
    run: Runner, log_file: LogFile
) -> None:
    # Invisible and direction-changing characters are shown escaped (\u202e): a cut
    # right inside one would leave a broken, misleading escape.
    user = "b" * 97 + "\u202e" + "c" * 400
    line = f"Mar 10 10:00:05 mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.10, TLS, session=<abcdefgh>\n"
    code, out, err = run("explain", "--year", "2026", log_file(line))
    assert code == 0, err
    assert "\u202e" not in out
    assert re.search(r"\\u[0-9a-f]{0,3}…", out) is None
    said = re.sub(r"\s+", "", out)
    assert "<" + "b" * 97 + "…(406morecharacters)>,method=PLAIN" in said  # the line
    assert "“" + "b" * 97 + "…”(406morecharacters)" in said  # the verdict
    assert "c" * 100 not in said
