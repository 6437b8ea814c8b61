"""Test lines for every line family and version variant in the shared reference, with
the event each must give. Written from the reference (§1–§4), not copied from any peer's
samples; attackers come from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32.

A Case names the event type the line must give (None: no event at all), the client
address, the strength ("strong", "weak", or None for not hostile) and further fields to
check (``detail.x`` for a detail key).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mailwarden.model import EventType as T

ATTACKER = "203.0.113.7"
ATTACKER6 = "2001:db8::7"
FRIEND = "198.51.100.20"


class Case(NamedTuple):
    line: str
    type: T | None
    ip: str | None = None
    strength: str | None = None
    checks: dict[str, Any] = {}  # noqa: RUF012 - never mutated


def pf(message: str, program: str = "postfix/smtpd", pid: int = 32451) -> str:
    """A Postfix line in the classic syslog format (space-padded day)."""
    return f"Feb  3 11:57:42 mx {program}[{pid}]: {message}"


def pf_iso(message: str, program: str = "postfix/submission/smtpd") -> str:
    """A Postfix line in rsyslog's RFC 3339 format."""
    return f"2026-02-23T11:57:42.123456+01:00 mx {program}[2201]: {message}"


def dv(message: str) -> str:
    """A Dovecot line through syslog (ident ``dovecot``, no pid)."""
    return f"Feb 23 11:57:42 mx dovecot: {message}"


def dv_file(message: str) -> str:
    """A Dovecot line from its own log file (``log_path``): zero-padded day, no host."""
    return f"Feb 03 11:57:42 {message}"


A = ATTACKER
U = f"unknown[{A}]"

