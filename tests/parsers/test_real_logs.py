"""Real Postfix 3.7 and Dovecot 2.3 logs (tests/data/real/) through the real pipeline.

The captures were written by real servers in our lab while real clients played the
scenarios of tests/data/real/README.md. What a user would notice is checked here:

- every line is framed, and either gives events or belongs to a family we knowingly
  ignore (a new unrecognised family fails with the lines listed);
- every failed login names the client of its scenario, taken from the README (never from
  the line under test), and no address that a client wrote into a username ever becomes
  an event's address;
- ``Connection lost to authentication server`` is AUTH_UNAVAILABLE, weak at most;
- ``*`` after a failed AUTH is the non-SMTP command the log shows;
- the TLS-loglevel-4 dumps and the verbose chat give AUTH commands whose payloads decode
  to the lab account with the password masked;
- Dovecot's login lines give the attempt counts, and the auth-process lines of the same
  session the attempts one by one;
- ``mailwarden events`` never prints a password from the captures.

Pids, session ids and the order of lines from parallel sessions vary from capture to
capture: the tests look for lines, never line numbers.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import mailwarden.parsers
from mailwarden.model import Event, EventType, Record, Strength
from mailwarden.parsers.sasl import decode_auth, decode_base64_line
from mailwarden.pipeline import Counts, ReadOptions, read_events

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
README = REAL / "README.md"

SUBMISSION = "postfix-3.7-submission.log"
TLS4 = "postfix-3.7-tls-loglevel4.log"
VERBOSE = "postfix-3.7-verbose.log"
IMAP = "dovecot-2.3-imap.log"
ANY_USERNAME = "dovecot-2.3-any-username.log"
FILES = (SUBMISSION, TLS4, VERBOSE, IMAP, ANY_USERNAME)
POSTFIX_FILES = (SUBMISSION, TLS4, VERBOSE)

SERVER_ADDRESSES = frozenset({"192.0.2.1", "2001:db8::1"})
"""The lab server (README, "Lab"): only ever a local address, never a client."""

LAB_PASSWORDS = {
    # tests/e2e/lab.py: the lab accounts' passwords ("*-lab-pw*" in the README).
    "alice@lab.example": "alice-lab-pw1",
    "bob@lab.example": "bob-lab-pw2",
    "admin@lab.example": "admin-lab-pw3",
}

T = EventType


# ------------------------------------------------------------------------ the README


@functools.cache
def scenarios() -> dict[str, list[tuple[str, str]]]:
    """file name -> [(client address, description)] from the README, in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            current = found.setdefault(name, []) if name.endswith(".log") else None
            continue
        m = re.match(r"\d+\. `([^`]+)`: (.*)$", line)
        if current is not None and m is not None:
            current.append((m.group(1), m.group(2)))
    return found


def addresses(name: str) -> list[str]:
    return [addr for addr, _ in scenarios()[name]]


def scenario(name: str, addr: str) -> str:
    """The description of the one scenario of ``name`` played by ``addr`` (the first one
    when the address played several)."""
    for a, text in scenarios()[name]:
        if a == addr:
            return text
    raise AssertionError(f"README lists no scenario for {addr} in {name}")


def documented_username(name: str, addr: str) -> str:
    """The client-chosen user name a scenario documents (``user name `…```)."""
    m = re.search(r"user ?name `([^`]*)`", scenario(name, addr))
    assert m is not None, scenario(name, addr)
    return m.group(1)


def documented_password(name: str, addr: str) -> str:
    m = re.search(r"password `([^`]*)`", scenario(name, addr))
    assert m is not None, scenario(name, addr)
    return m.group(1)


_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def username_addresses() -> set[str]:
    """Every address that the README's scenarios put inside a client-chosen user name."""
    found: set[str] = set()
    for entries in scenarios().values():
        for _addr, text in entries:
            for user in re.findall(r"user ?name `([^`]*)`", text):
                found.update(_IPV4.findall(user))
    return found


