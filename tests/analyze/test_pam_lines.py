# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""PAM's own lines beside Dovecot's: one wrong password is one attempt.

With ``passdb { driver = pam }`` each failed login can leave three lines: PAM's own
(``pam_unix(dovecot:auth): authentication failure; … ruser=U rhost=IP  user=U``, written
inside pam_authenticate(), so first), Dovecot's auth worker's (``pam(U,IP[,<session>]):
pam_authenticate() failed: …``, with ``auth_verbose = yes``) and the login process's
(``imap-login: Disconnected (auth failed, 1 attempts …)``) or Postfix's SASL line. They
meet in one log in the journal, or where a site sends auth and mail to one file. pam_unix
may also write ``check pass; user unknown`` before its failure line.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clirunner import Runner

IP = "203.0.113.5"


def pam_unix(n: int, user: str = "alice", program: str = "auth") -> str:
    return f"Nov 28 10:{n:02d}:01 mx {program}: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={IP}  user={user}"


def worker(n: int, user: str = "alice", session: bool = True) -> str:
    ident = f"{user},{IP},<Sess{n:02d}abcdefghij>" if session else f"{user},{IP}"
    return f"Nov 28 10:{n:02d}:03 mx dovecot: auth-worker(1234): pam({ident}): pam_authenticate() failed: Authentication failure (Password mismatch?)"


def login(n: int, user: str = "alice") -> str:
    return f"Nov 28 10:{n:02d}:05 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<{user}>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<Sess{n:02d}abcdefghij>"


def postfix(n: int, user: str = "bob") -> list[str]:
    pid = 700 + n
    return [
        f"Nov 28 10:{n:02d}:00 mx postfix/submission/smtpd[{pid}]: connect from unknown[{IP}]",
        pam_unix(n, user),
        worker(n, user, session=False),
        f"Nov 28 10:{n:02d}:03 mx postfix/submission/smtpd[{pid}]: warning: unknown[{IP}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username={user}",
        f"Nov 28 10:{n:02d}:04 mx postfix/submission/smtpd[{pid}]: disconnect from unknown[{IP}] ehlo=1 auth=0/1 quit=1 commands=2/3",
    ]


def attacker(run: Runner, path: str) -> dict[str, object]:
    code, out, err = run("analyze", "--year", "2026", "--format", "json", path)
    assert code == 0, err
    (found,) = [a for a in json.loads(out)["attackers"] if a["ip"] == IP]
    return found


def test_pam_dovecot_and_login_lines_of_one_attempt_count_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in (pam_unix(n), worker(n), login(n))]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 6  # six wrong passwords, not twelve
    assert found["users"] == ["alice"]


def test_dovecot_22_lines_without_a_session_id_count_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in (pam_unix(n), worker(n, session=False), login(n))]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 6


def test_postfix_through_dovecot_pam_counts_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [line for n in range(6) for line in postfix(n)]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 6
    assert found["users"] == ["bob"]