POSTFIX_SESSION = [
    Case(pf(f"connect from {U}"), T.CONNECT, A, None, {"detail.name": "unknown"}),
    Case(
        pf(f"connect from mail.example.net[{FRIEND}]:41234"),
        T.CONNECT,
        FRIEND,
        None,
        {"port": 41234, "service": "smtp"},
    ),
    Case(pf("connect from unknown[2001:DB8:0:0::7]"), T.CONNECT, ATTACKER6),
    Case(pf("connect from unknown[::ffff:203.0.113.7]"), T.CONNECT, A),
    # < 3.0: no statistics
    Case(pf(f"disconnect from {U}"), T.DISCONNECT, A, None, {"attempts": 0}),
    Case(
        pf(f"disconnect from {U} ehlo=1 auth=0/3 commands=1/4"),
        T.DISCONNECT,
        A,
        "strong",
        {"attempts": 3, "detail.auth_ok": "0", "detail.stats": "ehlo=1 auth=0/3 commands=1/4"},
    ),
    # the reference's session: AUTH failed, then "*" as an unknown command
    Case(
        pf(f"disconnect from {U} ehlo=2 starttls=1 auth=0/1 unknown=0/1 commands=3/5"),
        T.DISCONNECT,
        A,
        "strong",
        {"attempts": 1},
    ),
    Case(pf(f"disconnect from {U} unknown=0/2 commands=0/2"), T.DISCONNECT, A, "strong"),
    # a mistyped password, then success: not hostile
    Case(
        pf(
            f"disconnect from mail.example.net[{FRIEND}] ehlo=2 starttls=1 auth=1/2 mail=1 "
            "rcpt=1 data=1 quit=1 commands=8/9"
        ),
        T.DISCONNECT,
        FRIEND,
        None,
        {"attempts": 1, "detail.auth_ok": "1"},
    ),
    Case(pf(f"disconnect from {U} commands=0/0"), T.DISCONNECT, A, None),
    Case(
        pf(
            f"disconnect from mail.example.net[{FRIEND}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
            "commands=5 notes=bare_lf"
        ),
        T.DISCONNECT,
        FRIEND,
        None,
    ),
    # ≤ 3.9 and ≥ 3.10 (queue-id prefix, byte count)
    Case(pf(f"lost connection after AUTH from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(pf(f"NOQUEUE: lost connection after AUTH from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(pf(f"lost connection after CONNECT from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(pf(f"NOQUEUE: lost connection after EHLO from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(pf(f"lost connection after HELO from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(pf(f"lost connection after STARTTLS from {U}"), T.LOST_CONNECTION, A, "weak"),
    Case(
        pf(f"lost connection after UNKNOWN from {U}"),
        T.LOST_CONNECTION,
        A,
        "weak",
        {"detail.after": "UNKNOWN"},
    ),
    Case(
        pf(f"4Xk1Zp2Lm9z3q: lost connection after DATA (1024 bytes) from x.example.net[{FRIEND}]"),
        T.LOST_CONNECTION,
        FRIEND,
        None,
        {"detail.bytes": "1024", "detail.after": "DATA"},
    ),
    Case(
        pf(f"4Xk1Zp2Lm9z3q: lost connection after BDAT (0 bytes) from x.example.net[{FRIEND}]"),
        T.LOST_CONNECTION,
        FRIEND,
        None,
    ),
    Case(pf(f"lost connection after DATA from x.example.net[{FRIEND}]"), T.LOST_CONNECTION, FRIEND),
    Case(pf(f"lost connection after RSET from x.example.net[{FRIEND}]"), T.LOST_CONNECTION, FRIEND),
    Case(pf(f"lost connection after QUIT from x.example.net[{FRIEND}]"), T.LOST_CONNECTION, FRIEND),
    Case(
        pf(f"lost connection after END-OF-MESSAGE from x.example.net[{FRIEND}]"),
        T.LOST_CONNECTION,
        FRIEND,
    ),
    Case(pf(f"timeout after CONNECT from {U}"), T.TIMEOUT, A, "weak"),
    Case(pf(f"NOQUEUE: timeout after EHLO from {U}"), T.TIMEOUT, A, "weak"),
    Case(pf(f"timeout after END-OF-MESSAGE from x.example.net[{FRIEND}]"), T.TIMEOUT, FRIEND),
    Case(pf(f"too many errors after AUTH from {U}"), T.TOO_MANY_ERRORS, A, "strong"),
    Case(pf(f"NOQUEUE: too many errors after RCPT from {U}"), T.TOO_MANY_ERRORS, A, "strong"),
]

POSTFIX_SASL = [
    # 2.3 – 3.8.2: empty reason, trailing ": "
    Case(
        pf(f"warning: {U}: SASL PLAIN authentication failed: "),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"mechanism": "PLAIN", "reason": None, "user": None},
    ),
    Case(pf(f"warning: {U}: SASL PLAIN authentication failed:"), T.AUTH_FAILURE, A, "strong"),
    # ≥ 3.9 (and 3.8.3, 3.7.8 …): ", sasl_username="
    Case(
        pf(
            f"warning: {U}: SASL LOGIN authentication failed: (reason unavailable), "
            "sasl_username=admin@example.com",
            "postfix/submission/smtpd",
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "admin@example.com", "reason": "(reason unavailable)", "service": "submission"},
    ),
    Case(
        pf(
            f"warning: {U}: SASL PLAIN authentication failed: (reason unavailable), "
            "sasl_username=(unavailable)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": None},
    ),
    # the stale Dovecot challenge (bug until 3.9.0 / 3.8.6 …): still a failed guess
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: UGFzc3dvcmQ6", "postfix/smtps/smtpd"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"reason": "UGFzc3dvcmQ6", "service": "submissions"},
    ),
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: VXNlcm5hbWU6"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: Password:"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL login authentication failed: UGFzc3dvcmQ6"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"mechanism": "LOGIN"},
    ),
    # CRAM-MD5: the challenge text stands where the reason would be
    Case(
        pf(f"warning: {U}: SASL CRAM-MD5 authentication failed: PDEyMzQ1Ni4xNzAwMDAwMDAwQG14Pg=="),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"mechanism": "CRAM-MD5"},
    ),
    # Cyrus reasons
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: authentication failure"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL PLAIN authentication failed: bad protocol / cancel"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL PLAIN authentication failed: authorization failure"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL NTLM authentication failed: no mechanism available"),
        T.AUTH_FAILURE,
        A,
        "weak",
    ),
    Case(
        pf(
            f"warning: {U}: SASL PLAIN authentication failed: "
            "Invalid base64 data in initial response"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL XFOO authentication failed: Invalid authentication mechanism"),
        T.AUTH_FAILURE,
        A,
        "weak",
    ),
    Case(
        pf(
            f"warning: {U}: SASL XFOO authentication failed: Invalid authentication mechanism: "
            "'XFOO', sasl_username=(unavailable)"
        ),
        T.AUTH_FAILURE,
        A,
        "weak",
    ),
    # server-side trouble: AUTH_UNAVAILABLE, weak at most
    Case(
        pf(
            f"warning: {U}: SASL LOGIN authentication failed: "
            "Connection lost to authentication server"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        pf(
            f"warning: {U}: SASL PLAIN authentication failed: Connection lost to authentication "
            "server, sasl_username=bob@example.com"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
        {"user": "bob@example.com"},
    ),
    Case(
        pf(
            f"warning: {U}: SASL PLAIN authentication failed: "
            "Can't connect to authentication server"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        pf(f"warning: {U}: SASL PLAIN authentication failed: Authentication backend error"),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: generic failure"),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication failed: transient failure (e.g., weak key)"),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        pf(
            f"warning: {U}: SASL LOGIN authentication failed: "
            "remote authentication server unavailable"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    # smtpd_client_port_logging = yes
    Case(
        pf(f"warning: {U}:50123: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"port": 50123},
    ),
    Case(
        pf_iso(f"warning: unknown[{ATTACKER6}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
        T.AUTH_FAILURE,
        ATTACKER6,
        "strong",
    ),
    Case(
        pf(f"warning: {U}: SASL LOGIN authentication aborted"),
        T.AUTH_ABORTED,
        A,
        "weak",
        {"mechanism": "LOGIN"},
    ),
    # Cyrus's own callback lines: no address, not hostile by themselves
    Case(
        pf("warning: SASL authentication failure: Password verification failed"),
        T.AUTH_FAILURE,
        None,
        None,
    ),
    Case(
        pf(
            "warning: SASL authentication failure: cannot connect to saslauthd server: "
            "No such file or directory"
        ),
        T.AUTH_UNAVAILABLE,
        None,
        None,
    ),
    Case(
        pf("warning: SASL authentication problem: unable to open Berkeley db /etc/sasldb2"),
        T.SERVER_WARNING,
    ),
    Case(
        pf(
            "warning: SASL: Connect to Dovecot auth socket 'private/auth' failed: "
            "No such file or directory"
        ),
        T.AUTH_UNAVAILABLE,
        None,
        None,
        {"category": "server"},
    ),
    # success evidence
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: client=mail.example.net[{FRIEND}], sasl_method=PLAIN, "
            "sasl_username=alice@example.com"
        ),
        T.AUTH_SUCCESS,
        FRIEND,
        None,
        {"user": "alice@example.com", "mechanism": "PLAIN"},
    ),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: client=mail.example.net[{FRIEND}]:50522, sasl_method=LOGIN, "
            "sasl_username=alice, sasl_sender=owner@example.com, orig_queue_id=4Xk1Zp2Lm9z3r, "
            "orig_client=other.example.net[198.51.100.21]"
        ),
        T.AUTH_SUCCESS,
        FRIEND,
        None,
        {"user": "alice", "port": 50522},
    ),
    Case(pf(f"4Xk1Zp2Lm9z3q: client=mail.example.net[{FRIEND}]"), T.QUEUED, FRIEND),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: client=localhost[127.0.0.1], orig_queue_id=4Xk1Zp2Lm9z3r, "
            f"orig_client=mail.example.net[{FRIEND}]"
        ),
        T.QUEUED,
        "127.0.0.1",
    ),
]

POSTFIX_POLICY = [
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from {U}: 554 5.7.1 <victim@example.org>: Relay access "
            "denied; from=<spam@example.com> to=<victim@example.org> proto=ESMTP helo=<localhost>"
        ),
        T.REJECT,
        A,
        "strong",
        {
            "detail.stage": "RCPT",
            "detail.code": "554",
            "detail.enhanced": "5.7.1",
            "detail.helo": "localhost",
            "detail.from": "spam@example.com",
            "detail.to": "victim@example.org",
            "detail.proto": "ESMTP",
            "reason": "<victim@example.org>: Relay access denied",
        },
    ),
    Case(
        pf(
            f"NOQUEUE: reject: CONNECT from {U}: 450 4.7.25 Client host rejected: cannot find "
            f"your hostname, [{A}]; proto=SMTP"
        ),
        T.REJECT,
        A,
        "strong",
        {"detail.stage": "CONNECT"},
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from {U}: 450 4.7.1 Client host rejected: cannot find your "
            f"reverse hostname, [{A}]; from=<a@example.com> to=<b@example.org> proto=ESMTP "
            "helo=<example.com>"
        ),
        T.REJECT,
        A,
        "strong",
    ),
    Case(
        pf(
            f"NOQUEUE: reject: EHLO from {U}: 504 5.5.2 <WIN-7Q3>: Helo command rejected: need "
            "fully-qualified hostname; proto=SMTP helo=<WIN-7Q3>"
        ),
        T.REJECT,
        A,
        "strong",
        {"detail.stage": "EHLO", "detail.helo": "WIN-7Q3"},
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from {U}: 450 4.1.8 <a@nowhere.example>: Sender address "
            "rejected: Domain not found; from=<a@nowhere.example> to=<b@example.org> "
            "proto=ESMTP helo=<x.example>"
        ),
        T.REJECT,
        A,
        "strong",
    ),
    Case(
        pf(
            f"NOQUEUE: reject: VRFY from {U}: 550 5.1.1 <root@example.org>: Recipient address "
            "rejected: User unknown in local recipient table; to=<root@example.org> proto=SMTP"
        ),
        T.REJECT,
        A,
        "strong",
        {"detail.stage": "VRFY"},
    ),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: reject: RCPT from {U}: 550 5.1.1 <nobody@example.org>: Recipient "
            "address rejected: User unknown in virtual mailbox table; from=<a@example.com> "
            "to=<nobody@example.org> proto=ESMTP helo=<x.example>"
        ),
        T.REJECT,
        A,
        "strong",
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from {U}: 554 5.7.1 Service unavailable; Client host "
            f"[{A}] blocked using zen.spamhaus.example; https://www.spamhaus.example/query/ip/"
            f"{A}; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example>"
        ),
        T.DNSBL,
        A,
        "strong",
    ),
    Case(
        pf(f"NOQUEUE: reject: RCPT from {U}: 554 5.7.1 Service unavailable"),
        T.REJECT,
        A,
        "strong",
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from {U}: 554 5.7.1 <b@example.org>: Recipient address "
            "rejected: Access denied; from=<a@example.com> to=<b@example.org> proto=ESMTP "
            "helo=<x.example>"
        ),
        T.REJECT,
        A,
        "strong",
    ),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: milter-reject: DATA from {U}: 550 5.7.1 Command rejected; "
            "from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example>"
        ),
        T.REJECT,
        A,
        "strong",
        {"detail.action": "milter-reject"},
    ),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: milter-reject: END-OF-MESSAGE from x.example.net[{FRIEND}]: 451 4.7.1 "
            "Try again later; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example>"
        ),
        T.REJECT,
        FRIEND,
        None,
    ),
    Case(
        pf(
            f"4Xk1Zp2Lm9z3q: reject: BDAT from {U}: 550 5.5.3 <DATA>: Data command rejected: "
            "Multi-recipient bounce; from=<> to=<b@example.org> proto=ESMTP helo=<x.example>",
            "postfix-out/submission/smtpd",
        ),
        T.REJECT,
        A,
        "strong",
        {"service": "submission"},
    ),
    # greylisting: what every legitimate new sender meets
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from x.example.net[{FRIEND}]: 450 4.2.0 <b@example.org>: "
            "Recipient address rejected: Greylisted, see https://postgrey.example/; "
            "from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example.net>"
        ),
        T.REJECT,
        FRIEND,
        None,
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from x.example.net[{FRIEND}]: 452 4.3.1 Insufficient system "
            "storage; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example.net>"
        ),
        T.REJECT,
        FRIEND,
        None,
    ),
    # (a reject of an authenticated client gives its login too: test_reject_logins.py)
    Case(
        pf(f"improper command pipelining after EHLO from {U}: MAIL FROM:<a@example.com>\\r\\n"),
        T.PIPELINING,
        A,
        "strong",
        {"payload": "MAIL FROM:<a@example.com>\\r\\n", "detail.after": "EHLO"},
    ),
    Case(pf(f"improper command pipelining after CONNECT from {U}"), T.PIPELINING, A, "strong"),
    Case(pf(f"improper command pipelining after DATA from {U}:"), T.PIPELINING, A, "strong"),
    Case(
        pf(f"warning: non-SMTP command from {U}: GET / HTTP/1.1", "postfix/submission/smtpd"),
        T.NON_SMTP_COMMAND,
        A,
        "strong",
        {"payload": "GET / HTTP/1.1"},
    ),
    Case(pf(f"warning: non-SMTP command from {U}: *"), T.NON_SMTP_COMMAND, A, "strong"),
    # An over-long line: a weak hint (the login it may carry fails on its own line);
    # only an SMTP verb of its text is carried, never the rest (a credential).
    Case(
        pf(f"warning: {U}: request longer than 2048: AUTH PLAIN AGFkbWluQGZpcGljay5..."),
        T.LONG_REQUEST,
        A,
        "weak",
        {"payload": None, "detail.limit": "2048", "detail.command": "AUTH"},
    ),
    Case(
        pf(f"warning: {U}: request longer than 12288: AGFkbWluQGZpcGljay5jb20AaHVud..."),
        T.LONG_REQUEST,
        A,
        "weak",
        {"payload": None, "detail.limit": "12288", "detail.command": None},
    ),
    Case(
        pf(
            f"warning: hostname bad.example.com does not resolve to address {A}: "
            "Name or service not known"
        ),
        T.HOSTNAME_MISMATCH,
        A,
        "weak",
        {"detail.hostname": "bad.example.com"},
    ),
    Case(
        pf(f"warning: hostname bad.example.com does not resolve to address {ATTACKER6}"),
        T.HOSTNAME_MISMATCH,
        ATTACKER6,
        "weak",
    ),
    Case(
        pf(
            f"warning: {A}: hostname bad.example.com verification failed: Name or service not known"
        ),
        T.HOSTNAME_MISMATCH,
        A,
        "weak",
    ),
    Case(
        pf(f"warning: {A}: address not listed for hostname bad.example.com"),
        T.HOSTNAME_MISMATCH,
        A,
        "weak",
    ),
    # anvil limits, as smtpd logs them
    Case(
        pf(f"warning: AUTH command rate limit exceeded: 11 from {U} for service submission"),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "auth", "detail.count": "11", "detail.for_service": "submission"},
    ),
    Case(
        pf(f"warning: Connection rate limit exceeded: 31 from {U} for service smtp"),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "connection_rate"},
    ),
    Case(
        pf(f"warning: Connection concurrency limit exceeded: 51 from {U} for service smtp"),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "concurrency"},
    ),
    Case(
        pf(f"warning: New TLS session rate limit exceeded: 21 from {U} for service smtp"),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "new_tls_session"},
    ),
    Case(
        pf(
            f"warning: Message delivery request rate limit exceeded: 101 from {U} "
            "for service submission"
        ),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "message"},
    ),
    Case(
        pf(f"warning: Recipient address rate limit exceeded: 301 from {U} for service smtp"),
        T.RATE_LIMITED,
        A,
        "strong",
        {"detail.limit": "recipient"},
    ),
    # anvil's own statistics
    Case(
        pf(
            f"statistics: max connection rate 12/60s for (smtp:{A}) at Feb  3 11:50:01",
            "postfix/anvil",
        ),
        T.ANVIL_STATISTICS,
        A,
        None,
        {"detail.for_service": "smtp", "detail.metric": "connection rate"},
    ),
    Case(
        pf(
            f"statistics: max auth rate 5/60s for (submission:{ATTACKER6}) at Feb  3 11:50:01",
            "postfix/anvil",
        ),
        T.ANVIL_STATISTICS,
        ATTACKER6,
        None,
        {"detail.value": "5/60s"},
    ),
    Case(
        pf(
            f"statistics: max connection count 3 for (smtp:{A}) at Feb  3 11:50:01", "postfix/anvil"
        ),
        T.ANVIL_STATISTICS,
        A,
    ),
    Case(
        pf("statistics: max cache size 7 at Feb  3 11:50:01", "postfix/anvil"),
        T.ANVIL_STATISTICS,
        None,
    ),
    Case(
        pf(
            "statistics: max connection rate 40/60s for (smtp:2001:db8::/84) at Feb  3 11:50:01",
            "postfix/anvil",
        ),
        T.ANVIL_STATISTICS,
        None,
        None,
        {"detail.network": "2001:db8::/84"},
    ),
]

