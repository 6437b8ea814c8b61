# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""`explain` and `analyze` agree that failures as ``alice`` from an address that logged
in as alice@example.org are its owner's device with an old password, not guessing
that got in: the name without its domain is the same account (as the detector takes
it), in time order and out of it."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]
IP = "198.51.100.88"
LOGIN = f"Mar  9 08:00:00 mx dovecot: imap-login: Login: user=<alice@example.org>, method=PLAIN, rip={IP}, lip=192.0.2.1, mpid=100, TLS, session=<a1>\n"
FAILURES = "".join(
    f"Mar 10 12:{n * 10:02d}:02 mx postfix/submission/smtpd[{2000 + n}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice\n"
    for n in range(6)
)
BREAK_IN = ("got in", "YES", "Change the password", "mailwarden ban", f"Block {IP}")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_failures_without_the_domain_after_the_owners_login(run: Runner, log_file: LogFile) -> None:
    path = log_file(LOGIN + FAILURES)
    code, out, _ = run("analyze", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0
    out = flat(out)
    assert out.startswith("No attack found: nobody guessed passwords."), out
    assert f"{IP} failed to log in as alice@example.org 6 times" in out
    code, out, _ = run("explain", "--year", "2026", "--timezone", "UTC", path)
    assert code == 0
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Most likely not."
    ), verdict
    assert "most likely a phone or mail program with an old password" in verdict
    for wrong in BREAK_IN:
        assert wrong not in verdict, wrong


def test_failures_without_the_domain_given_before_the_login_they_came_after(
    run: Runner, log_file: LogFile
) -> None:
    """``cat mail.log mail.log.1``: the login given last came first by the time stamps;
    read again in time order (as analyze reads it), the failures are the owner's."""
    code, out, _ = run("explain", "--year", "2026", "--timezone", "UTC", log_file(FAILURES + LOGIN))
    assert code == 0
    verdict = flat(out).split("Verdict ======= ", 1)[1]
    assert verdict.startswith(
        "Is someone trying to break into your mail accounts? Most likely not."
    ), verdict
    assert "mailwarden's detector does not count them as an attack either" in verdict
    assert (
        f"{IP}: failed logins from an address that also logs in successfully as the same "
        "account: most likely a phone or mail program with an old password"
    ) in verdict
    for wrong in BREAK_IN:
        assert wrong not in verdict, wrong
