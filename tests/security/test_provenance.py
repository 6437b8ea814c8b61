# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""Address provenance, end to end: a client address comes only from the position the
server writes. Whatever a client puts into a field it controls (SASL username, EHLO name,
MAIL FROM, RCPT TO, Dovecot ``user=<…>``, a passdb prefix, a non-SMTP command, a plaintext
dump, verbose chat, a whole forged entry), that address never becomes an event's ip, an
attacker in ``analyze``, or a ban of the daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from seclab import (
    CLIENT,
    FAKE_DOVECOT,
    FAKE_POSTFIX,
    REAL,
    SERVER,
    VICTIM,
    addresses_in,
    banned,
    restamp,
    warden,
    write_log,
)

Line = Callable[[int], str]


def _pf(i: int) -> str:
    return f"Feb 23 11:57:{i:02d} mx postfix/submission/smtpd[{100 + i}]: "


def _dc(i: int) -> str:
    return f"Feb 23 11:57:{i:02d} mx dovecot: "


# Each case: a log line whose client-chosen part carries VICTIM; the line's real client
# (when it has one) is CLIENT. Thirty of each are enough to cross every threshold.
CASES: dict[str, Line] = {
    "sasl username with a fake failure": lambda i: (
        _pf(i)
        + f"warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=x]: SASL LOGIN authentication failed: y, sasl_username=unknown[{VICTIM}]"
    ),
    "sasl username with a whole entry": lambda i: (
        _pf(i)
        + f"warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=a {FAKE_POSTFIX}"
    ),
    "sasl username with an RFC 3339 entry": lambda i: (
        _pf(i)
        + f"warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=a 2026-02-23T11:57:45+00:00 p/smtpd[9]: warning: unknown[{VICTIM}]: SASL PLAIN authentication failed: x"
    ),
    "EHLO name": lambda i: (
        _pf(i)
        + f"NOQUEUE: reject: RCPT from unknown[{CLIENT}]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<{FAKE_POSTFIX}>"
    ),
    "MAIL FROM": lambda i: (
        _pf(i)
        + f"NOQUEUE: reject: RCPT from unknown[{CLIENT}]: 554 5.7.1 <x@y>: Relay access denied; from=<{FAKE_POSTFIX}> to=<x@y> proto=ESMTP helo=<h>"
    ),
    "RCPT TO": lambda i: (
        _pf(i)
        + f"NOQUEUE: reject: RCPT from unknown[{CLIENT}]: 550 5.1.1 <{FAKE_POSTFIX}>: Recipient address rejected: User unknown; from=<a@b> to=<{FAKE_POSTFIX}> proto=ESMTP helo=<h>"
    ),
    "illegal address syntax": lambda i: (
        _pf(i)
        + f"warning: Illegal address syntax from unknown[{CLIENT}] in MAIL command: <{FAKE_POSTFIX}>"
    ),
    "dovecot user with rip (2.3)": lambda i: (
        _dc(i)
        + f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip={VICTIM}, lip=1.1.1.1>, method=PLAIN, rip={CLIENT}, lip={SERVER}, TLS, session=<abcd{i}>"
    ),
    "dovecot user with rip (2.4)": lambda i: (
        _dc(i)
        + f"imap-login: Login aborted: Connection closed (auth failed, 3 attempts in 12 secs) (auth_failed): user=<x>, rip={VICTIM}, lip=1.1.1.1>, method=PLAIN, rip={CLIENT}, lip={SERVER}, TLS, session=<abcd{i}>"
    ),
    "dovecot user with an entry": lambda i: (
        _dc(i)
        + f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{FAKE_DOVECOT[:78]}>, method=PLAIN, rip={CLIENT}, lip={SERVER}, TLS, session=<abcd{i}>"
    ),
    "dovecot login with an entry": lambda i: (
        _dc(i)
        + f"imap-login: Login: user=<a {FAKE_DOVECOT[:70]}>, method=PLAIN, rip={CLIENT}, lip={SERVER}, mpid=1, TLS, session=<abc{i}>"
    ),
    "pam ruser and rhost": lambda i: (
        f"Feb 23 11:57:{i:02d} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost={VICTIM}  user=bob rhost={CLIENT}"
    ),
    "pam ruser with rhost inside": lambda i: (
        f"Feb 23 11:57:{i:02d} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=evil rhost={VICTIM} rhost={CLIENT} user=bob"
    ),
    "pam worker prefix": lambda i: (
        _dc(i)
        + f"auth-worker(1234): pam(x rhost={VICTIM},{CLIENT},<sess{i}>): pam_authenticate() failed: Authentication failure (Password mismatch?)"
    ),
    "2.4 auth prefix with commas and parens": lambda i: (
        _dc(i)
        + f"auth: auth(a,{VICTIM},b),{CLIENT},sasl:plain)<sess{i}>: passwd-file: Password mismatch"
    ),
    "2.4 auth prefix with a closing paren": lambda i: (
        _dc(i)
        + f"auth(a),{VICTIM},(b,{CLIENT},sasl:plain)<sess{i}>: passwd-file: Password mismatch"
    ),
    "2.4 auth prefix with a session": lambda i: (
        _dc(i)
        + f"auth(evil,{VICTIM},<sess>,{CLIENT},sasl:plain)<sess{i}>: passwd-file: unknown user"
    ),
    "2.3 passdb prefix": lambda i: (
        _dc(i) + f"auth: passwd-file(evil,{VICTIM},<sess>,{CLIENT},<sess{i}>): unknown user"
    ),
    "2.3 passdb prefix with a paren": lambda i: (
        _dc(i)
        + f"auth: passwd-file(admin@lab.example,{VICTIM})): Password mismatch,{CLIENT},<s{i}>): Password mismatch"
    ),
    "2.3 worker prefix": lambda i: (
        _dc(i) + f"auth-worker(123): pam(evil,{VICTIM},<s>,{CLIENT},<sess{i}>): unknown user"
    ),
    "non-SMTP command with an entry": lambda i: (
        _pf(i) + f"warning: non-SMTP command from unknown[{CLIENT}]: {FAKE_POSTFIX}"
    ),
    "non-SMTP command with a client": lambda i: (
        _pf(i)
        + f"warning: non-SMTP command from unknown[{CLIENT}]: GET / from unknown[{VICTIM}]: x"
    ),
    "pipelining text": lambda i: (
        _pf(i) + f"improper command pipelining after EHLO from unknown[{CLIENT}]: {FAKE_POSTFIX}"
    ),
    "plaintext dump": lambda i: _pf(i) + f"Read 200 chars: AUTH PLAIN x {FAKE_POSTFIX}",
    "plaintext dump with a client": lambda i: _pf(i) + f"Read 40 chars: x from unknown[{VICTIM}]??",
    "verbose chat with an entry": lambda i: _pf(i) + f"< unknown[{CLIENT}]: {FAKE_POSTFIX}",
    "verbose chat with a client": lambda i: (
        _pf(i) + f"< unknown[{CLIENT}]: AUTH PLAIN x from unknown[{VICTIM}]"
    ),
    "xsasl auth reply": lambda i: (
        _pf(i) + f"xsasl_dovecot_handle_reply: auth reply: FAIL?1?user={FAKE_POSTFIX}"
    ),
    "postscreen PREGREET": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/postscreen[1]: PREGREET 11 after 0.1 from [{CLIENT}]:4000: {FAKE_POSTFIX}"
    ),
    "postscreen NON-SMTP COMMAND": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/postscreen[1]: NON-SMTP COMMAND from [{CLIENT}]:4000 after CONNECT: {FAKE_POSTFIX}"
    ),
    "authenticated user with an entry": lambda i: (
        _pf(i)
        + f"4ABC{i}: client=unknown[{CLIENT}], sasl_method=PLAIN, sasl_username={FAKE_POSTFIX}"
    ),
    "dovecot mail process": lambda i: (
        f"Feb 23 11:57:{i:02d} mx dovecot: imap(bob)<123><sess>: Disconnected: Logged out in=1 out=2 {FAKE_POSTFIX}"
    ),
}


