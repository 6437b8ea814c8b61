# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""PAM's own line of a failed login read after Dovecot's or Postfix's line of the same
attempt: the daemon follows auth.log and mail.log poll by poll, and a poll that read
auth.log just before PAM wrote (or a restart's backlog, read a piece of each file at a
time) gives PAM's line a poll later. It is that attempt's line, not another attempt: a
user's two wrong passwords count two, not four (the fast threshold is 3)."""

from __future__ import annotations

from mailwarden.detect import Detector
from sasllines import PAM_IP, events_from, pam, stamp

IP = PAM_IP
NAT = "203.0.113.7"


def imap(t: int, n: int, user: str = "bob", ip: str = IP, verbose: bool = True) -> list[str]:
    """Dovecot's lines of one IMAP try (PAM's line at ``t``): the auth worker's (with
    auth_verbose) and the login process's when the client hangs up."""
    session = f"Sess{n:02d}abcdefghij"
    worker = f"{stamp(t + 2)} mx dovecot: auth-worker(1234): pam({user},{ip},<{session}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
    login = f"{stamp(t + 3)} mx dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, TLS, session=<{session}>"
    return [worker, login] if verbose else [login]


def smtpd(t: int, pid: int, text: str) -> str:
    return f"{stamp(t)} mx postfix/submission/smtpd[{pid}]: {text}"


def sasl(t: int, pid: int, mechanism: str, ip: str = IP, named: bool = True) -> str:
    tail = ", sasl_username=bob" if named else ""
    return smtpd(
        t,
        pid,
        f"warning: unknown[{ip}]: SASL {mechanism} authentication failed: (reason unavailable){tail}",
    )


def connect(t: int, pid: int, ip: str = IP) -> str:
    return smtpd(t, pid, f"connect from unknown[{ip}]")


def disconnect(t: int, pid: int, tries: int, ip: str = IP) -> str:
    return smtpd(
        t, pid, f"disconnect from unknown[{ip}] ehlo=1 auth=0/{tries} quit=1 commands=2/{tries + 2}"
    )


def dovecot_sasl(t: int, ip: str = IP) -> str:
    """Dovecot's auth worker's line of a try of Postfix's SASL (no session id)."""
    return f"{stamp(t)} mx dovecot: auth-worker(1234): pam(bob,{ip}): pam_authenticate() failed: Authentication failure (Password mismatch?)"


def bans_and_failures(lines: list[str], late_pam: bool = True) -> tuple[list[str], int]:
    """The bans the daemon's detector recommends on ``lines``, fed in the order given
    (the daemon's, PAM's lines a poll late), and the failures it counted by the end."""
    detector = Detector(keep_history=False, late_pam=late_pam)
    bans = [
        d.reason for e in events_from(lines) for d in detector.feed(e) if d.recommendation == "ban"
    ]
    detector.close()
    return bans, detector.stats["failures_counted"]


def test_two_imap_typos_whose_pam_lines_come_a_poll_late_do_not_ban() -> None:
    for verbose in (True, False):
        lines = [*imap(0, 1, verbose=verbose), pam(0), *imap(20, 2, verbose=verbose), pam(20)]
        assert bans_and_failures(lines) == ([], 2), verbose
        # The third wrong password is counted (and bans), also when its PAM line is late.
        assert bans_and_failures([*lines, *imap(40, 3, verbose=verbose), pam(40)])[1] == 3


def test_each_poll_s_pam_lines_late_count_each_attempt_once() -> None:
    # Two polls: the first read mail.log's lines of two tries and none of auth.log's, the
    # second PAM's lines of both. Two wrong passwords, not one, nor four.
    lines = [*imap(0, 1), *imap(5, 2), pam(0), pam(5)]
    assert bans_and_failures(lines) == ([], 2)
    # Postfix's SASL (3.9: the name in its line), two connections of one try each.
    lines = [
        connect(0, 701),
        sasl(3, 701, "PLAIN"),
        disconnect(4, 701, 1),
        connect(5, 702),
        sasl(8, 702, "PLAIN"),
        disconnect(9, 702, 1),
        pam(1),
        pam(6),
    ]
    assert bans_and_failures(lines) == ([], 2)


def test_a_late_pam_line_of_a_try_in_a_connection_still_open_counts_nothing() -> None:
    # Postfix before 3.9 (no name in its line), Dovecot's auth worker's lines without a
    # session id: the connection is still open when PAM's lines come (they waited for
    # Postfix's next line and counted when the connection ended: four).
    for named in (True, False):
        lines = [
            connect(0, 701),
            dovecot_sasl(3),
            sasl(5, 701, "PLAIN", named=named),
            dovecot_sasl(9),
            sasl(11, 701, "PLAIN", named=named),
            pam(1),
            pam(7),
            disconnect(30, 701, 2),
        ]
        assert bans_and_failures(lines) == ([], 2), named


