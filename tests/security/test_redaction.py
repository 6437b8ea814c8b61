# ruff: noqa: E501  (log lines are data: they stay whole, as the servers write them)
"""The evidence text (analyze JSON, the store, alerts) and the events' client text never
keep a secret the server logged: every line form that copies client text (chat, TLS
dumps, ``improper command pipelining``, ``non-SMTP command``, postscreen's PREGREET and
COMMAND PIPELINING) and every debug form that writes a secret (Dovecot's given password,
``resp=`` and ``CONT`` data, Postfix's ``init_response``, Cyrus's decoded responses and
``authentication pass``). The rest of the line stays readable; junk never raises.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seclab import CLIENT, daemon_outputs, mailwarden, write_log

from mailwarden import redact
from mailwarden.detect.analysis import evidence_json, redacted_text
from mailwarden.detect.state import slim
from mailwarden.framing import Framer
from mailwarden.model import Event
from mailwarden.parsers import parse
from mailwarden.redact import REDACTED, redact_client_text, redact_line, shown_mechanism
from mailwarden.report.events import event_json, event_text

SECRET = "S3cretPass!"
USER_B64 = base64.b64encode(b"admin").decode()
PASS_B64 = base64.b64encode(SECRET.encode()).decode()
PLAIN_B64 = base64.b64encode(f"\0admin\0{SECRET}".encode()).decode()
SECRETS = [SECRET, PASS_B64, PASS_B64.rstrip("="), PLAIN_B64, PASS_B64.upper()[:12]]
P = "Feb 23 11:57:14 mx postfix/smtpd[77]: "
S = "Feb 23 11:57:14 mx postfix/postscreen[70]: "
D = "Feb 23 11:57:14 mx dovecot: "

# (line, what must still be there)
CASES = {
    "pipelining after AUTH": (
        P
        + f"improper command pipelining after AUTH from unknown[{CLIENT}]: {USER_B64}\\r\\n{PASS_B64}\\r\\n",
        [f"improper command pipelining after AUTH from unknown[{CLIENT}]: "],
    ),
    "pipelining after EHLO, whole AUTH PLAIN": (
        P
        + f"improper command pipelining after EHLO from unknown[{CLIENT}]: AUTH PLAIN {PLAIN_B64}\\r\\nQUIT\\r\\n",
        ["AUTH PLAIN [redacted]\\r\\nQUIT\\r\\n"],
    ),
    "pipelining after EHLO, AUTH LOGIN steps": (
        P
        + f"improper command pipelining after EHLO from unknown[{CLIENT}]: AUTH LOGIN\\r\\n{USER_B64}\\r\\n{SECRET}\\r\\nQUIT\\r\\n",
        ["AUTH LOGIN\\r\\n[redacted]\\r\\n[redacted]\\r\\nQUIT"],
    ),
    "non-SMTP command": (
        P + f"warning: non-SMTP command from unknown[{CLIENT}]: {PASS_B64.lower()}",
        [f"non-SMTP command from unknown[{CLIENT}]: [redacted]"],
    ),
    "postscreen PREGREET": (
        S + f"PREGREET 40 after 0.01 from [{CLIENT}]:40000: AUTH PLAIN {PLAIN_B64}\\r\\n",
        ["AUTH PLAIN [redacted]"],
    ),
    "postscreen COMMAND PIPELINING": (
        S
        + f"COMMAND PIPELINING from [{CLIENT}]:40000 after EHLO: AUTH LOGIN\\r\\n{USER_B64}\\r\\n{PASS_B64}\\r\\n",
        ["after EHLO: AUTH LOGIN\\r\\n[redacted]\\r\\n[redacted]\\r\\n"],
    ),
    "dump AUTH LOGIN pipelined": (
        P + f"Read 40 chars: AUTH LOGIN??{USER_B64}??{PASS_B64}??",
        ["Read 40 chars: AUTH LOGIN??[redacted]??[redacted]??"],
    ),
    "dump AUTH LOGIN with initial response": (
        P + f"Read 38 chars: AUTH LOGIN {USER_B64}??{PASS_B64}??",
        ["Read 38 chars: AUTH LOGIN [redacted]??[redacted]??"],
    ),
    "dump AUTH PLAIN cut at 40 bytes": (
        P + f"Read 57 chars: AUTH PLAIN {PLAIN_B64[:29]}",
        ["Read 57 chars: AUTH PLAIN [redacted]"],
    ),
    "dump AUTH PLAIN, response on the next line": (
        P + f"Read 46 chars: AUTH PLAIN??{PLAIN_B64}??",
        ["AUTH PLAIN??[redacted]??"],
    ),
    "dump then a command": (
        P + f"Read 60 chars: AUTH PLAIN {PLAIN_B64}??MAIL FROM:<a@example.org>??",
        ["AUTH PLAIN [redacted]??MAIL FROM:<a@example.org>??"],
    ),
    "chat cleartext password step": (
        P + f"< unknown[{CLIENT}]: {SECRET}",
        [f"< unknown[{CLIENT}]: [redacted]"],
    ),
    "chat base64 in place of the mechanism": (
        P + f"< unknown[{CLIENT}]: AUTH {PASS_B64}",
        [f"< unknown[{CLIENT}]: AUTH [redacted]"],
    ),
    "chat AUTH cut by the evidence limit": (
        P + f"< unknown[{CLIENT}]: AUTH PLAIN {PLAIN_B64}…",
        ["AUTH PLAIN [redacted]"],
    ),
    "Dovecot resp=": (
        D + f"auth: Debug: client in: AUTH\t1\tPLAIN\tservice=imap\tresp={PLAIN_B64}",
        ["client in: AUTH\t1\tPLAIN\tservice=imap\tresp=[redacted]"],
    ),
    "Dovecot resp= through rsyslog": (
        D + f"auth: Debug: client in: AUTH#0111#011PLAIN#011resp={PLAIN_B64}#011secured",
        ["resp=[redacted]#011secured"],
    ),
    "Dovecot CONT": (
        D + f"auth: Debug: client in: CONT\t1\t{PASS_B64}",
        ["client in: CONT\t1\t[redacted]"],
    ),
    "Cyrus decoded initial response": (
        P + f"xsasl_cyrus_server_first: decoded initial response {SECRET}",
        ["decoded initial response [redacted]"],
    ),
    "init_response": (
        P + f"xsasl_cyrus_server_first: sasl_method PLAIN, init_response {PLAIN_B64}",
        ["sasl_method PLAIN, init_response [redacted]"],
    ),
    "Dovecot 2.3 auth_debug_passwords mismatch": (
        D
        + f"auth: Debug: passwd-file(admin,{CLIENT},<Q2Vz>): SHA512-CRYPT({SECRET}) != '{PASS_B64}'",
        [f"passwd-file(admin,{CLIENT},<Q2Vz>): SHA512-CRYPT([redacted]) != '[redacted]'"],
    ),
    "Dovecot 2.4 auth_debug_passwords mismatch": (
        "Feb 23 11:57:14 mx dovecot: "
        f"auth(admin,{CLIENT},sasl:plain)<Q2Vz>: Debug: passwd-file: PLAIN({SECRET}) != '{SECRET}'",
        ["Debug: passwd-file: PLAIN([redacted]) != '[redacted]'"],
    ),
    "Dovecot auth_debug_passwords mismatch, lower-case scheme": (
        D + f"auth: Debug: passwd-file(admin,{CLIENT},<Q2Vz>): plain({SECRET}) != '{SECRET}x'",
        [f"passwd-file(admin,{CLIENT},<Q2Vz>): plain([redacted]) != '[redacted]'"],
    ),
    "Dovecot auth_debug_passwords mismatch, unknown scheme": (
        D + f"auth: Debug: sql(admin,{CLIENT}): weird.hex({SECRET}) != '{SECRET}'",
        ["sql([redacted]) != '[redacted]'"],
    ),
    "Postfix's own AUTH to a relay, smtp_tls_loglevel 4": (
        "Feb 23 11:57:14 mx postfix/smtp[2001]: Write 44 chars: AUTH PLAIN " + PLAIN_B64,
        ["postfix/smtp[2001]: Write 44 chars: AUTH PLAIN [redacted]"],
    ),
    "Postfix's own AUTH LOGIN password to a relay, verbose": (
        f"Feb 23 11:57:14 mx postfix/smtp[2001]: > relay.example.net[192.0.2.25]:587: {PASS_B64}",
        ["> relay.example.net[192.0.2.25]:587: [redacted]"],
    ),
    "Postfix -v: its own relay password looked up": (
        f"Feb 23 11:57:14 mx postfix/smtp[2001]: smtp_sasl_passwd_lookup: host `relay.example.net' user `relayuser' pass `{SECRET}'",
        ["user `relayuser' pass `[redacted]'"],
    ),
    "Postfix -v: the relay password map's answer": (
        f"Feb 23 11:57:14 mx postfix/smtp[2001]: maps_find: smtp_sasl_password_maps: hash:/etc/postfix/sasl_passwd(0,lock|fold_fix|utf8_request): [relay.example.net]:587 = relayuser:{SECRET}",
        ["[relay.example.net]:587 = [redacted]"],
    ),
    "Postfix -v: Cyrus client response": (
        f"Feb 23 11:57:14 mx postfix/smtp[2001]: xsasl_cyrus_client_next: uncoded client response {SECRET}",
        ["uncoded client response [redacted]"],
    ),
    "Postfix -v: Cyrus client's password": (
        f"Feb 23 11:57:42 mx postfix/smtp[4242]: xsasl_cyrus_client_get_passwd: {SECRET}",
        ["xsasl_cyrus_client_get_passwd: [redacted]"],
    ),
    "Postfix -v: Cyrus client's PLAIN initial reply": (
        f"Feb 23 11:57:42 mx postfix/smtp[4242]: xsasl_cyrus_client_first: uncoded initial reply: \\000mailer@example.com\\000{SECRET}",
        ["uncoded initial reply: [redacted]"],
    ),
    "Postfix -v: sender-dependent relay password": (
        f"Feb 23 11:57:42 mx postfix/smtp[4242]: mail_addr_find: alice@example.com -> mailer@example.com:{SECRET}",
        ["mail_addr_find: alice@example.com -> mailer@example.com:[redacted]"],
    ),
    "Postfix -v: proxied relay password map": (
        f"Feb 23 11:57:42 mx postfix/smtp[4242]: dict_proxy_lookup: table=hash:/etc/postfix/sasl_passwd flags=lock|fold_fix key=[relay.example.net]:587 -> status=0 result=mailer@example.com:{SECRET}",
        ["result=mailer@example.com:[redacted]"],
    ),
    "Dovecot auth_debug_passwords: an LDAP entry's userPassword": (
        D
        + f"auth-worker(1234): Debug: ldap(bob,{CLIENT},<abcd>): result: userPassword={{PLAIN}}{SECRET} mail=bob@example.com",
        ["result: userPassword=[redacted] mail=bob@example.com"],
    ),
    "Dovecot auth_debug: a dict passdb's JSON": (
        D
        + f'auth: Debug: dict(bob,{CLIENT},<abcd>): Lookup: shared/passdb/bob = {{"password":"{{PLAIN}}{SECRET}","uid":"1000"}}',
        ['{"password":"[redacted]","uid":"1000"}'],
    ),
    "Postfix -v: a proxied map of any name": (
        f"Feb 23 11:57:42 mx postfix/smtp[200]: dict_proxy_lookup: table=hash:/etc/postfix/smtp_auth flags=lock|fold_fix|utf8_request key=[relay.example.com]:587 -> status=0 result=relayuser:{SECRET}",
        ["result=relayuser:[redacted]"],
    ),
    "bare message: Postfix's own AUTH to a relay": (
        f"Write 44 chars: AUTH PLAIN {PLAIN_B64}",
        ["Write 44 chars: AUTH PLAIN [redacted]"],
    ),
    "bare message: Postfix's own LOGIN step to a relay": (
        f"> relay.example.net[192.0.2.25]:587: {PASS_B64}",
        ["> relay.example.net[192.0.2.25]:587: [redacted]"],
    ),
    "dump: a line like a relay's reply, then a pipelined AUTH": (
        P + f"Read 60 chars: 250 2.0.0 Ok??AUTH PLAIN {PLAIN_B64}??",
        ["AUTH PLAIN [redacted]??"],
    ),
    "bare dump: a line like a relay's reply, then a pipelined AUTH": (
        f"Read 60 chars: 250 2.0.0 Ok??AUTH LOGIN??{USER_B64}??{PASS_B64}??",
        ["Read 60 chars: 250 2.0.0 Ok??AUTH LOGIN??[redacted]??[redacted]??"],
    ),
    "Postfix's own client reads replies, an AUTH among them": (
        f"Feb 23 11:57:14 mx postfix/smtp[2001]: Read 60 chars: 235 2.7.0 Ok??AUTH PLAIN {PLAIN_B64}",
        ["Read 60 chars: 235 2.7.0 Ok??AUTH PLAIN [redacted]"],
    ),
    "a relay tag in a name a client chose": (
        D + f"auth: passwd-file(x/smtp[1]: < r[192.0.2.25]:25: 235 {SECRET}",
        ["auth: passwd-file(x/smtp[1]: < r[192.0.2.25]:25: [redacted]"],
    ),
    "request longer than": (
        P + f"warning: unknown[{CLIENT}]: request longer than 2048: AUTH PLAIN {PLAIN_B64[:19]}...",
        ["request longer than 2048: AUTH PLAIN [redacted]"],
    ),
}

NO_EVENT = {
    "Dovecot resp=",
    "Dovecot resp= through rsyslog",
    "Dovecot CONT",
    "request longer than",
    "Postfix's own AUTH to a relay, smtp_tls_loglevel 4",
    "Postfix's own AUTH LOGIN password to a relay, verbose",
    "Postfix -v: its own relay password looked up",
    "Postfix -v: the relay password map's answer",
    "Postfix -v: Cyrus client response",
    "Postfix -v: Cyrus client's password",
    "Postfix -v: Cyrus client's PLAIN initial reply",
    "Postfix -v: sender-dependent relay password",
    "Postfix -v: proxied relay password map",
    "Dovecot auth_debug_passwords: an LDAP entry's userPassword",
    "Dovecot auth_debug: a dict passdb's JSON",
    "Postfix -v: a proxied map of any name",
    "bare message: Postfix's own AUTH to a relay",
    "bare message: Postfix's own LOGIN step to a relay",
    "Postfix's own client reads replies, an AUTH among them",
    "a relay tag in a name a client chose",
}
"""Debug lines the parsers skip (bare ones of Postfix's own client too, as with their
program): never evidence, redacted all the same."""

UNCHANGED = [
    # A user name that looks like a relay chat line keeps the server's fields after it.
    D
    + f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x > a]: q0>, method=PLAIN, rip={CLIENT}, lip=192.0.2.1, session=<abc>",
    P + f"< unknown[{CLIENT}]: EHLO mail.example.org",
    P + f"< unknown[{CLIENT}]: QUIT",
    P + f"< unknown[{CLIENT}]: AUTH LOGIN",
    P + f"< unknown[{CLIENT}]: AUTH PLAIN =",
    P + f"< unknown[{CLIENT}]: *",
    P + f"> unknown[{CLIENT}]: 334 VXNlcm5hbWU6",
    P + "Read 16 chars: EHLO localhost??",
    P + "Write 18 chars: 334 UGFzc3dvcmQ6??",
    P + f"warning: non-SMTP command from unknown[{CLIENT}]: GET / HTTP/1.1",
    P
    + f"warning: unknown[{CLIENT}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin",
    P
    + f"NOQUEUE: reject: RCPT from unknown[{CLIENT}]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@example.org> to=<x@example.org> proto=ESMTP helo=<pc>",
    D + "auth: Debug: client in: AUTH\t1\tPLAIN\tservice=imap\tresp=<hidden>",
    D
    + f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<admin>, method=PLAIN, rip={CLIENT}, lip=192.0.2.1, session=<abc>",
    # What Postfix's own client reads from a relay: the relay's replies, no secret.
    *(
        f"Feb 23 11:57:14 mx postfix/{client}[2001]: {line}"
        for client in ("smtp", "lmtp", "relay/smtp")
        for line in (
            "< relay.example.net[192.0.2.25]:587: 235 2.7.0 Authentication successful",
            "< relay.example.net[192.0.2.25]:587: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
            "< relay.example.net[192.0.2.25]:587: 334 VXNlcm5hbWU6",
            "< relay.example.net[192.0.2.25]:587: 250-PIPELINING",
            "Read 33 chars: 235 2.7.0 Authentication successful",
            "Read 40 chars: 250-relay.example.net??250-PIPELINING??250-SIZ",
        )
    ),
    # The same without a header: the whole replies and the AUTH prompts.
    "< relay.example.net[192.0.2.25]:587: 250 2.0.0 Ok",
    "< relay.example.net[192.0.2.25]:587: 235 2.7.0 Authentication successful",
    "< relay.example.net[192.0.2.25]:587: 535 5.7.8 Error: authentication failed",
    "< relay.example.net[192.0.2.25]:587: 334 VXNlcm5hbWU6",
    "Read 30 chars: 250 2.0.0 Ok: queued as 4BC2A1??",
    "Read 6 chars: 334 ??",
]

STILL_HIDDEN = [
    # smtpd copies its client's lines: a reply-like line may be a password.
    P + f"< unknown[{CLIENT}]: 555-{SECRET}",
    P + f"Read 20 chars: 235 {SECRET}??",
    # Without a header, a line of smtpd that is no whole reply stays hidden too.
    f"< unknown[{CLIENT}]: 555-{SECRET}",
    f"Read 20 chars: 235 {SECRET}??",
]


@pytest.mark.parametrize("line", STILL_HIDDEN)
def test_a_line_like_a_reply_that_a_client_may_have_sent_stays_hidden(line: str) -> None:
    assert SECRET not in redact_line(line)


def _events(line: str) -> list[Event]:
    (record,) = Framer(split_pasted=False, year=2026).frame_line(line, "x", 1, 0)
    return parse(record)


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("name", list(CASES))
def test_a_logged_secret_is_redacted_and_the_rest_kept(name: str) -> None:
    line, kept = CASES[name]
    shown = redact_line(line)
    assert _leaks(shown) == [], shown
    assert PLAIN_B64[:19] not in shown
    for part in kept:
        assert part in shown, shown
    assert redact_line(shown) == shown, "idempotent"


@pytest.mark.parametrize("name", list(CASES))
def test_evidence_of_every_form_keeps_no_secret(name: str) -> None:
    """As analyze JSON, the store and the alerts write it: from the slim evidence event
    (no parsed payload left) and from the parsed event alike."""
    line, _kept = CASES[name]
    events = _events(line)
    assert events or name in NO_EVENT, "the line gives an event"
    for event in events:
        for each in (event, slim(event)):
            assert _leaks(redacted_text(each)) == []
            assert _leaks(json.dumps(evidence_json((each,)))) == []


@pytest.mark.parametrize("name", list(CASES))
def test_events_output_keeps_no_secret(name: str) -> None:
    """``mailwarden events`` (text and jsonl): payload and mechanism fields."""
    line, _kept = CASES[name]
    for event in _events(line):
        assert _leaks(event_text(event)) == []
        assert _leaks(event_json(event)) == []


def test_show_passwords_still_shows_the_events_client_text() -> None:
    (line, _kept) = CASES["pipelining after EHLO, whole AUTH PLAIN"]
    (event,) = _events(line)
    assert PLAIN_B64 in event_text(event, show_passwords=True)
    (event,) = _events(CASES["dump AUTH LOGIN pipelined"][0])
    shown = json.loads(event_json(event, show_passwords=True))
    assert shown["mechanism"] == "LOGIN"  # the pipelined steps are not its name


@pytest.mark.parametrize("line", UNCHANGED)
def test_lines_without_a_secret_are_unchanged(line: str) -> None:
    assert redact_line(line) == line


def test_a_pipelined_mechanism_shows_its_name_only() -> None:
    assert shown_mechanism("PLAIN") == "PLAIN"
    assert shown_mechanism("SCRAM-SHA-256") == "SCRAM-SHA-256"
    assert shown_mechanism(f"LOGIN??{USER_B64.upper()}??") == f"LOGIN {REDACTED}"
    assert shown_mechanism(PASS_B64) == REDACTED


def test_the_responses_an_auth_exchange_waits_for_are_redacted_whatever_they_are() -> None:
    """After ``AUTH LOGIN`` the next two lines are the user and the password even when
    they look like commands; ``*`` cancels."""
    assert redact_client_text("AUTH LOGIN??QUIT??HELP me??QUIT??") == (
        "AUTH LOGIN??[redacted]??[redacted]??QUIT??"
    )
    assert redact_client_text("AUTH LOGIN??*??QUIT??") == "AUTH LOGIN??*??QUIT??"
    assert redact_client_text("dXNlcg==\\r\\nQUIT\\r\\n", after="AUTH") == (
        "[redacted]\\r\\n[redacted]\\r\\n"
    )


_TOKENS = st.sampled_from(
    [
        *("AUTH", "LOGIN", "PLAIN", " ", "??", "\\r\\n", "\n", "=", "*", "QUIT", "MAIL FROM:<a>"),
        *("< unknown[1.2.3.4]: ", "Read 9 chars: ", "given password: ", "resp=", "\t", "#011"),
        *("CONT", "init_response ", "decoded response: ", "authentication pass: ", ")", "…"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_TOKENS, st.text(max_size=12)), max_size=30))
def test_redaction_never_raises_and_is_idempotent(parts: list[str]) -> None:
    text = "".join(parts)
    shown = redact_line(text)
    assert isinstance(shown, str)
    assert redact_line(shown) == shown
    assert isinstance(redact_client_text(text, "AUTH"), str)
    assert isinstance(shown_mechanism(text), str)


def _every_pattern(text: str) -> str:
    """redact_line without its substring guards: every regex on every line."""
    found = redact._CLIENT_TEXT.search(text)
    if found is not None:
        after = found.group("after") or found.group("psc_after")
        replies = redact._replies_read(text, found.start())
        text = text[: found.end()] + redact_client_text(text[found.end() :], after, replies=replies)
    elif (own := redact._OWN_CLIENT_TEXT.search(text)) is not None:
        text = text[: own.end()] + redact_client_text(text[own.end() :])
    text = redact._redact_mismatch(text)
    for pattern in redact._SERVER_SECRETS:
        text = pattern.sub(rf"\g<1>{REDACTED}\g<{pattern.groups}>", text)
    return text


_NEAR = st.sampled_from(
    [
        *(
            "improper command pipelining after AUTH from a[1.2.3.4]: ",
            "non-SMTP command from ",
            "a[1.2.3.4]: ",
        ),
        *(
            "PREGREET 11 after 0.1 from [1.2.3.4]:5: ",
            "COMMAND PIPELINING from [1.2.3.4]:5 after ",
            "NON-SMTP COMMAND",
        ),
        *(
            "SHA1 of given password: ",
            "decoded initial response ",
            "pass=",
            "password=",
            "CONT\t1\t",
            "CONT#0111#011",
        ),
        *("chars:", "Read 12 chars:", "PASS", "Pass=", "response:", "init_response"),
        *("PLAIN(", ") != '", "request longer than 9: "),
        *("postfix/smtp[3]: Write 9 chars: ", "postfix/lmtp[4]: > r[1.2.3.4]:25: "),
        *("Write 9 chars: ", "> r[1.2.3.4]: ", "pass `", "_sasl_password_maps: x = "),
        *("uncoded client response ", "250 ", "334 ", "235 2.7.0 ", "535-5.7.8 "),
        *(
            "postfix/smtp[3]: < r[1.2.3.4]:25: ",
            "postfix/smtp[3]: Read 9 chars: ",
            "< r[1.2.3.4]: ",
        ),
        *("uncoded initial reply: ", "xsasl_cyrus_client_get_passwd: ", "mail_addr_find: a -> b:"),
        *("dict_proxy_lookup: table=x_sasl_passwd y result=a:", "userPassword=", '"password":"'),
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_TOKENS, _NEAR, st.text(max_size=8)), max_size=24))
def test_the_quick_checks_change_nothing(parts: list[str]) -> None:
    """redact_line skips the regexes on a line without any of their literal parts: the
    result is always the one every regex gives."""
    text = "".join(parts)
    assert redact_line(text) == _every_pattern(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Z", "C"), blacklist_characters="?\\"),
        min_size=1,
        max_size=40,
    ).filter(lambda secret: secret != "*"),  # "*" cancels the exchange: it is no password
    st.sampled_from(["< unknown[198.51.100.7]: ", "Read 99 chars: "]),
    st.sampled_from(["??", "\\r\\n"]),
)
def test_no_response_of_a_pipelined_auth_login_survives(
    secret: str, where: str, separator: str
) -> None:
    """Whatever the password (no spaces: one line), it is not in the redacted line. (Not
    ``?`` or ``\\``: the log itself cannot tell them from its line separators.)"""
    line = P + where + f"AUTH LOGIN{separator}{USER_B64}{separator}{secret}{separator}"
    shown = redact_line(line)
    tail = shown[len(P + where) :]
    assert tail == f"AUTH LOGIN{separator}[redacted]{separator}[redacted]{separator}"


PIPELINED = [
    f"Feb 23 11:57:14 mx postfix/smtpd[77]: connect from unknown[{CLIENT}]",
    CASES["pipelining after AUTH"][0],
    f"Feb 23 11:57:14 mx postfix/smtpd[77]: warning: unknown[{CLIENT}]: SASL LOGIN authentication failed: authentication failure, sasl_username=admin",
    f"Feb 23 11:57:15 mx postfix/smtpd[78]: connect from unknown[{CLIENT}]",
    CASES["pipelining after EHLO, whole AUTH PLAIN"][0],
    f"Feb 23 11:57:15 mx postfix/smtpd[78]: warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: authentication failure, sasl_username=admin",
    CASES["non-SMTP command"][0],
    CASES["postscreen PREGREET"][0],
    CASES["postscreen COMMAND PIPELINING"][0],
]


@pytest.mark.parametrize(
    "command",
    [("events",), ("events", "--format", "jsonl"), ("analyze",), ("analyze", "--format", "json")],
    ids=" ".join,
)
def test_no_command_prints_a_pipelined_credential(tmp_path: Path, command: tuple[str, ...]) -> None:
    done = mailwarden(*command, write_log(tmp_path / "pipelined.log", PIPELINED))
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout + done.stderr) == []


def test_explain_prints_no_pipelined_credential(tmp_path: Path) -> None:
    done = mailwarden("explain", write_log(tmp_path / "pipelined.log", PIPELINED))
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout + done.stderr) == []


def test_explain_prints_no_pipelined_mechanism(tmp_path: Path) -> None:
    lines = [
        f"Feb 23 11:57:17 mx postfix/smtpd[79]: connect from unknown[{CLIENT}]",
        CASES["dump AUTH LOGIN pipelined"][0],
    ]
    done = mailwarden("explain", write_log(tmp_path / "dump.log", lines))
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout + done.stderr) == []


def test_the_daemon_never_stores_or_sends_a_pipelined_credential(tmp_path: Path) -> None:
    """Store evidence, status, alerts and the daemon's log for the pipelined forms."""
    written, rows = daemon_outputs(tmp_path, PIPELINED)
    evidence = "\n".join(row.evidence for row in rows)
    assert "pipelining" in evidence, "the pipelining lines are evidence"
    assert written["alerts"], "a ban sends an alert"
    for where, blob in written.items():
        assert _leaks(blob) == [], where