def test_pam_lines_still_count_with_or_without_dovecot_s_own(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # auth_verbose = no: PAM's line and the login line; and PAM's lines alone (auth.log).
    both = [line for n in range(6) for line in (pam_unix(n), login(n))]
    assert attacker(run, log_file("\n".join(both) + "\n"))["failures"] == 6
    alone = [pam_unix(n) for n in range(6)]
    assert attacker(run, log_file("\n".join(alone) + "\n"))["failures"] == 6


def test_an_old_dovecot_auth_pam_line_and_the_login_line_are_one_attempt(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    lines = [
        line
        for n in range(6)
        for line in (
            pam_unix(n, "web", program="dovecot-auth"),
            f"Nov 28 10:{n:02d}:05 mx dovecot: imap-login: Aborted login (auth failed, 1 attempts): user=<web>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS",
        )
    ]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 6


def test_explain_tells_pam_s_lines_from_new_attempts(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    path = log_file(
        "\n".join(
            [
                pam_unix(0),
                worker(0),
                login(0),
                "Nov 28 10:01:01 mx auth: pam_unix(dovecot:auth): check pass; user unknown",
                f"Nov 28 10:01:01 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=nobody rhost={IP}",
                f"Nov 28 10:01:03 mx dovecot: auth-worker(1234): pam(nobody,{IP},<Sess01abcdefghij>): unknown user",
                login(1, "nobody"),
            ]
        )
        + "\n"
    )
    code, out, err = run("explain", path)
    assert code == 0, err
    text = " ".join(out.split())
    assert "PAM's own line of a failed login: account “alice”." in text
    assert "mailwarden counts it once" in text
    assert "the same attempt, not another one" in text  # Dovecot's pam(…) line
    assert "does not recognise" not in text
    assert "found no account by the name the client gave" in text  # check pass
    assert "tried to log in as “alice”, “nobody”: 2 failed attempts." in text
    code, out, err = run("explain", "--lang", "zh_CN", path)
    assert code == 0, err
    flat = "".join(out.split())
    assert "PAM自己记录的一次登录失败：账户“alice”。" in flat
    assert "不是新的一次" in flat


# -- a mechanism fallback through Dovecot's PAM (Postfix's SASL) ---------------------------


def smtp_tries(
    n: int,
    mechanisms: tuple[str, ...],
    pam: bool = True,
    verbose: bool = True,
    users: tuple[str, ...] = ("bob",),
    ip: str = IP,
    hang_up: bool = False,
) -> list[str]:
    """One submission connection of ``ip`` at minute ``n``: a wrong password tried by each
    of ``mechanisms`` in turn (as ``users`` in turn), each with PAM's line (``pam``) and
    Dovecot's auth-worker line (``verbose``) before Postfix's; ``hang_up``: the client
    leaves during the failure delay of its last try (no Postfix failure line for it)."""
    pid = 700 + n + (50 if ip != IP else 0)
    smtpd = f"mx postfix/submission/smtpd[{pid}]"
    lines = [f"Nov 28 10:{n:02d}:00 {smtpd}: connect from unknown[{ip}]"]
    for k, mechanism in enumerate(mechanisms):
        user = users[k % len(users)]
        second = 1 + 3 * k
        if pam:
            lines.append(
                f"Nov 28 10:{n:02d}:{second:02d} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ip}  user={user}"
            )
        if hang_up and k == len(mechanisms) - 1:
            lines.append(
                f"Nov 28 10:{n:02d}:{second + 1:02d} {smtpd}: lost connection after AUTH from unknown[{ip}]"
            )
            break
        if pam and verbose:
            lines.append(
                f"Nov 28 10:{n:02d}:{second + 2:02d} mx dovecot: auth-worker(1234): pam({user},{ip}): pam_authenticate() failed: Authentication failure (Password mismatch?)"
            )
        lines.append(
            f"Nov 28 10:{n:02d}:{second + 2:02d} {smtpd}: warning: unknown[{ip}]: SASL {mechanism} authentication failed: (reason unavailable), sasl_username={user}"
        )
    tries = len(mechanisms)
    lines.append(
        f"Nov 28 10:{n:02d}:50 {smtpd}: disconnect from unknown[{ip}] ehlo=1 auth=0/{tries} quit=1 commands=2/{tries + 2}"
    )
    return lines


LAYOUTS = pytest.mark.parametrize(
    ("pam", "verbose"),
    [(False, False), (True, False), (True, True)],
    ids=["postfix-only", "pam+postfix", "pam+auth-worker+postfix"],
)


@LAYOUTS
def test_a_mechanism_fallback_through_pam_is_one_attempt(
    run: Runner, log_file: Callable[[str], str], pam: bool, verbose: bool
) -> None:
    # A phone with a stale password tries it by PLAIN, then by LOGIN, in each of eight
    # connections: eight wrong passwords, with PAM's lines in the log or without them
    # (it gave 16 with them: the owner's phone banned twice as fast).
    lines = [line for n in range(8) for line in smtp_tries(n, ("PLAIN", "LOGIN"), pam, verbose)]
    path = log_file("\n".join(lines) + "\n")
    found = attacker(run, path)
    assert found["failures"] == 8
    assert found["users"] == ["bob"]
    code, out, err = run("explain", path)
    assert code == 0, err
    assert "tried to log in as “bob”: 8 failed attempts." in " ".join(out.split())


@LAYOUTS
def test_a_bot_repeating_one_mechanism_through_pam_counts_each_try(
    run: Runner, log_file: Callable[[str], str], pam: bool, verbose: bool
) -> None:
    lines = [line for n in range(3) for line in smtp_tries(n, ("PLAIN",) * 3, pam, verbose)]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 9


@LAYOUTS
def test_mechanism_rotation_through_pam_hides_no_more_than_two_tries_a_session(
    run: Runner, log_file: Callable[[str], str], pam: bool, verbose: bool
) -> None:
    # Name after name, each by PLAIN then LOGIN: the first two LOGIN tries are taken for
    # fallbacks (MAX_FALLBACKS), the third is counted: 4 of 6, with PAM or without.
    users = ("ann", "ann", "ben", "ben", "cy", "cy")
    lines = smtp_tries(0, ("PLAIN", "LOGIN") * 3, pam, verbose, users=users)
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 4


@pytest.mark.parametrize("verbose", [False, True])
def test_a_client_leaving_during_the_failure_delay_still_counts_its_try(
    run: Runner, log_file: Callable[[str], str], verbose: bool
) -> None:
    # The second try's PAM line, then the client hangs up before Postfix's reply: no
    # Postfix line tells that try, PAM's does (two tries a connection, six in all).
    lines = [
        line
        for n in range(3)
        for line in smtp_tries(n, ("PLAIN", "LOGIN"), verbose=verbose, hang_up=True)
    ]
    assert attacker(run, log_file("\n".join(lines) + "\n"))["failures"] == 6


def test_pam_lines_of_two_addresses_stay_each_their_own(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # A phone's fallbacks and a bot's tries at the same time, their lines interleaved:
    # each keeps its own count (4 and 12).
    bot = "198.51.100.77"
    phone = [smtp_tries(n, ("PLAIN", "LOGIN")) for n in range(4)]
    tries = [smtp_tries(n, ("PLAIN", "LOGIN", "PLAIN"), ip=bot) for n in range(4)]
    lines = [line for pair in zip(phone, tries, strict=True) for both in pair for line in both]
    lines.sort(key=lambda line: line[:15])  # one log, in time order
    code, out, err = run(
        "analyze", "--year", "2026", "--format", "json", log_file("\n".join(lines) + "\n")
    )
    assert code == 0, err
    counts = {a["ip"]: a["failures"] for a in json.loads(out)["attackers"]}
    # The bot's PLAIN, LOGIN (a fallback), PLAIN again (counted): 2 a connection. It
    # tries bob too: one address's lines never take the other's.
    assert counts == {IP: 4, bot: 8}


def test_imap_tries_beside_a_failing_smtp_session_of_the_address_count_once(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # An office address: a phone failing on submission while a laptop fails IMAP logins
    # (PAM's line, the auth-worker line with a session id or none, the login line): each
    # try once, also when PAM's line comes while the smtpd session is failing.
    smtp = smtp_tries(0, ("PLAIN", "PLAIN", "PLAIN"), verbose=False)
    imap = []
    for second, verbose in ((5, True), (11, False), (14, True)):
        ident = f"Sess{second:02d}abcdefghij"
        imap.append(
            f"Nov 28 10:00:{second:02d} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=alice rhost={IP}  user=alice"
        )
        if verbose:
            imap.append(
                f"Nov 28 10:00:{second + 2:02d} mx dovecot: auth-worker(1234): pam(alice,{IP},<{ident}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
            )
        imap.append(
            f"Nov 28 10:00:{second + 3:02d} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 3 secs): user=<alice>, method=PLAIN, rip={IP}, lip=192.0.2.1, TLS, session=<{ident}>"
        )
    lines = sorted(smtp + imap, key=lambda line: line[:15])
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 6
    assert sorted(found["users"]) == ["alice", "bob"]


def office_behind_nat(n: int, pam: bool, verbose: bool, late: bool) -> list[str]:
    """Minute ``n``: two mail programs behind one NAT address (a phone and a laptop with
    the same stale password) on overlapping submission connections, each trying it by
    PLAIN, then by LOGIN, with PAM's and Dovecot's lines as :func:`smtp_tries`. The phone's
    connection ends during the laptop's: before PAM's line of its LOGIN try (``late``),
    else between that line and Postfix's."""
    phone = f"mx postfix/submission/smtpd[{800 + 2 * n}]"
    laptop = f"mx postfix/submission/smtpd[{801 + 2 * n}]"
    timed = [
        (0, f"{phone}: connect from unknown[{IP}]"),
        (1, f"{laptop}: connect from unknown[{IP}]"),
    ]
    tries = [
        (2, phone, "PLAIN"),
        (5, laptop, "PLAIN"),
        (8, phone, "LOGIN"),
        (12 if late else 10, laptop, "LOGIN"),
    ]
    for second, smtpd, mechanism in tries:
        if pam:
            timed.append(
                (
                    second,
                    f"mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost={IP}  user=bob",
                )
            )
        if pam and verbose:
            timed.append(
                (
                    second + 2,
                    f"mx dovecot: auth-worker(1234): pam(bob,{IP}): pam_authenticate() failed: Authentication failure (Password mismatch?)",
                )
            )
        timed.append(
            (
                second + 2,
                f"{smtpd}: warning: unknown[{IP}]: SASL {mechanism} authentication failed: (reason unavailable), sasl_username=bob",
            )
        )
    for second, smtpd in ((11, phone), (16, laptop)):
        timed.append(
            (second, f"{smtpd}: disconnect from unknown[{IP}] ehlo=1 auth=0/2 quit=1 commands=2/4")
        )
    timed.sort(key=lambda line: line[0])  # one log, in time order
    return [f"Nov 28 10:{n:02d}:{second:02d} {text}" for second, text in timed]


@LAYOUTS
@pytest.mark.parametrize("late", [True, False], ids=["after-the-end", "across-the-end"])
def test_a_fallback_behind_nat_is_one_attempt_while_another_connection_of_the_address_ends(
    run: Runner, log_file: Callable[[str], str], pam: bool, verbose: bool, late: bool
) -> None:
    # Two wrong passwords a minute, as Postfix's lines alone tell. When the phone's
    # connection ended, the address was forgotten (or PAM's line of the laptop's LOGIN
    # try, waiting for Postfix's, counted then): the laptop's fallback counted too.
    lines = [line for n in range(4) for line in office_behind_nat(n, pam, verbose, late)]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 8
    assert found["users"] == ["bob"]


def test_a_mechanism_not_offered_hides_no_imap_guess_of_the_address(
    run: Runner, log_file: Callable[[str], str]
) -> None:
    # A bot keeps one submission connection asking for a mechanism the server does not
    # offer (no guess) while its IMAP guesses hang up in the failure delay: PAM's line is
    # each guess's only line that counts it. None of them is the refused mechanism's
    # (it had no password checked): five guesses, listed and banned (none before).
    xfoo = (
        f"warning: unknown[{IP}]: SASL XFOO authentication failed: Invalid authentication mechanism"
    )
    lines = []
    for n in range(5):
        smtpd = f"mx postfix/submission/smtpd[{701 + 2 * n}]"
        lines += [
            f"Nov 28 10:{n:02d}:00 {smtpd}: connect from unknown[{IP}]",
            f"Nov 28 10:{n:02d}:00 {smtpd}: {xfoo}",
            pam_unix(n, "bob"),
            f"Nov 28 10:{n:02d}:02 {smtpd}: {xfoo}",
            f"Nov 28 10:{n:02d}:03 mx dovecot: imap-login: Disconnected: Connection closed (disconnected while authenticating, waited 2 secs): user=<bob>, method=PLAIN, rip={IP}, lip=192.0.2.254, TLS, session=<H{n:02d}abcdefghijklm>",
            f"Nov 28 10:{n:02d}:04 {smtpd}: disconnect from unknown[{IP}] ehlo=1 auth=0/2 quit=1 commands=2/4",
        ]
    found = attacker(run, log_file("\n".join(lines) + "\n"))
    assert found["failures"] == 5
    assert found["recommendation"] == "ban"
    assert found["users"] == ["bob"]