def readme_passwords() -> set[str]:
    found = set(LAB_PASSWORDS.values())
    for entries in scenarios().values():
        for _addr, text in entries:
            found.update(re.findall(r"password `([^`]*)`", text))
    return found


def test_the_readme_documents_the_scenarios_these_tests_rely_on() -> None:
    assert set(FILES) <= set(scenarios())
    assert addresses(SUBMISSION)[:9] == [
        "192.0.2.10",
        "192.0.2.10",
        "192.0.2.66",
        "2001:db8::66",
        "198.51.100.23",
        "198.51.100.77",
        "198.51.100.78",
        "198.51.100.79",
        "198.51.100.99",
    ]
    assert addresses(TLS4) == ["192.0.2.10", "192.0.2.66", "198.51.100.23"]
    assert addresses(VERBOSE) == ["192.0.2.66", "192.0.2.66", "192.0.2.10"]
    assert "203.0.113.5" in username_addresses()
    assert {"Summer2024!", "hunter2", "admin123", "changeme"} <= readme_passwords()


# --------------------------------------------------------------------- the pipeline


@functools.cache
def read(name: str) -> tuple[tuple[tuple[Record, tuple[Event, ...]], ...], Counts]:
    """Every record of a capture with its events (parse errors raise, not hide)."""
    counts = Counts()
    mailwarden.parsers._STRICT = True
    try:
        pairs = tuple(
            (record, tuple(events))
            for record, events in read_events([str(REAL / name)], ReadOptions(), counts)
        )
    finally:
        mailwarden.parsers._STRICT = False
    return pairs, counts


def events(name: str, *types: EventType) -> list[Event]:
    pairs, _ = read(name)
    return [e for _, found in pairs for e in found if not types or e.type in types]


def physical_lines(name: str) -> list[str]:
    return (REAL / name).read_text(encoding="utf-8").splitlines()


def is_login_line(event: Event) -> bool:
    return (event.record.program or "").endswith("-login")


def is_auth_line(event: Event) -> bool:
    return event.record.program == "auth"


# ------------------------------------------------------------------ every line counts

# Families that give no event by design, each as narrow as the lines the captures show:
# Postfix programs other than smtpd/postscreen/anvil (they say nothing about clients),
# Dovecot's master starting up, and a mail process logging out after a login.
KNOWINGLY_IGNORED: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    ("postfix/postfix-script", re.compile(r"(?:starting|refreshing) the Postfix mail system$")),
    ("postfix/master", re.compile(r"(?:daemon started|reload) -- version \S+, configuration ")),
    ("postfix/cleanup", re.compile(r"[0-9A-F]+: message-id=<[^>]*>$")),
    ("postfix/qmgr", re.compile(r"[0-9A-F]+: (?:from=<[^>]*>, size=\d+, nrcpt=\d+ |removed$)")),
    ("postfix/virtual", re.compile(r"[0-9A-F]+: to=<[^>]*>, relay=virtual, .* status=sent ")),
    ("master", re.compile(r"Info: Dovecot v\S+ \([0-9a-f]+\) starting up for ")),
    (None, re.compile(r"imap\([^()]*\)<\d+><[^<>]+>: Info: Disconnected: Logged out ")),
)


def _knowingly_ignored(record: Record) -> bool:
    return any(
        record.program == program and pattern.match(record.message) is not None
        for program, pattern in KNOWINGLY_IGNORED
    )


@pytest.mark.parametrize("name", FILES)
def test_every_line_is_one_entry_with_a_time_and_nothing_is_skipped(name: str) -> None:
    pairs, counts = read(name)
    lines = physical_lines(name)
    assert counts.read.lines == len(lines)
    assert counts.read.skipped_total == 0, counts.read
    assert counts.read.problems == []
    assert counts.records == len(pairs) == len(lines)
    assert [record.line for record, _ in pairs] == list(range(1, len(lines) + 1))
    for record, _ in pairs:
        assert record.time is not None, record
        assert record.text == lines[record.line - 1].rstrip(), record


