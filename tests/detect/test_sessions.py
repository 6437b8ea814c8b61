"""Sessions: one connection's events joined, each AUTH attempt counted once."""

from __future__ import annotations

import base64

from detect_factory import Log

from mailwarden.detect.sessions import SessionTracker, sessions_of


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def counted(log: Log) -> int:
    tracker = SessionTracker()
    return sum(tracker.feed(event)[1] for event in log.events)


def test_postfix_failure_logged_as_warning_and_in_statistics_counts_once() -> None:
    log = Log()
    log.connect(0, "192.0.2.10", 4001)
    log.sasl_failure(1, "192.0.2.10", "alice@example.com", pid=4001)
    log.lost_after_auth(2, "192.0.2.10", 4001)
    log.disconnect(2, "192.0.2.10", 4001, failed=1)
    assert counted(log) == 1


def test_disconnect_statistics_add_the_attempts_no_line_showed() -> None:
    log = Log()
    log.connect(0, "192.0.2.10", 4001)
    log.sasl_failure(1, "192.0.2.10", pid=4001)
    log.disconnect(9, "192.0.2.10", 4001, failed=3)
    assert counted(log) == 3


def test_aborted_and_unavailable_attempts_are_not_added_back_by_the_statistics() -> None:
    log = Log()
    log.connect(0, "192.0.2.10", 4001)
    log.aborted(1, "192.0.2.10", 4001)
    log.unavailable(2, "192.0.2.10", 4001)
    log.disconnect(3, "192.0.2.10", 4001, failed=2)
    assert counted(log) == 0


def test_dovecot_n_attempts_count_as_n() -> None:
    log = Log()
    log.dovecot_failure(0, "192.0.2.20", "bob@example.com", attempts=5)
    assert counted(log) == 5


def test_auth_process_line_and_login_line_of_the_same_attempt_are_one() -> None:
    log = Log()
    log.dovecot_auth(0, "192.0.2.20", "bob@example.com", session="Sess0001")
    log.dovecot_auth(2, "192.0.2.20", "bob@example.com", session="Sess0001")
    log.dovecot_failure(5, "192.0.2.20", "bob@example.com", attempts=3, session="Sess0001")
    assert counted(log) == 3


def test_auth_process_line_without_session_id_stands_for_the_later_login_line() -> None:
    log = Log()
    log.dovecot_auth(0, "192.0.2.20", "bob")
    log.dovecot_failure(4, "192.0.2.20", "bob@example.com", attempts=1)
    assert counted(log) == 1


def test_auth_process_line_counts_the_postfix_attempt_it_answered_once() -> None:
    # Postfix -> Dovecot SASL with auth_verbose: the auth process logs, then Postfix does.
    log = Log()
    log.dovecot_auth(0, "192.0.2.30", "carol@example.com")
    log.sasl_failure(2, "192.0.2.30", "carol@example.com", pid=4100)
    assert counted(log) == 1


def test_pid_reuse_starts_a_new_session_at_connect() -> None:
    log = Log()
    log.connect(0, "192.0.2.10", 4001)
    log.sasl_failure(1, "192.0.2.10", pid=4001)
    log.connect(5, "198.51.100.3", 4001)  # same smtpd process, next client; no disconnect seen
    log.disconnect(6, "198.51.100.3", 4001)
    sessions = sessions_of(log.events)
    assert [s.ip for s in sessions] == ["192.0.2.10", "198.51.100.3"]
    assert [s.end for s in sessions] == ["replaced", "disconnect"]
    assert sessions[0].failures == 1 and sessions[1].failures == 0


def test_dump_lines_join_the_open_session_and_take_its_address() -> None:
    log = Log()
    log.connect(0, "203.0.113.5", 4200, service="smtp")
    log.auth_command(1, 4200, "PLAIN", b64("\0admin@example.com\0wilma1"))
    log.sasl_failure(2, "203.0.113.5", pid=4200, service="smtp", reason="")
    log.disconnect(3, "203.0.113.5", 4200, service="smtp", failed=1)
    (session,) = sessions_of(log.events)
    assert session.ip == "203.0.113.5"
    assert len(session.events or []) == 4
    (cred,) = session.credentials
    assert (cred.mechanism, cred.user, cred.password) == ("PLAIN", "admin@example.com", "wilma1")
    assert session.users == ["admin@example.com"]


