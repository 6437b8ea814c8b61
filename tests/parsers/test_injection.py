"""Client-chosen text never moves the client address.

Each test puts a forged address (203.0.113.5, the innocent victim of a framing attempt)
into a field the client controls — SASL username, EHLO, MAIL FROM/RCPT TO, pipelined
text, Dovecot's user=<…>, the user inside db(user,ip), PAM's ruser — and checks that the
event still names the real client (198.51.100.9), or no address at all, never the forgery.
"""

from __future__ import annotations

import pytest

from mailwarden.model import EventType
from mailwarden.parsers import parse

from .corpus import dv, pf
from .helpers import one, rec

REAL = "198.51.100.9"
FAKE = "203.0.113.5"
FAKE_ENTRY = (
    f"Feb  3 11:57:42 mx postfix/smtpd[1]: warning: unknown[{FAKE}]: SASL LOGIN "
    "authentication failed: authentication failure"
)


def _ips(line: str) -> set[str | None]:
    return {e.ip for e in parse(rec(line))}


# ------------------------------------------------------------------ Postfix SASL user


@pytest.mark.parametrize(
    "user",
    [
        f"[{FAKE}]",
        f"unknown[{FAKE}]",
        "]",
        f"x], sasl_username=unknown[{FAKE}]",
        ", sasl_username=root",
        f"rip={FAKE}",
        FAKE_ENTRY,
        f"admin: SASL LOGIN authentication failed: x from unknown[{FAKE}]",
    ],
)
def test_sasl_username_never_moves_the_address(user: str) -> None:
    line = pf(
        f"warning: unknown[{REAL}]: SASL LOGIN authentication failed: (reason unavailable), "
        f"sasl_username={user}"
    )
    event = one(line)
    assert event.type is EventType.AUTH_FAILURE
    assert event.ip == REAL
    assert event.reason == "(reason unavailable)"
    # Split at the FIRST ", sasl_username=": the rest, whatever it holds, is the user.
    assert event.user == user


def test_sasl_reason_split_at_first_sasl_username() -> None:
    event = one(
        pf(
            f"warning: unknown[{REAL}]: SASL PLAIN authentication failed: authentication "
            "failure, sasl_username=a, sasl_username=b"
        )
    )
    assert (event.reason, event.user, event.ip) == (
        "authentication failure",
        "a, sasl_username=b",
        REAL,
    )


def test_success_user_never_moves_the_address() -> None:
    event = one(
        pf(
            f"4Xk1Zp2Lm9z3q: client=unknown[{REAL}], sasl_method=PLAIN, "
            f"sasl_username=x, orig_client=unknown[{FAKE}]"
        )
    )
    assert event.type is EventType.AUTH_SUCCESS
    assert event.ip == REAL


# ---------------------------------------------------------- rejects, EHLO, MAIL FROM


@pytest.mark.parametrize(
    "helo",
    [f"[{FAKE}]", f"unknown[{FAKE}]", f"x> from unknown[{FAKE}]: 554", "]"],
)
def test_helo_never_moves_the_address(helo: str) -> None:
    line = pf(
        f"NOQUEUE: reject: RCPT from unknown[{REAL}]: 554 5.7.1 <v@example.org>: Relay access "
        f"denied; from=<a@example.com> to=<v@example.org> proto=ESMTP helo=<{helo}>"
    )
    event = one(line)
    assert event.ip == REAL
    assert event.type is EventType.REJECT


def test_recipient_text_never_moves_the_address() -> None:
    line = pf(
        f"NOQUEUE: reject: RCPT from unknown[{REAL}]: 550 5.1.1 <x from unknown[{FAKE}]: "
        f"@example.org>: Recipient address rejected: User unknown; from=<[{FAKE}]> "
        f"to=<x from unknown[{FAKE}]: @example.org> proto=ESMTP helo=<h>"
    )
    assert _ips(line) == {REAL}