@pytest.mark.parametrize("name", FILES)
def test_every_line_gives_events_or_is_knowingly_ignored(name: str) -> None:
    pairs, counts = read(name)
    unrecognised = [
        f"{record.line}: {record.text}"
        for record, found in pairs
        if not found and not _knowingly_ignored(record)
    ]
    assert unrecognised == [], f"{len(unrecognised)} unrecognised line(s) in {name}:\n" + (
        "\n".join(unrecognised)
    )
    assert counts.recognised == sum(1 for _, found in pairs if found)


@pytest.mark.parametrize("name", POSTFIX_FILES)
def test_no_smtpd_line_goes_unrecognised(name: str) -> None:
    pairs, _ = read(name)
    silent = [r.text for r, found in pairs if not found and (r.program or "").endswith("smtpd")]
    assert silent == []


# ------------------------------------------------------------------------ addresses


@pytest.mark.parametrize("name", FILES)
def test_every_event_address_is_a_documented_client_of_that_capture(name: str) -> None:
    clients = set(addresses(name))
    wrong = [
        (e.record.line, e.type.value, e.ip)
        for e in events(name)
        if e.ip is not None and e.ip not in clients
    ]
    assert wrong == []
    for event in events(name):
        assert event.server_ip is None or event.server_ip in SERVER_ADDRESSES, event


@pytest.mark.parametrize("name", FILES)
def test_an_address_inside_a_username_is_never_an_event_address(name: str) -> None:
    forged = username_addresses()
    assert forged  # 203.0.113.5 (and the server's own 192.0.2.1, written as lip=)
    for event in events(name):
        assert event.ip not in forged, (event.record.text, event.ip)
        assert event.server_ip not in forged - SERVER_ADDRESSES, event.record.text


def _failure_order(found: list[Event]) -> list[str | None]:
    order: list[str | None] = []
    for event in found:
        if event.ip not in order:
            order.append(event.ip)
    return order


@pytest.mark.parametrize("name", POSTFIX_FILES)
def test_postfix_sasl_failures_come_in_the_order_of_the_readme_scenarios(name: str) -> None:
    failed = events(name, T.AUTH_FAILURE, T.AUTH_UNAVAILABLE)
    order = _failure_order(failed)
    readme = [a for a in dict.fromkeys(addresses(name)) if a in order]
    assert order == readme
    assert None not in order


@pytest.mark.parametrize("name", POSTFIX_FILES)
def test_every_postfix_event_belongs_to_the_client_that_connected_on_its_process(
    name: str,
) -> None:
    """The address of each SASL line agrees with the ``connect from`` line of its smtpd
    process: another line, written by the server, before the client said anything."""
    peer: dict[tuple[str | None, str | None, int | None], str | None] = {}
    for event in events(name):
        key = (event.record.host, event.record.program, event.record.pid)
        if event.type is T.CONNECT:
            peer[key] = event.ip
        elif event.ip is not None and (event.record.program or "").endswith("smtpd"):
            assert peer.get(key) == event.ip, event.record.text


SUBMISSION_FAILED_USERS: dict[str, list[str | None]] = {
    "192.0.2.66": ["admin@lab.example", "alice@lab.example", "root"],
    "2001:db8::66": ["admin@lab.example"],
    "198.51.100.23": ["admin@lab.example", "bob@lab.example"],
    "203.0.113.51": ["admin@lab.example"],
    "203.0.113.53": [None, None],  # bad base64, unknown mechanism: no name decoded
    "203.0.113.54": ["user0@lab.example", "user1@lab.example", "user2@lab.example"],
    "203.0.113.60": ["alice@lab.example", "alice@lab.example"],
}