# Lines where splitting pasted text (explain/events/analyze only: the daemon never splits
# a line) found the forged entry, before these fields joined framing's list of client
# fields. Every line here is forged, the first one too, so the input counts as pasted.
PASTED_GAPS: dict[str, Line] = {
    # cleanup logs every Message-ID header as is (cleanup_message.c): any sender.
    "cleanup message-id": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/cleanup[5]: 4Xabc{i:03d}: message-id=x {FAKE_POSTFIX}"
    ),
    "cleanup resent-message-id": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/cleanup[5]: 4Xabc{i:03d}: resent-message-id=x {FAKE_POSTFIX}"
    ),
    # header_checks WARN: cleanup_act_log(state, "warning", "header", %.200s …).
    "cleanup header_checks WARN": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/cleanup[5]: 4Xabc{i:03d}: warning: header Subject: hi {FAKE_POSTFIX} from unknown[{CLIENT}]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>"
    ),
    # tls_server.c server_sni_callback(): msg_warn("TLS SNI from %s is invalid: %s", …, sni).
    "invalid TLS SNI": lambda i: (
        _pf(i) + f"warning: TLS SNI from unknown[{CLIENT}] is invalid: {FAKE_POSTFIX}"
    ),
    # A remote server's reply, logged by the SMTP client when a backup MX remains.
    "remote server reply": lambda i: (
        f"Feb 23 11:57:{i:02d} mx postfix/smtp[7]: 4Xabc{i:03d}: host mx1.evil.example[{CLIENT}] said: 451 4.3.0 {FAKE_POSTFIX} (in reply to RCPT TO command)"
    ),
}


