# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Log lines of Postfix's submission service checking passwords through Dovecot 2.4's
SASL, for the tests of one client's tries across connections (detect and analyze)."""

from __future__ import annotations


def smtpd_tries(
    ip: str,
    start: int,
    pid: int,
    tries: list[tuple[int, str, str]],
    end: int,
    names: bool = True,
    dovecot: bool = True,
) -> list[tuple[int, str]]:
    """One submission connection of Postfix with Dovecot 2.4's SASL, from second ``start``
    to ``end``: for each (second, mechanism, account) of ``tries`` Dovecot's auth line
    (``dovecot``; no session id: Postfix sends none) and, two seconds later (Dovecot's
    failure delay), Postfix's line of the refused try (``names``: with
    ``sasl_username=``, Postfix 3.9). (second, line) pairs, to sort into one log."""
    smtpd = f"mx postfix/submission/smtpd[{pid}]"
    timed = [(start, f"{smtpd}: connect from unknown[{ip}]")]
    for second, mechanism, user in tries:
        if dovecot:
            timed.append(
                (
                    second,
                    f"mx dovecot: auth({user},{ip},sasl:{mechanism.lower()}): Info: passwd-file: Password mismatch",
                )
            )
        tail = f", sasl_username={user}" if names else ""
        timed.append(
            (
                second + 2,
                f"{smtpd}: warning: unknown[{ip}]: SASL {mechanism} authentication failed: (reason unavailable){tail}",
            )
        )
    n = len(tries)
    timed.append(
        (end, f"{smtpd}: disconnect from unknown[{ip}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}")
    )
    return timed