def test_submission_failures_name_the_scenario_client_and_account() -> None:
    by_ip: dict[str | None, list[str | None]] = defaultdict(list)
    for event in events(SUBMISSION, T.AUTH_FAILURE):
        assert event.hostile and event.service in ("submission", "smtp"), event
        by_ip[event.ip].append(event.user)
    for addr, users in SUBMISSION_FAILED_USERS.items():
        assert addr in addresses(SUBMISSION)
        assert sorted(by_ip.pop(addr), key=str) == sorted(users, key=str), addr
    # The three forged names, each from its own scenario client, whole.
    for addr in ("198.51.100.77", "198.51.100.78", "198.51.100.79"):
        assert by_ip.pop(addr) == [documented_username(SUBMISSION, addr)], addr
    # 198.51.100.99: three sequential guesses; the third may be answered in time or not.
    guesses = by_ip.pop("198.51.100.99")
    lost = [e for e in events(SUBMISSION, T.AUTH_UNAVAILABLE) if e.ip == "198.51.100.99"]
    assert set(guesses) == {"admin@lab.example"}
    assert len(guesses) + len(lost) == 3
    assert dict(by_ip) == {}


def test_invalid_mechanism_is_weak_and_bad_base64_strong() -> None:
    found = [e for e in events(SUBMISSION, T.AUTH_FAILURE) if e.ip == "203.0.113.53"]
    by_mech = {e.mechanism: e for e in found}
    assert by_mech["PLAIN"].strength is Strength.STRONG
    assert by_mech["CRAM-MD5"].strength is Strength.WEAK


def test_the_rate_limited_client_is_named_with_its_service() -> None:
    limited = events(SUBMISSION, T.RATE_LIMITED)
    assert limited
    for event in limited:
        assert event.ip == "203.0.113.54" and event.service == "smtp"
        assert event.detail is not None and event.detail["limit"] == "auth"
    assert "rate limit" in scenario(SUBMISSION, "203.0.113.54")


# ---------------------------------------------------------- the auth server going away


def test_connection_lost_to_the_auth_server_is_unavailable_never_a_strong_failure() -> None:
    pairs, _ = read(SUBMISSION)
    lost = [
        (r, found) for r, found in pairs if "Connection lost to authentication server" in r.text
    ]
    if "Connection lost" in scenario(SUBMISSION, "198.51.100.99"):
        assert lost, "the README documents a Connection lost line for 198.51.100.99"
    for record, found in lost:
        assert len(found) == 1, record.text
        event = found[0]
        assert event.type is T.AUTH_UNAVAILABLE, record.text
        assert event.strength in (Strength.WEAK, None)
        assert event.ip == "198.51.100.99"
        assert event.user is None  # sasl_username=(unavailable)


# -------------------------------------------------------------------------- "*" lines


def test_star_after_a_failed_auth_is_the_non_smtp_command_the_log_shows() -> None:
    client = "203.0.113.51"
    assert "`*`" in scenario(SUBMISSION, client)
    mine = [e for e in events(SUBMISSION) if e.ip == client]
    kinds = [e.type for e in mine]
    assert T.AUTH_FAILURE in kinds and T.NON_SMTP_COMMAND in kinds
    assert kinds.index(T.AUTH_FAILURE) < kinds.index(T.NON_SMTP_COMMAND)
    (star,) = [e for e in mine if e.type is T.NON_SMTP_COMMAND]
    assert star.payload == "*" and star.strength is Strength.STRONG
    disconnect = [e for e in mine if e.type is T.DISCONNECT][-1]
    assert disconnect.attempts == 1  # auth=0/1: the "*" was not a second AUTH


def test_star_at_the_334_prompt_is_an_aborted_auth_then_a_weak_lost_connection() -> None:
    client = "203.0.113.52"
    mine = [e for e in events(SUBMISSION) if e.ip == client]
    (aborted,) = [e for e in mine if e.type is T.AUTH_ABORTED]
    assert aborted.mechanism == "PLAIN" and aborted.strength is Strength.WEAK
    (lost,) = [e for e in mine if e.type is T.LOST_CONNECTION]
    assert lost.detail == {"after": "AUTH"} and lost.strength is Strength.WEAK
    assert not [e for e in mine if e.type is T.AUTH_FAILURE]