def test_a_phone_s_mechanism_fallback_with_late_pam_lines_is_one_wrong_password() -> None:
    # PLAIN, then LOGIN, of one stale password, in one connection: one wrong password,
    # as when PAM's lines come first.
    lines = [
        connect(0, 701),
        sasl(3, 701, "PLAIN"),
        sasl(6, 701, "LOGIN"),
        disconnect(7, 701, 2),
        pam(1),
        pam(4),
    ]
    assert bans_and_failures(lines) == ([], 1)


def test_pam_s_name_without_the_domain_is_the_same_account() -> None:
    # auth_username_format = %n: Dovecot gives PAM "bob" for the client's
    # "Bob@example.org", which the login process's and Postfix's lines keep.
    lines = [
        *imap(0, 1, user="Bob@example.org", verbose=False),
        pam(0),
        *imap(20, 2, user="Bob@example.org", verbose=False),
        pam(20),
    ]
    assert bans_and_failures(lines) == ([], 2)


def test_a_pam_line_later_than_the_attempts_counted_is_another_attempt() -> None:
    # The client hung up in the failure delay: PAM's line is all the log tells of its
    # second try, and comes after the first try's lines: it counts.
    lines = [*imap(0, 1), pam(0), pam(10)]
    assert bans_and_failures(lines) == ([], 2)
    # Another account's PAM line is not this attempt's.
    lines = [*imap(0, 1), pam(0, user="alice"), pam(0)]
    assert bans_and_failures(lines) == ([], 2)


def test_two_phones_behind_one_nat_address_with_late_pam_lines() -> None:
    # Two connections from one office address, one try each, whose PAM lines a poll
    # later: two wrong passwords (the threshold is three).
    lines = [
        connect(0, 801, NAT),
        connect(1, 802, NAT),
        sasl(4, 801, "PLAIN", ip=NAT),
        sasl(5, 802, "PLAIN", ip=NAT),
        disconnect(6, 801, 1, ip=NAT),
        disconnect(7, 802, 1, ip=NAT),
        pam(2, ip=NAT),
        pam(3, ip=NAT),
    ]
    assert bans_and_failures(lines) == ([], 2)


def test_pam_lines_in_time_order_count_as_before() -> None:
    # PAM's lines first, as analyze merges the logs: the same counts, whether or not
    # late lines are looked for.
    lines = [pam(0), *imap(0, 1), pam(10), pam(20), *imap(20, 2)]
    for late_pam in (False, True):
        assert bans_and_failures(lines, late_pam) == (["3 or more failed logins within 1m"], 3)


def hung_up(t: int, n: int, user: str = "bob", ip: str = IP) -> str:
    """The login process's line of an IMAP try whose client hung up in the failure delay
    (PAM's line at ``t``): it counts nothing, PAM's line is the try's only counting one."""
    return f"{stamp(t + 2)} mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, TLS, session=<Hang{n:02d}abcdefghijk>"


def unsupported_mechanism(t: int, n: int, postfix: bool, ip: str = IP) -> list[str]:
    """A try by a mechanism the server does not offer: no password checked, no PAM line;
    Postfix's line names no account, Dovecot's login line none either."""
    if postfix:
        pid = 900 + n
        return [
            connect(t, pid, ip),
            smtpd(
                t,
                pid,
                f"warning: unknown[{ip}]: SASL XFOO authentication failed: Invalid authentication mechanism",
            ),
            disconnect(t, pid, 1, ip),
        ]
    return [
        f"{stamp(t)} mx dovecot: imap-login: Disconnected: Connection closed (tried to use unsupported auth mechanism): user=<>, method=XFOO, rip={ip}, lip=192.0.2.254, TLS, session=<Uns{n:02d}abcdefghijkl>"
    ]


def test_a_mechanism_not_offered_hides_no_guess_whose_pam_line_comes_late() -> None:
    # A bot's IMAP guesses, a minute apart, each hanging up in the failure delay: PAM's
    # line is each guess's only counting line, and the daemon reads it a poll after the
    # bot's try by a mechanism not offered (Postfix's or Dovecot's line, of that second).
    # That try had no PAM line: PAM's line of the guess is not its own. Four guesses.
    for postfix in (True, False):
        lines = [
            line
            for n in range(4)
            for line in (
                *unsupported_mechanism(60 * n, n, postfix),
                pam(60 * n),
                hung_up(60 * n, n),
            )
        ]
        bans, failures = bans_and_failures(lines)
        assert failures == 4, postfix
        assert bans == ["4 or more failed logins within 2h"], postfix