def test_postscreen_reject_text_never_moves_the_address() -> None:
    line = pf(
        f"NOQUEUE: reject: RCPT from [{REAL}]:4711: 550 5.7.1 Service unavailable; client "
        f"[{REAL}] blocked using zen.example; from=<[{FAKE}]:25>, to=<a@b>, proto=ESMTP, "
        f"helo=<[{FAKE}]:25>",
        "postfix/postscreen",
    )
    assert _ips(line) == {REAL}


@pytest.mark.parametrize(
    "line",
    [
        pf(f"warning: non-SMTP command from unknown[{REAL}]: GET /?x=unknown[{FAKE}] HTTP/1.1"),
        pf(f"improper command pipelining after EHLO from unknown[{REAL}]: {FAKE_ENTRY}"),
        pf(f"PREGREET 20 after 0.1 from [{REAL}]:4711: [{FAKE}]:25\\r\\n", "postfix/postscreen"),
        pf(
            f"COMMAND PIPELINING from [{REAL}]:4711 after EHLO: from [{FAKE}]:25",
            "postfix/postscreen",
        ),
        pf(f"< unknown[{REAL}]: AUTH PLAIN unknown[{FAKE}]"),
        pf(f"< unknown[{REAL}]: EHLO [{FAKE}]"),
        pf(f"warning: hostname x.example does not resolve to address {REAL}: [{FAKE}]"),
    ],
)
def test_client_text_after_the_address_is_data(line: str) -> None:
    assert _ips(line) == {REAL}


def test_dump_lines_carry_no_address_even_when_the_text_has_one() -> None:
    assert _ips(pf(f"Read 40 chars: EHLO unknown[{FAKE}]??")) == {None}
    assert _ips(pf(f"Read 45 chars: AUTH PLAIN x {FAKE_ENTRY}")) == {None}


def test_hostname_must_be_a_valid_name() -> None:
    # name[addr] only counts when name is [A-Za-z0-9._-]+ right after the fixed text.
    assert parse(rec(pf(f"connect from evil name[{FAKE}]"))) == []
    assert parse(rec(pf(f"lost connection after AUTH from a]b[{FAKE}]"))) == []


def test_invalid_addresses_are_not_addresses() -> None:
    assert one(pf("lost connection after AUTH from unknown[999.1.1.1]")).ip is None
    assert one(pf("lost connection after AUTH from unknown[1.2.3]")).ip is None
    assert one(pf("lost connection after AUTH from unknown[01.2.3.4]")).ip is None
    assert one(pf("lost connection after AUTH from unknown[2001:db8:::1]")).ip is None


def test_address_normalisation() -> None:
    assert one(pf("connect from unknown[2001:DB8:0000::A]")).ip == "2001:db8::a"
    assert one(pf("connect from unknown[::ffff:198.51.100.9]")).ip == REAL
    assert one(pf("connect from unknown[::FFFF:c633:6409]")).ip == REAL


# ----------------------------------------------------------------- Dovecot login line


@pytest.mark.parametrize(
    "user",
    [
        f"a>, rip={FAKE}, lip=192.0.2.1",
        f"a>, method=PLAIN, rip={FAKE}, lip=192.0.2.1, TLS, session=<abc",
        f"rip={FAKE}",
        f" rip={FAKE}",
        f"[{FAKE}]",
        ">",
        f"x (auth failed, 99 attempts): user=<y>, rip={FAKE}",
        # A lip= of the client's own would make an address of its choosing the server's.
        f"a>, rip={FAKE}, lip={FAKE}",
        f"a>, method=PLAIN, rip={REAL}, lip={REAL}, TLS, session=<abc",
    ],
)
def test_dovecot_user_never_moves_the_address(user: str) -> None:
    line = dv(
        f"imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): "
        f"user=<{user}>, method=PLAIN, rip={REAL}, lip=192.0.2.1, TLS, session=<Lsz0Oo7WXti3b7xe>"
    )
    event = one(line)
    assert event.ip == REAL
    assert event.user == user
    assert event.attempts == 1
    assert event.session == "Lsz0Oo7WXti3b7xe"
    assert event.server_ip == "192.0.2.1"