def test_the_http_request_is_a_non_smtp_command() -> None:
    (get,) = [e for e in events(SUBMISSION, T.NON_SMTP_COMMAND) if e.ip == "203.0.113.50"]
    assert get.payload == "GET / HTTP/1.0"


def test_the_legitimate_user_is_never_hostile_and_her_logins_show() -> None:
    legit = "192.0.2.10"
    for name in (*POSTFIX_FILES, IMAP):
        for event in events(name):
            if event.ip == legit:
                assert not event.hostile, event.record.text
    queued = [e for e in events(SUBMISSION, T.AUTH_SUCCESS) if e.ip == legit]
    assert [e.user for e in queued] == ["alice@lab.example", "alice@lab.example"]
    assert all(e.mechanism == "PLAIN" for e in queued)
    ok = [
        e
        for e in events(SUBMISSION, T.DISCONNECT)
        if e.detail is not None and e.detail["auth_ok"] != "0"
    ]
    assert {e.ip for e in ok} == {legit, "203.0.113.60"}


# ----------------------------------------------------------------- TLS loglevel 4 dumps


def _dump_session_client(name: str) -> list[tuple[Event, str | None]]:
    """Each dump event with the client of the ``connect from`` last seen on its process:
    dump lines carry no address and join their session by host, program and pid."""
    peer: dict[tuple[str | None, str | None, int | None], str | None] = {}
    out: list[tuple[Event, str | None]] = []
    for event in events(name):
        key = (event.record.host, event.record.program, event.record.pid)
        if event.type is T.CONNECT:
            peer[key] = event.ip
        elif event.type in (T.AUTH_COMMAND, T.CLIENT_DATA, T.SERVER_REPLY):
            out.append((event, peer.get(key)))
    return out


def test_tls_dump_lines_carry_no_address() -> None:
    for event, _client in _dump_session_client(TLS4):
        assert event.ip is None, event.record.text
        assert event.detail is not None and event.detail["declared_length"].isdigit()


@pytest.mark.parametrize(
    ("client", "user", "password"),
    [
        ("192.0.2.10", "alice@lab.example", LAB_PASSWORDS["alice@lab.example"]),
        ("192.0.2.66", "admin@lab.example", None),  # the README names the guess
    ],
)
def test_tls_dump_auth_plain_decodes_to_the_account_with_the_password_masked(
    client: str, user: str, password: str | None
) -> None:
    if password is None:
        password = documented_password(TLS4, client)
    assert user in scenario(TLS4, client)
    commands = [
        e for e, c in _dump_session_client(TLS4) if c == client and e.type is T.AUTH_COMMAND
    ]
    assert len(commands) == 1
    (command,) = commands
    assert command.mechanism == "PLAIN" and command.payload
    declared = int((command.detail or {})["declared_length"])
    credential = decode_auth("PLAIN", command.payload, declared)
    assert credential is not None
    assert credential.user == user and credential.user_complete
    assert not credential.complete  # the dump shows 40 bytes: the password is cut
    assert credential.password is not None and password.startswith(credential.password)
    assert credential.password_length is not None
    least, most = credential.password_length
    assert least <= len(password) <= (most if most is not None else len(password))
    masked = credential.masked_password()
    assert password not in masked
    assert masked.split(" ")[0] == "***"  # not a character of it
    assert "cut off" in masked


def test_tls_dump_auth_login_steps_decode_to_the_account() -> None:
    client = "198.51.100.23"
    mine = [e for e, c in _dump_session_client(TLS4) if c == client]
    (command,) = [e for e in mine if e.type is T.AUTH_COMMAND]
    assert command.mechanism == "LOGIN" and command.payload is None
    after = mine[mine.index(command) + 1 :]
    steps = [e for e in after if e.type is T.CLIENT_DATA][:2]
    decoded = [
        decode_base64_line(e.payload or "", int((e.detail or {})["declared_length"])) for e in steps
    ]
    assert decoded == [("bob@lab.example", True), (documented_password(TLS4, client), True)]