def test_auth_login_username_and_password_lines_are_joined() -> None:
    log = Log()
    log.connect(0, "203.0.113.6", 4300, service="smtp")
    log.auth_command(1, 4300, "LOGIN")
    log.reply(1, 4300, "334", "", "VXNlcm5hbWU6")
    log.client_data(1, 4300, b64("info@example.com"))
    log.reply(1, 4300, "334", "", "UGFzc3dvcmQ6")
    log.client_data(2, 4300, b64("summer2024"))
    log.reply(3, 4300, "535", "5.7.8", "Error: authentication failed:")
    (session,) = sessions_of(log.events)
    (cred,) = session.credentials
    assert (cred.mechanism, cred.user, cred.password) == ("LOGIN", "info@example.com", "summer2024")
    assert cred.complete


def test_auth_login_with_initial_response_then_password_line() -> None:
    log = Log()
    log.connect(0, "203.0.113.6", 4300, service="smtp")
    log.auth_command(1, 4300, "LOGIN", b64("sales@example.com"))
    log.client_data(2, 4300, b64("letmein"))
    (session,) = sessions_of(log.events)
    (cred,) = session.credentials
    assert (cred.user, cred.password) == ("sales@example.com", "letmein")


def test_cancelled_auth_login_keeps_the_username_only() -> None:
    log = Log()
    log.connect(0, "203.0.113.6", 4300, service="smtp")
    log.auth_command(1, 4300, "LOGIN", b64("sales@example.com"))
    log.client_data(2, 4300, "*")
    log.disconnect(3, "203.0.113.6", 4300, service="smtp", failed=1)
    (session,) = sessions_of(log.events)
    assert session.users == ["sales@example.com"]
    assert all(c.password is None for c in session.credentials)


def test_plain_without_initial_response_decodes_the_next_line() -> None:
    log = Log()
    log.connect(0, "203.0.113.7", 4400, service="smtp")
    log.auth_command(1, 4400, "PLAIN")
    log.reply(1, 4400, "334", "", "")
    log.client_data(2, 4400, b64("\x00test@example.com\x00123456"))
    (session,) = sessions_of(log.events)
    (cred,) = session.credentials
    assert (cred.user, cred.password) == ("test@example.com", "123456")


def test_success_reply_in_chat_is_a_login_for_the_decoded_user() -> None:
    log = Log()
    log.connect(0, "198.51.100.8", 4500)
    log.auth_command(
        1, 4500, "PLAIN", b64("\0dave@example.com\0correct horse"), service="submission"
    )
    log.reply(1, 4500, "235", "2.7.0", "Authentication successful", service="submission")
    tracker = SessionTracker()
    for event in log.events:
        tracker.feed(event)
    assert [(u, s.ip) for s, u, _ in tracker.logins if s] == [("dave@example.com", "198.51.100.8")]


def test_auth_ok_in_statistics_is_one_login_per_session() -> None:
    log = Log()
    log.connect(0, "198.51.100.8", 4500)
    log.queued_login(5, "198.51.100.8", "dave@example.com", pid=4500)
    log.queued_login(6, "198.51.100.8", "dave@example.com", pid=4500)
    log.disconnect(7, "198.51.100.8", 4500, ok=1)
    tracker = SessionTracker()
    for event in log.events:
        tracker.feed(event)
    assert [u for _, u, _ in tracker.logins] == ["dave@example.com"]


def test_idle_sessions_expire() -> None:
    log = Log()
    log.connect(0, "192.0.2.10", 4001)
    tracker = SessionTracker(collect=True)
    for event in log.events:
        tracker.feed(event)
    assert len(tracker.open) == 1
    closed = tracker.expire(tracker.now + 2 * 3600)
    assert [s.end for s in closed] == ["expired"]
    assert not tracker.open


