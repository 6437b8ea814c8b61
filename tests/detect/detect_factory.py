"""Build Record + Event values for detector tests, shaped like the parsers' output.

``log = Log()`` collects events in order; every method takes ``t`` (seconds after
``T0``) and returns the event it appended. Lines are our own, written from the shared
reference; attacker addresses come from the documentation ranges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailwarden.model import Category, Event, EventType, Record, Strength

T0 = datetime(2026, 2, 23, 10, 0, 0, tzinfo=UTC)
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

_T = EventType


class Log:
    def __init__(self, start: datetime = T0) -> None:
        self.start = start
        self.events: list[Event] = []
        self._line = 0
        self._pid = 3000

    def next_pid(self) -> int:
        self._pid += 1
        return self._pid

    def record(self, t: float, program: str | None, pid: int | None, message: str) -> Record:
        self._line += 1
        time = self.start + timedelta(seconds=t)
        head = f"{time:%b %d %H:%M:%S} mx "
        tag = f"{program}[{pid}]: " if pid is not None else f"{program}: " if program else ""
        text = head + tag + message
        return Record(time, "mx", program, pid, message, "test.log", self._line, 0, text)

    def _add(self, event: Event) -> Event:
        self.events.append(event)
        return event

    # -- Postfix --------------------------------------------------------------------------

    def _smtpd(self, service: str) -> str:
        return "postfix/smtpd" if service == "smtp" else f"postfix/{service}/smtpd"

    def connect(self, t: float, ip: str, pid: int, service: str = "submission") -> Event:
        rec = self.record(t, self._smtpd(service), pid, f"connect from unknown[{ip}]")
        return self._add(
            Event(
                _T.CONNECT,
                Category.SESSION,
                False,
                None,
                ip,
                None,
                None,
                None,
                None,
                rec,
                service=service,
                detail={"name": "unknown"},
            )
        )

    def sasl_failure(
        self,
        t: float,
        ip: str,
        user: str | None = None,
        pid: int | None = None,
        service: str = "submission",
        mechanism: str = "PLAIN",
        reason: str = "(reason unavailable)",
    ) -> Event:
        pid = pid if pid is not None else self.next_pid()
        tail = f", sasl_username={user}" if user is not None else ""
        message = f"warning: unknown[{ip}]: SASL {mechanism} authentication failed: {reason}{tail}"
        rec = self.record(t, self._smtpd(service), pid, message)
        return self._add(
            Event(
                _T.AUTH_FAILURE,
                Category.AUTH,
                True,
                Strength.STRONG,
                ip,
                None,
                user,
                mechanism,
                reason,
                rec,
                service=service,
            )
        )

    def aborted(self, t: float, ip: str, pid: int, service: str = "submission") -> Event:
        message = f"warning: unknown[{ip}]: SASL PLAIN authentication aborted"
        rec = self.record(t, self._smtpd(service), pid, message)
        return self._add(
            Event(
                _T.AUTH_ABORTED,
                Category.AUTH,
                True,
                Strength.WEAK,
                ip,
                None,
                None,
                "PLAIN",
                "authentication aborted",
                rec,
                service=service,
            )
        )

    def unavailable(
        self, t: float, ip: str, pid: int | None = None, service: str = "submission"
    ) -> Event:
        pid = pid if pid is not None else self.next_pid()
        reason = "Connection lost to authentication server"
        message = f"warning: unknown[{ip}]: SASL PLAIN authentication failed: {reason}"
        rec = self.record(t, self._smtpd(service), pid, message)
        return self._add(
            Event(
                _T.AUTH_UNAVAILABLE,
                Category.SERVER,
                True,
                Strength.WEAK,
                ip,
                None,
                None,
                "PLAIN",
                reason,
                rec,
                service=service,
            )
        )

    def lost_after_auth(self, t: float, ip: str, pid: int, service: str = "submission") -> Event:
        rec = self.record(
            t, self._smtpd(service), pid, f"lost connection after AUTH from unknown[{ip}]"
        )
        return self._add(
            Event(
                _T.LOST_CONNECTION,
                Category.SESSION,
                True,
                Strength.WEAK,
                ip,
                None,
                None,
                None,
                "lost connection after AUTH",
                rec,
                service=service,
                detail={"after": "AUTH"},
            )
        )

    def disconnect(
        self,
        t: float,
        ip: str,
        pid: int,
        service: str = "submission",
        failed: int = 0,
        ok: int = 0,
    ) -> Event:
        total = failed + ok
        auth = "" if not total else f" auth={ok}" if not failed else f" auth={ok}/{total}"
        stats = f"ehlo=1{auth} commands={1 + ok}/{1 + total}"
        rec = self.record(t, self._smtpd(service), pid, f"disconnect from unknown[{ip}] {stats}")
        hostile = failed > 0 and ok == 0
        return self._add(
            Event(
                _T.DISCONNECT,
                Category.SESSION,
                hostile,
                Strength.STRONG if hostile else None,
                ip,
                None,
                None,
                None,
                None,
                rec,
                attempts=failed,
                service=service,
                detail={"stats": stats, "auth_ok": str(ok)},
            )
        )

    def queued_login(
        self, t: float, ip: str, user: str, pid: int | None = None, service: str = "submission"
    ) -> Event:
        pid = pid if pid is not None else self.next_pid()
        message = f"4XyZ{pid}: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={user}"
        rec = self.record(t, self._smtpd(service), pid, message)
        return self._add(
            Event(
                _T.AUTH_SUCCESS,
                Category.AUTH,
                False,
                None,
                ip,
                None,
                user,
                "PLAIN",
                "authenticated client queued a message",
                rec,
                service=service,
            )
        )

    def rate_limited(self, t: float, ip: str, pid: int, count: int = 11) -> Event:
        message = (
            f"warning: AUTH command rate limit exceeded: {count} from unknown[{ip}] "
            "for service submission"
        )
        rec = self.record(t, "postfix/submission/smtpd", pid, message)
        return self._add(
            Event(
                _T.RATE_LIMITED,
                Category.RATE,
                True,
                Strength.STRONG,
                ip,
                None,
                None,
                None,
                "AUTH command rate limit exceeded",
                rec,
                service="submission",
                detail={"limit": "auth", "count": str(count)},
            )
        )

    def reject(
        self,
        t: float,
        ip: str,
        code: str = "554",
        enhanced: str = "5.7.1",
        reason: str = "<x@example.org>: Relay access denied",
    ) -> Event:
        message = (
            f"NOQUEUE: reject: RCPT from unknown[{ip}]: {code} {enhanced} {reason}; "
            "from=<a@example.net> to=<x@example.org> proto=ESMTP helo=<localhost>"
        )
        rec = self.record(t, "postfix/smtpd", self.next_pid(), message)
        return self._add(
            Event(
                _T.REJECT,
                Category.POLICY,
                True,
                Strength.STRONG,
                ip,
                None,
                None,
                None,
                reason,
                rec,
                service="smtp",
                detail={"stage": "RCPT", "code": code, "enhanced": enhanced},
            )
        )

    def non_smtp(self, t: float, ip: str) -> Event:
        rec = self.record(
            t,
            "postfix/smtpd",
            self.next_pid(),
            f"warning: non-SMTP command from unknown[{ip}]: GET / HTTP/1.1",
        )
        return self._add(
            Event(
                _T.NON_SMTP_COMMAND,
                Category.POLICY,
                True,
                Strength.STRONG,
                ip,
                None,
                None,
                None,
                "non-SMTP command",
                rec,
                service="smtp",
                payload="GET / HTTP/1.1",
            )
        )

    def tls(self, t: float, ip: str, pid: int, protocol: str, cipher: str) -> Event:
        message = (
            f"Anonymous TLS connection established from unknown[{ip}]: {protocol} with cipher "
            f"{cipher} (128/128 bits)"
        )
        rec = self.record(t, "postfix/smtpd", pid, message)
        return self._add(
            Event(
                _T.TLS_ESTABLISHED,
                Category.TLS,
                False,
                None,
                ip,
                None,
                None,
                None,
                f"{protocol} with cipher {cipher}",
                rec,
                service="smtp",
                detail={"protocol": protocol, "cipher": cipher, "bits": "128"},
            )
        )

    def cipher_list(self, t: float, ip: str, pid: int, cipher_list: str) -> Event:
        rec = self.record(
            t, "postfix/smtpd", pid, f'unknown[{ip}]: TLS cipher list "{cipher_list}"'
        )
        return self._add(
            Event(
                _T.TLS_SETUP,
                Category.TLS,
                False,
                None,
                ip,
                None,
                None,
                None,
                None,
                rec,
                service="smtp",
                detail={"cipher_list": cipher_list},
            )
        )

    # -- dumps and verbose chat (no client address) --------------------------------------

    def auth_command(
        self,
        t: float,
        pid: int,
        mechanism: str,
        payload: str | None = None,
        declared: int | None = None,
        service: str = "smtp",
    ) -> Event:
        text = f"AUTH {mechanism}" + (f" {payload}" if payload else "")
        message = (
            f"Read {declared} chars: {text}" if declared else f"Read {len(text) + 2} chars: {text}"
        )
        rec = self.record(t, self._smtpd(service), pid, message)
        detail = {"declared_length": str(declared if declared else len(text) + 2)}
        return self._add(
            Event(
                _T.AUTH_COMMAND,
                Category.DEBUG,
                False,
                None,
                None,
                None,
                None,
                mechanism,
                None,
                rec,
                service=service,
                payload=payload,
                detail=detail,
            )
        )

    def client_data(self, t: float, pid: int, payload: str, service: str = "smtp") -> Event:
        rec = self.record(
            t, self._smtpd(service), pid, f"Read {len(payload) + 2} chars: {payload}??"
        )
        return self._add(
            Event(
                _T.CLIENT_DATA,
                Category.DEBUG,
                False,
                None,
                None,
                None,
                None,
                None,
                None,
                rec,
                service=service,
                payload=payload + "??",
                detail={"declared_length": str(len(payload) + 2)},
            )
        )

    def reply(
        self, t: float, pid: int, code: str, enhanced: str, text: str, service: str = "smtp"
    ) -> Event:
        line = f"{code} {enhanced} {text}".replace("  ", " ")
        rec = self.record(t, self._smtpd(service), pid, f"Write {len(line) + 2} chars: {line}")
        detail = {"code": code}
        if enhanced:
            detail["enhanced"] = enhanced
        return self._add(
            Event(
                _T.SERVER_REPLY,
                Category.DEBUG,
                False,
                None,
                None,
                None,
                None,
                None,
                line,
                rec,
                service=service,
                detail=detail,
            )
        )

    # -- Dovecot ----------------------------------------------------------------------------

    def dovecot_failure(
        self,
        t: float,
        ip: str,
        user: str,
        attempts: int = 1,
        session: str | None = None,
        service: str = "imap",
    ) -> Event:
        session = session or f"S{self._line:08d}"
        message = (
            f"{service}-login: Disconnected: Connection closed (auth failed, {attempts} attempts "
            f"in 4 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, TLS, "
            f"session=<{session}>"
        )
        rec = self.record(t, "dovecot", None, message)
        return self._add(
            Event(
                _T.AUTH_FAILURE,
                Category.AUTH,
                True,
                Strength.STRONG,
                ip,
                None,
                user,
                "PLAIN",
                f"auth failed, {attempts} attempts in 4 secs",
                rec,
                attempts=attempts,
                session=session,
                service=service,
                server_ip="192.0.2.254",
            )
        )

    def dovecot_auth(
        self,
        t: float,
        ip: str,
        user: str,
        session: str | None = None,
        reason: str = "Password mismatch",
    ) -> Event:
        sid = f",<{session}>" if session else ""
        rec = self.record(t, "dovecot", None, f"auth: passwd-file({user},{ip}{sid}): {reason}")
        return self._add(
            Event(
                _T.AUTH_FAILURE,
                Category.AUTH,
                True,
                Strength.STRONG,
                ip,
                None,
                user,
                None,
                reason,
                rec,
                session=session,
                detail={"db": "passwd-file"},
            )
        )

    def dovecot_login(
        self, t: float, ip: str, user: str, session: str | None = None, service: str = "imap"
    ) -> Event:
        session = session or f"L{self._line:08d}"
        message = (
            f"{service}-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.254, "
            f"mpid=4242, TLS, session=<{session}>"
        )
        rec = self.record(t, "dovecot", None, message)
        return self._add(
            Event(
                _T.AUTH_SUCCESS,
                Category.AUTH,
                False,
                None,
                ip,
                None,
                user,
                "PLAIN",
                "login",
                rec,
                session=session,
                service=service,
                server_ip="192.0.2.254",
            )
        )