def test_tls_dump_failures_and_success_name_their_clients() -> None:
    failures = {(e.ip, e.user, e.mechanism) for e in events(TLS4, T.AUTH_FAILURE)}
    assert failures == {
        ("192.0.2.66", "admin@lab.example", "PLAIN"),
        ("198.51.100.23", "bob@lab.example", "LOGIN"),
    }
    (success,) = events(TLS4, T.AUTH_SUCCESS)
    assert (success.ip, success.user) == ("192.0.2.10", "alice@lab.example")
    replies = [e for e, c in _dump_session_client(TLS4) if e.type is T.SERVER_REPLY]
    codes = Counter((e.detail or {}).get("code") for e in replies)
    assert codes["235"] == 1 and codes["535"] == 2


# ---------------------------------------------------------------------- verbose chat


def _verbose_sessions() -> list[tuple[int | None, int, int]]:
    """(pid, first line, last line) of each session of the attacker, from its connect
    and disconnect lines."""
    out: list[tuple[int | None, int, int]] = []
    start: dict[int | None, int] = {}
    for event in events(VERBOSE, T.CONNECT, T.DISCONNECT):
        if event.ip != "192.0.2.66":
            continue
        if event.type is T.CONNECT:
            start[event.record.pid] = event.record.line
        else:
            out.append((event.record.pid, start.pop(event.record.pid), event.record.line))
    return out


def test_verbose_chat_auth_commands_carry_the_client_and_the_session_pid() -> None:
    sessions = _verbose_sessions()
    assert len(sessions) == 2  # README: two verbose sessions of 192.0.2.66
    chat = [e for e in events(VERBOSE, T.AUTH_COMMAND) if e.record.message.startswith("< ")]
    assert [e.mechanism for e in chat] == ["PLAIN", "LOGIN"]
    for event, (pid, first, last) in zip(chat, sessions, strict=True):
        assert event.ip == "192.0.2.66"
        assert event.record.pid == pid
        assert first < event.record.line < last


def test_verbose_auth_plain_decodes_whole_and_is_masked() -> None:
    client = "192.0.2.66"
    chat = [
        e
        for e in events(VERBOSE, T.AUTH_COMMAND)
        if e.record.message.startswith("< ") and e.mechanism == "PLAIN"
    ]
    (command,) = chat
    assert command.payload is not None
    credential = decode_auth("PLAIN", command.payload)
    assert credential is not None and credential.complete
    assert credential.user == "admin@lab.example"
    password = documented_password(VERBOSE, client)
    assert credential.password == password
    assert credential.masked_password() == f"*** ({len(password)} characters)"
    # The xsasl -v line of the same attempt carries the same payload, and no address.
    (xsasl,) = [
        e
        for e in events(VERBOSE, T.AUTH_COMMAND)
        if e.record.message.startswith("xsasl_") and e.mechanism == "PLAIN"
    ]
    assert xsasl.payload == command.payload and xsasl.ip is None
    assert xsasl.record.pid == command.record.pid


def test_verbose_auth_login_steps_are_client_data_of_the_client() -> None:
    client = "192.0.2.66"
    chat = [e for e in events(VERBOSE) if e.record.message.startswith("< ")]
    (login,) = [e for e in chat if e.type is T.AUTH_COMMAND and e.mechanism == "LOGIN"]
    steps = [e for e in chat[chat.index(login) + 1 :] if e.type is T.CLIENT_DATA][:2]
    assert all(e.ip == client for e in steps)
    decoded = [decode_base64_line(e.payload or "") for e in steps]
    # The second verbose scenario (same client): LOGIN failure as alice@lab.example.
    addr, text = scenarios()[VERBOSE][1]
    assert addr == client and "LOGIN failure as alice@lab.example" in text
    m = re.search(r"password `([^`]*)`", text)
    assert m is not None
    assert decoded == [("alice@lab.example", True), (m.group(1), True)]


