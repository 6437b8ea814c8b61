"""A log of a format without a syslog or ISO time stamp at its start, given as the
users file, is refused as a log, not read as accounts named after its first word (every
real account would then look unknown, and the users' own typos like a probe's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.detect.accounts import load_accounts
from mailwarden.errors import InputError

LOGS = {
    "short-full": (
        "Mon 2026-11-30 10:00:00 UTC mx dovecot: imap-login: Login: user=<bob@example.org>\n"
    ),
    "short-unix": "1764496800.123 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n",
    "rfc5424": (
        "<38>1 2026-11-30T10:00:00Z mx postfix/smtpd 1 - - connect from unknown[192.0.2.1]\n"
    ),
    "no-time": "mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n",
    "dd/mm/yyyy": "30/11/2026 10:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n",
}


@pytest.mark.parametrize("kind", sorted(LOGS))
def test_a_log_of_another_format_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "users"
    path.write_text("alice@example.org\n" + LOGS[kind])
    with pytest.raises(InputError, match="line 2: a log line: not a list of accounts"):
        load_accounts(path)


def test_names_with_a_comment_holding_a_colon_are_still_accounts(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text(
        "alice@example.org  # on leave: back in May\n"
        "bob:{SHA512-CRYPT}$6$x$y:1000:1000:Bob Smith, room 4:/home/bob::\n"
        '"eve smith"@example.org:{PLAIN}x\n'
        "  carol@example.org\n"
    )
    accounts = load_accounts(path)
    for name in ("alice@example.org", "bob", '"eve smith"@example.org', "carol@example.org"):
        assert accounts.exists(name), name