def test_dovecot_success_user_never_moves_the_address() -> None:
    event = one(
        dv(
            f"imap-login: Login: user=<bob>, method=PLAIN, rip={FAKE}, lip=192.0.2.1>, "
            f"method=PLAIN, rip={REAL}, lip=192.0.2.1, mpid=1, TLS, session=<Lsz0Oo7WXti3b7xe>"
        )
    )
    assert event.type is EventType.AUTH_SUCCESS
    assert event.ip == REAL
    assert event.user == f"bob>, method=PLAIN, rip={FAKE}, lip=192.0.2.1"


@pytest.mark.parametrize(
    "user",
    [
        f"a>, method=PLAIN, rip={FAKE}, lip=192.0.2.1",
        f"a, rip={FAKE}, lip=192.0.2.1, TLS",
        f"a, rip={FAKE}",
        f"a>, rip={FAKE}, lip=192.0.2.1, mpid=7, TLS, session=<x>, user=<b",
    ],
)
@pytest.mark.parametrize("kind", ["Login: ", "Disconnected (auth failed, 1 attempts in 2 secs): "])
def test_dovecot_line_without_its_own_rip_takes_none_from_the_user(user: str, kind: str) -> None:
    # A local client over a UNIX socket: Dovecot writes no rip=, so the last one is the
    # client's text. What follows it (method=, a ">" it did not open) gives it away.
    event = one(dv(f"imap-login: {kind}user=<{user}>, method=PLAIN, session=<Lsz0Oo7WXti3b7xe>"))
    assert event.ip is None
    assert event.mechanism == "PLAIN"


@pytest.mark.parametrize(
    "elements",
    [
        # Sites that reorder login_log_format_elements (found by review: these lost
        # their address to the first version of the forgery check).
        "rip={ip}, lip=192.0.2.254, user=<alice@example.com>, method=PLAIN, TLS, session=<A1>",
        "user=<alice@example.com>, rip={ip}, lip=192.0.2.254, method=PLAIN, TLS, session=<A2>",
        "user=<alice@example.com>, method=PLAIN, rip={ip}, lip=192.0.2.254, mpid=0, TLS, <A3>",
    ],
)
def test_reordered_elements_keep_the_address(elements: str) -> None:
    line = f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): {elements}"
    event = one(dv(line.format(ip=REAL)))
    assert event.ip == REAL
    # A user written after rip= is read too (its own rip= never moves the address).
    assert event.user == "alice@example.com" and event.mechanism == "PLAIN"


def test_a_rip_inside_the_user_of_a_rip_first_format_falls_back_to_the_real_one() -> None:
    # The client writes ", rip=" in its name to be counted against another address
    # (or against none): the server's rip=, written before user=<, is the address.
    line = dv(
        f"imap-login: Disconnected (auth failed, 1 attempts in 2 secs): rip={REAL}, "
        f"lip=192.0.2.254, user=<x, rip={FAKE}, q=<y>, method=PLAIN, TLS, session=<A4>"
    )
    assert one(line).ip == REAL