P = "postfix/postscreen"
POSTSCREEN = [
    Case(
        pf(f"CONNECT from [{A}]:50123 to [192.0.2.1]:25", P),
        T.POSTSCREEN_PASS,
        A,
        None,
        {"port": 50123, "server_ip": "192.0.2.1", "service": "postscreen"},
    ),
    Case(pf(f"PASS NEW [{A}]:50123", P), T.POSTSCREEN_PASS, A),
    Case(pf(f"PASS OLD [{FRIEND}]:50124", P), T.POSTSCREEN_PASS, FRIEND),
    Case(pf(f"DISCONNECT [{A}]:50123", P), T.POSTSCREEN_PASS, A),
    Case(pf(f"ALLOWLISTED [{FRIEND}]:50124", P), T.POSTSCREEN_PASS, FRIEND),
    Case(pf(f"WHITELIST VETO [{FRIEND}]:50124", P), T.POSTSCREEN_PASS, FRIEND),
    Case(
        pf(f"PREGREET 11 after 0.18 from [{A}]:50123: EHLO ylmf\\r\\n", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
        {"reason": "PREGREET", "payload": "EHLO ylmf\\r\\n"},
    ),
    Case(
        pf(f"HANGUP after 0.52 from [{A}]:50123 in tests before SMTP handshake", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
        {"reason": "HANGUP"},
    ),
    Case(pf(f"DNSBL rank 4 for [{A}]:50123", P), T.DNSBL, A, "strong", {"detail.rank": "4"}),
    Case(pf(f"DNSBL rank 2 for [{ATTACKER6}]:50123", P), T.DNSBL, ATTACKER6, "strong"),
    Case(pf(f"DENYLISTED [{A}]:50123", P), T.POSTSCREEN_VIOLATION, A, "strong"),
    Case(pf(f"BLACKLISTED [{A}]:50123", P), T.POSTSCREEN_VIOLATION, A, "strong"),
    Case(
        pf(f"COMMAND PIPELINING from [{A}]:50123 after EHLO: MAIL FROM:<a@b>\\r\\n", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
        {"reason": "COMMAND PIPELINING"},
    ),
    Case(
        pf(f"NON-SMTP COMMAND from [{A}]:50123 after CONNECT: GET / HTTP/1.1", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
    ),
    Case(pf(f"BARE NEWLINE from [{A}]:50123 after DATA", P), T.POSTSCREEN_VIOLATION, A, "strong"),
    Case(
        pf(f"COMMAND TIME LIMIT from [{A}]:50123 after CONNECT", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
    ),
    Case(
        pf(f"COMMAND COUNT LIMIT from [{A}]:50123 after RCPT", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
    ),
    Case(
        pf(f"COMMAND LENGTH LIMIT from [{A}]:50123 after RCPT", P),
        T.POSTSCREEN_VIOLATION,
        A,
        "strong",
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from [{A}]:50123: 550 5.7.1 Service unavailable; client "
            f"[{A}] blocked using zen.spamhaus.example; from=<a@example.com>, "
            "to=<b@example.org>, proto=ESMTP, helo=<x.example>",
            P,
        ),
        T.DNSBL,
        A,
        "strong",
        {"detail.helo": "x.example", "detail.to": "b@example.org", "detail.proto": "ESMTP"},
    ),
    Case(
        pf(
            f"NOQUEUE: reject: RCPT from [{FRIEND}]:50124: 450 4.3.2 Service currently "
            "unavailable; from=<a@example.com>, to=<b@example.org>, proto=ESMTP, "
            "helo=<x.example>",
            P,
        ),
        T.REJECT,
        FRIEND,
        None,
    ),
    Case(
        pf(f"NOQUEUE: reject: CONNECT from [{A}]:50123: too many connections", P),
        T.REJECT,
        A,
        "weak",
    ),
    Case(
        pf(f"NOQUEUE: reject: CONNECT from [{FRIEND}]:50124: all server ports busy", P),
        T.REJECT,
        FRIEND,
        None,
    ),
]

S = "postfix/smtpd"
TLS = [
    Case(pf("initializing the server-side TLS engine"), T.TLS_SETUP),
    Case(pf(f"setting up TLS connection from {U}"), T.TLS_SETUP, A),
    Case(
        pf(f'{U}: TLS cipher list "ALL:+RC4:@STRENGTH"'),
        T.TLS_SETUP,
        A,
        None,
        {"detail.cipher_list": "ALL:+RC4:@STRENGTH"},
    ),
    Case(
        pf("SSL_accept:SSLv3 read client hello B"),
        T.TLS_SETUP,
        None,
        None,
        {"detail.state": "SSLv3 read client hello B"},
    ),
    Case(pf("SSL_accept:SSLv3/TLS read client hello"), T.TLS_SETUP),
    Case(pf("SSL_accept:failed in SSLv3 read client hello B"), T.TLS_FAILURE, None, None),
    Case(pf("SSL_accept:error in error"), T.TLS_FAILURE, None, None),
    Case(pf("SSL3 alert write:fatal:handshake failure"), T.TLS_FAILURE, None, None),
    Case(pf("SSL3 alert read:warning:close notify"), T.TLS_SETUP),
    # TLS 1.3 (loglevel 2+): the server hands the client a resumption ticket.
    Case(
        pf(f"{U}: Issuing session ticket, key expiration: 1795834217"),
        T.TLS_SETUP,
        A,
        None,
        {"detail.step": "session_ticket"},
    ),
    Case(pf(f"SSL_accept error from {U}: -1"), T.TLS_FAILURE, A, "weak"),
    Case(pf(f"SSL_accept error from {U}: lost connection"), T.TLS_FAILURE, A, "weak"),
    Case(pf(f"SSL_accept error from {U}: Connection reset by peer"), T.TLS_FAILURE, A, "weak"),
    Case(
        pf(
            "warning: TLS library problem: error:0A000076:SSL routines::no suitable signature "
            "algorithm:ssl/statem/statem_srvr.c:2353:"
        ),
        T.TLS_FAILURE,
        None,
        None,
    ),
    Case(
        pf(
            "warning: TLS library problem: 32451:error:1408A0C1:SSL routines:"
            "SSL3_GET_CLIENT_HELLO:no shared cipher:s3_srvr.c:1417:"
        ),
        T.TLS_FAILURE,
    ),
    # before 3.4 (no key-exchange text)
    Case(
        pf(
            f"Anonymous TLS connection established from {U}: TLSv1.2 with cipher RC4-SHA "
            "(128/128 bits)"
        ),
        T.TLS_ESTABLISHED,
        A,
        None,
        {"detail.protocol": "TLSv1.2", "detail.cipher": "RC4-SHA", "detail.bits": "128/128"},
    ),
    # 3.4+: trailing key-exchange/signature text
    Case(
        pf_iso(
            f"Anonymous TLS connection established from mail.example.net[{FRIEND}]: TLSv1.3 "
            "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
            "server-signature RSA-PSS (2048 bits) server-digest SHA256"
        ),
        T.TLS_ESTABLISHED,
        FRIEND,
        None,
        {
            "detail.protocol": "TLSv1.3",
            "detail.extra": "key-exchange X25519 server-signature "
            "RSA-PSS (2048 bits) server-digest SHA256",
        },
    ),
    Case(
        pf(
            f"Untrusted TLS connection reused from {U}: TLSv1.2 with cipher "
            "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)"
        ),
        T.TLS_ESTABLISHED,
        A,
        None,
        {"detail.verb": "reused", "detail.trust": "Untrusted"},
    ),
    Case(
        pf(
            f"Verified TLS connection established from mail.example.net[{FRIEND}] to "
            "mx.example.org: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)",
            "postfix/tlsproxy",
        ),
        T.TLS_ESTABLISHED,
        FRIEND,
        None,
        {"detail.sni": "mx.example.org"},
    ),
    Case(
        pf(f"TLS connection established from {U}: TLSv1 with cipher DES-CBC3-SHA (168/168 bits)"),
        T.TLS_ESTABLISHED,
        A,
    ),
    Case(pf(f"warning: TLS SNI from {U} is invalid: x..y"), T.TLS_FAILURE, A, "weak"),
    Case(pf(f"TLS SNI other.example from {U} not matched, using default chain"), T.TLS_SETUP, A),
]

DUMPS = [
    Case(
        pf("read from 7FD690FE02C0 [7FD6910804C0] (11 bytes => -1 (0xFFFFFFFFFFFFFFFF))"),
        T.TLS_DUMP,
    ),
    Case(pf("write to 55D4B3C0A2B0 [55D4B3C1F0A0] (1234 bytes => 1234 (0x4D2))"), T.TLS_DUMP),
    Case(pf("read from 55D4B3C0A2B0 [55D4B3C1F0A0] (5 bytes => -1)"), T.TLS_DUMP),
    Case(pf("0000 16 03 03 01 06                                   ....."), T.TLS_DUMP),
    Case(pf("0010 00 2f 00 35 00 0a 01 00|00 1b 00 0b 00 04 03 00  ./.5.... ........"), T.TLS_DUMP),
    Case(pf("0085 - <SPACES/NULLS>"), T.TLS_DUMP),
    Case(
        pf("Read 45 chars: AUTH PLAIN AGFkbWluQGV4YW1wbGUuY29tAHdpb"),
        T.AUTH_COMMAND,
        None,
        None,
        {
            "mechanism": "PLAIN",
            "payload": "AGFkbWluQGV4YW1wbGUuY29tAHdpb",
            "detail.declared_length": "45",
        },
    ),
    Case(
        pf("Read 12 chars: AUTH LOGIN??"),
        T.AUTH_COMMAND,
        None,
        None,
        {"mechanism": "LOGIN", "payload": None},
    ),
    Case(pf("Read 3 chars: *??"), T.CLIENT_DATA, None, None, {"payload": "*"}),
    Case(
        pf("Read 16 chars: EHLO localhost??"),
        T.CLIENT_DATA,
        None,
        None,
        {"payload": "EHLO localhost"},
    ),
    Case(
        pf("Read 18 chars: dXNlckBleGFtcGxl??"),
        T.CLIENT_DATA,
        None,
        None,
        {"payload": "dXNlckBleGFtcGxl"},
    ),
    Case(
        pf("Write 42 chars: 435 4.7.8 Error: authentication failed: "),
        T.SERVER_REPLY,
        None,
        None,
        {"detail.code": "435", "detail.enhanced": "4.7.8", "detail.declared_length": "42"},
    ),
    Case(
        pf("Write 158 chars: 250-mx.example.org??250-PIPELINING??250-SIZE 1024"),
        T.SERVER_REPLY,
        None,
        None,
        {"detail.code": "250"},
    ),
    Case(pf("Write 41 chars: 402 4.5.2 Error: command not recognized"), T.SERVER_REPLY),
    # verbose chat (smtpd -v, debug_peer_list): the client address is in the line
    Case(
        pf(f"< {U}: AUTH PLAIN AGFkbWluQGV4YW1wbGUuY29tAHdpbGxvdzE="),
        T.AUTH_COMMAND,
        A,
        None,
        {"mechanism": "PLAIN", "payload": "AGFkbWluQGV4YW1wbGUuY29tAHdpbGxvdzE="},
    ),
    Case(
        pf(f"< {U}: auth login YWRtaW4="),
        T.AUTH_COMMAND,
        A,
        None,
        {"mechanism": "LOGIN", "payload": "YWRtaW4="},
    ),
    Case(pf(f"< {U}: EHLO localhost"), T.CLIENT_DATA, A, None, {"payload": "EHLO localhost"}),
    Case(pf(f"< {U}: d2lsbG93MQ=="), T.CLIENT_DATA, A),
    Case(
        pf(f"> {U}: 535 5.7.8 Error: authentication failed: authentication failure"),
        T.SERVER_REPLY,
        A,
        None,
        {"detail.code": "535", "detail.enhanced": "5.7.8"},
    ),
    Case(pf(f"> {U}: 334 VXNlcm5hbWU6"), T.SERVER_REPLY, A, None, {"detail.code": "334"}),
    Case(
        pf(
            "xsasl_dovecot_server_first: sasl_method PLAIN, init_response "
            "AGFkbWluQGV4YW1wbGUuY29tAHdpbGxvdzE="
        ),
        T.AUTH_COMMAND,
        None,
        None,
        {"mechanism": "PLAIN", "payload": "AGFkbWluQGV4YW1wbGUuY29tAHdpbGxvdzE="},
    ),
    Case(
        pf("xsasl_dovecot_server_first: sasl_method LOGIN"),
        T.AUTH_COMMAND,
        None,
        None,
        {"mechanism": "LOGIN", "payload": None},
    ),
    Case(
        pf("xsasl_cyrus_server_first: sasl_method PLAIN, init_response AGFkbWluAHNlY3JldA=="),
        T.AUTH_COMMAND,
    ),
    Case(
        pf("xsasl_dovecot_handle_reply: auth reply: FAIL?1?user=admin?code=authn_failed"), T.DEBUG
    ),
    Case(
        pf("xsasl_cyrus_server_next: decoded response: s3cret"),
        T.DEBUG,
        None,
        None,
        {"detail.password_logged": "plain"},
    ),
    Case(pf("smtpd_sasl_authenticate: uncoded challenge: Password:"), T.DEBUG),
    Case(
        pf("SASL authentication pass: s3cret"),
        T.DEBUG,
        None,
        None,
        {"reason": "SASL authentication pass: <hidden>", "detail.password_logged": "plain"},
    ),
    Case(pf("SASL authentication info: Password verification failed"), T.DEBUG),
    # -v traces of the attribute protocol (smtpd asking anvil): chatter, no client.
    Case(pf("private/anvil: wanted attribute: status"), T.DEBUG),
    Case(pf("input attribute name: status"), T.DEBUG),
    Case(pf("input attribute value: 0"), T.DEBUG),
    Case(pf(f"send attr ident = submission:{A}"), T.DEBUG, None),
]

D = dv
DOVECOT_LOGIN = [
    # 2.2 – 2.3.14
    Case(
        D(
            f"imap-login: Aborted login (auth failed, 2 attempts in 6 secs): user=<admin>, "
            f"method=PLAIN, rip={A}, lip=192.0.2.1, TLS, session=<8sXr3BQFzsrLAAAB>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {
            "attempts": 2,
            "user": "admin",
            "mechanism": "PLAIN",
            "service": "imap",
            "session": "8sXr3BQFzsrLAAAB",
            "server_ip": "192.0.2.1",
            "detail.tls": "TLS",
        },
    ),
    Case(
        D(
            f"pop3-login: Disconnected (auth failed, 1 attempts): user=<info>, method=PLAIN, "
            f"rip={A}, lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"service": "pop3", "attempts": 1},
    ),
    Case(
        D(
            f"imap-login: Disconnected (auth failed, 1 attempts): method=PLAIN, rip={A}, "
            "lip=192.0.2.1, TLS: Disconnected"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": None, "detail.tls": "TLS: Disconnected"},
    ),
    Case(
        D(
            f"pop3-login: Disconnected: Inactivity (auth failed, 1 attempts in 178 secs): "
            f"user=<info>, method=PLAIN, rip={A}, lip=192.0.2.1, session=<6brQWt/vCADDhP/+>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"pop3-login: Aborted login (tried to use disabled plaintext auth): rip={A}, "
            "lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"imap-login: Disconnected: Too many invalid commands (tried to use disallowed "
            f"plaintext auth): user=<test>, rip={A}, lip=192.0.2.1, session=<S5dIdTFCDKUW>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    # 2.3.15 – 2.3.21
    Case(
        D(
            f"imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): "
            f"user=<admin@example.org>, method=PLAIN, rip={A}, lip=192.0.2.1, TLS, "
            "session=<Lsz0Oo7WXti3b7xe>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"imap-login: Disconnected: Connection closed: read(size=1003) failed: Connection "
            f"reset by peer (auth failed, 3 attempts in 9 secs): user=<test@example.org>, rip={A}, "
            "lip=192.0.2.1, session=<Lsz0Oo7WXti3b7xe>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"attempts": 3},
    ),
    Case(
        D(
            f"imap-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in "
            f"15 secs): user=<a@example.org>, method=PLAIN, rip={A}, lip=192.0.2.1, TLS, "
            "session=<6wzJvinOOLisEQAB>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"imap-login: Disconnected: Inactivity during authentication (disconnected while "
            f"authenticating, waited 180 secs): user=<>, method=PLAIN, rip={A}, lip=192.0.2.1, "
            "TLS, session=<6wzJvinOOLisEQAC>"
        ),
        T.AUTH_ABORTED,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Disconnected: Too many invalid commands (auth failed, 1 attempts in 0 "
            f"secs): user=<x@example.org>, rip={A}, lip=192.0.2.1, session=<5Tfu2CnO3pKs>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    # submission-login (lib-smtp reasons)
    Case(
        D(
            f"submission-login: Client has quit the connection (auth failed, 1 attempts in 2 "
            f"secs): user=<user1>, method=LOGIN, rip={A}, lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"service": "submission", "mechanism": "LOGIN"},
    ),
    Case(
        D(
            f"submission-login: Remote closed connection (auth failed, 1 attempts in 2 secs): "
            f"user=<user4>, method=PLAIN, rip={A}, lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    # 2.4
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (auth failed, 3 attempts in 12 secs) "
            f"(auth_failed): user=<admin>, method=PLAIN, rip={A}, lip=192.0.2.1, TLS, "
            "session=<9ZHq02g3J8S60fan>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"attempts": 3, "detail.code": "auth_failed", "session": "9ZHq02g3J8S60fan"},
    ),
    Case(
        D(
            f"managesieve-login: Login aborted: Logged out (auth failed, 1 attempts in 10 secs) "
            f"(auth_failed): user=<a@example.org>, method=PLAIN, rip={A}, lip=192.0.2.1, TLS, "
            "session=<Dp8j1Ho3suQYdo+k>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"service": "managesieve"},
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (tried to use disallowed cleartext "
            f"auth, 1 attempts in 0 secs) (cleartext_auth_disabled): user=<a>, method=PLAIN, "
            f"rip={A}, lip=192.0.2.1, session=<Dp8j1Ho3suQYdo+m>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (sent invalid base64 in response, 1 "
            f"attempts in 0 secs) (invalid_base64): user=<>, method=PLAIN, rip={A}, "
            "lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (tried to use unsupported auth "
            f"mechanism, 1 attempts in 0 secs) (invalid_mech): user=<>, rip={A}, lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (internal failure, 0/1 successful "
            f"auths in 2 secs) (auth_process_comm_fail): user=<a>, method=PLAIN, rip={A}, "
            "lip=192.0.2.1"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (auth service reported temporary "
            f"failure, 1 attempts in 3 secs) (temp_fail): user=<a>, method=PLAIN, rip={A}, "
            "lip=192.0.2.1"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (user disabled, 1 attempts in 2 secs) "
            f"(auth_failed): user=<old>, method=PLAIN, rip={A}, lip=192.0.2.1"
        ),
        T.AUTH_FAILURE,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed (no auth attempts in 1 secs) "
            f"(no_auth_attempts): user=<>, rip={A}, lip=192.0.2.1, TLS: read(size=653) failed: "
            "Connection reset by peer, session=<qMLsbvY8PLSkXGoP>"
        ),
        T.NO_AUTH,
        A,
        "weak",
        {"category": "session"},
    ),
    Case(
        D(
            f"imap-login: Login aborted: Connection closed: SSL_accept() failed: error:0A0000C1:"
            f"SSL routines::no shared cipher (disconnected during TLS handshake) "
            f"(tls_handshake_not_finished): user=<>, rip={A}, lip=192.0.2.1, TLS handshaking: "
            "SSL_accept() failed: error:0A0000C1:SSL routines::no shared cipher, "
            "session=<Q23ybvY8RLSkXGoP>"
        ),
        T.TLS_FAILURE,
        A,
        "weak",
        {"detail.code": "tls_handshake_not_finished", "category": "tls"},
    ),
    # no auth attempts and friends (legitimate clients and scanners do this): weak
    Case(
        D(
            f"pop3-login: Disconnected (no auth attempts): rip={A}, lip=192.0.2.1, "
            "TLS: Disconnected"
        ),
        T.NO_AUTH,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Disconnected: Connection closed: SSL_accept() failed: error:1408F10B:"
            f"SSL routines:ssl3_get_record:wrong version number (no auth attempts in 0 secs): "
            f"user=<>, rip={A}, lip=192.0.2.1, TLS handshaking: SSL_accept() failed: "
            "error:1408F10B:SSL routines:ssl3_get_record:wrong version number"
        ),
        T.NO_AUTH,
        A,
        "weak",
        {
            "detail.tls": "TLS handshaking: SSL_accept() failed: error:1408F10B:SSL routines:"
            "ssl3_get_record:wrong version number"
        },
    ),
    Case(
        D(
            f"imap-login: Disconnected (disconnected before auth was ready, waited 0 secs): "
            f"user=<>, rip={A}, lip=192.0.2.1, TLS handshaking: SSL_accept() syscall failed: "
            "Connection reset by peer"
        ),
        T.NO_AUTH,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Disconnected (client didn't finish SASL auth, waited 2 secs): user=<>, "
            f"method=PLAIN, rip={A}, lip=192.0.2.1, TLS"
        ),
        T.AUTH_ABORTED,
        A,
        "weak",
    ),
    Case(
        D(
            f"imap-login: Disconnected (proxy dest auth failed): user=<a@example.org>, "
            f"method=PLAIN, rip={A}, lip=192.0.2.1, session=<NTI4FiZxcQCSud4G>"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    # success
    Case(
        D(
            f"imap-login: Login: user=<alice@example.org>, method=PLAIN, rip={FRIEND}, "
            "lip=192.0.2.1, mpid=18, TLS, session=<PeYcgjjOGOisEQAB>"
        ),
        T.AUTH_SUCCESS,
        FRIEND,
        None,
        {"user": "alice@example.org", "session": "PeYcgjjOGOisEQAB", "mechanism": "PLAIN"},
    ),
    Case(
        D(
            f"pop3-login: Info: Logged in: user=<alice>, method=SCRAM-SHA-256, rip={FRIEND}, "
            "lip=192.0.2.1, mpid=2211, TLS, session=<PeYcgjjOGOisEQAC>"
        ),
        T.AUTH_SUCCESS,
        FRIEND,
        None,
        {"user": "alice", "mechanism": "SCRAM-SHA-256"},
    ),
    Case(
        D(
            f"imap-login: Login: user=<alice>, method=PLAIN, rip={ATTACKER6}, lip=2001:db8::1, "
            "mpid=18, secured, session=<PeYcgjjOGOisEQAD>"
        ),
        T.AUTH_SUCCESS,
        ATTACKER6,
        None,
        {"server_ip": "2001:db8::1", "detail.tls": "secured"},
    ),
    # login processes logging through their own program name / a file
    Case(
        f"Feb 23 11:57:42 mx imap-login: Info: Aborted login (auth failed, 1 attempts in 2 "
        f"secs): user=<grace>, method=PLAIN, rip={A}",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        dv_file(
            f"pop3-login: Info: Disconnected: Inactivity (auth failed, 1 attempts in 178 "
            f"secs): user=<suzanne>, method=PLAIN, rip={A}"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        f"Feb 23 11:57:42 mx dovecot[241]: imap-login: Login aborted: Connection closed (auth "
        f"failed, 3 attempts in 16 secs) (auth_failed): user=<test>, method=PLAIN, rip={A}, "
        "lip=192.0.2.1, TLS, session=<9ZHq02g3J8S60fan>",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    # sites add elements (%k and others): parsed by key, extra ones allowed
    Case(
        D(
            f"imap-login: Disconnected (auth failed, 1 attempts in 9 secs): user=<a@example.org>, "
            f"method=PLAIN, rip={A}, lip=192.0.2.1, TLS: Disconnected, TLSv1.2 with cipher "
            "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"detail.tls": "TLS: Disconnected", "server_ip": "192.0.2.1"},
    ),
    Case(
        D(
            f"imap-login: Login: user=<alice>, method=PLAIN, rip={FRIEND}, lip=192.0.2.1, "
            "mpid=18, TLS, client_id=Thunderbird, session=<PeYcgjjOGOisEQAE>"
        ),
        T.AUTH_SUCCESS,
        FRIEND,
        None,
        {"session": "PeYcgjjOGOisEQAE", "detail.tls": "TLS"},
    ),
    # capacity and shutdown lines are no verdict on the client
    Case(
        D(
            f"imap-login: Maximum number of connections from user+IP exceeded "
            f"(mail_max_userip_connections=20): user=<alice>, method=PLAIN, rip={FRIEND}, "
            "lip=192.0.2.1, TLS, session=<PeYcgjjOGOisEQAF>"
        ),
        None,
    ),
    # no verdict in the line: nothing
    Case(D("imap-login: Disconnected: Shutting down"), None),
    Case(D("imap-login: Disconnected: a: b: c: no reason here"), None),
]

DOVECOT_AUTH = [
    # 2.3 auth process. The mechanism is named only when the mechanism itself checked
    # the password (real Dovecot 2.3.19.1, AUTHENTICATE CRAM-MD5, then PLAIN, on one
    # connection): a passdb's line does not say whether it was PLAIN or LOGIN.
    Case(
        dv_file(
            "auth: Info: cram-md5(bob@lab.example,192.0.2.10,<EEEMNWhhPuLAAAIK>): Password mismatch"
        ),
        T.AUTH_FAILURE,
        "192.0.2.10",
        "strong",
        {
            "user": "bob@lab.example",
            "mechanism": "CRAM-MD5",
            "session": "EEEMNWhhPuLAAAIK",
            "reason": "Password mismatch",
        },
    ),
    Case(
        dv_file(
            "auth: Info: passwd-file(bob@lab.example,192.0.2.10,<EEEMNWhhPuLAAAIK>): "
            "Password mismatch"
        ),
        T.AUTH_FAILURE,
        "192.0.2.10",
        "strong",
        {"mechanism": None, "detail.db": "passwd-file", "session": "EEEMNWhhPuLAAAIK"},
    ),
    Case(
        D(f"auth: passwd-file(admin,{A}): unknown user"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "admin", "reason": "unknown user", "detail.db": "passwd-file"},
    ),
    Case(
        D(f"auth: passwd-file(admin,{A},<Lsz0Oo7WXti3b7xe>): Password mismatch"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"session": "Lsz0Oo7WXti3b7xe"},
    ),
    Case(
        D(f"auth: passwd-file(admin,{A},master,<Lsz0Oo7WXti3b7xe>): Password mismatch"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "admin", "session": "Lsz0Oo7WXti3b7xe"},
    ),
    Case(
        dv_file(f"auth: Info: passwd-file(admin,{A}): unknown user"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"auth: passwd-file(admin,{A},<Lsz0Oo7WXti3b7xf>): Password mismatch (given "
            "password: hunter22)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"reason": "Password mismatch (given password: ***)", "detail.password_logged": "plain"},
    ),
    Case(
        D(
            f"auth: ldap(admin@example.org,{A},<LZmGp6mZaMrAqLIZ>): unknown user (SHA1 of given "
            "password: f638ff)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"detail.password_logged": "sha1"},
    ),
    Case(
        D(f"auth: sql(admin@example.org,{A},<6rXunFtu493AqJDi>): Password mismatch"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"detail.db": "sql"},
    ),
    Case(dv_file(f"auth: Info: ldap(dog,{A},): invalid credentials"), T.AUTH_FAILURE, A, "strong"),
    # workers: PAM (2.2 and 2.3 wording), SQL
    Case(
        D(
            f"auth-worker(304): pam(admin,{A}): pam_authenticate() failed: Authentication "
            "failure (password mismatch?)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"auth-worker(12182): pam(admin,{A},<PNHQq8pZhqIKAQGd>): pam_authenticate() failed: "
            "Authentication failure (Password mismatch?)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(f"auth-worker(30165): pam(admin,{A}): pam_authenticate() failed: Permission denied"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"auth-worker(30165): pam(nobody,{A}): pam_authenticate() failed: User not known to "
            "the underlying authentication module"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(D(f"auth-worker(31326): pam(admin,{A}): unknown user"), T.AUTH_FAILURE, A, "strong"),
    Case(
        D(
            f"auth-worker(31326): pam(admin,{A}): pam_authenticate() failed: Authentication "
            "service cannot retrieve authentication info"
        ),
        T.AUTH_UNAVAILABLE,
        A,
        "weak",
    ),
    Case(
        D(
            f"auth-worker(5787): conn unix:auth-worker (pid=27359,uid=97): auth-worker<55>: "
            f"pam(webapps,{A}): unknown user"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "webapps"},
    ),
    Case(
        dv_file(
            f"auth-worker(80180): Info: conn unix:auth-worker (uid=143): "
            f"auth-worker<13247>: sql(support,{A},<Yx7+W8+Io>): Password mismatch"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"session": "Yx7+W8+Io"},
    ),
    Case(
        f"Feb 23 11:57:42 mx dovecot[442]: dovecot: auth(default): pam(a@example.org,{A}): "
        "pam_authenticate() failed: User not known to the underlying authentication module: "
        "2 Time(s)",
        T.AUTH_FAILURE,
        A,
        "strong",
        {"attempts": 2},
    ),
    # 2.4
    Case(
        D(
            f"auth(admin@example.org,{A},sasl:plain)<Cd5Nmn8Uf4e7eEnj>: passwd-file: Password "
            "mismatch"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {
            "user": "admin@example.org",
            "mechanism": "PLAIN",
            "session": "Cd5Nmn8Uf4e7eEnj",
            "detail.db": "passwd-file",
        },
    ),
    Case(
        # 2.4: the mechanism checked the password; its name is also in the prefix.
        dv_file(
            f"auth(frank,{A},sasl:cram-md5)<Cd5NQ2kiUtjGZAvZ>: Info: cram-md5: Password mismatch"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "frank", "mechanism": "CRAM-MD5", "session": "Cd5NQ2kiUtjGZAvZ"},
    ),
    Case(
        # 2.4, Postfix's SASL: Postfix sends no session id.
        D(f"auth(frank,{A},sasl:login): Info: passwd-file: Password mismatch"),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "frank", "mechanism": "LOGIN", "session": None, "detail.db": "passwd-file"},
    ),
    Case(
        dv_file(
            f"auth(info@example.org,{A},sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password "
            "mismatch (given password: XxxxXX123)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"mechanism": "LOGIN", "reason": "Password mismatch (given password: ***)"},
    ),
    Case(
        D(
            f"auth-worker(admin,{A},sasl:plain)<2211><CvN+E95Uf4e7eEnk>: request [3]: pam: "
            "pam_authenticate() failed: Authentication failure (Password mismatch?)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"session": "CvN+E95Uf4e7eEnk", "detail.db": "pam"},
    ),
    Case(
        D(f"auth({A},{A},sasl:plain)<Cd5Nmn8Uf4e7eEnl>: passwd-file: unknown user"),
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        D(
            f"auth(tom@example.org,{A},sasl:plain)<Cd5Nmn8Uf4e7eEnm>: Debug: passwd-file: "
            "Performing passdb lookup"
        ),
        None,
    ),
    # PAM's own line
    Case(
        "Feb 23 11:57:42 mx auth: pam_unix(dovecot:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=dovecot ruser=informix rhost={A}",
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "informix"},
    ),
    Case(
        "Feb 23 11:57:42 mx dovecot-auth: pam_unix(dovecot:auth): authentication failure; "
        f"logname= uid=0 euid=0 tty=dovecot ruser=root rhost={A}  user=root",
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "root"},
    ),
    Case(
        "Feb 23 11:57:42 mx sshd[99]: pam_unix(sshd:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=ssh ruser= rhost={A}  user=root",
        None,
    ),
    # 2.3: the mechanism refuses the name before any passdb sees it ("?" = no user yet);
    # the client's name is the text after "(username: ".
    Case(
        dv_file(
            f"auth: Info: plain(?,{A},<wFv000xhYtzGM2RN>): Username character disallowed by "
            "auth_username_chars: 0x2c (username: bob@example.org, rip=192.0.2.9)"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {
            "user": "bob@example.org, rip=192.0.2.9",
            "mechanism": "PLAIN",
            "session": "wFv000xhYtzGM2RN",
            "reason": "Username character disallowed by auth_username_chars: 0x2c",
            "detail": None,
        },
    ),
    Case(
        D(
            f"auth: login(?,{A}): Username character disallowed by auth_username_chars: 0x29 "
            "(username: x,192.0.2.9))"
        ),
        T.AUTH_FAILURE,
        A,
        "strong",
        {"user": "x,192.0.2.9)", "mechanism": "LOGIN", "session": None},
    ),
    # other Dovecot chatter: nothing
    Case(D("imap(alice)<2211><PeYcgjjOGOisEQAB>: Disconnected: Logged out in=10 out=20"), None),
    Case(D("auth: Error: ldap(alice,198.51.100.20): Connection appears to be hanging"), None),
]

# Bare messages (no syslog header), as pasted or as SSHGuard's tests have them.
BARE = [
    Case(
        f"warning: {U}: SASL LOGIN authentication failed: authentication failure",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        f"lost connection after CONNECT from unknown[{ATTACKER6}]",
        T.LOST_CONNECTION,
        ATTACKER6,
        "weak",
    ),
    Case(
        f"imap-login: Info: Aborted login (auth failed, 1 attempts in 2 secs): user=<a>, "
        f"method=PLAIN, rip={A}, lip=192.0.2.1",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        f"imap-login: Aborted login (auth failed, 6 attempts): XYZ rip={A}, lip=127.0.0.1",
        T.AUTH_FAILURE,
        A,
        "strong",
        {"attempts": 6},
    ),
    Case(
        f"pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot "
        f"ruser=a@example.org rhost={A}",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        f"auth(a@example.org,{A},sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(
        f"auth-worker(22401): Info: sql(a@example.org,{A},<n4JLdHNVngZGpV2j>): unknown user",
        T.AUTH_FAILURE,
        A,
        "strong",
    ),
    Case(f"dovecot: auth: passwd-file(admin,{A}): unknown user", T.AUTH_FAILURE, A, "strong"),
    Case(f"Feb 23 11:57:42 mx postgrey[919]: action=greylist, client_address={A}", None),
]

ALL: list[Case] = (
    POSTFIX_SESSION
    + POSTFIX_SASL
    + POSTFIX_POLICY
    + POSTSCREEN
    + TLS
    + DUMPS
    + DOVECOT_LOGIN
    + DOVECOT_AUTH
    + BARE
)
