"""The headline names the compromised account whole (a table may cut it, the sentence
that says which password to reset never does), escaped as ever."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LONG = "bartholomew.longname@subdomain.example.com"


def test_headline_keeps_a_long_account_whole(run: Runner, log_file: Callable[[str], str]) -> None:
    lines = [
        f"2026-03-10T09:00:0{n}+00:00 mx dovecot[99]: imap-login: Disconnected (auth failed, "
        f"1 attempts in 2 secs): user=<{LONG}>, method=PLAIN, rip=2001:db8:ffff:eeee:dddd:"
        f"cccc:bbbb:aaaa, lip=192.0.2.1, TLS, session=<s{n}>"
        for n in range(8)
    ]
    lines.append(
        f"2026-03-10T09:01:00+00:00 mx dovecot[99]: imap-login: Login: user=<{LONG}>, "
        "method=PLAIN, rip=2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa, lip=192.0.2.1, mpid=5, "
        "TLS, session=<ok>"
    )
    path = log_file("\n".join(lines) + "\n")
    for lang in ("en", "zh_CN"):
        code, out, _ = run("analyze", "--timezone", "UTC", "--lang", lang, path,
                           env={"COLUMNS": "80"})  # fmt: skip
        assert code == 0
        head = "".join(out.split("\n\n")[0].split())
        assert LONG in head, head
        # The compromised table's row keeps the address on the account's own line.
        lines = out.splitlines()
        rule = next(n for n, line in enumerate(lines) if line.startswith("────"))
        row = lines[rule + 1]
        assert row.startswith("bartholomew"), row
        assert "2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa" in row