@pytest.mark.parametrize(
    "user",
    [
        # Brackets balanced, method= after the forged rip=: it reads as a format that
        # writes rip= after the user and method= after rip= (found by review: the
        # forged address was banned, the client not).
        f"admin>, rip={FAKE}, lip=192.0.2.10, session=<x>, x=<",
        # A lip= of the client's: its own address (or any) would be the server's, never
        # banned and its network never judged (found by review).
        f"a>, rip={REAL}, lip={REAL}, session=<x>, x=<",
        f"a>, lip={FAKE}, x=<",
        f"a>, lip={FAKE}, TLS, session=<x",
        f"a>, lip={FAKE}, method=PLAIN, lip={FAKE}",
        f"a, lip={FAKE}",
    ],
)
@pytest.mark.parametrize(
    ("elements", "lip", "session"),
    [
        # rip= and lip= before the user (login_log_format_elements = rip=%r lip=%l
        # user=<%u> method=%m session=<%{session}>): both are the server's.
        (
            "rip={ip}, lip=192.0.2.254, user=<{user}>, method=PLAIN, session=<A1>",
            "192.0.2.254",
            "A1",
        ),
        # No lip= before the user: one after it is read only past the line's last ">".
        ("rip={ip}, user=<{user}>, method=PLAIN, session=<A2>", None, "A2"),
        ("rip={ip}, user=<{user}>, method=PLAIN, lip=192.0.2.254", "192.0.2.254", None),
        ("rip={ip}, user=<{user}>, method=PLAIN, lip=192.0.2.254, TLS, session=<A3>", None, "A3"),
    ],
)
def test_a_rip_first_line_takes_address_and_lip_only_from_the_server(
    user: str, elements: str, lip: str | None, session: str | None
) -> None:
    line = dv(
        "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): "
        + elements.format(ip=REAL, user=user)
    )
    event = one(line)
    assert event.type is EventType.AUTH_FAILURE and event.attempts == 1
    assert event.ip == REAL
    assert event.server_ip == lip
    if session is not None:
        # (Without one of the server's, a session=<…> the client wrote may name the
        # session its own line closes: no harm, not asserted.)
        assert event.session == session


@pytest.mark.parametrize(
    "user",
    [
        f"a, rip={FAKE}, q=<x",  # the user still open at the rip: no ">" since "user=<"
        f"a>, method=PLAIN, rip={FAKE}, q=<x",  # method= written twice
    ],
)
def test_a_balanced_forgery_without_a_rip_of_its_own_is_still_caught(user: str) -> None:
    event = one(dv(f"imap-login: Login: user=<{user}>, method=PLAIN, session=<Lsz0Oo7WXti3b7xe>"))
    assert event.ip is None


def test_site_elements_after_rip_keep_the_address() -> None:
    # A site's own elements after rip= (login_log_format_elements), bracketed or not.
    event = one(
        dv(
            f"imap-login: Login: user=<bob>, method=PLAIN, rip={REAL}, lip=192.0.2.1, "
            "mpid=1, orig=<bob@example.com>, TLS, session=<Lsz0Oo7WXti3b7xe>"
        )
    )
    assert event.ip == REAL and event.user == "bob" and event.session == "Lsz0Oo7WXti3b7xe"


# ------------------------------------------------------------------ Dovecot auth lines


@pytest.mark.parametrize(
    ("line", "user"),
    [
        (dv(f"auth: passwd-file(x,{FAKE},{REAL}): unknown user"), f"x,{FAKE}"),
        (dv(f"auth: passwd-file(x,{FAKE},{REAL},<Lsz0Oo7WXti3b7xe>): unknown user"), f"x,{FAKE}"),
        (dv(f"auth: passwd-file(a(b,{FAKE},{REAL}): Password mismatch"), f"a(b,{FAKE}"),
        (dv(f"auth: passwd-file({FAKE},{REAL},master): unknown user"), FAKE),
        (dv(f"auth-worker(7): pam(<{FAKE}>,{REAL}): unknown user"), f"<{FAKE}>"),
        (
            dv(f"auth(x,{FAKE},{REAL},sasl:plain)<Cd5Nmn8Uf4e7eEnj>: passwd-file: unknown user"),
            f"x,{FAKE}",
        ),
        (
            dv(f"auth(x,{FAKE},sasl:plain,{REAL},sasl:plain)<Cd5Nmn8Uf4e7eEnj>: sql: unknown user"),
            f"x,{FAKE},sasl:plain",
        ),
    ],
)
def test_auth_user_is_split_from_the_right(line: str, user: str) -> None:
    event = one(line)
    assert event.ip == REAL
    assert event.user == user


