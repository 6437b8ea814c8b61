"""A /48 walked one guess per /64, seven minutes apart: the headline does not say the
guesses came "at once" (they took 77 minutes)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner


def test_wide_network_headline_not_at_once(run: Runner, log_file: Callable[[str], str]) -> None:
    lines = [
        f"2026-03-10T{9 + 7 * n // 60:02d}:{7 * n % 60:02d}:00+00:00 mx dovecot[99]: "
        f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u{n}@example.com>, "
        f"method=PLAIN, rip=2001:db8:77:{n + 1:x}::5, lip=192.0.2.1, TLS, session=<w{n}>"
        for n in range(12)
    ]
    code, out, _ = run("analyze", log_file("\n".join(lines) + "\n"), env={"COLUMNS": "80"})
    assert code == 0
    head = " ".join(out.split("\n\n")[0].split())
    assert "2001:db8:77::/48" in head and "12 addresses" in head
    assert "at once" not in head