def test_a_response_with_spaces_on_its_own_chat_line_is_redacted() -> None:
    """The step after ``AUTH LOGIN <user>`` is logged on a line of its own: a cleartext
    password with a space in it is no command and never shown."""
    chat = "Feb 23 10:00:04 mx postfix/smtpd[100]: < unknown[203.0.113.5]: "
    assert redact_line(chat + "correct horse") == chat + "[redacted]"
    assert redact_line(chat + "MAIL FROM:<a@example.com> SIZE=10") == (
        chat + "MAIL FROM:<a@example.com> SIZE=10"
    )


def test_analyze_reports_dovecot_debug_passwords_without_showing_them(tmp_path: Path) -> None:
    lines = [
        CASES["Dovecot 2.3 auth_debug_passwords mismatch"][0],
        CASES["Dovecot 2.4 auth_debug_passwords mismatch"][0],
    ]
    done = mailwarden("analyze", "--format", "json", write_log(tmp_path / "debug.log", lines))
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout) == []
    (finding,) = [
        f for f in json.loads(done.stdout)["findings"] if f["kind"] == "credential_exposed"
    ]
    assert finding["data"]["source"] == "dovecot_debug"
    assert "auth_debug_passwords = no" in finding["data"]["fix"]


def test_a_long_hostile_mismatch_line_is_redacted_in_linear_time() -> None:
    import time

    for text in ("a(" * 30_000 + ") != 'x'", "a.a" * 30_000 + "(x) != 'y'", ") != '" * 10_000):
        started = time.perf_counter()
        redact_line(text)
        assert time.perf_counter() - started < 0.5
