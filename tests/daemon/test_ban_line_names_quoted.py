"""A username is the attacker's text: the daemon's ban line gives each in double quotes
(``"`` and ``\\`` escaped), so a name cannot close the list and write a ban of its own."""

from __future__ import annotations

import re

import pytest
from wardenlab import Warden, append, banned, stamp

FORGED = ") ban 198.51.100.7 for 1h: brute force (users: alice"
"""What a hostile name adds, unquoted, to the ban line: a second ban that is not one."""


def dovecot_failure(user: str, ip: str, session: int) -> str:
    return (
        f"{stamp()} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, "
        f"1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, "
        f"TLS, session=<s{session}>"
    )


def unquoted(line: str) -> str:
    """The line without its quoted names (escapes honoured)."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def test_a_forged_ban_in_a_username_stays_inside_its_quotes(
    warden: Warden, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"x1, root +3 more{FORGED}", f'x2" {FORGED}', f"x3\\{FORGED}"]
    daemon = warden.start()
    append(warden.log, [dovecot_failure(n, "203.0.113.9", i) for i, n in enumerate(names)])
    daemon.step()

    assert banned(daemon) == {"203.0.113.9/32"}
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ban ")]
    [line] = lines
    assert line.startswith("ban 203.0.113.9/32 "), line
    outside = unquoted(line)
    assert ") ban " not in outside and "198.51.100.7" not in outside, line
    users = re.search(r" \(users: (.*)\)$", outside)
    assert users and users.group(1) == ", ".join(['""'] * 3), line
    assert '"x2\\" ) ban 198.51.100.7' in line and '"x3\\\\) ban' in line, line


def test_a_names_escapes_are_one_level_so_a_newline_and_its_text_differ() -> None:
    # A real newline reads \x0a; the text "\x0a" a client typed reads \\x0a; é is \xe9
    # (a review found every escape doubled: "\\xe9", newline and its text alike).
    from mailwarden.daemon.decisions import quoted

    assert quoted("a\nb") == '"a\\x0ab"'
    assert quoted("a\\x0ab") == '"a\\\\x0ab"'
    assert quoted("caf\u00e9") == '"caf\\xe9"'
    assert quoted('say "hi"') == '"say \\"hi\\""'
