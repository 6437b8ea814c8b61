"""Every line family and version variant of the reference gives the event it should:
type, client address, strength, and the fields a user reads."""

from __future__ import annotations

import ipaddress

import pytest

from mailwarden.model import Category, Event, EventType, Record, Strength
from mailwarden.parsers import parse

from .corpus import ALL, Case
from .helpers import rec

_CATEGORY = {
    EventType.CONNECT: Category.SESSION,
    EventType.DISCONNECT: Category.SESSION,
    EventType.LOST_CONNECTION: Category.SESSION,
    EventType.TIMEOUT: Category.SESSION,
    EventType.TOO_MANY_ERRORS: Category.SESSION,
    EventType.REJECT: Category.POLICY,
    EventType.PIPELINING: Category.POLICY,
    EventType.NON_SMTP_COMMAND: Category.POLICY,
    EventType.LONG_REQUEST: Category.POLICY,
    EventType.HOSTNAME_MISMATCH: Category.POLICY,
    EventType.RATE_LIMITED: Category.RATE,
    EventType.ANVIL_STATISTICS: Category.RATE,
    EventType.POSTSCREEN_VIOLATION: Category.POSTSCREEN,
    EventType.POSTSCREEN_PASS: Category.POSTSCREEN,
    EventType.TLS_ESTABLISHED: Category.TLS,
    EventType.TLS_SETUP: Category.TLS,
    EventType.TLS_DUMP: Category.DEBUG,
    EventType.CLIENT_DATA: Category.DEBUG,
    EventType.SERVER_REPLY: Category.DEBUG,
    EventType.DEBUG: Category.DEBUG,
    EventType.QUEUED: Category.MAIL,
    EventType.AUTH_COMMAND: Category.AUTH,
    EventType.AUTH_SUCCESS: Category.AUTH,
}


def _id(case: Case) -> str:
    return case.line[:90]


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_line_gives_its_event(case: Case) -> None:
    events = parse(rec(case.line))
    if case.type is None:
        assert events == []
        return
    assert len(events) == 1, events
    event = events[0]
    assert event.type is case.type
    assert event.ip == case.ip
    assert event.hostile is (case.strength is not None)
    assert (event.strength.value if event.strength else None) == case.strength
    assert event.record.text == case.line
    expected_category = _CATEGORY.get(event.type)
    if expected_category is not None:
        assert event.category is expected_category
    for key, want in case.checks.items():
        if key.startswith("detail."):
            assert event.detail is not None, event
            assert event.detail.get(key[7:]) == want, (key, event.detail)
        elif key == "category":
            assert event.category.value == want
        else:
            assert getattr(event, key) == want, (key, event)


def test_success_is_never_hostile() -> None:
    for case in ALL:
        for event in parse(rec(case.line)):
            if event.type is EventType.AUTH_SUCCESS:
                assert not event.hostile and event.strength is None


def test_hostile_events_have_a_strength_and_only_they() -> None:
    for case in ALL:
        for event in parse(rec(case.line)):
            assert (event.strength is not None) is event.hostile, event


def test_every_field_has_its_type() -> None:
    """Events are built positionally on the hot path: a field out of order shows here."""
    for case in ALL:
        for event in parse(rec(case.line)):
            assert len(event) == len(Event._fields)
            assert isinstance(event.type, EventType)
            assert isinstance(event.category, Category)
            assert isinstance(event.hostile, bool)
            assert event.strength is None or isinstance(event.strength, Strength)
            assert event.ip is None or ipaddress.ip_address(event.ip)
            assert event.port is None or isinstance(event.port, int)
            for name in ("user", "mechanism", "reason", "session", "service", "payload"):
                value = getattr(event, name)
                assert value is None or isinstance(value, str), (name, event)
            assert event.server_ip is None or ipaddress.ip_address(event.server_ip)
            assert isinstance(event.record, Record)
            assert isinstance(event.attempts, int) and event.attempts >= 0
            assert event.detail is None or all(
                isinstance(k, str) and isinstance(v, str) for k, v in event.detail.items()
            )


@pytest.mark.parametrize(
    ("program", "service"),
    [
        ("postfix/smtpd", "smtp"),
        ("postfix-out/smtpd", "smtp"),
        ("postfix-incoming/smtpd", "smtp"),
        ("postfix/smtp-25/smtpd", "smtp"),
        ("postfix/submission/smtpd", "submission"),
        ("postfix/submissions/smtpd", "submissions"),
        ("postfix/smtps/smtpd", "submissions"),
        ("postfix-smo/submission/smtpd", "submission"),
        ("postfix/postscreen", "postscreen"),
    ],
)
def test_service_from_the_syslog_name(program: str, service: str) -> None:
    line = f"Feb  3 11:57:42 mx {program}[1]: lost connection after AUTH from unknown[192.0.2.9]"
    if program.endswith("postscreen"):
        line = f"Feb  3 11:57:42 mx {program}[1]: PASS NEW [192.0.2.9]:4711"
    (event,) = parse(rec(line))
    assert event.service == service


def test_other_programs_give_nothing() -> None:
    for program in ("postfix/qmgr", "postfix/cleanup", "postfix/smtp", "sshd", "smtpd"):
        line = (
            f"Feb  3 11:57:42 mx {program}[1]: lost connection after AUTH from unknown[192.0.2.9]"
        )
        assert parse(rec(line)) == [], program


def test_through_the_framer() -> None:
    """The real framing stage gives records that parse as the test helper's do."""
    framing = pytest.importorskip("mailwarden.framing")
    framer = framing.Framer(year=2026)
    for case in ALL:
        (record,) = framer.frame_line(case.line, "t", 1, 0)
        got = [(e.type, e.ip, e.strength, e.user, e.attempts) for e in parse(record)]
        want = [(e.type, e.ip, e.strength, e.user, e.attempts) for e in parse(rec(case.line))]
        assert got == want, case.line