def test_verbose_only_for_the_listed_peer() -> None:
    chat = [e for e in events(VERBOSE) if e.record.message.startswith(("< ", "> "))]
    assert chat and {e.ip for e in chat} == {"192.0.2.66"}
    rejected = [
        e for e in chat if e.type is T.SERVER_REPLY and (e.detail or {}).get("code") == "535"
    ]
    assert len(rejected) == 2
    assert all((e.detail or {}).get("enhanced") == "5.7.8" for e in rejected)
    failures = {(e.ip, e.user, e.mechanism) for e in events(VERBOSE, T.AUTH_FAILURE)}
    assert failures == {
        ("192.0.2.66", "admin@lab.example", "PLAIN"),
        ("192.0.2.66", "alice@lab.example", "LOGIN"),
    }


# ------------------------------------------------------------------------------ Dovecot

IMAP_LOGIN_FAILURES = {
    # client: (user, attempts), from the README's IMAP scenarios
    "192.0.2.66": ("bob@lab.example", 1),
    "198.51.100.23": ("alice@lab.example", 3),
    "198.51.100.40": ("nobody@lab.example", 1),
    "2001:db8::66": ("admin@lab.example", 1),
}
FORGED = ("198.51.100.77", "198.51.100.78", "198.51.100.79", "198.51.100.80")


def _login_failures(name: str) -> dict[str | None, Event]:
    found: dict[str | None, Event] = {}
    for event in events(name, T.AUTH_FAILURE):
        if is_login_line(event):
            assert event.ip not in found, event.record.text
            found[event.ip] = event
    return found


@pytest.mark.parametrize("name", [IMAP, ANY_USERNAME])
def test_dovecot_login_lines_give_the_attempt_counts(name: str) -> None:
    found = _login_failures(name)
    expected = {addr: (documented_username(name, addr), 1) for addr in FORGED}
    if name == IMAP:
        expected.update(IMAP_LOGIN_FAILURES)
        assert "3 LOGIN failures" in scenario(IMAP, "198.51.100.23")
    got = {ip: (e.user, e.attempts) for ip, e in found.items()}
    assert got == expected
    for event in found.values():
        assert event.strength is Strength.STRONG and event.service == "imap"
        assert event.session and event.mechanism == "PLAIN"
        assert event.server_ip in SERVER_ADDRESSES


@pytest.mark.parametrize("name", [IMAP, ANY_USERNAME])
def test_dovecot_auth_lines_are_the_attempts_of_the_same_session(name: str) -> None:
    auth = [e for e in events(name, T.AUTH_FAILURE) if is_auth_line(e)]
    by_session: dict[str | None, list[Event]] = defaultdict(list)
    for event in auth:
        by_session[event.session].append(event)
    for ip, login in _login_failures(name).items():
        attempts = by_session.pop(login.session, [])
        assert len(attempts) == login.attempts, (ip, login.record.text)
        for event in attempts:
            assert event.ip == ip and event.user == login.user, event.record.text
            assert event.strength is Strength.STRONG
    # What is left: the success after failures on one connection, and the Postfix path.
    for session, attempts in by_session.items():
        if session is None:
            continue
        (success,) = [e for e in events(name, T.AUTH_SUCCESS) if e.session == session]
        assert {e.ip for e in attempts} == {success.ip}
        assert {e.user for e in attempts} == {success.user}


def test_dovecot_refused_user_names_are_attempts_of_the_scenario_client() -> None:
    """auth_username_chars refuses the forged names: the mechanism logs ``plain(?,ip,…)``
    and the login line ``auth failed``; both are one failed attempt of the real client."""
    refused = [
        e
        for e in events(IMAP, T.AUTH_FAILURE)
        if is_auth_line(e) and (e.reason or "").startswith("Username character disallowed")
    ]
    assert {e.ip for e in refused} == set(FORGED)
    for event in refused:
        assert event.user == documented_username(IMAP, event.ip or "")
        assert event.mechanism == "PLAIN"
        assert "(username:" not in (event.reason or "")