def test_sessions_of_groups_interleaved_processes() -> None:
    log = Log()
    log.connect(0, "192.0.2.1", 5001)
    log.connect(0, "192.0.2.2", 5002)
    log.sasl_failure(1, "192.0.2.2", pid=5002)
    log.sasl_failure(1, "192.0.2.1", pid=5001)
    log.disconnect(2, "192.0.2.1", 5001, failed=1)
    log.disconnect(2, "192.0.2.2", 5002, failed=1)
    sessions = sessions_of(log.events)
    assert [(s.ip, s.failures, len(s.events or [])) for s in sessions] == [
        ("192.0.2.1", 1, 3),
        ("192.0.2.2", 1, 3),
    ]


def test_the_detectors_lazy_tracker_still_knows_the_client_of_a_dump_line() -> None:
    # Without keep_events/collect, connections that never log in build no session; the
    # client address from `connect from` still reaches the AUTH payload decoded later.
    log = Log()
    log.connect(0, "198.51.100.1", 4600)  # an ordinary delivery: no session built
    log.disconnect(1, "198.51.100.1", 4600)
    log.connect(2, "203.0.113.5", 4601, service="smtp")
    log.auth_command(3, 4601, "PLAIN", b64("\x00admin@example.com\x00pw1234"))
    tracker = SessionTracker()
    for event in log.events:
        tracker.feed(event)
    ((session, cred),) = tracker.decoded
    assert session.ip == "203.0.113.5" and cred.user == "admin@example.com"
    assert list(tracker.open) == [("smtpd", "mx", "postfix/smtpd", 4601)]


def test_pam_lines_waiting_for_dovecot_s_line_are_bounded() -> None:
    """PAM's failure lines that no Dovecot line follows (auth_verbose = no) are kept
    for at most max_open addresses, and expire with the rest."""
    from mailwarden.framing import Framer
    from mailwarden.parsers import parse

    framer = Framer(year=2026)
    tracker = SessionTracker(max_open=50)
    for n in range(2000):
        line = (
            f"Nov 28 10:{n // 60 % 60:02d}:{n % 60:02d} mx auth: pam_unix(dovecot:auth): "
            f"authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=u "
            f"rhost=10.{n // 256 % 256}.{n % 256}.1  user=u"
        )
        for record in framer.frame_line(line, "auth.log", n + 1, 0):
            for event in parse(record):
                assert tracker.feed(event)[1] == 1
    assert 0 < len(tracker._pam) <= 50
    tracker.expire(tracker.now + 3600)
    assert not tracker._pam


def test_pam_lines_deferred_for_postfix_are_bounded_and_never_lost() -> None:
    """PAM lines deferred for Postfix's line of their attempt (an smtpd session of the
    address failed just before) are kept for at most max_open addresses: the ones
    pushed out count then, so every try counts once."""
    from mailwarden.framing import Framer
    from mailwarden.parsers import parse

    framer = Framer(year=2026)
    tracker = SessionTracker(max_open=50)
    counted = 0
    for n in range(500):
        ip = f"10.{n // 256 % 256}.{n % 256}.1"
        stamp = f"Nov 28 10:{n // 60 % 60:02d}:{n % 60:02d} mx"
        lines = [
            f"{stamp} postfix/submission/smtpd[{1000 + n}]: warning: unknown[{ip}]: SASL PLAIN "
            "authentication failed: (reason unavailable), sasl_username=u",
            f"{stamp} auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 "
            f"euid=0 tty=dovecot ruser=u rhost={ip}  user=u",
        ]
        for line in lines:
            for record in framer.frame_line(line, "mail.log", n + 1, 0):
                for event in parse(record):
                    counted += tracker.feed(event)[1]
        counted += len(tracker.released)
        tracker.released.clear()
    assert 0 < len(tracker._deferred) <= 50
    tracker.close_all()
    counted += len(tracker.released)
    assert counted == 1000
    assert not tracker._deferred