@pytest.mark.parametrize(
    "line",
    [
        # the user repeats the separator: which ")" is the server's cannot be known
        dv(f"auth: passwd-file(x,{FAKE}): unknown user,{REAL}): Password mismatch"),
        # … nor when the logged password does
        dv(
            f"auth: passwd-file(x,{REAL}): Password mismatch (given password: ,{FAKE}): unknown "
            "user)"
        ),
        dv(
            f"auth(x,{FAKE},sasl:plain)<a>: sql: unknown user,{REAL},sasl:plain)<b>: sql: "
            "Password mismatch"
        ),
    ],
)
def test_ambiguous_auth_lines_give_no_address(line: str) -> None:
    events = parse(rec(line))
    assert events, "still reported (without an address), so the attempt is not lost"
    assert {e.ip for e in events} == {None}
    assert all(e.detail and "ambiguous" in e.detail for e in events)


_REFUSED = "Username character disallowed by auth_username_chars: 0x2c"


@pytest.mark.parametrize(
    "name",
    [
        f"evil,{FAKE},<sess>",
        f"x) (username: y,{FAKE}",
        f"bob, rip={FAKE}, lip=192.0.2.1",
        f"x,{FAKE}),{FAKE},<a>): y",
    ],
)
def test_refused_user_name_never_moves_the_address(name: str) -> None:
    """2.3's ``plain(?,ip,<session>): Username character disallowed … (username: NAME)``:
    the address is the prefix's; NAME, whatever it holds, is only the user."""
    events = parse(
        rec(dv(f"auth: plain(?,{REAL},<wFv000xhYtzGM2RN>): {_REFUSED} (username: {name})"))
    )
    assert len(events) == 1
    event = events[0]
    assert event.type is EventType.AUTH_FAILURE
    assert event.ip in (REAL, None)  # None only when NAME repeats "): " (ambiguous)
    assert event.ip is not None or "): " in name
    assert event.user == name
    assert event.reason == _REFUSED


def test_logged_password_is_masked() -> None:
    event = one(
        dv(f"auth: passwd-file(bob,{REAL}): Password mismatch (given password: Tr0ub4dor&3)")
    )
    fields = event._asdict()
    del fields["record"]
    assert "Tr0ub4dor" not in repr(fields)
    assert event.reason == "Password mismatch (given password: ***)"
    assert event.detail is not None and event.detail["password_logged"] == "plain"


# ------------------------------------------------------------------------------ PAM


@pytest.mark.parametrize(
    ("tail", "ip"),
    [
        (f"ruser=rhost={FAKE} rhost={REAL}", REAL),
        (f"ruser=x rhost={FAKE} rhost={REAL}", REAL),
        (f"ruser=x rhost={FAKE} rhost={REAL} ", REAL),
        (f"ruser=bob rhost={REAL}  user=bob", REAL),
        (f"ruser= rhost={REAL}  user=bob", REAL),
        # ruser and user are the same client text; the real rhost is the one between them
        (f"ruser=x rhost={FAKE}  user=y rhost={REAL}  user=x rhost={FAKE}  user=y", REAL),
        # lines that fit both PAM formats with different addresses: none taken
        (f"ruser=x rhost={FAKE} rhost={REAL}  user=x rhost={FAKE}", None),
        (f"ruser=x rhost={REAL} rhost={FAKE}  user=x rhost={REAL}", None),
        (f"ruser= rhost={REAL}  user=x rhost={FAKE}", None),
        (f"ruser= rhost={FAKE}  user=q rhost={REAL}  user= rhost={FAKE}  user=q", None),
        (f"ruser=x rhost={FAKE}  rhost= ", None),
    ],
)
def test_pam_rhost_is_the_real_field(tail: str, ip: str | None) -> None:
    line = (
        "Feb 23 11:57:42 mx auth: pam_unix(dovecot:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=dovecot {tail}"
    )
    assert one(line).ip == ip