def test_dovecot_successes_and_the_success_after_failures() -> None:
    got = sorted((e.ip or "", e.user or "") for e in events(IMAP, T.AUTH_SUCCESS))
    assert got == [
        ("192.0.2.10", "alice@lab.example"),
        ("192.0.2.10", "bob@lab.example"),
        ("203.0.113.60", "admin@lab.example"),
    ]
    for event in events(IMAP, T.AUTH_SUCCESS):
        assert not event.hostile and event.session and event.service == "imap"
    (after,) = [e for e in events(IMAP, T.AUTH_SUCCESS) if e.ip == "203.0.113.60"]
    before = [e for e in events(IMAP, T.AUTH_FAILURE) if e.session == after.session]
    assert len(before) == 2 and all(e.record.line < after.record.line for e in before)
    assert "2 failures then success" in scenario(IMAP, "203.0.113.60")


def test_dovecot_connection_closed_before_the_greeting_is_a_weak_no_auth() -> None:
    (event,) = [e for e in events(IMAP) if e.ip == "203.0.113.70"]
    assert event.type is T.NO_AUTH and event.strength is Strength.WEAK


def test_dovecot_lines_of_the_postfix_path_name_the_smtp_client() -> None:
    for name, client in ((IMAP, "192.0.2.66"), (ANY_USERNAME, "198.51.100.90")):
        through_postfix = [
            e for e in events(name, T.AUTH_FAILURE) if is_auth_line(e) and e.session is None
        ]
        assert [e.ip for e in through_postfix] == [client], name
    (evil,) = [e for e in events(ANY_USERNAME, T.AUTH_FAILURE) if e.session is None]
    assert evil.user == documented_username(ANY_USERNAME, "198.51.100.90")


# ---------------------------------------------------------- `mailwarden events` output


def _base64_text(token: str) -> bool:
    """True when ``token`` is base64 of printable text (an AUTH LOGIN step), not a word
    such as ``STARTTLS`` that merely looks like base64."""
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        return decoded.decode("utf-8").isprintable()
    except ValueError:
        return False


def _secrets(name: str) -> set[str]:
    """The passwords the README documents, and every AUTH payload and AUTH LOGIN step
    found in the capture's raw text (base64 of credentials)."""
    found = readme_passwords()
    text = (REAL / name).read_text(encoding="utf-8")
    found.update(re.findall(r"AUTH \S+ ([A-Za-z0-9+/=]{8,})", text))
    found.update(re.findall(r"init_response ([A-Za-z0-9+/=]{8,})", text))
    lone = re.findall(r"(?:Read \d+ chars|< \S+): ([A-Za-z0-9+/]{8,}={0,2})(?:\?\?)?$", text, re.M)
    found.update(token for token in lone if _base64_text(token))
    for password in readme_passwords():
        found.add(base64.b64encode(password.encode()).decode().rstrip("="))
    return found


def _run_events(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", "events", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_events_command_prints_no_password_from_the_capture(name: str, fmt: str) -> None:
    result = _run_events("--format", fmt, str(REAL / name))
    assert result.returncode == 0, result.stderr
    _, counts = read(name)
    lines = result.stdout.splitlines()
    assert len(lines) == counts.events
    if fmt == "jsonl":
        for line in lines:
            json.loads(line)
    leaked = sorted(s for s in _secrets(name) if s in result.stdout or s in result.stderr)
    assert leaked == []


@pytest.mark.parametrize("name", [TLS4, VERBOSE])
def test_show_passwords_does_show_them_so_the_check_above_means_something(name: str) -> None:
    result = _run_events("--format", "jsonl", "--show-passwords", str(REAL / name))
    assert result.returncode == 0, result.stderr
    assert any(s in result.stdout for s in _secrets(name))