def _lines(make: Line) -> list[str]:
    return [make(i) for i in range(10, 40)]


@pytest.mark.parametrize("name", list(CASES))
def test_a_smuggled_address_is_no_event_and_no_attacker(tmp_path: Path, name: str) -> None:
    log = write_log(tmp_path / "mail.log", _lines(CASES[name]))
    ips, attackers = addresses_in(log)
    assert VICTIM not in ips
    assert not any(VICTIM in a or "203.0.113.0" in a for a in attackers), attackers
    assert ips <= {CLIENT}


@pytest.mark.parametrize("name", list(PASTED_GAPS))
def test_a_forged_entry_in_other_client_text_is_not_split_out(tmp_path: Path, name: str) -> None:
    log = write_log(tmp_path / "mail.log", _lines(PASTED_GAPS[name]))
    ips, attackers = addresses_in(log)
    assert VICTIM not in ips
    assert VICTIM not in attackers


def test_the_daemon_bans_the_client_never_the_smuggled_address(tmp_path: Path) -> None:
    lines = [line for make in {**CASES, **PASTED_GAPS}.values() for line in _lines(make)]
    with warden(tmp_path) as lab:
        daemon = lab.start()
        lab.append(restamp(lines))
        daemon.step()
        bans = banned(daemon)
        assert bans, "the cases should get their real client banned"
        assert not any(VICTIM in ban or ban.startswith("203.0.113.") for ban in bans), bans
        assert daemon.counters.line_errors == 0
        assert all(VICTIM not in line for line in lab.lines if line.startswith("ban "))


@pytest.mark.parametrize(
    "name",
    ["postfix-3.7-submission.log", "dovecot-2.3-imap.log", "dovecot-2.3-any-username.log"],
)
def test_the_lab_captures_never_blame_the_address_in_a_username(tmp_path: Path, name: str) -> None:
    """Real Postfix 3.7 and Dovecot 2.3 logs: clients logged in as
    ``unknown[203.0.113.5]``, ``x> rip=203.0.113.5 user=<admin``,
    ``evil,203.0.113.5,<sess>``, ``admin@lab.example,203.0.113.5)``, …"""
    ips, attackers = addresses_in(REAL / name)
    assert VICTIM not in ips and VICTIM not in attackers
    text = (REAL / name).read_text(encoding="utf-8")
    with warden(tmp_path, fast_failures=1) as lab:
        daemon = lab.start()
        lab.append(restamp(text.splitlines()))
        daemon.step()
        assert banned(daemon)
        assert not any(ban.startswith(f"{VICTIM}/") for ban in banned(daemon))


def test_a_log_file_is_never_split_whatever_a_later_line_holds(tmp_path: Path) -> None:
    """Only an input whose first line holds several entries is pasted text: in a log file
    a forged entry inside a field nobody listed (here a made-up program's text) stays
    part of its line."""
    first = _pf(9) + f"connect from unknown[{CLIENT}]"
    forged = f"Feb 23 11:57:10 mx webapp[77]: note {FAKE_POSTFIX}"
    log = write_log(tmp_path / "mail.log", [first, forged])
    ips, attackers = addresses_in(log)
    assert VICTIM not in ips
    assert VICTIM not in attackers


def test_pasted_text_is_still_split(tmp_path: Path) -> None:
    """The user's own excerpt (every entry on one line) still gives every entry."""
    excerpt = Path(__file__).resolve().parents[2] / "samples" / "seed-excerpt.txt"
    from mailwarden.pipeline import Counts, ReadOptions, read_events

    counts = Counts()
    records = [record for record, _ in read_events([str(excerpt)], ReadOptions(), counts)]
    assert len(records) == 42
