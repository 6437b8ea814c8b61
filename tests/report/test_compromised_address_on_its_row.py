"""The compromised-accounts table at any width from 40 columns: an address that does not
fit beside its account goes on a line of its own under its account's row, never on the
line just under the previous row (where it read as that row's address)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirunner import Runner

LOGINS = {"info": "203.0.113.7", "sales": "2001:db8:ffff:1234:5678:9abc:def0:1"}


def _log() -> str:
    lines = []
    for hour, (user, ip) in enumerate(LOGINS.items(), start=8):
        for n in range(30):
            lines.append(
                f"Nov 30 {hour:02d}:00:{n:02d} mx postfix/smtpd[4000]: warning: unknown[{ip}]:"
                " SASL LOGIN authentication failed: UGFzc3dvcmQ6"
            )
        lines.append(
            f"Nov 30 {hour:02d}:01:00 mx postfix/smtpd[4000]: 1A2B3C: client=unknown[{ip}],"
            f" sasl_method=LOGIN, sasl_username={user}@example.org"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("columns", [40, 41, 45, 50, 53, 56, 60, 80])
def test_address_sits_with_its_account(
    run: Runner, log_file: Callable[[str], str], columns: int
) -> None:
    code, out, _ = run("analyze", log_file(_log()), env={"COLUMNS": str(columns)})
    assert code == 0
    lines = out.splitlines()
    start = lines.index("Compromised accounts")
    rule = next(n for n in range(start, len(lines)) if lines[n].startswith("─"))
    end = next(n for n in range(rule, len(lines)) if lines[n].startswith("•"))
    body = lines[rule + 1 : end]
    for user, ip in LOGINS.items():
        at = next(n for n, line in enumerate(body) if ip in line.split())
        # The row it belongs to: the nearest line at or above it that starts a row.
        row = next(n for n in range(at, -1, -1) if not body[n].startswith(" "))
        assert body[row].startswith(user[:4]), "\n".join(lines[start:end])
