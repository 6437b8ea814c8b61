"""Cyrus SASL's own ``SASL authentication failure:`` line (shared reference §1.2) comes
before Postfix's line of the same attempt: explain tells one failed login per attempt."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def test_cyrus_line_and_postfix_line_are_one_failed_login(run: Runner, log_file: LogFile) -> None:
    ip, tag = "192.0.2.131", "mx postfix/smtpd[20021]:"
    lines = [f"Mar 10 10:00:00 {tag} connect from unknown[{ip}]"]
    for n in range(5):
        at = f"Mar 10 10:00:{2 * n + 1:02d}"
        lines += [
            f"{at} {tag} warning: SASL authentication failure: Password verification failed",
            f"{at} {tag} warning: unknown[{ip}]: SASL PLAIN authentication failed: "
            "authentication failure, sasl_username=bob",
        ]
    lines.append(
        f"Mar 10 10:00:20 {tag} disconnect from unknown[{ip}] ehlo=1 auth=0/5 commands=1/6"
    )
    path = log_file("\n".join(lines) + "\n")
    code, out, err = run("explain", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0, err
    said = " ".join(out.split())
    assert said.count("Cyrus SASL's line of the failed login Postfix logs next.") == 4
    assert "the same attempt, not another one" in said
    # Postfix's lines: the first told in full, the other four as one more each.
    assert said.count("Another failed login: “bob”.") == 4
    assert "Another failed login." not in said  # none for Cyrus's lines
    assert f"{ip} tried to log in as “bob”: 5 failed attempts" in said
